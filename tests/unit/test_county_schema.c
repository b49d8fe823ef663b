/*
 * test_county_schema.c - the claims docs/scaling.md makes about the schema,
 * checked on the backend under test from its own catalogue: every table to
 * be distributed by county has county_code NOT NULL; every unique index of
 * such a table (the keys: there are no inline primary keys) includes
 * county_code, except the national rules listed below; every foreign key
 * between two such tables joins on county_code too; and what the writers
 * store (the importer, the demo generator, the classification) agrees with
 * those keys (SQLite imports with foreign-key enforcement off, so
 * PRAGMA foreign_key_check proves the importer's county codes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const distributed[] = {"projects",
                                          "assets",
                                          "project_years",
                                          "households",
                                          "members",
                                          "household_years",
                                          "benefits",
                                          "classifications",
                                          "classification_history",
                                          "warnings",
                                          "evaluator_assignments",
                                          NULL};

/* Unique indexes without county_code, each a rule the Citus conversion
 * (docs/citus/constraints.sql) replaces. */
static const char *const national[] = {
    "projects_code",   /* a project code is unique in the nation */
    "households_code", /* a household code likewise */
    "assets_code",     /* an asset code likewise */
    "members_person",  /* a person belongs to one household only */
    /* PostgreSQL only: the identities (unique by construction), which the
     * conversion re-keys as (county_code, id). */
    "classification_history_pkey", "warnings_pkey", NULL};

static bool is_pg(void)
{
    const char *backend = getenv("BF_TEST_BACKEND");
    return backend && strcmp(backend, "pg") == 0;
}

static bool listed(const char *const *list, const char *name)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

/* Each row of sql (one text parameter: the table) as "a|b|..." strings. */
static char **rows(bf_store *store, const char *sql, const char *table, size_t *n)
{
    bf_error err;
    bf_error_clear(&err);
    bf_stmt *stmt = NULL;
    assert_int_equal(store_prepare(store, sql, &stmt, &err), BF_OK);
    if (table)
        store_bind_str(stmt, 1, table);
    char **out = NULL;
    *n = 0;
    bool has_row = false;
    while (store_step(stmt, &has_row, &err) == BF_OK && has_row) {
        char line[1024] = "";
        size_t used = 0;
        for (int c = 0; c < store_column_count(stmt); c++) {
            const char *v = store_column_is_null(stmt, c) ? "" : store_column_text(stmt, c, NULL);
            int w = snprintf(line + used, sizeof line - used, "%s%s", c ? "|" : "", v);
            if (w > 0 && (size_t)w < sizeof line - used)
                used += (size_t)w;
        }
        out = realloc(out, (*n + 1) * sizeof *out);
        out[(*n)++] = strdup(line);
    }
    assert_int_equal(err.status, BF_OK);
    store_finalize(stmt);
    return out;
}

static void free_rows(char **r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(r[i]);
    free(r);
}

static void test_county_code_not_null(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    const char *sql = is_pg() ? "SELECT is_nullable FROM information_schema.columns WHERE "
                                "table_schema = current_schema() AND table_name = ? AND "
                                "column_name = 'county_code'"
                              : "SELECT CASE \"notnull\" WHEN 1 THEN 'NO' ELSE 'YES' END FROM "
                                "pragma_table_info(?) WHERE name = 'county_code'";
    for (int t = 0; distributed[t]; t++) {
        size_t n = 0;
        char **r = rows(store, sql, distributed[t], &n);
        if (n != 1 || strcmp(r[0], "NO") != 0)
            fail_msg("%s: county_code missing or nullable", distributed[t]);
        free_rows(r, n);
    }
    store_close(store);
}

/* "index|column,column,...|unique" of every index of a table. */
static char **index_rows(bf_store *store, const char *table, size_t *n)
{
    if (is_pg())
        return rows(store,
                    "SELECT c.relname, (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM "
                    "unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute a ON "
                    "a.attrelid = i.indrelid AND a.attnum = k.attnum), "
                    "CASE WHEN i.indisunique THEN 1 ELSE 0 END FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ?::regclass "
                    "ORDER BY c.relname",
                    table, n);
    return rows(store,
                "SELECT l.name, (SELECT group_concat(name, ',') FROM (SELECT x.name FROM "
                "pragma_index_info(l.name) x ORDER BY x.seqno)), l.\"unique\" "
                "FROM pragma_index_list(?) l ORDER BY l.name",
                table, n);
}

static void test_keys_include_the_county(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    int bad = 0, keys = 0;
    for (int t = 0; distributed[t]; t++) {
        size_t n = 0;
        char **r = index_rows(store, distributed[t], &n);
        for (size_t i = 0; i < n; i++) {
            char name[128], cols[512];
            int unique = 0;
            if (sscanf(r[i], "%127[^|]|%511[^|]|%d", name, cols, &unique) != 3)
                fail_msg("%s: unreadable index row %s", distributed[t], r[i]);
            /* No undroppable autoindex of an inline PRIMARY KEY / UNIQUE. */
            if (strncmp(name, "sqlite_autoindex", 16) == 0) {
                fprintf(stderr, "%s: inline key %s (%s)\n", distributed[t], name, cols);
                bad++;
            }
            if (!unique)
                continue;
            keys++;
            char padded[520];
            snprintf(padded, sizeof padded, ",%s,", cols);
            if (!strstr(padded, ",county_code,") && !listed(national, name)) {
                fprintf(stderr, "%s: unique index %s (%s) lacks county_code\n", distributed[t],
                        name, cols);
                bad++;
            }
        }
        free_rows(r, n);
    }
    assert_true(keys >= 11); /* one key per table at least */
    assert_int_equal(bad, 0);
    store_close(store);
}

static void test_foreign_keys_include_the_county(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    /* "referenced table|from columns|to columns" per foreign key. */
    const char *sql =
        is_pg() ? "SELECT f.relname, (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM "
                  "unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute a ON "
                  "a.attrelid = c.conrelid AND a.attnum = k.attnum), "
                  "(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM "
                  "unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute a ON "
                  "a.attrelid = c.confrelid AND a.attnum = k.attnum) "
                  "FROM pg_constraint c JOIN pg_class f ON f.oid = c.confrelid "
                  "WHERE c.conrelid = ?::regclass AND c.contype = 'f'"
                : "SELECT \"table\", group_concat(\"from\", ','), group_concat(\"to\", ',') FROM "
                  "(SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq) GROUP BY id";
    int between = 0, bad = 0;
    for (int t = 0; distributed[t]; t++) {
        size_t n = 0;
        char **r = rows(store, sql, distributed[t], &n);
        for (size_t i = 0; i < n; i++) {
            char parent[128], from[256], to[256];
            if (sscanf(r[i], "%127[^|]|%255[^|]|%255[^|]", parent, from, to) != 3)
                fail_msg("%s: unreadable foreign key %s", distributed[t], r[i]);
            if (!listed(distributed, parent))
                continue; /* to a reference table (regions, batches, rule_sets) or users */
            between++;
            if (strncmp(from, "county_code,", 12) != 0 || strncmp(to, "county_code,", 12) != 0) {
                fprintf(stderr, "%s -> %s (%s -> %s) does not join on county_code\n",
                        distributed[t], parent, from, to);
                bad++;
            }
        }
        free_rows(r, n);
    }
    assert_true(between >= 8);
    assert_int_equal(bad, 0);
    store_close(store);
}

/* The writers: a demo county (SQLite), the import fixtures on top (two
 * counties: projects, assets, years, households, members, benefits), a
 * classification with its warnings. Every row's county agrees with its
 * region or its parent. */
static void test_writers_fill_the_county(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    store_close(store);
    char *out = NULL, *errout = NULL;
    /* The demo writes row by row (on PostgreSQL a round trip each: minutes
     * for a county), with the same statements on both backends: SQLite's
     * run checks it. */
    if (!is_pg()) {
        if (bf_test_run(&out, &errout, "demo --db '%s' --seed 7", target) != 0)
            fail_msg("demo: %s", errout);
        free(out);
        free(errout);
    }
    char path[4200];
    static const char *const kinds[] = {"regions", "projects",      "assets",          "households",
                                        "members", "project_years", "household_years", "benefits"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "tests/import/fixtures/%s.csv", kinds[i]);
        bf_test_source_path(rel, path, sizeof path);
        if (bf_test_run(&out, &errout, "import %s '%s' --db '%s'", kinds[i], path, target) != 0)
            fail_msg("import %s: %s %s", kinds[i], out, errout);
        free(out);
        free(errout);
    }
    if (bf_test_run(&out, &errout, "classify --year 2024 --db '%s'", target) != 0)
        fail_msg("classify: %s", errout);
    free(out);
    free(errout);
    store = bf_test_db_open(target);
    static const char *const zero[] = {
        "SELECT COUNT(*) FROM projects WHERE county_code <> substr(region_code, 1, 6)",
        "SELECT COUNT(*) FROM households WHERE county_code <> substr(region_code, 1, 6)",
        "SELECT COUNT(*) FROM warnings WHERE county_code <> substr(region_code, 1, 6)",
        "SELECT COUNT(*) FROM assets t LEFT JOIN projects p ON p.county_code = t.county_code "
        "AND p.code = t.project_code WHERE p.code IS NULL",
        "SELECT COUNT(*) FROM project_years t LEFT JOIN projects p ON p.county_code = "
        "t.county_code AND p.code = t.project_code WHERE p.code IS NULL",
        "SELECT COUNT(*) FROM members t LEFT JOIN households h ON h.county_code = t.county_code "
        "AND h.code = t.household_code WHERE h.code IS NULL",
        "SELECT COUNT(*) FROM household_years t LEFT JOIN households h ON h.county_code = "
        "t.county_code AND h.code = t.household_code WHERE h.code IS NULL",
        "SELECT COUNT(*) FROM benefits t LEFT JOIN households h ON h.county_code = t.county_code "
        "AND h.code = t.household_code LEFT JOIN projects p ON p.county_code = t.county_code "
        "AND p.code = t.project_code WHERE h.code IS NULL OR p.code IS NULL",
        "SELECT COUNT(*) FROM classifications t LEFT JOIN projects p ON p.county_code = "
        "t.county_code AND p.code = t.project_code WHERE p.code IS NULL",
        "SELECT COUNT(*) FROM classification_history t LEFT JOIN projects p ON p.county_code = "
        "t.county_code AND p.code = t.project_code WHERE p.code IS NULL",
    };
    for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++) {
        int64_t got = bf_test_query_int(store, zero[i]);
        if (got != 0)
            fail_msg("%lld rows: %s", (long long)got, zero[i]);
    }
    /* Something of each was written, in more than one county. */
    assert_true(bf_test_query_int(store, "SELECT COUNT(*) FROM classifications") > 0);
    assert_true(bf_test_query_int(store, "SELECT COUNT(*) FROM warnings") > 0);
    assert_true(bf_test_query_int(store, "SELECT COUNT(DISTINCT county_code) FROM members") >= 2);
    if (!is_pg())
        assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM pragma_foreign_key_check"),
                         0);
    store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_county_code_not_null),
        cmocka_unit_test(test_keys_include_the_county),
        cmocka_unit_test(test_foreign_keys_include_the_county),
        cmocka_unit_test(test_writers_fill_the_county),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
