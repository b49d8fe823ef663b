/*
 * fuzz_xlsx_parts.c - libFuzzer target for the XML side of the XLSX reader.
 * The input is split on "--part--" into up to four parts: the worksheet,
 * the shared strings, the styles and the workbook, in that order; parts not
 * given get small valid defaults. They are zipped (stored, in memory, with
 * libzip) into a workbook read through bf_sheet_open_mem, every row checked
 * (xlsx_check.h). This reaches the XML walker, cells, styles and shared
 * strings, which random bytes in fuzz_xlsx.c rarely do through a valid ZIP.
 */
#include "xlsx_check.h"

#include <zip.h>

#include <stdint.h>
#include <string.h>

#define MAIN_NS  "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\""
#define REL_TYPE "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

static const char separator[] = "--part--";

static const char *const part_names[] = {
    "xl/worksheets/sheet1.xml",
    "xl/sharedStrings.xml",
    "xl/styles.xml",
    "xl/workbook.xml",
};

static const char *const part_defaults[] = {
    "<worksheet " MAIN_NS "><sheetData><row r=\"1\"><c t=\"s\"><v>0</v></c></row>"
    "</sheetData></worksheet>",
    "<sst " MAIN_NS "><si><t>一</t></si><si><r><t>二</t></r><r><t>三</t></r></si></sst>",
    "<styleSheet " MAIN_NS "><numFmts><numFmt numFmtId=\"164\" formatCode=\"yyyy&quot;年&quot;m"
    "&quot;月&quot;d&quot;日&quot;\"/></numFmts><cellXfs><xf/><xf numFmtId=\"14\"/>"
    "<xf numFmtId=\"164\"/></cellXfs></styleSheet>",
    "<workbook " MAIN_NS " xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/"
    "relationships\"><sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets>"
    "</workbook>",
};

static const char workbook_rels[] =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"" REL_TYPE "worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"" REL_TYPE "sharedStrings\" Target=\"sharedStrings.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"" REL_TYPE "styles\" Target=\"/xl/styles.xml\"/>"
    "</Relationships>";

static int add(zip_t *za, const char *name, const void *data, size_t len)
{
    zip_source_t *src = zip_source_buffer(za, data, len, 0);
    if (!src)
        return -1;
    zip_int64_t idx = zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
        zip_source_free(src);
        return -1;
    }
    return zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
}

/* The zipped workbook (malloc'd), or NULL. */
static unsigned char *build(const uint8_t *data, size_t size, size_t *out_len)
{
    const uint8_t *part[4];
    size_t part_len[4];
    size_t nparts = 0;
    const uint8_t *p = data, *end = data + size;
    while (nparts < 4) {
        /* The last part takes the rest, separators included. */
        const uint8_t *sep =
            nparts < 3 ? memmem(p, (size_t)(end - p), separator, sizeof separator - 1) : NULL;
        part[nparts] = p;
        part_len[nparts] = sep ? (size_t)(sep - p) : (size_t)(end - p);
        nparts++;
        if (!sep)
            break;
        p = sep + sizeof separator - 1;
    }
    unsigned char *out = NULL;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *mem = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = mem ? zip_open_from_source(mem, ZIP_TRUNCATE, &ze) : NULL;
    if (!za) {
        if (mem)
            zip_source_free(mem);
        zip_error_fini(&ze);
        return NULL;
    }
    zip_source_keep(mem);
    int bad = add(za, "xl/_rels/workbook.xml.rels", workbook_rels, sizeof workbook_rels - 1);
    for (size_t i = 0; i < 4 && !bad; i++)
        bad = i < nparts ? add(za, part_names[i], part[i], part_len[i])
                         : add(za, part_names[i], part_defaults[i], strlen(part_defaults[i]));
    if (bad || zip_close(za) != 0) {
        zip_discard(za);
    } else if (zip_source_open(mem) == 0) {
        zip_source_seek(mem, 0, SEEK_END);
        zip_int64_t n = zip_source_tell(mem);
        zip_source_seek(mem, 0, SEEK_SET);
        if (n > 0 && (out = malloc((size_t)n)) != NULL &&
            zip_source_read(mem, out, (zip_uint64_t)n) != n) {
            free(out);
            out = NULL;
        }
        *out_len = (size_t)n;
        zip_source_close(mem);
    }
    zip_source_free(mem);
    zip_error_fini(&ze);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len = 0;
    unsigned char *zip = build(data, size, &len);
    check(zip != NULL); /* building a valid ZIP never fails */
    bf_sheet *sheet = NULL;
    bf_error err;
    bf_error_clear(&err);
    bf_status rc = bf_sheet_open_mem(zip, len, NULL, &sheet, &err);
    if (rc) {
        check(sheet == NULL && err.msg[0] != '\0' && utf8_ok(err.msg, strlen(err.msg)));
    } else {
        check_all_rows(sheet);
        bf_sheet_close(sheet);
    }
    free(zip);
    return 0;
}
