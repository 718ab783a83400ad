# tests/bench/bench_lib.sh — the pieces of scripts/bench.sh: private brokers,
# the gateway, one measured generator -> sink pair, the backlog drain, RSS
# and CPU sampling. Sourced; expects RUN, RES, EDGEGW, LOADGEN, BUILD, N,
# DEVICES, LAT_RATE, LAT_SECONDS, BACKLOG and the PIDS array.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; echo "bench: port $1 never opened" >&2; exit 1; }
rss_kib() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
# utime + stime of every pid given, in seconds.
cpu_seconds() {
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  python3 -c "print($t / $(getconf CLK_TCK))"
}
# Peak RSS from here on: the kernel keeps it (VmHWM), and writing 5 to
# clear_refs resets it. The sampling loop this replaces forked awk and sleep
# 20 times a second, on the two cores the gateway's scenarios (and only
# they) were measured on.
rss_peak_reset() { echo 5 > "/proc/$1/clear_refs"; }
rss_peak_kib() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }

# A mosquitto on 127.0.0.1:PORT, RAM only. The in-flight window and queue are
# raised from the defaults (20 and 1000) so neither the bridge nor the
# subscribers drop or crawl: max_inflight_messages is also the Receive Maximum
# it announces to MQTT 5 clients (edgegw's upstream window), and a queue of
# 1000 would silently drop whatever a slower consumer lags behind.
# broker NAME PORT [EXTRA_CONF]
broker() {
  mkdir -p "$RUN/$1"
  {
    printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_inflight_messages 1000\n' "$2"
    printf 'max_queued_messages 10000000\nmax_queued_bytes 0\nuser %s\n' "$(id -un)"
    [ -n "${3:-}" ] && printf '%s\n' "$3"
  } > "$RUN/$1/m.conf"
  mosquitto -c "$RUN/$1/m.conf" >"$RUN/$1/log" 2>&1 &
  echo $! > "$RUN/$1/pid"; PIDS+=($!)
  wait_port "$2"
}
pid_of() { cat "$RUN/$1/pid"; }
stop_broker() { local p; p=$(pid_of "$1"); kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; }

# Publishes probe messages on LOCAL_PORT until one arrives on UPSTREAM_PORT:
# the forwarding path (bridge or gateway) is up.
wait_path() {
  mosquitto_sub -p "$2" -t 'probe/#' -C 1 -W 30 >/dev/null & local sub=$!
  for _ in $(seq 300); do
    kill -0 "$sub" 2>/dev/null || { wait "$sub"; return; }
    mosquitto_pub -p "$1" -q 1 -t probe/path -m x 2>/dev/null || true
    sleep 0.1
  done
  echo "bench: no path from $1 to $2" >&2; exit 1
}

# Starts a sink on PORT writing RESULT, and waits until it has subscribed.
# start_sink RESULT PORT EXPECT [more sink options]
start_sink() {
  local out=$1 port=$2 expect=$3; shift 3
  "$LOADGEN" sink --url "tcp://127.0.0.1:$port" --expect "$expect" --timeout 300 --idle 20 "$@" \
    >"$out" 2>"$out.err" & SINK=$!
  for _ in $(seq 200); do grep -q subscribed "$out.err" 2>/dev/null && return 0; sleep 0.05; done
  echo "bench: sink did not subscribe: $(cat "$out.err")" >&2; exit 1
}

