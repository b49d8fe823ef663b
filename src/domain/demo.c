/*
 * demo.c - the demo data generator (see demo.h and docs/demo.md).
 *
 * How it is built:
 * - vocabularies (industry chains with their geography, names, thresholds)
 *   are data files embedded from data/demo_*.csv;
 * - the regions come from the database; the 25 poverty counties come from
 *   data/poverty_counties.csv and 3,058 villages are drawn as 脱贫村, 70 % of
 *   them inside those counties;
 * - each village gets a size weight (rural village, community, poverty county,
 *   脱贫村) and its share of the province's totals (DEMO_PROVINCE_*), so a
 *   county's data does not depend on the scale;
 * - each project follows a trajectory (growing, low return, declining, idle
 *   since 2025, stopped since 2023, three years of losses, ...) whose shares
 *   are the table `trajectories` below: they give every batch of the four-batch
 *   classification and every warning real cases;
 * - one emitter per registry binds a row to a prepared INSERT built from the
 *   template's database columns and, when asked, writes the same row to CSV
 *   in the template's format. Both paths see the same values.
 *
 * Random numbers: xoshiro256** seeded through splitmix64, never rand(). Money
 * is computed in int64 fen with integer per-mille factors.
 */
#include "domain/demo.h"

#include "core/arena.h"
#include "core/datafile.h"
#include "core/hash.h"
#include "core/date.h"
#include "domain/template.h"
#include "domain/thresholds.h"
#include "io/csv_write.h"
#include "io/validate.h"

#include <errno.h>
#include <sodium.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ sizes */

/* Province totals (DESIGN.md §8); a scale takes its villages' shares. */
#define DEMO_PROVINCE_HOUSEHOLDS 1000000
#define DEMO_PROVINCE_PROJECTS   88000 /* besides the PV stations */
#define DEMO_PV_STATIONS         12000
#define DEMO_POOR_VILLAGES       3058
#define DEMO_POOR_IN_COUNTIES    2140 /* of them inside the 25 poverty counties */
/* updated_at of every generated record: 2026-01-01 00:00 Asia/Shanghai. */
#define DEMO_UPDATED_AT INT64_C(1767196800)
#define DEMO_YEARS      (DEMO_LAST_YEAR - DEMO_FIRST_YEAR + 1)

/* Caps (the vocabularies are ours, but a cap keeps a bad edit from overflowing). */
#define MAX_CHAINS       48
#define MAX_WORDS        128
#define MAX_CHAIN_REGION 16
#define MAX_FIELDS       16
#define MAX_NAME         192
#define BIRTH_DAY0_YEAR  1930
#define BIRTH_DAYS       (94 * 366) /* 1930..2023 */
#define CITIES           12         /* Jiangxi prefectures 01..11 */

/* ------------------------------------------------------------------ random */

typedef struct {
    uint64_t s[4];
} rng_t;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t fnv1a(const char *s, uint64_t h)
{
    return bf_fnv1a_str(h, s);
}

/* A stream for (seed, salt, n): independent streams per village, county, ... */
static void rng_seed(rng_t *r, uint64_t seed, const char *salt, uint64_t n)
{
    uint64_t x = seed ^ fnv1a(salt, UINT64_C(0xCBF29CE484222325)) ^ (n * UINT64_C(0x9E3779B1));
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [lo, hi] (inclusive); the modulo bias is below 2^-40 here. */
static int64_t rng_range(rng_t *r, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    uint64_t span = (uint64_t)(hi - lo) + 1;
    return lo + (int64_t)((rng_next(r) >> 8) % span);
}

static bool rng_permille(rng_t *r, int permille)
{
    return rng_range(r, 0, 999) < permille;
}

/* Index drawn with the given weights (n > 0, total > 0). */
static int rng_weighted(rng_t *r, const int *weights, int n)
{
    int64_t total = 0;
    for (int i = 0; i < n; i++)
        total += weights[i];
    int64_t x = rng_range(r, 0, total - 1);
    for (int i = 0; i < n; i++) {
        if (x < weights[i])
            return i;
        x -= weights[i];
    }
    return n - 1;
}

/* value * permille / 1000 without overflow for realistic fen amounts. */
static int64_t pm(int64_t value, int64_t permille)
{
    return value / 1000 * permille + value % 1000 * permille / 1000;
}

/* ------------------------------------------------------------ identifiers */

void demo_id_number(int city, int year, int month, int day, int seq, char out[19])
{
    unsigned fields[][2] = {{(unsigned)city % 100, 2},
                            {(unsigned)year % 10000, 4},
                            {(unsigned)month % 100, 2},
                            {(unsigned)day % 100, 2},
                            {(unsigned)seq % 1000, 3}};
    memcpy(out, DEMO_ID_PREFIX, 4);
    size_t pos = 4;
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
        for (unsigned d = fields[f][1], v = fields[f][0]; d > 0; d--, v /= 10)
            out[pos + d - 1] = (char)('0' + v % 10);
        pos += fields[f][1];
    }
    out[17] = bf_id_number_check_char(out);
    out[18] = '\0';
}

void demo_uscc(const char *dept_type, const char *region6, uint64_t serial, char out[19])
{
    /* Organisation code (GB 11714): 8 digits and a check digit. */
    static const int weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    char body[9];
    snprintf(body, sizeof body, "%08" PRIu64, serial % UINT64_C(100000000));
    int sum = 0;
    for (int i = 0; i < 8; i++)
        sum += (body[i] - '0') * weights[i];
    int c = 11 - sum % 11;
    char check = c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
    snprintf(out, 19, "%.2s%.6s%.8s%c", dept_type, region6, body, check);
    out[17] = bf_uscc_check_char(out);
    out[18] = '\0';
}

/* ------------------------------------------------------------ vocabularies */

typedef struct {
    const char *name;   /* stored in projects.chain */
    const char *sector; /* tpl_sectors id */
    int weight;
    int boost;
    const char *regions[MAX_CHAIN_REGION];
    int nregions;
    int64_t invest_min, invest_max; /* fen */
    const char *assets[4];
    int nassets;
    const char *endings[4];
    int nendings;
} demo_chain;

typedef struct {
    const char *words[MAX_WORDS];
    int n;
} word_list;

/* Split s at sep into at most max pieces (in place); returns the count.
 * Fields of a CSV line (sep ',') may be empty; words of a list may not. */
static int split(char *s, char sep, const char **out, int max)
{
    int n = 0;
    if (!*s && sep != ',')
        return 0;
    for (;;) {
        char *end = strchr(s, sep);
        if (end)
            *end = '\0';
        if ((*s || sep == ',') && n < max)
            out[n++] = s;
        if (!end)
            break;
        s = end + 1;
    }
    return n;
}

/* The lines of an embedded data file that are not comments, copied into the
 * arena (so they can be cut in place). */
static bf_status datafile_lines(bf_arena *arena, const char *name, char ***lines, int *nlines,
                                bf_error *err)
{
    const bf_datafile *file = bf_datafile_find(name);
    if (!file)
        return bf_error_set(err, BF_ERR_INTERNAL, "缺少内置数据文件 %s", name);
    char *text = bf_arena_strndup(arena, (const char *)file->data, file->size);
    char **out = text ? bf_arena_calloc(arena, file->size / 2 + 2, sizeof *out) : NULL;
    if (!out)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    int n = 0;
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        if (len && line[0] != '#')
            out[n++] = line;
        line = next;
    }
    *lines = out;
    *nlines = n;
    return BF_OK;
}

/* ------------------------------------------------------------ regions */

enum { VILLAGE_RURAL, VILLAGE_COMMUNITY, VILLAGE_OTHER };

typedef struct {
    char code[13];
    const char *name;
    char short_name[64]; /* 广昌 */
    int city;            /* 1..11 */
    bool poverty;
    bool selected;
    int first_village, nvillages;
    int chain_weight[MAX_CHAINS];
} demo_county;

typedef struct {
    char code[13];
    const char *name;
    char short_name[96]; /* 东湖村 */
    int county;
    int kind;
    bool poor;
    int64_t weight;
} demo_village;

/* ------------------------------------------------------------ emitters */

typedef enum { DV_NULL, DV_TEXT, DV_INT } dv_kind;

typedef struct {
    dv_kind kind;
    const char *s;
    int64_t i;
} dv;

static dv T(const char *s)
{
    return (dv){s && *s ? DV_TEXT : DV_NULL, s, 0};
}

static dv I(int64_t i)
{
    return (dv){DV_INT, NULL, i};
}

static const dv NUL = {DV_NULL, NULL, 0};

/* The fields each emitter gives, by template alias, in order. */
static const char *const emit_fields[TPL_KIND_COUNT][MAX_FIELDS] = {
    [TPL_REGIONS] = {"code", "name", "flags"},
    [TPL_PROJECTS] = {"code", "name", "region_code", "sector", "chain", "start_year", "investment",
                      "linkage_funds", "operation_mode", "operator_name", "operator_code", "owner",
                      "status", "idle_since"},
    [TPL_ASSETS] = {"code", "project_code", "name", "type", "nature", "original_value",
                    "acquired_on", "useful_life_years", "state", "idle_since", "capacity_kw"},
    [TPL_PROJECT_YEARS] = {"project_code", "year", "revenue", "profit", "collective_income",
                           "distributed", "households_benefited", "poor_households_benefited",
                           "jobs", "generation_kwh"},
    [TPL_HOUSEHOLDS] = {"code", "region_code", "head_id_number", "head_name", "kind", "size",
                        "risk_status"},
    [TPL_MEMBERS] = {"household_code", "id_number", "name", "relation"},
    [TPL_HOUSEHOLD_YEARS] = {"household_code", "year", "income_per_capita", "wages",
                             "operating_income", "property_income", "transfer_income",
                             "asset_dividend"},
    [TPL_BENEFITS] = {"household_code", "project_code", "kind"},
};

