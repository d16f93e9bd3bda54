#!/usr/bin/env bash
# End-to-end: SIP over TLS (RFC 3261 §26, RFC 5922) into and out of resproxy, with real parts on
# 127.0.0.1.
#
# The parts: a test CA and certificates made here with the openssl CLI (EC P-256): resproxy's
# (SAN DNS:resproxy.test, IP:127.0.0.1), the ITSP's (DNS:itsp.test), an impostor's signed by the
# same CA (DNS:other.test), an itsp.test certificate from a rogue CA and the office's client
# certificate, presented to the ITSP. Kamailio (kamailio/itsp.cfg with TLS_FRONT_PORT: UDP and
# TCP) plays the ITSP behind stunnel (server mode: TLS with the itsp.test certificate, requires
# a client certificate from the CA, plain TCP to Kamailio); resproxy runs forward_itsp with ITSP `ipname = itsp.test` (a LAN hosts entry:
# 127.0.0.1), `transport = tls`, verifying the ITSP's chain and name against the test CA. The far
# end is a SIPp UAS registered at Kamailio directly (UDP, itsp-phone.xml / itsp-uas.xml); the
# calling phone a SIPp UAC over TCP into stunnel (client mode: verifies resproxy's certificate,
# name resproxy.test, against the test CA; TLS to resproxy's tls_port). Kamailio Record-Routes
# the caller's side through the stunnel TLS address (transport=tls), so ACK and BYE from
# resproxy to the ITSP travel over TLS too.
#
#   1. resproxy's readiness line names tls; openssl s_client verifies its chain against the CA,
#      for the name resproxy.test and the address 127.0.0.1.
#   2. sipsak over TLS straight to resproxy's tls_port: OPTIONS to resproxy gets 200; REGISTER of
#      2002 gets 200 from Kamailio, which got it over the TLS hop with the Path
#      <sip:127.0.0.1:<tls_port>;transport=tls;lr>; resproxy caches the binding.
#   3. CALLS calls at RATE/s: UAC (tcp) -> stunnel -> TLS -> resproxy -> TLS -> stunnel ->
#      Kamailio -> UAS; every call completes; resproxy forwarded each INVITE, ACK and BYE to the
#      ITSP over TLS (trace route.forwarded transport=TLS, route.ack_forwarded; sip_log "TLS
#      out"), nothing to it over UDP or TCP; the UAS saw resproxy's Via "SIP/2.0/TLS
#      127.0.0.1:<tls_port>" in each INVITE, ACK and BYE and its Record-Route ";transport=tls" in
#      each INVITE; the ITSP's stunnel verified resproxy's client certificate; no ITSP probe
#      failed, `resproxyctl show itsp`: normal operation.
#   4. the ITSP's certificate changes to the impostor's (other.test, same CA): stunnel is stopped
#      and tls_recorder.py serves that certificate on the same port. resproxy must refuse the
#      handshake: a warning naming tls and the verify failure / name mismatch on its stderr,
#      itsp.probe_failed and itsp.marked_inactive in the trace (show itsp: failure operation),
#      and not one handshake completed nor one byte of SIP received by the impostor (whose own
#      positive control, openssl s_client without verification, does get its bytes recorded).
#      In failure operation a REGISTER of 2004 over TLS is answered 200 by resproxy itself, with
#      expires <= itsp_down_reg_expires, and never forwarded. Then (4b) the impostor presents an
#      itsp.test certificate from a CA resproxy does not trust: the same checks, the warning
#      naming the verify failure (the chain, not the name).
#   5. handshake throttle: with [sipproxy.trust] disable_all and only 127.0.0.1 trusted, and
#      tls_handshakes_per_minute = 6 (a burst of 5, then one per 10 s), 12 handshakes in a row
#      from the untrusted 127.0.0.66 (tls_flood.py): exactly the first 5 complete, the others
#      are closed before their handshake (as many transport.stream_refused tls_handshake_rate
#      in the trace); a trusted source (sipsak, OPTIONS) still gets its 200 right after.
#   Finally SIGTERM: exit 0.
#
# sipsak 0.9.8.1 (GnuTLS) cannot read an answer over TLS 1.3: the server's post-handshake
# session tickets make gnutls_record_recv return no data and sipsak gives up ("nothing received,
# select returned error"); it is run with GnuTLS's system priority file overridden to disable
# TLS 1.3 (GNUTLS_SYSTEM_PRIORITY_FILE), so that leg is TLS 1.2; the stunnel legs are TLS 1.3.
# sipsak also checks the server's name against "host:port" when the URI has a port, which no
# certificate can match: it runs with --tls-ignore-cert-failure, and resproxy's certificate is
# verified by openssl s_client and stunnel instead.
#
# env: lib.sh's (RESPROXY_BIN, E2E_KEEP, E2E_TMP); RESPROXYCTL_BIN (default: next to the daemon;
# show itsp is skipped without it); CALLS=20, RATE=10
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
E2E_SIP_LOG=0   # the config written here has its own sip_log and trace_log

