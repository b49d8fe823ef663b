/*
 * batch.c - batched INSERTs (see batch.h): takes the INSERT apart, keeps the
 * row being bound, and sends rows through a PostgreSQL staging area
 * (store_pg_stage_*) or, on SQLite and for INSERTs of another shape, through
 * the prepared statement row by row. Owns the statement or stage and the
 * copies of the bound values.
 */
#include "store/batch.h"
#include "store/store_pg.h"
#include "store/store_sqlite.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct store_batch {
    bf_store *store;
    bf_stmt *stmt;            /* row by row */
    store_pg_stage *stage;    /* PostgreSQL, gathered */
    store_sqlite_stage *lite; /* SQLite, gathered (store_batch_gather) */
    char *sql;                /* SQLite: the INSERT, for store_batch_gather */
    int nparams;              /* stage: columns of a row */
    char **values;            /* stage: the row being bound (owned copies) */
    size_t *lens;
    size_t *caps;
    bool *set;
    const char **view; /* values as the stage takes them (NULL = SQL NULL) */
    int64_t rows;
    int64_t changes; /* row by row */
};

/* ---- taking the INSERT apart --------------------------------------------- */

static const char *skip_space(const char *p)
{
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
            p++;
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
            continue;
        }
        if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            if (!end)
                return p; /* the keyword test that follows fails */
            p = end + 2;
            continue;
        }
        return p;
    }
}

static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Keyword at p (case-insensitive, whole word): the text after it, else NULL. */
static const char *keyword(const char *p, const char *word)
{
    p = skip_space(p);
    size_t n = strlen(word);
    if (strncasecmp(p, word, n) != 0 || word_char(p[n]))
        return NULL;
    return p + n;
}

static const char *punct(const char *p, char c)
{
    p = skip_space(p);
    return *p == c ? p + 1 : NULL;
}

/* An identifier, plain or "quoted" (no doubled quotes inside), into out. */
static const char *identifier(const char *p, char out[STORE_BATCH_NAME_MAX + 1])
{
    p = skip_space(p);
    size_t n = 0;
    if (*p == '"') {
        p++;
        while (*p && *p != '"') {
            if (n >= STORE_BATCH_NAME_MAX || !word_char(*p))
                return NULL;
            out[n++] = *p++;
        }
        if (*p != '"' || n == 0)
            return NULL;
        out[n] = '\0';
        return p + 1;
    }
    if (!word_char(*p) || (*p >= '0' && *p <= '9'))
        return NULL;
    while (word_char(*p)) {
        if (n >= STORE_BATCH_NAME_MAX)
            return NULL;
        out[n++] = *p++;
    }
    out[n] = '\0';
    return p;
}

bf_status store_batch_parse_insert(const char *sql, store_batch_insert *out, bf_error *err)
{
    out->ncols = 0;
    out->rest = NULL;
    const char *p = keyword(sql, "INSERT");
    if (p)
        p = keyword(p, "INTO");
    if (!p || !(p = identifier(p, out->table)))
        return bf_error_set(err, BF_ERR_PARSE, "不是 INSERT INTO 表名 语句");
    if (!(p = punct(p, '(')))
        return bf_error_set(err, BF_ERR_PARSE, "INSERT 缺少列名列表");
    for (;;) {
        if (out->ncols >= STORE_BATCH_MAX_COLS)
            return bf_error_set(err, BF_ERR_PARSE, "INSERT 的列过多");
        if (!(p = identifier(p, out->cols[out->ncols])))
            return bf_error_set(err, BF_ERR_PARSE, "INSERT 的列名无效");
        out->ncols++;
        const char *q = punct(p, ',');
        if (q) {
            p = q;
            continue;
        }
        if (!(p = punct(p, ')')))
            return bf_error_set(err, BF_ERR_PARSE, "INSERT 的列名列表未闭合");
        break;
    }
    if (!(p = keyword(p, "VALUES")) || !(p = punct(p, '(')))
        return bf_error_set(err, BF_ERR_PARSE, "INSERT 缺少 VALUES");
    for (int i = 0; i < out->ncols; i++) {
        if (!(p = punct(p, '?')) || word_char(*p))
            return bf_error_set(err, BF_ERR_PARSE, "VALUES 中只能是与列一一对应的 ?");
        if (!(p = punct(p, i + 1 < out->ncols ? ',' : ')')))
            return bf_error_set(err, BF_ERR_PARSE, "VALUES 中只能是与列一一对应的 ?");
    }
    p = skip_space(p);
    if (*p == ',')
        return bf_error_set(err, BF_ERR_PARSE, "INSERT 只能有一组 VALUES");
    /* Whatever follows must carry no parameter of its own (nor be malformed). */
    bf_buf rewritten;
    bf_buf_init(&rewritten, STORE_PG_MAX_SQL);
    int nparams = 0;
    bf_status rc = store_pg_rewrite(p, &rewritten, &nparams, err);
    bf_buf_free(&rewritten);
    if (rc)
        return rc;
    if (nparams > 0)
        return bf_error_set(err, BF_ERR_PARSE, "VALUES 之后不能再有参数");
    out->rest = p;
    return BF_OK;
}

