/*
 * static.c - static files of the web UI (see static.h).
 */
#include "http/static.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext;
    const char *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".map", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".ico", "image/x-icon"},
    {".webp", "image/webp"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".ttf", "font/ttf"},
    {".txt", "text/plain; charset=utf-8"},
    {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {".csv", "text/csv; charset=utf-8"},
    {".wasm", "application/wasm"},
};

const char *http_static_content_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    const char *slash = strrchr(name, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof content_types / sizeof content_types[0]; i++)
            if (strcasecmp(dot, content_types[i].ext) == 0)
                return content_types[i].type;
    return "application/octet-stream";
}

/* true if every segment of path is a plain name (no "", ".", "..", no backslash). */
static bool safe_path(const char *path)
{
    if (path[0] != '/' || strchr(path, '\\'))
        return false;
    const char *p = path + 1;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (len > 0 && p[0] == '.')
            return false; /* hidden files */
        p += len;
        if (*p == '/')
            p++;
    }
    return true;
}

static int open_regular(const char *path, off_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    *size = st.st_size;
    return fd;
}

bf_status http_static_serve(const char *web_dir, http_request *req, http_response *res,
                            bf_error *err)
{
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        http_add_header(req, res, "Allow", "GET, HEAD");
        return bf_error_set(err, BF_ERR_USAGE, "不支持的请求方法 %s", req->method);
    }
    if (!web_dir || !*web_dir || !safe_path(req->path) || strlen(req->path) > 1024)
        return bf_error_set(err, BF_ERR_NOT_FOUND, "页面不存在");
    char full[4096];
    const char *path = req->path;
    bool dir = path[strlen(path) - 1] == '/';
    snprintf(full, sizeof full, "%s%s%s", web_dir, path, dir ? "index.html" : "");
    off_t size = 0;
    int fd = open_regular(full, &size);
    const char *name = full;
    if (fd < 0) {
        const char *last = strrchr(path, '/');
        if (last && strchr(last, '.'))
            return bf_error_set(err, BF_ERR_NOT_FOUND, "文件不存在：%s", path);
        snprintf(full, sizeof full, "%s/index.html", web_dir);
        fd = open_regular(full, &size);
        if (fd < 0)
            return bf_error_set(err, BF_ERR_NOT_FOUND, "页面不存在");
    }
    http_response_clear(res);
    res->status = 200;
    res->fd = fd;
    res->fd_size = size;
    res->content_type = http_static_content_type(name);
    bool immutable = strncmp(req->path, "/assets/", 8) == 0;
    http_add_header(req, res, "Cache-Control",
                    immutable ? "public, max-age=31536000, immutable" : "no-cache");
    return BF_OK;
}
