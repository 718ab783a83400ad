#!/usr/bin/env bash
# Builds the arm64 (Raspberry Pi OS 64-bit / Debian 12 arm64) sysroot that
# cmake/toolchain-arm64.cmake compiles against: the :arm64 -dev packages
# edgegw links with and everything they depend on, unpacked with dpkg -x
# into build-arm64/sysroot.
#
# apt runs with a private state folder (its own package lists and an empty
# dpkg status), so the host is not changed: no `dpkg --add-architecture`,
# and libyaml-cpp-dev, which is not Multi-Arch: same, does not fight with
# the amd64 one. Packages come from the host's Debian sources only.
#
# Beside it, each library package is also unpacked with its control files
# (dpkg-deb -R) into build-arm64/pkgs/PACKAGE, so that dpkg-shlibdeps -S can
# compute the arm64 package's Depends from their shlibs and symbols files,
# as it does for amd64 from the host's dpkg database.
#
# Usage: scripts/sysroot-arm64.sh [DIR]   (default build-arm64/sysroot; it
# only downloads and unpacks, nothing is installed; a second run with the
# same package list does nothing)
set -euo pipefail
cd "$(dirname "$0")/.."

SYSROOT=$(realpath -m "${1:-build-arm64/sysroot}")
APTDIR=$(realpath -m "$SYSROOT/../apt")
PKGDIR=$(realpath -m "$SYSROOT/../pkgs")
# What the build links with; the rest comes in as their dependencies.
PACKAGES=(
  libc6-dev libstdc++-12-dev libgcc-12-dev
  libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev libsqlite3-dev libspdlog-dev libfmt-dev
  libyaml-cpp-dev libre2-dev libsystemd-dev libcli11-dev libsimdjson-dev nlohmann-json3-dev
  libcurl4-openssl-dev libcpp-httplib-dev
)

STAMP=$(printf 'layout 2\n%s\n' "${PACKAGES[@]}")
if [ -d "$PKGDIR" ] && [ "$(cat "$SYSROOT/.complete" 2>/dev/null)" = "$STAMP" ]; then
  echo "sysroot: $SYSROOT is up to date"
  exit 0
fi

mkdir -p "$APTDIR/lists/partial" "$APTDIR/archives/partial" "$APTDIR/dpkg"
: > "$APTDIR/dpkg/status"
APT=(apt-get -q
  -o APT::Architecture=arm64 -o APT::Architectures::=arm64
  -o Dir::State::Lists="$APTDIR/lists" -o Dir::State::status="$APTDIR/dpkg/status"
  -o Dir::Cache::Archives="$APTDIR/archives" -o Dir::Cache::pkgcache="" -o Dir::Cache::srcpkgcache=""
  -o Debug::NoLocking=1 -o APT::Sandbox::User=root)

echo "sysroot: fetching the arm64 package lists"
"${APT[@]}" update >/dev/null
echo "sysroot: downloading ${PACKAGES[*]} (arm64) and their dependencies"
"${APT[@]}" install -y --download-only --no-install-recommends "${PACKAGES[@]}" >/dev/null

echo "sysroot: unpacking into $SYSROOT"
rm -rf "$SYSROOT" "$PKGDIR"
mkdir -p "$SYSROOT" "$PKGDIR"
for deb in "$APTDIR"/archives/*.deb; do
  dpkg-deb -x "$deb" "$SYSROOT"
  pkg=$(dpkg-deb -f "$deb" Package)
  # The listing is read whole before grep: `tar | grep -q` under pipefail
  # fails when grep exits before tar has written everything (SIGPIPE), which
  # skipped libc6 and others on a loaded machine.
  ctrl=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t)
  if grep -qE '^(\./)?(shlibs|symbols)$' <<< "$ctrl"; then
    dpkg-deb -R "$deb" "$PKGDIR/$pkg"
  fi
done

# Absolute symlinks (libfoo.so -> /lib/aarch64-linux-gnu/libfoo.so.1) must
# point inside the sysroot: make them relative.
find "$SYSROOT" -type l -lname '/*' | while read -r link; do
  target=$(readlink "$link")
  ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$SYSROOT$target")" "$link"
done
echo "$STAMP" > "$SYSROOT/.complete"
echo "sysroot: ready ($(du -sh "$SYSROOT" | cut -f1))"
