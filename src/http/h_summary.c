/*
 * h_summary.c - GET /api/v1/summary: the dashboard figures of a region in the
 * user's scope for a year (domain/query_summary.h).
 */
#include "domain/query_summary.h"
#include "http/handlers.h"
#include "http/json.h"
#include "http/server.h"
#include "io/validate.h"

#include <stdio.h>
#include <string.h>

/* The region of the request: ?region= (normalised, must lie in the scope:
 * otherwise 404) or the user's own. */
bf_status http_scoped_region(http_request *req, const char *text, char code[13], bf_error *err)
{
    if (!text || !*text) {
        memcpy(code, req->user.region_code, 13);
        return BF_OK;
    }
    const char *reason = NULL;
    if (!bf_region_code_normalize(text, strlen(text), code, &reason))
        return bf_error_set_field(err, BF_ERR_USAGE, "region", "区划代码无效：%s",
                                  reason ? reason : "");
    if (strcmp(code, req->scope_lo) < 0 || strcmp(code, req->scope_hi) >= 0)
        return bf_error_set(err, BF_ERR_NOT_FOUND, "区划 %s 不存在或不在您的管辖范围内", code);
    return BF_OK;
}

bf_status h_summary(http_request *req, http_response *res, bf_error *err)
{
    char region[13];
    bf_status rc = http_scoped_region(req, http_query(req, "region"), region, err);
    if (rc)
        return rc;
    int64_t year = 0;
    const char *text = http_query(req, "year");
    const char *reason = NULL;
    if (text && *text && !bf_int_parse(text, strlen(text), 2000, 2100, &year, &reason))
        return bf_error_set_field(err, BF_ERR_USAGE, "year", "年度无效：%s", reason ? reason : "");
    rc = http_server_summary_fresh(req->server, req->store, err);
    if (rc)
        return rc;
    /* The same region and year give the same body until the data changes. */
    char key[40];
    uint64_t generation = 0;
    snprintf(key, sizeof key, "summary|%s|%lld", region, (long long)year);
    if (http_server_cache_get(req->server, key, res, &generation))
        return BF_OK;
    json_t *out = NULL;
    rc = summary_get(req->store, region, year, &out, err);
    if (rc)
        return rc;
    rc = http_json_respond(res, 200, out);
    /* Villages are computed live from the registries: not cached. */
    if (rc == BF_OK && bf_region_code_level(region) != BF_LEVEL_VILLAGE)
        http_server_cache_put(req->server, key, generation, res->body, res->body_len);
    return rc;
}
