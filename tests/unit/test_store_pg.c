/*
 * test_store_pg.c - the PostgreSQL backend: rewriting portable SQL (always),
 * the storage semantics both backends must share (on the backend under test),
 * and what only PostgreSQL has (with BF_TEST_BACKEND=pg; skipped otherwise):
 * reconnecting after the server drops the connection, serialisable
 * transactions, advisory locks, streaming through a cursor, error mapping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"
#include "store/store.h"
#include "store/batch.h"
#include "store/store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool backend_is_pg(void)
{
    const char *backend = getenv("BF_TEST_BACKEND");
    return backend && strcmp(backend, "pg") == 0;
}

/* A fresh database on the backend under test, opened. */
/* ---- rewriting (no server needed) ---------------------------------------- */

static void expect_rewrite(const char *sql, const char *expected, int expected_params)
{
    bf_buf out;
    bf_buf_init(&out, STORE_PG_MAX_SQL);
    bf_error err;
    bf_error_clear(&err);
    int nparams = -1;
    assert_int_equal(store_pg_rewrite(sql, &out, &nparams, &err), BF_OK);
    assert_string_equal(out.data ? out.data : "", expected);
    assert_int_equal(nparams, expected_params);
    bf_buf_free(&out);
}

static void expect_rewrite_fails(const char *sql, bf_status expected)
{
    bf_buf out;
    bf_buf_init(&out, STORE_PG_MAX_SQL);
    bf_error err;
    bf_error_clear(&err);
    int nparams = -1;
    assert_int_equal(store_pg_rewrite(sql, &out, &nparams, &err), expected);
    assert_true(err.msg[0] != '\0');
    bf_buf_free(&out);
}

static void test_rewrite_placeholders(void **state)
{
    (void)state;
    expect_rewrite("", "", 0);
    expect_rewrite("SELECT 1", "SELECT 1", 0);
    expect_rewrite("SELECT * FROM t WHERE a = ? AND b = ?",
                   "SELECT * FROM t WHERE a = $1 AND b = $2", 2);
    expect_rewrite("INSERT INTO t VALUES (?,?,?)", "INSERT INTO t VALUES ($1,$2,$3)", 3);
    /* Not inside literals, quoted identifiers or comments. */
    expect_rewrite("SELECT '?', \"a?\", ? -- why?\n, ? /* what? */",
                   "SELECT '?', \"a?\", $1 -- why?\n, $2 /* what? */", 2);
    expect_rewrite("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1", 1);
    expect_rewrite("SELECT \"a\"\"?\", ?", "SELECT \"a\"\"?\", $1", 1);
    expect_rewrite("/* a /* nested ? */ still ? */ ?", "/* a /* nested ? */ still ? */ $1", 1);
    /* Numbered placeholders, and a plain one after them continues from the highest. */
    expect_rewrite("SELECT ?2, ?1, ?", "SELECT $2, $1, $3", 3);
    /* IS [NOT] NULL alone cannot tell PostgreSQL the type: cast to text. */
    expect_rewrite("WHERE (? IS NULL OR code = ?)", "WHERE ($1::text IS NULL OR code = $2)", 2);
    expect_rewrite("WHERE ?\n is  not\tnull", "WHERE $1::text\n is  not\tnull", 1);
    expect_rewrite("WHERE ? ISNULL", "WHERE $1 ISNULL", 1);
    expect_rewrite("WHERE ? IS NULLS", "WHERE $1 IS NULLS", 1);
    expect_rewrite("WHERE ? IS DISTINCT FROM x", "WHERE $1 IS DISTINCT FROM x", 1);
    /* UTF-8 passes through untouched. */
    expect_rewrite("SELECT '江西？', ?", "SELECT '江西？', $1", 1);
}

