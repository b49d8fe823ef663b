/*
 * text.c - strict UTF-8 decoding, trimming, counting, and the streaming
 * GB18030 -> UTF-8 converter. Owns nothing but the converter's iconv handle
 * and its carry-over bytes.
 */
#include "core/text.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

/*
 * Decoding follows the table of well-formed byte sequences in the Unicode
 * standard (section 3.9, table 3-7): the allowed range of the second byte
 * depends on the first, which is what rules out overlongs (E0 80..9F,
 * F0 80..8F), surrogates (ED A0..BF) and code points past U+10FFFF
 * (F4 90..BF, F5..FF). C0, C1 can only start overlongs and are never valid.
 */
typedef struct {
    unsigned char lo, hi;   /* first byte range */
    unsigned char len;      /* sequence length */
    unsigned char lo2, hi2; /* allowed range of the second byte */
    uint32_t mask;          /* payload bits of the first byte */
} utf8_lead;

static const utf8_lead utf8_leads[] = {
    {0xC2, 0xDF, 2, 0x80, 0xBF, 0x1F}, {0xE0, 0xE0, 3, 0xA0, 0xBF, 0x0F},
    {0xE1, 0xEC, 3, 0x80, 0xBF, 0x0F}, {0xED, 0xED, 3, 0x80, 0x9F, 0x0F},
    {0xEE, 0xEF, 3, 0x80, 0xBF, 0x0F}, {0xF0, 0xF0, 4, 0x90, 0xBF, 0x07},
    {0xF1, 0xF3, 4, 0x80, 0xBF, 0x07}, {0xF4, 0xF4, 4, 0x80, 0x8F, 0x07},
};

static const utf8_lead *lead_of(unsigned char c)
{
    for (size_t i = 0; i < sizeof utf8_leads / sizeof utf8_leads[0]; i++)
        if (c >= utf8_leads[i].lo && c <= utf8_leads[i].hi)
            return &utf8_leads[i];
    return NULL;
}

typedef enum { DEC_OK, DEC_INVALID, DEC_TRUNCATED } dec_result;

/* Decode at s[0..len), len > 0. On DEC_OK *n is the sequence length. */
static dec_result decode(const unsigned char *s, size_t len, uint32_t *cp, size_t *n)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        *n = 1;
        return DEC_OK;
    }
    const utf8_lead *lead = lead_of(s[0]);
    if (!lead)
        return DEC_INVALID;
    uint32_t value = s[0] & lead->mask;
    for (size_t i = 1; i < lead->len; i++) {
        if (i >= len)
            return DEC_TRUNCATED;
        unsigned char lo = i == 1 ? lead->lo2 : 0x80;
        unsigned char hi = i == 1 ? lead->hi2 : 0xBF;
        if (s[i] < lo || s[i] > hi)
            return DEC_INVALID;
        value = (value << 6) | (s[i] & 0x3F);
    }
    *cp = value;
    *n = lead->len;
    return DEC_OK;
}

size_t bf_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    size_t n = 0;
    if (len == 0 || decode((const unsigned char *)s, len, cp, &n) != DEC_OK)
        return 0;
    return n;
}

size_t bf_utf8_valid_prefix(const char *s, size_t len, bool *truncated)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    if (truncated)
        *truncated = false;
    while (i < len) {
        /* ASCII runs are the common case in CSV files. */
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = 0;
        dec_result r = decode(p + i, len - i, &cp, &n);
        if (r != DEC_OK) {
            if (truncated)
                *truncated = r == DEC_TRUNCATED;
            return i;
        }
        i += n;
    }
    return i;
}

bool bf_utf8_valid(const char *s, size_t len, size_t *bad_offset)
{
    size_t good = bf_utf8_valid_prefix(s, len, NULL);
    if (good == len)
        return true;
    if (bad_offset)
        *bad_offset = good;
    return false;
}

