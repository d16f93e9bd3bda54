#!/usr/bin/env bash
# End-to-end: resproxy's media relay gets audio both ways for two phones that are each behind a
# real masquerading NAT (issue #13 step b). Without the relay the phones' SDP names private
# addresses the other side cannot reach: the call connects and nobody hears anything.
# Then, in the same namespaces and the same resproxy run, the relay's inactivity timeout: an
# answered call that falls silent is ended with a BYE to each phone, a call on hold is not.
# With EXTERNAL=resproxy-media or EXTERNAL=rtpengine the same audio call goes through an external
# relay that resproxy drives over ng (resproxy itself opens no media port), then that relay is
# killed in a talking call (resproxy must hang it up, Reason Q.850;cause=38) and the next call
# falls back to the built-in relay.
#
# Five network namespaces made here (names unique per run, deleted on exit, nothing on the host):
#   P   the proxy box on "the internet": br0 203.0.113.1/24, a bridge whose ports are veths to
#       N1 and N2; resproxy runs here on 0.0.0.0:5060, standalone, realm resproxy.local, the
#       NATs' outside addresses trusted as [sipproxy.trust.1] 203.0.113.11-203.0.113.12, and
#       (MEDIA_RELAY=1) [media_relay] on 203.0.113.1, ports 40000-40999, relay_phones = nat,
#       inactivity_timeout = INACTIVITY (10 s; hold_timeout stays 3600 s).
#       EXTERNAL=resproxy-media: also resproxy-media (RESPROXY_MEDIA_BIN) --interface=203.0.113.1
#       --listen-ng=127.0.0.1:2223 --port-min=42000 --port-max=42999 --ng-secret-file (a random
#       secret) --trusted-ng=192.0.2.1 (nobody here: even loopback must sign) --foreground;
#       EXTERNAL=rtpengine: rtpengine --config-file=none --table=-1 --interface=203.0.113.1
#       --listen-ng=127.0.0.1:2223 --port-min=42000 --port-max=42999 --foreground (plain ng).
#       resproxy then has builtin_weight = 0, ng_timeout_ms = 200, ng_tries = 2,
#       ng_ping_interval = 1, ng_failures_to_down = 1 and [media_relay.relay.1] address
#       127.0.0.1:2223, weight 1, secret = the relay's (empty for rtpengine): the external relay
#       takes every call while it answers, the built-in relay is the spare of last resort
#   N1  a NAT router: wan0 203.0.113.11/24 (outside), lan0 192.168.1.1/24, ip_forward=1,
#       iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE; no route to 192.168.2.0/24
#   N2  the same: wan0 203.0.113.12/24, lan0 192.168.2.1/24
#   H1  phone 2001: eth0 192.168.1.10/24, default route via 192.168.1.1 (N1)
#   H2  phone 2002: eth0 192.168.2.10/24, default route via 192.168.2.1 (N2)
# The two LANs cannot reach each other (checked: `ip route get` fails in N1 and N2); the only
# way from one phone to the other is resproxy on 203.0.113.1.
#
# Phases, one after the other (SIPp inside H1 and H2; play_pcap_audio needs root, which the
# namespaces need anyway):
# audio:
#   both register through resproxy with their private Contact (phone.xml, -d 0): 2001 from
#   192.168.1.10:5061, 2002 from 192.168.2.10:5062. Then H2 answers on 5062
#   (scenarios/media-nat-uas.xml: SDP c= 192.168.2.10, m= 6000, and it talks from the moment it
#   answers) and H1 calls sip:2002@resproxy.local from 5061 (scenarios/media-nat-uac.xml: SDP
#   c= 192.168.1.10, m= 6000, talks after the ACK, BYE after TALK_MS). Each plays a G.711 u-law
#   stream of 20 ms packets made by media_nat.py whose payloads start with its tag (H1tx, H2tx).
#   tcpdump in H1 and H2 records the UDP to and from the phone's media port 6000. Both talk
#   until the BYE, so the inactivity timeout (10 s) never runs out in this call. With EXTERNAL
#   resproxy sends the external relay ng offer / answer / delete and forwards the relay's SDP.
# silence (MEDIA_RELAY=1, no EXTERNAL: the built-in relay's inactivity timer does not apply to
#   an external relay's calls): H1 calls 2002 again (scenarios/media-nat-silent-uac.xml, H2 on
#   media-nat-silent-uas.xml); both talk for SILENT_S (2 s) after the answer and then send nothing
#   — no RTP, no RTCP, no request — but stay in the call, each waiting (<= BYE_WAIT_S, 25 s; H2
#   5 s longer) for a BYE, which it answers 200. resproxy's relay must send it to both, with
#   Reason Q.850;cause=102, inactivity_timeout after the last RTP. tcpdump in H1 and H2 records
#   the media port and the phones' SIP ports (the BYE's arrival time and Reason).
# hold (MEDIA_RELAY=1, HOLD=1, no EXTERNAL): H1 calls 2002 a third time (media-nat-hold-uac.xml, H2 again on
#   media-nat-silent-uas.xml); both talk for SILENT_S, then H1 puts the call on hold — a
#   re-INVITE through resproxy with a=sendonly (HOLD_DIR), H2 answers a=recvonly — and both are
#   silent for inactivity_timeout + 5 s; then H1 hangs up itself (BYE, 200). A BYE from the relay
#   meanwhile would make H1's SIPp abort the call (unexpected message).
# lost (EXTERNAL only; instead of silence and hold): H1 calls 2002 (media-nat-silent-uac.xml, H2
#   on media-nat-silent-uas.xml) through the external relay; both talk (streams of LOST_TALK_S,
#   6 s). Once each phone's capture (media and SIP ports) holds LOST_HEARD (100, 2 s) packets of
#   the other's stream from the relay, the relay is killed (SIGKILL). Its pings go unanswered
#   (1 s apart, 2 sends 200 ms apart), resproxy marks it down and must end the answered call
#   with a BYE to each phone with Reason Q.850;cause=38; each waits (<= BYE_WAIT_S, 12 s with
#   EXTERNAL) for it and answers 200. Then, the relay still dead, a call like the audio phase's
#   (media-nat-uac.xml / -uas.xml, 5 s of audio each way): with no external relay up it goes to
#   the built-in relay (40000-40999) despite builtin_weight = 0.
#   RESTART_RELAY=1: the relay is killed and at once started again (the same secret), so its pings
#   are answered throughout (ng_failures_to_down = 3: a short gap does not make it down) but the
#   call is gone from it. resproxy's audit (ng_audit_interval = 1 s: an ng query of the call)
#   must find that and end the call the same way (cause 38) within LOST_BYE_S; lost-counters
#   then wants media_calls_forgotten 1 and media_relays_down 0, and the next call goes to the
#   restarted relay (42000-42999), not the built-in one.
#
# Checks, each a PASS or FAIL line:
#   isolation   N1 has no route to 192.168.2.10, N2 none to 192.168.1.10
#   register    2001 and 2002 get 200 (phone.xml logs "registered"), and resproxy's sip_log shows
#               their REGISTERs arriving from the NATs' outside addresses (the NAT is in the path)
#   call        H1's SIPp exits 0 with 1 successful call, H2's likewise (INVITE, 200, ACK and BYE
#               through resproxy and both NATs)
#   sdp         the offer H2 received and the answer H1 received name c= 203.0.113.1 with an m=
#               port in 40000-40999: the relay rewrote them (EXTERNAL: a port in 42000-42999,
#               the external relay's range: that relay, not the built-in one, anchored the call)
#   audio       H1 received >= MIN_RTP RTP packets from 203.0.113.1 carrying H2's stream (tag
#               H2tx), and H2 >= MIN_RTP from 203.0.113.1 carrying H1's (H1tx): audio both ways
#   counters-audio    `resproxyctl show counters` after the audio call: media_calls_anchored 1,
#               media_calls_timed_out 0, media_calls_open 0, runtime.media_ports_open 0 (the
#               talking call was not timed out, its ports are closed); polled <= 5 s, like the others.
#               EXTERNAL: media_calls_anchored 1, media_calls_timed_out 0, media_calls_open 0,
#               runtime.media_ports_open 0, runtime.media_packets_in 0, media_packets_forwarded 0
#               (resproxy received and relayed no RTP itself), media_calls_external 1 if the
#               daemon has that counter
#   silence-call  both phones' SIPp exit 0 with 1 successful call: each got a BYE and answered it
#   silence-bye   in each phone's capture the first BYE carries Reason Q.850;cause=102 and arrives
#               between inactivity_timeout - 0.5 s and + 5 s after the last RTP on its media port;
#               SIPp logged the same Reason ("bye-received reason=...")
#   silence-counters  media_calls_anchored 2, media_calls_timed_out 1, media_calls_open 0,
#               runtime.media_ports_open 0 (the silent call was ended by the relay, ports closed)
#   hold-call     both SIPp exit 0 with 1 successful call (H1 ended it with its own BYE)
#   hold-reinvite H2 received the re-INVITE's a=sendonly and H1 the 200's a=recvonly
#   hold-no-bye   no BYE with cause 102 in either capture nor SIPp's message logs, none at all
#               at H1, and H2's capture shows >= inactivity_timeout + 5 s from the last RTP to H1's BYE
#   hold-counters media_calls_anchored 3, media_calls_timed_out still 1, media_calls_open 0,
#               runtime.media_ports_open 0
#   lost-talking  (EXTERNAL) before the kill each phone heard >= LOST_HEARD packets of the other's
#               stream from 203.0.113.1 (<= 10 s after the INVITE)
#   lost-anchored in that call: media_calls_open 1, runtime.media_ports_open 0,
#               runtime.media_packets_in 0 (the call is the external relay's)
#   lost-call     both phones' SIPp exit 0 with 1 successful call: each got a BYE and answered it
#   lost-bye      in each phone's capture the first BYE carries Reason Q.850;cause=38 and arrives
#               0 .. LOST_BYE_S (5 s) after the kill (about 1.3 s); SIPp logged the same Reason
#   lost-counters media_calls_lost 1, media_calls_open 0, runtime.media_ports_open 0
#               (RESTART_RELAY=1: also media_calls_forgotten 1, media_relays_down 0)
#   fallback-call, fallback-sdp, fallback-audio  the call after the kill, as call, sdp and audio
#               but with the built-in relay's ports 40000-40999 (RESTART_RELAY=1: the
#               restarted relay's, 42000-42999, and media_packets_forwarded 0)
#   fallback-counters media_calls_anchored 3, media_calls_open 0, runtime.media_ports_open 0,
#               media_packets_forwarded >= 2 * MIN_RTP (the built-in relay carried it),
#               media_calls_external 2 if the daemon has that counter
#   resproxy    alive after the calls; SIGTERM: exit 0
# Without the relay (MEDIA_RELAY=0: no [media_relay] section) isolation, register and call pass
# and sdp and audio fail: each phone sends to the other's private address, which N1/N2 cannot
# route ("H1 received 0 RTP packets from the relay"). That is the evidence the test can fail.
# (MEDIA_RELAY=0 skips the silence and hold phases: there is no relay to time anything out.)
# INACTIVITY=3600 is the silence phase's control: no BYE comes within BYE_WAIT_S, so H1's SIPp
# times out (and hangs up itself), silence-call-h1, silence-bye-h1/h2 and silence-counters fail
# (media_calls_timed_out 0); the hold phase is skipped (on by default only with INACTIVITY <= 30).
# HOLD_DIR=sendrecv is the hold phase's control: the re-INVITE is no hold, the relay ends the
# call inactivity_timeout after it, and hold-call-h1, hold-reinvite, hold-no-bye and
# hold-counters fail.
# With MEDIA_RELAY=1 and a resproxy that refuses [media_relay] (no relay in it yet) the test
# fails at once, with the daemon's reason.
# STANDIN_RELAY=1 (implies MEDIA_RELAY=0) is the harness' own positive control: `media_nat.py
# relay` on 203.0.113.1:40000/40002 stands in for the relay's data path, and a DNAT rule in each
# phone's namespace sends its RTP for the other's private address there (what the SDP rewrite
# would have done). The audio checks must then pass (sdp still fails: nobody rewrote it).
# EXTERNAL's controls: WRONG_SECRET=1 gives resproxy another secret than the relay's: with
# resproxy-media the relay answers each signed ping with an unsigned error ("Authentication
# failed"), which resproxy ignores (fail closed), so the relay is down from the start, no offer
# is ever sent and every call goes to the built-in relay: sdp-h1/h2 (40000-40999, not
# 42000-42999), counters-audio (media_packets_forwarded 498, media_calls_external 0),
# lost-anchored, lost-call-h1, lost-bye-h1/h2 (no BYE from resproxy: H1's SIPp waits BYE_WAIT_S
# in vain and hangs up itself, H2 gets that BYE, without a Reason), lost-counters and
# fallback-counters (media_calls_lost 0, media_calls_external 0) fail; audio and the fallback
# call's checks pass. KILL_RELAY=0 leaves the relay alive in phase lost: no BYE comes
# (lost-call-h1, lost-bye-h1/h2, lost-counters fail) and the next call still goes to the
# external relay (fallback-sdp-h1/h2: 42000-42999; fallback-counters: media_packets_forwarded 0).
#
# Exit status: 0 every check passed, 1 a check failed, 77 skipped (not root, no `ip netns` with
# veths and a bridge, or no working iptables MASQUERADE in a namespace).
# Wall time about 50 s: audio 12 s, silence 15 s, hold 20 s (INACTIVITY=3600: about 45 s).
# EXTERNAL: 26-31 s (setup 3 s, audio 10 s, lost 7-9 s, fallback 9 s); its controls WRONG_SECRET=1
# and KILL_RELAY=0 about 55 s (the failing counter checks poll 5 s each, H1 waits BYE_WAIT_S).
# env: lib.sh's (RESPROXY_BIN, E2E_KEEP, E2E_TMP), RESPROXYCTL_BIN (default: resproxyctl next to
# RESPROXY_BIN), MEDIA_RELAY=1, MIN_RTP=100 (of the 250 packets in each 5 s stream),
# TALK_MS=5500 (the call's length after the ACK), STANDIN_RELAY=0, INACTIVITY=10 (the relay's
# inactivity_timeout, 10..3600 s), SILENT_S=2 (talk before the silence), BYE_WAIT_S=25 (how long
# the silent phones wait for the relay's BYE; 12 with EXTERNAL), HOLD=1 if INACTIVITY <= 30
# else 0, HOLD_DIR=sendonly, EXTERNAL= (nothing: the built-in relay; resproxy-media, rtpengine:
# an external one; needs MEDIA_RELAY=1), RESPROXY_MEDIA_BIN (default: resproxy-media next to
# RESPROXY_BIN), MEDIA_IO_ENGINE=auto (resproxy-media's --io-engine: io_uring where the kernel
# allows it, else epoll; the log says which), MEDIA_THREADS=1 (resproxy-media's --num-threads: ctest runs it with 2, the
# sharded relay of media_shards.h), WRONG_SECRET=0, KILL_RELAY=1, RESTART_RELAY=0 (ctest runs the
# rtpengine variant with 1), LOST_TALK_S=6, LOST_HEARD=100, LOST_BYE_S=5
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
CTL=${RESPROXYCTL_BIN:-$(dirname "$RESPROXY_BIN")/resproxyctl}
[[ -x $CTL ]] || { echo "FAIL: resproxyctl not found at $CTL (set RESPROXYCTL_BIN)" >&2; exit 1; }

