#!/usr/bin/env -S /usr/bin/python3
"""Figures of the paper experiment for one topology (scripts/paper_experiment.py; docs/results.md).

    /usr/bin/python3 scripts/paper_figures.py OUT/<topology> [--bound OUT/bound/<topology>] --seed 1
        --out FIGDIR [--cdf RUN ...]

Writes into FIGDIR, per workload@load of the sweep:
  capacity-<w>.png   capacity against demand over time for the regions with the most demand:
                     offered requests/s, and the saturation capacity of active servers under
                     torta and reactive (slots.csv of the seed's sweep points) and the
                     perfect-foresight bound's plan (BOUND/<w>__s<seed>/bound_slots.csv);
  cost-<w>.png       cost by ledger component per scheduler, mean over seeds (sweep.csv);
  cdf-<w>.png        TTFT and e2e CDFs of torta, reactive and skylb: the seed's sweep points, or
                     the --cdf folders <anything>/<w>/<scheduler>__s<seed>. Each run's
                     requests.csv (or .gz) when it wrote one (exact), else its latency.csv
                     (histogram buckets: within 0.1%).
Each figure's numbers are also written next to it as <figure>.csv.
"""
import argparse
import csv
import gzip
import os
import re

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from figures import latency_path, read_histograms  # noqa: E402

COMPONENTS = ["reserved", "on_demand", "spot", "energy", "network", "switching", "migration", "carbon"]
N_REGIONS = 4


def point_dirs(top, rows, seed):
    """{(workload, scheduler): folder} of the seed's points of sweep.csv."""
    return {(r["workload"], r["scheduler"]): os.path.join(top, r["point"]) for r in rows if r["seed"] == str(seed)}


def per_region(path, value, demand=None):
    """{region: ([t hours], [value])} from a slots.csv-like file (or its .gz)."""
    out = {}
    with (gzip.open(path, "rt", newline="") if path.endswith(".gz") else open(path, newline="")) as f:
        for r in csv.DictReader(f):
            t = float(r["start_s"]) / 3600
            d = out.setdefault(r["region"], ([], [], []))
            d[0].append(t)
            d[1].append(float(r[value]))
            d[2].append(float(r[demand]) if demand else 0.0)
    return out


def capacity_figure(points, bound_dir, topo, key, seed, path):
    series = {}
    for s in ("torta", "reactive"):
        folder = points.get((key, s), "")
        f = os.path.join(folder, "slots.csv.gz")
        if not os.path.exists(f):
            f = os.path.join(folder, "slots.csv")
        if (key, s) in points and os.path.exists(f):
            series[s] = per_region(f, "capacity_rps", "offered_rps")
    b = os.path.join(bound_dir or "", f"{key}__s{seed}", "bound_slots.csv")
    if bound_dir and os.path.exists(b):
        series["bound"] = per_region(b, "capacity_rps", "demand_rps")
    if "reactive" not in series:
        return
    demand = series["reactive"]
    regions = sorted(demand, key=lambda g: -sum(demand[g][2]))[:N_REGIONS]
    fig, axes = plt.subplots(1, len(regions), figsize=(3.2 * len(regions), 2.8), sharey=True, squeeze=False)
    rows = []
    for ax, g in zip(axes[0], regions):
        ax.plot(demand[g][0], demand[g][2], color="0.6", lw=0.8, label="offered (req/s)")
        for s, style in (("torta", "C0"), ("reactive", "C1"), ("bound", "C2")):
            if s in series and g in series[s]:
                t, c, _ = series[s][g]
                ax.step(t, c, where="post", color=style, lw=1, label=f"{s} capacity")
                rows += [{"region": g, "series": s, "t_h": x, "capacity_rps": y} for x, y in zip(t, c)]
        rows += [{"region": g, "series": "offered", "t_h": x, "capacity_rps": y}
                 for x, y in zip(demand[g][0], demand[g][2])]
        ax.set_title(g, fontsize=9)
        ax.set_xlabel("hour")
    axes[0][0].set_ylabel("requests/s")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{topo}, {key}: capacity against demand (seed {seed})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    write_csv(path, rows)


def cost_figure(rows, key, path):
    by = {}
    for r in rows:
        if r["workload"] == key and r.get("cost_usd.total", ""):
            by.setdefault(r["scheduler"], []).append(r)
    if not by:
        return
    names = list(by)
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(names)), 3.4))
    bottom = [0.0] * len(names)
    out = []
    for c in COMPONENTS:
        vals = [sum(float(r[f"cost_usd.{c}"]) for r in by[n]) / len(by[n]) for n in names]
        if any(vals):
            ax.bar(names, vals, bottom=bottom, label=c.replace("_", "-"))
            bottom = [a + b for a, b in zip(bottom, vals)]
            out += [{"scheduler": n, "component": c, "usd": v} for n, v in zip(names, vals)]
    ax.set_ylabel("USD (mean over seeds)")
    ax.set_title(f"{key}: cost by component", fontsize=10)
    ax.tick_params(axis="x", rotation=60, labelsize=7)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    write_csv(path, out)


