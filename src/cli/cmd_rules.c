/*
 * cmd_rules.c - `bangfu rules` (export, import, list, indicators) and
 * `bangfu thresholds` (set, list, import): the rule sets and monitoring
 * thresholds as data.
 */
#include "cli/cli.h"
#include "core/date.h"
#include "core/money.h"
#include "domain/indicators.h"
#include "domain/rules.h"
#include "domain/thresholds.h"
#include "io/validate.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options of the rules and thresholds commands: the shared ones (--region
 * kept as given: only `thresholds set` checks it) and their own. */
enum { OPT_VERSION = 1, OPT_OUTPUT, OPT_DRY_RUN, OPT_YUAN, OPT_HISTORY };

static const struct option rules_own_options[] = {
    {"version", required_argument, NULL, OPT_VERSION},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"yuan", required_argument, NULL, OPT_YUAN},
    {"history", no_argument, NULL, OPT_HISTORY},
    {NULL, 0, NULL, 0},
};

typedef struct {
    cli_options o;
    const char *output, *yuan;
    int64_t version;
    bool dry_run, history;
} rules_args;

static int rules_own_option(void *ctx, const char *command, int opt, const char *arg)
{
    rules_args *a = ctx;
    const char *reason = NULL;
    switch (opt) {
    case OPT_VERSION:
        if (!bf_int_parse(arg, strlen(arg), 1, 1000000, &a->version, &reason))
            return cli_usage_error(command, "--version 无效：%s", reason ? reason : arg);
        return -1;
    case 'o':
    case OPT_OUTPUT:
        a->output = arg;
        return -1;
    case OPT_DRY_RUN:
        a->dry_run = true;
        return -1;
    case OPT_YUAN:
        a->yuan = arg;
        return -1;
    case OPT_HISTORY:
        a->history = true;
        return -1;
    default:
        return cli_usage_error(command, "无法识别的参数");
    }
}

/* Parse the options after the sub-command; positional arguments stay in argv[optind..]. */
static int parse_args(const char *command, int argc, char **argv, rules_args *a)
{
    memset(a, 0, sizeof *a);
    const cli_option_spec spec = {
        .shared = CLI_DB | CLI_YEAR | CLI_REGION | CLI_BY | CLI_NOTE | CLI_ENGLISH_HEADERS,
        .short_opts = "o:",
        .own = rules_own_options,
        .on_own = rules_own_option,
        .ctx = a,
    };
    return cli_parse_options(command, argc, argv, &spec, &a->o);
}

/* ---- rules --------------------------------------------------------------------- */

typedef struct {
    const char *file;
    int count;
} problem_printer;

/* One problem: "文件:行 规则 T1 条件（第 12 个字符）：message" and a caret line. */
static void print_problem(void *vctx, const rules_problem *p)
{
    problem_printer *pp = vctx;
    pp->count++;
    if (p->row > 0)
        fprintf(stderr, "%s 第 %ld 行", pp->file, p->row);
    else
        fprintf(stderr, "%s", pp->file);
    if (p->rule_code && p->rule_code[0])
        fprintf(stderr, "（规则 %s）", p->rule_code);
    if (p->column && p->column[0]) {
        fprintf(stderr, "“%s”列", p->column);
        if (p->diag)
            fprintf(stderr, "第 %zu 个字符", p->diag->column);
    }
    fprintf(stderr, "：%s\n", p->message);
    if (p->diag && p->source) {
        bf_buf caret;
        bf_buf_init(&caret, 64 * 1024);
        if (rl_diag_caret(p->source, strlen(p->source), p->diag, &caret) == BF_OK)
            fputs(caret.data, stderr);
        bf_buf_free(&caret);
    }
}

static int rules_import(int argc, char **argv)
{
    rules_args a;
    int rcode = parse_args("rules import", argc, argv, &a);
    if (rcode >= 0)
        return rcode;
    if (argc - optind != 1)
        return cli_usage_error("rules import", "需要一个参数：规则文件（CSV 或 XLSX）");
    const char *path = argv[optind];
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    bf_status rc = cli_open_db(a.o.db, &store, &err);
    if (rc)
        return cli_fail(&err);
    const char *base = strrchr(path, '/');
    rules_import_options options = {
        .year = a.o.year,
        .source = base ? base + 1 : path,
        .note = a.o.note,
        .actor = a.o.actor,
        .dry_run = a.dry_run,
    };
    problem_printer pp = {path, 0};
    rule_set *set = NULL;
    rc = rules_import_file(store, path, &options, print_problem, &pp, &set, &err);
    store_close(store);
    if (rc) {
        rules_set_free(set);
        return cli_fail(&err);
    }
    if (a.dry_run)
        printf("检查通过：%lld 年规则集共 %zu 条规则（未保存）\n", (long long)set->year,
               set->nrules);
    else
        printf("已导入 %lld 年第 %lld 版规则集，共 %zu 条规则\n", (long long)set->year,
               (long long)set->version, set->nrules);
    rules_set_free(set);
    return 0;
}

