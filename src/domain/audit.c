/*
 * audit.c - the hash-chained audit trail (see audit.h). Owns audit_log and
 * audit_head.
 *
 * Canonical serialisation of a record, hashed with SHA-256:
 *   "bangfu-audit-v1\n" then, for each field in the order seq, at, user,
 *   address, action, entity, entity_key, before, after, prev_hash:
 *   "<byte length>:<bytes>\n", with an absent before/after written as "-\n".
 * seq and at are written in decimal. The hash is stored as lower-case hex.
 */
#include "domain/audit.h"
#include "core/buf.h"
#include "core/date.h"

#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static void hash_field(crypto_hash_sha256_state *st, const char *text)
{
    char prefix[32];
    if (!text) {
        crypto_hash_sha256_update(st, (const unsigned char *)"-\n", 2);
        return;
    }
    size_t len = strlen(text);
    int n = snprintf(prefix, sizeof prefix, "%zu:", len);
    crypto_hash_sha256_update(st, (const unsigned char *)prefix, (unsigned long long)n);
    crypto_hash_sha256_update(st, (const unsigned char *)text, len);
    crypto_hash_sha256_update(st, (const unsigned char *)"\n", 1);
}

void audit_record_hash(const audit_record *r, char out[AUDIT_HASH_HEX + 1])
{
    crypto_hash_sha256_state st;
    unsigned char digest[crypto_hash_sha256_BYTES];
    char seq[24], at[24];
    snprintf(seq, sizeof seq, "%" PRId64, r->seq);
    snprintf(at, sizeof at, "%" PRId64, r->at);
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)"bangfu-audit-v1\n", 16);
    hash_field(&st, seq);
    hash_field(&st, at);
    hash_field(&st, r->user);
    hash_field(&st, r->address);
    hash_field(&st, r->action);
    hash_field(&st, r->entity);
    hash_field(&st, r->entity_key);
    hash_field(&st, r->before);
    hash_field(&st, r->after);
    hash_field(&st, r->prev_hash);
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(out, AUDIT_HASH_HEX + 1, digest, sizeof digest);
}

bf_status audit_append(bf_store *store, const audit_entry *e, int64_t *seq_out, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bool has_row = false;
    char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1];
    bf_status rc = store_begin(store, err);
    if (rc)
        return rc;
    /* Taking the head row first serialises every appender. */
    rc = store_prepare(
        store, "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash", &stmt, err);
    if (rc)
        goto out;
    rc = store_step(stmt, &has_row, err);
    if (rc)
        goto out;
    if (!has_row) {
        rc = bf_error_set(err, BF_ERR_SCHEMA, "审计日志链头缺失");
        goto out;
    }
    audit_record r = {
        .seq = store_column_int64(stmt, 0),
        .at = bf_time_now(),
        .user = e->user ? e->user : "",
        .address = e->address ? e->address : "",
        .action = e->action ? e->action : "",
        .entity = e->entity ? e->entity : "",
        .entity_key = e->entity_key ? e->entity_key : "",
        .before = e->before,
        .after = e->after,
        .prev_hash = prev,
    };
    snprintf(prev, sizeof prev, "%s", store_column_text(stmt, 1, NULL));
    /* Drain the statement so the backend finishes the UPDATE. */
    while (rc == BF_OK && has_row)
        rc = store_step(stmt, &has_row, err);
    store_finalize(stmt);
    stmt = NULL;
    if (rc)
        goto out;
    audit_record_hash(&r, hash);
    rc = store_prepare(store,
                       "INSERT INTO audit_log (seq, at, username, address, action, entity, "
                       "entity_key, before_json, after_json, prev_hash, hash) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       &stmt, err);
    if (rc)
        goto out;
    store_bind_int64(stmt, 1, r.seq);
    store_bind_int64(stmt, 2, r.at);
    store_bind_str(stmt, 3, r.user);
    store_bind_str(stmt, 4, r.address);
    store_bind_str(stmt, 5, r.action);
    store_bind_str(stmt, 6, r.entity);
    store_bind_str(stmt, 7, r.entity_key);
    store_bind_str(stmt, 8, r.before);
    store_bind_str(stmt, 9, r.after);
    store_bind_str(stmt, 10, prev);
    store_bind_str(stmt, 11, hash);
    rc = store_step_done(stmt, err);
    store_finalize(stmt);
    stmt = NULL;
    if (rc)
        goto out;
    rc = store_prepare(store, "UPDATE audit_head SET hash = ? WHERE id = 1", &stmt, err);
    if (rc)
        goto out;
    store_bind_str(stmt, 1, hash);
    rc = store_step_done(stmt, err);
    if (rc == BF_OK && seq_out)
        *seq_out = r.seq;
out:
    store_finalize(stmt);
    if (rc) {
        store_rollback(store);
        return rc;
    }
    return store_commit(store, err);
}

