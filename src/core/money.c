/*
 * money.c - exact decimal numbers as scaled int64 (money in fen), parsed from
 * what users type into spreadsheets and formatted back for them.
 *
 * The parser is a small state machine over bytes. It owns nothing and keeps no
 * state; every refusal maps to a static Chinese reason through one table, with
 * money-specific wording where the user thinks in 元.
 *
 * Choices (also in docs/validators.md):
 * - ASCII blanks (space, tab, CR, LF) around the number are ignored; inside it
 *   they are an error.
 * - "5." and ".5" are accepted (5 and 0.5): spreadsheets and hand-typed lists
 *   produce both and neither is ambiguous. "." alone is refused.
 * - Extra decimals that are all zeros ("1.500" at scale 2) are accepted: no
 *   rounding happens. "1.505" at scale 2 is refused.
 * - Leading zeros ("007") are accepted in plain numbers; a number with
 *   thousands separators must be written canonically ("1,234", not "01,234").
 * - "-0" is refused when negatives are not allowed (the sign is the error).
 */
#include "core/money.h"

#include <string.h>

#define DECIMAL_MAX_SCALE 18 /* 10^18 still fits in int64 */

typedef enum {
    DEC_OK = 0,
    DEC_EMPTY,
    DEC_NEGATIVE,
    DEC_PLUS,
    DEC_EXPONENT,
    DEC_SPACE,
    DEC_FULLWIDTH,
    DEC_CURRENCY,
    DEC_UNIT,
    DEC_PERCENT,
    DEC_MINUS_PLACE,
    DEC_TWO_POINTS,
    DEC_NO_DIGITS,
    DEC_SEPARATOR,
    DEC_BAD_CHAR,
    DEC_DECIMALS,
    DEC_OVERFLOW,
    DEC_BAD_SCALE,
    DEC_COUNT
} dec_error;

/* Reasons: [error][0] for numbers in general, [error][1] for money in 元. */
static const char *const dec_reasons[DEC_COUNT][2] = {
    [DEC_OK] = {"", ""},
    [DEC_EMPTY] = {"不能为空", "金额不能为空"},
    [DEC_NEGATIVE] = {"不能为负数", "金额不能为负数"},
    [DEC_PLUS] = {"不要带正号“+”", "金额不要带正号“+”"},
    [DEC_EXPONENT] = {"不支持科学计数法（如 1E+5），请填写完整数字",
                      "金额不支持科学计数法（如 1E+5），请填写完整数字"},
    [DEC_SPACE] = {"数字中间不能有空格", "金额中间不能有空格"},
    [DEC_FULLWIDTH] = {"含有全角字符，请改用半角数字和符号",
                       "金额含有全角字符，请改用半角数字和符号"},
    [DEC_CURRENCY] = {"请去掉货币符号，只填写数字", "请去掉货币符号，金额只填写数字（单位：元）"},
    [DEC_UNIT] = {"请去掉单位，只填写数字", "请去掉单位，金额只填写数字（单位：元）"},
    [DEC_PERCENT] = {"不能带百分号，请填写数字", "金额不能带百分号"},
    [DEC_MINUS_PLACE] = {"负号只能写在最前面", "金额的负号只能写在最前面"},
    [DEC_TWO_POINTS] = {"只能有一个小数点", "金额只能有一个小数点"},
    [DEC_NO_DIGITS] = {"缺少数字", "金额缺少数字"},
    [DEC_SEPARATOR] = {"千位分隔符位置不对（应如 1,234,567.89）",
                       "金额的千位分隔符位置不对（应如 1,234,567.89）"},
    [DEC_BAD_CHAR] = {"含有非法字符，只能填写数字、小数点和负号",
                      "金额含有非法字符，只能填写数字、小数点和负号"},
    [DEC_DECIMALS] = {"小数位数过多", "金额最多保留两位小数"},
    [DEC_OVERFLOW] = {"数值过大", "金额过大"},
    [DEC_BAD_SCALE] = {"内部错误：小数位数设置无效", "内部错误：小数位数设置无效"},
};

