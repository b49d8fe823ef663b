/*
 * test_pii.c - ID-number encryption (domain/pii.h): what pii_id_encrypt writes
 * is base64 that libsodium decodes strictly, and decrypts to the normalised
 * number, for every plaintext length (so every base64 padding case); the
 * keyed hash and the ciphertext are byte for byte crypto_generichash's and
 * crypto_secretbox_easy's under the key file's keys (pii.c derives their
 * per-key parts once at load).
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

/* A fresh key file at path (a mkstemp template, filled in) and its keys. */
static pii_keys *fresh_keys(char *path)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(pii_key_create(path, &err), BF_OK);
    pii_keys *keys = NULL;
    assert_int_equal(pii_keys_load(path, &keys, &err), BF_OK);
    return keys;
}

static void test_encrypt_every_length(void **state)
{
    (void)state;
    char path[] = "/tmp/bf_test_pii_XXXXXX";
    pii_keys *keys = fresh_keys(path);
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

/* The key file's two keys: the hash key, then the box key. */
static void read_key_file(const char *path, unsigned char hash_key[32], unsigned char box_key[32])
{
    unsigned char raw[64];
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(raw, 1, sizeof raw, fp), sizeof raw);
    fclose(fp);
    memcpy(hash_key, raw, 32);
    memcpy(box_key, raw + 32, 32);
}

static void test_same_as_libsodium(void **state)
{
    (void)state;
    char path[] = "/tmp/bf_test_pii_XXXXXX";
    pii_keys *keys = fresh_keys(path);
    unsigned char hash_key[32], box_key[32];
    read_key_file(path, hash_key, box_key);
    /* Up to 53 bytes (the most PII_ENC_B64_MAX holds): past 32 the ciphertext
     * runs into the stream's second block. */
    const char *text = "360102197003120071360102197003120072360102197003120073360102197003";
    for (size_t len = 0; len <= 53; len++) {
        char hex[PII_HASH_HEX_LEN + 1];
        pii_id_hash(keys, text, len, hex);
        unsigned char want_hash[16];
        crypto_generichash(want_hash, sizeof want_hash, (const unsigned char *)text, len, hash_key,
                           sizeof hash_key);
        char want_hex[PII_HASH_HEX_LEN + 1];
        sodium_bin2hex(want_hex, sizeof want_hex, want_hash, sizeof want_hash);
        assert_string_equal(hex, want_hex);

        char enc[PII_ENC_B64_MAX];
        assert_int_equal(pii_id_encrypt(keys, text, len, enc, sizeof enc), BF_OK);
        unsigned char packed[128];
        size_t packed_len = 0;
        assert_int_equal(sodium_base642bin(packed, sizeof packed, enc, strlen(enc), NULL,
                                           &packed_len, NULL, sodium_base64_VARIANT_ORIGINAL),
                         0);
        assert_int_equal(packed_len, crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len);
        unsigned char want_box[crypto_secretbox_MACBYTES + 64];
        crypto_secretbox_easy(want_box, (const unsigned char *)text, len, packed, box_key);
        assert_memory_equal(packed + crypto_secretbox_NONCEBYTES, want_box,
                            crypto_secretbox_MACBYTES + len);
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
        cmocka_unit_test(test_same_as_libsodium),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
