/*
 * rules_lang.c - lexer, recursive-descent parser with type checking,
 * evaluator and explanations of the rule expression language (see
 * rules_lang.h and docs/rules.md for the grammar).
 *
 * The parser builds the tree bottom-up in the program's fixed node array and
 * checks types as it goes, so a condition that compiles can only evaluate to a
 * truth value. Every recursive descent of the parser passes through a depth
 * counter and every node records its height, so neither parsing nor
 * evaluation can recurse deeper than about RL_MAX_HEIGHT frames.
 */
#include "domain/rules_lang.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

__extension__ typedef __int128 rl_i128;

/* ---- node kinds ---------------------------------------------------------- */

typedef enum {
    N_NUM,
    N_STR,
    N_BOOL,
    N_SYM,
    N_NEG,
    N_ADD,
    N_SUB,
    N_MUL,
    N_DIV,
    N_EQ,
    N_NE,
    N_LT,
    N_LE,
    N_GT,
    N_GE,
    N_AND,
    N_OR,
    N_NOT,
    N_IN,
    N_NOTIN
} node_kind;

/* ---- tokens -------------------------------------------------------------- */

typedef enum {
    T_END,
    T_NUM,
    T_STR,
    T_IDENT,
    T_AND,
    T_OR,
    T_NOT,
    T_IN,
    T_TRUE,
    T_FALSE,
    T_LP,
    T_RP,
    T_COMMA,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH
} tok_type;

typedef struct {
    tok_type type;
    size_t start, len;           /* whole token */
    size_t text_start, text_len; /* string contents */
    int64_t num;
    bool money;
} token;

/* Punctuation, longest spellings first; full-width forms as typed by Chinese IMEs. */
static const struct {
    const char *text;
    tok_type type;
} punctuation[] = {
    {"<=", T_LE},  {">=", T_GE},   {"!=", T_NE},  {"<>", T_NE},   {"==", T_EQ},    {"≥", T_GE},
    {"≤", T_LE},   {"≠", T_NE},    {"（", T_LP},  {"）", T_RP},   {"，", T_COMMA}, {"＝", T_EQ},
    {"＜", T_LT},  {"＞", T_GT},   {"×", T_STAR}, {"÷", T_SLASH}, {"=", T_EQ},     {"<", T_LT},
    {">", T_GT},   {"(", T_LP},    {")", T_RP},   {",", T_COMMA}, {"+", T_PLUS},   {"-", T_MINUS},
    {"*", T_STAR}, {"/", T_SLASH},
};

/* Words; the English ones in any letter case. Chinese ones need spaces around them. */
static const struct {
    const char *text;
    tok_type type;
} keywords[] = {
    {"and", T_AND},     {"or", T_OR},  {"not", T_NOT}, {"in", T_IN},  {"true", T_TRUE},
    {"false", T_FALSE}, {"且", T_AND}, {"或", T_OR},   {"非", T_NOT},
};

/* Quotes: opener and closer. */
static const struct {
    const char *open;
    const char *close;
} quotes[] = {
    {"'", "'"},
    {"\"", "\""},
    {"‘", "’"},
    {"“", "”"},
};

static const char *const type_names[] = {"", "数值", "文字（枚举值）", "真假值"};

static const struct {
    tok_type tok;
    node_kind kind;
} comparison_ops[] = {
    {T_EQ, N_EQ}, {T_NE, N_NE}, {T_LT, N_LT}, {T_LE, N_LE}, {T_GT, N_GT}, {T_GE, N_GE},
};

/* ---- small UTF-8 helpers ------------------------------------------------- */