static void test_rewrite_malformed(void **state)
{
    (void)state;
    expect_rewrite_fails("SELECT 'open", BF_ERR_PARSE);
    expect_rewrite_fails("SELECT \"open", BF_ERR_PARSE);
    expect_rewrite_fails("SELECT 1 /* open", BF_ERR_PARSE);
    expect_rewrite_fails("SELECT 1 /* /* */", BF_ERR_PARSE);
    expect_rewrite_fails("SELECT ?0", BF_ERR_PARSE);
    expect_rewrite_fails("SELECT ?65536", BF_ERR_PARSE);
    expect_rewrite_fails("SELECT ?99999999999999999999", BF_ERR_PARSE);
    /* Comments nested past the cap. */
    char deep[400] = "";
    for (int i = 0; i < 70; i++)
        strcat(deep, "/*");
    expect_rewrite_fails(deep, BF_ERR_PARSE);
    /* More placeholders than the protocol allows. */
    size_t n = STORE_PG_MAX_PARAMS + 2;
    char *many = malloc(n + 1);
    assert_non_null(many);
    memset(many, '?', n);
    many[n] = '\0';
    expect_rewrite_fails(many, BF_ERR_TOO_LARGE);
    free(many);
    /* A line comment may end the text. */
    expect_rewrite("SELECT ? -- end", "SELECT $1 -- end", 1);
}

/* ---- semantics both backends share --------------------------------------- */

static void test_values_round_trip(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE TABLE t (k BIGINT PRIMARY KEY, s TEXT, b %s, n BIGINT)",
             store->ops->dialect_word("BLOB"));
    bf_test_exec(store, sql);
    bf_error err;
    bf_error_clear(&err);
    bf_stmt *stmt = NULL;
    assert_int_equal(
        store_prepare(store, "INSERT INTO t (k, s, b, n) VALUES (?, ?, ?, ?)", &stmt, &err), BF_OK);
    static const char bytes[] = {'a', 0, '\\', 'x', '4', '1', (char)0xff, '\''};
    /* Row 1: Chinese text, bytes with NUL/backslash/invalid UTF-8, int64 extremes. */
    store_bind_int64(stmt, 1, 1);
    store_bind_str(stmt, 2, "江西省 \\ 'x' \"y\"");
    store_bind_text(stmt, 3, bytes, sizeof bytes);
    store_bind_int64(stmt, 4, INT64_MIN);
    assert_int_equal(store_step_done(stmt, &err), BF_OK);
    assert_int_equal(store_changes(stmt), 1);
    /* Row 2 through the same statement (on PostgreSQL: now prepared by name);
     * a number given as text lands in a BIGINT column. */
    store_reset(stmt);
    store_bind_str(stmt, 1, "2");
    store_bind_str(stmt, 2, "");
    store_bind_null(stmt, 3);
    store_bind_int64(stmt, 4, INT64_MAX);
    assert_int_equal(store_step_done(stmt, &err), BF_OK);
    /* Row 3: after a reset nothing stays bound: s, b and n are NULL. */
    store_reset(stmt);
    store_bind_int64(stmt, 1, 3);
    assert_int_equal(store_step_done(stmt, &err), BF_OK);
    store_finalize(stmt);

    assert_int_equal(
        store_prepare(store, "SELECT k, s, b, n, n > 0, s IS NULL FROM t ORDER BY k", &stmt, &err),
        BF_OK);
    bool has_row = false;
    size_t len = 0;
    assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
    assert_true(has_row);
    assert_int_equal(store_column_count(stmt), 6);
    assert_int_equal(store_column_int64(stmt, 0), 1);
    assert_string_equal(store_column_text(stmt, 1, NULL), "江西省 \\ 'x' \"y\"");
    const char *b = store_column_text(stmt, 2, &len);
    assert_int_equal(len, sizeof bytes);
    assert_memory_equal(b, bytes, sizeof bytes);
    assert_int_equal(store_column_int64(stmt, 3), INT64_MIN);
    /* Booleans read as 0/1 on both. */
    assert_int_equal(store_column_int64(stmt, 4), 0);
    assert_string_equal(store_column_text(stmt, 4, NULL), "0");
    assert_int_equal(store_column_int64(stmt, 5), 0);
    assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
    assert_true(has_row);
    assert_string_equal(store_column_text(stmt, 0, NULL), "2");
    assert_false(store_column_is_null(stmt, 1));
    assert_string_equal(store_column_text(stmt, 1, &len), "");
    assert_int_equal(len, 0);
    assert_true(store_column_is_null(stmt, 2));
    assert_int_equal(store_column_int64(stmt, 3), INT64_MAX);
    assert_string_equal(store_column_text(stmt, 4, NULL), "1");
    assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
    assert_true(has_row);
    assert_true(store_column_is_null(stmt, 1));
    assert_true(store_column_is_null(stmt, 3));
    assert_string_equal(store_column_text(stmt, 3, NULL), "");
    assert_int_equal(store_column_int64(stmt, 3), 0);
    assert_int_equal(store_column_int64(stmt, 5), 1);
    assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
    assert_false(has_row);
    /* Stepping again runs the statement again, as SQLite does. */
    assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
    assert_true(has_row);
    assert_int_equal(store_column_int64(stmt, 0), 1);
    store_finalize(stmt);

    /* A parameter that is only tested with IS NULL, and an UPDATE's count. */
    assert_int_equal(
        store_prepare(store, "UPDATE t SET n = 7 WHERE (? IS NULL OR k = ?)", &stmt, &err), BF_OK);
    store_bind_null(stmt, 1);
    store_bind_int64(stmt, 2, 99);
    assert_int_equal(store_step_done(stmt, &err), BF_OK);
    assert_int_equal(store_changes(stmt), 3);
    store_reset(stmt);
    store_bind_str(stmt, 1, "x");
    store_bind_int64(stmt, 2, 2);
    assert_int_equal(store_step_done(stmt, &err), BF_OK);
    assert_int_equal(store_changes(stmt), 1);
    store_finalize(stmt);
    /* Sums of BIGINT read back as integers (NUMERIC on PostgreSQL). */
    assert_int_equal(bf_test_query_int(store, "SELECT SUM(n) FROM t"), 21);
    store_close(store);
}

