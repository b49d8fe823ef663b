/*
 * arena.h - a bump allocator per request, per import and per command.
 *
 * Ownership: everything allocated from an arena, and every cleanup registered
 * on it, lives until bf_arena_free() (or bf_arena_reset()), which runs the
 * cleanups in reverse order and releases all blocks at once. Nothing from an
 * arena is ever passed to free(). An arena has a cap on its total size so a
 * hostile input cannot grow it without bound; past the cap allocation fails
 * (returns NULL) like an out-of-memory.
 */
#ifndef BF_ARENA_H
#define BF_ARENA_H

#include <stddef.h>

typedef struct bf_arena bf_arena;
typedef void (*bf_cleanup_fn)(void *data);

/* New arena whose total allocation may not exceed cap bytes (0: 1 GiB). NULL on OOM. */
bf_arena *bf_arena_new(size_t cap);
/* Run cleanups, free all memory and the arena itself. NULL is allowed. */
void bf_arena_free(bf_arena *arena);
/* Run cleanups and forget all allocations but keep the first block for reuse. */
void bf_arena_reset(bf_arena *arena);
/* size bytes aligned to 16, uninitialised; NULL on OOM or past the cap. */
void *bf_arena_alloc(bf_arena *arena, size_t size);
/* Same, zeroed. */
void *bf_arena_calloc(bf_arena *arena, size_t count, size_t size);
/* Copy of len bytes of s plus a NUL. */
char *bf_arena_strndup(bf_arena *arena, const char *s, size_t len);
char *bf_arena_strdup(bf_arena *arena, const char *s);
/* printf into the arena. */
char *bf_arena_printf(bf_arena *arena, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Register fn(data) to run when the arena is freed or reset. Returns 0, or -1 on OOM
 * (in which case fn is NOT called; the caller must clean up itself). */
int bf_arena_on_free(bf_arena *arena, bf_cleanup_fn fn, void *data);
/* Bytes handed out so far. */
size_t bf_arena_used(const bf_arena *arena);

#endif