# Throughput at full speed (N messages) with the CPU of CPU_PIDS (the
# forwarding processes), then latency at LAT_RATE msg/s, generator on
# PUB_PORT, sink on SINK_PORT. For the full-speed run it also writes the CPU
# of the first of CPU_PIDS alone (NAME.cpu_first: the gateway) and of the
# whole run (NAME.cpu_all: CPU_PIDS, OTHER_PIDS (the other brokers), the
# generator and the sink); the latter divided by the run's seconds says how
# many of the machine's cores the run kept busy.
# measure_pair NAME PUB_PORT SINK_PORT "CPU_PIDS" ["OTHER_PIDS"]
# shellcheck disable=SC2086  # the pid lists are meant to split
measure_pair() {
  local name=$1 pub=$2 sink=$3 pids=$4 others=${5:-} c0 c1 a0 a1 f0 f1
  echo "== $name: $N messages at full speed" >&2
  start_sink "$RES/$name.tput.json" "$sink" "$N"
  c0=$(cpu_seconds $pids); a0=$(cpu_seconds $pids $others); f0=$(cpu_seconds "${pids%% *}")
  perf_start "$name"
  "$LOADGEN" pub --url "tcp://127.0.0.1:$pub" --count "$N" --devices "$DEVICES" --window 1000 >"$RES/$name.pub.json"
  wait "$SINK"
  perf_stop
  c1=$(cpu_seconds $pids); a1=$(cpu_seconds $pids $others); f1=$(cpu_seconds "${pids%% *}")
  python3 -c "print($c1 - $c0)" > "$RES/$name.cpu"
  python3 -c "print($f1 - $f0)" > "$RES/$name.cpu_first"  # the gateway alone, or the (bridging) broker
  cpu_plus "$a1 - $a0" "$RES/$name.pub.json" "$RES/$name.tput.json" > "$RES/$name.cpu_all"
  echo "   $(cat "$RES/$name.tput.json")" >&2
  local count=$((LAT_RATE * LAT_SECONDS))
  echo "== $name: $count messages at $LAT_RATE msg/s" >&2
  start_sink "$RES/$name.lat.json" "$sink" "$count"
  c0=$(cpu_seconds $pids)
  "$LOADGEN" pub --url "tcp://127.0.0.1:$pub" --count "$count" --devices "$DEVICES" --rate "$LAT_RATE" >/dev/null
  wait "$SINK"
  c1=$(cpu_seconds $pids)
  python3 -c "print($c1 - $c0)" > "$RES/$name.lat_cpu"  # CPU seconds at the fixed rate
  echo "   $(cat "$RES/$name.lat.json")" >&2
}

# cpu_plus "SECONDS EXPRESSION" LOADGEN_JSON...: the seconds plus the cpu_s
# the generator or sink reported in each JSON.
cpu_plus() {
  python3 - "$@" <<'PY'
import json, sys
print(eval(sys.argv[1]) + sum(json.load(open(f))["cpu_s"] for f in sys.argv[2:]))
PY
}

# With BENCH_PERF=PREFIX, `perf record -g` of the gateway (GW) while a
# gateway scenario runs at full speed or drains, into PREFIX.NAME
# (BENCH_PERF_ARGS replaces "record -e cpu-clock -g", e.g. with "stat -e ...").
PERF=""
perf_start() {
  [ -n "${BENCH_PERF:-}" ] && [ -n "${GW:-}" ] && kill -0 "$GW" 2>/dev/null || return 0
  # shellcheck disable=SC2086
  perf ${BENCH_PERF_ARGS:-record -e cpu-clock -g} -p "$GW" -o "$BENCH_PERF.$1" 2>/dev/null & PERF=$!
  sleep 0.5  # perf attaches
}
perf_stop() {
  [ -n "$PERF" ] || return 0
  kill -INT "$PERF" 2>/dev/null || true; wait "$PERF" 2>/dev/null || true; PERF=""
}

