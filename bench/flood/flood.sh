#!/usr/bin/env bash
# Flood benchmark (issue #10): untrusted loopback addresses flood resproxy with INVITE/REGISTER
# while a trusted SIPp phone places calls through it to a registered SIPp UAS.
#
# usage: bench/flood/flood.sh            (10,000 messages/s from 127.0.0.2..127.0.0.251)
#        RATE=50000 bench/flood/flood.sh
#
# Steps: build resproxy + resproxyctl (Release) and bench/flood/flood.c; start resproxy with
# bench/flood/resproxy-flood.ini ([sipproxy.dos] at its defaults, only 127.0.0.1 trusted);
# register a SIPp UAS as u1 and start it; start the flood; LEAD_S later start a SIPp UAC that
# places CALLS calls at CPS calls/s to u1 through resproxy; when the UAC is done, stop the flood;
# read resproxyctl show counters / show bans. Meanwhile resproxy's VmRSS is sampled every 0.5 s.
# Prints a RESULT block; exits 1 if fewer than MIN_SUCCESS_PCT % of the calls succeeded or
# anything reached the PSTN gateway (to_gateway > 0), 2 on a setup error.
#
# Knobs (environment):
#   RATE=10000                flood messages/s (all sources together); 0: no flood (baseline)
#   CALLS=2000 CPS=100        trusted calls and their rate
#   LEAD_S=3                  seconds of flood before the first call
#   DURATION=LEAD_S+CALLS/CPS+20   flood length cap in s (the flood is stopped when the UAC ends)
#   SOURCES=127.0.0.2..127.0.0.251  flood source addresses (loopback only)
#   MIX=1:1 BATCH=8           INVITE:REGISTER mix; messages per source per sendmmsg
#   MIN_SUCCESS_PCT=99.9      verdict threshold
#   RP_PORT=5062 UAC_PORT=5082 UAS_PORT=5092 GW_PORT=5099   loopback ports (GW: nobody listens)
#   RECV_TIMEOUT_MS=5000      a call waiting longer than this for an answer fails (SIPp)
#   SIPP_BUFF=4194304         SIPp socket buffers (-buff_size; net.core.rmem_max caps it)
#   SIPP_UAC_EXTRA="…"        extra arguments of the calling SIPp (word-split)
#   BUILD_DIR=build-release   CMake build directory; CMAKE_EXTRA="…" extra cmake arguments
#   SKIP_BUILD=1 RESPROXY_BIN=…   use an existing binary (resproxyctl is looked up beside it,
#                             or RESPROXYCTL_BIN=…)
#   OUT_DIR=/tmp/resproxy-flood-<time>   artefacts: config, logs, SIPp stats, samples
#
# Only loopback is used; every wait is bounded; everything started here is stopped on exit.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
B=$ROOT/bench

RATE=${RATE:-10000}
CALLS=${CALLS:-2000}
CPS=${CPS:-100}
LEAD_S=${LEAD_S:-3}
SOURCES=${SOURCES:-127.0.0.2..127.0.0.251}
MIX=${MIX:-1:1}
BATCH=${BATCH:-8}
MIN_SUCCESS_PCT=${MIN_SUCCESS_PCT:-99.9}
RP_PORT=${RP_PORT:-5062}
UAC_PORT=${UAC_PORT:-5082}
UAS_PORT=${UAS_PORT:-5092}
GW_PORT=${GW_PORT:-5099}
RECV_TIMEOUT_MS=${RECV_TIMEOUT_MS:-5000}
SIPP_BUFF=${SIPP_BUFF:-4194304}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-release}
OUT_DIR=${OUT_DIR:-/tmp/resproxy-flood-$(date +%Y%m%d-%H%M%S)}
for v in RATE CALLS CPS LEAD_S BATCH RP_PORT UAC_PORT UAS_PORT GW_PORT RECV_TIMEOUT_MS SIPP_BUFF; do
  [[ ${!v} =~ ^[0-9]+$ && ( ${!v} -gt 0 || $v == RATE ) ]] || { echo "$v must be a positive integer (got '${!v}')" >&2; exit 2; }
