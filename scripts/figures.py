#!/usr/bin/env -S /usr/bin/python3
"""Figures from torta-sim outputs, as PNG and PDF (plus a CSV of the plotted numbers for each).

    /usr/bin/python3 scripts/figures.py compare DIR [--out FIGDIR] [--scheduler NAME]
                                               [--cdf-seeds all|first] [--formats png,pdf]
    /usr/bin/python3 scripts/figures.py curve CURVE.csv [CURVE2.csv ...] [--labels A,B]
                                             [--window N] [--out FIGDIR] [--formats png,pdf]

`compare` reads the folder written by `torta-sim compare` or `torta-sim sweep` (manifest.csv,
compare.csv or sweep.csv, and one folder per point) and draws, per (topology, workload, swept
`set` keys) group, one subfolder each when there are several groups:

    latency_cdf          e2e latency CDF and tail (1 - CDF) per scheduler, completed requests
    latency_bars         mean and p95 of e2e and TTFT per scheduler, 95% Student-t CI over seeds
    load_std_over_time   per slot, std across regions of slots.csv `load` (first seed)
    cost_breakdown       stacked mean cost per scheduler: GPU billing by class, energy, carbon, network, migration,
                         switching
    plan_flows           realised inter-region routing of the reference scheduler (first seed):
                         share of each origin's requests served elsewhere per time bucket, and
                         the origin x serving-region matrix over the run

`curve` draws training_curve from `torta-sim train --curve-out` files: reward, mean/p95 e2e,
cost and load spread per episode (raw and moving average), plus the micro columns if present.

Default FIGDIR: DIR/figures for `compare`, the first curve's folder for `curve`. Outputs are
deterministic (no timestamps in the files). Needs Debian's python3-matplotlib and python3-numpy.
Exit status 0, or 2 on bad input (the message names the file). See docs/figures.md.
"""
import argparse
import csv
import json
import math
import os
import re
import textwrap
import sys
from array import array
from collections import OrderedDict

import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

# Two-sided 95% Student t quantiles t(0.975, df) for df = 1..30 (beyond: Cornish-Fisher expansion).
T975 = [12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
        2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
        2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423]
MAX_CDF_ROWS = 2_000_000          # per requests.csv; larger files are read every k-th row
# The ledger's components (summary.json cost_usd); the first three are GPU billing by class.
COST_PARTS = [("reserved", "reserved GPUs"), ("on_demand", "on-demand GPUs"), ("spot", "spot GPUs"),
              ("energy", "energy"), ("carbon", "carbon"), ("network", "network"),
              ("migration", "migration"), ("switching", "switching")]
GPU_PARTS = ("reserved", "on_demand", "spot")
PALETTE = plt.get_cmap("tab10").colors
LINESTYLES = ["-", "--", "-.", ":"]
RC = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 9,
      "xtick.labelsize": 9, "ytick.labelsize": 9, "figure.titlesize": 11, "axes.grid": True,
      "grid.alpha": 0.3, "axes.formatter.useoffset": False, "svg.hashsalt": "torta-sim", "pdf.fonttype": 42, "figure.dpi": 100}


class InputError(Exception):
    """Bad or missing input: reported as `figures.py: error: ...`, exit status 2."""


# ---------------------------------------------------------------- small helpers

def t975(df):
    if df < 1:
        return float("nan")
    if df <= len(T975):
        return T975[df - 1]
    z = 1.959963984540054
    return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)


