# Shared helpers of the end-to-end tests (sourced by calls.sh, crash.sh, torture.sh).
#
# Everything runs on 127.0.0.1 only, on ports the kernel reports free (free_port.py), with a
# temporary data directory; every process started here is recorded and stopped by its pid on
# exit (trap), and every wait is bounded.
#
# Environment:
#   RESPROXY_BIN   the daemon (ctest passes $<TARGET_FILE:resproxy>); default: the first of
#                  build-e2e/, build/, build-release/ that has proxy/native/resproxy
#   E2E_KEEP=1     keep the temporary directory (logs, SIPp statistics) after a passing run
#   E2E_TMP        parent of the temporary directory (default ${TMPDIR:-/tmp})
#   E2E_SIP_LOG=1  run the daemon with sip_log = <tmp>/sip.log (every SIP message in and out;
#                  implies E2E_KEEP=1)
# shellcheck shell=bash
set -uo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCEN=$E2E_DIR/scenarios
ROOT=$(cd "$E2E_DIR/../.." && pwd)
LOCAL_IP=127.0.0.1

if [[ -z ${RESPROXY_BIN:-} ]]; then
  for b in build-e2e build build-release build-asan; do
    if [[ -x $ROOT/$b/proxy/native/resproxy ]]; then RESPROXY_BIN=$ROOT/$b/proxy/native/resproxy; break; fi
  done
