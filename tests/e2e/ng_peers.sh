#!/usr/bin/env bash
# End-to-end: resproxy's ng client (resproxy-ngctl, media/ng/ng_client.h) drives the two relays
# it must drive, on loopback, each through ng_peers.py (ping, offer, answer, list, RTP both ways
# through the ports the replies named, query counting the packets, delete):
#   - a real rtpengine 10.5 (Debian rtpengine-daemon, userspace forwarding: --table=-1), media on
#     127.0.0.3, plain ng;
#   - resproxy-media, media on 127.0.0.2, with --ng-secret-file and loopback NOT trusted: our
#     client signs every request and takes only signed replies; the same client without the
#     secret is refused ("Authentication required").
# About 5 s.
#
# Environment: RESPROXY_BIN, RESPROXY_MEDIA_BIN, RESPROXY_NGCTL_BIN (ctest passes them).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
bin_dir=$(dirname "$RESPROXY_BIN")
[[ -x ${RESPROXY_MEDIA_BIN:-} ]] || RESPROXY_MEDIA_BIN=$bin_dir/resproxy-media
[[ -x ${RESPROXY_NGCTL_BIN:-} ]] || RESPROXY_NGCTL_BIN=$bin_dir/resproxy-ngctl
for b in "$RESPROXY_MEDIA_BIN" "$RESPROXY_NGCTL_BIN"; do
  [[ -x $b ]] || { echo "FAIL: $b not found"; exit 1; }
done
command -v rtpengine >/dev/null || { echo "FAIL: rtpengine not installed (scripts/setup.sh: rtpengine-daemon)"; exit 1; }

read -r RTPE_NG MEDIA_NG <<<"$(free_ports 2)"
printf 'peers-%s\n' "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$T/ng.secret"

rtpengine --config-file=none --foreground --table=-1 --interface=127.0.0.3 --listen-ng="127.0.0.1:$RTPE_NG" \
  --port-min=44000 --port-max=44199 --delete-delay=0 --log-stderr --log-level=5 \
  --pidfile="$T/rtpengine.pid" >"$T/rtpengine.log" 2>&1 </dev/null &
PIDS+=("$!")
"$RESPROXY_MEDIA_BIN" --interface=127.0.0.2 --listen-ng="127.0.0.1:$MEDIA_NG" --port-min=44200 --port-max=44399 \
  --ng-secret-file="$T/ng.secret" --trusted-ng=192.0.2.1 >"$T/resproxy-media.log" 2>&1 </dev/null &
PIDS+=("$!")
for ((i = 0; i < 50; i++)); do
  grep -q "listening on ng" "$T/resproxy-media.log" 2>/dev/null &&
    ss -Hlun "sport = :$RTPE_NG" 2>/dev/null | grep -q . && break
  sleep 0.1
done

run_peer() {
  local out rc
  out=$(python3 "$E2E_DIR/ng_peers.py" "$RESPROXY_NGCTL_BIN" "$@" 2>&1)
  rc=$?
  while read -r line; do log "$line"; done <<<"$out"
  [[ $rc -eq 0 ]] || fail "ng_peers.py $3 exited $rc"
}
run_peer "127.0.0.1:$RTPE_NG" 127.0.0.3 rtpengine
run_peer "127.0.0.1:$MEDIA_NG" 127.0.0.2 resproxy-media --secret-file "$T/ng.secret"

out=$("$RESPROXY_NGCTL_BIN" --relay "127.0.0.1:$MEDIA_NG" --timeout 200 ping 2>&1)
if [[ $out == *"Authentication required"* ]]; then
  log "PASS unsigned-refused: our client without the secret gets: $out"
else
  fail "unsigned-refused: an unsigned ping to the relay with a secret got: $out"
fi
[[ $FAILED -eq 0 ]] && log "ng_peers: all checks passed"
exit $FAILED
