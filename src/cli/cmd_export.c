/*
 * cmd_export.c - `bangfu export KIND`: a registry in its import template as
 * CSV (stdout or -o FILE) or XLSX (-o FILE), scoped to --region, with ID
 * numbers masked unless --reveal.
 */
#include "cli/cli.h"
#include "domain/export.h"
#include "domain/pii.h"
#include "io/validate.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

enum {
    OPT_DB = 1,
    OPT_FORMAT,
    OPT_REGION,
    OPT_OUTPUT,
    OPT_REVEAL,
    OPT_KEY_FILE,
    OPT_ALIASES,
    OPT_EMPTY
};

static const struct option export_options_table[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"region", required_argument, NULL, OPT_REGION},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"reveal", no_argument, NULL, OPT_REVEAL},
    {"key-file", required_argument, NULL, OPT_KEY_FILE},
    {"english-headers", no_argument, NULL, OPT_ALIASES},
    {"empty", no_argument, NULL, OPT_EMPTY},
    {NULL, 0, NULL, 0},
};

/* --region must name a region of the database: a mistyped code is an error,
 * not an empty file. A malformed code is left to export_file to report. */
static bf_status region_must_exist(bf_store *store, const char *region, bf_error *err)
{
    char code[13];
    const char *reason = NULL;
    if (!bf_region_code_normalize(region, strlen(region), code, &reason))
        return BF_OK;
    int64_t found = 0;
    bf_status rc = store_query_int64(store, "SELECT COUNT(*) FROM regions WHERE code = ?", &found,
                                     err, 1, code);
    if (rc == BF_OK && found == 0)
        rc = bf_error_set(err, BF_ERR_NOT_FOUND, "区划 %s 不存在，请先导入行政区划", region);
    return rc;
}

int cli_cmd_export(int argc, char **argv)
{
    const char *db_option = NULL, *format_name = NULL, *output = NULL, *key_option = NULL;
    export_options options = {0};
    bool empty = false;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:", export_options_table, NULL)) != -1) {
        switch (opt) {
        case OPT_DB:
            db_option = optarg;
            break;
        case OPT_FORMAT:
            format_name = optarg;
            break;
        case OPT_REGION:
            options.region_code = optarg;
            break;
        case 'o':
        case OPT_OUTPUT:
            output = optarg;
            break;
        case OPT_REVEAL:
            options.reveal = true;
            break;
        case OPT_KEY_FILE:
            key_option = optarg;
            break;
        case OPT_ALIASES:
            options.header_aliases = true;
            break;
        case OPT_EMPTY:
            empty = true;
            break;
        default:
            return cli_usage_error("export", "无法识别的参数");
        }
    }
    if (argc - optind != 1)
        return cli_usage_error("export", "需要一个参数：类型");
    const tpl_template *tpl = tpl_find(argv[optind]);
    if (!tpl)
        return cli_usage_error("export", "未知的类型 %s", argv[optind]);
    export_format format = EXPORT_CSV;
    if (!format_name && output) {
        size_t len = strlen(output);
        if (len > 5 && strcmp(output + len - 5, ".xlsx") == 0)
            format = EXPORT_XLSX;
    } else if (format_name && strcmp(format_name, "xlsx") == 0) {
        format = EXPORT_XLSX;
    } else if (format_name && strcmp(format_name, "csv") != 0) {
        return cli_usage_error("export", "--format 只能是 csv 或 xlsx");
    }
    bf_error err;
    bf_error_clear(&err);
    if (empty) {
        if (!output)
            return cli_usage_error("export", "--empty 需要用 -o 指定输出文件");
        bf_status rc = export_empty_template(tpl->kind, format, output, &err);
        return rc ? cli_fail(&err) : 0;
    }
    bf_store *store = NULL;
    pii_keys *keys = NULL;
    long rows = 0;
    bf_status rc = cli_open_db(db_option, &store, &err);
    if (rc == BF_OK && options.region_code)
        rc = region_must_exist(store, options.region_code, &err);
    if (rc == BF_OK && options.reveal) {
        char key_path[4096];
        pii_key_path(store_default_target(db_option), key_option, key_path, sizeof key_path);
        rc = pii_keys_load(key_path, &keys, &err);
        options.keys = keys;
    }
    if (rc == BF_OK)
        rc = export_file(store, tpl->kind, format, output, &options, &rows, &err);
    pii_keys_free(keys);
    store_close(store);
    if (rc)
        return cli_fail(&err);
    if (output && strcmp(output, "-") != 0)
        fprintf(stderr, "已导出%s %ld 行到 %s\n", tpl->name_zh, rows, output);
    return 0;
}
