/*
 * query_registry.c - scoped list/detail/create/update of the registries for
 * the API (see query_registry.h). SQL is assembled from the static fragments
 * of the definitions below and template column names only; every value from
 * a request is a bound parameter.
 */
#include "domain/query_registry.h"
#include "core/buf.h"
#include "core/date.h"
#include "core/money.h"
#include "core/text.h"
#include "domain/audit.h"
#include "domain/import.h"
#include "io/validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { F_TEXT, F_INT, F_ENUM, F_INT_MAX } reg_filter_kind;

typedef struct {
    const char *param;
    const char *expr;
    reg_filter_kind kind;
    const tpl_enum_value *values;
} reg_filter;

typedef struct {
    const char *field;
    const char *expr;
} reg_extra;

struct reg_def {
    const char *resource;
    const char *entity;
    tpl_kind kind;
    const char *from;         /* main table aliased t, plus joins */
    const char *region_expr;  /* the region code the scope applies to */
    const char *project_expr; /* project code for evaluators; NULL: evaluators see nothing */
    reg_filter filters[6];
    const char *search[3];
    reg_extra extras[3];
};

/* The batch of a project's latest classified year: confirmed, else proposed. */
#define LATEST_BATCH                                                                               \
    "(SELECT COALESCE(c.confirmed_batch, c.proposed_batch) FROM classifications c "                \
    "WHERE c.county_code = t.county_code AND c.project_code = t.code ORDER BY c.year DESC LIMIT "  \
    "1)"

static const reg_def reg_defs[] = {
    {"projects",
     "project",
     TPL_PROJECTS,
     "projects t LEFT JOIN regions rg ON rg.code = t.region_code",
     "t.region_code",
     "t.code",
     {{"sector", "t.sector", F_ENUM, tpl_sectors},
      {"status", "t.status", F_ENUM, tpl_project_statuses},
      {"operation_mode", "t.operation_mode", F_ENUM, tpl_operation_modes},
      {"year", "t.start_year", F_INT_MAX, NULL},
      {"batch", LATEST_BATCH, F_TEXT, NULL}},
     {"t.code", "t.name"},
     {{"region_name", "rg.name"}}},
    {"assets",
     "asset",
     TPL_ASSETS,
     "assets t JOIN projects p ON p.county_code = t.county_code AND p.code = t.project_code",
     "p.region_code",
     "t.project_code",
     {{"project", "t.project_code", F_TEXT, NULL},
      {"type", "t.type", F_ENUM, tpl_asset_types},
      {"nature", "t.nature", F_ENUM, tpl_asset_natures},
      {"state", "t.state", F_ENUM, tpl_asset_states}},
     {"t.code", "t.name"},
     {{"project_name", "p.name"}}},
    {"project-years",
     "project_year",
     TPL_PROJECT_YEARS,
     "project_years t JOIN projects p ON p.county_code = t.county_code AND p.code = t.project_code",
     "p.region_code",
     "t.project_code",
     {{"project", "t.project_code", F_TEXT, NULL}, {"year", "t.year", F_INT, NULL}},
     {"t.project_code", "p.name"},
     {{"project_name", "p.name"}}},
    {"households",
     "household",
     TPL_HOUSEHOLDS,
     "households t LEFT JOIN regions rg ON rg.code = t.region_code",
     "t.region_code",
     NULL,
     {{"kind", "t.kind", F_ENUM, tpl_household_kinds},
      {"risk_status", "t.risk_status", F_ENUM, tpl_risk_statuses}},
     {"t.code", "t.head_name"},
     {{"region_name", "rg.name"}}},
    {"household-years",
     "household_year",
     TPL_HOUSEHOLD_YEARS,
     "household_years t JOIN households h ON h.county_code = t.county_code "
     "AND h.code = t.household_code",
     "h.region_code",
     NULL,
     {{"household", "t.household_code", F_TEXT, NULL}, {"year", "t.year", F_INT, NULL}},
     {"t.household_code", "h.head_name"},
     {{"head_name", "h.head_name"}}},
    {"benefits",
     "benefit",
     TPL_BENEFITS,
     "benefits t JOIN households h ON h.county_code = t.county_code AND h.code = t.household_code "
     "JOIN projects p ON p.county_code = t.county_code AND p.code = t.project_code",
     "h.region_code",
     NULL,
     {{"household", "t.household_code", F_TEXT, NULL},
      {"project", "t.project_code", F_TEXT, NULL},
      {"kind", "t.kind", F_ENUM, tpl_benefit_kinds}},
     {"t.household_code", "t.project_code"},
     {{"head_name", "h.head_name"}, {"project_name", "p.name"}}},
};

#define NDEFS (sizeof reg_defs / sizeof reg_defs[0])

const reg_def *reg_find(const char *resource)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (strcmp(reg_defs[i].resource, resource) == 0)
            return &reg_defs[i];
    return NULL;
}

static const reg_def *def_of_kind(tpl_kind kind)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (reg_defs[i].kind == kind)
            return &reg_defs[i];
    return NULL;
}

const tpl_template *reg_template(const reg_def *def)
{
    return tpl_get(def->kind);
}

int reg_key_count(const reg_def *def)
{
    const tpl_template *tpl = tpl_get(def->kind);
    int n = 0;
    for (size_t i = 0; i < tpl->ncolumns; i++)
        n += tpl->columns[i].key;
    return n;
}

static bool has_updated_at(const tpl_template *tpl)
{
    return tpl->has_version || tpl->kind == TPL_BENEFITS;
}

/* ---- query builder: SQL text plus the values to bind, in order ---- */

#define QB_MAX_BINDS 32

typedef struct {
    bf_buf sql;
    struct {
        bool is_int;
        int64_t i;
        const char *s;
    } v[QB_MAX_BINDS];
    int n;
    bf_status rc;
    char own[4][8]; /* short values bound by copy (county codes) */
    int nown;
} qb;

static void qb_init(qb *q)
{
    memset(q, 0, sizeof *q);
    bf_buf_init(&q->sql, 64 * 1024);
}

static void qb_sql(qb *q, const char *text)
{
    if (q->rc == BF_OK)
        q->rc = bf_buf_append_str(&q->sql, text);
}

static void qb_text(qb *q, const char *s)
{
    if (q->n >= QB_MAX_BINDS) {
        q->rc = BF_ERR_INTERNAL;
        return;
    }
    q->v[q->n].is_int = false;
    q->v[q->n].s = s;
    q->n++;
}

/* Bind a copy of a short value (at most 7 bytes). */
static void qb_text_copy(qb *q, const char *s)
{
    if (q->nown >= 4 || strlen(s) >= sizeof q->own[0]) {
        q->rc = BF_ERR_INTERNAL;
        return;
    }
    snprintf(q->own[q->nown], sizeof q->own[0], "%s", s);
    qb_text(q, q->own[q->nown++]);
}

/* " AND column = ?" for a region range [lo, hi) within one county, else
 * " AND column >= ? AND column < ?" over the counties it meets: every scoped
 * statement names the county key, so that a county's requests stay on its
 * node once the tables are distributed by county (docs/scaling.md), and the
 * county-first keys serve them on one machine. */
static void county_where(qb *q, const char *column, const char *lo, const char *hi)
{
    char clo[7], chi[7];
    qb_sql(q, " AND ");
    qb_sql(q, column);
    if (bf_region_range_counties(lo, hi, clo, chi, NULL)) {
        qb_sql(q, " = ?");
        qb_text_copy(q, clo);
        return;
    }
    qb_sql(q, " >= ? AND ");
    qb_sql(q, column);
    qb_sql(q, " < ?");
    qb_text_copy(q, clo);
    qb_text_copy(q, chi);
}

/* Whether a scope [lo, hi) needs the region range besides the county key:
 * only for a scope smaller than a county. A scope of whole counties (a
 * county, a city, the province) is exactly its county range, since
 * county_code is the first 6 digits of the region (migration 0006's CHECK
 * and foreign keys), so the county key alone serves it: a county's first
 * page is the first rows of the table's key, not a sort of the county. */
static bool needs_region(const reg_def *def, const char *lo, const char *hi)
{
    (void)def;
    char clo[7], chi[7];
    bool aligned = false;
    bf_region_range_counties(lo, hi, clo, chi, &aligned);
    return !aligned;
}