/* Too many decimals, by scale, for numbers in general. */
static const char *const dec_decimals_reasons[DECIMAL_MAX_SCALE + 1] = {
    "只能填写整数，不能有小数", "最多保留1位小数",  "最多保留2位小数",  "最多保留3位小数",
    "最多保留4位小数",          "最多保留5位小数",  "最多保留6位小数",  "最多保留7位小数",
    "最多保留8位小数",          "最多保留9位小数",  "最多保留10位小数", "最多保留11位小数",
    "最多保留12位小数",         "最多保留13位小数", "最多保留14位小数", "最多保留15位小数",
    "最多保留16位小数",         "最多保留17位小数", "最多保留18位小数",
};

/* Multi-byte UTF-8 sequences users paste into number cells, each with its error. */
static const struct {
    const char *bytes;
    dec_error error;
} dec_known_sequences[] = {
    {"\xC2\xA5", DEC_CURRENCY},      /* ¥ U+00A5 */
    {"\xEF\xBF\xA5", DEC_CURRENCY},  /* ￥ U+FFE5 */
    {"\xE5\x85\x83", DEC_UNIT},      /* 元 */
    {"\xE4\xB8\x87", DEC_UNIT},      /* 万 */
    {"\xE4\xBA\xBF", DEC_UNIT},      /* 亿 */
    {"\xE8\xA7\x92", DEC_UNIT},      /* 角 */
    {"\xE5\x88\x86", DEC_UNIT},      /* 分 */
    {"\xE3\x80\x80", DEC_FULLWIDTH}, /* ideographic space U+3000 */
    {"\xE3\x80\x82", DEC_FULLWIDTH}, /* ideographic full stop U+3002 */
    {"\xC2\xA0", DEC_SPACE},         /* no-break space U+00A0 */
};

/* The error for a byte that cannot be part of a number, looking at what follows
 * it for the multi-byte sequences users commonly paste. */
static dec_error dec_classify_bad(const char *s, size_t len, size_t pos)
{
    unsigned char c = (unsigned char)s[pos];
    switch (c) {
    case '+':
        return DEC_PLUS;
    case 'e':
    case 'E':
        return DEC_EXPONENT;
    case ' ':
    case '\t':
    case '\r':
    case '\n':
        return DEC_SPACE;
    case '$':
        return DEC_CURRENCY;
    case '%':
        return DEC_PERCENT;
    case '-':
        return DEC_MINUS_PLACE;
    case '.':
        return DEC_TWO_POINTS;
    default:
        break;
    }
    for (size_t i = 0; i < sizeof dec_known_sequences / sizeof dec_known_sequences[0]; i++) {
        size_t n = strlen(dec_known_sequences[i].bytes);
        if (len - pos >= n && memcmp(s + pos, dec_known_sequences[i].bytes, n) == 0)
            return dec_known_sequences[i].error;
    }
    /* Full-width forms U+FF01..U+FF5E: EF BC 81..BF and EF BD 80..9E. */
    if (c == 0xEF && len - pos >= 3) {
        unsigned char c1 = (unsigned char)s[pos + 1], c2 = (unsigned char)s[pos + 2];
        if ((c1 == 0xBC && c2 >= 0x81 && c2 <= 0xBF) || (c1 == 0xBD && c2 >= 0x80 && c2 <= 0x9E))
            return DEC_FULLWIDTH;
    }
    return DEC_BAD_CHAR;
}

static bool dec_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parser states: where we are in [-]int[,ddd...][.frac]. */
typedef enum {
    DS_START,    /* before anything (a '-' may come) */
    DS_INT,      /* in the integer part */
    DS_GROUP,    /* after a ',' : exactly three digits expected */
    DS_FRACTION, /* after the '.' */
} dec_state;

