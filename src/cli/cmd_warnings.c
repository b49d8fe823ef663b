/*
 * cmd_warnings.c - `bangfu warnings` (list, ack, resolve): the risk warnings
 * of projects and households and their life open -> acknowledged -> resolved.
 */
#include "cli/cli.h"
#include "core/date.h"
#include "domain/indicators.h"
#include "domain/warnings.h"
#include "io/csv_write.h"
#include "io/validate.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options of the warnings commands: the shared ones and --status, --kind. */
enum { OPT_STATUS = 1, OPT_KIND };

static const struct option warnings_own_options[] = {
    {"status", required_argument, NULL, OPT_STATUS},
    {"kind", required_argument, NULL, OPT_KIND},
    {NULL, 0, NULL, 0},
};

/* --kind's words: English and Chinese. */
static const struct {
    const char *word;
    ind_subject subject;
} warnings_kinds[] = {
    {"project", IND_PROJECT},
    {"项目", IND_PROJECT},
    {"household", IND_HOUSEHOLD},
    {"农户", IND_HOUSEHOLD},
};

typedef struct {
    cli_options o;
    warn_filter filter;
} wargs;

static int warnings_own_option(void *ctx, const char *command, int opt, const char *arg)
{
    wargs *a = ctx;
    if (opt == OPT_STATUS) {
        a->filter.status = warn_status_find(arg);
        if (a->filter.status < 0)
            return cli_usage_error(command, "--status 只能是 open、acknowledged 或 resolved"
                                            "（待处理、已知悉、已解除）");
        return -1;
    }
    for (size_t i = 0; i < sizeof warnings_kinds / sizeof warnings_kinds[0]; i++)
        if (strcmp(arg, warnings_kinds[i].word) == 0) {
            a->filter.subject = (int)warnings_kinds[i].subject;
            return -1;
        }
    return cli_usage_error(command, "--kind 只能是 project 或 household");
}

static int parse_wargs(const char *command, int argc, char **argv, wargs *a)
{
    memset(&a->filter, 0, sizeof a->filter);
    a->filter.status = -1;
    a->filter.subject = -1;
    const cli_option_spec spec = {
        .shared =
            CLI_DB | CLI_YEAR | CLI_REGION | CLI_BY | CLI_NOTE | CLI_FORMAT | CLI_ENGLISH_HEADERS,
        .check_region = true,
        .own = warnings_own_options,
        .on_own = warnings_own_option,
        .ctx = a,
    };
    int rcode = cli_parse_options(command, argc, argv, &spec, &a->o);
    a->filter.year = a->o.year;
    if (a->o.has_region)
        a->filter.region_prefix = a->o.prefix;
    return rcode;
}

enum { W_KIND, W_CODE, W_YEAR, W_RULE, W_EXPLANATION, W_STATUS, W_ID, W_NCOL };

static const char *const warn_headers[W_NCOL] = {"对象类型", "对象编号", "年度",    "规则",
                                                 "说明",     "状态",     "预警编号"};
static const char *const warn_aliases[W_NCOL] = {"subject_kind", "subject_code", "year", "rule",
                                                 "explanation",  "status",       "id"};

typedef struct {
    cli_format format;
    bool aliases;
    long rows;
} list_ctx;

