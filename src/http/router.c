/*
 * router.c - the route table and the dispatcher (see router.h).
 */
#include "http/router.h"
#include "domain/audit.h"
#include "domain/roles.h"
#include "http/handlers.h"
#include "http/json.h"
#include "http/server.h"
#include "http/session.h"
#include "io/validate.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define R(m, p, perm, flags, h)                                                                    \
    {                                                                                              \
        m, "/api/v1" p, perm, flags, h                                                             \
    }

static const http_route routes[] = {
    R("GET", "/health", PERM_NONE, ROUTE_PUBLIC, h_health),
    R("POST", "/auth/login", PERM_NONE, ROUTE_PUBLIC | ROUTE_NO_CSRF, h_login),
    R("POST", "/auth/logout", PERM_NONE, ROUTE_ANY_PASSWORD, h_logout),
    R("GET", "/auth/me", PERM_NONE, ROUTE_ANY_PASSWORD, h_me),
    R("POST", "/auth/password", PERM_NONE, ROUTE_ANY_PASSWORD, h_password),
    R("GET", "/meta/roles", PERM_NONE, 0, h_roles),
    R("GET", "/meta/templates", PERM_NONE, 0, h_templates),
    R("GET", "/meta/templates/{}", PERM_NONE, 0, h_template_get),
    R("GET", "/regions", PERM_READ, 0, h_regions),
    R("GET", "/regions/{}", PERM_READ, 0, h_region_get),
    R("GET", "/summary", PERM_SUMMARY, 0, h_summary),
    R("GET", "/projects", PERM_READ, 0, h_projects_list),
    R("POST", "/projects", PERM_WRITE, 0, h_project_create),
    R("GET", "/projects/{}", PERM_READ, 0, h_project_get),
    R("PATCH", "/projects/{}", PERM_WRITE, 0, h_project_update),
    R("GET", "/assets", PERM_READ, 0, h_assets_list),
    R("POST", "/assets", PERM_WRITE, 0, h_asset_create),
    R("GET", "/assets/{}", PERM_READ, 0, h_asset_get),
    R("PATCH", "/assets/{}", PERM_WRITE, 0, h_asset_update),
    R("GET", "/project-years", PERM_READ, 0, h_project_years_list),
    R("POST", "/project-years", PERM_WRITE, 0, h_project_year_create),
    R("GET", "/project-years/{}/{}", PERM_READ, 0, h_project_year_get),
    R("PATCH", "/project-years/{}/{}", PERM_WRITE, 0, h_project_year_update),
    R("GET", "/households", PERM_HOUSEHOLDS, 0, h_households_list),
    R("POST", "/households", PERM_HOUSEHOLDS | PERM_WRITE, 0, h_household_create),
    R("GET", "/households/{}", PERM_HOUSEHOLDS, 0, h_household_get),
    R("PATCH", "/households/{}", PERM_HOUSEHOLDS | PERM_WRITE, 0, h_household_update),
    R("POST", "/households/{}/reveal", PERM_HOUSEHOLDS | PERM_REVEAL, 0, h_household_reveal),
    R("POST", "/households/{}/members", PERM_HOUSEHOLDS | PERM_WRITE, 0, h_member_add),
    R("DELETE", "/households/{}/members/{}", PERM_HOUSEHOLDS | PERM_WRITE, 0, h_member_remove),
    R("GET", "/household-years", PERM_HOUSEHOLDS, 0, h_household_years_list),
    R("POST", "/household-years", PERM_HOUSEHOLDS | PERM_WRITE, 0, h_household_year_create),
    R("GET", "/household-years/{}/{}", PERM_HOUSEHOLDS, 0, h_household_year_get),
    R("PATCH", "/household-years/{}/{}", PERM_HOUSEHOLDS | PERM_WRITE, 0, h_household_year_update),
    R("GET", "/benefits", PERM_HOUSEHOLDS, 0, h_benefits_list),
    R("POST", "/benefits", PERM_HOUSEHOLDS | PERM_WRITE, 0, h_benefit_create),
    R("DELETE", "/benefits/{}/{}/{}", PERM_HOUSEHOLDS | PERM_WRITE, 0, h_benefit_delete),
    R("POST", "/imports/{}", PERM_IMPORT, ROUTE_UPLOAD, h_import),
    R("GET", "/exports/{}", PERM_EXPORT, 0, h_export),
    R("POST", "/classification/runs", PERM_CLASSIFY, 0, h_classify_run),
    R("GET", "/classification", PERM_SUMMARY, 0, h_classify_list),
    R("GET", "/classification/{}/{}", PERM_READ, 0, h_classify_explain),
    R("POST", "/classification/{}/{}/decision", PERM_CLASSIFY, 0, h_classify_decide),
    R("GET", "/rules", PERM_SUMMARY, 0, h_rules_get),
    R("PUT", "/rules", PERM_RULES, 0, h_rules_put),
    R("POST", "/rules", PERM_RULES, 0, h_rules_put),
    R("GET", "/thresholds", PERM_SUMMARY, 0, h_thresholds_list),
    R("PUT", "/thresholds/{}", PERM_RULES, 0, h_threshold_set),
    R("GET", "/warnings", PERM_SUMMARY, 0, h_warnings_list),
    R("POST", "/warnings/{}/acknowledge", PERM_WARN_MANAGE, 0, h_warning_acknowledge),
    R("POST", "/warnings/{}/resolve", PERM_WARN_MANAGE, 0, h_warning_resolve),
    R("GET", "/audit", PERM_AUDIT, 0, h_audit_list),
    R("GET", "/audit/verify", PERM_AUDIT, 0, h_audit_verify),
    R("GET", "/audit/export", PERM_AUDIT, 0, h_audit_export),
    R("GET", "/users", PERM_USERS, 0, h_users_list),
    R("POST", "/users", PERM_USERS, 0, h_user_create),
    R("PATCH", "/users/{}", PERM_USERS, 0, h_user_update),
    R("GET", "/evaluator-assignments", PERM_ASSIGN, 0, h_assignments_list),
    R("POST", "/evaluator-assignments", PERM_ASSIGN, 0, h_assignment_create),
    R("DELETE", "/evaluator-assignments/{}/{}", PERM_ASSIGN, 0, h_assignment_delete),
};