/*
 * The core parser. The magnitude accumulates in uint64 so that INT64_MIN is
 * reachable; the sign is applied at the end. Every multiply and add is checked
 * against the limit for the sign.
 */
static dec_error dec_parse(const char *s, size_t len, int scale, bool allow_negative, int64_t *out)
{
    if (scale < 0 || scale > DECIMAL_MAX_SCALE)
        return DEC_BAD_SCALE;
    if (!s)
        return DEC_EMPTY;
    while (len > 0 && dec_is_blank(s[0])) {
        s++;
        len--;
    }
    while (len > 0 && dec_is_blank(s[len - 1]))
        len--;
    if (len == 0)
        return DEC_EMPTY;

    bool negative = false;
    bool grouped = false;    /* a ',' was seen */
    bool first_zero = false; /* the integer part starts with '0' */
    size_t int_digits = 0, group_digits = 0, frac_digits = 0, frac_kept = 0;
    uint64_t mag = 0;
    dec_state state = DS_START;
    dec_error err = DEC_OK;
    bool overflow = false;
    bool extra_nonzero = false; /* a non-zero digit beyond scale */

    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool digit = c >= '0' && c <= '9';
        switch (state) {
        case DS_START:
            if (c == '-' && !negative) {
                negative = true;
                continue;
            }
            state = DS_INT;
            /* fall through */
        case DS_INT:
            if (digit) {
                if (int_digits == 0)
                    first_zero = c == '0';
                int_digits++;
                break;
            }
            if (c == ',' && int_digits > 0 && !grouped && int_digits <= 3 && !first_zero) {
                grouped = true;
                state = DS_GROUP;
                continue;
            }
            if (c == ',') {
                err = DEC_SEPARATOR;
                goto done;
            }
            if (c == '.') {
                state = DS_FRACTION;
                continue;
            }
            err = dec_classify_bad(s, len, i);
            goto done;
        case DS_GROUP:
            if (digit) {
                group_digits++;
                int_digits++;
                if (group_digits > 3) {
                    err = DEC_SEPARATOR;
                    goto done;
                }
                break;
            }
            if ((c == ',' || c == '.') && group_digits != 3) {
                err = DEC_SEPARATOR;
                goto done;
            }
            if (c == ',') {
                group_digits = 0;
                continue;
            }
            if (c == '.') {
                state = DS_FRACTION;
                continue;
            }
            err = dec_classify_bad(s, len, i);
            goto done;
        case DS_FRACTION:
            if (digit) {
                frac_digits++;
                if (frac_digits > (size_t)scale) {
                    if (c != '0')
                        extra_nonzero = true;
                    continue;
                }
                frac_kept++;
                break;
            }
            if (c == ',') {
                err = DEC_SEPARATOR;
                goto done;
            }
            err = dec_classify_bad(s, len, i);
            goto done;
        }
        /* A digit that counts: mag = mag * 10 + d, checked. */
        if (!overflow) {
            uint64_t d = (uint64_t)(c - '0');
            if (mag > (UINT64_MAX - d) / 10)
                overflow = true;
            else
                mag = mag * 10 + d;
        }
    }
    if (state == DS_START) {
        err = DEC_NO_DIGITS; /* only a '-' */
        goto done;
    }
    if (state == DS_GROUP && group_digits != 3) {
        err = DEC_SEPARATOR;
        goto done;
    }
    if (int_digits == 0 && frac_digits == 0) {
        err = DEC_NO_DIGITS;
        goto done;
    }
    if (extra_nonzero) {
        err = DEC_DECIMALS;
        goto done;
    }
    if (negative && !allow_negative) {
        err = DEC_NEGATIVE;
        goto done;
    }
    for (size_t k = frac_kept; k < (size_t)scale && !overflow; k++) {
        if (mag > UINT64_MAX / 10)
            overflow = true;
        else
            mag *= 10;
    }
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    if (overflow || mag > limit) {
        err = DEC_OVERFLOW;
        goto done;
    }
    if (negative)
        *out = mag == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)mag;
    else
        *out = (int64_t)mag;
