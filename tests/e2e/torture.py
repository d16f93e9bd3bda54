#!/usr/bin/env python3
"""Send every RFC 4475 / RFC 5118 torture message to a running resproxy over UDP and check the
answer against EXPECTED below.

usage: torture.py <port[,port…]> <corpus-dir> [--discover]
       torture.py needed <corpus-dir>      (how many proxies the corpus needs, see main())

Each file's bytes go out as ONE datagram, unchanged, to 127.0.0.1:<proxy-port>. The sending
socket is bound to 127.0.0.1:<the port of the message's top Via> (5060 when it names none):
RFC 3261 §18.2.2 sends a response to the source address and the *Via* port, while a
stateless error answer (400 …) goes back to the source port; binding the Via port catches
both. A TCP listener on the same port catches a response the proxy would send over TCP (top
Via says TCP/TLS). For up to WAIT_S (1 s) every response whose top-Via branch (or Call-ID,
when the request has no branch) matches the request is collected (CSeq must match too; without a branch, the Call-ID);
a final response ends the wait early. Late answers to earlier files are ignored that way. An
answer that matches but does not carry the request's Call-ID shows as e.g. "400!call-id".

The outcome of a file is the list of status codes received, e.g. "100 503", "404" or "none".
EXPECTED gives, per file, the allowed outcomes; the run fails on any file whose outcome is not
allowed. --discover only prints the outcomes.
"""
import errno
import os
import re
import select
import socket
import sys
import time

WAIT_S = float(os.environ.get("TORTURE_WAIT_S", "1.0"))

# Allowed outcomes per file, with the reason. How the daemon decides (standalone mode, trusted
# loopback source, proxy address 127.0.0.1:<port>, realm resproxy.local):
#  - a message Message::parse refuses is answered 400 statelessly (505 for a bad version),
#    unless it is a response (dropped, never answered);
#  - §16.3 checks: 416 (URI scheme), 483 (Max-Forwards 0), 420 (Proxy-Require);
#  - then routing. None of these requests is for our domain or one of our users, so the
#    manifest's "parse and proxy" becomes one of:
#      404        the Request-URI host is a name (example.com, …): standalone mode has no DNS,
#                 so there is nowhere to route it (also for REGISTERs of foreign domains: a
#                 proxy does not act as their registrar). No 100 Trying: that is only sent
#                 once an INVITE is forwarded.
#      none/100   the Request-URI is an IPv6 literal: forwarded there; the daemon's socket is
#                 IPv4 (127.0.0.1), the datagram cannot leave, the client transaction
#                 retransmits and would answer 408 after Timer F/B (32 s) — beyond the 1 s
#                 window. An INVITE shows its 100 Trying.
#      fwd 200    the request carries a Route to 127.0.0.1:<port>: loose-routed there; this
#                 script plays that next hop (checks the forwarded body) and answers 200,
#                 which must come back through the proxy.
#  - responses that match no transaction of ours are dropped: "none".
NOT_FOUND = ("404",)
FWD_SILENT = ("none",)
INV_FWD_SILENT = ("100",)
NONE = ("none",)

