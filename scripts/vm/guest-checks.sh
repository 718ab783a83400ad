#!/bin/bash
# Runs inside the guest that scripts/vm-check.sh boots (Debian 12, systemd as
# PID 1), as root: installs the edgegw package as a user would and checks the
# unit under the real systemd. One line per check: "ok NAME: detail" or
# "FAIL NAME: detail"; the host counts the FAIL lines.
# Usage: guest-checks.sh DEB NEWER_DEB
# Next to the package: the local broker is Debian's mosquitto service on
# 127.0.0.1:1883 (configured as docs/install.md says), the "upstream" a
# second mosquitto on 127.0.0.1:1884 (a transient unit), and a subscriber to
# the upstream writing every message to a file (another transient unit).
set -uo pipefail
DEB=$1
NEWER=$2
export DEBIAN_FRONTEND=noninteractive
SINK=/root/upstream.txt
RULE=/etc/edgegw/rules.d/vm-check.yaml
failed=0
old=0   # the MainPID before a restart under test
ok() { echo "ok $1: $2"; }
fail() { echo "FAIL $1: $2"; failed=1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
prop() { systemctl show -P "$2" "$1"; }
# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local end=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.2
  done
}
# Distinct payloads that reached the upstream on topic $1.
upstream_count() { awk -v t="$1" '$1 == t { print $2 }' "$SINK" | sort -u | wc -l; }
upstream_total() { awk -v t="$1" '$1 == t' "$SINK" | wc -l; }
# Publishes $2 QoS 1 events "TAG-000001"... to vm/data/$1 at about 1,000/s.
publish() {
  local i=0
  while [ $i -lt "$2" ]; do
    i=$((i + 1))
    printf '%s-%06d\n' "$1" $i
    if [ $((i % 100)) -eq 0 ]; then sleep 0.1; fi
  done | mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t "vm/data/$1" -l
}
# Waits up to $3 s for $2 distinct events of tag $1 upstream; prints the
# result as "N/EXPECTED arrived, D duplicates".
arrived() {
  wait_for "$3" test "$(upstream_count "vm/data/$1")" -ge "$2"
  local n dups
  n=$(upstream_count "vm/data/$1")
  dups=$(($(upstream_total "vm/data/$1") - n))
  echo "$n/$2 arrived upstream, $((${2} - n > 0 ? ${2} - n : 0)) lost, $dups duplicates"
  [ "$n" -ge "$2" ]
}

# True once the service runs again under another MainPID than $old (called
# through wait_for).
# shellcheck disable=SC2317
restarted() {
  local p
  p=$(prop edgegw MainPID)
  [ "$p" != 0 ] && [ "$p" != "$old" ] && [ "$(prop edgegw ActiveState)" = active ]
}

# ---- install, next to the brokers
if apt-get install -y -q "$DEB" > /root/apt-install.log 2>&1; then
  ok install "apt install ./$(basename "$DEB"): $(dpkg-query -W -f='${Package} ${Version} ${Status}' edgegw); enabled: $(systemctl is-enabled edgegw 2>&1), active: $(systemctl is-active edgegw 2>&1)"
else
  fail install "apt install failed: $(tail -n 3 /root/apt-install.log | tr '\n' ' ')"
  exit 1
fi
cat > /etc/mosquitto/conf.d/edgegw.conf <<'EOF'
max_queued_messages 100000
queue_qos0_messages true
EOF
systemctl restart mosquitto
printf 'listener 1884 127.0.0.1\nallow_anonymous true\npersistence false\n' > /root/upstream.conf
systemd-run -q --unit=vmcheck-upstream mosquitto -c /root/upstream.conf
wait_for 10 sh -c 'ss -Htln | grep -q "127.0.0.1:1884 "' || fail brokers "the upstream mosquitto does not listen on 1884"
systemd-run -q --unit=vmcheck-sink -p StandardOutput=file:$SINK \
  mosquitto_sub -h 127.0.0.1 -p 1884 -q 1 -t 'vm/#' -v -i vmcheck-sink
# The user's edits: an upstream and a forward route; fast reconnects.
sed -i 's|^forward: \[\]|forward:\n  - {from: "vm/data/#"}|' /etc/edgegw/gateway.yaml
printf '\nupstream:\n  url: mqtt://127.0.0.1:1884\n  reconnect: {min: 200ms, max: 2s}\n' >> /etc/edgegw/gateway.yaml
# rule_file VERSION [IF]: the test's rule, answering vm/ping with
# {"rules":VERSION} upstream; IF adds a condition (a broken one, below).
rule_file() {
  {
    printf 'rules:\n  - id: vm-check\n    when:\n      topic: vm/ping\n'
    if [ -n "${2:-}" ]; then printf '      if: "%s"\n' "$2"; fi
    printf '    then:\n      - publish: {to: upstream, topic: vm/pong, payload: {rules: %s}}\n' "$1"
  } > "$RULE"
}
rule_file v1
edgegw check -c /etc/edgegw/gateway.yaml > /root/check.log 2>&1 || fail config "edgegw check: $(tail -n 3 /root/check.log | tr '\n' ' ')"

