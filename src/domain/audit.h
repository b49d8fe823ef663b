/*
 * audit.h - the audit trail: who did what, when, from where, to which record,
 * with the record before and after. Append-only and hash-chained: each row
 * carries the SHA-256 of the row before it (libsodium crypto_hash_sha256 over
 * a canonical serialisation, see audit.c), and audit_head holds the last
 * sequence number and hash, so a changed, inserted or removed row (the last
 * one included) breaks the chain and audit_verify() names it.
 *
 * Appends are serialised: each one first updates the single audit_head row,
 * so concurrent writers queue on its lock (SQLite: the write lock; PostgreSQL:
 * the row lock) and the chain never forks. Call audit_append() inside the
 * transaction of the write it records, so both commit or neither does.
 *
 * The application never updates or deletes audit rows.
 */
#ifndef BF_AUDIT_H
#define BF_AUDIT_H

#include "core/status.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define AUDIT_HASH_HEX 64

typedef struct {
    const char *user;    /* account name, "" for anonymous, "-" for the system */
    const char *address; /* client address, "" for the CLI */
    const char
        *action; /* "create", "update", "login", "login_failed", "forbidden", "reveal", ... */
    const char *entity;     /* "project", "household", "session", ... */
    const char *entity_key; /* the record's key, "" if none */
    const char *before;     /* canonical JSON of the record before, or NULL */
    const char *after;      /* canonical JSON after, or NULL */
} audit_entry;

/* Append one record (begins and commits a nested transaction, so it joins the
 * caller's if one is open). *seq_out (may be NULL) receives its number. */
bf_status audit_append(bf_store *store, const audit_entry *entry, int64_t *seq_out, bf_error *err);

typedef struct {
    bool ok;
    int64_t records;   /* rows checked */
    int64_t bad_seq;   /* first row that fails (0 if none, or if the tail was removed) */
    char problem[256]; /* Chinese description of the first problem */
    char head_hash[AUDIT_HASH_HEX + 1];
    int64_t head_seq;
} audit_verify_result;

/* Walk the whole chain. Returns BF_OK with result->ok false when it is broken. */
bf_status audit_verify(bf_store *store, audit_verify_result *result, bf_error *err);

/* One stored record, as read back (strings valid during the callback only). */
typedef struct {
    int64_t seq;
    int64_t at;
    const char *user, *address, *action, *entity, *entity_key;
    const char *before, *after; /* NULL if absent */
    const char *prev_hash, *hash;
} audit_record;

typedef struct {
    int64_t from_at, to_at; /* epoch seconds; 0: open */
    const char *user;       /* NULL: any */
    const char *action;     /* NULL: any */
    const char *entity;     /* NULL: any */
    int64_t after_seq;      /* only records with seq > this (paging) */
    int64_t to_seq;         /* only records with seq < this (0: open) */
    int64_t limit;          /* 0: no limit */
    bool newest_first;
} audit_filter;

typedef int (*audit_record_fn)(void *ctx, const audit_record *record);

/* Call fn for each matching record (stops when fn returns non-zero). */
bf_status audit_list(bf_store *store, const audit_filter *filter, audit_record_fn fn, void *ctx,
                     bf_error *err);

/* Write the matching records as JSON Lines to out, each with its hashes, and
 * a last line {"head": {...}} with the chain head for anchoring elsewhere. */
bf_status audit_export(bf_store *store, const audit_filter *filter, FILE *out, long *written,
                       bf_error *err);

/* The hash of a record as hex (for tests and independent verifiers). */
void audit_record_hash(const audit_record *record, char out[AUDIT_HASH_HEX + 1]);

#endif
