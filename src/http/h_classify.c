/*
 * h_classify.c - the four-batch classification over HTTP: run it for the
 * user's region and a year, list the results with their explanations, explain
 * one project (indicators, the rule that fired, why higher rules did not),
 * and confirm or override a proposal with a reason (domain/classify.h).
 */
#include "core/arena.h"
#include "domain/classify.h"
#include "domain/query_registry.h"
#include "http/handlers.h"
#include "http/json.h"
#include "http/registry.h"
#include "http/server.h"
#include "io/validate.h"

#include <stdio.h>
#include <string.h>

/* The digits that name a region's subtree: 36, 3601, 360102, ... */
void http_region_prefix(const char *code, char out[13])
{
    static const int digits[] = {0, 2, 4, 6, 9, 12};
    bf_region_level level = bf_region_code_level(code);
    int n = level == BF_LEVEL_NONE ? 12 : digits[level];
    memcpy(out, code, (size_t)n);
    out[n] = '\0';
}

static bf_status year_param(const char *text, bool required, int64_t *year, bf_error *err)
{
    const char *reason = NULL;
    if (!text || !*text) {
        if (required)
            return bf_error_set_field(err, BF_ERR_USAGE, "year", "缺少年度参数 year");
        return BF_OK;
    }
    if (!bf_int_parse(text, strlen(text), CLASSIFY_MIN_YEAR, CLASSIFY_MAX_YEAR, year, &reason))
        return bf_error_set_field(err, BF_ERR_USAGE, "year", "年度无效：%s", reason ? reason : "");
    return BF_OK;
}

