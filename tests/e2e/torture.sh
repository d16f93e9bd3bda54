#!/usr/bin/env bash
# End-to-end torture test: every RFC 4475 / RFC 5118 message of tests/data/sip-torture, sent
# as one UDP datagram to the running daemon, gets the answer torture.py's table names (derived
# from MANIFEST.tsv's proxy_action for a stateful proxy in standalone mode; the table explains
# each row), and the daemon keeps serving calls afterwards: a SIPp phone registers and a SIPp
# UAC places CALLS (default 50) calls through it, zero failures; SIGTERM then exits 0.
#
# The corpus reuses transaction keys (same branch, sent-by and method in several files), so
# torture.py spreads those files over extra daemons (p2…p4): on one daemon, within 32 s, the
# later ones would rightly be retransmissions of the first. The main daemon (p1) gets every
# other file and then carries the calls.
# env: CALLS=50, TORTURE_WAIT_S=1.0, plus lib.sh's (RESPROXY_BIN, E2E_KEEP, E2E_SIP_LOG)
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

CALLS=${CALLS:-50}
CORPUS=$ROOT/tests/data/sip-torture
[[ -s $CORPUS/MANIFEST.tsv ]] || { echo "FAIL: no corpus at $CORPUS" >&2; exit 1; }

needed=$(python3 "$HERE/torture.py" needed "$CORPUS") || exit 1
read -r -a ports < <(free_ports $((needed + 1)))
P_PHONE=${ports[$needed]}

# the main daemon (lib.sh) and the extra ones, each on its own data directory
start_proxy "${ports[0]}" "$T/data1" || finish
MAIN_PID=$PROXY_PID MAIN_PORT=$PROXY_PORT
EXTRA_PIDS=()
for ((i = 1; i < needed; i++)); do
  start_proxy "${ports[$i]}" "$T/data$((i + 1))" || finish
  EXTRA_PIDS+=("$PROXY_PID")
done
PROXY_PID=$MAIN_PID PROXY_PORT=$MAIN_PORT
port_list=$(IFS=,; echo "${ports[*]:0:$needed}")

log "sending $(($(wc -l <"$CORPUS/MANIFEST.tsv") - 1)) torture messages (proxies on $port_list)"
python3 "$HERE/torture.py" "$port_list" "$CORPUS" | tee "$T/torture.out"
[[ ${PIPESTATUS[0]} -eq 0 ]] || fail "torture messages: answers differ from the table (BAD rows above)"

for p in "$MAIN_PID" "${EXTRA_PIDS[@]}"; do
  kill -0 "$p" 2>/dev/null || fail "a resproxy (pid $p) died during the torture run"
done

# the main daemon still serves calls
start_phone uas "$P_PHONE" u1 uas.xml 60000 3000 || finish
run_uac uac-after-torture uac.xml "$CALLS" 50 u1 -s 3000
expect_all_calls uac-after-torture "$CALLS"

for p in "${EXTRA_PIDS[@]}"; do
  kill -TERM "$p" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  wait "$p" 2>/dev/null
  rc=$?
  [[ $rc -eq 0 ]] || fail "extra resproxy $p exited $rc after SIGTERM"
done
stop_proxy
finish
