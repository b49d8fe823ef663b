/*
 * cmd_import.c - `bangfu import KIND FILE`: runs an import and writes the
 * error report (CSV 行号,列,值,原因 to --errors, or readable lines to stderr),
 * a progress line on a terminal, and a summary.
 */
#include "cli/cli.h"
#include "core/date.h"
#include "domain/import.h"
#include "domain/pii.h"
#include "io/csv_write.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    OPT_DB = 1,
    OPT_ERRORS,
    OPT_DRY_RUN,
    OPT_SKIP_BAD,
    OPT_IGNORE_UNKNOWN,
    OPT_SHEET,
    OPT_PROVINCE,
    OPT_KEY_FILE,
    OPT_REGION
};

static const struct option import_options_table[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"errors", required_argument, NULL, OPT_ERRORS},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
    {"ignore-unknown", no_argument, NULL, OPT_IGNORE_UNKNOWN},
    {"sheet", required_argument, NULL, OPT_SHEET},
    {"province", required_argument, NULL, OPT_PROVINCE},
    {"key-file", required_argument, NULL, OPT_KEY_FILE},
    {"region", required_argument, NULL, OPT_REGION},
    {NULL, 0, NULL, 0},
};

/* The progress line appears once an import has run PROGRESS_AFTER seconds
 * (BF_PROGRESS_AFTER overrides it; tests set 0) and is redrawn at most every
 * PROGRESS_EVERY seconds. */
#define PROGRESS_AFTER 2.0
#define PROGRESS_EVERY 0.5

typedef struct {
    struct timespec started;
    struct timespec last;
    double after;
    bool shown;     /* a progress line has been drawn */
    bool on_screen; /* ... and is the last, unfinished line on stderr */
} progress_state;

/* Every error is written as it comes (nothing is kept), so memory stays flat
 * however many rows are bad, and the report is complete on stderr too. */
typedef struct {
    FILE *csv;                /* --errors file, or NULL for stderr lines */
    progress_state *progress; /* its line is ended before an error line */
    bool write_failed;
} error_sink;

static void on_error(void *ctx, const import_error *error)
{
    error_sink *sink = ctx;
    if (sink->csv) {
        char row[24];
        snprintf(row, sizeof row, "%ld", error->row);
        const char *fields[4] = {error->row ? row : "", error->column, error->value, error->reason};
        if (csv_write_row(sink->csv, fields, NULL, 4))
            sink->write_failed = true;
        return;
    }
    if (sink->progress && sink->progress->on_screen) {
        fputc('\n', stderr);
        sink->progress->on_screen = false;
    }
    if (error->row)
        fprintf(stderr, "%s 第 %ld 行", error->file, error->row);
    else
        fprintf(stderr, "%s", error->file);
    if (error->column[0])
        fprintf(stderr, "，列“%s”", error->column);
    if (error->value[0])
        fprintf(stderr, "，值“%s”", error->value);
    fprintf(stderr, "：%s\n", error->reason);
}

static double seconds_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void progress_start(progress_state *state)
{
    clock_gettime(CLOCK_MONOTONIC, &state->started);
    state->last = state->started;
    state->after = PROGRESS_AFTER;
    const char *env = getenv("BF_PROGRESS_AFTER");
    if (env && *env) {
        char *end = NULL;
        double after = strtod(env, &end);
        if (*end == '\0' && after >= 0)
            state->after = after;
    }
}

/* The bulk path's last step: the table's indexes made again. Shown on the
 * progress line when one is shown already (the rows are in; this can take a
 * while for a province). */
static void on_rebuild(void *ctx, const char *index, size_t done, size_t total)
{
    progress_state *state = ctx;
    if (!state->shown)
        return;
    state->on_screen = true;
    if (done < total)
        fprintf(stderr, "\r\033[K正在重建索引 %s（%zu/%zu）", index, done + 1, total);
    else
        fprintf(stderr, "\r\033[K索引已重建（%zu 个）", total);
    fflush(stderr);
}

static void on_progress(void *ctx, size_t done, size_t total, long rows)
{
    progress_state *state = ctx;
    if (state->shown ? seconds_since(&state->last) < PROGRESS_EVERY
                     : seconds_since(&state->started) < state->after)
        return;
    clock_gettime(CLOCK_MONOTONIC, &state->last);
    state->shown = true;
    state->on_screen = true;
    if (total > 0)
        fprintf(stderr, "\r已处理 %ld 行（%.0f%%）", rows, 100.0 * (double)done / (double)total);
    else
        fprintf(stderr, "\r已处理 %ld 行", rows);
    fflush(stderr);
}

