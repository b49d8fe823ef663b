/*
 * store_pg.c - the PostgreSQL backend of the storage interface (libpq).
 *
 * One connection per handle. Portable SQL is rewritten for PostgreSQL (`?` to
 * $n, see store_pg_rewrite). Parameters go out as text and the server infers
 * their types from the context, so a number bound as text or text bound to a
 * BIGINT column behaves as in SQLite; text that the text format cannot carry
 * (a NUL byte, a backslash, invalid UTF-8) goes out in binary format, which is
 * the raw bytes for text and BYTEA alike. Results come back as text; BOOLEAN
 * reads as 1/0 and BYTEA is decoded to its bytes, as SQLite would give them.
 *
 * Statements: the first execution is one PQexecParams round trip; a statement
 * executed again is prepared under a name (PQprepare) and executed by name from
 * then on, so one-shot queries cost one round trip and loops are planned once.
 * Names of finalized statements are deallocated in batches.
 *
 * Results: a step executes the statement and holds its whole PGresult; later
 * steps walk its rows, and column text stays valid until the next step, reset
 * or finalize. Memory therefore grows with the result set: a statement marked
 * with store_pg_set_streaming instead reads through a cursor, STREAM_BATCH rows
 * at a time (inside a transaction).
 *
 * Errors: SQLSTATE classes map to statuses through one table (sqlstate_map). A
 * lost connection is reset once: the statement fails with BF_ERR_UNAVAILABLE
 * (the caller may retry), and a transaction that was open is marked lost, so
 * every statement fails until the caller rolls back; a COMMIT never reaches a
 * fresh connection as if nothing had happened.
 *
 * Batches (store_pg_stage_*, for store/batch.c) stage rows in COPY's text
 * format; a full stage is sent by a short-lived sender thread while the caller
 * goes on, and joined before the connection is used again (pg_collect).
 *
 * Owns the PGconn, the PGresults, the statements' parameter buffers and the
 * sender thread.
 */
#include "core/hash.h"
#include "store/store_pg.h"

#include <libpq-fe.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Type OIDs from pg_type.h (stable since PostgreSQL 7). */
#define PG_OID_BOOL  16
#define PG_OID_BYTEA 17
#define PG_OID_INT8  20
#define PG_OID_TEXT  25

#define STREAM_BATCH  2000 /* rows per FETCH of a streaming statement */
#define DEALLOC_MAX   64   /* prepared names waiting for DEALLOCATE */
#define DEALLOC_BATCH 32   /* deallocate once this many are waiting */
#define NAME_SIZE     24
#define MIN_SERVER    100000 /* PostgreSQL 10: identity columns */
#define MAX_STAGES    16     /* batches staging rows on one handle */
#define MAX_READERS   16     /* open cursors one handle reads ahead for */
#define AHEAD_CHECK   256    /* rows walked between looks for a free connection */

typedef struct {
    bf_store base;
    PGconn *conn;
    unsigned generation;     /* bumped by each reconnect; prepared names belong to one */
    unsigned long next_name; /* source of statement and cursor names */
    unsigned long tx_serial; /* bumped by each BEGIN; a cursor belongs to one transaction */
    bool in_tx;              /* our BEGIN is open (as far as the caller knows) */
    bool tx_lost;            /* the connection dropped inside that transaction */
    bool serializable;       /* BEGIN ISOLATION LEVEL SERIALIZABLE */
    int npending;
    char pending[DEALLOC_MAX][NAME_SIZE]; /* prepared names to DEALLOCATE */
    int nstages;
    store_pg_stage *stages[MAX_STAGES]; /* batches with rows to send, in order made */
    bool flushing;                      /* sending them now */
    /* A stage that filled up, being sent by the sender thread (its COPY and,
     * for a staging table, its INSERT ... SELECT) while the caller goes on
     * computing rows; joined (pg_collect) before the connection is used for
     * anything else. While it runs, the thread alone touches the connection
     * and the fields a lost connection changes (tx_lost, generation,
     * npending). */
    store_pg_stage *merging;
    pthread_t sender;
    bf_buf sending;    /* the rows it sends (swapped out of the stage) */
    bf_status sent_rc; /* its outcome, read after the join */
    bf_error sent_err;
    int64_t sent_changes;
    /* A streaming statement whose next FETCH was sent without waiting (read
     * ahead: the server produces the next batch while the caller walks the
     * current one); collected into its `ahead` like the above. At most one
     * of merging and fetching is set: the connection runs one query at a time. */
    struct pg_stmt *fetching;
    /* The streaming statements with an open cursor (the candidates for a
     * read-ahead), and where the last choice among them was. */
    struct pg_stmt *readers[MAX_READERS];
    int nreaders;
    int next_reader;
} pg_store;

struct store_pg_stage {
    pg_store *store; /* NULL once the handle is closed */
    char name[NAME_SIZE];
    char *prepare_sql; /* create the staging table if needed, empty it */
    char *copy_sql;
    char *merge_sql;
    int ncols;
    bool *bytea; /* per column: BYTEA, sent in hex */
    bf_buf data; /* pending rows, COPY text format */
    int64_t rows;
    int64_t changes;
};

static bf_status pg_flush_stages(pg_store *store, bool async, bf_error *err);
static bf_status pg_collect(pg_store *store, bf_error *err);
static void pg_drop_stages(pg_store *store);

typedef enum { PARAM_NULL, PARAM_TEXT, PARAM_INT } param_kind;

typedef struct {
    char *data; /* owned, reused across binds; NUL-terminated */
    size_t cap;
    int len;
    int format; /* 0 text, 1 binary */
    param_kind kind;
} pg_param;

typedef struct pg_stmt {
    bf_stmt base;
    char *sql; /* rewritten */
    int nparams;
    pg_param *params;
    const char **values; /* the arrays libpq takes, filled before each run */
    int *lengths;
    int *formats;
    Oid *types; /* 0 (inferred) unless the server could not tell */
    PGresult *res;
    int row;
    int nrows;
    int ncols;
    bool active; /* executed, and rows may remain */
    int64_t changes;
    unsigned executions;
    char name[NAME_SIZE]; /* "" until prepared */
    unsigned generation;
    bool stream;
    bool unstaged; /* store_pg_set_unstaged: runs without sending the batches first */
    bool cursor_open;
    bool cursor_eof;
    unsigned long cursor_tx;
    char cursor[NAME_SIZE];
    PGresult *ahead;         /* the next batch, read ahead (may be a failed result) */
    unsigned char **decoded; /* per column: BYTEA of the current row, decoded */
    size_t *decoded_len;
    int decoded_cap; /* columns decoded and decoded_len have room for */
} pg_stmt;

/* SQLSTATE (or its class) -> status and a Chinese lead-in. First match wins. */
static const struct {
    const char *prefix;
    bf_status status;
    const char *what;
} sqlstate_map[] = {
    {"40001", BF_ERR_CONFLICT, "并发写入冲突，请重试"},
    {"40P01", BF_ERR_CONFLICT, "数据库死锁，请重试"},
    {"23", BF_ERR_CONFLICT, "数据约束冲突"},
    {"08", BF_ERR_UNAVAILABLE, "数据库连接异常"},
    {"53", BF_ERR_UNAVAILABLE, "数据库服务器资源不足"},
    {"57P", BF_ERR_UNAVAILABLE, "数据库服务器正在关闭或重启"},
    {"54", BF_ERR_TOO_LARGE, "超出数据库的限制"},
};

static void pg_notice_ignore(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* The server's message without libpq's trailing newline, into out. */
static void error_text(PGconn *conn, const PGresult *res, char *out, size_t out_size)
{
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg || !*msg)
        msg = PQerrorMessage(conn);
    snprintf(out, out_size, "%s", msg ? msg : "");
    size_t n = strlen(out);
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
}

/* The connection is gone: reset it once. Prepared names and cursors died with
 * it; a transaction that was open is lost and stays failed until rollback. */
