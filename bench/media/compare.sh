#!/bin/bash
# compare.sh - one rerunnable comparison of three UDP/RTP media relays on this machine:
#   minrelay   our minimal C port-pair relay (minrelay.c, batch mode), the CPU-per-packet baseline
#   rtpengine  rtpengine (Debian rtpengine-daemon), userspace forwarding only, driven over ng
#   resproxy   resproxy-media, driven over ng
# Interleaved and repeated: each round starts every relay in turn (order rotated per round),
# measures it, stops it. Per relay and round:
#   fixed     relay CPU us per relayed packet at FIXED_RATE (50,000) packets/s
#   search    highest packets/s with < 0.1 % loss (the kit's ramp x1.3 + bisection)
#   latency   highest packets/s with < 0.1 % loss AND one-way delay p99 < LATENCY_P99_MS (10):
#             a search of its own (ramp x1.3 from LATENCY_START, 20,000, then LATENCY_BISECT, 3,
#             bisection steps), so the figure is not stuck on the loss search's x1.3 grid
#             (74,258 -> 96,535: a 90,000 target falls between two of its points)
#   overload  the relay throttled to THROTTLE_PCT % of a core (cgroup CPU bandwidth limit, else
#             busy loops on its core) at OVERLOAD_RATE, which it handles unthrottled: forwarded
#             share, on-time (<= 100 ms) share, p99 delay; then, unthrottled, a short recovery trial
#             on the same calls/ports: does every stream still deliver packets?
#   pairs     (after the rounds, when PHASES names it) CPU us per packet at FIXED_RATE again, with
#             every relay running side by side on the relay core and its calls set up once; the
#             trials alternate between the relays, PAIR_CYCLES (8) times, order rotated per cycle
#             (AB, BA, ...), PAIR_DURATION (DURATION) s each (cpu_pairs.py). Each relay's cost is
#             then compared with minrelay's seconds apart, in the same cycle, instead of minutes
#             apart: the machine's drift cancels in the per-cycle ratio, whose median is reported.
#             RELAYS may name resproxy_b there, a second build (RESPROXY_B_BIN): a change measured
#             against the build before it, each beside the other and minrelay (RESPROXY_B_ARGS:
#             its flags, default RESPROXY_ARGS; the same build with other flags, too).
# Prints a markdown table (medians over rounds) on stdout; per-trial JSON lines go to $OUT.
#
# Usage:   bench/media/compare.sh            (as root: cgroup throttle; needs rtpengine-daemon)
# Env:     ROUNDS (3) STREAMS (1000) RELAYS ("minrelay rtpengine resproxy") DURATION (4, s per
#          trial) SEARCH_DURATION (3) SEARCH_START (43940) SEARCH_BISECT (2) FIXED_RATE (50000)
#          OVERLOAD_RATE (50000) THROTTLE (auto|cgroup2|cgroup1|hog) THROTTLE_PCT (10)
#          NOISE_RETRIES (1: re-runs of a noisy fixed-rate trial) SEARCH_NOISE_RETRIES
#          (0: of a noisy search trial) QUIET_TIMEOUT (1: s to wait for a quiet machine before a
#          trial) MAX_MINUTES (30: no new slot after that) RESPROXY_PORTS (20000-32000, see below)
#          RESPROXY_ARGS (extra resproxy-media flags, e.g. --max-packet-age=0, or --io-engine=epoll:
#          its epoll data path instead of io_uring, the default where the kernel allows it) MINRELAY_ARGS
#          (extra minrelay flags, e.g. "-t 184": its sockets mark DSCP EF too; "-m uring": no
#          system call per packet, io_uring) PHASES ("fixed
#          search latency overload pairs": which measurements each slot runs, then the pairs
#          phase; "pairs" alone gives the paired CPU-per-packet figure in a few minutes)
#          PAIR_CYCLES (8) PAIR_DURATION (DURATION) LATENCY_START (20000)
#          LATENCY_BISECT (3) LATENCY_P99_MS (10)
#          RESPROXY_MEDIA_BIN (default ../../build-release/proxy/native/resproxy-media, then
#          ../../build/proxy/native/resproxy-media, relative to this script) RTPENGINE_BIN
#          OUTDIR (./results) OUT (OUTDIR/compare-STAMP.jsonl)
# resproxy-media runs like rtpengine here: ports 20000-32000 and --port-quarantine=0 (rtpengine's
# --delete-delay=0), since the kit sets up 1000 fresh calls (4 ports each) per trial. The first
# runs (results/, RESULTS-first-run.md) predate --port-quarantine: they gave it 20000-59999, which
# overlaps the ephemeral ports (32768-60999) — a port held by another socket cannot be bound and
# its call is removed (now logged, and both daemons warn at start about such a range). The ng
# client binds port 17990 (NG_LOCAL), outside every media range.
set -u
export PYTHONDONTWRITEBYTECODE=1
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-3}
STREAMS=${STREAMS:-1000}
MINRELAY_ARGS=${MINRELAY_ARGS:-}
RELAYS=${RELAYS:-"minrelay rtpengine resproxy"}
DURATION=${DURATION:-4}
SEARCH_DURATION=${SEARCH_DURATION:-3}
SEARCH_START=${SEARCH_START:-43940}
SEARCH_BISECT=${SEARCH_BISECT:-2}
FIXED_RATE=${FIXED_RATE:-50000}
LATENCY_START=${LATENCY_START:-20000}
LATENCY_BISECT=${LATENCY_BISECT:-3}
LATENCY_P99_MS=${LATENCY_P99_MS:-10}
OVERLOAD_RATE=${OVERLOAD_RATE:-50000}
THROTTLE=${THROTTLE:-auto}
THROTTLE_PCT=${THROTTLE_PCT:-10}
NOISE_RETRIES=${NOISE_RETRIES:-1}
SEARCH_NOISE_RETRIES=${SEARCH_NOISE_RETRIES:-0}
QUIET_TIMEOUT=${QUIET_TIMEOUT:-1}
RESPROXY_ARGS=${RESPROXY_ARGS:-}
RESPROXY_PORTS=${RESPROXY_PORTS:-20000-32000}
MAX_MINUTES=${MAX_MINUTES:-30}
PHASES=${PHASES:-"fixed search latency overload pairs"}
PAIR_CYCLES=${PAIR_CYCLES:-8}
PAIR_DURATION=${PAIR_DURATION:-$DURATION}
want() { [[ " $PHASES " == *" $1 "* ]]; }
slot_phases=0  # rounds of slots run only for phases of a slot (the pairs phase is not one)
for p in fixed search latency overload; do want "$p" && slot_phases=1; done
[ "$slot_phases" = 1 ] || ROUNDS=0
RELAY_CPU=1
GEN_CPU=0
BASE=10000            # minrelay ports BASE .. BASE+2*STREAMS-1
NG_PORT=2223          # rtpengine / resproxy-media control
NG_LOCAL=17990        # the ng client's own port: outside every media range (an ephemeral one may
                      # fall inside resproxy's range, see below)
