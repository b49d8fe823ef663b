/*
 * test_store_pg_batch.c - batched INSERTs (store/batch.h) on the backend under
 * test: taking the INSERT apart (always), then rows through a batch read back
 * exactly (NULLs, tabs, newlines, backslashes, Chinese, bytes), upserts keep
 * their ON CONFLICT clause and change counts, reads see pending rows, a
 * rollback drops them, a constraint error surfaces and leaves nothing, and an
 * INSERT of another shape still works row by row. On PostgreSQL this goes
 * through COPY; the same assertions hold on SQLite, where every test runs
 * twice: rows written one by one, and rows gathered (store_batch_gather) into
 * multi-row INSERTs of an odd size, so that both the full statement and the
 * smaller ones for what is left are used.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"
#include "store/batch.h"
#include "store/store_pg.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static store_batch_insert parsed;

/* Rows a batch gathers (0: as made), set by main for each pass. */
static int gather_rows;

static bf_status new_batch(bf_store *store, const char *sql, store_batch **out, bf_error *err)
{
    bf_status rc = store_batch_new(store, sql, out, err);
    if (rc == BF_OK && gather_rows > 0) {
        rc = store_batch_gather(*out, gather_rows, err);
        if (rc) {
            store_batch_free(*out);
            *out = NULL;
        }
    }
    return rc;
}

static void test_parse_insert(void **state)
{
    (void)state;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(store_batch_parse_insert("insert into t (a, \"b\", c_1) values (?,?, ?) "
                                              "ON CONFLICT (a) DO UPDATE SET b = excluded.b",
                                              &parsed, &err),
                     BF_OK);
    assert_string_equal(parsed.table, "t");
    assert_int_equal(parsed.ncols, 3);
    assert_string_equal(parsed.cols[0], "a");
    assert_string_equal(parsed.cols[1], "b");
    assert_string_equal(parsed.cols[2], "c_1");
    assert_string_equal(parsed.rest, "ON CONFLICT (a) DO UPDATE SET b = excluded.b");
    assert_int_equal(store_batch_parse_insert("INSERT /* c */ INTO \"regions\"(code) -- x\n"
                                              "VALUES(?)",
                                              &parsed, &err),
                     BF_OK);
    assert_string_equal(parsed.table, "regions");
    assert_string_equal(parsed.rest, "");
    /* Not of the batched shape: parse errors (executed row by row instead). */
    static const char *const refused[] = {
        "",
        "SELECT 1",
        "UPDATE t SET a = ?",
        "INSERT INTO t VALUES (?)",
        "INSERT INTO t (a, b) VALUES (?)",
        "INSERT INTO t (a) VALUES (?, ?)",
        "INSERT INTO t (a) VALUES (lower(?))",
        "INSERT INTO t (a) VALUES (?1)",
        "INSERT INTO t (a) VALUES ('x')",
        "INSERT INTO t (a) VALUES (?), (?)",
        "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET a = ?",
        "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET a = 'open",
        "INSERT INTO t (a) SELECT ?",
        "INSERT INTO t (1a) VALUES (?)",
        "INSERT INTO t (a VALUES (?)",
        "INSERT INTO \"t\"\"x\" (a) VALUES (?)",
        "INSERT INTO t (a,) VALUES (?)",
        "INSERTINTO t (a) VALUES (?)",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        bf_error_clear(&err);
        if (store_batch_parse_insert(refused[i], &parsed, &err) != BF_ERR_PARSE)
            fail_msg("accepted: %s", refused[i]);
        assert_true(err.msg[0] != '\0');
    }
    /* Names too long, and too many columns. */
    char sql[20000];
    snprintf(sql, sizeof sql, "INSERT INTO %0100d (a) VALUES (?)", 0);
    sql[12] = 'x';
    assert_int_equal(store_batch_parse_insert(sql, &parsed, &err), BF_ERR_PARSE);
    strcpy(sql, "INSERT INTO t (");
    for (int i = 0; i <= STORE_BATCH_MAX_COLS; i++)
        sprintf(sql + strlen(sql), "%sc%d", i ? "," : "", i);
    strcat(sql, ") VALUES (?)");
    assert_int_equal(store_batch_parse_insert(sql, &parsed, &err), BF_ERR_PARSE);
}

