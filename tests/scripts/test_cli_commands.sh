#!/usr/bin/env bash
# The command line of issue 2, end to end with the real binary: `bangfu --help`
# and `bangfu COMMAND --help` for every command of the table; the database
# named by --db, else $BANGFU_DB, else ./bangfu.db; export --region and
# --empty; stats --region and --format text; the import error report on stderr
# (its format, and every bad row however many); the progress line on a
# terminal (under script(1)) and none otherwise; the privacy of ID numbers
# (key file 0600 beside the database or at --key-file, no ID number in the
# database in plain text, masked exports unless --reveal).
# Databases come from tests/support/bf_test_db.sh, so the suite's PostgreSQL
# run checks PostgreSQL (what only a SQLite file has is checked on SQLite).
# Prints one line per check and a closing "N passed, N failed".
set -u
src=${BF_SOURCE_DIR:?}
bin=${BF_BINARY:?}
fixtures=$src/tests/import/fixtures
work=$(mktemp -d /tmp/bangfu-cli-commands-XXXXXX)
. "$src/tests/support/bf_test_db.sh"
trap 'bf_test_db_cleanup; rm -rf "$work"' EXIT
kinds=(regions projects assets project_years households members household_years benefits)
# Every ID number of the fixtures (households.csv and members.csv).
ids=(360102197003120019 360102197003120027 360102197003120035 360102197003120043
  36010219700312006x 36010219700312006X 360102197003120051)
pg=0
[ "${BF_TEST_BACKEND:-}" = "pg" ] && pg=1
passed=0
failed=0

ok() {
  echo "ok   $1"
  passed=$((passed + 1))
}
fail() {
  echo "FAIL $1"
  failed=$((failed + 1))
  if [ -n "${2:-}" ]; then sed 's/^/     /' "$2" | head -10; fi
}
# verdict NAME: ok or FAIL by the status of the check just run.
verdict() {
  if [ $? -eq 0 ]; then ok "$1"; else fail "$1"; fi
}
# same WANT-FILE GOT-FILE: the files are equal (CR and the BOM ignored); else
# shows the difference and is false.
same() {
  local want got
  want=$(sed 's/\r$//; 1s/^\xef\xbb\xbf//' "$1")
  got=$(sed 's/\r$//; 1s/^\xef\xbb\xbf//' "$2")
  [ "$want" = "$got" ] && return 0
  diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -10 | sed 's/^/     /'
  return 1
}
# run EXIT ARGS...: bangfu ARGS in $work, stdout to $work/out, stderr to $work/err;
# false (saying why) if the exit status is not EXIT.
run() {
  local want=$1 rc=0
  shift
  (cd "$work" && "$bin" "$@" >"$work/out" 2>"$work/err") || rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "     bangfu $*: exit $rc, not $want"
    sed 's/^/     /' "$work/err" | head -5
    return 1
  fi
}

# -- bangfu --help and bangfu COMMAND --help for every command of the table
if run 0 --help; then
  sed -n '/^Commands:$/,/^$/p' "$work/out" | awk 'NF >= 2 { print $1 }' >"$work/commands"
  if [ "$(wc -l <"$work/commands")" -ge 15 ] && grep -qx import "$work/commands" &&
    grep -qx migrate "$work/commands" && grep -qF '$BANGFU_DB' "$work/out"; then
    ok "bangfu --help lists the commands and --db's default"
  else
    fail "bangfu --help lists the commands" "$work/out"
  fi
  while read -r command; do
    if run 0 "$command" --help && [ ! -s "$work/err" ] &&
      head -1 "$work/out" | grep -q "^用法: bangfu $command\( \|$\)"; then
      ok "bangfu $command --help"
    else
      fail "bangfu $command --help prints its usage" "$work/out"
    fi
  done <"$work/commands"
  [ ! -e "$work/bangfu.db" ]
  verdict "--help opens no database"
fi
run 0 -h && cmp -s "$work/out" <(cd "$work" && "$bin" --help)
verdict "bangfu -h is --help"
run 0 import --db "$work/none.db" -h && grep -q "^用法: bangfu import KIND FILE" "$work/out"
verdict "-h after other options"
run 2 && grep -q "^Commands:" "$work/out"
verdict "bangfu alone prints the help, exit 2"
run 2 nosuch && grep -qxF "bangfu: 未知命令 nosuch" "$work/err"
verdict "an unknown command: exit 2"

