/*
 * test_rules_lang.c - the rule expression language: parsing, type checking
 * and enum normalisation with error positions, exact fixed-point evaluation,
 * three-valued logic, caps, templates and failure explanations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domain/indicators.h"
#include "domain/rules_lang.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rl_program prog;
static rl_template tpl;
static rl_value vals[IND_P_COUNT];

static const rl_symtab *P(void)
{
    return ind_symtab(IND_PROJECT);
}

static void reset_values(void)
{
    const rl_symtab *tab = P();
    for (size_t i = 0; i < tab->count; i++)
        vals[i] = rl_num(0);
    vals[IND_P_STATUS] = rl_enum(&tab->symbols[IND_P_STATUS], "operating", 9);
    vals[IND_P_SECTOR] = rl_enum(&tab->symbols[IND_P_SECTOR], "planting", 8);
    vals[IND_P_MODE] = rl_enum(&tab->symbols[IND_P_MODE], "collective", 10);
    vals[IND_P_HAS_RECORD] = rl_bool(true);
}

static rl_truth eval_src(const char *src)
{
    rl_diag diag;
    bf_status rc = rl_compile(src, strlen(src), P(), &prog, &diag);
    if (rc != BF_OK)
        fail_msg("compile failed for [%s]: %s (column %zu)", src, diag.msg, diag.column);
    return rl_eval(&prog, vals);
}

/* Compile must fail with this status at this character column, message containing want. */
static void expect_error(const char *src, bf_status status, size_t column, const char *want)
{
    rl_diag diag;
    bf_status rc = rl_compile(src, strlen(src), P(), &prog, &diag);
    if (rc != status)
        fail_msg("[%s]: status %d, want %d (%s)", src, rc, status, diag.msg);
    if (column && diag.column != column)
        fail_msg("[%s]: column %zu, want %zu (%s)", src, diag.column, column, diag.msg);
    if (want && !strstr(diag.msg, want))
        fail_msg("[%s]: message [%s] lacks [%s]", src, diag.msg, want);
}

static void test_comparisons_and_logic(void **state)
{
    (void)state;
    reset_values();
    vals[IND_P_MONTHS_IDLE] = rl_num(5);
    assert_int_equal(eval_src("months_idle >= 6"), RL_FALSE);
    assert_int_equal(eval_src("months_idle >= 5"), RL_TRUE);
    assert_int_equal(eval_src("months_idle > 5 or months_idle = 5"), RL_TRUE);
    assert_int_equal(eval_src("months_idle != 5"), RL_FALSE);
    assert_int_equal(eval_src("months_idle <> 4 and not (months_idle < 5)"), RL_TRUE);
    assert_int_equal(eval_src("months_idle >= 0 AND True Or FALSE"), RL_TRUE);
    assert_int_equal(eval_src("false or months_idle == 5"), RL_TRUE);
    /* precedence: and binds tighter than or */
    assert_int_equal(eval_src("true or false and false"), RL_TRUE);
    assert_int_equal(eval_src("(true or false) and false"), RL_FALSE);
    /* arithmetic precedence */
    assert_int_equal(eval_src("1 + 2 * 3 = 7"), RL_TRUE);
    assert_int_equal(eval_src("(1 + 2) * 3 = 9"), RL_TRUE);
    assert_int_equal(eval_src("10 - 4 - 3 = 3"), RL_TRUE);
    assert_int_equal(eval_src("-months_idle = -5"), RL_TRUE);
    assert_int_equal(eval_src("- - 5 = 5"), RL_TRUE);
}

static void test_enums_chinese_and_ids(void **state)
{
    (void)state;
    reset_values();
    vals[IND_P_STATUS] = rl_enum(&P()->symbols[IND_P_STATUS], "stopped", 7);
    assert_int_equal(eval_src("status = '停产'"), RL_TRUE);
    assert_int_equal(eval_src("status = 'stopped'"), RL_TRUE);
    assert_int_equal(eval_src("'停产' = status"), RL_TRUE);
    assert_int_equal(eval_src("status = \"闲置\""), RL_FALSE);
    assert_int_equal(eval_src("status in ('闲置', 'stopped')"), RL_TRUE);
    assert_int_equal(eval_src("status not in ('闲置', '停产')"), RL_FALSE);
    assert_int_equal(eval_src("sector in ('种植业', 'pv') and operation_mode = '村集体自营'"),
                     RL_TRUE);
    /* Chinese quotes and full-width operators as typed by an IME */
    assert_int_equal(eval_src("status ＝ ‘停产’"), RL_TRUE);
    assert_int_equal(eval_src("status ≠ “停产”"), RL_FALSE);
    /* Chinese indicator names and words */
    vals[IND_P_MONTHS_IDLE] = rl_num(7);
    assert_int_equal(eval_src("闲置月数 ≥ 6 且 项目状态 = '停产'"), RL_TRUE);
    assert_int_equal(eval_src("非 （闲置月数 ＜ 6）"), RL_TRUE);
}

