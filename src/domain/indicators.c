/*
 * indicators.c - the indicator tables and their computation from the
 * registries (see indicators.h).
 *
 * Each scan opens one driver query (projects or households, ordered by code)
 * and a few secondary queries ordered by the same code (yearly records,
 * assets; incomes, benefits). Every secondary row belongs to a driver row
 * (foreign keys, and the same scope filter), and both come from the same
 * database ordered by the same column, so the merge only ever needs to test
 * keys for equality: it consumes the secondary rows whose key equals the
 * current driver row's. That holds whatever collation the database uses. A
 * secondary row left over at the end means that assumption broke, which is
 * reported rather than silently ignored.
 */
#include "domain/indicators.h"
#include "domain/codemap.h"
#include "io/validate.h"
#include "store/store_pg.h"

#include <stdlib.h>
#include <string.h>

/* ---- symbol tables ---------------------------------------------------------- */

static const rl_symbol project_symbols[IND_P_COUNT] = {
    [IND_P_YEAR] = {"year", "年度", RL_NUM, RL_UNIT_PLAIN, "", NULL},
    [IND_P_MONTHS_IDLE] = {"months_idle", "闲置月数", RL_NUM, RL_UNIT_PLAIN, "个月", NULL},
    [IND_P_LOSS_YEARS] = {"loss_years_in_row", "连续亏损年数", RL_NUM, RL_UNIT_PLAIN, "年", NULL},
    [IND_P_INCOME] = {"collective_income", "村集体收益", RL_NUM, RL_UNIT_FEN, "元", NULL},
    [IND_P_INCOME_PREV] = {"collective_income_prev", "上年村集体收益", RL_NUM, RL_UNIT_FEN, "元",
                           NULL},
    [IND_P_INCOME_CHANGE] = {"income_change_pct", "收益变化率", RL_NUM, RL_UNIT_PLAIN, "%", NULL},
    [IND_P_INVESTMENT] = {"investment", "总投资", RL_NUM, RL_UNIT_FEN, "元", NULL},
    [IND_P_RETURN] = {"return_pct", "收益率", RL_NUM, RL_UNIT_PLAIN, "%", NULL},
    [IND_P_BOOK_RATIO] = {"book_ratio_pct", "账面价值率", RL_NUM, RL_UNIT_PLAIN, "%", NULL},
    [IND_P_ASSETS] = {"asset_count", "资产数", RL_NUM, RL_UNIT_PLAIN, "项", NULL},
    [IND_P_HOUSEHOLDS] = {"households_benefited", "带动户数", RL_NUM, RL_UNIT_PLAIN, "户", NULL},
    [IND_P_HOUSEHOLDS_PREV] = {"households_benefited_prev", "上年带动户数", RL_NUM, RL_UNIT_PLAIN,
                               "户", NULL},
    [IND_P_POOR_HOUSEHOLDS] = {"poor_households_benefited", "带动脱贫户和监测户数", RL_NUM,
                               RL_UNIT_PLAIN, "户", NULL},
    [IND_P_JOBS] = {"jobs", "带动就业人数", RL_NUM, RL_UNIT_PLAIN, "人", NULL},
    [IND_P_REVENUE] = {"revenue", "营业收入", RL_NUM, RL_UNIT_FEN, "元", NULL},
    [IND_P_PROFIT] = {"profit", "利润", RL_NUM, RL_UNIT_FEN, "元", NULL},
    [IND_P_YEARS_OPERATING] = {"years_operating", "运营年数", RL_NUM, RL_UNIT_PLAIN, "年", NULL},
    [IND_P_HAS_RECORD] = {"has_year_record", "当年已填报", RL_BOOL, RL_UNIT_PLAIN, "", NULL},
    [IND_P_STATUS] = {"status", "项目状态", RL_ENUM, RL_UNIT_PLAIN, "", tpl_project_statuses},
    [IND_P_SECTOR] = {"sector", "产业类型", RL_ENUM, RL_UNIT_PLAIN, "", tpl_sectors},
    [IND_P_MODE] = {"operation_mode", "经营模式", RL_ENUM, RL_UNIT_PLAIN, "", tpl_operation_modes},
    [IND_P_PV_CAPACITY] = {"pv_capacity_kw", "光伏装机容量", RL_NUM, RL_UNIT_PLAIN, "千瓦", NULL},
    [IND_P_KWH_PER_KW] = {"kwh_per_kw", "单位装机发电量", RL_NUM, RL_UNIT_PLAIN, "千瓦时/千瓦",
                          NULL},
};

static const char *const project_sources[IND_P_COUNT] = {
    [IND_P_YEAR] = "the year classified",
    [IND_P_MONTHS_IDLE] = "longest idle spell up to the cutoff: the project's idle_since when its "
                          "status is idle or stopped, and the idle_since of any operating asset "
                          "whose state is idle",
    [IND_P_LOSS_YEARS] = "consecutive yearly records ending in the year with profit < 0 (a "
                         "missing year breaks the run)",
    [IND_P_INCOME] = "project_years.collective_income of the year (0 without a record)",
    [IND_P_INCOME_PREV] = "project_years.collective_income of the year before (0 without a record)",
    [IND_P_INCOME_CHANGE] = "(collective_income - collective_income_prev) / "
                            "collective_income_prev x 100; unknown when the previous year is 0",
    [IND_P_INVESTMENT] = "projects.investment",
    [IND_P_RETURN] = "collective_income / investment x 100; unknown when investment is 0",
    [IND_P_BOOK_RATIO] = "sum of straight-line book values / sum of original values x 100 over "
                         "the assets held at the cutoff; unknown without assets",
    [IND_P_ASSETS] = "assets held at the cutoff (acquired by then, not disposed)",
    [IND_P_HOUSEHOLDS] = "project_years.households_benefited of the year",
    [IND_P_HOUSEHOLDS_PREV] = "project_years.households_benefited of the year before",
    [IND_P_POOR_HOUSEHOLDS] = "project_years.poor_households_benefited of the year",
    [IND_P_JOBS] = "project_years.jobs of the year",
    [IND_P_REVENUE] = "project_years.revenue of the year",
    [IND_P_PROFIT] = "project_years.profit of the year",
    [IND_P_YEARS_OPERATING] = "year - projects.start_year + 1",
    [IND_P_HAS_RECORD] = "whether project_years has a record for the year",
    [IND_P_STATUS] = "projects.status",
    [IND_P_SECTOR] = "projects.sector",
    [IND_P_MODE] = "projects.operation_mode",
    [IND_P_PV_CAPACITY] = "sum of assets.capacity_w / 1000 over the assets held",
    [IND_P_KWH_PER_KW] = "project_years.generation_kwh / pv_capacity_kw; unknown without "
                         "capacity or generation",
};

