-- 0003: accounts, sessions, login throttling, evaluator assignments, the
-- hash-chained audit trail and the precomputed summary cells of the server.
-- Portable SQL (SQLite and PostgreSQL): TEXT and BIGINT only, times as epoch
-- seconds (UTC). See src/domain/accounts.h, audit.h and query_summary.h.

CREATE TABLE users (
    id {{ID}},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,               -- an id of the role table in src/domain/roles.c
    region_code TEXT NOT NULL,        -- 12 digits: the account sees this subtree only
    password_hash TEXT NOT NULL,      -- libsodium crypto_pwhash_str (Argon2id)
    disabled BIGINT NOT NULL DEFAULT 0,
    must_change_password BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,      -- SHA-256 (hex) of the cookie token; the token itself is never stored
    user_id BIGINT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_failures (
    username TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE evaluator_assignments (
    user_id BIGINT NOT NULL REFERENCES users(id),
    project_code TEXT NOT NULL REFERENCES projects(code),
    assigned_by TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, project_code)
);
CREATE INDEX evaluator_assignments_project ON evaluator_assignments(project_code);

-- The audit trail: append-only. hash = SHA-256 over the canonical
-- serialisation of the row including prev_hash (src/domain/audit.c).
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);

-- The head of the chain: one row, updated first by every append so that
-- concurrent appenders queue on its row lock and never fork the chain.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Subtree totals per region (province, city, county, township) and year, by
-- dimension: dim 'total' (dkey ''), 'sector', 'status', 'batch', 'child'
-- (dkey = child region code), 'kind' and 'risk' (households).
CREATE TABLE summary_cells (
    region_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    dim TEXT NOT NULL,
    dkey TEXT NOT NULL,
    projects BIGINT NOT NULL DEFAULT 0,
    investment BIGINT NOT NULL DEFAULT 0,
    linkage_funds BIGINT NOT NULL DEFAULT 0,
    revenue BIGINT NOT NULL DEFAULT 0,
    profit BIGINT NOT NULL DEFAULT 0,
    collective_income BIGINT NOT NULL DEFAULT 0,
    households_benefited BIGINT NOT NULL DEFAULT 0,
    poor_households_benefited BIGINT NOT NULL DEFAULT 0,
    jobs BIGINT NOT NULL DEFAULT 0,
    assets BIGINT NOT NULL DEFAULT 0,
    asset_value BIGINT NOT NULL DEFAULT 0,
    households BIGINT NOT NULL DEFAULT 0,
    persons BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (region_code, year, dim, dkey)
);

-- When the cells were built and from which state of the registries.
CREATE TABLE summary_meta (
    id BIGINT PRIMARY KEY,
    built_at BIGINT NOT NULL,
    fingerprint TEXT NOT NULL
);

-- Cheap change detection for the summary (MAX(updated_at) by index).
CREATE INDEX projects_updated ON projects(updated_at);
CREATE INDEX assets_updated ON assets(updated_at);
CREATE INDEX project_years_updated ON project_years(updated_at);
CREATE INDEX households_updated ON households(updated_at);
CREATE INDEX benefits_updated ON benefits(updated_at);
