#!/usr/bin/env bash
# The test command of the README and of CI: installs what is missing, builds everything with
# AddressSanitizer + UndefinedBehaviorSanitizer, and runs every test with ctest (unit, torture
# corpus, transaction timers, native loopback, ns-3 determinism, the failure scenarios, the
# end-to-end tests with SIPp and Kamailio, the report in headless Chromium, the core-does-no-I/O
# check and bounded libFuzzer runs). The 10,000-phone scenario (label `long`) is left out unless
# ctest arguments are given (`scripts/test.sh -L long`).
#   scripts/test.sh            # everything
#   BUILD_DIR=… JOBS=… scripts/test.sh -R Torture   # extra arguments go to ctest
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-asan}
jobs=${JOBS:-2}

bash "$root/scripts/setup.sh"
# The README's main job builds in Release; a user's plain `cmake -DCMAKE_BUILD_TYPE=Release`
# builds the tests and benchmarks too (other warnings at -O2/-O3): build all of it, so that
# whatever the README lets a user configure stays clean. The tests run in the sanitizer build.
cmake -S "$root" -B "${RELEASE_BUILD_DIR:-$root/build-release}" -DCMAKE_BUILD_TYPE=Release \
      -DRESPROXY_WITH_TESTS=ON -DRESPROXY_WITH_BENCH=ON >/dev/null
cmake --build "${RELEASE_BUILD_DIR:-$root/build-release}" -j "$jobs"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DRESPROXY_SANITIZE=ON \
      -DRESPROXY_WITH_BENCH=OFF -DCMAKE_CXX_FLAGS="-O1"
cmake --build "$build" -j "$jobs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
# The 10,000-phone scenario (label `long`) runs on its own: `ctest -L long` (minutes under ASan).
if [ $# -eq 0 ]; then set -- -LE long; fi
ctest --output-on-failure -j "$jobs" "$@"
