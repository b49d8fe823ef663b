-- 0006: the county key. Every registry table and every classification output
-- gets county_code, the first 6 digits of the 12-digit region code of the
-- project or household the row belongs to ('361030' for any village of the
-- county 361030000000), so that each of them can be distributed by county
-- (docs/scaling.md): a county's rows stay together, county-scoped queries name
-- one county, and joins between these tables join on county_code too.
--
-- What changes, table by table:
-- - county_code TEXT NOT NULL, back-filled here: from region_code for
--   projects, households and warnings (a CHECK keeps it equal to the region's
--   first 6 digits), from the parent for every other table (a foreign key
--   through (county_code, code) keeps it equal to the parent's).
-- - The keys are named UNIQUE INDEXes, no inline PRIMARY KEY (an inline one
--   on SQLite is an autoindex nobody can drop around a bulk load), each led by
--   county_code: projects_key (county_code, code), ... Foreign keys between
--   these tables go through the keys: (county_code, project_code) REFERENCES
--   projects (county_code, code). Foreign keys to regions, batches and
--   rule_sets (reference tables on Citus) stay as they were.
-- - The national rules keep their own unique indexes: a project, household or
--   asset code is unique in the whole database (projects_code, households_code,
--   assets_code), a person belongs to one household only (members_person).
--   docs/citus/constraints.sql replaces each of them for Citus.
-- - Indexes that no query uses any more are gone: projects_region
--   (projects_key serves a county's projects in code order),
--   household_years_year (a prefix of household_years_income), and the five
--   *_updated indexes of 0003 (the summary's freshness fingerprint became
--   COUNT(*), SUM(version), MAX(updated_at) of each table, a scan of the
--   table that no index on updated_at serves; PostgreSQL's statistics showed
--   them never used). Every import paid for them.
--
-- SQLite cannot change a table's keys in place, so each table is rebuilt:
-- created under a new name, filled from the old, the old dropped (children
-- before parents, so that no foreign key ever points at a dropped table) and
-- the new renamed. Portable SQL for both backends; PG_ONLY lines rename what
-- PostgreSQL named after the temporary table and restart the identities.

DROP INDEX projects_region;
DROP INDEX projects_updated;
DROP INDEX projects_sector_status_region;
DROP INDEX projects_status_region;
DROP INDEX assets_project;
DROP INDEX assets_updated;
DROP INDEX assets_state;
DROP INDEX project_years_year;
DROP INDEX project_years_updated;
DROP INDEX households_region;
DROP INDEX households_head;
DROP INDEX households_updated;
DROP INDEX households_kind_region;
DROP INDEX households_risk_region;
DROP INDEX members_household;
DROP INDEX household_years_year;
DROP INDEX household_years_income;
DROP INDEX benefits_project;
DROP INDEX benefits_updated;
DROP INDEX classifications_year;
DROP INDEX classification_history_project;
DROP INDEX warnings_year;
DROP INDEX warnings_subject;
DROP INDEX evaluator_assignments_project;

-- ---------- projects and households (county from region_code) ----------

CREATE TABLE projects_new (
    county_code TEXT NOT NULL,        -- first 6 digits of region_code
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    region_code TEXT NOT NULL CONSTRAINT projects_region_fk REFERENCES regions(code),
    sector TEXT NOT NULL,
    chain TEXT,
    start_year BIGINT NOT NULL,
    investment BIGINT NOT NULL,       -- fen
    linkage_funds BIGINT NOT NULL DEFAULT 0,
    operation_mode TEXT NOT NULL,
    operator_name TEXT,
    operator_code TEXT,               -- USCC
    owner TEXT,
    status TEXT NOT NULL,
    idle_since TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT projects_county CHECK (county_code = substr(region_code, 1, 6))
);
INSERT INTO projects_new (county_code, code, name, region_code, sector, chain, start_year,
    investment, linkage_funds, operation_mode, operator_name, operator_code, owner, status,
    idle_since, version, updated_at)
SELECT substr(region_code, 1, 6), code, name, region_code, sector, chain, start_year,
    investment, linkage_funds, operation_mode, operator_name, operator_code, owner, status,
    idle_since, version, updated_at
FROM projects;
CREATE UNIQUE INDEX projects_key ON projects_new (county_code, code);
CREATE UNIQUE INDEX projects_code ON projects_new (code);

CREATE TABLE households_new (
    county_code TEXT NOT NULL,        -- first 6 digits of region_code
    code TEXT NOT NULL,
    region_code TEXT NOT NULL CONSTRAINT households_region_fk REFERENCES regions(code),
    head_id_hash TEXT NOT NULL,       -- keyed hash (hex) of the head's ID number
    head_id_enc TEXT NOT NULL,        -- encrypted ID number (base64 nonce+box)
    head_id_masked TEXT NOT NULL,     -- 360***********1234
    head_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    size BIGINT NOT NULL,
    risk_status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT households_county CHECK (county_code = substr(region_code, 1, 6))
);
INSERT INTO households_new (county_code, code, region_code, head_id_hash, head_id_enc,
    head_id_masked, head_name, kind, size, risk_status, version, updated_at)
SELECT substr(region_code, 1, 6), code, region_code, head_id_hash, head_id_enc,
    head_id_masked, head_name, kind, size, risk_status, version, updated_at
FROM households;
CREATE UNIQUE INDEX households_key ON households_new (county_code, code);
CREATE UNIQUE INDEX households_code ON households_new (code);

-- ---------- children: county from the parent ----------
-- A scalar sub-select rather than a join: a row whose parent is missing gets
-- NULL and fails NOT NULL (the migration stops) instead of vanishing.

CREATE TABLE assets_new (
    county_code TEXT NOT NULL,
    code TEXT NOT NULL,
    project_code TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    nature TEXT NOT NULL,
    original_value BIGINT NOT NULL,   -- fen
    acquired_on TEXT NOT NULL,
    useful_life_years BIGINT,
    state TEXT NOT NULL,
    idle_since TEXT,
    capacity_w BIGINT,                -- PV capacity in watts (input in kW, 3 decimals)
    version BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT assets_project_fk FOREIGN KEY (county_code, project_code)
        REFERENCES projects_new (county_code, code)
);
INSERT INTO assets_new (county_code, code, project_code, name, type, nature, original_value,
    acquired_on, useful_life_years, state, idle_since, capacity_w, version, updated_at)
SELECT (SELECT p.county_code FROM projects_new p WHERE p.code = a.project_code), a.code,
    a.project_code, a.name, a.type, a.nature, a.original_value, a.acquired_on,
    a.useful_life_years, a.state, a.idle_since, a.capacity_w, a.version, a.updated_at
FROM assets a;

CREATE TABLE project_years_new (
    county_code TEXT NOT NULL,
    project_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    revenue BIGINT NOT NULL,
    profit BIGINT NOT NULL,           -- may be negative
    collective_income BIGINT NOT NULL,
    distributed BIGINT NOT NULL DEFAULT 0,
    households_benefited BIGINT NOT NULL,
    poor_households_benefited BIGINT NOT NULL DEFAULT 0,
    jobs BIGINT NOT NULL DEFAULT 0,
    generation_kwh BIGINT,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT project_years_project_fk FOREIGN KEY (county_code, project_code)
        REFERENCES projects_new (county_code, code)
);
INSERT INTO project_years_new (county_code, project_code, year, revenue, profit,
    collective_income, distributed, households_benefited, poor_households_benefited, jobs,
    generation_kwh, version, updated_at)
SELECT (SELECT p.county_code FROM projects_new p WHERE p.code = y.project_code), y.project_code,
    y.year, y.revenue, y.profit, y.collective_income, y.distributed, y.households_benefited,
    y.poor_households_benefited, y.jobs, y.generation_kwh, y.version, y.updated_at
FROM project_years y;

CREATE TABLE members_new (
    county_code TEXT NOT NULL,
    id_hash TEXT NOT NULL,            -- a person belongs to one household only (members_person)
    household_code TEXT NOT NULL,
    id_enc TEXT NOT NULL,
    id_masked TEXT NOT NULL,
    name TEXT NOT NULL,
    relation TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT members_household_fk FOREIGN KEY (county_code, household_code)
        REFERENCES households_new (county_code, code)
);
INSERT INTO members_new (county_code, id_hash, household_code, id_enc, id_masked, name,
    relation, version, updated_at)
SELECT (SELECT h.county_code FROM households_new h WHERE h.code = m.household_code), m.id_hash,
    m.household_code, m.id_enc, m.id_masked, m.name, m.relation, m.version, m.updated_at
FROM members m;

CREATE TABLE household_years_new (
    county_code TEXT NOT NULL,
    household_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    income_per_capita BIGINT NOT NULL,   -- fen per person per year
    wages BIGINT NOT NULL DEFAULT 0,
    operating_income BIGINT NOT NULL DEFAULT 0,
    property_income BIGINT NOT NULL DEFAULT 0,
    transfer_income BIGINT NOT NULL DEFAULT 0,
    asset_dividend BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT household_years_household_fk FOREIGN KEY (county_code, household_code)
        REFERENCES households_new (county_code, code)
);
INSERT INTO household_years_new (county_code, household_code, year, income_per_capita, wages,
    operating_income, property_income, transfer_income, asset_dividend, version, updated_at)
SELECT (SELECT h.county_code FROM households_new h WHERE h.code = y.household_code),
    y.household_code, y.year, y.income_per_capita, y.wages, y.operating_income,
    y.property_income, y.transfer_income, y.asset_dividend, y.version, y.updated_at
FROM household_years y;

-- A benefit joins a household to a project of the same county (both foreign
-- keys share county_code; the importer refuses one across counties).
CREATE TABLE benefits_new (
    county_code TEXT NOT NULL,
    household_code TEXT NOT NULL,
    project_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    updated_at BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT benefits_household_fk FOREIGN KEY (county_code, household_code)
        REFERENCES households_new (county_code, code),
    CONSTRAINT benefits_project_fk FOREIGN KEY (county_code, project_code)
        REFERENCES projects_new (county_code, code)
);
INSERT INTO benefits_new (county_code, household_code, project_code, kind, updated_at)
SELECT (SELECT h.county_code FROM households_new h WHERE h.code = b.household_code),
    b.household_code, b.project_code, b.kind, b.updated_at
FROM benefits b;

CREATE TABLE classifications_new (
    county_code TEXT NOT NULL,
    project_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    proposed_batch TEXT NOT NULL CONSTRAINT classifications_proposed_fk REFERENCES batches(id),
    rule_set_id BIGINT NOT NULL CONSTRAINT classifications_rule_set_fk REFERENCES rule_sets(id),
    rule_code TEXT,                   -- NULL: no rule matched (fallback batch)
    rule_name TEXT NOT NULL,
    explanation TEXT NOT NULL,
    indicators TEXT NOT NULL,         -- JSON snapshot of the values the rules saw
    evidence BIGINT NOT NULL,         -- 64-bit hash of explanation and indicators
    run_id BIGINT NOT NULL,
    proposed_at BIGINT NOT NULL,
    confirmed_batch TEXT CONSTRAINT classifications_confirmed_fk REFERENCES batches(id),
    confirmed_by TEXT,
    confirmed_at BIGINT,
    reason TEXT,
    CONSTRAINT classifications_project_fk FOREIGN KEY (county_code, project_code)
        REFERENCES projects_new (county_code, code)
);
INSERT INTO classifications_new (county_code, project_code, year, proposed_batch, rule_set_id,
    rule_code, rule_name, explanation, indicators, evidence, run_id, proposed_at,
    confirmed_batch, confirmed_by, confirmed_at, reason)
SELECT (SELECT p.county_code FROM projects_new p WHERE p.code = c.project_code), c.project_code,
    c.year, c.proposed_batch, c.rule_set_id, c.rule_code, c.rule_name, c.explanation,
    c.indicators, c.evidence, c.run_id, c.proposed_at, c.confirmed_batch, c.confirmed_by,
    c.confirmed_at, c.reason
FROM classifications c;

CREATE TABLE classification_history_new (
    id {{ID}},
    county_code TEXT NOT NULL,
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
INSERT INTO classification_history_new (id, county_code, project_code, year, event, batch,
    previous_batch, rule_set_id, rule_code, explanation, actor, reason, run_id, happened_at)
SELECT h.id, (SELECT p.county_code FROM projects_new p WHERE p.code = h.project_code),
    h.project_code, h.year, h.event, h.batch, h.previous_batch, h.rule_set_id, h.rule_code,
    h.explanation, h.actor, h.reason, h.run_id, h.happened_at
FROM classification_history h;

CREATE TABLE warnings_new (
    id {{ID}},
    county_code TEXT NOT NULL,        -- first 6 digits of region_code
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
    resolved_note TEXT,
    CONSTRAINT warnings_county CHECK (county_code = substr(region_code, 1, 6))
);
INSERT INTO warnings_new (id, county_code, subject_kind, subject_code, region_code, year,
    rule_code, rule_set_id, explanation, status, firing, opened_at, opened_run,
    acknowledged_by, acknowledged_at, acknowledged_note, resolved_by, resolved_at,
    resolved_note)
SELECT id, substr(region_code, 1, 6), subject_kind, subject_code, region_code, year,
    rule_code, rule_set_id, explanation, status, firing, opened_at, opened_run,
    acknowledged_by, acknowledged_at, acknowledged_note, resolved_by, resolved_at,
    resolved_note
FROM warnings;

CREATE TABLE evaluator_assignments_new (
    county_code TEXT NOT NULL,
    user_id BIGINT NOT NULL CONSTRAINT evaluator_assignments_user_fk REFERENCES users(id),
    project_code TEXT NOT NULL,
    assigned_by TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    CONSTRAINT evaluator_assignments_project_fk FOREIGN KEY (county_code, project_code)
        REFERENCES projects_new (county_code, code)
);
INSERT INTO evaluator_assignments_new (county_code, user_id, project_code, assigned_by,
    assigned_at)
SELECT (SELECT p.county_code FROM projects_new p WHERE p.code = e.project_code), e.user_id,
    e.project_code, e.assigned_by, e.assigned_at
FROM evaluator_assignments e;

-- ---------- out with the old, children first ----------

DROP TABLE evaluator_assignments;
DROP TABLE warnings;
DROP TABLE classification_history;
DROP TABLE classifications;
DROP TABLE benefits;
DROP TABLE household_years;
DROP TABLE members;
DROP TABLE project_years;
DROP TABLE assets;
DROP TABLE households;
DROP TABLE projects;

ALTER TABLE projects_new RENAME TO projects;
ALTER TABLE households_new RENAME TO households;
ALTER TABLE assets_new RENAME TO assets;
ALTER TABLE project_years_new RENAME TO project_years;
ALTER TABLE members_new RENAME TO members;
ALTER TABLE household_years_new RENAME TO household_years;
ALTER TABLE benefits_new RENAME TO benefits;
ALTER TABLE classifications_new RENAME TO classifications;
ALTER TABLE classification_history_new RENAME TO classification_history;
ALTER TABLE warnings_new RENAME TO warnings;
ALTER TABLE evaluator_assignments_new RENAME TO evaluator_assignments;

{{PG_ONLY}} ALTER INDEX classification_history_new_pkey RENAME TO classification_history_pkey;
{{PG_ONLY}} ALTER INDEX warnings_new_pkey RENAME TO warnings_pkey;
{{PG_ONLY}} ALTER SEQUENCE classification_history_new_id_seq RENAME TO classification_history_id_seq;
{{PG_ONLY}} ALTER SEQUENCE warnings_new_id_seq RENAME TO warnings_id_seq;
{{PG_ONLY}} SELECT setval('classification_history_id_seq', COALESCE((SELECT MAX(id) FROM classification_history), 0) + 1, false);
{{PG_ONLY}} SELECT setval('warnings_id_seq', COALESCE((SELECT MAX(id) FROM warnings), 0) + 1, false);

-- ---------- the keys and indexes ----------
-- "key": the distribution-ready key (county first); "code"/"person": the
-- national rules; the rest as before, with county_code added where a query
-- reaches the index through a county: before the region in the filter
-- indexes (an equality filter, the county and the region range stay one
-- index range, and a filtered COUNT is still answered from the index), first
-- in the indexes of a parent's children.

CREATE UNIQUE INDEX assets_key ON assets (county_code, code);
CREATE UNIQUE INDEX assets_code ON assets (code);
CREATE UNIQUE INDEX project_years_key ON project_years (county_code, project_code, year);
CREATE UNIQUE INDEX members_key ON members (county_code, household_code, id_hash);
CREATE UNIQUE INDEX members_person ON members (id_hash);
CREATE UNIQUE INDEX household_years_key ON household_years (county_code, household_code, year);
CREATE UNIQUE INDEX benefits_key ON benefits (county_code, household_code, project_code, kind);
CREATE UNIQUE INDEX classifications_key ON classifications (county_code, project_code, year);
CREATE UNIQUE INDEX evaluator_assignments_key ON evaluator_assignments (user_id, county_code, project_code);

CREATE INDEX projects_sector_status_region ON projects(sector, status, county_code, region_code);
CREATE INDEX projects_status_region ON projects(status, county_code, region_code);
CREATE INDEX assets_project ON assets(county_code, project_code);
CREATE INDEX assets_state ON assets(state, county_code, project_code);
CREATE INDEX project_years_year ON project_years(year);
CREATE INDEX households_region ON households(county_code, region_code);
CREATE INDEX households_head ON households(head_id_hash);
CREATE INDEX households_kind_region ON households(kind, county_code, region_code);
CREATE INDEX households_risk_region ON households(risk_status, county_code, region_code);
CREATE INDEX household_years_income ON household_years(year, household_code, income_per_capita);
CREATE INDEX benefits_project ON benefits(county_code, project_code);
CREATE INDEX classifications_year ON classifications(year, proposed_batch);
CREATE INDEX classification_history_project ON classification_history(county_code, project_code, year);
CREATE INDEX warnings_year ON warnings(year, subject_kind, county_code, region_code);
CREATE INDEX warnings_subject ON warnings(subject_kind, subject_code, year);
CREATE INDEX evaluator_assignments_project ON evaluator_assignments(county_code, project_code);
