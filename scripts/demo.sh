#!/usr/bin/env bash
# The edgegw demo: two private Mosquitto brokers on loopback (local and a
# stand-in "cloud"), the gateway on config/demo/gateway.yaml, and simulated
# zigbee2mqtt and Tasmota devices. It shows events flowing, then stops the
# upstream broker, shows the outbox holding the backlog, starts it again,
# shows the drain, and prints what arrived.
# Usage: scripts/demo.sh   (installs missing Debian packages, builds, then runs about 30 s)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

scripts/deps.sh
# build/ is shared with scripts/test.sh: set what the demo relies on and leave
# the tests option alone (switching it off here once left test.sh with no tests).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGEGW_SANITIZE=OFF >/dev/null
cmake --build build --target edgegw >/dev/null
EDGEGW="$ROOT/build/gateway/edgegw"

LOCAL_PORT=18831
UP_PORT=18832
RUN=$(mktemp -d /tmp/edgegw-demo.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

for port in $LOCAL_PORT $UP_PORT; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "demo: port $port is in use; stop what listens there first" >&2
    exit 1
  fi
done

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_port() {  # wait for a listener, 10 s at most
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done
  echo "demo: nothing listens on $1" >&2; exit 1
}
start_broker() {  # name port -> pid in BROKER_PID
  local dir="$RUN/$1"
  mkdir -p "$dir"
  cat > "$dir/mosquitto.conf" <<CONF
listener $2 127.0.0.1
allow_anonymous true
persistence true
persistence_location $dir/
autosave_interval 1
# The gateway's events must survive a gateway restart (design.md, Delivery).
max_queued_messages 1000000
queue_qos0_messages true
log_dest file $dir/mosquitto.log
# Started as root, mosquitto would drop to its own user and could not write here.
user $(id -un)
CONF
  mosquitto -c "$dir/mosquitto.conf" 2>>"$dir/stderr.log" &
  BROKER_PID=$!
  PIDS+=("$BROKER_PID")
  wait_port "$2"
}
count() { [ -f "$1" ] && wc -l < "$1" | tr -d ' ' || echo 0; }
backlog() { "$EDGEGW" buffer stats -c "$RUN/gateway.yaml" 2>/dev/null | awk '$1=="upstream"{print $2}'; }

say "starting the local broker (:$LOCAL_PORT) and the cloud broker (:$UP_PORT)"
start_broker local $LOCAL_PORT
start_broker upstream $UP_PORT
UP_PID=$BROKER_PID

cp config/demo/gateway.yaml "$RUN/gateway.yaml"
cp -r config/demo/rules.d "$RUN/rules.d"
"$EDGEGW" check -c "$RUN/gateway.yaml" --mosquitto-conf "$RUN/local/mosquitto.conf"

# The cloud side: a persistent subscriber that records what arrives.
mosquitto_sub -h 127.0.0.1 -p $UP_PORT -i demo-cloud -c -q 1 -t 'sites/#' -t 'alerts/#' -v > "$RUN/cloud.txt" &
PIDS+=($!)

say "starting the gateway (its log: $RUN/gateway.log, shown here prefixed with 'gateway |')"
# Through a pipe the demo can wait on, so every gateway line is out before the summary.
mkfifo "$RUN/gateway.pipe"
tee "$RUN/gateway.log" < "$RUN/gateway.pipe" | sed -u 's/^/  gateway | /' >&2 &
LOG_PID=$!
PIDS+=("$LOG_PID")
"$EDGEGW" run -c "$RUN/gateway.yaml" 2> "$RUN/gateway.pipe" &
GW_PID=$!
PIDS+=("$GW_PID")
sleep 1

say "simulated devices publish (zigbee2mqtt every 100 ms, Tasmota every 500 ms)"
(
  i=0
  while [ ! -f "$RUN/stop-devices" ]; do
    i=$((i + 1))
    t=$(awk -v i=$i 'BEGIN{printf "%.1f", 21 + (i % 20) / 10}')
    mosquitto_pub -h 127.0.0.1 -p $LOCAL_PORT -q 1 -t zigbee2mqtt/living_room_sensor \
      -m "{\"temperature\":$t,\"humidity\":45,\"battery\":97,\"seq\":$i}"
    echo $i >> "$RUN/zigbee.sent"
    if [ $((i % 5)) -eq 0 ]; then
      mosquitto_pub -h 127.0.0.1 -p $LOCAL_PORT -q 1 -t tele/tasmota_1A2B3C/SENSOR \
        -m "{\"ENERGY\":{\"Power\":$((100 + i % 50))},\"seq\":$i}"
      echo $i >> "$RUN/tasmota.sent"
    fi
    sleep 0.1
  done
) &
DEV_PID=$!
PIDS+=("$DEV_PID")

sleep 5
echo "  sent so far: $(count "$RUN/zigbee.sent") zigbee2mqtt, $(count "$RUN/tasmota.sent") Tasmota; arrived in the cloud: $(count "$RUN/cloud.txt")"
echo "  last arrival: $(tail -n 1 "$RUN/cloud.txt")"

echo "  rule alerts so far: $(grep -c '^alerts/' "$RUN/cloud.txt" || true) (living room above 22.5 °C, throttled to one per 10 s)"

say "a remote command from the cloud reaches the local device"
mosquitto_sub -h 127.0.0.1 -p $LOCAL_PORT -t 'cmnd/#' -C 1 -W 5 -v > "$RUN/cmnd.txt" &
SUB=$!
sleep 0.5
mosquitto_pub -h 127.0.0.1 -p $UP_PORT -q 1 -t sites/demo-pi/cmnd/tasmota_1A2B3C/POWER -m ON
wait $SUB || true
echo "  local broker got: $(cat "$RUN/cmnd.txt")"

say "uplink outage: stopping the cloud broker for 15 s"
kill "$UP_PID"; wait "$UP_PID" 2>/dev/null || true
for n in 1 2 3; do
  sleep 5
  if [ $n -eq 2 ]; then
    # A zigbee2mqtt network re-interviewing its devices: a burst, so the drain below takes long enough to watch.
    seq 1 5000 | sed 's/.*/{"state":"ON","seq":&}/' |
      mosquitto_pub -h 127.0.0.1 -p $LOCAL_PORT -q 1 -t zigbee2mqtt/hallway_lights -l
    seq 1 5000 >> "$RUN/zigbee.sent"
    echo "  a burst of 5000 zigbee2mqtt messages (hallway_lights) during the outage"
  fi
  echo "  outbox backlog: $(backlog) rows waiting (sent: $(count "$RUN/zigbee.sent") zigbee2mqtt, $(count "$RUN/tasmota.sent") Tasmota)"
done

say "uplink back: starting the cloud broker again, watching the backlog drain"
start_broker upstream $UP_PORT
START=$(date +%s%N)
last=""
for _ in $(seq 300); do   # 30 s at most; a line each time the backlog changed
  b=$(backlog)
  if [ "$b" != "$last" ]; then
    echo "  +$(( ($(date +%s%N) - START) / 1000000 )) ms  outbox backlog: $b"
    last=$b
  fi
  [ "${b:-1}" = "0" ] && break
  sleep 0.1
done

say "stopping the devices and letting the last messages arrive"
touch "$RUN/stop-devices"   # the loop finishes its current message, so the count is exact
wait "$DEV_PID" 2>/dev/null || true
sent_z=$(count "$RUN/zigbee.sent")
for _ in $(seq 50); do
  got_z=$(grep -c '^sites/demo-pi/zigbee2mqtt/' "$RUN/cloud.txt" || true)
  [ "$got_z" -ge "$sent_z" ] && break
  sleep 0.2
done
got_z=$(grep -c '^sites/demo-pi/zigbee2mqtt/' "$RUN/cloud.txt" || true)
got_t=$(grep -c '^sites/demo-pi/tasmota/' "$RUN/cloud.txt" || true)
# Topic and payload (each carries its seq) tell two messages apart.
distinct_z=$(grep '^sites/demo-pi/zigbee2mqtt/' "$RUN/cloud.txt" | sort -u | wc -l)

say "stopping the gateway"
kill -TERM "$GW_PID"; wait "$GW_PID" 2>/dev/null || true
wait "$LOG_PID" 2>/dev/null || true   # its last lines are out before the summary

say "summary"
dups=$((got_z - distinct_z))
why=""
if [ "$dups" -gt 0 ]; then
  why="; $dups arrived twice: delivery is at-least-once, so a message whose acknowledgement the outage cut off is sent again (its edgegw-msg-id tells the copies apart)"
fi
echo "  zigbee2mqtt (keep_all):  sent $sent_z, arrived $got_z ($distinct_z distinct), lost $((sent_z - distinct_z))$why"
echo "  Tasmota (latest_only):   sent $(count "$RUN/tasmota.sent"), arrived $got_t (only the newest reading per device is kept while offline)"
echo "  rule alerts (priority high): $(grep -c '^alerts/' "$RUN/cloud.txt" || true); last: $(grep '^alerts/' "$RUN/cloud.txt" | tail -n 1)"
"$EDGEGW" buffer stats -c "$RUN/gateway.yaml"
echo "  files of this run: $RUN (the gateway's log: gateway.log)"
[ $((sent_z - distinct_z)) -eq 0 ]
