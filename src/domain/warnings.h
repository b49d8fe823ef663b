/*
 * warnings.h - risk warnings of projects and households and their life:
 * open -> acknowledged -> resolved, each step with who, when and a note.
 *
 * Warnings are raised by rules (rules.h) during a classification run, through
 * a warn_sync: a subject that a rule finds again does not get a second live
 * warning; a resolved warning whose condition still holds is not reopened but
 * counted; a live warning that the run no longer finds is neither closed nor
 * hidden: it is marked not firing and counted, so the user decides. Owns the
 * warnings table (migration 0002).
 */
#ifndef BF_WARNINGS_H
#define BF_WARNINGS_H

#include "core/status.h"
#include "domain/indicators.h"
#include "domain/rules.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum { WARN_OPEN = 0, WARN_ACKNOWLEDGED, WARN_RESOLVED, WARN_STATUS_COUNT } warn_status;

/* "open" / "acknowledged" / "resolved" and 待处理 / 已知悉 / 已解除. */
const char *warn_status_name(warn_status status);
const char *warn_status_zh(warn_status status);
/* Status by English name or Chinese label; -1 if unknown. */
int warn_status_find(const char *text);

/* What one run did to the warnings of one kind of subject. */
typedef struct {
    long firing;           /* subject-rule pairs whose condition holds */
    long opened;           /* new warnings */
    long still_live;       /* holds again for a live (open or acknowledged) warning */
    long resolved_still;   /* holds again although resolved (not reopened) */
    long no_longer_firing; /* live warnings this run did not find again (left open) */
} warn_counts;

typedef struct warn_sync warn_sync;

/* Start synchronising the warnings of year (region subtree prefix or NULL)
 * within the caller's transaction: loads the existing warnings. */
bf_status warn_sync_begin(bf_store *store, int64_t year, const char *region_prefix, int64_t run_id,
                          int64_t rule_set_id, warn_sync **out, bf_error *err);
/* A warning rule holds for a subject with these indicator values: open a
 * warning (its explanation filled in from the rule's template) unless one is
 * live. A live warning keeps the explanation it was opened with: it says why
 * it was raised; only its firing flag follows later runs. */
bf_status warn_sync_fire(warn_sync *sync, ind_subject subject, const char *code,
                         const char *region_code, const rule *r, const rl_value *values,
                         bf_error *err);
/* Finish: live warnings of the covered subjects not found again are marked not
 * firing. Fills counts[IND_PROJECT] and counts[IND_HOUSEHOLD]. */
bf_status warn_sync_finish(warn_sync *sync, const bool covered[2], warn_counts counts[2],
                           bf_error *err);
void warn_sync_free(warn_sync *sync);

typedef struct {
    int64_t id;
    ind_subject subject;
    const char *subject_code;
    const char *region_code;
    int64_t year;
    const char *rule_code;
    const char *rule_name;
    const char *warning_type;
    const char *explanation;
    warn_status status;
    bool firing;
    int64_t opened_at;
    const char *acknowledged_by;
    int64_t acknowledged_at;
    const char *acknowledged_note;
    const char *resolved_by;
    int64_t resolved_at;
    const char *resolved_note;
} warn_row;

typedef struct {
    const char *region_prefix; /* NULL: everywhere */
    int64_t year;              /* 0: every year */
    int status;                /* warn_status, or -1 for any */
    int subject;               /* ind_subject, or -1 for both */
    int64_t id;                /* > 0: only that warning */
    int64_t limit;             /* > 0: at most this many rows (a page) ... */
    int64_t offset;            /* ... after skipping this many */
} warn_filter;

typedef bf_status (*warn_row_fn)(void *ctx, const warn_row *row, bf_error *err);

/* Warnings matching filter, by year, subject kind, subject code, rule; a page
 * (filter->limit > 0) newest first instead. */
bf_status warn_list(bf_store *store, const warn_filter *filter, warn_row_fn fn, void *ctx,
                    bf_error *err);

/* How many warnings match filter (its limit and offset ignored). */
bf_status warn_count(bf_store *store, const warn_filter *filter, int64_t *total, bf_error *err);

/* Move warning id to `to` (acknowledged or resolved) by actor with a note
 * (required to resolve). Allowed: open -> acknowledged, open -> resolved,
 * acknowledged -> resolved. county (6 digits; NULL: look in every county)
 * names the warning's county_code, so the statements stay in one county.
 * BF_ERR_NOT_FOUND, BF_ERR_STATE (with the current status in the message) or
 * BF_ERR_INVALID otherwise. */
bf_status warn_transition(bf_store *store, int64_t id, const char *county, warn_status to,
                          const char *actor, const char *note, bf_error *err);

#endif
