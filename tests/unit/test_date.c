/*
 * test_date.c - calendar dates, Excel serials, months between dates, the clock
 * and local-time formatting. Cases are tables of (input, expected).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/date.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void fmt(bf_date d, char out[32])
{
    snprintf(out, 32, "%04d-%02d-%02d", d.year, d.month, d.day);
}

static void test_parse_table(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *expect; /* normalised date, or NULL when refused */
        const char *reason; /* expected reason when refused */
    } cases[] = {
        {"2024-03-05", "2024-03-05", NULL},
        {"2024/3/5", "2024-03-05", NULL},
        {"2024/03/05", "2024-03-05", NULL},
        {"2024/12/31", "2024-12-31", NULL},
        {"0001-01-01", "0001-01-01", NULL},
        {"9999-12-31", "9999-12-31", NULL},
        /* leap years */
        {"2000-02-29", "2000-02-29", NULL},
        {"2024-02-29", "2024-02-29", NULL},
        {"2400-02-29", "2400-02-29", NULL},
        {"1900-02-29", NULL, "日期不存在"},
        {"2023-02-29", NULL, "日期不存在"},
        {"2100-02-29", NULL, "日期不存在"},
        {"2024-04-31", NULL, "日期不存在"},
        {"2024-13-01", NULL, "日期不存在"},
        {"2024-00-10", NULL, "日期不存在"},
        {"2024-01-00", NULL, "日期不存在"},
        {"0000-01-01", NULL, "日期不存在"},
        /* shapes */
        {"", NULL, "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"},
        {"2024", NULL, "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"},
        {"2024-3-5", NULL, "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"},
        {"2024-03/05", NULL, "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"},
        {"24-03-05", NULL, "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"},
        {"20240305", NULL, "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"},
        {"2024-03-05 ", NULL, "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"},
        {" 2024-03-05", NULL, "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"},
        {"2024-003-05", NULL, "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"},
        {"2024/3/", NULL, "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"},
        {"2024/3/123", NULL, "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"},
        {"2024年3月5日", NULL, "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"},
        {"２０２４-03-05", NULL, "日期格式应为 YYYY-MM-DD 或 YYYY/M/D"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        bf_date d = {0, 0, 0};
        const char *reason = NULL;
        bool ok = bf_date_parse(cases[i].in, strlen(cases[i].in), &d, &reason);
        if (ok != (cases[i].expect != NULL))
            fail_msg("case %zu \"%s\": ok=%d", i, cases[i].in, ok);
        if (ok) {
            char got[32];
            fmt(d, got);
            assert_string_equal(got, cases[i].expect);
        } else {
            assert_non_null(reason);
            assert_string_equal(reason, cases[i].reason);
        }
    }
    /* The length bounds the parse: a prefix of a longer buffer. */
    bf_date d;
    assert_true(bf_date_parse("2024-03-05XYZ", 10, &d, NULL));
    assert_false(bf_date_parse("2024-03-05", 9, &d, NULL));
}

static void test_valid_table(void **state)
{
    (void)state;
    static const struct {
        int y, m, d;
        bool ok;
    } cases[] = {
        {2000, 2, 29, true},  {1900, 2, 29, false}, {2024, 2, 29, true},  {2023, 2, 28, true},
        {2023, 2, 29, false}, {2024, 1, 31, true},  {2024, 6, 31, false}, {1, 1, 1, true},
        {0, 12, 31, false},   {9999, 12, 31, true}, {10000, 1, 1, false}, {2024, 0, 1, false},
        {2024, 13, 1, false}, {2024, -1, 1, false}, {2024, 1, 0, false},  {2024, 1, 32, false},
    };
    for (size_t i = 0; i < COUNT(cases); i++)
        if (bf_date_valid(cases[i].y, cases[i].m, cases[i].d) != cases[i].ok)
            fail_msg("case %zu: %d-%d-%d", i, cases[i].y, cases[i].m, cases[i].d);
}

static void test_days_known(void **state)
{
    (void)state;
    static const struct {
        bf_date date;
        int64_t days;
    } cases[] = {
        {{1970, 1, 1}, 0},      {{1969, 12, 31}, -1},      {{2000, 3, 1}, 11017},
        {{1, 1, 1}, -719162},   {{9999, 12, 31}, 2932896}, {{2000, 2, 29}, 11016},
        {{1900, 3, 1}, -25508},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        assert_int_equal(bf_date_to_days(cases[i].date), cases[i].days);
        bf_date back = bf_date_from_days(cases[i].days);
        assert_int_equal(bf_date_cmp(back, cases[i].date), 0);
    }
}

/* Walk every day from 1890 to 2110: each is valid, follows the previous one by
 * one day in the calendar, and round-trips through day numbers. */
