/*
 * h_rules.c - the rule sets (四个一批 and warning rules) and the monitoring
 * thresholds (监测范围) over HTTP, for the rules page of the web UI:
 *
 *   GET /rules?year=Y[&version=V]   the set in force for Y (or a version of Y)
 *   PUT /rules, POST /rules          a new version of a year's set, from JSON
 *   GET /thresholds[?year=Y]         thresholds in force, by year
 *   PUT /thresholds/{year}           set a year's threshold
 *
 * A rule set is checked as a whole by the rules module (domain/rules.h): the
 * JSON rules are written as the rule spreadsheet (one row per rule, in the
 * order given) and read back by rules_import_mem(), so the API applies
 * exactly the checks of `bangfu rules import`. Any problem rejects the whole
 * set with a 422 whose error names the rule (field "rules[i].condition") and
 * the parser's position in the text, so the page can point at it. Writes
 * need the `rules` permission (province administrators) and are audited.
 */
#include "core/buf.h"
#include "core/date.h"
#include "core/money.h"
#include "core/text.h"
#include "domain/rules.h"
#include "domain/thresholds.h"
#include "http/handlers.h"
#include "http/json.h"
#include "http/registry.h"
#include "http/router.h"
#include "io/csv_write.h"
#include "io/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULES_NOTE_MAX 500

/* ---- reading ---- */

static json_t *time_json(int64_t epoch)
{
    char when[32];
    bf_time_format_utc(epoch, when, sizeof when);
    return json_string(when);
}

static const char *batch_label(const batch_table *batches, const char *id)
{
    for (size_t i = 0; i < batches->count; i++)
        if (strcmp(batches->items[i].id, id) == 0)
            return batches->items[i].label;
    return id;
}

/* A set as the rules page reads it. New reference, NULL on OOM. */
static json_t *set_json(const rule_set *set, const batch_table *batches, int64_t for_year)
{
    json_t *obj = json_object(), *list = json_array(), *blist = json_array();
    if (!obj || !list || !blist) {
        json_decref(obj);
        json_decref(list);
        json_decref(blist);
        return NULL;
    }
    json_object_set_new(obj, "id", json_integer(set->id));
    json_object_set_new(obj, "year", json_integer(set->year));
    json_object_set_new(obj, "for_year", json_integer(for_year > 0 ? for_year : set->year));
    json_object_set_new(obj, "version", json_integer(set->version));
    json_object_set_new(obj, "updated_at", time_json(set->created_at));
    json_object_set_new(obj, "updated_by", http_json_str_or_null(set->created_by));
    json_object_set_new(obj, "source", http_json_str_or_null(set->source));
    json_object_set_new(obj, "note", http_json_str_or_null(set->note));
    for (size_t i = 0; i < set->nrules; i++) {
        const rule *r = &set->rules[i];
        json_t *item = json_object();
        if (!item)
            break;
        json_object_set_new(item, "id", http_json_str_or_null(r->code));
        json_object_set_new(item, "kind", json_string(rules_kind_name(r->kind)));
        json_object_set_new(item, "kind_zh", json_string(rules_kind_zh(r->kind)));
        json_object_set_new(item, "name", http_json_str_or_null(r->name));
        json_object_set_new(item, "yields", http_json_str_or_null(r->outcome));
        json_object_set_new(item, "yields_zh",
                            http_json_str_or_null(r->kind == RULE_BATCH
                                                      ? batch_label(batches, r->outcome)
                                                      : r->outcome));
        json_object_set_new(item, "priority", json_integer(r->priority));
        json_object_set_new(item, "condition", http_json_str_or_null(r->condition));
        json_object_set_new(item, "explanation", http_json_str_or_null(r->explanation));
        json_array_append_new(list, item);
    }
    for (size_t i = 0; i < batches->count; i++) {
        json_t *b = json_object();
        if (!b)
            break;
        json_object_set_new(b, "id", json_string(batches->items[i].id));
        json_object_set_new(b, "zh", http_json_str_or_null(batches->items[i].label));
        json_object_set_new(b, "candidate_only", json_boolean(batches->items[i].candidate_only));
        json_object_set_new(b, "fallback", json_boolean(batches->items[i].fallback));
        json_array_append_new(blist, b);
    }
    json_object_set_new(obj, "rules", list);
    json_object_set_new(obj, "batches", blist);
    return obj;
}

