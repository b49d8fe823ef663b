/*
 * thresholds.h - the yearly monitoring thresholds (监测范围, yuan per person
 * per year) of the return-to-poverty monitoring, as data: set per year and
 * region (normally the province), never written in code. Owns the thresholds
 * table (migration 0002); every change adds a row, so the history is kept and
 * the latest row for a (year, region) is the one in force.
 */
#ifndef BF_THRESHOLDS_H
#define BF_THRESHOLDS_H

#include "core/status.h"
#include "io/sheet.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

#define THR_MAX 512 /* thresholds in force for one year (one per region at most) */

typedef struct {
    char region_code[13]; /* 12 digits */
    char prefix[13];      /* the code without its trailing zero levels ("36") */
    size_t prefix_len;
    int64_t fen; /* per person per year */
} thr_entry;

/* The thresholds in force for one year. A plain value (no ownership). */
typedef struct {
    int64_t year;
    size_t count;
    thr_entry entries[THR_MAX];
} thr_table;

/* Load the thresholds in force for year into *out (count 0 if none is set). */
bf_status thr_load_year(bf_store *store, int64_t year, thr_table *out, bf_error *err);

/* The threshold for a household in region_code (12 digits): the entry of the
 * closest enclosing region (county over city over province). false if none. */
bool thr_lookup(const thr_table *table, const char *region_code, int64_t *fen);

/* Set the threshold of year for region_code (12 digits; NULL: the only
 * province in the regions table) to fen per person per year. actor is who
 * sets it (required); note may be NULL. Writes a new row (history kept).
 * BF_ERR_INVALID with a Chinese message for a bad year, amount or region. */
bf_status thr_set(bf_store *store, int64_t year, const char *region_code, int64_t fen,
                  const char *actor, const char *note, bf_error *err);

typedef struct {
    int64_t id;
    int64_t year;
    const char *region_code;
    const char *region_name; /* "" if the region is not in the regions table */
    int64_t fen;
    const char *set_by;
    int64_t set_at; /* epoch seconds, UTC */
    const char *note;
    bool current; /* the row in force for its year and region */
} thr_row;

typedef bf_status (*thr_row_fn)(void *ctx, const thr_row *row, bf_error *err);

/* Rows by year then region: only those in force, or with history every row
 * (newest first within a year and region). year 0: every year. */
bf_status thr_list(bf_store *store, int64_t year, bool history, thr_row_fn fn, void *ctx,
                   bf_error *err);

/* One problem of an imported file (row as the spreadsheet shows it). */
typedef void (*thr_problem_fn)(void *ctx, long row, const char *column, const char *value,
                               const char *reason);

/* Import thresholds from a sheet with columns 年度 (year), 区划代码 (region_code,
 * optional: the province), 监测范围 (yuan; also 监测范围（元）), 备注 (note,
 * optional). Checked as a whole: any bad row rejects the file (BF_ERR_INVALID,
 * every problem reported to fn) and nothing is written. *count gets the rows
 * written. */
bf_status thr_import_sheet(bf_store *store, bf_sheet *sheet, const char *actor, thr_problem_fn fn,
                           void *ctx, long *count, bf_error *err);

/* The region code of the only province (level 1) in the regions table into
 * out; BF_ERR_INVALID (message asks for --region) if there is none or several. */
bf_status thr_default_province(bf_store *store, char out[13], bf_error *err);

#endif
