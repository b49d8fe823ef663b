/*
 * h_meta.c - what the web UI needs to know about the program's tables: the
 * roles and their permissions, and the registry templates (columns, types,
 * enumerations), straight from src/domain/roles.c and template.c; and each
 * template as an empty spreadsheet to fill in (XLSX or CSV).
 */
#include "domain/export.h"
#include "domain/roles.h"
#include "domain/template.h"
#include "http/handlers.h"
#include "http/json.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bf_status h_roles(http_request *req, http_response *res, bf_error *err)
{
    size_t count = 0;
    const role_def *table = roles_table(&count);
    json_t *list = json_array();
    for (size_t i = 0; list && i < count; i++) {
        json_t *role = json_object();
        json_t *perms = json_array();
        if (!role || !perms) {
            json_decref(role);
            json_decref(perms);
            json_decref(list);
            return BF_ERR_NOMEM;
        }
        for (size_t b = 0; b < roles_perm_count(); b++)
            if (table[i].perms & (1u << b))
                json_array_append_new(perms, json_string(roles_perm_name(1u << b)));
        json_object_set_new(role, "id", json_string(table[i].id));
        json_object_set_new(role, "zh", json_string(table[i].zh));
        json_object_set_new(role, "level", json_integer(table[i].level));
        json_object_set_new(role, "permissions", perms);
        json_object_set_new(role, "assigned_only", json_boolean(table[i].assigned_only));
        json_array_append_new(list, role);
    }
    json_t *reply = json_object();
    if (!reply || !list) {
        json_decref(reply);
        json_decref(list);
        return BF_ERR_NOMEM;
    }
    json_object_set_new(reply, "items", list);
    return http_json_respond(res, 200, reply);
}

static const char *const type_names[] = {
    [TPL_TEXT] = "text",
    [TPL_CODE] = "code",
    [TPL_REGION_CODE] = "region_code",
    [TPL_INT] = "int",
    [TPL_YEAR] = "year",
    [TPL_MONEY] = "money",
    [TPL_MONEY_SIGNED] = "money_signed",
    [TPL_DATE] = "date",
    [TPL_ENUM] = "enum",
    [TPL_ID_NUMBER] = "id_number",
    [TPL_USCC] = "uscc",
    [TPL_KW] = "kw",
    [TPL_FLAGS] = "flags",
    [TPL_KWH] = "kwh",
};

static json_t *enum_json(const tpl_enum_value *values)
{
    json_t *list = json_array();
    for (const tpl_enum_value *v = values; list && v && v->id; v++) {
        json_t *item = json_object();
        if (!item)
            break;
        json_object_set_new(item, "id", json_string(v->id));
        json_object_set_new(item, "zh", json_string(v->zh));
        json_array_append_new(list, item);
    }
    return list;
}

static json_t *template_json(const tpl_template *tpl, bool with_columns)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    json_object_set_new(obj, "name", json_string(tpl->name));
    json_object_set_new(obj, "zh", json_string(tpl->name_zh));
    if (!with_columns)
        return obj;
    json_t *cols = json_array();
    for (size_t i = 0; cols && i < tpl->ncolumns; i++) {
        const tpl_column *c = &tpl->columns[i];
        json_t *col = json_object();
        if (!col)
            break;
        json_object_set_new(col, "field", json_string(c->alias));
        json_object_set_new(col, "header", json_string(c->header));
        json_object_set_new(col, "type", json_string(type_names[c->type]));
        json_object_set_new(col, "required", json_boolean(c->required));
        json_object_set_new(col, "key", json_boolean(c->key));
        if (c->enum_values)
            json_object_set_new(col, "values", enum_json(c->enum_values));
        json_array_append_new(cols, col);
    }
    json_object_set_new(obj, "columns", cols ? cols : json_array());
    return obj;
}

bf_status h_templates(http_request *req, http_response *res, bf_error *err)
{
    json_t *list = json_array();
    for (int k = 0; list && k < TPL_KIND_COUNT; k++)
        json_array_append_new(list, template_json(tpl_get((tpl_kind)k), true));
    json_t *reply = json_object();
    if (!reply || !list) {
        json_decref(reply);
        json_decref(list);
        return BF_ERR_NOMEM;
    }
    json_object_set_new(reply, "items", list);
    return http_json_respond(res, 200, reply);
}

/* "项目-模板.xlsx" as a Content-Disposition value: an ASCII fallback name plus
 * the UTF-8 name percent-encoded (RFC 6266 / RFC 5987). */
static void disposition(const tpl_template *tpl, const char *ext, char *out, size_t size)
{
    char utf8[256], encoded[768];
    snprintf(utf8, sizeof utf8, "%s-模板.%s", tpl->name_zh, ext);
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)utf8; *p && o + 4 < sizeof encoded; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_')
            encoded[o++] = (char)*p;
        else
            o += (size_t)snprintf(encoded + o, sizeof encoded - o, "%%%02X", *p);
    }
    encoded[o] = '\0';
    snprintf(out, size, "attachment; filename=\"%s-template.%s\"; filename*=UTF-8''%s", tpl->name,
             ext, encoded);
}

/* The empty template (header row only) as a file, made in a temporary file
 * and sent from it. */
static bf_status template_file(http_request *req, http_response *res, const tpl_template *tpl,
                               export_format format, bf_error *err)
{
    char path[] = "/tmp/bangfu-template-XXXXXX";
    int tmp_fd = mkstemp(path);
    if (tmp_fd < 0)
        return bf_error_set(err, BF_ERR_IO, "无法创建临时文件");
    close(tmp_fd);
    bf_status rc = export_empty_template(tpl->kind, format, path, err);
    int fd = rc == BF_OK ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    unlink(path);
    if (rc)
        return rc;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return bf_error_set(err, BF_ERR_IO, "读取模板文件失败");
    }
    http_response_clear(res);
    res->status = 200;
    res->fd = fd;
    res->fd_size = st.st_size;
    res->content_type = format == EXPORT_CSV
                            ? "text/csv; charset=utf-8"
                            : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    char value[1024];
    disposition(tpl, format == EXPORT_CSV ? "csv" : "xlsx", value, sizeof value);
    http_add_header(req, res, "Content-Disposition", value);
    return BF_OK;
}

bf_status h_template_get(http_request *req, http_response *res, bf_error *err)
{
    const tpl_template *tpl = tpl_find(req->params[0]);
    if (!tpl)
        return bf_error_set(err, BF_ERR_NOT_FOUND, "没有名为 %s 的模板", req->params[0]);
    const char *format = http_query(req, "format");
    if (!format || !*format || strcmp(format, "json") == 0)
        return http_json_respond(res, 200, template_json(tpl, true));
    if (strcmp(format, "xlsx") == 0)
        return template_file(req, res, tpl, EXPORT_XLSX, err);
    if (strcmp(format, "csv") == 0)
        return template_file(req, res, tpl, EXPORT_CSV, err);
    return bf_error_set_field(err, BF_ERR_USAGE, "format", "format 须为 json、xlsx 或 csv");
}