/* Decode one code point; returns its length, or 0 if invalid or truncated. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    if (len == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/* Characters (code points) in s[0..len); invalid bytes count one each. */
static size_t utf8_chars(const char *s, size_t len)
{
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

static bool is_cjk(uint32_t cp)
{
    return (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
           (cp >= 0xF900 && cp <= 0xFAFF);
}

/* Columns a character takes in a terminal. */
static int display_width(uint32_t cp)
{
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
        (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
        (cp >= 0xFFE0 && cp <= 0xFFE6))
        return 2;
    return 1;
}

/* ---- fixed-point arithmetic ---------------------------------------------- */

/* n / d rounded half away from zero; d != 0. false if the result overflows int64. */
static bool div_round(rl_i128 n, rl_i128 d, int64_t *out)
{
    rl_i128 q = n / d, r = n % d;
    rl_i128 ar = r < 0 ? -r : r, ad = d < 0 ? -d : d;
    if (2 * ar >= ad)
        q += ((n < 0) == (d < 0)) ? 1 : -1;
    if (q > INT64_MAX || q < INT64_MIN)
        return false;
    *out = (int64_t)q;
    return true;
}

rl_value rl_unknown(void)
{
    return (rl_value){0, false};
}

rl_value rl_bool(bool b)
{
    return (rl_value){b ? 1 : 0, true};
}

rl_value rl_num(int64_t n)
{
    int64_t v;
    if (__builtin_mul_overflow(n, (int64_t)RL_SCALE, &v))
        return rl_unknown();
    return (rl_value){v, true};
}

rl_value rl_ratio(int64_t num, int64_t den)
{
    int64_t v;
    if (den == 0 || !div_round((rl_i128)num * RL_SCALE, den, &v))
        return rl_unknown();
    return (rl_value){v, true};
}

rl_value rl_enum(const rl_symbol *sym, const char *id, size_t len)
{
    if (!sym->enumeration)
        return rl_unknown();
    for (int64_t i = 0; sym->enumeration[i].id; i++)
        if (strlen(sym->enumeration[i].id) == len && memcmp(sym->enumeration[i].id, id, len) == 0)
            return (rl_value){i, true};
    return rl_unknown();
}

/* ---- symbols -------------------------------------------------------------- */

int rl_symtab_find(const rl_symtab *symtab, const char *name, size_t len)
{
    for (size_t i = 0; i < symtab->count; i++) {
        const rl_symbol *s = &symtab->symbols[i];
        if ((strlen(s->name) == len && memcmp(s->name, name, len) == 0) ||
            (s->zh && strlen(s->zh) == len && memcmp(s->zh, name, len) == 0))
            return (int)i;
    }
    return -1;
}

/* Byte-wise edit distance, for "did you mean" (names are short; capped at 64). */
static size_t edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > 64 || nb > 64)
        return 99;
    size_t row[65];
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

static const char *closest_symbol(const rl_symtab *symtab, const char *name, size_t len)
{
    const char *best = NULL;
    size_t best_d = 4;
    for (size_t i = 0; i < symtab->count; i++) {
        const char *cand = symtab->symbols[i].name;
        size_t d = edit_distance(name, len, cand, strlen(cand));
        if (d < best_d && d <= (len + 1) / 2) {
            best_d = d;
            best = cand;
        }
    }
    return best;
}

/* ---- parser state --------------------------------------------------------- */

typedef struct {
    const char *src;
    size_t len;
    size_t pos;
    token tok;
    rl_program *prog;
    rl_diag *diag;
    bf_status status;
    int depth;
} parser;

static void diag_set(rl_diag *diag, const char *src, size_t offset, size_t length, const char *fmt,
                     va_list ap)
{
    diag->offset = offset;
    diag->length = length;
    diag->column = utf8_chars(src, offset) + 1;
    vsnprintf(diag->msg, sizeof diag->msg, fmt, ap);
}

static int fail_at(parser *p, bf_status status, size_t offset, size_t length, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail_at(parser *p, bf_status status, size_t offset, size_t length, const char *fmt, ...)
{
    if (p->status == BF_OK) {
        va_list ap;
        va_start(ap, fmt);
        diag_set(p->diag, p->src, offset, length, fmt, ap);
        va_end(ap);
        p->status = status;
    }
    return -1;
}

/* Quoted, shortened excerpt of source text for messages. */
static void excerpt(const char *s, size_t len, char *out, size_t out_size)
{
    size_t max = out_size > 64 ? 60 : out_size - 4;
    size_t n = len < max ? len : max;
    /* never cut inside a UTF-8 sequence */
    while (n < len && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    snprintf(out, out_size, "%.*s%s", (int)n, s, n < len ? "…" : "");
}

/* ---- lexer ---------------------------------------------------------------- */

static bool is_space_at(const char *s, size_t len, size_t *n)
{
    unsigned char c = (unsigned char)s[0];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        *n = 1;
        return true;
    }
    static const char *const wide_spaces[] = {"\xe3\x80\x80", "\xc2\xa0"}; /* U+3000, U+00A0 */
    for (size_t i = 0; i < sizeof wide_spaces / sizeof wide_spaces[0]; i++) {
        size_t wl = strlen(wide_spaces[i]);
        if (len >= wl && memcmp(s, wide_spaces[i], wl) == 0) {
            *n = wl;
            return true;
        }
    }
    return false;
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(s, prefix, n) == 0;
}

static int lex_number(parser *p, token *t)
{
    const char *s = p->src;
    size_t i = p->pos;
    int64_t value = 0;
    while (i < p->len && s[i] >= '0' && s[i] <= '9') {
        if (__builtin_mul_overflow(value, 10, &value) ||
            __builtin_add_overflow(value, s[i] - '0', &value))
            return fail_at(p, BF_ERR_INVALID, p->pos, i + 1 - p->pos, "数字超出范围");
        i++;
    }
    if (__builtin_mul_overflow(value, (int64_t)RL_SCALE, &value))
        return fail_at(p, BF_ERR_INVALID, p->pos, i - p->pos, "数字超出范围");
    if (i < p->len && s[i] == '.') {
        size_t dot = i++;
        int64_t frac = 0;
        int ndigits = 0;
        while (i < p->len && s[i] >= '0' && s[i] <= '9') {
            if (++ndigits > RL_SCALE_DIGITS)
                return fail_at(p, BF_ERR_INVALID, p->pos, i + 1 - p->pos, "数字最多保留 %d 位小数",
                               RL_SCALE_DIGITS);
            frac = frac * 10 + (s[i] - '0');
            i++;
        }
        if (ndigits == 0)
            return fail_at(p, BF_ERR_PARSE, dot, 1, "小数点后应有数字");
        for (int k = ndigits; k < RL_SCALE_DIGITS; k++)
            frac *= 10;
        if (__builtin_add_overflow(value, frac, &value))
            return fail_at(p, BF_ERR_INVALID, p->pos, i - p->pos, "数字超出范围");
    }
    static const struct {
        const char *suffix;
        int64_t factor;
        bool money;
    } suffixes[] = {{"万元", 1000000, true}, {"元", 100, true}, {"%", 1, false}, {"％", 1, false}};
    for (size_t k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++) {
        if (starts_with(s + i, p->len - i, suffixes[k].suffix)) {
            if (__builtin_mul_overflow(value, suffixes[k].factor, &value))
                return fail_at(p, BF_ERR_INVALID, p->pos, i - p->pos, "金额超出范围");
            t->money = suffixes[k].money;
            i += strlen(suffixes[k].suffix);
            break;
        }
    }
    if (i < p->len && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                       s[i] == '_' || (s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
        return fail_at(p, BF_ERR_PARSE, i, 1, "数字后面不能紧跟“%c”", s[i]);
    t->type = T_NUM;
    t->num = value;
    t->len = i - p->pos;
    return 0;
}

static int lex_string(parser *p, token *t, const char *close, size_t open_len)
{
    size_t i = p->pos + open_len, close_len = strlen(close);
    while (i < p->len && !starts_with(p->src + i, p->len - i, close)) {
        if (p->src[i] == '\n' || p->src[i] == '\r')
            break;
        i++;
    }
    if (i >= p->len || p->src[i] == '\n' || p->src[i] == '\r')
        return fail_at(p, BF_ERR_PARSE, p->pos, i - p->pos, "文字缺少结束引号 %s", close);
    t->type = T_STR;
    t->text_start = p->pos + open_len;
    t->text_len = i - t->text_start;
    t->len = i + close_len - p->pos;
    if (t->text_len > 128)
        return fail_at(p, BF_ERR_TOO_LARGE, p->pos, t->len, "文字过长（最多 128 字节）");
    return 0;
}

static bool ident_char(const char *s, size_t len, bool first, size_t *n)
{
    unsigned char c = (unsigned char)s[0];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
        (!first && c >= '0' && c <= '9')) {
        *n = 1;
        return true;
    }
    uint32_t cp;
    size_t k = utf8_decode((const unsigned char *)s, len, &cp);
    if (k > 1 && is_cjk(cp)) {
        *n = k;
        return true;
    }
    return false;
}

/* Read the next token into p->tok; returns -1 (with diag set) on a lexical error. */
static int lex(parser *p)
{
    token *t = &p->tok;
    size_t n;
    while (p->pos < p->len && is_space_at(p->src + p->pos, p->len - p->pos, &n))
        p->pos += n;
    memset(t, 0, sizeof *t);
    t->start = p->pos;
    if (p->pos >= p->len) {
        t->type = T_END;
        return 0;
    }
    const char *s = p->src + p->pos;
    size_t rest = p->len - p->pos;
    int rc = 0;
    if (s[0] >= '0' && s[0] <= '9') {
        rc = lex_number(p, t);
    } else if (ident_char(s, rest, true, &n)) {
        size_t i = n;
        while (i < rest && ident_char(s + i, rest - i, false, &n))
            i += n;
        if (i > 64)
            return fail_at(p, BF_ERR_TOO_LARGE, p->pos, i, "名称过长");
        t->type = T_IDENT;
        t->len = i;
        for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++) {
            size_t kl = strlen(keywords[k].text);
            if (kl == i && ((unsigned char)keywords[k].text[0] < 0x80
                                ? strncasecmp(s, keywords[k].text, kl) == 0
                                : memcmp(s, keywords[k].text, kl) == 0)) {
                t->type = keywords[k].type;
                break;
            }
        }
    } else {
        for (size_t k = 0; k < sizeof quotes / sizeof quotes[0]; k++)
            if (starts_with(s, rest, quotes[k].open)) {
                rc = lex_string(p, t, quotes[k].close, strlen(quotes[k].open));
                goto done;
            }
        for (size_t k = 0; k < sizeof punctuation / sizeof punctuation[0]; k++)
            if (starts_with(s, rest, punctuation[k].text)) {
                t->type = punctuation[k].type;
                t->len = strlen(punctuation[k].text);
                goto done;
            }
        uint32_t cp;
        size_t k = utf8_decode((const unsigned char *)s, rest, &cp);
        if (k == 0)
            return fail_at(p, BF_ERR_PARSE, p->pos, 1, "条件中含有无效的 UTF-8 字节");
        if (cp < 0x20 || cp == 0x7F)
            return fail_at(p, BF_ERR_PARSE, p->pos, k, "条件中含有控制字符");
        return fail_at(p, BF_ERR_PARSE, p->pos, k, "无法识别的字符“%.*s”", (int)k, s);
    }
done:
    if (rc)
        return rc;
    p->pos += t->len;
    return 0;
}

/* ---- tree building -------------------------------------------------------- */

static int new_node(parser *p, node_kind kind, rl_type type, size_t start, size_t end)
{
    rl_program *prog = p->prog;
    if (prog->nnodes >= RL_MAX_NODES)
        return fail_at(p, BF_ERR_TOO_LARGE, start, end - start, "条件过长（最多 %d 个元素）",
                       RL_MAX_NODES);
    int i = prog->nnodes++;
    rl_node *node = &prog->nodes[i];
    memset(node, 0, sizeof *node);
    node->kind = (uint8_t)kind;
    node->type = (uint8_t)type;
    node->sym = -1;
    node->start = (uint32_t)start;
    node->end = (uint32_t)end;
    node->height = 1;
    return i;
}

static int set_kids(parser *p, int node, const int *kids, int n)
{
    rl_program *prog = p->prog;
    rl_node *nd = &prog->nodes[node];
    if (prog->nkids + n > RL_MAX_NODES)
        return fail_at(p, BF_ERR_TOO_LARGE, nd->start, nd->end - nd->start,
                       "条件过长（最多 %d 个元素）", RL_MAX_NODES);
    nd->first = (int16_t)prog->nkids;
    nd->nkids = (uint8_t)n;
    int height = 0;
    for (int k = 0; k < n; k++) {
        prog->kids[prog->nkids++] = (int16_t)kids[k];
        if (prog->nodes[kids[k]].height > height)
            height = prog->nodes[kids[k]].height;
    }
    nd->height = (int16_t)(height + 1);
    if (nd->height > RL_MAX_HEIGHT)
        return fail_at(p, BF_ERR_TOO_LARGE, nd->start, nd->end - nd->start,
                       "条件嵌套过深（最多 %d 层）", RL_MAX_HEIGHT);
    return node;
}

static const char *node_text(const parser *p, int node, char *buf, size_t size)
{
    const rl_node *nd = &p->prog->nodes[node];
    excerpt(p->src + nd->start, nd->end - nd->start, buf, size);
    return buf;
}

static int require_type(parser *p, int node, rl_type want, const char *context)
{
    const rl_node *nd = &p->prog->nodes[node];
    if (nd->type == want)
        return node;
    char text[80];
    return fail_at(p, BF_ERR_INVALID, nd->start, nd->end - nd->start, "%s应为%s，“%s”是%s", context,
                   type_names[want], node_text(p, node, text, sizeof text), type_names[nd->type]);
}

static bool is_unresolved_str(const parser *p, int node)
{
    const rl_node *nd = &p->prog->nodes[node];
    return nd->kind == N_STR && nd->enumeration == NULL;
}

/* Resolve a string literal against an enumeration: its value becomes the index. */
static int resolve_literal(parser *p, int lit, int other)
{
    rl_node *nd = &p->prog->nodes[lit];
    const rl_node *on = &p->prog->nodes[other];
    const tpl_enum_value *values = on->enumeration;
    const char *text = p->src + nd->text_start;
    for (int64_t i = 0; values[i].id; i++) {
        if ((strlen(values[i].id) == nd->text_len &&
             memcmp(values[i].id, text, nd->text_len) == 0) ||
            (strlen(values[i].zh) == nd->text_len &&
             memcmp(values[i].zh, text, nd->text_len) == 0)) {
            nd->value = i;
            nd->enumeration = values;
            return lit;
        }
    }
    char allowed[256] = "";
    size_t used = 0;
    for (int i = 0; values[i].id && used + 1 < sizeof allowed; i++) {
        int w =
            snprintf(allowed + used, sizeof allowed - used, "%s%s", i ? "、" : "", values[i].zh);
        if (w < 0 || (size_t)w >= sizeof allowed - used)
            break;
        used += (size_t)w;
    }
    const char *what = "该指标";
    char name_buf[80];
    if (on->kind == N_SYM) {
        const rl_symbol *sym = &p->prog->symtab->symbols[on->sym];
        snprintf(name_buf, sizeof name_buf, " %s（%s）", sym->name, sym->zh);
        what = name_buf;
    }
    return fail_at(p, BF_ERR_INVALID, nd->start, nd->end - nd->start,
                   "“%.*s”不是%s的取值；可取：%s", (int)nd->text_len, text, what, allowed);
}

/* Type-check the operands of a comparison or `in` item; resolves string literals. */
static int check_comparable(parser *p, int left, int right, node_kind kind, size_t op_start,
                            size_t op_len)
{
    rl_program *prog = p->prog;
    bool lu = is_unresolved_str(p, left), ru = is_unresolved_str(p, right);
    if (lu && ru)
        return fail_at(p, BF_ERR_INVALID, prog->nodes[left].start,
                       prog->nodes[right].end - prog->nodes[left].start,
                       "文字只能与枚举型指标（如 status、sector）比较");
    if (lu || ru) {
        int lit = lu ? left : right, other = lu ? right : left;
        if (prog->nodes[other].type != RL_ENUM) {
            char text[80];
            return fail_at(p, BF_ERR_INVALID, prog->nodes[other].start,
                           prog->nodes[other].end - prog->nodes[other].start,
                           "不能将%s“%s”与文字比较；文字只能与枚举型指标比较",
                           type_names[prog->nodes[other].type],
                           node_text(p, other, text, sizeof text));
        }
        if (resolve_literal(p, lit, other) < 0)
            return -1;
    }
    const rl_node *ln = &prog->nodes[left], *rn = &prog->nodes[right];
    if (ln->type != rn->type)
        return fail_at(p, BF_ERR_INVALID, ln->start, rn->end - ln->start, "不能将%s与%s比较",
                       type_names[ln->type], type_names[rn->type]);
    if (ln->type == RL_ENUM && ln->enumeration != rn->enumeration)
        return fail_at(p, BF_ERR_INVALID, ln->start, rn->end - ln->start,
                       "两个枚举型指标的取值范围不同，不能比较");
    if (ln->type != RL_NUM && kind != N_EQ && kind != N_NE && kind != N_IN)
        return fail_at(p, BF_ERR_INVALID, op_start, op_len, "%s只能用 =、!= 或 in 比较",
                       type_names[ln->type]);
    /* A money literal (元) compared directly with an indicator that is not money. */
    for (int side = 0; side < 2; side++) {
        const rl_node *lit = side ? rn : ln, *ind = side ? ln : rn;
        if (lit->kind == N_NUM && lit->money && ind->kind == N_SYM &&
            prog->symtab->symbols[ind->sym].unit != RL_UNIT_FEN) {
            const rl_symbol *sym = &prog->symtab->symbols[ind->sym];
            return fail_at(p, BF_ERR_INVALID, lit->start, lit->end - lit->start,
                           "%s（%s）的单位是“%s”，不能与金额比较", sym->name, sym->zh,
                           sym->unit_zh[0] ? sym->unit_zh : "无");
        }
    }
    return 0;
}

static int parse_or(parser *p);

static int enter(parser *p)
{
    if (++p->depth > RL_MAX_HEIGHT)
        return fail_at(p, BF_ERR_TOO_LARGE, p->tok.start, p->tok.len ? p->tok.len : 1,
                       "条件嵌套过深（最多 %d 层）", RL_MAX_HEIGHT);
    return 0;
}

static int expect_fail(parser *p, const char *what)
{
    if (p->tok.type == T_END)
        return fail_at(p, BF_ERR_PARSE, p->tok.start, 0, "条件不完整：此处应为%s", what);
    char text[80];
    excerpt(p->src + p->tok.start, p->tok.len, text, sizeof text);
    return fail_at(p, BF_ERR_PARSE, p->tok.start, p->tok.len, "此处应为%s，却是“%s”", what, text);
}

static int parse_primary(parser *p)
{
    token t = p->tok;
    int node;
    switch (t.type) {
    case T_NUM:
        node = new_node(p, N_NUM, RL_NUM, t.start, t.start + t.len);
        if (node < 0)
            return -1;
        p->prog->nodes[node].value = t.num;
        p->prog->nodes[node].money = t.money;
        return lex(p) < 0 ? -1 : node;
    case T_STR:
        node = new_node(p, N_STR, RL_ENUM, t.start, t.start + t.len);
        if (node < 0)
            return -1;
        p->prog->nodes[node].text_start = (uint32_t)t.text_start;
        p->prog->nodes[node].text_len = (uint32_t)t.text_len;
        return lex(p) < 0 ? -1 : node;
    case T_TRUE:
    case T_FALSE:
        node = new_node(p, N_BOOL, RL_BOOL, t.start, t.start + t.len);
        if (node < 0)
            return -1;
        p->prog->nodes[node].value = t.type == T_TRUE;
        return lex(p) < 0 ? -1 : node;
    case T_IDENT: {
        int sym = rl_symtab_find(p->prog->symtab, p->src + t.start, t.len);
        if (sym < 0) {
            const char *hint = closest_symbol(p->prog->symtab, p->src + t.start, t.len);
            return fail_at(p, BF_ERR_INVALID, t.start, t.len, "未知的指标“%.*s”%s%s%s", (int)t.len,
                           p->src + t.start, hint ? "，是否应为 " : "", hint ? hint : "",
                           hint ? "？" : "");
        }
        const rl_symbol *s = &p->prog->symtab->symbols[sym];
        node = new_node(p, N_SYM, s->type, t.start, t.start + t.len);
        if (node < 0)
            return -1;
        p->prog->nodes[node].sym = sym;
        p->prog->nodes[node].enumeration = s->type == RL_ENUM ? s->enumeration : NULL;
        return lex(p) < 0 ? -1 : node;
    }
    case T_LP: {
        if (enter(p) < 0 || lex(p) < 0)
            return -1;
        node = parse_or(p);
        if (node < 0)
            return -1;
        if (p->tok.type != T_RP)
            return expect_fail(p, "右括号“)”");
        /* The parenthesised expression's span now includes the parentheses. */
        p->prog->nodes[node].start = (uint32_t)t.start;
        p->prog->nodes[node].end = (uint32_t)(p->tok.start + p->tok.len);
        p->depth--;
        return lex(p) < 0 ? -1 : node;
    }
    default:
        return expect_fail(p, "指标、数字、文字或左括号");
    }
}

static int parse_unary(parser *p)
{
    if (p->tok.type != T_MINUS)
        return parse_primary(p);
    size_t start = p->tok.start;
    if (enter(p) < 0 || lex(p) < 0)
        return -1;
    int kid = parse_unary(p);
    if (kid < 0 || require_type(p, kid, RL_NUM, "负号后") < 0)
        return -1;
    p->depth--;
    rl_node *kn = &p->prog->nodes[kid];
    if (kn->kind == N_NUM) { /* fold: -5 is a literal */
        if (kn->value == INT64_MIN)
            return fail_at(p, BF_ERR_INVALID, start, kn->end - start, "数字超出范围");
        kn->value = -kn->value;
        kn->start = (uint32_t)start;
        return kid;
    }
    int node = new_node(p, N_NEG, RL_NUM, start, kn->end);
    if (node < 0)
        return -1;
    return set_kids(p, node, &kid, 1);
}

static int parse_binary_level(parser *p, bool multiplicative)
{
    int left = multiplicative ? parse_unary(p) : parse_binary_level(p, true);
    if (left < 0)
        return -1;
    for (;;) {
        tok_type tt = p->tok.type;
        node_kind kind;
        if (multiplicative && (tt == T_STAR || tt == T_SLASH))
            kind = tt == T_STAR ? N_MUL : N_DIV;
        else if (!multiplicative && (tt == T_PLUS || tt == T_MINUS))
            kind = tt == T_PLUS ? N_ADD : N_SUB;
        else
            return left;
        if (lex(p) < 0)
            return -1;
        int right = multiplicative ? parse_unary(p) : parse_binary_level(p, true);
        if (right < 0)
            return -1;
        if (require_type(p, left, RL_NUM, "算术运算的操作数") < 0 ||
            require_type(p, right, RL_NUM, "算术运算的操作数") < 0)
            return -1;
        int node = new_node(p, kind, RL_NUM, p->prog->nodes[left].start, p->prog->nodes[right].end);
        int kids[2] = {left, right};
        if (node < 0 || set_kids(p, node, kids, 2) < 0)
            return -1;
        left = node;
    }
}

static int parse_in_list(parser *p, int left, bool negated, size_t op_start)
{
    if (p->tok.type != T_LP)
        return expect_fail(p, "“in” 后的左括号“(”");
    if (lex(p) < 0)
        return -1;
    int items[RL_MAX_CHAIN + 1];
    int n = 0;
    items[n++] = left;
    for (;;) {
        if (n > RL_MAX_CHAIN)
            return fail_at(p, BF_ERR_TOO_LARGE, p->tok.start, p->tok.len, "in 列表最多 %d 项",
                           RL_MAX_CHAIN);
        int item = parse_unary(p);
        if (item < 0)
            return -1;
        node_kind ik = p->prog->nodes[item].kind;
        if (ik != N_NUM && ik != N_STR)
            return fail_at(p, BF_ERR_INVALID, p->prog->nodes[item].start,
                           p->prog->nodes[item].end - p->prog->nodes[item].start,
                           "in 列表中只能列出数字或文字");
        if (check_comparable(p, left, item, N_IN, op_start, 2) < 0)
            return -1;
        items[n++] = item;
        if (p->tok.type == T_COMMA) {
            if (lex(p) < 0)
                return -1;
            continue;
        }
        if (p->tok.type == T_RP)
            break;
        return expect_fail(p, "逗号或右括号");
    }
    size_t end = p->tok.start + p->tok.len;
    if (lex(p) < 0)
        return -1;
    int node = new_node(p, negated ? N_NOTIN : N_IN, RL_BOOL, p->prog->nodes[left].start, end);
    if (node < 0)
        return -1;
    return set_kids(p, node, items, n);
}

static int parse_comparison(parser *p)
{
    int left = parse_binary_level(p, false);
    if (left < 0)
        return -1;
    if (p->tok.type == T_IN || (p->tok.type == T_NOT && p->pos < p->len)) {
        bool negated = p->tok.type == T_NOT;
        size_t op_start = p->tok.start;
        if (negated) {
            /* `x not in (...)`: look ahead for `in` without consuming on failure. */
            parser save = *p;
            if (lex(p) < 0)
                return -1;
            if (p->tok.type != T_IN) {
                *p = save;
                return left;
            }
        }
        if (p->prog->nodes[left].type == RL_BOOL) {
            char text[80];
            return fail_at(p, BF_ERR_INVALID, p->prog->nodes[left].start,
                           p->prog->nodes[left].end - p->prog->nodes[left].start,
                           "in 的左边应为数值或枚举型指标，“%s”是真假值",
                           node_text(p, left, text, sizeof text));
        }
        if (lex(p) < 0)
            return -1;
        return parse_in_list(p, left, negated, op_start);
    }
    for (size_t k = 0; k < sizeof comparison_ops / sizeof comparison_ops[0]; k++) {
        if (p->tok.type != comparison_ops[k].tok)
            continue;
        token op = p->tok;
        if (lex(p) < 0)
            return -1;
        int right = parse_binary_level(p, false);
        if (right < 0)
            return -1;
        if (check_comparable(p, left, right, comparison_ops[k].kind, op.start, op.len) < 0)
            return -1;
        int node = new_node(p, comparison_ops[k].kind, RL_BOOL, p->prog->nodes[left].start,
                            p->prog->nodes[right].end);
        int kids[2] = {left, right};
        if (node < 0 || set_kids(p, node, kids, 2) < 0)
            return -1;
        for (size_t j = 0; j < sizeof comparison_ops / sizeof comparison_ops[0]; j++)
            if (p->tok.type == comparison_ops[j].tok)
                return fail_at(p, BF_ERR_PARSE, p->tok.start, p->tok.len,
                               "比较不能连写（如 a < b < c），请用 and 连接两个比较");
        return node;
    }
    return left;
}

static int parse_not(parser *p)
{
    if (p->tok.type != T_NOT)
        return parse_comparison(p);
    size_t start = p->tok.start;
    if (enter(p) < 0 || lex(p) < 0)
        return -1;
    int kid = parse_not(p);
    if (kid < 0 || require_type(p, kid, RL_BOOL, "not 的操作数") < 0)
        return -1;
    p->depth--;
    int node = new_node(p, N_NOT, RL_BOOL, start, p->prog->nodes[kid].end);
    if (node < 0)
        return -1;
    return set_kids(p, node, &kid, 1);
}

/* An and-chain (or an or-chain of and-chains) as one n-ary node. */
static int parse_chain(parser *p, bool is_or)
{
    int kids[RL_MAX_CHAIN];
    int n = 0;
    tok_type op = is_or ? T_OR : T_AND;
    const char *context = is_or ? "“or” 的两边" : "“and” 的两边";
    for (;;) {
        int kid = is_or ? parse_chain(p, false) : parse_not(p);
        if (kid < 0)
            return -1;
        if (n >= RL_MAX_CHAIN)
            return fail_at(p, BF_ERR_TOO_LARGE, p->prog->nodes[kid].start,
                           p->prog->nodes[kid].end - p->prog->nodes[kid].start,
                           "一串 and/or 最多连接 %d 项", RL_MAX_CHAIN);
        kids[n++] = kid;
        if (p->tok.type != op)
            break;
        if (lex(p) < 0)
            return -1;
    }
    if (n == 1)
        return kids[0];
    for (int k = 0; k < n; k++)
        if (require_type(p, kids[k], RL_BOOL, context) < 0)
            return -1;
    int node = new_node(p, is_or ? N_OR : N_AND, RL_BOOL, p->prog->nodes[kids[0]].start,
                        p->prog->nodes[kids[n - 1]].end);
    if (node < 0)
        return -1;
    return set_kids(p, node, kids, n);
}

static int parse_or(parser *p)
{
    return parse_chain(p, true);
}

static bf_status check_source(const char *src, size_t len, size_t cap, rl_diag *diag)
{
    if (len > cap) {
        diag->offset = cap;
        diag->length = len - cap;
        diag->column = utf8_chars(src, cap) + 1;
        snprintf(diag->msg, sizeof diag->msg, "内容过长（最多 %zu 字节）", cap);
        return BF_ERR_TOO_LARGE;
    }
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = utf8_decode((const unsigned char *)src + i, len - i, &cp);
        if (k == 0 || cp == 0) {
            diag->offset = i;
            diag->length = 1;
            diag->column = utf8_chars(src, i) + 1;
            snprintf(diag->msg, sizeof diag->msg, "含有无效的 UTF-8 字节");
            return BF_ERR_PARSE;
        }
        i += k;
    }
    return BF_OK;
}

bf_status rl_compile(const char *src, size_t len, const rl_symtab *symtab, rl_program *prog,
                     rl_diag *diag)
{
    memset(diag, 0, sizeof *diag);
    prog->nnodes = 0;
    prog->nkids = 0;
    prog->root = -1;
    prog->symtab = symtab;
    prog->source_len = 0;
    prog->source[0] = '\0';
    bf_status rc = check_source(src, len, RL_MAX_SOURCE, diag);
    if (rc)
        return rc;
    memcpy(prog->source, src, len);
    prog->source[len] = '\0';
    prog->source_len = len;
    parser p = {.src = prog->source, .len = len, .prog = prog, .diag = diag, .status = BF_OK};
    if (lex(&p) < 0)
        return p.status;
    if (p.tok.type == T_END) {
        fail_at(&p, BF_ERR_PARSE, 0, 0, "条件为空");
        return p.status;
    }
    int root = parse_or(&p);
    if (root >= 0 && p.tok.type != T_END) {
        char text[80];
        excerpt(p.src + p.tok.start, len - p.tok.start, text, sizeof text);
        root = fail_at(&p, BF_ERR_PARSE, p.tok.start, p.tok.len, "条件在此处多出内容“%s”", text);
    }
    if (root >= 0 && is_unresolved_str(&p, root))
        root = fail_at(&p, BF_ERR_INVALID, prog->nodes[root].start,
                       prog->nodes[root].end - prog->nodes[root].start,
                       "文字只能与枚举型指标（如 status、sector）比较");
    if (root >= 0 && prog->nodes[root].type != RL_BOOL) {
        char text[80];
        root = fail_at(&p, BF_ERR_INVALID, prog->nodes[root].start,
                       prog->nodes[root].end - prog->nodes[root].start,
                       "条件的结果必须是真或假（比较、in 或逻辑组合），“%s”是%s",
                       node_text(&p, root, text, sizeof text), type_names[prog->nodes[root].type]);
    }
    if (root < 0) {
        prog->nnodes = 0;
        return p.status ? p.status : BF_ERR_INTERNAL;
    }
    prog->root = root;
    return BF_OK;
}

/* ---- evaluation ----------------------------------------------------------- */

static rl_value eval_node(const rl_program *prog, int n, const rl_value *values)
{
    const rl_node *nd = &prog->nodes[n];
    const int16_t *kids = prog->kids + nd->first;
    rl_value a, b;
    int64_t r;
    switch ((node_kind)nd->kind) {
    case N_NUM:
    case N_STR:
    case N_BOOL:
        return (rl_value){nd->value, true};
    case N_SYM:
        return values[nd->sym];
    case N_NEG:
        a = eval_node(prog, kids[0], values);
        if (!a.known || a.v == INT64_MIN)
            return rl_unknown();
        return (rl_value){-a.v, true};
    case N_ADD:
    case N_SUB:
    case N_MUL:
    case N_DIV:
        a = eval_node(prog, kids[0], values);
        b = eval_node(prog, kids[1], values);
        if (!a.known || !b.known)
            return rl_unknown();
        switch ((node_kind)nd->kind) {
        case N_ADD:
            if (__builtin_add_overflow(a.v, b.v, &r))
                return rl_unknown();
            return (rl_value){r, true};
        case N_SUB:
            if (__builtin_sub_overflow(a.v, b.v, &r))
                return rl_unknown();
            return (rl_value){r, true};
        case N_MUL:
            if (!div_round((rl_i128)a.v * b.v, RL_SCALE, &r))
                return rl_unknown();
            return (rl_value){r, true};
        default:
            if (b.v == 0 || !div_round((rl_i128)a.v * RL_SCALE, b.v, &r))
                return rl_unknown();
            return (rl_value){r, true};
        }
    case N_EQ:
    case N_NE:
    case N_LT:
    case N_LE:
    case N_GT:
    case N_GE:
        a = eval_node(prog, kids[0], values);
        b = eval_node(prog, kids[1], values);
        if (!a.known || !b.known)
            return rl_unknown();
        switch ((node_kind)nd->kind) {
        case N_EQ:
            return rl_bool(a.v == b.v);
        case N_NE:
            return rl_bool(a.v != b.v);
        case N_LT:
            return rl_bool(a.v < b.v);
        case N_LE:
            return rl_bool(a.v <= b.v);
        case N_GT:
            return rl_bool(a.v > b.v);
        default:
            return rl_bool(a.v >= b.v);
        }
    case N_AND:
    case N_OR: {
        /* Kleene logic: a decisive operand (false for and, true for or) wins over unknown. */
        bool decisive = nd->kind == N_OR;
        bool unknown = false;
        for (int k = 0; k < nd->nkids; k++) {
            a = eval_node(prog, kids[k], values);
            if (!a.known)
                unknown = true;
            else if ((a.v != 0) == decisive)
                return rl_bool(decisive);
        }
        return unknown ? rl_unknown() : rl_bool(!decisive);
    }
    case N_NOT:
        a = eval_node(prog, kids[0], values);
        return a.known ? rl_bool(a.v == 0) : a;
    case N_IN:
    case N_NOTIN:
        a = eval_node(prog, kids[0], values);
        if (!a.known)
            return a;
        for (int k = 1; k < nd->nkids; k++)
            if (prog->nodes[kids[k]].value == a.v)
                return rl_bool(nd->kind == N_IN);
        return rl_bool(nd->kind == N_NOTIN);
    }
    return rl_unknown();
}

rl_truth rl_eval(const rl_program *prog, const rl_value *values)
{
    if (prog->root < 0)
        return RL_UNKNOWN;
    rl_value v = eval_node(prog, prog->root, values);
    if (!v.known)
        return RL_UNKNOWN;
    return v.v ? RL_TRUE : RL_FALSE;
}

size_t rl_program_symbols(const rl_program *prog, int32_t *out, size_t max)
{
    size_t n = 0;
    for (int i = 0; i < prog->nnodes && n < max; i++) {
        if (prog->nodes[i].kind != N_SYM)
            continue;
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = out[k] == prog->nodes[i].sym;
        if (!seen)
            out[n++] = prog->nodes[i].sym;
    }
    return n;
}

/* ---- formatting ----------------------------------------------------------- */

/* A fixed-point value with up to `decimals` decimals; trailing zeros dropped if
 * trim. Written by hand (no printf): it runs for every value of every subject. */
/* n / d rounded half away from zero, as div_round, for 0 < d <= RL_SCALE: in
 * 64 bits (|n % d| < d, so nothing overflows), where div_round's 128-bit
 * division is a library call; formatting runs for every value of every subject. */
static int64_t div_round_small(int64_t n, int64_t d)
{
    int64_t q = n / d, r = n % d;
    if (2 * (r < 0 ? -r : r) >= d)
        q += n < 0 ? -1 : 1;
    return q;
}

static void format_fixed(int64_t v, int decimals, bool trim, char *out, size_t size)
{
    int64_t div = 1;
    for (int i = decimals; i < RL_SCALE_DIGITS; i++)
        div *= 10;
    int64_t q = div == 1 ? v : div_round_small(v, div);
    bool neg = q < 0;
    uint64_t mag = neg ? (uint64_t)0 - (uint64_t)q : (uint64_t)q;
    char frac[RL_SCALE_DIGITS];
    for (int i = decimals - 1; i >= 0; i--) {
        frac[i] = (char)('0' + mag % 10);
        mag /= 10;
    }
    int nfrac = decimals;
    while (trim && nfrac > 0 && frac[nfrac - 1] == '0')
        nfrac--;
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag);
    size_t need = (size_t)(neg + n + (nfrac ? 1 + nfrac : 0)) + 1;
    if (size < need) {
        if (size)
            out[0] = '\0';
        return;
    }
    size_t k = 0;
    if (neg)
        out[k++] = '-';
    while (n > 0)
        out[k++] = digits[--n];
    if (nfrac) {
        out[k++] = '.';
        for (int i = 0; i < nfrac; i++)
            out[k++] = frac[i];
    }
    out[k] = '\0';
}

