/*
 * test_validate.c - resident ID numbers, unified social credit codes, integers
 * and region codes. Cases are tables of (input, expected result or reason).
 * Check characters in the tables were computed by an independent script and
 * the published examples checked by hand (see docs/validators.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "io/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ ID numbers */

#define ID_LENGTH    "长度应为18位"
#define ID_FULLWIDTH "含有全角字符，请改用半角数字和字母"
#define ID_CHARS     "含有非法字符（前17位应为数字，最后一位为数字或X）"
#define ID_PROVINCE  "地址码无效（前两位不是省级行政区代码）"
#define ID_BIRTH     "出生日期无效"
#define ID_FUTURE    "出生日期晚于今天"
#define ID_ANCIENT   "出生日期早于1900年"

static const struct {
    const char *in;
    const char *reason; /* NULL: valid */
} id_cases[] = {
    /* GB 11643-1999's own example, and with a lower-case x */
    {"11010519491231002X", NULL},
    {"11010519491231002x", NULL},
    {"110105194912310021", "校验码错误，应为 X"},
    /* constructed (check characters computed independently) */
    {"36010219900101123X", NULL},
    {"360102199001011234", "校验码错误，应为 X"},
    {"360102199001010018", NULL},
    {"360102199001010019", "校验码错误，应为 8"},
    {"36010219900101001X", "校验码错误，应为 8"},
    {"360725196311054327", NULL},
    /* birth date: today (BF_TODAY=2026-11-29) is fine, tomorrow is not */
    {"360102202611290015", NULL},
    {"360102202611300017", ID_FUTURE},
    {"36010220990101001X", ID_FUTURE},
    /* 1900-01-01 is the earliest */
    {"360102190001010017", NULL},
    {"360102189912310012", ID_ANCIENT},
    {"440524188001010014", ID_ANCIENT}, /* GB 11643's example, born 1880 */
    /* leap years */
    {"360102200002290029", NULL},
    {"360102202402290035", NULL},
    {"360102190002290014", ID_BIRTH},
    {"360102202302290011", ID_BIRTH},
    {"360102199013010015", ID_BIRTH},
    {"360102199001000012", ID_BIRTH},
    {"360102199004310016", ID_BIRTH},
    {"360102000001010017", ID_BIRTH},
    /* provinces */
    {"830000198001010018", NULL}, /* Taiwan residents' residence permit */
    {"710000198001010029", NULL},
    {"810000198001010030", NULL},
    {"820000198001010040", NULL},
    {"160102199001010010", ID_PROVINCE},
    {"990102199001010015", ID_PROVINCE},
    {"10010219900101001X", ID_PROVINCE},
    {"000000199001010018", ID_PROVINCE},
    /* lengths */
    {"", ID_LENGTH},
    {"36010219900101123", ID_LENGTH},
    {"36010219900101123X0", ID_LENGTH},
    {"360102900101123", ID_LENGTH}, /* the old 15-digit form */
    /* characters */
    {"36010219900101123A", ID_CHARS},
    {"3601021990010112X4", ID_CHARS},
    {"360102 99001011234", ID_CHARS},
    {"36010219900101123 ", ID_CHARS},
    {"X60102199001011234", ID_CHARS},
    {"36010219900101123\xC3", ID_CHARS},
    {"36010219900101123Ｘ", ID_FULLWIDTH},
    {"３６0102199001011234", ID_FULLWIDTH},
    {"3601021990010112　", ID_FULLWIDTH},
    /* order of checks: date before check character, province before date */
    {"360102202302290010", ID_BIRTH},
    {"160102202302290010", ID_PROVINCE},
};

static bf_date test_today(void)
{
    if (!getenv("BF_TODAY"))
        setenv("BF_TODAY", "2026-11-29", 1);
    bf_date today = bf_date_today();
    assert_int_equal(bf_date_cmp(today, (bf_date){2026, 11, 29}), 0);
    return today;
}

