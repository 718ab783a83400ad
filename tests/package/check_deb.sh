#!/usr/bin/env bash
# Is the amd64 package right? Builds it with cpack from BUILD_DIR (edgegw
# must be built), then checks its control data, its files and conffiles, and
# installs it into a scratch root (dpkg --root, maintainer scripts run with
# DPKG_ROOT): the edgegw user and /var/lib/edgegw are created, the binary
# runs `version` and `check` on the installed config, an edited conffile
# survives a reinstall, remove keeps the conffiles and purge deletes them.
# With the private Paho C (EDGEGW_PAHO_C=relinked), check_paho.sh checks it
# is shipped and is the one the installed binary loads.
# Usage: check_deb.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
SRC=$1
BUILD=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ARCH=$(dpkg --print-architecture)

(cd "$BUILD" && cpack -G DEB -B "$tmp/out") > "$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log" >&2; fail "cpack"; }
deb=$(ls "$tmp"/out/edgegw_*_"$ARCH".deb) || fail "cpack made no edgegw_*_$ARCH.deb"
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"

# Control data: Depends from dpkg-shlibdeps, one entry per library linked.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = edgegw ] || fail "Package is '$(field Package)'"
[ "$(field Architecture)" = "$ARCH" ] || fail "Architecture is '$(field Architecture)'"
depends=$(field Depends)
echo "Depends: $depends"
# libcurl4 and libcpp-httplib come from the modules in /usr/lib/edgegw.
# libpaho-mqtt1.3 only without the private Paho C: with it, dpkg-shlibdeps
# finds libpaho-mqtt3as.so.1 in the package (libpaho-mqttpp3 depends on it).
relinked=false
if grep -qx 'EDGEGW_PAHO_C:STRING=relinked' "$BUILD/CMakeCache.txt"; then relinked=true; fi
paho_c=libpaho-mqtt1.3
if $relinked; then paho_c=""; fi
for lib in libc6 libstdc++6 libpaho-mqttpp3 $paho_c libsqlite3-0 libyaml-cpp0.7 libspdlog1 libsystemd0 libre2 \
           libcurl4 libcpp-httplib; do
  [[ "$depends" == *"$lib"* ]] || fail "Depends lacks $lib"
done
[[ "$(field Recommends)" == *mosquitto* ]] || fail "Recommends lacks mosquitto"

# Files in the right places.
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' > "$tmp/contents"
expect_files=(/usr/bin/edgegw /usr/lib/edgegw/edgegw-webhook.so /usr/lib/edgegw/edgegw-http-server.so
              /etc/edgegw/gateway.yaml /lib/systemd/system/edgegw.service
              /usr/lib/sysusers.d/edgegw.conf /usr/lib/tmpfiles.d/edgegw.conf
              /usr/share/doc/edgegw/install.md /usr/share/doc/edgegw/README.md)
for f in "${expect_files[@]}"; do grep -qxF "$f" "$tmp/contents" || fail "the package lacks $f"; done
if grep -vE '^/(usr/bin|usr/lib/(sysusers|tmpfiles)\.d|usr/lib/edgegw|usr/share/doc/edgegw|etc/edgegw|lib/systemd/system)?(/|$)' "$tmp/contents" \
     | grep -vxE '/|/usr/|/usr/lib/|/usr/share/|/usr/share/doc/|/etc/|/lib/|/lib/systemd/' ; then
  fail "files outside the expected folders (above)"
fi
dpkg-deb -c "$deb" | awk '$2 != "root/root" { bad = 1; print } END { exit bad }' || fail "files not owned by root"

