/*
 * sheet_impl.h - internal contract between sheet.c and the format readers
 * (csv.c, xlsx.c). Not for use outside src/io.
 */
#ifndef BF_SHEET_IMPL_H
#define BF_SHEET_IMPL_H

#include "io/sheet.h"

typedef struct {
    bf_status (*next)(void *impl, bf_row *row, bool *has_row, bf_error *err);
    void (*progress)(const void *impl, size_t *done, size_t *total);
    void (*close)(void *impl);
} bf_sheet_ops;

/* CSV reader (csv.c). fp is owned by the reader after success (closed by close). */
bf_status csv_open_file(FILE *fp, size_t total_size, void **impl, const bf_sheet_ops **ops,
                        bf_error *err);
bf_status csv_open_mem(const void *data, size_t len, void **impl, const bf_sheet_ops **ops,
                       bf_error *err);

/* XLSX reader (xlsx.c). */
bf_status xlsx_open_file(const char *path, const char *sheet_name, void **impl,
                         const bf_sheet_ops **ops, bf_error *err);
bf_status xlsx_open_mem(const void *data, size_t len, const char *sheet_name, void **impl,
                        const bf_sheet_ops **ops, bf_error *err);

#endif
