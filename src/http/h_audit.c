/*
 * h_audit.c - the audit trail for auditors: list (newest first), verify the
 * chain, export as JSON Lines.
 */
#include "domain/audit.h"
#include "http/handlers.h"
#include "http/json.h"
#include "http/router.h"
#include "io/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *record_json(const audit_record *r)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    char at[32];
    bf_time_format_utc(r->at, at, sizeof at);
    json_object_set_new(obj, "seq", json_integer(r->seq));
    json_object_set_new(obj, "at", json_string(at));
    json_object_set_new(obj, "user", http_json_str_or_null(r->user));
    json_object_set_new(obj, "address", http_json_str_or_null(r->address));
    json_object_set_new(obj, "action", http_json_str_or_null(r->action));
    json_object_set_new(obj, "entity", http_json_str_or_null(r->entity));
    json_object_set_new(obj, "entity_key", http_json_str_or_null(r->entity_key));
    json_object_set_new(obj, "before", http_json_str_or_null(r->before));
    json_object_set_new(obj, "after", http_json_str_or_null(r->after));
    json_object_set_new(obj, "prev_hash", http_json_str_or_null(r->prev_hash));
    json_object_set_new(obj, "hash", http_json_str_or_null(r->hash));
    return obj;
}

typedef struct {
    json_t *items;
    int64_t before_seq;
} list_ctx;

static int collect(void *vctx, const audit_record *r)
{
    list_ctx *ctx = vctx;
    json_t *obj = record_json(r);
    if (!obj || json_array_append_new(ctx->items, obj) != 0)
        return 1;
    return 0;
}

bf_status h_audit_list(http_request *req, http_response *res, bf_error *err)
{
    int64_t limit = 50, before_seq = 0;
    const char *reason = NULL, *text;
    if ((text = http_query(req, "limit")) && *text &&
        !bf_int_parse(text, strlen(text), 1, 500, &limit, &reason))
        return bf_error_set_field(err, BF_ERR_USAGE, "limit", "limit 无效：%s", reason);
    if ((text = http_query(req, "before_seq")) && *text &&
        !bf_int_parse(text, strlen(text), 1, INT64_MAX, &before_seq, &reason))
        return bf_error_set_field(err, BF_ERR_USAGE, "before_seq", "before_seq 无效：%s", reason);
    audit_filter filter = {
        .user = http_query(req, "user"),
        .action = http_query(req, "action"),
        .entity = http_query(req, "entity"),
        .limit = limit,
        .newest_first = true,
    };
    if (filter.user && !*filter.user)
        filter.user = NULL;
    if (filter.action && !*filter.action)
        filter.action = NULL;
    if (filter.entity && !*filter.entity)
        filter.entity = NULL;
    /* Newest first with a cursor: records below before_seq. */
    if (before_seq > 0)
        filter.to_seq = before_seq;
    list_ctx ctx = {json_array(), before_seq};
    if (!ctx.items)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    bf_status rc = audit_list(req->store, &filter, collect, &ctx, err);
    if (rc) {
        json_decref(ctx.items);
        return rc;
    }
    json_t *reply = json_object();
    if (!reply) {
        json_decref(ctx.items);
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    json_object_set_new(reply, "items", ctx.items);
    return http_json_respond(res, 200, reply);
}

bf_status h_audit_verify(http_request *req, http_response *res, bf_error *err)
{
    audit_verify_result r;
    bf_status rc = audit_verify(req->store, &r, err);
    if (rc)
        return rc;
    json_t *reply = json_object();
    if (!reply)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    json_object_set_new(reply, "ok", json_boolean(r.ok));
    json_object_set_new(reply, "records", json_integer(r.records));
    json_object_set_new(reply, "bad_seq", json_integer(r.bad_seq));
    json_object_set_new(reply, "problem", http_json_str_or_null(r.problem));
    json_object_set_new(reply, "head_seq", json_integer(r.head_seq));
    json_object_set_new(reply, "head_hash", json_string(r.head_hash));
    return http_json_respond(res, 200, reply);
}

bf_status h_audit_export(http_request *req, http_response *res, bf_error *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    long written = 0;
    bf_status rc = audit_export(req->store, NULL, mem, &written, err);
    fclose(mem);
    if (rc) {
        free(text);
        return rc;
    }
    http_response_clear(res);
    res->status = 200;
    res->body = text;
    res->body_len = len;
    res->content_type = "application/x-ndjson; charset=utf-8";
    http_add_header(req, res, "Content-Disposition", "attachment; filename=\"audit.jsonl\"");
    http_audit(req, "audit_export", "audit", "", NULL, NULL, NULL);
    return BF_OK;
}
