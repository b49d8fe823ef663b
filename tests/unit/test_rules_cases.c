/*
 * test_rules_cases.c - runs the rule cases of tests/rules/NN_name.case, each on a
 * fresh database with the default rule set: registry rows are inserted with
 * SQL through the store interface, `bangfu classify` is run through its domain
 * function, and the results are checked. The format is in tests/rules/README.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"
#include "core/buf.h"
#include "domain/classify.h"
#include "domain/rules.h"
#include "domain/thresholds.h"
#include "store/store.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CASES  64
#define MAX_FIELDS 32

/* Defaults for the NOT NULL columns a case does not give ({code} is the row's code). */
static const struct {
    const char *table;
    const char *defaults[MAX_FIELDS];
} table_defaults[] = {
    {"projects",
     {"name={code}", "region_code=360102001001", "sector=planting", "start_year=2020",
      "investment=1000000", "operation_mode=collective", "status=operating", NULL}},
    {"assets",
     {"name={code}", "type=equipment", "nature=operating", "original_value=100000",
      "acquired_on=2020-01-01", "state=in_use", NULL}},
    {"project_years",
     {"revenue=0", "profit=0", "collective_income=0", "households_benefited=0", NULL}},
    {"households",
     {"region_code=360102001001", "head_id_hash={code}", "head_id_enc=x", "head_id_masked=x",
      "head_name=张三", "kind=alleviated", "size=3", "risk_status=none", NULL}},
    {"household_years", {"income_per_capita=1000000", NULL}},
    {"benefits", {"kind=dividend", NULL}},
};

static const char *const regions_sql =
    "INSERT INTO regions (code, name, level, parent_code, flags) VALUES "
    "('360000000000', '江西省', 1, NULL, 0),"
    "('360100000000', '南昌市', 2, '360000000000', 0),"
    "('360102000000', '东湖区', 3, '360100000000', 1),"
    "('360102001000', '某街道', 4, '360102000000', 0),"
    "('360102001001', '某村', 5, '360102001000', 4),"
    "('360103000000', '西湖区', 3, '360100000000', 0),"
    "('360103001000', '另一街道', 4, '360103000000', 0),"
    "('360103001001', '另一村', 5, '360103001000', 0)";

typedef struct {
    const char *file;
    int line;
    bf_store *store;
    int64_t year;
    classify_result *last;
    int classified;
} case_state;

#define CASE_FAIL(cs, ...)                                                                         \
    do {                                                                                           \
        char msg_[4096];                                                                           \
        snprintf(msg_, sizeof msg_, __VA_ARGS__);                                                  \
        fail_msg("%s:%d: %s", (cs)->file, (cs)->line, msg_);                                       \
    } while (0)

static bool ident_ok(const char *s, size_t len)
{
    if (len == 0 || len > 40)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
            return false;
    return true;
}

/* Split "a b c" into at most max words (modifies line). */
static int split_words(char *line, char **words, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *w = strtok_r(line, " \t", &save); w && n < max; w = strtok_r(NULL, " \t", &save))
        words[n++] = w;
    return n;
}

