/*
 * multipart.c - one field out of a multipart/form-data body (see multipart.h).
 * A small state machine over the body: find a delimiter line, read the part
 * headers up to the blank line, take the data up to the next delimiter.
 */
#include "http/multipart.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bool http_multipart_boundary(const char *type, char out[72])
{
    if (!type || strncasecmp(type, "multipart/form-data", 19) != 0)
        return false;
    const char *p = strcasestr(type, "boundary=");
    if (!p)
        return false;
    p += 9;
    bool quoted = *p == '"';
    if (quoted)
        p++;
    size_t len = 0;
    while (p[len] && len < 71 && (quoted ? p[len] != '"' : (p[len] != ';' && p[len] != ' ')))
        len++;
    if (len == 0 || len > 70 || (quoted && p[len] != '"'))
        return false;
    memcpy(out, p, len);
    out[len] = '\0';
    return true;
}

/* The value of a parameter (name="value") in a Content-Disposition line. */
static bool disposition_param(const char *line, size_t len, const char *name, char *out,
                              size_t out_size)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i + nlen + 2 <= len; i++) {
        if ((i == 0 || line[i - 1] == ' ' || line[i - 1] == ';') &&
            strncasecmp(line + i, name, nlen) == 0 && line[i + nlen] == '=') {
            const char *v = line + i + nlen + 1;
            size_t rest = len - (i + nlen + 1);
            size_t vlen = 0;
            if (rest && *v == '"') {
                v++;
                rest--;
                while (vlen < rest && v[vlen] != '"')
                    vlen++;
            } else {
                while (vlen < rest && v[vlen] != ';' && v[vlen] != ' ')
                    vlen++;
            }
            if (vlen + 1 > out_size)
                return false;
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            return true;
        }
    }
    return false;
}

bf_status http_multipart_find(const char *body, size_t body_len, const char *boundary,
                              const char *field, const char **data, size_t *len, char *fname_buf,
                              size_t fname_size)
{
    char delim[80];
    int dlen = snprintf(delim, sizeof delim, "--%s", boundary);
    if (dlen <= 2 || (size_t)dlen >= sizeof delim)
        return BF_ERR_PARSE;
    const char *end = body + body_len;
    const char *p = memmem(body, body_len, delim, (size_t)dlen);
    if (!p)
        return BF_ERR_PARSE;
    for (;;) {
        p += dlen;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return BF_ERR_NOT_FOUND; /* closing delimiter */
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return BF_ERR_PARSE;
        p += 2;
        const char *headers_end = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!headers_end)
            return BF_ERR_PARSE;
        char name[128] = "", filename[256] = "";
        const char *line = p;
        while (line < headers_end) {
            const char *eol = memmem(line, (size_t)(headers_end - line), "\r\n", 2);
            if (!eol)
                eol = headers_end;
            size_t llen = (size_t)(eol - line);
            if (llen > 20 && strncasecmp(line, "Content-Disposition:", 20) == 0) {
                disposition_param(line + 20, llen - 20, "name", name, sizeof name);
                disposition_param(line + 20, llen - 20, "filename", filename, sizeof filename);
            }
            line = eol + 2;
        }
        const char *content = headers_end + 4;
        /* The part ends at CRLF + delimiter. */
        char closing[84];
        int clen = snprintf(closing, sizeof closing, "\r\n%s", delim);
        const char *next = memmem(content, (size_t)(end - content), closing, (size_t)clen);
        if (!next)
            return BF_ERR_PARSE;
        if (strcmp(name, field) == 0) {
            *data = content;
            *len = (size_t)(next - content);
            if (fname_buf && fname_size)
                snprintf(fname_buf, fname_size, "%s", filename);
            return BF_OK;
        }
        p = next + 2;
    }
}
