#!/usr/bin/env bash
# Builds bench_sip_parser in Release (-O2) in build-bench and runs it; extra arguments go to
# Google Benchmark (e.g. --benchmark_filter=Invite --benchmark_repetitions=5).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRESPROXY_WITH_TESTS=OFF \
      -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DRESPROXY_WITH_BENCH=ON -DRESPROXY_WITH_NS3=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target bench_sip_parser
"$build/tests/bench/bench_sip_parser" "$@"
