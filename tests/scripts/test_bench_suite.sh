#!/usr/bin/env bash
# The benchmark suite's driver (bench/run) keeps its contract: it plans the
# runs within its time budget, runs every *.bench once per run, takes medians,
# divides by the reference, marks a failing or timed-out benchmark and goes on,
# skips a scale on exit 77, warns about metric names that break the contract,
# states the time spent, shows the cost growth over scales, and the real
# import benchmark works at county scale.
# Fake benchmarks in a temporary folder stand in for the real ones; the demo
# data of county scale is generated once (the other scales are copies of it,
# placed where the driver's cache looks for them).
# Prints one line per check and a closing "N passed, N failed".
set -u
src=${BF_SOURCE_DIR:?}
bin=${BF_BINARY:?}
work=$(mktemp -d /tmp/bangfu-bench-test-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; sed 's/^/     /' "$work/log" | tail -25; failed=$((failed + 1)); }
has() { if grep -qF -- "$2" "$3"; then ok "$1"; else bad "$1"; fi; }
has_re() { if grep -qE -- "$2" "$3"; then ok "$1"; else bad "$1"; fi; }
hasnt() { if grep -qF -- "$2" "$3"; then bad "$1"; else ok "$1"; fi; }
# suite ARGS...: bench/run on the fake benchmarks of $work/benches.
suite() {
  BENCH_BIN=$bin BENCH_DIR=$work/benches BENCH_CACHE=$work/cache BENCH_OUT=$work/out \
    BENCH_DOC=$work/doc.md "$src/bench/run" "$@" >"$work/log" 2>&1
}
fake() { # fake NAME: a fake benchmark from stdin
  cat >"$work/benches/$1.bench"
  chmod +x "$work/benches/$1.bench"
}

# -- medians, ratios, a failing benchmark
# Three runs give 1, 5, 3 s against 2 s (median 3 s, 1.50x); another fails.
mkdir -p "$work/benches"
fake fake <<'B'
#!/usr/bin/env bash
case $BENCH_RUN in 1) v=1 ;; 2) v=5 ;; *) v=3 ;; esac
test -f "$BENCH_DB" && test -f "$BENCH_CSV/members.csv" && test -d "$BENCH_WORK" || exit 1
echo "noise that is ignored"
echo "metric fake_step $v s 2 rss_kb=4096 rows=10"
echo "metric fake_latency_p99 0.0042 s 0.0150"
B
fake broken <<'B'
#!/usr/bin/env bash
echo "this benchmark breaks" >&2
exit 3
B
if suite --scales county --runs 3; then
  bad "a failing benchmark fails the suite"
else
  ok "a failing benchmark fails the suite"
fi
has "median and ratio" "| fake_step | county | 10 | 3.00 s | 2.00 s | 1.50× | 4 MiB | 3 |" "$work/log"
has "times under 0.1 s in milliseconds" "| fake_latency_p99 | county | – | 4.2 ms | 15.0 ms | 0.28× | – | 3 |" "$work/log"
has "the failure is in the table, with its runs" \
  "| broken | county | – | **failed** (3 of 3 runs) | – | – | – | 3 |" "$work/log"
has "the failure's stderr is shown" "this benchmark breaks" "$work/log"
has "the demo data was generated and timed" "| demo_generate | county |" "$work/log"
has "raw results are kept" "fake county 2 metric fake_step 5 s 2" "$work/out/results.txt"
has_re "time spent per benchmark and scale" '^\| fake \| [0-9]+ s \(3 runs\) \| [0-9]+ s \|$' "$work/log"
has_re "the cache fill is timed apart" '^\| demo data \(cache fill\) \| [0-9]+ s \|' "$work/log"
has_re "the suite's time against its budget" \
  '^Suite time: [0-9]+ s running the benchmarks \(planned: ~[0-9a-z ]+\), within the 15 min budget; filling the demo-data cache took [0-9]+ s more' \
  "$work/log"
has "a partial run leaves the doc alone" "left as it is (a partial run" "$work/log"
if [ -e "$work/doc.md" ]; then bad "no doc written"; else ok "no doc written"; fi
has_re "measured seconds per run are kept for the next plan" '^fake county [0-9]+ [0-9-]+$' \
  "$work/cache/timings.txt"
# The next run's plan reads them and says so; the cache is not filled again.
suite --scales county --runs 3
has_re "the plan uses the measured time" '^   fake +county +3 runs x ~[0-9]+ s \(measured ' "$work/log"
has "cached demo data is not generated again" "| demo data (cache fill) | cached | 0 s |" "$work/log"

