/*
 * cmd_user.c - `bangfu user`: add, passwd, disable, enable, unlock, list,
 * assign (evaluator to project). Every change is written to the audit trail
 * as done by "cli:<login name>".
 */
#include "cli/cli.h"
#include "domain/accounts.h"
#include "domain/audit.h"
#include "domain/roles.h"
#include "http/lockout.h"
#include "io/validate.h"

#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_DB = 1, OPT_REGION, OPT_ROLE, OPT_DISPLAY, OPT_STDIN, OPT_REMOVE };

static const struct option user_options[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"region", required_argument, NULL, OPT_REGION},
    {"role", required_argument, NULL, OPT_ROLE},
    {"display-name", required_argument, NULL, OPT_DISPLAY},
    {"password-stdin", no_argument, NULL, OPT_STDIN},
    {"remove", no_argument, NULL, OPT_REMOVE},
    {NULL, 0, NULL, 0},
};

typedef struct {
    const char *db, *region, *role, *display;
    bool password_stdin, remove;
} user_args;

static void actor(char *out, size_t size)
{
    const char *login = getenv("USER");
    snprintf(out, size, "cli:%s", login && *login ? login : "unknown");
}

static bf_status audit_cli(bf_store *store, const char *action, const char *key, const char *after,
                           bf_error *err)
{
    char who[96];
    actor(who, sizeof who);
    audit_entry e = {who, "", action, "user", key, NULL, after};
    return audit_append(store, &e, NULL, err);
}

/* Read one line from stdin as the password (newline stripped). */
static bool read_password(char *out, size_t size)
{
    if (!fgets(out, (int)size, stdin))
        return false;
    out[strcspn(out, "\r\n")] = '\0';
    return true;
}

static int print_user(void *ctx, const accounts_user *u)
{
    printf("%-20s %-18s %-12s %s%s\n", u->username, u->role_id, u->region_code,
           u->disabled ? "已停用 " : "", u->must_change_password ? "须改密码" : "");
    return 0;
}

static int run_add(bf_store *store, const char *name, const user_args *a, bf_error *err)
{
    if (!a->region || !a->role)
        return cli_usage_error("user", "user add 需要 --region CODE 和 --role ROLE");
    char region[13];
    const char *reason = NULL;
    if (!bf_region_code_normalize(a->region, strlen(a->region), region, &reason)) {
        bf_error_set(err, BF_ERR_INVALID, "区划代码 %s 无效：%s", a->region, reason ? reason : "");
        return cli_fail(err);
    }
    char password[ACCOUNTS_PASSWORD_MAX + 2];
    bool generated = !a->password_stdin;
    if (generated)
        accounts_generate_password(password, 17);
    else if (!read_password(password, sizeof password))
        return cli_usage_error("user", "未能从标准输入读到密码");
    char after[256];
    snprintf(after, sizeof after, "{\"region_code\":\"%s\",\"role\":\"%s\",\"username\":\"%s\"}",
             region, a->role, name);
    bf_status rc = store_begin(store, err);
    if (rc == BF_OK)
        rc = accounts_add(store, name, a->display, a->role, region, password, generated, NULL, err);
    if (rc == BF_OK)
        rc = audit_cli(store, "user_add", name, after, err);
    if (rc) {
        store_rollback(store);
        sodium_memzero(password, sizeof password);
        return cli_fail(err);
    }
    rc = store_commit(store, err);
    if (rc) {
        sodium_memzero(password, sizeof password);
        return cli_fail(err);
    }
    printf("已创建用户 %s（%s，区划 %s）\n", name, roles_find(a->role)->zh, region);
    if (generated)
        printf("初始密码：%s\n该密码只显示这一次，首次登录后须修改。\n", password);
    sodium_memzero(password, sizeof password);
    return 0;
}

static int run_passwd(bf_store *store, const char *name, const user_args *a, bf_error *err)
{
    char password[ACCOUNTS_PASSWORD_MAX + 2];
    bool generated = !a->password_stdin;
    if (generated)
        accounts_generate_password(password, 17);
    else if (!read_password(password, sizeof password))
        return cli_usage_error("user", "未能从标准输入读到密码");
    bf_status rc = store_begin(store, err);
    if (rc == BF_OK)
        rc = accounts_set_password(store, name, password, generated, err);
    if (rc == BF_OK)
        rc = lockout_clear(store, name, err);
    if (rc == BF_OK)
        rc = audit_cli(store, "password_reset", name, NULL, err);
    if (rc == BF_OK)
        rc = store_commit(store, err);
    else
        store_rollback(store);
    if (rc) {
        sodium_memzero(password, sizeof password);
        return cli_fail(err);
    }
    printf("已重设用户 %s 的密码\n", name);
    if (generated)
        printf("新密码：%s\n该密码只显示这一次，登录后须修改。\n", password);
    sodium_memzero(password, sizeof password);
    return 0;
}

