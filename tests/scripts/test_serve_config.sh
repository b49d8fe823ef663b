#!/usr/bin/env bash
# test_serve_config.sh - `bangfu serve --config FILE`: the settings of the
# file take effect (body limit, access log file, listen address, session idle
# time as the API reports it), a command-line option overrides the file, and
# a bad file (unknown key, value out of range, a line without '=', a missing
# file) stops the server before it listens, with a Chinese message naming the
# problem and its line, and a non-zero exit.
set -euo pipefail
BIN=${BF_BINARY:?}
dir=$(mktemp -d /tmp/bangfu-config-XXXXXX)
pid=0
trap 'if [ "$pid" -gt 0 ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$BIN" init --db "$dir/t.db" >/dev/null
echo "Passw0rd-config1" | "$BIN" user add op --region 360102 --role county_operator \
  --password-stdin --db "$dir/t.db" >/dev/null

cat >"$dir/good.conf" <<CONF
# a test configuration
listen = 127.0.0.1:0
threads = 2
max_body = 2K          # JSON bodies up to 2 KiB
access_log = $dir/from-file.log
session_idle = 321
CONF

start() { # start CONFIG [more options]: sets pid and base
  rm -f "$dir/port"
  "$BIN" serve --db "$dir/t.db" --config "$@" --ready-file "$dir/port" 2>"$dir/serve.err" &
  pid=$!
  for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
  [ -s "$dir/port" ] || fail "server did not start: $(cat "$dir/serve.err")"
  base="http://127.0.0.1:$(cat "$dir/port")/api/v1"
}
stop() {
  kill -TERM "$pid"
  wait "$pid" || fail "serve exited with $?"
  pid=0
}
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
pad() { head -c "$1" /dev/zero | tr '\0' a; }

start "$dir/good.conf"
# max_body = 2K: 3000 bytes are refused with 413 unread; 1500 are read (and
# their over-long password refused with 422).
[ "$(status_of -H 'Content-Type: application/json' \
  -d "{\"username\":\"op\",\"password\":\"$(pad 3000)\"}" "$base/auth/login")" = 413 ] ||
  fail "a 3000-byte body was not refused with max_body = 2K"
[ "$(status_of -H 'Content-Type: application/json' \
  -d "{\"username\":\"op\",\"password\":\"$(pad 1500)\"}" "$base/auth/login")" = 422 ] ||
  fail "a 1500-byte body was refused with max_body = 2K"
# session_idle = 321, as the account's own view reports it.
curl -s -c "$dir/jar" -o /dev/null -H 'Content-Type: application/json' \
  -d '{"username":"op","password":"Passw0rd-config1"}' "$base/auth/login"
curl -s -b "$dir/jar" "$base/auth/me" | grep -q '"session_idle_seconds":321' ||
  fail "session_idle from the file not in effect"
stop
# access_log: the file named in the configuration has the requests.
grep -q '"path":"/api/v1/auth/me","status":200' "$dir/from-file.log" ||
  fail "access log from the file not written"
grep -q '"status":413' "$dir/from-file.log" || fail "the 413 is not in the access log"

# The command line overrides the file.
start "$dir/good.conf" --access-log "$dir/from-option.log"
status_of "$base/health" >/dev/null
stop
grep -q '"path":"/api/v1/health"' "$dir/from-option.log" || fail "--access-log did not override"
grep -q '"path":"/api/v1/health"' "$dir/from-file.log" && fail "the file's log was still written"

# Bad files: refused before listening, exit non-zero, the reason in Chinese.
refused() { # refused NAME CONTENT EXPECTED-MESSAGE-PART
  printf '%s\n' "$2" >"$dir/$1.conf"
  rm -f "$dir/port"
  if "$BIN" serve --db "$dir/t.db" --config "$dir/$1.conf" --ready-file "$dir/port" \
    2>"$dir/$1.err"; then
    fail "$1: the server accepted a bad configuration"
  fi
  [ ! -s "$dir/port" ] || fail "$1: the server listened"
  grep -q "$3" "$dir/$1.err" || fail "$1: message lacks '$3': $(cat "$dir/$1.err")"
}
refused unknown "$(printf 'listen = 127.0.0.1:0\nmax_bodyy = 2K')" "未知的配置项：max_bodyy"
refused unknown "$(printf 'listen = 127.0.0.1:0\nmax_bodyy = 2K')" "第 2 行"
refused range "$(printf 'listen = 127.0.0.1:0\nthreads = 0')" "配置项 threads 的值 0 无效"
refused suffix "$(printf 'max_body = lots')" "配置项 max_body 的值 lots 无效"
refused overflow "$(printf 'max_upload = 1099511627776G')" "配置项 max_upload 的值 1099511627776G 无效"
refused noequals "$(printf '# ok\n\nlisten 127.0.0.1:0')" "第 3 行缺少“=”"
refused boolean "cookie_secure = maybe" "配置项 cookie_secure 须为 true 或 false"
if "$BIN" serve --db "$dir/t.db" --config "$dir/none.conf" 2>"$dir/none.err"; then
  fail "a missing configuration file was accepted"
fi
grep -q "无法打开配置文件" "$dir/none.err" || fail "missing file: $(cat "$dir/none.err")"
echo ok
