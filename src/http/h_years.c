/*
 * h_years.c - the yearly records: /api/v1/project-years and
 * /api/v1/household-years (list, detail, create, update).
 */
#include "http/handlers.h"
#include "http/registry.h"

bf_status h_project_years_list(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_list(req, res, "project-years", err);
}

bf_status h_project_year_get(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_get(req, res, "project-years", err);
}

bf_status h_project_year_create(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_create(req, res, "project-years", err);
}

bf_status h_project_year_update(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_update(req, res, "project-years", err);
}

bf_status h_household_years_list(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_list(req, res, "household-years", err);
}

bf_status h_household_year_get(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_get(req, res, "household-years", err);
}

bf_status h_household_year_create(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_create(req, res, "household-years", err);
}

bf_status h_household_year_update(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_update(req, res, "household-years", err);
}
