/*
 * datafile.h - files of data/ embedded into the binary at build time (default
 * rule set, the 25 poverty-county codes, demo vocabularies). Read-only.
 */
#ifndef BF_DATAFILE_H
#define BF_DATAFILE_H

#include <stddef.h>

typedef struct {
    const char *name;
    const unsigned char *data; /* NUL-terminated after size bytes */
    size_t size;
} bf_datafile;

extern const bf_datafile bf_datafiles[];

/* The embedded file of that name, or NULL. */
const bf_datafile *bf_datafile_find(const char *name);

#endif
