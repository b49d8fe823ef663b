/*
 * classify.c - the classification run, explanations, decisions and listings
 * (see classify.h).
 *
 * The run keeps the earlier results of the year in a hash map (code -> batch,
 * rule, hash of explanation and values) so it can write only what changed:
 * a new result is inserted, a changed batch updates the row and adds a
 * history event, a changed rule or value updates the row's evidence only,
 * and an unchanged result is not written at all.
 *
 * The projects and the households are read and evaluated by reader threads
 * on connections of their own when they can be (pj_producer, hh_producer:
 * on SQLite in WAL mode, and on PostgreSQL); the run's own thread writes what
 * they hand over. On PostgreSQL the first results of a database are staged
 * and written without classifications' foreign keys (stage_begin).
 */
#include "domain/classify.h"
#include "core/hash.h"
#include "core/buf.h"
#include "core/date.h"
#include "domain/audit.h"
#include "domain/codemap.h"
#include "domain/indicators.h"
#include "domain/thresholds.h"
#include "store/batch.h"
#include "store/store_pg.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_CAP (64 * 1024)

/* Rows per multi-row INSERT of results, history and warnings on SQLite
 * (store_batch_gather): past a few dozen rows the statement's fixed cost is
 * spread thin; more only makes the statement longer to prepare. */
#define CLASSIFY_GATHER_ROWS 64

static const char *batch_label(const batch_table *batches, const char *id)
{
    int b = rules_batch_find(batches, id, strlen(id));
    return b >= 0 ? batches->items[b].label : id;
}

/* Append to the audit trail (inside the caller's transaction); takes obj. */
static bf_status audit_json(bf_store *store, const char *actor, const char *action,
                            const char *entity, const char *key, json_t *obj, bf_error *err)
{
    char *after = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(obj);
    if (!after)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    audit_entry e = {actor && actor[0] ? actor : "-", "", action, entity, key, NULL, after};
    bf_status rc = audit_append(store, &e, NULL, err);
    free(after);
    return rc;
}

/* The seed of the evidence hashes stored with every result (one digit short
 * of FNV's offset basis, as first written): kept, so that stored hashes of
 * unchanged results still match and a re-run writes nothing. */
#define EVIDENCE_HASH_SEED 1469598103934665603ULL

static uint64_t evidence_hash(const char *expl, size_t expl_len, const char *snap, size_t snap_len)
{
    uint64_t h = bf_fnv1a(EVIDENCE_HASH_SEED, expl, expl_len);
    h = bf_fnv1a(h, "\n", 1);
    return bf_fnv1a(h, snap, snap_len);
}

/* The rules of one kind: a contiguous run of the sorted set. */
static void rules_of_kind(const rule_set *set, rule_kind kind, const rule **first, size_t *count)
{
    *first = NULL;
    *count = 0;
    for (size_t i = 0; i < set->nrules; i++) {
        if (set->rules[i].kind != kind)
            continue;
        if (!*first)
            *first = &set->rules[i];
        (*count)++;
    }
}

/* ---- the run -------------------------------------------------------------------- */

/* Page cache of a reader thread's connection (KiB, as PRAGMA cache_size wants
 * it): readers pass over each page about once. */
#define READER_CACHE_KIB "2048"

/* Words of a bit mask with one bit per rule. */
#define RULE_MASK_WORDS ((RULES_MAX_RULES + 63) / 64)

/* What the rules make of one project, before anything is written: computed by
 * the project reader (pj_evaluate), written by the run (pj_write). Text points
 * into the evaluator's buffers or a chunk's arena. */
typedef struct {
    const char *code, *region_code;
    const rule *fired; /* the batch rule that held, NULL: the fallback */
    int batch;         /* index into the batch table */
    const char *expl, *snap;
    size_t expl_len, snap_len;
    uint64_t hash;
    uint64_t warned[RULE_MASK_WORDS]; /* bit i: project warning rule i holds */
    rl_value values[IND_P_COUNT];
} pj_item;

/* What evaluating projects needs: read only, shared by the run and a reader. */
typedef struct {
    const batch_table *batches;
    const rule *batch_rules, *project_warnings;
    size_t nbatch, nproject_warnings;
    const char *fallback_text;
} pj_rules;

typedef struct {
    int8_t batch;
    bool confirmed;
    const char *rule_code; /* "" for the fallback */
    uint64_t hash;
} previous_result;

typedef struct {
    bf_store *store;
    const classify_options *options;
    classify_result *result;
    const rule_set *set;
    const rule *batch_rules, *project_warnings, *household_warnings;
    size_t nbatch, nproject_warnings, nhousehold_warnings;
    bf_arena *arena;
    cmap *previous;
    warn_sync *warnings;
    store_batch *insert, *history; /* COPY on PostgreSQL */
    bool staged;                   /* PostgreSQL: new results go to CLASSIFY_STAGE first */
    struct {
        const char *table;
        store_index *indexes; /* dropped for the run (bulk_begin) */
        size_t n;
    } bulk[2];
    size_t nbulk;
    bf_stmt *update_batch, *update_evidence;
    pj_rules rules; /* what evaluating a project needs */
    bf_buf expl, snap;
    int64_t now;
    char fallback_text[256];
} run_ctx;