static void test_errors_map_to_statuses(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    bf_test_exec(store,
                 "INSERT INTO regions (code, name, level) VALUES ('360000000000', '江西省', 1)");
    /* Unique violation: a conflict, with a Chinese message. */
    assert_int_equal(store_exec(store,
                                "INSERT INTO regions (code, name, level) "
                                "VALUES ('360000000000', '又一个', 1)",
                                &err),
                     BF_ERR_CONFLICT);
    assert_true(err.msg[0] != '\0');
    if (backend_is_pg())
        assert_non_null(strstr(err.msg, "数据约束冲突"));
    /* Bad SQL: a database error, reported at prepare or at step. */
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(store, "SELECT no_such_column FROM regions", &stmt, &err);
    if (rc == BF_OK) {
        bool has_row;
        rc = store_step(stmt, &has_row, &err);
        store_finalize(stmt);
    }
    assert_int_equal(rc, BF_ERR_DB);
    assert_non_null(strstr(err.msg, "数据库错误"));
    /* Inside a transaction, after a failed statement, commit must not report
     * success for the rows written before it unless they are really there. */
    assert_int_equal(store_begin(store, &err), BF_OK);
    bf_test_exec(store,
                 "INSERT INTO regions (code, name, level) VALUES ('360100000000', '南昌市', 2)");
    assert_int_equal(store_exec(store,
                                "INSERT INTO regions (code, name, level) "
                                "VALUES ('360000000000', 'dup', 1)",
                                &err),
                     BF_ERR_CONFLICT);
    rc = store_commit(store, &err);
    int64_t n =
        bf_test_query_int(store, "SELECT COUNT(*) FROM regions WHERE code = '360100000000'");
    /* SQLite keeps the transaction going after a failed statement; PostgreSQL
     * aborts it, and the commit says so. Either way the answer is truthful. */
    if (backend_is_pg()) {
        assert_int_equal(rc, BF_ERR_DB);
        assert_int_equal(n, 0);
    } else {
        assert_int_equal(rc, BF_OK);
        assert_int_equal(n, 1);
    }
    store_close(store);
}

