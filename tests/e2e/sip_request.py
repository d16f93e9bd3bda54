#!/usr/bin/env python3
"""One SIP request over UDP on loopback, and its final answer.

usage: sip_request.py <proxy-port> <METHOD> <user>

Sends METHOD (REGISTER binds <user>@resproxy.local to this socket for an hour; OPTIONS pings
the proxy) from 127.0.0.1:<ephemeral> to 127.0.0.1:<proxy-port>, skips provisional answers and
prints the final one as "<status> retry-after=<Retry-After or ->". No retransmission: loopback
does not lose datagrams. Exit status 0 when a final answer came within 5 s, 1 otherwise.
"""
import secrets
import socket
import sys


def main():
    port, method, user = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5.0)
    me = sock.getsockname()[1]
    uri = "sip:resproxy.local" if method == "REGISTER" else f"sip:127.0.0.1:{port}"
    lines = [
        f"{method} {uri} SIP/2.0",
        f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK{secrets.token_hex(6)};rport",
        "Max-Forwards: 70",
        f"From: <sip:{user}@resproxy.local>;tag={secrets.token_hex(4)}",
        f"To: <sip:{user}@resproxy.local>",
        f"Call-ID: {secrets.token_hex(8)}@127.0.0.1",
        f"CSeq: 1 {method}",
    ]
    if method == "REGISTER":
        lines += [f"Contact: <sip:{user}@127.0.0.1:{me}>", "Expires: 3600"]
    lines += ["Content-Length: 0", "", ""]
    sock.sendto("\r\n".join(lines).encode(), ("127.0.0.1", port))
    while True:
        try:
            data = sock.recv(65536).decode("utf-8", "replace")
        except socket.timeout:
            print("timeout")
            return 1
        first, _, rest = data.partition("\r\n")
        parts = first.split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit() or int(parts[1]) < 200:
            continue
        retry = "-"
        for line in rest.split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "retry-after":
                retry = value.strip()
        print(f"{parts[1]} retry-after={retry}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
