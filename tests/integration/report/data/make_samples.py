#!/usr/bin/env python3
"""Writes the sample results.json files of the report tests (docs/results-schema.md, schema 1).

The files are checked in; this script only documents how they were made (python3, stdlib only):
  python3 tests/integration/report/data/make_samples.py tests/integration/report/data
They are hand-shaped, not simulated: numbers are plausible and self-consistent (metrics are
computed from the calls, verdicts from the metrics), which is all the report needs.
"""
import json
import math
import os
import random
import sys

PHONES = [str(2001 + i) for i in range(20)]
# The harness's extra "failure" key of a call (not in docs/results-schema.md; the report shows it).
FAILURES = {408: "Timer B: no final response from the ITSP",
            503: "503 from the gateway: no E1 channel (LOS)"}


def r3(x):
    return round(x, 3)


def phase_of(t, phases):
    for name in ("before", "during", "after"):
        if name in phases and phases[name][0] <= t < phases[name][1]:
            return name
    return "after" if "after" in phases else "before"


def nearest_rank(values, p):
    if not values:
        return 0
    values = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(values)))
    return values[rank - 1]


def make_call(rng, cid, t, phase, kind, route, outcome, status, pdd, setup, hold, frm, to):
    ended = t + (setup or pdd or 300) / 1000.0 + hold
    return {
        "id": cid, "call_id": "%08x@phone-%s" % (rng.getrandbits(32), frm if frm.isdigit() else "pstn"),
        "from": frm, "to": to, "kind": kind, "placed_s": r3(t), "phase": phase, "outcome": outcome,
        "status": status, "pdd_ms": None if pdd is None else r3(pdd),
        "setup_ms": None if setup is None else r3(setup), "route": route, "ended_s": r3(ended),
        "failure": FAILURES.get(status, "") if outcome == "failed" else ""}


def normal_call(rng, cid, t, phase, itsp_up, gateway_up=True):
    kind = rng.choices(["internal", "outbound", "inbound", "emergency"], [40, 40, 16, 4])[0]
    frm = rng.choice(PHONES)
    if kind == "internal":
        to = rng.choice([p for p in PHONES if p != frm])
        route, pdd = "local", rng.uniform(40, 130)
    elif kind == "outbound":
        to = "+4930%07d" % rng.randrange(10**7)
        route, pdd = ("itsp", rng.uniform(250, 900)) if itsp_up else ("gateway", rng.uniform(600, 1500))
    elif kind == "inbound":
        frm, to = "+4989%07d" % rng.randrange(10**7), rng.choice(PHONES)
        route, pdd = "local", rng.uniform(60, 160)
    else:
        to = "112"
        route, pdd = "gateway", rng.uniform(500, 1100)
    if route == "gateway" and not gateway_up:
        return make_call(rng, cid, t, phase, kind, route, "failed", 503, None, None, 0.1, frm, to)
    roll = rng.random()
    if kind == "emergency" or roll < 0.86:
        setup = pdd + rng.uniform(2000, 9000)
        return make_call(rng, cid, t, phase, kind, route, "answered", 200, pdd, setup,
                         rng.uniform(30, 280), frm, to)
    if roll < 0.94:
        return make_call(rng, cid, t, phase, kind, route, "busy", 486, None, None, 0.2, frm, to)
    return make_call(rng, cid, t, phase, kind, route, "abandoned", 487, pdd, None,
                     rng.uniform(12, 30), frm, to)


def series_of(duration, calls, registered_at, failure_spans, step=10.0):
    out = []
    t = 0.0
    while t <= duration + 1e-9:
        reg = sum(1 for r in registered_at if r <= t)
        cip = sum(1 for c in calls if c["placed_s"] <= t < c["ended_s"])
        fo = 1 if any(a <= t < b for a, b in failure_spans) else 0
        out.append({"t_s": r3(t), "registered": reg, "calls_in_progress": cip, "failure_operation": fo})
        t += step
    return out