static void test_days_walk(void **state)
{
    (void)state;
    bf_date prev = {1889, 12, 31};
    int64_t prev_days = bf_date_to_days(prev);
    for (int64_t n = prev_days + 1; n <= bf_date_to_days((bf_date){2110, 12, 31}); n++) {
        bf_date d = bf_date_from_days(n);
        assert_true(bf_date_valid(d.year, d.month, d.day));
        assert_int_equal(bf_date_to_days(d), n);
        assert_true(bf_date_cmp(prev, d) < 0);
        if (d.day == 1) {
            /* The previous day was the last of its month. */
            assert_false(bf_date_valid(prev.year, prev.month, prev.day + 1));
        } else {
            assert_int_equal(d.day, prev.day + 1);
            assert_int_equal(d.month, prev.month);
        }
        prev = d;
    }
}

static void test_days_clamped(void **state)
{
    (void)state;
    char got[32];
    fmt(bf_date_from_days(INT64_MAX), got);
    assert_string_equal(got, "9999-12-31");
    fmt(bf_date_from_days(INT64_MIN), got);
    assert_string_equal(got, "0001-01-01");
    fmt(bf_date_from_days(2932897), got);
    assert_string_equal(got, "9999-12-31");
}

static void test_excel_serial(void **state)
{
    (void)state;
    static const struct {
        int64_t serial;
        const char *expect; /* NULL: refused */
    } cases[] = {
        {1, "1900-01-01"},
        {2, "1900-01-02"},
        {31, "1900-01-31"},
        {32, "1900-02-01"},
        {59, "1900-02-28"},
        {60, NULL}, /* phantom 1900-02-29 */
        {61, "1900-03-01"},
        {25569, "1970-01-01"},
        {36585, "2000-02-29"},
        {45000, "2023-03-15"},
        {46355, "2026-11-29"},
        {2958465, "9999-12-31"},
        {2958466, NULL},
        {0, NULL},
        {-1, NULL},
        {INT64_MAX, NULL},
        {INT64_MIN, NULL},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        bf_date d = {0, 0, 0};
        bool ok = bf_date_from_excel_serial(cases[i].serial, &d);
        if (ok != (cases[i].expect != NULL))
            fail_msg("serial %lld: ok=%d", (long long)cases[i].serial, ok);
        if (ok) {
            char got[32];
            fmt(d, got);
            assert_string_equal(got, cases[i].expect);
        }
    }
}

static void test_format_and_cmp(void **state)
{
    (void)state;
    char out[11];
    bf_date_format((bf_date){2024, 3, 5}, out, sizeof out);
    assert_string_equal(out, "2024-03-05");
    bf_date_format((bf_date){1, 1, 1}, out, sizeof out);
    assert_string_equal(out, "0001-01-01");
    char small[5];
    bf_date_format((bf_date){2024, 3, 5}, small, sizeof small);
    assert_string_equal(small, "2024");

    static const struct {
        bf_date a, b;
        int sign;
    } cases[] = {
        {{2024, 1, 1}, {2024, 1, 1}, 0},   {{2024, 1, 1}, {2024, 1, 2}, -1},
        {{2024, 2, 1}, {2024, 1, 31}, 1},  {{2023, 12, 31}, {2024, 1, 1}, -1},
        {{2025, 1, 1}, {2024, 12, 31}, 1},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        int c = bf_date_cmp(cases[i].a, cases[i].b);
        assert_int_equal(c < 0 ? -1 : c > 0 ? 1 : 0, cases[i].sign);
    }
}

static void test_today(void **state)
{
    (void)state;
    /* ctest sets BF_TODAY=2026-11-29; run standalone, set it here. */
    const char *env = getenv("BF_TODAY");
    char saved[32] = "2026-11-29";
    if (env)
        snprintf(saved, sizeof saved, "%s", env);
    setenv("BF_TODAY", "2026-11-29", 1);
    bf_date t = bf_date_today();
    assert_int_equal(t.year, 2026);
    assert_int_equal(t.month, 11);
    assert_int_equal(t.day, 29);
    setenv("BF_TODAY", "2024/2/29", 1);
    t = bf_date_today();
    assert_int_equal(bf_date_cmp(t, (bf_date){2024, 2, 29}), 0);
    /* A malformed override falls back to the clock: a real date after 2020. */
    setenv("BF_TODAY", "2023-02-29", 1);
    t = bf_date_today();
    assert_true(bf_date_valid(t.year, t.month, t.day));
    assert_true(t.year >= 2020);
    unsetenv("BF_TODAY");
    bf_date clock = bf_date_today();
    int64_t now_days = (bf_time_now() + 8 * 3600) / 86400;
    int64_t diff = bf_date_to_days(clock) - now_days;
    assert_true(diff >= 0 && diff <= 1); /* midnight may pass between the calls */
    setenv("BF_TODAY", saved, 1);
}

