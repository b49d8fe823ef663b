#!/usr/bin/env bash
# The options classify, explain, classification, warnings, rules and thresholds
# share (--db, --year, --region, --by, --note, --format, --english-headers;
# src/cli/cli.c) behave the same in every command, at the edges too: an
# unknown option, a missing value, a year out of range, a bad region or
# format are usage errors (exit 2, a Chinese message naming the command and
# pointing to its --help); abbreviations getopt accepts still work; each
# command keeps its own options and its own checks.
# Runs the real binary on a fresh database. Prints one line per check and a
# closing "N passed, N failed".
set -u
bin=${BF_BINARY:?}
work=$(mktemp -d /tmp/bangfu-cli-test-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
db=$work/t.db
"$bin" init --db "$db" >/dev/null 2>&1 || { echo "FAIL bangfu init"; exit 1; }

# check NAME EXIT STDERR-LINE ARGS...: run bangfu ARGS; the exit code must be
# EXIT and stderr must hold the line STDERR-LINE (if not empty).
check() {
  local name=$1 want=$2 line=$3 rc=0
  shift 3
  (cd "$work" && USER=tester "$bin" "$@" >"$work/out" 2>"$work/err") || rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL $name: exit $rc, not $want"
    sed 's/^/     /' "$work/err" | head -5
    failed=$((failed + 1))
  elif [ -n "$line" ] && ! grep -qxF -- "$line" "$work/err"; then
    echo "FAIL $name: stderr lacks: $line"
    sed 's/^/     /' "$work/err" | head -5
    failed=$((failed + 1))
  else
    echo "ok   $name"
    passed=$((passed + 1))
  fi
}

# -- unknown options and missing values: usage errors of that very command
check "classify: unknown option" 2 "bangfu classify: 无法识别的参数" classify --bogus --db "$db"
check "classify: --help named" 2 "用法请见 bangfu classify --help" classify --bogus --db "$db"
check "classify: missing value" 2 "bangfu classify: 无法识别的参数" classify --db "$db" --year
check "classify: an option of another command" 2 "bangfu classify: 无法识别的参数" \
  classify --year 2025 --status open --db "$db"
check "classify: ambiguous abbreviation (--by, --batch)" 2 "bangfu classify: 无法识别的参数" \
  classify --b x --year 2025 --db "$db"
check "warnings list: unknown option" 2 "bangfu warnings list: 无法识别的参数" \
  warnings list --batch x --db "$db"
check "warnings list: missing value" 2 "用法请见 bangfu warnings list --help" \
  warnings list --db "$db" --by
check "rules export: unknown short option" 2 "bangfu rules export: 无法识别的参数" \
  rules export --year 2025 -x --db "$db"
check "rules export: -o without a file" 2 "bangfu rules export: 无法识别的参数" \
  rules export --db "$db" --year 2025 -o
check "rules export: --format is not its option" 2 "bangfu rules export: 无法识别的参数" \
  rules export --year 2025 --format csv --db "$db"
check "thresholds list: unknown option" 2 "bangfu thresholds list: 无法识别的参数" \
  thresholds list --bogus --db "$db"

# -- sub-commands: missing or unknown
check "rules: sub-command missing" 2 "bangfu rules: 需要子命令：import、export、list 或 indicators" rules
check "thresholds: sub-command missing" 2 "bangfu thresholds: 需要子命令：set、list 或 import" thresholds
check "classification: sub-command missing" 2 \
  "bangfu classification: 需要子命令：list、confirm 或 history" classification
check "warnings: sub-command missing" 2 "bangfu warnings: 需要子命令：list、ack 或 resolve" warnings
check "warnings: unknown sub-command" 2 "bangfu warnings: 未知的子命令 lst" warnings lst --db "$db"

# -- --year: a whole number from 2000 to 2100 everywhere
check "classify: year below the range" 2 "bangfu classify: --year 无效：数值超出允许范围" \
  classify --year 1999 --db "$db"
check "classify: year above the range" 2 "bangfu classify: --year 无效：数值超出允许范围" \
  classify --year 2101 --db "$db"
check "classify: year not a number" 2 "" classify --year 2025x --db "$db"
check "explain: bad year" 2 "bangfu explain: --year 无效：数值超出允许范围" \
  explain project XM001 --year 1999 --db "$db"
check "classification list: bad year" 2 "bangfu classification list: --year 无效：数值超出允许范围" \
  classification list --year 3000 --db "$db"
check "warnings list: bad year" 2 "bangfu warnings list: --year 无效：数值超出允许范围" \
  warnings list --year 1999 --db "$db"
check "rules list: bad year" 2 "bangfu rules list: --year 无效：数值超出允许范围" \
  rules list --year 20 --db "$db"
check "thresholds set: bad year" 2 "bangfu thresholds set: --year 无效：数值超出允许范围" \
  thresholds set --year 2200 --yuan 7500 --db "$db"
check "classify: --year required" 2 "bangfu classify: 需要 --year 年度" classify --db "$db"

# -- --region and --format
check "classification list: bad region" 2 \
  "bangfu classification list: --region 无效：区划代码应为2、4、6、9或12位数字" \
  classification list --year 2025 --region abc --db "$db"
check "warnings list: bad region" 2 \
  "bangfu warnings list: --region 无效：区划代码应为2、4、6、9或12位数字" \
  warnings list --region x --db "$db"
check "thresholds set: bad region" 2 \
  "bangfu thresholds set: --region 无效：区划代码应为2、4、6、9或12位数字" \
  thresholds set --year 2025 --yuan 7500 --region bad --db "$db"
check "thresholds set: --yuan is asked for before the region is checked" 2 \
  "bangfu thresholds set: 需要 --year 年度 和 --yuan 金额（元/人·年）" \
  thresholds set --year 2025 --region bad --db "$db"
check "thresholds list: --region is not checked (not used)" 0 "" \
  thresholds list --region bad --db "$db"
check "classification list: bad format" 2 "bangfu classification list: --format 只能是 text、csv 或 json" \
  classification list --year 2025 --format yaml --db "$db"
check "warnings list: bad format" 2 "bangfu warnings list: --format 只能是 text、csv 或 json" \
  warnings list --format xml --db "$db"

# -- each command's own options and checks
check "warnings list: bad --kind" 2 "bangfu warnings list: --kind 只能是 project 或 household" \
  warnings list --kind cow --db "$db"
check "warnings list: --kind in Chinese" 0 "共 0 条预警" warnings list --kind 农户 --db "$db"
check "warnings list: bad --status" 2 \
  "bangfu warnings list: --status 只能是 open、acknowledged 或 resolved（待处理、已知悉、已解除）" \
  warnings list --status bad --db "$db"
check "warnings list: abbreviated --sta" 0 "共 0 条预警" warnings list --sta open --year 2025 --db "$db"
check "warnings ack: --by required" 2 "bangfu warnings ack: 需要 --by 处理人" warnings ack 1 --db "$db"
check "rules export: bad --version" 2 "bangfu rules export: --version 无效：数值超出允许范围" \
  rules export --year 2025 --version 0 --db "$db"
check "classification confirm: --by required" 2 "bangfu classification confirm: 需要 --by 确认人" \
  classification confirm XM001 --year 2025 --db "$db"

# -- what parses well works
check "classification list --format csv --english-headers" 0 "" \
  classification list --year 2025 --format csv --english-headers --db "$db"
if head -1 "$work/out" | grep -q "code,year,proposed_batch"; then
  echo "ok   english headers written"
  passed=$((passed + 1))
else
  echo "FAIL english headers written"
  failed=$((failed + 1))
fi
check "rules export -o FILE" 0 "" rules export --year 2025 -o "$work/rules.csv" --db "$db"
if [ -s "$work/rules.csv" ]; then
  echo "ok   -o wrote the file"
  passed=$((passed + 1))
else
  echo "FAIL -o wrote the file"
  failed=$((failed + 1))
fi
check "classify --ye (abbreviated) with --region" 0 "" classify --ye 2025 --region 36 --db "$db"
check "thresholds set with --by and --note" 0 "" \
  thresholds set --year 2025 --yuan 7500 --region 36 --by 省局 --note 测试 --db "$db"
check "thresholds list --his (abbreviated)" 0 "" thresholds list --his --db "$db"
if grep -q "省局  测试" "$work/out"; then
  echo "ok   --by and --note reached the record"
  passed=$((passed + 1))
else
  echo "FAIL --by and --note reached the record"
  sed 's/^/     /' "$work/out"
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
