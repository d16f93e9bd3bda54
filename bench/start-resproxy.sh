#!/usr/bin/env bash
# Start resproxy for the benchmark, in the background, on a fresh data directory.
# usage: start-resproxy.sh [RESPROXY_BINARY]
# env:
#   RP_BIN       the daemon (default: the argument, else build-release/proxy/native/resproxy)
#   RP_RUN_DIR   pid file, log and data directory (default /tmp/resproxy-bench)
#   RP_LISTEN    address:port (default 127.0.0.1:5060; loopback only)
#   RP_CONFIG    configuration file (default resproxy-bench.ini beside this script)
#   RP_KEEP_DATA=1  keep the registrations of an earlier run (default: start empty)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${RP_BIN:-${1:-$ROOT/build-release/proxy/native/resproxy}}
RUN_DIR=${RP_RUN_DIR:-/tmp/resproxy-bench}
LISTEN=${RP_LISTEN:-127.0.0.1:5060}
CONFIG=${RP_CONFIG:-$HERE/resproxy-bench.ini}
PIDFILE=$RUN_DIR/resproxy.pid
LOG=$RUN_DIR/resproxy.log
[[ -x $BIN ]] || { echo "resproxy binary not found: $BIN (scripts/bench-proxy.sh builds it)" >&2; exit 1; }
[[ $LISTEN == 127.* ]] || { echo "refusing non-loopback RP_LISTEN '$LISTEN'" >&2; exit 2; }
mkdir -p "$RUN_DIR"
if [[ -s $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "resproxy already running (pid $(cat "$PIDFILE")); run stop-resproxy.sh first" >&2
  exit 1
fi
[[ ${RP_KEEP_DATA:-0} == 1 ]] || rm -rf "$RUN_DIR/data"
mkdir -p "$RUN_DIR/data"
"$BIN" --config "$CONFIG" --listen "$LISTEN" --data-dir "$RUN_DIR/data" >"$LOG" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$PIDFILE"
for _ in $(seq 1 100); do
  grep -q 'listening on' "$LOG" 2>/dev/null && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "resproxy exited during startup; log follows:" >&2; tail -20 "$LOG" >&2; rm -f "$PIDFILE"; exit 1
  fi
  sleep 0.1
done
grep -q 'listening on' "$LOG" || { echo "resproxy did not start listening within 10 s" >&2; exit 1; }
echo "resproxy started: pid=$pid listen=$LISTEN pidfile=$PIDFILE log=$LOG data=$RUN_DIR/data"
