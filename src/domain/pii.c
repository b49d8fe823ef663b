/*
 * pii.c - keyed hashing, encryption and masking of ID numbers (libsodium).
 *
 * Owns the keys and what is derived from them once at load, so that a bulk
 * import pays per ID number only for its own bytes: the BLAKE2b state that
 * has absorbed the hash key, and the XSalsa20 subkey of the nonces' fixed
 * prefix (the nonce is the prefix plus a counter, so every nonce of a load
 * has the same HSalsa20 subkey). The output is byte for byte what
 * crypto_generichash and crypto_secretbox_easy write (tests/unit/test_pii.c).
 */
#include "domain/pii.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_SIZE 64

struct pii_keys {
    unsigned char hash_key[32];
    unsigned char box_key[crypto_secretbox_KEYBYTES];
    /* Nonces are a random 16-byte prefix drawn when the keys are loaded plus a
     * 64-bit counter: unique without a getrandom() system call per ID number. */
    unsigned char nonce_prefix[crypto_secretbox_NONCEBYTES - 8];
    _Atomic uint64_t nonce_counter;
    /* BLAKE2b keyed with hash_key, 16-byte output, nothing absorbed yet. */
    crypto_generichash_state hash_state;
    /* HSalsa20(box_key, nonce_prefix): XSalsa20's key for every nonce. */
    unsigned char box_subkey[crypto_stream_salsa20_KEYBYTES];
};

void pii_key_path(const char *db_target, const char *option, char *out, size_t out_size)
{
    const char *env = getenv("BANGFU_KEY_FILE");
    if (option && *option)
        snprintf(out, out_size, "%s", option);
    else if (env && *env)
        snprintf(out, out_size, "%s", env);
    else if (strncmp(db_target, "postgres", 8) == 0)
        snprintf(out, out_size, "bangfu.key");
    else
        snprintf(out, out_size, "%s.key",
                 strncmp(db_target, "sqlite:", 7) == 0 ? db_target + 7 : db_target);
}

bf_status pii_key_create(const char *path, bf_error *err)
{
    unsigned char key[KEY_FILE_SIZE];
    randombytes_buf(key, sizeof key);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        sodium_memzero(key, sizeof key);
        if (errno == EEXIST)
            return bf_error_set(err, BF_ERR_CONFLICT, "密钥文件 %s 已存在", path);
        return bf_error_set(err, BF_ERR_IO, "无法创建密钥文件 %s", path);
    }
    ssize_t written = write(fd, key, sizeof key);
    sodium_memzero(key, sizeof key);
    if (written != (ssize_t)sizeof key || fsync(fd) != 0) {
        close(fd);
        unlink(path);
        return bf_error_set(err, BF_ERR_IO, "无法写入密钥文件 %s", path);
    }
    close(fd);
    return BF_OK;
}

bf_status pii_keys_load(const char *path, pii_keys **out, bf_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return bf_error_set(
            err, BF_ERR_NOT_FOUND,
            "找不到身份证号密钥文件 %s（由 bangfu init 创建，可用 --key-file 指定）", path);
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size != KEY_FILE_SIZE) {
        close(fd);
        return bf_error_set(err, BF_ERR_INVALID, "密钥文件 %s 已损坏（长度不对）", path);
    }
    if (st.st_mode & 077) {
        close(fd);
        return bf_error_set(err, BF_ERR_FORBIDDEN, "密钥文件 %s 的权限过宽，请执行 chmod 600 %s",
                            path, path);
    }
    pii_keys *keys = sodium_malloc(sizeof *keys);
    if (!keys) {
        close(fd);
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    unsigned char raw[KEY_FILE_SIZE];
    ssize_t got = read(fd, raw, sizeof raw);
    close(fd);
    if (got != KEY_FILE_SIZE) {
        sodium_free(keys);
        return bf_error_set(err, BF_ERR_IO, "无法读取密钥文件 %s", path);
    }
    memcpy(keys->hash_key, raw, 32);
    memcpy(keys->box_key, raw + 32, 32);
    randombytes_buf(keys->nonce_prefix, sizeof keys->nonce_prefix);
    atomic_init(&keys->nonce_counter, 0);
    crypto_generichash_init(&keys->hash_state, keys->hash_key, sizeof keys->hash_key,
                            PII_HASH_HEX_LEN / 2);
    crypto_core_hsalsa20(keys->box_subkey, keys->nonce_prefix, keys->box_key, NULL);
    sodium_memzero(raw, sizeof raw);
    *out = keys;
    return BF_OK;
}

void pii_keys_free(pii_keys *keys)
{
    if (keys)
        sodium_free(keys); /* sodium_free wipes the memory */
}

static size_t normalise(const char *id, size_t len, char *out, size_t out_size)
{
    size_t n = len < out_size - 1 ? len : out_size - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = id[i] == 'x' ? 'X' : id[i];
    out[n] = '\0';
    return n;
}

void pii_id_hash(const pii_keys *keys, const char *id, size_t len, char out[PII_HASH_HEX_LEN + 1])
{
    char norm[64];
    size_t n = normalise(id, len, norm, sizeof norm);
    unsigned char hash[PII_HASH_HEX_LEN / 2];
    /* crypto_generichash(hash, 16, norm, n, hash_key, 32), from the keyed state. */
    crypto_generichash_state state;
    memcpy(&state, &keys->hash_state, sizeof state);
    crypto_generichash_update(&state, (const unsigned char *)norm, n);
    crypto_generichash_final(&state, hash, sizeof hash);
    sodium_memzero(&state, sizeof state);
    sodium_bin2hex(out, PII_HASH_HEX_LEN + 1, hash, sizeof hash);
}

