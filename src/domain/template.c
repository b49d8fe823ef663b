/*
 * template.c - the registry templates: one static table of columns per
 * registry, and the enumerations. See template.h.
 */
#include "domain/template.h"

#include <stdio.h>
#include <string.h>

const tpl_enum_value tpl_sectors[] = {
    {"planting", "种植业"},
    {"breeding", "养殖业"},
    {"processing", "加工业"},
    {"pv", "光伏"},
    {"tourism", "乡村旅游"},
    {"ecommerce", "电商"},
    {"courtyard", "庭院经济"},
    {"understory", "林下经济"},
    {"services", "服务业"},
    {"other", "其他"},
    {NULL, NULL},
};

const tpl_enum_value tpl_operation_modes[] = {
    {"collective", "村集体自营"}, {"cooperative", "合作社经营"}, {"equity", "村企合作"},
    {"lease", "租赁经营"},        {"household", "农户自营"},     {NULL, NULL},
};

const tpl_enum_value tpl_project_statuses[] = {
    {"building", "在建"}, {"operating", "正常运营"}, {"idle", "闲置"},
    {"stopped", "停产"},  {"disposed", "已处置"},    {NULL, NULL},
};

const tpl_enum_value tpl_asset_types[] = {
    {"factory", "厂房"},      {"workshop", "车间"},
    {"greenhouse", "大棚"},   {"cold_store", "冷库"},
    {"equipment", "设备"},    {"pv_station", "光伏电站"},
    {"farm", "养殖场"},       {"land_right", "土地经营权"},
    {"forest_right", "林权"}, {"equity", "股权"},
    {"other", "其他"},        {NULL, NULL},
};

const tpl_enum_value tpl_asset_natures[] = {
    {"operating", "经营性"},
    {"public", "公益性"},
    {"household", "到户类"},
    {NULL, NULL},
};

const tpl_enum_value tpl_asset_states[] = {
    {"in_use", "在用"},      {"idle", "闲置"},       {"leased", "出租"}, {"invested", "入股"},
    {"disposing", "处置中"}, {"disposed", "已处置"}, {NULL, NULL},
};

const tpl_enum_value tpl_household_kinds[] = {
    {"alleviated", "脱贫户"},       {"unstable", "脱贫不稳定户"}, {"marginal", "边缘易致贫户"},
    {"hardship", "突发严重困难户"}, {"general", "一般户"},        {NULL, NULL},
};

const tpl_enum_value tpl_risk_statuses[] = {
    {"none", "无"},
    {"at_risk", "风险未消除"},
    {"cleared", "风险已消除"},
    {NULL, NULL},
};

const tpl_enum_value tpl_benefit_kinds[] = {
    {"jobs", "务工"},     {"dividend", "分红"}, {"orders", "订单收购"},
    {"land", "土地流转"}, {"custody", "托管"},  {NULL, NULL},
};

const tpl_enum_value tpl_region_flags[] = {
    {"1", "脱贫县"},
    {"2", "重点帮扶县"},
    {"4", "脱贫村"},
    {NULL, NULL},
};

#define COLS(array) array, sizeof array / sizeof array[0]

static const tpl_column region_columns[] = {
    {"区划代码", "code", TPL_REGION_CODE, true, NULL, "code", true},
    {"名称", "name", TPL_TEXT, true, NULL, "name", false},
    {"标记", "flags", TPL_FLAGS, false, tpl_region_flags, "flags", false, true},
};

