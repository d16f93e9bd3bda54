#!/usr/bin/env bash
# Stop the resproxy started by start-resproxy.sh, by its pid file: SIGTERM (clean exit 0
# expected), SIGKILL only after 10 s.
set -uo pipefail
RUN_DIR=${RP_RUN_DIR:-/tmp/resproxy-bench}
PIDFILE=$RUN_DIR/resproxy.pid
[[ -s $PIDFILE ]] || { echo "no pid file $PIDFILE" >&2; exit 1; }
pid=$(cat "$PIDFILE")
if ! kill -0 "$pid" 2>/dev/null; then
  echo "pid $pid not running; removing stale pid file"; rm -f "$PIDFILE"; exit 0
fi
kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then echo "pid $pid ignored SIGTERM, sending SIGKILL"; kill -KILL "$pid"; fi
rm -f "$PIDFILE"
echo "resproxy (pid $pid) stopped"