done
CALL_S=$(((CALLS + CPS - 1) / CPS))
DURATION=${DURATION:-$((LEAD_S + CALL_S + 20))}
[[ $SOURCES =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+(\.\.127\.[0-9]+\.[0-9]+\.[0-9]+)?$ ]] ||
  { echo "SOURCES must be loopback: FIRST..LAST within 127.0.0.0/8 (got '$SOURCES')" >&2; exit 2; }
ip_num() { awk -F. '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }' <<<"$1"; }
SRC_FIRST=${SOURCES%%..*}; SRC_LAST=${SOURCES##*..}
(($(ip_num "$SRC_FIRST") <= $(ip_num 127.0.0.1) && $(ip_num 127.0.0.1) <= $(ip_num "$SRC_LAST"))) &&
  { echo "SOURCES must not include 127.0.0.1 (the trusted phones)" >&2; exit 2; }

mkdir -p "$OUT_DIR"/{uac,uas} && OUT_DIR=$(cd "$OUT_DIR" && pwd) && cd "$OUT_DIR" ||
  { echo "cannot create OUT_DIR $OUT_DIR" >&2; exit 2; }
T0=$SECONDS
say() { printf '[flood %s +%ds] %s\n' "$(date +%H:%M:%S)" $((SECONDS - T0)) "$*" >&2; }
die() { echo "flood.sh: $*" >&2; exit 2; }

command -v sipp >/dev/null || die "sipp missing (scripts/setup.sh installs sip-tester)"
command -v cc >/dev/null || die "cc missing"
for p in "$RP_PORT" "$UAC_PORT" "$UAS_PORT" "$GW_PORT"; do
  if ss -Hlun "sport = :$p" | grep -q . || ss -Hltn "sport = :$p" | grep -q .; then
    die "port $p is in use (RP_PORT, UAC_PORT, UAS_PORT, GW_PORT must be free)"
  fi
done

# ---- build --------------------------------------------------------------------------------
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  say "building resproxy + resproxyctl (Release) in $BUILD_DIR"
  # shellcheck disable=SC2086
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DRESPROXY_WITH_TESTS=OFF \
    -DRESPROXY_WITH_BENCH=OFF ${CMAKE_EXTRA:-} >"$OUT_DIR/cmake.log" 2>&1 &&
    cmake --build "$BUILD_DIR" -j2 --target resproxy resproxyctl >>"$OUT_DIR/cmake.log" 2>&1 ||
    { tail -20 "$OUT_DIR/cmake.log" >&2; die "build failed, see $OUT_DIR/cmake.log"; }
fi
RESPROXY_BIN=${RESPROXY_BIN:-$BUILD_DIR/proxy/native/resproxy}
RESPROXYCTL_BIN=${RESPROXYCTL_BIN:-$(dirname "$RESPROXY_BIN")/resproxyctl}
[[ -x $RESPROXY_BIN ]] || die "no resproxy binary at $RESPROXY_BIN"
[[ -x $RESPROXYCTL_BIN ]] || die "no resproxyctl at $RESPROXYCTL_BIN"
FLOOD_BIN=$OUT_DIR/flood
cc -O2 -Wall -Wextra -Werror -o "$FLOOD_BIN" "$HERE/flood.c" 2>"$OUT_DIR/flood-cc.log" ||
  { cat "$OUT_DIR/flood-cc.log" >&2; die "compiling flood.c failed"; }

# what was measured: the commit and whether the working tree differed from it (read-only git)
SOURCE_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "no git")
dirty=$(git -C "$ROOT" status --porcelain --untracked-files=no -- proxy 2>/dev/null | wc -l)
((dirty > 0)) && SOURCE_REV+=" + uncommitted changes in $dirty files under proxy/"

# ---- configuration ------------------------------------------------------------------------
CONFIG=$OUT_DIR/resproxy-flood.ini
sed "s/^address = 127\.0\.0\.1:5099$/address = 127.0.0.1:$GW_PORT/" "$HERE/resproxy-flood.ini" >"$CONFIG"
"$RESPROXY_BIN" --check-config "$CONFIG" >"$OUT_DIR/check-config.txt" 2>&1 ||
  { cat "$OUT_DIR/check-config.txt" >&2; die "resproxy refused $CONFIG"; }