static void qb_int(qb *q, int64_t i)
{
    if (q->n >= QB_MAX_BINDS) {
        q->rc = BF_ERR_INTERNAL;
        return;
    }
    q->v[q->n].is_int = true;
    q->v[q->n].i = i;
    q->n++;
}

static bf_status qb_prepare(qb *q, bf_store *store, bf_stmt **out, bf_error *err)
{
    if (q->rc)
        return bf_error_set(err, q->rc, "内部错误：查询构造失败");
    bf_status rc = store_prepare(store, q->sql.data, out, err);
    for (int i = 0; rc == BF_OK && i < q->n; i++)
        rc = q->v[i].is_int ? store_bind_int64(*out, i + 1, q->v[i].i)
                            : store_bind_str(*out, i + 1, q->v[i].s);
    if (rc) {
        store_finalize(*out);
        *out = NULL;
        if (err && err->status == BF_OK)
            bf_error_set(err, rc, "数据库错误");
    }
    return rc;
}

static void qb_free(qb *q)
{
    bf_buf_free(&q->sql);
}

/* The select list: template columns in order (masked ID numbers), then
 * version and updated_at where present, then the extras. */
static void select_list(qb *q, const reg_def *def)
{
    const tpl_template *tpl = tpl_get(def->kind);
    char item[160];
    qb_sql(q, "SELECT ");
    for (size_t i = 0; i < tpl->ncolumns; i++) {
        const tpl_column *c = &tpl->columns[i];
        snprintf(item, sizeof item, "%st.%s%s", i ? ", " : "", c->db_column,
                 c->type == TPL_ID_NUMBER ? "_masked" : "");
        qb_sql(q, item);
    }
    if (tpl->has_version)
        qb_sql(q, ", t.version");
    if (has_updated_at(tpl))
        qb_sql(q, ", t.updated_at");
    for (size_t i = 0; i < 3 && def->extras[i].field; i++) {
        qb_sql(q, ", ");
        qb_sql(q, def->extras[i].expr);
    }
    qb_sql(q, " FROM ");
    qb_sql(q, def->from);
}

/* WHERE with the scope (county key, region range, evaluator assignment). */
static void scope_where(qb *q, const reg_def *def, const reg_scope *scope, const char *lo,
                        const char *hi)
{
    qb_sql(q, " WHERE 1 = 1");
    county_where(q, "t.county_code", lo, hi);
    if (needs_region(def, lo, hi)) {
        qb_sql(q, " AND ");
        qb_sql(q, def->region_expr);
        qb_sql(q, " >= ? AND ");
        qb_sql(q, def->region_expr);
        qb_sql(q, " < ?");
        qb_text(q, lo);
        qb_text(q, hi);
    }
    if (scope->evaluator_id > 0) {
        if (!def->project_expr) {
            qb_sql(q, " AND 1 = 0");
        } else {
            qb_sql(q, " AND (t.county_code, ");
            qb_sql(q, def->project_expr);
            qb_sql(q, ") IN (SELECT county_code, project_code FROM evaluator_assignments "
                      "WHERE user_id = ?)");
            qb_int(q, scope->evaluator_id);
        }
    }
}

static void key_where(qb *q, const tpl_template *tpl, const char *const *keys)
{
    int k = 0;
    char item[128];
    for (size_t i = 0; i < tpl->ncolumns; i++) {
        const tpl_column *c = &tpl->columns[i];
        if (!c->key)
            continue;
        bool is_year = c->type == TPL_YEAR;
        snprintf(item, sizeof item, " AND t.%s = ?", c->db_column);
        qb_sql(q, item);
        if (is_year)
            qb_int(q, strtoll(keys[k], NULL, 10));
        else
            qb_text(q, keys[k]);
        k++;
    }
}

/* ---- rows to JSON ---- */

void reg_format_cell(const tpl_column *col, int64_t value, char *out, size_t out_size)
{
    switch (col->type) {
    case TPL_MONEY:
    case TPL_MONEY_SIGNED:
        bf_money_format(value, out, out_size);
        break;
    case TPL_KW:
        bf_decimal_format(value, 3, out, out_size);
        break;
    default:
        snprintf(out, out_size, "%" PRId64, value);
        break;
    }
}

static json_t *text_json(const char *s)
{
    return json_stringn(s, bf_utf8_valid_prefix(s, strlen(s), NULL));
}

static json_t *row_json(bf_stmt *stmt, const reg_def *def)
{
    const tpl_template *tpl = tpl_get(def->kind);
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    int col = 0;
    char num[48], zh_key[96];
    for (size_t i = 0; i < tpl->ncolumns; i++, col++) {
        const tpl_column *c = &tpl->columns[i];
        if (store_column_is_null(stmt, col)) {
            json_object_set_new(obj, c->alias, json_null());
            continue;
        }
        switch (c->type) {
        case TPL_INT:
        case TPL_YEAR:
        case TPL_KWH:
        case TPL_FLAGS:
            json_object_set_new(obj, c->alias, json_integer(store_column_int64(stmt, col)));
            break;
        case TPL_MONEY:
        case TPL_MONEY_SIGNED:
        case TPL_KW:
            reg_format_cell(c, store_column_int64(stmt, col), num, sizeof num);
            json_object_set_new(obj, c->alias, json_string(num));
            break;
        case TPL_ENUM: {
            const char *id = store_column_text(stmt, col, NULL);
            json_object_set_new(obj, c->alias, text_json(id));
            snprintf(zh_key, sizeof zh_key, "%s_zh", c->alias);
            json_object_set_new(obj, zh_key, text_json(tpl_enum_zh(c->enum_values, id)));
            break;
        }
        default:
            json_object_set_new(obj, c->alias, text_json(store_column_text(stmt, col, NULL)));
            break;
        }
    }
    if (tpl->has_version)
        json_object_set_new(obj, "version", json_integer(store_column_int64(stmt, col++)));
    if (has_updated_at(tpl)) {
        char when[32];
        bf_time_format_utc(store_column_int64(stmt, col++), when, sizeof when);
        json_object_set_new(obj, "updated_at", json_string(when));
    }
    for (size_t i = 0; i < 3 && def->extras[i].field; i++, col++)
        json_object_set_new(obj, def->extras[i].field,
                            store_column_is_null(stmt, col)
                                ? json_null()
                                : text_json(store_column_text(stmt, col, NULL)));
    return obj;
}

/* The batch of a project's latest classified year (a point look-up on the
 * classifications key, done after paging so a page costs page_size look-ups). */
static void add_batch(bf_store *store, json_t *obj)
{
    const char *code = json_string_value(json_object_get(obj, "code"));
    const char *region = json_string_value(json_object_get(obj, "region_code"));
    bf_stmt *stmt = NULL;
    bf_error err;
    bool has_row = false;
    json_t *batch = json_null();
    if (code && region && strlen(region) >= 6 &&
        store_prepare(store,
                      "SELECT COALESCE(confirmed_batch, proposed_batch) FROM classifications "
                      "WHERE county_code = ? AND project_code = ? ORDER BY year DESC LIMIT 1",
                      &stmt, &err) == BF_OK) {
        store_bind_text(stmt, 1, region, 6); /* the project's county */
        store_bind_str(stmt, 2, code);
        if (store_step(stmt, &has_row, &err) == BF_OK && has_row)
            batch = text_json(store_column_text(stmt, 0, NULL));
        store_finalize(stmt);
    }
    json_object_set_new(obj, "batch", batch ? batch : json_null());
}

/* The county of a project or household record (JSON with region_code): the
 * first 6 digits of its region, "" if it has none. */
static void record_county(json_t *obj, char county[7])
{
    const char *region = json_string_value(json_object_get(obj, "region_code"));
    county[0] = '\0';
    if (region && strlen(region) >= 6) {
        memcpy(county, region, 6);
        county[6] = '\0';
    }
}

/* ---- list ---- */

static const char *param(const reg_param *params, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(params[i].name, name) == 0)
            return params[i].value;
    return NULL;
}

static bf_status parse_int(const char *name, const char *text, int64_t min, int64_t max,
                           int64_t *out, bf_error *err)
{
    const char *reason = NULL;
    if (!bf_int_parse(text, strlen(text), min, max, out, &reason))
        return bf_error_set_field(err, BF_ERR_USAGE, name, "参数 %s 无效：%s", name,
                                  reason ? reason : "");
    return BF_OK;
}

