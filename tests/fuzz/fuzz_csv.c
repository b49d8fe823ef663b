/*
 * fuzz_csv.c - libFuzzer target for the CSV reader: arbitrary bytes through
 * bf_sheet_open_mem, every row read, the reader's contract checked on each
 * cell. Inputs that start like a ZIP go to the XLSX reader (fuzz_xlsx's
 * business), so they are skipped here.
 */
#include "io/sheet.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 4 && memcmp(data, "PK\3\4", 4) == 0)
        return 0;
    bf_sheet *sheet = NULL;
    bf_error err;
    bf_error_clear(&err);
    bf_status rc = bf_sheet_open_mem(data, size, NULL, &sheet, &err);
    if (rc) {
        check(sheet == NULL && err.msg[0] != '\0');
        return 0;
    }
    bf_row row;
    bool has_row = false;
    long last = 0;
    for (;;) {
        rc = bf_sheet_next(sheet, &row, &has_row, &err);
        if (rc) {
            check(err.msg[0] != '\0' && !has_row);
            break;
        }
        if (!has_row)
            break;
        check(row.number == last + 1);
        last = row.number;
        check(row.ncells <= BF_SHEET_MAX_COLS);
        for (size_t i = 0; i < row.ncells; i++) {
            const bf_cell *c = &row.cells[i];
            check(c->text != NULL && c->len <= BF_SHEET_MAX_CELL);
            check(strlen(c->text) == c->len);
            check(c->kind == (c->len ? BF_CELL_TEXT : BF_CELL_EMPTY));
        }
        size_t done = 0, total = 0;
        bf_sheet_progress(sheet, &done, &total);
        check(total == size && done <= total);
    }
    bf_sheet_close(sheet);
    return 0;
}
