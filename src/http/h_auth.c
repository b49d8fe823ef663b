/*
 * h_auth.c - login, logout, the current account, and password change.
 */
#include "core/date.h"
#include "domain/roles.h"
#include "http/handlers.h"
#include "http/json.h"
#include "http/lockout.h"
#include "http/router.h"
#include "http/server.h"
#include "http/session.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

json_t *http_user_json(const accounts_user *user)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    json_object_set_new(obj, "username", json_string(user->username));
    json_object_set_new(obj, "display_name", http_json_str_or_null(user->display_name));
    json_object_set_new(obj, "role", json_string(user->role_id));
    json_object_set_new(obj, "role_zh", http_json_str_or_null(user->role ? user->role->zh : ""));
    json_object_set_new(obj, "region_code", json_string(user->region_code));
    json_object_set_new(obj, "disabled", json_boolean(user->disabled));
    json_object_set_new(obj, "must_change_password", json_boolean(user->must_change_password));
    json_t *perms = json_array();
    for (size_t i = 0; user->role && perms && i < roles_perm_count(); i++)
        if (user->role->perms & (1u << i))
            json_array_append_new(perms, json_string(roles_perm_name(1u << i)));
    json_object_set_new(obj, "permissions", perms ? perms : json_array());
    json_object_set_new(obj, "assigned_only",
                        json_boolean(user->role && user->role->assigned_only));
    return obj;
}

/* A hash to check against when the name does not exist, so that a wrong
 * name costs as much time as a wrong password. */
static char dummy_hash[128];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy_hash(void)
{
    char password[17];
    accounts_generate_password(password, sizeof password);
    if (accounts_hash_password(password, dummy_hash, sizeof dummy_hash, NULL) != BF_OK)
        dummy_hash[0] = '\0';
}

static void set_cookie(http_request *req, http_response *res, const char *token, int max_age)
{
    char cookie[256];
    snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
             SESSION_COOKIE, token, max_age, req->config->cookie_secure ? "; Secure" : "");
    http_add_header(req, res, "Set-Cookie", cookie);
}

static lockout_policy policy_of(const http_request *req)
{
    lockout_policy p = {req->config->login_slowdown_after, req->config->login_lock_after,
                        req->config->login_lock_seconds};
    return p;
}

bf_status h_login(http_request *req, http_response *res, bf_error *err)
{
    json_t *body = NULL;
    const char *username = NULL, *password = NULL;
    char hash[128] = "";
    accounts_user user;
    bf_status rc = http_json_parse_object(req->body, req->body_len, &body, err);
    if (rc)
        return rc;
    rc = http_json_string(body, "username", true, ACCOUNTS_NAME_MAX, &username, err);
    if (rc == BF_OK)
        rc = http_json_string(body, "password", true, ACCOUNTS_PASSWORD_MAX, &password, err);
    if (rc)
        goto out;
    lockout_policy policy = policy_of(req);
    int64_t now = bf_time_now(), retry = 0;
    rc = lockout_check(req->store, &policy, username, now, &retry, err);
    if (rc == BF_ERR_LOCKED) {
        char seconds[24];
        snprintf(seconds, sizeof seconds, "%lld", (long long)retry);
        http_add_header(req, res, "Retry-After", seconds);
        http_audit(req, "login_refused", "session", username, NULL, NULL, NULL);
        goto out;
    }
    if (rc)
        goto out;
    bf_error lookup_err;
    bf_status found = accounts_get(req->store, username, &user, hash, sizeof hash, &lookup_err);
    if (found != BF_OK && found != BF_ERR_NOT_FOUND) {
        *err = lookup_err;
        rc = found;
        goto out;
    }
    bool ok;
    if (found == BF_OK) {
        ok = accounts_password_matches(hash, password) && !user.disabled && user.role;
    } else {
        pthread_once(&dummy_once, make_dummy_hash);
        if (dummy_hash[0])
            accounts_password_matches(dummy_hash, password);
        ok = false;
    }
    if (!ok) {
        bool locked = false;
        rc = lockout_fail(req->store, &policy, username, now, &locked, err);
        if (rc)
            goto out;
        http_audit(req, "login_failed", "session", username, NULL, NULL, NULL);
        rc = bf_error_set(err, BF_ERR_UNAUTH,
                          locked ? "用户名或密码错误；失败次数过多，账户已暂时锁定"
                                 : "用户名或密码错误");
        goto out;
    }
    char token[SESSION_TOKEN_LEN + 1];
    rc = lockout_clear(req->store, username, err);
    if (rc == BF_OK)
        rc = session_create(req->store, user.id, req->address, token, req->csrf, err);
    if (rc)
        goto out;
    req->authenticated = true;
    req->user = user;
    http_audit(req, "login", "session", username, NULL, NULL, NULL);
    json_t *reply = json_object();
    if (!reply) {
        rc = BF_ERR_NOMEM;
        goto out;
    }
    json_object_set_new(reply, "user", http_user_json(&user));
    json_object_set_new(reply, "csrf_token", json_string(req->csrf));
    json_object_set_new(reply, "session_idle_seconds", json_integer(req->config->session_idle));
    set_cookie(req, res, token, req->config->session_max);
    sodium_memzero(token, sizeof token);
    rc = http_json_respond(res, 200, reply);
out:
    sodium_memzero(hash, sizeof hash);
    json_decref(body);
    return rc;
}

bf_status h_logout(http_request *req, http_response *res, bf_error *err)
{
    bf_status rc = session_end(req->store, req->session_hash, err);
    session_cache_forget(http_server_sessions(req->server), req->session_hash);
    if (rc)
        return rc;
    http_audit(req, "logout", "session", req->user.username, NULL, NULL, NULL);
    set_cookie(req, res, "", 0);
    http_response_clear(res);
    res->status = 204;
    return BF_OK;
}

bf_status h_me(http_request *req, http_response *res, bf_error *err)
{
    json_t *reply = json_object();
    if (!reply)
        return BF_ERR_NOMEM;
    json_object_set_new(reply, "user", http_user_json(&req->user));
    json_object_set_new(reply, "csrf_token", json_string(req->csrf));
    json_object_set_new(reply, "session_idle_seconds", json_integer(req->config->session_idle));
    return http_json_respond(res, 200, reply);
}

bf_status h_password(http_request *req, http_response *res, bf_error *err)
{
    json_t *body = NULL;
    const char *old_pw = NULL, *new_pw = NULL;
    char hash[128] = "";
    accounts_user user;
    bf_status rc = http_json_parse_object(req->body, req->body_len, &body, err);
    if (rc)
        return rc;
    rc = http_json_string(body, "old_password", true, ACCOUNTS_PASSWORD_MAX, &old_pw, err);
    if (rc == BF_OK)
        rc = http_json_string(body, "new_password", true, ACCOUNTS_PASSWORD_MAX, &new_pw, err);
    if (rc == BF_OK)
        rc = accounts_get(req->store, req->user.username, &user, hash, sizeof hash, err);
    if (rc)
        goto out;
    if (!accounts_password_matches(hash, old_pw)) {
        http_audit(req, "password_change_failed", "user", req->user.username, NULL, NULL, NULL);
        rc = bf_error_set_field(err, BF_ERR_INVALID, "old_password", "原密码不正确");
        goto out;
    }
    if (strcmp(old_pw, new_pw) == 0) {
        rc = bf_error_set_field(err, BF_ERR_INVALID, "new_password", "新密码不能与原密码相同");
        goto out;
    }
    rc = store_begin(req->store, err);
    if (rc)
        goto out;
    rc = accounts_set_password(req->store, req->user.username, new_pw, false, err);
    if (rc == BF_OK)
        rc = session_end_all(req->store, req->user.id, req->session_hash, err);
    if (rc == BF_OK)
        rc = http_audit(req, "password_change", "user", req->user.username, NULL, NULL, err);
    if (rc) {
        store_rollback(req->store);
        goto out;
    }
    rc = store_commit(req->store, err);
    /* The account's other sessions ended. */
    session_cache_clear(http_server_sessions(req->server));
    if (rc == BF_OK) {
        http_response_clear(res);
        res->status = 204;
    }
out:
    sodium_memzero(hash, sizeof hash);
    json_decref(body);
    return rc;
}
