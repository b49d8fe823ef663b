/*
 * bf_http_test.c - HTTP test support (see bf_http_test.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_http_test.h"
#include "bf_test.h"
#include "domain/accounts.h"
#include "domain/pii.h"
#include "io/validate.h"
#include "store/store.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void exec_sql(bf_store *store, const char *sql)
{
    bf_error err;
    bf_error_clear(&err);
    if (store_exec(store, sql, &err) != BF_OK)
        fail_msg("seed: %s: %s", sql, bf_error_text(&err));
}

/* A valid ID number from 17 digits (the check character computed). */
static void full_id(const char *first17, char out[19])
{
    memcpy(out, first17, 17);
    out[17] = bf_id_number_check_char(first17);
    out[18] = '\0';
}

static void add_household(bf_store *store, const pii_keys *keys, const char *code,
                          const char *region, const char *head17, const char *member17)
{
    char hash[PII_HASH_HEX_LEN + 1], enc[PII_ENC_B64_MAX], masked[PII_MASKED_LEN + 1];
    char head_id[19], member_id[19];
    full_id(head17, head_id);
    full_id(member17, member_id);
    bf_error err;
    bf_stmt *stmt = NULL;
    pii_id_hash(keys, head_id, 18, hash);
    assert_int_equal(pii_id_encrypt(keys, head_id, 18, enc, sizeof enc), BF_OK);
    pii_id_mask(head_id, 18, masked);
    assert_int_equal(store_prepare(store,
                                   "INSERT INTO households (code, region_code, head_id_hash, "
                                   "head_id_enc, head_id_masked, head_name, kind, size, "
                                   "risk_status, updated_at, county_code) VALUES (?, ?, ?, ?, ?, "
                                   "'张三', 'alleviated', 3, 'none', 1, substr(?, 1, 6))",
                                   &stmt, &err),
                     BF_OK);
    store_bind_str(stmt, 1, code);
    store_bind_str(stmt, 2, region);
    store_bind_str(stmt, 3, hash);
    store_bind_str(stmt, 4, enc);
    store_bind_str(stmt, 5, masked);
    store_bind_str(stmt, 6, region);
    assert_int_equal(store_step_done(stmt, &err), BF_OK);
    store_finalize(stmt);
    pii_id_hash(keys, member_id, 18, hash);
    assert_int_equal(pii_id_encrypt(keys, member_id, 18, enc, sizeof enc), BF_OK);
    pii_id_mask(member_id, 18, masked);
    assert_int_equal(store_prepare(store,
                                   "INSERT INTO members (id_hash, household_code, id_enc, "
                                   "id_masked, name, relation, updated_at, county_code) VALUES "
                                   "(?, ?, ?, ?, '张小三', '子', 1, substr(?, 1, 6))",
                                   &stmt, &err),
                     BF_OK);
    store_bind_str(stmt, 1, hash);
    store_bind_str(stmt, 2, code);
    store_bind_str(stmt, 3, enc);
    store_bind_str(stmt, 4, masked);
    store_bind_str(stmt, 5, region);
    assert_int_equal(store_step_done(stmt, &err), BF_OK);
    store_finalize(stmt);
}

