#!/usr/bin/env bash
# End-to-end: resproxyctl against the real daemon (the seed's `sipproxy show reg` / `kill reg n`).
#
#  1. No daemon yet: resproxyctl exits 2 and names the socket it tried.
#  2. resproxy starts on a fresh data directory; its control socket <data>/resproxy.ctl has
#     mode 0600. A SIPp phone (phone.xml, answering calls with uas.xml) registers user 3000
#     over UDP and keeps running.
#  3. `show reg` lists the binding (user, contact, source, transport udp, origin local), exit 0;
#     `show counters` has the proxy's and the runtime's counters; `kill reg 1` removes it;
#     `show reg` then shows 0 registrations; an INVITE to 3000 gets 404; `kill reg 1` again and
#     an unknown command exit 1 with the error on stderr.
#  4. kill -9 (the socket file stays behind), restart on the same data directory: the stale
#     socket is replaced, and `show reg` still shows 0 registrations (the kill was durable).
#     Meanwhile a second daemon pointed at the live socket (--control) refuses to start (exit 1).
#  5. SIGTERM: clean exit 0, the socket file is removed, and resproxyctl exits 2 again; with
#     --control none the daemon creates no socket.
# env: RESPROXYCTL_BIN (default: resproxyctl next to RESPROXY_BIN), plus lib.sh's
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

CTL=${RESPROXYCTL_BIN:-$(dirname "$RESPROXY_BIN")/resproxyctl}
[[ -x $CTL ]] || { echo "FAIL: resproxyctl not found at $CTL (set RESPROXYCTL_BIN)" >&2; exit 1; }

read -r P_PROXY P_PHONE < <(free_ports 2)
DATA=$T/data
SOCK=$DATA/resproxy.ctl

# ctl ARGS...: run resproxyctl (bounded); sets CTL_RC, CTL_OUT, CTL_ERR
ctl() {
  timeout -k 2 15 "$CTL" "$@" >"$T/ctl.stdout" 2>"$T/ctl.stderr" </dev/null
  CTL_RC=$?
  CTL_OUT=$(cat "$T/ctl.stdout")
  CTL_ERR=$(cat "$T/ctl.stderr")
  {
    echo "\$ resproxyctl $* -> exit $CTL_RC"
    cat "$T/ctl.stdout" "$T/ctl.stderr"
  } >>"$T/ctl-transcript.out"
}

# expect_rc RC WHAT: the last ctl's exit status
expect_rc() {
  [[ $CTL_RC -eq $1 ]] || fail "$2: resproxyctl exited $CTL_RC, expected $1 (stdout: $CTL_OUT; stderr: $CTL_ERR)"
}
# expect_out REGEX WHAT / expect_err REGEX WHAT: a line of the last ctl's stdout / stderr
expect_out() { grep -Eq -- "$1" <<<"$CTL_OUT" || fail "$2: no line matching '$1' in: $CTL_OUT"; }
expect_err() { grep -Eq -- "$1" <<<"$CTL_ERR" || fail "$2: no line matching '$1' on stderr: $CTL_ERR"; }

# --- 1. nobody listening -----------------------------------------------------------------
mkdir -p "$DATA"
ctl --data-dir "$DATA" show reg
expect_rc 2 "no daemon"
expect_err "cannot talk to resproxy on control socket $SOCK" "no daemon"
ctl --socket "$T/nowhere.ctl" help
expect_rc 2 "no socket file"
ctl --data-dir "$DATA"
expect_rc 1 "no command"

# --- 2. daemon and phone -----------------------------------------------------------------
start_proxy "$P_PROXY" "$DATA" || finish
[[ -S $SOCK ]] || fail "no control socket $SOCK"
mode=$(stat -c %a "$SOCK" 2>/dev/null)
[[ $mode == 600 ]] || fail "control socket mode $mode, expected 600"
grep -q "control socket $SOCK" "$T/resproxy-$PROXY_RUNS.log" || fail "the daemon did not log its control socket"
start_phone phone "$P_PHONE" u1 uas.xml 60000 3000 || finish

