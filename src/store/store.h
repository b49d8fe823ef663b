/*
 * store.h - the one storage interface of bangfu.
 *
 * Domain code speaks portable SQL through this interface and never a backend's
 * dialect: placeholders are `?` (numbered left to right from 1), upserts are
 * `INSERT ... ON CONFLICT (...) DO UPDATE SET ... = excluded....`, text and
 * BIGINT columns only, booleans as 0/1 integers, times as BIGINT epoch seconds.
 * Each backend (store_sqlite.c, store_pg.c) fills a table of function pointers;
 * store.c picks one from the --db string and dispatches.
 *
 * Ownership: store_open() returns a handle closed by store_close(). A statement
 * from store_prepare() belongs to the caller until store_finalize(); text from
 * store_column_text() is valid until the next step/reset/finalize of that
 * statement. One handle is used by one thread at a time.
 */
#ifndef BF_STORE_H
#define BF_STORE_H

#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bf_store bf_store;
typedef struct bf_stmt bf_stmt;

typedef enum { BF_STORE_SQLITE, BF_STORE_PG } bf_store_kind;

typedef struct {
    bf_status (*open)(const char *target, bool create, bf_store **out, bf_error *err);
    void (*close)(bf_store *store);
    bf_status (*exec)(bf_store *store, const char *sql, bf_error *err);
    bf_status (*prepare)(bf_store *store, const char *sql, bf_stmt **out, bf_error *err);
    bf_status (*bind_int64)(bf_stmt *stmt, int index, int64_t value);
    bf_status (*bind_text)(bf_stmt *stmt, int index, const char *text, size_t len);
    bf_status (*bind_null)(bf_stmt *stmt, int index);
    bf_status (*step)(bf_stmt *stmt, bool *has_row, bf_error *err);
    int (*column_count)(bf_stmt *stmt);
    bool (*column_is_null)(bf_stmt *stmt, int col);
    int64_t (*column_int64)(bf_stmt *stmt, int col);
    const char *(*column_text)(bf_stmt *stmt, int col, size_t *len);
    int64_t (*changes)(bf_stmt *stmt);
    void (*reset)(bf_stmt *stmt);
    void (*finalize)(bf_stmt *stmt);
    bf_status (*begin)(bf_store *store, bf_error *err);
    bf_status (*commit)(bf_store *store, bf_error *err);
    bf_status (*rollback)(bf_store *store);
    /* Dialect words for migrations: replaces {{ID}} etc. See migrate.c. */
    const char *(*dialect_word)(const char *placeholder);
    /* Optional (may be NULL): tune the connection for one long bulk write
     * (a large import) and back. */
    void (*bulk_mode)(bf_store *store, bool on);
    /* Optional (may be NULL): see store_bulk_journal. */
    bool (*bulk_journal)(bf_store *store, bool on);
    /* The bulk load of an empty table (see store_table_indexes):
     * indexes_sql lists (name, CREATE statement) of the indexes of table `?`
     * that may be dropped and created again; lock_sql ({TABLE} stands
     * for the quoted table name; NULL when the write transaction excludes other writers
     * already) keeps other writers out until commit; rebuild_sql (may be NULL)
     * runs before the indexes are created again, rebuilt_sql (may be NULL)
     * after. */
    const char *indexes_sql;
    const char *lock_sql;
    const char *rebuild_sql;
    const char *rebuilt_sql;
} bf_store_ops;

/* Every backend handle starts with this header. */
struct bf_store {
    const bf_store_ops *ops;
    bf_store_kind kind;
    char *target;   /* the --db string as given */
    int tx_depth;   /* nesting of store_begin (only the outermost is real) */
    bool tx_failed; /* a nested rollback happened: the outer commit must fail */
};

struct bf_stmt {
    bf_store *store;
};

/* The --db string from the option, else $BANGFU_DB, else "bangfu.db". Never NULL. */
const char *store_default_target(const char *option);

/* Open a database: "postgresql://..." or "postgres://..." selects PostgreSQL, a
 * "sqlite:" prefix or a plain path selects SQLite. With create false a missing
 * SQLite file is an error (bangfu init creates it). */
bf_status store_open(const char *target, bool create, bf_store **out, bf_error *err);
void store_close(bf_store *store);

