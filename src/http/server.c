/*
 * server.c - the libmicrohttpd adapter, the access log and graceful stop
 * (see server.h).
 */
#include "http/server.h"
#include "core/buf.h"
#include "core/date.h"
#include "core/hash.h"
#include "core/text.h"
#include "domain/query_summary.h"
#include "http/json.h"
#include "http/router.h"
#include "http/static.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_ARENA_CAP ((size_t)256 * 1024 * 1024)
#define CACHE_SLOTS       64
#define LOG_BUFFER        (64 * 1024) /* access-log bytes kept before one write() */
#define LOG_FLUSH_MS      1000        /* ... and at most this long */
/* libmicrohttpd's memory per connection (request line and headers, the
 * answer's headers); it zeroes all of it after every request, so its default
 * of 32 KiB cost a visible share of a cached answer. 16 KiB still takes
 * nginx's usual limit of 8 KiB per header line; larger headers answer 431. */
#define CONN_MEMORY (16 * 1024)

/* A cached response body, shared by the cache and the responses sending it:
 * a hit costs a reference, not a copy. Freed with its last reference. */
typedef struct {
    atomic_int refs;
    size_t len;
    char data[];
} shared_body;

static void shared_body_release(void *owner)
{
    shared_body *b = owner;
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

struct http_server {
    http_config cfg;
    store_pool *pool;
    pii_keys *keys;
    session_cache *sessions;
    struct MHD_Daemon *daemon;
    int port;
    int log_fd; /* -1: off */
    bool log_close;
    /* The access log is buffered: lines are appended under log_lock and
     * written LOG_BUFFER bytes at a time, by the request that fills the
     * buffer, or by the flusher thread within LOG_FLUSH_MS, and at stop. */
    pthread_mutex_t log_lock;
    char *log_buf;
    size_t log_len;
    int64_t log_second; /* the second log_when holds */
    char log_when[32];
    pthread_t flusher;
    bool flusher_running;
    /* Writes by other processes (command-line imports, a second server):
     * one connection of its own asks the database for its data version
     * before every cacheable request (see http_server_sync). */
    pthread_mutex_t watch_lock;
    bf_store *watch;
    bf_stmt *watch_stmt;
    uint64_t watch_seen;               /* hash of the last version read; 0 none yet */
    const volatile unsigned char *shm; /* SQLite: the mapped wal-index, or NULL */
    atomic_uint_fast64_t shm_seen;     /* watch_seen, for the lock-free check */
    atomic_int rebuilding;
    atomic_int inflight;
    atomic_int draining; /* http_server_free has begun: new requests get a 503 */
    atomic_int data_changed;
    char *tls_cert_pem;
    char *tls_key_pem;
    pthread_t refresher;
    bool refresher_running;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
    bool stopping;
    pthread_mutex_t summary_lock;
    atomic_uint_fast64_t generation;
    pthread_mutex_t cache_lock;
    struct {
        char key[64];
        uint64_t generation;
        shared_body *body;
    } cache[CACHE_SLOTS];
    unsigned cache_next;
};

typedef struct {
    bf_arena *arena;
    http_request req;
    http_response res;
    bf_buf body;
    size_t limit;
    bool too_large;
    bool refused; /* arrived while the server drains: 503, not counted in flight */
    int status;
    size_t bytes;
    char user[ACCOUNTS_NAME_MAX + 1];
    struct timespec start;
} conn_ctx;

static int64_t elapsed_us(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - start->tv_sec) * 1000000 + (now.tv_nsec - start->tv_nsec) / 1000;
}

/* ---- access log ---- */

/* Write out what the buffer holds (log_lock held). One write() per batch of
 * whole lines, so lines never interleave with another writer's. */
static void log_flush_locked(http_server *srv)
{
    size_t done = 0;
    while (done < srv->log_len) {
        ssize_t n = write(srv->log_fd, srv->log_buf + done, srv->log_len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* a full disk must not stop the server: the lines are dropped */
        done += (size_t)n;
    }
    srv->log_len = 0;
}

/* Append s as a JSON string (valid UTF-8 prefix only, like
 * http_json_str_or_null), or null for NULL. Returns bytes written; out must
 * have room for 6 * strlen(s) + 3. */
static size_t log_json_str(char *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!s) {
        memcpy(out, "null", 4);
        return 4;
    }
    size_t len = bf_utf8_valid_prefix(s, strlen(s), NULL);
    char *o = out;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < 0x20) {
            memcpy(o, "\\u00", 4);
            o[4] = hex[c >> 4];
            o[5] = hex[c & 15];
            o += 6;
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    return (size_t)(o - out);
}