def mean_ci(values):
    """Mean and the half-width of its 95% CI, t(0.975, n-1) s / sqrt(n) (0 for one value)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return float("nan"), float("nan")
    if v.size == 1:
        return float(v[0]), 0.0
    return float(v.mean()), t975(v.size - 1) * float(v.std(ddof=1)) / math.sqrt(v.size)


def seeds_label(seeds):
    """1,2,3,5 -> 'seeds 1-3,5'; one seed -> 'seed 4'."""
    s = sorted(set(seeds))
    parts, i = [], 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[j] + 1:
            j += 1
        parts.append(str(s[i]) if i == j else f"{s[i]}-{s[j]}")
        i = j + 1
    return ("seed " if len(s) == 1 else "seeds ") + ",".join(parts)


def safe_name(text):
    return re.sub(r"[^A-Za-z0-9._=+-]", "_", text)[:120] or "_"


def short_workload(w):
    """'azure:traces/X.csv,duration_s=300' -> 'X.csv, duration_s=300' (paths to base names)."""
    w = re.sub(r"^(azure|mooncake|native|auto):", "", w)
    w = re.sub(r"(?<![A-Za-z0-9_.-])[^,=:]*/([^/,]+)", r"\1", w)
    return w.replace(",", ", ")


def time_unit(span_s):
    if span_s >= 2 * 3600:
        return 3600.0, "h"
    if span_s >= 120:
        return 60.0, "min"
    return 1.0, "s"


def read_csv(path):
    try:
        with open(path, newline="") as f:
            r = csv.reader(f)
            header = next(r, None)
            if header is None:
                raise InputError(f"{path}: empty file")
            return header, [dict(zip(header, row)) for row in r]
    except OSError as ex:
        raise InputError(f"{path}: cannot read: {ex.strerror}")


def split_line(line):
    """One CSV line; the fast path when nothing is quoted (region names with commas are)."""
    line = line.rstrip("\r\n")
    if '"' not in line:
        return line.split(",")
    return next(csv.reader([line]))


def column_index(header, name, path):
    try:
        return header.index(name)
    except ValueError:
        raise InputError(f"{path}: line 1: no column '{name}'")


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n += chunk.count(b"\n")
    return n


def suptitle(fig, *lines):
    """Figure title, each line wrapped to the figure's width (long workload strings)."""
    width = max(40, int(fig.get_figwidth() * 11))
    fig.suptitle("\n".join(textwrap.fill(x, width, break_on_hyphens=False) for x in lines))


def save(fig, outdir, name, formats, written):
    os.makedirs(outdir, exist_ok=True)
    for fmt in formats:
        path = os.path.join(outdir, f"{name}.{fmt}")
        meta = {"Software": None} if fmt == "png" else {"CreationDate": None} if fmt == "pdf" else {}
        fig.savefig(path, dpi=150, metadata=meta)
        written.append(path)
    plt.close(fig)


def write_data(outdir, name, header, rows, written):
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, f"{name}.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow([f"{x:.9g}" if isinstance(x, float) else x for x in row])
    written.append(path)


# ---------------------------------------------------------------- the run folder

class Point:
    def __init__(self, pid, params, folder, row):
        self.id, self.params, self.folder, self.row = pid, params, folder, row
        self.scheduler = params.get("scheduler", row.get("scheduler", "?"))
        seed = params.get("seed", row.get("seed", "0"))
        try:
            self.seed = int(float(seed))
        except ValueError:
            raise InputError(f"{folder}: seed '{seed}' is not a number")

    def metric(self, name):
        v = self.row.get(name, "")
        try:
            return float(v)
        except ValueError:
            return float("nan")


def load_points(d):
    """Complete points of a compare/sweep folder, with their parameters and summary row."""
    mpath = os.path.join(d, "manifest.csv")
    if not os.path.isdir(d):
        raise InputError(f"{d}: no such folder (expected the --out folder of torta-sim compare or sweep)")
    if not os.path.exists(mpath):
        raise InputError(f"{mpath}: missing (is {d} the --out folder of torta-sim compare or sweep?)")
    mh, mrows = read_csv(mpath)
    for c in ("point", "status", "wall_s"):
        column_index(mh, c, mpath)
    end = mh.index("requests.completed") if "requests.completed" in mh else len(mh)
    pcols = mh[mh.index("wall_s") + 1:end]
    if "scheduler" not in pcols or "seed" not in pcols:
        raise InputError(f"{mpath}: line 1: expected 'scheduler' and 'seed' among the parameter columns")
    spath = os.path.join(d, "sweep.csv")
    if os.path.exists(spath):
        _, srows = read_csv(spath)
        table = {r["point"]: r for r in srows}
        key = lambda m: m["point"]  # noqa: E731
    else:
        cpath = os.path.join(d, "compare.csv")
        if not os.path.exists(cpath):
            raise InputError(f"{d}: neither sweep.csv nor compare.csv")
        ch, crows = read_csv(cpath)
        column_index(ch, "scheduler", cpath)
        column_index(ch, "seed", cpath)
        table = {(r["scheduler"], r["seed"]): r for r in crows}
        key = lambda m: (m["scheduler"], m["seed"])  # noqa: E731
    points, skipped = [], []
    for m in mrows:
        row = table.get(key(m))
        if m["status"] not in ("ok", "cached") or row is None:
            skipped.append(f"{m['point']} ({m['status']})")
            continue
        points.append(Point(m["point"], {c: m[c] for c in pcols}, os.path.join(d, m["point"]), row))
    if skipped:
        print(f"figures: skipping {len(skipped)} incomplete point(s): {', '.join(skipped[:6])}"
              f"{' ...' if len(skipped) > 6 else ''}", file=sys.stderr)
    if not points:
        raise InputError(f"{mpath}: no complete point to plot")
    return points, [c for c in pcols if c not in ("scheduler", "seed")]


