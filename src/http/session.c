/*
 * session.c - sessions and CSRF tokens (see session.h). Owns the sessions table.
 */
#include "http/session.h"
#include "core/date.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void random_token(char out[SESSION_TOKEN_LEN + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, SESSION_TOKEN_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

static void token_hash(const char *token, char out[65])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, 65, digest, sizeof digest);
}

bf_status session_create(bf_store *store, int64_t user_id, const char *address,
                         char token[SESSION_TOKEN_LEN + 1], char csrf[SESSION_TOKEN_LEN + 1],
                         bf_error *err)
{
    char hash[65];
    bf_stmt *stmt = NULL;
    random_token(token);
    random_token(csrf);
    token_hash(token, hash);
    int64_t now = bf_time_now();
    bf_status rc = store_prepare(store,
                                 "INSERT INTO sessions (token_hash, user_id, csrf_token, address, "
                                 "created_at, last_seen) VALUES (?, ?, ?, ?, ?, ?)",
                                 &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, hash);
    store_bind_int64(stmt, 2, user_id);
    store_bind_str(stmt, 3, csrf);
    store_bind_str(stmt, 4, address ? address : "");
    store_bind_int64(stmt, 5, now);
    store_bind_int64(stmt, 6, now);
    rc = store_step_done(stmt, err);
    store_finalize(stmt);
    return rc;
}

static bf_status exec_with_text(bf_store *store, const char *sql, const char *text, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(store, sql, &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, text);
    rc = store_step_done(stmt, err);
    store_finalize(stmt);
    return rc;
}

bf_status session_lookup(bf_store *store, const char *token, int idle, int max_age,
                         accounts_user *user, char csrf[65], char hash_hex[65], bf_error *err)
{
    bf_stmt *stmt = NULL;
    bool has_row = false;
    if (!token || strlen(token) != SESSION_TOKEN_LEN)
        return bf_error_set(err, BF_ERR_UNAUTH, "请先登录");
    token_hash(token, hash_hex);
    bf_status rc = store_prepare(store,
                                 "SELECT s.user_id, s.csrf_token, s.created_at, s.last_seen "
                                 "FROM sessions s WHERE s.token_hash = ?",
                                 &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, hash_hex);
    rc = store_step(stmt, &has_row, err);
    if (rc || !has_row) {
        store_finalize(stmt);
        return rc ? rc : bf_error_set(err, BF_ERR_UNAUTH, "请先登录");
    }
    int64_t user_id = store_column_int64(stmt, 0);
    snprintf(csrf, 65, "%s", store_column_text(stmt, 1, NULL));
    int64_t created = store_column_int64(stmt, 2), last_seen = store_column_int64(stmt, 3);
    store_finalize(stmt);
    stmt = NULL;
    int64_t now = bf_time_now();
    if (now - last_seen >= idle || now - created >= max_age) {
        session_end(store, hash_hex, NULL);
        return bf_error_set(err, BF_ERR_UNAUTH, "登录已超时，请重新登录");
    }
    rc = accounts_get_by_id(store, user_id, user, err);
    if (rc == BF_ERR_NOT_FOUND || (rc == BF_OK && (user->disabled || !user->role))) {
        session_end(store, hash_hex, NULL);
        return bf_error_set(err, BF_ERR_UNAUTH, "账户已停用，请联系管理员");
    }
    if (rc)
        return rc;
    /* Writing last_seen on every request would serialise readers on the
     * database's write lock; a coarse refresh is enough for idle expiry. */
    int64_t refresh = idle / 8 < 60 ? idle / 8 : 60;
    if (now - last_seen >= refresh) {
        rc = store_prepare(store, "UPDATE sessions SET last_seen = ? WHERE token_hash = ?", &stmt,
                           err);
        if (rc)
            return rc;
        store_bind_int64(stmt, 1, now);
        store_bind_str(stmt, 2, hash_hex);
        rc = store_step_done(stmt, err);
        store_finalize(stmt);
    }
    return rc;
}

bf_status session_end(bf_store *store, const char *hash_hex, bf_error *err)
{
    return exec_with_text(store, "DELETE FROM sessions WHERE token_hash = ?", hash_hex, err);
}

bf_status session_end_all(bf_store *store, int64_t user_id, const char *keep_hash, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(
        store, "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?", &stmt, err);
    if (rc)
        return rc;
    store_bind_int64(stmt, 1, user_id);
    store_bind_str(stmt, 2, keep_hash ? keep_hash : "");
    rc = store_step_done(stmt, err);
    store_finalize(stmt);
    return rc;
}

bool session_cookie_value(const char *header, const char *name, char *out, size_t out_size)
{
    if (!header)
        return false;
    size_t name_len = strlen(name);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *eq = strchr(p, '=');
        const char *semi = strchr(p, ';');
        if (!semi)
            semi = p + strlen(p);
        if (eq && eq < semi && (size_t)(eq - p) == name_len && memcmp(p, name, name_len) == 0) {
            const char *v = eq + 1;
            size_t len = (size_t)(semi - v);
            if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
                v++;
                len -= 2;
            }
            if (len + 1 > out_size)
                return false;
            memcpy(out, v, len);
            out[len] = '\0';
            return true;
        }
        p = semi;
    }
    return false;
}

bool session_token_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb || la == 0)
        return false;
    return sodium_memcmp(a, b, la) == 0;
}
