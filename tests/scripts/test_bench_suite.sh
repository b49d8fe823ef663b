#!/usr/bin/env bash
# The benchmark suite's driver (bench/run) keeps its contract: it runs every
# *.bench once per run, takes medians, divides by the reference, marks a
# failing benchmark, and the real import benchmark works at county scale.
# Prints one line per check and a closing "N passed, N failed".
set -u
src=${BF_SOURCE_DIR:?}
bin=${BF_BINARY:?}
work=$(mktemp -d /tmp/bangfu-bench-test-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; sed 's/^/     /' "$work/log" | tail -15; failed=$((failed + 1)); }
has() { if grep -qF -- "$2" "$3"; then ok "$1"; else bad "$1"; fi; }

# Fake benchmarks: three runs give 1, 5, 3 s against 2 s (median 3 s, 1.50x);
# another always fails.
mkdir -p "$work/benches"
cat >"$work/benches/fake.bench" <<'B'
#!/usr/bin/env bash
case $BENCH_RUN in 1) v=1 ;; 2) v=5 ;; *) v=3 ;; esac
test -f "$BENCH_DB" && test -f "$BENCH_CSV/members.csv" && test -d "$BENCH_WORK" || exit 1
echo "noise that is ignored"
echo "metric fake_step $v s 2 rss_kb=4096 rows=10"
B
cat >"$work/benches/broken.bench" <<'B'
#!/usr/bin/env bash
echo "this benchmark breaks" >&2
exit 3
B
chmod +x "$work/benches/"*.bench
if BENCH_BIN=$bin BENCH_DIR=$work/benches BENCH_CACHE=$work/cache BENCH_OUT=$work/out \
  "$src/bench/run" --scales county --runs 3 --no-doc >"$work/log" 2>&1; then
  bad "a failing benchmark fails the suite"
else
  ok "a failing benchmark fails the suite"
fi
has "median and ratio" "| fake_step | county | 10 | 3.00 s | 2.00 s | 1.50× | 4 MiB | 3 |" "$work/log"
has "the failure is in the table" "| broken | county | | **failed** |" "$work/log"
has "the demo data was generated and timed" "| demo_generate | county |" "$work/log"
has "raw results are kept" "fake county 2 metric fake_step 5 s 2" "$work/out/results.txt"

# A benchmark that exits 77 skips the scale; --skip leaves the broken one out.
cat >"$work/benches/skipper.bench" <<'B'
#!/usr/bin/env bash
[ "$BENCH_SCALE" = county ] && exit 77
echo "metric never_here 1 s -"
B
chmod +x "$work/benches/skipper.bench"
if BENCH_BIN=$bin BENCH_DIR=$work/benches BENCH_CACHE=$work/cache BENCH_OUT=$work/out \
  "$src/bench/run" --scales county --runs 2 --no-doc --skip broken >"$work/log" 2>&1; then
  ok "skipped scale and --skip leave the suite green"
else
  bad "skipped scale and --skip leave the suite green"
fi
has "a skipped scale is said" "skipped at county scale" "$work/log"
if grep -q "never_here\|broken" "$work/log"; then bad "nothing from skipped benchmarks"; else ok "nothing from skipped benchmarks"; fi
has "two runs each otherwise (median of 1 and 5)" "| fake_step | county | 10 | 3.00 s | 2.00 s | 1.50× | 4 MiB | 2 |" "$work/log"

# The real import benchmark, once, on the cached county data.
if BENCH_BIN=$bin BENCH_CACHE=$work/cache BENCH_OUT=$work/out2 \
  "$src/bench/run" --quick --only import >"$work/log" 2>&1; then
  ok "bench/run --quick --only import"
else
  bad "bench/run --quick --only import"
fi
if grep -qE '^\| import_households_members \| county \| [0-9]+ \| [0-9.]+ s \| [0-9.]+ s \| [0-9.]+× \|' "$work/log"; then
  ok "import row with bangfu, reference and ratio"
else
  bad "import row with bangfu, reference and ratio"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
