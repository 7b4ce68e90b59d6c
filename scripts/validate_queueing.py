#!/usr/bin/env -S /usr/bin/python3
"""Validate torta-sim against queueing theory (M/M/c by Erlang C, M/D/1 by Pollaczek-Khinchine,
Little's law), and produce the tables of docs/validation.md.

One region with c servers in the `exponential` (or `deterministic`) service mode, Poisson
arrivals and the `central-fcfs` micro scheduler is exactly an M/M/c (M/D/c) FCFS queue. For each
case the script runs R independent replications (fixed seeds, each run starting empty), takes
the mean waiting time Wq (`latency_s.queue.mean`) and response time W (`latency_s.e2e.mean`) of
every replication, and compares their mean, with a 95% Student-t confidence interval, with the
formula. Run lengths follow from the CI: see Case.full_plan and docs/validation.md.

Plans: the full plan (default) sizes the runs for a 95% CI half-width of 0.7%; --quick (the
CI plan, tests/integration/test_validation_queueing.py) for 1.0%. Both read the replications
from the stdout table of time-scaled runs (run_fast: no requests.csv, 7x faster) and rerun the
first seed of every case with --out for Little's law and as a cross-check; --slow runs every
replication with --out instead (Little's law on each; 7x the time).

Usage:
  /usr/bin/python3 scripts/validate_queueing.py [--sim build/torta-sim] [--quick] [--jobs 2]
                   [--slow] [--markdown] [--only "M/M/4 rho=0.9" ...] [--save F | --load F]
                   [--pilot R,N]
  --markdown      also print the result tables as Markdown (as in docs/validation.md)
  --save F        keep every replication's figures in F; --load F analyses F without running
  --pilot R,N     R replications of N customers per selected case instead of a plan; its k
                  column (n Var(mean) / theory^2) is what the plans are sized from
Exit status 0 when every check passes, 1 otherwise. Standard library only. The full plan takes
about 5 to 6 minutes of CPU, the CI plan about 3 (Release build).
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

TOL_MEAN = 0.02    # |sim - theory| / theory for Wq and W (the 2%)
TOL_LITTLE = 0.01  # Little's law, per replication (the 1%)
TARGET_HW = 0.007  # design target: 95% CI half-width / theory, well below TOL_MEAN
Z_GUARD = 3.3      # a mean must also lie within 3.3 standard errors (see tolerance())
QUICK_HW = 0.010    # CI plan: 95% CI half-width target (about 400 million customers)
SERVICE_MEAN_S = 1.0
SERVER = '{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":%d}'


# ---------------------------------------------------------------- theory (stdlib only)

def erlang_b(c, a):
    """Erlang B blocking probability for c servers and offered load a = lambda / mu
    (the stable recursion B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1)."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c, a):
    """Erlang C: probability that an arrival waits in M/M/c, offered load a < c."""
    rho = a / c
    b = erlang_b(c, a)
    return b / (1.0 - rho * (1.0 - b))


def mmc_theory(c, rho, mean_s):
    """M/M/c: mean waiting time Wq = C(c, a) / (c mu - lambda) and response time W = Wq + 1/mu."""
    mu = 1.0 / mean_s
    lam = rho * c * mu
    wq = erlang_c(c, lam / mu) / (c * mu - lam)
    return wq, wq + mean_s


def md1_theory(rho, s):
    """M/D/1, Pollaczek-Khinchine with zero service variance: Wq = rho s / (2 (1 - rho))."""
    wq = rho * s / (2.0 * (1.0 - rho))
    return wq, wq + s


# Student t quantile t_{0.975, df}, df = 1..30 (standard tables); the normal 1.96 beyond.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t975(df):
    return T975[df - 1] if df <= len(T975) else 1.96 + 2.4 / df  # within 0.1% for df > 30


# ---------------------------------------------------------------- cases and plans