/* Standard base64 with padding, as sodium_bin2base64's VARIANT_ORIGINAL writes
 * it (pii_id_decrypt reads it back with sodium). The ciphertext is not secret,
 * so this table look-up need not be constant-time like sodium's, which took
 * more time than the encryption itself in a bulk import. out must hold
 * sodium_base64_ENCODED_LEN(len, ...) bytes. */
static void base64_encode(char *out, const unsigned char *in, size_t len)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *out++ = digits[v >> 18];
        *out++ = digits[(v >> 12) & 63];
        *out++ = digits[(v >> 6) & 63];
        *out++ = digits[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
        *out++ = digits[v >> 18];
        *out++ = digits[(v >> 12) & 63];
        *out++ = i + 1 < len ? digits[(v >> 6) & 63] : '=';
        *out++ = '=';
    }
    *out = '\0';
}

/* crypto_secretbox_easy(c, m, mlen, nonce, box_key) for a nonce that starts
 * with keys->nonce_prefix, from the subkey derived at load: c is the MAC,
 * then the ciphertext (XSalsa20 = Salsa20 under the subkey with the nonce's
 * last 8 bytes; the first 32 bytes of its stream key Poly1305), as
 * libsodium's crypto_secretbox_detached does it. */
static void secretbox_prefixed(const pii_keys *keys, unsigned char *c, const unsigned char *m,
                               size_t mlen, const unsigned char *nonce)
{
    unsigned char *mac = c;
    c += crypto_secretbox_MACBYTES;
    unsigned char block0[64];
    memset(block0, 0, crypto_secretbox_ZEROBYTES);
    size_t mlen0 = mlen < sizeof block0 - crypto_secretbox_ZEROBYTES
                       ? mlen
                       : sizeof block0 - crypto_secretbox_ZEROBYTES;
    memcpy(block0 + crypto_secretbox_ZEROBYTES, m, mlen0);
    crypto_stream_salsa20_xor(block0, block0, mlen0 + crypto_secretbox_ZEROBYTES,
                              nonce + sizeof keys->nonce_prefix, keys->box_subkey);
    memcpy(c, block0 + crypto_secretbox_ZEROBYTES, mlen0);
    if (mlen > mlen0)
        crypto_stream_salsa20_xor_ic(c + mlen0, m + mlen0, mlen - mlen0,
                                     nonce + sizeof keys->nonce_prefix, 1, keys->box_subkey);
    crypto_onetimeauth_poly1305(mac, c, mlen, block0);
    sodium_memzero(block0, sizeof block0);
}

bf_status pii_id_encrypt(const pii_keys *keys, const char *id, size_t len, char *out,
                         size_t out_size)
{
    char norm[64];
    size_t n = normalise(id, len, norm, sizeof norm);
    unsigned char packed[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 64];
    unsigned char *nonce = packed;
    uint64_t counter = atomic_fetch_add(&((pii_keys *)keys)->nonce_counter, 1);
    memcpy(nonce, keys->nonce_prefix, sizeof keys->nonce_prefix);
    memcpy(nonce + sizeof keys->nonce_prefix, &counter, sizeof counter);
    secretbox_prefixed(keys, packed + crypto_secretbox_NONCEBYTES, (const unsigned char *)norm, n,
                       nonce);
    size_t packed_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    if (out_size < sodium_base64_ENCODED_LEN(packed_len, sodium_base64_VARIANT_ORIGINAL))
        return BF_ERR_TOO_LARGE;
    base64_encode(out, packed, packed_len);
    sodium_memzero(norm, sizeof norm);
    return BF_OK;
}

bf_status pii_id_decrypt(const pii_keys *keys, const char *enc, char *out, size_t out_size)
{
    unsigned char packed[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 64];
    size_t packed_len = 0;
    if (sodium_base642bin(packed, sizeof packed, enc, strlen(enc), NULL, &packed_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        packed_len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return BF_ERR_INVALID;
    size_t plain_len = packed_len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    if (plain_len + 1 > out_size)
        return BF_ERR_TOO_LARGE;
    if (crypto_secretbox_open_easy((unsigned char *)out, packed + crypto_secretbox_NONCEBYTES,
                                   packed_len - crypto_secretbox_NONCEBYTES, packed,
                                   keys->box_key) != 0)
        return BF_ERR_INVALID;
    out[plain_len] = '\0';
    return BF_OK;
}

void pii_id_mask(const char *id, size_t len, char out[PII_MASKED_LEN + 1])
{
    /* Show the first 3 and the last 4 characters; stars stand for the rest. */
    size_t i = 0;
    for (; i < PII_MASKED_LEN; i++) {
        if (i < 3 && i < len)
            out[i] = id[i];
        else if (i >= PII_MASKED_LEN - 4 && len >= PII_MASKED_LEN)
            out[i] = id[len - (PII_MASKED_LEN - i)] == 'x' ? 'X' : id[len - (PII_MASKED_LEN - i)];
        else
            out[i] = '*';
    }
    out[i] = '\0';
}