for c in openssl stunnel sipsak kamailio; do
  command -v "$c" >/dev/null || { fail "$c not installed (scripts/setup.sh: openssl stunnel4 sipsak kamailio)"; finish; }
done
CTL=${RESPROXYCTL_BIN:-$(dirname "$RESPROXY_BIN")/resproxyctl}
[[ -x $CTL ]] || CTL=""

DOMAIN=itsp.test
CALLS=${CALLS:-20}
RATE=${RATE:-10}
DOWN_EXPIRES=30
HOLD_MS=60000
TRACE=$T/trace.jsonl
KAM_LOG=$T/itsp.log
ATTACKER=127.0.0.66

read -r P_PROXY P_TLS P_KAM P_ITSP P_UAC P_FAR P_NOBODY < <(free_ports 7)

# --- helpers -------------------------------------------------------------------------------

# make_certs: the CAs and the leaf certificates in $T/certs (EC P-256, valid 2 days)
make_certs() {
  local d=$T/certs
  mkdir -p "$d"
  ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
  # ca NAME CN: a self-signed CA, NAME.pem and NAME-key.pem
  ca() {
    ec_key "$d/$1-key.pem" &&
      openssl req -x509 -new -key "$d/$1-key.pem" -sha256 -days 2 -subj "/CN=$2" \
        -addext "basicConstraints = critical, CA:TRUE" -addext "keyUsage = critical, keyCertSign, cRLSign" \
        -out "$d/$1.pem"
  }
  # leaf NAME CN SAN EKU [CA]: NAME.pem, NAME-key.pem, NAME-chain.pem (the leaf, then its CA)
  leaf() {
    local ca=${5:-ca}
    ec_key "$d/$1-key.pem" &&
      openssl req -new -key "$d/$1-key.pem" -subj "/CN=$2" -out "$d/$1.csr" &&
      printf 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = %s\nsubjectAltName = %s\n' \
        "$4" "$3" >"$d/$1.ext" &&
      openssl x509 -req -in "$d/$1.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca-key.pem" -CAcreateserial -days 2 \
        -sha256 -extfile "$d/$1.ext" -out "$d/$1.pem" &&
      cat "$d/$1.pem" "$d/$ca.pem" >"$d/$1-chain.pem"
  }
  {
    ca ca "resproxy e2e test CA" &&
      ca rogue-ca "resproxy e2e rogue CA" &&
      leaf server resproxy.test "DNS:resproxy.test, IP:127.0.0.1" "serverAuth, clientAuth" &&
      leaf itsp itsp.test "DNS:itsp.test" serverAuth &&
      leaf other other.test "DNS:other.test" serverAuth &&
      leaf rogue itsp.test "DNS:itsp.test" serverAuth rogue-ca &&
      leaf client office.test "DNS:office.test" clientAuth
  } >"$T/certs.out" 2>&1 || { fail "openssl could not make the test certificates"; return 1; }
  CERTS=$d
  # GnuTLS (sipsak): no TLS 1.3, see the header
  printf '[overrides]\ndisabled-version = tls1.3\n' >"$T/gnutls-no-tls13.conf"
}

# write_config FILE: resproxy's configuration (forward_itsp, the ITSP over TLS, fast probes)
write_config() {
  {
    echo "[sipproxy]"
    echo "mode = forward_itsp"
    echo "realm = $DOMAIN"
    echo "rx_port = $P_PROXY"
    echo "listen_address = $LOCAL_IP"
    echo "[sipproxy.trust]"
    echo "disable_all = 1"
    echo "[sipproxy.trust.1]"
    echo "enable = 1"
    echo "ipmin = $LOCAL_IP"
    echo "ipmax = $LOCAL_IP"
    echo "[sipproxy.itsp_proxy]"
    echo "accessibility_check = options"
    echo "probe_interval_ms = 500"
    echo "probe_interval_down_ms = 500"
    echo "probe_timeout_ms = 1000"
    echo "failures_to_down = 2"
    echo "successes_to_up = 2"
    echo "failback_delay = 1"
    echo "answer_timeout_ms = 2000"
    echo "[sipproxy.itsp_proxy.1]"
    echo "enable = 1"
    echo "ipname = $DOMAIN"
    echo "port = $P_ITSP"
    echo "transport = tls"
    echo "[sipproxy.lan_hosts.1]"
    echo "enable = 1"
    echo "name = $DOMAIN"
    echo "address = $LOCAL_IP"
    echo "[advanced.sipproxy]"
    echo "tls = 1"
    echo "tls_port = $P_TLS"
    echo "tls_certificate = $CERTS/server-chain.pem"
    echo "tls_private_key = $CERTS/server-key.pem"
    echo "tls_ca_file = $CERTS/ca.pem"
    echo "tls_verify_server = 1"
    echo "tls_client_certificate = $CERTS/client-chain.pem"
    echo "tls_client_private_key = $CERTS/client-key.pem"
    echo "tls_handshakes_per_minute = 6"
    echo "itsp_down_reg_expires = $DOWN_EXPIRES"
    echo "trace_log = $TRACE"
    echo "sip_log = $T/sip.log"
  } >"$1"
  check_config "$1"
}