const http_route *http_routes(size_t *count)
{
    *count = sizeof routes / sizeof routes[0];
    return routes;
}

/* Match path against pattern; params (may be NULL) get the {} segments. */
static bool pattern_match(const char *pattern, const char *path, http_request *req)
{
    const char *p = pattern, *s = path;
    size_t nparams = 0;
    while (*p && *s) {
        if (p[0] == '{' && p[1] == '}') {
            const char *end = strchr(s, '/');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            if (len == 0 || nparams >= HTTP_MAX_PATH_PARAMS)
                return false;
            if (req) {
                const char *copy = bf_arena_strndup(req->arena, s, len);
                if (!copy)
                    return false;
                req->params[nparams] = copy;
            }
            nparams++;
            s += len;
            p += 2;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    /* A trailing slash on the path is tolerated. */
    if (*p == '\0' && s[0] == '/' && s[1] == '\0')
        s++;
    if (*p || *s)
        return false;
    if (req)
        req->nparams = nparams;
    return true;
}

const http_route *http_route_find(const char *method, const char *path, http_request *req,
                                  bool *path_known)
{
    bool known = false;
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (!pattern_match(routes[i].pattern, path, NULL))
            continue;
        known = true;
        if (strcmp(routes[i].method, m) == 0) {
            if (req && !pattern_match(routes[i].pattern, path, req))
                return NULL; /* out of memory for the parameters */
            if (path_known)
                *path_known = true;
            return &routes[i];
        }
    }
    if (path_known)
        *path_known = known;
    return NULL;
}

size_t http_route_body_limit(const http_config *cfg, const char *method, const char *path)
{
    const http_route *route = http_route_find(method, path, NULL, NULL);
    if (route && (route->flags & ROUTE_UPLOAD))
        return cfg->max_upload;
    return cfg->max_body;
}

void http_set_scope(http_request *req)
{
    bf_region_code_range(req->user.region_code, req->scope_lo, req->scope_hi);
}

bf_status http_audit(http_request *req, const char *action, const char *entity, const char *key,
                     const char *before, const char *after, bf_error *err)
{
    audit_entry entry = {
        .user = req->authenticated ? req->user.username : "",
        .address = req->address ? req->address : "",
        .action = action,
        .entity = entity,
        .entity_key = key ? key : "",
        .before = before,
        .after = after,
    };
    bf_error local;
    bf_error_clear(&local);
    bf_status rc = audit_append(req->store, &entry, NULL, err ? err : &local);
    if (rc && !err)
        fprintf(stderr, "bangfu serve: 审计记录写入失败：%s\n", bf_error_text(&local));
    return rc;
}

static bool is_state_changing(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
           strcmp(method, "OPTIONS") != 0;
}

static void allow_header(http_request *req, http_response *res)
{
    char allow[128] = "";
    size_t used = 0;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (!pattern_match(routes[i].pattern, req->path, NULL))
            continue;
        int n =
            snprintf(allow + used, sizeof allow - used, "%s%s", used ? ", " : "", routes[i].method);
        if (n < 0 || (size_t)n >= sizeof allow - used)
            break;
        used += (size_t)n;
    }
    http_add_header(req, res, "Allow", allow);
}