size_t bf_utf8_count(const char *s, size_t len)
{
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

/* White space trimmed from both ends, as UTF-8 byte strings. */
static const struct {
    const char *bytes;
    size_t len;
} trim_space[] = {
#define SP(s)                                                                                      \
    {                                                                                              \
        s, sizeof s - 1                                                                            \
    }
    SP(" "),
    SP("\t"),
    SP("\n"),
    SP("\v"),
    SP("\f"),
    SP("\r"),
    SP("\xC2\xA0"),     /* U+00A0 no-break space */
    SP("\xE3\x80\x80"), /* U+3000 ideographic space */
    SP("\xEF\xBB\xBF"), /* U+FEFF byte-order mark / zero-width no-break space */
    SP("\xC2\x85"),     /* U+0085 next line */
    SP("\xE1\x9A\x80"), /* U+1680 ogham space mark */
    SP("\xE2\x80\x80"), /* U+2000 .. U+200A: en quad .. hair space */
    SP("\xE2\x80\x81"),
    SP("\xE2\x80\x82"),
    SP("\xE2\x80\x83"),
    SP("\xE2\x80\x84"),
    SP("\xE2\x80\x85"),
    SP("\xE2\x80\x86"),
    SP("\xE2\x80\x87"),
    SP("\xE2\x80\x88"),
    SP("\xE2\x80\x89"),
    SP("\xE2\x80\x8A"),
    SP("\xE2\x80\xA8"), /* U+2028 line separator */
    SP("\xE2\x80\xA9"), /* U+2029 paragraph separator */
    SP("\xE2\x80\xAF"), /* U+202F narrow no-break space */
    SP("\xE2\x81\x9F"), /* U+205F medium mathematical space */
#undef SP
};

/* Length of the white-space character s starts with (at_end: ends with), or 0. */
static size_t space_at(const char *s, size_t len, bool at_end)
{
    for (size_t i = 0; i < sizeof trim_space / sizeof trim_space[0]; i++) {
        size_t n = trim_space[i].len;
        if (n <= len && memcmp(at_end ? s + len - n : s, trim_space[i].bytes, n) == 0)
            return n;
    }
    return 0;
}

/* Whether c may begin one of trim_space: an ASCII space or the lead byte of
 * one of the multi-byte ones. A quick filter before space_at (the importer
 * trims every cell, and most begin and end with other characters). */
static bool space_lead(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xC2 || (c >= 0xE1 && c <= 0xE3) ||
           c == 0xEF;
}

const char *bf_text_trim(const char *s, size_t len, size_t *out_len)
{
    size_t n;
    while (len > 0 && space_lead((unsigned char)s[0]) && (n = space_at(s, len, false)) > 0) {
        s += n;
        len -= n;
    }
    while (len > 0) {
        /* The lead byte of the last character (at most 3 continuation bytes). */
        size_t k = len - 1;
        while (k > 0 && len - k < 4 && ((unsigned char)s[k] & 0xC0) == 0x80)
            k--;
        if (!space_lead((unsigned char)s[k]) || (n = space_at(s, len, true)) == 0)
            break;
        len -= n;
    }
    *out_len = len;
    return s;
}

/*
 * The converter. GB18030 sequences are 1, 2 or 4 bytes long, so at most 3
 * bytes of an incomplete sequence are carried from one chunk to the next.
 * The carry is completed byte by byte from the next chunk (at most 3 tries),
 * then the rest of the chunk goes to iconv directly.
 */
#define CONV_CARRY_MAX 4

struct bf_text_conv {
    iconv_t cd;
    unsigned char carry[CONV_CARRY_MAX];
    size_t ncarry;
    size_t offset; /* bytes fed so far (the carry is the last ncarry of them) */
};

bf_status bf_text_conv_new(bf_text_conv **out, bf_error *err)
{
    *out = NULL;
    bf_text_conv *conv = calloc(1, sizeof *conv);
    if (!conv)
        return bf_error_set(err, BF_ERR_NOMEM, "内存不足");
    conv->cd = iconv_open("UTF-8", "GB18030");
    if (conv->cd == (iconv_t)-1) {
        free(conv);
        return bf_error_set(err, BF_ERR_UNSUPPORTED, "系统缺少 GB18030 编码转换支持");
    }
    *out = conv;
    return BF_OK;
}

void bf_text_conv_free(bf_text_conv *conv)
{
    if (!conv)
        return;
    iconv_close(conv->cd);
    free(conv);
}

typedef enum { RUN_DONE, RUN_INCOMPLETE, RUN_INVALID, RUN_FAIL } run_result;

/*
 * Convert in[0..len) with iconv, appending to out. *used is the number of
 * input bytes converted: all of them on RUN_DONE; up to the incomplete tail
 * on RUN_INCOMPLETE; up to the invalid sequence on RUN_INVALID. RUN_FAIL:
 * out could not grow (*rc says why).
 */
static run_result run_iconv(bf_text_conv *conv, const unsigned char *in, size_t len, bf_buf *out,
                            size_t *used, bf_status *rc)
{
    char stage[4096];
    char *src = (char *)in;
    size_t left = len;
    *used = 0;
    for (;;) {
        char *dst = stage;
        size_t room = sizeof stage;
        size_t r = iconv(conv->cd, &src, &left, &dst, &room);
        int saved = errno;
        if (dst > stage) {
            *rc = bf_buf_append(out, stage, (size_t)(dst - stage));
            if (*rc)
                return RUN_FAIL;
        }
        *used = len - left;
        if (r != (size_t)-1)
            return RUN_DONE;
        if (saved == E2BIG)
            continue;
        if (saved == EINVAL)
            return RUN_INCOMPLETE;
        return RUN_INVALID;
    }
}

static bf_status conv_invalid(size_t offset, size_t *bad_offset, bf_error *err)
{
    if (bad_offset)
        *bad_offset = offset;
    return bf_error_set(err, BF_ERR_PARSE, "第 %zu 字节处不是有效的 GB18030 编码", offset + 1);
}

static bf_status grow_fail(bf_status rc, bf_error *err)
{
    return bf_error_set(err, rc, rc == BF_ERR_NOMEM ? "内存不足" : "转换后的文本超出允许的大小");
}

bf_status bf_text_conv_feed(bf_text_conv *conv, const char *in, size_t len, bool last, bf_buf *out,
                            size_t *bad_offset, bf_error *err)
{
    const unsigned char *p = (const unsigned char *)in;
    bf_status rc = BF_OK;
    size_t used = 0;

    /* Complete the sequence carried over from the previous chunk. */
    while (conv->ncarry > 0 && len > 0) {
        conv->carry[conv->ncarry++] = *p++;
        len--;
        conv->offset++;
        run_result r = run_iconv(conv, conv->carry, conv->ncarry, out, &used, &rc);
        if (r == RUN_FAIL)
            return grow_fail(rc, err);
        if (r == RUN_INVALID)
            return conv_invalid(conv->offset - conv->ncarry + used, bad_offset, err);
        if (r == RUN_DONE) {
            conv->ncarry = 0;
        } else if (used > 0 || conv->ncarry == CONV_CARRY_MAX) {
            /* Cannot happen for GB18030 (the carry is one incomplete sequence),
             * but keep the carry bounded whatever iconv says. */
            return conv_invalid(conv->offset - conv->ncarry + used, bad_offset, err);
        }
    }

    if (len > 0) {
        run_result r = run_iconv(conv, p, len, out, &used, &rc);
        if (r == RUN_FAIL)
            return grow_fail(rc, err);
        if (r == RUN_INVALID)
            return conv_invalid(conv->offset + used, bad_offset, err);
        if (r == RUN_INCOMPLETE) {
            size_t tail = len - used;
            if (tail >= CONV_CARRY_MAX)
                return conv_invalid(conv->offset + used, bad_offset, err);
            memcpy(conv->carry, p + used, tail);
            conv->ncarry = tail;
        }
        conv->offset += len;
    }

    if (last && conv->ncarry > 0)
        return conv_invalid(conv->offset - conv->ncarry, bad_offset, err);
    return BF_OK;
}
