/*
 * datafile.c - look-up of embedded data files by name.
 */
#include "core/datafile.h"

#include <string.h>

const bf_datafile *bf_datafile_find(const char *name)
{
    for (const bf_datafile *f = bf_datafiles; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}
