#!/usr/bin/env bash
# End-to-end: an ITSP outage and its return, with real parts on 127.0.0.1 (issue #4).
#
# usage: outage.sh <fast|default|dialog|loss>
#
# The office: Kamailio (tests/e2e/kamailio/itsp.cfg) plays the ITSP's registrar and proxy;
# resproxy runs in forward_itsp mode in front of it (realm itsp.test, the domain the phones use
# in their URIs); SIPp plays the phones 2001 and 2002 (each a UAS that registered through
# resproxy, itsp-phone.xml; 2001 answers with its registered contact as Contact, itsp-uas.xml,
# 2002 with another one, uas.xml), the calling phone 2003 (a UAC sending to resproxy, its
# outbound proxy: itsp-uac.xml) and the PSTN gateway (a UAS on the configured
# [sipproxy.pstn_gw] address and port, gw-uas.xml; a UAC from that same address and port for
# the gateway's own calls). The outage is `kill -STOP` of Kamailio's process group, the return
# `kill -CONT`. Detection and failback times come from resproxy's trace_log (t_ns is
# CLOCK_MONOTONIC, like the instant the signal was sent).
#
#   fast     the fast settings (probes every 500 ms, 600 ms probe timeout, 2 failures down,
#            2 successes over 1 s up, answer_timeout 1 s, itsp_down_reg_expires 30 s):
#     1. Kamailio, resproxy, gateway UAS; phones 2001 and 2002 register through resproxy and
#        Kamailio saves them with resproxy's Path.
#     2. normal operation: 2003 calls 2001 NORMAL_CALLS times; every INVITE reaches Kamailio.
#     3. outage: 2003 calls 2001 at OUT_RATE/s for OUT_CALLS calls; Kamailio is stopped 3 s in.
#        No call placed after the stop may fail, nor any placed more than 1 s before it (those
#        placed in the last second before it were maybe in flight: counted apart); detection
#        time = stop -> itsp.marked_inactive.
#     4. during the outage: calls to the unregistered 01344784900 reach the gateway with
#        Request-URI sip:01344784900@<gateway address:port>; a call from the gateway's address
#        and port to an unregistered number gets 404 (never back to the gateway), one to 2001
#        reaches the phone; a phone REGISTER (user 2004) is answered 200 by resproxy with
#        expires <= itsp_down_reg_expires, and resproxy forwards no REGISTER to Kamailio.
#     5. return: 2003 calls on at OUT_RATE/s while Kamailio is continued 2 s in; failback time =
#        continue -> itsp.marked_active; no call may fail. Then a REGISTER of 2004 goes to
#        Kamailio again (trace: route.forwarded to its port; Kamailio's log; its 3600 s expiry),
#        and AFTER_CALLS calls to 2001 all pass through Kamailio.
#   default  steps 1-3 and 5 with the embedded default ITSP settings (probe every 30 s, probe
#            timeout 2 s, answer_timeout 2 s, 2 failures down, 3 successes over 10 s up,
#            itsp_down_reg_expires 60 s), calls at 5/s: detection is driven by the live traffic
#            (a call unanswered for 2 s makes the ITSP suspect, one failed probe makes it down).
#   dialog   fast settings; BYEs inside dialogs that resproxy record-routed and that reach it
#            last along their route set, with a Request-URI that is not a registered contact
#            (RFC 3261 §16.4-16.6: forward to the Request-URI): D1 2003 hangs up a call to 2002
#            that went through the ITSP (hairpin); D2 2005 (itsp-uas-hangup.xml) hangs up a
#            gateway call that went through the ITSP; D3 in the outage the gateway hangs up a
#            call to 2002; D4 (control) in the outage 2005 hangs up a gateway call.
#   loss     fast settings; the ITSP link (UDP to and from Kamailio's port) loses LOSS (5 %) of
#            its packets, by iptables' statistic match in a network namespace of our own
#            (unshare -n; tc netem is not available on this kernel), from after the phones'
#            registrations and the normal calls on; LOSS_SECONDS (60) of calls at 5/s: resproxy
#            must never mark the ITSP inactive (no false failover).
#
# Each run ends with a block of figures (detection and failback times, calls placed and failed
# per phase) and exits non-zero if an expectation failed. loss exits 77 (skipped) when it cannot
# build its namespace (no unshare, no iptables, not root and no user namespaces).
# env: lib.sh's (RESPROXY_BIN, E2E_KEEP, E2E_TMP); LOSS=0.05, LOSS_SECONDS=60
MODE=${1:-}
HERE=$(cd "$(dirname "$0")" && pwd)

