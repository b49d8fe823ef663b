/*
 * fuzz_validate.c - libFuzzer target for the validators, money and dates. The
 * first byte picks the function, the rest is its input (copied into an exact-size
 * heap buffer so that any read past the length is caught). Besides not crashing,
 * each result must satisfy invariants that tie the functions together.
 */
#include "core/date.h"
#include "core/money.h"
#include "io/validate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const bf_date fuzz_today = {2026, 11, 29};

static int64_t read_i64(const uint8_t *p, size_t len)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 8 && i < len; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return (int64_t)v;
}

static void fuzz_id(const char *s, size_t len)
{
    const char *reason = NULL;
    bool ok = bf_id_number_valid(s, len, fuzz_today, &reason);
    CHECK(ok || (reason && reason[0]));
    char first17[17];
    memset(first17, 'A', sizeof first17);
    memcpy(first17, s, len < 17 ? len : 17);
    char check = bf_id_number_check_char(first17);
    if (ok) {
        CHECK(len == 18);
        CHECK(check != '\0');
        CHECK(check == (s[17] == 'x' ? 'X' : s[17]));
        bf_date birth;
        CHECK(bf_id_number_birth_date(s, len, &birth));
        CHECK(birth.year >= 1900);
        CHECK(bf_date_cmp(birth, fuzz_today) <= 0);
        int sex = bf_id_number_sex(s, len);
        CHECK(sex == 1 || sex == 2);
    } else if (len == 18 && check != '\0' && reason &&
               strncmp(reason, "校验码错误", strlen("校验码错误")) == 0) {
        /* Fixing the check character makes it valid. */
        char fixed[18];
        memcpy(fixed, s, 18);
        fixed[17] = check;
        CHECK(bf_id_number_valid(fixed, 18, fuzz_today, NULL));
    }
}

static void fuzz_uscc(const char *s, size_t len)
{
    const char *reason = NULL;
    bool ok = bf_uscc_valid(s, len, &reason);
    CHECK(ok || (reason && reason[0]));
    char first17[17];
    memset(first17, 'I', sizeof first17);
    memcpy(first17, s, len < 17 ? len : 17);
    char check = bf_uscc_check_char(first17);
    if (ok) {
        CHECK(len == 18);
        CHECK(check == s[17]);
    } else if (len == 18 && check != '\0' && reason &&
               strncmp(reason, "校验码错误", strlen("校验码错误")) == 0) {
        char fixed[18];
        memcpy(fixed, s, 18);
        fixed[17] = check;
        CHECK(bf_uscc_valid(fixed, 18, NULL));
    }
}

static void fuzz_decimal(const char *s, size_t len)
{
    if (len < 1)
        return;
    int scale = (unsigned char)s[0] % 20; /* 19 exercises the refusal */
    bool allow_negative = (unsigned char)s[0] & 0x80;
    s++;
    len--;
    int64_t value = 0;
    const char *reason = NULL;
    bool ok = bf_decimal_parse(s, len, scale, allow_negative, &value, &reason);
    if (!ok) {
        CHECK(reason && reason[0]);
        return;
    }
    CHECK(scale <= 18);
    CHECK(allow_negative || value >= 0);
    char out[32];
    int n = bf_decimal_format(value, scale, out, sizeof out);
    CHECK(n > 0 && (size_t)n == strlen(out));
    int64_t back = 0;
    CHECK(bf_decimal_parse(out, (size_t)n, scale, true, &back, NULL));
    CHECK(back == value);
}

static void fuzz_money(const char *s, size_t len)
{
    int64_t fen = 0;
    const char *reason = NULL;
    if (!bf_money_parse(s, len, true, &fen, &reason)) {
        CHECK(reason && reason[0]);
        /* Refused with negatives allowed: refused without as well. */
        CHECK(!bf_money_parse(s, len, false, &fen, NULL));
        return;
    }
    int64_t again = 0;
    CHECK(bf_money_parse(s, len, false, &again, NULL) == (fen >= 0 && memchr(s, '-', len) == NULL));
    char out[32];
    int64_t back = 0;
    int n = bf_money_format(fen, out, sizeof out);
    CHECK(n > 0);
    CHECK(bf_money_parse(out, (size_t)n, true, &back, NULL) && back == fen);
    n = bf_money_format_yuan_grouped(fen, out, sizeof out);
    CHECK(n > 0);
    CHECK(bf_money_parse(out, (size_t)n, true, &back, NULL) && back == fen);
    n = bf_money_format_wan(fen, out, sizeof out);
    CHECK(n > 0);
    /* 万元 with two decimals is within half a unit (5,000 fen) of the value. */
    CHECK(bf_decimal_parse(out, (size_t)n, 2, true, &back, NULL));
    __int128 diff = (__int128)back * 10000 - fen;
    CHECK(diff <= 5000 && diff >= -5000);
}

