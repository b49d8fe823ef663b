/*
 * sheet.c - picks the reader for a spreadsheet file by its content and
 * dispatches to it. Owns the bf_sheet handle; the readers own their state.
 */
#include "io/sheet.h"
#include "io/sheet_impl.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct bf_sheet {
    const bf_sheet_ops *ops;
    void *impl;
    bf_sheet_format format;
};

static const unsigned char zip_magic[4] = {'P', 'K', 3, 4};
/* OLE2 compound files: legacy .xls and password-protected .xlsx. */
static const unsigned char ole2_magic[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};

static bf_status refuse_ole2(bf_error *err)
{
    return bf_error_set(err, BF_ERR_UNSUPPORTED,
                        "该文件是加密的 Excel 文件或旧版 .xls 格式，无法读取；请在 Excel 中"
                        "另存为不加密的 .xlsx 或 CSV（UTF-8）后再导入");
}

static bf_status wrap(bf_status rc, void *impl, const bf_sheet_ops *ops, bf_sheet_format format,
                      bf_sheet **out, bf_error *err)
{
    if (rc)
        return rc;
    bf_sheet *sheet = calloc(1, sizeof *sheet);
    if (!sheet) {
        ops->close(impl);
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    }
    sheet->ops = ops;
    sheet->impl = impl;
    sheet->format = format;
    *out = sheet;
    return BF_OK;
}

bf_status bf_sheet_open(const char *path, const char *sheet_name, bf_sheet **out, bf_error *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return bf_error_set(err, BF_ERR_IO, "无法打开文件 %s", path);
    unsigned char magic[8] = {0};
    size_t got = fread(magic, 1, sizeof magic, fp);
    struct stat st;
    size_t total = (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode)) ? (size_t)st.st_size : 0;
    void *impl = NULL;
    const bf_sheet_ops *ops = NULL;
    if (got == sizeof ole2_magic && memcmp(magic, ole2_magic, sizeof ole2_magic) == 0) {
        fclose(fp);
        return refuse_ole2(err);
    }
    if (got >= sizeof zip_magic && memcmp(magic, zip_magic, sizeof zip_magic) == 0) {
        fclose(fp);
        bf_status rc = xlsx_open_file(path, sheet_name, &impl, &ops, err);
        return wrap(rc, impl, ops, BF_SHEET_XLSX, out, err);
    }
    if (sheet_name) {
        fclose(fp);
        return bf_error_set(err, BF_ERR_USAGE, "CSV 文件没有工作表，不能指定 --sheet");
    }
    if (fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return bf_error_set(err, BF_ERR_IO, "无法读取文件 %s", path);
    }
    bf_status rc = csv_open_file(fp, total, &impl, &ops, err);
    if (rc) {
        fclose(fp);
        return rc;
    }
    return wrap(rc, impl, ops, BF_SHEET_CSV, out, err);
}

bf_status bf_sheet_open_mem(const void *data, size_t len, const char *sheet_name, bf_sheet **out,
                            bf_error *err)
{
    *out = NULL;
    void *impl = NULL;
    const bf_sheet_ops *ops = NULL;
    if (len >= sizeof ole2_magic && memcmp(data, ole2_magic, sizeof ole2_magic) == 0)
        return refuse_ole2(err);
    if (len >= sizeof zip_magic && memcmp(data, zip_magic, sizeof zip_magic) == 0) {
        bf_status rc = xlsx_open_mem(data, len, sheet_name, &impl, &ops, err);
        return wrap(rc, impl, ops, BF_SHEET_XLSX, out, err);
    }
    if (sheet_name)
        return bf_error_set(err, BF_ERR_USAGE, "CSV 文件没有工作表，不能指定 --sheet");
    bf_status rc = csv_open_mem(data, len, &impl, &ops, err);
    return wrap(rc, impl, ops, BF_SHEET_CSV, out, err);
}

bf_status bf_sheet_next(bf_sheet *sheet, bf_row *row, bool *has_row, bf_error *err)
{
    *has_row = false;
    return sheet->ops->next(sheet->impl, row, has_row, err);
}

void bf_sheet_progress(const bf_sheet *sheet, size_t *done, size_t *total)
{
    *done = 0;
    *total = 0;
    if (sheet->ops->progress)
        sheet->ops->progress(sheet->impl, done, total);
}

bf_sheet_format bf_sheet_get_format(const bf_sheet *sheet)
{
    return sheet->format;
}

void bf_sheet_close(bf_sheet *sheet)
{
    if (!sheet)
        return;
    sheet->ops->close(sheet->impl);
    free(sheet);
}
