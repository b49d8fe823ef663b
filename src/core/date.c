/*
 * date.c - proleptic Gregorian calendar arithmetic, date parsing, and the
 * clock (UTC stored, Asia/Shanghai shown).
 */
#include "core/date.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SHANGHAI_OFFSET_SECONDS (8 * 3600)
/* The range of bf_date: 0001-01-01 .. 9999-12-31 as days since 1970-01-01, and
 * the epoch seconds of its first and last second. */
#define DAYS_MIN    (-719162)
#define DAYS_MAX    2932896
#define SECONDS_MIN ((int64_t)DAYS_MIN * 86400)
#define SECONDS_MAX ((int64_t)DAYS_MAX * 86400 + 86399)

static bool is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* Days in a month; 0 for a month outside 1..12 (callers may hold unchecked dates). */
static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

bool bf_date_valid(int year, int month, int day)
{
    return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
           day <= days_in_month(year, month);
}

/* Days from civil (Howard Hinnant's algorithm). */
int64_t bf_date_to_days(bf_date date)
{
    int64_t y = date.year - (date.month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (date.month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + date.day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bf_date bf_date_from_days(int64_t days)
{
    /* Clamp to the range of bf_date: beyond it the arithmetic below would
     * overflow and the year would not fit an int. */
    if (days < DAYS_MIN)
        days = DAYS_MIN;
    if (days > DAYS_MAX)
        days = DAYS_MAX;
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    bf_date date = {(int)(y + (m <= 2)), (int)m, (int)d};
    return date;
}

static int parse_digits(const char *s, size_t len, size_t *pos, size_t min, size_t max)
{
    size_t start = *pos;
    int value = 0;
    while (*pos < len && *pos - start < max && s[*pos] >= '0' && s[*pos] <= '9') {
        value = value * 10 + (s[*pos] - '0');
        (*pos)++;
    }
    size_t n = *pos - start;
    if (n < min || n > max)
        return -1;
    return value;
}

bool bf_date_parse(const char *s, size_t len, bf_date *out, const char **reason)
{
    const char *why = "日期格式应为 YYYY-MM-DD 或 YYYY/M/D";
    size_t pos = 0;
    int year = parse_digits(s, len, &pos, 4, 4);
    if (year < 0 || pos >= len || (s[pos] != '-' && s[pos] != '/'))
        goto bad;
    char sep = s[pos++];
    bool slash = sep == '/';
    int month = parse_digits(s, len, &pos, slash ? 1 : 2, 2);
    if (month < 0 || pos >= len || s[pos] != sep)
        goto bad;
    pos++;
    int day = parse_digits(s, len, &pos, slash ? 1 : 2, 2);
    if (day < 0 || pos != len)
        goto bad;
    if (!bf_date_valid(year, month, day)) {
        why = "日期不存在";
        goto bad;
    }
    out->year = year;
    out->month = month;
    out->day = day;
    return true;
bad:
    if (reason)
        *reason = why;
    return false;
}

bool bf_date_from_excel_serial(int64_t serial, bf_date *out)
{
    /* Excel counts 1900-01-01 as 1 and believes 1900-02-29 existed (serial 60). */
    if (serial < 1 || serial > 2958465)
        return false;
    if (serial == 60) {
        /* Excel's phantom 1900-02-29: no real date; refuse it. */
        return false;
    }
    int64_t offset = serial < 60 ? serial : serial - 1;
    bf_date base = {1899, 12, 31};
    *out = bf_date_from_days(bf_date_to_days(base) + offset);
    return true;
}

void bf_date_format(bf_date date, char *out, size_t out_size)
{
    snprintf(out, out_size, "%04d-%02d-%02d", date.year, date.month, date.day);
}

int bf_date_cmp(bf_date a, bf_date b)
{
    if (a.year != b.year)
        return a.year < b.year ? -1 : 1;
    if (a.month != b.month)
        return a.month < b.month ? -1 : 1;
    if (a.day != b.day)
        return a.day < b.day ? -1 : 1;
    return 0;
}

bf_date bf_date_today(void)
{
    const char *fixed = getenv("BF_TODAY");
    bf_date date;
    if (fixed && bf_date_parse(fixed, strlen(fixed), &date, NULL))
        return date;
    int64_t local = bf_time_now() + SHANGHAI_OFFSET_SECONDS;
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    return bf_date_from_days(days);
}

int bf_date_months_between(bf_date a, bf_date b)
{
    if (bf_date_cmp(b, a) < 0)
        return -bf_date_months_between(b, a);
    int months = (b.year - a.year) * 12 + (b.month - a.month);
    if (b.day < a.day) {
        /* The month is complete if b is the last day of its month and a's day
         * does not exist in b's month (Jan 31 -> Feb 28 is one month). */
        bool b_last = b.day == days_in_month(b.year, b.month);
        if (!(b_last && a.day > b.day))
            months--;
    }
    return months;
}

int64_t bf_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

/* Format seconds + offset (clamped to the range of bf_date) with fmt. */
static void format_epoch(int64_t seconds, int64_t offset, char *out, size_t out_size,
                         const char *fmt)
{
    if (seconds < SECONDS_MIN)
        seconds = SECONDS_MIN;
    if (seconds > SECONDS_MAX)
        seconds = SECONDS_MAX;
    seconds += offset;
    if (seconds > SECONDS_MAX)
        seconds = SECONDS_MAX;
    int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
    int64_t rest = seconds - days * 86400;
    bf_date date = bf_date_from_days(days);
    snprintf(out, out_size, fmt, date.year, date.month, date.day, (int)(rest / 3600),
             (int)(rest / 60 % 60), (int)(rest % 60));
}

void bf_time_format_local(int64_t epoch_seconds, char *out, size_t out_size)
{
    format_epoch(epoch_seconds, SHANGHAI_OFFSET_SECONDS, out, out_size,
                 "%04d-%02d-%02d %02d:%02d:%02d");
}

void bf_time_format_utc(int64_t epoch_seconds, char *out, size_t out_size)
{
    format_epoch(epoch_seconds, 0, out, out_size, "%04d-%02d-%02dT%02d:%02d:%02dZ");
}
