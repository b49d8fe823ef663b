/*
 * session.h - login sessions and CSRF tokens, kept in the sessions table.
 *
 * The cookie carries a random 256-bit token (base64url); the database keeps
 * only its SHA-256, so a copy of the database does not give away live
 * sessions. Each session has its own CSRF token, returned at login and by
 * /auth/me, which state-changing requests must send in X-CSRF-Token.
 * A session ends on logout, after `idle` seconds without a request, or
 * `max_age` seconds after login; disabling the account ends it too.
 */
#ifndef BF_HTTP_SESSION_H
#define BF_HTTP_SESSION_H

#include "domain/accounts.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SESSION_COOKIE    "bangfu_session"
#define SESSION_TOKEN_LEN 43 /* base64url of 32 bytes, no padding */

/* Create a session for user_id: token (for the cookie) and csrf are written
 * into the given buffers (at least 44 and 44 bytes). */
bf_status session_create(bf_store *store, int64_t user_id, const char *address,
                         char token[SESSION_TOKEN_LEN + 1], char csrf[SESSION_TOKEN_LEN + 1],
                         bf_error *err);

/* Find the live session of a token and its (enabled) account. BF_ERR_UNAUTH
 * if there is none, it expired (it is then deleted) or the account is
 * disabled. Refreshes last_seen when it is older than a fraction of idle. */
bf_status session_lookup(bf_store *store, const char *token, int idle, int max_age,
                         accounts_user *user, char csrf[65], char hash_hex[65], bf_error *err);

/* End a session (by the hash session_lookup gave). */
bf_status session_end(bf_store *store, const char *hash_hex, bf_error *err);
/* End every session of an account except keep_hash (may be NULL). */
bf_status session_end_all(bf_store *store, int64_t user_id, const char *keep_hash, bf_error *err);

/* The value of cookie `name` in a Cookie header into out; false if absent or
 * longer than out_size - 1. */
bool session_cookie_value(const char *header, const char *name, char *out, size_t out_size);

/* Constant-time comparison of two NUL-terminated tokens. */
bool session_token_equal(const char *a, const char *b);

#endif