static bf_status pg_connection_lost(pg_store *store, bf_error *err)
{
    char why[300];
    error_text(store->conn, NULL, why, sizeof why);
    if (store->in_tx)
        store->tx_lost = true;
    PQreset(store->conn);
    store->generation++;
    store->npending = 0;
    if (PQstatus(store->conn) == CONNECTION_OK)
        return bf_error_set(err, BF_ERR_UNAVAILABLE,
                            "与数据库服务器的连接中断（%s），已重新连接，请重试", why);
    error_text(store->conn, NULL, why, sizeof why);
    return bf_error_set(err, BF_ERR_UNAVAILABLE, "无法连接数据库服务器：%s", why);
}

/* Turn a failed result (may be NULL) into a status and message. */
static bf_status pg_error(pg_store *store, const PGresult *res, bf_error *err)
{
    if (PQstatus(store->conn) != CONNECTION_OK)
        return pg_connection_lost(store, err);
    if (!res)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    char msg[400];
    error_text(store->conn, res, msg, sizeof msg);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    bf_status status = BF_ERR_DB;
    const char *what = "数据库错误";
    for (size_t i = 0; state && i < sizeof sqlstate_map / sizeof sqlstate_map[0]; i++) {
        if (strncmp(state, sqlstate_map[i].prefix, strlen(sqlstate_map[i].prefix)) == 0) {
            status = sqlstate_map[i].status;
            what = sqlstate_map[i].what;
            break;
        }
    }
    if (detail && *detail)
        return bf_error_set(err, status, "%s：%s（%s）", what, msg, detail);
    return bf_error_set(err, status, "%s：%s", what, msg);
}

/* Deallocate the prepared names of finalized statements, outside a failed
 * transaction. Every name was prepared on this connection, so the DEALLOCATEs
 * cannot fail and cannot abort the caller's transaction. */
static void pg_flush_deallocs(pg_store *store)
{
    PGTransactionStatusType ts = PQtransactionStatus(store->conn);
    if (store->npending == 0 || (ts != PQTRANS_IDLE && ts != PQTRANS_INTRANS))
        return;
    char sql[DEALLOC_MAX * (NAME_SIZE + 12) + 1];
    size_t n = 0;
    for (int i = 0; i < store->npending; i++)
        n += (size_t)snprintf(sql + n, sizeof sql - n, "DEALLOCATE %s;", store->pending[i]);
    store->npending = 0;
    PQclear(PQexec(store->conn, sql));
}

/* Before any statement: a lost transaction fails everything until rollback; a
 * connection that went bad earlier is given one more reset. The rows staged
 * for batches are sent first unless keep_staged (a statement that does not
 * read them). */
static bf_status pg_ready_for(pg_store *store, bool keep_staged, bf_error *err)
{
    bf_status merged = pg_collect(store, err);
    if (merged)
        return merged;
    if (store->tx_lost)
        return bf_error_set(err, BF_ERR_UNAVAILABLE,
                            "数据库连接中断，当前事务已失效，请重新执行操作");
    if (PQstatus(store->conn) != CONNECTION_OK) {
        PQreset(store->conn);
        store->generation++;
        store->npending = 0;
        if (PQstatus(store->conn) != CONNECTION_OK) {
            char why[300];
            error_text(store->conn, NULL, why, sizeof why);
            return bf_error_set(err, BF_ERR_UNAVAILABLE, "无法连接数据库服务器：%s", why);
        }
    }
    if (store->npending >= DEALLOC_BATCH)
        pg_flush_deallocs(store);
    /* Reads see the writes: staged rows go first. */
    return keep_staged ? BF_OK : pg_flush_stages(store, false, err);
}

static bf_status pg_ready(pg_store *store, bf_error *err)
{
    return pg_ready_for(store, false, err);
}

/* ---- connecting ---------------------------------------------------------- */

/* Connect to target; dbname (may be NULL) replaces the database it names. Our
 * defaults come before the target so that its own settings win; the client
 * encoding comes after, as everything we send and read is UTF-8. */
static PGconn *pg_connect(const char *target, const char *dbname)
{
    const char *keys[] = {"connect_timeout", "fallback_application_name", "dbname",
                          "client_encoding", dbname ? "dbname" : NULL,    NULL};
    const char *values[] = {"10", "bangfu", target, "UTF8", dbname, NULL};
    return PQconnectdbParams(keys, values, 1);
}

/* Create the database a target names, through the maintenance database, with
 * the byte-order collation SQLite uses (so ORDER BY gives the same order). */
static bf_status pg_create_database(const char *target, const char *dbname, bf_error *err)
{
    static const char *const maintenance[] = {"postgres", "template1"};
    PGconn *conn = NULL;
    for (size_t i = 0; i < 2; i++) {
        PQfinish(conn);
        conn = pg_connect(target, maintenance[i]);
        if (conn && PQstatus(conn) == CONNECTION_OK)
            break;
    }
    bf_status rc = BF_OK;
    char why[300];
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        error_text(conn, NULL, why, sizeof why);
        rc = bf_error_set(err, BF_ERR_UNAVAILABLE, "无法连接数据库服务器：%s", why);
        goto out;
    }
    const char *params[] = {dbname};
    PGresult *res = PQexecParams(conn, "SELECT 1 FROM pg_database WHERE datname = $1", 1, NULL,
                                 params, NULL, NULL, 0);
    bool exists = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0;
    PQclear(res);
    if (exists)
        goto out;
    char *quoted = PQescapeIdentifier(conn, dbname, strlen(dbname));
    if (!quoted) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    char sql[512];
    snprintf(sql, sizeof sql,
             "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'",
             quoted);
    PQfreemem(quoted);
    res = PQexec(conn, sql);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    /* 42P04: someone else created it meanwhile, which is as good. */
    if (PQresultStatus(res) != PGRES_COMMAND_OK && !(state && strcmp(state, "42P04") == 0)) {
        error_text(conn, res, why, sizeof why);
        rc = bf_error_set(err, BF_ERR_DB, "无法创建数据库 %s：%s", dbname, why);
    }
    PQclear(res);
out:
    PQfinish(conn);
    return rc;
}

