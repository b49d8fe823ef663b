/*
 * bf_test.c - shared helpers of the C tests (see bf_test.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"
#include "store/migrate.h"
#include "domain/init_hooks.h"
#include "domain/pii.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *tmp_dirs[64];
static int ntmp_dirs;

static void remove_tmp_dirs(void)
{
    if (getenv("BF_TEST_KEEP"))
        return;
    for (int i = 0; i < ntmp_dirs; i++) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dirs[i]);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmp_dirs[i]);
        free(tmp_dirs[i]);
    }
    ntmp_dirs = 0;
}

char *bf_test_tmpdir(void)
{
    char template_path[] = "/tmp/bangfu-test-XXXXXX";
    char *dir = mkdtemp(template_path);
    assert_non_null(dir);
    char *copy = strdup(dir);
    assert_non_null(copy);
    if (ntmp_dirs == 0)
        atexit(remove_tmp_dirs);
    if (ntmp_dirs < 64)
        tmp_dirs[ntmp_dirs++] = strdup(copy);
    return copy;
}

const char *bf_test_source_dir(void)
{
    const char *dir = getenv("BF_SOURCE_DIR");
    return dir ? dir : ".";
}

void bf_test_source_path(const char *relative, char *out, size_t out_size)
{
    snprintf(out, out_size, "%s/%s", bf_test_source_dir(), relative);
}

const char *bf_test_binary(void)
{
    const char *bin = getenv("BF_BINARY");
    return bin ? bin : "./bangfu";
}

int bf_test_db_new(char *target, size_t target_size)
{
    static int counter;
    const char *backend = getenv("BF_TEST_BACKEND");
    if (backend && strcmp(backend, "pg") == 0) {
        /* Filled in by the PostgreSQL backend work: a fresh database per call. */
        extern int bf_test_pg_db_new(char *target, size_t target_size);
        if (bf_test_pg_db_new(target, target_size) != 0)
            return -1;
    } else {
        char *dir = bf_test_tmpdir();
        snprintf(target, target_size, "%s/test%d.db", dir, counter++);
        free(dir);
    }
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    if (store_open(target, true, &store, &err) != BF_OK) {
        fprintf(stderr, "open %s: %s\n", target, bf_error_text(&err));
        return -1;
    }
    bf_status rc = store_migrate(store, NULL, NULL, &err);
    if (rc == BF_OK)
        rc = bf_init_hooks_run(store, &err);
    /* BF_TEST_CITUS_CONSTRAINTS names docs/citus/constraints.sql: the tests
     * then run on a database converted for Citus (PostgreSQL only; see
     * tests/scripts/test_citus_constraints.sh). */
    const char *citus = getenv("BF_TEST_CITUS_CONSTRAINTS");
    if (rc == BF_OK && citus && *citus && backend && strcmp(backend, "pg") == 0) {
        char *sql = bf_test_read_file(citus, NULL);
        rc =
            sql ? store_begin(store, &err) : bf_error_set(&err, BF_ERR_IO, "cannot read %s", citus);
        if (rc == BF_OK)
            rc = store_exec(store, sql, &err);
        rc = rc == BF_OK ? store_commit(store, &err) : (store_rollback(store), rc);
        free(sql);
    }
    store_close(store);
    if (rc) {
        fprintf(stderr, "migrate %s: %s\n", target, bf_error_text(&err));
        return -1;
    }
    char key_path[4200];
    pii_key_path(target, NULL, key_path, sizeof key_path);
    if (access(key_path, F_OK) != 0 && pii_key_create(key_path, &err) != BF_OK) {
        fprintf(stderr, "key %s: %s\n", key_path, bf_error_text(&err));
        return -1;
    }
    return 0;
}

bf_store *bf_test_db_open(const char *target)
{
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    if (store_open(target, false, &store, &err) != BF_OK)
        fail_msg("open %s: %s", target, bf_error_text(&err));
    return store;
}

bf_store *bf_test_db_fresh(char *target, size_t target_size)
{
    assert_int_equal(bf_test_db_new(target, target_size), 0);
    return bf_test_db_open(target);
}

void bf_test_exec(bf_store *store, const char *sql)
{
    bf_error err;
    bf_error_clear(&err);
    if (store_exec(store, sql, &err) != BF_OK)
        fail_msg("%s: %s", sql, bf_error_text(&err));
}

void bf_test_audit_unguard(bf_store *store)
{
    bool pg = store_kind(store) == BF_STORE_PG;
    bf_test_exec(store, pg ? "DROP TRIGGER audit_log_no_update ON audit_log"
                           : "DROP TRIGGER audit_log_no_update");
    bf_test_exec(store, pg ? "DROP TRIGGER audit_log_no_delete ON audit_log"
                           : "DROP TRIGGER audit_log_no_delete");
}

int64_t bf_test_query_int(bf_store *store, const char *sql)
{
    bf_error err;
    bf_error_clear(&err);
    int64_t value = -1;
    if (store_query_int64(store, sql, &value, &err, 0) != BF_OK)
        fail_msg("%s: %s", sql, bf_error_text(&err));
    return value;
}

static char *slurp_fd_file(const char *path)
{
    size_t len = 0;
    char *text = bf_test_read_file(path, &len);
    unlink(path);
    return text;
}

int bf_test_run(char **out, char **errout, const char *fmt, ...)
{
    char args[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    char out_path[] = "/tmp/bangfu-out-XXXXXX";
    char err_path[] = "/tmp/bangfu-err-XXXXXX";
    int out_fd = mkstemp(out_path);
    int err_fd = mkstemp(err_path);
    assert_true(out_fd >= 0 && err_fd >= 0);
    close(out_fd);
    close(err_fd);
    char *cmd = NULL;
    assert_true(asprintf(&cmd, "'%s' %s >'%s' 2>'%s' </dev/null", bf_test_binary(), args, out_path,
                         err_path) > 0);
    int status = system(cmd);
    free(cmd);
    char *out_text = slurp_fd_file(out_path);
    char *err_text = slurp_fd_file(err_path);
    if (out)
        *out = out_text;
    else
        free(out_text);
    if (errout)
        *errout = err_text;
    else
        free(err_text);
    if (status == -1)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

char *bf_test_read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, n = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    size_t got;
    while ((got = fread(data + n, 1, cap - n - 1, fp)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            data = realloc(data, cap);
            assert_non_null(data);
        }
    }
    fclose(fp);
    data[n] = '\0';
    if (len)
        *len = n;
    return data;
}

void bf_test_write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}
