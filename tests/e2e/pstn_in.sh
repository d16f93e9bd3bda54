#!/usr/bin/env bash
# End-to-end: calls from the PSTN to the office's phones, and a PSTN subscriber hanging up an
# outside call (issue #12), all in one daemon on 127.0.0.1 with real SIPp.
#
# resproxy runs standalone with its PSTN gateway in the same daemon (pstn.sh's shape): one
# emulated E1 (group "e1") whose DDI numbers 01632 961000-961099 reach the gateway as their last
# three digits; the dial plan sends DDI 050 to extension 2001, 051 to 2002 and 052 to 2009 (which
# nobody registers). The emulated exchange's numbering plan is this file's
# [sim_hardware.numbers.N]: 01632 960000-960999 answer after 1 s and stay; 01632 970000-970999
# answer after 1 s and hang up 2 s later. `resproxyctl pstn call` makes the exchange call the
# office; `resproxyctl pstn calls` lists its call records (how each call ended).
#   a. 01632 960555 calls DDI 01632 961050, hanging up 2 s after the answer (hold 2): SIPp phone
#      2001 gets the INVITE from resproxy with the caller's number in From, answers, and must get
#      a BYE with Reason: Q.850;cause=16 (pstn-in-uas.xml checks both); the exchange's record:
#      answered, cause 16, ended about 2 s after the answer.
#   b. DDI 01632 961051 to phone 2002, which answers and hangs up after 1 s
#      (pstn-in-uas-hangup.xml; the caller would stay): the record says answered, cause 16.
#   c. DDI 01632 961052 to 2009, not registered: resproxy answers 404 (the gateway's calls never
#      go back to the gateway), the gateway clears the PSTN call with cause 1 (RFC 3398: 404 ->
#      1); the record says refused, cause 1, and the INVITE for 2009 went nowhere else.
#   d. a SIPp phone calls 9 01632 970123 through resproxy and the gateway; the subscriber answers
#      and hangs up 2 s later: the phone must get a BYE with Reason: Q.850;cause=16
#      (uac-pstn-hungup.xml); the record: from_office, answered, cause 16.
#   Also: a malformed `pstn call` is refused (exit 1).
# Then the daemon gets SIGTERM and must exit 0.
# env: lib.sh's (RESPROXY_BIN, E2E_KEEP)
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

CTL=${RESPROXYCTL_BIN:-$(dirname "$RESPROXY_BIN")/resproxyctl}

read -r P_PROXY P_GW P_A P_B < <(free_ports 4)

{
  echo "[sipproxy]"
  echo "mode = standalone"
  # the gateway addresses its INVITEs to sip:<extension>@office.test: that domain is ours
  echo "realm = office.test"
  echo "[sipproxy.pstn_gw]"
  echo "address = $LOCAL_IP:$P_GW"
  echo "from_action = trust"
  echo "max_calls_per_user = 0"
  echo "max_calls_per_source = 0"
  echo "calls_per_minute_per_user = 0"
  echo "calls_per_minute_per_source = 0"
  echo "[gateway]"
  echo "enable = 1"
  echo "port = $P_GW"
  echo "proxy = $LOCAL_IP:$P_PROXY"
  echo "domain = office.test"
  echo "[gateway.group.1]"
  echo "enable = 1"
  echo "name = e1"
  echo "spans = 1"
  echo "[gateway.dialplan.1]"
  echo "enable = 1"
  echo "name = national"
  echo "source = sip"
  echo "called = 9<0.>"
  echo "called_out = <1>"
  echo "target = e1"
  n=2
  for ddi_ext in 050:2001 051:2002 052:2009; do
    echo "[gateway.dialplan.$n]"
    echo "enable = 1"
    echo "name = ddi-${ddi_ext%%:*}"
    echo "source = e1"
    echo "called = ${ddi_ext%%:*}"
    echo "called_out = ${ddi_ext##*:}"
    echo "target = sip"
    n=$((n + 1))
  done
  echo "[sim_hardware.e1.1]"
  echo "enable = 1"
  echo "span = 1"
  echo "name = e1-1"
  echo "ddi_first = 01632961000"
  echo "ddi_last = 01632961099"
  echo "ddi_digits = 3"
  echo "[sim_hardware.numbers.1]"
  echo "enable = 1"
  echo "first = 01632960000"
  echo "last = 01632960999"
  echo "kind = answers"
  echo "answer_after = 1"
  echo "hold_time = 0"
  echo "[sim_hardware.numbers.2]"
  echo "enable = 1"
  echo "first = 01632970000"
  echo "last = 01632970999"
  echo "kind = answers"
  echo "answer_after = 1"
  echo "hold_time = 2"
  echo "[advanced.sipproxy]"
  echo "sip_log = $T/sip.log"
} >"$T/resproxy.ini"
check_config "$T/resproxy.ini" || finish
start_proxy "$P_PROXY" "$T/data" --config "$T/resproxy.ini" || finish

ctl() { timeout -k 2 15 "$CTL" --data-dir "$T/data" "$@"; }

# pstn_call FROM TO [args]: the exchange's call id (from "call ID"), or fail
pstn_call() {
  local out
  if ! out=$(ctl pstn call "$@" 2>&1); then
    fail "resproxyctl pstn call $*: $out"
    return 1
  fi
  awk '$1 == "call" { print $2; exit }' <<<"$out"
}

