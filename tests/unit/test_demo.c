/*
 * test_demo.c - the demo data generator at county scale: reproducible for a
 * seed, sizes in the expected ranges, every ID number, USCC and enumeration
 * value valid, the demo marker on every ID number, region flags, real cases for
 * every trajectory, and CSV files in the import templates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"
#include "core/date.h"
#include "domain/classify.h"
#include "domain/demo.h"
#include "domain/pii.h"
#include "domain/template.h"
#include "io/validate.h"
#include "store/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ fixtures */

static const char *level_names[] = {"", "province", "city", "county", "township", "village"};

/* The real Jiangxi divisions (tests-only copy in ../shared/data). */
static void load_regions(bf_store *store)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/../shared/data/divisions.csv", bf_test_source_dir());
    FILE *fp = fopen(path, "r");
    if (!fp)
        fail_msg("cannot open %s", path);
    bf_error err;
    bf_error_clear(&err);
    bf_stmt *stmt = NULL;
    assert_int_equal(store_begin(store, &err), BF_OK);
    assert_int_equal(store_prepare(store,
                                   "INSERT INTO regions (code, name, level, parent_code, flags) "
                                   "VALUES (?, ?, ?, ?, 0)",
                                   &stmt, &err),
                     BF_OK);
    char line[512];
    bool header = true;
    while (fgets(line, sizeof line, fp)) {
        if (header) {
            header = false;
            continue;
        }
        line[strcspn(line, "\r\n")] = '\0';
        char *f[4] = {line, NULL, NULL, NULL};
        for (int i = 1; i < 4; i++) {
            f[i] = strchr(f[i - 1], ',');
            assert_non_null(f[i]);
            *f[i]++ = '\0';
        }
        int level = 0;
        for (int i = 1; i <= 5; i++)
            if (strcmp(f[2], level_names[i]) == 0)
                level = i;
        assert_int_not_equal(level, 0);
        store_bind_str(stmt, 1, f[0]);
        store_bind_str(stmt, 2, f[1]);
        store_bind_int64(stmt, 3, level);
        store_bind_str(stmt, 4, *f[3] ? f[3] : NULL);
        assert_int_equal(store_step_done(stmt, &err), BF_OK);
        store_reset(stmt);
    }
    fclose(fp);
    store_finalize(stmt);
    assert_int_equal(store_commit(store, &err), BF_OK);
}

static pii_keys *load_keys(const char *target)
{
    char path[4096];
    pii_key_path(target, NULL, path, sizeof path);
    pii_keys *keys = NULL;
    bf_error err;
    assert_int_equal(pii_keys_load(path, &keys, &err), BF_OK);
    return keys;
}

/* A fresh database with the regions, and the generator run on it. */
static bf_store *generated_db(uint64_t seed, const char *county, const pii_keys *keys,
                              const char *csv_dir, demo_result *result, char *target,
                              size_t target_size)
{
    assert_int_equal(bf_test_db_new(target, target_size), 0);
    bf_store *store = bf_test_db_open(target);
    load_regions(store);
    demo_options opt = {.scale = DEMO_SCALE_COUNTY,
                        .seed = seed,
                        .county = county,
                        .keys = keys,
                        .csv_dir = csv_dir};
    bf_error err;
    bf_error_clear(&err);
    bf_status rc = demo_generate(store, &opt, result, &err);
    if (rc)
        fail_msg("demo_generate: %s", bf_error_text(&err));
    return store;
}

/* Hash every row of every registry (ordered by key), leaving out the encrypted
 * ID numbers, whose nonces are random by design. */
