/*
 * bf_test.h - what the C tests share: temporary folders, fresh databases on
 * the backend under test, running the real bangfu binary, reading files.
 *
 * The backend is chosen by the environment: BF_TEST_BACKEND=pg with
 * BF_TEST_PG (a postgresql:// URL of a server the tests may create databases
 * on) runs against PostgreSQL; otherwise SQLite files in a temporary folder.
 * Include after <cmocka.h>'s prerequisites (stdarg, stddef, setjmp, stdint).
 */
#ifndef BF_TEST_H
#define BF_TEST_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A new empty temporary folder (malloc'd path; removed at exit). */
char *bf_test_tmpdir(void);
/* The source tree (BF_SOURCE_DIR), for fixtures. */
const char *bf_test_source_dir(void);
/* Path of a file under the source tree into out. */
void bf_test_source_path(const char *relative, char *out, size_t out_size);
/* The bangfu binary under test (BF_BINARY). */
const char *bf_test_binary(void);

/* A fresh, initialised (migrated, key file created) database on the backend
 * under test; its --db target goes into target. Returns 0 on success. */
int bf_test_db_new(char *target, size_t target_size);
/* Open a target made by bf_test_db_new (asserts on failure). */
bf_store *bf_test_db_open(const char *target);
/* bf_test_db_new and bf_test_db_open in one (asserts on failure). */
bf_store *bf_test_db_fresh(char *target, size_t target_size);
/* Run one SQL statement; the test fails with the statement and the error if
 * it does not succeed. */
void bf_test_exec(bf_store *store, const char *sql);
/* Drop the triggers that make audit_log append-only (migration 0005), the
 * way someone with write access to the database would before tampering. */
void bf_test_audit_unguard(bf_store *store);
/* The one integer a query answers; the test fails if the query does. */
int64_t bf_test_query_int(bf_store *store, const char *sql);

/* Run `bangfu ARGS` through the shell; stdout and stderr are captured into
 * malloc'd strings (may be NULL if not wanted). Returns the exit status. */
int bf_test_run(char **out, char **errout, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Whole file into a malloc'd NUL-terminated string (NULL if unreadable). */
char *bf_test_read_file(const char *path, size_t *len);
/* Write a file (asserts on failure). */
void bf_test_write_file(const char *path, const void *data, size_t len);

#endif
