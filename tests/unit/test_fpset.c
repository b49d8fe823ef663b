/*
 * test_fpset.c - the importer's bounded fingerprint set (domain/fpset.h):
 * new keys, keys seen before with their first value, growth, and the byte
 * budget after which new keys are refused while known keys are still found;
 * keys fingerprinted ahead (fpset_fingerprint, fpset_prefetch) and added
 * later, even across a growth of the table, are the same keys as by
 * fpset_add.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/fpset.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void test_add_and_find(void **state)
{
    (void)state;
    fpset *set = fpset_new(0, 1 << 20);
    assert_non_null(set);
    uint32_t first = 0;
    assert_int_equal(fpset_add(set, "H001", 4, 2, &first), FPSET_ADDED);
    assert_int_equal(fpset_add(set, "H002", 4, 3, &first), FPSET_ADDED);
    assert_int_equal(fpset_add(set, "H001", 4, 9, &first), FPSET_FOUND);
    assert_int_equal(first, 2);
    /* A prefix, an extension and the empty key are other keys. */
    assert_int_equal(fpset_add(set, "H00", 3, 4, &first), FPSET_ADDED);
    assert_int_equal(fpset_add(set, "H0011", 5, 5, &first), FPSET_ADDED);
    assert_int_equal(fpset_add(set, "", 0, 6, &first), FPSET_ADDED);
    assert_int_equal(fpset_add(set, "", 0, 7, &first), FPSET_FOUND);
    assert_int_equal(first, 6);
    assert_int_equal(fpset_count(set), 5);
    fpset_free(set);
    fpset_free(NULL);
}

/* Many keys: the table grows past its first size and forgets none. */
static void test_growth_keeps_every_key(void **state)
{
    (void)state;
    fpset *set = fpset_new(10, 64u << 20);
    assert_non_null(set);
    size_t bytes_at_start = fpset_bytes(set);
    char key[32];
    for (uint32_t i = 1; i <= 200000; i++) {
        int n = snprintf(key, sizeof key, "key-%u", i);
        assert_int_equal(fpset_add(set, key, (size_t)n, i, NULL), FPSET_ADDED);
    }
    assert_true(fpset_bytes(set) > bytes_at_start);
    assert_int_equal(fpset_count(set), 200000);
    for (uint32_t i = 1; i <= 200000; i++) {
        int n = snprintf(key, sizeof key, "key-%u", i);
        uint32_t first = 0;
        assert_int_equal(fpset_add(set, key, (size_t)n, 0, &first), FPSET_FOUND);
        assert_int_equal(first, i);
    }
    fpset_free(set);
}

/* At the byte budget new keys are refused (the caller falls back) while the
 * keys already in the set are still found; memory stays at the budget. */
static void test_budget(void **state)
{
    (void)state;
    fpset *set = fpset_new(1000000, 32 * 1024); /* 2048 slots of 16 bytes */
    assert_non_null(set);
    assert_true(fpset_bytes(set) <= 32 * 1024);
    char key[32];
    uint32_t added = 0, full = 0;
    for (uint32_t i = 1; i <= 5000; i++) {
        int n = snprintf(key, sizeof key, "%u", i);
        fpset_result r = fpset_add(set, key, (size_t)n, i, NULL);
        assert_true(r == FPSET_ADDED || r == FPSET_FULL);
        if (r == FPSET_ADDED)
            added++;
        else
            full++;
    }
    assert_int_equal(added, 1536); /* three quarters of 2048 */
    assert_int_equal(full, 5000 - 1536);
    assert_true(fpset_bytes(set) <= 32 * 1024);
    for (uint32_t i = 1; i <= 1536; i++) {
        int n = snprintf(key, sizeof key, "%u", i);
        uint32_t first = 0;
        assert_int_equal(fpset_add(set, key, (size_t)n, 1, &first), FPSET_FOUND);
        assert_int_equal(first, i);
    }
    fpset_free(set);
}

/* Fingerprints taken ahead, then added after the table grew: the same set
 * as fpset_add makes. */
static void test_fingerprint_ahead(void **state)
{
    (void)state;
    enum { N = 5000 };
    fpset *set = fpset_new(0, 1 << 20);
    assert_non_null(set);
    static fpset_fp fps[N];
    char key[32];
    for (int i = 0; i < N; i++) {
        int n = snprintf(key, sizeof key, "K%d", i % 4000);
        fpset_fingerprint(set, key, (size_t)n, &fps[i]);
    }
    for (int i = 0; i < N; i++) {
        if (i + 8 < N)
            fpset_prefetch(set, &fps[i + 8]);
        uint32_t first = 0;
        fpset_result r = fpset_add_fp(set, &fps[i], (uint32_t)i + 1, &first);
        if (i < 4000) {
            assert_int_equal(r, FPSET_ADDED);
        } else {
            assert_int_equal(r, FPSET_FOUND);
            assert_int_equal(first, (uint32_t)(i % 4000) + 1);
        }
    }
    assert_int_equal(fpset_count(set), 4000);
    uint32_t first = 0;
    assert_int_equal(fpset_add(set, "K1234", 5, 77, &first), FPSET_FOUND);
    assert_int_equal(first, 1235);
    assert_int_equal(fpset_add(set, "K4000", 5, 78, &first), FPSET_ADDED);
    fpset_free(set);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_find),
        cmocka_unit_test(test_growth_keeps_every_key),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_fingerprint_ahead),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
