/*
 * test_http_scope.c - regional scoping, the property that must never break,
 * proved for every endpoint that reads or writes records: two sibling
 * counties (A 360102, B 360103) and an evaluator assigned one project of A.
 * A record outside the caller's scope answers 404 exactly like a missing
 * one; lists and aggregates never include it. Cases are rows of a table,
 * run in order (classification runs come before their results, the warnings
 * are seeded with known ids), and every route of http_routes() must have at
 * least one row, so a new route without scoping cases fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_http_test.h"
#include "bf_test.h"
#include "http/router.h"
#include "io/validate.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *user;
    const char *method;
    const char *path;
    const char *body; /* JSON, or NULL */
    long status;
    const char *must;         /* the body must contain this (or NULL) */
    const char *must_not;     /* the body must not contain this (or NULL) */
    const char *content_type; /* of the body; NULL: application/json */
} scope_case;

#define HH_BODY(code, region, id)                                                                  \
    "{\"code\":\"" code "\",\"region_code\":\"" region "\",\"head_id_number\":\"" id               \
    "\",\"head_name\":\"王五\",\"kind\":\"marginal\",\"size\":1,\"risk_status\":\"at_risk\"}"
#define CSV_HEAD "项目编号,项目名称,区划代码,产业类别,建设年份,总投资,经营模式,经营状态\r\n"

