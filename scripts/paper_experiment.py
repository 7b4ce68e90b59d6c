#!/usr/bin/env -S /usr/bin/python3
"""The paper's experiment in the capacity regime, in one command (configs/experiments/paper.json;
docs/results.md).

    /usr/bin/python3 scripts/paper_experiment.py [--spec configs/experiments/paper.json]
        [--out results/paper] [--build build] [--jobs N] [--retrain] [--seeds 1-5]
        [--topologies abilene,geant] [--no-bound] [--no-figures]

1. Calibrates each topology x workload x load: a pilot run (local routing, reserved servers only,
   the workload at its nominal rate) measures the global peak offered rate against the reserved
   servers' saturation capacity; the workload's rate (or the trace's --rate-scale) is scaled so
   that this ratio is the spec's load (moderate 0.6, heavy 1.0); a second pilot at that rate
   states the load regime (mean and max region load, share of region-slots over capacity).
2. Trains the RL variants' policies for the spec's settings that are missing
   (configs/policies/<topology>.<variant>.capacity.json; --retrain trains them again) on the
   training workload and load, episode seeds 1001+ (evaluation uses seeds 1-5).
3. Runs a resumable `torta-sim sweep` per topology (every workload@load x scheduler x seed) and
   the perfect-foresight bound (`torta-sim bound`) per workload@load x seed.
4. Writes OUT/results.md (tables with 95% CIs, the paper's claims, the share of the gap between
   the best reactive baseline and the bound that TORTA closes, and where it comes from),
   OUT/results.csv, and the figures (scripts/paper_figures.py) into OUT/figures/.
Layout: OUT/<topology>/ (the sweep), OUT/bound/<topology>/, OUT/calibration/, OUT/figures/,
OUT/specs/. Rerunning reuses the calibration, the policies and every finished run. Runs keep
slots.csv.gz (the spec sets output.compress), summary.json and latency.csv (requests.csv is off); the response-time CDFs of torta,
reactive and skylb on the first seed come from the sweep points' latency.csv (histogram buckets,
within 0.1%), with no reruns (before, they were rerun with requests.csv: over 10 minutes and up
to 5 GB per topology).
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time

from train_policies import network_name, record_commands, run_all, train_command, trained

T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228]
METRICS = [("latency_s.e2e.mean", "mean e2e (s)", 2), ("latency_s.e2e.p95", "p95 e2e (s)", 1),
           ("latency_s.ttft.mean", "mean TTFT (s)", 2), ("latency_s.ttft.p95", "p95 TTFT (s)", 2),
           ("slo.attainment", "SLO met", 3), ("load_balance.region_load_std", "load std", 3),
           ("cost_usd.reserved", "reserved $", 0), ("cost_usd.on_demand", "on-demand $", 0),
           ("cost_usd.network", "egress $", 1), ("cost_usd.energy", "energy $", 0),
           ("cost_usd.total", "total $", 0), ("capacity.server_starts", "starts", 0),
           ("capacity.server_stops", "stops", 0), ("migrations", "migrations", 0)]
# What the perfect-foresight bound counts: GPU billing by class and network egress.
BOUND_PARTS = ("reserved", "on_demand", "spot", "network")
# Baselines whose capacity is decided by the reactive autoscaler (the spec's capacity.autoscaler).
REACTIVE = ("reactive", "skylb", "local", "exact-ot", "ot-reactive")
# TORTA's parts: (the ablation, what it removes), each against torta/jsq (same micro scheduler).
PARTS = [("torta-no-forecast", "forecasts"), ("rl-only", "optimal transport"), ("torta-no-rl", "PPO"),
         ("torta-no-smooth", "smoothing")]


def mean_ci(xs):
    n = len(xs)
    m = sum(xs) / n
    if n < 2:
        return m, float("nan")
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    t = T975[n - 2] if n - 2 < len(T975) else 1.96
    return m, t * sd / math.sqrt(n)


def run(cmd, **kw):
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, **kw)


def reserved_only(servers):
    return [s for s in servers if s.get("class", "reserved") == "reserved"]


def workload_args(w, scale=None):
    """Command-line arguments of a spec workload; `scale` is its rate (synthetic) or --rate-scale."""
    if "workload" in w:
        rate = w["pilot_rate"] if scale is None else scale
        return ["--workload", w["workload"].replace("{rate}", f"{rate:.6g}")]
    return ["--trace", w["trace"], "--rate-scale", f"{1.0 if scale is None else scale:.6g}"]


def sweep_workload(w, load, scale):
    name = f"{w['name']}@{load}"
    if "workload" in w:
        return {"name": name, "workload": w["workload"].replace("{rate}", f"{scale:.6g}")}
    return {"name": name, "trace": w["trace"], "rate_scale": float(f"{scale:.6g}")}


def pilot(sim, spec, topo, w, scale, tmp):
    """Local routing on the reserved servers: (global peak offered / reserved capacity, mean
    region load, max region load, share of region-slots over 1)."""
    out = os.path.join(tmp, "pilot")
    run([sim, "--topology", topo["file"], *workload_args(w, scale), "--slot-s", str(spec["slot_s"]),
         "--set", "regions.servers=" + json.dumps(reserved_only(topo["servers"])),
         "--set", "capacity.autoscaler=static", "--set", "output.requests_csv=false",
         "--macro", "local", "--micro", "jsq", "--quiet", "--force", "--out", out], stderr=subprocess.DEVNULL)
    slots = {}
    loads = []
    for r in csv.DictReader(open(os.path.join(out, "slots.csv"))):
        if float(r["end_s"]) - float(r["start_s"]) < spec["slot_s"] - 1e-6:
            continue  # the run's last, partial slot
        o, c = slots.get(r["slot"], (0.0, 0.0))
        slots[r["slot"]] = (o + float(r["offered_rps"]), c + float(r["capacity_rps"]))
        loads.append(float(r["load"]))
    peak = max(o / c for o, c in slots.values() if c > 0)
    return peak, sum(loads) / len(loads), max(loads), sum(x > 1 for x in loads) / len(loads)


def calibrate(sim, spec, topo, out):
    """{workload@load: {scale, peak, mean_load, max_load, over}} for this topology, cached."""
    path = os.path.join(out, "calibration", topo["name"] + ".json")
    if os.path.exists(path):
        return json.load(open(path))
    cal = {}
    with tempfile.TemporaryDirectory() as tmp:
        for w in spec["workloads"]:
            nominal = w.get("pilot_rate", 1.0)
            peak0 = pilot(sim, spec, topo, w, None, tmp)[0]
            for load, target in spec["loads"].items():
                scale = nominal * target / peak0
                peak, mean, mx, over = pilot(sim, spec, topo, w, scale, tmp)
                cal[f"{w['name']}@{load}"] = {"scale": scale, "target": target, "peak": peak, "mean_load": mean,
                                              "max_load": mx, "over": over}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(cal, f, indent=2)
    return cal


def run_args(spec, topo):
    args = ["--topology", topo["file"], "--slot-s", str(spec["slot_s"]),
            "--set", "regions.servers=" + json.dumps(topo["servers"])]
    for k, v in spec.get("set", {}).items():
        args += ["--set", f"{k}={json.dumps(v)}"]
    return args


def policy_jobs(spec, topo, sim, cal, retrain):
    """(path -> command, the commands to run) of this topology's policies."""
    tr = spec["train"]
    w = next(w for w in spec["workloads"] if w["name"] == tr["workload"])
    scale = cal[f"{w['name']}@{tr['load']}"]["scale"]
    args = run_args(spec, topo) + workload_args(w, scale)
    for k, v in tr.get("set", {}).items():
        args += ["--set", f"{k}={json.dumps(v)}"]
    net = network_name(sim, topo["file"])
    records, pending = {}, []
    for v in tr["variants"]:
        path = os.path.join("configs", "policies", f"{net}.{v}.{tr['tag']}.json")
        cmd = train_command(sim, args, v, tr["episodes"], tr["seed"], path)
        records[path] = cmd
        if retrain or not trained(path, tr["episodes"]):
            pending.append(cmd)
    return records, pending


def seeds_of(text):
    out = []
    for part in str(text).split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def bounds(sim, spec, topo, cal, seeds, out, jobs):
    """Runs the missing bound LPs of this topology; {(workload@load, seed): GPU + egress USD}."""
    cmds, where = [], {}
    for w in spec["workloads"]:
        for load in spec["loads"]:
            key = f"{w['name']}@{load}"
            for s in seeds:
                d = os.path.join(out, "bound", topo["name"], f"{key}__s{s}")
                where[(key, s)] = d
                if not os.path.exists(os.path.join(d, "bound.json")):
                    cmds.append([sim, "bound", *run_args(spec, topo), *workload_args(w, cal[key]["scale"]),
                                 "--seed", str(s), "--bound-slot-s", str(spec["bound"]["bound_slot_s"]),
                                 "--quiet", "--force", "--out", d])
    run_all(cmds, jobs)
    res = {}
    for k, d in where.items():
        c = json.load(open(os.path.join(d, "bound.json")))["cost_usd"]
        res[k] = sum(c.get(p, 0.0) for p in BOUND_PARTS)
    return res


def gpu_egress(r):
    return sum(float(r[f"cost_usd.{k}"]) for k in BOUND_PARTS)


def paired(rows, a, b, metric):
    """Mean and CI of the per-seed relative change (a - b) / b in percent, paired by seed."""
    xa = {r["seed"]: metric(r) for r in rows.get(a, [])}
    xb = {r["seed"]: metric(r) for r in rows.get(b, [])}
    d = [100 * (xa[s] - xb[s]) / xb[s] for s in xa if s in xb and xb[s]]
    return mean_ci(d) if d else (float("nan"), float("nan"))


