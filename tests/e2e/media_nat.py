#!/usr/bin/env python3
"""Helpers of media_nat.sh: the phones' audio as a pcap SIPp can play, and what a phone heard.

  media_nat.py stream <out.pcap> <tag> <seconds>
      Writes a G.711 u-law RTP stream (payload type 0, 20 ms packets of 160 bytes, one SSRC) as
      an Ethernet/IPv4/UDP pcap for SIPp's play_pcap_audio: SIPp keeps the payload and the
      timing and puts in the call's media addresses and ports. Every payload starts with the
      4-byte ASCII <tag> ("H1tx", "H2tx"), which no relay touches (the relay never transcodes),
      so the listener can tell whose audio it hears; the SSRC is derived from the tag too.

  media_nat.py heard <capture.pcap> <phone-ip> <media-port> <relay-ip> <tag>...
      Reads a tcpdump capture taken on a phone's interface and prints one line of key=value
      pairs about the RTP (UDP, version 2) that reached <phone-ip>:<media-port>:
        rtp=<all RTP to the port> relay=<of those, from <relay-ip>>
        <tag>=<from <relay-ip> carrying that tag's payload> (one per tag given)
        sources=<ip:port/packets,...> (every source seen, "-" if none)
        sent=<RTP the phone sent from that port> sent_to=<ip:port/packets,...> ("-" if none)

  media_nat.py await <seconds> <count> <relay-ip> <media-port> (<capture.pcap> <phone-ip> <tag>)...
      Polls (every 50 ms, at most <seconds>) captures that tcpdump is still writing until each
      <phone-ip> has received <count> RTP packets carrying <tag> from <relay-ip> on <media-port>
      (as `heard` counts them). Prints "<tag>=<n> ..." (one per capture, in order) and
      "after=<s>"; exit status 0 when every count was reached, 1 when time ran out.

  media_nat.py silence <capture.pcap> <phone-ip> <media-port> <sip-port>
      Reads a tcpdump capture taken on a phone's interface (RTP and SIP) and prints one line of
      key=value pairs about how its call ended:
        rtp=<RTP to or from <phone-ip>:<media-port>> rtp_last=<capture time of the last one, s>
        byes=<BYE requests that reached <phone-ip>:<sip-port>, retransmissions included>
        media_timeout=<of those, with a Reason header naming Q.850 cause=102>
        bye_first=<capture time of the first, s> gap=<bye_first - rtp_last, s>
        reason=<the first one's Reason header value, "-" if none; last: it may hold spaces>
      ("-" for times and gap when there is no such packet)

  media_nat.py relay <ip> <port-a> <port-b> <seconds>
      A stand-in for a relay's data path (the harness' own positive control, STANDIN_RELAY=1):
      two UDP sockets; each latches the latest source that sent to it, and what one receives
      goes out of the other to the source it latched — symmetric, as a real relay sends to a
      phone from the port the phone sends to. Ends after <seconds> or on SIGTERM, printing
      "relay a->b=<n> b->a=<n>".
"""
import select
import signal
import socket
import struct
import sys
import time

ETH_IPV4 = 0x0800
LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL = 113


def ssrc_of(tag):
    return struct.unpack("!I", tag.encode("ascii")[:4].ljust(4, b"\0"))[0]


