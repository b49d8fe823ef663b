/*
 * stats.c - registry counts scoped to a region subtree by code range.
 */
#include "domain/stats.h"

#include <string.h>

/* For each registry, how to count it within a code range [?1, ?2). */
static const char *const count_sql[TPL_KIND_COUNT] = {
    [TPL_REGIONS] = "SELECT COUNT(*) FROM regions WHERE code >= ? AND code < ?",
    [TPL_PROJECTS] = "SELECT COUNT(*) FROM projects WHERE region_code >= ? AND region_code < ?",
    [TPL_ASSETS] = "SELECT COUNT(*) FROM assets a JOIN projects p ON p.code = a.project_code "
                   "WHERE p.region_code >= ? AND p.region_code < ?",
    [TPL_PROJECT_YEARS] =
        "SELECT COUNT(*) FROM project_years y JOIN projects p "
        "ON p.code = y.project_code WHERE p.region_code >= ? AND p.region_code < ?",
    [TPL_HOUSEHOLDS] = "SELECT COUNT(*) FROM households WHERE region_code >= ? AND region_code < ?",
    [TPL_MEMBERS] = "SELECT COUNT(*) FROM members m JOIN households h ON h.code = m.household_code "
                    "WHERE h.region_code >= ? AND h.region_code < ?",
    [TPL_HOUSEHOLD_YEARS] =
        "SELECT COUNT(*) FROM household_years y JOIN households h "
        "ON h.code = y.household_code WHERE h.region_code >= ? AND h.region_code < ?",
    [TPL_BENEFITS] =
        "SELECT COUNT(*) FROM benefits b JOIN households h ON h.code = b.household_code "
        "WHERE h.region_code >= ? AND h.region_code < ?",
};

/* Unscoped counts avoid the joins. */
static const char *const count_all_sql[TPL_KIND_COUNT] = {
    [TPL_REGIONS] = "SELECT COUNT(*) FROM regions",
    [TPL_PROJECTS] = "SELECT COUNT(*) FROM projects",
    [TPL_ASSETS] = "SELECT COUNT(*) FROM assets",
    [TPL_PROJECT_YEARS] = "SELECT COUNT(*) FROM project_years",
    [TPL_HOUSEHOLDS] = "SELECT COUNT(*) FROM households",
    [TPL_MEMBERS] = "SELECT COUNT(*) FROM members",
    [TPL_HOUSEHOLD_YEARS] = "SELECT COUNT(*) FROM household_years",
    [TPL_BENEFITS] = "SELECT COUNT(*) FROM benefits",
};

bf_status stats_count(bf_store *store, const char *region, stats_counts *out, bf_error *err)
{
    memset(out, 0, sizeof *out);
    char lo[13] = "", hi[13] = "";
    if (region) {
        char code[13];
        const char *reason = NULL;
        if (!bf_region_code_normalize(region, strlen(region), code, &reason))
            return bf_error_set(err, BF_ERR_USAGE, "区划代码 %s 无效：%s", region,
                                reason ? reason : "");
        bf_region_code_range(code, lo, hi);
    }
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(store,
                                 region ? "SELECT level, COUNT(*) FROM regions WHERE code >= ? AND "
                                          "code < ? GROUP BY level"
                                        : "SELECT level, COUNT(*) FROM regions GROUP BY level",
                                 &stmt, err);
    if (rc)
        return rc;
    if (region) {
        store_bind_str(stmt, 1, lo);
        store_bind_str(stmt, 2, hi);
    }
    for (;;) {
        bool has_row = false;
        rc = store_step(stmt, &has_row, err);
        if (rc || !has_row)
            break;
        int64_t level = store_column_int64(stmt, 0);
        if (level >= BF_LEVEL_PROVINCE && level <= BF_LEVEL_VILLAGE)
            out->regions[level] = store_column_int64(stmt, 1);
    }
    store_finalize(stmt);
    for (int kind = 0; rc == BF_OK && kind < TPL_KIND_COUNT; kind++) {
        if (region)
            rc = store_query_int64(store, count_sql[kind], &out->records[kind], err, 2, lo, hi);
        else
            rc = store_query_int64(store, count_all_sql[kind], &out->records[kind], err, 0);
    }
    return rc;
}

json_t *stats_to_json(const stats_counts *counts)
{
    json_t *root = json_object();
    json_t *regions = json_object();
    if (!root || !regions) {
        json_decref(root);
        json_decref(regions);
        return NULL;
    }
    for (int level = BF_LEVEL_PROVINCE; level <= BF_LEVEL_VILLAGE; level++)
        json_object_set_new(regions, bf_region_level_name((bf_region_level)level),
                            json_integer(counts->regions[level]));
    json_object_set_new(root, "regions", regions);
    for (int kind = TPL_PROJECTS; kind < TPL_KIND_COUNT; kind++)
        json_object_set_new(root, tpl_get((tpl_kind)kind)->name,
                            json_integer(counts->records[kind]));
    return root;
}
