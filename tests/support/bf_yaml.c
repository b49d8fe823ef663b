/*
 * bf_yaml.c - the YAML subset loader and the JSON Schema checker of the
 * tests (see bf_yaml.h). Owns nothing beyond the values it returns.
 */
#include "bf_yaml.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- lines ---- */

typedef struct {
    int indent; /* -1: blank or comment only */
    char *text; /* content after the indentation, comment and trailing blanks removed */
    char *raw;  /* the whole line (for block scalars) */
    int lineno;
} yaml_line;

typedef struct {
    yaml_line *lines;
    size_t n, pos;
    char *err;
    size_t err_size;
    bool failed;
} yaml_parser;

static void yaml_fail(yaml_parser *p, const char *what)
{
    if (p->failed)
        return;
    p->failed = true;
    int lineno = p->pos < p->n ? p->lines[p->pos].lineno : (int)p->n;
    snprintf(p->err, p->err_size, "line %d: %s", lineno, what);
}

/* A quote character at c (in the text starting at start) opens a quoted
 * scalar only where one can begin; elsewhere it is part of plain text. */
static bool opens_quote(const char *start, const char *c)
{
    return c == start || strchr(" \t{[,:", c[-1]) != NULL;
}

/* Cut a comment: '#' at the start or after a blank, outside quotes. */
static void strip_comment(char *s)
{
    char quote = 0;
    for (char *c = s; *c; c++) {
        if (quote) {
            if (*c == quote)
                quote = 0;
        } else if ((*c == '\'' || *c == '"') && opens_quote(s, c)) {
            quote = *c;
        } else if (*c == '#' && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
            *c = '\0';
            break;
        }
    }
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        s[--len] = '\0';
}

static void skip_blank(yaml_parser *p)
{
    while (p->pos < p->n && p->lines[p->pos].indent < 0)
        p->pos++;
}

static bool is_seq_item(const char *text)
{
    return text[0] == '-' && (text[1] == ' ' || text[1] == '\0');
}

/* ---- scalars ---- */

static json_t *plain_scalar(const char *s, size_t len)
{
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    char buf[4096];
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (len == 0 || strcmp(buf, "null") == 0 || strcmp(buf, "~") == 0)
        return json_null();
    if (strcmp(buf, "true") == 0)
        return json_true();
    if (strcmp(buf, "false") == 0)
        return json_false();
    char *end = NULL;
    errno = 0;
    long long n = strtoll(buf, &end, 10);
    if (!errno && end != buf && *end == '\0' && (isdigit((unsigned char)buf[0]) || buf[0] == '-'))
        return json_integer(n);
    double d = strtod(buf, &end);
    if (end != buf && *end == '\0' && (isdigit((unsigned char)buf[0]) || buf[0] == '-'))
        return json_real(d);
    return json_stringn(buf, len);
}

/* A quoted scalar at *s (quote char first); *s moves past its end. */
static json_t *quoted_scalar(yaml_parser *p, const char **s)
{
    char quote = **s;
    const char *c = *s + 1;
    char buf[4096];
    size_t len = 0;
    for (;;) {
        if (!*c) {
            yaml_fail(p, "unterminated quoted scalar");
            return NULL;
        }
        if (*c == quote) {
            if (quote == '\'' && c[1] == '\'') {
                c += 2;
                if (len + 1 < sizeof buf)
                    buf[len++] = '\'';
                continue;
            }
            c++;
            break;
        }
        char ch = *c++;
        if (quote == '"' && ch == '\\' && *c) {
            char e = *c++;
            ch = e == 'n' ? '\n' : e == 't' ? '\t' : e;
        }
        if (len + 1 < sizeof buf)
            buf[len++] = ch;
    }
    *s = c;
    return json_stringn(buf, len);
}

/* ---- flow collections ---- */

static void skip_spaces(const char **s)
{
    while (**s == ' ' || **s == '\t')
        (*s)++;
}

static json_t *flow_value(yaml_parser *p, const char **s, int depth);

/* A plain scalar in flow context: up to ',', '}', ']' (or ': ' for a key). */
static json_t *flow_plain(const char **s, bool key)
{
    const char *start = *s, *c = *s;
    while (*c && *c != ',' && *c != '}' && *c != ']') {
        if (key && c[0] == ':' && (c[1] == ' ' || c[1] == ',' || c[1] == '}' || c[1] == '\0'))
            break;
        c++;
    }
    *s = c;
    return plain_scalar(start, (size_t)(c - start));
}

