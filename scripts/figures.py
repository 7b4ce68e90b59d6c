#!/usr/bin/env -S /usr/bin/python3
"""Figures from torta-sim outputs, as PNG and PDF (plus a CSV of the plotted numbers for each).

    /usr/bin/python3 scripts/figures.py compare DIR [--out FIGDIR] [--scheduler NAME]
                                               [--cdf-seeds all|first] [--metrics a,b,...]
                                               [--formats png,pdf] [--width IN] [--font-size PT]
                                               [--single-column]
    /usr/bin/python3 scripts/figures.py curve CURVE.csv [CURVE2.csv ...] [--labels A,B]
                                             [--window N] [--out FIGDIR] [--formats png,pdf]

`compare` reads the folder written by `torta-sim compare` or `torta-sim sweep` (manifest.csv,
compare.csv or sweep.csv, and one folder per point; requests.csv or requests.csv.gz, else
latency.csv for the CDFs). Points that share every parameter but the scheduler and the seed form
a group; each figure holds every group, one panel each, on shared axes:

    latency_cdf          TTFT, TPOT and e2e latency CDFs per scheduler: median over seeds of
                         each seed's quantiles, band = min-max over seeds (completed requests;
                         exact from requests.csv, else within 0.1% from latency.csv)
    latency_bars         mean and p95 of e2e, TTFT and TPOT per scheduler, 95% Student-t CI over seeds
    load_std_over_time   per slot, std across regions of slots.csv `load`: mean over seeds, band
                         min-max over seeds
    cost_breakdown       stacked mean cost per scheduler: GPU billing by class, energy, carbon,
                         network, migration, switching
    plan_flows           realised inter-region routing of the reference scheduler (first seed):
                         share of each origin's requests served elsewhere per time bucket, and
                         the origin x serving-region matrix over the run (one file per group;
                         left out, with a note, when that run has no requests.csv)
    sweep_<metric>__by_<parameter>   (sweeps) a metric against each swept parameter, one line per
                         scheduler, mean over seeds with 95% CI; one panel per value of the
                         other swept parameters, shared y axis

`curve` draws training_curve from `torta-sim train --curve-out` files: reward, mean/p95 e2e,
cost and load spread per episode (raw and moving average), plus the micro columns if present.

Default FIGDIR: DIR/figures for `compare`, the first curve's folder for `curve`. Outputs are
deterministic (no timestamps in the files). Needs Debian's python3-matplotlib and python3-numpy.
Exit status 0, or 2 on bad input (the message names the file). See docs/figures.md.
"""
import argparse
import csv
import gzip
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


# Figure width (inches) and base font size: --width, --font-size, --single-column (3.5 in, 7 pt).
STYLE = {"width": 11.0, "font": 10.0}
# Metrics of the sweep figures (--metrics), and words for metric and parameter names in titles.
SWEEP_METRICS = ["latency_s.e2e.mean", "latency_s.e2e.p95", "latency_s.ttft.p95", "latency_s.tpot.mean",
                 "cost_usd.total", "load_balance.region_load_std"]
LATENCY_WORDS = {"e2e": "end-to-end latency", "ttft": "time to first token", "tpot": "time per output token",
                 "network": "network time", "queue": "queueing time", "switch": "model-switch time"}
STAT_WORDS = {"mean": "mean", "p50": "median", "p95": "p95", "p99": "p99", "max": "maximum"}
PARAM_WORDS = {"topology": "topology", "workload": "workload", "scheduler": "scheduler", "seed": "seed",
               "scheduler.macro": "macro scheduler", "scheduler.micro": "micro scheduler",
               "server.max_batch": "maximum batch size", "server.kv_utilization": "KV-cache utilisation",
               "server.batching": "batching policy", "server.chunk_tokens": "prefill chunk (tokens)",
               "server.mode": "server model", "server.max_prefill_tokens": "prefill tokens per iteration",
               "server.max_resident_models": "resident models per server",
               "server.context_policy": "context policy", "server.load_gb_per_s": "model load bandwidth (GB/s)",
               "slot_s": "slot length (s)", "regions.servers": "servers per region", "regions.sites": "regions",
               "capacity.autoscaler": "autoscaler", "capacity.boot_s": "boot time (s)",
               "network.bytes_per_token": "bytes per token", "rate_scale": "rate scale",
               "workload.diurnal_curve": "diurnal curve", "faults.mtbf_h": "mean time between failures (h)",
               "faults.mttr_h": "mean time to repair (h)", "cost.carbon_usd_per_tonne": "carbon price (USD/t)"}
METRIC_WORDS = {"cost_usd.total": "total cost (USD)", "gpu_busy_view_usd": "busy-second GPU bill (USD)",
                "load_balance.region_load_std": "load spread across regions (std)",
                "load_balance.region_load_cv": "load spread across regions (CV)",
                "load_balance.region_load_jain": "Jain's index of region load",
                "load_balance.region_load_mean": "mean region load", "load_balance.region_load_max": "max region load",
                "load_balance.server_load_std": "load spread across servers (std)",
                "requests.completed": "completed requests", "requests.rejected": "rejected requests",
                "migrations": "migrations", "switches": "model switches"}


def unit_words(name):
    """'carbon_usd_per_tonne' -> 'carbon (USD per tonne)', 'boot_s' -> 'boot (s)'."""
    for suffix, unit in (("_usd_per_kwh", "USD/kWh"), ("_usd_per_gb", "USD/GB"), ("_per_s", "per s"),
                         ("_usd", "USD"), ("_gb", "GB"), ("_s", "s"), ("_h", "h")):
        if name.endswith(suffix) and len(name) > len(suffix):
            return f"{name[:-len(suffix)].replace('_', ' ')} ({unit})"
    return name.replace("_", " ")


def param_words(key):
    """A swept key in words: 'server.max_batch' -> 'maximum batch size'; unknown keys by their
    last parts ('scheduler.macro_params.ot.epsilon' -> 'ot epsilon')."""
    if key in PARAM_WORDS:
        return PARAM_WORDS[key]
    parts = key.split(".")
    if len(parts) > 2 and parts[1].endswith("_params"):
        parts = parts[2:]
    elif len(parts) > 1:
        parts = parts[1:]
    return " ".join(unit_words(x) for x in parts)


