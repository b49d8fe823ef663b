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

/* An in-memory cache of live sessions and their accounts, shared by the
 * server's threads, so that a request with a known cookie needs no database
 * look-up. An entry is checked against the database again (session row,
 * account, last_seen written back) once it is `recheck` seconds old; idle
 * and maximum age are checked on every request from the cached times.
 * Changes made through this server (logout, disabling, password changes,
 * role or region changes) must call session_cache_forget() or
 * session_cache_clear() after their commit, and take effect at once; changes
 * made by another process (`bangfu user disable`, a second server) take
 * effect within `recheck` seconds. Thread-safe: entries live in shards, each
 * under its own mutex, and a generation counter keeps a look-up that read
 * the database before an invalidation from putting its stale result back.
 *
 * Ownership: the server owns the cache; session_cache_free() releases it. */
typedef struct session_cache session_cache;

/* A cache whose entries are re-checked after recheck seconds (> 0). NULL on OOM. */
session_cache *session_cache_new(int recheck);
void session_cache_free(session_cache *cache);
/* Have session_lookup() bracket its last_seen write (which changes nothing
 * the server caches) with begin (inside the write's transaction, before the
 * write) and end (after the commit; wrote: a row changed):
 * http_server_own_write_begin/end. */
void session_cache_observe_writes(session_cache *cache, void (*begin)(void *arg, uint64_t mark[2]),
                                  void (*end)(void *arg, const uint64_t mark[2], bool wrote),
                                  void *arg);
/* Drop the entry of one session (by the hash session_lookup gave). */
void session_cache_forget(session_cache *cache, const char *hash_hex);
/* Drop every entry (after any change to accounts or to several sessions). */
void session_cache_clear(session_cache *cache);
/* Entries held and look-ups answered from memory (for tests). */
void session_cache_stats(session_cache *cache, size_t *entries, uint64_t *hits);

/* Find the live session of a token and its (enabled) account. BF_ERR_UNAUTH
 * if there is none, it expired (it is then deleted) or the account is
 * disabled. Refreshes last_seen when it is older than a fraction of idle.
 * cache (may be NULL: always the database) answers known sessions from
 * memory as described above. */
bf_status session_lookup(bf_store *store, session_cache *cache, const char *token, int idle,
                         int max_age, accounts_user *user, char csrf[65], char hash_hex[65],
                         bf_error *err);

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
