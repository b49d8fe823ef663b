/*
 * fuzz_batch_insert.c - libFuzzer target for store_batch_parse_insert, which
 * takes a batched INSERT apart. Checks its contract on every input: a refusal
 * says why; an acceptance gives 1..STORE_BATCH_MAX_COLS plain names (and a
 * table name) that fit their buffers, and a rest that points into the input.
 * Input text ends at the first NUL.
 */
#include "store/batch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(int ok)
{
    if (!ok)
        abort();
}

static int plain_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > STORE_BATCH_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    char *sql = malloc(size + 1);
    store_batch_insert *out = malloc(sizeof *out);
    if (!sql || !out) {
        free(sql);
        free(out);
        return 0;
    }
    memcpy(sql, data, size);
    sql[size] = '\0';
    bf_error err;
    bf_error_clear(&err);
    bf_status rc = store_batch_parse_insert(sql, out, &err);
    if (rc) {
        check(rc == BF_ERR_PARSE || rc == BF_ERR_TOO_LARGE);
        check(err.msg[0] != '\0');
    } else {
        check(out->ncols >= 1 && out->ncols <= STORE_BATCH_MAX_COLS);
        check(plain_name(out->table));
        for (int i = 0; i < out->ncols; i++)
            check(plain_name(out->cols[i]));
        check(out->rest >= sql && out->rest <= sql + strlen(sql));
    }
    free(out);
    free(sql);
    return 0;
}
