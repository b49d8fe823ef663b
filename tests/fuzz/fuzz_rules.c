/*
 * fuzz_rules.c - libFuzzer target for the rule language: conditions are
 * compiled against the project or the household indicators, templates
 * compiled; whatever compiles is evaluated (with values taken from the input),
 * explained and rendered; whatever does not gets its caret line. Nothing may
 * crash, leak or read out of bounds, and a compiled condition must evaluate
 * to a truth value.
 */
#include "core/buf.h"
#include "domain/indicators.h"
#include "domain/rules_lang.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static rl_program prog;
static rl_template tpl;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0] % 3;
    const char *src = (const char *)data + 1;
    size_t len = size - 1;
    const rl_symtab *tab = ind_symtab(mode == 1 ? IND_HOUSEHOLD : IND_PROJECT);
    /* values: a mix of known numbers, enum indexes, booleans and unknowns */
    rl_value values[IND_P_COUNT > IND_H_COUNT ? IND_P_COUNT : IND_H_COUNT];
    for (size_t i = 0; i < tab->count; i++) {
        uint8_t b = len ? (uint8_t)src[i % len] : 0;
        const rl_symbol *sym = &tab->symbols[i];
        if (b % 7 == 0)
            values[i] = rl_unknown();
        else if (sym->type == RL_BOOL)
            values[i] = rl_bool(b & 1);
        else if (sym->type == RL_ENUM)
            values[i] = (rl_value){b % 3, true};
        else
            values[i] =
                (rl_value){(int64_t)b * 1234567 - 99999999 + (b % 2 ? INT64_MAX / 3 : 0), true};
    }
    bf_buf out;
    bf_buf_init(&out, 1 << 20);
    rl_diag diag;
    if (mode == 2) {
        if (rl_template_compile(src, len, tab, &tpl, &diag) == BF_OK)
            (void)rl_template_render(&tpl, values, &out);
        else
            (void)rl_diag_caret(src, len, &diag, &out);
    } else if (rl_compile(src, len, tab, &prog, &diag) == BF_OK) {
        rl_truth t = rl_eval(&prog, values);
        if (t != RL_TRUE && t != RL_FALSE && t != RL_UNKNOWN)
            abort();
        (void)rl_explain_failure(&prog, values, &out);
        int32_t syms[64];
        (void)rl_program_symbols(&prog, syms, 64);
    } else {
        if (diag.offset > len || diag.msg[0] == '\0')
            abort();
        (void)rl_diag_caret(src, len, &diag, &out);
    }
    bf_buf_free(&out);
    return 0;
}
