/*
 * store_sqlite.c - the SQLite backend of the storage interface: one database
 * file in WAL mode with foreign keys on, statements prepared with bound
 * parameters only. Owns the sqlite3 handle and its statements.
 */
#include "store/store_sqlite.h"
#include "core/buf.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Most stages (batches gathering rows) one handle keeps. */
#define MAX_STAGES 16

/* The page size of a database this backend creates (an existing file keeps
 * its own: SQLite changes it only by a VACUUM outside WAL mode). 16 KiB
 * rather than SQLite's 4 KiB: a province's classification run writes about
 * 110 MB twice (the WAL, then its checkpoint into the file) and reads several
 * hundred MB, page by page, one system call per page (two per WAL frame); a
 * quarter of the calls took its first run from about 1.9 s to 1.6 s on the
 * same, freshly vacuumed data (docs/benchmarks.md, session 7). */
#define STORE_SQLITE_PAGE_SIZE "16384"

typedef struct {
    bf_store base;
    sqlite3 *db;
    int nstages;
    store_sqlite_stage *stages[MAX_STAGES]; /* in the order made */
    bool sending;                           /* a stage is being sent */
} sqlite_store;

static bf_status send_stages(sqlite_store *store, bf_error *err);
static void drop_stages(sqlite_store *store);
static void detach_stages(sqlite_store *store);

typedef struct {
    bf_stmt base;
    sqlite3_stmt *stmt;
    int64_t changes;
} sqlite_stmt;

static bf_status db_error(sqlite3 *db, bf_error *err, const char *what)
{
    int code = sqlite3_errcode(db);
    bf_status status = BF_ERR_DB;
    if (code == SQLITE_CONSTRAINT)
        status = BF_ERR_CONFLICT;
    else if (code == SQLITE_NOMEM)
        status = BF_ERR_NOMEM;
    else if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        status = BF_ERR_CONFLICT;
    return bf_error_set(err, status, "数据库错误（%s）：%s", what, sqlite3_errmsg(db));
}

/* SQLite's memory statistics (sqlite3_memory_used and friends, which bangfu
 * never reads) take a process-wide mutex on every allocation and free: two
 * threads on two connections (a classification run reads households on a
 * second one) contend for it hundreds of thousands of times. Off, before the
 * library initialises (sqlite3_config refuses afterwards, harmlessly). */
static void configure_library(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static bf_status sqlite_open(const char *target, bool create, bf_store **out, bf_error *err)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, configure_library);
    struct stat st;
    if (!create && stat(target, &st) != 0)
        return bf_error_set(err, BF_ERR_NOT_FOUND,
                            "数据库文件 %s 不存在，请先运行 bangfu init 创建", target);
    sqlite_store *store = calloc(1, sizeof *store);
    if (!store)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    store->base.kind = BF_STORE_SQLITE;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(target, &store->db, flags, NULL);
    if (rc != SQLITE_OK) {
        bf_error_set(err, BF_ERR_DB, "无法打开数据库 %s：%s", target,
                     store->db ? sqlite3_errmsg(store->db) : "内存不足");
        sqlite3_close(store->db);
        free(store);
        return BF_ERR_DB;
    }
    sqlite3_busy_timeout(store->db, 10000);
    sqlite3_extended_result_codes(store->db, 0);
    static const char *const pragmas = "PRAGMA page_size=" STORE_SQLITE_PAGE_SIZE ";"
                                       "PRAGMA journal_mode=WAL;"
                                       "PRAGMA synchronous=NORMAL;"
                                       "PRAGMA foreign_keys=ON;"
                                       "PRAGMA temp_store=FILE;"
                                       "PRAGMA cache_size=-32768;";
    char *msg = NULL;
    if (sqlite3_exec(store->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
        bf_error_set(err, BF_ERR_DB, "无法打开数据库 %s：%s", target, msg ? msg : "");
        sqlite3_free(msg);
        sqlite3_close(store->db);
        free(store);
        return BF_ERR_DB;
    }
    *out = &store->base;
    return BF_OK;
}