# -- privacy: the key file (0600) beside the database, or where --key-file says
if [ "$pg" = 0 ]; then
  if run 0 init --db "$work/k.db" && [ "$(stat -c %a "$work/k.db.key")" = 600 ] &&
    [ "$(stat -c %s "$work/k.db.key")" -gt 0 ]; then
    ok "init: key file beside the database, mode 0600"
  else
    fail "init: key file beside the database, mode 0600" "$work/out"
  fi
  mkdir -p "$work/keys"
  run 0 init --db "$work/o.db" --key-file "$work/keys/o.key" &&
    [ "$(stat -c %a "$work/keys/o.key")" = 600 ] && [ ! -e "$work/o.db.key" ]
  verdict "init --key-file: the key at that path, mode 0600, none beside the database"
  # The option's key is the one used: households import with it, and not without it.
  run 0 import regions "$fixtures/regions.csv" --db "$work/o.db" &&
    run 0 import households "$fixtures/households.csv" --db "$work/o.db" --key-file "$work/keys/o.key" &&
    run 0 export households --reveal --db "$work/o.db" --key-file "$work/keys/o.key" &&
    grep -q "360102197003120019" "$work/out"
  verdict "import and export --reveal with --key-file"
  rc=0
  (cd "$work" && "$bin" export households --reveal --db "$work/o.db" >/dev/null 2>&1) || rc=$?
  [ "$rc" -ne 0 ]
  verdict "export --reveal without the key file fails"
  # A second init keeps the key (it encrypts what is stored).
  sum=$(sha256sum <"$work/k.db.key")
  run 0 init --db "$work/k.db" && [ "$(sha256sum <"$work/k.db.key")" = "$sum" ] &&
    grep -q "^沿用身份证号密钥文件" "$work/out"
  verdict "init again keeps the key file"
fi

# -- one database with every fixture, on the backend under test
bf_test_db db "$work" all || fail "no database"
run 0 init --db "$db" || true
for kind in "${kinds[@]}"; do
  run 0 import "$kind" "$fixtures/$kind.csv" --db "$db" || true
done

