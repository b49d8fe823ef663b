/*
 * init_hooks.c - the table of steps `bangfu init` and `bangfu migrate` run
 * after the schema is current, each idempotent (installing the default rule
 * set when none exists, ...). One row per step.
 */
#include "domain/init_hooks.h"
#include "domain/accounts.h"
#include "domain/rules.h"

#include <stddef.h>

typedef bf_status (*init_hook)(bf_store *store, bf_error *err);

static const init_hook init_hooks[] = {
    NULL,                      /* placeholder so the table is never empty; skipped */
    accounts_init_first_admin, /* the first account, password printed once */
    rules_install_default,     /* the default rule set (DESIGN.md §3) when none exists */
};

bf_status bf_init_hooks_run(bf_store *store, bf_error *err)
{
    for (size_t i = 0; i < sizeof init_hooks / sizeof init_hooks[0]; i++) {
        if (!init_hooks[i])
            continue;
        bf_status rc = init_hooks[i](store, err);
        if (rc)
            return rc;
    }
    return BF_OK;
}
