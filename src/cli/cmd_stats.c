/*
 * cmd_stats.c - `bangfu stats`: counts of regions per level and of every
 * registry, for a region subtree, as text or JSON (for scripts).
 */
#include "cli/cli.h"
#include "domain/stats.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

enum { OPT_DB = 1, OPT_REGION, OPT_FORMAT };

static const struct option stats_options[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"region", required_argument, NULL, OPT_REGION},
    {"format", required_argument, NULL, OPT_FORMAT},
    {NULL, 0, NULL, 0},
};

int cli_cmd_stats(int argc, char **argv)
{
    const char *db_option = NULL, *region = NULL, *format = "text";
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", stats_options, NULL)) != -1) {
        switch (opt) {
        case OPT_DB:
            db_option = optarg;
            break;
        case OPT_REGION:
            region = optarg;
            break;
        case OPT_FORMAT:
            format = optarg;
            break;
        default:
            return cli_usage_error("stats", "无法识别的参数");
        }
    }
    if (optind != argc)
        return cli_usage_error("stats", "多余的参数 %s", argv[optind]);
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
        return cli_usage_error("stats", "--format 只能是 text 或 json");
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    stats_counts counts;
    bf_status rc = cli_open_db(db_option, &store, &err);
    if (rc == BF_OK)
        rc = stats_count(store, region, &counts, &err);
    if (rc == BF_OK && region) {
        /* The subtree holds the region itself: none counted, no such region. */
        int64_t regions = 0;
        for (int level = BF_LEVEL_PROVINCE; level <= BF_LEVEL_VILLAGE; level++)
            regions += counts.regions[level];
        if (regions == 0)
            rc = bf_error_set(&err, BF_ERR_NOT_FOUND, "区划 %s 不存在，请先导入行政区划", region);
    }
    store_close(store);
    if (rc)
        return cli_fail(&err);
    if (strcmp(format, "json") == 0) {
        json_t *root = stats_to_json(&counts);
        char *text = root ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(root);
        if (!text) {
            bf_error_set(&err, BF_ERR_NOMEM, "内存不足");
            return cli_fail(&err);
        }
        puts(text);
        free(text);
        return 0;
    }
    printf("行政区划：省 %lld，市 %lld，县 %lld，乡镇 %lld，村 %lld\n",
           (long long)counts.regions[BF_LEVEL_PROVINCE], (long long)counts.regions[BF_LEVEL_CITY],
           (long long)counts.regions[BF_LEVEL_COUNTY], (long long)counts.regions[BF_LEVEL_TOWNSHIP],
           (long long)counts.regions[BF_LEVEL_VILLAGE]);
    for (int kind = TPL_PROJECTS; kind < TPL_KIND_COUNT; kind++)
        printf("%s：%lld\n", tpl_get((tpl_kind)kind)->name_zh, (long long)counts.records[kind]);
    return 0;
}
