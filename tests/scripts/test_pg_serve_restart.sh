#!/usr/bin/env bash
# test_pg_serve_restart.sh - `bangfu serve` on PostgreSQL survives its database
# server going away: on a private throwaway cluster (restarting the suite's
# shared one would disturb the tests running beside this one), the server is
# restarted and later stopped for a while under a running `bangfu serve`.
# Every request meanwhile is answered 200 or 503 (never a crash, never another
# status), and once the database is back every request succeeds again, with
# the session made before the restart still valid. Skipped (passes) when the
# PostgreSQL server binaries are not installed.
set -euo pipefail
src=${BF_SOURCE_DIR:?}
bin=${BF_BINARY:?}
dir=$(mktemp -d /tmp/bangfu-pgserve-XXXXXX)
pid=0
cluster=""
cleanup() {
  [ "$pid" -eq 0 ] || kill "$pid" 2>/dev/null || true
  [ -z "$cluster" ] || "$src/scripts/pg-test-cluster" stop "$cluster" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [ ! -f "$dir/serve.err" ] || tail -5 "$dir/serve.err" >&2
  exit 1
}

if ! cluster=$("$src/scripts/pg-test-cluster" start 2>"$dir/cluster.err"); then
  if grep -q "not found" "$dir/cluster.err"; then
    echo "skipped: no PostgreSQL server binaries"
    exit 0
  fi
  cat "$dir/cluster.err" >&2
  fail "could not start a cluster"
fi
db="$cluster&dbname=bangfu"
export BANGFU_KEY_FILE="$dir/bangfu.key"
unset BANGFU_DB

"$bin" init --db "$db" >"$dir/init.out" || fail "init on PostgreSQL: $(cat "$dir/init.out")"
echo "Passw0rd-restart1" | "$bin" user add op --region 360102 --role county_operator \
  --password-stdin --db "$db" >/dev/null || fail "user add"

"$bin" serve --db "$db" --listen 127.0.0.1:0 --threads 2 --ready-file "$dir/port" \
  --access-log off 2>"$dir/serve.err" &
pid=$!
for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
[ -s "$dir/port" ] || fail "serve did not start"
base="http://127.0.0.1:$(cat "$dir/port")/api/v1"
code=$(curl -s -o /dev/null -w '%{http_code}' -c "$dir/jar" -H 'Content-Type: application/json' \
  -d '{"username":"op","password":"Passw0rd-restart1"}' "$base/auth/login")
[ "$code" = 200 ] || fail "login answered $code"
[ "$(curl -s -o /dev/null -w '%{http_code}' -b "$dir/jar" "$base/projects")" = 200 ] ||
  fail "projects before the restart"

# N requests; every answer must be 200 or 503. Prints the codes. Each asks
# for another search, so that none is answered from the server's cache of
# list pages: every one needs the database.
probe=0
requests() {
  local n=$1 codes="" code
  for _ in $(seq "$n"); do
    probe=$((probe + 1))
    code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -b "$dir/jar" \
      "$base/projects?q=probe$probe-$RANDOM$RANDOM")
    case "$code" in 200 | 503) ;; *) fail "a request answered $code (codes so far:$codes)" ;; esac
    codes="$codes $code"
  done
  echo "$codes"
}

# 1. A restart: the pool's connections all die at once.
"$src/scripts/pg-test-cluster" restart "$cluster" || fail "cluster restart"
codes=$(requests 12)
kill -0 "$pid" 2>/dev/null || fail "serve died after the restart"
last=$(echo "$codes" | awk '{ for (i = NF - 3; i <= NF; i++) printf "%s ", $i }')
[ "$last" = "200 200 200 200 " ] || fail "not recovered after the restart:$codes"

# 2. The database server down for a while: 503, quickly; then back.
"$src/scripts/pg-test-cluster" halt "$cluster" || fail "cluster halt"
codes=$(requests 3)
case "$codes" in *200*) fail "a request succeeded with the database down:$codes" ;; esac
kill -0 "$pid" 2>/dev/null || fail "serve died with the database down"
"$src/scripts/pg-test-cluster" restart "$cluster" || fail "cluster start"
codes=$(requests 12)
last=$(echo "$codes" | awk '{ for (i = NF - 3; i <= NF; i++) printf "%s ", $i }')
[ "$last" = "200 200 200 200 " ] || fail "not recovered after the outage:$codes"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health")" = 200 ] || fail "health after"

# A clean stop, and nothing in the log a sanitizer would write.
kill -TERM "$pid"
wait "$pid" || fail "serve exited with $?"
pid=0
if grep -q "Sanitizer\|runtime error" "$dir/serve.err"; then
  fail "sanitizer report in the server's log"
fi
"$bin" audit verify --db "$db" | grep -q "完整" || fail "audit chain after the restarts"
echo ok