class Case:
    """One queue. k_wq, k_w: design constants, the per-customer relative asymptotic variance
    n Var(mean) / theory^2 of the replication means of Wq and W (pilot: 10 replications of
    200,000 customers, rounded up by 10-30%); run lengths follow from them."""

    def __init__(self, index, mode, c, rho, k_wq, k_w):
        self.index, self.mode, self.c, self.rho = index, mode, c, rho
        self.name = f"M/{'M' if mode == 'exponential' else 'D'}/{c} rho={rho}"
        self.k = max(k_wq, k_w)
        self.lam = rho * c / SERVICE_MEAN_S
        if mode == "exponential":
            self.wq, self.w = mmc_theory(c, rho, SERVICE_MEAN_S)
        else:
            assert c == 1
            self.wq, self.w = md1_theory(rho, SERVICE_MEAN_S)

    def full_plan(self, target=None):
        """Replications and customers per replication for a 95% CI half-width of `target`
        (TARGET_HW): N = k (t / target)^2 customers in all, at least 20 replications, at most
        MAX_PER_REP customers each (bounds the size of requests.csv)."""
        target = target or TARGET_HW
        r = 20
        while True:
            total = self.k * (t975(r - 1) / target) ** 2
            if total / r <= MAX_PER_REP:
                break
            r = math.ceil(total / MAX_PER_REP)
        return r, int(math.ceil(total / r / 10000.0)) * 10000

    def quick_plan(self):
        """The CI plan: the same design for a half-width of QUICK_HW, about half the customers
        of the full plan. Its standard error stays below TOL_MEAN / Z_GUARD, so the 2% test is
        as sound as in the full plan."""
        return self.full_plan(QUICK_HW)

    def seeds(self, r):
        return range(1000 * self.index + 1, 1000 * self.index + r + 1)


MAX_PER_REP = 4000000


def cases():
    #        mode          c   rho   k_wq   k_w
    spec = [("exponential", 1, 0.5, 80, 25),
            ("exponential", 1, 0.8, 200, 130),
            ("exponential", 1, 0.9, 900, 750),
            ("exponential", 4, 0.5, 350, 6),
            ("exponential", 4, 0.8, 450, 75),
            ("exponential", 4, 0.9, 1100, 500),
            ("exponential", 16, 0.5, 3800, 1.5),
            ("exponential", 16, 0.8, 1000, 13),
            ("exponential", 16, 0.9, 1800, 150),
            ("deterministic", 1, 0.5, 45, 5),
            ("deterministic", 1, 0.8, 110, 45),
            ("deterministic", 1, 0.9, 260, 170)]
    return [Case(i + 1, *x) for i, x in enumerate(spec)]


# ---------------------------------------------------------------- running

def command(sim, src, case, seed, customers, scale):
    lam = case.lam / scale
    duration = customers / lam
    return [sim, "--topology", os.path.join(src, "tests/fixtures/core/one_region.json"),
            "--workload", f"poisson:rate_per_s={lam!r},duration_s={duration!r},"
                          "input_tokens=100,output_tokens=10",
            "--set", f"server.mode={case.mode}", "--set", f"server.service_mean_s={SERVICE_MEAN_S * scale!r}",
            "--set", "regions.servers=[" + SERVER % case.c + "]", "--slot-s", repr(60.0 * scale),
            "--micro", "central-fcfs", "--seed", str(seed)]


def run_one(sim, src, case, seed, customers, tmp):
    """One replication with --out: the figures of its summary.json."""
    out = os.path.join(tmp, f"{case.mode}-{case.c}-{case.rho}-{seed}")
    cmd = command(sim, src, case, seed, customers, 1.0) + ["--quiet", "--out", out]
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr[-500:]}")
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    shutil.rmtree(out)
    req = s["requests"]
    return {"seed": seed, "n": req["completed"], "arrived": req["arrived"],
            "wq": s["latency_s"]["queue"]["mean"], "w": s["latency_s"]["e2e"]["mean"],
            "L": req["time_avg_in_system"], "T": s["sim_time_s"], "wall_s": time.time() - t0}


FAST_SCALE = 1000.0


def run_fast(sim, src, case, seed, customers, tmp):
    """One replication without --out, read from the stdout table. requests.csv costs about
    85% of a run's time (formatting 17 fields per request), so the full plan reads the table
    instead. The table prints 4 decimals: the run is the same queue with every time multiplied
    by FAST_SCALE (service mean, arrival gaps and slot length; the exponential draws scale
    exactly, so it is the same sample path), which puts the rounding below 1e-4 relative.
    The table has no time-average number in system: Little's law is checked on the --out
    replications (see main)."""
    cmd = command(sim, src, case, seed, customers, FAST_SCALE)
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr[-500:]}")
    got = {}
    for line in p.stdout.splitlines():
        f = line.split()
        if f[:1] == ["requests"]:
            got["arrived"], got["n"] = int(f[1]), int(f[3])
        elif f[:1] in (["queue"], ["e2e"]):
            got["wq" if f[0] == "queue" else "w"] = float(f[1]) / FAST_SCALE
    if len(got) != 4:
        raise RuntimeError(f"{' '.join(cmd)}: cannot read the summary table:\n{p.stdout}")
    return dict(got, seed=seed, wall_s=time.time() - t0)


