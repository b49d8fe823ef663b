/*
 * test_xlsx.c - the XLSX reader (io/xlsx.c, through sheet.h) and the XLSX
 * writer (io/xlsx_write.h): LibreOffice fixtures cell by cell, round trips
 * through the writer, sheet selection, sparse rows, hostile and broken
 * files, and flat memory while streaming 200,000 rows.
 *
 * Hand-made workbooks are zipped in memory with libzip. Rows are compared as
 * text, one line per row: "7: T[内联] E[] N[12] D[2024-03-15] B[TRUE] X[#N/A]"
 * (kind letter: E empty, T text, N number, D date, B bool, X error).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"
#include "core/buf.h"
#include "io/sheet.h"
#include "io/xlsx.h"
#include "io/xlsx_write.h"

#include <zip.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NS       "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\""
#define NS_R     "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\""
#define REL_NS   "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\""
#define REL_TYPE "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

#if defined(__SANITIZE_ADDRESS__)
#define BF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BF_ASAN 1
#endif
#endif

/* ---- building workbooks in memory ---- */

typedef struct {
    const char *name;
    const char *data;
    size_t len; /* 0: strlen(data) */
    bool store; /* no compression */
} zentry;

static unsigned char *zip_build(const zentry *entries, size_t n, size_t *out_len)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    assert_non_null(src);
    zip_t *za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    assert_non_null(za);
    zip_source_keep(src);
    for (size_t i = 0; i < n; i++) {
        size_t len = entries[i].len ? entries[i].len : strlen(entries[i].data);
        zip_source_t *fs = zip_source_buffer(za, entries[i].data, len, 0);
        assert_non_null(fs);
        zip_int64_t idx = zip_file_add(za, entries[i].name, fs, ZIP_FL_ENC_UTF_8);
        assert_true(idx >= 0);
        if (entries[i].store)
            assert_int_equal(zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0), 0);
    }
    assert_int_equal(zip_close(za), 0);
    assert_int_equal(zip_source_open(src), 0);
    assert_int_equal(zip_source_seek(src, 0, SEEK_END), 0);
    zip_int64_t size = zip_source_tell(src);
    assert_true(size > 0);
    assert_int_equal(zip_source_seek(src, 0, SEEK_SET), 0);
    unsigned char *buf = malloc((size_t)size);
    assert_non_null(buf);
    assert_int_equal(zip_source_read(src, buf, (zip_uint64_t)size), size);
    zip_source_close(src);
    zip_source_free(src);
    zip_error_fini(&ze);
    *out_len = (size_t)size;
    return buf;
}

static const char default_workbook[] =
    "<workbook " NS " " NS_R "><sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/>"
    "</sheets></workbook>";

static const char default_wb_rels[] =
    "<Relationships " REL_NS ">"
    "<Relationship Id=\"rId1\" Type=\"" REL_TYPE "worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"" REL_TYPE "styles\" Target=\"styles.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"" REL_TYPE "sharedStrings\" Target=\"sharedStrings.xml\"/>"
    "</Relationships>";

/* A one-sheet workbook. sheet is the whole sheet1.xml, or NULL for rows
 * wrapped in <worksheet><sheetData>. sst and styles may be NULL. */
typedef struct {
    const char *sheet;
    const char *rows;
    const char *sst;
    const char *styles;
    const char *workbook;
} book;

static unsigned char *book_zip(const book *b, size_t *len)
{
    char *sheet = NULL;
    if (!b->sheet) {
        size_t n = strlen(b->rows) + 256;
        sheet = malloc(n);
        assert_non_null(sheet);
        snprintf(sheet, n,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet " NS
                 "><sheetData>%s</sheetData></worksheet>",
                 b->rows);
    }
    zentry e[5] = {
        {"xl/workbook.xml", b->workbook ? b->workbook : default_workbook, 0, false},
        {"xl/_rels/workbook.xml.rels", default_wb_rels, 0, false},
        {"xl/worksheets/sheet1.xml", b->sheet ? b->sheet : sheet, 0, false},
    };
    size_t n = 3;
    if (b->sst)
        e[n++] = (zentry){"xl/sharedStrings.xml", b->sst, 0, false};
    if (b->styles)
        e[n++] = (zentry){"xl/styles.xml", b->styles, 0, false};
    unsigned char *zip = zip_build(e, n, len);
    free(sheet);
    return zip;
}

/* ---- reading everything into text ---- */

static const char kind_letter[] = {'E', 'T', 'N', 'D', 'B', 'X'};

static void row_append(bf_buf *out, const bf_row *row)
{
    assert_int_equal(bf_buf_printf(out, "%ld:", row->number), BF_OK);
    for (size_t i = 0; i < row->ncells; i++) {
        const bf_cell *c = &row->cells[i];
        assert_int_equal(strlen(c->text), c->len);
        if (c->kind == BF_CELL_EMPTY)
            assert_int_equal(c->len, 0);
        assert_int_equal(bf_buf_printf(out, " %c[%s]", kind_letter[c->kind], c->text), BF_OK);
    }
    assert_int_equal(bf_buf_append_char(out, '\n'), BF_OK);
}

/* All rows of an open sheet as text; returns the status of the first failure. */
static bf_status drain(bf_sheet *sheet, bf_buf *out, bf_error *err)
{
    for (;;) {
        bf_row row;
        bool has_row;
        bf_status rc = bf_sheet_next(sheet, &row, &has_row, err);
        if (rc)
            return rc;
        if (!has_row)
            return BF_OK;
        row_append(out, &row);
    }
}

/* Open (file if path, else memory), read all; the text of the rows into out. */
static bf_status read_all(const char *path, const void *data, size_t len, const char *sheet_name,
                          bf_buf *out, bf_error *err)
{
    bf_sheet *sheet = NULL;
    bf_error_clear(err);
    bf_buf_init(out, (size_t)64 << 20);
    bf_status rc = path ? bf_sheet_open(path, sheet_name, &sheet, err)
                        : bf_sheet_open_mem(data, len, sheet_name, &sheet, err);
    if (rc) {
        assert_null(sheet);
        return rc;
    }
    assert_int_equal(bf_sheet_get_format(sheet), BF_SHEET_XLSX);
    rc = drain(sheet, out, err);
    if (!rc) {
        size_t done, total;
        bf_sheet_progress(sheet, &done, &total);
        assert_true(total > 0);
        assert_int_equal(done, total);
    }
    bf_sheet_close(sheet);
    return rc;
}

