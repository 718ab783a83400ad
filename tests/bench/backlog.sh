#!/usr/bin/env bash
# Backlog figures, not a test: the gateway's RSS while N messages wait in the
# outbox during an upstream outage, and the rate at which they drain once the
# upstream is back. Private brokers on free loopback ports; nothing else.
# Usage: tests/bench/backlog.sh [N=200000] [BUILD_DIR=build]
# EDGEGW_BENCH_HTTP=1: serve http and scrape /metrics and /api/status twice a
# second throughout (the observability cost under load).
set -euo pipefail
N=${1:-200000}
BUILD=${2:-build}
cd "$(dirname "$0")/../.."
EDGEGW="$PWD/$BUILD/gateway/edgegw"
[ -x "$EDGEGW" ] || { echo "build first: $EDGEGW missing" >&2; exit 1; }
RUN=$(mktemp -d /tmp/edgegw-bench.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; exit 1; }
broker() {  # name port
  mkdir -p "$RUN/$1"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nuser %s\n' "$2" "$(id -un)" > "$RUN/$1/m.conf"
  mosquitto -c "$RUN/$1/m.conf" 2>/dev/null & PIDS+=($!)
  wait_port "$2"
}
rss_kib() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, less sensitive to a busy machine than wall time
backlog() { "$EDGEGW" buffer stats --json -c "$RUN/gw.yaml" | python3 -c 'import json,sys; print(json.load(sys.stdin)["links"]["upstream"]["messages"])'; }

LP=$(free_port); UP=$(free_port)
HTTP_LISTEN=""
if [ "${EDGEGW_BENCH_HTTP:-}" = 1 ]; then
  HP=$(free_port); HTTP_LISTEN="127.0.0.1:$HP"
  (while sleep 0.5; do curl -s "http://$HTTP_LISTEN/metrics" >/dev/null; curl -s "http://$HTTP_LISTEN/api/status" >/dev/null; done) &
  PIDS+=($!)
fi
broker local "$LP"
cat > "$RUN/gw.yaml" <<YAML
gateway: {id: bench, state_dir: state, log_level: warn}
local: {url: "mqtt://127.0.0.1:$LP"}
upstream: {url: "mqtt://127.0.0.1:$UP", reconnect: {min: 100ms, max: 500ms}}
forward:
  - from: "dev/+/state"
    to: "sites/bench/{{ topic[1] }}"
buffer: {max_messages: 10000000}
rules: {paths: []}
http: {listen: "${HTTP_LISTEN}"}
YAML
"$EDGEGW" run -c "$RUN/gw.yaml" 2>"$RUN/gw.log" & GW=$!; PIDS+=($GW)
for _ in $(seq 100); do grep -q "local link: subscribed" "$RUN/gw.log" && break; sleep 0.1; done
echo "idle RSS: $(rss_kib $GW) KiB"

# N QoS 1 messages of ~100 bytes over 10 device topics, the upstream down.
for d in $(seq 0 9); do
  seq 1 $((N / 10)) | awk -v d=$d '{printf "{\"device\":%d,\"seq\":%d,\"temperature\":21.5,\"humidity\":40,\"battery\":90}\n", d, $1}' \
    | mosquitto_pub -p "$LP" -q 1 -t "dev/$d/state" -l &
done
wait_n=0
peak=0
while [ "$(backlog)" -lt "$N" ]; do
  r=$(rss_kib $GW); [ "$r" -gt "$peak" ] && peak=$r
  sleep 0.5; wait_n=$((wait_n + 1)); [ $wait_n -gt 1200 ] && { echo "backlog stuck at $(backlog)" >&2; exit 1; }
done
echo "backlog $N rows: RSS $(rss_kib $GW) KiB (peak while filling $peak KiB), outbox.db $(du -k "$RUN/state/outbox.db" | cut -f1) KiB"

broker upstream "$UP"
cpu0=$(cpu_ticks $GW)
start=$(date +%s.%N)
while [ "$(backlog)" -gt 0 ]; do r=$(rss_kib $GW); [ "$r" -gt "$peak" ] && peak=$r; sleep 0.2; done
end=$(date +%s.%N)
cpu1=$(cpu_ticks $GW)
python3 -c "print(f'drained $N rows in {($end-$start):.1f} s: {$N/($end-$start):.0f} msg/s; peak RSS $peak KiB')"
echo "after drain RSS: $(rss_kib $GW) KiB"
python3 -c "t=$(getconf CLK_TCK); print(f'gateway CPU while draining: {($cpu1-$cpu0)/t:.2f} s, {($cpu1-$cpu0)/t/$N*1e6:.1f} us per message')"