static bf_store *fresh(char *target, size_t size)
{
    bf_store *store = bf_test_db_fresh(target, size);
    char sql[300];
    snprintf(sql, sizeof sql,
             "CREATE TABLE bt (k BIGINT PRIMARY KEY, s TEXT, b %s, n BIGINT NOT NULL DEFAULT 0)",
             store->ops->dialect_word("BLOB"));
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(store_exec(store, sql, &err), BF_OK);
    return store;
}

#define ROWS 45000 /* more than a staging area holds at once */

static void test_rows_round_trip(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    store_batch *batch = NULL;
    assert_int_equal(store_begin(store, &err), BF_OK);
    assert_int_equal(new_batch(store, "INSERT INTO bt (k, s, b) VALUES (?, ?, ?)", &batch, &err),
                     BF_OK);
    static const char awkward[] = "江西\ttab\nline\r\\N \\ back'slash\"";
    static const char bytes[] = {0, '\\', 'x', '\t', '\n', (char)0xff, 'a'};
    for (int i = 0; i < ROWS; i++) {
        store_batch_bind_int64(batch, 1, i);
        if (i % 3 == 0) {
            store_batch_bind_str(batch, 2, awkward);
            store_batch_bind_text(batch, 3, bytes, sizeof bytes);
        } else if (i % 3 == 1) {
            store_batch_bind_str(batch, 2, "");
            store_batch_bind_null(batch, 3);
        } /* else: unbound, so NULL */
        assert_int_equal(store_batch_add(batch, &err), BF_OK);
    }
    assert_int_equal(store_batch_rows(batch), ROWS);
    /* A read on the handle sees every pending row. */
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt"), ROWS);
    assert_int_equal(store_batch_flush(batch, &err), BF_OK);
    assert_int_equal(store_batch_changes(batch), ROWS);
    store_batch_free(batch);
    assert_int_equal(store_commit(store, &err), BF_OK);

    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt WHERE s IS NULL"), ROWS / 3);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt WHERE s = ''"), ROWS / 3);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt WHERE b IS NULL"),
                     2 * ROWS / 3);
    assert_int_equal(bf_test_query_int(store, "SELECT SUM(n) FROM bt"),
                     0); /* the default applied */
    bf_stmt *stmt = NULL;
    assert_int_equal(store_prepare(store, "SELECT s, b FROM bt WHERE k = 3", &stmt, &err), BF_OK);
    bool has_row = false;
    assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
    assert_true(has_row);
    assert_string_equal(store_column_text(stmt, 0, NULL), awkward);
    size_t len = 0;
    const char *b = store_column_text(stmt, 1, &len);
    assert_int_equal(len, sizeof bytes);
    assert_memory_equal(b, bytes, sizeof bytes);
    store_finalize(stmt);
    store_close(store);
}

static void test_upsert_and_changes(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(
        store_exec(store, "INSERT INTO bt (k, s) VALUES (1, 'old'), (2, 'same')", &err), BF_OK);
    store_batch *batch = NULL;
    assert_int_equal(new_batch(store,
                               "INSERT INTO bt (k, s) VALUES (?, ?) ON CONFLICT (k) DO "
                               "UPDATE SET s = excluded.s, n = bt.n + 1 "
                               "WHERE bt.s IS DISTINCT FROM excluded.s",
                               &batch, &err),
                     BF_OK);
    /* 1 changes, 2 is unchanged, 3 is new: two rows changed. */
    static const char *const values[][2] = {{"1", "new"}, {"2", "same"}, {"3", "added"}};
    assert_int_equal(store_begin(store, &err), BF_OK);
    for (int i = 0; i < 3; i++) {
        store_batch_bind_str(batch, 1, values[i][0]);
        store_batch_bind_str(batch, 2, values[i][1]);
        assert_int_equal(store_batch_add(batch, &err), BF_OK);
    }
    assert_int_equal(store_batch_flush(batch, &err), BF_OK);
    assert_int_equal(store_commit(store, &err), BF_OK);
    assert_int_equal(store_batch_changes(batch), 2);
    store_batch_free(batch);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt"), 3);
    assert_int_equal(bf_test_query_int(store, "SELECT n FROM bt WHERE k = 1 AND s = 'new'"), 1);
    assert_int_equal(bf_test_query_int(store, "SELECT n FROM bt WHERE k = 2"), 0);
    store_close(store);
}

/* A plain INSERT (nothing after VALUES): on PostgreSQL copied straight into
 * the table, without a staging table; rows and changes as on SQLite, and a
 * constraint error still surfaces. */