typedef struct {
    const tpl_template *tpl;
    const tpl_column *col[MAX_FIELDS]; /* template column of each field */
    int csv_pos[MAX_FIELDS];           /* its position in the CSV row */
    int nfields;
    bf_stmt *stmt; /* NULL for regions */
    FILE *fp;
    char tmp_path[4096], path[4096];
    long rows;
} emitter;

/* One synthetic person's ID number with its stored forms, cached because the
 * head of a household is written twice (household and member). */
typedef struct {
    char id[19];
    char hash[PII_HASH_HEX_LEN + 1];
    char enc[PII_ENC_B64_MAX];
    char masked[PII_MASKED_LEN + 1];
} id_forms;

/* ------------------------------------------------------------ the generator */

typedef struct {
    int traj;
    int chain; /* -1: PV station */
    char code[32];
    char name[MAX_NAME];
    const char *mode;
    int start_year;
    int64_t investment, linkage;
    char operator_name[MAX_NAME];
    char operator_code[19];
    const char *status;
    char idle_since[11];
    int idle_year; /* year of idle_since, 0 if none */
    int idle_month;
    int64_t capacity_w;
    int links;          /* registered households linked */
    int poor_links;     /* of which not 一般户 */
    int dividend_links; /* of which by dividend */
    int64_t distributed[DEMO_YEARS];
} gen_project;

typedef struct {
    char code[24];
    int kind; /* index into tpl_household_kinds */
    int risk; /* index into tpl_risk_statuses */
    int size;
    int first_year;
    int64_t dividend[DEMO_YEARS];
} gen_household;

typedef struct {
    int household, project;
    const char *kind;
} gen_link;

typedef struct {
    bf_store *store;
    const demo_options *opt;
    demo_result *res;
    bf_error *err;
    bf_arena *arena;   /* lives for the whole run */
    bf_arena *scratch; /* reset for every village */

    demo_chain chains[MAX_CHAINS];
    int nchains;
    word_list surnames, given_m, given_f, brands;
    int surname_weight[MAX_WORDS];
    int64_t threshold[DEMO_YEARS]; /* fen per person per year */

    demo_county *counties;
    int ncounties;
    demo_village *villages;
    int nvillages;
    int64_t total_weight;

    emitter em[TPL_KIND_COUNT];
    bf_stmt *flag_stmt;
    uint16_t *birth_seq; /* per (city, birth day): sequence numbers used */
    id_forms last_id;
    long households_done, households_planned;
    int county_project_seq, county_pv_seq;
    char county[7]; /* county_code of every row of the village being generated */
} gen;

/* Project trajectories: what happens to a project over 2022-2025. The shares
 * (per mille of the non-PV projects) give each batch real cases; see
 * docs/demo.md for which rule each one is meant to trigger. */
enum {
    TR_GROW,       /* 巩固: earning, growing */
    TR_STABLE,     /* 巩固: earning, flat */
    TR_LOW_RETURN, /* 提升: return below 5 % */
    TR_FEW_HH,     /* 提升: fewer than 5 households benefited */
    TR_DECLINE,    /* 提升: income down 22-45 % in the last year */
    TR_IDLE_2025,  /* 盘活: idle since the first half of 2025 */
    TR_ZERO_2025,  /* 盘活: no collective income in the last year */
    TR_STOPPED,    /* 另起炉灶: stopped since 2022-2023, no income for 2 years */
    TR_LOSSES,     /* 另起炉灶: losses 3 years in a row, old assets (book value < 30 %) */
    TR_BUILDING,   /* under construction, no yearly record yet */
    TR_DISPOSED,   /* already disposed, records until 2023 */
    TR_COUNT
};

static const int trajectory_share[TR_COUNT] = {
    [TR_GROW] = 360,   [TR_STABLE] = 200,   [TR_LOW_RETURN] = 110, [TR_FEW_HH] = 40,
    [TR_DECLINE] = 80, [TR_IDLE_2025] = 70, [TR_ZERO_2025] = 40,   [TR_STOPPED] = 40,
    [TR_LOSSES] = 30,  [TR_BUILDING] = 20,  [TR_DISPOSED] = 10,
};

/* PV stations: most generate steadily; some underperform, break or stop. */
enum { PV_NORMAL, PV_UNDER, PV_BROKEN_2025, PV_STOPPED, PV_COUNT };
static const int pv_share[PV_COUNT] = {880, 70, 40, 10};

/* Operation modes (tpl_operation_modes ids) and their weights per sector kind. */
static const char *const modes[] = {"collective", "cooperative", "equity", "lease", "household"};
static const int mode_weight_default[5] = {30, 25, 15, 20, 10};
static const int mode_weight_courtyard[5] = {5, 10, 0, 0, 85};

/* Benefit kind (tpl_benefit_kinds ids) by operation mode. */
static const char *const link_kinds[5][3] = {
    {"dividend", "jobs", "dividend"}, {"orders", "land", "jobs"},
    {"dividend", "jobs", "dividend"}, {"land", "jobs", "land"},
    {"custody", "orders", "jobs"},
};

/* Useful life in years per asset type (0: not depreciated). */
static const struct {
    const char *type;
    int years;
} useful_life[] = {
    {"factory", 20},      {"workshop", 15},   {"greenhouse", 8}, {"cold_store", 15},
    {"equipment", 8},     {"pv_station", 20}, {"farm", 15},      {"land_right", 10},
    {"forest_right", 20}, {"equity", 0},      {"other", 10},
};

/* Asset name endings per type (Chinese). */
static const char *asset_type_zh(const char *type)
{
    return tpl_enum_zh(tpl_asset_types, type);
}

/* Suffix of enterprise names per sector. */
static const struct {
    const char *sector, *suffix;
} enterprise_suffix[] = {
    {"planting", "农业发展"}, {"breeding", "养殖"},      {"processing", "食品"},
    {"tourism", "文化旅游"},  {"ecommerce", "电子商务"}, {"understory", "林业开发"},
    {"services", "农业服务"}, {"courtyard", "农业发展"}, {"pv", "新能源"},
    {"other", "农业发展"},
};

static int useful_life_of(const char *type)
{
    for (size_t i = 0; i < sizeof useful_life / sizeof useful_life[0]; i++)
        if (strcmp(useful_life[i].type, type) == 0)
            return useful_life[i].years;
    return 10;
}

static const char *enterprise_suffix_of(const char *sector)
{
    for (size_t i = 0; i < sizeof enterprise_suffix / sizeof enterprise_suffix[0]; i++)
        if (strcmp(enterprise_suffix[i].sector, sector) == 0)
            return enterprise_suffix[i].suffix;
    return "农业发展";
}

static int enum_index(const tpl_enum_value *values, const char *id)
{
    for (int i = 0; values[i].id; i++)
        if (strcmp(values[i].id, id) == 0)
            return i;
    return -1;
}

/* ------------------------------------------------------------ loading */

static bf_status load_chains(gen *g)
{
    char **lines;
    int n;
    bf_status rc = datafile_lines(g->arena, "demo_chains.csv", &lines, &n, g->err);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++) {
        const char *f[9];
        if (split(lines[i], ',', f, 9) != 9 || g->nchains >= MAX_CHAINS)
            return bf_error_set(g->err, BF_ERR_INTERNAL,
                                "内置数据 demo_chains.csv 第 %d 行格式错误", i + 1);
        demo_chain *c = &g->chains[g->nchains++];
        c->name = f[0];
        c->sector = f[1];
        c->weight = atoi(f[2]);
        c->boost = atoi(f[3]);
        c->nregions = split((char *)f[4], ' ', c->regions, MAX_CHAIN_REGION);
        c->invest_min = atoll(f[5]) * 1000000;
        c->invest_max = atoll(f[6]) * 1000000;
        c->nassets = split((char *)f[7], ' ', c->assets, 4);
        c->nendings = split((char *)f[8], '|', c->endings, 4);
        if (enum_index(tpl_sectors, c->sector) < 0 || c->nassets == 0 || c->nendings == 0 ||
            c->weight <= 0 || c->boost <= 0 || c->invest_min <= 0 || c->invest_max < c->invest_min)
            return bf_error_set(g->err, BF_ERR_INTERNAL,
                                "内置数据 demo_chains.csv 第 %d 行取值错误", i + 1);
        for (int a = 0; a < c->nassets; a++)
            if (enum_index(tpl_asset_types, c->assets[a]) < 0)
                return bf_error_set(g->err, BF_ERR_INTERNAL,
                                    "内置数据 demo_chains.csv 第 %d 行资产类型错误", i + 1);
    }
    if (g->nchains == 0)
        return bf_error_set(g->err, BF_ERR_INTERNAL, "内置数据 demo_chains.csv 为空");
    return BF_OK;
}

