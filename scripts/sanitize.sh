#!/usr/bin/env bash
# Sanitizer runs that are too slow for scripts/test.sh (docs/testing.md,
# Sanitizers). Each mode builds its own tree, runs, then prints one summary
# line per sanitizer report file, and fails if any report came from our code
# or any test failed.
#
#   scripts/sanitize.sh asan-integration [CTEST_ARGS...]
#       build-asan-int/: the gateway and the integration tests with ASan +
#       UBSan (-DEDGEGW_SANITIZE=ON); runs the integration tests through
#       ctest (two at a time; e.g. -R 'TLS|forward' for a subset).
#   scripts/sanitize.sh tsan [CTEST_ARGS...]
#       build-tsan/: everything with TSan (-DEDGEGW_SANITIZE=thread) and
#       Paho C++ built with TSan (scripts/tsan-paho.sh, loaded through
#       LD_LIBRARY_PATH); runs the unit tests, then integration tests with
#       the real binary (-R "$EDGEGW_TSAN_TESTS"; unset: four tests,
#       "wide": 23, see below).
#   scripts/sanitize.sh tls-cycles
#       build-asan-int/: EDGEGW_TLS_CYCLES (default 1000) TLS connect/drop
#       cycles of the upstream under ASan/LSan (test_tls_cycles.cpp, [tls-cycles]).
#   scripts/sanitize.sh report TREE
#       only the summary of TREE/sanitizer/ (after an interrupted run).
#
# Reports go to <tree>/sanitizer/<tool>.<binary>.<pid> (ASan/UBSan/TSan
# log_path), not to the processes' stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-}
shift || true

LAUNCHER=()
if command -v ccache >/dev/null; then
  LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
fi

configure() {  # TREE SANITIZE
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DEDGEGW_SANITIZE="$2" "${LAUNCHER[@]}" >/dev/null
}

fresh_report_dir() {  # TREE -> prints the dir
  local d="$1/sanitizer"
  rm -rf "$d"
  mkdir -p "$d"
  realpath "$d"
}

# One line per report file: tool, binary, pid, what, and for leaks whether a
# frame of the report lies in our sources (ours) or only in libraries.
summarize() {  # DIR
  python3 - "$1" "$PWD" <<'EOF'
import os, re, sys
d, src = sys.argv[1], sys.argv[2]
ours_re = re.compile(r"(edgegw::|" + re.escape(src) + r"/(core|devices|rules|gateway|tests)/)")
bad = 0
files = sorted(f for f in os.listdir(d))
if not files:
    print("sanitize: no reports")
for f in files:
    text = open(os.path.join(d, f), errors="replace").read()
    blocks = re.split(r"\n(?=(?:Direct|Indirect) leak of )", text)
    kinds = re.findall(r"(?:ERROR|WARNING): (\w+Sanitizer): ([^\n]*)", text)
    kinds += [("UBSan", m) for m in re.findall(r"runtime error: ([^\n]*)", text)]
    leaks_ours, leaks_lib, leak_bytes = [], 0, 0
    for b in blocks[1:]:
        m = re.match(r"(Direct|Indirect) leak of (\d+) byte", b)
        frames = re.findall(r"#\d+ 0x[0-9a-f]+ in ([^\n]*)", b)
        leak_bytes += int(m.group(2))
        skip = ("malloc", "calloc", "realloc", "operator new", "strdup", "__interceptor")
        top = next((fr for fr in frames if not any(s in fr for s in skip)), frames[0] if frames else "?")
        if any(ours_re.search(fr) for fr in frames):
            leaks_ours.append(f"{m.group(1).lower()} {m.group(2)} B at {top}")
        else:
            leaks_lib += 1
    other = [f"{k}: {w}" for k, w in kinds if "detected memory leaks" not in w]
    summary = re.search(r"SUMMARY: [^\n]*", text)
    print(f"sanitize: {f}: " + (summary.group(0) if summary else "no SUMMARY line"))
    for o in other[:5]:
        print(f"    {o}")
    for l in leaks_ours[:10]:
        print(f"    leak with our frames: {l}")
    if leaks_lib:
        print(f"    {leaks_lib} leak(s) whose stacks lie only in libraries (Paho, OpenSSL, libc)")
    if other or leaks_ours:
        bad = 1
sys.exit(bad)
EOF
}

build_asan_int() {
  echo "== build-asan-int: gateway + integration tests with ASan + UBSan"
  configure build-asan-int ON
  cmake --build build-asan-int --target edgegw edgegw_integration_tests
}

asan_env() {  # DIR
  # detect_leaks: LSan at every exit; abort_on_error off so the exit code
  # (1) reaches the test, which then fails on the gateway's exit status.
  # verify_asan_link_order=0: test_clock.cpp preloads libfaketime.
  export ASAN_OPTIONS="log_path=$1/asan:log_exe_name=1:detect_leaks=1:verify_asan_link_order=0"
  export UBSAN_OPTIONS="log_path=$1/ubsan:log_exe_name=1:print_stacktrace=1:halt_on_error=1"
}

