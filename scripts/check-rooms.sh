#!/usr/bin/env bash
# check-rooms.sh ROOMS_TXT — holds every #include of the daemon's code
# against its house plan (gateway/CMakeLists.txt):
#   - a file in gateway/ROOM/ includes from another room of gateway/, or from
#     rules/ or devices/, only when ROOM names it in ROOMS (core/ is everyone's);
#   - a library's headers that a room OWNS (sqlite3.h: store, Paho: mqtt,
#     yaml-cpp: config, ...) are included in no other room, nor in core/,
#     rules/ or devices/;
#   - core/, rules/ and devices/ include no spdlog either: they are pure logic
#     (shared/design.md, Layout).
# ROOMS_TXT is build/gateway/rooms.txt, written by CMake: room|rooms|owns.
# Prints FILE:LINE: error: ... for each stray include; exits 1 if any.
set -euo pipefail
rooms_txt=$1
cd "$(dirname "$0")/.."

declare -A deps owners
while IFS='|' read -r room allowed owns; do
  [ -n "$room" ] || continue
  deps[$room]=" $allowed "
  for prefix in $owns; do owners[$prefix]+=" $room"; done
done <"$rooms_txt"

errors=0
stray() {  # FILE:LINE MESSAGE
  echo "$1: error: $2"
  errors=$((errors + 1))
}

# Rooms: includes of other rooms, and of rules/ and devices/.
for room in "${!deps[@]}"; do
  while IFS=: read -r file line text; do
    [ -n "$file" ] || continue
    target=$(sed -E 's/.*#include "(gateway\/)?([a-z_]+)\/.*/\2/' <<<"$text")
    [ "$target" = "$room" ] || [ "$target" = core ] && continue
    [[ ${deps[$room]} == *" $target "* ]] ||
      stray "$file:$line" "room '$room' includes from '$target', which gateway/$room/CMakeLists.txt does not name in ROOMS"
  done < <(grep -rnE '^#include "(gateway/[a-z_]+|rules|devices)/' "gateway/$room" --include='*.h' --include='*.cpp' || true)
done

# Libraries' headers: only in the rooms that own them.
sources=(gateway core rules devices)
for prefix in "${!owners[@]}"; do
  while IFS=: read -r file line _; do
    [ -n "$file" ] || continue
    room=$(sed -nE 's|^gateway/([a-z_]+)/.*|\1|p' <<<"$file")
    [ -n "$room" ] && [[ " ${owners[$prefix]} " == *" $room "* ]] && continue
    stray "$file:$line" "${prefix}... belongs to room(s)${owners[$prefix]}; include it there, or give that room the work"
  # <...> or "...": a quoted include of a system header is the same include.
  done < <(grep -rnE "^#include *[<\"]$(sed 's/[.]/[.]/g' <<<"$prefix")" "${sources[@]}" \
             --include='*.h' --include='*.cpp' --include='*.c' || true)
done
while IFS=: read -r file line _; do
  stray "$file:$line" "core/, rules/ and devices/ are pure logic: no spdlog (log from gateway/)"
done < <(grep -rnE '^#include *[<"]spdlog/' core rules devices || true)

if [ "$errors" -gt 0 ]; then
  echo "check-rooms: $errors stray include(s)"
  exit 1
fi
echo "check-rooms: ${#deps[@]} rooms, every include where the plan puts it"
