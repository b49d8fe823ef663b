/*
 * session.c - sessions and CSRF tokens (see session.h). Owns the sessions table.
 */
#include "http/session.h"
#include "core/date.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void random_token(char out[SESSION_TOKEN_LEN + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, SESSION_TOKEN_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

static void token_hash(const char *token, char out[65])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, 65, digest, sizeof digest);
}

bf_status session_create(bf_store *store, int64_t user_id, const char *address,
                         char token[SESSION_TOKEN_LEN + 1], char csrf[SESSION_TOKEN_LEN + 1],
                         bf_error *err)
{
    char hash[65];
    bf_stmt *stmt = NULL;
    random_token(token);
    random_token(csrf);
    token_hash(token, hash);
    int64_t now = bf_time_now();
    bf_status rc = store_prepare(store,
                                 "INSERT INTO sessions (token_hash, user_id, csrf_token, address, "
                                 "created_at, last_seen) VALUES (?, ?, ?, ?, ?, ?)",
                                 &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, hash);
    store_bind_int64(stmt, 2, user_id);
    store_bind_str(stmt, 3, csrf);
    store_bind_str(stmt, 4, address ? address : "");
    store_bind_int64(stmt, 5, now);
    store_bind_int64(stmt, 6, now);
    rc = store_step_done(stmt, err);
    store_finalize(stmt);
    return rc;
}

static bf_status exec_with_text(bf_store *store, const char *sql, const char *text, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(store, sql, &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, text);
    rc = store_step_done(stmt, err);
    store_finalize(stmt);
    return rc;
}

/* ---- the in-memory cache ---- */

#define CACHE_SHARDS 16  /* mutexes: threads rarely wait for one another */
#define CACHE_WAYS   128 /* entries per shard (2,048 sessions in all) */
#define CACHE_PROBE  8   /* slots an entry may sit in, from its home slot */

typedef struct {
    bool used;
    char hash[65];
    accounts_user user;
    char csrf[65];
    int64_t created;
    int64_t last_seen;        /* the latest request, in memory */
    int64_t stored_last_seen; /* what the database holds */
    int64_t checked_at;       /* when the entry was read from the database */
} cache_entry;

typedef struct {
    pthread_mutex_t lock;
    cache_entry entries[CACHE_WAYS];
} cache_shard;

struct session_cache {
    int recheck;
    void (*write_begin)(void *arg, uint64_t mark[2]);
    void (*write_end)(void *arg, const uint64_t mark[2], bool wrote);
    void *write_arg;
    atomic_uint_fast64_t generation; /* bumped by every invalidation */
    atomic_uint_fast64_t hits;
    cache_shard shards[CACHE_SHARDS];
};

session_cache *session_cache_new(int recheck)
{
    session_cache *cache = calloc(1, sizeof *cache);
    if (!cache)
        return NULL;
    cache->recheck = recheck > 0 ? recheck : 1;
    for (int i = 0; i < CACHE_SHARDS; i++)
        pthread_mutex_init(&cache->shards[i].lock, NULL);
    return cache;
}

void session_cache_observe_writes(session_cache *cache, void (*begin)(void *arg, uint64_t mark[2]),
                                  void (*end)(void *arg, const uint64_t mark[2], bool wrote),
                                  void *arg)
{
    if (!cache)
        return;
    cache->write_begin = begin;
    cache->write_end = end;
    cache->write_arg = arg;
}

void session_cache_free(session_cache *cache)
{
    if (!cache)
        return;
    for (int i = 0; i < CACHE_SHARDS; i++)
        pthread_mutex_destroy(&cache->shards[i].lock);
    sodium_memzero(cache, sizeof *cache);
    free(cache);
}

static unsigned hex_value(const char *hex, int digits)
{
    unsigned v = 0;
    for (int i = 0; i < digits; i++) {
        char c = hex[i];
        v = v * 16 + (unsigned)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
    }
    return v;
}

/* The shard and home slot of a hash: the hash is uniform, so its digits are too. */
static cache_shard *shard_of(session_cache *cache, const char *hash, unsigned *home)
{
    *home = hex_value(hash + 1, 4) % CACHE_WAYS;
    return &cache->shards[hex_value(hash, 1) % CACHE_SHARDS];
}

/* The entry of hash in shard (locked), or NULL. */
static cache_entry *shard_find(cache_shard *shard, unsigned home, const char *hash)
{
    for (unsigned i = 0; i < CACHE_PROBE; i++) {
        cache_entry *e = &shard->entries[(home + i) % CACHE_WAYS];
        if (e->used && memcmp(e->hash, hash, 64) == 0)
            return e;
    }
    return NULL;
}

static void entry_clear(cache_entry *e)
{
    sodium_memzero(e, sizeof *e);
}

typedef enum { CACHE_MISS, CACHE_HIT, CACHE_EXPIRED } cache_result;

/* Answer from memory if the entry is fresh: HIT (user and csrf filled,
 * last_seen moved to now), EXPIRED (entry dropped), or MISS (absent, or due
 * for a check against the database: *mem_seen then gets its last request). */