static void expect_rows(const char *path, const void *data, size_t len, const char *sheet_name,
                        const char *expected)
{
    bf_buf out;
    bf_error err;
    bf_status rc = read_all(path, data, len, sheet_name, &out, &err);
    if (rc)
        fail_msg("status %d: %s", rc, err.msg);
    assert_string_equal(out.data ? out.data : "", expected);
    bf_buf_free(&out);
}

static void expect_failure(const char *label, const void *data, size_t len, const char *sheet_name,
                           bf_status status, const char *fragment)
{
    bf_buf out;
    bf_error err;
    bf_status rc = read_all(NULL, data, len, sheet_name, &out, &err);
    bf_buf_free(&out);
    if (rc != status || !strstr(err.msg, fragment))
        fail_msg("%s: status %d (want %d), message \"%s\" (want \"%s\")", label, rc, status,
                 err.msg, fragment);
}

static void fixture(const char *name, char *out, size_t out_size)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/fixtures/xlsx/%s", name);
    bf_test_source_path(rel, out, out_size);
}

/* ---- LibreOffice fixtures ---- */

static void test_households_fixture(void **state)
{
    (void)state;
    char path[4096];
    fixture("households.xlsx", path, sizeof path);
    /* The ID numbers were typed without quotes, so LibreOffice stored them as
     * numbers and lost digits; the one ending in X stayed text. HH-004 has
     * no household type: an empty cell in the middle of the row. */
    expect_rows(path, NULL, 0, NULL,
                "1: T[户编号] T[区划代码] T[户主姓名] T[户主身份证号] T[户类型] T[家庭人口] "
                "T[认定日期] T[备注]\n"
                "2: T[HH-001] N[360734100201] T[王秀英] N[3.60734197003121E+017] T[脱贫户] N[4] "
                "D[2016-03-15]\n"
                "3: T[HH-002] N[360721100203] T[李建国] T[36072119850708402X] T[监测对象] N[3] "
                "D[2021-07-01] T[边缘易致贫户]\n"
                "4: T[HH-003] N[360732100101] T[张桂兰] N[3.6073219621125E+017] T[脱贫户] N[2] "
                "D[2015-11-20] T[独居，需关注]\n"
                "5: T[HH-004] N[360702001001] T[刘伟] N[3.60702199102036E+017] E[] N[5] "
                "D[2019-05-08] T[户类型未填]\n"
                "6: T[HH-005] N[360734100201] T[陈红] N[3.60734197806159E+017] T[脱贫户] N[6] "
                "D[2018-12-31]\n");
}

static void test_regions_fixture(void **state)
{
    (void)state;
    char path[4096];
    fixture("regions.xlsx", path, sizeof path);
    expect_rows(path, NULL, 0, NULL,
                "1: T[区划代码] T[名称] T[级别] T[上级代码]\n"
                "2: N[360000000000] T[江西省] N[1]\n"
                "3: N[360700000000] T[赣州市] N[2] N[360000000000]\n"
                "4: N[360734000000] T[寻乌县] N[3] N[360700000000]\n"
                "5: N[360734100000] T[长宁镇] N[4] N[360734000000]\n"
                "6: N[360734100201] T[城西村] N[5] N[360734100000]\n");
}

static void test_sheet_selection_fixture(void **state)
{
    (void)state;
    char path[4096];
    fixture("sheets.xlsx", path, sizeof path);
    expect_rows(path, NULL, 0, NULL, "1: T[代码表]\n");
    expect_rows(path, NULL, 0, "说明", "1: T[填表说明：每行一个项目]\n");
    /* A Chinese date format, a date-time (time dropped), a formula with a
     * string result, a formula error; rows 3-4 are absent; LibreOffice stores
     * booleans as 1/0 numbers. */
    expect_rows(path, NULL, 0, "项目",
                "1: T[项目编号] T[项目名称] T[投资（万元）] T[开工日期] T[验收时间] T[已运营] "
                "T[标识] T[收益率]\n"
                "2: T[XM-2023-001] T[光伏电站（村级）] N[125.5] D[2023-04-01] D[2023-12-20] N[1] "
                "T[XM-2023-001/光伏] X[#DIV/0!]\n"
                "5: T[XM-2023-002] E[] E[] E[] E[] N[0] E[] N[-0.035]\n");
    /* The same file from memory. */
    size_t len;
    char *data = bf_test_read_file(path, &len);
    assert_non_null(data);
    expect_rows(NULL, data, len, "说明", "1: T[填表说明：每行一个项目]\n");
    free(data);
}

static void test_missing_sheet(void **state)
{
    (void)state;
    char path[4096];
    fixture("sheets.xlsx", path, sizeof path);
    bf_sheet *sheet = (bf_sheet *)&sheet;
    bf_error err;
    assert_int_equal(bf_sheet_open(path, "汇总", &sheet, &err), BF_ERR_NOT_FOUND);
    assert_null(sheet);
    assert_non_null(strstr(err.msg, "没有名为“汇总”的工作表"));
    assert_non_null(strstr(err.msg, "现有工作表：代码表、说明、项目"));
}

/* ---- hand-made workbooks ---- */

static const char features_sst[] =
    "<sst " NS " count=\"4\" uniqueCount=\"4\">"
    "<si><t>纯文本</t></si>"
    "<si><r><rPr><b/></rPr><t>富</t></r><r><t xml:space=\"preserve\">文本 </t></r>"
    "<rPh sb=\"0\" eb=\"1\"><t>フ</t></rPh></si>"
    "<si><t>带_x000D_回车_x005F_x0041_</t></si>"
    "<si><t/></si>"
    "</sst>";

static const char features_styles[] =
    "<styleSheet " NS "><numFmts count=\"4\">"
    "<numFmt numFmtId=\"164\" formatCode=\"yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;\"/>"
    "<numFmt numFmtId=\"165\" formatCode=\"0&quot; days&quot;\"/>"
    "<numFmt numFmtId=\"166\" formatCode=\"[Red]0.00\"/>"
    "<numFmt numFmtId=\"167\" formatCode=\"mm:ss\"/>"
    "<numFmt numFmtId=\"168\" formatCode=\"yyyy\"/>"
    "</numFmts>"
    "<cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/></cellStyleXfs>"
    "<cellXfs count=\"8\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"164\"/>"
    "<xf numFmtId=\"165\"/><xf numFmtId=\"166\"/><xf numFmtId=\"167\"/><xf numFmtId=\"2\"/>"
    "<xf numFmtId=\"168\"/>"
    "</cellXfs></styleSheet>";

