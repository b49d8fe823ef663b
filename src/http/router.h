/*
 * router.h - the route table (method, path pattern, permission, flags,
 * handler) and the dispatcher that applies, once for every route, what all
 * routes share: 404/405, session, CSRF, permission (refusals audited), the
 * forced password change, the user's region scope, body type checks, and
 * the mapping of a handler's bf_status to the JSON error response.
 *
 * Patterns are literal segments and `{}` for one non-empty segment, e.g.
 * "/api/v1/projects/{}"; the matched segments land in req->params in order.
 */
#ifndef BF_HTTP_ROUTER_H
#define BF_HTTP_ROUTER_H

#include "http/http.h"

enum {
    ROUTE_PUBLIC = 1u << 0,       /* no session needed */
    ROUTE_UPLOAD = 1u << 1,       /* body is a file (max_upload), not JSON (max_body) */
    ROUTE_ANY_PASSWORD = 1u << 2, /* allowed while the password must be changed */
    ROUTE_NO_CSRF = 1u << 3,      /* state-changing but exempt (login: no session yet) */
};

typedef struct {
    const char *method;
    const char *pattern;
    uint32_t perm; /* role_perm bits the user's role must all have */
    unsigned flags;
    http_handler handler;
} http_route;

/* The route table and its length. */
const http_route *http_routes(size_t *count);

/* The route for method and path, filling req->params (req may be NULL to
 * only test). NULL if none; then *path_known tells whether another method
 * would match (405) or not (404). HEAD matches GET routes. */
const http_route *http_route_find(const char *method, const char *path, http_request *req,
                                  bool *path_known);

/* The largest body a request may send for this method and path. */
size_t http_route_body_limit(const http_config *cfg, const char *method, const char *path);

/* Handle one API request completely: never fails, always leaves a response. */
void http_dispatch(http_request *req, http_response *res);

/* Fill req->scope_lo/hi from req->user's region (an empty range if malformed). */
void http_set_scope(http_request *req);

/* Record an audit entry for this request (user, address from req); errors are
 * logged to stderr, not returned: a request never fails for want of a log line
 * except where the caller makes the audit part of its own transaction. */
bf_status http_audit(http_request *req, const char *action, const char *entity, const char *key,
                     const char *before, const char *after, bf_error *err);

#endif
