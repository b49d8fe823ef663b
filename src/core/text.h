/*
 * text.h - UTF-8 text utilities: strict validation, trimming of ASCII and
 * Unicode white space, character counting, and a streaming GB18030 -> UTF-8
 * converter (on glibc iconv) for CSV files saved by Chinese Excel and WPS.
 *
 * Everything here works on byte ranges (pointer + length); nothing needs a
 * NUL terminator and nothing allocates except the converter, which owns its
 * iconv descriptor and is released with bf_text_conv_free().
 *
 * "Valid UTF-8" means RFC 3629: shortest form only (no overlongs such as
 * C0 80), no UTF-16 surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
 */
#ifndef BF_TEXT_H
#define BF_TEXT_H

#include "core/buf.h"
#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decode the code point at s[0..len): stores it in *cp and returns its length
 * (1..4). Returns 0 if the bytes are not valid UTF-8 there, or if len is too
 * short for the sequence the first byte announces (see bf_utf8_valid_prefix
 * to tell the two apart). len must be > 0. */
size_t bf_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Length of the longest prefix of s[0..len) made of whole valid UTF-8
 * sequences. If it is shorter than len, *truncated (if not NULL) tells why:
 * true when the rest is the valid beginning of a sequence cut off by the end
 * of the range (more bytes could complete it), false when the byte at the
 * returned offset starts an invalid sequence. */
size_t bf_utf8_valid_prefix(const char *s, size_t len, bool *truncated);

/* true if s[0..len) is entirely valid UTF-8. Otherwise false, and *bad_offset
 * (if not NULL) is the offset of the first byte of the first invalid (or
 * truncated) sequence. */
bool bf_utf8_valid(const char *s, size_t len, size_t *bad_offset);

/* Number of code points in s[0..len), which must be valid UTF-8 (for
 * invalid input it counts the bytes that are not continuation bytes). */
size_t bf_utf8_count(const char *s, size_t len);

/* Trim leading and trailing white space from s[0..len): ASCII white space
 * (space, \t, \n, \v, \f, \r), U+00A0 no-break space, U+3000 ideographic
 * (full-width) space, the other Unicode White_Space characters (U+0085,
 * U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F) and U+FEFF (a
 * stray byte-order mark). Returns a pointer into s and stores the trimmed
 * length in *out_len. Never allocates. */
const char *bf_text_trim(const char *s, size_t len, size_t *out_len);

/* A streaming GB18030 -> UTF-8 converter. Input may be cut anywhere (even
 * inside a 2- or 4-byte sequence): the incomplete tail is kept and joined to
 * the next chunk. Invalid input is reported, never replaced. */
typedef struct bf_text_conv bf_text_conv;

/* New converter. BF_ERR_UNSUPPORTED if iconv lacks GB18030, BF_ERR_NOMEM. */
bf_status bf_text_conv_new(bf_text_conv **out, bf_error *err);

/* Convert in[0..len) and append the UTF-8 to out. last=true says no more
 * input follows (an incomplete tail is then an error). On an invalid
 * sequence returns BF_ERR_PARSE; out then holds the conversion of every byte
 * before it, and *bad_offset (if not NULL) is the sequence's offset counted
 * from the first byte ever fed to this converter. BF_ERR_TOO_LARGE/NOMEM if
 * out cannot grow. After an error the converter must not be fed again. */
bf_status bf_text_conv_feed(bf_text_conv *conv, const char *in, size_t len, bool last, bf_buf *out,
                            size_t *bad_offset, bf_error *err);

/* Release the converter. NULL is allowed. */
void bf_text_conv_free(bf_text_conv *conv);

#endif
