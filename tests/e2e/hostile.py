#!/usr/bin/env python3
"""A hostile client against a running resproxy: the attack review's open-relay / toll-fraud rows.

usage: hostile.py <proxy-port> <gateway-port> <victim-udp-port> <victim-tcp-port>

The daemon (started by hostile.sh) listens on 127.0.0.1:<proxy-port>, standalone mode, realm
resproxy.local, trusting only 127.0.0.10 ([sipproxy.trust] disable_all = 1), with
[sipproxy.pstn_gw] address = 127.0.0.1:<gateway-port> and one [sipproxy.auth.user.1].

This script plays every other party, on loopback only:
  gateway     UDP 127.0.0.1:<gateway-port>     the PSTN gateway: records every datagram
  victim      UDP 127.0.0.1:<victim-udp-port>  a LAN host an open relay would reach: records
  victim-tcp  TCP 127.0.0.1:<victim-tcp-port>  the same over TCP: records every connection
  attacker    UDP 127.0.0.66:<ephemeral>       untrusted (loopback takes any 127/8 source)
  phone       UDP 127.0.0.10:<ephemeral>       the trusted office phone (positive control)

Each attack row sends one well-formed request (or a stray response) from the attacker, collects
what comes back for WAIT_S (1 s, never less: a relayed message has that long to show up), ACKs
a non-2xx final answer to an INVITE at once (as a UAC must; the proxy absorbs it), then asserts the
answer's status code and that NONE of the three listeners received anything during the row —
not only the one the row aims at. A final check: no listener received anything during all the
attack rows. Then the positive control: the trusted phone calls an unregistered number and the
gateway must receive that INVITE (proving the listener and the test can fail); the gateway
answers 486, which must come back to the phone (the phone ACKs it).

One line per check, "PASS <name>: …" or "FAIL <name>: …"; exit status 1 if any check failed.
env: HOSTILE_WAIT_S=1.0
"""
import os
import secrets
import selectors
import socket
import sys
import threading
import time

WAIT_S = float(os.environ.get("HOSTILE_WAIT_S", "1.0"))
LOCAL = "127.0.0.1"
ATTACKER_IP = "127.0.0.66"
PHONE_IP = "127.0.0.10"
REALM = "resproxy.local"
NUMBER = "0900123456"  # a premium-rate number: what toll fraud dials


def token(n=8):
    return secrets.token_hex(n)


# --- SIP text --------------------------------------------------------------------------------

COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length"}


def parse(data):
    """(first line, [(lower-case name, value), …]) of a SIP message; None if it is not one."""
    try:
        text = data.decode("utf-8", "replace")
    except Exception:  # pragma: no cover
        return None
    head = text.split("\r\n\r\n", 1)[0]
    lines = head.split("\r\n")
    if not lines or not lines[0]:
        return None
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # folded continuation
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
            continue
        if ":" not in line:
            continue
        name, value = line.split(":", 1)
        name = name.strip().lower()
        headers.append((COMPACT.get(name, name), value.strip()))
    return lines[0], headers


def header(msg, name):
    for n, v in msg[1]:
        if n == name:
            return v
    return None


def headers(msg, name):
    return [v for n, v in msg[1] if n == name]


def status_of(msg):
    """The status code of a response, None for a request."""
    first = msg[0]
    if first.startswith("SIP/2.0 "):
        parts = first.split(" ", 2)
        if len(parts) >= 2 and parts[1].isdigit():
            return int(parts[1])
    return None


def build(first_line, hdrs):
    return ("\r\n".join([first_line] + hdrs) + "\r\n\r\n").encode()


class Request:
    """An out-going request of ours: everything needed to ACK a non-2xx answer to it."""

    def __init__(self, method, ruri, src, to_uri, *, to_tag=None, routes=(), from_user="mallory"):
        self.method = method
        self.ruri = ruri
        self.src = src  # (ip, port) of the sending socket: the Via sent-by
        self.from_user = from_user
        self.branch = "z9hG4bK" + token(6)
        self.call_id = token(10) + "@" + src[0]
        self.from_hdr = f'"{from_user}" <sip:{from_user}@{src[0]}>;tag={token(4)}'
        self.to_hdr = f"<{to_uri}>" + (f";tag={to_tag}" if to_tag else "")
        self.routes = list(routes)

    def via(self):
        return f"SIP/2.0/UDP {self.src[0]}:{self.src[1]};branch={self.branch};rport"

    def encode(self):
        h = [f"Via: {self.via()}", "Max-Forwards: 70"]
        h += [f"Route: {r}" for r in self.routes]
        h += [f"From: {self.from_hdr}", f"To: {self.to_hdr}", f"Call-ID: {self.call_id}",
              f"CSeq: 1 {self.method}"]
        if self.method == "INVITE":
            h.append(f"Contact: <sip:{self.from_user}@{self.src[0]}:{self.src[1]}>")
        if self.method == "MESSAGE":
            h.append("Content-Type: text/plain")
        h.append("Content-Length: 0")
        return build(f"{self.method} {self.ruri} SIP/2.0", h)

    def ack_for(self, response):
        """RFC 3261 §17.1.1.3: the ACK of a non-2xx final answer (same branch, its To)."""
        to = header(response, "to") or self.to_hdr
        h = [f"Via: {self.via()}", "Max-Forwards: 70"]
        h += [f"Route: {r}" for r in self.routes]
        h += [f"From: {self.from_hdr}", f"To: {to}", f"Call-ID: {self.call_id}", "CSeq: 1 ACK",
              "Content-Length: 0"]
        return build(f"ACK {self.ruri} SIP/2.0", h)