def metric_words(m):
    """'latency_s.e2e.p95' -> 'p95 end-to-end latency (s)', 'cost_usd.energy' -> 'energy cost (USD)'."""
    if m in METRIC_WORDS:
        return METRIC_WORDS[m]
    parts = m.split(".")
    if parts[0] == "latency_s" and len(parts) == 3:
        return f"{STAT_WORDS.get(parts[2], parts[2])} {LATENCY_WORDS.get(parts[1], parts[1])} (s)"
    if parts[0] == "cost_usd" and len(parts) == 2:
        return f"{parts[1].replace('_', '-')} cost (USD)"
    return " ".join(unit_words(x) for x in parts)


def servers_words(v):
    """A regions.servers list in words: '2 x h100-80gb (llama2-70b, TP4), 1 x a100-80gb (...)'."""
    out = []
    for d in v:
        if not isinstance(d, dict):
            return None
        what = ", ".join(x for x in (str(d.get("model", "")), f"TP{d['tp']}" if "tp" in d else "",
                                     str(d.get("class", ""))) if x)
        out.append(f"{d.get('count', 1)} x {d.get('gpu', '?')}" + (f" ({what})" if what else ""))
    return ", ".join(out)


def value_words(key, v):
    """A parameter value for a title: paths by base name, JSON lists and objects in words."""
    if key == "topology":
        return os.path.splitext(os.path.basename(v))[0]
    if key == "workload":
        return short_workload(v) if "/" in v else v
    if v[:1] in "[{":
        try:
            j = json.loads(v)
        except ValueError:
            return v
        if isinstance(j, list) and len(j) == 1 and isinstance(j[0], list):
            j = j[0]
        if isinstance(j, list):
            w = servers_words(j) if key.endswith("servers") else None
            return w if w is not None else ", ".join(value_words("", json.dumps(x)) if isinstance(x, (list, dict))
                                                     else str(x) for x in j)
        if isinstance(j, dict):
            return ", ".join(f"{unit_words(str(k))} {value_words('', json.dumps(x)) if isinstance(x, (list, dict)) else x}"
                             for k, x in j.items())
    return v.strip('"')


def figwidth(default=11.0):
    """Figure width in inches: --width (or the single-column preset), else the caller's default."""
    return STYLE["width"] if STYLE.get("set") else default


