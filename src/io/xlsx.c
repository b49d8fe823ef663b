/*
 * xlsx.c - the streaming XLSX reader behind sheet.h (libzip + expat).
 *
 * Opening reads the small parts whole: the package relationships (where the
 * workbook is), the workbook (sheet names, the 1904 date system), its
 * relationships (where each sheet, the styles and the shared strings live),
 * the styles (which cell formats show dates) and the shared-string table,
 * kept in one buffer with offsets. The chosen worksheet is then streamed:
 * each xlsx_next() feeds zip_fread() chunks to expat until a row ends, when
 * the parser is suspended and the row handed out. Memory stays flat however
 * many rows the sheet has.
 *
 * Every XML part goes through one walker: a table maps (parent element, local
 * name) to an element kind, and per-part callbacks see only kinds they know;
 * anything else (formulas, phonetic runs, extension lists) is skipped with its
 * whole subtree.
 *
 * Owns: the ZIP archive (for memory input also the zip source over the
 * caller's bytes, which are not copied), the expat parser, the metadata arena
 * (sheet names, relationship targets), the style table, the shared strings
 * and the current row.
 *
 * Hostile input: a DOCTYPE or entity declaration stops the parser; each part
 * has a cap on uncompressed bytes, counted while inflating (the sizes in the
 * ZIP directory are only used to refuse early); nesting depth, cells per row,
 * cell size, number length, sheet and style counts, and the bytes expat may
 * buffer for one unfinished token are capped.
 */
#include "io/xlsx.h"

#include "core/arena.h"
#include "core/buf.h"
#include "core/date.h"
#include "io/sheet_impl.h"

#include <expat.h>
#include <zip.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XLSX_CHUNK         (64 * 1024)
#define XLSX_MAX_DEPTH     64
#define XLSX_MAX_TOKEN     ((size_t)16 * 1024 * 1024) /* bytes fed without any XML event */
#define XLSX_MAX_SHEETS    4096
#define XLSX_MAX_RELS      65536
#define XLSX_MAX_NUMFMTS   4096
#define XLSX_MAX_XFS       65536
#define XLSX_MAX_SST_COUNT ((size_t)16 * 1024 * 1024)
#define XLSX_MAX_NUMBER    64      /* characters in a number's stored text */
#define XLSX_MAX_ROW       1048576 /* Excel's last row */
#define XLSX_MAX_REF_COL   16384   /* Excel's last column, XFD */
#define XLSX_MAX_PATH      1024
#define XLSX_META_CAP      ((size_t)64 * 1024 * 1024)
#define XLSX_NS_SEP        '\x01'

/* ---- element kinds and the walker's table ---- */

typedef enum {
    EL_OTHER = 0, /* unknown: skipped with its subtree */
    EL_ROOT,      /* the parent of the document element */
    EL_WORKSHEET,
    EL_SHEETDATA,
    EL_ROW,
    EL_C,
    EL_V,
    EL_IS,
    EL_T,
    EL_RUN,
    EL_SST,
    EL_SI,
    EL_WORKBOOK,
    EL_WBPR,
    EL_SHEETS,
    EL_SHEET,
    EL_RELS,
    EL_REL,
    EL_STYLES,
    EL_NUMFMTS,
    EL_NUMFMT,
    EL_CELLXFS,
    EL_XF
} xml_el;

static const struct {
    xml_el parent;
    const char *name;
    xml_el el;
} xml_rules[] = {
    {EL_ROOT, "worksheet", EL_WORKSHEET},
    {EL_WORKSHEET, "sheetData", EL_SHEETDATA},
    {EL_SHEETDATA, "row", EL_ROW},
    {EL_ROW, "c", EL_C},
    {EL_C, "v", EL_V},
    {EL_C, "is", EL_IS},
    {EL_IS, "t", EL_T},
    {EL_IS, "r", EL_RUN},
    {EL_RUN, "t", EL_T},
    {EL_ROOT, "sst", EL_SST},
    {EL_SST, "si", EL_SI},
    {EL_SI, "t", EL_T},
    {EL_SI, "r", EL_RUN},
    {EL_ROOT, "workbook", EL_WORKBOOK},
    {EL_WORKBOOK, "workbookPr", EL_WBPR},
    {EL_WORKBOOK, "sheets", EL_SHEETS},
    {EL_SHEETS, "sheet", EL_SHEET},
    {EL_ROOT, "Relationships", EL_RELS},
    {EL_RELS, "Relationship", EL_REL},
    {EL_ROOT, "styleSheet", EL_STYLES},
    {EL_STYLES, "numFmts", EL_NUMFMTS},
    {EL_NUMFMTS, "numFmt", EL_NUMFMT},
    {EL_STYLES, "cellXfs", EL_CELLXFS},
    {EL_CELLXFS, "xf", EL_XF},
};

/* ---- cell types (the t attribute) ---- */

typedef enum { CT_NUMBER, CT_SHARED, CT_STR, CT_INLINE, CT_BOOL, CT_ERROR, CT_ISODATE } cell_type;

static const struct {
    const char *name;
    cell_type type;
} cell_types[] = {
    {"n", CT_NUMBER}, {"s", CT_SHARED}, {"str", CT_STR},   {"inlineStr", CT_INLINE},
    {"b", CT_BOOL},   {"e", CT_ERROR},  {"d", CT_ISODATE},
};

static const struct {
    const char *text;
    const char *value;
} bool_values[] = {{"0", "FALSE"}, {"1", "TRUE"}, {"false", "FALSE"}, {"true", "TRUE"}};

/* ---- relationship types, matched by the end of the Type URI (transitional
 * and strict OOXML differ only in the prefix) ---- */

typedef enum {
    REL_OTHER,
    REL_OFFICE_DOC,
    REL_WORKSHEET,
    REL_CHARTSHEET,
    REL_STYLES,
    REL_SST
} rel_type;

static const struct {
    const char *suffix;
    rel_type type;
} rel_types[] = {
    {"/officeDocument", REL_OFFICE_DOC}, {"/worksheet", REL_WORKSHEET},
    {"/chartsheet", REL_CHARTSHEET},     {"/styles", REL_STYLES},
    {"/sharedStrings", REL_SST},
};

/* Built-in number formats that show dates (ECMA-376 18.8.30 and the CJK ids). */
static const struct {
    unsigned first, last;
} builtin_date_formats[] = {{14, 22}, {27, 36}, {45, 47}, {50, 58}};

/* ---- libzip and expat errors in Chinese ---- */

static const struct {
    int code;
    bf_status status;
    const char *text;
} zip_reasons[] = {
    {ZIP_ER_NOZIP, BF_ERR_PARSE,
     "不是完整的 ZIP 压缩包（XLSX 文件是 ZIP 压缩包），文件可能不完整或已损坏"},
    {ZIP_ER_INCONS, BF_ERR_PARSE, "ZIP 目录结构不一致，文件可能已损坏或不完整"},
    {ZIP_ER_MULTIDISK, BF_ERR_PARSE, "不支持分卷压缩文件"},
    {ZIP_ER_CRC, BF_ERR_PARSE, "数据校验失败，文件已损坏"},
    {ZIP_ER_ZLIB, BF_ERR_PARSE, "压缩数据已损坏"},
    {ZIP_ER_COMPRESSED_DATA, BF_ERR_PARSE, "压缩数据已损坏"},
    {ZIP_ER_EOF, BF_ERR_PARSE, "文件意外结束，可能不完整"},
    {ZIP_ER_COMPNOTSUPP, BF_ERR_PARSE, "使用了不支持的压缩方式"},
    {ZIP_ER_ENCRNOTSUPP, BF_ERR_PARSE, "文件已加密，请先在 Excel 中取消密码"},
    {ZIP_ER_NOPASSWD, BF_ERR_PARSE, "文件已加密，请先在 Excel 中取消密码"},
    {ZIP_ER_WRONGPASSWD, BF_ERR_PARSE, "文件已加密，请先在 Excel 中取消密码"},
    {ZIP_ER_MEMORY, BF_ERR_NOMEM, "内存不足"},
    {ZIP_ER_OPEN, BF_ERR_IO, "无法打开文件"},
    {ZIP_ER_NOENT, BF_ERR_IO, "文件不存在"},
    {ZIP_ER_READ, BF_ERR_IO, "读取文件失败"},
    {ZIP_ER_SEEK, BF_ERR_IO, "读取文件失败"},
    {ZIP_ER_TELL, BF_ERR_IO, "读取文件失败"},
};

