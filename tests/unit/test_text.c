/*
 * test_text.c - UTF-8 validation, trimming, counting and the streaming
 * GB18030 -> UTF-8 converter (core/text.h). Cases are tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bf_test.h"
#include "core/buf.h"
#include "core/text.h"

#include <stdlib.h>
#include <string.h>

#define B(s) s, sizeof s - 1

/* ---- validation ------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *bytes;
    size_t len;
    bool valid;
    size_t bad_offset; /* first bad byte when !valid */
    bool truncated;    /* the bad part is a cut-off sequence, not an invalid one */
} utf8_case;

static const utf8_case utf8_cases[] = {
    {"empty", B(""), true, 0, false},
    {"ascii", B("a,b\r\n"), true, 0, false},
    {"chinese", B("帮扶产业"), true, 0, false},
    {"2-byte lowest U+0080", B("\xC2\x80"), true, 0, false},
    {"3-byte lowest U+0800", B("\xE0\xA0\x80"), true, 0, false},
    {"U+D7FF before surrogates", B("\xED\x9F\xBF"), true, 0, false},
    {"U+E000 after surrogates", B("\xEE\x80\x80"), true, 0, false},
    {"U+FFFF", B("\xEF\xBF\xBF"), true, 0, false},
    {"4-byte lowest U+10000", B("\xF0\x90\x80\x80"), true, 0, false},
    {"U+20000 (CJK ext B)", B("\xF0\xA0\x80\x80"), true, 0, false},
    {"U+10FFFF highest", B("\xF4\x8F\xBF\xBF"), true, 0, false},
    {"overlong 2-byte slash C0 AF", B("a\xC0\xAF"), false, 1, false},
    {"overlong 2-byte C1 BF", B("\xC1\xBF"), false, 0, false},
    {"overlong 3-byte E0 80 AF", B("ab\xE0\x80\xAF"), false, 2, false},
    {"overlong 3-byte E0 9F BF", B("\xE0\x9F\xBF"), false, 0, false},
    {"overlong 4-byte F0 80 80 AF", B("\xF0\x80\x80\xAF"), false, 0, false},
    {"overlong 4-byte F0 8F BF BF", B("\xF0\x8F\xBF\xBF"), false, 0, false},
    {"surrogate U+D800", B("x\xED\xA0\x80"), false, 1, false},
    {"surrogate U+DFFF", B("\xED\xBF\xBF"), false, 0, false},
    {"above U+10FFFF: F4 90", B("\xF4\x90\x80\x80"), false, 0, false},
    {"F5 lead", B("\xF5\x80\x80\x80"), false, 0, false},
    {"FF byte", B("ok\xFF"), false, 2, false},
    {"lone continuation", B("中\x80"), false, 3, false},
    {"continuation missing mid-sequence",
     B("\xE4\xB8"
       "a"),
     false, 0, false},
    {"cut 3-byte at end", B("中\xE4\xB8"), false, 3, true},
    {"cut 4-byte at end", B("\xF0\xA0\x80"), false, 0, true},
    {"cut 2-byte at end", B("\xC3"), false, 0, true},
    {"GB18030 bytes are not UTF-8", B("\xCF\xEE\xC4\xBF"), false, 0, false},
};

static void test_utf8_validation_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
        const utf8_case *c = &utf8_cases[i];
        size_t bad = 12345;
        bool valid = bf_utf8_valid(c->bytes, c->len, &bad);
        if (valid != c->valid)
            fail_msg("case '%s': valid=%d, expected %d", c->name, valid, c->valid);
        bool truncated = !c->truncated;
        size_t prefix = bf_utf8_valid_prefix(c->bytes, c->len, &truncated);
        if (c->valid) {
            assert_int_equal(prefix, c->len);
            assert_false(truncated);
            continue;
        }
        if (bad != c->bad_offset || prefix != c->bad_offset)
            fail_msg("case '%s': bad offset %zu / prefix %zu, expected %zu", c->name, bad, prefix,
                     c->bad_offset);
        if (truncated != c->truncated)
            fail_msg("case '%s': truncated=%d, expected %d", c->name, truncated, c->truncated);
    }
}

