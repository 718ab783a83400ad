#!/usr/bin/env bash
# The benchmark suite (issue 8), not a test: one generator (edgegw_loadgen)
# and one sink measure, in one run and on private brokers on free loopback
# ports,
#   (a) raw:    generator -> mosquitto -> sink (the broker's limit)
#   (b) bridge: generator -> mosquitto with a `topic # out 1` bridge -> mosquitto -> sink
#   (c) routes: generator -> mosquitto -> edgegw (plain routes, durable outbox) -> mosquitto -> sink
#   (d) rules:  as (c) with 100 rules loaded (tests/bench/rule_mix.h, mixed)
#   (c3), (e3): (c) and (e) with both of edgegw's links over MQTT 3.1.1, as
#               the bridge of (b) forwards: no MQTT 5 user properties
#   (e) drain:  100,000 rows queued in edgegw's outbox during an upstream
#               outage drain with live traffic flowing
# plus idle RSS (edgegw with the demo rules, and an empty main linked with
# the same libraries), the stripped binary size and the microbenchmarks,
# then prints one table and writes it as JSON (bench-results.json).
#
# Usage: scripts/bench.sh [--both] [--no-build] [BUILD_DIR=build-bench]
# Knobs (environment): BENCH_N (messages per throughput run, 200000),
# BENCH_DEVICES (100), BENCH_LAT_RATE (1000 msg/s), BENCH_LAT_SECONDS (10),
# BENCH_BACKLOG (100000), BENCH_DIR (where the scratch folder with the
# gateways' state goes, /tmp), BENCH_OUT (bench-results.json), BENCH_ONLY (the
# parts to run, default "raw bridge routes routes311 observed rules drain
# drain311 idle micro"), BENCH_PERF (a prefix: perf record of the gateway),
# BENCH_PAHO_C (relinked, or system: Debian's libpaho-mqtt3as as it is).
set -euo pipefail
cd "$(dirname "$0")/.."
# --both: the whole suite on Debian's Paho C, then on the relinked one (issue
# 18's table), one after the other in one run: bench-results-system.json and
# bench-results.json.
if [ "${1:-}" = "--both" ]; then
  shift
  out=${BENCH_OUT:-bench-results.json}
  BENCH_PAHO_C=system BENCH_OUT="${out%.json}-system.json" "$0" "$@"
  first=(--no-build); [ "${1:-}" = "--no-build" ] && shift
  BENCH_PAHO_C=relinked BENCH_OUT="$out" "$0" "${first[@]}" "$@"
  exit
fi
BUILD_FIRST=1
if [ "${1:-}" = "--no-build" ]; then BUILD_FIRST=0; shift; fi
BUILD=$(realpath -m "${1:-build-bench}")
N=${BENCH_N:-200000}
DEVICES=${BENCH_DEVICES:-100}
LAT_RATE=${BENCH_LAT_RATE:-1000}
LAT_SECONDS=${BENCH_LAT_SECONDS:-10}
BACKLOG=${BENCH_BACKLOG:-100000}
OUT=$(realpath -m "${BENCH_OUT:-bench-results.json}")
ONLY=" ${BENCH_ONLY:-raw bridge routes routes311 observed rules drain drain311 idle micro} "
want() { [[ "$ONLY" == *" $1 "* ]]; }

if [ "$BUILD_FIRST" = 1 ]; then
  EDGEGW_DEPS_EXTRA="libbenchmark-dev curl ${EDGEGW_DEPS_EXTRA:-}" scripts/deps.sh
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGEGW_BUILD_TESTS=OFF -DEDGEGW_BENCH=ON >/dev/null
  cmake --build "$BUILD" --target edgegw edgegw_loadgen edgegw_bench_rules edgegw_bench_outbox edgegw_empty_main
fi
EDGEGW="$BUILD/gateway/edgegw"
LOADGEN="$BUILD/tests/bench/edgegw_loadgen"
for f in "$EDGEGW" "$LOADGEN"; do
  [ -x "$f" ] || { echo "bench: $f missing (build with -DEDGEGW_BENCH=ON)" >&2; exit 1; }
done

