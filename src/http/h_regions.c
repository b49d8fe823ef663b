/*
 * h_regions.c - GET /api/v1/regions[/{code}]: a region of the user's scope
 * with its flags, its ancestors inside the scope and its children, each with
 * project and household counts (from the summary cells; villages counted live).
 */
#include "domain/query_summary.h"
#include "domain/template.h"
#include "http/handlers.h"
#include "http/json.h"
#include "http/server.h"
#include "io/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *region_row(bf_stmt *stmt)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    int64_t level = store_column_int64(stmt, 2), flags = store_column_int64(stmt, 4);
    json_object_set_new(obj, "code", http_json_str_or_null(store_column_text(stmt, 0, NULL)));
    json_object_set_new(obj, "name", http_json_str_or_null(store_column_text(stmt, 1, NULL)));
    json_object_set_new(obj, "level", json_integer(level));
    json_object_set_new(obj, "level_zh",
                        json_string(bf_region_level_name_zh((bf_region_level)level)));
    json_object_set_new(obj, "parent_code",
                        store_column_is_null(stmt, 3)
                            ? json_null()
                            : http_json_str_or_null(store_column_text(stmt, 3, NULL)));
    json_object_set_new(obj, "flags", json_integer(flags));
    json_t *zh = json_array();
    for (const tpl_enum_value *v = tpl_region_flags; zh && v->id; v++)
        if (flags & strtoll(v->id, NULL, 10))
            json_array_append_new(zh, json_string(v->zh));
    json_object_set_new(obj, "flags_zh", zh ? zh : json_array());
    return obj;
}

#define REGION_COLUMNS "code, name, level, parent_code, flags"

static bf_status load_region(bf_store *store, const char *code, json_t **out, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bool has_row = false;
    *out = NULL;
    bf_status rc =
        store_prepare(store, "SELECT " REGION_COLUMNS " FROM regions WHERE code = ?", &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, code);
    rc = store_step(stmt, &has_row, err);
    if (rc == BF_OK && !has_row)
        rc = bf_error_set(err, BF_ERR_NOT_FOUND, "区划 %s 不存在或不在您的管辖范围内", code);
    if (rc == BF_OK && !(*out = region_row(stmt)))
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    store_finalize(stmt);
    return rc;
}

/* Counts of a region's own subtree (year-0 totals; villages counted live). */
static bf_status own_counts(bf_store *store, const char *code, json_t *obj, bf_error *err)
{
    int64_t projects = 0, households = 0;
    bf_status rc;
    if (bf_region_code_level(code) == BF_LEVEL_VILLAGE) {
        char county[7];
        snprintf(county, sizeof county, "%.6s", code);
        rc = store_query_int64(store,
                               "SELECT COUNT(*) FROM projects WHERE county_code = ? AND "
                               "region_code = ?",
                               &projects, err, 2, county, code);
        if (rc == BF_OK)
            rc = store_query_int64(store,
                                   "SELECT COUNT(*) FROM households WHERE county_code = ? AND "
                                   "region_code = ?",
                                   &households, err, 2, county, code);
    } else {
        rc = store_query_int64(store,
                               "SELECT COALESCE(MAX(projects), 0) FROM summary_cells WHERE "
                               "region_code = ? AND year = 0 AND dim = 'total'",
                               &projects, err, 1, code);
        if (rc == BF_OK)
            rc = store_query_int64(store,
                                   "SELECT COALESCE(MAX(households), 0) FROM summary_cells WHERE "
                                   "region_code = ? AND year = 0 AND dim = 'total'",
                                   &households, err, 1, code);
    }
    json_object_set_new(obj, "projects", json_integer(projects));
    json_object_set_new(obj, "households", json_integer(households));
    return rc;
}

static bf_status region_tree(http_request *req, http_response *res, const char *code, bf_error *err)
{
    json_t *region = NULL, *path = NULL, *children = NULL, *counts = NULL, *reply = NULL;
    bf_stmt *stmt = NULL;
    bool has_row = false;
    bf_status rc = http_server_summary_fresh(req->server, req->store, err);
    if (rc == BF_OK)
        rc = load_region(req->store, code, &region, err);
    if (rc == BF_OK)
        rc = own_counts(req->store, code, region, err);
    if (rc)
        goto out;
    path = json_array();
    children = json_array();
    reply = json_object();
    if (!path || !children || !reply) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    /* Ancestors down from the user's own region. */
    char cur[13];
    memcpy(cur, code, 13);
    while (strcmp(cur, req->user.region_code) != 0) {
        char parent[13];
        if (!bf_region_code_parent(cur, parent))
            break;
        if (strcmp(parent, req->scope_lo) < 0 || strcmp(parent, req->scope_hi) >= 0)
            break;
        json_t *p = NULL;
        bf_error local;
        if (load_region(req->store, parent, &p, &local) == BF_OK)
            json_array_insert_new(path, 0, p);
        memcpy(cur, parent, 13);
    }
    rc = summary_child_counts(req->store, code, &counts, err);
    if (rc)
        goto out;
    rc = store_prepare(req->store,
                       "SELECT " REGION_COLUMNS " FROM regions WHERE parent_code = ? ORDER BY code",
                       &stmt, err);
    if (rc == BF_OK)
        store_bind_str(stmt, 1, code);
    bool village_children = bf_region_code_level(code) == BF_LEVEL_TOWNSHIP;
    while (rc == BF_OK && (rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        json_t *child = region_row(stmt);
        if (!child) {
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
            break;
        }
        json_t *c = json_object_get(counts, store_column_text(stmt, 0, NULL));
        json_object_set_new(
            child, "projects",
            json_integer(c ? json_integer_value(json_object_get(c, "projects")) : 0));
        json_object_set_new(
            child, "households",
            json_integer(c ? json_integer_value(json_object_get(c, "households")) : 0));
        (void)village_children;
        json_array_append_new(children, child);
    }
    store_finalize(stmt);
    if (rc)
        goto out;
    json_object_set_new(reply, "region", region);
    json_object_set_new(reply, "path", path);
    json_object_set_new(reply, "children", children);
    region = path = children = NULL;
    rc = http_json_respond(res, 200, reply);
    reply = NULL;
out:
    json_decref(region);
    json_decref(path);
    json_decref(children);
    json_decref(counts);
    json_decref(reply);
    return rc;
}

bf_status h_regions(http_request *req, http_response *res, bf_error *err)
{
    return region_tree(req, res, req->user.region_code, err);
}

bf_status h_region_get(http_request *req, http_response *res, bf_error *err)
{
    char code[13];
    bf_status rc = http_scoped_region(req, req->params[0], code, err);
    if (rc == BF_ERR_USAGE)
        return bf_error_set(err, BF_ERR_NOT_FOUND, "区划 %s 不存在", req->params[0]);
    if (rc)
        return rc;
    return region_tree(req, res, code, err);
}
