/*
 * test_roles_doc.c - docs/roles.md and the role table in the code
 * (src/domain/roles.c) say the same: the permission columns in bit order,
 * and one row per role with its Chinese name, the level it is bound to and
 * a tick for exactly the permissions it has. A role or permission added to
 * one side only fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"
#include "domain/roles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CELLS 32

/* Split a Markdown table row "| a | b |" into trimmed cells (in place). */
static int split_row(char *line, char *cells[MAX_CELLS])
{
    int n = 0;
    char *p = strchr(line, '|');
    if (!p)
        return 0;
    p++;
    while (*p && n < MAX_CELLS) {
        char *bar = strchr(p, '|');
        if (!bar)
            break;
        *bar = '\0';
        while (*p == ' ')
            p++;
        char *end = p + strlen(p);
        while (end > p && end[-1] == ' ')
            *--end = '\0';
        cells[n++] = p;
        p = bar + 1;
    }
    return n;
}

static const char *const level_words[] = {"any",    "province", "city",
                                          "county", "township", "village"};

static void test_roles_table_matches_doc(void **state)
{
    (void)state;
    char path[4200];
    bf_test_source_path("docs/roles.md", path, sizeof path);
    char *text = bf_test_read_file(path, NULL);
    assert_non_null(text);
    size_t nroles = 0;
    const role_def *roles = roles_table(&nroles);
    size_t nperms = roles_perm_count();
    assert_true(nroles > 0 && nperms > 0 && nperms + 3 <= MAX_CELLS);
    bool seen[64] = {false};
    bool header_seen = false, in_roles = false;
    int failures = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "## ", 3) == 0) {
            in_roles = strcmp(line, "## Roles") == 0;
            continue;
        }
        if (!in_roles || line[0] != '|' || strncmp(line, "|---", 4) == 0)
            continue;
        char *cells[MAX_CELLS];
        int n = split_row(line, cells);
        if (!header_seen) {
            header_seen = true;
            assert_int_equal(n, (int)nperms + 3);
            assert_string_equal(cells[0], "role id");
            for (size_t b = 0; b < nperms; b++)
                assert_string_equal(cells[3 + b], roles_perm_name(1u << b));
            continue;
        }
        if (n != (int)nperms + 3) {
            fprintf(stderr, "row of %s has %d cells, want %zu\n", cells[0], n, nperms + 3);
            failures++;
            continue;
        }
        const role_def *role = roles_find(cells[0]);
        if (!role) {
            fprintf(stderr, "docs/roles.md names a role the code lacks: %s\n", cells[0]);
            failures++;
            continue;
        }
        seen[role - roles] = true;
        if (strcmp(cells[1], role->zh) != 0) {
            fprintf(stderr, "%s: Chinese name %s in the doc, %s in the code\n", role->id, cells[1],
                    role->zh);
            failures++;
        }
        if (role->level < 0 || role->level > 5 || strcmp(cells[2], level_words[role->level])) {
            fprintf(stderr, "%s: bound to %s in the doc, level %d in the code\n", role->id,
                    cells[2], role->level);
            failures++;
        }
        for (size_t b = 0; b < nperms; b++) {
            bool doc = strstr(cells[3 + b], "✓") != NULL;
            bool code = (role->perms & (1u << b)) != 0;
            if (doc != code) {
                fprintf(stderr, "%s: permission %s is %s in the doc, %s in the code\n", role->id,
                        roles_perm_name(1u << b), doc ? "ticked" : "blank",
                        code ? "granted" : "not granted");
                failures++;
            }
        }
        /* Only the assigned-only role says so beside its tick. */
        if (role->assigned_only != (strstr(cells[3], "assigned") != NULL)) {
            fprintf(stderr, "%s: assigned-only differs\n", role->id);
            failures++;
        }
    }
    assert_true(header_seen);
    for (size_t i = 0; i < nroles; i++)
        if (!seen[i]) {
            fprintf(stderr, "role %s is not in docs/roles.md\n", roles[i].id);
            failures++;
        }
    assert_int_equal(failures, 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles_table_matches_doc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
