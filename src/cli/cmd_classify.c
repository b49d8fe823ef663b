/*
 * cmd_classify.c - `bangfu classify` (the four batches and warnings for a
 * year), `bangfu explain project CODE` and `bangfu classification` (list,
 * confirm, history).
 */
#include "cli/cli.h"
#include "core/date.h"
#include "domain/classify.h"
#include "domain/indicators.h"
#include "io/csv_write.h"
#include "io/validate.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options of classify, explain and classification: the shared ones and
 * --batch, --reason. */
enum { OPT_BATCH = 1, OPT_REASON };

static const struct option classify_own_options[] = {
    {"batch", required_argument, NULL, OPT_BATCH},
    {"reason", required_argument, NULL, OPT_REASON},
    {NULL, 0, NULL, 0},
};

typedef struct {
    cli_options o;
    const char *batch, *reason;
} cargs;

static int classify_own_option(void *ctx, const char *command, int opt, const char *arg)
{
    cargs *a = ctx;
    (void)command;
    if (opt == OPT_BATCH)
        a->batch = arg;
    else
        a->reason = arg;
    return -1;
}

static int parse_cargs(const char *command, int argc, char **argv, cargs *a)
{
    a->batch = a->reason = NULL;
    const cli_option_spec spec = {
        .shared = CLI_DB | CLI_YEAR | CLI_REGION | CLI_BY | CLI_FORMAT | CLI_ENGLISH_HEADERS,
        .year_min = CLASSIFY_MIN_YEAR,
        .year_max = CLASSIFY_MAX_YEAR,
        .check_region = true,
        .own = classify_own_options,
        .on_own = classify_own_option,
        .ctx = a,
    };
    return cli_parse_options(command, argc, argv, &spec, &a->o);
}

/* ---- classify ----------------------------------------------------------------- */

static void print_warning_counts(const char *what, const warn_counts *c)
{
    printf("%s：成立 %ld 条，新增 %ld 条，已有未解除 %ld 条", what, c->firing, c->opened,
           c->still_live);
    if (c->resolved_still)
        printf("，已解除但条件仍成立 %ld 条（未重新打开）", c->resolved_still);
    if (c->no_longer_firing)
        printf("，本次不再成立 %ld 条（未自动解除，请核实后处理）", c->no_longer_firing);
    putchar('\n');
}

static void print_result(const classify_options *options, const classify_result *r)
{
    const batch_table *b = &r->batches;
    printf("%lld 年分类完成：%ld 个项目", (long long)options->year, r->projects);
    if (options->region_code)
        printf("（区划 %s）", options->region_code);
    printf("，规则集 %lld 年第 %lld 版\n", (long long)r->rule_set_year,
           (long long)r->rule_set_version);
    printf("  ");
    for (size_t i = 0; i < b->count; i++)
        printf("%s%s%s %ld", i ? "，" : "", b->items[i].label,
               b->items[i].candidate_only ? "（候选）" : "", r->per_batch[i]);
    putchar('\n');
    if (r->fallback)
        printf("  其中 %ld 个项目未命中任何批次规则，归入%s\n", r->fallback,
               b->items[b->fallback].label);
    if (r->had_previous) {
        printf("与上次结果相比：批次变化 %ld 个，依据更新 %ld 个，未变 %ld 个", r->changed,
               r->updated, r->unchanged);
        if (r->first)
            printf("，新增 %ld 个", r->first);
        putchar('\n');
        if (r->changed) {
            printf("  批次变化（原批次 → 新批次：项目数）\n");
            for (size_t from = 0; from < b->count; from++)
                for (size_t to = 0; to < b->count; to++)
                    if (r->transitions[from][to])
                        printf("    %s → %s：%ld\n", b->items[from].label, b->items[to].label,
                               r->transitions[from][to]);
        }
        if (r->changed_confirmed)
            printf("  其中 %ld 个项目此前已确认，建议批次已变，请复核\n", r->changed_confirmed);
    }
    print_warning_counts("项目预警", &r->warnings[IND_PROJECT]);
    if (r->household_rules) {
        printf("农户 %ld 户；", r->households);
        print_warning_counts("农户预警", &r->warnings[IND_HOUSEHOLD]);
        if (!r->threshold_set)
            printf("注意：%lld 年尚未设置监测范围，涉及监测范围的农户预警无法判断"
                   "（bangfu thresholds set --year %lld --yuan 金额）\n",
                   (long long)options->year, (long long)options->year);
    }
    if (r->per_batch[b->count - 1] && b->items[b->count - 1].candidate_only)
        printf("另起炉灶仅为候选，须经第三方评估和县级集体决策后方可处置\n");
}

