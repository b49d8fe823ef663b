/*
 * xlsx_write.h - a streaming XLSX writer for exports, over libxlsxwriter in
 * constant-memory mode: each row goes to a temporary file as it is written,
 * so memory stays flat however many rows an export has.
 *
 * A workbook has one worksheet: an optional bold header row, then data rows
 * of bf_cell (sheet.h), which keep their kind:
 *   BF_CELL_TEXT    a string, never a number: codes, ID numbers and region
 *                   codes stay text so Excel cannot turn them into
 *                   3.6073419700312E+17 or drop leading zeros;
 *   BF_CELL_NUMBER  a number (text like "125.5", "-3", "1.5E+3");
 *   BF_CELL_DATE    a real Excel date shown as yyyy-mm-dd (text "YYYY-MM-DD");
 *   BF_CELL_BOOL    TRUE/FALSE (text "TRUE"/"1" is true, anything else false);
 *   BF_CELL_ERROR   written as its text;
 *   BF_CELL_EMPTY   nothing is written.
 * Columns get widths from the widest value written in them (CJK characters
 * count double), between 8 and 60 characters; the header row is frozen.
 *
 * Nothing appears at the destination until xlsx_writer_close() succeeds: the
 * workbook is assembled in a temporary file beside it (mode 0600: exports
 * hold personal data) and renamed into place.
 *
 * For HTTP downloads, either open with a path the server chose (e.g. under
 * its temporary folder), close, send the file and remove it; or open with
 * path NULL and finish with xlsx_writer_close_mem(), which hands back the
 * bytes in memory (the temporary file then lives in $TMPDIR, else /tmp).
 *
 * Ownership: xlsx_writer_open() returns a writer that exactly one of
 * xlsx_writer_close(), xlsx_writer_close_mem() or xlsx_writer_abort() frees.
 */
#ifndef BF_XLSX_WRITE_H
#define BF_XLSX_WRITE_H

#include "core/status.h"
#include "io/sheet.h"

#include <stddef.h>

typedef struct xlsx_writer xlsx_writer;

/* Start a workbook for path (NULL: for xlsx_writer_close_mem() only) whose one
 * worksheet is named sheet_name (Excel's
 * rules: 1-31 characters, none of []:*?/\, not starting or ending with ').
 * Fails with BF_ERR_INVALID for a bad sheet name, BF_ERR_IO if the temporary
 * file cannot be made, BF_ERR_NOMEM. */
bf_status xlsx_writer_open(const char *path, const char *sheet_name, xlsx_writer **out,
                           bf_error *err);

/* Write titles as the header row in bold. Must come before any data row, at
 * most once. Titles are text (NULL is written as empty). */
bf_status xlsx_writer_header(xlsx_writer *w, const char *const *titles, size_t ntitles,
                             bf_error *err);

/* Append one row of cells (see the kinds above). On a value that cannot be
 * written (a number or date that does not parse: BF_ERR_INVALID; text over
 * Excel's 32767 characters or past Excel's last row or column:
 * BF_ERR_TOO_LARGE) the message names the row and column; the writer stays
 * usable but the row may be partly written, so callers normally abort. */
bf_status xlsx_writer_row(xlsx_writer *w, const bf_cell *cells, size_t ncells, bf_error *err);

/* Rows written so far, the header included. */
long xlsx_writer_rows(const xlsx_writer *w);

/* Finish the workbook and rename it into place. Frees w whatever happens; on
 * failure (BF_ERR_IO with a Chinese message, BF_ERR_NOMEM; BF_ERR_USAGE if the
 * writer was opened without a path) nothing is left at the destination and
 * the temporary file is removed. */
bf_status xlsx_writer_close(xlsx_writer *w, bf_error *err);

/* Finish the workbook into a malloc'd buffer (*data, *len; the caller frees
 * *data) instead of the destination, which is left untouched. Frees w
 * whatever happens and removes the temporary file; on failure *data is NULL. */
bf_status xlsx_writer_close_mem(xlsx_writer *w, char **data, size_t *len, bf_error *err);

/* Give up: free w and remove the temporary file. NULL is allowed. */
void xlsx_writer_abort(xlsx_writer *w);

#endif
