# bench/lib.sh - helpers for benchmark scripts (sourced; see docs/benchmarks.md).
#
# The contract between bench/run and a benchmark: a benchmark is an executable
# bench/NAME.bench run as `bench/NAME.bench` with these variables set:
#   BENCH_BIN     the bangfu binary (release build)
#   BENCH_SCALE   county | quarter | province
#   BENCH_DB      the cached demo database of that scale (read-only: copy it
#                 before changing it; its key file is $BENCH_DB.key)
#   BENCH_CSV     the same data as import-template CSV files (households.csv, ...)
#   BENCH_WORK    an empty scratch folder, removed afterwards
#   BENCH_RUN     the number of this run (1..N); bench/run calls the script once
#                 per run and takes the medians
# It prints one line per measurement on stdout (anything else is ignored):
#   metric NAME VALUE UNIT REFERENCE [rss_kb=N] [rows=N]
# NAME is one word ([a-z0-9_]), VALUE bangfu's measurement, UNIT "s" (lower is
# better) or "req/s" (higher is better), REFERENCE the reference's measurement
# in the same unit measured in the same run ("-" if none), rss_kb bangfu's peak
# resident memory and rows the records processed. Use the same NAMEs at every
# scale (bench/run keys the results by scale and warns otherwise). Exit
# non-zero on failure, 77 to skip a scale.
# Optional comment lines tell bench/run's planner about the benchmark:
#   # bench-estimate: county=5 quarter=60 province=180   seconds per run, until measured
#   # bench-expensive: province                          one run at these scales
#   # bench-optional: quarter province                   left out there if over the budget

# bench_time OUT CMD...: run CMD, store its wall seconds in ${OUT}_s and its
# peak RSS (KiB) in ${OUT}_kb; fails if CMD fails.
bench_time() {
  local out=$1
  shift
  local tf
  tf=$(mktemp)
  if ! /usr/bin/time -f "%e %M" -o "$tf" "$@" >"$tf.out" 2>&1; then
    echo "bench: command failed: $*" >&2
    tail -5 "$tf.out" >&2
    rm -f "$tf" "$tf.out"
    return 1
  fi
  local secs kb
  read -r secs kb <"$tf"
  printf -v "${out}_s" '%s' "$secs"
  printf -v "${out}_kb" '%s' "$kb"
  rm -f "$tf" "$tf.out"
}

# bench_add A B: decimal sum of two second counts.
bench_add() {
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'
}

# bench_max A B: the larger of two integers.
bench_max() {
  if [ "$1" -gt "$2" ]; then echo "$1"; else echo "$2"; fi
}

# bench_metric NAME VALUE UNIT REFERENCE [rss_kb=N] [rows=N]
bench_metric() {
  echo "metric $*"
}