def registrations_of(rng, duration, phases, refresh=600.0):
    regs, first = [], []
    for i, phone in enumerate(PHONES):
        t = 0.4 + i * 0.35
        first.append(t)
        while t < duration:
            regs.append({"phone": phone, "t_s": r3(t), "status": 200,
                         "latency_ms": r3(rng.uniform(4, 30)), "phase": phase_of(t, phases)})
            t += refresh - rng.uniform(5, 40)
    regs.sort(key=lambda r: (r["t_s"], r["phone"]))
    return regs, first


def metrics_of(calls, regs, series, extra):
    def ratio(cs):
        placed = len(cs)
        busy = sum(1 for c in cs if c["outcome"] == "busy")
        answered = sum(1 for c in cs if c["outcome"] == "answered")
        return r3(answered / (placed - busy)) if placed - busy > 0 else 1.0
    pdds = [c["pdd_ms"] for c in calls if c["pdd_ms"] is not None]
    m = {"calls_total": len(calls),
         "calls_answered": sum(1 for c in calls if c["outcome"] == "answered"),
         "call_success_ratio": ratio(calls)}
    for ph in ("before", "during", "after"):
        cs = [c for c in calls if c["phase"] == ph]
        if cs:
            m["call_success_ratio." + ph] = ratio(cs)
    local = [c for c in calls if c["phase"] == "during" and c["kind"] == "internal"]
    if local:
        m["local_call_success_ratio.during"] = ratio(local)
    m.update(extra)
    m["pdd_ms.p50"] = r3(nearest_rank(pdds, 50))
    m["pdd_ms.p95"] = r3(nearest_rank(pdds, 95))
    m["pdd_ms.max"] = r3(max(pdds) if pdds else 0)
    m["registrations_failed"] = sum(1 for r in regs if r["status"] >= 300)
    m["max_calls_in_progress"] = max(s["calls_in_progress"] for s in series)
    return m


def verdicts(metrics, specs):
    ops = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, "==": lambda a, b: a == b}
    out = []
    for text, metric, op, value, line in specs:
        actual = metrics.get(metric)
        passed = actual is not None and ops[op](actual, value)
        out.append({"text": text, "metric": metric, "op": op, "value": value, "actual": actual,
                    "passed": passed, "line": line})
    return out


def arrivals(rng, duration, mean_gap):
    t, out = rng.uniform(5, 40), []
    while t < duration - 60:
        out.append(t)
        t += rng.expovariate(1 / mean_gap)
    return out