static void checksum(bf_store *store, unsigned char out[32])
{
    static const char *const queries[] = {
        "SELECT code, name, level, parent_code, flags FROM regions ORDER BY code",
        "SELECT * FROM projects ORDER BY code",
        "SELECT * FROM assets ORDER BY code",
        "SELECT * FROM project_years ORDER BY project_code, year",
        ("SELECT code, region_code, head_id_hash, head_id_masked, head_name, kind, size, "
         "risk_status FROM households ORDER BY code"),
        "SELECT id_hash, household_code, id_masked, name, relation FROM members ORDER BY id_hash",
        "SELECT * FROM household_years ORDER BY household_code, year",
        "SELECT * FROM benefits ORDER BY household_code, project_code, kind",
    };
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    bf_error err;
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        bf_stmt *stmt = NULL;
        assert_int_equal(store_prepare(store, queries[q], &stmt, &err), BF_OK);
        bool has_row = false;
        while (store_step(stmt, &has_row, &err) == BF_OK && has_row) {
            for (int c = 0; c < store_column_count(stmt); c++) {
                size_t len = 0;
                const char *text =
                    store_column_is_null(stmt, c) ? "\x01NULL" : store_column_text(stmt, c, &len);
                if (store_column_is_null(stmt, c))
                    len = 5;
                crypto_generichash_update(&st, (const unsigned char *)text, len);
                crypto_generichash_update(&st, (const unsigned char *)"\x1f", 1);
            }
        }
        store_finalize(stmt);
    }
    crypto_generichash_final(&st, out, 32);
}

static int64_t count(bf_store *store, const char *sql)
{
    int64_t n = -1;
    bf_error err;
    if (store_query_int64(store, sql, &n, &err, 0) != BF_OK)
        fail_msg("%s: %s", sql, bf_error_text(&err));
    return n;
}

/* ------------------------------------------------------------ shared run */

typedef struct {
    char target[4096];
    char csv_dir[2048];
    bf_store *store;
    pii_keys *keys;
    demo_result result;
} county_run;

static county_run *run; /* generated once for the tests that only read */

static int setup_run(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    run = calloc(1, sizeof *run);
    char *dir = bf_test_tmpdir();
    snprintf(run->csv_dir, sizeof run->csv_dir, "%s/csv", dir);
    free(dir);
    /* Keys come from the first database made; generated_db makes another. */
    char key_target[4096];
    assert_int_equal(bf_test_db_new(key_target, sizeof key_target), 0);
    run->keys = load_keys(key_target);
    run->store = generated_db(20230922, NULL, run->keys, run->csv_dir, &run->result, run->target,
                              sizeof run->target);
    return 0;
}

static int teardown_run(void **state)
{
    (void)state;
    store_close(run->store);
    pii_keys_free(run->keys);
    free(run);
    return 0;
}

/* ------------------------------------------------------------ tests */

static void test_sizes_in_expected_ranges(void **state)
{
    (void)state;
    bf_store *s = run->store;
    demo_result *r = &run->result;
    /* 广昌县 at the province's density: ~1,000 projects, ~10,000 households. */
    assert_int_equal(r->counties, 1);
    assert_in_range(r->projects, 600, 1600);
    assert_in_range(r->pv_stations, 60, 400);
    assert_in_range(r->households, 6000, 16000);
    assert_in_range(r->members, r->households * 25 / 10, r->households * 35 / 10);
    assert_in_range(r->assets, r->projects * 13 / 10, r->projects * 19 / 10);
    assert_in_range(r->household_years, r->households * 33 / 10, r->households * 4);
    assert_in_range(r->project_years, r->projects * 25 / 10, r->projects * 4);
    assert_true(r->benefits > r->households / 2);
    /* The result counts what the database holds. */
    assert_int_equal(count(s, "SELECT COUNT(*) FROM projects"), r->projects);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM projects WHERE sector = 'pv'"), r->pv_stations);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM assets"), r->assets);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM project_years"), r->project_years);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM households"), r->households);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM members"), r->members);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM household_years"), r->household_years);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM benefits"), r->benefits);
    /* Everything is in the chosen county; household size = its members. */
    assert_int_equal(count(s, "SELECT COUNT(*) FROM projects WHERE region_code NOT LIKE '361030%'"),
                     0);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM households h WHERE size <> "
                              "(SELECT COUNT(*) FROM members m WHERE m.household_code = h.code)"),
                     0);
    /* PV stations only in 脱贫村, with capacity and generation. */
    assert_int_equal(count(s, "SELECT COUNT(*) FROM projects p JOIN regions g ON g.code = "
                              "p.region_code WHERE p.sector = 'pv' AND (g.flags & 4) = 0"),
                     0);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM assets a JOIN projects p ON p.code = "
                              "a.project_code WHERE p.sector = 'pv' AND (a.type <> 'pv_station' "
                              "OR a.capacity_w IS NULL OR a.capacity_w <= 0)"),
                     0);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM project_years y JOIN projects p ON p.code = "
                              "y.project_code WHERE p.sector = 'pv' AND y.generation_kwh IS NULL"),
                     0);
}