/* `row TABLE col=value ...`: defaults filled in, values bound as text. */
static void do_row(case_state *cs, char **words, int n)
{
    const char *table = words[1];
    size_t t;
    for (t = 0; t < sizeof table_defaults / sizeof table_defaults[0]; t++)
        if (strcmp(table_defaults[t].table, table) == 0)
            break;
    if (t == sizeof table_defaults / sizeof table_defaults[0])
        CASE_FAIL(cs, "unknown table %s", table);
    const char *cols[MAX_FIELDS * 2], *values[MAX_FIELDS * 2];
    int ncols = 0;
    const char *code = "";
    for (int i = 2; i < n; i++) {
        char *eq = strchr(words[i], '=');
        if (!eq || !ident_ok(words[i], (size_t)(eq - words[i])))
            CASE_FAIL(cs, "bad field %s", words[i]);
        *eq = '\0';
        cols[ncols] = words[i];
        values[ncols++] = eq + 1;
        if (strcmp(words[i], "code") == 0)
            code = eq + 1;
    }
    char default_buf[MAX_FIELDS][128];
    for (int d = 0; table_defaults[t].defaults[d]; d++) {
        const char *def = table_defaults[t].defaults[d];
        const char *eq = strchr(def, '=');
        size_t clen = (size_t)(eq - def);
        bool given = false;
        for (int i = 0; i < ncols && !given; i++)
            given = strlen(cols[i]) == clen && memcmp(cols[i], def, clen) == 0;
        if (given)
            continue;
        snprintf(default_buf[d], sizeof default_buf[d], "%.*s", (int)clen, def);
        char *value = default_buf[d] + clen + 1;
        if (strcmp(eq + 1, "{code}") == 0)
            snprintf(value, sizeof default_buf[d] - clen - 1, "%s", code);
        else
            snprintf(value, sizeof default_buf[d] - clen - 1, "%s", eq + 1);
        cols[ncols] = default_buf[d];
        values[ncols++] = value;
    }
    /* county_code, unless given: the region's first 6 digits, else the
     * parent's (the project, or the household). */
    char county[16] = "";
    bool has_county = false;
    const char *region = NULL, *parent = NULL, *parent_sql = NULL;
    for (int i = 0; i < ncols; i++) {
        has_county = has_county || strcmp(cols[i], "county_code") == 0;
        if (strcmp(cols[i], "region_code") == 0)
            region = values[i];
        else if (strcmp(cols[i], "project_code") == 0 && !parent_sql) {
            parent = values[i];
            parent_sql = "SELECT county_code FROM projects WHERE code = ?";
        } else if (strcmp(cols[i], "household_code") == 0) {
            parent = values[i];
            parent_sql = "SELECT county_code FROM households WHERE code = ?";
        }
    }
    if (!has_county && region) {
        snprintf(county, sizeof county, "%.6s", region);
    } else if (!has_county && parent_sql) {
        bf_error qerr;
        bf_stmt *q = NULL;
        bool has_row = false;
        if (store_prepare(cs->store, parent_sql, &q, &qerr) == BF_OK) {
            store_bind_str(q, 1, parent);
            if (store_step(q, &has_row, &qerr) == BF_OK && has_row)
                snprintf(county, sizeof county, "%s", store_column_text(q, 0, NULL));
            store_finalize(q);
        }
    }
    if (!has_county && county[0] && ncols < MAX_FIELDS * 2) {
        cols[ncols] = "county_code";
        values[ncols++] = county;
    }
    bf_buf sql;
    bf_buf_init(&sql, 4096);
    bf_buf_printf(&sql, "INSERT INTO %s (", table);
    for (int i = 0; i < ncols; i++)
        bf_buf_printf(&sql, "%s%s", i ? ", " : "", cols[i]);
    bf_buf_append_str(&sql, ") VALUES (");
    for (int i = 0; i < ncols; i++)
        bf_buf_append_str(&sql, i ? ", ?" : "?");
    bf_buf_append_str(&sql, ")");
    bf_error err;
    bf_error_clear(&err);
    bf_stmt *stmt = NULL;
    if (store_prepare(cs->store, sql.data, &stmt, &err) != BF_OK)
        CASE_FAIL(cs, "%s", err.msg);
    for (int i = 0; i < ncols; i++)
        store_bind_str(stmt, i + 1, strcmp(values[i], "NULL") == 0 ? NULL : values[i]);
    bf_status rc = store_step_done(stmt, &err);
    store_finalize(stmt);
    bf_buf_free(&sql);
    if (rc)
        CASE_FAIL(cs, "insert into %s: %s", table, err.msg);
}

static void do_classify(case_state *cs)
{
    bf_error err;
    bf_error_clear(&err);
    classify_options options = {cs->year, NULL, "test"};
    if (classify_run(cs->store, &options, cs->last, &err) != BF_OK)
        CASE_FAIL(cs, "classify: %s", err.msg);
    cs->classified++;
}

/* `rule CODE condition: TEXT` or `rule CODE explanation: TEXT`: edit one rule
 * of the set in force by exporting it, changing the cell and importing the
 * result as a new version. */
