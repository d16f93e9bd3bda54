#!/usr/bin/env bash
# The README's main job: build (Release) and run the one-core demonstration — the same core over
# a lossy link natively on loopback and inside ns-3. Extra arguments go to resproxy-demo.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-release}
bash "$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRESPROXY_WITH_TESTS=OFF \
      -DRESPROXY_WITH_BENCH=OFF >/dev/null
cmake --build "$build" -j "${JOBS:-2}" --target resproxy-demo
exec "$build/harness/resproxy-demo" "$@"