static const scope_case cases[] = {
    /* Lists: only the own county's records. */
    {"opA", "GET", "/api/v1/projects", NULL, 200, "PA1", "PB"},
    {"opB", "GET", "/api/v1/projects", NULL, 200, "PB1", "PA"},
    {"opA", "GET", "/api/v1/projects?region=360103", NULL, 200, "\"total\":0", "PB"},
    {"opA", "GET", "/api/v1/assets", NULL, 200, "AA1", "AB"},
    {"opA", "GET", "/api/v1/project-years", NULL, 200, "PA1", "PB"},
    {"opA", "GET", "/api/v1/households", NULL, 200, "HA1", "HB1"},
    {"opA", "GET", "/api/v1/household-years", NULL, 200, "HA1", "HB1"},
    {"opA", "GET", "/api/v1/benefits", NULL, 200, "HA1", "HB1"},
    {"opA", "GET", "/api/v1/evaluator-assignments", NULL, 200, "PA1", "PB"},
    {"opB", "GET", "/api/v1/evaluator-assignments", NULL, 200, "\"items\":[]", "PA1"},
    /* Details of the sibling's records: 404, same as a missing record. */
    {"opA", "GET", "/api/v1/projects/PB1", NULL, 404, NULL, "乙村"},
    {"opA", "GET", "/api/v1/assets/AB1", NULL, 404, NULL, "牛舍"},
    {"opA", "GET", "/api/v1/project-years/PB1/2024", NULL, 404, NULL, NULL},
    {"opA", "GET", "/api/v1/households/HB1", NULL, 404, NULL, NULL},
    {"opA", "GET", "/api/v1/household-years/HB1/2024", NULL, 404, NULL, NULL},
    {"opB", "GET", "/api/v1/projects/PA1", NULL, 404, NULL, "甲村"},
    {"opA", "GET", "/api/v1/regions/360103000000", NULL, 404, NULL, NULL},
    {"opA", "GET", "/api/v1/regions/360100000000", NULL, 404, NULL, NULL},
    /* Writes to the sibling's records or into the sibling's region. */
    {"opA", "PATCH", "/api/v1/projects/PB1", "{\"name\":\"x\",\"version\":1}", 404, NULL, NULL},
    {"opA", "PATCH", "/api/v1/assets/AB1", "{\"name\":\"x\",\"version\":1}", 404, NULL, NULL},
    {"opA", "PATCH", "/api/v1/project-years/PB1/2024", "{\"jobs\":1,\"version\":1}", 404, NULL,
     NULL},
    {"opA", "PATCH", "/api/v1/households/HB1", "{\"size\":1,\"version\":1}", 404, NULL, NULL},
    {"opA", "PATCH", "/api/v1/household-years/HB1/2024", "{\"wages\":\"1\",\"version\":1}", 404,
     NULL, NULL},
    /* A province account may move a record between counties of its scope, but
     * the county is part of every key: refused, naming both counties. */
    {"admin1", "PATCH", "/api/v1/projects/PA2", "{\"region_code\":\"360103001001\",\"version\":1}",
     422, "不能改到另一个县", NULL},
    {"admin1", "PATCH", "/api/v1/households/HA1",
     "{\"region_code\":\"360103001001\",\"version\":1}", 422, "不能改到另一个县", NULL},
    {"opA", "PATCH", "/api/v1/projects/PA1", "{\"region_code\":\"360103001001\",\"version\":1}",
     422, "管辖范围", NULL},
    {"opA", "POST", "/api/v1/projects",
     "{\"code\":\"PZ\",\"name\":\"z\",\"region_code\":\"360103001001\",\"sector\":\"pv\","
     "\"start_year\":2020,\"investment\":\"1\",\"operation_mode\":\"collective\","
     "\"status\":\"operating\"}",
     422, "管辖范围", NULL},
    {"opA", "POST", "/api/v1/assets",
     "{\"code\":\"AZ\",\"project_code\":\"PB1\",\"name\":\"z\",\"type\":\"equipment\","
     "\"nature\":\"operating\",\"original_value\":\"1\",\"acquired_on\":\"2020-01-01\","
     "\"state\":\"in_use\"}",
     422, "不存在", NULL},
    {"opA", "POST", "/api/v1/project-years",
     "{\"project_code\":\"PB1\",\"year\":2025,\"revenue\":\"1\",\"profit\":\"1\","
     "\"collective_income\":\"1\",\"households_benefited\":1}",
     422, "不存在", NULL},
    {"opA", "POST", "/api/v1/household-years",
     "{\"household_code\":\"HB1\",\"year\":2025,\"income_per_capita\":\"1\"}", 422, "不存在", NULL},
    {"opA", "POST", "/api/v1/benefits",
     "{\"household_code\":\"HB1\",\"project_code\":\"PA1\",\"kind\":\"jobs\"}", 422, "不存在",
     NULL},
    {"opA", "POST", "/api/v1/benefits",
     "{\"household_code\":\"HA1\",\"project_code\":\"PB1\",\"kind\":\"jobs\"}", 422, "不存在",
     NULL},
    {"opA", "DELETE", "/api/v1/benefits/HB1/PB1/jobs", NULL, 404, NULL, NULL},
    {"opA", "POST", "/api/v1/households/HB1/reveal", NULL, 404, NULL, "3601031980"},
    {"opA", "POST", "/api/v1/households/HB1/members",
     "{\"id_number\":\"360103201801010013\",\"name\":\"x\",\"relation\":\"子\"}", 404, NULL, NULL},
    {"opA", "DELETE", "/api/v1/households/HB1/members/00000000000000000000000000000000", NULL, 404,
     NULL, NULL},
    {"opA", "POST", "/api/v1/evaluator-assignments",
     "{\"username\":\"evalA\",\"project_code\":\"PB1\"}", 404, NULL, NULL},
    {"opA", "DELETE", "/api/v1/evaluator-assignments/PB1/evalA", NULL, 404, NULL, NULL},
    /* Aggregates and exports. */
    {"opA", "GET", "/api/v1/summary?year=2024", NULL, 200, "\"projects\":2", "西湖区"},
    {"opA", "GET", "/api/v1/summary?region=360103", NULL, 404, NULL, NULL},
    {"opA", "GET", "/api/v1/summary?region=360000", NULL, 404, NULL, NULL},
    {"opA", "GET", "/api/v1/regions", NULL, 200, "甲镇", "乙镇"},
    {"opA", "GET", "/api/v1/exports/projects?format=csv", NULL, 200, "PA1", "PB1"},
    {"opA", "GET", "/api/v1/exports/households?format=csv", NULL, 200, "HA1", "HB1"},
    {"opA", "GET", "/api/v1/exports/projects?format=csv&region=360103", NULL, 404, NULL, NULL},
    {"cityv", "GET", "/api/v1/summary?year=2024", NULL, 200, "西湖区", NULL},
    {"cityv", "GET", "/api/v1/projects/PB1", NULL, 200, "PB1", NULL},
    {"villA", "GET", "/api/v1/projects", NULL, 200, "PA1", "PB"},
    {"villA", "GET", "/api/v1/households/HB1", NULL, 404, NULL, NULL},
    /* The evaluator: only the assigned project, nothing of households. */
    {"evalA", "GET", "/api/v1/projects", NULL, 200, "\"total\":1", "PA2"},
    {"evalA", "GET", "/api/v1/projects/PA1", NULL, 200, "PA1", NULL},
    {"evalA", "GET", "/api/v1/projects/PA2", NULL, 404, NULL, NULL},
    {"evalA", "GET", "/api/v1/projects/PB1", NULL, 404, NULL, NULL},
    {"evalA", "GET", "/api/v1/assets", NULL, 200, "AA1", "AA2"},
    {"evalA", "GET", "/api/v1/assets/AA2", NULL, 404, NULL, NULL},
    {"evalA", "GET", "/api/v1/project-years", NULL, 200, "\"total\":1", "PB1"},
    {"evalA", "GET", "/api/v1/project-years/PA2/2024", NULL, 404, NULL, NULL},
    {"evalA", "GET", "/api/v1/households", NULL, 403, NULL, "HA1"},
    {"evalA", "GET", "/api/v1/benefits", NULL, 403, NULL, NULL},
    {"evalA", "GET", "/api/v1/summary", NULL, 403, NULL, NULL},
    {"evalA", "GET", "/api/v1/exports/projects", NULL, 403, NULL, NULL},
    {"evalA", "PATCH", "/api/v1/projects/PA1", "{\"name\":\"x\",\"version\":1}", 403, NULL, NULL},
    {"evalA", "GET", "/api/v1/rules", NULL, 403, NULL, NULL},
    {"evalA", "GET", "/api/v1/thresholds", NULL, 403, NULL, NULL},
    {"evalA", "POST", "/api/v1/households/HA1/members", "{}", 403, NULL, NULL},
    /* Rules and thresholds are the province's: county accounts read, never write. */
    {"opA", "PUT", "/api/v1/rules", "{\"year\":2024,\"rules\":[]}", 403, NULL, NULL},
    {"opA", "PUT", "/api/v1/thresholds/2024", "{\"yuan\":\"1\"}", 403, NULL, NULL},
    {"cityv", "PUT", "/api/v1/thresholds/2024", "{\"yuan\":\"1\"}", 403, NULL, NULL},
    /* Households: created in the own subtree only. */
    {"opA", "POST", "/api/v1/households", HH_BODY("HA5", "360102001001", "360102199003030055"), 201,
     "HA5", NULL},
    {"opA", "POST", "/api/v1/households", HH_BODY("HZ5", "360103001001", "36010319900303006X"), 422,
     "管辖范围", NULL},
    {"villA", "POST", "/api/v1/households", HH_BODY("HZ6", "360103001001", "36010319900303006X"),
     422, "管辖范围", NULL},
    {"cityv", "POST", "/api/v1/households", HH_BODY("HZ7", "360102001001", "360102199004040079"),
     403, NULL, NULL},
    {"evalA", "POST", "/api/v1/households", HH_BODY("HZ8", "360102001001", "360102199004040079"),
     403, NULL, NULL},
    /* Classification: each county runs its own; results, explanations and
     * decisions of the sibling's projects do not exist for it. */
    {"opA", "POST", "/api/v1/classification/runs", "{\"year\":2024}", 200, "\"projects\":2", NULL},
    {"opB", "POST", "/api/v1/classification/runs", "{\"year\":2024}", 200, "\"projects\":2", NULL},
    /* A region in the body is not honoured: the run is always the account's own. */
    {"opA", "POST", "/api/v1/classification/runs", "{\"year\":2024,\"region\":\"360103\"}", 200,
     "\"projects\":2", NULL},
    {"cityv", "POST", "/api/v1/classification/runs", "{\"year\":2024}", 403, NULL, NULL},
    {"evalA", "POST", "/api/v1/classification/runs", "{\"year\":2024}", 403, NULL, NULL},
    {"opA", "GET", "/api/v1/classification?year=2024", NULL, 200, "PA1", "PB"},
    {"opB", "GET", "/api/v1/classification?year=2024", NULL, 200, "PB1", "PA"},
    {"opA", "GET", "/api/v1/classification?year=2024&region=360103", NULL, 404, NULL, "PB"},
    {"opA", "GET", "/api/v1/classification?year=2024&region=360100", NULL, 404, NULL, "PB"},
    {"cityv", "GET", "/api/v1/classification?year=2024", NULL, 200, "PB1", NULL},
    {"villA", "GET", "/api/v1/classification?year=2024", NULL, 200, "PA1", "PB"},
    {"evalA", "GET", "/api/v1/classification?year=2024", NULL, 403, NULL, NULL},
    {"opA", "GET", "/api/v1/classification/PA1/2024", NULL, 200, "indicators", NULL},
    {"opA", "GET", "/api/v1/classification/PB1/2024", NULL, 404, NULL, "乙村"},
    {"villA", "GET", "/api/v1/classification/PB1/2024", NULL, 404, NULL, NULL},
    {"cityv", "GET", "/api/v1/classification/PB1/2024", NULL, 200, "indicators", NULL},
    {"evalA", "GET", "/api/v1/classification/PA1/2024", NULL, 200, "indicators", NULL},
    {"evalA", "GET", "/api/v1/classification/PA2/2024", NULL, 404, NULL, NULL},
    {"opA", "POST", "/api/v1/classification/PB1/2024/decision", "{}", 404, NULL, NULL},
    {"opB", "POST", "/api/v1/classification/PA1/2024/decision", "{}", 404, NULL, NULL},
    {"cityv", "POST", "/api/v1/classification/PA1/2024/decision", "{}", 403, NULL, NULL},
    {"opA", "POST", "/api/v1/classification/PA1/2024/decision", "{}", 200, "\"overridden\":false",
     NULL},
    /* Warnings (9001 of A, 9002 of B, seeded): listed, acknowledged and
     * resolved inside the own subtree only. */
    {"opA", "GET", "/api/v1/warnings", NULL, 200, "PA2", "PB2"},
    {"opB", "GET", "/api/v1/warnings", NULL, 200, "PB2", "PA2"},
    {"opA", "GET", "/api/v1/warnings?region=360103", NULL, 404, NULL, "PB2"},
    {"cityv", "GET", "/api/v1/warnings", NULL, 200, "PB2", NULL},
    {"evalA", "GET", "/api/v1/warnings", NULL, 403, NULL, NULL},
    {"opA", "POST", "/api/v1/warnings/9002/acknowledge", "{}", 404, NULL, "PB2"},
    {"opA", "POST", "/api/v1/warnings/9002/resolve", "{}", 404, NULL, "PB2"},
    {"villA", "POST", "/api/v1/warnings/9001/acknowledge", "{}", 403, NULL, NULL},
    {"cityv", "POST", "/api/v1/warnings/9002/acknowledge", "{}", 403, NULL, NULL},
    {"opB", "POST", "/api/v1/warnings/9001/resolve", "{}", 404, NULL, NULL},
    {"opA", "POST", "/api/v1/warnings/9001/acknowledge", "{\"note\":\"已核实\"}", 200,
     "acknowledged", NULL},
    {"opA", "POST", "/api/v1/warnings/9001/resolve", "{\"note\":\"已整改\"}", 200, "resolved",
     NULL},
    /* Imports: rows of the sibling county are bad rows, never written. */
    {"opA", "POST", "/api/v1/imports/projects?dry_run=false",
     CSV_HEAD "PZ9,乙,360103001001,种植业,2024,1,村集体自营,正常运营\r\n", 200,
     "\"committed\":false", "乙村", "text/csv"},
    {"opA", "GET", "/api/v1/projects/PZ9", NULL, 404, NULL, NULL},
    {"opA", "POST", "/api/v1/imports/projects?dry_run=false",
     CSV_HEAD "PA6,甲,360102001001,种植业,2024,1,村集体自营,正常运营\r\n", 200,
     "\"committed\":true", NULL, "text/csv"},
    {"opB", "GET", "/api/v1/projects/PA6", NULL, 404, NULL, NULL},
    {"cityv", "POST", "/api/v1/imports/projects", CSV_HEAD, 403, NULL, NULL, "text/csv"},
    {"evalA", "POST", "/api/v1/imports/projects", CSV_HEAD, 403, NULL, NULL, "text/csv"},
    /* The audit trail is the auditor's; accounts are the province admin's. */
    {"auditor", "GET", "/api/v1/audit", NULL, 200, "\"items\"", NULL},
    {"auditor", "GET", "/api/v1/audit/verify", NULL, 200, "\"ok\":true", NULL},
    {"auditor", "GET", "/api/v1/audit/export", NULL, 200, "\"head\"", NULL},
    {"opA", "GET", "/api/v1/audit", NULL, 403, NULL, NULL},
    {"cityv", "GET", "/api/v1/audit/verify", NULL, 403, NULL, NULL},
    {"opB", "GET", "/api/v1/audit/export", NULL, 403, NULL, NULL},
    {"admin1", "GET", "/api/v1/users", NULL, 200, "opB", NULL},
    {"opA", "GET", "/api/v1/users", NULL, 403, NULL, "opB"},
    {"cityv", "GET", "/api/v1/users", NULL, 403, NULL, NULL},
    {"opA", "POST", "/api/v1/users",
     "{\"username\":\"mineA\",\"role\":\"village\",\"region_code\":\"360102001001\"}", 403, NULL,
     NULL},
    {"opA", "PATCH", "/api/v1/users/opB", "{\"disabled\":true}", 403, NULL, NULL},
    {"admin1", "POST", "/api/v1/users",
     "{\"username\":\"villB\",\"role\":\"village\",\"region_code\":\"360103001001\"}", 201,
     "password", NULL},
    {"admin1", "PATCH", "/api/v1/users/villB", "{\"disabled\":true}", 200, "\"disabled\":true",
     NULL},
    /* Rules are the province's (POST is PUT's alias). */
    {"opA", "POST", "/api/v1/rules", "{\"year\":2024,\"rules\":[]}", 403, NULL, NULL},
    {"cityv", "POST", "/api/v1/rules", "{\"year\":2024,\"rules\":[]}", 403, NULL, NULL},
    /* The public and own-account routes: nothing regional to leak. */
    {"opA", "GET", "/api/v1/health", NULL, 200, NULL, NULL},
    {"opA", "GET", "/api/v1/auth/me", NULL, 200, "opA", "opB"},
    {"opA", "GET", "/api/v1/meta/roles", NULL, 200, "county_operator", NULL},
    {"opA", "GET", "/api/v1/meta/templates", NULL, 200, "projects", NULL},
    {"opA", "GET", "/api/v1/meta/templates/projects", NULL, 200, NULL, NULL},
    {"admin1", "GET", "/api/v1/rules", NULL, 200, NULL, NULL},
    {"opA", "GET", "/api/v1/thresholds", NULL, 200, NULL, NULL},
    {"opA", "POST", "/api/v1/auth/password",
     "{\"old_password\":\"wrong-one-9\","
     "\"new_password\":\"Another-passw0rd\"}",
     422, NULL, NULL},
    {"opA", "POST", "/api/v1/auth/login", "{\"username\":\"opB\",\"password\":\"x\"}", 401, NULL,
     NULL},
    /* Last: logout ends opA's session (the later opA cases would get 401). */
    {"cityv", "POST", "/api/v1/auth/logout", NULL, 204, NULL, NULL},
};