static bf_status load_names(gen *g)
{
    char **lines;
    int n;
    bf_status rc = datafile_lines(g->arena, "demo_names.csv", &lines, &n, g->err);
    if (rc)
        return rc;
    struct {
        const char *kind;
        word_list *list;
    } kinds[] = {{"surname", &g->surnames},
                 {"given_m", &g->given_m},
                 {"given_f", &g->given_f},
                 {"brand", &g->brands}};
    for (int i = 0; i < n; i++) {
        char *comma = strchr(lines[i], ',');
        if (!comma)
            continue;
        *comma = '\0';
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            if (strcmp(lines[i], kinds[k].kind) == 0)
                kinds[k].list->n = split(comma + 1, ' ', kinds[k].list->words, MAX_WORDS);
    }
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (kinds[k].list->n == 0)
            return bf_error_set(g->err, BF_ERR_INTERNAL, "内置数据 demo_names.csv 缺少 %s",
                                kinds[k].kind);
    /* Surnames are listed most common first: weight ~ 1/(rank + 4). */
    for (int i = 0; i < g->surnames.n; i++)
        g->surname_weight[i] = 12000 / (i + 4);
    return BF_OK;
}

static bf_status load_thresholds(gen *g)
{
    char **lines;
    int n;
    bf_status rc = datafile_lines(g->arena, "demo_thresholds.csv", &lines, &n, g->err);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++) {
        const char *f[2];
        if (split(lines[i], ',', f, 2) != 2)
            continue;
        int year = atoi(f[0]);
        if (year >= DEMO_FIRST_YEAR && year <= DEMO_LAST_YEAR)
            g->threshold[year - DEMO_FIRST_YEAR] = atoll(f[1]) * 100;
    }
    for (int y = 0; y < DEMO_YEARS; y++)
        if (g->threshold[y] <= 0)
            return bf_error_set(g->err, BF_ERR_INTERNAL, "内置数据 demo_thresholds.csv 缺少 %d 年",
                                DEMO_FIRST_YEAR + y);
    return BF_OK;
}

static bool ends_with(const char *s, const char *suffix, size_t *stem)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n < m || strcmp(s + n - m, suffix) != 0)
        return false;
    *stem = n - m;
    return true;
}

/* 东湖村委会 -> 东湖村, 东湖村民委员会 -> 东湖村, 城南社区居委会 -> 城南社区. */
static void village_short_name(const char *name, char *out, size_t out_size)
{
    static const struct {
        const char *suffix, *replacement;
    } rules[] = {
        {"社区居民委员会", "社区"}, {"社区居委会", "社区"}, {"村民委员会", "村"}, {"村委会", "村"},
        {"居民委员会", "社区"},     {"居委会", "社区"},     {"委员会", ""},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        size_t stem;
        if (ends_with(name, rules[i].suffix, &stem) && stem > 0) {
            snprintf(out, out_size, "%.*s%s", (int)stem, name, rules[i].replacement);
            /* 东湖村村民委员会 would give 东湖村村. */
            size_t len = strlen(out), s2;
            if (ends_with(out, "村村", &s2) && s2 > 0)
                out[len - 3] = '\0';
            return;
        }
    }
    snprintf(out, out_size, "%s", name);
}

/* 广昌县 -> 广昌; 井冈山市 -> 井冈山; a two-character name stays whole. */
static void county_short_name(const char *name, char *out, size_t out_size)
{
    static const char *const suffixes[] = {"县", "区", "市"};
    for (size_t i = 0; i < 3; i++) {
        size_t stem;
        if (ends_with(name, suffixes[i], &stem) && stem >= 6) {
            snprintf(out, out_size, "%.*s", (int)stem, name);
            return;
        }
    }
    snprintf(out, out_size, "%s", name);
}

static int village_kind(const char *name)
{
    if (strstr(name, "社区") || strstr(name, "居委会") || strstr(name, "居民委员会"))
        return VILLAGE_COMMUNITY;
    if (strstr(name, "村委会") || strstr(name, "村民委员会"))
        return VILLAGE_RURAL;
    return VILLAGE_OTHER;
}

static bool is_poverty_county(const char *code, char **list, int n)
{
    for (int i = 0; i < n; i++)
        if (strncmp(list[i], code, 12) == 0)
            return true;
    return false;
}

static bf_status load_regions(gen *g)
{
    bf_status rc;
    bf_stmt *stmt = NULL;
    char **poverty;
    int npoverty;
    rc = datafile_lines(g->arena, "poverty_counties.csv", &poverty, &npoverty, g->err);
    if (rc)
        return rc;
    int64_t nrows = 0;
    rc = store_query_int64(g->store, "SELECT COUNT(*) FROM regions", &nrows, g->err, 0);
    if (rc)
        return rc;
    g->counties = bf_arena_calloc(g->arena, (size_t)nrows + 1, sizeof *g->counties);
    g->villages = bf_arena_calloc(g->arena, (size_t)nrows + 1, sizeof *g->villages);
    if (!g->counties || !g->villages)
        return bf_error_set(g->err, BF_ERR_NOMEM, "内存不足");
    rc = store_prepare(g->store, "SELECT code, name, level FROM regions ORDER BY code", &stmt,
                       g->err);
    if (rc)
        return rc;
    for (;;) {
        bool has_row = false;
        rc = store_step(stmt, &has_row, g->err);
        if (rc || !has_row)
            break;
        size_t len;
        const char *code = store_column_text(stmt, 0, &len);
        const char *name = store_column_text(stmt, 1, NULL);
        int64_t level = store_column_int64(stmt, 2);
        if (len != 12 || (level != 3 && level != 5))
            continue;
        char *name_copy = bf_arena_strdup(g->arena, name);
        if (!name_copy) {
            rc = bf_error_set(g->err, BF_ERR_NOMEM, "内存不足");
            break;
        }
        if (level == 3) {
            demo_county *c = &g->counties[g->ncounties++];
            memcpy(c->code, code, 12);
            c->name = name_copy;
            county_short_name(name_copy, c->short_name, sizeof c->short_name);
            c->city = (code[2] - '0') * 10 + (code[3] - '0');
            c->poverty = is_poverty_county(code, poverty + 1, npoverty - 1);
            c->first_village = -1;
            if (c->poverty)
                g->res->poverty_counties++;
        } else {
            /* Villages come after their county in code order. */
            int county = g->ncounties - 1;
            if (county < 0 || strncmp(g->counties[county].code, code, 6) != 0)
                continue;
            demo_village *v = &g->villages[g->nvillages];
            memcpy(v->code, code, 12);
            v->name = name_copy;
            village_short_name(name_copy, v->short_name, sizeof v->short_name);
            v->county = county;
            v->kind = village_kind(name_copy);
            demo_county *c = &g->counties[county];
            if (c->first_village < 0)
                c->first_village = g->nvillages;
            c->nvillages++;
            g->nvillages++;
        }
    }
    store_finalize(stmt);
    if (rc)
        return rc;
    if (g->nvillages == 0)
        return bf_error_set(g->err, BF_ERR_STATE,
                            "数据库中没有村级行政区划，请先导入行政区划（bangfu import regions）");
    return BF_OK;
}

/* Draw the 脱贫村: DEMO_POOR_IN_COUNTIES rural villages inside the poverty
 * counties and the rest among the other rural villages (partial Fisher-Yates
 * over each pool, in code order, from one stream of the seed). */
static bf_status draw_poor_villages(gen *g)
{
    int *pool = malloc(sizeof *pool * (size_t)g->nvillages);
    if (!pool)
        return bf_error_set(g->err, BF_ERR_NOMEM, "内存不足");
    rng_t r;
    rng_seed(&r, g->opt->seed, "poor-villages", 0);
    for (int pass = 0; pass < 2; pass++) {
        int n = 0;
        for (int i = 0; i < g->nvillages; i++) {
            demo_village *v = &g->villages[i];
            if (v->kind == VILLAGE_RURAL && g->counties[v->county].poverty == (pass == 0))
                pool[n++] = i;
        }
        int want = pass == 0 ? DEMO_POOR_IN_COUNTIES : DEMO_POOR_VILLAGES - DEMO_POOR_IN_COUNTIES;
        if (want > n)
            want = n;
        for (int k = 0; k < want; k++) {
            int j = (int)rng_range(&r, k, n - 1);
            int t = pool[k];
            pool[k] = pool[j];
            pool[j] = t;
            g->villages[pool[k]].poor = true;
        }
    }
    free(pool);
    return BF_OK;
}

/* Size weights: a rural village 10, a community 3, anything else 4; x1.3 in a
 * poverty county, x1.5 for a 脱贫村; then a village-size factor 0.5-1.5. */
static void weigh_villages(gen *g)
{
    g->total_weight = 0;
    for (int i = 0; i < g->nvillages; i++) {
        demo_village *v = &g->villages[i];
        rng_t r;
        rng_seed(&r, g->opt->seed, v->code, 1);
        int64_t w = v->kind == VILLAGE_RURAL ? 1000 : v->kind == VILLAGE_COMMUNITY ? 300 : 400;
        if (g->counties[v->county].poverty)
            w = w * 13 / 10;
        if (v->poor)
            w = w * 15 / 10;
        v->weight = w * rng_range(&r, 50, 150) / 100;
        g->total_weight += v->weight;
    }
}

