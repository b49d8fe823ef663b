/*
 * rules.c - rule sets in the database, read from and written to spreadsheets
 * (see rules.h). A set is checked as a whole, with every problem reported,
 * before a single row is written.
 */
#include "domain/rules.h"
#include "core/datafile.h"
#include "core/date.h"
#include "core/text.h"
#include "domain/audit.h"
#include "io/csv_write.h"
#include "io/validate.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define RULES_ARENA_CAP (64u * 1024 * 1024)

static const struct {
    const char *name;
    const char *zh;
    ind_subject subject;
} kinds[RULE_KIND_COUNT] = {
    [RULE_BATCH] = {"batch", "批次", IND_PROJECT},
    [RULE_PROJECT_WARNING] = {"project_warning", "项目预警", IND_PROJECT},
    [RULE_HOUSEHOLD_WARNING] = {"household_warning", "农户预警", IND_HOUSEHOLD},
};

const char *rules_kind_name(rule_kind kind)
{
    return kind < RULE_KIND_COUNT ? kinds[kind].name : "";
}

const char *rules_kind_zh(rule_kind kind)
{
    return kind < RULE_KIND_COUNT ? kinds[kind].zh : "";
}

ind_subject rules_kind_subject(rule_kind kind)
{
    return kind < RULE_KIND_COUNT ? kinds[kind].subject : IND_PROJECT;
}

static int kind_find(const char *text, size_t len)
{
    for (int k = 0; k < RULE_KIND_COUNT; k++)
        if ((strlen(kinds[k].name) == len && memcmp(kinds[k].name, text, len) == 0) ||
            (strlen(kinds[k].zh) == len && memcmp(kinds[k].zh, text, len) == 0))
            return k;
    return -1;
}

/* ---- batches --------------------------------------------------------------- */

bf_status rules_batches_load(bf_store *store, batch_table *out, bf_error *err)
{
    memset(out, 0, sizeof *out);
    out->fallback = -1;
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(
        store, "SELECT id, label, rank, is_fallback, candidate_only FROM batches ORDER BY rank, id",
        &stmt, err);
    while (rc == BF_OK) {
        bool has_row = false;
        rc = store_step(stmt, &has_row, err);
        if (rc || !has_row)
            break;
        if (out->count >= RULES_MAX_BATCHES) {
            rc = bf_error_set(err, BF_ERR_SCHEMA, "批次定义过多（最多 %d 个）", RULES_MAX_BATCHES);
            break;
        }
        batch_def *b = &out->items[out->count];
        snprintf(b->id, sizeof b->id, "%s", store_column_text(stmt, 0, NULL));
        snprintf(b->label, sizeof b->label, "%s", store_column_text(stmt, 1, NULL));
        b->rank = store_column_int64(stmt, 2);
        b->fallback = store_column_int64(stmt, 3) != 0;
        b->candidate_only = store_column_int64(stmt, 4) != 0;
        if (b->fallback && out->fallback < 0)
            out->fallback = (int)out->count;
        out->count++;
    }
    if (stmt)
        store_finalize(stmt);
    if (rc == BF_OK && (out->count == 0 || out->fallback < 0))
        rc = bf_error_set(err, BF_ERR_SCHEMA, "批次定义缺失或没有兜底批次（batches 表）");
    return rc;
}

int rules_batch_find(const batch_table *batches, const char *text, size_t len)
{
    for (size_t i = 0; i < batches->count; i++) {
        const batch_def *b = &batches->items[i];
        if ((strlen(b->id) == len && memcmp(b->id, text, len) == 0) ||
            (strlen(b->label) == len && memcmp(b->label, text, len) == 0))
            return (int)i;
    }
    return -1;
}

/* ---- sets in memory ---------------------------------------------------------- */

static rule_set *set_new(bf_error *err)
{
    bf_arena *arena = bf_arena_new(RULES_ARENA_CAP);
    if (!arena) {
        bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        return NULL;
    }
    rule_set *set = bf_arena_calloc(arena, 1, sizeof *set);
    rule *rules = set ? bf_arena_calloc(arena, RULES_MAX_RULES, sizeof *rules) : NULL;
    if (!rules) {
        bf_arena_free(arena);
        bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        return NULL;
    }
    set->arena = arena;
    set->rules = rules;
    return set;
}

