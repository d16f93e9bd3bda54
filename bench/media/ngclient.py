#!/usr/bin/env python3
# Copied from the workplace's media bench kit (shared/bench/media/ngclient.py); changed here: NGClient(local=HOST:PORT) binds the client socket.
"""Minimal client for the rtpengine "ng" control protocol (python3 stdlib only).

Wire format: one UDP datagram per message, "<cookie> <bencoded dictionary>".
The reply carries the same cookie followed by a bencoded dictionary with at
least "result" ("ok", "pong", "error" + "error-reason", ...).

Commands used here: ping, offer, answer, delete, query, list, statistics.
  offer : {"command":"offer","call-id":..,"from-tag":..,"sdp":<caller SDP>}
          reply "sdp" = SDP to give the callee; its m= port is the relay port
          facing the callee (the callee sends there, the relay sends from there).
  answer: {"command":"answer","call-id":..,"from-tag":..,"to-tag":..,"sdp":<callee SDP>}
          reply "sdp" = SDP to give the caller; its m= port is the relay port
          facing the caller (the caller sends there).
  delete: {"command":"delete","call-id":..,"from-tag":..}

Library use:
    from ngclient import NGClient
    ng = NGClient("127.0.0.1:2223")
    ng.ping()
    caller_port, callee_port = ng.setup_call("c1", caller=("127.0.0.1", 17000), callee=("127.0.0.1", 16000))

CLI:
    ngclient.py --ng 127.0.0.1:2223 ping
    ngclient.py --ng 127.0.0.1:2223 setup -n 100 --caller 127.0.0.1:17000 --callee 127.0.0.1:16000 \
        --targets targets.txt --latch latch.txt [--prefix bench-]
    ngclient.py --ng 127.0.0.1:2223 teardown -n 100 [--prefix bench-]
    ngclient.py --ng 127.0.0.1:2223 stats | list | query CALLID
targets.txt gets one "host:port" per call (where the caller/loadgen sends),
latch.txt one "host:port" per call (where the callee/sink sends to latch).
"""
import argparse
import json
import os
import random
import re
import socket
import sys


# ---------------------------------------------------------------- bencode
def bencode(obj):
    out = []

    def enc(o):
        if isinstance(o, bool):
            o = int(o)
        if isinstance(o, int):
            out.append(b"i%de" % o)
        elif isinstance(o, (bytes, bytearray)):
            out.append(b"%d:" % len(o))
            out.append(bytes(o))
        elif isinstance(o, str):
            b = o.encode()
            out.append(b"%d:" % len(b))
            out.append(b)
        elif isinstance(o, (list, tuple)):
            out.append(b"l")
            for x in o:
                enc(x)
            out.append(b"e")
        elif isinstance(o, dict):
            out.append(b"d")
            for k in sorted(o, key=lambda k: k.encode() if isinstance(k, str) else k):
                enc(k)
                enc(o[k])
            out.append(b"e")
        else:
            raise TypeError("cannot bencode %r" % type(o))

    enc(obj)
    return b"".join(out)


def bdecode(data):
    """Decode bencoded bytes; byte strings are returned as str when valid UTF-8."""

    def dec(i):
        c = data[i:i + 1]
        if c == b"i":
            j = data.index(b"e", i)
            return int(data[i + 1:j]), j + 1
        if c == b"l":
            i += 1
            lst = []
            while data[i:i + 1] != b"e":
                v, i = dec(i)
                lst.append(v)
            return lst, i + 1
        if c == b"d":
            i += 1
            d = {}
            while data[i:i + 1] != b"e":
                k, i = dec(i)
                v, i = dec(i)
                d[k] = v
            return d, i + 1
        if c.isdigit():
            j = data.index(b":", i)
            n = int(data[i:j])
            s = data[j + 1:j + 1 + n]
            try:
                return s.decode(), j + 1 + n
            except UnicodeDecodeError:
                return s, j + 1 + n
        raise ValueError("bad bencode at %d" % i)

    v, end = dec(0)
    return v


# ---------------------------------------------------------------- SDP helpers
def make_sdp(ip, port, pt=0, session_id=None):
    sid = session_id if session_id is not None else random.randint(1, 2 ** 31)
    return ("v=0\r\n"
            "o=- %d 1 IN IP4 %s\r\n"
            "s=-\r\n"
            "c=IN IP4 %s\r\n"
            "t=0 0\r\n"
            "m=audio %d RTP/AVP %d\r\n"
            "a=rtpmap:%d PCMU/8000\r\n"
            "a=ptime:20\r\n"
            "a=sendrecv\r\n") % (sid, ip, ip, port, pt, pt)


def sdp_media_addr(sdp):
    """(ip, port) of the first audio m= line, using media- or session-level c=."""
    ip = None
    port = None
    in_media = False
    for line in re.split(r"\r?\n", sdp):
        if line.startswith("m=audio"):
            if port is not None:
                break
            port = int(line.split()[1])
            in_media = True
        elif line.startswith("c=IN IP4 ") or line.startswith("c=IN IP6 "):
            if in_media or ip is None:
                ip = line.split()[2]
    return ip, port


# ---------------------------------------------------------------- client
class NGError(Exception):
    pass


