/*
 * export.c - a registry back out in its import template, scoped to a region
 * subtree, as rows of cells; and the CSV and XLSX files made from them.
 * Owns the SELECT of each registry (built from the template table) and the
 * temporary file that is renamed into place.
 */
#include "domain/export.h"
#include "core/buf.h"
#include "core/money.h"
#include "io/csv_write.h"
#include "io/validate.h"
#include "io/xlsx_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How each registry is joined to the region it belongs to (joins between
 * registries name the county key too: docs/scaling.md). */
static const struct {
    const char *from;
    const char *region_column;
    const char *order;
} export_sources[TPL_KIND_COUNT] = {
    [TPL_REGIONS] = {"regions t", "t.code", "t.code"},
    [TPL_PROJECTS] = {"projects t", "t.region_code", "t.code"},
    [TPL_ASSETS] =
        {"assets t JOIN projects p ON p.county_code = t.county_code AND p.code = t.project_code",
         "p.region_code", "t.code"},
    [TPL_PROJECT_YEARS] = {"project_years t JOIN projects p ON p.county_code = t.county_code AND "
                           "p.code = t.project_code",
                           "p.region_code", "t.project_code, t.year"},
    [TPL_HOUSEHOLDS] = {"households t", "t.region_code", "t.code"},
    [TPL_MEMBERS] = {"members t JOIN households h ON h.county_code = t.county_code AND "
                     "h.code = t.household_code",
                     "h.region_code",
                     "t.household_code, CASE WHEN t.relation = '户主' THEN 0 ELSE 1 END, "
                     "t.id_masked, t.id_hash"},
    [TPL_HOUSEHOLD_YEARS] = {"household_years t JOIN households h ON h.county_code = "
                             "t.county_code AND h.code = t.household_code",
                             "h.region_code", "t.household_code, t.year"},
    [TPL_BENEFITS] = {"benefits t JOIN households h ON h.county_code = t.county_code AND "
                      "h.code = t.household_code",
                      "h.region_code", "t.household_code, t.project_code, t.kind"},
};

static bf_status build_select(const tpl_template *tpl, bool scoped, bool one_county, bf_buf *sql)
{
    bf_status rc = bf_buf_append_str(sql, "SELECT ");
    for (size_t i = 0; i < tpl->ncolumns && rc == BF_OK; i++) {
        const tpl_column *column = &tpl->columns[i];
        if (column->type == TPL_ID_NUMBER)
            rc = bf_buf_printf(sql, "%st.%s_enc, t.%s_masked", i ? ", " : "", column->db_column,
                               column->db_column);
        else
            rc = bf_buf_printf(sql, "%st.%s", i ? ", " : "", column->db_column);
    }
    /* A region's rows: its counties by the county key (= for one county), then
     * the region range. Regions themselves are not distributed. */
    const char *where = scoped ? tpl->kind == TPL_REGIONS ? " WHERE %s >= ? AND %s < ?"
                                 : one_county ? " WHERE t.county_code = ? AND %s >= ? AND %s < ?"
                                              : " WHERE t.county_code >= ? AND t.county_code < ? "
                                                "AND %s >= ? AND %s < ?"
                               : "";
    if (rc == BF_OK)
        rc = bf_buf_printf(sql, " FROM %s", export_sources[tpl->kind].from);
    if (rc == BF_OK && scoped)
        rc = bf_buf_printf(sql, where, export_sources[tpl->kind].region_column,
                           export_sources[tpl->kind].region_column);
    if (rc == BF_OK)
        rc = bf_buf_printf(sql, " ORDER BY %s", export_sources[tpl->kind].order);
    return rc;
}

static void flags_text(int64_t flags, char *out, size_t out_size)
{
    size_t used = 0;
    out[0] = '\0';
    for (const tpl_enum_value *v = tpl_region_flags; v->id; v++) {
        if (!(flags & atoi(v->id)))
            continue;
        int n = snprintf(out + used, out_size - used, "%s%s", used ? "、" : "", v->zh);
        if (n < 0 || (size_t)n >= out_size - used)
            break;
        used += (size_t)n;
    }
}

/* Text buffers of one exported row. */
#define EXPORT_CELL_MAX 600

