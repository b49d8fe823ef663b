/*
 * status.h - the one status enum of bangfu.
 *
 * Every fallible function returns a bf_status. One table (status.c) maps each
 * status to a CLI exit code, an HTTP status and a default Chinese message for
 * end users. Codes are never renumbered; retired codes stay reserved.
 *
 * bf_error carries a detailed, already formatted Chinese message for the end
 * user (and optionally the field it concerns) next to a status. It is a plain
 * value with fixed buffers: no ownership, safe to copy.
 */
#ifndef BF_STATUS_H
#define BF_STATUS_H

#include <stddef.h>

typedef enum {
    BF_OK = 0,
    BF_ERR_NOMEM = 1,        /* allocation failed */
    BF_ERR_IO = 2,           /* file or socket I/O failed */
    BF_ERR_INVALID = 3,      /* input failed validation */
    BF_ERR_NOT_FOUND = 4,    /* no such record (or outside the user's scope) */
    BF_ERR_CONFLICT = 5,     /* stale write or uniqueness conflict */
    BF_ERR_DB = 6,           /* database error */
    BF_ERR_SCHEMA = 7,       /* database schema newer than this program, or broken */
    BF_ERR_USAGE = 8,        /* bad command line */
    BF_ERR_FORBIDDEN = 9,    /* role may not do this */
    BF_ERR_TOO_LARGE = 10,   /* input exceeds a cap */
    BF_ERR_PARSE = 11,       /* malformed syntax (CSV, XLSX, JSON, rules) */
    BF_ERR_UNAUTH = 12,      /* not logged in */
    BF_ERR_LOCKED = 13,      /* too many attempts, try later */
    BF_ERR_UNSUPPORTED = 14, /* unsupported media type or feature */
    BF_ERR_STATE = 15,       /* action not allowed in the current state */
    BF_ERR_INTERNAL = 16,    /* a bug: should never happen */
    BF_ERR_UNAVAILABLE = 17, /* a service (database server) is unreachable; retry later */
    BF_STATUS_COUNT
} bf_status;

/* Detailed error for end users. msg is Chinese, NUL-terminated, may be empty. */
typedef struct {
    bf_status status;
    char msg[512];
    char field[64];
} bf_error;

/* Exit code for the CLI (0 on BF_OK). */
int bf_status_exit_code(bf_status status);
/* HTTP status code (200 on BF_OK). */
int bf_status_http(bf_status status);
/* Default Chinese message; never NULL. */
const char *bf_status_message(bf_status status);
/* Stable machine name, e.g. "invalid"; never NULL. */
const char *bf_status_name(bf_status status);

/* Fill err (if not NULL) with status and a printf-formatted message; returns status. */
bf_status bf_error_set(bf_error *err, bf_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same as bf_error_set, also naming the field concerned. */
bf_status bf_error_set_field(bf_error *err, bf_status status, const char *field, const char *fmt,
                             ...) __attribute__((format(printf, 4, 5)));
/* Reset err to BF_OK with empty message. */
void bf_error_clear(bf_error *err);
/* err->msg if set, else the status's default message. */
const char *bf_error_text(const bf_error *err);

#endif