static void test_region_flags(void **state)
{
    (void)state;
    bf_store *s = run->store;
    assert_int_equal(run->result.poverty_counties, 25);
    assert_int_equal(run->result.poverty_villages, 3058);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM regions WHERE (flags & 1) <> 0 AND level = 3"),
                     25);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM regions WHERE (flags & 1) <> 0"), 25);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM regions WHERE (flags & 4) <> 0 AND level = 5"),
                     3058);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM regions WHERE (flags & 4) <> 0"), 3058);
    /* Weighted toward the poverty counties. */
    int64_t inside = count(s, "SELECT COUNT(*) FROM regions v JOIN regions c ON c.code = "
                              "substr(v.code, 1, 6) || '000000' WHERE (v.flags & 4) <> 0 AND "
                              "(c.flags & 1) <> 0");
    assert_in_range(inside, 2000, 2300);
    /* 广昌县 (one of the 25) is flagged. */
    assert_int_equal(count(s, "SELECT flags & 1 FROM regions WHERE code = '361030000000'"), 1);
    /* No 重点帮扶县: neither the plan nor the data the product keeps names
     * them (docs/demo.md), so the demo invents none. */
    assert_int_equal(count(s, "SELECT COUNT(*) FROM regions WHERE (flags & 2) <> 0"), 0);
}

static void test_every_id_number_valid_and_marked(void **state)
{
    (void)state;
    bf_store *s = run->store;
    bf_error err;
    bf_stmt *stmt = NULL;
    bf_date today = {2026, 11, 29};
    assert_int_equal(
        store_prepare(s, "SELECT id_hash, id_enc, id_masked FROM members", &stmt, &err), BF_OK);
    bool has_row = false;
    long n = 0;
    while (store_step(stmt, &has_row, &err) == BF_OK && has_row) {
        char id[32], hash[PII_HASH_HEX_LEN + 1], masked[PII_MASKED_LEN + 1];
        assert_int_equal(pii_id_decrypt(run->keys, store_column_text(stmt, 1, NULL), id, sizeof id),
                         BF_OK);
        const char *reason = NULL;
        if (!bf_id_number_valid(id, strlen(id), today, &reason))
            fail_msg("invalid ID %s: %s", id, reason);
        assert_memory_equal(id, DEMO_ID_PREFIX, 4);
        pii_id_hash(run->keys, id, strlen(id), hash);
        assert_string_equal(hash, store_column_text(stmt, 0, NULL));
        pii_id_mask(id, strlen(id), masked);
        assert_string_equal(masked, store_column_text(stmt, 2, NULL));
        assert_memory_equal(masked, "369", 3);
        n++;
    }
    store_finalize(stmt);
    assert_int_equal(n, run->result.members);
    /* Every head is a member of the household, with relation 户主. */
    assert_int_equal(count(s,
                           "SELECT COUNT(*) FROM households h JOIN members m ON m.id_hash = "
                           "h.head_id_hash AND m.household_code = h.code AND m.relation = '户主'"),
                     run->result.households);
}

