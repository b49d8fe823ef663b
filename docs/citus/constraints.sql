-- constraints.sql: the constraint steps of converting a bangfu database
-- (schema version 6) for Citus, distributed by county (docs/scaling.md).
-- Plain PostgreSQL: tested on one server without the extension
-- (tests/scripts/test_citus_constraints.sh runs the suites' PostgreSQL tests
-- on databases converted with this file). Run it in one transaction:
--     psql -1 -v ON_ERROR_STOP=1 -f docs/citus/constraints.sql postgresql://.../bangfu
-- then, on Citus, docs/citus/distribute.sql.
--
-- Citus enforces a unique index only within a shard, so it requires the
-- distribution column in every primary key and unique index of a distributed
-- table. Migration 0006 made every key of the registries county-first; what
-- is left are the national rules (unique indexes without county_code) and the
-- two identities. This file replaces each of them.

-- 1. The national rules move to one table distributed by the key itself:
--    a project, household or asset code is unique in the nation, and a person
--    (ID hash) belongs to one household only. A row per code and per person,
--    which also answers "in which county is this code / this person?" from
--    one shard. Replaces projects_code, households_code, assets_code and
--    members_person.
CREATE TABLE national_keys (
    key TEXT NOT NULL,                -- the code, or the person's ID hash
    kind TEXT NOT NULL,               -- project, household, asset, person
    county_code TEXT NOT NULL,        -- where it is registered
    owner TEXT,                       -- person: the household's code
    CONSTRAINT national_keys_pkey PRIMARY KEY (key, kind)
);
INSERT INTO national_keys (key, kind, county_code, owner)
    SELECT code, 'project', county_code, NULL FROM projects;
INSERT INTO national_keys (key, kind, county_code, owner)
    SELECT code, 'household', county_code, NULL FROM households;
INSERT INTO national_keys (key, kind, county_code, owner)
    SELECT code, 'asset', county_code, NULL FROM assets;
INSERT INTO national_keys (key, kind, county_code, owner)
    SELECT id_hash, 'person', county_code, household_code FROM members;

-- Kept in step with the registries by a trigger, in the writer's own
-- transaction: a code taken in another county (or a person registered in a
-- second household) fails the statement with a unique violation, as the
-- national indexes did. TG_ARGV: kind, key column, owner column ('' if none).
-- (On a Citus cluster a trigger on a distributed table that writes another
-- distributed table needs citus.enable_unsafe_triggers; the alternative is
-- that the store writes national_keys next to the row, see docs/scaling.md.)
CREATE FUNCTION bf_national_key() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
    old_key TEXT;
    new_key TEXT;
    new_owner TEXT;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE format('SELECT ($1).%I', TG_ARGV[1]) INTO old_key USING OLD;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE format('SELECT ($1).%I', TG_ARGV[1]) INTO new_key USING NEW;
        IF TG_ARGV[2] <> '' THEN
            EXECUTE format('SELECT ($1).%I', TG_ARGV[2]) INTO new_owner USING NEW;
        END IF;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND old_key IS DISTINCT FROM new_key) THEN
        DELETE FROM national_keys WHERE key = old_key AND kind = TG_ARGV[0];
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND old_key IS DISTINCT FROM new_key) THEN
        INSERT INTO national_keys (key, kind, county_code, owner)
        VALUES (new_key, TG_ARGV[0], NEW.county_code, new_owner);
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE national_keys SET county_code = NEW.county_code, owner = new_owner
        WHERE key = new_key AND kind = TG_ARGV[0]
          AND (county_code, owner) IS DISTINCT FROM (NEW.county_code, new_owner);
    END IF;
    RETURN NULL;
END
$body$;

CREATE TRIGGER projects_national AFTER INSERT OR DELETE OR UPDATE OF code, county_code
    ON projects FOR EACH ROW EXECUTE FUNCTION bf_national_key('project', 'code', '');
CREATE TRIGGER households_national AFTER INSERT OR DELETE OR UPDATE OF code, county_code
    ON households FOR EACH ROW EXECUTE FUNCTION bf_national_key('household', 'code', '');
CREATE TRIGGER assets_national AFTER INSERT OR DELETE OR UPDATE OF code, county_code
    ON assets FOR EACH ROW EXECUTE FUNCTION bf_national_key('asset', 'code', '');
CREATE TRIGGER members_national AFTER INSERT OR DELETE OR UPDATE OF id_hash, county_code, household_code
    ON members FOR EACH ROW EXECUTE FUNCTION bf_national_key('person', 'id_hash', 'household_code');

DROP INDEX projects_code;
DROP INDEX households_code;
DROP INDEX assets_code;
DROP INDEX members_person;

-- 2. The identities: an id from a sequence is unique by construction, but the
--    key must still name the distribution column.
ALTER TABLE classification_history DROP CONSTRAINT classification_history_pkey;
ALTER TABLE classification_history ADD CONSTRAINT classification_history_pkey
    PRIMARY KEY (county_code, id);
ALTER TABLE warnings DROP CONSTRAINT warnings_pkey;
ALTER TABLE warnings ADD CONSTRAINT warnings_pkey PRIMARY KEY (county_code, id);

-- 3. A distributed table may not refer to a table local to the coordinator:
--    the evaluator's account (users stays local, docs/scaling.md) is checked
--    by the application (accounts_assign_project reads the user first).
ALTER TABLE evaluator_assignments DROP CONSTRAINT evaluator_assignments_user_fk;
