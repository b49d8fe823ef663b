#!/usr/bin/env bash
# test_pg_copy.sh - `bangfu copy` moves a whole database and keeps every value:
#   SQLite -> SQLite always;
#   SQLite -> PostgreSQL -> SQLite when BF_TEST_PG names a server (the suite's
#   PostgreSQL run), the round trip compared table by table, value by value and
#   type by type, with the source; the ID-number key travels with the data.
# Also: a destination that already has a schema is refused and left alone;
# a missing source fails cleanly.
set -euo pipefail
bin=${BF_BINARY:?}
work=$(mktemp -d /tmp/bangfu-copy-XXXXXX)
pg_db=""
cleanup() {
  if [ -n "$pg_db" ] && [ -z "${BF_TEST_KEEP:-}" ]; then
    psql "$(pg_url postgres)" -qAtc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
unset BANGFU_KEY_FILE BANGFU_DB
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# BF_TEST_PG with its database replaced (libpq lets a later dbname= win).
pg_url() {
  case "$BF_TEST_PG" in
    *\?*) echo "$BF_TEST_PG&dbname=$1" ;;
    *) echo "$BF_TEST_PG?dbname=$1" ;;
  esac
}

# Every table's rows, values quoted with their SQLite type, sorted: two
# databases with the same data print the same.
dump() {
  local db=$1 t
  for t in $(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type = 'table'
                            AND name NOT LIKE 'sqlite%' AND name <> 'schema_migrations'
                            ORDER BY name"); do
    echo "== $t"
    sqlite3 -cmd ".mode quote" "$db" "SELECT * FROM \"$t\"" | LC_ALL=C sort
  done
}

same_data() {
  local a=$1 b=$2 what=$3
  dump "$a" >"$work/a.dump"
  dump "$b" >"$work/b.dump"
  if ! cmp -s "$work/a.dump" "$work/b.dump"; then
    fail "$what: data differs"
    diff "$work/a.dump" "$work/b.dump" | head -10
  elif [ "$(grep -vc '^==' "$work/a.dump")" -lt 1000 ]; then
    fail "$what: the source has too few rows to prove anything"
  fi
}

"$bin" demo --scale county --db "$work/src.db" >/dev/null

# SQLite -> SQLite.
if ! "$bin" copy --from "sqlite:$work/src.db" --to "$work/copy.db" >"$work/out" 2>&1; then
  fail "sqlite copy: $(cat "$work/out")"
else
  grep -q "复制完成" "$work/out" || fail "sqlite copy: no summary: $(cat "$work/out")"
  same_data "$work/src.db" "$work/copy.db" "sqlite -> sqlite"
  cmp -s "$work/src.db.key" "$work/copy.db.key" || fail "the key file was not copied"
  [ "$(stat -c %a "$work/copy.db.key")" = 600 ] || fail "the copied key is not mode 0600"
fi

# A destination with a schema (here: the copy just made) is refused, untouched.
before=$(sqlite3 "$work/copy.db" "SELECT COUNT(*) FROM households")
if "$bin" copy --from "$work/src.db" --to "$work/copy.db" >"$work/out" 2>&1; then
  fail "copy onto an initialised database succeeded"
else
  grep -q "已初始化" "$work/out" || fail "refusal does not say why: $(cat "$work/out")"
fi
[ "$(sqlite3 "$work/copy.db" "SELECT COUNT(*) FROM households")" = "$before" ] ||
  fail "the refused destination changed"

# A missing source.
if "$bin" copy --from "$work/none.db" --to "$work/x.db" >"$work/out" 2>&1; then
  fail "copy from a missing source succeeded"
fi
[ ! -e "$work/x.db" ] || fail "a destination was created for a missing source"

# Usage errors.
"$bin" copy --from "$work/src.db" >/dev/null 2>&1 && fail "copy without --to succeeded"
"$bin" copy --from a.db --to a.db >/dev/null 2>&1 && fail "copy onto itself succeeded"

# SQLite -> PostgreSQL -> SQLite.
if [ -n "${BF_TEST_PG:-}" ]; then
  pg_db="bftest_copy_$$"
  pg=$(pg_url "$pg_db")
  # A PostgreSQL database keeps its key in ./bangfu.key: run from $work.
  if ! (cd "$work" && "$bin" copy --from src.db --to "$pg") >"$work/out" 2>&1; then
    fail "sqlite -> pg: $(cat "$work/out")"
  fi
  cmp -s "$work/src.db.key" "$work/bangfu.key" || fail "the key did not follow to PostgreSQL"
  if ! (cd "$work" && "$bin" copy --from "$pg" --to back.db) >"$work/out" 2>&1; then
    fail "pg -> sqlite: $(cat "$work/out")"
  else
    same_data "$work/src.db" "$work/back.db" "sqlite -> pg -> sqlite"
    cmp -s "$work/src.db.key" "$work/back.db.key" || fail "the key did not come back"
  fi
  # Statistics read the same through either backend.
  "$bin" stats --db "$work/src.db" >"$work/stats.sqlite"
  "$bin" stats --db "$pg" >"$work/stats.pg"
  cmp -s "$work/stats.sqlite" "$work/stats.pg" || fail "stats differ between backends"
  # Identity columns continue after the copied ids.
  psql "$pg" -qAtc "INSERT INTO users (username, role, region_code, password_hash, created_at,
                    updated_at) VALUES ('after_copy', 'auditor', '360000000000', 'x', 0, 0)" \
    >"$work/out" 2>&1 || fail "insert after copy reused an id (identity not reset): $(cat "$work/out")"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "ok"
