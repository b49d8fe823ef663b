/*
 * test_user_cli.c - `bangfu user passwd` and `bangfu user disable|enable`
 * against the database a running server uses: a reset password replaces the
 * old one at once, is printed once and must be changed before anything else;
 * a disabled account cannot log in and its open sessions end; enabling it
 * again lets it back in; both leave audit records; unknown accounts fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_http_test.h"
#include "bf_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sessions are looked up in the database on every request, so a change made
 * by the command line shows on the next request. */
static void no_session_cache(http_config *cfg)
{
    cfg->session_recheck = 0;
}

static int setup(void **state)
{
    return test_server_setup_tweaked(state, no_session_cache);
}

static long status_of(test_client *c, const char *method, const char *path, const char *body)
{
    test_response r;
    test_call(c, method, path, body, &r);
    long status = r.status;
    test_response_free(&r);
    return status;
}

static int64_t audit_count(test_server *ts, const char *action, const char *key)
{
    bf_store *store = bf_test_db_open(ts->db);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM audit_log WHERE action = '%s' AND entity_key = '%s'", action,
             key);
    int64_t n = bf_test_query_int(store, sql);
    store_close(store);
    return n;
}

/* The line of text that starts with start contains part. */
static bool line_has(const char *text, const char *start, const char *part)
{
    for (const char *line = text; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, start, strlen(start)) != 0)
            continue;
        size_t len = strcspn(line, "\n");
        const char *hit = strstr(line, part);
        return hit && hit < line + len;
    }
    fail_msg("no line starts with \"%s\"", start);
    return false;
}

static void test_passwd(void **state)
{
    test_server *ts = *state;
    test_client old;
    test_client_init(&old, ts);
    assert_int_equal(test_login(&old, "opA", TEST_PASSWORD), 200);
    char *out = NULL, *errout = NULL;
    assert_int_equal(bf_test_run(&out, &errout, "user passwd opA --db '%s'", ts->db), 0);
    assert_non_null(strstr(out, "已重设用户 opA 的密码"));
    const char *label = strstr(out, "新密码：");
    assert_non_null(label);
    char password[64] = "";
    sscanf(label + strlen("新密码："), "%63s", password);
    assert_true(strlen(password) >= 12);
    free(out);
    free(errout);
    /* The old password is gone; the new one works but must be changed first. */
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "opA", TEST_PASSWORD), 401);
    assert_int_equal(test_login(&c, "opA", password), 200);
    test_response r;
    test_call(&c, "GET", "/api/v1/auth/me", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_true(
        json_is_true(json_object_get(json_object_get(r.json, "user"), "must_change_password")));
    test_response_free(&r);
    assert_int_equal(status_of(&c, "GET", "/api/v1/projects", NULL), 403);
    char body[256];
    snprintf(body, sizeof body, "{\"old_password\":\"%s\",\"new_password\":\"Another-passw0rd\"}",
             password);
    assert_int_equal(status_of(&c, "POST", "/api/v1/auth/password", body), 204);
    assert_int_equal(status_of(&c, "GET", "/api/v1/projects", NULL), 200);
    assert_int_equal(audit_count(ts, "password_reset", "opA"), 1);
    /* An unknown account: an error, not a new account. */
    assert_int_not_equal(bf_test_run(NULL, &errout, "user passwd nobody --db '%s'", ts->db), 0);
    assert_true(strlen(errout) > 0);
    free(errout);
}

static void test_disable_enable(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "viewA", TEST_PASSWORD), 200);
    assert_int_equal(status_of(&c, "GET", "/api/v1/projects", NULL), 200);
    char *out = NULL;
    assert_int_equal(bf_test_run(&out, NULL, "user disable viewA --db '%s'", ts->db), 0);
    assert_non_null(strstr(out, "已停用用户 viewA"));
    free(out);
    /* The open session ended, and a new login is refused. */
    assert_int_equal(status_of(&c, "GET", "/api/v1/projects", NULL), 401);
    test_client again;
    test_client_init(&again, ts);
    assert_int_equal(test_login(&again, "viewA", TEST_PASSWORD), 401);
    assert_int_equal(bf_test_run(&out, NULL, "user list --db '%s'", ts->db), 0);
    assert_true(line_has(out, "viewA ", "已停用"));
    assert_false(line_has(out, "opA ", "已停用"));
    free(out);
    assert_int_equal(audit_count(ts, "user_disable", "viewA"), 1);
    /* Enabled again: the same password logs in. */
    assert_int_equal(bf_test_run(&out, NULL, "user enable viewA --db '%s'", ts->db), 0);
    assert_non_null(strstr(out, "已启用用户 viewA"));
    free(out);
    assert_int_equal(test_login(&again, "viewA", TEST_PASSWORD), 200);
    assert_int_equal(status_of(&again, "GET", "/api/v1/projects", NULL), 200);
    assert_int_equal(audit_count(ts, "user_enable", "viewA"), 1);
    char *errout = NULL;
    assert_int_not_equal(bf_test_run(NULL, &errout, "user disable nobody --db '%s'", ts->db), 0);
    assert_true(strlen(errout) > 0);
    free(errout);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_passwd, setup, test_server_teardown),
        cmocka_unit_test_setup_teardown(test_disable_enable, setup, test_server_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