/* Decimal digits of v at out; returns the end (no printf on the hot path). */
static char *log_u64(char *out, uint64_t v)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *out++ = digits[--n];
    return out;
}

/* One JSON line per exchange: time, user, addr, method, path, status, bytes, ms. */
static void access_log(http_server *srv, conn_ctx *ctx)
{
    if (srv->log_fd < 0)
        return;
    int64_t us = elapsed_us(&ctx->start);
    const char *addr = ctx->req.address ? ctx->req.address : "";
    const char *method = ctx->req.method ? ctx->req.method : "";
    const char *path = ctx->req.path ? ctx->req.path : "";
    size_t worst = 6 * (strlen(ctx->user) + strlen(addr) + strlen(method) + strlen(path)) + 200;
    int64_t now = bf_time_now();
    pthread_mutex_lock(&srv->log_lock);
    if (srv->log_len + worst > LOG_BUFFER)
        log_flush_locked(srv);
    char *line = srv->log_buf + srv->log_len, *heap = NULL;
    if (worst > LOG_BUFFER) /* a huge path: a line of its own */
        line = heap = malloc(worst);
    if (line) {
        if (now != srv->log_second) {
            bf_time_format_utc(now, srv->log_when, sizeof srv->log_when);
            srv->log_second = now;
        }
        char *o = line;
        o = stpcpy(stpcpy(stpcpy(o, "{\"time\":\""), srv->log_when), "\",\"user\":");
        o += log_json_str(o, ctx->user);
        o = stpcpy(o, ",\"addr\":");
        o += log_json_str(o, addr);
        o = stpcpy(o, ",\"method\":");
        o += log_json_str(o, method);
        o = stpcpy(o, ",\"path\":");
        o += log_json_str(o, path);
        o = log_u64(stpcpy(o, ",\"status\":"), (uint64_t)(ctx->status > 0 ? ctx->status : 0));
        o = log_u64(stpcpy(o, ",\"bytes\":"), ctx->bytes);
        if (us < 0)
            us = 0;
        o = log_u64(stpcpy(o, ",\"ms\":"), (uint64_t)us / 1000);
        *o++ = '.';
        *o++ = (char)('0' + us / 100 % 10);
        *o++ = (char)('0' + us / 10 % 10);
        *o++ = (char)('0' + us % 10);
        o = stpcpy(o, "}\n");
        if (heap) {
            ssize_t written = write(srv->log_fd, heap, (size_t)(o - heap));
            (void)written;
            free(heap);
        } else {
            srv->log_len += (size_t)(o - line);
        }
    }
    pthread_mutex_unlock(&srv->log_lock);
}

/* Writes the access log out at least every LOG_FLUSH_MS, until stop. */
static void *flusher(void *arg)
{
    http_server *srv = arg;
    pthread_mutex_lock(&srv->stop_lock);
    while (!srv->stopping) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_nsec += (long)LOG_FLUSH_MS * 1000000L;
        deadline.tv_sec += deadline.tv_nsec / 1000000000L;
        deadline.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&srv->stop_cond, &srv->stop_lock, &deadline);
        pthread_mutex_unlock(&srv->stop_lock);
        pthread_mutex_lock(&srv->log_lock);
        log_flush_locked(srv);
        pthread_mutex_unlock(&srv->log_lock);
        pthread_mutex_lock(&srv->stop_lock);
    }
    pthread_mutex_unlock(&srv->stop_lock);
    return NULL;
}

/* ---- request handling without the network ---- */

void http_server_handle(http_server *srv, http_request *req, http_response *res)
{
    bf_error err;
    bf_error_clear(&err);
    req->server = srv;
    req->config = &srv->cfg;
    req->keys = srv->keys;
    if (strncmp(req->path, "/api/", 5) != 0 && strcmp(req->path, "/api") != 0) {
        if (http_static_serve(srv->cfg.web_dir, req, res, &err) != BF_OK) {
            size_t nheaders = res->nheaders;
            http_json_error(res, &err);
            res->nheaders = nheaders;
            if (err.status == BF_ERR_USAGE)
                res->status = 405;
        }
        return;
    }
    bf_status rc = store_pool_acquire(srv->pool, 10000, &req->store, &err);
    if (rc) {
        http_json_error(res, &err);
        return;
    }
    http_dispatch(req, res);
    store_pool_release(srv->pool, req->store);
    req->store = NULL;
}