static bool region_matches(const char *code, const char *prefix)
{
    return strncmp(code, prefix, strlen(prefix)) == 0;
}

static void weigh_chains(gen *g, demo_county *c)
{
    for (int k = 0; k < g->nchains; k++) {
        demo_chain *ch = &g->chains[k];
        int w = ch->weight;
        for (int j = 0; j < ch->nregions; j++)
            if (region_matches(c->code, ch->regions[j])) {
                w *= ch->boost;
                break;
            }
        c->chain_weight[k] = w;
    }
}

static bf_status select_counties(gen *g)
{
    const demo_options *o = g->opt;
    char want[13] = "";
    if (o->scale == DEMO_SCALE_COUNTY) {
        const char *county = o->county && *o->county ? o->county : DEMO_DEFAULT_COUNTY;
        const char *reason = NULL;
        if (!bf_region_code_normalize(county, strlen(county), want, &reason) ||
            bf_region_code_level(want) != BF_LEVEL_COUNTY)
            return bf_error_set(g->err, BF_ERR_INVALID, "县级区划代码 %s 无效", county);
    }
    bool any = false;
    for (int i = 0; i < g->ncounties; i++) {
        demo_county *c = &g->counties[i];
        switch (o->scale) {
        case DEMO_SCALE_COUNTY:
            c->selected = strcmp(c->code, want) == 0;
            break;
        case DEMO_SCALE_QUARTER:
            c->selected = i % 4 == 0;
            break;
        case DEMO_SCALE_PROVINCE:
            c->selected = true;
            break;
        }
        c->selected = c->selected && c->nvillages > 0;
        if (c->selected) {
            any = true;
            weigh_chains(g, c);
            g->res->counties++;
        }
    }
    if (!any)
        return bf_error_set(g->err, BF_ERR_NOT_FOUND, "数据库中找不到县级区划 %s（或该县没有村）",
                            want);
    /* Planned households, for the progress bar. */
    for (int i = 0; i < g->nvillages; i++)
        if (g->counties[g->villages[i].county].selected)
            g->households_planned +=
                (long)(DEMO_PROVINCE_HOUSEHOLDS * g->villages[i].weight / g->total_weight);
    return BF_OK;
}

/* ------------------------------------------------------------ emitters */

static bf_status emitter_open(gen *g, tpl_kind kind)
{
    emitter *e = &g->em[kind];
    e->tpl = tpl_get(kind);
    for (e->nfields = 0; e->nfields < MAX_FIELDS && emit_fields[kind][e->nfields]; e->nfields++) {
        const char *alias = emit_fields[kind][e->nfields];
        int idx = tpl_column_index(e->tpl, alias, strlen(alias));
        if (idx < 0)
            return bf_error_set(g->err, BF_ERR_INTERNAL, "模板 %s 缺少列 %s", e->tpl->name, alias);
        e->col[e->nfields] = &e->tpl->columns[idx];
        e->csv_pos[e->nfields] = idx;
    }
    bf_status rc = BF_OK;
    if (kind != TPL_REGIONS) {
        char sql[1024], values[256];
        /* county_code first: every registry row carries its county (0006). */
        int n = snprintf(sql, sizeof sql, "INSERT INTO %s (county_code, ", e->tpl->table);
        int nv = 0, params = 1;
        for (int f = 0; f < e->nfields; f++) {
            const char *dbc = e->col[f]->db_column;
            if (e->col[f]->type == TPL_ID_NUMBER) {
                n += snprintf(sql + n, sizeof sql - (size_t)n, "%s_hash, %s_enc, %s_masked, ", dbc,
                              dbc, dbc);
                params += 3;
            } else {
                n += snprintf(sql + n, sizeof sql - (size_t)n, "%s, ", dbc);
                params++;
            }
        }
        n += snprintf(sql + n, sizeof sql - (size_t)n, "updated_at) VALUES (");
        for (int p = 0; p <= params; p++)
            nv += snprintf(values + nv, sizeof values - (size_t)nv, p ? ", ?" : "?");
        snprintf(sql + n, sizeof sql - (size_t)n, "%s)", values);
        rc = store_prepare(g->store, sql, &e->stmt, g->err);
        if (rc)
            return rc;
    }
    if (g->opt->csv_dir) {
        snprintf(e->path, sizeof e->path, "%s/%s.csv", g->opt->csv_dir, e->tpl->name);
        snprintf(e->tmp_path, sizeof e->tmp_path, "%s/%s.csv.tmp", g->opt->csv_dir, e->tpl->name);
        e->fp = fopen(e->tmp_path, "wb");
        if (!e->fp)
            return bf_error_set(g->err, BF_ERR_IO, "无法创建文件 %s：%s", e->tmp_path,
                                strerror(errno));
        const char *headers[64] = {0};
        for (size_t c = 0; c < e->tpl->ncolumns && c < 64; c++)
            headers[c] = e->tpl->columns[c].header;
        if (csv_write_bom(e->fp) || csv_write_row(e->fp, headers, NULL, e->tpl->ncolumns))
            return bf_error_set(g->err, BF_ERR_IO, "无法写入文件 %s", e->tmp_path);
    }
    return BF_OK;
}

/* Close every emitter; keep (rename into place) the CSV files only if ok. */
static bf_status emitters_close(gen *g, bool ok)
{
    bf_status rc = BF_OK;
    for (int k = 0; k < TPL_KIND_COUNT; k++) {
        emitter *e = &g->em[k];
        if (e->stmt)
            store_finalize(e->stmt);
        e->stmt = NULL;
        if (e->fp) {
            bool good = fclose(e->fp) == 0;
            e->fp = NULL;
            if (ok && good && rename(e->tmp_path, e->path) == 0)
                continue;
            unlink(e->tmp_path);
            if (ok && rc == BF_OK)
                rc = bf_error_set(g->err, BF_ERR_IO, "无法写入文件 %s", e->path);
        }
    }
    return rc;
}

static bf_status ensure_id_forms(gen *g, const char *id)
{
    id_forms *f = &g->last_id;
    if (strcmp(f->id, id) == 0)
        return BF_OK;
    f->id[0] = '\0';
    if (pii_id_encrypt(g->opt->keys, id, 18, f->enc, sizeof f->enc) != BF_OK)
        return bf_error_set(g->err, BF_ERR_INTERNAL, "身份证号加密失败");
    pii_id_hash(g->opt->keys, id, 18, f->hash);
    pii_id_mask(id, 18, f->masked);
    snprintf(f->id, sizeof f->id, "%s", id);
    return BF_OK;
}

/* A value in the template's CSV form (what a person types). */
static const char *csv_text(const tpl_column *col, dv v, char *buf, size_t size)
{
    if (v.kind == DV_NULL)
        return NULL;
    if (v.kind == DV_TEXT) {
        if (col->type == TPL_ENUM)
            return tpl_enum_zh(col->enum_values, v.s);
        return v.s;
    }
    int64_t x = v.i, a = x < 0 ? -x : x;
    switch (col->type) {
    case TPL_MONEY:
    case TPL_MONEY_SIGNED:
        snprintf(buf, size, "%s%" PRId64 ".%02" PRId64, x < 0 ? "-" : "", a / 100, a % 100);
        break;
    case TPL_KW:
        snprintf(buf, size, "%" PRId64 ".%03" PRId64, a / 1000, a % 1000);
        break;
    case TPL_FLAGS: {
        size_t used = 0;
        buf[0] = '\0';
        for (const tpl_enum_value *f = col->enum_values; f && f->id; f++)
            if (x & atoll(f->id)) {
                int n = snprintf(buf + used, size - used, "%s%s", used ? "、" : "", f->zh);
                if (n > 0 && (size_t)n < size - used)
                    used += (size_t)n;
            }
        break;
    }
    default:
        snprintf(buf, size, "%" PRId64, x);
        break;
    }
    return buf;
}

static bf_status emit(gen *g, tpl_kind kind, const dv *vals)
{
    emitter *e = &g->em[kind];
    bf_status rc = BF_OK;
    if (e->stmt) {
        int p = 1;
        store_bind_text(e->stmt, p++, g->county, 6);
        for (int f = 0; f < e->nfields; f++) {
            dv v = vals[f];
            if (e->col[f]->type == TPL_ID_NUMBER) {
                if ((rc = ensure_id_forms(g, v.s)))
                    return rc;
                store_bind_str(e->stmt, p++, g->last_id.hash);
                store_bind_str(e->stmt, p++, g->last_id.enc);
                store_bind_str(e->stmt, p++, g->last_id.masked);
            } else if (v.kind == DV_INT) {
                store_bind_int64(e->stmt, p++, v.i);
            } else if (v.kind == DV_TEXT) {
                store_bind_text(e->stmt, p++, v.s, strlen(v.s));
            } else {
                store_bind_null(e->stmt, p++);
            }
        }
        store_bind_int64(e->stmt, p, DEMO_UPDATED_AT);
        rc = store_step_done(e->stmt, g->err);
        store_reset(e->stmt);
        if (rc)
            return rc;
    }
    if (e->fp) {
        const char *cells[64] = {0};
        char bufs[MAX_FIELDS][96];
        for (int f = 0; f < e->nfields; f++)
            cells[e->csv_pos[f]] = csv_text(e->col[f], vals[f], bufs[f], sizeof bufs[f]);
        if (csv_write_row(e->fp, cells, NULL, e->tpl->ncolumns))
            return bf_error_set(g->err, BF_ERR_IO, "无法写入文件 %s", e->tmp_path);
    }
    e->rows++;
    return BF_OK;
}