fi
[[ -n ${RESPROXY_BIN:-} && -x ${RESPROXY_BIN} ]] || { echo "FAIL: resproxy binary not found (set RESPROXY_BIN)" >&2; exit 1; }
command -v sipp >/dev/null || { echo "FAIL: sipp not installed (scripts/setup.sh: sip-tester)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "FAIL: python3 not found" >&2; exit 1; }

T=$(mktemp -d "${E2E_TMP:-${TMPDIR:-/tmp}}/resproxy-e2e-$(basename "$0" .sh).XXXXXX")
PIDS=()          # every background process we started (sipp, resproxy)
PROXY_PID=""
PROXY_PORT=""
PROXY_DATA=""
PROXY_RUNS=0
FAILED=0

log() { printf '[%s] %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }
fail() { log "FAIL: $*"; FAILED=1; }

# stop one pid: TERM, wait up to $2 s (default 3), then KILL; always reaped
stop_pid() {
  local pid=$1 wait_s=${2:-3} i
  [[ -n $pid ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < wait_s * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  return 0
}

dump_logs() {
  local f
  for f in "$T"/*.log "$T"/*.out; do
    [[ -s $f ]] || continue
    echo "----- $(basename "$f") (last 25 lines) -----"
    tail -25 "$f" | cut -c1-400
  done
}

cleanup() {
  local rc=$? p
  for p in "${PIDS[@]}"; do stop_pid "$p" 2; done
  if [[ $rc -ne 0 || $FAILED -ne 0 ]]; then
    dump_logs
    echo "artefacts kept in $T"
  elif [[ ${E2E_KEEP:-0} == 1 ]]; then
    echo "artefacts kept in $T"
  else
    rm -rf "$T"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_ports N: N ports free on 127.0.0.1 for UDP and TCP, space separated
free_ports() { python3 "$E2E_DIR/free_port.py" "$1" | paste -sd' '; }

# await_listening ERRLOG PID [WHAT]: wait (10 s at most) until the daemon writing ERRLOG says
# "listening on"; fail (return 1) if it does not, or dies first.
await_listening() {
  local errlog=$1 pid=$2 what=${3:-resproxy} i
  for ((i = 0; i < 100; i++)); do
    grep -q 'listening on' "$errlog" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q 'listening on' "$errlog" 2>/dev/null && return 0
  fail "$what did not report 'listening on' within 10 s"
  return 1
}

# start_proxy PORT DATADIR [extra args]: start resproxy, wait (<= 10 s) for "listening on"
start_proxy() {
  local port=$1 data=$2
  shift 2
  PROXY_RUNS=$((PROXY_RUNS + 1))
  local errlog=$T/resproxy-$PROXY_RUNS.log
  if [[ ${E2E_SIP_LOG:-0} == 1 ]]; then
    E2E_KEEP=1
    printf '[advanced.sipproxy]\nsip_log = %s\n' "$T/sip.log" >"$T/resproxy.ini"
    set -- --config "$T/resproxy.ini" "$@"
  fi
  "$RESPROXY_BIN" --listen "$LOCAL_IP:$port" --data-dir "$data" --pidfile "$T/resproxy.pid" "$@" \
    >"$errlog" 2>&1 </dev/null &
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  PROXY_PORT=$port
  PROXY_DATA=$data
  await_listening "$errlog" "$PROXY_PID" || return 1
  log "resproxy pid $PROXY_PID listening on $LOCAL_IP:$port (data dir $data)"
}

# check_config FILE: the daemon's own --check-config accepts the file a test generated (else
# fail, with the daemon's reason, and return 1)
check_config() {
  if ! "$RESPROXY_BIN" --check-config "$1" >"$T/check-config.out" 2>&1; then
    fail "resproxy --check-config refuses the generated configuration: $(cat "$T/check-config.out")"
    return 1
  fi
}

# stop_proxy: SIGTERM, expect a clean exit 0 within 5 s
stop_proxy() {
  local i rc
  [[ -n $PROXY_PID ]] || return 0
  kill -TERM "$PROXY_PID" 2>/dev/null
  for ((i = 0; i < 50; i++)); do kill -0 "$PROXY_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$PROXY_PID" 2>/dev/null; then
    fail "resproxy ignored SIGTERM for 5 s"
    kill -KILL "$PROXY_PID" 2>/dev/null
  fi
  wait "$PROXY_PID" 2>/dev/null
  rc=$?
  [[ $rc -eq 0 ]] || fail "resproxy exited $rc after SIGTERM (expected 0)"
  PROXY_PID=""
  return 0
}

# kill9_proxy: SIGKILL, no grace
kill9_proxy() {
  kill -KILL "$PROXY_PID" 2>/dev/null
  wait "$PROXY_PID" 2>/dev/null
  PROXY_PID=""
}

proxy_alive() { [[ -n $PROXY_PID ]] && kill -0 "$PROXY_PID" 2>/dev/null; }

# users_csv FILE USER...: SIPp injection file
users_csv() {
  local f=$1 u
  shift
  echo SEQUENTIAL >"$f"
  for u in "$@"; do echo "$u" >>"$f"; done
}

# start_phone NAME PORT TRANSPORT OOC_SCENARIO HOLD_MS USER... [-- extra sipp args]
# A SIPp process that registers USER... from its own port PORT (phone.xml) and answers calls
# with OOC_SCENARIO for HOLD_MS. Sets PHONE_PID. Returns once every user got its 200
# (bounded: 10 s), or fails.
start_phone() {
  local name=$1 port=$2 transport=$3 ooc=$4 hold=$5 i n
  shift 5
  local users=() extra=()
  while [[ $# -gt 0 && $1 != -- ]]; do users+=("$1"); shift; done
  [[ $# -gt 0 ]] && { shift; extra=("$@"); }
  n=${#users[@]}
  users_csv "$T/$name-users.csv" "${users[@]}"
  # SIPp over TCP exits when its connection to the proxy breaks (the crash test kills the
  # daemon); a phone stays up: let SIPp reconnect instead, keeping its calls
  [[ $transport == t1 ]] && extra+=(-max_reconnect 100 -reconnect_sleep 200 -reconnect_close false)
  local mp
  mp=$(free_ports 1)
  timeout -k 2 $((hold / 1000 + 60)) sipp "$LOCAL_IP:$PROXY_PORT" -sf "$SCEN/phone.xml" -oocsf "$SCEN/$ooc" \
    -inf "$T/$name-users.csv" -m "$n" -r 50 -d "$hold" -i "$LOCAL_IP" -p "$port" -mp $mp -t "$transport" \
    -nostdin -buff_size 4194304 -recv_timeout 5000 \
    -trace_logs -log_file "$T/$name-phone.log" -trace_err -error_file "$T/$name-errors.log" \
    -trace_stat -stf "$T/$name-stats.csv" -fd 1 "${extra[@]}" >"$T/$name.out" 2>&1 </dev/null &
  PHONE_PID=$!
  PIDS+=("$PHONE_PID")
  for ((i = 0; i < 100; i++)); do
    [[ $(grep -c '^registered ' "$T/$name-phone.log" 2>/dev/null) -ge $n ]] && break
    kill -0 "$PHONE_PID" 2>/dev/null || break
    sleep 0.1
  done
  local got
  got=$(grep -c '^registered ' "$T/$name-phone.log" 2>/dev/null)
  if [[ ${got:-0} -lt $n ]]; then
    fail "phone $name: ${got:-0} of $n registrations acknowledged with 200 within 10 s"
    return 1
  fi
  log "phone $name ($transport, port $port) registered: ${users[*]}"
}

# register_from NAME PORT TRANSPORT USER...: register USER... from PORT (phone.xml with -d 0,
# no out-of-call scenario) and wait (<= 15 s) for SIPp to exit 0 with every 200 seen
register_from() {
  local name=$1 port=$2 transport=$3 rc got mp
  shift 3
  users_csv "$T/$name-users.csv" "$@"
  mp=$(free_ports 1)
  timeout -k 2 15 sipp "$LOCAL_IP:$PROXY_PORT" -sf "$SCEN/phone.xml" -inf "$T/$name-users.csv" -m $# -r 50 -d 0 \
    -i "$LOCAL_IP" -p "$port" -mp "$mp" -t "$transport" -nostdin -recv_timeout 5000 \
    -trace_logs -log_file "$T/$name-phone.log" -trace_err -error_file "$T/$name-errors.log" \
    >"$T/$name.out" 2>&1 </dev/null
  rc=$?
  got=$(grep -c '^registered ' "$T/$name-phone.log" 2>/dev/null)
  if [[ $rc -ne 0 || ${got:-0} -ne $# ]]; then
    fail "register $name: sipp rc=$rc, ${got:-0} of $# registrations acknowledged"
    return 1
  fi
  log "registered from port $port ($transport): $*"
}

# start_uas NAME PORT TRANSPORT SCENARIO CALLS [extra sipp args]: a SIPp UAS on PORT that
# exits by itself after CALLS calls; sets UAS_PID (wait for it with wait_uas)
start_uas() {
  local name=$1 port=$2 transport=$3 scen=$4 calls=$5 i mp
  shift 5
  mp=$(free_ports 1)
  timeout -k 2 120 sipp -sf "$SCEN/$scen" -i "$LOCAL_IP" -p "$port" -mp "$mp" -t "$transport" -m "$calls" \
    -nostdin -buff_size 4194304 -timeout 110s -trace_stat -stf "$T/$name-stats.csv" -fd 1 \
    -trace_err -error_file "$T/$name-errors.log" -trace_screen -screen_file "$T/$name-screen.log" \
    -trace_logs -log_file "$T/$name-phone.log" "$@" >"$T/$name.out" 2>&1 </dev/null &
  UAS_PID=$!
  PIDS+=("$UAS_PID")
  for ((i = 0; i < 50; i++)); do
    ss -Hlun "sport = :$port" 2>/dev/null | grep -q . && break
    ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && break
    sleep 0.1
  done
  kill -0 "$UAS_PID" 2>/dev/null || { fail "UAS $name did not start"; return 1; }
}

# wait_uas NAME PID CALLS [timeout s]: the UAS must exit 0 by itself with CALLS successful
wait_uas() {
  local name=$1 pid=$2 calls=$3 limit=${4:-15} i rc ok failed
  for ((i = 0; i < limit * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    fail "UAS $name still running after ${limit} s"
    stop_pid "$pid" 1
    return 1
  fi
  wait "$pid" 2>/dev/null
  rc=$?
  ok=$(sipp_stat "$T/$name-stats.csv" 'SuccessfulCall(C)')
  failed=$(sipp_stat "$T/$name-stats.csv" 'FailedCall(C)')
  log "uas $name: sipp rc=$rc successful=$ok failed=$failed of $calls"
  [[ $rc -eq 0 && $ok -eq $calls && $failed -eq 0 ]] || fail "UAS $name: expected $calls successful calls and exit 0"
}

# sipp_stat CSV COLUMN: last value of a -trace_stat column (cumulative counters)
sipp_stat() {
  awk -F';' -v col="$2" 'NR==1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
                         { last = $c } END { print (last == "" ? 0 : last) }' "$1" 2>/dev/null
}

# run_uac NAME SCENARIO CALLS RATE TRANSPORT [extra sipp args]: bounded UAC run against the
# proxy; sets UAC_RC, UAC_OK, UAC_FAILED (from SIPp's exit code and its -trace_stat CSV)
run_uac() {
  local name=$1 scen=$2 calls=$3 rate=$4 transport=$5
  shift 5
  local port mp limit
  read -r port mp < <(free_ports 2)
  limit=$((calls / rate + 25))
  timeout -k 2 $((limit + 5)) sipp "$LOCAL_IP:$PROXY_PORT" -sf "$SCEN/$scen" -i "$LOCAL_IP" -p "$port" -mp "$mp" \
    -t "$transport" -m "$calls" -r "$rate" -rp 1000 -nostdin -buff_size 4194304 -recv_timeout 5000 \
    -timeout "${limit}s" -trace_stat -stf "$T/$name-stats.csv" -fd 1 -trace_err -error_file "$T/$name-errors.log" \
    -trace_screen -screen_file "$T/$name-screen.log" "$@" >"$T/$name.out" 2>&1 </dev/null
  UAC_RC=$?
  UAC_OK=$(sipp_stat "$T/$name-stats.csv" 'SuccessfulCall(C)')
  UAC_FAILED=$(sipp_stat "$T/$name-stats.csv" 'FailedCall(C)')
  # the screen's own count, as a cross-check of the CSV
  local screen_failed
  screen_failed=$(awk '/Failed call/ { v = $(NF) } END { print v + 0 }' "$T/$name-screen.log" 2>/dev/null)
  log "uac $name: sipp rc=$UAC_RC successful=$UAC_OK failed=$UAC_FAILED (screen: $screen_failed failed) of $calls"
  [[ ${screen_failed:-0} -gt ${UAC_FAILED:-0} ]] && UAC_FAILED=$screen_failed
  return 0
}

# expect_all_calls NAME CALLS: SIPp rc 0, CALLS successful, 0 failed
expect_all_calls() {
  local name=$1 calls=$2
  if [[ $UAC_RC -ne 0 || $UAC_OK -ne $calls || $UAC_FAILED -ne 0 ]]; then
    fail "$name: expected $calls successful and 0 failed calls with sipp exit 0; got successful=$UAC_OK failed=$UAC_FAILED rc=$UAC_RC"
    grep -m 3 -E 'Aborting|unexpected|failed' "$T/$name-errors.log" 2>/dev/null | cut -c1-600
    return 1
  fi
}

# phone_aborts NAME: calls the phone's SIPp aborted (its error log)
phone_aborts() { grep -c -E 'Aborting call|Call-Id .* failed|unexpected message' "$T/$1-errors.log" 2>/dev/null || true; }

finish() {
  if [[ $FAILED -ne 0 ]]; then
    log "$(basename "$0" .sh): FAILED"
    exit 1
  fi
  log "$(basename "$0" .sh): PASSED"
  exit 0
}

# ---------------------------------------------------------------------------------------------
# Kamailio as the ITSP, signals with a timestamp, and trace queries (outage.sh)
# ---------------------------------------------------------------------------------------------
KAM_PIDS=()      # Kamailio main processes; each leads its own process group (setsid)

# kamailio_cleanup: resume (SIGCONT: a stopped Kamailio cannot act on SIGTERM), SIGTERM the main
# process, wait up to 3 s, then SIGKILL whatever is left of its process group. Run on exit
# before cleanup (start_kamailio installs the trap).
kamailio_cleanup() {
  local p i
  for p in "${KAM_PIDS[@]}"; do
    kill -CONT -- "-$p" 2>/dev/null
    kill -TERM "$p" 2>/dev/null
    for ((i = 0; i < 30; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  KAM_PIDS=()
  return 0
}

# start_kamailio NAME PORT CFG [kamailio args…]: Kamailio with CFG in the foreground (-DD, log on
# stderr into $T/NAME.log), in a process group of its own so that one signal reaches all of its
# processes (kill -STOP -- -$KAM_PID), listening on udp:127.0.0.1:PORT, pid file and runtime
# directory under $T/NAME-run, as the current user. Waits (<= 10 s) for the socket. Sets KAM_PID.
start_kamailio() {
  local name=$1 port=$2 cfg=$3 i pgid
  shift 3
  command -v kamailio >/dev/null || { fail "kamailio not installed (scripts/setup.sh)"; return 1; }
  command -v setsid >/dev/null || { fail "setsid (util-linux) not found"; return 1; }
  local run=$T/$name-run
  mkdir -p "$run"
  if ! kamailio -c -f "$cfg" -l "udp:$LOCAL_IP:$port" >"$T/$name-check.out" 2>&1; then
    fail "kamailio -c rejects $cfg"
    tail -5 "$T/$name-check.out"
    return 1
  fi
  # a background job of a script is no process group leader: setsid execs in place, so $! is
  # Kamailio's main process and the leader of its new group
  setsid kamailio -f "$cfg" -DD -E -l "udp:$LOCAL_IP:$port" -Y "$run" -w "$run" -P "$run/kamailio.pid" \
    -m 64 -M 8 "$@" >"$T/$name.log" 2>&1 </dev/null &
  KAM_PID=$!
  KAM_PIDS+=("$KAM_PID")
  # kamailio_cleanup before lib.sh's cleanup, keeping the script's exit status for it
  # shellcheck disable=SC2154
  trap '__e2e_rc=$?; kamailio_cleanup; (exit $__e2e_rc); cleanup' EXIT
  for ((i = 0; i < 100; i++)); do
    ss -Hlun "sport = :$port" 2>/dev/null | grep -q . && break
    kill -0 "$KAM_PID" 2>/dev/null || break
    sleep 0.1
  done
  if ! ss -Hlun "sport = :$port" 2>/dev/null | grep -q .; then
    fail "kamailio $name did not listen on udp $LOCAL_IP:$port within 10 s"
    return 1
  fi
  pgid=$(ps -o pgid= -p "$KAM_PID" 2>/dev/null | tr -d ' ')
  if [[ $pgid != "$KAM_PID" ]]; then
    fail "kamailio $name (pid $KAM_PID) does not lead its process group ($pgid)"
    return 1
  fi
  log "kamailio $name pid $KAM_PID listening on udp $LOCAL_IP:$port ($(ps -o pid= --ppid "$KAM_PID" | wc -l) children)"
}

# signal_group SIGNAME PGID: sends the signal to the process group and prints the instant it was
# sent as "<CLOCK_MONOTONIC ns> <wall clock s.us>". CLOCK_MONOTONIC is the daemon's
# std::chrono::steady_clock, the t_ns of its trace_log.
signal_group() {
  python3 -c 'import os, signal, sys, time
sig = getattr(signal, "SIG" + sys.argv[1]); pg = int(sys.argv[2])
m = time.monotonic_ns(); w = time.time()
os.killpg(pg, sig)
print(m, "%.6f" % w)' "$1" "$2"
}

# mono_now_ns: CLOCK_MONOTONIC now, in ns (comparable with trace t_ns)
mono_now_ns() { python3 -c 'import time; print(time.monotonic_ns())'; }

# trace_select FILE EVENT FROM_NS [TO_NS|-] [key=value…]: t_ns of the JSON-lines trace events
# named EVENT with FROM_NS <= t_ns (< TO_NS) whose fields equal the key=value pairs, one a line
trace_select() {
  python3 - "$@" <<'PY'
import json, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head -1` may close early
path, ev, lo = sys.argv[1], sys.argv[2], int(sys.argv[3])
hi = sys.argv[4] if len(sys.argv) > 4 else "-"
hi = None if hi == "-" else int(hi)
want = dict(kv.split("=", 1) for kv in sys.argv[5:])
try:
    lines = open(path, encoding="utf-8", errors="replace")
except OSError:
    sys.exit(0)
for line in lines:
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("ev") != ev:
        continue
    t = int(e.get("t_ns", 0))
    if t < lo or (hi is not None and t >= hi):
        continue
    if all(str(e.get(k)) == v for k, v in want.items()):
        print(t)
PY
}

# trace_count FILE EVENT FROM_NS [TO_NS|-] [key=value…]: how many such events
trace_count() { trace_select "$@" | wc -l; }

# wait_trace FILE EVENT FROM_NS LIMIT_S [key=value…]: waits (<= LIMIT_S) for the first such
# event at or after FROM_NS and prints its t_ns; returns 1 (printing nothing) on timeout
wait_trace() {
  local file=$1 ev=$2 from=$3 limit=$4 i t
  shift 4
  for ((i = 0; i < limit * 10; i++)); do
    t=$(trace_select "$file" "$ev" "$from" - "$@" | head -1)
    [[ -n $t ]] && { echo "$t"; return 0; }
    sleep 0.1
  done
  return 1
}

# ns_to_ms A_NS B_NS: (B - A) in ms with one decimal
ns_to_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }
