/*
 * h_export.c - GET /api/v1/exports/{template}: a registry in its import
 * template as XLSX (default) or CSV, for the user's region (or a region
 * inside it). Full ID numbers only with reveal=true and the reveal
 * permission; every export is audited.
 */
#include "domain/export.h"
#include "domain/roles.h"
#include "domain/template.h"
#include "http/handlers.h"
#include "http/json.h"
#include "http/router.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bf_status h_export(http_request *req, http_response *res, bf_error *err)
{
    const tpl_template *tpl = tpl_find(req->params[0]);
    if (!tpl)
        return bf_error_set(err, BF_ERR_NOT_FOUND, "没有名为 %s 的模板", req->params[0]);
    const char *format = http_query(req, "format");
    export_format fmt = EXPORT_XLSX;
    if (format && strcmp(format, "csv") == 0)
        fmt = EXPORT_CSV;
    else if (format && *format && strcmp(format, "xlsx") != 0)
        return bf_error_set_field(err, BF_ERR_USAGE, "format", "format 须为 csv 或 xlsx");
    const char *reveal_text = http_query(req, "reveal");
    bool reveal =
        reveal_text && (strcmp(reveal_text, "true") == 0 || strcmp(reveal_text, "1") == 0);
    bool households = tpl->kind == TPL_HOUSEHOLDS || tpl->kind == TPL_MEMBERS ||
                      tpl->kind == TPL_HOUSEHOLD_YEARS || tpl->kind == TPL_BENEFITS;
    uint32_t need = (households ? PERM_HOUSEHOLDS : 0) | (reveal ? PERM_REVEAL : 0);
    if (!roles_can(req->user.role, need)) {
        http_audit(req, "forbidden", "export", tpl->name, NULL, NULL, NULL);
        return bf_error_set(err, BF_ERR_FORBIDDEN, "您的角色无权导出%s%s", tpl->name_zh,
                            reveal ? "（含完整身份证号）" : "");
    }
    if (reveal && !req->keys)
        return bf_error_set(err, BF_ERR_UNAVAILABLE, "服务器未加载身份证号密钥文件");
    char region[13];
    bf_status rc = http_scoped_region(req, http_query(req, "region"), region, err);
    if (rc)
        return rc;
    char path[] = "/tmp/bangfu-export-XXXXXX";
    int tmp_fd = mkstemp(path);
    if (tmp_fd < 0)
        return bf_error_set(err, BF_ERR_IO, "无法创建临时文件");
    close(tmp_fd);
    export_options opt = {.region_code = region, .reveal = reveal, .keys = req->keys};
    long rows = 0;
    rc = export_file(req->store, tpl->kind, fmt, path, &opt, &rows, err);
    int fd = rc == BF_OK ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    unlink(path);
    if (rc)
        return rc;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return bf_error_set(err, BF_ERR_IO, "读取导出文件失败");
    }
    char after[160];
    snprintf(after, sizeof after,
             "{\"format\":\"%s\",\"region\":\"%s\",\"reveal\":%s,\"rows\":%ld}",
             fmt == EXPORT_CSV ? "csv" : "xlsx", region, reveal ? "true" : "false", rows);
    rc =
        http_audit(req, reveal ? "export_reveal" : "export", "export", tpl->name, NULL, after, err);
    if (rc) {
        close(fd);
        return rc;
    }
    http_response_clear(res);
    res->status = 200;
    res->fd = fd;
    res->fd_size = st.st_size;
    res->content_type = fmt == EXPORT_CSV
                            ? "text/csv; charset=utf-8"
                            : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    char disposition[256];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s-%s.%s\"", tpl->name,
             region, fmt == EXPORT_CSV ? "csv" : "xlsx");
    http_add_header(req, res, "Content-Disposition", disposition);
    return BF_OK;
}