/* Content-Type of a JSON body must be application/json (with parameters). */
static bool is_json_type(const char *type)
{
    if (!type)
        return false;
    size_t len = strcspn(type, ";");
    while (len && type[len - 1] == ' ')
        len--;
    return len == 16 && strncasecmp(type, "application/json", 16) == 0;
}

static bf_status authenticate(http_request *req, bf_error *err)
{
    char token[128];
    if (!session_cookie_value(http_header(req, "Cookie"), SESSION_COOKIE, token, sizeof token))
        return bf_error_set(err, BF_ERR_UNAUTH, "请先登录");
    bf_status rc = session_lookup(req->store, http_server_sessions(req->server), token,
                                  req->config->session_idle, req->config->session_max, &req->user,
                                  req->csrf, req->session_hash, err);
    if (rc)
        return rc;
    req->authenticated = true;
    http_set_scope(req);
    return BF_OK;
}

static bf_status run(http_request *req, http_response *res, int *force_status, bf_error *err)
{
    bool known = false;
    const http_route *route = http_route_find(req->method, req->path, req, &known);
    if (!route) {
        if (known) {
            allow_header(req, res);
            *force_status = 405;
            return bf_error_set(err, BF_ERR_USAGE, "不支持的请求方法 %s", req->method);
        }
        return bf_error_set(err, BF_ERR_NOT_FOUND, "没有这个接口：%s", req->path);
    }
    bf_status rc = BF_OK;
    if (!(route->flags & ROUTE_PUBLIC)) {
        rc = authenticate(req, err);
        if (rc)
            return rc;
        if (is_state_changing(req->method) && !(route->flags & ROUTE_NO_CSRF)) {
            const char *token = http_header(req, "X-CSRF-Token");
            if (!token || !session_token_equal(token, req->csrf)) {
                http_audit(req, "forbidden", "csrf", req->path, NULL, NULL, NULL);
                return bf_error_set(err, BF_ERR_FORBIDDEN,
                                    "缺少或错误的 CSRF 令牌（请求头 X-CSRF-Token）");
            }
        }
        if (req->user.must_change_password && !(route->flags & ROUTE_ANY_PASSWORD))
            return bf_error_set(err, BF_ERR_FORBIDDEN, "请先修改初始密码");
        if (!roles_can(req->user.role, route->perm)) {
            http_audit(req, "forbidden", route->pattern, req->path, NULL, NULL, NULL);
            return bf_error_set(err, BF_ERR_FORBIDDEN, "您的角色（%s）无权执行此操作",
                                req->user.role ? req->user.role->zh : req->user.role_id);
        }
    }
    if (is_state_changing(req->method) && !(route->flags & ROUTE_UPLOAD) && req->body_len > 0 &&
        !is_json_type(http_header(req, "Content-Type")))
        return bf_error_set(err, BF_ERR_UNSUPPORTED, "请求内容须为 application/json");
    return route->handler(req, res, err);
}

void http_dispatch(http_request *req, http_response *res)
{
    bf_error err;
    bf_error_clear(&err);
    int force_status = 0;
    bf_status rc = run(req, res, &force_status, &err);
    if (req->store) {
        /* A handler must not leave a transaction open; if it did, undo it. */
        while (req->store->tx_depth > 0)
            store_rollback(req->store);
    }
    if (rc == BF_OK)
        return;
    if (err.status == BF_OK)
        bf_error_set(&err, rc, "%s", bf_status_message(rc));
    int status = bf_status_http(rc);
    if (status >= 500)
        fprintf(stderr, "bangfu serve: %s %s -> %d: %s\n", req->method, req->path, status,
                bf_error_text(&err));
    /* Keep headers a handler set for the error (Retry-After, Allow). */
    size_t nheaders = res->nheaders;
    http_pair headers[HTTP_MAX_RESP_HEADERS];
    memcpy(headers, res->headers, sizeof headers);
    http_json_error(res, &err);
    if (force_status)
        res->status = force_status;
    memcpy(res->headers, headers, sizeof headers);
    res->nheaders = nheaders;
}