void rules_set_free(rule_set *set)
{
    if (set)
        bf_arena_free(set->arena);
}

static int rule_cmp(const void *a, const void *b)
{
    const rule *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return strcmp(x->code, y->code);
}

/* Compile a rule's condition and template; problems go to fn. Returns the number of problems. */
static int compile_rule(rule_set *set, rule *r, rules_problem_fn fn, void *ctx)
{
    const rl_symtab *symtab = ind_symtab(rules_kind_subject(r->kind));
    int problems = 0;
    rl_diag diag;
    r->program = bf_arena_alloc(set->arena, sizeof *r->program);
    r->template_ = bf_arena_alloc(set->arena, sizeof *r->template_);
    if (!r->program || !r->template_) {
        rules_problem p = {r->row, r->code, "", "内存不足", NULL, NULL};
        fn(ctx, &p);
        return 1;
    }
    if (rl_compile(r->condition, strlen(r->condition), symtab, r->program, &diag) != BF_OK) {
        rules_problem p = {r->row, r->code, "条件", diag.msg, &diag, r->condition};
        fn(ctx, &p);
        problems++;
    }
    if (rl_template_compile(r->explanation, strlen(r->explanation), symtab, r->template_, &diag) !=
        BF_OK) {
        rules_problem p = {r->row, r->code, "说明", diag.msg, &diag, r->explanation};
        fn(ctx, &p);
        problems++;
    }
    return problems;
}

/* Checks across rules: unique codes, unique batch priorities, at least one batch rule. */
static int check_set(rule_set *set, rules_problem_fn fn, void *ctx)
{
    int problems = 0;
    size_t nbatch = 0;
    char msg[256];
    for (size_t i = 0; i < set->nrules; i++) {
        const rule *r = &set->rules[i];
        if (r->kind == RULE_BATCH)
            nbatch++;
        for (size_t j = 0; j < i; j++) {
            const rule *o = &set->rules[j];
            if (strcmp(o->code, r->code) == 0) {
                snprintf(msg, sizeof msg, "规则编号 %s 与第 %ld 行重复", r->code, o->row);
                rules_problem p = {r->row, r->code, "编号", msg, NULL, NULL};
                fn(ctx, &p);
                problems++;
            } else if (r->kind == RULE_BATCH && o->kind == RULE_BATCH &&
                       r->priority == o->priority) {
                snprintf(msg, sizeof msg,
                         "批次规则的优先级 %lld 与第 %ld 行（规则 %s）相同，先后无法确定",
                         (long long)r->priority, o->row, o->code);
                rules_problem p = {r->row, r->code, "优先级", msg, NULL, NULL};
                fn(ctx, &p);
                problems++;
            }
        }
    }
    if (set->nrules > 0 && nbatch == 0) {
        rules_problem p = {0, "", "", "规则集中没有任何批次规则", NULL, NULL};
        fn(ctx, &p);
        problems++;
    }
    return problems;
}

/* ---- reading a sheet ------------------------------------------------------- */

enum { C_YEAR, C_CODE, C_NAME, C_KIND, C_OUTCOME, C_PRIORITY, C_CONDITION, C_EXPLANATION, NCOL };

static const struct {
    const char *header;
    const char *alias;
    bool required;
} columns[NCOL] = {
    [C_YEAR] = {"年度", "year", false},          [C_CODE] = {"编号", "code", true},
    [C_NAME] = {"名称", "name", true},           [C_KIND] = {"类别", "kind", true},
    [C_OUTCOME] = {"结果", "outcome", true},     [C_PRIORITY] = {"优先级", "priority", true},
    [C_CONDITION] = {"条件", "condition", true}, [C_EXPLANATION] = {"说明", "explanation", true},
};

static int column_find(const char *text, size_t len)
{
    for (int c = 0; c < NCOL; c++)
        if ((strlen(columns[c].header) == len && memcmp(columns[c].header, text, len) == 0) ||
            (strlen(columns[c].alias) == len && memcmp(columns[c].alias, text, len) == 0))
            return c;
    return -1;
}