static void test_id_table(void **state)
{
    (void)state;
    bf_date today = test_today();
    for (size_t i = 0; i < COUNT(id_cases); i++) {
        const char *reason = NULL;
        const char *in = id_cases[i].in;
        bool ok = bf_id_number_valid(in, strlen(in), today, &reason);
        if (ok != (id_cases[i].reason == NULL))
            fail_msg("case %zu \"%s\": ok=%d reason=%s", i, in, ok, reason ? reason : "");
        if (!ok && strcmp(reason, id_cases[i].reason) != 0)
            fail_msg("case %zu \"%s\": reason \"%s\", expected \"%s\"", i, in, reason,
                     id_cases[i].reason);
    }
    /* A NULL reason pointer is allowed; NULL input is empty. */
    assert_false(bf_id_number_valid("1", 1, today, NULL));
    const char *reason = NULL;
    assert_false(bf_id_number_valid(NULL, 0, today, &reason));
    assert_string_equal(reason, ID_LENGTH);
    /* Only len bytes are read. */
    assert_true(bf_id_number_valid("11010519491231002X999", 18, today, NULL));
    /* "today" is a parameter: the same number is in the future an earlier day. */
    assert_false(bf_id_number_valid("360102202611290015", 18, (bf_date){2026, 11, 28}, &reason));
    assert_string_equal(reason, ID_FUTURE);
}

/* One prefix for each of the 11 check characters (computed independently). */
static const struct {
    const char *first17;
    char check;
} id_checks[] = {
    {"36010219900101005", '0'}, {"36010219900101018", '1'}, {"36010219900101004", '2'},
    {"36010219900101009", '3'}, {"36010219900101003", '4'}, {"36010219900101008", '5'},
    {"36010219900101002", '6'}, {"36010219900101007", '7'}, {"36010219900101001", '8'},
    {"36010219900101006", '9'}, {"36010219900101000", 'X'}, {"11010519491231002", 'X'},
};

static void test_id_check_chars(void **state)
{
    (void)state;
    bf_date today = test_today();
    static const char candidates[] = "0123456789X";
    for (size_t i = 0; i < COUNT(id_checks); i++) {
        assert_int_equal(bf_id_number_check_char(id_checks[i].first17), id_checks[i].check);
        /* Every last character: only the right one passes; every wrong one names it. */
        for (size_t k = 0; k < sizeof candidates - 1; k++) {
            char id[19];
            memcpy(id, id_checks[i].first17, 17);
            id[17] = candidates[k];
            id[18] = '\0';
            const char *reason = NULL;
            bool ok = bf_id_number_valid(id, 18, today, &reason);
            assert_int_equal(ok, candidates[k] == id_checks[i].check);
            if (!ok) {
                char expected[64];
                snprintf(expected, sizeof expected, "校验码错误，应为 %c", id_checks[i].check);
                assert_string_equal(reason, expected);
            }
        }
    }
    /* Not 17 digits: no check character, and no read past a NUL. */
    assert_int_equal(bf_id_number_check_char("3601021990010100A"), '\0');
    assert_int_equal(bf_id_number_check_char("3601"), '\0');
    assert_int_equal(bf_id_number_check_char(""), '\0');
    assert_int_equal(bf_id_number_check_char(NULL), '\0');
}

static void test_id_birth_and_sex(void **state)
{
    (void)state;
    bf_date d;
    assert_true(bf_id_number_birth_date("11010519491231002X", 18, &d));
    assert_int_equal(bf_date_cmp(d, (bf_date){1949, 12, 31}), 0);
    assert_false(bf_id_number_birth_date("360102202302290011", 18, &d));
    assert_false(bf_id_number_birth_date("36010219900101", 14, &d));
    assert_false(bf_id_number_birth_date("360102199A0101001X", 18, &d));
    /* 17th digit: odd male (1), even female (2). */
    assert_int_equal(bf_id_number_sex("11010519491231002X", 18), 2);
    assert_int_equal(bf_id_number_sex("360102199001010018", 18), 1);
    assert_int_equal(bf_id_number_sex("36010219900101001", 17), 0);
    assert_int_equal(bf_id_number_sex("3601021990010100AX", 18), 0);
}

