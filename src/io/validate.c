/*
 * validate.c - validators for identifiers and integers typed into spreadsheets:
 * resident ID numbers (GB 11643), unified social credit codes (GB 32100),
 * integers in a range, and statistical region codes (normalise, level, parent,
 * subtree range). Pure functions over byte strings; no allocation, no state.
 * Every refusal gives a static Chinese reason.
 */
#include "io/validate.h"

#include <string.h>

#define ID_LEN   18
#define USCC_LEN 18

/* ---------------------------------------------------------------- common */

/* If s contains a full-width form (U+FF01..U+FF5E) or an ideographic space
 * (U+3000), people typed with a Chinese input method: say so, because the byte
 * length of such a string misleads every other check. */
static bool has_fullwidth(const char *s, size_t len)
{
    for (size_t i = 0; i + 2 < len; i++) {
        unsigned char c0 = (unsigned char)s[i], c1 = (unsigned char)s[i + 1],
                      c2 = (unsigned char)s[i + 2];
        /* U+FF01..U+FF3F is EF BC 81..BF, U+FF40..U+FF5E is EF BD 80..9E. */
        bool ff_low = c1 == 0xBC && c2 >= 0x81 && c2 <= 0xBF;
        bool ff_high = c1 == 0xBD && c2 >= 0x80 && c2 <= 0x9E;
        if (c0 == 0xEF && (ff_low || ff_high))
            return true;
        if (c0 == 0xE3 && c1 == 0x80 && c2 == 0x80)
            return true;
    }
    return false;
}

static bool fail(const char **reason, const char *why)
{
    if (reason)
        *reason = why;
    return false;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* -------------------------------------------------------- resident ID (GB 11643) */

static const int id_weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char id_check_map[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};

/* "校验码错误，应为 C" for each possible check character, indexed by sum mod 11. */
static const char *const id_check_reasons[11] = {
    "校验码错误，应为 1", "校验码错误，应为 0", "校验码错误，应为 X", "校验码错误，应为 9",
    "校验码错误，应为 8", "校验码错误，应为 7", "校验码错误，应为 6", "校验码错误，应为 5",
    "校验码错误，应为 4", "校验码错误，应为 3", "校验码错误，应为 2",
};

/* First two digits of the address code that name a province-level division
 * (GB/T 2260), plus 83: residence permits of Taiwan residents use 830000 and
 * follow GB 11643 (81, 82 serve Hong Kong and Macao permits as well). */
static const unsigned char id_provinces[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34,
                                             35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
                                             53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83};

#define ID_REASON_LENGTH    "长度应为18位"
#define ID_REASON_FULLWIDTH "含有全角字符，请改用半角数字和字母"
#define ID_REASON_CHARS     "含有非法字符（前17位应为数字，最后一位为数字或X）"
#define ID_REASON_PROVINCE  "地址码无效（前两位不是省级行政区代码）"
#define ID_REASON_BIRTH     "出生日期无效"
#define ID_REASON_FUTURE    "出生日期晚于今天"
#define ID_REASON_ANCIENT   "出生日期早于1900年"

/* The sum index (0..10) for 17 digits, or -1 if one is not a digit. */
static int id_check_index(const char *first17)
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (!is_digit(first17[i]))
            return -1;
        sum += (first17[i] - '0') * id_weights[i];
    }
    return sum % 11;
}

char bf_id_number_check_char(const char *first17)
{
    if (!first17)
        return '\0';
    int index = id_check_index(first17);
    return index < 0 ? '\0' : id_check_map[index];
}

static int digits_value(const char *s, size_t n)
{
    int value = 0;
    for (size_t i = 0; i < n; i++)
        value = value * 10 + (s[i] - '0');
    return value;
}

static bool id_province_known(int code)
{
    for (size_t i = 0; i < sizeof id_provinces; i++)
        if (id_provinces[i] == code)
            return true;
    return false;
}

bool bf_id_number_birth_date(const char *s, size_t len, bf_date *out)
{
    if (!s || len != ID_LEN)
        return false;
    for (size_t i = 6; i < 14; i++)
        if (!is_digit(s[i]))
            return false;
    bf_date date = {digits_value(s + 6, 4), digits_value(s + 10, 2), digits_value(s + 12, 2)};
    if (!bf_date_valid(date.year, date.month, date.day))
        return false;
    *out = date;
    return true;
}