# ---- READY=1 and STATUS=
t=$(now)
if systemctl enable --now edgegw > /root/start.log 2>&1; then
  took=$(since "$t")
  wait_for 10 sh -c 'systemctl show -P StatusText edgegw | grep -q "upstream: connected"'
  if [ "$(prop edgegw ActiveState)/$(prop edgegw SubState)" = active/running ] && [ -n "$(prop edgegw StatusText)" ]; then
    ok ready "Type=notify start returned after READY=1 in ${took} s; active (running); STATUS=\"$(prop edgegw StatusText)\""
  else
    fail ready "$(prop edgegw ActiveState)/$(prop edgegw SubState), STATUS=\"$(prop edgegw StatusText)\""
  fi
else
  fail ready "systemctl enable --now failed: $(journalctl -u edgegw -n 5 --no-pager | tr '\n' ' ')"
  exit 1
fi
if ! { publish smoke 10 && arrived smoke 10 15 > /dev/null; }; then
  fail forward "a forward route did not deliver: $(arrived smoke 10 0)"
fi

# ---- own user, sandbox score
pid=$(prop edgegw MainPID)
user=$(ps -o user= -p "$pid" | tr -d ' ')
score=$(systemd-analyze security edgegw 2>/dev/null | sed -n 's/.*Overall exposure level for edgegw.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
if [ "$user" = edgegw ] && awk -v s="${score%% *}" 'BEGIN { exit !(s != "" && s <= 2.0) }'; then
  ok security "systemd-analyze security edgegw: exposure $score (<= 2.0); MainPID $pid runs as user '$user'"
else
  fail security "exposure '$score' (want <= 2.0), MainPID $pid runs as '$user' (want edgegw)"
fi

# ---- the state folder
dir=$(stat -c '%U:%G %a' /var/lib/edgegw)
files=$(find /var/lib/edgegw -mindepth 1 -maxdepth 1 -printf '%f %u %m, ' | sed 's/, $//')
bad=$(find /var/lib/edgegw -mindepth 1 \( ! -user edgegw -o -perm /077 \) -printf '%p ' 2>/dev/null)
if [ "$dir" = "edgegw:edgegw 700" ] && [ -z "$bad" ]; then
  ok state-dir "/var/lib/edgegw edgegw:edgegw 0700; inside: $files"
else
  fail state-dir "/var/lib/edgegw is $dir (want edgegw:edgegw 700); not the user's or open to others: ${bad:-none}"
fi

# ---- reload: a broken rule file keeps the old rules, a fixed one takes effect
ping() { mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t vm/ping -m "$1"; }
pongs() { grep -c "^vm/pong {\"rules\":\"$1\"}" "$SINK"; }
ping 1
wait_for 10 test "$(pongs v1)" -ge 1 || fail reload "the first rule did not answer (no vm/pong v1 upstream)"
since_ts=$(date '+%Y-%m-%d %H:%M:%S')
rule_file v2 'payload.n >' 
broken_rc=0
systemctl reload edgegw > /root/reload.log 2>&1 || broken_rc=$?
sleep 1
errline=$(journalctl -u edgegw --since "$since_ts" --no-pager -o cat | grep -m 1 -E "$RULE:[0-9]+:[0-9]+: error" || true)
before=$(pongs v1)
ping 2
wait_for 10 test "$(pongs v1)" -gt "$before"
old_kept=$(($(pongs v1) > before))
if [ $broken_rc -ne 0 ] && [ -n "$errline" ] && [ $old_kept = 1 ] && [ "$(prop edgegw ActiveState)" = active ]; then
  ok reload-broken "systemctl reload failed (rc $broken_rc), still active, old rule still answers; journal: $errline"
else
  fail reload-broken "reload rc $broken_rc, FILE:LINE:COL line '${errline}', old rule answered: $old_kept, state $(prop edgegw ActiveState)"
fi
rule_file v2
t=$(now)
if systemctl reload edgegw > /root/reload.log 2>&1; then
  ping 3
  if wait_for 10 test "$(pongs v2)" -ge 1; then
    ok reload-fixed "systemctl reload succeeded; the new rule answered $(since "$t") s after the reload began"
  else
    fail reload-fixed "reload succeeded but the new rule never answered"
  fi
else
  fail reload-fixed "systemctl reload of the fixed file failed: $(tr '\n' ' ' < /root/reload.log)"
fi

# ---- the watchdog: a frozen gateway is killed and restarted; 0 lost
# The kill must come within WatchdogSec (+ 5 s) of the freeze, since the last
# ping was at most WatchdogSec/2 earlier; "active again" adds RestartSec=2s
# and a start (ExecStartPre check, connect, READY=1), slow under TCG: the
# whole must fit in WatchdogSec + 30 s.
wd=$(($(systemctl show -P WatchdogUSec edgegw | sed 's/s$//; s/min/*60/')))
old=$(prop edgegw MainPID)
t=$(now)
kill -STOP "$old"
publish frozen 1000
if wait_for $((wd + 60)) restarted; then
  took=$(since "$t")
  why=$(journalctl -u edgegw --since "-3min" --no-pager -o short-unix | grep -m 1 -i 'watchdog timeout' || true)
  killed=$(awk -v a="$t" -v b="${why%% *}" 'BEGIN { printf "%.1f", b - a }')
  res=$(arrived frozen 1000 60)
  if [ -n "$why" ] && awk -v k="$killed" -v a="$took" -v w="$wd" 'BEGIN { exit !(k <= w + 5 && a <= w + 30) }' \
     && arrived frozen 1000 0 > /dev/null; then
    ok watchdog "SIGSTOP'd MainPID $old; '${why#*]: }' ${killed} s later; active again as $(prop edgegw MainPID) ${took} s after the freeze (WatchdogSec=${wd}s); events published while frozen: $res"
  else
    fail watchdog "watchdog line '${why}' ${killed} s after SIGSTOP (want <= $((wd + 5))), active again after ${took} s (want <= $((wd + 30))); $res"
  fi
else
  fail watchdog "not restarted within $((wd + 60)) s of SIGSTOP (MainPID $(prop edgegw MainPID), $(prop edgegw ActiveState))"
  kill -CONT "$old" 2>/dev/null
fi

# ---- systemctl stop under load: < 10 s, 0 lost
publish stop 5000 &
loadpid=$!
sleep 2
t=$(now)
systemctl stop edgegw
took=$(since "$t")
wait "$loadpid"
systemctl start edgegw
res=$(arrived stop 5000 60)
if awk -v a="$took" 'BEGIN { exit !(a < 10) }' && arrived stop 5000 0 > /dev/null; then
  ok stop "systemctl stop under 1,000 events/s took ${took} s; after the start: $res"
else
  fail stop "systemctl stop took ${took} s (want < 10); $res"
fi

# ---- upgrade: an edited gateway.yaml is kept, the service restarts
sum=$(sha256sum /etc/edgegw/gateway.yaml)
old=$(prop edgegw MainPID)
if apt-get install -y -q "$NEWER" > /root/apt-upgrade.log 2>&1; then
  new=$(prop edgegw MainPID)
  if [ "$(sha256sum /etc/edgegw/gateway.yaml)" = "$sum" ] && [ "$new" != "$old" ] && [ "$new" != 0 ] \
     && [ "$(prop edgegw ActiveState)" = active ] && publish upgraded 100 && arrived upgraded 100 30 > /dev/null; then
    ok upgrade "apt install ./$(basename "$NEWER") -> $(dpkg-query -W -f='${Version}' edgegw): edited gateway.yaml kept (same sha256), restarted (MainPID $old -> $new), forwarding"
  else
    fail upgrade "gateway.yaml $( [ "$(sha256sum /etc/edgegw/gateway.yaml)" = "$sum" ] && echo kept || echo changed), MainPID $old -> $new, $(prop edgegw ActiveState)"
  fi
else
  fail upgrade "apt install of the newer package failed: $(tail -n 3 /root/apt-upgrade.log | tr '\n' ' ')"
fi

# ---- purge: nothing left running, the package's files gone
rm -f "$RULE"   # the user's own file; dpkg leaves those (and says so)
if apt-get purge -y -q edgegw > /root/apt-purge.log 2>&1; then
  left=""
  for p in /usr/bin/edgegw /lib/systemd/system/edgegw.service /etc/edgegw /var/lib/edgegw \
           /etc/systemd/system/multi-user.target.wants/edgegw.service; do
    [ ! -e "$p" ] || left="$left $p"
  done
  procs=$(pgrep -u edgegw -l || true)
  load=$(prop edgegw LoadState)
  if [ -z "$left" ] && [ -z "$procs" ] && [ "$load" = not-found ]; then
    ok purge "apt purge: no edgegw process, unit $load, binary, unit, /etc/edgegw, /var/lib/edgegw and the enable link gone (the edgegw user stays, as documented)"
  else
    fail purge "left:${left:- nothing}; processes: ${procs:-none}; unit LoadState $load"
  fi
else
  fail purge "apt purge failed: $(tail -n 3 /root/apt-purge.log | tr '\n' ' ')"
fi

systemctl stop vmcheck-sink vmcheck-upstream 2>/dev/null
exit $failed