static void test_lock_and_serializable_are_portable(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    /* Outside a transaction a lock is a bug on every backend. */
    assert_int_equal(store_pg_lock(store, "audit", &err), BF_ERR_INTERNAL);
    store_pg_set_serializable(store, true);
    assert_int_equal(store_begin(store, &err), BF_OK);
    assert_int_equal(store_pg_lock(store, "audit", &err), BF_OK);
    assert_int_equal(store_pg_lock(store, "audit", &err), BF_OK); /* re-entrant */
    bf_test_exec(store,
                 "INSERT INTO regions (code, name, level) VALUES ('360000000000', '江西省', 1)");
    assert_int_equal(store_commit(store, &err), BF_OK);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM regions"), 1);
    /* Streaming is harmless everywhere. */
    bf_stmt *stmt = NULL;
    assert_int_equal(store_begin(store, &err), BF_OK);
    assert_int_equal(store_prepare(store, "SELECT code FROM regions", &stmt, &err), BF_OK);
    store_pg_set_streaming(stmt, true);
    bool has_row = false;
    assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
    assert_true(has_row);
    assert_string_equal(store_column_text(stmt, 0, NULL), "360000000000");
    assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
    assert_false(has_row);
    store_finalize(stmt);
    assert_int_equal(store_commit(store, &err), BF_OK);
    /* Sharing a snapshot with itself: nothing to do on SQLite. */
    if (!backend_is_pg())
        assert_int_equal(store_pg_share_snapshot(store, store, &err), BF_OK);
    store_close(store);
}

/* ---- PostgreSQL only ------------------------------------------------------ */

#define SKIP_UNLESS_PG()                                                                           \
    do {                                                                                           \
        if (!backend_is_pg())                                                                      \
            skip();                                                                                \
    } while (0)

