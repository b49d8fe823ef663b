/*
 * h_users.c - account management inside the administrator's own subtree
 * (permission "users"), and the assignment of projects to evaluator accounts
 * (permission "assign"). Every change is audited.
 */
#include "core/date.h"
#include "domain/accounts.h"
#include "domain/query_registry.h"
#include "http/handlers.h"
#include "http/json.h"
#include "http/registry.h"
#include "http/router.h"
#include "http/server.h"
#include "http/session.h"
#include "io/validate.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static bool in_scope(const http_request *req, const char *code)
{
    return strlen(code) == 12 && strcmp(code, req->scope_lo) >= 0 &&
           strcmp(code, req->scope_hi) < 0;
}

static int collect_user(void *ctx, const accounts_user *user)
{
    json_t *obj = http_user_json(user);
    return obj && json_array_append_new(ctx, obj) == 0 ? 0 : 1;
}

bf_status h_users_list(http_request *req, http_response *res, bf_error *err)
{
    json_t *items = json_array(), *reply = json_object();
    bf_status rc = items && reply ? BF_OK : bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    if (rc == BF_OK)
        rc = accounts_list(req->store, req->scope_lo, req->scope_hi, collect_user, items, err);
    if (rc) {
        json_decref(items);
        json_decref(reply);
        return rc;
    }
    json_object_set_new(reply, "items", items);
    return http_json_respond(res, 200, reply);
}

/* A region code from the body, normalised, inside the scope. */
static bf_status body_region(http_request *req, const char *text, char code[13], bf_error *err)
{
    const char *reason = NULL;
    if (!bf_region_code_normalize(text, strlen(text), code, &reason))
        return bf_error_set_field(err, BF_ERR_INVALID, "region_code", "区划代码无效：%s",
                                  reason ? reason : "");
    if (!in_scope(req, code))
        return bf_error_set_field(err, BF_ERR_INVALID, "region_code", "区划 %s 不在您的管辖范围内",
                                  code);
    return BF_OK;
}

static bf_status reply_user(http_request *req, http_response *res, int status, const char *username,
                            const char *password, bf_error *err)
{
    accounts_user user;
    bf_status rc = accounts_get(req->store, username, &user, NULL, 0, err);
    if (rc)
        return rc;
    json_t *reply = json_object();
    if (!reply)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    json_object_set_new(reply, "user", http_user_json(&user));
    if (password)
        json_object_set_new(reply, "password", json_string(password));
    return http_json_respond(res, status, reply);
}

bf_status h_user_create(http_request *req, http_response *res, bf_error *err)
{
    json_t *body = NULL;
    const char *username = NULL, *role = NULL, *region_text = NULL, *display = NULL;
    char region[13], password[17] = "";
    bf_status rc = http_json_parse_object(req->body, req->body_len, &body, err);
    if (rc)
        return rc;
    rc = http_json_string(body, "username", true, ACCOUNTS_NAME_MAX, &username, err);
    if (rc == BF_OK)
        rc = http_json_string(body, "role", true, 32, &role, err);
    if (rc == BF_OK)
        rc = http_json_string(body, "region_code", true, 12, &region_text, err);
    if (rc == BF_OK)
        rc = http_json_string(body, "display_name", false, 100, &display, err);
    if (rc == BF_OK)
        rc = body_region(req, region_text, region, err);
    if (rc)
        goto out;
    accounts_generate_password(password, sizeof password);
    char after[256];
    snprintf(after, sizeof after, "{\"region_code\":\"%s\",\"role\":\"%.32s\"}", region, role);
    rc = store_begin(req->store, err);
    if (rc == BF_OK)
        rc = accounts_add(req->store, username, display, role, region, password, true, NULL, err);
    if (rc == BF_OK)
        rc = http_audit(req, "user_add", "user", username, NULL, after, err);
    if (rc == BF_OK)
        rc = store_commit(req->store, err);
    else
        store_rollback(req->store);
    if (rc == BF_OK)
        rc = reply_user(req, res, 201, username, password, err);
out:
    sodium_memzero(password, sizeof password);
    json_decref(body);
    return rc;
}

