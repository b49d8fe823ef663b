/*
 * money.h - money as int64 fen (1 yuan = 100 fen), and exact decimals in
 * general. Never binary floating point.
 */
#ifndef BF_MONEY_H
#define BF_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse a decimal number with at most `scale` decimals into an integer scaled by
 * 10^scale: bf_decimal_parse("1234.5", 6, 2, ...) gives 123450. Accepts an optional
 * leading '-' only if allow_negative, optional thousands separators ',' in the
 * integer part only if they are well placed ("1,234.5"), and nothing else (no
 * exponent, no spaces inside, no '+'). More decimals than scale is an error, not a
 * rounding. Overflow is an error. *reason is a static Chinese explanation.
 * Details: blanks (space, tab, CR, LF) around the number are ignored; "5." and
 * ".5" are accepted; extra decimals that are all zeros ("1.500" at scale 2) are
 * accepted (nothing is rounded); full-width digits, currency signs and units
 * (元, 万) are refused with a reason naming them. scale is 0..18. s may be NULL
 * only with len 0. On failure *out is left unchanged. */
bool bf_decimal_parse(const char *s, size_t len, int scale, bool allow_negative, int64_t *out,
                      const char **reason);

/* Money in yuan (up to 2 decimals) to fen; as bf_decimal_parse with scale 2, with
 * reasons that speak of 金额 ("金额最多保留两位小数"). */
bool bf_money_parse(const char *s, size_t len, bool allow_negative, int64_t *fen,
                    const char **reason);

/* Format an integer scaled by 10^scale as a decimal: (123450, 2) -> "1234.50";
 * trailing zeros are kept so the scale is visible. Returns the length written
 * (without the NUL), or -1 with out set to "" if out_size is too small (32 bytes
 * always suffice) or scale is outside 0..18. The output parses back to value. */
int bf_decimal_format(int64_t value, int scale, char *out, size_t out_size);

/* Fen as yuan "1234.50". */
int bf_money_format(int64_t fen, char *out, size_t out_size);

/* Fen as 万元 with two decimals, rounded half away from zero, with thousands
 * separators in the integer part: 1234567800 fen -> "1,234.57". A value that
 * rounds to zero is "0.00" (never "-0.00"). Returns as bf_decimal_format. */
int bf_money_format_wan(int64_t fen, char *out, size_t out_size);

/* Fen as yuan with thousands separators: 123456789 -> "1,234,567.89" (for
 * display; bf_money_parse accepts it back). Returns as bf_decimal_format. */
int bf_money_format_yuan_grouped(int64_t fen, char *out, size_t out_size);

#endif
