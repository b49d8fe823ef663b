/*
 * hash.h - FNV-1a, bangfu's one non-cryptographic 64-bit hash: hash-table
 * slots, in-memory cache keys, data-version fingerprints, advisory-lock
 * numbers and change detection of stored text. Fast and stable across
 * processes and versions; not keyed, so never for values an attacker could
 * collide to harm (ID numbers use the keyed hashes of domain/pii.c, the
 * import's duplicate set keyed SipHash in domain/fpset.c).
 *
 * Start from BF_FNV1A_INIT (or a seed of the caller's) and feed the bytes in
 * order; the result of one call is the state of the next.
 */
#ifndef BF_CORE_HASH_H
#define BF_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define BF_FNV1A_INIT  14695981039346656037ULL
#define BF_FNV1A_PRIME 1099511628211ULL

static inline uint64_t bf_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * BF_FNV1A_PRIME;
    return h;
}

/* The same over a NUL-terminated string (without its NUL). */
static inline uint64_t bf_fnv1a_str(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * BF_FNV1A_PRIME;
    return h;
}

#endif
