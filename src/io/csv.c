/*
 * csv.c - the streaming CSV reader behind bf_sheet (sheet_impl.h).
 *
 * Reads RFC 4180 CSV as Excel and WPS write it: comma separators, fields
 * optionally quoted with '"', quotes doubled inside quoted fields, CR, LF or
 * CRLF (even mixed) ending records, line breaks allowed inside quoted fields.
 * Like Excel, a quote in the middle of an unquoted field is an ordinary
 * character. Input arrives in 64 KiB chunks and is parsed by a resumable
 * state machine, so memory stays flat whatever the file size: one raw chunk,
 * one converted chunk (GB18030 only) and the current row.
 *
 * Encoding: a UTF-8 byte-order mark is stripped; without one the first chunk
 * is sniffed: valid UTF-8 (a sequence cut by the chunk's end is ignored) is
 * read as UTF-8, anything else as GB18030 converted through bf_text_conv.
 * UTF-8 is checked cell by cell (separators are ASCII and never occur inside
 * a multi-byte sequence, so a bad sequence always lands in a cell).
 *
 * Owns: the reader state, its buffers, the FILE (after a successful open)
 * and the converter. Cells point into the row buffer and stay valid until
 * the next call to next() or close().
 */
#include "core/buf.h"
#include "core/text.h"
#include "io/sheet.h"
#include "io/sheet_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_CHUNK (64 * 1024)
/* Converted text of one chunk: GB18030 never grows more than 3/2 (2 bytes ->
 * 3), plus up to 3 carried bytes; twice the chunk leaves room. */
#define CSV_DECODED_CAP (2 * CSV_CHUNK + 16)
/* The row buffer holds every cell of a row, each followed by a NUL. */
#define CSV_ROW_CAP ((size_t)BF_SHEET_MAX_COLS * (BF_SHEET_MAX_CELL + 1))

#define CSV_MSG_ENCODING "第 %ld 行：文件编码无法识别，请另存为 UTF-8 或 GB18030 编码的 CSV"

typedef enum {
    CSV_ROW_START,       /* nothing of the current record read yet */
    CSV_AFTER_CR,        /* a record just ended with CR: an LF here completes CRLF */
    CSV_FIELD_START,     /* just after a separator */
    CSV_UNQUOTED,        /* inside a field that did not start with a quote */
    CSV_QUOTED,          /* inside a quoted field */
    CSV_QUOTE_IN_QUOTED, /* a quote inside a quoted field: doubled, or the closing one */
    CSV_DONE             /* end of file reached, every row returned */
} csv_state;

typedef enum { CSV_ENC_UTF8, CSV_ENC_GB18030 } csv_encoding;

typedef struct {
    /* Source: a file or a memory range. */
    FILE *fp;
    const unsigned char *mem;
    size_t mem_len;
    size_t total;    /* size for progress (0 if unknown) */
    size_t raw_read; /* raw bytes taken from the source so far */
    unsigned char *raw;
    bool eof; /* the source is exhausted and its last chunk taken */

    /* Text being parsed: the raw chunk (UTF-8) or its conversion (GB18030). */
    csv_encoding enc;
    bf_text_conv *conv;
    bf_buf decoded;
    const unsigned char *chunk;
    size_t chunk_len;
    size_t pos;
    size_t chunk_base; /* source offset of chunk[0] (UTF-8 only) */
    bool conv_failed;  /* conversion stopped: raise once chunk is parsed */

    /* Parser. */
    csv_state state;
    long row_number; /* the record being read, as a spreadsheet numbers it */
    bf_buf text;     /* the current row's cells, each NUL-terminated */
    size_t cell_start;
    size_t ncells;
    size_t starts[BF_SHEET_MAX_COLS];
    bf_cell cells[BF_SHEET_MAX_COLS];
    bool failed; /* an error was returned: every later call returns it again */
    bf_error failure;
} csv_reader;

/* ---- errors ---------------------------------------------------------- */

