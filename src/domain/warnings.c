/*
 * warnings.c - warnings raised by rules and their life (see warnings.h).
 */
#include "domain/warnings.h"
#include "core/arena.h"
#include "core/date.h"
#include "domain/audit.h"
#include "domain/codemap.h"
#include "store/batch.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows per multi-row INSERT of new warnings on SQLite (store_batch_gather). */
#define WARN_GATHER_ROWS 64

static const struct {
    const char *name;
    const char *zh;
} statuses[WARN_STATUS_COUNT] = {
    [WARN_OPEN] = {"open", "待处理"},
    [WARN_ACKNOWLEDGED] = {"acknowledged", "已知悉"},
    [WARN_RESOLVED] = {"resolved", "已解除"},
};

/* The life of a warning: the only moves allowed, with the columns each fills. */
static const struct {
    warn_status from;
    warn_status to;
    const char *sql;
} transitions[] = {
    {WARN_OPEN, WARN_ACKNOWLEDGED,
     "UPDATE warnings SET status = 'acknowledged', acknowledged_by = ?, acknowledged_at = ?, "
     "acknowledged_note = ? WHERE id = ? AND status = 'open'"},
    {WARN_OPEN, WARN_RESOLVED,
     "UPDATE warnings SET status = 'resolved', resolved_by = ?, resolved_at = ?, "
     "resolved_note = ? WHERE id = ? AND status = 'open'"},
    {WARN_ACKNOWLEDGED, WARN_RESOLVED,
     "UPDATE warnings SET status = 'resolved', resolved_by = ?, resolved_at = ?, "
     "resolved_note = ? WHERE id = ? AND status = 'acknowledged'"},
};

const char *warn_status_name(warn_status status)
{
    return status < WARN_STATUS_COUNT ? statuses[status].name : "";
}

const char *warn_status_zh(warn_status status)
{
    return status < WARN_STATUS_COUNT ? statuses[status].zh : "";
}

int warn_status_find(const char *text)
{
    for (int i = 0; i < WARN_STATUS_COUNT; i++)
        if (strcmp(text, statuses[i].name) == 0 || strcmp(text, statuses[i].zh) == 0)
            return i;
    return -1;
}

static warn_status status_of(const char *text, size_t len)
{
    for (int i = 0; i < WARN_STATUS_COUNT; i++)
        if (strlen(statuses[i].name) == len && memcmp(statuses[i].name, text, len) == 0)
            return (warn_status)i;
    return WARN_OPEN;
}

static int subject_of(const char *text, size_t len)
{
    return len == 9 && memcmp(text, "household", 9) == 0 ? IND_HOUSEHOLD : IND_PROJECT;
}

/* ---- synchronisation during a run ------------------------------------------ */

typedef struct {
    int64_t id;
    uint8_t subject;
    bool live; /* open or acknowledged */
    bool firing;
    bool seen;
} warn_entry;

/* A new project warning held back until the households' are written (ordered
 * mode); its strings are in the sync's arena. */
typedef struct {
    const char *code, *region_code, *rule_code, *explanation;
    size_t explanation_len;
} held_warning;

struct warn_sync {
    bf_store *store;
    bf_arena *arena;
    cmap *existing;
    int64_t year, run_id, rule_set_id, now;
    store_batch *insert; /* new warnings: COPY on PostgreSQL */
    bf_stmt *update;
    bf_buf explanation;
    warn_counts counts[2];
    char key[256];
    /* Ordered mode (SQLite; see warn_sync_begin): ids given by the run. */
    bool ordered;
    bool sealed;        /* a household warning was written: no more project ones */
    int64_t last_id;    /* the largest id before the run */
    int64_t next_id;    /* the next household warning's */
    held_warning *held; /* new project warnings, in the order fired */
    size_t nheld, held_cap;
};