bf_status h_classify_run(http_request *req, http_response *res, bf_error *err)
{
    json_t *body = NULL;
    int64_t year = 0;
    bf_status rc = http_json_parse_object(req->body, req->body_len, &body, err);
    if (rc == BF_OK)
        rc = http_json_int(body, "year", true, CLASSIFY_MIN_YEAR, CLASSIFY_MAX_YEAR, &year, err);
    json_decref(body);
    if (rc)
        return rc;
    classify_options opt = {
        .year = year, .region_code = req->user.region_code, .actor = req->user.username};
    classify_result result;
    rc = classify_run(req->store, &opt, &result, err);
    if (rc)
        return rc;
    http_server_data_changed(req->server);
    json_t *reply = json_object(), *batches = json_array();
    if (!reply || !batches) {
        json_decref(reply);
        json_decref(batches);
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    for (size_t i = 0; i < result.batches.count; i++) {
        json_t *b = json_object();
        if (!b)
            break;
        json_object_set_new(b, "batch", json_string(result.batches.items[i].id));
        json_object_set_new(b, "zh", http_json_str_or_null(result.batches.items[i].label));
        json_object_set_new(b, "projects", json_integer(result.per_batch[i]));
        json_array_append_new(batches, b);
    }
    json_object_set_new(reply, "run_id", json_integer(result.run_id));
    json_object_set_new(reply, "year", json_integer(year));
    json_object_set_new(reply, "rule_set_version", json_integer(result.rule_set_version));
    json_object_set_new(reply, "projects", json_integer(result.projects));
    json_object_set_new(reply, "by_batch", batches);
    json_object_set_new(reply, "changed", json_integer(result.changed));
    json_object_set_new(reply, "changed_confirmed", json_integer(result.changed_confirmed));
    json_object_set_new(reply, "unchanged", json_integer(result.unchanged));
    json_object_set_new(reply, "households", json_integer(result.households));
    json_object_set_new(reply, "warnings_opened",
                        json_integer(result.warnings[0].opened + result.warnings[1].opened));
    json_object_set_new(reply, "first", json_integer(result.first));
    json_object_set_new(reply, "updated", json_integer(result.updated));
    /* The batch moves of this run (projects whose batch changed), from x to. */
    json_t *moves = json_array();
    for (size_t from = 0; moves && from < result.batches.count; from++)
        for (size_t to = 0; to < result.batches.count; to++) {
            long count = result.transitions[from][to];
            if (count <= 0 || from == to)
                continue;
            json_t *t = json_object();
            if (!t)
                break;
            json_object_set_new(t, "from", json_string(result.batches.items[from].id));
            json_object_set_new(t, "to", json_string(result.batches.items[to].id));
            json_object_set_new(t, "from_zh",
                                http_json_str_or_null(result.batches.items[from].label));
            json_object_set_new(t, "to_zh", http_json_str_or_null(result.batches.items[to].label));
            json_object_set_new(t, "projects", json_integer(count));
            json_array_append_new(moves, t);
        }
    json_object_set_new(reply, "transitions", moves ? moves : json_array());
    return http_json_respond(res, 200, reply);
}

typedef struct {
    json_t *items;
    int64_t total, skip, limit;
} list_ctx;

static bf_status collect(void *vctx, const classify_row *row, bf_error *err)
{
    list_ctx *ctx = vctx;
    int64_t index = ctx->total++;
    if (index < ctx->skip || index >= ctx->skip + ctx->limit)
        return BF_OK;
    json_t *obj = json_object();
    if (!obj)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    json_object_set_new(obj, "project_code", http_json_str_or_null(row->project_code));
    json_object_set_new(obj, "project_name", http_json_str_or_null(row->project_name));
    json_object_set_new(obj, "region_code", http_json_str_or_null(row->region_code));
    json_object_set_new(obj, "year", json_integer(row->year));
    json_object_set_new(obj, "proposed_batch", http_json_str_or_null(row->proposed_batch));
    json_object_set_new(obj, "candidate_only", json_boolean(row->candidate_only));
    json_object_set_new(obj, "rule_code", http_json_str_or_null(row->rule_code));
    json_object_set_new(obj, "rule_name", http_json_str_or_null(row->rule_name));
    json_object_set_new(obj, "explanation", http_json_str_or_null(row->explanation));
    json_t *indicators = json_loads(row->indicators ? row->indicators : "null", 0, NULL);
    json_object_set_new(obj, "indicators", indicators ? indicators : json_null());
    json_object_set_new(obj, "confirmed_batch",
                        row->confirmed_batch && *row->confirmed_batch
                            ? http_json_str_or_null(row->confirmed_batch)
                            : json_null());
    json_object_set_new(obj, "confirmed_by", http_json_str_or_null(row->confirmed_by));
    json_object_set_new(obj, "reason", http_json_str_or_null(row->reason));
    json_array_append_new(ctx->items, obj);
    return BF_OK;
}

bf_status h_classify_list(http_request *req, http_response *res, bf_error *err)
{
    int64_t year = 0, page = 1, page_size = 50;
    char region[13], prefix[13];
    const char *reason = NULL, *text;
    bf_status rc = year_param(http_query(req, "year"), true, &year, err);
    if (rc == BF_OK)
        rc = http_scoped_region(req, http_query(req, "region"), region, err);
    if (rc)
        return rc;
    if ((text = http_query(req, "page")) && *text &&
        !bf_int_parse(text, strlen(text), 1, 1000000, &page, &reason))
        return bf_error_set_field(err, BF_ERR_USAGE, "page", "page 无效");
    if ((text = http_query(req, "page_size")) && *text &&
        !bf_int_parse(text, strlen(text), 1, 500, &page_size, &reason))
        return bf_error_set_field(err, BF_ERR_USAGE, "page_size", "page_size 无效");
    http_region_prefix(region, prefix);
    const char *batch = http_query(req, "batch");
    list_ctx ctx = {json_array(), 0, (page - 1) * page_size, page_size};
    if (!ctx.items)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    rc =
        classify_list(req->store, year, prefix, batch && *batch ? batch : NULL, collect, &ctx, err);
    json_t *reply = rc ? NULL : json_object();
    if (!reply) {
        json_decref(ctx.items);
        return rc ? rc : bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    json_object_set_new(reply, "items", ctx.items);
    json_object_set_new(reply, "total", json_integer(ctx.total));
    json_object_set_new(reply, "page", json_integer(page));
    json_object_set_new(reply, "page_size", json_integer(page_size));
    return http_json_respond(res, 200, reply);
}

/* The project of the path must be visible to the user. */
static bf_status visible(http_request *req, bf_error *err)
{
    reg_scope scope;
    http_reg_scope(req, &scope);
    const char *keys[1] = {req->params[0]};
    json_t *obj = NULL;
    bf_status rc = reg_get(req->store, reg_find("projects"), &scope, keys, false, &obj, NULL, err);
    json_decref(obj);
    return rc;
}

static json_t *rule_views(const classify_rule_view *views, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        json_t *v = json_object();
        if (!v)
            break;
        json_object_set_new(v, "rule_code",
                            http_json_str_or_null(views[i].rule ? views[i].rule->code : ""));
        json_object_set_new(v, "rule_name",
                            http_json_str_or_null(views[i].rule ? views[i].rule->name : ""));
        json_object_set_new(v, "explanation", http_json_str_or_null(views[i].explanation));
        json_object_set_new(v, "failure", http_json_str_or_null(views[i].failure));
        json_array_append_new(list, v);
    }
    return list;
}

bf_status h_classify_explain(http_request *req, http_response *res, bf_error *err)
{
    int64_t year = 0;
    bf_status rc = year_param(req->params[1], true, &year, err);
    if (rc == BF_ERR_USAGE)
        return bf_error_set(err, BF_ERR_NOT_FOUND, "记录不存在");
    if (rc == BF_OK)
        rc = visible(req, err);
    if (rc)
        return rc;
    classify_explanation ex;
    rule_set *set = NULL;
    rc = classify_explain(req->store, req->params[0], year, req->arena, &ex, &set, err);
    if (rc) {
        rules_set_free(set);
        return rc;
    }
    json_t *reply = json_object(), *inds = json_array();
    for (size_t i = 0; inds && i < ex.nindicators; i++) {
        json_t *v = json_object();
        if (!v)
            break;
        json_object_set_new(v, "name", http_json_str_or_null(ex.indicators[i].name));
        json_object_set_new(v, "zh", http_json_str_or_null(ex.indicators[i].zh));
        json_object_set_new(v, "value", http_json_str_or_null(ex.indicators[i].value));
        json_object_set_new(v, "unit", http_json_str_or_null(ex.indicators[i].unit));
        json_array_append_new(inds, v);
    }
    if (reply && inds) {
        json_object_set_new(reply, "project_code", http_json_str_or_null(ex.project_code));
        json_object_set_new(reply, "project_name", http_json_str_or_null(ex.project_name));
        json_object_set_new(reply, "year", json_integer(ex.year));
        json_object_set_new(reply, "batch",
                            http_json_str_or_null(ex.batches && ex.batch >= 0
                                                      ? ex.batches->items[ex.batch].label
                                                      : ""));
        json_object_set_new(reply, "fallback", json_boolean(ex.fallback));
        json_object_set_new(reply, "explanation", http_json_str_or_null(ex.explanation));
        json_object_set_new(reply, "indicators", inds);
        inds = NULL;
        json_object_set_new(reply, "rules", rule_views(ex.batch_rules, ex.nbatch_rules));
        json_object_set_new(reply, "warnings", rule_views(ex.warnings, ex.nwarnings));
        json_object_set_new(reply, "stored_batch",
                            http_json_str_or_null(ex.stored ? ex.stored_batch : NULL));
        json_object_set_new(reply, "confirmed_batch", http_json_str_or_null(ex.confirmed_batch));
        json_object_set_new(reply, "confirmed_by", http_json_str_or_null(ex.confirmed_by));
        json_object_set_new(reply, "reason", http_json_str_or_null(ex.reason));
    }
    json_decref(inds);
    rules_set_free(set);
    if (!reply)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    return http_json_respond(res, 200, reply);
}

bf_status h_classify_decide(http_request *req, http_response *res, bf_error *err)
{
    int64_t year = 0;
    json_t *body = NULL;
    const char *batch = NULL, *reason = NULL;
    bf_status rc = year_param(req->params[1], true, &year, err);
    if (rc == BF_ERR_USAGE)
        return bf_error_set(err, BF_ERR_NOT_FOUND, "记录不存在");
    if (rc == BF_OK)
        rc = visible(req, err);
    if (rc == BF_OK)
        rc = http_json_parse_object(req->body, req->body_len, &body, err);
    if (rc == BF_OK)
        rc = http_json_string(body, "batch", false, 64, &batch, err);
    if (rc == BF_OK)
        rc = http_json_string(body, "reason", false, 2000, &reason, err);
    classify_decision decision;
    if (rc == BF_OK)
        rc = classify_decide(req->store, req->params[0], year, batch, req->user.username, reason,
                             &decision, err);
    json_decref(body);
    if (rc)
        return rc;
    http_server_data_changed(req->server);
    json_t *reply = json_object();
    if (!reply)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    json_object_set_new(reply, "overridden", json_boolean(decision.overridden));
    json_object_set_new(reply, "proposed", http_json_str_or_null(decision.proposed));
    json_object_set_new(reply, "decided", http_json_str_or_null(decision.decided));
    json_object_set_new(reply, "candidate_only", json_boolean(decision.candidate_only));
    return http_json_respond(res, 200, reply);
}
