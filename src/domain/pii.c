/*
 * pii.c - keyed hashing, encryption and masking of ID numbers (libsodium).
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
    unsigned char hash[16];
    crypto_generichash(hash, sizeof hash, (const unsigned char *)norm, n, keys->hash_key,
                       sizeof keys->hash_key);
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
    crypto_secretbox_easy(packed + crypto_secretbox_NONCEBYTES, (const unsigned char *)norm, n,
                          nonce, keys->box_key);
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
