/*
 * test_import_bulk.c - the import's bulk path and its pipeline, on the backend
 * under test: a load into an empty table drops the table's droppable indexes
 * and creates the same ones again at the end; a unique index that the rows
 * break fails the whole import; a check that needs a dropped index ends the
 * bulk path early; an import killed while it creates the indexes again
 * leaves the database as it was; on SQLite the load goes through a rollback
 * journal instead of WAL when its connection is the database's only one, and
 * through WAL when another is open; a row the database refuses in a batch of
 * the bulk path fails the whole import; and errors found on the converting
 * thread come out in the same order as the checks after them, across batches,
 * with the record keys in the in-memory set or, past its budget, in the
 * temporary table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"
#include "domain/import.h"
#include "domain/pii.h"
#include "io/validate.h"
#include "store/store.h"

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A valid ID number: area 360102, born 1960 + i / 9000 days, sequence i. */
static void make_id(int i, char out[19])
{
    char body[40];
    snprintf(body, sizeof body, "3601021960%02u%02u%03u", 1 + (unsigned)(i / 28) % 12,
             1 + (unsigned)i % 28, (unsigned)(i / 336) % 1000);
    memcpy(out, body, 17);
    out[17] = bf_id_number_check_char(out);
    out[18] = '\0';
}

/* A households file of n rows, H00000..; head names from name_of. */
static char *households_csv(const char *dir, const char *name, int n, const char *same_name)
{
    char *path = malloc(4200);
    assert_non_null(path);
    snprintf(path, 4200, "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("户编号,区划代码,户主身份证号,户主姓名,户类型,家庭人口,风险状态\n", fp);
    for (int i = 0; i < n; i++) {
        char id[19];
        make_id(i, id);
        fprintf(fp, "H%05d,%s,%s,%s%d,脱贫户,3,无\n", i, i % 2 ? "360102001001" : "360102001002",
                id, same_name ? same_name : "户主", same_name ? 0 : i);
    }
    assert_int_equal(fclose(fp), 0);
    return path;
}

typedef struct {
    bf_store *store;
    pii_keys *keys;
    char target[4096];
    char *dir;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(bf_test_db_new(f->target, sizeof f->target), 0);
    char regions[4096];
    bf_test_source_path("tests/import/fixtures/regions.csv", regions, sizeof regions);
    assert_int_equal(bf_test_run(NULL, NULL, "import regions '%s' --db '%s'", regions, f->target),
                     0);
    f->store = bf_test_db_open(f->target);
    char key_path[4200];
    pii_key_path(f->target, NULL, key_path, sizeof key_path);
    bf_error err;
    assert_int_equal(pii_keys_load(key_path, &f->keys, &err), BF_OK);
    f->dir = bf_test_tmpdir();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_close(f->store);
    pii_keys_free(f->keys);
    free(f->dir);
    free(f);
    return 0;
}

/* The droppable indexes of a table as one string: "name=sql;..." */
static char *index_list(bf_store *store, const char *table)
{
    store_index *indexes = NULL;
    size_t n = 0;
    bf_error err;
    assert_int_equal(store_table_indexes(store, table, &indexes, &n, &err), BF_OK);
    size_t size = 64;
    for (size_t i = 0; i < n; i++)
        size += strlen(indexes[i].name) + strlen(indexes[i].sql) + 4;
    char *out = calloc(1, size);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        strcat(out, indexes[i].name);
        strcat(out, "=");
        strcat(out, indexes[i].sql);
        strcat(out, ";");
    }
    store_indexes_free(indexes, n);
    return out;
}

/* SQLite's journal mode of the database, lower case. */
static void journal_mode(bf_store *store, char *out, size_t size)
{
    bf_stmt *stmt = NULL;
    bf_error err;
    bool has_row = false;
    assert_int_equal(store_prepare(store, "PRAGMA journal_mode", &stmt, &err), BF_OK);
    assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
    assert_true(has_row);
    snprintf(out, size, "%s", store_column_text(stmt, 0, NULL));
    store_finalize(stmt);
}

static bool is_sqlite(const fixture *f)
{
    return store_kind(f->store) == BF_STORE_SQLITE;
}

typedef struct {
    int calls;
    size_t total;
    char names[1024];
    int kill_at;         /* raise SIGKILL when this many indexes are done (0: never) */
    const char *journal; /* a file to look for at each call (NULL: none) */
    int with, without;   /* calls that found it, calls that did not */
} rebuild_log;