static bf_status set_etag(http_request *req, http_response *res, int64_t id)
{
    char etag[32];
    snprintf(etag, sizeof etag, "\"%lld\"", (long long)id);
    return http_add_header(req, res, "ETag", etag);
}

static bf_status respond_set(http_request *req, http_response *res, int status, const rule_set *set,
                             int64_t for_year, bf_error *err)
{
    batch_table batches;
    bf_status rc = rules_batches_load(req->store, &batches, err);
    if (rc)
        return rc;
    rc = http_json_respond(res, status, set_json(set, &batches, for_year));
    if (rc)
        return bf_error_set(err, rc, "内存不足");
    return set_etag(req, res, set->id);
}

static bf_status int_param(http_request *req, const char *name, int64_t min, int64_t max,
                           int64_t *out, bf_error *err)
{
    const char *text = http_query(req, name);
    const char *reason = NULL;
    if (!text || !*text)
        return BF_OK;
    if (!bf_int_parse(text, strlen(text), min, max, out, &reason))
        return bf_error_set_field(err, BF_ERR_USAGE, name, "参数 %s 无效：%s", name,
                                  reason ? reason : "");
    return BF_OK;
}

bf_status h_rules_get(http_request *req, http_response *res, bf_error *err)
{
    int64_t year = 0, version = 0;
    bf_status rc = int_param(req, "year", 2000, 2100, &year, err);
    if (rc == BF_OK)
        rc = int_param(req, "version", 1, 1000000, &version, err);
    if (rc)
        return rc;
    if (version > 0 && year == 0)
        return bf_error_set_field(err, BF_ERR_USAGE, "year", "指定版本时须同时指定年度 year");
    rule_set *set = NULL;
    if (version > 0)
        rc = rules_load_version(req->store, year, version, &set, err);
    else
        rc = rules_load_for_year(req->store, year > 0 ? year : 2100, &set, err);
    if (rc == BF_ERR_NOT_FOUND)
        return bf_error_set(err, BF_ERR_NOT_FOUND,
                            version > 0 ? "%lld 年没有第 %lld 版规则集"
                                        : "尚无适用于 %lld 年的规则集",
                            (long long)(year > 0 ? year : 2100), (long long)version);
    if (rc)
        return rc;
    rc = respond_set(req, res, 200, set, year, err);
    rules_set_free(set);
    return rc;
}

/* ---- writing a set ---- */

/* One rule of the request, checked for types only (the rules module checks
 * the rest). */
typedef struct {
    const char *code, *name, *kind, *yields, *condition, *explanation;
    int64_t priority;
    char generated_code[16];
    char priority_text[24];
} req_rule;

/* Problems of the set, collected for the error answer. */
typedef struct {
    json_t *list;  /* [{index, field, message, position, ...}] */
    json_t *first; /* borrowed from list */
    req_rule *rules;
    size_t nrules;
} problems;

static const struct {
    const char *header; /* the rule spreadsheet's column */
    const char *field;  /* the request's field */
} field_of_column[] = {
    {"编号", "id"},         {"名称", "name"},      {"类别", "kind"},        {"结果", "yields"},
    {"优先级", "priority"}, {"条件", "condition"}, {"说明", "explanation"},
};

