#!/usr/bin/env bash
# SIPp benchmark driver, aimed at ANY SIP proxy/registrar on loopback.
# (Copied from the shared Kamailio bench kit; the only change: the UAS registers from its own
# port, see "calls: UAS registration" below. scripts/bench-proxy.sh drives it.)
#
# usage: bench.sh <register|register-auth|calls|options> <target-host:port> [rate] [count]
#
#   register       REGISTER distinct users (CSV injection), expect 200
#   register-auth  REGISTER -> 401 -> REGISTER with digest credentials -> 200
#   calls          INVITE/180/200/ACK/BYE/200 through the proxy to a SIPp UAS
#                  (the UAS is started here and first registered as user
#                  "uas" -> sip:uas@127.0.0.1:$UAS_PORT at the target)
#   options        OPTIONS to the proxy itself, expect 200
#
#   rate   calls (transactions/registrations) per second (-r rate -rp 1000)
#   count  total calls (-m). Default: rate * DURATION (DURATION=20 s)
#
# Prints a final line:
#   RESULT scenario=calls target=127.0.0.1:5070 rate=800 count=16000 successful=16000 failed=0 ...
#
# Environment (all optional):
#   DURATION=20            seconds, used when count is omitted
#   TARGET_PID=<pid>       main pid of the proxy; CPU% and memory of it and all
#   TARGET_PIDFILE=<file>  its descendants are reported (100% = one core)
#   TRANSPORT=u1           SIPp transport: u1 (UDP, one socket) or t1 (TCP, one conn)
#   LOCAL_IP=127.0.0.1     address SIPp binds to (must be loopback)
#   CLIENT_PORT=5080       local port of the load-generating SIPp
#   UAS_PORT=5090          port of the SIPp UAS (calls)
#   UAS_USER=uas           callee user (calls)
#   REGISTER_UAS=1         calls: register UAS_USER -> LOCAL_IP:UAS_PORT first (0 = skip,
#                          e.g. when the proxy routes 'uas' statically)
#   AUTH_PASSWORD=benchpass  password for register-auth and the UAS registration
#   USERS=10000            number of distinct users in the generated CSV
#   USERS_CSV=<file>       use this CSV instead (field0=user, field1=password)
#   DOMAIN=<target host>   domain used in REGISTER R-URI / From / To
#   RECV_TIMEOUT_MS=5000   a call that waits longer for a message fails
#   CALL_LENGTH_MS=0       calls: pause between ACK and BYE (-d)
#   MAX_FAIL_PCT=0.1       verdict: PASS if (count-successful)/count*100 < this
#   MIN_RATE_RATIO=0.95    ... and achieved_rate >= rate*this
#   OUT_DIR=/tmp/sip-bench per-run artefacts (stats CSV, screens, errors) go below it
#   SIPP_BUFF=4194304      SIPp socket send/receive buffer (-buff_size; SIPp's default is
#                          64 KiB, so SIPp's own socket would overflow first on a busy host)
#   SIPP_EXTRA=""          extra SIPp arguments (word-split)
#   QUIET_WAIT_S=0         wait up to this many seconds for the host to be quiet
#   QUIET_MAX_PCT=25       (busy% of all CPUs, 100 = one core, over 1 s) before the
#                          measured run; pre_busy_pct in RESULT is the last sample
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SCEN_DIR=$HERE/scenarios

usage() { sed -n '4p' "$0" | sed 's/^# //'; exit 2; }
[[ $# -ge 2 ]] || usage
SCENARIO=$1
TARGET=$2

case $SCENARIO in
  register) def_rate=500 ;;
  register-auth) def_rate=300 ;;
  calls) def_rate=200 ;;
  options) def_rate=1000 ;;
  *) usage ;;
esac
DURATION=${DURATION:-20}
RATE=${3:-$def_rate}
COUNT=${4:-$((RATE * DURATION))}
[[ $RATE =~ ^[0-9]+$ && $COUNT =~ ^[0-9]+$ && $RATE -gt 0 && $COUNT -gt 0 ]] || { echo "rate/count must be positive integers" >&2; exit 2; }

