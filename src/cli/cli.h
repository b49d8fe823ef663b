/*
 * cli.h - what every sub-command shares: the command table entry, opening the
 * database named by --db with its schema checked, and printing errors in
 * Chinese. Each sub-command lives in src/cli/cmd_<name>.c and exports one
 * cli_cmd_<name>() handler listed in the table in src/main.c.
 */
#ifndef BF_CLI_H
#define BF_CLI_H

#include "core/status.h"
#include "store/store.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

typedef int (*cli_handler)(int argc, char **argv);

typedef struct {
    const char *name;
    cli_handler run;
    const char *summary; /* one line, English (developer/operator docs) */
    const char *usage;   /* full help text */
} cli_command;

/* Print "bangfu: <message>" to stderr and return the status's exit code. */
int cli_fail(const bf_error *err);
/* Print a usage error for a command and return the usage exit code (2). */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Open the database named by db_option (or $BANGFU_DB, or bangfu.db) and check
 * its schema is current. */
bf_status cli_open_db(const char *db_option, bf_store **out, bf_error *err);

/* true if h/--help is among argv[1..]; the usage is then printed to stdout. */
bool cli_wants_help(int argc, char **argv, const char *usage);

/* true when stderr is a terminal (progress lines go there). */
bool cli_stderr_is_tty(void);

/* A sub-command of a command with several (`bangfu rules export`, ...). */
typedef struct {
    const char *name;
    cli_handler run;
} cli_subcommand;

/* Run the sub-command argv[1] names, from a table of n, with argv[1..]; a usage
 * error (exit 2) naming the table's sub-commands when argv[1] is missing or
 * unknown. */
int cli_run_subcommand(const char *command, const cli_subcommand *table, size_t n, int argc,
                       char **argv);

/* ---- options several commands share ----------------------------------------------
 * --db, --year, --region, --by, --note, --format and --english-headers mean the
 * same in every command that takes them and are parsed, checked and reported
 * (in Chinese, exit code 2) in one place: cli_parse_options(). A command names
 * the shared options it takes and adds its own as getopt_long entries with a
 * handler. The usage text of each command stays its own. */

/* The shared options, as flags for cli_option_spec.shared. */
enum {
    CLI_DB = 1u << 0,
    CLI_YEAR = 1u << 1,
    CLI_REGION = 1u << 2,
    CLI_BY = 1u << 3,
    CLI_NOTE = 1u << 4,
    CLI_FORMAT = 1u << 5,
    CLI_ENGLISH_HEADERS = 1u << 6,
};

/* getopt values of the shared options; a command's own options use values
 * below CLI_OPT_SHARED (small enums or short-option letters). */
enum { CLI_OPT_SHARED = 0x1000 };

typedef enum { CLI_FORMAT_TEXT, CLI_FORMAT_CSV, CLI_FORMAT_JSON } cli_format;

/* What the shared options said; strings point into argv. */
typedef struct {
    const char *db, *by, *note;
    int64_t year;            /* 0 when --year was not given */
    const char *region_text; /* --region as given, NULL if not */
    bool has_region;         /* --region given and checked (spec.check_region) */
    char region[13];         /* the normalised 12-digit code */
    char prefix[13];         /* its prefix for "this region and below" */
    cli_format format;       /* text unless --format */
    bool english_headers;
    char actor[96]; /* --by, else "cli:$USER": who the audit log names */
} cli_options;

/* A command's own option: opt is getopt's value, arg its argument (or NULL).
 * Returns -1 when taken, else the exit code to return (cli_usage_error). */
typedef int (*cli_own_option)(void *ctx, const char *command, int opt, const char *arg);

typedef struct {
    unsigned shared;  /* the CLI_* options the command takes */
    int64_t year_min; /* --year's range; 0, 0 means 2000-2100 */
    int64_t year_max;
    bool check_region;        /* normalise --region while parsing; else the
                                 command checks region_text itself */
    const char *short_opts;   /* getopt short options of its own, or NULL */
    const struct option *own; /* its own long options, ended by a zero entry, or NULL */
    cli_own_option on_own;    /* called for its own options */
    void *ctx;                /* passed to on_own */
} cli_option_spec;

/* Parse argv[1..] (the words after the command name) into out with getopt_long;
 * positional arguments stay in argv[optind..]. Returns -1 when all is well,
 * else the exit code of the usage error it printed (unknown option, missing
 * value, a --year out of range, a bad --region or --format). */
int cli_parse_options(const char *command, int argc, char **argv, const cli_option_spec *spec,
                      cli_options *out);

/* Sub-command handlers. */
int cli_cmd_init(int argc, char **argv);
int cli_cmd_migrate(int argc, char **argv);
int cli_cmd_import(int argc, char **argv);
int cli_cmd_export(int argc, char **argv);
int cli_cmd_stats(int argc, char **argv);
int cli_cmd_demo(int argc, char **argv);
int cli_cmd_serve(int argc, char **argv);
int cli_cmd_user(int argc, char **argv);
int cli_cmd_audit(int argc, char **argv);
int cli_cmd_templates(int argc, char **argv);
int cli_cmd_copy(int argc, char **argv);
int cli_cmd_rules(int argc, char **argv);
int cli_cmd_thresholds(int argc, char **argv);
int cli_cmd_classify(int argc, char **argv);
int cli_cmd_explain(int argc, char **argv);
int cli_cmd_classification(int argc, char **argv);
int cli_cmd_warnings(int argc, char **argv);

#endif
