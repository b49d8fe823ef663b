/*
 * json.c - JSON helpers of the HTTP server (see json.h).
 */
#include "http/json.h"
#include "core/text.h"

#include <stdlib.h>
#include <string.h>

int http_json_depth(const char *s, size_t len, int limit)
{
    int depth = 0, max = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            break;
        case '[':
        case '{':
            if (++depth > max)
                max = depth;
            if (max > limit)
                return max;
            break;
        case ']':
        case '}':
            if (--depth < 0)
                return -1;
            break;
        default:
            break;
        }
    }
    return depth == 0 ? max : -1;
}

bf_status http_json_parse_object(const char *body, size_t len, json_t **out, bf_error *err)
{
    *out = NULL;
    if (!body || len == 0)
        return bf_error_set(err, BF_ERR_PARSE, "请求内容为空，应为 JSON 对象");
    size_t bad = 0;
    if (!bf_utf8_valid(body, len, &bad))
        return bf_error_set(err, BF_ERR_PARSE, "请求内容不是有效的 UTF-8（第 %zu 字节）", bad + 1);
    int depth = http_json_depth(body, len, HTTP_JSON_MAX_DEPTH);
    if (depth > HTTP_JSON_MAX_DEPTH)
        return bf_error_set(err, BF_ERR_PARSE, "JSON 嵌套超过 %d 层", HTTP_JSON_MAX_DEPTH);
    json_error_t jerr;
    json_t *value = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!value)
        return bf_error_set(err, BF_ERR_PARSE, "JSON 格式错误（第 %d 行第 %d 列）", jerr.line,
                            jerr.column);
    if (!json_is_object(value)) {
        json_decref(value);
        return bf_error_set(err, BF_ERR_PARSE, "请求内容应为 JSON 对象");
    }
    *out = value;
    return BF_OK;
}

bf_status http_json_string(json_t *obj, const char *key, bool required, size_t max_len,
                           const char **out, bf_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            return bf_error_set_field(err, BF_ERR_INVALID, key, "缺少字段 %s", key);
        return BF_OK;
    }
    if (!json_is_string(v))
        return bf_error_set_field(err, BF_ERR_INVALID, key, "字段 %s 应为字符串", key);
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    if (memchr(s, '\0', len))
        return bf_error_set_field(err, BF_ERR_INVALID, key, "字段 %s 含有无效字符", key);
    if (len > max_len)
        return bf_error_set_field(err, BF_ERR_INVALID, key, "字段 %s 超过 %zu 个字节", key,
                                  max_len);
    *out = s;
    return BF_OK;
}

bf_status http_json_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max,
                        int64_t *out, bf_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            return bf_error_set_field(err, BF_ERR_INVALID, key, "缺少字段 %s", key);
        return BF_OK;
    }
    if (!json_is_integer(v))
        return bf_error_set_field(err, BF_ERR_INVALID, key, "字段 %s 应为整数", key);
    json_int_t n = json_integer_value(v);
    if (n < min || n > max)
        return bf_error_set_field(err, BF_ERR_INVALID, key, "字段 %s 应在 %lld 到 %lld 之间", key,
                                  (long long)min, (long long)max);
    *out = n;
    return BF_OK;
}

bf_status http_json_bool(json_t *obj, const char *key, bool *out, bf_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return BF_OK;
    if (!json_is_boolean(v))
        return bf_error_set_field(err, BF_ERR_INVALID, key, "字段 %s 应为 true 或 false", key);
    *out = json_is_true(v);
    return BF_OK;
}

bf_status http_json_respond(http_response *res, int status, json_t *value)
{
    if (!value)
        return BF_ERR_NOMEM;
    char *text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(value);
    if (!text)
        return BF_ERR_NOMEM;
    http_response_clear(res);
    res->status = status;
    res->body = text;
    res->body_len = strlen(text);
    res->content_type = "application/json; charset=utf-8";
    return BF_OK;
}

void http_json_error(http_response *res, const bf_error *err)
{
    bf_status status = err->status ? err->status : BF_ERR_INTERNAL;
    json_t *inner = json_object();
    json_t *outer = json_object();
    if (inner && outer) {
        json_object_set_new(inner, "code", json_string(bf_status_name(status)));
        /* A message cut at the buffer's end may end inside a UTF-8 sequence. */
        const char *msg = bf_error_text(err);
        json_object_set_new(inner, "message",
                            json_stringn(msg, bf_utf8_valid_prefix(msg, strlen(msg), NULL)));
        if (err->field[0])
            json_object_set_new(inner, "field", json_string(err->field));
        json_object_set_new(outer, "error", inner);
        inner = NULL;
        if (http_json_respond(res, bf_status_http(status), outer) == BF_OK)
            return;
        outer = NULL;
    }
    json_decref(inner);
    json_decref(outer);
    /* Out of memory: a fixed body. */
    static const char fallback[] = "{\"error\":{\"code\":\"nomem\",\"message\":\"内存不足\"}}";
    http_response_clear(res);
    res->status = 503;
    res->body = strdup(fallback);
    res->body_len = res->body ? strlen(fallback) : 0;
    res->content_type = "application/json; charset=utf-8";
}

json_t *http_json_str_or_null(const char *s)
{
    return s ? json_stringn(s, bf_utf8_valid_prefix(s, strlen(s), NULL)) : json_null();
}