static bf_status pg_open(const char *target, bool create, bf_store **out, bf_error *err)
{
    *out = NULL;
    char why[300];
    PGconn *conn = pg_connect(target, NULL);
    if (!conn)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    if (PQstatus(conn) != CONNECTION_OK && create && PQdb(conn) && *PQdb(conn)) {
        /* Perhaps only the database is missing: bangfu init creates it. */
        char dbname[256];
        snprintf(dbname, sizeof dbname, "%s", PQdb(conn));
        bf_error create_err;
        bf_error_clear(&create_err);
        if (pg_create_database(target, dbname, &create_err) == BF_OK) {
            PQfinish(conn);
            conn = pg_connect(target, NULL);
            if (!conn)
                return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        }
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        error_text(conn, NULL, why, sizeof why);
        PQfinish(conn);
        return bf_error_set(err, BF_ERR_UNAVAILABLE, "无法连接 PostgreSQL 数据库：%s", why);
    }
    if (PQserverVersion(conn) < MIN_SERVER) {
        PQfinish(conn);
        return bf_error_set(err, BF_ERR_UNSUPPORTED, "PostgreSQL 版本过低，需要 10 或更高版本");
    }
    const char *encoding = PQparameterStatus(conn, "server_encoding");
    if (!encoding || strcmp(encoding, "UTF8") != 0) {
        bf_error_set(err, BF_ERR_UNSUPPORTED, "数据库编码为 %s，bangfu 需要 UTF8 编码的数据库",
                     encoding ? encoding : "未知");
        PQfinish(conn);
        return BF_ERR_UNSUPPORTED;
    }
    /* Notices ("relation already exists, skipping") are not for end users. */
    PQsetNoticeProcessor(conn, pg_notice_ignore, NULL);
    pg_store *store = calloc(1, sizeof *store);
    if (!store) {
        PQfinish(conn);
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    store->base.kind = BF_STORE_PG;
    store->conn = conn;
    bf_buf_init(&store->sending, STORE_PG_STAGE_BYTES * 2);
    *out = &store->base;
    return BF_OK;
}

static void pg_close(bf_store *base)
{
    pg_store *store = (pg_store *)base;
    pg_collect(store, NULL);
    bf_buf_free(&store->sending);
    for (int i = 0; i < store->nstages; i++)
        store->stages[i]->store = NULL;
    PQfinish(store->conn);
    free(store);
}

static bf_status pg_exec(bf_store *base, const char *sql, bf_error *err)
{
    pg_store *store = (pg_store *)base;
    bf_status rc = pg_ready(store, err);
    if (rc)
        return rc;
    PGresult *res = PQexec(store->conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY)
        rc = BF_OK;
    else
        rc = pg_error(store, res, err);
    PQclear(res);
    return rc;
}

/* ---- rewriting portable SQL ---------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* p at a keyword (case-insensitive) that ends there: the length, else 0. */
static size_t keyword_at(const char *p, const char *word)
{
    size_t n = strlen(word);
    if (strncasecmp(p, word, n) != 0 || is_word_char(p[n]))
        return 0;
    return n;
}

/* After a `?`: does IS NULL or IS NOT NULL follow? PostgreSQL cannot infer a
 * parameter's type from that alone. */
static bool followed_by_is_null(const char *p)
{
    while (is_space(*p))
        p++;
    size_t n = keyword_at(p, "IS");
    if (!n)
        return false;
    p += n;
    while (is_space(*p))
        p++;
    if ((n = keyword_at(p, "NOT")) != 0) {
        p += n;
        while (is_space(*p))
            p++;
    }
    return keyword_at(p, "NULL") != 0;
}

bf_status store_pg_rewrite(const char *sql, bf_buf *out, int *nparams, bf_error *err)
{
    enum { NORMAL, QUOTE, DQUOTE, LINE_COMMENT, BLOCK_COMMENT } state = NORMAL;
    bf_buf_reset(out);
    *nparams = 0;
    int highest = 0, depth = 0;
    bf_status rc = BF_OK;
    const char *p = sql;
    while (*p && rc == BF_OK) {
        char c = *p;
        size_t take = 1;
        switch (state) {
        case NORMAL:
            if (c == '\'') {
                state = QUOTE;
            } else if (c == '"') {
                state = DQUOTE;
            } else if (c == '-' && p[1] == '-') {
                state = LINE_COMMENT;
                take = 2;
            } else if (c == '/' && p[1] == '*') {
                state = BLOCK_COMMENT;
                depth = 1;
                take = 2;
            } else if (c == '?') {
                int number = 0;
                const char *q = p + 1;
                if (*q >= '0' && *q <= '9') {
                    long v = 0;
                    while (*q >= '0' && *q <= '9' && v <= STORE_PG_MAX_PARAMS)
                        v = v * 10 + (*q++ - '0');
                    if (v < 1 || v > STORE_PG_MAX_PARAMS)
                        return bf_error_set(err, BF_ERR_PARSE, "SQL 参数编号无效");
                    number = (int)v;
                    if (number > highest)
                        highest = number;
                } else {
                    if (highest >= STORE_PG_MAX_PARAMS)
                        return bf_error_set(err, BF_ERR_TOO_LARGE, "SQL 参数过多");
                    number = ++highest;
                }
                bool cast = q == p + 1 && followed_by_is_null(q);
                rc = bf_buf_printf(out, cast ? "$%d::text" : "$%d", number);
                p = q;
                continue;
            }
            break;
        case QUOTE:
        case DQUOTE: {
            char quote = state == QUOTE ? '\'' : '"';
            if (c == quote) {
                if (p[1] == quote)
                    take = 2; /* doubled: an escaped quote */
                else
                    state = NORMAL;
            }
            break;
        }
        case LINE_COMMENT:
            if (c == '\n')
                state = NORMAL;
            break;
        case BLOCK_COMMENT:
            /* PostgreSQL nests block comments. */
            if (c == '*' && p[1] == '/') {
                take = 2;
                if (--depth == 0)
                    state = NORMAL;
            } else if (c == '/' && p[1] == '*') {
                take = 2;
                if (++depth > 64)
                    return bf_error_set(err, BF_ERR_PARSE, "SQL 注释嵌套过深");
            }
            break;
        }
        rc = bf_buf_append(out, p, take);
        p += take;
    }
    if (rc == BF_ERR_TOO_LARGE || out->len > STORE_PG_MAX_SQL)
        return bf_error_set(err, BF_ERR_TOO_LARGE, "SQL 语句过长");
    if (rc)
        return bf_error_set(err, rc, "内存不足");
    if (state == QUOTE || state == DQUOTE)
        return bf_error_set(err, BF_ERR_PARSE, "SQL 中的引号未闭合");
    if (state == BLOCK_COMMENT)
        return bf_error_set(err, BF_ERR_PARSE, "SQL 中的注释未闭合");
    *nparams = highest;
    return BF_OK;
}

/* ---- statements ---------------------------------------------------------- */

static void pg_stmt_free(pg_stmt *stmt)
{
    for (int i = 0; i < stmt->nparams && stmt->params; i++)
        free(stmt->params[i].data);
    free(stmt->params);
    free(stmt->values);
    free(stmt->lengths);
    free(stmt->formats);
    free(stmt->types);
    free(stmt->decoded);
    free(stmt->decoded_len);
    free(stmt->sql);
    free(stmt);
}

static bf_status pg_prepare(bf_store *base, const char *sql, bf_stmt **out, bf_error *err)
{
    bf_buf text;
    bf_buf_init(&text, STORE_PG_MAX_SQL);
    int nparams = 0;
    bf_status rc = store_pg_rewrite(sql, &text, &nparams, err);
    if (rc) {
        bf_buf_free(&text);
        return rc;
    }
    pg_stmt *stmt = calloc(1, sizeof *stmt);
    if (!stmt) {
        bf_buf_free(&text);
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    stmt->base.store = base;
    stmt->sql = bf_buf_detach(&text);
    if (!stmt->sql)
        stmt->sql = strdup("");
    stmt->nparams = nparams;
    if (nparams > 0) {
        size_t n = (size_t)nparams;
        stmt->params = calloc(n, sizeof *stmt->params);
        stmt->values = calloc(n, sizeof *stmt->values);
        stmt->lengths = calloc(n, sizeof *stmt->lengths);
        stmt->formats = calloc(n, sizeof *stmt->formats);
        stmt->types = calloc(n, sizeof *stmt->types);
    }
    if (!stmt->sql || (nparams > 0 && (!stmt->params || !stmt->values || !stmt->lengths ||
                                       !stmt->formats || !stmt->types))) {
        pg_stmt_free(stmt);
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    stmt->row = -1;
    *out = &stmt->base;
    return BF_OK;
}

static bf_status param_store(pg_stmt *stmt, int index, const char *data, size_t len,
                             param_kind kind, int format)
{
    if (index < 1 || index > stmt->nparams)
        return BF_ERR_DB;
    if (len >= INT_MAX)
        return BF_ERR_TOO_LARGE;
    pg_param *param = &stmt->params[index - 1];
    if (param->cap < len + 1) {
        size_t cap = len + 1 < 32 ? 32 : len + 1;
        char *p = realloc(param->data, cap);
        if (!p)
            return BF_ERR_NOMEM;
        param->data = p;
        param->cap = cap;
    }
    if (len)
        memcpy(param->data, data, len);
    param->data[len] = '\0';
    param->len = (int)len;
    param->kind = kind;
    param->format = format;
    return BF_OK;
}

static bf_status pg_bind_int64(bf_stmt *base, int index, int64_t value)
{
    char text[24];
    int n = snprintf(text, sizeof text, "%lld", (long long)value);
    return param_store((pg_stmt *)base, index, text, (size_t)n, PARAM_INT, 0);
}

/* Can PostgreSQL's text format carry these bytes as they are? Not with a NUL,
 * not with a backslash (BYTEA's text input would read it as an escape), not
 * when they are not UTF-8. */
static bool text_format_safe(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c == 0 || c == '\\')
            return false;
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > len || (n == 2 && c < 0xc2))
            return false;
        for (size_t k = 1; k < n; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        i += n;
    }
    return true;
}

static bf_status pg_bind_text(bf_stmt *base, int index, const char *text, size_t len)
{
    int format = text_format_safe((const unsigned char *)text, len) ? 0 : 1;
    return param_store((pg_stmt *)base, index, text, len, PARAM_TEXT, format);
}

static bf_status pg_bind_null(bf_stmt *base, int index)
{
    return param_store((pg_stmt *)base, index, NULL, 0, PARAM_NULL, 0);
}

static void decoded_clear(pg_stmt *stmt)
{
    if (!stmt->decoded)
        return;
    for (int i = 0; i < stmt->decoded_cap; i++) {
        if (stmt->decoded[i])
            PQfreemem(stmt->decoded[i]);
        stmt->decoded[i] = NULL;
    }
}

static void readers_remove(pg_store *store, pg_stmt *stmt)
{
    for (int i = 0; i < store->nreaders; i++) {
        if (store->readers[i] != stmt)
            continue;
        memmove(&store->readers[i], &store->readers[i + 1],
                (size_t)(store->nreaders - i - 1) * sizeof store->readers[0]);
        store->nreaders--;
        return;
    }
}

static void cursor_close(pg_stmt *stmt)
{
    pg_store *store = (pg_store *)stmt->base.store;
    readers_remove(store, stmt);
    if (!stmt->cursor_open)
        return;
    stmt->cursor_open = false;
    pg_collect(store, NULL); /* an error there fails the transaction anyway */
    /* Closing a cursor that died with its transaction would fail and abort the
     * next one: only close it where it lives. */
    if (store->in_tx && !store->tx_lost && store->tx_serial == stmt->cursor_tx &&
        stmt->generation == store->generation &&
        PQtransactionStatus(store->conn) == PQTRANS_INTRANS) {
        char sql[NAME_SIZE + 8];
        snprintf(sql, sizeof sql, "CLOSE %s", stmt->cursor);
        PQclear(PQexec(store->conn, sql));
    }
}

/* Drop the current result (and cursor); the statement may run again. */
static void result_clear(pg_stmt *stmt)
{
    decoded_clear(stmt);
    PQclear(stmt->res);
    stmt->res = NULL;
    stmt->nrows = 0;
    stmt->row = -1;
    stmt->active = false;
    cursor_close(stmt);
    /* A read-ahead still on its way was collected by cursor_close. */
    if (stmt->base.store && ((pg_store *)stmt->base.store)->fetching == stmt)
        pg_collect((pg_store *)stmt->base.store, NULL);
    PQclear(stmt->ahead);
    stmt->ahead = NULL;
}

/* Take a successful result: rows to walk, or a command's count. */
static bf_status result_take(pg_stmt *stmt, PGresult *res)
{
    int64_t tuples = atoll(PQcmdTuples(res));
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        stmt->changes = tuples;
        PQclear(res);
        return BF_OK;
    }
    int ncols = PQnfields(res);
    if (ncols > stmt->decoded_cap || !stmt->decoded) {
        free(stmt->decoded);
        free(stmt->decoded_len);
        stmt->decoded_cap = 0;
        stmt->decoded = calloc((size_t)ncols + 1, sizeof *stmt->decoded);
        stmt->decoded_len = calloc((size_t)ncols + 1, sizeof *stmt->decoded_len);
        if (!stmt->decoded || !stmt->decoded_len) {
            PQclear(res);
            return BF_ERR_NOMEM;
        }
        stmt->decoded_cap = ncols;
    }
    stmt->res = res;
    stmt->ncols = ncols;
    stmt->nrows = PQntuples(res);
    stmt->row = -1;
    stmt->active = true;
    stmt->changes = tuples;
    return BF_OK;
}

