/*
 * h_households.c - /api/v1/households: list and detail with ID numbers
 * masked, create (with members), update, members added to and removed from
 * an existing household, and the audited reveal of full ID numbers for roles
 * with the "reveal" permission.
 */
#include "http/handlers.h"
#include "http/json.h"
#include "http/registry.h"
#include "http/server.h"

#include <stdio.h>

bf_status h_households_list(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_list(req, res, "households", err);
}

bf_status h_household_get(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_get(req, res, "households", err);
}

bf_status h_household_create(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_create(req, res, "households", err);
}

bf_status h_household_update(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_update(req, res, "households", err);
}

bf_status h_household_reveal(http_request *req, http_response *res, bf_error *err)
{
    reg_scope scope;
    http_reg_scope(req, &scope);
    json_t *obj = NULL;
    bf_status rc = reg_reveal(req->store, &scope, req->params[0], &obj, err);
    if (rc)
        return rc;
    return http_json_respond(res, 200, obj);
}

bf_status h_member_add(http_request *req, http_response *res, bf_error *err)
{
    reg_scope scope;
    http_reg_scope(req, &scope);
    json_t *body = NULL, *member = NULL;
    bf_status rc = http_json_parse_object(req->body, req->body_len, &body, err);
    if (rc)
        return rc;
    rc = reg_member_add(req->store, &scope, req->params[0], body, &member, err);
    json_decref(body);
    if (rc)
        return rc;
    http_server_data_changed(req->server);
    char location[300];
    snprintf(location, sizeof location, "/api/v1/households/%s/members/%s", req->params[0],
             json_string_value(json_object_get(member, "id")));
    rc = http_json_respond(res, 201, member);
    if (rc == BF_OK)
        http_add_header(req, res, "Location", location);
    return rc;
}

bf_status h_member_remove(http_request *req, http_response *res, bf_error *err)
{
    reg_scope scope;
    http_reg_scope(req, &scope);
    bf_status rc = reg_member_remove(req->store, &scope, req->params[0], req->params[1], err);
    if (rc)
        return rc;
    http_server_data_changed(req->server);
    http_response_clear(res);
    res->status = 204;
    return BF_OK;
}
