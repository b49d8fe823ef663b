/*
 * h_warnings.c - risk warnings over HTTP: list those of the user's region,
 * acknowledge, resolve (domain/warnings.h; the transitions are audited there).
 */
#include "core/date.h"
#include "domain/warnings.h"
#include "http/handlers.h"
#include "http/json.h"
#include "io/validate.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    json_t *items;
    int64_t total, skip, limit;
} list_ctx;

static json_t *time_or_null(int64_t t)
{
    if (!t)
        return json_null();
    char when[32];
    bf_time_format_utc(t, when, sizeof when);
    return json_string(when);
}

static bf_status collect(void *vctx, const warn_row *w, bf_error *err)
{
    list_ctx *ctx = vctx;
    int64_t index = ctx->total++;
    if (index < ctx->skip || index >= ctx->skip + ctx->limit)
        return BF_OK;
    json_t *obj = json_object();
    if (!obj)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    json_object_set_new(obj, "id", json_integer(w->id));
    json_object_set_new(obj, "subject",
                        json_string(w->subject == IND_PROJECT ? "project" : "household"));
    json_object_set_new(obj, "subject_code", http_json_str_or_null(w->subject_code));
    json_object_set_new(obj, "region_code", http_json_str_or_null(w->region_code));
    json_object_set_new(obj, "year", json_integer(w->year));
    json_object_set_new(obj, "rule_code", http_json_str_or_null(w->rule_code));
    json_object_set_new(obj, "rule_name", http_json_str_or_null(w->rule_name));
    json_object_set_new(obj, "warning_type", http_json_str_or_null(w->warning_type));
    json_object_set_new(obj, "explanation", http_json_str_or_null(w->explanation));
    json_object_set_new(obj, "status", json_string(warn_status_name(w->status)));
    json_object_set_new(obj, "status_zh", json_string(warn_status_zh(w->status)));
    json_object_set_new(obj, "firing", json_boolean(w->firing));
    json_object_set_new(obj, "opened_at", time_or_null(w->opened_at));
    json_object_set_new(obj, "acknowledged_by", http_json_str_or_null(w->acknowledged_by));
    json_object_set_new(obj, "acknowledged_at", time_or_null(w->acknowledged_at));
    json_object_set_new(obj, "acknowledged_note", http_json_str_or_null(w->acknowledged_note));
    json_object_set_new(obj, "resolved_by", http_json_str_or_null(w->resolved_by));
    json_object_set_new(obj, "resolved_at", time_or_null(w->resolved_at));
    json_object_set_new(obj, "resolved_note", http_json_str_or_null(w->resolved_note));
    json_array_append_new(ctx->items, obj);
    return BF_OK;
}