def itsp_outage(seed, detection, failback):
    rng = random.Random(seed * 7919)
    duration, start, end = 3600.0, 1200.0, 1800.0
    phases = {"before": [0.0, start], "during": [start, end], "after": [end, duration]}
    inactive_at, active_at = start + detection, end + failback
    calls = []
    for t in arrivals(rng, duration, 70.0):
        ph = phase_of(t, phases)
        itsp_up = not (inactive_at <= t < active_at)
        if start <= t < inactive_at:
            continue  # the forced calls below cover the detection window
        calls.append(normal_call(rng, 0, t, ph, itsp_up))
    # Outbound calls placed after the fault, before detection.
    ladder = None
    if seed == 1:
        t = 1201.0
        c = make_call(rng, 0, t, "during", "outbound", "gateway", "answered", 200, 1642.0, 6902.0,
                      93.5, "2003", "+493012345678")
        c["ended_s"] = 1301.432
        calls.append(c)
        uri = "sip:+493012345678@itsp.example"
        gw = "sip:+493012345678@gateway.branch.lan"
        msgs = [(1201.000, "phone-2003", "resproxy", "INVITE " + uri),
                (1201.002, "resproxy", "phone-2003", "100 Trying"),
                (1201.003, "resproxy", "itsp", "INVITE " + uri),
                (1201.503, "resproxy", "itsp", "INVITE " + uri + " (retransmission)"),
                (1201.700, "resproxy", "gateway", "INVITE " + gw),
                (1201.712, "gateway", "resproxy", "100 Trying"),
                (1202.640, "gateway", "resproxy", "180 Ringing"),
                (1202.642, "resproxy", "phone-2003", "180 Ringing"),
                (1207.900, "gateway", "resproxy", "200 OK"),
                (1207.902, "resproxy", "phone-2003", "200 OK"),
                (1207.950, "phone-2003", "resproxy", "ACK " + gw),
                (1207.952, "resproxy", "gateway", "ACK " + gw),
                (1301.400, "phone-2003", "resproxy", "BYE " + gw),
                (1301.402, "resproxy", "gateway", "BYE " + gw),
                (1301.428, "gateway", "resproxy", "200 OK"),
                (1301.430, "resproxy", "phone-2003", "200 OK")]
        ladder = (c, msgs)
    else:
        for t, frm in ((1201.2, "2011"), (1203.0, "2006")):
            calls.append(make_call(rng, 0, t, "during", "outbound", "itsp", "failed", 408, None,
                                   None, 32.0, frm, "+4940%07d" % rng.randrange(10**7)))
        calls.append(normal_call(rng, 0, 1204.9, "during", False))
    calls.sort(key=lambda c: c["placed_s"])
    for i, c in enumerate(calls):
        c["id"] = i + 1
    regs, first = registrations_of(rng, duration, phases)
    failure = [(inactive_at, active_at)]
    series = series_of(duration, calls, first, failure)
    states = [{"t_s": 0.0, "itsp": "itsp", "state": "Active"},
              {"t_s": r3(start + detection * 0.4), "itsp": "itsp", "state": "Probing"},
              {"t_s": r3(inactive_at), "itsp": "itsp", "state": "Inactive"},
              {"t_s": r3(end + failback * 0.6), "itsp": "itsp", "state": "Probing"},
              {"t_s": r3(active_at), "itsp": "itsp", "state": "Active"}]
    metrics = metrics_of(calls, regs, series, {
        "detection_time_s": r3(detection), "failback_time_s": r3(failback),
        "false_failovers": 0, "gateway_loops": 0})
    specs = [("local call success ratio during the outage >= 99.9 %",
              "local_call_success_ratio.during", ">=", 0.999, 42),
             ("call success ratio during the outage >= 90 %", "call_success_ratio.during", ">=", 0.9, 43),
             ("the outage is detected within 5 s", "detection_time_s", "<=", 5.0, 44),
             ("service fails back within 30 s of the ITSP's return", "failback_time_s", "<=", 30.0, 45),
             ("no false failovers", "false_failovers", "==", 0, 46),
             ("no calls looped through the gateway", "gateway_loops", "==", 0, 47),
             ("post-dial delay p95 <= 2 s", "pdd_ms.p95", "<=", 2000.0, 48),
             ("every registration succeeds", "registrations_failed", "==", 0, 49)]
    if ladder is None:
        c = next(c for c in calls if c["phase"] == "during" and c["route"] == "gateway" and c["outcome"] == "answered")
        t = c["placed_s"]
        to = "sip:%s@gateway.branch.lan" % c["to"]
        msgs = [(t, "phone-" + c["from"], "resproxy", "INVITE " + to),
                (t + 0.002, "resproxy", "phone-" + c["from"], "100 Trying"),
                (t + 0.003, "resproxy", "gateway", "INVITE " + to),
                (t + 0.015, "gateway", "resproxy", "100 Trying"),
                (t + c["pdd_ms"] / 1000 - 0.002, "gateway", "resproxy", "180 Ringing"),
                (t + c["pdd_ms"] / 1000, "resproxy", "phone-" + c["from"], "180 Ringing"),
                (t + c["setup_ms"] / 1000 - 0.002, "gateway", "resproxy", "200 OK"),
                (t + c["setup_ms"] / 1000, "resproxy", "phone-" + c["from"], "200 OK"),
                (t + c["setup_ms"] / 1000 + 0.04, "phone-" + c["from"], "resproxy", "ACK " + to),
                (t + c["setup_ms"] / 1000 + 0.042, "resproxy", "gateway", "ACK " + to)]
        ladder = (c, msgs)
    call, msgs = ladder
    return {
        "schema": 1, "scenario": "itsp-outage-busy-hour", "title": "ITSP hard outage in the busy hour",
        "seed": seed, "duration_s": duration, "phases": phases,
        "faults": [{"kind": "outage", "target": "access", "start_s": start, "end_s": end, "detail": ""}],
        "itsp_states": states, "series": series, "calls": calls, "registrations": regs,
        "metrics": metrics, "expectations": verdicts(metrics, specs),
        "ladder": {"call_id": call["call_id"],
                   "nodes": ["phone-" + call["from"], "resproxy", "itsp", "gateway"],
                   "messages": [{"t_s": r3(t), "from": a, "to": b, "label": l} for t, a, b, l in msgs]}}