static void sqlite_close(bf_store *base)
{
    sqlite_store *store = (sqlite_store *)base;
    drop_stages(store);
    detach_stages(store);
    /* Checkpoint so the file is whole on its own after a clean close. */
    sqlite3_close_v2(store->db);
    free(store);
}

static bf_status sqlite_exec(bf_store *base, const char *sql, bf_error *err)
{
    sqlite_store *store = (sqlite_store *)base;
    /* Reads see the writes: staged rows go first. */
    bf_status sent = send_stages(store, err);
    if (sent)
        return sent;
    char *msg = NULL;
    if (sqlite3_exec(store->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        bf_status status =
            sqlite3_errcode(store->db) == SQLITE_CONSTRAINT ? BF_ERR_CONFLICT : BF_ERR_DB;
        bf_error_set(err, status, "数据库错误：%s", msg ? msg : sqlite3_errmsg(store->db));
        sqlite3_free(msg);
        return status;
    }
    return BF_OK;
}

static bf_status sqlite_prepare(bf_store *base, const char *sql, bf_stmt **out, bf_error *err)
{
    sqlite_store *store = (sqlite_store *)base;
    sqlite_stmt *stmt = calloc(1, sizeof *stmt);
    if (!stmt)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    if (sqlite3_prepare_v2(store->db, sql, -1, &stmt->stmt, NULL) != SQLITE_OK) {
        bf_status rc = db_error(store->db, err, "prepare");
        free(stmt);
        return rc;
    }
    stmt->base.store = base;
    *out = &stmt->base;
    return BF_OK;
}

static bf_status bind_result(int rc)
{
    if (rc == SQLITE_OK)
        return BF_OK;
    return rc == SQLITE_NOMEM ? BF_ERR_NOMEM : BF_ERR_DB;
}

static bf_status sqlite_bind_int64(bf_stmt *base, int index, int64_t value)
{
    return bind_result(sqlite3_bind_int64(((sqlite_stmt *)base)->stmt, index, value));
}

static bf_status sqlite_bind_text(bf_stmt *base, int index, const char *text, size_t len)
{
    if (len > 0x7fffffff)
        return BF_ERR_TOO_LARGE;
    return bind_result(
        sqlite3_bind_text(((sqlite_stmt *)base)->stmt, index, text, (int)len, SQLITE_TRANSIENT));
}

static bf_status sqlite_bind_null(bf_stmt *base, int index)
{
    return bind_result(sqlite3_bind_null(((sqlite_stmt *)base)->stmt, index));
}

static bf_status sqlite_step(bf_stmt *base, bool *has_row, bf_error *err)
{
    sqlite_stmt *stmt = (sqlite_stmt *)base;
    sqlite3 *db = sqlite3_db_handle(stmt->stmt);
    sqlite_store *store = (sqlite_store *)base->store;
    /* Reads see the writes: staged rows go before a statement starts. */
    if (store->nstages > 0 && !sqlite3_stmt_busy(stmt->stmt)) {
        bf_status sent = send_stages(store, err);
        if (sent)
            return sent;
    }
    int rc = sqlite3_step(stmt->stmt);
    if (rc == SQLITE_ROW) {
        *has_row = true;
        return BF_OK;
    }
    if (rc == SQLITE_DONE) {
        stmt->changes = sqlite3_changes64(db);
        *has_row = false;
        return BF_OK;
    }
    bf_status status = db_error(db, err, "step");
    sqlite3_reset(stmt->stmt);
    return status;
}

static int sqlite_column_count(bf_stmt *base)
{
    return sqlite3_column_count(((sqlite_stmt *)base)->stmt);
}

static bool sqlite_column_is_null(bf_stmt *base, int col)
{
    return sqlite3_column_type(((sqlite_stmt *)base)->stmt, col) == SQLITE_NULL;
}

static int64_t sqlite_column_int64(bf_stmt *base, int col)
{
    return sqlite3_column_int64(((sqlite_stmt *)base)->stmt, col);
}

/* Through the column's value: sqlite3_column_text and sqlite3_column_bytes
 * each look the column up again (and take the connection's error state),
 * which the classification's readers, taking a few million columns, felt.
 * The value is unprotected (sqlite3_column_value): safe here, as a handle is
 * used by one thread at a time. Text, its length and its lifetime are those
 * of sqlite3_column_text. */
static const char *sqlite_column_text(bf_stmt *base, int col, size_t *len)
{
    sqlite3_value *value = sqlite3_column_value(((sqlite_stmt *)base)->stmt, col);
    const char *text = (const char *)sqlite3_value_text(value);
    *len = text ? (size_t)sqlite3_value_bytes(value) : 0;
    return text;
}

static int64_t sqlite_changes(bf_stmt *base)
{
    return ((sqlite_stmt *)base)->changes;
}

static void sqlite_reset(bf_stmt *base)
{
    sqlite_stmt *stmt = (sqlite_stmt *)base;
    sqlite3_reset(stmt->stmt);
    sqlite3_clear_bindings(stmt->stmt);
}

static void sqlite_finalize(bf_stmt *base)
{
    sqlite_stmt *stmt = (sqlite_stmt *)base;
    sqlite3_finalize(stmt->stmt);
    free(stmt);
}

static bf_status sqlite_begin(bf_store *base, bf_error *err)
{
    return sqlite_exec(base, "BEGIN IMMEDIATE", err);
}

static bf_status sqlite_commit(bf_store *base, bf_error *err)
{
    sqlite_store *store = (sqlite_store *)base;
    bf_status sent = send_stages(store, err);
    if (sent) {
        /* As on PostgreSQL: a row that cannot be written fails the whole transaction. */
        drop_stages(store);
        sqlite_exec(base, "ROLLBACK", NULL);
        return sent;
    }
    return sqlite_exec(base, "COMMIT", err);
}

static bf_status sqlite_rollback(bf_store *base)
{
    sqlite_store *store = (sqlite_store *)base;
    drop_stages(store);
    if (sqlite3_get_autocommit(store->db))
        return BF_OK;
    return sqlite_exec(base, "ROLLBACK", NULL);
}

/* A bulk import touches pages all over large B-trees (keys are hashes): a
 * 64 MiB page cache instead of 32 MiB. (It was 96 MiB; the importer's
 * in-memory sets now take up to 96 MiB themselves, and the import's peak
 * memory must stay under 200 MB.) Foreign-key enforcement is off for the
 * import's transaction: the importer checks every reference itself before it
 * writes, and with enforcement on, every upsert can abort half-way, so SQLite
 * keeps a statement journal for each one, copying every page it touches (to
 * a temporary file past 64 KiB: millions of pwrite calls). Both must be set
 * outside a transaction; the importer calls this before BEGIN. */
static void sqlite_bulk_mode(bf_store *base, bool on)
{
    sqlite_exec(base,
                on ? "PRAGMA cache_size=-65536; PRAGMA foreign_keys=OFF"
                   : "PRAGMA cache_size=-32768; PRAGMA foreign_keys=ON",
                NULL);
}

/* Run a journal_mode pragma; whether the mode it reports is want. */
static bool set_journal_mode(sqlite3 *db, const char *sql, const char *want)
{
    sqlite3_stmt *stmt = NULL;
    bool done = false;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(stmt, 0);
        done = mode && sqlite3_stricmp(mode, want) == 0;
    }
    sqlite3_finalize(stmt);
    return done;
}

