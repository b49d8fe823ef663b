/*
 * cmd_templates.c - `bangfu templates`: the registry templates (columns,
 * aliases, types, required, enumerations) as Markdown or JSON, generated from
 * the one template table so the docs never drift from the code.
 */
#include "cli/cli.h"
#include "domain/template.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
    [TPL_TEXT] = "text",
    [TPL_CODE] = "code",
    [TPL_REGION_CODE] = "region code (12 digits; 2/4/6/9 padded)",
    [TPL_INT] = "integer >= 0",
    [TPL_YEAR] = "year 2000-2100",
    [TPL_MONEY] = "yuan >= 0, <= 2 decimals (stored as fen)",
    [TPL_MONEY_SIGNED] = "yuan, may be negative, <= 2 decimals (fen)",
    [TPL_DATE] = "date YYYY-MM-DD or YYYY/M/D",
    [TPL_ENUM] = "one of",
    [TPL_ID_NUMBER] = "resident ID number (GB 11643; stored hashed + encrypted)",
    [TPL_USCC] = "unified social credit code (GB 32100)",
    [TPL_KW] = "kW, <= 3 decimals (stored as W)",
    [TPL_FLAGS] = "flags, separated by 、 or |",
    [TPL_KWH] = "kWh, integer >= 0",
};

static void enum_text(const tpl_enum_value *values, char *out, size_t out_size)
{
    size_t used = 0;
    out[0] = '\0';
    for (const tpl_enum_value *v = values; v && v->id; v++) {
        int n = snprintf(out + used, out_size - used, "%s%s (%s)", v == values ? "" : ", ", v->zh,
                         v->id);
        if (n < 0 || (size_t)n >= out_size - used)
            break;
        used += (size_t)n;
    }
}

int cli_cmd_templates(int argc, char **argv)
{
    bool json = argc > 1 && strcmp(argv[1], "--format=json") == 0;
    if (argc > 1 && !json && !(argc > 2 && strcmp(argv[1], "--format") == 0))
        return cli_usage_error("templates", "只支持 --format markdown|json");
    if (argc > 2)
        json = strcmp(argv[2], "json") == 0;
    json_t *root = json ? json_object() : NULL;
    for (int kind = 0; kind < TPL_KIND_COUNT; kind++) {
        const tpl_template *tpl = tpl_get((tpl_kind)kind);
        json_t *columns = json ? json_array() : NULL;
        if (!json) {
            printf("### `%s` — %s\n\n", tpl->name, tpl->name_zh);
            printf("| header | alias | type | required | key |\n|---|---|---|---|---|\n");
        }
        for (size_t i = 0; i < tpl->ncolumns; i++) {
            const tpl_column *c = &tpl->columns[i];
            char values[1024] = "";
            if (c->enum_values)
                enum_text(c->enum_values, values, sizeof values);
            if (json) {
                json_t *col =
                    json_pack("{s:s,s:s,s:s,s:b,s:b}", "header", c->header, "alias", c->alias,
                              "type", type_names[c->type], "required", c->required, "key", c->key);
                if (c->enum_values) {
                    json_t *list = json_array();
                    for (const tpl_enum_value *v = c->enum_values; v->id; v++)
                        json_array_append_new(list,
                                              json_pack("{s:s,s:s}", "id", v->id, "zh", v->zh));
                    json_object_set_new(col, "values", list);
                }
                json_array_append_new(columns, col);
            } else {
                printf("| %s | `%s` | %s%s%s | %s | %s |\n", c->header, c->alias,
                       type_names[c->type], values[0] ? ": " : "", values, c->required ? "yes" : "",
                       c->key ? "yes" : "");
            }
        }
        if (json)
            json_object_set_new(root, tpl->name, columns);
        else
            printf("\n");
    }
    if (json) {
        char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(root);
        if (!text)
            return 70;
        puts(text);
        free(text);
    }
    return 0;
}