# -- privacy: no ID number in plain text in the database
found=0
if [ "$pg" = 0 ]; then
  # Every byte of the database files (the WAL too), and every value as SQL text.
  sqlite3 "$db" .dump >"$work/dump.sql"
  for id in "${ids[@]}"; do
    for f in "$db" "$db-wal" "$db-shm" "$work/dump.sql"; do
      [ -e "$f" ] || continue
      if grep -qaF "$id" "$f"; then
        echo "     $id in $f"
        found=1
      fi
    done
  done
  # ... and every text column of every table, one value a line.
  for table in $(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type = 'table'"); do
    for column in $(sqlite3 "$db" "SELECT name FROM pragma_table_info('$table')"); do
      sqlite3 "$db" "SELECT \"$column\" FROM \"$table\" WHERE typeof(\"$column\") = 'text'" \
        >>"$work/texts"
    done
  done
  [ -s "$work/texts" ] || found=1
  for id in "${ids[@]}"; do
    grep -qiF "${id:0:17}" "$work/texts" && { echo "     $id in a text column"; found=1; }
  done
else
  # PostgreSQL: the whole database as pg_dump writes it (bytea as hex).
  pg_dump --data-only "$db" >"$work/dump.sql" 2>"$work/pg_dump.err" || found=1
  grep -q "360102001001" "$work/dump.sql" || found=1 # the dump holds the data
  for id in "${ids[@]}"; do
    hex=$(printf '%s' "$id" | od -An -tx1 | tr -d ' \n')
    grep -qiF -e "${id:0:17}" -e "${hex:0:34}" "$work/dump.sql" && {
      echo "     $id in the dump"
      found=1
    }
  done
fi
[ "$found" = 0 ]
verdict "no ID number in plain text in the database"

# -- privacy: exports mask ID numbers (360***********1234) unless --reveal
printf '%s\n' "户编号,区划代码,户主身份证号,户主姓名,户类型,家庭人口,风险状态" \
  "H001,360102001001,360***********0019,张三,脱贫户,3,无" \
  "H002,360102001002,360***********0027,李四,边缘易致贫户,2,风险未消除" \
  "H003,360103001001,360***********0035,王五,脱贫不稳定户,1,风险已消除" >"$work/want"
run 0 export households --db "$db" && same "$work/want" "$work/out"; verdict "export households: masked"
run 0 export members --db "$db" && cut -d, -f2 "$work/out" | sed 's/\r$//' >"$work/got" &&
  printf '%s\n' 身份证号 360***********0019 360***********0043 360***********006X \
    360***********0027 360***********0051 360***********0035 >"$work/want" &&
  same "$work/want" "$work/got"; verdict "export members: masked (X kept)"
run 0 export households --db "$db" --reveal && cut -d, -f3 "$work/out" | sed 's/\r$//' >"$work/got" &&
  printf '%s\n' 户主身份证号 360102197003120019 360102197003120027 360102197003120035 >"$work/want" &&
  same "$work/want" "$work/got"; verdict "export households --reveal"
if run 0 export members --db "$db" --format xlsx -o "$work/m.xlsx"; then
  unzip -p "$work/m.xlsx" >"$work/xlsx.txt"
  if grep -qF "360***********0043" "$work/xlsx.txt" && ! grep -qF "360102197003120043" "$work/xlsx.txt"; then
    ok "export members --format xlsx: masked"
  else
    fail "export members --format xlsx: masked"
  fi
fi

# -- export --region: the records in the region's subtree only
run 0 export projects --region 360103 --db "$db" && cut -d, -f1 "$work/out" | sed 's/\r$//' >"$work/got" &&
  printf '%s\n' $'\xef\xbb\xbf项目编号' XM003 >"$work/want" &&
  same "$work/want" "$work/got"; verdict "export projects --region 360103 (a county)"
run 0 export households --region 360102001 --db "$db" && cut -d, -f1 "$work/out" >"$work/got" &&
  printf '%s\n' 户编号 H001 H002 >"$work/want" &&
  same "$work/want" "$work/got"; verdict "export households --region 360102001 (a township)"
run 0 export members --region 360102001002 --db "$db" && cut -d, -f1,3 "$work/out" >"$work/got" &&
  printf '%s\n' 户编号,姓名 H002,李四 H002,李小四 >"$work/want" &&
  same "$work/want" "$work/got"; verdict "export members --region 360102001002 (a village)"
run 0 export benefits --region 360102001001 --db "$db" && cut -d, -f1,3 "$work/out" >"$work/got" &&
  printf '%s\n' 户编号,带动方式 H001,分红 H001,务工 >"$work/want" &&
  same "$work/want" "$work/got"; verdict "export benefits --region (through the household)"
run 0 export assets --region 36 --db "$db" && [ "$(wc -l <"$work/out")" = 4 ]
verdict "export assets --region 36 (the province): all"
run 0 export regions --region 360103 --db "$db" && cut -d, -f1 "$work/out" >"$work/got" &&
  printf '%s\n' 区划代码 360103000000 360103001000 360103001001 >"$work/want" &&
  same "$work/want" "$work/got"; verdict "export regions --region 360103"
run 3 export projects --region 360199 --db "$db" &&
  grep -qxF "bangfu: 区划 360199 不存在，请先导入行政区划" "$work/err" && [ ! -s "$work/out" ]
verdict "export --region of no region: an error, not an empty file"
run 2 export projects --region 3601x --db "$db" && grep -q "区划代码 3601x 无效" "$work/err"
verdict "export --region malformed: usage error"

# -- export --empty: the header row only, of every kind, no database needed
for kind in "${kinds[@]}"; do
  if run 0 export "$kind" --empty -o "$work/empty-$kind.csv" --db "$work/no-such.db"; then
    (cd "$work" && "$bin" export "$kind" --db "$db") | head -1 >"$work/want"
    if [ "$(wc -l <"$work/empty-$kind.csv")" = 1 ]; then
      same "$work/want" "$work/empty-$kind.csv"; verdict "export $kind --empty: the header row"
    else
      fail "export $kind --empty: one row" "$work/empty-$kind.csv"
    fi
  fi
done
[ ! -e "$work/no-such.db" ]
verdict "export --empty opens no database"
if run 0 export households --empty -o "$work/empty.xlsx"; then
  run 0 import households "$work/empty.xlsx" --db "$db" --dry-run &&
    grep -qF "农户：共 0 行，新增 0，更新 0，未变 0" "$work/out"
  verdict "export --empty -o FILE.xlsx: a template that imports (no rows)"
fi
run 2 export projects --empty && grep -qF "bangfu export: --empty 需要用 -o 指定输出文件" "$work/err"
verdict "export --empty without -o: usage error"

# -- stats: text, JSON, --region
run 0 stats --db "$db" && printf '%s\n' "行政区划：省 1，市 1，县 2，乡镇 2，村 3" "帮扶项目：3" "项目资产：3" \
  "项目年度经营：2" "农户：3" "家庭成员：6" "农户年度收入：2" "联农带农关系：3" >"$work/want" &&
  same "$work/want" "$work/out"; verdict "stats (text by default)"
run 0 stats --format text --db "$db" && same "$work/want" "$work/out"; verdict "stats --format text"
run 0 stats --region 360103 --format text --db "$db" &&
  printf '%s\n' "行政区划：省 0，市 0，县 1，乡镇 1，村 1" "帮扶项目：1" "项目资产：1" "项目年度经营：0" \
    "农户：1" "家庭成员：1" "农户年度收入：0" "联农带农关系：0" >"$work/want" &&
  same "$work/want" "$work/out"; verdict "stats --region 360103 --format text"
run 0 stats --region 360102001001 --format json --db "$db" &&
  echo '{"regions":{"province":0,"city":0,"county":0,"township":0,"village":1},"projects":1,"assets":1,"project_years":1,"households":1,"members":3,"household_years":1,"benefits":2}' >"$work/want" &&
  same "$work/want" "$work/out"; verdict "stats --region 360102001001 --format json"
run 0 stats --region 36 --format json --db "$db" && cp "$work/out" "$work/want" &&
  run 0 stats --format json --db "$db" && same "$work/want" "$work/out"; verdict "stats --region 36 is the whole province"
run 3 stats --region 360199 --db "$db" && grep -qxF "bangfu: 区划 360199 不存在，请先导入行政区划" "$work/err"
verdict "stats --region of no region: an error"
run 2 stats --region abc --db "$db"
verdict "stats --region malformed: usage error"
run 2 stats --format csv --db "$db" && grep -qF "bangfu stats: --format 只能是 text 或 json" "$work/err"
verdict "stats --format csv: usage error"

# -- $BANGFU_DB, then ./bangfu.db; --db wins over $BANGFU_DB
bf_test_db envdb "$work" env || fail "no database"
mkdir -p "$work/cwd"
if (cd "$work/cwd" && BANGFU_DB=$envdb "$bin" init >/dev/null 2>&1 &&
  BANGFU_DB=$envdb "$bin" import regions "$fixtures/regions.csv" >/dev/null 2>&1 &&
  BANGFU_DB=$envdb "$bin" stats --format json >"$work/out" 2>"$work/err"); then
  grep -q '"village":3' "$work/out" && [ ! -e "$work/cwd/bangfu.db" ]
  verdict "\$BANGFU_DB names the database (init, import, stats)"
else
  fail "\$BANGFU_DB names the database" "$work/err"
fi
(cd "$work/cwd" && BANGFU_DB=$envdb "$bin" stats --format json --db "$db" >"$work/out" 2>&1) &&
  grep -q '"projects":3' "$work/out"
verdict "--db wins over \$BANGFU_DB"
if [ "$pg" = 0 ]; then
  if (cd "$work/cwd" && env -u BANGFU_DB -u BANGFU_KEY_FILE "$bin" init >"$work/out" 2>&1 &&
    env -u BANGFU_DB -u BANGFU_KEY_FILE "$bin" import regions "$fixtures/regions.csv" >/dev/null 2>&1 &&
    env -u BANGFU_DB -u BANGFU_KEY_FILE "$bin" import households "$fixtures/households.csv" \
      >/dev/null 2>&1); then
    [ -f "$work/cwd/bangfu.db" ] && [ "$(stat -c %a "$work/cwd/bangfu.db.key")" = 600 ]
    verdict "no --db, no \$BANGFU_DB: ./bangfu.db and ./bangfu.db.key (0600)"
  else
    fail "no --db, no \$BANGFU_DB: ./bangfu.db" "$work/out"
  fi
fi

# -- the error report on stderr (no --errors): file, row, column, value, reason
bf_test_db errdb "$work" errors || fail "no database"
run 0 init --db "$errdb" || true
run 0 import regions "$fixtures/regions.csv" --db "$errdb" || true
printf '%s\n' "项目编号,项目名称,区划代码,产业类别,产业链,建设年份,总投资,衔接资金,经营模式,经营主体,经营主体代码,权属主体,经营状态,闲置起始日期" \
  "XM101,好项目,360102001001,种植业,,2022,1000,,村集体自营,,,,正常运营," \
  "XM102,类别错误,360102001001,种地,,2022,1000.123,,村集体自营,,,,正常运营," \
  "XM103,区划不存在,360102001009,种植业,,2022,1000,,村集体自营,,,,正常运营," \
  ",缺编号,360102001001,种植业,,2022,1000,,村集体自营,,,,正常运营," \
  "XM105,闲置无日期,360102001001,种植业,,2022,1000,,村集体自营,,,,闲置," >"$work/bad.csv"
run 1 import projects "$work/bad.csv" --db "$errdb" &&
  printf '%s\n' \
    "bad.csv 第 3 行，列“产业类别”，值“种地”：取值无效，应为：种植业、养殖业、加工业、光伏、乡村旅游、电商、庭院经济、林下经济、服务业、其他" \
    "bad.csv 第 3 行，列“总投资”，值“1000.123”：金额最多保留两位小数" \
    "bad.csv 第 4 行，列“区划代码”，值“360102001009”：区划代码不存在，请先导入行政区划" \
    "bad.csv 第 5 行，列“项目编号”：必填项为空" \
    "bad.csv 第 6 行，列“闲置起始日期”：状态为闲置时必须填写闲置起始日期" \
    "帮扶项目：共 5 行，其中 4 行有错误（共 5 处）；未写入任何数据" >"$work/want" &&
  same "$work/want" "$work/err"; verdict "import: the report on stderr names file, row, column, value and reason"
[ ! -s "$work/out" ]
verdict "import with bad rows: nothing on stdout"
printf '%s\n' "项目编号,项目名称,区划代码,产业类别,备注" "XM1,x,360102001001,种植业,y" >"$work/head.csv"
run 1 import projects "$work/head.csv" --db "$errdb" && head -1 "$work/err" >"$work/got" &&
  echo "head.csv 第 1 行，列“备注”，值“备注”：未知的列“备注”（帮扶项目模板中没有此列；如确需保留请使用 --ignore-unknown）" >"$work/want" &&
  same "$work/want" "$work/got"; verdict "import: a header error on stderr"

# -- every bad row on stderr, however many (no cap), and the same as --errors
awk 'BEGIN {
  print "项目编号,项目名称,区划代码,产业类别,产业链,建设年份,总投资,衔接资金,经营模式,经营主体,经营主体代码,权属主体,经营状态,闲置起始日期"
  for (i = 1; i <= 2500; i++)
    printf "P%05d,项目%d,360102001001,%s,,2022,1000,,村集体自营,,,,正常运营,\n", i, i, (i % 2 ? "种地" : "种植业")
  for (i = 1; i <= 300; i++)
    printf "Q%05d,项目,360102001001,种植业,,1999,1000,,村集体自营,,,,正常运营,\n", i
}' >"$work/many.csv"
if run 1 import projects "$work/many.csv" --db "$errdb"; then
  grep -c "^many.csv 第 [0-9]* 行，" "$work/err" >"$work/got"
  echo 1550 >"$work/want"
  same "$work/want" "$work/got"; verdict "import: all 1,550 bad rows on stderr"
  grep -q "错误过多" "$work/err" && fail "import: stderr report cut short"
  tail -1 "$work/err" | grep -qxF "帮扶项目：共 2800 行，其中 1550 行有错误（共 1550 处）；未写入任何数据"
  verdict "import: the summary after the last error"
  grep -qF "many.csv 第 2801 行，列“建设年份”，值“1999”：年份应为 2000 至 2100 之间的四位整数" "$work/err"
  verdict "import: the last bad row is reported"
  # the same rows as the --errors report
  sed -n 's/^many.csv 第 \([0-9]*\) 行，.*/\1/p' "$work/err" >"$work/got"
  run 1 import projects "$work/many.csv" --db "$errdb" --errors "$work/many-errors.csv" &&
    sed 's/\r$//' "$work/many-errors.csv" | awk -F, 'NR > 1 { print $1 }' >"$work/want" &&
    same "$work/want" "$work/got"; verdict "import: stderr and --errors report the same rows"
