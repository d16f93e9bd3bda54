#!/usr/bin/env python3
"""bench/media/compare_report.py on a pairs phase: the CPU figure is the median of per-cycle
ratios to minrelay (the relays measured seconds apart), not a ratio of medians taken minutes
apart; the target line says MET only when that median is within +10 %."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = os.path.join(HERE, "..", "..", "bench", "media", "compare_report.py")


def run(records, **info):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.write(json.dumps(dict(kind="run_info", stamp="T", rounds="0", relays="minrelay resproxy resproxy_b",
                                phases="pairs", pair_duration="6", fixed_rate="50000", **info)) + "\n")
        for r in records:
            f.write(json.dumps(r) + "\n")
    try:
        return subprocess.run([sys.executable, REPORT, f.name], check=True, stdout=subprocess.PIPE,
                              text=True).stdout
    finally:
        os.unlink(f.name)


def pair(cycle, relay, us, noisy=False, loss=0.0):
    return dict(phase="pairs", cycle=cycle, relay=relay, label=relay, relay_us_per_pkt=us, noisy=noisy, loss=loss)


def expect(text, needle):
    if needle not in text:
        print("FAIL: %r not in report:\n%s" % (needle, text))
        sys.exit(1)


def main():
    # The machine drifts from 8 to 12 us/pkt while resproxy stays 5-9 % above minrelay in each
    # cycle: the drift cancels. A ratio of medians would mix cycles; the per-cycle ratios do not.
    base = [8.0, 9.0, 10.0, 11.0, 12.0]
    factor = [1.05, 1.09, 1.06, 1.08, 1.07]
    recs = []
    for k, (b, f) in enumerate(zip(base, factor), 1):
        recs += [pair(k, "minrelay", b), pair(k, "resproxy", round(b * f, 4)), pair(k, "resproxy_b", round(b * f * 0.95, 4))]
    # a noisy re-run: only the last record of a relay in a cycle counts
    recs.insert(1, pair(1, "resproxy", 30.0, noisy=True))
    out = run(recs)
    expect(out, "the pairs phase alone")
    expect(out, "| resproxy | 10.60 (8.40, 9.81, 10.60, 11.88, 12.84) | 1.070 | 1.05-1.09 | 5/5 | 0/5 | 0 |")
    expect(out, "paired (median of 5 per-cycle ratios): MET (x1.070, +7.0 %; 5 of 5 cycles within +10 %)")
    expect(out, "resproxy_b (a second build) over resproxy, same cycle: median 0.950 (0.95-0.95), lower in 5 of 5")
    # Above +10 % in the median: NOT MET, however many cycles were within.
    recs = []
    for k, f in enumerate([1.02, 1.12, 1.15, 1.11, 1.04], 1):
        recs += [pair(k, "minrelay", 10.0), pair(k, "resproxy", round(10.0 * f, 4))]
    out = run(recs)
    expect(out, "paired (median of 5 per-cycle ratios): NOT MET (x1.110, +11.0 %; 2 of 5 cycles within +10 %)")
    # A cycle without minrelay's figure has no ratio: it is left out, not counted as 1.
    recs = [pair(1, "minrelay", 10.0), pair(1, "resproxy", 10.5), pair(2, "resproxy", 20.0),
            pair(3, "minrelay", 10.0), pair(3, "resproxy", 10.7)]
    out = run(recs)
    expect(out, "paired (median of 2 per-cycle ratios): MET (x1.060")
    # minrelay given more work (MINRELAY_ARGS, e.g. DSCP marking): the figure, never a verdict.
    out = run(recs, minrelay_args="-t 184")
    expect(out, "minrelay ran with `-t 184`: not the plain baseline the target names.")
    expect(out, "paired (median of 2 per-cycle ratios): not judged (minrelay ran with `-t 184`) (x1.060")
    if "MET" in out:
        print("FAIL: a verdict against a modified baseline:\n%s" % out)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
