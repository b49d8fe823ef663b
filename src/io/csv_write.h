/*
 * csv_write.h - writing RFC 4180 CSV rows (UTF-8): a field is quoted when it
 * holds a comma, quote, CR or LF, or begins with '=', '+', '-' or '@' (so a
 * spreadsheet never runs it as a formula: CSV injection), with quotes doubled.
 * Stateless; the caller owns the FILE.
 */
#ifndef BF_CSV_WRITE_H
#define BF_CSV_WRITE_H

#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Write the UTF-8 byte order mark (Excel then reads the file as UTF-8). */
bf_status csv_write_bom(FILE *fp);
/* Write one row of n fields (NULL fields are empty) ended by CRLF. lens may be
 * NULL (fields are NUL-terminated). */
bf_status csv_write_row(FILE *fp, const char *const *fields, const size_t *lens, size_t n);

#endif