/* ---- the batch --------------------------------------------------------- */

bf_status store_batch_new(bf_store *store, const char *sql, store_batch **out, bf_error *err)
{
    *out = NULL;
    store_batch *batch = calloc(1, sizeof *batch);
    if (!batch)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    batch->store = store;
    bf_status rc = BF_OK;
    store_batch_insert *insert = NULL;
    if (store_kind(store) == BF_STORE_PG) {
        insert = malloc(sizeof *insert);
        if (!insert) {
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
            goto out;
        }
        bf_error ignored;
        if (store_batch_parse_insert(sql, insert, &ignored) == BF_OK) {
            size_t n = (size_t)insert->ncols;
            batch->nparams = insert->ncols;
            batch->values = calloc(n, sizeof *batch->values);
            batch->lens = calloc(n, sizeof *batch->lens);
            batch->caps = calloc(n, sizeof *batch->caps);
            batch->set = calloc(n, sizeof *batch->set);
            batch->view = calloc(n, sizeof *batch->view);
            if (!batch->values || !batch->lens || !batch->caps || !batch->set || !batch->view) {
                rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
                goto out;
            }
            rc = store_pg_stage_new(store, insert, &batch->stage, err);
            goto out;
        }
    }
    rc = store_prepare(store, sql, &batch->stmt, err);
    if (rc == BF_OK && store_kind(store) == BF_STORE_SQLITE && !(batch->sql = strdup(sql)))
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
out:
    free(insert);
    if (rc) {
        store_batch_free(batch);
        return rc;
    }
    *out = batch;
    return BF_OK;
}

static bf_status keep_value(store_batch *batch, int index, const char *data, size_t len)
{
    if (index < 1 || index > batch->nparams)
        return BF_ERR_DB;
    int i = index - 1;
    if (batch->caps[i] < len + 1) {
        size_t cap = len + 1 < 32 ? 32 : len + 1;
        char *p = realloc(batch->values[i], cap);
        if (!p)
            return BF_ERR_NOMEM;
        batch->values[i] = p;
        batch->caps[i] = cap;
    }
    if (len)
        memcpy(batch->values[i], data, len);
    batch->values[i][len] = '\0';
    batch->lens[i] = len;
    batch->set[i] = true;
    return BF_OK;
}

bf_status store_batch_gather(store_batch *batch, int rows, bf_error *err)
{
    if (!batch->stmt || batch->lite || batch->rows > 0 || rows < 2 ||
        store_kind(batch->store) != BF_STORE_SQLITE)
        return BF_OK;
    const char *sql = batch->sql;
    store_batch_insert *insert = malloc(sizeof *insert);
    if (!insert)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    bf_error ignored;
    bf_status rc = BF_OK;
    if (sql && store_batch_parse_insert(sql, insert, &ignored) == BF_OK) {
        rc = store_sqlite_stage_new(batch->store, insert, rows, &batch->lite, err);
        if (rc == BF_OK) {
            store_finalize(batch->stmt);
            batch->stmt = NULL;
        }
    }
    free(insert);
    return rc;
}

