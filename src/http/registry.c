/*
 * registry.c - HTTP glue of the registry resources (see registry.h).
 */
#include "http/registry.h"
#include "http/json.h"
#include "http/server.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void http_reg_scope(const http_request *req, reg_scope *scope)
{
    memset(scope, 0, sizeof *scope);
    memcpy(scope->lo, req->scope_lo, 13);
    memcpy(scope->hi, req->scope_hi, 13);
    scope->evaluator_id = req->user.role && req->user.role->assigned_only ? req->user.id : 0;
    scope->keys = req->keys;
    scope->actor = req->user.username;
    scope->address = req->address;
}

static const reg_def *find(const char *resource, bf_error *err)
{
    const reg_def *def = reg_find(resource);
    if (!def)
        bf_error_set(err, BF_ERR_INTERNAL, "内部错误：未知资源 %s", resource);
    return def;
}

bf_status http_reg_list(http_request *req, http_response *res, const char *resource, bf_error *err)
{
    const reg_def *def = find(resource, err);
    if (!def)
        return BF_ERR_INTERNAL;
    reg_scope scope;
    http_reg_scope(req, &scope);
    reg_param params[HTTP_MAX_QUERY];
    for (size_t i = 0; i < req->nquery; i++) {
        params[i].name = req->query[i].name;
        params[i].value = req->query[i].value;
    }
    /* Identical list requests of the same scope share a cached body until the
     * data changes: the key hashes resource, scope and every parameter. */
    crypto_generichash_state st;
    unsigned char digest[16];
    char key[64];
    char eval[24];
    snprintf(eval, sizeof eval, "%lld", (long long)scope.evaluator_id);
    crypto_generichash_init(&st, NULL, 0, sizeof digest);
    const char *parts[] = {resource, scope.lo, scope.hi, eval};
    for (size_t i = 0; i < 4; i++)
        crypto_generichash_update(&st, (const unsigned char *)parts[i], strlen(parts[i]) + 1);
    for (size_t i = 0; i < req->nquery; i++) {
        crypto_generichash_update(&st, (const unsigned char *)req->query[i].name,
                                  strlen(req->query[i].name) + 1);
        crypto_generichash_update(&st, (const unsigned char *)req->query[i].value,
                                  strlen(req->query[i].value) + 1);
    }
    crypto_generichash_final(&st, digest, sizeof digest);
    memcpy(key, "list|", 5);
    sodium_bin2hex(key + 5, sizeof key - 5, digest, sizeof digest);
    /* Writes by other processes first, then the generation (in get). */
    http_server_sync(req->server);
    uint64_t generation = 0;
    if (http_server_cache_get(req->server, key, res, &generation))
        return BF_OK;
    json_t *list = NULL;
    bf_status rc = reg_list(req->store, def, &scope, params, req->nquery, &list, err);
    if (rc)
        return rc;
    rc = http_json_respond(res, 200, list);
    if (rc == BF_OK)
        http_server_cache_put(req->server, key, generation, res->body, res->body_len);
    return rc;
}

static void set_etag(http_request *req, http_response *res, int64_t version)
{
    if (version <= 0)
        return;
    char etag[32];
    snprintf(etag, sizeof etag, "\"%lld\"", (long long)version);
    http_add_header(req, res, "ETag", etag);
}

static bf_status check_params(const http_request *req, const reg_def *def, bf_error *err)
{
    if ((int)req->nparams != reg_key_count(def))
        return bf_error_set(err, BF_ERR_INTERNAL, "内部错误：路径参数个数不符");
    return BF_OK;
}

bf_status http_reg_get(http_request *req, http_response *res, const char *resource, bf_error *err)
{
    const reg_def *def = find(resource, err);
    if (!def || check_params(req, def, err))
        return BF_ERR_INTERNAL;
    reg_scope scope;
    http_reg_scope(req, &scope);
    json_t *obj = NULL;
    int64_t version = 0;
    bf_status rc = reg_get(req->store, def, &scope, req->params, true, &obj, &version, err);
    if (rc)
        return rc;
    set_etag(req, res, version);
    return http_json_respond(res, 200, obj);
}

