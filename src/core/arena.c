/*
 * arena.c - bump allocator with a size cap and registered cleanups.
 */
#include "core/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_MIN (64 * 1024)
#define ARENA_ALIGN     16

typedef struct arena_block {
    struct arena_block *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
} arena_block;

typedef struct arena_cleanup {
    struct arena_cleanup *next;
    bf_cleanup_fn fn;
    void *data;
} arena_cleanup;

struct bf_arena {
    arena_block *head;
    arena_cleanup *cleanups;
    size_t cap;
    size_t total;
};

bf_arena *bf_arena_new(size_t cap)
{
    bf_arena *arena = calloc(1, sizeof *arena);
    if (!arena)
        return NULL;
    arena->cap = cap ? cap : (size_t)1 << 30;
    return arena;
}

static void run_cleanups(bf_arena *arena)
{
    arena_cleanup *c = arena->cleanups;
    arena->cleanups = NULL;
    while (c) {
        arena_cleanup *next = c->next;
        c->fn(c->data);
        c = next; /* the node itself lives in the arena */
    }
}

void bf_arena_free(bf_arena *arena)
{
    if (!arena)
        return;
    run_cleanups(arena);
    arena_block *b = arena->head;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(arena);
}

void bf_arena_reset(bf_arena *arena)
{
    if (!arena)
        return;
    run_cleanups(arena);
    arena_block *b = arena->head;
    arena_block *keep = NULL;
    while (b) {
        arena_block *next = b->next;
        if (!next) {
            keep = b; /* the oldest block */
        } else {
            free(b);
        }
        b = next;
    }
    arena->head = keep;
    arena->total = 0;
    if (keep) {
        keep->used = 0;
        arena->total = keep->size;
    }
}

void *bf_arena_alloc(bf_arena *arena, size_t size)
{
    if (!arena)
        return NULL;
    size_t need = (size + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < size)
        return NULL; /* overflow */
    arena_block *b = arena->head;
    if (!b || b->size - b->used < need) {
        size_t block_size = need > ARENA_BLOCK_MIN ? need : ARENA_BLOCK_MIN;
        if (block_size > arena->cap || arena->total > arena->cap - block_size)
            return NULL;
        b = malloc(sizeof *b + block_size);
        if (!b)
            return NULL;
        b->size = block_size;
        b->used = 0;
        b->next = arena->head;
        arena->head = b;
        arena->total += block_size;
    }
    void *p = b->data + b->used;
    b->used += need;
    return p;
}

void *bf_arena_calloc(bf_arena *arena, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = bf_arena_alloc(arena, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

char *bf_arena_strndup(bf_arena *arena, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = bf_arena_alloc(arena, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *bf_arena_strdup(bf_arena *arena, const char *s)
{
    return bf_arena_strndup(arena, s, strlen(s));
}

char *bf_arena_printf(bf_arena *arena, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = bf_arena_alloc(arena, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

int bf_arena_on_free(bf_arena *arena, bf_cleanup_fn fn, void *data)
{
    arena_cleanup *c = bf_arena_alloc(arena, sizeof *c);
    if (!c)
        return -1;
    c->fn = fn;
    c->data = data;
    c->next = arena->cleanups;
    arena->cleanups = c;
    return 0;
}

size_t bf_arena_used(const bf_arena *arena)
{
    size_t used = 0;
    for (const arena_block *b = arena ? arena->head : NULL; b; b = b->next)
        used += b->used;
    return used;
}
