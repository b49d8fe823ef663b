/*
 * csv_write.c - RFC 4180 CSV output with formula-injection protection.
 */
#include "io/csv_write.h"

#include <string.h>

bf_status csv_write_bom(FILE *fp)
{
    return fputs("\xEF\xBB\xBF", fp) < 0 ? BF_ERR_IO : BF_OK;
}

static bool needs_quotes(const char *s, size_t len)
{
    if (len == 0)
        return false;
    /* A leading '-' followed by a digit is an ordinary negative number. */
    if (s[0] == '=' || s[0] == '+' || s[0] == '@' ||
        (s[0] == '-' && !(len > 1 && s[1] >= '0' && s[1] <= '9')))
        return true;
    for (size_t i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return true;
    return false;
}

static bf_status write_field(FILE *fp, const char *s, size_t len)
{
    if (!needs_quotes(s, len))
        return fwrite(s, 1, len, fp) == len ? BF_OK : BF_ERR_IO;
    if (fputc('"', fp) == EOF)
        return BF_ERR_IO;
    /* A formula-looking field gets a leading apostrophe inside the quotes. */
    if (s[0] == '=' || s[0] == '+' || s[0] == '@' ||
        (s[0] == '-' && !(len > 1 && s[1] >= '0' && s[1] <= '9')))
        if (fputc('\'', fp) == EOF)
            return BF_ERR_IO;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"' && fputc('"', fp) == EOF)
            return BF_ERR_IO;
        if (fputc(s[i], fp) == EOF)
            return BF_ERR_IO;
    }
    return fputc('"', fp) == EOF ? BF_ERR_IO : BF_OK;
}

bf_status csv_write_row(FILE *fp, const char *const *fields, const size_t *lens, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && fputc(',', fp) == EOF)
            return BF_ERR_IO;
        const char *field = fields[i] ? fields[i] : "";
        size_t len = lens ? lens[i] : strlen(field);
        if (!fields[i])
            len = 0;
        bf_status rc = write_field(fp, field, len);
        if (rc)
            return rc;
    }
    return fputs("\r\n", fp) < 0 ? BF_ERR_IO : BF_OK;
}
