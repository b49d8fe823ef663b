#!/usr/bin/env bash
# test_http_serve.sh - the real `bangfu serve` binary: start on a free port,
# log in with curl, one access-log line per request, graceful stop on SIGTERM
# with a request in flight, and the user/audit commands around it.
set -euo pipefail
BIN=${BF_BINARY:?}
dir=$(mktemp -d /tmp/bangfu-serve-XXXXXX)
trap 'if [ "$pid" -gt 0 ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$dir"' EXIT
pid=0
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$BIN" init --db "$dir/t.db")
echo "$out" | grep -q "初始密码" || fail "init did not print the first admin's password"
echo "Passw0rd-script1" | "$BIN" user add op --region 360102 --role county_operator \
  --password-stdin --db "$dir/t.db" >/dev/null
"$BIN" user add bad --region 3601 --role county_operator --db "$dir/t.db" 2>/dev/null &&
  fail "a county role on a city region was accepted"
"$BIN" user list --db "$dir/t.db" | grep -q "^op " || fail "user list"

"$BIN" serve --db "$dir/t.db" --listen 127.0.0.1:0 --ready-file "$dir/port" \
  --access-log "$dir/access.log" 2>"$dir/serve.err" &
pid=$!
for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
port=$(cat "$dir/port")
base="http://127.0.0.1:$port/api/v1"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health")" = 200 ] || fail "health"
code=$(curl -s -o "$dir/login.json" -w '%{http_code}' -c "$dir/jar" -H 'Content-Type: application/json' \
  -d '{"username":"op","password":"Passw0rd-script1"}' "$base/auth/login")
[ "$code" = 200 ] || fail "login $code"
grep -q "HttpOnly" "$dir/jar" || grep -q "#HttpOnly_" "$dir/jar" || fail "cookie not HttpOnly"
[ "$(curl -s -o /dev/null -w '%{http_code}' -b "$dir/jar" "$base/projects")" = 200 ] || fail "list"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/projects")" = 401 ] || fail "401"
# A path with a quote, a backslash and a line break (decoded by the server)
# still makes one JSON line in the access log.
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/x%22y%5Cz%0Aw")" = 404 ] || fail "odd path"
# A slow request in flight (the body trickles in) must finish after SIGTERM;
# a new request during that drain is refused with a 503 and Retry-After.
( sleep 0.3; kill -TERM $pid
  for _ in $(seq 40); do
    curl -s -D "$dir/drain.h" -o /dev/null -w '%{http_code}' "$base/health" >"$dir/drain.code"
    [ "$(cat "$dir/drain.code")" = 503 ] && break
    sleep 0.03
  done ) &
code=$(curl -s -o /dev/null -w '%{http_code}' --limit-rate 2K -b "$dir/jar" \
  -H 'Content-Type: application/json' -H "X-CSRF-Token: x" \
  --data-binary "{\"pad\":\"$(head -c 3000 /dev/zero | tr '\0' a)\"}" "$base/auth/logout")
[ "$code" = 403 ] || fail "request in flight during stop answered $code"
wait $pid || fail "serve exited with $?"
pid=0
[ "$(cat "$dir/drain.code")" = 503 ] || fail "a request during the drain answered $(cat "$dir/drain.code")"
grep -qi '^Retry-After: 5' "$dir/drain.h" || fail "the drain's 503 has no Retry-After"
grep -q "已停止" "$dir/serve.err" || fail "no clean stop message"
lines=$(wc -l < "$dir/access.log")
[ "$lines" -ge 5 ] || fail "access log has $lines lines"
grep -q '"user":"op","addr":"127.0.0.1","method":"GET","path":"/api/v1/projects","status":200' \
  "$dir/access.log" || fail "access log line shape"
# The log is buffered: every line of the exchanges above was written at the
# stop, each one a JSON object, the odd path escaped.
python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert any(l["path"] == "/api/v1/x\"y\\z\nw" and l["status"] == 404 for l in lines), lines
assert all(set(l) == {"time", "user", "addr", "method", "path", "status", "bytes", "ms"} for l in lines)
' "$dir/access.log" || fail "access log lines are not JSON objects of the expected shape"
"$BIN" audit verify --db "$dir/t.db" | grep -q "完整" || fail "audit verify"
"$BIN" audit export --db "$dir/t.db" --output "$dir/audit.jsonl" 2>/dev/null
grep -q '"action":"login"' "$dir/audit.jsonl" || fail "audit export lacks the login"
echo ok