bf_status h_warnings_list(http_request *req, http_response *res, bf_error *err)
{
    char region[13], prefix[13];
    const char *reason = NULL, *text;
    int64_t year = 0, page = 1, page_size = 50;
    bf_status rc = http_scoped_region(req, http_query(req, "region"), region, err);
    if (rc)
        return rc;
    http_region_prefix(region, prefix);
    warn_filter filter = {.region_prefix = prefix, .status = -1, .subject = -1};
    if ((text = http_query(req, "year")) && *text) {
        if (!bf_int_parse(text, strlen(text), 2000, 2100, &year, &reason))
            return bf_error_set_field(err, BF_ERR_USAGE, "year", "年度无效");
        filter.year = year;
    }
    if ((text = http_query(req, "status")) && *text) {
        filter.status = warn_status_find(text);
        if (filter.status < 0)
            return bf_error_set_field(err, BF_ERR_USAGE, "status", "状态无效：%s", text);
    }
    if ((text = http_query(req, "subject")) && *text) {
        if (strcmp(text, "project") == 0)
            filter.subject = IND_PROJECT;
        else if (strcmp(text, "household") == 0)
            filter.subject = IND_HOUSEHOLD;
        else
            return bf_error_set_field(err, BF_ERR_USAGE, "subject",
                                      "subject 须为 project 或 household");
    }
    if ((text = http_query(req, "page")) && *text &&
        !bf_int_parse(text, strlen(text), 1, 1000000, &page, &reason))
        return bf_error_set_field(err, BF_ERR_USAGE, "page", "page 无效");
    if ((text = http_query(req, "page_size")) && *text &&
        !bf_int_parse(text, strlen(text), 1, 500, &page_size, &reason))
        return bf_error_set_field(err, BF_ERR_USAGE, "page_size", "page_size 无效");
    /* The page comes from the database (LIMIT/OFFSET) and the total from a
     * COUNT: a province has hundreds of thousands of warnings. */
    filter.limit = page_size;
    filter.offset = (page - 1) * page_size;
    list_ctx ctx = {json_array(), 0, 0, page_size};
    if (!ctx.items)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    rc = warn_list(req->store, &filter, collect, &ctx, err);
    int64_t total = 0;
    if (rc == BF_OK)
        rc = warn_count(req->store, &filter, &total, err);
    json_t *reply = rc ? NULL : json_object();
    if (!reply) {
        json_decref(ctx.items);
        return rc ? rc : bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    json_object_set_new(reply, "items", ctx.items);
    json_object_set_new(reply, "total", json_integer(total));
    json_object_set_new(reply, "page", json_integer(page));
    json_object_set_new(reply, "page_size", json_integer(page_size));
    return http_json_respond(res, 200, reply);
}

static bf_status region_of(void *vctx, const warn_row *w, bf_error *err)
{
    (void)err;
    snprintf(vctx, 13, "%s", w->region_code ? w->region_code : "");
    return BF_OK;
}

static bf_status move(http_request *req, http_response *res, warn_status to, bf_error *err)
{
    int64_t id = 0;
    if (!bf_int_parse(req->params[0], strlen(req->params[0]), 1, INT64_MAX, &id, NULL))
        return bf_error_set(err, BF_ERR_NOT_FOUND, "预警不存在");
    /* The warning's region must be in the scope: otherwise it does not exist. */
    char prefix[13], region[13] = "";
    http_region_prefix(req->user.region_code, prefix);
    warn_filter filter = {.region_prefix = prefix, .status = -1, .subject = -1, .id = id};
    bf_status rc = warn_list(req->store, &filter, region_of, region, err);
    if (rc)
        return rc;
    if (!region[0])
        return bf_error_set(err, BF_ERR_NOT_FOUND, "预警不存在或不在您的管辖范围内");
    json_t *body = NULL;
    const char *note = NULL;
    if (req->body_len) {
        rc = http_json_parse_object(req->body, req->body_len, &body, err);
        if (rc == BF_OK)
            rc = http_json_string(body, "note", false, 2000, &note, err);
    }
    char county[7];
    snprintf(county, sizeof county, "%.6s", region);
    if (rc == BF_OK)
        rc = warn_transition(req->store, id, county, to, req->user.username, note, err);
    json_decref(body);
    if (rc)
        return rc;
    list_ctx ctx = {json_array(), 0, 0, 1};
    filter.region_prefix = region; /* the warning's own: its county */
    if (!ctx.items)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    rc = warn_list(req->store, &filter, collect, &ctx, err);
    if (rc) {
        json_decref(ctx.items);
        return rc;
    }
    json_t *item = json_incref(json_array_get(ctx.items, 0));
    json_decref(ctx.items);
    return http_json_respond(res, 200, item ? item : json_object());
}

bf_status h_warning_acknowledge(http_request *req, http_response *res, bf_error *err)
{
    return move(req, res, WARN_ACKNOWLEDGED, err);
}

bf_status h_warning_resolve(http_request *req, http_response *res, bf_error *err)
{
    return move(req, res, WARN_RESOLVED, err);
}
