#!/usr/bin/env python3
# Copied from the workplace's media bench kit (shared/bench/media/summarize.py).
"""Summarize bench.py JSON lines into a markdown table.

usage: summarize.py results.jsonl [more.jsonl ...]
Per relay label and stream count:
  max pps   highest rate that passed (<0.1 % loss, generator on target) in each search run
  @max      relay CPU % of one core and relay CPU-us per relayed packet at that rate
  @real     the same at the real-life rate (50 pkt/s per stream), loadgen batched
  @50k      the same at 50,000 pkt/s
  delay     one-way delay p50/p99 (us) at the real-life rate, one sendto per packet
  max@p99<10ms  highest passing search rate whose p99 delay stayed under 10 ms
                (loadgen batched: includes up to ~0.5 ms of burst pacing)
Fixed-rate cells show the median over repeated runs; delay is kernel timestamp at
the sink minus the send timestamp written by loadgen.
"""
import json
import statistics
import sys
from collections import defaultdict


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=0):
    if x is None:
        return "-"
    return ("{:,.%df}" % nd).format(x)


def main(paths):
    rows = []
    for p in paths:
        with open(p) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    rows.append(json.loads(line))
    groups = defaultdict(lambda: dict(max=[], at=[], real=[], k50=[], lat=[], tail=[]))
    for r in rows:
        key = (r.get("label") or r.get("mode"), r["streams"])
        g = groups[key]
        if r.get("summary"):
            g["max"].append(r.get("max_pps"))
            at = r.get("at")
            if at and not at.get("noisy", (at.get("other_cpu_pct") or 0) > 15):
                g["at"].append(at)
            continue
        tag = r.get("tag")
        if r.get("noisy", (r.get("other_cpu_pct") or 0) > 15):
            continue
        if tag == "fixed" and r["target_pps"] == 50 * r["streams"]:
            g["real"].append(r)
        if tag == "fixed" and r["target_pps"] == 50000:
            g["k50"].append(r)
        if tag == "latency":
            g["lat"].append(r)
        if tag == "search" and r.get("ok") and r.get("delay_us_p99", 1e12) <= 10000:
            g["tail"].append(r["target_pps"])

    def cpu(rs):
        if not rs:
            return "-"
        c = med([x.get("relay_cpu_pct") for x in rs])
        u = med([x.get("relay_us_per_pkt") for x in rs])
        lossy = sum(1 for x in rs if not x.get("ok"))
        if c is None:
            return "-"
        s = "%s%% / %s us" % (fmt(c, 1), fmt(u, 1))
        return s + (" (%d/%d lossy)" % (lossy, len(rs)) if lossy else "")

    print("| relay | streams | max pps (<0.1% loss) | @max CPU / us/pkt | @real (50/s/stream) CPU / us/pkt "
          "| @50k pps CPU / us/pkt | delay p50 / p99 us @real | max pps @p99<10ms |")
    print("|---|---:|---:|---|---|---|---|---:|")
    for key in sorted(groups, key=lambda k: (k[0], k[1])):
        g = groups[key]
        mx = " / ".join(fmt(x) for x in g["max"]) or "-"
        lat = g["lat"]
        d = "-"
        if lat:
            d = "%s / %s" % (fmt(med([x["delay_us_p50"] for x in lat])), fmt(med([x["delay_us_p99"] for x in lat])))
        tail = fmt(max(g["tail"])) if g["tail"] else "-"
        print("| %s | %d | %s | %s | %s | %s | %s | %s |" % (key[0], key[1], mx, cpu(g["at"]), cpu(g["real"]),
                                                            cpu(g["k50"]), d, tail))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    main(sys.argv[1:])
