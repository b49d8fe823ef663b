/*
 * test_store_pg_concurrency.c - concurrent writers behave the same on both
 * backends (run on the backend under test; the suite runs it on both): the
 * audit hash chain never forks however many threads append at once, and of
 * several writers holding the same record version exactly one wins
 * (optimistic concurrency, `UPDATE ... WHERE version = ?`). Each thread has a
 * handle of its own, as in the server's pool.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"
#include "domain/audit.h"
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define THREADS 4
#define APPENDS 40

typedef struct {
    const char *target;
    int index;
    pthread_barrier_t *start;
    bf_status rc;
    char msg[512];
    int won; /* version claims that changed a row */
} worker;

static void worker_fail(worker *w, bf_status rc, const bf_error *err)
{
    if (w->rc == BF_OK) {
        w->rc = rc;
        snprintf(w->msg, sizeof w->msg, "%s", bf_error_text(err));
    }
}

/* The worker's own connection, opened before the start line all workers wait
 * at together (so that they then run at once); NULL, recorded, if it fails. */
static bf_store *worker_open(worker *w)
{
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    bf_status rc = store_open(w->target, false, &store, &err);
    pthread_barrier_wait(w->start);
    if (rc)
        worker_fail(w, rc, &err);
    return rc ? NULL : store;
}

static void *append_worker(void *arg)
{
    worker *w = arg;
    bf_store *store = worker_open(w);
    if (!store)
        return NULL;
    bf_error err;
    bf_error_clear(&err);
    bf_status rc;
    for (int i = 0; i < APPENDS; i++) {
        char key[32];
        snprintf(key, sizeof key, "w%d-%d", w->index, i);
        audit_entry entry = {.user = "tester",
                             .address = "127.0.0.1",
                             .action = "update",
                             .entity = "project",
                             .entity_key = key,
                             .before = "{\"a\":1}",
                             .after = "{\"a\":2}"};
        /* A write and its audit record in one transaction, as the API does. */
        rc = store_begin(store, &err);
        if (rc == BF_OK)
            rc = audit_append(store, &entry, NULL, &err);
        if (rc == BF_OK)
            rc = store_commit(store, &err);
        else
            store_rollback(store);
        if (rc) {
            worker_fail(w, rc, &err);
            break;
        }
    }
    store_close(store);
    return NULL;
}

static void test_audit_chain_under_concurrent_appends(void **state)
{
    (void)state;
    char target[4096];
    assert_int_equal(bf_test_db_new(target, sizeof target), 0);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    worker workers[THREADS];
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){.target = target, .index = i, .start = &start};
        assert_int_equal(pthread_create(&threads[i], NULL, append_worker, &workers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < THREADS; i++)
        if (workers[i].rc)
            fail_msg("worker %d: %s", i, workers[i].msg);
    bf_store *store = bf_test_db_open(target);
    bf_error err;
    bf_error_clear(&err);
    audit_verify_result result;
    memset(&result, 0, sizeof result);
    assert_int_equal(audit_verify(store, &result, &err), BF_OK);
    if (!result.ok)
        fail_msg("chain broken at %lld: %s", (long long)result.bad_seq, result.problem);
    int64_t count = 0;
    assert_int_equal(store_query_int64(store,
                                       "SELECT COUNT(*) FROM audit_log WHERE username = 'tester'",
                                       &count, &err, 0),
                     BF_OK);
    assert_int_equal(count, THREADS * APPENDS);
    /* Sequence numbers are dense: no two appenders took the same one. */
    int64_t distinct = 0;
    assert_int_equal(
        store_query_int64(store, "SELECT COUNT(DISTINCT seq) FROM audit_log", &distinct, &err, 0),
        BF_OK);
    int64_t total = 0;
    assert_int_equal(store_query_int64(store, "SELECT COUNT(*) FROM audit_log", &total, &err, 0),
                     BF_OK);
    assert_int_equal(distinct, total);
    assert_int_equal(result.records, total);
    store_close(store);
}

static void *claim_worker(void *arg)
{
    worker *w = arg;
    bf_store *store = worker_open(w);
    if (!store)
        return NULL;
    bf_error err;
    bf_error_clear(&err);
    bf_status rc;
    /* Every writer read version 1 and now claims it. */
    bf_stmt *stmt = NULL;
    rc = store_begin(store, &err);
    if (rc == BF_OK)
        rc = store_prepare(store,
                           "UPDATE regions SET name = ?, flags = flags + 1 "
                           "WHERE code = '360000000000' AND flags = ?",
                           &stmt, &err);
    if (rc == BF_OK) {
        char name[32];
        snprintf(name, sizeof name, "writer %d", w->index);
        store_bind_str(stmt, 1, name);
        store_bind_int64(stmt, 2, 1);
        rc = store_step_done(stmt, &err);
        if (rc == BF_OK)
            w->won = (int)store_changes(stmt);
        store_finalize(stmt);
    }
    if (rc == BF_OK)
        rc = store_commit(store, &err);
    else
        store_rollback(store);
    /* A serialisation failure is a lost claim too (BF_ERR_CONFLICT). */
    if (rc == BF_ERR_CONFLICT)
        w->won = 0;
    else if (rc)
        worker_fail(w, rc, &err);
    store_close(store);
    return NULL;
}

static void test_one_writer_wins_a_version(void **state)
{
    (void)state;
    char target[4096];
    bf_store *store = bf_test_db_fresh(target, sizeof target);
    bf_error err;
    bf_error_clear(&err);
    /* flags stands in for a version column: the claim is the same SQL. */
    assert_int_equal(store_exec(store,
                                "INSERT INTO regions (code, name, level, flags) "
                                "VALUES ('360000000000', '江西省', 1, 1)",
                                &err),
                     BF_OK);
    for (int round = 0; round < 5; round++) {
        assert_int_equal(
            store_exec(store, "UPDATE regions SET flags = 1 WHERE code = '360000000000'", &err),
            BF_OK);
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, THREADS);
        worker workers[THREADS];
        pthread_t threads[THREADS];
        for (int i = 0; i < THREADS; i++) {
            workers[i] = (worker){.target = target, .index = i, .start = &start};
            assert_int_equal(pthread_create(&threads[i], NULL, claim_worker, &workers[i]), 0);
        }
        int winners = 0;
        for (int i = 0; i < THREADS; i++) {
            pthread_join(threads[i], NULL);
            if (workers[i].rc)
                fail_msg("worker %d: %s", i, workers[i].msg);
            winners += workers[i].won;
        }
        pthread_barrier_destroy(&start);
        assert_int_equal(winners, 1);
        int64_t flags = 0;
        assert_int_equal(store_query_int64(store,
                                           "SELECT flags FROM regions WHERE code = '360000000000'",
                                           &flags, &err, 0),
                         BF_OK);
        assert_int_equal(flags, 2);
    }
    store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_chain_under_concurrent_appends),
        cmocka_unit_test(test_one_writer_wins_a_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
