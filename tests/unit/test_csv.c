/*
 * test_csv.c - the streaming CSV reader (io/csv.c) through the bf_sheet
 * interface, from memory and from files.
 *
 * Most cases are a table of (input bytes, expected rows or expected error).
 * Rows are rendered as "N:<cell><cell>\n" (N the row number), so an expected
 * result reads like the file it comes from. Every case is run twice: from
 * memory (bf_sheet_open_mem) and from a file on disk (bf_sheet_open).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"
#include "core/buf.h"
#include "io/sheet.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (64 * 1024)
#define B(s)  s, sizeof s - 1

/* ---- helpers ---------------------------------------------------------- */

/* Read every row of sheet into out (rendered); returns the first error. The
 * reader's contract is checked on every cell on the way. */
static bf_status render_all(bf_sheet *sheet, bf_buf *out, bf_error *err, long *nrows)
{
    bf_row row;
    bool has_row = false;
    long last = 0;
    *nrows = 0;
    for (;;) {
        bf_status rc = bf_sheet_next(sheet, &row, &has_row, err);
        if (rc)
            return rc;
        if (!has_row)
            return BF_OK;
        assert_true(row.number > last);
        last = row.number;
        (*nrows)++;
        assert_int_equal(bf_buf_printf(out, "%ld:", row.number), BF_OK);
        for (size_t i = 0; i < row.ncells; i++) {
            const bf_cell *c = &row.cells[i];
            assert_non_null(c->text);
            assert_int_equal(strlen(c->text), c->len); /* NUL-terminated, no NUL inside */
            assert_int_equal(c->kind, c->len ? BF_CELL_TEXT : BF_CELL_EMPTY);
            assert_int_equal(bf_buf_append_char(out, '<'), BF_OK);
            assert_int_equal(bf_buf_append(out, c->text, c->len), BF_OK);
            assert_int_equal(bf_buf_append_char(out, '>'), BF_OK);
        }
        assert_int_equal(bf_buf_append_char(out, '\n'), BF_OK);
    }
}

typedef enum { FROM_MEM, FROM_FILE } source;

static char *tmp_dir(void)
{
    static char *dir;
    if (!dir)
        dir = bf_test_tmpdir();
    return dir;
}

/* Open data[0..len) from memory or through a file written to disk. */
static bf_status open_input(source src, const char *data, size_t len, bf_sheet **sheet,
                            bf_error *err)
{
    if (src == FROM_MEM)
        return bf_sheet_open_mem(data, len, NULL, sheet, err);
    char path[4096];
    snprintf(path, sizeof path, "%s/input.csv", tmp_dir());
    bf_test_write_file(path, data, len);
    return bf_sheet_open(path, NULL, sheet, err);
}

/* Read data fully; *rendered gets the rows (malloc'd); returns the status of
 * the open or of the first failing next(). */
static bf_status read_input(source src, const char *data, size_t len, char **rendered,
                            bf_error *err, long *nrows)
{
    bf_sheet *sheet = NULL;
    bf_buf out;
    bf_buf_init(&out, 1u << 30);
    assert_int_equal(bf_buf_append(&out, "", 0), BF_OK);
    *nrows = 0;
    bf_error_clear(err);
    bf_status rc = open_input(src, data, len, &sheet, err);
    if (rc == BF_OK) {
        assert_int_equal(bf_sheet_get_format(sheet), BF_SHEET_CSV);
        rc = render_all(sheet, &out, err, nrows);
        if (rc) {
            /* After an error the reader keeps returning it. */
            bf_row row;
            bool has_row = true;
            bf_error again;
            assert_int_equal(bf_sheet_next(sheet, &row, &has_row, &again), rc);
            assert_false(has_row);
            assert_string_equal(again.msg, err->msg);
        }
        bf_sheet_close(sheet);
    } else {
        assert_null(sheet);
    }
    *rendered = bf_buf_detach(&out);
    return rc;
}

/* ---- the table -------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *input;
    size_t len;
    bf_status status;
    const char *expect; /* rendered rows if status is BF_OK, else a message fragment */
} csv_case;