static void seed(const char *target)
{
    bf_store *store = bf_test_db_open(target);
    exec_sql(store, "INSERT INTO regions (code, name, level, parent_code, flags) VALUES "
                    "('360000000000', '江西省', 1, NULL, 0),"
                    "('360100000000', '南昌市', 2, '360000000000', 0),"
                    "('360102000000', '东湖区', 3, '360100000000', 1),"
                    "('360103000000', '西湖区', 3, '360100000000', 0),"
                    "('360102001000', '甲镇', 4, '360102000000', 0),"
                    "('360103001000', '乙镇', 4, '360103000000', 0),"
                    "('360102001001', '甲村', 5, '360102001000', 4),"
                    "('360103001001', '乙村', 5, '360103001000', 4)");
    exec_sql(
        store,
        "INSERT INTO projects (county_code, code, name, region_code, sector, start_year, "
        "investment, "
        "linkage_funds, operation_mode, status, idle_since, updated_at) VALUES "
        "('360102', 'PA1', '甲村光伏电站', '360102001001', 'pv', 2019, 100000000, 50000000, "
        "'collective', 'operating', NULL, 1),"
        "('360102', 'PA2', '甲村茶园', '360102001001', 'planting', 2020, 20000000, 10000000, "
        "'cooperative', 'idle', '2024-01-01', 1),"
        "('360103', 'PB1', '乙村养殖场', '360103001001', 'breeding', 2019, 30000000, 10000000, "
        "'collective', 'operating', NULL, 1),"
        "('360103', 'PB2', '乙村加工厂', '360103001001', 'processing', 2021, 40000000, 20000000, "
        "'lease', 'stopped', '2023-06-01', 1)");
    exec_sql(
        store,
        "INSERT INTO assets (county_code, code, project_code, name, type, nature, original_value, "
        "acquired_on, state, idle_since, updated_at) VALUES "
        "('360102', 'AA1', 'PA1', '光伏板', 'pv_station', 'operating', 90000000, '2019-06-01', "
        "'in_use', NULL, 1),"
        "('360102', 'AA2', 'PA2', '茶园设施', 'greenhouse', 'operating', 15000000, '2020-03-01', "
        "'idle', '2024-01-01', 1),"
        "('360103', 'AB1', 'PB1', '牛舍', 'farm', 'operating', 25000000, '2019-05-01', 'in_use', "
        "NULL, "
        "1),"
        "('360103', 'AB2', 'PB2', '厂房', 'factory', 'operating', 35000000, '2021-01-01', "
        "'idle', '2023-06-01', 1)");
    exec_sql(store, "INSERT INTO project_years (county_code, project_code, year, revenue, profit, "
                    "collective_income, "
                    "households_benefited, poor_households_benefited, jobs, updated_at) VALUES "
                    "('360102', 'PA1', 2024, 1200000, 800000, 700000, 40, 12, 2, 1),"
                    "('360102', 'PA2', 2024, 300000, -50000, 0, 10, 3, 5, 1),"
                    "('360103', 'PB1', 2024, 900000, 100000, 200000, 20, 8, 6, 1),"
                    "('360103', 'PB2', 2024, 0, -300000, 0, 0, 0, 0, 1)");
    char key_path[4200];
    pii_key_path(target, NULL, key_path, sizeof key_path);
    pii_keys *keys = NULL;
    bf_error err;
    assert_int_equal(pii_keys_load(key_path, &keys, &err), BF_OK);
    /* Valid check digits (GB 11643). */
    add_household(store, keys, "HA1", "360102001001", "36010219800101001", "36010220100101002");
    add_household(store, keys, "HB1", "360103001001", "36010319800101001", "36010320100101002");
    pii_keys_free(keys);
    exec_sql(store,
             "INSERT INTO household_years (county_code, household_code, year, income_per_capita, "
             "updated_at) "
             "VALUES ('360102', 'HA1', 2024, 1200000, 1), ('360103', 'HB1', 2024, 900000, 1)");
    exec_sql(store,
             "INSERT INTO benefits (county_code, household_code, project_code, kind, updated_at) "
             "VALUES ('360102', 'HA1', 'PA1', 'dividend', 1), "
             "('360103', 'HB1', 'PB1', 'jobs', 1)");
    static const struct {
        const char *name, *role, *region;
    } users[] = {
        {"admin1", "province_admin", "360000000000"}, {"opA", "county_operator", "360102000000"},
        {"opB", "county_operator", "360103000000"},   {"viewA", "county_decision", "360102000000"},
        {"villA", "village", "360102001001"},         {"evalA", "evaluator", "360000000000"},
        {"auditor", "auditor", "360000000000"},       {"cityv", "city", "360100000000"},
    };
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
        if (accounts_add(store, users[i].name, NULL, users[i].role, users[i].region, TEST_PASSWORD,
                         false, NULL, &err) != BF_OK)
            fail_msg("user %s: %s", users[i].name, bf_error_text(&err));
    assert_int_equal(accounts_assign_project(store, "evalA", "PA1", "test", false, &err), BF_OK);
    store_close(store);
}