static void test_plain_insert(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    store_batch *batch = NULL;
    assert_int_equal(store_batch_new(store, "INSERT INTO bt (k, s) VALUES (?, ?)", &batch, &err),
                     BF_OK);
    assert_int_equal(store_begin(store, &err), BF_OK);
    for (int i = 1; i <= 5; i++) {
        store_batch_bind_int64(batch, 1, i);
        store_batch_bind_str(batch, 2, i == 3 ? NULL : "v\t1");
        assert_int_equal(store_batch_add(batch, &err), BF_OK);
    }
    assert_int_equal(store_batch_flush(batch, &err), BF_OK);
    assert_int_equal(store_batch_changes(batch), 5);
    if (store_kind(store) == BF_STORE_PG)
        assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM pg_class "
                                                  "WHERE relname LIKE 'bf_stage_%'"),
                         0);
    /* The same key again: the table's primary key refuses it. */
    store_batch_bind_int64(batch, 1, 2);
    store_batch_bind_str(batch, 2, "again");
    bf_status rc = store_batch_add(batch, &err);
    if (rc == BF_OK)
        rc = store_batch_flush(batch, &err);
    assert_int_equal(rc, BF_ERR_CONFLICT);
    store_rollback(store);
    store_batch_free(batch);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt"), 0);
    assert_int_equal(store_begin(store, &err), BF_OK);
    assert_int_equal(store_batch_new(store, "INSERT INTO bt (k, s) VALUES (?, ?)", &batch, &err),
                     BF_OK);
    store_batch_bind_int64(batch, 1, 7);
    store_batch_bind_str(batch, 2, "a\\b\nc");
    assert_int_equal(store_batch_add(batch, &err), BF_OK);
    assert_int_equal(store_batch_flush(batch, &err), BF_OK);
    assert_int_equal(store_commit(store, &err), BF_OK);
    store_batch_free(batch);
    int64_t found = 0;
    assert_int_equal(store_query_int64(store, "SELECT COUNT(*) FROM bt WHERE k = 7 AND s = ?",
                                       &found, &err, 1, "a\\b\nc"),
                     BF_OK);
    assert_int_equal(found, 1);
    store_close(store);
}