MEDIA_RELAY=${MEDIA_RELAY:-1}
STANDIN_RELAY=${STANDIN_RELAY:-0}
[[ $STANDIN_RELAY == 1 ]] && MEDIA_RELAY=0
EXTERNAL=${EXTERNAL:-}
WRONG_SECRET=${WRONG_SECRET:-0}
KILL_RELAY=${KILL_RELAY:-1}
RESTART_RELAY=${RESTART_RELAY:-0}
case $EXTERNAL in
  "") ;;
  resproxy-media)
    RESPROXY_MEDIA_BIN=${RESPROXY_MEDIA_BIN:-$(dirname "$RESPROXY_BIN")/resproxy-media}
    [[ -x $RESPROXY_MEDIA_BIN ]] || { echo "FAIL: resproxy-media not found at $RESPROXY_MEDIA_BIN (set RESPROXY_MEDIA_BIN)" >&2; exit 1; }
    ;;
  rtpengine)
    command -v rtpengine >/dev/null || { echo "FAIL: rtpengine not installed (scripts/setup.sh: rtpengine-daemon)" >&2; exit 1; }
    ;;
  *) echo "FAIL: EXTERNAL=$EXTERNAL: expected resproxy-media, rtpengine or nothing (the built-in relay)" >&2; exit 1 ;;
