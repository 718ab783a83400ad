#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, build-fuzz/) and runs them.
#
#   scripts/fuzz.sh --replay [TARGET...]   the CI gate: deterministic. Replays
#       every input of the committed corpus (tests/fuzz/corpus/<target>/), then
#       fuzzes a fixed number of runs (EDGEGW_FUZZ_RUNS, default 20000) from a
#       fixed seed (EDGEGW_FUZZ_SEED, default 1) into a fresh scratch folder, so
#       the same commit decides the same way every time: the same coverage,
#       features and corpus size on every run (the line it prints shows them).
#   scripts/fuzz.sh SECONDS [TARGET...]    random fuzzing for SECONDS per target,
#       a new seed each run (docs/testing.md, Fuzzing). New corpus entries go to
#       build-fuzz/corpus/<target>/; a finding is added to tests/fuzz/corpus/
#       together with its fix and a unit test. EDGEGW_FUZZ_PARALLEL=N runs N
#       targets at a time.
#
# Runs every target, then fails if any crashed, leaked, hung or had a sanitizer
# report; prints one line per target. Findings go to build-fuzz/findings/<target>/
# (crash-*, leak-*, timeout-*), never into the repo.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-20}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(fuzz_expression fuzz_rule_loader fuzz_config fuzz_topic fuzz_template fuzz_payload fuzz_journal)
fi
if [ "$MODE" != "--replay" ] && ! [[ "$MODE" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh --replay|SECONDS [TARGET...]" >&2
  exit 2
fi

echo "== build the fuzz targets (clang, libFuzzer, ASan + UBSan)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DEDGEGW_FUZZ=ON -DEDGEGW_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${TARGETS[@]}"

# -rss_limit_mb stays at libFuzzer's 2 GiB. -timeout: one input taking this long
# is a hang; 30 s, not less, because on a loaded 2-core box ASan's allocator
# alone stalled an 0.1 s input for 13 s.
COMMON=(-timeout="${EDGEGW_FUZZ_TIMEOUT:-30}" -max_len=65536 -print_final_stats=1)
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# replay TARGET LOG FINDINGS: every committed input once (leaks checked at
# exit), then the fixed-seed runs. What makes the second part repeatable,
# each measured here as a source of divergence from the same seed:
#   setarch -R       no address randomisation: pointer values reach libFuzzer's
#                    comparison tables and steer its mutations;
#   -detect_leaks=0  libFuzzer re-runs an input when mallocs and frees differ,
#                    and a background thread's allocations make that vary;
#   -reload=0        no timed re-read of the corpus folder;
#   env -i           the same environment, and so the same stack layout, for
#                    every caller (with the fixed-length scratch name below).
replay() {
  local bin=build-fuzz/tests/fuzz/$1 seeds=tests/fuzz/corpus/$1 scratch
  local inputs=("$seeds"/*)
  local fixed=(env -i PATH=/usr/bin:/bin "UBSAN_OPTIONS=$UBSAN_OPTIONS" setarch "$(uname -m)" -R "$bin")
  "${fixed[@]}" "${COMMON[@]}" -artifact_prefix="$3/" "${inputs[@]}" >"$2" 2>&1 || return 1
  scratch=$(mktemp -d /tmp/edgegw-fuzz.XXXXXX)
  # The scratch folder comes first: libFuzzer writes new inputs there, never into the repo.
  "${fixed[@]}" "${COMMON[@]}" -artifact_prefix="$3/" -seed="${EDGEGW_FUZZ_SEED:-1}" \
    -runs="${EDGEGW_FUZZ_RUNS:-20000}" -detect_leaks=0 -reload=0 "$scratch" "$seeds" >>"$2" 2>&1
  local rc=$?
  rm -rf "$scratch"
  return $rc
}

explore() {  # TARGET LOG FINDINGS SECONDS
  local work=build-fuzz/corpus/$1
  mkdir -p "$work"
  "build-fuzz/tests/fuzz/$1" "${COMMON[@]}" -artifact_prefix="$3/" -max_total_time="$4" \
    "$work" "tests/fuzz/corpus/$1" >"$2" 2>&1
}

# one TARGET: runs it, prints its line; the exit status says whether it passed.
one() {
  local t=$1 findings=build-fuzz/findings/$1 log=build-fuzz/findings/$1.log started=$SECONDS ok
  mkdir -p "$findings"
  # The CPU seconds the target got (user + system), next to the wall time:
  # on a busy machine the two part.
  local times TIMEFORMAT='%U %S'
  times=$(mktemp)
  if [ "$MODE" = "--replay" ]; then
    { time replay "$t" "$log" "$findings"; } 2>"$times" && ok=1 || ok=0
  else
    { time explore "$t" "$log" "$findings" "$MODE"; } 2>"$times" && ok=1 || ok=0
  fi
  local cpu
  cpu=$(awk '{ printf "%d", $1 + $2 }' "$times")
  rm -f "$times"
  if [ "$ok" -eq 1 ]; then
    local seeds runs cov
    seeds=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$log" | tail -1)
    printf 'fuzz: %-18s ok   %4s seeds  %9s runs  %5ss  cpu %5ss  %s\n' "$t" "$seeds" "${runs:-?}" \
      "$((SECONDS - started))" "${cpu:-?}" "${cov:-}"
    return 0
  fi
  printf 'fuzz: %-18s FAILED (see %s; inputs in %s)\n' "$t" "$log" "$findings"
  grep -E 'ERROR: |SUMMARY: |runtime error|Running: ' "$log" | head -5 || true
  return 1
}

# EDGEGW_FUZZ_PARALLEL=N runs N targets at a time (random runs only: the
# replay stays one at a time so its timing cannot matter).
PARALLEL=${EDGEGW_FUZZ_PARALLEL:-1}
[ "$MODE" = "--replay" ] && PARALLEL=1
failed=0
if [ "$PARALLEL" -le 1 ]; then
  for t in "${TARGETS[@]}"; do one "$t" || failed=1; done
  exit $failed
fi
pids=()
for t in "${TARGETS[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$PARALLEL" ]; do sleep 1; done
  one "$t" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
exit $failed