static bf_status list_row(void *vctx, const warn_row *row, bf_error *err)
{
    list_ctx *ctx = vctx;
    ctx->rows++;
    char year[24], id[24];
    snprintf(year, sizeof year, "%lld", (long long)row->year);
    snprintf(id, sizeof id, "%lld", (long long)row->id);
    if (ctx->format == CLI_FORMAT_CSV) {
        const char *fields[W_NCOL] = {
            ctx->aliases ? ind_subject_name(row->subject) : ind_subject_zh(row->subject),
            row->subject_code,
            year,
            row->rule_name,
            row->explanation,
            ctx->aliases ? warn_status_name(row->status) : warn_status_zh(row->status),
            id};
        bf_status rc = csv_write_row(stdout, fields, NULL, W_NCOL);
        return rc ? bf_error_set(err, rc, "写出失败") : BF_OK;
    }
    if (ctx->format == CLI_FORMAT_JSON) {
        json_t *obj = json_pack(
            "{s:I, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:s, s:I, s:s, s:s, "
            "s:I, s:s}",
            "id", (json_int_t)row->id, "subject_kind", ind_subject_name(row->subject),
            "subject_code", row->subject_code, "region_code", row->region_code, "year",
            (json_int_t)row->year, "rule_code", row->rule_code, "rule", row->rule_name,
            "warning_type", row->warning_type, "explanation", row->explanation, "status",
            warn_status_name(row->status), "firing", row->firing, "opened_at",
            (json_int_t)row->opened_at, "acknowledged_by", row->acknowledged_by, "acknowledged_at",
            (json_int_t)row->acknowledged_at, "acknowledged_note", row->acknowledged_note,
            "resolved_by", row->resolved_by, "resolved_at", (json_int_t)row->resolved_at,
            "resolved_note", row->resolved_note);
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
    printf("#%-6lld %s %-20s %lld  %-10s %s：%s  [%s%s]\n", (long long)row->id,
           ind_subject_zh(row->subject), row->subject_code, (long long)row->year, row->warning_type,
           row->rule_name, row->explanation, warn_status_zh(row->status),
           row->status != WARN_RESOLVED && !row->firing ? "，本次已不成立" : "");
    return BF_OK;
}

static int warnings_list(int argc, char **argv)
{
    wargs a;
    int rcode = parse_wargs("warnings list", argc, argv, &a);
    if (rcode >= 0)
        return rcode;
    if (optind != argc)
        return cli_usage_error("warnings list", "多余的参数 %s", argv[optind]);
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    bf_status rc = cli_open_db(a.o.db, &store, &err);
    if (rc)
        return cli_fail(&err);
    list_ctx ctx = {a.o.format, a.o.english_headers, 0};
    if (a.o.format == CLI_FORMAT_CSV) {
        rc = csv_write_bom(stdout);
        if (rc == BF_OK)
            rc = csv_write_row(stdout, a.o.english_headers ? warn_aliases : warn_headers, NULL,
                               W_NCOL);
    } else if (a.o.format == CLI_FORMAT_JSON) {
        fputs("[\n", stdout);
    }
    if (rc == BF_OK)
        rc = warn_list(store, &a.filter, list_row, &ctx, &err);
    store_close(store);
    if (a.o.format == CLI_FORMAT_JSON)
        fputs("\n]\n", stdout);
    if (rc)
        return cli_fail(&err);
    if (a.o.format == CLI_FORMAT_TEXT)
        fprintf(stderr, "共 %ld 条预警\n", ctx.rows);
    return 0;
}

static int warnings_move(const char *command, warn_status to, int argc, char **argv)
{
    wargs a;
    int rcode = parse_wargs(command, argc, argv, &a);
    if (rcode >= 0)
        return rcode;
    if (argc - optind != 1)
        return cli_usage_error(command, "需要一个参数：预警编号");
    if (!a.o.by || !a.o.by[0])
        return cli_usage_error(command, "需要 --by 处理人");
    int64_t id = 0;
    const char *reason = NULL;
    if (!bf_int_parse(argv[optind], strlen(argv[optind]), 1, INT64_MAX, &id, &reason))
        return cli_usage_error(command, "预警编号无效：%s", argv[optind]);
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    bf_status rc = cli_open_db(a.o.db, &store, &err);
    if (rc == BF_OK)
        rc = warn_transition(store, id, NULL, to, a.o.by, a.o.note, &err);
    store_close(store);
    if (rc)
        return cli_fail(&err);
    printf("预警 %lld 已改为“%s”\n", (long long)id, warn_status_zh(to));
    return 0;
}

static int warnings_ack(int argc, char **argv)
{
    return warnings_move("warnings ack", WARN_ACKNOWLEDGED, argc, argv);
}

static int warnings_resolve(int argc, char **argv)
{
    return warnings_move("warnings resolve", WARN_RESOLVED, argc, argv);
}

static const cli_subcommand warnings_subcommands[] = {
    {"list", warnings_list},
    {"ack", warnings_ack},
    {"resolve", warnings_resolve},
};

int cli_cmd_warnings(int argc, char **argv)
{
    return cli_run_subcommand("warnings", warnings_subcommands,
                              sizeof warnings_subcommands / sizeof warnings_subcommands[0], argc,
                              argv);
}