static const rl_symbol household_symbols[IND_H_COUNT] = {
    [IND_H_YEAR] = {"year", "年度", RL_NUM, RL_UNIT_PLAIN, "", NULL},
    [IND_H_INCOME] = {"income_per_capita", "人均纯收入", RL_NUM, RL_UNIT_FEN, "元", NULL},
    [IND_H_INCOME_PREV] = {"income_per_capita_prev", "上年人均纯收入", RL_NUM, RL_UNIT_FEN, "元",
                           NULL},
    [IND_H_INCOME_CHANGE] = {"income_change_pct", "收入变化率", RL_NUM, RL_UNIT_PLAIN, "%", NULL},
    [IND_H_THRESHOLD] = {"threshold", "监测范围", RL_NUM, RL_UNIT_FEN, "元", NULL},
    [IND_H_KIND] = {"kind", "户类型", RL_ENUM, RL_UNIT_PLAIN, "", tpl_household_kinds},
    [IND_H_RISK] = {"risk_status", "风险状态", RL_ENUM, RL_UNIT_PLAIN, "", tpl_risk_statuses},
    [IND_H_SIZE] = {"household_size", "家庭人口", RL_NUM, RL_UNIT_PLAIN, "人", NULL},
    [IND_H_LINKED] = {"linked_projects", "联结项目数", RL_NUM, RL_UNIT_PLAIN, "个", NULL},
    [IND_H_LINKED_FAILED] = {"linked_project_failed", "联结项目失败", RL_BOOL, RL_UNIT_PLAIN, "",
                             NULL},
    [IND_H_LINKED_IDLE] = {"linked_project_months_idle", "联结项目最长闲置月数", RL_NUM,
                           RL_UNIT_PLAIN, "个月", NULL},
};

static const char *const household_sources[IND_H_COUNT] = {
    [IND_H_YEAR] = "the year classified",
    [IND_H_INCOME] = "household_years.income_per_capita of the year; unknown without a record",
    [IND_H_INCOME_PREV] = "household_years.income_per_capita of the year before",
    [IND_H_INCOME_CHANGE] = "(income_per_capita - income_per_capita_prev) / "
                            "income_per_capita_prev x 100; unknown without both years",
    [IND_H_THRESHOLD] = "the year's monitoring threshold of the closest enclosing region "
                        "(bangfu thresholds); unknown if none is set",
    [IND_H_KIND] = "households.kind",
    [IND_H_RISK] = "households.risk_status",
    [IND_H_SIZE] = "households.size",
    [IND_H_LINKED] = "distinct projects in benefits for the household",
    [IND_H_LINKED_FAILED] = "a linked project is stopped, idle for 6 months or more, or in a "
                            "termination case (the county's decision standing at the year is "
                            "the candidate-only batch, 另起炉灶)",
    [IND_H_LINKED_IDLE] = "the longest months_idle among the linked projects",
};

static const rl_symtab symtabs[2] = {
    {project_symbols, IND_P_COUNT},
    {household_symbols, IND_H_COUNT},
};

const rl_symtab *ind_symtab(ind_subject subject)
{
    return &symtabs[subject == IND_HOUSEHOLD];
}

const char *ind_source(ind_subject subject, int index)
{
    if (subject == IND_HOUSEHOLD)
        return index >= 0 && index < IND_H_COUNT ? household_sources[index] : "";
    return index >= 0 && index < IND_P_COUNT ? project_sources[index] : "";
}

const char *ind_subject_name(ind_subject subject)
{
    return subject == IND_HOUSEHOLD ? "household" : "project";
}

const char *ind_subject_zh(ind_subject subject)
{
    return subject == IND_HOUSEHOLD ? "农户" : "项目";
}

/* ---- helpers ---------------------------------------------------------------- */

bf_date ind_cutoff(int64_t year)
{
    bf_date end = {(int)year, 12, 31};
    bf_date today = bf_date_today();
    return bf_date_cmp(today, end) < 0 ? today : end;
}

static bool parse_date(const char *text, size_t len, bf_date *out)
{
    if (!text || len == 0)
        return false;
    return bf_date_parse(text, len, out, NULL);
}

int64_t ind_idle_months(const char *idle_since, size_t len, bf_date cutoff)
{
    bf_date since;
    if (!parse_date(idle_since, len, &since) || bf_date_cmp(since, cutoff) > 0)
        return 0;
    int months = bf_date_months_between(since, cutoff);
    return months > 0 ? months : 0;
}

void ind_region_prefix(const char *code12, char out[13])
{
    static const size_t level_lengths[] = {2, 4, 6, 9, 12};
    size_t len = strnlen(code12, 12);
    size_t keep = len;
    for (size_t i = 0; i < sizeof level_lengths / sizeof level_lengths[0]; i++) {
        size_t l = level_lengths[i];
        if (l > len)
            break;
        bool zeros = true;
        for (size_t k = l; k < len && zeros; k++)
            zeros = code12[k] == '0';
        if (zeros) {
            keep = l;
            break;
        }
    }
    memcpy(out, code12, keep);
    out[keep] = '\0';
}

/* The closed range of 12-digit codes under a prefix. */
static void region_bounds(const char *prefix, char lo[13], char hi[13])
{
    size_t n = strnlen(prefix, 12);
    memcpy(lo, prefix, n);
    memcpy(hi, prefix, n);
    memset(lo + n, '0', 12 - n);
    memset(hi + n, '9', 12 - n);
    lo[12] = hi[12] = '\0';
}

static bool text_eq(const char *a, size_t alen, const char *b)
{
    return strlen(b) == alen && memcmp(a, b, alen) == 0;
}

/* ---- merge cursors ------------------------------------------------------------- */

/* A secondary query whose current row waits until the driver reaches its key.
 * The key points into the current row (valid until the cursor's statement
 * steps again): no copy of it per row. */
typedef struct {
    bf_stmt *stmt;
    bool has_row;
    const char *key;
    size_t key_len;
    const char *what; /* for the error message */
} cursor;

/* Longest key taken (a code is far shorter): a longer one is invalid data. */
#define CURSOR_KEY_MAX 71