static void test_every_uscc_valid(void **state)
{
    (void)state;
    bf_error err;
    bf_stmt *stmt = NULL;
    assert_int_equal(store_prepare(run->store, "SELECT operator_code, operation_mode FROM projects",
                                   &stmt, &err),
                     BF_OK);
    bool has_row = false;
    long with_code = 0;
    while (store_step(stmt, &has_row, &err) == BF_OK && has_row) {
        const char *mode = store_column_text(stmt, 1, NULL);
        if (store_column_is_null(stmt, 0)) {
            assert_string_equal(mode, "household"); /* a farmer has no USCC */
            continue;
        }
        size_t len;
        const char *code = store_column_text(stmt, 0, &len);
        const char *reason = NULL;
        if (!bf_uscc_valid(code, len, &reason))
            fail_msg("invalid USCC %s: %s", code, reason);
        assert_memory_equal(code + 2, "361030", 6);
        with_code++;
    }
    store_finalize(stmt);
    assert_true(with_code > run->result.projects / 2);
}

static void check_enum(const char *sql, const tpl_enum_value *values)
{
    bf_error err;
    bf_stmt *stmt = NULL;
    assert_int_equal(store_prepare(run->store, sql, &stmt, &err), BF_OK);
    bool has_row = false;
    long n = 0;
    while (store_step(stmt, &has_row, &err) == BF_OK && has_row) {
        size_t len;
        const char *v = store_column_text(stmt, 0, &len);
        const tpl_enum_value *e = tpl_enum_lookup(values, v, len);
        if (!e || strcmp(e->id, v) != 0)
            fail_msg("%s: value %s is not an enumeration id", sql, v);
        n++;
    }
    store_finalize(stmt);
    assert_true(n > 0);
}

static void test_every_enum_value_valid(void **state)
{
    (void)state;
    check_enum("SELECT DISTINCT sector FROM projects", tpl_sectors);
    check_enum("SELECT DISTINCT operation_mode FROM projects", tpl_operation_modes);
    check_enum("SELECT DISTINCT status FROM projects", tpl_project_statuses);
    check_enum("SELECT DISTINCT type FROM assets", tpl_asset_types);
    check_enum("SELECT DISTINCT nature FROM assets", tpl_asset_natures);
    check_enum("SELECT DISTINCT state FROM assets", tpl_asset_states);
    check_enum("SELECT DISTINCT kind FROM households", tpl_household_kinds);
    check_enum("SELECT DISTINCT risk_status FROM households", tpl_risk_statuses);
    check_enum("SELECT DISTINCT kind FROM benefits", tpl_benefit_kinds);
    /* Every mode, every household kind and every project status occurs. */
    assert_int_equal(count(run->store, "SELECT COUNT(DISTINCT operation_mode) FROM projects"), 5);
    assert_int_equal(count(run->store, "SELECT COUNT(DISTINCT kind) FROM households"), 5);
    assert_int_equal(count(run->store, "SELECT COUNT(DISTINCT status) FROM projects"), 5);
}

