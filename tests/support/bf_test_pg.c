/*
 * bf_test_pg.c - fresh PostgreSQL databases for the tests (BF_TEST_BACKEND=pg).
 *
 * Each call creates a database bftest_<pid>_<n> on the server named by
 * BF_TEST_PG (a URL whose user may create databases) and writes the URL of the
 * new database into target; every database made by the process is dropped when
 * it exits (unless BF_TEST_KEEP is set). A PostgreSQL target has no file to keep
 * the ID-number key beside, so the first call points BANGFU_KEY_FILE (unless
 * already set) at a key in a temporary folder of this process; the bangfu
 * commands a test runs inherit it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DBS 256

int bf_test_pg_db_new(char *target, size_t target_size);

static char created[MAX_DBS][64];
static int ncreated;

static PGconn *admin_connect(void)
{
    const char *url = getenv("BF_TEST_PG");
    if (!url || !*url) {
        fprintf(stderr, "BF_TEST_BACKEND=pg needs BF_TEST_PG=postgresql://... "
                        "(scripts/pg-test-cluster start prints one)\n");
        return NULL;
    }
    PGconn *conn = PQconnectdb(url);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "BF_TEST_PG %s: %s", url, PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

static void drop_created(void)
{
    if (ncreated == 0 || getenv("BF_TEST_KEEP"))
        return;
    PGconn *conn = admin_connect();
    if (!conn)
        return;
    for (int i = 0; i < ncreated; i++) {
        char sql[128];
        /* FORCE: a test may exit with its handles still open. */
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", created[i]);
        PGresult *res = PQexec(conn, sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            fprintf(stderr, "could not drop %s: %s", created[i], PQerrorMessage(conn));
        PQclear(res);
    }
    ncreated = 0;
    PQfinish(conn);
}

/* Append s percent-encoded (everything but unreserved characters). */
static void append_encoded(char *out, size_t out_size, const char *s)
{
    size_t n = strlen(out);
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 4 < out_size; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~')
            out[n++] = (char)*p;
        else
            n += (size_t)snprintf(out + n, out_size - n, "%%%02X", *p);
    }
    out[n] = '\0';
}

/* BF_TEST_PG with its database replaced by dbname, as a postgresql:// URL. */
static int url_for(const char *dbname, char *out, size_t out_size)
{
    char *errmsg = NULL;
    PQconninfoOption *options = PQconninfoParse(getenv("BF_TEST_PG"), &errmsg);
    if (!options) {
        fprintf(stderr, "BF_TEST_PG: %s\n", errmsg ? errmsg : "out of memory");
        PQfreemem(errmsg);
        return -1;
    }
    snprintf(out, out_size, "postgresql:///%s", dbname);
    char sep = '?';
    for (PQconninfoOption *o = options; o->keyword; o++) {
        if (!o->val || strcmp(o->keyword, "dbname") == 0)
            continue;
        size_t n = strlen(out);
        snprintf(out + n, out_size - n, "%c%s=", sep, o->keyword);
        append_encoded(out, out_size, o->val);
        sep = '&';
    }
    PQconninfoFree(options);
    return strlen(out) + 1 < out_size ? 0 : -1;
}

int bf_test_pg_db_new(char *target, size_t target_size)
{
    static int counter;
    if (ncreated >= MAX_DBS) {
        fprintf(stderr, "bf_test_pg_db_new: more than %d databases in one test\n", MAX_DBS);
        return -1;
    }
    PGconn *conn = admin_connect();
    if (!conn)
        return -1;
    char dbname[64];
    snprintf(dbname, sizeof dbname, "bftest_%ld_%d", (long)getpid(), counter++);
    char sql[256];
    snprintf(sql, sizeof sql,
             "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'",
             dbname);
    PGresult *res = PQexec(conn, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
    if (!ok)
        return -1;
    if (ncreated == 0)
        atexit(drop_created);
    snprintf(created[ncreated++], sizeof created[0], "%s", dbname);
    if (!getenv("BANGFU_KEY_FILE")) {
        char *dir = bf_test_tmpdir();
        char key_path[4200];
        snprintf(key_path, sizeof key_path, "%s/pg-test.key", dir);
        free(dir);
        setenv("BANGFU_KEY_FILE", key_path, 1);
    }
    return url_for(dbname, target, target_size);
}
