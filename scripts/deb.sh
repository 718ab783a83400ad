#!/usr/bin/env bash
# Builds the edgegw Debian packages into dist/: one for this machine's
# architecture (amd64 on a PC, arm64 on a Pi), and arm64 (Raspberry Pi OS
# 64-bit) cross-compiled with Debian's cross compiler against an arm64
# sysroot (scripts/sysroot-arm64.sh), whose binary is then checked under
# qemu-aarch64 (scripts/check-arm64.sh).
# Usage: scripts/deb.sh [all|native|arm64]   (default all; installs missing
# Debian packages first, as root or with sudo)
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT=${1:-all}
case "$WHAT" in all|native|arm64) ;; *) echo "usage: scripts/deb.sh [all|native|arm64]" >&2; exit 2 ;; esac

EXTRA="dpkg-dev file"
if [ "$WHAT" != native ]; then EXTRA="$EXTRA crossbuild-essential-arm64 qemu-user-static"; fi
EDGEGW_DEPS_EXTRA="$EXTRA" scripts/deps.sh
mkdir -p dist

package() {  # build-dir arch [cmake args...]
  local dir=$1 arch=$2
  shift 2
  echo "== $arch: configure and build ($dir)"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" --target edgegw
  echo "== $arch: package"
  (cd "$dir" && cpack -G DEB -B "$PWD/cpack" >/dev/null)
  cp "$dir"/cpack/edgegw_*_"$arch".deb dist/
}

if [ "$WHAT" != arm64 ]; then
  package build "$(dpkg --print-architecture)"
fi
if [ "$WHAT" != native ]; then
  scripts/sysroot-arm64.sh build-arm64/sysroot
  package build-arm64/build arm64 -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchain-arm64.cmake" \
    -DEDGEGW_ARM64_SYSROOT="$PWD/build-arm64/sysroot" -DEDGEGW_BUILD_TESTS=OFF -DEDGEGW_WERROR=ON
  scripts/check-arm64.sh
fi
echo "== packages"
for deb in dist/edgegw_*.deb; do
  printf '%s  %s bytes\n' "$deb" "$(stat -c %s "$deb")"
done