/* ----------------------------------------------------------------- USCC */

#define USCC_LENGTH    "长度应为18位"
#define USCC_FULLWIDTH "含有全角字符，请改用半角数字和字母"
#define USCC_LOWER     "字母应为大写（请按证照原样填写）"
#define USCC_CHARS     "含有非法字符（只用数字和大写字母，不含 I、O、Z、S、V）"
#define USCC_REGION    "第3至8位（登记管理机关行政区划码）应为数字"

static const struct {
    const char *in;
    const char *reason; /* NULL: valid */
} uscc_cases[] = {
    /* a published code, check character verified by hand (sum 1640, 1640 mod 31
     * = 28, 31 - 28 = 3) */
    {"91350100M000100Y43", NULL},
    {"91350100M000100Y44", "校验码错误，应为 3"},
    {"91350100M000100Y4Y", "校验码错误，应为 3"},
    /* constructed: sum mod 31 = 0 gives check 0 (31 -> 0) */
    {"91360100MA350WK7Q0", NULL},
    {"91360100MA350WK7QY", "校验码错误，应为 0"},
    {"91360100MA350KK7QY", NULL},
    {"12360000491010000K", NULL},
    {"N2360102MF0000001J", NULL}, /* village collective economic organisation */
    {"Y1360102000000000W", NULL},
    /* case */
    {"91350100m000100Y43", USCC_LOWER},
    {"91350100M000100y43", USCC_LOWER},
    /* letters outside the alphabet */
    {"91350100I000100Y43", USCC_CHARS},
    {"91350100O000100Y43", USCC_CHARS},
    {"91350100Z000100Y43", USCC_CHARS},
    {"91350100S000100Y43", USCC_CHARS},
    {"91350100V000100Y43", USCC_CHARS},
    {"91350100M000100Y4-", USCC_CHARS},
    {"91350100M000 100Y4", USCC_CHARS},
    {"91350100M000100Y4\xC3", USCC_CHARS},
    /* positions 3-8 are the region code */
    {"9135A100M000100Y43", USCC_REGION},
    {"91350X00M000100Y43", USCC_REGION},
    {"913501M0M000100Y43", USCC_REGION},
    /* lengths */
    {"", USCC_LENGTH},
    {"91350100M000100Y4", USCC_LENGTH},
    {"91350100M000100Y433", USCC_LENGTH},
    {"913501007000100", USCC_LENGTH},
    /* full width */
    {"91350100Ｍ000100Y43", USCC_FULLWIDTH},
    {"９1350100M000100Y4", USCC_FULLWIDTH},
};

static void test_uscc_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(uscc_cases); i++) {
        const char *reason = NULL;
        const char *in = uscc_cases[i].in;
        bool ok = bf_uscc_valid(in, strlen(in), &reason);
        if (ok != (uscc_cases[i].reason == NULL))
            fail_msg("case %zu \"%s\": ok=%d reason=%s", i, in, ok, reason ? reason : "");
        if (!ok && strcmp(reason, uscc_cases[i].reason) != 0)
            fail_msg("case %zu \"%s\": reason \"%s\", expected \"%s\"", i, in, reason,
                     uscc_cases[i].reason);
    }
    const char *reason = NULL;
    assert_false(bf_uscc_valid(NULL, 0, &reason));
    assert_string_equal(reason, USCC_LENGTH);
    assert_false(bf_uscc_valid("x", 1, NULL));
}