static bf_status cursor_next(cursor *c, bf_error *err)
{
    bf_status rc = store_step(c->stmt, &c->has_row, err);
    if (rc)
        return rc;
    if (c->has_row) {
        size_t len = 0;
        const char *key = store_column_text(c->stmt, 0, &len);
        if (len > CURSOR_KEY_MAX)
            return bf_error_set(err, BF_ERR_INVALID, "%s中的编号过长：%.40s…", c->what, key);
        c->key = key ? key : "";
        c->key_len = len;
    }
    return BF_OK;
}

/* True when the cursor's current row belongs to the driver row `key`. */
static bool cursor_at(const cursor *c, const char *key, size_t len)
{
    return c->has_row && c->key_len == len && memcmp(key, c->key, len) == 0;
}

static bf_status cursor_check_done(const cursor *c, bf_error *err)
{
    if (c->has_row)
        return bf_error_set(err, BF_ERR_INTERNAL,
                            "%s中编号 %.*s 的记录未能与主表对应（数据排序不一致或缺少主记录）",
                            c->what, (int)c->key_len, c->key);
    return BF_OK;
}

/* The four shapes of a scan's scope, each with its own statements. Every
 * stream is read in its table's county key order, (county_code, code) or
 * (county_code, parent code, ...), so that the merge of a table with its
 * children walks the keys with no sort, and a scoped statement names the
 * county key (docs/scaling.md, "What the hot queries name"). */
typedef enum {
    SCOPE_ALL,      /* everything: the whole keys in order */
    SCOPE_CODE,     /* one subject: its county looked up by the national code */
    SCOPE_COUNTIES, /* whole counties (a county, a city, the province) */
    SCOPE_REGION,   /* a part of one county: the county plus the region range */
    SCOPE_SHAPES
} scope_shape;

/* The scope parameters, bound first in every statement in this order:
 * SCOPE_CODE the code (twice in a child's statement: the county's look-up,
 * then the parent code), SCOPE_COUNTIES the county range [clo, chi),
 * SCOPE_REGION the county clo and the closed region range [lo, hi]. */
typedef struct {
    scope_shape shape;
    const char *code;
    char lo[13], hi[13];
    char clo[7], chi[7];
} scope_binds;

bool ind_scope_counties(const char *prefix, char clo[7], char chi[7])
{
    char lo[13], hi[13];
    size_t n = strnlen(prefix, 12);
    memcpy(lo, prefix, n);
    memset(lo + n, '0', 12 - n);
    lo[12] = '\0';
    memcpy(hi, lo, 13);
    /* [lo, hi): hi is the prefix plus one at its last digit, carrying left */
    size_t i = n;
    bool carried = true;
    while (i > 0 && carried) {
        i--;
        carried = hi[i] == '9';
        hi[i] = carried ? '0' : (char)(hi[i] + 1);
    }
    if (carried || n == 0)
        memset(hi, '9', 12); /* the end of the code space */
    bool aligned = false;
    bf_region_range_counties(lo, hi, clo, chi, &aligned);
    return aligned;
}

static void scope_prepare(const ind_scope *scope, scope_binds *b)
{
    memset(b, 0, sizeof *b);
    b->code = scope->code;
    b->shape = SCOPE_ALL;
    if (scope->code) {
        b->shape = SCOPE_CODE;
    } else if (scope->region_prefix && scope->region_prefix[0]) {
        region_bounds(scope->region_prefix, b->lo, b->hi);
        b->shape = ind_scope_counties(scope->region_prefix, b->clo, b->chi) ? SCOPE_COUNTIES
                                                                            : SCOPE_REGION;
    }
}

/* Bind the scope parameters from *index on; child: a child table's statement
 * (SCOPE_CODE binds the code for the county's look-up and the parent code). */
static bf_status scope_bind(bf_stmt *stmt, const scope_binds *b, bool child, int *index)
{
    bf_status rc = BF_OK;
    switch (b->shape) {
    case SCOPE_CODE:
        rc = store_bind_str(stmt, (*index)++, b->code);
        if (rc == BF_OK && child)
            rc = store_bind_str(stmt, (*index)++, b->code);
        break;
    case SCOPE_COUNTIES:
        rc = store_bind_str(stmt, (*index)++, b->clo);
        if (rc == BF_OK)
            rc = store_bind_str(stmt, (*index)++, b->chi);
        break;
    case SCOPE_REGION:
        rc = store_bind_str(stmt, (*index)++, b->clo);
        if (rc == BF_OK)
            rc = store_bind_str(stmt, (*index)++, b->lo);
        if (rc == BF_OK)
            rc = store_bind_str(stmt, (*index)++, b->hi);
        break;
    default:
        break;
    }
    return rc;
}

/* ---- projects ---------------------------------------------------------------- */

#define PROJECT_COLUMNS                                                                            \
    "code, name, region_code, sector, operation_mode, status, idle_since, start_year, investment"

static const char *const project_driver_sql[SCOPE_SHAPES] = {
    [SCOPE_ALL] = "SELECT " PROJECT_COLUMNS " FROM projects ORDER BY county_code, code",
    [SCOPE_CODE] = "SELECT " PROJECT_COLUMNS " FROM projects WHERE code = ?",
    [SCOPE_COUNTIES] = "SELECT " PROJECT_COLUMNS " FROM projects "
                       "WHERE county_code >= ? AND county_code < ? ORDER BY county_code, code",
    [SCOPE_REGION] = "SELECT " PROJECT_COLUMNS " FROM projects "
                     "WHERE county_code = ? AND region_code BETWEEN ? AND ? "
                     "ORDER BY county_code, code",
};

/* The years up to the scan's year (bound after the scope). */
#define YEAR_COLUMNS(t)                                                                            \
    t "project_code, " t "year, " t "profit, " t "collective_income, " t                           \
      "households_benefited, " t "poor_households_benefited, " t "jobs, " t "generation_kwh, " t   \
      "revenue"

static const char *const project_years_sql[SCOPE_SHAPES] = {
    [SCOPE_ALL] = "SELECT " YEAR_COLUMNS("") " FROM project_years WHERE year <= ? "
                                             "ORDER BY county_code, project_code, year",
    [SCOPE_CODE] = "SELECT " YEAR_COLUMNS(
        "") " FROM project_years "
            "WHERE county_code = (SELECT county_code FROM projects WHERE code = ?) "
            "AND project_code = ? AND year <= ? ORDER BY year",
    [SCOPE_COUNTIES] =
        "SELECT " YEAR_COLUMNS("") " FROM project_years "
                                   "WHERE county_code >= ? AND county_code < ? AND year <= ? "
                                   "ORDER BY county_code, project_code, year",
    [SCOPE_REGION] = "SELECT " YEAR_COLUMNS(
        "y.") " FROM project_years y "
              "JOIN projects p ON p.county_code = y.county_code AND p.code = y.project_code "
              "WHERE y.county_code = ? AND p.region_code BETWEEN ? AND ? AND y.year <= ? "
              "ORDER BY y.county_code, y.project_code, y.year",
};

