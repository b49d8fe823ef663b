/*
 * bf_yaml.h - what the tests need of YAML and JSON Schema to check the
 * running server against docs/api/openapi.yaml: a loader for the YAML subset
 * that file is written in (block mappings and sequences by indentation, flow
 * mappings and sequences, plain and quoted scalars, literal and folded block
 * scalars, comments) into jansson values, and a checker of a JSON value
 * against a schema of that document (type, required, properties, items,
 * enum, pattern (POSIX extended), nullable, allOf, anyOf, oneOf, $ref into
 * the same document).
 */
#ifndef BF_YAML_H
#define BF_YAML_H

#include <jansson.h>
#include <stddef.h>

/* Parse YAML text into a new jansson value; NULL with a message (line number
 * included) in err on what the subset does not cover. */
json_t *bf_yaml_load(const char *text, char *err, size_t err_size);

/* Check value against schema (refs resolve in root). Returns 0 if it
 * conforms, else the number of problems, the first few described in out as
 * "path: problem" lines. */
int bf_yaml_schema_check(const json_t *root, const json_t *schema, const json_t *value, char *out,
                         size_t out_size);

#endif