def gateway_flap(seed):
    rng = random.Random(seed * 104729)
    duration = 900.0
    flaps = [(300.0, 320.0), (400.0, 430.0), (500.0, 505.0)]
    phases = {"before": [0.0, 300.0], "during": [300.0, 505.0], "after": [505.0, duration]}
    calls = []
    for t in arrivals(rng, duration, 26.0):
        down = any(a <= t < b + 2.0 for a, b in flaps)
        calls.append(normal_call(rng, 0, t, phase_of(t, phases), True, gateway_up=not down))
    for t, frm in ((305.5, "2004"), (412.25, "2017")):  # PSTN calls into the dead E1
        calls.append(make_call(rng, 0, t, "during", "inbound", "gateway", "failed", 503, None, None,
                               0.2, "+4989%07d" % rng.randrange(10**7), frm))
    calls.append(make_call(rng, 0, 402.0, "during", "emergency", "itsp", "answered", 200, 504.0,
                           3200.0, 64.0, "2007", "112"))
    calls.sort(key=lambda c: c["placed_s"])
    for i, c in enumerate(calls):
        c["id"] = i + 1
    regs, first = registrations_of(rng, duration, phases, refresh=300.0)
    states = [{"t_s": 0.0, "itsp": "itsp", "state": "Active"},
              {"t_s": 611.204, "itsp": "itsp", "state": "Probing"},
              {"t_s": 613.704, "itsp": "itsp", "state": "Inactive"},
              {"t_s": 641.0, "itsp": "itsp", "state": "Active"},
              {"t_s": 0.0, "itsp": "itsp-backup", "state": "Active"}]
    states.sort(key=lambda s: s["t_s"])
    series = series_of(duration, calls, first, [(613.704, 641.0)])
    emergency = [c for c in calls if c["kind"] == "emergency"]
    metrics = metrics_of(calls, regs, series, {
        "false_failovers": 1, "gateway_loops": 0,
        "emergency_call_success_ratio": r3(sum(1 for c in emergency if c["outcome"] == "answered") / len(emergency))})
    specs = [("no calls looped through the gateway", "gateway_loops", "==", 0, 18),
             ("no false failovers of the ITSP", "false_failovers", "==", 0, 19),
             ("call success during the flaps >= 95 %", "call_success_ratio.during", ">=", 0.95, 20),
             ("emergency calls answered <b>always</b> & everywhere", "emergency_call_success_ratio", ">=", 1.0, 21),
             ("post-dial delay p95 <= 2.5 s", "pdd_ms.p95", "<=", 2500.0, 22)]
    e = next(c for c in calls if c["placed_s"] == 402.0)
    t = 402.0
    gw, it = "sip:112@gateway.branch.lan", "sip:112@itsp.example"
    msgs = [(t, "phone-2007", "resproxy", "INVITE sip:112@branch.lan"),
            (t + 0.002, "resproxy", "phone-2007", "100 Trying"),
            (t + 0.003, "resproxy", "gateway", "INVITE " + gw),
            (t + 0.011, "gateway", "resproxy", "100 Trying"),
            (t + 0.093, "gateway", "resproxy", "503 Service Unavailable"),
            (t + 0.094, "resproxy", "gateway", "ACK " + gw),
            (t + 0.095, "resproxy", "itsp", "INVITE " + it),
            (t + 0.153, "itsp", "resproxy", "100 Trying"),
            (t + 0.502, "itsp", "resproxy", "183 Session Progress"),
            (t + 0.504, "resproxy", "phone-2007", "183 Session Progress"),
            (t + 3.198, "itsp", "resproxy", "200 OK"),
            (t + 3.200, "resproxy", "phone-2007", "200 OK"),
            (t + 3.241, "phone-2007", "resproxy", "ACK " + it),
            (t + 3.243, "resproxy", "itsp", "ACK " + it)]
    return {
        "schema": 1, "scenario": "gateway-flap",
        "title": "Gateway flap <script>alert(\"pwn\")</script> & E1 \"alarms\"",
        "seed": seed, "duration_s": duration, "phases": phases,
        "faults": [{"kind": "link_flap", "target": "gateway-e1", "start_s": a, "end_s": b,
                    "detail": "E1 LOS, red alarm <%d s>" % (b - a)} for a, b in flaps],
        "itsp_states": states, "series": series, "calls": calls, "registrations": regs,
        "metrics": metrics, "expectations": verdicts(metrics, specs),
        "ladder": {"call_id": e["call_id"], "nodes": ["phone-2007", "resproxy", "gateway", "itsp"],
                   "messages": [{"t_s": r3(t), "from": a, "to": b, "label": l} for t, a, b, l in msgs]}}