esac
if [[ -n $EXTERNAL && $MEDIA_RELAY != 1 ]]; then
  echo "FAIL: EXTERNAL=$EXTERNAL needs the [media_relay] section (MEDIA_RELAY=1, STANDIN_RELAY=0)" >&2
  exit 1
fi
MIN_RTP=${MIN_RTP:-100}
TALK_MS=${TALK_MS:-5500}
STREAM_S=5            # each phone's stream: 250 packets of 20 ms
INACTIVITY=${INACTIVITY:-10}
SILENT_S=${SILENT_S:-2}
# the silent phones' wait for a BYE: the relay's inactivity BYE (silence), the lost relay's (lost)
if [[ -n $EXTERNAL ]]; then BYE_WAIT_S=${BYE_WAIT_S:-12}; else BYE_WAIT_S=${BYE_WAIT_S:-25}; fi
HOLD_DIR=${HOLD_DIR:-sendonly}
# the hold phase lasts inactivity_timeout + 5 s on hold: only with a short timeout
if [[ -z ${HOLD:-} ]]; then if [[ $INACTIVITY -le 30 ]]; then HOLD=1; else HOLD=0; fi; fi
# phase lost: each phone's stream (it talks until the relay dies), the RTP each must have heard
# before the kill (50 packets a second), the longest the BYEs may take after it
LOST_TALK_S=${LOST_TALK_S:-6}
LOST_HEARD=${LOST_HEARD:-100}
LOST_BYE_S=${LOST_BYE_S:-5}

NP=rpmn$$p NN1=rpmn$$n1 NN2=rpmn$$n2 NH1=rpmn$$h1 NH2=rpmn$$h2
P_IP=203.0.113.1 N1_OUT=203.0.113.11 N2_OUT=203.0.113.12
H1_IP=192.168.1.10 H2_IP=192.168.2.10
H1_SIP=5061 H2_SIP=5062 MEDIA_PORT=6000 SIP_PORT=5060
RELAY_MIN=40000 RELAY_MAX=40999
# EXTERNAL: the external relay's media ports and ng control address in P
EXT_MIN=42000 EXT_MAX=42999 NG_ADDR=127.0.0.1:2223

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

# --- the external relay in P (EXTERNAL) -----------------------------------------------------
# resproxy-media: signed ng only (--ng-secret-file; --trusted-ng names an address nobody here
# has, so not even loopback may send plain ng: resproxy must sign); rtpengine: plain ng from
# loopback. Both on 203.0.113.1, media ports 42000-42999, ng on 127.0.0.1:2223 in P.
# RELAY_PID: the relay itself (`ip netns exec` execs it), killed with SIGKILL in phase lost.
start_external() {
  local secret i
  if [[ $EXTERNAL == resproxy-media ]]; then
    if [[ ! -s $T/ng.secret ]]; then  # a restart keeps the secret resproxy has
      secret=mnat-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
      printf '%s\n' "$secret" >"$T/ng.secret"
    fi
    NG_SECRET=$(cat "$T/ng.secret")
    ip netns exec "$NP" "$RESPROXY_MEDIA_BIN" --interface="$P_IP" --listen-ng="$NG_ADDR" \
      --port-min="$EXT_MIN" --port-max="$EXT_MAX" --ng-secret-file="$T/ng.secret" --trusted-ng=192.0.2.1 \
      --num-threads="${MEDIA_THREADS:-1}" --io-engine="${MEDIA_IO_ENGINE:-auto}" --foreground --log-stderr --pidfile="$T/relay.pid" >"$T/relay.log" 2>&1 </dev/null &
  else
    NG_SECRET=""
    ip netns exec "$NP" rtpengine --config-file=none --foreground --table=-1 --interface="$P_IP" \
      --listen-ng="$NG_ADDR" --port-min="$EXT_MIN" --port-max="$EXT_MAX" --log-stderr \
      --pidfile="$T/relay.pid" >"$T/relay.log" 2>&1 </dev/null &
  fi
  RELAY_PID=$!
  PIDS+=("$RELAY_PID")
  for ((i = 0; i < 100; i++)); do
    ip netns exec "$NP" ss -Hlun "sport = :${NG_ADDR##*:}" 2>/dev/null | grep -q . && break
    kill -0 "$RELAY_PID" 2>/dev/null || break
    sleep 0.1
  done
  if ! ip netns exec "$NP" ss -Hlun "sport = :${NG_ADDR##*:}" 2>/dev/null | grep -q .; then
    fail "$EXTERNAL did not listen on udp $NG_ADDR in $NP within 10 s: $(tail -3 "$T/relay.log" | tr '\n' ' ')"
    return 1
  fi
  # the secret resproxy is given: the relay's, or (WRONG_SECRET=1, the control) another one
  if [[ $WRONG_SECRET == 1 ]]; then
    RESPROXY_SECRET=wrong-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  else
    RESPROXY_SECRET=$NG_SECRET
  fi
  log "$EXTERNAL pid $RELAY_PID in $NP: ng on $NG_ADDR ($([[ -n $NG_SECRET ]] && echo signed only || echo plain)), media on $P_IP:$EXT_MIN-$EXT_MAX" \
    "$([[ $WRONG_SECRET == 1 ]] && echo "; WRONG_SECRET=1: resproxy is given another secret")"
  if [[ $EXTERNAL == resproxy-media ]]; then log "resproxy-media's $(grep -m1 -o 'data path: .*' "$T/relay.log")"; fi
}
if [[ -n $EXTERNAL ]]; then start_external || finish; fi

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
    printf 'inactivity_timeout = %s\n' "$INACTIVITY"
    if [[ -n $EXTERNAL ]]; then
      # the external relay takes every call while it is up; the built-in one is the spare of
      # last resort. Fast ng: a relay that stops answering is down within about 1.5 s
      printf 'builtin_weight = 0\nng_timeout_ms = 200\nng_tries = 2\nng_ping_interval = 1\n'
      if [[ $RESTART_RELAY == 1 ]]; then
        # a restart must not make it down (3 unanswered pings would); the audit finds the lost call
        printf 'ng_failures_to_down = 3\nng_audit_interval = 1\n'
      else
        printf 'ng_failures_to_down = 1\n'
      fi
      printf '[media_relay.relay.1]\nenable = 1\naddress = %s\nweight = 1\nsecret = %s\n' "$NG_ADDR" "$RESPROXY_SECRET"
    fi
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
log "resproxy pid $PROXY_PID in $NP on 0.0.0.0:$SIP_PORT (MEDIA_RELAY=$MEDIA_RELAY, inactivity_timeout = $INACTIVITY s$([[ -n $EXTERNAL ]] && echo ", external relay $EXTERNAL at $NG_ADDR, builtin_weight = 0"))"

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