static const csv_case csv_cases[] = {
    /* Line ends. */
    {"LF", B("a,b\nc,d\n"), BF_OK, "1:<a><b>\n2:<c><d>\n"},
    {"CRLF", B("a,b\r\nc,d\r\n"), BF_OK, "1:<a><b>\n2:<c><d>\n"},
    {"lone CR (old Mac)", B("a,b\rc,d\r"), BF_OK, "1:<a><b>\n2:<c><d>\n"},
    {"no final line end", B("a,b\nc,d"), BF_OK, "1:<a><b>\n2:<c><d>\n"},
    {"mixed line ends", B("a\r\nb\nc\rd"), BF_OK, "1:<a>\n2:<b>\n3:<c>\n4:<d>\n"},
    {"LF CR is two line ends", B("a\n\rb"), BF_OK, "1:<a>\n2:\n3:<b>\n"},
    {"empty input", B(""), BF_OK, ""},
    {"single LF", B("\n"), BF_OK, "1:\n"},
    {"single CRLF", B("\r\n"), BF_OK, "1:\n"},
    /* Empty lines and fields. */
    {"empty line in the middle", B("a\n\nb\n"), BF_OK, "1:<a>\n2:\n3:<b>\n"},
    {"trailing empty line", B("a,b\n\n"), BF_OK, "1:<a><b>\n2:\n"},
    {"trailing empty lines CRLF", B("a\r\n\r\n\r\n"), BF_OK, "1:<a>\n2:\n3:\n"},
    {"empty fields", B(",a,,b,\n"), BF_OK, "1:<><a><><b><>\n"},
    {"only separators", B(",,\n"), BF_OK, "1:<><><>\n"},
    {"separator at end of file", B("a,"), BF_OK, "1:<a><>\n"},
    {"quoted empty fields", B("\"\",\"\"\n"), BF_OK, "1:<><>\n"},
    {"quoted empty field alone", B("\"\"\n"), BF_OK, "1:<>\n"},
    /* Quoting. */
    {"quoted separator", B("\"a,b\",c\n"), BF_OK, "1:<a,b><c>\n"},
    {"doubled quotes", B("\"say \"\"hi\"\"\",x\n"), BF_OK, "1:<say \"hi\"><x>\n"},
    {"only a doubled quote", B("\"\"\"\"\n"), BF_OK, "1:<\">\n"},
    {"quoted CRLF keeps the row count", B("h1,h2\n\"line1\r\nline2\",x\nlast,y\n"), BF_OK,
     "1:<h1><h2>\n2:<line1\r\nline2><x>\n3:<last><y>\n"},
    {"quoted LF and CR", B("\"a\nb\rc\"\n2\n"), BF_OK, "1:<a\nb\rc>\n2:<2>\n"},
    {"quote closed at end of file", B("\"abc\""), BF_OK, "1:<abc>\n"},
    {"quote closed then CR", B("\"abc\"\rx"), BF_OK, "1:<abc>\n2:<x>\n"},
    {"lone quote inside unquoted field kept", B("ab\"c,d\"\n"), BF_OK, "1:<ab\"c><d\">\n"},
    {"space before quote makes it literal", B("a, \"b\"\n"), BF_OK, "1:<a>< \"b\">\n"},
    {"cells are not trimmed", B(" a ,\tb\t\n"), BF_OK, "1:< a ><\tb\t>\n"},
    /* Encodings. */
    {"UTF-8 Chinese", B("项目名称,金额\n光伏电站,100\n"), BF_OK,
     "1:<项目名称><金额>\n2:<光伏电站><100>\n"},
    {"UTF-8 with BOM", B("\xEF\xBB\xBF项目,x\n"), BF_OK, "1:<项目><x>\n"},
    {"BOM only", B("\xEF\xBB\xBF"), BF_OK, ""},
    {"BOM stripped only at start",
     B("\xEF\xBB\xBF"
       "a,\xEF\xBB\xBF"
       "b\n"),
     BF_OK,
     "1:<a><\xEF\xBB\xBF"
     "b>\n"},
    {"UTF-8 4-byte character", B("\xF0\xA0\x80\x80,㐀\n"), BF_OK, "1:<𠀀><㐀>\n"},
    {"GB18030 two-byte", B("\xCF\xEE\xC4\xBF,\xBD\xF0\xB6\xEE\n"), BF_OK, "1:<项目><金额>\n"},
    {"GB18030 four-byte outside GBK", B("\x95\x32\x82\x36,\x81\x39\xEE\x39\r\n"), BF_OK,
     "1:<𠀀><㐀>\n"},
    {"GB18030 quoted with CRLF inside", B("\"\xCF\xEE\r\n\xC4\xBF\",x\r\ny\r\n"), BF_OK,
     "1:<项\r\n目><x>\n2:<y>\n"},
    /* Malformed. */
    {"quote not closed", B("a,\"bc\nd\n"), BF_ERR_PARSE, "第 1 行第 2 列：引号没有闭合"},
    {"quote not closed on row 3", B("h\nx\n\"abc"), BF_ERR_PARSE, "第 3 行第 1 列：引号没有闭合"},
    {"quote not closed after doubled quote", B("\"a\"\""), BF_ERR_PARSE, "第 1 行第 1 列"},
    {"text after closing quote", B("\"ab\"c,d\n"), BF_ERR_PARSE,
     "第 1 行第 1 列：引号结束后还有其他字符"},
    {"space after closing quote row 2", B("a,b\nc,\"d\" \n"), BF_ERR_PARSE,
     "第 2 行第 2 列：引号结束后还有其他字符"},
    {"NUL in unquoted field", B("a,b\0c\n"), BF_ERR_PARSE, "第 1 行第 2 列：含有空字符"},
    {"NUL in quoted field on row 2", B("x\n\"a\0\"\n"), BF_ERR_PARSE, "第 2 行第 1 列：含有空字符"},
    {"NUL at row start", B("a\n\0"), BF_ERR_PARSE, "第 2 行"},
    {"neither UTF-8 nor GB18030", B("a,\x80\n"), BF_ERR_PARSE,
     "第 1 行：文件编码无法识别，请另存为 UTF-8 或 GB18030 编码的 CSV"},
    {"GB18030 invalid on row 2", B("\xCF\xEE\n\xFF\n"), BF_ERR_PARSE, "第 2 行：文件编码无法识别"},
    {"GB18030 cut at end of file", B("\xCF\xEE\n\xCF"), BF_ERR_PARSE, "第 2 行：文件编码无法识别"},
    {"UTF-8 with BOM then invalid byte", B("\xEF\xBB\xBFok\n\xC0\xAF\n"), BF_ERR_PARSE,
     "第 2 行：文件编码无法识别"},
    {"UTF-16 LE",
     B("\xFF\xFE"
       "a\0,\0b\0"),
     BF_ERR_UNSUPPORTED, "UTF-16"},
    {"UTF-16 BE", B("\xFE\xFF\0a"), BF_ERR_UNSUPPORTED, "UTF-16"},
};