bf_status rl_format_value(const rl_symbol *sym, rl_value value, bf_buf *out)
{
    char text[48];
    if (!value.known)
        return bf_buf_append_str(out, "无数据");
    switch (sym->type) {
    case RL_BOOL:
        return bf_buf_append_str(out, value.v ? "是" : "否");
    case RL_ENUM:
        if (sym->enumeration) {
            for (int64_t i = 0; sym->enumeration[i].id; i++)
                if (i == value.v)
                    return bf_buf_append_str(out, sym->enumeration[i].zh);
        }
        return bf_buf_append_str(out, "无数据");
    case RL_NUM:
        if (sym->unit == RL_UNIT_FEN) {
            /* fen x RL_SCALE -> yuan with 2 decimals = fen / 100 */
            int64_t fen = div_round_small(value.v, RL_SCALE);
            format_fixed(fen * (RL_SCALE / 100), 2, false, text, sizeof text);
        } else {
            format_fixed(value.v, RL_SCALE_DIGITS, true, text, sizeof text);
        }
        return bf_buf_append_str(out, text);
    }
    return BF_ERR_INTERNAL;
}

bf_status rl_format_raw(const rl_symbol *sym, rl_value value, bf_buf *out)
{
    char text[48];
    if (!value.known)
        return BF_OK;
    switch (sym->type) {
    case RL_BOOL:
        return bf_buf_append_str(out, value.v ? "true" : "false");
    case RL_ENUM:
        if (sym->enumeration)
            for (int64_t i = 0; sym->enumeration[i].id; i++)
                if (i == value.v)
                    return bf_buf_append_str(out, sym->enumeration[i].id);
        return BF_OK;
    case RL_NUM:
        format_fixed(value.v, RL_SCALE_DIGITS, true, text, sizeof text);
        return bf_buf_append_str(out, text);
    }
    return BF_ERR_INTERNAL;
}