static bf_status csv_fail(csv_reader *r, bf_error *err, bf_status status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bf_status csv_fail(csv_reader *r, bf_error *err, bf_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->failure.status = status;
    vsnprintf(r->failure.msg, sizeof r->failure.msg, fmt, ap);
    va_end(ap);
    r->failure.field[0] = '\0';
    r->failed = true;
    if (err)
        *err = r->failure;
    return status;
}

static bf_status csv_fail_grow(csv_reader *r, bf_error *err, bf_status rc)
{
    if (rc == BF_ERR_NOMEM)
        return csv_fail(r, err, rc, "内存不足");
    return csv_fail(r, err, rc, "第 %ld 行：这一行超出允许的大小", r->row_number);
}

/* ---- input ------------------------------------------------------------ */

/* Take the next raw chunk from the source: *data, *got (0 at the end). */
static bf_status csv_read_raw(csv_reader *r, const unsigned char **data, size_t *got, bf_error *err)
{
    size_t n;
    if (r->fp) {
        n = fread(r->raw, 1, CSV_CHUNK, r->fp);
        if (n < CSV_CHUNK && ferror(r->fp))
            return csv_fail(r, err, BF_ERR_IO, "读取文件失败（已读 %zu 字节）", r->raw_read);
        *data = r->raw;
    } else {
        n = r->mem_len - r->raw_read;
        if (n > CSV_CHUNK)
            n = CSV_CHUNK;
        /* No arithmetic on a NULL pointer for an empty memory file. */
        *data = n ? r->mem + r->raw_read : r->mem;
    }
    r->raw_read += n;
    *got = n;
    return BF_OK;
}

/* Make data[0..n) the text to parse next, converting it if needed. n == 0
 * marks the end of the source. A conversion error is deferred (conv_failed)
 * until the text converted before it has been parsed, so that the error
 * names the row it occurs in. */
static bf_status csv_take_chunk(csv_reader *r, const unsigned char *data, size_t n, bf_error *err)
{
    r->pos = 0;
    r->chunk_base = r->raw_read - n;
    if (n == 0)
        r->eof = true;
    if (r->enc == CSV_ENC_UTF8) {
        r->chunk = data;
        r->chunk_len = n;
        return BF_OK;
    }
    bf_buf_reset(&r->decoded);
    bf_error cerr;
    bf_status rc =
        bf_text_conv_feed(r->conv, (const char *)data, n, n == 0, &r->decoded, NULL, &cerr);
    if (rc == BF_ERR_PARSE)
        r->conv_failed = true;
    else if (rc)
        return csv_fail_grow(r, err, rc);
    r->chunk = (const unsigned char *)r->decoded.data;
    r->chunk_len = r->decoded.len;
    return BF_OK;
}

/* ---- cells and rows --------------------------------------------------- */

static bf_status csv_append(csv_reader *r, const unsigned char *p, size_t n, bf_error *err)
{
    size_t have = r->text.len - r->cell_start;
    if (n > BF_SHEET_MAX_CELL - have)
        return csv_fail(r, err, BF_ERR_TOO_LARGE, "第 %ld 行第 %zu 列：单元格内容超过 %d 字节%s",
                        r->row_number, r->ncells + 1, BF_SHEET_MAX_CELL,
                        r->state == CSV_QUOTED ? "（可能是引号没有闭合）" : "");
    bf_status rc = bf_buf_append(&r->text, p, n);
    return rc ? csv_fail_grow(r, err, rc) : BF_OK;
}

/* The current cell is complete. Past the column cap, empty cells (trailing
 * separators, as Excel writes for formatted but empty columns) are dropped;
 * a non-empty one is an error. */
static bf_status csv_end_field(csv_reader *r, bf_error *err)
{
    size_t len = r->text.len - r->cell_start;
    const char *cell = r->text.data ? r->text.data + r->cell_start : "";
    if (r->enc == CSV_ENC_UTF8 && !bf_utf8_valid(cell, len, NULL))
        return csv_fail(r, err, BF_ERR_PARSE, CSV_MSG_ENCODING, r->row_number);
    if (r->ncells == BF_SHEET_MAX_COLS) {
        if (len == 0)
            return BF_OK;
        return csv_fail(r, err, BF_ERR_TOO_LARGE, "第 %ld 行：列数超过 %d 列", r->row_number,
                        BF_SHEET_MAX_COLS);
    }
    bf_status rc = bf_buf_append_char(&r->text, '\0');
    if (rc)
        return csv_fail_grow(r, err, rc);
    r->starts[r->ncells] = r->cell_start;
    r->cells[r->ncells].len = len;
    r->ncells++;
    r->cell_start = r->text.len;
    return BF_OK;
}

static void csv_emit(csv_reader *r, bf_row *row)
{
    for (size_t i = 0; i < r->ncells; i++) {
        r->cells[i].text = r->text.data + r->starts[i];
        r->cells[i].kind = r->cells[i].len ? BF_CELL_TEXT : BF_CELL_EMPTY;
    }
    row->number = r->row_number;
    row->ncells = r->ncells;
    row->cells = r->cells;
}

/* ---- the state machine ------------------------------------------------ */

static size_t span_unquoted(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != ',' && p[i] != '\r' && p[i] != '\n' && p[i] != '\0')
        i++;
    return i;
}

static size_t span_quoted(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != '"' && p[i] != '\0')
        i++;
    return i;
}

/*
 * Run the machine over the current chunk until a record ends (*row_done)
 * or the chunk is used up. Each state looks at the next byte; runs of
 * ordinary bytes inside a field are copied at once.
 */
