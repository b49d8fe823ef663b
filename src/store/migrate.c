/*
 * migrate.c - applies the embedded schema migrations and guards against a
 * database newer than this program. Owns the schema_migrations table.
 */
#include "store/migrate.h"
#include "core/buf.h"
#include "core/date.h"

#include <stdio.h>
#include <string.h>

static const char create_meta_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

int store_migrate_latest(void)
{
    int latest = 0;
    for (const store_migration *m = store_migrations; m->sql; m++)
        if (m->version > latest)
            latest = m->version;
    return latest;
}

bf_status store_schema_version(bf_store *store, int *version, bf_error *err)
{
    *version = 0;
    bf_status rc = store_exec(store, create_meta_sql, err);
    if (rc)
        return rc;
    int64_t v = 0;
    rc = store_query_int64(store, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &v,
                           err, 0);
    if (rc)
        return rc;
    *version = (int)v;
    return BF_OK;
}

/* Replace {{WORD}} placeholders with the backend's words. */
static bf_status expand_dialect(bf_store *store, const char *sql, bf_buf *out, bf_error *err)
{
    const char *p = sql;
    while (*p) {
        const char *open = strstr(p, "{{");
        if (!open)
            return bf_buf_append_str(out, p);
        bf_status rc = bf_buf_append(out, p, (size_t)(open - p));
        if (rc)
            return rc;
        const char *close = strstr(open + 2, "}}");
        if (!close || close - open > 40)
            return bf_error_set(err, BF_ERR_INTERNAL, "迁移脚本占位符格式错误");
        char word[48];
        snprintf(word, sizeof word, "%.*s", (int)(close - open - 2), open + 2);
        const char *replacement = store->ops->dialect_word(word);
        if (!replacement)
            return bf_error_set(err, BF_ERR_INTERNAL, "迁移脚本占位符未知：%s", word);
        rc = bf_buf_append_str(out, replacement);
        if (rc)
            return rc;
        p = close + 2;
    }
    return BF_OK;
}

bf_status store_migrate(bf_store *store, int *from, int *to, bf_error *err)
{
    return store_migrate_to(store, store_migrate_latest(), from, to, err);
}

bf_status store_migrate_to(bf_store *store, int target, int *from, int *to, bf_error *err)
{
    int version = 0;
    bf_status rc = store_schema_version(store, &version, err);
    if (rc)
        return rc;
    if (from)
        *from = version;
    int latest = store_migrate_latest();
    if (version > latest)
        return bf_error_set(err, BF_ERR_SCHEMA,
                            "数据库结构版本为 %d，高于本程序支持的版本 %d，请升级 bangfu 后再使用",
                            version, latest);
    bf_buf sql;
    bf_buf_init(&sql, 16 * 1024 * 1024);
    for (const store_migration *m = store_migrations; m->sql; m++) {
        if (m->version <= version)
            continue;
        if (m->version > target)
            break;
        bf_buf_reset(&sql);
        rc = expand_dialect(store, m->sql, &sql, err);
        if (rc)
            break;
        rc = store_begin(store, err);
        if (rc)
            break;
        rc = store_exec(store, sql.data, err);
        if (rc == BF_OK) {
            char version_text[16], now_text[24];
            snprintf(version_text, sizeof version_text, "%d", m->version);
            snprintf(now_text, sizeof now_text, "%lld", (long long)bf_time_now());
            bf_stmt *stmt = NULL;
            rc = store_prepare(store,
                               "INSERT INTO schema_migrations (version, name, applied_at) "
                               "VALUES (?, ?, ?)",
                               &stmt, err);
            if (rc == BF_OK) {
                store_bind_int64(stmt, 1, m->version);
                store_bind_str(stmt, 2, m->name);
                store_bind_int64(stmt, 3, bf_time_now());
                rc = store_step_done(stmt, err);
                store_finalize(stmt);
            }
        }
        if (rc) {
            store_rollback(store);
            bf_error_set(err, rc, "应用数据库迁移 %s 失败：%s", m->name, bf_error_text(err));
            break;
        }
        rc = store_commit(store, err);
        if (rc)
            break;
        version = m->version;
    }
    bf_buf_free(&sql);
    if (to)
        *to = version;
    return rc;
}

bf_status store_check_schema(bf_store *store, bf_error *err)
{
    int version = 0;
    bf_status rc = store_schema_version(store, &version, err);
    if (rc)
        return rc;
    int latest = store_migrate_latest();
    if (version > latest)
        return bf_error_set(err, BF_ERR_SCHEMA,
                            "数据库结构版本为 %d，高于本程序支持的版本 %d，请升级 bangfu 后再使用",
                            version, latest);
    if (version == 0)
        return bf_error_set(err, BF_ERR_SCHEMA, "数据库尚未初始化，请先运行 bangfu init");
    if (version < latest)
        return bf_error_set(err, BF_ERR_SCHEMA,
                            "数据库结构版本为 %d，低于本程序的版本 %d，请先运行 bangfu migrate",
                            version, latest);
    return BF_OK;
}
