#!/usr/bin/env python3
"""TCP exhaustion against a running resproxy (issue #10): 3,000 connections from one untrusted
address (127.0.0.66), half of them idle, half with half a request, while the daemon's hard
descriptor limit is 1,024. Then a phone from another address (127.0.0.10, trusted) registers
over TCP and must get its 200; the caller (tcp_exhaustion.sh) then checks resproxyctl.

usage: tcp_exhaustion.py <proxy-port> <daemon-pid>
Prints PASS/FAIL lines; exit 1 on any FAIL.
"""
import os
import resource
import socket
import sys
import time

ATTACKER = "127.0.0.66"
PHONE = "127.0.0.10"
CONNECTIONS = int(os.environ.get("TCP_CONNECTIONS", "3000"))
failed = 0


def report(name, ok, detail):
    global failed
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)
    if not ok:
        failed = 1


def daemon_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def main():
    port, pid = int(sys.argv[1]), int(sys.argv[2])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = CONNECTIONS + 100
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    socks = []
    half = b"INVITE sip:0900@resproxy.local SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.66:5060;branch=z9hG4bKh"
    t0 = time.monotonic()
    errors = 0
    for i in range(CONNECTIONS):
        if time.monotonic() - t0 > 30:
            break
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((ATTACKER, 0))
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", port))
            if i % 2:
                s.sendall(half)
        except OSError:
            errors += 1
        socks.append(s)
    peak = daemon_fds(pid)
    report("attacker-connections", len(socks) >= CONNECTIONS * 0.99,
           f"{len(socks)} connections opened from {ATTACKER} in {time.monotonic() - t0:.1f} s "
           f"({errors} connect errors); daemon holds {peak} descriptors")
    # The phone, from another address, registers over TCP while the attacker keeps its sockets.
    phone = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    phone.bind((PHONE, 0))
    phone.settimeout(3)
    ok = False
    detail = ""
    try:
        phone.connect(("127.0.0.1", port))
        lport = phone.getsockname()[1]
        reg = (f"REGISTER sip:resproxy.local SIP/2.0\r\n"
               f"Via: SIP/2.0/TCP {PHONE}:{lport};branch=z9hG4bKtcpreg1;rport\r\n"
               f"Max-Forwards: 70\r\nFrom: <sip:2001@resproxy.local>;tag=r1\r\n"
               f"To: <sip:2001@resproxy.local>\r\nCall-ID: tcpreg-1\r\nCSeq: 1 REGISTER\r\n"
               f"Contact: <sip:2001@{PHONE}:{lport};transport=tcp>\r\nExpires: 600\r\n"
               f"Content-Length: 0\r\n\r\n").encode()
        start = time.monotonic()
        phone.sendall(reg)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = phone.recv(4096)
            if not chunk:
                break
            data += chunk
        first = data.split(b"\r\n", 1)[0].decode(errors="replace")
        ok = first.startswith("SIP/2.0 200")
        detail = f"answer '{first}' in {1000 * (time.monotonic() - start):.0f} ms"
    except OSError as e:
        detail = f"{type(e).__name__}: {e}"
    report("phone-registers-over-tcp", ok, detail)
    # Five seconds later the half-sent and idle ones within the per-source cap are gone too.
    time.sleep(6.5)
    after = daemon_fds(pid)
    report("daemon-descriptors-bounded", 0 < peak < 200 and 0 < after < 200,
           f"daemon descriptors: {peak} during the attack, {after} after the header timeout")
    for s in socks:
        s.close()
    phone.close()
    return failed


if __name__ == "__main__":
    sys.exit(main())