int cli_cmd_classify(int argc, char **argv)
{
    cargs a;
    int rcode = parse_cargs("classify", argc, argv, &a);
    if (rcode >= 0)
        return rcode;
    if (optind != argc)
        return cli_usage_error("classify", "多余的参数 %s", argv[optind]);
    if (a.o.year == 0)
        return cli_usage_error("classify", "需要 --year 年度");
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    classify_result *result = calloc(1, sizeof *result);
    if (!result) {
        bf_error_set(&err, BF_ERR_NOMEM, "内存不足");
        return cli_fail(&err);
    }
    classify_options options = {a.o.year, a.o.has_region ? a.o.region : NULL, a.o.actor};
    bf_status rc = cli_open_db(a.o.db, &store, &err);
    if (rc == BF_OK)
        rc = classify_run(store, &options, result, &err);
    store_close(store);
    if (rc == BF_OK)
        print_result(&options, result);
    free(result);
    return rc ? cli_fail(&err) : 0;
}

/* ---- explain ------------------------------------------------------------------ */

static const char *truth_zh(rl_truth t)
{
    static const char *const names[] = {"不成立", "成立", "无法判断"};
    return names[t];
}

/* Print text indented by `indent` at the start of each line. */
static void print_indented(const char *text, const char *indent)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        printf("%s%.*s\n", indent, (int)n, p);
        p += n + (nl ? 1 : 0);
    }
}

static void print_explanation(const classify_explanation *e)
{
    const batch_table *b = e->batches;
    printf("项目 %s（%s），区划 %s，%lld 年\n", e->project_code, e->project_name, e->region_code,
           (long long)e->year);
    printf("规则集：%lld 年第 %lld 版\n\n指标：\n", (long long)e->set->year,
           (long long)e->set->version);
    for (size_t i = 0; i < e->nindicators; i++) {
        const classify_indicator_view *v = &e->indicators[i];
        printf("  %-27s %s：%s%s\n", v->name, v->zh, v->value, v->unit);
    }
    printf("\n批次规则（按优先级逐条检查）：\n");
    for (size_t i = 0; i < e->nbatch_rules; i++) {
        const classify_rule_view *v = &e->batch_rules[i];
        const rule *r = v->rule;
        printf("  [%s] %s %s（优先级 %lld）\n", truth_zh(v->truth), r->code, r->name,
               (long long)r->priority);
        printf("      条件：%s\n", r->condition);
        if (v->truth == RL_TRUE)
            printf("      说明：%s\n", v->explanation);
        else
            print_indented(v->failure, "    ");
    }
    const batch_def *batch = &b->items[e->batch];
    printf("\n建议批次：%s%s\n", batch->label, batch->candidate_only ? "（候选）" : "");
    printf("说明：%s\n", e->explanation);
    if (batch->candidate_only)
        printf(
            "另起炉灶仅为候选：须经第三方评估、市级指导和县级集体决策，本程序不会处置任何资产\n");
    if (e->nwarnings) {
        printf("\n成立的项目预警：\n");
        for (size_t i = 0; i < e->nwarnings; i++)
            printf("  %s %s：%s\n", e->warnings[i].rule->code, e->warnings[i].rule->name,
                   e->warnings[i].explanation);
    }
    printf("\n");
    if (!e->stored) {
        printf("尚未保存分类结果（bangfu classify --year %lld）\n", (long long)e->year);
        return;
    }
    char when[32];
    bf_time_format_local(e->stored_at, when, sizeof when);
    printf("已保存的结果：%s（规则 %s，第 %lld 版规则集，%s）\n", e->stored_batch,
           e->stored_rule[0] ? e->stored_rule : "兜底", (long long)e->stored_rule_set_version,
           when);
    if (strcmp(e->stored_batch, batch->label) != 0)
        printf("  与现行规则的结果不同，重新运行 bangfu classify 后更新\n");
    if (e->confirmed_batch) {
        bf_time_format_local(e->confirmed_at, when, sizeof when);
        printf("县级确认：%s（%s，%s%s%s）\n", e->confirmed_batch, e->confirmed_by, when,
               e->reason[0] ? "，原因：" : "", e->reason);
    } else {
        printf("县级尚未确认\n");
    }
}

