#!/usr/bin/env bash
# resproxy vs Kamailio, back to back in one run, with SIPp on 127.0.0.1 (bench/ holds the kit).
#
# usage: scripts/bench-proxy.sh
#
# Builds resproxy in Release (build-release/), starts it on 127.0.0.1:5060 and Kamailio 5.6
# (bench/kamailio.cfg, no auth, 2 workers) on 127.0.0.1:5070, and measures both, one after the
# other for each figure:
#   A. on fresh instances (one binding, the UAS's, as in bench/KAMAILIO-RESULTS.md): CPU per
#      call at a fixed FIXED_CPS (1,000) calls/s (INVITE/100/180/200/ACK/BYE/200 through the
#      proxy, Record-Route, to a registered SIPp UAS) — the fairest figure on a shared 2-core
#      box — and the highest calls/s with < 0.1 % failed calls (bench/find-max.sh: ramp
#      ×GROWTH while PASS, then bisect to PRECISION, at most MAX_STEPS runs);
#   B. memory for BINDINGS (10,000) bindings: fresh instances, PSS and RSS summed over the
#      processes, before and 1 s / 35 s after registering BINDINGS distinct users;
#   C. with those bindings in place: CPU per call at FIXED_CPS again, CPU per REGISTER at a
#      fixed FIXED_REG (4,000) REGISTER/s, and the highest REGISTER/s.
# Prints every RESULT line and then one summary table with a column per proxy.
#
# Knobs (environment), defaults give one full run of about 13-15 minutes:
#   TARGETS="resproxy kamailio"   which proxies (either alone works)
#   DURATION=10                   seconds per measured SIPp run
#   MAX_STEPS=6                   runs per find-max sweep (calls and REGISTER each)
#   GROWTH=1.4 PRECISION=0.1      find-max ramp factor and bisection precision
#   CALLS_START=700 CALLS_MAX=6000   calls/s sweep: first rate and ceiling
#   REG_START=8000 REG_MAX=60000     REGISTER/s sweep
#   FIXED_CPS=1000 FIXED_REG=4000    the fixed rates for CPU per call / per REGISTER
#   BINDINGS=10000                the memory figure
#   SETTLE_S=3                    pause between runs
#   QUIET_WAIT_S=5 QUIET_MAX_PCT=60  before each run, wait up to QUIET_WAIT_S for the host to be
#                                 under QUIET_MAX_PCT busy (100 = one core)
#   QUICK=1                       a ~6 minute run: DURATION=5 MAX_STEPS=3 SETTLE_S=2
#   SKIP_SWEEPS=1                 no find-max sweeps: memory and fixed-rate figures only
#                                 (QUICK=1 SKIP_SWEEPS=1: about 3 minutes)
#   SKIP_BUILD=1 RESPROXY_BIN=…   use an existing binary instead of building build-release/
#   OUT_DIR=/tmp/resproxy-bench-<time>   per-run artefacts (SIPp stats, logs, result lines)
#
# Only 127.0.0.1 is used. The two proxies are stopped (by pid file) on exit.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/bench

if [[ ${QUICK:-0} == 1 ]]; then
  : "${DURATION:=5}" "${MAX_STEPS:=3}" "${SETTLE_S:=2}" "${QUIET_WAIT_S:=2}"
fi
TARGETS=${TARGETS:-resproxy kamailio}
export DURATION=${DURATION:-10}
MAX_STEPS=${MAX_STEPS:-6}
GROWTH=${GROWTH:-1.4}
PRECISION=${PRECISION:-0.1}
CALLS_START=${CALLS_START:-700}
CALLS_MAX=${CALLS_MAX:-6000}
REG_START=${REG_START:-8000}
REG_MAX=${REG_MAX:-60000}
FIXED_CPS=${FIXED_CPS:-1000}
FIXED_REG=${FIXED_REG:-4000}
BINDINGS=${BINDINGS:-10000}
export SETTLE_S=${SETTLE_S:-3}
export QUIET_WAIT_S=${QUIET_WAIT_S:-5}
export QUIET_MAX_PCT=${QUIET_MAX_PCT:-60}
OUT_DIR=${OUT_DIR:-/tmp/resproxy-bench-$(date +%Y%m%d-%H%M%S)}
export OUT_DIR
mkdir -p "$OUT_DIR"
export RP_RUN_DIR=$OUT_DIR/resproxy KAM_RUN_DIR=$OUT_DIR/kamailio
RP_ADDR=127.0.0.1:5060
KAM_ADDR=127.0.0.1:5070
SUMMARY=$OUT_DIR/summary.txt
T0=$SECONDS

say() { printf '[bench %s +%ds] %s\n' "$(date +%H:%M:%S)" $((SECONDS - T0)) "$*"; }