/* "name = value unit" for one symbol. */
static bf_status format_binding(const rl_symbol *sym, rl_value value, bf_buf *out)
{
    bf_status rc = bf_buf_printf(out, "%s = ", sym->name);
    if (rc == BF_OK)
        rc = rl_format_value(sym, value, out);
    if (rc == BF_OK && value.known && sym->type == RL_NUM && sym->unit_zh[0])
        rc = bf_buf_append_str(out, sym->unit_zh);
    return rc;
}

static bf_status append_span(const rl_program *prog, const rl_node *nd, bf_buf *out)
{
    for (uint32_t i = nd->start; i < nd->end; i++) {
        char c = prog->source[i];
        bf_status rc = bf_buf_append_char(out, (c == '\n' || c == '\r' || c == '\t') ? ' ' : c);
        if (rc)
            return rc;
    }
    return BF_OK;
}

static void collect_syms(const rl_program *prog, int n, int32_t *syms, size_t *count, size_t max)
{
    const rl_node *nd = &prog->nodes[n];
    if (nd->kind == N_SYM) {
        for (size_t k = 0; k < *count; k++)
            if (syms[k] == nd->sym)
                return;
        if (*count < max)
            syms[(*count)++] = nd->sym;
        return;
    }
    for (int k = 0; k < nd->nkids; k++)
        collect_syms(prog, prog->kids[nd->first + k], syms, count, max);
}