void test_server_start(test_server *ts, void (*tweak)(http_config *cfg))
{
    memset(ts, 0, sizeof *ts);
    assert_int_equal(sodium_init() >= 0, 1);
    /* Cheapest Argon2id parameters: the tests log in often (a setting, not a stub). */
    accounts_set_hash_cost(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
    assert_int_equal(bf_test_db_new(ts->db, sizeof ts->db), 0);
    seed(ts->db);
    http_config_defaults(&ts->cfg);
    snprintf(ts->cfg.listen, sizeof ts->cfg.listen, "127.0.0.1:0");
    ts->cfg.threads = 4;
    snprintf(ts->cfg.access_log, sizeof ts->cfg.access_log, "off");
    ts->cfg.summary_refresh = 0;
    if (tweak)
        tweak(&ts->cfg);
    bf_error err;
    bf_error_clear(&err);
    if (http_server_new(&ts->cfg, ts->db, &ts->server, &err) != BF_OK)
        fail_msg("server: %s", bf_error_text(&err));
    if (http_server_listen(ts->server, &err) != BF_OK)
        fail_msg("listen: %s", bf_error_text(&err));
    ts->port = http_server_port(ts->server);
    assert_true(ts->port > 0);
}

void test_server_stop(test_server *ts)
{
    http_server_free(ts->server);
    ts->server = NULL;
}

int test_server_setup_tweaked(void **state, void (*tweak)(http_config *cfg))
{
    test_server *ts = calloc(1, sizeof *ts);
    assert_non_null(ts);
    test_server_start(ts, tweak);
    *state = ts;
    return 0;
}

int test_server_setup(void **state)
{
    return test_server_setup_tweaked(state, NULL);
}

int test_server_teardown(void **state)
{
    test_server *ts = *state;
    test_server_stop(ts);
    free(ts);
    return 0;
}

void test_client_init(test_client *c, const test_server *ts)
{
    memset(c, 0, sizeof *c);
    c->port = ts->port;
}

typedef struct {
    test_client *client;
    test_response *res;
} header_ctx;

static void copy_value(char *out, size_t size, const char *v, size_t len)
{
    while (len && (v[len - 1] == '\r' || v[len - 1] == '\n'))
        len--;
    while (len && *v == ' ') {
        v++;
        len--;
    }
    if (len >= size)
        len = size - 1;
    memcpy(out, v, len);
    out[len] = '\0';
}

static size_t on_header(char *buf, size_t size, size_t n, void *vctx)
{
    header_ctx *ctx = vctx;
    size_t len = size * n;
    const char *colon = memchr(buf, ':', len);
    if (!colon)
        return len;
    size_t nlen = (size_t)(colon - buf);
    const char *v = colon + 1;
    size_t vlen = len - nlen - 1;
    if (nlen == 10 && strncasecmp(buf, "Set-Cookie", 10) == 0) {
        char cookie[256];
        copy_value(cookie, sizeof cookie, v, vlen);
        char *semi = strchr(cookie, ';');
        if (semi)
            *semi = '\0';
        snprintf(ctx->client->cookie, sizeof ctx->client->cookie, "%s", cookie);
    } else if (nlen == 4 && strncasecmp(buf, "ETag", 4) == 0) {
        copy_value(ctx->res->etag, sizeof ctx->res->etag, v, vlen);
    } else if (nlen == 11 && strncasecmp(buf, "Retry-After", 11) == 0) {
        copy_value(ctx->res->retry_after, sizeof ctx->res->retry_after, v, vlen);
    } else if (nlen == 8 && strncasecmp(buf, "Location", 8) == 0) {
        copy_value(ctx->res->location, sizeof ctx->res->location, v, vlen);
    } else if (nlen == 12 && strncasecmp(buf, "Content-Type", 12) == 0) {
        copy_value(ctx->res->content_type, sizeof ctx->res->content_type, v, vlen);
    } else if (nlen == 5 && strncasecmp(buf, "Allow", 5) == 0) {
        copy_value(ctx->res->allow, sizeof ctx->res->allow, v, vlen);
    }
    return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *vctx)
{
    test_response *res = vctx;
    size_t len = size * n;
    char *grown = realloc(res->body, res->body_len + len + 1);
    if (!grown)
        return 0;
    res->body = grown;
    memcpy(res->body + res->body_len, buf, len);
    res->body_len += len;
    res->body[res->body_len] = '\0';
    return len;
}

void test_request(test_client *c, const char *method, const char *path, const char *body,
                  size_t body_len, const char *content_type, const char *extra_header,
                  bool send_csrf, test_response *res)
{
    memset(res, 0, sizeof *res);
    CURL *curl = curl_easy_init();
    assert_non_null(curl);
    char url[2048], header[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", c->port, path);
    struct curl_slist *headers = NULL;
    if (body) {
        snprintf(header, sizeof header, "Content-Type: %s",
                 content_type ? content_type : "application/json");
        headers = curl_slist_append(headers, header);
    }
    if (c->cookie[0]) {
        snprintf(header, sizeof header, "Cookie: %s", c->cookie);
        headers = curl_slist_append(headers, header);
    }
    if (send_csrf && c->csrf[0]) {
        snprintf(header, sizeof header, "X-CSRF-Token: %s", c->csrf);
        headers = curl_slist_append(headers, header);
    }
    if (extra_header)
        headers = curl_slist_append(headers, extra_header);
    headers = curl_slist_append(headers, "Expect:");
    header_ctx hctx = {c, res};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &hctx);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, res);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    CURLcode cc = curl_easy_perform(curl);
    if (cc != CURLE_OK)
        fail_msg("%s %s: %s", method, path, curl_easy_strerror(cc));
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (res->body && res->body_len)
        res->json = json_loadb(res->body, res->body_len, 0, NULL);
}

void test_call(test_client *c, const char *method, const char *path, const char *json_body,
               test_response *res)
{
    test_request(c, method, path, json_body, json_body ? strlen(json_body) : 0, NULL, NULL, true,
                 res);
}

long test_login(test_client *c, const char *user, const char *password)
{
    char body[256];
    snprintf(body, sizeof body, "{\"username\":\"%s\",\"password\":\"%s\"}", user, password);
    test_response res;
    test_request(c, "POST", "/api/v1/auth/login", body, strlen(body), NULL, NULL, false, &res);
    long status = res.status;
    if (status == 200) {
        const char *csrf = json_string_value(json_object_get(res.json, "csrf_token"));
        assert_non_null(csrf);
        snprintf(c->csrf, sizeof c->csrf, "%s", csrf);
    }
    test_response_free(&res);
    return status;
}

void test_response_free(test_response *res)
{
    free(res->body);
    json_decref(res->json);
    memset(res, 0, sizeof *res);
}
