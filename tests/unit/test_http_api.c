/*
 * test_http_api.c - the server through real HTTP (libcurl against the server
 * started in-process on a loopback port): every endpoint's success path, each
 * error status, CSRF, session expiry and logout, login throttling and lockout,
 * concurrent writers, import/export, and the audit trail catching a record
 * changed behind the server's back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_http_test.h"
#include "bf_test.h"
#include "domain/audit.h"
#include "domain/template.h"
#include "io/sheet.h"
#include "io/validate.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* PATCH with a JSON body and an If-Match header. */
static void test_patch(test_client *c, const char *path, const char *body, const char *if_match,
                       test_response *r)
{
    test_request(c, "PATCH", path, body, strlen(body), NULL, if_match, true, r);
}

static const char *str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static const char *error_code(const test_response *r)
{
    return str(json_object_get(r->json, "error"), "code");
}

/* Small limits for the error-status tests. Sessions last long enough for a slow
 * (sanitizer, loaded machine) run; the expiry test has its own 2-second server. */
static void short_session(http_config *cfg)
{
    cfg->session_idle = 600;
    cfg->login_slowdown_after = 2;
    cfg->login_lock_after = 4;
    cfg->login_lock_seconds = 600;
    cfg->max_body = 4096;
    cfg->max_upload = 64 * 1024;
}

static int setup(void **state)
{
    return test_server_setup_tweaked(state, short_session);
}

static void expiring_session(http_config *cfg)
{
    short_session(cfg);
    cfg->session_idle = 2;
}

static int setup_expiring(void **state)
{
    return test_server_setup_tweaked(state, expiring_session);
}

static void cache_recheck_1s(http_config *cfg)
{
    cfg->session_recheck = 1;
}

/* The server's default limits (a whole rule set is more than 4 KiB). */
static int setup_defaults(void **state)
{
    return test_server_setup(state);
}

static int setup_cache(void **state)
{
    return test_server_setup_tweaked(state, cache_recheck_1s);
}

static int teardown(void **state)
{
    return test_server_teardown(state);
}

static void test_health_and_login(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    test_response r;
    test_call(&c, "GET", "/api/v1/health", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(str(r.json, "status"), "ok");
    test_response_free(&r);

    /* 401 before login, then login and /auth/me. */
    test_call(&c, "GET", "/api/v1/auth/me", NULL, &r);
    assert_int_equal(r.status, 401);
    assert_string_equal(error_code(&r), "unauthorized");
    assert_non_null(strstr(r.content_type, "application/json"));
    test_response_free(&r);
    assert_int_equal(test_login(&c, "opA", "wrong-password1"), 401);
    assert_int_equal(test_login(&c, "opA", TEST_PASSWORD), 200);
    test_call(&c, "GET", "/api/v1/auth/me", NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *user = json_object_get(r.json, "user");
    assert_string_equal(str(user, "username"), "opA");
    assert_string_equal(str(user, "region_code"), "360102000000");
    assert_string_equal(str(r.json, "csrf_token"), c.csrf);
    test_response_free(&r);

    /* Logout ends the session on the server: the old cookie is dead. */
    char old_cookie[256];
    snprintf(old_cookie, sizeof old_cookie, "%s", c.cookie);
    test_call(&c, "POST", "/api/v1/auth/logout", NULL, &r);
    assert_int_equal(r.status, 204);
    test_response_free(&r);
    snprintf(c.cookie, sizeof c.cookie, "%s", old_cookie);
    test_call(&c, "GET", "/api/v1/auth/me", NULL, &r);
    assert_int_equal(r.status, 401);
    test_response_free(&r);
}

static void test_cookie_attributes_and_csrf(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "opA", TEST_PASSWORD), 200);
    test_response r;
    /* State-changing request without the CSRF header: 403, and audited. */
    test_request(&c, "PATCH", "/api/v1/projects/PA1", "{\"name\":\"x\"}", 12, NULL,
                 "If-Match: \"1\"", false, &r);
    assert_int_equal(r.status, 403);
    test_response_free(&r);
    test_request(&c, "PATCH", "/api/v1/projects/PA1", "{\"name\":\"x\"}", 12, NULL,
                 "X-CSRF-Token: forged-token-value-forged-token-value-xxxxxxxx", false, &r);
    assert_int_equal(r.status, 403);
    test_response_free(&r);
    test_client admin;
    test_client_init(&admin, ts);
    assert_int_equal(test_login(&admin, "auditor", TEST_PASSWORD), 200);
    test_call(&admin, "GET", "/api/v1/audit?action=forbidden", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(json_array_size(json_object_get(r.json, "items")) >= 2);
    test_response_free(&r);
}

static void test_session_idle_expiry(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "opA", TEST_PASSWORD), 200);
    test_response r;
    test_call(&c, "GET", "/api/v1/auth/me", NULL, &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
    sleep(3); /* idle is 2 s in this server */
    test_call(&c, "GET", "/api/v1/auth/me", NULL, &r);
    assert_int_equal(r.status, 401);
    test_response_free(&r);
}

/* Sessions answered from memory: hits counted; a change made behind the
 * server's back is seen within session_recheck seconds; changes through the
 * server are seen at once by every thread. */
typedef struct {
    test_client client;
    atomic_int *disabled_done; /* set once the disabling PATCH has answered */
    int late_successes;        /* 200s for requests started after that */
    int requests;
} hammer_arg;

static void *hammer(void *varg)
{
    hammer_arg *arg = varg;
    for (int i = 0; i < 400; i++) {
        int after = atomic_load(arg->disabled_done);
        test_response r;
        test_call(&arg->client, "GET", "/api/v1/auth/me", NULL, &r);
        arg->requests++;
        if (after && r.status == 200)
            arg->late_successes++;
        test_response_free(&r);
        if (after && i > 20)
            break;
    }
    return NULL;
}

static void test_session_cache(void **state)
{
    test_server *ts = *state;
    session_cache *cache = http_server_sessions(ts->server);
    assert_non_null(cache);
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "villA", TEST_PASSWORD), 200);
    size_t entries = 0;
    uint64_t hits_before = 0, hits_after = 0;
    session_cache_stats(cache, &entries, &hits_before);
    test_response r;
    for (int i = 0; i < 3; i++) {
        test_call(&c, "GET", "/api/v1/auth/me", NULL, &r);
        assert_int_equal(r.status, 200);
        test_response_free(&r);
    }
    session_cache_stats(cache, &entries, &hits_after);
    assert_true(entries >= 1);
    assert_true(hits_after >= hits_before + 2);

    /* Disabled by another process: refused once the entry is re-checked. */
    bf_store *store = bf_test_db_open(ts->db);
    bf_error err;
    assert_int_equal(
        store_exec(store, "UPDATE users SET disabled = 1 WHERE username = 'villA'", &err), BF_OK);
    store_close(store);
    test_call(&c, "GET", "/api/v1/auth/me", NULL, &r);
    test_response_free(&r);
    sleep((unsigned)ts->cfg.session_recheck + 1);
    test_call(&c, "GET", "/api/v1/auth/me", NULL, &r);
    assert_int_equal(r.status, 401);
    test_response_free(&r);

    /* Disabled through the server while four threads use the session: no
     * request started after the PATCH answered succeeds. */
    test_client admin;
    test_client_init(&admin, ts);
    assert_int_equal(test_login(&admin, "admin1", TEST_PASSWORD), 200);
    test_client v;
    test_client_init(&v, ts);
    assert_int_equal(test_login(&v, "viewA", TEST_PASSWORD), 200);
    atomic_int done;
    atomic_init(&done, 0);
    hammer_arg args[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (hammer_arg){.client = v, .disabled_done = &done};
        assert_int_equal(pthread_create(&threads[i], NULL, hammer, &args[i]), 0);
    }
    usleep(100 * 1000);
    test_call(&admin, "PATCH", "/api/v1/users/viewA", "{\"disabled\":true}", &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
    atomic_store(&done, 1);
    int late = 0, requests = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        late += args[i].late_successes;
        requests += args[i].requests;
    }
    assert_true(requests > 4 * 20);
    assert_int_equal(late, 0);

    /* Logout is immediate too, for a session answered from memory. */
    test_client o;
    test_client_init(&o, ts);
    assert_int_equal(test_login(&o, "opB", TEST_PASSWORD), 200);
    test_call(&o, "GET", "/api/v1/auth/me", NULL, &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
    char cookie[256];
    snprintf(cookie, sizeof cookie, "%s", o.cookie);
    test_call(&o, "POST", "/api/v1/auth/logout", NULL, &r);
    assert_int_equal(r.status, 204);
    test_response_free(&r);
    snprintf(o.cookie, sizeof o.cookie, "%s", cookie);
    test_call(&o, "GET", "/api/v1/auth/me", NULL, &r);
    assert_int_equal(r.status, 401);
    test_response_free(&r);
}