/* One line for a leaf that is not true. */
static bf_status explain_leaf(const rl_program *prog, int n, const rl_value *values, bool unknown,
                              bf_buf *out)
{
    const rl_node *nd = &prog->nodes[n];
    bf_status rc = bf_buf_append_str(out, unknown ? "  无法判断：" : "  不成立：");
    if (rc == BF_OK)
        rc = append_span(prog, nd, out);
    int32_t syms[16];
    size_t count = 0;
    collect_syms(prog, n, syms, &count, 16);
    if (rc == BF_OK && count > 0) {
        rc = bf_buf_append_str(out, "（");
        for (size_t k = 0; k < count && rc == BF_OK; k++) {
            if (k > 0)
                rc = bf_buf_append_str(out, "，");
            if (rc == BF_OK)
                rc = format_binding(&prog->symtab->symbols[syms[k]], values[syms[k]], out);
        }
        if (rc == BF_OK)
            rc = bf_buf_append_str(out, "）");
    }
    if (rc == BF_OK)
        rc = bf_buf_append_char(out, '\n');
    return rc;
}

static bf_status explain_node(const rl_program *prog, int n, const rl_value *values, bf_buf *out)
{
    const rl_node *nd = &prog->nodes[n];
    rl_value v = eval_node(prog, n, values);
    if (v.known && v.v)
        return BF_OK;
    if (nd->kind == N_AND || nd->kind == N_OR) {
        for (int k = 0; k < nd->nkids; k++) {
            bf_status rc = explain_node(prog, prog->kids[nd->first + k], values, out);
            if (rc)
                return rc;
        }
        return BF_OK;
    }
    return explain_leaf(prog, n, values, !v.known, out);
}