TRANSPORT=${TRANSPORT:-u1}
LOCAL_IP=${LOCAL_IP:-127.0.0.1}
CLIENT_PORT=${CLIENT_PORT:-5080}
UAS_PORT=${UAS_PORT:-5090}
UAS_USER=${UAS_USER:-uas}
REGISTER_UAS=${REGISTER_UAS:-1}
AUTH_PASSWORD=${AUTH_PASSWORD:-benchpass}
USERS=${USERS:-10000}
RECV_TIMEOUT_MS=${RECV_TIMEOUT_MS:-5000}
CALL_LENGTH_MS=${CALL_LENGTH_MS:-0}
MAX_FAIL_PCT=${MAX_FAIL_PCT:-0.1}
MIN_RATE_RATIO=${MIN_RATE_RATIO:-0.95}
OUT_DIR=${OUT_DIR:-${TMPDIR:-/tmp}/sip-bench}

# ---- safety: loopback only ----------------------------------------------------
THOST=${TARGET%:*}
TPORT=${TARGET##*:}
[[ $TARGET == *:* && $TPORT =~ ^[0-9]+$ ]] || { echo "target must be host:port" >&2; exit 2; }
THOST=${THOST#[}; THOST=${THOST%]}
is_loopback() { [[ $1 =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ || $1 == ::1 || $1 == localhost ]]; }
is_loopback "$THOST" || { echo "refusing non-loopback target '$THOST'" >&2; exit 2; }
is_loopback "$LOCAL_IP" || { echo "refusing non-loopback LOCAL_IP '$LOCAL_IP'" >&2; exit 2; }
[[ $THOST == localhost ]] && THOST=127.0.0.1
DOMAIN=${DOMAIN:-$THOST}
case $TRANSPORT in u1) contact_params="" ;; t1) contact_params=";transport=tcp" ;; *) echo "TRANSPORT must be u1 or t1" >&2; exit 2 ;; esac

command -v sipp >/dev/null || { echo "sipp not installed (apt-get install sip-tester)" >&2; exit 1; }

# ---- target process (optional) ------------------------------------------------
if [[ -z ${TARGET_PID:-} && -n ${TARGET_PIDFILE:-} && -s ${TARGET_PIDFILE} ]]; then
  TARGET_PID=$(cat "$TARGET_PIDFILE")
fi
TARGET_PID=${TARGET_PID:-}
if [[ -n $TARGET_PID ]] && ! kill -0 "$TARGET_PID" 2>/dev/null; then
  echo "TARGET_PID $TARGET_PID is not running" >&2; exit 1
fi

CLK_TCK=$(getconf CLK_TCK)
# pid and all its descendants
proc_tree() {
  [[ -n ${1:-} ]] || return 0
  ps -eo pid=,ppid= | awk -v root="$1" '
    { par[$1] = $2; pids[NR] = $1 }
    END { keep[root] = 1; changed = 1
          while (changed) { changed = 0
            for (i in pids) { p = pids[i]; if (!(p in keep) && (par[p] in keep)) { keep[p] = 1; changed = 1 } } }
          for (p in keep) print p }'
}
# sum of utime+stime (clock ticks) of the given pids
cpu_ticks() {
  local t=0 p v
  for p in "$@"; do
    v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || v=0
    t=$((t + ${v:-0}))
  done
  echo "$t"
}
# uptime and summed idle seconds of all CPUs (precise; /proc/stat busy ticks
# under-count bursty loads on this tickless VM)
host_ticks() { cat /proc/uptime; }
mem_kb() { # prints: rss_sum pss_sum hwm_max
  local rss=0 pss=0 hwm=0 p r s h
  for p in "$@"; do
    r=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null); r=${r:-0}
    h=$(awk '/^VmHWM:/{print $2}' "/proc/$p/status" 2>/dev/null); h=${h:-0}
    s=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null); s=${s:-0}
    rss=$((rss + r)); pss=$((pss + s)); ((h > hwm)) && hwm=$h
  done
  echo "$rss $pss $hwm"
}

# kernel UDP receive-buffer drops (ss skmem "d") of the socket(s) bound to a
# local port (reading /proc/net/udp is not reliable while other sockets churn)
udp_drops() {
  ss -Huanm "sport = :$1" 2>/dev/null | grep -o 'skmem:([^)]*)' | grep -o ',d[0-9]*' |
    awk '{ d += substr($0, 3) } END { print d + 0 }'
}

# ---- run directory --------------------------------------------------------------
RUN=$OUT_DIR/$SCENARIO-r$RATE-$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$RUN"
cd "$RUN" || exit 1