#define ASSET_COLUMNS(t)                                                                           \
    t "project_code, " t "nature, " t "state, " t "original_value, " t "acquired_on, " t           \
      "useful_life_years, " t "idle_since, " t "capacity_w"

/* assets_project (county_code, project_code); a project's assets in any order. */
static const char *const project_assets_sql[SCOPE_SHAPES] = {
    [SCOPE_ALL] = "SELECT " ASSET_COLUMNS("") " FROM assets ORDER BY county_code, project_code",
    [SCOPE_CODE] = "SELECT " ASSET_COLUMNS(
        "") " FROM assets "
            "WHERE county_code = (SELECT county_code FROM projects WHERE code = ?) "
            "AND project_code = ?",
    [SCOPE_COUNTIES] = "SELECT " ASSET_COLUMNS("") " FROM assets "
                                                   "WHERE county_code >= ? AND county_code < ? "
                                                   "ORDER BY county_code, project_code",
    [SCOPE_REGION] = "SELECT " ASSET_COLUMNS(
        "a.") " FROM assets a "
              "JOIN projects p ON p.county_code = a.county_code AND p.code = a.project_code "
              "WHERE a.county_code = ? AND p.region_code BETWEEN ? AND ? "
              "ORDER BY a.county_code, a.project_code",
};

typedef struct {
    bool has;
    int64_t profit, income, households, poor, jobs, revenue;
    bool has_generation;
    int64_t generation;
} year_record;

typedef struct {
    year_record cur, prev;
    int64_t last_year;
    int64_t loss_run;
} years_acc;

static void years_take(years_acc *acc, bf_stmt *stmt, int64_t year)
{
    int64_t y = store_column_int64(stmt, 1);
    int64_t profit = store_column_int64(stmt, 2);
    if (profit < 0)
        acc->loss_run = (acc->last_year != 0 && y == acc->last_year + 1) ? acc->loss_run + 1 : 1;
    else
        acc->loss_run = 0;
    acc->last_year = y;
    year_record *r = y == year ? &acc->cur : y == year - 1 ? &acc->prev : NULL;
    if (!r)
        return;
    r->has = true;
    r->profit = profit;
    r->income = store_column_int64(stmt, 3);
    r->households = store_column_int64(stmt, 4);
    r->poor = store_column_int64(stmt, 5);
    r->jobs = store_column_int64(stmt, 6);
    r->has_generation = !store_column_is_null(stmt, 7);
    r->generation = store_column_int64(stmt, 7);
    r->revenue = store_column_int64(stmt, 8);
}

typedef struct {
    int64_t count;
    int64_t original; /* fen */
    int64_t book;     /* fen */
    int64_t capacity_w;
    char idle_since[16]; /* earliest idle spell start among operating assets, "" if none */
} assets_acc;

static void assets_take(assets_acc *acc, bf_stmt *stmt, bf_date cutoff)
{
    size_t nature_len, state_len, acquired_len, idle_len;
    const char *nature = store_column_text(stmt, 1, &nature_len);
    const char *state = store_column_text(stmt, 2, &state_len);
    int64_t original = store_column_int64(stmt, 3);
    const char *acquired_text = store_column_text(stmt, 4, &acquired_len);
    bf_date acquired;
    if (text_eq(state, state_len, "disposed"))
        return;
    if (parse_date(acquired_text, acquired_len, &acquired) && bf_date_cmp(acquired, cutoff) > 0)
        return; /* not yet acquired in that year */
    acc->count++;
    acc->original += original;
    int64_t book = original;
    if (!store_column_is_null(stmt, 5) && store_column_int64(stmt, 5) > 0 &&
        parse_date(acquired_text, acquired_len, &acquired)) {
        int64_t life_months = store_column_int64(stmt, 5) * 12;
        int64_t used = bf_date_months_between(acquired, cutoff);
        if (used < 0)
            used = 0;
        int64_t remaining = life_months > used ? life_months - used : 0;
        __extension__ __int128 scaled = (__int128)original * remaining;
        book = (int64_t)(scaled / life_months);
    }
    acc->book += book;
    if (!store_column_is_null(stmt, 7))
        acc->capacity_w += store_column_int64(stmt, 7);
    const char *idle = store_column_text(stmt, 6, &idle_len);
    if (text_eq(nature, nature_len, "operating") && text_eq(state, state_len, "idle") &&
        idle_len > 0 && idle_len < sizeof acc->idle_since &&
        (acc->idle_since[0] == '\0' || strncmp(idle, acc->idle_since, idle_len) < 0)) {
        memcpy(acc->idle_since, idle, idle_len);
        acc->idle_since[idle_len] = '\0';
    }
}

/* Statuses whose idle_since starts an idle spell of the project itself. */
static bool status_is_idle(const char *status, size_t len)
{
    return text_eq(status, len, "idle") || text_eq(status, len, "stopped");
}

static int64_t project_months_idle(const char *status, size_t status_len, const char *idle,
                                   size_t idle_len, const char *asset_idle, bf_date cutoff)
{
    int64_t months = 0;
    if (status_is_idle(status, status_len))
        months = ind_idle_months(idle, idle_len, cutoff);
    int64_t asset_months = ind_idle_months(asset_idle, strlen(asset_idle), cutoff);
    return asset_months > months ? asset_months : months;
}

