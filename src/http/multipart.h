/*
 * multipart.h - finding one file field in a multipart/form-data body
 * (RFC 7578), in memory. No allocation: the results point into the body.
 */
#ifndef BF_HTTP_MULTIPART_H
#define BF_HTTP_MULTIPART_H

#include "core/status.h"

#include <stdbool.h>

#include <stddef.h>

/* The boundary parameter of a multipart/form-data content type into out
 * (at most 70 characters per the RFC); false if the type is not multipart
 * or has no usable boundary. */
bool http_multipart_boundary(const char *content_type, char out[72]);

/* The content of the part named field: *data and *len point into body; the filename
 * (if any) is copied into fname_buf (may be NULL). BF_ERR_NOT_FOUND if no
 * such part, BF_ERR_PARSE if the body is malformed. */
bf_status http_multipart_find(const char *body, size_t body_len, const char *boundary,
                              const char *field, const char **data, size_t *len, char *fname_buf,
                              size_t fname_size);

#endif
