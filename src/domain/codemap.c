/*
 * codemap.c - open-addressing hash map with FNV-1a hashing and linear probing
 * (see codemap.h). The table is kept at most half full.
 */
#include "domain/codemap.h"
#include "core/hash.h"
#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *key; /* NULL: empty slot */
    size_t len;
    uint64_t hash;
    void *value;
} cmap_slot;

struct cmap {
    cmap_slot *slots;
    size_t cap; /* power of two */
    size_t count;
    bf_arena *keys;
};

static uint64_t fnv1a(const char *s, size_t len)
{
    return bf_fnv1a(BF_FNV1A_INIT, s, len);
}

cmap *cmap_new(size_t expected)
{
    cmap *map = calloc(1, sizeof *map);
    if (!map)
        return NULL;
    map->cap = 64;
    while (map->cap < expected * 2)
        map->cap *= 2;
    map->slots = calloc(map->cap, sizeof *map->slots);
    map->keys = bf_arena_new(0);
    if (!map->slots || !map->keys) {
        cmap_free(map);
        return NULL;
    }
    return map;
}

void cmap_free(cmap *map)
{
    if (!map)
        return;
    free(map->slots);
    bf_arena_free(map->keys);
    free(map);
}

static cmap_slot *find_slot(cmap_slot *slots, size_t cap, const char *key, size_t len,
                            uint64_t hash)
{
    size_t i = (size_t)hash & (cap - 1);
    for (;;) {
        cmap_slot *s = &slots[i];
        if (!s->key || (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0))
            return s;
        i = (i + 1) & (cap - 1);
    }
}

void *cmap_get(const cmap *map, const char *key, size_t len)
{
    cmap_slot *s = find_slot(map->slots, map->cap, key, len, fnv1a(key, len));
    return s->key ? s->value : NULL;
}

static bf_status grow(cmap *map)
{
    size_t cap = map->cap * 2;
    cmap_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return BF_ERR_NOMEM;
    for (size_t i = 0; i < map->cap; i++) {
        cmap_slot *old = &map->slots[i];
        if (old->key)
            *find_slot(slots, cap, old->key, old->len, old->hash) = *old;
    }
    free(map->slots);
    map->slots = slots;
    map->cap = cap;
    return BF_OK;
}

bf_status cmap_put(cmap *map, const char *key, size_t len, void *value)
{
    if ((map->count + 1) * 2 > map->cap && grow(map) != BF_OK)
        return BF_ERR_NOMEM;
    uint64_t hash = fnv1a(key, len);
    cmap_slot *s = find_slot(map->slots, map->cap, key, len, hash);
    if (!s->key) {
        char *copy = bf_arena_strndup(map->keys, key, len);
        if (!copy)
            return BF_ERR_NOMEM;
        *s = (cmap_slot){copy, len, hash, NULL};
        map->count++;
    }
    s->value = value;
    return BF_OK;
}

size_t cmap_count(const cmap *map)
{
    return map->count;
}

bool cmap_next(const cmap *map, size_t *pos, const char **key, void **value)
{
    while (*pos < map->cap) {
        const cmap_slot *s = &map->slots[(*pos)++];
        if (s->key) {
            *key = s->key;
            *value = s->value;
            return true;
        }
    }
    return false;
}
