/*
 * test_pii.c - ID-number encryption (domain/pii.h): what pii_id_encrypt writes
 * is base64 that libsodium decodes strictly, and decrypts to the normalised
 * number, for every plaintext length (so every base64 padding case).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/pii.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_encrypt_every_length(void **state)
{
    (void)state;
    char path[] = "/tmp/bf_test_pii_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(pii_key_create(path, &err), BF_OK);
    pii_keys *keys = NULL;
    assert_int_equal(pii_keys_load(path, &keys, &err), BF_OK);
    const char *digits = "36010219700312007x36010219700312007X";
    for (size_t len = 1; len <= 24; len++) {
        char enc[PII_ENC_B64_MAX];
        assert_int_equal(pii_id_encrypt(keys, digits, len, enc, sizeof enc), BF_OK);
        /* Exactly the length and alphabet of sodium's original variant. */
        size_t packed_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
        assert_int_equal(strlen(enc) + 1,
                         sodium_base64_ENCODED_LEN(packed_len, sodium_base64_VARIANT_ORIGINAL));
        unsigned char packed[128];
        size_t decoded = 0;
        assert_int_equal(sodium_base642bin(packed, sizeof packed, enc, strlen(enc), NULL, &decoded,
                                           NULL, sodium_base64_VARIANT_ORIGINAL),
                         0);
        assert_int_equal(decoded, packed_len);
        char back[64];
        assert_int_equal(pii_id_decrypt(keys, enc, back, sizeof back), BF_OK);
        char want[64];
        for (size_t i = 0; i < len; i++)
            want[i] = digits[i] == 'x' ? 'X' : digits[i];
        want[len] = '\0';
        assert_string_equal(back, want);
    }
    pii_keys_free(keys);
    unlink(path);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encrypt_every_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