/* Each trajectory leaves the evidence the classification rules look for. */
static void test_real_cases_for_every_batch(void **state)
{
    (void)state;
    bf_store *s = run->store;
    /* 另起炉灶: stopped >= 24 months with no collective income in 2024-2025. */
    assert_true(
        count(s, "SELECT COUNT(*) FROM projects p WHERE status = 'stopped' AND idle_since "
                 "<= '2023-12-31' AND NOT EXISTS (SELECT 1 FROM project_years y WHERE "
                 "y.project_code = p.code AND y.year >= 2024 AND y.collective_income > 0)") > 3);
    /* 另起炉灶: losses 2023, 2024 and 2025. */
    assert_true(count(s, "SELECT COUNT(*) FROM projects p WHERE 3 = (SELECT COUNT(*) FROM "
                         "project_years y WHERE y.project_code = p.code AND y.year >= 2023 AND "
                         "y.profit < 0) AND p.start_year <= 2016") > 3);
    /* 盘活: idle since the first half of 2025; or no collective income in 2025. */
    assert_true(count(s, "SELECT COUNT(*) FROM projects WHERE status = 'idle' AND idle_since >= "
                         "'2025-01-01'") > 10);
    assert_true(count(s, "SELECT COUNT(*) FROM project_years WHERE year = 2025 AND "
                         "collective_income = 0") > 10);
    assert_true(count(s, "SELECT COUNT(*) FROM assets WHERE state = 'idle' AND idle_since IS NOT "
                         "NULL") > 10);
    /* 提升: return under 5 %; fewer than 5 households; income down > 20 %. */
    assert_true(count(s, "SELECT COUNT(*) FROM project_years y JOIN projects p ON p.code = "
                         "y.project_code WHERE y.year = 2025 AND y.collective_income > 0 AND "
                         "y.collective_income * 100 < p.investment * 5") > 20);
    assert_true(count(s, "SELECT COUNT(*) FROM project_years WHERE year = 2025 AND "
                         "households_benefited < 5 AND collective_income > 0") > 5);
    assert_true(count(s, "SELECT COUNT(*) FROM project_years a JOIN project_years b ON "
                         "b.project_code = a.project_code AND b.year = 2024 WHERE a.year = 2025 "
                         "AND a.collective_income > 0 AND a.collective_income * 10 < "
                         "b.collective_income * 8") > 20);
    /* 巩固: the majority earns at least 5 %. */
    assert_true(count(s, "SELECT COUNT(*) FROM project_years y JOIN projects p ON p.code = "
                         "y.project_code WHERE y.year = 2025 AND y.collective_income * 100 >= "
                         "p.investment * 5") > run->result.projects / 3);
    /* Monitoring: incomes under the 2025 threshold (7,600 yuan) and sharp falls. */
    assert_true(count(s, "SELECT COUNT(*) FROM household_years WHERE year = 2025 AND "
                         "income_per_capita < 760000") > 50);
    assert_true(count(s, "SELECT COUNT(*) FROM household_years a JOIN household_years b ON "
                         "b.household_code = a.household_code AND b.year = a.year - 1 WHERE "
                         "a.income_per_capita * 10 < b.income_per_capita * 7") > 20);
    /* Households linked to failed projects. */
    assert_true(count(s, "SELECT COUNT(*) FROM benefits b JOIN projects p ON p.code = "
                         "b.project_code WHERE p.status IN ('stopped', 'disposed')") > 20);
    /* Dividends reach households; parts add up to at most the total. */
    assert_true(count(s, "SELECT COUNT(*) FROM household_years WHERE asset_dividend > 0") > 100);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM household_years y JOIN households h ON h.code "
                              "= y.household_code WHERE y.wages < 0 OR y.operating_income < 0 OR "
                              "y.transfer_income < 0 OR y.property_income < y.asset_dividend OR "
                              "(y.wages + y.operating_income + y.property_income + "
                              "y.transfer_income) / h.size <> y.income_per_capita"),
                     0);
}

/* The default rule set, run on the demo: every batch rule and every warning
 * rule fires on some project or household. */
static void test_every_default_rule_fires(void **state)
{
    (void)state;
    bf_store *s = run->store;
    assert_int_equal(run->result.thresholds, DEMO_LAST_YEAR - DEMO_FIRST_YEAR + 1);
    assert_int_equal(count(s, "SELECT COUNT(DISTINCT year) FROM thresholds"), 4);
    classify_options opt = {.year = DEMO_LAST_YEAR, .actor = "test"};
    classify_result result;
    bf_error err;
    bf_error_clear(&err);
    if (classify_run(s, &opt, &result, &err) != BF_OK)
        fail_msg("classify_run: %s", bf_error_text(&err));
    assert_true(result.threshold_set);
    assert_int_equal(result.projects + count(s, "SELECT COUNT(*) FROM projects WHERE status = "
                                                "'disposed'"),
                     run->result.projects);
    bf_stmt *stmt = NULL;
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT r.code, (SELECT COUNT(*) FROM classifications c WHERE c.rule_code = r.code) "
             "+ (SELECT COUNT(*) FROM warnings w WHERE w.rule_code = r.code) FROM rules r WHERE "
             "r.rule_set_id = %lld",
             (long long)result.rule_set_id);
    assert_int_equal(store_prepare(s, sql, &stmt, &err), BF_OK);
    bool has_row = false;
    int rules = 0;
    while (store_step(stmt, &has_row, &err) == BF_OK && has_row) {
        const char *code = store_column_text(stmt, 0, NULL);
        int64_t fired = store_column_int64(stmt, 1);
        if (fired < 3)
            fail_msg("rule %s fired %lld times on the demo", code, (long long)fired);
        rules++;
    }
    store_finalize(stmt);
    assert_true(rules >= 10);
    /* Every batch has real cases, 巩固 the most. */
    for (size_t b = 0; b < result.batches.count; b++)
        assert_true(result.per_batch[b] > 10);
}

