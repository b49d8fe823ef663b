/*
 * lockout.c - failed-login throttling (see lockout.h). Owns login_failures.
 */
#include "http/lockout.h"

#include <stdbool.h>

static bf_status load(bf_store *store, const char *username, int64_t *failures, int64_t *last,
                      int64_t *locked_until, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bool has_row = false;
    *failures = *last = *locked_until = 0;
    bf_status rc = store_prepare(store,
                                 "SELECT failures, last_failure_at, locked_until FROM "
                                 "login_failures WHERE username = ?",
                                 &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, username);
    rc = store_step(stmt, &has_row, err);
    if (rc == BF_OK && has_row) {
        *failures = store_column_int64(stmt, 0);
        *last = store_column_int64(stmt, 1);
        *locked_until = store_column_int64(stmt, 2);
    }
    store_finalize(stmt);
    return rc;
}

static int64_t delay_for(const lockout_policy *p, int64_t failures)
{
    if (failures < p->slowdown_after)
        return 0;
    int64_t shift = failures - p->slowdown_after;
    return shift >= 6 ? 60 : ((int64_t)1 << shift);
}

bf_status lockout_check(bf_store *store, const lockout_policy *policy, const char *username,
                        int64_t now, int64_t *retry_after, bf_error *err)
{
    int64_t failures, last, locked_until;
    *retry_after = 0;
    bf_status rc = load(store, username, &failures, &last, &locked_until, err);
    if (rc)
        return rc;
    if (locked_until > now) {
        *retry_after = locked_until - now;
        return bf_error_set(err, BF_ERR_LOCKED, "登录失败次数过多，账户已锁定，请 %lld 分钟后再试",
                            (long long)((*retry_after + 59) / 60));
    }
    if (locked_until && locked_until <= now)
        return lockout_clear(store, username, err); /* the lock ran out: start afresh */
    int64_t wait = last + delay_for(policy, failures) - now;
    if (wait > 0) {
        *retry_after = wait;
        return bf_error_set(err, BF_ERR_LOCKED, "登录失败次数过多，请 %lld 秒后再试",
                            (long long)wait);
    }
    return BF_OK;
}

bf_status lockout_fail(bf_store *store, const lockout_policy *policy, const char *username,
                       int64_t now, bool *locked, bf_error *err)
{
    bf_stmt *stmt = NULL;
    int64_t failures, last, locked_until;
    bf_status rc = load(store, username, &failures, &last, &locked_until, err);
    if (rc)
        return rc;
    failures++;
    locked_until = failures >= policy->lock_after ? now + policy->lock_seconds : 0;
    if (locked)
        *locked = locked_until != 0;
    rc = store_prepare(store,
                       "INSERT INTO login_failures (username, failures, last_failure_at, "
                       "locked_until) VALUES (?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET "
                       "failures = excluded.failures, last_failure_at = excluded.last_failure_at, "
                       "locked_until = excluded.locked_until",
                       &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, username);
    store_bind_int64(stmt, 2, failures);
    store_bind_int64(stmt, 3, now);
    store_bind_int64(stmt, 4, locked_until);
    rc = store_step_done(stmt, err);
    store_finalize(stmt);
    if (rc)
        return rc;
    /* Old records of names nobody tried for a day are of no use: keep the table small. */
    rc = store_prepare(store,
                       "DELETE FROM login_failures WHERE last_failure_at < ? AND locked_until < ?",
                       &stmt, err);
    if (rc)
        return rc;
    store_bind_int64(stmt, 1, now - 86400);
    store_bind_int64(stmt, 2, now);
    rc = store_step_done(stmt, err);
    store_finalize(stmt);
    return rc;
}

bf_status lockout_clear(bf_store *store, const char *username, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bf_status rc =
        store_prepare(store, "DELETE FROM login_failures WHERE username = ?", &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, username);
    rc = store_step_done(stmt, err);
    store_finalize(stmt);
    return rc;
}
