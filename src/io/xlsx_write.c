/*
 * xlsx_write.c - streaming XLSX export over libxlsxwriter (constant-memory
 * mode). Owns the libxlsxwriter workbook, the temporary file it is assembled
 * in, and the column widths measured while rows are written.
 */
#include "io/xlsx_write.h"

#include "core/buf.h"
#include "core/date.h"

#include <xlsxwriter.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XW_MIN_WIDTH 8
#define XW_MAX_WIDTH 60

struct xlsx_writer {
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *bold;
    lxw_format *date;
    char *dest; /* NULL: memory only */
    char *tmp;  /* the file libxlsxwriter writes */
    long rows;  /* rows written; the next row's 0-based index */
    unsigned char *widths;
    size_t nwidths;
    bf_buf scratch; /* escaped text */
};

static const struct {
    lxw_error code;
    bf_status status;
    const char *text;
} lxw_reasons[] = {
    {LXW_ERROR_MEMORY_MALLOC_FAILED, BF_ERR_NOMEM, "内存不足"},
    {LXW_ERROR_CREATING_XLSX_FILE, BF_ERR_IO, "无法创建文件"},
    {LXW_ERROR_CREATING_TMPFILE, BF_ERR_IO, "无法创建临时文件"},
    {LXW_ERROR_READING_TMPFILE, BF_ERR_IO, "无法读取临时文件"},
    {LXW_ERROR_ZIP_FILE_OPERATION, BF_ERR_IO, "写入压缩文件失败（磁盘可能已满）"},
    {LXW_ERROR_ZIP_PARAMETER_ERROR, BF_ERR_IO, "写入压缩文件失败"},
    {LXW_ERROR_ZIP_BAD_ZIP_FILE, BF_ERR_IO, "写入压缩文件失败"},
    {LXW_ERROR_ZIP_INTERNAL_ERROR, BF_ERR_IO, "写入压缩文件失败"},
    {LXW_ERROR_ZIP_FILE_ADD, BF_ERR_IO, "写入压缩文件失败"},
    {LXW_ERROR_ZIP_CLOSE, BF_ERR_IO, "写入压缩文件失败"},
    {LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED, BF_ERR_TOO_LARGE,
     "文字超过 Excel 单元格上限（32767 个字符）"},
    {LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE, BF_ERR_TOO_LARGE,
     "超过 Excel 的行列上限（1048576 行、16384 列）"},
    {LXW_ERROR_SHEETNAME_LENGTH_EXCEEDED, BF_ERR_INVALID, "工作表名称不能超过 31 个字符"},
    {LXW_ERROR_INVALID_SHEETNAME_CHARACTER, BF_ERR_INVALID,
     "工作表名称不能含有 [ ] : * ? / \\ 这些字符"},
    {LXW_ERROR_SHEETNAME_START_END_APOSTROPHE, BF_ERR_INVALID, "工作表名称不能以单引号开头或结尾"},
};

/* Fill err from a libxlsxwriter error; `where` ("第 3 行 B 列：") may be "". */
static bf_status lxw_failure(bf_error *err, lxw_error code, const char *where)
{
    for (size_t i = 0; i < sizeof lxw_reasons / sizeof lxw_reasons[0]; i++)
        if (lxw_reasons[i].code == code)
            return bf_error_set(err, lxw_reasons[i].status, "写入 XLSX 文件失败：%s%s", where,
                                lxw_reasons[i].text);
    return bf_error_set(err, BF_ERR_IO, "写入 XLSX 文件失败：%s错误代码 %d（%s）", where, (int)code,
                        lxw_strerror(code));
}

static void where_text(long row, size_t col, char *out, size_t out_size);

static void writer_free(xlsx_writer *w)
{
    if (w->wb)
        lxw_workbook_free(w->wb);
    if (w->tmp)
        unlink(w->tmp);
    free(w->tmp);
    free(w->dest);
    free(w->widths);
    bf_buf_free(&w->scratch);
    free(w);
}

/* Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
static bool utf8_valid(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        size_t n;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i < n)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n;
    }
    return true;
}

static bool is_xescape(const char *s, size_t len)
{
    if (len < 7 || s[0] != '_' || s[1] != 'x' || s[6] != '_')
        return false;
    for (size_t i = 2; i < 6; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F') ||
              (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/*
 * Text as Excel will read it back. Excel decodes "_xHHHH_" in strings
 * (ST_Xstring), so a literal one must have its '_' written as "_x005F_";
 * libxlsxwriter escapes control characters itself but not this. Returns text,
 * or its escaped copy in w->scratch; NULL on out-of-memory.
 */
static const char *xstring_escape(xlsx_writer *w, const char *text, size_t len)
{
    if (!memmem(text, len, "_x", 2))
        return text;
    bf_buf_reset(&w->scratch);
    for (size_t i = 0; i < len; i++) {
        bf_status rc = is_xescape(text + i, len - i) ? bf_buf_append_str(&w->scratch, "_x005F_")
                                                     : bf_buf_append_char(&w->scratch, text[i]);
        if (rc)
            return NULL;
    }
    return w->scratch.data;
}

/* Write a string cell: checked UTF-8, escaped. */
static bf_status write_text(xlsx_writer *w, lxw_row_t row, lxw_col_t col, const char *text,
                            size_t len, lxw_format *format, lxw_error *e, bf_error *err)
{
    if (!utf8_valid(text, len)) {
        char where[64];
        where_text((long)row, col, where, sizeof where);
        return bf_error_set(err, BF_ERR_INVALID, "写入 XLSX 文件失败：%s文字不是有效的 UTF-8 编码",
                            where);
    }
    const char *escaped = xstring_escape(w, text, len);
    if (!escaped)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    *e = worksheet_write_string(w->ws, row, col, escaped, format);
    return BF_OK;
}

/* Display width of UTF-8 text: wide (CJK) characters count two. */
static size_t display_width(const char *s, size_t len)
{
    size_t width = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        /* U+2E80 and up (CJK, fullwidth forms) are 3- or 4-byte sequences
         * starting at E2 BA 80. */
        width +=
            (n >= 3 && (c > 0xE2 || (c == 0xE2 && i + 1 < len && (unsigned char)s[i + 1] >= 0xBA)))
                ? 2
                : 1;
        i += n;
    }
    return width;
}

static bf_status note_width(xlsx_writer *w, size_t col, size_t width, bf_error *err)
{
    if (col >= w->nwidths) {
        size_t n = col + 16;
        unsigned char *p = realloc(w->widths, n);
        if (!p)
            return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        memset(p + w->nwidths, 0, n - w->nwidths);
        w->widths = p;
        w->nwidths = n;
    }
    if (width > 255)
        width = 255;
    if (width > w->widths[col])
        w->widths[col] = (unsigned char)width;
    return BF_OK;
}

static char *temp_name(const char *dest)
{
    char *name;
    if (dest) {
        size_t n = strlen(dest) + sizeof ".XXXXXX";
        name = malloc(n);
        if (name)
            snprintf(name, n, "%s.XXXXXX", dest);
    } else {
        const char *dir = getenv("TMPDIR");
        if (!dir || !dir[0])
            dir = "/tmp";
        size_t n = strlen(dir) + sizeof "/bangfu-export-XXXXXX";
        name = malloc(n);
        if (name)
            snprintf(name, n, "%s/bangfu-export-XXXXXX", dir);
    }
    return name;
}