/* 42P18 "could not determine data type of parameter $N" outside a transaction
 * (inside, the failure has aborted it): give $N a type from how it was bound and
 * let the caller try again. IS [NOT] NULL, the usual cause, is already cast by
 * the rewriter; this covers the rest. */
static bool fix_param_type(pg_stmt *stmt, pg_store *store, const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    if (!state || strcmp(state, "42P18") != 0 || !msg ||
        PQtransactionStatus(store->conn) != PQTRANS_IDLE)
        return false;
    const char *dollar = strchr(msg, '$');
    long n = dollar ? strtol(dollar + 1, NULL, 10) : 0;
    if (n < 1 || n > stmt->nparams || stmt->types[n - 1] != 0)
        return false;
    stmt->types[n - 1] = stmt->params[n - 1].kind == PARAM_INT ? PG_OID_INT8 : PG_OID_TEXT;
    return true;
}

/* Whether the query sent without waiting, if any, has its result ready, so
 * collecting it would not wait. */
static bool pg_inflight_done(pg_store *store)
{
    if (!store->merging && !store->fetching)
        return true;
    if (PQconsumeInput(store->conn) != 1)
        return true; /* collecting reports the failure at once */
    return !PQisBusy(store->conn);
}

/* Keep the connection busy reading ahead: when nothing is in flight (or what
 * is has finished, and is collected now without waiting), send the FETCH of
 * the next batch of an open cursor that has none waiting, taking the cursors
 * in turn, so the server produces it while the caller walks what it has.
 * Best effort: a batch not read ahead is fetched when it is needed. */
static void read_ahead(pg_store *store)
{
    /* A merge's error must reach the caller with its message: only a
     * finished read-ahead is collected here. */
    if (store->merging || store->nreaders == 0 || !pg_inflight_done(store))
        return;
    pg_collect(store, NULL);
    for (int k = 0; k < store->nreaders; k++) {
        int i = (store->next_reader + k) % store->nreaders;
        pg_stmt *stmt = store->readers[i];
        if (!stmt->cursor_open || stmt->cursor_eof || stmt->ahead || !store->in_tx ||
            store->tx_serial != stmt->cursor_tx || stmt->generation != store->generation)
            continue;
        char sql[NAME_SIZE + 24];
        snprintf(sql, sizeof sql, "FETCH %d FROM %s", STREAM_BATCH, stmt->cursor);
        if (PQsendQuery(store->conn, sql) == 1)
            store->fetching = stmt;
        store->next_reader = (i + 1) % store->nreaders;
        return;
    }
}

static bf_status cursor_fetch(pg_stmt *stmt, bf_error *err)
{
    pg_store *store = (pg_store *)stmt->base.store;
    /* Its own read-ahead (or a sending) in flight: collect it first. */
    bf_status merged = pg_collect(store, err);
    if (merged)
        return merged;
    if (!store->in_tx || store->tx_serial != stmt->cursor_tx ||
        stmt->generation != store->generation) {
        stmt->cursor_open = false;
        return bf_error_set(err, BF_ERR_INTERNAL, "读取游标时其所在的事务已结束");
    }
    PGresult *res = stmt->ahead;
    stmt->ahead = NULL;
    if (!res) {
        char sql[NAME_SIZE + 24];
        snprintf(sql, sizeof sql, "FETCH %d FROM %s", STREAM_BATCH, stmt->cursor);
        res = PQexec(store->conn, sql);
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        bf_status rc = pg_error(store, res, err);
        PQclear(res);
        stmt->cursor_open = false;
        return rc;
    }
    decoded_clear(stmt);
    PQclear(stmt->res);
    stmt->res = NULL;
    int64_t before = stmt->changes;
    bf_status rc = result_take(stmt, res);
    if (rc)
        return bf_error_set(err, rc, "内存不足");
    stmt->changes = before + stmt->nrows;
    if (stmt->nrows < STREAM_BATCH)
        stmt->cursor_eof = true;
    read_ahead(store);
    return BF_OK;
}

