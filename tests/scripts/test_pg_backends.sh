#!/usr/bin/env bash
# test_pg_backends.sh - the same commands give the same answers on SQLite and on
# the backend under test (PostgreSQL in the suite's second run; SQLite against
# SQLite in the first, which keeps the script itself honest):
#   - every import case of tests/import/cases: the same exit status, the same
#     error report, the same summary line, the same statistics afterwards;
#   - every fixture loaded, then every registry exported (ID numbers masked and
#     revealed) and the statistics: identical;
#   - the fixtures imported a second time: every row unchanged.
# Databases on the backend under test come from tests/support/bf_test_db.sh.
set -uo pipefail
src=${BF_SOURCE_DIR:?}
bin=${BF_BINARY:?}
work=$(mktemp -d /tmp/bangfu-backends-XXXXXX)
. "$src/tests/support/bf_test_db.sh"
trap 'bf_test_db_cleanup; rm -rf "$work"' EXIT
unset BANGFU_DB
kinds=(regions projects assets project_years households members household_years benefits)
fixtures=$src/tests/import/fixtures
failed=0
fail() {
  echo "FAIL $*"
  failed=$((failed + 1))
}

# run_case SIDE DB CASE_DIR: the case's import on DB; outputs under $work/SIDE.*
run_case() {
  local side=$1 db=$2 case_dir=$3 kind args
  "$bin" init --db "$db" >/dev/null 2>&1 || { echo "init failed" >"$work/$side.status"; return; }
  if [ -f "$case_dir/setup" ]; then
    while read -r kind; do
      [ -n "$kind" ] || continue
      "$bin" import "$kind" "$fixtures/$kind.csv" --db "$db" >/dev/null 2>&1 ||
        { echo "setup $kind failed" >"$work/$side.status"; return; }
    done <"$case_dir/setup"
  fi
  read -r -a args <"$case_dir/run"
  (cd "$case_dir" && "$bin" import "${args[@]}" --db "$db" --errors "$work/$side.errors") \
    >"$work/$side.stdout" 2>"$work/$side.stderr"
  echo "exit $?" >"$work/$side.status"
  "$bin" stats --format json --db "$db" >"$work/$side.stats" 2>&1
}

compare() {
  local what=$1 file
  for file in status errors stdout stats; do
    [ -e "$work/a.$file" ] || [ -e "$work/b.$file" ] || continue
    if ! cmp -s "$work/a.$file" "$work/b.$file"; then
      fail "$what: $file differs"
      diff "$work/a.$file" "$work/b.$file" | head -6
      return
    fi
  done
}

n=0
for case_dir in "$src"/tests/import/cases/*/; do
  name=$(basename "$case_dir")
  rm -f "$work"/a.* "$work"/b.*
  # Each side its own key: the reports never show an ID number in clear.
  BANGFU_KEY_FILE="" run_case a "$work/case-$name.db" "$case_dir"
  bf_test_db db "$work" "case_$name" || { fail "$name: no database"; continue; }
  run_case b "$db" "$case_dir"
  compare "case $name"
  n=$((n + 1))
done
[ "$n" -gt 10 ] || fail "only $n import cases found"

# All fixtures on both, then every export and the statistics.
bf_test_db db "$work" fixtures || fail "no database for the fixtures"
ref=$work/ref.db
# One key for both sides, so the revealed exports compare.
export BANGFU_KEY_FILE=$work/shared.key
"$bin" init --db "$ref" >/dev/null
"$bin" init --db "$db" >/dev/null
for kind in "${kinds[@]}"; do
  "$bin" import "$kind" "$fixtures/$kind.csv" --db "$ref" >/dev/null ||
    fail "fixture $kind on SQLite"
  "$bin" import "$kind" "$fixtures/$kind.csv" --db "$db" >"$work/import.out" 2>&1 ||
    fail "fixture $kind on the backend under test: $(cat "$work/import.out")"
done
for kind in "${kinds[@]}"; do
  for reveal in "" --reveal; do
    "$bin" export "$kind" --db "$ref" $reveal >"$work/a.csv" 2>"$work/a.err"
    "$bin" export "$kind" --db "$db" $reveal >"$work/b.csv" 2>"$work/b.err"
    if ! cmp -s "$work/a.csv" "$work/b.csv"; then
      fail "export $kind $reveal differs"
      diff "$work/a.csv" "$work/b.csv" | head -6
    elif [ "$(wc -l <"$work/a.csv")" -lt 2 ]; then
      fail "export $kind $reveal is empty"
    fi
  done
done
"$bin" stats --format json --db "$ref" >"$work/a.stats"
"$bin" stats --format json --db "$db" >"$work/b.stats"
cmp -s "$work/a.stats" "$work/b.stats" || fail "stats differ: $(cat "$work/a.stats") / $(cat "$work/b.stats")"

# Again: nothing changes, and both say so in the same words.
for kind in "${kinds[@]}"; do
  "$bin" import "$kind" "$fixtures/$kind.csv" --db "$ref" >"$work/a.out" 2>&1
  "$bin" import "$kind" "$fixtures/$kind.csv" --db "$db" >"$work/b.out" 2>&1
  cmp -s "$work/a.out" "$work/b.out" || fail "re-import $kind: $(cat "$work/a.out") / $(cat "$work/b.out")"
  grep -q "新增 0，更新 0" "$work/b.out" || fail "re-import $kind changed rows: $(cat "$work/b.out")"
done

if [ "$failed" -ne 0 ]; then
  echo "$failed failure(s)"
  exit 1
fi
echo "ok ($n import cases)"
