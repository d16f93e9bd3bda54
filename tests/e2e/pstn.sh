#!/usr/bin/env bash
# End-to-end: a phone's outside calls through resproxy and its PSTN gateway, out over the
# emulated E1 to the emulated exchange (issue #12), all in one daemon on 127.0.0.1 with real SIPp.
#
# resproxy runs standalone (no ITSP: outside calls go to [sipproxy.pstn_gw]) with the gateway
# enabled in the same daemon on its own port: one emulated E1 (30 B-channels, group "e1") and two
# emulated FXO lines (group "lines", where the dial plan re-presents calls the E1 cannot take),
# to the emulated exchange whose subscribers 01632 960000-960999 answer after 2-5 s.
#   1. CALLS calls to 9 01632 960123 (9 for an outside line) at 2/s, each held 2 s: every one is
#      answered over the E1 and cleared by the caller (BYE through resproxy to the gateway);
#      `resproxyctl show channels` lists the E1's channels while they are up. Media: the gateway
#      bridges each answered call to its RTP port (proxy/native/media_bridge.h), where the emulated
#      subscriber echoes what it hears, and SIPp echoes the gateway's RTP (-rtp_echo): `show
#      counters` must show RTP both ways (gateway.rtp_rx, gateway.rtp_tx). The RTP ports are the
#      [gateway] default range; if another process holds them the bridges are refused (counted)
#      and the media check is skipped with a note, never failed.
#   2. a call to 9 01632 999999 (a number the exchange has not allocated): 404 from the gateway
#      (cause 1), through resproxy.
#   3. all lines busy: 32 calls held 15 s take the E1's 30 channels and both lines (the dial
#      plan re-presents the last two to the lines); one more call is refused: the gateway answers
#      503 with Reason Q.850 cause 34, resproxy passes it on as 500 (RFC 3261 §16.7) with the
#      Reason kept (uac-pstn-busy.xml checks it).
# Then the daemon gets SIGTERM and must exit 0.
# env: CALLS=10, plus lib.sh's (RESPROXY_BIN, E2E_KEEP)
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

CALLS=${CALLS:-10}
CTL=${RESPROXYCTL_BIN:-$(dirname "$RESPROXY_BIN")/resproxyctl}

read -r P_PROXY P_GW < <(free_ports 2)

{
  echo "[sipproxy]"
  echo "mode = standalone"
  echo "[sipproxy.pstn_gw]"
  echo "address = $LOCAL_IP:$P_GW"
  echo "from_action = trust"
  # one SIPp user on one port places every call here: resproxy's toll-fraud limits on gateway
  # calls (4 open and 10 a minute per user, per source too) would refuse it 403
  echo "max_calls_per_user = 0"
  echo "max_calls_per_source = 0"
  echo "calls_per_minute_per_user = 0"
  echo "calls_per_minute_per_source = 0"
  echo "[gateway]"
  echo "enable = 1"
  echo "port = $P_GW"
  echo "proxy = $LOCAL_IP:$P_PROXY"
  echo "domain = office.test"
  echo "[gateway.group.1]"
  echo "enable = 1"
  echo "name = e1"
  echo "spans = 1"
  echo "[gateway.group.2]"
  echo "enable = 1"
  echo "name = lines"
  echo "spans = 2"
  echo "incoming_destination = 200"
  echo "[gateway.dialplan.1]"
  echo "enable = 1"
  echo "name = national-e1"
  echo "source = sip"
  echo "called = 9<0.>"
  echo "called_out = <1>"
  echo "target = e1"
  echo "[gateway.dialplan.2]"
  echo "enable = 1"
  echo "name = national-lines"
  echo "source = sip"
  echo "called = 9<0.>"
  echo "called_out = <1>"
  echo "target = lines"
  echo "[sim_hardware.e1.1]"
  echo "enable = 1"
  echo "span = 1"
  echo "name = e1-1"
  echo "ddi_first = 01632961000"
  echo "ddi_last = 01632961099"
  echo "ddi_digits = 3"
  echo "[sim_hardware.fxo.1]"
  echo "enable = 1"
  echo "span = 2"
  echo "name = fxo-1"
  echo "lines = 2"
  echo "directory_numbers = 01632961200, 01632961201"
  echo "[advanced.sipproxy]"
  echo "sip_log = $T/sip.log"
} >"$T/resproxy.ini"
check_config "$T/resproxy.ini" || finish
start_proxy "$P_PROXY" "$T/data" --config "$T/resproxy.ini" || finish

