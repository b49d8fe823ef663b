/*
 * request.c - accessors of the request and response of one exchange (see http.h).
 */
#include "http/http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *http_header(const http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

const char *http_query(const http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nquery; i++)
        if (strcmp(req->query[i].name, name) == 0)
            return req->query[i].value;
    return NULL;
}

bf_status http_add_header(http_request *req, http_response *res, const char *name,
                          const char *value)
{
    if (res->nheaders >= HTTP_MAX_RESP_HEADERS)
        return BF_ERR_TOO_LARGE;
    const char *n = bf_arena_strdup(req->arena, name);
    const char *v = bf_arena_strdup(req->arena, value);
    if (!n || !v)
        return BF_ERR_NOMEM;
    res->headers[res->nheaders].name = n;
    res->headers[res->nheaders].value = v;
    res->nheaders++;
    return BF_OK;
}

bf_status http_set_body(http_response *res, int status, const char *content_type, const void *data,
                        size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return BF_ERR_NOMEM;
    if (len)
        memcpy(copy, data, len);
    copy[len] = '\0';
    http_response_clear(res);
    res->status = status;
    res->body = copy;
    res->body_len = len;
    res->content_type = content_type;
    return BF_OK;
}

void http_response_init(http_response *res)
{
    memset(res, 0, sizeof *res);
    res->status = 200;
    res->fd = -1;
}

void http_response_clear(http_response *res)
{
    if (res->body_release)
        res->body_release(res->body_owner);
    else
        free(res->body);
    res->body = NULL;
    res->body_len = 0;
    res->body_release = NULL;
    res->body_owner = NULL;
    if (res->fd >= 0)
        close(res->fd);
    res->fd = -1;
    res->fd_size = 0;
}
