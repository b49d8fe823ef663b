/*
 * h_assets.c - /api/v1/assets: list, detail, create, update.
 */
#include "http/handlers.h"
#include "http/registry.h"

bf_status h_assets_list(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_list(req, res, "assets", err);
}

bf_status h_asset_get(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_get(req, res, "assets", err);
}

bf_status h_asset_create(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_create(req, res, "assets", err);
}

bf_status h_asset_update(http_request *req, http_response *res, bf_error *err)
{
    return http_reg_update(req, res, "assets", err);
}