/* Run a streaming statement: DECLARE a cursor, FETCH the first batch. */
static bf_status cursor_run(pg_stmt *stmt, bf_error *err)
{
    pg_store *store = (pg_store *)stmt->base.store;
    bf_buf sql;
    bf_buf_init(&sql, STORE_PG_MAX_SQL + 64);
    snprintf(stmt->cursor, sizeof stmt->cursor, "bfc%lu", ++store->next_name);
    bf_status rc =
        bf_buf_printf(&sql, "DECLARE %s NO SCROLL CURSOR FOR %s", stmt->cursor, stmt->sql);
    if (rc) {
        bf_buf_free(&sql);
        return bf_error_set(err, rc, "SQL 语句过长");
    }
    PGresult *res = PQexecParams(store->conn, sql.data, stmt->nparams, stmt->types, stmt->values,
                                 stmt->lengths, stmt->formats, 0);
    bf_buf_free(&sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = pg_error(store, res, err);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    stmt->cursor_open = true;
    stmt->cursor_eof = false;
    if (store->nreaders < MAX_READERS)
        store->readers[store->nreaders++] = stmt;
    stmt->cursor_tx = store->tx_serial;
    stmt->generation = store->generation;
    stmt->changes = 0;
    return cursor_fetch(stmt, err);
}

static bf_status stmt_run(pg_stmt *stmt, bf_error *err)
{
    pg_store *store = (pg_store *)stmt->base.store;
    for (int i = 0; i < stmt->nparams; i++) {
        pg_param *param = &stmt->params[i];
        stmt->values[i] = param->kind == PARAM_NULL ? NULL : param->data;
        stmt->lengths[i] = param->len;
        stmt->formats[i] = param->format;
    }
    stmt->changes = 0;
    bf_status rc = pg_ready_for(store, stmt->unstaged, err);
    if (rc)
        return rc;
    if (stmt->generation != store->generation)
        stmt->name[0] = '\0'; /* prepared on a connection that is gone */
    if (stmt->stream && store->in_tx)
        return cursor_run(stmt, err);
    PGresult *res = NULL;
    for (int attempt = 0; attempt <= stmt->nparams; attempt++) {
        PQclear(res);
        res = NULL;
        if (!stmt->name[0] && stmt->executions > 0) {
            /* Run a second time: worth a name and a plan of its own. */
            char name[NAME_SIZE];
            snprintf(name, sizeof name, "bf%lu", ++store->next_name);
            res = PQprepare(store->conn, name, stmt->sql, stmt->nparams, stmt->types);
            if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                if (fix_param_type(stmt, store, res))
                    continue;
                break;
            }
            PQclear(res);
            memcpy(stmt->name, name, sizeof name);
            stmt->generation = store->generation;
        }
        if (stmt->name[0])
            res = PQexecPrepared(store->conn, stmt->name, stmt->nparams, stmt->values,
                                 stmt->lengths, stmt->formats, 0);
        else
            res = PQexecParams(store->conn, stmt->sql, stmt->nparams, stmt->types, stmt->values,
                               stmt->lengths, stmt->formats, 0);
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK || st == PGRES_EMPTY_QUERY ||
            !fix_param_type(stmt, store, res))
            break;
    }
    stmt->executions++;
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && st != PGRES_EMPTY_QUERY) {
        rc = pg_error(store, res, err);
        PQclear(res);
        return rc;
    }
    rc = result_take(stmt, res);
    if (rc)
        return bf_error_set(err, rc, "内存不足");
    return BF_OK;
}

static bf_status pg_step(bf_stmt *base, bool *has_row, bf_error *err)
{
    pg_stmt *stmt = (pg_stmt *)base;
    if (!stmt->active) {
        bf_status rc = stmt_run(stmt, err);
        if (rc || !stmt->active)
            return rc;
    }
    decoded_clear(stmt);
    stmt->row++;
    if (stmt->cursor_open && stmt->row % AHEAD_CHECK == AHEAD_CHECK - 1)
        read_ahead((pg_store *)stmt->base.store);
    if (stmt->row >= stmt->nrows && stmt->cursor_open && !stmt->cursor_eof) {
        bf_status rc = cursor_fetch(stmt, err);
        if (rc) {
            result_clear(stmt);
            return rc;
        }
        stmt->row = 0;
    }
    if (stmt->row < stmt->nrows) {
        *has_row = true;
        return BF_OK;
    }
    /* Done: free the rows now; a further step runs the statement again, as
     * SQLite's does. */
    int64_t changes = stmt->changes;
    result_clear(stmt);
    stmt->changes = changes;
    return BF_OK;
}

static bool cell_ok(const pg_stmt *stmt, int col)
{
    return stmt->res && col >= 0 && col < stmt->ncols && stmt->row >= 0 && stmt->row < stmt->nrows;
}

static int pg_column_count(bf_stmt *base)
{
    return ((pg_stmt *)base)->ncols;
}

static bool pg_column_is_null(bf_stmt *base, int col)
{
    pg_stmt *stmt = (pg_stmt *)base;
    return !cell_ok(stmt, col) || PQgetisnull(stmt->res, stmt->row, col);
}

/* The integer a value starts with, read as strtoll reads it (a sign, then
 * digits up to the first other byte: "12.5" is 12) without its locale
 * machinery, which took 7 % of a PostgreSQL re-classification's CPU time; a
 * number long enough to overflow goes to strtoll, which saturates. */
static int64_t parse_int64(const char *value)
{
    const char *p = value;
    bool negative = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    uint64_t magnitude = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (digits == 18)
            return strtoll(value, NULL, 10);
        magnitude = magnitude * 10 + (uint64_t)(*p - '0');
    }
    return negative ? -(int64_t)magnitude : (int64_t)magnitude;
}

static int64_t pg_column_int64(bf_stmt *base, int col)
{
    pg_stmt *stmt = (pg_stmt *)base;
    if (pg_column_is_null(base, col))
        return 0;
    const char *value = PQgetvalue(stmt->res, stmt->row, col);
    if (PQftype(stmt->res, col) == PG_OID_BOOL)
        return value[0] == 't';
    /* NUMERIC (what SUM gives) truncates as SQLite truncates a REAL. */
    return parse_int64(value);
}

static const char *pg_column_text(bf_stmt *base, int col, size_t *len)
{
    pg_stmt *stmt = (pg_stmt *)base;
    *len = 0;
    if (pg_column_is_null(base, col))
        return NULL;
    const char *value = PQgetvalue(stmt->res, stmt->row, col);
    Oid type = PQftype(stmt->res, col);
    if (type == PG_OID_BOOL) {
        *len = 1;
        return value[0] == 't' ? "1" : "0";
    }
    if (type == PG_OID_BYTEA) {
        if (!stmt->decoded[col]) {
            size_t n = 0;
            stmt->decoded[col] = PQunescapeBytea((const unsigned char *)value, &n);
            if (!stmt->decoded[col])
                return NULL;
            stmt->decoded_len[col] = n;
        }
        *len = stmt->decoded_len[col];
        return (const char *)stmt->decoded[col];
    }
    *len = (size_t)PQgetlength(stmt->res, stmt->row, col);
    return value;
}

static int64_t pg_changes(bf_stmt *base)
{
    return ((pg_stmt *)base)->changes;
}

static void pg_reset(bf_stmt *base)
{
    pg_stmt *stmt = (pg_stmt *)base;
    result_clear(stmt);
    for (int i = 0; i < stmt->nparams; i++)
        stmt->params[i].kind = PARAM_NULL;
}

static void pg_finalize(bf_stmt *base)
{
    pg_stmt *stmt = (pg_stmt *)base;
    pg_store *store = (pg_store *)base->store;
    result_clear(stmt);
    if (stmt->name[0] && stmt->generation == store->generation && store->npending < DEALLOC_MAX)
        memcpy(store->pending[store->npending++], stmt->name, NAME_SIZE);
    pg_stmt_free(stmt);
}

/* ---- transactions -------------------------------------------------------- */