static cache_result cache_get(session_cache *cache, const char *hash, int64_t now, int idle,
                              int max_age, accounts_user *user, char csrf[65], int64_t *mem_seen)
{
    unsigned home;
    cache_shard *shard = shard_of(cache, hash, &home);
    cache_result result = CACHE_MISS;
    *mem_seen = 0;
    pthread_mutex_lock(&shard->lock);
    cache_entry *e = shard_find(shard, home, hash);
    if (e) {
        if (now - e->last_seen >= idle || now - e->created >= max_age) {
            entry_clear(e);
            result = CACHE_EXPIRED;
        } else if (now - e->checked_at >= cache->recheck || now < e->checked_at) {
            *mem_seen = e->last_seen;
        } else {
            e->last_seen = now;
            *user = e->user;
            memcpy(csrf, e->csrf, 65);
            result = CACHE_HIT;
        }
    }
    pthread_mutex_unlock(&shard->lock);
    if (result == CACHE_HIT)
        atomic_fetch_add(&cache->hits, 1);
    return result;
}

/* Remember a session read from the database, unless an invalidation happened
 * since generation was read (the read may predate it). */
static void cache_put(session_cache *cache, uint64_t generation, const char *hash,
                      const accounts_user *user, const char *csrf, int64_t created,
                      int64_t last_seen, int64_t stored_last_seen, int64_t now)
{
    unsigned home;
    cache_shard *shard = shard_of(cache, hash, &home);
    pthread_mutex_lock(&shard->lock);
    if (atomic_load(&cache->generation) == generation) {
        cache_entry *e = shard_find(shard, home, hash);
        for (unsigned i = 0; !e && i < CACHE_PROBE; i++) {
            cache_entry *c = &shard->entries[(home + i) % CACHE_WAYS];
            if (!c->used)
                e = c;
        }
        /* Full: replace the least recently used entry of the window. */
        for (unsigned i = 0; !e && i < CACHE_PROBE; i++) {
            cache_entry *c = &shard->entries[(home + i) % CACHE_WAYS];
            if (!e || c->last_seen < e->last_seen)
                e = c;
        }
        entry_clear(e);
        e->used = true;
        memcpy(e->hash, hash, 65);
        e->user = *user;
        memcpy(e->csrf, csrf, 65);
        e->created = created;
        e->last_seen = last_seen;
        e->stored_last_seen = stored_last_seen;
        e->checked_at = now;
    }
    pthread_mutex_unlock(&shard->lock);
}

static void cache_drop(session_cache *cache, const char *hash)
{
    unsigned home;
    cache_shard *shard = shard_of(cache, hash, &home);
    pthread_mutex_lock(&shard->lock);
    cache_entry *e = shard_find(shard, home, hash);
    if (e)
        entry_clear(e);
    pthread_mutex_unlock(&shard->lock);
}

void session_cache_forget(session_cache *cache, const char *hash_hex)
{
    if (!cache || !hash_hex || strlen(hash_hex) != 64)
        return;
    atomic_fetch_add(&cache->generation, 1);
    cache_drop(cache, hash_hex);
}

void session_cache_clear(session_cache *cache)
{
    if (!cache)
        return;
    atomic_fetch_add(&cache->generation, 1);
    for (int i = 0; i < CACHE_SHARDS; i++) {
        pthread_mutex_lock(&cache->shards[i].lock);
        sodium_memzero(cache->shards[i].entries, sizeof cache->shards[i].entries);
        pthread_mutex_unlock(&cache->shards[i].lock);
    }
}

void session_cache_stats(session_cache *cache, size_t *entries, uint64_t *hits)
{
    *entries = 0;
    *hits = 0;
    if (!cache)
        return;
    for (int i = 0; i < CACHE_SHARDS; i++) {
        pthread_mutex_lock(&cache->shards[i].lock);
        for (int k = 0; k < CACHE_WAYS; k++)
            *entries += cache->shards[i].entries[k].used;
        pthread_mutex_unlock(&cache->shards[i].lock);
    }
    *hits = atomic_load(&cache->hits);
}

/* ---- look-up ---- */

/* Write last_seen. With an observer (the server), in a transaction of its
 * own, bracketed so that the server does not take it for a data change. */
static bf_status touch_session(bf_store *store, session_cache *cache, const char *hash_hex,
                               int64_t now, bf_error *err)
{
    bf_stmt *stmt = NULL;
    uint64_t mark[2] = {0, 0};
    bool observed = cache && cache->write_begin && store->tx_depth == 0;
    bf_status rc = observed ? store_begin(store, err) : BF_OK;
    if (rc)
        return rc;
    if (observed)
        cache->write_begin(cache->write_arg, mark);
    bool wrote = false;
    rc = store_prepare(store, "UPDATE sessions SET last_seen = ? WHERE token_hash = ?", &stmt, err);
    if (rc == BF_OK) {
        store_bind_int64(stmt, 1, now);
        store_bind_str(stmt, 2, hash_hex);
        rc = store_step_done(stmt, err);
        wrote = rc == BF_OK && store_changes(stmt) > 0;
        store_finalize(stmt);
    }
    if (observed) {
        if (rc) {
            store_rollback(store);
            return rc;
        }
        rc = store_commit(store, err);
        if (rc == BF_OK)
            cache->write_end(cache->write_arg, mark, wrote);
    }
    return rc;
}