# the [sipproxy.dos] defaults of this binary (the config leaves the section out)
"$RESPROXY_BIN" --print-config >"$OUT_DIR/print-config.ini" 2>&1
awk '/^\[sipproxy\.dos\]/ { on = 1; next } /^\[/ { on = 0 } on && /^[a-z_]+ *=/ { print $1 "=" $3 }' \
  "$OUT_DIR/print-config.ini" >"$OUT_DIR/dos-defaults.txt"
DOS_DEFAULTS=$(tr '\n' ' ' <"$OUT_DIR/dos-defaults.txt")
[[ -n $DOS_DEFAULTS ]] || DOS_DEFAULTS="(no [sipproxy.dos] section in --print-config: this binary has no flood guard)"

# ---- processes, cleanup -------------------------------------------------------------------
export RP_RUN_DIR=$OUT_DIR/resproxy RP_BIN=$RESPROXY_BIN RP_CONFIG=$CONFIG RP_LISTEN=127.0.0.1:$RP_PORT
CTL=("$RESPROXYCTL_BIN" --data-dir "$RP_RUN_DIR/data")
UAS_PID="" UAC_PID="" FLOOD_PID="" SAMPLER_PID="" UAC_DROPS_PID="" RP_STARTED=0
stop_pid() { # stop_pid PID SIGNAL: signal, then TERM, then KILL, ~6 s at most
  local pid=$1 sig=$2
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 10); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}
cleanup() {
  stop_pid "$FLOOD_PID" INT
  stop_pid "$UAC_PID" TERM   # timeout(1) passes TERM on to its SIPp
  stop_pid "$UAS_PID" USR1   # SIPp: smooth exit, statistics written
  stop_pid "$SAMPLER_PID" TERM
  stop_pid "$UAC_DROPS_PID" TERM
  [[ $RP_STARTED == 1 ]] && "$B/stop-resproxy.sh" >>"$OUT_DIR/resproxy-stop.log" 2>&1
  RP_STARTED=0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

udp_snmp() { awk '/^Udp:/ && ++n == 2 { print "InDatagrams=" $2, "NoPorts=" $3, "InErrors=" $4, "RcvbufErrors=" $6, "SndbufErrors=" $7, "MemErrors=" $10 }' /proc/net/snmp; }
snmp_field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
sock_drops() { # kernel receive-buffer drops (ss skmem d) of the UDP socket(s) on a local port
  ss -Huanm "sport = :$1" 2>/dev/null | grep -o 'skmem:([^)]*)' | grep -o ',d[0-9]*' |
    awk '{ d += substr($0, 3) } END { print d + 0 }'
}
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'; }
CLK_TCK=$(getconf CLK_TCK)
host_busy_pct() { # host_busy_pct UPTIME0 IDLE0: busy % of all CPUs since then (100 = one core)
  awk -v u0="$1" -v i0="$2" -v n="$(nproc)" '{ w = $1 - u0; if (w <= 0) w = 0.01
    b = (n * w - ($2 - i0)) * 100 / w; if (b < 0) b = 0; printf "%.0f", b }' /proc/uptime
}

# ---- resproxy -----------------------------------------------------------------------------
say "starting resproxy on 127.0.0.1:$RP_PORT (config $CONFIG)"
"$B/start-resproxy.sh" >"$OUT_DIR/resproxy-start.log" 2>&1 || { cat "$OUT_DIR/resproxy-start.log" >&2; die "resproxy did not start"; }
RP_STARTED=1
RP_PID=$(cat "$RP_RUN_DIR/resproxy.pid")
RSS_START=$(awk '/^VmRSS:/ { print $2 }' "/proc/$RP_PID/status")

