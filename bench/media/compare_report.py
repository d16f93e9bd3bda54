#!/usr/bin/env python3
"""Markdown report of a compare.sh run (reads its JSON-lines results file).

usage: compare_report.py results/compare-STAMP.jsonl

Per relay, each figure is the median over rounds (the per-round values follow in brackets):
  CPU us/pkt @FIXED   relay CPU time (utime+stime, all threads) / packets delivered, in the
                      fixed-rate trial (the last of its noise re-runs); [loss ..%] marks rounds
                      whose fixed trial lost >= 0.1 %
  max pps <0.1% loss  the kit's search result (ramp x1.3 from SEARCH_START, then bisection)
  max pps p99<10ms    the latency phase's search result: ramp x1.3 from LATENCY_START, then
                      bisection, a rate passing with < 0.1 % loss, the generator on target AND
                      one-way delay p99 < 10 ms; "<START" if none did. Runs without that phase:
                      the highest rate of the loss search whose decisive trial had p99 < 10 ms
  overload            throttled relay at OVERLOAD_RATE: share of sent packets delivered (within
                      ~2 s after the load), share delivered within 100 ms, p99 delay
  after               recovery trial (2 s) after the throttle is removed, same calls: streams
                      that delivered at least one packet / streams, and its loss
  noisy               trials (decisive ones) during which other processes used > 15 % of a core
Pairs phase (cpu_pairs.py), when the run has one: the relays side by side, fixed-rate trials
alternating between them; per relay its median CPU us/pkt, and per cycle its CPU per packet over
minrelay's in the same cycle (seconds apart): the median of those ratios is the CPU figure least
moved by the machine's drift, and the target line uses it.
"""
import json
import statistics
import sys
from collections import defaultdict, OrderedDict


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=0, suffix=""):
    if x is None:
        return "-"
    return ("{:,.%df}" % nd).format(x) + suffix


def cell(vals, nd=0, suffix="", scale=1.0):
    vals = [None if v is None else v * scale for v in vals]
    m = med(vals)
    if m is None:
        return "-"
    if len(vals) <= 1:
        return fmt(m, nd, suffix)
    return "%s (%s)" % (fmt(m, nd, suffix), ", ".join(fmt(v, nd) for v in vals))


def decisive(records):
    """Per target rate, the last record (bench.py's search uses the last try of a rate)."""
    last = OrderedDict()
    for r in records:
        last[r["target_pps"]] = r
    return list(last.values())


def pairs_figures(trials):
    """cycle -> relay -> the pairs phase's record (the last of its noise re-runs)."""
    cycles = defaultdict(dict)
    for r in trials:
        if r.get("phase") == "pairs" and r.get("cycle") is not None and r.get("relay"):
            cycles[int(r["cycle"])][r["relay"]] = r
    return cycles


def pairs_ratios(cycles, rel, base="minrelay"):
    """Per cycle (in order): rel's CPU per packet over base's in that cycle."""
    out = []
    for k in sorted(cycles):
        c = cycles[k]
        a, b = c.get(rel, {}).get("relay_us_per_pkt"), c.get(base, {}).get("relay_us_per_pkt")
        if a and b:
            out.append(a / b)
    return out