def group_label(points, gcols):
    """Title text naming topology, workload and the other swept values of a group."""
    p = points[0]
    topo = p.row.get("topology.name") or p.params.get("topology", "?")
    wl = p.params.get("workload") or p.row.get("workload") or p.row.get("summary.workload", "")
    wl = p.params["workload"] if "workload" in p.params and "/" not in p.params["workload"] \
        else short_workload(wl)
    extra = [f"{c}={p.params[c]}" for c in gcols if c not in ("topology", "workload")]
    return " | ".join([f"{topo}", wl] + extra)


def group_folder(points, gcols):
    parts = []
    for c in gcols:
        v = points[0].params[c]
        if c == "topology":
            v = os.path.splitext(os.path.basename(v))[0]
        parts.append(v if c in ("topology", "workload") else f"{c}={v}")
    return safe_name("__".join(parts))


class Group:
    def __init__(self, points, gcols, colours):
        self.points = points
        self.schedulers = list(OrderedDict.fromkeys(p.scheduler for p in points))
        self.colour = {s: colours[s] for s in self.schedulers}
        self.style = {s: LINESTYLES[(list(colours).index(s) // len(PALETTE)) % len(LINESTYLES)]
                      for s in self.schedulers}
        self.label = group_label(points, gcols)
        self.seeds = sorted({p.seed for p in points})

    def of(self, scheduler):
        return sorted((p for p in self.points if p.scheduler == scheduler), key=lambda p: p.seed)

    def first(self, scheduler):
        return self.of(scheduler)[0]


# ---------------------------------------------------------------- compare figures

def read_e2e(path):
    """e2e_s of completed requests; every k-th row past MAX_CDF_ROWS rows. Returns (values, k)."""
    rows = max(count_lines(path) - 1, 0)
    k = max(1, math.ceil(rows / MAX_CDF_ROWS))
    out = array("d")
    with open(path, newline="") as f:
        header = split_line(f.readline())
        # e2e_s and status follow the (possibly quoted) region names: index from the end of line.
        ie = len(header) - column_index(header, "e2e_s", path)
        ist = len(header) - column_index(header, "status", path)
        for n, line in enumerate(f):
            if n % k:
                continue
            parts = line.rstrip("\r\n").rsplit(",", ie)
            if len(parts) <= ie:
                raise InputError(f"{path}: line {n + 2}: expected {len(header)} columns")
            if parts[-ist] == "completed":
                try:
                    out.append(float(parts[-ie]))
                except ValueError:
                    raise InputError(f"{path}: line {n + 2}: e2e_s: not a number")
    return np.frombuffer(out, dtype=float) if len(out) else np.zeros(0), k


def fig_latency_cdf(g, outdir, formats, seeds_mode, written):
    fig, (ax, axt) = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
    data, qs = [], np.concatenate([np.linspace(0, 1, 101), [0.999, 0.9999]])
    strides = set()
    for s in g.schedulers:
        pts = g.of(s) if seeds_mode == "all" else g.of(s)[:1]
        vals = []
        for p in pts:
            v, k = read_e2e(os.path.join(p.folder, "requests.csv"))
            vals.append(v)
            strides.add(k)
        v = np.sort(np.concatenate(vals))
        if v.size == 0:
            continue
        n = v.size
        # Exact empirical CDF at up to ~6000 order statistics: evenly spaced, plus log-spaced
        # from the top so the tail panel reaches 1/n.
        top = n - np.unique(np.logspace(0, math.log10(n), 2000).round().astype(int))
        idx = np.unique(np.concatenate([np.linspace(0, n - 1, min(n, 4000)).round().astype(int), top]))
        y = (idx + 1) / n
        kw = dict(color=g.colour[s], ls=g.style[s], lw=1.6)
        ax.plot(v[idx], y, label=f"{s} (n={n})", **kw)
        tail = 1 - idx / n
        axt.plot(v[idx], tail, label=s, **kw)
        for q, x in zip(qs, np.quantile(v, qs, method="inverted_cdf")):
            data.append([s, len(pts), n, float(q), float(x)])
    seeds = g.seeds if seeds_mode == "all" else [min(g.seeds)]
    for a in (ax, axt):
        a.set_xscale("log")
        a.set_xlabel("end-to-end latency (s, log scale)")
    ax.set_ylabel("fraction of completed requests ≤ x")
    ax.set_ylim(0, 1.01)
    axt.set_yscale("log")
    axt.set_ylabel("fraction of completed requests ≥ x")
    ax.set_title("CDF")
    axt.set_title("tail (1 - CDF)")
    ax.legend(loc="upper left")
    sub = f"requests pooled over {seeds_label(seeds)}" if len(seeds) > 1 else seeds_label(seeds)
    if max(strides, default=1) > 1:
        sub += f", every {max(strides)}-th request of large files"
    suptitle(fig, f"End-to-end latency: {g.label}", sub)
    save(fig, outdir, "latency_cdf", formats, written)
    write_data(outdir, "latency_cdf", ["scheduler", "runs", "requests", "quantile", "e2e_s"], data, written)


def fig_latency_bars(g, outdir, formats, written):
    metrics = [("latency_s.e2e", "end-to-end latency"), ("latency_s.ttft", "time to first token")]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
    x = np.arange(len(g.schedulers))
    width = 0.38
    data = []
    for ax, (m, title) in zip(axes, metrics):
        for j, (stat, hatch) in enumerate((("mean", None), ("p95", "//"))):
            means, cis = [], []
            for s in g.schedulers:
                vals = [p.metric(f"{m}.{stat}") for p in g.of(s)]
                mu, ci = mean_ci(vals)
                means.append(mu)
                cis.append(ci)
                data.append([s, f"{m}.{stat}", len(vals), mu, ci])
            ax.bar(x + (j - 0.5) * width, means, width, yerr=cis, capsize=3,
                   color=[g.colour[s] for s in g.schedulers], alpha=1.0 if j == 0 else 0.55,
                   hatch=hatch, edgecolor="black", linewidth=0.6, error_kw=dict(lw=1))
        xticks_schedulers(ax, g.schedulers)
        ax.set_ylim(0, ax.get_ylim()[1] * 1.15)
        ax.set_ylabel("seconds")
        ax.set_title(title)
        ax.grid(axis="x", visible=False)
    from matplotlib.patches import Patch
    axes[0].legend(handles=[Patch(facecolor="0.45", edgecolor="black", label="mean"),
                            Patch(facecolor="0.8", edgecolor="black", hatch="//", label="p95")],
                   loc="upper left", ncol=2)
    suptitle(fig, f"Latency per scheduler: {g.label}",
             f"mean over {seeds_label(g.seeds)}, error bars: 95% CI (Student t over seeds)")
    save(fig, outdir, "latency_bars", formats, written)
    write_data(outdir, "latency_bars", ["scheduler", "metric", "runs", "mean", "ci95_half_width"], data, written)


def read_slots(path):
    """{slot: (start_s, end_s, [load per region])} and the region order of slot 0."""
    header, rows = read_csv(path)
    for c in ("slot", "start_s", "end_s", "region", "load"):
        column_index(header, c, path)
    slots, regions = OrderedDict(), []
    for n, r in enumerate(rows):
        try:
            k, u = int(r["slot"]), float(r["load"])
            st, en = float(r["start_s"]), float(r["end_s"])
        except ValueError:
            raise InputError(f"{path}: line {n + 2}: slot/start_s/end_s/load: not a number")
        if k not in slots:
            slots[k] = (st, en, [])
        slots[k][2].append(u)
        if r["region"] not in regions:
            regions.append(r["region"])
    return slots, regions


def centred_average(v, w):
    """Mean over a window of w values centred on each (shorter at the ends)."""
    c = np.cumsum(np.insert(v, 0, 0.0))
    i = np.arange(len(v))
    lo = np.maximum(i - w // 2, 0)
    hi = np.minimum(i - w // 2 + w, len(v))
    return (c[hi] - c[lo]) / (hi - lo)


def fig_load_std(g, outdir, formats, written):
    fig, ax = plt.subplots(figsize=(11, 4.6), layout="constrained")
    data, span = [], 0.0
    series = []
    for s in g.schedulers:
        p = g.first(s)
        slots, _ = read_slots(os.path.join(p.folder, "slots.csv"))
        st = np.array([v[0] for v in slots.values()])
        en = np.array([v[1] for v in slots.values()])
        sd = np.array([float(np.std(v[2])) for v in slots.values()])   # population std, as summary
        span = max(span, float(en.max()) if en.size else 0.0)
        w = en - st
        avg = float((sd * w).sum() / w.sum()) if w.sum() > 0 else float("nan")
        series.append((s, p.seed, st, en, sd, avg))
        for k, a, b, v in zip(slots.keys(), st, en, sd):
            data.append([s, p.seed, k, float(a), float(b), float(v)])
    unit, uname = time_unit(span)
    n_slots = max((x[2].size for x in series), default=0)
    # Many slots: faint per-slot steps under a bold moving average, so the trend stays readable.
    win = math.ceil(n_slots / 100) if n_slots > 150 else 1
    for s, seed, st, en, sd, avg in series:
        if st.size == 0:
            continue
        label = f"{s} (time-avg {avg:.3g})"
        ax.step(np.append(st, en[-1]) / unit, np.append(sd, sd[-1]), where="post", color=g.colour[s],
                ls=g.style[s], lw=1.4 if win == 1 else 0.6, alpha=1.0 if win == 1 else 0.3,
                label=label if win == 1 else None)
        if win > 1:
            ax.plot((st + en) / 2 / unit, centred_average(sd, win), color=g.colour[s], ls=g.style[s], lw=1.8,
                    label=label)
    ax.set_xlabel(f"simulated time ({uname})")
    ax.set_ylabel("std of load across regions")
    ax.set_ylim(bottom=0)
    ax.set_xlim(0, span / unit if span > 0 else 1)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="scheduler")
    seed = {x[1] for x in series}
    how = "per slot" if win == 1 else f"faint: per slot; bold: centred mean over {win} slots"
    suptitle(fig, f"Load spread across regions: {g.label}",
             f"{seeds_label(seed)}; {how}; load = offered requests/s / saturation capacity of the active servers (slots.csv)")
    save(fig, outdir, "load_std_over_time", formats, written)
    write_data(outdir, "load_std_over_time", ["scheduler", "seed", "slot", "start_s", "end_s", "region_load_std"],
               data, written)


def xticks_schedulers(ax, names):
    ax.set_xticks(np.arange(len(names)))
    if len(names) > 3 or max(map(len, names)) > 14:
        ax.set_xticklabels(names, rotation=25, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticklabels(names)


def fig_cost(g, outdir, formats, written):
    n = len(g.schedulers)
    fig, (ax, az) = plt.subplots(1, 2, figsize=(max(11, 1.6 * n + 5), 4.8), layout="constrained")
    x = np.arange(n)
    means = {part: np.array([mean_ci([p.metric(f"cost_usd.{part}") for p in g.of(s)])[0]
                             for s in g.schedulers]) for part, _ in COST_PARTS}
    totals = [mean_ci([p.metric("cost_usd.total") for p in g.of(s)]) for s in g.schedulers]
    # Components are not schedulers: their own colours, with hatches for print.
    look = {"reserved": (PALETTE[0], ""), "on_demand": (PALETTE[9], "++"), "spot": (PALETTE[8], "oo"),
            "energy": (PALETTE[1], "//"), "carbon": (PALETTE[6], "--"), "network": (PALETTE[2], ".."),
            "migration": (PALETTE[4], "xx"), "switching": (PALETTE[5], "\\\\")}
    for a, parts in ((ax, COST_PARTS), (az, [c for c in COST_PARTS if c[0] not in GPU_PARTS])):
        bottom = np.zeros(n)
        for part, label in parts:
            v = np.nan_to_num(means[part])
            a.bar(x, v, 0.6, bottom=bottom, color=look[part][0], hatch=look[part][1], edgecolor="black",
                  linewidth=0.5, label=label)
            bottom += v
        xticks_schedulers(a, g.schedulers)
        a.set_ylabel("cost (USD)")
        a.grid(axis="x", visible=False)
        a.set_ylim(0, bottom.max() * 1.2 if bottom.max() > 0 else 1)
        if a is az:
            for xi, b in zip(x, bottom):
                a.annotate(f"{b:.3g}", (xi, b), textcoords="offset points", xytext=(0, 3), ha="center",
                           fontsize=8)
    for xi, (tot, ci) in zip(x, totals):
        ax.errorbar([xi], [tot], yerr=[ci], color="black", capsize=4, lw=1)
        ax.annotate(f"{tot:.4g}", (xi, tot + ci), textcoords="offset points", xytext=(0, 4),
                    ha="center", fontsize=9)
    ax.set_title("all components (label: total, bar: 95% CI)")
    az.set_title("without GPU billing (zoom; label: sum shown)")
    h, l = ax.get_legend_handles_labels()
    az.legend(h, l, loc="upper left", bbox_to_anchor=(1.02, 1.0), title="component")
    suptitle(fig, f"Operational cost: {g.label}", f"mean over {seeds_label(g.seeds)}")
    save(fig, outdir, "cost_breakdown", formats, written)
    rows = [[s, len(g.of(s))] + [float(means[part][i]) for part, _ in COST_PARTS] + [totals[i][0], totals[i][1]]
            for i, s in enumerate(g.schedulers)]
    write_data(outdir, "cost_breakdown", ["scheduler", "runs"] + [f"{p}_usd" for p, _ in COST_PARTS]
               + ["total_usd", "total_ci95_half_width"], rows, written)


def pick_reference(schedulers, wanted):
    if wanted in schedulers:
        return wanted
    for s in schedulers:
        if s == "torta":
            return s
    for s in schedulers:
        if s.startswith("torta"):
            return s
    return schedulers[0]


def slot_length(folder):
    path = os.path.join(folder, "config.json")
    try:
        with open(path) as f:
            v = json.load(f).get("slot_s", 60)
        return float(v) if float(v) > 0 else 60.0
    except (OSError, ValueError, TypeError):
        return 60.0


def fig_plan_flows(g, outdir, formats, wanted, written):
    ref = pick_reference(g.schedulers, wanted)
    p = g.first(ref)
    path = os.path.join(p.folder, "requests.csv")
    _, regions = read_slots(os.path.join(p.folder, "slots.csv"))
    t_max = 0.0
    slot_s = slot_length(p.folder)
    # First pass collects (origin, serve, arrival); bucketing waits until the span is known.
    arrivals, pairs = array("d"), []
    pair_id = {}
    with open(path, newline="") as f:
        header = split_line(f.readline())
        ia, io, isv, isid = (column_index(header, c, path)
                             for c in ("arrival_s", "origin_region", "serve_region", "server_id"))
        for n, line in enumerate(f):
            r = split_line(line)
            if len(r) != len(header):
                raise InputError(f"{path}: line {n + 2}: expected {len(header)} columns, found {len(r)}")
            if r[isid] == "-1" or not r[isv]:
                continue                     # never placed: no serving region
            try:
                a = float(r[ia])
            except ValueError:
                raise InputError(f"{path}: line {n + 2}: arrival_s: not a number")
            key = (r[io], r[isv])
            if key not in pair_id:
                pair_id[key] = len(pair_id)
            arrivals.append(a)
            pairs.append(pair_id[key])
            t_max = max(t_max, a)
    for o, s in pair_id:
        for x in (o, s):
            if x not in regions:
                regions.append(x)
    span = max(t_max, slot_s)
    bucket = slot_s
    if span / bucket > 120:
        bucket = 3600.0 * max(1, math.ceil(span / 3600.0 / 240)) if span / 3600.0 > 6 else \
            slot_s * math.ceil(span / slot_s / 120)
    nb = int(span // bucket) + 1
    arr = np.frombuffer(arrivals, dtype=float) if len(arrivals) else np.zeros(0)
    pid = np.array(pairs, dtype=int)
    bidx = np.minimum((arr // bucket).astype(int), nb - 1)
    keys = list(pair_id)
    counts_arr = np.zeros((len(keys), nb), dtype=np.int64)
    np.add.at(counts_arr, (pid, bidx), 1)
    R = len(regions)
    ri = {r: i for i, r in enumerate(regions)}
    tot = np.zeros((R, nb))
    away = np.zeros((R, nb))
    mat = np.zeros((R, R))
    data = []
    for k, (o, s) in enumerate(keys):
        tot[ri[o]] += counts_arr[k]
        if o != s:
            away[ri[o]] += counts_arr[k]
        mat[ri[o], ri[s]] += counts_arr[k].sum()
    for k in sorted(range(len(keys)), key=lambda k: (ri[keys[k][0]], ri[keys[k][1]])):
        for b in np.nonzero(counts_arr[k])[0]:
            data.append([keys[k][0], keys[k][1], int(b), float(b * bucket), int(counts_arr[k][b])])
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(tot > 0, away / np.maximum(tot, 1), np.nan)
        rown = mat / np.maximum(mat.sum(axis=1, keepdims=True), 1)
    unit, uname = time_unit(span)

    fs = 9 if R <= 16 else 7 if R <= 30 else 5
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(14, 6.2), gridspec_kw={"width_ratios": [1.35, 1]},
                                 layout="constrained")
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("0.85")
    # Colour scale up to the largest share (rounded up to a tenth), so small flows stay visible.
    top = float(np.nanmax(frac)) if np.isfinite(frac).any() else 0.0
    vmax = min(1.0, max(0.1, math.ceil(top * 10 - 1e-9) / 10))
    im = a1.imshow(np.ma.masked_invalid(frac), aspect="auto", cmap=cmap, vmin=0, vmax=vmax,
                   interpolation="nearest", extent=(0, nb * bucket / unit, R - 0.5, -0.5))
    a1.set_yticks(range(R))
    a1.set_yticklabels(regions, fontsize=fs)
    a1.set_xlabel(f"simulated time ({uname}); bucket {bucket / unit:g} {uname}")
    a1.set_ylabel("origin region")
    a1.set_title("share of each origin's requests served in another region")
    a1.grid(False)
    fig.colorbar(im, ax=a1, fraction=0.04, pad=0.02).set_label("share served elsewhere (grey: no arrivals)")
    im2 = a2.imshow(rown, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    a2.set_xticks(range(R))
    a2.set_xticklabels(regions, rotation=60, ha="right", fontsize=fs)
    a2.set_yticks(range(R))
    a2.set_yticklabels(regions, fontsize=fs)
    a2.set_xlabel("serving region")
    a2.set_ylabel("origin region")
    a2.set_title("origin → serving region over the run (row-normalised)")
    a2.grid(False)
    if R <= 12:
        for i in range(R):
            for j in range(R):
                if rown[i, j] >= 0.005:
                    a2.text(j, i, f"{rown[i, j]:.2f}", ha="center", va="center", fontsize=7,
                            color="black" if rown[i, j] > 0.6 else "white")
    fig.colorbar(im2, ax=a2, fraction=0.046, pad=0.02).set_label("share of the origin's requests")
    total = int(mat.sum())
    elsewhere = int(mat.sum() - np.trace(mat))
    suptitle(fig, f"Inter-region flows of {ref} (realised routing, {seeds_label([p.seed])}): {g.label}",
             f"{elsewhere} of {total} placed requests ({100.0 * elsewhere / max(total, 1):.1f}%) "
                 "served outside their origin region")
    save(fig, outdir, "plan_flows", formats, written)
    write_data(outdir, "plan_flows", ["origin_region", "serve_region", "bucket", "bucket_start_s", "requests"],
               data, written)


def cmd_compare(args):
    points, pcols = load_points(args.dir)
    out = args.out or os.path.join(args.dir, "figures")
    groups = OrderedDict()
    for p in points:
        groups.setdefault(tuple(p.params[c] for c in pcols), []).append(p)
    gcols = [c for c in pcols if len({k[pcols.index(c)] for k in groups}) > 1] if len(groups) > 1 else []
    # One colour per scheduler across every group, so subfolders read alike.
    names = list(OrderedDict.fromkeys(p.scheduler for p in points))
    if args.scheduler and args.scheduler not in names:
        raise InputError(f"--scheduler {args.scheduler}: not among the complete points of {args.dir} "
                         f"(schedulers: {', '.join(names)})")
    colours = OrderedDict((s, PALETTE[i % len(PALETTE)]) for i, s in enumerate(names))
    written = []
    for gpoints in groups.values():
        g = Group(gpoints, pcols, colours)
        gdir = os.path.join(out, group_folder(gpoints, gcols)) if len(groups) > 1 else out
        # requests.csv is read for the latency CDF (every seed, or the first) and the flows (first).
        readers = gpoints if args.cdf_seeds == "all" else [g.of(s)[0] for s in g.schedulers]
        for p in gpoints:
            for f in ("requests.csv", "slots.csv"):
                if (f == "slots.csv" or p in readers) and not os.path.exists(os.path.join(p.folder, f)):
                    why = (" (run with output.requests_csv=false? the latency CDF and flow figures need it;"
                           " --cdf-seeds first reads only the first seed's)" if f == "requests.csv" else "")
                    raise InputError(f"{os.path.join(p.folder, f)}: missing{why}")
        fig_latency_cdf(g, gdir, args.formats, args.cdf_seeds, written)
        fig_latency_bars(g, gdir, args.formats, written)
        fig_load_std(g, gdir, args.formats, written)
        fig_cost(g, gdir, args.formats, written)
        fig_plan_flows(g, gdir, args.formats, args.scheduler, written)
    return written


# ---------------------------------------------------------------- training curves

CURVE_PANELS = [("reward", "macro reward per episode", None),
                ("mean_e2e_s", "mean end-to-end latency (s)", None),
                ("p95_e2e_s", "p95 end-to-end latency (s)", None),
                ("cost_usd", "cost per episode (USD)", None),
                ("region_load_std", "load spread: std of region load", None),
                ("region_util_std", "load spread: std of region occupancy (older curves)", None),
                ("micro_reward", "micro reward per episode", "micro"),
                ("micro_agree", "micro: share of picks agreeing with greedy", "micro")]


def moving_average(v, w):
    """Trailing mean over the last w episodes (fewer at the start)."""
    c = np.cumsum(np.insert(v, 0, 0.0))
    i = np.arange(1, len(v) + 1)
    lo = np.maximum(i - w, 0)
    return (c[i] - c[lo]) / (i - lo)


def cmd_curve(args):
    labels = args.labels.split(",") if args.labels else None
    if labels and len(labels) != len(args.curves):
        raise InputError(f"--labels: {len(labels)} label(s) for {len(args.curves)} curve file(s)")
    curves = []
    for i, path in enumerate(args.curves):
        header, rows = read_csv(path)
        for c in ("episode", "reward", "mean_e2e_s"):
            column_index(header, c, path)
        if not rows:
            raise InputError(f"{path}: no episode rows")
        cols = {}
        for c in header:
            try:
                cols[c] = np.array([float(r[c]) for r in rows])
            except ValueError:
                continue
        label = labels[i] if labels else re.sub(r"(\.curve)?\.csv$", "", os.path.basename(path))
        curves.append((label, cols))
    panels = []
    for key, title, _ in CURVE_PANELS:
        present = [c for _, c in curves if key in c]
        if not present:
            continue
        if key == "reward" and all(not np.any(c[key]) for c in present) and \
                any("micro_reward" in c for _, c in curves):
            continue                          # --layer micro: no macro learner, reward column is 0
        panels.append((key, title))
    n_ep = max(len(c["episode"]) for _, c in curves)
    w = args.window or max(1, min(10, n_ep // 5))
    ncol = 3 if len(panels) > 4 else 2
    nrow = math.ceil(len(panels) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.2 * ncol, 3.4 * nrow + 0.8), squeeze=False,
                             layout="constrained")
    for ax, (key, title) in zip(axes.flat, panels):
        for i, (label, c) in enumerate(curves):
            if key not in c:
                continue
            col = PALETTE[i % len(PALETTE)]
            ax.plot(c["episode"], c[key], color=col, alpha=0.3, lw=0.9)
            ax.plot(c["episode"], moving_average(c[key], w), color=col, lw=1.8,
                    ls=LINESTYLES[(i // len(PALETTE)) % len(LINESTYLES)], label=label)
        ax.set_title(title)
        ax.set_xlabel("episode")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="best")
    how = "per episode" if w == 1 else f"faint: per episode; bold: trailing mean over {w} episodes"
    suptitle(fig, f"Training curves ({how})")
    out = args.out or os.path.dirname(os.path.abspath(args.curves[0]))
    written = []
    save(fig, out, "training_curve", args.formats, written)
    return written


# ---------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(prog="figures.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare", help="figures from a torta-sim compare or sweep folder")
    c.add_argument("dir")
    c.add_argument("--scheduler", help="reference scheduler of plan_flows (default: torta, else torta*, else first)")
    c.add_argument("--cdf-seeds", choices=("all", "first"), default="all",
                   help="latency CDF from every seed's requests (default) or the first seed's")
    t = sub.add_parser("curve", help="training curves from torta-sim train --curve-out files")
    t.add_argument("curves", nargs="+")
    t.add_argument("--labels", help="comma-separated legend labels, one per file")
    t.add_argument("--window", type=int, default=0, help="moving-average window in episodes")
    for p in (c, t):
        p.add_argument("--out", help="output folder")
        p.add_argument("--formats", default="png,pdf", help="comma-separated: png, pdf, svg (default png,pdf)")
    args = ap.parse_args(argv)
    args.formats = [f for f in args.formats.split(",") if f]
    bad = [f for f in args.formats if f not in ("png", "pdf", "svg")]
    try:
        if bad:
            raise InputError(f"--formats: unknown format '{bad[0]}' (expected png, pdf, svg)")
        with plt.rc_context(RC):
            written = cmd_compare(args) if args.cmd == "compare" else cmd_curve(args)
    except InputError as ex:
        print(f"figures.py: error: {ex}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