# Conffiles: gateway.yaml and every rule example, nothing else.
dpkg-deb -e "$deb" "$tmp/control"
{ echo /etc/edgegw/gateway.yaml; for f in "$SRC"/config/rules.d/*.yaml; do echo "/etc/edgegw/rules.d/$(basename "$f")"; done; } \
  | sort > "$tmp/conffiles.expected"
sort "$tmp/control/conffiles" | diff -u "$tmp/conffiles.expected" - || fail "conffiles differ from the expected list"
for s in postinst prerm postrm; do [ -x "$tmp/control/$s" ] || fail "no executable $s"; done

# The binary is stripped and runs.
dpkg-deb -x "$deb" "$tmp/x"
file -b "$tmp/x/usr/bin/edgegw" | grep -q ', stripped' || fail "usr/bin/edgegw is not stripped"
echo "usr/bin/edgegw: $(stat -c %s "$tmp/x/usr/bin/edgegw") bytes, stripped"

# Installed into a scratch root, maintainer scripts included.
R="$tmp/root"
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers" "$R/etc"
: > "$R/var/lib/dpkg/status"
DPKG=(dpkg --root="$R" --force-not-root --force-depends --force-script-chrootless --force-confold
      --log=/dev/null)
"${DPKG[@]}" -i "$deb" > "$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg -i into the scratch root"; }
status=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status}' edgegw)
[ "$status" = "install ok installed" ] || fail "status after install: $status"
marked=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Conffiles}\n' edgegw | awk 'NF { print $1 }' | sort)
diff -u "$tmp/conffiles.expected" <(echo "$marked") || fail "dpkg does not list the conffiles as such"
grep -q '^edgegw:x:[0-9]*:[0-9]*:.*:/var/lib/edgegw:/usr/sbin/nologin$' "$R/etc/passwd" || fail "no edgegw user in the root's passwd"
uid=$(awk -F: '$1 == "edgegw" { print $3 }' "$R/etc/passwd")
[ "$(stat -c '%a %u' "$R/var/lib/edgegw")" = "700 $uid" ] || fail "/var/lib/edgegw is $(stat -c '%a %u' "$R/var/lib/edgegw"), want 700 $uid"
version=$("$R/usr/bin/edgegw" version)
echo "installed: $version"
[[ "$version" == *"$(dpkg-deb -f "$deb" Version)"* ]] || fail "edgegw version says '$version'"
if $relinked; then bash "$(dirname "$0")/check_paho.sh" "$R" "$version"; fi
"$R/usr/bin/edgegw" check -c "$R/etc/edgegw/gateway.yaml" > "$tmp/check.log" 2>&1 || { cat "$tmp/check.log" >&2; fail "edgegw check on the installed config"; }
# The installed rule examples compile, read from the scratch root, with the
# upstream section they publish to added as a user would.
sed "s|paths: \[/etc/edgegw/rules.d\]|paths: [$R/etc/edgegw/rules.d]|" "$R/etc/edgegw/gateway.yaml" > "$tmp/gateway.yaml"
printf 'upstream:\n  url: mqtts://broker.example.com:8883\n' >> "$tmp/gateway.yaml"
"$R/usr/bin/edgegw" check -c "$tmp/gateway.yaml" > "$tmp/check.log" 2>&1 || { cat "$tmp/check.log" >&2; fail "edgegw check with the installed rules"; }
grep -q "$(ls "$R/etc/edgegw/rules.d" | wc -l) file(s)" "$tmp/check.log" || { cat "$tmp/check.log" >&2; fail "not every installed rule file was checked"; }

# A user's edit of a conffile survives a reinstall (an upgrade to the same files).
echo "# edited by the test" >> "$R/etc/edgegw/gateway.yaml"
"${DPKG[@]}" -i "$deb" > "$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg -i again"; }
tail -n 1 "$R/etc/edgegw/gateway.yaml" | grep -qx '# edited by the test' || fail "the reinstall replaced the edited gateway.yaml"

# Remove keeps the conffiles; purge deletes them and the state.
"${DPKG[@]}" -r edgegw > "$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg -r"; }
[ ! -e "$R/usr/bin/edgegw" ] || fail "remove left /usr/bin/edgegw"
[ -f "$R/etc/edgegw/gateway.yaml" ] || fail "remove deleted the conffile gateway.yaml"
"${DPKG[@]}" -P edgegw > "$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg -P"; }
[ ! -e "$R/etc/edgegw/gateway.yaml" ] || fail "purge left gateway.yaml"
[ ! -e "$R/var/lib/edgegw" ] || fail "purge left /var/lib/edgegw"
echo "scratch root: installed, conffiles marked and kept on reinstall, removed, purged"
