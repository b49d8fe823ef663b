/*
 * h_health.c - GET /api/v1/health: is the server up and the database reachable.
 */
#include "http/handlers.h"
#include "http/json.h"
#include "store/migrate.h"

bf_status h_health(http_request *req, http_response *res, bf_error *err)
{
    int version = 0;
    bf_error local;
    bf_error_clear(&local);
    bool db_ok = store_schema_version(req->store, &version, &local) == BF_OK;
    json_t *body = json_object();
    if (!body)
        return BF_ERR_NOMEM;
    json_object_set_new(body, "status", json_string(db_ok ? "ok" : "degraded"));
    json_object_set_new(body, "version", json_string("0.1.0"));
    json_object_set_new(body, "database", json_string(db_ok ? "ok" : "unreachable"));
    json_object_set_new(body, "schema", json_integer(version));
    return http_json_respond(res, db_ok ? 200 : 503, body);
}
