#!/usr/bin/env bash
# End-to-end: the real resproxy daemon on 127.0.0.1 and real SIPp.
#
# usage: calls.sh <udp|tcp|refer|notfound>
#
#   udp       a SIPp phone (UAS) registers user 3000 from its own port (phone.xml, REGISTER ->
#             200 listing the binding), then a SIPp UAC places CALLS (default 1000) calls to
#             sip:3000@127.0.0.1:<proxy port> through resproxy at RATE (default 250) calls/s:
#             INVITE/100/180/200/ACK/BYE/200, ACK and BYE loose-routed through the proxy
#             (Record-Route). Zero failed calls: SIPp exits 0, its -trace_stat CSV counts CALLS
#             successful and 0 failed, and the phone's SIPp aborted no call.
#   tcp       the same over TCP (sipp -t t1 on both sides, the phone registers over TCP and the
#             proxy reaches it on the phone's own connection).
#   refer     a transfer: A calls B; B sends REFER (Refer-To: C) in the dialog; A answers 202,
#             NOTIFYs "100 Trying", calls C, NOTIFYs "200 OK"; B hangs up; A hangs up with C.
#             All through the proxy; every SIPp (A, B, C) must complete every call and the
#             REFER / NOTIFY contents are checked on arrival (check_it in the scenarios).
#   notfound  INVITEs to a user nobody registered get 404 from the proxy (uac-404.xml).
#
# Then the daemon gets SIGTERM and must exit 0.
# env: CALLS=1000 RATE=250 TRANSFERS=5, plus lib.sh's (RESPROXY_BIN, E2E_KEEP)
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

MODE=${1:-}
CALLS=${CALLS:-1000}
RATE=${RATE:-250}
TRANSFERS=${TRANSFERS:-5}

read -r P_PROXY P_PHONE P_B P_C < <(free_ports 4)
start_proxy "$P_PROXY" "$T/data" || finish

case $MODE in
  udp | tcp)
    tr=u1; [[ $MODE == tcp ]] && tr=t1
    start_phone uas "$P_PHONE" "$tr" uas.xml 120000 3000 || finish
    run_uac "uac-$MODE" uac.xml "$CALLS" "$RATE" "$tr" -s 3000
    expect_all_calls "uac-$MODE" "$CALLS"
    # the phone's statistics are written once a second: wait (<= 3 s) for the last calls
    for _ in $(seq 1 30); do
      answered=$(sipp_stat "$T/uas-stats.csv" 'AutoAnswered(C)')
      [[ ${answered:-0} -ge $CALLS ]] && break
      sleep 0.1
    done
    [[ ${answered:-0} -eq $CALLS ]] || fail "the callee's SIPp saw $answered calls, expected $CALLS"
    aborted=$(phone_aborts uas)
    log "phone: $answered incoming calls handled, $aborted aborted"
    [[ ${aborted:-0} -eq 0 ]] || fail "the callee's SIPp aborted $aborted calls"
    ;;

  refer)
    register_from reg-c "$P_C" u1 c || finish
    register_from reg-b "$P_B" u1 b || finish
    start_uas c "$P_C" u1 uas.xml "$TRANSFERS" || finish
    C_PID=$UAS_PID
    start_uas b "$P_B" u1 refer-b.xml "$TRANSFERS" -key refer_to "sip:c@$LOCAL_IP:$P_PROXY" || finish
    B_PID=$UAS_PID
    run_uac refer-a refer-a.xml "$TRANSFERS" 5 u1 -s b -trace_logs -log_file "$T/refer-a-phone.log"
    expect_all_calls refer-a "$TRANSFERS"
    wait_uas b "$B_PID" "$TRANSFERS"
    wait_uas c "$C_PID" "$TRANSFERS"
    # A got B's REFER with its Refer-To; B saw both NOTIFYs with the sipfrag bodies A sent
    # (check_it in refer-b.xml) and its BYE answered; C answered every transferred call
    a_refer=$(grep -c "^A got REFER to sip:c@$LOCAL_IP:$P_PROXY" "$T/refer-a-phone.log" 2>/dev/null)
    b_trying=$(grep -c '^B got NOTIFY refer SIP/2.0 100 Trying' "$T/b-phone.log" 2>/dev/null)
    b_final=$(grep -c '^B got NOTIFY SIP/2.0 200 OK terminated' "$T/b-phone.log" 2>/dev/null)
    b_done=$(grep -c '^B transfer done' "$T/b-phone.log" 2>/dev/null)
    log "transfers: A got $a_refer REFERs; B got $b_trying + $b_final NOTIFYs, completed $b_done; of $TRANSFERS"
    [[ $a_refer -eq $TRANSFERS ]] || fail "A received $a_refer REFERs with B's Refer-To, expected $TRANSFERS"
    [[ $b_trying -eq $TRANSFERS && $b_final -eq $TRANSFERS && $b_done -eq $TRANSFERS ]] ||
      fail "B: $b_trying/$b_final NOTIFYs and $b_done completed transfers, expected $TRANSFERS each"
    ;;

  notfound)
    run_uac uac-404 uac-404.xml 20 20 u1 -s nobody4711
    expect_all_calls uac-404 20
    ;;

  *)
    sed -n '4p' "$0" | sed 's/^# //' >&2
    exit 2
    ;;
esac

proxy_alive || fail "resproxy died during the test"
stop_proxy
finish