static json_t *flow_map(yaml_parser *p, const char **s, int depth)
{
    json_t *obj = json_object();
    (*s)++; /* '{' */
    for (;;) {
        skip_spaces(s);
        if (**s == '}') {
            (*s)++;
            return obj;
        }
        json_t *key = **s == '\'' || **s == '"' ? quoted_scalar(p, s) : flow_plain(s, true);
        if (!key)
            break;
        const char *name = json_is_string(key) ? json_string_value(key) : NULL;
        char text[64];
        if (!name) {
            /* a non-string key (a number): its text */
            snprintf(text, sizeof text, "%lld", (long long)json_integer_value(key));
            name = text;
        }
        skip_spaces(s);
        json_t *value = NULL;
        if (**s == ':') {
            (*s)++;
            value = flow_value(p, s, depth + 1);
            if (!value) {
                json_decref(key);
                break;
            }
        } else {
            value = json_null();
        }
        json_object_set_new(obj, name, value);
        json_decref(key);
        skip_spaces(s);
        if (**s == ',') {
            (*s)++;
            continue;
        }
        if (**s == '}') {
            (*s)++;
            return obj;
        }
        yaml_fail(p, "expected ',' or '}' in a flow mapping");
        break;
    }
    json_decref(obj);
    return NULL;
}

static json_t *flow_seq(yaml_parser *p, const char **s, int depth)
{
    json_t *arr = json_array();
    (*s)++; /* '[' */
    for (;;) {
        skip_spaces(s);
        if (**s == ']') {
            (*s)++;
            return arr;
        }
        json_t *value = flow_value(p, s, depth + 1);
        if (!value)
            break;
        json_array_append_new(arr, value);
        skip_spaces(s);
        if (**s == ',') {
            (*s)++;
            continue;
        }
        if (**s == ']') {
            (*s)++;
            return arr;
        }
        yaml_fail(p, "expected ',' or ']' in a flow sequence");
        break;
    }
    json_decref(arr);
    return NULL;
}

static json_t *flow_value(yaml_parser *p, const char **s, int depth)
{
    if (depth > 64) {
        yaml_fail(p, "nested too deeply");
        return NULL;
    }
    skip_spaces(s);
    switch (**s) {
    case '{':
        return flow_map(p, s, depth);
    case '[':
        return flow_seq(p, s, depth);
    case '\'':
    case '"':
        return quoted_scalar(p, s);
    default:
        return flow_plain(s, false);
    }
}

/* ---- block structure ---- */

static json_t *block_node(yaml_parser *p, int depth);

/* Literal (|) or folded (>) block scalar: the lines indented past indent. */
static json_t *block_scalar(yaml_parser *p, const char *header, int indent)
{
    bool folded = header[0] == '>';
    bool strip = strchr(header, '-') != NULL;
    size_t cap = 1024, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    int block_indent = -1;
    size_t pending_newlines = 0;
    while (p->pos < p->n) {
        yaml_line *l = &p->lines[p->pos];
        const char *raw = l->raw;
        int ind = 0;
        while (raw[ind] == ' ')
            ind++;
        bool blank = raw[ind] == '\0' || raw[ind] == '\r';
        if (!blank && ind <= indent)
            break;
        p->pos++;
        if (blank) {
            pending_newlines++;
            continue;
        }
        if (block_indent < 0)
            block_indent = ind;
        const char *content = raw + (ind < block_indent ? ind : block_indent);
        size_t clen = strcspn(content, "\r\n");
        size_t need = len + clen + pending_newlines + 4;
        if (need > cap) {
            while (need > cap)
                cap *= 2;
            char *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                return NULL;
            }
            buf = grown;
        }
        if (len) {
            if (folded && pending_newlines == 0)
                buf[len++] = ' ';
            else
                buf[len++] = '\n';
        }
        for (; pending_newlines; pending_newlines--)
            if (len)
                buf[len++] = '\n';
        memcpy(buf + len, content, clen);
        len += clen;
    }
    if (!strip && len)
        buf[len++] = '\n';
    json_t *value = json_stringn(buf, len);
    free(buf);
    return value;
}