def mean_ci(xs):
    n = len(xs)
    m = sum(xs) / n
    if n < 2:
        return m, float("nan"), float("nan")
    var = sum((x - m) ** 2 for x in xs) / (n - 1)
    return m, t975(n - 1) * math.sqrt(var / n), var


def tolerance(hw, r):
    """Relative tolerance on a mean whose 95% CI half-width is hw (relative) over r
    replications: TOL_MEAN, unless the run is too short for TOL_MEAN to be a sound test (its
    standard error above TOL_MEAN / Z_GUARD), in which case Z_GUARD standard errors, and the
    check is marked CI-limited. With the full plan (hw <= TARGET_HW) it is always TOL_MEAN."""
    return max(TOL_MEAN, Z_GUARD * hw / t975(r - 1))


def analyse(c, reps, n, little_reps):
    """Figures of one case from its replications (reps) and the --out replications that carry
    the time-average number in system (little_reps: reps themselves in the CI plan)."""
    line = {"case": c.name, "R": len(reps), "n": n,
            "seeds": f"{reps[0]['seed']}..{reps[-1]['seed']}", "customers": sum(x["n"] for x in reps),
            "ok": True}
    for key, theory in (("wq", c.wq), ("w", c.w)):
        m, hw, var = mean_ci([x[key] for x in reps])
        err = (m - theory) / theory
        tol = tolerance(hw / theory, len(reps))
        ok = abs(err) <= tol
        line["ok"] &= ok
        line[key] = {"theory": theory, "sim": m, "err": err, "hw": hw / theory, "ok": ok,
                     "tol": tol, "k": var * n / theory ** 2}
    # Little's law on every --out replication: the simulator's time-average number in system
    # over [0, T] against lambda_eff W with lambda_eff = completed / T over the same window (see
    # docs/validation.md).
    line["little"] = max(abs(x["L"] - x["n"] / x["T"] * x["w"]) / (x["n"] / x["T"] * x["w"])
                         for x in little_reps)
    line["little_runs"] = len(little_reps)
    # The arrival generator: all arrivals against lambda x total duration (= n per replication);
    # standard error 1/sqrt(R n), at most 0.2% here (one short replication alone would be too
    # noisy for a 1% check).
    line["lam_signed"] = sum(x["arrived"] for x in reps) / (len(reps) * n) - 1
    line["lam"] = abs(line["lam_signed"])
    line["ok"] &= line["little"] <= TOL_LITTLE and line["lam"] <= TOL_LITTLE
    # Full plan: the --out rerun of the first seed must be the same run as the fast one.
    line["same"] = 0.0
    if little_reps is not reps:
        a, b = reps[0], little_reps[0]
        line["same"] = max(abs(a[k] - b[k]) / b[k] for k in ("wq", "w"))
        line["ok"] &= line["same"] <= 1e-4 and a["n"] == b["n"]
    line["cpu_s"] = sum(x["wall_s"] for x in reps)
    return line


