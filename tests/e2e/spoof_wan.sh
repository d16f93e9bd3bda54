#!/usr/bin/env bash
# End-to-end: a UDP request from the WAN side whose source address is spoofed to an office
# phone's (a LAN address) is not trusted (issue #10 point 4: default trust by the interface a
# datagram arrived on, IP_PKTINFO, not by its source address alone).
#
# Three network namespaces made here (names unique per run, deleted on exit, nothing on the host):
#   P  the proxy box: lan0 10.77.1.1/24 (to L) and wan0 198.51.100.1/24 (to W; not private, so
#      WAN by default); rp_filter off in P and W so that the kernel lets the spoofed datagram
#      through (we test the daemon, not the kernel); resproxy runs here on 0.0.0.0:5060,
#      standalone, realm resproxy.local, [sipproxy.pstn_gw] address = 10.77.1.5:5060
#   L  the office LAN: the phone 10.77.1.20 and the PSTN gateway 10.77.1.5 (spoof_wan.py
#      listeners that record every datagram: 10.77.1.20:5070, where answers to the spoofed
#      requests are routed — out of lan0 to the real phone —, and 10.77.1.5:5060, which answers
#      INVITEs 486)
#   W  the internet: 198.51.100.9; sends raw IPv4/UDP with source 10.77.1.20:5070 (spoof_wan.py)
#
# Phase 1, interface roles from their addresses (no lan_/wan_interfaces):
#   roles         trace net.interface: lan0 lan, wan0 wan
#   control       REGISTER 2001 from 10.77.1.20 on lan0: 200 (trusted, no credentials)
#   spoof-reg     REGISTER 6666, source 10.77.1.20 spoofed, arriving on wan0: the answer that
#                 reaches 10.77.1.20:5070 is 401/403/407, never 2xx; `resproxyctl show reg`
#                 lists 2001 and not 6666
#   spoof-invite  INVITE to an unregistered number (standalone: the gateway's), spoofed the
#                 same way: challenged 407 (one [sipproxy.auth.user.1], 7000, is configured), and
#                 the gateway receives nothing
#   gw-control    the same INVITE from 10.77.1.20 on lan0 reaches the gateway, whose 486 comes
#                 back (the gateway listener can see a relayed call)
#   same-address  REGISTER 6666 really from 10.77.1.20 on lan0: 200, show reg lists 6666 — the
#                 difference is the interface, not the address
# Phase 2, a NAT router in front (wan0 192.168.0.2/24, all private: LAN by its addresses) named
# in `wan_interfaces = wan0`: wan0 is wan; the spoofed REGISTER (6667) is refused, and so is a
# genuine REGISTER (6668) from the router's own subnet (192.168.0.1); 2002 from lan0 gets 200.
# Phase 3, the accepted limit: a configured [sipproxy.trust.1] range (10.77.1.0–10.77.1.255) is
# trusted wherever it arrives, so the spoofed REGISTER (6669) from wan0 IS accepted (200 reaches
# 10.77.1.20:5070, show reg lists 6669) — this also shows the checks above can fail.
# Each phase ends with SIGTERM and exit status 0. Exits 77 (skipped) unless root with `ip netns`.
# env: lib.sh's (RESPROXY_BIN, E2E_KEEP, E2E_TMP), RESPROXYCTL_BIN (default: next to resproxy)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (network namespaces, raw sockets)"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: ip (iproute2) not found"; exit 77; }
probe=rpsw$$probe
if ! { ip netns add "$probe" && ip -n "$probe" link add a0 type veth peer name a1; } 2>/dev/null; then
  ip netns del "$probe" 2>/dev/null
  echo "SKIP: cannot make a network namespace with a veth pair (ip netns add; needs root)"
  exit 77
fi
ip netns del "$probe"

# shellcheck source=lib.sh
source "$HERE/lib.sh"
CTL=${RESPROXYCTL_BIN:-$(dirname "$RESPROXY_BIN")/resproxyctl}
[[ -x $CTL ]] || { echo "FAIL: resproxyctl not found at $CTL (set RESPROXYCTL_BIN)" >&2; exit 1; }
PY=$HERE/spoof_wan.py

