#!/usr/bin/env python3
"""Print N ports that are free on 127.0.0.1 for both UDP and TCP, one per line.

usage: free_port.py [N=1]

The kernel picks an unused UDP port (bind to port 0); the port is kept only if TCP can bind it
too, and ports already printed in this run are skipped. A tiny race remains between this
program exiting and the caller binding the port; the e2e tests pick fresh ports per run.
"""
import socket
import sys


def one_free_port(taken):
    for _ in range(200):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            if port in taken or port < 10000:
                continue
            # SIPp opens media sockets next to its SIP port; keep port+1..+3 clear of our picks
            if any(abs(port - t) < 4 for t in taken):
                continue
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
            finally:
                tcp.close()
            return port
        finally:
            udp.close()
    raise SystemExit("free_port.py: no free port found")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    taken = set()
    for _ in range(n):
        p = one_free_port(taken)
        taken.add(p)
        print(p)


if __name__ == "__main__":
    main()
