/*
 * test_import_crash.c - a killed import leaves the database as it was: run the
 * real bangfu on a large households file, kill -9 it while it writes, then the
 * database opens, passes integrity_check and holds exactly what it held before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"
#include "io/validate.h"
#include "store/store.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CRASH_ROWS 100000

static void write_households(const char *path)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("户编号,区划代码,户主身份证号,户主姓名,户类型,家庭人口,风险状态\n", fp);
    for (int i = 0; i < CRASH_ROWS; i++) {
        char id[19];
        /* Born 1960-01-01 plus i % 9000 days: all real dates, 3-digit sequence. */
        snprintf(id, sizeof id, "3601021960%02d%02d%03d", 1 + (i / 28) % 12, 1 + i % 28,
                 (i / 336) % 1000);
        id[17] = bf_id_number_check_char(id);
        id[18] = '\0';
        fprintf(fp, "C%07d,360102001001,%s,户主%d,脱贫户,3,无\n", i, id, i);
    }
    assert_int_equal(fclose(fp), 0);
}

static void snapshot(const char *target, int64_t *count, char *digest, size_t digest_size)
{
    bf_store *store = bf_test_db_open(target);
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(store_query_int64(store, "SELECT COUNT(*) FROM households", count, &err, 0),
                     BF_OK);
    bf_stmt *stmt = NULL;
    assert_int_equal(store_prepare(store,
                                   "SELECT group_concat(code || ':' || head_id_hash || ':' || "
                                   "version, ',') FROM (SELECT * FROM households ORDER BY code)",
                                   &stmt, &err),
                     BF_OK);
    bool has_row = false;
    assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
    snprintf(digest, digest_size, "%s", store_column_text(stmt, 0, NULL));
    store_finalize(stmt);
    assert_int_equal(store_prepare(store, "PRAGMA integrity_check", &stmt, &err), BF_OK);
    assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
    assert_string_equal(store_column_text(stmt, 0, NULL), "ok");
    store_finalize(stmt);
    store_close(store);
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

static void test_kill_during_import(void **state)
{
    (void)state;
    if (getenv("BF_TEST_BACKEND") && strcmp(getenv("BF_TEST_BACKEND"), "pg") == 0)
        skip(); /* SQLite file semantics; PostgreSQL has its own crash test */
    char target[4096];
    assert_int_equal(bf_test_db_new(target, sizeof target), 0);
    char fixture[4096];
    bf_test_source_path("tests/import/fixtures/regions.csv", fixture, sizeof fixture);
    assert_int_equal(bf_test_run(NULL, NULL, "import regions '%s' --db '%s'", fixture, target), 0);
    bf_test_source_path("tests/import/fixtures/households.csv", fixture, sizeof fixture);
    assert_int_equal(bf_test_run(NULL, NULL, "import households '%s' --db '%s'", fixture, target),
                     0);
    int64_t count_before = 0;
    static char digest_before[1 << 16], digest_after[1 << 16];
    snapshot(target, &count_before, digest_before, sizeof digest_before);
    assert_int_equal(count_before, 3);

    char *dir = bf_test_tmpdir();
    char big[4200];
    snprintf(big, sizeof big, "%s/big.csv", dir);
    write_households(big);

    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", target);
    off_t wal_start = file_size(wal);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl(bf_test_binary(), "bangfu", "import", "households", big, "--db", target,
              (char *)NULL);
        _exit(127);
    }
    /* Wait until the import has written a good part of its transaction. */
    struct timespec pause = {0, 20 * 1000 * 1000};
    int waited = 0;
    while (file_size(wal) < wal_start + 2 * 1024 * 1024 && waited < 3000) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            fail_msg("import finished before it could be killed; make CRASH_ROWS larger");
        nanosleep(&pause, NULL);
        waited++;
    }
    assert_true(file_size(wal) >= wal_start + 2 * 1024 * 1024);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    int64_t count_after = -1;
    snapshot(target, &count_after, digest_after, sizeof digest_after);
    assert_int_equal(count_after, count_before);
    assert_string_equal(digest_after, digest_before);

    /* And the same file imports completely afterwards. */
    assert_int_equal(bf_test_run(NULL, NULL, "import households '%s' --db '%s'", big, target), 0);
    snapshot(target, &count_after, digest_after, sizeof digest_after);
    assert_int_equal(count_after, count_before + CRASH_ROWS);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_during_import),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