# 1. answered calls over the E1, cleared by the caller
run_uac pstn uac.xml "$CALLS" 2 u1 -s 901632960123 -d 2000 -recv_timeout 10000 -rtp_echo &
UAC_BG=$!
sleep 5  # calls are up (answered after 2-5 s, held 2 s)
timeout -k 2 15 "$CTL" --data-dir "$T/data" show channels >"$T/channels.out" 2>&1
CTL_RC=$?
wait "$UAC_BG"
# run_uac ran in a subshell: read its results back
UAC_OK=$(sipp_stat "$T/pstn-stats.csv" 'SuccessfulCall(C)')
UAC_FAILED=$(sipp_stat "$T/pstn-stats.csv" 'FailedCall(C)')
UAC_RC=0
[[ ${UAC_OK:-0} -eq $CALLS && ${UAC_FAILED:-1} -eq 0 ]] || UAC_RC=1
expect_all_calls pstn "$CALLS"
[[ $CTL_RC -eq 0 ]] || fail "resproxyctl show channels exited $CTL_RC: $(cat "$T/channels.out")"
grep -q "01632960123" "$T/channels.out" ||
  fail "show channels did not list a call to 01632960123 on the E1 while calls were up: $(cat "$T/channels.out")"
log "show channels during the calls: $(grep -c 01632960123 "$T/channels.out") channel(s) in a call"
byes=$(grep -c "^BYE sip:" "$T/sip.log" 2>/dev/null || true)
log "sip log: $byes BYE requests (caller -> resproxy -> gateway)"
[[ ${byes:-0} -ge $((2 * CALLS)) ]] || fail "expected each caller's BYE to pass resproxy to the gateway (>= $((2 * CALLS)) BYEs logged), got $byes"

timeout -k 2 15 "$CTL" --data-dir "$T/data" show counters >"$T/counters.out" 2>&1
counter() { awk -v n="$1" '$1 == n { print $2 }' "$T/counters.out"; }
rtp_rx=$(counter gateway.rtp_rx)
rtp_tx=$(counter gateway.rtp_tx)
refused=$(counter gateway.media_bridges_refused)
log "gateway media: rtp_rx=${rtp_rx:-?} rtp_tx=${rtp_tx:-?} bridges refused=${refused:-?}"
if [[ ${refused:-0} -gt 0 ]]; then
  log "note: $refused media bridge(s) refused (RTP ports in use by another process): media not checked"
else
  [[ ${rtp_tx:-0} -gt 0 ]] || fail "the gateway sent no RTP for $CALLS answered calls: $(cat "$T/counters.out")"
  [[ ${rtp_rx:-0} -gt 0 ]] || fail "no RTP came back to the gateway from SIPp's echo: $(cat "$T/counters.out")"
fi

# 2. a number the exchange has not allocated
run_uac unallocated uac-404.xml 1 1 u1 -s 901632999999 -recv_timeout 10000
expect_all_calls unallocated 1

# 3. every line busy: 32 long calls, then one more is refused with cause 34
run_uac fill uac.xml 32 16 u1 -s 901632960456 -d 15000 -recv_timeout 10000 &
FILL_BG=$!
sleep 10  # 32 calls set up at 16/s, answered within 5 s (the lines' calls: dialled first)
run_uac blocked uac-pstn-busy.xml 1 1 u1 -s 901632960789 -recv_timeout 10000
expect_all_calls blocked 1
wait "$FILL_BG"
FILL_OK=$(sipp_stat "$T/fill-stats.csv" 'SuccessfulCall(C)')
log "fill: $FILL_OK of 32 long calls completed"
[[ ${FILL_OK:-0} -eq 32 ]] || fail "the 32 calls that fill the E1 and both lines did not all complete ($FILL_OK)"

stop_proxy || true
finish
