#!/usr/bin/env bash
# shellcheck disable=SC2317  # the stage functions are called through stage()
# Builds edgegw and runs every test, stage by stage:
#   build      the gateway, its modules and the tests, warnings as errors (build/)
#   asan       the unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
#   fuzz       every libFuzzer target replays its committed corpus, then a fixed
#              number of runs from a fixed seed (scripts/fuzz.sh --replay): the
#              same commit decides the same way every time
#   ctest      unit and integration tests (real mosquitto brokers on loopback,
#              the real binary) and the package tests
# Every stage runs even when an earlier one failed, so one run shows everything
# that is wrong; a stage that needs a failed one is reported as skipped. The
# summary at the end has one line per stage; the exit status is non-zero if
# any stage failed.
# Usage: scripts/test.sh            (installs missing Debian packages first)
#        EDGEGW_FUZZ_REPLAY=0 scripts/test.sh   skips the fuzz stage (reported as skipped)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

scripts/deps.sh || { echo "test: installing the Debian packages failed" >&2; exit 1; }
JOBS=$(nproc)
declare -A RESULT SECS
STAGES=()

# stage NAME COMMAND...: runs it, records ok/FAILED and its time.
stage() {
  local name=$1 start=$SECONDS
  shift
  STAGES+=("$name")
  echo "== $name"
  if "$@"; then RESULT[$name]=ok; else RESULT[$name]=FAILED; fi
  SECS[$name]=$((SECONDS - start))
}
skip() {  # NAME WHY
  STAGES+=("$1")
  RESULT[$1]="skipped ($2)"
  SECS[$1]=0
}

build() {
  # Every option this folder relies on is set here: a folder configured by
  # another script (scripts/demo.sh) must not leave the tests switched off.
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGEGW_WERROR=ON \
    -DEDGEGW_BUILD_TESTS=ON -DEDGEGW_SANITIZE=OFF >/dev/null &&
    cmake --build build -j "$JOBS"
}
asan() {
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEDGEGW_WERROR=ON \
    -DEDGEGW_BUILD_TESTS=ON -DEDGEGW_SANITIZE=ON >/dev/null &&
    cmake --build build-asan -j "$JOBS" --target edgegw_unit_tests &&
    (cd build-asan && ctest -L unit --no-tests=error --output-on-failure -j "$JOBS" --timeout 300)
}
all_tests() {
  # Integration tests start their own brokers; two at a time keeps a 2-core box honest.
  (cd build && ctest --no-tests=error --output-on-failure -j 2 --timeout 600)
}

stage build build
stage asan asan
if [ "${EDGEGW_FUZZ_REPLAY:-1}" = 0 ]; then skip fuzz "EDGEGW_FUZZ_REPLAY=0"; else stage fuzz scripts/fuzz.sh --replay; fi
if [ "${RESULT[build]}" = ok ]; then stage ctest all_tests; else skip ctest "the build failed"; fi

echo
echo "== summary"
failed=0
for s in "${STAGES[@]}"; do
  printf 'test: %-6s %-28s %5ss\n' "$s" "${RESULT[$s]}" "${SECS[$s]}"
  [ "${RESULT[$s]}" = FAILED ] && failed=1
done
exit $failed
