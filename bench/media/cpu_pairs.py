#!/usr/bin/env python3
"""Paired CPU-per-packet trials of relays that run side by side (compare.sh's `pairs` phase).

usage: cpu_pairs.py --cycles N --rate PPS --json FILE [bench.py options...] \
           --relay 'LABEL PID MODE [mode options]' --relay 'LABEL PID MODE ...' ...

Why: a relay's CPU per packet on this VM drifts by 10-20 % over minutes (the load generator's
and the sink's own CPU per packet drift with it), while compare.sh's slots measure each relay
minutes apart, one relay at a time. Here every relay is already running, pinned to the same
core, with its calls set up once (ng: --reuse-calls); the trials alternate between them — cycle
k runs the relays in the order rotated by k (two relays: AB, BA, AB, ...) — so the two trials of a
pair are seconds apart and a drift slower than that cancels in their ratio. The report
(compare_report.py) takes, per cycle, each relay's CPU per packet over the baseline's in the same
cycle, and gives the median of those ratios.

Each --relay is the tail of a bench.py command line (the mode and its options) after a label and
the pid whose CPU is counted; every other option is bench.py's (make_parser), shared by all
relays. Each trial is one bench.py fixed-rate trial (Bench.trial: a noisy one is re-run), its
JSON record tagged phase=pairs, cycle=k, slot=its place in the cycle.
"""
import argparse
import shlex
import shutil
import signal
import sys

from bench import Bench, make_parser


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                 allow_abbrev=False)
    ap.add_argument("--cycles", type=int, default=8, help="trials per relay")
    ap.add_argument("--rate", type=int, default=50000, help="packets/s of every trial")
    ap.add_argument("--relay", action="append", default=[], required=True,
                    help="'LABEL PID MODE [mode options]' (bench.py's mode: ports, ng)")
    a, common = ap.parse_known_args()
    if a.cycles < 1 or a.rate <= 0:
        ap.error("--cycles and --rate must be positive")

    def on_term(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    benches = []
    parser = make_parser()
    try:
        for spec in a.relay:
            words = shlex.split(spec)
            if len(words) < 3 or not words[1].isdigit():
                ap.error("--relay wants 'LABEL PID MODE [options]', got %r" % spec)
            label, pid, tail = words[0], words[1], words[2:]
            extra = ["--reuse-calls"] if tail[0] == "ng" else []
            args = parser.parse_args(common + ["--label", label, "--pid", pid, "--tag", "pairs",
                                                      "--meta", "phase=pairs", "--meta", "relay=" + label]
                                            + tail + extra)
            b = Bench(args)
            benches.append(b)
            b.prepare()
        n = len(benches)
        for k in range(a.cycles):
            for slot in range(n):
                b = benches[(k + slot) % n]
                b.meta["cycle"] = k + 1
                b.meta["slot"] = slot
                b.trial(a.rate)
    finally:
        for b in benches:
            b.finish()
            shutil.rmtree(b.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
