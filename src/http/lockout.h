/*
 * lockout.h - throttling of failed logins per account name (login_failures).
 *
 * After `slowdown_after` failures in a row, each further attempt must wait
 * 2^(failures - slowdown_after) seconds (at most 60) after the last failure;
 * after `lock_after` failures the name is locked for `lock_seconds`. An
 * attempt that comes too early is refused without checking the password
 * (429 with Retry-After). A success clears the record. Names that do not
 * exist are throttled the same way, so the answer does not reveal them.
 */
#ifndef BF_HTTP_LOCKOUT_H
#define BF_HTTP_LOCKOUT_H

#include "store/store.h"

#include <stdint.h>

typedef struct {
    int slowdown_after;
    int lock_after;
    int lock_seconds;
} lockout_policy;

/* BF_OK if username may try now; BF_ERR_LOCKED with *retry_after seconds if not. */
bf_status lockout_check(bf_store *store, const lockout_policy *policy, const char *username,
                        int64_t now, int64_t *retry_after, bf_error *err);
/* Record a failure; *locked (may be NULL) set when this failure locked the name. */
bf_status lockout_fail(bf_store *store, const lockout_policy *policy, const char *username,
                       int64_t now, bool *locked, bf_error *err);
/* Forget the failures of username (after a success or by an administrator). */
bf_status lockout_clear(bf_store *store, const char *username, bf_error *err);

#endif