static const char features_rows[] =
    "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"C1\" t=\"s\"><v>1</v></c>"
    "<c r=\"D1\" t=\"s\"><v>2</v></c><c r=\"E1\" t=\"s\"><v>3</v></c></row>"
    "<row r=\"3\"><c r=\"B3\" s=\"1\"><v>45366.75</v></c><c s=\"2\"><v>45017</v></c>"
    "<c s=\"3\"><v>12</v></c><c s=\"4\"><v>-1.5</v></c><c s=\"5\"><v>1.5</v></c>"
    "<c s=\"6\"><v>3.6073419700312E+17</v></c><c s=\"99\"><v>7</v></c>"
    "<c s=\"1\"><v>-3</v></c><c s=\"7\"><v>45366</v></c></row>"
    "<row r=\"4\"></row>"
    "<row r=\"5\"><c r=\"A5\" s=\"1\"/><c r=\"B5\"><v></v></c></row>"
    "<row r=\"7\" spans=\"1:8\"><c r=\"A7\" t=\"inlineStr\"><is><t>内联</t></is></c>"
    "<c r=\"B7\" t=\"inlineStr\"><is><r><t>多</t></r><r><t>段</t></r><rPh><t>x</t></rPh></is></c>"
    "<c r=\"C7\" t=\"str\"><f>A7&amp;B7</f><v>内联多段</v></c>"
    "<c r=\"D7\" t=\"b\"><v>1</v></c><c r=\"E7\" t=\"b\"><v>0</v></c>"
    "<c r=\"F7\" t=\"e\"><v>#N/A</v></c><c r=\"G7\" t=\"d\"><v>2024-02-29T00:00:00</v></c>"
    "<c r=\"H7\" t=\"str\"><f>NOW()</f></c><c r=\"AMK7\"/><c r=\"XFD7\" s=\"1\"/></row>"
    "<row><c><v>1</v></c><c><v>2</v></c></row>"
    "<row r=\"1048576\"><c r=\"A1048576\" t=\"inlineStr\"><is><t>末行</t></is></c></row>";

static void test_kinds_sparse_and_styles(void **state)
{
    (void)state;
    book b = {.rows = features_rows, .sst = features_sst, .styles = features_styles};
    size_t len;
    unsigned char *zip = book_zip(&b, &len);
    /* Row 1: rich text runs concatenated, phonetic run ignored, _xHHHH_
     * escapes decoded, an empty shared string trimmed as a trailing empty.
     * Row 3: built-in and Chinese custom date formats (time dropped); "0
     * days", [Red], mm:ss, 0.00 and an unknown style are not dates; a
     * negative serial is no date; a year-only format is a date. Rows 4 and 5 have no values. Row 7:
     * inline strings, formula string, booleans, error, ISO date; a formula without a cached value
     * and empty cells past column 1024 are nothing. Row 8 has no r attributes. */
    expect_rows(NULL, zip, len, NULL,
                "1: T[纯文本] E[] T[富文本 ] T[带\r回车_x0041_]\n"
                "3: E[] D[2024-03-15] D[2023-04-01] N[12] N[-1.5] N[1.5] "
                "N[3.6073419700312E+17] N[7] N[-3] D[2024-03-15]\n"
                "7: T[内联] T[多段] T[内联多段] B[TRUE] B[FALSE] X[#N/A] D[2024-02-29]\n"
                "8: N[1] N[2]\n"
                "1048576: T[末行]\n");
    free(zip);
}

static void test_date1904_and_prefixes(void **state)
{
    (void)state;
    /* Mac workbooks count days from 1904-01-01; a sheet may use a prefix for
     * the main namespace (the OpenXML SDK does). */
    book b = {
        .sheet =
            "<x:worksheet xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
            "<x:sheetData><x:row r=\"2\"><x:c r=\"B2\" t=\"inlineStr\"><x:is><x:t>前缀</x:t>"
            "</x:is></x:c><x:c r=\"C2\" s=\"1\"><x:v>0</x:v></x:c>"
            "<x:c r=\"D2\" s=\"1\"><x:v>43904</x:v></x:c></x:row></x:sheetData></x:worksheet>",
        .styles = "<styleSheet " NS "><cellXfs><xf/><xf numFmtId=\"14\"/></cellXfs></styleSheet>",
        .workbook = "<workbook " NS " " NS_R "><workbookPr date1904=\"1\"/><sheets>"
                    "<sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
    };
    size_t len;
    unsigned char *zip = book_zip(&b, &len);
    expect_rows(NULL, zip, len, NULL, "2: E[] T[前缀] D[1904-01-01] D[2024-03-15]\n");
    free(zip);
}

static void test_package_routing(void **state)
{
    (void)state;
    /* The workbook found through _rels/.rels with an absolute target; sheet
     * targets absolute and with ./..; a hidden first sheet and a chartsheet
     * are skipped when no sheet is named. */
    static const char pkg_rels[] =
        "<Relationships " REL_NS "><Relationship Id=\"rId1\" Type=\"" REL_TYPE
        "officeDocument\" Target=\"/book/main.xml\"/></Relationships>";
    static const char workbook[] =
        "<workbook " NS " " NS_R "><sheets>"
        "<sheet name=\"隐藏\" sheetId=\"1\" state=\"hidden\" r:id=\"rId1\"/>"
        "<sheet name=\"图表\" sheetId=\"2\" r:id=\"rId2\"/>"
        "<sheet name=\"Data\" sheetId=\"3\" r:id=\"rId3\"/></sheets></workbook>";
    static const char wb_rels[] =
        "<Relationships " REL_NS ">"
        "<Relationship Id=\"rId1\" Type=\"" REL_TYPE "worksheet\" Target=\"/book/sheets/one.xml\"/>"
        "<Relationship Id=\"rId2\" Type=\"" REL_TYPE "chartsheet\" Target=\"charts/c.xml\"/>"
        "<Relationship Id=\"rId3\" Type=\"" REL_TYPE
        "worksheet\" Target=\"../book/./sheets/two.xml\"/>"
        "<Relationship Id=\"rId9\" Type=\"" REL_TYPE
        "hyperlink\" Target=\"http://example.com/\" TargetMode=\"External\"/>"
        "</Relationships>";
    zentry e[] = {
        {"_rels/.rels", pkg_rels, 0, false},
        {"book/main.xml", workbook, 0, false},
        {"book/_rels/main.xml.rels", wb_rels, 0, false},
        {"book/sheets/one.xml",
         "<worksheet " NS "><sheetData><row r=\"1\"><c t=\"inlineStr\"><is><t>一</t></is></c>"
         "</row></sheetData></worksheet>",
         0, false},
        {"book/sheets/two.xml",
         "<worksheet " NS "><sheetData><row r=\"1\"><c t=\"inlineStr\"><is><t>二</t></is></c>"
         "</row></sheetData></worksheet>",
         0, false},
        {"book/charts/c.xml", "<chartsheet " NS "/>", 0, false},
    };
    size_t len;
    unsigned char *zip = zip_build(e, sizeof e / sizeof e[0], &len);
    expect_rows(NULL, zip, len, NULL, "1: T[二]\n");
    expect_rows(NULL, zip, len, "隐藏", "1: T[一]\n");
    expect_rows(NULL, zip, len, "data", "1: T[二]\n"); /* ASCII case ignored */
    expect_failure("chartsheet", zip, len, "图表", BF_ERR_UNSUPPORTED, "“图表”不是普通工作表");
    expect_failure("missing", zip, len, "Sheet1", BF_ERR_NOT_FOUND, "现有工作表：隐藏、图表、Data");
    free(zip);
}

