/*
 * xlsx_check.h - what the XLSX fuzz targets check on every reader they open:
 * the contract of sheet.h for each row and cell, whole UTF-8 everywhere
 * (cells and Chinese error messages alike). Included by fuzz_xlsx.c and
 * fuzz_xlsx_parts.c only.
 */
#ifndef BF_FUZZ_XLSX_CHECK_H
#define BF_FUZZ_XLSX_CHECK_H

#include "io/sheet.h"

#include <stdlib.h>
#include <string.h>

static inline void check(int ok)
{
    if (!ok)
        abort();
}

/* Well-formed UTF-8. */
static inline int utf8_ok(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        size_t n = s[i] < 0x80                    ? 1
                   : s[i] >= 0xC2 && s[i] <= 0xDF ? 2
                   : s[i] >= 0xE0 && s[i] <= 0xEF ? 3
                   : s[i] >= 0xF0 && s[i] <= 0xF4 ? 4
                                                  : 0;
        if (n == 0 || len - i < n)
            return 0;
        for (size_t k = 1; k < n; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        i += n;
    }
    return 1;
}

static inline void check_cell(const bf_cell *c)
{
    check(c->kind >= BF_CELL_EMPTY && c->kind <= BF_CELL_ERROR);
    check(c->text != NULL && strlen(c->text) == c->len && c->len <= BF_SHEET_MAX_CELL);
    check((c->kind == BF_CELL_EMPTY) == (c->len == 0));
    check(utf8_ok(c->text, c->len));
    if (c->kind == BF_CELL_DATE)
        check(c->len == 10 && c->text[4] == '-' && c->text[7] == '-');
    if (c->kind == BF_CELL_BOOL)
        check(strcmp(c->text, "TRUE") == 0 || strcmp(c->text, "FALSE") == 0);
}

/* Read every row of an open sheet, checking each; then the progress. */
static inline void check_all_rows(bf_sheet *sheet)
{
    bf_error err;
    bf_status rc;
    bf_error_clear(&err);
    long last = 0;
    for (;;) {
        bf_row row;
        bool has_row = false;
        rc = bf_sheet_next(sheet, &row, &has_row, &err);
        if (rc) {
            check(!has_row && err.msg[0] != '\0' && utf8_ok(err.msg, strlen(err.msg)));
            break;
        }
        if (!has_row)
            break;
        check(row.number > last && row.number <= 1048576);
        check(row.ncells > 0 && row.ncells <= BF_SHEET_MAX_COLS);
        check(row.cells[row.ncells - 1].kind != BF_CELL_EMPTY);
        for (size_t i = 0; i < row.ncells; i++)
            check_cell(&row.cells[i]);
        last = row.number;
    }
    size_t done, total;
    bf_sheet_progress(sheet, &done, &total);
    check(done <= total);
}

#endif