/* Two open warnings, one per county, with known ids. */
static void seed_warnings(const test_server *ts)
{
    bf_store *store = bf_test_db_open(ts->db);
    bf_test_exec(store, "INSERT INTO warnings (id, subject_kind, subject_code, region_code, year, "
                        "rule_code, rule_set_id, explanation, status, firing, opened_at, "
                        "county_code) VALUES "
                        "(9001, 'project', 'PA2', '360102001001', 2024, 'W1', 1, '闲置', 'open', "
                        "1, 1, '360102'), (9002, 'project', 'PB2', '360103001001', 2024, 'W1', 1, "
                        "'停产', 'open', 1, 1, '360103')");
    store_close(store);
}

/* ---- the county key in the SQL of county-scoped requests ----
 * Every table distributed by county (docs/scaling.md) must be reached through
 * county_code in each statement the server runs for an account of a county or
 * below: FROM/JOIN with alias a needs "a.county_code" in the statement, an
 * INSERT names county_code among its columns, an UPDATE or DELETE filters it.
 * The statements are captured by the store's statement log (store_set_trace)
 * while such requests run. */

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

/* Statements that may reach a distributed table without the county, and why
 * (docs/scaling.md, "What the hot queries name"). Matched as substrings. */
static const struct {
    const char *sql; /* a substring, or "=" and the whole statement */
    const char *why;
} county_exceptions[] = {
    {"COALESCE(MAX(updated_at), 0) FROM", "summary freshness fingerprint: whole tables"},
    {"AS fp FROM", "summary freshness fingerprint: whole tables"},
    {"p.start_year <= ?", "summary refresher: whole-table aggregates, a background job"},
    {"FROM households WHERE 1 = 1", "summary refresher: whole-table aggregates"},
    {"SELECT DISTINCT year FROM project_years", "summary refresher: the years present"},
    {"SELECT proposed_batch, confirmed_batch FROM classifications", "summary: table probe"},
    {"SELECT COALESCE(MAX(year), 0) FROM project_years", "summary: the latest year"},
    {"SELECT 1 FROM projects t WHERE 1 = 1 AND t.code", "create: is the code taken nationally"},
    {"SELECT 1 FROM households t WHERE 1 = 1 AND t.code", "create: is the code taken nationally"},
    {"SELECT 1 FROM assets t WHERE 1 = 1 AND t.code", "create: is the code taken nationally"},
    {"FROM members m JOIN households h ON h.county_code = m.county_code AND h.code = "
     "m.household_code WHERE m.id_hash = ?",
     "a person belongs to one household in the nation (members_person)"},
    /* The importer (API writes go through it): look-ups by code alone, the
     * national rules (whole statements). */
    {"=SELECT region_code FROM projects WHERE code = ?", "importer: a project by code"},
    {"=SELECT head_id_hash || '|' || region_code FROM households WHERE code = ?",
     "importer: a household by code"},
    {"=SELECT code, head_id_hash || '|' || region_code FROM households WHERE code >= ? ORDER BY "
     "code LIMIT ?",
     "importer: households read ahead by code"},
    {"=SELECT household_code FROM members WHERE id_hash = ?",
     "importer: a person in one household nationally"},
    {"=SELECT code FROM households WHERE head_id_hash = ? AND code <> ?",
     "importer: a head of one household nationally"},
    {"=SELECT id_masked FROM members WHERE household_code = ? AND relation = '户主' AND id_hash "
     "<> ?",
     "importer: one head per household"},
    {"=SELECT p.region_code FROM assets a JOIN projects p ON p.county_code = a.county_code AND "
     "p.code = a.project_code WHERE a.code = ?",
     "importer: an asset by code"},
    {"=SELECT COUNT(*) FROM (SELECT 1 FROM members LIMIT 1) AS t", "importer: is it empty"},
    {"=SELECT COUNT(*) FROM projects", "importer: rows before and after"},
    {"=SELECT COUNT(*) FROM assets", "importer: rows before and after"},
    {"=SELECT COUNT(*) FROM project_years", "importer: rows before and after"},
    {"=SELECT COUNT(*) FROM households", "importer: rows before and after"},
    {"=SELECT COUNT(*) FROM members", "importer: rows before and after"},
    {"=SELECT COUNT(*) FROM household_years", "importer: rows before and after"},
    {"=SELECT COUNT(*) FROM benefits", "importer: rows before and after"},
    {"WHERE region_code < ? OR region_code >= ?", "HTTP import: nothing outside the scope moved"},
    {"WHERE p.region_code < ? OR p.region_code >= ?", "HTTP import: nothing outside moved"},
    {"WHERE h.region_code < ? OR h.region_code >= ?", "HTTP import: nothing outside moved"},
    {"FROM classifications c JOIN rule_sets s ON s.id = c.rule_set_id WHERE c.project_code",
     "explanation by project code (the URL names no county)"},
    {"FROM classification_history WHERE project_code", "explanation by project code"},
    {"FROM classifications WHERE project_code = ? AND year = ?", "decision by project code"},
    {"COALESCE(MAX(proposed_at), 0), COALESCE(MAX(confirmed_at), 0) FROM classifications",
     "summary freshness fingerprint: whole tables"},
    {"=SELECT code, name, region_code, sector, operation_mode, status, idle_since, start_year, "
     "investment FROM projects WHERE code = ?",
     "explanation of one project by code (the URL names no county; its years and assets then "
     "name the county it has)"},
    {NULL, NULL}};

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static bool trace_on;
static char **traced;
static size_t ntraced, traced_cap;

