#!/usr/bin/env bash
# End-to-end: resproxy-media's authenticated control (issue #13 step c) against the real daemon on
# loopback. The relay runs with --ng-secret-file and --trusted-ng 192.0.2.1 (so this host, on
# 127.0.0.1, may not send plain ng) and ng_tool.py attack plays the attacker and the client:
# plain ng refused, a signed offer accepted with a signed reply, the client's retransmission
# answered from the reply cache, a captured signed offer or delete replayed from another socket
# refused (nothing runs again), a forged MAC, a tampered field, another secret and a stale
# timestamp refused — each refusal checked to have created no call. About 2 s.
#
# Environment: RESPROXY_MEDIA_BIN (ctest passes it), as lib.sh's RESPROXY_BIN; MEDIA_THREADS
# (default 1): the relay's --num-threads — with 3 (e2e_ng_auth_threads) every attack goes through
# the sharded relay's control front (media_shards.h), a replayed list to every shard at once.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
[[ -x ${RESPROXY_MEDIA_BIN:-} ]] || RESPROXY_MEDIA_BIN=$(dirname "$RESPROXY_BIN")/resproxy-media
[[ -x $RESPROXY_MEDIA_BIN ]] || { echo "FAIL: resproxy-media not found (set RESPROXY_MEDIA_BIN)"; exit 1; }

read -r NG_PORT <<<"$(free_ports 1)"
printf 'e2e-%s\n' "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$T/ng.secret"
"$RESPROXY_MEDIA_BIN" --interface=127.0.0.1 --listen-ng="127.0.0.1:$NG_PORT" --port-min=43000 --port-max=43099 \
  --ng-secret-file="$T/ng.secret" --trusted-ng=192.0.2.1 --num-threads="${MEDIA_THREADS:-1}" >"$T/relay.log" 2>&1 </dev/null &
RELAY_PID=$!
PIDS+=("$RELAY_PID")
for ((i = 0; i < 50; i++)); do grep -q "listening on ng" "$T/relay.log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on ng" "$T/relay.log" || { fail "resproxy-media did not start: $(tail -2 "$T/relay.log")"; exit 1; }

python3 "$E2E_DIR/ng_tool.py" attack 127.0.0.1 "$NG_PORT" "$T/ng.secret" >"$T/attack.out" 2>&1
rc=$?
while read -r line; do log "$line"; done <"$T/attack.out"
[[ $rc -eq 0 ]] || fail "ng_tool.py attack exited $rc"
kill -0 "$RELAY_PID" 2>/dev/null || fail "resproxy-media died during the attacks"
stop_pid "$RELAY_PID" 3
[[ $FAILED -eq 0 ]] && log "ng_auth: all checks passed"
exit $FAILED