bf_status export_rows(bf_store *store, tpl_kind kind, const export_options *options,
                      export_row_fn fn, void *ctx, bf_error *err)
{
    const tpl_template *tpl = tpl_get(kind);
    if (!tpl)
        return bf_error_set(err, BF_ERR_USAGE, "未知的导出类型");
    bf_cell cells[32];
    char(*texts)[EXPORT_CELL_MAX] = malloc(sizeof(char[EXPORT_CELL_MAX]) * tpl->ncolumns);
    bf_buf sql;
    bf_buf_init(&sql, 16384);
    bf_stmt *stmt = NULL;
    bf_status rc = BF_OK;
    if (!texts) {
        rc = bf_error_set(err, BF_ERR_NOMEM, "内存不足");
        goto out;
    }
    char lo[13], hi[13];
    bool scoped = false;
    if (options && options->region_code) {
        char code[13];
        const char *reason = NULL;
        if (!bf_region_code_normalize(options->region_code, strlen(options->region_code), code,
                                      &reason)) {
            rc = bf_error_set(err, BF_ERR_USAGE, "区划代码 %s 无效：%s", options->region_code,
                              reason ? reason : "");
            goto out;
        }
        bf_region_code_range(code, lo, hi);
        scoped = true;
    }
    if (options && options->reveal && !options->keys) {
        rc = bf_error_set(err, BF_ERR_USAGE, "显示完整身份证号需要密钥文件");
        goto out;
    }
    /* Header. */
    for (size_t i = 0; i < tpl->ncolumns; i++) {
        cells[i].kind = BF_CELL_TEXT;
        cells[i].text =
            options && options->header_aliases ? tpl->columns[i].alias : tpl->columns[i].header;
        cells[i].len = strlen(cells[i].text);
    }
    bf_row row = {1, tpl->ncolumns, cells};
    if (fn(ctx, &row)) {
        rc = bf_error_set(err, BF_ERR_IO, "写出失败");
        goto out;
    }
    char clo[7] = "", chi[7] = "";
    bool one_county = scoped && bf_region_range_counties(lo, hi, clo, chi, NULL);
    rc = build_select(tpl, scoped, one_county, &sql);
    if (rc) {
        bf_error_set(err, rc, "内存不足");
        goto out;
    }
    rc = store_prepare(store, sql.data, &stmt, err);
    if (rc)
        goto out;
    if (scoped) {
        int p = 1;
        if (kind != TPL_REGIONS) {
            store_bind_str(stmt, p++, clo);
            if (!one_county)
                store_bind_str(stmt, p++, chi);
        }
        store_bind_str(stmt, p++, lo);
        store_bind_str(stmt, p, hi);
    }
    long number = 1;
    for (;;) {
        bool has_row = false;
        rc = store_step(stmt, &has_row, err);
        if (rc || !has_row)
            break;
        int db_col = 0;
        for (size_t i = 0; i < tpl->ncolumns; i++) {
            const tpl_column *column = &tpl->columns[i];
            char *text = texts[i];
            bf_cell_kind cell_kind = BF_CELL_TEXT;
            text[0] = '\0';
            bool is_null = store_column_is_null(stmt, db_col);
            if (column->type == TPL_ID_NUMBER) {
                const char *enc = store_column_text(stmt, db_col, NULL);
                const char *masked = store_column_text(stmt, db_col + 1, NULL);
                db_col += 2;
                if (options && options->reveal) {
                    if (pii_id_decrypt(options->keys, enc, text, EXPORT_CELL_MAX) != BF_OK) {
                        rc = bf_error_set(err, BF_ERR_INVALID,
                                          "身份证号无法解密（密钥文件与数据库不匹配？）");
                        goto out;
                    }
                } else {
                    snprintf(text, EXPORT_CELL_MAX, "%s", masked);
                }
            } else if (is_null) {
                cell_kind = BF_CELL_EMPTY;
                db_col++;
            } else {
                int64_t value = store_column_int64(stmt, db_col);
                switch (column->type) {
                case TPL_MONEY:
                case TPL_MONEY_SIGNED:
                    bf_money_format(value, text, EXPORT_CELL_MAX);
                    cell_kind = BF_CELL_NUMBER;
                    break;
                case TPL_KW:
                    bf_decimal_format(value, 3, text, EXPORT_CELL_MAX);
                    cell_kind = BF_CELL_NUMBER;
                    break;
                case TPL_INT:
                case TPL_KWH:
                case TPL_YEAR:
                    snprintf(text, EXPORT_CELL_MAX, "%lld", (long long)value);
                    cell_kind = BF_CELL_NUMBER;
                    break;
                case TPL_FLAGS:
                    flags_text(value, text, EXPORT_CELL_MAX);
                    break;
                case TPL_ENUM:
                    snprintf(
                        text, EXPORT_CELL_MAX, "%s",
                        tpl_enum_zh(column->enum_values, store_column_text(stmt, db_col, NULL)));
                    break;
                case TPL_DATE:
                    snprintf(text, EXPORT_CELL_MAX, "%s", store_column_text(stmt, db_col, NULL));
                    cell_kind = BF_CELL_DATE;
                    break;
                default:
                    snprintf(text, EXPORT_CELL_MAX, "%s", store_column_text(stmt, db_col, NULL));
                    break;
                }
                db_col++;
            }
            if (cell_kind != BF_CELL_EMPTY && text[0] == '\0')
                cell_kind = BF_CELL_EMPTY;
            cells[i].kind = cell_kind;
            cells[i].text = text;
            cells[i].len = strlen(text);
        }
        row.number = ++number;
        if (fn(ctx, &row)) {
            rc = bf_error_set(err, BF_ERR_IO, "写出失败");
            goto out;
        }
    }
out:
    store_finalize(stmt);
    bf_buf_free(&sql);
    free(texts);
    return rc;
}

