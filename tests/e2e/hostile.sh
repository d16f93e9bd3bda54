#!/usr/bin/env bash
# End-to-end: the attack review's open-relay / toll-fraud rows against the real daemon.
#
# resproxy runs in standalone mode (realm resproxy.local) on 127.0.0.1:<free port>, UDP and TCP,
# trusting ONLY 127.0.0.10, the office phone ([sipproxy.trust] disable_all = 1 drops the default
# ranges, loopback included), with the PSTN gateway at 127.0.0.1:<free port G> and one digest
# user (6666), so that an untrusted call to the gateway is challenged, never forwarded.
# hostile.py plays the gateway (a UDP listener), a LAN host (UDP and TCP listeners), the
# attacker (UDP from 127.0.0.66, untrusted) and the trusted phone (127.0.0.10), and checks:
#   row1  INVITE to a premium number with a preloaded Route to the gateway: 403, nothing relayed
#   row2  INVITE with the gateway as Request-URI and a forged To tag: 403, nothing relayed
#   row3a INVITE to the LAN host behind our own Route (popped): 403, nothing relayed
#   row3b the same with a forged dialog MAC (rp=…) in our Route: 403, nothing relayed
#   row4  BYE to the LAN host with a forged To tag: 403, nothing relayed
#   row5  MESSAGE with a preloaded TCP Route to the LAN host: 403, no TCP connection opened
#   row6  a stray 200 OK, top Via ours, next Via the LAN host: nothing relayed
#   row7  a plain INVITE to the premium number: 407 (challenged), nothing relayed
#   control: the trusted phone's INVITE to that number DOES reach the gateway (the gateway's 486
#   comes back to the phone), so the listeners and the test can fail.
# Then the daemon must still be alive and exit 0 on SIGTERM.
# env: lib.sh's (RESPROXY_BIN, E2E_KEEP, E2E_TMP), HOSTILE_WAIT_S=1.0 (hostile.py)
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
E2E_SIP_LOG=0   # the configuration written here always has its own sip_log and trace_log

read -r P_PROXY P_GW P_VICTIM P_VICTIM_TCP < <(free_ports 4)
CONF=$T/resproxy.ini
{
  echo "[sipproxy]"
  echo "mode = standalone"
  echo "realm = resproxy.local"
  echo "rx_port = $P_PROXY"
  echo "listen_address = $LOCAL_IP"
  echo "[advanced.sipproxy]"
  echo "transport = both"
  echo "sip_log = $T/sip.log"
  echo "trace_log = $T/trace.jsonl"
  echo "[sipproxy.pstn_gw]"
  echo "address = $LOCAL_IP:$P_GW"
  echo "[sipproxy.auth.user.1]"
  echo "enable = 1"
  echo "username = 6666"
  echo "password = s3cret"
  echo "[sipproxy.trust]"
  echo "disable_all = 1"
  echo "[sipproxy.trust.1]"
  echo "enable = 1"
  echo "ipmin = 127.0.0.10"
} >"$CONF"
check_config "$CONF" || finish

start_proxy "$P_PROXY" "$T/data" --config "$CONF" || finish

log "hostile client against resproxy on $LOCAL_IP:$P_PROXY (gateway :$P_GW, LAN host udp :$P_VICTIM tcp :$P_VICTIM_TCP)"
timeout -k 2 40 python3 "$HERE/hostile.py" "$P_PROXY" "$P_GW" "$P_VICTIM" "$P_VICTIM_TCP" | tee "$T/hostile.out"
rc=${PIPESTATUS[0]}
[[ $rc -eq 0 ]] || fail "hostile.py: exit $rc (FAIL lines above)"

if proxy_alive; then
  log "PASS daemon-alive: resproxy pid $PROXY_PID still running after the attacks"
else
  fail "daemon-alive: resproxy died during the attacks"
fi
before=$FAILED
FAILED=0
stop_proxy   # fail()s unless SIGTERM ends it with exit status 0 within 5 s
[[ $FAILED -eq 0 ]] && log "PASS daemon-sigterm: resproxy exited 0 on SIGTERM"
FAILED=$((before | FAILED))
finish