static const tpl_column project_columns[] = {
    {"项目编号", "code", TPL_CODE, true, NULL, "code", true},
    {"项目名称", "name", TPL_TEXT, true, NULL, "name", false},
    {"区划代码", "region_code", TPL_REGION_CODE, true, NULL, "region_code", false},
    {"产业类别", "sector", TPL_ENUM, true, tpl_sectors, "sector", false},
    {"产业链", "chain", TPL_TEXT, false, NULL, "chain", false},
    {"建设年份", "start_year", TPL_YEAR, true, NULL, "start_year", false},
    {"总投资", "investment", TPL_MONEY, true, NULL, "investment", false},
    {"衔接资金", "linkage_funds", TPL_MONEY, false, NULL, "linkage_funds", false, true},
    {"经营模式", "operation_mode", TPL_ENUM, true, tpl_operation_modes, "operation_mode", false},
    {"经营主体", "operator_name", TPL_TEXT, false, NULL, "operator_name", false},
    {"经营主体代码", "operator_code", TPL_USCC, false, NULL, "operator_code", false},
    {"权属主体", "owner", TPL_TEXT, false, NULL, "owner", false},
    {"经营状态", "status", TPL_ENUM, true, tpl_project_statuses, "status", false},
    {"闲置起始日期", "idle_since", TPL_DATE, false, NULL, "idle_since", false},
};

static const tpl_column asset_columns[] = {
    {"资产编号", "code", TPL_CODE, true, NULL, "code", true},
    {"项目编号", "project_code", TPL_CODE, true, NULL, "project_code", false},
    {"资产名称", "name", TPL_TEXT, true, NULL, "name", false},
    {"资产类型", "type", TPL_ENUM, true, tpl_asset_types, "type", false},
    {"资产性质", "nature", TPL_ENUM, true, tpl_asset_natures, "nature", false},
    {"原值", "original_value", TPL_MONEY, true, NULL, "original_value", false},
    {"入账日期", "acquired_on", TPL_DATE, true, NULL, "acquired_on", false},
    {"折旧年限", "useful_life_years", TPL_INT, false, NULL, "useful_life_years", false},
    {"使用状态", "state", TPL_ENUM, true, tpl_asset_states, "state", false},
    {"闲置起始日期", "idle_since", TPL_DATE, false, NULL, "idle_since", false},
    {"装机容量", "capacity_kw", TPL_KW, false, NULL, "capacity_w", false},
};

static const tpl_column project_year_columns[] = {
    {"项目编号", "project_code", TPL_CODE, true, NULL, "project_code", true},
    {"年度", "year", TPL_YEAR, true, NULL, "year", true},
    {"营业收入", "revenue", TPL_MONEY, true, NULL, "revenue", false},
    {"利润", "profit", TPL_MONEY_SIGNED, true, NULL, "profit", false},
    {"村集体收益", "collective_income", TPL_MONEY, true, NULL, "collective_income", false},
    {"分配到户金额", "distributed", TPL_MONEY, false, NULL, "distributed", false, true},
    {"带动户数", "households_benefited", TPL_INT, true, NULL, "households_benefited", false},
    {"带动脱贫户和监测户数", "poor_households_benefited", TPL_INT, false, NULL,
     "poor_households_benefited", false, true},
    {"务工人数", "jobs", TPL_INT, false, NULL, "jobs", false, true},
    {"发电量", "generation_kwh", TPL_KWH, false, NULL, "generation_kwh", false},
};

static const tpl_column household_columns[] = {
    {"户编号", "code", TPL_CODE, true, NULL, "code", true},
    {"区划代码", "region_code", TPL_REGION_CODE, true, NULL, "region_code", false},
    {"户主身份证号", "head_id_number", TPL_ID_NUMBER, true, NULL, "head_id", false},
    {"户主姓名", "head_name", TPL_TEXT, true, NULL, "head_name", false},
    {"户类型", "kind", TPL_ENUM, true, tpl_household_kinds, "kind", false},
    {"家庭人口", "size", TPL_INT, true, NULL, "size", false},
    {"风险状态", "risk_status", TPL_ENUM, true, tpl_risk_statuses, "risk_status", false},
};

static const tpl_column member_columns[] = {
    {"户编号", "household_code", TPL_CODE, true, NULL, "household_code", false},
    {"身份证号", "id_number", TPL_ID_NUMBER, true, NULL, "id", true},
    {"姓名", "name", TPL_TEXT, true, NULL, "name", false},
    {"与户主关系", "relation", TPL_TEXT, true, NULL, "relation", false},
};

