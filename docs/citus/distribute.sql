-- distribute.sql: the Citus steps, after docs/citus/constraints.sql, on the
-- coordinator of a Citus cluster (needs the extension; not run by the tests,
-- Citus is not packaged for Debian 12). Reference tables are copied to every
-- node; the registries are hash-distributed by county_code and co-located,
-- so a county's rows of every table are on the same node and the joins on
-- (county_code, code) stay local. See docs/scaling.md.
CREATE EXTENSION IF NOT EXISTS citus;

SELECT create_reference_table('regions');
SELECT create_reference_table('batches');
SELECT create_reference_table('rule_sets');
SELECT create_reference_table('rules');
SELECT create_reference_table('thresholds');

SELECT create_distributed_table('households', 'county_code', shard_count => 128);
SELECT create_distributed_table('projects', 'county_code', colocate_with => 'households');
SELECT create_distributed_table('assets', 'county_code', colocate_with => 'households');
SELECT create_distributed_table('project_years', 'county_code', colocate_with => 'households');
SELECT create_distributed_table('members', 'county_code', colocate_with => 'households');
SELECT create_distributed_table('household_years', 'county_code', colocate_with => 'households');
SELECT create_distributed_table('benefits', 'county_code', colocate_with => 'households');
SELECT create_distributed_table('classifications', 'county_code', colocate_with => 'households');
SELECT create_distributed_table('classification_history', 'county_code', colocate_with => 'households');
SELECT create_distributed_table('warnings', 'county_code', colocate_with => 'households');
SELECT create_distributed_table('evaluator_assignments', 'county_code', colocate_with => 'households');

-- The national rules, by their own key (one shard answers a code or a person).
SELECT create_distributed_table('national_keys', 'key', shard_count => 32);

-- Left local on the coordinator: users, sessions, login_failures,
-- schema_migrations, classify_runs (a run may cover the whole province),
-- audit_log and audit_head (one chain; one per county is future work,
-- docs/scaling.md item 6), summary_cells and summary_meta (rebuilt from
-- whole-table aggregates, which Citus runs in parallel on the workers).