RUN=$(mktemp -d "${BENCH_DIR:-/tmp}/edgegw-bench.XXXXXX")
RES="$RUN/results"; mkdir -p "$RES"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$RUN"
}
trap cleanup EXIT
# shellcheck source=tests/bench/bench_lib.sh
source tests/bench/bench_lib.sh

echo "== bench: $N messages per run, $DEVICES device topics, scratch $RUN" >&2

# ---- (a) raw broker limit
if want raw; then
  P=$(free_port); broker raw "$P"
  measure_pair raw "$P" "$P" "$(pid_of raw)"
  stop_broker raw
fi

# ---- (b) Mosquitto bridge
if want bridge; then
  UP=$(free_port); LP=$(free_port)
  broker bridge_up "$UP"
  broker bridge_local "$LP" "connection bench-bridge
address 127.0.0.1:$UP
topic # out 1
cleansession true
bridge_protocol_version mqttv311
restart_timeout 1"
  wait_path "$LP" "$UP"
  measure_pair bridge "$LP" "$UP" "$(pid_of bridge_local)" "$(pid_of bridge_up)"
  stop_broker bridge_local; stop_broker bridge_up
fi

# ---- (c) edgegw, plain routes; (c3) the same over MQTT 3.1.1; (c') the
# same observed: http on, /metrics and /api/status scraped twice a second
# (what the status page does), to price the observability (issue 7: under
# 5%); (d) edgegw, 100 rules
for scenario in routes routes311 observed rules; do
  want "$scenario" || continue
  UP=$(free_port); LP=$(free_port)
  broker "${scenario}_up" "$UP"; broker "${scenario}_local" "$LP"
  rules_dir=""; listen=""
  if [ "$scenario" = rules ]; then
    mkdir -p "$RUN/rules.d"
    "$LOADGEN" rules --count 100 --mix mixed --prefix bench > "$RUN/rules.d/bench.yaml"
    rules_dir="$RUN/rules.d"
  fi
  [ "$scenario" = observed ] && listen="127.0.0.1:$(free_port)"
  version=5; [ "$scenario" = routes311 ] && version=3
  gateway_config "$scenario" "$LP" "$UP" "$rules_dir" "$listen" "$version"
  start_gateway "$scenario"
  wait_path "$LP" "$UP"
  SCRAPE=""
  if [ -n "$listen" ]; then
    (while sleep 0.5; do
       curl -sf "http://$listen/metrics" >/dev/null; curl -sf "http://$listen/api/status" >/dev/null
     done) & SCRAPE=$!
  fi
  sleep 1; echo "$(rss_kib "$GW")" > "$RES/$scenario.rss_idle"
  rss_peak_reset "$GW"
  measure_pair "$scenario" "$LP" "$UP" "$GW $(pid_of "${scenario}_local")" "$(pid_of "${scenario}_up")"
  rss_peak_kib "$GW" > "$RES/$scenario.rss_load"
  if [ -n "$SCRAPE" ]; then kill "$SCRAPE" 2>/dev/null || true; wait "$SCRAPE" 2>/dev/null || true; fi
  stop_gateway; stop_broker "${scenario}_local"; stop_broker "${scenario}_up"
done

# ---- (e) backlog drain with live traffic; (e3) the same over MQTT 3.1.1
if want drain; then drain_backlog drain; fi
if want drain311; then drain_backlog drain311 3; fi

# ---- RSS idle: edgegw with the demo rules vs an empty main; binary size
if want idle; then
  idle_rss
  strip -o "$RUN/edgegw.stripped" "$EDGEGW"
  stat -c %s "$RUN/edgegw.stripped" > "$RES/binary_bytes"
fi

# ---- microbenchmarks
if want micro; then
  echo "== microbenchmarks" >&2
  "$BUILD/tests/bench/edgegw_bench_rules" --benchmark_min_time=0.3 --benchmark_format=json \
    --benchmark_out="$RES/micro_rules.json" >/dev/null
  "$BUILD/tests/bench/edgegw_bench_outbox" --benchmark_min_time=0.3 --benchmark_format=json \
    --benchmark_out="$RES/micro_outbox.json" >/dev/null
fi

python3 tests/bench/report.py "$RES" "$OUT"