bf_status store_batch_bind_int64(store_batch *batch, int index, int64_t value)
{
    if (batch->lite)
        return store_sqlite_stage_bind_int64(batch->lite, index, value);
    if (batch->stmt)
        return store_bind_int64(batch->stmt, index, value);
    /* Decimal digits from the end (snprintf took about 6 % of the writing
     * thread's time in a PostgreSQL members import); the magnitude as
     * unsigned, so INT64_MIN has one too. */
    char text[24];
    char *p = text + sizeof text;
    uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
    do {
        *--p = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (value < 0)
        *--p = '-';
    return keep_value(batch, index, p, (size_t)(text + sizeof text - p));
}

bf_status store_batch_bind_text(store_batch *batch, int index, const char *text, size_t len)
{
    if (batch->lite)
        return store_sqlite_stage_bind_text(batch->lite, index, text, len);
    if (batch->stmt)
        return store_bind_text(batch->stmt, index, text, len);
    return keep_value(batch, index, text, len);
}

bf_status store_batch_bind_str(store_batch *batch, int index, const char *text)
{
    if (!text)
        return store_batch_bind_null(batch, index);
    return store_batch_bind_text(batch, index, text, strlen(text));
}

bf_status store_batch_bind_null(store_batch *batch, int index)
{
    if (batch->lite)
        return store_sqlite_stage_bind_null(batch->lite, index);
    if (batch->stmt)
        return store_bind_null(batch->stmt, index);
    if (index < 1 || index > batch->nparams)
        return BF_ERR_DB;
    batch->set[index - 1] = false;
    return BF_OK;
}

bf_status store_batch_add(store_batch *batch, bf_error *err)
{
    bf_status rc;
    if (batch->lite) {
        rc = store_sqlite_stage_add(batch->lite, err);
    } else if (batch->stmt) {
        rc = store_step_done(batch->stmt, err);
        if (rc == BF_OK)
            batch->changes += store_changes(batch->stmt);
        store_reset(batch->stmt);
    } else {
        for (int i = 0; i < batch->nparams; i++) {
            batch->view[i] = batch->set[i] ? batch->values[i] : NULL;
            batch->set[i] = false;
        }
        rc = store_pg_stage_row(batch->stage, batch->view, batch->lens, err);
    }
    if (rc == BF_OK)
        batch->rows++;
    return rc;
}

bf_status store_batch_flush(store_batch *batch, bf_error *err)
{
    if (batch->lite)
        return store_sqlite_stage_flush(batch->lite, err);
    return batch->stage ? store_pg_stage_flush(batch->stage, err) : BF_OK;
}

int64_t store_batch_changes(const store_batch *batch)
{
    if (batch->lite)
        return store_sqlite_stage_changes(batch->lite);
    return batch->stage ? store_pg_stage_changes(batch->stage) : batch->changes;
}

int64_t store_batch_rows(const store_batch *batch)
{
    return batch->rows;
}

void store_batch_free(store_batch *batch)
{
    if (!batch)
        return;
    store_finalize(batch->stmt);
    if (batch->stage) {
        /* SQLite has written every added row by now; so must PostgreSQL. */
        bf_error ignored;
        store_pg_stage_flush(batch->stage, &ignored);
    }
    store_pg_stage_free(batch->stage);
    if (batch->lite) {
        /* As row by row would have: rows still pending are written. */
        bf_error ignored;
        store_sqlite_stage_flush(batch->lite, &ignored);
        store_sqlite_stage_free(batch->lite);
    }
    for (int i = 0; batch->values && i < batch->nparams; i++)
        free(batch->values[i]);
    free(batch->values);
    free(batch->lens);
    free(batch->caps);
    free(batch->set);
    free(batch->view);
    free(batch->sql);
    free(batch);
}