int bf_id_number_sex(const char *s, size_t len)
{
    if (!s || len != ID_LEN || !is_digit(s[16]))
        return 0;
    return (s[16] - '0') % 2 == 1 ? 1 : 2;
}

bool bf_id_number_valid(const char *s, size_t len, bf_date today, const char **reason)
{
    if (!s)
        len = 0;
    if (has_fullwidth(s, len))
        return fail(reason, ID_REASON_FULLWIDTH);
    if (len != ID_LEN)
        return fail(reason, ID_REASON_LENGTH);
    for (size_t i = 0; i < 17; i++)
        if (!is_digit(s[i]))
            return fail(reason, ID_REASON_CHARS);
    char last = s[17];
    if (!is_digit(last) && last != 'X' && last != 'x')
        return fail(reason, ID_REASON_CHARS);
    if (!id_province_known(digits_value(s, 2)))
        return fail(reason, ID_REASON_PROVINCE);
    bf_date birth;
    if (!bf_id_number_birth_date(s, len, &birth))
        return fail(reason, ID_REASON_BIRTH);
    if (birth.year < 1900)
        return fail(reason, ID_REASON_ANCIENT);
    if (bf_date_cmp(birth, today) > 0)
        return fail(reason, ID_REASON_FUTURE);
    int index = id_check_index(s);
    char expected = id_check_map[index];
    char got = last == 'x' ? 'X' : last;
    if (got != expected)
        return fail(reason, id_check_reasons[index]);
    return true;
}

/* ------------------------------------------- unified social credit code (GB 32100) */

static const char uscc_alphabet[32] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
/* 3^i mod 31 */
static const int uscc_weights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                     29, 25, 13, 8,  24, 10, 30, 28};

static const char *const uscc_check_reasons[31] = {
    "校验码错误，应为 0", "校验码错误，应为 1", "校验码错误，应为 2", "校验码错误，应为 3",
    "校验码错误，应为 4", "校验码错误，应为 5", "校验码错误，应为 6", "校验码错误，应为 7",
    "校验码错误，应为 8", "校验码错误，应为 9", "校验码错误，应为 A", "校验码错误，应为 B",
    "校验码错误，应为 C", "校验码错误，应为 D", "校验码错误，应为 E", "校验码错误，应为 F",
    "校验码错误，应为 G", "校验码错误，应为 H", "校验码错误，应为 J", "校验码错误，应为 K",
    "校验码错误，应为 L", "校验码错误，应为 M", "校验码错误，应为 N", "校验码错误，应为 P",
    "校验码错误，应为 Q", "校验码错误，应为 R", "校验码错误，应为 T", "校验码错误，应为 U",
    "校验码错误，应为 W", "校验码错误，应为 X", "校验码错误，应为 Y",
};

#define USCC_REASON_LENGTH    "长度应为18位"
#define USCC_REASON_FULLWIDTH "含有全角字符，请改用半角数字和字母"
#define USCC_REASON_LOWER     "字母应为大写（请按证照原样填写）"
#define USCC_REASON_CHARS     "含有非法字符（只用数字和大写字母，不含 I、O、Z、S、V）"
#define USCC_REASON_REGION    "第3至8位（登记管理机关行政区划码）应为数字"

/* The value (0..30) of a character of the alphabet, or -1. */
static int uscc_value(char c)
{
    if (c == '\0')
        return -1;
    const char *p = memchr(uscc_alphabet, c, 31);
    return p ? (int)(p - uscc_alphabet) : -1;
}

/* 0..30, the index of the check character, or -1 if a character is not in the alphabet. */
static int uscc_check_index(const char *first17)
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int v = uscc_value(first17[i]);
        if (v < 0)
            return -1;
        sum += v * uscc_weights[i];
    }
    int c = 31 - sum % 31;
    return c == 31 ? 0 : c;
}

char bf_uscc_check_char(const char *first17)
{
    if (!first17)
        return '\0';
    int index = uscc_check_index(first17);
    return index < 0 ? '\0' : uscc_alphabet[index];
}