/* ---- libmicrohttpd callbacks ---- */

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    conn_ctx *ctx = cls;
    http_request *req = &ctx->req;
    if (kind == MHD_HEADER_KIND) {
        if (req->nheaders >= HTTP_MAX_HEADERS)
            return MHD_YES;
        const char *k = bf_arena_strdup(ctx->arena, key);
        const char *v = bf_arena_strdup(ctx->arena, value ? value : "");
        if (k && v) {
            req->headers[req->nheaders].name = k;
            req->headers[req->nheaders].value = v;
            req->nheaders++;
        }
    } else if (kind == MHD_GET_ARGUMENT_KIND) {
        if (req->nquery >= HTTP_MAX_QUERY)
            return MHD_YES;
        const char *k = bf_arena_strdup(ctx->arena, key);
        const char *v = bf_arena_strdup(ctx->arena, value ? value : "");
        if (k && v) {
            req->query[req->nquery].name = k;
            req->query[req->nquery].value = v;
            req->nquery++;
        }
    }
    return MHD_YES;
}

static const char *client_address(conn_ctx *ctx, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char text[INET6_ADDRSTRLEN] = "";
    if (info && info->client_addr) {
        const struct sockaddr *sa = info->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof text);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text, sizeof text);
    }
    return bf_arena_strdup(ctx->arena, text);
}

static enum MHD_Result send_response(conn_ctx *ctx, struct MHD_Connection *conn)
{
    http_response *res = &ctx->res;
    struct MHD_Response *mres = NULL;
    if (res->fd >= 0) {
        mres = MHD_create_response_from_fd((uint64_t)res->fd_size, res->fd);
        if (mres) {
            res->fd = -1; /* libmicrohttpd closes it */
            ctx->bytes = (size_t)res->fd_size;
        }
    } else if (res->body_release) {
        mres = MHD_create_response_from_buffer_with_free_callback_cls(
            res->body_len, res->body, res->body_release, res->body_owner);
        if (mres) {
            ctx->bytes = res->body_len;
            res->body = NULL; /* libmicrohttpd releases it */
            res->body_len = 0;
            res->body_release = NULL;
            res->body_owner = NULL;
        }
    } else {
        mres = MHD_create_response_from_buffer(res->body_len, res->body, MHD_RESPMEM_MUST_FREE);
        if (mres) {
            ctx->bytes = res->body_len;
            res->body = NULL; /* libmicrohttpd frees it */
            res->body_len = 0;
        }
    }
    if (!mres)
        return MHD_NO;
    if (res->content_type)
        MHD_add_response_header(mres, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    MHD_add_response_header(mres, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(mres, "Referrer-Policy", "same-origin");
    bool has_cache = false;
    for (size_t i = 0; i < res->nheaders; i++) {
        if (strcasecmp(res->headers[i].name, "Cache-Control") == 0)
            has_cache = true;
        MHD_add_response_header(mres, res->headers[i].name, res->headers[i].value);
    }
    if (!has_cache)
        MHD_add_response_header(mres, "Cache-Control", "no-store");
    if (ctx->too_large || ctx->refused)
        MHD_add_response_header(mres, MHD_HTTP_HEADER_CONNECTION, "close");
    ctx->status = res->status;
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)res->status, mres);
    MHD_destroy_response(mres);
    return r;
}

