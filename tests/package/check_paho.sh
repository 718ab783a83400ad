#!/usr/bin/env bash
# Does the installed package run on its private Paho C (gateway/mqtt/paho_c)?
# The package ships libpaho-mqtt3as.so.1 in /usr/lib/edgegw, the binary
# names it as a direct NEEDED with RUNPATH $ORIGIN/../lib/edgegw, the
# loader opens that copy and no other Paho C, and `edgegw version` reports
# it, without heap tracking. Run by check_deb.sh on its scratch root.
# Usage: check_paho.sh ROOT "$(ROOT/usr/bin/edgegw version)"
set -euo pipefail
R=$1
version=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
bin="$R/usr/bin/edgegw"
lib="$R/usr/lib/edgegw/libpaho-mqtt3as.so.1"

[ -f "$lib" ] || fail "the package lacks /usr/lib/edgegw/libpaho-mqtt3as.so.1"
objdump -p "$lib" | grep -qE '^ +SONAME +libpaho-mqtt3as\.so\.1$' || fail "$lib: SONAME is not libpaho-mqtt3as.so.1"
dynamic=$(readelf -d "$bin")
grep -qF 'Shared library: [libpaho-mqtt3as.so.1]' <<< "$dynamic" || fail "usr/bin/edgegw does not name libpaho-mqtt3as.so.1"
# shellcheck disable=SC2016  # a literal $ORIGIN
grep -qF 'Library runpath: [$ORIGIN/../lib/edgegw]' <<< "$dynamic" || fail "usr/bin/edgegw has no RUNPATH \$ORIGIN/../lib/edgegw"

# What the loader opens: the private copy, once (Paho C++'s NEEDED included).
loaded=$(LD_DEBUG=libs "$bin" version 2>&1 >/dev/null | sed -n 's/.*calling init: \(.*libpaho-mqtt3as.*\)$/\1/p')
if [ "$(wc -l <<< "$loaded")" != 1 ] || [ "$(realpath -m "$loaded")" != "$(realpath -m "$lib")" ]; then
  fail "the installed binary loads '$loaded', not $lib"
fi

# `edgegw version` says so, and that this Paho C does not track its heap.
[[ "$version" == *"(${lib}), heap tracking off"* ]] || fail "edgegw version says '$version'"
echo "private Paho C: $lib loaded, heap tracking off"
