#!/usr/bin/env bash
# The package under a real systemd (docs/testing.md, "The package in a VM").
# Boots Debian 12 in qemu (amd64 with KVM, arm64 under TCG on the `virt`
# machine), installs dist/edgegw_*_ARCH.deb with apt, and checks the unit:
# READY=1 and STATUS=, reload with a broken and a fixed rule file, the
# watchdog, stop under load, the sandbox score and the user, the state
# folder, an upgrade, a purge (scripts/vm/guest-checks.sh, one line each).
#
# --power-cut: both brokers on the host's loopback, only the gateway and its
# disk (cache=directsync) in the VM, reached through qemu's user-mode network
# (the guest's 10.0.2.2 is the host's 127.0.0.1). For buffer.sync full and
# normal, VM_CHECK_ITERATIONS times (10): stream 1,000 events/s into the
# host's local broker, SIGKILL qemu at a random moment, boot again, count
# what the local broker acknowledged that never reached the upstream.
#
# Usage: scripts/vm-check.sh amd64|arm64 [--power-cut]     (as root)
# Ends with "vm-check: ok" or "vm-check: FAILED <what>" (exit 1).
# Needs dist/edgegw_*_ARCH.deb (scripts/deb.sh). Installs qemu, debootstrap
# and friends from Debian if missing; the guest image is cached in
# build-vm/ARCH (rebuilt when scripts/vm/image.sh or the package's Depends
# change). Guest driven over ssh (a key made with the image) through a
# hostfwd on a free loopback port: unlike a serial console it gives exit
# codes, separate streams and file copies, and it fails loudly.
# Every host process it starts (qemu, brokers, load generator, sink) it
# stops by PID. No tap, no bridge: user-mode network and loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=${1:-}
MODE=${2:-}
case "$ARCH/$MODE" in amd64/|arm64/|amd64/--power-cut|arm64/--power-cut) ;;
  *) echo "usage: scripts/vm-check.sh amd64|arm64 [--power-cut]" >&2; exit 2 ;; esac
ITERATIONS=${VM_CHECK_ITERATIONS:-10}
SYNCS=${VM_CHECK_SYNC:-full normal}
STREAM_S=${VM_CHECK_STREAM_S:-10}   # seconds of 1,000 events/s per power cut
VM=build-vm
RUN=$VM/run-$ARCH
T0=$SECONDS

PIDS=()        # host processes this script started and has not yet stopped
QEMU_PID=""
FAILS=()
say() { echo "vm-check: $*"; }
failed() { say "FAILED $*"; exit 1; }
stop_pid() {   # PID: TERM, then KILL after 10 s
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget "$pid"
}
forget() { local p keep=(); for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done; PIDS=("${keep[@]}"); }
cleanup() { local p; for p in "${PIDS[@]}"; do stop_pid "$p"; done; }
trap cleanup EXIT
trap 'exit 1' INT TERM
[ "$(id -u)" = 0 ] || failed "run as root (debootstrap, KVM, binfmt_misc)"

# ---- host tools, from Debian only
need=(qemu-utils debootstrap openssh-client e2fsprogs iproute2)
case $ARCH in
  amd64) need+=(qemu-system-x86) ;;
  arm64) need+=(qemu-system-arm qemu-user-static binfmt-support) ;;