/* Have a second connection terminate store's server process. */
static void terminate_backend_of(bf_store *store, const char *target)
{
    int64_t pid = bf_test_query_int(store, "SELECT pg_backend_pid()");
    bf_store *killer = bf_test_db_open(target);
    char pid_text[24];
    snprintf(pid_text, sizeof pid_text, "%lld", (long long)pid);
    bf_error err;
    bf_error_clear(&err);
    int64_t ok = 0;
    assert_int_equal(store_query_int64(killer,
                                       "SELECT CASE WHEN pg_terminate_backend(?) THEN 1 "
                                       "ELSE 0 END",
                                       &ok, &err, 1, pid_text),
                     BF_OK);
    assert_int_equal(ok, 1);
    /* Wait until the process is gone, so the next statement surely meets a
     * closed connection. */
    for (int i = 0; i < 200; i++) {
        int64_t alive = 1;
        assert_int_equal(store_query_int64(killer,
                                           "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ?",
                                           &alive, &err, 1, pid_text),
                         BF_OK);
        if (alive == 0)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    store_close(killer);
}

static void test_lost_connection_outside_transaction(void **state)
{
    (void)state;
    SKIP_UNLESS_PG();
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    /* A statement run twice is prepared by name; the name dies with the connection. */
    bf_stmt *stmt = NULL;
    assert_int_equal(
        store_prepare(store, "SELECT COUNT(*) FROM regions WHERE level = ?", &stmt, &err), BF_OK);
    bool has_row = false;
    for (int i = 0; i < 2; i++) {
        store_reset(stmt);
        store_bind_int64(stmt, 1, 1);
        assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
        assert_true(has_row);
    }
    store_reset(stmt);
    terminate_backend_of(store, target);
    /* The next statement fails as unavailable (the caller may retry) or, had the
     * loss been noticed before sending, succeeds; it never crashes. */
    store_bind_int64(stmt, 1, 1);
    bf_status rc = store_step(stmt, &has_row, &err);
    assert_true(rc == BF_OK || rc == BF_ERR_UNAVAILABLE);
    if (rc)
        assert_non_null(strstr(err.msg, "连接"));
    /* Then everything works again, including the prepared statement. */
    store_reset(stmt);
    store_bind_int64(stmt, 1, 1);
    assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
    assert_true(has_row);
    assert_int_equal(store_column_int64(stmt, 0), 0);
    store_finalize(stmt);
    bf_test_exec(store,
                 "INSERT INTO regions (code, name, level) VALUES ('360000000000', '江西省', 1)");
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM regions"), 1);
    /* A transaction begun on a connection that dropped while idle just works:
     * BEGIN is safe to send again. */
    terminate_backend_of(store, target);
    assert_int_equal(store_begin(store, &err), BF_OK);
    bf_test_exec(store,
                 "INSERT INTO regions (code, name, level) VALUES ('360100000000', '南昌市', 2)");
    assert_int_equal(store_commit(store, &err), BF_OK);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM regions"), 2);
    store_close(store);
}

static void test_lost_connection_inside_transaction(void **state)
{
    (void)state;
    SKIP_UNLESS_PG();
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(store_begin(store, &err), BF_OK);
    bf_test_exec(store,
                 "INSERT INTO regions (code, name, level) VALUES ('360000000000', '江西省', 1)");
    terminate_backend_of(store, target);
    /* The write in flight fails; nothing may now run outside the lost
     * transaction as if it were still open. */
    assert_int_equal(store_exec(store,
                                "INSERT INTO regions (code, name, level) "
                                "VALUES ('360100000000', '南昌市', 2)",
                                &err),
                     BF_ERR_UNAVAILABLE);
    assert_int_equal(store_exec(store,
                                "INSERT INTO regions (code, name, level) "
                                "VALUES ('360200000000', '景德镇市', 2)",
                                &err),
                     BF_ERR_UNAVAILABLE);
    /* Commit reports the loss; nothing of the transaction is there. */
    assert_int_equal(store_commit(store, &err), BF_ERR_UNAVAILABLE);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM regions"), 0);
    /* The same with a rollback, and the handle is whole afterwards. */
    assert_int_equal(store_begin(store, &err), BF_OK);
    bf_test_exec(store,
                 "INSERT INTO regions (code, name, level) VALUES ('360000000000', '江西省', 1)");
    terminate_backend_of(store, target);
    int64_t n = 0;
    assert_int_equal(store_query_int64(store, "SELECT COUNT(*) FROM regions", &n, &err, 0),
                     BF_ERR_UNAVAILABLE);
    assert_int_equal(store_rollback(store), BF_OK);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM regions"), 0);
    assert_int_equal(store_begin(store, &err), BF_OK);
    bf_test_exec(store,
                 "INSERT INTO regions (code, name, level) VALUES ('360000000000', '江西省', 1)");
    assert_int_equal(store_commit(store, &err), BF_OK);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM regions"), 1);
    store_close(store);
}

static void test_serializable_conflict(void **state)
{
    (void)state;
    SKIP_UNLESS_PG();
    char target[4096];
    bf_store *a = bf_test_db_fresh(target, sizeof target);
    bf_store *b = bf_test_db_open(target);
    bf_error err;
    bf_error_clear(&err);
    store_pg_set_serializable(a, true);
    store_pg_set_serializable(b, true);
    /* Write skew: each reads what the other writes. Under SERIALIZABLE one of
     * them must fail, as a conflict the caller retries. */
    assert_int_equal(store_begin(a, &err), BF_OK);
    assert_int_equal(store_begin(b, &err), BF_OK);
    assert_int_equal(bf_test_query_int(a, "SELECT COUNT(*) FROM regions WHERE level = 2"), 0);
    assert_int_equal(bf_test_query_int(b, "SELECT COUNT(*) FROM regions WHERE level = 1"), 0);
    bf_test_exec(a, "INSERT INTO regions (code, name, level) VALUES ('360000000000', '江西省', 1)");
    bf_status rb = store_exec(b,
                              "INSERT INTO regions (code, name, level) "
                              "VALUES ('360100000000', '南昌市', 2)",
                              &err);
    bf_status ra = store_commit(a, &err);
    if (rb == BF_OK)
        rb = store_commit(b, &err);
    else
        store_rollback(b);
    assert_int_equal(ra, BF_OK);
    assert_int_equal(rb, BF_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "重试"));
    /* The retry succeeds. */
    assert_int_equal(store_begin(b, &err), BF_OK);
    bf_test_exec(b, "INSERT INTO regions (code, name, level) VALUES ('360100000000', '南昌市', 2)");
    assert_int_equal(store_commit(b, &err), BF_OK);
    assert_int_equal(bf_test_query_int(a, "SELECT COUNT(*) FROM regions"), 2);
    store_close(b);
    store_close(a);
}

