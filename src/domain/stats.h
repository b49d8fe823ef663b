/*
 * stats.h - counts of regions per level and of every registry within a
 * region subtree (bangfu stats, health checks, tests).
 */
#ifndef BF_STATS_H
#define BF_STATS_H

#include "domain/template.h"
#include "io/validate.h"
#include "store/store.h"

#include <jansson.h>
#include <stdint.h>

typedef struct {
    int64_t regions[BF_LEVEL_VILLAGE + 1]; /* indexed by bf_region_level */
    int64_t records[TPL_KIND_COUNT];       /* indexed by tpl_kind (TPL_REGIONS: all regions) */
} stats_counts;

/* Count within the subtree of region (any 2-12 digit code; NULL for all). */
bf_status stats_count(bf_store *store, const char *region, stats_counts *out, bf_error *err);

/* {"regions":{"province":1,...},"projects":0,...}; new reference, NULL on OOM. */
json_t *stats_to_json(const stats_counts *counts);

#endif