static void trace_sql(void *ctx, const char *sql)
{
    (void)ctx;
    pthread_mutex_lock(&trace_lock);
    bool seen = !trace_on;
    for (size_t i = 0; i < ntraced && !seen; i++)
        seen = strcmp(traced[i], sql) == 0;
    if (!seen) {
        if (ntraced == traced_cap) {
            traced_cap = traced_cap ? traced_cap * 2 : 256;
            traced = realloc(traced, traced_cap * sizeof *traced);
        }
        traced[ntraced++] = strdup(sql);
    }
    pthread_mutex_unlock(&trace_lock);
}

static bool word_at(const char *sql, const char *p, const char *word)
{
    size_t n = strlen(word);
    return strncasecmp(p, word, n) == 0 &&
           (p == sql || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) &&
           !(isalnum((unsigned char)p[n]) || p[n] == '_');
}

/* The distributed table the statement reaches without the county, or NULL. */
static const char *missing_county(const char *sql)
{
    static const char *const not_alias[] = {"WHERE", "JOIN", "LEFT",  "ON",    "ORDER", "GROUP",
                                            "LIMIT", "SET",  "INNER", "USING", NULL};
    for (size_t i = 0; county_exceptions[i].sql; i++) {
        const char *e = county_exceptions[i].sql;
        if (e[0] == '=' ? strcmp(sql, e + 1) == 0 : strstr(sql, e) != NULL)
            return NULL;
    }
    for (const char *p = sql; *p; p++) {
        for (int t = 0; distributed[t]; t++) {
            if (!word_at(sql, p, distributed[t]))
                continue;
            /* The keyword before the name. */
            const char *b = p;
            while (b > sql && b[-1] == ' ')
                b--;
            const char *kw = b;
            while (kw > sql && isalpha((unsigned char)kw[-1]))
                kw--;
            size_t kwlen = (size_t)(b - kw);
            bool from =
                kwlen == 4 && (strncasecmp(kw, "FROM", 4) == 0 || strncasecmp(kw, "JOIN", 4) == 0);
            bool into = kwlen == 4 && strncasecmp(kw, "INTO", 4) == 0;
            bool update = kwlen == 6 && strncasecmp(kw, "UPDATE", 6) == 0;
            if (!from && !into && !update)
                continue;
            const char *a = p + strlen(distributed[t]);
            while (*a == ' ')
                a++;
            if (into) {
                const char *close = strchr(a, ')');
                const char *col = strstr(a, "county_code");
                if (*a != '(' || !col || !close || col > close)
                    return distributed[t];
                continue;
            }
            char alias[64] = "";
            size_t n = 0;
            while ((isalnum((unsigned char)a[n]) || a[n] == '_') && n < sizeof alias - 1)
                n++;
            memcpy(alias, a, n);
            alias[n] = '\0';
            for (int k = 0; not_alias[k] && n; k++)
                if (strcasecmp(alias, not_alias[k]) == 0)
                    n = alias[0] = 0;
            char want[96];
            snprintf(want, sizeof want, "%s%scounty_code", alias, n ? "." : "");
            if (!strstr(sql, want))
                return distributed[t];
        }
    }
    return NULL;
}

