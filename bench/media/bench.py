#!/usr/bin/env python3
# Copied from the workplace's media bench kit (shared/bench/media/bench.py); changed here: records the sink's per-stream and on-time counts; adds an --overload phase (throttled trial, then a recovery trial on the same calls), --ng-local, --setup-retries, --meta, --exclude-pid and --sink-extra for compare.sh; make_parser (its command line, for cpu_pairs.py); wait_quiet samples every 0.5 s without the 2 s pause; a noisy trial is followed by a pause only when it is re-run; its temp dir is removed at exit.
"""Media-relay throughput/latency bench driver (python3 stdlib only).

Drives loadgen (RTP-shaped UDP sender) and sink (counter + one-way delay)
through a relay under test and reports, per trial: packets/s offered and
received, loss, relay CPU (from /proc/PID/stat, all threads), per-core CPU
(from /proc/stat) and one-way delay percentiles.

Targets (pick one mode):
  ports   a port-pair relay with fixed ports:
          --a HOST:PORT [--a-step 2]   where stream i is sent  (HOST:PORT + i*step)
          --b HOST:PORT [--b-step 2]   where the sink latches   (symmetric RTP)
          or --targets FILE --latch FILE (one host:port per line each)
  ng      a relay controlled by the rtpengine ng protocol (offer/answer per call):
          --ng HOST:PORT  (calls are set up once, deleted at the end)
  direct  loadgen -> sink without relay (baseline of the tools themselves)

Rates: --rates 10000,20000,... (fixed list) or --search (ramp x1.3 from
--start until a trial fails, then bisect); a rate passes if loss < --loss
(default 0.001 = 0.1 %) and the generator reached >= 97 % of the rate; a
failed rate is retried once (noisy shared machines) before it counts as failed.

Example (relay pinned to core 1, tools pinned to core 0):
  bench.py --pid 1234 --relay-cpu 1 --gen-cpu 0 --streams 500 --search ports --a 127.0.0.1:10000 --b 127.0.0.1:10001
  bench.py --pid $(pidof rtpengine) --relay-cpu 1 --gen-cpu 0 --streams 500 --rates 25000 ng --ng 127.0.0.1:2223
Overload phase (--overload RATE, added for compare.sh): with the relay's calls/ports set up
once, one trial at RATE while the relay is throttled (--throttle: a CFS bandwidth limit of
--throttle-pct % of a core through a cgroup v2 cpu.max or, where v2 has no cpu controller, a
cgroup v1 cpu.cfs_quota_us; or --throttle hog: busy-loop processes pinned to the relay's core),
then the throttle is removed, and after --recovery-wait s a short trial (--recovery-duration s)
on the same calls checks that every stream still flows (sink: streams_zero == 0).
Also added here: --ng-local (bind the ng client socket outside the relay's port range),
--setup-retries (offer/answer a failed call again; errors recorded as ng_setup_errors and
ng_setup_error), --meta KEY=VALUE, --exclude-pid, --sink-extra, per-stream sink fields.
Only loopback/test addresses should ever be used as targets.
"""
import argparse
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ngclient import NGClient, NGError, teardown_calls  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")


def build_tools(bindir):
    os.makedirs(bindir, exist_ok=True)
    for name in ("loadgen", "sink"):
        src = os.path.join(HERE, name + ".c")
        out = os.path.join(bindir, name)
        if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
            subprocess.check_call(["cc", "-O2", "-Wall", "-o", out, src])
    return os.path.join(bindir, "loadgen"), os.path.join(bindir, "sink")