# start_stunnel NAME PORT OPTION…: stunnel in the foreground with one service NAME whose options
# are OPTION… ("key = value"), logging to $T/stunnel-NAME.log; waits (<= 5 s) for PORT.
# Sets STUNNEL_PID.
start_stunnel() {
  local name=$1 port=$2 i
  shift 2
  {
    echo "foreground = yes"
    echo "pid ="
    echo "syslog = no"
    echo "output = $T/stunnel-$name.log"
    echo "debug = info"
    echo "[$name]"
    printf '%s\n' "$@"
  } >"$T/stunnel-$name.conf"
  stunnel "$T/stunnel-$name.conf" >"$T/stunnel-$name.out" 2>&1 </dev/null &
  STUNNEL_PID=$!
  PIDS+=("$STUNNEL_PID")
  for ((i = 0; i < 50; i++)); do
    ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
    kill -0 "$STUNNEL_PID" 2>/dev/null || break
    sleep 0.1
  done
  fail "stunnel $name did not listen on $LOCAL_IP:$port within 5 s"
  return 1
}

# sip_file FILE METHOD RURI USER [EXPIRES]: a request for sipsak -f (sipsak adds the Via)
sip_file() {
  local file=$1 method=$2 ruri=$3 user=$4 expires=${5:-600} n=$RANDOM$RANDOM
  {
    echo "$method $ruri SIP/2.0"
    echo "From: <sip:$user@$DOMAIN>;tag=e2e$n"
    echo "To: <sip:$user@$DOMAIN>"
    echo "Call-ID: e2e-$method-$n@$LOCAL_IP"
    echo "CSeq: 1 $method"
    if [[ $method == REGISTER ]]; then
      echo "Contact: <sip:$user@$LOCAL_IP:$P_NOBODY;transport=tls>"   # nobody calls them
      echo "Expires: $expires"
      echo "Supported: path"
    fi
    echo "Max-Forwards: 70"
    echo "User-Agent: resproxy-e2e-sipsak"
    echo "Content-Length: 0"
    echo
  } >"$file"
}

# sipsak_tls NAME FILE: sends FILE with sipsak over TLS to resproxy's tls_port (bounded: 10 s);
# sets SIPSAK_RC, SIPSAK_STATUS (the final answer's status line, empty if none) and leaves the
# answer in $T/NAME.reply
sipsak_tls() {
  local name=$1 file=$2
  GNUTLS_SYSTEM_PRIORITY_FILE=$T/gnutls-no-tls13.conf timeout -k 2 10 \
    sipsak -E tls -f "$file" -s "sip:$LOCAL_IP:$P_TLS" --tls-ignore-cert-failure -vvv \
    >"$T/$name-sipsak.out" 2>&1 </dev/null
  SIPSAK_RC=$?
  # the answer follows sipsak's last "received from:" line
  tr -d '\r' <"$T/$name-sipsak.out" |
    awk '/^received from: /{ buf = ""; on = 1; next } on { buf = buf $0 "\n" } END { printf "%s", buf }' >"$T/$name.reply"
  SIPSAK_STATUS=$(grep -m1 -E '^SIP/2\.0 [0-9]{3}' "$T/$name.reply")
  log "sipsak $name over TLS: ${SIPSAK_STATUS:-no answer} (rc $SIPSAK_RC)"
}

# ctl_show_itsp: resproxyctl show itsp (empty without resproxyctl)
ctl_show_itsp() {
  [[ -n $CTL ]] || return 0
  timeout -k 2 10 "$CTL" --data-dir "$T/data" show itsp 2>&1 </dev/null
}

kam_count() { grep -c -- "$1" "$KAM_LOG" 2>/dev/null; }

# tls_to_itsp EVENT FROM_NS [key=value…]: trace events toward the ITSP over TLS since FROM_NS
tls_to_itsp() {
  local ev=$1 from=$2
  shift 2
  trace_count "$TRACE" "$ev" "$from" - to="$LOCAL_IP:$P_ITSP" transport=TLS "$@"
}