static void on_rebuild(void *ctx, const char *index, size_t done, size_t total)
{
    rebuild_log *log = ctx;
    if (log->journal) {
        if (access(log->journal, F_OK) == 0)
            log->with++;
        else
            log->without++;
    }
    if (log->kill_at && done == (size_t)log->kill_at)
        raise(SIGKILL);
    log->calls++;
    log->total = total;
    if (done < total) {
        strncat(log->names, index, sizeof log->names - strlen(log->names) - 2);
        strcat(log->names, ";");
    }
}

typedef struct {
    int n;
    char lines[64][256];
} error_log;

static void on_error(void *ctx, const import_error *e)
{
    error_log *log = ctx;
    if (log->n < 64)
        snprintf(log->lines[log->n], sizeof log->lines[0], "%ld|%s|%s", e->row, e->column,
                 e->reason);
    log->n++;
}

static bf_status run_import_budget(fixture *f, tpl_kind kind, const char *path, bool skip_bad,
                                   rebuild_log *rebuild, error_log *errors, size_t seen_max_bytes,
                                   import_result *res, bf_error *err)
{
    import_options opt = {.keys = f->keys,
                          .seen_max_bytes = seen_max_bytes,
                          .file_label = "t.csv",
                          .skip_bad = skip_bad,
                          .on_rebuild = rebuild ? on_rebuild : NULL,
                          .progress_ctx = rebuild,
                          .on_error = errors ? on_error : NULL,
                          .error_ctx = errors};
    bf_error_clear(err);
    return import_file(f->store, kind, path, &opt, res, err);
}

static bf_status run_import(fixture *f, tpl_kind kind, const char *path, bool skip_bad,
                            rebuild_log *rebuild, error_log *errors, import_result *res,
                            bf_error *err)
{
    return run_import_budget(f, kind, path, skip_bad, rebuild, errors, 0, res, err);
}

/* An empty table: its indexes are dropped and created again, the same. */
static void test_bulk_restores_indexes(void **state)
{
    fixture *f = *state;
    char *before = index_list(f->store, "households");
    assert_non_null(strstr(before, "households_head="));
    char *path = households_csv(f->dir, "h.csv", 6000, NULL);
    rebuild_log rebuild = {0};
    import_result res;
    bf_error err;
    assert_int_equal(run_import(f, TPL_HOUSEHOLDS, path, false, &rebuild, NULL, &res, &err), BF_OK);
    assert_int_equal(res.inserted, 6000);
    assert_true(res.committed);
    char *after = index_list(f->store, "households");
    assert_string_equal(after, before);
    /* on_rebuild: once per index, then once at the end. */
    assert_true(rebuild.total >= 4);
    assert_int_equal(rebuild.calls, (int)rebuild.total + 1);
    assert_non_null(strstr(rebuild.names, "households_head;"));
    assert_int_equal(bf_test_query_int(f->store, "SELECT COUNT(*) FROM households"), 6000);
    assert_int_equal(bf_test_query_int(f->store, "SELECT COUNT(*) FROM households WHERE "
                                                 "head_name = '户主599' AND code = 'H00599'"),
                     1);

    /* Again, into the full table: the upsert path, nothing dropped or changed. */
    rebuild_log again = {0};
    assert_int_equal(run_import(f, TPL_HOUSEHOLDS, path, false, &again, NULL, &res, &err), BF_OK);
    assert_int_equal(again.calls, 0);
    assert_int_equal(res.unchanged, 6000);
    assert_int_equal(res.inserted, 0);
    free(after);
    after = index_list(f->store, "households");
    assert_string_equal(after, before);
    free(before);
    free(after);
    free(path);
}

/* A small file (under IMPORT_BULK_MIN_BYTES) into an empty table takes the
 * upsert path: nothing dropped, nothing made again. */
static void test_small_file_no_bulk(void **state)
{
    fixture *f = *state;
    char *before = index_list(f->store, "households");
    char *path = households_csv(f->dir, "small.csv", 50, NULL);
    rebuild_log rebuild = {0};
    import_result res;
    bf_error err;
    assert_int_equal(run_import(f, TPL_HOUSEHOLDS, path, false, &rebuild, NULL, &res, &err), BF_OK);
    assert_int_equal(res.inserted, 50);
    assert_int_equal(rebuild.calls, 0);
    char *after = index_list(f->store, "households");
    assert_string_equal(after, before);
    free(before);
    free(after);
    free(path);
}