int cli_cmd_explain(int argc, char **argv)
{
    cargs a;
    int rcode = parse_cargs("explain", argc, argv, &a);
    if (rcode >= 0)
        return rcode;
    if (argc - optind != 2 || strcmp(argv[optind], "project") != 0)
        return cli_usage_error("explain", "用法：bangfu explain project 项目编号 --year 年度");
    if (a.o.year == 0)
        return cli_usage_error("explain", "需要 --year 年度");
    const char *code = argv[optind + 1];
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    bf_arena *arena = bf_arena_new(0);
    rule_set *set = NULL;
    classify_explanation e;
    bf_status rc =
        arena ? cli_open_db(a.o.db, &store, &err) : bf_error_set(&err, BF_ERR_NOMEM, "内存不足");
    if (rc == BF_OK)
        rc = classify_explain(store, code, a.o.year, arena, &e, &set, &err);
    store_close(store);
    if (rc == BF_OK)
        print_explanation(&e);
    rules_set_free(set);
    bf_arena_free(arena);
    return rc ? cli_fail(&err) : 0;
}

/* ---- classification list / confirm / history --------------------------------------- */

enum { L_CODE, L_YEAR, L_PROPOSED, L_RULE, L_EXPLANATION, L_CONFIRMED, L_BY, L_REASON, L_NCOL };

static const char *const list_headers[L_NCOL] = {"项目编号", "年度",     "建议批次", "规则",
                                                 "说明",     "确认批次", "确认人",   "原因"};
static const char *const list_aliases[L_NCOL] = {"code",         "year",        "proposed_batch",
                                                 "rule",         "explanation", "confirmed_batch",
                                                 "confirmed_by", "reason"};

typedef struct {
    cli_format format;
    long rows;
    bf_status write_status;
} list_ctx;

static bf_status list_row(void *vctx, const classify_row *row, bf_error *err)
{
    list_ctx *ctx = vctx;
    ctx->rows++;
    char year[24];
    snprintf(year, sizeof year, "%lld", (long long)row->year);
    if (ctx->format == CLI_FORMAT_CSV) {
        const char *fields[L_NCOL] = {row->project_code,   year,
                                      row->proposed_batch, row->rule_name,
                                      row->explanation,    row->confirmed_batch,
                                      row->confirmed_by,   row->reason};
        bf_status rc = csv_write_row(stdout, fields, NULL, L_NCOL);
        return rc ? bf_error_set(err, rc, "写出失败") : BF_OK;
    }
    if (ctx->format == CLI_FORMAT_JSON) {
        json_error_t jerr;
        json_t *indicators = json_loads(row->indicators, 0, &jerr);
        json_t *obj = json_pack(
            "{s:s, s:s, s:s, s:I, s:s, s:b, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:I}", "code",
            row->project_code, "name", row->project_name, "region_code", row->region_code, "year",
            (json_int_t)row->year, "proposed_batch", row->proposed_batch, "candidate_only",
            row->candidate_only, "rule_code", row->rule_code, "rule", row->rule_name, "explanation",
            row->explanation, "indicators", indicators ? indicators : json_null(),
            "confirmed_batch", row->confirmed_batch, "confirmed_by", row->confirmed_by, "reason",
            row->reason, "rule_set_id", (json_int_t)row->rule_set_id);
        if (!obj)
            return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        char *text = json_dumps(obj, JSON_COMPACT);
        json_decref(obj);
        if (!text)
            return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        printf("%s%s", ctx->rows > 1 ? ",\n" : "", text);
        free(text);
        return BF_OK;
    }
    printf("%-20s %s%s  %-28s %s%s%s\n", row->project_code, row->proposed_batch,
           row->candidate_only ? "（候选）" : "", row->rule_name, row->explanation,
           row->confirmed_batch[0] ? "  已确认：" : "", row->confirmed_batch);
    return BF_OK;
}