static void project_values(ind_project *p, bf_stmt *drv, const years_acc *ya, const assets_acc *aa,
                           int64_t year, bf_date cutoff)
{
    const rl_symbol *syms = project_symbols;
    rl_value *v = p->values;
    size_t len, idle_len;
    const char *status = store_column_text(drv, 5, &len);
    const char *idle = store_column_text(drv, 6, &idle_len);
    int64_t start_year = store_column_int64(drv, 7);
    int64_t investment = store_column_int64(drv, 8);
    const year_record *cur = &ya->cur, *prev = &ya->prev;

    v[IND_P_YEAR] = rl_num(year);
    v[IND_P_MONTHS_IDLE] =
        rl_num(project_months_idle(status, len, idle, idle_len, aa->idle_since, cutoff));
    v[IND_P_LOSS_YEARS] = rl_num(ya->last_year == year ? ya->loss_run : 0);
    v[IND_P_INCOME] = rl_num(cur->has ? cur->income : 0);
    v[IND_P_INCOME_PREV] = rl_num(prev->has ? prev->income : 0);
    int64_t income = cur->has ? cur->income : 0, income_prev = prev->has ? prev->income : 0;
    v[IND_P_INCOME_CHANGE] =
        income_prev > 0 ? rl_ratio((income - income_prev) * 100, income_prev) : rl_unknown();
    v[IND_P_INVESTMENT] = rl_num(investment);
    v[IND_P_RETURN] = investment > 0 ? rl_ratio(income * 100, investment) : rl_unknown();
    v[IND_P_BOOK_RATIO] = aa->original > 0 ? rl_ratio(aa->book * 100, aa->original) : rl_unknown();
    v[IND_P_ASSETS] = rl_num(aa->count);
    v[IND_P_HOUSEHOLDS] = rl_num(cur->has ? cur->households : 0);
    v[IND_P_HOUSEHOLDS_PREV] = rl_num(prev->has ? prev->households : 0);
    v[IND_P_POOR_HOUSEHOLDS] = rl_num(cur->has ? cur->poor : 0);
    v[IND_P_JOBS] = rl_num(cur->has ? cur->jobs : 0);
    v[IND_P_REVENUE] = rl_num(cur->has ? cur->revenue : 0);
    v[IND_P_PROFIT] = rl_num(cur->has ? cur->profit : 0);
    v[IND_P_YEARS_OPERATING] = rl_num(year - start_year + 1);
    v[IND_P_HAS_RECORD] = rl_bool(cur->has);
    v[IND_P_STATUS] = rl_enum(&syms[IND_P_STATUS], status, len);
    const char *text = store_column_text(drv, 3, &len);
    v[IND_P_SECTOR] = rl_enum(&syms[IND_P_SECTOR], text, len);
    text = store_column_text(drv, 4, &len);
    v[IND_P_MODE] = rl_enum(&syms[IND_P_MODE], text, len);
    /* kW = W / 1000; as fixed point x 10^4 that is W x 10 */
    v[IND_P_PV_CAPACITY] = rl_ratio(aa->capacity_w, 1000);
    v[IND_P_KWH_PER_KW] = aa->capacity_w > 0 && cur->has && cur->has_generation
                              ? rl_ratio(cur->generation * 1000, aa->capacity_w)
                              : rl_unknown();
}

bf_status ind_scan_projects(bf_store *store, const ind_scope *scope, ind_project_fn fn, void *ctx,
                            bf_error *err)
{
    bf_stmt *drv = NULL;
    cursor years = {.what = "项目年度数据"}, assets = {.what = "项目资产"};
    scope_binds binds;
    scope_prepare(scope, &binds);
    int index = 1;
    /* On PostgreSQL the three stream through cursors (in a transaction), as
     * the households' do: the planner then walks the keys (a fast start)
     * instead of sorting a sequential scan, and no whole result is held. */
    bf_status rc = store_prepare(store, project_driver_sql[binds.shape], &drv, err);
    if (rc == BF_OK)
        store_pg_set_streaming(drv, true);
    if (rc == BF_OK)
        rc = scope_bind(drv, &binds, false, &index);
    if (rc == BF_OK)
        rc = store_prepare(store, project_years_sql[binds.shape], &years.stmt, err);
    if (rc == BF_OK)
        store_pg_set_streaming(years.stmt, true);
    if (rc == BF_OK) {
        index = 1;
        rc = scope_bind(years.stmt, &binds, true, &index);
        if (rc == BF_OK)
            rc = store_bind_int64(years.stmt, index++, scope->year);
    }
    if (rc == BF_OK)
        rc = store_prepare(store, project_assets_sql[binds.shape], &assets.stmt, err);
    if (rc == BF_OK)
        store_pg_set_streaming(assets.stmt, true);
    if (rc == BF_OK) {
        index = 1;
        rc = scope_bind(assets.stmt, &binds, true, &index);
    }
    if (rc == BF_OK)
        rc = cursor_next(&years, err);
    if (rc == BF_OK)
        rc = cursor_next(&assets, err);
    while (rc == BF_OK) {
        bool has_row = false;
        rc = store_step(drv, &has_row, err);
        if (rc || !has_row)
            break;
        size_t code_len;
        const char *code = store_column_text(drv, 0, &code_len);
        years_acc ya;
        memset(&ya, 0, sizeof ya);
        while (rc == BF_OK && cursor_at(&years, code, code_len)) {
            years_take(&ya, years.stmt, scope->year);
            rc = cursor_next(&years, err);
        }
        assets_acc aa;
        memset(&aa, 0, sizeof aa);
        while (rc == BF_OK && cursor_at(&assets, code, code_len)) {
            assets_take(&aa, assets.stmt, scope->cutoff);
            rc = cursor_next(&assets, err);
        }
        if (rc)
            break;
        size_t status_len;
        const char *status = store_column_text(drv, 5, &status_len);
        if (store_column_int64(drv, 7) > scope->year || text_eq(status, status_len, "disposed"))
            continue; /* not an assistance project in that year */
        ind_project p;
        p.code = code;
        p.name = store_column_text(drv, 1, NULL);
        p.region_code = store_column_text(drv, 2, NULL);
        project_values(&p, drv, &ya, &aa, scope->year, scope->cutoff);
        rc = fn(ctx, &p, err);
    }
    if (rc == BF_OK)
        rc = cursor_check_done(&years, err);
    if (rc == BF_OK)
        rc = cursor_check_done(&assets, err);
    if (drv)
        store_finalize(drv);
    if (years.stmt)
        store_finalize(years.stmt);
    if (assets.stmt)
        store_finalize(assets.stmt);
    return rc;
}

/* ---- linked projects ------------------------------------------------------------ */

typedef struct {
    const char *code;
    int64_t months_idle;
    bool failed;
} linked_entry;

struct ind_linked {
    linked_entry *entries; /* sorted by code, one per project */
    size_t count;
    cmap *by_code; /* code -> entry: every benefit link of every household looks one up */
};

static void linked_map_free(void *map)
{
    cmap_free(map);
}

static int linked_cmp(const void *a, const void *b)
{
    return strcmp(((const linked_entry *)a)->code, ((const linked_entry *)b)->code);
}