static void test_lockout(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    /* Two failures allowed at once; the third must wait (429 + Retry-After). */
    assert_int_equal(test_login(&c, "opB", "wrong-password1"), 401);
    assert_int_equal(test_login(&c, "opB", "wrong-password2"), 401);
    char body[128];
    snprintf(body, sizeof body, "{\"username\":\"opB\",\"password\":\"%s\"}", TEST_PASSWORD);
    test_response r;
    test_request(&c, "POST", "/api/v1/auth/login", body, strlen(body), NULL, NULL, false, &r);
    assert_int_equal(r.status, 429);
    assert_true(atoi(r.retry_after) >= 1);
    assert_string_equal(error_code(&r), "locked");
    test_response_free(&r);
    /* After the wait, two more failures lock the account even for the right password. */
    sleep(2);
    assert_int_equal(test_login(&c, "opB", "wrong-password3"), 401);
    sleep(3);
    assert_int_equal(test_login(&c, "opB", "wrong-password4"), 401);
    test_request(&c, "POST", "/api/v1/auth/login", body, strlen(body), NULL, NULL, false, &r);
    assert_int_equal(r.status, 429);
    assert_true(atoi(r.retry_after) > 60);
    test_response_free(&r);
    /* Other accounts are not affected. */
    assert_int_equal(test_login(&c, "opA", TEST_PASSWORD), 200);
}

static void test_error_statuses(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "opA", TEST_PASSWORD), 200);
    test_response r;
    /* 400: malformed JSON, bad query parameter, too deep nesting. */
    test_call(&c, "POST", "/api/v1/projects", "{\"code\": ", &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(error_code(&r), "parse");
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/projects?page=zero", NULL, &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(str(json_object_get(r.json, "error"), "field"), "page");
    test_response_free(&r);
    char deep[200] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    for (int i = 0; i < 40; i++)
        strcat(deep, "]");
    test_call(&c, "POST", "/api/v1/projects", deep, &r);
    assert_int_equal(r.status, 400);
    test_response_free(&r);
    /* 403: a role without the permission. */
    test_client v;
    test_client_init(&v, ts);
    assert_int_equal(test_login(&v, "viewA", TEST_PASSWORD), 200);
    test_call(&v, "GET", "/api/v1/households", NULL, &r);
    assert_int_equal(r.status, 403);
    test_response_free(&r);
    /* 404: unknown path and unknown record. */
    test_call(&c, "GET", "/api/v1/nothing-here", NULL, &r);
    assert_int_equal(r.status, 404);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/projects/NOPE", NULL, &r);
    assert_int_equal(r.status, 404);
    test_response_free(&r);
    /* 405 with Allow. */
    test_call(&c, "DELETE", "/api/v1/projects/PA1", NULL, &r);
    assert_int_equal(r.status, 405);
    assert_non_null(strstr(r.allow, "PATCH"));
    test_response_free(&r);
    /* 409: stale If-Match. */
    test_patch(&c, "/api/v1/projects/PA1", "{\"name\":\"a\"}", "If-Match: \"7\"", &r);
    assert_int_equal(r.status, 409);
    test_response_free(&r);
    /* 413: body over max_body (4 KiB here). */
    size_t big_len = 10000;
    char *big = malloc(big_len + 1);
    assert_non_null(big);
    memset(big, ' ', big_len);
    big[0] = '{';
    big[big_len - 1] = '}';
    big[big_len] = '\0';
    test_call(&c, "POST", "/api/v1/projects", big, &r);
    assert_int_equal(r.status, 413);
    assert_string_equal(error_code(&r), "too_large");
    test_response_free(&r);
    free(big);
    /* 415: not JSON. */
    test_request(&c, "POST", "/api/v1/projects", "code=1", 6, "application/x-www-form-urlencoded",
                 NULL, true, &r);
    assert_int_equal(r.status, 415);
    test_response_free(&r);
    /* 422: a value the template refuses, naming the field. */
    test_patch(&c, "/api/v1/projects/PA1", "{\"investment\":\"-5\"}", "If-Match: \"1\"", &r);
    assert_int_equal(r.status, 422);
    assert_string_equal(str(json_object_get(r.json, "error"), "field"), "investment");
    test_response_free(&r);
    test_patch(&c, "/api/v1/projects/PA1", "{\"colour\":\"red\"}", "If-Match: \"1\"", &r);
    assert_int_equal(r.status, 422);
    test_response_free(&r);
    /* The server is still up after all of it. */
    test_call(&c, "GET", "/api/v1/health", NULL, &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
}

static void test_registry_crud(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "opA", TEST_PASSWORD), 200);
    test_response r;
    /* List with filter, sort and paging. */
    test_call(&c, "GET", "/api/v1/projects?sort=-investment&page_size=1", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 2);
    json_t *first = json_array_get(json_object_get(r.json, "items"), 0);
    assert_string_equal(str(first, "code"), "PA1");
    assert_string_equal(str(first, "investment"), "1000000.00");
    assert_string_equal(str(first, "sector_zh"), "光伏");
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/projects?status=idle", NULL, &r);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 1);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/projects?q=%E8%8C%B6", NULL, &r); /* 茶 */
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 1);
    test_response_free(&r);
    /* Detail with ETag, assets and years. */
    test_call(&c, "GET", "/api/v1/projects/PA1", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.etag, "\"1\"");
    assert_int_equal(json_array_size(json_object_get(r.json, "assets")), 1);
    assert_int_equal(json_array_size(json_object_get(r.json, "years")), 1);
    test_response_free(&r);
    /* Create, then 409 on a second create of the same code. */
    const char *new_project =
        "{\"code\":\"PA3\",\"name\":\"甲村新项目\",\"region_code\":\"360102001001\","
        "\"sector\":\"庭院经济\",\"start_year\":2025,\"investment\":\"12345.67\","
        "\"operation_mode\":\"collective\",\"status\":\"building\"}";
    test_call(&c, "POST", "/api/v1/projects", new_project, &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.location, "/api/v1/projects/PA3");
    assert_string_equal(str(r.json, "sector"), "courtyard");
    assert_string_equal(str(r.json, "investment"), "12345.67");
    test_response_free(&r);
    test_call(&c, "POST", "/api/v1/projects", new_project, &r);
    assert_int_equal(r.status, 409);
    test_response_free(&r);
    /* Update with If-Match, then the old version is stale. */
    test_patch(&c, "/api/v1/projects/PA3", "{\"status\":\"operating\"}", "If-Match: \"1\"", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.etag, "\"2\"");
    assert_string_equal(str(r.json, "status"), "operating");
    test_response_free(&r);
    /* Missing If-Match (and no version): 400. */
    test_call(&c, "PATCH", "/api/v1/projects/PA3", "{\"status\":\"idle\"}", &r);
    assert_int_equal(r.status, 400);
    test_response_free(&r);
    /* Assets, yearly records. */
    test_call(&c, "POST", "/api/v1/assets",
              "{\"code\":\"AA3\",\"project_code\":\"PA3\",\"name\":\"设备\",\"type\":\"equipment\","
              "\"nature\":\"operating\",\"original_value\":\"100.50\",\"acquired_on\":"
              "\"2025-01-02\",\"state\":\"in_use\",\"capacity_kw\":\"1.5\"}",
              &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(str(r.json, "capacity_kw"), "1.500");
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/assets?project=PA3", NULL, &r);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 1);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/assets/AA3", NULL, &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
    test_patch(&c, "/api/v1/assets/AA3", "{\"state\":\"idle\",\"idle_since\":\"2025-06-01\"}",
               "If-Match: \"1\"", &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
    test_call(&c, "POST", "/api/v1/project-years",
              "{\"project_code\":\"PA3\",\"year\":2025,\"revenue\":\"10\",\"profit\":\"-1.5\","
              "\"collective_income\":\"0\",\"households_benefited\":3}",
              &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(str(r.json, "profit"), "-1.50");
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/project-years/PA3/2025", NULL, &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
    test_patch(&c, "/api/v1/project-years/PA3/2025", "{\"jobs\":4}", "If-Match: \"1\"", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "jobs")), 4);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/project-years?year=2024", NULL, &r);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 2);
    test_response_free(&r);
}

