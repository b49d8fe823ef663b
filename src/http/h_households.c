/*
 * h_households.c - /api/v1/households: list and detail with ID numbers
 * masked, create (with members), update, and the audited reveal of full ID
 * numbers for roles with the "reveal" permission.
 */
#include "http/handlers.h"
#include "http/json.h"
#include "http/registry.h"

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