# capture NAME NS [FILTER]: tcpdump of the UDP to and from the phone's media port (or FILTER),
# $T/NAME-rx.pcap; waits (<= 5 s) until it listens. --immediate-mode: libpcap hands over each
# packet at once; without it (TPACKET_V3) packets wait in a ring block for up to a second, and
# those of the block still open when tcpdump is stopped are lost ("received by filter" but not
# "captured": a BYE that came 0.5 s before the stop was missing once)
capture() {
  local name=$1 ns=$2 filter=${3:-udp port $MEDIA_PORT} snap=${4:-256} i
  timeout -k 2 60 ip netns exec "$ns" tcpdump -i eth0 -nn -U --immediate-mode -Z root -s "$snap" -w "$T/$name-rx.pcap" \
    "$filter" >"$T/$name-tcpdump.out" 2>&1 </dev/null &
  PIDS+=("$!")
  eval "${name^^}_DUMP=$!"
  for ((i = 0; i < 50; i++)); do
    grep -q 'listening on' "$T/$name-tcpdump.out" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "tcpdump in $ns did not start: $(cat "$T/$name-tcpdump.out")"
  return 1
}

# --- what the relay did to the SDP ----------------------------------------------------------
# sdp_check LABEL LOG WHAT MIN MAX RELAY: the phone's logged "sdp-… c=<ip> m=<port>" names the
# relay: c= 203.0.113.1 and an m= port in MIN-MAX
sdp_check() {
  local label=$1 file=$2 what=$3 min=$4 max=$5 relay=$6 line c m
  line=$(grep -m 1 "^sdp-" "$file" 2>/dev/null)
  c=$(sed -n 's/.* c=\([^ ]*\) .*/\1/p' <<<"$line")
  m=$(sed -n 's/.* m=\([0-9]*\) .*/\1/p' <<<"$line")
  if [[ $c == "$P_IP" && -n $m && $m -ge $min && $m -le $max ]]; then
    log "PASS $label: the $what names the $relay, c=$c m=$m"
  else
    fail "$label: the $what names c=${c:-?} m=${m:-?}, expected c=$P_IP and a port in $min-$max (not rewritten by the $relay)"
  fi
}

# --- audio both ways ------------------------------------------------------------------------
# heard LABEL CAPTURE IP OTHER-TAG OWN-TAG: RTP that reached the phone's media port, from the relay
heard() {
  local label=$1 cap=$2 ip=$3 other=$4 own=$5 name out rtp relay got sent sent_to
  name=${label##*-}
  out=$(python3 "$PY" heard "$T/$cap-rx.pcap" "$ip" "$MEDIA_PORT" "$P_IP" "$other" "$own" 2>&1)
  rtp=$(sed -n 's/.*\brtp=\([0-9]*\).*/\1/p' <<<"$out")
  relay=$(sed -n 's/.*\brelay=\([0-9]*\).*/\1/p' <<<"$out")
  got=$(sed -n "s/.*\b$other=\([0-9]*\).*/\1/p" <<<"$out")
  sent=$(sed -n 's/.*\bsent=\([0-9]*\).*/\1/p' <<<"$out")
  sent_to=$(sed -n 's/.*\bsent_to=\([^ ]*\).*/\1/p' <<<"$out")
  log "${name^^} heard: $out"
  if [[ ${got:-0} -ge $MIN_RTP ]]; then
    log "PASS $label: ${name^^} received $got RTP packets of the other phone's stream ($other) from the relay $P_IP"
  else
    fail "$label: ${name^^} received ${relay:-0} RTP packets from the relay $P_IP, ${got:-0} of them the other phone's stream ($other); expected >= $MIN_RTP (${rtp:-0} RTP packets from anywhere; it sent ${sent:-0}, by destination: ${sent_to:--})"
  fi
}

# audio_call PREFIX TAG MIN MAX RELAY: H1 calls H2, both talk STREAM_S, H1 hangs up after
# TALK_MS; checks <PREFIX>call-h1/h2, <PREFIX>sdp-h1/h2 (the relay's ports MIN-MAX; RELAY names
# it) and <PREFIX>audio-h1/h2. Files: captures h1TAG / h2TAG, SIPp h1TAG-uac / h2TAG-uas.
audio_call() {
  local pre=$1 tag=$2 min=$3 max=$4 relay=$5 c1 c2 uac uas i
  c1=h1$tag c2=h2$tag uac=h1$tag-uac uas=h2$tag-uas
  capture "$c1" "$NH1" || return 1
  capture "$c2" "$NH2" || return 1
  # SIPp runs in $T, where its scenario finds media-nat-uas.pcap
  if [[ -z $pre ]] && [[ $STANDIN_RELAY == 1 ]]; then
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
        -j DNAT --to-destination "$P_IP:$((RELAY_MIN + 2))"; } || { fail "cannot add the stand-in's DNAT rules"; return 1; }
  fi

  # H2 answers on the port it registered from (the NAT's mapping of it is what resproxy knows)
  (cd "$T" && exec timeout -k 2 40 ip netns exec "$NH2" sipp -sf "$SCEN/media-nat-uas.xml" -key user 2002 \
    -i "$H2_IP" -p "$H2_SIP" -mp "$MEDIA_PORT" -t u1 -m 1 -nostdin -timeout 30s -recv_timeout 20000 \
    -trace_stat -stf "$T/$uas-stats.csv" -fd 1 -trace_err -error_file "$T/$uas-errors.log" \
    -trace_logs -log_file "$T/$uas-phone.log" -trace_msg -message_file "$T/$uas-messages.log" \
    >"$T/$uas.out" 2>&1 </dev/null) &
  UAS_PID=$!
  PIDS+=("$UAS_PID")
  for ((i = 0; i < 50; i++)); do
    ip netns exec "$NH2" ss -Hlun "sport = :$H2_SIP" 2>/dev/null | grep -q . && break
    sleep 0.1
  done
  kill -0 "$UAS_PID" 2>/dev/null || { fail "H2's SIPp (UAS) did not start: $(tail -3 "$T/$uas.out")"; return 1; }

  log "${pre:+phase ${pre%-}: }H1 (2001) calls sip:2002@resproxy.local; both talk for ${STREAM_S} s, BYE after $TALK_MS ms"
  (cd "$T" && exec timeout -k 2 40 ip netns exec "$NH1" sipp "$P_IP:$SIP_PORT" -sf "$SCEN/media-nat-uac.xml" \
    -s 2002 -key user 2001 -i "$H1_IP" -p "$H1_SIP" -mp "$MEDIA_PORT" -t u1 -m 1 -d "$TALK_MS" \
    -nostdin -timeout 30s -recv_timeout 10000 \
    -trace_stat -stf "$T/$uac-stats.csv" -fd 1 -trace_err -error_file "$T/$uac-errors.log" \
    -trace_logs -log_file "$T/$uac-phone.log" -trace_msg -message_file "$T/$uac-messages.log" \
    >"$T/$uac.out" 2>&1 </dev/null)
  UAC_RC=$?
  UAC_OK=$(sipp_stat "$T/$uac-stats.csv" 'SuccessfulCall(C)')
  if [[ $UAC_RC -eq 0 && $UAC_OK -eq 1 ]]; then
    log "PASS ${pre}call-h1: the caller's SIPp exited 0, 1 successful call (INVITE/200/ACK/BYE/200 through resproxy and both NATs)"
  else
    fail "${pre}call-h1: the caller's SIPp exited $UAC_RC with $UAC_OK successful call(s): $(grep -m 2 -E 'Aborting|unexpected|failed|timeout' "$T/$uac-errors.log" 2>/dev/null | cut -c1-300 | tr '\n' ' ')"
  fi
  # the callee ends by itself after the BYE (1 s timewait); <= 10 s
  for ((i = 0; i < 100; i++)); do kill -0 "$UAS_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$UAS_PID" 2>/dev/null; then
    fail "${pre}call-h2: the callee's SIPp still running 10 s after the caller ended"
    stop_pid "$UAS_PID" 1
  else
    wait "$UAS_PID" 2>/dev/null
    UAS_RC=$?
    UAS_OK=$(sipp_stat "$T/$uas-stats.csv" 'SuccessfulCall(C)')
    if [[ $UAS_RC -eq 0 && $UAS_OK -eq 1 ]]; then
      log "PASS ${pre}call-h2: the callee's SIPp exited 0, 1 successful call"
    else
      fail "${pre}call-h2: the callee's SIPp exited $UAS_RC with $UAS_OK successful call(s): $(grep -m 2 -E 'Aborting|unexpected|failed|timeout' "$T/$uas-errors.log" 2>/dev/null | cut -c1-300 | tr '\n' ' ')"
    fi
  fi
  sleep 0.3   # the last packets in flight
  stop_pid "$(eval echo "\$${c1^^}_DUMP")" 3
  stop_pid "$(eval echo "\$${c2^^}_DUMP")" 3
  [[ -n ${STANDIN_PID:-} ]] && stop_pid "$STANDIN_PID" 2

  sdp_check "${pre}sdp-h2" "$T/$uas-phone.log" "offer H2 received (INVITE)" "$min" "$max" "$relay"
  sdp_check "${pre}sdp-h1" "$T/$uac-phone.log" "answer H1 received (200)" "$min" "$max" "$relay"
  heard "${pre}audio-h1" "$c1" "$H1_IP" H2tx H1tx
  heard "${pre}audio-h2" "$c2" "$H2_IP" H1tx H2tx
  return 0
}
if [[ -n $EXTERNAL ]]; then
  audio_call "" "" "$EXT_MIN" "$EXT_MAX" "external relay ($EXTERNAL)" || finish