/* A unique index the rows break fails the whole import when it is created
 * again, with a message naming it; the table stays empty, the index there. */
static void test_bulk_unique_violation(void **state)
{
    fixture *f = *state;
    bf_test_exec(f->store, "CREATE UNIQUE INDEX households_test_name ON households(head_name)");
    char *before = index_list(f->store, "households");
    assert_non_null(strstr(before, "households_test_name="));
    char *path = households_csv(f->dir, "same.csv", 6000, "同名");
    import_result res;
    bf_error err;
    rebuild_log rebuild = {0};
    assert_int_equal(run_import(f, TPL_HOUSEHOLDS, path, false, &rebuild, NULL, &res, &err),
                     BF_ERR_CONFLICT);
    assert_non_null(strstr(bf_error_text(&err), "不满足 households_test_name 的唯一性"));
    assert_non_null(strstr(bf_error_text(&err), "导入已全部撤销"));
    assert_false(res.committed);
    assert_int_equal(bf_test_query_int(f->store, "SELECT COUNT(*) FROM households"), 0);
    char *after = index_list(f->store, "households");
    assert_string_equal(after, before);
    free(before);
    free(after);
    free(path);
}

/* A head ID number twice: the check that reads households by head needs the
 * index back, so the bulk path ends there; the rest goes through the upsert,
 * and with --skip-bad the good rows are kept, the indexes all there. */
static void test_bulk_ends_early(void **state)
{
    fixture *f = *state;
    char *before = index_list(f->store, "households");
    char *path = households_csv(f->dir, "early.csv", 6000, NULL);
    /* Row 6002 (H09999) has the head of row 2 (H00000). */
    FILE *fp = fopen(path, "a");
    assert_non_null(fp);
    char id[19];
    make_id(0, id);
    fprintf(fp, "H09999,360102001001,%s,重复户主,脱贫户,2,无\n", id);
    make_id(9000, id);
    fprintf(fp, "H10000,360102001001,%s,后来者,脱贫户,2,无\n", id);
    assert_int_equal(fclose(fp), 0);
    rebuild_log rebuild = {0};
    error_log errors = {0};
    import_result res;
    bf_error err;
    assert_int_equal(run_import(f, TPL_HOUSEHOLDS, path, true, &rebuild, &errors, &res, &err),
                     BF_ERR_INVALID);
    assert_true(res.committed);
    assert_int_equal(errors.n, 1);
    assert_string_equal(errors.lines[0],
                        "6002|户主身份证号|此人已是户 H00000 的户主，一个人只能属于一户");
    assert_true(rebuild.calls > 0);
    assert_int_equal(res.inserted, 6001);
    assert_int_equal(bf_test_query_int(f->store, "SELECT COUNT(*) FROM households"), 6001);
    char *after = index_list(f->store, "households");
    assert_string_equal(after, before);
    free(before);
    free(after);
    free(path);
}

/* Killed while the indexes are created again: the database as before. */
static void test_kill_during_rebuild(void **state)
{
    fixture *f = *state;
    char *before = index_list(f->store, "households");
    char *path = households_csv(f->dir, "kill.csv", 6000, NULL);
    store_close(f->store);
    f->store = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        bf_store *store = NULL;
        bf_error err;
        if (store_open(f->target, false, &store, &err) != BF_OK)
            _exit(2);
        f->store = store;
        rebuild_log rebuild = {.kill_at = 2}; /* two indexes made again, then killed */
        import_result res;
        run_import(f, TPL_HOUSEHOLDS, path, false, &rebuild, NULL, &res, &err);
        _exit(3); /* not reached: the import must have been killed */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    char journal[4200];
    snprintf(journal, sizeof journal, "%s-journal", f->target);
    bool sqlite = !getenv("BF_TEST_BACKEND") || strcmp(getenv("BF_TEST_BACKEND"), "pg") != 0;
    /* On SQLite the load had the database to itself: it was killed in the
     * rollback journal, and left it behind, hot. */
    if (sqlite)
        assert_int_equal(access(journal, F_OK), 0);
    f->store = bf_test_db_open(f->target);
    assert_int_equal(bf_test_query_int(f->store, "SELECT COUNT(*) FROM households"), 0);
    if (sqlite) {
        /* Rolled back by the next connection, which is in WAL again. */
        char mode[32];
        journal_mode(f->store, mode, sizeof mode);
        assert_string_equal(mode, "wal");
        assert_int_not_equal(access(journal, F_OK), 0);
    }
    char *after = index_list(f->store, "households");
    assert_string_equal(after, before);
    if (store_kind(f->store) == BF_STORE_SQLITE) {
        bf_stmt *stmt = NULL;
        bf_error err;
        bool has_row = false;
        assert_int_equal(store_prepare(f->store, "PRAGMA integrity_check", &stmt, &err), BF_OK);
        assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
        assert_string_equal(store_column_text(stmt, 0, NULL), "ok");
        store_finalize(stmt);
    }
    /* And the same file loads completely afterwards. */
    import_result res;
    bf_error err;
    assert_int_equal(run_import(f, TPL_HOUSEHOLDS, path, false, NULL, NULL, &res, &err), BF_OK);
    assert_int_equal(bf_test_query_int(f->store, "SELECT COUNT(*) FROM households"), 6000);
    free(after);
    after = index_list(f->store, "households");
    assert_string_equal(after, before);
    free(before);
    free(after);
    free(path);
}

