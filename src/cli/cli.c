/*
 * cli.c - helpers shared by the sub-commands.
 */
#include "cli/cli.h"
#include "store/migrate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cli_fail(const bf_error *err)
{
    fprintf(stderr, "bangfu: %s\n", bf_error_text(err));
    return bf_status_exit_code(err->status ? err->status : BF_ERR_INTERNAL);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "bangfu %s: ", command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n用法请见 bangfu %s --help\n", command);
    return bf_status_exit_code(BF_ERR_USAGE);
}

bf_status cli_open_db(const char *db_option, bf_store **out, bf_error *err)
{
    const char *target = store_default_target(db_option);
    bf_status rc = store_open(target, false, out, err);
    if (rc)
        return rc;
    rc = store_check_schema(*out, err);
    if (rc) {
        store_close(*out);
        *out = NULL;
    }
    return rc;
}

bool cli_wants_help(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return true;
        }
    }
    return false;
}

bool cli_stderr_is_tty(void)
{
    return isatty(STDERR_FILENO) == 1;
}
