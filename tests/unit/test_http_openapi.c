/*
 * test_http_openapi.c - docs/api/openapi.yaml against the running server:
 * every path and method in the file is requested (path parameters filled
 * with seeded records, bodies "{}") and must answer one of the statuses the
 * file documents for it, with a JSON error body for errors; and every route
 * of the server's route table must be in the file. The YAML is read with a
 * small line parser that relies on the file's fixed indentation (paths at 2
 * spaces, methods at 4, response codes at 8).
 *
 * Then the success responses against the file's schemas (the file loaded
 * whole by tests/support/bf_yaml.c): every GET path answers 200 with the
 * documented content type and, for JSON, a body the 200 schema accepts
 * (required properties, types, enums, nested objects and arrays); and the
 * main POST/PATCH/PUT operations, sent valid bodies, answer their documented
 * success status with a body their schema accepts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_http_test.h"
#include "bf_test.h"
#include "bf_yaml.h"
#include "http/router.h"
#include "io/validate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPS 128

typedef struct {
    char method[8];
    char path[160];
    int codes[16];
    int ncodes;
} api_op;

static int parse_openapi(api_op *ops)
{
    char path[4200];
    bf_test_source_path("docs/api/openapi.yaml", path, sizeof path);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[1024], cur_path[160] = "";
    bool in_paths = false;
    int n = 0;
    api_op *op = NULL;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] && line[0] != ' ') {
            in_paths = strcmp(line, "paths:") == 0;
            continue;
        }
        if (!in_paths)
            continue;
        if (strncmp(line, "  /", 3) == 0 && line[3 + strcspn(line + 3, ":")] == ':') {
            snprintf(cur_path, sizeof cur_path, "%.*s", (int)strcspn(line + 2, ":"), line + 2);
            op = NULL;
            continue;
        }
        static const char *const methods[] = {"get", "post", "patch", "put", "delete"};
        for (size_t m = 0; m < 5; m++) {
            char want[32];
            snprintf(want, sizeof want, "    %s:", methods[m]);
            if (strcmp(line, want) == 0) {
                assert_true(n < MAX_OPS);
                op = &ops[n++];
                memset(op, 0, sizeof *op);
                for (size_t i = 0; methods[m][i]; i++)
                    op->method[i] = (char)toupper((unsigned char)methods[m][i]);
                snprintf(op->path, sizeof op->path, "%s", cur_path);
            }
        }
        if (op && strncmp(line, "        '", 9) == 0 && isdigit((unsigned char)line[9]) &&
            op->ncodes < 16)
            op->codes[op->ncodes++] = atoi(line + 9);
    }
    fclose(fp);
    return n;
}

/* Fill {name} parameters with seeded records. */
static void fill_path(const char *templ, char *out, size_t size)
{
    static const struct {
        const char *prefix; /* path start */
        const char *name;
        const char *value;
    } values[] = {
        {"/regions/", "{code}", "360102000000"},
        {"/projects/", "{code}", "PA1"},
        {"/assets/", "{code}", "AA1"},
        {"/households/", "{code}", "HA1"},
        {"", "{project_code}", "PA1"},
        {"", "{household_code}", "HA1"},
        {"", "{year}", "2024"},
        {"", "{kind}", "dividend"},
        {"", "{name}", "projects"},
        {"", "{template}", "projects"},
        {"", "{username}", "evalA"},
        {"", "{id}", "1"},
    };
    char buf[512];
    snprintf(buf, sizeof buf, "%s", templ);
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        if (strncmp(buf, values[i].prefix, strlen(values[i].prefix)) != 0)
            continue;
        char *at;
        while ((at = strstr(buf, values[i].name))) {
            char rest[512];
            snprintf(rest, sizeof rest, "%s", at + strlen(values[i].name));
            snprintf(at, sizeof buf - (size_t)(at - buf), "%s%s", values[i].value, rest);
        }
    }
    snprintf(out, size, "/api/v1%s", buf);
}

static bool documented(const api_op *op, long status)
{
    for (int i = 0; i < op->ncodes; i++)
        if (op->codes[i] == status)
            return true;
    return false;
}

/* Every request looks its session up in the database (the path the session
 * cache skips), so that path is exercised on every operation too. */
static void no_session_cache(http_config *cfg)
{
    cfg->session_recheck = 0;
}