/* ---- broken and hostile workbooks: one table ---- */

typedef struct {
    const char *label;
    const char *rows;  /* sheetData content, or NULL */
    const char *sheet; /* whole sheet1.xml, or NULL */
    const char *sst;
    bf_status status;
    const char *fragment;
} bad_case;

#define LOLZ                                                                                       \
    "<!DOCTYPE lolz [<!ENTITY lol \"lol\">"                                                        \
    "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"                        \
    "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"              \
    "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"

static const bad_case bad_cases[] = {
    {"billion laughs in the sheet", NULL,
     "<?xml version=\"1.0\"?>" LOLZ "<worksheet " NS "><sheetData><row r=\"1\"><c t=\"inlineStr\">"
     "<is><t>&lol3;</t></is></c></row></sheetData></worksheet>",
     NULL, BF_ERR_PARSE, "工作表含有 DOCTYPE 声明"},
    {"external entity in shared strings", "<row r=\"1\"><c t=\"s\"><v>0</v></c></row>", NULL,
     "<?xml version=\"1.0\"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
     "<sst " NS "><si><t>&xxe;</t></si></sst>",
     BF_ERR_PARSE, "共享字符串表含有 DOCTYPE 声明"},
    {"deep nesting", NULL,
     "<worksheet " NS "><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
     "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
     "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a></a></a></a></a></a></a></a>"
     "</a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a>"
     "</a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a>"
     "</a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a></a>"
     "</worksheet>",
     NULL, BF_ERR_TOO_LARGE, "XML 嵌套超过 64 层"},
    {"row zero column ref", "<row r=\"2\"><c r=\"A0\"><v>1</v></c></row>", NULL, NULL, BF_ERR_PARSE,
     "XLSX 文件第 2 行：单元格位置“A0”无效"},
    {"column past XFD", "<row r=\"2\"><c r=\"XFE2\"><v>1</v></c></row>", NULL, NULL, BF_ERR_PARSE,
     "XLSX 文件第 2 行：单元格位置“XFE2”无效"},
    {"column ref garbage", "<row r=\"2\"><c r=\"1A\"><v>1</v></c></row>", NULL, NULL, BF_ERR_PARSE,
     "单元格位置“1A”无效"},
    {"cells out of order", "<row r=\"2\"><c r=\"B2\"><v>1</v></c><c r=\"A2\"><v>1</v></c></row>",
     NULL, NULL, BF_ERR_PARSE, "XLSX 文件第 2 行：单元格“A2”重复或顺序颠倒"},
    {"rows out of order", "<row r=\"3\"><c><v>1</v></c></row><row r=\"2\"><c><v>1</v></c></row>",
     NULL, NULL, BF_ERR_PARSE, "XLSX 文件第 3 行之后：行号 2 重复或顺序颠倒"},
    {"bad row number", "<row r=\"x\"><c><v>1</v></c></row>", NULL, NULL, BF_ERR_PARSE,
     "行号“x”无效"},
    {"row past Excel's last", "<row r=\"1048577\"><c><v>1</v></c></row>", NULL, NULL, BF_ERR_PARSE,
     "行号“1048577”无效"},
    {"number too long",
     "<row r=\"2\"><c r=\"C2\"><v>1234567890123456789012345678901234567890123456789012345678901234"
     "567890</v></c></row>",
     NULL, NULL, BF_ERR_PARSE, "XLSX 文件第 2 行：C 列：数值过长（70 个字符）"},
    {"not a number", "<row r=\"2\"><c r=\"A2\"><v>12abc</v></c></row>", NULL, NULL, BF_ERR_PARSE,
     "A 列：数值“12abc”无效"},
    {"number without digits", "<row r=\"2\"><c r=\"A2\"><v>-.E5</v></c></row>", NULL, NULL,
     BF_ERR_PARSE, "数值“-.E5”无效"},
    {"shared string out of range", "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>5</v></c></row>", NULL,
     "<sst " NS "><si><t>一</t></si></sst>", BF_ERR_PARSE, "A 列：共享字符串编号“5”无效"},
    {"shared string without table", "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>0</v></c></row>", NULL,
     NULL, BF_ERR_PARSE, "共享字符串编号“0”无效"},
    {"bad boolean", "<row r=\"2\"><c r=\"A2\" t=\"b\"><v>2</v></c></row>", NULL, NULL, BF_ERR_PARSE,
     "逻辑值“2”无效"},
    {"bad cell type", "<row r=\"2\"><c r=\"A2\" t=\"x\"><v>2</v></c></row>", NULL, NULL,
     BF_ERR_PARSE, "A 列：单元格类型“x”无效"},
    {"bad style index", "<row r=\"2\"><c r=\"A2\" s=\"-1\"><v>2</v></c></row>", NULL, NULL,
     BF_ERR_PARSE, "样式编号“-1”无效"},
    {"bad ISO date", "<row r=\"2\"><c r=\"A2\" t=\"d\"><v>2023-02-30</v></c></row>", NULL, NULL,
     BF_ERR_PARSE, "日期“2023-02-30”无效"},
    {"value past column 1024", "<row r=\"2\"><c r=\"AMK2\"><v>1</v></c></row>", NULL, NULL,
     BF_ERR_TOO_LARGE, "XLSX 文件第 2 行：AMK 列：超过 1024 列的上限"},
    {"tag mismatch", "<row r=\"2\"><c r=\"A2\"><v>1</v></row>", NULL, NULL, BF_ERR_PARSE,
     "XLSX 文件第 2 行：工作表（xl/worksheets/sheet1.xml）的 XML 标签不匹配"},
    {"unbound prefix", "<row r=\"2\"><y:c r=\"A2\"><v>1</v></y:c></row>", NULL, NULL, BF_ERR_PARSE,
     "未声明的命名空间前缀"},
    {"truncated XML", NULL, "<worksheet " NS "><sheetData><row r=\"1\"><c><v>1</v></c></row>", NULL,
     BF_ERR_PARSE,
     "XLSX 文件第 1 行之后：工作表（xl/worksheets/sheet1.xml）的 XML 内容为空或不完整"},
    {"invalid UTF-8", NULL,
     "<worksheet " NS "><sheetData><row r=\"1\"><c t=\"str\"><v>\xff</v>"
     "</c></row></sheetData></worksheet>",
     NULL, BF_ERR_PARSE, "XLSX 文件第 1 行：工作表（xl/worksheets/sheet1.xml）的 XML 含有非法字符"},
    {"empty sheet part", NULL, " ", NULL, BF_ERR_PARSE, "XML 内容为空"},
    {"sheet is not a worksheet", NULL, "<chartsheet " NS "/>", NULL, BF_ERR_PARSE,
     "xl/worksheets/sheet1.xml 不是工作表（根元素为 chartsheet）"},
};

