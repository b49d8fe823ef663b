/*
 * fuzz_http_request.c - libFuzzer target for everything the server does with
 * a request after the network: routing, query parameters, cookies, CSRF,
 * If-Match, JSON bodies (depth, types, fields), multipart uploads, and the
 * handlers themselves, on a real SQLite database with a logged-in county
 * operator. Input format (all optional):
 *   METHOD SP PATH[?QUERY] LF  (Header: value LF)*  LF  BODY
 * The session cookie and CSRF token of the operator are added unless the
 * input sets Cookie / X-CSRF-Token itself; a header "X-Fuzz-As: admin" uses
 * a province administrator's session instead (rules, thresholds, users). Any crash, leak or
 * sanitizer report is a bug; a 5xx answer to this input is one too (checked).
 */
#include "core/arena.h"
#include "domain/accounts.h"
#include "domain/init_hooks.h"
#include "domain/pii.h"
#include "http/json.h"
#include "http/multipart.h"
#include "http/server.h"
#include "http/session.h"
#include "store/migrate.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static http_server *server;
static char cookie[128], admin_cookie[128];
static char csrf[SESSION_TOKEN_LEN + 1], admin_csrf[SESSION_TOKEN_LEN + 1];

static void die(const char *what, const bf_error *err)
{
    fprintf(stderr, "fuzz setup: %s: %s\n", what, err ? bf_error_text(err) : "");
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (sodium_init() < 0)
        die("sodium", NULL);
    accounts_set_hash_cost(crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
    static char dir[] = "/tmp/bangfu-fuzz-XXXXXX";
    if (!mkdtemp(dir))
        die("mkdtemp", NULL);
    char db[256], key[300];
    snprintf(db, sizeof db, "%s/fuzz.db", dir);
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    if (store_open(db, true, &store, &err) || store_migrate(store, NULL, NULL, &err) ||
        bf_init_hooks_run(store, &err))
        die("database", &err);
    if (store_exec(store,
                   "INSERT INTO regions (code, name, level, parent_code, flags) VALUES "
                   "('360000000000','省',1,NULL,0),('360100000000','市',2,'360000000000',0),"
                   "('360102000000','县',3,'360100000000',0),"
                   "('360102001000','镇',4,'360102000000',0),"
                   "('360102001001','村',5,'360102001000',0);"
                   "INSERT INTO projects (county_code, code, name, region_code, sector, "
                   "start_year, investment, operation_mode, status, updated_at) VALUES "
                   "('360102','P1','项目','360102001001','pv',2020,100,'collective',"
                   "'operating',1)",
                   &err))
        die("seed", &err);
    int64_t uid = 0;
    if (accounts_add(store, "op", NULL, "county_operator", "360102000000", "Passw0rd-fuzz", false,
                     &uid, &err))
        die("user", &err);
    char token[SESSION_TOKEN_LEN + 1];
    if (session_create(store, uid, "127.0.0.1", token, csrf, &err))
        die("session", &err);
    snprintf(cookie, sizeof cookie, "%s=%s", SESSION_COOKIE, token);
    if (accounts_add(store, "adm", NULL, "province_admin", "360000000000", "Passw0rd-fuzz", false,
                     &uid, &err))
        die("admin", &err);
    if (session_create(store, uid, "127.0.0.1", token, admin_csrf, &err))
        die("admin session", &err);
    snprintf(admin_cookie, sizeof admin_cookie, "%s=%s", SESSION_COOKIE, token);
    store_close(store);
    pii_key_path(db, NULL, key, sizeof key);
    if (pii_key_create(key, &err))
        die("key", &err);
    http_config cfg;
    http_config_defaults(&cfg);
    cfg.threads = 1;
    cfg.summary_refresh = 0;
    cfg.session_idle = 86400;
    cfg.session_max = 86400 * 30;
    snprintf(cfg.access_log, sizeof cfg.access_log, "off");
    if (http_server_new(&cfg, db, &server, &err))
        die("server", &err);
    return 0;
}

/* Next line of data (without LF) as a NUL-terminated arena copy. */
static char *next_line(bf_arena *arena, const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl ? nl : end;
    char *line = bf_arena_strndup(arena, *p, (size_t)(stop - *p));
    *p = nl ? nl + 1 : end;
    return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bf_arena *arena = bf_arena_new(64 * 1024 * 1024);
    if (!arena)
        return 0;
    const char *p = (const char *)data, *end = p + size;
    http_request req;
    memset(&req, 0, sizeof req);
    req.arena = arena;
    req.address = "127.0.0.1";
    char *first = next_line(arena, &p, end);
    char *space = first ? strchr(first, ' ') : NULL;
    req.method = "GET";
    req.path = "/api/v1/health";
    if (space) {
        *space = '\0';
        if (*first && strlen(first) < 10)
            req.method = first;
        char *target = space + 1;
        char *q = strchr(target, '?');
        if (q) {
            *q++ = '\0';
            while (q && *q && req.nquery < HTTP_MAX_QUERY) {
                char *amp = strchr(q, '&');
                if (amp)
                    *amp++ = '\0';
                char *eq = strchr(q, '=');
                if (eq)
                    *eq++ = '\0';
                req.query[req.nquery].name = q;
                req.query[req.nquery].value = eq ? eq : "";
                req.nquery++;
                q = amp;
            }
        }
        if (*target == '/')
            req.path = target;
    }
    bool has_cookie = false, has_csrf = false, as_admin = false;
    while (p < end && req.nheaders < HTTP_MAX_HEADERS - 2) {
        char *line = next_line(arena, &p, end);
        if (!line || !*line)
            break;
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *value = colon + 1;
        while (*value == ' ')
            value++;
        if (strcasecmp(line, "X-Fuzz-As") == 0) {
            as_admin = strcmp(value, "admin") == 0;
            continue;
        }
        has_cookie = has_cookie || strcasecmp(line, "Cookie") == 0;
        has_csrf = has_csrf || strcasecmp(line, "X-CSRF-Token") == 0;
        req.headers[req.nheaders].name = line;
        req.headers[req.nheaders].value = value;
        req.nheaders++;
    }
    if (!has_cookie)
        req.headers[req.nheaders++] = (http_pair){"Cookie", as_admin ? admin_cookie : cookie};
    if (!has_csrf)
        req.headers[req.nheaders++] = (http_pair){"X-CSRF-Token", as_admin ? admin_csrf : csrf};
    req.body = p;
    req.body_len = (size_t)(end - p);

    /* The parsers on their own. */
    json_t *obj = NULL;
    if (http_json_parse_object(req.body, req.body_len, &obj, NULL) == BF_OK)
        json_decref(obj);
    char boundary[72];
    const char *part = NULL;
    size_t part_len = 0;
    char fname[64];
    if (http_multipart_boundary(http_header(&req, "Content-Type"), boundary))
        http_multipart_find(req.body, req.body_len, boundary, "file", &part, &part_len, fname,
                            sizeof fname);

    /* The whole request. */
    http_response res;
    http_response_init(&res);
    http_server_handle(server, &req, &res);
    if (res.status >= 500 && res.status != 503) {
        fprintf(stderr, "server answered %d: %.*s\n", res.status, (int)res.body_len,
                res.body ? res.body : "");
        abort();
    }
    http_response_clear(&res);
    bf_arena_free(arena);
    return 0;
}
