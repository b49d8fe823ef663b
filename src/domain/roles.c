/*
 * roles.c - the role -> permission table (see roles.h and docs/roles.md).
 */
#include "domain/roles.h"

#include <string.h>

enum {
    ALL = 0x3fff,
    VIEW = PERM_READ | PERM_HOUSEHOLDS | PERM_SUMMARY | PERM_EXPORT,
};

static const role_def role_table[] = {
    {"province_admin", "省级管理员", 1, ALL, false},
    {"province_viewer", "省级查看", 1, VIEW, false},
    {"city", "市级", 2, VIEW, false},
    {"county_operator", "县级业务人员", 3,
     PERM_READ | PERM_WRITE | PERM_HOUSEHOLDS | PERM_REVEAL | PERM_IMPORT | PERM_EXPORT |
         PERM_CLASSIFY | PERM_WARN_MANAGE | PERM_SUMMARY | PERM_ASSIGN,
     false},
    {"county_decision", "县级集体决策", 3, PERM_READ | PERM_SUMMARY | PERM_EXPORT, false},
    {"sector_department", "行业主管部门", 3, PERM_READ | PERM_SUMMARY, false},
    {"county_finance", "县财政局", 3, PERM_READ | PERM_SUMMARY | PERM_EXPORT, false},
    {"township", "乡镇干部", 4, VIEW | PERM_WARN_MANAGE, false},
    {"village", "村干部", 5,
     PERM_READ | PERM_WRITE | PERM_HOUSEHOLDS | PERM_REVEAL | PERM_SUMMARY | PERM_EXPORT, false},
    {"evaluator", "第三方评估机构", 0, PERM_READ, true},
    {"auditor", "审计", 0, PERM_READ | PERM_HOUSEHOLDS | PERM_SUMMARY | PERM_EXPORT | PERM_AUDIT,
     false},
};

static const char *const perm_names[] = {
    "read",     "write",   "households", "reveal", "import", "export",  "classify",
    "warnings", "summary", "audit",      "users",  "assign", "regions", "rules",
};

const role_def *roles_find(const char *id)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < sizeof role_table / sizeof role_table[0]; i++)
        if (strcmp(role_table[i].id, id) == 0)
            return &role_table[i];
    return NULL;
}

const role_def *roles_table(size_t *count)
{
    *count = sizeof role_table / sizeof role_table[0];
    return role_table;
}

bool roles_can(const role_def *role, uint32_t perm)
{
    if (!role)
        return false;
    return (role->perms & perm) == perm;
}

const char *roles_perm_name(uint32_t bit)
{
    for (size_t i = 0; i < sizeof perm_names / sizeof perm_names[0]; i++)
        if (bit == (1u << i))
            return perm_names[i];
    return NULL;
}

size_t roles_perm_count(void)
{
    return sizeof perm_names / sizeof perm_names[0];
}