NP=rpsw$$p NL=rpsw$$l NW=rpsw$$w
PHONE=10.77.1.20 GW=10.77.1.5 P_LAN=10.77.1.1 P_WAN=198.51.100.1 W_IP=198.51.100.9
SIP_PORT=5060 VICTIM_PORT=5070

# on exit: the processes first (they hold the namespaces), then the namespaces (their veths go
# with them), then lib.sh's cleanup with the script's exit status
# shellcheck disable=SC2317  # invoked by the trap
on_exit() {
  local rc=$? p ns
  for p in "${PIDS[@]}"; do stop_pid "$p" 2; done
  PIDS=()
  for ns in "$NP" "$NL" "$NW"; do ip netns del "$ns" 2>/dev/null; done
  (exit "$rc")
  cleanup
}
trap on_exit EXIT

# --- topology -------------------------------------------------------------------------------
setup_net() {
  local ns
  for ns in "$NP" "$NL" "$NW"; do ip netns add "$ns" && ip -n "$ns" link set lo up || return 1; done
  ip -n "$NP" link add lan0 type veth peer name eth0 netns "$NL" || return 1
  ip -n "$NP" link add wan0 type veth peer name eth0 netns "$NW" || return 1
  ip -n "$NP" addr add "$P_LAN/24" dev lan0 && ip -n "$NP" link set lan0 up || return 1
  ip -n "$NP" addr add "$P_WAN/24" dev wan0 && ip -n "$NP" link set wan0 up || return 1
  ip -n "$NL" addr add "$PHONE/24" dev eth0 && ip -n "$NL" addr add "$GW/24" dev eth0 || return 1
  ip -n "$NL" link set eth0 up && ip -n "$NL" route add default via "$P_LAN" || return 1
  ip -n "$NW" addr add "$W_IP/24" dev eth0 && ip -n "$NW" link set eth0 up || return 1
  ip -n "$NP" route add default via "$W_IP" || return 1
  for ns in "$NP" "$NW"; do
    # shellcheck disable=SC2016  # $f expands in the inner shell
    ip netns exec "$ns" sh -c 'for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 >"$f"; done' || return 1
  done
}
setup_net || { fail "cannot build the namespaces/veths"; finish; }
log "namespaces $NP (lan0 $P_LAN/24, wan0 $P_WAN/24), $NL ($PHONE, gateway $GW), $NW ($W_IP)"

# in_ns NS CMD...: bounded, inside a namespace
in_ns() { local ns=$1; shift; timeout -k 2 15 ip netns exec "$ns" "$@"; }

# listener NAME IP:PORT [ANSWER]: a recorder in L, $T/NAME.rec; waits (<= 5 s) for its socket
listener() {
  local name=$1 bind=$2 i
  shift 2
  timeout -k 2 120 ip netns exec "$NL" python3 "$PY" listen "$bind" "$T/$name.rec" "$@" \
    >"$T/$name-listener.out" 2>&1 </dev/null &
  PIDS+=("$!")
  touch "$T/$name.rec"
  for ((i = 0; i < 50; i++)); do
    ip netns exec "$NL" ss -Hlun "src $bind" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  fail "listener $name on $bind did not start"
  return 1
}
listener victim "$PHONE:$VICTIM_PORT" || finish
listener gateway "$GW:$SIP_PORT" 486 || finish

