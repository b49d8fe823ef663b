/*
 * buf.c - capped growing byte buffer.
 */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bf_buf_init(bf_buf *buf, size_t cap)
{
    buf->data = NULL;
    buf->len = 0;
    buf->alloc = 0;
    buf->cap = cap;
}

void bf_buf_free(bf_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->alloc = 0;
}

void bf_buf_reset(bf_buf *buf)
{
    buf->len = 0;
    if (buf->data)
        buf->data[0] = '\0';
}

static bf_status ensure(bf_buf *buf, size_t extra)
{
    if (extra > buf->cap || buf->len > buf->cap - extra)
        return BF_ERR_TOO_LARGE;
    size_t need = buf->len + extra + 1;
    if (need <= buf->alloc)
        return BF_OK;
    size_t alloc = buf->alloc ? buf->alloc : 64;
    while (alloc < need)
        alloc *= 2;
    if (alloc > buf->cap + 1)
        alloc = buf->cap + 1;
    char *p = realloc(buf->data, alloc);
    if (!p)
        return BF_ERR_NOMEM;
    buf->data = p;
    buf->alloc = alloc;
    return BF_OK;
}

bf_status bf_buf_reserve(bf_buf *buf, size_t extra)
{
    return ensure(buf, extra);
}

bf_status bf_buf_append(bf_buf *buf, const void *data, size_t len)
{
    bf_status rc = ensure(buf, len);
    if (rc)
        return rc;
    if (len)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return BF_OK;
}

bf_status bf_buf_append_str(bf_buf *buf, const char *s)
{
    return bf_buf_append(buf, s, strlen(s));
}

bf_status bf_buf_append_char(bf_buf *buf, char c)
{
    return bf_buf_append(buf, &c, 1);
}

bf_status bf_buf_printf(bf_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return BF_ERR_INTERNAL;
    bf_status rc = ensure(buf, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return BF_OK;
}

char *bf_buf_detach(bf_buf *buf)
{
    char *p = buf->data;
    if (!p) {
        p = malloc(1);
        if (p)
            p[0] = '\0';
    }
    buf->data = NULL;
    buf->len = buf->alloc = 0;
    return p;
}
