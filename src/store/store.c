/*
 * store.c - picks the storage backend from the --db string and dispatches
 * every call through its table of function pointers. Owns nesting of
 * transactions, which is the same for every backend.
 */
#include "store/store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *store_default_target(const char *option)
{
    if (option && *option)
        return option;
    const char *env = getenv("BANGFU_DB");
    if (env && *env)
        return env;
    return "bangfu.db";
}

static bool is_pg_target(const char *target)
{
    return strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0;
}

bf_status store_open(const char *target, bool create, bf_store **out, bf_error *err)
{
    *out = NULL;
    const bf_store_ops *ops = &store_sqlite_ops;
    if (is_pg_target(target))
        ops = &store_pg_ops;
    else if (strncmp(target, "sqlite:", 7) == 0)
        target += 7;
    bf_status rc = ops->open(target, create, out, err);
    if (rc)
        return rc;
    (*out)->ops = ops;
    (*out)->target = strdup(target);
    (*out)->tx_depth = 0;
    (*out)->tx_failed = false;
    if (!(*out)->target) {
        ops->close(*out);
        *out = NULL;
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    return BF_OK;
}

void store_close(bf_store *store)
{
    if (!store)
        return;
    char *target = store->target;
    store->ops->close(store);
    free(target);
}

static store_trace_fn trace_fn;
static void *trace_ctx;

void store_set_trace(store_trace_fn fn, void *ctx)
{
    trace_ctx = ctx;
    trace_fn = fn;
}

bf_status store_exec(bf_store *store, const char *sql, bf_error *err)
{
    if (trace_fn)
        trace_fn(trace_ctx, sql);
    return store->ops->exec(store, sql, err);
}

bf_status store_prepare(bf_store *store, const char *sql, bf_stmt **out, bf_error *err)
{
    *out = NULL;
    if (trace_fn)
        trace_fn(trace_ctx, sql);
    return store->ops->prepare(store, sql, out, err);
}

bf_status store_bind_int64(bf_stmt *stmt, int index, int64_t value)
{
    return stmt->store->ops->bind_int64(stmt, index, value);
}

bf_status store_bind_text(bf_stmt *stmt, int index, const char *text, size_t len)
{
    return stmt->store->ops->bind_text(stmt, index, text, len);
}

bf_status store_bind_str(bf_stmt *stmt, int index, const char *text)
{
    if (!text)
        return stmt->store->ops->bind_null(stmt, index);
    return stmt->store->ops->bind_text(stmt, index, text, strlen(text));
}

bf_status store_bind_null(bf_stmt *stmt, int index)
{
    return stmt->store->ops->bind_null(stmt, index);
}

bf_status store_step(bf_stmt *stmt, bool *has_row, bf_error *err)
{
    *has_row = false;
    return stmt->store->ops->step(stmt, has_row, err);
}

bf_status store_step_done(bf_stmt *stmt, bf_error *err)
{
    bool has_row = false;
    return stmt->store->ops->step(stmt, &has_row, err);
}

int store_column_count(bf_stmt *stmt)
{
    return stmt->store->ops->column_count(stmt);
}

bool store_column_is_null(bf_stmt *stmt, int col)
{
    return stmt->store->ops->column_is_null(stmt, col);
}

int64_t store_column_int64(bf_stmt *stmt, int col)
{
    return stmt->store->ops->column_int64(stmt, col);
}

const char *store_column_text(bf_stmt *stmt, int col, size_t *len)
{
    size_t ignored;
    const char *text = stmt->store->ops->column_text(stmt, col, len ? len : &ignored);
    return text ? text : "";
}

int64_t store_changes(bf_stmt *stmt)
{
    return stmt->store->ops->changes(stmt);
}

void store_reset(bf_stmt *stmt)
{
    stmt->store->ops->reset(stmt);
}

void store_finalize(bf_stmt *stmt)
{
    if (stmt)
        stmt->store->ops->finalize(stmt);
}

bf_status store_begin(bf_store *store, bf_error *err)
{
    if (store->tx_depth++ > 0)
        return BF_OK;
    store->tx_failed = false;
    bf_status rc = store->ops->begin(store, err);
    if (rc)
        store->tx_depth = 0;
    return rc;
}

bf_status store_commit(bf_store *store, bf_error *err)
{
    if (store->tx_depth <= 0)
        return bf_error_set(err, BF_ERR_INTERNAL, "没有进行中的事务");
    if (--store->tx_depth > 0)
        return BF_OK;
    if (store->tx_failed) {
        store->ops->rollback(store);
        store->tx_failed = false;
        return bf_error_set(err, BF_ERR_DB, "事务已回滚");
    }
    return store->ops->commit(store, err);
}

bf_status store_rollback(bf_store *store)
{
    if (store->tx_depth <= 0)
        return BF_OK;
    if (--store->tx_depth > 0) {
        store->tx_failed = true;
        return BF_OK;
    }
    store->tx_failed = false;
    return store->ops->rollback(store);
}

bf_status store_query_int64(bf_store *store, const char *sql, int64_t *out, bf_error *err,
                            int nparams, ...)
{
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(store, sql, &stmt, err);
    if (rc)
        return rc;
    va_list ap;
    va_start(ap, nparams);
    for (int i = 0; i < nparams && rc == BF_OK; i++) {
        const char *param = va_arg(ap, const char *);
        rc = store_bind_str(stmt, i + 1, param);
    }
    va_end(ap);
    bool has_row = false;
    if (rc == BF_OK)
        rc = store_step(stmt, &has_row, err);
    *out = (rc == BF_OK && has_row) ? store_column_int64(stmt, 0) : 0;
    store_finalize(stmt);
    return rc;
}

bf_store_kind store_kind(const bf_store *store)
{
    return store->kind;
}

void store_bulk_mode(bf_store *store, bool on)
{
    if (store->ops->bulk_mode)
        store->ops->bulk_mode(store, on);
}

bool store_bulk_journal(bf_store *store, bool on)
{
    return store->ops->bulk_journal ? store->ops->bulk_journal(store, on) : false;
}

/* ---- the indexes of a bulk load (store.h) ------------------------------ */

void store_indexes_free(store_index *indexes, size_t n)
{
    for (size_t i = 0; indexes && i < n; i++) {
        free(indexes[i].name);
        free(indexes[i].drop_sql);
        free(indexes[i].sql);
    }
    free(indexes);
}

bf_status store_table_indexes(bf_store *store, const char *table, store_index **out, size_t *n,
                              bf_error *err)
{
    *out = NULL;
    *n = 0;
    if (!store->ops->indexes_sql)
        return BF_OK;
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(store, store->ops->indexes_sql, &stmt, err);
    if (rc == BF_OK)
        rc = store_bind_str(stmt, 1, table);
    store_index *list = NULL;
    size_t count = 0, cap = 0;
    bool has_row = false;
    while (rc == BF_OK && (rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        if (count == cap) {
            size_t grown = cap ? cap * 2 : 8;
            store_index *p = realloc(list, grown * sizeof *p);
            if (!p) {
                rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
                break;
            }
            list = p;
            cap = grown;
        }
        list[count].name = strdup(store_column_text(stmt, 0, NULL));
        list[count].drop_sql = strdup(store_column_text(stmt, 1, NULL));
        list[count].sql = strdup(store_column_text(stmt, 2, NULL));
        count++;
        if (!list[count - 1].name || !list[count - 1].drop_sql || !list[count - 1].sql)
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    store_finalize(stmt);
    if (rc) {
        store_indexes_free(list, count);
        return rc;
    }
    *out = list;
    *n = count;
    return BF_OK;
}

/* A name from the catalog as a quoted identifier ("" doubles a quote). */
static bf_status quote_name(const char *name, char *out, size_t size)
{
    size_t n = 0;
    if (size < 3)
        return BF_ERR_TOO_LARGE;
    out[n++] = '"';
    for (const char *p = name; *p; p++) {
        if (n + 3 >= size)
            return BF_ERR_TOO_LARGE;
        if (*p == '"')
            out[n++] = '"';
        out[n++] = *p;
    }
    out[n++] = '"';
    out[n] = '\0';
    return BF_OK;
}

bf_status store_lock_table(bf_store *store, const char *table, bf_error *err)
{
    if (!store->ops->lock_sql)
        return BF_OK;
    char quoted[256], sql[512];
    if (quote_name(table, quoted, sizeof quoted))
        return bf_error_set(err, BF_ERR_TOO_LARGE, "表名过长");
    /* The statement names the table where it says {TABLE}. */
    const char *at = strstr(store->ops->lock_sql, "{TABLE}");
    if (!at)
        return bf_error_set(err, BF_ERR_INTERNAL, "锁表语句有误");
    snprintf(sql, sizeof sql, "%.*s%s%s", (int)(at - store->ops->lock_sql), store->ops->lock_sql,
             quoted, at + 7);
    return store_exec(store, sql, err);
}

bf_status store_drop_index(bf_store *store, const store_index *index, bf_error *err)
{
    return store_exec(store, index->drop_sql, err);
}

bf_status store_rebuild_settings(bf_store *store, bool on, bf_error *err)
{
    const char *sql = on ? store->ops->rebuild_sql : store->ops->rebuilt_sql;
    return sql ? store_exec(store, sql, err) : BF_OK;
}