static bf_status load_previous(run_ctx *ctx, const char *prefix, bf_error *err)
{
    static const char sql_all[] =
        "SELECT project_code, proposed_batch, COALESCE(rule_code, ''), evidence, confirmed_batch "
        "FROM classifications WHERE year = ?";
    /* A scope of whole counties is its county range; a part of a county is
     * its county and the region range of the projects. */
    static const char sql_counties[] =
        "SELECT project_code, proposed_batch, COALESCE(rule_code, ''), evidence, confirmed_batch "
        "FROM classifications WHERE year = ? AND county_code >= ? AND county_code < ?";
    static const char sql_region[] =
        "SELECT c.project_code, c.proposed_batch, COALESCE(c.rule_code, ''), c.evidence, "
        "c.confirmed_batch FROM classifications c "
        "JOIN projects p ON p.county_code = c.county_code AND p.code = c.project_code "
        "WHERE c.year = ? AND c.county_code = ? AND p.region_code BETWEEN ? AND ?";
    char year_text[24];
    snprintf(year_text, sizeof year_text, "%lld", (long long)ctx->options->year);
    int64_t count = 0;
    bf_status rc =
        store_query_int64(ctx->store, "SELECT COUNT(*) FROM classifications WHERE year = ?", &count,
                          err, 1, year_text);
    if (rc)
        return rc;
    ctx->previous = cmap_new((size_t)count + 16);
    if (!ctx->previous)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    if (count == 0)
        return BF_OK;
    bf_stmt *stmt = NULL;
    char clo[7], chi[7];
    bool counties = prefix && ind_scope_counties(prefix, clo, chi);
    rc = store_prepare(ctx->store,
                       !prefix    ? sql_all
                       : counties ? sql_counties
                                  : sql_region,
                       &stmt, err);
    if (rc)
        return rc;
    store_bind_int64(stmt, 1, ctx->options->year);
    if (counties) {
        store_bind_str(stmt, 2, clo);
        store_bind_str(stmt, 3, chi);
    } else if (prefix) {
        char lo[13], hi[13];
        size_t n = strlen(prefix);
        memcpy(lo, prefix, n);
        memcpy(hi, prefix, n);
        memset(lo + n, '0', 12 - n);
        memset(hi + n, '9', 12 - n);
        lo[12] = hi[12] = '\0';
        store_bind_str(stmt, 2, clo);
        store_bind_str(stmt, 3, lo);
        store_bind_str(stmt, 4, hi);
    }
    const batch_table *batches = &ctx->result->batches;
    while (rc == BF_OK) {
        bool has_row = false;
        rc = store_step(stmt, &has_row, err);
        if (rc || !has_row)
            break;
        size_t code_len, batch_len, rule_len;
        const char *code = store_column_text(stmt, 0, &code_len);
        const char *batch = store_column_text(stmt, 1, &batch_len);
        const char *rule_code = store_column_text(stmt, 2, &rule_len);
        previous_result *p = bf_arena_alloc(ctx->arena, sizeof *p);
        char *rule_copy = bf_arena_strndup(ctx->arena, rule_code, rule_len);
        if (!p || !rule_copy) {
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
            break;
        }
        p->batch = (int8_t)rules_batch_find(batches, batch, batch_len);
        p->confirmed = !store_column_is_null(stmt, 4);
        p->rule_code = rule_copy;
        p->hash = (uint64_t)store_column_int64(stmt, 3);
        if (cmap_put(ctx->previous, code, code_len, p) != BF_OK)
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    store_finalize(stmt);
    return rc;
}

/* ---- PostgreSQL: the first results of a database -------------------------------- */

/* On PostgreSQL every result row written checks its four foreign keys (project,
 * proposed and confirmed batch, rule set) by a query of its own in the server:
 * on a first run, most of the server's work. SQLite's run turns its checks off
 * (fk_checks_off) because every reference it writes is known valid; the
 * PostgreSQL equivalent is to write without the constraints and add them back
 * at the end, checked in one pass each, in the same transaction. Dropping a
 * foreign key locks the table it refers to (projects, batches, rule_sets)
 * against every reader until the commit, so the run does it only at its very
 * end, after its readers have finished: until then the new results are copied
 * into a temporary table (no log, no checks), which the end moves into
 * classifications in one INSERT ... SELECT between the drop and the re-adding.
 * Only for the first results of a database (classifications empty when the
 * run starts, in a transaction of the run's own): later runs write few rows and
 * must not take those locks. */
#define CLASSIFY_STAGE "bf_classify_new"
#define CLASSIFY_COLUMNS                                                                           \
    "project_code, year, proposed_batch, rule_set_id, rule_code, rule_name, explanation, "         \
    "indicators, evidence, run_id, proposed_at, county_code"

static bf_status stage_begin(run_ctx *ctx, bf_error *err)
{
    ctx->staged = false;
    if (store_kind(ctx->store) != BF_STORE_PG || ctx->store->tx_depth != 1)
        return BF_OK;
    int64_t any = 0;
    bf_status rc = store_query_int64(
        ctx->store, "SELECT COUNT(*) FROM (SELECT 1 FROM classifications LIMIT 1) AS t", &any, err,
        0);
    if (rc || any)
        return rc;
    rc = store_exec(ctx->store,
                    "CREATE TEMPORARY TABLE " CLASSIFY_STAGE
                    " (LIKE classifications INCLUDING DEFAULTS) ON COMMIT DROP",
                    err);
    if (rc == BF_OK)
        ctx->staged = true;
    return rc;
}

/* Move the staged results into classifications with its foreign keys and
 * indexes dropped (store_table_indexes, as the import's bulk path does), then
 * create them again: each index by one sort, each foreign key checked against
 * the whole table in one pass. The table was empty and is the run's until its
 * commit. */
static bf_status stage_finish(run_ctx *ctx, bf_error *err)
{
    if (!ctx->staged)
        return BF_OK;
    store_index *indexes = NULL;
    size_t nindexes = 0;
    bf_status rc = store_batch_flush(ctx->insert, err);
    if (rc == BF_OK)
        rc = store_table_indexes(ctx->store, "classifications", &indexes, &nindexes, err);
    for (size_t i = 0; rc == BF_OK && i < nindexes; i++)
        rc = store_drop_index(ctx->store, &indexes[i], err);
    if (rc == BF_OK)
        rc = store_exec(ctx->store,
                        "INSERT INTO classifications (" CLASSIFY_COLUMNS
                        ") SELECT " CLASSIFY_COLUMNS " FROM " CLASSIFY_STAGE,
                        err);
    if (rc == BF_OK && nindexes > 0)
        rc = store_rebuild_settings(ctx->store, true, err);
    for (size_t i = 0; rc == BF_OK && i < nindexes; i++)
        rc = store_exec(ctx->store, indexes[i].sql, err);
    if (rc == BF_OK && nindexes > 0)
        rc = store_rebuild_settings(ctx->store, false, err);
    store_indexes_free(indexes, nindexes);
    return rc;
}

/* The history and the warnings have no foreign keys, but three indexes each
 * to insert every row into: when a table is empty at the start of such a run
 * (the first results of a database), its indexes are dropped inside the run's
 * transaction and created again at the end, each by one sort, as the
 * import's bulk path does (store_table_indexes); other writers and readers of
 * that table wait for the run's commit. Nothing in the run reads either table
 * after warn_sync_begin, and a run of an empty table updates no row. */
static bf_status bulk_begin(run_ctx *ctx, const char *table, bf_error *err)
{
    if (!ctx->staged)
        return BF_OK;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM (SELECT 1 FROM %s LIMIT 1) AS t", table);
    int64_t any = 0;
    bf_status rc = store_lock_table(ctx->store, table, err);
    if (rc == BF_OK)
        rc = store_query_int64(ctx->store, sql, &any, err, 0);
    if (rc || any)
        return rc;
    size_t k = ctx->nbulk++;
    ctx->bulk[k].table = table;
    rc = store_table_indexes(ctx->store, table, &ctx->bulk[k].indexes, &ctx->bulk[k].n, err);
    for (size_t i = 0; rc == BF_OK && i < ctx->bulk[k].n; i++)
        rc = store_drop_index(ctx->store, &ctx->bulk[k].indexes[i], err);
    return rc;
}

/* Create the dropped indexes again (after the tables' rows are all written). */
static bf_status bulk_finish(run_ctx *ctx, bf_error *err)
{
    bf_status rc = BF_OK;
    bool any = false;
    for (size_t k = 0; k < ctx->nbulk; k++)
        any = any || ctx->bulk[k].n > 0;
    if (any)
        rc = store_rebuild_settings(ctx->store, true, err);
    for (size_t k = 0; k < ctx->nbulk && rc == BF_OK; k++)
        for (size_t i = 0; i < ctx->bulk[k].n && rc == BF_OK; i++)
            rc = store_exec(ctx->store, ctx->bulk[k].indexes[i].sql, err);
    if (rc == BF_OK && any)
        rc = store_rebuild_settings(ctx->store, false, err);
    return rc;
}

static void bulk_free(run_ctx *ctx)
{
    for (size_t k = 0; k < ctx->nbulk; k++)
        store_indexes_free(ctx->bulk[k].indexes, ctx->bulk[k].n);
    ctx->nbulk = 0;
}

static bf_status prepare_statements(run_ctx *ctx, bf_error *err)
{
    bf_status rc = stage_begin(ctx, err);
    if (rc == BF_OK)
        rc = store_batch_new(ctx->store,
                             ctx->staged ? "INSERT INTO " CLASSIFY_STAGE " (" CLASSIFY_COLUMNS
                                           ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                         : "INSERT INTO classifications (" CLASSIFY_COLUMNS
                                           ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             &ctx->insert, err);
    if (rc == BF_OK)
        rc = store_prepare(ctx->store,
                           "UPDATE classifications SET proposed_batch = ?, rule_set_id = ?, "
                           "rule_code = ?, rule_name = ?, explanation = ?, indicators = ?, "
                           "evidence = ?, run_id = ?, proposed_at = ? "
                           "WHERE project_code = ? AND year = ? AND county_code = ?",
                           &ctx->update_batch, err);
    if (rc == BF_OK)
        rc = store_prepare(ctx->store,
                           "UPDATE classifications SET rule_set_id = ?, rule_code = ?, "
                           "rule_name = ?, explanation = ?, indicators = ?, evidence = ?, "
                           "run_id = ? WHERE project_code = ? AND year = ? AND county_code = ?",
                           &ctx->update_evidence, err);
    if (rc == BF_OK)
        rc = store_batch_new(ctx->store,
                             "INSERT INTO classification_history (project_code, year, event, "
                             "batch, previous_batch, rule_set_id, rule_code, explanation, actor, "
                             "reason, run_id, happened_at, county_code) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             &ctx->history, err);
    if (rc == BF_OK)
        rc = store_batch_gather(ctx->insert, CLASSIFY_GATHER_ROWS, err);
    if (rc == BF_OK)
        rc = store_batch_gather(ctx->history, CLASSIFY_GATHER_ROWS, err);
    return rc;
}

/* A proposal of the run into the history (a batch of rows). */
static bf_status run_history(run_ctx *ctx, const pj_item *it, const char *batch,
                             const char *previous, const char *rule_code, bf_error *err)
{
    store_batch *h = ctx->history;
    store_batch_bind_str(h, 1, it->code);
    store_batch_bind_int64(h, 2, ctx->options->year);
    store_batch_bind_str(h, 3, "proposed");
    store_batch_bind_str(h, 4, batch);
    store_batch_bind_str(h, 5, previous);
    store_batch_bind_int64(h, 6, ctx->set->id);
    store_batch_bind_str(h, 7, rule_code && rule_code[0] ? rule_code : NULL);
    store_batch_bind_text(h, 8, it->expl, it->expl_len);
    store_batch_bind_str(h, 9, ctx->options->actor);
    store_batch_bind_null(h, 10);
    store_batch_bind_int64(h, 11, ctx->result->run_id);
    store_batch_bind_int64(h, 12, ctx->now);
    store_batch_bind_text(h, 13, it->region_code, 6); /* county_code */
    return store_batch_add(h, err);
}

static bf_status add_history(bf_stmt *h, const char *code, const char *county, int64_t year,
                             const char *event, const char *batch, const char *previous,
                             int64_t rule_set_id, const char *rule_code, const char *explanation,
                             const char *actor, const char *reason, int64_t run_id, int64_t at,
                             bf_error *err)
{
    store_bind_str(h, 1, code);
    store_bind_int64(h, 2, year);
    store_bind_str(h, 3, event);
    store_bind_str(h, 4, batch);
    store_bind_str(h, 5, previous);
    if (rule_set_id > 0)
        store_bind_int64(h, 6, rule_set_id);
    else
        store_bind_null(h, 6);
    store_bind_str(h, 7, rule_code && rule_code[0] ? rule_code : NULL);
    store_bind_str(h, 8, explanation);
    store_bind_str(h, 9, actor);
    store_bind_str(h, 10, reason);
    if (run_id > 0)
        store_bind_int64(h, 11, run_id);
    else
        store_bind_null(h, 11);
    store_bind_int64(h, 12, at);
    store_bind_str(h, 13, county);
    bf_status rc = store_step_done(h, err);
    store_reset(h);
    return rc;
}

static bf_status pj_evaluate(const pj_rules *r, const ind_project *p, bf_buf *expl, bf_buf *snap,
                             pj_item *out, bf_error *err)
{
    const rule *fired = NULL;
    for (size_t i = 0; i < r->nbatch && !fired; i++)
        if (rl_eval(r->batch_rules[i].program, p->values) == RL_TRUE)
            fired = &r->batch_rules[i];
    bf_buf_reset(expl);
    bf_buf_reset(snap);
    int batch;
    bf_status rc;
    if (fired) {
        batch = rules_batch_find(r->batches, fired->outcome, strlen(fired->outcome));
        if (batch < 0)
            return bf_error_set(err, BF_ERR_INVALID, "规则 %s 的批次 %s 已不存在", fired->code,
                                fired->outcome);
        rc = rl_template_render(fired->template_, p->values, expl);
    } else {
        batch = r->batches->fallback;
        rc = bf_buf_append_str(expl, r->fallback_text);
    }
    if (rc == BF_OK)
        rc = ind_snapshot_json(IND_PROJECT, p->values, snap);
    if (rc)
        return bf_error_set(err, rc, "项目 %s 的说明过长", p->code);
    out->code = p->code;
    out->region_code = p->region_code;
    out->fired = fired;
    out->batch = batch;
    out->expl = expl->data;
    out->expl_len = expl->len;
    out->snap = snap->data;
    out->snap_len = snap->len;
    out->hash = evidence_hash(expl->data, expl->len, snap->data, snap->len);
    memset(out->warned, 0, sizeof out->warned);
    for (size_t i = 0; i < r->nproject_warnings; i++)
        if (rl_eval(r->project_warnings[i].program, p->values) == RL_TRUE)
            out->warned[i / 64] |= UINT64_C(1) << (i % 64);
    memcpy(out->values, p->values, sizeof out->values);
    return BF_OK;
}

/* Write one evaluated project: its result (new, changed or left), history and warnings. */
static bf_status pj_write(run_ctx *ctx, const pj_item *it, bf_error *err)
{
    classify_result *res = ctx->result;
    const batch_table *batches = &res->batches;
    int64_t year = ctx->options->year;
    const rule *fired = it->fired;
    int batch = it->batch;
    res->projects++;
    if (!fired)
        res->fallback++;
    res->per_batch[batch]++;

    const char *batch_id = batches->items[batch].id;
    const char *rule_code = fired ? fired->code : "";
    const char *rule_name = fired ? fired->name : "（未命中规则，兜底）";
    uint64_t hash = it->hash;
    const previous_result *prev = cmap_get(ctx->previous, it->code, strlen(it->code));
    bf_stmt *s;
    bf_status rc;
    if (!prev) {
        res->first++;
        store_batch *b = ctx->insert;
        store_batch_bind_str(b, 1, it->code);
        store_batch_bind_int64(b, 2, year);
        store_batch_bind_str(b, 3, batch_id);
        store_batch_bind_int64(b, 4, ctx->set->id);
        store_batch_bind_str(b, 5, fired ? rule_code : NULL);
        store_batch_bind_str(b, 6, rule_name);
        store_batch_bind_text(b, 7, it->expl, it->expl_len);
        store_batch_bind_text(b, 8, it->snap, it->snap_len);
        store_batch_bind_int64(b, 9, (int64_t)hash);
        store_batch_bind_int64(b, 10, res->run_id);
        store_batch_bind_int64(b, 11, ctx->now);
        store_batch_bind_text(b, 12, it->region_code, 6); /* county_code */
        rc = store_batch_add(b, err);
        if (rc == BF_OK)
            rc = run_history(ctx, it, batch_id, NULL, rule_code, err);
    } else if (prev->batch != batch) {
        res->changed++;
        if (prev->confirmed)
            res->changed_confirmed++;
        if (prev->batch >= 0)
            res->transitions[prev->batch][batch]++;
        s = ctx->update_batch;
        store_bind_str(s, 1, batch_id);
        store_bind_int64(s, 2, ctx->set->id);
        store_bind_str(s, 3, fired ? rule_code : NULL);
        store_bind_str(s, 4, rule_name);
        store_bind_text(s, 5, it->expl, it->expl_len);
        store_bind_text(s, 6, it->snap, it->snap_len);
        store_bind_int64(s, 7, (int64_t)hash);
        store_bind_int64(s, 8, res->run_id);
        store_bind_int64(s, 9, ctx->now);
        store_bind_str(s, 10, it->code);
        store_bind_int64(s, 11, year);
        store_bind_text(s, 12, it->region_code, 6);
        rc = store_step_done(s, err);
        store_reset(s);
        if (rc == BF_OK)
            rc = run_history(ctx, it, batch_id,
                             prev->batch >= 0 ? batches->items[prev->batch].id : NULL, rule_code,
                             err);
    } else if (strcmp(prev->rule_code, rule_code) != 0 || prev->hash != hash) {
        res->updated++;
        s = ctx->update_evidence;
        store_bind_int64(s, 1, ctx->set->id);
        store_bind_str(s, 2, fired ? rule_code : NULL);
        store_bind_str(s, 3, rule_name);
        store_bind_text(s, 4, it->expl, it->expl_len);
        store_bind_text(s, 5, it->snap, it->snap_len);
        store_bind_int64(s, 6, (int64_t)hash);
        store_bind_int64(s, 7, res->run_id);
        store_bind_str(s, 8, it->code);
        store_bind_int64(s, 9, year);
        store_bind_text(s, 10, it->region_code, 6);
        rc = store_step_done(s, err);
        store_reset(s);
    } else {
        res->unchanged++;
        rc = BF_OK;
    }
    for (size_t i = 0; i < ctx->nproject_warnings && rc == BF_OK; i++)
        if (it->warned[i / 64] & (UINT64_C(1) << (i % 64)))
            rc = warn_sync_fire(ctx->warnings, IND_PROJECT, it->code, it->region_code,
                                &ctx->project_warnings[i], it->values, err);
    return rc;
}

/* A project read on the run's own connection: evaluated and written at once. */
static bf_status on_project(void *vctx, const ind_project *p, bf_error *err)
{
    run_ctx *ctx = vctx;
    pj_item it;
    bf_status rc = pj_evaluate(&ctx->rules, p, &ctx->expl, &ctx->snap, &it, err);
    return rc ? rc : pj_write(ctx, &it, err);
}

/* ---- projects: read and evaluated on a second connection -------------------------- */

/* The run's own thread is the longer path of a first run: it read, evaluated
 * and wrote every project, then wrote the households' warnings (on PostgreSQL
 * its connection's server process read the projects between the writes). So
 * when the run has a transaction of its own (and on SQLite the database is in
 * WAL mode), a reader thread on a connection of its own reads the projects, computes their
 * indicators, evaluates the rules and renders explanations and snapshots, and
 * hands the results over in chunks through a bounded queue; the run's thread
 * only writes them, in the same (code) order. The reader starts after the run's
 * transaction has begun (IMMEDIATE: no other writer can commit in between), so
 * it reads what the run's connection would have read: the run writes nothing
 * the project scan reads. On PostgreSQL the reader reads in a transaction of
 * its own (its cursors need one), as the household reader does; the run's
 * connection would have read in a statement of its own, after its BEGIN, which
 * likewise sees whatever other writers committed before it. Otherwise the run
 * reads them itself (on_project). */

#define PJ_CHUNK     32
#define PJ_QUEUE_MAX 4 /* chunks waiting for the writer: bounds the memory held */

typedef struct pj_chunk {
    struct pj_chunk *next;
    bf_arena *arena;
    size_t count;
    pj_item items[PJ_CHUNK];
} pj_chunk;

typedef struct {
    bf_store *store; /* the reader's own connection */
    pthread_t thread;
    bool threaded;
    ind_scope scope;
    char prefix[13];
    const pj_rules *rules;
    bf_buf expl, snap;  /* the reader's */
    atomic_bool cancel; /* the run failed: stop */
    pj_chunk *current;  /* being filled (reader only) */
    pthread_mutex_t lock;
    pthread_cond_t ready, space;
    pj_chunk *head, *tail; /* filled chunks, oldest first (under lock) */
    size_t queued;         /* how many (under lock) */
    bool done;             /* the reader has finished (under lock) */
    bf_status rc;
    bf_error err;
} pj_producer;

static void pj_chunk_free(pj_chunk *c)
{
    if (c) {
        bf_arena_free(c->arena);
        free(c);
    }
}

/* Queue a filled chunk, waiting while the queue is full. */
static void pj_publish(pj_producer *p, pj_chunk *c)
{
    pthread_mutex_lock(&p->lock);
    while (p->queued >= PJ_QUEUE_MAX && !atomic_load(&p->cancel))
        pthread_cond_wait(&p->space, &p->lock);
    if (p->tail)
        p->tail->next = c;
    else
        p->head = c;
    p->tail = c;
    p->queued++;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

static bf_status pj_on_project(void *vctx, const ind_project *proj, bf_error *err)
{
    pj_producer *p = vctx;
    if (atomic_load_explicit(&p->cancel, memory_order_relaxed))
        return bf_error_set(err, BF_ERR_INTERNAL, "分类运行已中止");
    pj_chunk *c = p->current;
    if (c && c->count == PJ_CHUNK) {
        pj_publish(p, c);
        c = p->current = NULL;
    }
    if (!c) {
        c = calloc(1, sizeof *c);
        if (c)
            c->arena = bf_arena_new(0);
        if (!c || !c->arena) {
            pj_chunk_free(c);
            return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        }
        p->current = c;
    }
    pj_item *it = &c->items[c->count];
    bf_status rc = pj_evaluate(p->rules, proj, &p->expl, &p->snap, it, err);
    if (rc)
        return rc;
    it->code = bf_arena_strdup(c->arena, proj->code);
    it->region_code = bf_arena_strdup(c->arena, proj->region_code);
    it->expl = bf_arena_strndup(c->arena, p->expl.data, p->expl.len);
    it->snap = bf_arena_strndup(c->arena, p->snap.data, p->snap.len);
    if (!it->code || !it->region_code || !it->expl || !it->snap)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    c->count++;
    return BF_OK;
}

static void *pj_thread(void *arg)
{
    pj_producer *p = arg;
    bf_error err;
    bf_error_clear(&err);
    /* On PostgreSQL, a transaction of its own for the cursors (as the
     * household reader's, hh_produce). */
    bool tx = store_kind(p->store) == BF_STORE_PG;
    bf_status rc = tx ? store_begin(p->store, &err) : BF_OK;
    if (rc == BF_OK)
        rc = ind_scan_projects(p->store, &p->scope, pj_on_project, p, &err);
    if (tx && rc == BF_OK)
        rc = store_commit(p->store, &err);
    else if (tx)
        store_rollback(p->store);
    pj_chunk *last = p->current;
    p->current = NULL;
    if (last && last->count > 0 && rc == BF_OK)
        pj_publish(p, last);
    else
        pj_chunk_free(last);
    pthread_mutex_lock(&p->lock);
    p->rc = rc;
    p->err = err;
    p->done = true;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Start the reader on second, a connection of its own (closed by pj_stop).
 * false: no thread (second is closed); the run reads the projects itself. */
static bool pj_start(pj_producer *p, bf_store *second, const ind_scope *scope,
                     const pj_rules *rules)
{
    memset(p, 0, sizeof *p);
    p->store = second;
    p->scope = *scope;
    if (scope->region_prefix) {
        snprintf(p->prefix, sizeof p->prefix, "%s", scope->region_prefix);
        p->scope.region_prefix = p->prefix;
    }
    p->rules = rules;
    bf_buf_init(&p->expl, TEXT_CAP);
    bf_buf_init(&p->snap, TEXT_CAP);
    atomic_init(&p->cancel, false);
    bool lock = pthread_mutex_init(&p->lock, NULL) == 0;
    bool ready = lock && pthread_cond_init(&p->ready, NULL) == 0;
    bool space = ready && pthread_cond_init(&p->space, NULL) == 0;
    if (space && pthread_create(&p->thread, NULL, pj_thread, p) == 0) {
        p->threaded = true;
        return true;
    }
    if (space)
        pthread_cond_destroy(&p->space);
    if (ready)
        pthread_cond_destroy(&p->ready);
    if (lock)
        pthread_mutex_destroy(&p->lock);
    bf_buf_free(&p->expl);
    bf_buf_free(&p->snap);
    store_close(second);
    return false;
}

/* Stop the reader (if still running) and release it. */
static void pj_stop(pj_producer *p)
{
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->cancel, true);
    pthread_cond_broadcast(&p->space);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    store_close(p->store);
    while (p->head) {
        pj_chunk *c = p->head;
        p->head = c->next;
        pj_chunk_free(c);
    }
    pj_chunk_free(p->current);
    bf_buf_free(&p->expl);
    bf_buf_free(&p->snap);
    pthread_cond_destroy(&p->space);
    pthread_cond_destroy(&p->ready);
    pthread_mutex_destroy(&p->lock);
}

/* Write what the reader hands over, in order. */
static bf_status pj_consume(run_ctx *ctx, pj_producer *p, bf_error *err)
{
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->head && !p->done)
            pthread_cond_wait(&p->ready, &p->lock);
        pj_chunk *c = p->head;
        if (c) {
            p->head = c->next;
            if (!p->head)
                p->tail = NULL;
            p->queued--;
            pthread_cond_signal(&p->space);
        }
        bool finished = !c && p->done;
        pthread_mutex_unlock(&p->lock);
        if (finished)
            break;
        bf_status rc = BF_OK;
        for (size_t k = 0; k < c->count && rc == BF_OK; k++)
            rc = pj_write(ctx, &c->items[k], err);
        pj_chunk_free(c);
        if (rc)
            return rc;
    }
    if (p->rc) {
        *err = p->err;
        return p->rc;
    }
    return BF_OK;
}

/* ---- households: read and evaluated on a second connection -------------------------- */

/* The household side of a run reads the most (every household with two years of
 * incomes and its benefit links) and writes only the warnings that fire. So a
 * producer reads and evaluates the households, on a connection of its own in a
 * second thread when it can open one, while the run classifies the projects on
 * the main connection; it hands over, in chunks, the households some warning
 * rule holds for, and the run writes their warnings in household order, as
 * before. Without a second connection (an outer transaction whose writes the
 * second connection would not see, or a database that cannot be opened twice)
 * the producer runs on the main connection before the warnings are written. */

#define HH_CHUNK      2048
#define HH_MASK_WORDS RULE_MASK_WORDS

typedef struct {
    const char *code, *region_code; /* in the chunk's arena */
    uint64_t fired[HH_MASK_WORDS];  /* bit i: household warning rule i holds */
    rl_value values[IND_H_COUNT];
} hh_fired;

typedef struct hh_chunk {
    struct hh_chunk *next;
    bf_arena *arena;
    size_t count;
    hh_fired items[HH_CHUNK];
} hh_chunk;

typedef struct {
    bf_store *store; /* the connection it reads on */
    bool own_store;  /* opened for it (closed after the thread is joined) */
    bool threaded;
    pthread_t thread;
    ind_scope scope;
    char prefix[13];
    const thr_table *thresholds;
    const rule *rules;
    size_t nrules;
    atomic_bool cancel; /* the run failed: stop */
    hh_chunk *current;  /* being filled (producer only) */
    pthread_mutex_t lock;
    pthread_cond_t ready;
    hh_chunk *head, *tail; /* filled chunks, oldest first (under lock) */
    bool done;             /* the producer has finished (under lock) */
    long households;       /* households evaluated (read after done) */
    bf_status rc;
    bf_error err;
} hh_producer;

static void hh_chunk_free(hh_chunk *c)
{
    if (c) {
        bf_arena_free(c->arena);
        free(c);
    }
}

static void hh_publish(hh_producer *p, hh_chunk *c)
{
    pthread_mutex_lock(&p->lock);
    if (p->tail)
        p->tail->next = c;
    else
        p->head = c;
    p->tail = c;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

static bf_status hh_on_household(void *vctx, const ind_household *h, bf_error *err)
{
    hh_producer *p = vctx;
    if (atomic_load_explicit(&p->cancel, memory_order_relaxed))
        return bf_error_set(err, BF_ERR_INTERNAL, "分类运行已中止");
    p->households++;
    uint64_t fired[HH_MASK_WORDS] = {0};
    bool any = false;
    for (size_t i = 0; i < p->nrules; i++) {
        if (rl_eval(p->rules[i].program, h->values) == RL_TRUE) {
            fired[i / 64] |= UINT64_C(1) << (i % 64);
            any = true;
        }
    }
    if (!any)
        return BF_OK;
    hh_chunk *c = p->current;
    if (c && c->count == HH_CHUNK) {
        hh_publish(p, c);
        c = p->current = NULL;
    }
    if (!c) {
        c = calloc(1, sizeof *c);
        if (c)
            c->arena = bf_arena_new(0);
        if (!c || !c->arena) {
            hh_chunk_free(c);
            return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        }
        p->current = c;
    }
    hh_fired *f = &c->items[c->count];
    f->code = bf_arena_strdup(c->arena, h->code);
    f->region_code = bf_arena_strdup(c->arena, h->region_code);
    if (!f->code || !f->region_code)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    memcpy(f->fired, fired, sizeof fired);
    memcpy(f->values, h->values, sizeof f->values);
    c->count++;
    return BF_OK;
}

/* Read and evaluate every household in scope; always ends with done set. */
static void hh_produce(hh_producer *p)
{
    bf_error err;
    bf_error_clear(&err);
    bf_arena *arena = bf_arena_new(0);
    ind_linked *linked = NULL;
    bf_status rc = arena ? BF_OK : bf_error_set(&err, BF_ERR_NOMEM, "内存不足");
    /* On PostgreSQL, a read-only transaction of its own: one snapshot for all
     * its queries, and cursors (store_pg_set_streaming) that bring the rows in
     * batches instead of every household's rows at once into memory. (On
     * SQLite a transaction would take the write lock; each statement reads a
     * snapshot anyway, and rows come one by one.) */
    bool tx = rc == BF_OK && p->own_store && store_kind(p->store) == BF_STORE_PG;
    /* There, the incomes are read on a third connection whose transaction
     * shares the reader's snapshot: one backend alone producing the four
     * ordered streams was the re-run's longest path. Without it (it does not
     * open), everything is read on the reader's. */
    bf_store *years = NULL;
    bool years_tx = false;
    if (tx) {
        bf_error ignored;
        if (store_open(p->store->target, false, &years, &ignored) != BF_OK)
            years = NULL;
        rc = store_begin(p->store, &err);
        if (rc == BF_OK && years) {
            rc = store_begin(years, &err);
            years_tx = rc == BF_OK;
            if (rc == BF_OK)
                rc = store_pg_share_snapshot(p->store, years, &err);
        }
    }
    if (rc == BF_OK)
        rc = ind_linked_load(p->store, p->scope.year, p->scope.cutoff, arena, &linked, &err);
    if (rc == BF_OK)
        rc = ind_scan_households(p->store, years, &p->scope, p->thresholds, linked, hh_on_household,
                                 p, &err);
    if (years_tx && rc == BF_OK)
        rc = store_commit(years, &err);
    else if (years_tx)
        store_rollback(years);
    if (tx && rc == BF_OK)
        rc = store_commit(p->store, &err);
    else if (tx)
        store_rollback(p->store);
    if (years)
        store_close(years);
    bf_arena_free(arena);
    hh_chunk *last = p->current;
    p->current = NULL;
    if (last && last->count > 0 && rc == BF_OK)
        hh_publish(p, last);
    else
        hh_chunk_free(last);
    pthread_mutex_lock(&p->lock);
    p->rc = rc;
    p->err = err;
    p->done = true;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

static void *hh_thread(void *arg)
{
    hh_produce(arg);
    return NULL;
}

/* Whether a second connection may read while this one writes. */
static bool concurrent_reads(bf_store *store)
{
    if (store_kind(store) != BF_STORE_SQLITE)
        return true;
    bf_stmt *stmt = NULL;
    bf_error ignored;
    bool wal = false, has_row = false;
    if (store_prepare(store, "PRAGMA journal_mode", &stmt, &ignored) != BF_OK)
        return false;
    if (store_step(stmt, &has_row, &ignored) == BF_OK && has_row)
        wal = strcmp(store_column_text(stmt, 0, NULL), "wal") == 0;
    store_finalize(stmt);
    return wal;
}

/* Foreign-key enforcement for the run's own transaction on SQLite, where each
 * written result would otherwise look up its project, batch and rule set in
 * their B-trees. Every reference the run writes is known valid: the project
 * codes come from the projects read inside the same transaction, begun
 * IMMEDIATE (no other writer between the read and the write), a proposed batch
 * is one of the batches table's rows loaded by the run (an outcome not among
 * them fails the run), the rule set is the one loaded in the transaction, and
 * a run deletes nothing. The pragma
 * is a no-op inside a transaction, so a run inside a caller's transaction
 * keeps the checks. Returns whether it turned them off (to turn them on after
 * the commit or rollback). PostgreSQL keeps its checks.
 *
 * CHECK constraints go with them, for the same reason: the only one on a
 * table the run writes is warnings_county (county_code is the first six
 * digits of region_code), and the run binds a warning's county_code as the
 * first six bytes of its region_code, which comes from the subject's row
 * (itself under the same constraint). With it on, SQLite gives every
 * multi-row INSERT into warnings a statement journal (the table has a CHECK
 * and indexes): a copy of each page the statement touches, spilled to a
 * temporary file (hundreds of MB of writes at province scale). */
static bool fk_checks_off(bf_store *store)
{
    if (store_kind(store) != BF_STORE_SQLITE || store->tx_depth > 0)
        return false;
    bf_error ignored;
    return store_exec(store, "PRAGMA foreign_keys=OFF; PRAGMA ignore_check_constraints=ON",
                      &ignored) == BF_OK;
}

static void fk_checks_on(bf_store *store)
{
    bf_error ignored;
    store_exec(store, "PRAGMA foreign_keys=ON; PRAGMA ignore_check_constraints=OFF", &ignored);
}

/* Set up the producer and, when a second connection opens, start its thread.
 * Must run before the run's transaction begins on store. */
static bf_status hh_start(hh_producer *p, bf_store *store, const ind_scope *scope,
                          const thr_table *thresholds, const rule *rules, size_t nrules)
{
    memset(p, 0, sizeof *p);
    p->store = store;
    p->scope = *scope;
    if (scope->region_prefix) {
        snprintf(p->prefix, sizeof p->prefix, "%s", scope->region_prefix);
        p->scope.region_prefix = p->prefix;
    }
    p->thresholds = thresholds;
    p->rules = rules;
    p->nrules = nrules;
    atomic_init(&p->cancel, false);
    if (pthread_mutex_init(&p->lock, NULL) != 0)
        return BF_ERR_NOMEM;
    if (pthread_cond_init(&p->ready, NULL) != 0) {
        pthread_mutex_destroy(&p->lock);
        return BF_ERR_NOMEM;
    }
    /* Only a connection that sees what the caller's does (none in a transaction),
     * and on SQLite only in WAL mode, where a reader never blocks the writer. */
    bf_error ignored;
    bf_store *second = NULL;
    if (store->tx_depth == 0 && store->target && concurrent_reads(store) &&
        store_open(store->target, false, &second, &ignored) == BF_OK) {
        /* The reader passes over each page once: a small page cache is as good
         * as the default, and its pages are not allocated (each one growing
         * the thread's heap with a system call) nor counted in the peak memory. */
        if (store_kind(second) == BF_STORE_SQLITE)
            store_exec(second, "PRAGMA cache_size=-" READER_CACHE_KIB, &ignored);
        p->store = second;
        p->own_store = true;
        if (pthread_create(&p->thread, NULL, hh_thread, p) == 0) {
            p->threaded = true;
        } else {
            store_close(second);
            p->store = store;
            p->own_store = false;
        }
    }
    return BF_OK;
}

/* Stop (if still running) and release the producer. */
static void hh_stop(hh_producer *p)
{
    if (p->threaded) {
        atomic_store(&p->cancel, true);
        pthread_join(p->thread, NULL);
        p->threaded = false;
    }
    if (p->own_store)
        store_close(p->store);
    p->own_store = false;
    while (p->head) {
        hh_chunk *c = p->head;
        p->head = c->next;
        hh_chunk_free(c);
    }
    hh_chunk_free(p->current);
    p->current = NULL;
    pthread_cond_destroy(&p->ready);
    pthread_mutex_destroy(&p->lock);
}

/* Write the warnings of the households the producer hands over, in order. */
static bf_status hh_consume(run_ctx *ctx, hh_producer *p, bf_error *err)
{
    if (!p->threaded)
        hh_produce(p);
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->head && !p->done)
            pthread_cond_wait(&p->ready, &p->lock);
        hh_chunk *c = p->head;
        if (c) {
            p->head = c->next;
            if (!p->head)
                p->tail = NULL;
        }
        bool finished = !c && p->done;
        pthread_mutex_unlock(&p->lock);
        if (finished)
            break;
        bf_status rc = BF_OK;
        for (size_t k = 0; k < c->count && rc == BF_OK; k++) {
            const hh_fired *f = &c->items[k];
            for (size_t i = 0; i < ctx->nhousehold_warnings && rc == BF_OK; i++)
                if (f->fired[i / 64] & (UINT64_C(1) << (i % 64)))
                    rc = warn_sync_fire(ctx->warnings, IND_HOUSEHOLD, f->code, f->region_code,
                                        &ctx->household_warnings[i], f->values, err);
        }
        hh_chunk_free(c);
        if (rc)
            return rc;
    }
    ctx->result->households = p->households;
    ctx->result->households_parallel = p->threaded;
    if (p->rc) {
        *err = p->err;
        return p->rc;
    }
    return BF_OK;
}

static bf_status check_year(int64_t year, bf_error *err)
{
    if (year < CLASSIFY_MIN_YEAR || year > CLASSIFY_MAX_YEAR)
        return bf_error_set(err, BF_ERR_INVALID, "年度 %lld 无效（应在 %d 至 %d 之间）",
                            (long long)year, CLASSIFY_MIN_YEAR, CLASSIFY_MAX_YEAR);
    return BF_OK;
}

static bf_status start_run(run_ctx *ctx, const char *region, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(ctx->store,
                                 "INSERT INTO classify_runs (year, region_code, rule_set_id, "
                                 "actor, started_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                                 &stmt, err);
    if (rc)
        return rc;
    store_bind_int64(stmt, 1, ctx->options->year);
    store_bind_str(stmt, 2, region);
    store_bind_int64(stmt, 3, ctx->set->id);
    store_bind_str(stmt, 4, ctx->options->actor);
    store_bind_int64(stmt, 5, ctx->now);
    bool has_row = false;
    rc = store_step(stmt, &has_row, err);
    if (rc == BF_OK && !has_row)
        rc = bf_error_set(err, BF_ERR_DB, "无法登记分类运行");
    if (rc == BF_OK)
        ctx->result->run_id = store_column_int64(stmt, 0);
    store_finalize(stmt);
    return rc;
}

static bf_status finish_run(run_ctx *ctx, bf_error *err)
{
    const classify_result *res = ctx->result;
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(ctx->store,
                                 "UPDATE classify_runs SET finished_at = ?, projects = ?, "
                                 "changed = ?, households = ?, warnings_opened = ? WHERE id = ?",
                                 &stmt, err);
    if (rc)
        return rc;
    store_bind_int64(stmt, 1, bf_time_now());
    store_bind_int64(stmt, 2, res->projects);
    store_bind_int64(stmt, 3, res->first + res->changed);
    store_bind_int64(stmt, 4, res->households);
    store_bind_int64(stmt, 5, res->warnings[0].opened + res->warnings[1].opened);
    store_bind_int64(stmt, 6, res->run_id);
    rc = store_step_done(stmt, err);
    store_finalize(stmt);
    return rc;
}

bf_status classify_run(bf_store *store, const classify_options *options, classify_result *result,
                       bf_error *err)
{
    memset(result, 0, sizeof *result);
    bf_status rc = check_year(options->year, err);
    if (rc)
        return rc;
    run_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.store = store;
    ctx.options = options;
    ctx.result = result;
    ctx.now = bf_time_now();
    bf_buf_init(&ctx.expl, TEXT_CAP);
    bf_buf_init(&ctx.snap, TEXT_CAP);
    char prefix_buf[13];
    const char *prefix = NULL;
    if (options->region_code && options->region_code[0]) {
        ind_region_prefix(options->region_code, prefix_buf);
        prefix = prefix_buf;
    }
    rule_set *set = NULL;
    thr_table *thresholds = NULL;
    hh_producer households;
    bool hh_started = false;
    pj_producer projects;
    bool pj_started = false;
    bf_store *pj_store = NULL; /* the project reader's connection, until it starts */
    bool in_tx = false;
    bool fk_off = false;
    ctx.arena = bf_arena_new(0);
    if (!ctx.arena) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    rc = rules_batches_load(store, &result->batches, err);
    if (rc == BF_OK)
        rc = rules_load_for_year(store, options->year, &set, err);
    if (rc)
        goto out;
    ctx.set = set;
    result->rule_set_id = set->id;
    result->rule_set_year = set->year;
    result->rule_set_version = set->version;
    rules_of_kind(set, RULE_BATCH, &ctx.batch_rules, &ctx.nbatch);
    rules_of_kind(set, RULE_PROJECT_WARNING, &ctx.project_warnings, &ctx.nproject_warnings);
    rules_of_kind(set, RULE_HOUSEHOLD_WARNING, &ctx.household_warnings, &ctx.nhousehold_warnings);
    result->household_rules = ctx.nhousehold_warnings > 0;
    snprintf(ctx.fallback_text, sizeof ctx.fallback_text, "未命中任何批次规则，归入%s",
             result->batches.items[result->batches.fallback].label);
    ctx.rules = (pj_rules){&result->batches, ctx.batch_rules,       ctx.project_warnings,
                           ctx.nbatch,       ctx.nproject_warnings, ctx.fallback_text};

    ind_scope scope = {options->year, prefix, NULL, ind_cutoff(options->year)};
    if (ctx.nhousehold_warnings > 0) {
        thresholds = bf_arena_alloc(ctx.arena, sizeof *thresholds);
        if (!thresholds)
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        if (rc == BF_OK)
            rc = thr_load_year(store, options->year, thresholds, err);
        if (rc == BF_OK) {
            result->threshold_set = thresholds->count > 0;
            if (hh_start(&households, store, &scope, thresholds, ctx.household_warnings,
                         ctx.nhousehold_warnings) != BF_OK)
                rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
            else
                hh_started = true;
        }
        if (rc)
            goto out;
    }

    /* A second connection for the project reader: only when the run has a
     * transaction of its own, on SQLite in WAL mode (see pj_producer); on
     * PostgreSQL it takes the reading off the connection that writes. */
    if (store->tx_depth == 0 && store->target && concurrent_reads(store)) {
        bf_error ignored;
        if (store_open(store->target, false, &pj_store, &ignored) != BF_OK)
            pj_store = NULL;
        /* Like the household reader's, it reads each page about once. */
        if (pj_store && store_kind(pj_store) == BF_STORE_SQLITE)
            store_exec(pj_store, "PRAGMA cache_size=-" READER_CACHE_KIB, &ignored);
    }
    fk_off = fk_checks_off(store);
    rc = store_begin(store, err);
    if (rc)
        goto out;
    in_tx = true;
    rc = start_run(&ctx, options->region_code, err);
    if (rc == BF_OK)
        rc = load_previous(&ctx, prefix, err);
    if (rc == BF_OK)
        rc = prepare_statements(&ctx, err);
    if (rc == BF_OK)
        rc = warn_sync_begin(store, options->year, prefix, result->run_id, set->id, &ctx.warnings,
                             err);
    if (rc == BF_OK)
        rc = bulk_begin(&ctx, "classification_history", err);
    if (rc == BF_OK)
        rc = bulk_begin(&ctx, "warnings", err);
    if (rc)
        goto out;
    result->had_previous = cmap_count(ctx.previous) > 0;

    if (pj_store) {
        pj_started = pj_start(&projects, pj_store, &scope, &ctx.rules);
        pj_store = NULL; /* the reader's now, or closed */
    }
    result->projects_parallel = pj_started;
    if (pj_started)
        rc = pj_consume(&ctx, &projects, err);
    else
        rc = ind_scan_projects(store, &scope, on_project, &ctx, err);
    if (rc == BF_OK)
        rc = store_batch_flush(ctx.insert, err);
    if (rc == BF_OK)
        rc = store_batch_flush(ctx.history, err);
    if (rc == BF_OK && hh_started)
        rc = hh_consume(&ctx, &households, err);
    if (rc == BF_OK) {
        bool covered[2] = {true, ctx.nhousehold_warnings > 0};
        rc = warn_sync_finish(ctx.warnings, covered, result->warnings, err);
    }
    if (rc == BF_OK)
        rc = finish_run(&ctx, err);
    if (rc == BF_OK)
        rc = bulk_finish(&ctx, err);
    if (rc == BF_OK)
        rc = stage_finish(&ctx, err);
    if (rc == BF_OK) {
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)result->run_id);
        rc = audit_json(
            store, options->actor, "classify", "classify_run", key,
            json_pack("{s:I, s:s?, s:I, s:I, s:I, s:I, s:I, s:I}", "year",
                      (json_int_t)options->year, "region", options->region_code, "rule_set_id",
                      (json_int_t)set->id, "projects", (json_int_t)result->projects, "changed",
                      (json_int_t)(result->first + result->changed), "households",
                      (json_int_t)result->households, "project_warnings_opened",
                      (json_int_t)result->warnings[0].opened, "household_warnings_opened",
                      (json_int_t)result->warnings[1].opened),
            err);
    }
out:
    if (pj_started)
        pj_stop(&projects);
    if (pj_store)
        store_close(pj_store);
    if (hh_started)
        hh_stop(&households);
    store_batch_free(ctx.insert);
    store_batch_free(ctx.history);
    if (ctx.update_batch)
        store_finalize(ctx.update_batch);
    if (ctx.update_evidence)
        store_finalize(ctx.update_evidence);
    warn_sync_free(ctx.warnings);
    bulk_free(&ctx);
    if (in_tx) {
        if (rc == BF_OK)
            rc = store_commit(store, err);
        else
            store_rollback(store);
    }
    if (fk_off)
        fk_checks_on(store);
    cmap_free(ctx.previous);
    bf_buf_free(&ctx.expl);
    bf_buf_free(&ctx.snap);
    rules_set_free(set);
    bf_arena_free(ctx.arena);
    return rc;
}