# --- 3. show reg, kill reg ---------------------------------------------------------------
ctl --data-dir "$DATA" show reg
expect_rc 0 "show reg"
expect_out '^index user aliases contact source transport expires origin$' "show reg header"
expect_out "^1 3000 - sip:3000@$LOCAL_IP:${P_PHONE}[^ ]* $LOCAL_IP:$P_PHONE (udp|UDP) [0-9]+s local$" "show reg binding"
expect_out '^1 registrations$' "show reg count"

ctl --socket "$SOCK" show counters
expect_rc 0 "show counters"
expect_out '^registers 1$' "show counters (proxy)"
expect_out '^runtime\.datagrams_in [1-9][0-9]*$' "show counters (runtime)"

ctl --socket "$SOCK" kill reg 1
expect_rc 0 "kill reg 1"
expect_out "^killed 1 3000 sip:3000@$LOCAL_IP:$P_PHONE" "kill reg 1"

ctl --socket "$SOCK" show reg
expect_rc 0 "show reg after kill"
expect_out '^0 registrations$' "show reg after kill"
grep -q ' 3000 ' <<<"$CTL_OUT" && fail "3000 still listed after kill reg 1: $CTL_OUT"

run_uac uac-404 uac-404.xml 3 3 u1 -s 3000
expect_all_calls uac-404 3

ctl --socket "$SOCK" kill reg 1
expect_rc 1 "kill reg 1 of nothing"
expect_err "no registration '1'" "kill reg 1 of nothing"
[[ -z $CTL_OUT ]] || fail "an error reply went to stdout: $CTL_OUT"
ctl --socket "$SOCK" frobnicate
expect_rc 1 "unknown command"
expect_err "unknown command" "unknown command"
ctl --socket "$SOCK" help
expect_rc 0 "help"
expect_out '^kill reg N' "help"

# a second daemon (own data directory) must not take over a live control socket
timeout -k 2 10 "$RESPROXY_BIN" --listen "$LOCAL_IP:0" --data-dir "$T/data2" --control "$SOCK" \
  >"$T/second.log" 2>&1 </dev/null
rc=$?
[[ $rc -eq 1 ]] || fail "a second daemon on the live control socket exited $rc, expected 1"
grep -q "another resproxy is running" "$T/second.log" || fail "the second daemon did not say why it refused"
[[ -S $SOCK ]] || fail "the refused second daemon removed the live socket"

# --- 4. crash, stale socket, restart -------------------------------------------------------
kill9_proxy
log "resproxy killed with SIGKILL"
[[ -S $SOCK ]] || fail "expected the crashed daemon's socket file to stay behind"
ctl --socket "$SOCK" show reg
expect_rc 2 "stale socket, no daemon"
start_proxy "$P_PROXY" "$DATA" || finish
grep -q "removed stale control socket $SOCK" "$T/resproxy-$PROXY_RUNS.log" ||
  fail "the restarted daemon did not report the stale socket"
ctl --data-dir "$DATA" show reg
expect_rc 0 "show reg after restart"
expect_out '^0 registrations$' "show reg after restart (kill reg is durable)"

# --- 5. clean stop -----------------------------------------------------------------------
proxy_alive || fail "resproxy died during the test"
stop_proxy
[[ -e $SOCK ]] && fail "control socket $SOCK left behind after a clean stop"
ctl --data-dir "$DATA" show reg
expect_rc 2 "after stop"

# --control none: no socket at all
start_proxy "$P_PROXY" "$DATA" --control none || finish
[[ -e $SOCK ]] && fail "--control none created $SOCK"
ctl --data-dir "$DATA" show reg
expect_rc 2 "--control none"
stop_proxy
log "resproxyctl transcript: $(grep -c '^\$ resproxyctl' "$T/ctl-transcript.out") commands"
finish
