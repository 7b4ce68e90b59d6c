#!/usr/bin/env -S /usr/bin/python3
"""The paper's experiment in one command (configs/experiments/paper.json; docs/results.md).

    /usr/bin/python3 scripts/paper_experiment.py [--spec configs/experiments/paper.json]
        [--out results/paper] [--build build] [--jobs N] [--retrain] [--seeds 1-5] [--no-figures]

For every topology of the spec (a topology may set its own "seeds"): trains the RL variants' policies that are missing from
configs/policies/ (`torta-sim train`, held-out training seeds; the commands are recorded in
configs/policies/COMMANDS.md), runs a resumable `torta-sim sweep` of every scheduler x workload
x seed into OUT/<topology>/, then writes OUT/results.md and OUT/results.csv (mean +- 95% CI per
metric, TORTA's relative change against every other scheduler) and the figures
(scripts/figures.py) into OUT/figures/. Rerunning reuses finished runs and trained policies.
Disk: the runs of the first seed keep their requests.csv (the latency CDF and flow figures read
them; pass --keep-requests all to keep every seed's, about 90 GB); the others' are deleted once
their topology is done, so at most about 30 GB are in use at a time and 18 GB remain.
"""
import argparse
import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

METRICS = [("latency_s.e2e.mean", "mean e2e (s)"), ("latency_s.e2e.p95", "p95 e2e (s)"),
           ("latency_s.ttft.mean", "mean TTFT (s)"), ("load_balance.region_load_std", "load std"),
           ("cost_usd.total", "cost (USD)")]
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228]


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


def network_name(sim, topo):
    with tempfile.TemporaryDirectory() as tmp:
        run([sim, "--topology", topo, "--workload", "poisson:rate_per_s=1,duration_s=1,input_tokens=1,output_tokens=1",
             "--quiet", "--out", os.path.join(tmp, "o")], stderr=subprocess.DEVNULL)
        name = json.load(open(os.path.join(tmp, "o", "summary.json")))["topology"]["name"]
    return re.sub(r"[^A-Za-z0-9._-]", "-", name)


def workload_args(w, rate):
    if "workload" in w:
        return ["--workload", w["workload"].replace("{rate}", str(rate))]
    args = ["--trace", w["trace"]]
    if "rate_scale" in w:
        args += ["--rate-scale", str(w["rate_scale"])]
    return args


def sweep_workload(w, rate):
    if "workload" in w:
        return {"name": w["name"], "workload": w["workload"].replace("{rate}", str(rate))}
    return {k: v for k, v in w.items()}


def prune_requests(folder):
    """Deletes requests.csv of every point but those of the lowest seed (what the figures read)."""
    points = []
    for d in os.listdir(folder):
        pj = os.path.join(folder, d, "point.json")
        if os.path.exists(pj):
            points.append((int(json.load(open(pj))["parameters"]["seed"]), os.path.join(folder, d)))
    first = min((seed for seed, _ in points), default=None)
    for seed, d in points:
        rq = os.path.join(d, "requests.csv")
        if seed != first and os.path.exists(rq):
            os.remove(rq)


def train_policies(spec, topo, sim, retrain, jobs):
    """Trains the missing policies of this topology, `jobs` at a time."""
    tr = spec["train"]
    wl = next(w for w in spec["workloads"] if w["name"] == tr["workload"])
    net = network_name(sim, topo["file"])
    base = ["--topology", topo["file"], *workload_args(wl, topo["diurnal_rate_per_s"]),
            "--slot-s", str(spec["slot_s"]), "--set", "regions.servers=" + json.dumps(topo["servers"])]
    for k, v in tr.get("set", {}).items():
        base += ["--set", f"{k}={json.dumps(v)}"]
    pending, records = [], []
    for variant in tr["variants"]:
        path = os.path.join("configs", "policies", f"{net}.{variant}.json")
        cmd = [sim, "train", *base, "--macro", variant, "--episodes", str(tr["episodes"]),
               "--seed", str(tr["seed"]), "--quiet", "--policy-out", path,
               "--curve-out", path[:-5] + ".curve.csv"]
        records.append((path, cmd))
        if retrain or not os.path.exists(path):
            pending.append(cmd)
    procs = []
    for cmd in pending:
        while len(procs) >= jobs:
            procs.pop(0).wait()
        print("+", " ".join(cmd), file=sys.stderr, flush=True)
        procs.append(subprocess.Popen(cmd))
    for p in procs:
        if p.wait() != 0:
            sys.exit(f"training failed: {' '.join(p.args)}")
    return records


def record_commands(records):
    path = os.path.join("configs", "policies", "COMMANDS.md")
    with open(path, "w") as f:
        f.write("# How the shipped macro policies were made\n\n"
                "Each file below was written by the command beside it (run from the repository root with a\n"
                "Release build in build/), as `scripts/paper_experiment.py` issues it. The same command writes\n"
                "the same file. `<name>.curve.csv` is each one's learning curve.\n\n")
        for p, cmd in records:
            shown = ["torta-sim" if c.endswith("torta-sim") else c for c in cmd]
            f.write(f"## {os.path.basename(p)}\n\n```sh\n" +
                    " ".join(c if re.fullmatch(r"[\w./=:,-]+", c) else "'" + c + "'" for c in shown) +
                    "\n```\n\n")


