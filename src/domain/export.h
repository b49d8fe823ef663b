/*
 * export.h - reading a registry back out in its import template, scoped to a
 * region subtree: as rows of cells for any writer, or straight into a CSV
 * (UTF-8 with BOM, so Excel opens it correctly) or XLSX file.
 * import(export(db)) gives the same database.
 */
#ifndef BF_EXPORT_H
#define BF_EXPORT_H

#include "core/status.h"
#include "domain/pii.h"
#include "domain/template.h"
#include "io/sheet.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdio.h>

typedef enum { EXPORT_CSV, EXPORT_XLSX } export_format;

typedef struct {
    const char *region_code; /* 12-digit code: only its subtree; NULL for everything */
    bool reveal;             /* decrypt ID numbers (needs keys) instead of masking */
    const pii_keys *keys;
    bool header_aliases; /* English aliases as headers instead of Chinese */
} export_options;

/* Called once with the header (row->number 1) and once per record; return
 * non-zero to stop (the export then fails with BF_ERR_IO). */
typedef int (*export_row_fn)(void *ctx, const bf_row *row);

bf_status export_rows(bf_store *store, tpl_kind kind, const export_options *options,
                      export_row_fn fn, void *ctx, bf_error *err);

/* Write the whole registry to path ("-" or NULL: stdout, CSV only). The file is
 * written to a temporary name and renamed into place. */
bf_status export_file(bf_store *store, tpl_kind kind, export_format format, const char *path,
                      const export_options *options, long *rows_written, bf_error *err);

/* An empty template (header row only) as XLSX or CSV at path. */
bf_status export_empty_template(tpl_kind kind, export_format format, const char *path,
                                bf_error *err);

#endif
