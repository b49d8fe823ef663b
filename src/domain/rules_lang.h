/*
 * rules_lang.h - the rule expression language: lexer, parser with type
 * checking, evaluator, failure explanation and explanation templates.
 *
 * A condition such as `status = '停产' or months_idle >= 24` is compiled once
 * (when a rule set is saved or loaded) against a table of symbols (the
 * indicators of one subject, see indicators.h) into a small tree held in a
 * fixed-size rl_program: no allocation, at most RL_MAX_NODES nodes, height at
 * most RL_MAX_HEIGHT. Evaluation walks that tree once: it cannot loop, call
 * anything or allocate.
 *
 * Values are exact: numbers are int64 fixed point scaled by RL_SCALE (10^4),
 * with every operation checked for overflow; there is no floating point.
 * Money indicators hold fen (so 1 yuan is 100 * RL_SCALE). Enumerated
 * indicators hold the index of their value in the enumeration (template.h);
 * string literals are normalised to that index at compile time, whether
 * written in Chinese ('停产') or as the English id ('stopped').
 *
 * A value may be unknown (no data: no previous year to compare with, no
 * threshold set, a division by zero, an overflow). Logic is three-valued as in
 * SQL: a comparison with an unknown operand is unknown, `false and unknown` is
 * false, `true or unknown` is true. A rule fires only when its condition is
 * true.
 *
 * Ownership: rl_program and rl_template are plain values (they copy their
 * source text) that refer to the caller's symbol table, which must outlive
 * them. Errors are reported in rl_diag with the byte offset and the 1-based
 * character column of the offending text and a Chinese message.
 */
#ifndef BF_RULES_LANG_H
#define BF_RULES_LANG_H

#include "core/buf.h"
#include "core/status.h"
#include "domain/template.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RL_SCALE        10000 /* fixed point: 4 decimals */
#define RL_SCALE_DIGITS 4
#define RL_MAX_SOURCE   4096 /* bytes of a condition */
#define RL_MAX_NODES    256  /* tree nodes of a condition */
#define RL_MAX_HEIGHT   32   /* nesting of the tree */
#define RL_MAX_CHAIN    64   /* operands of one and/or chain, items of an in list */
#define RL_MAX_TEMPLATE 1024 /* bytes of an explanation template */
#define RL_MAX_SEGMENTS 64   /* literal pieces + placeholders of a template */

typedef enum { RL_NUM = 1, RL_ENUM, RL_BOOL } rl_type;

/* How a number is shown: fen are shown as yuan with two decimals. */
typedef enum { RL_UNIT_PLAIN = 0, RL_UNIT_FEN } rl_unit;

/* One indicator a condition may name. */
typedef struct {
    const char *name; /* English identifier, e.g. "months_idle" */
    const char *zh;   /* Chinese name, also accepted in conditions */
    rl_type type;
    rl_unit unit;
    const char *unit_zh;               /* shown after values: "个月", "元", "%" ("" for none) */
    const tpl_enum_value *enumeration; /* for RL_ENUM: NULL-terminated table */
} rl_symbol;

typedef struct {
    const rl_symbol *symbols;
    size_t count;
} rl_symtab;

/* A value: numbers are fixed point (x RL_SCALE), booleans 0/1, enumerations the
 * index into the symbol's enumeration. known=false means no data. */
typedef struct {
    int64_t v;
    bool known;
} rl_value;

typedef enum { RL_FALSE = 0, RL_TRUE = 1, RL_UNKNOWN = 2 } rl_truth;

/* Where and why a condition or template was refused. */
typedef struct {
    size_t offset; /* byte offset into the source */
    size_t length; /* bytes of the offending text (at least 1 unless at the end) */
    size_t column; /* 1-based character (code point) position */
    char msg[384]; /* Chinese */
} rl_diag;

typedef struct {
    uint8_t kind;  /* internal node kind */
    uint8_t type;  /* rl_type of the node's value */
    uint8_t money; /* a number literal written with 元/万元 */
    uint8_t nkids;
    int16_t first; /* index of the first child in kids[] */
    int16_t height;
    int32_t sym;    /* symbol index (indicator nodes), or -1 */
    int64_t value;  /* literal value */
    uint32_t start; /* source span [start, end) */
    uint32_t end;
    uint32_t text_start; /* string literals: the text between the quotes */
    uint32_t text_len;
    const tpl_enum_value *enumeration; /* enum-typed nodes: their enumeration */
} rl_node;