def open_requests(folder):
    """folder/requests.csv, or requests.csv.gz (output.compress = "gzip") decompressed as read."""
    gz = os.path.join(folder, "requests.csv.gz")
    if os.path.exists(gz) and not os.path.exists(os.path.join(folder, "requests.csv")):
        return gzip.open(gz, "rt", newline="")
    return open(os.path.join(folder, "requests.csv"), newline="")


def exact_cdf(rows, col):
    """(x, share of requests <= x, q -> the (floor(q n) + 1)-th smallest value) of completed rows."""
    xs = sorted(float(r[col]) for r in rows)
    ys = [(i + 1) / len(xs) for i in range(len(xs))]
    return xs, ys, lambda q: xs[min(len(xs) - 1, int(q * len(xs)))]


def binned_cdf(h):
    """The same from latency.csv's buckets of one metric: the CDF at both bounds of each bucket
    (exact there; a straight line within a bucket, at most 1/512 wide), and the value of the same
    rank as the middle of its bucket (within 1/1024)."""
    lo, hi, count = h
    cum = np.cumsum(count)
    n = int(cum[-1])
    xs = np.column_stack([lo, hi]).ravel()
    ys = np.column_stack([cum - count, cum]).ravel() / n
    keep = np.isfinite(xs) & (xs > 0)      # the log axis: not the bucket below 2^-24 s, nor above 2^24 s
    mid = np.where(np.isfinite(hi), 0.5 * (lo + hi), lo)
    return xs[keep], ys[keep], lambda q: float(mid[np.searchsorted(cum, min(n, int(q * n) + 1))])


def run_cdfs(folder):
    """{column: exact_cdf or binned_cdf} for ttft_s and e2e_s of one run."""
    cols = ("ttft_s", "e2e_s")
    if os.path.exists(os.path.join(folder, "requests.csv")) or os.path.exists(os.path.join(folder, "requests.csv.gz")):
        rows = [r for r in csv.DictReader(open_requests(folder)) if r["status"] == "completed"]
        return {c: exact_cdf(rows, c) for c in cols}
    if latency_path(folder) is None:
        raise SystemExit(f"{folder}: neither requests.csv nor latency.csv (the CDF needs one of them)")
    hs = read_histograms(latency_path(folder))
    return {c: binned_cdf(hs[c]) for c in cols if c in hs}


def cdf_figure(runs, key, path):
    """runs: {scheduler: run folder} of this workload@load."""
    if not runs:
        return
    fig, axes = plt.subplots(1, 2, figsize=(8, 3), sharey=True)
    out = []
    for s, d in runs.items():
        cdfs = run_cdfs(d)
        for ax, col in zip(axes, ("ttft_s", "e2e_s")):
            if col not in cdfs:
                continue
            xs, ys, at = cdfs[col]
            ax.plot(xs, ys, lw=1, label=s)
            ax.set_xscale("log")
            ax.set_xlabel(col.replace("_s", " (s)").replace("e2e", "response time").replace("ttft", "TTFT"))
            for q in (0.5, 0.9, 0.95, 0.99):
                out.append({"scheduler": s, "metric": col, "quantile": q, "value": at(q)})
    axes[0].set_ylabel("share of requests")
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{key}: response-time CDFs", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    write_csv(path, out)


def cdf_runs(points, folders, key):
    """{scheduler: folder} of torta, reactive and skylb for workload@load `key`: the --cdf folders
    .../<key>/<scheduler>__s<seed> when given, else the seed's sweep points."""
    if folders:
        mine = [d for d in folders if os.path.basename(os.path.dirname(os.path.normpath(d))) == key]
        return {os.path.basename(os.path.normpath(d)).rsplit("__s", 1)[0].replace("+", "/"): d for d in mine}
    return {s: points[(key, s)] for s in ("torta", "reactive", "skylb") if (key, s) in points}


def write_csv(fig_path, rows):
    if rows:
        with open(fig_path[:-4] + ".csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("top", help="the topology's sweep folder, OUT/<topology>")
    ap.add_argument("--bound", help="the topology's bound folder, OUT/bound/<topology>")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cdf", nargs="*", default=[], help="folders .../<workload@load>/<scheduler>__s<seed> to draw the "
                    "CDFs from instead of the sweep's points")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rows = list(csv.DictReader(open(os.path.join(a.top, "sweep.csv"))))
    topo = os.path.basename(os.path.normpath(a.top))
    points = point_dirs(a.top, rows, a.seed)
    for key in dict.fromkeys(r["workload"] for r in rows):
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", key)
        capacity_figure(points, a.bound, topo, key, a.seed, os.path.join(a.out, f"capacity-{safe}.png"))
        cost_figure(rows, key, os.path.join(a.out, f"cost-{safe}.png"))
        cdf_figure(cdf_runs(points, a.cdf, key), key, os.path.join(a.out, f"cdf-{safe}.png"))


if __name__ == "__main__":
    main()