static const struct {
    enum XML_Error code;
    const char *text;
} xml_reasons[] = {
    {XML_ERROR_SYNTAX, "语法错误"},
    {XML_ERROR_NO_ELEMENTS, "内容为空或不完整（缺少结束标签）"},
    {XML_ERROR_INVALID_TOKEN, "含有非法字符或标记"},
    {XML_ERROR_UNCLOSED_TOKEN, "标记未闭合，内容不完整"},
    {XML_ERROR_PARTIAL_CHAR, "字符不完整"},
    {XML_ERROR_TAG_MISMATCH, "标签不匹配"},
    {XML_ERROR_DUPLICATE_ATTRIBUTE, "属性重复"},
    {XML_ERROR_JUNK_AFTER_DOC_ELEMENT, "根元素之后有多余内容"},
    {XML_ERROR_UNDEFINED_ENTITY, "使用了未定义的实体"},
    {XML_ERROR_BAD_CHAR_REF, "字符引用无效"},
    {XML_ERROR_MISPLACED_XML_PI, "XML 声明的位置不对"},
    {XML_ERROR_UNKNOWN_ENCODING, "不支持的字符编码"},
    {XML_ERROR_INCORRECT_ENCODING, "声明的字符编码与内容不符"},
    {XML_ERROR_UNCLOSED_CDATA_SECTION, "CDATA 段未闭合"},
    {XML_ERROR_UNBOUND_PREFIX, "使用了未声明的命名空间前缀"},
    {XML_ERROR_XML_DECL, "XML 声明有误"},
    {XML_ERROR_AMPLIFICATION_LIMIT_BREACH, "实体展开过多"},
};

/* ---- the reader ---- */

typedef struct xlsx_rel {
    struct xlsx_rel *next;
    const char *id;
    const char *target; /* resolved part name, no leading '/' */
    rel_type type;
} xlsx_rel;

typedef struct xlsx_sheetref {
    struct xlsx_sheetref *next;
    const char *name;
    const char *rid; /* NULL if the workbook gave none */
    bool hidden;
} xlsx_sheetref;

typedef struct xlsx_numfmt {
    struct xlsx_numfmt *next;
    unsigned long id;
    bool is_date;
} xlsx_numfmt;

typedef struct xlsx_reader xlsx_reader;

typedef struct {
    xml_el root;      /* the document element this part must have */
    const char *what; /* the part in Chinese, for messages */
    void (*start)(xlsx_reader *x, xml_el el, const XML_Char **attrs);
    void (*end)(xlsx_reader *x, xml_el el);
    void (*text)(xlsx_reader *x, const XML_Char *s, size_t len); /* inside <t> or <v> */
} part_ops;

struct xlsx_reader {
    zip_t *zip;
    xlsx_limits lim;
    bf_arena *arena; /* names and targets: freed with the reader */

    /* The XML part being parsed. */
    XML_Parser parser;
    zip_file_t *zf;
    const part_ops *part;
    char part_name[128];  /* clipped for messages */
    const char *part_dir; /* for relationship targets: "xl/" */
    xml_el stack[XLSX_MAX_DEPTH];
    unsigned depth;
    size_t fed;        /* uncompressed bytes read from the part */
    size_t cap;        /* ... at most */
    size_t declared;   /* size from the ZIP directory (progress only) */
    size_t last_event; /* fed when the last XML event came */
    bool final_fed, suspended, done;
    bf_status fail; /* set by a callback, which then stops the parser */
    bf_error fail_err;

    /* Package. */
    xlsx_rel *rels, **rels_tail;
    size_t nrels;
    xlsx_sheetref *sheets, **sheets_tail;
    size_t nsheets;
    bool date1904;

    /* Styles. */
    xlsx_numfmt *numfmts;
    size_t nnumfmts;
    unsigned long *xf_fmt; /* numFmtId of each cellXfs entry */
    size_t nxf, xf_alloc;
    unsigned char *xf_date; /* 1 if the cell format shows a date */

    /* Shared strings: NUL-terminated strings in one buffer. */
    bf_buf sst;
    uint32_t *sst_off;
    size_t sst_count, sst_alloc;
    bool in_si;

    /* The row being read. */
    long row_number, last_row;
    bool in_row, row_ready;
    size_t next_col, ncells;
    bf_cell *cells;   /* BF_SHEET_MAX_COLS */
    size_t *cell_off; /* offset of each cell's text in row_text, SIZE_MAX if empty */
    bf_buf row_text;  /* the row's cell texts, each NUL-terminated */
    /* The cell being read. */
    bool in_cell;
    size_t cell_col;
    cell_type ctype;
    unsigned long cell_style;
    bf_buf val;

    /* The first error of xlsx_next() repeats on later calls. */
    bf_status sticky;
    bf_error sticky_err;
};

static const part_ops rels_ops, workbook_ops, styles_ops, sst_ops, sheet_ops;

/* ---- small helpers ---- */

static const char *local_name(const XML_Char *name)
{
    const char *sep = strrchr(name, XLSX_NS_SEP);
    return sep ? sep + 1 : name;
}

/* An attribute without a namespace (the usual case in SpreadsheetML). */
static const char *attr_get(const XML_Char **attrs, const char *name)
{
    for (size_t i = 0; attrs[i]; i += 2)
        if (strcmp(attrs[i], name) == 0)
            return attrs[i + 1];
    return NULL;
}

/* An attribute in some namespace, by its local name (r:id). */
static const char *attr_get_ns(const XML_Char **attrs, const char *local)
{
    for (size_t i = 0; attrs[i]; i += 2) {
        const char *sep = strrchr(attrs[i], XLSX_NS_SEP);
        if (sep && strcmp(sep + 1, local) == 0)
            return attrs[i + 1];
    }
    return NULL;
}

/* Plain decimal digits (at most 10) with a value <= max. */
static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 10)
        return false;
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static bool ascii_case_equal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char ca = (*a >= 'A' && *a <= 'Z') ? (char)(*a + 32) : *a;
        char cb = (*b >= 'A' && *b <= 'Z') ? (char)(*b + 32) : *b;
        if (ca != cb)
            return false;
    }
    return *a == *b;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* As much of s as fits out (at most out_size - 4 bytes) for a message, cut at
 * a UTF-8 boundary, with "…" if cut: messages must stay short, whole UTF-8. */