static enum MHD_Result too_large(conn_ctx *ctx, struct MHD_Connection *conn)
{
    bf_error err;
    bf_error_set(&err, BF_ERR_TOO_LARGE, "请求内容超过上限（%zu 字节）", ctx->limit);
    ctx->too_large = true;
    http_json_error(&ctx->res, &err);
    return send_response(ctx, conn);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    http_server *srv = cls;
    conn_ctx *ctx = *con_cls;
    if (!ctx) {
        ctx = calloc(1, sizeof *ctx);
        if (!ctx)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &ctx->start);
        ctx->arena = bf_arena_new(REQUEST_ARENA_CAP);
        if (!ctx->arena) {
            free(ctx);
            return MHD_NO;
        }
        *con_cls = ctx;
        ctx->refused = atomic_load(&srv->draining) != 0;
        if (!ctx->refused)
            atomic_fetch_add(&srv->inflight, 1);
        http_response_init(&ctx->res);
        http_request *req = &ctx->req;
        req->arena = ctx->arena;
        req->method = bf_arena_strdup(ctx->arena, method);
        req->path = bf_arena_strdup(ctx->arena, url);
        req->address = client_address(ctx, conn);
        if (!req->method || !req->path || !req->address)
            return MHD_NO;
        MHD_get_connection_values(conn, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, collect_header,
                                  ctx);
        /* The route's body cap, looked up only for a request that has a
         * body (a GET without one, the common case, skips the route table). */
        const char *length = http_header(req, "Content-Length");
        bool has_body = length || http_header(req, "Transfer-Encoding");
        ctx->limit =
            has_body ? http_route_body_limit(&srv->cfg, req->method, req->path) : srv->cfg.max_body;
        bf_buf_init(&ctx->body, ctx->limit);
        if (length) {
            char *end = NULL;
            errno = 0;
            unsigned long long n = strtoull(length, &end, 10);
            if (errno || end == length || *end || n > ctx->limit)
                return too_large(ctx, conn);
        }
        if (ctx->refused) {
            /* The server is stopping: a request that arrives after the drain
             * began is refused at once, so the drain ends when the requests
             * already running do. The client may retry against the next one. */
            bf_error err;
            bf_error_set(&err, BF_ERR_UNAVAILABLE, "服务正在停止，请稍后重试");
            http_json_error(&ctx->res, &err);
            http_add_header(req, &ctx->res, "Retry-After", "5");
            return send_response(ctx, conn);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        /* request_timeout bounds the whole body, not only the silence between
         * its bytes (libmicrohttpd's connection timeout): a client trickling
         * it in is cut off. */
        if (elapsed_us(&ctx->start) > (int64_t)srv->cfg.request_timeout * 1000000) {
            ctx->status = 408; /* for the access log; the connection is closed */
            return MHD_NO;
        }
        if (!ctx->too_large && bf_buf_append(&ctx->body, upload_data, *upload_data_size) != BF_OK)
            return too_large(ctx, conn);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (ctx->too_large || ctx->refused)
        return MHD_YES; /* the 413 or 503 is queued already */
    ctx->req.body = ctx->body.data;
    ctx->req.body_len = ctx->body.len;
    http_server_handle(srv, &ctx->req, &ctx->res);
    if (ctx->req.authenticated)
        snprintf(ctx->user, sizeof ctx->user, "%s", ctx->req.user.username);
    return send_response(ctx, conn);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    http_server *srv = cls;
    conn_ctx *ctx = *con_cls;
    if (!ctx)
        return;
    if (ctx->status == 0)
        ctx->status = toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? 408 : 499;
    access_log(srv, ctx);
    bool refused = ctx->refused;
    http_response_clear(&ctx->res);
    bf_buf_free(&ctx->body);
    bf_arena_free(ctx->arena);
    free(ctx);
    *con_cls = NULL;
    if (!refused)
        atomic_fetch_sub(&srv->inflight, 1);
}

static void on_panic(void *cls, const char *file, unsigned int line, const char *reason)
{
    fprintf(stderr, "bangfu serve: libmicrohttpd 内部错误 %s:%u %s\n", file ? file : "?", line,
            reason ? reason : "");
    abort();
}

/* ---- life cycle ---- */

static void *refresher(void *arg);
static void shm_map(http_server *srv);

static char *read_small_file(const char *path, bf_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        bf_error_set(err, BF_ERR_IO, "无法读取 %s", path);
        return NULL;
    }
    bf_buf buf;
    bf_buf_init(&buf, 1024 * 1024);
    char chunk[4096];
    size_t n;
    bf_status rc = BF_OK;
    while (rc == BF_OK && (n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        rc = bf_buf_append(&buf, chunk, n);
    fclose(fp);
    if (rc) {
        bf_buf_free(&buf);
        bf_error_set(err, rc, "文件 %s 过大", path);
        return NULL;
    }
    return bf_buf_detach(&buf);
}

bf_status http_server_new(const http_config *cfg, const char *db_target, http_server **out,
                          bf_error *err)
{
    *out = NULL;
    http_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    srv->cfg = *cfg;
    srv->log_fd = -1;
    pthread_mutex_init(&srv->stop_lock, NULL);
    pthread_cond_init(&srv->stop_cond, NULL);
    pthread_mutex_init(&srv->summary_lock, NULL);
    pthread_mutex_init(&srv->cache_lock, NULL);
    pthread_mutex_init(&srv->log_lock, NULL);
    pthread_mutex_init(&srv->watch_lock, NULL);
    bf_status rc = store_pool_new(db_target, cfg->threads + 2, &srv->pool, err);
    if (rc)
        goto out;
    rc = store_open(db_target, false, &srv->watch, err);
    if (rc)
        goto out;
    http_server_sync(srv); /* the version the summary cells are checked against below */
    if (cfg->session_recheck > 0 && !(srv->sessions = session_cache_new(cfg->session_recheck))) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    /* The summary cells must be current before the first request. */
    bf_store *store = NULL;
    rc = store_pool_acquire(srv->pool, 1000, &store, err);
    if (rc == BF_OK) {
        rc = summary_refresh(store, NULL, err);
        store_pool_release(srv->pool, store);
    }
    if (rc)
        goto out;
    /* Current as of the version read above; a later change moves it again. */
    atomic_store(&srv->data_changed, 0);
    /* The -shm file exists now (the pool's connections use the database). */
    shm_map(srv);
    if (srv->shm) {
        pthread_mutex_lock(&srv->watch_lock);
        srv->watch_seen = 0; /* the next request starts from a change: safe */
        pthread_mutex_unlock(&srv->watch_lock);
        session_cache_observe_writes(srv->sessions, http_server_own_write_begin,
                                     http_server_own_write_end, srv);
    }
    if (cfg->summary_refresh > 0) {
        if (pthread_create(&srv->refresher, NULL, refresher, srv) != 0) {
            rc = bf_error_set(err, BF_ERR_NOMEM, "无法创建后台线程");
            goto out;
        }
        srv->refresher_running = true;
    }
    char key_path[4096];
    pii_key_path(db_target, cfg->key_file[0] ? cfg->key_file : NULL, key_path, sizeof key_path);
    if (access(key_path, F_OK) == 0) {
        rc = pii_keys_load(key_path, &srv->keys, err);
        if (rc)
            goto out;
    }
    if (strcmp(cfg->access_log, "off") == 0) {
        srv->log_fd = -1;
    } else if (strcmp(cfg->access_log, "-") == 0 || cfg->access_log[0] == '\0') {
        srv->log_fd = STDERR_FILENO;
    } else {
        srv->log_fd = open(cfg->access_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (srv->log_fd < 0) {
            rc = bf_error_set(err, BF_ERR_IO, "无法打开访问日志 %s", cfg->access_log);
            goto out;
        }
        srv->log_close = true;
    }
    if (srv->log_fd >= 0) {
        srv->log_buf = malloc(LOG_BUFFER);
        if (!srv->log_buf) {
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
            goto out;
        }
        if (pthread_create(&srv->flusher, NULL, flusher, srv) != 0) {
            rc = bf_error_set(err, BF_ERR_NOMEM, "无法创建后台线程");
            goto out;
        }
        srv->flusher_running = true;
    }
    if (cfg->web_dir[0]) {
        char index[2048];
        snprintf(index, sizeof index, "%s/index.html", cfg->web_dir);
        if (access(index, R_OK) != 0)
            fprintf(stderr, "bangfu serve: 提示：%s 中没有 index.html\n", cfg->web_dir);
    }
    if (cfg->tls_cert[0] || cfg->tls_key[0]) {
        if (!cfg->tls_cert[0] || !cfg->tls_key[0]) {
            rc = bf_error_set(err, BF_ERR_USAGE, "启用 TLS 须同时配置 tls_cert 和 tls_key");
            goto out;
        }
        srv->tls_cert_pem = read_small_file(cfg->tls_cert, err);
        srv->tls_key_pem = srv->tls_cert_pem ? read_small_file(cfg->tls_key, err) : NULL;
        if (!srv->tls_key_pem) {
            rc = err->status;
            goto out;
        }
        srv->cfg.cookie_secure = true;
    }
out:
    if (rc) {
        http_server_free(srv);
        return rc;
    }
    *out = srv;
    return BF_OK;
}

static bf_status parse_listen(const char *listen, struct sockaddr_storage *addr, bf_error *err)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || strlen(listen) >= sizeof host)
        return bf_error_set(err, BF_ERR_USAGE, "监听地址须为 主机:端口，例如 127.0.0.1:8080");
    size_t hlen = (size_t)(colon - listen);
    const char *h = listen;
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (!*(colon + 1) || *end || port < 0 || port > 65535)
        return bf_error_set(err, BF_ERR_USAGE, "监听端口无效：%s", colon + 1);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *res = NULL;
    char service[8];
    snprintf(service, sizeof service, "%ld", port);
    if (getaddrinfo(host, service, &hints, &res) != 0 || !res)
        return bf_error_set(err, BF_ERR_USAGE, "无法解析监听地址 %s", host);
    memset(addr, 0, sizeof *addr);
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return BF_OK;
}

bf_status http_server_listen(http_server *srv, bf_error *err)
{
    struct sockaddr_storage addr;
    bf_status rc = parse_listen(srv->cfg.listen, &addr, err);
    if (rc)
        return rc;
    MHD_set_panic_func(on_panic, NULL);
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (srv->tls_cert_pem)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls_opts[] = {
        {srv->tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, srv->tls_cert_pem},
        {srv->tls_cert_pem ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, srv->tls_key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)srv->cfg.threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)srv->cfg.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)srv->cfg.max_connections_per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)srv->cfg.request_timeout, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)(1024 * 1024), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONN_MEMORY, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    if (!srv->daemon)
        return bf_error_set(err, BF_ERR_IO, "无法在 %s 上启动服务（端口被占用或无权限？）",
                            srv->cfg.listen);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    return BF_OK;
}