static bf_status csv_step(csv_reader *r, bool *row_done, bf_error *err)
{
    const unsigned char *p = r->chunk;
    size_t n = r->chunk_len;
    bf_status rc = BF_OK;
    *row_done = false;
    while (r->pos < n) {
        unsigned char c = p[r->pos];
        if (c == '\0')
            return csv_fail(r, err, BF_ERR_PARSE,
                            "第 %ld 行第 %zu 列：含有空字符（NUL），不是文本格式的 CSV 文件",
                            r->row_number, r->ncells + 1);
        bool record_end = c == '\r' || c == '\n';
        switch (r->state) {
        case CSV_AFTER_CR:
            r->state = CSV_ROW_START;
            if (c == '\n')
                r->pos++;
            break;
        case CSV_ROW_START:
        case CSV_FIELD_START:
            if (c == '"') {
                r->state = CSV_QUOTED;
                r->pos++;
            } else if (c == ',' || record_end) {
                /* An empty field, unless the line is empty altogether. */
                if (c == ',' || r->state == CSV_FIELD_START)
                    rc = csv_end_field(r, err);
                r->state = CSV_FIELD_START;
                r->pos++;
            } else {
                r->state = CSV_UNQUOTED;
            }
            break;
        case CSV_UNQUOTED: {
            size_t run = span_unquoted(p + r->pos, n - r->pos);
            rc = csv_append(r, p + r->pos, run, err);
            r->pos += run;
            if (rc || r->pos == n || p[r->pos] == '\0')
                break;
            rc = csv_end_field(r, err);
            r->state = CSV_FIELD_START;
            record_end = p[r->pos] != ',';
            c = p[r->pos++];
            break;
        }
        case CSV_QUOTED: {
            size_t run = span_quoted(p + r->pos, n - r->pos);
            rc = csv_append(r, p + r->pos, run, err);
            r->pos += run;
            if (!rc && r->pos < n && p[r->pos] == '"') {
                r->state = CSV_QUOTE_IN_QUOTED;
                r->pos++;
            }
            record_end = false;
            break;
        }
        case CSV_QUOTE_IN_QUOTED:
            if (c == '"') {
                rc = csv_append(r, &c, 1, err);
                r->state = CSV_QUOTED;
            } else if (c == ',' || record_end) {
                rc = csv_end_field(r, err);
                r->state = CSV_FIELD_START;
            } else {
                return csv_fail(r, err, BF_ERR_PARSE,
                                "第 %ld 行第 %zu 列：引号结束后还有其他字符，"
                                "引号内的引号应写成两个引号（\"\"）",
                                r->row_number, r->ncells + 1);
            }
            r->pos++;
            break;
        case CSV_DONE:
            return csv_fail(r, err, BF_ERR_INTERNAL, "CSV 读取状态错误");
        }
        if (rc)
            return rc;
        if (record_end && r->state == CSV_FIELD_START) {
            r->state = c == '\r' ? CSV_AFTER_CR : CSV_ROW_START;
            *row_done = true;
            return BF_OK;
        }
    }
    return BF_OK;
}

/* The source is exhausted: close the record in progress, if any. */
static bf_status csv_finish(csv_reader *r, bool *row_done, bf_error *err)
{
    bf_status rc = BF_OK;
    *row_done = false;
    switch (r->state) {
    case CSV_ROW_START:
    case CSV_AFTER_CR:
        break;
    case CSV_FIELD_START:
    case CSV_UNQUOTED:
    case CSV_QUOTE_IN_QUOTED:
        rc = csv_end_field(r, err);
        *row_done = rc == BF_OK;
        break;
    case CSV_QUOTED:
        return csv_fail(r, err, BF_ERR_PARSE, "第 %ld 行第 %zu 列：引号没有闭合，文件在引号内结束",
                        r->row_number, r->ncells + 1);
    case CSV_DONE:
        return csv_fail(r, err, BF_ERR_INTERNAL, "CSV 读取状态错误");
    }
    if (!rc)
        r->state = CSV_DONE;
    return rc;
}

static bf_status csv_next(void *impl, bf_row *row, bool *has_row, bf_error *err)
{
    csv_reader *r = impl;
    *has_row = false;
    if (r->failed) {
        if (err)
            *err = r->failure;
        return r->failure.status;
    }
    if (r->state == CSV_DONE)
        return BF_OK;
    /* The previous row's cells are released now, not before. */
    bf_buf_reset(&r->text);
    r->cell_start = 0;
    r->ncells = 0;
    bf_status rc = BF_OK;
    bool row_done = false;
    for (;;) {
        if (r->pos < r->chunk_len) {
            rc = csv_step(r, &row_done, err);
        } else if (r->conv_failed) {
            return csv_fail(r, err, BF_ERR_PARSE, CSV_MSG_ENCODING, r->row_number);
        } else if (r->eof) {
            rc = csv_finish(r, &row_done, err);
            if (!rc && !row_done)
                return BF_OK;
        } else {
            const unsigned char *data = NULL;
            size_t got = 0;
            rc = csv_read_raw(r, &data, &got, err);
            if (!rc)
                rc = csv_take_chunk(r, data, got, err);
        }
        if (rc)
            return rc;
        if (row_done) {
            csv_emit(r, row);
            r->row_number++;
            *has_row = true;
            return BF_OK;
        }
    }
}

