/*
 * indicators.h - the indicators of a project-year and of a household-year,
 * computed from the registries (never typed twice), named and with units, for
 * the rules (rules_lang.h) to read. docs/indicators.md documents each one.
 *
 * A whole province is computed in one pass: a few set-based queries, each
 * ordered by the subject's code (projects, their yearly records, their assets;
 * households, their incomes, their benefits), merged in C as they stream. No
 * query runs per project or per household and memory stays flat; only the
 * small table of linked projects that failed (for the households) is held.
 *
 * The symbol tables (one per subject) are static; the values of one subject
 * live in the ind_project / ind_household passed to the callback and are valid
 * during the call only.
 */
#ifndef BF_INDICATORS_H
#define BF_INDICATORS_H

#include "core/arena.h"
#include "core/date.h"
#include "domain/rules_lang.h"
#include "domain/thresholds.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum { IND_PROJECT = 0, IND_HOUSEHOLD = 1 } ind_subject;

/* Project indicators: index = position in the project symbol table. */
typedef enum {
    IND_P_YEAR,
    IND_P_MONTHS_IDLE,
    IND_P_LOSS_YEARS,
    IND_P_INCOME,
    IND_P_INCOME_PREV,
    IND_P_INCOME_CHANGE,
    IND_P_INVESTMENT,
    IND_P_RETURN,
    IND_P_BOOK_RATIO,
    IND_P_ASSETS,
    IND_P_HOUSEHOLDS,
    IND_P_HOUSEHOLDS_PREV,
    IND_P_POOR_HOUSEHOLDS,
    IND_P_JOBS,
    IND_P_REVENUE,
    IND_P_PROFIT,
    IND_P_YEARS_OPERATING,
    IND_P_HAS_RECORD,
    IND_P_STATUS,
    IND_P_SECTOR,
    IND_P_MODE,
    IND_P_PV_CAPACITY,
    IND_P_KWH_PER_KW,
    IND_P_COUNT
} ind_project_id;

/* Household indicators. */
typedef enum {
    IND_H_YEAR,
    IND_H_INCOME,
    IND_H_INCOME_PREV,
    IND_H_INCOME_CHANGE,
    IND_H_THRESHOLD,
    IND_H_KIND,
    IND_H_RISK,
    IND_H_SIZE,
    IND_H_LINKED,
    IND_H_LINKED_FAILED,
    IND_H_LINKED_IDLE,
    IND_H_COUNT
} ind_household_id;

/* Months idle from which a linked project counts as failed for its households:
 * the plan's definition of the indicator linked_project_failed, not a
 * threshold (docs/indicators.md). A province that wants another limit writes
 * its rule on linked_project_months_idle instead. */
#define IND_LINKED_FAILED_MONTHS 6

/* The symbol table of a subject's indicators (static). */
const rl_symtab *ind_symtab(ind_subject subject);
/* What the indicator is computed from, in English (docs, --help). */
const char *ind_source(ind_subject subject, int index);
/* "project" / "household" and 项目 / 农户. */
const char *ind_subject_name(ind_subject subject);
const char *ind_subject_zh(ind_subject subject);

/* Which subjects a scan covers. */
typedef struct {
    int64_t year;
    const char *region_prefix; /* digits of a region subtree ("3601"), NULL: all */
    const char *code;          /* one subject only, NULL: all */
    bf_date cutoff;            /* end of the year, or today if earlier (ind_cutoff) */
} ind_scope;

/* The end of year, or today (bf_date_today) if that is earlier. */
bf_date ind_cutoff(int64_t year);

typedef struct {
    const char *code;
    const char *name;
    const char *region_code;
    rl_value values[IND_P_COUNT];
} ind_project;

typedef struct {
    const char *code;
    const char *region_code;
    rl_value values[IND_H_COUNT];
} ind_household;

typedef bf_status (*ind_project_fn)(void *ctx, const ind_project *project, bf_error *err);
typedef bf_status (*ind_household_fn)(void *ctx, const ind_household *household, bf_error *err);

/* The counties [clo, chi) of a region subtree given by its digits (ind_scope's
 * region_prefix, not empty), and whether the subtree is whole counties (a
 * county, a city, the province), so that the county range alone selects it;
 * false for a part of a county (clo then is its county). */
bool ind_scope_counties(const char *prefix, char clo[7], char chi[7]);

/* Compute the indicators of every project in scope that exists in the year
 * (start_year <= year, not disposed), in county key order ((county_code,
 * code): the keys' order, no sort), calling fn for each; a
 * non-OK status from fn stops the scan and is returned. */
bf_status ind_scan_projects(bf_store *store, const ind_scope *scope, ind_project_fn fn, void *ctx,
                            bf_error *err);

/* Projects that are stopped, idle (with their idle months) or in a
 * termination case, for the households' linkage indicators. Allocated in an
 * arena. */
typedef struct ind_linked ind_linked;

/* Load every stopped, idle or terminated project of the province (whatever
 * the scope: a household may benefit from a project elsewhere). A project is
 * in a termination case when the county's decision standing at the year (the
 * confirmed batch of the latest year up to it that has one) is the
 * candidate-only batch (另起炉灶); proposals, including those of the run in
 * progress, never count. */
bf_status ind_linked_load(bf_store *store, int64_t year, bf_date cutoff, bf_arena *arena,
                          ind_linked **out, bf_error *err);

/* Compute the indicators of every household in scope, in county key order
 * ((county_code, code)). years_store, when not NULL, is a second connection
 * that reads the incomes (the households and their projects are read on
 * store): on PostgreSQL, one in a transaction sharing store's snapshot
 * (store_pg_share_snapshot), so the server produces the streams on two
 * backends at once. */
bf_status ind_scan_households(bf_store *store, bf_store *years_store, const ind_scope *scope,
                              const thr_table *thresholds, const ind_linked *linked,
                              ind_household_fn fn, void *ctx, bf_error *err);

/* Whole months of an idle spell that began on idle_since ("YYYY-MM-DD"),
 * counted up to cutoff; 0 if the text is not a date or the spell starts after
 * cutoff. */
int64_t ind_idle_months(const char *idle_since, size_t len, bf_date cutoff);

/* The digits that identify a region subtree: the 12-digit code without its
 * trailing zero levels (360000000000 -> "36", 360102000000 -> "360102"). */
void ind_region_prefix(const char *code12, char out[13]);

/* Append the values of a subject as a compact JSON array in symbol-table order
 * ([2025,5,0,...]; enum ids as strings, unknown as null) to out: the snapshot
 * kept with a result. New indicators are only ever appended to the tables, so
 * an older, shorter snapshot still reads correctly. */
bf_status ind_snapshot_json(ind_subject subject, const rl_value *values, bf_buf *out);

/* Turn a stored snapshot (the array above) into a JSON object keyed by
 * indicator name ({"year":2025,"months_idle":5,...}) appended to out. Text that
 * is not such an array (an object, or malformed) is appended unchanged. */
bf_status ind_snapshot_object(ind_subject subject, const char *text, size_t len, bf_buf *out);

#endif
