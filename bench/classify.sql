-- bench/classify.sql - the default rules of data/default_rules.csv written by
-- hand as SQL for the sqlite3 shell: the reference that bench/classify.bench
-- times against `bangfu classify` on the same database. It computes the same
-- indicators (docs/indicators.md) with set-based queries, proposes a batch per
-- project (first matching rule), raises the project and household warnings and
-- writes the results into tables ref_classifications and ref_warnings. It does
-- not keep explanations, indicator snapshots, history or warning life cycles.
--
-- Parameters (sqlite3 .parameter): @year, the year classified. The cutoff is
-- the end of that year (the benchmark's year is in the past).

DROP TABLE IF EXISTS ref_classifications;
DROP TABLE IF EXISTS ref_warnings;

-- Whole months from a 'YYYY-MM-DD' date to @year-12-31 are the difference of
-- the month numbers (day 31 is never short of the start's day).

CREATE TEMP TABLE p_years AS
SELECT project_code,
       MAX(CASE WHEN year = @year THEN 1 ELSE 0 END) AS has_cur,
       SUM(CASE WHEN year = @year THEN collective_income ELSE 0 END) AS ci,
       SUM(CASE WHEN year = @year - 1 THEN collective_income ELSE 0 END) AS ci_prev,
       SUM(CASE WHEN year = @year THEN households_benefited ELSE 0 END) AS hh,
       SUM(CASE WHEN year = @year - 1 THEN households_benefited ELSE 0 END) AS hh_prev,
       SUM(CASE WHEN year = @year THEN profit ELSE 0 END) AS profit,
       MAX(CASE WHEN year = @year THEN generation_kwh END) AS generation
FROM project_years WHERE year BETWEEN @year - 1 AND @year
GROUP BY project_code;
CREATE UNIQUE INDEX temp.p_years_code ON p_years(project_code);

-- Loss years in a row ending in @year: rows by year descending, the run ends
-- at the first row that is not a loss or not the year expected.
CREATE TEMP TABLE p_losses AS
SELECT project_code,
       COALESCE(MIN(CASE WHEN NOT ok THEN rn END) - 1, COUNT(*)) AS loss_run
FROM (SELECT project_code,
             ROW_NUMBER() OVER (PARTITION BY project_code ORDER BY year DESC) AS rn,
             profit < 0 AND year = @year - (ROW_NUMBER() OVER (PARTITION BY project_code
                                                                ORDER BY year DESC) - 1) AS ok
      FROM project_years WHERE year <= @year)
GROUP BY project_code;
CREATE UNIQUE INDEX temp.p_losses_code ON p_losses(project_code);

CREATE TEMP TABLE p_assets AS
SELECT project_code,
       SUM(original_value) AS orig,
       SUM(CASE WHEN useful_life_years IS NULL OR useful_life_years <= 0 THEN original_value
                ELSE original_value * MAX(0, useful_life_years * 12 - MAX(0, used)) /
                     (useful_life_years * 12) END) AS book,
       SUM(COALESCE(capacity_w, 0)) AS capacity_w,
       MIN(CASE WHEN nature = 'operating' AND state = 'idle' THEN idle_since END) AS asset_idle
FROM (SELECT *, @year * 12 + 12 - (CAST(substr(acquired_on, 1, 4) AS INTEGER) * 12 +
                                   CAST(substr(acquired_on, 6, 2) AS INTEGER)) AS used
      FROM assets WHERE state <> 'disposed' AND acquired_on <= @year || '-12-31')
GROUP BY project_code;
CREATE UNIQUE INDEX temp.p_assets_code ON p_assets(project_code);

CREATE TEMP TABLE p_ind AS
SELECT p.code, p.region_code, p.status, p.investment,
       MAX(CASE WHEN p.status IN ('idle', 'stopped') AND p.idle_since <= @year || '-12-31'
                THEN @year * 12 + 12 - (CAST(substr(p.idle_since, 1, 4) AS INTEGER) * 12 +
                                        CAST(substr(p.idle_since, 6, 2) AS INTEGER))
                ELSE 0 END,
           CASE WHEN a.asset_idle <= @year || '-12-31'
                THEN @year * 12 + 12 - (CAST(substr(a.asset_idle, 1, 4) AS INTEGER) * 12 +
                                        CAST(substr(a.asset_idle, 6, 2) AS INTEGER))
                ELSE 0 END) AS months_idle,
       COALESCE(y.ci, 0) AS ci, COALESCE(y.ci_prev, 0) AS ci_prev,
       COALESCE(y.hh, 0) AS hh, COALESCE(y.hh_prev, 0) AS hh_prev,
       CASE WHEN COALESCE(y.has_cur, 0) = 1 THEN COALESCE(l.loss_run, 0) ELSE 0 END AS loss_run,
       a.orig, a.book, COALESCE(a.capacity_w, 0) AS capacity_w,
       CASE WHEN y.has_cur = 1 THEN y.generation END AS generation
FROM projects p
LEFT JOIN p_years y ON y.project_code = p.code
LEFT JOIN p_losses l ON l.project_code = p.code
LEFT JOIN p_assets a ON a.project_code = p.code
WHERE p.start_year <= @year AND p.status <> 'disposed';

-- The batches: the first rule that holds, by priority (T1, T2, R1, U1, C1).
CREATE TABLE ref_classifications AS
SELECT code,
       CASE
         WHEN (status = 'stopped' OR months_idle >= 24) AND ci = 0 AND ci_prev = 0 THEN 'T1'
         WHEN loss_run >= 3 AND orig > 0 AND book * 100 < 30 * orig THEN 'T2'
         WHEN status <> 'building' AND (months_idle >= 6 OR ci = 0) THEN 'R1'
         WHEN status = 'operating' AND ((investment > 0 AND ci * 100 < 5 * investment) OR hh < 5
              OR (ci_prev > 0 AND (ci - ci_prev) * 100 < -20 * ci_prev)) THEN 'U1'
         ELSE 'C1'
       END AS rule_code
FROM p_ind;

-- Project warnings.
CREATE TABLE ref_warnings AS
SELECT 'project' AS subject_kind, code AS subject_code, 'PW1' AS rule_code FROM p_ind
 WHERE months_idle >= 3
UNION ALL SELECT 'project', code, 'PW2' FROM p_ind WHERE loss_run >= 2
UNION ALL SELECT 'project', code, 'PW3' FROM p_ind WHERE status <> 'building' AND ci = 0
UNION ALL SELECT 'project', code, 'PW4' FROM p_ind
 WHERE hh_prev > 0 AND hh * 100 < hh_prev * 80
UNION ALL SELECT 'project', code, 'PW5' FROM p_ind
 WHERE capacity_w > 0 AND generation IS NOT NULL AND generation * 1000 < 800 * capacity_w;

-- Household warnings. Linked projects that failed: stopped, or idle 6 months or
-- more, or in a termination case: the county's decision standing at the year
-- (the confirmed batch of the latest year up to it that has one) is 另起炉灶.
CREATE TEMP TABLE failed AS
SELECT p.code FROM projects p
LEFT JOIN (SELECT project_code, MIN(idle_since) AS asset_idle FROM assets
           WHERE nature = 'operating' AND state = 'idle' AND idle_since IS NOT NULL
           GROUP BY project_code) a ON a.project_code = p.code
WHERE p.start_year <= @year
  AND (p.status = 'stopped'
       OR (p.status IN ('idle', 'stopped') AND p.idle_since <= @year || '-06-30')
       OR a.asset_idle <= @year || '-06-30')
UNION
SELECT c.project_code FROM classifications c
  JOIN batches b ON b.id = c.confirmed_batch
 WHERE b.candidate_only = 1 AND c.year <= @year
   AND c.year = (SELECT MAX(d.year) FROM classifications d
                  WHERE d.county_code = c.county_code AND d.project_code = c.project_code
                    AND d.confirmed_batch IS NOT NULL
                    AND d.year <= @year);

INSERT INTO ref_warnings
SELECT 'household', y.household_code, 'HW1' FROM household_years y
 WHERE y.year = @year AND y.income_per_capita <
       (SELECT per_capita FROM thresholds WHERE year = @year ORDER BY id DESC LIMIT 1);
INSERT INTO ref_warnings
SELECT 'household', c.household_code, 'HW2' FROM household_years c
  JOIN household_years p ON p.county_code = c.county_code
   AND p.household_code = c.household_code AND p.year = @year - 1
 WHERE c.year = @year AND p.income_per_capita > 0
   AND (c.income_per_capita - p.income_per_capita) * 100 < -20 * p.income_per_capita;
INSERT INTO ref_warnings
SELECT DISTINCT 'household', b.household_code, 'HW3' FROM benefits b
  JOIN failed f ON f.code = b.project_code;