# record_of ID: the exchange's record of call ID once it has ended (waits <= 10 s); prints
# "direction calling called port channel age_s answer_s end_s cause cleared_by outcome"
record_of() {
  local id=$1 i row
  for ((i = 0; i < 100; i++)); do
    # a record has 12 fields (the last line, "N calls", is no record)
    row=$(ctl pstn calls | awk -v id="$id" 'NF == 12 && $1 == id { $1 = ""; print substr($0, 2) }')
    [[ -n $row && $(awk '{ print $8 }' <<<"$row") != - ]] && { echo "$row"; return 0; }
    sleep 0.1
  done
  echo "$row"
  return 1
}

# expect_record NAME ROW DIRECTION OUTCOME CAUSE CLEARED_BY [MIN_HOLD_S MAX_HOLD_S]: the fields of
# a record (CLEARED_BY: office or pstn, whose was the first cause)
expect_record() {
  local name=$1 row=$2 direction=$3 outcome=$4 cause=$5 by=$6 lo=${7:-} hi=${8:-}
  read -r r_dir _ _ _ _ _ r_answer r_end r_cause r_by r_outcome <<<"$row"
  log "$name: exchange record: $row"
  [[ $r_dir == "$direction" && $r_outcome == "$outcome" && $r_cause == "$cause" && $r_by == "$by" ]] ||
    fail "$name: expected $direction $outcome cause $cause cleared by $by, the exchange recorded: $row"
  if [[ -n $lo ]]; then
    awk -v a="$r_answer" -v e="$r_end" -v lo="$lo" -v hi="$hi" \
      'BEGIN { h = e - a; exit !(a != "-" && h >= lo && h <= hi) }' ||
      fail "$name: expected the call to last ${lo}-${hi} s after its answer: $row"
  fi
}

# --- a. the PSTN caller hangs up: the phone gets BYE with cause 16 ---
register_from reg-a "$P_A" u1 2001 || finish
start_uas in-a "$P_A" u1 pstn-in-uas.xml 1 || finish
A_PID=$UAS_PID
ID_A=$(pstn_call 01632960555 01632961050 hold 2)
log "a: pstn call 01632960555 -> 01632961050 (hold 2): exchange call ${ID_A:-?}"
wait_uas in-a "$A_PID" 1 20
if [[ -n $ID_A ]]; then
  ROW=$(record_of "$ID_A") || fail "a: call $ID_A has not ended: $ROW"
  expect_record a "$ROW" to_office answered 16 pstn 1.8 4
  grep -q "01632960555 01632961050 e1-1" <<<"$ROW" || fail "a: record not of 01632960555 -> 01632961050 on e1-1: $ROW"
fi

# --- b. the phone hangs up ---
register_from reg-b "$P_B" u1 2002 || finish
start_uas in-b "$P_B" u1 pstn-in-uas-hangup.xml 1 -d 1000 || finish
B_PID=$UAS_PID
ID_B=$(pstn_call 01632960556 01632961051)
log "b: pstn call 01632960556 -> 01632961051 (caller stays): exchange call ${ID_B:-?}"
wait_uas in-b "$B_PID" 1 20
if [[ -n $ID_B ]]; then
  # the caller stays until the office clears: an end with 16 is the phone's BYE through the gateway
  ROW=$(record_of "$ID_B") || fail "b: call $ID_B has not ended: $ROW"
  expect_record b "$ROW" to_office answered 16 office 0.5 4
fi

# --- c. a DDI whose extension nobody registered ---
ID_C=$(pstn_call 01632960557 01632961052)
log "c: pstn call 01632960557 -> 01632961052 (extension 2009, not registered): exchange call ${ID_C:-?}"
if [[ -n $ID_C ]]; then
  ROW=$(record_of "$ID_C") || fail "c: call $ID_C has not ended: $ROW"
  expect_record c "$ROW" to_office refused 1 office
fi
sleep 0.5  # the sip log is written as messages pass
invites=$(grep -c "^INVITE sip:2009@" "$T/sip.log" 2>/dev/null || true)
answers=$(grep -c "^SIP/2.0 404" "$T/sip.log" 2>/dev/null || true)
log "c: sip log: $invites INVITE(s) for 2009, $answers 404 line(s)"
[[ ${invites:-0} -eq 1 ]] || fail "c: expected the gateway's one INVITE for 2009 and no forwarded copy, got $invites"
[[ ${answers:-0} -ge 1 ]] || fail "c: resproxy's 404 for 2009 not in the sip log"

# --- d. SIP -> PSTN, the subscriber hangs up after 2 s ---
BEFORE_D=$(ctl pstn calls | awk 'NF == 12 && $1 ~ /^[0-9]+$/ { n = $1 } END { print n + 0 }')
run_uac hungup uac-pstn-hungup.xml 1 1 u1 -s 901632970123 -recv_timeout 20000
expect_all_calls hungup 1
ID_D=$(ctl pstn calls | awk -v after="$BEFORE_D" 'NF == 12 && $1 > after && $4 == "01632970123" { print $1; exit }')
if [[ -n $ID_D ]]; then
  ROW=$(record_of "$ID_D") || fail "d: call $ID_D has not ended: $ROW"
  expect_record d "$ROW" from_office answered 16 pstn 1.8 4
else
  fail "d: no exchange record of a call to 01632970123: $(ctl pstn calls)"
fi

# --- a malformed command is refused ---
if out=$(ctl pstn call 0163x 01632961050 2>&1); then
  fail "pstn call with a FROM that is no number was accepted: $out"
fi
ctl pstn calls >"$T/pstn-calls.out" 2>&1
log "exchange records: $(tail -n 1 "$T/pstn-calls.out")"

stop_proxy || true
finish