/* Characters (code points) in s[0..len). */
static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static void collect_problem(void *vctx, const rules_problem *p)
{
    problems *ctx = vctx;
    if (!ctx->list || json_array_size(ctx->list) >= 50)
        return;
    json_t *item = json_object();
    if (!item)
        return;
    /* Row 1 is the header, so rules[i] is row i + 2; row 0 is the set as a whole. */
    long index = p->row >= 2 && (size_t)(p->row - 2) < ctx->nrules ? p->row - 2 : -1;
    const char *field = NULL;
    for (size_t i = 0; p->column && i < sizeof field_of_column / sizeof field_of_column[0]; i++)
        if (strcmp(p->column, field_of_column[i].header) == 0)
            field = field_of_column[i].field;
    char path[64] = "rules";
    if (index >= 0 && field)
        snprintf(path, sizeof path, "rules[%ld].%s", index, field);
    else if (index >= 0)
        snprintf(path, sizeof path, "rules[%ld]", index);
    char message[600];
    if (index >= 0)
        snprintf(message, sizeof message, "第 %ld 条规则%s%s%s：%s", index + 1,
                 p->rule_code && *p->rule_code ? "（" : "", p->rule_code ? p->rule_code : "",
                 p->rule_code && *p->rule_code ? "）" : "", p->message ? p->message : "");
    else
        snprintf(message, sizeof message, "%s", p->message ? p->message : "");
    json_object_set_new(item, "message", http_json_str_or_null(message));
    json_object_set_new(item, "field", json_string(path));
    json_object_set_new(item, "rule_index", index >= 0 ? json_integer(index) : json_null());
    if (p->diag && index >= 0 && field &&
        (strcmp(field, "condition") == 0 || strcmp(field, "explanation") == 0)) {
        /* The module saw the text trimmed: add what was trimmed in front. */
        const req_rule *r = &ctx->rules[index];
        const char *text = strcmp(field, "condition") == 0 ? r->condition : r->explanation;
        size_t trimmed_len = 0;
        const char *trimmed = bf_text_trim(text, strlen(text), &trimmed_len);
        size_t lead = (size_t)(trimmed - text);
        size_t column = utf8_chars(text, lead) + (p->diag->column ? p->diag->column : 1);
        json_object_set_new(item, "position", json_integer((json_int_t)(column - 1)));
        json_object_set_new(item, "column", json_integer((json_int_t)column));
        json_object_set_new(item, "byte_offset",
                            json_integer((json_int_t)(lead + p->diag->offset)));
        json_object_set_new(item, "length", json_integer((json_int_t)p->diag->length));
    }
    json_array_append_new(ctx->list, item);
    if (!ctx->first)
        ctx->first = item;
}