/* Narrow [lo, hi) to the subtree of the region parameter (empty if disjoint). */
static bf_status narrow_region(const char *text, char lo[13], char hi[13], bf_error *err)
{
    char code[13], rlo[13], rhi[13];
    const char *reason = NULL;
    if (!bf_region_code_normalize(text, strlen(text), code, &reason))
        return bf_error_set_field(err, BF_ERR_USAGE, "region", "参数 region 无效：%s",
                                  reason ? reason : "");
    bf_region_code_range(code, rlo, rhi);
    if (strcmp(rlo, lo) > 0)
        memcpy(lo, rlo, 13);
    if (strcmp(rhi, hi) < 0)
        memcpy(hi, rhi, 13);
    if (strcmp(lo, hi) > 0)
        memcpy(hi, lo, 13);
    return BF_OK;
}

/* LIKE pattern %text% with \ escaping. */
static char *like_pattern(const char *text)
{
    size_t len = strlen(text);
    char *out = malloc(len * 2 + 3);
    if (!out)
        return NULL;
    size_t o = 0;
    out[o++] = '%';
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '%' || text[i] == '_' || text[i] == '\\')
            out[o++] = '\\';
        out[o++] = text[i];
    }
    out[o++] = '%';
    out[o] = '\0';
    return out;
}

typedef struct {
    char *like;
    char hash[PII_HASH_HEX_LEN + 1];
    char lo[13], hi[13];
    int64_t ints[6];
} list_state;

/* The region range of a list: the scope, narrowed by the region parameter. */
static bf_status list_range(const reg_scope *scope, const reg_param *params, size_t nparams,
                            list_state *st, bf_error *err)
{
    memcpy(st->lo, scope->lo, 13);
    memcpy(st->hi, scope->hi, 13);
    const char *region = param(params, nparams, "region");
    if (region && *region)
        return narrow_region(region, st->lo, st->hi, err);
    return BF_OK;
}

static bf_status list_where(qb *q, const reg_def *def, const reg_scope *scope,
                            const reg_param *params, size_t nparams, list_state *st, bf_error *err)
{
    bf_status rc = list_range(scope, params, nparams, st, err);
    if (rc)
        return rc;
    scope_where(q, def, scope, st->lo, st->hi);
    for (size_t i = 0; i < 6 && def->filters[i].param; i++) {
        const reg_filter *f = &def->filters[i];
        const char *value = param(params, nparams, f->param);
        if (!value || !*value)
            continue;
        qb_sql(q, " AND ");
        qb_sql(q, f->expr);
        switch (f->kind) {
        case F_TEXT:
            if (strlen(value) > 200)
                return bf_error_set_field(err, BF_ERR_USAGE, f->param, "参数 %s 太长", f->param);
            qb_sql(q, " = ?");
            qb_text(q, value);
            break;
        case F_ENUM: {
            const tpl_enum_value *v = tpl_enum_lookup(f->values, value, strlen(value));
            if (!v)
                return bf_error_set_field(err, BF_ERR_USAGE, f->param, "参数 %s 的值 %s 无效",
                                          f->param, value);
            qb_sql(q, " = ?");
            qb_text(q, v->id);
            break;
        }
        case F_INT:
        case F_INT_MAX:
            rc = parse_int(f->param, value, 0, 9999, &st->ints[i], err);
            if (rc)
                return rc;
            qb_sql(q, f->kind == F_INT ? " = ?" : " <= ?");
            qb_int(q, st->ints[i]);
            break;
        }
    }
    const char *text = param(params, nparams, "q");
    if (text && *text && def->search[0]) {
        size_t len = 0;
        const char *trimmed = bf_text_trim(text, strlen(text), &len);
        if (len > 100)
            return bf_error_set_field(err, BF_ERR_USAGE, "q", "搜索词太长");
        char *copy = strndup(trimmed, len);
        if (!copy)
            return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        st->like = like_pattern(copy);
        bool id_number = def->kind == TPL_HOUSEHOLDS && scope->keys && len == 18 &&
                         bf_id_number_valid(copy, len, bf_date_today(), NULL);
        if (id_number)
            pii_id_hash(scope->keys, copy, len, st->hash);
        free(copy);
        if (!st->like)
            return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        qb_sql(q, " AND (");
        for (size_t i = 0; i < 3 && def->search[i]; i++) {
            qb_sql(q, i ? " OR " : "");
            qb_sql(q, def->search[i]);
            qb_sql(q, " LIKE ? ESCAPE '\\'");
            qb_text(q, st->like);
        }
        if (id_number) {
            qb_sql(q, " OR t.head_id_hash = ?");
            qb_text(q, st->hash);
        }
        qb_sql(q, ")");
    }
    return BF_OK;
}

/* ORDER BY from the sort parameter (a field, "-" for descending), keys last. */
static bf_status order_by(qb *q, const reg_def *def, const char *sort, bf_error *err)
{
    const tpl_template *tpl = tpl_get(def->kind);
    char item[160];
    qb_sql(q, " ORDER BY ");
    bool first = true;
    if (sort && *sort) {
        bool desc = sort[0] == '-';
        const char *name = desc ? sort + 1 : sort;
        const char *column = NULL;
        if (strcmp(name, "updated_at") == 0 && has_updated_at(tpl))
            column = "updated_at";
        for (size_t i = 0; !column && i < tpl->ncolumns; i++)
            if (strcmp(tpl->columns[i].alias, name) == 0 && tpl->columns[i].type != TPL_ID_NUMBER)
                column = tpl->columns[i].db_column;
        if (!column)
            return bf_error_set_field(err, BF_ERR_USAGE, "sort", "不能按 %s 排序", name);
        snprintf(item, sizeof item, "t.%s %s", column, desc ? "DESC" : "ASC");
        qb_sql(q, item);
        first = false;
    }
    for (size_t i = 0; i < tpl->ncolumns; i++) {
        if (!tpl->columns[i].key)
            continue;
        snprintf(item, sizeof item, "%st.%s", first ? "" : ", ", tpl->columns[i].db_column);
        qb_sql(q, item);
        first = false;
    }
    return BF_OK;
}

/* The FROM of the queries that only filter (the count, the page's keys):
 * where the scope is on the main table itself (its own region, or the county
 * key alone for a scope of whole counties) and no search names a joined
 * column, the joins only feed extra columns, so the table alone. */
static void filter_from(qb *q, const reg_def *def, const reg_scope *scope, const reg_param *params,
                        size_t nparams)
{
    list_state st = {0};
    bf_error ignored;
    const char *text = param(params, nparams, "q");
    bool bare = strncmp(def->region_expr, "t.", 2) == 0 ||
                (list_range(scope, params, nparams, &st, &ignored) == BF_OK &&
                 !needs_region(def, st.lo, st.hi) && !(text && *text));
    if (bare) {
        qb_sql(q, tpl_get(def->kind)->table);
        qb_sql(q, " t");
    } else {
        qb_sql(q, def->from);
    }
}

/* "t.a, t.b": the key columns of a registry. */
static void key_list(qb *q, const reg_def *def)
{
    const tpl_template *tpl = tpl_get(def->kind);
    char item[96];
    bool first = true;
    for (size_t i = 0; i < tpl->ncolumns; i++) {
        if (!tpl->columns[i].key)
            continue;
        snprintf(item, sizeof item, "%st.%s", first ? "" : ", ", tpl->columns[i].db_column);
        qb_sql(q, item);
        first = false;
    }
}