/* ---- explanation ------------------------------------------------------------------ */

typedef struct {
    bf_arena *arena;
    ind_project *copy;
    bool found;
} explain_scan;

static bf_status on_explain_project(void *vctx, const ind_project *p, bf_error *err)
{
    explain_scan *scan = vctx;
    ind_project *c = bf_arena_alloc(scan->arena, sizeof *c);
    if (!c)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    *c = *p;
    c->code = bf_arena_strdup(scan->arena, p->code);
    c->name = bf_arena_strdup(scan->arena, p->name);
    c->region_code = bf_arena_strdup(scan->arena, p->region_code);
    if (!c->code || !c->name || !c->region_code)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    scan->copy = c;
    scan->found = true;
    return BF_OK;
}

static char *buf_to_arena(bf_arena *arena, const bf_buf *buf)
{
    return bf_arena_strndup(arena, buf->data ? buf->data : "", buf->len);
}

static bf_status explain_stored(bf_store *store, const char *code, int64_t year, bf_arena *arena,
                                classify_explanation *out, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(
        store,
        "SELECT c.proposed_batch, COALESCE(c.rule_code, ''), s.version, c.proposed_at, "
        "c.confirmed_batch, COALESCE(c.confirmed_by, ''), COALESCE(c.reason, ''), "
        "COALESCE(c.confirmed_at, 0) FROM classifications c "
        "JOIN rule_sets s ON s.id = c.rule_set_id WHERE c.project_code = ? AND c.year = ?",
        &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, code);
    store_bind_int64(stmt, 2, year);
    bool has_row = false;
    rc = store_step(stmt, &has_row, err);
    if (rc == BF_OK && has_row) {
        out->stored = true;
        out->stored_batch =
            bf_arena_strdup(arena, batch_label(out->batches, store_column_text(stmt, 0, NULL)));
        out->stored_rule = bf_arena_strdup(arena, store_column_text(stmt, 1, NULL));
        out->stored_rule_set_version = store_column_int64(stmt, 2);
        out->stored_at = store_column_int64(stmt, 3);
        if (!store_column_is_null(stmt, 4))
            out->confirmed_batch =
                bf_arena_strdup(arena, batch_label(out->batches, store_column_text(stmt, 4, NULL)));
        out->confirmed_by = bf_arena_strdup(arena, store_column_text(stmt, 5, NULL));
        out->reason = bf_arena_strdup(arena, store_column_text(stmt, 6, NULL));
        out->confirmed_at = store_column_int64(stmt, 7);
        if (!out->stored_batch || !out->stored_rule || !out->confirmed_by || !out->reason)
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    store_finalize(stmt);
    return rc;
}

bf_status classify_explain(bf_store *store, const char *project_code, int64_t year, bf_arena *arena,
                           classify_explanation *out, rule_set **set_out, bf_error *err)
{
    memset(out, 0, sizeof *out);
    *set_out = NULL;
    bf_status rc = check_year(year, err);
    if (rc)
        return rc;
    batch_table *batches = bf_arena_alloc(arena, sizeof *batches);
    bf_buf buf;
    bf_buf_init(&buf, TEXT_CAP);
    rule_set *set = NULL;
    if (!batches) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    rc = rules_batches_load(store, batches, err);
    if (rc == BF_OK)
        rc = rules_load_for_year(store, year, &set, err);
    if (rc)
        goto out;
    explain_scan scan = {arena, NULL, false};
    ind_scope scope = {year, NULL, project_code, ind_cutoff(year)};
    rc = ind_scan_projects(store, &scope, on_explain_project, &scan, err);
    if (rc)
        goto out;
    if (!scan.found) {
        int64_t exists = 0;
        rc = store_query_int64(store, "SELECT COUNT(*) FROM projects WHERE code = ?", &exists, err,
                               1, project_code);
        if (rc == BF_OK)
            rc = bf_error_set(err, BF_ERR_NOT_FOUND,
                              exists ? "项目 %s 在 %lld 年尚未开始或已处置，不参与分类"
                                     : "项目 %s 不存在",
                              project_code, (long long)year);
        goto out;
    }
    const ind_project *p = scan.copy;
    out->project_code = p->code;
    out->project_name = p->name;
    out->region_code = p->region_code;
    out->year = year;
    out->set = set;
    out->batches = batches;

    const rl_symtab *tab = ind_symtab(IND_PROJECT);
    out->indicators = bf_arena_calloc(arena, tab->count, sizeof *out->indicators);
    out->batch_rules = bf_arena_calloc(arena, set->nrules + 1, sizeof *out->batch_rules);
    out->warnings = bf_arena_calloc(arena, set->nrules + 1, sizeof *out->warnings);
    if (!out->indicators || !out->batch_rules || !out->warnings) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    for (size_t i = 0; i < tab->count && rc == BF_OK; i++) {
        const rl_symbol *sym = &tab->symbols[i];
        classify_indicator_view *v = &out->indicators[out->nindicators++];
        v->name = sym->name;
        v->zh = sym->zh;
        v->unit = p->values[i].known && sym->type == RL_NUM ? sym->unit_zh : "";
        bf_buf_reset(&buf);
        rc = rl_format_value(sym, p->values[i], &buf);
        v->value = buf_to_arena(arena, &buf);
        bf_buf_reset(&buf);
        if (rc == BF_OK)
            rc = rl_format_raw(sym, p->values[i], &buf);
        v->raw = buf_to_arena(arena, &buf);
        if (rc == BF_OK && (!v->value || !v->raw))
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    out->batch = batches->fallback;
    out->fallback = true;
    for (size_t i = 0; i < set->nrules && rc == BF_OK; i++) {
        const rule *r = &set->rules[i];
        if (r->kind == RULE_HOUSEHOLD_WARNING)
            continue;
        rl_truth truth = rl_eval(r->program, p->values);
        if (r->kind == RULE_BATCH && !out->fallback)
            continue; /* rules after the one that fired are not consulted */
        if (r->kind == RULE_PROJECT_WARNING && truth != RL_TRUE)
            continue;
        classify_rule_view *v = r->kind == RULE_BATCH ? &out->batch_rules[out->nbatch_rules++]
                                                      : &out->warnings[out->nwarnings++];
        v->rule = r;
        v->truth = truth;
        bf_buf_reset(&buf);
        if (truth == RL_TRUE) {
            rc = rl_template_render(r->template_, p->values, &buf);
            v->explanation = buf_to_arena(arena, &buf);
            v->failure = "";
            if (r->kind == RULE_BATCH) {
                int b = rules_batch_find(batches, r->outcome, strlen(r->outcome));
                out->batch = b >= 0 ? b : batches->fallback;
                out->fallback = false;
                out->explanation = v->explanation;
            }
        } else {
            rc = rl_explain_failure(r->program, p->values, &buf);
            v->failure = buf_to_arena(arena, &buf);
            v->explanation = "";
        }
        if (rc == BF_OK && (!v->explanation || !v->failure))
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    if (rc == BF_OK && out->fallback) {
        char *text = bf_arena_printf(arena, "未命中任何批次规则，归入%s",
                                     batches->items[batches->fallback].label);
        out->explanation = text;
        if (!text)
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    if (rc == BF_OK)
        rc = explain_stored(store, project_code, year, arena, out, err);
out:
    bf_buf_free(&buf);
    if (rc) {
        rules_set_free(set);
        memset(out, 0, sizeof *out);
        return rc;
    }
    *set_out = set;
    return BF_OK;
}

/* ---- decisions ------------------------------------------------------------------ */

bf_status classify_decide(bf_store *store, const char *project_code, int64_t year,
                          const char *batch, const char *actor, const char *reason,
                          classify_decision *out, bf_error *err)
{
    memset(out, 0, sizeof *out);
    bf_status rc = check_year(year, err);
    if (rc)
        return rc;
    if (!actor || !actor[0])
        return bf_error_set(err, BF_ERR_INVALID, "请注明确认人（--by）");
    batch_table batches;
    rc = rules_batches_load(store, &batches, err);
    if (rc)
        return rc;
    bf_stmt *stmt = NULL;
    rc = store_prepare(store,
                       "SELECT proposed_batch, rule_set_id, COALESCE(rule_code, ''), explanation, "
                       "county_code FROM classifications WHERE project_code = ? AND year = ?",
                       &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, project_code);
    store_bind_int64(stmt, 2, year);
    bool has_row = false;
    rc = store_step(stmt, &has_row, err);
    char proposed_id[32] = "", rule_code[RULES_MAX_CODE + 1] = "", county[8] = "";
    int64_t rule_set_id = 0;
    if (rc == BF_OK && has_row) {
        snprintf(proposed_id, sizeof proposed_id, "%s", store_column_text(stmt, 0, NULL));
        snprintf(county, sizeof county, "%s", store_column_text(stmt, 4, NULL));
        rule_set_id = store_column_int64(stmt, 1);
        snprintf(rule_code, sizeof rule_code, "%s", store_column_text(stmt, 2, NULL));
    }
    store_finalize(stmt);
    if (rc)
        return rc;
    if (!has_row)
        return bf_error_set(
            err, BF_ERR_NOT_FOUND,
            "项目 %s 在 %lld 年还没有分类结果，请先运行 bangfu classify --year %lld", project_code,
            (long long)year, (long long)year);
    int proposed = rules_batch_find(&batches, proposed_id, strlen(proposed_id));
    int decided = proposed;
    if (batch && batch[0]) {
        decided = rules_batch_find(&batches, batch, strlen(batch));
        if (decided < 0)
            return bf_error_set(err, BF_ERR_INVALID,
                                "批次“%s”无效，应为 巩固、提升、盘活 或 另起炉灶", batch);
    }
    if (decided < 0)
        return bf_error_set(err, BF_ERR_INTERNAL, "项目 %s 的建议批次 %s 无效", project_code,
                            proposed_id);
    out->overridden = decided != proposed;
    if (out->overridden && (!reason || !reason[0]))
        return bf_error_set(err, BF_ERR_INVALID, "改变建议批次须说明原因（--reason）");
    snprintf(out->proposed, sizeof out->proposed, "%s",
             proposed >= 0 ? batches.items[proposed].label : proposed_id);
    snprintf(out->decided, sizeof out->decided, "%s", batches.items[decided].label);
    out->candidate_only = batches.items[decided].candidate_only;
    int64_t now = bf_time_now();
    rc = store_begin(store, err);
    if (rc)
        return rc;
    rc = store_prepare(store,
                       "UPDATE classifications SET confirmed_batch = ?, confirmed_by = ?, "
                       "confirmed_at = ?, reason = ? WHERE project_code = ? AND year = ? "
                       "AND county_code = ?",
                       &stmt, err);
    if (rc == BF_OK) {
        store_bind_str(stmt, 1, batches.items[decided].id);
        store_bind_str(stmt, 2, actor);
        store_bind_int64(stmt, 3, now);
        store_bind_str(stmt, 4, reason && reason[0] ? reason : NULL);
        store_bind_str(stmt, 5, project_code);
        store_bind_int64(stmt, 6, year);
        store_bind_str(stmt, 7, county);
        rc = store_step_done(stmt, err);
        store_finalize(stmt);
    }
    if (rc == BF_OK)
        rc = store_prepare(store,
                           "INSERT INTO classification_history (project_code, year, event, "
                           "batch, previous_batch, rule_set_id, rule_code, explanation, actor, "
                           "reason, run_id, happened_at, county_code) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           &stmt, err);
    if (rc == BF_OK) {
        rc = add_history(stmt, project_code, county, year,
                         out->overridden ? "overridden" : "confirmed", batches.items[decided].id,
                         proposed_id, rule_set_id, rule_code, NULL, actor,
                         reason && reason[0] ? reason : NULL, 0, now, err);
        store_finalize(stmt);
    }
    if (rc == BF_OK) {
        char key[96];
        snprintf(key, sizeof key, "%s/%lld", project_code, (long long)year);
        rc = audit_json(
            store, actor, out->overridden ? "override" : "confirm", "classification", key,
            json_pack("{s:s, s:I, s:s, s:s, s:s?}", "project_code", project_code, "year",
                      (json_int_t)year, "proposed_batch", proposed_id, "confirmed_batch",
                      batches.items[decided].id, "reason", reason && reason[0] ? reason : NULL),
            err);
    }
    if (rc == BF_OK)
        rc = store_commit(store, err);
    else
        store_rollback(store);
    return rc;
}

/* ---- listing ------------------------------------------------------------------- */

bf_status classify_list(bf_store *store, int64_t year, const char *region_prefix, const char *batch,
                        classify_row_fn fn, void *ctx, bf_error *err)
{
    /* The county key first: "= ?" within one county, else a range. */
    static const char sql_format[] =
        "SELECT c.project_code, p.name, p.region_code, c.year, c.proposed_batch, "
        "COALESCE(c.rule_code, ''), c.rule_name, c.explanation, c.indicators, c.rule_set_id, "
        "c.proposed_at, COALESCE(c.confirmed_batch, ''), COALESCE(c.confirmed_by, ''), "
        "COALESCE(c.confirmed_at, 0), COALESCE(c.reason, '') "
        "FROM classifications c JOIN projects p ON p.county_code = c.county_code "
        "AND p.code = c.project_code "
        "WHERE %s AND c.year = ? AND p.region_code BETWEEN ? AND ? "
        "AND (? = '' OR c.proposed_batch = ?) ORDER BY c.project_code";
    batch_table batches;
    bf_status rc = check_year(year, err);
    if (rc == BF_OK)
        rc = rules_batches_load(store, &batches, err);
    if (rc)
        return rc;
    const char *batch_id = "";
    if (batch && batch[0]) {
        int b = rules_batch_find(&batches, batch, strlen(batch));
        if (b < 0)
            return bf_error_set(err, BF_ERR_INVALID, "批次“%s”无效", batch);
        batch_id = batches.items[b].id;
    }
    char lo[13] = "000000000000", hi[13] = "999999999999";
    if (region_prefix && region_prefix[0]) {
        size_t n = strnlen(region_prefix, 12);
        memcpy(lo, region_prefix, n);
        memcpy(hi, region_prefix, n);
    }
    bf_stmt *stmt = NULL;
    bf_buf snapshot;
    bf_buf_init(&snapshot, TEXT_CAP);
    bool one_county = region_prefix && strnlen(region_prefix, 12) >= 6;
    char sql[1024];
    snprintf(sql, sizeof sql, sql_format,
             one_county ? "c.county_code = ?" : "c.county_code BETWEEN ? AND ?");
    rc = store_prepare(store, sql, &stmt, err);
    if (rc) {
        bf_buf_free(&snapshot);
        return rc;
    }
    int p = 1;
    store_bind_text(stmt, p++, lo, 6);
    if (!one_county)
        store_bind_text(stmt, p++, hi, 6);
    store_bind_int64(stmt, p++, year);
    store_bind_str(stmt, p++, lo);
    store_bind_str(stmt, p++, hi);
    store_bind_str(stmt, p++, batch_id);
    store_bind_str(stmt, p, batch_id);
    while (rc == BF_OK) {
        bool has_row = false;
        rc = store_step(stmt, &has_row, err);
        if (rc || !has_row)
            break;
        classify_row row;
        row.project_code = store_column_text(stmt, 0, NULL);
        row.project_name = store_column_text(stmt, 1, NULL);
        row.region_code = store_column_text(stmt, 2, NULL);
        row.year = store_column_int64(stmt, 3);
        const char *proposed = store_column_text(stmt, 4, NULL);
        int b = rules_batch_find(&batches, proposed, strlen(proposed));
        row.proposed_batch = b >= 0 ? batches.items[b].label : proposed;
        row.candidate_only = b >= 0 && batches.items[b].candidate_only;
        row.rule_code = store_column_text(stmt, 5, NULL);
        row.rule_name = store_column_text(stmt, 6, NULL);
        row.explanation = store_column_text(stmt, 7, NULL);
        size_t snap_len;
        const char *snap = store_column_text(stmt, 8, &snap_len);
        bf_buf_reset(&snapshot);
        if (ind_snapshot_object(IND_PROJECT, snap, snap_len, &snapshot) != BF_OK) {
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
            break;
        }
        row.indicators = snapshot.data;
        row.rule_set_id = store_column_int64(stmt, 9);
        row.proposed_at = store_column_int64(stmt, 10);
        const char *confirmed = store_column_text(stmt, 11, NULL);
        row.confirmed_batch = confirmed[0] ? batch_label(&batches, confirmed) : "";
        row.confirmed_by = store_column_text(stmt, 12, NULL);
        row.confirmed_at = store_column_int64(stmt, 13);
        row.reason = store_column_text(stmt, 14, NULL);
        rc = fn(ctx, &row, err);
    }
    store_finalize(stmt);
    bf_buf_free(&snapshot);
    return rc;
}

bf_status classify_history(bf_store *store, const char *project_code, int64_t year,
                           classify_event_fn fn, void *ctx, bf_error *err)
{
    batch_table batches;
    bf_status rc = rules_batches_load(store, &batches, err);
    if (rc)
        return rc;
    bf_stmt *stmt = NULL;
    rc =
        store_prepare(store,
                      "SELECT event, batch, COALESCE(previous_batch, ''), COALESCE(rule_code, ''), "
                      "COALESCE(explanation, ''), COALESCE(actor, ''), COALESCE(reason, ''), "
                      "happened_at FROM classification_history WHERE project_code = ? AND "
                      "year = ? ORDER BY id",
                      &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, project_code);
    store_bind_int64(stmt, 2, year);
    while (rc == BF_OK) {
        bool has_row = false;
        rc = store_step(stmt, &has_row, err);
        if (rc || !has_row)
            break;
        classify_event e;
        e.event = store_column_text(stmt, 0, NULL);
        e.batch = batch_label(&batches, store_column_text(stmt, 1, NULL));
        const char *prev = store_column_text(stmt, 2, NULL);
        e.previous_batch = prev[0] ? batch_label(&batches, prev) : "";
        e.rule_code = store_column_text(stmt, 3, NULL);
        e.explanation = store_column_text(stmt, 4, NULL);
        e.actor = store_column_text(stmt, 5, NULL);
        e.reason = store_column_text(stmt, 6, NULL);
        e.at = store_column_int64(stmt, 7);
        rc = fn(ctx, &e, err);
    }
    store_finalize(stmt);
    return rc;
}
