/*
 * sheet.h - one interface for reading a spreadsheet row by row, whatever the
 * file format (CSV in UTF-8 or GB18030, or XLSX).
 *
 * A reader streams: memory stays flat however large the file. Each call to
 * bf_sheet_next() yields one row; the row and its cells (all UTF-8 text) stay
 * valid until the next call or bf_sheet_close(). Row numbers are the numbers a
 * spreadsheet program shows: the header is row 1 for a CSV; for an XLSX they
 * are the sheet's own row numbers (rows absent from the file are skipped).
 *
 * Caps: a cell may be at most BF_SHEET_MAX_CELL bytes, a row at most
 * BF_SHEET_MAX_COLS cells; past that the reader fails with BF_ERR_TOO_LARGE and
 * a Chinese message naming the row.
 *
 * Ownership: bf_sheet_open*() returns a reader the caller closes with
 * bf_sheet_close(); the reader owns every cell it yields.
 */
#ifndef BF_SHEET_H
#define BF_SHEET_H

#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define BF_SHEET_MAX_CELL (64 * 1024)
#define BF_SHEET_MAX_COLS 1024

typedef enum {
    BF_CELL_EMPTY = 0, /* no value */
    BF_CELL_TEXT,      /* a string (CSV cells are always text or empty) */
    BF_CELL_NUMBER,    /* an XLSX number: text is the stored value, e.g. "3.6073419700312E+17" */
    BF_CELL_DATE,      /* an XLSX number with a date format: text is "YYYY-MM-DD" */
    BF_CELL_BOOL,      /* an XLSX boolean: text is "TRUE" or "FALSE" */
    BF_CELL_ERROR      /* an XLSX error value such as "#N/A": text is the error */
} bf_cell_kind;

typedef struct {
    bf_cell_kind kind;
    const char *text; /* UTF-8, NUL-terminated, never NULL ("" when empty) */
    size_t len;
} bf_cell;

typedef struct {
    long number;   /* row number as the spreadsheet shows it (1-based) */
    size_t ncells; /* trailing empty cells may be omitted */
    const bf_cell *cells;
} bf_row;

typedef enum { BF_SHEET_CSV, BF_SHEET_XLSX } bf_sheet_format;

typedef struct bf_sheet bf_sheet;

/* Open path; the format is chosen by content (an XLSX is a ZIP starting with
 * "PK\3\4"), not by name. sheet_name selects an XLSX sheet (NULL: the first);
 * it is an error for a CSV. On failure *out is NULL and err says why in Chinese. */
bf_status bf_sheet_open(const char *path, const char *sheet_name, bf_sheet **out, bf_error *err);

/* Open an in-memory file (not copied: data must outlive the reader). */
bf_status bf_sheet_open_mem(const void *data, size_t len, const char *sheet_name, bf_sheet **out,
                            bf_error *err);

/* Next row into *row. *has_row is false at the end of the sheet (row untouched).
 * On a malformed file returns an error status with a Chinese message naming the row. */
bf_status bf_sheet_next(bf_sheet *sheet, bf_row *row, bool *has_row, bf_error *err);

/* Bytes of input consumed so far and the total size (0 if unknown): for progress. */
void bf_sheet_progress(const bf_sheet *sheet, size_t *done, size_t *total);

bf_sheet_format bf_sheet_get_format(const bf_sheet *sheet);

void bf_sheet_close(bf_sheet *sheet);

#endif
