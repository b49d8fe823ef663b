/*
 * test_store.c - the storage interface and migrations on the backend under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"
#include "store/migrate.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_migrations_apply_and_version(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    bf_error err;
    int version = 0;
    assert_int_equal(store_schema_version(store, &version, &err), BF_OK);
    assert_int_equal(version, store_migrate_latest());
    assert_int_equal(store_check_schema(store, &err), BF_OK);
    /* Re-running migrations changes nothing. */
    int from = -1, to = -1;
    assert_int_equal(store_migrate(store, &from, &to, &err), BF_OK);
    assert_int_equal(from, to);
    store_close(store);
}

static void test_newer_schema_refused(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(store_exec(store,
                                "INSERT INTO schema_migrations (version, name, applied_at) "
                                "VALUES (9999, '9999_future', 0)",
                                &err),
                     BF_OK);
    assert_int_equal(store_check_schema(store, &err), BF_ERR_SCHEMA);
    assert_non_null(strstr(err.msg, "请升级 bangfu"));
    assert_int_equal(store_migrate(store, NULL, NULL, &err), BF_ERR_SCHEMA);
    store_close(store);
}

static void test_bound_parameters_and_transactions(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    bf_stmt *stmt = NULL;
    const char *sql = "INSERT INTO regions (code, name, level, parent_code, flags) "
                      "VALUES (?, ?, ?, ?, ?)";
    assert_int_equal(store_begin(store, &err), BF_OK);
    assert_int_equal(store_prepare(store, sql, &stmt, &err), BF_OK);
    store_bind_str(stmt, 1, "360000000000");
    store_bind_str(stmt, 2, "江西省'; DROP TABLE regions; --");
    store_bind_int64(stmt, 3, 1);
    store_bind_null(stmt, 4);
    store_bind_int64(stmt, 5, 0);
    assert_int_equal(store_step_done(stmt, &err), BF_OK);
    assert_int_equal(store_changes(stmt), 1);
    store_finalize(stmt);
    /* Nested transaction rolled back: the outer commit fails and nothing stays. */
    assert_int_equal(store_begin(store, &err), BF_OK);
    assert_int_equal(store_rollback(store), BF_OK);
    assert_int_not_equal(store_commit(store, &err), BF_OK);
    int64_t count = -1;
    assert_int_equal(store_query_int64(store, "SELECT COUNT(*) FROM regions", &count, &err, 0),
                     BF_OK);
    assert_int_equal(count, 0);
    /* Committed for real this time; the hostile name is stored as text. */
    assert_int_equal(store_begin(store, &err), BF_OK);
    assert_int_equal(store_prepare(store, sql, &stmt, &err), BF_OK);
    store_bind_str(stmt, 1, "360000000000");
    store_bind_str(stmt, 2, "江西省'; DROP TABLE regions; --");
    store_bind_int64(stmt, 3, 1);
    store_bind_null(stmt, 4);
    store_bind_int64(stmt, 5, 0);
    assert_int_equal(store_step_done(stmt, &err), BF_OK);
    store_finalize(stmt);
    assert_int_equal(store_commit(store, &err), BF_OK);
    assert_int_equal(store_prepare(store, "SELECT name FROM regions WHERE code = ?", &stmt, &err),
                     BF_OK);
    store_bind_str(stmt, 1, "360000000000");
    bool has_row = false;
    assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
    assert_true(has_row);
    assert_string_equal(store_column_text(stmt, 0, NULL), "江西省'; DROP TABLE regions; --");
    store_finalize(stmt);
    /* A foreign key violation is a conflict. */
    assert_int_equal(store_exec(store,
                                "INSERT INTO regions (code, name, level, parent_code) "
                                "VALUES ('360100000000', 'x', 2, '999900000000')",
                                &err),
                     BF_ERR_CONFLICT);
    store_close(store);
}

/* SQLite: a database bangfu creates has 16 KiB pages; one made elsewhere with
 * another page size keeps it and works as before. */
static void test_sqlite_page_size(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    if (store_kind(store) != BF_STORE_SQLITE) {
        store_close(store);
        skip();
    }
    assert_int_equal(bf_test_query_int(store, "PRAGMA page_size"), 16384);
    store_close(store);

    char *dir = bf_test_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/small-pages.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA page_size=4096; PRAGMA journal_mode=WAL;"
                                  "CREATE TABLE t (x INTEGER)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(store_open(path, false, &store, &err), BF_OK);
    assert_int_equal(bf_test_query_int(store, "PRAGMA page_size"), 4096);
    bf_test_exec(store, "INSERT INTO t (x) VALUES (42)");
    assert_int_equal(bf_test_query_int(store, "SELECT x FROM t"), 42);
    store_close(store);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrations_apply_and_version),
        cmocka_unit_test(test_newer_schema_refused),
        cmocka_unit_test(test_bound_parameters_and_transactions),
        cmocka_unit_test(test_sqlite_page_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