/* Append an entry (the code copied into the arena); the array grows in the
 * arena, the old block staying until the arena is freed. */
static bf_status linked_push(ind_linked *linked, size_t *cap, bf_arena *arena, const char *code,
                             size_t code_len, int64_t months, bool failed, bf_error *err)
{
    if (linked->count == *cap) {
        size_t grown_cap = *cap ? 2 * *cap : 1024;
        linked_entry *grown = bf_arena_alloc(arena, grown_cap * sizeof *grown);
        if (!grown)
            return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        if (linked->count)
            memcpy(grown, linked->entries, linked->count * sizeof *grown);
        linked->entries = grown;
        *cap = grown_cap;
    }
    char *copy = bf_arena_strndup(arena, code, code_len);
    if (!copy)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    linked->entries[linked->count++] = (linked_entry){copy, months, failed};
    return BF_OK;
}

/* Projects idle or stopped at the cutoff (started by the year), in two
 * passes that each walk only the few rows concerned: the projects whose status
 * is idle or stopped (projects_status_region), then the projects with an idle
 * operating asset (assets_state), with the earliest such asset. (One query
 * joining every project to its assets looked up the assets of each of them.)
 * A project in both passes gets two entries: the second one's months already
 * take its status into account (project_months_idle), and ind_linked_load
 * merges the entries of a project (the longest spell, failed if either is). */
static bf_status linked_load_idle(bf_store *store, int64_t year, bf_date cutoff, bf_arena *arena,
                                  ind_linked *linked, size_t *cap, bf_error *err)
{
    static const char *const sql[] = {
        "SELECT code, status, idle_since, NULL FROM projects "
        "WHERE status IN ('idle', 'stopped') AND start_year <= ?",
        "SELECT p.code, p.status, p.idle_since, MIN(a.idle_since) FROM assets a "
        "JOIN projects p ON p.county_code = a.county_code AND p.code = a.project_code "
        "WHERE a.state = 'idle' AND a.nature = 'operating' AND a.idle_since IS NOT NULL "
        "AND p.start_year <= ? GROUP BY p.county_code, p.code, p.status, p.idle_since",
    };
    bf_status rc = BF_OK;
    for (size_t pass = 0; pass < sizeof sql / sizeof sql[0] && rc == BF_OK; pass++) {
        bf_stmt *stmt = NULL;
        rc = store_prepare(store, sql[pass], &stmt, err);
        if (rc == BF_OK)
            rc = store_bind_int64(stmt, 1, year);
        while (rc == BF_OK) {
            bool has_row = false;
            rc = store_step(stmt, &has_row, err);
            if (rc || !has_row)
                break;
            size_t code_len, status_len, idle_len;
            const char *code = store_column_text(stmt, 0, &code_len);
            const char *status = store_column_text(stmt, 1, &status_len);
            const char *idle = store_column_text(stmt, 2, &idle_len);
            char asset_idle[16] = "";
            size_t asset_len;
            const char *a = store_column_text(stmt, 3, &asset_len);
            if (a && asset_len < sizeof asset_idle) {
                memcpy(asset_idle, a, asset_len);
                asset_idle[asset_len] = '\0';
            }
            int64_t months =
                project_months_idle(status, status_len, idle, idle_len, asset_idle, cutoff);
            bool failed =
                text_eq(status, status_len, "stopped") || months >= IND_LINKED_FAILED_MONTHS;
            if (months == 0 && !failed)
                continue;
            rc = linked_push(linked, cap, arena, code, code_len, months, failed, err);
        }
        if (stmt)
            store_finalize(stmt);
    }
    return rc;
}

/* One confirmed decision: a project, the year decided, whether the batch is
 * the candidate-only one (另起炉灶). */
typedef struct {
    const char *code;
    int64_t year;
    bool terminate;
} decision_row;

static int decision_cmp(const void *a, const void *b)
{
    const decision_row *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    return c ? c : (x->year > y->year) - (x->year < y->year);
}

/* Projects in a termination case at the year: the county's decision standing
 * then (the confirmed batch of the latest year up to Y that has one) is the
 * candidate-only batch, 另起炉灶. Confirmed decisions are few (a county's
 * acts), so they are collected and ordered here rather than by the database.
 * No index covers confirmed_batch, so the query scans the table; the unary +
 * keeps SQLite from walking classifications_year instead, which would cost a
 * table look-up per result row (about three times the CPU of the scan). */
static bf_status linked_load_terminated(bf_store *store, int64_t year, bf_arena *arena,
                                        ind_linked *linked, size_t *cap, bf_error *err)
{
    static const char sql[] =
        "SELECT c.project_code, c.year, b.candidate_only FROM classifications c "
        "JOIN batches b ON b.id = c.confirmed_batch "
        "WHERE c.confirmed_batch IS NOT NULL AND +c.year <= ?";
    decision_row *rows = NULL;
    size_t count = 0, rows_cap = 0;
    bf_stmt *stmt = NULL;
    bf_status rc = store_prepare(store, sql, &stmt, err);
    if (rc == BF_OK)
        rc = store_bind_int64(stmt, 1, year);
    while (rc == BF_OK) {
        bool has_row = false;
        rc = store_step(stmt, &has_row, err);
        if (rc || !has_row)
            break;
        if (count == rows_cap) {
            size_t grown_cap = rows_cap ? 2 * rows_cap : 256;
            decision_row *grown = bf_arena_alloc(arena, grown_cap * sizeof *grown);
            if (!grown) {
                rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
                break;
            }
            if (count)
                memcpy(grown, rows, count * sizeof *grown);
            rows = grown;
            rows_cap = grown_cap;
        }
        size_t code_len;
        const char *code = store_column_text(stmt, 0, &code_len);
        rows[count].code = bf_arena_strndup(arena, code, code_len);
        if (!rows[count].code) {
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
            break;
        }
        rows[count].year = store_column_int64(stmt, 1);
        rows[count].terminate = store_column_int64(stmt, 2) != 0;
        count++;
    }
    if (stmt)
        store_finalize(stmt);
    if (rc || count == 0)
        return rc;
    qsort(rows, count, sizeof *rows, decision_cmp);
    for (size_t i = 0; i < count && rc == BF_OK; i++) {
        bool last_of_project = i + 1 == count || strcmp(rows[i].code, rows[i + 1].code) != 0;
        if (last_of_project && rows[i].terminate)
            rc = linked_push(linked, cap, arena, rows[i].code, strlen(rows[i].code), 0, true, err);
    }
    return rc;
}

