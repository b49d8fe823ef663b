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

#include <stdbool.h>

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