int http_server_port(const http_server *srv)
{
    return srv->port;
}

session_cache *http_server_sessions(http_server *srv)
{
    return srv ? srv->sessions : NULL;
}

store_pool *http_server_pool(http_server *srv)
{
    return srv->pool;
}

void http_server_data_changed(http_server *srv)
{
    if (srv) {
        atomic_store(&srv->data_changed, 1);
        atomic_fetch_add(&srv->generation, 1);
    }
}

/* The data version of the database, hashed (FNV-1a) to one number: SQLite's
 * PRAGMA data_version, which moves whenever another connection (of this
 * process or any other) commits; PostgreSQL's current snapshot, which moves
 * whenever any transaction takes a transaction id (starts writing) or
 * finishes one. 0 if it cannot be read. watch_lock held. */
static uint64_t watch_version(http_server *srv)
{
    bf_error err;
    bf_error_clear(&err);
    if (!srv->watch_stmt) {
        const char *sql = store_kind(srv->watch) == BF_STORE_PG
                              ? "SELECT pg_current_snapshot()::text"
                              : "PRAGMA data_version";
        if (store_prepare(srv->watch, sql, &srv->watch_stmt, &err) != BF_OK)
            return 0;
    }
    bool has_row = false;
    uint64_t h = 0;
    if (store_step(srv->watch_stmt, &has_row, &err) == BF_OK && has_row) {
        size_t len = 0;
        const char *text = store_column_text(srv->watch_stmt, 0, &len);
        h = bf_fnv1a(BF_FNV1A_INIT, text, len) | 1; /* never 0 */
        store_reset(srv->watch_stmt);
    } else {
        /* A broken statement (a lost connection): prepare it again next time. */
        store_finalize(srv->watch_stmt);
        srv->watch_stmt = NULL;
    }
    return h;
}

