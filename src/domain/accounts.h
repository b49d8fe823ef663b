/*
 * accounts.h - user accounts: creation with a role and a region, Argon2id
 * password hashes (libsodium crypto_pwhash_str), the password policy, random
 * first passwords, enabling/disabling, listing, and checking a login.
 *
 * Ownership: accounts_user is a plain value with fixed buffers (copy freely).
 * Passwords are never stored or logged; only their hash is kept.
 */
#ifndef BF_ACCOUNTS_H
#define BF_ACCOUNTS_H

#include "core/status.h"
#include "domain/roles.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

#define ACCOUNTS_NAME_MAX     64
#define ACCOUNTS_PASSWORD_MIN 10 /* characters (bytes) */
#define ACCOUNTS_PASSWORD_MAX 256

typedef struct {
    int64_t id;
    char username[ACCOUNTS_NAME_MAX + 1];
    char display_name[128];
    char role_id[32];
    const role_def *role; /* NULL if the stored role is unknown (such a user cannot log in) */
    char region_code[13];
    bool disabled;
    bool must_change_password;
    int64_t created_at;
    int64_t version;
} accounts_user;

/* Override the Argon2id cost (ops, memory in bytes) for new hashes; 0 keeps the
 * default (libsodium INTERACTIVE). Existing hashes carry their own cost. Set once
 * at start-up before threads run. */
void accounts_set_hash_cost(unsigned long long opslimit, size_t memlimit);

/* Hash a password into out (crypto_pwhash_STRBYTES, NUL-terminated).
 * BF_ERR_NOMEM if the memory for Argon2id cannot be had. */
bf_status accounts_hash_password(const char *password, char *out, size_t out_size, bf_error *err);
/* true if password matches the stored hash string. */
bool accounts_password_matches(const char *hash, const char *password);
/* BF_ERR_INVALID (field "password") unless the password has at least
 * ACCOUNTS_PASSWORD_MIN and at most ACCOUNTS_PASSWORD_MAX bytes of valid UTF-8
 * with letters and digits. */
bf_status accounts_check_password_policy(const char *password, bf_error *err);
/* A random 16-character password from an alphabet without look-alikes, into out
 * (at least 17 bytes). */
void accounts_generate_password(char *out, size_t out_size);

/* BF_ERR_INVALID unless name is 2..64 of [A-Za-z0-9_.@-]. */
bf_status accounts_check_username(const char *name, bf_error *err);

/* Create an account. The role must exist and, if the role is bound to a level,
 * region_code must be of that level. BF_ERR_CONFLICT if the name is taken. */
bf_status accounts_add(bf_store *store, const char *username, const char *display_name,
                       const char *role_id, const char *region_code, const char *password,
                       bool must_change, int64_t *id_out, bf_error *err);
/* Set a new password (policy checked); clears must_change_password unless must_change. */
bf_status accounts_set_password(bf_store *store, const char *username, const char *password,
                                bool must_change, bf_error *err);
/* Disable or enable an account; disabling also ends its sessions. */
bf_status accounts_set_disabled(bf_store *store, const char *username, bool disabled,
                                bf_error *err);
/* Change role and/or region (NULL keeps), checked as in accounts_add. */
bf_status accounts_update(bf_store *store, const char *username, const char *role_id,
                          const char *region_code, const char *display_name, bf_error *err);

/* Load an account by name or id. BF_ERR_NOT_FOUND if none. hash_out (may be
 * NULL) receives the password hash. */
bf_status accounts_get(bf_store *store, const char *username, accounts_user *user, char *hash_out,
                       size_t hash_size, bf_error *err);
bf_status accounts_get_by_id(bf_store *store, int64_t id, accounts_user *user, bf_error *err);

/* Call fn for every account whose region lies in [lo, hi) (NULLs: all), by name. */
typedef int (*accounts_user_fn)(void *ctx, const accounts_user *user);
bf_status accounts_list(bf_store *store, const char *lo, const char *hi, accounts_user_fn fn,
                        void *ctx, bf_error *err);

/* Number of accounts. */
bf_status accounts_count(bf_store *store, int64_t *count, bf_error *err);

/* The init hook: if no account exists, create "admin" (province_admin of the
 * province in the regions table, else 360000000000) with a random password
 * that must be changed at first login, and print the password once to stdout. */
bf_status accounts_init_first_admin(bf_store *store, bf_error *err);

/* Assign (or with remove, unassign) a project to an evaluator account. */
bf_status accounts_assign_project(bf_store *store, const char *evaluator, const char *project_code,
                                  const char *by, bool remove, bf_error *err);

#endif