/* Same seed, same records (a small county, 横峰县, to keep the test quick on
 * PostgreSQL); another seed, other records. The county alone equals itself
 * inside a larger run: compare its projects with the shared run's seed. */
static void test_reproducible_for_a_seed(void **state)
{
    (void)state;
    unsigned char first[32], again[32], other[32];
    char target[4096];
    demo_result r1, r2, r3;
    bf_store *store = generated_db(20230922, "361125", run->keys, NULL, &r1, target, sizeof target);
    checksum(store, first);
    store_close(store);
    store = generated_db(20230922, "361125000000", run->keys, NULL, &r2, target, sizeof target);
    checksum(store, again);
    store_close(store);
    assert_memory_equal(first, again, 32);
    assert_memory_equal(&r1, &r2, sizeof r1);
    assert_true(r1.households > 1000);

    store = generated_db(7, "361125", run->keys, NULL, &r3, target, sizeof target);
    checksum(store, other);
    store_close(store);
    assert_memory_not_equal(first, other, 32);
}

/* Count the data rows of a CSV file and check its header is the template's. */
static long csv_rows(const char *dir, tpl_kind kind)
{
    const tpl_template *tpl = tpl_get(kind);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.csv", dir, tpl->name);
    size_t len = 0;
    char *text = bf_test_read_file(path, &len);
    if (!text)
        fail_msg("missing %s", path);
    assert_memory_equal(text, "\xEF\xBB\xBF", 3);
    char header[2048] = "\xEF\xBB\xBF";
    for (size_t c = 0; c < tpl->ncolumns; c++) {
        strcat(header, tpl->columns[c].header);
        strcat(header, c + 1 < tpl->ncolumns ? "," : "\r\n");
    }
    assert_memory_equal(text, header, strlen(header));
    long lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    free(text);
    return lines - 1;
}

static void test_csv_files_in_templates(void **state)
{
    (void)state;
    demo_result *r = &run->result;
    assert_int_equal(csv_rows(run->csv_dir, TPL_REGIONS),
                     count(run->store, "SELECT COUNT(*) FROM regions"));
    assert_int_equal(csv_rows(run->csv_dir, TPL_PROJECTS), r->projects);
    assert_int_equal(csv_rows(run->csv_dir, TPL_ASSETS), r->assets);
    assert_int_equal(csv_rows(run->csv_dir, TPL_PROJECT_YEARS), r->project_years);
    assert_int_equal(csv_rows(run->csv_dir, TPL_HOUSEHOLDS), r->households);
    assert_int_equal(csv_rows(run->csv_dir, TPL_MEMBERS), r->members);
    assert_int_equal(csv_rows(run->csv_dir, TPL_HOUSEHOLD_YEARS), r->household_years);
    assert_int_equal(csv_rows(run->csv_dir, TPL_BENEFITS), r->benefits);
    /* ID numbers in plain text with the marker; money in yuan; enums in Chinese. */
    char path[4096];
    snprintf(path, sizeof path, "%s/members.csv", run->csv_dir);
    char *text = bf_test_read_file(path, NULL);
    char *second = strstr(text, "\r\n") + 2;
    assert_non_null(strstr(second, "," DEMO_ID_PREFIX));
    free(text);
    snprintf(path, sizeof path, "%s/projects.csv", run->csv_dir);
    text = bf_test_read_file(path, NULL);
    assert_non_null(strstr(text, ",正常运营,"));
    assert_non_null(strstr(text, "光伏"));
    assert_null(strstr(text, ",operating,"));
    free(text);
    snprintf(path, sizeof path, "%s/regions.csv", run->csv_dir);
    text = bf_test_read_file(path, NULL);
    assert_non_null(strstr(text, "361030000000,广昌县,脱贫县\r\n"));
    assert_non_null(strstr(text, ",脱贫村\r\n"));
    free(text);
}