static void fuzz_int(const char *s, size_t len)
{
    if (len < 2)
        return;
    int64_t bounds[] = {INT64_MIN, -1000, -1, 0, 1, 100, 1000000, INT64_MAX};
    int64_t min = bounds[(unsigned char)s[0] % 8];
    int64_t max = bounds[(unsigned char)s[1] % 8];
    s += 2;
    len -= 2;
    int64_t value = 0;
    const char *reason = NULL;
    if (!bf_int_parse(s, len, min, max, &value, &reason)) {
        CHECK(reason && reason[0]);
        return;
    }
    CHECK(value >= min && value <= max);
    char out[32];
    int n = snprintf(out, sizeof out, "%lld", (long long)value);
    int64_t back = 0;
    CHECK(bf_int_parse(out, (size_t)n, min, max, &back, NULL) && back == value);
    /* The same digits as a decimal at scale 0. */
    CHECK(bf_decimal_parse(out, (size_t)n, 0, true, &back, NULL) && back == value);
}

static void fuzz_region(const char *s, size_t len)
{
    char code[13];
    const char *reason = NULL;
    if (len >= 12)
        (void)bf_region_code_level(s); /* raw 12 bytes, any content */
    if (!bf_region_code_normalize(s, len, code, &reason)) {
        CHECK(reason && reason[0]);
        return;
    }
    CHECK(strlen(code) == 12);
    bf_region_level level = bf_region_code_level(code);
    CHECK(level >= BF_LEVEL_PROVINCE && level <= BF_LEVEL_VILLAGE);
    CHECK(memcmp(code, s, len) == 0);
    char lo[13], hi[13];
    bf_region_code_range(code, lo, hi);
    CHECK(strcmp(lo, code) == 0 && strcmp(code, hi) < 0 && strlen(hi) == 12);
    char parent[13];
    bool has_parent = bf_region_code_parent(code, parent);
    CHECK(has_parent == (level != BF_LEVEL_PROVINCE));
    if (has_parent) {
        CHECK(bf_region_code_level(parent) == level - 1);
        char plo[13], phi[13];
        bf_region_code_range(parent, plo, phi);
        /* A child's subtree lies inside its parent's. */
        CHECK(strcmp(plo, lo) <= 0 && strcmp(hi, phi) <= 0);
    }
    CHECK(bf_region_level_name(level)[0] && bf_region_level_name_zh(level)[0]);
}

static void fuzz_date(const char *s, size_t len)
{
    bf_date d;
    const char *reason = NULL;
    if (!bf_date_parse(s, len, &d, &reason)) {
        CHECK(reason && reason[0]);
        return;
    }
    CHECK(bf_date_valid(d.year, d.month, d.day));
    char out[11];
    bf_date_format(d, out, sizeof out);
    bf_date back;
    CHECK(bf_date_parse(out, strlen(out), &back, NULL) && bf_date_cmp(back, d) == 0);
    CHECK(bf_date_cmp(bf_date_from_days(bf_date_to_days(d)), d) == 0);
    int months = bf_date_months_between(d, fuzz_today);
    CHECK(months == -bf_date_months_between(fuzz_today, d));
}

static void fuzz_numbers(const uint8_t *p, size_t len)
{
    int64_t a = read_i64(p, len);
    int64_t b = len > 8 ? read_i64(p + 8, len - 8) : 0;
    bf_date d;
    if (bf_date_from_excel_serial(a, &d))
        CHECK(bf_date_valid(d.year, d.month, d.day));
    bf_date x = bf_date_from_days(a), y = bf_date_from_days(b);
    CHECK(bf_date_valid(x.year, x.month, x.day) && bf_date_valid(y.year, y.month, y.day));
    int m = bf_date_months_between(x, y);
    CHECK((m >= 0) == (bf_date_cmp(x, y) <= 0) || m == 0);
    char out[32];
    bf_time_format_local(a, out, sizeof out);
    CHECK(strlen(out) == 19);
    bf_time_format_utc(a, out, sizeof out);
    CHECK(strlen(out) == 20);
    char money[32];
    CHECK(bf_money_format_wan(a, money, sizeof money) > 0);
    int scale = (int)((uint64_t)b % 19);
    int n = bf_decimal_format(a, scale, money, sizeof money);
    int64_t back = 0;
    CHECK(n > 0 && bf_decimal_parse(money, (size_t)n, scale, true, &back, NULL) && back == a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t len = size - 1;
    /* An exact-size copy: no NUL after it, so over-reads are caught. */
    char *s = malloc(len ? len : 1);
    if (!s)
        return 0;
    memcpy(s, data + 1, len);
    switch (data[0] % 9) {
    case 0:
        fuzz_id(s, len);
        break;
    case 1:
        fuzz_uscc(s, len);
        break;
    case 2:
        fuzz_decimal(s, len);
        break;
    case 3:
        fuzz_money(s, len);
        break;
    case 4:
        fuzz_int(s, len);
        break;
    case 5:
        fuzz_region(s, len);
        break;
    case 6:
        fuzz_date(s, len);
        break;
    case 7:
        fuzz_numbers((const uint8_t *)s, len);
        break;
    default:
        /* The check-character functions on raw bytes, padded to 17. */
        if (len >= 17) {
            char c = bf_id_number_check_char(s);
            CHECK(c == '\0' || (c >= '0' && c <= '9') || c == 'X');
            c = bf_uscc_check_char(s);
            CHECK(c == '\0' || strchr("0123456789ABCDEFGHJKLMNPQRTUWXY", c));
        }
        break;
    }
    free(s);
    return 0;
}