bool bf_uscc_valid(const char *s, size_t len, const char **reason)
{
    if (!s)
        len = 0;
    if (has_fullwidth(s, len))
        return fail(reason, USCC_REASON_FULLWIDTH);
    if (len != USCC_LEN)
        return fail(reason, USCC_REASON_LENGTH);
    for (size_t i = 0; i < USCC_LEN; i++)
        if (s[i] >= 'a' && s[i] <= 'z')
            return fail(reason, USCC_REASON_LOWER);
    for (size_t i = 0; i < USCC_LEN; i++)
        if (uscc_value(s[i]) < 0)
            return fail(reason, USCC_REASON_CHARS);
    for (size_t i = 2; i < 8; i++)
        if (!is_digit(s[i]))
            return fail(reason, USCC_REASON_REGION);
    int index = uscc_check_index(s);
    if (s[17] != uscc_alphabet[index])
        return fail(reason, uscc_check_reasons[index]);
    return true;
}

/* ------------------------------------------------------------------ integers */

#define INT_REASON_EMPTY     "不能为空"
#define INT_REASON_FULLWIDTH "含有全角字符，请改用半角数字"
#define INT_REASON_NEGATIVE  "不能为负数"
#define INT_REASON_DECIMAL   "应为整数，不能有小数"
#define INT_REASON_CHARS     "应为整数（只能填写数字）"
#define INT_REASON_RANGE     "数值超出允许范围"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool bf_int_parse(const char *s, size_t len, int64_t min, int64_t max, int64_t *out,
                  const char **reason)
{
    if (!s)
        len = 0;
    while (len > 0 && is_blank(s[0])) {
        s++;
        len--;
    }
    while (len > 0 && is_blank(s[len - 1]))
        len--;
    if (len == 0)
        return fail(reason, INT_REASON_EMPTY);
    if (has_fullwidth(s, len))
        return fail(reason, INT_REASON_FULLWIDTH);
    size_t pos = 0;
    bool negative = false;
    if (s[0] == '-') {
        if (min >= 0)
            return fail(reason, INT_REASON_NEGATIVE);
        negative = true;
        pos = 1;
    }
    if (pos == len)
        return fail(reason, INT_REASON_CHARS);
    /* Accumulate the magnitude in uint64 so INT64_MIN is reachable. */
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    uint64_t mag = 0;
    bool overflow = false;
    for (; pos < len; pos++) {
        if (!is_digit(s[pos]))
            return fail(reason, s[pos] == '.' ? INT_REASON_DECIMAL : INT_REASON_CHARS);
        uint64_t d = (uint64_t)(s[pos] - '0');
        if (overflow || mag > (limit - d) / 10)
            overflow = true;
        else
            mag = mag * 10 + d;
    }
    if (overflow)
        return fail(reason, INT_REASON_RANGE);
    int64_t value;
    if (negative)
        value = mag == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)mag;
    else
        value = (int64_t)mag;
    if (value < min || value > max)
        return fail(reason, INT_REASON_RANGE);
    *out = value;
    return true;
}

/* -------------------------------------------------------------- region codes */

/*
 * A 12-digit statistical region code is five groups: province [0,2), city
 * [2,4), county [4,6), township [6,9), village [9,12). The level is the number
 * of groups up to the last non-zero one; a zero group before a non-zero one is
 * malformed, and so is a province group outside 11..82 (no province is coded
 * otherwise, and it keeps the subtree range below within 12 digits).
 */
static const struct {
    size_t end; /* the group ends before this offset */
    size_t width;
} region_groups[5] = {{2, 2}, {4, 2}, {6, 2}, {9, 3}, {12, 3}};

static const struct {
    const char *en;
    const char *zh;
} region_level_names[] = {
    [BF_LEVEL_NONE] = {"none", "无"},           [BF_LEVEL_PROVINCE] = {"province", "省"},
    [BF_LEVEL_CITY] = {"city", "市"},           [BF_LEVEL_COUNTY] = {"county", "县"},
    [BF_LEVEL_TOWNSHIP] = {"township", "乡镇"}, [BF_LEVEL_VILLAGE] = {"village", "村"},
};

#define REGION_REASON_LENGTH    "区划代码应为2、4、6、9或12位数字"
#define REGION_REASON_PROVINCE  "区划代码的前两位（省级代码）应在11至82之间"
#define REGION_REASON_MALFORMED "区划代码有误：上级层级为全零，下级却不为零"

static bool group_is_zero(const char *code, int group)
{
    size_t end = region_groups[group].end;
    for (size_t i = end - region_groups[group].width; i < end; i++)
        if (code[i] != '0')
            return false;
    return true;
}