static void csv_progress(const void *impl, size_t *done, size_t *total)
{
    const csv_reader *r = impl;
    *done = r->enc == CSV_ENC_UTF8 ? r->chunk_base + r->pos : r->raw_read;
    *total = r->total;
}

static void csv_close(void *impl)
{
    csv_reader *r = impl;
    if (!r)
        return;
    if (r->fp)
        fclose(r->fp);
    bf_text_conv_free(r->conv);
    bf_buf_free(&r->decoded);
    bf_buf_free(&r->text);
    free(r->raw);
    free(r);
}

static const bf_sheet_ops csv_ops = {csv_next, csv_progress, csv_close};

/* ---- opening: encoding detection -------------------------------------- */

static const unsigned char bom_utf8[3] = {0xEF, 0xBB, 0xBF};
static const unsigned char bom_utf16le[2] = {0xFF, 0xFE};
static const unsigned char bom_utf16be[2] = {0xFE, 0xFF};

/* Choose the encoding from the first chunk data[0..n); more says whether the
 * source has bytes after it. Returns how many bytes (a BOM) to skip. */
static bf_status csv_detect(csv_reader *r, const unsigned char *data, size_t n, bool more,
                            size_t *skip, bf_error *err)
{
    *skip = 0;
    if (n >= sizeof bom_utf8 && memcmp(data, bom_utf8, sizeof bom_utf8) == 0) {
        r->enc = CSV_ENC_UTF8;
        *skip = sizeof bom_utf8;
        return BF_OK;
    }
    /* Neither FF nor FE followed by FF can start GB18030 text. */
    if (n >= 2 && (memcmp(data, bom_utf16le, 2) == 0 || memcmp(data, bom_utf16be, 2) == 0))
        return csv_fail(r, err, BF_ERR_UNSUPPORTED,
                        "文件是 UTF-16（Unicode 文本）编码，请另存为 UTF-8 或 GB18030 编码的 CSV");
    bool truncated = false;
    size_t good = bf_utf8_valid_prefix((const char *)data, n, &truncated);
    if (good == n || (truncated && more)) {
        r->enc = CSV_ENC_UTF8;
        return BF_OK;
    }
    r->enc = CSV_ENC_GB18030;
    bf_error cerr;
    bf_status rc = bf_text_conv_new(&r->conv, &cerr);
    if (rc)
        return csv_fail(r, err, rc, "%s", cerr.msg);
    return BF_OK;
}

static bf_status csv_open(FILE *fp, const void *data, size_t len, size_t total, void **impl,
                          const bf_sheet_ops **ops, bf_error *err)
{
    *impl = NULL;
    *ops = NULL;
    bf_status rc = BF_OK;
    csv_reader *r = calloc(1, sizeof *r);
    if (!r)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    r->mem = data;
    r->mem_len = len;
    r->total = total;
    r->row_number = 1;
    r->state = CSV_ROW_START;
    bf_buf_init(&r->text, CSV_ROW_CAP);
    bf_buf_init(&r->decoded, CSV_DECODED_CAP);
    if (fp) {
        r->raw = malloc(CSV_CHUNK);
        if (!r->raw) {
            rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
            goto out;
        }
    }
    r->fp = fp;
    const unsigned char *first = NULL;
    size_t got = 0, skip = 0;
    rc = csv_read_raw(r, &first, &got, err);
    if (rc)
        goto out;
    bool more = fp ? got == CSV_CHUNK : len > got;
    rc = csv_detect(r, first, got, more, &skip, err);
    if (rc)
        goto out;
    rc = csv_take_chunk(r, first, got, err);
    if (rc)
        goto out;
    r->pos = skip;
out:
    if (rc) {
        r->fp = NULL; /* on failure the caller keeps (and closes) the file */
        csv_close(r);
        return rc;
    }
    *impl = r;
    *ops = &csv_ops;
    return BF_OK;
}

bf_status csv_open_file(FILE *fp, size_t total_size, void **impl, const bf_sheet_ops **ops,
                        bf_error *err)
{
    return csv_open(fp, NULL, 0, total_size, impl, ops, err);
}

bf_status csv_open_mem(const void *data, size_t len, void **impl, const bf_sheet_ops **ops,
                       bf_error *err)
{
    return csv_open(NULL, data, len, len, impl, ops, err);
}