class NGClient:
    def __init__(self, addr, timeout=1.0, retries=3, local=None):
        host, port = addr.rsplit(":", 1)
        self.addr = (host, int(port))
        self.timeout = timeout
        self.retries = retries
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.sock.settimeout(timeout)
        if local:
            lh, lp = local.rsplit(":", 1)
            self.sock.bind((lh, int(lp)))
        self.seq = 0
        self.prefix = "%x_%x_" % (os.getpid(), random.randint(0, 2 ** 32))

    def request(self, msg):
        self.seq += 1
        cookie = (self.prefix + str(self.seq)).encode()
        pkt = cookie + b" " + bencode(msg)
        for _ in range(self.retries):
            self.sock.sendto(pkt, self.addr)
            try:
                while True:
                    data, _src = self.sock.recvfrom(65535)
                    c, _, body = data.partition(b" ")
                    if c == cookie:
                        return bdecode(body)
            except socket.timeout:
                continue
        raise NGError("no reply from %s:%d to %s" % (self.addr + (msg.get("command"),)))

    def command(self, cmd, **kw):
        msg = {"command": cmd}
        for k, v in kw.items():
            msg[k.replace("_", "-")] = v
        r = self.request(msg)
        if r.get("result") not in ("ok", "pong"):
            raise NGError("%s failed: %s" % (cmd, r.get("error-reason", r)))
        return r

    def ping(self):
        return self.request({"command": "ping"}).get("result") == "pong"

    def offer(self, call_id, from_tag, sdp, **extra):
        return self.command("offer", call_id=call_id, from_tag=from_tag, sdp=sdp, **extra)

    def answer(self, call_id, from_tag, to_tag, sdp, **extra):
        return self.command("answer", call_id=call_id, from_tag=from_tag, to_tag=to_tag, sdp=sdp, **extra)

    def delete(self, call_id, from_tag=None, **extra):
        kw = dict(call_id=call_id)
        if from_tag:
            kw["from_tag"] = from_tag
        kw.update(extra)
        return self.command("delete", **kw)

    def query(self, call_id):
        return self.command("query", call_id=call_id)

    def statistics(self):
        return self.command("statistics")

    def list_calls(self, limit=32):
        return self.command("list", limit=limit)

    def setup_call(self, call_id, caller, callee, pt=0, offer_extra=None, answer_extra=None):
        """Offer/answer one audio call. caller/callee = (ip, port) put into their SDP.
        Returns ((ip, port) the caller must send to, (ip, port) the callee must send to)."""
        ftag, ttag = call_id + "-a", call_id + "-b"
        r1 = self.offer(call_id, ftag, make_sdp(caller[0], caller[1], pt), **(offer_extra or {}))
        callee_side = sdp_media_addr(r1["sdp"])
        r2 = self.answer(call_id, ftag, ttag, make_sdp(callee[0], callee[1], pt), **(answer_extra or {}))
        caller_side = sdp_media_addr(r2["sdp"])
        return caller_side, callee_side


def parse_hp(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


def setup_calls(ng, n, caller, callee, prefix="bench-", offer_extra=None, answer_extra=None):
    """Set up n calls; returns (targets, latches): lists of "ip:port" strings."""
    targets, latches = [], []
    for i in range(n):
        cs, ce = ng.setup_call("%s%d" % (prefix, i), caller, callee,
                               offer_extra=offer_extra, answer_extra=answer_extra)
        targets.append("%s:%d" % cs)
        latches.append("%s:%d" % ce)
    return targets, latches


def teardown_calls(ng, n, prefix="bench-"):
    bad = 0
    for i in range(n):
        cid = "%s%d" % (prefix, i)
        try:
            ng.delete(cid, cid + "-a")
        except NGError:
            bad += 1
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ng", default="127.0.0.1:2223", help="ng control address host:port")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("ping")
    sub.add_parser("stats")
    sub.add_parser("list")
    q = sub.add_parser("query")
    q.add_argument("call_id")
    s = sub.add_parser("setup")
    s.add_argument("-n", type=int, required=True)
    s.add_argument("--caller", required=True, help="ip:port advertised in the caller (offer) SDP")
    s.add_argument("--callee", required=True, help="ip:port advertised in the callee (answer) SDP")
    s.add_argument("--targets", required=True, help="output: where the caller sends, one per call")
    s.add_argument("--latch", required=True, help="output: where the callee sends, one per call")
    s.add_argument("--prefix", default="bench-")
    t = sub.add_parser("teardown")
    t.add_argument("-n", type=int, required=True)
    t.add_argument("--prefix", default="bench-")
    a = ap.parse_args()
    ng = NGClient(a.ng)
    if a.cmd == "ping":
        print("pong" if ng.ping() else "no pong")
    elif a.cmd == "stats":
        print(json.dumps(ng.statistics(), indent=1, default=repr))
    elif a.cmd == "list":
        print(json.dumps(ng.list_calls(), indent=1, default=repr))
    elif a.cmd == "query":
        print(json.dumps(ng.query(a.call_id), indent=1, default=repr))
    elif a.cmd == "setup":
        tg, lt = setup_calls(ng, a.n, parse_hp(a.caller), parse_hp(a.callee), a.prefix)
        with open(a.targets, "w") as f:
            f.write("\n".join(tg) + "\n")
        with open(a.latch, "w") as f:
            f.write("\n".join(lt) + "\n")
        print("set up %d calls" % a.n)
    elif a.cmd == "teardown":
        bad = teardown_calls(ng, a.n, a.prefix)
        print("deleted %d calls (%d errors)" % (a.n - bad, bad))


if __name__ == "__main__":
    sys.exit(main())
