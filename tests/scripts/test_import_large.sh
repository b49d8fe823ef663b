#!/usr/bin/env bash
# test_import_large.sh - households and members imports large enough to cross
# the importer's internal boundaries, on the backend under test (SQLite, or
# PostgreSQL in the suite's second run): 7,000 households (more than the
# 4,096-row read-ahead window and the fingerprint set's first size) and 21,000
# members (more than one 20,000-row COPY batch on PostgreSQL), into empty
# tables; a duplicate 21,000 rows after its first occurrence; then the members
# again into the full table, in scrambled order (the read-ahead reads afresh
# all the time) with every tenth name changed: exactly those are updated.
set -uo pipefail
src=${BF_SOURCE_DIR:?}
bin=${BF_BINARY:?}
work=$(mktemp -d /tmp/bangfu-import-large-XXXXXX)
. "$src/tests/support/bf_test_db.sh"
trap 'bf_test_db_cleanup; rm -rf "$work"' EXIT
unset BANGFU_DB
failed=0
fail() {
  echo "FAIL $*"
  failed=$((failed + 1))
}

# gen_ids N: N valid ID numbers (area 360102, birth dates from 1950, GB 11643
# check digit), one per line.
gen_ids() {
  awk -v n="$1" 'BEGIN {
    split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
    map = "10X98765432"
    for (i = 0; i < n; i++) {
      seq = i % 1000
      day = int(i / 1000)
      y = 1950 + int(day / 336); m = 1 + int((day % 336) / 28); d = 1 + day % 28
      body = sprintf("360102%04d%02d%02d%03d", y, m, d, seq)
      s = 0
      for (k = 1; k <= 17; k++) s += substr(body, k, 1) * w[k]
      print body substr(map, s % 11 + 1, 1)
    }
  }'
}

gen_ids 21000 >"$work/ids"
# Households H00001..H07000, head = the first of its three people.
awk 'BEGIN { print "户编号,区划代码,户主身份证号,户主姓名,户类型,家庭人口,风险状态" }
  NR % 3 == 1 {
    h = (NR + 2) / 3
    printf "H%05d,%s,%s,户主%d,脱贫户,3,无\n", h, (h % 2 ? "360102001001" : "360102001002"), $0, h
  }' "$work/ids" >"$work/households.csv"
awk 'BEGIN { print "户编号,身份证号,姓名,与户主关系" }
  {
    h = int((NR + 2) / 3)
    rel = NR % 3 == 1 ? "户主" : (NR % 3 == 2 ? "配偶" : "子女")
    printf "H%05d,%s,成员%d,%s\n", h, $0, NR, rel
  }' "$work/ids" >"$work/members.csv"
# The first member once more at the end: row 21,002 repeats row 2.
sed -n 2p "$work/members.csv" >>"$work/members.csv"

bf_test_db db "$work" large || exit 1
"$bin" init --db "$db" >/dev/null || fail "init"
"$bin" import regions "$src/tests/import/fixtures/regions.csv" --db "$db" >/dev/null ||
  fail "regions"
"$bin" import households "$work/households.csv" --db "$db" >"$work/hh.out" 2>&1 ||
  fail "households: $(cat "$work/hh.out")"
grep -qF "新增 7000，更新 0，未变 0" "$work/hh.out" || fail "households summary: $(cat "$work/hh.out")"

# All-or-nothing: the duplicate at the end refuses the whole file.
"$bin" import members "$work/members.csv" --db "$db" --errors "$work/err1.csv" >/dev/null 2>&1
[ $? -eq 1 ] || fail "members with a duplicate: exit status"
printf '\xef\xbb\xbf行号,列,值,原因\r\n21002,身份证号,360***********%s,与本文件第 2 行重复\r\n' \
  "$(head -1 "$work/ids" | cut -c15-18)" >"$work/want1.csv"
cmp -s "$work/want1.csv" "$work/err1.csv" || fail "duplicate report: $(cat "$work/err1.csv")"
"$bin" export members --db "$db" >"$work/none.csv"
[ "$(wc -l <"$work/none.csv")" -eq 1 ] || fail "members were written by a refused import"

# Without the duplicate: every row in.
head -n 21001 "$work/members.csv" >"$work/members_ok.csv"
"$bin" import members "$work/members_ok.csv" --db "$db" >"$work/mem.out" 2>&1 ||
  fail "members: $(cat "$work/mem.out")"
grep -qF "新增 21000，更新 0，未变 0" "$work/mem.out" || fail "members summary: $(cat "$work/mem.out")"
"$bin" export members --db "$db" >"$work/export1.csv"
[ "$(wc -l <"$work/export1.csv")" -eq 21001 ] || fail "exported $(wc -l <"$work/export1.csv") lines"
grep -qF "H07000,360***********$(tail -1 "$work/ids" | cut -c15-18),成员21000,子女" \
  "$work/export1.csv" || fail "the last member is not as imported"

# Again into the full table, scrambled, every tenth name changed.
awk -F, 'NR == 1 { print; next } { if ((NR - 1) % 10 == 0) $3 = $3 "改"; print }' OFS=, \
  "$work/members_ok.csv" >"$work/changed.csv"
{
  head -1 "$work/changed.csv"
  tail -n +2 "$work/changed.csv" | awk '{ printf "%d\t%s\n", (NR * 7919) % 21011, $0 }' |
    sort -n | cut -f2-
} >"$work/scrambled.csv"
"$bin" import members "$work/scrambled.csv" --db "$db" >"$work/mem2.out" 2>&1 ||
  fail "members again: $(cat "$work/mem2.out")"
grep -qF "新增 0，更新 2100，未变 18900" "$work/mem2.out" ||
  fail "members again summary: $(cat "$work/mem2.out")"
"$bin" export members --db "$db" >"$work/export2.csv"
[ "$(grep -c '改,' "$work/export2.csv")" -eq 2100 ] || fail "changed names: $(grep -c '改,' "$work/export2.csv")"

# A member of another household, into the full table: refused, by name.
printf '户编号,身份证号,姓名,与户主关系\nH00002,%s,某,子女\n' "$(head -1 "$work/ids")" >"$work/moved.csv"
"$bin" import members "$work/moved.csv" --db "$db" --errors "$work/err3.csv" >/dev/null 2>&1
grep -qF "此人已是户 H00001 的成员" "$work/err3.csv" || fail "moved member: $(cat "$work/err3.csv")"

[ "$failed" -eq 0 ] || exit 1
echo ok