# -- exit 77 skips the scale; --skip leaves the broken one out
fake skipper <<'B'
#!/usr/bin/env bash
[ "$BENCH_SCALE" = county ] && exit 77
echo "metric never_here 1 s -"
B
if suite --scales county --runs 2 --skip broken; then
  ok "skipped scale and --skip leave the suite green"
else
  bad "skipped scale and --skip leave the suite green"
fi
has "a skipped scale is said" "skipped at county scale" "$work/log"
has "a skipped scale is in the table" "| skipper | county | – | skipped (not at this scale) |" "$work/log"
has_re "and in the time spent" '^\| skipper \| skipped \([0-9]+ s\) \| [0-9]+ s \|$' "$work/log"
hasnt "no metric from a skipped scale" "never_here" "$work/log"
hasnt "nothing from a --skip benchmark" "broken" "$work/log"
has "two runs each otherwise (median of 1 and 5)" \
  "| fake_step | county | 10 | 3.00 s | 2.00 s | 1.50× | 4 MiB | 2 |" "$work/log"
rm "$work/benches/skipper.bench" "$work/benches/broken.bench"

# -- a run over its time is stopped and marked; the suite goes on
fake slow <<'B'
#!/usr/bin/env bash
sleep 30
B
if suite --scales county --runs 2 --timeout 1; then
  bad "a timed-out benchmark fails the suite"
else
  ok "a timed-out benchmark fails the suite"
fi
has "the timeout is in the table" "| slow | county | – | **timed out** (after 1 s) |" "$work/log"
has "the other benchmarks went on" "| fake_step | county | 10 | 3.00 s | 2.00 s | 1.50× | 4 MiB | 2 |" "$work/log"

# -- stopping bench/run stops the benchmark it is running
fake slow <<B
#!/usr/bin/env bash
trap 'echo stopped >"$work/slow.stopped"' EXIT
echo started >"$work/slow.started"
sleep 30
B
(exec env BENCH_BIN="$bin" BENCH_DIR="$work/benches" BENCH_CACHE="$work/cache" \
  BENCH_OUT="$work/out" BENCH_DOC="$work/doc.md" "$src/bench/run" --scales county --runs 1 \
  --budget 0 --only slow >"$work/log" 2>&1) &
suite_pid=$!
for _ in $(seq 100); do [ -e "$work/slow.started" ] && break; sleep 0.2; done
kill -TERM "$suite_pid"
rc=0
wait "$suite_pid" || rc=$?
for _ in $(seq 50); do [ -e "$work/slow.stopped" ] && break; sleep 0.1; done
if [ "$rc" -eq 130 ] && [ -e "$work/slow.stopped" ]; then
  ok "a stopped suite stops its benchmark"
else
  bad "a stopped suite stops its benchmark (exit $rc)"
fi
rm "$work/benches/slow.bench"

# -- the plan within the budget
# Say fake took 400 s per run at county scale: three runs (1200 s) do not fit
# 900 s, two do. A benchmark may declare itself expensive at a scale (one run
# there) and estimate its time until it is measured.
awk '$1 != "fake"' "$work/cache/timings.txt" >"$work/t" && mv "$work/t" "$work/cache/timings.txt"
echo "fake county 400 2026-01-01" >>"$work/cache/timings.txt"
fake declared <<'B'
#!/usr/bin/env bash
# bench-expensive: quarter
# bench-optional: quarter
# bench-estimate: county=5 quarter=1000 province=30
echo "metric declared_step 1 s -"
B
suite --plan --scales county
has_re "runs taken away to fit the budget" \
  '^   fake +county +2 runs \(of 3: budget\) x ~6 min 40 s \(measured 2026-01-01\)$' "$work/log"
has_re "default runs where it fits" '^   declared +county +3 runs x ~5 s \(declared\)$' "$work/log"
suite --plan --budget 0
has_re "one run where declared expensive" '^   declared +quarter +1 run x ~16 min 40 s \(declared\)$' "$work/log"
has_re "one run at province scale" '^   declared +province +1 run x ~30 s \(declared\)$' "$work/log"
has_re "the estimate of the whole" '^   estimated: ' "$work/log"
hasnt "--plan runs nothing" "run 1/" "$work/log"
# An optional pair that does not fit is left out first; --skip NAME:SCALE
# leaves out one scale.
suite --plan --skip fake:province
has_re "an optional pair over the budget is left out" \
  '^   declared +quarter +left out: ~16 min 40 s a run does not fit the budget \(declared optional\)$' "$work/log"
has_re "--skip NAME:SCALE" '^   fake +province +left out \(--skip\)$' "$work/log"
has_re "the rest fits" '^   estimated: ([0-9] min|1[0-4] min|15 min$)' "$work/log"
hasnt "no warning when it fits" "warning" "$work/log"
# When nothing fits, the plan says so.
suite --plan --budget 100 --scales county
has_re "the first runs alone over the budget" 'warning: even one run of each is estimated at 6 min 45 s' "$work/log"
rm "$work/benches/declared.bench"