case $MODE in
  fast | default | dialog | loss-netns) ;;
  loss)
    # Re-run this script in a network namespace of its own (its own loopback), where the
    # iptables rules that drop packets touch nothing else on the host.
    command -v unshare >/dev/null || { echo "SKIP: unshare (util-linux) not found"; exit 77; }
    IPT=""
    for c in iptables-legacy iptables; do command -v "$c" >/dev/null && { IPT=$c; break; }; done
    [[ -n $IPT ]] || { echo "SKIP: iptables not installed (apt-get install iptables)"; exit 77; }
    ns=(-n)
    [[ $(id -u) -eq 0 ]] || ns=(-r -n)
    if ! unshare "${ns[@]}" -- sh -c 'ip link set lo up' 2>/dev/null; then
      echo "SKIP: cannot create a network namespace (unshare ${ns[*]})"
      exit 77
    fi
    exec unshare "${ns[@]}" -- bash "$0" loss-netns
    ;;
  *)
    echo "usage: $0 <fast|default|dialog|loss>" >&2
    exit 2
    ;;
esac

# shellcheck source=lib.sh
source "$HERE/lib.sh"
E2E_SIP_LOG=0   # the config written here always has its own sip_log and trace_log

DOMAIN=itsp.test
GW_NUMBER=01344784900      # nobody registers it: the PSTN, via the gateway, in an outage
GW_UNKNOWN=01344784999     # called from the gateway in an outage: 404
HOLD_MS=118000             # how long the phones stay up (every phase ends well before)
MAX_STOP_S=60              # the longest SIGSTOP that itsp.cfg's tm timers allow for
TRACE=$T/trace.jsonl
KAM_LOG=$T/itsp.log

case $MODE in
  fast)
    SETTINGS=fast; NORMAL_CALLS=20; OUT_CALLS=100; OUT_RATE=10; STOP_AFTER_S=3; GW_CALLS=10
    RET_CALLS=60; CONT_AFTER_S=2; AFTER_CALLS=20; DETECT_LIMIT_S=15; FAILBACK_LIMIT_S=15
    DOWN_EXPIRES=30
    ;;
  default)
    SETTINGS=default; NORMAL_CALLS=10; OUT_CALLS=70; OUT_RATE=5; STOP_AFTER_S=3; GW_CALLS=5
    RET_CALLS=200; CONT_AFTER_S=2; AFTER_CALLS=10; DETECT_LIMIT_S=50; FAILBACK_LIMIT_S=50
    DOWN_EXPIRES=60
    ;;
  dialog)
    SETTINGS=fast; NORMAL_CALLS=5; DETECT_LIMIT_S=15; DOWN_EXPIRES=30
    ;;
  loss-netns)
    SETTINGS=fast; NORMAL_CALLS=10; LOSS=${LOSS:-0.05}; LOSS_SECONDS=${LOSS_SECONDS:-60}
    LOSS_RATE=5; DOWN_EXPIRES=30
    ;;
esac

# --- helpers -------------------------------------------------------------------------------

# write_config FILE: resproxy's configuration for this run
write_config() {
  {
    echo "[sipproxy]"
    echo "mode = forward_itsp"
    echo "realm = $DOMAIN"
    echo "rx_port = $P_PROXY"
    echo "listen_address = $LOCAL_IP"
    echo "[sipproxy.itsp_proxy]"
    echo "accessibility_check = options"
    if [[ $SETTINGS == fast ]]; then
      echo "probe_interval_ms = 500"
      echo "probe_interval_down_ms = 500"
      echo "probe_timeout_ms = 600"
      echo "probe_retransmit_ms = 150"
      echo "failures_to_down = 2"
      echo "successes_to_up = 2"
      echo "failback_delay = 1"
      echo "answer_timeout_ms = 1000"
    fi
    echo "[sipproxy.itsp_proxy.1]"
    echo "enable = 1"
    echo "ipname = $LOCAL_IP"
    echo "port = $P_KAM"
    echo "[sipproxy.pstn_gw]"
    echo "address = $LOCAL_IP:$P_GW"
    echo "from_action = trust"
    echo "[advanced.sipproxy]"
    if [[ $SETTINGS == fast ]]; then
      echo "itsp_down_reg_expires = $DOWN_EXPIRES"
      echo "reg_forwarding_timeout = 10"
    fi
    echo "trace_log = $TRACE"
    echo "sip_log = $T/sip.log"
  } >"$1"
  check_config "$1"
}

