#!/usr/bin/env bash
# The README's main job:
#   1. the flagship failure scenario inside ns-3 — a 120-phone office in its busy hour loses its
#      ITSP link for 10 minutes (scenarios/itsp-outage-busy-hour.yaml) — run by resproxy-harness
#      against the real core, its expectations checked, and its resilience report written
#      (results/demo/report.html, self-contained; summary.md printed here);
#   2. the resproxy daemon on its embedded defaults (standalone, UDP+TCP 5060, data in
#      /var/lib/resproxy): started, asked `resproxyctl show itsp` and `show counters`, stopped.
#      DEMO_DAEMON=foreground leaves it running in the foreground instead (Ctrl-C stops it);
#      DEMO_DAEMON=off skips it.
# Extra arguments go to `resproxy-harness run` (e.g. --seed 7). Exit status: the scenario's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-release}
out=${OUT_DIR:-$root/results/demo}
bash "$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRESPROXY_WITH_TESTS=OFF \
      -DRESPROXY_WITH_BENCH=OFF >/dev/null
cmake --build "$build" -j "${JOBS:-2}" --target resproxy-harness resproxy resproxyctl
harness=$build/harness/resproxy-harness

echo "== 1. flagship scenario: ITSP hard outage in the busy hour (ns-3, real core)"
rm -rf "$out"
status=0
"$harness" run "$root/scenarios/itsp-outage-busy-hour.yaml" --out "$out" "$@" || status=$?
"$harness" report "$out"
echo
cat "$out/summary.md"
echo
echo "report: $out/report.html"

case ${DEMO_DAEMON:-smoke} in
  off) exit "$status" ;;
  foreground)
    echo "== 2. resproxy on its embedded defaults (Ctrl-C to stop)"
    exec "$build/proxy/native/resproxy" ;;
esac

echo
echo "== 2. resproxy on its embedded defaults"
log=$(mktemp)
"$build/proxy/native/resproxy" 2>"$log" &
pid=$!
for _ in $(seq 1 50); do
  grep -q "listening on" "$log" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null && grep -q "listening on" "$log"; then
  sed -n '1,20p' "$log"
  "$build/proxy/native/resproxyctl" show itsp || true
  "$build/proxy/native/resproxyctl" show counters | head -12 || true
  kill -TERM "$pid"
  wait "$pid" || true
  echo "(stopped: SIGTERM)"
else
  echo "resproxy did not start on its defaults (is port 5060 in use?):"
  cat "$log"
  kill "$pid" 2>/dev/null || true
fi
rm -f "$log"
exit "$status"