/* A compiled condition. */
typedef struct {
    rl_node nodes[RL_MAX_NODES];
    int16_t kids[RL_MAX_NODES];
    int nnodes;
    int nkids;
    int root;
    const rl_symtab *symtab;
    size_t source_len;
    char source[RL_MAX_SOURCE + 1];
} rl_program;

typedef struct {
    int32_t sym;    /* -1 for literal text */
    uint32_t start; /* literal text span in text[] */
    uint32_t len;
} rl_segment;

/* A compiled explanation template: literal text with {indicator} placeholders. */
typedef struct {
    rl_segment segments[RL_MAX_SEGMENTS];
    int nsegments;
    const rl_symtab *symtab;
    size_t text_len;
    char text[RL_MAX_TEMPLATE + 1];
} rl_template;

/* Compile condition src[0..len) against symtab into *prog. Returns BF_OK, or
 * BF_ERR_PARSE (syntax), BF_ERR_INVALID (unknown indicator or value, type
 * mismatch) or BF_ERR_TOO_LARGE (a cap) with *diag filled in. The condition
 * must be a truth value (a comparison, `in`, a boolean indicator, true/false
 * or their combination with and/or/not). */
bf_status rl_compile(const char *src, size_t len, const rl_symtab *symtab, rl_program *prog,
                     rl_diag *diag);

/* Evaluate a compiled condition; values[i] is the value of symbol i. */
rl_truth rl_eval(const rl_program *prog, const rl_value *values);

/* Append to out, one line each ("  " indented, ending in '\n'), the parts of
 * the condition that made it not true for these values, with the values of
 * the indicators they name. For a condition that is true, appends nothing.
 * Fails only when out cannot grow. */
bf_status rl_explain_failure(const rl_program *prog, const rl_value *values, bf_buf *out);

/* Indices of the symbols the condition names, in order of first appearance,
 * into out (at most max); returns how many. */
size_t rl_program_symbols(const rl_program *prog, int32_t *out, size_t max);

/* Compile an explanation template: text with {name} placeholders ({{ and }}
 * stand for literal braces). Unknown names and unbalanced braces are refused
 * with their position. */
bf_status rl_template_compile(const char *src, size_t len, const rl_symtab *symtab,
                              rl_template *tpl, rl_diag *diag);

/* Fill the template with values (formatted as rl_format_value) into out. */
bf_status rl_template_render(const rl_template *tpl, const rl_value *values, bf_buf *out);

/* A value as users read it: yuan with two decimals for fen ("1234.50"),
 * decimals without trailing zeros otherwise ("4.5"), the Chinese label of an
 * enumeration value, 是/否, or 无数据 when unknown. No unit is appended. */
bf_status rl_format_value(const rl_symbol *sym, rl_value value, bf_buf *out);

/* A value for machines (snapshots, JSON): fen and counts as plain decimals
 * ("123400", "4.5"), the English id of an enumeration value, "true"/"false",
 * or "" when unknown. */
bf_status rl_format_raw(const rl_symbol *sym, rl_value value, bf_buf *out);

/* Number of a whole integer n as a fixed-point value (n * RL_SCALE); unknown on overflow. */
rl_value rl_num(int64_t n);
/* num / den as a fixed-point value, rounded half away from zero; unknown if
 * den is 0 or on overflow. rl_ratio(1, 3) is 0.3333. */
rl_value rl_ratio(int64_t num, int64_t den);
rl_value rl_unknown(void);
rl_value rl_bool(bool b);
/* The index of id in the symbol's enumeration as a value; unknown if absent. */
rl_value rl_enum(const rl_symbol *sym, const char *id, size_t len);

/* Two lines for a terminal: the source on one line (line breaks shown as
 * spaces) and a caret line under the offending text, aligned for wide (CJK)
 * characters. */
bf_status rl_diag_caret(const char *src, size_t len, const rl_diag *diag, bf_buf *out);

/* Index of the symbol named name (English or Chinese) in symtab, or -1. */
int rl_symtab_find(const rl_symtab *symtab, const char *name, size_t len);

#endif