/* One prefix for each of the 31 check characters (computed independently). */
static const struct {
    const char *first17;
    char check;
} uscc_checks[] = {
    {"91360100MA350WK7Q", '0'}, {"91360100MA3506K7Q", '1'}, {"91360100MA350FK7Q", '2'},
    {"91360100MA350QK7Q", '3'}, {"91360100MA3502K7Q", '4'}, {"91360100MA350BK7Q", '5'},
    {"91360100MA350LK7Q", '6'}, {"91360100MA350XK7Q", '7'}, {"91360100MA3507K7Q", '8'},
    {"91360100MA350GK7Q", '9'}, {"91360100MA350RK7Q", 'A'}, {"91360100MA3503K7Q", 'B'},
    {"91360100MA350CK7Q", 'C'}, {"91360100MA350MK7Q", 'D'}, {"91360100MA350YK7Q", 'E'},
    {"91360100MA3508K7Q", 'F'}, {"91360100MA350HK7Q", 'G'}, {"91360100MA350TK7Q", 'H'},
    {"91360100MA3504K7Q", 'J'}, {"91360100MA350DK7Q", 'K'}, {"91360100MA350NK7Q", 'L'},
    {"91360100MA3500K7Q", 'M'}, {"91360100MA3509K7Q", 'N'}, {"91360100MA350JK7Q", 'P'},
    {"91360100MA350UK7Q", 'Q'}, {"91360100MA3505K7Q", 'R'}, {"91360100MA350EK7Q", 'T'},
    {"91360100MA350PK7Q", 'U'}, {"91360100MA3501K7Q", 'W'}, {"91360100MA350AK7Q", 'X'},
    {"91360100MA350KK7Q", 'Y'}, {"91350100M000100Y4", '3'}, {"11100000000013127", 'D'},
    {"91110000600037341", 'L'}, {"31360000MD0185050", 'R'},
};

static void test_uscc_check_chars(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    for (size_t i = 0; i < COUNT(uscc_checks); i++) {
        assert_int_equal(bf_uscc_check_char(uscc_checks[i].first17), uscc_checks[i].check);
        for (size_t k = 0; k < sizeof alphabet - 1; k++) {
            char code[19];
            memcpy(code, uscc_checks[i].first17, 17);
            code[17] = alphabet[k];
            code[18] = '\0';
            const char *reason = NULL;
            bool ok = bf_uscc_valid(code, 18, &reason);
            assert_int_equal(ok, alphabet[k] == uscc_checks[i].check);
            if (!ok) {
                char expected[64];
                snprintf(expected, sizeof expected, "校验码错误，应为 %c", uscc_checks[i].check);
                assert_string_equal(reason, expected);
            }
        }
    }
    assert_int_equal(bf_uscc_check_char("91350100I000100Y4"), '\0');
    assert_int_equal(bf_uscc_check_char("91350100m000100Y4"), '\0');
    assert_int_equal(bf_uscc_check_char("9135"), '\0');
    assert_int_equal(bf_uscc_check_char(NULL), '\0');
}

/* ------------------------------------------------------------- integers */