/* The value after "key:" or "- " (rest), at a node of indentation indent. */
static json_t *inline_value(yaml_parser *p, const char *rest, int indent, int depth)
{
    if (!*rest) {
        skip_blank(p);
        if (p->pos < p->n &&
            (p->lines[p->pos].indent > indent ||
             (p->lines[p->pos].indent == indent && is_seq_item(p->lines[p->pos].text))))
            return block_node(p, depth + 1);
        return json_null();
    }
    if (rest[0] == '|' || rest[0] == '>')
        return block_scalar(p, rest, indent);
    if (rest[0] == '{' || rest[0] == '[') {
        /* A flow collection may go on over the following lines. */
        char joined[16384];
        snprintf(joined, sizeof joined, "%s", rest);
        for (;;) {
            int balance = 0;
            char quote = 0;
            for (const char *c = joined; *c; c++) {
                if (quote) {
                    if (*c == quote)
                        quote = 0;
                } else if ((*c == '\'' || *c == '"') && opens_quote(joined, c)) {
                    quote = *c;
                } else if (*c == '{' || *c == '[') {
                    balance++;
                } else if (*c == '}' || *c == ']') {
                    balance--;
                }
            }
            if (balance <= 0)
                break;
            skip_blank(p);
            if (p->pos >= p->n) {
                yaml_fail(p, "unterminated flow collection");
                return NULL;
            }
            size_t used = strlen(joined);
            snprintf(joined + used, sizeof joined - used, " %s", p->lines[p->pos].text);
            p->pos++;
        }
        const char *s = joined;
        json_t *value = flow_value(p, &s, depth);
        skip_spaces(&s);
        if (value && *s) {
            json_decref(value);
            yaml_fail(p, "text after a flow collection");
            return NULL;
        }
        return value;
    }
    if (rest[0] == '\'' || rest[0] == '"') {
        const char *s = rest;
        json_t *value = quoted_scalar(p, &s);
        skip_spaces(&s);
        if (value && *s) {
            json_decref(value);
            yaml_fail(p, "text after a quoted scalar");
            return NULL;
        }
        return value;
    }
    /* A plain scalar, possibly continued on more indented lines. */
    char joined[8192];
    snprintf(joined, sizeof joined, "%s", rest);
    for (;;) {
        size_t save = p->pos;
        skip_blank(p);
        if (p->pos < p->n && p->lines[p->pos].indent > indent) {
            size_t used = strlen(joined);
            snprintf(joined + used, sizeof joined - used, " %s", p->lines[p->pos].text);
            p->pos++;
            continue;
        }
        p->pos = save;
        break;
    }
    return plain_scalar(joined, strlen(joined));
}

/* Where the key of "key: value" ends (at its ':'), or NULL if text is no
 * mapping entry. */
static const char *key_end(const char *text)
{
    if (text[0] == '{' || text[0] == '[')
        return NULL;
    if (text[0] == '\'' || text[0] == '"') {
        const char *close = strchr(text + 1, text[0]);
        if (!close || close[1] != ':')
            return NULL;
        return close + 1;
    }
    for (const char *c = text; *c; c++)
        if (c[0] == ':' && (c[1] == ' ' || c[1] == '\0'))
            return c;
    return NULL;
}