def baseline(seed):
    rng = random.Random(seed * 31337)
    duration = 600.0
    phases = {"before": [0.0, duration]}
    calls = [normal_call(rng, 0, t, "before", True) for t in arrivals(rng, duration, 30.0)]
    for i, c in enumerate(calls):
        c["id"] = i + 1
    regs, first = registrations_of(rng, duration, phases)
    series = series_of(duration, calls, first, [])
    metrics = metrics_of(calls, regs, series, {"false_failovers": 0, "gateway_loops": 0})
    specs = [("call success >= 80 % without faults", "call_success_ratio", ">=", 0.8, 12),
             ("no false failovers", "false_failovers", "==", 0, 13),
             ("post-dial delay p95 <= 1 s", "pdd_ms.p95", "<=", 1000.0, 14)]
    return {"schema": 1, "scenario": "no-fault-baseline", "title": "Baseline: a quiet hour, no faults",
            "seed": seed, "duration_s": duration, "phases": phases, "faults": [],
            "itsp_states": [{"t_s": 0.0, "itsp": "itsp", "state": "Active"}],
            "series": series, "calls": calls, "registrations": regs, "metrics": metrics,
            "expectations": verdicts(metrics, specs), "ladder": None}


def write(root, doc):
    d = os.path.join(root, "results", doc["scenario"], "seed-%d" % doc["seed"])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


def main():
    root = sys.argv[1]
    write(root, itsp_outage(1, 1.7, 12.0))
    write(root, itsp_outage(2, 4.2, 17.5))
    write(root, itsp_outage(3, 2.1, 11.2))
    write(root, gateway_flap(7))
    write(root, baseline(1))
    bad = dict(baseline(1), schema=2)
    os.makedirs(os.path.join(root, "bad-schema"), exist_ok=True)
    with open(os.path.join(root, "bad-schema", "results.json"), "w") as f:
        json.dump(bad, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
