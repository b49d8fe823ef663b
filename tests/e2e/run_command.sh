#!/usr/bin/env bash
# run_command.sh - the README's first command, scripts/run, as a user runs it:
# it sets up (packages already present here), builds, creates the county demo
# database, prints the admin password once and serves the API and the web UI;
# a second run reuses the database (no new password) and serves it again.
# Run by scripts/test once, after the web UI tests (it builds the release
# binary and the web UI in the source tree, which must not race the ctest runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d /tmp/bangfu-run-XXXXXX)
pid=0
stop() {
  if [ "$pid" -gt 0 ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  pid=0
}
trap 'stop; rm -rf "$dir"' EXIT
fail() {
  echo "FAIL: run_command: $*" >&2
  for f in "$dir"/run*.out; do
    [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }
  done
  exit 1
}

# A port nobody listens on (bash's /dev/tcp connect fails on a free port).
port=0
for _ in $(seq 50); do
  candidate=$((20000 + RANDOM % 20000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
    port=$candidate
    break
  fi
done
[ "$port" -gt 0 ] || fail "no free port"
base="http://127.0.0.1:$port"

# start N: scripts/run in the background, output in run N.out, until it serves.
start() {
  BANGFU_DB="$dir/demo.db" BANGFU_LISTEN="127.0.0.1:$port" scripts/run >"$dir/run$1.out" 2>&1 &
  pid=$!
  for _ in $(seq 1200); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/health")" = 200 ]; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || fail "run $1 ended before serving"
    sleep 0.25
  done
  fail "run $1 did not serve within 5 minutes"
}

login() {
  curl -s -o "$dir/login.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$1\"}" "$base/api/v1/auth/login"
}

# -- first run: builds, creates the demo database, prints the password once
start 1
grep -q "creating the county-scale demo database" "$dir/run1.out" || fail "run 1 did not create the demo"
grep -q "open http://127.0.0.1:$port/" "$dir/run1.out" || fail "run 1 did not print the address"
password=$(sed -n 's/.*初始密码：\([^ ，,]*\).*/\1/p' "$dir/run1.out" | head -1)
[ -n "$password" ] || fail "run 1 printed no admin password"
[ "$(grep -c "初始密码" "$dir/run1.out")" = 1 ] || fail "the password was printed more than once"
[ "$(login "$password")" = 200 ] || fail "admin cannot log in with the printed password"
grep -q '"must_change_password": *true' "$dir/login.json" ||
  fail "the printed password is not marked for change at first login"
[ "$(login "wrong-$password")" = 401 ] || fail "a wrong password was accepted"
curl -s "$base/" | grep -qi "<!doctype html" || fail "the web UI is not served at /"
projects=$(sqlite3 "$dir/demo.db" "SELECT COUNT(*) FROM projects")
[ "$projects" -gt 100 ] || fail "the demo database holds only $projects projects"
stop

# -- second run: reuses the database, prints no new password
start 2
grep -q "reusing $dir/demo.db" "$dir/run2.out" || fail "run 2 did not reuse the database"
grep -q "初始密码" "$dir/run2.out" && fail "run 2 printed a new password"
[ "$(login "$password")" = 200 ] || fail "the first password no longer works after a second run"
[ "$(sqlite3 "$dir/demo.db" "SELECT COUNT(*) FROM projects")" = "$projects" ] ||
  fail "the second run changed the demo data"
stop
echo "run_command: ok (first run created the demo and printed the password; second run reused it)"
