#!/usr/bin/env bash
# Runs the cross-built arm64 edgegw under qemu-aarch64 (user mode, the
# sysroot as its library root): `edgegw version`, and `edgegw check` on the
# shipped config and rule examples. Also checks that the arm64 package
# holds an arm64 binary.
# Usage: scripts/check-arm64.sh   (after scripts/deb.sh arm64)
set -euo pipefail
cd "$(dirname "$0")/.."
SYSROOT=build-arm64/sysroot
BIN=build-arm64/build/gateway/edgegw
QEMU=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
if [ -z "$QEMU" ]; then echo "check-arm64: qemu-user-static is not installed" >&2; exit 1; fi

run() { echo "\$ qemu-aarch64 -L $SYSROOT $BIN $*"; "$QEMU" -L "$SYSROOT" "$BIN" "$@"; }

file -b "$BIN" | grep -q 'ARM aarch64' || { echo "check-arm64: $BIN is not an arm64 binary" >&2; exit 1; }
version=$(run version)
echo "$version"
# The private Paho C (gateway/mqtt/paho_c), relinked from the sysroot's archive,
# is the one loaded, without heap tracking.
if grep -qx 'EDGEGW_PAHO_C:STRING=relinked' build-arm64/build/CMakeCache.txt; then
  grep -qF "$PWD/build-arm64/build/lib/edgegw/libpaho-mqtt3as.so.1), heap tracking off" <<< "$version" \
    || { echo "check-arm64: edgegw does not run on its private Paho C" >&2; exit 1; }
fi
# The shipped gateway.yaml reads its rules from /etc/edgegw/rules.d, which a
# build machine lacks (a warning). So the rule examples are compiled by the
# arm64 build too, check a copy that reads config/rules.d and has the
# upstream section that most examples publish to (as a user's config does:
# the checker rejects even disabled rules that publish to a missing upstream).
run check -c config/gateway.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|paths: \[/etc/edgegw/rules.d\]|paths: [$PWD/config/rules.d]|" config/gateway.yaml > "$tmp/gateway.yaml"
printf 'upstream:\n  url: mqtts://broker.example.com:8883\n' >> "$tmp/gateway.yaml"
grep -q "$PWD/config/rules.d" "$tmp/gateway.yaml"
run check -c "$tmp/gateway.yaml"

deb=$(ls dist/edgegw_*_arm64.deb 2>/dev/null | tail -n 1 || true)
if [ -n "$deb" ]; then
  dpkg-deb -x "$deb" "$tmp/root"
  echo "$deb: $(dpkg-deb -f "$deb" Architecture); usr/bin/edgegw: $(file -b "$tmp/root/usr/bin/edgegw" | cut -d, -f1-2,5-)"
  echo "\$ qemu-aarch64 -L $SYSROOT (package)/usr/bin/edgegw version"
  version=$("$QEMU" -L "$SYSROOT" "$tmp/root/usr/bin/edgegw" version)
  echo "$version"
  if grep -qx 'EDGEGW_PAHO_C:STRING=relinked' build-arm64/build/CMakeCache.txt; then
    grep -qF "$tmp/root/usr/lib/edgegw/libpaho-mqtt3as.so.1), heap tracking off" <<< "$version" \
      || { echo "check-arm64: the package's edgegw does not run on its private Paho C" >&2; exit 1; }
  fi
fi
echo "check-arm64: ok"
