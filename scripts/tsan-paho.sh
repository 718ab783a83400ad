#!/usr/bin/env bash
# Paho MQTT C++ built with ThreadSanitizer, for scripts/sanitize.sh tsan
# (docs/testing.md, Sanitizers).
#
#   scripts/tsan-paho.sh TREE
#
# Debian's libpaho-mqttpp3 is not instrumented, so TSan does not see the
# atomics of its token and message reference counts nor its own memory
# accesses, and reports their ends of life as races with our last release.
# This script fetches the Debian source of the installed version (apt-get
# source, the same 1.2.0 as libpaho-mqttpp-dev, so the system headers stay
# valid), builds libpaho-mqttpp3.so with -fsanitize=thread against the
# system Paho C, and installs it into TREE/paho-tsan/lib; the TSan tests are
# then run with LD_LIBRARY_PATH pointing there. Nothing is rebuilt when that
# library is already there for this version.
#
#   TREE/paho-src/         .dsc and tarballs, apt lists (a private deb-src)
#   TREE/paho-src/src/     unpacked and patched by dpkg-source -x
#   TREE/paho-src/build/   CMake build
#   TREE/paho-tsan/        install prefix
#
# Paho C stays Debian's uninstrumented build: its pthread mutexes and
# condition variables still go through TSan's interceptors.
set -euo pipefail

tree=$(realpath "${1:?TREE}")
src_dir=$tree/paho-src
prefix=$tree/paho-tsan
version=$(dpkg-query -W -f '${Version}' libpaho-mqttpp-dev 2>/dev/null) || {
  echo "tsan-paho: libpaho-mqttpp-dev is not installed (scripts/deps.sh)" >&2
  exit 1
}
stamp=$prefix/.built-$version
if [ -f "$stamp" ] && [ -e "$prefix/lib/libpaho-mqttpp3.so.1" ]; then
  exit 0
fi

echo "== tsan-paho: Paho MQTT C++ $version with -fsanitize=thread -> $prefix"
mkdir -p "$src_dir/lists/partial"
cd "$src_dir"

# A private deb-src list: the machine's apt sources are left alone.
cat > src.sources <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
# APT::Sandbox::User=root: the _apt user cannot write into a build tree
# under a private home; apt would fall back to root anyway, with a warning.
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$src_dir"
          -o "Dir::State::Lists=$src_dir/lists" -o APT::Sandbox::User=root)
dsc=paho.mqtt.cpp_${version#*:}.dsc
if [ ! -f "$dsc" ] || ! compgen -G "lists/*_Sources*" >/dev/null; then
  apt-get "${apt_opts[@]}" -qq update
  apt-get "${apt_opts[@]}" -qq source --download-only "paho.mqtt.cpp=$version"
fi

# The .dsc is checked against the Sources index, which apt verified with
# the archive key (InRelease); dpkg-source -x then checks the tarballs
# against the .dsc. The .dsc's own signature is the uploader's, whose key is
# in debian-keyring, not in the archive keyring: without debian-keyring
# dpkg-source only warns that it cannot check it.
want=$(apt-cache "${apt_opts[@]}" showsrc paho.mqtt.cpp \
       | awk -v f="$dsc" '/^Checksums-Sha256:/ {in_sums=1; next}
                          in_sums && /^ / {if ($3 == f) print $1; next}
                          {in_sums=0}')
want=${want%%$'\n'*}
have=$(sha256sum "$dsc" | cut -d' ' -f1)
if [ -z "$want" ] || [ "$want" != "$have" ]; then
  echo "tsan-paho: $dsc: sha256 $have, the signed Sources index says '${want}'" >&2
  exit 1
fi
keyring_opts=()
if [ -f /usr/share/keyrings/debian-keyring.gpg ]; then
  keyring_opts=(--require-valid-signature)
fi
rm -rf src build
dpkg-source "${keyring_opts[@]}" -x "$dsc" src   # applies debian/patches

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S src -B build -G Ninja "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -g -O1 -fno-omit-frame-pointer" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
  -DPAHO_BUILD_SHARED=ON -DPAHO_BUILD_STATIC=OFF -DPAHO_WITH_SSL=ON \
  -DPAHO_BUILD_SAMPLES=OFF -DPAHO_BUILD_TESTS=OFF -DPAHO_BUILD_DOCUMENTATION=OFF \
  >/dev/null
cmake --build build -j 2
rm -rf "$prefix"
cmake --install build >/dev/null

# The library must be instrumented and carry the SONAME our binaries need.
so=$prefix/lib/libpaho-mqttpp3.so.1
# (Outputs read whole first: grep -q under pipefail can fail on SIGPIPE.)
headers=$(objdump -p "$so")
grep -q 'SONAME *libpaho-mqttpp3\.so\.1$' <<<"$headers"
symbols=$(nm -D "$so")
grep -q ' U __tsan_init$' <<<"$symbols" || {
  echo "tsan-paho: $so is not built with -fsanitize=thread" >&2
  exit 1
}
touch "$stamp"
echo "== tsan-paho: $so"