static const char *clip(const char *s, size_t len, char *out, size_t out_size)
{
    size_t n = len < out_size - 4 ? len : out_size - 4;
    while (n < len && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    snprintf(out, out_size, "%.*s%s", (int)n, s, n < len ? "…" : "");
    return out;
}

/* Column letters ("A", "AB") of a 0-based column. */
static void col_name(size_t col, char out[8])
{
    char tmp[8];
    size_t n = 0;
    col++;
    while (col && n < 7) {
        col--;
        tmp[n++] = (char)('A' + col % 26);
        col /= 26;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

/* "1 GiB", "256 MiB" or "1000 字节". */
static const char *size_text(size_t bytes, char *out, size_t out_size)
{
    if (bytes >= ((size_t)1 << 30) && bytes % ((size_t)1 << 30) == 0)
        snprintf(out, out_size, "%zu GiB", bytes >> 30);
    else if (bytes >= ((size_t)1 << 20) && bytes % ((size_t)1 << 20) == 0)
        snprintf(out, out_size, "%zu MiB", bytes >> 20);
    else
        snprintf(out, out_size, "%zu 字节", bytes);
    return out;
}

/* Cell reference "C5": 1-3 letters then a row number; the 0-based column. */
static bool parse_cell_ref(const char *s, size_t *col)
{
    size_t i = 0, c = 0;
    while (i < 3 && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) {
        char u = (s[i] >= 'a') ? (char)(s[i] - 32) : s[i];
        c = c * 26 + (size_t)(u - 'A' + 1);
        i++;
    }
    if (i == 0 || c > XLSX_MAX_REF_COL)
        return false;
    unsigned long row;
    if (s[i] == '0' || !parse_uint(s + i, XLSX_MAX_ROW, &row) || row == 0)
        return false;
    *col = c - 1;
    return true;
}

/* The stored text of a number: [+-]digits[.digits][E[+-]digits]. */
static bool number_valid(const char *s, size_t len)
{
    size_t i = 0, digits = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        i++;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (i < len && s[i] == '.')
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            digits++;
    if (digits == 0)
        return false;
    if (i < len && (s[i] == 'E' || s[i] == 'e')) {
        size_t exp = 0;
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            i++;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            exp++;
        if (exp == 0)
            return false;
    }
    return i == len;
}

/* Does a custom number format show a date? It does if it has a year or day
 * token (y, d) outside quoted text, [brackets] and escaped characters; a lone
 * m is ambiguous (months or minutes) and h/s are times, so they do not count. */
static bool format_is_date(const char *code)
{
    for (const char *p = code; *p; p++) {
        switch (*p) {
        case '"':
            p = strchr(p + 1, '"');
            if (!p)
                return false;
            break;
        case '[':
            p = strchr(p + 1, ']');
            if (!p)
                return false;
            break;
        case '\\':
        case '_':
        case '*':
            if (!p[1])
                return false;
            p++;
            while (((unsigned char)p[1] & 0xC0) == 0x80)
                p++;
            break;
        case 'y':
        case 'Y':
        case 'd':
        case 'D':
            return true;
        default:
            break;
        }
    }
    return false;
}

static bool builtin_format_is_date(unsigned long id)
{
    for (size_t i = 0; i < sizeof builtin_date_formats / sizeof builtin_date_formats[0]; i++)
        if (id >= builtin_date_formats[i].first && id <= builtin_date_formats[i].last)
            return true;
    return false;
}

/*
 * Resolve a relationship target against the folder of the part owning the
 * relationships ("xl/" for xl/workbook.xml; "" for the package). A target
 * starting with '/' is from the package root. "." and ".." segments are
 * removed; NULL if the result would leave the root, is empty or too long.
 */
static const char *resolve_target(bf_arena *arena, const char *dir, const char *target)
{
    char joined[XLSX_MAX_PATH];
    int n = target[0] == '/' ? snprintf(joined, sizeof joined, "%s", target + 1)
                             : snprintf(joined, sizeof joined, "%s%s", dir, target);
    if (n < 0 || (size_t)n >= sizeof joined)
        return NULL;
    char out[XLSX_MAX_PATH];
    size_t len = 0;
    const char *seg = joined;
    while (*seg) {
        const char *slash = strchr(seg, '/');
        size_t seg_len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (seg_len == 0 || (seg_len == 1 && seg[0] == '.')) {
            /* nothing */
        } else if (seg_len == 2 && seg[0] == '.' && seg[1] == '.') {
            if (len == 0)
                return NULL;
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--; /* the '/' before the dropped segment */
        } else {
            if (len > 0)
                out[len++] = '/';
            memcpy(out + len, seg, seg_len);
            len += seg_len;
        }
        seg += seg_len;
        if (*seg == '/')
            seg++;
    }
    if (len == 0)
        return NULL;
    return bf_arena_strndup(arena, out, len);
}

/* The folder of a part name, with its trailing '/' ("" at the root). */
static const char *part_folder(bf_arena *arena, const char *name)
{
    const char *slash = strrchr(name, '/');
    return bf_arena_strndup(arena, name, slash ? (size_t)(slash - name) + 1 : 0);
}

/* "_xHHHH_" at s (7 bytes): its code point. */
static bool xescape_at(const char *s, size_t len, unsigned *cp)
{
    if (len < 7 || s[0] != '_' || s[1] != 'x' || s[6] != '_')
        return false;
    unsigned v = 0;
    for (size_t i = 2; i < 6; i++) {
        char c = s[i];
        unsigned d = (c >= '0' && c <= '9')   ? (unsigned)(c - '0')
                     : (c >= 'A' && c <= 'F') ? (unsigned)(c - 'A' + 10)
                     : (c >= 'a' && c <= 'f') ? (unsigned)(c - 'a' + 10)
                                              : 16;
        if (d == 16)
            return false;
        v = v * 16 + d;
    }
    *cp = v;
    return true;
}

static size_t utf8_put(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Decode in place the "_xHHHH_" escapes of ST_Xstring, which is how Excel
 * stores characters XML cannot hold (a cell's carriage return is "_x000D_",
 * a literal "_x" sequence is "_x005F_x..."). _x0000_ and unpaired surrogates
 * stay as written. Decoding only shrinks the text. Returns the new length.
 */
static size_t xstring_decode(char *s, size_t len)
{
    if (!memmem(s, len, "_x", 2))
        return len;
    size_t r = 0, w = 0;
    while (r < len) {
        unsigned cp, lo;
        size_t used = 0;
        if (s[r] == '_' && xescape_at(s + r, len - r, &cp)) {
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (xescape_at(s + r + 7, len - r - 7, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    used = 14;
                }
            } else if (cp != 0 && !(cp >= 0xDC00 && cp <= 0xDFFF)) {
                used = 7;
            }
        }
        if (used) {
            w += utf8_put(s + w, cp);
            r += used;
        } else {
            s[w++] = s[r++];
        }
    }
    s[w] = '\0';
    return w;
}

/* ---- failing ---- */

/* Where the reader is, as the start of a message. */
static void where(const xlsx_reader *x, char *out, size_t out_size)
{
    if (x->part == &sheet_ops && x->in_row)
        snprintf(out, out_size, "XLSX 文件第 %ld 行：", x->row_number);
    else if (x->part == &sheet_ops && x->last_row > 0)
        snprintf(out, out_size, "XLSX 文件第 %ld 行之后：", x->last_row);
    else
        snprintf(out, out_size, "无法读取 XLSX 文件：");
}

/* Record the first failure of a callback and abort the parse. */
static void xfail(xlsx_reader *x, bf_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void xfail(xlsx_reader *x, bf_status status, const char *fmt, ...)
{
    if (x->fail)
        return;
    char prefix[96], detail[sizeof x->fail_err.msg];
    where(x, prefix, sizeof prefix);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    x->fail = status;
    bf_error_set(&x->fail_err, status, "%s%s", prefix, detail);
    if (x->parser)
        XML_StopParser(x->parser, XML_FALSE);
}

static bf_status zip_failure(bf_error *err, int code, const char *name)
{
    for (size_t i = 0; i < sizeof zip_reasons / sizeof zip_reasons[0]; i++)
        if (zip_reasons[i].code == code) {
            if (name)
                return bf_error_set(err, zip_reasons[i].status, "无法读取 XLSX 文件：%s（%s）",
                                    zip_reasons[i].text, name);
            return bf_error_set(err, zip_reasons[i].status, "无法读取 XLSX 文件：%s",
                                zip_reasons[i].text);
        }
    return bf_error_set(err, BF_ERR_PARSE, "无法读取 XLSX 文件：ZIP 压缩包有误（错误代码 %d）",
                        code);
}

/* ---- the XML walker ---- */

static void XMLCALL xml_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    xlsx_reader *x = ud;
    x->last_event = x->fed;
    if (x->fail)
        return;
    if (x->depth >= XLSX_MAX_DEPTH) {
        xfail(x, BF_ERR_TOO_LARGE, "%s的 XML 嵌套超过 %d 层", x->part->what, XLSX_MAX_DEPTH);
        return;
    }
    xml_el parent = x->depth ? x->stack[x->depth - 1] : EL_ROOT;
    xml_el el = EL_OTHER;
    if (parent != EL_OTHER) {
        const char *local = local_name(name);
        for (size_t i = 0; i < sizeof xml_rules / sizeof xml_rules[0]; i++)
            if (xml_rules[i].parent == parent && strcmp(xml_rules[i].name, local) == 0) {
                el = xml_rules[i].el;
                break;
            }
    }
    if (x->depth == 0 && el != x->part->root) {
        char shown[64];
        const char *local = local_name(name);
        xfail(x, BF_ERR_PARSE, "%s 不是%s（根元素为 %s）", x->part_name, x->part->what,
              clip(local, strlen(local), shown, sizeof shown));
        return;
    }
    x->stack[x->depth++] = el;
    if (el != EL_OTHER && x->part->start)
        x->part->start(x, el, attrs);
}

static void XMLCALL xml_end(void *ud, const XML_Char *name)
{
    xlsx_reader *x = ud;
    (void)name;
    x->last_event = x->fed;
    if (x->fail || x->depth == 0)
        return;
    xml_el el = x->stack[--x->depth];
    if (el != EL_OTHER && x->part->end)
        x->part->end(x, el);
}

static void XMLCALL xml_text(void *ud, const XML_Char *s, int len)
{
    xlsx_reader *x = ud;
    x->last_event = x->fed;
    if (x->fail || x->depth == 0 || len <= 0)
        return;
    xml_el top = x->stack[x->depth - 1];
    if ((top == EL_T || top == EL_V) && x->part->text)
        x->part->text(x, s, (size_t)len);
}

/* A DTD could define entities (billion laughs) or fetch external ones: no
 * part of a real XLSX has one, so any DOCTYPE ends the parse. */
static void XMLCALL xml_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                                const XML_Char *pubid, int has_internal_subset)
{
    xlsx_reader *x = ud;
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    xfail(x, BF_ERR_PARSE, "%s含有 DOCTYPE 声明，出于安全原因拒绝读取", x->part->what);
}

static void XMLCALL xml_entity(void *ud, const XML_Char *entity_name, int is_parameter_entity,
                               const XML_Char *value, int value_length, const XML_Char *base,
                               const XML_Char *system_id, const XML_Char *public_id,
                               const XML_Char *notation_name)
{
    xlsx_reader *x = ud;
    (void)entity_name, (void)is_parameter_entity, (void)value, (void)value_length, (void)base;
    (void)system_id, (void)public_id, (void)notation_name;
    xfail(x, BF_ERR_PARSE, "%s含有实体声明，出于安全原因拒绝读取", x->part->what);
}

static void part_close(xlsx_reader *x)
{
    if (x->parser)
        XML_ParserFree(x->parser);
    x->parser = NULL;
    if (x->zf)
        zip_fclose(x->zf);
    x->zf = NULL;
}

/* Open part `name` (entry index) for parsing with ops, reading at most cap bytes. */
static bf_status part_open(xlsx_reader *x, zip_int64_t index, const char *name, const part_ops *ops,
                           size_t cap, bf_error *err)
{
    part_close(x);
    x->part = ops;
    clip(name, strlen(name), x->part_name, sizeof x->part_name);
    x->depth = 0;
    x->fed = x->last_event = 0;
    x->cap = cap;
    x->final_fed = x->suspended = x->done = false;
    x->fail = BF_OK;
    bf_error_clear(&x->fail_err);

    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(x->zip, (zip_uint64_t)index, 0, &st) != 0)
        return zip_failure(err, zip_error_code_zip(zip_get_error(x->zip)), x->part_name);
    x->declared = (st.valid & ZIP_STAT_SIZE) && st.size < SIZE_MAX ? (size_t)st.size : 0;
    if ((st.valid & ZIP_STAT_SIZE) && st.size > cap) {
        char limit[32];
        return bf_error_set(err, BF_ERR_TOO_LARGE,
                            "无法读取 XLSX 文件：%s（%s）解压后超过 %s，文件可能是恶意构造的",
                            ops->what, x->part_name, size_text(cap, limit, sizeof limit));
    }
    x->zf = zip_fopen_index(x->zip, (zip_uint64_t)index, 0);
    if (!x->zf)
        return zip_failure(err, zip_error_code_zip(zip_get_error(x->zip)), x->part_name);
    x->parser = XML_ParserCreateNS(NULL, XLSX_NS_SEP);
    if (!x->parser)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    XML_SetUserData(x->parser, x);
    XML_SetElementHandler(x->parser, xml_start, xml_end);
    XML_SetCharacterDataHandler(x->parser, xml_text);
    XML_SetStartDoctypeDeclHandler(x->parser, xml_doctype);
    XML_SetEntityDeclHandler(x->parser, xml_entity);
    XML_SetParamEntityParsing(x->parser, XML_PARAM_ENTITY_PARSING_NEVER);
    return BF_OK;
}

static bf_status xml_failure(xlsx_reader *x, bf_error *err)
{
    enum XML_Error code = XML_GetErrorCode(x->parser);
    if (code == XML_ERROR_NO_MEMORY)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    const char *reason = "格式错误";
    for (size_t i = 0; i < sizeof xml_reasons / sizeof xml_reasons[0]; i++)
        if (xml_reasons[i].code == code)
            reason = xml_reasons[i].text;
    char prefix[96];
    where(x, prefix, sizeof prefix);
    return bf_error_set(err, BF_ERR_PARSE, "%s%s（%s）的 XML %s（XML 第 %lu 行第 %lu 列）", prefix,
                        x->part->what, x->part_name, reason,
                        (unsigned long)XML_GetCurrentLineNumber(x->parser),
                        (unsigned long)XML_GetCurrentColumnNumber(x->parser));
}

/*
 * Feed the part to expat until a callback suspends the parser (a row is
 * ready) or the part ends (x->done). Resumes a suspended parser first.
 */
static bf_status part_pump(xlsx_reader *x, bf_error *err)
{
    for (;;) {
        enum XML_Status st;
        if (x->suspended) {
            x->suspended = false;
            st = XML_ResumeParser(x->parser);
        } else if (x->done) {
            return BF_OK;
        } else {
            void *buf = XML_GetBuffer(x->parser, XLSX_CHUNK);
            if (!buf)
                return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
            zip_int64_t n = zip_fread(x->zf, buf, XLSX_CHUNK);
            if (n < 0) {
                char prefix[96];
                bf_error zerr;
                where(x, prefix, sizeof prefix);
                bf_status rc =
                    zip_failure(&zerr, zip_error_code_zip(zip_file_get_error(x->zf)), x->part_name);
                /* Keep zip_failure's reason, but say where it happened. */
                const char *reason = zerr.msg + strlen("无法读取 XLSX 文件：");
                return bf_error_set(err, rc, "%s%s数据读取失败：%s", prefix, x->part->what, reason);
            }
            if ((size_t)n > x->cap - x->fed) {
                char prefix[96], limit[32];
                where(x, prefix, sizeof prefix);
                return bf_error_set(
                    err, BF_ERR_TOO_LARGE, "%s%s（%s）解压后超过 %s，文件可能是恶意构造的", prefix,
                    x->part->what, x->part_name, size_text(x->cap, limit, sizeof limit));
            }
            x->fed += (size_t)n;
            x->final_fed = n == 0;
            st = XML_ParseBuffer(x->parser, (int)n, n == 0);
        }
        if (x->fail) {
            if (err)
                *err = x->fail_err;
            return x->fail;
        }
        switch (st) {
        case XML_STATUS_ERROR:
            return xml_failure(x, err);
        case XML_STATUS_SUSPENDED:
            x->suspended = true;
            return BF_OK;
        case XML_STATUS_OK:
            if (x->final_fed) {
                x->done = true;
                return BF_OK;
            }
            if (x->fed - x->last_event > XLSX_MAX_TOKEN) {
                char prefix[96], limit[32];
                where(x, prefix, sizeof prefix);
                return bf_error_set(err, BF_ERR_TOO_LARGE, "%s%s（%s）中有超过 %s 的 XML 标记",
                                    prefix, x->part->what, x->part_name,
                                    size_text(XLSX_MAX_TOKEN, limit, sizeof limit));
            }
            break;
        }
    }
}

/* Parse a whole part; `dir` is its folder, for relationship targets. */
static bf_status part_parse(xlsx_reader *x, zip_int64_t index, const char *name, const char *dir,
                            const part_ops *ops, size_t cap, bf_error *err)
{
    x->part_dir = dir;
    bf_status rc = part_open(x, index, name, ops, cap, err);
    if (!rc)
        rc = part_pump(x, err);
    if (!rc && !x->done)
        rc = bf_error_set(err, BF_ERR_INTERNAL, "内部错误：%s 未读完", x->part_name);
    part_close(x);
    return rc;
}

static zip_int64_t locate(xlsx_reader *x, const char *name)
{
    return zip_name_locate(x->zip, name, ZIP_FL_NOCASE);
}

/* ---- relationships ---- */

static void rels_start(xlsx_reader *x, xml_el el, const XML_Char **attrs)
{
    if (el != EL_REL)
        return;
    const char *id = attr_get(attrs, "Id");
    const char *type = attr_get(attrs, "Type");
    const char *target = attr_get(attrs, "Target");
    const char *mode = attr_get(attrs, "TargetMode");
    if (!id || !type || !target || (mode && strcmp(mode, "External") == 0))
        return;
    if (x->nrels >= XLSX_MAX_RELS) {
        xfail(x, BF_ERR_TOO_LARGE, "%s（%s）的条目超过 %d 个", x->part->what, x->part_name,
              XLSX_MAX_RELS);
        return;
    }
    const char *resolved = resolve_target(x->arena, x->part_dir, target);
    if (!resolved)
        return; /* leaves the package or too long: as if absent */
    xlsx_rel *rel = bf_arena_calloc(x->arena, 1, sizeof *rel);
    if (!rel || !(rel->id = bf_arena_strdup(x->arena, id))) {
        xfail(x, BF_ERR_NOMEM, "内存不足");
        return;
    }
    rel->target = resolved;
    rel->type = REL_OTHER;
    for (size_t i = 0; i < sizeof rel_types / sizeof rel_types[0]; i++)
        if (ends_with(type, rel_types[i].suffix))
            rel->type = rel_types[i].type;
    *x->rels_tail = rel;
    x->rels_tail = &rel->next;
    x->nrels++;
}

static const part_ops rels_ops = {EL_RELS, "关系表", rels_start, NULL, NULL};

static void rels_reset(xlsx_reader *x)
{
    x->rels = NULL;
    x->rels_tail = &x->rels;
    x->nrels = 0;
}

static const xlsx_rel *rel_by_type(const xlsx_reader *x, rel_type type)
{
    for (const xlsx_rel *r = x->rels; r; r = r->next)
        if (r->type == type)
            return r;
    return NULL;
}

static const xlsx_rel *rel_by_id(const xlsx_reader *x, const char *id)
{
    for (const xlsx_rel *r = x->rels; r; r = r->next)
        if (strcmp(r->id, id) == 0)
            return r;
    return NULL;
}

/* ---- workbook ---- */

static void workbook_start(xlsx_reader *x, xml_el el, const XML_Char **attrs)
{
    if (el == EL_WBPR) {
        const char *v = attr_get(attrs, "date1904");
        x->date1904 = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
        return;
    }
    if (el != EL_SHEET)
        return;
    const char *name = attr_get(attrs, "name");
    const char *rid = attr_get_ns(attrs, "id");
    const char *state = attr_get(attrs, "state");
    if (!name || !name[0]) {
        xfail(x, BF_ERR_PARSE, "工作簿中有工作表缺少名称");
        return;
    }
    if (x->nsheets >= XLSX_MAX_SHEETS) {
        xfail(x, BF_ERR_TOO_LARGE, "工作表超过 %d 个", XLSX_MAX_SHEETS);
        return;
    }
    xlsx_sheetref *s = bf_arena_calloc(x->arena, 1, sizeof *s);
    if (!s || !(s->name = bf_arena_strdup(x->arena, name)) ||
        (rid && !(s->rid = bf_arena_strdup(x->arena, rid)))) {
        xfail(x, BF_ERR_NOMEM, "内存不足");
        return;
    }
    s->hidden = state && strcmp(state, "visible") != 0;
    *x->sheets_tail = s;
    x->sheets_tail = &s->next;
    x->nsheets++;
}

static const part_ops workbook_ops = {EL_WORKBOOK, "工作簿", workbook_start, NULL, NULL};

/* ---- styles ---- */

static void styles_start(xlsx_reader *x, xml_el el, const XML_Char **attrs)
{
    unsigned long id = 0;
    if (el == EL_NUMFMT) {
        const char *sid = attr_get(attrs, "numFmtId");
        const char *code = attr_get(attrs, "formatCode");
        if (!sid || !code || !parse_uint(sid, UINT32_MAX, &id))
            return;
        if (x->nnumfmts >= XLSX_MAX_NUMFMTS) {
            xfail(x, BF_ERR_TOO_LARGE, "样式表中的数字格式超过 %d 个", XLSX_MAX_NUMFMTS);
            return;
        }
        xlsx_numfmt *f = bf_arena_calloc(x->arena, 1, sizeof *f);
        if (!f) {
            xfail(x, BF_ERR_NOMEM, "内存不足");
            return;
        }
        f->id = id;
        f->is_date = format_is_date(code);
        f->next = x->numfmts;
        x->numfmts = f;
        x->nnumfmts++;
    } else if (el == EL_XF) {
        const char *sid = attr_get(attrs, "numFmtId");
        if (!sid || !parse_uint(sid, UINT32_MAX, &id))
            id = 0;
        if (x->nxf >= XLSX_MAX_XFS) {
            xfail(x, BF_ERR_TOO_LARGE, "样式表中的单元格格式超过 %d 个", XLSX_MAX_XFS);
            return;
        }
        if (x->nxf == x->xf_alloc) {
            size_t alloc = x->xf_alloc ? x->xf_alloc * 2 : 64;
            unsigned long *p = realloc(x->xf_fmt, alloc * sizeof *p);
            if (!p) {
                xfail(x, BF_ERR_NOMEM, "内存不足");
                return;
            }
            x->xf_fmt = p;
            x->xf_alloc = alloc;
        }
        x->xf_fmt[x->nxf++] = id;
    }
}

static const part_ops styles_ops = {EL_STYLES, "样式表", styles_start, NULL, NULL};

/* Which cell formats show dates: a custom format by its code, else built-in. */
static bf_status styles_resolve(xlsx_reader *x, bf_error *err)
{
    if (!x->nxf)
        return BF_OK;
    x->xf_date = calloc(x->nxf, 1);
    if (!x->xf_date)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    for (size_t i = 0; i < x->nxf; i++) {
        const xlsx_numfmt *f = x->numfmts;
        while (f && f->id != x->xf_fmt[i])
            f = f->next;
        x->xf_date[i] = f ? f->is_date : builtin_format_is_date(x->xf_fmt[i]);
    }
    return BF_OK;
}

/* ---- shared strings ---- */

static void sst_start(xlsx_reader *x, xml_el el, const XML_Char **attrs)
{
    (void)attrs;
    if (el != EL_SI)
        return;
    if (x->sst_count >= XLSX_MAX_SST_COUNT) {
        xfail(x, BF_ERR_TOO_LARGE, "共享字符串超过 %zu 个", XLSX_MAX_SST_COUNT);
        return;
    }
    if (x->sst_count == x->sst_alloc) {
        size_t alloc = x->sst_alloc ? x->sst_alloc * 2 : 256;
        uint32_t *p = realloc(x->sst_off, alloc * sizeof *p);
        if (!p) {
            xfail(x, BF_ERR_NOMEM, "内存不足");
            return;
        }
        x->sst_off = p;
        x->sst_alloc = alloc;
    }
    x->sst_off[x->sst_count++] = (uint32_t)x->sst.len;
    x->in_si = true;
}

static void sst_store_fail(xlsx_reader *x, bf_status rc)
{
    char limit[32];
    if (rc == BF_ERR_NOMEM)
        xfail(x, rc, "内存不足");
    else
        xfail(x, rc, "共享字符串表超过 %s", size_text(x->sst.cap, limit, sizeof limit));
}

static void sst_end(xlsx_reader *x, xml_el el)
{
    if (el != EL_SI)
        return;
    x->in_si = false;
    size_t start = x->sst_off[x->sst_count - 1];
    if (x->sst.len > start)
        x->sst.len = start + xstring_decode(x->sst.data + start, x->sst.len - start);
    bf_status rc = bf_buf_append_char(&x->sst, '\0');
    if (rc)
        sst_store_fail(x, rc);
}

static void sst_text(xlsx_reader *x, const XML_Char *s, size_t len)
{
    if (!x->in_si)
        return;
    bf_status rc = bf_buf_append(&x->sst, s, len);
    if (rc)
        sst_store_fail(x, rc);
}

static const part_ops sst_ops = {EL_SST, "共享字符串表", sst_start, sst_end, sst_text};

/* ---- the worksheet ---- */

static void row_begin(xlsx_reader *x, const XML_Char **attrs)
{
    const char *r = attr_get(attrs, "r");
    unsigned long number = (unsigned long)x->last_row + 1;
    if (r && (!parse_uint(r, XLSX_MAX_ROW, &number) || number == 0)) {
        char shown[64];
        xfail(x, BF_ERR_PARSE, "行号“%s”无效", clip(r, strlen(r), shown, sizeof shown));
        return;
    }
    if (number > XLSX_MAX_ROW) {
        xfail(x, BF_ERR_TOO_LARGE, "超过 %d 行", XLSX_MAX_ROW);
        return;
    }
    if ((long)number <= x->last_row) {
        xfail(x, BF_ERR_PARSE, "行号 %lu 重复或顺序颠倒", number);
        return;
    }
    x->row_number = (long)number;
    x->in_row = true;
    x->next_col = 0;
    x->ncells = 0;
    bf_buf_reset(&x->row_text);
}

static void cell_begin(xlsx_reader *x, const XML_Char **attrs)
{
    const char *r = attr_get(attrs, "r");
    const char *t = attr_get(attrs, "t");
    const char *s = attr_get(attrs, "s");
    char shown[64];
    size_t col = x->next_col;
    if (r && !parse_cell_ref(r, &col)) {
        xfail(x, BF_ERR_PARSE, "单元格位置“%s”无效", clip(r, strlen(r), shown, sizeof shown));
        return;
    }
    if (col >= XLSX_MAX_REF_COL) {
        xfail(x, BF_ERR_PARSE, "超过 Excel 的 %d 列", XLSX_MAX_REF_COL);
        return;
    }
    if (col < x->next_col) {
        xfail(x, BF_ERR_PARSE, "单元格“%s”重复或顺序颠倒", clip(r, strlen(r), shown, sizeof shown));
        return;
    }
    x->ctype = CT_NUMBER;
    if (t) {
        size_t i = 0;
        while (i < sizeof cell_types / sizeof cell_types[0] && strcmp(cell_types[i].name, t) != 0)
            i++;
        if (i == sizeof cell_types / sizeof cell_types[0]) {
            char ref[8];
            col_name(col, ref);
            xfail(x, BF_ERR_PARSE, "%s 列：单元格类型“%s”无效", ref,
                  clip(t, strlen(t), shown, sizeof shown));
            return;
        }
        x->ctype = cell_types[i].type;
    }
    x->cell_style = 0;
    if (s && !parse_uint(s, UINT32_MAX, &x->cell_style)) {
        char ref[8];
        col_name(col, ref);
        xfail(x, BF_ERR_PARSE, "%s 列：样式编号“%s”无效", ref,
              clip(s, strlen(s), shown, sizeof shown));
        return;
    }
    x->cell_col = col;
    x->next_col = col + 1;
    x->in_cell = true;
    bf_buf_reset(&x->val);
}

/* An Excel serial day number with a date format as "YYYY-MM-DD"; the time of
 * day is dropped. false if it is no date Excel could show. */
static bool serial_to_date(const xlsx_reader *x, const char *s, char out[16])
{
    char *end;
    double d = strtod(s, &end);
    double base = x->date1904 ? 1462.0 : 0.0; /* 1904-01-01 is serial 1462 in 1900 terms */
    if (end == s || *end || !isfinite(d) || d < 0.0 || d + base >= 2958466.0)
        return false;
    bf_date date;
    if (!bf_date_from_excel_serial((int64_t)floor(d) + (int64_t)base, &date))
        return false;
    bf_date_format(date, out, 16);
    return true;
}

static void cell_place(xlsx_reader *x, bf_cell_kind kind, const char *text, size_t len)
{
    size_t col = x->cell_col;
    char ref[8];
    col_name(col, ref);
    if (len > BF_SHEET_MAX_CELL) {
        xfail(x, BF_ERR_TOO_LARGE, "%s 列：单元格内容超过 %d 字节", ref, BF_SHEET_MAX_CELL);
        return;
    }
    if (col >= BF_SHEET_MAX_COLS) {
        xfail(x, BF_ERR_TOO_LARGE, "%s 列：超过 %d 列的上限", ref, BF_SHEET_MAX_COLS);
        return;
    }
    size_t off = x->row_text.len;
    bf_status rc = bf_buf_append(&x->row_text, text, len);
    if (!rc)
        rc = bf_buf_append_char(&x->row_text, '\0');
    if (rc) {
        /* Unreachable by size (cells and columns are capped above): memory. */
        xfail(x, rc, rc == BF_ERR_NOMEM ? "内存不足" : "一行的内容过多");
        return;
    }
    while (x->ncells < col) {
        x->cells[x->ncells] = (bf_cell){BF_CELL_EMPTY, "", 0};
        x->cell_off[x->ncells++] = SIZE_MAX;
    }
    x->cells[col] = (bf_cell){kind, "", len};
    x->cell_off[col] = off;
    x->ncells = col + 1;
}

static void cell_finish(xlsx_reader *x)
{
    const char *s = x->val.data ? x->val.data : "";
    size_t len = x->val.len;
    const char *text = s;
    size_t text_len = len;
    bf_cell_kind kind = BF_CELL_TEXT;
    char ref[8], shown[64], date[16];
    x->in_cell = false;
    if (len == 0)
        return; /* no value: the cell stays empty */
    col_name(x->cell_col, ref);
    switch (x->ctype) {
    case CT_NUMBER:
        if (len > XLSX_MAX_NUMBER) {
            xfail(x, BF_ERR_PARSE, "%s 列：数值过长（%zu 个字符）", ref, len);
            return;
        }
        if (!number_valid(s, len)) {
            xfail(x, BF_ERR_PARSE, "%s 列：数值“%s”无效", ref, clip(s, len, shown, sizeof shown));
            return;
        }
        kind = BF_CELL_NUMBER;
        if (x->cell_style < x->nxf && x->xf_date[x->cell_style] && serial_to_date(x, s, date)) {
            kind = BF_CELL_DATE;
            text = date;
            text_len = strlen(date);
        }
        break;
    case CT_SHARED: {
        unsigned long i;
        if (!x->sst_count || !parse_uint(s, x->sst_count - 1, &i)) {
            xfail(x, BF_ERR_PARSE, "%s 列：共享字符串编号“%s”无效", ref,
                  clip(s, len, shown, sizeof shown));
            return;
        }
        size_t end = i + 1 < x->sst_count ? x->sst_off[i + 1] : x->sst.len;
        text = x->sst.data + x->sst_off[i];
        text_len = end - x->sst_off[i] - 1;
        if (text_len == 0)
            return;
        break;
    }
    case CT_STR:
    case CT_INLINE:
        text_len = x->val.len = xstring_decode(x->val.data, len);
        if (text_len == 0)
            return;
        break;
    case CT_BOOL: {
        size_t i = 0;
        while (i < sizeof bool_values / sizeof bool_values[0] && strcmp(bool_values[i].text, s))
            i++;
        if (i == sizeof bool_values / sizeof bool_values[0]) {
            xfail(x, BF_ERR_PARSE, "%s 列：逻辑值“%s”无效", ref, clip(s, len, shown, sizeof shown));
            return;
        }
        kind = BF_CELL_BOOL;
        text = bool_values[i].value;
        text_len = strlen(text);
        break;
    }
    case CT_ERROR:
        kind = BF_CELL_ERROR;
        break;
    case CT_ISODATE: {
        /* ISO 8601 "2024-03-15" or "2024-03-15T00:00:00": the date part. */
        bf_date d;
        if (len < 10 || (len > 10 && s[10] != 'T') || !bf_date_parse(s, 10, &d, NULL) ||
            s[4] != '-') {
            xfail(x, BF_ERR_PARSE, "%s 列：日期“%s”无效", ref, clip(s, len, shown, sizeof shown));
            return;
        }
        bf_date_format(d, date, sizeof date);
        kind = BF_CELL_DATE;
        text = date;
        text_len = strlen(date);
        break;
    }
    }
    cell_place(x, kind, text, text_len);
}

static void row_finish(xlsx_reader *x)
{
    x->in_row = false;
    x->last_row = x->row_number;
    if (x->ncells == 0)
        return; /* a row without values (only formatting) is skipped */
    for (size_t i = 0; i < x->ncells; i++)
        x->cells[i].text = x->cell_off[i] == SIZE_MAX ? "" : x->row_text.data + x->cell_off[i];
    x->row_ready = true;
    XML_StopParser(x->parser, XML_TRUE);
}

static void sheet_start(xlsx_reader *x, xml_el el, const XML_Char **attrs)
{
    if (el == EL_ROW)
        row_begin(x, attrs);
    else if (el == EL_C)
        cell_begin(x, attrs);
}

static void sheet_end(xlsx_reader *x, xml_el el)
{
    if (el == EL_C && x->in_cell)
        cell_finish(x);
    else if (el == EL_ROW && x->in_row)
        row_finish(x);
}

static void sheet_text(xlsx_reader *x, const XML_Char *s, size_t len)
{
    if (!x->in_cell)
        return;
    bf_status rc = bf_buf_append(&x->val, s, len);
    if (rc) {
        char ref[8];
        col_name(x->cell_col, ref);
        if (rc == BF_ERR_NOMEM)
            xfail(x, rc, "内存不足");
        else
            xfail(x, rc, "%s 列：单元格内容超过 %d 字节", ref, BF_SHEET_MAX_CELL);
    }
}

static const part_ops sheet_ops = {EL_WORKSHEET, "工作表", sheet_start, sheet_end, sheet_text};

/* ---- opening ---- */

/* "Sheet1、Sheet2、…" for a message, cut to fit. */
static void sheet_list(const xlsx_reader *x, char *out, size_t out_size)
{
    size_t len = 0;
    out[0] = '\0';
    for (const xlsx_sheetref *s = x->sheets; s; s = s->next) {
        const char *sep = len ? "、" : "";
        size_t need = strlen(sep) + strlen(s->name);
        if (len + need + sizeof "等" > out_size || need > 120) {
            snprintf(out + len, out_size - len, "等");
            return;
        }
        len += (size_t)snprintf(out + len, out_size - len, "%s%s", sep, s->name);
    }
}

static const xlsx_sheetref *choose_sheet(xlsx_reader *x, const char *sheet_name, bf_error *err)
{
    const xlsx_sheetref *found = NULL;
    if (sheet_name) {
        for (const xlsx_sheetref *s = x->sheets; s && !found; s = s->next)
            if (strcmp(s->name, sheet_name) == 0)
                found = s;
        for (const xlsx_sheetref *s = x->sheets; s && !found; s = s->next)
            if (ascii_case_equal(s->name, sheet_name))
                found = s;
        if (!found) {
            char list[320], shown[64];
            sheet_list(x, list, sizeof list);
            bf_error_set(err, BF_ERR_NOT_FOUND, "XLSX 文件中没有名为“%s”的工作表，现有工作表：%s",
                         clip(sheet_name, strlen(sheet_name), shown, sizeof shown), list);
        }
        return found;
    }
    /* The first visible worksheet, else the first worksheet at all. */
    for (int pass = 0; pass < 2 && !found; pass++)
        for (const xlsx_sheetref *s = x->sheets; s && !found; s = s->next) {
            const xlsx_rel *rel = s->rid ? rel_by_id(x, s->rid) : NULL;
            if (rel && rel->type == REL_WORKSHEET && (pass == 1 || !s->hidden))
                found = s;
        }
    if (!found)
        bf_error_set(err, BF_ERR_PARSE, "无法读取 XLSX 文件：工作簿中没有可读取的工作表");
    return found;
}

static bf_status open_parts(xlsx_reader *x, const char *sheet_name, bf_error *err)
{
    bf_status rc = BF_OK;
    size_t part_cap = x->lim.max_part_bytes;
    char shown[128], shown2[128];

    /* Where the workbook is: the package relationships, else the usual place. */
    const char *wb_name = "xl/workbook.xml";
    zip_int64_t idx = locate(x, "_rels/.rels");
    if (idx >= 0) {
        rc = part_parse(x, idx, "_rels/.rels", "", &rels_ops, part_cap, err);
        if (rc)
            goto out;
        const xlsx_rel *doc = rel_by_type(x, REL_OFFICE_DOC);
        if (doc)
            wb_name = doc->target;
    }
    idx = locate(x, wb_name);
    if (idx < 0) {
        rc = bf_error_set(err, BF_ERR_PARSE,
                          "无法读取 XLSX 文件：找不到工作簿（%s），这不是 Excel 工作簿文件",
                          clip(wb_name, strlen(wb_name), shown, sizeof shown));
        goto out;
    }
    const char *wb_dir = part_folder(x->arena, wb_name);
    if (!wb_dir) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    rc = part_parse(x, idx, wb_name, wb_dir, &workbook_ops, part_cap, err);
    if (rc)
        goto out;
    if (!x->nsheets) {
        rc = bf_error_set(err, BF_ERR_PARSE, "无法读取 XLSX 文件：工作簿中没有工作表");
        goto out;
    }

    /* The workbook's relationships: sheets, styles, shared strings. */
    const char *base = wb_name + strlen(wb_dir);
    char *rels_name = bf_arena_printf(x->arena, "%s_rels/%s.rels", wb_dir, base);
    if (!rels_name) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    idx = locate(x, rels_name);
    if (idx < 0) {
        rc = bf_error_set(err, BF_ERR_PARSE, "无法读取 XLSX 文件：找不到工作簿的关系表（%s）",
                          clip(rels_name, strlen(rels_name), shown, sizeof shown));
        goto out;
    }
    rels_reset(x);
    rc = part_parse(x, idx, rels_name, wb_dir, &rels_ops, part_cap, err);
    if (rc)
        goto out;

    /* The sheet first, so a wrong name fails before reading shared strings. */
    const xlsx_sheetref *sheet = choose_sheet(x, sheet_name, err);
    if (!sheet) {
        rc = err ? err->status : BF_ERR_NOT_FOUND;
        goto out;
    }
    const xlsx_rel *sheet_rel = sheet->rid ? rel_by_id(x, sheet->rid) : NULL;
    if (!sheet_rel) {
        rc = bf_error_set(err, BF_ERR_PARSE, "无法读取 XLSX 文件：找不到工作表“%s”的位置",
                          clip(sheet->name, strlen(sheet->name), shown, sizeof shown));
        goto out;
    }
    if (sheet_rel->type != REL_WORKSHEET) {
        rc = bf_error_set(err, BF_ERR_UNSUPPORTED,
                          "工作表“%s”不是普通工作表（可能是图表），没有可读取的数据",
                          clip(sheet->name, strlen(sheet->name), shown, sizeof shown));
        goto out;
    }
    zip_int64_t sheet_idx = locate(x, sheet_rel->target);
    if (sheet_idx < 0) {
        rc =
            bf_error_set(err, BF_ERR_PARSE, "无法读取 XLSX 文件：找不到工作表“%s”的数据（%s）",
                         clip(sheet->name, strlen(sheet->name), shown, sizeof shown),
                         clip(sheet_rel->target, strlen(sheet_rel->target), shown2, sizeof shown2));
        goto out;
    }

    const xlsx_rel *styles = rel_by_type(x, REL_STYLES);
    if (styles && (idx = locate(x, styles->target)) >= 0) {
        rc = part_parse(x, idx, styles->target, "", &styles_ops, part_cap, err);
        if (!rc)
            rc = styles_resolve(x, err);
        if (rc)
            goto out;
    }
    const xlsx_rel *sst = rel_by_type(x, REL_SST);
    if (sst && (idx = locate(x, sst->target)) >= 0) {
        rc = part_parse(x, idx, sst->target, "", &sst_ops, x->lim.max_sst_bytes, err);
        if (rc)
            goto out;
    }

    x->part_dir = "";
    rc = part_open(x, sheet_idx, sheet_rel->target, &sheet_ops, x->lim.max_sheet_bytes, err);
out:
    return rc;
}

static bf_status xlsx_next(void *impl, bf_row *row, bool *has_row, bf_error *err)
{
    xlsx_reader *x = impl;
    *has_row = false;
    if (x->sticky) {
        if (err)
            *err = x->sticky_err;
        return x->sticky;
    }
    bf_error e;
    bf_error_clear(&e);
    x->row_ready = false;
    bf_status rc = part_pump(x, &e);
    if (rc) {
        x->sticky = rc;
        x->sticky_err = e;
        if (err)
            *err = e;
        return rc;
    }
    if (x->row_ready) {
        row->number = x->row_number;
        row->ncells = x->ncells;
        row->cells = x->cells;
        *has_row = true;
    }
    return BF_OK;
}

/* Uncompressed bytes of the worksheet XML read so far, of its declared size. */
static void xlsx_progress(const void *impl, size_t *done, size_t *total)
{
    const xlsx_reader *x = impl;
    *done = x->fed;
    *total = x->declared > x->fed ? x->declared : x->fed;
}

static void xlsx_close(void *impl)
{
    xlsx_reader *x = impl;
    if (!x)
        return;
    part_close(x);
    if (x->zip)
        zip_discard(x->zip);
    bf_arena_free(x->arena);
    free(x->xf_fmt);
    free(x->xf_date);
    free(x->sst_off);
    free(x->cells);
    free(x->cell_off);
    bf_buf_free(&x->sst);
    bf_buf_free(&x->row_text);
    bf_buf_free(&x->val);
    free(x);
}

static const bf_sheet_ops xlsx_ops = {xlsx_next, xlsx_progress, xlsx_close};

void xlsx_default_limits(xlsx_limits *out)
{
    out->max_sheet_bytes = (size_t)1 << 30;
    out->max_sst_bytes = (size_t)256 << 20;
    out->max_sst_store = (size_t)256 << 20;
    out->max_part_bytes = (size_t)16 << 20;
}

static bf_status reader_new(const xlsx_limits *lim, xlsx_reader **out, bf_error *err)
{
    *out = NULL;
    if (!lim->max_sheet_bytes || !lim->max_sst_bytes || !lim->max_sst_store ||
        !lim->max_part_bytes || lim->max_sst_store >= UINT32_MAX)
        return bf_error_set(err, BF_ERR_INTERNAL, "内部错误：XLSX 读取上限设置有误");
    xlsx_reader *x = calloc(1, sizeof *x);
    if (!x)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    x->lim = *lim;
    rels_reset(x);
    x->sheets_tail = &x->sheets;
    bf_buf_init(&x->sst, lim->max_sst_store);
    bf_buf_init(&x->row_text, (size_t)BF_SHEET_MAX_COLS * (BF_SHEET_MAX_CELL + 1));
    bf_buf_init(&x->val, BF_SHEET_MAX_CELL);
    x->arena = bf_arena_new(XLSX_META_CAP);
    x->cells = calloc(BF_SHEET_MAX_COLS, sizeof *x->cells);
    x->cell_off = calloc(BF_SHEET_MAX_COLS, sizeof *x->cell_off);
    if (!x->arena || !x->cells || !x->cell_off) {
        xlsx_close(x);
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    *out = x;
    return BF_OK;
}

static bf_status finish_open(xlsx_reader *x, const char *sheet_name, void **impl,
                             const bf_sheet_ops **ops, bf_error *err)
{
    bf_status rc = open_parts(x, sheet_name, err);
    if (rc) {
        xlsx_close(x);
        return rc;
    }
    *impl = x;
    *ops = &xlsx_ops;
    return BF_OK;
}

bf_status xlsx_open_file(const char *path, const char *sheet_name, void **impl,
                         const bf_sheet_ops **ops, bf_error *err)
{
    *impl = NULL;
    *ops = NULL;
    xlsx_limits lim;
    xlsx_default_limits(&lim);
    xlsx_reader *x;
    bf_status rc = reader_new(&lim, &x, err);
    if (rc)
        return rc;
    int code = 0;
    x->zip = zip_open(path, ZIP_RDONLY, &code);
    if (!x->zip) {
        xlsx_close(x);
        return zip_failure(err, code, NULL);
    }
    return finish_open(x, sheet_name, impl, ops, err);
}

bf_status xlsx_open_mem_limits(const void *data, size_t len, const char *sheet_name,
                               const xlsx_limits *limits, void **impl, const bf_sheet_ops **ops,
                               bf_error *err)
{
    *impl = NULL;
    *ops = NULL;
    xlsx_reader *x;
    bf_status rc = reader_new(limits, &x, err);
    if (rc)
        return rc;
    zip_error_t zerr;
    zip_error_init(&zerr);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &zerr);
    if (src)
        x->zip = zip_open_from_source(src, ZIP_RDONLY, &zerr);
    if (!x->zip) {
        rc = zip_failure(err, zip_error_code_zip(&zerr), NULL);
        zip_error_fini(&zerr);
        if (src)
            zip_source_free(src);
        xlsx_close(x);
        return rc;
    }
    zip_error_fini(&zerr);
    return finish_open(x, sheet_name, impl, ops, err);
}

bf_status xlsx_open_mem(const void *data, size_t len, const char *sheet_name, void **impl,
                        const bf_sheet_ops **ops, bf_error *err)
{
    xlsx_limits lim;
    xlsx_default_limits(&lim);
    return xlsx_open_mem_limits(data, len, sheet_name, &lim, impl, ops, err);
}