bf_status http_reg_create(http_request *req, http_response *res, const char *resource,
                          bf_error *err)
{
    const reg_def *def = find(resource, err);
    if (!def)
        return BF_ERR_INTERNAL;
    reg_scope scope;
    http_reg_scope(req, &scope);
    json_t *body = NULL, *obj = NULL;
    int64_t version = 0;
    bf_status rc = http_json_parse_object(req->body, req->body_len, &body, err);
    if (rc)
        return rc;
    rc = reg_create(req->store, def, &scope, body, &obj, &version, err);
    json_decref(body);
    if (rc)
        return rc;
    http_server_data_changed(req->server);
    set_etag(req, res, version);
    /* Location: the record's URL from its key fields. */
    const tpl_template *tpl = reg_template(def);
    char location[600];
    size_t used = (size_t)snprintf(location, sizeof location, "/api/v1/%s", resource);
    for (size_t i = 0; i < tpl->ncolumns && used < sizeof location; i++) {
        if (!tpl->columns[i].key)
            continue;
        json_t *v = json_object_get(obj, tpl->columns[i].alias);
        if (json_is_string(v))
            used += (size_t)snprintf(location + used, sizeof location - used, "/%s",
                                     json_string_value(v));
        else if (json_is_integer(v))
            used += (size_t)snprintf(location + used, sizeof location - used, "/%lld",
                                     (long long)json_integer_value(v));
    }
    if (used < sizeof location)
        http_add_header(req, res, "Location", location);
    return http_json_respond(res, 201, obj);
}

bool http_parse_if_match(const char *header, int64_t *version)
{
    const char *p = header;
    while (*p == ' ')
        p++;
    if (strncmp(p, "W/", 2) == 0)
        p += 2;
    bool quoted = *p == '"';
    if (quoted)
        p++;
    char *end = NULL;
    long long v = strtoll(p, &end, 10);
    if (end == p || v <= 0)
        return false;
    if (quoted) {
        if (*end != '"')
            return false;
        end++;
    }
    while (*end == ' ')
        end++;
    if (*end)
        return false;
    *version = v;
    return true;
}

bf_status http_reg_update(http_request *req, http_response *res, const char *resource,
                          bf_error *err)
{
    const reg_def *def = find(resource, err);
    if (!def || check_params(req, def, err))
        return BF_ERR_INTERNAL;
    reg_scope scope;
    http_reg_scope(req, &scope);
    json_t *body = NULL, *obj = NULL;
    int64_t if_version = 0, version = 0;
    bf_status rc = http_json_parse_object(req->body, req->body_len, &body, err);
    if (rc)
        return rc;
    const char *if_match = http_header(req, "If-Match");
    if (if_match) {
        if (!http_parse_if_match(if_match, &if_version))
            rc = bf_error_set(err, BF_ERR_USAGE, "If-Match 请求头格式错误");
    } else {
        rc = http_json_int(body, "version", false, 1, INT64_MAX, &if_version, err);
        if (rc == BF_OK && if_version == 0)
            rc = bf_error_set_field(err, BF_ERR_USAGE, "version",
                                    "修改须带上 If-Match 请求头（或 version 字段）");
    }
    if (rc == BF_OK)
        rc =
            reg_update(req->store, def, &scope, req->params, if_version, body, &obj, &version, err);
    json_decref(body);
    if (rc)
        return rc;
    http_server_data_changed(req->server);
    set_etag(req, res, version);
    return http_json_respond(res, 200, obj);
}

bf_status http_reg_delete(http_request *req, http_response *res, const char *resource,
                          bf_error *err)
{
    const reg_def *def = find(resource, err);
    if (!def || check_params(req, def, err))
        return BF_ERR_INTERNAL;
    reg_scope scope;
    http_reg_scope(req, &scope);
    bf_status rc = reg_delete(req->store, def, &scope, req->params, err);
    if (rc)
        return rc;
    http_server_data_changed(req->server);
    http_response_clear(res);
    res->status = 204;
    return BF_OK;
}