EXPECTED = {
    # --- valid / valid-but-tricky: parse and proxy ------------------------------------------
    "rfc4475/wsinv.sip": (NOT_FOUND, "in-dialog INVITE (To tag) to a foreign domain, no Route: 404"),
    "rfc4475/intmeth.sip": (NOT_FOUND, "unknown method, foreign domain: 404 (a UAS would say 501)"),
    "rfc4475/esc01.sip": (NOT_FOUND, "escaped R-URI user at example.net: 404"),
    "rfc4475/escnull.sip": (NOT_FOUND, "REGISTER for example.com is not ours to handle: 404"),
    "rfc4475/esc02.sip": (NOT_FOUND, "RE%47IST%45R is an unknown method (not REGISTER): 404"),
    "rfc4475/lwsdisp.sip": (NOT_FOUND, "token display name glued to '<' accepted: 404"),
    "rfc4475/longreq.sip": (NOT_FOUND, "3.5 KB, 34 Vias: 404"),
    "rfc4475/dblreq.sip": (NOT_FOUND, "the REGISTER only (trailing INVITE bytes discarded): 404, one answer"),
    "rfc4475/semiuri.sip": (NOT_FOUND, "';' in the R-URI user: 404"),
    "rfc4475/transports.sip": (NOT_FOUND, "unknown Via transport tolerated: 404"),
    "rfc4475/mpart01.sip": (("fwd 200",), "Route <sip:127.0.0.1:5080>: forwarded with the 553-byte binary "
                            "body intact, the next hop's 200 comes back (rport: to the source port)"),
    "rfc4475/unreason.sip": (NONE, "a 200 response matching no transaction of ours: dropped"),
    "rfc4475/noreason.sip": (NONE, "a 100 response: absorbed (hop by hop), never answered"),
    "rfc4475/baddate.sip": (NOT_FOUND, "Date is not interpreted by a proxy: 404"),
    "rfc4475/badbranch.sip": (NOT_FOUND, "branch 'z9hG4bK' → RFC 2543 matching, routed: 404 "
                              "(manifest: 400 or RFC 2543 matching; we match)"),
    "rfc4475/unksm2.sip": (NOT_FOUND, "REGISTER for example.com (not ours): 404"),
    "rfc4475/invut.sip": (NOT_FOUND, "unknown body type does not concern a proxy: 404"),
    "rfc4475/regaut01.sip": (NOT_FOUND, "REGISTER for example.com, unknown auth scheme untouched: 404"),
    "rfc4475/bcast.sip": (NONE, "a 200 response matching no transaction of ours: dropped"),
    "rfc4475/cparam01.sip": (NOT_FOUND, "REGISTER for example.com: 404"),
    "rfc4475/cparam02.sip": (NOT_FOUND, "REGISTER for example.com: 404"),
    "rfc4475/regescrt.sip": (NOT_FOUND, "REGISTER for example.com: 404"),
    "rfc4475/sdp01.sip": (NOT_FOUND, "404 (a UAS may say 406)"),
    "rfc4475/inv2543.sip": (NOT_FOUND, "RFC 2543 INVITE accepted (no branch, no tag, no Max-Forwards): 404"),
    "rfc5118/ipv6-good.sip": (FWD_SILENT, "REGISTER to [2001:db8::10], not ours: forwarded"),
    "rfc5118/port-ambiguous.sip": (FWD_SILENT, "forwarded to [2001:db8::10:5070]:5060"),
    "rfc5118/port-unambiguous.sip": (FWD_SILENT, "forwarded to [2001:db8::10]:5070"),
    "rfc5118/via-received-param-with-delim.sip": (FWD_SILENT, "BYE forwarded to [2001:db8::10]"),
    "rfc5118/via-received-param-no-delim.sip": (FWD_SILENT, "OPTIONS forwarded to [2001:db8::10]"),
    "rfc5118/ipv6-in-sdp.sip": (("400",), "manifest: proxy (RFC intent); taken literally, as sent here, "
                                "Content-Length 268 > the 251-byte body: 400"),
    "rfc5118/mult-ip-in-header.sip": (NOT_FOUND, "BYE to host.example.net: 404"),
    "rfc5118/mult-ip-in-sdp.sip": (INV_FWD_SILENT, "INVITE to [2001:db8::10] (body cut at Content-Length): "
                                   "100, forwarded"),
    "rfc5118/ipv4-mapped-ipv6.sip": (NOT_FOUND, "INVITE to example.com: 404"),
    "rfc5118/ipv6-bug-abnf-3-colons.sip": (NOT_FOUND, "'[2001:db8:::192.0.2.1]' parses (tolerated) but is "
                                           "not an IPv6 address (RFC 4291), so a name: 404"),
    "rfc5118/ipv6-correct-abnf-2-colons.sip": (FWD_SILENT, "forwarded to [2001:db8::192.0.2.1]"),
    # --- invalid: exact answers ----------------------------------------------------------------
    "rfc4475/badinv01.sip": (("400",), "empty Via/Contact params"),
    "rfc4475/clerr.sip": (("400",), "Content-Length 9999 > body (UDP)"),
    "rfc4475/ncl.sip": (("400",), "negative Content-Length"),
    "rfc4475/scalar02.sip": (("400",), "CSeq > 2^32-1"),
    "rfc4475/scalarlg.sip": (NONE, "broken response: dropped"),
    "rfc4475/quotbal.sip": (("400",), "unterminated quote"),
    "rfc4475/ltgtruri.sip": (("400",), "R-URI in <>"),
    "rfc4475/lwsruri.sip": (("400",), "space in the R-URI"),
    "rfc4475/lwsstart.sip": (("400",), "manifest allows lenient; we are strict: double spaces in the request line"),
    "rfc4475/trws.sip": (("400",), "manifest allows lenient; we are strict: trailing spaces after SIP/2.0"),
    "rfc4475/escruri.sip": (("400",), "escaped header in the R-URI"),
    "rfc4475/regbadct.sip": (("400",), "Contact with '?' outside <>"),
    "rfc4475/badaspec.sip": (("400",), "manifest allows lenient; we are strict: spaces inside <>"),
    "rfc4475/baddn.sip": (("400",), "unquoted display name with a comma"),
    "rfc4475/badvers.sip": (("505",), "SIP/7.0"),
    "rfc4475/mismatch01.sip": (("400",), "CSeq method differs"),
    "rfc4475/mismatch02.sip": (("400",), "manifest: 501 (400 also acceptable); 400: the CSeq method differs"),
    "rfc4475/bigcode.sip": (NONE, "status 4294967301: dropped"),
    "rfc4475/insuf.sip": (("400",), "no Call-ID/From/To/Max-Forwards"),
    "rfc4475/unkscm.sip": (("416",), "unknown URI scheme"),
    "rfc4475/novelsc.sip": (("416",), "soap.beep: scheme"),
    "rfc4475/bext01.sip": (("420",), "Proxy-Require with unknown tags"),
    "rfc4475/multi01.sip": (("400",), "duplicated Call-ID/CSeq/From/To/Max-Forwards"),
    "rfc4475/mcl01.sip": (("400",), "two Content-Lengths (UDP)"),
    "rfc4475/zeromf.sip": (("483",), "Max-Forwards 0"),
    "rfc5118/ipv6-bad.sip": (("400",), "IPv6 R-URI without []"),
}