static void test_every_documented_operation(void **state)
{
    (void)state;
    test_server ts;
    test_server_start(&ts, no_session_cache);
    api_op ops[MAX_OPS];
    int n = parse_openapi(ops);
    assert_true(n >= 40);
    test_client c;
    test_client_init(&c, &ts);
    assert_int_equal(test_login(&c, "admin1", TEST_PASSWORD), 200);
    int failures = 0;
    /* Logout last: it ends the session the others use. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n; i++) {
            bool logout = strcmp(ops[i].path, "/auth/logout") == 0;
            if (logout != (pass == 1))
                continue;
            char path[600];
            fill_path(ops[i].path, path, sizeof path);
            const char *body =
                strcmp(ops[i].method, "GET") && strcmp(ops[i].method, "DELETE") ? "{}" : NULL;
            test_response r;
            test_call(&c, ops[i].method, path, body, &r);
            bool ok = documented(&ops[i], r.status);
            if (ok && r.status >= 400)
                ok = r.json && json_object_get(json_object_get(r.json, "error"), "code");
            if (ok && r.status == 200 && strstr(r.content_type, "application/json"))
                ok = r.json != NULL;
            if (!ok) {
                fprintf(stderr, "%s %s -> %ld (documented:", ops[i].method, path, r.status);
                for (int k = 0; k < ops[i].ncodes; k++)
                    fprintf(stderr, " %d", ops[i].codes[k]);
                fprintf(stderr, ") %.200s\n", r.body ? r.body : "");
                failures++;
            }
            test_response_free(&r);
        }
    }
    assert_int_equal(failures, 0);
    test_server_stop(&ts);
}

/* "/api/v1/projects/{}" <-> "/projects/{code}". */
static void normalise(const char *path, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = path; *p && o + 3 < size; p++) {
        if (*p == '{') {
            out[o++] = '{';
            out[o++] = '}';
            while (*p && *p != '}')
                p++;
            if (!*p)
                break;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

static void test_every_route_documented(void **state)
{
    (void)state;
    api_op ops[MAX_OPS];
    int n = parse_openapi(ops);
    size_t count = 0;
    const http_route *routes = http_routes(&count);
    int missing = 0;
    for (size_t i = 0; i < count; i++) {
        bool found = false;
        for (int k = 0; k < n && !found; k++) {
            char doc[300], route[300];
            normalise(ops[k].path, doc, sizeof doc);
            normalise(routes[i].pattern + strlen("/api/v1"), route, sizeof route);
            found = strcmp(doc, route) == 0 && strcmp(ops[k].method, routes[i].method) == 0;
        }
        if (!found) {
            fprintf(stderr, "route not in openapi.yaml: %s %s\n", routes[i].method,
                    routes[i].pattern);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
}

/* ---- success responses against the schemas ---- */

static json_t *load_openapi(void)
{
    char path[4200];
    bf_test_source_path("docs/api/openapi.yaml", path, sizeof path);
    char *text = bf_test_read_file(path, NULL);
    assert_non_null(text);
    char err[256];
    json_t *doc = bf_yaml_load(text, err, sizeof err);
    free(text);
    if (!doc)
        fail_msg("docs/api/openapi.yaml: %s", err);
    return doc;
}

/* The response object of an operation for a status ($ref followed). */
static const json_t *doc_response(const json_t *doc, const char *path, const char *method,
                                  long status)
{
    char lower[8], code[8];
    size_t i = 0;
    for (; method[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)tolower((unsigned char)method[i]);
    lower[i] = '\0';
    snprintf(code, sizeof code, "%ld", status);
    const json_t *res = json_object_get(
        json_object_get(json_object_get(json_object_get(doc, "paths"), path), lower), "responses");
    res = json_object_get(res, code);
    const char *ref = json_string_value(json_object_get(res, "$ref"));
    if (ref && strncmp(ref, "#/components/responses/", 23) == 0)
        res = json_object_get(json_object_get(json_object_get(doc, "components"), "responses"),
                              ref + 23);
    return res;
}

/* Check a response against the operation's documented one for its status;
 * returns the number of problems (described on stderr). */
static int check_response(const json_t *doc, const char *path, const char *method,
                          const test_response *r)
{
    const json_t *res = doc_response(doc, path, method, r->status);
    if (!res) {
        fprintf(stderr, "%s %s: status %ld is not documented\n", method, path, r->status);
        return 1;
    }
    const json_t *content = json_object_get(res, "content");
    if (!content || json_object_size(content) == 0)
        return 0; /* no body documented (204) */
    char type[128];
    snprintf(type, sizeof type, "%.*s", (int)strcspn(r->content_type, ";"), r->content_type);
    const json_t *media = json_object_get(content, type);
    if (!media) {
        fprintf(stderr, "%s %s: content type \"%s\" is not documented\n", method, path, type);
        return 1;
    }
    if (strcmp(type, "application/json") != 0)
        return 0;
    if (!r->json) {
        fprintf(stderr, "%s %s: the body is not JSON\n", method, path);
        return 1;
    }
    const json_t *schema = json_object_get(media, "schema");
    if (!schema) {
        fprintf(stderr, "%s %s: no schema documented for %ld\n", method, path, r->status);
        return 1;
    }
    char problems[2048];
    int n = bf_yaml_schema_check(doc, schema, r->json, problems, sizeof problems);
    if (n)
        fprintf(stderr, "%s %s -> %ld: %d schema problem(s):\n%s  body: %.300s\n", method, path,
                r->status, n, problems, r->body);
    return n;
}

/* The checker itself finds what it is meant to (so a pass means something). */
static void test_schema_checker(void **state)
{
    (void)state;
    json_t *doc = load_openapi();
    const json_t *paths = json_object_get(doc, "paths");
    assert_true(json_object_size(paths) >= 40);
    json_t *schema = json_pack("{s:s}", "$ref", "#/components/schemas/Error");
    json_t *good = json_pack("{s:{s:s,s:s}}", "error", "code", "invalid", "message", "无效");
    json_t *missing = json_pack("{s:{s:s}}", "error", "code", "invalid");
    json_t *wrong_type = json_pack("{s:{s:i,s:s}}", "error", "code", 5, "message", "无效");
    json_t *not_object = json_pack("[]");
    char out[1024];
    assert_int_equal(bf_yaml_schema_check(doc, schema, good, out, sizeof out), 0);
    assert_int_equal(bf_yaml_schema_check(doc, schema, missing, out, sizeof out), 1);
    assert_non_null(strstr(out, ".error: required property \"message\" missing"));
    assert_int_equal(bf_yaml_schema_check(doc, schema, wrong_type, out, sizeof out), 1);
    assert_non_null(strstr(out, ".error.code: type"));
    assert_int_equal(bf_yaml_schema_check(doc, schema, not_object, out, sizeof out), 1);
    /* Patterns: money is a decimal string with two places. */
    json_t *money = json_pack("{s:s}", "$ref", "#/components/schemas/Money");
    json_t *good_money = json_string("1234.50"), *bad_money = json_string("1234.5");
    assert_int_equal(bf_yaml_schema_check(doc, money, good_money, out, sizeof out), 0);
    assert_int_equal(bf_yaml_schema_check(doc, money, bad_money, out, sizeof out), 1);
    json_decref(money);
    json_decref(good_money);
    json_decref(bad_money);
    /* Arrays and enums through $ref: a warning with a status not in the enum. */
    json_t *list_schema = json_pack("{s:s,s:{s:s}}", "type", "array", "items", "$ref",
                                    "#/components/schemas/Warning");
    json_t *bad_list = json_pack("[{s:i,s:s,s:s,s:s,s:i,s:s,s:s}]", "id", 1, "subject", "project",
                                 "subject_code", "PA1", "region_code", "360102001001", "year", 2024,
                                 "rule_code", "W1", "status", "maybe");
    assert_int_equal(bf_yaml_schema_check(doc, list_schema, bad_list, out, sizeof out), 1);
    assert_non_null(strstr(out, "[0].status: value not in enum"));
    json_object_set_new(json_array_get(bad_list, 0), "status", json_string("open"));
    assert_int_equal(bf_yaml_schema_check(doc, list_schema, bad_list, out, sizeof out), 0);
    /* allOf: a project lacking its code, with a number for its name. */
    json_t *project = json_pack("{s:s}", "$ref", "#/components/schemas/Project");
    json_t *bad_project = json_pack("{s:i}", "name", 5);
    assert_true(bf_yaml_schema_check(doc, project, bad_project, out, sizeof out) >= 2);
    assert_non_null(strstr(out, "required property \"code\" missing"));
    assert_non_null(strstr(out, ".name: type"));
    json_decref(project);
    json_decref(bad_project);
    json_decref(list_schema);
    json_decref(bad_list);
    json_decref(schema);
    json_decref(good);
    json_decref(missing);
    json_decref(wrong_type);
    json_decref(not_object);
    json_decref(doc);
}

/* Query parameters a GET needs to answer 200 (path as in the file). */
static const struct {
    const char *path, *query;
} get_queries[] = {
    {"/classification", "?year=2024"},
    {"/exports/{template}", "?format=csv"},
    {"/summary", "?year=2024"},
};

/* One open warning of county A; its id (the database numbers it). */
static int64_t seed_warning(const test_server *ts)
{
    bf_store *store = bf_test_db_open(ts->db);
    bf_test_exec(store, "INSERT INTO warnings (subject_kind, subject_code, region_code, year, "
                        "rule_code, rule_set_id, explanation, status, firing, opened_at, "
                        "county_code) VALUES ('project', 'PA2', '360102001001', 2024, 'WTEST', 1, "
                        "'闲置', 'open', 1, 1, '360102')");
    int64_t id = bf_test_query_int(store, "SELECT id FROM warnings WHERE rule_code = 'WTEST'");
    store_close(store);
    return id;
}

static void test_every_get_matches_schema(void **state)
{
    (void)state;
    json_t *doc = load_openapi();
    test_server ts;
    test_server_start(&ts, NULL);
    seed_warning(&ts);
    test_client c;
    test_client_init(&c, &ts);
    assert_int_equal(test_login(&c, "admin1", TEST_PASSWORD), 200);
    test_response r;
    /* Classification results to list and explain. */
    test_call(&c, "POST", "/api/v1/classification/runs", "{\"year\":2024}", &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
    int failures = 0, checked = 0;
    const char *templ;
    const json_t *ops;
    json_object_foreach(json_object_get(doc, "paths"), templ, ops)
    {
        if (!json_object_get(ops, "get"))
            continue;
        char path[600], url[700];
        fill_path(templ, path, sizeof path);
        const char *query = "";
        for (size_t i = 0; i < sizeof get_queries / sizeof get_queries[0]; i++)
            if (strcmp(get_queries[i].path, templ) == 0)
                query = get_queries[i].query;
        snprintf(url, sizeof url, "%s%s", path, query);
        test_call(&c, "GET", url, NULL, &r);
        if (r.status != 200) {
            fprintf(stderr, "GET %s -> %ld, want 200: %.200s\n", url, r.status,
                    r.body ? r.body : "");
            failures++;
        } else {
            failures += check_response(doc, templ, "GET", &r) != 0;
        }
        checked++;
        test_response_free(&r);
    }
    assert_true(checked >= 25);
    assert_int_equal(failures, 0);
    test_server_stop(&ts);
    json_decref(doc);
}

typedef struct {
    const char *method;
    const char *path; /* as requested */
    const char *doc_path;
    const char *body; /* JSON, or CSV for an import */
    long status;
} write_case;

static void test_writes_match_schema(void **state)
{
    (void)state;
    json_t *doc = load_openapi();
    test_server ts;
    test_server_start(&ts, NULL);
    int64_t warning = seed_warning(&ts);
    char acknowledge[64], resolve[64];
    snprintf(acknowledge, sizeof acknowledge, "/warnings/%lld/acknowledge", (long long)warning);
    snprintf(resolve, sizeof resolve, "/warnings/%lld/resolve", (long long)warning);
    test_client c;
    test_client_init(&c, &ts);
    assert_int_equal(test_login(&c, "admin1", TEST_PASSWORD), 200);
    char head_id[19] = "36010219900303005", member_id[19] = "36010220180101006";
    head_id[17] = bf_id_number_check_char(head_id);
    member_id[17] = bf_id_number_check_char(member_id);
    head_id[18] = member_id[18] = '\0';
    char household[512], member[256];
    snprintf(household, sizeof household,
             "{\"code\":\"HN1\",\"region_code\":\"360102001001\",\"head_id_number\":\"%s\","
             "\"head_name\":\"王五\",\"kind\":\"marginal\",\"size\":1,\"risk_status\":\"at_risk\"}",
             head_id);
    snprintf(member, sizeof member,
             "{\"id_number\":\"%s\",\"name\":\"王小五\",\"relation\":\"子\"}", member_id);
    const write_case cases[] = {
        {"POST", "/projects", "/projects",
         "{\"code\":\"PN1\",\"name\":\"新项目\",\"region_code\":\"360102001001\",\"sector\":\"pv\","
         "\"start_year\":2020,\"investment\":\"100.50\",\"operation_mode\":\"collective\","
         "\"status\":\"operating\"}",
         201},
        {"PATCH", "/projects/PN1", "/projects/{code}", "{\"name\":\"新名称\",\"version\":1}", 200},
        {"POST", "/assets", "/assets",
         "{\"code\":\"AN1\",\"project_code\":\"PN1\",\"name\":\"设备\",\"type\":\"equipment\","
         "\"nature\":\"operating\",\"original_value\":\"10\",\"acquired_on\":\"2020-01-01\","
         "\"state\":\"in_use\"}",
         201},
        {"PATCH", "/assets/AN1", "/assets/{code}", "{\"name\":\"新设备\",\"version\":1}", 200},
        {"POST", "/project-years", "/project-years",
         "{\"project_code\":\"PN1\",\"year\":2024,\"revenue\":\"1\",\"profit\":\"1\","
         "\"collective_income\":\"1\",\"households_benefited\":1}",
         201},
        {"PATCH", "/project-years/PN1/2024", "/project-years/{project_code}/{year}",
         "{\"jobs\":3,\"version\":1}", 200},
        {"POST", "/households", "/households", household, 201},
        {"PATCH", "/households/HN1", "/households/{code}", "{\"size\":2,\"version\":1}", 200},
        {"POST", "/households/HN1/members", "/households/{code}/members", member, 201},
        {"POST", "/households/HN1/reveal", "/households/{code}/reveal", NULL, 200},
        {"POST", "/household-years", "/household-years",
         "{\"household_code\":\"HN1\",\"year\":2024,\"income_per_capita\":\"8000\"}", 201},
        {"PATCH", "/household-years/HN1/2024", "/household-years/{household_code}/{year}",
         "{\"wages\":\"100\",\"version\":1}", 200},
        {"POST", "/benefits", "/benefits",
         "{\"household_code\":\"HN1\",\"project_code\":\"PN1\",\"kind\":\"jobs\"}", 201},
        {"POST", "/imports/projects", "/imports/{template}",
         "项目编号,项目名称,区划代码,产业类别,建设年份,总投资,经营模式,经营状态\r\n"
         "PN2,导入项目,360102001001,种植业,2024,100.00,村集体自营,正常运营\r\n",
         200},
        {"POST", "/classification/runs", "/classification/runs", "{\"year\":2024}", 200},
        {"POST", "/classification/PA1/2024/decision",
         "/classification/{project_code}/{year}/decision",
         "{\"batch\":\"terminate\",\"reason\":\"连续亏损\"}", 200},
        {"POST", acknowledge, "/warnings/{id}/acknowledge", "{\"note\":\"已核实\"}", 200},
        {"POST", resolve, "/warnings/{id}/resolve", "{\"note\":\"已整改\"}", 200},
        {"PUT", "/thresholds/2024", "/thresholds/{year}", "{\"yuan\":\"7000\"}", 200},
        {"POST", "/users", "/users",
         "{\"username\":\"newvill\",\"role\":\"village\",\"region_code\":\"360102001001\"}", 201},
        {"PATCH", "/users/newvill", "/users/{username}", "{\"disabled\":true}", 200},
        {"POST", "/evaluator-assignments", "/evaluator-assignments",
         "{\"username\":\"evalA\",\"project_code\":\"PN1\"}", 201},
        {"DELETE", "/benefits/HN1/PN1/jobs", "/benefits/{household_code}/{project_code}/{kind}",
         NULL, 204},
        {"DELETE", "/evaluator-assignments/PN1/evalA",
         "/evaluator-assignments/{project_code}/{username}", NULL, 204},
    };
    int failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const write_case *k = &cases[i];
        char url[300];
        snprintf(url, sizeof url, "/api/v1%s", k->path);
        bool csv = strncmp(k->path, "/imports/", 9) == 0;
        test_response r;
        test_request(&c, k->method, url, k->body, k->body ? strlen(k->body) : 0,
                     csv ? "text/csv" : NULL, NULL, true, &r);
        if (r.status != k->status) {
            fprintf(stderr, "%s %s -> %ld, want %ld: %.300s\n", k->method, url, r.status, k->status,
                    r.body ? r.body : "");
            failures++;
        } else {
            failures += check_response(doc, k->doc_path, k->method, &r) != 0;
        }
        test_response_free(&r);
    }
    /* The rule set: what GET answers, saved back as a new version. */
    test_response r;
    test_call(&c, "GET", "/api/v1/rules?year=2024", NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *rules = json_incref(json_object_get(r.json, "rules"));
    test_response_free(&r);
    assert_non_null(rules);
    json_t *put = json_pack("{s:i,s:o}", "year", 2024, "rules", rules);
    char *body = json_dumps(put, 0);
    json_decref(put);
    test_call(&c, "PUT", "/api/v1/rules", body, &r);
    if (r.status != 200) {
        fprintf(stderr, "PUT /rules -> %ld: %.300s\n", r.status, r.body ? r.body : "");
        failures++;
    } else {
        failures += check_response(doc, "/rules", "PUT", &r) != 0;
    }
    test_response_free(&r);
    free(body);
    assert_int_equal(failures, 0);
    test_server_stop(&ts);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_documented_operation),
        cmocka_unit_test(test_every_route_documented),
        cmocka_unit_test(test_schema_checker),
        cmocka_unit_test(test_every_get_matches_schema),
        cmocka_unit_test(test_writes_match_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