/* ------------------------------------------------------------ flags */

static bf_status set_flag(gen *g, const char *code, int64_t bit)
{
    store_bind_int64(g->flag_stmt, 1, bit);
    store_bind_text(g->flag_stmt, 2, code, 12);
    bf_status rc = store_step_done(g->flag_stmt, g->err);
    store_reset(g->flag_stmt);
    return rc;
}

/* Flag the poverty counties and villages; then, for the CSV, every region
 * with its flags. */
static bf_status write_flags(gen *g)
{
    bf_status rc = store_prepare(g->store, "UPDATE regions SET flags = flags | ? WHERE code = ?",
                                 &g->flag_stmt, g->err);
    for (int i = 0; i < g->ncounties && !rc; i++)
        if (g->counties[i].poverty)
            rc = set_flag(g, g->counties[i].code, TPL_FLAG_POVERTY_COUNTY);
    for (int i = 0; i < g->nvillages && !rc; i++)
        if (g->villages[i].poor) {
            rc = set_flag(g, g->villages[i].code, TPL_FLAG_POVERTY_VILLAGE);
            g->res->poverty_villages++;
        }
    if (rc || !g->em[TPL_REGIONS].fp)
        return rc;
    bf_stmt *all = NULL;
    rc = store_prepare(g->store, "SELECT code, name, flags FROM regions ORDER BY code", &all,
                       g->err);
    while (!rc) {
        bool has_row = false;
        rc = store_step(all, &has_row, g->err);
        if (rc || !has_row)
            break;
        int64_t flags = store_column_int64(all, 2);
        dv vals[] = {T(store_column_text(all, 0, NULL)), T(store_column_text(all, 1, NULL)),
                     flags ? I(flags) : NUL};
        rc = emit(g, TPL_REGIONS, vals);
    }
    store_finalize(all);
    return rc;
}

/* ------------------------------------------------------------ people */

static const char *pick(rng_t *r, const word_list *w)
{
    return w->words[rng_range(r, 0, w->n - 1)];
}

static void person_name(gen *g, rng_t *r, const char *surname, bool male, char *out, size_t size)
{
    if (!surname)
        surname = g->surnames.words[rng_weighted(r, g->surname_weight, g->surnames.n)];
    const word_list *given = male ? &g->given_m : &g->given_f;
    if (rng_permille(r, 300))
        snprintf(out, size, "%s%s", surname, pick(r, given));
    else
        snprintf(out, size, "%s%s%s", surname, pick(r, given), pick(r, given));
}

/* A unique synthetic ID number for someone of this city born on that day:
 * sequence numbers are handed out per (city, birth day), odd for men. */
static void person_id(gen *g, int city, int64_t day, bool male, char out[19])
{
    int64_t day0 = bf_date_to_days((bf_date){BIRTH_DAY0_YEAR, 1, 1});
    int64_t last = bf_date_to_days((bf_date){2023, 12, 31}) - day0;
    int64_t d = day - day0;
    if (d < 0)
        d = 0;
    if (d > last)
        d = last;
    for (;;) {
        uint16_t *used = &g->birth_seq[(size_t)(city % CITIES) * BIRTH_DAYS + (size_t)d];
        if (*used < 500) {
            bf_date b = bf_date_from_days(day0 + d);
            demo_id_number(city, b.year, b.month, b.day, *used * 2 + (male ? 1 : 0), out);
            (*used)++;
            return;
        }
        d = d < last ? d + 1 : 0;
    }
}

static int64_t birth_day(rng_t *r, int year)
{
    if (year > 2023)
        year = 2023;
    if (year < BIRTH_DAY0_YEAR)
        year = BIRTH_DAY0_YEAR;
    return bf_date_to_days((bf_date){year, 1, 1}) + rng_range(r, 0, 364);
}

/* Members of a household: head first, then spouse, children or parents and
 * grandchildren, with coherent ages. */
static bf_status emit_household(gen *g, rng_t *r, const demo_village *v, gen_household *h)
{
    int city = (v->code[2] - '0') * 10 + (v->code[3] - '0');
    bool head_male = rng_permille(r, 820);
    int head_year = (int)rng_range(r, 1945, 1992);
    char head_surname[16];
    snprintf(head_surname, sizeof head_surname, "%s",
             g->surnames.words[rng_weighted(r, g->surname_weight, g->surnames.n)]);
    char head_name[32], head_id[19];
    person_name(g, r, head_surname, head_male, head_name, sizeof head_name);
    person_id(g, city, birth_day(r, head_year), head_male, head_id);
    bf_status rc;
    {
        dv hv[] = {T(h->code),
                   T(v->code),
                   T(head_id),
                   T(head_name),
                   T(tpl_household_kinds[h->kind].id),
                   I(h->size),
                   T(tpl_risk_statuses[h->risk].id)};
        rc = emit(g, TPL_HOUSEHOLDS, hv);
        if (rc)
            return rc;
    }
    dv mv[] = {T(h->code), T(head_id), T(head_name), T("户主")};
    rc = emit(g, TPL_MEMBERS, mv);
    if (rc)
        return rc;
    g->res->members++;
    int child_year = head_year + (int)rng_range(r, 22, 32);
    bool has_spouse = false;
    for (int m = 1; m < h->size; m++) {
        const char *relation;
        bool male;
        int year;
        const char *surname = head_surname;
        if (m == 1 && rng_permille(r, 850)) {
            relation = "配偶";
            male = !head_male;
            year = head_year + (int)rng_range(r, -3, 5);
            surname = NULL;
            has_spouse = true;
        } else if (head_year >= 1978 && m == h->size - 1 && h->size >= 4) {
            male = rng_permille(r, 450);
            relation = male ? "父亲" : "母亲";
            year = head_year - (int)rng_range(r, 24, 32);
        } else if (head_year <= 1965 && m >= 3) {
            male = rng_permille(r, 520);
            relation = male ? "孙子" : "孙女";
            year = head_year + (int)rng_range(r, 45, 58);
        } else if (head_year <= 1965 && m == 2 && has_spouse && rng_permille(r, 400)) {
            relation = "儿媳";
            male = false;
            year = head_year + (int)rng_range(r, 22, 30);
            surname = NULL;
        } else {
            male = rng_permille(r, 520);
            relation = male ? "子" : "女";
            year = child_year;
            child_year += (int)rng_range(r, 1, 4);
        }
        char name[32], id[19];
        person_name(g, r, surname, male, name, sizeof name);
        person_id(g, city, birth_day(r, year), male, id);
        dv row[] = {T(h->code), T(id), T(name), T(relation)};
        rc = emit(g, TPL_MEMBERS, row);
        if (rc)
            return rc;
        g->res->members++;
    }
    return BF_OK;
}

/* ------------------------------------------------------------ projects */

static void operator_for(gen *g, rng_t *r, const demo_village *v, const demo_county *c,
                         gen_project *p, const char *sector, const char *chain_name, int chain)
{
    char region6[7];
    snprintf(region6, sizeof region6, "%.6s", v->code);
    if (strcmp(p->mode, "collective") == 0) {
        snprintf(p->operator_name, sizeof p->operator_name, "%s股份经济合作社", v->short_name);
        demo_uscc("N2", region6, fnv1a(v->code, 17), p->operator_code);
    } else if (strcmp(p->mode, "cooperative") == 0) {
        snprintf(p->operator_name, sizeof p->operator_name, "%s%s%s专业合作社", c->short_name,
                 v->short_name, chain_name);
        demo_uscc("93", region6, fnv1a(chain_name, fnv1a(v->code, 29)), p->operator_code);
    } else if (strcmp(p->mode, "household") == 0) {
        person_name(g, r, NULL, rng_permille(r, 750), p->operator_name, sizeof p->operator_name);
        p->operator_code[0] = '\0';
    } else {
        /* One of up to three enterprises of this county for this chain: its
         * name comes from its own stream so every project names it alike. */
        int k = (int)rng_range(r, 0, 2);
        rng_t er;
        rng_seed(&er, g->opt->seed, c->code, (uint64_t)(chain + 2) * 8 + (uint64_t)k);
        const char *brand = pick(&er, &g->brands);
        snprintf(p->operator_name, sizeof p->operator_name, "%s%s%s%s有限公司", c->short_name,
                 brand, chain_name, enterprise_suffix_of(sector));
        char county6[7];
        snprintf(county6, sizeof county6, "%.6s", c->code);
        demo_uscc("91", county6, rng_next(&er), p->operator_code);
    }
}

static void set_idle(gen_project *p, rng_t *r, int year, int month_lo, int month_hi)
{
    p->idle_year = year;
    p->idle_month = (int)rng_range(r, month_lo, month_hi);
    snprintf(p->idle_since, sizeof p->idle_since, "%04d-%02d-%02d", year, p->idle_month,
             (int)rng_range(r, 1, 28));
}