static int rules_export(int argc, char **argv)
{
    rules_args a;
    int rcode = parse_args("rules export", argc, argv, &a);
    if (rcode >= 0)
        return rcode;
    if (optind != argc)
        return cli_usage_error("rules export", "多余的参数 %s", argv[optind]);
    if (a.o.year == 0)
        return cli_usage_error("rules export", "需要 --year 年度");
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    rule_set *set = NULL;
    batch_table batches;
    FILE *fp = stdout;
    bf_status rc = cli_open_db(a.o.db, &store, &err);
    if (rc == BF_OK)
        rc = rules_batches_load(store, &batches, &err);
    if (rc == BF_OK)
        rc = a.version ? rules_load_version(store, a.o.year, a.version, &set, &err)
                       : rules_load_for_year(store, a.o.year, &set, &err);
    store_close(store);
    if (rc)
        return cli_fail(&err);
    int64_t set_year = set->year, set_version = set->version;
    /* The export is the set in force for --year, written as that year's set. */
    set->year = a.o.year;
    if (a.output && strcmp(a.output, "-") != 0) {
        fp = fopen(a.output, "wb");
        if (!fp) {
            rules_set_free(set);
            bf_error_set(&err, BF_ERR_IO, "无法写入文件 %s", a.output);
            return cli_fail(&err);
        }
    }
    rc = rules_write_csv(set, &batches, a.o.english_headers, fp, &err);
    if (fp != stdout && fclose(fp) != 0 && rc == BF_OK)
        rc = bf_error_set(&err, BF_ERR_IO, "无法写入文件 %s", a.output);
    if (rc == BF_OK) {
        if (set_year != a.o.year)
            fprintf(stderr, "%lld 年沿用 %lld 年第 %lld 版规则集（共 %zu 条规则）\n",
                    (long long)a.o.year, (long long)set_year, (long long)set_version, set->nrules);
        else
            fprintf(stderr, "%lld 年第 %lld 版规则集，共 %zu 条规则\n", (long long)set_year,
                    (long long)set_version, set->nrules);
    }
    rules_set_free(set);
    return rc ? cli_fail(&err) : 0;
}

static bf_status print_set(void *ctx, const rules_set_info *info, bf_error *err)
{
    (void)ctx;
    (void)err;
    char when[32];
    bf_time_format_local(info->created_at, when, sizeof when);
    printf("%lld 年 第 %lld 版%s  %lld 条规则  %s  %s  来源 %s%s%s\n", (long long)info->year,
           (long long)info->version, info->latest ? "（现行）" : "      ", (long long)info->nrules,
           when, info->created_by, info->source, info->note[0] ? "  备注 " : "", info->note);
    return BF_OK;
}

static int rules_list(int argc, char **argv)
{
    rules_args a;
    int rcode = parse_args("rules list", argc, argv, &a);
    if (rcode >= 0)
        return rcode;
    if (optind != argc)
        return cli_usage_error("rules list", "多余的参数 %s", argv[optind]);
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    bf_status rc = cli_open_db(a.o.db, &store, &err);
    if (rc == BF_OK)
        rc = rules_list_sets(store, a.o.year, print_set, NULL, &err);
    store_close(store);
    return rc ? cli_fail(&err) : 0;
}

static int rules_indicators(int argc, char **argv)
{
    rules_args a;
    int rcode = parse_args("rules indicators", argc, argv, &a);
    if (rcode >= 0)
        return rcode;
    static const ind_subject subjects[] = {IND_PROJECT, IND_HOUSEHOLD};
    static const char *const type_zh[] = {"", "数值", "枚举", "真假"};
    for (size_t s = 0; s < sizeof subjects / sizeof subjects[0]; s++) {
        const rl_symtab *tab = ind_symtab(subjects[s]);
        printf("%s指标（%s规则可用）：\n", ind_subject_zh(subjects[s]),
               subjects[s] == IND_PROJECT ? "批次和项目预警" : "农户预警");
        for (size_t i = 0; i < tab->count; i++) {
            const rl_symbol *sym = &tab->symbols[i];
            printf("  %-28s %s（%s%s%s）", sym->name, sym->zh, type_zh[sym->type],
                   sym->unit_zh[0] ? "，单位 " : "", sym->unit_zh);
            if (sym->type == RL_ENUM) {
                char values[512];
                tpl_enum_list_zh(sym->enumeration, values, sizeof values);
                printf("：%s", values);
            }
            putchar('\n');
        }
    }
    return 0;
}

static const cli_subcommand rules_subcommands[] = {
    {"import", rules_import},
    {"export", rules_export},
    {"list", rules_list},
    {"indicators", rules_indicators},
};

int cli_cmd_rules(int argc, char **argv)
{
    return cli_run_subcommand("rules", rules_subcommands,
                              sizeof rules_subcommands / sizeof rules_subcommands[0], argc, argv);
}