static int classification_list(int argc, char **argv)
{
    cargs a;
    int rcode = parse_cargs("classification list", argc, argv, &a);
    if (rcode >= 0)
        return rcode;
    if (optind != argc)
        return cli_usage_error("classification list", "多余的参数 %s", argv[optind]);
    if (a.o.year == 0)
        return cli_usage_error("classification list", "需要 --year 年度");
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    bf_status rc = cli_open_db(a.o.db, &store, &err);
    if (rc)
        return cli_fail(&err);
    list_ctx ctx = {a.o.format, 0, BF_OK};
    if (a.o.format == CLI_FORMAT_CSV) {
        rc = csv_write_bom(stdout);
        if (rc == BF_OK)
            rc = csv_write_row(stdout, a.o.english_headers ? list_aliases : list_headers, NULL,
                               L_NCOL);
    } else if (a.o.format == CLI_FORMAT_JSON) {
        fputs("[\n", stdout);
    }
    if (rc == BF_OK)
        rc = classify_list(store, a.o.year, a.o.has_region ? a.o.prefix : NULL, a.batch, list_row,
                           &ctx, &err);
    store_close(store);
    if (a.o.format == CLI_FORMAT_JSON)
        fputs("\n]\n", stdout);
    if (rc)
        return cli_fail(&err);
    if (a.o.format == CLI_FORMAT_TEXT)
        fprintf(stderr, "共 %ld 个项目\n", ctx.rows);
    return 0;
}

static int classification_confirm(int argc, char **argv)
{
    cargs a;
    int rcode = parse_cargs("classification confirm", argc, argv, &a);
    if (rcode >= 0)
        return rcode;
    if (argc - optind != 1)
        return cli_usage_error("classification confirm", "需要一个参数：项目编号");
    if (a.o.year == 0)
        return cli_usage_error("classification confirm", "需要 --year 年度");
    if (!a.o.by || !a.o.by[0])
        return cli_usage_error("classification confirm", "需要 --by 确认人");
    const char *code = argv[optind];
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    classify_decision d;
    bf_status rc = cli_open_db(a.o.db, &store, &err);
    if (rc == BF_OK)
        rc = classify_decide(store, code, a.o.year, a.batch, a.o.by, a.reason, &d, &err);
    store_close(store);
    if (rc)
        return cli_fail(&err);
    if (d.overridden)
        printf("项目 %s %lld 年：建议批次 %s，改定为 %s（%s）\n", code, (long long)a.o.year,
               d.proposed, d.decided, a.reason);
    else
        printf("项目 %s %lld 年：已确认 %s\n", code, (long long)a.o.year, d.decided);
    if (d.candidate_only)
        printf("另起炉灶仍须经第三方评估、市级指导和县级集体决策，确认本身不处置任何资产\n");
    return 0;
}

static bf_status print_event(void *ctx, const classify_event *e, bf_error *err)
{
    (void)ctx;
    (void)err;
    static const struct {
        const char *event;
        const char *zh;
    } events[] = {{"proposed", "建议"}, {"confirmed", "确认"}, {"overridden", "改定"}};
    const char *zh = e->event;
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        if (strcmp(events[i].event, e->event) == 0)
            zh = events[i].zh;
    char when[32];
    bf_time_format_local(e->at, when, sizeof when);
    printf("%s  %s  %s%s%s", when, zh, e->previous_batch[0] ? e->previous_batch : "",
           e->previous_batch[0] ? " → " : "", e->batch);
    if (e->rule_code[0])
        printf("  规则 %s", e->rule_code);
    if (e->actor[0])
        printf("  %s", e->actor);
    if (e->reason[0])
        printf("  原因：%s", e->reason);
    if (e->explanation[0])
        printf("  %s", e->explanation);
    putchar('\n');
    return BF_OK;
}

static int classification_history(int argc, char **argv)
{
    cargs a;
    int rcode = parse_cargs("classification history", argc, argv, &a);
    if (rcode >= 0)
        return rcode;
    if (argc - optind != 1 || a.o.year == 0)
        return cli_usage_error("classification history", "用法：项目编号 --year 年度");
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    bf_status rc = cli_open_db(a.o.db, &store, &err);
    if (rc == BF_OK)
        rc = classify_history(store, argv[optind], a.o.year, print_event, NULL, &err);
    store_close(store);
    return rc ? cli_fail(&err) : 0;
}

static const cli_subcommand classification_subcommands[] = {
    {"list", classification_list},
    {"confirm", classification_confirm},
    {"history", classification_history},
};

int cli_cmd_classification(int argc, char **argv)
{
    return cli_run_subcommand(
        "classification", classification_subcommands,
        sizeof classification_subcommands / sizeof classification_subcommands[0], argc, argv);
}
