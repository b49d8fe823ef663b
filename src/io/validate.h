/*
 * validate.h - validators for the identifiers and values users type into
 * spreadsheets. Each returns true if the value is good; otherwise false and
 * *reason (when not NULL) points to a static Chinese sentence for the user.
 * Pure functions: no allocation, no state.
 */
#ifndef BF_VALIDATE_H
#define BF_VALIDATE_H

#include "core/date.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Resident ID number (GB 11643-1999): 18 characters, 17 digits then a check
 * character (ISO 7064 MOD 11-2; 'X' or 'x' for 10), a real birth date
 * (digits 7-14) not after `today` and not before 1900-01-01, an address code
 * whose first two digits name a province (11-82): one of the province-level
 * codes of GB/T 2260 (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81, 82)
 * or 83 (residence permits of Taiwan residents). Checks run in this order, each
 * with its own reason: full-width characters, length ("长度应为18位"), characters
 * ("含有非法字符..."), province, birth date ("出生日期无效", "出生日期早于1900年",
 * "出生日期晚于今天"), check character ("校验码错误，应为 X"). */
bool bf_id_number_valid(const char *s, size_t len, bf_date today, const char **reason);
/* The check character for the first 17 digits ('0'-'9' or 'X'); '\0' if not digits
 * (reading stops at the first non-digit, so a shorter NUL-terminated string is safe). */
char bf_id_number_check_char(const char *first17);
/* The birth date in an 18-character ID number (digits 7-14) into *out; false if
 * len is not 18 or the date is not real. Checks nothing else. */
bool bf_id_number_birth_date(const char *s, size_t len, bf_date *out);
/* Sex from an 18-character ID number's 17th digit as GB/T 2261.1 codes: 1 male
 * (odd), 2 female (even); 0 if len is not 18 or that character is not a digit. */
int bf_id_number_sex(const char *s, size_t len);

/* Unified social credit code (GB 32100-2015): 18 characters from
 * "0123456789ABCDEFGHJKLMNPQRTUWXY" (no I O Z S V), positions 3-8 digits (the
 * region code), and the correct check character (weights 3^i mod 31). Lower case
 * is refused (users should type it as printed). */
bool bf_uscc_valid(const char *s, size_t len, const char **reason);
/* The check character for the first 17 characters; '\0' if any is outside the
 * alphabet (reading stops there, so a shorter NUL-terminated string is safe). */
char bf_uscc_check_char(const char *first17);

/* Integer in [min, max], plain digits with optional leading '-' (only if min < 0).
 * Blanks (space, tab, CR, LF) around it are ignored; "5.0", "1,000", "+5" and
 * full-width digits are refused with a reason. On failure *out is unchanged. */
bool bf_int_parse(const char *s, size_t len, int64_t min, int64_t max, int64_t *out,
                  const char **reason);

/* Statistical region code: exactly 12 digits (shorter 2/4/6/9-digit codes are
 * padded with zeros by bf_region_code_normalize first). */
typedef enum {
    BF_LEVEL_NONE = 0,
    BF_LEVEL_PROVINCE = 1,
    BF_LEVEL_CITY = 2,
    BF_LEVEL_COUNTY = 3,
    BF_LEVEL_TOWNSHIP = 4,
    BF_LEVEL_VILLAGE = 5
} bf_region_level;

/* Normalise a 2/4/6/9/12-digit code to 12 digits into out (13 bytes). false if
 * not such a code, or if the result is malformed (see bf_region_code_level). */
bool bf_region_code_normalize(const char *s, size_t len, char out[13], const char **reason);
/* The level of a 12-digit code from its trailing zeros (province 360000000000 ->
 * PROVINCE, 360100000000 CITY, 360102000000 COUNTY, 360102001000 TOWNSHIP,
 * 360102001001 VILLAGE), or BF_LEVEL_NONE if malformed: a non-digit, a province
 * group outside 11..82, or a zero group followed by non-zero digits
 * (360002000000). */
bf_region_level bf_region_code_level(const char code[12]);
/* The parent's 12-digit code into out; false for a province or a malformed code. */
bool bf_region_code_parent(const char code[12], char out[13]);
/* The half-open range [lo, hi) of the codes in the subtree of a region (itself
 * included), for `region_code >= lo AND region_code < hi` on 12-digit text:
 * county 360102000000 -> [360102000000, 360103000000), province 360000000000 ->
 * [360000000000, 370000000000), village -> [itself, itself + 1). Both are
 * 12 digits. For a malformed code both are "000000000000" (an empty range). */
void bf_region_code_range(const char code[12], char lo[13], char hi[13]);

/* The counties whose regions meet the region range [lo, hi) of
 * bf_region_code_range, as the range [clo, chi) of 6-digit county codes (the
 * county_code column: the first 6 digits of a region code). Returns true when
 * that is exactly one county (clo): a scope of a county or anything within
 * one. aligned (may be NULL) tells whether [lo, hi) holds whole counties only,
 * so that the county range alone selects the same rows. */
bool bf_region_range_counties(const char lo[13], const char hi[13], char clo[7], char chi[7],
                              bool *aligned);
/* English name of a level ("province", ...) and Chinese ("省", "市", "县", "乡镇", "村");
 * BF_LEVEL_NONE (or any other value) gives "none" / "无". Never NULL. */
const char *bf_region_level_name(bf_region_level level);
const char *bf_region_level_name_zh(bf_region_level level);

#endif
