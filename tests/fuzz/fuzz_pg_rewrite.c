/*
 * fuzz_pg_rewrite.c - libFuzzer target for store_pg_rewrite, the rewriting of
 * portable SQL into PostgreSQL's dialect. Checks its contract on every input:
 * a failure says why; a success leaves no `?` placeholder behind, which is
 * tested by rewriting the output again: that must change nothing and find no
 * parameter. Input text ends at the first NUL, as SQL text would.
 */
#include "store/store_pg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    char *sql = malloc(size + 1);
    if (!sql)
        return 0;
    memcpy(sql, data, size);
    sql[size] = '\0';
    bf_buf out, again;
    bf_buf_init(&out, STORE_PG_MAX_SQL);
    bf_buf_init(&again, STORE_PG_MAX_SQL);
    bf_error err;
    bf_error_clear(&err);
    int nparams = -1;
    bf_status rc = store_pg_rewrite(sql, &out, &nparams, &err);
    if (rc) {
        check(err.msg[0] != '\0');
    } else {
        check(nparams >= 0 && nparams <= STORE_PG_MAX_PARAMS);
        const char *text = out.data ? out.data : "";
        if (!strchr(sql, '?'))
            check(strcmp(text, sql) == 0 && nparams == 0);
        int nagain = -1;
        check(store_pg_rewrite(text, &again, &nagain, &err) == BF_OK);
        check(nagain == 0 && strcmp(again.data ? again.data : "", text) == 0);
    }
    bf_buf_free(&again);
    bf_buf_free(&out);
    free(sql);
    return 0;
}