# --- the listeners ---------------------------------------------------------------------------

class Listeners:
    """The gateway, the victim (UDP) and the victim's TCP port, served by one thread."""

    def __init__(self, gw_port, victim_port, victim_tcp_port):
        self.lock = threading.Lock()
        self.events = []  # (monotonic time, listener name, peer, what, Call-ID or None)
        self.raw = []     # (listener name, peer, bytes) of UDP datagrams, for the control
        self.sel = selectors.DefaultSelector()
        self.gw = self._udp(gw_port)
        self.victim = self._udp(victim_port)
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((LOCAL, victim_tcp_port))
        self.tcp.listen(16)
        self.tcp.setblocking(False)
        self.sel.register(self.gw, selectors.EVENT_READ, "gateway")
        self.sel.register(self.victim, selectors.EVENT_READ, "victim")
        self.sel.register(self.tcp, selectors.EVENT_READ, "victim-tcp")
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _udp(self, port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((LOCAL, port))
        s.setblocking(False)
        return s

    def _record(self, name, peer, what, raw=None):
        msg = parse(raw) if raw else None
        call_id = header(msg, "call-id") if msg else None
        with self.lock:
            self.events.append((time.monotonic(), name, peer, what, call_id))
            if raw is not None:
                self.raw.append((name, peer, raw))

    def _run(self):
        while not self.stop:
            for key, _ in self.sel.select(timeout=0.05):
                sock, name = key.fileobj, key.data
                try:
                    if sock is self.tcp:
                        conn, peer = sock.accept()
                        conn.setblocking(False)
                        self._record("victim-tcp", peer, "connection accepted")
                        self.sel.register(conn, selectors.EVENT_READ, "victim-tcp-conn")
                    elif name == "victim-tcp-conn":
                        data = sock.recv(65535)
                        if not data:
                            self.sel.unregister(sock)
                            sock.close()
                            continue
                        self._record("victim-tcp", sock.getpeername(), "data: " + first_line(data), data)
                    else:
                        data, peer = sock.recvfrom(65535)
                        self._record(name, peer, first_line(data), data)
                except OSError:
                    continue

    def since(self, t0):
        with self.lock:
            return [e for e in self.events if e[0] >= t0]

    def raw_gateway(self):
        with self.lock:
            return [(peer, data) for name, peer, data in self.raw if name == "gateway"]

    def close(self):
        self.stop = True
        self.thread.join(timeout=1)


def first_line(data):
    line = data.split(b"\r\n", 1)[0][:120].decode("utf-8", "replace")
    return line if line.strip() else repr(data[:60])


def describe(events, call_id=None):
    """The events, each marked [this row] when it carries the row's Call-ID (a relay of this
    row's message) or [earlier] otherwise (e.g. a retransmission of an earlier row's relay)."""
    def mark(cid):
        if call_id is None or cid is None:  # a TCP connection itself carries no Call-ID
            return ""
        return " [this row]" if cid == call_id else " [earlier]"
    return "; ".join(f"{name} from {peer[0]}:{peer[1]}: {what!r}{mark(cid)}"
                     for _, name, peer, what, cid in events)


# --- the checks ------------------------------------------------------------------------------

RESULTS = []


def report(name, ok, detail):
    RESULTS.append((name, ok))
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)


def collect(sock, call_id, seconds, until_final=False, on_final=None):
    """Every SIP message with this Call-ID on `sock` for `seconds` (bounded); on_final(msg) is
    called at once for the first final response (to ACK it before the proxy retransmits)."""
    got = []
    finals = 0
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            data, peer = sock.recvfrom(65535)
        except socket.timeout:
            break
        msg = parse(data)
        if msg is None or header(msg, "call-id") != call_id:
            continue
        got.append(msg)
        code = status_of(msg)
        if code is not None and code >= 200:
            finals += 1
            if finals == 1 and on_final:
                on_final(msg)
        if until_final and code is not None and code >= 200:
            break
    return got


