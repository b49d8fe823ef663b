/*
 * json.h - JSON in and out of the HTTP server, on jansson.
 *
 * Input: a request body is checked before jansson sees it (size, UTF-8,
 * nesting depth at most HTTP_JSON_MAX_DEPTH) and must be one object; field
 * readers turn a missing or mistyped field into BF_ERR_INVALID naming it.
 * Output: responses are serialised compactly in key order of insertion;
 * errors have the one shape {"error":{"code","message","field"}}.
 *
 * Ownership follows jansson: json_t values returned here are new references
 * the caller must json_decref(); http_json_respond() steals its value.
 */
#ifndef BF_HTTP_JSON_H
#define BF_HTTP_JSON_H

#include "http/http.h"

#include <jansson.h>

#define HTTP_JSON_MAX_DEPTH 16

/* Maximum nesting depth of the JSON text s[0..len) (brackets outside strings);
 * -1 if brackets are unbalanced. Stops counting past limit+1. */
int http_json_depth(const char *s, size_t len, int limit);

/* Parse a request body into an object. Empty, malformed, too deep or not an
 * object: BF_ERR_PARSE (400) with a Chinese message. */
bf_status http_json_parse_object(const char *body, size_t len, json_t **out, bf_error *err);

/* Field readers. A missing field gives def (or BF_ERR_INVALID if required);
 * a wrong type BF_ERR_INVALID with field set. Strings must not hold NUL and are
 * at most max_len bytes; the pointer is valid while obj lives. */
bf_status http_json_string(json_t *obj, const char *key, bool required, size_t max_len,
                           const char **out, bf_error *err);
bf_status http_json_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max,
                        int64_t *out, bf_error *err);
bf_status http_json_bool(json_t *obj, const char *key, bool *out, bf_error *err);

/* Serialise value (stolen) as the response body with status. */
bf_status http_json_respond(http_response *res, int status, json_t *value);
/* The error body for err (message from err or the status's default). */
void http_json_error(http_response *res, const bf_error *err);

/* A JSON string or null for NULL; invalid UTF-8 is cut at its first bad byte. */
json_t *http_json_str_or_null(const char *s);

#endif