bf_status rl_explain_failure(const rl_program *prog, const rl_value *values, bf_buf *out)
{
    if (prog->root < 0)
        return BF_OK;
    return explain_node(prog, prog->root, values, out);
}

/* ---- templates ------------------------------------------------------------ */

static bf_status template_fail(const char *src, rl_diag *diag, bf_status status, size_t offset,
                               size_t length, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static bf_status template_fail(const char *src, rl_diag *diag, bf_status status, size_t offset,
                               size_t length, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_set(diag, src, offset, length, fmt, ap);
    va_end(ap);
    return status;
}

static bf_status add_segment(rl_template *tpl, const char *src, rl_diag *diag, size_t at,
                             int32_t sym, uint32_t start, uint32_t len)
{
    if (sym < 0 && len == 0)
        return BF_OK;
    if (sym < 0 && tpl->nsegments > 0 && tpl->segments[tpl->nsegments - 1].sym < 0) {
        tpl->segments[tpl->nsegments - 1].len += len; /* contiguous literal text */
        return BF_OK;
    }
    if (tpl->nsegments >= RL_MAX_SEGMENTS)
        return template_fail(src, diag, BF_ERR_TOO_LARGE, at, 1, "说明模板过长（最多 %d 段）",
                             RL_MAX_SEGMENTS);
    tpl->segments[tpl->nsegments++] = (rl_segment){sym, start, len};
    return BF_OK;
}

bf_status rl_template_compile(const char *src, size_t len, const rl_symtab *symtab,
                              rl_template *tpl, rl_diag *diag)
{
    memset(diag, 0, sizeof *diag);
    tpl->nsegments = 0;
    tpl->symtab = symtab;
    tpl->text_len = 0;
    tpl->text[0] = '\0';
    bf_status rc = check_source(src, len, RL_MAX_TEMPLATE, diag);
    if (rc)
        return rc;
    size_t i = 0;
    while (i < len && rc == BF_OK) {
        char c = src[i];
        if ((c == '{' || c == '}') && i + 1 < len && src[i + 1] == c) {
            /* {{ or }}: one literal brace */
            tpl->text[tpl->text_len] = c;
            rc = add_segment(tpl, src, diag, i, -1, (uint32_t)tpl->text_len, 1);
            tpl->text_len++;
            i += 2;
        } else if (c == '}') {
            rc = template_fail(src, diag, BF_ERR_PARSE, i, 1, "多余的“}”（字面的大括号请写 }}）");
        } else if (c == '{') {
            size_t close = i + 1;
            while (close < len && src[close] != '}' && src[close] != '{')
                close++;
            if (close >= len || src[close] != '}')
                return template_fail(src, diag, BF_ERR_PARSE, i, close - i,
                                     "“{”缺少对应的“}”（字面的大括号请写 {{）");
            size_t name_len = 0;
            const char *name = src + i + 1;
            /* trim ASCII blanks inside the braces */
            size_t a = 0, b = close - i - 1;
            while (a < b && (name[a] == ' ' || name[a] == '\t'))
                a++;
            while (b > a && (name[b - 1] == ' ' || name[b - 1] == '\t'))
                b--;
            name += a;
            name_len = b - a;
            int sym = rl_symtab_find(symtab, name, name_len);
            if (sym < 0) {
                const char *hint = closest_symbol(symtab, name, name_len);
                return template_fail(src, diag, BF_ERR_INVALID, i, close + 1 - i,
                                     "说明模板中未知的指标“%.*s”%s%s%s", (int)name_len, name,
                                     hint ? "，是否应为 " : "", hint ? hint : "", hint ? "？" : "");
            }
            rc = add_segment(tpl, src, diag, i, sym, 0, 0);
            i = close + 1;
        } else {
            size_t j = i;
            while (j < len && src[j] != '{' && src[j] != '}')
                j++;
            memcpy(tpl->text + tpl->text_len, src + i, j - i);
            rc = add_segment(tpl, src, diag, i, -1, (uint32_t)tpl->text_len, (uint32_t)(j - i));
            tpl->text_len += j - i;
            i = j;
        }
    }
    tpl->text[tpl->text_len] = '\0';
    return rc;
}

bf_status rl_template_render(const rl_template *tpl, const rl_value *values, bf_buf *out)
{
    bf_status rc = BF_OK;
    for (int i = 0; i < tpl->nsegments && rc == BF_OK; i++) {
        const rl_segment *seg = &tpl->segments[i];
        if (seg->sym < 0)
            rc = bf_buf_append(out, tpl->text + seg->start, seg->len);
        else
            rc = rl_format_value(&tpl->symtab->symbols[seg->sym], values[seg->sym], out);
    }
    return rc;
}

/* ---- caret ---------------------------------------------------------------- */

bf_status rl_diag_caret(const char *src, size_t len, const rl_diag *diag, bf_buf *out)
{
    bf_status rc = bf_buf_append_str(out, "  ");
    size_t offset = diag->offset <= len ? diag->offset : len;
    size_t end = offset + diag->length <= len ? offset + diag->length : len;
    size_t before = 0, under = 0;
    for (size_t i = 0; i < len && rc == BF_OK;) {
        uint32_t cp;
        size_t k = utf8_decode((const unsigned char *)src + i, len - i, &cp);
        if (k == 0) {
            rc = bf_buf_append_char(out, '?');
            cp = '?';
            k = 1;
        } else if (cp == '\n' || cp == '\r' || cp == '\t') {
            rc = bf_buf_append_char(out, ' ');
        } else {
            rc = bf_buf_append(out, src + i, k);
        }
        int w = display_width(cp);
        if (i < offset)
            before += (size_t)w;
        else if (i < end)
            under += (size_t)w;
        i += k;
    }
    if (rc == BF_OK)
        rc = bf_buf_append_str(out, "\n  ");
    for (size_t i = 0; i < before && rc == BF_OK; i++)
        rc = bf_buf_append_char(out, ' ');
    if (under == 0)
        under = 1;
    for (size_t i = 0; i < under && rc == BF_OK; i++)
        rc = bf_buf_append_char(out, '^');
    if (rc == BF_OK)
        rc = bf_buf_append_char(out, '\n');
    return rc;
}