def read_results(path):
    rows = list(csv.DictReader(open(path)))
    groups = {}
    for r in rows:
        key = (r["workload"], r["scheduler"])
        groups.setdefault(key, []).append(r)
    return groups


def summarise(spec, out):
    lines, table = [], []
    for topo in spec["topologies"]:
        path = os.path.join(out, topo["name"], "sweep.csv")
        groups = read_results(path)
        for w in spec["workloads"]:
            scheds = [s for s in spec["schedulers"] if (w["name"], s) in groups]
            if not scheds:
                continue
            stats = {}
            for s in scheds:
                for m, _ in METRICS:
                    xs = [float(r[m]) for r in groups[(w["name"], s)]]
                    stats[(s, m)] = mean_ci(xs)
                    table.append({"topology": topo["name"], "workload": w["name"], "scheduler": s, "metric": m,
                                  "mean": stats[(s, m)][0], "ci95": stats[(s, m)][1],
                                  "seeds": len(groups[(w["name"], s)])})
            lines.append(f"### {topo['name']} / {w['name']}\n")
            lines.append("| scheduler | " + " | ".join(label for _, label in METRICS) + " |")
            lines.append("|---|" + "---|" * len(METRICS))
            for s in scheds:
                cells = []
                for m, _ in METRICS:
                    mu, ci = stats[(s, m)]
                    cells.append(f"{mu:.4g} ± {ci:.2g}" if not math.isnan(ci) else f"{mu:.4g}")
                lines.append(f"| {s} | " + " | ".join(cells) + " |")
            if "torta" in scheds:
                lines.append("\nTORTA's relative change against each scheduler (negative = TORTA lower):\n")
                lines.append("| against | " + " | ".join(label for _, label in METRICS) + " |")
                lines.append("|---|" + "---|" * len(METRICS))
                for s in scheds:
                    if s == "torta":
                        continue
                    cells = []
                    for m, _ in METRICS:
                        b = stats[(s, m)][0]
                        cells.append(f"{100 * (stats[('torta', m)][0] - b) / b:+.1f}%" if b else "n/a")
                    lines.append(f"| {s} | " + " | ".join(cells) + " |")
            lines.append("")
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
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
    ap.add_argument("--retrain", action="store_true", help="train the policies even if present")
    ap.add_argument("--no-figures", action="store_true")
    ap.add_argument("--keep-requests", choices=("first", "all"), default="first",
                    help="keep requests.csv of the first seed's runs only (default) or of all runs")
    a = ap.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    sim = os.path.abspath(os.path.join(a.build, "torta-sim"))
    spec = json.load(open(a.spec))
    os.makedirs(os.path.join(a.out, "specs"), exist_ok=True)
    t0 = time.time()
    records = []
    for topo in spec["topologies"]:
        records += train_policies(spec, topo, sim, a.retrain, a.jobs)
    record_commands(records)
    t_train = time.time() - t0
    for topo in spec["topologies"]:
        sw = {"description": f"{topo['name']}: generated by scripts/paper_experiment.py from {a.spec}",
              "topologies": [{"name": topo["name"], "file": topo["file"]}],
              "workloads": [sweep_workload(w, topo["diurnal_rate_per_s"]) for w in spec["workloads"]],
              "schedulers": spec["schedulers"],
              "seeds": a.seeds or topo.get("seeds", spec["seeds"]),
              "set": {"slot_s": spec["slot_s"], "regions.servers": [topo["servers"]]}}
        path = os.path.join(a.out, "specs", topo["name"] + ".json")
        with open(path, "w") as f:
            json.dump(sw, f, indent=2)
        run([sim, "sweep", path, "--out", os.path.join(a.out, topo["name"]), "--jobs", str(a.jobs), "--quiet"])
        if a.keep_requests == "first":
            prune_requests(os.path.join(a.out, topo["name"]))
    summarise(spec, a.out)
    if not a.no_figures:
        for topo in spec["topologies"]:
            run(["/usr/bin/python3", "scripts/figures.py", "compare", os.path.join(a.out, topo["name"]),
                 "--out", os.path.join(a.out, "figures", topo["name"]), "--cdf-seeds", a.keep_requests])
        curves = sorted(p for p, _ in records)
        run(["/usr/bin/python3", "scripts/figures.py", "curve", *[p[:-5] + ".curve.csv" for p in curves],
             "--out", os.path.join(a.out, "figures", "training")])
    print(f"paper experiment: training {t_train / 60:.1f} min, total {(time.time() - t0) / 60:.1f} min; "
          f"tables in {a.out}/results.md", file=sys.stderr)


if __name__ == "__main__":
    main()
