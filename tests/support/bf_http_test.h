/*
 * bf_http_test.h - what the HTTP tests share: the real server started
 * in-process on a free loopback port over a fresh database, a small seeded
 * region tree with two sibling counties, accounts of every kind, and a
 * libcurl client that keeps its session cookie and CSRF token.
 *
 * Seed (all codes real-shaped): province 360000000000 > city 360100000000 >
 * counties 360102000000 (A) and 360103000000 (B), each with one township and
 * one village; per county two projects (PA1, PA2 / PB1, PB2) with an asset
 * and a 2024 yearly record each, and one household (HA1 / HB1) with a member,
 * a 2024 income record and a benefit from the county's first project.
 */
#ifndef BF_HTTP_TEST_H
#define BF_HTTP_TEST_H

#include "http/http.h"
#include "http/server.h"

#include <jansson.h>
#include <stdbool.h>

#define TEST_PASSWORD "Passw0rd-test1"

typedef struct {
    http_server *server;
    int port;
    char db[4096];
    http_config cfg;
} test_server;

/* Seed a fresh database, create the accounts (admin province_admin; opA, opB
 * county_operator of A and B; viewA county_decision of A; villA village of A's
 * village; evalA evaluator assigned PA1; auditor auditor at the province), then
 * start the server with cfg tweaks from tweak (may be NULL). Asserts on failure. */
void test_server_start(test_server *ts, void (*tweak)(http_config *cfg));
void test_server_stop(test_server *ts);
/* cmocka set-up and tear-down of a group or test: a server started with the
 * default configuration (test_server_setup) or with tweak applied
 * (test_server_setup_tweaked), stopped and freed by test_server_teardown. */
int test_server_setup(void **state);
int test_server_setup_tweaked(void **state, void (*tweak)(http_config *cfg));
int test_server_teardown(void **state);

typedef struct {
    int port;
    char cookie[256];
    char csrf[128];
} test_client;

typedef struct {
    long status;
    char *body; /* malloc'd, NUL-terminated */
    size_t body_len;
    json_t *json; /* parsed body, or NULL */
    char etag[64];
    char retry_after[32];
    char location[256];
    char content_type[128];
    char allow[128];
} test_response;

void test_client_init(test_client *c, const test_server *ts);
/* Log in; returns the HTTP status (200 on success, keeping cookie and CSRF token). */
long test_login(test_client *c, const char *user, const char *password);
/* A request; body (may be NULL) with content_type (NULL: application/json).
 * extra_header (may be NULL) e.g. "If-Match: \"1\"". The CSRF header is sent
 * when the client has a token and send_csrf. */
void test_request(test_client *c, const char *method, const char *path, const char *body,
                  size_t body_len, const char *content_type, const char *extra_header,
                  bool send_csrf, test_response *res);
/* Shorthand: JSON body, CSRF sent. */
void test_call(test_client *c, const char *method, const char *path, const char *json_body,
               test_response *res);
void test_response_free(test_response *res);

#endif