static void test_bad_sheets(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        book b = {.rows = c->rows, .sheet = c->sheet, .sst = c->sst};
        size_t len;
        unsigned char *zip = book_zip(&b, &len);
        expect_failure(c->label, zip, len, NULL, c->status, c->fragment);
        free(zip);
    }
}

static void test_error_is_sticky_and_rows_before_it_come_out(void **state)
{
    (void)state;
    book b = {.rows = "<row r=\"1\"><c><v>1</v></c></row><row r=\"2\"><c><v>x</v></c></row>"};
    size_t len;
    unsigned char *zip = book_zip(&b, &len);
    bf_sheet *sheet;
    bf_error err;
    assert_int_equal(bf_sheet_open_mem(zip, len, NULL, &sheet, &err), BF_OK);
    bf_row row;
    bool has_row;
    assert_int_equal(bf_sheet_next(sheet, &row, &has_row, &err), BF_OK);
    assert_true(has_row);
    assert_int_equal(row.number, 1);
    assert_int_equal(bf_sheet_next(sheet, &row, &has_row, &err), BF_ERR_PARSE);
    assert_false(has_row);
    assert_non_null(strstr(err.msg, "XLSX 文件第 2 行：A 列：数值“x”无效"));
    bf_error_clear(&err);
    assert_int_equal(bf_sheet_next(sheet, &row, &has_row, &err), BF_ERR_PARSE);
    assert_non_null(strstr(err.msg, "数值“x”无效"));
    bf_sheet_close(sheet);
    free(zip);
}

static void test_cell_too_big(void **state)
{
    (void)state;
    size_t n = BF_SHEET_MAX_CELL + 10;
    char *rows = malloc(n + 128);
    assert_non_null(rows);
    int k = snprintf(rows, 128, "<row r=\"4\"><c r=\"B4\" t=\"inlineStr\"><is><t>");
    memset(rows + k, 'a', n);
    strcpy(rows + k + n, "</t></is></c></row>");
    book b = {.rows = rows};
    size_t len;
    unsigned char *zip = book_zip(&b, &len);
    expect_failure("cell over 64 KiB", zip, len, NULL, BF_ERR_TOO_LARGE,
                   "XLSX 文件第 4 行：B 列：单元格内容超过 65536 字节");
    free(zip);
    /* Exactly at the cap is fine. */
    memset(rows + k, 'b', BF_SHEET_MAX_CELL);
    strcpy(rows + k + BF_SHEET_MAX_CELL, "</t></is></c></row>");
    zip = book_zip(&b, &len);
    bf_buf out;
    bf_error err;
    assert_int_equal(read_all(NULL, zip, len, NULL, &out, &err), BF_OK);
    assert_int_equal(out.len, strlen("4: E[] T[]\n") + BF_SHEET_MAX_CELL);
    bf_buf_free(&out);
    free(zip);
    free(rows);
}

/* ---- broken packages ---- */

static void test_broken_packages(void **state)
{
    (void)state;
    static const char not_zip[] = "PK\3\4 this is not really a zip file at all";
    expect_failure("not a zip", not_zip, sizeof not_zip - 1, NULL, BF_ERR_PARSE,
                   "无法读取 XLSX 文件：不是完整的 ZIP 压缩包");

    size_t len;
    zentry other[] = {{"readme.txt", "hello", 0, false}};
    unsigned char *zip = zip_build(other, 1, &len);
    expect_failure("zip without workbook", zip, len, NULL, BF_ERR_PARSE,
                   "无法读取 XLSX 文件：找不到工作簿（xl/workbook.xml）");
    free(zip);

    zentry docx[] = {
        {"_rels/.rels",
         "<Relationships " REL_NS "><Relationship Id=\"rId1\" Type=\"" REL_TYPE
         "officeDocument\" Target=\"word/document.xml\"/></Relationships>",
         0, false},
        {"word/document.xml",
         "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"/>",
         0, false},
    };
    zip = zip_build(docx, 2, &len);
    expect_failure("a Word document", zip, len, NULL, BF_ERR_PARSE,
                   "word/document.xml 不是工作簿（根元素为 document）");
    free(zip);

    book no_sheets = {.rows = "", .workbook = "<workbook " NS "><sheets/></workbook>"};
    zip = book_zip(&no_sheets, &len);
    expect_failure("no sheets", zip, len, NULL, BF_ERR_PARSE, "工作簿中没有工作表");
    free(zip);

    zentry no_rels[] = {{"xl/workbook.xml", default_workbook, 0, false}};
    zip = zip_build(no_rels, 1, &len);
    expect_failure("no workbook relationships", zip, len, NULL, BF_ERR_PARSE,
                   "找不到工作簿的关系表（xl/_rels/workbook.xml.rels）");
    free(zip);

    zentry no_sheet_part[] = {{"xl/workbook.xml", default_workbook, 0, false},
                              {"xl/_rels/workbook.xml.rels", default_wb_rels, 0, false}};
    zip = zip_build(no_sheet_part, 2, &len);
    expect_failure("sheet part missing", zip, len, NULL, BF_ERR_PARSE,
                   "找不到工作表“Sheet1”的数据（xl/worksheets/sheet1.xml）");
    free(zip);

    /* A file cut short (an interrupted upload). */
    char path[4096];
    fixture("households.xlsx", path, sizeof path);
    char *data = bf_test_read_file(path, &len);
    assert_non_null(data);
    expect_failure("truncated file", data, len * 6 / 10, NULL, BF_ERR_PARSE,
                   "无法读取 XLSX 文件：");
    free(data);
}

