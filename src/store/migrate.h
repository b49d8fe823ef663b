/*
 * migrate.h - numbered schema migrations (src/store/migrations/NNNN_*.sql,
 * embedded at build time). Each database records the versions applied in
 * schema_migrations; a database newer than this program is refused.
 *
 * Migration SQL is portable; the few words that differ between backends are
 * written as placeholders the backend replaces: {{ID}} (an auto-assigned
 * BIGINT primary key), {{BLOB}} (binary column).
 */
#ifndef BF_MIGRATE_H
#define BF_MIGRATE_H

#include "store/store.h"

typedef struct {
    int version;
    const char *name;
    const char *sql;
} store_migration;

/* The embedded migrations in ascending order, ended by {0, NULL, NULL}. */
extern const store_migration store_migrations[];

/* Highest version this program knows. */
int store_migrate_latest(void);
/* The database's schema version (0 for an empty database). */
bf_status store_schema_version(bf_store *store, int *version, bf_error *err);
/* Apply every pending migration, each in its own transaction. *from and *to
 * (may be NULL) receive the versions before and after. Refuses a database whose
 * version is newer than this program (BF_ERR_SCHEMA). */
bf_status store_migrate(bf_store *store, int *from, int *to, bf_error *err);
/* store_migrate up to version target only (the migrations numbered <= target):
 * a database at an older schema, as an older bangfu left it (tests). */
bf_status store_migrate_to(bf_store *store, int target, int *from, int *to, bf_error *err);
/* BF_OK if the schema is exactly current; BF_ERR_SCHEMA with a message telling
 * the user to run `bangfu migrate` (older) or upgrade bangfu (newer). */
bf_status store_check_schema(bf_store *store, bf_error *err);

#endif
