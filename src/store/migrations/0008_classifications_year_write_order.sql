-- 0008: classifications_year in the order a run writes its results.
-- Portable SQL (SQLite and PostgreSQL).
--
-- It was (year, proposed_batch). A run writes its results in the projects'
-- county key order (src/domain/classify.c), so the results of three of the
-- four batches went into the middle of that index, a descent from the root
-- and a split in the middle of the tree for each. In the results' own order,
-- (year, county_code, project_code, proposed_batch), a run's results are
-- appended at the end of its year, and a year's rows (the run's previous
-- results and their count, a year's results by batch) are still one range
-- of the index; no query needs the batch right after the year.
DROP INDEX classifications_year;
CREATE INDEX classifications_year ON classifications(year, county_code, project_code,
    proposed_batch);