static void test_error_positions(void **state)
{
    (void)state;
    /* unknown enum value: position of the literal, allowed values listed */
    expect_error("status = '停业'", BF_ERR_INVALID, 10, "可取：在建、正常运营、闲置、停产、已处置");
    /* positions count characters, not bytes */
    expect_error("项目状态 = '正常运营' and 闲置月数 >= '6'", BF_ERR_INVALID, 19, "与文字比较");
    expect_error("monts_idle >= 6", BF_ERR_INVALID, 1, "是否应为 months_idle");
    expect_error("months_idle >= 6 and xyz", BF_ERR_INVALID, 22, "未知的指标“xyz”");
    expect_error("months_idle >= 'abc'", BF_ERR_INVALID, 1, NULL);
    expect_error("status < '停产'", BF_ERR_INVALID, 8, "只能用");
    expect_error("status = 3", BF_ERR_INVALID, 1, "不能将");
    expect_error("'a' = 'b'", BF_ERR_INVALID, 1, "枚举型指标");
    expect_error("months_idle + 1", BF_ERR_INVALID, 1, "必须是真或假");
    expect_error("months_idle", BF_ERR_INVALID, 1, "必须是真或假");
    expect_error("has_year_record + 1 > 0", BF_ERR_INVALID, 1, "算术运算");
    expect_error("months_idle > 1 and 5", BF_ERR_INVALID, 21, "“and” 的两边");
    expect_error("not months_idle", BF_ERR_INVALID, 5, "not 的操作数");
    expect_error("(months_idle > 1", BF_ERR_PARSE, 17, "右括号");
    expect_error("months_idle > 1)", BF_ERR_PARSE, 16, "多出内容");
    expect_error("months_idle >", BF_ERR_PARSE, 14, "不完整");
    expect_error("", BF_ERR_PARSE, 1, "条件为空");
    expect_error("   ", BF_ERR_PARSE, 0, "条件为空");
    expect_error("status = '停产", BF_ERR_PARSE, 10, "结束引号");
    expect_error("months_idle > 1 < 2", BF_ERR_PARSE, 17, "不能连写");
    expect_error("months_idle @ 2", BF_ERR_PARSE, 13, "无法识别的字符");
    expect_error("months_idle > 6months", BF_ERR_PARSE, 16, "紧跟");
    expect_error("months_idle > 1.23456", BF_ERR_INVALID, 15, "4 位小数");
    expect_error("months_idle > 1.", BF_ERR_PARSE, 16, "小数点");
    expect_error("months_idle > 99999999999999999999", BF_ERR_INVALID, 15, "超出范围");
    expect_error("months_idle > 922337203685478", BF_ERR_INVALID, 15, "超出范围");
    expect_error("months_idle < 5元", BF_ERR_INVALID, 15, "不能与金额比较");
    expect_error("status in (1, 2)", BF_ERR_INVALID, 1, NULL);
    expect_error("status in ('停产', months_idle)", BF_ERR_INVALID, 18, "只能列出");
    expect_error("status in '停产'", BF_ERR_PARSE, 11, "左括号");
    expect_error("has_year_record in (1)", BF_ERR_INVALID, 1, "in 的左边");
    expect_error("status = '停产' and", BF_ERR_PARSE, 18, "不完整");
    /* invalid UTF-8 and control characters */
    expect_error("months_idle > 1 \xff", BF_ERR_PARSE, 17, "UTF-8");
    expect_error("months_idle >\x01 1", BF_ERR_PARSE, 14, "控制字符");
}

