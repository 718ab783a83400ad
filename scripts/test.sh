#!/usr/bin/env bash
# Builds edgegw and runs every test: unit and integration (real mosquitto
# brokers on loopback, the real binary), then the unit tests again under
# AddressSanitizer and UndefinedBehaviorSanitizer, and a short run of every
# libFuzzer target (scripts/fuzz.sh).
# Usage: scripts/test.sh            (installs missing Debian packages first)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
JOBS=$(nproc)

echo "== build (warnings are errors)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGEGW_WERROR=ON >/dev/null
cmake --build build -j "$JOBS"

echo "== build the unit tests with ASan + UBSan"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEDGEGW_WERROR=ON -DEDGEGW_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$JOBS" --target edgegw_unit_tests

echo "== unit tests under ASan + UBSan"
(cd build-asan && ctest -L unit --output-on-failure -j "$JOBS" --timeout 300)

# libFuzzer smoke: every target for a few seconds from its seed corpus
# (docs/testing.md, Fuzzing); EDGEGW_FUZZ_SECONDS=0 skips it.
FUZZ_SECONDS=${EDGEGW_FUZZ_SECONDS:-10}
if [ "$FUZZ_SECONDS" -gt 0 ]; then
  echo "== fuzz smoke (${FUZZ_SECONDS}s per target)"
  scripts/fuzz.sh "$FUZZ_SECONDS"
fi

echo "== unit and integration tests"
# Integration tests start their own brokers; two at a time keeps a 2-core box honest.
(cd build && ctest --output-on-failure -j 2 --timeout 600)
