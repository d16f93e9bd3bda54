#!/usr/bin/env bash
# Simultaneous PSTN calls with audio through four emulated E1s (4 x 30 B-channels) in the native
# daemon, and the daemon's CPU for them (issue #12). Everything on 127.0.0.1.
#
# usage: bench/gateway/bench-e1-audio.sh
#
#   1. resproxy starts standalone (its limits on calls per user/source off) with the PSTN gateway
#      in the same daemon: four emulated E1 cards, one group, to the emulated exchange whose
#      subscribers 01632 960000-960999 answer after 2-5 s (e1-audio.ini.in).
#   2. idle baseline: the daemon's CPU over IDLE_WINDOW s with no call.
#   3. SIPp (uac-audio.xml.in) places CALLS calls at RATE/s to 9 01632 960000.. (one number
#      each), each held HOLD s from its answer with G.711 A-law audio from PCAP
#      (play_pcap_audio, replayed for the whole hold: 33.3 packets/s of 30 ms). Every answered
#      call gets a gateway RTP port; the emulated line echoes what it hears, so the gateway sends
#      50 packets/s per call back to SIPp.
#   4. once `resproxyctl show channels` lists CALLS answered channels, the steady window: the
#      daemon's CPU (utime + stime of all its threads, /proc/PID/stat) over WINDOW s, the
#      gateway's counters (`show counters`) before and after, the machine's CPU (/proc/stat) and
#      SIPp's own; then the channels again (all CALLS still up, or the window was not steady).
#   5. SIPp must end with CALLS successful calls and none failed; the daemon gets SIGTERM and
#      must exit 0.
# Prints the figures and a final RESULT line; exit 0 only if every check passed.
#
# Environment (all optional):
#   CALLS=120 HOLD=30 RATE=40   calls, hold in s, calls/s while they are set up (CALLS <= 120)
#   WINDOW=15 IDLE_WINDOW=5     the measured windows in s (0: no idle baseline); WINDOW must end
#                               before the first call does: WINDOW <= HOLD - CALLS/RATE - 7
#   PCAP=/usr/share/sip-tester/g711a.pcap   the audio (installed by sip-tester, scripts/setup.sh)
#   AUDIO=pcap                  pcap: SIPp plays PCAP; echo: SIPp plays nothing and echoes the
#                               gateway's RTP (-rtp_echo, 50 packets/s each way per call, plain
#                               UDP sockets: the control for play_pcap_audio's raw sockets)
#   RTP_FIRST=30000             the gateway's RTP pool: RTP_FIRST .. RTP_FIRST + 2*CALLS + 19
#                               (below the kernel's ephemeral ports)
#   RESPROXY_BIN, RESPROXYCTL_BIN   default: build-rel/, else build-release/, else build/
#   OUT_DIR=<mktemp>            the run's files (config, logs, SIPp statistics, counters)
#   KEEP=1                      keep OUT_DIR after a passing run
# Needs root (or CAP_NET_RAW for sipp): SIPp's play_pcap_audio sends through a raw socket.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LOCAL_IP=127.0.0.1

CALLS=${CALLS:-120}
HOLD=${HOLD:-30}
RATE=${RATE:-40}
WINDOW=${WINDOW:-15}
IDLE_WINDOW=${IDLE_WINDOW:-5}
PCAP=${PCAP:-/usr/share/sip-tester/g711a.pcap}
AUDIO=${AUDIO:-pcap}
[[ $AUDIO == pcap || $AUDIO == echo ]] || { echo "AUDIO must be pcap or echo" >&2; exit 2; }
RTP_FIRST=${RTP_FIRST:-30000}
RTP_LAST=$((RTP_FIRST + 2 * CALLS + 19))
E1_CHANNELS=120  # e1-audio.ini.in: four E1s of 30 B-channels

