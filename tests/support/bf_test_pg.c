/*
 * bf_test_pg.c - fresh PostgreSQL databases for tests (BF_TEST_BACKEND=pg).
 * TEMPORARY until the PostgreSQL backend lands: refuses.
 */
#include <stdio.h>

int bf_test_pg_db_new(char *target, size_t target_size);

int bf_test_pg_db_new(char *target, size_t target_size)
{
    (void)target;
    (void)target_size;
    fprintf(stderr, "BF_TEST_BACKEND=pg is not supported yet\n");
    return -1;
}
