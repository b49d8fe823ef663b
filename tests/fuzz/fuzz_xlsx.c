/*
 * fuzz_xlsx.c - libFuzzer target for the XLSX reader: arbitrary bytes through
 * bf_sheet_open_mem, every row read, the reader's contract checked on each
 * row and cell (sheet.h). Inputs that do not start like a ZIP go to the CSV
 * reader (fuzz_csv's business), so they are skipped here. Random bytes rarely
 * make a valid ZIP: fuzz_xlsx_parts.c fuzzes the XML parts inside one.
 */
#include "xlsx_check.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || memcmp(data, "PK\3\4", 4) != 0)
        return 0;
    bf_sheet *sheet = NULL;
    bf_error err;
    bf_error_clear(&err);
    bf_status rc = bf_sheet_open_mem(data, size, NULL, &sheet, &err);
    if (rc) {
        check(sheet == NULL && err.msg[0] != '\0' && utf8_ok(err.msg, strlen(err.msg)));
        return 0;
    }
    check_all_rows(sheet);
    bf_sheet_close(sheet);
    return 0;
}