/* On SQLite, a bulk load by the database's only connection goes through a
 * rollback journal (store_bulk_journal): the journal file is there while the
 * indexes are made again, and after the commit the database is in WAL
 * again, with no journal left. */
static void test_bulk_journal(void **state)
{
    fixture *f = *state;
    if (!is_sqlite(f))
        skip();
    char *path = households_csv(f->dir, "j.csv", 6000, NULL);
    char journal[4200], wal[4200];
    snprintf(journal, sizeof journal, "%s-journal", f->target);
    snprintf(wal, sizeof wal, "%s-wal", f->target);
    rebuild_log rebuild = {.journal = journal};
    import_result res;
    bf_error err;
    assert_int_equal(run_import(f, TPL_HOUSEHOLDS, path, false, &rebuild, NULL, &res, &err), BF_OK);
    assert_true(res.committed);
    assert_true(rebuild.calls >= 5);
    assert_int_equal(rebuild.with, rebuild.calls);
    assert_int_equal(rebuild.without, 0);
    char mode[32];
    journal_mode(f->store, mode, sizeof mode);
    assert_string_equal(mode, "wal");
    assert_int_not_equal(access(journal, F_OK), 0);
    assert_int_equal(bf_test_query_int(f->store, "SELECT COUNT(*) FROM households"), 6000);
    assert_int_equal(bf_test_query_int(f->store, "SELECT COUNT(*) FROM households INDEXED BY "
                                                 "households_head WHERE head_id_hash > ''"),
                     6000);
    /* A later write goes through the WAL, as before the load. */
    bf_test_exec(f->store, "UPDATE households SET head_name = '改名' WHERE code = 'H00001'");
    assert_int_equal(access(wal, F_OK), 0);
    free(path);
}

/* With another connection open (a server's pool, another command), the
 * rollback journal is refused at once and the load goes through the WAL:
 * the other connection keeps reading while the load runs, and sees the rows
 * after the commit. */
static void test_bulk_journal_refused(void **state)
{
    fixture *f = *state;
    if (!is_sqlite(f))
        skip();
    bf_store *other = bf_test_db_open(f->target);
    assert_int_equal(bf_test_query_int(other, "SELECT COUNT(*) FROM households"), 0);
    char *path = households_csv(f->dir, "r.csv", 6000, NULL);
    char journal[4200];
    snprintf(journal, sizeof journal, "%s-journal", f->target);
    rebuild_log rebuild = {.journal = journal};
    import_result res;
    bf_error err;
    assert_int_equal(run_import(f, TPL_HOUSEHOLDS, path, false, &rebuild, NULL, &res, &err), BF_OK);
    assert_true(res.committed);
    assert_true(rebuild.calls >= 5);
    assert_int_equal(rebuild.with, 0);
    assert_int_equal(rebuild.without, rebuild.calls);
    char mode[32];
    journal_mode(f->store, mode, sizeof mode);
    assert_string_equal(mode, "wal");
    assert_int_equal(bf_test_query_int(other, "SELECT COUNT(*) FROM households"), 6000);
    store_close(other);
    free(path);
}

/* On SQLite the bulk path writes its rows as multi-row INSERTs: a row the
 * database refuses (here a trigger, as a schema with more rules than the
 * importer's checks might) fails the whole import when its batch is written,
 * and nothing of it stays: no row, the indexes as they were. */