# siplog_to_itsp TRANSPORT METHOD: requests of METHOD resproxy sent to the ITSP's address over
# TRANSPORT (UDP, TCP, TLS), from its sip_log ("<time> TLS out [stream N ]A -> B (N bytes)"
# and the message on the next line); METHOD "*" counts them all
siplog_to_itsp() {
  python3 - "$T/sip.log" "$1" "$2" "$LOCAL_IP:$P_ITSP" <<'PY'
import re, sys
path, transport, method, itsp = sys.argv[1:]
head = re.compile(r"^\S+ (\w+) out (?:stream \d+ )?\S+ -> (\S+) \(\d+ bytes\)$")
n = 0
try:
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
except OSError:
    lines = []
for i, line in enumerate(lines[:-1]):
    m = head.match(line)
    if not m or m.group(1).upper() != transport or m.group(2) != itsp:
        continue
    first = lines[i + 1].split(" ", 1)[0]
    if method == "*" or first == method:
        n += 1
print(n)
PY
}

SUMMARY=()
note() { SUMMARY+=("$(printf '%-46s %s' "$1" "$2")"); }

# --- set-up: certificates, the ITSP (Kamailio behind stunnel), the far end, resproxy ----------

make_certs || finish
start_kamailio itsp "$P_KAM" "$HERE/kamailio/itsp.cfg" -l "tcp:$LOCAL_IP:$P_KAM" \
  -A "TLS_FRONT_PORT=$P_ITSP" -A "TLS_FRONT_RR=\"$LOCAL_IP:$P_ITSP;transport=tls;r2=on\"" || finish
start_stunnel itsp "$P_ITSP" "accept = $LOCAL_IP:$P_ITSP" "connect = $LOCAL_IP:$P_KAM" \
  "cert = $CERTS/itsp-chain.pem" "key = $CERTS/itsp-key.pem" \
  "CAfile = $CERTS/ca.pem" "verifyChain = yes" "requireCert = yes" || finish
ITSP_TLS_PID=$STUNNEL_PID

# the far end: 2001 registers at Kamailio itself (UDP) and answers with itsp-uas.xml
users_csv "$T/far-users.csv" 2001
mp=$(free_ports 1)
timeout -k 2 $((HOLD_MS / 1000 + 10)) sipp "$LOCAL_IP:$P_KAM" -sf "$SCEN/itsp-phone.xml" -oocsf "$SCEN/itsp-uas.xml" \
  -key domain "$DOMAIN" -inf "$T/far-users.csv" -m 1 -d "$HOLD_MS" -i "$LOCAL_IP" -p "$P_FAR" -mp "$mp" \
  -t u1 -nostdin -buff_size 4194304 -recv_timeout 5000 -trace_msg -message_file "$T/far-messages.log" \
  -trace_logs -log_file "$T/far-phone.log" -trace_err -error_file "$T/far-errors.log" >"$T/far.out" 2>&1 </dev/null &
PIDS+=($!)
for ((i = 0; i < 100; i++)); do
  grep -q '^registered 2001 ' "$T/far-phone.log" 2>/dev/null && break
  sleep 0.1
done
grep -q '^registered 2001 ' "$T/far-phone.log" 2>/dev/null || { fail "the far end 2001 did not register at Kamailio within 10 s"; finish; }

write_config "$T/resproxy.ini" || finish
start_proxy "$P_PROXY" "$T/data" --config "$T/resproxy.ini" || finish
T0=$(mono_now_ns)
ERRLOG=$T/resproxy-$PROXY_RUNS.log

# --- 1. resproxy listens for TLS with the right certificate ----------------------------------
log "1. resproxy's TLS listener and certificate"

ready=$(grep -m1 'listening on' "$ERRLOG")
grep -qi 'tls' <<<"$ready" || fail "resproxy's readiness line does not name tls: $ready"
note "readiness line" "$ready"
timeout -k 2 10 openssl s_client -connect "$LOCAL_IP:$P_TLS" -CAfile "$CERTS/ca.pem" -verify_return_error \
  -verify_hostname resproxy.test -servername resproxy.test -brief </dev/null >"$T/s_client-name.out" 2>&1
rc_name=$?
timeout -k 2 10 openssl s_client -connect "$LOCAL_IP:$P_TLS" -CAfile "$CERTS/ca.pem" -verify_return_error \
  -verify_ip "$LOCAL_IP" -brief </dev/null >"$T/s_client-ip.out" 2>&1
rc_ip=$?
if [[ $rc_name -ne 0 ]] || ! grep -q 'Verification: OK' "$T/s_client-name.out"; then
  fail "openssl s_client could not verify resproxy's certificate for resproxy.test (rc $rc_name): $(tail -3 "$T/s_client-name.out" | paste -sd' ')"
fi
if [[ $rc_ip -ne 0 ]] || ! grep -q 'Verification: OK' "$T/s_client-ip.out"; then
  fail "openssl s_client could not verify resproxy's certificate for $LOCAL_IP (rc $rc_ip): $(tail -3 "$T/s_client-ip.out" | paste -sd' ')"
