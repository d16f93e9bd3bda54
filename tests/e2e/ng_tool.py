#!/usr/bin/env python3
"""An rtpengine "ng" client for the end-to-end tests of resproxy-media (ng_kamailio.sh, ng_auth.sh).

Written from the protocol's description (rtpengine docs/ng_control_protocol.md: "<cookie>
<bencoded dictionary>" over UDP) and resproxy's authenticated control (proxy/media/ng/ng_auth.h:
"auth" = {"mac", "nonce", "ts"}, HMAC-SHA256 over the canonical bencode of
["resproxy-ng-auth-v1", cookie, ts, nonce, the dictionary without "auth"]).

  ng_tool.py list HOST PORT
      Prints "calls=<n> <call-id>..." (the relay's list command) or fails.

  ng_tool.py attack HOST PORT SECRET-FILE
      The authenticated-control attacks against a relay started with --ng-secret-file and a
      --trusted-ng list that excludes this host. Prints one "PASS name: ..." or "FAIL name: ..."
      line per check and exits 1 if any failed:
        plain-refused       a plain offer gets "Authentication required"; no call is created
        signed-accepted     a signed offer gets an ok with SDP naming the relay, and a reply
                            signed under our cookie with the shared secret
        retransmission      the same signed datagram again from the same socket gets the same
                            reply bytes (the cached reply), no second call
        replay-refused      the same signed datagram from another socket (an attacker replaying
                            a captured message) is refused as replayed; nothing runs again —
                            a replayed delete leaves the call in place
        forged-mac          one MAC digit changed: refused
        tampered            the call-id changed under the original MAC: refused
        wrong-secret        signed with another secret: refused
        stale               signed correctly with a timestamp 120 s old: refused (window 30 s)
        reply-unforgeable   the reply's MAC does not verify under another cookie
      Every refusal is checked with list (over a signed request) to have created nothing.
"""
import hashlib
import hmac
import os
import socket
import sys
import time

LABEL = b"resproxy-ng-auth-v1"


def benc(v):
    if isinstance(v, bool):
        raise TypeError("no booleans in bencode")
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(benc(k) + benc(x) for k, x in items) + b"e"
    raise TypeError(type(v))


def bdec(data, i=0):
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c in (b"l", b"d"):
        i += 1
        out = [] if c == b"l" else {}
        while data[i:i + 1] != b"e":
            if c == b"l":
                v, i = bdec(data, i)
                out.append(v)
            else:
                k, i = bdec(data, i)
                v, i = bdec(data, i)
                out[k.decode()] = v
        return out, i + 1
    colon = data.index(b":", i)
    n = int(data[i:colon])
    return data[colon + 1:colon + 1 + n], colon + 1 + n


def sign(secret, cookie, d, ts=None, nonce=None):
    d = {k: v for k, v in d.items() if k != "auth"}
    ts = int(time.time()) if ts is None else ts
    nonce = nonce or os.urandom(16).hex()
    mac = hmac.new(secret, benc([LABEL, cookie.encode(), ts, nonce.encode(), d]), hashlib.sha256).hexdigest()
    d["auth"] = {"mac": mac, "nonce": nonce, "ts": ts}
    return d


def reply_signed_ok(secret, cookie, reply):
    auth = reply.get("auth")
    if not isinstance(auth, dict):
        return False
    rest = {k: v for k, v in reply.items() if k != "auth"}
    want = hmac.new(secret, benc([LABEL, cookie.encode(), auth["ts"], auth["nonce"], rest]), hashlib.sha256).hexdigest()
    return hmac.compare_digest(want.encode(), auth["mac"])


class Client:
    def __init__(self, host, port):
        self.addr = (host, int(port))
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(2.0)
        self.n = 0

    def cookie(self):
        self.n += 1
        return "%d_%s" % (self.n, os.urandom(4).hex())

    def raw(self, datagram):
        self.sock.sendto(datagram, self.addr)
        data = self.sock.recv(65535)
        cookie, _, body = data.partition(b" ")
        return cookie.decode(), bdec(body)[0], data

    def send(self, d, cookie=None):
        cookie = cookie or self.cookie()
        datagram = cookie.encode() + b" " + benc(d)
        got_cookie, reply, data = self.raw(datagram)
        if got_cookie != cookie:
            raise RuntimeError("reply under cookie %r, expected %r" % (got_cookie, cookie))
        return reply, datagram, data


def text(v):
    return v.decode(errors="replace") if isinstance(v, bytes) else str(v)


def cmd_list(host, port):
    reply, _, _ = Client(host, port).send({"command": "list"})
    if text(reply.get("result")) != "ok":
        sys.exit("list failed: %r" % reply)
    calls = [text(c) for c in reply.get("calls", [])]
    print("calls=%d %s" % (len(calls), " ".join(calls)))