static void test_rollback_and_errors(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    store_batch *batch = NULL;
    assert_int_equal(new_batch(store, "INSERT INTO bt (k, s) VALUES (?, ?)", &batch, &err), BF_OK);
    /* Rolled back: nothing stays, pending or sent. */
    assert_int_equal(store_begin(store, &err), BF_OK);
    for (int i = 0; i < 10; i++) {
        store_batch_bind_int64(batch, 1, i);
        assert_int_equal(store_batch_add(batch, &err), BF_OK);
    }
    assert_int_equal(store_rollback(store), BF_OK);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt"), 0);
    /* A duplicate key: the error surfaces (at the add on SQLite row by row,
     * at the sending on PostgreSQL or when gathering), and the commit keeps
     * nothing of the transaction. */
    assert_int_equal(store_begin(store, &err), BF_OK);
    bf_status rc = BF_OK;
    for (int i = 0; i < 3 && rc == BF_OK; i++) {
        store_batch_bind_int64(batch, 1, 7);
        rc = store_batch_add(batch, &err);
    }
    if (rc == BF_OK)
        rc = store_batch_flush(batch, &err);
    assert_int_equal(rc, BF_ERR_CONFLICT);
    assert_true(err.msg[0] != '\0');
    store_rollback(store);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt"), 0);
    /* The batch still works afterwards. */
    assert_int_equal(store_begin(store, &err), BF_OK);
    store_batch_bind_int64(batch, 1, 8);
    assert_int_equal(store_batch_add(batch, &err), BF_OK);
    assert_int_equal(store_commit(store, &err), BF_OK); /* commit sends pending rows */
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt WHERE k = 8"), 1);
    store_batch_free(batch);
    /* A foreign key checked at the sending: a row referencing nothing fails. */
    assert_int_equal(new_batch(store,
                               "INSERT INTO projects (code, name, region_code, sector, "
                               "start_year, investment, operation_mode, status, "
                               "county_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               &batch, &err),
                     BF_OK);
    assert_int_equal(store_begin(store, &err), BF_OK);
    static const char *const row[] = {"P1", "x", "999999999999", "s", "2020", "1",
                                      "m",  "s", "999999"};
    for (int i = 0; i < 9; i++)
        store_batch_bind_str(batch, i + 1, row[i]);
    rc = store_batch_add(batch, &err);
    if (rc == BF_OK)
        rc = store_commit(store, &err); /* the commit sends it, and must fail */
    else
        store_rollback(store);
    assert_int_equal(rc, BF_ERR_CONFLICT);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM projects"), 0);
    store_batch_free(batch);
    store_close(store);
}

/* A full staging area is sent without waiting for the server to write it (on
 * PostgreSQL): an error in it still surfaces, at a later call, and the
 * transaction keeps nothing. */
static void test_error_in_a_full_sending(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    store_batch *batch = NULL;
    assert_int_equal(new_batch(store, "INSERT INTO bt (k, s) VALUES (?, ?)", &batch, &err), BF_OK);
    assert_int_equal(store_begin(store, &err), BF_OK);
    bf_status rc = BF_OK;
    for (int i = 0; i < ROWS && rc == BF_OK; i++) {
        store_batch_bind_int64(batch, 1, i == 100 ? 99 : i); /* 99 twice */
        store_batch_bind_str(batch, 2, "x");
        rc = store_batch_add(batch, &err);
    }
    if (rc == BF_OK)
        rc = store_batch_flush(batch, &err);
    if (rc == BF_OK)
        rc = store_commit(store, &err);
    else
        store_rollback(store);
    assert_int_equal(rc, BF_ERR_CONFLICT);
    assert_true(err.msg[0] != '\0');
    store_batch_free(batch);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt"), 0);
    /* The handle works on. */
    assert_int_equal(store_exec(store, "INSERT INTO bt (k) VALUES (1)", &err), BF_OK);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt"), 1);
    store_close(store);
}

static void test_other_shapes_row_by_row(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    store_batch *batch = NULL;
    assert_int_equal(
        new_batch(store, "INSERT INTO bt (k, s, n) VALUES (?, lower(?), ? + 1)", &batch, &err),
        BF_OK);
    for (int i = 0; i < 5; i++) {
        store_batch_bind_int64(batch, 1, i);
        store_batch_bind_str(batch, 2, "ABC");
        store_batch_bind_int64(batch, 3, i);
        assert_int_equal(store_batch_add(batch, &err), BF_OK);
    }
    assert_int_equal(store_batch_flush(batch, &err), BF_OK);
    assert_int_equal(store_batch_changes(batch), 5);
    store_batch_free(batch);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt WHERE s = 'abc'"), 5);
    assert_int_equal(bf_test_query_int(store, "SELECT SUM(n) FROM bt"), 15);
    /* A statement that does not prepare fails at once. */
    assert_int_not_equal(new_batch(store, "INSERT INTO no_such (a) VALUES (?)", &batch, &err),
                         BF_OK);
    assert_null(batch);
    store_close(store);
}

static void test_free_sends_pending_rows(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    /* Outside a transaction, with no flush: SQLite has written each row at
     * its add, so PostgreSQL must have them too once the batch is gone. */
    store_batch *batch = NULL;
    assert_int_equal(new_batch(store, "INSERT INTO bt (k) VALUES (?)", &batch, &err), BF_OK);
    for (int i = 0; i < 5; i++) {
        store_batch_bind_int64(batch, 1, i);
        assert_int_equal(store_batch_add(batch, &err), BF_OK);
    }
    store_batch_free(batch);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt"), 5);
    store_close(store);
    /* A new handle sees them: they were committed, not just visible. */
    store = bf_test_db_open(target);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt"), 5);
    store_close(store);
}

static void test_gathering_keeps_the_row_being_bound(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    store_batch *batch = NULL;
    assert_int_equal(new_batch(store, "INSERT INTO bt (k, s, n) VALUES (?, ?, ?)", &batch, &err),
                     BF_OK);
    assert_int_equal(store_begin(store, &err), BF_OK);
    for (int i = 0; i < 20; i++) {
        store_batch_bind_int64(batch, 1, i);
        store_batch_bind_str(batch, 2, "前");
        store_batch_bind_int64(batch, 3, i);
        assert_int_equal(store_batch_add(batch, &err), BF_OK);
    }
    /* Half a row bound, then a read (which sends what is pending), then the
     * rest of the row: the row is whole. */
    store_batch_bind_int64(batch, 1, 100);
    store_batch_bind_str(batch, 2, "半行");
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt"), 20);
    store_batch_bind_int64(batch, 3, 7);
    assert_int_equal(store_batch_add(batch, &err), BF_OK);
    /* A read that is already returning rows goes on while rows are added. */
    bf_stmt *stmt = NULL;
    assert_int_equal(store_prepare(store, "SELECT k FROM bt ORDER BY k", &stmt, &err), BF_OK);
    bool has_row = false;
    assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
    assert_true(has_row);
    int seen = 1;
    for (int i = 0; i < 30; i++) {
        store_batch_bind_int64(batch, 1, 1000 + i);
        store_batch_bind_int64(batch, 3, 0);
        assert_int_equal(store_batch_add(batch, &err), BF_OK);
        if (has_row)
            assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
        seen += has_row;
    }
    assert_true(seen >= 21);
    store_finalize(stmt);
    assert_int_equal(store_commit(store, &err), BF_OK);
    assert_int_equal(store_batch_rows(batch), 51);
    assert_int_equal(store_batch_changes(batch), 51);
    store_batch_free(batch);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt"), 51);
    assert_int_equal(bf_test_query_int(store, "SELECT n FROM bt WHERE k = 100 AND s = '半行'"), 7);
    assert_int_equal(bf_test_query_int(store, "SELECT SUM(n) FROM bt WHERE s = '前'"), 190);
    store_close(store);
}

/* A read marked store_pg_set_unstaged runs while rows are staged and one
 * sending is on its way (a full stage, sent by the sender thread), without
 * sending the rest first; a plain read afterwards still sees every row, and
 * integers of every size come back as bound. On SQLite the mark does
 * nothing and the same assertions hold. */
static void test_unstaged_read_during_a_sending(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(store_exec(store, "CREATE TABLE other (v BIGINT)", &err), BF_OK);
    assert_int_equal(store_exec(store, "INSERT INTO other (v) VALUES (42)", &err), BF_OK);
    store_batch *batch = NULL;
    assert_int_equal(store_begin(store, &err), BF_OK);
    assert_int_equal(new_batch(store, "INSERT INTO bt (k, n) VALUES (?, ?)", &batch, &err), BF_OK);
    bf_stmt *read = NULL;
    assert_int_equal(store_prepare(store, "SELECT v FROM other", &read, &err), BF_OK);
    store_pg_set_unstaged(read, true);
    static const int64_t extremes[] = {INT64_MIN, -1, 0, 9, 10, -10, INT64_MAX};
    const int nextremes = (int)(sizeof extremes / sizeof extremes[0]);
    for (int i = 0; i < ROWS; i++) {
        store_batch_bind_int64(batch, 1, i);
        store_batch_bind_int64(batch, 2, i < nextremes ? extremes[i] : -i);
        assert_int_equal(store_batch_add(batch, &err), BF_OK);
        if (i % 5000 == 4999) {
            bool has_row = false;
            assert_int_equal(store_step(read, &has_row, &err), BF_OK);
            assert_true(has_row);
            assert_int_equal(store_column_int64(read, 0), 42);
            assert_int_equal(store_step(read, &has_row, &err), BF_OK);
            assert_false(has_row);
            store_reset(read);
        }
    }
    store_finalize(read);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt"), ROWS);
    assert_int_equal(store_batch_flush(batch, &err), BF_OK);
    assert_int_equal(store_batch_changes(batch), ROWS);
    store_batch_free(batch);
    assert_int_equal(store_commit(store, &err), BF_OK);
    for (int i = 0; i < nextremes; i++) {
        bf_stmt *stmt = NULL;
        assert_int_equal(store_prepare(store, "SELECT n FROM bt WHERE k = ?", &stmt, &err), BF_OK);
        store_bind_int64(stmt, 1, i);
        bool has_row = false;
        assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
        assert_true(has_row);
        assert_true(store_column_int64(stmt, 0) == extremes[i]);
        store_finalize(stmt);
    }
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM bt WHERE n = -k"),
                     ROWS - nextremes + 1); /* and k = 1, whose n is -1 */
    store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_insert),
        cmocka_unit_test(test_rows_round_trip),
        cmocka_unit_test(test_upsert_and_changes),
        cmocka_unit_test(test_plain_insert),
        cmocka_unit_test(test_rollback_and_errors),
        cmocka_unit_test(test_error_in_a_full_sending),
        cmocka_unit_test(test_other_shapes_row_by_row),
        cmocka_unit_test(test_free_sends_pending_rows),
        cmocka_unit_test(test_gathering_keeps_the_row_being_bound),
        cmocka_unit_test(test_unstaged_read_during_a_sending),
    };
    int failed = cmocka_run_group_tests_name("rows as made", tests, NULL, NULL);
    gather_rows = 7;
    return failed + cmocka_run_group_tests_name("rows gathered by 7", tests, NULL, NULL);
}