/* store_bulk_journal. Leaving WAL needs an exclusive lock, which SQLite asks
 * for once, without the busy handler: any other connection to the file (a
 * server's pool, another command) holds a shared lock as long as it is open,
 * so the pragma fails at once and the load stays in WAL. A rollback journal
 * syncs in FULL mode: with NORMAL, SQLite documents a small chance of
 * corruption at a power failure on some file systems, which WAL with NORMAL
 * does not have. Back in WAL, NORMAL again, as sqlite_open sets it. */
static bool sqlite_bulk_journal(bf_store *base, bool on)
{
    sqlite_store *store = (sqlite_store *)base;
    if (!sqlite3_get_autocommit(store->db))
        return false;
    if (on) {
        if (!set_journal_mode(store->db, "PRAGMA journal_mode=DELETE", "delete"))
            return false;
        sqlite3_exec(store->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
        return true;
    }
    sqlite3_exec(store->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    return set_journal_mode(store->db, "PRAGMA journal_mode=WAL", "wal");
}

static const struct {
    const char *placeholder;
    const char *word;
} sqlite_words[] = {
    {"ID", "INTEGER PRIMARY KEY"},
    {"BLOB", "BLOB"},
    /* Append-only tables: a trigger body that refuses the change (SQLite
     * needs no separate function). */
    {"REFUSE_FUNCTION", ""},
    {"REFUSE_ROW", "FOR EACH ROW BEGIN SELECT RAISE(ABORT, 'append-only table: "
                   "UPDATE and DELETE are refused'); END"},
    /* The rest of the line is for PostgreSQL only: a comment here. */
    {"PG_ONLY", "--"},
};

static const char *sqlite_dialect_word(const char *placeholder)
{
    for (size_t i = 0; i < sizeof sqlite_words / sizeof sqlite_words[0]; i++)
        if (strcmp(sqlite_words[i].placeholder, placeholder) == 0)
            return sqlite_words[i].word;
    return NULL;
}

const bf_store_ops store_sqlite_ops = {
    .open = sqlite_open,
    .close = sqlite_close,
    .exec = sqlite_exec,
    .prepare = sqlite_prepare,
    .bind_int64 = sqlite_bind_int64,
    .bind_text = sqlite_bind_text,
    .bind_null = sqlite_bind_null,
    .step = sqlite_step,
    .column_count = sqlite_column_count,
    .column_is_null = sqlite_column_is_null,
    .column_int64 = sqlite_column_int64,
    .column_text = sqlite_column_text,
    .changes = sqlite_changes,
    .reset = sqlite_reset,
    .finalize = sqlite_finalize,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .dialect_word = sqlite_dialect_word,
    .bulk_mode = sqlite_bulk_mode,
    .bulk_journal = sqlite_bulk_journal,
    /* Indexes with a definition: not the autoindexes of an inline PRIMARY KEY
     * or UNIQUE, which only go with the table. */
    .indexes_sql = "SELECT name, 'DROP INDEX \"' || replace(name, '\"', '\"\"') || '\"', sql "
                   "FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                   "AND sql IS NOT NULL ORDER BY name",
    /* BEGIN IMMEDIATE has excluded every other writer already. */
    .lock_sql = NULL,
    /* The sorter of CREATE INDEX on two threads. Its in-memory runs are as
     * large as the page cache, and with threads several are in memory at
     * once: a 16 MiB cache while it sorts keeps a province's peak memory
     * where the rows put it (199 MiB with the 64 MiB cache, against 181 MiB
     * while the rows went in; the sort took no longer). */
    .rebuild_sql = "PRAGMA threads=2; PRAGMA cache_size=-16384",
    .rebuilt_sql = "PRAGMA threads=0; PRAGMA cache_size=-65536",
};

/* ---- staging areas of batches (store_sqlite.h) ------------------------------------- */

typedef enum { VALUE_NULL, VALUE_INT, VALUE_TEXT } value_kind;

typedef struct {
    value_kind kind;
    int64_t i;       /* VALUE_INT */
    size_t off, len; /* VALUE_TEXT: in the stage's text buffer */
} stage_value;

/* Statements of 1, 2, 4, ... 2^(SIZES-1) rows, and one of the stage's size. */
#define SIZES 9

struct store_sqlite_stage {
    sqlite_store *store; /* NULL once the handle is closed */
    int ncols;
    int rows;                   /* rows per full sending */
    int pending;                /* rows added, not yet sent */
    stage_value *values;        /* rows * ncols; the row being bound is values[pending] */
    bf_buf text;                /* text of the pending rows and the row being bound */
    size_t row_text;            /* where the row being bound starts in text */
    char *head, *tuple, *rest;  /* "INSERT INTO t (cols) VALUES ", "(?, ...)", the rest */
    sqlite3_stmt *full;         /* rows rows */
    sqlite3_stmt *sized[SIZES]; /* 2^k rows, prepared when first needed */
    int64_t changes;
};

static bf_status stage_prepare(store_sqlite_stage *st, int rows, sqlite3_stmt **out, bf_error *err)
{
    bf_buf sql;
    bf_buf_init(&sql, (size_t)64 << 20);
    bf_status rc = bf_buf_append_str(&sql, st->head);
    for (int r = 0; r < rows && rc == BF_OK; r++) {
        if (r > 0)
            rc = bf_buf_append_char(&sql, ',');
        if (rc == BF_OK)
            rc = bf_buf_append_str(&sql, st->tuple);
    }
    if (rc == BF_OK)
        rc = bf_buf_append_str(&sql, st->rest);
    if (rc) {
        bf_buf_free(&sql);
        return bf_error_set(err, rc, "内存不足");
    }
    if (sqlite3_prepare_v3(st->store->db, sql.data, (int)sql.len, SQLITE_PREPARE_PERSISTENT, out,
                           NULL) != SQLITE_OK)
        rc = db_error(st->store->db, err, "prepare");
    bf_buf_free(&sql);
    return rc;
}

bf_status store_sqlite_stage_new(bf_store *base, const store_batch_insert *insert, int rows,
                                 store_sqlite_stage **out, bf_error *err)
{
    *out = NULL;
    if (base->kind != BF_STORE_SQLITE)
        return bf_error_set(err, BF_ERR_INTERNAL, "store_sqlite_stage_new: not SQLite");
    sqlite_store *store = (sqlite_store *)base;
    if (store->nstages >= MAX_STAGES)
        return bf_error_set(err, BF_ERR_INTERNAL, "同时进行的批量写入过多");
    int max_rows = sqlite3_limit(store->db, SQLITE_LIMIT_VARIABLE_NUMBER, -1) / insert->ncols;
    if (rows > max_rows)
        rows = max_rows;
    if (rows > STORE_SQLITE_STAGE_MAX_ROWS)
        rows = STORE_SQLITE_STAGE_MAX_ROWS;
    if (rows < 1)
        rows = 1;
    store_sqlite_stage *st = calloc(1, sizeof *st);
    if (!st)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    st->store = store;
    st->ncols = insert->ncols;
    st->rows = rows;
    bf_buf_init(&st->text, SIZE_MAX / 2);
    st->values = calloc((size_t)rows * (size_t)insert->ncols, sizeof *st->values);
    bf_buf head, tuple;
    bf_buf_init(&head, (size_t)1 << 20);
    bf_buf_init(&tuple, (size_t)1 << 20);
    /* OR FAIL: a failing row ends the statement but keeps the rows before it,
     * where the default (ABORT) would undo them: so SQLite needs no statement
     * journal (a copy of every page the statement touches, spilled to a
     * temporary file). The rows before it do not matter: an error of a batch
     * fails the caller's transaction, which rolls back. */
    bf_status rc = st->values ? bf_buf_printf(&head, "INSERT OR FAIL INTO \"%s\" (", insert->table)
                              : BF_ERR_NOMEM;
    for (int c = 0; c < insert->ncols && rc == BF_OK; c++)
        rc = bf_buf_printf(&head, "%s\"%s\"", c ? ", " : "", insert->cols[c]);
    if (rc == BF_OK)
        rc = bf_buf_append_str(&head, ") VALUES ");
    for (int c = 0; c < insert->ncols && rc == BF_OK; c++)
        rc = bf_buf_append_str(&tuple, c ? ", ?" : "(?");
    if (rc == BF_OK)
        rc = bf_buf_append_char(&tuple, ')');
    if (rc == BF_OK) {
        st->head = bf_buf_detach(&head);
        st->tuple = bf_buf_detach(&tuple);
        st->rest = strdup(insert->rest ? insert->rest : "");
        if (!st->head || !st->tuple || !st->rest)
            rc = BF_ERR_NOMEM;
    }
    bf_buf_free(&head);
    bf_buf_free(&tuple);
    if (rc)
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    else
        rc = stage_prepare(st, rows, &st->full, err);
    if (rc) {
        st->store = NULL;
        store_sqlite_stage_free(st);
        return rc;
    }
    store->stages[store->nstages++] = st;
    *out = st;
    return BF_OK;
}

static stage_value *stage_slot(store_sqlite_stage *st, int index)
{
    if (index < 1 || index > st->ncols)
        return NULL;
    return &st->values[(size_t)st->pending * (size_t)st->ncols + (size_t)(index - 1)];
}

bf_status store_sqlite_stage_bind_int64(store_sqlite_stage *st, int index, int64_t value)
{
    stage_value *v = stage_slot(st, index);
    if (!v)
        return BF_ERR_DB;
    v->kind = VALUE_INT;
    v->i = value;
    return BF_OK;
}

bf_status store_sqlite_stage_bind_text(store_sqlite_stage *st, int index, const char *text,
                                       size_t len)
{
    stage_value *v = stage_slot(st, index);
    if (!v)
        return BF_ERR_DB;
    if (len > 0x7fffffff)
        return BF_ERR_TOO_LARGE;
    size_t off = st->text.len;
    bf_status rc = bf_buf_append(&st->text, text, len);
    if (rc)
        return rc;
    v->kind = VALUE_TEXT;
    v->off = off;
    v->len = len;
    return BF_OK;
}

bf_status store_sqlite_stage_bind_null(store_sqlite_stage *st, int index)
{
    stage_value *v = stage_slot(st, index);
    if (!v)
        return BF_ERR_DB;
    v->kind = VALUE_NULL;
    return BF_OK;
}

/* Write rows [first, first + count) with stmt (of count rows). */
static bf_status stage_write(store_sqlite_stage *st, sqlite3_stmt *stmt, int first, int count,
                             bf_error *err)
{
    int rc = SQLITE_OK;
    const stage_value *v = &st->values[(size_t)first * (size_t)st->ncols];
    int n = count * st->ncols;
    for (int p = 0; p < n && rc == SQLITE_OK; p++, v++) {
        switch (v->kind) {
        case VALUE_INT:
            rc = sqlite3_bind_int64(stmt, p + 1, v->i);
            break;
        case VALUE_TEXT:
            /* The buffer is not touched again before the statement is reset. */
            rc = sqlite3_bind_text(stmt, p + 1, st->text.data + v->off, (int)v->len, SQLITE_STATIC);
            break;
        case VALUE_NULL:
            rc = sqlite3_bind_null(stmt, p + 1);
            break;
        }
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_step(stmt);
    bf_status status = BF_OK;
    if (rc == SQLITE_DONE)
        st->changes += sqlite3_changes64(st->store->db);
    else
        status = db_error(st->store->db, err, "step");
    sqlite3_reset(stmt);
    return status;
}

/* Write every pending row of the stage, then forget them. */
static bf_status stage_send(store_sqlite_stage *st, bf_error *err)
{
    bf_status rc = BF_OK;
    int first = 0;
    while (rc == BF_OK && first < st->pending) {
        int left = st->pending - first;
        int count;
        sqlite3_stmt **stmt;
        if (left >= st->rows) {
            count = st->rows;
            stmt = &st->full;
        } else {
            int k = 0;
            while (k + 1 < SIZES && (1 << (k + 1)) <= left)
                k++;
            count = 1 << k;
            stmt = &st->sized[k];
            if (!*stmt)
                rc = stage_prepare(st, count, stmt, err);
        }
        if (rc == BF_OK)
            rc = stage_write(st, *stmt, first, count, err);
        first += count;
    }
    /* A row being bound stays, moved to the front. */
    size_t ncols = (size_t)st->ncols, moved = st->text.len - st->row_text;
    if (st->pending < st->rows) {
        memcpy(st->values, &st->values[(size_t)st->pending * ncols], ncols * sizeof *st->values);
        for (size_t c = 0; c < ncols; c++)
            if (st->values[c].kind == VALUE_TEXT)
                st->values[c].off -= st->row_text;
    } else {
        memset(st->values, 0, ncols * sizeof *st->values);
    }
    if (moved > 0)
        memmove(st->text.data, st->text.data + st->row_text, moved);
    st->text.len = moved;
    if (st->text.data)
        st->text.data[moved] = '\0';
    st->row_text = 0;
    st->pending = 0;
    return rc;
}

static bf_status send_stages(sqlite_store *store, bf_error *err)
{
    if (store->sending)
        return BF_OK;
    store->sending = true;
    bf_status rc = BF_OK;
    for (int i = 0; i < store->nstages && rc == BF_OK; i++)
        if (store->stages[i]->pending > 0)
            rc = stage_send(store->stages[i], err);
    store->sending = false;
    if (rc)
        drop_stages(store);
    return rc;
}

static void drop_stages(sqlite_store *store)
{
    for (int i = 0; i < store->nstages; i++) {
        store_sqlite_stage *st = store->stages[i];
        st->pending = 0;
        st->row_text = 0;
        bf_buf_reset(&st->text);
        memset(st->values, 0, (size_t)st->ncols * sizeof *st->values);
    }
}

/* The handle closes: its stages may only be freed now. */
static void detach_stages(sqlite_store *store)
{
    for (int i = 0; i < store->nstages; i++)
        store->stages[i]->store = NULL;
    store->nstages = 0;
}

bf_status store_sqlite_stage_add(store_sqlite_stage *st, bf_error *err)
{
    if (!st->store)
        return bf_error_set(err, BF_ERR_DB, "数据库连接已关闭");
    st->pending++;
    st->row_text = st->text.len;
    if (st->pending < st->rows) {
        /* The next row starts unbound (NULL). */
        memset(&st->values[(size_t)st->pending * (size_t)st->ncols], 0,
               (size_t)st->ncols * sizeof *st->values);
        return BF_OK;
    }
    return send_stages(st->store, err);
}

bf_status store_sqlite_stage_flush(store_sqlite_stage *st, bf_error *err)
{
    if (!st->store)
        return st->pending ? bf_error_set(err, BF_ERR_DB, "数据库连接已关闭") : BF_OK;
    return send_stages(st->store, err);
}

int64_t store_sqlite_stage_changes(const store_sqlite_stage *st)
{
    return st->changes;
}

void store_sqlite_stage_free(store_sqlite_stage *st)
{
    if (!st)
        return;
    sqlite_store *store = st->store;
    if (store) {
        for (int i = 0; i < store->nstages; i++) {
            if (store->stages[i] != st)
                continue;
            memmove(&store->stages[i], &store->stages[i + 1],
                    (size_t)(store->nstages - i - 1) * sizeof store->stages[0]);
            store->nstages--;
            break;
        }
    }
    sqlite3_finalize(st->full);
    for (int k = 0; k < SIZES; k++)
        sqlite3_finalize(st->sized[k]);
    free(st->values);
    bf_buf_free(&st->text);
    free(st->head);
    free(st->tuple);
    free(st->rest);
    free(st);
}
