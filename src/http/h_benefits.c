/*
 * h_benefits.c - /api/v1/benefits: the household-project linkages
 * (联农带农): list, create, delete.
 */
#include "http/handlers.h"
#include "http/registry.h"

bf_status h_benefits_list(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_list(req, res, "benefits", err);
}

bf_status h_benefit_create(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_create(req, res, "benefits", err);
}

bf_status h_benefit_delete(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_delete(req, res, "benefits", err);
}