def cmd_stream(out, tag, seconds):
    tag_bytes = tag.encode("ascii")
    if len(tag_bytes) != 4:
        sys.exit("tag must be 4 ASCII characters")
    packets = int(float(seconds) * 50)
    ssrc = ssrc_of(tag)
    # a 400 Hz-ish square wave in u-law after the tag: audible, and not silence suppression bait
    tone = bytes((0x9F if (i // 10) % 2 else 0x1F) for i in range(156))
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET))
        for n in range(packets):
            marker = 0x80 if n == 0 else 0x00  # on the first packet; payload type 0 (PCMU)
            rtp = struct.pack("!BBHII", 0x80, marker, (1000 + n) & 0xFFFF, (160 * n) & 0xFFFFFFFF,
                              ssrc) + tag_bytes + tone
            udp = struct.pack("!HHHH", 6000, 6000, 8 + len(rtp), 0) + rtp
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0xB8, 20 + len(udp), n & 0xFFFF, 0, 64, 17, 0,
                             bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
            frame = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + struct.pack("!H", ETH_IPV4) + ip + udp
            usec = n * 20000
            f.write(struct.pack("<IIII", usec // 1000000, usec % 1000000, len(frame), len(frame)))
            f.write(frame)
    return 0


def read_pcap(path):
    """(linktype, [frame bytes]) of a classic pcap file, either byte order, us or ns stamps."""
    linktype, frames = read_pcap_timed(path)
    return linktype, [fr for _, fr in frames]


def read_pcap_timed(path):
    """(linktype, [(capture time in s, frame bytes)]) of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return LINKTYPE_ETHERNET, []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        sys.exit(f"{path}: not a classic pcap file (tcpdump -w writes one)")
    frac = 1e-9 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e-6
    linktype = struct.unpack(e + "I", data[20:24])[0]
    frames, off = [], 24
    while off + 16 <= len(data):
        sec, sub, incl = struct.unpack(e + "III", data[off:off + 12])
        frames.append((sec + sub * frac, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return linktype, frames


def heard_counts(capture, phone_ip, media_port, relay_ip, tags):
    """what `heard` prints, as (rtp, relay, sent, {tag: n}, sources, sent_to)"""
    linktype, frames = read_pcap(capture)
    l2 = {LINKTYPE_ETHERNET: 14, LINKTYPE_LINUX_SLL: 16}.get(linktype)
    if l2 is None:
        sys.exit(f"{capture}: link type {linktype} not handled")
    port = int(media_port)
    rtp = relay = sent = 0
    by_tag = {t: 0 for t in tags}
    sources, sent_to = {}, {}
    for fr in frames:
        if len(fr) < l2 + 20 or struct.unpack("!H", fr[l2 - 2:l2])[0] != ETH_IPV4:
            continue
        ip = fr[l2:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17 or len(ip) < ihl + 8:
            continue
        src = ".".join(map(str, ip[12:16]))
        dst = ".".join(map(str, ip[16:20]))
        sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        payload = ip[ihl + 8:]
        if len(payload) < 12 or payload[0] >> 6 != 2:
            continue
        if src == phone_ip and sport == port:
            sent += 1
            key = f"{dst}:{dport}"
            sent_to[key] = sent_to.get(key, 0) + 1
            continue
        if dst != phone_ip or dport != port:
            continue
        rtp += 1
        key = f"{src}:{sport}"
        sources[key] = sources.get(key, 0) + 1
        if src != relay_ip:
            continue
        relay += 1
        tag = payload[12:16].decode("ascii", "replace")
        if tag in by_tag:
            by_tag[tag] += 1
    return rtp, relay, sent, by_tag, sources, sent_to


def cmd_heard(capture, phone_ip, media_port, relay_ip, *tags):
    rtp, relay, sent, by_tag, sources, sent_to = heard_counts(capture, phone_ip, media_port, relay_ip, tags)
    fields = [f"rtp={rtp}", f"relay={relay}"] + [f"{t}={n}" for t, n in by_tag.items()]
    fields.append("sources=" + (",".join(f"{k}/{v}" for k, v in sorted(sources.items())) or "-"))
    fields.append(f"sent={sent}")
    fields.append("sent_to=" + (",".join(f"{k}/{v}" for k, v in sorted(sent_to.items())) or "-"))
    print(" ".join(fields))
    return 0


def cmd_await(seconds, count, relay_ip, media_port, *specs):
    want = int(count)
    legs = [specs[i:i + 3] for i in range(0, len(specs), 3)]
    start = time.monotonic()
    end = start + float(seconds)
    while True:
        got = []
        for capture, phone_ip, tag in legs:
            try:
                by_tag = heard_counts(capture, phone_ip, media_port, relay_ip, [tag])[3]
            except OSError:
                by_tag = {tag: 0}
            got.append((tag, by_tag[tag]))
        done = all(n >= want for _, n in got)
        if done or time.monotonic() >= end:
            print(" ".join(f"{t}={n}" for t, n in got) + f" after={time.monotonic() - start:.1f}")
            return 0 if done else 1
        time.sleep(0.05)


def udp_datagrams(capture):
    """(time, src, sport, dst, dport, payload) of every IPv4 UDP datagram in a capture."""
    linktype, frames = read_pcap_timed(capture)
    l2 = {LINKTYPE_ETHERNET: 14, LINKTYPE_LINUX_SLL: 16}.get(linktype)
    if l2 is None:
        sys.exit(f"{capture}: link type {linktype} not handled")
    for t, fr in frames:
        if len(fr) < l2 + 20 or struct.unpack("!H", fr[l2 - 2:l2])[0] != ETH_IPV4:
            continue
        ip = fr[l2:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17 or len(ip) < ihl + 8:
            continue
        sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        yield (t, ".".join(map(str, ip[12:16])), sport, ".".join(map(str, ip[16:20])), dport,
               ip[ihl + 8:])


def cmd_silence(capture, phone_ip, media_port, sip_port):
    media, sip = int(media_port), int(sip_port)
    rtp = byes = media_timeout = 0
    rtp_last = bye_first = None
    reason = "-"
    for t, src, sport, dst, dport, payload in udp_datagrams(capture):
        if (src == phone_ip and sport == media) or (dst == phone_ip and dport == media):
            if len(payload) >= 12 and payload[0] >> 6 == 2:
                rtp += 1
                rtp_last = t
            continue
        if dst != phone_ip or dport != sip or not payload.startswith(b"BYE "):
            continue
        byes += 1
        head = payload.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
        value = None
        for line in head.split("\r\n")[1:]:
            name, _, rest = line.partition(":")
            if name.strip().lower() == "reason":
                value = rest.strip()
        if value is not None and "q.850" in value.lower() and "cause=102" in value.lower():
            media_timeout += 1
        if bye_first is None:
            bye_first = t
            reason = value or "-"
    fmt = lambda t: "-" if t is None else f"{t:.3f}"
    gap = "-" if rtp_last is None or bye_first is None else f"{bye_first - rtp_last:.3f}"
    print(f"rtp={rtp} rtp_last={fmt(rtp_last)} byes={byes} media_timeout={media_timeout} "
          f"bye_first={fmt(bye_first)} gap={gap} reason={reason}")
    return 0


def cmd_relay(ip, port_a, port_b, seconds):
    socks = []
    for port in (port_a, port_b):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((ip, int(port)))
        socks.append(sock)
    latched = [None, None]
    forwarded = [0, 0]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    end = time.monotonic() + float(seconds)
    try:
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select(socks, [], [], left)
            for sock in ready:
                i = socks.index(sock)
                data, source = sock.recvfrom(2048)
                latched[i] = source
                other = 1 - i
                if latched[other] is not None:
                    socks[other].sendto(data, latched[other])
                    forwarded[i] += 1
    finally:
        print(f"relay a->b={forwarded[0]} b->a={forwarded[1]} latched a={latched[0]} b={latched[1]}",
              flush=True)
    return 0


def main(args):
    if len(args) == 4 and args[0] == "stream":
        return cmd_stream(*args[1:])
    if len(args) >= 5 and args[0] == "heard":
        return cmd_heard(*args[1:])
    if len(args) >= 8 and (len(args) - 5) % 3 == 0 and args[0] == "await":
        return cmd_await(*args[1:])
    if len(args) == 5 and args[0] == "silence":
        return cmd_silence(*args[1:])
    if len(args) == 5 and args[0] == "relay":
        return cmd_relay(*args[1:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