esac
[ "$MODE" != --power-cut ] || need+=(mosquitto g++)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq || failed "apt-get update"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || failed "apt-get install ${missing[*]}"
fi
# amd64 runs under KVM when KVM can boot a stock kernel. A PVM host (the
# kvm_pvm module: KVM nested without VMX/SVM, as on the 2-core development
# VMs) runs only guest kernels built for PVM; Debian's stops in its
# decompressor there, so those hosts get TCG. arm64 is always TCG.
ACCEL=${VM_CHECK_ACCEL:-}
if [ -z "$ACCEL" ]; then
  if [ "$ARCH" = amd64 ] && [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; then ACCEL=kvm; else ACCEL=tcg; fi
fi
if [ "$ARCH" = amd64 ] && [ "$ACCEL" = tcg ]; then
  say "accel tcg: $( [ -d /sys/module/kvm_pvm ] && echo "this host's KVM is kvm_pvm, which boots no stock kernel" || echo "no usable /dev/kvm")"
fi

# ---- the package, a newer build of it, and the image
deb=$(find dist -maxdepth 1 -name "edgegw_*_$ARCH.deb" 2>/dev/null | sort -V | tail -n 1)
[ -n "$deb" ] || failed "no dist/edgegw_*_$ARCH.deb: run scripts/deb.sh $([ "$ARCH" = amd64 ] && echo native || echo arm64)"
rm -rf "$RUN"
mkdir -p "$RUN"
version=$(dpkg-deb -f "$deb" Version)
# "A newer build": the same files under a higher version, as dpkg sees an upgrade.
dpkg-deb -R "$deb" "$RUN/newer"
sed -i "s/^Version: .*/Version: $version+vmcheck1/" "$RUN/newer/DEBIAN/control"
newer="$RUN/edgegw_$version+vmcheck1_$ARCH.deb"
dpkg-deb --root-owner-group -b "$RUN/newer" "$newer" >/dev/null
rm -rf "$RUN/newer"
# The package's Depends go into the image, so that apt in the guest finds
# them installed (the guest has no mirror to reach). Virtual names
# (libspdlog1.10-fmt9) become the package that provides them, which
# debootstrap --include needs.
real_package() {
  if [ -n "$(apt-cache show --no-all-versions "$1" 2>/dev/null)" ]; then echo "$1"; return; fi
  apt-cache showpkg "$1" | sed -n '/^Reverse Provides:/,$p' | awk 'NR == 2 { print $1 }'
}
mapfile -t depends < <(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$' \
                       | while read -r d; do real_package "$d"; done | sort -u)
say "package $(basename "$deb") (Depends: ${depends[*]})"
t=$SECONDS
scripts/vm/image.sh "$ARCH" "$VM/$ARCH" "${depends[@]}" || failed "building the $ARCH image"
say "image $VM/$ARCH/rootfs.raw ready after $((SECONDS - t)) s"

# ---- the VM
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    ss -Htan | awk '{ print $4 }' | grep -q ":$p\$" || { echo "$p"; return; }
  done
}
SSH_PORT=0
KEY="$VM/$ARCH/id_ed25519"
SSH_OPTS=(-i "$KEY" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
          -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=12)
vssh() { ssh "${SSH_OPTS[@]}" -p "$SSH_PORT" root@127.0.0.1 "$@"; }
vscp() { scp -q "${SSH_OPTS[@]}" -P "$SSH_PORT" "$@"; }
BOOTS=0
# boot DISK CACHE [GUESTFWD...]: starts qemu on DISK, waits for ssh; sets
# QEMU_PID and BOOT_S.
boot() {
  local disk=$1 cache=$2 qemu console deadline t
  BOOTS=$((BOOTS + 1))
  SSH_PORT=$(free_port)
  case $ARCH in
    amd64) qemu=(qemu-system-x86_64 -machine q35); console=ttyS0 ;;
    arm64) qemu=(qemu-system-aarch64 -machine virt -cpu cortex-a72); console=ttyAMA0 ;;
  esac
  if [ "$ACCEL" = kvm ]; then
    qemu+=(-accel kvm -cpu host); deadline=180
  else
    [ "$ARCH" = arm64 ] || qemu+=(-cpu max)
    qemu+=(-accel "tcg,thread=multi"); deadline=1800
  fi
  t=$SECONDS
  "${qemu[@]}" -smp 2 -m 1024 -no-reboot -display none -monitor none -serial "file:$RUN/console-$BOOTS.log" \
    -kernel "$VM/$ARCH/vmlinuz" -initrd "$VM/$ARCH/initrd.img" \
    -append "root=/dev/vda rw console=$console net.ifnames=0 quiet" \
    -drive "if=none,id=hd0,file=$disk,format=qcow2,cache=$cache" -device virtio-blk-pci,drive=hd0 \
    -netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22" -device virtio-net-pci,netdev=net0 \
    > "$RUN/qemu-$BOOTS.log" 2>&1 &
  QEMU_PID=$!
  PIDS+=("$QEMU_PID")
  until vssh true 2>/dev/null; do
    kill -0 "$QEMU_PID" 2>/dev/null || failed "qemu exited during boot $BOOTS: $(tail -n 3 "$RUN/qemu-$BOOTS.log" | tr '\n' ' ')"
    [ $((SECONDS - t)) -lt $deadline ] || failed "no ssh $deadline s after boot $BOOTS (console: $RUN/console-$BOOTS.log)"
    sleep 1
  done
  BOOT_S=$((SECONDS - t))
}
# Shuts the guest down cleanly (qemu exits: -no-reboot), else stops qemu.
shutdown_vm() {
  vssh 'systemctl poweroff' >/dev/null 2>&1 || true
  local i
  for i in $(seq 120); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.5; done
  stop_pid "$QEMU_PID"
}

