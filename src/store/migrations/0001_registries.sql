-- 0001: the registries. Portable SQL (SQLite and PostgreSQL): TEXT and BIGINT
-- only; money in fen; dates as 'YYYY-MM-DD' text; times as epoch seconds (UTC).
-- Enumerations are stored as their English identifiers (see src/domain/template.c).

CREATE TABLE regions (
    code TEXT PRIMARY KEY,            -- 12-digit statistical code
    name TEXT NOT NULL,
    level BIGINT NOT NULL,            -- 1 province, 2 city, 3 county, 4 township, 5 village
    parent_code TEXT REFERENCES regions(code),
    flags BIGINT NOT NULL DEFAULT 0   -- 1 脱贫县, 2 重点帮扶县, 4 脱贫村
);
CREATE INDEX regions_parent ON regions(parent_code);
CREATE INDEX regions_level ON regions(level, code);

CREATE TABLE projects (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
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
    updated_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX projects_region ON projects(region_code);

CREATE TABLE assets (
    code TEXT PRIMARY KEY,
    project_code TEXT NOT NULL REFERENCES projects(code),
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
    updated_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX assets_project ON assets(project_code);

CREATE TABLE project_years (
    project_code TEXT NOT NULL REFERENCES projects(code),
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
    PRIMARY KEY (project_code, year)
);
CREATE INDEX project_years_year ON project_years(year);

CREATE TABLE households (
    code TEXT PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions(code),
    head_id_hash TEXT NOT NULL,       -- keyed hash (hex) of the head's ID number
    head_id_enc TEXT NOT NULL,        -- encrypted ID number (base64 nonce+box)
    head_id_masked TEXT NOT NULL,     -- 360***********1234
    head_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    size BIGINT NOT NULL,
    risk_status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX households_region ON households(region_code);
CREATE INDEX households_head ON households(head_id_hash);

CREATE TABLE members (
    id_hash TEXT PRIMARY KEY,         -- a person belongs to one household only
    household_code TEXT NOT NULL REFERENCES households(code),
    id_enc TEXT NOT NULL,
    id_masked TEXT NOT NULL,
    name TEXT NOT NULL,
    relation TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX members_household ON members(household_code);

CREATE TABLE household_years (
    household_code TEXT NOT NULL REFERENCES households(code),
    year BIGINT NOT NULL,
    income_per_capita BIGINT NOT NULL,   -- fen per person per year
    wages BIGINT NOT NULL DEFAULT 0,
    operating_income BIGINT NOT NULL DEFAULT 0,
    property_income BIGINT NOT NULL DEFAULT 0,
    transfer_income BIGINT NOT NULL DEFAULT 0,
    asset_dividend BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (household_code, year)
);
CREATE INDEX household_years_year ON household_years(year);

CREATE TABLE benefits (
    household_code TEXT NOT NULL REFERENCES households(code),
    project_code TEXT NOT NULL REFERENCES projects(code),
    kind TEXT NOT NULL,
    updated_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (household_code, project_code, kind)
);
CREATE INDEX benefits_project ON benefits(project_code);