static void test_fixed_point_and_money(void **state)
{
    (void)state;
    reset_values();
    vals[IND_P_RETURN] = rl_ratio(4999, 1000); /* 4.999 % */
    assert_int_equal(eval_src("return_pct < 5"), RL_TRUE);
    assert_int_equal(eval_src("return_pct = 4.999"), RL_TRUE);
    assert_int_equal(eval_src("return_pct >= 4.9990"), RL_TRUE);
    assert_int_equal(eval_src("return_pct > 4.9991"), RL_FALSE);
    /* percent sign is decoration */
    assert_int_equal(eval_src("return_pct < 5%"), RL_TRUE);
    /* money literals in yuan become fen */
    vals[IND_P_INCOME] = rl_num(500000); /* 5000 yuan in fen */
    assert_int_equal(eval_src("collective_income = 5000元"), RL_TRUE);
    assert_int_equal(eval_src("collective_income = 0.5万元"), RL_TRUE);
    assert_int_equal(eval_src("collective_income = 500000"), RL_TRUE);
    assert_int_equal(eval_src("collective_income < 5000.01元"), RL_TRUE);
    /* exact arithmetic: 0.1 + 0.2 = 0.3, division rounds half away from zero */
    assert_int_equal(eval_src("0.1 + 0.2 = 0.3"), RL_TRUE);
    assert_int_equal(eval_src("1 / 3 = 0.3333"), RL_TRUE);
    assert_int_equal(eval_src("2 / 3 = 0.6667"), RL_TRUE);
    assert_int_equal(eval_src("-2 / 3 = -0.6667"), RL_TRUE);
    assert_int_equal(eval_src("0.0001 * 0.5 = 0.0001"), RL_TRUE);
    assert_int_equal(eval_src("1.5 * 1.5 = 2.25"), RL_TRUE);
    /* division by zero and overflow are unknown, never a crash */
    assert_int_equal(eval_src("1 / 0 = 0"), RL_UNKNOWN);
    assert_int_equal(eval_src("1 / months_idle > 0"), RL_UNKNOWN);
    assert_int_equal(eval_src("922337203685 * 922337203685 > 0"), RL_UNKNOWN);
    assert_int_equal(eval_src("922337203685477 - -922337203685 > 0 or true"), RL_TRUE);
    /* rl_ratio helpers */
    rl_value r = rl_ratio(1, 3);
    assert_true(r.known);
    assert_int_equal(r.v, 3333);
    assert_false(rl_ratio(1, 0).known);
    assert_false(rl_num(INT64_MAX / 100).known);
}

static void test_three_valued_logic(void **state)
{
    (void)state;
    reset_values();
    vals[IND_P_INCOME_CHANGE] = rl_unknown();
    assert_int_equal(eval_src("income_change_pct < -20"), RL_UNKNOWN);
    assert_int_equal(eval_src("income_change_pct < -20 or true"), RL_TRUE);
    assert_int_equal(eval_src("true or income_change_pct < -20"), RL_TRUE);
    assert_int_equal(eval_src("income_change_pct < -20 and false"), RL_FALSE);
    assert_int_equal(eval_src("income_change_pct < -20 and true"), RL_UNKNOWN);
    assert_int_equal(eval_src("not (income_change_pct < -20)"), RL_UNKNOWN);
    assert_int_equal(eval_src("income_change_pct in (1, 2)"), RL_UNKNOWN);
    assert_int_equal(eval_src("income_change_pct + 1 > 0 or months_idle = 0"), RL_TRUE);
    vals[IND_P_STATUS] = rl_unknown();
    assert_int_equal(eval_src("status = '停产' or status != '停产'"), RL_UNKNOWN);
}

