/*
 * store_sqlite.h - what the SQLite backend (store_sqlite.c) offers beyond the
 * common storage interface of store.h: internal to the storage layer
 * (batch.c).
 *
 * A staging area of a batch on SQLite: rows are kept in memory (integers as
 * integers, text copied into one buffer) and written, when a sending is due,
 * by one multi-row INSERT
 *   INSERT INTO table (cols) VALUES (?, ...), (?, ...), ... <rest>
 * of up to `rows` rows, its text bound without a copy. Against the same
 * INSERT executed row by row, this saves SQLite's per-statement work for all
 * but one row in `rows`: opening the table's and indexes' cursors, starting
 * and halting the program, resetting and re-binding it (copying every text
 * value). What remains per row is the B-tree insert into the table and each
 * index. A stage of fewer pending rows is sent as a sum of powers of two
 * (each size's statement prepared once), so a sending forced early (below)
 * costs about what the rows would have cost one by one.
 *
 * Reads see the writes: the handle sends every stage's pending rows (in the
 * order the stages were made) before any statement starts (the first step
 * after a prepare or reset; a statement already returning rows goes on), before
 * store_exec, and before a commit; a rollback or store_close drops them.
 */
#ifndef BF_STORE_SQLITE_H
#define BF_STORE_SQLITE_H

#include "store/batch.h"
#include "store/store.h"

/* Most rows one sending writes (each size of statement is prepared once). */
#define STORE_SQLITE_STAGE_MAX_ROWS 256

typedef struct store_sqlite_stage store_sqlite_stage;

/* A stage of up to rows rows (capped by STORE_SQLITE_STAGE_MAX_ROWS and by
 * SQLite's limit on parameters) for insert on store (which must be SQLite;
 * insert->rest is the text after the VALUES tuple of that INSERT).
 * Errors: the multi-row statement does not prepare; BF_ERR_NOMEM. */
bf_status store_sqlite_stage_new(bf_store *store, const store_batch_insert *insert, int rows,
                                 store_sqlite_stage **out, bf_error *err);
/* Bind parameter index (from 1) of the row being built. */
bf_status store_sqlite_stage_bind_int64(store_sqlite_stage *stage, int index, int64_t value);
bf_status store_sqlite_stage_bind_text(store_sqlite_stage *stage, int index, const char *text,
                                       size_t len);
bf_status store_sqlite_stage_bind_null(store_sqlite_stage *stage, int index);
/* Add the bound row (unbound parameters are NULL); sends when the stage is
 * full, and then reports the sending's errors. */
bf_status store_sqlite_stage_add(store_sqlite_stage *stage, bf_error *err);
/* Send every stage's pending rows on this stage's handle. */
bf_status store_sqlite_stage_flush(store_sqlite_stage *stage, bf_error *err);
/* Rows changed by the sendings so far. */
int64_t store_sqlite_stage_changes(const store_sqlite_stage *stage);
/* Free a stage; its pending rows are dropped. NULL is allowed. */
void store_sqlite_stage_free(store_sqlite_stage *stage);

#endif