UAS_PID=""
SAMPLER_PID=""
cleanup() {
  [[ -n $SAMPLER_PID ]] && kill "$SAMPLER_PID" 2>/dev/null
  # stop the UAS by its pid: SIGUSR1 = SIPp smooth exit (no new calls, final
  # statistics written), then SIGTERM, then SIGKILL; bounded to ~10 s
  if [[ -n $UAS_PID ]] && kill -0 "$UAS_PID" 2>/dev/null; then
    kill -USR1 "$UAS_PID" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$UAS_PID" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$UAS_PID" 2>/dev/null && kill -TERM "$UAS_PID" 2>/dev/null
    for _ in $(seq 1 10); do kill -0 "$UAS_PID" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$UAS_PID" 2>/dev/null && kill -KILL "$UAS_PID" 2>/dev/null
    wait "$UAS_PID" 2>/dev/null
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# generous hard bound: expected duration + retransmission/timeout tail
LIMIT_S=$(( (COUNT + RATE - 1) / RATE + 30 + RECV_TIMEOUT_MS / 1000 ))

SIPP_BUFF=${SIPP_BUFF:-4194304}
common=(-i "$LOCAL_IP" -t "$TRANSPORT" -nostdin -recv_timeout "$RECV_TIMEOUT_MS"
        -timeout "${LIMIT_S}s" -buff_size "$SIPP_BUFF")

# ---- users CSV ------------------------------------------------------------------
if [[ $SCENARIO == register || $SCENARIO == register-auth ]]; then
  if [[ -z ${USERS_CSV:-} ]]; then
    USERS_CSV=$OUT_DIR/users-$USERS-$AUTH_PASSWORD.csv
    [[ -s $USERS_CSV ]] || "$HERE/gen-users.sh" "$USERS" "$AUTH_PASSWORD" >"$USERS_CSV"
  fi
fi

# ---- calls: UAS registration + UAS --------------------------------------------
UAS_T0=0
if [[ $SCENARIO == calls ]]; then
  if [[ $REGISTER_UAS == 1 ]]; then
    # sent FROM the UAS port: a proxy that answers a phone where its REGISTER came from
    # (RFC 3581 style, resproxy) then reaches the UAS; one that uses the Contact (Kamailio
    # without NAT handling) too. (The shared kit registered from CLIENT_PORT.)
    timeout -k 2 20 sipp "$THOST:$TPORT" -sf "$SCEN_DIR/register-one.xml" \
      -key domain "$DOMAIN" -key user "$UAS_USER" -au "$UAS_USER" -ap "$AUTH_PASSWORD" \
      -key contact_host "$LOCAL_IP" -key contact_port "$UAS_PORT$contact_params" -key expires 3600 \
      -i "$LOCAL_IP" -t "$TRANSPORT" -p "$UAS_PORT" -nostdin -recv_timeout 3000 -m 1 \
      -trace_err -error_file reg-uas-errors.log >reg-uas.out 2>&1
    rc=$?
    if [[ $rc -ne 0 ]]; then
      echo "registering $UAS_USER -> $LOCAL_IP:$UAS_PORT at $TARGET failed (sipp rc=$rc, see $RUN)" >&2
      exit 1
    fi
  fi
  sipp -sf "$SCEN_DIR/uas.xml" -p "$UAS_PORT" -i "$LOCAL_IP" -t "$TRANSPORT" -nostdin -buff_size "$SIPP_BUFF" \
    -timeout "$((LIMIT_S + 10))s" -trace_stat -stf uas-stats.csv -fd 1 \
    -trace_err -error_file uas-errors.log -trace_screen -screen_file uas-screen.log \
    >uas.out 2>&1 </dev/null &
  UAS_PID=$!
  for _ in $(seq 1 25); do
    ss -Hlun 2>/dev/null | awk '{print $4}' | grep -qx "$LOCAL_IP:$UAS_PORT" && break
    ss -Hltn 2>/dev/null | awk '{print $4}' | grep -qx "$LOCAL_IP:$UAS_PORT" && break
    sleep 0.2
  done
  kill -0 "$UAS_PID" 2>/dev/null || { echo "UAS sipp failed to start:"; tail -5 uas.out; exit 1; } >&2
fi

case $SCENARIO in
  register)      scen_args=(-sf "$SCEN_DIR/register.xml" -inf "$USERS_CSV" -key domain "$DOMAIN") ;;
  register-auth) scen_args=(-sf "$SCEN_DIR/register-auth.xml" -inf "$USERS_CSV" -key domain "$DOMAIN"
                            -au '[field0]' -ap '[field1]') ;;
  options)       scen_args=(-sf "$SCEN_DIR/options.xml") ;;
  calls)         scen_args=(-sf "$SCEN_DIR/uac.xml" -s "$UAS_USER" -d "$CALL_LENGTH_MS") ;;