# start_itsp_phone NAME PORT OOC_SCENARIO USER…: like lib.sh's start_phone, with the ITSP's
# domain in the URIs (itsp-phone.xml); returns once every USER got its 200 (<= 10 s)
start_itsp_phone() {
  local name=$1 port=$2 ooc=$3 i got mp
  shift 3
  users_csv "$T/$name-users.csv" "$@"
  mp=$(free_ports 1)
  timeout -k 2 $((HOLD_MS / 1000 + 10)) sipp "$LOCAL_IP:$P_PROXY" -sf "$SCEN/itsp-phone.xml" -oocsf "$SCEN/$ooc" \
    -key domain "$DOMAIN" -inf "$T/$name-users.csv" -m $# -r 50 -d "$HOLD_MS" -i "$LOCAL_IP" -p "$port" -mp "$mp" \
    -t u1 -nostdin -buff_size 4194304 -recv_timeout 5000 \
    -trace_logs -log_file "$T/$name-phone.log" -trace_err -error_file "$T/$name-errors.log" \
    -trace_stat -stf "$T/$name-stats.csv" -fd 1 >"$T/$name.out" 2>&1 </dev/null &
  PIDS+=($!)
  for ((i = 0; i < 100; i++)); do
    [[ $(grep -c '^registered ' "$T/$name-phone.log" 2>/dev/null) -ge $# ]] && break
    sleep 0.1
  done
  got=$(grep -c '^registered ' "$T/$name-phone.log" 2>/dev/null)
  if [[ ${got:-0} -lt $# ]]; then
    fail "phone $name: ${got:-0} of $# registrations acknowledged with 200 within 10 s"
    return 1
  fi
  log "phone $name (udp $LOCAL_IP:$port) registered: $* ($(awk '/^registered /{print $2 "=" $3 "s"}' "$T/$name-phone.log" | paste -sd' '))"
}

# register_once NAME USER: one REGISTER of USER from a fresh port (itsp-phone.xml, -d 0);
# sets REG_EXPIRES to the expiry granted in the 200 (empty if none came within 10 s)
register_once() {
  local name=$1 user=$2 port mp
  read -r port mp < <(free_ports 2)
  users_csv "$T/$name-users.csv" "$user"
  timeout -k 2 15 sipp "$LOCAL_IP:$P_PROXY" -sf "$SCEN/itsp-phone.xml" -key domain "$DOMAIN" \
    -inf "$T/$name-users.csv" -m 1 -d 0 -i "$LOCAL_IP" -p "$port" -mp "$mp" -t u1 -nostdin \
    -recv_timeout 10000 -trace_logs -log_file "$T/$name-phone.log" -trace_err -error_file "$T/$name-errors.log" \
    >"$T/$name.out" 2>&1 </dev/null
  REG_EXPIRES=$(awk -v u="$user" '$1 == "registered" && $2 == u { e = $3 } END { print e }' "$T/$name-phone.log" 2>/dev/null)
}

# calls NAME CALLS RATE USER…: the calling phone 2003 (itsp-uac.xml) places CALLS calls at RATE/s
# to USER… in turn, through resproxy; sets UAC_RC, UAC_OK, UAC_FAILED (lib.sh's run_uac)
calls() {
  local name=$1 n=$2 rate=$3
  shift 3
  users_csv "$T/$name-callees.csv" "$@"
  run_uac "$name" itsp-uac.xml "$n" "$rate" u1 -inf "$T/$name-callees.csv" -key domain "$DOMAIN" \
    -trace_logs -log_file "$T/$name-calls.log"
}

# calls_bg NAME CALLS RATE USER…: calls in the background; sets BG_PID (see wait_calls_bg)
calls_bg() {
  local name=$1
  rm -f "$T/$name.result"
  (calls "$@"; echo "$UAC_RC $UAC_OK $UAC_FAILED" >"$T/$name.result") &
  BG_PID=$!
  PIDS+=("$BG_PID")
}

# wait_calls_bg NAME PID LIMIT_S: waits for calls_bg; sets UAC_RC, UAC_OK, UAC_FAILED
wait_calls_bg() {
  local name=$1 pid=$2 limit=$3 i
  for ((i = 0; i < limit * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    fail "calls $name still running after $limit s"
    stop_pid "$pid" 1
  fi
  wait "$pid" 2>/dev/null
  read -r UAC_RC UAC_OK UAC_FAILED <"$T/$name.result" 2>/dev/null || { UAC_RC=99 UAC_OK=0 UAC_FAILED=0; }
}

# split_calls NAME AT_WALL: "<started> <failed started before AT> <failed started at/after AT>"
# from NAME's call log (a call that logged "start" but no "end" failed)
split_calls() {
  awk -v at="$2" '$1 == "start" { st[$2] = $3 + $4 / 1e6; n++ } $1 == "end" { en[$2] = 1 }
    END { b = 0; a = 0
          for (c in st) if (!(c in en)) { if (st[c] < at) b++; else a++ }
          print n + 0, b, a }' "$T/$1-calls.log" 2>/dev/null
}

# failed_after NAME AT_WALL [UNTIL_WALL]: the Call-IDs of the failed calls started at/after AT
# (and before UNTIL), each with its start relative to AT and SIPp's reason (for the report)
failed_after() {
  local c
  awk -v at="$2" -v until="${3:-0}" '$1 == "start" { st[$2] = $3 + $4 / 1e6 } $1 == "end" { en[$2] = 1 }
    END { for (c in st) if (!(c in en) && st[c] >= at && (until == 0 || st[c] < until))
            printf "%s %+.3f\n", c, st[c] - at }' "$T/$1-calls.log" 2>/dev/null |
    while read -r c rel; do
      printf '%s (started %s s: %s) ' "$c" "$rel" \
        "$(grep -m1 -F "$c" "$T/$1-errors.log" 2>/dev/null | sed 's/.*\(Call-I\)/\1/; s/\(aborting call\).*/\1/' | tr -d "\r" | cut -c1-200)"
    done
}

# run_from_gateway NAME SCENARIO CALLS [sipp args]: a UAC bound to the gateway's own address and
# port (resproxy knows the gateway by both), 5 calls/s; sets UAC_RC, UAC_OK, UAC_FAILED
run_from_gateway() {
  local name=$1 scen=$2 n=$3 mp
  shift 3
  mp=$(free_ports 1)
  timeout -k 2 40 sipp "$LOCAL_IP:$P_PROXY" -sf "$SCEN/$scen" -i "$LOCAL_IP" -p "$P_GW" -mp "$mp" -t u1 \
    -m "$n" -r 5 -rp 1000 -key domain "$DOMAIN" -nostdin -recv_timeout 5000 -timeout 30s \
    -trace_stat -stf "$T/$name-stats.csv" -fd 1 -trace_err -error_file "$T/$name-errors.log" \
    "$@" >"$T/$name.out" 2>&1 </dev/null
  UAC_RC=$?
  UAC_OK=$(sipp_stat "$T/$name-stats.csv" 'SuccessfulCall(C)')
  UAC_FAILED=$(sipp_stat "$T/$name-stats.csv" 'FailedCall(C)')
  log "gateway uac $name: sipp rc=$UAC_RC successful=$UAC_OK failed=$UAC_FAILED of $n"
}

kam_count() { grep -c "$1" "$KAM_LOG" 2>/dev/null; }

# forwarded_to_itsp METHOD FROM_NS [TO_NS]: route.forwarded events of METHOD toward Kamailio
forwarded_to_itsp() { trace_count "$TRACE" route.forwarded "$2" "${3:--}" method="$1" to="$LOCAL_IP:$P_KAM"; }

SUMMARY=()
note() { SUMMARY+=("$(printf '%-44s %s' "$1" "$2")"); }

print_summary() {
  echo
  echo "===== outage.sh $MODE: figures ====="
  printf '%s\n' "${SUMMARY[@]}"
  echo "===================================="
}

# --- common set-up: the ITSP, resproxy, the gateway, the phones -------------------------------

read -r P_PROXY P_KAM P_GW P_PH1 P_PH2 P_PH5 < <(free_ports 6)

# loss: the namespace's loopback is up now; the loss itself starts once the phones are registered
# (apply_loss, below): SIPp's phones register once and never refresh, so a REGISTER whose answers
# the lossy link ate would leave a phone bound for itsp_down_reg_expires only (resproxy answers it
# itself after answer_timeout) and the calls to it would be refused once that binding expired.
# The loss phase is about calls and false failover, not about a phone's first registration.
if [[ $MODE == loss-netns ]]; then
  ip link set lo up || { fail "cannot bring up lo in the namespace"; finish; }
fi

# apply_loss: drop LOSS of the packets to and from Kamailio's port (iptables statistic match)
apply_loss() {
  IPT=""
  for c in iptables-legacy iptables; do
    command -v "$c" >/dev/null || continue
    if "$c" -A INPUT -p udp --dport "$P_KAM" -m statistic --mode random --probability "$LOSS" -j DROP 2>"$T/iptables.err"; then
      IPT=$c
      break
    fi
  done
  [[ -n $IPT ]] || { fail "iptables statistic match unusable: $(cat "$T/iptables.err")"; finish; }
  "$IPT" -A INPUT -p udp --sport "$P_KAM" -m statistic --mode random --probability "$LOSS" -j DROP ||
    { fail "iptables rule for --sport $P_KAM refused"; finish; }
  log "network namespace: the ITSP link (udp port $P_KAM, both directions) drops $LOSS of its packets ($IPT, statistic match)"
}

start_kamailio itsp "$P_KAM" "$HERE/kamailio/itsp.cfg" || finish
write_config "$T/resproxy.ini" || finish
start_proxy "$P_PROXY" "$T/data" --config "$T/resproxy.ini" || finish
T0=$(mono_now_ns)

if [[ $MODE == fast || $MODE == default ]]; then
  start_uas gw "$P_GW" u1 gw-uas.xml "$GW_CALLS" || finish
  GW_PID=$UAS_PID
fi
# 2001 answers with its registered contact as Contact (itsp-uas.xml), like most phones; 2002 with
# another URI (uas.xml: sip:<ip>:<port>, no user part), which is just as valid: the dialog checks
start_itsp_phone ph2001 "$P_PH1" itsp-uas.xml 2001 || finish
start_itsp_phone ph2002 "$P_PH2" uas.xml 2002 || finish
# 2005 hangs up the calls it answers (dialog checks)
[[ $MODE == dialog ]] && { start_itsp_phone ph2005 "$P_PH5" itsp-uas-hangup.xml 2005 || finish; }

# 1. the registrations reached Kamailio, each with resproxy's Path
for u in 2001 2002; do
  line=$(grep "ITSP-REGISTER user=$u " "$KAM_LOG" | tail -1)
  if [[ $line != *"path=<sip:$LOCAL_IP:$P_PROXY;lr>"* ]]; then
    fail "Kamailio did not log a REGISTER of $u with Path <sip:$LOCAL_IP:$P_PROXY;lr>: ${line:-none}"
  fi
  [[ $(trace_count "$TRACE" reg.cached "$T0" - user="$u") -ge 1 ]] || fail "resproxy did not cache the ITSP's 200 for $u (no reg.cached)"
done
note "REGISTERs logged by Kamailio (with Path)" "$(kam_count 'ITSP-REGISTER') (2001, 2002 and retransmissions)"

# 2. normal operation: every call through Kamailio
K0=$(kam_count 'ITSP-INVITE')
N0=$(mono_now_ns)
calls normal "$NORMAL_CALLS" 10 2001
expect_all_calls normal "$NORMAL_CALLS"
via_kam=$(($(kam_count 'ITSP-INVITE') - K0))
fwd=$(forwarded_to_itsp INVITE "$N0")
[[ $via_kam -ge $NORMAL_CALLS ]] || fail "normal operation: Kamailio logged $via_kam INVITEs, expected $NORMAL_CALLS"
[[ $fwd -eq $NORMAL_CALLS ]] || fail "normal operation: resproxy forwarded $fwd INVITEs to Kamailio, expected $NORMAL_CALLS"
note "normal: calls placed / failed" "$NORMAL_CALLS / $UAC_FAILED (INVITEs at Kamailio: $via_kam)"


# --- dialog: in-dialog requests that reach resproxy last along their route set ---------------
# Every request below is a BYE inside a dialog that resproxy record-routed. When resproxy pops
# the last Route (its own), the Request-URI is the remote party's Contact, which RFC 3261
# §16.4-16.6 say to forward to (§16.5: a Request-URI this proxy is not responsible for is the
# only target). It is not always a registered contact: a phone may answer with another Contact
# (2002: sip:<ip>:<port>), and the PSTN gateway is registered nowhere.
if [[ $MODE == dialog ]]; then
  bye_answer() { grep -m1 -o "received 'SIP/2.0 [0-9]* [A-Za-z ]*" "$T/$1-errors.log" 2>/dev/null | cut -c11-; }
  # D1 (normal): 2003 calls 2002 through the ITSP (resproxy -> Kamailio -> resproxy -> 2002);
  # 2003 hangs up: the BYE takes resproxy, Kamailio, resproxy, then 2002's Contact
  calls hairpin 3 10 2002
  [[ $UAC_RC -eq 0 && $UAC_OK -eq 3 ]] ||
    fail "D1 (normal): $UAC_OK of 3 calls 2003->2002 via the ITSP completed; 2003's BYE to 2002's Contact got: $(bye_answer hairpin)"
  note "D1 normal: 2003->2002 via ITSP, 2003 hangs up" "$UAC_OK of 3 completed $( [[ $UAC_OK -eq 3 ]] || echo "(BYE answered: $(bye_answer hairpin))")"
  # D2 (normal): the gateway calls 2005 (routed via the ITSP: from_routing = itsp); 2005 hangs
  # up: its BYE takes resproxy, Kamailio, resproxy, then the gateway's Contact
  K2=$(kam_count 'ITSP-INVITE')
  users_csv "$T/gw-2005-callees.csv" 2005
  run_from_gateway gw-hungup itsp-uac-hungup.xml 3 -inf "$T/gw-2005-callees.csv"
  via_kam=$(($(kam_count 'ITSP-INVITE') - K2))
  [[ $UAC_RC -eq 0 && $UAC_OK -eq 3 ]] ||
    fail "D2 (normal): $UAC_OK of 3 gateway calls to 2005 (via the ITSP: $via_kam INVITEs at Kamailio) got 2005's BYE"
  a5=$(grep -m1 -o "received 'SIP/2.0 [0-9]* [A-Za-z ]*" "$T/ph2005-errors.log" 2>/dev/null | cut -c11-)
  note "D2 normal: gateway->2005 via ITSP, 2005 hangs up" "$UAC_OK of 3 completed (INVITEs at Kamailio: $via_kam)$( [[ -n $a5 ]] && echo "; 2005's BYE answered: $a5")"
  # the outage
  read -r STOP_NS STOP_WALL < <(signal_group STOP "$KAM_PID")
  log "kamailio (process group $KAM_PID) stopped: the ITSP is gone"
  DOWN_NS=$(wait_trace "$TRACE" itsp.marked_inactive "$STOP_NS" "$DETECT_LIMIT_S") || fail "no itsp.marked_inactive within $DETECT_LIMIT_S s"
  # D3 (outage): the gateway calls 2002 (served locally); the gateway hangs up: its BYE
  # (Route: resproxy) reaches resproxy with 2002's Contact as Request-URI
  users_csv "$T/gw-2002-callees.csv" 2002
  run_from_gateway gw-2002 itsp-uac.xml 3 -inf "$T/gw-2002-callees.csv"
  [[ $UAC_RC -eq 0 && $UAC_OK -eq 3 ]] ||
    fail "D3 (outage): $UAC_OK of 3 gateway calls to 2002 completed; the gateway's BYE to 2002's Contact got: $(bye_answer gw-2002)"
  note "D3 outage: gateway->2002, gateway hangs up" "$UAC_OK of 3 completed $( [[ $UAC_OK -eq 3 ]] || echo "(BYE answered: $(bye_answer gw-2002))")"
  # D4 (outage, control): the gateway calls 2005, 2005 hangs up toward the gateway's Contact
  run_from_gateway gw-hungup-out itsp-uac-hungup.xml 3 -inf "$T/gw-2005-callees.csv"
  [[ $UAC_RC -eq 0 && $UAC_OK -eq 3 ]] || fail "D4 (outage): $UAC_OK of 3 gateway calls to 2005 got 2005's BYE"
  note "D4 outage: gateway->2005, 2005 hangs up" "$UAC_OK of 3 completed"
  print_summary
  proxy_alive || fail "resproxy died"
  finish
fi

# --- loss: calls over a lossy ITSP link, no false failover -----------------------------------
if [[ $MODE == loss-netns ]]; then
  apply_loss
  L0=$(mono_now_ns)
  n=$((LOSS_SECONDS * LOSS_RATE))
  calls lossy "$n" "$LOSS_RATE" 2001
  L1=$(mono_now_ns)
  inactive=$(trace_count "$TRACE" itsp.marked_inactive "$T0")
  suspect=$(trace_count "$TRACE" itsp.marked_suspect "$L0" "$L1")
  probe_failed=$(trace_count "$TRACE" itsp.probe_failed "$L0" "$L1")
  failovers=$(trace_count "$TRACE" itsp.failover "$L0" "$L1")
  to_kam=$(forwarded_to_itsp INVITE "$L0" "$L1")
  drops=$("$IPT" -L INPUT -n -v -x | awk '$3 == "DROP" { s += $1 } END { print s + 0 }')
  log "lossy link: $drops packets dropped; itsp.marked_inactive=$inactive marked_suspect=$suspect probe_failed=$probe_failed failover=$failovers"
  [[ $inactive -eq 0 ]] || fail "false failover: resproxy marked the ITSP inactive $inactive times over a $LOSS lossy link"
  note "loss on the ITSP link" "$LOSS per packet, each direction ($drops packets dropped)"
  note "loss: calls placed / failed" "$n / $UAC_FAILED (successful $UAC_OK, sipp rc $UAC_RC; INVITEs sent to Kamailio: $to_kam)"
  note "loss: itsp.marked_inactive (must be 0)" "$inactive"
  note "loss: itsp.marked_suspect / probe_failed" "$suspect / $probe_failed"
  note "loss: calls failed over (answer_timeout)" "$failovers"
  print_summary
  finish
fi

# 3. the outage: Kamailio stops while calls go on
calls_bg outage "$OUT_CALLS" "$OUT_RATE" 2001
OUT_PID=$BG_PID
sleep "$STOP_AFTER_S"
read -r STOP_NS STOP_WALL < <(signal_group STOP "$KAM_PID")
log "kamailio (process group $KAM_PID) stopped: the ITSP is gone"
DOWN_NS=$(wait_trace "$TRACE" itsp.marked_inactive "$STOP_NS" "$DETECT_LIMIT_S")
wait_calls_bg outage "$OUT_PID" $((OUT_CALLS / OUT_RATE + 40))
# a call started up to 1 s before the stop may still have been in flight through Kamailio
read -r started early_failed _ < <(split_calls outage "$(awk -v w="$STOP_WALL" 'BEGIN { printf "%.6f", w - 1 }')")
read -r _ before_failed after_failed < <(split_calls outage "$STOP_WALL")
inflight_failed=$((before_failed - early_failed))
early=$(trace_count "$TRACE" itsp.marked_inactive "$T0" "$STOP_NS")
[[ $early -eq 0 ]] || fail "resproxy marked the ITSP inactive $early times before the outage"
if [[ -z $DOWN_NS ]]; then
  fail "no itsp.marked_inactive within $DETECT_LIMIT_S s of the stop"
  DETECT_MS=NA
else
  DETECT_MS=$(ns_to_ms "$STOP_NS" "$DOWN_NS")
fi
FIRST_FAILOVER=$(trace_select "$TRACE" itsp.failover "$STOP_NS" | head -1)
failovers=$(trace_count "$TRACE" itsp.failover "$STOP_NS")
log "outage calls: placed $started, failed $UAC_FAILED (in flight at the stop: $inflight_failed, placed after it: $after_failed)"
[[ ${after_failed:-1} -eq 0 ]] || fail "$after_failed calls placed after the ITSP stopped failed: $(failed_after outage "$STOP_WALL")"
[[ ${early_failed:-1} -eq 0 ]] || fail "$early_failed calls placed more than 1 s before the stop failed"
[[ ${started:-0} -eq $OUT_CALLS ]] || fail "the outage UAC placed ${started:-0} calls, expected $OUT_CALLS"
note "detection (STOP -> itsp.marked_inactive)" "$DETECT_MS ms"
[[ -n $FIRST_FAILOVER ]] && note "first live call failed over after STOP" "$(ns_to_ms "$STOP_NS" "$FIRST_FAILOVER") ms"
note "outage: calls placed / failed" "$OUT_CALLS at $OUT_RATE/s / $UAC_FAILED"
note "  failed, placed after the STOP (must be 0)" "$after_failed"
note "  failed, in flight at the STOP (<= 1 s before)" "$inflight_failed"
[[ ${inflight_failed:-0} -gt 0 ]] &&
  log "in flight at the stop: $(failed_after outage "$(awk -v w="$STOP_WALL" 'BEGIN { printf "%.6f", w - 1 }')" "$STOP_WALL")"
note "  failed, placed earlier (must be 0)" "$early_failed"
note "  served locally after no answer (failover)" "$failovers"

# 4. during the outage (fast only: default measures the switches)
if [[ $MODE == fast ]]; then
OUT4=$(mono_now_ns)
calls to-gw "$GW_CALLS" 5 "$GW_NUMBER"
expect_all_calls to-gw "$GW_CALLS"
wait_uas gw "$GW_PID" "$GW_CALLS" 10
gw_ok=$(grep -c "^ruri sip:$GW_NUMBER@$LOCAL_IP:$P_GW\$" "$T/gw-phone.log" 2>/dev/null)
[[ $gw_ok -eq $GW_CALLS ]] || fail "the gateway saw $gw_ok INVITEs with Request-URI sip:$GW_NUMBER@$LOCAL_IP:$P_GW, expected $GW_CALLS: $(sort -u "$T/gw-phone.log" | head -3 | paste -sd' ')"
to_gw=$(trace_count "$TRACE" route.forwarded "$OUT4" - method=INVITE target="sip:$GW_NUMBER@$LOCAL_IP:$P_GW" to="$LOCAL_IP:$P_GW")
[[ $to_gw -eq $GW_CALLS ]] || fail "resproxy's trace shows $to_gw INVITEs to the gateway, expected $GW_CALLS"
note "outage: calls to $GW_NUMBER -> gateway" "$UAC_OK of $GW_CALLS (R-URI sip:$GW_NUMBER@$LOCAL_IP:$P_GW: $gw_ok)"

run_from_gateway gw-404 itsp-uac-404.xml 3 -s "$GW_UNKNOWN"
[[ $UAC_RC -eq 0 && $UAC_OK -eq 3 ]] || fail "gateway calls to the unregistered $GW_UNKNOWN: $UAC_OK of 3 answered 404 (sipp rc $UAC_RC)"
looped=$(trace_count "$TRACE" route.forwarded "$OUT4" - target="sip:$GW_UNKNOWN@$LOCAL_IP:$P_GW")
[[ $looped -eq 0 ]] || fail "resproxy sent $looped gateway calls back to the gateway"
note "outage: gateway -> unregistered number" "$UAC_OK of 3 answered 404, $looped looped back"
users_csv "$T/gw-2001-callees.csv" 2001
run_from_gateway gw-2001 itsp-uac.xml 3 -inf "$T/gw-2001-callees.csv"
[[ $UAC_RC -eq 0 && $UAC_OK -eq 3 ]] || fail "gateway calls to the registered 2001: $UAC_OK of 3 succeeded (sipp rc $UAC_RC)"
note "outage: gateway -> registered 2001" "$UAC_OK of 3 connected"

R0=$(mono_now_ns)
register_once reg-outage 2004
R1=$(mono_now_ns)
if [[ -z $REG_EXPIRES ]]; then
  fail "REGISTER of 2004 during the outage: no 200"
elif [[ $REG_EXPIRES -gt $DOWN_EXPIRES || $REG_EXPIRES -le 0 ]]; then
  fail "REGISTER of 2004 during the outage: granted expires=$REG_EXPIRES, expected 1..$DOWN_EXPIRES"
fi
reg_fwd=$(forwarded_to_itsp REGISTER "$R0" "$R1")
[[ $reg_fwd -eq 0 ]] || fail "resproxy forwarded the outage REGISTER to the stopped ITSP ($reg_fwd)"
note "outage: REGISTER 2004 answered locally" "expires=${REG_EXPIRES:-none} (cap $DOWN_EXPIRES), forwarded to ITSP: $reg_fwd"
fi

# 5. the return: Kamailio continues while calls go on
calls_bg return "$RET_CALLS" "$OUT_RATE" 2001
RET_PID=$BG_PID
sleep "$CONT_AFTER_S"
read -r CONT_NS CONT_WALL < <(signal_group CONT "$KAM_PID")
log "kamailio (process group $KAM_PID) continued: the ITSP is back"
# A stopped Kamailio's clock jumps by the whole stop a few seconds after SIGCONT; itsp.cfg's tm
# timers are long enough for stops of up to MAX_STOP_S (see there). A longer stop would let
# Kamailio answer 408 to requests of the return phase on its own.
stopped_s=$(( (CONT_NS - STOP_NS) / 1000000000 ))
[[ $stopped_s -le $MAX_STOP_S ]] ||
  fail "Kamailio was stopped ${stopped_s} s, over the ${MAX_STOP_S} s its tm timers allow (itsp.cfg)"
UP_NS=$(wait_trace "$TRACE" itsp.marked_active "$CONT_NS" "$FAILBACK_LIMIT_S")
wait_calls_bg return "$RET_PID" $((RET_CALLS / OUT_RATE + 40))
read -r started before_failed after_failed < <(split_calls return "$CONT_WALL")
if [[ -z $UP_NS ]]; then
  fail "no itsp.marked_active within $FAILBACK_LIMIT_S s of the continue"
  FAILBACK_MS=NA
else
  FAILBACK_MS=$(ns_to_ms "$CONT_NS" "$UP_NS")
fi
log "return calls: placed $started, failed $UAC_FAILED (started before the continue: $before_failed, after: $after_failed)"
[[ $UAC_FAILED -eq 0 && $UAC_RC -eq 0 ]] ||
  fail "$UAC_FAILED calls failed around the ITSP's return (sipp rc $UAC_RC); after the continue: $(failed_after return "$CONT_WALL")"
note "failback (CONT -> itsp.marked_active)" "$FAILBACK_MS ms"
note "return: calls placed / failed" "$RET_CALLS at $OUT_RATE/s / $UAC_FAILED (before CONT $before_failed, after $after_failed)"
if [[ -n $UP_NS ]]; then
  note "  INVITEs to Kamailio after marked_active" "$(forwarded_to_itsp INVITE "$UP_NS")"
fi

# registrations and calls flow to the ITSP again
A0=$(mono_now_ns)
KR0=$(kam_count 'ITSP-REGISTER user=2004 ')
register_once reg-back 2004
reg_fwd=$(forwarded_to_itsp REGISTER "$A0")
kam_reg=$(($(kam_count 'ITSP-REGISTER user=2004 ') - KR0))
[[ $reg_fwd -ge 1 && $kam_reg -ge 1 ]] ||
  fail "REGISTER of 2004 after the return: forwarded to Kamailio $reg_fwd, logged by Kamailio $kam_reg (expected >= 1 each)"
[[ ${REG_EXPIRES:-0} -gt $DOWN_EXPIRES ]] ||
  fail "REGISTER of 2004 after the return: expires=${REG_EXPIRES:-none}, expected Kamailio's 3600"
note "return: REGISTER 2004 via Kamailio" "forwarded $reg_fwd, at Kamailio $kam_reg, expires=${REG_EXPIRES:-none}"
K1=$(kam_count 'ITSP-INVITE')
A1=$(mono_now_ns)
calls after "$AFTER_CALLS" 10 2001
expect_all_calls after "$AFTER_CALLS"
fwd=$(forwarded_to_itsp INVITE "$A1")
via_kam=$(($(kam_count 'ITSP-INVITE') - K1))
[[ $fwd -eq $AFTER_CALLS && $via_kam -ge $AFTER_CALLS ]] ||
  fail "after the return: $fwd INVITEs forwarded to Kamailio, $via_kam logged by it; expected $AFTER_CALLS"
note "after: calls placed / failed" "$AFTER_CALLS / $UAC_FAILED (via Kamailio: $fwd)"

# the phones: calls they had to abort (late INVITEs that Kamailio processed from its socket
# buffer once continued reach them after the call ended; resproxy hangs such calls up)
a1=$(phone_aborts ph2001); a2=$(phone_aborts ph2002)
note "phones: aborted incoming calls (info)" "2001: ${a1:-0}, 2002: ${a2:-0}"
note "resproxy: late ITSP answers hung up (info)" "$(trace_count "$TRACE" itsp.late_answer_hung_up "$T0")"
print_summary
proxy_alive || fail "resproxy died"
stop_proxy
finish
