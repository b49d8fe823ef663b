/*
 * test_http_filters.c - list filters and spreadsheet uploads through the
 * real server: ?sector= (alone and with ?status=) on projects, ?kind= on
 * households and on benefits, each narrowing to exactly the matching records
 * and refusing an unknown value with 400 naming the parameter; and an XLSX
 * file (written here with libxlsxwriter) uploaded as multipart/form-data
 * and as a bare XLSX body, reported by row and column and committed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_http_test.h"
#include "bf_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

/* GET path: the codes of the items (field key) joined by ',' into out, and the total. */
static int64_t list_codes(test_client *c, const char *path, const char *key, char *out, size_t size)
{
    test_response r;
    test_call(c, "GET", path, NULL, &r);
    if (r.status != 200)
        fail_msg("GET %s -> %ld: %s", path, r.status, r.body ? r.body : "");
    out[0] = '\0';
    json_t *items = json_object_get(r.json, "items");
    for (size_t i = 0; i < json_array_size(items); i++) {
        const char *code = json_string_value(json_object_get(json_array_get(items, i), key));
        assert_non_null(code);
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s", used ? "," : "", code);
    }
    int64_t total = json_integer_value(json_object_get(r.json, "total"));
    test_response_free(&r);
    return total;
}

static void expect_codes(test_client *c, const char *path, const char *key, const char *want)
{
    char got[512];
    int64_t total = list_codes(c, path, key, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("GET %s: items %s, want %s", path, got, want);
    int64_t n = want[0] ? 1 : 0;
    for (const char *p = want; *p; p++)
        n += *p == ',';
    assert_int_equal(total, n);
}

static void expect_bad_param(test_client *c, const char *path, const char *param)
{
    test_response r;
    test_call(c, "GET", path, NULL, &r);
    assert_int_equal(r.status, 400);
    json_t *error = json_object_get(r.json, "error");
    assert_string_equal(json_string_value(json_object_get(error, "field")), param);
    test_response_free(&r);
}

static void test_sector_filter(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "admin1", TEST_PASSWORD), 200);
    expect_codes(&c, "/api/v1/projects?sector=pv&sort=code", "code", "PA1");
    expect_codes(&c, "/api/v1/projects?sector=breeding&sort=code", "code", "PB1");
    expect_codes(&c, "/api/v1/projects?sector=processing&status=stopped", "code", "PB2");
    expect_codes(&c, "/api/v1/projects?sector=processing&status=operating", "code", "");
    expect_codes(&c, "/api/v1/projects?sector=tourism", "code", "");
    /* The Chinese label names the same sector. */
    expect_codes(&c, "/api/v1/projects?sector=%E5%85%BB%E6%AE%96%E4%B8%9A", "code", "PB1");
    /* The scope still applies under a filter. */
    test_client a;
    test_client_init(&a, ts);
    assert_int_equal(test_login(&a, "opA", TEST_PASSWORD), 200);
    expect_codes(&a, "/api/v1/projects?sector=breeding", "code", "");
    expect_codes(&a, "/api/v1/projects?sector=planting", "code", "PA2");
    expect_bad_param(&c, "/api/v1/projects?sector=nonsense", "sector");
}

static void test_kind_filters(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "opA", TEST_PASSWORD), 200);
    /* A marginal household beside the seeded alleviated ones. */
    test_response r;
    test_call(&c, "POST", "/api/v1/households",
              "{\"code\":\"HA7\",\"region_code\":\"360102001001\",\"head_id_number\":"
              "\"360102199003030055\",\"head_name\":\"王五\",\"kind\":\"marginal\",\"size\":1,"
              "\"risk_status\":\"at_risk\"}",
              &r);
    assert_int_equal(r.status, 201);
    test_response_free(&r);
    test_client admin;
    test_client_init(&admin, ts);
    assert_int_equal(test_login(&admin, "admin1", TEST_PASSWORD), 200);
    expect_codes(&admin, "/api/v1/households?kind=marginal", "code", "HA7");
    expect_codes(&admin, "/api/v1/households?kind=alleviated&sort=code", "code", "HA1,HB1");
    expect_codes(&c, "/api/v1/households?kind=alleviated", "code", "HA1");
    expect_codes(&admin, "/api/v1/households?kind=hardship", "code", "");
    expect_bad_param(&admin, "/api/v1/households?kind=rich", "kind");
    expect_codes(&admin, "/api/v1/benefits?kind=dividend", "household_code", "HA1");
    expect_codes(&admin, "/api/v1/benefits?kind=jobs", "household_code", "HB1");
    expect_codes(&admin, "/api/v1/benefits?kind=land", "household_code", "");
    expect_bad_param(&admin, "/api/v1/benefits?kind=gift", "kind");
}