/* SQLite in WAL mode (bangfu's only mode) keeps the wal-index header in the
 * database's -shm file, shared by every process that has the database open:
 * every commit writes a new header (its frame count, salts and checksums
 * change; https://www.sqlite.org/walformat.html, "the WAL-index header").
 * Reading it from a read-only mapping costs no system call and no lock,
 * where PRAGMA data_version takes a read transaction with two file locks:
 * about a seventh of the server's CPU per cached answer. Writers store the
 * second copy first and the first copy last, readers read the first then the
 * second; unequal copies mean a commit is under way (0: unknown). */
#define WAL_HDR_SIZE 48

static void shm_map(http_server *srv)
{
    if (store_kind(srv->watch) != BF_STORE_SQLITE)
        return;
    char path[4200];
    snprintf(path, sizeof path, "%s-shm", srv->watch->target);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size >= 4096)
        map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map != MAP_FAILED)
        srv->shm = map;
}

static uint64_t shm_version(const volatile unsigned char *shm, uint32_t *change)
{
    unsigned char first[WAL_HDR_SIZE], second[WAL_HDR_SIZE];
    for (int i = 0; i < WAL_HDR_SIZE; i++)
        first[i] = shm[i];
    atomic_thread_fence(memory_order_acquire);
    for (int i = 0; i < WAL_HDR_SIZE; i++)
        second[i] = shm[WAL_HDR_SIZE + i];
    if (memcmp(first, second, WAL_HDR_SIZE) != 0 || first[12] != 1) /* isInit */
        return 0;
    memcpy(change, first + 8, 4); /* iChange: +1 with every commit */
    return bf_fnv1a(BF_FNV1A_INIT, first, WAL_HDR_SIZE) | 1;
}