/* Offset of the central-directory header of entry `name`. */
static size_t central_entry(const unsigned char *zip, size_t len, const char *name)
{
    size_t name_len = strlen(name);
    for (size_t i = 0; i + 46 + name_len <= len; i++)
        if (memcmp(zip + i, "PK\1\2", 4) == 0 && zip[i + 28] == (name_len & 0xFF) &&
            zip[i + 29] == (name_len >> 8) && memcmp(zip + i + 46, name, name_len) == 0)
            return i;
    fail_msg("no central entry %s", name);
    return 0;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void test_corrupt_and_oversized_entries(void **state)
{
    (void)state;
    /* A stored (uncompressed) sheet with one digit changed: the XML stays
     * valid, the CRC check at the end of the entry fails. */
    static const char sheet[] = "<worksheet " NS "><sheetData><row r=\"1\"><c><v>111</v></c></row>"
                                "<row r=\"2\"><c><v>222</v></c></row></sheetData></worksheet>";
    zentry e[] = {
        {"xl/workbook.xml", default_workbook, 0, false},
        {"xl/_rels/workbook.xml.rels", default_wb_rels, 0, false},
        {"xl/worksheets/sheet1.xml", sheet, 0, true},
        {"xl/sharedStrings.xml", "<sst " NS "><si><t>x</t></si></sst>", 0, false},
    };
    size_t len;
    unsigned char *zip = zip_build(e, 4, &len);
    unsigned char *digits = memmem(zip, len, "222", 3);
    assert_non_null(digits);
    digits[1] = '3';
    expect_failure("corrupted entry", zip, len, NULL, BF_ERR_PARSE,
                   "XLSX 文件第 2 行之后：工作表数据读取失败：数据校验失败，文件已损坏");
    free(zip);

    /* A deflated sheet whose compressed data ends early (the directory says
     * half of it): the rows read before come out, then the reader fails. */
    bf_buf rows;
    bf_buf_init(&rows, (size_t)1 << 20);
    for (int i = 1; i <= 3000; i++)
        assert_int_equal(bf_buf_printf(&rows, "<row r=\"%d\"><c><v>%d</v></c></row>", i, i * 7919),
                         BF_OK);
    book big = {.rows = rows.data};
    zip = book_zip(&big, &len);
    size_t cd = central_entry(zip, len, "xl/worksheets/sheet1.xml");
    uint32_t csize = (uint32_t)zip[cd + 20] | (uint32_t)zip[cd + 21] << 8 |
                     (uint32_t)zip[cd + 22] << 16 | (uint32_t)zip[cd + 23] << 24;
    put32(zip + cd + 20, csize / 2);
    bf_buf out;
    bf_error err;
    assert_int_equal(read_all(NULL, zip, len, NULL, &out, &err), BF_ERR_PARSE);
    assert_non_null(strstr(err.msg, "行之后：工作表数据读取失败："));
    assert_non_null(out.data);
    assert_non_null(strstr(out.data, "1: N[7919]\n2: N[15838]\n"));
    bf_buf_free(&out);
    bf_buf_free(&rows);
    free(zip);

    /* Declared sizes past the caps are refused before inflating anything. */
    zip = zip_build(e, 4, &len);
    put32(zip + central_entry(zip, len, "xl/worksheets/sheet1.xml") + 24, 0xFFFFFFF0u);
    expect_failure("huge declared sheet", zip, len, NULL, BF_ERR_TOO_LARGE,
                   "工作表（xl/worksheets/sheet1.xml）解压后超过 1 GiB");
    free(zip);
    zip = zip_build(e, 4, &len);
    put32(zip + central_entry(zip, len, "xl/sharedStrings.xml") + 24, 0x20000000u);
    expect_failure("huge declared shared strings", zip, len, NULL, BF_ERR_TOO_LARGE,
                   "共享字符串表（xl/sharedStrings.xml）解压后超过 256 MiB");
    free(zip);
}

/* Open with caps chosen by the test, read all. */
static bf_status read_limited(const void *data, size_t len, const xlsx_limits *lim, size_t *nrows,
                              bf_error *err)
{
    void *impl;
    const bf_sheet_ops *ops;
    bf_error_clear(err);
    *nrows = 0;
    bf_status rc = xlsx_open_mem_limits(data, len, NULL, lim, &impl, &ops, err);
    if (rc)
        return rc;
    for (;;) {
        bf_row row;
        bool has_row;
        rc = ops->next(impl, &row, &has_row, err);
        if (rc || !has_row)
            break;
        (*nrows)++;
    }
    ops->close(impl);
    return rc;
}

static void test_zip_bomb_caps(void **state)
{
    (void)state;
    /* 2 MiB of sheet XML that deflates to a few KiB, read with a 1 MiB cap. */
    bf_buf rows;
    bf_buf_init(&rows, (size_t)4 << 20);
    long r = 1;
    while (rows.len < ((size_t)2 << 20))
        assert_int_equal(bf_buf_printf(&rows,
                                       "<row r=\"%ld\"><c t=\"inlineStr\"><is><t>"
                                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></is></c></row>",
                                       r++),
                         BF_OK);
    book b = {.rows = rows.data,
              .sst = "<sst " NS "><si><t>0123456789012345678901234567890123456789</t></si>"
                     "<si><t>0123456789012345678901234567890123456789</t></si></sst>"};
    size_t len;
    unsigned char *zip = book_zip(&b, &len);
    assert_true(len < 256 * 1024);
    xlsx_limits lim;
    xlsx_default_limits(&lim);
    size_t nrows;
    bf_error err;
    assert_int_equal(read_limited(zip, len, &lim, &nrows, &err), BF_OK);
    assert_int_equal(nrows, (size_t)(r - 1));

    /* The declared size trips the cap before anything is inflated... */
    lim.max_sheet_bytes = (size_t)1 << 20;
    assert_int_equal(read_limited(zip, len, &lim, &nrows, &err), BF_ERR_TOO_LARGE);
    assert_non_null(strstr(err.msg, "无法读取 XLSX 文件：工作表（xl/worksheets/sheet1.xml）"
                                    "解压后超过 1 MiB"));
    assert_int_equal(nrows, 0);

    /* ...and if the directory lies about the size (libzip goes on inflating
     * past it), counting stops the reader at the cap, in the middle of a row. */
    put32(zip + central_entry(zip, len, "xl/worksheets/sheet1.xml") + 24, 1000);
    assert_int_equal(read_limited(zip, len, &lim, &nrows, &err), BF_ERR_TOO_LARGE);
    char want[128];
    snprintf(want, sizeof want,
             "XLSX 文件第 %zu 行：工作表（xl/worksheets/sheet1.xml）解压后超过 1 MiB", nrows + 1);
    assert_non_null(strstr(err.msg, want));
    assert_true(nrows > 1000 && nrows < (size_t)r * 6 / 10); /* 1 MiB of 2 */
    free(zip);

    /* The shared-string table kept in memory has its own cap. */
    zip = book_zip(&b, &len);
    xlsx_default_limits(&lim);
    lim.max_sst_store = 64;
    assert_int_equal(read_limited(zip, len, &lim, &nrows, &err), BF_ERR_TOO_LARGE);
    assert_non_null(strstr(err.msg, "共享字符串表超过 64 字节"));
    lim.max_sst_store = 1024;
    lim.max_sst_bytes = 100;
    assert_int_equal(read_limited(zip, len, &lim, &nrows, &err), BF_ERR_TOO_LARGE);
    assert_non_null(strstr(err.msg, "共享字符串表（xl/sharedStrings.xml）解压后超过 100 字节"));
    free(zip);
    bf_buf_free(&rows);
}

/* ---- the writer ---- */

static void test_round_trip(void **state)
{
    (void)state;
    char *dir = bf_test_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/导出.xlsx", dir);
    bf_error err;
    xlsx_writer *w;
    assert_int_equal(xlsx_writer_open(path, "户信息", &w, &err), BF_OK);
    const char *titles[] = {"户编号",   "身份证号", "区划代码", "人口", "投资",
                            "认定日期", "已脱贫",   "错误",     NULL,   "备注"};
    assert_int_equal(xlsx_writer_header(w, titles, 10, &err), BF_OK);
#define T(s)                                                                                       \
    {                                                                                              \
        BF_CELL_TEXT, s, sizeof s - 1                                                              \
    }
#define N(s)                                                                                       \
    {                                                                                              \
        BF_CELL_NUMBER, s, sizeof s - 1                                                            \
    }
#define D(s)                                                                                       \
    {                                                                                              \
        BF_CELL_DATE, s, sizeof s - 1                                                              \
    }
#define B(s)                                                                                       \
    {                                                                                              \
        BF_CELL_BOOL, s, sizeof s - 1                                                              \
    }
#define X(s)                                                                                       \
    {                                                                                              \
        BF_CELL_ERROR, s, sizeof s - 1                                                             \
    }
#define E                                                                                          \
    {                                                                                              \
        BF_CELL_EMPTY, "", 0                                                                       \
    }
    const bf_cell rows[][10] = {
        {T("0701"), T("360734197003121234"), T("360734100201"), N("4"), N("125.5"), D("2016-03-15"),
         B("TRUE"), X("#N/A"), E, T("王秀英 <&>\"'")},
        {T("HH-002"), T("36072119850708402X"), N("360721100203"), N("-3"), N("1.5E+3"),
         D("1900-03-01"), B("FALSE"), E, E, T("第一行\n第二行")},
        {T("a\x01"
           "b\x1f"
           "c"),
         T("_x0041_ stays"), E, E, E, E, E, E, E, E},
    };
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(xlsx_writer_row(w, rows[i], 10, &err), BF_OK);
    assert_int_equal(xlsx_writer_rows(w), 4);
    /* Nothing at the destination before close. */
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);
    assert_int_equal(xlsx_writer_close(w, &err), BF_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    static const char expected[] =
        "1: T[户编号] T[身份证号] T[区划代码] T[人口] T[投资] T[认定日期] T[已脱贫] T[错误] E[] "
        "T[备注]\n"
        "2: T[0701] T[360734197003121234] T[360734100201] N[4] N[125.5] D[2016-03-15] B[TRUE] "
        "T[#N/A] E[] T[王秀英 <&>\"']\n"
        "3: T[HH-002] T[36072119850708402X] N[360721100203] N[-3] N[1500] D[1900-03-01] B[FALSE] "
        "E[] E[] T[第一行\n第二行]\n"
        "4: T[a\x01"
        "b\x1f"
        "c] T[_x0041_ stays]\n";
    expect_rows(path, NULL, 0, "户信息", expected);

    /* Widths follow the widest value (CJK counts double); bold header. */
    int zerr;
    zip_t *za = zip_open(path, ZIP_RDONLY, &zerr);
    assert_non_null(za);
    zip_file_t *zf = zip_fopen(za, "xl/worksheets/sheet1.xml", 0);
    assert_non_null(zf);
    char xml[8192];
    zip_int64_t n = zip_fread(zf, xml, sizeof xml - 1);
    assert_true(n > 0);
    xml[n] = '\0';
    zip_fclose(zf);
    zip_discard(za);
    assert_non_null(strstr(xml, "<col min=\"2\" max=\"2\" width=\"20.")); /* 18 digits + 2 */
    assert_non_null(strstr(xml, "<col min=\"1\" max=\"1\" width=\"8."));  /* at least 8 */
    assert_non_null(strstr(xml, "<pane ySplit=\"1\""));

    /* The same into memory. */
    assert_int_equal(xlsx_writer_open(NULL, "户信息", &w, &err), BF_OK);
    assert_int_equal(xlsx_writer_header(w, titles, 10, &err), BF_OK);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(xlsx_writer_row(w, rows[i], 10, &err), BF_OK);
    char *data;
    size_t len;
    assert_int_equal(xlsx_writer_close_mem(w, &data, &len, &err), BF_OK);
    expect_rows(NULL, data, len, NULL, expected);
    free(data);
    free(dir);
}

static void test_writer_errors(void **state)
{
    (void)state;
    char *dir = bf_test_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/out.xlsx", dir);
    bf_error err;
    xlsx_writer *w = (xlsx_writer *)&w;

    static const struct {
        const char *name;
        const char *fragment;
    } bad_names[] = {
        {"", "不能为空"},
        {"a/b", "不能含有"},
        {"'引号'", "单引号"},
        {"一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二", "31 个字符"},
    };
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        assert_int_equal(xlsx_writer_open(path, bad_names[i].name, &w, &err), BF_ERR_INVALID);
        assert_null(w);
        assert_non_null(strstr(err.msg, bad_names[i].fragment));
    }

    assert_int_equal(xlsx_writer_open(path, "数据", &w, &err), BF_OK);
    bf_cell row1[] = {{BF_CELL_TEXT, "ok", 2}};
    assert_int_equal(xlsx_writer_row(w, row1, 1, &err), BF_OK);
    const char *titles[] = {"late"};
    assert_int_equal(xlsx_writer_header(w, titles, 1, &err), BF_ERR_INTERNAL);
    bf_cell bad_number[] = {{BF_CELL_EMPTY, "", 0}, {BF_CELL_NUMBER, "12元", 5}};
    assert_int_equal(xlsx_writer_row(w, bad_number, 2, &err), BF_ERR_INVALID);
    assert_non_null(strstr(err.msg, "第 2 行 B 列：“12元”不是数值"));
    bf_cell bad_date[] = {{BF_CELL_DATE, "2023-02-30", 10}};
    assert_int_equal(xlsx_writer_row(w, bad_date, 1, &err), BF_ERR_INVALID);
    assert_non_null(strstr(err.msg, "不是日期"));
    bf_cell bad_utf8[] = {{BF_CELL_TEXT, "\xe4\xb8", 2}};
    assert_int_equal(xlsx_writer_row(w, bad_utf8, 1, &err), BF_ERR_INVALID);
    assert_non_null(strstr(err.msg, "不是有效的 UTF-8"));
    size_t big = 40000;
    char *text = malloc(big + 1);
    assert_non_null(text);
    memset(text, 'x', big);
    text[big] = '\0';
    bf_cell too_long[] = {{BF_CELL_TEXT, text, big}};
    assert_int_equal(xlsx_writer_row(w, too_long, 1, &err), BF_ERR_TOO_LARGE);
    assert_non_null(strstr(err.msg, "32767"));
    free(text);
    /* Abort leaves nothing behind: no destination, no temporary file. */
    xlsx_writer_abort(w);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", dir);
    assert_int_equal(system(cmd), 0);

    /* A folder that does not exist. */
    snprintf(path, sizeof path, "%s/no/such/dir/out.xlsx", dir);
    assert_int_equal(xlsx_writer_open(path, "数据", &w, &err), BF_ERR_IO);
    assert_non_null(strstr(err.msg, "无法创建文件"));
    /* Closing a memory-only writer to a path is a usage error. */
    assert_int_equal(xlsx_writer_open(NULL, "数据", &w, &err), BF_OK);
    assert_int_equal(xlsx_writer_close(w, &err), BF_ERR_USAGE);
    free(dir);
}

