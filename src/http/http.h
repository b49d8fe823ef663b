/*
 * http.h - what every part of the HTTP server shares: the request and the
 * response of one exchange, the server's configuration, and the handler
 * signature. The request and everything hanging off it live in the
 * request's arena (req->arena) and die with it; the response body is heap
 * memory handed to libmicrohttpd (or a file descriptor it closes).
 *
 * The server is split so that nothing below the adapter (server.c) knows
 * libmicrohttpd: dispatch (router.c) takes a filled http_request and fills
 * an http_response, which is what the fuzz target and tests drive directly.
 */
#ifndef BF_HTTP_H
#define BF_HTTP_H

#include "core/arena.h"
#include "core/status.h"
#include "domain/accounts.h"
#include "domain/pii.h"
#include "store/pool.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_MAX_HEADERS      64
#define HTTP_MAX_QUERY        64
#define HTTP_MAX_PATH_PARAMS  4
#define HTTP_MAX_RESP_HEADERS 8

/* Settings of `bangfu serve` (config file, then command-line options). See
 * docs/api.md for each key, its default and its range. */
typedef struct {
    char listen[128]; /* "127.0.0.1:8080" */
    int threads;      /* libmicrohttpd thread pool size */
    int max_connections;
    int max_connections_per_ip;
    int request_timeout; /* seconds a connection may be idle mid-request */
    size_t max_body;     /* bytes of a JSON request body (413 past it) */
    size_t max_upload;   /* bytes of an uploaded spreadsheet (413 past it) */
    int session_idle;    /* seconds of inactivity before a session ends */
    int session_max;     /* seconds a session lives at most */
    int session_recheck; /* seconds a session is answered from memory before the
                            database is asked again (0: always the database) */
    bool cookie_secure;  /* mark the cookie Secure (set by TLS or behind a TLS proxy) */
    char tls_cert[1024]; /* PEM files: both set turns TLS on */
    char tls_key[1024];
    int login_slowdown_after; /* failed logins before each next attempt must wait */
    int login_lock_after;     /* failed logins that lock the account */
    int login_lock_seconds;   /* how long the lock lasts */
    char web_dir[1024];       /* static files of the web UI ("" none) */
    char access_log[1024];    /* "-" stderr, "off", or a file path */
    int summary_refresh;      /* seconds between checks for outside changes to the registries */
    char key_file[1024];      /* ID-number key file ("" default beside the database) */
} http_config;

typedef struct http_server http_server;

typedef struct {
    const char *name;
    const char *value;
} http_pair;

/* One request. Strings are NUL-terminated and owned by arena. */
typedef struct http_request {
    bf_arena *arena;
    http_server *server;
    const http_config *config;
    bf_store *store;      /* taken from the pool for this request */
    const pii_keys *keys; /* may be NULL when no key file was found */
    const char *method;
    const char *path;    /* decoded, without the query */
    const char *address; /* client address */
    http_pair headers[HTTP_MAX_HEADERS];
    size_t nheaders;
    http_pair query[HTTP_MAX_QUERY];
    size_t nquery;
    const char *params[HTTP_MAX_PATH_PARAMS]; /* {} parts of the route pattern */
    size_t nparams;
    const char *body;
    size_t body_len;
    /* Filled by dispatch once the session is checked. */
    bool authenticated;
    accounts_user user;
    char csrf[65];
    char session_hash[65];
    char scope_lo[13], scope_hi[13]; /* the user's region subtree [lo, hi) */
} http_request;

typedef struct {
    int status;
    char *body; /* malloc'd and owned by the response, unless body_release is set */
    size_t body_len;
    /* A body shared with a cache: body_release(body_owner) instead of free(body). */
    void (*body_release)(void *owner);
    void *body_owner;
    const char *content_type;
    http_pair headers[HTTP_MAX_RESP_HEADERS]; /* values in the request arena */
    size_t nheaders;
    int fd; /* >= 0: send this file (closed by the server) instead of body */
    off_t fd_size;
} http_response;

typedef bf_status (*http_handler)(http_request *req, http_response *res, bf_error *err);

/* Header value (case-insensitive name) or NULL. */
const char *http_header(const http_request *req, const char *name);
/* Query parameter value or NULL (the first if repeated). */
const char *http_query(const http_request *req, const char *name);
/* Add a response header (name and value copied into the request arena). */
bf_status http_add_header(http_request *req, http_response *res, const char *name,
                          const char *value);
/* Replace the response body with a copy of data (malloc). */
bf_status http_set_body(http_response *res, int status, const char *content_type, const void *data,
                        size_t len);
/* An empty response (status 200, no body, no file). */
void http_response_init(http_response *res);
/* Free (or release) the response body, close its file; leaves an empty response. */
void http_response_clear(http_response *res);

/* The configuration with every default. */
void http_config_defaults(http_config *cfg);
/* Read a config file of `key = value` lines ('#' comments) over cfg. Unknown
 * keys and out-of-range values are errors naming the line. */
bf_status http_config_load(const char *path, http_config *cfg, bf_error *err);
/* Set one key from text (also used for command-line overrides). */
bf_status http_config_set(http_config *cfg, const char *key, const char *value, bf_error *err);

#endif
