/*
 * accounts.c - user accounts and password hashing (see accounts.h). Owns the
 * users table and evaluator_assignments.
 */
#include "domain/accounts.h"
#include "core/date.h"
#include "core/text.h"
#include "io/validate.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static unsigned long long hash_ops = 0;
static size_t hash_mem = 0;

void accounts_set_hash_cost(unsigned long long opslimit, size_t memlimit)
{
    hash_ops = opslimit;
    hash_mem = memlimit;
}

bf_status accounts_hash_password(const char *password, char *out, size_t out_size, bf_error *err)
{
    if (out_size < crypto_pwhash_STRBYTES)
        return bf_error_set(err, BF_ERR_INTERNAL, "内部错误：密码散列缓冲区太小");
    unsigned long long ops = hash_ops ? hash_ops : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t mem = hash_mem ? hash_mem : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (crypto_pwhash_str(out, password, strlen(password), ops, mem) != 0)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足，无法计算密码散列");
    return BF_OK;
}

bool accounts_password_matches(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

bf_status accounts_check_password_policy(const char *password, bf_error *err)
{
    size_t len = strlen(password);
    if (len < ACCOUNTS_PASSWORD_MIN)
        return bf_error_set_field(err, BF_ERR_INVALID, "password", "密码至少需要 %d 个字符",
                                  ACCOUNTS_PASSWORD_MIN);
    if (len > ACCOUNTS_PASSWORD_MAX)
        return bf_error_set_field(err, BF_ERR_INVALID, "password", "密码不能超过 %d 个字节",
                                  ACCOUNTS_PASSWORD_MAX);
    if (!bf_utf8_valid(password, len, NULL))
        return bf_error_set_field(err, BF_ERR_INVALID, "password", "密码含有无效字符");
    bool letter = false, digit = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)password[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80)
            letter = true;
        else if (c >= '0' && c <= '9')
            digit = true;
    }
    if (!letter || !digit)
        return bf_error_set_field(err, BF_ERR_INVALID, "password", "密码须同时包含字母和数字");
    return BF_OK;
}

void accounts_generate_password(char *out, size_t out_size)
{
    static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    size_t n = out_size > 17 ? 16 : (out_size ? out_size - 1 : 0);
    for (;;) {
        for (size_t i = 0; i < n; i++)
            out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
        if (out_size)
            out[n] = '\0';
        /* Keep drawing until the policy (a letter and a digit) holds. */
        if (n < ACCOUNTS_PASSWORD_MIN || accounts_check_password_policy(out, NULL) == BF_OK)
            return;
    }
}

bf_status accounts_check_username(const char *name, bf_error *err)
{
    size_t len = strlen(name);
    if (len < 2 || len > ACCOUNTS_NAME_MAX)
        return bf_error_set_field(err, BF_ERR_INVALID, "username", "用户名须为 2 到 %d 个字符",
                                  ACCOUNTS_NAME_MAX);
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '@' || c == '-';
        if (!ok)
            return bf_error_set_field(err, BF_ERR_INVALID, "username",
                                      "用户名只能包含英文字母、数字和 _ . @ -");
    }
    return BF_OK;
}

/* Role exists and the region fits its level. */
static bf_status check_role_region(const char *role_id, const char *region_code, bf_error *err)
{
    const role_def *role = roles_find(role_id);
    if (!role)
        return bf_error_set_field(err, BF_ERR_INVALID, "role", "未知角色：%s", role_id);
    if (strlen(region_code) != 12)
        return bf_error_set_field(err, BF_ERR_INVALID, "region_code", "区划代码须为 12 位数字：%s",
                                  region_code);
    bf_region_level level = bf_region_code_level(region_code);
    if (level == BF_LEVEL_NONE)
        return bf_error_set_field(err, BF_ERR_INVALID, "region_code", "区划代码无效：%s",
                                  region_code);
    if (role->level && (int)level != role->level)
        return bf_error_set_field(err, BF_ERR_INVALID, "region_code",
                                  "角色“%s”须绑定到%s级区划，而 %s 是%s级", role->zh,
                                  bf_region_level_name_zh((bf_region_level)role->level),
                                  region_code, bf_region_level_name_zh(level));
    return BF_OK;
}

