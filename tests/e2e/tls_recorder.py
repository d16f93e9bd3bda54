#!/usr/bin/env python3
"""A TLS server that records, for tls.sh, what each client did: an impostor ITSP.

usage: tls_recorder.py CERT_CHAIN KEY HOST PORT LOG

Listens on HOST:PORT (TLS 1.2 or 1.3, the given certificate chain and key, no client
certificate asked for) and appends one line per event to LOG, flushed at once:

    ready <host>:<port>
    accepted <peer>
    handshake-failed <peer> <reason>        (e.g. the client's alert: bad certificate)
    handshake-ok <peer>
    data <peer> <byte count> <first line>   (whatever the client sent after a handshake)
    closed <peer>

Nothing is ever answered. Each connection gets its own thread with a 5 s timeout; SIGTERM ends
the process. tls.sh checks that resproxy, verifying the ITSP's certificate, never completes a
handshake with this server (no handshake-ok, no data) while a client that does not verify
(its positive control) gets as far as "data".
"""
import signal
import socket
import ssl
import sys
import threading

lock = threading.Lock()


def record(out, line):
    with lock:
        out.write(line + "\n")
        out.flush()


def serve(conn, peer, ctx, out):
    name = "%s:%d" % peer
    try:
        conn.settimeout(5)
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError) as e:
            record(out, "handshake-failed %s %s" % (name, getattr(e, "reason", None) or e))
            return
        record(out, "handshake-ok %s" % name)
        try:
            while True:
                data = tls.recv(65536)
                if not data:
                    break
                first = data.split(b"\r\n", 1)[0].decode("utf-8", "replace")[:200]
                record(out, "data %s %d %s" % (name, len(data), first))
        except (ssl.SSLError, OSError):
            pass
        finally:
            tls.close()
    finally:
        conn.close()
        record(out, "closed %s" % name)


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    chain, key, host, port, log = sys.argv[1:]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(chain, key)
    out = open(log, "a", encoding="utf-8")
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, int(port)))
    srv.listen(64)
    record(out, "ready %s:%s" % (host, port))
    while True:
        conn, peer = srv.accept()
        record(out, "accepted %s:%d" % peer)
        threading.Thread(target=serve, args=(conn, peer, ctx, out), daemon=True).start()


if __name__ == "__main__":
    main()