def proc_cpu(pid):
    """utime+stime seconds of a process (all threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def cores():
    """{cpu: (busy_ticks, total_ticks, softirq_ticks, steal_ticks)} incl. 'all'."""
    res = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu"):
                break
            p = line.split()
            name = p[0][3:] or "all"
            v = [int(x) for x in p[1:]]
            idle = v[3] + v[4]
            total = sum(v[:8])
            res[name] = (total - idle, total, v[6], v[7])
    return res


def udp_drops():
    """System-wide UDP receive-buffer drops (all sockets) from /proc/net/snmp."""
    with open("/proc/net/snmp") as f:
        lines = [l.split() for l in f if l.startswith("Udp:")]
    return int(dict(zip(lines[0][1:], lines[1][1:]))["RcvbufErrors"])


def kv(line):
    d = {}
    for tok in line.split()[1:]:
        if "=" in tok:
            k, v = tok.split("=", 1)
            try:
                d[k] = float(v) if "." in v else int(v)
            except ValueError:
                d[k] = v
    return d


class Throttle:
    """Limits the relay process(es) to pct % of one core while on.
    kind: cgroup2 (cpu.max), cgroup1 (cpu.cfs_quota_us), hog (busy loops pinned to the relay
    core: n = round(100 / pct) - 1 of them, so the relay gets about pct % under CFS fair share),
    auto = the first of these that works."""

    def __init__(self, kind, pct, period_us, pids, cpu, hog_pidfile=None, name=None):
        self.pct, self.period, self.pids, self.cpu = pct, period_us, pids, cpu
        self.name = name or "mediabench-%d" % os.getpid()
        self.hog_pidfile = hog_pidfile
        self.hogs = []
        self.dir = None
        self.orig = {}
        self.kind = None
        kinds = ["cgroup2", "cgroup1", "hog"] if kind == "auto" else [kind]
        errs = []
        for k in kinds:
            try:
                getattr(self, "_setup_" + k)()
                self.kind = k
                break
            except (OSError, ValueError, RuntimeError) as e:
                errs.append("%s: %s" % (k, e))
                self._rmdir()
        if self.kind is None:
            raise RuntimeError("no throttle available (%s)" % "; ".join(errs))
        self.note = "; ".join(errs)

    # -- cgroup v2: a child of the relay's own v2 cgroup (or of the v2 root) with cpu.max
    def _setup_cgroup2(self):
        root = None
        for line in open("/proc/self/mounts"):
            p = line.split()
            if p[2] == "cgroup2":
                root = p[1]
                break
        if not root:
            raise RuntimeError("no cgroup2 mount")
        if "cpu" not in open(os.path.join(root, "cgroup.controllers")).read().split():
            raise RuntimeError("cgroup2 at %s has no cpu controller" % root)
        sub = open(os.path.join(root, "cgroup.subtree_control")).read().split()
        if "cpu" not in sub:
            raise RuntimeError("cpu controller not enabled in %s/cgroup.subtree_control "
                               "(not changed by this tool)" % root)
        self._mkdir(root)
        self.root = root
        with open(os.path.join(self.dir, "cpu.max"), "w") as f:
            f.write("max %d" % self.period)
        self._enter("0")

    # -- cgroup v1 cpu controller: cpu.cfs_period_us / cpu.cfs_quota_us
    def _setup_cgroup1(self):
        root = None
        for line in open("/proc/self/mounts"):
            p = line.split()
            if p[2] == "cgroup" and "cpu" in p[3].split(","):
                root = p[1]
                break
        if not root:
            raise RuntimeError("no cgroup v1 cpu mount")
        self._mkdir(root)
        self.root = root
        with open(os.path.join(self.dir, "cpu.cfs_period_us"), "w") as f:
            f.write(str(self.period))
        with open(os.path.join(self.dir, "cpu.cfs_quota_us"), "w") as f:
            f.write("-1")
        self._enter("cpu")

    def _setup_hog(self):
        if self.cpu is None:
            raise RuntimeError("hog needs --relay-cpu")

    def _mkdir(self, root):
        d = os.path.join(root, self.name)
        os.mkdir(d)
        self.dir = d

    def _enter(self, ctl):
        """Move the relay processes (all threads) into self.dir; remember where they were."""
        for pid in self.pids:
            for line in open("/proc/%d/cgroup" % pid):
                hid, ctls, path = line.rstrip("\n").split(":", 2)
                if (ctl == "0" and hid == "0") or (ctl != "0" and ctl in ctls.split(",")):
                    self.orig[pid] = path
            with open(os.path.join(self.dir, "cgroup.procs"), "w") as f:
                f.write(str(pid))

    def _rmdir(self):
        if self.dir:
            for pid, path in self.orig.items():
                try:
                    with open(os.path.join(self.root, path.lstrip("/"), "cgroup.procs"), "w") as f:
                        f.write(str(pid))
                except OSError:
                    pass
            for _ in range(20):
                try:
                    os.rmdir(self.dir)
                    break
                except OSError:
                    time.sleep(0.05)
            self.dir = None
            self.orig = {}

    def on(self):
        q = max(1000, int(self.period * self.pct / 100))
        if self.kind == "cgroup2":
            with open(os.path.join(self.dir, "cpu.max"), "w") as f:
                f.write("%d %d" % (q, self.period))
        elif self.kind == "cgroup1":
            with open(os.path.join(self.dir, "cpu.cfs_quota_us"), "w") as f:
                f.write(str(q))
        else:
            n = max(1, int(round(100.0 / self.pct)) - 1)
            for _ in range(n):
                p = subprocess.Popen(["taskset", "-c", str(self.cpu), sys.executable, "-c", "while True: pass"])
                self.hogs.append(p)
            if self.hog_pidfile:
                with open(self.hog_pidfile, "a") as f:
                    f.write("".join("%d\n" % p.pid for p in self.hogs))

    def off(self):
        if self.kind == "cgroup2" and self.dir:
            with open(os.path.join(self.dir, "cpu.max"), "w") as f:
                f.write("max %d" % self.period)
        elif self.kind == "cgroup1" and self.dir:
            with open(os.path.join(self.dir, "cpu.cfs_quota_us"), "w") as f:
                f.write("-1")
        for p in self.hogs:
            p.kill()
            p.wait()
        self.hogs = []

    def close(self):
        try:
            self.off()
        finally:
            self._rmdir()

    def describe(self):
        if self.kind == "hog":
            return "hog x%d on cpu %s" % (max(1, int(round(100.0 / self.pct)) - 1), self.cpu)
        return "%s %d%% of a core (period %d us)" % (self.kind, self.pct, self.period)


class Bench:
    def __init__(self, a):
        self.a = a
        self.loadgen, self.sink = build_tools(a.bindir)
        self.runid = random.randint(1, 2 ** 31)
        self.tmp = tempfile.mkdtemp(prefix="mediabench-")
        self.pin = ["taskset", "-c", str(a.gen_cpu)] if a.gen_cpu is not None else []
        self.extra_pids = list(a.exclude_pid)  # CPU of these counts neither as relay nor as "other"
        self.sink_extra = a.sink_extra
        self.meta = {}
        self.setup_info = {}
        for m in a.meta:
            k, _, v = m.partition("=")
            self.meta[k] = v

    def extra_cpu(self):
        t = 0.0
        for p in self.extra_pids:
            try:
                t += proc_cpu(p)
            except (OSError, ValueError):
                pass
        return t

    def wait_quiet(self):
        """Wait (up to --quiet-timeout s) until other processes use < --max-other % of a core."""
        a = self.a
        t_end = time.monotonic() + a.quiet_timeout
        while True:
            c0 = cores()
            p0 = sum(proc_cpu(p) for p in a.pid) + self.extra_cpu()
            time.sleep(0.5)
            c1 = cores()
            p1 = sum(proc_cpu(p) for p in a.pid) + self.extra_cpu()
            other = 100 * ((c1["all"][0] - c0["all"][0]) / CLK - (p1 - p0)) / 0.5
            if other <= a.max_other or time.monotonic() > t_end:
                return other

    def trial(self, rate):
        """One measurement; retried (up to --noise-retries) when other load on the machine
        exceeded --max-other % of a core during it. Noisy records are kept but flagged."""
        for attempt in range(self.a.noise_retries + 1):
            self.wait_quiet()
            r = self.trial_once(rate)
            r["noisy"] = r.get("other_cpu_pct", 0) > self.a.max_other
            self.emit(r)
            if not r["noisy"]:
                break
            if attempt < self.a.noise_retries:
                time.sleep(1)
        return r

    def trial_once(self, rate):
        a = self.a
        if a.mode == "ng" and not a.reuse_calls:
            # fresh calls per trial: an overloaded relay may have given up on some sockets
            # (rtpengine stops reading a socket after repeated receive-queue overruns)
            self.runid += 1
            self.ng_setup()
            try:
                return self._trial(rate)
            finally:
                self.finish()
        self.runid += 1
        return self._trial(rate)

    def _trial(self, rate, duration=None, on_start=None, on_end=None):
        """on_start() runs just before loadgen starts, on_end() after the sink has finished."""
        a = self.a
        duration = a.duration if duration is None else duration
        sink_cmd = self.pin + [self.sink, "-l", "127.0.0.1:%d" % a.sink_port, "-i", str(self.runid),
                               "-T", str(a.idle_ms), "-d", str(duration + self.sink_extra)] + self.sink_args
        lg_cmd = self.pin + [self.loadgen, "-l", "127.0.0.1:%d" % a.gen_port, "-r", str(rate),
                             "-d", str(duration), "-b", str(a.batch), "-s", str(a.size),
                             "-q", str(a.quantum), "-i", str(self.runid)] + self.lg_args
        sp = subprocess.Popen(sink_cmd, stdout=subprocess.PIPE, text=True)
        ended = False
        try:
            ready = sp.stdout.readline()
            if not ready.startswith("ready"):
                raise RuntimeError("sink did not start: %r" % ready)
            time.sleep(a.settle)
            if on_start:
                on_start()
            c0 = cores()
            ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            d0 = udp_drops()
            p0 = [proc_cpu(p) for p in a.pid]
            x0 = self.extra_cpu()
            t0 = time.monotonic()
            lg = subprocess.run(lg_cmd, stdout=subprocess.PIPE, text=True, check=True).stdout
            t1 = time.monotonic()
            p1 = [proc_cpu(p) for p in a.pid]
            x1 = self.extra_cpu()
            c1 = cores()
            out, _ = sp.communicate(timeout=duration + self.sink_extra + 30)
            ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            d1 = udp_drops()
            ended = True
            if on_end:
                on_end()
        finally:
            if sp.poll() is None:
                sp.terminate()
                sp.wait()
            if on_end and not ended:
                on_end()
        g = kv([l for l in lg.splitlines() if l.startswith("loadgen")][-1])
        s = kv([l for l in out.splitlines() if l.startswith("sink")][-1])
        wall = t1 - t0
        sent, recv = g["sent"], s["recv"]
        loss = 1 - recv / sent if sent else 1.0
        r = dict(label=a.label, tag=a.tag, batch=a.batch, mode=a.mode, streams=a.streams, target_pps=rate, sent=sent, recv=recv,
                 loss=round(loss, 6), gen_pps=round(g["pps"]), recv_pps=round(recv / g["seconds"]),
                 gen_errors=g["errors"], udp_rcvbuf_drops=d1 - d0, decoy=s["decoy"], stale=s["stale"], reorder=s["reorder"],
                 delay_us_p50=s["kdelay_us_p50"], delay_us_p90=s["kdelay_us_p90"],
                 delay_us_p99=s["kdelay_us_p99"], delay_us_p999=s["kdelay_us_p999"],
                 delay_us_max=s["kdelay_us_max"], udelay_us_p50=s["udelay_us_p50"],
                 streams_seen=s.get("streams"), streams_expected=s.get("streams_expected"),
                 streams_zero=s.get("streams_zero"), streams_min=s.get("streams_min"),
                 ontime=s.get("ontime"), ontime_us_le=s.get("ontime_us_le"), duration=duration)
        r.update(self.setup_info)
        r.update(self.meta)
        tools = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
        r["tools_cpu_pct"] = round(100 * tools / wall, 1)
        cpu = 0.0
        if a.pid:
            cpu = sum(p1) - sum(p0)
            r["relay_cpu_pct"] = round(100 * cpu / wall, 1)
            r["relay_us_per_pkt"] = round(1e6 * cpu / recv, 2) if recv else None
        names = ["all"] + ([str(a.relay_cpu)] if a.relay_cpu is not None else [])
        for name in names:
            busy = c1[name][0] - c0[name][0]
            tot = max(1, c1[name][1] - c0[name][1])
            key = "sys" if name == "all" else "relaycore"
            r[key + "_busy_pct"] = round(100 * busy / tot, 1)
            r[key + "_softirq_pct"] = round(100 * (c1[name][2] - c0[name][2]) / tot, 1)
            r[key + "_steal_pct"] = round(100 * (c1[name][3] - c0[name][3]) / tot, 1)
        # CPU used by anything other than the relay and our tools (other tenants, builds...),
        # in % of one core; the tools' count includes the sink's idle tail, so this is a lower bound
        busy_all = (c1["all"][0] - c0["all"][0]) / CLK
        r["other_cpu_pct"] = round(max(0.0, 100 * (busy_all - cpu - tools - (x1 - x0)) / wall), 1)
        r["ok"] = loss < a.loss and g["pps"] >= 0.97 * rate if rate else loss < a.loss
        r["why"] = "" if r["ok"] else ("loss" if loss >= a.loss else "generator")
        # --max-p99-us: the latency search also wants the one-way delay's p99 under the bound
        if a.max_p99_us and r["ok"] and (r.get("delay_us_p99") is None or r["delay_us_p99"] >= a.max_p99_us):
            r["ok"], r["why"] = False, "delay"
        return r

    def emit(self, r):
        r.setdefault("time", round(time.time(), 1))
        line = json.dumps(r)
        print(line, flush=True)
        if self.a.json:
            with open(self.a.json, "a") as f:
                f.write(line + "\n")

    def passes(self, rate):
        r = self.trial(rate)
        if r["ok"]:
            return True, r
        for _ in range(self.a.retries):
            time.sleep(0.5)
            r = self.trial(rate)
            if r["ok"]:
                return True, r
        return False, r

    def search(self):
        a = self.a
        good, bad = None, None
        rate = a.start
        while rate <= a.max:
            ok, r = self.passes(rate)
            if ok:
                good = (rate, r)
                rate = int(rate * a.factor)
            else:
                bad = rate
                break
        if good is None:
            return None
        if bad is not None:
            lo, hi = good[0], bad
            for _ in range(a.bisect):
                mid = int((lo + hi) / 2)
                ok, r = self.passes(mid)
                if ok:
                    lo, good = mid, (mid, r)
                else:
                    hi = mid
        return good

    # ---- modes
    def prepare(self):
        a = self.a
        self.cleanup_calls = None
        if a.mode == "direct":
            self.lg_args = ["-t", "127.0.0.1:%d" % a.sink_port, "-n", str(a.streams), "-S", "0"]
            self.sink_args = []
        elif a.mode == "ports":
            if a.targets:
                self.lg_args = ["-f", a.targets]
            else:
                self.lg_args = ["-t", a.a, "-n", str(a.streams), "-S", str(a.a_step)]
            if a.latch:
                self.sink_args = ["-f", a.latch]
            else:
                self.sink_args = ["-L", a.b, "-n", str(a.streams), "-S", str(a.b_step)]
        elif a.mode == "ng":
            self.ng = NGClient(a.ng, local=a.ng_local)
            if not self.ng.ping():
                raise SystemExit("ng target %s does not answer ping" % a.ng)
            if a.reuse_calls:
                self.ng_setup()

    def ng_setup(self):
        """Offer/answer a.streams calls; loadgen sends to the caller-facing ports, sink latches
        the callee-facing ports."""
        a = self.a
        callee_port = a.decoy_port if a.decoy_port else a.sink_port
        prefix = "bench%d-" % self.runid
        t0 = time.monotonic()
        targets, latches, errors = [], [], []
        for i in range(a.streams):
            cid = "%s%d" % (prefix, i)
            for attempt in range(a.setup_retries + 1):
                try:
                    cs, ce = self.ng.setup_call(cid, ("127.0.0.1", a.gen_port), ("127.0.0.1", callee_port))
                    break
                except NGError as e:
                    # recorded in every record of this trial; with --setup-retries the call is
                    # offered again (same call-id) instead of failing the whole run
                    errors.append("call %d: %s" % (i, e))
                    print("# ng: setup of %s failed (try %d): %s" % (cid, attempt + 1, e), flush=True)
                    if attempt == a.setup_retries:
                        raise
                    try:
                        self.ng.delete(cid, cid + "-a")
                    except NGError:
                        pass
            targets.append("%s:%d" % cs)
            latches.append("%s:%d" % ce)
        self.setup_info = dict(ng_setup_errors=len(errors), ng_setup_error=errors[0] if errors else "")
        print("# ng: set up %d calls in %.2f s (%d setup errors)" % (a.streams, time.monotonic() - t0,
                                                                   len(errors)), flush=True)
        tf, lf = os.path.join(self.tmp, "targets.txt"), os.path.join(self.tmp, "latch.txt")
        with open(tf, "w") as f:
            f.write("\n".join(targets) + "\n")
        with open(lf, "w") as f:
            f.write("\n".join(latches) + "\n")
        self.lg_args = ["-f", tf]
        self.sink_args = ["-f", lf]
        if a.decoy_port:
            self.sink_args += ["-D", "127.0.0.1:%d" % a.decoy_port]
        self.cleanup_calls = lambda: teardown_calls(self.ng, a.streams, prefix)
        time.sleep(a.learn_wait)

    def overload(self):
        """Throttled trial at --overload RATE, then a recovery trial on the same calls."""
        a = self.a
        rate = a.overload
        if a.mode == "ng":
            self.runid += 1
            self.ng_setup()
        th = Throttle(a.throttle, a.throttle_pct, a.throttle_period_us, a.pid, a.relay_cpu, a.hog_pidfile,
                      a.cgroup_name)
        try:
            self.wait_quiet()

            def on():
                th.on()
                self.extra_pids = list(a.exclude_pid) + [p.pid for p in th.hogs]

            def off():
                th.off()
                self.extra_pids = list(a.exclude_pid)

            self.runid += 1
            self.sink_extra = a.overload_drain
            r = self._trial(rate, on_start=on, on_end=off)
            self.sink_extra = a.sink_extra
            self.setup_info = {}  # the recovery trial reuses these calls: count their setup once
            r["tag"] = (a.tag + "-" if a.tag else "") + "overload"
            r["throttle"] = th.describe()
            r["throttle_note"] = th.note
            r["fwd_share"] = round(r["recv"] / r["sent"], 4) if r["sent"] else None
            r["ontime_share"] = round(r["ontime"] / r["sent"], 4) if r["sent"] and r["ontime"] is not None else None
            r["noisy"] = r.get("other_cpu_pct", 0) > a.max_other
            self.emit(r)
            time.sleep(a.recovery_wait)
            self.runid += 1
            r2 = self._trial(rate, duration=a.recovery_duration)
            r2["tag"] = (a.tag + "-" if a.tag else "") + "recovery"
            r2["all_streams_flow"] = (r2["streams_zero"] == 0 and (r2["streams_expected"] or 0) > 0)
            r2["noisy"] = r2.get("other_cpu_pct", 0) > a.max_other
            self.emit(r2)
        finally:
            th.close()

    def finish(self):
        if self.cleanup_calls and not self.a.keep_calls:
            bad = self.cleanup_calls()
            self.cleanup_calls = None
            print("# ng: deleted calls (%d errors)" % bad, flush=True)


def make_parser():
    """bench.py's command line (also cpu_pairs.py's, which builds one Bench per relay from it)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                 allow_abbrev=False)
    ap.add_argument("--streams", type=int, default=100, help="number of streams (calls in ng mode)")
    ap.add_argument("--rates", default="", help="comma-separated total packets/s to try")
    ap.add_argument("--search", action="store_true", help="find the max rate with loss < --loss")
    ap.add_argument("--start", type=int, default=20000)
    ap.add_argument("--max", type=int, default=2000000)
    ap.add_argument("--factor", type=float, default=1.3)
    ap.add_argument("--bisect", type=int, default=3)
    ap.add_argument("--retries", type=int, default=1, help="extra tries before a rate counts as failed")
    ap.add_argument("--duration", type=float, default=4.0, help="seconds per trial")
    ap.add_argument("--settle", type=float, default=0.3, help="seconds between latching and load")
    ap.add_argument("--loss", type=float, default=0.001)
    ap.add_argument("--max-p99-us", type=int, default=0,
                    help="a rate passes only if the one-way delay p99 is below this too (0: no bound)")
    ap.add_argument("--size", type=int, default=172, help="packet size (172 = RTP + 20 ms G.711)")
    ap.add_argument("--batch", type=int, default=64, help="loadgen sendmmsg batch")
    ap.add_argument("--pid", type=int, action="append", default=[], help="relay pid(s) for CPU accounting")
    ap.add_argument("--relay-cpu", type=int, default=None, help="core the relay is pinned to")
    ap.add_argument("--gen-cpu", type=int, default=None, help="pin loadgen and sink to this core")
    ap.add_argument("--sink-port", type=int, default=16000)
    ap.add_argument("--gen-port", type=int, default=17000)
    ap.add_argument("--idle-ms", type=int, default=700)
    ap.add_argument("--bindir", default=os.path.join(tempfile.gettempdir(), "mediabench-bin"),
                    help="where loadgen/sink get compiled (from the .c files next to this script)")
    ap.add_argument("--json", help="append per-trial JSON lines here")
    ap.add_argument("--label", default="", help="name of the relay under test, stored in each record")
    ap.add_argument("--tag", default="", help="free-form tag stored in each record (e.g. search, latency)")
    ap.add_argument("--quantum", type=int, default=500, help="loadgen pacing quantum in us")
    ap.add_argument("--max-other", type=float, default=15.0,
                    help="%% of a core other processes may use during a trial before it counts as noisy")
    ap.add_argument("--noise-retries", type=int, default=3, help="re-runs of a noisy trial")
    ap.add_argument("--quiet-timeout", type=float, default=120, help="max seconds to wait for a quiet machine")
    ap.add_argument("--sink-extra", type=float, default=30,
                    help="the sink's hard stop is this many seconds after the trial duration")
    ap.add_argument("--exclude-pid", type=int, action="append", default=[],
                    help="pid whose CPU is not counted as other load (e.g. a deliberate competitor)")
    ap.add_argument("--meta", action="append", default=[], help="KEY=VALUE stored in every record")
    ap.add_argument("--overload", type=int, default=0,
                    help="run the overload phase at this rate (throttled trial + recovery trial)")
    ap.add_argument("--throttle", default="auto", choices=["auto", "cgroup2", "cgroup1", "hog"])
    ap.add_argument("--throttle-pct", type=float, default=25.0, help="relay CPU limit, %% of one core")
    ap.add_argument("--throttle-period-us", type=int, default=20000, help="CFS bandwidth period")
    ap.add_argument("--cgroup-name", help="name of the throttle cgroup (default mediabench-PID)")
    ap.add_argument("--hog-pidfile", help="append the pids of hog processes here (for cleanup by a caller)")
    ap.add_argument("--overload-drain", type=float, default=2.0,
                    help="s after the throttled trial until the sink stops counting (throttle still on)")
    ap.add_argument("--recovery-wait", type=float, default=2.0, help="s between throttle off and recovery trial")
    ap.add_argument("--recovery-duration", type=float, default=2.0, help="s of the recovery trial")
    sub = ap.add_subparsers(dest="mode", required=True)
    sub.add_parser("direct")
    p = sub.add_parser("ports")
    p.add_argument("--a", help="HOST:PORT of stream 0's input port")
    p.add_argument("--a-step", type=int, default=2)
    p.add_argument("--b", help="HOST:PORT of stream 0's output port (sink latches there)")
    p.add_argument("--b-step", type=int, default=2)
    p.add_argument("--targets", help="file: input port per stream")
    p.add_argument("--latch", help="file: output port per stream")
    n = sub.add_parser("ng")
    n.add_argument("--ng", required=True, help="ng control address HOST:PORT")
    n.add_argument("--decoy-port", type=int, default=0,
                   help="advertise this port in the callee SDP while the sink latches from --sink-port "
                        "(tests symmetric latching; packets still reaching it are counted as 'decoy')")
    n.add_argument("--ng-local", default=None,
                   help="HOST:PORT to bind the ng client socket to (default: an ephemeral port, which "
                        "may lie inside the relay's media port range)")
    n.add_argument("--setup-retries", type=int, default=0,
                   help="offer/answer a call again after an error reply (errors are recorded)")
    n.add_argument("--learn-wait", type=float, default=0.0, help="seconds to wait after call setup")
    n.add_argument("--keep-calls", action="store_true", help="do not delete the calls at the end")
    n.add_argument("--reuse-calls", action="store_true",
                   help="set up the calls once for all trials (default: fresh calls for every trial)")
    return ap


def main():
    ap = make_parser()
    a = ap.parse_args()
    if a.mode == "ports" and not ((a.a and a.b) or (a.targets and a.latch)):
        ap.error("ports mode needs --a/--b or --targets/--latch")

    def on_term(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    b = Bench(a)
    b.prepare()
    try:
        if a.overload:
            b.overload()
        if a.search:
            best = b.search()
            summary = dict(summary=True, label=a.label, tag=a.tag, mode=a.mode, streams=a.streams,
                           max_pps=best[0] if best else None, at=best[1] if best else None)
            summary.update(b.meta)
            b.emit(summary)
        for rate in [int(x) for x in a.rates.split(",") if x]:
            b.trial(rate)
    finally:
        b.finish()
        shutil.rmtree(b.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
