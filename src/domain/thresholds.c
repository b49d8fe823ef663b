/*
 * thresholds.c - monitoring thresholds per year and region (see thresholds.h).
 */
#include "domain/thresholds.h"
#include "core/date.h"
#include "core/money.h"
#include "domain/audit.h"
#include "domain/indicators.h"
#include "io/validate.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THR_MIN_YEAR 2000
#define THR_MAX_YEAR 2100
/* A threshold above 1,000,000 yuan per person is a typing error, not a policy. */
#define THR_MAX_FEN (1000000LL * 100)

bf_status thr_load_year(bf_store *store, int64_t year, thr_table *out, bf_error *err)
{
    static const char sql[] =
        "SELECT t.region_code, t.per_capita FROM thresholds t WHERE t.year = ? AND t.id = "
        "(SELECT MAX(t2.id) FROM thresholds t2 WHERE t2.year = t.year "
        "AND t2.region_code = t.region_code) ORDER BY t.region_code";
    out->year = year;
    out->count = 0;
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(store, sql, &stmt, err);
    if (rc == BF_OK)
        rc = store_bind_int64(stmt, 1, year);
    while (rc == BF_OK) {
        bool has_row = false;
        rc = store_step(stmt, &has_row, err);
        if (rc || !has_row)
            break;
        if (out->count >= THR_MAX) {
            rc = bf_error_set(err, BF_ERR_TOO_LARGE, "%lld 年设置的监测范围过多（最多 %d 个地区）",
                              (long long)year, THR_MAX);
            break;
        }
        thr_entry *e = &out->entries[out->count++];
        snprintf(e->region_code, sizeof e->region_code, "%s", store_column_text(stmt, 0, NULL));
        ind_region_prefix(e->region_code, e->prefix);
        e->prefix_len = strlen(e->prefix);
        e->fen = store_column_int64(stmt, 1);
    }
    if (stmt)
        store_finalize(stmt);
    return rc;
}

bool thr_lookup(const thr_table *table, const char *region_code, int64_t *fen)
{
    size_t best_len = 0;
    bool found = false;
    for (size_t i = 0; i < table->count; i++) {
        const thr_entry *e = &table->entries[i];
        if (e->prefix_len >= best_len && strncmp(region_code, e->prefix, e->prefix_len) == 0) {
            best_len = e->prefix_len;
            *fen = e->fen;
            found = true;
        }
    }
    return found;
}

bf_status thr_default_province(bf_store *store, char out[13], bf_error *err)
{
    bf_stmt *stmt = NULL;
    bf_status rc =
        store_prepare(store, "SELECT code FROM regions WHERE level = 1 ORDER BY code", &stmt, err);
    int found = 0;
    while (rc == BF_OK) {
        bool has_row = false;
        rc = store_step(stmt, &has_row, err);
        if (rc || !has_row)
            break;
        if (found++ == 0)
            snprintf(out, 13, "%s", store_column_text(stmt, 0, NULL));
    }
    if (stmt)
        store_finalize(stmt);
    if (rc)
        return rc;
    if (found != 1)
        return bf_error_set(err, BF_ERR_INVALID,
                            found == 0 ? "数据库中还没有省级区划，请用 --region 指定省份（如 36）"
                                       : "数据库中有多个省级区划，请用 --region 指定省份");
    return BF_OK;
}

static bf_status check_year(int64_t year, bf_error *err)
{
    if (year < THR_MIN_YEAR || year > THR_MAX_YEAR)
        return bf_error_set(err, BF_ERR_INVALID, "年度 %lld 无效（应在 %d 至 %d 之间）",
                            (long long)year, THR_MIN_YEAR, THR_MAX_YEAR);
    return BF_OK;
}

static bf_status check_fen(int64_t fen, bf_error *err)
{
    if (fen <= 0 || fen > THR_MAX_FEN)
        return bf_error_set(err, BF_ERR_INVALID, "监测范围应大于 0 且不超过 1000000 元");
    return BF_OK;
}

static bf_status insert_threshold(bf_store *store, int64_t year, const char *region, int64_t fen,
                                  const char *actor, const char *note, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(store,
                                 "INSERT INTO thresholds (year, region_code, per_capita, set_by, "
                                 "set_at, note) VALUES (?, ?, ?, ?, ?, ?)",
                                 &stmt, err);
    if (rc)
        return rc;
    store_bind_int64(stmt, 1, year);
    store_bind_str(stmt, 2, region);
    store_bind_int64(stmt, 3, fen);
    store_bind_str(stmt, 4, actor);
    store_bind_int64(stmt, 5, bf_time_now());
    store_bind_str(stmt, 6, note && note[0] ? note : NULL);
    rc = store_step_done(stmt, err);
    store_finalize(stmt);
    if (rc)
        return rc;
    char key[48];
    snprintf(key, sizeof key, "%lld/%s", (long long)year, region);
    json_t *obj =
        json_pack("{s:I, s:s, s:I, s:s?}", "year", (json_int_t)year, "region_code", region,
                  "per_capita_fen", (json_int_t)fen, "note", note && note[0] ? note : NULL);
    char *after = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(obj);
    if (!after)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    audit_entry e = {actor, "", "set", "threshold", key, NULL, after};
    rc = audit_append(store, &e, NULL, err);
    free(after);
    return rc;
}