else
  audio_call "" "" "$RELAY_MIN" "$RELAY_MAX" relay || finish
fi
[[ $STANDIN_RELAY == 1 ]] && log "stand-in: $(cat "$T/standin-relay.out" 2>/dev/null)"
log "NAT rules: $NN1: $(ip netns exec "$NN1" "$IPT" -t nat -L POSTROUTING -v -n -x 2>/dev/null | awk '/MASQUERADE/ { print $1 " flows masqueraded" }');" \
  "$NN2: $(ip netns exec "$NN2" "$IPT" -t nat -L POSTROUTING -v -n -x 2>/dev/null | awk '/MASQUERADE/ { print $1 " flows masqueraded" }')"

# --- the relay's counters -------------------------------------------------------------------
# counters: `resproxyctl show counters` of the running daemon (its control socket in the data
# directory; a Unix socket path, reachable from outside P's network namespace), bounded
counters() { timeout -k 2 10 "$CTL" --data-dir "$PROXY_DATA" show counters 2>&1; }
# counter NAME TEXT: NAME's value in a `show counters` output ("" if absent)
counter() { awk -v n="$1" '$1 == n { print $2; exit }' <<<"$2"; }
# await_counters WANT...: polls (<= 5 s) until every NAME=VALUE holds; leaves the last output
# in COUNTERS and returns 1 if they never all did
await_counters() {
  local end kv ok
  end=$(( ${EPOCHREALTIME/./} + 5000000 ))   # 5 s of wall time (a loaded box runs fewer polls)
  while :; do
    COUNTERS=$(counters)
    ok=1
    for kv in "$@"; do [[ $(counter "${kv%%=*}" "$COUNTERS") == "${kv#*=}" ]] || { ok=0; break; }; done
    [[ $ok == 1 ]] && return 0
    [[ ${EPOCHREALTIME/./} -lt $end ]] || return 1
    sleep 0.1
  done
}
# counters_line NAME...: "name=value ..." of the last COUNTERS
counters_line() {
  local n out=""
  for n in "$@"; do out+="$n=$(counter "$n" "$COUNTERS") "; done
  echo "${out% }"
}
MEDIA_COUNTERS=(media_calls_anchored media_calls_timed_out media_calls_open runtime.media_ports_open
  media_packets_forwarded)

if [[ $MEDIA_RELAY != 1 ]]; then
  log "MEDIA_RELAY=$MEDIA_RELAY: no relay, phases silence and hold skipped"
else

if [[ -z $EXTERNAL ]]; then
# the audio call, talking all along, was not ended by the inactivity timeout: it ended by its
# own BYE and the relay closed its ports
if await_counters media_calls_anchored=1 media_calls_timed_out=0 media_calls_open=0 runtime.media_ports_open=0; then
  log "PASS counters-audio: $(counters_line "${MEDIA_COUNTERS[@]}") (the talking call was not timed out; its ports are closed)"
else
  fail "counters-audio: expected media_calls_anchored=1 media_calls_timed_out=0 media_calls_open=0 runtime.media_ports_open=0, got $(counters_line "${MEDIA_COUNTERS[@]}") ($(head -c 300 <<<"$COUNTERS" | tr '\n' ' '))"
fi
else
# the external relay anchored the call: resproxy counted it and opened no port, received and
# forwarded no RTP itself (media_calls_external 1 too, where this resproxy has that counter)
EXT_COUNTERS=(media_calls_anchored media_calls_external media_calls_lost media_calls_open runtime.media_ports_open
  runtime.media_packets_in media_packets_forwarded)
want=(media_calls_anchored=1 media_calls_timed_out=0 media_calls_open=0 runtime.media_ports_open=0
  runtime.media_packets_in=0 media_packets_forwarded=0)
[[ -n $(counter media_calls_external "$(counters)") ]] && want+=(media_calls_external=1)
if await_counters "${want[@]}"; then
  log "PASS counters-audio: $(counters_line "${EXT_COUNTERS[@]}") (anchored by $EXTERNAL: resproxy opened no media port and relayed no packet)"
else
  fail "counters-audio: expected ${want[*]}, got $(counters_line "${EXT_COUNTERS[@]}")"
fi
fi