fi

# -- the progress line: on a terminal only. BF_PROGRESS_AFTER=0 shows it from
# the start (by default after 2 s), so the check does not depend on speed.
awk 'BEGIN {
  print "项目编号,项目名称,区划代码,产业类别,产业链,建设年份,总投资,衔接资金,经营模式,经营主体,经营主体代码,权属主体,经营状态,闲置起始日期"
  for (i = 1; i <= 15000; i++)
    printf "B%05d,项目%d,360102001001,种植业,,2022,1000,,村集体自营,,,,正常运营,\n", i, i
  print "B99999,最后一行,360102001001,种地,,2022,1000,,村集体自营,,,,正常运营,"
}' >"$work/big.csv"
BF_PROGRESS_AFTER=0 script -qfec "'$bin' import projects '$work/big.csv' --db '$errdb' --dry-run" \
  /dev/null >"$work/tty.out" 2>&1 </dev/null
sed 's/\r$//' "$work/tty.out" >"$work/tty.txt"
if grep -qa $'\r已处理 [0-9]* 行（[0-9]*%）' "$work/tty.txt"; then
  ok "import on a terminal: a progress line (rows and percent, redrawn with CR)"
else
  fail "import on a terminal: a progress line" "$work/tty.txt"
fi
if grep -qax "big.csv 第 15002 行，列“产业类别”，值“种地”：.*" "$work/tty.txt" &&
  grep -a -B1 "^big.csv 第 15002 行" "$work/tty.txt" | head -1 | grep -qa $'\r已处理 [0-9]* 行' &&
  grep -qax "帮扶项目：共 15001 行，其中 1 行有错误（共 1 处）；试导入，未写入数据库" "$work/tty.txt"; then
  ok "import on a terminal: the progress line is ended before the error and the summary"