bf_status thr_set(bf_store *store, int64_t year, const char *region_code, int64_t fen,
                  const char *actor, const char *note, bf_error *err)
{
    char region[13];
    bf_status rc = check_year(year, err);
    if (rc == BF_OK)
        rc = check_fen(fen, err);
    if (rc)
        return rc;
    if (!actor || !actor[0])
        return bf_error_set(err, BF_ERR_INVALID, "请注明设置人");
    if (region_code) {
        const char *reason = NULL;
        if (!bf_region_code_normalize(region_code, strlen(region_code), region, &reason))
            return bf_error_set(err, BF_ERR_INVALID, "区划代码 %s 无效：%s", region_code,
                                reason ? reason : "");
    } else {
        rc = thr_default_province(store, region, err);
        if (rc)
            return rc;
    }
    rc = store_begin(store, err);
    if (rc)
        return rc;
    rc = insert_threshold(store, year, region, fen, actor, note, err);
    if (rc == BF_OK)
        rc = store_commit(store, err);
    else
        store_rollback(store);
    return rc;
}

bf_status thr_list(bf_store *store, int64_t year, bool history, thr_row_fn fn, void *ctx,
                   bf_error *err)
{
    /* Every row with a flag telling whether it is the one in force. */
    static const char sql[] =
        "SELECT t.id, t.year, t.region_code, COALESCE(r.name, ''), t.per_capita, t.set_by, "
        "t.set_at, COALESCE(t.note, ''), "
        "(SELECT MAX(t2.id) FROM thresholds t2 WHERE t2.year = t.year "
        "AND t2.region_code = t.region_code) "
        "FROM thresholds t LEFT JOIN regions r ON r.code = t.region_code "
        "WHERE (? = 0 OR t.year = ?) ORDER BY t.year, t.region_code, t.id DESC";
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(store, sql, &stmt, err);
    if (rc == BF_OK)
        rc = store_bind_int64(stmt, 1, year);
    if (rc == BF_OK)
        rc = store_bind_int64(stmt, 2, year);
    while (rc == BF_OK) {
        bool has_row = false;
        rc = store_step(stmt, &has_row, err);
        if (rc || !has_row)
            break;
        thr_row row;
        row.id = store_column_int64(stmt, 0);
        row.current = row.id == store_column_int64(stmt, 8);
        if (!history && !row.current)
            continue;
        row.year = store_column_int64(stmt, 1);
        row.region_code = store_column_text(stmt, 2, NULL);
        row.region_name = store_column_text(stmt, 3, NULL);
        row.fen = store_column_int64(stmt, 4);
        row.set_by = store_column_text(stmt, 5, NULL);
        row.set_at = store_column_int64(stmt, 6);
        row.note = store_column_text(stmt, 7, NULL);
        rc = fn(ctx, &row, err);
    }
    if (stmt)
        store_finalize(stmt);
    return rc;
}

/* ---- import ------------------------------------------------------------------- */

enum { COL_YEAR, COL_REGION, COL_YUAN, COL_NOTE, NCOLS };

static const struct {
    const char *names[4]; /* Chinese header, alternatives, English alias */
    bool required;
} thr_columns[NCOLS] = {
    [COL_YEAR] = {{"年度", "year", NULL, NULL}, true},
    [COL_REGION] = {{"区划代码", "region_code", NULL, NULL}, false},
    [COL_YUAN] = {{"监测范围", "监测范围（元）", "监测范围(元)", "yuan"}, true},
    [COL_NOTE] = {{"备注", "note", NULL, NULL}, false},
};

typedef struct {
    int64_t year;
    char region[13];
    int64_t fen;
    char note[256];
} thr_pending;

static int header_column(const char *text, size_t len)
{
    for (int c = 0; c < NCOLS; c++)
        for (int k = 0; k < 4 && thr_columns[c].names[k]; k++)
            if (strlen(thr_columns[c].names[k]) == len &&
                memcmp(thr_columns[c].names[k], text, len) == 0)
                return c;
    return -1;
}

