#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, build-fuzz/) and runs each
# one for SECONDS (default 20) from its seed corpus in tests/fuzz/corpus/.
# Runs every target, then fails if any crashed, leaked, hung or had a
# sanitizer report; prints one line per target with its executions per second.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]     (docs/testing.md, Fuzzing)
# Findings go to build-fuzz/findings/<target>/ (crash-*, leak-*, timeout-*);
# new corpus entries to build-fuzz/corpus/<target>/, never into the repo.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${1:-20}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(fuzz_expression fuzz_rule_loader fuzz_config fuzz_topic fuzz_template fuzz_payload fuzz_journal)
fi

echo "== build the fuzz targets (clang, libFuzzer, ASan + UBSan)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DEDGEGW_FUZZ=ON -DEDGEGW_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${TARGETS[@]}"

failed=0
for t in "${TARGETS[@]}"; do
  work=build-fuzz/corpus/$t
  findings=build-fuzz/findings/$t
  mkdir -p "$work" "$findings"
  log=build-fuzz/findings/$t.log
  # -rss_limit_mb stays at libFuzzer's 2 GiB. -timeout: one input taking this
  # long is a hang; 30 s, not less, because on a loaded 2-core box ASan's
  # allocator alone stalled an 0.1 s input for 13 s.
  if UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
     "build-fuzz/tests/fuzz/$t" "$work" "tests/fuzz/corpus/$t" \
       -max_total_time="$SECONDS_PER_TARGET" -timeout="${EDGEGW_FUZZ_TIMEOUT:-30}" -max_len=65536 \
       -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    printf 'fuzz: %-18s ok   %8s execs/s  %10s runs  %s\n' "$t" "${secs:-?}" "${runs:-?}" "${cov:-}"
  else
    printf 'fuzz: %-18s FAILED (see %s; inputs in %s)\n' "$t" "$log" "$findings"
    grep -E 'ERROR: |SUMMARY: |runtime error' "$log" | head -5 || true
    failed=1
  fi
done
exit $failed