static void test_households_and_reveal(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "opA", TEST_PASSWORD), 200);
    test_response r;
    test_call(&c, "GET", "/api/v1/households", NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *h = json_array_get(json_object_get(r.json, "items"), 0);
    assert_string_equal(str(h, "code"), "HA1");
    assert_non_null(strstr(str(h, "head_id_number"), "*****"));
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/households/HA1", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "members")), 1);
    assert_non_null(strstr(r.body, "***"));
    test_response_free(&r);
    /* Reveal: full numbers, and an audit record without the numbers in it. */
    test_call(&c, "POST", "/api/v1/households/HA1/reveal", NULL, &r);
    assert_int_equal(r.status, 200);
    const char *id = str(r.json, "head_id_number");
    assert_int_equal(strlen(id), 18);
    assert_null(strchr(id, '*'));
    char full_id[19];
    snprintf(full_id, sizeof full_id, "%s", id);
    test_response_free(&r);
    /* Search by the full ID number finds the household (keyed hash). */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/households?q=%s", full_id);
    test_call(&c, "GET", path, NULL, &r);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 1);
    test_response_free(&r);
    test_client a;
    test_client_init(&a, ts);
    assert_int_equal(test_login(&a, "auditor", TEST_PASSWORD), 200);
    test_call(&a, "GET", "/api/v1/audit?action=reveal", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    assert_null(strstr(r.body, full_id));
    test_response_free(&r);
    /* An auditor may read households but not reveal. */
    test_call(&a, "POST", "/api/v1/households/HA1/reveal", NULL, &r);
    assert_int_equal(r.status, 403);
    test_response_free(&r);
    /* Create with members, update, yearly income, benefits. */
    char body[1024], id1[19], id2[19];
    memcpy(id1, "36010219900202003", 17);
    id1[17] = bf_id_number_check_char(id1);
    id1[18] = '\0';
    memcpy(id2, "36010220150303004", 17);
    id2[17] = bf_id_number_check_char(id2);
    id2[18] = '\0';
    snprintf(body, sizeof body,
             "{\"code\":\"HA2\",\"region_code\":\"360102001001\",\"head_id_number\":\"%s\","
             "\"head_name\":\"李四\",\"kind\":\"marginal\",\"size\":2,\"risk_status\":\"at_risk\","
             "\"members\":[{\"id_number\":\"%s\",\"name\":\"李小四\",\"relation\":\"子\"}]}",
             id1, id2);
    test_call(&c, "POST", "/api/v1/households", body, &r);
    assert_int_equal(r.status, 201);
    assert_int_equal(json_array_size(json_object_get(r.json, "members")), 1);
    assert_null(strstr(r.body, id1));
    test_response_free(&r);
    test_patch(&c, "/api/v1/households/HA2", "{\"size\":3}", "If-Match: \"1\"", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "size")), 3);
    test_response_free(&r);
    test_call(&c, "POST", "/api/v1/household-years",
              "{\"household_code\":\"HA2\",\"year\":2025,\"income_per_capita\":\"8000\"}", &r);
    assert_int_equal(r.status, 201);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/household-years/HA2/2025", NULL, &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
    test_patch(&c, "/api/v1/household-years/HA2/2025", "{\"wages\":\"100\"}", "If-Match: \"1\"",
               &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/household-years", NULL, &r);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 2);
    test_response_free(&r);
    test_call(&c, "POST", "/api/v1/benefits",
              "{\"household_code\":\"HA2\",\"project_code\":\"PA2\",\"kind\":\"jobs\"}", &r);
    assert_int_equal(r.status, 201);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/benefits?household=HA2", NULL, &r);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 1);
    test_response_free(&r);
    test_call(&c, "DELETE", "/api/v1/benefits/HA2/PA2/jobs", NULL, &r);
    assert_int_equal(r.status, 204);
    test_response_free(&r);
    test_call(&c, "DELETE", "/api/v1/benefits/HA2/PA2/jobs", NULL, &r);
    assert_int_equal(r.status, 404);
    test_response_free(&r);
}

typedef struct {
    test_client client;
    const char *name;
    long status;
} writer_arg;

static void *writer(void *varg)
{
    writer_arg *arg = varg;
    char body[128];
    snprintf(body, sizeof body, "{\"name\":\"%s\"}", arg->name);
    test_response r;
    test_patch(&arg->client, "/api/v1/projects/PA2", body, "If-Match: \"1\"", &r);
    arg->status = r.status;
    if (r.status != 200 && r.status != 409)
        fprintf(stderr, "writer %s: %ld %s\n", arg->name, r.status, r.body ? r.body : "");
    test_response_free(&r);
    return NULL;
}

static void test_concurrent_writers(void **state)
{
    test_server *ts = *state;
    enum { N = 4 };
    writer_arg args[N];
    pthread_t threads[N];
    static const char *names[N] = {"写者一", "写者二", "写者三", "写者四"};
    for (int i = 0; i < N; i++) {
        test_client_init(&args[i].client, ts);
        assert_int_equal(test_login(&args[i].client, i % 2 ? "opA" : "admin1", TEST_PASSWORD), 200);
        args[i].name = names[i];
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, writer, &args[i]), 0);
    int ok = 0, conflict = 0;
    const char *winner = NULL;
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        if (args[i].status == 200) {
            ok++;
            winner = args[i].name;
        } else if (args[i].status == 409) {
            conflict++;
        }
    }
    assert_int_equal(ok, 1);
    assert_int_equal(conflict, N - 1);
    /* Nothing lost: the record holds the winner's change at version 2. */
    test_response r;
    test_call(&args[0].client, "GET", "/api/v1/projects/PA2", NULL, &r);
    assert_string_equal(str(r.json, "name"), winner);
    assert_string_equal(r.etag, "\"2\"");
    test_response_free(&r);
}

