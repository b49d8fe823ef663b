/*
 * static.h - the web UI's files from a folder (`--web DIR`): content types
 * by extension from one table, no path outside the folder, and the
 * single-page-app fallback: a path without a file extension that names no
 * file gets index.html, so the UI's own routes survive a reload.
 */
#ifndef BF_HTTP_STATIC_H
#define BF_HTTP_STATIC_H

#include "http/http.h"

/* Serve req->path from web_dir into res (an open file descriptor). 404 as a
 * JSON error when nothing fits, 405 for methods other than GET/HEAD. */
bf_status http_static_serve(const char *web_dir, http_request *req, http_response *res,
                            bf_error *err);
/* The content type for a file name (by extension); "application/octet-stream" if unknown. */
const char *http_static_content_type(const char *name);

#endif