done:
    return err;
}

static const char *dec_reason(dec_error err, int scale, bool money)
{
    if (err == DEC_DECIMALS && !money && scale >= 0 && scale <= DECIMAL_MAX_SCALE)
        return dec_decimals_reasons[scale];
    return dec_reasons[err][money ? 1 : 0];
}

bool bf_decimal_parse(const char *s, size_t len, int scale, bool allow_negative, int64_t *out,
                      const char **reason)
{
    int64_t value = 0;
    dec_error err = dec_parse(s, len, scale, allow_negative, &value);
    if (err) {
        if (reason)
            *reason = dec_reason(err, scale, false);
        return false;
    }
    *out = value;
    return true;
}

bool bf_money_parse(const char *s, size_t len, bool allow_negative, int64_t *fen,
                    const char **reason)
{
    int64_t value = 0;
    dec_error err = dec_parse(s, len, 2, allow_negative, &value);
    if (err) {
        if (reason)
            *reason = dec_reason(err, 2, true);
        return false;
    }
    *fen = value;
    return true;
}

/* Write the decimal digits of mag, least significant first, into rev; returns
 * the count (at least min_digits, zero-padded). */
static size_t dec_digits_reversed(uint64_t mag, size_t min_digits, char rev[32])
{
    size_t n = 0;
    do {
        rev[n++] = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag > 0);
    while (n < min_digits)
        rev[n++] = '0';
    return n;
}

/*
 * Format sign, magnitude, scale and optional thousands separators into out.
 * Returns the length written, or -1 (out set to "" when out_size > 0) if out is
 * too small or the scale is invalid.
 */
static int dec_format(bool negative, uint64_t mag, int scale, bool separators, char *out,
                      size_t out_size)
{
    char rev[32];
    char tmp[64];
    size_t n_tmp = 0;
    if (out && out_size > 0)
        out[0] = '\0';
    if (!out || scale < 0 || scale > DECIMAL_MAX_SCALE)
        return -1;
    size_t n = dec_digits_reversed(mag, (size_t)scale + 1, rev);
    size_t n_int = n - (size_t)scale;
    if (negative && mag != 0)
        tmp[n_tmp++] = '-';
    for (size_t i = 0; i < n_int; i++) {
        if (separators && i > 0 && (n_int - i) % 3 == 0)
            tmp[n_tmp++] = ',';
        tmp[n_tmp++] = rev[n - 1 - i];
    }
    if (scale > 0) {
        tmp[n_tmp++] = '.';
        for (size_t i = n_int; i < n; i++)
            tmp[n_tmp++] = rev[n - 1 - i];
    }
    if (n_tmp + 1 > out_size)
        return -1;
    memcpy(out, tmp, n_tmp);
    out[n_tmp] = '\0';
    return (int)n_tmp;
}

static uint64_t dec_magnitude(int64_t value)
{
    return value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
}

int bf_decimal_format(int64_t value, int scale, char *out, size_t out_size)
{
    return dec_format(value < 0, dec_magnitude(value), scale, false, out, out_size);
}

int bf_money_format(int64_t fen, char *out, size_t out_size)
{
    return bf_decimal_format(fen, 2, out, out_size);
}

int bf_money_format_wan(int64_t fen, char *out, size_t out_size)
{
    /* 0.01 万元 = 100 元 = 10000 fen; round the magnitude half away from zero. */
    uint64_t mag = dec_magnitude(fen);
    uint64_t units = mag / 10000 + (mag % 10000 >= 5000 ? 1 : 0);
    return dec_format(fen < 0, units, 2, true, out, out_size);
}

int bf_money_format_yuan_grouped(int64_t fen, char *out, size_t out_size)
{
    return dec_format(fen < 0, dec_magnitude(fen), 2, true, out, out_size);
}
