/*
 * server.h - `bangfu serve`: the libmicrohttpd adapter around the dispatcher.
 *
 * A server owns its store pool (one handle per worker thread, plus one for
 * the summary refresher), the ID-number keys, the access log and the
 * libmicrohttpd daemon (internal polling thread + a thread pool). Each
 * request gets an arena (freed when the exchange completes), a body buffer
 * capped by the route (413 past the cap, decided from Content-Length before
 * reading when possible), one pool handle for its duration, and one line in
 * the access log: time, user, address, method, path, status, bytes, ms.
 *
 * http_server_free() stops gracefully: it stops accepting, waits for the
 * requests in flight (up to 30 s), stops the daemon and closes the database.
 */
#ifndef BF_HTTP_SERVER_H
#define BF_HTTP_SERVER_H

#include "http/http.h"
#include "http/session.h"

/* Prepare a server on the database target (pool, keys, access log); does not
 * listen yet. */
bf_status http_server_new(const http_config *cfg, const char *db_target, http_server **out,
                          bf_error *err);
/* Start listening on cfg->listen ("host:port"; port 0 picks a free one). */
bf_status http_server_listen(http_server *srv, bf_error *err);
/* The port listened on (after http_server_listen). */
int http_server_port(const http_server *srv);
/* Handle one request without the network (tests, fuzzing, and the adapter
 * itself): takes a pool handle, fills req's server fields, routes /api/ to
 * the dispatcher and the rest to the static files. req->arena must be set. */
void http_server_handle(http_server *srv, http_request *req, http_response *res);
/* Stop gracefully and free everything. NULL is allowed. */
void http_server_free(http_server *srv);
/* Tell the summary cells that registry data changed under this server (the
 * refresher rebuilds them at its next turn). */
void http_server_data_changed(http_server *srv);
/* Bring the summary cells up to date if this server changed registry data
 * since the last refresh (one thread rebuilds, the others wait for it). */
bf_status http_server_summary_fresh(http_server *srv, bf_store *store, bf_error *err);
/* A small cache of whole response bodies (summaries, list pages), valid for
 * one data generation: every write through the server and every rebuild of
 * the summary cells starts a new generation. get makes res a 200 JSON answer
 * sharing the cached body (a reference, not a copy: see body_release in
 * http.h); false if absent or stale (res untouched). put copies body. */
bool http_server_cache_get(http_server *srv, const char *key, http_response *res);
void http_server_cache_put(http_server *srv, const char *key, const char *body, size_t len);
/* The session cache (NULL when session_recheck is 0). */
session_cache *http_server_sessions(http_server *srv);
/* The pool (for the summary refresher and tests). */
store_pool *http_server_pool(http_server *srv);

#endif