void http_server_sync(http_server *srv)
{
    if (!srv || !srv->watch)
        return;
    if (srv->shm) {
        /* Unchanged since the last change seen (whose generation bump
         * happened before shm_seen was stored): nothing to do, no lock. */
        uint32_t change;
        uint64_t v = shm_version(srv->shm, &change);
        if (v != 0 && v == atomic_load(&srv->shm_seen))
            return;
    }
    pthread_mutex_lock(&srv->watch_lock);
    uint32_t change = 0;
    uint64_t v = srv->shm ? shm_version(srv->shm, &change) : watch_version(srv);
    /* Unknown (0) counts as a change: nothing cached is trusted without it. */
    if (v == 0 || v != srv->watch_seen) {
        srv->watch_seen = v;
        atomic_store(&srv->data_changed, 1);
        atomic_fetch_add(&srv->generation, 1);
        atomic_store(&srv->shm_seen, v);
    }
    pthread_mutex_unlock(&srv->watch_lock);
}

void http_server_own_write_begin(void *server, uint64_t mark[2])
{
    http_server *srv = server;
    uint32_t change = 0;
    mark[0] = srv && srv->shm ? shm_version(srv->shm, &change) : 0;
    mark[1] = change;
}

void http_server_own_write_end(void *server, const uint64_t mark[2], bool wrote)
{
    http_server *srv = server;
    /* A transaction that changed no row commits no frame and leaves iChange
     * alone: a commit by someone else right after it would pass for it. */
    if (!srv || !srv->shm || mark[0] == 0 || !wrote)
        return;
    uint32_t change = 0;
    pthread_mutex_lock(&srv->watch_lock);
    uint64_t v = shm_version(srv->shm, &change);
    /* Absorb the write only if the server had seen everything before it and
     * exactly one commit (this one) happened since; otherwise the next check
     * counts it as a change, as it would anyone's. */
    if (v != 0 && srv->watch_seen == mark[0] && change == (uint32_t)(mark[1] + 1)) {
        srv->watch_seen = v;
        atomic_store(&srv->shm_seen, v);
    }
    pthread_mutex_unlock(&srv->watch_lock);
}

uint64_t http_server_generation(http_server *srv)
{
    return atomic_load(&srv->generation);
}

bool http_server_cache_get(http_server *srv, const char *key, http_response *res,
                           uint64_t *generation)
{
    shared_body *found = NULL;
    uint64_t gen = atomic_load(&srv->generation);
    *generation = gen;
    pthread_mutex_lock(&srv->cache_lock);
    for (unsigned i = 0; i < CACHE_SLOTS && !found; i++) {
        if (!srv->cache[i].body || srv->cache[i].generation != gen ||
            strcmp(srv->cache[i].key, key) != 0)
            continue;
        found = srv->cache[i].body;
        atomic_fetch_add(&found->refs, 1);
    }
    pthread_mutex_unlock(&srv->cache_lock);
    if (!found)
        return false;
    http_response_clear(res);
    res->status = 200;
    res->body = found->data;
    res->body_len = found->len;
    res->body_release = shared_body_release;
    res->body_owner = found;
    res->content_type = "application/json; charset=utf-8";
    return true;
}

void http_server_cache_put(http_server *srv, const char *key, uint64_t generation, const char *body,
                           size_t len)
{
    /* Computed from data older than the current generation: useless. */
    if (strlen(key) >= sizeof srv->cache[0].key || generation != atomic_load(&srv->generation))
        return;
    shared_body *copy = malloc(sizeof *copy + len + 1);
    if (!copy)
        return;
    atomic_init(&copy->refs, 1);
    copy->len = len;
    memcpy(copy->data, body, len);
    copy->data[len] = '\0';
    pthread_mutex_lock(&srv->cache_lock);
    unsigned slot = srv->cache_next++ % CACHE_SLOTS;
    for (unsigned i = 0; i < CACHE_SLOTS; i++)
        if (srv->cache[i].body && strcmp(srv->cache[i].key, key) == 0) {
            slot = i;
            break;
        }
    shared_body *old = srv->cache[slot].body;
    snprintf(srv->cache[slot].key, sizeof srv->cache[slot].key, "%s", key);
    srv->cache[slot].generation = generation;
    srv->cache[slot].body = copy;
    pthread_mutex_unlock(&srv->cache_lock);
    shared_body_release(old);
}

/* Rebuild the summary cells if the registries moved (summary_lock held).
 * `rebuilding` is raised before data_changed is taken, so a request that
 * finds data_changed clear while a rebuild runs waits for it (below). */
