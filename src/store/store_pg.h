/*
 * store_pg.h - what the PostgreSQL backend (store_pg.c) offers beyond the
 * common storage interface of store.h. Every function here may be called on
 * any store: on SQLite it does nothing (or the SQLite equivalent), so domain
 * code calls them without asking which backend it has.
 *
 * Also exposes the rewriting of portable SQL into PostgreSQL's dialect (the `?`
 * placeholders), for tests and the fuzz target.
 */
#ifndef BF_STORE_PG_H
#define BF_STORE_PG_H

#include "core/buf.h"
#include "store/batch.h"
#include "store/store.h"

#include <stdbool.h>

/* Most parameters one statement may have (PostgreSQL's protocol limit). */
#define STORE_PG_MAX_PARAMS 65535
/* Longest SQL text accepted (bytes, after rewriting). */
#define STORE_PG_MAX_SQL (1024 * 1024)

/* Make the transactions this handle begins from now on SERIALIZABLE (on) or
 * READ COMMITTED, PostgreSQL's default (off). A serialisable transaction may
 * fail with BF_ERR_CONFLICT at any statement or at commit: the caller rolls
 * back and retries the whole transaction. SQLite's transactions are always
 * serialisable (one writer at a time), so there it does nothing. Takes effect
 * at the next outermost store_begin. */
void store_pg_set_serializable(bf_store *store, bool on);

/* Take a lock named by key that is held until the current transaction ends
 * (pg_advisory_xact_lock): writers that must not interleave (e.g. appending to
 * the audit hash chain) take the same key. Must be inside store_begin. On
 * SQLite it does nothing, as a write transaction already excludes every other
 * writer. BF_ERR_UNAVAILABLE / BF_ERR_DB on failure. */
bf_status store_pg_lock(bf_store *store, const char *key, bf_error *err);

/* Make the transactions just begun (store_begin, no statement run in them
 * yet) on from and on to read the same snapshot of the database: both become
 * REPEATABLE READ, READ ONLY, and to imports the snapshot from exports
 * (pg_export_snapshot, SET TRANSACTION SNAPSHOT), so two connections read
 * parts of one consistent state in parallel. Both must be PostgreSQL handles of
 * the same database; on SQLite it does nothing. BF_ERR_DB (or
 * BF_ERR_UNAVAILABLE) on failure, after which both transactions are to be
 * rolled back. */
bf_status store_pg_share_snapshot(bf_store *from, bf_store *to, bf_error *err);

/* Fetch this statement's rows in batches through a cursor instead of holding
 * the whole result in memory (for exports and `bangfu copy` of big tables).
 * Takes effect only inside a transaction (a cursor lives in one); outside, the
 * whole result is held as usual. Call before the first store_step. Nothing on
 * SQLite, which always steps row by row. */
void store_pg_set_streaming(bf_stmt *stmt, bool on);

/* Declare that this statement reads nothing the handle's batches are writing
 * (store/batch.h), so the rows staged for them need not be sent before it
 * runs: they stay in memory, and a sending already on its way goes on. Only
 * for reads of tables no batch on the handle writes to (an import's look-ups
 * of another table). Nothing on SQLite. */
void store_pg_set_unstaged(bf_stmt *stmt, bool on);

/* Rewrite portable SQL for PostgreSQL into out: each `?` (outside string
 * literals, quoted identifiers and comments) becomes $1, $2, ... from left to
 * right, `?NNN` becomes $NNN, and a `?` tested with IS [NOT] NULL is cast to
 * text so its type is known. *nparams receives the highest number used.
 * BF_ERR_PARSE for an unterminated literal, identifier or comment, or a `?NNN`
 * out of range; BF_ERR_TOO_LARGE past STORE_PG_MAX_SQL or
 * STORE_PG_MAX_PARAMS. out is reset first. */
bf_status store_pg_rewrite(const char *sql, bf_buf *out, int *nparams, bf_error *err);

/* ---- internal to the storage layer (batch.c) ------------------------------
 * A staging area of a batch on PostgreSQL: rows are encoded for COPY (text
 * format) in memory and sent, when a sending is due, as
 *   COPY stage (cols) FROM STDIN;
 *   INSERT INTO table (cols) SELECT cols FROM stage WHERE true <rest>;
 * where stage is a temporary table with the columns' types; an INSERT with
 * nothing after its VALUES needs no stage table and is sent as
 *   COPY table (cols) FROM STDIN;
 * The handle sends
 * every stage's pending rows (in the order the stages were made) before any
 * other statement (but one marked store_pg_set_unstaged) and before commit,
 * and drops them on rollback. A sending forced by a full stage is done by a
 * sender thread (its COPY, and the INSERT ... SELECT of a staging table):
 * the caller goes on building rows into a second buffer while the server
 * writes (in a province's import or first classification, the server's part
 * of the writing is most of it); the thread is joined before the connection
 * is used for anything else, and its error, if any, reported there. */
typedef struct store_pg_stage store_pg_stage;

/* Rows kept in memory before a sending is forced. */
#define STORE_PG_STAGE_ROWS  20000
#define STORE_PG_STAGE_BYTES (8 * 1024 * 1024)

/* A stage for insert on store (which must be PostgreSQL). Reads the target's
 * column types (one round trip). BF_ERR_DB when the table does not exist. */
bf_status store_pg_stage_new(bf_store *store, const store_batch_insert *insert,
                             store_pg_stage **out, bf_error *err);
/* Append one row of insert->ncols values (NULL for SQL NULL); sends the rows
 * pending on the handle when the stage is full. */
bf_status store_pg_stage_row(store_pg_stage *stage, const char *const *values, const size_t *lens,
                             bf_error *err);
/* Send every stage's pending rows on this stage's handle. */
bf_status store_pg_stage_flush(store_pg_stage *stage, bf_error *err);
/* Rows changed by the sendings so far. */
int64_t store_pg_stage_changes(const store_pg_stage *stage);
/* Free a stage; its pending rows are dropped. NULL is allowed. */
void store_pg_stage_free(store_pg_stage *stage);

#endif
