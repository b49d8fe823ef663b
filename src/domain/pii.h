/*
 * pii.h - privacy of resident ID numbers (PIPL). An ID number is never stored
 * in plain text: the database keeps a keyed hash (BLAKE2b, hex) for look-up and
 * duplicate checks, an encrypted copy (XSalsa20-Poly1305 secretbox, base64 of
 * nonce || box) for authorised reveal, and a masked form for display.
 *
 * The key file holds 64 random bytes (32 hash key, 32 encryption key), is
 * created by `bangfu init` with mode 0600 beside the database (DB.key) or at a
 * path given with --key-file / $BANGFU_KEY_FILE. Owns the key material; the
 * key is wiped by pii_keys_free().
 */
#ifndef BF_PII_H
#define BF_PII_H

#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>

#define PII_HASH_HEX_LEN 32  /* 16-byte hash as hex */
#define PII_ENC_B64_MAX  128 /* base64 of nonce(24) + mac(16) + 18 bytes */
#define PII_MASKED_LEN   18

typedef struct pii_keys pii_keys;

/* The key file path for a --db target: option, else $BANGFU_KEY_FILE, else
 * target + ".key" for a file database, else "bangfu.key". Writes into out. */
void pii_key_path(const char *db_target, const char *option, char *out, size_t out_size);
/* Create a new key file (refuses to overwrite an existing one: BF_ERR_CONFLICT). */
bf_status pii_key_create(const char *path, bf_error *err);
/* Load a key file; checks its size and that it is not readable by others. */
bf_status pii_keys_load(const char *path, pii_keys **out, bf_error *err);
void pii_keys_free(pii_keys *keys);

/* Keyed hash of an ID number (normalised: upper-case X) as hex into out (33 bytes). */
void pii_id_hash(const pii_keys *keys, const char *id, size_t len, char out[PII_HASH_HEX_LEN + 1]);
/* Encrypt into out (NUL-terminated base64). */
bf_status pii_id_encrypt(const pii_keys *keys, const char *id, size_t len, char *out,
                         size_t out_size);
/* Decrypt an encrypted form into out (at least 19 bytes); BF_ERR_INVALID if tampered. */
bf_status pii_id_decrypt(const pii_keys *keys, const char *enc, char *out, size_t out_size);
/* "360***********1234": first 3, 11 stars, last 4 (for 18 characters). */
void pii_id_mask(const char *id, size_t len, char out[PII_MASKED_LEN + 1]);

#endif