bf_region_level bf_region_code_level(const char code[12])
{
    if (!code)
        return BF_LEVEL_NONE;
    for (size_t i = 0; i < 12; i++)
        if (!is_digit(code[i]))
            return BF_LEVEL_NONE;
    int province = digits_value(code, 2);
    if (province < 11 || province > 82)
        return BF_LEVEL_NONE;
    int level = 1;
    for (int g = 1; g < 5; g++)
        if (!group_is_zero(code, g))
            level = g + 1;
    for (int g = 1; g < level - 1; g++)
        if (group_is_zero(code, g))
            return BF_LEVEL_NONE;
    return (bf_region_level)level;
}

bool bf_region_code_normalize(const char *s, size_t len, char out[13], const char **reason)
{
    if (!s)
        len = 0;
    if (len != 2 && len != 4 && len != 6 && len != 9 && len != 12)
        return fail(reason, REGION_REASON_LENGTH);
    for (size_t i = 0; i < len; i++)
        if (!is_digit(s[i]))
            return fail(reason, REGION_REASON_LENGTH);
    char code[13];
    memcpy(code, s, len);
    memset(code + len, '0', 12 - len);
    code[12] = '\0';
    int province = digits_value(code, 2);
    if (province < 11 || province > 82)
        return fail(reason, REGION_REASON_PROVINCE);
    if (bf_region_code_level(code) == BF_LEVEL_NONE)
        return fail(reason, REGION_REASON_MALFORMED);
    memcpy(out, code, 13);
    return true;
}

bool bf_region_code_parent(const char code[12], char out[13])
{
    bf_region_level level = bf_region_code_level(code);
    if (level <= BF_LEVEL_PROVINCE)
        return false;
    size_t keep = region_groups[level - 2].end;
    memcpy(out, code, keep);
    memset(out + keep, '0', 12 - keep);
    out[12] = '\0';
    return true;
}

void bf_region_code_range(const char code[12], char lo[13], char hi[13])
{
    bf_region_level level = bf_region_code_level(code);
    if (level == BF_LEVEL_NONE) {
        memset(lo, '0', 12);
        lo[12] = '\0';
        memcpy(hi, lo, 13);
        return;
    }
    memcpy(lo, code, 12);
    lo[12] = '\0';
    memcpy(hi, lo, 13);
    /* Add one at the last digit of the region's own group, carrying left. The
     * province group is at most 82, so the carry never leaves the string. */
    size_t i = region_groups[level - 1].end;
    while (i > 0) {
        i--;
        if (hi[i] != '9') {
            hi[i]++;
            break;
        }
        hi[i] = '0';
    }
}

bool bf_region_range_counties(const char lo[13], const char hi[13], char clo[7], char chi[7],
                              bool *aligned)
{
    long a = 0, b = 0;
    bool hi_tail = false, lo_tail = false;
    for (int i = 0; i < 12; i++) {
        bool lo_digit = lo[i] >= '0' && lo[i] <= '9';
        bool hi_digit = hi[i] >= '0' && hi[i] <= '9';
        if (i < 6) {
            a = a * 10 + (lo_digit ? lo[i] - '0' : 0);
            b = b * 10 + (hi_digit ? hi[i] - '0' : 0);
        } else {
            lo_tail = lo_tail || lo[i] != '0';
            hi_tail = hi_tail || hi[i] != '0';
        }
    }
    /* Regions below hi's county, if any, are in scope: their county too. */
    if (hi_tail)
        b++;
    if (b < a)
        b = a;
    if (b > 999999)
        b = 999999;
    bool one_county = b - a == 1;
    for (int i = 5; i >= 0; i--, a /= 10, b /= 10) {
        clo[i] = (char)('0' + a % 10);
        chi[i] = (char)('0' + b % 10);
    }
    clo[6] = chi[6] = '\0';
    if (aligned)
        *aligned = !lo_tail && !hi_tail;
    return one_county;
}

const char *bf_region_level_name(bf_region_level level)
{
    if ((unsigned)level > BF_LEVEL_VILLAGE)
        level = BF_LEVEL_NONE;
    return region_level_names[level].en;
}

const char *bf_region_level_name_zh(bf_region_level level)
{
    if ((unsigned)level > BF_LEVEL_VILLAGE)
        level = BF_LEVEL_NONE;
    return region_level_names[level].zh;
}