# phone_uas NAME HOLD-ANSWER: H2's SIPp with media-nat-silent-uas.xml in the background (UAS_PID);
# it waits for the BYE 5 s longer than the caller (the caller gives up first when none comes)
phone_uas() {
  local name=$1 answer=$2 i
  (cd "$T" && exec timeout -k 2 $((BYE_WAIT_S + 40)) ip netns exec "$NH2" sipp -sf "$SCEN/media-nat-silent-uas.xml" \
    -key user 2002 -key hold_answer "$answer" -i "$H2_IP" -p "$H2_SIP" -mp "$MEDIA_PORT" -t u1 -m 1 -nostdin \
    -timeout $((BYE_WAIT_S + 35))s -recv_timeout $(((BYE_WAIT_S + 5) * 1000)) \
    -trace_stat -stf "$T/$name-stats.csv" -fd 1 -trace_err -error_file "$T/$name-errors.log" \
    -trace_logs -log_file "$T/$name-phone.log" -trace_msg -message_file "$T/$name-messages.log" \
    >"$T/$name.out" 2>&1 </dev/null) &
  UAS_PID=$!
  PIDS+=("$UAS_PID")
  for ((i = 0; i < 50; i++)); do
    ip netns exec "$NH2" ss -Hlun "sport = :$H2_SIP" 2>/dev/null | grep -q . && break
    sleep 0.1
  done
  kill -0 "$UAS_PID" 2>/dev/null || { fail "H2's SIPp ($name) did not start: $(tail -3 "$T/$name.out")"; return 1; }
}
# sipp_result WHAT NAME RC: PASS/FAIL line for a phone's SIPp: exit 0 with 1 successful call
sipp_result() {
  local what=$1 name=$2 rc=$3 ok
  ok=$(sipp_stat "$T/$name-stats.csv" 'SuccessfulCall(C)')
  if [[ $rc -eq 0 && $ok -eq 1 ]]; then
    log "PASS $what: SIPp exited 0, 1 successful call"
  else
    fail "$what: SIPp exited $rc with $ok successful call(s): $(grep -o -E '(Aborting|[Uu]nexpected|failed|[Tt]imeout).*' "$T/$name-errors.log" 2>/dev/null | head -2 | cut -c1-300 | tr '\n' ' ')"
  fi
}
# wait_uas_rc NAME LIMIT-S: waits (<= LIMIT-S) for H2's SIPp; sets UAS_RC (124: still running, stopped)
wait_uas_rc() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do kill -0 "$UAS_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$UAS_PID" 2>/dev/null; then
    log "H2's SIPp ($1) still running $2 s after the caller ended: stopped"
    stop_pid "$UAS_PID" 1
    UAS_RC=124
  else
    wait "$UAS_PID" 2>/dev/null
    UAS_RC=$?
  fi
}
SIP_CAPTURE="udp port $MEDIA_PORT or udp port $H1_SIP or udp port $H2_SIP"

if [[ -n $EXTERNAL ]]; then
# --- phase lost: the external relay dies in the middle of a call ------------------------------
# Both phones talk (LOST_TALK_S streams) through the external relay; once each has heard
# LOST_HEARD packets of the other (about 2 s) the relay is killed (SIGKILL). resproxy's pings
# go unanswered (1 s apart, 2 tries of 200 ms), the relay goes down and resproxy must end the
# call with a BYE to each phone carrying Reason Q.850;cause=38. Each phone waits (<= BYE_WAIT_S)
# for it and answers 200 (media-nat-silent-uac.xml / -uas.xml).
python3 "$PY" stream "$T/media-nat-silent-uac.pcap" H1tx "$LOST_TALK_S" || { fail "media_nat.py stream failed"; finish; }
python3 "$PY" stream "$T/media-nat-silent-uas.pcap" H2tx "$LOST_TALK_S" || { fail "media_nat.py stream failed"; finish; }
capture h1l "$NH1" "$SIP_CAPTURE" 2048 || finish
capture h2l "$NH2" "$SIP_CAPTURE" 2048 || finish
phone_uas h2-lost recvonly || finish
log "phase lost: H1 (2001) calls 2002 through $EXTERNAL; both talk; once each heard $LOST_HEARD RTP packets" \
  "$([[ $KILL_RELAY == 1 ]] && echo "the relay is killed (SIGKILL)" || echo "(KILL_RELAY=0: the relay stays up)");" \
  "each waits <= ${BYE_WAIT_S} s for resproxy's BYE"
LOST_T0=$(date +%s.%N)
(cd "$T" && exec timeout -k 2 $((BYE_WAIT_S + 35)) ip netns exec "$NH1" sipp "$P_IP:$SIP_PORT" \
  -sf "$SCEN/media-nat-silent-uac.xml" -s 2002 -key user 2001 -i "$H1_IP" -p "$H1_SIP" -mp "$MEDIA_PORT" \
  -t u1 -m 1 -nostdin -timeout $((BYE_WAIT_S + 30))s -recv_timeout $((BYE_WAIT_S * 1000)) \
  -trace_stat -stf "$T/h1-lost-stats.csv" -fd 1 -trace_err -error_file "$T/h1-lost-errors.log" \
  -trace_logs -log_file "$T/h1-lost-phone.log" -trace_msg -message_file "$T/h1-lost-messages.log" \
  >"$T/h1-lost.out" 2>&1 </dev/null) &
UAC_PID=$!
PIDS+=("$UAC_PID")
# talking: each phone's capture holds LOST_HEARD packets of the other's stream (<= 10 s)
if out=$(python3 "$PY" await 10 "$LOST_HEARD" "$P_IP" "$MEDIA_PORT" \
    "$T/h1l-rx.pcap" "$H1_IP" H2tx "$T/h2l-rx.pcap" "$H2_IP" H1tx 2>&1); then
  log "PASS lost-talking: $(awk -v a="$LOST_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after the INVITE H1 and H2 have heard the other's stream from $P_IP: $out"
else
  fail "lost-talking: expected >= $LOST_HEARD packets of the other's stream from the relay at each phone within 10 s: $out (H1: H2tx, H2: H1tx)"
fi
# in the call: resproxy counts it open but holds no media port and received no RTP itself
if await_counters media_calls_open=1 runtime.media_ports_open=0 runtime.media_packets_in=0; then
  log "PASS lost-anchored: in the call $(counters_line "${EXT_COUNTERS[@]}") (the call is $EXTERNAL's, no port in resproxy)"
else
  fail "lost-anchored: in the call expected media_calls_open=1 runtime.media_ports_open=0 runtime.media_packets_in=0, got $(counters_line "${EXT_COUNTERS[@]}")"
fi
KILL_T=$(date +%s.%N)
if [[ $KILL_RELAY == 1 ]]; then
  kill -KILL "$RELAY_PID" 2>/dev/null
  wait "$RELAY_PID" 2>/dev/null
  log "phase lost: $EXTERNAL (pid $RELAY_PID) killed with SIGKILL"
  if [[ $RESTART_RELAY == 1 ]]; then
    start_external || finish
    log "phase lost: RESTART_RELAY=1: $EXTERNAL started again (pid $RELAY_PID) $(awk -v a="$KILL_T" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s after the kill, without the call"
  fi
else
  log "phase lost: KILL_RELAY=0, $EXTERNAL stays up (the control: no BYE may come)"
fi
wait "$UAC_PID" 2>/dev/null
UAC_RC=$?
log "phase lost: the caller's SIPp ended $(awk -v a="$KILL_T" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after the kill$([[ $KILL_RELAY == 1 ]] || echo " (that would have been)")"
wait_uas_rc h2-lost 10
sipp_result "lost-call-h1 (the caller got resproxy's BYE and answered it)" h1-lost "$UAC_RC"
sipp_result "lost-call-h2 (the callee got resproxy's BYE and answered it)" h2-lost "$UAS_RC"
sleep 0.3
stop_pid "$H1L_DUMP" 3
stop_pid "$H2L_DUMP" 3