static void plan_project(gen *g, rng_t *r, const demo_village *v, const demo_county *c,
                         gen_project *p, int chain, int nth_of_chain, int households)
{
    memset(p, 0, sizeof *p);
    p->chain = chain;
    const char *sector = chain >= 0 ? g->chains[chain].sector : "pv";
    if (chain >= 0) {
        const demo_chain *ch = &g->chains[chain];
        p->traj = rng_weighted(r, trajectory_share, TR_COUNT);
        snprintf(p->code, sizeof p->code, "XM%.6s-%05d", c->code, ++g->county_project_seq);
        static const char *const phase[] = {"", "（二期）", "（三期）", "（四期）", "（五期）"};
        snprintf(p->name, sizeof p->name, "%s%s%s", v->short_name,
                 ch->endings[rng_range(r, 0, ch->nendings - 1)],
                 phase[nth_of_chain < 5 ? nth_of_chain : 4]);
        p->mode = modes[rng_weighted(
            r, strcmp(sector, "courtyard") == 0 ? mode_weight_courtyard : mode_weight_default, 5)];
        int64_t u = rng_range(r, 0, 1000);
        p->investment = ch->invest_min + (ch->invest_max - ch->invest_min) / 1000 * u * u / 1000;
        p->investment -= p->investment % 100000; /* whole thousands of yuan */
        p->linkage = strcmp(sector, "courtyard") == 0 ? p->investment
                                                      : pm(p->investment, rng_range(r, 450, 1000));
        p->linkage -= p->linkage % 100;
        static const int start_weight[] = {4, 6, 10, 14, 16, 16, 14, 12, 8}; /* 2016..2024 */
        p->start_year = 2016 + rng_weighted(r, start_weight, 9);
        operator_for(g, r, v, c, p, sector, ch->name, chain);
    } else {
        p->traj = rng_weighted(r, pv_share, PV_COUNT);
        snprintf(p->code, sizeof p->code, "GF%.6s-%04d", c->code, ++g->county_pv_seq);
        if (nth_of_chain == 0)
            snprintf(p->name, sizeof p->name, "%s村级光伏帮扶电站", v->short_name);
        else
            snprintf(p->name, sizeof p->name, "%s村级光伏帮扶电站（%d号）", v->short_name,
                     nth_of_chain + 1);
        p->mode = rng_permille(r, 850) ? "collective" : "lease";
        p->capacity_w = rng_range(r, 100, 600) * 500;           /* 50-300 kW in 0.5 kW steps */
        p->investment = p->capacity_w * rng_range(r, 600, 800); /* 6-8 yuan per W */
        p->investment -= p->investment % 100000;
        p->linkage = pm(p->investment, rng_range(r, 800, 1000));
        p->linkage -= p->linkage % 100;
        p->start_year = (int)rng_range(r, 2016, 2019);
        if (strcmp(p->mode, "collective") == 0) {
            char region6[7];
            snprintf(region6, sizeof region6, "%.6s", v->code);
            snprintf(p->operator_name, sizeof p->operator_name, "%s股份经济合作社", v->short_name);
            demo_uscc("N2", region6, fnv1a(v->code, 17), p->operator_code);
        } else {
            operator_for(g, r, v, c, p, "pv", "光伏", g->nchains);
        }
    }
    p->status = "operating";
    int traj = chain >= 0 ? p->traj : -1;
    switch (traj) {
    case TR_DECLINE:
    case TR_LOSSES:
    case TR_STOPPED:
    case TR_DISPOSED:
    case TR_ZERO_2025:
        if (p->start_year > 2021)
            p->start_year = (int)rng_range(r, 2017, 2021);
        if (traj == TR_LOSSES)
            p->start_year = (int)rng_range(r, 2014, 2016);
        break;
    case TR_BUILDING:
        p->start_year = 2025;
        p->status = "building";
        break;
    default:
        break;
    }
    if (traj == TR_IDLE_2025) {
        p->status = "idle";
        if (p->start_year > 2023)
            p->start_year = 2023;
        set_idle(p, r, 2025, 1, 6);
    } else if (traj == TR_STOPPED) {
        p->status = "stopped";
        set_idle(p, r, (int)rng_range(r, 2022, 2023), 1, 10);
    } else if (traj == TR_DISPOSED) {
        p->status = "disposed";
        set_idle(p, r, 2022, 3, 12);
    } else if (chain < 0 && p->traj == PV_BROKEN_2025) {
        p->status = "idle";
        set_idle(p, r, 2025, 2, 6);
    } else if (chain < 0 && p->traj == PV_STOPPED) {
        p->status = "stopped";
        set_idle(p, r, 2023, 3, 10);
    }
    /* Registered households linked: fewer than 5 for TR_FEW_HH. */
    int want = chain >= 0 ? (int)rng_range(r, 5, 20) : (int)rng_range(r, 10, 30);
    if (chain >= 0 && p->traj == TR_FEW_HH)
        want = (int)rng_range(r, 1, 4);
    if (chain >= 0 && p->traj == TR_BUILDING)
        want = 0;
    p->links = want < households ? want : households;
}

static bf_status emit_assets(gen *g, rng_t *r, gen_project *p)
{
    int n;
    const char *types[3];
    if (p->chain < 0) {
        n = 1;
        types[0] = "pv_station";
    } else {
        const demo_chain *ch = &g->chains[p->chain];
        static const int count_weight[] = {55, 33, 12};
        n = 1 + rng_weighted(r, count_weight, 3);
        for (int i = 0; i < n; i++)
            types[i] = ch->assets[i % ch->nassets];
    }
    int64_t total = pm(p->investment, rng_range(r, 750, 950));
    int64_t left = total;
    for (int i = 0; i < n; i++) {
        int64_t value = i == n - 1 ? left : pm(left, rng_range(r, 500, 800));
        value -= value % 100;
        left -= value;
        const char *type = types[i];
        const char *nature = "operating";
        if (p->chain >= 0 && strcmp(g->chains[p->chain].sector, "courtyard") == 0)
            nature = "household";
        else if (rng_permille(r, 80))
            nature = "public";
        const char *state = "in_use";
        if (strcmp(p->mode, "lease") == 0)
            state = "leased";
        else if (strcmp(p->mode, "equity") == 0)
            state = "invested";
        const char *idle = NULL;
        if (i == 0 && p->idle_year) {
            state = strcmp(p->status, "disposed") == 0 ? "disposed" : "idle";
            idle = strcmp(state, "idle") == 0 ? p->idle_since : NULL;
        } else if (strcmp(p->status, "disposed") == 0) {
            state = "disposed";
        }
        int life = useful_life_of(type);
        if (p->chain >= 0 && p->traj == TR_LOSSES && life > 0)
            life = 8;
        char code[48], name[MAX_NAME], acquired[11];
        snprintf(code, sizeof code, "%s-%02d", p->code, i + 1);
        if (p->chain < 0)
            snprintf(name, sizeof name, "光伏电站（%" PRId64 ".%01" PRId64 "千瓦）",
                     p->capacity_w / 1000, p->capacity_w % 1000 / 100);
        else
            snprintf(name, sizeof name, "%s%s%s", g->chains[p->chain].name, asset_type_zh(type),
                     i ? (i == 1 ? "（二）" : "（三）") : "");
        snprintf(acquired, sizeof acquired, "%04d-%02d-%02d", p->start_year,
                 (int)rng_range(r, 1, 12), (int)rng_range(r, 1, 28));
        dv vals[] = {T(code),
                     T(p->code),
                     T(name),
                     T(type),
                     T(nature),
                     I(value),
                     T(acquired),
                     life ? I(life) : NUL,
                     T(state),
                     T(idle),
                     p->chain < 0 ? I(p->capacity_w) : NUL};
        bf_status rc = emit(g, TPL_ASSETS, vals);
        if (rc)
            return rc;
        g->res->assets++;
    }
    return BF_OK;
}

/* Jobs a project of this sector gives in a normal year. */
static int64_t sector_jobs(rng_t *r, const char *sector)
{
    static const struct {
        const char *sector;
        int lo, hi;
    } jobs[] = {{"planting", 3, 30},  {"breeding", 2, 15}, {"processing", 5, 60},
                {"tourism", 5, 40},   {"pv", 2, 8},        {"understory", 3, 25},
                {"ecommerce", 2, 12}, {"courtyard", 1, 3}, {"services", 2, 10}};
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++)
        if (strcmp(jobs[i].sector, sector) == 0)
            return rng_range(r, jobs[i].lo, jobs[i].hi);
    return rng_range(r, 1, 10);
}

/* The yearly records of a project, following its trajectory. Collective
 * income is investment x a per-mille return; revenue and profit follow. */
