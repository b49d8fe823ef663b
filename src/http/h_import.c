/*
 * h_import.c - POST /api/v1/imports/{template}: a spreadsheet uploaded as
 * multipart/form-data (field "file") or as the raw body, through the same
 * importer as `bangfu import`, dry run unless dry_run=false. The report lists
 * every bad row and column (up to 1000 entries).
 *
 * Scope: the import runs inside a transaction of its own; the records outside
 * the user's subtree are counted and their versions summed before and after,
 * and if anything there changed (a row of another region, or a code that
 * belongs to another region's record) the whole import is rolled back.
 */
#include "core/date.h"
#include "domain/audit.h"
#include "domain/import.h"
#include "domain/roles.h"
#include "domain/template.h"
#include "http/handlers.h"
#include "http/json.h"
#include "http/multipart.h"
#include "http/router.h"
#include "http/server.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_REPORTED 1000

/* How to reach a registry's region, for the out-of-scope fingerprint: a
 * scan of everything outside the scope, so of every other county (once per
 * import; on Citus a parallel query over the other shards). */
static const struct {
    tpl_kind kind;
    const char *sql; /* COUNT and SUM(version) of rows outside [?, ?) */
} outside_sql[] = {
    {TPL_PROJECTS, "SELECT COUNT(*), COALESCE(SUM(version), 0) FROM projects "
                   "WHERE region_code < ? OR region_code >= ?"},
    {TPL_ASSETS, "SELECT COUNT(*), COALESCE(SUM(a.version), 0) FROM assets a JOIN projects p ON "
                 "p.county_code = a.county_code AND p.code = a.project_code WHERE p.region_code < "
                 "? OR p.region_code >= ?"},
    {TPL_PROJECT_YEARS,
     "SELECT COUNT(*), COALESCE(SUM(y.version), 0) FROM project_years y JOIN projects p ON "
     "p.county_code = y.county_code AND p.code = y.project_code WHERE p.region_code < ? OR "
     "p.region_code >= ?"},
    {TPL_HOUSEHOLDS, "SELECT COUNT(*), COALESCE(SUM(version), 0) FROM households "
                     "WHERE region_code < ? OR region_code >= ?"},
    {TPL_MEMBERS, "SELECT COUNT(*), COALESCE(SUM(m.version), 0) FROM members m JOIN households h "
                  "ON h.county_code = m.county_code AND h.code = m.household_code WHERE "
                  "h.region_code < ? OR h.region_code >= ?"},
    {TPL_HOUSEHOLD_YEARS,
     "SELECT COUNT(*), COALESCE(SUM(y.version), 0) FROM household_years y JOIN households h ON "
     "h.county_code = y.county_code AND h.code = y.household_code WHERE h.region_code < ? OR "
     "h.region_code >= ?"},
    {TPL_BENEFITS, "SELECT COUNT(*), COALESCE(SUM(b.updated_at), 0) FROM benefits b JOIN "
                   "households h ON h.county_code = b.county_code AND h.code = b.household_code "
                   "JOIN projects p ON p.county_code = b.county_code AND p.code = b.project_code "
                   "WHERE h.region_code < ? OR h.region_code >= ? OR "
                   "p.region_code < ? OR p.region_code >= ?"},
};

static bf_status outside_state(http_request *req, tpl_kind kind, int64_t out[2], bf_error *err)
{
    out[0] = out[1] = 0;
    for (size_t i = 0; i < sizeof outside_sql / sizeof outside_sql[0]; i++) {
        if (outside_sql[i].kind != kind)
            continue;
        bf_stmt *stmt = NULL;
        bool has_row = false;
        bf_status rc = store_prepare(req->store, outside_sql[i].sql, &stmt, err);
        if (rc)
            return rc;
        store_bind_str(stmt, 1, req->scope_lo);
        store_bind_str(stmt, 2, req->scope_hi);
        if (kind == TPL_BENEFITS) {
            store_bind_str(stmt, 3, req->scope_lo);
            store_bind_str(stmt, 4, req->scope_hi);
        }
        rc = store_step(stmt, &has_row, err);
        if (rc == BF_OK && has_row) {
            out[0] = store_column_int64(stmt, 0);
            out[1] = store_column_int64(stmt, 1);
        }
        store_finalize(stmt);
        return rc;
    }
    return BF_OK;
}

typedef struct {
    json_t *errors;
    long count;
} report_ctx;

static void on_error(void *vctx, const import_error *e)
{
    report_ctx *ctx = vctx;
    if (ctx->count++ >= MAX_REPORTED || !ctx->errors)
        return;
    json_t *item = json_object();
    if (!item)
        return;
    json_object_set_new(item, "row", json_integer(e->row));
    json_object_set_new(item, "column", http_json_str_or_null(e->column ? e->column : ""));
    json_object_set_new(item, "value", http_json_str_or_null(e->value ? e->value : ""));
    json_object_set_new(item, "reason", http_json_str_or_null(e->reason ? e->reason : ""));
    json_array_append_new(ctx->errors, item);
}

static bool query_bool(const http_request *req, const char *name, bool def, bool *ok)
{
    const char *v = http_query(req, name);
    if (!v || !*v)
        return def;
    if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes"))
        return true;
    if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no"))
        return false;
    *ok = false;
    return def;
}

