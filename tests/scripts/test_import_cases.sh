#!/usr/bin/env bash
# Runs the import cases in tests/import/cases/: each folder is one case, as data.
#   setup            registry kinds loaded first from tests/import/fixtures/ (one per line)
#   run              the arguments of `bangfu import` (files relative to the case folder)
#   expected_exit    the exit status
#   expected_errors.csv   the exact --errors report (omit: must be no report rows)
#   expected_stats.json   optional: `bangfu stats --format json` afterwards
#   expected_stdout  optional: a line the summary must contain
#   export_kind + expected_export.csv   optional: `bangfu export KIND` afterwards, exactly
# BF_UPDATE_EXPECTED=1 rewrites the expected reports from the actual ones (review the diff!).
# Prints one line per case and a closing "N passed, N failed".
set -u
src=${BF_SOURCE_DIR:?}
bin=${BF_BINARY:?}
fixtures=$src/tests/import/fixtures
work=$(mktemp -d /tmp/bangfu-import-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

fail() {
  echo "FAIL $case_name: $*"
  failed=$((failed + 1))
}

for case_dir in "$src"/tests/import/cases/*/; do
  case_name=$(basename "$case_dir")
  db=$work/$case_name.db
  "$bin" init --db "$db" >/dev/null || { fail "init"; continue; }
  ok=1
  if [ -f "$case_dir/setup" ]; then
    while read -r kind; do
      [ -n "$kind" ] || continue
      if ! "$bin" import "$kind" "$fixtures/$kind.csv" --db "$db" >"$work/setup.out" 2>&1; then
        fail "setup import $kind failed: $(cat "$work/setup.out")"
        ok=0
        break
      fi
    done <"$case_dir/setup"
  fi
  [ "$ok" = 1 ] || continue
  read -r -a args <"$case_dir/run"
  (cd "$case_dir" && "$bin" import "${args[@]}" --db "$db" --errors "$work/errors.csv") \
    >"$work/stdout" 2>"$work/stderr"
  status=$?
  expected_exit=$(cat "$case_dir/expected_exit")
  if [ "$status" != "$expected_exit" ]; then
    fail "exit $status, expected $expected_exit; stderr: $(head -c 600 "$work/stderr")"
    continue
  fi
  if [ -n "${BF_UPDATE_EXPECTED:-}" ] && [ "$(wc -l <"$work/errors.csv")" -gt 1 ]; then
    cp "$work/errors.csv" "$case_dir/expected_errors.csv"   # review before committing!
  fi
  if [ -f "$case_dir/expected_errors.csv" ]; then
    if ! cmp -s "$case_dir/expected_errors.csv" "$work/errors.csv"; then
      fail "error report differs:"
      diff "$case_dir/expected_errors.csv" "$work/errors.csv" | head -20
      continue
    fi
  elif [ "$(wc -l <"$work/errors.csv")" -gt 1 ]; then
    fail "unexpected errors: $(cat "$work/errors.csv")"
    continue
  fi
  if [ -f "$case_dir/expected_stdout" ]; then
    want=$(cat "$case_dir/expected_stdout")
    if ! grep -qF -- "$want" "$work/stdout"; then
      fail "stdout lacks '$want': $(cat "$work/stdout")"
      continue
    fi
  fi
  if [ -f "$case_dir/expected_stats.json" ]; then
    "$bin" stats --format json --db "$db" >"$work/stats.json"
    if ! cmp -s <(tr -d '\n' <"$case_dir/expected_stats.json") <(tr -d '\n' <"$work/stats.json"); then
      fail "stats differ: got $(cat "$work/stats.json")"
      continue
    fi
  fi
  if [ -f "$case_dir/export_kind" ]; then
    "$bin" export "$(cat "$case_dir/export_kind")" --db "$db" >"$work/export.csv"
    [ -n "${BF_UPDATE_EXPECTED:-}" ] && cp "$work/export.csv" "$case_dir/expected_export.csv"
    if ! cmp -s "$case_dir/expected_export.csv" "$work/export.csv"; then
      fail "export differs:"
      diff "$case_dir/expected_export.csv" "$work/export.csv" | head -20
      continue
    fi
  fi
  echo "ok   $case_name"
  passed=$((passed + 1))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