int cli_cmd_import(int argc, char **argv)
{
    const char *db_option = NULL, *errors_path = NULL, *key_option = NULL;
    import_options options = {0};
    /* One write per report line instead of one per piece (stderr is unbuffered);
     * the progress line flushes itself. Nothing has been written to stderr yet. */
    static char stderr_buffer[BUFSIZ];
    setvbuf(stderr, stderr_buffer, _IOLBF, sizeof stderr_buffer);
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", import_options_table, NULL)) != -1) {
        switch (opt) {
        case OPT_DB:
            db_option = optarg;
            break;
        case OPT_ERRORS:
            errors_path = optarg;
            break;
        case OPT_DRY_RUN:
            options.dry_run = true;
            break;
        case OPT_SKIP_BAD:
            options.skip_bad = true;
            break;
        case OPT_IGNORE_UNKNOWN:
            options.ignore_unknown = true;
            break;
        case OPT_SHEET:
            options.sheet_name = optarg;
            break;
        case OPT_PROVINCE:
            options.province = optarg;
            break;
        case OPT_KEY_FILE:
            key_option = optarg;
            break;
        case OPT_REGION:
            options.scope_region = optarg;
            break;
        default:
            return cli_usage_error("import", "无法识别的参数");
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("import", "需要两个参数：类型 和 文件");
    const tpl_template *tpl = tpl_find(argv[optind]);
    if (!tpl)
        return cli_usage_error("import",
                               "未知的类型 %s（可用：regions projects assets project_years "
                               "households members household_years benefits）",
                               argv[optind]);
    const char *path = argv[optind + 1];
    if (options.dry_run && options.skip_bad)
        return cli_usage_error("import", "--dry-run 与 --skip-bad 不能同时使用");

    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    pii_keys *keys = NULL;
    error_sink sink = {0};
    progress_state progress = {0};
    int exit_code = 0;
    const char *target = store_default_target(db_option);
    bf_status rc = cli_open_db(db_option, &store, &err);
    if (rc)
        goto out;
    if (tpl->kind == TPL_HOUSEHOLDS || tpl->kind == TPL_MEMBERS) {
        char key_path[4096];
        pii_key_path(target, key_option, key_path, sizeof key_path);
        rc = pii_keys_load(key_path, &keys, &err);
        if (rc)
            goto out;
        options.keys = keys;
    }
    if (errors_path) {
        sink.csv = fopen(errors_path, "wb");
        if (!sink.csv) {
            rc = bf_error_set(&err, BF_ERR_IO, "无法写入错误报告文件 %s", errors_path);
            goto out;
        }
        static const char *const header[4] = {"行号", "列", "值", "原因"};
        csv_write_bom(sink.csv);
        csv_write_row(sink.csv, header, NULL, 4);
    }
    const char *slash = strrchr(path, '/');
    options.file_label = slash && slash[1] ? slash + 1 : path;
    options.on_error = on_error;
    options.error_ctx = &sink;
    if (cli_stderr_is_tty()) {
        progress_start(&progress);
        options.on_progress = on_progress;
        options.on_rebuild = on_rebuild;
        options.progress_ctx = &progress;
        sink.progress = &progress;
    }
    import_result result;
    rc = import_file(store, tpl->kind, path, &options, &result, &err);
    if (progress.on_screen)
        fputc('\n', stderr);
    if (rc != BF_OK && rc != BF_ERR_INVALID)
        goto out;
    if (sink.csv && (fclose(sink.csv) != 0 || sink.write_failed)) {
        sink.csv = NULL;
        rc = bf_error_set(&err, BF_ERR_IO, "写入错误报告文件 %s 失败", errors_path);
        goto out;
    }
    sink.csv = NULL;
    if (result.errors == 0) {
        printf("%s：共 %ld 行，新增 %ld，更新 %ld，未变 %ld%s\n", tpl->name_zh, result.rows,
               result.inserted, result.updated, result.unchanged,
               options.dry_run ? "（试导入，未写入数据库）" : "");
        rc = BF_OK;
    } else if (options.skip_bad) {
        printf("%s：共 %ld 行，%ld 行有错误已跳过；已写入其余 %ld 行（新增 %ld，更新 %ld，未变 "
               "%ld）\n",
               tpl->name_zh, result.rows, result.bad, result.good, result.inserted, result.updated,
               result.unchanged);
        exit_code = 1;
        rc = BF_OK;
    } else {
        fprintf(stderr, "%s：共 %ld 行，其中 %ld 行有错误（共 %ld 处）%s；%s\n", tpl->name_zh,
                result.rows, result.bad, result.errors, errors_path ? "，详见错误报告" : "",
                options.dry_run ? "试导入，未写入数据库" : "未写入任何数据");
        exit_code = 1;
        rc = BF_OK;
    }
out:
    if (sink.csv)
        fclose(sink.csv);
    pii_keys_free(keys);
    store_close(store);
    if (rc)
        return cli_fail(&err);
    return exit_code;
}