MEDIA_PORTS=20000-32000
# The pairs phase runs the relays side by side: each its own ng port and media range.
PAIR_RTPENGINE_PORTS=20000-25999
PAIR_RESPROXY_PORTS=26000-31999
PAIR_NG_RESPROXY=2224
PAIR_NG_LOCAL_RESPROXY=17991
PAIR_RESPROXY_B_PORTS=3000-9999   # resproxy_b: a second build (RESPROXY_B_BIN), pairs phase only
PAIR_NG_RESPROXY_B=2225
PAIR_NG_LOCAL_RESPROXY_B=17992
OUTDIR=${OUTDIR:-$HERE/results}
STAMP=$(date +%Y%m%d-%H%M%S)
OUT=${OUT:-$OUTDIR/compare-$STAMP.jsonl}
RTPENGINE_BIN=${RTPENGINE_BIN:-$(command -v rtpengine || echo /usr/bin/rtpengine)}
if [ -z "${RESPROXY_MEDIA_BIN:-}" ]; then
    for c in "$HERE/../../build-release/proxy/native/resproxy-media" "$HERE/../../build/proxy/native/resproxy-media"; do
        if [ -x "$c" ]; then RESPROXY_MEDIA_BIN=$c; break; fi
    done
fi
RESPROXY_MEDIA_BIN=${RESPROXY_MEDIA_BIN:-$HERE/../../build-release/proxy/native/resproxy-media}