static void test_refuses_bad_databases(void **state)
{
    (void)state;
    demo_options opt = {.scale = DEMO_SCALE_COUNTY, .seed = 1, .keys = run->keys};
    bf_error err;
    bf_error_clear(&err);
    /* Registries not empty. */
    assert_int_equal(demo_generate(run->store, &opt, NULL, &err), BF_ERR_STATE);
    assert_non_null(strstr(err.msg, "已有"));

    char target[4096];
    assert_int_equal(bf_test_db_new(target, sizeof target), 0);
    bf_store *store = bf_test_db_open(target);
    /* No regions. */
    assert_int_equal(demo_generate(store, &opt, NULL, &err), BF_ERR_STATE);
    assert_non_null(strstr(err.msg, "行政区划"));
    load_regions(store);
    /* Unknown county, and a code that is not a county. */
    opt.county = "369999";
    assert_int_equal(demo_generate(store, &opt, NULL, &err), BF_ERR_NOT_FOUND);
    opt.county = "3610";
    assert_int_equal(demo_generate(store, &opt, NULL, &err), BF_ERR_INVALID);
    /* Nothing was written by the failures. */
    assert_int_equal(count(store, "SELECT COUNT(*) FROM projects"), 0);
    assert_int_equal(count(store, "SELECT COUNT(*) FROM regions WHERE flags <> 0"), 0);
    /* A CSV folder that cannot be created. */
    opt.county = NULL;
    opt.csv_dir = "/proc/no/such/dir";
    assert_int_equal(demo_generate(store, &opt, NULL, &err), BF_ERR_IO);
    assert_int_equal(count(store, "SELECT COUNT(*) FROM projects"), 0);
    store_close(store);
}

static void test_identifier_builders(void **state)
{
    (void)state;
    char id[19], uscc[19];
    bf_date today = {2026, 11, 29};
    demo_id_number(7, 1968, 2, 29, 123, id);
    assert_int_equal(strlen(id), 18);
    assert_memory_equal(id, "36990719680229123", 17);
    assert_true(bf_id_number_valid(id, 18, today, NULL));
    /* Every check character, including X, comes out valid. */
    bool seen_x = false;
    for (int seq = 0; seq < 200; seq++) {
        demo_id_number(1, 1990, 5, 17, seq, id);
        assert_true(bf_id_number_valid(id, 18, today, NULL));
        seen_x = seen_x || id[17] == 'X';
    }
    assert_true(seen_x);
    for (uint64_t serial = 0; serial < 500; serial++) {
        demo_uscc(serial % 2 ? "91" : "N2", "361030", serial * 7919, uscc);
        assert_int_equal(strlen(uscc), 18);
        assert_true(bf_uscc_valid(uscc, 18, NULL));
        assert_memory_equal(uscc + 2, "361030", 6);
    }
    demo_scale scale;
    assert_true(demo_scale_parse("quarter", &scale));
    assert_int_equal(scale, DEMO_SCALE_QUARTER);
    assert_string_equal(demo_scale_name(DEMO_SCALE_PROVINCE), "province");
    assert_false(demo_scale_parse("nation", &scale));
    assert_false(demo_scale_parse("", &scale));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identifier_builders),
        cmocka_unit_test(test_sizes_in_expected_ranges),
        cmocka_unit_test(test_region_flags),
        cmocka_unit_test(test_every_id_number_valid_and_marked),
        cmocka_unit_test(test_every_uscc_valid),
        cmocka_unit_test(test_every_enum_value_valid),
        cmocka_unit_test(test_real_cases_for_every_batch),
        cmocka_unit_test(test_csv_files_in_templates),
        cmocka_unit_test(test_every_default_rule_fires),
        cmocka_unit_test(test_reproducible_for_a_seed),
        cmocka_unit_test(test_refuses_bad_databases),
    };
    return cmocka_run_group_tests(tests, setup_run, teardown_run);
}