/* Two connections whose transactions share a snapshot read the same state:
 * what a third commits after the snapshot was taken is seen by neither, not
 * even by the one whose first query comes after that commit. Both are read
 * only. */
static void test_shared_snapshot(void **state)
{
    (void)state;
    SKIP_UNLESS_PG();
    char target[4096];
    bf_store *a = bf_test_db_fresh(target, sizeof target);
    bf_store *b = bf_test_db_open(target);
    bf_store *c = bf_test_db_open(target);
    bf_error err;
    bf_error_clear(&err);
    /* Outside a transaction: a bug. */
    assert_int_equal(store_pg_share_snapshot(a, b, &err), BF_ERR_INTERNAL);
    bf_test_exec(c, "INSERT INTO regions (code, name, level) VALUES ('360000000000', '江西省', 1)");
    assert_int_equal(store_begin(a, &err), BF_OK);
    assert_int_equal(store_begin(b, &err), BF_OK);
    assert_int_equal(store_pg_share_snapshot(a, b, &err), BF_OK);
    bf_test_exec(c, "INSERT INTO regions (code, name, level) VALUES ('360100000000', '南昌市', 2)");
    assert_int_equal(bf_test_query_int(b, "SELECT COUNT(*) FROM regions"), 1);
    assert_int_equal(bf_test_query_int(a, "SELECT COUNT(*) FROM regions"), 1);
    assert_int_not_equal(store_exec(b, "DELETE FROM regions", &err), BF_OK);
    assert_int_equal(store_rollback(b), BF_OK);
    assert_int_equal(store_commit(a, &err), BF_OK);
    /* The handles' next transactions are ordinary ones again. */
    assert_int_equal(store_begin(b, &err), BF_OK);
    bf_test_exec(b, "DELETE FROM regions WHERE level = 2");
    assert_int_equal(store_commit(b, &err), BF_OK);
    assert_int_equal(bf_test_query_int(a, "SELECT COUNT(*) FROM regions"), 1);
    store_close(c);
    store_close(b);
    store_close(a);
}

static void test_advisory_lock_held_until_commit(void **state)
{
    (void)state;
    SKIP_UNLESS_PG();
    char target[4096];
    bf_store *a = bf_test_db_fresh(target, sizeof target);
    bf_store *b = bf_test_db_open(target);
    bf_error err;
    bf_error_clear(&err);
    const char *held = "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted";
    bf_test_exec(b, "SET lock_timeout = 200");
    assert_int_equal(store_begin(a, &err), BF_OK);
    assert_int_equal(store_pg_lock(a, "audit-chain", &err), BF_OK);
    assert_int_equal(bf_test_query_int(b, held), 1);
    /* b cannot take the same lock meanwhile (it times out) ... */
    assert_int_equal(store_begin(b, &err), BF_OK);
    assert_int_not_equal(store_pg_lock(b, "audit-chain", &err), BF_OK);
    assert_int_equal(store_rollback(b), BF_OK);
    /* ... but another key is free. */
    assert_int_equal(store_begin(b, &err), BF_OK);
    assert_int_equal(store_pg_lock(b, "other", &err), BF_OK);
    assert_int_equal(store_commit(b, &err), BF_OK);
    /* The commit releases it. */
    assert_int_equal(store_commit(a, &err), BF_OK);
    assert_int_equal(bf_test_query_int(b, held), 0);
    assert_int_equal(store_begin(b, &err), BF_OK);
    assert_int_equal(store_pg_lock(b, "audit-chain", &err), BF_OK);
    assert_int_equal(store_commit(b, &err), BF_OK);
    store_close(b);
    store_close(a);
}

