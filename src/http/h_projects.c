/*
 * h_projects.c - /api/v1/projects: list, detail (with assets and years),
 * create, update.
 */
#include "http/handlers.h"
#include "http/registry.h"

bf_status h_projects_list(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_list(req, res, "projects", err);
}

bf_status h_project_get(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_get(req, res, "projects", err);
}

bf_status h_project_create(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_create(req, res, "projects", err);
}

bf_status h_project_update(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_update(req, res, "projects", err);
}