static const char *nullable_text(bf_stmt *stmt, int col)
{
    return store_column_is_null(stmt, col) ? NULL : store_column_text(stmt, col, NULL);
}

static void read_record(bf_stmt *stmt, audit_record *r)
{
    r->seq = store_column_int64(stmt, 0);
    r->at = store_column_int64(stmt, 1);
    r->user = store_column_text(stmt, 2, NULL);
    r->address = store_column_text(stmt, 3, NULL);
    r->action = store_column_text(stmt, 4, NULL);
    r->entity = store_column_text(stmt, 5, NULL);
    r->entity_key = store_column_text(stmt, 6, NULL);
    r->before = nullable_text(stmt, 7);
    r->after = nullable_text(stmt, 8);
    r->prev_hash = store_column_text(stmt, 9, NULL);
    r->hash = store_column_text(stmt, 10, NULL);
}

#define RECORD_COLUMNS                                                                             \
    "seq, at, username, address, action, entity, entity_key, before_json, after_json, "            \
    "prev_hash, hash"

static const char genesis[] = "0000000000000000000000000000000000000000000000000000000000000000";

bf_status audit_verify(bf_store *store, audit_verify_result *res, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bool has_row = false;
    memset(res, 0, sizeof *res);
    res->ok = true;
    char prev[AUDIT_HASH_HEX + 1];
    snprintf(prev, sizeof prev, "%s", genesis);
    bf_status rc =
        store_prepare(store, "SELECT seq, hash FROM audit_head WHERE id = 1", &stmt, err);
    if (rc)
        return rc;
    rc = store_step(stmt, &has_row, err);
    if (rc == BF_OK && has_row) {
        res->head_seq = store_column_int64(stmt, 0);
        snprintf(res->head_hash, sizeof res->head_hash, "%s", store_column_text(stmt, 1, NULL));
    }
    store_finalize(stmt);
    stmt = NULL;
    if (rc)
        return rc;
    if (!has_row) {
        res->ok = false;
        snprintf(res->problem, sizeof res->problem, "审计日志链头缺失");
        return BF_OK;
    }
    rc = store_prepare(store, "SELECT " RECORD_COLUMNS " FROM audit_log ORDER BY seq", &stmt, err);
    if (rc)
        return rc;
    int64_t expect = 1;
    while ((rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        audit_record r;
        char computed[AUDIT_HASH_HEX + 1];
        read_record(stmt, &r);
        res->records++;
        const char *problem = NULL;
        if (r.seq != expect)
            problem = r.seq > expect ? "此前的记录缺失（序号不连续）" : "序号重复或乱序";
        else if (strcmp(r.prev_hash, prev) != 0)
            problem = "前一条记录的散列值不符（此前的记录被修改或删除）";
        else {
            audit_record_hash(&r, computed);
            if (strcmp(computed, r.hash) != 0)
                problem = "记录内容与其散列值不符（记录被修改）";
        }
        if (problem) {
            res->ok = false;
            res->bad_seq = r.seq;
            snprintf(res->problem, sizeof res->problem, "第 %" PRId64 " 条审计记录：%s", r.seq,
                     problem);
            break;
        }
        snprintf(prev, sizeof prev, "%s", r.hash);
        expect++;
    }
    store_finalize(stmt);
    if (rc || !res->ok)
        return rc;
    if (res->head_seq != expect - 1 || strcmp(res->head_hash, prev) != 0) {
        res->ok = false;
        res->bad_seq = expect;
        snprintf(res->problem, sizeof res->problem,
                 "审计日志末尾的记录缺失：链头为第 %" PRId64 " 条，实际只有 %" PRId64 " 条",
                 res->head_seq, expect - 1);
    }
    return BF_OK;
}

bf_status audit_list(bf_store *store, const audit_filter *f, audit_record_fn fn, void *ctx,
                     bf_error *err)
{
    bf_buf sql;
    bf_stmt *stmt = NULL;
    bool has_row = false;
    bf_buf_init(&sql, 4096);
    bf_status rc =
        bf_buf_append_str(&sql, "SELECT " RECORD_COLUMNS " FROM audit_log WHERE seq > ?");
    if (f->from_at)
        rc = rc ? rc : bf_buf_append_str(&sql, " AND at >= ?");
    if (f->to_at)
        rc = rc ? rc : bf_buf_append_str(&sql, " AND at < ?");
    if (f->to_seq)
        rc = rc ? rc : bf_buf_append_str(&sql, " AND seq < ?");
    if (f->user)
        rc = rc ? rc : bf_buf_append_str(&sql, " AND username = ?");
    if (f->action)
        rc = rc ? rc : bf_buf_append_str(&sql, " AND action = ?");
    if (f->entity)
        rc = rc ? rc : bf_buf_append_str(&sql, " AND entity = ?");
    rc =
        rc ? rc : bf_buf_append_str(&sql, f->newest_first ? " ORDER BY seq DESC" : " ORDER BY seq");
    if (f->limit > 0)
        rc = rc ? rc : bf_buf_append_str(&sql, " LIMIT ?");
    if (rc) {
        bf_error_set(err, rc, "内存不足");
        goto out;
    }
    rc = store_prepare(store, sql.data, &stmt, err);
    if (rc)
        goto out;
    int i = 1;
    store_bind_int64(stmt, i++, f->after_seq);
    if (f->from_at)
        store_bind_int64(stmt, i++, f->from_at);
    if (f->to_at)
        store_bind_int64(stmt, i++, f->to_at);
    if (f->to_seq)
        store_bind_int64(stmt, i++, f->to_seq);
    if (f->user)
        store_bind_str(stmt, i++, f->user);
    if (f->action)
        store_bind_str(stmt, i++, f->action);
    if (f->entity)
        store_bind_str(stmt, i++, f->entity);
    if (f->limit > 0)
        store_bind_int64(stmt, i++, f->limit);
    while ((rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        audit_record r;
        read_record(stmt, &r);
        if (fn(ctx, &r) != 0)
            break;
    }
out:
    store_finalize(stmt);
    bf_buf_free(&sql);
    return rc;
}

typedef struct {
    FILE *out;
    long written;
    bool failed;
} export_ctx;

static void set_text(json_t *obj, const char *key, const char *text)
{
    json_object_set_new(obj, key, text ? json_string(text) : json_null());
}

static int export_one(void *vctx, const audit_record *r)
{
    export_ctx *ctx = vctx;
    char at[32];
    bf_time_format_utc(r->at, at, sizeof at);
    json_t *obj = json_object();
    if (!obj) {
        ctx->failed = true;
        return 1;
    }
    json_object_set_new(obj, "seq", json_integer(r->seq));
    json_object_set_new(obj, "at", json_string(at));
    json_object_set_new(obj, "at_epoch", json_integer(r->at));
    set_text(obj, "user", r->user);
    set_text(obj, "address", r->address);
    set_text(obj, "action", r->action);
    set_text(obj, "entity", r->entity);
    set_text(obj, "entity_key", r->entity_key);
    set_text(obj, "before", r->before);
    set_text(obj, "after", r->after);
    set_text(obj, "prev_hash", r->prev_hash);
    set_text(obj, "hash", r->hash);
    char *line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (!line || fprintf(ctx->out, "%s\n", line) < 0) {
        free(line);
        ctx->failed = true;
        return 1;
    }
    free(line);
    ctx->written++;
    return 0;
}

bf_status audit_export(bf_store *store, const audit_filter *filter, FILE *out, long *written,
                       bf_error *err)
{
    export_ctx ctx = {.out = out};
    audit_filter all = {0};
    bf_status rc = audit_list(store, filter ? filter : &all, export_one, &ctx, err);
    if (rc)
        return rc;
    if (ctx.failed)
        return bf_error_set(err, BF_ERR_IO, "写出审计日志失败");
    audit_verify_result res;
    rc = audit_verify(store, &res, err);
    if (rc)
        return rc;
    if (fprintf(out, "{\"head\":{\"seq\":%" PRId64 ",\"hash\":\"%s\",\"verified\":%s}}\n",
                res.head_seq, res.head_hash, res.ok ? "true" : "false") < 0)
        return bf_error_set(err, BF_ERR_IO, "写出审计日志失败");
    if (written)
        *written = ctx.written;
    return BF_OK;
}
