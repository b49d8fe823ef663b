/*
 * store_sqlite.c - the SQLite backend of the storage interface: one database
 * file in WAL mode with foreign keys on, statements prepared with bound
 * parameters only. Owns the sqlite3 handle and its statements.
 */
#include "store/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    bf_store base;
    sqlite3 *db;
} sqlite_store;

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

/* Before SQLite's first use: no memory statistics (bangfu reads none), so
 * each of SQLite's allocations takes no global mutex (a few per cent of a
 * bulk import's time). */
static void sqlite_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static bf_status sqlite_open(const char *target, bool create, bf_store **out, bf_error *err)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, sqlite_configure);
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
    static const char *const pragmas = "PRAGMA journal_mode=WAL;"
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
    /* Checkpoint so the file is whole on its own after a clean close. */
    sqlite3_close_v2(store->db);
    free(store);
}

static bf_status sqlite_exec(bf_store *base, const char *sql, bf_error *err)
{
    sqlite_store *store = (sqlite_store *)base;
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

static const char *sqlite_column_text(bf_stmt *base, int col, size_t *len)
{
    sqlite3_stmt *stmt = ((sqlite_stmt *)base)->stmt;
    const char *text = (const char *)sqlite3_column_text(stmt, col);
    *len = text ? (size_t)sqlite3_column_bytes(stmt, col) : 0;
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
    return sqlite_exec(base, "COMMIT", err);
}

static bf_status sqlite_rollback(bf_store *base)
{
    sqlite_store *store = (sqlite_store *)base;
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