static void test_import_export(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "opA", TEST_PASSWORD), 200);
    test_response r;
    const char *csv = "项目编号,项目名称,区划代码,产业类别,建设年份,总投资,经营模式,经营状态\r\n"
                      "PA9,导入项目,360102001001,种植业,2024,100.00,村集体自营,正常运营\r\n"
                      "PA8,坏行,360102001001,不存在,2024,abc,村集体自营,正常运营\r\n";
    /* Dry run by default: report, nothing written. */
    test_request(&c, "POST", "/api/v1/imports/projects", csv, strlen(csv), "text/csv", NULL, true,
                 &r);
    assert_int_equal(r.status, 200);
    assert_false(json_is_true(json_object_get(r.json, "committed")));
    assert_int_equal(json_integer_value(json_object_get(r.json, "bad")), 1);
    json_t *e = json_array_get(json_object_get(r.json, "errors"), 0);
    assert_int_equal(json_integer_value(json_object_get(e, "row")), 3);
    test_response_free(&r);
    /* Commit with skip_bad through multipart/form-data. */
    char body[2048];
    int n = snprintf(body, sizeof body,
                     "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
                     "filename=\"p.csv\"\r\nContent-Type: text/csv\r\n\r\n%s\r\n--XyZ--\r\n",
                     csv);
    test_request(&c, "POST", "/api/v1/imports/projects?dry_run=false&skip_bad=true", body,
                 (size_t)n, "multipart/form-data; boundary=XyZ", NULL, true, &r);
    assert_int_equal(r.status, 200);
    assert_true(json_is_true(json_object_get(r.json, "committed")));
    assert_int_equal(json_integer_value(json_object_get(r.json, "inserted")), 1);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/projects/PA9", NULL, &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
    /* A row taking the sibling county's project code is a bad row, named in the
     * report (without revealing that project); nothing is written. */
    const char *foreign =
        "项目编号,项目名称,区划代码,产业类别,建设年份,总投资,经营模式,经营状态\r\n"
        "PA7,甲,360102001001,种植业,2024,1,村集体自营,正常运营\r\n"
        "PB1,抢占,360102001001,种植业,2024,1,村集体自营,正常运营\r\n";
    test_request(&c, "POST", "/api/v1/imports/projects?dry_run=false", foreign, strlen(foreign),
                 "text/csv", NULL, true, &r);
    assert_int_equal(r.status, 200);
    assert_false(json_is_true(json_object_get(r.json, "committed")));
    assert_int_equal(json_integer_value(json_object_get(r.json, "bad")), 1);
    char *report = json_dumps(json_object_get(r.json, "errors"), 0);
    assert_non_null(strstr(report, "管辖范围以外的记录使用"));
    assert_null(strstr(report, "360103"));
    free(report);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/projects/PA7", NULL, &r);
    assert_int_equal(r.status, 404);
    test_response_free(&r);
    /* 415 for an unknown upload type, 413 past max_upload. */
    test_request(&c, "POST", "/api/v1/imports/projects", "x", 1, "image/png", NULL, true, &r);
    assert_int_equal(r.status, 415);
    test_response_free(&r);
    size_t big_len = 70 * 1024;
    char *big = calloc(1, big_len + 1);
    memset(big, 'a', big_len);
    test_request(&c, "POST", "/api/v1/imports/projects", big, big_len, "text/csv", NULL, true, &r);
    assert_int_equal(r.status, 413);
    test_response_free(&r);
    free(big);
    /* Export CSV of the own county only. */
    test_call(&c, "GET", "/api/v1/exports/projects?format=csv", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/csv"));
    assert_non_null(strstr(r.body, "PA1"));
    assert_null(strstr(r.body, "PB1"));
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/exports/households?format=xlsx", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(r.body_len > 100 && r.body[0] == 'P' && r.body[1] == 'K');
    test_response_free(&r);
}

static void test_summary_regions_meta(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "admin1", TEST_PASSWORD), 200);
    test_response r;
    test_call(&c, "GET", "/api/v1/summary?year=2024", NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *totals = json_object_get(r.json, "totals");
    assert_int_equal(json_integer_value(json_object_get(totals, "projects")), 4);
    assert_string_equal(str(totals, "investment"), "1900000.00");
    assert_string_equal(str(totals, "revenue"), "24000.00");
    assert_int_equal(json_integer_value(json_object_get(totals, "households")), 2);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/summary?region=3601&year=2024", NULL, &r);
    json_t *children = json_object_get(r.json, "by_child");
    assert_int_equal(json_array_size(children), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(children, 0), "projects")),
                     2);
    test_response_free(&r);
    /* A write through the API shows up in the next summary. */
    test_call(&c, "POST", "/api/v1/projects",
              "{\"code\":\"PX\",\"name\":\"新\",\"region_code\":\"360103001001\","
              "\"sector\":\"pv\",\"start_year\":2020,\"investment\":\"1\","
              "\"operation_mode\":\"collective\",\"status\":\"operating\"}",
              &r);
    assert_int_equal(r.status, 201);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/summary?year=2024", NULL, &r);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "totals"), "projects")), 5);
    test_response_free(&r);
    /* Village summary computed live. */
    test_call(&c, "GET", "/api/v1/summary?region=360102001001", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "totals"), "projects")), 2);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/regions", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "children")), 1);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/regions/360102001000", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "path")), 3);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/meta/roles", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 11);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/meta/templates/projects", NULL, &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
}

/* No periodic refresher: only the per-request check of the data version can
 * tell the server about writes made outside it. */
static void no_refresher(http_config *cfg)
{
    short_session(cfg);
    cfg->summary_refresh = 0;
}

static int setup_no_refresher(void **state)
{
    test_server *ts = calloc(1, sizeof *ts);
    test_server_start(ts, no_refresher);
    *state = ts;
    return 0;
}

/* The response cache and the summary cells learn of writes made behind the
 * server's back (another connection, the command line) in the very next
 * request, on either backend: no waiting for a refresh. */