def panel_grid(n, max_cols, panel_ratio=0.72, extra_h=1.0):
    """(rows, cols, figsize) for n panels: as many columns (up to max_cols) as the width holds at
    about 3.3 inches a panel (one column in a single-column figure)."""
    w = figwidth()
    cols = max(1, min(n, max_cols, int(w // 3.3) or 1))
    rows = math.ceil(n / cols)
    if cols == 1 and w < 6:                  # a narrow column of panels: flatter ones
        panel_ratio = min(panel_ratio, 0.62)
    scale = STYLE["font"] / 10.0
    return rows, cols, (w, rows * (w / cols) * panel_ratio + extra_h * scale)


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
        with open_text(path) as f:
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


def open_text(path):
    """A text file, gzip-compressed when its name ends in .gz (output.compress = "gzip")."""
    if path.endswith(".gz"):
        return gzip.open(path, "rt", newline="")
    return open(path, newline="")


def requests_path(folder):
    """folder/requests.csv, or requests.csv.gz when the run compressed it (None: neither)."""
    for name in ("requests.csv", "requests.csv.gz"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    return None


def slots_path(folder):
    """folder/slots.csv, or slots.csv.gz when the run compressed it (slots.csv when neither)."""
    gz = os.path.join(folder, "slots.csv.gz")
    return gz if os.path.exists(gz) else os.path.join(folder, "slots.csv")


def latency_path(folder):
    """folder/latency.csv, the run's latency histograms (None: an older run without it)."""
    path = os.path.join(folder, "latency.csv")
    return path if os.path.exists(path) else None


def count_lines(path):
    n = 0
    with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n += chunk.count(b"\n")
    return n


def suptitle(fig, *lines):
    """Figure title, each line wrapped to the figure's width (long workload strings)."""
    width = max(30, int(fig.get_figwidth() * 11 * 10 / STYLE["font"]))
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
    """Words naming a group by the parameters that differ between groups ('' for one group)."""
    p = points[0]
    return "; ".join(f"{param_words(c)}: {value_words(c, p.params[c])}" for c in gcols)


def common_label(points, pcols, gcols):
    """Words for what every group shares: topology, workload and the other fixed parameters."""
    p = points[0]
    parts = []
    if "topology" not in gcols:
        parts.append(p.row.get("topology.name") or value_words("topology", p.params.get("topology", "?")))
    if "workload" not in gcols:
        wl = p.params.get("workload") or p.row.get("workload") or p.row.get("summary.workload", "")
        parts.append(value_words("workload", wl))
    parts += [f"{param_words(c)}: {value_words(c, p.params[c])}" for c in pcols
              if c not in gcols and c not in ("topology", "workload")]
    return " | ".join(x for x in parts if x)


def group_folder(points, gcols):
    parts = []
    for c in gcols:
        v = points[0].params[c]
        if c == "topology":
            v = os.path.splitext(os.path.basename(v))[0]
        parts.append(v if c in ("topology", "workload") else f"{c}={v}")
    return safe_name("__".join(parts))


class Group:
    def __init__(self, points, gcols, colours, index=0):
        self.points = points
        self.index = index
        self.schedulers = list(OrderedDict.fromkeys(p.scheduler for p in points))
        self.colour = {s: colours[s] for s in self.schedulers}
        self.style = {s: LINESTYLES[(list(colours).index(s) // len(PALETTE)) % len(LINESTYLES)]
                      for s in self.schedulers}
        self.label = group_label(points, gcols)
        self.short = ", ".join(value_words(c, points[0].params[c]) for c in gcols)
        self.axis_words = ", ".join(param_words(c) for c in gcols)
        self.name = group_folder(points, gcols) if gcols else ""
        self.seeds = sorted({p.seed for p in points})

    def of(self, scheduler):
        return sorted((p for p in self.points if p.scheduler == scheduler), key=lambda p: p.seed)

    def first(self, scheduler):
        return self.of(scheduler)[0]


def all_schedulers(groups):
    return list(OrderedDict.fromkeys(s for g in groups for s in g.schedulers))


def all_seeds(groups):
    return sorted({x for g in groups for x in g.seeds})


def panel_title(ax, text, cols=None):
    """A panel's title, wrapped to the panel's width."""
    cols = cols or max(1, round(figwidth() / max(ax.get_position().width * figwidth(), 0.5)))
    chars = max(16, int(figwidth() / cols * 72 / (STYLE["font"] * 1.1 * 0.55)))
    ax.set_title(textwrap.fill(text, chars, break_on_hyphens=False))


def legend_columns(labels):
    """Legend columns that fit the figure's width (labels of about their length)."""
    per = max(1.0, (max(map(len, labels), default=8) + 4) * STYLE["font"] * 0.55 / 72)
    return max(1, min(len(labels), int(figwidth() * 0.95 // per) or 1))


def scheduler_handles(groups, colours, styles):
    from matplotlib.lines import Line2D
    return [Line2D([], [], color=colours[s], ls=styles[s], lw=1.8, label=s) for s in all_schedulers(groups)]


def put_legend(lax, handles, title=None):
    """The figure's legend, centred in its own row below the panels (lax: legend_row's axes)."""
    lax.legend(handles=handles, loc="center", ncol=legend_columns([h.get_label() for h in handles]),
               title=title, frameon=False)


def legend_row(fig, gs_row, labels, title=True):
    """An empty axes on the grid row gs_row, for put_legend, and its height in inches."""
    lax = fig.add_subplot(gs_row)
    lax.axis("off")
    return lax


def legend_height(labels, title=True):
    rows = math.ceil(len(labels) / legend_columns(labels)) + (1 if title else 0)
    return (rows * 1.5 + 0.8) * STYLE["font"] / 72


def panel_axes(n, max_cols, sharex=False, sharey=True, panel_ratio=0.72, extra_h=1.0, legend=None):
    """n panels in a grid (unused cells hidden), and a legend row below them when `legend` (its
    labels) is given. Returns (fig, axes, legend axes or None)."""
    rows, cols, (w, h) = panel_grid(n, max_cols, panel_ratio, extra_h)
    leg_h = legend_height(legend) if legend else 0.0
    panel_h = (h - extra_h * STYLE["font"] / 10.0) / rows
    fig = plt.figure(figsize=(w, h + leg_h), layout="constrained")
    gs = fig.add_gridspec(rows + (1 if legend else 0), cols,
                          height_ratios=[panel_h] * rows + ([leg_h] if legend else []))
    axes = []
    for i in range(n):
        kw = {}
        if axes and sharey:
            kw["sharey"] = axes[0]
        if axes and sharex:
            kw["sharex"] = axes[0]
        axes.append(fig.add_subplot(gs[i // cols, i % cols], **kw))
    lax = legend_row(fig, gs[rows, :], legend) if legend else None
    return fig, axes, lax


# ---------------------------------------------------------------- compare figures

# Quantiles at which each seed's empirical CDF is evaluated (the ceil(q n)-th smallest value).
CDF_QUANTILES = np.unique(np.concatenate([np.linspace(0, 1, 201), [0.995, 0.999]]))
CDF_METRICS = [("ttft_s", "time to first token"), ("tpot_s", "time per output token"),
               ("e2e_s", "end-to-end latency")]


def read_latencies(path):
    """ttft_s, tpot_s and e2e_s of completed requests (tpot only with more than one output token,
    as the summary counts it); every k-th row past MAX_CDF_ROWS rows. Returns ({column: values}, k)."""
    rows = max(count_lines(path) - 1, 0)
    k = max(1, math.ceil(rows / MAX_CDF_ROWS))
    cols = [c for c, _ in CDF_METRICS]
    out = {c: array("d") for c in cols}
    with open_text(path) as f:
        header = split_line(f.readline())
        # These columns follow the (possibly quoted) region names: index from the end of line.
        back = {c: len(header) - column_index(header, c, path) for c in cols + ["status", "output_tokens"]}
        deep = max(back.values())
        for n, line in enumerate(f):
            if n % k:
                continue
            parts = line.rstrip("\r\n").rsplit(",", deep)
            if len(parts) <= deep:
                raise InputError(f"{path}: line {n + 2}: expected {len(header)} columns")
            if parts[-back["status"]] != "completed":
                continue
            try:
                one_token = int(parts[-back["output_tokens"]]) <= 1
                for c in cols:
                    if c != "tpot_s" or not one_token:
                        out[c].append(float(parts[-back[c]]))
            except ValueError:
                raise InputError(f"{path}: line {n + 2}: a latency or output_tokens: not a number")
    return {c: np.frombuffer(v, dtype=float) if len(v) else np.zeros(0) for c, v in out.items()}, k


def read_histograms(path):
    """{metric: (lower_s, upper_s, count) arrays} of a run's latency.csv (README, "latency.csv"),
    metrics named as requests.csv's columns (ttft_s, tpot_s, e2e_s, ...); buckets by increasing value."""
    header, rows = read_csv(path)
    for c in ("metric", "lower_s", "upper_s", "count"):
        column_index(header, c, path)
    out = {}
    for n, r in enumerate(rows):
        try:
            b = (float(r["lower_s"]), float(r["upper_s"]), int(r["count"]))
        except (TypeError, ValueError):
            raise InputError(f"{path}: line {n + 2}: lower_s, upper_s or count: not a number")
        out.setdefault(r["metric"] + "_s", []).append(b)
    return {m: tuple(np.array(c, dtype=float) for c in zip(*bs)) for m, bs in out.items()}


def hist_quantiles(h, qs):
    """The ceil(q n)-th smallest value (at least the first) for each q, as the middle of its bucket:
    within 1/1024 of the exact value, and what the summary's percentiles report (the top bucket,
    from 2^24 s, gives its lower bound). Returns (values, n)."""
    lo, hi, count = h
    cum = np.cumsum(count)
    n = int(cum[-1])
    rank = np.maximum(np.ceil(np.asarray(qs) * n), 1)
    mid = np.where(np.isfinite(hi), 0.5 * (lo + hi), lo)
    return mid[np.searchsorted(cum, rank, side="left")], n


def seed_quantiles(folder):
    """One run's CDFs at CDF_QUANTILES: {metric: (values, requests)}, the stride k of the rows read,
    and whether they come from latency.csv. Exact order statistics of requests.csv (or .gz) when the
    run wrote it, else the bucket middles of latency.csv."""
    path = requests_path(folder)
    if path is None:
        hs = read_histograms(latency_path(folder))
        return {c: hist_quantiles(hs[c], CDF_QUANTILES) for c, _ in CDF_METRICS if c in hs}, 1, True
    v, k = read_latencies(path)
    return {c: (np.quantile(v[c], CDF_QUANTILES, method="inverted_cdf"), int(v[c].size))
            for c, _ in CDF_METRICS if v[c].size}, k, False


def fig_latency_cdf(groups, outdir, formats, seeds_mode, written):
    """TTFT, TPOT and e2e CDFs: per scheduler the median over seeds of each seed's quantile
    function, with the min-max band over seeds; one row of panels per group."""
    colours = {s: g.colour[s] for g in groups for s in g.schedulers}
    styles = {s: g.style[s] for g in groups for s in g.schedulers}
    data, strides, binned = [], set(), False
    curves = {}                                  # (group, scheduler, metric) -> (med, lo, hi)
    lims = {c: [math.inf, 0.0] for c, _ in CDF_METRICS}
    for g in groups:
        for s in g.schedulers:
            pts = g.of(s) if seeds_mode == "all" else g.of(s)[:1]
            per_seed = []
            for p in pts:
                v, k, from_hist = seed_quantiles(p.folder)
                per_seed.append(v)
                strides.add(k)
                binned |= from_hist
            for c, _ in CDF_METRICS:
                qs = [v[c][0] for v in per_seed if c in v]
                if not qs:
                    continue
                q = np.vstack(qs)
                med, lo, hi = np.median(q, axis=0), q.min(axis=0), q.max(axis=0)
                curves[(g.index, s, c)] = (med, lo, hi)
                n = sum(v[c][1] for v in per_seed if c in v)
                pos = lo[lo > 0]
                if pos.size:
                    lims[c][0] = min(lims[c][0], float(pos.min()))
                lims[c][1] = max(lims[c][1], float(hi.max()))
                for i, x in enumerate(CDF_QUANTILES):
                    data.append([g.label, s, c, len(qs), n, float(x), float(med[i]), float(lo[i]), float(hi[i])])
    panels = [(g, c, t) for g in groups for c, t in CDF_METRICS]
    fig, axes, lax = panel_axes(len(panels), 3, sharey=True, panel_ratio=0.8, extra_h=1.0,
                                legend=all_schedulers(groups))
    for ax, (g, c, title) in zip(axes, panels):
        for s in g.schedulers:
            if (g.index, s, c) not in curves:
                continue
            med, lo, hi = curves[(g.index, s, c)]
            floor = lims[c][0] if math.isfinite(lims[c][0]) else 1e-6
            ax.fill_betweenx(CDF_QUANTILES, np.maximum(lo, floor), np.maximum(hi, floor), color=colours[s],
                             alpha=0.2, lw=0)
            ax.plot(np.maximum(med, floor), CDF_QUANTILES, color=colours[s], ls=styles[s], lw=1.5)
        ax.set_xscale("log")
        if math.isfinite(lims[c][0]) and lims[c][1] > lims[c][0]:
            ax.set_xlim(lims[c][0] / 1.2, lims[c][1] * 1.2)
        ax.set_ylim(0, 1.01)
        ax.set_xlabel(f"{title} (s, log scale)")
        panel_title(ax, g.label or title, panel_grid(len(panels), 3)[1])
    for ax in axes[::panel_grid(len(axes), 3)[1]]:
        ax.set_ylabel("fraction of completed requests ≤ x")
    put_legend(lax, scheduler_handles(groups, colours, styles), "scheduler")
    seeds = all_seeds(groups) if seeds_mode == "all" else [min(all_seeds(groups))]
    sub = (f"line: median over {seeds_label(seeds)} of each seed's quantiles; band: min-max over seeds"
           if len(seeds) > 1 else seeds_label(seeds))
    if max(strides, default=1) > 1:
        sub += f"; every {max(strides)}-th request of large files"
    if binned:
        sub += "; runs without requests.csv: from latency.csv's histograms (within 0.1%)"
    suptitle(fig, f"Latency distributions: {groups[0].common}", sub + "; TPOT of requests with more than one output token")
    save(fig, outdir, "latency_cdf", formats, written)
    write_data(outdir, "latency_cdf", ["group", "scheduler", "metric", "seeds", "requests", "quantile",
                                       "median_s", "min_s", "max_s"], data, written)


def fig_latency_bars(groups, outdir, formats, written):
    """Mean (solid) and p95 (hatched) of e2e, TTFT and TPOT: mean over seeds, 95% CI; groups side
    by side in each panel, so they share its y axis."""
    from matplotlib.patches import Patch
    metrics = [("latency_s.e2e", "end-to-end latency"), ("latency_s.ttft", "time to first token"),
               ("latency_s.tpot", "time per output token")]
    colours = {s: g.colour[s] for g in groups for s in g.schedulers}
    names = all_schedulers(groups)
    legend = ["mean", "p95"] + (names if len(groups) > 1 or len(names) > 1 else [])
    fig, axes, lax = panel_axes(len(metrics), 3, sharey=False, panel_ratio=0.85, extra_h=1.3, legend=legend)
    data = []
    nb = 2 * len(names)
    width = 0.8 / nb
    for ax, (m, title) in zip(axes, metrics):
        for gi, g in enumerate(groups):
            for si, s in enumerate(names):
                if s not in g.schedulers:
                    continue
                for j, (stat, hatch) in enumerate((("mean", None), ("p95", "//"))):
                    vals = [p.metric(f"{m}.{stat}") for p in g.of(s)]
                    mu, ci = mean_ci(vals)
                    data.append([g.label, s, f"{m}.{stat}", len(vals), mu, ci])
                    x = gi - 0.4 + (2 * si + j + 0.5) * width
                    ax.bar([x], [mu], width, yerr=[ci] if len(vals) > 1 else None, capsize=2,
                           color=colours[s], alpha=1.0 if j == 0 else 0.55, hatch=hatch, edgecolor="black",
                           linewidth=0.5, error_kw=dict(lw=0.8))
        if len(groups) > 1:
            ax.set_xticks(range(len(groups)))
            rot = len(groups) > 3 or figwidth() < 6
            ax.set_xticklabels([textwrap.fill(g.short, 18) for g in groups], rotation=30 if rot else 0,
                               ha="right" if rot else "center", rotation_mode="anchor")
            ax.set_xlabel(groups[0].axis_words)
        else:
            xticks_schedulers(ax, names, [-0.4 + (2 * i + 1) * width for i in range(len(names))])
        ax.set_ylim(0, ax.get_ylim()[1] * 1.1)
        ax.set_ylabel("seconds")
        ax.set_title(title)
        ax.grid(axis="x", visible=False)
    handles = [Patch(facecolor="0.45", edgecolor="black", label="mean"),
               Patch(facecolor="0.8", edgecolor="black", hatch="//", label="p95")]
    if len(groups) > 1 or len(names) > 1:
        handles += [Patch(facecolor=colours[s], edgecolor="black", label=s) for s in names]
    put_legend(lax, handles)
    suptitle(fig, f"Latency per scheduler: {groups[0].common}",
             f"mean over {seeds_label(all_seeds(groups))}, error bars: 95% CI (Student t over seeds)")
    save(fig, outdir, "latency_bars", formats, written)
    write_data(outdir, "latency_bars", ["group", "scheduler", "metric", "runs", "mean", "ci95_half_width"],
               data, written)


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


def fig_load_std(groups, outdir, formats, written):
    """Per slot, the std of load across regions: mean over seeds (line) and min-max over seeds
    (band), one panel per group on a shared y axis."""
    colours = {s: g.colour[s] for g in groups for s in g.schedulers}
    styles = {s: g.style[s] for g in groups for s in g.schedulers}
    data, span, series = [], 0.0, []
    for g in groups:
        for s in g.schedulers:
            per_seed = []
            for p in g.of(s):
                slots, _ = read_slots(slots_path(p.folder))
                per_seed.append({k: (v[0], v[1], float(np.std(v[2]))) for k, v in slots.items()})  # population std
            keys = sorted(set().union(*per_seed))
            st, en, mean, lo, hi, n = [], [], [], [], [], []
            for k in keys:
                vals = [d[k][2] for d in per_seed if k in d]
                first = next(d[k] for d in per_seed if k in d)
                st.append(first[0])
                en.append(first[1])
                mean.append(float(np.mean(vals)))
                lo.append(min(vals))
                hi.append(max(vals))
                n.append(len(vals))
                data.append([g.label, s, k, first[0], first[1], len(vals), mean[-1], lo[-1], hi[-1]])
            st, en = np.array(st), np.array(en)
            w = en - st
            avg = float((np.array(mean) * w).sum() / w.sum()) if w.sum() > 0 else float("nan")
            span = max(span, float(en.max()) if en.size else 0.0)
            series.append((g, s, st, en, np.array(mean), np.array(lo), np.array(hi), avg))
    unit, uname = time_unit(span)
    n_slots = max((x[2].size for x in series), default=0)
    # Many slots: a centred moving average over the slots, so the trend stays readable.
    win = math.ceil(n_slots / 100) if n_slots > 150 else 1
    fig, axes, _ = panel_axes(len(groups), 2, sharex=True, sharey=True, panel_ratio=0.55, extra_h=1.2)
    for gi, (ax, g) in enumerate(zip(axes, groups)):
        for gg, s, st, en, mean, lo, hi, avg in series:
            if gg is not g or st.size == 0:
                continue
            label = f"{s} (time-avg {avg:.3g})"
            if win == 1:
                xs = np.append(st, en[-1]) / unit
                ax.fill_between(xs, np.append(lo, lo[-1]), np.append(hi, hi[-1]), step="post",
                                color=colours[s], alpha=0.2, lw=0)
                ax.step(xs, np.append(mean, mean[-1]), where="post", color=colours[s], ls=styles[s], lw=1.4,
                        label=label)
            else:
                xs = (st + en) / 2 / unit
                ax.fill_between(xs, centred_average(lo, win), centred_average(hi, win), color=colours[s],
                                alpha=0.2, lw=0)
                ax.plot(xs, centred_average(mean, win), color=colours[s], ls=styles[s], lw=1.6, label=label)
        ax.set_xlabel(f"simulated time ({uname})")
        ax.set_ylabel("std of load across regions")
        ax.set_xlim(0, span / unit if span > 0 else 1)
        if g.label:
            panel_title(ax, g.label, panel_grid(len(groups), 2)[1])
        ax.legend(loc="upper right", fontsize=STYLE["font"] * 0.75)
    top = max((float(x[6].max()) for x in series if x[6].size), default=0.0)
    for ax in axes:                           # one y scale for every group
        ax.set_ylim(0, top * 1.08 if top > 0 else 1)
    seeds = all_seeds(groups)
    how = (f"line: mean over {seeds_label(seeds)}, band: min-max over seeds" if len(seeds) > 1
           else seeds_label(seeds))
    if win > 1:
        how += f"; centred mean over {win} slots"
    suptitle(fig, f"Load spread across regions over time: {groups[0].common}",
             f"{how}; load = offered requests/s / saturation capacity of the active servers")
    save(fig, outdir, "load_std_over_time", formats, written)
    write_data(outdir, "load_std_over_time", ["group", "scheduler", "slot", "start_s", "end_s", "seeds",
                                              "mean", "min", "max"], data, written)


def xticks_schedulers(ax, names, positions=None):
    ax.set_xticks(np.arange(len(names)) if positions is None else positions)
    if len(names) > 3 or max(map(len, names)) > 14 or figwidth() < 6:
        ax.set_xticklabels(names, rotation=25, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticklabels(names)


def fig_cost(groups, outdir, formats, written):
    """Stacked mean cost per scheduler, one panel per group (shared y), and below a zoom without
    GPU billing (shared y)."""
    G = len(groups)
    n_max = max(len(g.schedulers) for g in groups)
    w = figwidth(max(11, 1.6 * n_max + 5) if G == 1 else 11)
    cols = max(1, min(G, int(w // max(3.3, 1.1 * n_max + 1)) or 1))
    rows = math.ceil(G / cols)
    panel_w = w / cols
    labels = [c[1] for c in COST_PARTS]
    leg_h = legend_height(labels)
    panel_h = panel_w * 0.62
    fig = plt.figure(figsize=(w, 2 * rows * panel_h + leg_h + 1.2 * STYLE["font"] / 10), layout="constrained")
    gs = fig.add_gridspec(2 * rows + 1, cols, height_ratios=[panel_h] * (2 * rows) + [leg_h])
    top = [fig.add_subplot(gs[2 * (i // cols), i % cols]) for i in range(G)]
    zoom = [fig.add_subplot(gs[2 * (i // cols) + 1, i % cols]) for i in range(G)]
    lax = legend_row(fig, gs[2 * rows, :], labels)
    # Components are not schedulers: their own colours, with hatches for print.
    look = {"reserved": (PALETTE[0], ""), "on_demand": (PALETTE[9], "++"), "spot": (PALETTE[8], "oo"),
            "energy": (PALETTE[1], "//"), "carbon": (PALETTE[6], "--"), "network": (PALETTE[2], ".."),
            "migration": (PALETTE[4], "xx"), "switching": (PALETTE[5], "\\\\")}
    rows_out, ymax = [], [0.0, 0.0]
    for g, ax, az in zip(groups, top, zoom):
        n = len(g.schedulers)
        x = np.arange(n)
        means = {part: np.array([mean_ci([p.metric(f"cost_usd.{part}") for p in g.of(s)])[0]
                                 for s in g.schedulers]) for part, _ in COST_PARTS}
        totals = [mean_ci([p.metric("cost_usd.total") for p in g.of(s)]) for s in g.schedulers]
        for k, (a, parts) in enumerate(((ax, COST_PARTS), (az, [c for c in COST_PARTS if c[0] not in GPU_PARTS]))):
            bottom = np.zeros(n)
            for part, label in parts:
                v = np.nan_to_num(means[part])
                a.bar(x, v, 0.6, bottom=bottom, color=look[part][0], hatch=look[part][1], edgecolor="black",
                      linewidth=0.5, label=label)
                bottom += v
            xticks_schedulers(a, g.schedulers)
            a.set_ylabel("cost (USD)")
            a.grid(axis="x", visible=False)
            ymax[k] = max(ymax[k], float(bottom.max()) if n else 0.0)
            if a is az:
                for xi, b in zip(x, bottom):
                    a.annotate(f"{b:.3g}", (xi, b), textcoords="offset points", xytext=(0, 3), ha="center",
                               fontsize=STYLE["font"] * 0.75)
        for xi, (tot, ci) in zip(x, totals):
            ymax[0] = max(ymax[0], tot + ci)
            ax.errorbar([xi], [tot], yerr=[ci], color="black", capsize=4, lw=1)
            ax.annotate(f"{tot:.4g}", (xi, tot + ci), textcoords="offset points", xytext=(0, 4),
                        ha="center", fontsize=STYLE["font"] * 0.8)
        prefix = f"{g.label}\n" if g.label else ""
        ax.set_title(f"{prefix}all components (label: total, bar: 95% CI)")
        az.set_title("without GPU billing (label: sum shown)")
        rows_out += [[g.label, s, len(g.of(s))] + [float(means[part][i]) for part, _ in COST_PARTS]
                     + [totals[i][0], totals[i][1]] for i, s in enumerate(g.schedulers)]
    for k, axs in enumerate((top, zoom)):      # every group on the same scale
        for a in axs:
            a.set_ylim(0, ymax[k] * 1.2 if ymax[k] > 0 else 1)
    h, _ = top[0].get_legend_handles_labels()
    put_legend(lax, h, "component")
    suptitle(fig, f"Operational cost: {groups[0].common}", f"mean over {seeds_label(all_seeds(groups))}")
    save(fig, outdir, "cost_breakdown", formats, written)
    write_data(outdir, "cost_breakdown", ["group", "scheduler", "runs"] + [f"{p}_usd" for p, _ in COST_PARTS]
               + ["total_usd", "total_ci95_half_width"], rows_out, written)


def numeric_values(values):
    try:
        return [float(v) for v in values]
    except ValueError:
        return None


def fig_sweep(groups, pcols, gcols, metrics, outdir, formats, written):
    """For each swept parameter and metric: the metric against the parameter's values, one line
    per scheduler (mean over seeds, error bars 95% CI), one panel per combination of the other
    swept parameters, all on one y axis."""
    colours = {s: g.colour[s] for g in groups for s in g.schedulers}
    styles = {s: g.style[s] for g in groups for s in g.schedulers}
    names = all_schedulers(groups)
    for param in gcols:
        others = [c for c in gcols if c != param]
        values = list(OrderedDict.fromkeys(g.points[0].params[param] for g in groups))
        num = numeric_values(values)
        xs = num if num is not None else list(range(len(values)))
        panels = OrderedDict()
        for g in groups:
            panels.setdefault(tuple(g.points[0].params[c] for c in others), []).append(g)
        for m in metrics:
            fig, axes, lax = panel_axes(len(panels), 3, sharey=True, panel_ratio=0.75, extra_h=1.0,
                                        legend=names)
            data = []
            for ax, (key, gs) in zip(axes, panels.items()):
                title = "; ".join(f"{param_words(c)}: {value_words(c, v)}" for c, v in zip(others, key))
                for si, s in enumerate(names):
                    pts = []
                    for g in gs:
                        if s not in g.schedulers:
                            continue
                        v = g.points[0].params[param]
                        vals = [p.metric(m) for p in g.of(s)]
                        mu, ci = mean_ci(vals)
                        pts.append((xs[values.index(v)], mu, ci))
                        data.append([title, v, s, len(vals), mu, ci])
                    if not pts:
                        continue
                    pts.sort()
                    x, y, e = (np.array(z) for z in zip(*pts))
                    # Categorical x: schedulers side by side, so their error bars do not overlap.
                    if num is None and len(names) > 1:
                        x = x + (si - (len(names) - 1) / 2) * 0.6 / len(names)
                    ax.errorbar(x, y, yerr=e, color=colours[s], ls=styles[s], lw=1.5, marker="o", ms=3.5,
                                capsize=3, label=s)
                ax.set_xlabel(param_words(param))
                if num is None:
                    ax.set_xticks(xs)
                    ax.set_xticklabels([textwrap.fill(value_words(param, v), 16) for v in values],
                                       fontsize=STYLE["font"] * 0.8)
                else:
                    ax.set_xticks(xs)
                    ax.set_xticklabels([f"{x:g}" for x in xs])
                if title:
                    panel_title(ax, title, panel_grid(len(panels), 3)[1])
            axes[0].set_ylabel(metric_words(m))
            for ax in axes[1:]:
                ax.tick_params(labelleft=True)
            put_legend(lax, scheduler_handles(groups, colours, styles), "scheduler")
            suptitle(fig, f"{metric_words(m)[:1].upper()}{metric_words(m)[1:]} against {param_words(param)}"
                     + (f": {groups[0].common}" if groups[0].common else ""),
                     f"mean over {seeds_label(all_seeds(groups))}; error bars: 95% CI (Student t over seeds)")
            name = safe_name(f"sweep_{m}__by_{param}")
            save(fig, outdir, name, formats, written)
            write_data(outdir, name, ["panel", param, "scheduler", "runs", "mean", "ci95_half_width"], data, written)


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


def fig_plan_flows(g, outdir, formats, wanted, written, name="plan_flows"):
    ref = pick_reference(g.schedulers, wanted)
    p = g.first(ref)
    path = requests_path(p.folder)
    _, regions = read_slots(slots_path(p.folder))
    t_max = 0.0
    slot_s = slot_length(p.folder)
    # First pass collects (origin, serve, arrival); bucketing waits until the span is known.
    arrivals, pairs = array("d"), []
    pair_id = {}
    with open_text(path) as f:
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

    fs = (9 if R <= 16 else 7 if R <= 30 else 5) * STYLE["font"] / 10
    w = figwidth(14)
    if w >= 8:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(w, w * 6.2 / 14), gridspec_kw={"width_ratios": [1.35, 1]},
                                     layout="constrained")
    else:                                    # narrow: the two panels one above the other
        fig, (a1, a2) = plt.subplots(2, 1, figsize=(w, 2 * w * 0.85 + 0.8), layout="constrained")
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
                    a2.text(j, i, f"{rown[i, j]:.2f}", ha="center", va="center", fontsize=7 * STYLE["font"] / 10,
                            color="black" if rown[i, j] > 0.6 else "white")
    fig.colorbar(im2, ax=a2, fraction=0.046, pad=0.02).set_label("share of the origin's requests")
    total = int(mat.sum())
    elsewhere = int(mat.sum() - np.trace(mat))
    where = "; ".join(x for x in (g.common, g.label) if x)
    suptitle(fig, f"Inter-region flows of {ref} (realised routing, {seeds_label([p.seed])}): {where}",
             f"{elsewhere} of {total} placed requests ({100.0 * elsewhere / max(total, 1):.1f}%) "
                 "served outside their origin region")
    save(fig, outdir, name, formats, written)
    write_data(outdir, name, ["origin_region", "serve_region", "bucket", "bucket_start_s", "requests"],
               data, written)


def cmd_compare(args):
    points, pcols = load_points(args.dir)
    out = args.out or os.path.join(args.dir, "figures")
    keyed = OrderedDict()
    for p in points:
        keyed.setdefault(tuple(p.params[c] for c in pcols), []).append(p)
    gcols = [c for c in pcols if len({k[pcols.index(c)] for k in keyed}) > 1] if len(keyed) > 1 else []
    # One colour per scheduler across every figure and panel.
    names = list(OrderedDict.fromkeys(p.scheduler for p in points))
    if args.scheduler and args.scheduler not in names:
        raise InputError(f"--scheduler {args.scheduler}: not among the complete points of {args.dir} "
                         f"(schedulers: {', '.join(names)})")
    metrics = [m for m in args.metrics.split(",") if m] if args.metrics else SWEEP_METRICS
    known = set(points[0].row)
    for m in metrics:
        if m not in known:
            raise InputError(f"--metrics {m}: not a column of the summary table (e.g. {', '.join(SWEEP_METRICS[:3])})")
    colours = OrderedDict((s, PALETTE[i % len(PALETTE)]) for i, s in enumerate(names))
    groups = [Group(gp, gcols, colours, i) for i, gp in enumerate(keyed.values())]
    common = common_label(points, pcols, gcols)
    for g in groups:
        g.common = common
        # The latency CDFs read requests.csv (or .gz), else latency.csv, of every seed (or the first).
        readers = g.points if args.cdf_seeds == "all" else [g.of(s)[0] for s in g.schedulers]
        for p in g.points:
            if not os.path.exists(slots_path(p.folder)):
                raise InputError(f"{slots_path(p.folder)}: missing")
            if p in readers and requests_path(p.folder) is None and latency_path(p.folder) is None:
                raise InputError(f"{os.path.join(p.folder, 'requests.csv')}: missing, and no latency.csv "
                                 "either (a run of an older torta-sim with output.requests_csv=false? the "
                                 "latency CDF needs one of them; --cdf-seeds first reads only the first seed's)")
    written = []
    fig_latency_cdf(groups, out, args.formats, args.cdf_seeds, written)
    fig_latency_bars(groups, out, args.formats, written)
    fig_load_std(groups, out, args.formats, written)
    fig_cost(groups, out, args.formats, written)
    for g in groups:
        p = g.first(pick_reference(g.schedulers, args.scheduler))
        if requests_path(p.folder) is None:   # the flows need every request's serving region
            print(f"figures: no plan_flows for {g.label or 'the run'}: {os.path.join(p.folder, 'requests.csv')} "
                  "is missing (output.requests_csv=false)", file=sys.stderr)
            continue
        fig_plan_flows(g, out, args.formats, args.scheduler, written,
                       "plan_flows" if len(groups) == 1 else safe_name(f"plan_flows__{g.name}"))
    if gcols:
        fig_sweep(groups, pcols, gcols, metrics, out, args.formats, written)
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
    fw = figwidth(5.2 * ncol)
    ncol = max(1, min(ncol, int(fw // 3.3) or 1))
    nrow = math.ceil(len(panels) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(fw, (fw / ncol) * 0.65 * nrow + 0.8 * STYLE["font"] / 10),
                             squeeze=False, layout="constrained")
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

def cmd_capsearch(args):
    """Each SLO metric against the rate tried (the seeds' pooled value, per scheduler): passing
    rates filled, failing ones open, the highest passing rate as a dotted line."""
    steps_path = os.path.join(args.dir, "capacity_steps.csv")
    header, rows = read_csv(steps_path)
    for c in ("scheduler", "rate_scale", "seed", "meets_slo"):
        column_index(header, c, steps_path)
    metrics = header[header.index("seed") + 1:header.index("meets_slo")]
    pooled = sorted((r for r in rows if r["seed"] == "pooled"), key=lambda r: float(r["rate_scale"]))
    if not pooled or not metrics:
        raise InputError(f"{steps_path}: no pooled rows or no SLO metrics")
    _, found_rows = read_csv(os.path.join(args.dir, "capacity_search.csv"))
    found = {r["scheduler"]: r["max_rate_scale"] for r in found_rows if r["seed"] == "pooled"}
    scheds = list(dict.fromkeys(r["scheduler"] for r in pooled))
    out = args.out or os.path.join(args.dir, "figures")
    written = []
    fig, axes = plt.subplots(1, len(metrics), figsize=(figwidth(), 3.2), squeeze=False)
    data = []
    for ax, m in zip(axes[0], metrics):
        for k, sch in enumerate(scheds):
            pts = [(float(r["rate_scale"]), float(r[m]), r["meets_slo"] == "yes") for r in pooled
                   if r["scheduler"] == sch and r[m] != ""]
            colour = f"C{k % 10}"
            ax.plot([x for x, _, _ in pts], [y for _, y, _ in pts], color=colour, lw=0.8, label=sch)
            for x, y, ok in pts:
                ax.plot([x], [y], "o", color=colour, mfc=colour if ok else "none")
                data.append([sch, m, x, y, "yes" if ok else "no"])
            if found.get(sch):
                ax.axvline(float(found[sch]), color=colour, ls=":", lw=1)
        ax.set_xlabel("rate scale")
        short = re.fullmatch(r"(ttft|tpot|e2e|queue|network)_(mean|p50|p95|p99|max)", m)
        ax.set_title(metric_words(f"latency_s.{short[1]}.{short[2]}") if short else metric_words(m))
    axes[0][0].legend(title="scheduler (dotted: highest rate within the SLO)")
    suptitle(fig, "Capacity search: SLO metrics against the arrival rate (mean over seeds; filled: within the SLO)")
    fig.tight_layout()
    save(fig, out, "capacity_search", args.formats, written)
    write_data(out, "capacity_search", ["scheduler", "metric", "rate_scale", "value", "meets_slo"], data, written)
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(prog="figures.py", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare", help="figures from a torta-sim compare or sweep folder")
    c.add_argument("dir")
    c.add_argument("--scheduler", help="reference scheduler of plan_flows (default: torta, else torta*, else first)")
    c.add_argument("--cdf-seeds", choices=("all", "first"), default="all",
                   help="latency CDFs over every seed (median and band, default) or the first seed's")
    c.add_argument("--metrics", help="comma-separated summary columns of the sweep figures "
                   f"(default: {','.join(SWEEP_METRICS)})")
    t = sub.add_parser("curve", help="training curves from torta-sim train --curve-out files")
    t.add_argument("curves", nargs="+")
    t.add_argument("--labels", help="comma-separated legend labels, one per file")
    t.add_argument("--window", type=int, default=0, help="moving-average window in episodes")
    k = sub.add_parser("capsearch", help="a torta-sim capacity-search folder: SLO metrics against the rate")
    k.add_argument("dir")
    for p in (c, t, k):
        p.add_argument("--out", help="output folder")
        p.add_argument("--formats", default="png,pdf", help="comma-separated: png, pdf, svg (default png,pdf)")
        p.add_argument("--width", type=float, help="figure width in inches (default: 11, 14 for the flows)")
        p.add_argument("--font-size", type=float, help="base font size in points (default 10)")
        p.add_argument("--single-column", action="store_true",
                       help="a paper's single column: 3.5 inches wide, 7-point fonts (--width, --font-size override)")
    args = ap.parse_args(argv)
    args.formats = [f for f in args.formats.split(",") if f]
    bad = [f for f in args.formats if f not in ("png", "pdf", "svg")]
    try:
        if bad:
            raise InputError(f"--formats: unknown format '{bad[0]}' (expected png, pdf, svg)")
        if args.width is not None and not 2.0 <= args.width <= 40.0:
            raise InputError(f"--width {args.width:g}: expected inches between 2 and 40")
        if args.font_size is not None and not 4.0 <= args.font_size <= 30.0:
            raise InputError(f"--font-size {args.font_size:g}: expected points between 4 and 30")
        STYLE["width"] = args.width or (3.5 if args.single_column else 11.0)
        STYLE["set"] = args.width is not None or args.single_column
        STYLE["font"] = args.font_size or (7.0 if args.single_column else 10.0)
        f = STYLE["font"]
        rc = dict(RC, **{"font.size": f, "axes.titlesize": f + 1, "axes.labelsize": f, "legend.fontsize": f - 1,
                         "legend.title_fontsize": f - 1, "xtick.labelsize": f - 1, "ytick.labelsize": f - 1,
                         "figure.titlesize": f + 1})
        if f < 9:
            rc.update({"lines.linewidth": 1.0, "axes.linewidth": 0.6, "xtick.major.width": 0.6,
                       "ytick.major.width": 0.6, "lines.markersize": 3})
        with plt.rc_context(rc):
            written = {"compare": cmd_compare, "curve": cmd_curve, "capsearch": cmd_capsearch}[args.cmd](args)
    except InputError as ex:
        print(f"figures.py: error: {ex}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
