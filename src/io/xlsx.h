/*
 * xlsx.h - internal entry points of the XLSX reader (xlsx.c) beyond the
 * sheet_impl.h contract: its caps, so that tests can exercise them with small
 * files. Not for use outside src/io and the tests; everything else opens
 * spreadsheets through sheet.h.
 */
#ifndef BF_XLSX_H
#define BF_XLSX_H

#include "io/sheet_impl.h"

#include <stddef.h>

/* Caps on what a workbook may make the reader read or keep. Uncompressed
 * sizes are counted while inflating, never trusted from the ZIP directory. */
typedef struct {
    size_t max_sheet_bytes; /* uncompressed bytes of the worksheet XML (1 GiB) */
    size_t max_sst_bytes;   /* uncompressed bytes of xl/sharedStrings.xml (256 MiB) */
    size_t max_sst_store;   /* bytes of the shared-string table kept in memory (256 MiB) */
    size_t max_part_bytes;  /* uncompressed bytes of every other part read (16 MiB) */
} xlsx_limits;

/* The caps xlsx_open_file() and xlsx_open_mem() use. */
void xlsx_default_limits(xlsx_limits *out);

/* xlsx_open_mem() with caller-chosen caps (each must be non-zero; max_sst_store
 * below 4 GiB). Same contract otherwise: data must outlive the reader. */
bf_status xlsx_open_mem_limits(const void *data, size_t len, const char *sheet_name,
                               const xlsx_limits *limits, void **impl, const bf_sheet_ops **ops,
                               bf_error *err);

#endif
