#!/usr/bin/env bash
# End-to-end: TCP exhaustion (issue #10). resproxy runs with its hard descriptor limit at 1,024
# (prlimit), trusting only 127.0.0.10 ([sipproxy.trust] disable_all = 1). tcp_exhaustion.py
# opens 3,000 connections from 127.0.0.66 (untrusted; half idle, half with half a request) and
# keeps them; the daemon accepts and closes at once all but tcp_max_per_source (8) of them (the
# flood guard's rate for the source, then the per-source cap) and closes those after
# tcp_header_timeout (5 s). Meanwhile a phone from 127.0.0.10 registers over
# TCP (200), resproxyctl answers, and the daemon's descriptors stay bounded.
# env: lib.sh's (RESPROXY_BIN, E2E_KEEP, E2E_TMP); RESPROXYCTL_BIN; TCP_CONNECTIONS=3000
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
E2E_SIP_LOG=0
CTL=${RESPROXYCTL_BIN:-$(dirname "$RESPROXY_BIN")/resproxyctl}
[[ -x $CTL ]] || { fail "resproxyctl not found (set RESPROXYCTL_BIN)"; finish; }
command -v prlimit >/dev/null || { fail "prlimit not found (util-linux)"; finish; }

read -r P_PROXY < <(free_ports 1)
CONF=$T/resproxy.ini
{
  echo "[sipproxy]"
  echo "mode = standalone"
  echo "realm = resproxy.local"
  echo "[advanced.sipproxy]"
  echo "transport = both"
  echo "[sipproxy.trust]"
  echo "disable_all = 1"
  echo "[sipproxy.trust.1]"
  echo "enable = 1"
  echo "ipmin = 127.0.0.10"
} >"$CONF"
start_proxy "$P_PROXY" "$T/data" --config "$CONF" || finish
prlimit --pid "$PROXY_PID" --nofile=1024:1024 || { fail "prlimit on the daemon"; finish; }
log "resproxy pid $PROXY_PID: descriptors $(prlimit --pid "$PROXY_PID" --nofile -o SOFT,HARD --noheadings)"

timeout -k 2 60 python3 "$HERE/tcp_exhaustion.py" "$P_PROXY" "$PROXY_PID" | tee "$T/tcp.out"
[[ ${PIPESTATUS[0]} -eq 0 ]] || fail "tcp_exhaustion.py: FAIL lines above"

if out=$("$CTL" --data-dir "$T/data" show counters 2>&1); then
  log "PASS resproxyctl-answers: $(echo "$out" | grep -E '^(tcp_|flood_dropped|sources_banned)' | tr '\n' ' ')"
  # Closed at once: by the flood guard (its connection rate) or by the per-source cap.
  refused=$(echo "$out" | awk '$1 == "tcp_refused" || $1 == "flood_dropped" {n += $2} END {print n + 0}')
  [[ $refused -ge 2900 ]] || fail "$refused of 3,000 connections closed at once (tcp_refused + flood_dropped)"
else
  fail "resproxyctl show counters: $out"
fi
proxy_alive || fail "resproxy died"
stop_proxy
finish