def attack_row(name, attacker, proxy, req, expect_code, listeners, extra_check=None):
    """Send req from the attacker, collect for WAIT_S, ACK a non-2xx final INVITE answer,
    assert the final answer is expect_code and no listener heard anything meanwhile."""
    t0 = time.monotonic()
    attacker.sendto(req.encode(), proxy)

    def ack(resp):
        if req.method == "INVITE" and status_of(resp) >= 300:
            attacker.sendto(req.ack_for(resp), proxy)
    got = collect(attacker, req.call_id, WAIT_S, on_final=ack)
    codes = [status_of(m) for m in got if status_of(m) is not None]
    finals = [m for m in got if (status_of(m) or 0) >= 200]
    heard = listeners.since(t0)
    problems = []
    final = status_of(finals[0]) if finals else None
    if final != expect_code:
        problems.append(f"expected {expect_code}, got final answer {final if final else 'none'}")
    if extra_check and finals:
        problems += extra_check(finals[0])
    if heard:
        problems.append("relayed: " + describe(heard, req.call_id))
    answers = " ".join(str(c) for c in codes) or "nothing"
    detail = f"{req.method} {req.ruri}: answers [{answers}]; listeners heard {len(heard)} event(s)"
    report(name, not problems, detail + ("" if not problems else " -- " + "; ".join(problems)))


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    p, g, v, w = (int(a) for a in sys.argv[1:5])
    proxy = (LOCAL, p)
    listeners = Listeners(g, v, w)

    attacker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    attacker.bind((ATTACKER_IP, 0))
    a_src = attacker.getsockname()
    phone = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    phone.bind((PHONE_IP, 0))
    ph_src = phone.getsockname()
    print(f"proxy {LOCAL}:{p}, gateway udp {LOCAL}:{g}, victim udp {LOCAL}:{v}, victim tcp {LOCAL}:{w}, "
          f"attacker {a_src[0]}:{a_src[1]}, trusted phone {ph_src[0]}:{ph_src[1]}", flush=True)

    attacks_start = time.monotonic()
    number_uri = f"sip:{NUMBER}@{REALM}"

    # 1. toll fraud by a preloaded Route to the gateway (out of dialog: no To tag)
    attack_row("row1-preloaded-route-to-gateway", attacker, proxy,
               Request("INVITE", number_uri, a_src, number_uri, routes=[f"<sip:{LOCAL}:{g};lr>"]),
               403, listeners)
    # 2. the gateway as Request-URI, a forged To tag to look in-dialog
    gw_uri = f"sip:{NUMBER}@{LOCAL}:{g}"
    attack_row("row2-forged-to-tag-to-gateway", attacker, proxy,
               Request("INVITE", gw_uri, a_src, gw_uri, to_tag=token(4)), 403, listeners)
    # 3. a LAN host as Request-URI behind our own Route (popped), then with a forged dialog MAC
    victim_uri = f"sip:victim@{LOCAL}:{v}"
    attack_row("row3a-own-route-to-lan-host", attacker, proxy,
               Request("INVITE", victim_uri, a_src, victim_uri, routes=[f"<sip:{LOCAL}:{p};lr>"]),
               403, listeners)
    attack_row("row3b-own-route-forged-dialog-mac", attacker, proxy,
               Request("INVITE", victim_uri, a_src, victim_uri,
                       routes=[f"<sip:{LOCAL}:{p};lr;rp=10123456789abcdef>"]),
               403, listeners)
    # 4. an in-dialog-looking BYE (forged To tag) to a LAN host
    attack_row("row4-forged-to-tag-bye-to-lan-host", attacker, proxy,
               Request("BYE", victim_uri, a_src, victim_uri, to_tag=token(4)), 403, listeners)
    # 5. a preloaded TCP Route: no connection to the LAN host may be opened
    attack_row("row5-tcp-route-opens-no-connection", attacker, proxy,
               Request("MESSAGE", f"sip:2001@{REALM}", a_src, f"sip:2001@{REALM}",
                       routes=[f"<sip:{LOCAL}:{w};transport=tcp;lr>"]),
               403, listeners)

    # 6. a stray response whose top Via is ours and whose next Via names the victim
    t0 = time.monotonic()
    call_id = token(10) + "@" + ATTACKER_IP
    stray = build("SIP/2.0 200 OK", [
        f"Via: SIP/2.0/UDP {LOCAL}:{p};branch=z9hG4bKnotours",
        f"Via: SIP/2.0/UDP {LOCAL}:{v};branch=z9hG4bK{token(6)}",
        f'From: "victim" <sip:victim@{LOCAL}:{v}>;tag={token(4)}',
        f"To: <sip:{NUMBER}@{REALM}>;tag={token(4)}",
        f"Call-ID: {call_id}",
        "CSeq: 1 INVITE",
        f"Contact: <sip:mallory@{a_src[0]}:{a_src[1]}>",
        "Content-Length: 0",
    ])
    attacker.sendto(stray, proxy)
    back = collect(attacker, call_id, WAIT_S)
    heard = listeners.since(t0)
    detail = (f"stray 200 OK (top Via {LOCAL}:{p}, second Via {LOCAL}:{v}): listeners heard "
              f"{len(heard)} event(s), the attacker got {len(back)} message(s)")
    report("row6-stray-response-not-relayed", not heard,
           detail + ("" if not heard else " -- relayed: " + describe(heard, call_id)))

    # 7. a plain call to the PSTN from an untrusted source: challenged, not forwarded
    def has_challenge(resp):
        return [] if header(resp, "proxy-authenticate") else ["the 407 has no Proxy-Authenticate"]
    attack_row("row7-untrusted-pstn-call-challenged", attacker, proxy,
               Request("INVITE", number_uri, a_src, number_uri), 407, listeners, has_challenge)

    # 8. the same call never ACKed: the 407 goes out once (stateless), not ~10 times over 32 s
    #    as Timer G would resend it (a reflector toward a spoofable source). Timer G would have
    #    resent it at 0.5, 1.5 and 3.5 s.
    req = Request("INVITE", number_uri, a_src, number_uri)
    attacker.sendto(req.encode(), proxy)
    got = collect(attacker, req.call_id, 4.0)
    codes = [status_of(m) for m in got]
    report("row8-challenge-not-retransmitted", codes == [407],
           f"INVITE never ACKed: answers over 4 s {codes} (want exactly one 407)")

    quiet = listeners.since(attacks_start)
    report("attacks-relayed-nothing", not quiet,
           f"gateway, victim udp and victim tcp heard {len(quiet)} event(s) during all attack rows"
           + ("" if not quiet else " -- " + describe(quiet)))

    # Positive control: the trusted phone calls the same number; standalone mode routes an
    # unregistered number from a trusted phone to the gateway.
    t0 = time.monotonic()
    before = len(listeners.raw_gateway())
    req = Request("INVITE", number_uri, ph_src, number_uri, from_user="2001")
    phone.sendto(req.encode(), proxy)
    invite = None
    end = time.monotonic() + 3.0
    while time.monotonic() < end and invite is None:
        for peer, data in listeners.raw_gateway()[before:]:
            msg = parse(data)
            if msg and msg[0].startswith("INVITE ") and header(msg, "call-id") == req.call_id:
                invite = (peer, msg)
                break
        else:
            time.sleep(0.02)
    if invite is None:
        report("control-trusted-phone-reaches-gateway", False,
               "the gateway received no INVITE within 3 s (heard: "
               + (describe(listeners.since(t0)) or "nothing") + ")")
    else:
        peer, msg = invite
        report("control-trusted-phone-reaches-gateway", True,
               f"the gateway received {msg[0]!r} from {peer[0]}:{peer[1]}")
        # the gateway answers 486 to the top Via's sender (the proxy); the phone must get it
        resp = ["Via: " + x for x in headers(msg, "via")]
        to = header(msg, "to") or ""
        if ";tag=" not in to:
            to += f";tag={token(4)}"
        resp += [f"From: {header(msg, 'from')}", f"To: {to}", f"Call-ID: {req.call_id}",
                 f"CSeq: {header(msg, 'cseq')}", "Content-Length: 0"]
        listeners.gw.sendto(build("SIP/2.0 486 Busy Here", resp), peer)
        got = collect(phone, req.call_id, 3.0, until_final=True,
                      on_final=lambda resp: phone.sendto(req.ack_for(resp), proxy))
        codes = [status_of(m) for m in got if status_of(m) is not None]
        finals = [m for m in got if (status_of(m) or 0) >= 200]
        ok = bool(finals) and status_of(finals[0]) == 486
        report("control-gateway-486-back-to-phone", ok,
               f"the phone got [{' '.join(str(c) for c in codes) or 'nothing'}]")
        time.sleep(0.3)  # let the proxy's ACK to the gateway and the phone's ACK settle

    listeners.close()
    failed = [n for n, ok in RESULTS if not ok]
    print(f"hostile: {len(RESULTS)} checks, {len(failed)} failed" + (f": {' '.join(failed)}" if failed else ""),
          flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