static void test_outside_writes(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "admin1", TEST_PASSWORD), 200);
    const char *first = "/api/v1/projects?sort=code&page_size=1";
    test_response r;
    for (int i = 0; i < 2; i++) { /* the second answer comes from the cache */
        test_call(&c, "GET", first, NULL, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(str(json_array_get(json_object_get(r.json, "items"), 0), "name"),
                            "甲村光伏电站");
        test_response_free(&r);
        test_call(&c, "GET", "/api/v1/summary?year=2024", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(str(json_object_get(r.json, "totals"), "investment"), "1900000.00");
        test_response_free(&r);
    }

    /* Another connection changes a project as an import does (version + 1),
     * within the same second as before (updated_at untouched). */
    bf_store *other = bf_test_db_open(ts->db);
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(store_exec(other,
                                "UPDATE projects SET investment = investment + 10000, "
                                "name = '甲村光伏电站二期', version = version + 1 "
                                "WHERE code = 'PA1'",
                                &err),
                     BF_OK);
    store_close(other);
    test_call(&c, "GET", first, NULL, &r);
    assert_string_equal(str(json_array_get(json_object_get(r.json, "items"), 0), "name"),
                        "甲村光伏电站二期");
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/summary?year=2024", NULL, &r);
    assert_string_equal(str(json_object_get(r.json, "totals"), "investment"), "1900100.00");
    test_response_free(&r);

    /* The command line: export the projects, rename one, import the file. */
    char *dir = bf_test_tmpdir();
    char csv[4200];
    snprintf(csv, sizeof csv, "%s/projects.csv", dir);
    char *out = NULL, *errout = NULL;
    assert_int_equal(bf_test_run(&out, &errout, "export projects -o '%s' --db '%s'", csv, ts->db),
                     0);
    free(out);
    free(errout);
    size_t len = 0;
    char *text = bf_test_read_file(csv, &len);
    assert_non_null(text);
    const char *old_name = "甲村光伏电站二期";
    char *at = strstr(text, old_name);
    assert_non_null(at);
    char *renamed = malloc(len + 64);
    assert_non_null(renamed);
    size_t head = (size_t)(at - text);
    int n = snprintf(renamed, len + 64, "%.*s甲村光伏电站三期%s", (int)head, text,
                     at + strlen(old_name));
    assert_true(n > 0);
    bf_test_write_file(csv, renamed, (size_t)n);
    free(renamed);
    free(text);
    assert_int_equal(bf_test_run(&out, &errout, "import projects '%s' --db '%s'", csv, ts->db), 0);
    free(out);
    free(errout);
    test_call(&c, "GET", first, NULL, &r);
    assert_string_equal(str(json_array_get(json_object_get(r.json, "items"), 0), "name"),
                        "甲村光伏电站三期");
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/summary?year=2024", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(str(json_object_get(r.json, "totals"), "investment"), "1900100.00");
    test_response_free(&r);
    free(dir);
}

/* The server's own bookkeeping write (a session's last_seen), bracketed as
 * session_lookup() does, does not count as a data change; a write by anyone
 * else does, also when it happened just before the server's own one. SQLite
 * only (the bracket needs the mapped wal-index; on PostgreSQL every commit
 * counts, which the test above covers). */
static void test_own_writes(void **state)
{
    test_server *ts = *state;
    if (strncmp(ts->db, "postgres", 8) == 0)
        skip();
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "admin1", TEST_PASSWORD), 200); /* a sessions row */
    store_pool *pool = http_server_pool(ts->server);
    bf_store *own = NULL, *other = bf_test_db_open(ts->db);
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(store_pool_acquire(pool, 1000, &own, &err), BF_OK);
    uint64_t mark[2];
    const char *touch = "UPDATE sessions SET last_seen = last_seen + 1";
    const char *nothing = "UPDATE sessions SET last_seen = 0 WHERE token_hash = 'none'";
    const char *change = "UPDATE projects SET version = version + 1 WHERE code = 'PA1'";

    http_server_sync(ts->server);
    uint64_t g = http_server_generation(ts->server);
    /* Own write: absorbed. */
    assert_int_equal(store_begin(own, &err), BF_OK);
    http_server_own_write_begin(ts->server, mark);
    assert_int_not_equal(mark[0], 0);
    assert_int_equal(store_exec(own, touch, &err), BF_OK);
    assert_int_equal(store_commit(own, &err), BF_OK);
    http_server_own_write_end(ts->server, mark, true);
    http_server_sync(ts->server);
    assert_int_equal(http_server_generation(ts->server), g);

    /* Someone else's write, then an own one before the server looked: the
     * other write must not be absorbed with the own one. */
    assert_int_equal(store_exec(other, change, &err), BF_OK);
    assert_int_equal(store_begin(own, &err), BF_OK);
    http_server_own_write_begin(ts->server, mark);
    assert_int_equal(store_exec(own, touch, &err), BF_OK);
    assert_int_equal(store_commit(own, &err), BF_OK);
    http_server_own_write_end(ts->server, mark, true);
    http_server_sync(ts->server);
    assert_true(http_server_generation(ts->server) > g);
    g = http_server_generation(ts->server);

    /* An own write followed by someone else's before the bracket ends. */
    assert_int_equal(store_begin(own, &err), BF_OK);
    http_server_own_write_begin(ts->server, mark);
    assert_int_equal(store_exec(own, touch, &err), BF_OK);
    assert_int_equal(store_commit(own, &err), BF_OK);
    assert_int_equal(store_exec(other, change, &err), BF_OK);
    http_server_own_write_end(ts->server, mark, true);
    http_server_sync(ts->server);
    assert_true(http_server_generation(ts->server) > g);
    g = http_server_generation(ts->server);

    /* An own transaction that changed no row commits nothing: someone else's
     * commit right after it must not pass for it. */
    assert_int_equal(store_begin(own, &err), BF_OK);
    http_server_own_write_begin(ts->server, mark);
    assert_int_equal(store_exec(own, nothing, &err), BF_OK);
    assert_int_equal(store_commit(own, &err), BF_OK);
    assert_int_equal(store_exec(other, change, &err), BF_OK);
    http_server_own_write_end(ts->server, mark, false);
    http_server_sync(ts->server);
    assert_true(http_server_generation(ts->server) > g);

    store_pool_release(pool, own);
    store_close(other);
}

static void test_users_and_assignments(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "admin1", TEST_PASSWORD), 200);
    test_response r;
    test_call(&c, "POST", "/api/v1/users",
              "{\"username\":\"newop\",\"role\":\"county_operator\",\"region_code\":\"360103\"}",
              &r);
    assert_int_equal(r.status, 201);
    char password[64];
    snprintf(password, sizeof password, "%s", str(r.json, "password"));
    assert_int_equal(strlen(password), 16);
    test_response_free(&r);
    test_call(&c, "POST", "/api/v1/users",
              "{\"username\":\"badop\",\"role\":\"county_operator\",\"region_code\":\"360100\"}",
              &r);
    assert_int_equal(r.status, 422); /* a county role on a city */
    test_response_free(&r);
    /* The new account must change its password first. */
    test_client n;
    test_client_init(&n, ts);
    assert_int_equal(test_login(&n, "newop", password), 200);
    test_call(&n, "GET", "/api/v1/projects", NULL, &r);
    assert_int_equal(r.status, 403);
    test_response_free(&r);
    char body[256];
    snprintf(body, sizeof body, "{\"old_password\":\"%s\",\"new_password\":\"short\"}", password);
    test_call(&n, "POST", "/api/v1/auth/password", body, &r);
    assert_int_equal(r.status, 422);
    test_response_free(&r);
    snprintf(body, sizeof body, "{\"old_password\":\"%s\",\"new_password\":\"Another-pass9\"}",
             password);
    test_call(&n, "POST", "/api/v1/auth/password", body, &r);
    assert_int_equal(r.status, 204);
    test_response_free(&r);
    test_call(&n, "GET", "/api/v1/projects", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 2);
    test_response_free(&r);
    /* Disable it: its session ends. */
    test_call(&c, "PATCH", "/api/v1/users/newop", "{\"disabled\":true}", &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
    test_call(&n, "GET", "/api/v1/projects", NULL, &r);
    assert_int_equal(r.status, 401);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/users", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(json_array_size(json_object_get(r.json, "items")) >= 9);
    test_response_free(&r);
    /* Assignments. */
    test_call(&c, "POST", "/api/v1/evaluator-assignments",
              "{\"username\":\"evalA\",\"project_code\":\"PB2\"}", &r);
    assert_int_equal(r.status, 201);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/evaluator-assignments", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
    test_response_free(&r);
    test_call(&c, "DELETE", "/api/v1/evaluator-assignments/PB2/evalA", NULL, &r);
    assert_int_equal(r.status, 204);
    test_response_free(&r);
}

