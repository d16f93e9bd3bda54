#!/usr/bin/env python3
"""resproxy's ng client (resproxy-ngctl) against the ng relays it must drive: a real rtpengine
and resproxy-media (ng_peers.sh starts them). For one relay:

  ng_peers.py NGCTL RELAY_NG_HOST:PORT RELAY_MEDIA_IP LABEL [--secret-file F]

  ping        result=pong
  offer       the reply's SDP names RELAY_MEDIA_IP and a port other than the caller's
  answer      the reply's SDP names RELAY_MEDIA_IP and another port
  list        the call is listed
  media       40 RTP packets from the caller's socket to the port in the answer's SDP reach the
              callee's socket from the port in the offer's SDP, and 40 the other way: the call our
              client set up carries media both ways
  query       result=ok and the relay counted the packets (rtpengine's and our "totals")
  delete      result=ok, and the call is no longer listed
Prints one PASS/FAIL line per check; exit 1 if any failed.
"""
import re
import socket
import subprocess
import sys
import tempfile
import time


def sdp_for(port):
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n" % port)


def media_of(text):
    c = re.search(r"^c=IN IP4 (\S+)", text, re.M)
    m = re.search(r"^m=audio (\d+)", text, re.M)
    return (c.group(1) if c else None, int(m.group(1)) if m else None)


def rtp(seq, tag):
    return bytes([0x80, 0x00, seq >> 8, seq & 0xFF, 0, 0, 0, seq, 0, 0, 0, 1]) + tag + bytes(156)


def main(argv):
    ngctl, relay, media_ip, label = argv[1:5]
    extra = argv[5:]
    failed = []

    def check(name, ok, detail):
        print("%s %s-%s: %s" % ("PASS" if ok else "FAIL", label, name, detail))
        if not ok:
            failed.append(name)

    def ctl(*args):
        p = subprocess.run([ngctl, "--relay", relay, *extra, *args], capture_output=True, text=True, timeout=15)
        return p.returncode, p.stdout + p.stderr

    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.bind(("127.0.0.1", 0))
    b.bind(("127.0.0.1", 0))
    a.settimeout(0.05)
    b.settimeout(0.05)
    pa, pb = a.getsockname()[1], b.getsockname()[1]
    call = "ngpeers-%d" % int(time.time() * 1000)

    rc, out = ctl("ping")
    check("ping", rc == 0 and "result=pong" in out, out.strip().replace("\n", " | ")[:200])

    with tempfile.NamedTemporaryFile("w", suffix=".sdp", delete=False) as f:
        f.write(sdp_for(pa))
        offer_file = f.name
    with tempfile.NamedTemporaryFile("w", suffix=".sdp", delete=False) as f:
        f.write(sdp_for(pb))
        answer_file = f.name
    rc, out = ctl("offer", call, "tag-a", offer_file, "127.0.0.1")
    to_b = media_of(out)
    check("offer", rc == 0 and to_b[0] == media_ip and to_b[1] not in (None, pa),
          "rc=%d SDP toward the callee c=%s m=%s" % (rc, to_b[0], to_b[1]))
    rc, out = ctl("answer", call, "tag-a", "tag-b", answer_file, "127.0.0.1")
    to_a = media_of(out)
    check("answer", rc == 0 and to_a[0] == media_ip and to_a[1] not in (None, pb, to_b[1]),
          "rc=%d SDP toward the caller c=%s m=%s" % (rc, to_a[0], to_a[1]))
    rc, out = ctl("list")
    check("list", rc == 0 and call in out, out.strip().replace("\n", " | ")[:200])

    got_b = got_a = 0
    bad_source = []
    if to_a[1] and to_b[1]:
        for i in range(40):
            a.sendto(rtp(i, b"A->B"), (media_ip, to_a[1]))
            b.sendto(rtp(i, b"B->A"), (media_ip, to_b[1]))
            time.sleep(0.02)
            for sock, want_port in ((b, to_b[1]), (a, to_a[1])):
                while True:
                    try:
                        data, src = sock.recvfrom(2048)
                    except socket.timeout:
                        break
                    if src != (media_ip, want_port):
                        bad_source.append(src)
                        continue
                    if sock is b and data[12:16] == b"A->B":
                        got_b += 1
                    if sock is a and data[12:16] == b"B->A":
                        got_a += 1
    check("media", got_b >= 30 and got_a >= 30 and not bad_source,
          "callee heard %d/40 of the caller, caller %d/40 of the callee, from the relay's ports; "
          "other sources: %s" % (got_b, got_a, bad_source[:3] or "none"))

    rc, out = ctl("query", call)
    packets = re.search(r"totals=\{RTCP: \{[^}]*\}, RTP: \{bytes: \d+, errors: \d+, packets: (\d+)\}", out)
    counted = int(packets.group(1)) if packets else -1
    check("query", rc == 0 and counted >= 60, "rc=%d RTP packets counted %d" % (rc, counted))
    rc, out = ctl("delete", call, "tag-a")
    rc2, listed = ctl("list")
    check("delete", rc == 0 and "result=ok" in out and call not in listed,
          "rc=%d, listed after: %s" % (rc, listed.strip().replace("\n", " | ")[:120]))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    main(sys.argv)