fi
note "s_client: resproxy.test / $LOCAL_IP verified" "rc $rc_name / $rc_ip, $(grep -m1 -E '^Protocol version' "$T/s_client-name.out")"

# --- 2. sipsak over TLS: OPTIONS answered by resproxy, REGISTER via the ITSP over TLS ----------
log "2. sipsak over TLS: OPTIONS, REGISTER via the ITSP"

sip_file "$T/options.sip" OPTIONS "sip:$LOCAL_IP:$P_TLS" sipsak
sipsak_tls options "$T/options.sip"
[[ $SIPSAK_STATUS == "SIP/2.0 200"* ]] || fail "OPTIONS over TLS to resproxy: expected 200, got '${SIPSAK_STATUS:-nothing}' (sipsak rc $SIPSAK_RC)"
note "sipsak OPTIONS over TLS" "${SIPSAK_STATUS:-no answer}"

R0=$(mono_now_ns)
KR0=$(kam_count 'ITSP-REGISTER user=2002 ')
sip_file "$T/register-2002.sip" REGISTER "sip:$DOMAIN" 2002 600
sipsak_tls register-2002 "$T/register-2002.sip"
[[ $SIPSAK_STATUS == "SIP/2.0 200"* ]] || fail "REGISTER 2002 over TLS: expected 200 (from the ITSP), got '${SIPSAK_STATUS:-nothing}'"
kline=$(grep 'ITSP-REGISTER user=2002 ' "$KAM_LOG" | tail -1)
[[ $(($(kam_count 'ITSP-REGISTER user=2002 ') - KR0)) -ge 1 ]] || fail "Kamailio did not log the REGISTER of 2002"
[[ $kline == *"path=<sip:$LOCAL_IP:$P_TLS;transport=tls;lr>"* ]] ||
  fail "Kamailio's REGISTER of 2002 lacks the Path <sip:$LOCAL_IP:$P_TLS;transport=tls;lr>: ${kline:-none}"
reg_fwd=$(tls_to_itsp route.forwarded "$R0" method=REGISTER)
[[ $reg_fwd -ge 1 ]] || fail "no route.forwarded REGISTER to $LOCAL_IP:$P_ITSP over TLS in the trace"
wait_trace "$TRACE" reg.cached "$R0" 5 user=2002 >/dev/null || fail "resproxy did not cache the ITSP's 200 for 2002 (no reg.cached)"
note "sipsak REGISTER 2002 over TLS (via ITSP)" "${SIPSAK_STATUS:-no answer}; forwarded over TLS: $reg_fwd; Kamailio: path=${kline##*path=}"

# --- 3. calls over TLS end to end ------------------------------------------------------------
log "3. $CALLS calls at $RATE/s over TLS both ways"

start_stunnel uac "$P_UAC" "client = yes" "accept = $LOCAL_IP:$P_UAC" "connect = $LOCAL_IP:$P_TLS" \
  "CAfile = $CERTS/ca.pem" "verifyChain = yes" "checkHost = resproxy.test" "sni = resproxy.test" || finish
K0=$(kam_count 'ITSP-INVITE')
C0=$(mono_now_ns)
ACK_TLS0=$(siplog_to_itsp TLS ACK)
users_csv "$T/callees.csv" 2001
# run_uac sends to $PROXY_PORT: here the stunnel client in front of resproxy's TLS port
PROXY_PORT=$P_UAC run_uac calls itsp-uac.xml "$CALLS" "$RATE" t1 -inf "$T/callees.csv" -key domain "$DOMAIN" \
  -trace_logs -log_file "$T/calls-calls.log"
expect_all_calls calls "$CALLS"
via_kam=$(($(kam_count 'ITSP-INVITE') - K0))
inv=$(tls_to_itsp route.forwarded "$C0" method=INVITE)
bye=$(tls_to_itsp route.forwarded "$C0" method=BYE)
ack=$(trace_count "$TRACE" route.ack_forwarded "$C0" - to="$LOCAL_IP:$P_ITSP")
ack_tls=$(($(siplog_to_itsp TLS ACK) - ACK_TLS0))
plain=$(($(siplog_to_itsp UDP '*') + $(siplog_to_itsp TCP '*')))
[[ $via_kam -eq $CALLS ]] || fail "Kamailio logged $via_kam INVITEs, expected $CALLS"
[[ $inv -eq $CALLS ]] || fail "resproxy forwarded $inv INVITEs to the ITSP over TLS (trace), expected $CALLS"
[[ $bye -eq $CALLS ]] || fail "resproxy forwarded $bye BYEs to the ITSP over TLS (trace), expected $CALLS"
[[ $ack -eq $CALLS && $ack_tls -eq $CALLS ]] ||
  fail "resproxy forwarded $ack ACKs to the ITSP (trace), $ack_tls over TLS (sip_log); expected $CALLS"
