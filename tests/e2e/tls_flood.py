#!/usr/bin/env python3
"""TLS handshakes one after another from one source address, for tls.sh's throttle check.

usage: tls_flood.py SOURCE_IP HOST PORT COUNT CA_FILE SERVER_NAME

Opens COUNT TCP connections from SOURCE_IP (any 127/8 address works on Linux loopback) to
HOST:PORT, one at a time, and tries a TLS handshake on each (the server's certificate must chain
to CA_FILE and name SERVER_NAME), 3 s at most per attempt; a completed handshake is closed at
once. Prints one line per attempt ("ok" or "refused <reason>") and then
"summary ok=<n> refused=<m>". A server that closes the connection before its handshake shows up
as refused (EOF or reset during the handshake).
"""
import socket
import ssl
import sys


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    src, host, port, count, ca, name = sys.argv[1:]
    ctx = ssl.create_default_context(cafile=ca)
    ok = refused = 0
    for i in range(int(count)):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            s.bind((src, 0))
            s.connect((host, int(port)))
            with ctx.wrap_socket(s, server_hostname=name) as tls:
                tls.version()
            ok += 1
            print("%d ok" % i, flush=True)
        except (ssl.SSLError, OSError) as e:
            refused += 1
            print("%d refused %s" % (i, getattr(e, "reason", None) or type(e).__name__ + ": " + str(e)),
                  flush=True)
        finally:
            s.close()
    print("summary ok=%d refused=%d" % (ok, refused), flush=True)


if __name__ == "__main__":
    main()