static void test_csv_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof csv_cases / sizeof csv_cases[0]; i++) {
        const csv_case *c = &csv_cases[i];
        for (source src = FROM_MEM; src <= FROM_FILE; src++) {
            char *got = NULL;
            bf_error err;
            long nrows = 0;
            bf_status rc = read_input(src, c->input, c->len, &got, &err, &nrows);
            const char *from = src == FROM_MEM ? "memory" : "file";
            if (rc != c->status)
                fail_msg("case '%s' (%s): status %s, expected %s (%s)", c->name, from,
                         bf_status_name(rc), bf_status_name(c->status), err.msg);
            if (rc == BF_OK && strcmp(got, c->expect) != 0)
                fail_msg("case '%s' (%s): got\n%s\nexpected\n%s", c->name, from, got, c->expect);
            if (rc != BF_OK && !strstr(err.msg, c->expect))
                fail_msg("case '%s' (%s): message '%s' lacks '%s'", c->name, from, err.msg,
                         c->expect);
            free(got);
        }
    }
}

/* ---- fixtures and the file entry point -------------------------------- */

static const char fixture_rows[] =
    "1:<项目名称><所在村><投资额（万元）><备注>\n"
    "2:<光伏帮扶电站><石城县琴江镇大畲村><120.5><装机 100kW，年发电约 11 万度>\n"
    "3:<油茶基地><兴国县长冈乡><80><种植 300 亩；\"高产林\"示范>\n"
    "4:<庭院经济\r\n（第二批）><瑞金市叶坪乡><15><生僻字：𠀀㐀䶵 欧元符号 €>\n"
    "5:<　全角空格　>< 不间断\xC2\xA0空格 ><><>\n";