bf_status reg_list(bf_store *store, const reg_def *def, const reg_scope *scope,
                   const reg_param *params, size_t nparams, json_t **out, bf_error *err)
{
    qb count_q, rows_q;
    list_state st1 = {0}, st2 = {0};
    bf_stmt *stmt = NULL;
    json_t *items = NULL, *result = NULL;
    int64_t page = 1, page_size = 20, total = 0;
    bool has_row = false;
    *out = NULL;
    qb_init(&count_q);
    qb_init(&rows_q);
    const char *text = param(params, nparams, "page");
    bf_status rc = BF_OK;
    if (text && *text)
        rc = parse_int("page", text, 1, 1000000, &page, err);
    text = param(params, nparams, "page_size");
    if (rc == BF_OK && text && *text)
        rc = parse_int("page_size", text, 1, REG_MAX_PAGE_SIZE, &page_size, err);
    if (rc)
        goto out;
    qb_sql(&count_q, "SELECT COUNT(*) FROM ");
    filter_from(&count_q, def, scope, params, nparams);
    rc = list_where(&count_q, def, scope, params, nparams, &st1, err);
    if (rc)
        goto out;
    /* The page's keys are chosen first, sorting only keys and the sort
     * column; the full rows and their joins are then read for those keys
     * alone (a filtered page of thousands of candidates costs a few ms
     * instead of sorting and joining every candidate row). */
    select_list(&rows_q, def);
    qb_sql(&rows_q, " WHERE (t.county_code, ");
    key_list(&rows_q, def);
    qb_sql(&rows_q, ") IN (SELECT t.county_code, ");
    key_list(&rows_q, def);
    qb_sql(&rows_q, " FROM ");
    filter_from(&rows_q, def, scope, params, nparams);
    rc = list_where(&rows_q, def, scope, params, nparams, &st2, err);
    if (rc == BF_OK)
        rc = order_by(&rows_q, def, param(params, nparams, "sort"), err);
    if (rc)
        goto out;
    qb_sql(&rows_q, " LIMIT ? OFFSET ?)");
    qb_int(&rows_q, page_size);
    qb_int(&rows_q, (page - 1) * page_size);
    county_where(&rows_q, "t.county_code", st2.lo, st2.hi);
    rc = order_by(&rows_q, def, param(params, nparams, "sort"), err);
    if (rc)
        goto out;
    rc = qb_prepare(&count_q, store, &stmt, err);
    if (rc)
        goto out;
    rc = store_step(stmt, &has_row, err);
    total = has_row ? store_column_int64(stmt, 0) : 0;
    store_finalize(stmt);
    stmt = NULL;
    if (rc)
        goto out;
    items = json_array();
    result = json_object();
    if (!items || !result) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    rc = qb_prepare(&rows_q, store, &stmt, err);
    while (rc == BF_OK && (rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        json_t *row = row_json(stmt, def);
        if (!row || json_array_append_new(items, row) != 0) {
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
            break;
        }
    }
    if (rc)
        goto out;
    if (def->kind == TPL_PROJECTS) {
        store_finalize(stmt);
        stmt = NULL;
        for (size_t i = 0; i < json_array_size(items); i++)
            add_batch(store, json_array_get(items, i));
    }
    json_object_set_new(result, "items", items);
    items = NULL;
    json_object_set_new(result, "total", json_integer(total));
    json_object_set_new(result, "page", json_integer(page));
    json_object_set_new(result, "page_size", json_integer(page_size));
    *out = result;
    result = NULL;
out:
    store_finalize(stmt);
    json_decref(items);
    json_decref(result);
    free(st1.like);
    free(st2.like);
    qb_free(&count_q);
    qb_free(&rows_q);
    return rc;
}

/* ---- detail ---- */

static bf_status check_keys(const tpl_template *tpl, const char *const *keys, bf_error *err)
{
    int k = 0;
    for (size_t i = 0; i < tpl->ncolumns; i++) {
        const tpl_column *c = &tpl->columns[i];
        if (!c->key)
            continue;
        const char *v = keys[k++];
        size_t len = strlen(v);
        if (len == 0 || len > 200)
            return bf_error_set(err, BF_ERR_NOT_FOUND, "记录不存在");
        if (c->type == TPL_YEAR) {
            int64_t year = 0;
            if (!bf_int_parse(v, len, 1000, 9999, &year, NULL))
                return bf_error_set(err, BF_ERR_NOT_FOUND, "记录不存在");
        }
    }
    return BF_OK;
}

/* Add a list of child records (filter name = value) under key in obj. */
static bf_status add_children(bf_store *store, json_t *obj, const char *key, tpl_kind kind,
                              const reg_scope *scope, const char *filter, const char *value,
                              bf_error *err)
{
    reg_param params[] = {{filter, value}, {"page_size", "500"}};
    json_t *list = NULL;
    bf_status rc = reg_list(store, def_of_kind(kind), scope, params, 2, &list, err);
    if (rc)
        return rc;
    json_object_set(obj, key, json_object_get(list, "items"));
    json_decref(list);
    return BF_OK;
}

static bf_status add_members(bf_store *store, json_t *obj, const char *household, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bool has_row = false;
    char county[7];
    record_county(obj, county);
    json_t *list = json_array();
    if (!list)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    bf_status rc =
        store_prepare(store,
                      "SELECT id_hash, id_masked, name, relation, version FROM members "
                      "WHERE county_code = ? AND household_code = ? ORDER BY name, id_hash",
                      &stmt, err);
    if (rc == BF_OK) {
        store_bind_str(stmt, 1, county);
        store_bind_str(stmt, 2, household);
    }
    while (rc == BF_OK && (rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        json_t *m = json_object();
        if (!m)
            break;
        json_object_set_new(m, "id", text_json(store_column_text(stmt, 0, NULL)));
        json_object_set_new(m, "id_number", text_json(store_column_text(stmt, 1, NULL)));
        json_object_set_new(m, "name", text_json(store_column_text(stmt, 2, NULL)));
        json_object_set_new(m, "relation", text_json(store_column_text(stmt, 3, NULL)));
        json_object_set_new(m, "version", json_integer(store_column_int64(stmt, 4)));
        json_array_append_new(list, m);
    }
    store_finalize(stmt);
    if (rc) {
        json_decref(list);
        return rc;
    }
    json_object_set_new(obj, "members", list);
    return BF_OK;
}

bf_status reg_get(bf_store *store, const reg_def *def, const reg_scope *scope,
                  const char *const *keys, bool detail, json_t **out, int64_t *version,
                  bf_error *err)
{
    const tpl_template *tpl = tpl_get(def->kind);
    qb q;
    bf_stmt *stmt = NULL;
    bool has_row = false;
    json_t *obj = NULL;
    *out = NULL;
    if (version)
        *version = 0;
    bf_status rc = check_keys(tpl, keys, err);
    if (rc)
        return rc;
    qb_init(&q);
    select_list(&q, def);
    scope_where(&q, def, scope, scope->lo, scope->hi);
    key_where(&q, tpl, keys);
    rc = qb_prepare(&q, store, &stmt, err);
    if (rc == BF_OK)
        rc = store_step(stmt, &has_row, err);
    if (rc == BF_OK && !has_row)
        rc = bf_error_set(err, BF_ERR_NOT_FOUND, "%s不存在或不在您的管辖范围内", tpl->name_zh);
    if (rc == BF_OK) {
        obj = row_json(stmt, def);
        if (!obj)
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    store_finalize(stmt);
    qb_free(&q);
    if (rc)
        return rc;
    if (version && tpl->has_version)
        *version = json_integer_value(json_object_get(obj, "version"));
    if (def->kind == TPL_PROJECTS)
        add_batch(store, obj);
    if (detail && def->kind == TPL_PROJECTS) {
        rc = add_children(store, obj, "assets", TPL_ASSETS, scope, "project", keys[0], err);
        if (rc == BF_OK)
            rc = add_children(store, obj, "years", TPL_PROJECT_YEARS, scope, "project", keys[0],
                              err);
    } else if (detail && def->kind == TPL_HOUSEHOLDS) {
        rc = add_members(store, obj, keys[0], err);
        if (rc == BF_OK)
            rc = add_children(store, obj, "years", TPL_HOUSEHOLD_YEARS, scope, "household", keys[0],
                              err);
    }
    if (rc) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return BF_OK;
}

/* ---- writes ---- */

/* Is there a record with these keys, in or out of scope? */
static bf_status exists_anywhere(bf_store *store, const tpl_template *tpl, const char *const *keys,
                                 bool *found, bf_error *err)
{
    qb q;
    bf_stmt *stmt = NULL;
    bool has_row = false;
    qb_init(&q);
    qb_sql(&q, "SELECT 1 FROM ");
    qb_sql(&q, tpl->table);
    qb_sql(&q, " t WHERE 1 = 1");
    key_where(&q, tpl, keys);
    bf_status rc = qb_prepare(&q, store, &stmt, err);
    if (rc == BF_OK)
        rc = store_step(stmt, &has_row, err);
    store_finalize(stmt);
    qb_free(&q);
    *found = has_row;
    return rc;
}

/* Is this project (or household) visible in the scope? */
static bf_status visible(bf_store *store, const reg_scope *scope, tpl_kind kind, const char *code,
                         bool *found, bf_error *err)
{
    const char *keys[1] = {code};
    json_t *obj = NULL;
    *found = false;
    bf_error local;
    bf_status rc = reg_get(store, def_of_kind(kind), scope, keys, false, &obj, NULL, &local);
    if (rc == BF_ERR_NOT_FOUND)
        return BF_OK;
    if (rc) {
        *err = local;
        return rc;
    }
    json_decref(obj);
    *found = true;
    return BF_OK;
}

/* The text of a JSON field as a spreadsheet cell would hold it. */
static bf_status cell_text(const tpl_column *col, json_t *v, bf_buf *out, bf_error *err)
{
    bf_buf_reset(out);
    if (!v || json_is_null(v))
        return BF_OK;
    if (json_is_string(v)) {
        size_t len = json_string_length(v);
        const char *s = json_string_value(v);
        if (memchr(s, '\0', len) || len > 4000)
            return bf_error_set_field(err, BF_ERR_INVALID, col->alias, "%s：内容无效或太长",
                                      col->header);
        return bf_buf_append(out, s, len);
    }
    if (json_is_integer(v))
        return bf_buf_printf(out, "%" PRId64, (int64_t)json_integer_value(v));
    if (json_is_real(v))
        return bf_error_set_field(err, BF_ERR_INVALID, col->alias,
                                  "%s：带小数的数值请以字符串填写（例如 \"1234.50\"）",
                                  col->header);
    return bf_error_set_field(err, BF_ERR_INVALID, col->alias, "%s：值的类型不对", col->header);
}

/* Append one CSV field, always quoted. */
static bf_status csv_field(bf_buf *csv, const char *text, size_t len, bool first)
{
    bf_status rc = first ? BF_OK : bf_buf_append_char(csv, ',');
    rc = rc ? rc : bf_buf_append_char(csv, '"');
    for (size_t i = 0; rc == BF_OK && i < len; i++) {
        if (text[i] == '"')
            rc = bf_buf_append_char(csv, '"');
        if (rc == BF_OK)
            rc = bf_buf_append_char(csv, text[i]);
    }
    return rc ? rc : bf_buf_append_char(csv, '"');
}

typedef struct {
    const tpl_template *tpl;
    bf_error *err;
    long count;
} first_error;

static void on_import_error(void *vctx, const import_error *e)
{
    first_error *ctx = vctx;
    if (ctx->count++ > 0)
        return;
    int col = e->column ? tpl_column_index(ctx->tpl, e->column, strlen(e->column)) : -1;
    const char *field = col >= 0 ? ctx->tpl->columns[col].alias : "";
    const char *header = col >= 0 ? ctx->tpl->columns[col].header : "";
    bf_error_set_field(ctx->err, BF_ERR_INVALID, field, "%s%s%s", header, *header ? "：" : "",
                       e->reason ? e->reason : "");
}

/* Write one record of kind through the importer. values[i] is the cell text of
 * template column i (NULL: column left out). */
static bf_status import_one(bf_store *store, tpl_kind kind, const reg_scope *scope, char **values,
                            bf_error *err)
{
    const tpl_template *tpl = tpl_get(kind);
    bf_buf csv;
    bf_buf_init(&csv, 1024 * 1024);
    bf_status rc = BF_OK;
    bool first = true;
    for (size_t i = 0; rc == BF_OK && i < tpl->ncolumns; i++) {
        if (!values[i])
            continue;
        rc = csv_field(&csv, tpl->columns[i].alias, strlen(tpl->columns[i].alias), first);
        first = false;
    }
    rc = rc ? rc : bf_buf_append_str(&csv, "\r\n");
    first = true;
    for (size_t i = 0; rc == BF_OK && i < tpl->ncolumns; i++) {
        if (!values[i])
            continue;
        rc = csv_field(&csv, values[i], strlen(values[i]), first);
        first = false;
    }
    rc = rc ? rc : bf_buf_append_str(&csv, "\r\n");
    if (rc) {
        bf_buf_free(&csv);
        return bf_error_set(err, rc, "请求内容太大");
    }
    first_error fe = {tpl, err, 0};
    import_options opt = {
        .file_label = "请求",
        .keys = scope->keys,
        .on_error = on_import_error,
        .error_ctx = &fe,
        .actor = scope->actor,
    };
    import_result result;
    bf_error import_err;
    bf_error_clear(&import_err);
    rc = import_mem(store, kind, csv.data, csv.len, &opt, &result, &import_err);
    bf_buf_free(&csv);
    if (rc == BF_ERR_INVALID && fe.count > 0) {
        if (fe.count > 1) {
            size_t used = strlen(err->msg);
            snprintf(err->msg + used, sizeof err->msg - used, "（另有 %ld 处错误）", fe.count - 1);
        }
        return BF_ERR_INVALID;
    }
    if (rc)
        *err = import_err;
    return rc;
}

static void free_values(char **values, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(values[i]);
}

/* Every field of body must be a template field's alias (or version, or extra). */
static bf_status check_fields(const tpl_template *tpl, json_t *body, const char *extra,
                              bf_error *err)
{
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value)
    {
        bool known = strcmp(key, "version") == 0 || (extra && strcmp(key, extra) == 0);
        for (size_t i = 0; !known && i < tpl->ncolumns; i++)
            known = strcmp(tpl->columns[i].alias, key) == 0;
        if (!known)
            return bf_error_set_field(err, BF_ERR_INVALID, key, "未知字段：%.100s", key);
        (void)value;
    }
    return BF_OK;
}

/* The parent or region a new/changed record hangs on must be in scope. */
static bf_status check_parent(bf_store *store, const reg_def *def, const reg_scope *scope,
                              char **values, bf_error *err)
{
    const tpl_template *tpl = tpl_get(def->kind);
    for (size_t i = 0; i < tpl->ncolumns; i++) {
        const tpl_column *c = &tpl->columns[i];
        if (!values[i] || !*values[i])
            continue;
        bool found = true;
        bf_status rc = BF_OK;
        if (c->type == TPL_REGION_CODE) {
            char code[13];
            if (!bf_region_code_normalize(values[i], strlen(values[i]), code, NULL))
                continue; /* the importer reports the malformed code */
            found = strcmp(code, scope->lo) >= 0 && strcmp(code, scope->hi) < 0;
            if (!found)
                return bf_error_set_field(err, BF_ERR_INVALID, c->alias,
                                          "%s：区划 %s 不在您的管辖范围内", c->header, code);
        } else if (strcmp(c->alias, "project_code") == 0) {
            rc = visible(store, scope, TPL_PROJECTS, values[i], &found, err);
        } else if (strcmp(c->alias, "household_code") == 0) {
            rc = visible(store, scope, TPL_HOUSEHOLDS, values[i], &found, err);
        }
        if (rc)
            return rc;
        if (!found)
            return bf_error_set_field(err, BF_ERR_INVALID, c->alias, "%s：%s 不存在", c->header,
                                      values[i]);
    }
    return BF_OK;
}

static char *json_dump_canonical(json_t *obj)
{
    return obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
}

static bf_status audit_write(bf_store *store, const reg_scope *scope, const char *action,
                             const reg_def *def, const char *key, json_t *before, json_t *after,
                             bf_error *err)
{
    char *b = json_dump_canonical(before), *a = json_dump_canonical(after);
    audit_entry e = {scope->actor, scope->address, action, def->entity, key, b, a};
    bf_status rc = audit_append(store, &e, NULL, err);
    free(b);
    free(a);
    return rc;
}

static void join_keys(const char *const *keys, int n, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        int w = snprintf(out + used, size - used, "%s%s", i ? "/" : "", keys[i]);
        if (w < 0 || (size_t)w >= size - used)
            break;
        used += (size_t)w;
    }
}

/* Key values of a record from the cell texts. */
static int keys_of(const tpl_template *tpl, char **values, const char *keys[REG_MAX_KEYS])
{
    int n = 0;
    for (size_t i = 0; i < tpl->ncolumns && n < REG_MAX_KEYS; i++)
        if (tpl->columns[i].key)
            keys[n++] = values[i] ? values[i] : "";
    return n;
}

/* The look-up hash of an ID number as the importer keys it (trimmed, check
 * character upper case); false if it is not an 18-character string. */
static bool member_hash(const reg_scope *scope, json_t *id, char hash[PII_HASH_HEX_LEN + 1])
{
    if (!json_is_string(id) || !scope->keys)
        return false;
    char number[19];
    size_t len = 0;
    const char *text = bf_text_trim(json_string_value(id), json_string_length(id), &len);
    if (len != 18)
        return false;
    for (size_t i = 0; i < len; i++)
        number[i] = text[i] == 'x' ? 'X' : text[i];
    number[18] = '\0';
    pii_id_hash(scope->keys, number, len, hash);
    return true;
}

/* A person registered in a household outside the scope may not be taken in,
 * and the answer must not say which household that is (the importer, run
 * unscoped here, would name it). */
static bf_status member_elsewhere(bf_store *store, const reg_scope *scope, const char *household,
                                  json_t *id, bf_error *err)
{
    char hash[PII_HASH_HEX_LEN + 1];
    if (!member_hash(scope, id, hash))
        return BF_OK; /* the importer explains what is wrong with it */
    bf_stmt *stmt = NULL;
    bool has_row = false;
    bf_status rc =
        store_prepare(store,
                      "SELECT h.region_code FROM members m JOIN households h ON h.county_code = "
                      "m.county_code AND h.code = m.household_code "
                      "WHERE m.id_hash = ? AND m.household_code <> ?",
                      &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, hash);
    store_bind_str(stmt, 2, household);
    rc = store_step(stmt, &has_row, err);
    bool outside = false;
    if (rc == BF_OK && has_row) {
        const char *region = store_column_text(stmt, 0, NULL);
        outside = strcmp(region, scope->lo) < 0 || strcmp(region, scope->hi) >= 0;
    }
    store_finalize(stmt);
    if (rc == BF_OK && outside)
        rc = bf_error_set_field(err, BF_ERR_INVALID, "id_number",
                                "身份证号：此人已登记在您管辖范围以外的农户中，一个人只能属于一户");
    return rc;
}

/* Members given with a new household: [{id_number, name, relation}]. */
static bf_status import_members(bf_store *store, const reg_scope *scope, const char *household,
                                json_t *members, bf_error *err)
{
    if (!members || json_is_null(members))
        return BF_OK;
    if (!json_is_array(members) || json_array_size(members) > 100)
        return bf_error_set_field(err, BF_ERR_INVALID, "members",
                                  "members 应为不超过 100 项的数组");
    const tpl_template *tpl = tpl_get(TPL_MEMBERS);
    size_t index;
    json_t *m;
    json_array_foreach(members, index, m)
    {
        if (!json_is_object(m))
            return bf_error_set_field(err, BF_ERR_INVALID, "members", "members 的每一项应为对象");
        bf_status rc = check_fields(tpl, m, NULL, err);
        if (rc)
            return rc;
        char *values[16] = {0};
        bf_buf cell;
        bf_buf_init(&cell, 8192);
        for (size_t i = 0; rc == BF_OK && i < tpl->ncolumns && i < 16; i++) {
            const tpl_column *c = &tpl->columns[i];
            if (strcmp(c->alias, "household_code") == 0) {
                values[i] = strdup(household);
            } else {
                rc = cell_text(c, json_object_get(m, c->alias), &cell, err);
                values[i] = rc ? NULL : strdup(cell.data ? cell.data : "");
            }
            if (rc == BF_OK && !values[i])
                rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        }
        bf_buf_free(&cell);
        if (rc == BF_OK)
            rc = member_elsewhere(store, scope, household, json_object_get(m, "id_number"), err);
        if (rc == BF_OK)
            rc = import_one(store, TPL_MEMBERS, scope, values, err);
        free_values(values, 16);
        if (rc) {
            if (err->field[0]) {
                char field[64];
                snprintf(field, sizeof field, "members[%u].%.30s", (unsigned)(index % 1000),
                         err->field);
                snprintf(err->field, sizeof err->field, "%s", field);
            }
            return rc;
        }
    }
    return BF_OK;
}

#define MAX_COLUMNS 32

bf_status reg_create(bf_store *store, const reg_def *def, const reg_scope *scope, json_t *body,
                     json_t **out, int64_t *version, bf_error *err)
{
    const tpl_template *tpl = tpl_get(def->kind);
    char *values[MAX_COLUMNS] = {0};
    const char *keys[REG_MAX_KEYS] = {0};
    bf_buf cell;
    bool began = false;
    *out = NULL;
    bf_buf_init(&cell, 8192);
    bf_status rc = check_fields(tpl, body, def->kind == TPL_HOUSEHOLDS ? "members" : NULL, err);
    for (size_t i = 0; rc == BF_OK && i < tpl->ncolumns && i < MAX_COLUMNS; i++) {
        rc = cell_text(&tpl->columns[i], json_object_get(body, tpl->columns[i].alias), &cell, err);
        if (rc == BF_OK && !(values[i] = strdup(cell.data ? cell.data : "")))
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    if (rc)
        goto out;
    int nkeys = keys_of(tpl, values, keys);
    bool all_keys = true;
    for (int k = 0; k < nkeys; k++)
        all_keys = all_keys && *keys[k];
    for (size_t i = 0; all_keys == false && i < tpl->ncolumns; i++)
        if (tpl->columns[i].key && !*values[i]) {
            rc = bf_error_set_field(err, BF_ERR_INVALID, tpl->columns[i].alias, "%s：必须填写",
                                    tpl->columns[i].header);
            goto out;
        }
    rc = check_parent(store, def, scope, values, err);
    if (rc)
        goto out;
    rc = store_begin(store, err);
    if (rc)
        goto out;
    began = true;
    if (all_keys && check_keys(tpl, keys, err) == BF_OK) {
        bool found = false;
        rc = exists_anywhere(store, tpl, keys, &found, err);
        if (rc == BF_OK && found)
            rc = bf_error_set_field(err, BF_ERR_CONFLICT, tpl->columns[0].alias, "%s %s 已存在",
                                    tpl->name_zh, keys[0]);
        if (rc)
            goto out;
    }
    rc = import_one(store, def->kind, scope, values, err);
    if (rc == BF_OK && def->kind == TPL_HOUSEHOLDS)
        rc = import_members(store, scope, keys[0], json_object_get(body, "members"), err);
    if (rc)
        goto out;
    json_t *after = NULL;
    rc = reg_get(store, def, scope, keys, def->kind == TPL_HOUSEHOLDS, &after, version, err);
    if (rc)
        goto out;
    char key[512];
    join_keys(keys, nkeys, key, sizeof key);
    rc = audit_write(store, scope, "create", def, key, NULL, after, err);
    if (rc == BF_OK)
        rc = store_commit(store, err);
    began = false;
    if (rc) {
        json_decref(after);
        goto out;
    }
    *out = after;
out:
    if (began)
        store_rollback(store);
    free_values(values, MAX_COLUMNS);
    bf_buf_free(&cell);
    return rc;
}

/* The current cell texts of a record (money in yuan, ID numbers decrypted). */
static bf_status current_values(bf_store *store, const reg_def *def, const char *const *keys,
                                const reg_scope *scope, char **values, bf_error *err)
{
    const tpl_template *tpl = tpl_get(def->kind);
    qb q;
    bf_stmt *stmt = NULL;
    bool has_row = false;
    char item[160];
    qb_init(&q);
    qb_sql(&q, "SELECT ");
    for (size_t i = 0; i < tpl->ncolumns; i++) {
        const tpl_column *c = &tpl->columns[i];
        snprintf(item, sizeof item, "%st.%s%s", i ? ", " : "", c->db_column,
                 c->type == TPL_ID_NUMBER ? "_enc" : "");
        qb_sql(&q, item);
    }
    qb_sql(&q, " FROM ");
    qb_sql(&q, tpl->table);
    qb_sql(&q, " t WHERE 1 = 1");
    county_where(&q, "t.county_code", scope->lo, scope->hi);
    key_where(&q, tpl, keys);
    bf_status rc = qb_prepare(&q, store, &stmt, err);
    if (rc == BF_OK)
        rc = store_step(stmt, &has_row, err);
    if (rc == BF_OK && !has_row)
        rc = bf_error_set(err, BF_ERR_NOT_FOUND, "记录不存在");
    for (size_t i = 0; rc == BF_OK && i < tpl->ncolumns && i < MAX_COLUMNS; i++) {
        const tpl_column *c = &tpl->columns[i];
        char text[64];
        if (store_column_is_null(stmt, (int)i)) {
            values[i] = strdup("");
        } else if (c->type == TPL_MONEY || c->type == TPL_MONEY_SIGNED || c->type == TPL_KW) {
            reg_format_cell(c, store_column_int64(stmt, (int)i), text, sizeof text);
            values[i] = strdup(text);
        } else if (c->type == TPL_ID_NUMBER) {
            if (!scope->keys) {
                rc = bf_error_set(err, BF_ERR_UNAVAILABLE, "服务器未加载身份证号密钥文件");
                break;
            }
            rc = pii_id_decrypt(scope->keys, store_column_text(stmt, (int)i, NULL), text,
                                sizeof text);
            if (rc) {
                bf_error_set(err, rc, "身份证号无法解密（密钥文件不符？）");
                break;
            }
            values[i] = strdup(text);
            memset(text, 0, sizeof text);
        } else if (c->type == TPL_INT || c->type == TPL_YEAR || c->type == TPL_KWH ||
                   c->type == TPL_FLAGS) {
            snprintf(text, sizeof text, "%" PRId64, store_column_int64(stmt, (int)i));
            values[i] = strdup(text);
        } else {
            values[i] = strdup(store_column_text(stmt, (int)i, NULL));
        }
        if (!values[i])
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    store_finalize(stmt);
    qb_free(&q);
    return rc;
}

bf_status reg_update(bf_store *store, const reg_def *def, const reg_scope *scope,
                     const char *const *keys, int64_t if_version, json_t *body, json_t **out,
                     int64_t *version, bf_error *err)
{
    const tpl_template *tpl = tpl_get(def->kind);
    char *values[MAX_COLUMNS] = {0};
    json_t *before = NULL, *after = NULL;
    bf_buf cell;
    bf_stmt *stmt = NULL;
    bool began = false;
    *out = NULL;
    bf_buf_init(&cell, 8192);
    if (!tpl->has_version)
        return bf_error_set(err, BF_ERR_STATE, "%s不支持修改，请删除后重新添加", tpl->name_zh);
    bf_status rc = check_fields(tpl, body, NULL, err);
    if (rc)
        goto out;
    rc = store_begin(store, err);
    if (rc)
        goto out;
    began = true;
    int64_t current = 0;
    rc = reg_get(store, def, scope, keys, false, &before, &current, err);
    if (rc)
        goto out;
    /* Claim the row only if it is still the version the client saw: a second
     * writer with the same version waits for this transaction, then finds
     * the version moved on. */
    qb q;
    qb_init(&q);
    qb_sql(&q, "UPDATE ");
    qb_sql(&q, tpl->table);
    qb_sql(&q, " SET version = version WHERE version = ?");
    qb_int(&q, if_version);
    county_where(&q, "county_code", scope->lo, scope->hi);
    /* key_where writes " AND t.col = ?": alias the table as t is not portable
     * in UPDATE, so build the key condition without the alias. */
    for (size_t i = 0, k = 0; i < tpl->ncolumns; i++) {
        const tpl_column *c = &tpl->columns[i];
        if (!c->key)
            continue;
        char item[128];
        snprintf(item, sizeof item, " AND %s = ?", c->db_column);
        qb_sql(&q, item);
        if (c->type == TPL_YEAR)
            qb_int(&q, strtoll(keys[k], NULL, 10));
        else
            qb_text(&q, keys[k]);
        k++;
    }
    rc = qb_prepare(&q, store, &stmt, err);
    qb_free(&q);
    if (rc == BF_OK)
        rc = store_step_done(stmt, err);
    if (rc == BF_OK && store_changes(stmt) == 0)
        rc = bf_error_set(err, BF_ERR_CONFLICT,
                          "%s已被他人修改（当前版本 %" PRId64 "，您提交的是版本 %" PRId64
                          "），请刷新后重试",
                          tpl->name_zh, current, if_version);
    store_finalize(stmt);
    stmt = NULL;
    if (rc)
        goto out;
    rc = current_values(store, def, keys, scope, values, err);
    for (size_t i = 0; rc == BF_OK && i < tpl->ncolumns && i < MAX_COLUMNS; i++) {
        const tpl_column *c = &tpl->columns[i];
        json_t *v = json_object_get(body, c->alias);
        if (!v)
            continue;
        rc = cell_text(c, v, &cell, err);
        if (rc)
            break;
        const char *text = cell.data ? cell.data : "";
        if (c->key && strcmp(text, values[i]) != 0) {
            rc = bf_error_set_field(err, BF_ERR_INVALID, c->alias, "%s不能修改", c->header);
            break;
        }
        free(values[i]);
        if (!(values[i] = strdup(text)))
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    if (rc == BF_OK)
        rc = check_parent(store, def, scope, values, err);
    if (rc == BF_OK)
        rc = import_one(store, def->kind, scope, values, err);
    if (rc == BF_OK)
        rc = reg_get(store, def, scope, keys, false, &after, version, err);
    if (rc == BF_ERR_NOT_FOUND)
        rc = bf_error_set_field(err, BF_ERR_INVALID, "region_code",
                                "修改后的记录将不在您的管辖范围内");
    if (rc)
        goto out;
    char key[512];
    join_keys(keys, reg_key_count(def), key, sizeof key);
    rc = audit_write(store, scope, "update", def, key, before, after, err);
    if (rc == BF_OK)
        rc = store_commit(store, err);
    began = false;
    if (rc)
        goto out;
    *out = after;
    after = NULL;
out:
    if (began)
        store_rollback(store);
    json_decref(before);
    json_decref(after);
    free_values(values, MAX_COLUMNS);
    bf_buf_free(&cell);
    return rc;
}

bf_status reg_delete(bf_store *store, const reg_def *def, const reg_scope *scope,
                     const char *const *keys, bf_error *err)
{
    const tpl_template *tpl = tpl_get(def->kind);
    json_t *before = NULL;
    bf_stmt *stmt = NULL;
    if (def->kind != TPL_BENEFITS)
        return bf_error_set(err, BF_ERR_STATE, "%s不能删除", tpl->name_zh);
    bf_status rc = store_begin(store, err);
    if (rc)
        return rc;
    rc = reg_get(store, def, scope, keys, false, &before, NULL, err);
    if (rc)
        goto out;
    qb q;
    qb_init(&q);
    qb_sql(&q, "DELETE FROM benefits WHERE household_code = ? AND project_code = ? AND kind = ?");
    qb_text(&q, keys[0]);
    qb_text(&q, keys[1]);
    qb_text(&q, keys[2]);
    county_where(&q, "county_code", scope->lo, scope->hi);
    rc = qb_prepare(&q, store, &stmt, err);
    qb_free(&q);
    if (rc == BF_OK)
        rc = store_step_done(stmt, err);
    store_finalize(stmt);
    if (rc)
        goto out;
    char key[512];
    join_keys(keys, 3, key, sizeof key);
    rc = audit_write(store, scope, "delete", def, key, before, NULL, err);
out:
    json_decref(before);
    if (rc) {
        store_rollback(store);
        return rc;
    }
    return store_commit(store, err);
}

bf_status reg_reveal(bf_store *store, const reg_scope *scope, const char *household, json_t **out,
                     bf_error *err)
{
    const reg_def *def = def_of_kind(TPL_HOUSEHOLDS);
    const char *keys[1] = {household};
    json_t *rec = NULL, *result = NULL, *members = NULL;
    bf_stmt *stmt = NULL;
    bool has_row = false;
    char plain[32];
    *out = NULL;
    if (!scope->keys)
        return bf_error_set(err, BF_ERR_UNAVAILABLE, "服务器未加载身份证号密钥文件");
    bf_status rc = store_begin(store, err);
    if (rc)
        return rc;
    rc = reg_get(store, def, scope, keys, false, &rec, NULL, err);
    if (rc)
        goto out;
    result = json_object();
    members = json_array();
    if (!result || !members) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    char county[7];
    record_county(rec, county);
    rc = store_prepare(
        store, "SELECT head_id_enc FROM households WHERE county_code = ? AND code = ?", &stmt, err);
    if (rc == BF_OK) {
        store_bind_str(stmt, 1, county);
        store_bind_str(stmt, 2, household);
    }
    if (rc == BF_OK)
        rc = store_step(stmt, &has_row, err);
    if (rc == BF_OK && has_row)
        rc = pii_id_decrypt(scope->keys, store_column_text(stmt, 0, NULL), plain, sizeof plain);
    store_finalize(stmt);
    stmt = NULL;
    if (rc) {
        bf_error_set(err, rc, "身份证号无法解密（密钥文件不符？）");
        goto out;
    }
    json_object_set_new(result, "code", json_string(household));
    json_object_set_new(result, "head_id_number", json_string(plain));
    rc = store_prepare(store,
                       "SELECT id_hash, name, id_enc FROM members WHERE county_code = ? AND "
                       "household_code = ? ORDER BY name, id_hash",
                       &stmt, err);
    if (rc == BF_OK) {
        store_bind_str(stmt, 1, county);
        store_bind_str(stmt, 2, household);
    }
    while (rc == BF_OK && (rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        rc = pii_id_decrypt(scope->keys, store_column_text(stmt, 2, NULL), plain, sizeof plain);
        if (rc) {
            bf_error_set(err, rc, "身份证号无法解密（密钥文件不符？）");
            break;
        }
        json_t *m = json_object();
        if (!m) {
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
            break;
        }
        json_object_set_new(m, "id", text_json(store_column_text(stmt, 0, NULL)));
        json_object_set_new(m, "name", text_json(store_column_text(stmt, 1, NULL)));
        json_object_set_new(m, "id_number", json_string(plain));
        json_array_append_new(members, m);
    }
    store_finalize(stmt);
    if (rc)
        goto out;
    json_object_set_new(result, "members", members);
    members = NULL;
    char after[96];
    snprintf(after, sizeof after, "{\"members\":%zu}",
             json_array_size(json_object_get(result, "members")));
    audit_entry e = {scope->actor, scope->address, "reveal", "household", household, NULL, after};
    rc = audit_append(store, &e, NULL, err);
    if (rc == BF_OK)
        rc = store_commit(store, err);
    if (rc == BF_OK) {
        *out = result;
        result = NULL;
    } else {
        store_rollback(store);
    }
    json_decref(rec);
    json_decref(result);
    return rc;
out:
    store_rollback(store);
    json_decref(rec);
    json_decref(result);
    json_decref(members);
    return rc;
}

/* ---- members of an existing household ---- */

/* One member of a household as JSON (masked number), or NULL if absent. */
static bf_status member_json(bf_store *store, const char *county, const char *household,
                             const char *id_hash, json_t **out, bf_error *err)
{
    bf_stmt *stmt = NULL;
    bool has_row = false;
    *out = NULL;
    bf_status rc = store_prepare(store,
                                 "SELECT id_hash, id_masked, name, relation, version FROM members "
                                 "WHERE county_code = ? AND household_code = ? AND id_hash = ?",
                                 &stmt, err);
    if (rc)
        return rc;
    store_bind_str(stmt, 1, county);
    store_bind_str(stmt, 2, household);
    store_bind_str(stmt, 3, id_hash);
    rc = store_step(stmt, &has_row, err);
    if (rc == BF_OK && has_row) {
        json_t *m = json_object();
        if (!m) {
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        } else {
            json_object_set_new(m, "id", text_json(store_column_text(stmt, 0, NULL)));
            json_object_set_new(m, "id_number", text_json(store_column_text(stmt, 1, NULL)));
            json_object_set_new(m, "name", text_json(store_column_text(stmt, 2, NULL)));
            json_object_set_new(m, "relation", text_json(store_column_text(stmt, 3, NULL)));
            json_object_set_new(m, "version", json_integer(store_column_int64(stmt, 4)));
            *out = m;
        }
    }
    store_finalize(stmt);
    return rc;
}

bf_status reg_member_add(bf_store *store, const reg_scope *scope, const char *household,
                         json_t *body, json_t **out, bf_error *err)
{
    const reg_def *def = def_of_kind(TPL_HOUSEHOLDS);
    const char *keys[1] = {household};
    json_t *rec = NULL, *member = NULL, *list = NULL;
    *out = NULL;
    if (!scope->keys)
        return bf_error_set(err, BF_ERR_UNAVAILABLE, "服务器未加载身份证号密钥文件");
    /* The household must be in scope (404 otherwise, like a missing one). */
    bf_status rc = reg_get(store, def, scope, keys, false, &rec, NULL, err);
    char county[7];
    record_county(rec, county);
    json_decref(rec);
    if (rc)
        return rc;
    rc = check_fields(tpl_get(TPL_MEMBERS), body, NULL, err);
    if (rc)
        return rc;
    char hash[PII_HASH_HEX_LEN + 1];
    if (!member_hash(scope, json_object_get(body, "id_number"), hash))
        return bf_error_set_field(err, BF_ERR_INVALID, "id_number",
                                  "身份证号：必须填写 18 位居民身份证号码");
    rc = store_begin(store, err);
    if (rc)
        return rc;
    rc = member_json(store, county, household, hash, &member, err);
    if (rc == BF_OK && member)
        rc = bf_error_set_field(err, BF_ERR_CONFLICT, "id_number", "此人已是户 %s 的成员",
                                household);
    json_decref(member);
    member = NULL;
    if (rc == BF_OK) {
        list = json_array();
        if (!list || json_array_append(list, body) != 0)
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    if (rc == BF_OK) {
        rc = import_members(store, scope, household, list, err);
        /* One member: name its field, not members[0].field. */
        if (rc && strncmp(err->field, "members[0].", 11) == 0)
            memmove(err->field, err->field + 11, strlen(err->field + 11) + 1);
    }
    if (rc == BF_OK)
        rc = member_json(store, county, household, hash, &member, err);
    if (rc == BF_OK && !member)
        rc = bf_error_set(err, BF_ERR_INTERNAL, "内部错误：成员保存后找不到");
    if (rc == BF_OK) {
        char key[160];
        snprintf(key, sizeof key, "%s/%s", household,
                 json_string_value(json_object_get(member, "id_number")));
        char *after = json_dump_canonical(member);
        audit_entry e = {scope->actor, scope->address, "create", "member", key, NULL, after};
        rc = after ? audit_append(store, &e, NULL, err)
                   : bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        free(after);
    }
    if (rc == BF_OK)
        rc = store_commit(store, err);
    else
        store_rollback(store);
    json_decref(list);
    if (rc) {
        json_decref(member);
        return rc;
    }
    *out = member;
    return BF_OK;
}

bf_status reg_member_remove(bf_store *store, const reg_scope *scope, const char *household,
                            const char *member_id, bf_error *err)
{
    const reg_def *def = def_of_kind(TPL_HOUSEHOLDS);
    const char *keys[1] = {household};
    json_t *rec = NULL, *member = NULL;
    bf_stmt *stmt = NULL;
    bool has_row = false;
    bf_status rc = reg_get(store, def, scope, keys, false, &rec, NULL, err);
    char county[7];
    record_county(rec, county);
    json_decref(rec);
    if (rc)
        return rc;
    if (strlen(member_id) != PII_HASH_HEX_LEN)
        return bf_error_set(err, BF_ERR_NOT_FOUND, "户 %s 没有这个成员", household);
    rc = store_begin(store, err);
    if (rc)
        return rc;
    rc = member_json(store, county, household, member_id, &member, err);
    if (rc == BF_OK && !member)
        rc = bf_error_set(err, BF_ERR_NOT_FOUND, "户 %s 没有这个成员", household);
    /* The head stays: a household without its head is not a household. */
    if (rc == BF_OK)
        rc = store_prepare(store,
                           "SELECT 1 FROM households WHERE county_code = ? AND code = ? AND "
                           "head_id_hash = ?",
                           &stmt, err);
    if (rc == BF_OK) {
        store_bind_str(stmt, 1, county);
        store_bind_str(stmt, 2, household);
        store_bind_str(stmt, 3, member_id);
        rc = store_step(stmt, &has_row, err);
        store_finalize(stmt);
        stmt = NULL;
        if (rc == BF_OK && has_row)
            rc = bf_error_set(err, BF_ERR_STATE, "不能删除户主；请先变更户主");
    }
    if (rc == BF_OK)
        rc = store_prepare(store,
                           "DELETE FROM members WHERE county_code = ? AND household_code = ? AND "
                           "id_hash = ?",
                           &stmt, err);
    if (rc == BF_OK) {
        store_bind_str(stmt, 1, county);
        store_bind_str(stmt, 2, household);
        store_bind_str(stmt, 3, member_id);
        rc = store_step_done(stmt, err);
        store_finalize(stmt);
    }
    if (rc == BF_OK) {
        char key[160];
        snprintf(key, sizeof key, "%s/%s", household,
                 json_string_value(json_object_get(member, "id_number")));
        char *before = json_dump_canonical(member);
        audit_entry e = {scope->actor, scope->address, "delete", "member", key, before, NULL};
        rc = before ? audit_append(store, &e, NULL, err)
                    : bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        free(before);
    }
    if (rc == BF_OK)
        rc = store_commit(store, err);
    else
        store_rollback(store);
    json_decref(member);
    return rc;
}