esac

# ---- measured run ---------------------------------------------------------------
busy_1s() { local a b; read -r a _ < <(awk '{print $1, $2}' /proc/uptime; ); local i0; i0=$(awk '{print $2}' /proc/uptime)
  sleep 1; awk -v u0="$a" -v i0="$i0" -v n="$(nproc)" '{ w = $1 - u0; if (w <= 0) w = 0.01; b = (n * w - ($2 - i0)) * 100 / w; if (b < 0) b = 0; printf "%.0f", b }' /proc/uptime; }
pre_busy=$(busy_1s)
if [[ ${QUIET_WAIT_S:-0} -gt 0 ]]; then
  end=$((SECONDS + QUIET_WAIT_S))
  while [[ $pre_busy -gt ${QUIET_MAX_PCT:-25} && $SECONDS -lt $end ]]; do pre_busy=$(busy_1s); done
fi
TPIDS=()
if [[ -n $TARGET_PID ]]; then mapfile -t TPIDS < <(proc_tree "$TARGET_PID"); fi
t_cpu0=$(cpu_ticks "${TPIDS[@]}")
uas_cpu0=0; [[ -n $UAS_PID ]] && uas_cpu0=$(cpu_ticks "$UAS_PID")
read -r hb0 ht0 < <(host_ticks)
drops_t0=$(udp_drops "$TPORT"); drops_u0=0; [[ -n $UAS_PID ]] && drops_u0=$(udp_drops "$UAS_PORT")
# the load generator's socket disappears with it: sample its drops while it runs
( while :; do udp_drops "$CLIENT_PORT" >drops-client.txt.tmp && mv drops-client.txt.tmp drops-client.txt; sleep 0.5; done ) &
SAMPLER_PID=$!
w0=$(date +%s.%N)

TIMEFORMAT='%R %U %S'
# shellcheck disable=SC2086
{ time timeout -k 5 "$((LIMIT_S + 5))" sipp "$THOST:$TPORT" "${scen_args[@]}" "${common[@]}" \
    -p "$CLIENT_PORT" -r "$RATE" -rp 1000 -m "$COUNT" \
    -trace_stat -stf stats.csv -fd 1 -trace_screen -screen_file screen.log \
    -trace_err -error_file errors.log ${SIPP_EXTRA:-} >sipp.out 2>&1 </dev/null ; } 2>sipp.time
SIPP_RC=$?

w1=$(date +%s.%N)
kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null
read -r hb1 ht1 < <(host_ticks)
drops_t=$(( $(udp_drops "$TPORT") - drops_t0 ))
drops_c=$(cat drops-client.txt 2>/dev/null || echo 0)
drops_u=0; [[ -n $UAS_PID ]] && drops_u=$(( $(udp_drops "$UAS_PORT") - drops_u0 ))
t_cpu1=$(cpu_ticks "${TPIDS[@]}")
uas_cpu1=0; [[ -n $UAS_PID ]] && uas_cpu1=$(cpu_ticks "$UAS_PID")
read -r t_rss t_pss t_hwm < <(mem_kb "${TPIDS[@]}")
cleanup; UAS_PID=""

# ---- parse SIPp statistics --------------------------------------------------------
# last line of the -trace_stat CSV holds the cumulative (C) counters
sstat() { # sstat <file> <column name>
  awk -F';' -v col="$2" 'NR==1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
                          { last = $c } END { print (last == "" ? 0 : last) }' "$1" 2>/dev/null
}
epoch_of() { awk -F'\t' '{print $NF}' <<<"$1"; }
hms_to_ms() { awk -F: '{ if (NF == 4) printf "%.3f", ($1*3600 + $2*60 + $3)*1000 + $4/1000; else print "NA" }' <<<"$1"; }