static void test_streaming_cursor(void **state)
{
    (void)state;
    SKIP_UNLESS_PG();
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(store_begin(store, &err), BF_OK);
    bf_stmt *stmt = NULL;
    assert_int_equal(
        store_prepare(store, "SELECT g, 'r' || g FROM generate_series(1, ?) AS g", &stmt, &err),
        BF_OK);
    store_pg_set_streaming(stmt, true);
    store_bind_int64(stmt, 1, 5001);
    int64_t rows = 0, sum = 0;
    bool has_row = false;
    while (store_step(stmt, &has_row, &err) == BF_OK && has_row) {
        rows++;
        sum += store_column_int64(stmt, 0);
        char expect[32];
        snprintf(expect, sizeof expect, "r%lld", (long long)store_column_int64(stmt, 0));
        assert_string_equal(store_column_text(stmt, 1, NULL), expect);
        /* Other statements may run between the batches. */
        if (rows % 2000 == 1)
            assert_int_equal(bf_test_query_int(store, "SELECT 1"), 1);
    }
    assert_int_equal(err.status, BF_OK);
    assert_int_equal(rows, 5001);
    assert_int_equal(sum, 5001LL * 5002 / 2);
    /* Run again: a fresh cursor, and stopping half-way closes it. */
    assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
    assert_true(has_row);
    assert_int_equal(
        bf_test_query_int(store, "SELECT COUNT(*) FROM pg_cursors WHERE name LIKE 'bfc%'"), 1);
    store_reset(stmt);
    store_finalize(stmt);
    assert_int_equal(
        bf_test_query_int(store, "SELECT COUNT(*) FROM pg_cursors WHERE name LIKE 'bfc%'"), 0);
    assert_int_equal(store_commit(store, &err), BF_OK);
    store_close(store);
}

/* Several streaming statements walked in step on one handle, as the
 * classification's merges walk theirs: each reads its next batch ahead while
 * the others are read, written between (a batch of rows sent with COPY) and
 * queried between; every row arrives once, in order. A failure in a batch read
 * ahead surfaces at the step that reaches it, not before. */
static void test_streaming_cursors_in_step(void **state)
{
    (void)state;
    SKIP_UNLESS_PG();
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(store_exec(store, "CREATE TABLE seen (k BIGINT PRIMARY KEY)", &err), BF_OK);
    assert_int_equal(store_begin(store, &err), BF_OK);
    enum { STREAMS = 3 };
    static const int64_t lengths[STREAMS] = {9001, 4500, 12345};
    bf_stmt *stmts[STREAMS];
    for (int i = 0; i < STREAMS; i++) {
        assert_int_equal(store_prepare(store, "SELECT g FROM generate_series(1, ?) AS g ORDER BY g",
                                       &stmts[i], &err),
                         BF_OK);
        store_pg_set_streaming(stmts[i], true);
        store_bind_int64(stmts[i], 1, lengths[i]);
    }
    store_batch *batch = NULL;
    assert_int_equal(store_batch_new(store, "INSERT INTO seen (k) VALUES (?)", &batch, &err),
                     BF_OK);
    int64_t next[STREAMS] = {1, 1, 1};
    bool done[STREAMS] = {false, false, false};
    int open = STREAMS;
    for (int64_t turn = 0; open > 0; turn++) {
        int i = (int)(turn % STREAMS);
        if (done[i])
            continue;
        /* uneven steps: the streams run out of their batches at different times */
        for (int k = 0; k < 1 + i * 3 && !done[i]; k++) {
            bool has_row = false;
            assert_int_equal(store_step(stmts[i], &has_row, &err), BF_OK);
            if (!has_row) {
                done[i] = true;
                open--;
                break;
            }
            assert_int_equal(store_column_int64(stmts[i], 0), next[i]);
            next[i]++;
            if (i == 2) {
                store_batch_bind_int64(batch, 1, next[i] - 1);
                assert_int_equal(store_batch_add(batch, &err), BF_OK);
            }
        }
        if (turn % 997 == 0)
            assert_int_equal(bf_test_query_int(store, "SELECT 2"), 2);
    }
    for (int i = 0; i < STREAMS; i++) {
        assert_int_equal(next[i], lengths[i] + 1);
        store_finalize(stmts[i]);
    }
    assert_int_equal(store_batch_flush(batch, &err), BF_OK);
    store_batch_free(batch);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM seen"), lengths[2]);
    assert_int_equal(
        bf_test_query_int(store, "SELECT COUNT(*) FROM pg_cursors WHERE name LIKE 'bfc%'"), 0);
    assert_int_equal(store_commit(store, &err), BF_OK);

    /* Row 3000 divides by zero: the batch that holds it is read ahead while
     * the first 2000 rows are walked, and its failure belongs to row 2001. */
    assert_int_equal(store_begin(store, &err), BF_OK);
    bf_stmt *stmt = NULL;
    assert_int_equal(store_prepare(store,
                                   "SELECT 1 / (3000 - g) FROM generate_series(1, 5000) AS g",
                                   &stmt, &err),
                     BF_OK);
    store_pg_set_streaming(stmt, true);
    int64_t rows = 0;
    bf_status rc = BF_OK;
    for (;;) {
        bool has_row = false;
        rc = store_step(stmt, &has_row, &err);
        if (rc || !has_row)
            break;
        rows++;
    }
    assert_int_equal(rc, BF_ERR_DB);
    assert_int_equal(rows, 2000);
    assert_non_null(strstr(err.msg, "division by zero"));
    store_finalize(stmt);
    store_rollback(store);
    /* The handle works on. */
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM seen"), lengths[2]);
    store_close(store);
}

