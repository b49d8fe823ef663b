/*
 * query_summary.c - the summary cells: one pass over the registries adds each
 * record into the cells of its ancestors (an in-memory hash table), which are
 * then written at once; reads are an index look-up (see query_summary.h).
 * Owns summary_cells and summary_meta.
 */
#include "domain/query_summary.h"
#include "core/hash.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/date.h"
#include "core/money.h"
#include "domain/template.h"
#include "io/validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    M_PROJECTS,
    M_INVESTMENT,
    M_LINKAGE,
    M_REVENUE,
    M_PROFIT,
    M_COLLECTIVE,
    M_HB,
    M_PHB,
    M_JOBS,
    M_ASSETS,
    M_ASSET_VALUE,
    M_HOUSEHOLDS,
    M_PERSONS,
    NMETRICS
};

/* Column names in summary_cells and JSON names; money metrics shown in yuan. */
static const struct {
    const char *name;
    bool money;
    bool household; /* comes from the year-0 cells */
} metrics[NMETRICS] = {
    {"projects", false, false},
    {"investment", true, false},
    {"linkage_funds", true, false},
    {"revenue", true, false},
    {"profit", true, false},
    {"collective_income", true, false},
    {"households_benefited", false, false},
    {"poor_households_benefited", false, false},
    {"jobs", false, false},
    {"assets", false, false},
    {"asset_value", true, false},
    {"households", false, true},
    {"persons", false, true},
};

#define MAX_YEARS 20

typedef struct cell {
    struct cell *next;
    char region[13];
    int64_t year;
    char dim[8];
    char dkey[40];
    int64_t m[NMETRICS];
} cell;

typedef struct {
    bf_arena *arena;
    cell **buckets;
    size_t nbuckets;
    size_t count;
    const char *only; /* live mode: accumulate for this region only */
} acc;

static bf_status acc_init(acc *a, const char *only, size_t nbuckets)
{
    memset(a, 0, sizeof *a);
    a->arena = bf_arena_new(0);
    a->nbuckets = nbuckets;
    a->buckets = a->arena ? bf_arena_calloc(a->arena, nbuckets, sizeof *a->buckets) : NULL;
    a->only = only;
    return a->buckets ? BF_OK : BF_ERR_NOMEM;
}

static void acc_free(acc *a)
{
    bf_arena_free(a->arena);
    memset(a, 0, sizeof *a);
}

static size_t hash_key(const char *region, int64_t year, const char *dim, const char *dkey)
{
    uint64_t h = bf_fnv1a_str(BF_FNV1A_INIT, region);
    h = (h ^ (uint64_t)year) * BF_FNV1A_PRIME;
    h = bf_fnv1a_str(h, dim);
    return (size_t)bf_fnv1a_str(h, dkey);
}

static cell *acc_cell(acc *a, const char *region, int64_t year, const char *dim, const char *dkey)
{
    size_t b = hash_key(region, year, dim, dkey) % a->nbuckets;
    for (cell *c = a->buckets[b]; c; c = c->next)
        if (c->year == year && strcmp(c->region, region) == 0 && strcmp(c->dim, dim) == 0 &&
            strcmp(c->dkey, dkey) == 0)
            return c;
    cell *c = bf_arena_calloc(a->arena, 1, sizeof *c);
    if (!c)
        return NULL;
    snprintf(c->region, sizeof c->region, "%s", region);
    c->year = year;
    snprintf(c->dim, sizeof c->dim, "%s", dim);
    snprintf(c->dkey, sizeof c->dkey, "%s", dkey);
    c->next = a->buckets[b];
    a->buckets[b] = c;
    a->count++;
    return c;
}

static bf_status acc_add(acc *a, const char *region, int64_t year, const char *dim,
                         const char *dkey, const int64_t *m)
{
    cell *c = acc_cell(a, region, year, dim, dkey);
    if (!c)
        return BF_ERR_NOMEM;
    for (int i = 0; i < NMETRICS; i++)
        c->m[i] += m[i];
    return BF_OK;
}