else
  fail "import on a terminal: the progress line is ended before the error" "$work/tty.txt"
fi
rc=0
BF_PROGRESS_AFTER=0 "$bin" import projects "$work/big.csv" --db "$errdb" --dry-run \
  >"$work/out" 2>"$work/err" || rc=$?
if [ "$rc" = 1 ] && ! grep -q "已处理" "$work/err" && [ "$(wc -l <"$work/err")" = 2 ]; then
  ok "import, stderr not a terminal: no progress line"
else
  fail "import, stderr not a terminal: no progress line (exit $rc)" "$work/err"
fi
# The first load of a table (the bulk path) makes its indexes again at the
# end: the progress line says so, then the same indexes are there.
head -n 15001 "$work/big.csv" >"$work/big-good.csv"
BF_PROGRESS_AFTER=0 script -qfec "'$bin' import projects '$work/big-good.csv' --db '$errdb'" \
  /dev/null >"$work/tty.out" 2>&1 </dev/null
sed 's/\r$//' "$work/tty.out" >"$work/tty.txt"
if grep -qa $'\r.*正在重建索引 [a-z_]*（1/[0-9]*）' "$work/tty.txt" &&
  grep -qa $'\r.*索引已重建（[0-9]* 个）' "$work/tty.txt" &&
  grep -qa "帮扶项目：共 15000 行" "$work/tty.txt"; then
  ok "import on a terminal, first load: the indexes made again are shown"
else
  fail "import on a terminal, first load: the indexes made again are shown" "$work/tty.txt"
fi
run 2 import projects "$work/many.csv" --db "$errdb" --dry-run --skip-bad
verdict "--dry-run with --skip-bad: usage error"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