[[ $plain -eq 0 ]] || fail "resproxy sent $plain messages to the ITSP's address over UDP or TCP (sip_log)"
# what the far end received: each INVITE, ACK and BYE passed resproxy's TLS Via; the INVITE
# carries resproxy's TLS Record-Route
read -r far_inv far_ack far_bye far_rr < <(python3 - "$T/far-messages.log" "$LOCAL_IP:$P_TLS" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
me = sys.argv[2]
count = {"INVITE": 0, "ACK": 0, "BYE": 0}
rr = 0
for msg in re.split(r"\n(?=(?:INVITE|ACK|BYE|SIP/2\.0) )", text):
    m = re.match(r"(INVITE|ACK|BYE) ", msg)
    if not m:
        continue
    if re.search(r"^Via: SIP/2\.0/TLS " + re.escape(me) + r"[;\r\n]", msg, re.M | re.I):
        count[m.group(1)] += 1
    if m.group(1) == "INVITE" and re.search(r"^Record-Route:.*<sip:" + re.escape(me) + r";transport=tls;", msg, re.M | re.I):
        rr += 1
print(count["INVITE"], count["ACK"], count["BYE"], rr)
PY
)
[[ ${far_inv:-0} -ge $CALLS && ${far_ack:-0} -ge $CALLS && ${far_bye:-0} -ge $CALLS ]] ||
  fail "the far end saw Via SIP/2.0/TLS $LOCAL_IP:$P_TLS in ${far_inv:-0} INVITEs, ${far_ack:-0} ACKs, ${far_bye:-0} BYEs; expected $CALLS each"
[[ ${far_rr:-0} -ge $CALLS ]] || fail "the far end saw resproxy's Record-Route <sip:$LOCAL_IP:$P_TLS;transport=tls;…> in ${far_rr:-0} INVITEs, expected $CALLS"
grep -q 'Certificate accepted at depth=0: CN=office.test' "$T/stunnel-itsp.log" 2>/dev/null ||
  fail "the ITSP's stunnel did not accept resproxy's client certificate (CN=office.test)"
failed_probes=$(trace_count "$TRACE" itsp.probe_failed "$T0")
[[ $failed_probes -eq 0 ]] || fail "$failed_probes ITSP probes failed while the ITSP was fine: $(trace_select "$TRACE" itsp.probe_failed "$T0" | head -1)"
show=$(ctl_show_itsp)
[[ -z $CTL || $show == *normal_operation* ]] || fail "resproxyctl show itsp, ITSP fine: expected normal_operation: $show"
note "calls UAC->stunnel->resproxy->stunnel->ITSP" "$UAC_OK of $CALLS at $RATE/s (failed $UAC_FAILED)"
note "  to the ITSP over TLS: INVITE / ACK / BYE" "$inv / $ack_tls / $bye (Kamailio: $via_kam INVITEs); over UDP/TCP: $plain"
note "  far end: TLS Via in INVITE / ACK / BYE" "${far_inv:-0} / ${far_ack:-0} / ${far_bye:-0}; TLS Record-Route: ${far_rr:-0}"
note "  ITSP probes failed (must be 0)" "$failed_probes"
[[ -n $CTL ]] && note "  resproxyctl show itsp" "$(paste -sd' ' <<<"$show" | cut -c1-120)"

# --- 4. the ITSP's port presents a certificate that is not the ITSP's: refused ----------------

# impostor NAME CERT: (re)starts tls_recorder.py on the ITSP's port with $CERTS/CERT-chain.pem
# (the previous impostor, if any, stopped first); sets REC_LOG ($T/NAME.log), REC_PID, SWAP_NS
impostor() {
  local i
  [[ -n ${REC_PID:-} ]] && stop_pid "$REC_PID" 2
  REC_LOG=$T/$1.log
  python3 "$HERE/tls_recorder.py" "$CERTS/$2-chain.pem" "$CERTS/$2-key.pem" "$LOCAL_IP" "$P_ITSP" "$REC_LOG" \
    >"$T/$1.out" 2>&1 </dev/null &
  REC_PID=$!
  PIDS+=("$REC_PID")
  for ((i = 0; i < 50; i++)); do grep -q '^ready ' "$REC_LOG" 2>/dev/null && break; sleep 0.1; done
  grep -q '^ready ' "$REC_LOG" 2>/dev/null || { fail "tls_recorder.py ($1) did not start on $LOCAL_IP:$P_ITSP"; return 1; }
  SWAP_NS=$(mono_now_ns)
}

# refusals REGEX: resproxy's stderr lines naming tls, the ITSP's address and REGEX
refusals() { grep -i 'tls' "$ERRLOG" | grep -F "$LOCAL_IP:$P_ITSP" | grep -i -E "$1"; }