# ---- the checks under systemd
checks() {
  qemu-img create -q -f qcow2 -b "$(realpath "$VM/$ARCH/rootfs.raw")" -F raw "$RUN/disk.qcow2"
  boot "$RUN/disk.qcow2" none
  say "$ARCH guest up (ssh) $BOOT_S s after qemu started"
  vscp "$deb" "$newer" scripts/vm/guest-checks.sh root@127.0.0.1:/root/
  local t=$SECONDS line
  while IFS= read -r line; do
    case $line in
      FAIL*) echo "$line"; FAILS+=("${line#FAIL }") ;;
      "guest-checks exit "*) [ "${line##* }" = 0 ] || [ ${#FAILS[@]} -gt 0 ] || FAILS+=("guest-checks.sh ended with ${line##* }") ;;
      *) echo "$line" ;;
    esac
  done < <(timeout 1800 ssh "${SSH_OPTS[@]}" -p "$SSH_PORT" root@127.0.0.1 \
             "bash /root/guest-checks.sh /root/$(basename "$deb") /root/$(basename "$newer")" 2>&1; echo "guest-checks exit $?")
  say "checks took $((SECONDS - t)) s"
  vssh 'journalctl -b --no-pager -o short-monotonic' > "$RUN/guest-journal.txt" 2>/dev/null || true
  shutdown_vm
}

# ---- power cut
LOADGEN=$VM/edgegw_loadgen
host_broker() {  # PORT NAME: a mosquitto on 127.0.0.1:PORT; prints its PID
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 1000000\nmax_inflight_messages 100\n' \
    "$1" > "$RUN/$2.conf"
  mosquitto -c "$RUN/$2.conf" > "$RUN/$2.log" 2>&1 &
  echo $!
}
wait_listen() { local i; for i in $(seq 50); do ss -Htln | grep -q "127.0.0.1:$1 " && return 0; sleep 0.1; done; return 1; }