bf_status session_lookup(bf_store *store, session_cache *cache, const char *token, int idle,
                         int max_age, accounts_user *user, char csrf[65], char hash_hex[65],
                         bf_error *err)
{
    bf_stmt *stmt = NULL;
    bool has_row = false;
    int64_t mem_seen = 0;
    if (!token || strlen(token) != SESSION_TOKEN_LEN)
        return bf_error_set(err, BF_ERR_UNAUTH, "请先登录");
    token_hash(token, hash_hex);
    int64_t now = bf_time_now();
    if (cache) {
        switch (cache_get(cache, hash_hex, now, idle, max_age, user, csrf, &mem_seen)) {
        case CACHE_HIT:
            return BF_OK;
        case CACHE_EXPIRED:
            session_end(store, hash_hex, NULL);
            return bf_error_set(err, BF_ERR_UNAUTH, "登录已超时，请重新登录");
        case CACHE_MISS:
            break;
        }
    }
    /* Read before the database: an invalidation after this point keeps what
     * we read out of the cache. */
    uint64_t generation = cache ? atomic_load(&cache->generation) : 0;
    bf_status rc = store_prepare(store,
                                 "SELECT s.user_id, s.csrf_token, s.created_at, s.last_seen "
                                 "FROM sessions s WHERE s.token_hash = ?",
                                 &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, hash_hex);
    rc = store_step(stmt, &has_row, err);
    if (rc || !has_row) {
        store_finalize(stmt);
        if (cache)
            cache_drop(cache, hash_hex);
        return rc ? rc : bf_error_set(err, BF_ERR_UNAUTH, "请先登录");
    }
    int64_t user_id = store_column_int64(stmt, 0);
    snprintf(csrf, 65, "%s", store_column_text(stmt, 1, NULL));
    int64_t created = store_column_int64(stmt, 2), stored_seen = store_column_int64(stmt, 3);
    store_finalize(stmt);
    stmt = NULL;
    /* Requests answered from memory since the last check count as activity. */
    int64_t last_seen = mem_seen > stored_seen ? mem_seen : stored_seen;
    if (now - last_seen >= idle || now - created >= max_age) {
        if (cache)
            cache_drop(cache, hash_hex);
        session_end(store, hash_hex, NULL);
        return bf_error_set(err, BF_ERR_UNAUTH, "登录已超时，请重新登录");
    }
    rc = accounts_get_by_id(store, user_id, user, err);
    if (rc == BF_ERR_NOT_FOUND || (rc == BF_OK && (user->disabled || !user->role))) {
        if (cache)
            cache_drop(cache, hash_hex);
        session_end(store, hash_hex, NULL);
        return bf_error_set(err, BF_ERR_UNAUTH, "账户已停用，请联系管理员");
    }
    if (rc)
        return rc;
    /* Writing last_seen on every request would serialise readers on the
     * database's write lock; a coarse refresh is enough for idle expiry. */
    int64_t refresh = idle / 8 < 60 ? idle / 8 : 60;
    if (now - stored_seen >= refresh) {
        rc = touch_session(store, cache, hash_hex, now, err);
        if (rc)
            return rc;
        stored_seen = now;
    }
    if (cache)
        cache_put(cache, generation, hash_hex, user, csrf, created, now, stored_seen, now);
    return BF_OK;
}

bf_status session_end(bf_store *store, const char *hash_hex, bf_error *err)
{
    return exec_with_text(store, "DELETE FROM sessions WHERE token_hash = ?", hash_hex, err);
}

bf_status session_end_all(bf_store *store, int64_t user_id, const char *keep_hash, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(
        store, "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?", &stmt, err);
    if (rc)
        return rc;
    store_bind_int64(stmt, 1, user_id);
    store_bind_str(stmt, 2, keep_hash ? keep_hash : "");
    rc = store_step_done(stmt, err);
    store_finalize(stmt);
    return rc;
}

bool session_cookie_value(const char *header, const char *name, char *out, size_t out_size)
{
    if (!header)
        return false;
    size_t name_len = strlen(name);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *eq = strchr(p, '=');
        const char *semi = strchr(p, ';');
        if (!semi)
            semi = p + strlen(p);
        if (eq && eq < semi && (size_t)(eq - p) == name_len && memcmp(p, name, name_len) == 0) {
            const char *v = eq + 1;
            size_t len = (size_t)(semi - v);
            if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
                v++;
                len -= 2;
            }
            if (len + 1 > out_size)
                return false;
            memcpy(out, v, len);
            out[len] = '\0';
            return true;
        }
        p = semi;
    }
    return false;
}

bool session_token_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb || la == 0)
        return false;
    return sodium_memcmp(a, b, la) == 0;
}
