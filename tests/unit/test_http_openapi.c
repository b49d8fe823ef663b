/*
 * test_http_openapi.c - docs/api/openapi.yaml against the running server:
 * every path and method in the file is requested (path parameters filled
 * with seeded records, bodies "{}") and must answer one of the statuses the
 * file documents for it, with a JSON error body for errors; and every route
 * of the server's route table must be in the file. The YAML is read with a
 * small line parser that relies on the file's fixed indentation (paths at 2
 * spaces, methods at 4, response codes at 8).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_http_test.h"
#include "bf_test.h"
#include "http/router.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPS 128

typedef struct {
    char method[8];
    char path[160];
    int codes[16];
    int ncodes;
} api_op;

static int parse_openapi(api_op *ops)
{
    char path[4200];
    bf_test_source_path("docs/api/openapi.yaml", path, sizeof path);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[1024], cur_path[160] = "";
    bool in_paths = false;
    int n = 0;
    api_op *op = NULL;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] && line[0] != ' ') {
            in_paths = strcmp(line, "paths:") == 0;
            continue;
        }
        if (!in_paths)
            continue;
        if (strncmp(line, "  /", 3) == 0 && line[3 + strcspn(line + 3, ":")] == ':') {
            snprintf(cur_path, sizeof cur_path, "%.*s", (int)strcspn(line + 2, ":"), line + 2);
            op = NULL;
            continue;
        }
        static const char *const methods[] = {"get", "post", "patch", "put", "delete"};
        for (size_t m = 0; m < 5; m++) {
            char want[32];
            snprintf(want, sizeof want, "    %s:", methods[m]);
            if (strcmp(line, want) == 0) {
                assert_true(n < MAX_OPS);
                op = &ops[n++];
                memset(op, 0, sizeof *op);
                for (size_t i = 0; methods[m][i]; i++)
                    op->method[i] = (char)toupper((unsigned char)methods[m][i]);
                snprintf(op->path, sizeof op->path, "%s", cur_path);
            }
        }
        if (op && strncmp(line, "        '", 9) == 0 && isdigit((unsigned char)line[9]) &&
            op->ncodes < 16)
            op->codes[op->ncodes++] = atoi(line + 9);
    }
    fclose(fp);
    return n;
}

/* Fill {name} parameters with seeded records. */
static void fill_path(const char *templ, char *out, size_t size)
{
    static const struct {
        const char *prefix; /* path start */
        const char *name;
        const char *value;
    } values[] = {
        {"/regions/", "{code}", "360102000000"},
        {"/projects/", "{code}", "PA1"},
        {"/assets/", "{code}", "AA1"},
        {"/households/", "{code}", "HA1"},
        {"", "{project_code}", "PA1"},
        {"", "{household_code}", "HA1"},
        {"", "{year}", "2024"},
        {"", "{kind}", "dividend"},
        {"", "{name}", "projects"},
        {"", "{template}", "projects"},
        {"", "{username}", "evalA"},
        {"", "{id}", "1"},
    };
    char buf[512];
    snprintf(buf, sizeof buf, "%s", templ);
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        if (strncmp(buf, values[i].prefix, strlen(values[i].prefix)) != 0)
            continue;
        char *at;
        while ((at = strstr(buf, values[i].name))) {
            char rest[512];
            snprintf(rest, sizeof rest, "%s", at + strlen(values[i].name));
            snprintf(at, sizeof buf - (size_t)(at - buf), "%s%s", values[i].value, rest);
        }
    }
    snprintf(out, size, "/api/v1%s", buf);
}

static bool documented(const api_op *op, long status)
{
    for (int i = 0; i < op->ncodes; i++)
        if (op->codes[i] == status)
            return true;
    return false;
}

/* Every request looks its session up in the database (the path the session
 * cache skips), so that path is exercised on every operation too. */
static void no_session_cache(http_config *cfg)
{
    cfg->session_recheck = 0;
}

static void test_every_documented_operation(void **state)
{
    (void)state;
    test_server ts;
    test_server_start(&ts, no_session_cache);
    api_op ops[MAX_OPS];
    int n = parse_openapi(ops);
    assert_true(n >= 40);
    test_client c;
    test_client_init(&c, &ts);
    assert_int_equal(test_login(&c, "admin1", TEST_PASSWORD), 200);
    int failures = 0;
    /* Logout last: it ends the session the others use. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n; i++) {
            bool logout = strcmp(ops[i].path, "/auth/logout") == 0;
            if (logout != (pass == 1))
                continue;
            char path[600];
            fill_path(ops[i].path, path, sizeof path);
            const char *body =
                strcmp(ops[i].method, "GET") && strcmp(ops[i].method, "DELETE") ? "{}" : NULL;
            test_response r;
            test_call(&c, ops[i].method, path, body, &r);
            bool ok = documented(&ops[i], r.status);
            if (ok && r.status >= 400)
                ok = r.json && json_object_get(json_object_get(r.json, "error"), "code");
            if (ok && r.status == 200 && strstr(r.content_type, "application/json"))
                ok = r.json != NULL;
            if (!ok) {
                fprintf(stderr, "%s %s -> %ld (documented:", ops[i].method, path, r.status);
                for (int k = 0; k < ops[i].ncodes; k++)
                    fprintf(stderr, " %d", ops[i].codes[k]);
                fprintf(stderr, ") %.200s\n", r.body ? r.body : "");
                failures++;
            }
            test_response_free(&r);
        }
    }
    assert_int_equal(failures, 0);
    test_server_stop(&ts);
}

/* "/api/v1/projects/{}" <-> "/projects/{code}". */
static void normalise(const char *path, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = path; *p && o + 3 < size; p++) {
        if (*p == '{') {
            out[o++] = '{';
            out[o++] = '}';
            while (*p && *p != '}')
                p++;
            if (!*p)
                break;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

static void test_every_route_documented(void **state)
{
    (void)state;
    api_op ops[MAX_OPS];
    int n = parse_openapi(ops);
    size_t count = 0;
    const http_route *routes = http_routes(&count);
    int missing = 0;
    for (size_t i = 0; i < count; i++) {
        bool found = false;
        for (int k = 0; k < n && !found; k++) {
            char doc[300], route[300];
            normalise(ops[k].path, doc, sizeof doc);
            normalise(routes[i].pattern + strlen("/api/v1"), route, sizeof route);
            found = strcmp(doc, route) == 0 && strcmp(ops[k].method, routes[i].method) == 0;
        }
        if (!found) {
            fprintf(stderr, "route not in openapi.yaml: %s %s\n", routes[i].method,
                    routes[i].pattern);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_documented_operation),
        cmocka_unit_test(test_every_route_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