/* ---- thresholds -------------------------------------------------------------------- */

static bool normalize_region(const char *command, const char *text, char out[13], int *rcode)
{
    const char *reason = NULL;
    if (!bf_region_code_normalize(text, strlen(text), out, &reason)) {
        *rcode = cli_usage_error(command, "--region 无效：%s", reason ? reason : text);
        return false;
    }
    return true;
}

static int thresholds_set(int argc, char **argv)
{
    rules_args a;
    int rcode = parse_args("thresholds set", argc, argv, &a);
    if (rcode >= 0)
        return rcode;
    if (optind != argc)
        return cli_usage_error("thresholds set", "多余的参数 %s", argv[optind]);
    if (a.o.year == 0 || !a.yuan)
        return cli_usage_error("thresholds set", "需要 --year 年度 和 --yuan 金额（元/人·年）");
    int64_t fen = 0;
    const char *reason = NULL;
    if (!bf_money_parse(a.yuan, strlen(a.yuan), false, &fen, &reason))
        return cli_usage_error("thresholds set", "--yuan 无效：%s", reason ? reason : a.yuan);
    char region[13];
    if (a.o.region_text && !normalize_region("thresholds set", a.o.region_text, region, &rcode))
        return rcode;
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    bf_status rc = cli_open_db(a.o.db, &store, &err);
    if (rc == BF_OK)
        rc = thr_set(store, a.o.year, a.o.region_text ? region : NULL, fen, a.o.actor, a.o.note,
                     &err);
    store_close(store);
    if (rc)
        return cli_fail(&err);
    char yuan[32];
    bf_money_format(fen, yuan, sizeof yuan);
    printf("已设置 %lld 年监测范围：人均纯收入 %s 元/年\n", (long long)a.o.year, yuan);
    return 0;
}

static bf_status print_threshold(void *ctx, const thr_row *row, bf_error *err)
{
    (void)err;
    bool *any = ctx;
    *any = true;
    char yuan[32], when[32];
    bf_money_format(row->fen, yuan, sizeof yuan);
    bf_time_format_local(row->set_at, when, sizeof when);
    printf("%lld 年  %s %-12s  %10s 元/人·年  %s  %s%s%s%s\n", (long long)row->year,
           row->region_code, row->region_name, yuan, when, row->set_by,
           row->current ? "" : "（已被替换）", row->note[0] ? "  " : "", row->note);
    return BF_OK;
}

static int thresholds_list(int argc, char **argv)
{
    rules_args a;
    int rcode = parse_args("thresholds list", argc, argv, &a);
    if (rcode >= 0)
        return rcode;
    if (optind != argc)
        return cli_usage_error("thresholds list", "多余的参数 %s", argv[optind]);
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    bool any = false;
    bf_status rc = cli_open_db(a.o.db, &store, &err);
    if (rc == BF_OK)
        rc = thr_list(store, a.o.year, a.history, print_threshold, &any, &err);
    store_close(store);
    if (rc)
        return cli_fail(&err);
    if (!any)
        printf("尚未设置监测范围（bangfu thresholds set --year 年度 --yuan 金额）\n");
    return 0;
}

static void print_threshold_problem(void *ctx, long row, const char *column, const char *value,
                                    const char *reason)
{
    const char *file = ctx;
    fprintf(stderr, "%s 第 %ld 行“%s”列%s%s%s：%s\n", file, row, column, value[0] ? "（" : "",
            value, value[0] ? "）" : "", reason);
}

static int thresholds_import(int argc, char **argv)
{
    rules_args a;
    int rcode = parse_args("thresholds import", argc, argv, &a);
    if (rcode >= 0)
        return rcode;
    if (argc - optind != 1)
        return cli_usage_error("thresholds import", "需要一个参数：文件（CSV 或 XLSX）");
    const char *path = argv[optind];
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    bf_sheet *sheet = NULL;
    long count = 0;
    bf_status rc = cli_open_db(a.o.db, &store, &err);
    if (rc == BF_OK)
        rc = bf_sheet_open(path, NULL, &sheet, &err);
    if (rc == BF_OK)
        rc = thr_import_sheet(store, sheet, a.o.actor, print_threshold_problem, (void *)path,
                              &count, &err);
    bf_sheet_close(sheet);
    store_close(store);
    if (rc)
        return cli_fail(&err);
    printf("已导入 %ld 条监测范围\n", count);
    return 0;
}

static const cli_subcommand thresholds_subcommands[] = {
    {"set", thresholds_set},
    {"list", thresholds_list},
    {"import", thresholds_import},
};

int cli_cmd_thresholds(int argc, char **argv)
{
    return cli_run_subcommand("thresholds", thresholds_subcommands,
                              sizeof thresholds_subcommands / sizeof thresholds_subcommands[0],
                              argc, argv);
}
