/*
 * query_registry.h - reading and writing the registries for the API, always
 * inside a scope: the region subtree [lo, hi) of the account and, for
 * evaluators, only the projects assigned to them. A record outside the
 * scope is treated exactly like a record that does not exist.
 *
 * One definition per registry (reg_def, a table in query_registry.c) says
 * how to reach its region (directly or through its project/household), which
 * query parameters filter it, what text search looks at, and the audit
 * entity name. Columns, JSON field names and types come from the registry
 * templates (domain/template.h), so nothing is listed twice.
 *
 * Writes go through the importer (domain/import.h) as a one-row sheet inside
 * the caller's transaction, so the API applies exactly the validation rules
 * of spreadsheet import; its first error becomes a 422 naming the field.
 * Updates take the record's version (optimistic concurrency) and claim the
 * row with `UPDATE ... WHERE version = ?` first, so of two writers holding
 * the same version exactly one wins and the other gets BF_ERR_CONFLICT.
 * Every write is audited (before/after as JSON) in the same transaction.
 *
 * JSON values returned are new jansson references owned by the caller.
 */
#ifndef BF_QUERY_REGISTRY_H
#define BF_QUERY_REGISTRY_H

#include "core/status.h"
#include "domain/pii.h"
#include "domain/template.h"
#include "store/store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define REG_MAX_KEYS      3
#define REG_MAX_PAGE_SIZE 500

typedef struct reg_def reg_def;

typedef struct {
    char lo[13], hi[13];  /* region subtree [lo, hi) */
    int64_t evaluator_id; /* > 0: only projects assigned to this account */
    const pii_keys *keys; /* for households: look-up by ID number, writes, reveal */
    const char *actor;    /* account name for the audit trail */
    const char *address;  /* client address for the audit trail */
} reg_scope;

typedef struct {
    const char *name;
    const char *value;
} reg_param;

/* The definition of a resource by its URL name ("projects", "assets",
 * "project-years", "households", "household-years", "benefits"); NULL if none. */
const reg_def *reg_find(const char *resource);
/* Its template. */
const tpl_template *reg_template(const reg_def *def);
/* Number of key fields (path parameters of a record). */
int reg_key_count(const reg_def *def);

/* A page of records: {"items": [...], "total", "page", "page_size"}. Unknown
 * parameters are ignored; a malformed value is BF_ERR_USAGE (400). */
bf_status reg_list(bf_store *store, const reg_def *def, const reg_scope *scope,
                   const reg_param *params, size_t nparams, json_t **out, bf_error *err);

/* One record by its key values (as text); BF_ERR_NOT_FOUND if absent or out of
 * scope. *version receives the version (0 if the registry has none). With
 * detail, projects include their assets and years, households their members
 * and years. */
bf_status reg_get(bf_store *store, const reg_def *def, const reg_scope *scope,
                  const char *const *keys, bool detail, json_t **out, int64_t *version,
                  bf_error *err);

/* Create a record from a JSON object of template fields (households may carry
 * "members"). BF_ERR_CONFLICT if the key exists, BF_ERR_INVALID (field set)
 * for bad values or a region/parent outside the scope. Commits. */
bf_status reg_create(bf_store *store, const reg_def *def, const reg_scope *scope, json_t *body,
                     json_t **out, int64_t *version, bf_error *err);

/* Change the fields present in body of the record with these keys, if its
 * version is still if_version. Key fields may be repeated but not changed.
 * Commits. */
bf_status reg_update(bf_store *store, const reg_def *def, const reg_scope *scope,
                     const char *const *keys, int64_t if_version, json_t *body, json_t **out,
                     int64_t *version, bf_error *err);

/* Delete a record (benefits only; other registries refuse with BF_ERR_STATE). */
bf_status reg_delete(bf_store *store, const reg_def *def, const reg_scope *scope,
                     const char *const *keys, bf_error *err);

/* The full ID numbers of a household in scope (decrypted; audited as "reveal"). */
bf_status reg_reveal(bf_store *store, const reg_scope *scope, const char *household, json_t **out,
                     bf_error *err);

/* Add a member ({id_number, name, relation}, checked as a members import row)
 * to a household in scope; *out gets the member (masked number). 404 for a
 * household outside the scope, BF_ERR_CONFLICT if the person is already its
 * member, BF_ERR_INVALID (field set) for bad values or a person registered in
 * another household. Audited ("create", entity "member"). Commits. */
bf_status reg_member_add(bf_store *store, const reg_scope *scope, const char *household,
                         json_t *body, json_t **out, bf_error *err);
/* Remove a member (member_id: the "id" of the member in the household's
 * detail) from a household in scope. 404 if either is absent or out of scope,
 * BF_ERR_STATE for the head of the household. Audited ("delete"). Commits. */
bf_status reg_member_remove(bf_store *store, const reg_scope *scope, const char *household,
                            const char *member_id, bf_error *err);

/* Write a value of a template column as the text a spreadsheet cell would hold
 * (money in yuan, kW, ...) - used to merge updates and by tests. */
void reg_format_cell(const tpl_column *col, int64_t value, char *out, size_t out_size);

#endif