bf_status h_user_update(http_request *req, http_response *res, bf_error *err)
{
    json_t *body = NULL;
    const char *role = NULL, *region_text = NULL, *display = NULL;
    bool disabled = false, reset = false;
    char region[13], password[17] = "";
    accounts_user target;
    bf_status rc = accounts_get(req->store, req->params[0], &target, NULL, 0, err);
    if (rc == BF_OK && !in_scope(req, target.region_code))
        rc = bf_error_set(err, BF_ERR_NOT_FOUND, "用户 %s 不存在", req->params[0]);
    if (rc)
        return rc;
    rc = http_json_parse_object(req->body, req->body_len, &body, err);
    if (rc)
        return rc;
    disabled = target.disabled;
    rc = http_json_string(body, "role", false, 32, &role, err);
    if (rc == BF_OK)
        rc = http_json_string(body, "region_code", false, 12, &region_text, err);
    if (rc == BF_OK)
        rc = http_json_string(body, "display_name", false, 100, &display, err);
    if (rc == BF_OK)
        rc = http_json_bool(body, "disabled", &disabled, err);
    if (rc == BF_OK)
        rc = http_json_bool(body, "reset_password", &reset, err);
    if (rc == BF_OK && region_text)
        rc = body_region(req, region_text, region, err);
    if (rc == BF_OK && disabled && target.id == req->user.id)
        rc = bf_error_set_field(err, BF_ERR_INVALID, "disabled", "不能停用自己的账户");
    if (rc)
        goto out;
    rc = store_begin(req->store, err);
    if (rc)
        goto out;
    if (role || region_text || display)
        rc = accounts_update(req->store, target.username, role, region_text ? region : NULL,
                             display, err);
    if (rc == BF_OK && disabled != target.disabled)
        rc = accounts_set_disabled(req->store, target.username, disabled, err);
    if (rc == BF_OK && reset) {
        accounts_generate_password(password, sizeof password);
        rc = accounts_set_password(req->store, target.username, password, true, err);
        if (rc == BF_OK)
            rc = session_end_all(req->store, target.id, NULL, err);
    }
    if (rc == BF_OK) {
        char after[256];
        snprintf(
            after, sizeof after,
            "{\"disabled\":%s,\"region_code\":\"%s\",\"reset_password\":%s,\"role\":\"%.32s\"}",
            disabled ? "true" : "false", region_text ? region : target.region_code,
            reset ? "true" : "false", role ? role : target.role_id);
        rc = http_audit(req, "user_update", "user", target.username, NULL, after, err);
    }
    if (rc == BF_OK)
        rc = store_commit(req->store, err);
    else
        store_rollback(req->store);
    /* Role, region, disabling and password resets change what sessions may do. */
    session_cache_clear(http_server_sessions(req->server));
    if (rc == BF_OK)
        rc = reply_user(req, res, 200, target.username, reset ? password : NULL, err);
out:
    sodium_memzero(password, sizeof password);
    json_decref(body);
    return rc;
}