static bf_status summary_refresh_locked(http_server *srv, bf_store *store, bf_error *err)
{
    bf_status rc = BF_OK;
    atomic_store(&srv->rebuilding, 1);
    if (atomic_exchange(&srv->data_changed, 0)) {
        rc = summary_refresh(store, NULL, err);
        if (rc)
            atomic_store(&srv->data_changed, 1);
        atomic_fetch_add(&srv->generation, 1);
    }
    atomic_store(&srv->rebuilding, 0);
    return rc;
}

bf_status http_server_summary_fresh(http_server *srv, bf_store *store, bf_error *err)
{
    if (!srv)
        return BF_OK;
    http_server_sync(srv);
    if (!atomic_load(&srv->data_changed) && !atomic_load(&srv->rebuilding))
        return BF_OK;
    pthread_mutex_lock(&srv->summary_lock);
    bf_status rc = summary_refresh_locked(srv, store, err);
    pthread_mutex_unlock(&srv->summary_lock);
    return rc;
}

/* Every summary_refresh seconds, bring the summary cells up to date if the
 * database changed behind the server's back (imports from the command line,
 * ...), so that the next summary request rarely has to wait for it. */
static void *refresher(void *arg)
{
    http_server *srv = arg;
    pthread_mutex_lock(&srv->stop_lock);
    while (!srv->stopping) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += srv->cfg.summary_refresh;
        pthread_cond_timedwait(&srv->stop_cond, &srv->stop_lock, &deadline);
        if (srv->stopping)
            break;
        pthread_mutex_unlock(&srv->stop_lock);
        http_server_sync(srv);
        bf_store *store = NULL;
        bf_error err;
        bf_error_clear(&err);
        if (atomic_load(&srv->data_changed) &&
            store_pool_acquire(srv->pool, 1000, &store, &err) == BF_OK) {
            pthread_mutex_lock(&srv->summary_lock);
            if (summary_refresh_locked(srv, store, &err) != BF_OK)
                fprintf(stderr, "bangfu serve: 汇总数据刷新失败：%s\n", bf_error_text(&err));
            pthread_mutex_unlock(&srv->summary_lock);
            store_pool_release(srv->pool, store);
        }
        pthread_mutex_lock(&srv->stop_lock);
    }
    pthread_mutex_unlock(&srv->stop_lock);
    return NULL;
}

void http_server_free(http_server *srv)
{
    if (!srv)
        return;
    if (srv->daemon) {
        /* Let the requests in flight finish (new ones are refused with a
         * 503), then stop. MHD_quiesce_daemon is not used: on an epoll daemon
         * with its own threads it races with the polling threads, which take
         * the listening socket out of their epoll sets themselves once they
         * see the quiesce; the loser's epoll_ctl fails with ENOENT and
         * libmicrohttpd 0.9.75 panics (daemon.c:4976, seen as an abort at a
         * test's start or tear-down in CI). MHD_stop_daemon closes the
         * listening socket after its threads have been joined. */
        atomic_store(&srv->draining, 1);
        for (int i = 0; i < 3000 && atomic_load(&srv->inflight) > 0; i++)
            usleep(10000);
        MHD_stop_daemon(srv->daemon);
        srv->daemon = NULL;
    }
    pthread_mutex_lock(&srv->stop_lock);
    srv->stopping = true;
    pthread_cond_broadcast(&srv->stop_cond);
    pthread_mutex_unlock(&srv->stop_lock);
    if (srv->refresher_running)
        pthread_join(srv->refresher, NULL);
    if (srv->flusher_running)
        pthread_join(srv->flusher, NULL);
    if (srv->log_buf) {
        /* Every exchange has completed: its line is in the buffer. */
        pthread_mutex_lock(&srv->log_lock);
        log_flush_locked(srv);
        pthread_mutex_unlock(&srv->log_lock);
        free(srv->log_buf);
    }
    if (srv->shm)
        munmap((void *)srv->shm, 4096);
    store_finalize(srv->watch_stmt);
    store_close(srv->watch);
    store_pool_free(srv->pool);
    session_cache_free(srv->sessions);
    pii_keys_free(srv->keys);
    if (srv->log_close)
        close(srv->log_fd);
    free(srv->tls_cert_pem);
    free(srv->tls_key_pem);
    pthread_cond_destroy(&srv->stop_cond);
    pthread_mutex_destroy(&srv->stop_lock);
    pthread_mutex_destroy(&srv->summary_lock);
    pthread_mutex_destroy(&srv->log_lock);
    pthread_mutex_destroy(&srv->watch_lock);
    for (unsigned i = 0; i < CACHE_SLOTS; i++)
        shared_body_release(srv->cache[i].body);
    pthread_mutex_destroy(&srv->cache_lock);
    free(srv);
}