bf_status thr_import_sheet(bf_store *store, bf_sheet *sheet, const char *actor, thr_problem_fn fn,
                           void *ctx, long *count, bf_error *err)
{
    enum { MAX_ROWS = 1000 };
    thr_pending *pending = NULL;
    size_t npending = 0;
    int map[NCOLS];
    for (int c = 0; c < NCOLS; c++)
        map[c] = -1;
    long problems = 0;
    bool header_done = false;
    char province[13] = "";
    *count = 0;
    if (!actor || !actor[0])
        return bf_error_set(err, BF_ERR_INVALID, "请注明设置人");
    pending = calloc(MAX_ROWS, sizeof *pending);
    if (!pending)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    bf_status rc = BF_OK;
    for (;;) {
        bf_row row;
        bool has_row = false;
        rc = bf_sheet_next(sheet, &row, &has_row, err);
        if (rc || !has_row)
            break;
        bool empty = true;
        for (size_t i = 0; i < row.ncells && empty; i++)
            empty = row.cells[i].len == 0;
        if (empty)
            continue;
        if (!header_done) {
            for (size_t i = 0; i < row.ncells; i++) {
                int c = header_column(row.cells[i].text, row.cells[i].len);
                if (c >= 0)
                    map[c] = (int)i;
                else if (row.cells[i].len > 0) {
                    fn(ctx, row.number, row.cells[i].text, "", "无法识别的列");
                    problems++;
                }
            }
            for (int c = 0; c < NCOLS; c++)
                if (thr_columns[c].required && map[c] < 0) {
                    fn(ctx, row.number, thr_columns[c].names[0], "", "缺少此列");
                    problems++;
                }
            header_done = true;
            if (problems)
                break;
            continue;
        }
        if (npending >= MAX_ROWS) {
            rc = bf_error_set(err, BF_ERR_TOO_LARGE, "监测范围文件过大（最多 %d 行）", MAX_ROWS);
            break;
        }
        thr_pending *p = &pending[npending];
        const bf_cell *cells[NCOLS] = {0};
        for (int c = 0; c < NCOLS; c++)
            if (map[c] >= 0 && (size_t)map[c] < row.ncells)
                cells[c] = &row.cells[map[c]];
        const char *reason = NULL;
        bool ok = true;
        int64_t year = 0;
        if (!cells[COL_YEAR] || !bf_int_parse(cells[COL_YEAR]->text, cells[COL_YEAR]->len,
                                              THR_MIN_YEAR, THR_MAX_YEAR, &year, &reason)) {
            fn(ctx, row.number, thr_columns[COL_YEAR].names[0],
               cells[COL_YEAR] ? cells[COL_YEAR]->text : "", reason ? reason : "缺少年度");
            ok = false;
        }
        p->year = year;
        if (cells[COL_REGION] && cells[COL_REGION]->len > 0) {
            reason = NULL;
            if (!bf_region_code_normalize(cells[COL_REGION]->text, cells[COL_REGION]->len,
                                          p->region, &reason)) {
                fn(ctx, row.number, thr_columns[COL_REGION].names[0], cells[COL_REGION]->text,
                   reason ? reason : "区划代码无效");
                ok = false;
            }
        } else {
            if (!province[0]) {
                bf_error perr;
                bf_error_clear(&perr);
                if (thr_default_province(store, province, &perr) != BF_OK) {
                    fn(ctx, row.number, thr_columns[COL_REGION].names[0], "", perr.msg);
                    ok = false;
                }
            }
            snprintf(p->region, sizeof p->region, "%s", province);
        }
        reason = NULL;
        if (!cells[COL_YUAN] ||
            !bf_money_parse(cells[COL_YUAN]->text, cells[COL_YUAN]->len, false, &p->fen, &reason) ||
            p->fen <= 0 || p->fen > THR_MAX_FEN) {
            fn(ctx, row.number, thr_columns[COL_YUAN].names[0],
               cells[COL_YUAN] ? cells[COL_YUAN]->text : "",
               reason ? reason : "监测范围应大于 0 且不超过 1000000 元");
            ok = false;
        }
        p->note[0] = '\0';
        if (cells[COL_NOTE])
            snprintf(p->note, sizeof p->note, "%.*s", (int)cells[COL_NOTE]->len,
                     cells[COL_NOTE]->text);
        for (size_t i = 0; ok && i < npending; i++)
            if (pending[i].year == p->year && strcmp(pending[i].region, p->region) == 0) {
                fn(ctx, row.number, thr_columns[COL_YEAR].names[0], cells[COL_YEAR]->text,
                   "同一年度和地区在文件中出现多次");
                ok = false;
            }
        if (ok)
            npending++;
        else
            problems++;
    }
    if (rc == BF_OK && !header_done)
        rc = bf_error_set(err, BF_ERR_INVALID, "文件为空");
    if (rc == BF_OK && problems)
        rc = bf_error_set(err, BF_ERR_INVALID, "监测范围文件有 %ld 处错误，未导入任何数据",
                          problems);
    if (rc == BF_OK)
        rc = store_begin(store, err);
    if (rc == BF_OK) {
        for (size_t i = 0; i < npending && rc == BF_OK; i++)
            rc = insert_threshold(store, pending[i].year, pending[i].region, pending[i].fen, actor,
                                  pending[i].note, err);
        if (rc == BF_OK)
            rc = store_commit(store, err);
        else
            store_rollback(store);
        if (rc == BF_OK)
            *count = (long)npending;
    }
    free(pending);
    return rc;
}