HDR_RE = re.compile(rb"\r\n(via|v)[ \t]*:[ \t]*([^\r\n]*)", re.I)
CALLID_RE = re.compile(rb"\r\n(call-id|i)[ \t]*:[ \t]*([^\r\n]*)", re.I)


def top_via(data):
    m = HDR_RE.search(data)
    return m.group(2) if m else b""


def via_port_and_transport(data):
    via = top_via(data)
    m = re.match(rb"\s*SIP\s*/\s*[0-9.]+\s*/\s*([A-Za-z]+)\s+(\[[^\]]*\]|[^;:\s,]+)\s*(?::\s*(\d+))?", via)
    if not m:
        return 5060, "UDP"
    port = int(m.group(3)) if m.group(3) else 5060
    return port, m.group(1).decode().upper()


def branch_of(data):
    m = re.search(rb"branch=([^;,\s]*)", top_via(data))
    return m.group(1) if m else None


def call_id_of(data):
    m = CALLID_RE.search(data)
    return m.group(2).strip() if m else None


def bind_with_retry(kind, port, limit_s=3.0):
    end = time.time() + limit_s
    while True:
        s = socket.socket(socket.AF_INET, kind)
        try:
            if kind == socket.SOCK_STREAM:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            return s
        except OSError as e:
            s.close()
            if e.errno != errno.EADDRINUSE or time.time() > end:
                raise
            time.sleep(0.1)