static void test_bulk_batch_refused(void **state)
{
    fixture *f = *state;
    if (!is_sqlite(f))
        skip();
    char *before = index_list(f->store, "households");
    bf_test_exec(f->store, "CREATE TRIGGER refuse_one BEFORE INSERT ON households "
                           "WHEN NEW.code = 'H03001' BEGIN SELECT RAISE(ABORT, 'refused'); END");
    char *path = households_csv(f->dir, "t.csv", 6000, NULL);
    import_result res;
    bf_error err;
    assert_int_equal(run_import(f, TPL_HOUSEHOLDS, path, false, NULL, NULL, &res, &err),
                     BF_ERR_CONFLICT);
    assert_non_null(strstr(bf_error_text(&err), "refused"));
    assert_false(res.committed);
    assert_int_equal(bf_test_query_int(f->store, "SELECT COUNT(*) FROM households"), 0);
    char *after = index_list(f->store, "households");
    assert_string_equal(after, before);
    bf_test_exec(f->store, "DROP TRIGGER refuse_one");
    assert_int_equal(run_import(f, TPL_HOUSEHOLDS, path, false, NULL, NULL, &res, &err), BF_OK);
    assert_int_equal(bf_test_query_int(f->store, "SELECT COUNT(*) FROM households"), 6000);
    free(before);
    free(after);
    free(path);
}

/* Errors of the converting thread (a bad cell) and of the checks after it
 * (a duplicate code) keep the order of the rows and, within a row, the order
 * of the checks, across the pipeline's batches of rows. seen_max_bytes: the
 * record-key set's budget (0: the default). */
static void pipeline_error_order(fixture *f, size_t seen_max_bytes)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/order.csv", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("户编号,区划代码,户主身份证号,户主姓名,户类型,家庭人口,风险状态\n", fp);
    for (int i = 0; i < 1500; i++) {
        char id[19];
        make_id(i, id);
        if (i % 300 == 299)
            id[17] = id[17] == '0' ? '1' : '0'; /* a wrong check digit */
        /* Every 500th row repeats the code of the row before it. */
        int code = i % 500 == 499 ? i - 1 : i;
        fprintf(fp, "H%05d,360102001001,%s,户主%d,%s,3,无\n", code, id, i,
                i == 899 ? "贫困户" : "脱贫户");
    }
    assert_int_equal(fclose(fp), 0);
    error_log errors = {0};
    import_result res;
    bf_error err;
    assert_int_equal(run_import_budget(f, TPL_HOUSEHOLDS, path, false, NULL, &errors,
                                       seen_max_bytes, &res, &err),
                     BF_ERR_INVALID);
    assert_false(res.committed);
    assert_int_equal(res.rows, 1500);
    const char *want[] = {
        "301|户主身份证号|身份证号无效：校验码错误",
        "501|户编号|与本文件第 500 行重复",
        "601|户主身份证号|身份证号无效：校验码错误",
        "901|户主身份证号|身份证号无效：校验码错误",
        "901|户类型|取值无效",
        "1001|户编号|与本文件第 1000 行重复",
        "1201|户主身份证号|身份证号无效：校验码错误",
        "1501|户主身份证号|身份证号无效：校验码错误",
        "1501|户编号|与本文件第 1500 行重复",
    };
    size_t nwant = sizeof want / sizeof want[0];
    assert_int_equal(errors.n, (int)nwant);
    for (size_t i = 0; i < nwant; i++) {
        if (strncmp(errors.lines[i], want[i], strlen(want[i])) != 0)
            fail_msg("error %zu: got \"%s\", want \"%s...\"", i, errors.lines[i], want[i]);
    }
    assert_int_equal(bf_test_query_int(f->store, "SELECT COUNT(*) FROM households"), 0);
}

static void test_pipeline_error_order(void **state)
{
    pipeline_error_order(*state, 0);
}

/* The same with the record-key set at its smallest (1,024 slots, full at 768
 * keys): the keys of rows 770 on go to the temporary table, and the
 * duplicates of rows 1001 and 1501 are found there, reported the same. */
static void test_pipeline_seen_table(void **state)
{
    pipeline_error_order(*state, 1);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bulk_restores_indexes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_small_file_no_bulk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bulk_unique_violation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bulk_ends_early, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_during_rebuild, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bulk_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bulk_journal_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bulk_batch_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipeline_error_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipeline_seen_table, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