mkdir -p "$OUTDIR"
WORK=$(mktemp -d /tmp/mediabench-compare.XXXXXX)
LOGDIR=$OUTDIR/logs-$STAMP
mkdir -p "$LOGDIR"
CGNAME=mediabench-compare-$$
HOGS=$WORK/hogs.pids
RPID=""     # running relay
TARGET=()   # target_of's answer
PAIR_PIDS=()  # the relays of the pairs phase
BPID=""     # running bench.py (its timeout wrapper)
T_START=$(date +%s)

note() { echo "# $*" >&2; }

event() {  # event KEY=VALUE ... -> one JSON line in $OUT
    python3 -c 'import json, sys; print(json.dumps(dict(a.split("=", 1) for a in sys.argv[1:])))' \
        event_time="$(date -Is)" "$@" >> "$OUT"
}

kill_pid() {  # kill_pid PID: TERM, up to 5 s, then KILL; reaps it if it is our child
    local p=$1
    [ -n "$p" ] || return 0
    kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 0; }
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
}

cleanup() {
    trap - EXIT INT TERM
    kill_pid "$BPID"; BPID=""
    if [ -f "$HOGS" ]; then
        while read -r h; do [ -n "$h" ] && kill -KILL "$h" 2>/dev/null; done < "$HOGS"
    fi
    kill_pid "$RPID"; RPID=""
    for p in "${PAIR_PIDS[@]}"; do kill_pid "$p"; done
    for d in /sys/fs/cgroup/*/"$CGNAME" /sys/fs/cgroup/"$CGNAME"; do
        [ -d "$d" ] && rmdir "$d" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'note "interrupted"; exit 130' INT TERM

udp_listening() { ss -Hunl "sport = :$1" 2>/dev/null | grep -q .; }

port_free_or_die() {
    for p in "$@"; do
        if udp_listening "$p"; then
            echo "compare.sh: UDP port 127.0.0.1:$p is already in use (another relay/rtpengine running?):" >&2
            ss -Hunlp "sport = :$p" >&2
            exit 1
        fi
    done
}

# ---------------------------------------------------------------- preparation
command -v python3 >/dev/null && command -v cc >/dev/null && command -v taskset >/dev/null \
    && command -v ss >/dev/null || { echo "compare.sh needs python3, cc, taskset, ss" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "compare.sh needs 2 cores (relay on core 1, tools on core 0)" >&2; exit 1; }
port_free_or_die "$NG_PORT" "$NG_LOCAL" "$BASE" 16000 16100 17000
want pairs && port_free_or_die "$PAIR_NG_RESPROXY" "$PAIR_NG_LOCAL_RESPROXY" "$PAIR_NG_RESPROXY_B" "$PAIR_NG_LOCAL_RESPROXY_B"
mkdir -p "$WORK/bin"
# with its io_uring mode (MINRELAY_ARGS="-m uring") where liburing-dev is installed
uring=()
echo '#include <liburing.h>' | cc -E - > /dev/null 2>&1 && uring=(-DMINRELAY_URING -luring)
cc -O2 -Wall -Wextra -o "$WORK/bin/minrelay" "$HERE/minrelay.c" "${uring[@]}" || exit 1
cc -O2 -Wall -Wextra -o "$WORK/bin/loadgen" "$HERE/loadgen.c" || exit 1
cc -O2 -Wall -Wextra -o "$WORK/bin/sink" "$HERE/sink.c" || exit 1

RUN_RELAYS=""
for r in $RELAYS; do
    case $r in
    minrelay) RUN_RELAYS="$RUN_RELAYS $r" ;;
    rtpengine)
        if [ -x "$RTPENGINE_BIN" ]; then
            RUN_RELAYS="$RUN_RELAYS $r"
            event kind=relay_info relay=rtpengine bin="$RTPENGINE_BIN" \
                version="$("$RTPENGINE_BIN" --version 2>&1 | head -1)"
        else
            note "rtpengine not found ($RTPENGINE_BIN): apt-get install rtpengine-daemon; skipped"
            event kind=relay_skipped relay=rtpengine reason="binary not found: $RTPENGINE_BIN"
        fi ;;
    resproxy)
        if [ -x "$RESPROXY_MEDIA_BIN" ]; then
            # a private copy, so that a rebuild during the run does not swap the binary under test
            cp "$RESPROXY_MEDIA_BIN" "$WORK/resproxy-media"
            RUN_RELAYS="$RUN_RELAYS $r"
            event kind=relay_info relay=resproxy bin="$(readlink -f "$RESPROXY_MEDIA_BIN")" \
                sha256="$(sha256sum "$WORK/resproxy-media" | cut -c1-16)" \
                mtime="$(date -Is -r "$RESPROXY_MEDIA_BIN")" args="$RESPROXY_ARGS" \
                source_head="$(git -C "$(dirname "$RESPROXY_MEDIA_BIN")" log -1 --format='%h %s' 2>/dev/null | cut -c1-100)" \
                version="$("$WORK/resproxy-media" --version 2>&1 | head -1)"
        else
            note "resproxy-media not found ($RESPROXY_MEDIA_BIN): set RESPROXY_MEDIA_BIN; skipped"
            event kind=relay_skipped relay=resproxy reason="binary not found: $RESPROXY_MEDIA_BIN"
        fi ;;
    resproxy_b)  # a second resproxy-media build, for the pairs phase: one build against another
        if [ -n "${RESPROXY_B_BIN:-}" ] && [ -x "$RESPROXY_B_BIN" ]; then
            cp "$RESPROXY_B_BIN" "$WORK/resproxy_b-media"
            RUN_RELAYS="$RUN_RELAYS $r"
            event kind=relay_info relay=resproxy_b bin="$(readlink -f "$RESPROXY_B_BIN")" \
                sha256="$(sha256sum "$WORK/resproxy_b-media" | cut -c1-16)" \
                mtime="$(date -Is -r "$RESPROXY_B_BIN")" args="${RESPROXY_B_ARGS-$RESPROXY_ARGS}"
        else
            echo "resproxy_b needs RESPROXY_B_BIN (an executable resproxy-media)" >&2; exit 2
        fi ;;
    *) echo "unknown relay '$r' (known: minrelay rtpengine resproxy resproxy_b)" >&2; exit 2 ;;
    esac
done
read -r -a RUN_RELAYS <<< "$RUN_RELAYS"
[ "${#RUN_RELAYS[@]}" -gt 0 ] || { echo "no relay to run" >&2; exit 1; }
event kind=run_info stamp="$STAMP" rounds="$ROUNDS" streams="$STREAMS" relays="${RUN_RELAYS[*]}" \
    minrelay_args="$MINRELAY_ARGS" \
    duration="$DURATION" search_duration="$SEARCH_DURATION" search_start="$SEARCH_START" \
    phases="$PHASES" pair_cycles="$PAIR_CYCLES" pair_duration="$PAIR_DURATION" latency_start="$LATENCY_START" latency_bisect="$LATENCY_BISECT" latency_p99_ms="$LATENCY_P99_MS" \
    search_bisect="$SEARCH_BISECT" fixed_rate="$FIXED_RATE" overload_rate="$OVERLOAD_RATE" \
    throttle="$THROTTLE" throttle_pct="$THROTTLE_PCT" noise_retries="$NOISE_RETRIES" \
    search_noise_retries="$SEARCH_NOISE_RETRIES" rtpengine_ports="$MEDIA_PORTS" resproxy_ports="$RESPROXY_PORTS" \
    kernel="$(uname -r)" cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
note "results: $OUT  logs: $LOGDIR  relays: ${RUN_RELAYS[*]}  rounds: $ROUNDS  streams: $STREAMS"

# ---------------------------------------------------------------- relays
start_relay() {  # start_relay NAME LOG [NG_PORT PORTS]: sets RPID; 0 when ready
    local name=$1 log=$2 ready="" ng=${3:-$NG_PORT} ports
    case $name in
    minrelay)
        port_free_or_die "$BASE" $((BASE + 2 * STREAMS - 1))
        taskset -c "$RELAY_CPU" "$WORK/bin/minrelay" -p "$BASE" -n "$STREAMS" -m batch $MINRELAY_ARGS > "$log" 2>&1 &
        RPID=$!; ready="minrelay ready" ;;
    rtpengine)
        port_free_or_die "$ng"
        ports=${4:-$MEDIA_PORTS}
        taskset -c "$RELAY_CPU" "$RTPENGINE_BIN" --config-file=none --foreground --log-stderr --log-level=5 \
            --table=-1 --interface=127.0.0.1 --listen-ng="127.0.0.1:$ng" \
            --port-min="${ports%-*}" --port-max="${ports#*-}" \
            --timeout=600 --silent-timeout=600 --delete-delay=0 > "$log" 2>&1 &
        RPID=$! ;;
    resproxy|resproxy_b)
        port_free_or_die "$ng"
        ports=${4:-$RESPROXY_PORTS}
        local bin=$WORK/resproxy-media
        local args=$RESPROXY_ARGS
        [ "$name" = resproxy_b ] && bin=$WORK/resproxy_b-media && args=${RESPROXY_B_ARGS-$RESPROXY_ARGS}
        taskset -c "$RELAY_CPU" "$bin" --interface=127.0.0.1 --listen-ng="127.0.0.1:$ng" \
            --port-min="${ports%-*}" --port-max="${ports#*-}" \
            --timeout=600 --silent-timeout=600 --port-quarantine=0 --log-level=5 $args > "$log" 2>&1 &
        RPID=$!; ready="listening on ng udp" ;;
    esac
    for _ in $(seq 100); do  # 10 s
        kill -0 "$RPID" 2>/dev/null || return 1
        if [ "$name" = minrelay ]; then
            grep -q "$ready" "$log" && udp_listening $((BASE + 2 * STREAMS - 1)) && return 0
        elif { [ -z "$ready" ] || grep -q "$ready" "$log"; } && udp_listening "$ng" \
                && python3 "$HERE/ngclient.py" --ng "127.0.0.1:$ng" ping 2>/dev/null | grep -q '^pong'; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

target_of() {  # target_of NAME NG_PORT NG_LOCAL: sets TARGET, bench.py's mode and its options
    if [ "$1" = minrelay ]; then
        TARGET=(ports --a "127.0.0.1:$BASE" --b "127.0.0.1:$((BASE + 1))")
    else
        # the callee SDP advertises a decoy port while the sink latches from its real port:
        # packets reach the sink only if the relay learned (latched) the callee's real address
        TARGET=(ng --ng "127.0.0.1:$2" --decoy-port 16100 --ng-local "127.0.0.1:$3" --setup-retries 2)
    fi
}

bench() {  # bench NAME ROUND PHASE TIMEOUT_S bench.py-args... (runs in background, waited)
    local name=$1 round=$2 phase=$3 tmo=$4; shift 4
    local blog=$LOGDIR/bench-r$round-$name-$phase.log rc
    target_of "$name" "$NG_PORT" "$NG_LOCAL"
    TMPDIR=$WORK timeout -k 5 "$tmo" python3 "$HERE/bench.py" --bindir "$WORK/bin" --pid "$RPID" \
        --relay-cpu "$RELAY_CPU" --gen-cpu "$GEN_CPU" --streams "$STREAMS" --json "$OUT" \
        --label "$name" --meta "round=$round" --meta "relay=$name" --meta "phase=$phase" \
        --quiet-timeout "$QUIET_TIMEOUT" --sink-extra 5 \
        "$@" "${TARGET[@]}" > "$blog" 2>&1 &
    BPID=$!
    wait "$BPID"; rc=$?
    BPID=""
    if [ "$rc" -ne 0 ]; then
        local why="exit status $rc"
        [ "$rc" -eq 124 ] && why="timed out after ${tmo}s"
        note "$name round $round $phase: bench.py failed ($why); see $blog"
        event kind=phase_failed relay="$name" round="$round" phase="$phase" why="$why" \
            tail="$(grep -v '^{' "$blog" | tail -n 8)"
    fi
    if ! kill -0 "$RPID" 2>/dev/null; then
        wait "$RPID" 2>/dev/null; local st=$?
        note "$name round $round: relay process exited (status $st) during $phase"
        event kind=relay_died relay="$name" round="$round" phase="$phase" status="$st" \
            log_tail="$(tail -n 20 "$LOGDIR/relay-r$round-$name.log")"
        RPID=""
        return 2
    fi
    return 0
}

run_slot() {  # run_slot NAME ROUND
    local name=$1 round=$2 log=$LOGDIR/relay-r$2-$1.log t0
    t0=$(date +%s)
    note "round $round: $name"
    if ! start_relay "$name" "$log"; then
        note "$name did not start; log tail:"; tail -n 20 "$log" >&2
        event kind=relay_start_failed relay="$name" round="$round" log_tail="$(tail -n 20 "$log")"
        kill_pid "$RPID"; RPID=""
        return
    fi
    # (a) CPU per packet at a fixed rate, (b)+(c) max-rate search, (d) overload + recovery; the
    # phases PHASES names, in this order, each only while the ones before succeeded
    local ok=1
    if want fixed; then
        bench "$name" "$round" fixed 90 --tag fixed --duration "$DURATION" --rates "$FIXED_RATE" \
            --noise-retries "$NOISE_RETRIES" || ok=0
    fi
    if [ "$ok" = 1 ] && want search; then
        bench "$name" "$round" search 300 --tag search --duration "$SEARCH_DURATION" --search \
            --noise-retries "$SEARCH_NOISE_RETRIES" \
            --start "$SEARCH_START" --bisect "$SEARCH_BISECT" || ok=0
    fi
    if [ "$ok" = 1 ] && want latency; then
        bench "$name" "$round" latency 300 --tag latency --duration "$SEARCH_DURATION" --search \
            --noise-retries "$SEARCH_NOISE_RETRIES" --max-p99-us $((LATENCY_P99_MS * 1000)) \
            --start "$LATENCY_START" --bisect "$LATENCY_BISECT" || ok=0
    fi
    if [ "$ok" = 1 ] && want overload; then
        bench "$name" "$round" overload 90 --tag "" --duration "$DURATION" --overload "$OVERLOAD_RATE" \
            --throttle "$THROTTLE" --throttle-pct "$THROTTLE_PCT" --cgroup-name "$CGNAME" \
            --hog-pidfile "$HOGS" --overload-drain 2 --recovery-wait 2 --recovery-duration 2 || ok=0
    fi
    kill_pid "$RPID"; RPID=""
    # relay log: keep it, but bounded (rtpengine logs a line per dropped packet when overloaded)
    local lines; lines=$(wc -l < "$log")
    event kind=relay_log relay="$name" round="$round" lines="$lines" seconds=$(( $(date +%s) - t0 )) \
        queue_exceeded="$(grep -c 'receive queue exceeded' "$log")" \
        too_many_packets="$(grep -c 'Too many packets in UDP receive queue' "$log")" \
        errors="$(grep -ciwE 'err|error|crit|critical|alert|emerg|fatal' "$log")" \
        warnings="$(grep -ciwE 'warn|warning' "$log")"
    if [ "$lines" -gt 400 ]; then
        { head -n 200 "$log"; echo "... ($((lines - 400)) lines cut) ..."; tail -n 200 "$log"; } > "$log.cut"
        mv "$log.cut" "$log"
    fi
}

# ---------------------------------------------------------------- rounds
run_pairs() {  # the pairs phase: every relay started side by side, then cpu_pairs.py
    local name log rc specs=() tmo ng ng_local ports
    note "pairs: ${RUN_RELAYS[*]} side by side, $PAIR_CYCLES cycles of $PAIR_DURATION s trials"
    for name in "${RUN_RELAYS[@]}"; do
        log=$LOGDIR/relay-pairs-$name.log
        case $name in  # each its own ng port, ng client port and media range
        resproxy) ng=$PAIR_NG_RESPROXY ng_local=$PAIR_NG_LOCAL_RESPROXY ports=$PAIR_RESPROXY_PORTS ;;
        resproxy_b) ng=$PAIR_NG_RESPROXY_B ng_local=$PAIR_NG_LOCAL_RESPROXY_B ports=$PAIR_RESPROXY_B_PORTS ;;
        *) ng=$NG_PORT ng_local=$NG_LOCAL ports=$PAIR_RTPENGINE_PORTS ;;  # minrelay: its own BASE
        esac
        start_relay "$name" "$log" "$ng" "$ports"
        rc=$?
        PAIR_PIDS+=("$RPID"); RPID=""
        if [ "$rc" -ne 0 ]; then
            note "pairs: $name did not start; log tail:"; tail -n 20 "$log" >&2
            event kind=relay_start_failed relay="$name" round=pairs log_tail="$(tail -n 20 "$log")"
            stop_pairs
            return
        fi
        target_of "$name" "$ng" "$ng_local"
        specs+=(--relay "$name ${PAIR_PIDS[-1]} ${TARGET[*]}")
    done
    tmo=$(( 120 + PAIR_CYCLES * ${#RUN_RELAYS[@]} * (${PAIR_DURATION%.*} + 20) ))
    TMPDIR=$WORK timeout -k 5 "$tmo" python3 "$HERE/cpu_pairs.py" --cycles "$PAIR_CYCLES" --rate "$FIXED_RATE" \
        --bindir "$WORK/bin" --relay-cpu "$RELAY_CPU" --gen-cpu "$GEN_CPU" --streams "$STREAMS" --json "$OUT" \
        --duration "$PAIR_DURATION" --quiet-timeout "$QUIET_TIMEOUT" --sink-extra 5 \
        --noise-retries "$NOISE_RETRIES" "${specs[@]}" > "$LOGDIR/bench-pairs.log" 2>&1 &
    BPID=$!
    wait "$BPID"; rc=$?
    BPID=""
    if [ "$rc" -ne 0 ]; then
        note "pairs: cpu_pairs.py failed (exit status $rc); see $LOGDIR/bench-pairs.log"
        event kind=phase_failed relay=all round=pairs phase=pairs why="exit status $rc" \
            tail="$(grep -v '^{' "$LOGDIR/bench-pairs.log" | tail -n 8)"
    fi
    local i=0
    for name in "${RUN_RELAYS[@]}"; do
        if ! kill -0 "${PAIR_PIDS[$i]}" 2>/dev/null; then
            event kind=relay_died relay="$name" round=pairs phase=pairs \
                log_tail="$(tail -n 20 "$LOGDIR/relay-pairs-$name.log")"
        fi
        i=$((i + 1))
    done
    stop_pairs
}

stop_pairs() {
    for p in "${PAIR_PIDS[@]}"; do kill_pid "$p"; done
    PAIR_PIDS=()
}

n=${#RUN_RELAYS[@]}
for round in $(seq 1 "$ROUNDS"); do
    for k in $(seq 0 $((n - 1))); do
        name=${RUN_RELAYS[$(( (k + round - 1) % n ))]}
        if [ $(( $(date +%s) - T_START )) -gt $(( MAX_MINUTES * 60 )) ]; then
            note "MAX_MINUTES=$MAX_MINUTES reached: $name round $round not run"
            event kind=slot_skipped relay="$name" round="$round" reason="MAX_MINUTES reached"
            continue
        fi
        run_slot "$name" "$round"
    done
done
want pairs && run_pairs
event kind=run_done seconds=$(( $(date +%s) - T_START ))
python3 "$HERE/compare_report.py" "$OUT" | tee "${OUT%.jsonl}.md"
note "results: $OUT  table: ${OUT%.jsonl}.md  logs: $LOGDIR"