static void test_audit_chain_and_tamper(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "opA", TEST_PASSWORD), 200);
    test_response r;
    test_patch(&c, "/api/v1/projects/PA1", "{\"name\":\"改名\"}", "If-Match: \"1\"", &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
    test_client a;
    test_client_init(&a, ts);
    assert_int_equal(test_login(&a, "auditor", TEST_PASSWORD), 200);
    test_call(&a, "GET", "/api/v1/audit?action=update", NULL, &r);
    json_t *rec = json_array_get(json_object_get(r.json, "items"), 0);
    assert_string_equal(str(rec, "user"), "opA");
    assert_string_equal(str(rec, "entity_key"), "PA1");
    assert_non_null(strstr(str(rec, "before"), "甲村光伏电站"));
    assert_non_null(strstr(str(rec, "after"), "改名"));
    int64_t seq = json_integer_value(json_object_get(rec, "seq"));
    test_response_free(&r);
    test_call(&a, "GET", "/api/v1/audit/verify", NULL, &r);
    assert_true(json_is_true(json_object_get(r.json, "ok")));
    test_response_free(&r);
    test_call(&a, "GET", "/api/v1/audit/export", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"head\""));
    test_response_free(&r);
    /* Change the record behind the server's back. */
    bf_store *store = bf_test_db_open(ts->db);
    bf_test_audit_unguard(store);
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE audit_log SET after_json = '{\"name\":\"别的\"}' WHERE seq = %lld",
             (long long)seq);
    bf_error err;
    assert_int_equal(store_exec(store, sql, &err), BF_OK);
    store_close(store);
    test_call(&a, "GET", "/api/v1/audit/verify", NULL, &r);
    assert_false(json_is_true(json_object_get(r.json, "ok")));
    assert_int_equal(json_integer_value(json_object_get(r.json, "bad_seq")), seq);
    test_response_free(&r);
    /* The command line says the same. */
    char *out = NULL, *errout = NULL;
    int code = bf_test_run(&out, &errout, "audit verify --db '%s'", ts->db);
    assert_int_not_equal(code, 0);
    assert_non_null(strstr(errout, "篡改"));
    free(out);
    free(errout);
}

static void test_classification_and_warnings(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "opA", TEST_PASSWORD), 200);
    test_response r;
    test_call(&c, "POST", "/api/v1/classification/runs", "{\"year\":2024}", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "projects")), 2);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/classification?year=2024", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 2);
    assert_null(strstr(r.body, "PB1"));
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/classification/PA2/2024", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(json_array_size(json_object_get(r.json, "indicators")) > 3);
    test_response_free(&r);
    /* Override needs a reason; confirm does not. */
    test_call(&c, "POST", "/api/v1/classification/PA1/2024/decision", "{\"batch\":\"terminate\"}",
              &r);
    assert_int_equal(r.status, 422);
    test_response_free(&r);
    test_call(&c, "POST", "/api/v1/classification/PA1/2024/decision", "{}", &r);
    assert_int_equal(r.status, 200);
    assert_false(json_is_true(json_object_get(r.json, "overridden")));
    test_response_free(&r);
    /* The project list now carries the batch and filters on it. */
    test_call(&c, "GET", "/api/v1/projects/PA1", NULL, &r);
    assert_true(json_is_string(json_object_get(r.json, "batch")));
    char path[128];
    snprintf(path, sizeof path, "/api/v1/projects?batch=%s", str(r.json, "batch"));
    test_response_free(&r);
    test_call(&c, "GET", path, NULL, &r);
    assert_true(json_integer_value(json_object_get(r.json, "total")) >= 1);
    assert_non_null(strstr(r.body, "PA1"));
    test_response_free(&r);
    /* The summary's batch breakdown follows. */
    test_call(&c, "GET", "/api/v1/summary?year=2024", NULL, &r);
    assert_null(strstr(r.body, "unclassified"));
    test_response_free(&r);
    /* Warnings of the county: acknowledge, resolve, then a second resolve is refused. */
    test_call(&c, "GET", "/api/v1/warnings?year=2024", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "PB"));
    json_t *first = json_array_get(json_object_get(r.json, "items"), 0);
    int64_t id = json_integer_value(json_object_get(first, "id"));
    test_response_free(&r);
    if (id > 0) {
        snprintf(path, sizeof path, "/api/v1/warnings/%lld/acknowledge", (long long)id);
        test_call(&c, "POST", path, "{\"note\":\"已核实\"}", &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(str(r.json, "status"), "acknowledged");
        test_response_free(&r);
        snprintf(path, sizeof path, "/api/v1/warnings/%lld/resolve", (long long)id);
        test_call(&c, "POST", path, "{\"note\":\"已整改\"}", &r);
        assert_int_equal(r.status, 200);
        test_response_free(&r);
        test_call(&c, "POST", path, "{\"note\":\"again\"}", &r);
        assert_int_equal(r.status, 409);
        test_response_free(&r);
        /* The sibling county cannot see or move it. */
        test_client b;
        test_client_init(&b, ts);
        assert_int_equal(test_login(&b, "opB", TEST_PASSWORD), 200);
        snprintf(path, sizeof path, "/api/v1/warnings/%lld/acknowledge", (long long)id);
        test_call(&b, "POST", path, "{}", &r);
        assert_int_equal(r.status, 404);
        test_response_free(&r);
    }
    test_client b;
    test_client_init(&b, ts);
    assert_int_equal(test_login(&b, "opB", TEST_PASSWORD), 200);
    test_call(&b, "GET", "/api/v1/classification/PA1/2024", NULL, &r);
    assert_int_equal(r.status, 404);
    test_response_free(&r);
    test_call(&b, "POST", "/api/v1/classification/PA1/2024/decision", "{}", &r);
    assert_int_equal(r.status, 404);
    test_response_free(&r);
}

/* An ID number from its first 17 digits (check character computed). */
static void id_number(const char *first17, char out[19])
{
    memcpy(out, first17, 17);
    out[17] = bf_id_number_check_char(out);
    out[18] = '\0';
}

/* Rules: read, the parser's error at its position, a new version, a stale
 * If-Match, permissions; thresholds: list, set, scope of the list. */
