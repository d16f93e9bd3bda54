#!/usr/bin/env bash
# DTMF and FSK caller ID: resproxy's code against spandsp (docs/gateway.md, "Why not spandsp").
# An optional benchmark, not part of the CMake build and no dependency of resproxy: installs
# libspandsp-dev if it is missing (Debian/Ubuntu: apt-get, as root or through sudo), builds
# bench/dtmf/spandsp_compare.cpp with g++ against this checkout's proxy/media/dtmf_tone.cpp and
# sim_hardware/fxo/caller_id.cpp, runs it on one core and prints its tables (Markdown).
#
# usage: bench/dtmf/run.sh            # talk-off: 60 min of each signal (about 40 s in all)
#        bench/dtmf/run.sh 10         # talk-off: 10 min of each (a quick look)
#
# Knobs (environment): CXX=g++ (C++20), OUT_DIR=/tmp/resproxy-dtmf-bench (the binary and
# result.md, the tables of the last run).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CXX=${CXX:-g++}
OUT_DIR=${OUT_DIR:-/tmp/resproxy-dtmf-bench}
MINUTES=${1:-60}

if ! dpkg -s libspandsp-dev >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  echo "installing libspandsp-dev (apt-get)" >&2
  if ! $sudo apt-get install -y libspandsp-dev >&2; then
    $sudo apt-get update >&2
    $sudo apt-get install -y libspandsp-dev >&2
  fi
fi

mkdir -p "$OUT_DIR"
flags=(-std=c++20 -O2 -Wall -Wextra -Werror)
libs=(-lspandsp)
if command -v pkg-config >/dev/null && pkg-config --exists spandsp; then
  read -r -a cflags <<<"$(pkg-config --cflags spandsp)"
  read -r -a libs <<<"$(pkg-config --libs spandsp)"
  flags+=("${cflags[@]}")
fi
echo "building $OUT_DIR/spandsp_compare" >&2
"$CXX" "${flags[@]}" -I"$ROOT" \
  "$HERE/spandsp_compare.cpp" "$ROOT/proxy/media/dtmf_tone.cpp" \
  "$ROOT/sim_hardware/fxo/caller_id.cpp" "${libs[@]}" -o "$OUT_DIR/spandsp_compare"
"$CXX" "${flags[@]}" -I"$ROOT" \
  "$HERE/g711_compare.cpp" "$ROOT/proxy/media/g711.cpp" "${libs[@]}" -o "$OUT_DIR/g711_compare"
echo "running (talk-off: $MINUTES min of each signal)" >&2
{
  nice "$OUT_DIR/spandsp_compare" "$MINUTES"
  echo
  echo "## G.711, every input"
  echo
  "$OUT_DIR/g711_compare"
} | tee "$OUT_DIR/result.md"