/* "p\x1fCODE\x1fRULE" into sync->key; returns its length, 0 if too long. */
static size_t make_key(warn_sync *sync, int subject, const char *code, size_t code_len,
                       const char *rule_code, size_t rule_len)
{
    if (code_len + rule_len + 3 >= sizeof sync->key)
        return 0;
    size_t n = 0;
    sync->key[n++] = subject == IND_HOUSEHOLD ? 'h' : 'p';
    sync->key[n++] = '\x1f';
    memcpy(sync->key + n, code, code_len);
    n += code_len;
    sync->key[n++] = '\x1f';
    memcpy(sync->key + n, rule_code, rule_len);
    n += rule_len;
    return n;
}

void warn_sync_free(warn_sync *sync)
{
    if (!sync)
        return;
    store_batch_free(sync->insert);
    if (sync->update)
        store_finalize(sync->update);
    bf_buf_free(&sync->explanation);
    cmap_free(sync->existing);
    bf_arena_free(sync->arena);
}

bf_status warn_sync_begin(bf_store *store, int64_t year, const char *region_prefix, int64_t run_id,
                          int64_t rule_set_id, warn_sync **out, bf_error *err)
{
    *out = NULL;
    bf_arena *arena = bf_arena_new(0);
    warn_sync *sync = arena ? bf_arena_calloc(arena, 1, sizeof *sync) : NULL;
    if (!sync) {
        bf_arena_free(arena);
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    sync->arena = arena;
    sync->store = store;
    sync->year = year;
    sync->run_id = run_id;
    sync->rule_set_id = rule_set_id;
    sync->now = bf_time_now();
    bf_buf_init(&sync->explanation, 64 * 1024);
    char lo[13] = "", hi[13] = "", clo[7] = "", chi[7] = "";
    bool region = region_prefix && region_prefix[0];
    /* whole counties: the county range alone; a part of a county: its county
     * and the region range (warnings_year (year, subject_kind, county_code,
     * region_code)) */
    bool counties = region && ind_scope_counties(region_prefix, clo, chi);
    if (region) {
        size_t n = strnlen(region_prefix, 12);
        memcpy(lo, region_prefix, n);
        memcpy(hi, region_prefix, n);
        memset(lo + n, '0', 12 - n);
        memset(hi + n, '9', 12 - n);
    }
    char year_text[24];
    snprintf(year_text, sizeof year_text, "%lld", (long long)year);
    int64_t count = 0;
    bf_status rc = store_query_int64(store, "SELECT COUNT(*) FROM warnings WHERE year = ?", &count,
                                     err, 1, year_text);
    if (rc == BF_OK) {
        sync->existing = cmap_new((size_t)count + 1024);
        if (!sync->existing)
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    bf_stmt *stmt = NULL;
    if (rc == BF_OK)
        rc = store_prepare(store,
                           counties ? "SELECT id, subject_kind, subject_code, rule_code, status, "
                                      "firing FROM warnings WHERE year = ? "
                                      "AND county_code >= ? AND county_code < ? ORDER BY id"
                           : region ? "SELECT id, subject_kind, subject_code, rule_code, status, "
                                      "firing FROM warnings WHERE year = ? AND county_code = ? "
                                      "AND region_code BETWEEN ? AND ? ORDER BY id"
                                    : "SELECT id, subject_kind, subject_code, rule_code, status, "
                                      "firing FROM warnings WHERE year = ? ORDER BY id",
                           &stmt, err);
    if (rc == BF_OK) {
        store_bind_int64(stmt, 1, year);
        if (counties) {
            store_bind_str(stmt, 2, clo);
            store_bind_str(stmt, 3, chi);
        } else if (region) {
            store_bind_str(stmt, 2, clo);
            store_bind_str(stmt, 3, lo);
            store_bind_str(stmt, 4, hi);
        }
    }
    while (rc == BF_OK) {
        bool has_row = false;
        rc = store_step(stmt, &has_row, err);
        if (rc || !has_row)
            break;
        size_t kind_len, code_len, rule_len, status_len;
        const char *kind = store_column_text(stmt, 1, &kind_len);
        const char *code = store_column_text(stmt, 2, &code_len);
        const char *rule_code = store_column_text(stmt, 3, &rule_len);
        const char *status = store_column_text(stmt, 4, &status_len);
        int subject = subject_of(kind, kind_len);
        size_t key_len = make_key(sync, subject, code, code_len, rule_code, rule_len);
        if (key_len == 0)
            continue;
        warn_status st = status_of(status, status_len);
        warn_entry *e = cmap_get(sync->existing, sync->key, key_len);
        /* A live warning wins over resolved ones of the same key (ids ascend). */
        if (e && e->live)
            continue;
        if (!e) {
            e = bf_arena_calloc(arena, 1, sizeof *e);
            if (!e || cmap_put(sync->existing, sync->key, key_len, e) != BF_OK) {
                rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
                break;
            }
        }
        e->id = store_column_int64(stmt, 0);
        e->subject = (uint8_t)subject;
        e->live = st != WARN_RESOLVED;
        e->firing = store_column_int64(stmt, 5) != 0;
    }
    if (stmt)
        store_finalize(stmt);
    /* Ordered mode on SQLite: the new warnings go into the table's indexes
     * (warnings_year, warnings_subject: subject_kind before the rest of the
     * key, and household < project) as appends, each a short walk on the last
     * page, instead of a descent from the root and a split in the middle of
     * the tree: the households' first, then the projects', held back until
     * then. The ids stay those that writing them in the order fired would
     * have given (the projects', then the households', on from the largest
     * id: the run's transaction excludes every other writer): the run gives
     * them. PostgreSQL keeps its sequence and the order fired. */
    sync->ordered = store_kind(store) == BF_STORE_SQLITE;
    if (rc == BF_OK && sync->ordered)
        rc = store_query_int64(store, "SELECT COALESCE(MAX(id), 0) FROM warnings", &sync->last_id,
                               err, 0);
    if (rc == BF_OK)
        rc = store_batch_new(store,
                             sync->ordered
                                 ? "INSERT INTO warnings (id, subject_kind, subject_code, "
                                   "region_code, year, rule_code, rule_set_id, explanation, "
                                   "status, firing, opened_at, opened_run, county_code) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                 : "INSERT INTO warnings (subject_kind, subject_code, region_code, "
                                   "year, rule_code, rule_set_id, explanation, status, firing, "
                                   "opened_at, opened_run, county_code) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             &sync->insert, err);
    if (rc == BF_OK)
        rc = store_batch_gather(sync->insert, WARN_GATHER_ROWS, err);
    if (rc == BF_OK)
        rc =
            store_prepare(store, "UPDATE warnings SET firing = 1 WHERE id = ?", &sync->update, err);
    if (rc) {
        warn_sync_free(sync);
        return rc;
    }
    *out = sync;
    return BF_OK;
}

/* Bind and add one new warning (id: ordered mode's, else 0: the database's). */
static bf_status insert_row(warn_sync *sync, int64_t id, ind_subject subject, const char *code,
                            const char *region_code, const char *rule_code, const char *explanation,
                            size_t explanation_len, bf_error *err)
{
    store_batch *s = sync->insert;
    int k = 0;
    if (sync->ordered)
        store_batch_bind_int64(s, ++k, id);
    store_batch_bind_str(s, ++k, ind_subject_name(subject));
    store_batch_bind_str(s, ++k, code);
    store_batch_bind_str(s, ++k, region_code);
    store_batch_bind_int64(s, ++k, sync->year);
    store_batch_bind_str(s, ++k, rule_code);
    store_batch_bind_int64(s, ++k, sync->rule_set_id);
    store_batch_bind_text(s, ++k, explanation, explanation_len);
    store_batch_bind_str(s, ++k, "open");
    store_batch_bind_int64(s, ++k, 1);
    store_batch_bind_int64(s, ++k, sync->now);
    store_batch_bind_int64(s, ++k, sync->run_id);
    store_batch_bind_text(s, ++k, region_code, 6); /* county_code */
    return store_batch_add(s, err);
}

/* Hold back a new project warning (ordered mode), its explanation the one
 * just rendered. */
static bf_status hold(warn_sync *sync, const char *code, const char *region_code,
                      const char *rule_code, bf_error *err)
{
    if (sync->nheld == sync->held_cap) {
        size_t cap = sync->held_cap ? sync->held_cap * 2 : 256;
        held_warning *grown = bf_arena_alloc(sync->arena, cap * sizeof *grown);
        if (!grown)
            return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        if (sync->nheld)
            memcpy(grown, sync->held, sync->nheld * sizeof *grown);
        sync->held = grown;
        sync->held_cap = cap;
    }
    held_warning *h = &sync->held[sync->nheld];
    h->code = bf_arena_strdup(sync->arena, code);
    h->region_code = bf_arena_strdup(sync->arena, region_code);
    h->rule_code = bf_arena_strdup(sync->arena, rule_code);
    h->explanation = bf_arena_strndup(sync->arena, sync->explanation.data, sync->explanation.len);
    h->explanation_len = sync->explanation.len;
    if (!h->code || !h->region_code || !h->rule_code || !h->explanation)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    sync->nheld++;
    return BF_OK;
}

bf_status warn_sync_fire(warn_sync *sync, ind_subject subject, const char *code,
                         const char *region_code, const rule *r, const rl_value *values,
                         bf_error *err)
{
    warn_counts *counts = &sync->counts[subject];
    counts->firing++;
    size_t key_len = make_key(sync, subject, code, strlen(code), r->code, strlen(r->code));
    if (key_len == 0)
        return bf_error_set(err, BF_ERR_INVALID, "编号过长：%.40s", code);
    warn_entry *e = cmap_get(sync->existing, sync->key, key_len);
    bf_status rc = BF_OK;
    if (e && e->live) {
        e->seen = true;
        counts->still_live++;
        if (!e->firing) { /* it had stopped holding and holds again */
            store_bind_int64(sync->update, 1, e->id);
            rc = store_step_done(sync->update, err);
            store_reset(sync->update);
            e->firing = true;
        }
        return rc;
    }
    if (e) {
        e->seen = true;
        counts->resolved_still++;
        return BF_OK;
    }
    bf_buf_reset(&sync->explanation);
    rc = rl_template_render(r->template_, values, &sync->explanation);
    if (rc)
        return bf_error_set(err, rc, "预警说明过长（规则 %s）", r->code);
    int64_t id = 0;
    if (sync->ordered && subject == IND_PROJECT) {
        if (sync->sealed)
            return bf_error_set(err, BF_ERR_INTERNAL, "项目预警须在农户预警之前写入");
        rc = hold(sync, code, region_code, r->code, err);
        if (rc == BF_OK)
            counts->opened++;
        return rc;
    }
    if (sync->ordered) {
        if (!sync->sealed) { /* the projects' ids come first */
            sync->sealed = true;
            sync->next_id = sync->last_id + (int64_t)sync->nheld + 1;
        }
        id = sync->next_id++;
    }
    rc = insert_row(sync, id, subject, code, region_code, r->code, sync->explanation.data,
                    sync->explanation.len, err);
    if (rc == BF_OK)
        counts->opened++;
    return rc;
}

bf_status warn_sync_finish(warn_sync *sync, const bool covered[2], warn_counts counts[2],
                           bf_error *err)
{
    bf_stmt *stmt = NULL;
    bf_status rc =
        store_prepare(sync->store, "UPDATE warnings SET firing = 0 WHERE id = ?", &stmt, err);
    size_t pos = 0;
    const char *key;
    void *value;
    while (rc == BF_OK && cmap_next(sync->existing, &pos, &key, &value)) {
        warn_entry *e = value;
        if (!e->live || e->seen || !covered[e->subject])
            continue;
        sync->counts[e->subject].no_longer_firing++;
        if (e->firing) {
            store_bind_int64(stmt, 1, e->id);
            rc = store_step_done(stmt, err);
            store_reset(stmt);
            e->firing = false;
        }
    }
    if (stmt)
        store_finalize(stmt);
    /* Ordered mode: the held project warnings after the households', with
     * the ids before theirs. */
    for (size_t i = 0; i < sync->nheld && rc == BF_OK; i++) {
        const held_warning *h = &sync->held[i];
        rc = insert_row(sync, sync->last_id + 1 + (int64_t)i, IND_PROJECT, h->code, h->region_code,
                        h->rule_code, h->explanation, h->explanation_len, err);
    }
    if (rc == BF_OK)
        rc = store_batch_flush(sync->insert, err);
    counts[0] = sync->counts[0];
    counts[1] = sync->counts[1];
    return rc;
}

/* ---- listing and life ----------------------------------------------------------- */

/* The filter's WHERE clause, shared by the list and the count (10 parameters). */
#define WARN_FILTER_WHERE                                                                          \
    "WHERE (? = 0 OR w.year = ?) AND (? = '' OR w.status = ?) "                                    \
    "AND (? = '' OR w.subject_kind = ?) AND w.region_code BETWEEN ? AND ? "                        \
    "AND (? = 0 OR w.id = ?) "

/* The county key of a filter (warnings are distributed by county_code, the
 * first 6 digits of region_code): "= ?" for a prefix within one county, a
 * range otherwise. Appended to WARN_FILTER_WHERE; binds after its 10. */
static bool filter_one_county(const warn_filter *filter)
{
    return filter->region_prefix && strnlen(filter->region_prefix, 12) >= 6;
}

static const char *filter_county_sql(const warn_filter *filter)
{
    return filter_one_county(filter) ? "AND w.county_code = ? "
                                     : "AND w.county_code BETWEEN ? AND ? ";
}

static int bind_filter(bf_stmt *stmt, const warn_filter *filter)
{
    char lo[13] = "000000000000", hi[13] = "999999999999";
    if (filter->region_prefix && filter->region_prefix[0]) {
        size_t n = strnlen(filter->region_prefix, 12);
        memcpy(lo, filter->region_prefix, n);
        memcpy(hi, filter->region_prefix, n);
    }
    const char *status = filter->status >= 0 ? warn_status_name((warn_status)filter->status) : "";
    const char *subject =
        filter->subject >= 0 ? ind_subject_name((ind_subject)filter->subject) : "";
    store_bind_int64(stmt, 1, filter->year);
    store_bind_int64(stmt, 2, filter->year);
    store_bind_str(stmt, 3, status);
    store_bind_str(stmt, 4, status);
    store_bind_str(stmt, 5, subject);
    store_bind_str(stmt, 6, subject);
    store_bind_str(stmt, 7, lo);
    store_bind_str(stmt, 8, hi);
    store_bind_int64(stmt, 9, filter->id);
    store_bind_int64(stmt, 10, filter->id);
    store_bind_text(stmt, 11, lo, 6);
    if (filter_one_county(filter))
        return 12;
    store_bind_text(stmt, 12, hi, 6);
    return 13;
}

bf_status warn_count(bf_store *store, const warn_filter *filter, int64_t *total, bf_error *err)
{
    *total = 0;
    bf_stmt *stmt = NULL;
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM warnings w " WARN_FILTER_WHERE "%s",
             filter_county_sql(filter));
    bf_status rc = store_prepare(store, sql, &stmt, err);
    if (rc)
        return rc;
    bind_filter(stmt, filter);
    bool has_row = false;
    rc = store_step(stmt, &has_row, err);
    if (rc == BF_OK && has_row)
        *total = store_column_int64(stmt, 0);
    store_finalize(stmt);
    return rc;
}

bf_status warn_list(bf_store *store, const warn_filter *filter, warn_row_fn fn, void *ctx,
                    bf_error *err)
{
    static const char list_sql[] =
        "SELECT w.id, w.subject_kind, w.subject_code, w.region_code, w.year, w.rule_code, "
        "COALESCE(r.name, w.rule_code), COALESCE(r.outcome, ''), w.explanation, w.status, "
        "w.firing, w.opened_at, COALESCE(w.acknowledged_by, ''), "
        "COALESCE(w.acknowledged_at, 0), COALESCE(w.acknowledged_note, ''), "
        "COALESCE(w.resolved_by, ''), COALESCE(w.resolved_at, 0), COALESCE(w.resolved_note, '') "
        "FROM warnings w LEFT JOIN rules r ON r.rule_set_id = w.rule_set_id "
        "AND r.code = w.rule_code " WARN_FILTER_WHERE "%s"
        "ORDER BY w.year, w.subject_kind DESC, w.subject_code, w.rule_code, w.id";
    /* A page (the API's inbox) shows the newest first, walking the primary key
     * backwards: no sort of the province's hundreds of thousands of rows. */
    static const char paged_sql[] =
        "SELECT w.id, w.subject_kind, w.subject_code, w.region_code, w.year, w.rule_code, "
        "COALESCE(r.name, w.rule_code), COALESCE(r.outcome, ''), w.explanation, w.status, "
        "w.firing, w.opened_at, COALESCE(w.acknowledged_by, ''), "
        "COALESCE(w.acknowledged_at, 0), COALESCE(w.acknowledged_note, ''), "
        "COALESCE(w.resolved_by, ''), COALESCE(w.resolved_at, 0), COALESCE(w.resolved_note, '') "
        "FROM warnings w LEFT JOIN rules r ON r.rule_set_id = w.rule_set_id "
        "AND r.code = w.rule_code " WARN_FILTER_WHERE "%sORDER BY w.id DESC LIMIT ? OFFSET ?";
    bool paged = filter->limit > 0;
    bf_stmt *stmt = NULL;
    char sql[2048];
    snprintf(sql, sizeof sql, paged ? paged_sql : list_sql, filter_county_sql(filter));
    bf_status rc = store_prepare(store, sql, &stmt, err);
    if (rc == BF_OK) {
        int next = bind_filter(stmt, filter);
        if (paged) {
            store_bind_int64(stmt, next, filter->limit);
            store_bind_int64(stmt, next + 1, filter->offset > 0 ? filter->offset : 0);
        }
    }
    while (rc == BF_OK) {
        bool has_row = false;
        rc = store_step(stmt, &has_row, err);
        if (rc || !has_row)
            break;
        size_t len;
        warn_row row;
        row.id = store_column_int64(stmt, 0);
        const char *kind = store_column_text(stmt, 1, &len);
        row.subject = (ind_subject)subject_of(kind, len);
        row.subject_code = store_column_text(stmt, 2, NULL);
        row.region_code = store_column_text(stmt, 3, NULL);
        row.year = store_column_int64(stmt, 4);
        row.rule_code = store_column_text(stmt, 5, NULL);
        row.rule_name = store_column_text(stmt, 6, NULL);
        row.warning_type = store_column_text(stmt, 7, NULL);
        row.explanation = store_column_text(stmt, 8, NULL);
        const char *st = store_column_text(stmt, 9, &len);
        row.status = status_of(st, len);
        row.firing = store_column_int64(stmt, 10) != 0;
        row.opened_at = store_column_int64(stmt, 11);
        row.acknowledged_by = store_column_text(stmt, 12, NULL);
        row.acknowledged_at = store_column_int64(stmt, 13);
        row.acknowledged_note = store_column_text(stmt, 14, NULL);
        row.resolved_by = store_column_text(stmt, 15, NULL);
        row.resolved_at = store_column_int64(stmt, 16);
        row.resolved_note = store_column_text(stmt, 17, NULL);
        rc = fn(ctx, &row, err);
    }
    if (stmt)
        store_finalize(stmt);
    return rc;
}

bf_status warn_transition(bf_store *store, int64_t id, const char *county, warn_status to,
                          const char *actor, const char *note, bf_error *err)
{
    /* With the county known the statements name it (one shard on Citus). */
    const char *in_county = county && county[0] ? " AND county_code = ?" : "";
    char sql[512];
    if (!actor || !actor[0])
        return bf_error_set(err, BF_ERR_INVALID, "请注明处理人");
    if (to == WARN_RESOLVED && (!note || !note[0]))
        return bf_error_set(err, BF_ERR_INVALID, "解除预警须说明理由（--note）");
    char id_text[24];
    snprintf(id_text, sizeof id_text, "%lld", (long long)id);
    int64_t exists = 0;
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM warnings WHERE id = ?%s", in_county);
    bf_status rc =
        store_query_int64(store, sql, &exists, err, in_county[0] ? 2 : 1, id_text, county);
    if (rc)
        return rc;
    if (!exists)
        return bf_error_set(err, BF_ERR_NOT_FOUND, "预警 %lld 不存在", (long long)id);
    bf_stmt *stmt = NULL;
    for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++) {
        if (transitions[i].to != to)
            continue;
        snprintf(sql, sizeof sql, "%s%s", transitions[i].sql, in_county);
        rc = store_prepare(store, sql, &stmt, err);
        if (rc)
            return rc;
        store_bind_str(stmt, 1, actor);
        store_bind_int64(stmt, 2, bf_time_now());
        store_bind_str(stmt, 3, note && note[0] ? note : NULL);
        store_bind_int64(stmt, 4, id);
        if (in_county[0])
            store_bind_str(stmt, 5, county);
        rc = store_begin(store, err);
        if (rc) {
            store_finalize(stmt);
            return rc;
        }
        rc = store_step_done(stmt, err);
        int64_t changed = store_changes(stmt);
        store_finalize(stmt);
        if (rc == BF_OK && changed == 1) {
            json_t *obj = json_pack("{s:s, s:s?}", "status", warn_status_name(to), "note",
                                    note && note[0] ? note : NULL);
            char *after = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
            json_decref(obj);
            audit_entry e = {actor,     "",      to == WARN_RESOLVED ? "resolve" : "acknowledge",
                             "warning", id_text, NULL,
                             after};
            rc = after ? audit_append(store, &e, NULL, err)
                       : bf_error_set(err, BF_ERR_NOMEM, "内存不足");
            free(after);
        }
        if (rc == BF_OK)
            rc = store_commit(store, err);
        else
            store_rollback(store);
        if (rc)
            return rc;
        if (changed == 1)
            return BF_OK;
    }
    /* No allowed move from the current status. */
    bf_stmt *q = NULL;
    snprintf(sql, sizeof sql, "SELECT status FROM warnings WHERE id = ?%s", in_county);
    rc = store_prepare(store, sql, &q, err);
    if (rc)
        return rc;
    store_bind_int64(q, 1, id);
    if (in_county[0])
        store_bind_str(q, 2, county);
    bool has_row = false;
    rc = store_step(q, &has_row, err);
    warn_status current = WARN_OPEN;
    if (rc == BF_OK && has_row) {
        size_t len;
        const char *st = store_column_text(q, 0, &len);
        current = status_of(st, len);
    }
    store_finalize(q);
    if (rc)
        return rc;
    return bf_error_set(err, BF_ERR_STATE, "预警 %lld 当前状态为“%s”，不能改为“%s”", (long long)id,
                        warn_status_zh(current), warn_status_zh(to));
}