static void test_rules_and_thresholds(void **state)
{
    test_server *ts = *state;
    test_client c, op;
    test_client_init(&c, ts);
    test_client_init(&op, ts);
    assert_int_equal(test_login(&c, "admin1", TEST_PASSWORD), 200);
    assert_int_equal(test_login(&op, "opA", TEST_PASSWORD), 200);
    test_response r;
    /* A first run under the default rules, to compare with below. */
    test_call(&op, "POST", "/api/v1/classification/runs", "{\"year\":2024}", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "transitions")), 0);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/rules?year=2024", NULL, &r);
    assert_int_equal(r.status, 200);
    char etag[64];
    snprintf(etag, sizeof etag, "%s", r.etag);
    assert_true(strlen(etag) > 2);
    int64_t version = json_integer_value(json_object_get(r.json, "version"));
    json_t *rules = json_deep_copy(json_object_get(r.json, "rules"));
    size_t n = json_array_size(rules);
    assert_true(n >= 5);
    json_t *first = json_array_get(rules, 0);
    assert_string_equal(str(first, "kind"), "batch");
    assert_true(strlen(str(first, "id")) > 0);
    assert_true(strlen(str(first, "condition")) > 0);
    assert_true(json_array_size(json_object_get(r.json, "batches")) >= 4);
    test_response_free(&r);
    /* Any user with dashboards reads the rules; only the province saves them. */
    test_call(&op, "GET", "/api/v1/rules?year=2024", NULL, &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
    test_call(&op, "PUT", "/api/v1/rules", "{\"year\":2024,\"rules\":[]}", &r);
    assert_int_equal(r.status, 403);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/rules?year=2024&version=999", NULL, &r);
    assert_int_equal(r.status, 404);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/rules?year=abc", NULL, &r);
    assert_int_equal(r.status, 400);
    test_response_free(&r);

    /* An unknown indicator in the third rule, after two leading blanks and a
     * Chinese literal: position counts characters of the text as sent. */
    json_t *bad = json_deep_copy(rules);
    json_object_set_new(json_array_get(bad, 2), "condition",
                        json_string("  status != '在建' and months_idlex >= 6"));
    json_t *body = json_pack("{s:I, s:O}", "year", (json_int_t)2024, "rules", bad);
    char *text = json_dumps(body, JSON_COMPACT);
    char if_match[96];
    snprintf(if_match, sizeof if_match, "If-Match: %s", etag);
    test_request(&c, "PUT", "/api/v1/rules", text, strlen(text), NULL, if_match, true, &r);
    assert_int_equal(r.status, 422);
    json_t *error = json_object_get(r.json, "error");
    assert_string_equal(str(error, "field"), "rules[2].condition");
    assert_int_equal(json_integer_value(json_object_get(error, "rule_index")), 2);
    /* 2 blanks + "status != '" (11) + 2 Chinese characters + "' and " (6) = 21 characters,
     * 25 bytes. */
    assert_int_equal(json_integer_value(json_object_get(error, "position")), 21);
    assert_int_equal(json_integer_value(json_object_get(error, "column")), 22);
    assert_int_equal(json_integer_value(json_object_get(error, "byte_offset")), 25);
    assert_non_null(strstr(str(error, "message"), "months_idlex"));
    assert_true(json_array_size(json_object_get(error, "problems")) >= 1);
    test_response_free(&r);
    free(text);
    json_decref(body);
    json_decref(bad);
    /* Nothing was saved. */
    test_call(&c, "GET", "/api/v1/rules?year=2024", NULL, &r);
    assert_int_equal(json_integer_value(json_object_get(r.json, "version")), version);
    assert_string_equal(r.etag, etag);
    test_response_free(&r);
    /* Types checked before the rules module: a priority that is not an integer,
     * a warning type whose kind cannot be told. */
    test_call(&c, "PUT", "/api/v1/rules",
              "{\"year\":2024,\"rules\":[{\"name\":\"x\",\"yields\":\"upgrade\",\"priority\":\"1\","
              "\"condition\":\"true\",\"explanation\":\"x\"}]}",
              &r);
    assert_int_equal(r.status, 422);
    assert_string_equal(str(json_object_get(r.json, "error"), "field"), "rules[0].priority");
    test_response_free(&r);
    test_call(&c, "PUT", "/api/v1/rules",
              "{\"year\":2024,\"rules\":[{\"name\":\"x\",\"yields\":\"新预警\",\"priority\":1,"
              "\"condition\":\"true\",\"explanation\":\"x\"}]}",
              &r);
    assert_int_equal(r.status, 422);
    assert_string_equal(str(json_object_get(r.json, "error"), "field"), "rules[0].kind");
    test_response_free(&r);
    test_call(&c, "PUT", "/api/v1/rules", "{\"year\":2024}", &r);
    assert_int_equal(r.status, 422);
    test_response_free(&r);
    test_call(&c, "PUT", "/api/v1/rules", "[1,2]", &r);
    assert_int_equal(r.status, 400);
    test_response_free(&r);

    /* A good set: every project becomes 提升 (a first rule that always holds),
     * plus a new rule without a code (it gets one). */
    json_t *good = json_deep_copy(rules);
    json_array_insert_new(good, 0,
                          json_pack("{s:s, s:s, s:i, s:s, s:s}", "name", "测试：全部提升", "yields",
                                    "upgrade", "priority", 1, "condition", "true", "explanation",
                                    "测试规则"));
    body = json_pack("{s:I, s:O, s:s}", "year", (json_int_t)2024, "rules", good, "note", "测试");
    text = json_dumps(body, JSON_COMPACT);
    test_request(&c, "PUT", "/api/v1/rules", text, strlen(text), NULL, if_match, true, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "rules")), n + 1);
    assert_string_equal(str(json_array_get(json_object_get(r.json, "rules"), 0), "id"), "B1");
    assert_int_equal(json_integer_value(json_object_get(r.json, "year")), 2024);
    assert_string_not_equal(r.etag, etag);
    char etag2[64];
    snprintf(etag2, sizeof etag2, "%s", r.etag);
    test_response_free(&r);
    /* The same If-Match again is stale now; a malformed one is refused. */
    test_request(&c, "PUT", "/api/v1/rules", text, strlen(text), NULL, if_match, true, &r);
    assert_int_equal(r.status, 409);
    test_response_free(&r);
    test_request(&c, "POST", "/api/v1/rules", text, strlen(text), NULL, "If-Match: abc", true, &r);
    assert_int_equal(r.status, 400);
    test_response_free(&r);
    free(text);
    json_decref(body);
    json_decref(good);
    json_decref(rules);
    test_call(&c, "GET", "/api/v1/rules?year=2024", NULL, &r);
    assert_string_equal(r.etag, etag2);
    test_response_free(&r);

    /* The run under the new set: the batch moves are in the answer. */
    test_call(&op, "POST", "/api/v1/classification/runs", "{\"year\":2024}", &r);
    assert_int_equal(r.status, 200);
    json_t *moves = json_object_get(r.json, "transitions");
    assert_true(json_is_array(moves));
    long moved = 0;
    for (size_t i = 0; i < json_array_size(moves); i++) {
        json_t *t = json_array_get(moves, i);
        assert_string_equal(str(t, "to"), "upgrade");
        assert_string_not_equal(str(t, "from"), "upgrade");
        moved += (long)json_integer_value(json_object_get(t, "projects"));
    }
    assert_true(moved >= 1);
    assert_int_equal(moved, json_integer_value(json_object_get(r.json, "changed")));
    test_response_free(&r);

    /* Thresholds. */
    test_call(&c, "PUT", "/api/v1/thresholds/2024", "{\"yuan\":\"7400.5\",\"note\":\"测试\"}", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(str(r.json, "yuan"), "7400.50");
    assert_string_equal(str(r.json, "region_code"), "360000000000");
    test_response_free(&r);
    test_call(&c, "PUT", "/api/v1/thresholds/2024",
              "{\"yuan\":\"7600\",\"region_code\":\"360103\"}", &r);
    assert_int_equal(r.status, 200);
    test_response_free(&r);
    test_call(&c, "PUT", "/api/v1/thresholds/2024", "{\"yuan\":\"0\"}", &r);
    assert_int_equal(r.status, 422);
    assert_string_equal(str(json_object_get(r.json, "error"), "field"), "yuan");
    test_response_free(&r);
    test_call(&c, "PUT", "/api/v1/thresholds/2024", "{\"yuan\":\"1.234\"}", &r);
    assert_int_equal(r.status, 422);
    test_response_free(&r);
    test_call(&c, "PUT", "/api/v1/thresholds/1800", "{\"yuan\":\"1\"}", &r);
    assert_int_equal(r.status, 400);
    test_response_free(&r);
    test_call(&op, "PUT", "/api/v1/thresholds/2024", "{\"yuan\":\"1\"}", &r);
    assert_int_equal(r.status, 403);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/thresholds?year=2024", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
    test_response_free(&r);
    /* County A sees the province's threshold, not county B's. */
    test_call(&op, "GET", "/api/v1/thresholds", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    assert_non_null(strstr(r.body, "7400.50"));
    assert_null(strstr(r.body, "360103"));
    test_response_free(&r);

    /* Both kinds of write are in the audit trail. */
    test_client a;
    test_client_init(&a, ts);
    assert_int_equal(test_login(&a, "auditor", TEST_PASSWORD), 200);
    test_call(&a, "GET", "/api/v1/audit?action=rules_update", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    test_response_free(&r);
    test_call(&a, "GET", "/api/v1/audit?action=threshold_set", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 2);
    test_response_free(&r);
}

/* The empty templates as files. */
static void test_template_files(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "viewA", TEST_PASSWORD), 200);
    test_response r;
    test_call(&c, "GET", "/api/v1/meta/templates/households?format=xlsx", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "spreadsheetml"));
    bf_sheet *sheet = NULL;
    bf_error err;
    assert_int_equal(bf_sheet_open_mem(r.body, r.body_len, NULL, &sheet, &err), BF_OK);
    bf_row row;
    bool has_row = false;
    assert_int_equal(bf_sheet_next(sheet, &row, &has_row, &err), BF_OK);
    assert_true(has_row);
    const tpl_template *tpl = tpl_find("households");
    assert_int_equal(row.ncells, tpl->ncolumns);
    for (size_t i = 0; i < tpl->ncolumns; i++)
        assert_string_equal(row.cells[i].text, tpl->columns[i].header);
    assert_int_equal(bf_sheet_next(sheet, &row, &has_row, &err), BF_OK);
    assert_false(has_row);
    bf_sheet_close(sheet);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/meta/templates/projects?format=csv", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/csv"));
    assert_true(r.body_len > 3 && memcmp(r.body, "\xEF\xBB\xBF", 3) == 0);
    assert_non_null(strstr(r.body, tpl_find("projects")->columns[0].header));
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/meta/templates/projects?format=pdf", NULL, &r);
    assert_int_equal(r.status, 400);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/meta/templates/nothing?format=xlsx", NULL, &r);
    assert_int_equal(r.status, 404);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/meta/templates/projects", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "application/json"));
    test_response_free(&r);
}