# impostor_refused NAME REGEX WHAT: resproxy keeps probing (every probe_interval_down_ms); waits
# (<= 10 s) until the impostor refused two more handshakes, resproxy logged a new warning
# matching REGEX and traced two failed probes (the impostor sees the refusal a moment before
# resproxy's trace says so: waiting for one side only raced the other); then: no handshake
# completed at the impostor, no byte received, >= 2 probes failed since the swap, the ITSP never
# marked active again. Sets WARNING, REC_STATS.
impostor_refused() {
  local name=$1 regex=$2 what=$3 before i accepted hs_ok data probe_fail
  before=$(refusals "$regex" | wc -l)
  for ((i = 0; i < 100; i++)); do
    [[ $(grep -c '^handshake-failed ' "$REC_LOG") -ge 2 && $(refusals "$regex" | wc -l) -gt $before &&
       $(trace_count "$TRACE" itsp.probe_failed "$SWAP_NS") -ge 2 ]] && break
    sleep 0.1
  done
  WARNING=$(refusals "$regex" | tail -1)
  [[ $(refusals "$regex" | wc -l) -gt $before ]] ||
    fail "$what: resproxy logged no warning naming tls, $LOCAL_IP:$P_ITSP and /$regex/: $(tail -3 "$ERRLOG" | paste -sd'|')"
  probe_fail=$(trace_count "$TRACE" itsp.probe_failed "$SWAP_NS")
  [[ $probe_fail -ge 2 ]] || fail "$what: $probe_fail itsp.probe_failed since the impostor took the port, expected >= 2"
  accepted=$(grep -c '^accepted ' "$REC_LOG")
  hs_ok=$(grep -c '^handshake-ok ' "$REC_LOG")
  data=$(grep -c '^data ' "$REC_LOG")
  [[ $accepted -ge 1 ]] || fail "$what: resproxy never connected to the impostor"
  [[ $hs_ok -eq 0 && $data -eq 0 ]] ||
    fail "$what: the impostor completed $hs_ok handshakes and received $data chunks: $(grep -m3 -E '^(handshake-ok|data) ' "$REC_LOG" | paste -sd'|')"
  [[ $(trace_count "$TRACE" itsp.marked_active "$S0") -eq 0 ]] || fail "$what: resproxy marked the ITSP active again"
  REC_STATS="$accepted / $hs_ok / $data, $probe_fail probes failed ($(grep -m1 '^handshake-failed ' "$REC_LOG" | cut -d' ' -f3-))"
}

# impostor_control NAME: positive control, the impostor records the bytes of a client that
# does not verify (so its "no data" above means something)
impostor_control() {
  local i
  printf 'PING sip:%s SIP/2.0\r\n\r\n' "$LOCAL_IP" |
    timeout -k 2 5 openssl s_client -connect "$LOCAL_IP:$P_ITSP" -quiet -no_ign_eof >"$T/$1-control.out" 2>&1
  for ((i = 0; i < 20; i++)); do grep -q '^data .* PING ' "$REC_LOG" && break; sleep 0.1; done
  grep -q '^data .* PING ' "$REC_LOG" || fail "positive control: impostor $1 did not record a non-verifying client's bytes"
  [[ $(grep -c '^data ' "$REC_LOG") -eq 1 ]] ||
    fail "impostor $1 recorded data from someone other than the control: $(grep '^data ' "$REC_LOG" | paste -sd'|')"
}

# 4a. the right CA, the wrong name (DNS:other.test): RFC 5922's name check
log "4. the ITSP's port presents the certificate of other.test (same CA)"
S0=$(mono_now_ns)
stop_pid "$ITSP_TLS_PID" 3
impostor impostor-name other || finish
log "tls_recorder.py serves the port ($(ns_to_ms "$S0" "$SWAP_NS") ms after stunnel stopped)"
# (from S0: the probes may fail on the stopped stunnel before the impostor is up)
DOWN_NS=$(wait_trace "$TRACE" itsp.marked_inactive "$S0" 15) || fail "no itsp.marked_inactive within 15 s of the certificate change"
impostor_refused impostor-name 'verif|mismatch' "certificate of other.test"
show=$(ctl_show_itsp)
[[ -z $CTL || ($show == *failure_operation* && $show == *Inactive*) ]] ||
  fail "resproxyctl show itsp after the certificate change: expected failure_operation and Inactive: $show"
impostor_control impostor-name
note "certificate of other.test (same CA)" "itsp.marked_inactive $( [[ -n $DOWN_NS ]] && ns_to_ms "$S0" "$DOWN_NS" || echo NA) ms after stunnel stopped"
note "  resproxy's warning" "${WARNING:-none}"
[[ -n $CTL ]] && note "  resproxyctl show itsp" "$(paste -sd' ' <<<"$show" | cut -c1-120)"
note "  impostor: connections / handshakes / data" "$REC_STATS"

