/*
 * buf.h - a growing byte buffer with a hard cap (after curl's dynbuf).
 *
 * Ownership: a bf_buf owns its heap memory; bf_buf_free() releases it.
 * The content is always NUL-terminated (the NUL is not counted in len).
 * Appending past the cap fails with BF_ERR_TOO_LARGE and leaves the buffer as it was.
 */
#ifndef BF_BUF_H
#define BF_BUF_H

#include "core/status.h"

#include <stddef.h>

typedef struct {
    char *data;
    size_t len;
    size_t alloc;
    size_t cap;
} bf_buf;

/* Initialise an empty buffer that may grow to cap bytes. */
void bf_buf_init(bf_buf *buf, size_t cap);
void bf_buf_free(bf_buf *buf);
/* Empty the buffer, keeping its memory. */
void bf_buf_reset(bf_buf *buf);
bf_status bf_buf_append(bf_buf *buf, const void *data, size_t len);
bf_status bf_buf_append_str(bf_buf *buf, const char *s);
bf_status bf_buf_append_char(bf_buf *buf, char c);
bf_status bf_buf_printf(bf_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Make room for extra more bytes (and the NUL) past len, for a caller that
 * writes them at data + len itself and then moves len and the NUL.
 * BF_ERR_TOO_LARGE past the cap, BF_ERR_NOMEM. */
bf_status bf_buf_reserve(bf_buf *buf, size_t extra);
/* Take the buffer's memory (caller frees with free()); the buffer becomes empty. */
char *bf_buf_detach(bf_buf *buf);

#endif