def split_stream(buf):
    """Complete SIP messages at the start of a TCP byte stream (framing by Content-Length)."""
    out = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            break
        m = re.search(rb"\r\n(content-length|l)[ \t]*:[ \t]*(\d+)", buf[:end + 2], re.I)
        n = int(m.group(2)) if m else 0
        if len(buf) < end + 4 + n:
            break
        out.append(buf[:end + 4 + n])
        buf = buf[end + 4 + n:]
    return out, buf


def route_next_hop_port(data):
    """Port of a first Route header naming sip:127.0.0.1:PORT (the next hop we play), or None."""
    head = data.split(b"\r\n\r\n", 1)[0]
    m = re.search(rb"\r\nroute[ \t]*:[ \t]*<sip:127\.0\.0\.1:(\d+)[;>]", head, re.I)
    return int(m.group(1)) if m else None


def body_of(data):
    head, _, rest = data.partition(b"\r\n\r\n")
    m = re.search(rb"\r\n(content-length|l)[ \t]*:[ \t]*(\d+)", head + b"\r\n", re.I)
    return rest[: int(m.group(2))] if m else rest


def answer_200(request):
    """A 200 for a request the proxy forwarded to us: Vias, From, To(+tag), Call-ID, CSeq."""
    head = request.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    out = [b"SIP/2.0 200 OK"]
    for line in head[1:]:
        name = line.split(b":", 1)[0].strip().lower()
        if name in (b"via", b"v", b"from", b"f", b"call-id", b"i", b"cseq"):
            out.append(line)
        elif name in (b"to", b"t"):
            out.append(line if b"tag=" in line else line + b";tag=nexthop1")
    out.append(b"Content-Length: 0")
    return b"\r\n".join(out) + b"\r\n\r\n"


def transaction_key(data):
    """RFC 3261 §17.2.3 server transaction key of a request: branch, sent-by, method."""
    via = top_via(data)
    m = re.match(rb"\s*SIP\s*/\s*[0-9.]+\s*/\s*[A-Za-z]+\s+([^;]*)", via)
    method = data.split(b" ", 1)[0]
    return (branch_of(data), m.group(1).strip() if m else None, b"INVITE" if method == b"ACK" else method)


CSEQ_RE = re.compile(rb"\r\ncseq[ \t]*:[ \t]*([^\r\n]*)", re.I)


def cseq_of(data):
    m = CSEQ_RE.search(data)
    return b" ".join(m.group(1).split()) if m else None


def classify(request, response):
    """None if `response` answers another request (a late answer or retransmission for an
    earlier file); else "" or, for an answer that does not copy the request's Call-ID
    (RFC 3261 §8.2.6.2), "!call-id"."""
    want_branch = branch_of(request)
    want_cseq = cseq_of(request)
    want_callid = call_id_of(request)
    if want_branch:
        if branch_of(response) != want_branch:
            return None
        if want_cseq is not None and cseq_of(response) != want_cseq:
            return None
    elif want_callid is not None and call_id_of(response) != want_callid:
        return None
    if want_callid is not None and call_id_of(response) != want_callid:
        return "!call-id"
    return ""