static const int level_digits[] = {0, 2, 4, 6, 9, 12};

static void ancestor(const char *code, int level, char out[13])
{
    int n = level_digits[level];
    memcpy(out, code, (size_t)n);
    memset(out + n, '0', (size_t)(12 - n));
    out[12] = '\0';
}

/* Add one record's metrics to the cells of its ancestors (levels 1-4, or the
 * live target) under each dimension given (NULL values are skipped). */
static bf_status feed(acc *a, const char *region, int64_t year, const char *const dims[][2],
                      size_t ndims, const int64_t *m)
{
    if (strlen(region) != 12)
        return BF_OK;
    int level = (int)bf_region_code_level(region);
    if (level == BF_LEVEL_NONE)
        return BF_OK;
    int max_level = a->only ? 5 : 4;
    for (int l = 1; l <= max_level && l <= level; l++) {
        char anc[13], child[13];
        ancestor(region, l, anc);
        if (a->only && strcmp(anc, a->only) != 0)
            continue;
        bf_status rc = acc_add(a, anc, year, "total", "", m);
        for (size_t d = 0; rc == BF_OK && d < ndims; d++)
            if (dims[d][1])
                rc = acc_add(a, anc, year, dims[d][0], dims[d][1], m);
        if (rc == BF_OK && level > l) {
            ancestor(region, l + 1, child);
            rc = acc_add(a, anc, year, "child", child, m);
        }
        if (rc)
            return rc;
    }
    return BF_OK;
}

/* ---- the passes over the registries ---- */

typedef struct {
    const char *lo, *hi; /* live mode range, or NULL */
    int64_t years[MAX_YEARS];
    int nyears;
    bool has_classifications;
} pass_ctx;

static bf_status prepare_ranged(bf_store *store, const char *sql, const char *region_expr,
                                const pass_ctx *pc, bf_stmt **out, int *next_param, bf_error *err)
{
    bf_buf text;
    bf_buf_init(&text, 8192);
    bf_status rc = bf_buf_append_str(&text, sql);
    if (rc == BF_OK && pc->lo)
        rc = bf_buf_printf(&text, " AND %s >= ? AND %s < ?", region_expr, region_expr);
    if (rc) {
        bf_buf_free(&text);
        return bf_error_set(err, rc, "内存不足");
    }
    rc = store_prepare(store, text.data, out, err);
    bf_buf_free(&text);
    if (rc)
        return rc;
    *next_param = 1;
    return BF_OK;
}

static void bind_range(bf_stmt *stmt, const pass_ctx *pc, int *next)
{
    if (!pc->lo)
        return;
    store_bind_str(stmt, (*next)++, pc->lo);
    store_bind_str(stmt, (*next)++, pc->hi);
}

static const char *batch_of(bf_stmt *stmt, int col, bool has)
{
    if (!has)
        return NULL;
    return store_column_is_null(stmt, col) ? "unclassified" : store_column_text(stmt, col, NULL);
}