for v in CALLS HOLD RATE WINDOW IDLE_WINDOW RTP_FIRST; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$v must be a whole number" >&2; exit 2; }
done
((CALLS >= 1 && CALLS <= E1_CHANNELS)) || { echo "CALLS must be 1..$E1_CHANNELS (the four E1s' channels)" >&2; exit 2; }
((RATE >= 1 && WINDOW >= 1)) || { echo "RATE and WINDOW must be positive" >&2; exit 2; }
((RTP_FIRST >= 1024 && RTP_LAST <= 65535)) || { echo "RTP_FIRST out of range" >&2; exit 2; }
RAMP=$(((CALLS + RATE - 1) / RATE))
# the last call is answered at most 5 s after its INVITE (+1 s for polling); the first is
# cleared no sooner than 2 s (its earliest answer) + HOLD after the start
if ((RAMP + 6 + WINDOW >= 2 + HOLD)); then
  echo "WINDOW=$WINDOW does not fit: with CALLS=$CALLS at RATE=$RATE, HOLD must exceed $((RAMP + 4 + WINDOW)) s" >&2
  exit 2
fi

pick_bin() {
  local name=$1 b
  for b in build-rel build-release build; do
    [[ -x $ROOT/$b/proxy/native/$name ]] && { echo "$ROOT/$b/proxy/native/$name"; return; }
  done
}
RESPROXY_BIN=${RESPROXY_BIN:-$(pick_bin resproxy)}
RESPROXYCTL_BIN=${RESPROXYCTL_BIN:-$(pick_bin resproxyctl)}
[[ -n $RESPROXY_BIN && -x $RESPROXY_BIN ]] || { echo "resproxy not found: cmake --build build-rel --target resproxy resproxyctl" >&2; exit 1; }
[[ -n $RESPROXYCTL_BIN && -x $RESPROXYCTL_BIN ]] || { echo "resproxyctl not found (RESPROXYCTL_BIN)" >&2; exit 1; }
command -v sipp >/dev/null || { echo "sipp not installed (scripts/setup.sh: sip-tester)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 1; }
[[ -r $PCAP ]] || { echo "no audio capture $PCAP (scripts/setup.sh installs sip-tester)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || echo "warning: not root: SIPp's play_pcap_audio needs CAP_NET_RAW" >&2

OUT_DIR=${OUT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/resproxy-e1-audio.XXXXXX")}
mkdir -p "$OUT_DIR"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
FAILED=0
fail() { log "FAIL: $*"; FAILED=1; }

DAEMON_PID=""
SIPP_PID=""
stop_pid() {  # TERM, up to 5 s, then KILL; reaped
  local pid=$1 i
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}
cleanup() {
  stop_pid "$SIPP_PID"
  stop_pid "$DAEMON_PID"
  if [[ $FAILED -ne 0 || ${KEEP:-0} == 1 ]]; then
    echo "files kept in $OUT_DIR"
  else
    rm -rf "$OUT_DIR"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The capture's length and pace, from its own record headers (classic pcap, either byte order).
read -r PCAP_PACKETS PCAP_MS PLAY_MS < <(python3 - "$PCAP" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
end = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
nano = data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
times, off = [], 24
while off + 16 <= len(data):
    sec, frac, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
    times.append(sec + frac / (1e9 if nano else 1e6))
    off += 16 + incl
span = times[-1] - times[0]
pace = span / (len(times) - 1)
# one play lasts the capture plus one packet interval, so that back-to-back plays keep the pace
print(len(times), round(span * 1000), round((span + pace) * 1000))
PY
)
[[ ${PLAY_MS:-0} -gt 0 ]] || { echo "cannot read $PCAP" >&2; exit 1; }
HOLD_MS=$((HOLD * 1000))
FULL_PLAYS=$((HOLD_MS / PLAY_MS))
LAST_MS=$((HOLD_MS - FULL_PLAYS * PLAY_MS))
((LAST_MS > 0)) || LAST_MS=1

read -r P_PROXY P_GW P_SIPP P_MEDIA < <(python3 "$ROOT/tests/e2e/free_port.py" 4 | paste -sd' ')
sed -e "s/@GW_PORT@/$P_GW/g" -e "s/@PROXY_PORT@/$P_PROXY/g" -e "s/@RTP_FIRST@/$RTP_FIRST/g" \
  -e "s/@RTP_LAST@/$RTP_LAST/g" "$HERE/e1-audio.ini.in" >"$OUT_DIR/resproxy.ini"
sed -e "s|@PCAP@|$PCAP|g" -e "s/@FULL_PLAYS@/$FULL_PLAYS/g" -e "s/@PLAY_MS@/$PLAY_MS/g" \
  -e "s/@LAST_MS@/$LAST_MS/g" "$HERE/uac-audio.xml.in" >"$OUT_DIR/uac-audio.xml"
SIPP_AUDIO=()
if [[ $AUDIO == echo ]]; then
  sed -i '/play_pcap_audio=/d' "$OUT_DIR/uac-audio.xml"
  SIPP_AUDIO=(-rtp_echo)
fi
{
  echo SEQUENTIAL
  for ((i = 0; i < CALLS; i++)); do printf '90163296%04d\n' "$i"; done
} >"$OUT_DIR/numbers.csv"

busy_rtp=$(ss -Huan 2>/dev/null | awk -v lo="$RTP_FIRST" -v hi="$RTP_LAST" \
  '{ n = split($4, a, ":"); p = a[n] + 0; if (p >= lo && p <= hi) c++ } END { print c + 0 }')
((busy_rtp == 0)) || log "warning: $busy_rtp UDP port(s) in the RTP pool $RTP_FIRST-$RTP_LAST are taken: calls on them get no audio (counted)"

"$RESPROXY_BIN" --check-config "$OUT_DIR/resproxy.ini" >"$OUT_DIR/check-config.out" 2>&1 ||
  { fail "resproxy --check-config: $(cat "$OUT_DIR/check-config.out")"; exit 1; }
"$RESPROXY_BIN" --config "$OUT_DIR/resproxy.ini" --listen "$LOCAL_IP:$P_PROXY" --data-dir "$OUT_DIR/data" \
  >"$OUT_DIR/resproxy.log" 2>&1 </dev/null &
DAEMON_PID=$!
for ((i = 0; i < 100; i++)); do
  grep -q 'listening on' "$OUT_DIR/resproxy.log" 2>/dev/null && break
  kill -0 "$DAEMON_PID" 2>/dev/null || break
  sleep 0.1
done
grep -q 'listening on' "$OUT_DIR/resproxy.log" || { fail "resproxy did not start: $(tail -5 "$OUT_DIR/resproxy.log")"; exit 1; }
log "resproxy pid $DAEMON_PID on $LOCAL_IP:$P_PROXY, gateway on :$P_GW, RTP pool $RTP_FIRST-$RTP_LAST"

ctl() { timeout -k 2 10 "$RESPROXYCTL_BIN" --data-dir "$OUT_DIR/data" "$@"; }
CLK_TCK=$(getconf CLK_TCK)
# utime + stime of a process, all its threads (clock ticks; the kernel scales them to the
# scheduler's exact run time)
proc_ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'; }
# the machine: busy and total jiffies of all CPUs (/proc/stat; iowait counts as idle)
host_jiffies() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }
answered_channels() { ctl show channels 2>/dev/null | awk '$4 ~ /answered/ { c++ } END { print c + 0 }'; }
counter() { awk -v n="$2" '$1 == n { print $2 }' "$1"; }
delta() { echo $(($(counter "$2" "$1") - $(counter "$3" "$1"))); }

# 2. idle baseline
IDLE_PCT="-"
if ((IDLE_WINDOW > 0)); then
  sleep 1
  t0=$(proc_ticks "$DAEMON_PID")
  sleep "$IDLE_WINDOW"
  t1=$(proc_ticks "$DAEMON_PID")
  IDLE_PCT=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v w="$IDLE_WINDOW" 'BEGIN { printf "%.2f", 100 * d / hz / w }')
  log "idle: daemon ${IDLE_PCT} % of one core over ${IDLE_WINDOW} s"
fi

# 3. the calls
SIPP_LIMIT=$((RAMP + 5 + HOLD + 30))
timeout -k 2 $((SIPP_LIMIT + 5)) sipp "$LOCAL_IP:$P_PROXY" -sf "$OUT_DIR/uac-audio.xml" -inf "$OUT_DIR/numbers.csv" \
  -i "$LOCAL_IP" -p "$P_SIPP" -mi "$LOCAL_IP" -mp "$P_MEDIA" -t u1 -m "$CALLS" -l "$CALLS" -r "$RATE" -rp 1000 \
  -nostdin -buff_size 4194304 -recv_timeout 15000 -timeout "${SIPP_LIMIT}s" \
  -trace_stat -stf "$OUT_DIR/sipp-stats.csv" -fd 1 -trace_err -error_file "$OUT_DIR/sipp-errors.log" \
  -trace_screen -screen_file "$OUT_DIR/sipp-screen.log" "${SIPP_AUDIO[@]}" >"$OUT_DIR/sipp.out" 2>&1 </dev/null &
SIPP_PID=$!
if [[ $AUDIO == pcap ]]; then
  log "sipp pid $SIPP_PID: $CALLS calls at $RATE/s, hold ${HOLD} s ($FULL_PLAYS plays of $PLAY_MS ms + $LAST_MS ms of $PCAP: $PCAP_PACKETS packets, $PCAP_MS ms)"
else
  log "sipp pid $SIPP_PID: $CALLS calls at $RATE/s, hold ${HOLD} s, echoing the gateway's RTP (-rtp_echo)"
fi

# 4. the steady window
up=0
for ((i = 0; i < (RAMP + 15) * 4; i++)); do
  sleep 0.25
  up=$(answered_channels)
  ((up >= CALLS)) && break
  kill -0 "$SIPP_PID" 2>/dev/null || break
done
log "answered channels: $up of $CALLS"
((up >= CALLS)) || fail "only $up of $CALLS calls were up (answered channels) within $((RAMP + 15)) s"

WINDOW_PCT="-"
if ((up >= CALLS)); then
  sleep 1  # the last answers' bridges latch and fill their jitter buffers
  SIPP_PROC=$(ps -o pid= --ppid "$SIPP_PID" | head -1 | tr -d ' ')  # sipp under timeout
  SIPP_PROC=${SIPP_PROC:-$SIPP_PID}
  thread_ticks() { local t; for t in /proc/"$DAEMON_PID"/task/*; do echo "${t##*/} $(cat "$t/comm") $(proc_ticks "$DAEMON_PID/task/${t##*/}")"; done; }
  now_s() { date +%s.%N; }
  # each reading is bracketed by clock readings: the rates use the midpoints of the two
  # `show counters` (resproxyctl takes a while on a busy machine), the CPU its own instants
  c0a=$(now_s); ctl show counters >"$OUT_DIR/counters-before.out" 2>&1; c0b=$(now_s)
  w0=$(now_s)
  read -r hb0 ht0 < <(host_jiffies)
  d0=$(proc_ticks "$DAEMON_PID")
  s0=$(proc_ticks "$SIPP_PROC")
  thread_ticks >"$OUT_DIR/threads-before.out"
  sleep "$WINDOW"
  w1=$(now_s)
  d1=$(proc_ticks "$DAEMON_PID")
  s1=$(proc_ticks "$SIPP_PROC")
  read -r hb1 ht1 < <(host_jiffies)
  thread_ticks >"$OUT_DIR/threads-after.out"
  c1a=$(now_s); ctl show counters >"$OUT_DIR/counters-after.out" 2>&1; c1b=$(now_s)
  # SIPp 3.6's play_pcap_audio sends through one raw UDP socket per playing call, and Linux
  # hands each of them a copy of every UDP datagram to that address (dropped unread): the
  # datagrams the daemon sends pay for those copies (see README.md)
  cp /proc/net/raw "$OUT_DIR/proc-net-raw.txt"
  raw_sockets=$(awk 'NR > 1 && $4 != "" { c++ } END { print c + 0 }' "$OUT_DIR/proc-net-raw.txt")
  still=$(answered_channels)
  ((still >= CALLS)) || fail "the window was not steady: $still of $CALLS calls still up at its end (raise HOLD or lower WINDOW)"

  A=$OUT_DIR/counters-after.out
  B=$OUT_DIR/counters-before.out
  rx=$(delta gateway.rtp_rx "$A" "$B")
  tx=$(delta gateway.rtp_tx "$A" "$B")
  concealed=$(delta gateway.rtp_concealed "$A" "$B")
  late=$(delta gateway.rtp_late "$A" "$B")
  slips=$(delta gateway.rtp_slips "$A" "$B")
  rx_errors=$(delta gateway.rtp_rx_errors "$A" "$B")
  refused=$(counter "$A" gateway.media_bridges_refused)
  bridges=$(counter "$A" gateway.media_bridges_open)
  secs=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.3f", b - a }')
  csecs=$(awk -v a="$c0a" -v b="$c0b" -v c="$c1a" -v d="$c1b" 'BEGIN { printf "%.3f", (c + d) / 2 - (a + b) / 2 }')
  read -r WINDOW_PCT SIPP_PCT RX_PS TX_PS US_PKT US_CALL_S PCT_CALL HOST_PCT HOST_CORES < <(awk \
    -v dd=$((d1 - d0)) -v sd=$((s1 - s0)) -v hz="$CLK_TCK" -v w="$secs" -v cw="$csecs" -v rx="$rx" -v tx="$tx" \
    -v calls="$CALLS" -v hb=$((hb1 - hb0)) -v ht=$((ht1 - ht0)) -v ncpu="$(nproc)" 'BEGIN {
      cpu = dd / hz
      printf "%.2f %.1f %.0f %.0f %.2f %.0f %.3f %.1f %.2f\n", 100 * cpu / w, 100 * sd / hz / w,
        rx / cw, tx / cw, (rx + tx > 0 ? 1e6 * cpu / ((rx + tx) * w / cw) : 0), 1e6 * cpu / w / calls,
        100 * cpu / w / calls, (ht > 0 ? 100 * hb / ht : 0), (ht > 0 ? ncpu * hb / ht : 0) }')
  if [[ $AUDIO == pcap ]]; then
    expect_rx=$(awk -v c="$CALLS" -v w="$csecs" -v n="$PCAP_PACKETS" -v ms="$PLAY_MS" 'BEGIN { printf "%.0f", c * w * n / (ms / 1000) }')
    rx_how="$CALLS x $PCAP_PACKETS per $PLAY_MS ms"
  else
    expect_rx=$(awk -v c="$CALLS" -v w="$csecs" 'BEGIN { printf "%.0f", c * w * 50 }')
    rx_how="$CALLS x 50/s echoed"
  fi
  expect_tx=$((CALLS * 50))
  log "steady window ${secs} s (counters: ${csecs} s) with $CALLS calls up ($bridges bridges open, $refused refused; $raw_sockets raw sockets open)"
  log "RTP in  (SIPp -> gateway): $rx packets, $RX_PS/s (expected ~$expect_rx in the window: $rx_how)"
  log "RTP out (gateway -> SIPp): $tx packets, $TX_PS/s (expected $expect_tx/s: $CALLS x 50)"
  log "jitter buffers: concealed $concealed frames, late $late, slips $slips, rx errors $rx_errors"
  if [[ $AUDIO == pcap ]]; then
    # each replay restarts the capture's sequence numbers: a jump the jitter buffer re-anchors on
    log "  of $((CALLS * 50)) frames/s played to the lines; the capture was replayed ~$(awk -v c="$CALLS" \
      -v w="$csecs" -v ms="$PLAY_MS" -v k="$concealed" 'BEGIN { r = c * w / (ms / 1000); printf "%.0f times in the window (%.1f concealed frames per replay)", r, (r > 0 ? k / r : 0) }')"
  fi
  log "daemon CPU: $WINDOW_PCT % of one core ($PCT_CALL % per call, $US_CALL_S us per call-second), $US_PKT us per RTP packet (in + out)"
  log "daemon threads (CPU ticks in the window): $(join -j1 <(sort "$OUT_DIR/threads-before.out") <(sort "$OUT_DIR/threads-after.out") |
    awk '$5 - $3 > 0 { printf "%s=%d ", $2, $5 - $3 }')"
  log "SIPp CPU: $SIPP_PCT % of one core; machine: $HOST_PCT % busy of $(nproc) CPUs ($HOST_CORES cores' worth, /proc/stat), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  ((refused == 0)) || fail "$refused media bridge(s) refused: calls without audio"
  ((bridges >= CALLS)) || fail "$bridges media bridges open for $CALLS calls"
  ((tx > 0 && rx > 0)) || fail "no RTP both ways in the window (rx $rx, tx $tx)"
  # every call both ways at its pace, within 5 % (a slow machine shows up here)
  awk -v a="$tx" -v e="$(awk -v p="$expect_tx" -v w="$csecs" 'BEGIN { print p * w }')" 'BEGIN { exit !(a >= 0.95 * e) }' ||
    fail "the gateway sent fewer than 95 % of the expected $expect_tx packets/s"
  awk -v a="$rx" -v e="$expect_rx" 'BEGIN { exit !(a >= 0.95 * e) }' ||
    fail "the gateway received fewer than 95 % of the ~$expect_rx packets SIPp should have sent"
fi

# 5. SIPp's verdict, then a clean stop
for ((i = 0; i < (SIPP_LIMIT + 10) * 10; i++)); do kill -0 "$SIPP_PID" 2>/dev/null || break; sleep 0.1; done
wait "$SIPP_PID" 2>/dev/null
SIPP_RC=$?
SIPP_PID=""
sipp_stat() {
  awk -F';' -v col="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
                         { last = $c } END { print (last == "" ? 0 : last) }' "$OUT_DIR/sipp-stats.csv" 2>/dev/null
}
OK=$(sipp_stat 'SuccessfulCall(C)')
BAD=$(sipp_stat 'FailedCall(C)')
log "SIPp: exit $SIPP_RC, successful $OK, failed $BAD of $CALLS"
[[ $SIPP_RC -eq 0 && $OK -eq $CALLS && $BAD -eq 0 ]] || fail "SIPp: expected $CALLS successful calls, none failed, exit 0"
ctl show counters >"$OUT_DIR/counters-end.out" 2>&1
kill -TERM "$DAEMON_PID"
for ((i = 0; i < 50; i++)); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$DAEMON_PID" 2>/dev/null; then
  fail "resproxy ignored SIGTERM for 5 s"
  kill -KILL "$DAEMON_PID" 2>/dev/null
fi
wait "$DAEMON_PID" 2>/dev/null
DAEMON_RC=$?
DAEMON_PID=""
[[ $DAEMON_RC -eq 0 ]] || fail "resproxy exited $DAEMON_RC after SIGTERM (expected 0)"

echo "RESULT audio=$AUDIO calls=$CALLS up=$up hold_s=$HOLD window_s=${secs:-0} rtp_in_per_s=${RX_PS:-0} rtp_out_per_s=${TX_PS:-0}" \
  "concealed=${concealed:-0} late=${late:-0} slips=${slips:-0} daemon_core_pct=$WINDOW_PCT idle_core_pct=$IDLE_PCT" \
  "us_per_packet=${US_PKT:-0} core_pct_per_call=${PCT_CALL:-0} sipp_ok=$OK sipp_failed=$BAD" \
  "sipp_core_pct=${SIPP_PCT:-0} host_busy_pct=${HOST_PCT:-0} verdict=$([[ $FAILED -eq 0 ]] && echo PASS || echo FAIL)"
[[ $FAILED -eq 0 ]] || exit 1
exit 0
