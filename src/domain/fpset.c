/*
 * fpset.c - a bounded set of keyed 96-bit fingerprints with a 32-bit value
 * each (see fpset.h). Owns the table and the hash key.
 *
 * Open addressing with linear probing; a slot whose value is 0 is empty. The
 * fingerprint's first 64 bits pick the slot, so probing compares one word
 * before the other 32 bits. The table doubles when three quarters full, as
 * long as the doubled table fits the byte budget.
 */
#include "domain/fpset.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define FPSET_MIN_SLOTS 1024u

typedef struct {
    uint64_t hi;
    uint32_t lo;
    uint32_t value; /* 0: empty slot */
} fpset_slot;

struct fpset {
    fpset_slot *slots;
    size_t nslots; /* a power of two */
    size_t count;
    size_t max_slots;
    unsigned char key[crypto_shorthash_siphashx24_KEYBYTES];
};

static size_t fpset_pow2_at_least(size_t n)
{
    size_t p = FPSET_MIN_SLOTS;
    while (p < n && p < SIZE_MAX / 2)
        p <<= 1;
    return p;
}

fpset *fpset_new(size_t expected_keys, size_t max_bytes)
{
    fpset *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    size_t max_slots = FPSET_MIN_SLOTS;
    while (max_slots * 2 * sizeof(fpset_slot) <= max_bytes)
        max_slots *= 2;
    size_t want = expected_keys / 3 * 4 + 1;
    set->nslots = fpset_pow2_at_least(want);
    if (set->nslots > max_slots)
        set->nslots = max_slots;
    set->max_slots = max_slots;
    set->slots = calloc(set->nslots, sizeof *set->slots);
    if (!set->slots) {
        free(set);
        return NULL;
    }
    randombytes_buf(set->key, sizeof set->key);
    return set;
}

void fpset_free(fpset *set)
{
    if (!set)
        return;
    free(set->slots);
    sodium_memzero(set->key, sizeof set->key);
    free(set);
}

/* Insert a slot known not to be in the table (no room check). */
static void fpset_place(fpset_slot *slots, size_t mask, const fpset_slot *slot)
{
    size_t i = (size_t)slot->hi & mask;
    while (slots[i].value)
        i = (i + 1) & mask;
    slots[i] = *slot;
}

/* Rebuild the table with nslots slots (a power of two, more than now). */
static bool fpset_resize(fpset *set, size_t nslots)
{
    fpset_slot *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < set->nslots; i++)
        if (set->slots[i].value)
            fpset_place(slots, nslots - 1, &set->slots[i]);
    free(set->slots);
    set->slots = slots;
    set->nslots = nslots;
    return true;
}

/* Double the table; false when the budget or memory does not allow it. */
static bool fpset_grow(fpset *set)
{
    size_t nslots = set->nslots * 2;
    return nslots <= set->max_slots && fpset_resize(set, nslots);
}

bool fpset_reserve(fpset *set, size_t keys)
{
    size_t nslots = fpset_pow2_at_least(keys / 3 * 4 + 1);
    if (nslots > set->max_slots)
        nslots = set->max_slots;
    return nslots <= set->nslots || fpset_resize(set, nslots);
}

void fpset_fingerprint(const fpset *set, const void *key, size_t len, fpset_fp *fp)
{
    unsigned char hash[crypto_shorthash_siphashx24_BYTES];
    crypto_shorthash_siphashx24(hash, key, len, set->key);
    memcpy(&fp->hi, hash, sizeof fp->hi);
    memcpy(&fp->lo, hash + sizeof fp->hi, sizeof fp->lo);
}

void fpset_prefetch(const fpset *set, const fpset_fp *fp)
{
    __builtin_prefetch(&set->slots[(size_t)fp->hi & (set->nslots - 1)]);
}

fpset_result fpset_add_fp(fpset *set, const fpset_fp *fp, uint32_t value, uint32_t *first)
{
    fpset_slot slot;
    slot.hi = fp->hi;
    slot.lo = fp->lo;
    slot.value = value ? value : 1; /* 0 marks an empty slot */
    size_t mask = set->nslots - 1;
    size_t i = (size_t)slot.hi & mask;
    for (; set->slots[i].value; i = (i + 1) & mask) {
        if (set->slots[i].hi == slot.hi && set->slots[i].lo == slot.lo) {
            if (first)
                *first = set->slots[i].value;
            return FPSET_FOUND;
        }
    }
    if ((set->count + 1) * 4 > set->nslots * 3) {
        if (!fpset_grow(set))
            return FPSET_FULL;
        fpset_place(set->slots, set->nslots - 1, &slot);
    } else {
        set->slots[i] = slot;
    }
    set->count++;
    return FPSET_ADDED;
}

fpset_result fpset_add(fpset *set, const void *key, size_t len, uint32_t value, uint32_t *first)
{
    fpset_fp fp;
    fpset_fingerprint(set, key, len, &fp);
    return fpset_add_fp(set, &fp, value, first);
}

size_t fpset_count(const fpset *set)
{
    return set->count;
}

size_t fpset_bytes(const fpset *set)
{
    return set->nslots * sizeof *set->slots;
}
