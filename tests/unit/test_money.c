/*
 * test_money.c - exact decimals and money in fen: parsing what users type
 * (with a reason for every refusal), formatting in 元 and 万元, limits of int64,
 * and round trips. Cases are tables of (input, expected).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/money.h"

#include <stdio.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Money reasons, as the user sees them. */
#define R_EMPTY    "金额不能为空"
#define R_NEGATIVE "金额不能为负数"
#define R_PLUS     "金额不要带正号“+”"
#define R_EXPONENT "金额不支持科学计数法（如 1E+5），请填写完整数字"
#define R_SPACE    "金额中间不能有空格"
#define R_FULL     "金额含有全角字符，请改用半角数字和符号"
#define R_CURRENCY "请去掉货币符号，金额只填写数字（单位：元）"
#define R_UNIT     "请去掉单位，金额只填写数字（单位：元）"
#define R_PERCENT  "金额不能带百分号"
#define R_MINUS    "金额的负号只能写在最前面"
#define R_POINTS   "金额只能有一个小数点"
#define R_NODIGIT  "金额缺少数字"
#define R_SEP      "金额的千位分隔符位置不对（应如 1,234,567.89）"
#define R_CHAR     "金额含有非法字符，只能填写数字、小数点和负号"
#define R_DECIMALS "金额最多保留两位小数"
#define R_BIG      "金额过大"

typedef struct {
    const char *in;
    bool allow_negative;
    bool ok;
    int64_t fen;        /* when ok */
    const char *reason; /* when refused */
} money_case;

static const money_case money_cases[] = {
    /* plain */
    {"1234.5", false, true, 123450, NULL},
    {"1234.50", false, true, 123450, NULL},
    {"1234", false, true, 123400, NULL},
    {"0", false, true, 0, NULL},
    {"0.00", false, true, 0, NULL},
    {"0.01", false, true, 1, NULL},
    {"0.1", false, true, 10, NULL},
    {"007", false, true, 700, NULL},
    {"000000000000000000000000000001.00", false, true, 100, NULL},
    /* "5." and ".5" are accepted */
    {"5.", false, true, 500, NULL},
    {".5", false, true, 50, NULL},
    {".05", false, true, 5, NULL},
    {"-.5", true, true, -50, NULL},
    {"-5.", true, true, -500, NULL},
    /* surrounding blanks are ignored */
    {"  12.30 \t", false, true, 1230, NULL},
    {"\r\n8\r\n", false, true, 800, NULL},
    /* extra zeros beyond two decimals lose nothing */
    {"1.500", false, true, 150, NULL},
    {"1.0000000000000000000000", false, true, 100, NULL},
    /* thousands separators, well placed */
    {"1,234.50", false, true, 123450, NULL},
    {"1,234,567.89", false, true, 123456789, NULL},
    {"12,345", false, true, 1234500, NULL},
    {"123,456", false, true, 12345600, NULL},
    {"1,234.", false, true, 123400, NULL},
    {"-1,000", true, true, -100000, NULL},
    /* badly placed separators */
    {"1,23", false, false, 0, R_SEP},
    {"1234,567", false, false, 0, R_SEP},
    {"1,2345", false, false, 0, R_SEP},
    {",123", false, false, 0, R_SEP},
    {"0,123", false, false, 0, R_SEP},
    {"01,234", false, false, 0, R_SEP},
    {"1,,234", false, false, 0, R_SEP},
    {"1,234,56", false, false, 0, R_SEP},
    {"1,234,", false, false, 0, R_SEP},
    {"1.234,5", false, false, 0, R_SEP},
    {"1,23.5", false, false, 0, R_SEP},
    {"12,34,567", false, false, 0, R_SEP},
    /* decimals */
    {"1234.567", false, false, 0, R_DECIMALS},
    {"1.001", false, false, 0, R_DECIMALS},
    {"0.0000001", false, false, 0, R_DECIMALS},
    {"-1234.567", true, false, 0, R_DECIMALS},
    /* negatives */
    {"-1", false, false, 0, R_NEGATIVE},
    {"-0", false, false, 0, R_NEGATIVE},
    {"-1", true, true, -100, NULL},
    {"-0", true, true, 0, NULL},
    {"--1", true, false, 0, R_MINUS},
    {"1-2", true, false, 0, R_MINUS},
    {"12-", true, false, 0, R_MINUS},
    /* empty and digitless */
    {"", false, false, 0, R_EMPTY},
    {"   ", false, false, 0, R_EMPTY},
    {"-", true, false, 0, R_NODIGIT},
    {".", false, false, 0, R_NODIGIT},
    {"-.", true, false, 0, R_NODIGIT},
    /* forbidden forms, each with its reason */
    {"+5", false, false, 0, R_PLUS},
    {"5+", false, false, 0, R_PLUS},
    {"1e5", false, false, 0, R_EXPONENT},
    {"1E+5", false, false, 0, R_EXPONENT},
    {"1.5E3", false, false, 0, R_EXPONENT},
    {"1 234", false, false, 0, R_SPACE},
    {"1\t234", false, false, 0, R_SPACE},
    {"1\xC2\xA0"
     "234",
     false, false, 0, R_SPACE},
    {"１２３", false, false, 0, R_FULL},
    {"12３", false, false, 0, R_FULL},
    {"12．5", false, false, 0, R_FULL},
    {"1，234", false, false, 0, R_FULL},
    {"1　234", false, false, 0, R_FULL},
    {"12。5", false, false, 0, R_FULL},
    {"¥12", false, false, 0, R_CURRENCY},
    {"￥12", false, false, 0, R_CURRENCY},
    {"$12", false, false, 0, R_CURRENCY},
    {"12元", false, false, 0, R_UNIT},
    {"5万", false, false, 0, R_UNIT},
    {"3亿", false, false, 0, R_UNIT},
    {"12%", false, false, 0, R_PERCENT},
    {"1.2.3", false, false, 0, R_POINTS},
    {"abc", false, false, 0, R_CHAR},
    {"12a", false, false, 0, R_CHAR},
    {"0x10", false, false, 0, R_CHAR},
    {"NaN", false, false, 0, R_CHAR},
    {"inf", false, false, 0, R_CHAR},
    {"(12)", false, false, 0, R_CHAR},
    /* int64 limits */
    {"92233720368547758.07", false, true, INT64_MAX, NULL},
    {"92,233,720,368,547,758.07", false, true, INT64_MAX, NULL},
    {"92233720368547758.08", false, false, 0, R_BIG},
    {"-92233720368547758.08", true, true, INT64_MIN, NULL},
    {"-92233720368547758.09", true, false, 0, R_BIG},
    {"92233720368547759", false, false, 0, R_BIG},
    {"99999999999999999999999", false, false, 0, R_BIG},
    {"999999999999999999999999999999999999999999.99", true, false, 0, R_BIG},
};