for t in $TARGETS; do
  case $t in resproxy | kamailio) ;; *) echo "unknown target '$t' (resproxy, kamailio)" >&2; exit 2 ;; esac
done
command -v sipp >/dev/null || { echo "sipp missing: scripts/setup.sh installs sip-tester" >&2; exit 1; }
if [[ " $TARGETS " == *" kamailio "* ]] && ! command -v kamailio >/dev/null; then
  echo "kamailio missing: scripts/setup.sh installs it (or TARGETS=resproxy)" >&2
  exit 1
fi
for p in 5060 5070 5080 5090; do
  if ss -Hlun "sport = :$p" | grep -q . || ss -Hltn "sport = :$p" | grep -q .; then
    echo "port $p on this host is in use; the benchmark needs 5060 (resproxy), 5070 (Kamailio)," \
      "5080 (SIPp client) and 5090 (SIPp UAS)" >&2
    exit 1
  fi
done

# ---- build ------------------------------------------------------------------------------
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  say "building resproxy (Release) in build-release/"
  cmake -S "$ROOT" -B "$ROOT/build-release" -DCMAKE_BUILD_TYPE=Release -DRESPROXY_WITH_TESTS=OFF \
    >"$OUT_DIR/cmake.log" 2>&1 &&
    cmake --build "$ROOT/build-release" -j2 --target resproxy >>"$OUT_DIR/cmake.log" 2>&1 ||
    { echo "build failed, see $OUT_DIR/cmake.log" >&2; tail -20 "$OUT_DIR/cmake.log" >&2; exit 1; }
fi
RESPROXY_BIN=${RESPROXY_BIN:-$ROOT/build-release/proxy/native/resproxy}
export RP_BIN=$RESPROXY_BIN
[[ -x $RESPROXY_BIN ]] || { echo "no resproxy binary at $RESPROXY_BIN" >&2; exit 1; }

# ---- the proxies ------------------------------------------------------------------------
addr_of() { [[ $1 == resproxy ]] && echo $RP_ADDR || echo $KAM_ADDR; }
pidfile_of() { [[ $1 == resproxy ]] && echo "$RP_RUN_DIR/resproxy.pid" || echo "$KAM_RUN_DIR/kamailio.pid"; }
start_target() {
  if [[ $1 == resproxy ]]; then "$B/start-resproxy.sh" >>"$OUT_DIR/targets.log" 2>&1
  else KAM_CHILDREN=2 "$B/start-kamailio.sh" noauth >>"$OUT_DIR/targets.log" 2>&1; fi
  local rc=$?
  [[ $rc -eq 0 ]] || { echo "starting $1 failed, see $OUT_DIR/targets.log" >&2; tail -5 "$OUT_DIR/targets.log" >&2; exit 1; }
}
stop_target() {
  local pf
  pf=$(pidfile_of "$1")
  [[ -s $pf ]] || return 0
  if [[ $1 == resproxy ]]; then "$B/stop-resproxy.sh" >>"$OUT_DIR/targets.log" 2>&1
  else "$B/stop-kamailio.sh" >>"$OUT_DIR/targets.log" 2>&1; fi
}
cleanup() { for t in $TARGETS; do stop_target "$t"; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# sum of VmRSS and of Pss over a pid and its descendants, in kB
mem_of() {
  local root=$1 rss=0 pss=0 p r s
  for p in $(ps -eo pid=,ppid= | awk -v root="$root" '{ par[$1] = $2 } END { keep[root] = 1; ch = 1
             while (ch) { ch = 0; for (p in par) if (!(p in keep) && (par[p] in keep)) { keep[p] = 1; ch = 1 } }
             for (p in keep) print p }'); do
    r=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null)
    s=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
    rss=$((rss + ${r:-0})); pss=$((pss + ${s:-0}))
  done
  echo "$rss $pss"
}

# field NAME LINE: value of NAME=… in a RESULT/MAX line
field() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k { print $2; exit }'; }

declare -A R   # R[target.metric] = value

