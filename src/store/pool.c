/*
 * pool.c - a pool of store handles guarded by a mutex and a condition
 * variable (see pool.h).
 */
#include "store/pool.h"
#include "store/migrate.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct store_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    int size;
    int nfree;
    bf_store **all;
    bf_store **free_list;
    char *target;
};

bf_status store_pool_new(const char *target, int size, store_pool **out, bf_error *err)
{
    *out = NULL;
    if (size < 1 || size > 1024)
        return bf_error_set(err, BF_ERR_USAGE, "连接池大小须在 1 到 1024 之间");
    store_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->freed, NULL);
    pool->all = calloc((size_t)size, sizeof *pool->all);
    pool->free_list = calloc((size_t)size, sizeof *pool->free_list);
    pool->target = strdup(target);
    bf_status rc = BF_OK;
    if (!pool->all || !pool->free_list || !pool->target) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    for (int i = 0; i < size; i++) {
        rc = store_open(target, false, &pool->all[i], err);
        if (rc == BF_OK && i == 0)
            rc = store_check_schema(pool->all[i], err);
        if (rc)
            goto out;
        pool->size++;
        pool->free_list[pool->nfree++] = pool->all[i];
    }
out:
    if (rc) {
        store_pool_free(pool);
        return rc;
    }
    *out = pool;
    return BF_OK;
}

bf_status store_pool_acquire(store_pool *pool, int timeout_ms, bf_store **out, bf_error *err)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    *out = NULL;
    pthread_mutex_lock(&pool->lock);
    while (pool->nfree == 0) {
        if (pthread_cond_timedwait(&pool->freed, &pool->lock, &deadline) == ETIMEDOUT)
            break;
    }
    if (pool->nfree > 0)
        *out = pool->free_list[--pool->nfree];
    pthread_mutex_unlock(&pool->lock);
    if (!*out)
        return bf_error_set(err, BF_ERR_UNAVAILABLE, "服务器繁忙，请稍后再试");
    return BF_OK;
}

void store_pool_release(store_pool *pool, bf_store *store)
{
    if (!store)
        return;
    /* A handler that failed half-way must not leave a transaction open. */
    while (store->tx_depth > 0)
        store_rollback(store);
    pthread_mutex_lock(&pool->lock);
    pool->free_list[pool->nfree++] = store;
    pthread_cond_signal(&pool->freed);
    pthread_mutex_unlock(&pool->lock);
}

void store_pool_free(store_pool *pool)
{
    if (!pool)
        return;
    for (int i = 0; i < pool->size; i++)
        store_close(pool->all[i]);
    free(pool->all);
    free(pool->free_list);
    free(pool->target);
    pthread_cond_destroy(&pool->freed);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

const char *store_pool_target(const store_pool *pool)
{
    return pool->target;
}