static void test_int_table(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int64_t min, max;
        bool ok;
        int64_t value;
        const char *reason;
    } cases[] = {
        {"0", 0, 10, true, 0, NULL},
        {"10", 0, 10, true, 10, NULL},
        {"11", 0, 10, false, 0, "数值超出允许范围"},
        {"007", 0, 10, true, 7, NULL},
        {" 5 ", 0, 10, true, 5, NULL},
        {"-3", -5, 5, true, -3, NULL},
        {"-6", -5, 5, false, 0, "数值超出允许范围"},
        {"-1", 0, 5, false, 0, "不能为负数"},
        {"-0", 0, 5, false, 0, "不能为负数"},
        {"-", -5, 5, false, 0, "应为整数（只能填写数字）"},
        {"", 0, 5, false, 0, "不能为空"},
        {"  ", 0, 5, false, 0, "不能为空"},
        {"5.0", 0, 10, false, 0, "应为整数，不能有小数"},
        {"1,000", 0, 10000, false, 0, "应为整数（只能填写数字）"},
        {"+5", 0, 10, false, 0, "应为整数（只能填写数字）"},
        {"1e3", 0, 10000, false, 0, "应为整数（只能填写数字）"},
        {"5 5", 0, 100, false, 0, "应为整数（只能填写数字）"},
        {"--5", -10, 10, false, 0, "应为整数（只能填写数字）"},
        {"５", 0, 10, false, 0, "含有全角字符，请改用半角数字"},
        {"9223372036854775807", INT64_MIN, INT64_MAX, true, INT64_MAX, NULL},
        {"9223372036854775808", INT64_MIN, INT64_MAX, false, 0, "数值超出允许范围"},
        {"-9223372036854775808", INT64_MIN, INT64_MAX, true, INT64_MIN, NULL},
        {"-9223372036854775809", INT64_MIN, INT64_MAX, false, 0, "数值超出允许范围"},
        {"99999999999999999999999", 0, INT64_MAX, false, 0, "数值超出允许范围"},
        {"00000000000000000000000042", 0, 100, true, 42, NULL},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t value = 4242;
        const char *reason = NULL;
        bool ok = bf_int_parse(cases[i].in, strlen(cases[i].in), cases[i].min, cases[i].max, &value,
                               &reason);
        if (ok != cases[i].ok)
            fail_msg("case %zu \"%s\": ok=%d reason=%s", i, cases[i].in, ok, reason ? reason : "");
        if (ok) {
            assert_int_equal(value, cases[i].value);
        } else {
            assert_int_equal(value, 4242);
            assert_string_equal(reason, cases[i].reason);
        }
    }
    int64_t v;
    assert_true(bf_int_parse("12abc", 2, 0, 100, &v, NULL));
    assert_int_equal(v, 12);
    assert_false(bf_int_parse(NULL, 0, 0, 100, &v, NULL));
}

/* --------------------------------------------------------- region codes */

static void test_region_normalize(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *expect; /* NULL: refused */
        const char *reason;
    } cases[] = {
        {"36", "360000000000", NULL},
        {"3601", "360100000000", NULL},
        {"360102", "360102000000", NULL},
        {"360102001", "360102001000", NULL},
        {"360102001001", "360102001001", NULL},
        {"360000000000", "360000000000", NULL},
        {"110101", "110101000000", NULL},
        {"820000", "820000000000", NULL},
        {"3", NULL, "区划代码应为2、4、6、9或12位数字"},
        {"360", NULL, "区划代码应为2、4、6、9或12位数字"},
        {"3601020", NULL, "区划代码应为2、4、6、9或12位数字"},
        {"3601020010010", NULL, "区划代码应为2、4、6、9或12位数字"},
        {"", NULL, "区划代码应为2、4、6、9或12位数字"},
        {"36010A", NULL, "区划代码应为2、4、6、9或12位数字"},
        {"36 102", NULL, "区划代码应为2、4、6、9或12位数字"},
        {"00", NULL, "区划代码的前两位（省级代码）应在11至82之间"},
        {"10", NULL, "区划代码的前两位（省级代码）应在11至82之间"},
        {"99", NULL, "区划代码的前两位（省级代码）应在11至82之间"},
        {"830000", NULL, "区划代码的前两位（省级代码）应在11至82之间"},
        {"360002", NULL, "区划代码有误：上级层级为全零，下级却不为零"},
        {"360100001", NULL, "区划代码有误：上级层级为全零，下级却不为零"},
        {"360102000001", NULL, "区划代码有误：上级层级为全零，下级却不为零"},
        {"360000000001", NULL, "区划代码有误：上级层级为全零，下级却不为零"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char out[13] = "unchanged";
        const char *reason = NULL;
        bool ok = bf_region_code_normalize(cases[i].in, strlen(cases[i].in), out, &reason);
        if (ok != (cases[i].expect != NULL))
            fail_msg("case %zu \"%s\": ok=%d", i, cases[i].in, ok);
        if (ok) {
            assert_string_equal(out, cases[i].expect);
        } else {
            assert_string_equal(reason, cases[i].reason);
            assert_string_equal(out, "unchanged");
        }
    }
}

