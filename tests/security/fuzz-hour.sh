#!/usr/bin/env bash
# tests/security/fuzz-hour.sh - run every libFuzzer target of fuzz/ for a CPU budget
# (issue 12 "Evidence": "fuzz each parser for an hour and state the CPU-hours and findings").
# NOT part of `make test`.
#
#   tests/security/fuzz-hour.sh [--budget SECONDS] [--build DIR] [--jobs N] [--only REGEX] [--out DIR]
#
# --budget is the total fuzzing time over all targets (default 3600 = 1 hour), split evenly
# (libFuzzer's -max_total_time, i.e. wall time per target); the CPU time each target really
# got is measured (/usr/bin/time) and summed into the CPU-hours printed at the end, which is
# lower than the budget on a loaded machine. --jobs runs that many targets at once (default 1). Each target runs
# on a scratch copy of its seed corpus (fuzz/corpus/<name>/, left untouched) with
# -max_total_time, -timeout=10 and -rss_limit_mb=2048; crashes, leaks, timeouts and OOMs are
# kept under --out (default build-fuzz/fuzz-hour/). The build dir is made when missing:
#   CC=clang cmake -S . -B build-fuzz -DJY_FUZZ=ON -DJY_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
# Prints one line per target (runs, coverage, CPU seconds, findings) and the CPU-hours;
# exit 1 when any target found something.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
budget=3600; build=$root/build-fuzz; jobs=1; only=""; out=""
while [ $# -gt 0 ]; do
  case $1 in
    --budget) budget=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) sed -n '6,7p' "$0" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out=$build/fuzz-hour
if [ ! -d "$build" ]; then
  CC=clang cmake -S "$root" -B "$build" -DJY_FUZZ=ON -DJY_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
fi
targets=()
for f in "$root"/fuzz/fuzz_*.c; do
  t=$(basename "$f" .c)
  if [ -n "$only" ] && ! [[ $t =~ $only ]]; then continue; fi
  targets+=("$t")
done
cmake --build "$build" -j"$jobs" --target "${targets[@]}" 2>&1 | grep -E 'error|warning' || true
per=$(( budget / ${#targets[@]} )); [ "$per" -ge 1 ] || per=1
mkdir -p "$out"
echo "fuzz-hour: ${#targets[@]} targets, budget ${budget} CPU-s, ${per} s each, ${jobs} at a time"

run_one() {
  local t=$1 dir=$out/$1 seeds=$root/fuzz/corpus/${1#fuzz_}
  rm -rf "$dir"; mkdir -p "$dir/corpus" "$dir/artifacts"
  [ -d "$seeds" ] || seeds=$root/fuzz/corpus/$1
  [ -d "$seeds" ] && cp -r "$seeds"/. "$dir/corpus/" 2>/dev/null || true
  /usr/bin/time -f '%U %S' -o "$dir/cpu" "$build/$t" -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1 || true
  local cpu runs cov found
  cpu=$(awk '{printf "%.1f", $1+$2}' "$dir/cpu" 2>/dev/null || echo 0)
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$dir/log" | tail -1 | grep -o '[0-9]*' || echo '?')
  found=$(find "$dir/artifacts" -type f | wc -l)
  printf '%-28s runs %-10s cov %-6s cpu %6s s  findings %s\n' "$t" "$runs" "$cov" "$cpu" "$found"
}
export -f run_one; export out root build per
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}' | tee "$out/summary.txt"
cpu=$(awk '{s+=$7} END {printf "%.3f", s/3600}' "$out/summary.txt")
found=$(awk '{s+=$NF} END {print s+0}' "$out/summary.txt")
echo "fuzz-hour: ${#targets[@]} targets, ${cpu} CPU-hours, ${found} findings (artifacts under $out/*/artifacts)"
[ "$found" -eq 0 ]
