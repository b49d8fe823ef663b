/*
 * status.c - the table from bf_status to exit code, HTTP status and message.
 */
#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int exit_code;
    int http;
    const char *message;
} status_table[BF_STATUS_COUNT] = {
    [BF_OK] = {"ok", 0, 200, "成功"},
    [BF_ERR_NOMEM] = {"nomem", 70, 503, "内存不足"},
    [BF_ERR_IO] = {"io", 74, 500, "读写文件失败"},
    [BF_ERR_INVALID] = {"invalid", 1, 422, "数据校验未通过"},
    [BF_ERR_NOT_FOUND] = {"not_found", 3, 404, "记录不存在"},
    [BF_ERR_CONFLICT] = {"conflict", 4, 409, "数据已被他人修改或存在冲突"},
    [BF_ERR_DB] = {"db", 5, 500, "数据库错误"},
    [BF_ERR_SCHEMA] = {"schema", 6, 500, "数据库结构版本不符"},
    [BF_ERR_USAGE] = {"usage", 2, 400, "命令或参数有误"},
    [BF_ERR_FORBIDDEN] = {"forbidden", 7, 403, "无权执行此操作"},
    [BF_ERR_TOO_LARGE] = {"too_large", 8, 413, "数据超出允许的大小"},
    [BF_ERR_PARSE] = {"parse", 9, 400, "格式错误，无法解析"},
    [BF_ERR_UNAUTH] = {"unauthorized", 10, 401, "请先登录"},
    [BF_ERR_LOCKED] = {"locked", 11, 429, "尝试次数过多，请稍后再试"},
    [BF_ERR_UNSUPPORTED] = {"unsupported", 12, 415, "不支持的格式"},
    [BF_ERR_STATE] = {"state", 13, 409, "当前状态下不允许此操作"},
    [BF_ERR_INTERNAL] = {"internal", 70, 500, "内部错误"},
    [BF_ERR_UNAVAILABLE] = {"unavailable", 14, 503, "服务暂时不可用，请稍后再试"},
};

static int valid(bf_status status)
{
    return (int)status >= 0 && status < BF_STATUS_COUNT;
}

int bf_status_exit_code(bf_status status)
{
    return valid(status) ? status_table[status].exit_code : 70;
}

int bf_status_http(bf_status status)
{
    return valid(status) ? status_table[status].http : 500;
}

const char *bf_status_message(bf_status status)
{
    return valid(status) ? status_table[status].message : "内部错误";
}

const char *bf_status_name(bf_status status)
{
    return valid(status) ? status_table[status].name : "internal";
}

static bf_status error_vset(bf_error *err, bf_status status, const char *field, const char *fmt,
                            va_list ap)
{
    if (!err)
        return status;
    err->status = status;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    return status;
}

bf_status bf_error_set(bf_error *err, bf_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, status, NULL, fmt, ap);
    va_end(ap);
    return status;
}

bf_status bf_error_set_field(bf_error *err, bf_status status, const char *field, const char *fmt,
                             ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, status, field, fmt, ap);
    va_end(ap);
    return status;
}

void bf_error_clear(bf_error *err)
{
    if (!err)
        return;
    err->status = BF_OK;
    err->msg[0] = '\0';
    err->field[0] = '\0';
}

const char *bf_error_text(const bf_error *err)
{
    if (!err)
        return "";
    return err->msg[0] ? err->msg : bf_status_message(err->status);
}