# ---- UAS: register u1 from the UAS port (as bench/bench.sh does), then answer calls ------
say "registering u1 -> 127.0.0.1:$UAS_PORT and starting the SIPp UAS"
(cd "$OUT_DIR/uas" && timeout -k 2 20 sipp "127.0.0.1:$RP_PORT" -sf "$B/scenarios/register-one.xml" \
  -key domain resproxy.local -key user u1 -au u1 -ap flood-u1-secret \
  -key contact_host 127.0.0.1 -key contact_port "$UAS_PORT" -key expires 3600 \
  -i 127.0.0.1 -t u1 -p "$UAS_PORT" -nostdin -recv_timeout 3000 -m 1 \
  -trace_err -error_file reg-errors.log >reg.out 2>&1) || die "registering u1 failed (see $OUT_DIR/uas)"
UAC_LIMIT_S=$((CALL_S + 30 + RECV_TIMEOUT_MS / 1000))
(cd "$OUT_DIR/uas" && exec sipp -sf "$B/scenarios/uas.xml" -p "$UAS_PORT" -i 127.0.0.1 -t u1 -nostdin \
  -buff_size "$SIPP_BUFF" -timeout "$((LEAD_S + UAC_LIMIT_S + 30))s" -trace_stat -stf uas-stats.csv -fd 1 \
  -trace_err -error_file uas-errors.log >uas.out 2>&1 </dev/null) &
UAS_PID=$!
for _ in $(seq 1 25); do
  ss -Hlun 2>/dev/null | awk '{ print $4 }' | grep -qx "127.0.0.1:$UAS_PORT" && break
  sleep 0.2
done
kill -0 "$UAS_PID" 2>/dev/null || { tail -5 "$OUT_DIR/uas/uas.out" >&2; die "the SIPp UAS did not start"; }

# ---- RSS sampler (bounded) ----------------------------------------------------------------
(
  for _ in $(seq 1 $(((DURATION + UAC_LIMIT_S + 60) * 2))); do
    r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$RP_PID/status" 2>/dev/null) || break
    [[ -n $r ]] || break
    echo "$(date +%s.%N) $r"
    sleep 0.5
  done
) >"$OUT_DIR/rss-samples.txt" &
SAMPLER_PID=$!

# ---- flood, then the calls ----------------------------------------------------------------
# how busy the host was just before (another build or test run on this 2-core box shows here)
read -r UPB IDLEB </proc/uptime; sleep 1; HOST_BUSY_BEFORE=$(host_busy_pct "$UPB" "$IDLEB")
SNMP0=$(udp_snmp)
DROPS_RP0=$(sock_drops "$RP_PORT"); DROPS_UAS0=$(sock_drops "$UAS_PORT")
CPU0=$(cpu_ticks "$RP_PID"); UAS_CPU0=$(cpu_ticks "$UAS_PID")
read -r UP0 IDLE0 </proc/uptime
if ((RATE > 0)); then
  say "flood: $RATE messages/s from $SOURCES for up to $DURATION s (mix INVITE:REGISTER $MIX)"
  "$FLOOD_BIN" -t "127.0.0.1:$RP_PORT" -r "$RATE" -d "$DURATION" -s "$SOURCES" -m "$MIX" -b "$BATCH" \
    >"$OUT_DIR/flood.out" 2>"$OUT_DIR/flood.err" </dev/null &
  FLOOD_PID=$!
else
  say "RATE=0: no flood (baseline)"
fi
sleep "$LEAD_S"
if ((RATE > 0)); then
  kill -0 "$FLOOD_PID" 2>/dev/null || { cat "$OUT_DIR/flood.err" >&2; die "the flood sender exited early"; }
fi

say "UAC: $CALLS calls at $CPS calls/s to u1 (expect ~$CALL_S s)"
CPU_UAC0=$(cpu_ticks "$RP_PID")
(cd "$OUT_DIR/uac" && exec timeout -k 5 "$((UAC_LIMIT_S + 5))" sipp "127.0.0.1:$RP_PORT" -sf "$B/scenarios/uac.xml" \
  -s u1 -d 0 -i 127.0.0.1 -p "$UAC_PORT" -t u1 -r "$CPS" -rp 1000 -m "$CALLS" -nostdin \
  -recv_timeout "$RECV_TIMEOUT_MS" -timeout "${UAC_LIMIT_S}s" -buff_size "$SIPP_BUFF" \
  -trace_stat -stf stats.csv -fd 1 -trace_rtt -rtt_freq 1 -trace_err -error_file errors.log \
  -trace_screen -screen_file screen.log ${SIPP_UAC_EXTRA:-} >uac.out 2>&1 </dev/null) &