# During the run, an extra run starts only if it fits what is left: with a
# budget of 1 s and runs of a second (estimated at nothing), the third never
# starts.
echo "fake county 0 2026-01-01" >>"$work/cache/timings.txt"
fake fake <<'B'
#!/usr/bin/env bash
sleep 1
echo "metric fake_step 1 s 2 rss_kb=4096 rows=10"
B
suite --scales county --runs 3 --budget 1 --timeout 30
has "an extra run over the budget does not start" "no run 3/3" "$work/log"
has_re "the table says how many of the planned runs ran" '^\| fake \| [0-9]+ s \([12] of 3 runs\) \|' "$work/log"

# -- cost growth over three scales, and the metric name contract
# quarter and province: copies of the county data where the cache holds them.
county_dir=$(ls -d "$work/cache"/county-*)
for s in quarter province; do
  cp -r "$county_dir" "$work/cache/$s-${county_dir##*/county-}"
done
fake fake <<'B'
#!/usr/bin/env bash
case $BENCH_SCALE in county) v=2 r=100 ;; quarter) v=8 r=400 ;; *) v=64 r=1600 ;; esac
echo "metric fake_step $v s 1 rows=$r"
echo "metric fake_rate 1000 req/s 2000"
echo "metric fake_$BENCH_SCALE 1 s -"
[ "$BENCH_SCALE" = county ] && echo "metric fake_county_only 1 s -"
echo "metric Bad-Name 1 s -"
echo "metric fake_unit 1 ms -"
true
B
suite --runs 1 --budget 0
has "growth: cost 32x for 16x the records (exponent 1.25)" \
  "| fake_step | 2.00 s | 8.00 s | 64.00 s | 32.0× | 16.0× | 1.25 |" "$work/log"
has "growth of a rate without records" "| fake_rate | 1000 req/s | 1000 req/s | 1000 req/s | 1.0× | – | – |" "$work/log"
has "no budget is said" "running the benchmarks (no budget)" "$work/log"
has "warning: the scale in a metric name" \
  "- fake: metric fake_quarter carries a scale in its name; use the same name at every scale" "$work/log"
has "warning: a metric missing at a scale" \
  "- fake: metric fake_county_only is missing at quarter scale" "$work/log"
has "warning: a malformed name is ignored" "- fake: metric name \"Bad-Name\" is not one word" "$work/log"
has "warning: an unknown unit is ignored" "- fake: metric fake_unit has unit \"ms\"" "$work/log"
hasnt "ignored lines are not in the table" "| Bad-Name |" "$work/log"
has "warnings on stderr too" "bench/run: warning: fake: metric fake_quarter carries" "$work/log"

# A pair left out is in the tables.
suite --scales county,quarter --runs 1 --budget 0 --skip fake:quarter
has "a pair left out is in the table" "| fake | quarter | – | left out (--skip) |" "$work/log"
has_re "and in the time spent" '^\| fake \| [0-9]+ s \(1 run\) \| left out \| [0-9]+ s \|$' "$work/log"

# Nothing to run is a usage error.
if suite --only nosuch; then bad "--only with no match fails"; else ok "--only with no match fails"; fi
has "and says why" "no benchmark to run" "$work/log"

# -- --doc writes the table between the markers, and nothing else
printf 'before\n<!-- bench:begin -->\nold\n<!-- bench:end -->\nafter\n' >"$work/doc.md"
suite --scales county --runs 1 --budget 0 --doc
if [ "$(head -1 "$work/doc.md")" = before ] && [ "$(tail -1 "$work/doc.md")" = after ] &&
  ! grep -q '^old$' "$work/doc.md" && grep -q '^| fake_step | county |' "$work/doc.md" &&
  grep -q '^Suite time: ' "$work/doc.md"; then
  ok "--doc replaces the table between the markers"
else
  cp "$work/doc.md" "$work/log"
  bad "--doc replaces the table between the markers"
fi

# -- the real import benchmark, once, on the cached county data
if BENCH_BIN=$bin BENCH_CACHE=$work/cache BENCH_OUT=$work/out2 \
  "$src/bench/run" --quick --only import >"$work/log" 2>&1; then
  ok "bench/run --quick --only import"
else
  bad "bench/run --quick --only import"
fi
has_re "import row with bangfu, reference and ratio" \
  '^\| import_households_members \| county \| [0-9]+ \| [0-9.]+ m?s \| [0-9.]+ m?s \| [0-9.]+× \|' "$work/log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