/* Members added to and removed from an existing household. */
static void test_members(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "opA", TEST_PASSWORD), 200);
    char id[19], head[19], body[256];
    id_number("36010220180505005", id);
    id_number("36010219800101001", head);
    test_response r;
    snprintf(body, sizeof body, "{\"id_number\":\"%s\",\"name\":\"张小四\",\"relation\":\"女\"}",
             id);
    test_call(&c, "POST", "/api/v1/households/HA1/members", body, &r);
    assert_int_equal(r.status, 201);
    assert_null(strstr(r.body, id));
    assert_non_null(strstr(str(r.json, "id_number"), "*"));
    char member_id[80], path[200];
    snprintf(member_id, sizeof member_id, "%s", str(r.json, "id"));
    assert_true(strlen(member_id) > 0);
    snprintf(path, sizeof path, "/api/v1/households/HA1/members/%s", member_id);
    assert_string_equal(r.location, path);
    test_response_free(&r);
    test_call(&c, "POST", "/api/v1/households/HA1/members", body, &r);
    assert_int_equal(r.status, 409);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/households/HA1", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "members")), 2);
    test_response_free(&r);
    /* Bad values name their field. */
    test_call(&c, "POST", "/api/v1/households/HA1/members",
              "{\"id_number\":\"360102201805050051\",\"name\":\"x\",\"relation\":\"女\"}", &r);
    assert_int_equal(r.status, 422);
    assert_string_equal(str(json_object_get(r.json, "error"), "field"), "id_number");
    test_response_free(&r);
    test_call(&c, "POST", "/api/v1/households/HA1/members", "{\"name\":\"x\"}", &r);
    assert_int_equal(r.status, 422);
    test_response_free(&r);
    test_call(&c, "POST", "/api/v1/households/NOPE/members", body, &r);
    assert_int_equal(r.status, 404);
    test_response_free(&r);
    /* Remove it; a second time it is gone. */
    test_call(&c, "DELETE", path, NULL, &r);
    assert_int_equal(r.status, 204);
    test_response_free(&r);
    test_call(&c, "DELETE", path, NULL, &r);
    assert_int_equal(r.status, 404);
    test_response_free(&r);
    /* The head of the household stays. */
    snprintf(body, sizeof body, "{\"id_number\":\"%s\",\"name\":\"张三\",\"relation\":\"户主\"}",
             head);
    test_call(&c, "POST", "/api/v1/households/HA1/members", body, &r);
    assert_int_equal(r.status, 201);
    snprintf(path, sizeof path, "/api/v1/households/HA1/members/%s", str(r.json, "id"));
    test_response_free(&r);
    test_call(&c, "DELETE", path, NULL, &r);
    assert_int_equal(r.status, 409);
    test_response_free(&r);
    /* Audited, without the full number. */
    test_client a;
    test_client_init(&a, ts);
    assert_int_equal(test_login(&a, "auditor", TEST_PASSWORD), 200);
    test_call(&a, "GET", "/api/v1/audit?action=delete", NULL, &r);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    assert_string_equal(str(json_array_get(json_object_get(r.json, "items"), 0), "entity"),
                        "member");
    assert_null(strstr(r.body, id));
    test_response_free(&r);
}

static void test_static_files(void **state)
{
    (void)state;
    char *dir = bf_test_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/index.html", dir);
    bf_test_write_file(path, "<html>app</html>", 16);
    snprintf(path, sizeof path, "mkdir -p '%s/assets'", dir);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof path, "%s/assets/app.js", dir);
    bf_test_write_file(path, "console.log(1)", 14);
    test_server ts;
    static char web_dir[1000];
    snprintf(web_dir, sizeof web_dir, "%s", dir);
    free(dir);
    test_server_start(&ts, NULL);
    /* Point the running server's config at the folder via a second server. */
    test_server_stop(&ts);
    http_config cfg;
    http_config_defaults(&cfg);
    snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
    snprintf(cfg.access_log, sizeof cfg.access_log, "off");
    snprintf(cfg.web_dir, sizeof cfg.web_dir, "%s", web_dir);
    cfg.summary_refresh = 0;
    bf_error err;
    http_server *srv = NULL;
    assert_int_equal(http_server_new(&cfg, ts.db, &srv, &err), BF_OK);
    assert_int_equal(http_server_listen(srv, &err), BF_OK);
    test_client c = {.port = http_server_port(srv)};
    test_response r;
    test_call(&c, "GET", "/assets/app.js", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/javascript"));
    test_response_free(&r);
    test_call(&c, "GET", "/projects/PA1", NULL, &r); /* SPA route */
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "<html>app</html>");
    assert_non_null(strstr(r.content_type, "text/html"));
    test_response_free(&r);
    test_call(&c, "GET", "/missing.png", NULL, &r);
    assert_int_equal(r.status, 404);
    test_response_free(&r);
    test_call(&c, "GET", "/../../etc/passwd", NULL, &r);
    assert_true(r.status == 404 || r.status == 200);
    assert_null(strstr(r.body ? r.body : "", "root:"));
    test_response_free(&r);
    http_server_free(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_health_and_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cookie_attributes_and_csrf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_idle_expiry, setup_expiring, teardown),
        cmocka_unit_test_setup_teardown(test_session_cache, setup_cache, teardown),
        cmocka_unit_test_setup_teardown(test_lockout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registry_crud, setup, teardown),
        cmocka_unit_test_setup_teardown(test_households_and_reveal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_export, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary_regions_meta, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outside_writes, setup_no_refresher, teardown),
        cmocka_unit_test_setup_teardown(test_own_writes, setup_no_refresher, teardown),
        cmocka_unit_test_setup_teardown(test_users_and_assignments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_chain_and_tamper, setup, teardown),
        cmocka_unit_test_setup_teardown(test_classification_and_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_and_thresholds, setup_defaults, teardown),
        cmocka_unit_test_setup_teardown(test_template_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_members, setup, teardown),
        cmocka_unit_test(test_static_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
