/*
 * template.h - one table per registry describing its spreadsheet columns:
 * Chinese header, English alias, type, whether required, enumeration, and the
 * database column. The same table drives import, export, the empty template,
 * the API's field list and the docs, so a column is added in one place.
 *
 * Enumerations are stored in the database as their English identifier (`id`)
 * and shown to users in Chinese (`zh`); import accepts either.
 * All tables are static and read-only.
 */
#ifndef BF_TEMPLATE_H
#define BF_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    TPL_TEXT, /* free text, trimmed */
    TPL_CODE, /* an identifier: digits, letters, '-', '_', '.', '/'; a number cell gives its integer
                 digits */
    TPL_REGION_CODE,  /* 12-digit statistical region code (2/4/6/9 digits padded) */
    TPL_INT,          /* count >= 0 */
    TPL_YEAR,         /* 2000..2100 */
    TPL_MONEY,        /* yuan >= 0, up to 2 decimals -> fen */
    TPL_MONEY_SIGNED, /* yuan, may be negative -> fen */
    TPL_DATE,         /* YYYY-MM-DD or YYYY/M/D -> 'YYYY-MM-DD' */
    TPL_ENUM,         /* one of enum_values (Chinese or English id) -> id */
    TPL_ID_NUMBER,    /* resident ID number -> hash, encrypted, masked */
    TPL_USCC,         /* unified social credit code */
    TPL_KW,           /* kW with up to 3 decimals -> watts */
    TPL_FLAGS,        /* region flags: 脱贫县、重点帮扶县、脱贫村 -> bitmask */
    TPL_KWH           /* kWh, integer >= 0 */
} tpl_type;

typedef struct {
    const char *id; /* stored value, English */
    const char *zh; /* what users see and type */
} tpl_enum_value;

typedef struct {
    const char *header; /* Chinese header */
    const char *alias;  /* English alias (also the JSON field name) */
    tpl_type type;
    bool required;
    const tpl_enum_value *enum_values; /* NULL-terminated, for TPL_ENUM */
    const char *db_column;             /* column in the registry table */
    bool key;                          /* part of the record's identity */
    bool empty_is_zero;                /* optional number: an empty cell stores 0, not NULL */
} tpl_column;

typedef enum {
    TPL_REGIONS,
    TPL_PROJECTS,
    TPL_ASSETS,
    TPL_PROJECT_YEARS,
    TPL_HOUSEHOLDS,
    TPL_MEMBERS,
    TPL_HOUSEHOLD_YEARS,
    TPL_BENEFITS,
    TPL_KIND_COUNT
} tpl_kind;

typedef struct {
    tpl_kind kind;
    const char *name;    /* "projects" */
    const char *name_zh; /* "帮扶项目" */
    const char *table;   /* database table */
    const tpl_column *columns;
    size_t ncolumns;
    bool has_version; /* the table has version and updated_at columns */
} tpl_template;

/* Region flag bits (regions.flags). */
enum { TPL_FLAG_POVERTY_COUNTY = 1, TPL_FLAG_KEY_COUNTY = 2, TPL_FLAG_POVERTY_VILLAGE = 4 };

/* Enumerations, shared with the rules, the API and the demo generator. */
extern const tpl_enum_value tpl_sectors[];
extern const tpl_enum_value tpl_operation_modes[];
extern const tpl_enum_value tpl_project_statuses[];
extern const tpl_enum_value tpl_asset_types[];
extern const tpl_enum_value tpl_asset_natures[];
extern const tpl_enum_value tpl_asset_states[];
extern const tpl_enum_value tpl_household_kinds[];
extern const tpl_enum_value tpl_risk_statuses[];
extern const tpl_enum_value tpl_benefit_kinds[];
extern const tpl_enum_value tpl_region_flags[]; /* id is the bit as text: "1", "2", "4" */

/* The template of a kind; never NULL for a valid kind. */
const tpl_template *tpl_get(tpl_kind kind);
/* By name ("projects"); NULL if unknown. */
const tpl_template *tpl_find(const char *name);
/* Column index whose header or alias equals name (after trimming), or -1. */
int tpl_column_index(const tpl_template *tpl, const char *name, size_t len);
/* The enumeration value whose zh or id equals text (exact); NULL if none. */
const tpl_enum_value *tpl_enum_lookup(const tpl_enum_value *values, const char *text, size_t len);
/* Chinese label of a stored id; the id itself if unknown. */
const char *tpl_enum_zh(const tpl_enum_value *values, const char *id);
/* "种植业、养殖业、…" list of an enumeration's Chinese values into out. */
void tpl_enum_list_zh(const tpl_enum_value *values, char *out, size_t out_size);

#endif
