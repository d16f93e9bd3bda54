#!/usr/bin/env python3
"""SIP over UDP for spoof_wan.sh: a client, a spoofing sender (raw socket) and a recorder.

Each command runs inside one of the network namespaces spoof_wan.sh made (`ip netns exec`).

  spoof_wan.py request <bind-ip> <proxy-ip:port> <METHOD> <user>
      Sends one REGISTER (binds <user>@resproxy.local to this socket's address for an hour) or
      INVITE (to sip:<user>@resproxy.local) from <bind-ip>:<ephemeral>, skips provisional
      answers and prints the final one's status code, or "none" after 5 s; ACKs a non-2xx
      final answer to an INVITE. Exit status 0 when a final answer came, 1 otherwise.

  spoof_wan.py spoof <src-ip:port> <proxy-ip:port> <METHOD> <user>
      The same request, but sent once through a raw socket (IPPROTO_RAW, IP_HDRINCL: the IPv4
      and UDP headers are built here) with the IPv4 source address and UDP source port
      <src-ip:port>, which is also the Via sent-by, the Contact and the From host: a datagram
      that looks, by its addresses alone, like the phone at <src-ip>. Any answer goes to
      <src-ip:port>, not to us. Prints the Call-ID. Needs CAP_NET_RAW.

  spoof_wan.py listen <bind-ip:port> <record-file> [answer-invite-code]
      Records every datagram that arrives on <bind-ip:port> as one line of <record-file>
      (flushed at once): "<peer ip:port> call-id=<Call-ID> | <first line>". With
      answer-invite-code (the PSTN gateway's role), an INVITE is answered with that final
      status and an ACK is absorbed. Runs until killed (SIGTERM), at most 120 s.
"""
import secrets
import signal
import socket
import struct
import sys
import time

REALM = "resproxy.local"


def parse(data):
    """(first line, {lower-case name: first value}) of a SIP message (compact forms mapped)."""
    compact = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact"}
    text = data.decode("utf-8", "replace")
    lines = text.split("\r\n\r\n", 1)[0].split("\r\n")
    hdrs, vias = {}, []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        name = compact.get(name.strip().lower(), name.strip().lower())
        if name == "via":
            vias.append(value.strip())
        hdrs.setdefault(name, value.strip())
    return lines[0], hdrs, vias


def status_of(first):
    parts = first.split(" ", 2)
    if first.startswith("SIP/2.0 ") and len(parts) >= 2 and parts[1].isdigit():
        return int(parts[1])
    return None


def host_port(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


class Request:
    def __init__(self, method, user, src):
        self.method, self.user, self.src = method, user, src
        self.branch = "z9hG4bK" + secrets.token_hex(6)
        self.call_id = secrets.token_hex(8) + "@" + src[0]
        self.from_tag = secrets.token_hex(4)
        if method == "REGISTER":
            self.ruri = f"sip:{REALM}"
            self.from_user = user
        else:
            self.ruri = f"sip:{user}@{REALM}"
            self.from_user = "2001"  # the office phone's own number

    def _common(self, method, to):
        return [f"Via: SIP/2.0/UDP {self.src[0]}:{self.src[1]};branch={self.branch};rport",
                "Max-Forwards: 70",
                f"From: <sip:{self.from_user}@{REALM}>;tag={self.from_tag}",
                f"To: {to}",
                f"Call-ID: {self.call_id}",
                f"CSeq: 1 {method}"]

    def encode(self):
        h = self._common(self.method, f"<sip:{self.user}@{REALM}>")
        contact_user = self.user if self.method == "REGISTER" else self.from_user
        h.append(f"Contact: <sip:{contact_user}@{self.src[0]}:{self.src[1]}>")
        if self.method == "REGISTER":
            h.append("Expires: 3600")
        h += ["Content-Length: 0", "", ""]
        return "\r\n".join([f"{self.method} {self.ruri} SIP/2.0"] + h).encode()

    def ack_for(self, to):
        h = self._common("ACK", to) + ["Content-Length: 0", "", ""]
        return "\r\n".join([f"ACK {self.ruri} SIP/2.0"] + h).encode()


def cmd_request(bind_ip, proxy, method, user):
    proxy = host_port(proxy)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((bind_ip, 0))
    req = Request(method, user, sock.getsockname())
    sock.sendto(req.encode(), proxy)
    end = time.monotonic() + 5.0
    while (left := end - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data = sock.recv(65535)
        except socket.timeout:
            break
        first, hdrs, _ = parse(data)
        code = status_of(first)
        if code is None or code < 200 or hdrs.get("call-id") != req.call_id:
            continue
        if method == "INVITE" and code >= 300:
            sock.sendto(req.ack_for(hdrs.get("to", "")), proxy)
        print(code)
        return 0
    print("none")
    return 1


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def cmd_spoof(src, proxy, method, user):
    src, dst = host_port(src), host_port(proxy)
    req = Request(method, user, src)
    payload = req.encode()
    udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload  # checksum 0: none
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), secrets.randbelow(65536), 0, 64,
                     socket.IPPROTO_UDP, 0, socket.inet_aton(src[0]), socket.inet_aton(dst[0]))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    raw.sendto(ip + udp, (dst[0], 0))
    print(req.call_id)
    return 0


def cmd_listen(bind, out, answer=None):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(host_port(bind))
    end = time.monotonic() + 120
    with open(out, "a", encoding="utf-8") as f:
        while (left := end - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                data, peer = sock.recvfrom(65535)
            except socket.timeout:
                break
            first, hdrs, vias = parse(data)
            f.write(f"{peer[0]}:{peer[1]} call-id={hdrs.get('call-id', '-')} | {first[:160]}\n")
            f.flush()
            if answer and first.startswith("INVITE "):
                to = hdrs.get("to", "")
                h = [f"SIP/2.0 {answer} Busy Here"] + [f"Via: {v}" for v in vias]
                h += [f"From: {hdrs.get('from', '')}", f"To: {to};tag={secrets.token_hex(4)}",
                      f"Call-ID: {hdrs.get('call-id', '')}", f"CSeq: {hdrs.get('cseq', '')}",
                      "Content-Length: 0", "", ""]
                sock.sendto("\r\n".join(h).encode(), peer)
    return 0


def main():
    args = sys.argv[1:]
    if len(args) == 5 and args[0] in ("request", "spoof"):
        return (cmd_request if args[0] == "request" else cmd_spoof)(*args[1:])
    if args and args[0] == "listen" and len(args) in (3, 4):
        return cmd_listen(*args[1:])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
