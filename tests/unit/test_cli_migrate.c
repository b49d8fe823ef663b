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

/* Migration 0006 on a database of version 5 holding a row in every table it
 * rebuilds, in two counties: county_code is back-filled from the region or
 * the parent, the keys and foreign keys hold, the identities go on after the
 * copied ids, and the rules the new keys carry are enforced. */
static void test_county_key_backfill(void **state)
{
    (void)state;
    char target[4096];
    old_database(target, sizeof target, 5);
    bf_store *store = bf_test_db_open(target);
    bf_test_exec(store, "INSERT INTO regions (code, name, level, parent_code, flags) VALUES "
                        "('360100000000', '南昌市', 2, '360000000000', 0),"
                        "('360102000000', '东湖区', 3, '360100000000', 0),"
                        "('360103000000', '西湖区', 3, '360100000000', 0),"
                        "('360102001000', '甲镇', 4, '360102000000', 0),"
                        "('360103001000', '乙镇', 4, '360103000000', 0),"
                        "('360102001001', '甲村', 5, '360102001000', 0),"
                        "('360103001001', '乙村', 5, '360103001000', 0)");
    bf_test_exec(store, "INSERT INTO projects (code, name, region_code, sector, start_year, "
                        "investment, operation_mode, status) VALUES "
                        "('PA', '甲', '360102001001', 'pv', 2020, 1, 'collective', 'operating'),"
                        "('PB', '乙', '360103001001', 'pv', 2020, 1, 'collective', 'operating')");
    bf_test_exec(store, "INSERT INTO assets (code, project_code, name, type, nature, "
                        "original_value, acquired_on, state) VALUES "
                        "('AA', 'PA', 'a', 'equipment', 'operating', 1, '2020-01-01', 'in_use'),"
                        "('AB', 'PB', 'b', 'equipment', 'operating', 1, '2020-01-01', 'in_use')");
    bf_test_exec(store, "INSERT INTO project_years (project_code, year, revenue, profit, "
                        "collective_income, households_benefited) VALUES "
                        "('PA', 2024, 1, 1, 1, 1), ('PB', 2024, 1, 1, 1, 1)");
    bf_test_exec(store, "INSERT INTO households (code, region_code, head_id_hash, head_id_enc, "
                        "head_id_masked, head_name, kind, size, risk_status) VALUES "
                        "('HA', '360102001001', 'ha', 'x', 'x', '张', 'alleviated', 1, 'none'),"
                        "('HB', '360103001001', 'hb', 'x', 'x', '李', 'alleviated', 1, 'none')");
    bf_test_exec(store,
                 "INSERT INTO members (id_hash, household_code, id_enc, id_masked, name, "
                 "relation) VALUES ('ha', 'HA', 'x', 'x', '张', '户主'),"
                 "('hb', 'HB', 'x', 'x', '李', '户主'), ('hb2', 'HB', 'x', 'x', '李二', '子')");
    bf_test_exec(store, "INSERT INTO household_years (household_code, year, income_per_capita) "
                        "VALUES ('HA', 2024, 1), ('HB', 2024, 1)");
    bf_test_exec(store, "INSERT INTO benefits (household_code, project_code, kind) VALUES "
                        "('HA', 'PA', 'jobs'), ('HB', 'PB', 'jobs')");
    bf_test_exec(store, "INSERT INTO rule_sets (year, version, source, created_by, created_at) "
                        "VALUES (2024, 1, 'test', 'test', 0)");
    int64_t set = bf_test_query_int(store, "SELECT MAX(id) FROM rule_sets");
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO classifications (project_code, year, proposed_batch, rule_set_id, "
             "rule_name, explanation, indicators, evidence, run_id, proposed_at) VALUES "
             "('PA', 2024, 'consolidate', %lld, 'x', 'x', '{}', 0, 1, 0),"
             "('PB', 2024, 'upgrade', %lld, 'x', 'x', '{}', 0, 1, 0)",
             (long long)set, (long long)set);
    bf_test_exec(store, sql);
    bf_test_exec(store, "INSERT INTO classification_history (id, project_code, year, event, "
                        "batch, happened_at) VALUES (7, 'PA', 2024, 'proposed', 'consolidate', 0),"
                        "(8, 'PB', 2024, 'proposed', 'upgrade', 0)");
    bf_test_exec(store, "INSERT INTO warnings (id, subject_kind, subject_code, region_code, year, "
                        "rule_code, rule_set_id, explanation, status, opened_at) VALUES "
                        "(41, 'project', 'PA', '360102001001', 2024, 'W', 1, 'x', 'open', 0),"
                        "(42, 'household', 'HB', '360103001001', 2024, 'W', 1, 'x', 'open', 0)");
    bf_test_exec(store, "INSERT INTO users (username, role, region_code, password_hash, "
                        "created_at, updated_at) VALUES ('ev', 'evaluator', '360000000000', 'x', "
                        "0, 0)");
    bf_test_exec(store,
                 "INSERT INTO evaluator_assignments (user_id, project_code, assigned_by, "
                 "assigned_at) SELECT id, 'PB', 'admin', 0 FROM users WHERE username = 'ev'");

    bf_error err;
    bf_error_clear(&err);
    int from = 0, to = 0;
    assert_int_equal(store_migrate_to(store, 6, &from, &to, &err), BF_OK);
    assert_int_equal(from, 5);
    assert_int_equal(to, 6);

    /* Back-filled: from the region (projects, households, warnings) or the parent. */
    static const struct {
        const char *sql;
        int64_t want;
    } checks[] = {
        {"SELECT COUNT(*) FROM projects WHERE county_code = substr(region_code, 1, 6)", 2},
        {"SELECT COUNT(*) FROM households WHERE county_code = substr(region_code, 1, 6)", 2},
        {"SELECT COUNT(*) FROM warnings WHERE county_code = substr(region_code, 1, 6)", 2},
        {"SELECT COUNT(*) FROM assets WHERE county_code = '360103' AND code = 'AB'", 1},
        {"SELECT COUNT(*) FROM assets t JOIN projects p ON p.county_code = t.county_code AND "
         "p.code = t.project_code",
         2},
        {"SELECT COUNT(*) FROM project_years t JOIN projects p ON p.county_code = t.county_code "
         "AND p.code = t.project_code",
         2},
        {"SELECT COUNT(*) FROM members WHERE county_code = '360103'", 2},
        {"SELECT COUNT(*) FROM members t JOIN households h ON h.county_code = t.county_code AND "
         "h.code = t.household_code",
         3},
        {"SELECT COUNT(*) FROM household_years t JOIN households h ON h.county_code = "
         "t.county_code AND h.code = t.household_code",
         2},
        {"SELECT COUNT(*) FROM benefits WHERE county_code = '360102' AND household_code = 'HA'", 1},
        {"SELECT COUNT(*) FROM classifications WHERE county_code = '360103' AND project_code = "
         "'PB'",
         1},
        {"SELECT COUNT(*) FROM classification_history WHERE county_code = '360102' AND id = 7", 1},
        {"SELECT COUNT(*) FROM evaluator_assignments WHERE county_code = '360103'", 1},
        {"SELECT COUNT(*) FROM warnings WHERE county_code = '360103' AND id = 42", 1},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        int64_t got = bf_test_query_int(store, checks[i].sql);
        if (got != checks[i].want)
            fail_msg("%s: %lld, want %lld", checks[i].sql, (long long)got,
                     (long long)checks[i].want);
    }
    /* The identities go on after the copied ids (PostgreSQL restarts them). */
    bf_test_exec(store, "INSERT INTO warnings (county_code, subject_kind, subject_code, "
                        "region_code, year, rule_code, rule_set_id, explanation, status, "
                        "opened_at) VALUES ('360102', 'project', 'PA', '360102001001', 2025, 'W', "
                        "1, 'x', 'open', 0)");
    assert_int_equal(bf_test_query_int(store, "SELECT MAX(id) FROM warnings"), 43);
    bf_test_exec(store, "INSERT INTO classification_history (county_code, project_code, year, "
                        "event, batch, happened_at) VALUES ('360102', 'PA', 2025, 'proposed', "
                        "'consolidate', 0)");
    assert_int_equal(bf_test_query_int(store, "SELECT MAX(id) FROM classification_history"), 9);
    /* What the keys now refuse: a county that is not the region's, a child in
     * another county than its parent, a code taken in another county, a
     * person in a second household. */
    static const char *const refused[] = {
        "INSERT INTO projects (county_code, code, name, region_code, sector, start_year, "
        "investment, operation_mode, status) VALUES ('360103', 'PX', 'x', '360102001001', 'pv', "
        "2020, 1, 'collective', 'operating')",
        "INSERT INTO assets (county_code, code, project_code, name, type, nature, original_value, "
        "acquired_on, state) VALUES ('360103', 'AX', 'PA', 'x', 'equipment', 'operating', 1, "
        "'2020-01-01', 'in_use')",
        "INSERT INTO projects (county_code, code, name, region_code, sector, start_year, "
        "investment, operation_mode, status) VALUES ('360103', 'PA', 'x', '360103001001', 'pv', "
        "2020, 1, 'collective', 'operating')",
        "INSERT INTO members (county_code, id_hash, household_code, id_enc, id_masked, name, "
        "relation) VALUES ('360102', 'hb2', 'HA', 'x', 'x', '李二', '子')",
        "INSERT INTO benefits (county_code, household_code, project_code, kind) VALUES "
        "('360102', 'HA', 'PB', 'dividend')",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        bf_error_clear(&err);
        if (store_exec(store, refused[i], &err) == BF_OK)
            fail_msg("accepted: %s", refused[i]);
    }
    store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_upgrades_an_old_database),
        cmocka_unit_test(test_init_upgrades_an_old_database),
        cmocka_unit_test(test_newer_database_refused),
        cmocka_unit_test(test_migrate_does_not_create),
        cmocka_unit_test(test_county_key_backfill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