fixed() { # fixed <target> <scenario> <rate>: one bench.sh run; the RESULT line in LAST
  local t=$1 line
  line=$(TARGET_PIDFILE=$(pidfile_of "$t") "$B/bench.sh" "$2" "$(addr_of "$t")" "$3" | grep '^RESULT' | tail -1)
  [[ -n $line ]] || line="RESULT scenario=$2 rate=$3 verdict=FAIL (no result)"
  echo "$line" | tee -a "$OUT_DIR/results.txt"
  sleep "$SETTLE_S"
  LAST=$line
}
per_op() { # per_op <line> <unit factor>: target CPU (ms or µs) per successful operation
  local cpu ach
  cpu=$(field target_cpu_pct "$1"); ach=$(field achieved_rate "$1")
  awk -v c="${cpu:-0}" -v a="${ach:-0}" -v f="$2" 'BEGIN { if (a > 0 && c != "NA") printf "%.3f", c / 100 * f / a; else print "NA" }'
}
calls_run() { # calls_run <target> <key>: fixed-rate calls, CPU per call into R[t.key]
  local t=$1 k=$2
  say "$t: calls at a fixed $FIXED_CPS calls/s for ${DURATION} s"
  fixed "$t" calls "$FIXED_CPS"
  R[$t.$k]=$(per_op "$LAST" 1000)
  R[$t.${k}_run]="$(field achieved_rate "$LAST") cps, $(field fail_pct "$LAST") % failed, proxy $(field target_cpu_pct "$LAST") %, SIPp $(field sipp_cpu_pct "$LAST")+$(field uas_cpu_pct "$LAST") %, other $(field other_cpu_pct "$LAST") %"
}
sweep() { # sweep <target> <scenario> <start> <max>: find-max.sh; a summary into SWEEP
  local t=$1 out maxl best
  out=$(TARGET_PIDFILE=$(pidfile_of "$t") GROWTH=$GROWTH PRECISION=$PRECISION MAX_STEPS=$MAX_STEPS \
    "$B/find-max.sh" "$2" "$(addr_of "$t")" "$3" "$4")
  echo "$out" | tee -a "$OUT_DIR/results.txt"
  maxl=$(grep '^MAX ' <<<"$out" | tail -1)
  best=$(grep '^BEST ' <<<"$out" | tail -1)
  local pass fail ach other cpu
  pass=$(field max_pass_rate "$maxl"); fail=$(field first_fail_rate "$maxl")
  ach=$(field achieved_rate "$best"); other=$(field other_cpu_pct "$best"); cpu=$(field target_cpu_pct "$best")
  if [[ ${fail:-0} == 0 ]]; then fail="no FAIL within $MAX_STEPS runs"; else fail="first FAIL $fail/s"; fi
  [[ ${pass:-0} == 0 ]] && fail="$fail: even the first rate failed"
  SWEEP="${pass:-0} → ${ach:-NA}/s (${fail}; proxy ${cpu:-NA} %, other ${other:-NA} %)"
}
restart_all() { for t in $TARGETS; do stop_target "$t"; start_target "$t"; done; sleep 1; }

# ---- A. calls on fresh instances (one binding: the UAS), as in bench/KAMAILIO-RESULTS.md ---
restart_all
for t in $TARGETS; do calls_run "$t" cpu_call; done
if [[ ${SKIP_SWEEPS:-0} != 1 ]]; then
  for t in $TARGETS; do
    say "$t: highest calls/s with < 0.1 % failed (start $CALLS_START, ≤ $MAX_STEPS runs)"
    sweep "$t" calls "$CALLS_START" "$CALLS_MAX"
    R[$t.max_calls]=$SWEEP
  done
fi

# ---- B. memory for BINDINGS bindings (fresh instances) ------------------------------------
# Measured 1 s after the last 200 and again 35 s after it: a proxy that answers REGISTER
# statefully (resproxy) keeps each server transaction for Timer J (64*T1 = 32 s over UDP);
# Kamailio answers it statelessly.
restart_all
declare -A MEM0 TREG
for t in $TARGETS; do
  pid=$(cat "$(pidfile_of "$t")")
  read -r rss0 pss0 < <(mem_of "$pid")
  MEM0[$t]="$rss0 $pss0"
  say "$t: memory before: RSS $rss0 kB, PSS $pss0 kB; registering $BINDINGS users"
  line=$(USERS=$BINDINGS TARGET_PIDFILE=$(pidfile_of "$t") QUIET_WAIT_S=0 \
    "$B/bench.sh" register "$(addr_of "$t")" 2000 "$BINDINGS" | grep '^RESULT' | tail -1)
  echo "$line" | tee -a "$OUT_DIR/results.txt"
  TREG[$t]=$SECONDS
  [[ $(field successful "$line") == "$BINDINGS" ]] || R[$t.mem_note]=" ($(field successful "$line") of $BINDINGS registered)"
  sleep 1
  read -r rss1 pss1 < <(mem_of "$pid")
  R[$t.pss_1s]="$((pss0 / 1024)) → $((pss1 / 1024)) MB (RSS sum $((rss0 / 1024)) → $((rss1 / 1024)) MB)${R[$t.mem_note]:-}"