static void do_rule_edit(case_state *cs, char *rest)
{
    char *colon = strstr(rest, ": ");
    if (!colon)
        CASE_FAIL(cs, "rule edit needs `CODE field: text`");
    *colon = '\0';
    char *words[3];
    if (split_words(rest, words, 3) != 2)
        CASE_FAIL(cs, "rule edit needs `CODE field: text`");
    const char *code = words[0], *field = words[1], *text = colon + 2;
    bf_error err;
    bf_error_clear(&err);
    rule_set *set = NULL;
    batch_table batches;
    if (rules_batches_load(cs->store, &batches, &err) != BF_OK ||
        rules_load_for_year(cs->store, cs->year, &set, &err) != BF_OK)
        CASE_FAIL(cs, "%s", err.msg);
    bool found = false;
    for (size_t i = 0; i < set->nrules; i++) {
        rule *r = &set->rules[i];
        if (strcmp(r->code, code) != 0)
            continue;
        found = true;
        if (strcmp(field, "condition") == 0)
            r->condition = text;
        else if (strcmp(field, "explanation") == 0)
            r->explanation = text;
        else
            CASE_FAIL(cs, "unknown rule field %s", field);
    }
    if (!found)
        CASE_FAIL(cs, "no rule %s", code);
    char *data = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&data, &len);
    assert_non_null(fp);
    set->year = cs->year;
    if (rules_write_csv(set, &batches, false, fp, &err) != BF_OK)
        CASE_FAIL(cs, "%s", err.msg);
    fclose(fp);
    rules_set_free(set);
    rules_import_options options = {.source = "case", .actor = "test"};
    if (rules_import_mem(cs->store, data, len, &options, NULL, NULL, NULL, &err) != BF_OK)
        CASE_FAIL(cs, "import edited rules: %s", err.msg);
    free(data);
}

static int64_t query_count(case_state *cs, const char *sql, int nparams, const char *a,
                           const char *b, const char *c, const char *d)
{
    bf_error err;
    bf_error_clear(&err);
    int64_t count = -1;
    if (store_query_int64(cs->store, sql, &count, &err, nparams, a, b, c, d) != BF_OK)
        CASE_FAIL(cs, "%s", err.msg);
    return count;
}

static long parse_long(case_state *cs, const char *s)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!end || *end)
        CASE_FAIL(cs, "not a number: %s", s);
    return v;
}

