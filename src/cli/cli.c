/*
 * cli.c - helpers shared by the sub-commands: error and usage messages,
 * opening the database, and parsing the options several commands share
 * (--db, --year, --region, --by, --note, --format, --english-headers).
 */
#include "cli/cli.h"
#include "domain/indicators.h"
#include "io/validate.h"
#include "store/migrate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_fail(const bf_error *err)
{
    fprintf(stderr, "bangfu: %s\n", bf_error_text(err));
    return bf_status_exit_code(err->status ? err->status : BF_ERR_INTERNAL);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "bangfu %s: ", command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n用法请见 bangfu %s --help\n", command);
    return bf_status_exit_code(BF_ERR_USAGE);
}

bf_status cli_open_db(const char *db_option, bf_store **out, bf_error *err)
{
    const char *target = store_default_target(db_option);
    bf_status rc = store_open(target, false, out, err);
    if (rc)
        return rc;
    rc = store_check_schema(*out, err);
    if (rc) {
        store_close(*out);
        *out = NULL;
    }
    return rc;
}

bool cli_wants_help(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return true;
        }
    }
    return false;
}

bool cli_stderr_is_tty(void)
{
    return isatty(STDERR_FILENO) == 1;
}

int cli_run_subcommand(const char *command, const cli_subcommand *table, size_t n, int argc,
                       char **argv)
{
    if (argc >= 2)
        for (size_t i = 0; i < n; i++)
            if (strcmp(argv[1], table[i].name) == 0)
                return table[i].run(argc - 1, argv + 1);
    if (argc >= 2)
        return cli_usage_error(command, "未知的子命令 %s", argv[1]);
    /* "a、b 或 c" */
    char names[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < n && len < sizeof names; i++)
        len += (size_t)snprintf(names + len, sizeof names - len, "%s%s",
                                i == 0       ? ""
                                : i + 1 == n ? " 或 "
                                             : "、",
                                table[i].name);
    return cli_usage_error(command, "需要子命令：%s", names);
}

/* ---- shared options ------------------------------------------------------------ */

enum {
    OPT_DB = CLI_OPT_SHARED,
    OPT_YEAR,
    OPT_REGION,
    OPT_BY,
    OPT_NOTE,
    OPT_FORMAT,
    OPT_ENGLISH_HEADERS,
};

static const struct {
    unsigned flag;
    struct option option;
} cli_shared_options[] = {
    {CLI_DB, {"db", required_argument, NULL, OPT_DB}},
    {CLI_YEAR, {"year", required_argument, NULL, OPT_YEAR}},
    {CLI_REGION, {"region", required_argument, NULL, OPT_REGION}},
    {CLI_BY, {"by", required_argument, NULL, OPT_BY}},
    {CLI_NOTE, {"note", required_argument, NULL, OPT_NOTE}},
    {CLI_FORMAT, {"format", required_argument, NULL, OPT_FORMAT}},
    {CLI_ENGLISH_HEADERS, {"english-headers", no_argument, NULL, OPT_ENGLISH_HEADERS}},
};
#define CLI_NSHARED (sizeof cli_shared_options / sizeof cli_shared_options[0])
/* Room for a command's own long options. */
#define CLI_MAX_OWN 24

static const struct {
    const char *name;
    cli_format format;
} cli_formats[] = {
    {"text", CLI_FORMAT_TEXT},
    {"csv", CLI_FORMAT_CSV},
    {"json", CLI_FORMAT_JSON},
};

/* One shared option; -1 when taken, else the usage error's exit code. */
static int cli_shared_option(const char *command, const cli_option_spec *spec, int opt,
                             const char *arg, cli_options *out)
{
    const char *reason = NULL;
    switch (opt) {
    case OPT_DB:
        out->db = arg;
        return -1;
    case OPT_YEAR: {
        int64_t lo = spec->year_min, hi = spec->year_max;
        if (lo == 0 && hi == 0) {
            lo = 2000;
            hi = 2100;
        }
        if (!bf_int_parse(arg, strlen(arg), lo, hi, &out->year, &reason))
            return cli_usage_error(command, "--year 无效：%s", reason ? reason : arg);
        return -1;
    }
    case OPT_REGION:
        out->region_text = arg;
        if (!spec->check_region)
            return -1;
        if (!bf_region_code_normalize(arg, strlen(arg), out->region, &reason))
            return cli_usage_error(command, "--region 无效：%s", reason ? reason : arg);
        ind_region_prefix(out->region, out->prefix);
        out->has_region = true;
        return -1;
    case OPT_BY:
        out->by = arg;
        return -1;
    case OPT_NOTE:
        out->note = arg;
        return -1;
    case OPT_FORMAT:
        for (size_t i = 0; i < sizeof cli_formats / sizeof cli_formats[0]; i++)
            if (strcmp(arg, cli_formats[i].name) == 0) {
                out->format = cli_formats[i].format;
                return -1;
            }
        return cli_usage_error(command, "--format 只能是 text、csv 或 json");
    case OPT_ENGLISH_HEADERS:
        out->english_headers = true;
        return -1;
    default:
        return cli_usage_error(command, "无法识别的参数");
    }
}

int cli_parse_options(const char *command, int argc, char **argv, const cli_option_spec *spec,
                      cli_options *out)
{
    memset(out, 0, sizeof *out);
    struct option table[CLI_NSHARED + CLI_MAX_OWN + 1];
    size_t n = 0;
    for (size_t i = 0; i < CLI_NSHARED; i++)
        if (spec->shared & cli_shared_options[i].flag)
            table[n++] = cli_shared_options[i].option;
    for (size_t i = 0; spec->own && spec->own[i].name; i++) {
        if (i == CLI_MAX_OWN) {
            bf_error err;
            bf_error_clear(&err);
            bf_error_set(&err, BF_ERR_INTERNAL, "%s 的参数过多", command);
            return cli_fail(&err);
        }
        table[n++] = spec->own[i];
    }
    memset(&table[n], 0, sizeof table[n]);

    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, spec->short_opts ? spec->short_opts : "", table, NULL)) !=
           -1) {
        int rcode;
        if (opt >= CLI_OPT_SHARED)
            rcode = cli_shared_option(command, spec, opt, optarg, out);
        else if (opt != '?' && spec->on_own)
            rcode = spec->on_own(spec->ctx, command, opt, optarg);
        else
            rcode = cli_usage_error(command, "无法识别的参数");
        if (rcode >= 0)
            return rcode;
    }
    if (out->by && out->by[0]) {
        snprintf(out->actor, sizeof out->actor, "%s", out->by);
    } else {
        const char *login = getenv("USER");
        snprintf(out->actor, sizeof out->actor, "cli:%s", login && *login ? login : "unknown");
    }
    return -1;
}