# failure operation: a REGISTER over TLS is answered here, with the short expiry
F0=$(mono_now_ns)
KR0=$(kam_count 'ITSP-REGISTER user=2004 ')
sip_file "$T/register-2004.sip" REGISTER "sip:$DOMAIN" 2004 600
sipsak_tls register-2004 "$T/register-2004.sip"
exp=$(grep -i -m1 '^Contact:' "$T/register-2004.reply" | grep -o -i 'expires=[0-9]*' | cut -d= -f2)
[[ -n $exp ]] || exp=$(grep -i -m1 '^Expires:' "$T/register-2004.reply" | tr -dc '0-9')
[[ $SIPSAK_STATUS == "SIP/2.0 200"* ]] || fail "REGISTER 2004 over TLS in failure operation: expected 200, got '${SIPSAK_STATUS:-nothing}'"
[[ -n $exp && $exp -ge 1 && $exp -le $DOWN_EXPIRES ]] || fail "REGISTER 2004 in failure operation: granted expires '${exp}', expected 1..$DOWN_EXPIRES"
fwd=$(trace_count "$TRACE" route.forwarded "$F0" - method=REGISTER)
[[ $fwd -eq 0 && $(kam_count 'ITSP-REGISTER user=2004 ') -eq $KR0 ]] || fail "the REGISTER of 2004 was forwarded ($fwd) in failure operation"
note "  failure operation: REGISTER 2004 over TLS" "${SIPSAK_STATUS:-no answer}, expires=${exp:-none} (cap $DOWN_EXPIRES), forwarded: $fwd"

# 4b. the right name (DNS:itsp.test), a CA resproxy does not trust: the chain check
log "4b. the ITSP's port presents an itsp.test certificate from another CA"
impostor impostor-chain rogue || finish
impostor_refused impostor-chain 'verif' "itsp.test from another CA"
impostor_control impostor-chain
note "itsp.test certificate from another CA" "refused; the ITSP stays inactive"
note "  resproxy's warning" "${WARNING:-none}"
note "  impostor: connections / handshakes / data" "$REC_STATS"

# --- 5. handshake throttle for an untrusted source ---------------------------------------------
log "5. 12 TLS handshakes from the untrusted $ATTACKER"

FL0=$(mono_now_ns)
timeout -k 2 60 python3 "$HERE/tls_flood.py" "$ATTACKER" "$LOCAL_IP" "$P_TLS" 12 "$CERTS/ca.pem" resproxy.test \
  >"$T/flood.out" 2>&1
FL1=$(mono_now_ns)
read -r fl_ok fl_refused < <(sed -n 's/^summary ok=\([0-9]*\) refused=\([0-9]*\)$/\1 \2/p' "$T/flood.out")
# the burst of 5, plus one token per 10 s the flood took (normally well under 1 s)
allowed=$((5 + (FL1 - FL0) / 10000000000))
if [[ -z $fl_ok || $fl_ok -lt 5 || $fl_ok -gt $allowed || $((fl_ok + fl_refused)) -ne 12 ]]; then
  fail "12 handshakes from the untrusted $ATTACKER with tls_handshakes_per_minute = 6: expected 5 completed (at most $allowed after $(ns_to_ms "$FL0" "$FL1") ms), the rest refused; got ok=${fl_ok:-?} refused=${fl_refused:-?} ($(head -8 "$T/flood.out" | paste -sd'|'))"
fi
# the first five are the burst: refusals come only after it
first_refused=$(awk '$2 == "refused" { print $1; exit }' "$T/flood.out")
[[ ${first_refused:-5} -ge 5 ]] || fail "a handshake within the burst (#$first_refused) was refused"
refused_trace=$(trace_count "$TRACE" transport.stream_refused "$FL0" - why=tls_handshake_rate)
[[ $refused_trace -eq ${fl_refused:-0} ]] ||
  fail "the trace has $refused_trace transport.stream_refused (tls_handshake_rate) events, the flood saw ${fl_refused:-?} refusals"
sipsak_tls options-after-flood "$T/options.sip"
[[ $SIPSAK_STATUS == "SIP/2.0 200"* ]] || fail "after the flood, OPTIONS over TLS from trusted $LOCAL_IP: expected 200, got '${SIPSAK_STATUS:-nothing}'"
note "12 handshakes from untrusted $ATTACKER" "completed ${fl_ok:-?}, refused ${fl_refused:-?} (burst 5 at 6/min) in $(ns_to_ms "$FL0" "$FL1") ms; trace: $refused_trace refused"
note "  then OPTIONS over TLS from $LOCAL_IP" "${SIPSAK_STATUS:-no answer}"

echo
echo "===== tls.sh: figures ====="
printf '%s\n' "${SUMMARY[@]}"
echo "==========================="
proxy_alive || fail "resproxy died"
stop_proxy
finish
