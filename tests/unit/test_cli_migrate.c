/*
 * test_cli_migrate.c - `bangfu migrate` and `bangfu init` on a database an
 * older bangfu left: the real binary brings a database made at schema version
 * 1 (the first migration only, on the backend under test) up to the current
 * version, keeps its data, runs the init steps, and says what it did; the
 * other commands refuse the old schema until then; a database newer than the
 * program is refused by migrate and by the other commands.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"
#include "store/migrate.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int bf_test_pg_db_new(char *target, size_t target_size);

/* A database at schema version `version` (no init steps run), with one region. */
static void old_database(char *target, size_t target_size, int version)
{
    static int counter;
    const char *backend = getenv("BF_TEST_BACKEND");
    if (backend && strcmp(backend, "pg") == 0) {
        assert_int_equal(bf_test_pg_db_new(target, target_size), 0);
    } else {
        char *dir = bf_test_tmpdir();
        snprintf(target, target_size, "%s/old%d.db", dir, counter++);
        free(dir);
    }
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    assert_int_equal(store_open(target, true, &store, &err), BF_OK);
    int from = -1, to = -1;
    assert_int_equal(store_migrate_to(store, version, &from, &to, &err), BF_OK);
    assert_int_equal(from, 0);
    assert_int_equal(to, version);
    bf_test_exec(store, "INSERT INTO regions (code, name, level, parent_code, flags) "
                        "VALUES ('360000000000', '江西省', 1, NULL, 0)");
    store_close(store);
}

static int64_t schema_version(const char *target)
{
    bf_store *store = bf_test_db_open(target);
    int64_t version = bf_test_query_int(store, "SELECT MAX(version) FROM schema_migrations");
    store_close(store);
    return version;
}

static void test_migrate_upgrades_an_old_database(void **state)
{
    (void)state;
    int latest = store_migrate_latest();
    assert_true(latest > 1);
    char target[4096];
    old_database(target, sizeof target, 1);
    char *out = NULL, *errout = NULL;

    /* Other commands refuse the old schema and point to bangfu migrate. */
    assert_int_not_equal(bf_test_run(&out, &errout, "stats --db '%s'", target), 0);
    char want[256];
    snprintf(want, sizeof want, "数据库结构版本为 1，低于本程序的版本 %d，请先运行 bangfu migrate",
             latest);
    assert_non_null(strstr(errout, want));
    free(out);
    free(errout);

    assert_int_equal(bf_test_run(&out, &errout, "migrate --db '%s'", target), 0);
    snprintf(want, sizeof want, "数据库结构已升级：1 → %d\n", latest);
    assert_non_null(strstr(out, want));
    free(out);
    free(errout);
    assert_int_equal(schema_version(target), latest);

    /* Every migration is recorded once, the data is kept, the init steps ran
     * (the default rule sets the later migrations made room for). */
    bf_store *store = bf_test_db_open(target);
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(store_check_schema(store, &err), BF_OK);
    int64_t migrations = 0;
    for (const store_migration *m = store_migrations; m->sql; m++)
        migrations++;
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM schema_migrations"),
                     migrations);
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM regions"), 1);
    store_close(store);
    assert_int_equal(bf_test_run(&out, NULL, "stats --format json --db '%s'", target), 0);
    assert_non_null(strstr(out, "\"regions\":{\"province\":1,"));
    free(out);
    assert_int_equal(bf_test_run(&out, NULL, "rules list --db '%s'", target), 0);
    assert_true(strlen(out) > 0);
    free(out);

    /* A second run has nothing to do. */
    assert_int_equal(bf_test_run(&out, NULL, "migrate --db '%s'", target), 0);
    snprintf(want, sizeof want, "数据库结构已是最新版本 %d\n", latest);
    assert_string_equal(out, want);
    free(out);
}

static void test_init_upgrades_an_old_database(void **state)
{
    (void)state;
    int latest = store_migrate_latest();
    char target[4096];
    old_database(target, sizeof target, latest - 1);
    char *out = NULL;
    assert_int_equal(bf_test_run(&out, NULL, "init --db '%s'", target), 0);
    char want[4300];
    snprintf(want, sizeof want, "数据库 %s 已升级：结构版本 %d → %d\n", target, latest - 1, latest);
    assert_non_null(strstr(out, want));
    free(out);
    assert_int_equal(schema_version(target), latest);
    assert_int_equal(bf_test_run(NULL, NULL, "stats --db '%s'", target), 0);
}

static void test_newer_database_refused(void **state)
{
    (void)state;
    int latest = store_migrate_latest();
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, 'future', 0)",
             latest + 1);
    bf_test_exec(store, sql);
    store_close(store);
    char want[256];
    snprintf(want, sizeof want,
             "数据库结构版本为 %d，高于本程序支持的版本 %d，请升级 bangfu 后再使用", latest + 1,
             latest);
    static const char *const commands[] = {"migrate", "init", "stats", "export projects"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char *errout = NULL;
        int status = bf_test_run(NULL, &errout, "%s --db '%s'", commands[i], target);
        if (status == 0 || !strstr(errout, want))
            fail_msg("%s: exit %d, stderr: %s", commands[i], status, errout);
        free(errout);
    }
    assert_int_equal(schema_version(target), latest + 1);
}

static void test_migrate_does_not_create(void **state)
{
    (void)state;
    const char *backend = getenv("BF_TEST_BACKEND");
    if (backend && strcmp(backend, "pg") == 0)
        skip(); /* a PostgreSQL database is made by its server, not by bangfu */
    char *dir = bf_test_tmpdir();
    char target[4200];
    snprintf(target, sizeof target, "%s/missing.db", dir);
    free(dir);
    char *errout = NULL;
    assert_int_not_equal(bf_test_run(NULL, &errout, "migrate --db '%s'", target), 0);
    assert_true(strlen(errout) > 0);
    free(errout);
    FILE *fp = fopen(target, "rb");
    assert_null(fp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_upgrades_an_old_database),
        cmocka_unit_test(test_init_upgrades_an_old_database),
        cmocka_unit_test(test_newer_database_refused),
        cmocka_unit_test(test_migrate_does_not_create),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