UAC_PID=$!
# the UAC's socket and process go away with it: sample its drops and CPU while it runs (bounded)
( for _ in $(seq 1 $(((UAC_LIMIT_S + 10) * 2))); do
    p=$(pgrep -P "$UAC_PID" -x sipp | head -1)
    [[ -n $p ]] && echo "$(sock_drops "$UAC_PORT") $(cpu_ticks "$p")" >"$OUT_DIR/uac/sample.tmp" &&
      mv "$OUT_DIR/uac/sample.tmp" "$OUT_DIR/uac/sample.txt"
    sleep 0.5
  done ) &
UAC_DROPS_PID=$!
wait "$UAC_PID"; UAC_RC=$?; UAC_PID=""
CPU_UAC1=$(cpu_ticks "$RP_PID")
stop_pid "$UAC_DROPS_PID" TERM; UAC_DROPS_PID=""
say "UAC done (sipp rc=$UAC_RC); stopping the flood"
COUNTERS_AT_UAC_END=$("${CTL[@]}" show counters 2>&1)
FLOOD_CPU=0
if [[ -n $FLOOD_PID ]]; then FLOOD_CPU=$(cpu_ticks "$FLOOD_PID"); fi
stop_pid "$FLOOD_PID" INT; FLOOD_PID=""
CPU1=$(cpu_ticks "$RP_PID"); UAS_CPU1=$(cpu_ticks "$UAS_PID")
HOST_BUSY=$(host_busy_pct "$UP0" "$IDLE0")
read -r UP1 _ </proc/uptime
SNMP1=$(udp_snmp)
DROPS_RP=$(($(sock_drops "$RP_PORT") - DROPS_RP0)); DROPS_UAS=$(($(sock_drops "$UAS_PORT") - DROPS_UAS0))
read -r DROPS_UAC UAC_CPU < <(cat "$OUT_DIR/uac/sample.txt" 2>/dev/null || echo "NA 0")
sleep 1
COUNTERS=$("${CTL[@]}" show counters 2>&1); echo "$COUNTERS" >"$OUT_DIR/counters.txt"
echo "$COUNTERS_AT_UAC_END" >"$OUT_DIR/counters-at-uac-end.txt"
BANS=$("${CTL[@]}" show bans 2>&1); echo "$BANS" >"$OUT_DIR/bans.txt"
RSS_FINAL=$(awk '/^VmRSS:/ { print $2 }' "/proc/$RP_PID/status")
HWM=$(awk '/^VmHWM:/ { print $2 }' "/proc/$RP_PID/status")
stop_pid "$SAMPLER_PID" TERM; SAMPLER_PID=""
stop_pid "$UAS_PID" USR1; UAS_PID=""

