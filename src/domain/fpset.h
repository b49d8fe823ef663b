/*
 * fpset.h - a bounded in-memory set of keyed fingerprints, each with a 32-bit
 * value. The importer uses it to find keys seen before in the same file (the
 * value is the row that first had the key) without a database round trip per
 * row.
 *
 * A key is stored as 96 bits of a keyed 128-bit SipHash (random key per set),
 * so two different keys are taken for one with a probability of about
 * n^2 / 2^97 for n keys: 1e-16 for 4 million keys. Each entry takes 16 bytes
 * in an open-addressing table kept at most three quarters full; the table
 * never grows past the byte budget given at creation, after which
 * fpset_add answers FPSET_FULL for new keys and the caller falls back to a
 * slower exact method. Memory is therefore bounded whatever the file size.
 *
 * Ownership: the set belongs to its creator until fpset_free.
 */
#ifndef BF_FPSET_H
#define BF_FPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fpset fpset;

typedef enum {
    FPSET_ADDED, /* the key was new and is now in the set */
    FPSET_FOUND, /* the key was already there; *first holds its value */
    FPSET_FULL,  /* the key is not in the set and there is no room for it */
} fpset_result;

/* A set sized for about expected_keys keys, never larger than max_bytes
 * (at least 1024 entries). NULL when out of memory. */
fpset *fpset_new(size_t expected_keys, size_t max_bytes);
/* Free the set. NULL is allowed. */
void fpset_free(fpset *set);
/* Add key (len bytes) with value unless it is there; see fpset_result. A value
 * of 0 is stored as 1 (0 marks empty slots). first may be NULL. */
fpset_result fpset_add(fpset *set, const void *key, size_t len, uint32_t value, uint32_t *first);
/* A key's fingerprint, to be added later by fpset_add_fp: lets a caller
 * fingerprint keys ahead and fpset_prefetch their slots, so the table's
 * cache misses overlap other work. fpset_add(set, k, n, v, f) is
 * fpset_fingerprint(set, k, n, &fp) then fpset_add_fp(set, &fp, v, f). */
typedef struct {
    uint64_t hi;
    uint32_t lo;
} fpset_fp;
void fpset_fingerprint(const fpset *set, const void *key, size_t len, fpset_fp *fp);
/* Start loading the slot fp starts probing at into the cache (a hint only:
 * the table may grow before fpset_add_fp). */
void fpset_prefetch(const fpset *set, const fpset_fp *fp);
fpset_result fpset_add_fp(fpset *set, const fpset_fp *fp, uint32_t value, uint32_t *first);
/* Make room for about keys keys in all (within the byte budget) at once,
 * rather than doubling step by step. false when out of memory (the set is
 * unchanged and still usable). */
bool fpset_reserve(fpset *set, size_t keys);
/* Keys in the set. */
size_t fpset_count(const fpset *set);
/* Bytes the table takes. */
size_t fpset_bytes(const fpset *set);

#endif