bf_status h_import(http_request *req, http_response *res, bf_error *err)
{
    const tpl_template *tpl = tpl_find(req->params[0]);
    if (!tpl)
        return bf_error_set(err, BF_ERR_NOT_FOUND, "没有名为 %s 的模板", req->params[0]);
    if (tpl->kind == TPL_REGIONS && !roles_can(req->user.role, PERM_REGIONS)) {
        http_audit(req, "forbidden", "import", tpl->name, NULL, NULL, NULL);
        return bf_error_set(err, BF_ERR_FORBIDDEN, "只有省级管理员可以导入行政区划");
    }
    bool ok = true;
    bool dry_run = query_bool(req, "dry_run", true, &ok);
    bool skip_bad = query_bool(req, "skip_bad", false, &ok);
    if (!ok)
        return bf_error_set(err, BF_ERR_USAGE, "dry_run 和 skip_bad 须为 true 或 false");
    const char *type = http_header(req, "Content-Type");
    const char *data = req->body;
    size_t len = req->body_len;
    char filename[256] = "";
    char boundary[72];
    if (http_multipart_boundary(type, boundary)) {
        bf_status rc = http_multipart_find(req->body, req->body_len, boundary, "file", &data, &len,
                                           filename, sizeof filename);
        if (rc == BF_ERR_NOT_FOUND)
            return bf_error_set_field(err, BF_ERR_USAGE, "file", "上传内容中缺少 file 字段");
        if (rc)
            return bf_error_set(err, BF_ERR_PARSE, "multipart/form-data 格式错误");
    } else if (!type || !(strncasecmp(type, "text/csv", 8) == 0 ||
                          strncasecmp(type, "application/octet-stream", 24) == 0 ||
                          strncasecmp(type,
                                      "application/vnd.openxmlformats-officedocument."
                                      "spreadsheetml.sheet",
                                      65) == 0)) {
        return bf_error_set(err, BF_ERR_UNSUPPORTED,
                            "请以 multipart/form-data、text/csv 或 XLSX 格式上传文件");
    }
    if (len == 0)
        return bf_error_set(err, BF_ERR_USAGE, "上传的文件为空");

    report_ctx rep = {json_array(), 0};
    json_t *reply = json_object();
    if (!rep.errors || !reply) {
        json_decref(rep.errors);
        json_decref(reply);
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    import_options opt = {
        .dry_run = dry_run,
        .skip_bad = skip_bad,
        .file_label = filename[0] ? filename : "上传文件",
        .keys = req->keys,
        .on_error = on_error,
        .error_ctx = &rep,
        .actor = req->user.username,
        /* Rows outside the user's region are bad rows, named in the report; the
         * before/after check below stays as a second guard. */
        .scope_region = req->user.region_code[0] ? req->user.region_code : NULL,
    };
    import_result result;
    memset(&result, 0, sizeof result);
    int64_t before[2], after[2];
    bool scoped = tpl->kind != TPL_REGIONS;
    bf_status rc = store_begin(req->store, err);
    if (rc)
        goto fail;
    rc = scoped ? outside_state(req, tpl->kind, before, err) : BF_OK;
    if (rc)
        goto fail;
    bf_error import_err;
    bf_error_clear(&import_err);
    bf_status irc = import_mem(req->store, tpl->kind, data, len, &opt, &result, &import_err);
    if (irc && irc != BF_ERR_INVALID) {
        *err = import_err;
        rc = irc;
        goto fail;
    }
    bool committed = false;
    if (result.committed && !dry_run) {
        rc = scoped ? outside_state(req, tpl->kind, after, err) : BF_OK;
        if (rc)
            goto fail;
        if (scoped && (before[0] != after[0] || before[1] != after[1])) {
            store_rollback(req->store);
            http_audit(req, "forbidden", "import", tpl->name, NULL, NULL, NULL);
            json_decref(rep.errors);
            json_decref(reply);
            return bf_error_set(err, BF_ERR_INVALID,
                                "文件中有不在您管辖范围内的记录（或属于其他地区的编号），"
                                "已全部撤销，未写入任何数据");
        }
        char summary[256];
        snprintf(summary, sizeof summary,
                 "{\"file\":\"%s\",\"inserted\":%ld,\"rows\":%ld,\"updated\":%ld}",
                 filename[0] ? "upload" : "body", result.inserted, result.rows, result.updated);
        rc = http_audit(req, "import", "import", tpl->name, NULL, summary, err);
        if (rc == BF_OK)
            rc = store_commit(req->store, err);
        if (rc)
            goto fail;
        committed = true;
        http_server_data_changed(req->server);
    } else {
        store_rollback(req->store);
    }
    json_object_set_new(reply, "template", json_string(tpl->name));
    json_object_set_new(reply, "dry_run", json_boolean(dry_run));
    json_object_set_new(reply, "ok", json_boolean(result.errors == 0 && (dry_run || committed)));
    json_object_set_new(reply, "committed", json_boolean(committed));
    json_object_set_new(reply, "rows", json_integer(result.rows));
    json_object_set_new(reply, "good", json_integer(result.good));
    json_object_set_new(reply, "bad", json_integer(result.bad));
    json_object_set_new(reply, "inserted",
                        json_integer(committed || dry_run ? result.inserted : 0));
    json_object_set_new(reply, "updated", json_integer(committed || dry_run ? result.updated : 0));
    json_object_set_new(reply, "unchanged", json_integer(result.unchanged));
    json_object_set_new(reply, "errors", rep.errors);
    json_object_set_new(reply, "errors_truncated", json_boolean(rep.count > MAX_REPORTED));
    return http_json_respond(res, 200, reply);
fail:
    store_rollback(req->store);
    json_decref(rep.errors);
    json_decref(reply);
    return rc;
}
