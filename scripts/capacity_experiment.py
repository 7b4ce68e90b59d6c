#!/usr/bin/env -S /usr/bin/python3
"""Capacity over time on the cloud-region graph (docs/results.md, "Capacity over time").

    /usr/bin/python3 scripts/capacity_experiment.py [--out results/capacity] [--build build]
        [--seeds 1-3] [--rate 80] [--micro lect] [--jobs N]

A diurnal day (ShareGPT lengths, regional peaks following each region's time zone) over the 16
cloud regions, H100 servers with Llama-2-70B. Three sizings (configs/experiments/capacity/):
  global-peak           reserved for the expected global peak + an on-demand pool per region
  reserved-global-peak  reserved for the global peak only
  region-peak           reserved for each region's own peak
It prints (and writes to OUT/capacity.md) three markdown tables:
  1. the load regime of each sizing under local routing (mean and max region load, share of
     region-slots over capacity), load = offered requests/s / saturation capacity;
  2. policies on the global-peak sizing (the bound and the share of the static-to-bound gap are
     in GPU billing + egress, what the bound counts), all with the same server-level scheduler (--micro) but
     SkyLB, which brings its own (selective pushing): static (every server on), reactive
     autoscaling with least-loaded routing, local routing and skylb with the reactive
     autoscaler, torta-no-rl with its own capacity plan, and the perfect-foresight bound when
     this build has `torta-sim bound`; with the share of the static-to-bound cost gap closed;
  3. SkyLB's headline: reserve per region for its own peak (local routing) against reserve for
     the global peak (skylb routing), next to the paper's reported 25% lower serving cost.
Rerunning reuses finished runs (compare resumes).
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys

from paper_experiment import mean_ci

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CFG = os.path.join(ROOT, "configs/experiments/capacity")
TOPO = os.path.join(ROOT, "topologies/cloud-regions.json")
LENGTHS = os.path.join(ROOT, "traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv")
METRICS = [("latency_s.e2e.mean", "mean e2e (s)", 2), ("latency_s.e2e.p95", "p95 e2e (s)", 1),
           ("latency_s.ttft.mean", "mean TTFT (s)", 3), ("load_balance.region_load_std", "region load std", 3),
           ("cost_usd.reserved", "reserved (USD)", 0), ("cost_usd.on_demand", "on-demand (USD)", 0),
           ("gpu_egress", "GPU + egress (USD)", 0), ("cost_usd.total", "total cost (USD)", 0),
           ("capacity.server_starts", "server starts", 0)]
# What the perfect-foresight bound also counts: GPU billing by class and network egress.
BOUND_PARTS = ("reserved", "on_demand", "spot", "network")


def gpu_egress(r):
    return sum(float(r[f"cost_usd.{k}"]) for k in BOUND_PARTS)


def fmt(m, ci, digits):
    return f"{m:.{digits}f}" + ("" if math.isnan(ci) else f" ± {ci:.{digits}f}")


def run(cmd):
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout


def workload(rate):
    return f"diurnal:rate_per_s={rate},duration_s=86400,lengths={LENGTHS}"


def compare(sim, out, config, schedulers, seeds, args, extra=()):
    run([sim, "compare", "--topology", TOPO, "--workload", workload(args.rate), "--config", config,
         "--schedulers", ",".join(schedulers), "--seeds", seeds, "--micro", args.micro,
         "--set", "output.requests_csv=false", "--jobs", str(args.jobs), "--quiet", "--out", out, *extra])
    rows = list(csv.DictReader(open(os.path.join(out, "compare.csv"))))
    by = {}
    for r in rows:
        by.setdefault(r["scheduler"], []).append(r)
    return by


def load_regime(out_dir):
    """Mean and max region load and the share of region-slots over 1, from slots.csv."""
    loads = [float(r["load"]) for r in csv.DictReader(open(os.path.join(out_dir, "slots.csv")))]
    return sum(loads) / len(loads), max(loads), sum(x > 1 for x in loads) / len(loads)


def table(by, names, extra_rows=()):
    head = "| scheduler | " + " | ".join(t for _, t, _ in METRICS) + " |"
    lines = [head, "|" + "---|" * (len(METRICS) + 1)]
    for s in names:
        cells = []
        for key, _, d in METRICS:
            cells.append(fmt(*mean_ci([gpu_egress(r) if key == "gpu_egress" else float(r[key]) for r in by[s]]), d))
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    lines.extend(extra_rows)
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "results/capacity"))
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seeds", default="1-3")
    ap.add_argument("--rate", type=float, default=80)
    ap.add_argument("--micro", default="lect")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    sim = os.path.join(args.build, "torta-sim")
    os.makedirs(args.out, exist_ok=True)
    md = [f"Cloud-region graph (16 regions), diurnal day at {args.rate:g} requests/s (ShareGPT lengths), "
          f"H100 x4 servers with Llama-2-70B, 300 s slots, micro `{args.micro}` for every policy but skylb "
          f"(its own selective pushing, `skylb-push`), "
          f"seeds {args.seeds} (mean ± 95% CI).", ""]
    md.append("```\n" + run([sim, "capacity", "--topology", TOPO, "--workload", workload(args.rate),
                              "--config", os.path.join(CFG, "global-peak.json")]) + "```")

    # 1. Load regime of each sizing under local routing.
    md += ["", "| sizing | reserved / on-demand pool per region | mean region load | max region load | "
           "region-slots over 1 |", "|---|---|---|---|---|"]
    sizing = {"global-peak": "4 / 4", "reserved-global-peak": "4 / 0", "region-peak": "6 / 0"}
    for name, servers in sizing.items():
        by = compare(sim, os.path.join(args.out, f"local-{name}"), os.path.join(CFG, f"{name}.json"),
                     ["local"], args.seeds.split("-")[0], args, ["--set", "capacity.autoscaler=static"])
        folder = os.path.join(args.out, f"local-{name}", f"local__s{args.seeds.split('-')[0]}")
        mean, mx, over = load_regime(folder)
        md.append(f"| {name} | {servers} | {mean:.3f} | {mx:.3f} | {100 * over:.1f}% |")

    # 2. Policies on the global-peak sizing.
    names = ["static", "reactive", "local", "skylb", "torta-no-rl"]
    by = compare(sim, os.path.join(args.out, "global-peak"), os.path.join(CFG, "global-peak.json"), names,
                 args.seeds, args)
    extra = []
    bound = bound_cost(sim, args)
    if bound is not None:
        cost = {k: bound[k] for k in BOUND_PARTS}
        extra.append(f"| perfect-foresight bound | | | | | {cost['reserved']:.0f} | {cost['on_demand']:.0f} | "
                     f"{sum(cost.values()):.0f} | | |")
        static = mean_ci([gpu_egress(r) for r in by["static"]])[0]
        md += ["", "Share of the static-to-bound gap in GPU + egress cost each policy closes: " + ", ".join(
            f"{s} {100 * (static - mean_ci([gpu_egress(r) for r in by[s]])[0]) / (static - sum(cost.values())):.0f}%"
            for s in names if s != "static")]
    md += [""] + table(by, names, extra)

    # 3. SkyLB's headline.
    region = compare(sim, os.path.join(args.out, "region-peak"), os.path.join(CFG, "region-peak.json"),
                     ["local"], args.seeds, args)
    glob = compare(sim, os.path.join(args.out, "reserved-global-peak"), os.path.join(CFG, "reserved-global-peak.json"),
                   ["skylb"], args.seeds, args)
    both = {"local, reserved per region peak": region["local"], "skylb, reserved for the global peak": glob["skylb"]}
    md += [""] + table(both, list(both))
    a = mean_ci([float(r["cost_usd.total"]) for r in region["local"]])[0]
    b = mean_ci([float(r["cost_usd.total"]) for r in glob["skylb"]])[0]
    md += ["", f"Serving cost with skylb and global-peak reservations: {100 * (b - a) / a:+.1f}% "
           "(SkyLB paper: 25% lower)."]
    text = "\n".join(md) + "\n"
    open(os.path.join(args.out, "capacity.md"), "w").write(text)
    print(text)


def bound_cost(sim, args):
    """cost_usd of `torta-sim bound` on the global-peak sizing, or None without it."""
    if "torta-sim bound" not in subprocess.run([sim, "--help"], capture_output=True, text=True).stdout:
        return None
    out = os.path.join(args.out, "bound")
    if not os.path.exists(os.path.join(out, "bound.json")):
        run([sim, "bound", "--topology", TOPO, "--workload", workload(args.rate), "--config",
             os.path.join(CFG, "global-peak.json"), "--quiet", "--out", out])
    return json.load(open(os.path.join(out, "bound.json")))["cost_usd"]


if __name__ == "__main__":
    main()