run_status=0
case "$MODE" in
  asan-integration)
    build_asan_int
    dir=$(fresh_report_dir build-asan-int)
    asan_env "$dir"
    echo "== integration tests under ASan + UBSan (reports: $dir)"
    (cd build-asan-int && ctest -L integration --output-on-failure -j 2 --timeout 600 "$@") || run_status=$?
    summarize "$dir" || run_status=1
    ;;
  tls-cycles)
    build_asan_int
    dir=$(fresh_report_dir build-asan-int)
    asan_env "$dir"
    export EDGEGW_TLS_CYCLES=${EDGEGW_TLS_CYCLES:-1000}
    echo "== $EDGEGW_TLS_CYCLES TLS connect/drop cycles under ASan/LSan (reports: $dir)"
    build-asan-int/tests/integration/edgegw_integration_tests '[tls-cycles]' || run_status=$?
    summarize "$dir" || run_status=1
    ;;
  tsan)
    echo "== build-tsan: everything with ThreadSanitizer"
    configure build-tsan thread
    cmake --build build-tsan --target edgegw edgegw_unit_tests edgegw_integration_tests
    # Paho C++ built with TSan (Debian's source of the installed version),
    # loaded instead of Debian's by the tests and every gateway they spawn
    # (they inherit the environment).
    scripts/tsan-paho.sh build-tsan
    export LD_LIBRARY_PATH=$PWD/build-tsan/paho-tsan/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    for bin in build-tsan/gateway/edgegw build-tsan/tests/unit/edgegw_unit_tests \
               build-tsan/tests/integration/edgegw_integration_tests; do
      # ldd read whole first: grep -q under pipefail can fail on ldd's SIGPIPE.
      libs=$(ldd "$bin")
      if ! grep -q "libpaho-mqttpp3.so.1 => $PWD/build-tsan/paho-tsan/lib/" <<<"$libs"; then
        echo "sanitize: $bin does not load build-tsan/paho-tsan/lib/libpaho-mqttpp3.so.1" >&2
        grep paho <<<"$libs" >&2
        exit 1
      fi
    done
    dir=$(fresh_report_dir build-tsan)
    # halt_on_error=0: collect every race of a run, not only the first.
    export TSAN_OPTIONS="log_path=$dir/tsan:log_exe_name=1:second_deadlock_stack=1:halt_on_error=0:suppressions=$PWD/scripts/tsan.supp"
    echo "== unit tests under TSan"
    (cd build-tsan && ctest -L unit --output-on-failure -j 2 --timeout 600) || run_status=$?
    echo "== integration tests under TSan (reports: $dir)"
    # The default: TLS connect, forwarding, local broker restart, a delay
    # rule across kill -9. "wide": 23 tests through every thread of the
    # gateway (Paho callbacks and ingress, engine, forwarder, HTTP worker and
    # webhooks, rule watch and SIGHUP reload, status server, watchdog),
    # among them kill -9 under a 2,000 msg/s stream, which under TSan can
    # miss its deadlines on a loaded box (docs/testing.md, Sanitizers).
    tsan_default='TLS to a broker|reach the upstream on the mapped topic|local broker restart leave|pending delay still fire'
    tsan_wide="$tsan_default|through an in route|started before its upstream exists|both links on MQTT 3.1.1"
    tsan_wide+="|SIGTERM and restart during an upstream outage|kill -9 of the gateway under a|silent dead uplink"
    tsan_wide+="|rule fire through real brokers|SIGHUP with a broken rule|saving a rule file|poison rows"
    tsan_wide+="|real webhook server|keeps refusing land|webhook queued while|slow webhook|Tasmota device"
    tsan_wide+="|/healthz and /metrics|Home Assistant|device gauges|feed the watchdog"
    if [ $# -eq 0 ]; then
      case "${EDGEGW_TSAN_TESTS:-}" in
        "") set -- -R "$tsan_default" ;;
        wide) set -- -R "$tsan_wide" ;;
        *) set -- -R "$EDGEGW_TSAN_TESTS" ;;
      esac
    fi
    # One at a time: under TSan the gateway and the tests' own Paho clients
    # run several times slower, and the stream tests (kill -9 under 2,000
    # msg/s) miss their deadlines when two of them share the 2 cores.
    (cd build-tsan && ctest -L integration --output-on-failure -j 1 --timeout 900 "$@") || run_status=$?
    summarize "$dir" || run_status=1
    ;;
  report)
    # The summary alone, e.g. after an interrupted run: scripts/sanitize.sh report build-asan-int
    summarize "$(realpath "${1:?tree}")/sanitizer" || run_status=1
    ;;
  *)
    sed -n '2,24p' "$0"
    exit 2
    ;;
esac
echo "sanitize: $MODE: $([ $run_status -eq 0 ] && echo ok || echo FAILED)"
exit $run_status