# --- the daemon in P ------------------------------------------------------------------------
# start_ns_proxy RUN [ini lines…]: resproxy in P with the base configuration plus the lines,
# data directory $T/dataRUN; waits (<= 10 s) for "listening on" and for its interface table
start_ns_proxy() {
  local run=$1 i line
  shift
  PROXY_RUNS=$run
  PROXY_DATA=$T/data$run
  TRACE=$T/trace$run.jsonl
  local conf=$T/resproxy$run.ini errlog=$T/resproxy-$run.log
  {
    printf '[sipproxy]\nmode = standalone\nrealm = resproxy.local\n'
    printf 'listen_address = 0.0.0.0\nrx_port = %s\n' "$SIP_PORT"
    printf '[advanced.sipproxy]\nsip_log = %s\ntrace_log = %s\n' "$T/sip$run.log" "$TRACE"
    printf '[sipproxy.pstn_gw]\naddress = %s:%s\n' "$GW" "$SIP_PORT"
    # one digest user: an untrusted call to the gateway is challenged (407), not just refused
    printf '[sipproxy.auth.user.1]\nenable = 1\nusername = 7000\npassword = s3cret\n'
    for line in "$@"; do echo "$line"; done
  } >"$conf"
  if ! "$RESPROXY_BIN" --check-config "$conf" >"$T/check-config$run.out" 2>&1; then
    fail "resproxy --check-config refuses $conf: $(cat "$T/check-config$run.out")"
    return 1
  fi
  ip netns exec "$NP" "$RESPROXY_BIN" --config "$conf" --data-dir "$PROXY_DATA" --pidfile "$T/resproxy.pid" \
    >"$errlog" 2>&1 </dev/null &
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  await_listening "$errlog" "$PROXY_PID" "resproxy (run $run)" || return 1
  # its first look at the interfaces (a net.interface trace event each), <= 3 s
  for ((i = 0; i < 30; i++)); do
    grep -q '"ev":"net.interface".*"name":"wan0"' "$TRACE" 2>/dev/null && break
    sleep 0.1
  done
  log "resproxy run $run pid $PROXY_PID in $NP on 0.0.0.0:$SIP_PORT ($*)"
}

# expect_role IFACE ROLE: the daemon's trace says it classified IFACE as ROLE
expect_role() {
  if [[ -n $(trace_select "$TRACE" net.interface 0 - name="$1" role="$2") ]]; then
    log "PASS roles: $1 is $2"
  else
    fail "roles: $1 not classified $2: $(grep '"net.interface"' "$TRACE" | grep "\"$1\"" | tail -1)"
  fi
}

# request NS BIND-IP METHOD USER: a genuine request; prints the final status code or "none"
request() { in_ns "$1" python3 "$PY" request "$2" "$PROXY_IP:$SIP_PORT" "$3" "$4"; }

# spoof METHOD USER: from W, source spoofed to the phone's 10.77.1.20:5070; prints the Call-ID
spoof() { in_ns "$NW" python3 "$PY" spoof "$PHONE:$VICTIM_PORT" "$PROXY_WAN:$SIP_PORT" "$1" "$2"; }

# answer_to CALL-ID [LIMIT s]: the final status the phone's address received for CALL-ID (waits
# <= LIMIT s, default 3), or "none"
answer_to() {
  local id=$1 limit=${2:-3} i code
  for ((i = 0; i < limit * 10; i++)); do
    code=$(awk -v id="call-id=$1" '$2 == id && $4 == "SIP/2.0" && $5 >= 200 { print $5; exit }' "$T/victim.rec")
    [[ -n $code ]] && { echo "$code"; return 0; }
    sleep 0.1
  done
  echo none
}

# show_reg: `resproxyctl show reg` of the running daemon
show_reg() { timeout -k 2 10 "$CTL" --data-dir "$PROXY_DATA" show reg 2>&1; }
registered() { show_reg | awk -v u="$1" '$2 == u { f = 1 } END { exit !f }'; }

# expect_refused NAME CODE DETAIL: CODE must be a refusal or a challenge
expect_refused() {
  if [[ $2 =~ ^(401|403|407)$ ]]; then log "PASS $1: $2 ($3)"; else fail "$1: got '$2', expected 401/403/407 ($3)"; fi
}
expect_code() { # NAME WANT GOT DETAIL
  if [[ $3 == "$2" ]]; then log "PASS $1: $3 ($4)"; else fail "$1: got '$3', expected $2 ($4)"; fi
}
# expect_reg NAME USER yes|no
expect_reg() {
  local out
  out=$(show_reg)
  if registered "$2"; then
    if [[ $3 == yes ]]; then log "PASS $1: show reg lists $2"; else fail "$1: show reg lists $2: $(grep -E "^[0-9]+ $2 " <<<"$out")"; fi
  else
    if [[ $3 == no ]]; then log "PASS $1: show reg does not list $2"; else fail "$1: show reg does not list $2: $out"; fi
  fi
}

end_run() {
  proxy_alive || fail "resproxy (run $PROXY_RUNS) died"
  stop_proxy   # fail()s unless SIGTERM ends it with exit status 0 within 5 s
}

