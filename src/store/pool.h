/*
 * pool.h - a fixed set of open store handles shared by the server's threads.
 * A thread takes a handle for the length of one request and gives it back;
 * a handle is used by one thread at a time, as store.h requires. Backend
 * neutral: it only calls store_open/store_close.
 *
 * Ownership: the pool owns its handles; store_pool_free() closes them all
 * (after every handle has been released).
 */
#ifndef BF_POOL_H
#define BF_POOL_H

#include "store/store.h"

typedef struct store_pool store_pool;

/* Open size handles on target (each checked with store_check_schema). */
bf_status store_pool_new(const char *target, int size, store_pool **out, bf_error *err);
/* Wait up to timeout_ms for a free handle; BF_ERR_UNAVAILABLE when none came. */
bf_status store_pool_acquire(store_pool *pool, int timeout_ms, bf_store **out, bf_error *err);
/* Give a handle back. A handle left inside a transaction is rolled back first. */
void store_pool_release(store_pool *pool, bf_store *store);
/* Close every handle. NULL is allowed. */
void store_pool_free(store_pool *pool);
/* The --db target the pool was opened on. */
const char *store_pool_target(const store_pool *pool);

#endif