# gateway_config NAME LOCAL_PORT UPSTREAM_PORT RULES_DIR(or "") [LISTEN] [MQTT_VERSION]
# max_inflight: the default, 64 (BENCH_INFLIGHT). Larger windows cost more
# CPU per message, not less: Paho C walks its in-flight list for every
# PUBACK and every new message id (measured: ~90 us of gateway CPU per
# drained message at 64 or 100, ~150 at 1000; docs/performance.md).
# MQTT_VERSION: 5, the default, or 3 (both links over 3.1.1, as the bridge
# of (b) runs; no user properties on the way up).
gateway_config() {
  local rules="[]" version=""
  [ -n "$4" ] && rules="[$4]"
  [ "${6:-5}" = 3 ] && version=", mqtt_version: 3"
  mkdir -p "$RUN/$1"
  cat > "$RUN/$1/gw.yaml" <<YAML
gateway: {id: bench, state_dir: $RUN/$1/state, log_level: info}
local: {url: "mqtt://127.0.0.1:$2", reconnect: {min: 100ms, max: 500ms}$version}
upstream: {url: "mqtt://127.0.0.1:$3", reconnect: {min: 100ms, max: 500ms}, max_inflight: ${BENCH_INFLIGHT:-64}$version}
forward:
  - from: "bench/#"
  - from: "live/#"
  - from: "probe/#"
buffer: {max_messages: 10000000}
rules: {paths: $rules}
http: {listen: "${5:-}"}
YAML
}
# BENCH_PAHO_C=system runs the gateway on Debian's libpaho-mqtt3as as it is
# (LD_LIBRARY_PATH is searched before the binary's RUNPATH); the default is
# the relinked copy the build made (docs/performance.md). Checked in the
# running process's maps, so a run never reports the wrong library.
PAHO_DIR=""
[ "${BENCH_PAHO_C:-relinked}" = system ] && PAHO_DIR=$(dirname "$(realpath "$(ldconfig -p | awk '/libpaho-mqtt3as.so.1 / { print $NF; exit }')")")
start_gateway() {
  LD_LIBRARY_PATH=$PAHO_DIR "$EDGEGW" run -c "$RUN/$1/gw.yaml" 2>"$RUN/$1/gw.log" & GW=$!; PIDS+=("$GW")
  for _ in $(seq 200); do grep -q "local link: subscribed" "$RUN/$1/gw.log" && break; sleep 0.05; done
  grep -q "local link: subscribed" "$RUN/$1/gw.log" || { echo "bench: gateway did not start: $(cat "$RUN/$1/gw.log")" >&2; exit 1; }
  local lib; lib=$(awk '/libpaho-mqtt3as/ { print $NF; exit }' "/proc/$GW/maps")
  case "${BENCH_PAHO_C:-relinked}/$lib" in
    system/"$PAHO_DIR"/*|relinked/*/lib/edgegw/*) echo "$lib" > "$RES/paho_c" ;;
    *) echo "bench: the gateway runs on $lib, not the ${BENCH_PAHO_C:-relinked} Paho C" >&2; exit 1 ;;
  esac
}
stop_gateway() { kill "$GW" 2>/dev/null || true; wait "$GW" 2>/dev/null || true; }
backlog_rows() {
  "$EDGEGW" buffer stats --json -c "$RUN/$1/gw.yaml" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["links"]["upstream"]["messages"])'
}

# (e): BACKLOG rows queue while the upstream is down; then the upstream comes
# back and the sink measures how fast they arrive while live traffic (live/#,
# LAT_RATE msg/s) keeps flowing into the gateway. The sink's session is
# persistent on a persistent upstream, so it is subscribed before the gateway
# reconnects and misses nothing.
# drain_backlog NAME [MQTT_VERSION]
drain_backlog() {
  local name=$1 version=${2:-5} UP LP live_count
  UP=$(free_port); LP=$(free_port)
  echo "== $name: $BACKLOG rows queued during an outage" >&2
  broker "${name}_up" "$UP" "persistence true
persistence_location $RUN/${name}_up/
autosave_interval 0"
  mosquitto_sub -p "$UP" -c -i bench-drain-sink -q 1 -t 'bench/#' -E
  stop_broker "${name}_up"
  broker "${name}_local" "$LP"
  # HTTP on, as a gateway with its status page runs (issue 18's RSS figure).
  gateway_config "$name" "$LP" "$UP" "" "127.0.0.1:$(free_port)" "$version"
  start_gateway "$name"
  rss_kib "$GW" > "$RES/$name.rss_before"
  "$LOADGEN" pub --url "tcp://127.0.0.1:$LP" --count "$BACKLOG" --devices "$DEVICES" --window 1000 >/dev/null
  for _ in $(seq 1200); do [ "$(backlog_rows "$name")" -ge "$BACKLOG" ] && break; sleep 0.25; done
  sleep 1
  rss_kib "$GW" > "$RES/$name.rss_backlog"
  rss_peak_reset "$GW"
  live_count=$((LAT_RATE * 20))
  "$LOADGEN" pub --url "tcp://127.0.0.1:$LP" --prefix live --count "$live_count" --devices 10 --rate "$LAT_RATE" \
    >/dev/null & local live=$!
  sleep 1
  local c0; c0=$(cpu_seconds "$GW")
  perf_start "$name"
  broker "${name}_up" "$UP" "persistence true
persistence_location $RUN/${name}_up/
autosave_interval 0"
  start_sink "$RES/$name.json" "$UP" "$BACKLOG" --id bench-drain-sink --clean 0 --filter 'bench/#'
  wait "$SINK"
  python3 -c "print($(cpu_seconds "$GW") - $c0)" > "$RES/$name.cpu"  # includes the live traffic meanwhile
  # The drain's whole path: the gateway, the upstream broker (restarted
  # above, so all of its CPU) and the sink.
  cpu_plus "$(cat "$RES/$name.cpu") + $(cpu_seconds "$(pid_of "${name}_up")")" "$RES/$name.json" > "$RES/$name.cpu_all"
  perf_stop
  echo "   $(cat "$RES/$name.json")" >&2
  wait "$live" || true
  rss_peak_kib "$GW" > "$RES/$name.rss_peak"
  stop_gateway; stop_broker "${name}_local"; stop_broker "${name}_up"
}

# Idle RSS of edgegw running the demo config (its rules and routes) next to
# an empty main linked with the same shared libraries.
idle_rss() {
  local UP LP e
  UP=$(free_port); LP=$(free_port)
  broker idle_up "$UP"; broker idle_local "$LP"
  mkdir -p "$RUN/idle"
  cp -r config/demo/rules.d "$RUN/idle/"
  sed -e "s#127.0.0.1:18831#127.0.0.1:$LP#; s#127.0.0.1:18832#127.0.0.1:$UP#; s#state_dir: state#state_dir: $RUN/idle/state#" \
    -e "s#paths: \[rules.d\]#paths: [$RUN/idle/rules.d]#" \
    config/demo/gateway.yaml > "$RUN/idle/gw.yaml"
  start_gateway idle
  sleep 3
  rss_kib "$GW" > "$RES/idle.rss_demo"
  stop_gateway
  # The same with the status page and API on (http.listen), after one visit.
  local port; port=$(free_port)
  sed -i "s#listen: \"\"#listen: \"127.0.0.1:$port\"#" "$RUN/idle/gw.yaml"
  grep -q "127.0.0.1:$port" "$RUN/idle/gw.yaml" || { echo "bench: demo config has no http.listen line" >&2; exit 1; }
  start_gateway idle
  curl -sf "http://127.0.0.1:$port/api/status" >/dev/null
  sleep 3
  rss_kib "$GW" > "$RES/idle.rss_demo_http"
  stop_gateway; stop_broker idle_local; stop_broker idle_up
  "$BUILD/tests/bench/edgegw_empty_main" > "$RUN/empty.out" & e=$!; PIDS+=("$e")
  for _ in $(seq 100); do grep -q ready "$RUN/empty.out" && break; sleep 0.05; done
  rss_kib "$e" > "$RES/idle.rss_empty"
  kill "$e"; wait "$e" 2>/dev/null || true
}