static void test_months_between(void **state)
{
    (void)state;
    static const struct {
        bf_date a, b;
        int months;
    } cases[] = {
        {{2024, 1, 15}, {2024, 7, 15}, 6},
        {{2024, 1, 15}, {2024, 7, 14}, 5},
        {{2024, 1, 15}, {2024, 1, 15}, 0},
        {{2024, 1, 15}, {2024, 2, 14}, 0},
        {{2024, 1, 15}, {2024, 2, 15}, 1},
        /* month ends: the last day of a short month completes the month */
        {{2024, 1, 31}, {2024, 2, 29}, 1},
        {{2024, 1, 31}, {2024, 2, 28}, 0},
        {{2023, 1, 31}, {2023, 2, 28}, 1},
        {{2023, 1, 30}, {2023, 2, 28}, 1},
        {{2024, 3, 31}, {2024, 4, 30}, 1},
        {{2024, 1, 31}, {2024, 3, 30}, 1},
        {{2024, 1, 31}, {2024, 3, 31}, 2},
        {{2024, 2, 29}, {2025, 2, 28}, 12},
        {{2024, 2, 29}, {2028, 2, 29}, 48},
        /* across years */
        {{2023, 12, 31}, {2024, 1, 1}, 0},
        {{2023, 11, 30}, {2024, 1, 30}, 2},
        {{2022, 7, 1}, {2024, 6, 30}, 23},
        {{2022, 7, 1}, {2024, 7, 1}, 24},
        /* reversed: negative */
        {{2024, 7, 15}, {2024, 1, 15}, -6},
        {{2024, 7, 14}, {2024, 1, 15}, -5},
        {{2024, 2, 29}, {2024, 1, 31}, -1},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        int got = bf_date_months_between(cases[i].a, cases[i].b);
        if (got != cases[i].months)
            fail_msg("case %zu: %d-%d-%d -> %d-%d-%d gave %d, expected %d", i, cases[i].a.year,
                     cases[i].a.month, cases[i].a.day, cases[i].b.year, cases[i].b.month,
                     cases[i].b.day, got, cases[i].months);
    }
    /* Unchecked dates do not read out of bounds (month 0 or 13). */
    (void)bf_date_months_between((bf_date){2024, 1, 31}, (bf_date){2024, 13, 1});
    (void)bf_date_months_between((bf_date){2024, 1, 31}, (bf_date){2025, 0, 1});
}

static void test_time_format(void **state)
{
    (void)state;
    static const struct {
        int64_t t;
        const char *local; /* Asia/Shanghai */
        const char *utc;
    } cases[] = {
        {0, "1970-01-01 08:00:00", "1970-01-01T00:00:00Z"},
        {-1, "1970-01-01 07:59:59", "1969-12-31T23:59:59Z"},
        {1700000000, "2023-11-15 06:13:20", "2023-11-14T22:13:20Z"},
        /* UTC 15:59:59 is local 23:59:59; one second later local is the next day */
        {1795967999, "2026-11-29 23:59:59", "2026-11-29T15:59:59Z"},
        {1795968000, "2026-11-30 00:00:00", "2026-11-29T16:00:00Z"},
        /* into a leap day and into a new year */
        {1709136000, "2024-02-29 00:00:00", "2024-02-28T16:00:00Z"},
        {1767196799, "2025-12-31 23:59:59", "2025-12-31T15:59:59Z"},
        {1767196800, "2026-01-01 00:00:00", "2025-12-31T16:00:00Z"},
        /* clamped to years 1..9999 */
        {INT64_MAX, "9999-12-31 23:59:59", "9999-12-31T23:59:59Z"},
        {INT64_MIN, "0001-01-01 08:00:00", "0001-01-01T00:00:00Z"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char out[32];
        bf_time_format_local(cases[i].t, out, sizeof out);
        assert_string_equal(out, cases[i].local);
        bf_time_format_utc(cases[i].t, out, sizeof out);
        assert_string_equal(out, cases[i].utc);
    }
    /* now is after 2020-01-01 */
    assert_true(bf_time_now() > 1577836800);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),    cmocka_unit_test(test_valid_table),
        cmocka_unit_test(test_days_known),     cmocka_unit_test(test_days_walk),
        cmocka_unit_test(test_days_clamped),   cmocka_unit_test(test_excel_serial),
        cmocka_unit_test(test_format_and_cmp), cmocka_unit_test(test_today),
        cmocka_unit_test(test_months_between), cmocka_unit_test(test_time_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