static const tpl_column household_year_columns[] = {
    {"户编号", "household_code", TPL_CODE, true, NULL, "household_code", true},
    {"年度", "year", TPL_YEAR, true, NULL, "year", true},
    {"人均纯收入", "income_per_capita", TPL_MONEY, true, NULL, "income_per_capita", false},
    {"工资性收入", "wages", TPL_MONEY, false, NULL, "wages", false, true},
    {"经营性收入", "operating_income", TPL_MONEY, false, NULL, "operating_income", false, true},
    {"财产性收入", "property_income", TPL_MONEY, false, NULL, "property_income", false, true},
    {"转移性收入", "transfer_income", TPL_MONEY, false, NULL, "transfer_income", false, true},
    {"资产收益分红", "asset_dividend", TPL_MONEY, false, NULL, "asset_dividend", false, true},
};

static const tpl_column benefit_columns[] = {
    {"户编号", "household_code", TPL_CODE, true, NULL, "household_code", true},
    {"项目编号", "project_code", TPL_CODE, true, NULL, "project_code", true},
    {"带动方式", "kind", TPL_ENUM, true, tpl_benefit_kinds, "kind", true},
};

static const tpl_template templates[TPL_KIND_COUNT] = {
    {TPL_REGIONS, "regions", "行政区划", "regions", COLS(region_columns), false},
    {TPL_PROJECTS, "projects", "帮扶项目", "projects", COLS(project_columns), true},
    {TPL_ASSETS, "assets", "项目资产", "assets", COLS(asset_columns), true},
    {TPL_PROJECT_YEARS, "project_years", "项目年度经营", "project_years",
     COLS(project_year_columns), true},
    {TPL_HOUSEHOLDS, "households", "农户", "households", COLS(household_columns), true},
    {TPL_MEMBERS, "members", "家庭成员", "members", COLS(member_columns), true},
    {TPL_HOUSEHOLD_YEARS, "household_years", "农户年度收入", "household_years",
     COLS(household_year_columns), true},
    {TPL_BENEFITS, "benefits", "联农带农关系", "benefits", COLS(benefit_columns), false},
};

const tpl_template *tpl_get(tpl_kind kind)
{
    if ((int)kind < 0 || kind >= TPL_KIND_COUNT)
        return NULL;
    return &templates[kind];
}

const tpl_template *tpl_find(const char *name)
{
    for (int i = 0; i < TPL_KIND_COUNT; i++)
        if (strcmp(templates[i].name, name) == 0)
            return &templates[i];
    return NULL;
}

static bool equals(const char *a, const char *b, size_t blen)
{
    return strlen(a) == blen && memcmp(a, b, blen) == 0;
}

int tpl_column_index(const tpl_template *tpl, const char *name, size_t len)
{
    for (size_t i = 0; i < tpl->ncolumns; i++)
        if (equals(tpl->columns[i].header, name, len) || equals(tpl->columns[i].alias, name, len))
            return (int)i;
    return -1;
}

const tpl_enum_value *tpl_enum_lookup(const tpl_enum_value *values, const char *text, size_t len)
{
    for (const tpl_enum_value *v = values; v && v->id; v++)
        if (equals(v->zh, text, len) || equals(v->id, text, len))
            return v;
    return NULL;
}

const char *tpl_enum_zh(const tpl_enum_value *values, const char *id)
{
    for (const tpl_enum_value *v = values; v && v->id; v++)
        if (strcmp(v->id, id) == 0)
            return v->zh;
    return id;
}

void tpl_enum_list_zh(const tpl_enum_value *values, char *out, size_t out_size)
{
    size_t used = 0;
    if (out_size)
        out[0] = '\0';
    for (const tpl_enum_value *v = values; v && v->id; v++) {
        int n = snprintf(out + used, out_size - used, "%s%s", v == values ? "" : "、", v->zh);
        if (n < 0 || (size_t)n >= out_size - used)
            break;
        used += (size_t)n;
    }
}
