/*
 * query_summary.h - the dashboard figures: counts and sums by batch, sector,
 * status, child region, household kind and risk status, for any region and
 * year, answered in milliseconds at province scale.
 *
 * They come from summary_cells, subtree totals precomputed for every region
 * of levels 1-4 (province, city, county, township) and every year that has
 * yearly records, plus year 0 for the current state without yearly figures.
 * A village (level 5) is computed live from the registries (it is small).
 * summary_rebuild() recomputes all cells in one pass over the registries and
 * records a fingerprint of them (row count, sum of versions and latest
 * updated_at per table); summary_refresh() rebuilds only when the
 * fingerprint moved, so writes from anywhere (API, import, demo, classify)
 * show up at the next refresh (the server refreshes before a summary answer
 * whenever the database's data version moved). Households are not yearly:
 * their figures are those of year 0.
 *
 * Projects count in year Y when they started in or before Y; batch is the
 * confirmed batch of Y if any, else the proposal, else "unclassified".
 */
#ifndef BF_QUERY_SUMMARY_H
#define BF_QUERY_SUMMARY_H

#include "core/status.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Recompute every cell (one transaction). */
bf_status summary_rebuild(bf_store *store, bf_error *err);
/* Rebuild if the registries changed since the last build (or never built);
 * *rebuilt (may be NULL) tells whether it did. */
bf_status summary_refresh(bf_store *store, bool *rebuilt, bf_error *err);
/* The latest year with yearly project records (0 if none). */
bf_status summary_latest_year(bf_store *store, int64_t *year, bf_error *err);

/* The summary of a region (12 digits) for a year (0: the latest year) as the
 * JSON of the API (docs/api/openapi.yaml, Summary). BF_ERR_NOT_FOUND for an
 * unknown region. New reference in *out. */
bf_status summary_get(bf_store *store, const char *region_code, int64_t year, json_t **out,
                      bf_error *err);

/* Project and household counts of each child region of a region (year 0),
 * as a JSON object {child_code: {"projects": n, "households": n}}. */
bf_status summary_child_counts(bf_store *store, const char *region_code, json_t **out,
                               bf_error *err);

#endif