def fmt(m, ci, digits):
    if math.isnan(m):
        return "n/a"
    return f"{m:.{digits}f}" + ("" if math.isnan(ci) else f" ± {ci:.{digits}f}")


def fmt_change(m, ci):
    if math.isnan(m):
        return "n/a"
    sig = "" if math.isnan(ci) or abs(m) > ci else " (n.s.)"
    return f"{m:+.1f}% ± {ci:.1f}{sig}" if not math.isnan(ci) else f"{m:+.1f}%"


def verdict(changes):
    """holds: better than every reference (lower, significantly at 95% and by at least 1%);
    partly: than some; does not hold: than none."""
    better = [not math.isnan(ci) and m < -ci and m <= -1.0 for m, ci in changes]
    return "holds" if all(better) else "partly" if any(better) else "does not hold"


def summarise(spec, out, cal_all, bound_all, seeds):
    lines, table, claims = [], [], []
    for topo in spec["topologies"]:
        path = os.path.join(out, topo["name"], "sweep.csv")
        if not os.path.exists(path):
            continue
        groups = {}
        for r in csv.DictReader(open(path)):
            if r.get("latency_s.e2e.mean", "") == "":
                continue
            r["gpu_egress"] = gpu_egress(r)
            groups.setdefault(r["workload"], {}).setdefault(r["scheduler"], []).append(r)
        for key, by in groups.items():
            cal = cal_all[topo["name"]][key]
            lines.append(f"### {topo['name']} / {key}\n")
            lines.append(f"Load regime (local routing on the reserved servers): global peak "
                         f"{cal['peak']:.2f} x reserved capacity, mean region load {cal['mean_load']:.2f}, "
                         f"max {cal['max_load']:.2f}, {100 * cal['over']:.1f}% of region-slots over 1.\n")
            cols = METRICS + [("gpu_egress", "GPU + egress $", 0)]
            lines.append("| scheduler | " + " | ".join(c[1] for c in cols) + " |")
            lines.append("|---|" + "---|" * len(cols))
            for s in spec["schedulers"]:
                if s not in by:
                    continue
                cells = []
                for m, _, dg in cols:
                    mu, ci = mean_ci([float(r[m]) for r in by[s]])
                    cells.append(fmt(mu, ci, dg))
                    table.append({"topology": topo["name"], "workload": key, "scheduler": s, "metric": m,
                                  "mean": mu, "ci95": ci, "seeds": len(by[s])})
                lines.append(f"| {s} | " + " | ".join(cells) + " |")
            bvals = [bound_all[(topo["name"], key, sd)] for sd in seeds if (topo["name"], key, sd) in bound_all]
            bmean = bci = float("nan")
            if bvals:
                bmean, bci = mean_ci(bvals)
                lines.append("| bound | " + " | ".join("" for _ in cols[:-1]) + f" | {fmt(bmean, bci, 0)} |")
            lines.append("")
            # The paper's claims: TORTA against the reactive baselines, paired by seed.
            refs = [b for b in ("skylb", "reactive") if b in by]
            if "torta" in by and refs:
                e2e = [paired(by, "torta", b, lambda r: float(r["latency_s.e2e.mean"])) for b in refs]
                lb = [paired(by, "torta", b, lambda r: float(r["load_balance.region_load_std"])) for b in refs]
                cost = [paired(by, "torta", b, lambda r: float(r["cost_usd.total"])) for b in refs]
                claims.append((topo["name"], key, refs, e2e, lb, cost))
                lines.append("TORTA against " + " and ".join(refs) + " (paired by seed; n.s. = 95% CI includes 0): "
                             "mean e2e " + ", ".join(fmt_change(*c) for c in e2e) +
                             "; load std " + ", ".join(fmt_change(*c) for c in lb) +
                             "; total cost " + ", ".join(fmt_change(*c) for c in cost) + ".\n")
            # The gap between the best reactive baseline and the bound that TORTA closes.
            base = [b for b in REACTIVE if b in by]
            if "torta" in by and base and bvals:
                best = min(base, key=lambda b: mean_ci([r["gpu_egress"] for r in by[b]])[0])
                bc = mean_ci([r["gpu_egress"] for r in by[best]])[0]
                tc = mean_ci([r["gpu_egress"] for r in by["torta"]])[0]
                if bc - bmean < 0.01 * bc:
                    lines.append(f"The best reactive baseline ({best}, {bc:.0f} USD of GPU + egress) is within 1% of "
                                 f"the bound ({bmean:.0f} USD): no gap to close; torta {100 * (tc - bc) / bc:+.1f}%.\n")
                    base = []
            if "torta" in by and base and bvals:
                parts = []
                for s in ("torta", "torta/jsq") + tuple(p for p, _ in PARTS):
                    if s in by:
                        c = mean_ci([r["gpu_egress"] for r in by[s]])[0]
                        share = 100 * (bc - c) / (bc - bmean) if bc > bmean else float("nan")
                        parts.append(f"{s} {share:+.0f}%")
                lines.append(f"Share of the GPU + egress cost gap between the best reactive baseline ({best}, "
                             f"{bc:.0f} USD) and the bound ({bmean:.0f} USD) closed: " + ", ".join(parts) + ".\n")
            if "torta/jsq" in by:
                attr = []
                for abl, what in PARTS + [("torta", "the RL micro layer (torta vs torta/jsq)")]:
                    if abl in by:
                        a, b = ("torta", "torta/jsq") if abl == "torta" else ("torta/jsq", abl)
                        e = paired(by, a, b, lambda r: float(r["latency_s.e2e.mean"]))
                        c = paired(by, a, b, lambda r: float(r["cost_usd.total"]))
                        attr.append(f"{what}: e2e {fmt_change(*e)}, cost {fmt_change(*c)}")
                lines.append("What each part does (torta/jsq against the ablation without it, paired by seed; "
                             "negative = the part lowers it): " + "; ".join(attr) + ".\n")
    head = ["## The paper's claims\n",
            "Each cell: TORTA's change against the reactive baselines (SkyLB, then reactive autoscaling + "
            "least-loaded), mean over seeds paired by seed, with the 95% CI; verdict: holds when TORTA is "
            "lower than both, significantly (95%) and by at least 1%; partly when than one.\n",
            "| topology | workload@load | mean response time (paper: up to -15%) | load std (paper: about -4 to -5%) "
            "| operational cost (paper: -10 to -20%) |", "|---|---|---|---|---|"]
    for t, k, refs, e2e, lb, cost in claims:
        head.append(f"| {t} | {k} | " + " | ".join(
            ", ".join(fmt_change(*c) for c in cs) + f": **{verdict(cs)}**" for cs in (e2e, lb, cost)) + " |")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(head + [""] + lines) + "\n")
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=["topology", "workload", "scheduler", "metric", "mean", "ci95", "seeds"])
        wr.writeheader()
        wr.writerows(table)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", default="configs/experiments/paper.json")
    ap.add_argument("--out", default="results/paper")
    ap.add_argument("--build", default="build")
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--seeds", help="override the spec's seeds, e.g. 1-2")
    ap.add_argument("--topologies", help="only these topologies of the spec (names, comma-separated)")
    ap.add_argument("--retrain", action="store_true", help="train the policies even if present")
    ap.add_argument("--no-bound", action="store_true", help="skip the perfect-foresight bound")
    ap.add_argument("--no-figures", action="store_true")
    a = ap.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    sim = os.path.abspath(os.path.join(a.build, "torta-sim"))
    spec = json.load(open(a.spec))
    if a.topologies:
        keep = a.topologies.split(",")
        unknown = set(keep) - {t["name"] for t in spec["topologies"]}
        if unknown:
            sys.exit(f"--topologies: unknown {', '.join(sorted(unknown))}")
        spec["topologies"] = [t for t in spec["topologies"] if t["name"] in keep]
    seeds = seeds_of(a.seeds or spec["seeds"])
    os.makedirs(os.path.join(a.out, "specs"), exist_ok=True)
    t0 = time.time()
    cal = {t["name"]: calibrate(sim, spec, t, a.out) for t in spec["topologies"]}
    t_cal = time.time() - t0
    records, pending = {}, []
    for topo in spec["topologies"]:
        r, p = policy_jobs(spec, topo, sim, cal[topo["name"]], a.retrain)
        records.update(r)
        pending += p
    run_all(pending, a.jobs)
    record_commands(records)
    t_train = time.time() - t0 - t_cal
    bound_all = {}
    for topo in spec["topologies"]:
        sw = {"description": f"{topo['name']}: generated by scripts/paper_experiment.py from {a.spec}",
              "topologies": [{"name": topo["name"], "file": topo["file"]}],
              "workloads": [sweep_workload(w, load, cal[topo["name"]][f"{w['name']}@{load}"]["scale"])
                            for w in spec["workloads"] for load in spec["loads"]],
              "schedulers": spec["schedulers"],
              "seeds": ",".join(map(str, seeds)),
              "set": {"slot_s": spec["slot_s"], "regions.servers": [topo["servers"]], **spec.get("set", {})}}
        path = os.path.join(a.out, "specs", topo["name"] + ".json")
        with open(path, "w") as f:
            json.dump(sw, f, indent=2)
        run([sim, "sweep", path, "--out", os.path.join(a.out, topo["name"]), "--jobs", str(a.jobs), "--quiet"])
        if not a.no_bound:
            for (key, s), v in bounds(sim, spec, topo, cal[topo["name"]], seeds, a.out, a.jobs).items():
                bound_all[(topo["name"], key, s)] = v
    summarise(spec, a.out, cal, bound_all, seeds)
    if not a.no_figures:
        for topo in spec["topologies"]:
            run(["/usr/bin/python3", "scripts/paper_figures.py", os.path.join(a.out, topo["name"]),
                 "--bound", os.path.join(a.out, "bound", topo["name"]), "--seed", str(seeds[0]),
                 "--out", os.path.join(a.out, "figures", topo["name"])])
        curves = sorted(p[:-5] + ".curve.csv" for p in records)
        run(["/usr/bin/python3", "scripts/figures.py", "curve", *curves, "--out", os.path.join(a.out, "figures", "training")])
    du = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(a.out) for f in fs)
    print(f"paper experiment: calibration {t_cal / 60:.1f} min, training {t_train / 60:.1f} min, total "
          f"{(time.time() - t0) / 60:.1f} min; {du / 1e9:.2f} GB in {a.out}; tables in {a.out}/results.md",
          file=sys.stderr)


if __name__ == "__main__":
    main()
