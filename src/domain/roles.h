/*
 * roles.h - the one table of roles and what each may do (DESIGN.md §1).
 *
 * A role is an English id stored in users.role, a Chinese title, the region
 * level its accounts are bound to (0: any level) and a set of permission bits.
 * Every permission check in the program goes through roles_can(); the HTTP
 * route table names the permission each route needs. docs/roles.md shows the
 * same table for people. All data here is static and read-only.
 */
#ifndef BF_ROLES_H
#define BF_ROLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    PERM_NONE = 0,              /* any logged-in user */
    PERM_READ = 1u << 0,        /* registries: projects, assets, yearly records */
    PERM_WRITE = 1u << 1,       /* create and update registry records */
    PERM_HOUSEHOLDS = 1u << 2,  /* read households, members, household years, benefits */
    PERM_REVEAL = 1u << 3,      /* see full ID numbers (each reveal audited) */
    PERM_IMPORT = 1u << 4,      /* upload spreadsheets */
    PERM_EXPORT = 1u << 5,      /* download registries as spreadsheets */
    PERM_CLASSIFY = 1u << 6,    /* run the four-batch classification, confirm/override */
    PERM_WARN_MANAGE = 1u << 7, /* acknowledge and resolve warnings */
    PERM_SUMMARY = 1u << 8,     /* dashboards: summary aggregates */
    PERM_AUDIT = 1u << 9,       /* read, verify and export the audit trail */
    PERM_USERS = 1u << 10,      /* manage accounts in the own subtree */
    PERM_ASSIGN = 1u << 11,     /* assign evaluators to projects */
    PERM_REGIONS = 1u << 12,    /* import the region tree */
    PERM_RULES = 1u << 13,      /* save rule sets and monitoring thresholds */
} role_perm;

typedef struct {
    const char *id;     /* "county_operator" */
    const char *zh;     /* "县级业务人员" */
    int level;          /* region level accounts of this role are bound to; 0 any */
    uint32_t perms;     /* role_perm bits */
    bool assigned_only; /* sees only projects assigned to the account (evaluators) */
} role_def;

/* The role with this id, or NULL. */
const role_def *roles_find(const char *id);
/* The whole table and its length (for docs, the API and tests). */
const role_def *roles_table(size_t *count);
/* true if the role has every bit of perm (PERM_NONE: always). NULL role: false. */
bool roles_can(const role_def *role, uint32_t perm);

/* Permission names ("read", "write", ...) in bit order; the name of one bit or NULL. */
const char *roles_perm_name(uint32_t bit);
/* Number of defined permission bits. */
size_t roles_perm_count(void);

#endif