static void test_money_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(money_cases); i++) {
        const money_case *c = &money_cases[i];
        int64_t fen = 4242;
        const char *reason = NULL;
        bool ok = bf_money_parse(c->in, strlen(c->in), c->allow_negative, &fen, &reason);
        if (ok != c->ok)
            fail_msg("case %zu \"%s\": ok=%d reason=%s", i, c->in, ok, reason ? reason : "");
        if (ok) {
            if (fen != c->fen)
                fail_msg("case %zu \"%s\": %lld, expected %lld", i, c->in, (long long)fen,
                         (long long)c->fen);
        } else {
            assert_int_equal(fen, 4242); /* untouched on failure */
            assert_non_null(reason);
            if (strcmp(reason, c->reason) != 0)
                fail_msg("case %zu \"%s\": reason \"%s\", expected \"%s\"", i, c->in, reason,
                         c->reason);
        }
        /* Same value through the general parser at scale 2. */
        int64_t value = 0;
        assert_int_equal(bf_decimal_parse(c->in, strlen(c->in), 2, c->allow_negative, &value, NULL),
                         ok);
        if (ok)
            assert_int_equal(value, fen);
    }
}

static void test_decimal_scales(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int scale;
        bool allow_negative;
        bool ok;
        int64_t value;
        const char *reason;
    } cases[] = {
        {"12", 0, false, true, 12, NULL},
        {"12.0", 0, false, true, 12, NULL},
        {"12.", 0, false, true, 12, NULL},
        {"12.5", 0, false, false, 0, "只能填写整数，不能有小数"},
        {"9223372036854775807", 0, false, true, INT64_MAX, NULL},
        {"9,223,372,036,854,775,807", 0, false, true, INT64_MAX, NULL},
        {"9223372036854775808", 0, false, false, 0, "数值过大"},
        {"-9223372036854775808", 0, true, true, INT64_MIN, NULL},
        {"-9223372036854775809", 0, true, false, 0, "数值过大"},
        {"18446744073709551615", 0, false, false, 0, "数值过大"},
        {"18446744073709551616", 0, false, false, 0, "数值过大"},
        {"1.2345", 4, false, true, 12345, NULL},
        {"1.23456", 4, false, false, 0, "最多保留4位小数"},
        {"0.5", 1, false, true, 5, NULL},
        {"0.55", 1, false, false, 0, "最多保留1位小数"},
        {"3.14", 3, false, true, 3140, NULL},
        {"9.223372036854775807", 18, false, true, INT64_MAX, NULL},
        {"9.223372036854775808", 18, false, false, 0, "数值过大"},
        {"-9.223372036854775808", 18, true, true, INT64_MIN, NULL},
        {"10", 18, false, false, 0, "数值过大"},
        {"0.000000000000000001", 18, false, true, 1, NULL},
        {"-1", 2, false, false, 0, "不能为负数"},
        {"", 2, false, false, 0, "不能为空"},
        {"1.001", 2, false, false, 0, "最多保留2位小数"},
        {"12元", 2, false, false, 0, "请去掉单位，只填写数字"},
        {"1", -1, false, false, 0, "内部错误：小数位数设置无效"},
        {"1", 19, false, false, 0, "内部错误：小数位数设置无效"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t value = 0;
        const char *reason = NULL;
        bool ok = bf_decimal_parse(cases[i].in, strlen(cases[i].in), cases[i].scale,
                                   cases[i].allow_negative, &value, &reason);
        if (ok != cases[i].ok)
            fail_msg("case %zu \"%s\" scale %d: ok=%d", i, cases[i].in, cases[i].scale, ok);
        if (ok)
            assert_int_equal(value, cases[i].value);
        else
            assert_string_equal(reason, cases[i].reason);
    }
}

static void test_parse_bounds(void **state)
{
    (void)state;
    int64_t v = 0;
    const char *reason = NULL;
    /* Only len bytes are read. */
    assert_true(bf_money_parse("12.34xyz", 5, false, &v, NULL));
    assert_int_equal(v, 1234);
    /* An embedded NUL is a bad character, not an end. */
    assert_false(bf_money_parse("12\0"
                                "3",
                                4, false, &v, &reason));
    assert_string_equal(reason, R_CHAR);
    /* NULL with length 0 is empty; a NULL reason pointer is fine. */
    assert_false(bf_money_parse(NULL, 0, false, &v, &reason));
    assert_string_equal(reason, R_EMPTY);
    assert_false(bf_money_parse("x", 1, false, &v, NULL));
}

static void test_decimal_format_table(void **state)
{
    (void)state;
    static const struct {
        int64_t value;
        int scale;
        const char *expect;
    } cases[] = {
        {123450, 2, "1234.50"},
        {0, 2, "0.00"},
        {5, 2, "0.05"},
        {-5, 2, "-0.05"},
        {-100, 2, "-1.00"},
        {100, 2, "1.00"},
        {12, 0, "12"},
        {-12, 0, "-12"},
        {0, 0, "0"},
        {123, 4, "0.0123"},
        {INT64_MAX, 2, "92233720368547758.07"},
        {INT64_MIN, 2, "-92233720368547758.08"},
        {INT64_MAX, 0, "9223372036854775807"},
        {INT64_MIN, 0, "-9223372036854775808"},
        {1, 18, "0.000000000000000001"},
        {INT64_MIN, 18, "-9.223372036854775808"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char out[64];
        int n = bf_decimal_format(cases[i].value, cases[i].scale, out, sizeof out);
        assert_string_equal(out, cases[i].expect);
        assert_int_equal(n, (int)strlen(cases[i].expect));
    }
    char out[64];
    assert_int_equal(bf_money_format(123450, out, sizeof out), 7);
    assert_string_equal(out, "1234.50");
    assert_int_equal(bf_money_format(-1, out, sizeof out), 5);
    assert_string_equal(out, "-0.01");
    /* Sizes: exactly enough, one short, zero; bad scales. */
    char small[8];
    assert_int_equal(bf_decimal_format(123450, 2, small, 8), 7);
    assert_string_equal(small, "1234.50");
    assert_int_equal(bf_decimal_format(123450, 2, small, 7), -1);
    assert_string_equal(small, "");
    assert_int_equal(bf_decimal_format(1, 2, small, 0), -1);
    assert_int_equal(bf_decimal_format(1, -1, out, sizeof out), -1);
    assert_int_equal(bf_decimal_format(1, 19, out, sizeof out), -1);
    /* 32 bytes always suffice. */
    char fits[32];
    assert_true(bf_decimal_format(INT64_MIN, 18, fits, sizeof fits) > 0);
    assert_true(bf_money_format_wan(INT64_MIN, fits, sizeof fits) > 0);
    assert_true(bf_money_format_yuan_grouped(INT64_MIN, fits, sizeof fits) > 0);
}

static void test_format_wan_table(void **state)
{
    (void)state;
    /* 1 万元 = 1,000,000 fen; two decimals of 万元 are 10,000 fen. */
    static const struct {
        int64_t fen;
        const char *expect;
    } cases[] = {
        {1234567800, "1,234.57"},
        {0, "0.00"},
        {4999, "0.00"},
        {5000, "0.01"},
        {-4999, "0.00"},
        {-5000, "-0.01"},
        {10000, "0.01"},
        {14999, "0.01"},
        {15000, "0.02"},
        {25000, "0.03"}, /* 2.5 hundredths: half away from zero */
        {-25000, "-0.03"},
        {-15000, "-0.02"},
        {1000000, "1.00"},
        {99995000, "100.00"},
        {99994999, "99.99"},
        {100000000000, "100,000.00"},
        {123456789012345, "123,456,789.01"},
        {INT64_MAX, "9,223,372,036,854.78"},
        {INT64_MIN, "-9,223,372,036,854.78"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char out[64];
        int n = bf_money_format_wan(cases[i].fen, out, sizeof out);
        if (strcmp(out, cases[i].expect) != 0)
            fail_msg("case %zu %lld: \"%s\", expected \"%s\"", i, (long long)cases[i].fen, out,
                     cases[i].expect);
        assert_int_equal(n, (int)strlen(cases[i].expect));
    }
}

static void test_format_grouped_table(void **state)
{
    (void)state;
    static const struct {
        int64_t fen;
        const char *expect;
    } cases[] = {
        {123456789, "1,234,567.89"},
        {-100, "-1.00"},
        {99999, "999.99"},
        {100000, "1,000.00"},
        {0, "0.00"},
        {-12345678, "-123,456.78"},
        {INT64_MAX, "92,233,720,368,547,758.07"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char out[64];
        bf_money_format_yuan_grouped(cases[i].fen, out, sizeof out);
        assert_string_equal(out, cases[i].expect);
    }
}

/* A small deterministic generator for round-trip values. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void check_round_trip(int64_t v, int scale)
{
    char out[64];
    int64_t back = 0;
    const char *reason = NULL;
    int n = bf_decimal_format(v, scale, out, sizeof out);
    assert_true(n > 0);
    if (!bf_decimal_parse(out, (size_t)n, scale, true, &back, &reason))
        fail_msg("\"%s\" (scale %d) did not parse back: %s", out, scale, reason);
    assert_int_equal(back, v);
    if (scale == 2) {
        n = bf_money_format_yuan_grouped(v, out, sizeof out);
        assert_true(bf_money_parse(out, (size_t)n, true, &back, &reason));
        assert_int_equal(back, v);
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    static const int64_t edges[] = {
        0,     1,      -1,        99,        100,           999,          1000,
        99999, 100000, INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1};
    for (int scale = 0; scale <= 18; scale++) {
        for (size_t i = 0; i < COUNT(edges); i++)
            check_round_trip(edges[i], scale);
        uint64_t seed = 0x9E3779B97F4A7C15u + (uint64_t)scale;
        for (int k = 0; k < 2000; k++) {
            uint64_t r = next_random(&seed);
            /* Spread magnitudes over all digit counts. */
            int64_t v = (int64_t)(r >> (1 + r % 63));
            if (r & 1)
                v = -v;
            check_round_trip(v, scale);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_money_parse_table), cmocka_unit_test(test_decimal_scales),
        cmocka_unit_test(test_parse_bounds),      cmocka_unit_test(test_decimal_format_table),
        cmocka_unit_test(test_format_wan_table),  cmocka_unit_test(test_format_grouped_table),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