static void test_fixtures_through_bf_sheet_open(void **state)
{
    (void)state;
    static const char *const fixtures[] = {
        "tests/fixtures/csv/households_utf8.csv",
        "tests/fixtures/csv/households_utf8_bom.csv",
        "tests/fixtures/csv/households_gb18030.csv",
    };
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        char path[4096];
        bf_test_source_path(fixtures[i], path, sizeof path);
        bf_sheet *sheet = NULL;
        bf_error err;
        assert_int_equal(bf_sheet_open(path, NULL, &sheet, &err), BF_OK);
        bf_buf out;
        bf_buf_init(&out, 1 << 20);
        long nrows = 0;
        assert_int_equal(render_all(sheet, &out, &err, &nrows), BF_OK);
        if (strcmp(out.data, fixture_rows) != 0)
            fail_msg("%s read as\n%s", fixtures[i], out.data);
        size_t done = 0, total = 0, len = 0;
        bf_sheet_progress(sheet, &done, &total);
        free(bf_test_read_file(path, &len));
        assert_int_equal(total, len);
        assert_int_equal(done, len);
        bf_buf_free(&out);
        bf_sheet_close(sheet);
    }
}

static void test_open_errors(void **state)
{
    (void)state;
    bf_sheet *sheet = (bf_sheet *)&sheet;
    bf_error err;
    char path[4096];
    snprintf(path, sizeof path, "%s/does-not-exist.csv", tmp_dir());
    assert_int_equal(bf_sheet_open(path, NULL, &sheet, &err), BF_ERR_IO);
    assert_null(sheet);
    bf_test_source_path("tests/fixtures/csv/households_utf8.csv", path, sizeof path);
    assert_int_equal(bf_sheet_open(path, "Sheet1", &sheet, &err), BF_ERR_USAGE);
    assert_null(sheet);
    /* An error at open (UTF-16) leaves nothing open and nothing leaked. */
    snprintf(path, sizeof path, "%s/utf16.csv", tmp_dir());
    bf_test_write_file(path,
                       "\xFF\xFE"
                       "a\0",
                       4);
    assert_int_equal(bf_sheet_open(path, NULL, &sheet, &err), BF_ERR_UNSUPPORTED);
    assert_null(sheet);
    bf_sheet_close(NULL);
}

/* ---- chunk boundaries -------------------------------------------------- */

/*
 * Put a filler row of fill bytes (two cells) first, so that what follows
 * starts near the 64 KiB read boundary, and check every position of the
 * boundary within the next rows. lead is prepended to the filler's first
 * cell (to make the sniffer see GB18030, for instance).
 */
static void check_boundary(const char *lead, const char *rest, size_t rest_len,
                           const char *expect_rest, const char *expect_lead)
{
    size_t lead_len = strlen(lead);
    size_t from = CHUNK - rest_len - 4, to = CHUNK + 2;
    for (size_t fill = from; fill <= to; fill++) {
        /* Row 1: lead + 'x' * (half - lead) + ',' + 'y' * rest, ending "\r\n". */
        size_t half = fill / 2;
        size_t len = fill + 2 + rest_len;
        char *in = malloc(len);
        assert_non_null(in);
        memcpy(in, lead, lead_len);
        memset(in + lead_len, 'x', half - lead_len);
        in[half] = ',';
        memset(in + half + 1, 'y', fill - half - 1);
        memcpy(in + fill, "\r\n", 2);
        memcpy(in + fill + 2, rest, rest_len);

        bf_buf expect;
        bf_buf_init(&expect, 1 << 20);
        assert_int_equal(bf_buf_printf(&expect, "1:<%s%.*s><%.*s>\n%s", expect_lead,
                                       (int)(half - lead_len), in + lead_len,
                                       (int)(fill - half - 1), in + half + 1, expect_rest),
                         BF_OK);
        for (source src = FROM_MEM; src <= FROM_FILE; src++) {
            char *got = NULL;
            bf_error err;
            long nrows = 0;
            bf_status rc = read_input(src, in, len, &got, &err, &nrows);
            if (rc != BF_OK)
                fail_msg("fill %zu: %s", fill, err.msg);
            if (strcmp(got, expect.data) != 0)
                fail_msg("fill %zu (%s): wrong rows after the boundary:\n%s", fill,
                         src == FROM_MEM ? "memory" : "file", got + (fill > 200 ? fill - 200 : 0));
            free(got);
        }
        bf_buf_free(&expect);
        free(in);
    }
}