done
for t in $TARGETS; do
  wait_s=$((TREG[$t] + 35 - SECONDS))
  ((wait_s > 0)) && { say "waiting ${wait_s} s for $t's transactions to expire"; sleep "$wait_s"; }
  pid=$(cat "$(pidfile_of "$t")")
  read -r rss0 pss0 <<<"${MEM0[$t]}"
  read -r rss2 pss2 < <(mem_of "$pid")
  R[$t.pss_35s]="$((pss0 / 1024)) → $((pss2 / 1024)) MB (RSS sum $((rss0 / 1024)) → $((rss2 / 1024)) MB)"
  R[$t.per_binding]=$(awk -v a="$pss0" -v b="$pss2" -v n="$BINDINGS" 'BEGIN { printf "%.2f KB", (b - a) / n }')
  if [[ $t == resproxy ]]; then
    db=$(du -sk "$RP_RUN_DIR/data" 2>/dev/null | awk '{print $1}')
    R[$t.disk]="${db:-?} kB (registrations.db + WAL)"
  else
    R[$t.disk]="none (usrloc in memory, db_mode=0)"
  fi
  say "$t: memory 35 s after: RSS $rss2 kB, PSS $pss2 kB (${R[$t.per_binding]} per binding by PSS)"
done

# ---- C. with BINDINGS bindings registered: calls again, REGISTER ------------------------
for t in $TARGETS; do calls_run "$t" cpu_call_full; done
for t in $TARGETS; do
  say "$t: REGISTER at a fixed $FIXED_REG/s for ${DURATION} s"
  fixed "$t" register "$FIXED_REG"
  R[$t.cpu_reg]=$(per_op "$LAST" 1000000)
  R[$t.cpu_reg_run]="$(field achieved_rate "$LAST") reg/s, $(field fail_pct "$LAST") % failed, proxy $(field target_cpu_pct "$LAST") %, SIPp $(field sipp_cpu_pct "$LAST") %, other $(field other_cpu_pct "$LAST") %"
done
if [[ ${SKIP_SWEEPS:-0} != 1 ]]; then
  for t in $TARGETS; do
    say "$t: highest REGISTER/s with < 0.1 % failed (start $REG_START, ≤ $MAX_STEPS runs)"
    sweep "$t" register "$REG_START" "$REG_MAX"
    R[$t.max_reg]=$SWEEP
  done
fi

# ---- summary ----------------------------------------------------------------------------
{
  echo
  echo "== resproxy vs Kamailio on $(nproc) cores, $(date '+%Y-%m-%d %H:%M'), ${DURATION} s per run (total $((SECONDS - T0)) s) =="
  printf '| %-44s |' "figure"
  for t in $TARGETS; do printf ' %-78s |' "$t"; done
  echo
  printf '|%s|' "----------------------------------------------"
  for t in $TARGETS; do printf '%s|' "--------------------------------------------------------------------------------"; done
  echo
  row() { # row <label> <key>
    printf '| %-44s |' "$1"
    for t in $TARGETS; do printf ' %-78s |' "${R[$t.$2]:-n/a}"; done
    echo
  }
  row "max calls/s, < 0.1 % failed (offered → achieved)" max_calls
  row "CPU per call at $FIXED_CPS calls/s (ms, 1 core)" cpu_call
  row "  that run" cpu_call_run
  row "CPU per call, $FIXED_CPS calls/s, $BINDINGS bindings" cpu_call_full
  row "  that run" cpu_call_full_run
  row "max REGISTER/s, < 0.1 % failed ($BINDINGS users)" max_reg
  row "CPU per REGISTER at $FIXED_REG/s (µs)" cpu_reg
  row "  that run" cpu_reg_run
  row "PSS, fresh → 1 s after $BINDINGS REGISTERs" pss_1s
  row "PSS, fresh → 35 s after (transactions gone)" pss_35s
  row "PSS growth per binding (35 s)" per_binding
  row "on disk" disk
  if [[ " $TARGETS " == *" resproxy "* && " $TARGETS " == *" kamailio "* ]]; then
    echo
    awk -v a="${R[resproxy.cpu_call]}" -v b="${R[kamailio.cpu_call]}" -v c="${R[resproxy.cpu_reg]}" -v d="${R[kamailio.cpu_reg]}" 'BEGIN {
      if (a != "NA" && b > 0) printf "resproxy / Kamailio CPU per call: %.2f (target <= 0.67)\n", a / b
      if (c != "NA" && d > 0) printf "resproxy / Kamailio CPU per REGISTER: %.2f (target <= 0.67)\n", c / d }'
    awk -v a="${R[resproxy.cpu_call_full]:-NA}" -v b="${R[kamailio.cpu_call_full]:-0}" 'BEGIN {
      if (a != "NA" && b > 0) printf "resproxy / Kamailio CPU per call with the bindings: %.2f\n", a / b }'
  fi
  echo "other_cpu = CPU used by everything except the proxy and SIPp during the run (100 = one core)."
  echo "Artefacts: $OUT_DIR (results.txt: every RESULT line)"
} | tee "$SUMMARY"