static void test_region_level_and_parent(void **state)
{
    (void)state;
    static const struct {
        const char *code;
        bf_region_level level;
        const char *parent; /* NULL: none */
    } cases[] = {
        {"360000000000", BF_LEVEL_PROVINCE, NULL},
        {"360100000000", BF_LEVEL_CITY, "360000000000"},
        {"360102000000", BF_LEVEL_COUNTY, "360100000000"},
        {"360102001000", BF_LEVEL_TOWNSHIP, "360102000000"},
        {"360102001001", BF_LEVEL_VILLAGE, "360102001000"},
        {"361100000000", BF_LEVEL_CITY, "360000000000"},
        {"361130203210", BF_LEVEL_VILLAGE, "361130203000"},
        {"369999999999", BF_LEVEL_VILLAGE, "369999999000"},
        {"429004000000", BF_LEVEL_COUNTY, "429000000000"},
        {"110000000000", BF_LEVEL_PROVINCE, NULL},
        {"820000000000", BF_LEVEL_PROVINCE, NULL},
        /* malformed */
        {"000000000000", BF_LEVEL_NONE, NULL},
        {"100000000000", BF_LEVEL_NONE, NULL},
        {"830000000000", BF_LEVEL_NONE, NULL},
        {"360002000000", BF_LEVEL_NONE, NULL},
        {"360100001000", BF_LEVEL_NONE, NULL},
        {"360102000001", BF_LEVEL_NONE, NULL},
        {"360000000001", BF_LEVEL_NONE, NULL},
        {"36010200100A", BF_LEVEL_NONE, NULL},
        {"3601 2001001", BF_LEVEL_NONE, NULL},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        if (bf_region_code_level(cases[i].code) != cases[i].level)
            fail_msg("case %zu %s: level %d, expected %d", i, cases[i].code,
                     (int)bf_region_code_level(cases[i].code), (int)cases[i].level);
        char parent[13] = "unchanged";
        bool ok = bf_region_code_parent(cases[i].code, parent);
        assert_int_equal(ok, cases[i].parent != NULL);
        if (ok) {
            assert_string_equal(parent, cases[i].parent);
            /* The parent is one level up. */
            assert_int_equal(bf_region_code_level(parent), cases[i].level - 1);
        } else {
            assert_string_equal(parent, "unchanged");
        }
    }
    assert_int_equal(bf_region_code_level(NULL), BF_LEVEL_NONE);
}

