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
# Beside the files, it writes a small dpkg database (status, *.list,
# *.shlibs, *.symbols) under sysroot/var/lib/dpkg, so that dpkg-shlibdeps
# --admindir can compute the arm64 package's Depends as it does for amd64.
#
# Usage: scripts/sysroot-arm64.sh [DIR]   (default build-arm64/sysroot; root
# or sudo only for the apt cache lock-free download, no install)
set -euo pipefail
cd "$(dirname "$0")/.."

SYSROOT=$(realpath -m "${1:-build-arm64/sysroot}")
APTDIR=$(realpath -m "$SYSROOT/../apt")
# What the build links with; the rest comes in as their dependencies.
PACKAGES=(
  libc6-dev libstdc++-12-dev libgcc-12-dev
  libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev libsqlite3-dev libspdlog-dev libfmt-dev
  libyaml-cpp-dev libre2-dev libsystemd-dev libcli11-dev libsimdjson-dev nlohmann-json3-dev
  libcurl4-openssl-dev libcpp-httplib-dev
)

if [ -f "$SYSROOT/.complete" ] && cmp -s "$SYSROOT/.complete" <(printf '%s\n' "${PACKAGES[@]}"); then
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
rm -rf "$SYSROOT"
ADMIN="$SYSROOT/var/lib/dpkg"
mkdir -p "$ADMIN/info" "$APTDIR/control"
: > "$ADMIN/status"
for deb in "$APTDIR"/archives/*.deb; do
  dpkg-deb -x "$deb" "$SYSROOT"
  pkg=$(dpkg-deb -f "$deb" Package)
  name=$pkg
  # dpkg names the files of Multi-Arch: same packages pkg:arch.
  if [ "$(dpkg-deb -f "$deb" Multi-Arch)" = same ]; then name="$pkg:$(dpkg-deb -f "$deb" Architecture)"; fi
  dpkg-deb -c "$deb" | awk '{ p = $6; sub(/^\./, "", p); sub(/\/$/, "", p); if (p == "") p = "/"; print p }' \
    > "$ADMIN/info/$name.list"
  rm -rf "$APTDIR/control/$pkg" && dpkg-deb -e "$deb" "$APTDIR/control/$pkg"
  for f in shlibs symbols; do
    if [ -f "$APTDIR/control/$pkg/$f" ]; then cp "$APTDIR/control/$pkg/$f" "$ADMIN/info/$name.$f"; fi
  done
  { sed '/^Description:/,$d' "$APTDIR/control/$pkg/control"; echo "Status: install ok installed"; echo; } >> "$ADMIN/status"
done

# Absolute symlinks (libfoo.so -> /lib/aarch64-linux-gnu/libfoo.so.1) must
# point inside the sysroot: make them relative.
find "$SYSROOT" -type l -lname '/*' | while read -r link; do
  target=$(readlink "$link")
  ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$SYSROOT$target")" "$link"
done
printf '%s\n' "${PACKAGES[@]}" > "$SYSROOT/.complete"
echo "sysroot: ready ($(du -sh "$SYSROOT" | cut -f1))"