static bf_status pg_begin(bf_store *base, bf_error *err)
{
    pg_store *store = (pg_store *)base;
    bf_status rc = pg_ready(store, err);
    if (rc)
        return rc;
    const char *sql = store->serializable ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN";
    PGresult *res = PQexec(store->conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQstatus(store->conn) != CONNECTION_OK) {
        /* The connection had dropped while idle. Nothing was open on it, so
         * once it is back a BEGIN is safe to send again. */
        PQclear(res);
        res = NULL;
        rc = pg_connection_lost(store, err);
        if (PQstatus(store->conn) != CONNECTION_OK)
            return rc;
        bf_error_clear(err);
        rc = BF_OK;
        res = PQexec(store->conn, sql);
    }
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = pg_error(store, res, err);
    } else {
        store->in_tx = true;
        store->tx_serial++;
    }
    PQclear(res);
    return rc;
}

static bf_status pg_commit(bf_store *base, bf_error *err)
{
    pg_store *store = (pg_store *)base;
    /* A sending still running may yet fail, or lose the connection. */
    bf_status sent = pg_collect(store, err);
    bool lost = store->tx_lost;
    store->in_tx = false;
    store->tx_lost = false;
    if (lost) {
        pg_drop_stages(store);
        return bf_error_set(err, BF_ERR_UNAVAILABLE,
                            "数据库连接中断，当前事务已失效，请重新执行操作");
    }
    bf_status flushed = sent ? sent : pg_flush_stages(store, false, err);
    if (flushed) {
        pg_drop_stages(store);
        pg_collect(store, NULL);
        PQclear(PQexec(store->conn, "ROLLBACK"));
        return flushed;
    }
    PGresult *res = PQexec(store->conn, "COMMIT");
    bf_status rc = BF_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = pg_error(store, res, err);
    else if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
        /* A statement of the transaction had failed: the server rolled back. */
        rc = bf_error_set(err, BF_ERR_DB, "事务中有语句执行失败，整个事务已回滚");
    PQclear(res);
    return rc;
}

static bf_status pg_rollback(bf_store *base)
{
    pg_store *store = (pg_store *)base;
    pg_collect(store, NULL); /* its error, if any, is rolled back with the rest */
    pg_drop_stages(store);
    bool lost = store->tx_lost;
    store->in_tx = false;
    store->tx_lost = false;
    if (lost || PQstatus(store->conn) != CONNECTION_OK)
        return BF_OK; /* the server has rolled back with the connection */
    PGresult *res = PQexec(store->conn, "ROLLBACK");
    bf_status rc = PQresultStatus(res) == PGRES_COMMAND_OK ? BF_OK : BF_ERR_DB;
    PQclear(res);
    if (PQstatus(store->conn) != CONNECTION_OK)
        rc = BF_OK;
    return rc;
}

static const struct {
    const char *placeholder;
    const char *word;
} pg_words[] = {
    {"ID", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
    {"BLOB", "BYTEA"},
    /* Append-only tables: one plpgsql function the row triggers call. */
    {"REFUSE_FUNCTION",
     "CREATE OR REPLACE FUNCTION bf_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
     "BEGIN RAISE EXCEPTION 'append-only table %: % is refused', TG_TABLE_NAME, TG_OP; "
     "END $$;"},
    {"REFUSE_ROW", "FOR EACH ROW EXECUTE FUNCTION bf_refuse_change()"},
    /* The rest of the line is for PostgreSQL only. */
    {"PG_ONLY", ""},
};

static const char *pg_dialect_word(const char *placeholder)
{
    for (size_t i = 0; i < sizeof pg_words / sizeof pg_words[0]; i++)
        if (strcmp(pg_words[i].placeholder, placeholder) == 0)
            return pg_words[i].word;
    return NULL;
}

/* ---- extras (store_pg.h) ------------------------------------------------- */

void store_pg_set_serializable(bf_store *store, bool on)
{
    if (store->kind == BF_STORE_PG)
        ((pg_store *)store)->serializable = on;
}

void store_pg_set_streaming(bf_stmt *stmt, bool on)
{
    if (stmt->store->kind == BF_STORE_PG)
        ((pg_stmt *)stmt)->stream = on;
}

void store_pg_set_unstaged(bf_stmt *stmt, bool on)
{
    if (stmt->store->kind == BF_STORE_PG)
        ((pg_stmt *)stmt)->unstaged = on;
}

/* Run one command that returns no rows on a handle inside its transaction. */
static bf_status pg_command(pg_store *store, const char *sql, bf_error *err)
{
    PGresult *res = PQexec(store->conn, sql);
    bf_status rc = PQresultStatus(res) == PGRES_COMMAND_OK ? BF_OK : pg_error(store, res, err);
    PQclear(res);
    return rc;
}

bf_status store_pg_share_snapshot(bf_store *from_base, bf_store *to_base, bf_error *err)
{
    if (store_kind(from_base) != BF_STORE_PG || store_kind(to_base) != BF_STORE_PG)
        return BF_OK;
    pg_store *from = (pg_store *)from_base, *to = (pg_store *)to_base;
    if (!from->in_tx || !to->in_tx)
        return bf_error_set(err, BF_ERR_INTERNAL, "共享快照需要两个连接都已开始事务");
    static const char level[] = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    bf_status rc = pg_ready(from, err);
    if (rc == BF_OK)
        rc = pg_ready(to, err);
    if (rc == BF_OK)
        rc = pg_command(from, level, err);
    if (rc == BF_OK)
        rc = pg_command(to, level, err);
    if (rc)
        return rc;
    PGresult *res = PQexec(from->conn, "SELECT pg_export_snapshot()");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        rc = pg_error(from, res, err);
        PQclear(res);
        return rc ? rc : bf_error_set(err, BF_ERR_DB, "无法导出数据库快照");
    }
    /* SET TRANSACTION SNAPSHOT takes no parameters: the identifier is the
     * server's own (hex digits and dashes), checked before it goes into the
     * command's text. */
    const char *id = PQgetvalue(res, 0, 0);
    size_t len = strlen(id);
    bool safe = len > 0 && len < 64 && strspn(id, "0123456789ABCDEFabcdef-") == len;
    char sql[128];
    if (safe)
        snprintf(sql, sizeof sql, "SET TRANSACTION SNAPSHOT '%s'", id);
    PQclear(res);
    if (!safe)
        return bf_error_set(err, BF_ERR_DB, "数据库快照标识无法识别");
    return pg_command(to, sql, err);
}

bf_status store_pg_lock(bf_store *store, const char *key, bf_error *err)
{
    if (store->tx_depth <= 0)
        return bf_error_set(err, BF_ERR_INTERNAL, "加锁必须在事务中进行");
    if (store->kind != BF_STORE_PG)
        return BF_OK;
    /* FNV-1a: the same key gives the same 64-bit lock number in every process. */
    uint64_t hash = bf_fnv1a_str(BF_FNV1A_INIT, key);
    char number[24];
    snprintf(number, sizeof number, "%lld", (long long)(int64_t)hash);
    int64_t ignored = 0;
    return store_query_int64(store, "SELECT 1 FROM (SELECT pg_advisory_xact_lock(?)) AS l",
                             &ignored, err, 1, number);
}

/* ---- staging for batches (store_pg.h, batch.c) --------------------------- */

/* COPY's text format: the backslash escape of each byte that needs one (the
 * delimiter, line ends, the backslash itself), 0 for the rest. */