static void do_expect(case_state *cs, char **w, int n)
{
    char year[16];
    snprintf(year, sizeof year, "%lld", (long long)cs->year);
    const classify_result *r = cs->last;
    const batch_table *b = &r->batches;
    if (n == 5 && strcmp(w[1], "batch") == 0) {
        /* expect batch CODE LABEL RULE ('-' for the fallback) */
        bf_error err;
        bf_error_clear(&err);
        bf_stmt *stmt = NULL;
        assert_int_equal(store_prepare(cs->store,
                                       "SELECT b.label, COALESCE(c.rule_code, '-'), c.explanation "
                                       "FROM classifications c JOIN batches b "
                                       "ON b.id = c.proposed_batch "
                                       "WHERE c.project_code = ? AND c.year = ?",
                                       &stmt, &err),
                         BF_OK);
        store_bind_str(stmt, 1, w[2]);
        store_bind_str(stmt, 2, year);
        bool has_row = false;
        assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
        if (!has_row) {
            store_finalize(stmt);
            CASE_FAIL(cs, "project %s has no classification", w[2]);
        }
        char label[64], rule_code[64], expl[512];
        snprintf(label, sizeof label, "%s", store_column_text(stmt, 0, NULL));
        snprintf(rule_code, sizeof rule_code, "%s", store_column_text(stmt, 1, NULL));
        snprintf(expl, sizeof expl, "%s", store_column_text(stmt, 2, NULL));
        store_finalize(stmt);
        if (strcmp(label, w[3]) != 0 || strcmp(rule_code, w[4]) != 0)
            CASE_FAIL(cs, "project %s: got %s by %s (%s), want %s by %s", w[2], label, rule_code,
                      expl, w[3], w[4]);
        return;
    }
    if (n >= 4 && strcmp(w[1], "explanation") == 0) {
        /* expect explanation CODE TEXT...: the stored explanation contains TEXT */
        bf_error err;
        bf_error_clear(&err);
        bf_stmt *stmt = NULL;
        assert_int_equal(store_prepare(cs->store,
                                       "SELECT explanation FROM classifications "
                                       "WHERE project_code = ? AND year = ?",
                                       &stmt, &err),
                         BF_OK);
        store_bind_str(stmt, 1, w[2]);
        store_bind_str(stmt, 2, year);
        bool has_row = false;
        assert_int_equal(store_step(stmt, &has_row, &err), BF_OK);
        char expl[1024] = "";
        if (has_row)
            snprintf(expl, sizeof expl, "%s", store_column_text(stmt, 0, NULL));
        store_finalize(stmt);
        char want[512] = "";
        for (int i = 3; i < n; i++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i > 3 ? " " : "",
                     w[i]);
        if (!strstr(expl, want))
            CASE_FAIL(cs, "explanation of %s is [%s], lacks [%s]", w[2], expl, want);
        return;
    }
    if (n == 3 && strcmp(w[1], "unclassified") == 0) {
        int64_t c = query_count(cs,
                                "SELECT COUNT(*) FROM classifications WHERE project_code = ? "
                                "AND year = ?",
                                2, w[2], year, NULL, NULL);
        if (c != 0)
            CASE_FAIL(cs, "project %s was classified", w[2]);
        return;
    }
    if (n == 5 && (strcmp(w[1], "warning") == 0 || strcmp(w[1], "no-warning") == 0)) {
        /* expect [no-]warning project|household CODE RULE: a live warning exists or not */
        int64_t c = query_count(cs,
                                "SELECT COUNT(*) FROM warnings WHERE subject_kind = ? AND "
                                "subject_code = ? AND rule_code = ? AND year = ? "
                                "AND status <> 'resolved'",
                                4, w[2], w[3], w[4], year);
        bool want = strcmp(w[1], "warning") == 0;
        if ((c > 0) != want)
            CASE_FAIL(cs, "%s %s rule %s: %lld live warnings, want %s", w[2], w[3], w[4],
                      (long long)c, want ? "one" : "none");
        if (c > 1)
            CASE_FAIL(cs, "%s %s rule %s: %lld live warnings (duplicates)", w[2], w[3], w[4],
                      (long long)c);
        return;
    }
    if (n == 4 && strcmp(w[1], "count") == 0) {
        /* expect count projects|changed|updated|unchanged|first|fallback|households N */
        static const struct {
            const char *name;
            size_t offset;
        } counters[] = {
            {"projects", offsetof(classify_result, projects)},
            {"changed", offsetof(classify_result, changed)},
            {"updated", offsetof(classify_result, updated)},
            {"unchanged", offsetof(classify_result, unchanged)},
            {"first", offsetof(classify_result, first)},
            {"fallback", offsetof(classify_result, fallback)},
            {"households", offsetof(classify_result, households)},
            {"changed_confirmed", offsetof(classify_result, changed_confirmed)},
        };
        for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
            if (strcmp(counters[i].name, w[2]) != 0)
                continue;
            long got = *(const long *)((const char *)r + counters[i].offset);
            if (got != parse_long(cs, w[3]))
                CASE_FAIL(cs, "count %s is %ld, want %s", w[2], got, w[3]);
            return;
        }
        CASE_FAIL(cs, "unknown counter %s", w[2]);
    }
    if (n == 5 && strcmp(w[1], "warnings") == 0) {
        /* expect warnings project|household opened|still|resolved_still|gone N */
        int s = strcmp(w[2], "household") == 0 ? IND_HOUSEHOLD : IND_PROJECT;
        const warn_counts *c = &r->warnings[s];
        long got = strcmp(w[3], "opened") == 0           ? c->opened
                   : strcmp(w[3], "still") == 0          ? c->still_live
                   : strcmp(w[3], "resolved_still") == 0 ? c->resolved_still
                   : strcmp(w[3], "gone") == 0           ? c->no_longer_firing
                   : strcmp(w[3], "firing") == 0         ? c->firing
                                                         : -1;
        if (got != parse_long(cs, w[4]))
            CASE_FAIL(cs, "%s warnings %s is %ld, want %s", w[2], w[3], got, w[4]);
        return;
    }
    if (n == 5 && strcmp(w[1], "transition") == 0) {
        /* expect transition FROM TO N (from the last classify) */
        int from = rules_batch_find(b, w[2], strlen(w[2]));
        int to = rules_batch_find(b, w[3], strlen(w[3]));
        if (from < 0 || to < 0)
            CASE_FAIL(cs, "unknown batch in transition");
        if (r->transitions[from][to] != parse_long(cs, w[4]))
            CASE_FAIL(cs, "transition %s -> %s is %ld, want %s", w[2], w[3],
                      r->transitions[from][to], w[4]);
        return;
    }
    if (n == 4 && strcmp(w[1], "batch-count") == 0) {
        int idx = rules_batch_find(b, w[2], strlen(w[2]));
        if (idx < 0 || r->per_batch[idx] != parse_long(cs, w[3]))
            CASE_FAIL(cs, "batch %s count is %ld, want %s", w[2], idx < 0 ? -1 : r->per_batch[idx],
                      w[3]);
        return;
    }
    CASE_FAIL(cs, "unknown expectation");
}