bf_status store_exec(bf_store *store, const char *sql, bf_error *err);
bf_status store_prepare(bf_store *store, const char *sql, bf_stmt **out, bf_error *err);
bf_status store_bind_int64(bf_stmt *stmt, int index, int64_t value);
bf_status store_bind_text(bf_stmt *stmt, int index, const char *text, size_t len);
/* Bind a NUL-terminated string, or NULL as SQL NULL. */
bf_status store_bind_str(bf_stmt *stmt, int index, const char *text);
bf_status store_bind_null(bf_stmt *stmt, int index);
/* Advance; *has_row true when a result row is available. */
bf_status store_step(bf_stmt *stmt, bool *has_row, bf_error *err);
/* Step a statement that returns no row (INSERT/UPDATE/DELETE). */
bf_status store_step_done(bf_stmt *stmt, bf_error *err);
int store_column_count(bf_stmt *stmt);
bool store_column_is_null(bf_stmt *stmt, int col);
int64_t store_column_int64(bf_stmt *stmt, int col);
/* Text of a column ("" for NULL, never NULL pointer); len may be NULL. */
const char *store_column_text(bf_stmt *stmt, int col, size_t *len);
/* Rows changed by the last step of this statement. */
int64_t store_changes(bf_stmt *stmt);
/* Reset a statement for re-use, keeping nothing bound. */
void store_reset(bf_stmt *stmt);
void store_finalize(bf_stmt *stmt);

/* Transactions nest: only the outermost begin/commit reaches the database. A
 * rollback at any depth marks the whole transaction failed. */
bf_status store_begin(bf_store *store, bf_error *err);
bf_status store_commit(bf_store *store, bf_error *err);
bf_status store_rollback(bf_store *store);

/* One-shot helpers for queries returning a single integer (e.g. COUNT(*)).
 * Parameters are given as text (NULL for SQL NULL); nparams of them. */
bf_status store_query_int64(bf_store *store, const char *sql, int64_t *out, bf_error *err,
                            int nparams, ...);

bf_store_kind store_kind(const bf_store *store);

/* Tune the connection for a long bulk write (on) and back to normal (off).
 * Call it outside a transaction (SQLite takes these settings only there):
 * SQLite gives itself a larger page cache and turns foreign-key enforcement
 * off, so the caller must have checked every reference it writes (the
 * importer does); a backend may ignore it. */
void store_bulk_mode(bf_store *store, bool on);

/* A bulk load into empty tables by the only connection to the database
 * (call it outside a transaction). On SQLite, on switches the database from
 * WAL to a rollback journal, but only when no other connection has it open
 * (it is refused at once otherwise, and the load goes through the WAL as
 * usual): pages written past the end of the file are then not journaled, so
 * the new rows are written once instead of twice (to the WAL, then again
 * by the checkpoint), and other connections wait until the load commits.
 * Returns whether it switched; only then call it again with off, after the
 * commit or rollback, to return to WAL (which every connection bangfu opens
 * asks for anyway). A load killed half-way leaves a hot journal that the
 * next connection rolls back before it reads. Other backends: false. */
bool store_bulk_journal(bf_store *store, bool on);

/* One index (or constraint) of a table as the catalog defines it. */
typedef struct {
    char *name;     /* as the catalog spells it */
    char *drop_sql; /* the statement that drops it */
    char *sql;      /* the statement that creates it again */
} store_index;

/* The indexes of table that a bulk load into the empty table may drop and
 * create again at the end, in the same transaction, in the order to create
 * them: on SQLite every index the catalog holds a definition of (the indexes
 * of an inline PRIMARY KEY or UNIQUE have none: they go only with the table);
 * on PostgreSQL its PRIMARY KEY and UNIQUE constraints that no foreign key
 * refers to, its indexes that back no constraint, and its own foreign keys
 * (checked again, in one pass, when added back). Free with
 * store_indexes_free. */
bf_status store_table_indexes(bf_store *store, const char *table, store_index **out, size_t *n,
                              bf_error *err);
void store_indexes_free(store_index *indexes, size_t n);
/* Keep other writers away from table until the transaction ends (where the
 * write transaction does not already; call it inside one). */
bf_status store_lock_table(bf_store *store, const char *table, bf_error *err);
/* Drop one entry of store_table_indexes. */
bf_status store_drop_index(bf_store *store, const store_index *index, bf_error *err);
/* Settings for creating the indexes of a bulk load (sorter threads, memory):
 * on before the first, off after the last. */
bf_status store_rebuild_settings(bf_store *store, bool on, bf_error *err);

/* A process-wide statement log, for tests that check which SQL the program
 * runs (tests/unit/test_county_sql.c): fn receives the text of every
 * statement prepared or executed on any handle, from any thread, so it must
 * be thread-safe. NULL turns it off. Set it while no other thread uses a store. */
typedef void (*store_trace_fn)(void *ctx, const char *sql);
void store_set_trace(store_trace_fn fn, void *ctx);

/* Backends. */
extern const bf_store_ops store_sqlite_ops;
extern const bf_store_ops store_pg_ops; /* store_pg.c */

#endif
