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
 * whose first two digits name a province (11-82). */
bool bf_id_number_valid(const char *s, size_t len, bf_date today, const char **reason);
/* The check character for the first 17 digits ('0'-'9' or 'X'); '\0' if not digits. */
char bf_id_number_check_char(const char *first17);

/* Unified social credit code (GB 32100-2015): 18 characters from
 * "0123456789ABCDEFGHJKLMNPQRTUWXY" (no I O Z S V), positions 3-8 digits (the
 * region code), and the correct check character (weights 3^i mod 31). Lower case
 * is refused (users should type it as printed). */
bool bf_uscc_valid(const char *s, size_t len, const char **reason);
/* The check character for the first 17 characters; '\0' if any is outside the alphabet. */
char bf_uscc_check_char(const char *first17);

/* Integer in [min, max], plain digits with optional leading '-' (only if min < 0). */
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
 * not such a code. */
bool bf_region_code_normalize(const char *s, size_t len, char out[13], const char **reason);
/* The level of a 12-digit code from its trailing zeros (province 36000000000 ->
 * PROVINCE), or BF_LEVEL_NONE if malformed. */
bf_region_level bf_region_code_level(const char code[12]);
/* The parent's 12-digit code into out; false for a province. */
bool bf_region_code_parent(const char code[12], char out[13]);
/* English name of a level ("province", ...) and Chinese ("省", "市", "县", "乡镇", "村"). */
const char *bf_region_level_name(bf_region_level level);
const char *bf_region_level_name_zh(bf_region_level level);

#endif