def report(rows, markdown):
    for l in rows:
        for key in ("wq", "w"):
            q = l[key]
            print(f"{'ok  ' if q['ok'] else 'FAIL'} {l['case']:<15} {key.upper():<2} theory {q['theory']:.6f} "
                  f"sim {q['sim']:.6f} err {100 * q['err']:+.3f}% (tol {100 * q['tol']:.2f}%"
                  f"{', CI-limited' if q['tol'] > TOL_MEAN else ''}) "
                  f"CI +-{100 * q['hw']:.3f}% R={l['R']} n={l['n']} k={q['k']:.0f}")
        ok = l["little"] <= TOL_LITTLE and l["lam"] <= TOL_LITTLE
        print(f"{'ok  ' if ok else 'FAIL'} {l['case']:<15} Little: max |L/(lam_eff W) - 1| = {l['little']:.1e}, "
              f"{l['little_runs']} runs; arrivals/expected - 1 = {100 * l['lam_signed']:+.3f}% (tol "
              f"{100 * TOL_LITTLE:g}%); fast = --out run: {l['same']:.1e} "
              f"[{l['R']} runs, {l['cpu_s']:.0f} s]")
    if markdown:
        print()
        print("| case | | theory (s) | simulated (s) | error | 95% CI | run length | seeds |")
        print("|---|---|--:|--:|--:|--:|--:|---|")
        for l in rows:
            for key, nm in (("wq", "Wq"), ("w", "W")):
                q = l[key]
                print(f"| {l['case']} | {nm} | {q['theory']:.6f} | {q['sim']:.6f} | {100 * q['err']:+.2f}% | "
                      f"+-{100 * q['hw']:.2f}% | {l['R']} x {l['n']:,} | {l['seeds']} |")
        print()
        print("| case | max over runs abs(L / (lambda_eff W) - 1) | all runs: arrivals / (lambda x duration) - 1 |")
        print("|---|--:|--:|")
        for l in rows:
            print(f"| {l['case']} | {l['little']:.1e} | {100 * l['lam_signed']:+.3f}% |")


def evaluate(sim, src, sel, plan, jobs, fast=False):
    """Runs every replication of the selected cases (plan: name -> (R, n)) on a pool of `jobs`
    processes; fast: replications read from the stdout table, plus the first seed of each case
    rerun with --out for Little's law. Returns (one analyse() row per case, the figures)."""
    tmp = tempfile.mkdtemp(prefix="torta-val-")
    try:
        with ThreadPoolExecutor(max_workers=jobs) as ex:
            # Longest runs first so the pool stays busy to the end.
            order = sorted(((c, s) for c in sel for s in c.seeds(plan[c.name][0])),
                           key=lambda cs: -plan[cs[0].name][1] / cs[0].rho)
            fut = {(c.name, s): ex.submit(run_fast if fast else run_one, sim, src, c, s,
                                          plan[c.name][1], tmp) for c, s in order}
            lit = {c.name: ex.submit(run_one, sim, src, c, c.seeds(1)[0], plan[c.name][1], tmp)
                   for c in sel} if fast else {}
            res = {c.name: [fut[(c.name, s)].result() for s in c.seeds(plan[c.name][0])] for c in sel}
            lres = {name: [f.result()] for name, f in lit.items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return analyse_all(sel, plan, res, lres), {"runs": res, "little_runs": lres}


def analyse_all(sel, plan, res, lres):
    return [analyse(c, res[c.name], plan[c.name][1], lres.get(c.name, res[c.name])) for c in sel]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sim", default=os.environ.get("TORTA_SIM", "build/torta-sim"))
    ap.add_argument("--source", default=os.environ.get("TORTA_SOURCE_DIR", "."))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--slow", action="store_true", help="every replication with --out")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--pilot")
    ap.add_argument("--save", help="write every replication's figures to this JSON file")
    ap.add_argument("--load", help="analyse the figures saved by --save instead of running")
    args = ap.parse_args(argv)

    sel = [c for c in cases() if not args.only or any(o == c.name for o in args.only)]
    plan = {}
    for c in sel:
        if args.pilot:
            plan[c.name] = tuple(int(x) for x in args.pilot.split(","))
        else:
            plan[c.name] = c.quick_plan() if args.quick else c.full_plan()
        r, n = plan[c.name]
        if not args.load:
            print(f"plan {c.name}: {r} replications x {n} customers, "
                  f"seeds {c.seeds(r)[0]}..{c.seeds(r)[-1]}", flush=True)

    t0 = time.time()
    if args.load:
        with open(args.load) as f:
            saved = json.load(f)
        sel = [c for c in sel if c.name in saved["runs"]]
        plan = {c.name: tuple(saved["plan"][c.name]) for c in sel}
        rows = analyse_all(sel, plan, saved["runs"], saved.get("little_runs", {}))
    else:
        rows, res = evaluate(args.sim, args.source, sel, plan, args.jobs, fast=not args.slow)
    wall = time.time() - t0
    if args.save and not args.load:
        with open(args.save, "w") as f:
            json.dump(dict(res, plan=plan), f, indent=1)
    report(rows, args.markdown)
    print(f"wall {wall:.1f} s", flush=True)
    return 0 if all(l["ok"] for l in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
