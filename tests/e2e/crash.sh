#!/usr/bin/env bash
# End-to-end crash test: acknowledged registrations survive `kill -9`.
#
#  1. resproxy starts on a fresh data directory. Two SIPp phones register from their own ports
#     and keep running as UAS: phone "udp" users 4001..4005 over UDP, phone "tcp" users 4101,
#     4102 over TCP. Every REGISTER gets its 200 (listing the binding) before we go on.
#  2. kill -9 of the daemon at once, no grace; restart on the same data directory and port.
#     It must report the 7 bindings loaded. The phones were never told anything.
#  3. A SIPp UAC calls every one of the 7 users (one call each, through the restarted proxy,
#     over UDP; the TCP phone's connection died with the daemon, so the proxy must open a new
#     one to the phone's Contact): every call succeeds.
#  4. "Any moment": phone "burst" registers BURST users (default 300) at 300/s; the daemon is
#     killed with -9 in the middle of it. Every user whose 200 the phone had received by then
#     must be callable after a second restart (one call each, zero failures).
#  5. SIGTERM: clean exit 0.
# env: BURST=300, plus lib.sh's (RESPROXY_BIN, E2E_KEEP, E2E_SIP_LOG)
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

BURST=${BURST:-300}
read -r P_PROXY P_UDP P_TCP P_BURST < <(free_ports 4)
DATA=$T/data

# calls_to NAME TRANSPORT USER...: one call per user, through the proxy; all must succeed
calls_to() {
  local name=$1 transport=$2
  shift 2
  users_csv "$T/$name-callees.csv" "$@"
  local rate=$(($# < 100 ? 20 : 100))
  run_uac "$name" uac-users.xml $# "$rate" "$transport" -inf "$T/$name-callees.csv"
  expect_all_calls "$name" $#
}

# --- 1. register ------------------------------------------------------------------------
start_proxy "$P_PROXY" "$DATA" || finish
start_phone udp "$P_UDP" u1 uas.xml 120000 4001 4002 4003 4004 4005 || finish
start_phone tcp "$P_TCP" t1 uas.xml 120000 4101 4102 || finish
calls_to before u1 4001 4102

# --- 2. kill -9, restart ------------------------------------------------------------------
kill9_proxy
log "resproxy killed with SIGKILL"
[[ -s $DATA/registrations.db ]] || fail "no $DATA/registrations.db after the crash"
start_proxy "$P_PROXY" "$DATA" || finish
loaded=$(grep -o '[0-9]* bindings loaded' "$T/resproxy-$PROXY_RUNS.log" | awk '{print $1}')
log "after restart: ${loaded:-?} bindings loaded"
[[ ${loaded:-0} -eq 7 ]] || fail "expected the 7 acknowledged bindings to be loaded, got ${loaded:-none}"

# --- 3. calls reach them --------------------------------------------------------------------
calls_to after-restart u1 4001 4002 4003 4004 4005 4101 4102

# --- 4. kill -9 in the middle of a registration burst ------------------------------------
burst_users=()
for ((i = 1; i <= BURST; i++)); do burst_users+=("$(printf '5%05d' "$i")"); done
users_csv "$T/burst-users.csv" "${burst_users[@]}"
mp=$(free_ports 1)
timeout -k 2 150 sipp "$LOCAL_IP:$P_PROXY" -sf "$SCEN/phone.xml" -oocsf "$SCEN/uas.xml" \
  -inf "$T/burst-users.csv" -m "$BURST" -r 300 -d 120000 -i "$LOCAL_IP" -p "$P_BURST" -mp "$mp" -t u1 \
  -nostdin -buff_size 4194304 -recv_timeout 10000 -trace_logs -log_file "$T/burst-phone.log" \
  -trace_err -error_file "$T/burst-errors.log" >"$T/burst.out" 2>&1 </dev/null &
PIDS+=("$!")
# kill once about a third of the users are acknowledged (bounded: 10 s)
for ((i = 0; i < 200; i++)); do
  [[ $(grep -c '^registered ' "$T/burst-phone.log" 2>/dev/null) -ge $((BURST / 3)) ]] && break
  sleep 0.05
done
kill9_proxy
mapfile -t acked < <(grep '^registered ' "$T/burst-phone.log" 2>/dev/null | awk '{print $2}')
log "resproxy killed with SIGKILL after ${#acked[@]} of $BURST burst registrations were acknowledged"
[[ ${#acked[@]} -gt 0 ]] || fail "no burst registration was acknowledged before the kill"
start_proxy "$P_PROXY" "$DATA" || finish
loaded=$(grep -o '[0-9]* bindings loaded' "$T/resproxy-$PROXY_RUNS.log" | awk '{print $1}')
log "after the second restart: ${loaded:-?} bindings loaded (7 + at least ${#acked[@]})"
[[ ${loaded:-0} -ge $((7 + ${#acked[@]})) ]] || fail "acknowledged registrations lost: ${loaded:-0} loaded, expected >= $((7 + ${#acked[@]}))"
[[ ${#acked[@]} -gt 0 ]] && calls_to after-burst u1 "${acked[@]}"

for p in udp tcp burst; do
  a=$(phone_aborts "$p")
  [[ ${a:-0} -eq 0 ]] || fail "phone $p aborted $a calls"
done
proxy_alive || fail "resproxy died"
stop_proxy
finish