bf_status ind_linked_load(bf_store *store, int64_t year, bf_date cutoff, bf_arena *arena,
                          ind_linked **out, bf_error *err)
{
    ind_linked *linked = bf_arena_calloc(arena, 1, sizeof *linked);
    if (!linked)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    size_t cap = 0;
    bf_status rc = linked_load_idle(store, year, cutoff, arena, linked, &cap, err);
    if (rc == BF_OK)
        rc = linked_load_terminated(store, year, arena, linked, &cap, err);
    if (rc)
        return rc;
    if (linked->count > 0) {
        /* one entry per project: an idle project may also be in a termination case */
        qsort(linked->entries, linked->count, sizeof *linked->entries, linked_cmp);
        size_t kept = 0;
        for (size_t i = 0; i < linked->count; i++) {
            linked_entry *e = &linked->entries[i];
            if (kept > 0 && strcmp(linked->entries[kept - 1].code, e->code) == 0) {
                linked_entry *k = &linked->entries[kept - 1];
                k->failed = k->failed || e->failed;
                if (e->months_idle > k->months_idle)
                    k->months_idle = e->months_idle;
            } else {
                linked->entries[kept++] = *e;
            }
        }
        linked->count = kept;
        linked->by_code = cmap_new(kept);
        if (!linked->by_code || bf_arena_on_free(arena, linked_map_free, linked->by_code) != 0) {
            cmap_free(linked->by_code);
            linked->by_code = NULL;
            return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        }
        for (size_t i = 0; i < kept; i++)
            if (cmap_put(linked->by_code, linked->entries[i].code, strlen(linked->entries[i].code),
                         &linked->entries[i]) != BF_OK)
                return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    *out = linked;
    return BF_OK;
}

static const linked_entry *linked_find(const ind_linked *linked, const char *code, size_t len)
{
    if (!linked || !linked->by_code)
        return NULL;
    return cmap_get(linked->by_code, code, len);
}

/* ---- households ---------------------------------------------------------------- */

#define HOUSEHOLD_COLUMNS "code, region_code, kind, size, risk_status"

static const char *const household_driver_sql[SCOPE_SHAPES] = {
    [SCOPE_ALL] = "SELECT " HOUSEHOLD_COLUMNS " FROM households ORDER BY county_code, code",
    [SCOPE_CODE] = "SELECT " HOUSEHOLD_COLUMNS " FROM households WHERE code = ?",
    [SCOPE_COUNTIES] = "SELECT " HOUSEHOLD_COLUMNS " FROM households "
                       "WHERE county_code >= ? AND county_code < ? ORDER BY county_code, code",
    [SCOPE_REGION] = "SELECT " HOUSEHOLD_COLUMNS " FROM households "
                     "WHERE county_code = ? AND region_code BETWEEN ? AND ? "
                     "ORDER BY county_code, code",
};

/* One year of incomes (bound after the scope) in the households' order: the
 * covering index household_years_income (year, county_code, household_code,
 * income_per_capita). */
static const char *const household_years_sql[SCOPE_SHAPES] = {
    [SCOPE_ALL] = "SELECT household_code, income_per_capita FROM household_years WHERE year = ? "
                  "ORDER BY county_code, household_code",
    [SCOPE_CODE] = "SELECT household_code, income_per_capita FROM household_years "
                   "WHERE county_code = (SELECT county_code FROM households WHERE code = ?) "
                   "AND household_code = ? AND year = ?",
    [SCOPE_COUNTIES] = "SELECT household_code, income_per_capita FROM household_years "
                       "WHERE county_code >= ? AND county_code < ? AND year = ? "
                       "ORDER BY county_code, household_code",
    [SCOPE_REGION] = "SELECT y.household_code, y.income_per_capita FROM household_years y "
                     "JOIN households h ON h.county_code = y.county_code "
                     "AND h.code = y.household_code "
                     "WHERE y.county_code = ? AND h.region_code BETWEEN ? AND ? AND y.year = ? "
                     "ORDER BY y.county_code, y.household_code",
};

/* benefits_key (county_code, household_code, project_code, kind). */
static const char *const household_benefits_sql[SCOPE_SHAPES] = {
    [SCOPE_ALL] = "SELECT household_code, project_code FROM benefits "
                  "ORDER BY county_code, household_code, project_code",
    [SCOPE_CODE] = "SELECT household_code, project_code FROM benefits "
                   "WHERE county_code = (SELECT county_code FROM households WHERE code = ?) "
                   "AND household_code = ? ORDER BY project_code",
    [SCOPE_COUNTIES] = "SELECT household_code, project_code FROM benefits "
                       "WHERE county_code >= ? AND county_code < ? "
                       "ORDER BY county_code, household_code, project_code",
    [SCOPE_REGION] = "SELECT b.household_code, b.project_code FROM benefits b "
                     "JOIN households h ON h.county_code = b.county_code "
                     "AND h.code = b.household_code "
                     "WHERE b.county_code = ? AND h.region_code BETWEEN ? AND ? "
                     "ORDER BY b.county_code, b.household_code, b.project_code",
};

bf_status ind_scan_households(bf_store *store, bf_store *years_store, const ind_scope *scope,
                              const thr_table *thresholds, const ind_linked *linked,
                              ind_household_fn fn, void *ctx, bf_error *err)
{
    if (!years_store)
        years_store = store;
    const rl_symbol *syms = household_symbols;
    bf_stmt *drv = NULL;
    cursor cur_years = {.what = "农户当年收入"}, prev_years = {.what = "农户上年收入"},
           benefits = {.what = "联农带农关系"};
    scope_binds binds;
    scope_prepare(scope, &binds);
    int index = 1;
    bf_status rc = store_prepare(store, household_driver_sql[binds.shape], &drv, err);
    if (rc == BF_OK)
        store_pg_set_streaming(drv, true);
    if (rc == BF_OK)
        rc = scope_bind(drv, &binds, false, &index);
    cursor *years[2] = {&cur_years, &prev_years};
    for (int k = 0; k < 2 && rc == BF_OK; k++) {
        rc = store_prepare(years_store, household_years_sql[binds.shape], &years[k]->stmt, err);
        if (rc == BF_OK)
            store_pg_set_streaming(years[k]->stmt, true);
        if (rc == BF_OK) {
            index = 1;
            rc = scope_bind(years[k]->stmt, &binds, true, &index);
            if (rc == BF_OK)
                rc = store_bind_int64(years[k]->stmt, index++, scope->year - k);
        }
        if (rc == BF_OK)
            rc = cursor_next(years[k], err);
    }
    if (rc == BF_OK)
        rc = store_prepare(store, household_benefits_sql[binds.shape], &benefits.stmt, err);
    if (rc == BF_OK)
        store_pg_set_streaming(benefits.stmt, true);
    if (rc == BF_OK) {
        index = 1;
        rc = scope_bind(benefits.stmt, &binds, true, &index);
    }
    if (rc == BF_OK)
        rc = cursor_next(&benefits, err);
    char last_project[72];
    while (rc == BF_OK) {
        bool has_row = false;
        rc = store_step(drv, &has_row, err);
        if (rc || !has_row)
            break;
        size_t code_len;
        const char *code = store_column_text(drv, 0, &code_len);
        bool has_cur = false, has_prev = false;
        int64_t cur = 0, prev = 0;
        while (rc == BF_OK && cursor_at(&cur_years, code, code_len)) {
            has_cur = true;
            cur = store_column_int64(cur_years.stmt, 1);
            rc = cursor_next(&cur_years, err);
        }
        while (rc == BF_OK && cursor_at(&prev_years, code, code_len)) {
            has_prev = true;
            prev = store_column_int64(prev_years.stmt, 1);
            rc = cursor_next(&prev_years, err);
        }
        int64_t nlinked = 0, linked_idle = 0;
        bool linked_failed = false;
        last_project[0] = '\0';
        while (rc == BF_OK && cursor_at(&benefits, code, code_len)) {
            size_t plen;
            const char *project = store_column_text(benefits.stmt, 1, &plen);
            if (plen < sizeof last_project && !text_eq(project, plen, last_project)) {
                memcpy(last_project, project, plen);
                last_project[plen] = '\0';
                nlinked++;
                const linked_entry *e = linked_find(linked, last_project, plen);
                if (e) {
                    linked_failed = linked_failed || e->failed;
                    if (e->months_idle > linked_idle)
                        linked_idle = e->months_idle;
                }
            }
            rc = cursor_next(&benefits, err);
        }
        if (rc)
            break;
        ind_household h;
        h.code = code;
        h.region_code = store_column_text(drv, 1, NULL);
        rl_value *v = h.values;
        v[IND_H_YEAR] = rl_num(scope->year);
        v[IND_H_INCOME] = has_cur ? rl_num(cur) : rl_unknown();
        v[IND_H_INCOME_PREV] = has_prev ? rl_num(prev) : rl_unknown();
        v[IND_H_INCOME_CHANGE] =
            has_cur && has_prev && prev > 0 ? rl_ratio((cur - prev) * 100, prev) : rl_unknown();
        int64_t threshold;
        v[IND_H_THRESHOLD] = thresholds && thr_lookup(thresholds, h.region_code, &threshold)
                                 ? rl_num(threshold)
                                 : rl_unknown();
        size_t len;
        const char *text = store_column_text(drv, 2, &len);
        v[IND_H_KIND] = rl_enum(&syms[IND_H_KIND], text, len);
        text = store_column_text(drv, 4, &len);
        v[IND_H_RISK] = rl_enum(&syms[IND_H_RISK], text, len);
        v[IND_H_SIZE] = rl_num(store_column_int64(drv, 3));
        v[IND_H_LINKED] = rl_num(nlinked);
        v[IND_H_LINKED_FAILED] = rl_bool(linked_failed);
        v[IND_H_LINKED_IDLE] = rl_num(linked_idle);
        rc = fn(ctx, &h, err);
    }
    if (rc == BF_OK)
        rc = cursor_check_done(&cur_years, err);
    if (rc == BF_OK)
        rc = cursor_check_done(&prev_years, err);
    if (rc == BF_OK)
        rc = cursor_check_done(&benefits, err);
    if (drv)
        store_finalize(drv);
    if (cur_years.stmt)
        store_finalize(cur_years.stmt);
    if (prev_years.stmt)
        store_finalize(prev_years.stmt);
    if (benefits.stmt)
        store_finalize(benefits.stmt);
    return rc;
}

/* ---- snapshot --------------------------------------------------------------------- */

bf_status ind_snapshot_json(ind_subject subject, const rl_value *values, bf_buf *out)
{
    const rl_symtab *tab = ind_symtab(subject);
    bf_status rc = bf_buf_append_char(out, '[');
    for (size_t i = 0; i < tab->count && rc == BF_OK; i++) {
        const rl_symbol *sym = &tab->symbols[i];
        if (i > 0)
            rc = bf_buf_append_char(out, ',');
        if (rc)
            break;
        if (!values[i].known) {
            rc = bf_buf_append(out, "null", 4);
        } else if (sym->type == RL_ENUM) {
            rc = bf_buf_append_char(out, '"');
            if (rc == BF_OK)
                rc = rl_format_raw(sym, values[i], out);
            if (rc == BF_OK)
                rc = bf_buf_append_char(out, '"');
        } else {
            rc = rl_format_raw(sym, values[i], out);
        }
    }
    if (rc == BF_OK)
        rc = bf_buf_append_char(out, ']');
    return rc;
}

bf_status ind_snapshot_object(ind_subject subject, const char *text, size_t len, bf_buf *out)
{
    const rl_symtab *tab = ind_symtab(subject);
    if (len < 2 || text[0] != '[' || text[len - 1] != ']')
        return bf_buf_append(out, text, len);
    /* Elements are numbers, null, true/false or strings of ids: no commas inside. */
    size_t start = out->len;
    bf_status rc = bf_buf_append_char(out, '{');
    size_t pos = 1, index = 0;
    while (rc == BF_OK && pos < len - 1) {
        size_t end = pos;
        while (end < len - 1 && text[end] != ',')
            end++;
        if (index >= tab->count)
            break;
        if (index > 0)
            rc = bf_buf_append_char(out, ',');
        if (rc == BF_OK)
            rc = bf_buf_append_char(out, '"');
        if (rc == BF_OK)
            rc = bf_buf_append_str(out, tab->symbols[index].name);
        if (rc == BF_OK)
            rc = bf_buf_append(out, "\":", 2);
        if (rc == BF_OK)
            rc = bf_buf_append(out, text + pos, end - pos);
        index++;
        pos = end + 1;
    }
    if (rc == BF_OK)
        rc = bf_buf_append_char(out, '}');
    if (rc) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}
