/*
 * init_hooks.h - idempotent steps run by `bangfu init` and `bangfu migrate`
 * once the schema is current (default rule set, ...). Add a step as one row
 * of the table in init_hooks.c.
 */
#ifndef BF_INIT_HOOKS_H
#define BF_INIT_HOOKS_H

#include "store/store.h"

/* Run every step in order; stops at the first failure. */
bf_status bf_init_hooks_run(bf_store *store, bf_error *err);

#endif
