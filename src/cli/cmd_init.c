/*
 * cmd_init.c - `bangfu init` creates a database and its key file, and
 * `bangfu migrate` brings an existing database up to the current schema.
 */
#include "cli/cli.h"
#include "domain/init_hooks.h"
#include "domain/pii.h"
#include "store/migrate.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

enum { OPT_DB = 1, OPT_KEY_FILE };

static const struct option init_options[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"key-file", required_argument, NULL, OPT_KEY_FILE},
    {NULL, 0, NULL, 0},
};

/* Open (creating if asked) and bring the schema and the init steps up to date. */
static bf_status migrate_target(const char *target, bool create, int *from, int *to, bf_error *err)
{
    bf_store *store = NULL;
    bf_status rc = store_open(target, create, &store, err);
    if (rc)
        return rc;
    rc = store_migrate(store, from, to, err);
    if (rc == BF_OK)
        rc = bf_init_hooks_run(store, err);
    store_close(store);
    return rc;
}

int cli_cmd_init(int argc, char **argv)
{
    const char *db_option = NULL, *key_option = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", init_options, NULL)) != -1) {
        switch (opt) {
        case OPT_DB:
            db_option = optarg;
            break;
        case OPT_KEY_FILE:
            key_option = optarg;
            break;
        default:
            return cli_usage_error("init", "无法识别的参数");
        }
    }
    if (optind != argc)
        return cli_usage_error("init", "多余的参数 %s", argv[optind]);

    const char *target = store_default_target(db_option);
    bf_error err;
    bf_error_clear(&err);
    int from = 0, to = 0;
    bf_status rc = migrate_target(target, true, &from, &to, &err);
    if (rc)
        return cli_fail(&err);

    char key_path[4096];
    pii_key_path(target, key_option, key_path, sizeof key_path);
    struct stat st;
    bool key_exists = stat(key_path, &st) == 0;
    if (!key_exists) {
        rc = pii_key_create(key_path, &err);
        if (rc)
            return cli_fail(&err);
    }
    if (from == 0)
        printf("已创建数据库 %s（结构版本 %d）\n", target, to);
    else if (from < to)
        printf("数据库 %s 已升级：结构版本 %d → %d\n", target, from, to);
    else
        printf("数据库 %s 已存在，结构版本 %d，无需更改\n", target, to);
    printf("%s身份证号密钥文件 %s%s\n", key_exists ? "沿用" : "已创建", key_path,
           key_exists ? "" : "（请妥善备份，丢失后无法解密身份证号）");
    return 0;
}

int cli_cmd_migrate(int argc, char **argv)
{
    const char *db_option = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", init_options, NULL)) != -1) {
        if (opt == OPT_DB)
            db_option = optarg;
        else
            return cli_usage_error("migrate", "无法识别的参数");
    }
    if (optind != argc)
        return cli_usage_error("migrate", "多余的参数 %s", argv[optind]);
    const char *target = store_default_target(db_option);
    bf_error err;
    bf_error_clear(&err);
    int from = 0, to = 0;
    bf_status rc = migrate_target(target, false, &from, &to, &err);
    if (rc)
        return cli_fail(&err);
    if (from == to)
        printf("数据库结构已是最新版本 %d\n", to);
    else
        printf("数据库结构已升级：%d → %d\n", from, to);
    return 0;
}
