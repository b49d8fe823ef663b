-- 0002: the four batches, rule sets as data, monitoring thresholds,
-- classification results with their history, and warnings with their life.
-- Portable SQL as 0001: TEXT and BIGINT only; times are epoch seconds (UTC).

-- Batch labels are data: the same system serves a province that names them
-- differently (巩固 / 升级 / 盘活 / 调整). rank orders them for reports.
CREATE TABLE batches (
    id TEXT PRIMARY KEY,              -- consolidate, upgrade, revitalise, terminate
    label TEXT NOT NULL,              -- what users read and type
    rank BIGINT NOT NULL,
    is_fallback BIGINT NOT NULL DEFAULT 0,   -- the batch of a project no rule matched
    candidate_only BIGINT NOT NULL DEFAULT 0 -- a proposal only (另起炉灶: the case workflow decides)
);
INSERT INTO batches (id, label, rank, is_fallback, candidate_only) VALUES ('consolidate', '巩固', 1, 1, 0);
INSERT INTO batches (id, label, rank, is_fallback, candidate_only) VALUES ('upgrade', '提升', 2, 0, 0);
INSERT INTO batches (id, label, rank, is_fallback, candidate_only) VALUES ('revitalise', '盘活', 3, 0, 0);
INSERT INTO batches (id, label, rank, is_fallback, candidate_only) VALUES ('terminate', '另起炉灶', 4, 0, 1);

-- A rule set is the whole set of rules of a year; an import adds a version,
-- old versions are kept. The set in force for a year is the latest version of
-- the latest year not after it (else of the earliest year).
CREATE TABLE rule_sets (
    id {{ID}},
    year BIGINT NOT NULL,
    version BIGINT NOT NULL,
    source TEXT NOT NULL,             -- 'default' or the imported file's name
    note TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (year, version)
);

CREATE TABLE rules (
    rule_set_id BIGINT NOT NULL REFERENCES rule_sets(id),
    code TEXT NOT NULL,               -- stable within a year's versions, e.g. 'T1'
    name TEXT NOT NULL,               -- Chinese
    kind TEXT NOT NULL,               -- batch, project_warning, household_warning
    outcome TEXT NOT NULL,            -- batch id, or the warning's type (Chinese)
    priority BIGINT NOT NULL,         -- smaller first
    condition_text TEXT NOT NULL,     -- rule language, docs/rules.md
    explanation TEXT NOT NULL,        -- template with {indicator} placeholders
    PRIMARY KEY (rule_set_id, code)
);

-- Monitoring thresholds (监测范围), fen per person per year. Each change is a
-- new row; the highest id of a (year, region_code) is in force.
CREATE TABLE thresholds (
    id {{ID}},
    year BIGINT NOT NULL,
    region_code TEXT NOT NULL,        -- 12 digits, normally the province
    per_capita BIGINT NOT NULL,
    set_by TEXT NOT NULL,
    set_at BIGINT NOT NULL,
    note TEXT
);
CREATE INDEX thresholds_year ON thresholds(year, region_code);

-- One row per run of `bangfu classify`.
CREATE TABLE classify_runs (
    id {{ID}},
    year BIGINT NOT NULL,
    region_code TEXT,                 -- NULL: the whole database
    rule_set_id BIGINT NOT NULL REFERENCES rule_sets(id),
    actor TEXT,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    projects BIGINT NOT NULL DEFAULT 0,
    changed BIGINT NOT NULL DEFAULT 0,
    households BIGINT NOT NULL DEFAULT 0,
    warnings_opened BIGINT NOT NULL DEFAULT 0
);

-- The current proposal and decision per project and year.
CREATE TABLE classifications (
    project_code TEXT NOT NULL REFERENCES projects(code),
    year BIGINT NOT NULL,
    proposed_batch TEXT NOT NULL REFERENCES batches(id),
    rule_set_id BIGINT NOT NULL REFERENCES rule_sets(id),
    rule_code TEXT,                   -- NULL: no rule matched (fallback batch)
    rule_name TEXT NOT NULL,
    explanation TEXT NOT NULL,
    indicators TEXT NOT NULL,         -- JSON snapshot of the values the rules saw
    evidence BIGINT NOT NULL,         -- 64-bit hash of explanation and indicators (re-runs compare it)
    run_id BIGINT NOT NULL,
    proposed_at BIGINT NOT NULL,
    confirmed_batch TEXT REFERENCES batches(id),
    confirmed_by TEXT,
    confirmed_at BIGINT,
    reason TEXT,
    PRIMARY KEY (project_code, year)
);
CREATE INDEX classifications_year ON classifications(year, proposed_batch);

-- Every proposal that changed and every decision, never updated or deleted.
CREATE TABLE classification_history (
    id {{ID}},
    project_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    event TEXT NOT NULL,              -- proposed, confirmed, overridden
    batch TEXT NOT NULL,
    previous_batch TEXT,
    rule_set_id BIGINT,
    rule_code TEXT,
    explanation TEXT,
    actor TEXT,
    reason TEXT,
    run_id BIGINT,
    happened_at BIGINT NOT NULL
);
CREATE INDEX classification_history_project ON classification_history(project_code, year);

-- Warnings: open -> acknowledged -> resolved, with who, when and a note. One
-- live (not resolved) warning per subject, year and rule.
CREATE TABLE warnings (
    id {{ID}},
    subject_kind TEXT NOT NULL,       -- project, household
    subject_code TEXT NOT NULL,
    region_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    rule_code TEXT NOT NULL,
    rule_set_id BIGINT NOT NULL,      -- the version that opened it (rules has name and type)
    explanation TEXT NOT NULL,
    status TEXT NOT NULL,             -- open, acknowledged, resolved
    firing BIGINT NOT NULL DEFAULT 1, -- 1 if the last run that covered it still found it
    opened_at BIGINT NOT NULL,
    opened_run BIGINT,
    acknowledged_by TEXT,
    acknowledged_at BIGINT,
    acknowledged_note TEXT,
    resolved_by TEXT,
    resolved_at BIGINT,
    resolved_note TEXT
);
CREATE INDEX warnings_year ON warnings(year, subject_kind, region_code);
CREATE INDEX warnings_subject ON warnings(subject_kind, subject_code, year);

-- The classification run reads a year's incomes of every household in
-- household order; this covering index serves that as one range scan per year
-- instead of a walk of the primary key with a table look-up per row.
CREATE INDEX household_years_income ON household_years(year, household_code, income_per_capita);