# ---- figures ------------------------------------------------------------------------------
FLOOD_LINE=$(grep -s '^FLOOD ' "$OUT_DIR/flood.out" | tail -1)
ff() { tr ' ' '\n' <<<"$FLOOD_LINE" | awk -F= -v k="$1" '$1 == k { print substr($0, length(k) + 2) }'; }
sstat() { # last value of a column of SIPp's -trace_stat CSV
  awk -F';' -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
    { last = $c } END { print (last == "" ? 0 : last) }' "$1" 2>/dev/null
}
STATS=$OUT_DIR/uac/stats.csv
SUCC=$(sstat "$STATS" 'SuccessfulCall(C)'); FAIL=$(sstat "$STATS" 'FailedCall(C)')
RETRANS=$(sstat "$STATS" 'Retransmissions(C)')
TIMEOUTS=$(($(sstat "$STATS" 'FailedTimeoutOnRecv(C)') + $(sstat "$STATS" 'FailedMaxUDPRetrans(C)')))
UNEXP=$(sstat "$STATS" 'FailedUnexpectedMessage(C)')
SUCC=${SUCC:-0}; FAIL=${FAIL:-0}
UNFINISHED=$((CALLS - SUCC - FAIL)); ((UNFINISHED < 0)) && UNFINISHED=0
SUCC_PCT=$(awk -v s="$SUCC" -v n="$CALLS" 'BEGIN { printf "%.2f", s * 100 / n }')
# setup time INVITE -> 200 per call: SIPp's rtd timer 1 (uac.xml: rtd="true" on the 200), one
# line per call in -trace_rtt's uac_<pid>_rtt.csv (Date_ms;response_time_ms;rtd_no)
RTT_FILES=("$OUT_DIR"/uac/uac_*_rtt.csv)
RTT_FILE=${RTT_FILES[0]}
if [[ -s $RTT_FILE ]]; then
  # nearest-rank percentiles; RTT_STEP: the smallest non-zero value, i.e. SIPp's clock step
  read -r RTT_N RTT_P50 RTT_P90 RTT_P99 RTT_MAX RTT_AVG RTT_STEP < <(awk -F';' 'NR > 1 && $2 != "" { print $2 }' "$RTT_FILE" | sort -g |
    awk '{ v[NR] = $1; s += $1; if ($1 > 0 && (step == "" || $1 < step)) step = $1 }
      END { if (NR == 0) { print 0, "NA", "NA", "NA", "NA", "NA", "NA"; exit }
      p50 = int(0.50 * NR + 0.999999); p90 = int(0.90 * NR + 0.999999); p99 = int(0.99 * NR + 0.999999)
      printf "%d %g %g %g %g %.2f %s\n", NR, v[p50], v[p90], v[p99], v[NR], s / NR, (step == "" ? "NA" : step) }')
else
  RTT_N=0 RTT_P50=NA RTT_P90=NA RTT_P99=NA RTT_MAX=NA RTT_AVG=NA RTT_STEP=NA
fi
read -r RSS_PEAK RSS_SAMPLES < <(awk '{ if ($2 > m) m = $2 } END { print m + 0, NR }' "$OUT_DIR/rss-samples.txt")
mb() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f", k / 1024 }'; }
CPU_S=$(awk -v a="$CPU0" -v b="$CPU1" -v t="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / t }')
CPU_CALLS_S=$(awk -v a="$CPU_UAC0" -v b="$CPU_UAC1" -v t="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / t }')
FLOOD_WALL=$(awk -v a="$UP0" -v b="$UP1" 'BEGIN { printf "%.1f", b - a }')
CPU_PCT=$(awk -v c="$CPU_S" -v w="$FLOOD_WALL" 'BEGIN { printf "%.0f", (w > 0 ? c * 100 / w : 0) }')
pct_of() { awk -v t="${1:-0}" -v k="$CLK_TCK" -v w="$FLOOD_WALL" 'BEGIN { printf "%.0f", (w > 0 ? t / k * 100 / w : 0) }'; }
FLOOD_PCT=$(pct_of "$FLOOD_CPU"); UAC_PCT=$(pct_of "$UAC_CPU"); UAS_PCT=$(pct_of $((UAS_CPU1 - UAS_CPU0)))
OTHER_PCT=$(awk -v h="$HOST_BUSY" -v a="$CPU_PCT" -v b="$FLOOD_PCT" -v c="$UAC_PCT" -v d="$UAS_PCT" \
  'BEGIN { o = h - a - b - c - d; printf "%.0f", (o < 0 ? 0 : o) }')
counter() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "n/a" }' <<<"$COUNTERS"; }
snmp_delta() { awk -v a="$(snmp_field "$SNMP0" "$1")" -v b="$(snmp_field "$SNMP1" "$1")" 'BEGIN { print b - a }'; }
TO_GW=$(counter to_gateway)
NBANS=$(awk '/ bans$/ { print $1 }' <<<"$BANS"); NBANS=${NBANS:-n/a}

VERDICT=PASS; WHY=""
awk -v p="$SUCC_PCT" -v m="$MIN_SUCCESS_PCT" 'BEGIN { exit !(p < m) }' && { VERDICT=FAIL; WHY+=" success<$MIN_SUCCESS_PCT%"; }
[[ $TO_GW =~ ^[0-9]+$ ]] || { VERDICT=FAIL; WHY+=" to_gateway-unreadable"; }
[[ $TO_GW =~ ^[0-9]+$ && $TO_GW -gt 0 ]] && { VERDICT=FAIL; WHY+=" to_gateway>0"; }

{
  echo "RESULT flood benchmark ($(nproc) cores, $(date '+%Y-%m-%d %H:%M:%S'), out $OUT_DIR)"
  echo "  source       $SOURCE_REV; binary $RESPROXY_BIN ($(date -r "$RESPROXY_BIN" '+%H:%M:%S'))"
  if ((RATE > 0)); then
    echo "  flood        asked $RATE msg/s from $(ff sources) sources ($SOURCES, INVITE:REGISTER $MIX, batch $BATCH),"
    echo "               achieved $(ff achieved_rate) msg/s: sent $(ff sent) in $(ff elapsed_s) s, send errors $(ff send_errors)" \
       "(eagain $(ff eagain), refused $(ff refused), other $(ff other_errors)); answers received $(ff answers) [$(ff answer_codes)]"
  else
    echo "  flood        none (RATE=0: baseline)"
  fi
  echo "  trusted      $CALLS calls at $CPS/s: successful $SUCC, failed $FAIL, unfinished $UNFINISHED -> $SUCC_PCT %" \
       "(need >= $MIN_SUCCESS_PCT %); timeouts $TIMEOUTS, unexpected $UNEXP, SIPp retransmissions $RETRANS, sipp rc $UAC_RC"
  echo "  setup time   INVITE->200 over $RTT_N calls: p50 $RTT_P50 ms, p90 $RTT_P90 ms, p99 $RTT_P99 ms, max $RTT_MAX ms," \
       "avg $RTT_AVG ms (SIPp's clock moves in ${RTT_STEP} ms steps here: 0 = under one step)"
  echo "  resproxy RSS start $(mb "$RSS_START") MB, peak $(mb "$RSS_PEAK") MB ($RSS_SAMPLES samples / 0.5 s; VmHWM $(mb "$HWM") MB)," \
       "final $(mb "$RSS_FINAL") MB"
  echo "  resproxy CPU $CPU_S s over the flood's ${FLOOD_WALL} s ($CPU_PCT % of one core; $CPU_CALLS_S s during the calls);" \
       "host busy $HOST_BUSY % of $(($(nproc) * 100)) (100 = one core; $HOST_BUSY_BEFORE % in the second before):"
  echo "               flood sender $FLOOD_PCT %, SIPp UAC $UAC_PCT %, UAS $UAS_PCT %, everything else $OTHER_PCT %"
  echo "  counters     flood_dropped $(counter flood_dropped), sources_banned $(counter sources_banned) (show bans: $NBANS)," \
       "answered_statelessly $(counter answered_statelessly), answers_suppressed $(counter answers_suppressed),"
  echo "               exit_refused $(counter exit_refused), to_gateway $TO_GW, gateway_calls $(counter gateway_calls)," \
       "challenged $(counter challenged), overload_rejected $(counter overload_rejected), requests $(counter requests)," \
       "forwarded $(counter forwarded), server_transactions $(counter server_transactions)" \
       "(at the UAC's end: $(awk '$1 == "server_transactions" { print $2 }' <<<"$COUNTERS_AT_UAC_END"))"
  echo "  UDP drops    resproxy socket $DROPS_RP, UAS $DROPS_UAS, UAC $DROPS_UAC (ss skmem d);" \
       "host /proc/net/snmp RcvbufErrors +$(snmp_delta RcvbufErrors), InErrors +$(snmp_delta InErrors)," \
       "NoPorts +$(snmp_delta NoPorts) (includes the flood sockets' deliberately tiny buffers)"
  echo "  dos defaults $DOS_DEFAULTS"
  echo "  verdict      $VERDICT${WHY:+ (${WHY# })}"
} | tee "$OUT_DIR/result.txt"
[[ $VERDICT == PASS ]]
