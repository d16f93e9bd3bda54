#!/usr/bin/env bash
# End-to-end: the drop-in proof of resproxy-media (issue #13 step c). Kamailio 5.6 from Debian,
# its rtpengine module pointed at resproxy-media instead of rtpengine
# (tests/e2e/kamailio/rtpengine.cfg), relays one SIPp call with RTP both ways on loopback:
#
#   SIPp UAC (2001, 127.0.0.1, media port MA) --INVITE--> Kamailio (127.0.0.1) --> SIPp UAS (MB)
#   Kamailio: rtpengine_offer on the INVITE, rtpengine_answer on the 200, rtpengine_delete on
#   the BYE, each an ng request to resproxy-media on 127.0.0.1:NG, which relays media on
#   127.0.0.2 (loopback answers every 127/8 address), ports 42000-42099.
#
# Each phone plays a G.711 stream whose payloads start with its tag (media_nat.py stream: UAC
# H1tx after the ACK, UAS H2tx from its answer) to the address of the SDP it received.
# tcpdump on lo records the UDP of the relay's address and of the phones' media ports.
# Checks, each a PASS or FAIL line:
#   ng        Kamailio's log shows NG-OFFER ok, NG-ANSWER ok and NG-DELETE ok for the call (the
#             module's requests were answered by resproxy-media, its SDP taken)
#   call      both SIPp exit 0 with 1 successful call
#   sdp       the offer the UAS received and the answer the UAC received name c=127.0.0.2 with
#             a port in 42000-42099
#   audio     each phone received >= MIN_RTP (100) RTP packets of the other's stream from
#             127.0.0.2 (the relay); none came straight from the other phone
#   deleted   after the BYE the relay holds no call (ng list), and on SIGTERM it reports >= 200
#             packets forwarded
# Negative control (NG=0: Kamailio without the rtpengine calls): the sdp and audio checks fail.
# About 10 s. Needs root for SIPp's play_pcap_audio and tcpdump; skipped (77) without.
#
# Environment: RESPROXY_BIN, RESPROXY_MEDIA_BIN (ctest passes them), NG (default 1).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
[[ -x ${RESPROXY_MEDIA_BIN:-} ]] || RESPROXY_MEDIA_BIN=$(dirname "$RESPROXY_BIN")/resproxy-media
[[ -x $RESPROXY_MEDIA_BIN ]] || { echo "FAIL: resproxy-media not found (set RESPROXY_MEDIA_BIN)"; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (SIPp play_pcap_audio, tcpdump)"; exit 77; }
command -v tcpdump >/dev/null || { echo "FAIL: tcpdump not installed (scripts/setup.sh)"; exit 1; }
NG=${NG:-1}
MIN_RTP=100
RELAY_IP=127.0.0.2
RELAY_MIN=42000
RELAY_MAX=42099
PY=$E2E_DIR/media_nat.py

read -r KAM_PORT NG_PORT UAS_PORT UAC_PORT MA MB <<<"$(free_ports 6)"

"$RESPROXY_MEDIA_BIN" --interface=$RELAY_IP --listen-ng="127.0.0.1:$NG_PORT" --port-min=$RELAY_MIN \
  --port-max=$RELAY_MAX --timeout=30 >"$T/relay.log" 2>&1 </dev/null &
RELAY_PID=$!
PIDS+=("$RELAY_PID")
for ((i = 0; i < 50; i++)); do grep -q "listening on ng" "$T/relay.log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on ng" "$T/relay.log" || { fail "resproxy-media did not start: $(tail -2 "$T/relay.log")"; exit 1; }
log "resproxy-media pid $RELAY_PID: ng on 127.0.0.1:$NG_PORT, media on $RELAY_IP:$RELAY_MIN-$RELAY_MAX"

kam_args=(-A "NG_SOCK=\"udp:127.0.0.1:$NG_PORT\"" -A "UAS_DU=\"sip:127.0.0.1:$UAS_PORT\"")
[[ $NG == 1 ]] && kam_args+=(-A WITH_RELAY)
start_kamailio kam "$KAM_PORT" "$E2E_DIR/kamailio/rtpengine.cfg" "${kam_args[@]}" || exit 1

python3 "$PY" stream "$T/media-nat-uac.pcap" H1tx 3 && python3 "$PY" stream "$T/media-nat-uas.pcap" H2tx 3 \
  || { fail "media_nat.py stream failed"; exit 1; }

tcpdump -i lo -n -U -w "$T/lo.pcap" "udp and (host $RELAY_IP or port $MA or port $MB)" >"$T/tcpdump.log" 2>&1 &
DUMP_PID=$!
PIDS+=("$DUMP_PID")
for ((i = 0; i < 50; i++)); do grep -q "listening on" "$T/tcpdump.log" 2>/dev/null && break; sleep 0.1; done

(cd "$T" && exec timeout -k 2 30 sipp -sf "$SCEN/media-nat-uas.xml" -key user 2002 -i 127.0.0.1 -p "$UAS_PORT" \
  -mp "$MB" -t u1 -m 1 -nostdin -timeout 25s -recv_timeout 15000 \
  -trace_stat -stf "$T/uas-stats.csv" -fd 1 -trace_err -error_file "$T/uas-errors.log" \
  -trace_logs -log_file "$T/uas-phone.log" -trace_msg -message_file "$T/uas-messages.log" \
  >"$T/uas.out" 2>&1 </dev/null) &
UAS_PID=$!
PIDS+=("$UAS_PID")
for ((i = 0; i < 50; i++)); do ss -Hlun "sport = :$UAS_PORT" 2>/dev/null | grep -q . && break; sleep 0.1; done

log "2001 calls 2002 through Kamailio; both talk for 3 s"
(cd "$T" && exec timeout -k 2 30 sipp "127.0.0.1:$KAM_PORT" -sf "$SCEN/media-nat-uac.xml" -s 2002 -key user 2001 \
  -i 127.0.0.1 -p "$UAC_PORT" -mp "$MA" -t u1 -m 1 -d 3500 -nostdin -timeout 25s -recv_timeout 10000 \
  -trace_stat -stf "$T/uac-stats.csv" -fd 1 -trace_err -error_file "$T/uac-errors.log" \
  -trace_logs -log_file "$T/uac-phone.log" -trace_msg -message_file "$T/uac-messages.log" \
  >"$T/uac.out" 2>&1 </dev/null)
UAC_RC=$?
for ((i = 0; i < 100; i++)); do kill -0 "$UAS_PID" 2>/dev/null || break; sleep 0.1; done
wait "$UAS_PID" 2>/dev/null
UAS_RC=$?
UAC_OK=$(sipp_stat "$T/uac-stats.csv" 'SuccessfulCall(C)')
UAS_OK=$(sipp_stat "$T/uas-stats.csv" 'SuccessfulCall(C)')
if [[ $UAC_RC -eq 0 && $UAC_OK -eq 1 && $UAS_RC -eq 0 && $UAS_OK -eq 1 ]]; then
  log "PASS call: both SIPp exited 0 with 1 successful call (INVITE/200/ACK/BYE/200 through Kamailio)"
else
  fail "call: UAC rc=$UAC_RC ok=$UAC_OK, UAS rc=$UAS_RC ok=$UAS_OK: $(cat "$T"/ua?-errors.log 2>/dev/null | grep -m 2 -E 'Aborting|unexpected|failed|timeout' | cut -c1-300 | tr '\n' ' ')"
fi
sleep 0.3
stop_pid "$DUMP_PID" 3

for what in OFFER ANSWER DELETE; do
  if grep -q "NG-$what ok" "$T/kam.log"; then
    log "PASS ng-${what,,}: Kamailio's rtpengine_${what,,} was answered by resproxy-media"
  else
    fail "ng-${what,,}: no 'NG-$what ok' in Kamailio's log ($(grep -m 1 "NG-$what\|rtpengine" "$T/kam.log" | cut -c1-200))"
  fi
done

sdp_check() {
  local name=$1 file=$2 what=$3 line c m
  line=$(grep -m 1 "^sdp-" "$file" 2>/dev/null)
  c=$(sed -n 's/.* c=\([^ ]*\) .*/\1/p' <<<"$line")
  m=$(sed -n 's/.* m=\([0-9]*\) .*/\1/p' <<<"$line")
  if [[ $c == "$RELAY_IP" && -n $m && $m -ge $RELAY_MIN && $m -le $RELAY_MAX ]]; then
    log "PASS sdp-$name: the $what names the relay, c=$c m=$m"
  else
    fail "sdp-$name: the $what names c=${c:-?} m=${m:-?}, expected c=$RELAY_IP and a port in $RELAY_MIN-$RELAY_MAX"
  fi
}
sdp_check uas "$T/uas-phone.log" "offer the UAS received (INVITE)"
sdp_check uac "$T/uac-phone.log" "answer the UAC received (200)"

heard() {
  local name=$1 port=$2 other=$3 own=$4 out got
  out=$(python3 "$PY" heard "$T/lo.pcap" 127.0.0.1 "$port" "$RELAY_IP" "$other" "$own" 2>&1)
  got=$(sed -n "s/.*\b$other=\([0-9]*\).*/\1/p" <<<"$out")
  log "${name^^} heard: $out"
  if [[ ${got:-0} -ge $MIN_RTP ]]; then
    log "PASS audio-$name: received $got RTP packets of the other phone's stream ($other) from the relay $RELAY_IP"
  else
    fail "audio-$name: ${got:-0} RTP packets of $other from the relay $RELAY_IP, expected >= $MIN_RTP"
  fi
}
heard uac "$MA" H2tx H1tx
heard uas "$MB" H1tx H2tx

calls=$(python3 "$E2E_DIR/ng_tool.py" list 127.0.0.1 "$NG_PORT" 2>&1)
if [[ $calls == "calls=0 " ]]; then
  log "PASS deleted: the relay holds no call after the BYE ($calls)"
else
  fail "deleted: the relay's list after the BYE: $calls"
fi
stop_pid "$RELAY_PID" 3
forwarded=$(sed -n 's/.*stopped: [0-9]* calls, \([0-9]*\) packets forwarded.*/\1/p' "$T/relay.log")
if [[ ${forwarded:-0} -ge 200 ]]; then
  log "PASS forwarded: resproxy-media forwarded $forwarded packets"
else
  fail "forwarded: resproxy-media forwarded ${forwarded:-0} packets, expected >= 200"
fi
[[ $FAILED -eq 0 ]] && log "ng_kamailio: all checks passed"
exit $FAILED