static void test_caps(void **state)
{
    (void)state;
    char src[RL_MAX_SOURCE + 64];
    /* nesting */
    size_t n = 0;
    for (int i = 0; i < 40; i++)
        src[n++] = '(';
    n += (size_t)sprintf(src + n, "true");
    for (int i = 0; i < 40; i++)
        src[n++] = ')';
    src[n] = '\0';
    expect_error(src, BF_ERR_TOO_LARGE, 0, "嵌套过深");
    /* negations nest too */
    n = 0;
    for (int i = 0; i < 40; i++)
        n += (size_t)sprintf(src + n, "not ");
    sprintf(src + n, "true");
    expect_error(src, BF_ERR_TOO_LARGE, 0, "嵌套过深");
    /* a long chain of additions grows the tree's height */
    n = (size_t)sprintf(src, "1");
    for (int i = 0; i < 40; i++)
        n += (size_t)sprintf(src + n, " + 1");
    sprintf(src + n, " > 0");
    expect_error(src, BF_ERR_TOO_LARGE, 0, "嵌套过深");
    /* too many nodes: a long flat or-chain of and-chains */
    n = 0;
    for (int i = 0; i < 60; i++)
        n += (size_t)sprintf(src + n, "%s(months_idle > %d and jobs < 3)", i ? " or " : "", i);
    expect_error(src, BF_ERR_TOO_LARGE, 0, "条件过长");
    /* chain of more than RL_MAX_CHAIN operands */
    n = 0;
    for (int i = 0; i < RL_MAX_CHAIN + 1; i++)
        n += (size_t)sprintf(src + n, "%strue", i ? " or " : "");
    expect_error(src, BF_ERR_TOO_LARGE, 0, "最多");
    /* in list */
    n = (size_t)sprintf(src, "months_idle in (");
    for (int i = 0; i < RL_MAX_CHAIN + 1; i++)
        n += (size_t)sprintf(src + n, "%s%d", i ? ", " : "", i);
    sprintf(src + n, ")");
    expect_error(src, BF_ERR_TOO_LARGE, 0, "in 列表最多");
    /* source length */
    memset(src, ' ', RL_MAX_SOURCE + 10);
    memcpy(src, "true", 4);
    src[RL_MAX_SOURCE + 10] = '\0';
    expect_error(src, BF_ERR_TOO_LARGE, 0, "内容过长");
    /* just under the caps compiles */
    n = 0;
    for (int i = 0; i < 30; i++)
        src[n++] = '(';
    n += (size_t)sprintf(src + n, "true");
    for (int i = 0; i < 30; i++)
        src[n++] = ')';
    src[n] = '\0';
    assert_int_equal(eval_src(src), RL_TRUE);
}

static void test_templates(void **state)
{
    (void)state;
    reset_values();
    vals[IND_P_MONTHS_IDLE] = rl_num(7);
    vals[IND_P_INCOME] = rl_num(123456); /* fen */
    vals[IND_P_RETURN] = rl_ratio(45, 10);
    vals[IND_P_INCOME_CHANGE] = rl_unknown();
    vals[IND_P_STATUS] = rl_enum(&P()->symbols[IND_P_STATUS], "idle", 4);
    const char *src = "{status}，闲置 {months_idle} 个月，收益 { collective_income } 元，"
                      "收益率 {return_pct}%，变化 {收益变化率}%，{{字面}}";
    rl_diag diag;
    assert_int_equal(rl_template_compile(src, strlen(src), P(), &tpl, &diag), BF_OK);
    bf_buf out;
    bf_buf_init(&out, 4096);
    assert_int_equal(rl_template_render(&tpl, vals, &out), BF_OK);
    assert_string_equal(out.data,
                        "闲置，闲置 7 个月，收益 1234.56 元，收益率 4.5%，变化 无数据%，{字面}");
    bf_buf_free(&out);
    const char *bad = "闲置 {monts_idle} 个月";
    assert_int_equal(rl_template_compile(bad, strlen(bad), P(), &tpl, &diag), BF_ERR_INVALID);
    assert_int_equal(diag.column, 4);
    assert_non_null(strstr(diag.msg, "months_idle"));
    bad = "闲置 {months_idle 个月";
    assert_int_equal(rl_template_compile(bad, strlen(bad), P(), &tpl, &diag), BF_ERR_PARSE);
    assert_int_equal(diag.column, 4);
    bad = "闲置 months_idle} 个月";
    assert_int_equal(rl_template_compile(bad, strlen(bad), P(), &tpl, &diag), BF_ERR_PARSE);
    assert_int_equal(diag.column, 15);
    bad = "\xe4\xb8";
    assert_int_equal(rl_template_compile(bad, strlen(bad), P(), &tpl, &diag), BF_ERR_PARSE);
}