static void report(rules_problem_fn fn, void *ctx, long row, const char *code, int column,
                   const char *message)
{
    rules_problem p = {
        row, code ? code : "", column >= 0 ? columns[column].header : "", message, NULL, NULL};
    fn(ctx, &p);
}

static bool code_ok(const char *s, size_t len)
{
    if (len == 0 || len > RULES_MAX_CODE)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* One data row into set->rules[set->nrules]; returns the number of problems. */
static int read_rule_row(rule_set *set, const batch_table *batches, const bf_row *row,
                         const int *map, int64_t *year, rules_problem_fn fn, void *ctx)
{
    const char *text[NCOL];
    size_t len[NCOL];
    for (int c = 0; c < NCOL; c++) {
        text[c] = "";
        len[c] = 0;
        if (map[c] >= 0 && (size_t)map[c] < row->ncells)
            text[c] = bf_text_trim(row->cells[map[c]].text, row->cells[map[c]].len, &len[c]);
    }
    int problems = 0;
    char msg[256];
    rule *r = &set->rules[set->nrules];
    memset(r, 0, sizeof *r);
    r->row = row->number;
    r->code = bf_arena_strndup(set->arena, text[C_CODE], len[C_CODE]);
    if (!r->code)
        return report(fn, ctx, row->number, "", -1, "内存不足"), 1;
    for (int c = 0; c < NCOL; c++)
        if (columns[c].required && len[c] == 0) {
            report(fn, ctx, row->number, r->code, c, "不能为空");
            problems++;
        }
    if (problems)
        return problems;
    if (!code_ok(text[C_CODE], len[C_CODE])) {
        snprintf(msg, sizeof msg, "规则编号只能由字母、数字和 - _ . 组成，最长 %d 个字符",
                 RULES_MAX_CODE);
        report(fn, ctx, row->number, r->code, C_CODE, msg);
        problems++;
    }
    if (len[C_YEAR] > 0) {
        int64_t y;
        const char *reason = NULL;
        if (!bf_int_parse(text[C_YEAR], len[C_YEAR], 2000, 2100, &y, &reason)) {
            snprintf(msg, sizeof msg, "年度“%.*s”无效：%s", (int)len[C_YEAR], text[C_YEAR],
                     reason ? reason : "");
            report(fn, ctx, row->number, r->code, C_YEAR, msg);
            problems++;
        } else if (*year == 0) {
            *year = y;
        } else if (*year != y) {
            snprintf(msg, sizeof msg,
                     "年度 %lld 与规则集的年度 %lld 不一致（一个文件只能有一个年度）", (long long)y,
                     (long long)*year);
            report(fn, ctx, row->number, r->code, C_YEAR, msg);
            problems++;
        }
    }
    if (len[C_NAME] > RULES_MAX_NAME) {
        report(fn, ctx, row->number, r->code, C_NAME, "名称过长");
        problems++;
    }
    int kind = kind_find(text[C_KIND], len[C_KIND]);
    if (kind < 0) {
        snprintf(msg, sizeof msg, "类别“%.*s”无效，应为 批次、项目预警 或 农户预警",
                 (int)len[C_KIND], text[C_KIND]);
        report(fn, ctx, row->number, r->code, C_KIND, msg);
        problems++;
    }
    r->kind = kind < 0 ? RULE_BATCH : (rule_kind)kind;
    if (kind == RULE_BATCH) {
        int b = rules_batch_find(batches, text[C_OUTCOME], len[C_OUTCOME]);
        if (b < 0) {
            size_t used = 0;
            char allowed[160] = "";
            for (size_t i = 0; i < batches->count && used < sizeof allowed; i++) {
                int w = snprintf(allowed + used, sizeof allowed - used, "%s%s", i ? "、" : "",
                                 batches->items[i].label);
                if (w < 0)
                    break;
                used += (size_t)w;
            }
            snprintf(msg, sizeof msg, "批次“%.*s”无效，应为 %s", (int)len[C_OUTCOME],
                     text[C_OUTCOME], allowed);
            report(fn, ctx, row->number, r->code, C_OUTCOME, msg);
            problems++;
        } else {
            r->outcome = batches->items[b].id;
        }
    } else if (len[C_OUTCOME] > RULES_MAX_OUTCOME) {
        report(fn, ctx, row->number, r->code, C_OUTCOME, "预警类型过长");
        problems++;
    }
    const char *reason = NULL;
    if (!bf_int_parse(text[C_PRIORITY], len[C_PRIORITY], 1, 1000000, &r->priority, &reason)) {
        snprintf(msg, sizeof msg, "优先级应为 1 至 1000000 的整数（%s）", reason ? reason : "");
        report(fn, ctx, row->number, r->code, C_PRIORITY, msg);
        problems++;
    }
    r->name = bf_arena_strndup(set->arena, text[C_NAME], len[C_NAME]);
    if (!r->outcome)
        r->outcome = bf_arena_strndup(set->arena, text[C_OUTCOME], len[C_OUTCOME]);
    r->condition = bf_arena_strndup(set->arena, text[C_CONDITION], len[C_CONDITION]);
    r->explanation = bf_arena_strndup(set->arena, text[C_EXPLANATION], len[C_EXPLANATION]);
    if (!r->name || !r->outcome || !r->condition || !r->explanation)
        return report(fn, ctx, row->number, r->code, -1, "内存不足"), problems + 1;
    if (kind >= 0)
        problems += compile_rule(set, r, fn, ctx);
    return problems;
}

bf_status rules_read_sheet(bf_sheet *sheet, const batch_table *batches, int64_t year,
                           rules_problem_fn fn, void *ctx, rule_set **out, bf_error *err)
{
    *out = NULL;
    rule_set *set = set_new(err);
    if (!set)
        return BF_ERR_NOMEM;
    int map[NCOL];
    for (int c = 0; c < NCOL; c++)
        map[c] = -1;
    bool header_done = false;
    int problems = 0;
    int64_t file_year = 0;
    bf_status rc = BF_OK;
    char msg[256];
    for (;;) {
        bf_row row;
        bool has_row = false;
        rc = bf_sheet_next(sheet, &row, &has_row, err);
        if (rc || !has_row)
            break;
        bool empty = true;
        for (size_t i = 0; i < row.ncells && empty; i++) {
            size_t l;
            bf_text_trim(row.cells[i].text, row.cells[i].len, &l);
            empty = l == 0;
        }
        if (empty)
            continue;
        if (!header_done) {
            header_done = true;
            for (size_t i = 0; i < row.ncells; i++) {
                size_t l;
                const char *h = bf_text_trim(row.cells[i].text, row.cells[i].len, &l);
                int c = column_find(h, l);
                if (c >= 0 && map[c] < 0) {
                    map[c] = (int)i;
                } else if (l > 0) {
                    snprintf(msg, sizeof msg, "无法识别的列“%.*s”（或重复的列）", (int)l, h);
                    report(fn, ctx, row.number, "", -1, msg);
                    problems++;
                }
            }
            for (int c = 0; c < NCOL; c++)
                if (columns[c].required && map[c] < 0) {
                    snprintf(msg, sizeof msg, "缺少列“%s”（%s）", columns[c].header,
                             columns[c].alias);
                    report(fn, ctx, row.number, "", -1, msg);
                    problems++;
                }
            if (year <= 0 && map[C_YEAR] < 0) {
                report(fn, ctx, row.number, "", -1, "缺少列“年度”，或请用 --year 指定年度");
                problems++;
            }
            if (problems)
                break;
            continue;
        }
        if (set->nrules >= RULES_MAX_RULES) {
            snprintf(msg, sizeof msg, "规则过多（一个规则集最多 %d 条）", RULES_MAX_RULES);
            report(fn, ctx, row.number, "", -1, msg);
            problems++;
            break;
        }
        int64_t row_year = year > 0 ? year : file_year;
        problems += read_rule_row(set, batches, &row, map, &row_year, fn, ctx);
        if (year <= 0)
            file_year = row_year;
        set->nrules++;
    }
    if (rc == BF_OK && !header_done) {
        report(fn, ctx, 0, "", -1, "文件为空");
        problems++;
    } else if (rc == BF_OK && problems == 0 && set->nrules == 0) {
        report(fn, ctx, 0, "", -1, "文件中没有任何规则");
        problems++;
    }
    if (rc == BF_OK && problems == 0)
        problems += check_set(set, fn, ctx);
    if (rc == BF_OK && problems)
        rc = bf_error_set(err, BF_ERR_INVALID, "规则集有 %d 处错误，未保存", problems);
    if (rc) {
        rules_set_free(set);
        return rc;
    }
    set->year = year > 0 ? year : file_year;
    qsort(set->rules, set->nrules, sizeof *set->rules, rule_cmp);
    *out = set;
    return BF_OK;
}

/* ---- saving and loading ------------------------------------------------------- */

bf_status rules_save(bf_store *store, rule_set *set, const char *source, const char *note,
                     const char *actor, bf_error *err)
{
    if (!actor || !actor[0])
        return bf_error_set(err, BF_ERR_INVALID, "请注明操作人");
    bf_stmt *stmt = NULL;
    int64_t version = 0, now = bf_time_now();
    char year_text[24];
    snprintf(year_text, sizeof year_text, "%lld", (long long)set->year);
    bf_status rc = store_begin(store, err);
    if (rc)
        return rc;
    rc = store_query_int64(store,
                           "SELECT COALESCE(MAX(version), 0) + 1 FROM rule_sets WHERE year = ?",
                           &version, err, 1, year_text);
    if (rc == BF_OK)
        rc = store_prepare(store,
                           "INSERT INTO rule_sets (year, version, source, note, created_by, "
                           "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           &stmt, err);
    if (rc == BF_OK) {
        store_bind_int64(stmt, 1, set->year);
        store_bind_int64(stmt, 2, version);
        store_bind_str(stmt, 3, source ? source : "");
        store_bind_str(stmt, 4, note && note[0] ? note : NULL);
        store_bind_str(stmt, 5, actor);
        store_bind_int64(stmt, 6, now);
        rc = store_step_done(stmt, err);
        store_finalize(stmt);
        stmt = NULL;
    }
    int64_t id = 0;
    if (rc == BF_OK) {
        char version_text[24];
        snprintf(version_text, sizeof version_text, "%lld", (long long)version);
        rc = store_query_int64(store, "SELECT id FROM rule_sets WHERE year = ? AND version = ?",
                               &id, err, 2, year_text, version_text);
    }
    if (rc == BF_OK)
        rc = store_prepare(store,
                           "INSERT INTO rules (rule_set_id, code, name, kind, outcome, priority, "
                           "condition_text, explanation) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           &stmt, err);
    for (size_t i = 0; rc == BF_OK && i < set->nrules; i++) {
        const rule *r = &set->rules[i];
        store_bind_int64(stmt, 1, id);
        store_bind_str(stmt, 2, r->code);
        store_bind_str(stmt, 3, r->name);
        store_bind_str(stmt, 4, rules_kind_name(r->kind));
        store_bind_str(stmt, 5, r->outcome);
        store_bind_int64(stmt, 6, r->priority);
        store_bind_str(stmt, 7, r->condition);
        store_bind_str(stmt, 8, r->explanation);
        rc = store_step_done(stmt, err);
        store_reset(stmt);
    }
    if (stmt)
        store_finalize(stmt);
    if (rc == BF_OK) {
        char key[48];
        snprintf(key, sizeof key, "%lld/%lld", (long long)set->year, (long long)version);
        json_t *obj =
            json_pack("{s:I, s:I, s:s, s:s?, s:I}", "year", (json_int_t)set->year, "version",
                      (json_int_t)version, "source", source ? source : "", "note",
                      note && note[0] ? note : NULL, "rules", (json_int_t)set->nrules);
        char *after = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(obj);
        audit_entry e = {actor, "", "import", "rule_set", key, NULL, after};
        rc = after ? audit_append(store, &e, NULL, err)
                   : bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        free(after);
    }
    if (rc == BF_OK)
        rc = store_commit(store, err);
    else
        store_rollback(store);
    if (rc == BF_OK) {
        set->id = id;
        set->version = version;
        set->created_at = now;
        set->source = bf_arena_strdup(set->arena, source ? source : "");
        set->note = note ? bf_arena_strdup(set->arena, note) : NULL;
        set->created_by = bf_arena_strdup(set->arena, actor);
    }
    return rc;
}

static void collect_problem(void *ctx, const rules_problem *problem)
{
    /* Problems of a stored rule: keep the first as the error message. */
    bf_error *err = ctx;
    if (err->msg[0] == '\0')
        bf_error_set(err, BF_ERR_INVALID, "规则 %s 的%s有误（第 %zu 个字符）：%s",
                     problem->rule_code, problem->column,
                     problem->diag ? problem->diag->column : (size_t)0, problem->message);
}

bf_status rules_load_id(bf_store *store, int64_t id, rule_set **out, bf_error *err)
{
    *out = NULL;
    rule_set *set = set_new(err);
    if (!set)
        return BF_ERR_NOMEM;
    bf_stmt *stmt = NULL;
    bool has_row = false;
    bf_status rc = store_prepare(store,
                                 "SELECT year, version, source, COALESCE(note, ''), created_by, "
                                 "created_at FROM rule_sets WHERE id = ?",
                                 &stmt, err);
    if (rc == BF_OK) {
        store_bind_int64(stmt, 1, id);
        rc = store_step(stmt, &has_row, err);
    }
    if (rc == BF_OK && !has_row)
        rc = bf_error_set(err, BF_ERR_NOT_FOUND, "规则集不存在（编号 %lld）", (long long)id);
    if (rc == BF_OK) {
        set->id = id;
        set->year = store_column_int64(stmt, 0);
        set->version = store_column_int64(stmt, 1);
        set->source = bf_arena_strdup(set->arena, store_column_text(stmt, 2, NULL));
        set->note = bf_arena_strdup(set->arena, store_column_text(stmt, 3, NULL));
        set->created_by = bf_arena_strdup(set->arena, store_column_text(stmt, 4, NULL));
        set->created_at = store_column_int64(stmt, 5);
        if (!set->source || !set->note || !set->created_by)
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    if (stmt)
        store_finalize(stmt);
    stmt = NULL;
    if (rc == BF_OK)
        rc = store_prepare(store,
                           "SELECT code, name, kind, outcome, priority, condition_text, "
                           "explanation FROM rules WHERE rule_set_id = ?",
                           &stmt, err);
    if (rc == BF_OK)
        store_bind_int64(stmt, 1, id);
    bf_error compile_err;
    bf_error_clear(&compile_err);
    while (rc == BF_OK) {
        rc = store_step(stmt, &has_row, err);
        if (rc || !has_row)
            break;
        if (set->nrules >= RULES_MAX_RULES) {
            rc = bf_error_set(err, BF_ERR_TOO_LARGE, "规则集中的规则过多");
            break;
        }
        rule *r = &set->rules[set->nrules];
        memset(r, 0, sizeof *r);
        r->code = bf_arena_strdup(set->arena, store_column_text(stmt, 0, NULL));
        r->name = bf_arena_strdup(set->arena, store_column_text(stmt, 1, NULL));
        size_t kind_len;
        const char *kind_text = store_column_text(stmt, 2, &kind_len);
        int kind = kind_find(kind_text, kind_len);
        r->outcome = bf_arena_strdup(set->arena, store_column_text(stmt, 3, NULL));
        r->priority = store_column_int64(stmt, 4);
        r->condition = bf_arena_strdup(set->arena, store_column_text(stmt, 5, NULL));
        r->explanation = bf_arena_strdup(set->arena, store_column_text(stmt, 6, NULL));
        if (!r->code || !r->name || !r->outcome || !r->condition || !r->explanation) {
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
            break;
        }
        if (kind < 0) {
            rc = bf_error_set(err, BF_ERR_SCHEMA, "规则 %s 的类别 %s 无效", r->code, kind_text);
            break;
        }
        r->kind = (rule_kind)kind;
        set->nrules++;
        if (compile_rule(set, r, collect_problem, &compile_err) > 0) {
            rc = bf_error_set(err, BF_ERR_INVALID,
                              "%lld 年第 %lld 版规则集无法使用：%s。请导入修正后的规则集",
                              (long long)set->year, (long long)set->version, compile_err.msg);
            break;
        }
    }
    if (stmt)
        store_finalize(stmt);
    if (rc) {
        rules_set_free(set);
        return rc;
    }
    qsort(set->rules, set->nrules, sizeof *set->rules, rule_cmp);
    *out = set;
    return BF_OK;
}

bf_status rules_load_for_year(bf_store *store, int64_t year, rule_set **out, bf_error *err)
{
    *out = NULL;
    int64_t id = 0;
    char year_text[24];
    snprintf(year_text, sizeof year_text, "%lld", (long long)year);
    bf_status rc =
        store_query_int64(store,
                          "SELECT id FROM rule_sets WHERE year = (SELECT COALESCE(MAX(year), "
                          "(SELECT MIN(year) FROM rule_sets)) FROM rule_sets WHERE year <= ?) "
                          "ORDER BY version DESC LIMIT 1",
                          &id, err, 1, year_text);
    if (rc)
        return rc;
    if (id == 0)
        return bf_error_set(err, BF_ERR_NOT_FOUND,
                            "数据库中还没有规则集，请运行 bangfu migrate 安装默认规则或导入规则集");
    return rules_load_id(store, id, out, err);
}

bf_status rules_load_version(bf_store *store, int64_t year, int64_t version, rule_set **out,
                             bf_error *err)
{
    *out = NULL;
    int64_t id = 0;
    char year_text[24], version_text[24];
    snprintf(year_text, sizeof year_text, "%lld", (long long)year);
    snprintf(version_text, sizeof version_text, "%lld", (long long)version);
    bf_status rc = store_query_int64(store,
                                     "SELECT id FROM rule_sets WHERE year = ? AND (? = 0 OR "
                                     "version = ?) ORDER BY version DESC LIMIT 1",
                                     &id, err, 3, year_text, version_text, version_text);
    if (rc)
        return rc;
    if (id == 0) {
        if (version > 0)
            return bf_error_set(err, BF_ERR_NOT_FOUND, "%lld 年没有第 %lld 版规则集",
                                (long long)year, (long long)version);
        return bf_error_set(err, BF_ERR_NOT_FOUND, "%lld 年没有单独的规则集", (long long)year);
    }
    return rules_load_id(store, id, out, err);
}

/* ---- import ------------------------------------------------------------------ */

static bf_status import_sheet(bf_store *store, bf_sheet *sheet, const rules_import_options *options,
                              rules_problem_fn fn, void *ctx, rule_set **out, bf_error *err)
{
    batch_table batches;
    rule_set *set = NULL;
    bf_status rc = rules_batches_load(store, &batches, err);
    if (rc == BF_OK)
        rc = rules_read_sheet(sheet, &batches, options->year, fn, ctx, &set, err);
    if (rc == BF_OK && !options->dry_run)
        rc = rules_save(store, set, options->source, options->note, options->actor, err);
    if (rc == BF_OK && out)
        *out = set;
    else
        rules_set_free(set);
    return rc;
}

bf_status rules_import_file(bf_store *store, const char *path, const rules_import_options *options,
                            rules_problem_fn fn, void *ctx, rule_set **out, bf_error *err)
{
    if (out)
        *out = NULL;
    bf_sheet *sheet = NULL;
    bf_status rc = bf_sheet_open(path, NULL, &sheet, err);
    if (rc)
        return rc;
    rc = import_sheet(store, sheet, options, fn, ctx, out, err);
    bf_sheet_close(sheet);
    return rc;
}

bf_status rules_import_mem(bf_store *store, const void *data, size_t len,
                           const rules_import_options *options, rules_problem_fn fn, void *ctx,
                           rule_set **out, bf_error *err)
{
    if (out)
        *out = NULL;
    bf_sheet *sheet = NULL;
    bf_status rc = bf_sheet_open_mem(data, len, NULL, &sheet, err);
    if (rc)
        return rc;
    rc = import_sheet(store, sheet, options, fn, ctx, out, err);
    bf_sheet_close(sheet);
    return rc;
}

/* ---- export -------------------------------------------------------------------- */

bf_status rules_write_csv(const rule_set *set, const batch_table *batches, bool aliases, FILE *fp,
                          bf_error *err)
{
    const char *fields[NCOL];
    for (int c = 0; c < NCOL; c++)
        fields[c] = aliases ? columns[c].alias : columns[c].header;
    bf_status rc = csv_write_bom(fp);
    if (rc == BF_OK)
        rc = csv_write_row(fp, fields, NULL, NCOL);
    char year_text[24], priority_text[24];
    snprintf(year_text, sizeof year_text, "%lld", (long long)set->year);
    for (size_t i = 0; rc == BF_OK && i < set->nrules; i++) {
        const rule *r = &set->rules[i];
        snprintf(priority_text, sizeof priority_text, "%lld", (long long)r->priority);
        const char *outcome = r->outcome;
        if (r->kind == RULE_BATCH) {
            int b = rules_batch_find(batches, r->outcome, strlen(r->outcome));
            if (b >= 0)
                outcome = batches->items[b].label;
        }
        fields[C_YEAR] = year_text;
        fields[C_CODE] = r->code;
        fields[C_NAME] = r->name;
        fields[C_KIND] = aliases ? rules_kind_name(r->kind) : rules_kind_zh(r->kind);
        fields[C_OUTCOME] = outcome;
        fields[C_PRIORITY] = priority_text;
        fields[C_CONDITION] = r->condition;
        fields[C_EXPLANATION] = r->explanation;
        rc = csv_write_row(fp, fields, NULL, NCOL);
    }
    if (rc == BF_OK && fflush(fp) != 0)
        rc = BF_ERR_IO;
    if (rc)
        return bf_error_set(err, rc, "写出规则集失败");
    return BF_OK;
}

/* ---- default set ------------------------------------------------------------------ */

static void default_problem(void *ctx, const rules_problem *problem)
{
    bf_error *err = ctx;
    if (err->msg[0] == '\0')
        bf_error_set(err, BF_ERR_INTERNAL, "内置默认规则有误（第 %ld 行 %s %s）：%s", problem->row,
                     problem->rule_code, problem->column, problem->message);
}

bf_status rules_install_default(bf_store *store, bf_error *err)
{
    int64_t count = 0;
    bf_status rc = store_query_int64(store, "SELECT COUNT(*) FROM rule_sets", &count, err, 0);
    if (rc || count > 0)
        return rc;
    const bf_datafile *file = bf_datafile_find("default_rules.csv");
    if (!file)
        return bf_error_set(err, BF_ERR_INTERNAL, "程序中缺少内置默认规则 default_rules.csv");
    rules_import_options options = {
        .year = 0, .source = "default", .note = "DESIGN.md §3 默认规则", .actor = "bangfu init"};
    bf_error problem;
    bf_error_clear(&problem);
    rc = rules_import_mem(store, file->data, file->size, &options, default_problem, &problem, NULL,
                          err);
    if (rc && problem.msg[0])
        *err = problem;
    return rc;
}

/* ---- listing ---------------------------------------------------------------------- */

bf_status rules_list_sets(bf_store *store, int64_t year, rules_set_fn fn, void *ctx, bf_error *err)
{
    static const char sql[] =
        "SELECT s.id, s.year, s.version, s.source, COALESCE(s.note, ''), s.created_by, "
        "s.created_at, (SELECT COUNT(*) FROM rules r WHERE r.rule_set_id = s.id), "
        "(SELECT MAX(s2.version) FROM rule_sets s2 WHERE s2.year = s.year) "
        "FROM rule_sets s WHERE (? = 0 OR s.year = ?) ORDER BY s.year, s.version";
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(store, sql, &stmt, err);
    if (rc == BF_OK) {
        store_bind_int64(stmt, 1, year);
        store_bind_int64(stmt, 2, year);
    }
    while (rc == BF_OK) {
        bool has_row = false;
        rc = store_step(stmt, &has_row, err);
        if (rc || !has_row)
            break;
        rules_set_info info = {
            .id = store_column_int64(stmt, 0),
            .year = store_column_int64(stmt, 1),
            .version = store_column_int64(stmt, 2),
            .source = store_column_text(stmt, 3, NULL),
            .note = store_column_text(stmt, 4, NULL),
            .created_by = store_column_text(stmt, 5, NULL),
            .created_at = store_column_int64(stmt, 6),
            .nrules = store_column_int64(stmt, 7),
        };
        info.latest = info.version == store_column_int64(stmt, 8);
        rc = fn(ctx, &info, err);
    }
    if (stmt)
        store_finalize(stmt);
    return rc;
}