static const char copy_escape[256] = {['\\'] = '\\', ['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r'};

/* Send data (rows of st in COPY text format) on the connection and wait for
 * the outcome: the staging table emptied, the COPY, the INSERT ... SELECT.
 * Adds the rows written to *changes. Runs on the caller's thread or on the
 * sender's (sender_main), never on both at once. */
static bf_status stage_send_rows(pg_store *store, store_pg_stage *st, const bf_buf *data,
                                 int64_t *changes, bf_error *err)
{
    PGconn *conn = store->conn;
    PGresult *res = NULL;
    if (st->prepare_sql) {
        res = PQexec(conn, st->prepare_sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            goto fail;
        PQclear(res);
    }
    res = PQexec(conn, st->copy_sql);
    if (PQresultStatus(res) != PGRES_COPY_IN)
        goto fail;
    PQclear(res);
    res = NULL;
    /* Whole chunks, so libpq need not buffer the whole of it at once. */
    for (size_t off = 0; off < data->len;) {
        size_t n = data->len - off < 1024 * 1024 ? data->len - off : 1024 * 1024;
        if (PQputCopyData(conn, data->data + off, (int)n) != 1)
            break;
        off += n;
    }
    if (PQputCopyEnd(conn, NULL) == 1) {
        res = PQgetResult(conn);
        PGresult *extra;
        while ((extra = PQgetResult(conn)) != NULL)
            PQclear(extra);
    }
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        goto fail;
    if (st->merge_sql) { /* copied into the staging table: now into the table */
        PQclear(res);
        res = PQexec(conn, st->merge_sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            goto fail;
    }
    *changes += atoll(PQcmdTuples(res));
    PQclear(res);
    return BF_OK;
fail:;
    bf_status rc = pg_error(store, res, err);
    PQclear(res);
    return rc;
}

static void *sender_main(void *data)
{
    pg_store *store = data;
    store->sent_changes = 0;
    store->sent_rc = stage_send_rows(store, store->merging, &store->sending, &store->sent_changes,
                                     &store->sent_err);
    return NULL;
}

/* Send st's pending rows, on a connection with nothing running (collected
 * first). With async, a sender thread sends them while the caller goes on
 * (pg_collect waits for it and reports its error); without, or when no
 * thread can be started, they are sent here and waited for. Either way a
 * failure reads "批量写入失败：" and the server's message. */
static bf_status stage_send(store_pg_stage *st, bool async, bf_error *err)
{
    pg_store *store = st->store;
    if (async) {
        /* The stage keeps filling the buffer the last sending emptied. */
        bf_buf rows = st->data;
        st->data = store->sending;
        store->sending = rows;
        store->merging = st;
        bf_error_clear(&store->sent_err);
        if (pthread_create(&store->sender, NULL, sender_main, store) == 0) {
            st->rows = 0;
            return BF_OK;
        }
        store->merging = NULL;
        store->sending = st->data;
        st->data = rows;
    }
    bf_error why;
    bf_error_clear(&why);
    bf_status rc = stage_send_rows(store, st, &st->data, &st->changes, &why);
    bf_buf_reset(&st->data);
    st->rows = 0;
    if (rc)
        bf_error_set(err, rc, "批量写入失败：%s", why.msg);
    return rc;
}

/* Wait for what was left running on the connection, if anything: a sending
 * (its status, and its message in err unless err is NULL) or a read-ahead. */
static bf_status pg_collect(pg_store *store, bf_error *err)
{
    pg_stmt *reader = store->fetching;
    if (reader) {
        /* A read-ahead: its result, failed or not, waits for its statement
         * (a failure has aborted the transaction: the next statement says so). */
        store->fetching = NULL;
        PGresult *res = PQgetResult(store->conn), *extra;
        while ((extra = PQgetResult(store->conn)) != NULL)
            PQclear(extra);
        PQclear(reader->ahead);
        reader->ahead = res;
        return BF_OK;
    }
    store_pg_stage *st = store->merging;
    if (!st)
        return BF_OK;
    pthread_join(store->sender, NULL);
    store->merging = NULL;
    bf_buf_reset(&store->sending);
    st->changes += store->sent_changes;
    if (store->sent_rc && err)
        bf_error_set(err, store->sent_rc, "批量写入失败：%s", store->sent_err.msg);
    return store->sent_rc;
}

/* Send every stage's pending rows; with async, the last INSERT ... SELECT is
 * left running (pg_collect waits for it), else every one is waited for. */
static bf_status pg_flush_stages(pg_store *store, bool async, bf_error *err)
{
    if (store->flushing)
        return BF_OK;
    bf_status rc = BF_OK;
    store->flushing = true;
    for (int i = 0; i < store->nstages && rc == BF_OK; i++) {
        store_pg_stage *st = store->stages[i];
        if (st->rows == 0)
            continue;
        /* A sending still running owns the connection: wait for it first. */
        rc = pg_collect(store, err);
        if (rc)
            break;
        if (store->tx_lost || PQstatus(store->conn) != CONNECTION_OK) {
            rc = pg_ready(store, err);
            if (rc)
                break;
        }
        rc = stage_send(st, async, err);
    }
    store->flushing = false;
    if (rc == BF_OK && !async)
        rc = pg_collect(store, err);
    if (rc)
        pg_drop_stages(store);
    return rc;
}

static void pg_drop_stages(pg_store *store)
{
    for (int i = 0; i < store->nstages; i++) {
        bf_buf_reset(&store->stages[i]->data);
        store->stages[i]->rows = 0;
    }
}

bf_status store_pg_stage_new(bf_store *base, const store_batch_insert *insert, store_pg_stage **out,
                             bf_error *err)
{
    *out = NULL;
    if (base->kind != BF_STORE_PG)
        return bf_error_set(err, BF_ERR_INTERNAL, "批量写入暂存区仅用于 PostgreSQL");
    pg_store *store = (pg_store *)base;
    if (store->nstages >= MAX_STAGES)
        return bf_error_set(err, BF_ERR_TOO_LARGE, "同时进行的批量写入过多");
    store_pg_stage *st = calloc(1, sizeof *st);
    bool *bytea = calloc((size_t)insert->ncols, sizeof *bytea);
    if (!st || !bytea) {
        free(st);
        free(bytea);
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    st->store = store;
    st->ncols = insert->ncols;
    st->bytea = bytea;
    bf_buf_init(&st->data, STORE_PG_STAGE_BYTES * 2);
    snprintf(st->name, sizeof st->name, "bf_stage_%lu", ++store->next_name);
    bf_buf cols, sql;
    bf_buf_init(&cols, 64 * 1024);
    bf_buf_init(&sql, 128 * 1024);
    bf_status rc = BF_OK;
    for (int i = 0; i < insert->ncols && rc == BF_OK; i++)
        rc = bf_buf_printf(&cols, "%s\"%s\"", i ? ", " : "", insert->cols[i]);
    /* A plain INSERT (nothing after its VALUES) needs no staging table: its
     * rows are copied straight into the table. */
    const char *rest = insert->rest;
    while (rest && (*rest == ' ' || *rest == '\t' || *rest == '\n' || *rest == '\r'))
        rest++;
    bool direct = !rest || *rest == '\0' || strcmp(rest, ";") == 0;
    if (direct) {
        if (rc == BF_OK)
            rc = bf_buf_printf(&sql, "COPY \"%s\" (%s) FROM STDIN", insert->table, cols.data);
        if (rc == BF_OK && !(st->copy_sql = bf_buf_detach(&sql)))
            rc = BF_ERR_NOMEM;
    }
    if (rc == BF_OK && !direct)
        rc = bf_buf_printf(&sql,
                           "CREATE TEMP TABLE IF NOT EXISTS %s AS SELECT %s FROM \"%s\" WITH NO "
                           "DATA; TRUNCATE %s",
                           st->name, cols.data, insert->table, st->name);
    if (rc == BF_OK && !direct && !(st->prepare_sql = bf_buf_detach(&sql)))
        rc = BF_ERR_NOMEM;
    if (rc == BF_OK && !direct)
        rc = bf_buf_printf(&sql, "COPY %s (%s) FROM STDIN", st->name, cols.data);
    if (rc == BF_OK && !direct && !(st->copy_sql = bf_buf_detach(&sql)))
        rc = BF_ERR_NOMEM;
    if (rc == BF_OK && !direct)
        rc = bf_buf_printf(&sql, "INSERT INTO \"%s\" (%s) SELECT %s FROM %s WHERE true %s",
                           insert->table, cols.data, cols.data, st->name, insert->rest);
    if (rc == BF_OK && !direct && !(st->merge_sql = bf_buf_detach(&sql)))
        rc = BF_ERR_NOMEM;
    bf_buf_free(&cols);
    bf_buf_free(&sql);
    if (rc) {
        store_pg_stage_free(st);
        return bf_error_set(err, rc, "内存不足");
    }
    /* Which columns are BYTEA (COPY's text format wants those in hex). */
    char table[STORE_BATCH_NAME_MAX + 3];
    snprintf(table, sizeof table, "\"%s\"", insert->table);
    bf_stmt *stmt = NULL;
    rc = store_prepare(base,
                       "SELECT a.attname, CASE WHEN a.atttypid = 'bytea'::regtype THEN 1 ELSE 0 "
                       "END FROM pg_attribute a WHERE a.attrelid = ?::regclass AND a.attnum > 0 "
                       "AND NOT a.attisdropped",
                       &stmt, err);
    if (rc == BF_OK) {
        store_bind_str(stmt, 1, table);
        bool has_row = false;
        while ((rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
            const char *name = store_column_text(stmt, 0, NULL);
            for (int i = 0; i < insert->ncols; i++)
                if (strcmp(insert->cols[i], name) == 0)
                    st->bytea[i] = store_column_int64(stmt, 1) != 0;
        }
        store_finalize(stmt);
    }
    if (rc) {
        store_pg_stage_free(st);
        return rc;
    }
    store->stages[store->nstages++] = st;
    *out = st;
    return BF_OK;
}

bf_status store_pg_stage_row(store_pg_stage *st, const char *const *values, const size_t *lens,
                             bf_error *err)
{
    if (!st->store)
        return bf_error_set(err, BF_ERR_INTERNAL, "数据库连接已关闭");
    /* The most the row can take once encoded: \N for NULL, BYTEA as \\x and
     * two hex digits a byte, text with every byte escaped; a tab or the line
     * end after each value. Room is made once, and the row written straight
     * into it. */
    size_t need = (size_t)st->ncols;
    for (int i = 0; i < st->ncols; i++) {
        if (values[i] && lens[i] > STORE_PG_STAGE_BYTES * 2)
            return bf_error_set(err, BF_ERR_TOO_LARGE, "一行数据过大");
        need += !values[i] ? 2 : st->bytea[i] ? 3 + 2 * lens[i] : 2 * lens[i];
    }
    bf_status rc = bf_buf_reserve(&st->data, need);
    if (rc)
        return bf_error_set(err, rc, rc == BF_ERR_NOMEM ? "内存不足" : "一行数据过大");
    static const char hex[] = "0123456789abcdef";
    char *out = st->data.data + st->data.len;
    for (int i = 0; i < st->ncols; i++) {
        if (i)
            *out++ = '\t';
        const unsigned char *value = (const unsigned char *)values[i];
        size_t len = lens[i];
        if (!value) {
            *out++ = '\\';
            *out++ = 'N';
        } else if (st->bytea[i]) {
            *out++ = '\\';
            *out++ = '\\';
            *out++ = 'x';
            for (size_t k = 0; k < len; k++) {
                *out++ = hex[value[k] >> 4];
                *out++ = hex[value[k] & 15];
            }
        } else {
            size_t plain = 0; /* start of the bytes not yet written */
            for (size_t k = 0; k < len; k++) {
                char escape = copy_escape[value[k]];
                if (!escape)
                    continue;
                memcpy(out, value + plain, k - plain);
                out += k - plain;
                *out++ = '\\';
                *out++ = escape;
                plain = k + 1;
            }
            memcpy(out, value + plain, len - plain);
            out += len - plain;
        }
    }
    *out++ = '\n';
    *out = '\0';
    st->data.len = (size_t)(out - st->data.data);
    st->rows++;
    if (st->rows >= STORE_PG_STAGE_ROWS || st->data.len >= STORE_PG_STAGE_BYTES)
        return pg_flush_stages(st->store, true, err);
    return BF_OK;
}

bf_status store_pg_stage_flush(store_pg_stage *st, bf_error *err)
{
    if (!st->store)
        return bf_error_set(err, BF_ERR_INTERNAL, "数据库连接已关闭");
    return pg_flush_stages(st->store, false, err);
}

int64_t store_pg_stage_changes(const store_pg_stage *st)
{
    /* A sending still running on the server is counted once collected. */
    if (st->store && st->store->merging == st)
        pg_collect(st->store, NULL);
    return st->changes;
}

void store_pg_stage_free(store_pg_stage *st)
{
    if (!st)
        return;
    pg_store *store = st->store;
    if (store)
        pg_collect(store, NULL);
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
    /* Drop the staging table where that cannot disturb a transaction: a
     * pooled connection lives long and would collect them. */
    if (store && st->prepare_sql && PQstatus(store->conn) == CONNECTION_OK &&
        (PQtransactionStatus(store->conn) == PQTRANS_IDLE ||
         PQtransactionStatus(store->conn) == PQTRANS_INTRANS)) {
        char sql[NAME_SIZE + 32];
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS pg_temp.%s", st->name);
        PQclear(PQexec(store->conn, sql));
    }
    bf_buf_free(&st->data);
    free(st->prepare_sql);
    free(st->copy_sql);
    free(st->merge_sql);
    free(st->bytea);
    free(st);
}

const bf_store_ops store_pg_ops = {
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .bind_int64 = pg_bind_int64,
    .bind_text = pg_bind_text,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .column_count = pg_column_count,
    .column_is_null = pg_column_is_null,
    .column_int64 = pg_column_int64,
    .column_text = pg_column_text,
    .changes = pg_changes,
    .reset = pg_reset,
    .finalize = pg_finalize,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .dialect_word = pg_dialect_word,
    /* In the order to create them again: primary key and unique constraints
     * no foreign key refers to (pg_constraint.conindid of a foreign key names
     * the index it refers to), indexes that back no constraint, then the
     * table's own foreign keys. */
    .indexes_sql =
        "WITH t AS (SELECT to_regclass(?) AS oid) "
        "SELECT name, drop_sql, create_sql FROM ("
        " SELECT 1 AS rank, c.conname::text AS name,"
        "  'ALTER TABLE ' || c.conrelid::regclass || ' DROP CONSTRAINT ' || quote_ident(c.conname)"
        "   AS drop_sql,"
        "  'ALTER TABLE ' || c.conrelid::regclass || ' ADD CONSTRAINT ' || quote_ident(c.conname)"
        "   || ' ' || pg_get_constraintdef(c.oid) AS create_sql"
        " FROM pg_constraint c, t WHERE c.conrelid = t.oid AND c.contype IN ('p', 'u')"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint f"
        "  WHERE f.contype = 'f' AND f.conindid = c.conindid)"
        " UNION ALL"
        " SELECT 2, i.relname::text, 'DROP INDEX ' || i.oid::regclass, pg_get_indexdef(i.oid)"
        " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid, t"
        " WHERE x.indrelid = t.oid"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)"
        " UNION ALL"
        " SELECT 3, c.conname::text,"
        "  'ALTER TABLE ' || c.conrelid::regclass || ' DROP CONSTRAINT ' || quote_ident(c.conname),"
        "  'ALTER TABLE ' || c.conrelid::regclass || ' ADD CONSTRAINT ' || quote_ident(c.conname)"
        "   || ' ' || pg_get_constraintdef(c.oid)"
        " FROM pg_constraint c, t WHERE c.conrelid = t.oid AND c.contype = 'f'"
        ") AS d ORDER BY rank, name",
    /* Other writers wait until the import ends (DROP INDEX then takes the
     * table for itself: readers wait too). */
    .lock_sql = "LOCK TABLE {TABLE} IN EXCLUSIVE MODE",
    /* A bigger sort for CREATE INDEX, and the server's parallel workers. */
    .rebuild_sql = "SET LOCAL maintenance_work_mem = '1GB'; "
                   "SET LOCAL max_parallel_maintenance_workers = 2",
};
