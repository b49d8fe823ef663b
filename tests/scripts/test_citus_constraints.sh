#!/usr/bin/env bash
# test_citus_constraints.sh - the constraint steps of the Citus conversion
# (docs/citus/constraints.sql: everything but the create_distributed_table
# calls, which need the extension) leave an application that works: the
# PostgreSQL tests of the API, the scoping, the classification, the rule cases
# and the county key run again on databases converted with the file; then the
# national rules it moved to national_keys are checked to still refuse what
# the dropped indexes refused.
# Needs PostgreSQL: runs in the suite's PostgreSQL run (BF_TEST_BACKEND=pg and
# BF_TEST_PG); on SQLite it has nothing to convert and says so.
set -euo pipefail
src=${BF_SOURCE_DIR:?}
bin=${BF_BINARY:?}
if [ "${BF_TEST_BACKEND:-}" != pg ] || [ -z "${BF_TEST_PG:-}" ]; then
  echo "SQLite run: the Citus conversion is PostgreSQL's (runs with BF_TEST_BACKEND=pg)"
  exit 0
fi
export BF_TEST_CITUS_CONSTRAINTS=$src/docs/citus/constraints.sql
build=$(dirname "$bin")
failures=0
for t in test_http_api test_http_scope test_http_filters test_classify test_rules_cases \
         test_county_schema; do
  # stdbuf: cmocka's lines reach the log even if the test dies of a signal
  # (stdout into a file is block-buffered otherwise).
  status=0
  stdbuf -oL -eL "$build/$t" >"/tmp/bangfu-citus-$$-$t.log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    echo "FAIL: $t on the converted schema (exit status $status):"
    grep -E "ERROR|FAIL|error|no county_code" "/tmp/bangfu-citus-$$-$t.log" | head -20 || true
    echo "--- last lines of its output:"
    tail -n 40 "/tmp/bangfu-citus-$$-$t.log"
    failures=$((failures + 1))
  else
    echo "ok   $t on the converted schema"
  fi
  rm -f "/tmp/bangfu-citus-$$-$t.log"
done

# The national rules after the conversion: a database converted by hand the
# way an operator would (psql -1 -f), the fixtures imported through bangfu;
# national_keys holds every code and person, and refuses what the dropped
# indexes refused.
pg_url() {
  case "$BF_TEST_PG" in
    *\?*) echo "$BF_TEST_PG&dbname=$1" ;;
    *) echo "$BF_TEST_PG?dbname=$1" ;;
  esac
}
db=bfcitus_$$
work=$(mktemp -d /tmp/bangfu-citus-XXXXXX)
cleanup() {
  psql "$(pg_url postgres)" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
url=$(pg_url "$db")
"$bin" init --db "$url" --key-file "$work/key" >/dev/null
psql "$url" -q -1 -v ON_ERROR_STOP=1 -f "$BF_TEST_CITUS_CONSTRAINTS" >/dev/null
for kind in regions projects assets households members project_years household_years benefits; do
  "$bin" import "$kind" "$src/tests/import/fixtures/$kind.csv" --db "$url" --key-file "$work/key" \
    >/dev/null || { echo "FAIL: import $kind on the converted schema"; failures=$((failures + 1)); }
done
q() { psql "$url" -qAtc "$1"; }
expect() {
  local got
  got=$(q "$1")
  if [ "$got" != "$2" ]; then
    echo "FAIL: $1 -> $got, want $2"
    failures=$((failures + 1))
  fi
}
expect "SELECT COUNT(*) FROM national_keys WHERE kind = 'project'" "$(q "SELECT COUNT(*) FROM projects")"
expect "SELECT COUNT(*) FROM national_keys WHERE kind = 'person'" "$(q "SELECT COUNT(*) FROM members")"
expect "SELECT COUNT(*) FROM national_keys n JOIN members m ON m.id_hash = n.key
        WHERE n.kind = 'person' AND n.owner = m.household_code AND n.county_code = m.county_code" \
  "$(q "SELECT COUNT(*) FROM members")"
expect "SELECT COUNT(*) FROM pg_indexes WHERE indexname IN ('projects_code', 'members_person')" 0
refused() {
  if psql "$url" -q -v ON_ERROR_STOP=1 -c "$1" >/dev/null 2>&1; then
    echo "FAIL: accepted on the converted schema: $1"
    failures=$((failures + 1))
  fi
}
# A project code taken in another county; a person in a second household.
refused "INSERT INTO projects (county_code, code, name, region_code, sector, start_year,
         investment, operation_mode, status)
         SELECT '360103', 'XM001', 'x', '360103001001', 'pv', 2020, 1, 'collective', 'operating'"
refused "INSERT INTO members (county_code, id_hash, household_code, id_enc, id_masked, name,
         relation) SELECT h.county_code, m.id_hash, h.code, 'x', 'x', 'x', '子'
         FROM members m JOIN households h ON h.code <> m.household_code LIMIT 1"
# A re-import (every row an update) and a classification still run.
"$bin" import households "$src/tests/import/fixtures/households.csv" --db "$url" \
  --key-file "$work/key" >/dev/null || { echo "FAIL: re-import"; failures=$((failures + 1)); }
"$bin" classify --year 2024 --db "$url" >/dev/null ||
  { echo "FAIL: classify on the converted schema"; failures=$((failures + 1)); }
[ "$failures" = 0 ] || exit 1
echo "ok   national rules on the converted schema"
