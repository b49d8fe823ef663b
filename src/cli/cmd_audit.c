/*
 * cmd_audit.c - `bangfu audit verify` walks the hash chain and names the first
 * record that was changed or removed; `bangfu audit export` writes the trail
 * (or a time window of it) as JSON Lines for an auditor.
 */
#include "cli/cli.h"
#include "core/date.h"
#include "domain/audit.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

enum { OPT_DB = 1, OPT_OUT, OPT_FROM, OPT_TO, OPT_USER };

static const struct option audit_options[] = {
    {"db", required_argument, NULL, OPT_DB},     {"output", required_argument, NULL, OPT_OUT},
    {"from", required_argument, NULL, OPT_FROM}, {"to", required_argument, NULL, OPT_TO},
    {"user", required_argument, NULL, OPT_USER}, {NULL, 0, NULL, 0},
};

/* A date YYYY-MM-DD (Asia/Shanghai midnight) to epoch seconds. */
static bool date_epoch(const char *text, int64_t *out)
{
    bf_date d;
    if (!bf_date_parse(text, strlen(text), &d, NULL))
        return false;
    *out = bf_date_to_days(d) * 86400 - 8 * 3600;
    return true;
}

int cli_cmd_audit(int argc, char **argv)
{
    const char *db = NULL, *output = NULL;
    audit_filter filter = {0};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", audit_options, NULL)) != -1) {
        switch (opt) {
        case OPT_DB:
            db = optarg;
            break;
        case OPT_OUT:
            output = optarg;
            break;
        case OPT_USER:
            filter.user = optarg;
            break;
        case OPT_FROM:
            if (!date_epoch(optarg, &filter.from_at))
                return cli_usage_error("audit", "日期 %s 无效（应为 YYYY-MM-DD）", optarg);
            break;
        case OPT_TO:
            if (!date_epoch(optarg, &filter.to_at))
                return cli_usage_error("audit", "日期 %s 无效（应为 YYYY-MM-DD）", optarg);
            filter.to_at += 86400; /* the whole day */
            break;
        default:
            return cli_usage_error("audit", "无法识别的参数");
        }
    }
    if (argc - optind != 1)
        return cli_usage_error("audit", "须给出子命令 verify 或 export");
    const char *sub = argv[optind];
    bf_error err;
    bf_error_clear(&err);
    bf_store *store = NULL;
    if (cli_open_db(db, &store, &err) != BF_OK)
        return cli_fail(&err);
    int code = 0;
    if (strcmp(sub, "verify") == 0) {
        audit_verify_result res;
        bf_status rc = audit_verify(store, &res, &err);
        if (rc)
            code = cli_fail(&err);
        else if (res.ok)
            printf("审计日志完整：共 %lld 条记录，链头散列 %s\n", (long long)res.records,
                   res.head_hash);
        else {
            fprintf(stderr, "bangfu: 审计日志已被篡改：%s\n", res.problem);
            code = bf_status_exit_code(BF_ERR_INVALID);
        }
    } else if (strcmp(sub, "export") == 0) {
        FILE *out = stdout;
        char tmp[4200];
        if (output && strcmp(output, "-") != 0) {
            snprintf(tmp, sizeof tmp, "%s.tmp", output);
            out = fopen(tmp, "w");
            if (!out) {
                bf_error_set(&err, BF_ERR_IO, "无法写入 %s", tmp);
                store_close(store);
                return cli_fail(&err);
            }
        }
        long written = 0;
        bf_status rc = audit_export(store, &filter, out, &written, &err);
        if (out != stdout) {
            if (fclose(out) != 0 && rc == BF_OK)
                rc = bf_error_set(&err, BF_ERR_IO, "写入 %s 失败", tmp);
            if (rc == BF_OK && rename(tmp, output) != 0)
                rc = bf_error_set(&err, BF_ERR_IO, "无法写入 %s", output);
            if (rc)
                remove(tmp);
        } else {
            fflush(stdout);
        }
        if (rc)
            code = cli_fail(&err);
        else if (out != stdout)
            fprintf(stderr, "已导出 %ld 条审计记录到 %s\n", written, output);
    } else {
        code = cli_usage_error("audit", "未知子命令 %s", sub);
    }
    store_close(store);
    return code;
}