static void test_boundary_quotes_and_line_ends(void **state)
{
    (void)state;
    /* Doubled quote, closing quote, quoted CRLF, CRLF and CR across the boundary. */
    check_boundary("", B("\"q\"\"q\",\"a\r\nb\"\r\n\rlast\r\n"), "2:<q\"q><a\r\nb>\n3:\n4:<last>\n",
                   "");
}

static void test_boundary_multibyte_utf8(void **state)
{
    (void)state;
    /* The first chunk is ASCII except a character cut by its end: the
     * sniffer must still choose UTF-8. */
    check_boundary("", B("中文,\xF0\xA0\x80\x80㐀\r\n"), "2:<中文><𠀀㐀>\n", "");
}

static void test_boundary_multibyte_gb18030(void **state)
{
    (void)state;
    /* 项 (CF EE) opens the file, so it is GB18030; then 2- and 4-byte
     * characters and a quoted line end across the boundary. */
    check_boundary("\xCF\xEE", B("\xC4\xBF,\x95\x32\x82\x36\"\xCF\xEE\"\r\n\"\r\n\xBD\xF0\"\r\n"),
                   "2:<目><𠀀\"项\">\n3:<\r\n金>\n", "项");
}

/* A big file that is valid UTF-8 for more than the sniffed 64 KiB, then not. */
static void test_late_encoding_errors(void **state)
{
    (void)state;
    static const struct {
        const char *first; /* row 1 */
        const char *bad;   /* the last row */
    } cases[] = {
        {"村名,户数\n", "\xFF\xFE,1\n"},      /* UTF-8 file, invalid byte */
        {"村名,户数\n", "\xCF\xEE,1\n"},      /* UTF-8 file, a GB18030 row */
        {"\xB4\xE5\xC3\xFB,1\n", "\x80,1\n"}, /* GB18030 file, invalid byte */
        {"\xB4\xE5\xC3\xFB,1\n", "a,\xCF\n"}, /* GB18030 file, cut character */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bf_buf in;
        bf_buf_init(&in, 1 << 24);
        assert_int_equal(bf_buf_append_str(&in, cases[i].first), BF_OK);
        long rows = 1;
        while (in.len < 3 * CHUNK) {
            assert_int_equal(bf_buf_printf(&in, "row,%06ld\r\n", rows), BF_OK);
            rows++;
        }
        assert_int_equal(bf_buf_append_str(&in, cases[i].bad), BF_OK);
        rows++;
        char want[256];
        snprintf(want, sizeof want,
                 "第 %ld 行：文件编码无法识别，请另存为 UTF-8 或 GB18030 编码的 CSV", rows);
        for (source src = FROM_MEM; src <= FROM_FILE; src++) {
            char *got = NULL;
            bf_error err;
            long nrows = 0;
            assert_int_equal(read_input(src, in.data, in.len, &got, &err, &nrows), BF_ERR_PARSE);
            if (strcmp(err.msg, want) != 0)
                fail_msg("case %zu: '%s', expected '%s'", i, err.msg, want);
            assert_int_equal(nrows, rows - 1);
            free(got);
        }
        bf_buf_free(&in);
    }
}

/* ---- caps -------------------------------------------------------------- */