NUMBER=0301234567   # not registered: standalone mode sends it to the PSTN gateway
PROXY_IP=$P_LAN PROXY_WAN=$P_WAN

# --- phase 1: roles by address -------------------------------------------------------------
log "phase 1: interface roles from their addresses"
start_ns_proxy 1 || finish
expect_role lan0 lan
expect_role wan0 wan
expect_code control-register 200 "$(request "$NL" "$PHONE" REGISTER 2001)" "REGISTER 2001 from $PHONE on lan0"

id=$(spoof REGISTER 6666)
expect_refused spoof-register "$(answer_to "$id")" "REGISTER 6666 from spoofed $PHONE arriving on wan0, answer seen at $PHONE:$VICTIM_PORT"
expect_reg spoof-register-not-bound 6666 no
expect_reg control-bound 2001 yes

gw_before=$(wc -l <"$T/gateway.rec")
id=$(spoof INVITE "$NUMBER")
expect_code spoof-invite 407 "$(answer_to "$id")" "INVITE $NUMBER from spoofed $PHONE arriving on wan0: challenged"
sleep 1   # a relayed INVITE would reach the gateway within this
heard=$(tail -n +$((gw_before + 1)) "$T/gateway.rec")
if [[ -z $heard ]]; then log "PASS spoof-invite-not-relayed: the gateway received nothing"; else fail "spoof-invite-not-relayed: the gateway received: $heard"; fi

code=$(request "$NL" "$PHONE" INVITE "$NUMBER")
expect_code gw-control 486 "$code" "INVITE $NUMBER from $PHONE on lan0, the gateway's answer"
if tail -n +$((gw_before + 1)) "$T/gateway.rec" | grep -q "| INVITE sip:$NUMBER@"; then
  log "PASS gw-control-relayed: the gateway received the trusted phone's INVITE"
else
  fail "gw-control-relayed: the gateway did not receive the trusted phone's INVITE"
fi

expect_code same-address-register 200 "$(request "$NL" "$PHONE" REGISTER 6666)" "REGISTER 6666 really from $PHONE on lan0"
expect_reg same-address-bound 6666 yes
end_run

# --- phase 2: a NAT router in front, wan0 private but named WAN -----------------------------
log "phase 2: wan0 192.168.0.2/24 (private), wan_interfaces = wan0"
PROXY_WAN=192.168.0.2 W_IP=192.168.0.1
{ ip -n "$NP" addr flush dev wan0 && ip -n "$NP" addr add "$PROXY_WAN/24" dev wan0 &&
  ip -n "$NW" addr flush dev eth0 && ip -n "$NW" addr add "$W_IP/24" dev eth0 &&
  ip -n "$NP" route replace default via "$W_IP"; } || { fail "cannot re-address wan0"; finish; }
start_ns_proxy 2 "[sipproxy.trust]" "wan_interfaces = wan0" || finish
expect_role lan0 lan
expect_role wan0 wan
id=$(spoof REGISTER 6667)
expect_refused spoof-register-named-wan "$(answer_to "$id")" "REGISTER 6667 from spoofed $PHONE arriving on wan0"
PROXY_IP=$PROXY_WAN
expect_refused router-subnet-register "$(request "$NW" "$W_IP" REGISTER 6668)" "REGISTER 6668 from $W_IP, inside wan0's own private subnet"
PROXY_IP=$P_LAN
expect_code control-register-2 200 "$(request "$NL" "$PHONE" REGISTER 2002)" "REGISTER 2002 from $PHONE on lan0"
expect_reg spoof-not-bound-2 6667 no
expect_reg router-not-bound 6668 no
end_run

# --- phase 3: a configured range is trusted wherever it arrives ------------------------------
log "phase 3: [sipproxy.trust.1] 10.77.1.0-10.77.1.255 (trusted on any interface)"
start_ns_proxy 3 "[sipproxy.trust.1]" "enable = 1" "ipmin = 10.77.1.0" "ipmax = 10.77.1.255" || finish
id=$(spoof REGISTER 6669)
expect_code configured-range-anywhere 200 "$(answer_to "$id")" "REGISTER 6669 from spoofed $PHONE on wan0, configured range"
expect_reg configured-range-bound 6669 yes
end_run

finish