static bf_status emit_project_years(gen *g, rng_t *r, gen_project *p)
{
    bool pv = p->chain < 0;
    const char *sector = pv ? "pv" : g->chains[p->chain].sector;
    int64_t ret = 0, growth = 0;
    int64_t hours = rng_range(r, 1000, 1150);
    int64_t jobs = sector_jobs(r, sector);
    int64_t extra_hh = rng_range(r, 0, 2 * (int64_t)p->links + 10);
    if (!pv && p->traj == TR_FEW_HH)
        extra_hh = 0;
    if (!pv) {
        switch (p->traj) {
        case TR_GROW:
        case TR_DECLINE:
            ret = rng_range(r, 55, 110);
            growth = rng_range(r, 40, 140);
            break;
        case TR_LOW_RETURN:
            ret = rng_range(r, 8, 44);
            break;
        case TR_STOPPED:
        case TR_DISPOSED:
            ret = rng_range(r, 5, 30);
            break;
        case TR_LOSSES:
            ret = rng_range(r, 10, 30);
            break;
        default:
            ret = rng_range(r, 52, 90);
            break;
        }
    }
    int64_t last_income = 0;
    for (int y = 0; y < DEMO_YEARS; y++) {
        int year = DEMO_FIRST_YEAR + y;
        if (year < p->start_year || (!pv && p->traj == TR_BUILDING))
            continue;
        if (!pv && p->traj == TR_DISPOSED && year > 2023)
            continue;
        /* Share of the year the project worked (12ths). */
        int months = 12;
        if (p->idle_year && year == p->idle_year)
            months = p->idle_month - 1;
        else if (p->idle_year && year > p->idle_year)
            months = 0;
        int64_t revenue, profit, income, gen_kwh = -1;
        if (pv) {
            int64_t kwh = p->capacity_w / 1000 * hours * (1000 - 6 * (year - p->start_year)) / 1000;
            if (p->traj == PV_UNDER && year == DEMO_LAST_YEAR)
                kwh = pm(kwh, rng_range(r, 450, 750));
            kwh = kwh * months / 12;
            gen_kwh = kwh;
            revenue = kwh * 80; /* 0.80 yuan per kWh with the subsidy */
            income = pm(revenue, 920);
            profit = months ? pm(revenue, rng_range(r, 400, 700)) : -pm(p->investment, 5);
        } else {
            int64_t r_y = ret;
            for (int k = 0; k < y; k++)
                r_y = r_y * (1000 + growth) / 1000;
            if (p->traj == TR_STABLE || p->traj == TR_LOW_RETURN || p->traj == TR_FEW_HH)
                r_y = r_y * rng_range(r, 960, 1040) / 1000;
            if (p->traj == TR_DECLINE && year == DEMO_LAST_YEAR)
                r_y = r_y * rng_range(r, 550, 780) / 1000;
            if (p->traj == TR_ZERO_2025 && year == DEMO_LAST_YEAR)
                r_y = 0;
            if (p->traj == TR_LOSSES && year > DEMO_FIRST_YEAR)
                r_y = rng_range(r, 0, 8);
            income = pm(p->investment, r_y) * months / 12;
            income -= income % 100;
            revenue = months ? income * rng_range(r, 2500, 6000) / 1000 +
                                   pm(p->investment, rng_range(r, 20, 120)) * months / 12
                             : 0;
            bool loss = (p->traj == TR_LOSSES && year > DEMO_FIRST_YEAR) ||
                        (p->traj == TR_ZERO_2025 && year == DEMO_LAST_YEAR) || months < 12;
            profit = loss ? -pm(p->investment, rng_range(r, 15, 80))
                          : pm(revenue, rng_range(r, 80, 250));
        }
        revenue -= revenue % 100;
        profit -= profit % 100;
        int64_t distributed = pm(income, pv ? rng_range(r, 500, 800) : rng_range(r, 300, 700));
        distributed -= distributed % 100;
        p->distributed[y] = distributed;
        last_income = income;
        int64_t year_jobs = months == 0 ? 0 : jobs * months / 12;
        /* A declining project also loses the households it took on beyond
         * the registered ones. */
        if (!pv && p->traj == TR_DECLINE && year == DEMO_LAST_YEAR)
            extra_hh = 0;
        dv vals[] = {T(p->code),
                     I(year),
                     I(revenue),
                     I(profit),
                     I(income),
                     I(distributed),
                     I(months ? p->links + extra_hh : p->links),
                     I(p->poor_links),
                     I(year_jobs),
                     gen_kwh >= 0 ? I(gen_kwh) : NUL};
        bf_status rc = emit(g, TPL_PROJECT_YEARS, vals);
        if (rc)
            return rc;
        g->res->project_years++;
    }
    (void)last_income;
    return BF_OK;
}

/* ------------------------------------------------------------ households */

static void plan_household(gen *g, rng_t *r, const demo_village *v, int seq, gen_household *h)
{
    memset(h, 0, sizeof *h);
    snprintf(h->code, sizeof h->code, "H%s%04d", v->code, seq);
    static const int kind_weight[] = {780, 70, 80, 30, 40}; /* tpl_household_kinds order */
    h->kind = rng_weighted(r, kind_weight, 5);
    const char *kind = tpl_household_kinds[h->kind].id;
    bool monitored = strcmp(kind, "unstable") == 0 || strcmp(kind, "marginal") == 0 ||
                     strcmp(kind, "hardship") == 0;
    h->risk = enum_index(tpl_risk_statuses,
                         monitored ? (rng_permille(r, 350) ? "at_risk" : "cleared") : "none");
    static const int size_weight[] = {15, 25, 25, 20, 10, 5};
    h->size = 1 + rng_weighted(r, size_weight, 6);
    h->first_year = DEMO_FIRST_YEAR;
    if (monitored) {
        static const int first_weight[] = {55, 20, 15, 10};
        h->first_year = DEMO_FIRST_YEAR + rng_weighted(r, first_weight, DEMO_YEARS);
    }
    (void)g;
}

/* Yearly incomes: a level relative to the first year's threshold, yearly
 * growth, and for a few a sharp fall; parts add up to the total. */
static bf_status emit_household_years(gen *g, rng_t *r, gen_household *h)
{
    const char *kind = tpl_household_kinds[h->kind].id;
    const char *risk = tpl_risk_statuses[h->risk].id;
    int64_t level, growth_lo, growth_hi;
    if (strcmp(kind, "general") == 0) {
        level = rng_range(r, 2000, 4000);
        growth_lo = 20, growth_hi = 100;
    } else if (strcmp(risk, "at_risk") == 0) {
        level = strcmp(kind, "hardship") == 0 ? rng_range(r, 500, 1000) : rng_range(r, 750, 1150);
        growth_lo = -60, growth_hi = 80;
    } else if (strcmp(risk, "cleared") == 0) {
        level = rng_range(r, 1100, 1700);
        growth_lo = 20, growth_hi = 100;
    } else {
        level = rng_range(r, 1300, 3200);
        growth_lo = 20, growth_hi = 120;
    }
    int shock_year =
        rng_permille(r, 40) ? (int)rng_range(r, DEMO_FIRST_YEAR + 1, DEMO_LAST_YEAR) : 0;
    int64_t pc = pm(g->threshold[h->first_year - DEMO_FIRST_YEAR], level);
    int64_t transfer_pm = level < 1200 ? rng_range(r, 200, 450) : rng_range(r, 60, 180);
    int64_t operating_pm = rng_range(r, 80, 300);
    int64_t property_pm = rng_range(r, 0, 40);
    for (int y = h->first_year - DEMO_FIRST_YEAR; y < DEMO_YEARS; y++) {
        int year = DEMO_FIRST_YEAR + y;
        if (year > h->first_year)
            pc = pm(pc, 1000 + rng_range(r, growth_lo, growth_hi));
        if (year == shock_year)
            pc = pm(pc, rng_range(r, 500, 700));
        int64_t total = pc * h->size;
        int64_t dividend = h->dividend[y];
        if (dividend > total / 4)
            dividend = total / 4;
        int64_t transfer = pm(total, transfer_pm);
        int64_t operating = pm(total, operating_pm);
        int64_t property = pm(total, property_pm) + dividend;
        int64_t wages = total - transfer - operating - property;
        if (wages < 0) {
            operating += wages;
            wages = 0;
            if (operating < 0) {
                transfer += operating;
                operating = 0;
            }
        }
        int64_t sum = wages + operating + property + transfer;
        dv vals[] = {T(h->code),   I(year),     I(sum / h->size), I(wages),
                     I(operating), I(property), I(transfer),      I(dividend)};
        bf_status rc = emit(g, TPL_HOUSEHOLD_YEARS, vals);
        if (rc)
            return rc;
        g->res->household_years++;
    }
    return BF_OK;
}

/* ------------------------------------------------------------ a village */

static int64_t share_of(rng_t *r, int64_t total, int64_t weight, int64_t total_weight)
{
    /* total * weight / total_weight with stochastic rounding (no overflow:
     * total <= 10^6 and a weight is a few thousand). */
    int64_t num = total * weight;
    int64_t q = num / total_weight;
    int64_t rem = num % total_weight;
    if (rng_range(r, 0, total_weight - 1) < rem)
        q++;
    return q;
}

