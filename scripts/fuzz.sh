#!/usr/bin/env bash
# Builds the libFuzzer target fuzz_sip_parser with clang++-14 in build-fuzz and runs it for a
# bounded time on a scratch copy of its seed corpus (tests/data/sip-torture), so the checked-in
# corpus never changes. Exits non-zero on a finding; the crashing input is kept in the scratch
# directory, whose path is printed.
#   scripts/fuzz.sh [seconds=60] [target=fuzz_sip_parser]
set -euo pipefail
seconds=${1:-60}
target=${2:-fuzz_sip_parser}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"

cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 -DRESPROXY_WITH_FUZZ=ON \
      -DRESPROXY_WITH_TESTS=OFF -DRESPROXY_WITH_BENCH=OFF -DRESPROXY_WITH_NS3=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target "$target"

work=$(mktemp -d "${TMPDIR:-/tmp}/resproxy-fuzz.XXXXXX")
mkdir -p "$work/corpus" "$work/artifacts"
find "$root/tests/data/sip-torture" -name '*.sip' -exec cp {} "$work/corpus/" \;
# Seeds in the target's own input format (tests/fuzz/seeds/<target>/), when it has some.
if [ -d "$root/tests/fuzz/seeds/$target" ]; then cp "$root/tests/fuzz/seeds/$target"/* "$work/corpus/"; fi
echo "fuzz: $target for ${seconds}s, scratch directory $work"

# The target's own dictionary (tests/fuzz/<target>.dict) when it has one, else SIP's.
dict=()
if [ -f "$root/tests/fuzz/$target.dict" ]; then dict=(-dict="$root/tests/fuzz/$target.dict")
elif [ -f "$root/tests/fuzz/sip.dict" ]; then dict=(-dict="$root/tests/fuzz/sip.dict"); fi
status=0
"$build/tests/fuzz/$target" "$work/corpus" "${dict[@]}" -max_total_time="$seconds" \
    -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" >"$work/fuzz.log" 2>&1 || status=$?
tail -n 25 "$work/fuzz.log"
if [ "$status" -ne 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
  echo "fuzz: FINDING (exit $status); inputs in $work/artifacts, log in $work/fuzz.log" >&2
  exit 1
fi
echo "fuzz: no findings in ${seconds}s"
rm -rf "$work"