int cli_cmd_user(int argc, char **argv)
{
    user_args a = {0};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", user_options, NULL)) != -1) {
        switch (opt) {
        case OPT_DB:
            a.db = optarg;
            break;
        case OPT_REGION:
            a.region = optarg;
            break;
        case OPT_ROLE:
            a.role = optarg;
            break;
        case OPT_DISPLAY:
            a.display = optarg;
            break;
        case OPT_STDIN:
            a.password_stdin = true;
            break;
        case OPT_REMOVE:
            a.remove = true;
            break;
        default:
            return cli_usage_error("user", "无法识别的参数");
        }
    }
    if (optind >= argc)
        return cli_usage_error("user",
                               "缺少子命令（add、passwd、disable、enable、unlock、list、assign）");
    const char *sub = argv[optind];
    const char *name = optind + 1 < argc ? argv[optind + 1] : NULL;
    bool is_list = strcmp(sub, "list") == 0;
    int want = strcmp(sub, "assign") == 0 ? 3 : (is_list ? 1 : 2);
    if (argc - optind != want)
        return cli_usage_error("user", "子命令 %s 的参数个数不对", sub);

    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    if (cli_open_db(a.db, &store, &err) != BF_OK)
        return cli_fail(&err);
    int code = 0;
    bf_status rc = BF_OK;
    if (strcmp(sub, "add") == 0) {
        code = run_add(store, name, &a, &err);
    } else if (strcmp(sub, "passwd") == 0) {
        code = run_passwd(store, name, &a, &err);
    } else if (strcmp(sub, "disable") == 0 || strcmp(sub, "enable") == 0) {
        bool disable = sub[0] == 'd';
        rc = store_begin(store, &err);
        if (rc == BF_OK)
            rc = accounts_set_disabled(store, name, disable, &err);
        if (rc == BF_OK)
            rc = audit_cli(store, disable ? "user_disable" : "user_enable", name, NULL, &err);
        rc = rc == BF_OK ? store_commit(store, &err) : (store_rollback(store), rc);
        if (rc == BF_OK)
            printf("已%s用户 %s\n", disable ? "停用" : "启用", name);
    } else if (strcmp(sub, "unlock") == 0) {
        rc = lockout_clear(store, name, &err);
        if (rc == BF_OK)
            rc = audit_cli(store, "user_unlock", name, NULL, &err);
        if (rc == BF_OK)
            printf("已解除用户 %s 的登录锁定\n", name);
    } else if (is_list) {
        char lo[13], hi[13];
        char region[13];
        const char *reason = NULL;
        if (a.region && !bf_region_code_normalize(a.region, strlen(a.region), region, &reason)) {
            rc = bf_error_set(&err, BF_ERR_INVALID, "区划代码 %s 无效", a.region);
        } else {
            if (a.region)
                bf_region_code_range(region, lo, hi);
            rc = accounts_list(store, a.region ? lo : NULL, a.region ? hi : NULL, print_user, NULL,
                               &err);
        }
    } else if (strcmp(sub, "assign") == 0) {
        const char *project = argv[optind + 2];
        char who[96];
        actor(who, sizeof who);
        rc = store_begin(store, &err);
        if (rc == BF_OK)
            rc = accounts_assign_project(store, name, project, who, a.remove, &err);
        if (rc == BF_OK) {
            audit_entry e = {
                who,  "",  a.remove ? "unassign" : "assign", "evaluator_assignment", project,
                NULL, NULL};
            char after[160];
            snprintf(after, sizeof after, "{\"evaluator\":\"%s\"}", name);
            e.after = after;
            rc = audit_append(store, &e, NULL, &err);
        }
        rc = rc == BF_OK ? store_commit(store, &err) : (store_rollback(store), rc);
        if (rc == BF_OK)
            printf("已%s项目 %s %s评估机构 %s\n", a.remove ? "取消" : "将", project,
                   a.remove ? "对" : "分配给", name);
    } else {
        code = cli_usage_error("user", "未知子命令 %s", sub);
    }
    store_close(store);
    if (rc)
        return cli_fail(&err);
    return code;
}
