/*
 * config.c - the server configuration: defaults, and a `key = value` file
 * (one setting per line, '#' starts a comment, sizes may end in K/M/G).
 * One table lists every key with its type, place and range.
 */
#include "http/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { CFG_INT, CFG_SIZE, CFG_BOOL, CFG_STR } cfg_type;

typedef struct {
    const char *key;
    cfg_type type;
    size_t offset;
    size_t size; /* CFG_STR: buffer size */
    long long min, max;
} cfg_key;

#define INT_KEY(name, lo, hi)                                                                      \
    {                                                                                              \
#name, CFG_INT, offsetof(http_config, name), 0, lo, hi                                     \
    }
#define SIZE_KEY(name, lo, hi)                                                                     \
    {                                                                                              \
#name, CFG_SIZE, offsetof(http_config, name), 0, lo, hi                                    \
    }
#define BOOL_KEY(name)                                                                             \
    {                                                                                              \
#name, CFG_BOOL, offsetof(http_config, name), 0, 0, 1                                      \
    }
#define STR_KEY(name)                                                                              \
    {                                                                                              \
#name, CFG_STR, offsetof(http_config, name), sizeof(((http_config *)0)->name), 0, 0        \
    }

static const cfg_key cfg_keys[] = {
    STR_KEY(listen),
    INT_KEY(threads, 1, 256),
    INT_KEY(max_connections, 1, 100000),
    INT_KEY(max_connections_per_ip, 0, 100000),
    INT_KEY(request_timeout, 1, 3600),
    SIZE_KEY(max_body, 1024, 1LL << 30),
    SIZE_KEY(max_upload, 1024, 4LL << 30),
    INT_KEY(session_idle, 1, 7 * 86400),
    INT_KEY(session_max, 1, 30 * 86400),
    INT_KEY(session_recheck, 0, 3600),
    BOOL_KEY(cookie_secure),
    STR_KEY(tls_cert),
    STR_KEY(tls_key),
    INT_KEY(login_slowdown_after, 1, 1000),
    INT_KEY(login_lock_after, 1, 1000),
    INT_KEY(login_lock_seconds, 1, 86400 * 30),
    STR_KEY(web_dir),
    STR_KEY(access_log),
    INT_KEY(summary_refresh, 0, 86400),
    STR_KEY(key_file),
};

void http_config_defaults(http_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen, sizeof cfg->listen, "127.0.0.1:8080");
    cfg->threads = 4;
    cfg->max_connections = 512;
    cfg->max_connections_per_ip = 64;
    cfg->request_timeout = 60;
    cfg->max_body = 1024 * 1024;
    cfg->max_upload = 64 * 1024 * 1024;
    cfg->session_idle = 30 * 60;
    cfg->session_max = 12 * 3600;
    cfg->session_recheck = 2;
    cfg->login_slowdown_after = 3;
    cfg->login_lock_after = 10;
    cfg->login_lock_seconds = 15 * 60;
    snprintf(cfg->access_log, sizeof cfg->access_log, "-");
    cfg->summary_refresh = 10;
}

static bool parse_number(const char *value, bool allow_suffix, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll(value, &end, 10);
    if (errno || end == value)
        return false;
    long long mult = 1;
    if (allow_suffix && *end) {
        switch (*end) {
        case 'k':
        case 'K':
            mult = 1024;
            break;
        case 'm':
        case 'M':
            mult = 1024 * 1024;
            break;
        case 'g':
        case 'G':
            mult = 1024LL * 1024 * 1024;
            break;
        default:
            return false;
        }
        end++;
    }
    if (*end)
        return false;
    /* Bounded before multiplying: 2^40 is far above every key's maximum and
     * no suffix can make the product overflow. */
    if (n < 0 || n > (1LL << 40) / mult)
        return false;
    *out = n * mult;
    return true;
}

bf_status http_config_set(http_config *cfg, const char *key, const char *value, bf_error *err)
{
    for (size_t i = 0; i < sizeof cfg_keys / sizeof cfg_keys[0]; i++) {
        const cfg_key *k = &cfg_keys[i];
        if (strcmp(k->key, key) != 0)
            continue;
        char *place = (char *)cfg + k->offset;
        long long n = 0;
        switch (k->type) {
        case CFG_STR:
            if (strlen(value) >= k->size)
                return bf_error_set(err, BF_ERR_USAGE, "配置项 %s 的值太长", key);
            snprintf(place, k->size, "%s", value);
            return BF_OK;
        case CFG_BOOL:
            if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
                *(bool *)place = true;
            else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
                     strcmp(value, "0") == 0)
                *(bool *)place = false;
            else
                return bf_error_set(err, BF_ERR_USAGE, "配置项 %s 须为 true 或 false", key);
            return BF_OK;
        case CFG_INT:
        case CFG_SIZE:
            if (!parse_number(value, k->type == CFG_SIZE, &n) || n < k->min || n > k->max)
                return bf_error_set(err, BF_ERR_USAGE,
                                    "配置项 %s 的值 %s 无效（范围 %lld 到 %lld）", key, value,
                                    k->min, k->max);
            if (k->type == CFG_INT)
                *(int *)place = (int)n;
            else
                *(size_t *)place = (size_t)n;
            return BF_OK;
        }
    }
    return bf_error_set(err, BF_ERR_USAGE, "未知的配置项：%s", key);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len &&
           (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' || s[len - 1] == '\n'))
        s[--len] = '\0';
    return s;
}

bf_status http_config_load(const char *path, http_config *cfg, bf_error *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return bf_error_set(err, BF_ERR_IO, "无法打开配置文件 %s", path);
    char line[2048];
    int lineno = 0;
    bf_status rc = BF_OK;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(fp)) {
            rc = bf_error_set(err, BF_ERR_USAGE, "配置文件 %s 第 %d 行太长", path, lineno);
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *text = trim(line);
        if (!*text)
            continue;
        char *eq = strchr(text, '=');
        if (!eq) {
            rc = bf_error_set(err, BF_ERR_USAGE, "配置文件 %s 第 %d 行缺少“=”", path, lineno);
            break;
        }
        *eq = '\0';
        char *key = trim(text), *value = trim(eq + 1);
        rc = http_config_set(cfg, key, value, err);
        if (rc) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            bf_error_set(err, rc, "配置文件 %s 第 %d 行：%s", path, lineno, msg);
            break;
        }
    }
    fclose(fp);
    return rc;
}