/* Projects (counts, investment) for year 0 and each year they existed in. */
static bf_status pass_projects(bf_store *store, acc *a, const pass_ctx *pc, int64_t year,
                               bf_error *err)
{
    bool join = year > 0 && pc->has_classifications;
    char sql[600];
    snprintf(sql, sizeof sql,
             "SELECT p.region_code, p.sector, p.status, p.investment, p.linkage_funds%s "
             "FROM projects p%s WHERE p.start_year <= ?",
             join ? ", COALESCE(c.confirmed_batch, c.proposed_batch)" : "",
             join ? " LEFT JOIN classifications c ON c.county_code = p.county_code AND "
                    "c.project_code = p.code AND c.year = ?"
                  : "");
    bf_stmt *stmt = NULL;
    int n = 1;
    bf_status rc = prepare_ranged(store, sql, "p.region_code", pc, &stmt, &n, err);
    if (rc)
        return rc;
    if (join)
        store_bind_int64(stmt, n++, year);
    store_bind_int64(stmt, n++, year > 0 ? year : 9999);
    bind_range(stmt, pc, &n);
    bool has_row = false;
    while ((rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        int64_t m[NMETRICS] = {0};
        m[M_PROJECTS] = 1;
        m[M_INVESTMENT] = store_column_int64(stmt, 3);
        m[M_LINKAGE] = store_column_int64(stmt, 4);
        const char *dims[3][2] = {{"sector", store_column_text(stmt, 1, NULL)},
                                  {"status", store_column_text(stmt, 2, NULL)},
                                  {"batch", batch_of(stmt, 5, join)}};
        rc = feed(a, store_column_text(stmt, 0, NULL), year, dims, 3, m);
        if (rc) {
            bf_error_set(err, rc, "内存不足");
            break;
        }
    }
    store_finalize(stmt);
    return rc;
}

static bf_status pass_assets(bf_store *store, acc *a, const pass_ctx *pc, int64_t year,
                             bf_error *err)
{
    bool join = year > 0 && pc->has_classifications;
    char sql[700];
    snprintf(sql, sizeof sql,
             "SELECT p.region_code, p.sector, p.status, a.original_value%s "
             "FROM assets a JOIN projects p ON p.county_code = a.county_code AND p.code = "
             "a.project_code%s "
             "WHERE p.start_year <= ?",
             join ? ", COALESCE(c.confirmed_batch, c.proposed_batch)" : "",
             join ? " LEFT JOIN classifications c ON c.county_code = p.county_code AND "
                    "c.project_code = p.code AND c.year = ?"
                  : "");
    bf_stmt *stmt = NULL;
    int n = 1;
    bf_status rc = prepare_ranged(store, sql, "p.region_code", pc, &stmt, &n, err);
    if (rc)
        return rc;
    if (join)
        store_bind_int64(stmt, n++, year);
    store_bind_int64(stmt, n++, year > 0 ? year : 9999);
    bind_range(stmt, pc, &n);
    bool has_row = false;
    while ((rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        int64_t m[NMETRICS] = {0};
        m[M_ASSETS] = 1;
        m[M_ASSET_VALUE] = store_column_int64(stmt, 3);
        const char *dims[3][2] = {{"sector", store_column_text(stmt, 1, NULL)},
                                  {"status", store_column_text(stmt, 2, NULL)},
                                  {"batch", batch_of(stmt, 4, join)}};
        rc = feed(a, store_column_text(stmt, 0, NULL), year, dims, 3, m);
        if (rc) {
            bf_error_set(err, rc, "内存不足");
            break;
        }
    }
    store_finalize(stmt);
    return rc;
}

static bf_status pass_project_years(bf_store *store, acc *a, const pass_ctx *pc, bf_error *err)
{
    bool join = pc->has_classifications;
    char sql[900];
    snprintf(sql, sizeof sql,
             "SELECT p.region_code, p.sector, p.status, y.year, y.revenue, y.profit, "
             "y.collective_income, y.households_benefited, y.poor_households_benefited, y.jobs%s "
             "FROM project_years y JOIN projects p ON p.county_code = y.county_code AND "
             "p.code = y.project_code%s WHERE 1 = 1",
             join ? ", COALESCE(c.confirmed_batch, c.proposed_batch)" : "",
             join ? " LEFT JOIN classifications c ON c.county_code = y.county_code AND "
                    "c.project_code = y.project_code AND "
                    "c.year = y.year"
                  : "");
    bf_stmt *stmt = NULL;
    int n = 1;
    bf_status rc = prepare_ranged(store, sql, "p.region_code", pc, &stmt, &n, err);
    if (rc)
        return rc;
    bind_range(stmt, pc, &n);
    bool has_row = false;
    while ((rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        int64_t year = store_column_int64(stmt, 3);
        bool wanted = false;
        for (int i = 0; i < pc->nyears; i++)
            wanted = wanted || pc->years[i] == year;
        if (!wanted)
            continue;
        int64_t m[NMETRICS] = {0};
        m[M_REVENUE] = store_column_int64(stmt, 4);
        m[M_PROFIT] = store_column_int64(stmt, 5);
        m[M_COLLECTIVE] = store_column_int64(stmt, 6);
        m[M_HB] = store_column_int64(stmt, 7);
        m[M_PHB] = store_column_int64(stmt, 8);
        m[M_JOBS] = store_column_int64(stmt, 9);
        const char *dims[3][2] = {{"sector", store_column_text(stmt, 1, NULL)},
                                  {"status", store_column_text(stmt, 2, NULL)},
                                  {"batch", batch_of(stmt, 10, join)}};
        rc = feed(a, store_column_text(stmt, 0, NULL), year, dims, 3, m);
        if (rc) {
            bf_error_set(err, rc, "内存不足");
            break;
        }
    }
    store_finalize(stmt);
    return rc;
}

static bf_status pass_households(bf_store *store, acc *a, const pass_ctx *pc, bf_error *err)
{
    bf_stmt *stmt = NULL;
    int n = 1;
    bf_status rc = prepare_ranged(
        store, "SELECT region_code, kind, risk_status, size FROM households WHERE 1 = 1",
        "region_code", pc, &stmt, &n, err);
    if (rc)
        return rc;
    bind_range(stmt, pc, &n);
    bool has_row = false;
    while ((rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        int64_t m[NMETRICS] = {0};
        m[M_HOUSEHOLDS] = 1;
        m[M_PERSONS] = store_column_int64(stmt, 3);
        const char *dims[2][2] = {{"kind", store_column_text(stmt, 1, NULL)},
                                  {"risk", store_column_text(stmt, 2, NULL)}};
        rc = feed(a, store_column_text(stmt, 0, NULL), 0, dims, 2, m);
        if (rc) {
            bf_error_set(err, rc, "内存不足");
            break;
        }
    }
    store_finalize(stmt);
    return rc;
}

static bool table_exists(bf_store *store, const char *probe_sql)
{
    bf_stmt *stmt = NULL;
    bf_error err;
    if (store_prepare(store, probe_sql, &stmt, &err) != BF_OK)
        return false;
    store_finalize(stmt);
    return true;
}

static bf_status load_years(bf_store *store, pass_ctx *pc, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bool has_row = false;
    pc->nyears = 0;
    bf_status rc = store_prepare(
        store, "SELECT DISTINCT year FROM project_years ORDER BY year DESC", &stmt, err);
    if (rc)
        return rc;
    while ((rc = store_step(stmt, &has_row, err)) == BF_OK && has_row && pc->nyears < MAX_YEARS)
        pc->years[pc->nyears++] = store_column_int64(stmt, 0);
    store_finalize(stmt);
    pc->has_classifications =
        table_exists(store, "SELECT proposed_batch, confirmed_batch FROM classifications");
    return rc;
}

/* All passes into a; with pc->lo set only that range (live mode). */
static bf_status compute(bf_store *store, acc *a, pass_ctx *pc, bf_error *err)
{
    bf_status rc = pass_projects(store, a, pc, 0, err);
    if (rc == BF_OK)
        rc = pass_assets(store, a, pc, 0, err);
    for (int i = 0; rc == BF_OK && i < pc->nyears; i++) {
        rc = pass_projects(store, a, pc, pc->years[i], err);
        if (rc == BF_OK)
            rc = pass_assets(store, a, pc, pc->years[i], err);
    }
    if (rc == BF_OK)
        rc = pass_project_years(store, a, pc, err);
    if (rc == BF_OK)
        rc = pass_households(store, a, pc, err);
    return rc;
}

/* ---- fingerprint ---- */

/* Row count, sum of versions and latest change of each table the cells are
 * built from: an insert or delete moves the count, an update (API or import:
 * both bump the version) the sum, even within the same second. */
static const char *const fingerprint_sql[] = {
    "SELECT COUNT(*), COALESCE(SUM(version), 0), COALESCE(MAX(updated_at), 0) FROM projects",
    "SELECT COUNT(*), COALESCE(SUM(version), 0), COALESCE(MAX(updated_at), 0) FROM assets",
    "SELECT COUNT(*), COALESCE(SUM(version), 0), COALESCE(MAX(updated_at), 0) FROM project_years",
    "SELECT COUNT(*), COALESCE(SUM(version), 0), COALESCE(MAX(updated_at), 0) FROM households",
    ("SELECT COUNT(*), COALESCE(MAX(proposed_at), 0), COALESCE(MAX(confirmed_at), 0) "
     "FROM classifications"),
};

static bf_status fingerprint(bf_store *store, char *out, size_t size, bf_error *err)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof fingerprint_sql / sizeof fingerprint_sql[0]; i++) {
        bf_stmt *stmt = NULL;
        bool has_row = false;
        bf_error local;
        if (store_prepare(store, fingerprint_sql[i], &stmt, &local) != BF_OK)
            continue; /* a table another part of the program adds later */
        bf_status rc = store_step(stmt, &has_row, err);
        if (rc == BF_OK && has_row) {
            int w = snprintf(out + used, size - used, "%s%" PRId64 ":%" PRId64 ":%" PRId64,
                             i ? "," : "", store_column_int64(stmt, 0), store_column_int64(stmt, 1),
                             store_column_int64(stmt, 2));
            if (w > 0 && (size_t)w < size - used)
                used += (size_t)w;
        }
        store_finalize(stmt);
        if (rc)
            return rc;
    }
    return BF_OK;
}

bf_status summary_rebuild(bf_store *store, bf_error *err)
{
    acc a;
    pass_ctx pc = {0};
    bf_stmt *ins = NULL;
    char fp[512];
    if (acc_init(&a, NULL, 1 << 17) != BF_OK)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    bf_status rc = store_begin(store, err);
    if (rc) {
        acc_free(&a);
        return rc;
    }
    rc = fingerprint(store, fp, sizeof fp, err);
    if (rc == BF_OK)
        rc = load_years(store, &pc, err);
    if (rc == BF_OK)
        rc = compute(store, &a, &pc, err);
    if (rc == BF_OK)
        rc = store_exec(store, "DELETE FROM summary_cells", err);
    if (rc == BF_OK)
        rc = store_prepare(store,
                           "INSERT INTO summary_cells (region_code, year, dim, dkey, projects, "
                           "investment, linkage_funds, revenue, profit, collective_income, "
                           "households_benefited, poor_households_benefited, jobs, assets, "
                           "asset_value, households, persons) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           &ins, err);
    for (size_t b = 0; rc == BF_OK && b < a.nbuckets; b++) {
        for (cell *c = a.buckets[b]; rc == BF_OK && c; c = c->next) {
            store_reset(ins);
            store_bind_str(ins, 1, c->region);
            store_bind_int64(ins, 2, c->year);
            store_bind_str(ins, 3, c->dim);
            store_bind_str(ins, 4, c->dkey);
            for (int m = 0; m < NMETRICS; m++)
                store_bind_int64(ins, 5 + m, c->m[m]);
            rc = store_step_done(ins, err);
        }
    }
    store_finalize(ins);
    ins = NULL;
    if (rc == BF_OK)
        rc = store_prepare(store,
                           "INSERT INTO summary_meta (id, built_at, fingerprint) VALUES (1, ?, ?) "
                           "ON CONFLICT (id) DO UPDATE SET built_at = excluded.built_at, "
                           "fingerprint = excluded.fingerprint",
                           &ins, err);
    if (rc == BF_OK) {
        store_bind_int64(ins, 1, bf_time_now());
        store_bind_str(ins, 2, fp);
        rc = store_step_done(ins, err);
    }
    store_finalize(ins);
    acc_free(&a);
    if (rc) {
        store_rollback(store);
        return rc;
    }
    return store_commit(store, err);
}

bf_status summary_refresh(bf_store *store, bool *rebuilt, bf_error *err)
{
    char now[512], stored[512] = "";
    bf_stmt *stmt = NULL;
    bool has_row = false;
    if (rebuilt)
        *rebuilt = false;
    bf_status rc = fingerprint(store, now, sizeof now, err);
    if (rc)
        return rc;
    rc = store_prepare(store, "SELECT fingerprint FROM summary_meta WHERE id = 1", &stmt, err);
    if (rc)
        return rc;
    rc = store_step(stmt, &has_row, err);
    if (rc == BF_OK && has_row)
        snprintf(stored, sizeof stored, "%s", store_column_text(stmt, 0, NULL));
    store_finalize(stmt);
    if (rc || (has_row && strcmp(now, stored) == 0))
        return rc;
    rc = summary_rebuild(store, err);
    if (rc == BF_OK && rebuilt)
        *rebuilt = true;
    return rc;
}

bf_status summary_latest_year(bf_store *store, int64_t *year, bf_error *err)
{
    return store_query_int64(store, "SELECT COALESCE(MAX(year), 0) FROM project_years", year, err,
                             0);
}

/* ---- reading ---- */

static bf_status load_cells(bf_store *store, acc *a, const char *region, int64_t year,
                            bf_error *err)
{
    bf_stmt *stmt = NULL;
    bool has_row = false;
    bf_status rc = store_prepare(store,
                                 "SELECT year, dim, dkey, projects, investment, linkage_funds, "
                                 "revenue, profit, collective_income, households_benefited, "
                                 "poor_households_benefited, jobs, assets, asset_value, "
                                 "households, persons FROM summary_cells "
                                 "WHERE region_code = ? AND year IN (?, 0)",
                                 &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, region);
    store_bind_int64(stmt, 2, year);
    while ((rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        int64_t m[NMETRICS];
        for (int i = 0; i < NMETRICS; i++)
            m[i] = store_column_int64(stmt, 3 + i);
        rc = acc_add(a, region, store_column_int64(stmt, 0), store_column_text(stmt, 1, NULL),
                     store_column_text(stmt, 2, NULL), m);
        if (rc) {
            bf_error_set(err, rc, "内存不足");
            break;
        }
    }
    store_finalize(stmt);
    return rc;
}

/* Figures of one group: project metrics from year Y, household metrics from year 0. */
static json_t *figures(acc *a, const char *region, int64_t year, const char *dim, const char *dkey,
                       const char *zh)
{
    cell *yc = NULL, *zc = NULL;
    size_t b = hash_key(region, year, dim, dkey) % a->nbuckets;
    for (cell *c = a->buckets[b]; c; c = c->next)
        if (c->year == year && !strcmp(c->region, region) && !strcmp(c->dim, dim) &&
            !strcmp(c->dkey, dkey))
            yc = c;
    b = hash_key(region, 0, dim, dkey) % a->nbuckets;
    for (cell *c = a->buckets[b]; c; c = c->next)
        if (c->year == 0 && !strcmp(c->region, region) && !strcmp(c->dim, dim) &&
            !strcmp(c->dkey, dkey))
            zc = c;
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    if (dkey[0] || zh) {
        json_object_set_new(obj, "key", json_string(dkey));
        json_object_set_new(obj, "zh", json_string(zh ? zh : dkey));
    }
    for (int i = 0; i < NMETRICS; i++) {
        cell *src = metrics[i].household ? zc : yc;
        int64_t v = src ? src->m[i] : 0;
        if (metrics[i].money) {
            char text[40];
            bf_money_format(v, text, sizeof text);
            json_object_set_new(obj, metrics[i].name, json_string(text));
        } else {
            json_object_set_new(obj, metrics[i].name, json_integer(v));
        }
    }
    return obj;
}

typedef struct {
    char key[40];
    char zh[128];
} group_key;

/* The distinct dkeys of a dimension present in a for region (years Y and 0). */
static size_t present_keys(acc *a, const char *region, const char *dim, group_key *out, size_t max)
{
    size_t n = 0;
    for (size_t b = 0; b < a->nbuckets; b++)
        for (cell *c = a->buckets[b]; c; c = c->next) {
            if (strcmp(c->region, region) || strcmp(c->dim, dim))
                continue;
            bool seen = false;
            for (size_t i = 0; i < n && !seen; i++)
                seen = !strcmp(out[i].key, c->dkey);
            if (!seen && n < max) {
                snprintf(out[n].key, sizeof out[n].key, "%s", c->dkey);
                out[n].zh[0] = '\0';
                n++;
            }
        }
    return n;
}

static int cmp_group(const void *x, const void *y)
{
    return strcmp(((const group_key *)x)->key, ((const group_key *)y)->key);
}

/* A group array of an enumerated dimension, in the enumeration's order. */
static json_t *enum_groups(acc *a, const char *region, int64_t year, const char *dim,
                           const tpl_enum_value *values)
{
    json_t *list = json_array();
    group_key keys[64];
    size_t n = present_keys(a, region, dim, keys, 64);
    for (const tpl_enum_value *v = values; list && v->id; v++)
        for (size_t i = 0; i < n; i++)
            if (!strcmp(keys[i].key, v->id)) {
                json_array_append_new(list, figures(a, region, year, dim, v->id, v->zh));
                keys[i].key[0] = '\0';
            }
    for (size_t i = 0; list && i < n; i++) /* values outside the enumeration */
        if (keys[i].key[0])
            json_array_append_new(list, figures(a, region, year, dim, keys[i].key, NULL));
    return list;
}

static json_t *batch_groups(bf_store *store, acc *a, const char *region, int64_t year)
{
    json_t *list = json_array();
    group_key keys[32];
    size_t n = present_keys(a, region, "batch", keys, 32);
    qsort(keys, n, sizeof keys[0], cmp_group);
    bf_stmt *stmt = NULL;
    bf_error err;
    bool ordered =
        store_prepare(store, "SELECT id, label FROM batches ORDER BY rank", &stmt, &err) == BF_OK;
    bool has_row = false;
    while (ordered && list && store_step(stmt, &has_row, &err) == BF_OK && has_row) {
        const char *id = store_column_text(stmt, 0, NULL);
        for (size_t i = 0; i < n; i++)
            if (!strcmp(keys[i].key, id)) {
                json_array_append_new(
                    list, figures(a, region, year, "batch", id, store_column_text(stmt, 1, NULL)));
                keys[i].key[0] = '\0';
            }
    }
    store_finalize(stmt);
    for (size_t i = 0; list && i < n; i++)
        if (keys[i].key[0])
            json_array_append_new(
                list, figures(a, region, year, "batch", keys[i].key,
                              strcmp(keys[i].key, "unclassified") == 0 ? "未分类" : NULL));
    return list;
}

static json_t *child_groups(bf_store *store, acc *a, const char *region, int64_t year,
                            bf_error *err)
{
    json_t *list = json_array();
    bf_stmt *stmt = NULL;
    bool has_row = false;
    if (!list ||
        store_prepare(store, "SELECT code, name FROM regions WHERE parent_code = ? ORDER BY code",
                      &stmt, err) != BF_OK) {
        json_decref(list);
        return NULL;
    }
    store_bind_str(stmt, 1, region);
    while (store_step(stmt, &has_row, err) == BF_OK && has_row)
        json_array_append_new(list,
                              figures(a, region, year, "child", store_column_text(stmt, 0, NULL),
                                      store_column_text(stmt, 1, NULL)));
    store_finalize(stmt);
    return list;
}

static bf_status region_json(bf_store *store, const char *code, json_t **out, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bool has_row = false;
    bf_status rc = store_prepare(
        store, "SELECT code, name, level, parent_code, flags FROM regions WHERE code = ?", &stmt,
        err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, code);
    rc = store_step(stmt, &has_row, err);
    if (rc == BF_OK && !has_row)
        rc = bf_error_set(err, BF_ERR_NOT_FOUND, "区划 %s 不存在", code);
    if (rc == BF_OK) {
        json_t *obj = json_object();
        if (obj) {
            int64_t level = store_column_int64(stmt, 2);
            json_object_set_new(obj, "code", json_string(store_column_text(stmt, 0, NULL)));
            json_object_set_new(obj, "name", json_string(store_column_text(stmt, 1, NULL)));
            json_object_set_new(obj, "level", json_integer(level));
            json_object_set_new(obj, "level_zh",
                                json_string(bf_region_level_name_zh((bf_region_level)level)));
        }
        *out = obj;
        if (!obj)
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    store_finalize(stmt);
    return rc;
}

bf_status summary_get(bf_store *store, const char *region_code, int64_t year, json_t **out,
                      bf_error *err)
{
    acc a;
    json_t *result = NULL, *region = NULL;
    *out = NULL;
    bf_status rc = region_json(store, region_code, &region, err);
    if (rc)
        return rc;
    if (year == 0)
        rc = summary_latest_year(store, &year, err);
    if (rc || acc_init(&a, region_code, 1024) != BF_OK) {
        json_decref(region);
        return rc ? rc : bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    bf_region_level level = bf_region_code_level(region_code);
    if (level == BF_LEVEL_VILLAGE) {
        /* Small: straight from the registries. */
        char lo[13], hi[13];
        bf_region_code_range(region_code, lo, hi);
        pass_ctx pc = {.lo = lo, .hi = hi};
        rc = load_years(store, &pc, err);
        if (rc == BF_OK) {
            pc.nyears = 0;
            if (year > 0)
                pc.years[pc.nyears++] = year;
            rc = compute(store, &a, &pc, err);
        }
    } else {
        rc = load_cells(store, &a, region_code, year, err);
    }
    result = json_object();
    if (rc == BF_OK && !result)
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    if (rc == BF_OK) {
        json_object_set_new(result, "region", region);
        region = NULL;
        json_object_set_new(result, "year", json_integer(year));
        json_object_set_new(result, "totals", figures(&a, region_code, year, "total", "", NULL));
        json_object_set_new(result, "by_batch", batch_groups(store, &a, region_code, year));
        json_object_set_new(result, "by_sector",
                            enum_groups(&a, region_code, year, "sector", tpl_sectors));
        json_object_set_new(result, "by_status",
                            enum_groups(&a, region_code, year, "status", tpl_project_statuses));
        json_t *children = child_groups(store, &a, region_code, year, err);
        json_object_set_new(result, "by_child", children ? children : json_array());
        json_object_set_new(result, "by_household_kind",
                            enum_groups(&a, region_code, 0, "kind", tpl_household_kinds));
        json_object_set_new(result, "by_risk_status",
                            enum_groups(&a, region_code, 0, "risk", tpl_risk_statuses));
        int64_t built = 0;
        bf_error local;
        store_query_int64(store, "SELECT built_at FROM summary_meta WHERE id = 1", &built, &local,
                          0);
        char when[32];
        bf_time_format_utc(level == BF_LEVEL_VILLAGE ? bf_time_now() : built, when, sizeof when);
        json_object_set_new(result, "built_at", json_string(when));
        *out = result;
        result = NULL;
    }
    json_decref(result);
    json_decref(region);
    acc_free(&a);
    return rc;
}

bf_status summary_child_counts(bf_store *store, const char *region_code, json_t **out,
                               bf_error *err)
{
    bf_stmt *stmt = NULL;
    bool has_row = false;
    json_t *obj = json_object();
    *out = NULL;
    if (!obj)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    bf_status rc = store_prepare(store,
                                 "SELECT dkey, projects, households FROM summary_cells "
                                 "WHERE region_code = ? AND year = 0 AND dim = 'child'",
                                 &stmt, err);
    if (rc == BF_OK)
        store_bind_str(stmt, 1, region_code);
    while (rc == BF_OK && (rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        json_t *c = json_object();
        if (!c)
            break;
        json_object_set_new(c, "projects", json_integer(store_column_int64(stmt, 1)));
        json_object_set_new(c, "households", json_integer(store_column_int64(stmt, 2)));
        json_object_set_new(obj, store_column_text(stmt, 0, NULL), c);
    }
    store_finalize(stmt);
    if (rc) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return BF_OK;
}
