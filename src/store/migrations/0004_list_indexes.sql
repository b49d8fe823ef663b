-- 0004: indexes for the API's common list filters (src/domain/query_registry.c).
-- A list is always limited to the account's region subtree (a range on
-- region_code), so each index puts the filtered columns first and the
-- region code last: an equality filter plus the scope's range is one index
-- range, and COUNT(*) of a filtered page is answered from the index alone.
-- Portable SQL (SQLite and PostgreSQL).

-- /projects?sector=..., ?sector=...&status=... (the dashboard's drill-down).
CREATE INDEX projects_sector_status_region ON projects(sector, status, region_code);
-- /projects?status=... (idle and stopped projects).
CREATE INDEX projects_status_region ON projects(status, region_code);
-- /households?kind=... (monitored households) and ?risk_status=...
CREATE INDEX households_kind_region ON households(kind, region_code);
CREATE INDEX households_risk_region ON households(risk_status, region_code);
-- /assets?state=... (idle assets), joined to their project for the scope.
CREATE INDEX assets_state ON assets(state, project_code);