/* The statement check itself: it catches what it must, passes what it must. */
static void test_county_check_itself(void **state)
{
    (void)state;
    assert_string_equal(missing_county("SELECT * FROM projects WHERE code = 'x' AND 1=1"),
                        "projects");
    assert_string_equal(
        missing_county("SELECT * FROM assets t JOIN projects p ON p.code = t.project_code "
                       "WHERE t.county_code = ?"),
        "projects");
    assert_null(
        missing_county("SELECT * FROM assets t JOIN projects p ON p.county_code = "
                       "t.county_code AND p.code = t.project_code WHERE t.county_code = ?"));
    assert_string_equal(missing_county("INSERT INTO warnings (id, year) VALUES (?, ?)"),
                        "warnings");
    assert_null(missing_county("INSERT INTO warnings (id, county_code) VALUES (?, ?)"));
    assert_string_equal(missing_county("UPDATE members SET name = ? WHERE household_code = ?"),
                        "members");
    assert_null(missing_county("SELECT code FROM regions WHERE code = ?"));
}

static void test_scope_table(void **state)
{
    test_server *ts = *state;
    seed_warnings(ts);
    static const char *const users[] = {"opA",   "opB",    "evalA",  "villA",
                                        "cityv", "admin1", "auditor"};
    enum { NUSERS = sizeof users / sizeof users[0] };
    test_client clients[NUSERS];
    for (int i = 0; i < NUSERS; i++) {
        test_client_init(&clients[i], ts);
        assert_int_equal(test_login(&clients[i], users[i], TEST_PASSWORD), 200);
    }
    int failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const scope_case *k = &cases[i];
        test_client *c = NULL;
        for (int u = 0; u < NUSERS; u++)
            if (strcmp(users[u], k->user) == 0)
                c = &clients[u];
        assert_non_null(c);
        /* The statements of county-scoped accounts' requests, except the batch
         * jobs (a classification run, a spreadsheet import: not hot queries). */
        pthread_mutex_lock(&trace_lock);
        trace_on = (strcmp(k->user, "opA") == 0 || strcmp(k->user, "opB") == 0 ||
                    strcmp(k->user, "villA") == 0) &&
                   !strstr(k->path, "/classification/runs") && !strstr(k->path, "/imports/");
        pthread_mutex_unlock(&trace_lock);
        test_response r;
        test_request(c, k->method, k->path, k->body, k->body ? strlen(k->body) : 0, k->content_type,
                     NULL, true, &r);
        const char *body = r.body ? r.body : "";
        bool ok = r.status == k->status && (!k->must || strstr(body, k->must)) &&
                  (!k->must_not || !strstr(body, k->must_not));
        if (!ok) {
            fprintf(stderr, "case %zu: %s %s %s -> %ld (want %ld): %.300s\n", i, k->user, k->method,
                    k->path, r.status, k->status, body);
            failures++;
        }
        test_response_free(&r);
    }
    pthread_mutex_lock(&trace_lock);
    trace_on = false;
    int unkeyed = 0;
    for (size_t i = 0; i < ntraced; i++) {
        const char *table = missing_county(traced[i]);
        if (table) {
            fprintf(stderr, "no county_code for %s in: %s\n", table, traced[i]);
            unkeyed++;
        }
    }
    size_t statements = ntraced;
    pthread_mutex_unlock(&trace_lock);
    assert_true(statements > 50); /* the log did capture the requests */
    assert_int_equal(failures, 0);
    assert_int_equal(unkeyed, 0);
}