# lost_bye NAME IP SIP-PORT: the phone's capture shows a first BYE with Reason Q.850;cause=38
# within LOST_BYE_S of the kill, and SIPp logged the same Reason
lost_bye() {
  local name=$1 ip=$2 port=$3 out byes first reason logged delay
  out=$(python3 "$PY" silence "$T/${name}l-rx.pcap" "$ip" "$MEDIA_PORT" "$port" 2>&1)
  byes=$(sed -n 's/.*\bbyes=\([0-9]*\).*/\1/p' <<<"$out")
  first=$(sed -n 's/.*\bbye_first=\([-0-9.]*\).*/\1/p' <<<"$out")
  reason=$(sed -n 's/.*\breason=//p' <<<"$out")
  logged=$(grep -m 1 '^bye-received ' "$T/$name-lost-phone.log" 2>/dev/null)
  delay=-
  [[ -n $first && $first != - ]] && delay=$(awk -v a="$KILL_T" -v b="$first" 'BEGIN { printf "%.3f", b - a }')
  log "${name^^} lost: $out; SIPp: ${logged:-no BYE logged}"
  if [[ ${byes:-0} -ge 1 && $reason =~ ^Q\.850\;cause=38(\;|$) && $delay != - && $logged == *"Q.850;cause=38"* ]] &&
     awk -v d="$delay" -v m="$LOST_BYE_S" 'BEGIN { exit !(d >= 0 && d <= m) }'; then
    log "PASS lost-bye-$name: ${name^^} got resproxy's BYE (Reason: $reason) $delay s after the relay was killed (allowed 0 .. $LOST_BYE_S s)"
  else
    fail "lost-bye-$name: expected a BYE with Reason Q.850;cause=38 within $LOST_BYE_S s of the kill; the capture: ${byes:-0} BYE(s), the first one's Reason ${reason:--}, ${delay} s after the kill; SIPp logged: ${logged:-no BYE}"
  fi
}
lost_bye h1 "$H1_IP" "$H1_SIP"
lost_bye h2 "$H2_IP" "$H2_SIP"
want=(media_calls_lost=1 media_calls_open=0 runtime.media_ports_open=0)
[[ $RESTART_RELAY == 1 ]] && want+=(media_calls_forgotten=1 media_relays_down=0 media_relays_up=1)
if await_counters "${want[@]}"; then
  log "PASS lost-counters: $(counters_line "${EXT_COUNTERS[@]}" media_calls_forgotten media_audit_queries) (one call lost with its relay$([[ $RESTART_RELAY == 1 ]] && echo ", found by the audit, the relay never down"))"
else
  fail "lost-counters: expected ${want[*]}, got $(counters_line "${EXT_COUNTERS[@]}" media_calls_forgotten media_audit_queries)"
fi

if [[ $RESTART_RELAY == 1 ]]; then
# the relay restarted and up: the next call goes to it (42000-42999), the built-in relay idle
audio_call fallback- fb "$EXT_MIN" "$EXT_MAX" "$EXTERNAL (restarted)" || finish
if await_counters media_calls_anchored=3 media_calls_external=3 media_calls_open=0 runtime.media_ports_open=0 \
     media_packets_forwarded=0; then
  log "PASS fallback-counters: $(counters_line "${EXT_COUNTERS[@]}") (the third call on the restarted relay)"
else
  fail "fallback-counters: expected media_calls_anchored=3 media_calls_external=3 media_calls_open=0 runtime.media_ports_open=0 media_packets_forwarded=0, got $(counters_line "${EXT_COUNTERS[@]}")"
fi
else
# the relay dead: the next call goes to the built-in relay, the spare of last resort
# (builtin_weight = 0), and gets its audio through it (40000-40999)
audio_call fallback- fb "$RELAY_MIN" "$RELAY_MAX" "built-in relay" || finish
want=(media_calls_anchored=3 media_calls_open=0 runtime.media_ports_open=0)
[[ -n $(counter media_calls_external "$(counters)") ]] && want+=(media_calls_external=2)
if await_counters "${want[@]}" &&
   [[ $(counter media_packets_forwarded "$COUNTERS") -ge $((2 * MIN_RTP)) ]]; then
  log "PASS fallback-counters: $(counters_line "${EXT_COUNTERS[@]}") (the built-in relay forwarded the third call's RTP; its ports are closed)"
else
  fail "fallback-counters: expected ${want[*]} and media_packets_forwarded >= $((2 * MIN_RTP)), got $(counters_line "${EXT_COUNTERS[@]}")"
fi
fi
else   # EXTERNAL
# --- phase silence: a call that falls silent is ended by the relay ---------------------------
# Both phones talk for SILENT_S after the answer, then send nothing but stay in the call: the
# relay must send each a BYE with Reason Q.850 cause 102 inactivity_timeout after the last RTP.
python3 "$PY" stream "$T/media-nat-silent-uac.pcap" H1tx "$SILENT_S" || { fail "media_nat.py stream failed"; finish; }
python3 "$PY" stream "$T/media-nat-silent-uas.pcap" H2tx "$SILENT_S" || { fail "media_nat.py stream failed"; finish; }

capture h1s "$NH1" "$SIP_CAPTURE" 2048 || finish
capture h2s "$NH2" "$SIP_CAPTURE" 2048 || finish
phone_uas h2-silent recvonly || finish
log "phase silence: H1 (2001) calls 2002; both talk for ${SILENT_S} s, then stay silent in the call;" \
  "each waits <= ${BYE_WAIT_S} s for the relay's BYE (inactivity_timeout = $INACTIVITY s)"
SILENCE_T0=$(date +%s.%N)
(cd "$T" && exec timeout -k 2 $((BYE_WAIT_S + 35)) ip netns exec "$NH1" sipp "$P_IP:$SIP_PORT" \
  -sf "$SCEN/media-nat-silent-uac.xml" -s 2002 -key user 2001 -i "$H1_IP" -p "$H1_SIP" -mp "$MEDIA_PORT" \
  -t u1 -m 1 -nostdin -timeout $((BYE_WAIT_S + 30))s -recv_timeout $((BYE_WAIT_S * 1000)) \
  -trace_stat -stf "$T/h1-silent-stats.csv" -fd 1 -trace_err -error_file "$T/h1-silent-errors.log" \
  -trace_logs -log_file "$T/h1-silent-phone.log" -trace_msg -message_file "$T/h1-silent-messages.log" \
  >"$T/h1-silent.out" 2>&1 </dev/null)
UAC_RC=$?
log "phase silence: the caller's SIPp ended after $(awk -v a="$SILENCE_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
wait_uas_rc h2-silent 10
sipp_result "silence-call-h1 (the caller, silent, got a BYE and answered it)" h1-silent "$UAC_RC"
sipp_result "silence-call-h2 (the callee, silent, got a BYE and answered it)" h2-silent "$UAS_RC"
sleep 0.3
stop_pid "$H1S_DUMP" 3
stop_pid "$H2S_DUMP" 3

# silence_bye NAME IP SIP-PORT: the phone's capture shows a BYE with Reason Q.850 cause=102
# inactivity_timeout (- 0.5 s, + 5 s) after the last RTP on its media port, and SIPp logged it
silence_bye() {
  local name=$1 ip=$2 port=$3 out rtp byes mt gap reason logged
  out=$(python3 "$PY" silence "$T/${name}s-rx.pcap" "$ip" "$MEDIA_PORT" "$port" 2>&1)
  rtp=$(sed -n 's/.*\brtp=\([0-9]*\).*/\1/p' <<<"$out")
  byes=$(sed -n 's/.*\bbyes=\([0-9]*\).*/\1/p' <<<"$out")
  mt=$(sed -n 's/.*\bmedia_timeout=\([0-9]*\).*/\1/p' <<<"$out")
  gap=$(sed -n 's/.*\bgap=\([-0-9.]*\).*/\1/p' <<<"$out")
  reason=$(sed -n 's/.*\breason=//p' <<<"$out")
  logged=$(grep -m 1 '^bye-received ' "$T/$name-silent-phone.log" 2>/dev/null)
  log "${name^^} silence: $out; SIPp: ${logged:-no BYE logged}"
  if [[ ${byes:-0} -ge 1 && ${mt:-0} -ge 1 && $reason == Q.850\;cause=102* && ${gap:--} != - && ${rtp:-0} -gt 0 ]] &&
     awk -v g="$gap" -v t="$INACTIVITY" 'BEGIN { exit !(g >= t - 0.5 && g <= t + 5) }' &&
     [[ $logged == *"Q.850;cause=102"* ]]; then
    log "PASS silence-bye-$name: ${name^^} got the relay's BYE (Reason: $reason) $gap s after the last RTP (inactivity_timeout $INACTIVITY s; allowed $INACTIVITY - 0.5 .. $((INACTIVITY + 5)) s)"
  else
    fail "silence-bye-$name: expected a BYE with Reason Q.850;cause=102 between $INACTIVITY - 0.5 and $((INACTIVITY + 5)) s after the last RTP; the capture: ${byes:-0} BYE(s), ${mt:-0} with cause 102, the first one's Reason ${reason:--}, gap ${gap:--} s, ${rtp:-0} RTP packets; SIPp logged: ${logged:-no BYE}"
  fi
}
silence_bye h1 "$H1_IP" "$H1_SIP"
silence_bye h2 "$H2_IP" "$H2_SIP"
if await_counters media_calls_anchored=2 media_calls_timed_out=1 media_calls_open=0 runtime.media_ports_open=0; then
  log "PASS silence-counters: $(counters_line "${MEDIA_COUNTERS[@]}") (one call timed out, its ports closed)"
