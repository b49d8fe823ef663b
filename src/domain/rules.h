/*
 * rules.h - rule sets as data: each has a year and a version, and holds the
 * rules that propose a batch (四个一批) for a project or raise a warning for a
 * project or a household. Rule sets are imported from and exported to CSV
 * (or XLSX) spreadsheets, checked as a whole before anything is saved (one bad
 * rule rejects the set), and never changed once saved: an import adds a
 * version and old versions are kept. Owns the tables batches, rule_sets and
 * rules (migration 0002), and the default set data/default_rules.csv that
 * `bangfu init` installs when the database has no rule set.
 *
 * Ownership: a rule_set and everything in it (rules, compiled conditions)
 * lives in the set's own arena, released by rules_set_free().
 */
#ifndef BF_RULES_H
#define BF_RULES_H

#include "core/arena.h"
#include "core/status.h"
#include "domain/indicators.h"
#include "domain/rules_lang.h"
#include "io/sheet.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define RULES_MAX_RULES   200
#define RULES_MAX_CODE    32  /* bytes of a rule code */
#define RULES_MAX_NAME    200 /* bytes of a rule name */
#define RULES_MAX_OUTCOME 64  /* bytes of a warning type */
#define RULES_MAX_BATCHES 16

typedef enum {
    RULE_BATCH = 0,
    RULE_PROJECT_WARNING = 1,
    RULE_HOUSEHOLD_WARNING = 2,
    RULE_KIND_COUNT
} rule_kind;

typedef struct {
    const char *code; /* "T1" */
    const char *name; /* "另起炉灶：长期停产闲置" */
    rule_kind kind;
    const char *outcome;     /* batch id for batch rules, warning type otherwise */
    int64_t priority;        /* smaller first */
    const char *condition;   /* source text */
    const char *explanation; /* template source */
    long row;                /* spreadsheet row it came from (0 when loaded from the database) */
    rl_program *program;
    rl_template *template_;
} rule;

typedef struct {
    int64_t id; /* 0 until saved */
    int64_t year;
    int64_t version;
    const char *source;
    const char *note;
    const char *created_by;
    int64_t created_at;
    rule *rules; /* sorted by kind, then priority, then code */
    size_t nrules;
    bf_arena *arena;
} rule_set;

/* The batches (labels are data: table batches). */
typedef struct {
    char id[32];
    char label[64];
    int64_t rank;
    bool fallback;
    bool candidate_only;
} batch_def;

typedef struct {
    batch_def items[RULES_MAX_BATCHES];
    size_t count;
    int fallback; /* index of the fallback batch */
} batch_table;

/* Load the batches in rank order. BF_ERR_SCHEMA if none or no fallback. */
bf_status rules_batches_load(bf_store *store, batch_table *out, bf_error *err);
/* Index of the batch whose id or label is text, or -1. */
int rules_batch_find(const batch_table *batches, const char *text, size_t len);

/* Names of a kind: "batch" / "project_warning" / "household_warning" and
 * 批次 / 项目预警 / 农户预警. */
const char *rules_kind_name(rule_kind kind);
const char *rules_kind_zh(rule_kind kind);
/* The subject whose indicators a kind of rule reads. */
ind_subject rules_kind_subject(rule_kind kind);

/* One problem found while reading or checking a set. diag is set (and source is
 * the condition or template it points into) for errors inside a condition or an
 * explanation template. */
typedef struct {
    long row;              /* spreadsheet row, 0 for the set as a whole */
    const char *rule_code; /* "" if unknown */
    const char *column;    /* Chinese column header, "" for the row */
    const char *message;   /* Chinese */
    const rl_diag *diag;
    const char *source;
} rules_problem;

typedef void (*rules_problem_fn)(void *ctx, const rules_problem *problem);

/* Read a rule set from a sheet (header row then one rule per row; columns in
 * docs/rules.md) and check it whole. year > 0 gives the set's year (the 年度
 * column may then be absent or must agree); otherwise every row's 年度 must
 * name the same year. Every problem goes to fn; any problem makes the result
 * BF_ERR_INVALID and *out NULL. */
bf_status rules_read_sheet(bf_sheet *sheet, const batch_table *batches, int64_t year,
                           rules_problem_fn fn, void *ctx, rule_set **out, bf_error *err);

/* Save a checked set as the next version of its year (one transaction);
 * fills set->id, version, created_at. */
bf_status rules_save(bf_store *store, rule_set *set, const char *source, const char *note,
                     const char *actor, bf_error *err);

typedef struct {
    int64_t year;       /* > 0: the set's year, overriding the file */
    const char *source; /* recorded with the set (file name) */
    const char *note;
    const char *actor; /* who imports (required) */
    bool dry_run;      /* check only */
} rules_import_options;

/* Read, check and (unless dry_run) save a rule set from a spreadsheet file or
 * from memory. Returns BF_ERR_INVALID when the set has problems (reported to
 * fn; nothing saved). On success *out (may be NULL) gets the saved set. */
bf_status rules_import_file(bf_store *store, const char *path, const rules_import_options *options,
                            rules_problem_fn fn, void *ctx, rule_set **out, bf_error *err);
bf_status rules_import_mem(bf_store *store, const void *data, size_t len,
                           const rules_import_options *options, rules_problem_fn fn, void *ctx,
                           rule_set **out, bf_error *err);

/* The set in force for year: the latest version of the latest year not after
 * it, else of the earliest year. BF_ERR_NOT_FOUND if there is no rule set. */
bf_status rules_load_for_year(bf_store *store, int64_t year, rule_set **out, bf_error *err);
/* A given version of a year (version 0: the latest of exactly that year). */
bf_status rules_load_version(bf_store *store, int64_t year, int64_t version, rule_set **out,
                             bf_error *err);
/* A set by id. */
bf_status rules_load_id(bf_store *store, int64_t id, rule_set **out, bf_error *err);
void rules_set_free(rule_set *set);

/* Write a set as CSV (UTF-8 with BOM; Chinese headers, or the English aliases). */
bf_status rules_write_csv(const rule_set *set, const batch_table *batches, bool aliases, FILE *fp,
                          bf_error *err);

/* Install the embedded default set (data/default_rules.csv) if the database
 * has no rule set at all. Idempotent; the init hook. */
bf_status rules_install_default(bf_store *store, bf_error *err);

typedef struct {
    int64_t id, year, version;
    const char *source, *note, *created_by;
    int64_t created_at;
    int64_t nrules;
    bool latest; /* the latest version of its year */
} rules_set_info;

typedef bf_status (*rules_set_fn)(void *ctx, const rules_set_info *info, bf_error *err);

/* Every saved set (year 0) or those of a year, by year and version. */
bf_status rules_list_sets(bf_store *store, int64_t year, rules_set_fn fn, void *ctx, bf_error *err);

#endif