typedef struct {
    FILE *fp;
    xlsx_writer *xlsx;
    long rows;
} file_sink;

static int write_csv_row(void *ctx, const bf_row *row)
{
    file_sink *sink = ctx;
    const char *fields[32];
    size_t lens[32];
    for (size_t i = 0; i < row->ncells && i < 32; i++) {
        fields[i] = row->cells[i].text;
        lens[i] = row->cells[i].len;
    }
    if (row->number > 1)
        sink->rows++;
    return csv_write_row(sink->fp, fields, lens, row->ncells) != BF_OK;
}

static int write_xlsx_row(void *ctx, const bf_row *row)
{
    file_sink *sink = ctx;
    if (row->number == 1) {
        const char *titles[32];
        for (size_t i = 0; i < row->ncells && i < 32; i++)
            titles[i] = row->cells[i].text;
        return xlsx_writer_header(sink->xlsx, titles, row->ncells, NULL) != BF_OK;
    }
    sink->rows++;
    return xlsx_writer_row(sink->xlsx, row->cells, row->ncells, NULL) != BF_OK;
}

bf_status export_file(bf_store *store, tpl_kind kind, export_format format, const char *path,
                      const export_options *options, long *rows_written, bf_error *err)
{
    const tpl_template *tpl = tpl_get(kind);
    bool to_stdout = !path || strcmp(path, "-") == 0;
    if (to_stdout && format == EXPORT_XLSX)
        return bf_error_set(err, BF_ERR_USAGE, "XLSX 格式需要用 -o 指定输出文件");
    char tmp_path[4200] = "";
    file_sink sink = {0};
    bf_status rc = BF_OK;
    if (!to_stdout)
        snprintf(tmp_path, sizeof tmp_path, "%s.tmp-%d", path, (int)getpid());
    if (format == EXPORT_CSV) {
        sink.fp = to_stdout ? stdout : fopen(tmp_path, "wb");
        if (!sink.fp)
            return bf_error_set(err, BF_ERR_IO, "无法写入文件 %s", path);
        rc = csv_write_bom(sink.fp);
        if (rc == BF_OK)
            rc = export_rows(store, kind, options, write_csv_row, &sink, err);
        if (!to_stdout && fclose(sink.fp) != 0 && rc == BF_OK)
            rc = bf_error_set(err, BF_ERR_IO, "写入文件 %s 失败", path);
        if (to_stdout && fflush(stdout) != 0 && rc == BF_OK)
            rc = bf_error_set(err, BF_ERR_IO, "写出失败");
    } else {
        rc = xlsx_writer_open(tmp_path, tpl->name_zh, &sink.xlsx, err);
        if (rc)
            return rc;
        rc = export_rows(store, kind, options, write_xlsx_row, &sink, err);
        bf_error close_err;
        bf_status close_rc = xlsx_writer_close(sink.xlsx, &close_err);
        if (rc == BF_OK && close_rc) {
            rc = close_rc;
            *err = close_err;
        }
    }
    if (!to_stdout) {
        if (rc == BF_OK && rename(tmp_path, path) != 0)
            rc = bf_error_set(err, BF_ERR_IO, "无法写入文件 %s", path);
        if (rc)
            unlink(tmp_path);
    }
    if (rows_written)
        *rows_written = sink.rows;
    return rc;
}

bf_status export_empty_template(tpl_kind kind, export_format format, const char *path,
                                bf_error *err)
{
    const tpl_template *tpl = tpl_get(kind);
    if (!tpl)
        return bf_error_set(err, BF_ERR_USAGE, "未知的模板类型");
    bf_cell cells[32];
    for (size_t i = 0; i < tpl->ncolumns; i++) {
        cells[i].kind = BF_CELL_TEXT;
        cells[i].text = tpl->columns[i].header;
        cells[i].len = strlen(cells[i].text);
    }
    file_sink sink = {0};
    if (format == EXPORT_CSV) {
        bf_row row = {1, tpl->ncolumns, cells};
        sink.fp = fopen(path, "wb");
        if (!sink.fp)
            return bf_error_set(err, BF_ERR_IO, "无法写入文件 %s", path);
        bf_status rc = csv_write_bom(sink.fp);
        if (rc == BF_OK && write_csv_row(&sink, &row))
            rc = BF_ERR_IO;
        if (fclose(sink.fp) != 0 || rc)
            return bf_error_set(err, BF_ERR_IO, "写入文件 %s 失败", path);
        return BF_OK;
    }
    bf_status rc = xlsx_writer_open(path, tpl->name_zh, &sink.xlsx, err);
    if (rc)
        return rc;
    const char *titles[32];
    for (size_t i = 0; i < tpl->ncolumns; i++)
        titles[i] = cells[i].text;
    rc = xlsx_writer_header(sink.xlsx, titles, tpl->ncolumns, err);
    bf_error close_err;
    bf_status close_rc = xlsx_writer_close(sink.xlsx, &close_err);
    if (rc == BF_OK && close_rc) {
        *err = close_err;
        rc = close_rc;
    }
    return rc;
}