power_cut() {
  if [ ! -x "$LOADGEN" ] || [ tests/bench/loadgen.cpp -nt "$LOADGEN" ]; then
    g++ -O2 -std=c++20 -Itests/bench tests/bench/loadgen.cpp -o "$LOADGEN" || failed "building $LOADGEN"
  fi
  local local_port up_port pid sync i n=$((STREAM_S * 1000))
  local_port=$(free_port); pid=$(host_broker "$local_port" local); PIDS+=("$pid"); wait_listen "$local_port" || failed "local broker"
  up_port=$(free_port); pid=$(host_broker "$up_port" upstream); PIDS+=("$pid"); wait_listen "$up_port" || failed "upstream broker"
  say "host brokers: local 127.0.0.1:$local_port, upstream 127.0.0.1:$up_port (the guest's 10.0.2.2)"
  for sync in $SYNCS; do
    local lost_sum=0 dup_sum=0 acked_sum=0 cuts=0 t_sync=$SECONDS
    qemu-img create -q -f qcow2 -b "$(realpath "$VM/$ARCH/rootfs.raw")" -F raw "$RUN/disk-$sync.qcow2"
    boot "$RUN/disk-$sync.qcow2" directsync
    vscp "$deb" root@127.0.0.1:/root/
    # The edits are synced before the first cut: an unsynced gateway.yaml is
    # what a power cut takes first (seen: "gateway.yaml:108:3: invalid YAML"
    # after a cut seconds after the edit, and the service in its start limit).
    vssh "set -e; systemctl disable --now mosquitto >/dev/null 2>&1
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q /root/$(basename "$deb") >/root/apt.log 2>&1
      sed -i 's|url: mqtt://127.0.0.1:1883|url: mqtt://10.0.2.2:$local_port|; s|^  sync: normal|  sync: $sync|; s|^forward: \[\]|forward:\n  - {from: \"pc/#\"}|' /etc/edgegw/gateway.yaml
      printf '\nupstream:\n  url: mqtt://10.0.2.2:$up_port\n  reconnect: {min: 200ms, max: 2s}\n' >> /etc/edgegw/gateway.yaml
      grep -q '^  sync: $sync' /etc/edgegw/gateway.yaml
      sync
      systemctl enable --now edgegw 2>/root/enable.log" || failed "power-cut: installing and starting edgegw (sync: $sync)"
    for i in $(seq "$ITERATIONS"); do
      local prefix="pc/$sync/$i" pub_pid cut_ms res lost dups uniq sent sink
      # The counting subscriber has a persistent session on the upstream
      # broker, made before the stream starts, so it misses nothing while it
      # is away; it counts once the VM is back and the gateway active, and
      # stops 20 s after the last event.
      sink=("$LOADGEN" sink --url "tcp://127.0.0.1:$up_port" --filter "$prefix/#" --id "vmcheck-$sync-$i" --clean 0)
      "${sink[@]}" --timeout 1 > /dev/null 2>&1 || failed "power-cut: the counting subscriber's session"
      "$LOADGEN" pub --url "tcp://127.0.0.1:$local_port" --prefix "$prefix" --devices 10 --count "$n" --rate 1000 --window 100 \
        > "$RUN/pub-$sync-$i.json" 2>&1 &
      pub_pid=$!; PIDS+=("$pub_pid")
      cut_ms=$((1000 + RANDOM % (n - 2000)))
      sleep "$(awk -v m="$cut_ms" 'BEGIN { printf "%.3f", m / 1000 }')"
      kill -KILL "$QEMU_PID"; wait "$QEMU_PID" 2>/dev/null || true; forget "$QEMU_PID"
      boot "$RUN/disk-$sync.qcow2" directsync
      wait "$pub_pid" || true; forget "$pub_pid"
      local t_up=$SECONDS
      vssh "for _ in \$(seq 900); do case \$(systemctl is-active edgegw) in active) exit 0 ;; failed) exit 1 ;; esac; sleep 1; done; exit 1" \
        || FAILS+=("power-cut sync=$sync $i: the gateway did not become active after the reboot")
      t_up=$((SECONDS - t_up + BOOT_S))
      "${sink[@]}" --expect "$n" --idle 20 --timeout 3600 > "$RUN/sink-$sync-$i.json" 2> "$RUN/sink-$sync-$i.err" &
      local sink_pid=$!
      PIDS+=("$sink_pid")
      wait "$sink_pid" || true; forget "$sink_pid"
      res=$(cat "$RUN/sink-$sync-$i.json")
      sent=$(sed -n 's/.*"sent":\([0-9]*\).*/\1/p' "$RUN/pub-$sync-$i.json")
      uniq=$(sed -n 's/.*"unique":\([0-9]*\).*/\1/p' <<< "$res")
      lost=$(sed -n 's/.*"lost":\([0-9]*\).*/\1/p' <<< "$res")
      dups=$(sed -n 's/.*"duplicates":\([0-9]*\).*/\1/p' <<< "$res")
      if [ -z "$sent" ] || [ -z "$lost" ]; then
        failed "power-cut $sync $i: no counts (pub: $(cat "$RUN/pub-$sync-$i.json"), sink: $res)"
      fi
      local active
      active=$(vssh 'systemctl is-active edgegw' 2>/dev/null || true)
      echo "power-cut sync=$sync $i/$ITERATIONS: cut at $(awk -v m="$cut_ms" 'BEGIN { printf "%.1f", m / 1000 }') s, ssh up $BOOT_S s after the boot began, edgegw active after $t_up s ($(vssh 'journalctl -b -u edgegw -o cat | grep -c "start operation timed out" || true' 2>/dev/null) start timeouts), now $active; $sent acknowledged by the local broker, $uniq arrived, $lost lost, $dups duplicates"
      acked_sum=$((acked_sum + sent)); lost_sum=$((lost_sum + lost)); dup_sum=$((dup_sum + dups)); cuts=$((cuts + 1))
      [ "$active" = active ] || FAILS+=("power-cut sync=$sync $i: gateway $active after the reboot")
    done
    local qc
    qc=$(vssh "systemctl stop edgegw && sqlite3 -readonly /var/lib/edgegw/outbox.db 'PRAGMA quick_check'" 2>&1 || true)
    echo "power-cut sync=$sync: $cuts cuts, $acked_sum acknowledged, $lost_sum lost, $dup_sum duplicates; outbox.db quick_check: $qc; $((SECONDS - t_sync)) s"
    [ "$sync" != full ] || [ "$lost_sum" = 0 ] || FAILS+=("power-cut sync=full lost $lost_sum")
    [ "$qc" = ok ] || FAILS+=("power-cut sync=$sync: quick_check '$qc'")
    shutdown_vm
  done
}

if [ "$MODE" = --power-cut ]; then power_cut; else checks; fi
say "$ARCH${MODE:+ $MODE} done in $((SECONDS - T0)) s"
if [ ${#FAILS[@]} -gt 0 ]; then
  failed "$(IFS=';'; echo "${FAILS[*]}")"
fi
say ok
