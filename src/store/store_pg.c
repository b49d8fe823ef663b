/*
 * store_pg.c - the PostgreSQL backend (libpq). TEMPORARY: being written now;
 * until then opening a postgresql:// target is refused with a clear message.
 */
#include "store/store.h"

static bf_status pg_open(const char *target, bool create, bf_store **out, bf_error *err)
{
    (void)target;
    (void)create;
    *out = NULL;
    return bf_error_set(err, BF_ERR_UNSUPPORTED, "本版本尚不支持 PostgreSQL");
}

const bf_store_ops store_pg_ops = {.open = pg_open};
