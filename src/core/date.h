/*
 * date.h - calendar dates (proleptic Gregorian) without time zones, and the
 * clock. Stored times are UTC; what users see is Asia/Shanghai (UTC+8, no DST).
 */
#ifndef BF_DATE_H
#define BF_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int year;  /* 1..9999 */
    int month; /* 1..12 */
    int day;   /* 1..31 */
} bf_date;

/* Parse "YYYY-MM-DD" or "YYYY/M/D" (1- or 2-digit month and day; 4-digit year),
 * which must be a real date. On failure returns false and *reason (if not NULL)
 * is a static Chinese explanation. */
bool bf_date_parse(const char *s, size_t len, bf_date *out, const char **reason);
/* true if y-m-d is a real date. */
bool bf_date_valid(int year, int month, int day);
/* Days since 1970-01-01 (negative before). */
int64_t bf_date_to_days(bf_date date);
/* The date `days` after 1970-01-01, clamped to 0001-01-01 .. 9999-12-31. */
bf_date bf_date_from_days(int64_t days);
/* Excel serial day number (1900 date system, with Excel's fake 1900-02-29) to
 * a date: 1 = 1900-01-01, 59 = 1900-02-28, 61 = 1900-03-01, 2958465 =
 * 9999-12-31. false if out of range (serial < 1 or after 9999-12-31) and for
 * 60, Excel's phantom 1900-02-29, which is no real date. */
bool bf_date_from_excel_serial(int64_t serial, bf_date *out);
/* "YYYY-MM-DD" into out (at least 11 bytes). */
void bf_date_format(bf_date date, char *out, size_t out_size);
/* Compare: <0, 0, >0. */
int bf_date_cmp(bf_date a, bf_date b);
/* Today's date in Asia/Shanghai. BF_TODAY=YYYY-MM-DD in the environment overrides
 * (for reproducible tests). */
bf_date bf_date_today(void);
/* Whole months from a to b (b >= a), counting a month when the day of month is
 * reached: 2024-01-15 -> 2024-07-15 is 6, -> 2024-07-14 is 5. The last day of a
 * month reaches any later day: 2024-01-31 -> 2024-02-29 is 1. Negative if b < a
 * (minus the months from b to a). */
int bf_date_months_between(bf_date a, bf_date b);

/* Current UTC time as seconds since the epoch. */
int64_t bf_time_now(void);
/* Format a UTC epoch second as Asia/Shanghai local time "YYYY-MM-DD HH:MM:SS"
 * (out at least 20 bytes). Times outside years 1..9999 are clamped to them. */
void bf_time_format_local(int64_t epoch_seconds, char *out, size_t out_size);
/* Format as ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ" (out at least 21 bytes; clamped
 * as bf_time_format_local). */
void bf_time_format_utc(int64_t epoch_seconds, char *out, size_t out_size);

#endif