static void test_explain_failure_and_caret(void **state)
{
    (void)state;
    reset_values();
    vals[IND_P_MONTHS_IDLE] = rl_num(5);
    vals[IND_P_INCOME] = rl_num(100);
    vals[IND_P_INCOME_PREV] = rl_num(0);
    vals[IND_P_STATUS] = rl_enum(&P()->symbols[IND_P_STATUS], "idle", 4);
    const char *src = "(status = '停产' or months_idle >= 24) and collective_income = 0 and "
                      "collective_income_prev = 0";
    assert_int_equal(eval_src(src), RL_FALSE);
    bf_buf out;
    bf_buf_init(&out, 4096);
    assert_int_equal(rl_explain_failure(&prog, vals, &out), BF_OK);
    /* the or-group fails on both sides, the income test fails, the prev test holds */
    assert_non_null(strstr(out.data, "不成立：status = '停产'（status = 闲置）"));
    assert_non_null(strstr(out.data, "不成立：months_idle >= 24（months_idle = 5个月）"));
    assert_non_null(
        strstr(out.data, "不成立：collective_income = 0（collective_income = 1.00元）"));
    assert_null(strstr(out.data, "collective_income_prev = 0（"));
    /* unknown parts are said to be undecidable */
    bf_buf_reset(&out);
    vals[IND_P_INCOME_CHANGE] = rl_unknown();
    assert_int_equal(eval_src("income_change_pct < -20 and months_idle > 1"), RL_UNKNOWN);
    assert_int_equal(rl_explain_failure(&prog, vals, &out), BF_OK);
    assert_non_null(
        strstr(out.data, "无法判断：income_change_pct < -20（income_change_pct = 无数据）"));
    /* a true condition explains nothing */
    bf_buf_reset(&out);
    assert_int_equal(eval_src("months_idle = 5"), RL_TRUE);
    assert_int_equal(rl_explain_failure(&prog, vals, &out), BF_OK);
    assert_int_equal(out.len, 0);
    /* caret under a CJK literal: two columns per character */
    const char *bad = "项目状态 = '停业'";
    rl_diag diag;
    assert_int_equal(rl_compile(bad, strlen(bad), P(), &prog, &diag), BF_ERR_INVALID);
    assert_int_equal(diag.column, 8);
    bf_buf_reset(&out);
    assert_int_equal(rl_diag_caret(bad, strlen(bad), &diag, &out), BF_OK);
    assert_string_equal(out.data, "  项目状态 = '停业'\n             ^^^^^^\n");
    bf_buf_free(&out);
    /* the symbols a condition names, in order */
    assert_int_equal(eval_src(src), RL_FALSE);
    int32_t syms[8];
    size_t count = rl_program_symbols(&prog, syms, 8);
    assert_int_equal(count, 4);
    assert_int_equal(syms[0], IND_P_STATUS);
    assert_int_equal(syms[1], IND_P_MONTHS_IDLE);
}

static void test_household_symbols(void **state)
{
    (void)state;
    const rl_symtab *h = ind_symtab(IND_HOUSEHOLD);
    rl_value hv[IND_H_COUNT];
    for (size_t i = 0; i < h->count; i++)
        hv[i] = rl_num(0);
    hv[IND_H_KIND] = rl_enum(&h->symbols[IND_H_KIND], "marginal", 8);
    hv[IND_H_INCOME] = rl_num(750000);
    hv[IND_H_THRESHOLD] = rl_num(750000);
    hv[IND_H_LINKED_FAILED] = rl_bool(true);
    rl_diag diag;
    const char *src = "kind = '边缘易致贫户' and income_per_capita < threshold";
    assert_int_equal(rl_compile(src, strlen(src), h, &prog, &diag), BF_OK);
    assert_int_equal(rl_eval(&prog, hv), RL_FALSE); /* exactly at the threshold */
    src = "income_per_capita <= threshold and linked_project_failed";
    assert_int_equal(rl_compile(src, strlen(src), h, &prog, &diag), BF_OK);
    assert_int_equal(rl_eval(&prog, hv), RL_TRUE);
    /* a project indicator is unknown to household rules */
    src = "months_idle > 3";
    assert_int_equal(rl_compile(src, strlen(src), h, &prog, &diag), BF_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comparisons_and_logic),
        cmocka_unit_test(test_enums_chinese_and_ids),
        cmocka_unit_test(test_error_positions),
        cmocka_unit_test(test_fixed_point_and_money),
        cmocka_unit_test(test_three_valued_logic),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_explain_failure_and_caret),
        cmocka_unit_test(test_household_symbols),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