static json_t *block_map(yaml_parser *p, int indent, int depth)
{
    json_t *obj = json_object();
    for (;;) {
        skip_blank(p);
        if (p->pos >= p->n || p->failed)
            break;
        yaml_line *l = &p->lines[p->pos];
        if (l->indent < indent || (l->indent == indent && is_seq_item(l->text)))
            break;
        if (l->indent > indent) {
            yaml_fail(p, "unexpected indentation");
            break;
        }
        const char *colon = key_end(l->text);
        if (!colon) {
            yaml_fail(p, "expected 'key: value'");
            break;
        }
        char key[512];
        if (l->text[0] == '\'' || l->text[0] == '"')
            snprintf(key, sizeof key, "%.*s", (int)(colon - l->text - 2), l->text + 1);
        else
            snprintf(key, sizeof key, "%.*s", (int)(colon - l->text), l->text);
        const char *rest = colon + 1;
        while (*rest == ' ')
            rest++;
        p->pos++;
        json_t *value = inline_value(p, rest, indent, depth);
        if (!value) {
            yaml_fail(p, "bad value");
            break;
        }
        json_object_set_new(obj, key, value);
    }
    if (p->failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *block_seq(yaml_parser *p, int indent, int depth)
{
    json_t *arr = json_array();
    for (;;) {
        skip_blank(p);
        if (p->pos >= p->n || p->failed)
            break;
        yaml_line *l = &p->lines[p->pos];
        if (l->indent != indent || !is_seq_item(l->text))
            break;
        const char *rest = l->text + 1;
        while (*rest == ' ')
            rest++;
        json_t *value = NULL;
        if (*rest && key_end(rest)) {
            /* "- key: value": a mapping whose first line starts after "- ". */
            l->indent = indent + (int)(rest - l->text);
            l->text = (char *)rest;
            value = block_map(p, l->indent, depth + 1);
        } else {
            p->pos++;
            value = inline_value(p, rest, indent, depth);
        }
        if (!value) {
            yaml_fail(p, "bad sequence item");
            break;
        }
        json_array_append_new(arr, value);
    }
    if (p->failed) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

static json_t *block_node(yaml_parser *p, int depth)
{
    if (depth > 64) {
        yaml_fail(p, "nested too deeply");
        return NULL;
    }
    skip_blank(p);
    if (p->pos >= p->n)
        return json_null();
    yaml_line *l = &p->lines[p->pos];
    if (is_seq_item(l->text))
        return block_seq(p, l->indent, depth);
    return block_map(p, l->indent, depth);
}

static char *dup_text(const char *text)
{
    size_t len = strlen(text);
    char *copy = malloc(len + 1);
    if (copy)
        memcpy(copy, text, len + 1);
    return copy;
}

json_t *bf_yaml_load(const char *text, char *err, size_t err_size)
{
    yaml_parser p = {.err = err, .err_size = err_size};
    err[0] = '\0';
    char *copy = dup_text(text);
    char *copy2 = dup_text(text);
    size_t cap = 1;
    for (const char *c = text; *c; c++)
        cap += *c == '\n';
    p.lines = calloc(cap + 1, sizeof *p.lines);
    if (!copy || !copy2 || !p.lines) {
        free(copy);
        free(copy2);
        free(p.lines);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    char *line = copy, *raw = copy2;
    int lineno = 0;
    while (line) {
        char *next = strchr(line, '\n'), *next_raw = strchr(raw, '\n');
        if (next)
            *next = '\0';
        if (next_raw)
            *next_raw = '\0';
        lineno++;
        yaml_line *l = &p.lines[p.n++];
        l->lineno = lineno;
        l->raw = raw;
        int ind = 0;
        while (line[ind] == ' ')
            ind++;
        l->text = line + ind;
        strip_comment(l->text);
        l->indent = l->text[0] ? ind : -1;
        if (strcmp(l->text, "---") == 0)
            l->indent = -1;
        line = next ? next + 1 : NULL;
        raw = next_raw ? next_raw + 1 : NULL;
    }
    json_t *root = block_node(&p, 0);
    skip_blank(&p);
    if (root && p.pos < p.n) {
        yaml_fail(&p, "text after the document");
        json_decref(root);
        root = NULL;
    }
    free(copy);
    free(copy2);
    free(p.lines);
    return root;
}

/* ---- JSON Schema ---- */

typedef struct {
    const json_t *root;
    int problems;
    char *out;
    size_t out_size;
    bool quiet; /* trying a branch of anyOf/oneOf */
} schema_ctx;

static void problem(schema_ctx *ctx, const char *path, const char *what)
{
    ctx->problems++;
    if (ctx->quiet || !ctx->out)
        return;
    size_t used = strlen(ctx->out);
    if (used + 1 < ctx->out_size)
        snprintf(ctx->out + used, ctx->out_size - used, "%s: %s\n", path[0] ? path : "$", what);
}

static const json_t *resolve_ref(const json_t *root, const char *ref)
{
    if (strncmp(ref, "#/", 2) != 0)
        return NULL;
    const json_t *node = root;
    char part[256];
    const char *s = ref + 2;
    while (*s && node) {
        size_t len = strcspn(s, "/");
        size_t o = 0;
        for (size_t i = 0; i < len && o + 1 < sizeof part; i++) {
            if (s[i] == '~' && i + 1 < len && (s[i + 1] == '0' || s[i + 1] == '1')) {
                part[o++] = s[i + 1] == '0' ? '~' : '/';
                i++;
            } else {
                part[o++] = s[i];
            }
        }
        part[o] = '\0';
        node = json_object_get(node, part);
        s += len;
        if (*s == '/')
            s++;
    }
    return node;
}

static bool type_matches(const char *type, const json_t *value)
{
    static const struct {
        const char *name;
        json_type a, b; /* the jansson types it admits */
    } types[] = {
        {"object", JSON_OBJECT, JSON_OBJECT}, {"array", JSON_ARRAY, JSON_ARRAY},
        {"string", JSON_STRING, JSON_STRING}, {"integer", JSON_INTEGER, JSON_INTEGER},
        {"number", JSON_INTEGER, JSON_REAL},  {"boolean", JSON_TRUE, JSON_FALSE},
        {"null", JSON_NULL, JSON_NULL},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].name, type) == 0)
            return json_typeof(value) == types[i].a || json_typeof(value) == types[i].b;
    return false;
}

static void check(schema_ctx *ctx, const json_t *schema, const json_t *value, const char *path,
                  int depth)
{
    if (!json_is_object(schema) || depth > 64)
        return;
    const json_t *ref = json_object_get(schema, "$ref");
    if (json_is_string(ref)) {
        const json_t *target = resolve_ref(ctx->root, json_string_value(ref));
        if (!target) {
            problem(ctx, path, "unresolved $ref");
            return;
        }
        check(ctx, target, value, path, depth + 1);
    }
    if (json_is_null(value) && json_is_true(json_object_get(schema, "nullable")))
        return;
    const json_t *type = json_object_get(schema, "type");
    if (type) {
        bool ok = false;
        if (json_is_string(type)) {
            ok = type_matches(json_string_value(type), value);
        } else if (json_is_array(type)) {
            for (size_t i = 0; i < json_array_size(type) && !ok; i++)
                ok = json_is_string(json_array_get(type, i)) &&
                     type_matches(json_string_value(json_array_get(type, i)), value);
        }
        if (!ok) {
            char what[300];
            char *want = json_dumps(type, JSON_ENCODE_ANY);
            snprintf(what, sizeof what, "type %s wanted, got %s", want ? want : "?",
                     json_is_object(value)    ? "object"
                     : json_is_array(value)   ? "array"
                     : json_is_string(value)  ? "string"
                     : json_is_integer(value) ? "integer"
                     : json_is_real(value)    ? "number"
                     : json_is_boolean(value) ? "boolean"
                                              : "null");
            free(want);
            problem(ctx, path, what);
            return;
        }
    }
    const json_t *pattern = json_object_get(schema, "pattern");
    if (json_is_string(pattern) && json_is_string(value)) {
        regex_t re;
        if (regcomp(&re, json_string_value(pattern), REG_EXTENDED | REG_NOSUB) != 0) {
            problem(ctx, path, "pattern does not compile");
        } else {
            if (regexec(&re, json_string_value(value), 0, NULL, 0) != 0) {
                char what[300];
                snprintf(what, sizeof what, "\"%.100s\" does not match %s",
                         json_string_value(value), json_string_value(pattern));
                problem(ctx, path, what);
            }
            regfree(&re);
        }
    }
    const json_t *en = json_object_get(schema, "enum");
    if (json_is_array(en)) {
        bool found = false;
        for (size_t i = 0; i < json_array_size(en) && !found; i++)
            found = json_equal(json_array_get(en, i), (json_t *)value);
        if (!found)
            problem(ctx, path, "value not in enum");
    }
    const json_t *all = json_object_get(schema, "allOf");
    for (size_t i = 0; i < json_array_size(all); i++)
        check(ctx, json_array_get(all, i), value, path, depth + 1);
    static const char *const alternatives[] = {"anyOf", "oneOf"};
    for (size_t a = 0; a < 2; a++) {
        const json_t *alts = json_object_get(schema, alternatives[a]);
        if (!json_is_array(alts))
            continue;
        size_t passing = 0;
        for (size_t i = 0; i < json_array_size(alts); i++) {
            schema_ctx sub = {.root = ctx->root, .quiet = true};
            check(&sub, json_array_get(alts, i), value, path, depth + 1);
            passing += sub.problems == 0;
        }
        if (passing == 0 || (a == 1 && passing > 1))
            problem(ctx, path,
                    a == 0 ? "matches none of anyOf" : "does not match exactly one of oneOf");
    }
    if (json_is_object(value)) {
        const json_t *req = json_object_get(schema, "required");
        for (size_t i = 0; i < json_array_size(req); i++) {
            const char *name = json_string_value(json_array_get(req, i));
            if (name && !json_object_get(value, name)) {
                char what[300];
                snprintf(what, sizeof what, "required property \"%s\" missing", name);
                problem(ctx, path, what);
            }
        }
        const json_t *props = json_object_get(schema, "properties");
        const char *name;
        const json_t *sub;
        json_object_foreach((json_t *)props, name, sub)
        {
            const json_t *v = json_object_get(value, name);
            if (!v)
                continue;
            char child[1024];
            snprintf(child, sizeof child, "%s.%s", path, name);
            check(ctx, sub, v, child, depth + 1);
        }
    }
    if (json_is_array(value)) {
        const json_t *items = json_object_get(schema, "items");
        for (size_t i = 0; items && i < json_array_size(value); i++) {
            char child[1024];
            snprintf(child, sizeof child, "%s[%zu]", path, i);
            check(ctx, items, json_array_get(value, i), child, depth + 1);
        }
    }
}

int bf_yaml_schema_check(const json_t *root, const json_t *schema, const json_t *value, char *out,
                         size_t out_size)
{
    if (out && out_size)
        out[0] = '\0';
    schema_ctx ctx = {.root = root, .out = out, .out_size = out_size};
    check(&ctx, schema, value, "", 0);
    return ctx.problems;
}
