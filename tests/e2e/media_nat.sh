#!/usr/bin/env bash
# End-to-end: resproxy's media relay gets audio both ways for two phones that are each behind a
# real masquerading NAT (issue #13 step b). Without the relay the phones' SDP names private
# addresses the other side cannot reach: the call connects and nobody hears anything.
#
# Five network namespaces made here (names unique per run, deleted on exit, nothing on the host):
#   P   the proxy box on "the internet": br0 203.0.113.1/24, a bridge whose ports are veths to
#       N1 and N2; resproxy runs here on 0.0.0.0:5060, standalone, realm resproxy.local, the
#       NATs' outside addresses trusted as [sipproxy.trust.1] 203.0.113.11-203.0.113.12, and
#       (MEDIA_RELAY=1) [media_relay] on 203.0.113.1, ports 40000-40999, relay_phones = nat
#   N1  a NAT router: wan0 203.0.113.11/24 (outside), lan0 192.168.1.1/24, ip_forward=1,
#       iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE; no route to 192.168.2.0/24
#   N2  the same: wan0 203.0.113.12/24, lan0 192.168.2.1/24
#   H1  phone 2001: eth0 192.168.1.10/24, default route via 192.168.1.1 (N1)
#   H2  phone 2002: eth0 192.168.2.10/24, default route via 192.168.2.1 (N2)
# The two LANs cannot reach each other (checked: `ip route get` fails in N1 and N2); the only
# way from one phone to the other is resproxy on 203.0.113.1.
#
# Phones (SIPp inside H1 and H2; play_pcap_audio needs root, which the namespaces need anyway):
#   both register through resproxy with their private Contact (phone.xml, -d 0): 2001 from
#   192.168.1.10:5061, 2002 from 192.168.2.10:5062. Then H2 answers on 5062
#   (scenarios/media-nat-uas.xml: SDP c= 192.168.2.10, m= 6000, and it talks from the moment it
#   answers) and H1 calls sip:2002@resproxy.local from 5061 (scenarios/media-nat-uac.xml: SDP
#   c= 192.168.1.10, m= 6000, talks after the ACK, BYE after TALK_MS). Each plays a G.711 u-law
#   stream of 20 ms packets made by media_nat.py whose payloads start with its tag (H1tx, H2tx).
#   tcpdump in H1 and H2 records the UDP to and from the phone's media port 6000.
#
# Checks, each a PASS or FAIL line:
#   isolation   N1 has no route to 192.168.2.10, N2 none to 192.168.1.10
#   register    2001 and 2002 get 200 (phone.xml logs "registered"), and resproxy's sip_log shows
#               their REGISTERs arriving from the NATs' outside addresses (the NAT is in the path)
#   call        H1's SIPp exits 0 with 1 successful call, H2's likewise (INVITE, 200, ACK and BYE
#               through resproxy and both NATs)
#   sdp         the offer H2 received and the answer H1 received name c= 203.0.113.1 with an m=
#               port in 40000-40999: the relay rewrote them
#   audio       H1 received >= MIN_RTP RTP packets from 203.0.113.1 carrying H2's stream (tag
#               H2tx), and H2 >= MIN_RTP from 203.0.113.1 carrying H1's (H1tx): audio both ways
#   resproxy    alive after the call; SIGTERM: exit 0
# Without the relay (MEDIA_RELAY=0: no [media_relay] section) isolation, register and call pass
# and sdp and audio fail: each phone sends to the other's private address, which N1/N2 cannot
# route ("H1 received 0 RTP packets from the relay"). That is the evidence the test can fail.
# With MEDIA_RELAY=1 and a resproxy that refuses [media_relay] (no relay in it yet) the test
# fails at once, with the daemon's reason.
# STANDIN_RELAY=1 (implies MEDIA_RELAY=0) is the harness' own positive control: `media_nat.py
# relay` on 203.0.113.1:40000/40002 stands in for the relay's data path, and a DNAT rule in each
# phone's namespace sends its RTP for the other's private address there (what the SDP rewrite
# would have done). The audio checks must then pass (sdp still fails: nobody rewrote it).
#
# Exit status: 0 every check passed, 1 a check failed, 77 skipped (not root, no `ip netns` with
# veths and a bridge, or no working iptables MASQUERADE in a namespace).
# env: lib.sh's (RESPROXY_BIN, E2E_KEEP, E2E_TMP), MEDIA_RELAY=1, MIN_RTP=100 (of the 250
# packets in each 5 s stream), TALK_MS=5500 (the call's length after the ACK), STANDIN_RELAY=0
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (network namespaces, iptables, raw sockets for SIPp's RTP)"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: ip (iproute2) not found"; exit 77; }
probe=rpmn$$probe
if ! { ip netns add "$probe" && ip -n "$probe" link add a0 type veth peer name a1 &&
       ip -n "$probe" link add b0 type bridge; } 2>/dev/null; then
  ip netns del "$probe" 2>/dev/null
  echo "SKIP: cannot make a network namespace with a veth pair and a bridge (ip netns add; needs root)"
  exit 77
fi
IPT=""
for ipt in iptables iptables-legacy; do
  command -v "$ipt" >/dev/null || continue
  if ip netns exec "$probe" "$ipt" -t nat -A POSTROUTING -o a0 -j MASQUERADE 2>/dev/null; then IPT=$ipt; break; fi
done
ip netns del "$probe"
[[ -n $IPT ]] || { echo "SKIP: no iptables that can add a nat MASQUERADE rule in a network namespace"; exit 77; }

# shellcheck source=lib.sh
source "$HERE/lib.sh"
command -v tcpdump >/dev/null || { echo "FAIL: tcpdump not installed (scripts/setup.sh)" >&2; exit 1; }
PY=$HERE/media_nat.py

MEDIA_RELAY=${MEDIA_RELAY:-1}
STANDIN_RELAY=${STANDIN_RELAY:-0}
[[ $STANDIN_RELAY == 1 ]] && MEDIA_RELAY=0
MIN_RTP=${MIN_RTP:-100}
TALK_MS=${TALK_MS:-5500}
STREAM_S=5            # each phone's stream: 250 packets of 20 ms

NP=rpmn$$p NN1=rpmn$$n1 NN2=rpmn$$n2 NH1=rpmn$$h1 NH2=rpmn$$h2
P_IP=203.0.113.1 N1_OUT=203.0.113.11 N2_OUT=203.0.113.12
H1_IP=192.168.1.10 H2_IP=192.168.2.10
H1_SIP=5061 H2_SIP=5062 MEDIA_PORT=6000 SIP_PORT=5060
RELAY_MIN=40000 RELAY_MAX=40999

# on exit: the processes first (they hold the namespaces), then the namespaces (their veths,
# bridge and NAT rules go with them), then lib.sh's cleanup with the script's exit status
# shellcheck disable=SC2317  # invoked by the trap
on_exit() {
  local rc=$? p ns
  for p in "${PIDS[@]}"; do stop_pid "$p" 2; done
  PIDS=()
  for ns in "$NH1" "$NH2" "$NN1" "$NN2" "$NP"; do ip netns del "$ns" 2>/dev/null; done
  (exit "$rc")
  cleanup
}
trap on_exit EXIT

# --- topology -------------------------------------------------------------------------------
# nat_router I: N<I> between the bridge in P and the LAN of H<I>
nat_router() {
  local i=$1 nn hn out
  nn=rpmn$$n$i hn=rpmn$$h$i out=203.0.113.1$i
  ip -n "$NP" link add "n$i" type veth peer name wan0 netns "$nn" || return 1
  ip -n "$NP" link set "n$i" master br0 && ip -n "$NP" link set "n$i" up || return 1
  ip -n "$nn" addr add "$out/24" dev wan0 && ip -n "$nn" link set wan0 up || return 1
  ip -n "$nn" link add lan0 type veth peer name eth0 netns "$hn" || return 1
  ip -n "$nn" addr add "192.168.$i.1/24" dev lan0 && ip -n "$nn" link set lan0 up || return 1
  ip -n "$hn" addr add "192.168.$i.10/24" dev eth0 && ip -n "$hn" link set eth0 up || return 1
  ip -n "$hn" route add default via "192.168.$i.1" || return 1
  ip netns exec "$nn" sysctl -qw net.ipv4.ip_forward=1 || return 1
  ip netns exec "$nn" "$IPT" -t nat -A POSTROUTING -o wan0 -j MASQUERADE || return 1
}
setup_net() {
  local ns
  for ns in "$NP" "$NN1" "$NN2" "$NH1" "$NH2"; do ip netns add "$ns" && ip -n "$ns" link set lo up || return 1; done
  ip -n "$NP" link add br0 type bridge || return 1
  ip -n "$NP" addr add "$P_IP/24" dev br0 && ip -n "$NP" link set br0 up || return 1
  nat_router 1 && nat_router 2
}
setup_net || { fail "cannot build the namespaces, veths, bridge and NAT rules"; finish; }
log "namespaces: $NP (br0 $P_IP/24), NAT $NN1 ($N1_OUT | 192.168.1.1), NAT $NN2 ($N2_OUT | 192.168.2.1)," \
  "phone $NH1 ($H1_IP), phone $NH2 ($H2_IP); MASQUERADE by $IPT ($($IPT -V 2>/dev/null))"

# isolation: the LANs reach each other only through resproxy
if ! ip -n "$NN1" route get "$H2_IP" >/dev/null 2>&1 && ! ip -n "$NN2" route get "$H1_IP" >/dev/null 2>&1; then
  log "PASS isolation: $NN1 has no route to $H2_IP, $NN2 none to $H1_IP"
else
  fail "isolation: a NAT router can route to the other phone's LAN: $(ip -n "$NN1" route get "$H2_IP" 2>&1) / $(ip -n "$NN2" route get "$H1_IP" 2>&1)"
fi

# --- resproxy in P --------------------------------------------------------------------------
CONF=$T/resproxy.ini PROXY_DATA=$T/data SIPLOG=$T/sip.log TRACE=$T/trace.jsonl
{
  printf '[sipproxy]\nmode = standalone\nrealm = resproxy.local\n'
  # P has no default route: name the address for Via and Record-Route (else 127.0.0.1)
  printf 'listen_address = 0.0.0.0\nrx_port = %s\nadvertised_address = %s\n' "$SIP_PORT" "$P_IP"
  printf '[advanced.sipproxy]\nsip_log = %s\ntrace_log = %s\n' "$SIPLOG" "$TRACE"
  # the NATs' outside addresses: the phones register and call without credentials
  printf '[sipproxy.trust.1]\nenable = 1\nipmin = %s\nipmax = %s\n' "$N1_OUT" "$N2_OUT"
  if [[ $MEDIA_RELAY == 1 ]]; then
    printf '[media_relay]\nenable = 1\naddress = %s\nport_min = %s\nport_max = %s\nrelay_phones = nat\n' \
      "$P_IP" "$RELAY_MIN" "$RELAY_MAX"
  fi
} >"$CONF"
if ! "$RESPROXY_BIN" --check-config "$CONF" >"$T/check-config.out" 2>&1; then
  if [[ $MEDIA_RELAY == 1 ]] && grep -q 'media_relay.*unknown section' "$T/check-config.out"; then
    fail "this resproxy has no media relay: it refuses [media_relay]: $(cat "$T/check-config.out")" \
      "(MEDIA_RELAY=0 runs the same test without the section: the signalling passes, the audio fails)"
  else
    fail "resproxy --check-config refuses $CONF: $(cat "$T/check-config.out")"
  fi
  finish
fi
ip netns exec "$NP" "$RESPROXY_BIN" --config "$CONF" --data-dir "$PROXY_DATA" --pidfile "$T/resproxy.pid" \
  >"$T/resproxy-1.log" 2>&1 </dev/null &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
await_listening "$T/resproxy-1.log" "$PROXY_PID" || finish
log "resproxy pid $PROXY_PID in $NP on 0.0.0.0:$SIP_PORT (MEDIA_RELAY=$MEDIA_RELAY)"

# --- registrations --------------------------------------------------------------------------
# register NAME NS IP PORT USER: phone.xml from IP:PORT inside NS, bounded (15 s); SIPp exits 0
# with the 200 seen
register() {
  local name=$1 ns=$2 ip=$3 port=$4 user=$5 rc
  users_csv "$T/$name-users.csv" "$user"
  timeout -k 2 15 ip netns exec "$ns" sipp "$P_IP:$SIP_PORT" -sf "$SCEN/phone.xml" -inf "$T/$name-users.csv" \
    -m 1 -d 0 -i "$ip" -p "$port" -mp 6010 -t u1 -nostdin -recv_timeout 5000 \
    -trace_logs -log_file "$T/$name-phone.log" -trace_err -error_file "$T/$name-errors.log" \
    >"$T/$name.out" 2>&1 </dev/null
  rc=$?
  if [[ $rc -eq 0 ]] && grep -q "^registered $user " "$T/$name-phone.log" 2>/dev/null; then
    log "PASS register-$name: $user registered from $ip:$port ($(grep "^registered $user " "$T/$name-phone.log"))"
    return 0
  fi
  fail "register-$name: $user from $ip:$port: sipp rc=$rc, no 200: $(tail -3 "$T/$name.out" | tr '\n' ' ')"
  return 1
}
# from_nat USER OUTSIDE-IP: resproxy's sip_log has a REGISTER of USER arriving from OUTSIDE-IP
from_nat() {
  awk -v src="UDP in $2:" -v user="$1" '
    index($0, src) { hdr = 1; next }
    hdr && /^REGISTER / { reg = 1 }
    reg && /^(From|f):/ && index($0, "sip:" user "@") { found = 1 }
    /^$/ { hdr = 0; reg = 0 }
    END { exit !found }' "$SIPLOG"
}
register h1 "$NH1" "$H1_IP" "$H1_SIP" 2001 || finish
register h2 "$NH2" "$H2_IP" "$H2_SIP" 2002 || finish
for pair in "2001 $N1_OUT" "2002 $N2_OUT"; do
  read -r user out <<<"$pair"
  if from_nat "$user" "$out"; then
    log "PASS register-via-nat: $user's REGISTER reached resproxy from the NAT's outside address $out"
  else
    fail "register-via-nat: resproxy's sip_log shows no REGISTER of $user from $out (is the NAT in the path?)"
  fi
done

# --- the call -------------------------------------------------------------------------------
python3 "$PY" stream "$T/media-nat-uac.pcap" H1tx "$STREAM_S" || { fail "media_nat.py stream failed"; finish; }
python3 "$PY" stream "$T/media-nat-uas.pcap" H2tx "$STREAM_S" || { fail "media_nat.py stream failed"; finish; }

# capture NAME NS: tcpdump of the UDP to and from the phone's media port, $T/NAME-rx.pcap;
# waits (<= 5 s) until it listens
capture() {
  local name=$1 ns=$2 i
  timeout -k 2 60 ip netns exec "$ns" tcpdump -i eth0 -nn -U -Z root -s 256 -w "$T/$name-rx.pcap" \
    "udp port $MEDIA_PORT" >"$T/$name-tcpdump.out" 2>&1 </dev/null &
  PIDS+=("$!")
  eval "${name^^}_DUMP=$!"
  for ((i = 0; i < 50; i++)); do
    grep -q 'listening on' "$T/$name-tcpdump.out" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "tcpdump in $ns did not start: $(cat "$T/$name-tcpdump.out")"
  return 1
}
capture h1 "$NH1" || finish
capture h2 "$NH2" || finish

if [[ $STANDIN_RELAY == 1 ]]; then
  log "STANDIN_RELAY=1: media_nat.py relay on $P_IP:$RELAY_MIN/$((RELAY_MIN + 2)), DNAT of each phone's RTP to it"
  timeout -k 2 40 ip netns exec "$NP" python3 "$PY" relay "$P_IP" "$RELAY_MIN" $((RELAY_MIN + 2)) 30 \
    >"$T/standin-relay.out" 2>&1 </dev/null &
  STANDIN_PID=$!
  PIDS+=("$STANDIN_PID")
  for ((i = 0; i < 50; i++)); do
    ip netns exec "$NP" ss -Hlun "sport = :$((RELAY_MIN + 2))" 2>/dev/null | grep -q . && break
    sleep 0.1
  done
  { ip netns exec "$NH1" "$IPT" -t nat -A OUTPUT -p udp -d "$H2_IP" --dport "$MEDIA_PORT" \
      -j DNAT --to-destination "$P_IP:$RELAY_MIN" &&
    ip netns exec "$NH2" "$IPT" -t nat -A OUTPUT -p udp -d "$H1_IP" --dport "$MEDIA_PORT" \
      -j DNAT --to-destination "$P_IP:$((RELAY_MIN + 2))"; } || { fail "cannot add the stand-in's DNAT rules"; finish; }
fi

# H2 answers on the port it registered from (the NAT's mapping of it is what resproxy knows);
# SIPp runs in $T, where its scenario finds media-nat-uas.pcap
(cd "$T" && exec timeout -k 2 40 ip netns exec "$NH2" sipp -sf "$SCEN/media-nat-uas.xml" -key user 2002 \
  -i "$H2_IP" -p "$H2_SIP" -mp "$MEDIA_PORT" -t u1 -m 1 -nostdin -timeout 30s -recv_timeout 20000 \
  -trace_stat -stf "$T/h2-uas-stats.csv" -fd 1 -trace_err -error_file "$T/h2-uas-errors.log" \
  -trace_logs -log_file "$T/h2-uas-phone.log" -trace_msg -message_file "$T/h2-uas-messages.log" \
  >"$T/h2-uas.out" 2>&1 </dev/null) &
UAS_PID=$!
PIDS+=("$UAS_PID")
for ((i = 0; i < 50; i++)); do
  ip netns exec "$NH2" ss -Hlun "sport = :$H2_SIP" 2>/dev/null | grep -q . && break
  sleep 0.1
done
kill -0 "$UAS_PID" 2>/dev/null || { fail "H2's SIPp (UAS) did not start: $(tail -3 "$T/h2-uas.out")"; finish; }

log "H1 (2001) calls sip:2002@resproxy.local; both talk for ${STREAM_S} s, BYE after $TALK_MS ms"
(cd "$T" && exec timeout -k 2 40 ip netns exec "$NH1" sipp "$P_IP:$SIP_PORT" -sf "$SCEN/media-nat-uac.xml" \
  -s 2002 -key user 2001 -i "$H1_IP" -p "$H1_SIP" -mp "$MEDIA_PORT" -t u1 -m 1 -d "$TALK_MS" \
  -nostdin -timeout 30s -recv_timeout 10000 \
  -trace_stat -stf "$T/h1-uac-stats.csv" -fd 1 -trace_err -error_file "$T/h1-uac-errors.log" \
  -trace_logs -log_file "$T/h1-uac-phone.log" -trace_msg -message_file "$T/h1-uac-messages.log" \
  >"$T/h1-uac.out" 2>&1 </dev/null)
UAC_RC=$?
UAC_OK=$(sipp_stat "$T/h1-uac-stats.csv" 'SuccessfulCall(C)')
if [[ $UAC_RC -eq 0 && $UAC_OK -eq 1 ]]; then
  log "PASS call-h1: the caller's SIPp exited 0, 1 successful call (INVITE/200/ACK/BYE/200 through resproxy and both NATs)"
else
  fail "call-h1: the caller's SIPp exited $UAC_RC with $UAC_OK successful call(s): $(grep -m 2 -E 'Aborting|unexpected|failed|timeout' "$T/h1-uac-errors.log" 2>/dev/null | cut -c1-300 | tr '\n' ' ')"
fi
# the callee ends by itself after the BYE (1 s timewait); <= 10 s
for ((i = 0; i < 100; i++)); do kill -0 "$UAS_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$UAS_PID" 2>/dev/null; then
  fail "call-h2: the callee's SIPp still running 10 s after the caller ended"
  stop_pid "$UAS_PID" 1
else
  wait "$UAS_PID" 2>/dev/null
  UAS_RC=$?
  UAS_OK=$(sipp_stat "$T/h2-uas-stats.csv" 'SuccessfulCall(C)')
  if [[ $UAS_RC -eq 0 && $UAS_OK -eq 1 ]]; then
    log "PASS call-h2: the callee's SIPp exited 0, 1 successful call"
  else
    fail "call-h2: the callee's SIPp exited $UAS_RC with $UAS_OK successful call(s): $(grep -m 2 -E 'Aborting|unexpected|failed|timeout' "$T/h2-uas-errors.log" 2>/dev/null | cut -c1-300 | tr '\n' ' ')"
  fi
fi
sleep 0.3   # the last packets in flight
stop_pid "$H1_DUMP" 3
stop_pid "$H2_DUMP" 3
[[ -n ${STANDIN_PID:-} ]] && stop_pid "$STANDIN_PID" 2

# --- what the relay did to the SDP ----------------------------------------------------------
# sdp_check NAME LOG WHAT: the phone's logged "sdp-… c=<ip> m=<port>" names the relay
sdp_check() {
  local name=$1 file=$2 what=$3 line c m
  line=$(grep -m 1 "^sdp-" "$file" 2>/dev/null)
  c=$(sed -n 's/.* c=\([^ ]*\) .*/\1/p' <<<"$line")
  m=$(sed -n 's/.* m=\([0-9]*\) .*/\1/p' <<<"$line")
  if [[ $c == "$P_IP" && -n $m && $m -ge $RELAY_MIN && $m -le $RELAY_MAX ]]; then
    log "PASS sdp-$name: the $what names the relay, c=$c m=$m"
  else
    fail "sdp-$name: the $what names c=${c:-?} m=${m:-?}, expected c=$P_IP and a port in $RELAY_MIN-$RELAY_MAX (not rewritten by a relay)"
  fi
}
sdp_check h2 "$T/h2-uas-phone.log" "offer H2 received (INVITE)"
sdp_check h1 "$T/h1-uac-phone.log" "answer H1 received (200)"

# --- audio both ways ------------------------------------------------------------------------
# heard NAME IP OTHER-TAG OWN-TAG: RTP that reached the phone's media port, from the relay
heard() {
  local name=$1 ip=$2 other=$3 own=$4 out rtp relay got sent sent_to
  out=$(python3 "$PY" heard "$T/$name-rx.pcap" "$ip" "$MEDIA_PORT" "$P_IP" "$other" "$own" 2>&1)
  rtp=$(sed -n 's/.*\brtp=\([0-9]*\).*/\1/p' <<<"$out")
  relay=$(sed -n 's/.*\brelay=\([0-9]*\).*/\1/p' <<<"$out")
  got=$(sed -n "s/.*\b$other=\([0-9]*\).*/\1/p" <<<"$out")
  sent=$(sed -n 's/.*\bsent=\([0-9]*\).*/\1/p' <<<"$out")
  sent_to=$(sed -n 's/.*\bsent_to=\([^ ]*\).*/\1/p' <<<"$out")
  log "${name^^} heard: $out"
  if [[ ${got:-0} -ge $MIN_RTP ]]; then
    log "PASS audio-$name: ${name^^} received $got RTP packets of the other phone's stream ($other) from the relay $P_IP"
  else
    fail "audio-$name: ${name^^} received ${relay:-0} RTP packets from the relay $P_IP, ${got:-0} of them the other phone's stream ($other); expected >= $MIN_RTP (${rtp:-0} RTP packets from anywhere; it sent ${sent:-0}, by destination: ${sent_to:--})"
  fi
}
heard h1 "$H1_IP" H2tx H1tx
heard h2 "$H2_IP" H1tx H2tx
[[ $STANDIN_RELAY == 1 ]] && log "stand-in: $(cat "$T/standin-relay.out" 2>/dev/null)"
log "NAT rules: $NN1: $(ip netns exec "$NN1" "$IPT" -t nat -L POSTROUTING -v -n -x 2>/dev/null | awk '/MASQUERADE/ { print $1 " flows masqueraded" }');" \
  "$NN2: $(ip netns exec "$NN2" "$IPT" -t nat -L POSTROUTING -v -n -x 2>/dev/null | awk '/MASQUERADE/ { print $1 " flows masqueraded" }')"

# --- the daemon -----------------------------------------------------------------------------
if proxy_alive; then log "PASS resproxy: alive after the call"; else fail "resproxy: died during the test"; fi
stop_proxy   # fail()s unless SIGTERM ends it with exit status 0 within 5 s
finish