static void test_many_statements_are_deallocated(void **state)
{
    (void)state;
    SKIP_UNLESS_PG();
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    /* Each statement runs twice (so it is prepared by name), then is finalized:
     * the server must not keep collecting them. */
    for (int i = 0; i < 500; i++) {
        bf_stmt *stmt = NULL;
        assert_int_equal(store_prepare(store, "SELECT ? + 1", &stmt, &err), BF_OK);
        for (int k = 0; k < 2; k++) {
            bool has_row = false;
            store_reset(stmt);
            store_bind_int64(stmt, 1, i);
            assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
            assert_int_equal(store_column_int64(stmt, 0), i + 1);
        }
        store_finalize(stmt);
    }
    assert_true(bf_test_query_int(store, "SELECT COUNT(*) FROM pg_prepared_statements") < 70);
    store_close(store);
}

static void test_open_creates_database(void **state)
{
    (void)state;
    SKIP_UNLESS_PG();
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    /* Name a database that does not exist yet (beside the test's own). */
    char missing[4200];
    char *q = strstr(target, "?");
    assert_non_null(q);
    snprintf(missing, sizeof missing, "%.*s_new%s", (int)(q - target), target, q);
    bf_error err;
    bf_error_clear(&err);
    bf_store *other = NULL;
    assert_int_equal(store_open(missing, false, &other, &err), BF_ERR_UNAVAILABLE);
    assert_non_null(strstr(err.msg, "无法连接"));
    assert_int_equal(store_open(missing, true, &other, &err), BF_OK);
    store_close(other);
    assert_int_equal(store_open(missing, false, &other, &err), BF_OK);
    store_close(other);
    /* Clean up the extra database. */
    char dbname[200];
    snprintf(dbname, sizeof dbname, "%.*s_new", (int)(q - target - strlen("postgresql:///")),
             target + strlen("postgresql:///"));
    char sql[300];
    snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", dbname);
    bf_test_exec(store, sql);
    store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rewrite_placeholders),
        cmocka_unit_test(test_rewrite_malformed),
        cmocka_unit_test(test_values_round_trip),
        cmocka_unit_test(test_errors_map_to_statuses),
        cmocka_unit_test(test_lock_and_serializable_are_portable),
        cmocka_unit_test(test_lost_connection_outside_transaction),
        cmocka_unit_test(test_lost_connection_inside_transaction),
        cmocka_unit_test(test_serializable_conflict),
        cmocka_unit_test(test_advisory_lock_held_until_commit),
        cmocka_unit_test(test_shared_snapshot),
        cmocka_unit_test(test_streaming_cursor),
        cmocka_unit_test(test_streaming_cursors_in_step),
        cmocka_unit_test(test_many_statements_are_deallocated),
        cmocka_unit_test(test_open_creates_database),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