static void run_case(void **state)
{
    const char *path = *state;
    char *text = bf_test_read_file(path, NULL);
    assert_non_null(text);
    char target[4096];
    assert_int_equal(bf_test_db_new(target, sizeof target), 0);
    case_state cs = {.file = path, .year = 2025};
    cs.store = bf_test_db_open(target);
    cs.last = calloc(1, sizeof *cs.last);
    assert_non_null(cs.last);
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(store_exec(cs.store, regions_sql, &err), BF_OK);
    char buf[4096];
    for (const char *next = text; *next;) {
        const char *nl = strchr(next, '\n');
        size_t len = nl ? (size_t)(nl - next) : strlen(next);
        if (len >= sizeof buf)
            CASE_FAIL(&cs, "line too long");
        memcpy(buf, next, len);
        buf[len] = '\0';
        next += len + (nl ? 1 : 0);
        cs.line++;
        char *line = buf;
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '#' || *line == '\0' || *line == '\r')
            continue;
        line[strcspn(line, "\r")] = '\0';
        if (strncmp(line, "rule ", 5) == 0) {
            do_rule_edit(&cs, line + 5);
            continue;
        }
        if (strncmp(line, "sql ", 4) == 0) {
            if (store_exec(cs.store, line + 4, &err) != BF_OK)
                CASE_FAIL(&cs, "sql: %s", err.msg);
            continue;
        }
        char *words[MAX_FIELDS + 2] = {0};
        int n = split_words(line, words, MAX_FIELDS + 2);
        if (strcmp(words[0], "year") == 0 && n == 2) {
            cs.year = parse_long(&cs, words[1]);
        } else if (strcmp(words[0], "row") == 0 && n >= 2) {
            do_row(&cs, words, n);
        } else if (strcmp(words[0], "threshold") == 0 && (n == 3 || n == 4)) {
            /* threshold YEAR YUAN [REGION] */
            if (thr_set(cs.store, parse_long(&cs, words[1]), n == 4 ? words[3] : NULL,
                        parse_long(&cs, words[2]) * 100, "test", NULL, &err) != BF_OK)
                CASE_FAIL(&cs, "threshold: %s", err.msg);
        } else if (strcmp(words[0], "classify") == 0 && n == 1) {
            do_classify(&cs);
        } else if (strcmp(words[0], "resolve") == 0 && n == 4) {
            /* resolve project|household CODE RULE: resolve its live warning */
            char year[16];
            snprintf(year, sizeof year, "%lld", (long long)cs.year);
            int64_t id = query_count(&cs,
                                     "SELECT MAX(id) FROM warnings WHERE subject_kind = ? AND "
                                     "subject_code = ? AND rule_code = ? AND year = ?",
                                     4, words[1], words[2], words[3], year);
            if (warn_transition(cs.store, id, NULL, WARN_RESOLVED, "test", "核实已解决", &err) !=
                BF_OK)
                CASE_FAIL(&cs, "resolve: %s", err.msg);
        } else if (strcmp(words[0], "decide") == 0 && (n == 3 || n == 4)) {
            /* decide CODE BATCH|- [REASON]: the county confirms (-, or the
             * proposed batch) or overrides the project's proposal of the year */
            classify_decision decision;
            if (classify_decide(cs.store, words[1], cs.year,
                                strcmp(words[2], "-") == 0 ? NULL : words[2], "test",
                                n == 4 ? words[3] : NULL, &decision, &err) != BF_OK)
                CASE_FAIL(&cs, "decide: %s", err.msg);
        } else if (strcmp(words[0], "expect") == 0 && n >= 2) {
            if (!cs.classified && strcmp(words[1], "batch") != 0)
                CASE_FAIL(&cs, "expectation before classify");
            do_expect(&cs, words, n);
        } else {
            CASE_FAIL(&cs, "unknown directive %s", words[0]);
        }
    }
    if (!cs.classified)
        CASE_FAIL(&cs, "the case never runs classify");
    free(cs.last);
    store_close(cs.store);
    free(text);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    char dir[4096];
    bf_test_source_path("tests/rules", dir, sizeof dir);
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", dir);
        return 1;
    }
    char *paths[MAX_CASES];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_CASES) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".case") == 0) {
            paths[n] = malloc(strlen(dir) + len + 2);
            assert_non_null(paths[n]);
            sprintf(paths[n], "%s/%s", dir, e->d_name);
            n++;
        }
    }
    closedir(d);
    if (n == 0) {
        fprintf(stderr, "no cases in %s\n", dir);
        return 1;
    }
    qsort(paths, n, sizeof *paths, name_cmp);
    struct CMUnitTest tests[MAX_CASES];
    for (size_t i = 0; i < n; i++) {
        tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(run_case, paths[i]);
        tests[i].name = strrchr(paths[i], '/') + 1;
    }
    int failed = _cmocka_run_group_tests("rule cases", tests, n, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    return failed;
}