/* The 422 answer: the first problem as the error, every problem under it. */
static bf_status respond_problems(http_response *res, problems *pr, bf_error *err)
{
    json_t *error = json_object(), *outer = json_object();
    if (!error || !outer) {
        json_decref(error);
        json_decref(outer);
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    json_object_set_new(error, "code", json_string(bf_status_name(BF_ERR_INVALID)));
    const char *first = pr->first ? json_string_value(json_object_get(pr->first, "message")) : NULL;
    char message[700];
    size_t count = json_array_size(pr->list);
    snprintf(message, sizeof message, "%s%s", first ? first : "规则集有错误，未保存",
             count > 1 ? "（另有其他错误，见 problems）" : "");
    json_object_set_new(error, "message", json_string(message));
    if (pr->first) {
        const char *keys[] = {"field", "rule_index", "position", "column", "byte_offset", "length"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            json_t *v = json_object_get(pr->first, keys[i]);
            if (v)
                json_object_set(error, keys[i], v);
        }
    }
    json_object_set(error, "problems", pr->list);
    json_object_set_new(outer, "error", error);
    bf_status rc = http_json_respond(res, 422, outer);
    return rc ? bf_error_set(err, rc, "内存不足") : BF_OK;
}

/* rules[index].<key> as an optional string of at most max bytes. */
static bf_status rule_string(json_t *obj, size_t index, const char *key, bool required, size_t max,
                             const char **out, bf_error *err)
{
    bf_status rc = http_json_string(obj, key, required, max, out, err);
    if (rc && err->field[0]) {
        char field[64];
        snprintf(field, sizeof field, "rules[%zu].%.30s", index, err->field);
        snprintf(err->field, sizeof err->field, "%s", field);
    }
    return rc;
}

/* 422 naming rules[index].field. */
static bf_status rule_error(bf_error *err, size_t index, const char *field, const char *message)
{
    char path[64];
    snprintf(path, sizeof path, "rules[%zu].%s", index, field);
    return bf_error_set_field(err, BF_ERR_INVALID, path, "第 %zu 条规则：%s", index + 1, message);
}

static bool code_taken(const req_rule *rules, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (rules[i].code && strcmp(rules[i].code, code) == 0)
            return true;
    return false;
}

/* Read the request's rules (types and sizes), infer a missing kind and give
 * new rules a code. */
static bf_status read_rules(json_t *list, const batch_table *batches, const rule_set *current,
                            req_rule *rules, bf_error *err)
{
    size_t n = json_array_size(list);
    for (size_t i = 0; i < n; i++) {
        json_t *obj = json_array_get(list, i);
        req_rule *r = &rules[i];
        char field[32];
        snprintf(field, sizeof field, "rules[%zu]", i);
        if (!json_is_object(obj))
            return bf_error_set_field(err, BF_ERR_INVALID, field, "第 %zu 条规则应为对象", i + 1);
        bf_status rc = rule_string(obj, i, "id", false, RULES_MAX_CODE, &r->code, err);
        if (rc == BF_OK && !r->code)
            rc = rule_string(obj, i, "code", false, RULES_MAX_CODE, &r->code, err);
        if (rc == BF_OK)
            rc = rule_string(obj, i, "name", false, RULES_MAX_NAME, &r->name, err);
        if (rc == BF_OK)
            rc = rule_string(obj, i, "kind", false, 32, &r->kind, err);
        if (rc == BF_OK)
            rc = rule_string(obj, i, "yields", false, RULES_MAX_OUTCOME, &r->yields, err);
        if (rc == BF_OK)
            rc = rule_string(obj, i, "condition", false, RL_MAX_SOURCE, &r->condition, err);
        if (rc == BF_OK)
            rc = rule_string(obj, i, "explanation", false, RL_MAX_TEMPLATE, &r->explanation, err);
        if (rc)
            return rc;
        json_t *priority = json_object_get(obj, "priority");
        if (priority && !json_is_null(priority) && !json_is_integer(priority))
            return rule_error(err, i, "priority", "优先级应为整数");
        r->priority = priority ? json_integer_value(priority) : 0;
        snprintf(r->priority_text, sizeof r->priority_text, "%lld", (long long)r->priority);
        if (!r->name)
            r->name = "";
        if (!r->yields)
            r->yields = "";
        if (!r->condition)
            r->condition = "";
        if (!r->explanation)
            r->explanation = "";
        if (!r->kind || !*r->kind) {
            /* A batch names its kind; a warning type keeps the kind it has in
             * the current set. */
            r->kind = NULL;
            if (rules_batch_find(batches, r->yields, strlen(r->yields)) >= 0)
                r->kind = rules_kind_name(RULE_BATCH);
            for (size_t k = 0; !r->kind && current && k < current->nrules; k++)
                if (strcmp(current->rules[k].outcome, r->yields) == 0)
                    r->kind = rules_kind_name(current->rules[k].kind);
            if (!r->kind)
                return rule_error(err, i, "kind",
                                  "须注明类别 kind（batch、project_warning 或 household_warning）");
        }
    }
    /* New rules get a free code: B1, B2, ... for batches, W1, ... for warnings. */
    for (size_t i = 0; i < n; i++) {
        req_rule *r = &rules[i];
        if (r->code && *r->code)
            continue;
        bool batch = strcmp(r->kind, rules_kind_name(RULE_BATCH)) == 0 ||
                     strcmp(r->kind, rules_kind_zh(RULE_BATCH)) == 0;
        for (int k = 1; k < 100000; k++) {
            snprintf(r->generated_code, sizeof r->generated_code, "%s%d", batch ? "B" : "W", k);
            if (!code_taken(rules, n, r->generated_code))
                break;
        }
        r->code = r->generated_code;
    }
    return BF_OK;
}

/* The rules as the rule spreadsheet (CSV), one row per rule in order. */
static bf_status rules_csv(const req_rule *rules, size_t n, char **data, size_t *len, bf_error *err)
{
    FILE *fp = open_memstream(data, len);
    if (!fp)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    static const char *const header[] = {"编号", "名称", "类别", "结果", "优先级", "条件", "说明"};
    bf_status rc = csv_write_row(fp, header, NULL, 7);
    for (size_t i = 0; rc == BF_OK && i < n; i++) {
        const req_rule *r = &rules[i];
        const char *row[] = {r->code,          r->name,      r->kind,       r->yields,
                             r->priority_text, r->condition, r->explanation};
        rc = csv_write_row(fp, row, NULL, 7);
    }
    if (fclose(fp) != 0 && rc == BF_OK)
        rc = BF_ERR_NOMEM;
    if (rc) {
        free(*data);
        *data = NULL;
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    return BF_OK;
}

bf_status h_rules_put(http_request *req, http_response *res, bf_error *err)
{
    json_t *body = NULL;
    int64_t year = 0;
    const char *note = NULL;
    req_rule *rules = NULL;
    rule_set *current = NULL, *saved = NULL;
    char *csv = NULL;
    size_t csv_len = 0;
    bool began = false;
    problems pr = {0};
    batch_table batches;
    bf_status rc = http_json_parse_object(req->body, req->body_len, &body, err);
    if (rc)
        return rc;
    rc = http_json_int(body, "year", true, 2000, 2100, &year, err);
    if (rc == BF_OK)
        rc = http_json_string(body, "note", false, RULES_NOTE_MAX, &note, err);
    json_t *list = json_object_get(body, "rules");
    if (rc == BF_OK && !json_is_array(list))
        rc = bf_error_set_field(err, BF_ERR_INVALID, "rules", "rules 应为规则数组");
    if (rc == BF_OK && json_array_size(list) == 0)
        rc = bf_error_set_field(err, BF_ERR_INVALID, "rules", "规则集至少要有一条规则");
    if (rc == BF_OK && json_array_size(list) > RULES_MAX_RULES)
        rc = bf_error_set_field(err, BF_ERR_INVALID, "rules", "规则过多（一个规则集最多 %d 条）",
                                RULES_MAX_RULES);
    if (rc)
        goto out;
    size_t n = json_array_size(list);
    rules = calloc(n, sizeof *rules);
    if (!rules) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    rc = rules_batches_load(req->store, &batches, err);
    if (rc)
        goto out;
    /* The check against If-Match and the save are one transaction. */
    rc = store_begin(req->store, err);
    if (rc)
        goto out;
    began = true;
    rc = rules_load_for_year(req->store, year, &current, err);
    if (rc == BF_ERR_NOT_FOUND) {
        bf_error_clear(err);
        rc = BF_OK;
    }
    if (rc)
        goto out;
    const char *if_match = http_header(req, "If-Match");
    if (if_match && strcmp(if_match, "*") != 0) {
        int64_t tag = 0;
        if (!http_parse_if_match(if_match, &tag)) {
            rc = bf_error_set(err, BF_ERR_USAGE, "If-Match 格式无效");
            goto out;
        }
        if (!current || current->id != tag) {
            rc = bf_error_set(err, BF_ERR_CONFLICT,
                              "规则集已被他人修改（现为第 %lld 版），请刷新后再编辑",
                              (long long)(current ? current->version : 0));
            goto out;
        }
    }
    rc = read_rules(list, &batches, current, rules, err);
    if (rc == BF_OK)
        rc = rules_csv(rules, n, &csv, &csv_len, err);
    if (rc)
        goto out;
    pr.list = json_array();
    pr.rules = rules;
    pr.nrules = n;
    if (!pr.list) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    rules_import_options opt = {
        .year = year, .source = "web", .note = note, .actor = req->user.username, .dry_run = false};
    bf_error import_err;
    bf_error_clear(&import_err);
    rc =
        rules_import_mem(req->store, csv, csv_len, &opt, collect_problem, &pr, &saved, &import_err);
    if (rc == BF_ERR_INVALID && json_array_size(pr.list) > 0) {
        store_rollback(req->store);
        began = false;
        rc = respond_problems(res, &pr, err);
        goto out;
    }
    if (rc) {
        *err = import_err;
        goto out;
    }
    char key[48], before[96], after[160];
    snprintf(key, sizeof key, "%lld/%lld", (long long)saved->year, (long long)saved->version);
    if (current)
        snprintf(before, sizeof before, "{\"rule_set_id\":%lld,\"version\":%lld,\"year\":%lld}",
                 (long long)current->id, (long long)current->version, (long long)current->year);
    snprintf(
        after, sizeof after, "{\"rule_set_id\":%lld,\"rules\":%zu,\"version\":%lld,\"year\":%lld}",
        (long long)saved->id, saved->nrules, (long long)saved->version, (long long)saved->year);
    rc = http_audit(req, "rules_update", "rule_set", key, current ? before : NULL, after, err);
    if (rc == BF_OK)
        rc = store_commit(req->store, err);
    began = false;
    if (rc)
        goto out;
    /* Answer with the set as stored (the set rules_import_mem hands back
     * refers to the batch table of its own stack frame for batch outcomes). */
    int64_t saved_id = saved->id;
    rules_set_free(saved);
    saved = NULL;
    rc = rules_load_id(req->store, saved_id, &saved, err);
    if (rc == BF_OK)
        rc = respond_set(req, res, 200, saved, year, err);
out:
    if (began)
        store_rollback(req->store);
    json_decref(pr.list);
    rules_set_free(current);
    rules_set_free(saved);
    free(csv);
    free(rules);
    json_decref(body);
    return rc;
}

/* ---- thresholds ---- */

typedef struct {
    http_request *req;
    json_t *items;
} thr_ctx;

/* Thresholds a user may see: those of the own region's ancestors (they apply
 * to it) and those inside the own subtree. */
static bool thr_visible(const http_request *req, const char *code)
{
    if (strcmp(code, req->scope_lo) >= 0 && strcmp(code, req->scope_hi) < 0)
        return true;
    char prefix[13];
    http_region_prefix(code, prefix);
    return strncmp(req->user.region_code, prefix, strlen(prefix)) == 0;
}

static json_t *thr_json(const thr_row *row)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    char yuan[32];
    bf_money_format(row->fen, yuan, sizeof yuan);
    json_object_set_new(obj, "year", json_integer(row->year));
    json_object_set_new(obj, "region_code", http_json_str_or_null(row->region_code));
    json_object_set_new(obj, "region_name", http_json_str_or_null(row->region_name));
    json_object_set_new(obj, "yuan", json_string(yuan));
    json_object_set_new(obj, "fen", json_integer(row->fen));
    json_object_set_new(obj, "updated_at", time_json(row->set_at));
    json_object_set_new(obj, "updated_by", http_json_str_or_null(row->set_by));
    json_object_set_new(obj, "note", http_json_str_or_null(row->note));
    json_object_set_new(obj, "current", json_boolean(row->current));
    return obj;
}

static bf_status collect_thr(void *vctx, const thr_row *row, bf_error *err)
{
    thr_ctx *ctx = vctx;
    if (!thr_visible(ctx->req, row->region_code))
        return BF_OK;
    if (json_array_size(ctx->items) >= 10000)
        return BF_OK;
    json_t *obj = thr_json(row);
    if (!obj || json_array_append_new(ctx->items, obj) != 0)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    return BF_OK;
}

bf_status h_thresholds_list(http_request *req, http_response *res, bf_error *err)
{
    int64_t year = 0;
    bf_status rc = int_param(req, "year", 2000, 2100, &year, err);
    if (rc)
        return rc;
    const char *history = http_query(req, "history");
    bool with_history = history && (strcmp(history, "true") == 0 || strcmp(history, "1") == 0);
    thr_ctx ctx = {req, json_array()};
    if (!ctx.items)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    rc = thr_list(req->store, year, with_history, collect_thr, &ctx, err);
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

typedef struct {
    const char *region;
    json_t *found;
} thr_find_ctx;

static bf_status find_thr(void *vctx, const thr_row *row, bf_error *err)
{
    thr_find_ctx *ctx = vctx;
    if (row->current && strcmp(row->region_code, ctx->region) == 0 && !ctx->found)
        ctx->found = thr_json(row);
    return BF_OK;
}

bf_status h_threshold_set(http_request *req, http_response *res, bf_error *err)
{
    int64_t year = 0;
    const char *reason = NULL;
    const char *text = req->params[0];
    if (!bf_int_parse(text, strlen(text), 2000, 2100, &year, &reason))
        return bf_error_set_field(err, BF_ERR_USAGE, "year", "年度无效：%s", reason ? reason : "");
    json_t *body = NULL;
    const char *yuan = NULL, *region_text = NULL, *note = NULL;
    char region[13], before[160] = "", after[200];
    int64_t fen = 0;
    bool began = false;
    thr_find_ctx found = {region, NULL};
    bf_status rc = http_json_parse_object(req->body, req->body_len, &body, err);
    if (rc)
        return rc;
    rc = http_json_string(body, "yuan", true, 32, &yuan, err);
    if (rc == BF_OK)
        rc = http_json_string(body, "region_code", false, 12, &region_text, err);
    if (rc == BF_OK)
        rc = http_json_string(body, "note", false, 500, &note, err);
    if (rc)
        goto out;
    if (!bf_money_parse(yuan, strlen(yuan), false, &fen, &reason) || fen <= 0) {
        rc = bf_error_set_field(err, BF_ERR_INVALID, "yuan", "监测标准无效：%s",
                                reason ? reason : "须大于 0");
        goto out;
    }
    if (region_text && *region_text) {
        if (!bf_region_code_normalize(region_text, strlen(region_text), region, &reason)) {
            rc = bf_error_set_field(err, BF_ERR_INVALID, "region_code", "区划代码无效：%s",
                                    reason ? reason : "");
            goto out;
        }
        if (strcmp(region, req->scope_lo) < 0 || strcmp(region, req->scope_hi) >= 0) {
            rc = bf_error_set_field(err, BF_ERR_INVALID, "region_code",
                                    "区划 %s 不在您的管辖范围内", region);
            goto out;
        }
    } else {
        rc = thr_default_province(req->store, region, err);
        if (rc)
            goto out;
    }
    rc = store_begin(req->store, err);
    if (rc)
        goto out;
    began = true;
    rc = thr_list(req->store, year, false, find_thr, &found, err);
    if (rc)
        goto out;
    if (found.found) {
        snprintf(before, sizeof before, "{\"region_code\":\"%s\",\"year\":%lld,\"yuan\":\"%s\"}",
                 region, (long long)year, json_string_value(json_object_get(found.found, "yuan")));
        json_decref(found.found);
        found.found = NULL;
    }
    rc = thr_set(req->store, year, region, fen, req->user.username, note && *note ? note : NULL,
                 err);
    if (rc)
        goto out;
    char yuan_text[32];
    bf_money_format(fen, yuan_text, sizeof yuan_text);
    snprintf(after, sizeof after, "{\"region_code\":\"%s\",\"year\":%lld,\"yuan\":\"%s\"}", region,
             (long long)year, yuan_text);
    char key[48];
    snprintf(key, sizeof key, "%lld/%s", (long long)year, region);
    rc = http_audit(req, "threshold_set", "threshold", key, before[0] ? before : NULL, after, err);
    if (rc == BF_OK)
        rc = thr_list(req->store, year, false, find_thr, &found, err);
    if (rc == BF_OK)
        rc = store_commit(req->store, err);
    began = false;
    if (rc)
        goto out;
    if (!found.found) {
        rc = bf_error_set(err, BF_ERR_INTERNAL, "内部错误：保存后找不到监测标准");
        goto out;
    }
    rc = http_json_respond(res, 200, found.found);
    found.found = NULL;
out:
    if (began)
        store_rollback(req->store);
    json_decref(found.found);
    json_decref(body);
    return rc;
}