if [[ -s stats.csv ]]; then
  succ=$(sstat stats.csv 'SuccessfulCall(C)')
  fail=$(sstat stats.csv 'FailedCall(C)')
  created=$(sstat stats.csv 'TotalCallCreated')
  retrans=$(sstat stats.csv 'Retransmissions(C)')
  timeouts=$(( $(sstat stats.csv 'FailedTimeoutOnRecv(C)') + $(sstat stats.csv 'FailedMaxUDPRetrans(C)') ))
  unexpected=$(sstat stats.csv 'FailedUnexpectedMessage(C)')
  rtt_ms=$(hms_to_ms "$(sstat stats.csv 'ResponseTime1(C)')")
  st=$(epoch_of "$(sstat stats.csv 'StartTime')")
  ct=$(epoch_of "$(sstat stats.csv 'CurrentTime')")
  elapsed=$(awk -v a="$st" -v b="$ct" 'BEGIN { printf "%.3f", b - a }')
else
  succ=0; fail=0; created=0; retrans=0; timeouts=0; unexpected=0; rtt_ms=NA
  elapsed=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.3f", b - a }')
fi
unfinished=$((COUNT - succ - fail)); ((unfinished < 0)) && unfinished=0
wall=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.3f", b - a }')
read -r _ s_user s_sys <sipp.time 2>/dev/null || { s_user=0; s_sys=0; }

calc() { awk "BEGIN { $1 }"; }
achieved=$(calc "e = $elapsed; if (e <= 0) e = $wall; printf \"%.1f\", ($succ) / e")
fail_pct=$(calc "printf \"%.4f\", ($COUNT - $succ) * 100 / $COUNT")
sipp_cpu=$(calc "printf \"%.1f\", ($s_user + $s_sys) * 100 / $wall")
host_cpu=$(calc "w = $hb1 - $hb0; if (w <= 0) w = 0.01; b = ($(nproc) * w - ($ht1 - $ht0)) * 100 / w; if (b < 0) b = 0; printf \"%.1f\", b")
if [[ -n $TARGET_PID ]]; then
  target_cpu=$(calc "printf \"%.1f\", ($t_cpu1 - $t_cpu0) * 100 / $CLK_TCK / $wall")
else
  target_cpu=NA; t_rss=NA; t_pss=NA; t_hwm=NA
fi
uas_part=""
if [[ $SCENARIO == calls ]]; then
  uas_cpu=$(calc "printf \"%.1f\", ($uas_cpu1 - $uas_cpu0) * 100 / $CLK_TCK / $wall")
  uas_fail=$(sstat uas-stats.csv 'FailedCall(C)')
  uas_part=" uas_cpu_pct=$uas_cpu uas_failed=$uas_fail"
fi
# CPU used by everything else on the host during the run (noise indicator)
other_cpu=$(calc "o = $host_cpu - ${sipp_cpu} - ${uas_cpu:-0} - (\"$target_cpu\" == \"NA\" ? 0 : ${target_cpu/NA/0}); if (o < 0) o = 0; printf \"%.1f\", o")
verdict=$(calc "v = (($fail_pct < $MAX_FAIL_PCT) && ($achieved >= $RATE * $MIN_RATE_RATIO)) ? \"PASS\" : \"FAIL\"; print v")

# per-process breakdown of the target for later inspection
if [[ -n $TARGET_PID ]]; then
  for p in "${TPIDS[@]}"; do
    printf '%s %s %s\n' "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-60)" \
      "$(awk '/^VmRSS:/{print $2" kB"}' "/proc/$p/status" 2>/dev/null)"
  done >target-procs.txt
fi

RESULT="RESULT scenario=$SCENARIO target=$THOST:$TPORT transport=$TRANSPORT rate=$RATE count=$COUNT created=$created successful=$succ failed=$fail unfinished=$unfinished timeouts=$timeouts unexpected=$unexpected fail_pct=$fail_pct retrans=$retrans udp_drops_target=$drops_t udp_drops_sipp=$drops_c udp_drops_uas=$drops_u elapsed_s=$elapsed achieved_rate=$achieved rtt_avg_ms=$rtt_ms target_cpu_pct=$target_cpu sipp_cpu_pct=$sipp_cpu$uas_part pre_busy_pct=$pre_busy host_cpu_pct=$host_cpu other_cpu_pct=$other_cpu host_cpus=$(nproc) target_rss_kb=$t_rss target_pss_kb=$t_pss target_hwm_kb=$t_hwm sipp_rc=$SIPP_RC verdict=$verdict outdir=$RUN"
echo "$RESULT" >result.txt
echo "$RESULT"
[[ $verdict == PASS ]]