static void test_utf8_decode(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        size_t n;
        uint32_t cp;
    } cases[] = {
        {B("A"), 1, 0x41},
        {B("\xC2\xA0"), 2, 0xA0},
        {B("\xE3\x80\x80"), 3, 0x3000},
        {B("\xE4\xB8\xAD"), 3, 0x4E2D},
        {B("\xF0\xA0\x80\x80"), 4, 0x20000},
        {B("\xF4\x8F\xBF\xBF"), 4, 0x10FFFF},
        {B("\xC0\x80"), 0, 0},
        {B("\xED\xA0\x80"), 0, 0},
        {B("\xE4\xB8"), 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t cp = 0xFFFFFFFF;
        size_t n = bf_utf8_decode(cases[i].bytes, cases[i].len, &cp);
        assert_int_equal(n, cases[i].n);
        if (n)
            assert_int_equal(cp, cases[i].cp);
    }
}

/* Every 1..4-byte sequence shape, checked against an independent rule: the
 * decoder accepts exactly the shortest encodings of U+0000..U+10FFFF without
 * surrogates, and re-encoding the decoded value gives the same bytes. */
static size_t encode(uint32_t cp, unsigned char *out)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static void test_utf8_exhaustive_two_and_three_bytes(void **state)
{
    (void)state;
    /* All 2- and 3-byte patterns with any lead and continuation-range bytes. */
    for (unsigned a = 0xC0; a <= 0xEF; a++) {
        for (unsigned b = 0x80; b <= 0xBF; b++) {
            size_t len = a < 0xE0 ? 2 : 3;
            for (unsigned c = 0x80; c <= (len == 3 ? 0xBFu : 0x80u); c++) {
                unsigned char s[3] = {(unsigned char)a, (unsigned char)b, (unsigned char)c};
                uint32_t cp = 0;
                size_t n = bf_utf8_decode((const char *)s, len, &cp);
                if (n == 0)
                    continue;
                unsigned char back[4];
                assert_int_equal(encode(cp, back), len);
                assert_memory_equal(back, s, len);
                assert_false(cp >= 0xD800 && cp <= 0xDFFF);
            }
        }
    }
    /* And every code point encodes to something the decoder accepts. */
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        unsigned char s[4];
        size_t len = encode(cp, s);
        bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
        uint32_t got = 0;
        size_t n = bf_utf8_decode((const char *)s, len, &got);
        if (surrogate) {
            assert_int_equal(n, 0);
        } else if (n != len || got != cp) {
            fail_msg("U+%04X not decoded", cp);
        }
    }
}

/* ---- trimming and counting --------------------------------------------- */

static void test_trim_table(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"", ""},
        {"   ", ""},
        {"abc", "abc"},
        {"  abc  ", "abc"},
        {"\t\r\n abc\v\f", "abc"},
        {"\xE3\x80\x80张三\xE3\x80\x80", "张三"}, /* U+3000 both ends */
        {"\xC2\xA0"
         "100\xC2\xA0",
         "100"}, /* U+00A0 */
        {" \xE3\x80\x80\xC2\xA0 混合 \xC2\xA0\xE3\x80\x80 ", "混合"},
        {"\xEF\xBB\xBF"
         "代码",
         "代码"},                                 /* stray BOM */
        {"\xE2\x80\x83x\xE2\x80\xAF", "x"},       /* U+2003, U+202F */
        {"张 三", "张 三"},                       /* inner space kept */
        {"李\xE3\x80\x80四", "李\xE3\x80\x80四"}, /* inner U+3000 kept */
        {"\xE3\x80", "\xE3\x80"},                 /* a cut sequence is not space */
        {"\xE4\xB8\x80", "\xE4\xB8\x80"},         /* 一 U+4E00, not space */
        {"\xE3\x80\x81", "\xE3\x80\x81"},         /* 、 U+3001, not space */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = 0;
        const char *s = bf_text_trim(cases[i].in, strlen(cases[i].in), &len);
        if (len != strlen(cases[i].out) || memcmp(s, cases[i].out, len) != 0)
            fail_msg("trim case %zu: got '%.*s'", i, (int)len, s);
        /* The result points into the input. */
        assert_true(s >= cases[i].in && s + len <= cases[i].in + strlen(cases[i].in));
    }
}

