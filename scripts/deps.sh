#!/usr/bin/env bash
# Installs the Debian 12 packages edgegw needs to build, test and run its demo.
# Only what is missing is installed; nothing is downloaded from anywhere else.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libpaho-mqttpp-dev libpaho-mqtt-dev libsqlite3-dev sqlite3 libspdlog-dev libfmt-dev
  libyaml-cpp-dev libre2-dev libsystemd-dev libcli11-dev libsimdjson-dev nlohmann-json3-dev
  libcurl4-openssl-dev libcpp-httplib-dev libssl-dev catch2 libfaketime
  clang libclang-rt-14-dev
  mosquitto mosquitto-clients openssl
  systemd dpkg-dev file
  python3
  chromium
)
if [ "${EDGEGW_DEPS_EXTRA:-}" != "" ]; then
  # shellcheck disable=SC2206
  PACKAGES+=(${EDGEGW_DEPS_EXTRA})
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