static void test_cell_cap(void **state)
{
    (void)state;
    for (int quoted = 0; quoted <= 1; quoted++) {
        for (size_t size = BF_SHEET_MAX_CELL; size <= BF_SHEET_MAX_CELL + 1; size++) {
            bf_buf in;
            bf_buf_init(&in, 1 << 20);
            assert_int_equal(bf_buf_append_str(&in, "h1,h2\nok,"), BF_OK);
            if (quoted)
                assert_int_equal(bf_buf_append_char(&in, '"'), BF_OK);
            for (size_t i = 0; i < size; i++)
                assert_int_equal(bf_buf_append_char(&in, (char)('a' + i % 26)), BF_OK);
            assert_int_equal(bf_buf_append_str(&in, quoted ? "\"\nend\n" : "\nend\n"), BF_OK);
            char *got = NULL;
            bf_error err;
            long nrows = 0;
            bf_status rc = read_input(FROM_MEM, in.data, in.len, &got, &err, &nrows);
            if (size == BF_SHEET_MAX_CELL) {
                assert_int_equal(rc, BF_OK);
                assert_int_equal(nrows, 3);
            } else {
                assert_int_equal(rc, BF_ERR_TOO_LARGE);
                assert_non_null(strstr(err.msg, "第 2 行第 2 列：单元格内容超过 65536 字节"));
            }
            free(got);
            bf_buf_free(&in);
        }
    }
}

static void test_unclosed_quote_hits_cell_cap(void **state)
{
    (void)state;
    size_t len = 3 * CHUNK;
    char *in = malloc(len);
    assert_non_null(in);
    memcpy(in, "a\nb,\"", 5);
    for (size_t i = 5; i < len; i++)
        in[i] = (i % 40 == 0) ? '\n' : 'z';
    char *got = NULL;
    bf_error err;
    long nrows = 0;
    assert_int_equal(read_input(FROM_MEM, in, len, &got, &err, &nrows), BF_ERR_TOO_LARGE);
    assert_non_null(strstr(err.msg, "第 2 行第 2 列"));
    assert_non_null(strstr(err.msg, "引号没有闭合"));
    free(got);
    free(in);
}