SDP = ("v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def cmd_attack(host, port, secret_file):
    with open(secret_file, "rb") as f:
        secret = f.readline().rstrip(b"\r\n")
    failed = []

    def check(name, ok, detail):
        print("%s %s: %s" % ("PASS" if ok else "FAIL", name, detail))
        if not ok:
            failed.append(name)

    admin = Client(host, port)

    def calls():
        c = admin.cookie()
        reply, _, _ = admin.send(sign(secret, c, {"command": "list"}), cookie=c)
        return [text(x) for x in reply.get("calls", [])]

    def reason(reply):
        return text(reply.get("error-reason", b""))

    offer = {"command": "offer", "call-id": "attack-1", "from-tag": "ft1", "sdp": SDP}

    # plain ng from an untrusted source
    reply, _, _ = admin.send(offer)
    check("plain-refused", text(reply.get("result")) == "error" and "Authentication required" in reason(reply)
          and "attack-1" not in calls(), "result=%s reason=%r calls=%s" % (text(reply.get("result")), reason(reply), calls()))

    # signed: accepted, and the reply is signed under our cookie
    c = admin.cookie()
    signed = sign(secret, c, offer)
    reply, datagram, reply_bytes = admin.send(signed, cookie=c)
    sdp = text(reply.get("sdp", b""))
    check("signed-accepted", text(reply.get("result")) == "ok" and "m=audio 40000" not in sdp and "m=audio" in sdp
          and reply_signed_ok(secret, c, reply) and calls() == ["attack-1"],
          "result=%s signed_reply=%s calls=%s sdp_m=%s" % (text(reply.get("result")), reply_signed_ok(secret, c, reply),
                                                        calls(), [l for l in sdp.split("\r\n") if l.startswith("m=")]))
    check("reply-unforgeable", not reply_signed_ok(secret, c + "x", reply),
          "the reply's MAC binds our cookie")

    # the client's retransmission: same bytes, same socket -> the same reply, nothing new
    _, _, again = admin.raw(datagram)
    check("retransmission", again == reply_bytes and calls() == ["attack-1"],
          "same reply bytes=%s calls=%s" % (again == reply_bytes, calls()))

    # delete it with a signed request, then replay that delete's offer and the delete itself
    c = admin.cookie()
    delete = sign(secret, c, {"command": "delete", "call-id": "attack-1", "from-tag": "ft1"})
    reply, delete_datagram, _ = admin.send(delete, cookie=c)
    check("signed-delete", text(reply.get("result")) == "ok" and calls() == [], "result=%s calls=%s" % (text(reply.get("result")), calls()))
    attacker = Client(host, port)  # another source port: no cached reply to hide behind
    _, reply, _ = attacker.raw(datagram)  # the captured signed offer
    check("replay-refused", text(reply.get("result")) == "error" and "Replayed" in reason(reply) and calls() == [],
          "result=%s reason=%r calls=%s" % (text(reply.get("result")), reason(reply), calls()))

    # a second call to replay a delete against
    c = admin.cookie()
    admin.send(sign(secret, c, dict(offer, **{"call-id": "attack-2"})), cookie=c)
    _, reply, _ = attacker.raw(delete_datagram)  # the captured delete of attack-1, replayed
    check("replayed-delete", text(reply.get("result")) == "error" and calls() == ["attack-2"],
          "result=%s reason=%r calls=%s" % (text(reply.get("result")), reason(reply), calls()))

    # forged MAC: one digit changed
    c = attacker.cookie()
    forged = sign(secret, c, dict(offer, **{"call-id": "attack-3"}))
    mac = forged["auth"]["mac"]
    forged["auth"]["mac"] = ("0" if mac[0] != "0" else "1") + mac[1:]
    reply, _, _ = attacker.send(forged, cookie=c)
    check("forged-mac", text(reply.get("result")) == "error" and reason(reply) == "Authentication failed" and "attack-3" not in calls(),
          "reason=%r calls=%s" % (reason(reply), calls()))

    # tampered: a valid signature, then the call-id changed
    c = attacker.cookie()
    tampered = sign(secret, c, dict(offer, **{"call-id": "attack-4"}))
    tampered["call-id"] = "attack-5"
    reply, _, _ = attacker.send(tampered, cookie=c)
    check("tampered", text(reply.get("result")) == "error" and not {"attack-4", "attack-5"} & set(calls()),
          "reason=%r calls=%s" % (reason(reply), calls()))

    # another secret
    c = attacker.cookie()
    reply, _, _ = attacker.send(sign(b"not the secret", c, dict(offer, **{"call-id": "attack-6"})), cookie=c)
    check("wrong-secret", text(reply.get("result")) == "error" and "attack-6" not in calls(),
          "reason=%r calls=%s" % (reason(reply), calls()))

    # stale timestamp
    c = attacker.cookie()
    reply, _, _ = attacker.send(sign(secret, c, dict(offer, **{"call-id": "attack-7"}), ts=int(time.time()) - 120), cookie=c)
    check("stale", text(reply.get("result")) == "error" and "out of range" in reason(reply) and "attack-7" not in calls(),
          "reason=%r calls=%s" % (reason(reply), calls()))
    sys.exit(1 if failed else 0)


def main(argv):
    if len(argv) == 4 and argv[1] == "list":
        cmd_list(argv[2], argv[3])
    elif len(argv) == 5 and argv[1] == "attack":
        cmd_attack(argv[2], argv[3], argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
