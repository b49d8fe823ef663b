/*
 * codemap.h - a hash map from short text keys (project and household codes,
 * composite keys) to caller-owned pointers, for the classification run's
 * look-ups of earlier results and live warnings. Open addressing, grows by
 * doubling; keys are copied into the map's own arena.
 *
 * Ownership: the map owns its table and key copies (cmap_free releases them);
 * values are the caller's.
 */
#ifndef BF_CODEMAP_H
#define BF_CODEMAP_H

#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cmap cmap;

/* A new empty map sized for about `expected` keys. NULL on OOM. */
cmap *cmap_new(size_t expected);
void cmap_free(cmap *map);
/* The value stored under key, or NULL. */
void *cmap_get(const cmap *map, const char *key, size_t len);
/* Store value under key (replacing any earlier value). BF_ERR_NOMEM on OOM. */
bf_status cmap_put(cmap *map, const char *key, size_t len, void *value);
size_t cmap_count(const cmap *map);
/* Iterate: start with *pos = 0; returns false at the end. */
bool cmap_next(const cmap *map, size_t *pos, const char **key, void **value);

#endif
