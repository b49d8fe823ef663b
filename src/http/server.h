/*
 * server.h - `bangfu serve`: the libmicrohttpd adapter around the dispatcher.
 *
 * A server owns its store pool (one handle per worker thread, plus one for
 * the summary refresher), a connection watching the database's data version,
 * the ID-number keys, the access log and the libmicrohttpd daemon (a pool of
 * threads, each polling its own connections with epoll). Each request gets
 * an arena (freed when the exchange completes), a body buffer capped by the
 * route (413 past the cap, decided from Content-Length before reading when
 * possible), one pool handle for its duration, and one line in the access
 * log: time, user, address, method, path, status, bytes, ms. Log lines are
 * buffered (64 KiB, written when full and at least once a second by a
 * flusher thread) and written out at stop, so none is lost on a clean stop.
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
/* Tell the summary cells and the response cache that registry data changed
 * under this server (the next summary request rebuilds the cells first). */
void http_server_data_changed(http_server *srv);
/* Learn of writes made outside this server (the command line, a second
 * server on the same database): asks the database for its data version
 * (SQLite: PRAGMA data_version, on a connection of the server's own;
 * PostgreSQL: the current snapshot) and, if it moved, acts as
 * http_server_data_changed(). Called before every answer that may come from
 * the response cache, so a write committed before a request started is
 * visible in its answer. Writes of the server itself (sessions, audit)
 * move the version too: they only cost a cache miss. */
void http_server_sync(http_server *srv);
/* Bracket a write of the server's own bookkeeping (a session's last_seen)
 * that changes nothing it caches, so that the data-version check does not
 * take it for a change: begin inside the write's transaction, holding the
 * write lock (SQLite's BEGIN IMMEDIATE), before writing; end after the
 * commit, with wrote true if it changed a row. The write is absorbed only
 * when it changed a row, the server had seen every commit before it and
 * exactly one commit (this one) happened since; otherwise it
 * counts as a change, as anyone's. SQLite with the mapped wal-index only (a
 * no-op otherwise). server is the http_server (void * for session.c). */
void http_server_own_write_begin(void *server, uint64_t mark[2]);
void http_server_own_write_end(void *server, const uint64_t mark[2], bool wrote);
/* The response cache's current generation (for tests). */
uint64_t http_server_generation(http_server *srv);
/* Bring the summary cells up to date (http_server_sync, then a rebuild if
 * the registries changed; one thread rebuilds, the others wait for it). */
bf_status http_server_summary_fresh(http_server *srv, bf_store *store, bf_error *err);
/* A small cache of whole response bodies (summaries, list pages), valid for
 * one data generation: every change seen (above) and every rebuild of the
 * summary cells starts a new generation. get makes res a 200 JSON answer
 * sharing the cached body (a reference, not a copy: see body_release in
 * http.h) and returns true, or false if absent or stale (res untouched); in
 * both cases *generation is the generation it looked in, read before the
 * caller reads the database. put stores a copy of body under that generation,
 * unless a newer one began meanwhile (the body may predate a change). */
bool http_server_cache_get(http_server *srv, const char *key, http_response *res,
                           uint64_t *generation);
void http_server_cache_put(http_server *srv, const char *key, uint64_t generation, const char *body,
                           size_t len);
/* The session cache (NULL when session_recheck is 0). */
session_cache *http_server_sessions(http_server *srv);
/* The pool (for the summary refresher and tests). */
store_pool *http_server_pool(http_server *srv);

#endif