static void test_count(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
    } cases[] = {
        {"", 0},
        {"abc", 3},
        {"江西省", 3},
        {"a中b", 3},
        {"\xF0\xA0\x80\x80"
         "x",
         2},
        {"\xE3\x80\x80", 1},
        {"赣鄱正品 2025", 9},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(bf_utf8_count(cases[i].s, strlen(cases[i].s)), cases[i].n);
}

/* ---- GB18030 converter ------------------------------------------------- */

/* Convert in[] fed in pieces of the given sizes (cycled); returns status. */
static bf_status convert_pieces(const char *in, size_t len, const size_t *sizes, size_t nsizes,
                                bf_buf *out, size_t *bad)
{
    bf_text_conv *conv = NULL;
    bf_error err;
    bf_status rc = bf_text_conv_new(&conv, &err);
    assert_int_equal(rc, BF_OK);
    size_t pos = 0, k = 0;
    while (rc == BF_OK && pos < len) {
        size_t n = sizes[k++ % nsizes];
        if (n > len - pos)
            n = len - pos;
        rc = bf_text_conv_feed(conv, in + pos, n, false, out, bad, &err);
        pos += n;
    }
    if (rc == BF_OK)
        rc = bf_text_conv_feed(conv, "", 0, true, out, bad, &err);
    if (rc)
        assert_true(err.msg[0] != '\0');
    bf_text_conv_free(conv);
    return rc;
}

static void read_fixture(const char *name, char **data, size_t *len)
{
    char path[4096];
    bf_test_source_path(name, path, sizeof path);
    *data = bf_test_read_file(path, len);
    assert_non_null(*data);
}

static void test_gb18030_fixture_every_split(void **state)
{
    (void)state;
    char *gb = NULL, *utf8 = NULL;
    size_t gb_len = 0, utf8_len = 0;
    read_fixture("tests/fixtures/csv/households_gb18030.csv", &gb, &gb_len);
    read_fixture("tests/fixtures/csv/households_utf8.csv", &utf8, &utf8_len);
    assert_int_not_equal(gb_len, utf8_len);
    /* The fixture holds 4-byte GB18030 characters (outside GBK). */
    assert_non_null(memmem(gb, gb_len, "\x95\x32\x82\x36", 4)); /* U+20000 */
    assert_non_null(memmem(gb, gb_len, "\x81\x39\xEE\x39", 4)); /* U+3400 */
    /* One piece, then a split at every offset, then one byte at a time. */
    for (size_t split = 0; split <= gb_len; split++) {
        size_t sizes[2] = {split ? split : gb_len, gb_len};
        bf_buf out;
        bf_buf_init(&out, 1 << 20);
        size_t bad = 0;
        assert_int_equal(convert_pieces(gb, gb_len, sizes, 2, &out, &bad), BF_OK);
        assert_int_equal(out.len, utf8_len);
        assert_memory_equal(out.data, utf8, utf8_len);
        bf_buf_free(&out);
    }
    size_t ones[1] = {1}, threes[1] = {3};
    bf_buf out;
    bf_buf_init(&out, 1 << 20);
    assert_int_equal(convert_pieces(gb, gb_len, ones, 1, &out, NULL), BF_OK);
    assert_memory_equal(out.data, utf8, utf8_len);
    bf_buf_reset(&out);
    assert_int_equal(convert_pieces(gb, gb_len, threes, 1, &out, NULL), BF_OK);
    assert_memory_equal(out.data, utf8, utf8_len);
    bf_buf_free(&out);
    free(gb);
    free(utf8);
}

