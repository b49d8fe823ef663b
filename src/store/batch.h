/*
 * batch.h - many rows through one INSERT statement, without a round trip per
 * row where that costs (bulk import, `bangfu copy`, demo data).
 *
 * A batch takes an INSERT of one row written in portable SQL,
 *     INSERT INTO table (c1, ..., cn) VALUES (?, ..., ?) [ON CONFLICT ...]
 * and rows bound one by one like a statement's parameters. On PostgreSQL the
 * rows are gathered and sent with COPY ... FROM STDIN into a temporary staging
 * table, then written by the same statement as INSERT ... SELECT from it (the
 * ON CONFLICT clause kept, so upserts stay upserts); a plain INSERT (nothing
 * after its VALUES) is copied straight into its table. On SQLite, which runs in
 * the process, each row is executed at once, unless the batch is asked to
 * gather (store_batch_gather): then rows go out as multi-row INSERTs.
 * An INSERT not of that shape (expressions among the values, parameters after
 * them) is executed row by row on both.
 *
 * Reads see the writes: pending rows are sent before any other statement runs
 * on the same handle, and before a commit; a rollback drops them. So a batch
 * replaces an INSERT statement without changing what the program reads. What
 * does change on PostgreSQL (and on SQLite when gathering): an error in a row (a constraint)
 * surfaces at the call that sends it (store_batch_add, store_batch_flush, or whichever store call
 * came next), and one sending must not hold two rows with the same conflict key (PostgreSQL refuses
 * to update a row twice in one statement). Pending rows of several batches are sent in the order
 * the batches were made: make the batch of a parent table first.
 *
 * Ownership: a batch belongs to its caller until store_batch_free, which must
 * come before store_close of its handle (rows still pending at store_close
 * are lost). Bound text is copied.
 */
#ifndef BF_STORE_BATCH_H
#define BF_STORE_BATCH_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store_batch store_batch;

/* Longest table or column name a batch takes apart (bytes). */
#define STORE_BATCH_NAME_MAX 63
/* Most columns of a batched INSERT. */
#define STORE_BATCH_MAX_COLS 256

/* The parts of an INSERT of one row: table, columns, and what follows the
 * VALUES tuple (e.g. "ON CONFLICT (code) DO NOTHING"; points into the SQL). */
typedef struct {
    char table[STORE_BATCH_NAME_MAX + 1];
    int ncols;
    char cols[STORE_BATCH_MAX_COLS][STORE_BATCH_NAME_MAX + 1];
    const char *rest;
} store_batch_insert;

/* Take an INSERT apart. BF_OK only for INSERT INTO name (names) VALUES (?, ...)
 * with one `?` per column and no parameter after the tuple; BF_ERR_PARSE (with
 * a reason in err) for anything else. Names are plain or double-quoted
 * identifiers; keywords are case-insensitive. */
bf_status store_batch_parse_insert(const char *sql, store_batch_insert *out, bf_error *err);

/* A batch for sql on store. Errors: the statement does not prepare. */
bf_status store_batch_new(bf_store *store, const char *sql, store_batch **out, bf_error *err);
/* Gather up to rows rows before writing them (call before the first row).
 * PostgreSQL batches always gather; on SQLite a batch writes each row at once
 * unless asked to gather, as gathering changes where a row's error surfaces
 * (see above). A gathering SQLite batch writes its rows with one multi-row
 * INSERT per `rows` rows (store_sqlite.h), for a writer of many small rows
 * whose per-statement cost would dominate. An INSERT not of the batched shape
 * stays row by row. Errors: the multi-row statement does not prepare. */
bf_status store_batch_gather(store_batch *batch, int rows, bf_error *err);
/* Bind parameter index (from 1) of the row being built. */
bf_status store_batch_bind_int64(store_batch *batch, int index, int64_t value);
bf_status store_batch_bind_text(store_batch *batch, int index, const char *text, size_t len);
/* A NUL-terminated string, or NULL as SQL NULL. */
bf_status store_batch_bind_str(store_batch *batch, int index, const char *text);
bf_status store_batch_bind_null(store_batch *batch, int index);
/* Add the bound row (unbound parameters are NULL); the bindings are cleared.
 * May send pending rows, and then reports their errors. */
bf_status store_batch_add(store_batch *batch, bf_error *err);
/* Send every pending row now. */
bf_status store_batch_flush(store_batch *batch, bf_error *err);
/* Rows the statement changed for the rows sent so far (what summing
 * store_changes after each row would give). */
int64_t store_batch_changes(const store_batch *batch);
/* Rows added so far (sent or pending). */
int64_t store_batch_rows(const store_batch *batch);
/* Free the batch. Rows not yet sent are sent first, as SQLite has written
 * them already, but an error doing so is lost: call store_batch_flush first
 * to hear of it. NULL is allowed. */
void store_batch_free(store_batch *batch);

#endif