def exchange(proxy_port, data, original_body):
    port, _transport = via_port_and_transport(data)
    is_request = not data.startswith(b"SIP/")
    udp = bind_with_retry(socket.SOCK_DGRAM, port)
    tcp = None
    try:
        tcp = bind_with_retry(socket.SOCK_STREAM, port, 0.5)
        tcp.listen(4)
    except OSError:
        tcp = None
    hop = None
    hop_port = route_next_hop_port(data) if is_request else None
    if hop_port:
        hop = bind_with_retry(socket.SOCK_DGRAM, hop_port)
    conns, bufs = [], {}
    outcome = []
    try:
        udp.sendto(data, ("127.0.0.1", proxy_port))
        end = time.time() + WAIT_S
        while time.time() < end:
            rlist = [udp] + ([tcp] if tcp else []) + ([hop] if hop else []) + conns
            ready, _, _ = select.select(rlist, [], [], max(0.0, end - time.time()))
            msgs = []
            for s in ready:
                if s is udp:
                    msgs.append(udp.recv(65535))
                elif s is hop:
                    fwd, src = hop.recvfrom(65535)
                    if fwd.startswith(b"SIP/"):
                        continue
                    if "fwd" not in outcome:
                        intact = body_of(fwd) == original_body
                        outcome.append("fwd" if intact else "fwd-body-changed")
                    hop.sendto(answer_200(fwd), src)
                elif s is tcp:
                    c, _ = tcp.accept()
                    conns.append(c)
                    bufs[c] = b""
                else:
                    chunk = s.recv(65535)
                    if not chunk:
                        conns.remove(s)
                        s.close()
                        continue
                    got, bufs[s] = split_stream(bufs[s] + chunk)
                    msgs.extend(got)
            final = False
            for msg in msgs:
                m = re.match(rb"SIP/2\.0 (\d{3}) ", msg)
                flag = classify(data, msg) if m else None
                if flag is None:
                    continue  # another file's late answer or retransmission
                code = m.group(1).decode() + flag
                if flag:
                    sys.stderr.write(f"answer with a wrong Call-ID:\n{msg.decode(errors='replace')}\n")
                if outcome and outcome[-1] == code:
                    continue  # a retransmission of the same answer
                outcome.append(code)
                final = final or int(code[:3]) >= 200
            if final and is_request:
                break
    finally:
        for s in [udp, hop, tcp] + conns:
            if s:
                s.close()
    return " ".join(outcome) if outcome else "none"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    discover = "--discover" in sys.argv[1:]
    if len(args) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    corpus = args[1]
    files = []
    with open(os.path.join(corpus, "MANIFEST.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            if line.strip():
                files.append(line.split("\t")[0])
    # Some files share a transaction key (the RFCs reuse branch and sent-by, e.g. four RFC 5118
    # REGISTERs with z9hG4bKas3-111 from [2001:db8::9:1]). Sent to one proxy within 32 s, the
    # later ones are, correctly, retransmissions of the first. Each goes to the first proxy
    # (of the ports given) that has not seen its key yet.
    datas = {}
    for name in files:
        with open(os.path.join(corpus, name), "rb") as fh:
            datas[name] = fh.read()
    seen = {}
    target = {}
    for name in files:
        d = datas[name]
        if d.startswith(b"SIP/"):
            target[name] = 0
            continue
        k = transaction_key(d)
        target[name] = seen.get(k, 0)
        seen[k] = target[name] + 1
    needed = max(target.values()) + 1
    if args[0] == "needed":
        print(needed)
        return 0
    ports = [int(p) for p in args[0].split(",")]
    if len(ports) < needed:
        print(f"FAIL: {needed} proxies needed (files share transaction keys), {len(ports)} given")
        return 1
    missing = [f for f in files if f not in EXPECTED]
    extra = [f for f in EXPECTED if f not in files]
    if (missing or extra) and not discover:
        print(f"FAIL: table and MANIFEST.tsv differ: missing {missing}, extra {extra}")
        return 1
    bad = 0
    for name in files:
        data = datas[name]
        got = exchange(ports[target[name]], data, body_of(data))
        allowed, why = EXPECTED.get(name, (("?",), "not in the table"))
        ok = got in allowed
        bad += 0 if ok else 1
        verdict = "" if discover else ("ok   " if ok else "BAD  ")
        proxy = f"p{target[name] + 1}"
        print(f"{verdict}{name:42s} {proxy} got {got:8s} expected {' | '.join(allowed):8s} {why}")
    print(f"torture: {len(files) - bad} of {len(files)} files answered as the table says")
    return 0 if bad == 0 or discover else 1


if __name__ == "__main__":
    sys.exit(main())
