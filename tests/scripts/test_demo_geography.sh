#!/usr/bin/env bash
# test_demo_geography.sh - the demo's industries follow the plan's geography
# (issue 7): crayfish and rice around Poyang Lake, navel oranges and beef
# cattle in 赣州, camellia in the hills. Generates two real counties alone
# (a county generated alone equals the same county inside the province) and
# compares the share of each chain's projects between them.
set -euo pipefail
bin=${BF_BINARY:?}
work=$(mktemp -d /tmp/bangfu-geo-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# 鄱阳县 (361128) on Poyang Lake; 寻乌县 (360734) in 赣州's hills.
"$bin" demo --db "$work/poyang.db" --county 361128 --seed 42 >/dev/null 2>&1 ||
  fail "demo of 鄱阳县"
"$bin" demo --db "$work/xunwu.db" --county 360734 --seed 42 >/dev/null 2>&1 ||
  fail "demo of 寻乌县"

# share DB CHAIN...: per mille of the county's projects in these chains.
share() {
  local db=$1
  shift
  local list
  list=$(printf "'%s'," "$@")
  sqlite3 "$db" "SELECT COALESCE(1000 * SUM(chain IN (${list%,})) / COUNT(*), 0) FROM projects"
}

for db in poyang xunwu; do
  n=$(sqlite3 "$work/$db.db" "SELECT COUNT(*) FROM projects")
  [ "$n" -ge 200 ] || fail "$db: only $n projects"
  # Every project's region is a village of that county.
  other=$(sqlite3 "$work/$db.db" "SELECT COUNT(*) FROM projects WHERE length(region_code) <> 12")
  [ "$other" = 0 ] || fail "$db: $other projects not in a village"
done

# more_than A_DB B_DB FACTOR CHAIN...: the chains' share in A is at least
# FACTOR times their share in B, and at least 5 % of A's projects.
more_than() {
  local a=$1 b=$2 factor=$3
  shift 3
  local in_a in_b
  in_a=$(share "$work/$a.db" "$@")
  in_b=$(share "$work/$b.db" "$@")
  echo "$*: $a ${in_a}‰, $b ${in_b}‰"
  [ "$in_a" -ge 50 ] || fail "$*: only ${in_a}‰ of $a's projects"
  [ "$in_a" -ge $((factor * in_b)) ] || fail "$*: $a ${in_a}‰ is not ${factor}× $b ${in_b}‰"
}

more_than poyang xunwu 4 小龙虾 鄱阳湖稻米 水产
more_than xunwu poyang 4 赣南脐橙
more_than xunwu poyang 2 肉牛 油茶
echo "test_demo_geography: ok"
