/*
 * classify.h - the four batches (四个一批) and the risk warnings for a whole
 * province in one pass, every result explained.
 *
 * classify_run computes the indicators of every project (and household) in
 * scope, proposes for each project the batch of the first batch rule that
 * holds, by priority (the fallback batch, 巩固, when none does), records the
 * rule, its rule set and the indicator values it saw, and raises warnings
 * (warnings.h). A re-run writes only what changed: a project whose batch, rule,
 * explanation and values are all unchanged is not touched. 另起炉灶 from a rule
 * is only a candidate: nothing here disposes of anything.
 *
 * A county user confirms a proposal or overrides it with a reason
 * (classify_decide); the history of proposals and decisions is kept in
 * classification_history and never changed.
 *
 * These are the domain functions the CLI and the HTTP API call. Owns the
 * tables classifications, classification_history and classify_runs.
 */
#ifndef BF_CLASSIFY_H
#define BF_CLASSIFY_H

#include "core/arena.h"
#include "core/status.h"
#include "domain/rules.h"
#include "domain/warnings.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

#define CLASSIFY_MIN_YEAR 2000
#define CLASSIFY_MAX_YEAR 2100

typedef struct {
    int64_t year;
    const char *region_code; /* 12-digit code of a region subtree, NULL: everything */
    const char *actor;       /* who runs it (recorded); NULL allowed */
} classify_options;

typedef struct {
    int64_t run_id;
    int64_t rule_set_id, rule_set_year, rule_set_version;
    batch_table batches;
    long projects;                     /* projects classified */
    long per_batch[RULES_MAX_BATCHES]; /* by batch index */
    long fallback;                     /* projects no batch rule matched */
    long first;                        /* projects without an earlier result */
    long changed;                      /* batch changed from the earlier result */
    long changed_confirmed;            /* ... of which had been confirmed (please review) */
    long updated;                      /* same batch, rule or values changed (no history) */
    long unchanged;
    bool had_previous;                                      /* some project had an earlier result */
    long transitions[RULES_MAX_BATCHES][RULES_MAX_BATCHES]; /* [old][new], changed only */
    long households;                                        /* households evaluated */
    bool households_parallel; /* households were read on a second connection, in a thread */
    bool projects_parallel;   /* projects were read on a second connection, in a thread */
    bool household_rules;     /* the set has household warning rules */
    bool threshold_set;       /* a monitoring threshold exists for the year */
    warn_counts warnings[2];  /* [IND_PROJECT], [IND_HOUSEHOLD] */
} classify_result;

/* Classify every project in scope for options->year and raise warnings, in one
 * transaction. BF_ERR_NOT_FOUND without a rule set; BF_ERR_INVALID for a bad
 * year. */
bf_status classify_run(bf_store *store, const classify_options *options, classify_result *result,
                       bf_error *err);

/* ---- explanation ---- */

typedef struct {
    const char *name;  /* months_idle */
    const char *zh;    /* 闲置月数 */
    const char *value; /* "5" / "1234.50" / "停产" / "无数据" */
    const char *unit;  /* "个月" ("" when unknown or none) */
    const char *raw;   /* machine value ("" when unknown) */
} classify_indicator_view;

typedef struct {
    const rule *rule;
    rl_truth truth;
    const char *explanation; /* filled-in template (rules that hold) */
    const char *failure;     /* lines saying which parts failed (rules that do not hold) */
} classify_rule_view;

typedef struct {
    const char *project_code, *project_name, *region_code;
    int64_t year;
    const rule_set *set;
    const batch_table *batches;
    classify_indicator_view *indicators;
    size_t nindicators;
    classify_rule_view *batch_rules; /* in priority order up to and including the one that fired */
    size_t nbatch_rules;
    int batch;     /* index into batches */
    bool fallback; /* no rule fired */
    const char *explanation;
    classify_rule_view *warnings; /* project warning rules that hold */
    size_t nwarnings;
    /* the stored result, if any */
    bool stored;
    const char *stored_batch; /* label */
    const char *stored_rule;
    int64_t stored_rule_set_version;
    int64_t stored_at;
    const char *confirmed_batch; /* label, NULL if not decided */
    const char *confirmed_by;
    const char *reason;
    int64_t confirmed_at;
} classify_explanation;

/* Explain the classification of one project in a year with the rule set now
 * in force: indicators, the rule that fires with its explanation, and for
 * each higher-priority rule which part of its condition failed; plus the
 * stored result. Everything lives in arena (and in *set_out, which the caller
 * frees with rules_set_free). BF_ERR_NOT_FOUND for an unknown project or one
 * outside the year. */
bf_status classify_explain(bf_store *store, const char *project_code, int64_t year, bf_arena *arena,
                           classify_explanation *out, rule_set **set_out, bf_error *err);

/* ---- decisions ---- */

typedef struct {
    bool overridden;   /* the decided batch differs from the proposal */
    char proposed[64]; /* labels */
    char decided[64];
    bool candidate_only; /* the decided batch is only a candidate (另起炉灶) */
} classify_decision;

/* Confirm the proposal (batch NULL or equal to it) or override it (another
 * batch, by id or label; reason required) for a project and year, by actor.
 * Records the decision in the history. BF_ERR_NOT_FOUND if the project has no
 * proposal for the year. */
bf_status classify_decide(bf_store *store, const char *project_code, int64_t year,
                          const char *batch, const char *actor, const char *reason,
                          classify_decision *out, bf_error *err);

/* ---- listing ---- */

typedef struct {
    const char *project_code, *project_name, *region_code;
    int64_t year;
    const char *proposed_batch; /* label */
    bool candidate_only;
    const char *rule_code; /* "" for the fallback */
    const char *rule_name;
    const char *explanation;
    const char *indicators; /* JSON object of the indicator values it saw */
    int64_t rule_set_id;
    int64_t proposed_at;
    const char *confirmed_batch; /* label, "" if not decided */
    const char *confirmed_by;
    int64_t confirmed_at;
    const char *reason;
} classify_row;

typedef bf_status (*classify_row_fn)(void *ctx, const classify_row *row, bf_error *err);

/* Every result of a year in a region subtree (prefix digits, NULL: all), by
 * project code. batch (id or label, NULL: any) filters on the proposal. */
bf_status classify_list(bf_store *store, int64_t year, const char *region_prefix, const char *batch,
                        classify_row_fn fn, void *ctx, bf_error *err);

typedef struct {
    const char *event; /* proposed, confirmed, overridden */
    const char *batch; /* label */
    const char *previous_batch;
    const char *rule_code;
    const char *explanation;
    const char *actor;
    const char *reason;
    int64_t at;
} classify_event;

typedef bf_status (*classify_event_fn)(void *ctx, const classify_event *event, bf_error *err);

/* The history of a project's classification in a year, oldest first. */
bf_status classify_history(bf_store *store, const char *project_code, int64_t year,
                           classify_event_fn fn, void *ctx, bf_error *err);

#endif