/* ---- streaming ---- */

static size_t heap_in_use(void)
{
    return mallinfo2().uordblks;
}

static void test_streaming_200k_rows(void **state)
{
    (void)state;
    enum { NROWS = 200000 };
    char *dir = bf_test_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/big.xlsx", dir);
    bf_error err;
    xlsx_writer *w;
    assert_int_equal(xlsx_writer_open(path, "大表", &w, &err), BF_OK);
    const char *titles[] = {"户编号", "区划代码", "姓名", "认定日期", "人口", "收入"};
    assert_int_equal(xlsx_writer_header(w, titles, 6, &err), BF_OK);
    size_t write_base = heap_in_use(), write_peak = write_base;
    for (long i = 0; i < NROWS; i++) {
        char code[32], region[32], date[16], size[8], income[32];
        snprintf(code, sizeof code, "HH-%06ld", i);
        snprintf(region, sizeof region, "3607%08ld", i % 100000000);
        snprintf(date, sizeof date, "20%02ld-%02ld-%02ld", 10 + i % 15, 1 + i % 12, 1 + i % 28);
        snprintf(size, sizeof size, "%ld", 1 + i % 9);
        snprintf(income, sizeof income, "%ld.%02ld", 5000 + i % 30000, i % 100);
        bf_cell cells[] = {
            {BF_CELL_TEXT, code, strlen(code)},         {BF_CELL_TEXT, region, strlen(region)},
            {BF_CELL_TEXT, "张三丰", strlen("张三丰")}, {BF_CELL_DATE, date, strlen(date)},
            {BF_CELL_NUMBER, size, strlen(size)},       {BF_CELL_NUMBER, income, strlen(income)},
        };
        assert_int_equal(xlsx_writer_row(w, cells, 6, &err), BF_OK);
        if (i % 1000 == 0 && heap_in_use() > write_peak)
            write_peak = heap_in_use();
    }
    assert_int_equal(xlsx_writer_close(w, &err), BF_OK);

    bf_sheet *sheet;
    assert_int_equal(bf_sheet_open(path, NULL, &sheet, &err), BF_OK);
    size_t read_base = heap_in_use(), read_peak = read_base;
    long nrows = 0, last = 0;
    char last_code[32] = "";
    bf_row row;
    bool has_row;
    for (;;) {
        assert_int_equal(bf_sheet_next(sheet, &row, &has_row, &err), BF_OK);
        if (!has_row)
            break;
        nrows++;
        assert_int_equal(row.number, nrows);
        assert_int_equal(row.ncells, 6);
        last = row.number;
        snprintf(last_code, sizeof last_code, "%s", row.cells[0].text);
        if (nrows == 2) {
            assert_string_equal(row.cells[0].text, "HH-000000");
            assert_int_equal(row.cells[1].kind, BF_CELL_TEXT);
            assert_string_equal(row.cells[1].text, "360700000000");
            assert_int_equal(row.cells[3].kind, BF_CELL_DATE);
            assert_string_equal(row.cells[3].text, "2010-01-01");
            assert_string_equal(row.cells[5].text, "5000");
        }
        if (nrows % 1000 == 0 && heap_in_use() > read_peak)
            read_peak = heap_in_use();
    }
    size_t done, total;
    bf_sheet_progress(sheet, &done, &total);
    bf_sheet_close(sheet);
    assert_int_equal(nrows, NROWS + 1);
    assert_int_equal(last, NROWS + 1);
    assert_string_equal(last_code, "HH-199999");
    assert_int_equal(done, total);
    assert_true(total > (size_t)30 << 20); /* the sheet XML is big... */
#ifndef BF_ASAN
    /* ...but memory is flat while writing and reading it (ASan's allocator
     * does not report through mallinfo2). */
    print_message("heap growth: writing %zu bytes, reading %zu bytes\n", write_peak - write_base,
                  read_peak - read_base);
    assert_true(write_peak - write_base < ((size_t)2 << 20));
    assert_true(read_peak - read_base < ((size_t)2 << 20));
#endif
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_households_fixture),
        cmocka_unit_test(test_regions_fixture),
        cmocka_unit_test(test_sheet_selection_fixture),
        cmocka_unit_test(test_missing_sheet),
        cmocka_unit_test(test_kinds_sparse_and_styles),
        cmocka_unit_test(test_date1904_and_prefixes),
        cmocka_unit_test(test_package_routing),
        cmocka_unit_test(test_bad_sheets),
        cmocka_unit_test(test_error_is_sticky_and_rows_before_it_come_out),
        cmocka_unit_test(test_cell_too_big),
        cmocka_unit_test(test_broken_packages),
        cmocka_unit_test(test_corrupt_and_oversized_entries),
        cmocka_unit_test(test_zip_bomb_caps),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_writer_errors),
        cmocka_unit_test(test_streaming_200k_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