/* An XLSX of the projects template: header and rows of cells. */
static char *write_xlsx(const char *const rows[][8], size_t nrows, size_t *len)
{
    char *dir = bf_test_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/projects.xlsx", dir);
    free(dir);
    lxw_workbook *wb = workbook_new(path);
    assert_non_null(wb);
    lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);
    for (size_t r = 0; r < nrows; r++)
        for (size_t col = 0; col < 8; col++)
            worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)col, rows[r][col], NULL);
    assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
    char *data = bf_test_read_file(path, len);
    assert_non_null(data);
    return data;
}

static void test_xlsx_upload(void **state)
{
    test_server *ts = *state;
    test_client c;
    test_client_init(&c, ts);
    assert_int_equal(test_login(&c, "opA", TEST_PASSWORD), 200);
    static const char *const rows[][8] = {
        {"项目编号", "项目名称", "区划代码", "产业类别", "建设年份", "总投资", "经营模式",
         "经营状态"},
        {"PX1", "表格项目", "360102001001", "种植业", "2024", "100.00", "村集体自营", "正常运营"},
        {"PX2", "坏行", "360102001001", "种植业", "二〇二四", "1", "村集体自营", "正常运营"},
    };
    size_t len = 0;
    char *xlsx = write_xlsx(rows, 3, &len);
    assert_true(len > 100 && xlsx[0] == 'P' && xlsx[1] == 'K');
    /* multipart/form-data, dry run: the bad row named by row and column. */
    static const char head[] = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
                               "filename=\"projects.xlsx\"\r\nContent-Type: application/"
                               "vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n";
    static const char tail[] = "\r\n--XyZ--\r\n";
    size_t body_len = strlen(head) + len + strlen(tail);
    char *body = malloc(body_len);
    assert_non_null(body);
    memcpy(body, head, strlen(head));
    memcpy(body + strlen(head), xlsx, len);
    memcpy(body + strlen(head) + len, tail, strlen(tail));
    test_response r;
    test_request(&c, "POST", "/api/v1/imports/projects", body, body_len,
                 "multipart/form-data; boundary=XyZ", NULL, true, &r);
    assert_int_equal(r.status, 200);
    assert_false(json_is_true(json_object_get(r.json, "committed")));
    assert_int_equal(json_integer_value(json_object_get(r.json, "bad")), 1);
    json_t *e = json_array_get(json_object_get(r.json, "errors"), 0);
    assert_int_equal(json_integer_value(json_object_get(e, "row")), 3);
    char *error_text = json_dumps(e, 0);
    assert_non_null(strstr(error_text, "建设年份"));
    free(error_text);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/projects/PX1", NULL, &r);
    assert_int_equal(r.status, 404);
    test_response_free(&r);
    /* Committed, skipping the bad row. */
    test_request(&c, "POST", "/api/v1/imports/projects?dry_run=false&skip_bad=true", body, body_len,
                 "multipart/form-data; boundary=XyZ", NULL, true, &r);
    assert_int_equal(r.status, 200);
    assert_true(json_is_true(json_object_get(r.json, "committed")));
    assert_int_equal(json_integer_value(json_object_get(r.json, "inserted")), 1);
    test_response_free(&r);
    test_call(&c, "GET", "/api/v1/projects/PX1", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "name")), "表格项目");
    assert_string_equal(json_string_value(json_object_get(r.json, "sector")), "planting");
    test_response_free(&r);
    /* The same file as a bare XLSX body, dry run: PX1 is now an update. */
    test_request(&c, "POST", "/api/v1/imports/projects?skip_bad=true", xlsx, len,
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", NULL, true,
                 &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "inserted")), 0);
    assert_int_equal(json_integer_value(json_object_get(r.json, "bad")), 1);
    test_response_free(&r);
    free(body);
    free(xlsx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sector_filter, test_server_setup,
                                        test_server_teardown),
        cmocka_unit_test_setup_teardown(test_kind_filters, test_server_setup, test_server_teardown),
        cmocka_unit_test_setup_teardown(test_xlsx_upload, test_server_setup, test_server_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