bf_status h_assignments_list(http_request *req, http_response *res, bf_error *err)
{
    const char *project = http_query(req, "project");
    bool filter = project && *project;
    bf_stmt *stmt = NULL;
    bool has_row = false;
    json_t *items = json_array();
    if (!items)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    bf_status rc = store_prepare(
        req->store,
        filter ? "SELECT u.username, a.project_code, a.assigned_by, a.assigned_at FROM "
                 "evaluator_assignments a JOIN users u ON u.id = a.user_id JOIN projects p ON "
                 "p.county_code = a.county_code AND p.code = a.project_code "
                 "WHERE a.county_code >= ? AND a.county_code < ? AND "
                 "p.region_code >= ? AND p.region_code < ? AND "
                 "a.project_code = ? ORDER BY a.project_code, u.username"
               : "SELECT u.username, a.project_code, a.assigned_by, a.assigned_at FROM "
                 "evaluator_assignments a JOIN users u ON u.id = a.user_id JOIN projects p ON "
                 "p.county_code = a.county_code AND p.code = a.project_code "
                 "WHERE a.county_code >= ? AND a.county_code < ? AND "
                 "p.region_code >= ? AND p.region_code < ? "
                 "ORDER BY a.project_code, u.username",
        &stmt, err);
    if (rc == BF_OK) {
        /* The scope's counties (an administrator's page, not a hot path). */
        char clo[7], chi[7];
        bf_region_range_counties(req->scope_lo, req->scope_hi, clo, chi, NULL);
        store_bind_str(stmt, 1, clo);
        store_bind_str(stmt, 2, chi);
        store_bind_str(stmt, 3, req->scope_lo);
        store_bind_str(stmt, 4, req->scope_hi);
        if (filter)
            store_bind_str(stmt, 5, project);
    }
    while (rc == BF_OK && (rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        json_t *obj = json_object();
        if (!obj)
            break;
        char at[32];
        bf_time_format_utc(store_column_int64(stmt, 3), at, sizeof at);
        json_object_set_new(obj, "username",
                            http_json_str_or_null(store_column_text(stmt, 0, NULL)));
        json_object_set_new(obj, "project_code",
                            http_json_str_or_null(store_column_text(stmt, 1, NULL)));
        json_object_set_new(obj, "assigned_by",
                            http_json_str_or_null(store_column_text(stmt, 2, NULL)));
        json_object_set_new(obj, "assigned_at", json_string(at));
        json_array_append_new(items, obj);
    }
    store_finalize(stmt);
    json_t *reply = rc ? NULL : json_object();
    if (!reply) {
        json_decref(items);
        return rc ? rc : bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    json_object_set_new(reply, "items", items);
    return http_json_respond(res, 200, reply);
}

/* The project must be visible to the user (else 404). */
static bf_status visible_project(http_request *req, const char *code, bf_error *err)
{
    reg_scope scope;
    http_reg_scope(req, &scope);
    const char *keys[1] = {code};
    json_t *obj = NULL;
    bf_status rc = reg_get(req->store, reg_find("projects"), &scope, keys, false, &obj, NULL, err);
    json_decref(obj);
    return rc;
}

static bf_status assign(http_request *req, const char *username, const char *project, bool remove,
                        bf_error *err)
{
    bf_status rc = visible_project(req, project, err);
    if (rc)
        return rc;
    rc = store_begin(req->store, err);
    if (rc)
        return rc;
    rc = accounts_assign_project(req->store, username, project, req->user.username, remove, err);
    if (rc == BF_OK) {
        char after[160];
        snprintf(after, sizeof after, "{\"evaluator\":\"%s\"}", username);
        rc = http_audit(req, remove ? "unassign" : "assign", "evaluator_assignment", project, NULL,
                        after, err);
    }
    if (rc) {
        store_rollback(req->store);
        return rc;
    }
    return store_commit(req->store, err);
}

bf_status h_assignment_create(http_request *req, http_response *res, bf_error *err)
{
    json_t *body = NULL;
    const char *username = NULL, *project = NULL;
    bf_status rc = http_json_parse_object(req->body, req->body_len, &body, err);
    if (rc)
        return rc;
    rc = http_json_string(body, "username", true, ACCOUNTS_NAME_MAX, &username, err);
    if (rc == BF_OK)
        rc = http_json_string(body, "project_code", true, 200, &project, err);
    if (rc == BF_OK)
        rc = assign(req, username, project, false, err);
    json_decref(body);
    if (rc == BF_OK) {
        http_response_clear(res);
        res->status = 201;
    }
    return rc;
}

bf_status h_assignment_delete(http_request *req, http_response *res, bf_error *err)
{
    bf_status rc = assign(req, req->params[1], req->params[0], true, err);
    if (rc == BF_OK) {
        http_response_clear(res);
        res->status = 204;
    }
    return rc;
}