else
  fail "silence-counters: expected media_calls_anchored=2 media_calls_timed_out=1 media_calls_open=0 runtime.media_ports_open=0, got $(counters_line "${MEDIA_COUNTERS[@]}")"
fi

# --- phase hold: a call on hold is silent but not timed out ---------------------------------
# Both talk for SILENT_S, then H1 sends a re-INVITE with a=sendonly (H2 answers recvonly) and
# both are silent for inactivity_timeout + 5 s, after which H1 hangs up itself. The relay must
# not end it: no BYE with cause 102 reaches either phone (one would make H1's SIPp abort).
if [[ $HOLD != 1 ]]; then
  log "phase hold skipped (HOLD=$HOLD; on by default only with INACTIVITY <= 30 s)"
else
  HOLD_MS=$(((INACTIVITY + 5) * 1000))
  hold_answer=recvonly
  [[ $HOLD_DIR == sendrecv ]] && hold_answer=sendrecv
  capture h1h "$NH1" "$SIP_CAPTURE" 2048 || finish
  capture h2h "$NH2" "$SIP_CAPTURE" 2048 || finish
  phone_uas h2-hold "$hold_answer" || finish
  log "phase hold: H1 (2001) calls 2002; both talk for ${SILENT_S} s, then H1 re-INVITEs with a=$HOLD_DIR," \
    "both are silent for $HOLD_MS ms and H1 hangs up"
  HOLD_T0=$(date +%s.%N)
  (cd "$T" && exec timeout -k 2 $((HOLD_MS / 1000 + 30)) ip netns exec "$NH1" sipp "$P_IP:$SIP_PORT" \
    -sf "$SCEN/media-nat-hold-uac.xml" -s 2002 -key user 2001 -key hold_dir "$HOLD_DIR" -d "$HOLD_MS" \
    -i "$H1_IP" -p "$H1_SIP" -mp "$MEDIA_PORT" -t u1 -m 1 -nostdin -timeout $((HOLD_MS / 1000 + 25))s \
    -recv_timeout 10000 \
    -trace_stat -stf "$T/h1-hold-stats.csv" -fd 1 -trace_err -error_file "$T/h1-hold-errors.log" \
    -trace_logs -log_file "$T/h1-hold-phone.log" -trace_msg -message_file "$T/h1-hold-messages.log" \
    >"$T/h1-hold.out" 2>&1 </dev/null)
  UAC_RC=$?
  log "phase hold: the caller's SIPp ended after $(awk -v a="$HOLD_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
  wait_uas_rc h2-hold 10
  sipp_result "hold-call-h1 (on hold past the timeout, then the caller's own BYE and 200)" h1-hold "$UAC_RC"
  sipp_result "hold-call-h2" h2-hold "$UAS_RC"
  sleep 0.3
  stop_pid "$H1H_DUMP" 3
  stop_pid "$H2H_DUMP" 3
  offer=$(grep -m 1 '^reinvite-offer ' "$T/h2-hold-phone.log" 2>/dev/null)
  answer=$(grep -m 1 '^reinvite-answer ' "$T/h1-hold-phone.log" 2>/dev/null)
  if [[ $offer == "reinvite-offer dir=sendonly "* && $answer == "reinvite-answer dir=recvonly "* ]]; then
    log "PASS hold-reinvite: the hold went through the relay ($offer at H2, $answer at H1)"
  else
    fail "hold-reinvite: expected H2 to get a=sendonly and H1 a=recvonly: H2 logged '${offer:-nothing}', H1 '${answer:-nothing}'"
  fi
  # hold_quiet: neither phone got a BYE with cause 102; H2 got H1's BYE after >= the timeout + 5 s
  # of silence (the last RTP anywhere on its media port to that BYE)
  out1=$(python3 "$PY" silence "$T/h1h-rx.pcap" "$H1_IP" "$MEDIA_PORT" "$H1_SIP" 2>&1)
  out2=$(python3 "$PY" silence "$T/h2h-rx.pcap" "$H2_IP" "$MEDIA_PORT" "$H2_SIP" 2>&1)
  log "H1 hold: $out1"
  log "H2 hold: $out2"
  mt1=$(sed -n 's/.*\bmedia_timeout=\([0-9]*\).*/\1/p' <<<"$out1")
  mt2=$(sed -n 's/.*\bmedia_timeout=\([0-9]*\).*/\1/p' <<<"$out2")
  byes1=$(sed -n 's/.*\bbyes=\([0-9]*\).*/\1/p' <<<"$out1")
  gap2=$(sed -n 's/.*\bgap=\([-0-9.]*\).*/\1/p' <<<"$out2")
  relay_byes=$(cat "$T/h1-hold-messages.log" "$T/h2-hold-messages.log" 2>/dev/null | grep -c -i '^Reason: *Q.850;cause=102')
  if [[ ${mt1:-1} -eq 0 && ${mt2:-1} -eq 0 && ${byes1:-1} -eq 0 && $relay_byes -eq 0 && ${gap2:--} != - ]] &&
     awk -v g="$gap2" -v t="$INACTIVITY" 'BEGIN { exit !(g >= t + 5) }'; then
    log "PASS hold-no-bye: silent on hold for $gap2 s (> inactivity_timeout $INACTIVITY s) and no BYE from the relay; H2 got only H1's BYE"
  else
    fail "hold-no-bye: expected no relay BYE while on hold for >= $((INACTIVITY + 5)) s of silence: BYEs with cause 102 at H1 ${mt1:-?} at H2 ${mt2:-?} (SIPp message logs: $relay_byes), BYEs at H1 ${byes1:-?}, H2's silence before the BYE ${gap2:--} s"
  fi
  if await_counters media_calls_anchored=3 media_calls_timed_out=1 media_calls_open=0 runtime.media_ports_open=0; then
    log "PASS hold-counters: $(counters_line "${MEDIA_COUNTERS[@]}") (the held call was not timed out; its ports are closed)"
  else
    fail "hold-counters: expected media_calls_anchored=3 media_calls_timed_out=1 media_calls_open=0 runtime.media_ports_open=0, got $(counters_line "${MEDIA_COUNTERS[@]}")"
  fi
fi
fi   # EXTERNAL
fi   # MEDIA_RELAY == 1

# --- the daemon -----------------------------------------------------------------------------
if proxy_alive; then log "PASS resproxy: alive after the calls"; else fail "resproxy: died during the test"; fi
stop_proxy   # fail()s unless SIGTERM ends it with exit status 0 within 5 s
finish