/* The case's path without its query matches the route pattern ({} for a
 * segment). */
static bool case_matches_route(const scope_case *k, const http_route *route)
{
    if (strcmp(k->method, route->method) != 0)
        return false;
    const char *p = route->pattern, *s = k->path;
    size_t len = strcspn(k->path, "?");
    const char *end = k->path + len;
    while (*p && s < end) {
        if (p[0] == '{' && p[1] == '}') {
            while (s < end && *s != '/')
                s++;
            p += 2;
        } else if (*p++ != *s++) {
            return false;
        }
    }
    return *p == '\0' && s == end;
}

/* Every route of the server has at least one case above: a new route
 * without scoping cases fails here. */
static void test_every_route_has_cases(void **state)
{
    (void)state;
    size_t count = 0;
    const http_route *routes = http_routes(&count);
    int missing = 0;
    for (size_t i = 0; i < count; i++) {
        bool found = false;
        for (size_t k = 0; k < sizeof cases / sizeof cases[0] && !found; k++)
            found = case_matches_route(&cases[k], &routes[i]);
        if (!found) {
            fprintf(stderr, "no scoping case for %s %s\n", routes[i].method, routes[i].pattern);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
}

/* Nothing of county B changed after all the attempts above. */
static void test_sibling_untouched(void **state)
{
    test_server *ts = *state;
    test_client b;
    test_client_init(&b, ts);
    assert_int_equal(test_login(&b, "opB", TEST_PASSWORD), 200);
    static const char *const paths[] = {"/api/v1/projects/PB1", "/api/v1/assets/AB1",
                                        "/api/v1/project-years/PB1/2024", "/api/v1/households/HB1",
                                        "/api/v1/household-years/HB1/2024"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        test_response r;
        test_call(&b, "GET", paths[i], NULL, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.etag, "\"1\"");
        test_response_free(&r);
    }
    test_response r;
    test_call(&b, "GET", "/api/v1/benefits", NULL, &r);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 1);
    test_response_free(&r);
    /* County A cannot remove B's member by its real id, nor take B's member
     * into its own household (and is not told whose member it is). */
    test_call(&b, "GET", "/api/v1/households/HB1", NULL, &r);
    json_t *members = json_object_get(r.json, "members");
    assert_int_equal(json_array_size(members), 1);
    char path[200];
    snprintf(path, sizeof path, "/api/v1/households/HB1/members/%s",
             json_string_value(json_object_get(json_array_get(members, 0), "id")));
    test_response_free(&r);
    test_client a;
    test_client_init(&a, ts);
    assert_int_equal(test_login(&a, "opA", TEST_PASSWORD), 200);
    test_call(&a, "DELETE", path, NULL, &r);
    assert_int_equal(r.status, 404);
    test_response_free(&r);
    char id[19] = "36010320100101002", body[160];
    id[17] = bf_id_number_check_char(id);
    id[18] = '\0';
    snprintf(body, sizeof body, "{\"id_number\":\"%s\",\"name\":\"x\",\"relation\":\"子\"}", id);
    test_call(&a, "POST", "/api/v1/households/HA1/members", body, &r);
    assert_int_equal(r.status, 422);
    assert_null(strstr(r.body, "HB1"));
    test_response_free(&r);
    test_call(&b, "GET", "/api/v1/households/HB1", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "members")), 1);
    test_response_free(&r);
}

int main(void)
{
    store_set_trace(trace_sql, NULL); /* records only while trace_on */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_county_check_itself),
        cmocka_unit_test(test_scope_table),
        cmocka_unit_test(test_sibling_untouched),
        cmocka_unit_test(test_every_route_has_cases),
    };
    return cmocka_run_group_tests(tests, test_server_setup, test_server_teardown);
}