typedef struct {
    const char *name;
    const char *in;
    size_t len;
    bf_status status;
    const char *out;   /* UTF-8 produced (before the error, if any) */
    size_t bad_offset; /* when status != BF_OK */
} conv_case;

static const conv_case conv_cases[] = {
    {"ascii", B("abc,123\r\n"), BF_OK, "abc,123\r\n", 0},
    {"two-byte", B("\xCF\xEE\xC4\xBF"), BF_OK, "项目", 0},
    {"four-byte U+20000", B("\x95\x32\x82\x36"), BF_OK, "\xF0\xA0\x80\x80", 0},
    {"four-byte U+0080", B("\x81\x30\x81\x30"), BF_OK, "\xC2\x80", 0},
    {"euro A2E3", B("\xA2\xE3"), BF_OK, "\xE2\x82\xAC", 0},
    {"0x80 is not GB18030",
     B("ab\x80"
       "cd"),
     BF_ERR_PARSE, "ab", 2},
    {"0xFF is not GB18030", B("\xCF\xEE\xFF"), BF_ERR_PARSE, "项", 2},
    {"bad trail byte", B("x\x81\x0A"), BF_ERR_PARSE, "x", 1},
    {"bad third byte of 4", B("\x81\x30\x20\x30"), BF_ERR_PARSE, "", 0},
    {"cut 2-byte at end", B("ok\xCF"), BF_ERR_PARSE, "ok", 2},
    {"cut 4-byte at end", B("\xCF\xEE\x95\x32\x82"), BF_ERR_PARSE, "项", 2},
};

static void test_gb18030_cases(void **state)
{
    (void)state;
    static const size_t splits[][2] = {{1000, 1000}, {1, 1}, {2, 3}, {3, 1}};
    for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++) {
        const conv_case *c = &conv_cases[i];
        for (size_t s = 0; s < sizeof splits / sizeof splits[0]; s++) {
            bf_buf out;
            bf_buf_init(&out, 1 << 16);
            size_t bad = 999;
            bf_status rc = convert_pieces(c->in, c->len, splits[s], 2, &out, &bad);
            if (rc != c->status)
                fail_msg("case '%s' split %zu: status %d, expected %d", c->name, s, rc, c->status);
            if (out.len != strlen(c->out) || (out.len && memcmp(out.data, c->out, out.len)))
                fail_msg("case '%s' split %zu: output '%.*s'", c->name, s, (int)out.len,
                         out.data ? out.data : "");
            if (rc && bad != c->bad_offset)
                fail_msg("case '%s' split %zu: bad offset %zu, expected %zu", c->name, s, bad,
                         c->bad_offset);
            bf_buf_free(&out);
        }
    }
}

static void test_gb18030_output_cap(void **state)
{
    (void)state;
    bf_text_conv *conv = NULL;
    bf_error err;
    assert_int_equal(bf_text_conv_new(&conv, &err), BF_OK);
    bf_buf out;
    bf_buf_init(&out, 5); /* "项目" needs 6 bytes */
    assert_int_equal(bf_text_conv_feed(conv, "\xCF\xEE\xC4\xBF", 4, true, &out, NULL, &err),
                     BF_ERR_TOO_LARGE);
    bf_buf_free(&out);
    bf_text_conv_free(conv);
    bf_text_conv_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_validation_table),
        cmocka_unit_test(test_utf8_decode),
        cmocka_unit_test(test_utf8_exhaustive_two_and_three_bytes),
        cmocka_unit_test(test_trim_table),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_gb18030_fixture_every_split),
        cmocka_unit_test(test_gb18030_cases),
        cmocka_unit_test(test_gb18030_output_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
