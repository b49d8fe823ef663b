/*
 * test_audit_guard.c - the audit trail holds against tampering: the database
 * itself refuses UPDATE and DELETE on audit_log (migration 0005, on the
 * backend under test), a record removed from the middle (a gap in the
 * sequence) and a tail cut off (the head check) are both named by
 * `bangfu audit verify` and by GET /audit/verify, once the tamperer has
 * dropped the triggers the way anyone with write access to the database can;
 * and a failed login leaves its own record.
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

/* A few more audit records: logins of several accounts. */
static void make_records(test_server *ts, int n)
{
    static const char *const users[] = {"opA", "opB", "viewA", "villA"};
    for (int i = 0; i < n; i++) {
        test_client c;
        test_client_init(&c, ts);
        assert_int_equal(test_login(&c, users[i % 4], TEST_PASSWORD), 200);
    }
}

static void expect_verify_fails(test_server *ts, test_client *auditor, int64_t bad_seq,
                                const char *problem_part)
{
    test_response r;
    test_call(auditor, "GET", "/api/v1/audit/verify", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_false(json_is_true(json_object_get(r.json, "ok")));
    assert_int_equal(json_integer_value(json_object_get(r.json, "bad_seq")), bad_seq);
    const char *problem = json_string_value(json_object_get(r.json, "problem"));
    assert_non_null(problem);
    if (!strstr(problem, problem_part))
        fail_msg("problem \"%s\" lacks \"%s\"", problem, problem_part);
    test_response_free(&r);
    char *out = NULL, *errout = NULL;
    int code = bf_test_run(&out, &errout, "audit verify --db '%s'", ts->db);
    assert_int_not_equal(code, 0);
    assert_non_null(strstr(errout, "篡改"));
    assert_non_null(strstr(errout, problem_part));
    free(out);
    free(errout);
}

static void test_database_refuses_update_and_delete(void **state)
{
    test_server *ts = *state;
    make_records(ts, 3);
    bf_store *store = bf_test_db_open(ts->db);
    int64_t before = bf_test_query_int(store, "SELECT COUNT(*) FROM audit_log");
    assert_true(before >= 3);
    static const char *const attempts[] = {
        "UPDATE audit_log SET username = 'someone' WHERE seq = 1",
        "UPDATE audit_log SET after_json = NULL",
        "DELETE FROM audit_log WHERE seq = 2",
        "DELETE FROM audit_log",
    };
    for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
        bf_error err;
        bf_error_clear(&err);
        if (store_exec(store, attempts[i], &err) == BF_OK)
            fail_msg("the database accepted: %s", attempts[i]);
    }
    if (store_kind(store) == BF_STORE_PG) {
        bf_error err;
        bf_error_clear(&err);
        if (store_exec(store, "TRUNCATE audit_log", &err) == BF_OK)
            fail_msg("the database accepted: TRUNCATE audit_log");
    }
    assert_int_equal(bf_test_query_int(store, "SELECT COUNT(*) FROM audit_log"), before);
    assert_int_equal(
        bf_test_query_int(store, "SELECT COUNT(*) FROM audit_log WHERE username = 'someone'"), 0);
    store_close(store);
    /* Appending goes on as before, and the chain is whole. */
    make_records(ts, 1);
    char *out = NULL;
    assert_int_equal(bf_test_run(&out, NULL, "audit verify --db '%s'", ts->db), 0);
    assert_non_null(strstr(out, "完整"));
    free(out);
}

static void test_login_failed_recorded(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "opB", "wrong-password-1"), 401);
    test_client a;
    test_client_init(&a, ts);
    assert_int_equal(test_login(&a, "auditor", TEST_PASSWORD), 200);
    test_response r;
    test_call(&a, "GET", "/api/v1/audit?action=login_failed", NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *items = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(items), 1);
    json_t *rec = json_array_get(items, 0);
    assert_string_equal(json_string_value(json_object_get(rec, "action")), "login_failed");
    assert_string_equal(json_string_value(json_object_get(rec, "entity")), "session");
    assert_string_equal(json_string_value(json_object_get(rec, "entity_key")), "opB");
    assert_string_equal(json_string_value(json_object_get(rec, "address")), "127.0.0.1");
    /* The password tried is nowhere in the record. */
    assert_null(strstr(r.body, "wrong-password-1"));
    test_response_free(&r);
}

static void test_removed_record_caught(void **state)
{
    test_server *ts = *state;
    make_records(ts, 5);
    test_client a;
    test_client_init(&a, ts);
    assert_int_equal(test_login(&a, "auditor", TEST_PASSWORD), 200);
    bf_store *store = bf_test_db_open(ts->db);
    int64_t last = bf_test_query_int(store, "SELECT MAX(seq) FROM audit_log");
    assert_true(last >= 5);
    int64_t victim = last - 2;
    bf_test_audit_unguard(store);
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM audit_log WHERE seq = %lld", (long long)victim);
    bf_test_exec(store, sql);
    store_close(store);
    /* The record after the gap is the one named. */
    expect_verify_fails(ts, &a, victim + 1, "缺失");
}

static void test_truncated_tail_caught(void **state)
{
    test_server *ts = *state;
    make_records(ts, 4);
    test_client a;
    test_client_init(&a, ts);
    assert_int_equal(test_login(&a, "auditor", TEST_PASSWORD), 200);
    bf_store *store = bf_test_db_open(ts->db);
    int64_t last = bf_test_query_int(store, "SELECT MAX(seq) FROM audit_log");
    bf_test_audit_unguard(store);
    /* The last two records go; what is left is a perfect chain on its own,
     * only the head (last sequence number and hash) tells. */
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM audit_log WHERE seq >= %lld", (long long)(last - 1));
    bf_test_exec(store, sql);
    store_close(store);
    expect_verify_fails(ts, &a, last - 1, "末尾的记录缺失");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_database_refuses_update_and_delete, test_server_setup,
                                        test_server_teardown),
        cmocka_unit_test_setup_teardown(test_login_failed_recorded, test_server_setup,
                                        test_server_teardown),
        cmocka_unit_test_setup_teardown(test_removed_record_caught, test_server_setup,
                                        test_server_teardown),
        cmocka_unit_test_setup_teardown(test_truncated_tail_caught, test_server_setup,
                                        test_server_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