static void test_region_range(void **state)
{
    (void)state;
    static const struct {
        const char *code, *lo, *hi;
    } cases[] = {
        {"360000000000", "360000000000", "370000000000"},
        {"360100000000", "360100000000", "360200000000"},
        {"360102000000", "360102000000", "360103000000"},
        {"360102001000", "360102001000", "360102002000"},
        {"360102001001", "360102001001", "360102001002"},
        /* carries */
        {"369900000000", "369900000000", "370000000000"},
        {"360199000000", "360199000000", "360200000000"},
        {"360102999000", "360102999000", "360103000000"},
        {"360102001999", "360102001999", "360102002000"},
        {"369999999999", "369999999999", "370000000000"},
        {"820000000000", "820000000000", "830000000000"},
        /* malformed: an empty range */
        {"360002000000", "000000000000", "000000000000"},
        {"99000000000X", "000000000000", "000000000000"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char lo[13], hi[13];
        bf_region_code_range(cases[i].code, lo, hi);
        assert_string_equal(lo, cases[i].lo);
        assert_string_equal(hi, cases[i].hi);
    }
}

/* b is in a's range exactly when a is b or one of b's ancestors. */
static void test_region_range_matches_ancestry(void **state)
{
    (void)state;
    static const char *const codes[] = {
        "360000000000", "360100000000", "360102000000", "360102001000", "360102001001",
        "360102001002", "360102002000", "360102002001", "360103000000", "360199000000",
        "360199999000", "360199999999", "360200000000", "361100000000", "369900000000",
        "369999999999", "370000000000", "370100000000", "350000000000", "359999999999",
    };
    for (size_t i = 0; i < COUNT(codes); i++) {
        char lo[13], hi[13];
        bf_region_code_range(codes[i], lo, hi);
        for (size_t j = 0; j < COUNT(codes); j++) {
            bool in_range = strcmp(codes[j], lo) >= 0 && strcmp(codes[j], hi) < 0;
            bool ancestor = false;
            char walk[13];
            memcpy(walk, codes[j], 13);
            for (;;) {
                if (strcmp(walk, codes[i]) == 0) {
                    ancestor = true;
                    break;
                }
                char up[13];
                if (!bf_region_code_parent(walk, up))
                    break;
                memcpy(walk, up, 13);
            }
            if (in_range != ancestor)
                fail_msg("%s in range of %s: %d, ancestor: %d", codes[j], codes[i], in_range,
                         ancestor);
        }
    }
}

/* The county key of a scope: one county (=), or the range of whole counties. */
static void test_region_range_counties(void **state)
{
    (void)state;
    static const struct {
        const char *code;
        bool one, aligned;
        const char *clo, *chi;
    } cases[] = {
        {"360000000000", false, true, "360000", "370000"}, /* province */
        {"360100000000", false, true, "360100", "360200"}, /* city */
        {"360102000000", true, true, "360102", "360103"},  /* county */
        {"360102001000", true, false, "360102", "360103"}, /* township */
        {"360102001001", true, false, "360102", "360103"}, /* village */
        {"369900000000", false, true, "369900", "370000"}, /* a city ending in 99 */
        {"360199000000", true, true, "360199", "360200"},  /* a county ending in 99 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char lo[13], hi[13], clo[7], chi[7];
        bool aligned = !cases[i].aligned;
        bf_region_code_range(cases[i].code, lo, hi);
        bool one = bf_region_range_counties(lo, hi, clo, chi, &aligned);
        if (one != cases[i].one || aligned != cases[i].aligned || strcmp(clo, cases[i].clo) != 0 ||
            strcmp(chi, cases[i].chi) != 0)
            fail_msg("%s: one=%d aligned=%d [%s, %s)", cases[i].code, one, aligned, clo, chi);
    }
}

static void test_region_level_names(void **state)
{
    (void)state;
    static const struct {
        bf_region_level level;
        const char *en, *zh;
    } cases[] = {
        {BF_LEVEL_NONE, "none", "无"},           {BF_LEVEL_PROVINCE, "province", "省"},
        {BF_LEVEL_CITY, "city", "市"},           {BF_LEVEL_COUNTY, "county", "县"},
        {BF_LEVEL_TOWNSHIP, "township", "乡镇"}, {BF_LEVEL_VILLAGE, "village", "村"},
        {(bf_region_level)6, "none", "无"},      {(bf_region_level)-1, "none", "无"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        assert_string_equal(bf_region_level_name(cases[i].level), cases[i].en);
        assert_string_equal(bf_region_level_name_zh(cases[i].level), cases[i].zh);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_table),
        cmocka_unit_test(test_id_check_chars),
        cmocka_unit_test(test_id_birth_and_sex),
        cmocka_unit_test(test_uscc_table),
        cmocka_unit_test(test_uscc_check_chars),
        cmocka_unit_test(test_int_table),
        cmocka_unit_test(test_region_normalize),
        cmocka_unit_test(test_region_level_and_parent),
        cmocka_unit_test(test_region_range),
        cmocka_unit_test(test_region_range_matches_ancestry),
        cmocka_unit_test(test_region_range_counties),
        cmocka_unit_test(test_region_level_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