static bf_status generate_village(gen *g, int vi)
{
    demo_village *v = &g->villages[vi];
    demo_county *c = &g->counties[v->county];
    memcpy(g->county, v->code, 6);
    g->county[6] = '\0';
    bf_arena_reset(g->scratch);
    rng_t r;
    rng_seed(&r, g->opt->seed, v->code, 2);

    int nh = (int)share_of(&r, DEMO_PROVINCE_HOUSEHOLDS, v->weight, g->total_weight);
    int np = (int)share_of(&r, DEMO_PROVINCE_PROJECTS, v->weight, g->total_weight);
    int npv = 0;
    if (v->poor) /* 12,000 stations over 3,058 villages: 3.92 each */
        npv = (int)rng_range(&r, 2, 5) + (rng_range(&r, 0, 999) < 424 ? 1 : 0);
    gen_project *projects = bf_arena_calloc(g->scratch, (size_t)(np + npv) + 1, sizeof *projects);
    gen_household *hh = bf_arena_calloc(g->scratch, (size_t)nh + 1, sizeof *hh);
    int *order = bf_arena_calloc(g->scratch, (size_t)nh + 1, sizeof *order);
    if (!projects || !hh || !order)
        return bf_error_set(g->err, BF_ERR_NOMEM, "内存不足");

    int chain_count[MAX_CHAINS + 1] = {0};
    for (int i = 0; i < np + npv; i++) {
        int chain = i < np ? rng_weighted(&r, c->chain_weight, g->nchains) : -1;
        int slot = chain >= 0 ? chain : MAX_CHAINS;
        plan_project(g, &r, v, c, &projects[i], chain, chain_count[slot]++, nh);
    }
    for (int i = 0; i < nh; i++)
        plan_household(g, &r, v, i + 1, &hh[i]);

    /* Links: each project picks its households (partial Fisher-Yates). */
    int nlinks = 0;
    for (int i = 0; i < np + npv; i++)
        nlinks += projects[i].links;
    gen_link *links = bf_arena_calloc(g->scratch, (size_t)nlinks + 1, sizeof *links);
    if (!links)
        return bf_error_set(g->err, BF_ERR_NOMEM, "内存不足");
    int nl = 0;
    for (int i = 0; i < np + npv; i++) {
        gen_project *p = &projects[i];
        int mode = 0;
        while (mode < 4 && strcmp(modes[mode], p->mode) != 0)
            mode++;
        for (int k = 0; k < nh; k++)
            order[k] = k;
        for (int k = 0; k < p->links; k++) {
            int j = (int)rng_range(&r, k, nh - 1);
            int t = order[k];
            order[k] = order[j];
            order[j] = t;
            gen_link *l = &links[nl++];
            l->household = order[k];
            l->project = i;
            l->kind = p->chain < 0 ? "dividend" : link_kinds[mode][rng_range(&r, 0, 2)];
            if (strcmp(tpl_household_kinds[hh[order[k]].kind].id, "general") != 0)
                p->poor_links++;
            if (strcmp(l->kind, "dividend") == 0)
                p->dividend_links++;
        }
    }

    bf_status rc = BF_OK;
    for (int i = 0; i < np + npv && !rc; i++) {
        gen_project *p = &projects[i];
        dv vals[] = {T(p->code),
                     T(p->name),
                     T(v->code),
                     T(p->chain >= 0 ? g->chains[p->chain].sector : "pv"),
                     T(p->chain >= 0 ? g->chains[p->chain].name : "村级光伏帮扶电站"),
                     I(p->start_year),
                     I(p->investment),
                     I(p->linkage),
                     T(p->mode),
                     T(p->operator_name),
                     T(p->operator_code),
                     T(NULL),
                     T(p->status),
                     T(p->idle_year ? p->idle_since : NULL)};
        char owner[MAX_NAME];
        snprintf(owner, sizeof owner, "%s股份经济合作社", v->short_name);
        vals[11] = T(owner);
        rc = emit(g, TPL_PROJECTS, vals);
        if (!rc)
            rc = emit_assets(g, &r, p);
        if (!rc)
            rc = emit_project_years(g, &r, p);
        g->res->projects++;
        if (p->chain < 0)
            g->res->pv_stations++;
    }
    /* Dividends reach the households linked by dividend. */
    for (int k = 0; k < nl; k++) {
        const gen_project *p = &projects[links[k].project];
        if (strcmp(links[k].kind, "dividend") != 0 || p->dividend_links == 0)
            continue;
        for (int y = 0; y < DEMO_YEARS; y++) {
            int64_t d = p->distributed[y] / p->dividend_links;
            hh[links[k].household].dividend[y] += d - d % 100;
        }
    }
    for (int i = 0; i < nh && !rc; i++) {
        rc = emit_household(g, &r, v, &hh[i]);
        if (!rc)
            rc = emit_household_years(g, &r, &hh[i]);
        g->res->households++;
        g->households_done++;
    }
    for (int k = 0; k < nl && !rc; k++) {
        dv vals[] = {T(hh[links[k].household].code), T(projects[links[k].project].code),
                     T(links[k].kind)};
        rc = emit(g, TPL_BENEFITS, vals);
        g->res->benefits++;
    }
    g->res->villages++;
    return rc;
}

/* ------------------------------------------------------------ thresholds */

/* The monitoring thresholds of the demo years (data/demo_thresholds.csv) for
 * the province, through the thresholds module, unless the year has one. */
static bf_status write_thresholds(gen *g)
{
    for (int y = 0; y < DEMO_YEARS; y++) {
        thr_table *table = bf_arena_alloc(g->scratch, sizeof *table);
        if (!table)
            return bf_error_set(g->err, BF_ERR_NOMEM, "内存不足");
        bf_status rc = thr_load_year(g->store, DEMO_FIRST_YEAR + y, table, g->err);
        if (!rc && table->count == 0) {
            rc = thr_set(g->store, DEMO_FIRST_YEAR + y, NULL, g->threshold[y], "demo",
                         "演示数据（示例值，非官方标准）", g->err);
            if (!rc)
                g->res->thresholds++;
        }
        bf_arena_reset(g->scratch);
        if (rc)
            return rc;
    }
    return BF_OK;
}

/* ------------------------------------------------------------ entry points */

bool demo_scale_parse(const char *text, demo_scale *out)
{
    static const char *const names[] = {"county", "quarter", "province"};
    for (int i = 0; i < 3; i++)
        if (text && strcmp(text, names[i]) == 0) {
            *out = (demo_scale)i;
            return true;
        }
    return false;
}

const char *demo_scale_name(demo_scale scale)
{
    static const char *const names[] = {"county", "quarter", "province"};
    return (unsigned)scale < 3 ? names[scale] : "?";
}

static bf_status check_empty(gen *g)
{
    static const char *const tables[] = {"projects", "households"};
    for (size_t i = 0; i < 2; i++) {
        char sql[64];
        int64_t n = 0;
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", tables[i]);
        bf_status rc = store_query_int64(g->store, sql, &n, g->err, 0);
        if (rc)
            return rc;
        if (n > 0)
            return bf_error_set(g->err, BF_ERR_STATE,
                                "数据库中已有%s数据，演示数据只能写入新建的空数据库",
                                i == 0 ? "项目" : "农户");
    }
    return BF_OK;
}

bf_status demo_generate(bf_store *store, const demo_options *options, demo_result *result,
                        bf_error *err)
{
    demo_result local;
    if (!result)
        result = &local;
    memset(result, 0, sizeof *result);
    if (!options || !options->keys)
        return bf_error_set(err, BF_ERR_INTERNAL, "缺少身份证号密钥");
    gen *g = calloc(1, sizeof *g);
    if (!g)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    g->store = store;
    g->opt = options;
    g->res = result;
    g->err = err;
    bool in_tx = false;
    bf_status rc = BF_OK;
    g->arena = bf_arena_new(0);
    g->scratch = bf_arena_new(0);
    g->birth_seq = calloc((size_t)CITIES * BIRTH_DAYS, sizeof *g->birth_seq);
    if (!g->arena || !g->scratch || !g->birth_seq) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    if ((rc = load_chains(g)) || (rc = load_names(g)) || (rc = load_thresholds(g)))
        goto out;
    if ((rc = check_empty(g)) || (rc = load_regions(g)) || (rc = draw_poor_villages(g)))
        goto out;
    weigh_villages(g);
    if ((rc = select_counties(g)))
        goto out;
    if (options->csv_dir && mkdir(options->csv_dir, 0755) != 0 && errno != EEXIST) {
        rc = bf_error_set(err, BF_ERR_IO, "无法创建目录 %s：%s", options->csv_dir, strerror(errno));
        goto out;
    }
    for (int k = 0; k < TPL_KIND_COUNT && !rc; k++)
        rc = emitter_open(g, (tpl_kind)k);
    if (rc)
        goto out;
    if ((rc = store_begin(store, err)))
        goto out;
    in_tx = true;
    if ((rc = write_flags(g)) || (rc = write_thresholds(g)))
        goto out;
    int last_county = -1;
    long last_report = -1;
    for (int i = 0; i < g->nvillages && !rc; i++) {
        demo_village *v = &g->villages[i];
        if (!g->counties[v->county].selected)
            continue;
        if (v->county != last_county) {
            last_county = v->county;
            g->county_project_seq = 0;
            g->county_pv_seq = 0;
        }
        rc = generate_village(g, i);
        if (options->on_progress && g->households_done / 2000 != last_report) {
            last_report = g->households_done / 2000;
            options->on_progress(options->progress_ctx, g->households_done, g->households_planned);
        }
    }
    if (rc)
        goto out;
    rc = store_commit(store, err);
    in_tx = false;
    if (options->on_progress)
        options->on_progress(options->progress_ctx, g->households_done, g->households_done);
out:
    if (in_tx)
        store_rollback(store);
    if (g->flag_stmt)
        store_finalize(g->flag_stmt);
    {
        bf_status close_rc = emitters_close(g, rc == BF_OK);
        if (rc == BF_OK)
            rc = close_rc;
    }
    sodium_memzero(&g->last_id, sizeof g->last_id);
    free(g->birth_seq);
    bf_arena_free(g->scratch);
    bf_arena_free(g->arena);
    free(g);
    return rc;
}