def print_pairs(cycles, relays, run):
    n = len(cycles)
    print()
    print("### CPU per packet, paired (pairs phase)")
    print()
    print("%d cycle(s): the relays running side by side on the relay core, calls set up once; each cycle "
          "one %s s trial per relay at %s pps, order rotated per cycle. Ratio: the relay's CPU per packet "
          "over minrelay's in the same cycle." % (n, run.get("pair_duration", "?"), fmt(int(run.get("fixed_rate", 0) or 0))))
    print()
    print("| relay | CPU us/pkt: median (per cycle) | ratio to minrelay: median | ratio range | cycles within +10 % | noisy trials | loss >= 0.1 % |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for rel in relays:
        recs = [cycles[k][rel] for k in sorted(cycles) if rel in cycles[k]]
        if not recs:
            continue
        us = [r.get("relay_us_per_pkt") for r in recs]
        ratios = pairs_ratios(cycles, rel) if rel != "minrelay" else []
        rcell = "-" if not ratios else "%.3f" % med(ratios)
        rng = "-" if not ratios else "%.2f-%.2f" % (min(ratios), max(ratios))
        within = "-" if not ratios else "%d/%d" % (sum(1 for x in ratios if x <= 1.10), len(ratios))
        print("| %s | %s | %s | %s | %s | %d/%d | %d |" % (
            rel, cell(us, 2), rcell, rng, within, sum(1 for r in recs if r.get("noisy")), len(recs),
            sum(1 for r in recs if (r.get("loss") or 0) >= 0.001)))
    ba = pairs_ratios(cycles, "resproxy_b", base="resproxy")
    if ba:
        print()
        print("resproxy_b (a second build) over resproxy, same cycle: median %.3f (%.2f-%.2f), lower in %d of %d "
              "cycles." % (med(ba), min(ba), max(ba), sum(1 for x in ba if x < 1), len(ba)))


def main(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    run = next((r for r in rows if r.get("kind") == "run_info"), {})
    events = [r for r in rows if "kind" in r]
    trials = [r for r in rows if "kind" not in r]
    relays = run.get("relays", "").split() or sorted({r.get("relay") for r in trials if r.get("relay")})
    start = int(run.get("search_start", 0) or 0)
    # the latency phase's own ramp start ("<START" of the p99 figure); 0 for runs without that
    # phase (older ones record no phases): their p99 figure comes from the loss search
    lat_start = int(run.get("latency_start", 0) or 0) if "latency" in run.get("phases", "").split() else 0
    fixed_rate = int(run.get("fixed_rate", 50000) or 50000)

    per = defaultdict(lambda: defaultdict(dict))  # relay -> round -> figures
    for r in trials:
        rel, rnd = r.get("relay"), r.get("round")
        if rel is None or rnd is None:
            continue
        d = per[rel][rnd]
        d.setdefault("records", []).append(r)
    out = {}
    for rel in relays:
        rounds = sorted(per[rel], key=lambda x: int(x))
        fig = defaultdict(list)
        noisy = total = 0
        for rnd in rounds:
            recs = per[rel][rnd]["records"]
            fixed = [r for r in recs if r.get("phase") == "fixed" and not r.get("summary")]
            search = [r for r in recs if r.get("phase") == "search" and not r.get("summary")]
            summ = [r for r in recs if r.get("phase") == "search" and r.get("summary")]
            over = [r for r in recs if r.get("tag") == "overload"]
            rec = [r for r in recs if r.get("tag") == "recovery"]
            dec = []
            if fixed:
                f = fixed[-1]
                dec.append(f)
                fig["us"].append(f.get("relay_us_per_pkt"))
                fig["cpu"].append(f.get("relay_cpu_pct"))
                fig["fixed_loss"].append(f.get("loss"))
            else:
                fig["us"].append(None)
                fig["cpu"].append(None)
            # 0: the search ran but no rate passed (shown as "<START")
            fig["max"].append((summ[-1].get("max_pps") or 0) if summ else None)
            ds = decisive(search)
            dec += ds
            lat = [r for r in recs if r.get("phase") == "latency" and r.get("summary")]
            if lat:
                fig["tail"].append(lat[-1].get("max_pps") or 0)
                dec += decisive([r for r in recs if r.get("phase") == "latency" and not r.get("summary")])
            else:
                good = [r["target_pps"] for r in ds if r.get("ok") and (r.get("delay_us_p99") or 1e12) < 10000]
                fig["tail"].append(max(good) if good else (0 if ds else None))
            if over:
                o = over[-1]
                dec.append(o)
                fig["fwd"].append(o.get("fwd_share"))
                fig["ontime"].append(o.get("ontime_share"))
                fig["op99"].append(o.get("delay_us_p99"))
                fig["throttle"].append(o.get("throttle"))
            if rec:
                q = rec[-1]
                dec.append(q)
                exp = q.get("streams_expected") or 0
                fig["after"].append((exp - (q.get("streams_zero") or 0), exp))
                fig["rloss"].append(q.get("loss"))
            noisy += sum(1 for r in dec if r.get("noisy"))
            total += len(dec)
        fig["noisy"] = (noisy, total)
        fig["rounds"] = rounds
        out[rel] = fig

    print("## Media relay comparison, %s streams, 172-byte RTP, relay on core 1, tools on core 0"
          % run.get("streams", "?"))
    print()
    slots = any(out[rel]["rounds"] for rel in relays)  # none: a run of the pairs phase alone
    if slots:
        print("Run %s: %s round(s), interleaved (%s). Cells: median over rounds (per-round values). "
              "Kernel %s, CPU %s." % (run.get("stamp", "?"), run.get("rounds", "?"), ", ".join(relays),
                                       run.get("kernel", "?"), run.get("cpu", "?")))
    else:
        print("Run %s: the pairs phase alone (%s). Kernel %s, CPU %s." % (
            run.get("stamp", "?"), ", ".join(relays), run.get("kernel", "?"), run.get("cpu", "?")))
    if run.get("minrelay_args"):
        print()
        print("minrelay ran with `%s`: not the plain baseline the target names." % run["minrelay_args"])
    print()
    thr = next((t for f in out.values() for t in f.get("throttle", []) if t), run.get("throttle"))
    if slots:
        print("| relay | (a) CPU us/pkt @%s pps | relay CPU %% @%s | vs minrelay | (b) max pps <0.1%% loss "
          "| (c) max pps p99<10ms | (d) overload fwd share | on time (<=100ms) | overload p99 ms "
              "| after: streams flowing | after: loss | noisy trials | problems |" % (fmt(fixed_rate), fmt(fixed_rate)))
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|")
    problems = defaultdict(list)
    for e in events:
        if e.get("kind") in ("phase_failed", "relay_died", "relay_start_failed", "relay_skipped", "slot_skipped"):
            tail = (e.get("tail") or e.get("log_tail") or "").strip().splitlines()
            what = tail[-1].strip()[:120] if tail else (e.get("why") or e.get("reason") or "")
            what = what.replace("|", "/")
            problems[e.get("relay")].append("%s r%s %s: %s" % (e["kind"].replace("_", " "), e.get("round", "-"),
                                                              e.get("phase", ""), what))
    for rel in relays:
        errs = [r for r in trials if r.get("relay") == rel and (r.get("ng_setup_errors") or 0) > 0]
        if errs:
            problems[rel].append("%d ng call setup error(s) in %d trial(s), retried; first: %s" % (
                sum(r["ng_setup_errors"] for r in errs), len(errs), errs[0].get("ng_setup_error", "")[:120]))
    base = med(out.get("minrelay", {}).get("us", [])) if "minrelay" in out else None
    for rel in relays if slots else []:
        f = out[rel]
        if not f["rounds"]:
            print("| %s | not run | | | | | | | | | | | %s |" % (rel, "; ".join(problems[rel])))
            continue
        m = med(f["us"])
        vs = "-" if (base is None or m is None) else "%+.0f %%" % (100 * (m / base - 1))
        tl = [t for t in f["tail"] if t is not None]

        def tfmt(t, s=start):
            return "<%s" % fmt(s) if t == 0 else fmt(t)

        def lfmt(t):
            return tfmt(t, lat_start or start)
        tcell = "-" if not tl else lfmt(med(tl)) + (" (%s)" % ", ".join(lfmt(t) for t in tl) if len(tl) > 1 else "")
        ucell = cell(f["us"], 2)
        lossy = [x for x in f["fixed_loss"] if x is not None and x >= 0.001]
        if lossy:
            ucell += " [loss %s %%]" % ", ".join("%.2f" % (100 * x) for x in lossy)
        ml = [t for t in f["max"] if t is not None]
        mcell = "-" if not ml else tfmt(med(ml)) + (" (%s)" % ", ".join(tfmt(t) for t in ml) if len(ml) > 1 else "")
        after = f["after"]
        acell = ", ".join("%d/%d" % a for a in after) if after else "-"
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d/%d | %s |" % (
            rel, ucell, cell(f["cpu"], 1), vs, mcell, tcell,
            cell(f["fwd"], 1, " %", 100), cell(f["ontime"], 1, " %", 100), cell(f["op99"], 0, "", 0.001),
            acell, cell(f["rloss"], 2, " %", 100), f["noisy"][0], f["noisy"][1],
            "; ".join(problems[rel]) or "-"))
    print()
    cycles = pairs_figures(trials)
    if cycles:
        print_pairs(cycles, relays, run)
        print()
    lat = (" The latency search (c) ramps x1.3 from %s with %s bisection steps; a rate passes with "
           "< 0.1 %% loss and p99 < %s ms." % (fmt(lat_start), run.get("latency_bisect", "?"),
                                               run.get("latency_p99_ms", "10"))) if lat_start else ""
    if slots:
        print("Overload throttle: %s at %s pps offered; the search ramps x1.3 from %s with %s bisection "
              "steps, %s s per search trial.%s Media ports: rtpengine %s (--delete-delay=0), resproxy-media %s "
              "(30 s port quarantine after delete)." % (
                  thr, fmt(int(run.get("overload_rate", 0) or 0)), fmt(start), run.get("search_bisect", "?"),
                  run.get("search_duration", "?"), lat,
                  run.get("rtpengine_ports", "20000-32000"),
                  run.get("resproxy_ports", "20000-32000")))

    # targets of the issue, for resproxy
    ratios = pairs_ratios(cycles, "resproxy") if cycles else []
    def verdict(ok):
        # The CPU target names the plain minimal relay: against one run with other flags
        # (MINRELAY_ARGS) the figures are printed but not judged.
        if run.get("minrelay_args"):
            return "not judged (minrelay ran with `%s`)" % run["minrelay_args"]
        return "MET" if ok else "NOT MET"
    if ratios:
        print()
        print("Targets for resproxy-media:")
        r = med(ratios)
        print("- CPU/packet within 10 %% of minrelay, paired (median of %d per-cycle ratios): %s (x%.3f, %+.1f %%; "
              "%d of %d cycles within +10 %%)" % (len(ratios), verdict(r <= 1.10), r, 100 * (r - 1),
                                                  sum(1 for x in ratios if x <= 1.10), len(ratios)))
    if "resproxy" in out and out["resproxy"]["rounds"]:
        f = out["resproxy"]
        if not ratios:
            print()
            print("Targets for resproxy-media:")
        m = med(f["us"])
        if m is not None and base:
            print("- CPU/packet within 10 %% of minrelay: %s (%.2f vs %.2f us/pkt, %+.0f %%)" % (
                verdict(m <= 1.10 * base), m, base, 100 * (m / base - 1)))
        t = med([x for x in f["tail"] if x is not None])
        if t is not None:
            print("- >= 90,000 pkt/s with p99 < 10 ms: %s (median %s)" % (
                "MET" if t >= 90000 else "NOT MET", fmt(t) if t else "<%s" % fmt(lat_start or start)))
        if f["after"]:
            ok = all(a[0] == a[1] and a[1] > 0 for a in f["after"])
            print("- no cliff under overload (every stream flows after it): %s (%s); forwarded share %s" % (
                "MET" if ok else "NOT MET", ", ".join("%d/%d" % a for a in f["after"]),
                cell(f["fwd"], 1, " %", 100)))

    bad = [e for e in events if e.get("kind") in ("phase_failed", "relay_died", "relay_start_failed",
                                                   "relay_skipped", "slot_skipped")]
    logs = [e for e in events if e.get("kind") == "relay_log"]
    if bad or logs:
        print()
        print("Events:")
        for e in bad:
            detail = e.get("why") or e.get("reason") or ("status %s" % e.get("status", "?"))
            print("- %s %s round %s %s: %s" % (e["kind"], e.get("relay"), e.get("round", "-"),
                                             e.get("phase", ""), detail))
            tail = e.get("tail") or e.get("log_tail")
            if tail:
                for line in tail.strip().splitlines()[-4:]:
                    print("    `%s`" % line.strip()[:200])
        for e in logs:
            extra = []
            for k in ("queue_exceeded", "too_many_packets", "errors", "warnings"):
                if e.get(k) not in (None, "0"):
                    extra.append("%s=%s" % (k, e[k]))
            print("- relay log %s round %s: %s lines, slot %s s%s" % (
                e.get("relay"), e.get("round"), e.get("lines"), e.get("seconds"),
                (", " + ", ".join(extra)) if extra else ""))
    done = next((e for e in events if e.get("kind") == "run_done"), None)
    if done:
        print()
        print("Total run time: %s s." % done.get("seconds"))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    main(sys.argv[1])