bf_status accounts_add(bf_store *store, const char *username, const char *display_name,
                       const char *role_id, const char *region_code, const char *password,
                       bool must_change, int64_t *id_out, bf_error *err)
{
    char hash[crypto_pwhash_STRBYTES];
    bf_stmt *stmt = NULL;
    bf_status rc = accounts_check_username(username, err);
    if (rc)
        return rc;
    rc = check_role_region(role_id, region_code, err);
    if (rc)
        return rc;
    rc = accounts_check_password_policy(password, err);
    if (rc)
        return rc;
    rc = accounts_hash_password(password, hash, sizeof hash, err);
    if (rc)
        return rc;
    int64_t now = bf_time_now();
    rc = store_prepare(store,
                       "INSERT INTO users (username, display_name, role, region_code, "
                       "password_hash, disabled, must_change_password, created_at, updated_at) "
                       "VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)",
                       &stmt, err);
    if (rc)
        goto out;
    store_bind_str(stmt, 1, username);
    store_bind_str(stmt, 2, display_name ? display_name : "");
    store_bind_str(stmt, 3, role_id);
    store_bind_str(stmt, 4, region_code);
    store_bind_str(stmt, 5, hash);
    store_bind_int64(stmt, 6, must_change ? 1 : 0);
    store_bind_int64(stmt, 7, now);
    store_bind_int64(stmt, 8, now);
    rc = store_step_done(stmt, err);
    if (rc == BF_ERR_CONFLICT) {
        bf_error_set_field(err, BF_ERR_CONFLICT, "username", "用户名 %s 已存在", username);
        goto out;
    }
    if (rc)
        goto out;
    if (id_out) {
        accounts_user user;
        rc = accounts_get(store, username, &user, NULL, 0, err);
        if (rc == BF_OK)
            *id_out = user.id;
    }
out:
    store_finalize(stmt);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

/* Run an UPDATE on users with the username as the last parameter; NOT_FOUND if no row. */
static bf_status update_user(bf_stmt *stmt, const char *username, bf_error *err)
{
    bf_status rc = store_step_done(stmt, err);
    if (rc == BF_OK && store_changes(stmt) == 0)
        rc = bf_error_set_field(err, BF_ERR_NOT_FOUND, "username", "用户 %s 不存在", username);
    return rc;
}

bf_status accounts_set_password(bf_store *store, const char *username, const char *password,
                                bool must_change, bf_error *err)
{
    char hash[crypto_pwhash_STRBYTES];
    bf_stmt *stmt = NULL;
    bf_status rc = accounts_check_password_policy(password, err);
    if (rc)
        return rc;
    rc = accounts_hash_password(password, hash, sizeof hash, err);
    if (rc)
        return rc;
    rc = store_prepare(store,
                       "UPDATE users SET password_hash = ?, must_change_password = ?, "
                       "updated_at = ?, version = version + 1 WHERE username = ?",
                       &stmt, err);
    if (rc)
        goto out;
    store_bind_str(stmt, 1, hash);
    store_bind_int64(stmt, 2, must_change ? 1 : 0);
    store_bind_int64(stmt, 3, bf_time_now());
    store_bind_str(stmt, 4, username);
    rc = update_user(stmt, username, err);
out:
    store_finalize(stmt);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

bf_status accounts_set_disabled(bf_store *store, const char *username, bool disabled, bf_error *err)
{
    bf_stmt *stmt = NULL;
    accounts_user user;
    bf_status rc = store_begin(store, err);
    if (rc)
        return rc;
    rc = accounts_get(store, username, &user, NULL, 0, err);
    if (rc)
        goto out;
    rc = store_prepare(store,
                       "UPDATE users SET disabled = ?, updated_at = ?, version = version + 1 "
                       "WHERE id = ?",
                       &stmt, err);
    if (rc)
        goto out;
    store_bind_int64(stmt, 1, disabled ? 1 : 0);
    store_bind_int64(stmt, 2, bf_time_now());
    store_bind_int64(stmt, 3, user.id);
    rc = store_step_done(stmt, err);
    store_finalize(stmt);
    stmt = NULL;
    if (rc || !disabled)
        goto out;
    rc = store_prepare(store, "DELETE FROM sessions WHERE user_id = ?", &stmt, err);
    if (rc)
        goto out;
    store_bind_int64(stmt, 1, user.id);
    rc = store_step_done(stmt, err);
out:
    store_finalize(stmt);
    if (rc) {
        store_rollback(store);
        return rc;
    }
    return store_commit(store, err);
}

bf_status accounts_update(bf_store *store, const char *username, const char *role_id,
                          const char *region_code, const char *display_name, bf_error *err)
{
    accounts_user user;
    bf_stmt *stmt = NULL;
    bf_status rc = accounts_get(store, username, &user, NULL, 0, err);
    if (rc)
        return rc;
    const char *new_role = role_id ? role_id : user.role_id;
    const char *new_region = region_code ? region_code : user.region_code;
    rc = check_role_region(new_role, new_region, err);
    if (rc)
        return rc;
    rc = store_prepare(store,
                       "UPDATE users SET role = ?, region_code = ?, display_name = ?, "
                       "updated_at = ?, version = version + 1 WHERE id = ?",
                       &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, new_role);
    store_bind_str(stmt, 2, new_region);
    store_bind_str(stmt, 3, display_name ? display_name : user.display_name);
    store_bind_int64(stmt, 4, bf_time_now());
    store_bind_int64(stmt, 5, user.id);
    rc = store_step_done(stmt, err);
    store_finalize(stmt);
    return rc;
}

#define USER_COLUMNS                                                                               \
    "id, username, display_name, role, region_code, disabled, must_change_password, "              \
    "created_at, version, password_hash"

static void read_user(bf_stmt *stmt, accounts_user *user, char *hash_out, size_t hash_size)
{
    memset(user, 0, sizeof *user);
    user->id = store_column_int64(stmt, 0);
    snprintf(user->username, sizeof user->username, "%s", store_column_text(stmt, 1, NULL));
    snprintf(user->display_name, sizeof user->display_name, "%s", store_column_text(stmt, 2, NULL));
    snprintf(user->role_id, sizeof user->role_id, "%s", store_column_text(stmt, 3, NULL));
    user->role = roles_find(user->role_id);
    snprintf(user->region_code, sizeof user->region_code, "%s", store_column_text(stmt, 4, NULL));
    user->disabled = store_column_int64(stmt, 5) != 0;
    user->must_change_password = store_column_int64(stmt, 6) != 0;
    user->created_at = store_column_int64(stmt, 7);
    user->version = store_column_int64(stmt, 8);
    if (hash_out && hash_size)
        snprintf(hash_out, hash_size, "%s", store_column_text(stmt, 9, NULL));
}

bf_status accounts_get(bf_store *store, const char *username, accounts_user *user, char *hash_out,
                       size_t hash_size, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bool has_row = false;
    bf_status rc =
        store_prepare(store, "SELECT " USER_COLUMNS " FROM users WHERE username = ?", &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, username);
    rc = store_step(stmt, &has_row, err);
    if (rc == BF_OK && !has_row)
        rc = bf_error_set_field(err, BF_ERR_NOT_FOUND, "username", "用户 %s 不存在", username);
    if (rc == BF_OK)
        read_user(stmt, user, hash_out, hash_size);
    store_finalize(stmt);
    return rc;
}

bf_status accounts_get_by_id(bf_store *store, int64_t id, accounts_user *user, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bool has_row = false;
    bf_status rc =
        store_prepare(store, "SELECT " USER_COLUMNS " FROM users WHERE id = ?", &stmt, err);
    if (rc)
        return rc;
    store_bind_int64(stmt, 1, id);
    rc = store_step(stmt, &has_row, err);
    if (rc == BF_OK && !has_row)
        rc = bf_error_set(err, BF_ERR_NOT_FOUND, "用户不存在");
    if (rc == BF_OK)
        read_user(stmt, user, NULL, 0);
    store_finalize(stmt);
    return rc;
}

bf_status accounts_list(bf_store *store, const char *lo, const char *hi, accounts_user_fn fn,
                        void *ctx, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bool has_row = false;
    bf_status rc = store_prepare(store,
                                 "SELECT " USER_COLUMNS " FROM users WHERE "
                                 "region_code >= ? AND region_code < ? ORDER BY username",
                                 &stmt, err);
    if (rc)
        return rc;
    /* Every code is 12 digits, so "" and "~" bound all of them. */
    store_bind_str(stmt, 1, lo ? lo : "");
    store_bind_str(stmt, 2, hi ? hi : "~");
    while ((rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        accounts_user user;
        read_user(stmt, &user, NULL, 0);
        if (fn(ctx, &user) != 0)
            break;
    }
    store_finalize(stmt);
    return rc;
}

bf_status accounts_count(bf_store *store, int64_t *count, bf_error *err)
{
    return store_query_int64(store, "SELECT COUNT(*) FROM users", count, err, 0);
}

bf_status accounts_init_first_admin(bf_store *store, bf_error *err)
{
    int64_t count = 0;
    bf_status rc = accounts_count(store, &count, err);
    if (rc || count > 0)
        return rc;
    char region[13] = "360000000000";
    bf_stmt *stmt = NULL;
    bool has_row = false;
    rc = store_prepare(store, "SELECT code FROM regions WHERE level = 1 ORDER BY code", &stmt, err);
    if (rc)
        return rc;
    rc = store_step(stmt, &has_row, err);
    if (rc == BF_OK && has_row) {
        size_t len = 0;
        const char *code = store_column_text(stmt, 0, &len);
        if (len == 12)
            memcpy(region, code, 13);
    }
    store_finalize(stmt);
    if (rc)
        return rc;
    char password[17];
    accounts_generate_password(password, sizeof password);
    rc =
        accounts_add(store, "admin", "管理员", "province_admin", region, password, true, NULL, err);
    if (rc == BF_OK) {
        printf("已创建省级管理员账户 admin（区划 %s），初始密码：%s\n"
               "该密码只显示这一次，首次登录后须修改。\n",
               region, password);
        fflush(stdout);
    }
    sodium_memzero(password, sizeof password);
    return rc;
}

bf_status accounts_assign_project(bf_store *store, const char *evaluator, const char *project_code,
                                  const char *by, bool remove, bf_error *err)
{
    accounts_user user;
    bf_stmt *stmt = NULL;
    bf_status rc = accounts_get(store, evaluator, &user, NULL, 0, err);
    if (rc)
        return rc;
    if (!user.role || !user.role->assigned_only)
        return bf_error_set_field(err, BF_ERR_INVALID, "username", "用户 %s 不是第三方评估机构账户",
                                  evaluator);
    if (remove) {
        rc = store_prepare(store,
                           "DELETE FROM evaluator_assignments WHERE user_id = ? AND "
                           "project_code = ?",
                           &stmt, err);
        if (rc)
            return rc;
        store_bind_int64(stmt, 1, user.id);
        store_bind_str(stmt, 2, project_code);
        rc = store_step_done(stmt, err);
        if (rc == BF_OK && store_changes(stmt) == 0)
            rc =
                bf_error_set(err, BF_ERR_NOT_FOUND, "项目 %s 未分配给 %s", project_code, evaluator);
        store_finalize(stmt);
        return rc;
    }
    int64_t exists = 0;
    rc = store_query_int64(store, "SELECT COUNT(*) FROM projects WHERE code = ?", &exists, err, 1,
                           project_code);
    if (rc)
        return rc;
    if (!exists)
        return bf_error_set_field(err, BF_ERR_NOT_FOUND, "project_code", "项目 %s 不存在",
                                  project_code);
    rc = store_prepare(store,
                       /* The county comes with the project (the key leads with it). */
                       "INSERT INTO evaluator_assignments (county_code, user_id, project_code, "
                       "assigned_by, assigned_at) SELECT county_code, ?, code, ?, ? FROM projects "
                       "WHERE code = ? ON CONFLICT (user_id, county_code, project_code) DO NOTHING",
                       &stmt, err);
    if (rc)
        return rc;
    store_bind_int64(stmt, 1, user.id);
    store_bind_str(stmt, 2, by ? by : "");
    store_bind_int64(stmt, 3, bf_time_now());
    store_bind_str(stmt, 4, project_code);
    rc = store_step_done(stmt, err);
    store_finalize(stmt);
    return rc;
}