bf_status xlsx_writer_open(const char *path, const char *sheet_name, xlsx_writer **out,
                           bf_error *err)
{
    bf_status rc = BF_OK;
    *out = NULL;
    if (!sheet_name || !sheet_name[0])
        return bf_error_set(err, BF_ERR_INVALID, "工作表名称不能为空");
    xlsx_writer *w = calloc(1, sizeof *w);
    if (!w)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    bf_buf_init(&w->scratch, (size_t)1 << 20);
    if ((path && !(w->dest = strdup(path))) || !(w->tmp = temp_name(path))) {
        free(w->tmp);
        w->tmp = NULL;
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    /* mkstemp reserves a unique name with mode 0600; libxlsxwriter rewrites it. */
    int fd = mkstemp(w->tmp);
    if (fd < 0) {
        free(w->tmp);
        w->tmp = NULL;
        rc = bf_error_set(err, BF_ERR_IO, "无法创建文件 %s（%s）", path ? path : "（临时文件）",
                          strerror(errno));
        goto out;
    }
    close(fd);
    lxw_workbook_options options = {.constant_memory = LXW_TRUE, .tmpdir = NULL};
    w->wb = workbook_new_opt(w->tmp, &options);
    if (!w->wb) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    lxw_error e = workbook_validate_sheet_name(w->wb, sheet_name);
    if (e) {
        rc = lxw_failure(err, e, "");
        goto out;
    }
    w->ws = workbook_add_worksheet(w->wb, sheet_name);
    w->bold = workbook_add_format(w->wb);
    w->date = workbook_add_format(w->wb);
    if (!w->ws || !w->bold || !w->date) {
        /* In constant-memory mode a worksheet needs a temporary file. */
        rc = bf_error_set(err, BF_ERR_IO, "写入 XLSX 文件失败：无法创建临时文件");
        goto out;
    }
    format_set_bold(w->bold);
    format_set_num_format(w->date, "yyyy-mm-dd");
out:
    if (rc) {
        writer_free(w);
        return rc;
    }
    *out = w;
    return BF_OK;
}

static void where_text(long row, size_t col, char *out, size_t out_size)
{
    char letters[8], tmp[8];
    size_t n = 0;
    size_t c = col + 1;
    while (c && n < 7) {
        c--;
        tmp[n++] = (char)('A' + c % 26);
        c /= 26;
    }
    for (size_t i = 0; i < n; i++)
        letters[i] = tmp[n - 1 - i];
    letters[n] = '\0';
    snprintf(out, out_size, "第 %ld 行 %s 列：", row + 1, letters);
}

bf_status xlsx_writer_header(xlsx_writer *w, const char *const *titles, size_t ntitles,
                             bf_error *err)
{
    if (w->rows != 0)
        return bf_error_set(err, BF_ERR_INTERNAL, "内部错误：表头必须是第一行");
    for (size_t c = 0; c < ntitles; c++) {
        const char *title = titles[c] ? titles[c] : "";
        if (c >= LXW_COL_MAX)
            return lxw_failure(err, LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE, "");
        if (!title[0])
            continue;
        lxw_error e = LXW_NO_ERROR;
        bf_status rc = write_text(w, 0, (lxw_col_t)c, title, strlen(title), w->bold, &e, err);
        if (rc)
            return rc;
        if (e) {
            char where[64];
            where_text(0, c, where, sizeof where);
            return lxw_failure(err, e, where);
        }
        rc = note_width(w, c, display_width(title, strlen(title)), err);
        if (rc)
            return rc;
    }
    worksheet_freeze_panes(w->ws, 1, 0);
    w->rows = 1;
    return BF_OK;
}

static bf_status write_cell(xlsx_writer *w, lxw_row_t row, lxw_col_t col, const bf_cell *cell,
                            bf_error *err)
{
    char where[64];
    const char *text = cell->text ? cell->text : "";
    size_t len = cell->text ? cell->len : 0;
    size_t width = display_width(text, len);
    lxw_error e = LXW_NO_ERROR;
    switch (cell->kind) {
    case BF_CELL_EMPTY:
        return BF_OK;
    case BF_CELL_TEXT:
    case BF_CELL_ERROR: {
        bf_status rc = write_text(w, row, col, text, len, NULL, &e, err);
        if (rc)
            return rc;
        break;
    }
    case BF_CELL_NUMBER: {
        char *end = NULL;
        double v = len ? strtod(text, &end) : NAN;
        if (!len || end != text + len || !isfinite(v)) {
            where_text((long)row, col, where, sizeof where);
            return bf_error_set(err, BF_ERR_INVALID, "写入 XLSX 文件失败：%s“%.40s”不是数值", where,
                                text);
        }
        e = worksheet_write_number(w->ws, row, col, v, NULL);
        break;
    }
    case BF_CELL_DATE: {
        bf_date d;
        if (!bf_date_parse(text, len, &d, NULL)) {
            where_text((long)row, col, where, sizeof where);
            return bf_error_set(err, BF_ERR_INVALID, "写入 XLSX 文件失败：%s“%.40s”不是日期", where,
                                text);
        }
        lxw_datetime dt = {.year = d.year, .month = d.month, .day = d.day};
        e = worksheet_write_datetime(w->ws, row, col, &dt, w->date);
        width = 10;
        break;
    }
    case BF_CELL_BOOL:
        e = worksheet_write_boolean(w->ws, row, col,
                                    strcmp(text, "TRUE") == 0 || strcmp(text, "1") == 0, NULL);
        width = 5;
        break;
    }
    if (e) {
        where_text((long)row, col, where, sizeof where);
        return lxw_failure(err, e, where);
    }
    return note_width(w, col, width, err);
}

bf_status xlsx_writer_row(xlsx_writer *w, const bf_cell *cells, size_t ncells, bf_error *err)
{
    if (w->rows >= LXW_ROW_MAX || ncells > LXW_COL_MAX) {
        char where[64];
        snprintf(where, sizeof where, "第 %ld 行：", w->rows + 1);
        return lxw_failure(err, LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE, where);
    }
    for (size_t c = 0; c < ncells; c++) {
        bf_status rc = write_cell(w, (lxw_row_t)w->rows, (lxw_col_t)c, &cells[c], err);
        if (rc)
            return rc;
    }
    w->rows++;
    return BF_OK;
}

long xlsx_writer_rows(const xlsx_writer *w)
{
    return w->rows;
}

/* Set the widths and write the workbook to w->tmp; the workbook is gone after. */
static bf_status finish(xlsx_writer *w, bf_error *err)
{
    for (size_t c = 0; c < w->nwidths; c++) {
        if (!w->widths[c])
            continue;
        double width = w->widths[c] + 2;
        width = width < XW_MIN_WIDTH ? XW_MIN_WIDTH : width > XW_MAX_WIDTH ? XW_MAX_WIDTH : width;
        worksheet_set_column(w->ws, (lxw_col_t)c, (lxw_col_t)c, width, NULL);
    }
    lxw_error e = workbook_close(w->wb);
    w->wb = NULL;
    if (e)
        return lxw_failure(err, e, "");
    return BF_OK;
}

bf_status xlsx_writer_close(xlsx_writer *w, bf_error *err)
{
    bf_status rc = BF_OK;
    if (!w->dest) {
        rc = bf_error_set(err, BF_ERR_USAGE, "内部错误：没有指定导出文件的位置");
        goto out;
    }
    rc = finish(w, err);
    if (rc)
        goto out;
    if (rename(w->tmp, w->dest) != 0) {
        rc = bf_error_set(err, BF_ERR_IO, "无法保存文件 %s（%s）", w->dest, strerror(errno));
        goto out;
    }
    free(w->tmp);
    w->tmp = NULL; /* renamed: nothing to remove */
out:
    writer_free(w);
    return rc;
}

bf_status xlsx_writer_close_mem(xlsx_writer *w, char **data, size_t *len, bf_error *err)
{
    bf_status rc = BF_OK;
    char *buf = NULL;
    FILE *fp = NULL;
    *data = NULL;
    *len = 0;
    rc = finish(w, err);
    if (rc)
        goto out;
    struct stat st;
    fp = fopen(w->tmp, "rb");
    if (!fp || fstat(fileno(fp), &st) != 0 || st.st_size < 0) {
        rc = bf_error_set(err, BF_ERR_IO, "写入 XLSX 文件失败：无法读取临时文件");
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    if (fread(buf, 1, (size_t)st.st_size, fp) != (size_t)st.st_size) {
        rc = bf_error_set(err, BF_ERR_IO, "写入 XLSX 文件失败：无法读取临时文件");
        goto out;
    }
    *data = buf;
    *len = (size_t)st.st_size;
    buf = NULL;
out:
    if (fp)
        fclose(fp);
    free(buf);
    writer_free(w);
    return rc;
}

void xlsx_writer_abort(xlsx_writer *w)
{
    if (w)
        writer_free(w);
}
