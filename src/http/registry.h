/*
 * registry.h - the HTTP side shared by the registry handlers (h_projects.c,
 * h_assets.c, h_years.c, h_households.c, h_benefits.c): the scope of the
 * request, ETag/If-Match, and list/get/create/update over query_registry.
 */
#ifndef BF_HTTP_REGISTRY_H
#define BF_HTTP_REGISTRY_H

#include "domain/query_registry.h"
#include "http/http.h"

/* The scope of the logged-in user of req. */
void http_reg_scope(const http_request *req, reg_scope *scope);
/* GET list of a resource (query parameters passed through). */
bf_status http_reg_list(http_request *req, http_response *res, const char *resource, bf_error *err);
/* GET one record; keys are the path parameters. */
bf_status http_reg_get(http_request *req, http_response *res, const char *resource, bf_error *err);
/* POST a new record (201, Location, ETag). */
bf_status http_reg_create(http_request *req, http_response *res, const char *resource,
                          bf_error *err);
/* PATCH a record with If-Match (or body "version"). */
bf_status http_reg_update(http_request *req, http_response *res, const char *resource,
                          bf_error *err);
/* DELETE a record (204). */
bf_status http_reg_delete(http_request *req, http_response *res, const char *resource,
                          bf_error *err);
/* The version an If-Match header names ("3", "\"3\"", W/"3"); false if malformed. */
bool http_parse_if_match(const char *header, int64_t *version);

#endif