static void test_column_cap(void **state)
{
    (void)state;
    static const struct {
        size_t cells;    /* non-empty cells */
        size_t trailing; /* empty cells after them */
        bf_status status;
        size_t ncells; /* cells returned */
    } cases[] = {
        {BF_SHEET_MAX_COLS, 0, BF_OK, BF_SHEET_MAX_COLS},
        {BF_SHEET_MAX_COLS - 1, 1, BF_OK, BF_SHEET_MAX_COLS},
        {BF_SHEET_MAX_COLS, 50, BF_OK, BF_SHEET_MAX_COLS}, /* Excel's trailing commas */
        {BF_SHEET_MAX_COLS + 1, 0, BF_ERR_TOO_LARGE, 0},
        {BF_SHEET_MAX_COLS + 1, 3, BF_ERR_TOO_LARGE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bf_buf in;
        bf_buf_init(&in, 1 << 20);
        assert_int_equal(bf_buf_append_str(&in, "header\n"), BF_OK);
        for (size_t c = 0; c < cases[i].cells + cases[i].trailing; c++)
            assert_int_equal(
                bf_buf_printf(&in, "%s%s", c ? "," : "", c < cases[i].cells ? "v" : ""), BF_OK);
        assert_int_equal(bf_buf_append_str(&in, "\r\n"), BF_OK);
        bf_sheet *sheet = NULL;
        bf_error err;
        assert_int_equal(bf_sheet_open_mem(in.data, in.len, NULL, &sheet, &err), BF_OK);
        bf_row row;
        bool has_row = false;
        assert_int_equal(bf_sheet_next(sheet, &row, &has_row, &err), BF_OK);
        assert_true(has_row);
        bf_status rc = bf_sheet_next(sheet, &row, &has_row, &err);
        assert_int_equal(rc, cases[i].status);
        if (rc == BF_OK) {
            assert_int_equal(row.ncells, cases[i].ncells);
            assert_int_equal(row.number, 2);
            assert_string_equal(row.cells[BF_SHEET_MAX_COLS - 2].text, "v");
        } else {
            assert_string_equal(err.msg, "第 2 行：列数超过 1024 列");
        }
        bf_sheet_close(sheet);
        bf_buf_free(&in);
    }
}

/* ---- streaming: a large file read with flat memory --------------------- */

static size_t heap_in_use(void)
{
    return mallinfo2().uordblks;
}

static bool under_sanitizer(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

static void test_large_file_streams(void **state)
{
    (void)state;
    enum { ROWS = 300000 };
    char path[4096];
    snprintf(path, sizeof path, "%s/large.csv", tmp_dir());
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs("\xEF\xBB\xBF项目编号,项目名称,备注,投资额（元）\r\n", fp);
    for (long i = 1; i <= ROWS; i++)
        fprintf(fp, "XM%07ld,\"光伏帮扶电站 %ld 号\",\"含逗号, 和\"\"引号\"\"\",%ld\r\n", i, i,
                i * 137 % 100000);
    long file_size = ftell(fp);
    assert_int_equal(fclose(fp), 0);
    assert_true(file_size > 20 * 1024 * 1024);

    size_t base = heap_in_use(), peak = base;
    bf_sheet *sheet = NULL;
    bf_error err;
    assert_int_equal(bf_sheet_open(path, NULL, &sheet, &err), BF_OK);
    bf_row row;
    bool has_row = false;
    long count = 0;
    size_t last_done = 0;
    for (;;) {
        assert_int_equal(bf_sheet_next(sheet, &row, &has_row, &err), BF_OK);
        if (!has_row)
            break;
        count++;
        assert_int_equal(row.number, count);
        assert_int_equal(row.ncells, 4);
        if (count % 1000 == 0) {
            size_t now = heap_in_use();
            if (now > peak)
                peak = now;
            size_t done = 0, total = 0;
            bf_sheet_progress(sheet, &done, &total);
            assert_true(done >= last_done && done <= total);
            assert_int_equal(total, (size_t)file_size);
            last_done = done;
        }
        if (count == 150001) {
            assert_string_equal(row.cells[0].text, "XM0150000");
            assert_string_equal(row.cells[1].text, "光伏帮扶电站 150000 号");
            assert_string_equal(row.cells[2].text, "含逗号, 和\"引号\"");
        }
    }
    assert_int_equal(count, ROWS + 1);
    size_t done = 0, total = 0;
    bf_sheet_progress(sheet, &done, &total);
    assert_int_equal(done, (size_t)file_size);
    bf_sheet_close(sheet);
    if (under_sanitizer()) {
        print_message("heap measurement skipped under the address sanitizer\n");
        return;
    }
    /* The file is over 20 MiB; reading it must not hold more than 4 MiB. */
    assert_true(peak > base); /* the measurement sees the reader's buffers */
    print_message("peak heap while reading: %zu bytes\n", peak - base);
    if (peak - base > 4 * 1024 * 1024)
        fail_msg("reading used %zu bytes of heap", peak - base);
}

static void test_progress_from_memory(void **state)
{
    (void)state;
    bf_buf in;
    bf_buf_init(&in, 1 << 24);
    for (int i = 0; i < 20000; i++)
        assert_int_equal(bf_buf_printf(&in, "%d,乡镇%d\n", i, i), BF_OK);
    bf_sheet *sheet = NULL;
    bf_error err;
    assert_int_equal(bf_sheet_open_mem(in.data, in.len, NULL, &sheet, &err), BF_OK);
    size_t done = 0, total = 0, last = 0;
    bf_row row;
    bool has_row = true;
    int seen_middle = 0;
    while (has_row) {
        assert_int_equal(bf_sheet_next(sheet, &row, &has_row, &err), BF_OK);
        bf_sheet_progress(sheet, &done, &total);
        assert_int_equal(total, in.len);
        assert_true(done >= last && done <= total);
        seen_middle += done > 0 && done < total;
        last = done;
    }
    assert_int_equal(done, in.len);
    assert_true(seen_middle > 0);
    bf_sheet_close(sheet);
    bf_buf_free(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_table),
        cmocka_unit_test(test_fixtures_through_bf_sheet_open),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_boundary_quotes_and_line_ends),
        cmocka_unit_test(test_boundary_multibyte_utf8),
        cmocka_unit_test(test_boundary_multibyte_gb18030),
        cmocka_unit_test(test_late_encoding_errors),
        cmocka_unit_test(test_cell_cap),
        cmocka_unit_test(test_unclosed_quote_hits_cell_cap),
        cmocka_unit_test(test_column_cap),
        cmocka_unit_test(test_large_file_streams),
        cmocka_unit_test(test_progress_from_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
