"""scripts/figures.py on small real outputs: a `torta-sim compare` (Abilene, 5 minutes of the Azure
conversation trace, least-loaded and torta-no-rl, seeds 1-2), the same with gzip-compressed
requests, a two-topology x two-batch-size `sweep` and a tiny `torta-sim train` curve. Every
figure exists as a well-formed, non-blank PNG and a PDF; the numbers behind the figures (the CSV
written next to each) agree with compare.csv, sweep.csv, summary.json, slots.csv and requests.csv
recomputed here (latency CDFs per seed, their median and min-max across seeds; load spread over
time across seeds; a metric against each swept parameter with its CI); the reference scheduler
of plan_flows is torta-no-rl unless --scheduler says otherwise; requests.csv.gz gives the same
numbers as requests.csv; without requests.csv the CDFs come from each run's latency.csv (its
numbers: the buckets' middles, within 1/1024 of requests.csv's order statistics; the other
figures unchanged, plan_flows left out with a note); --width and --single-column set the size;
titles are words; the same inputs give byte-identical files; bad input exits 2 naming the file."""
import csv
import gzip
import importlib.util
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
PY = "/usr/bin/python3"
FIG = os.path.join(SRC, "scripts/figures.py")
TRACE = os.path.join(SRC, "traces/AzureLLMInferenceTrace_conv.csv")
ABILENE = os.path.join(SRC, "topologies/Abilene.gml")
R3 = os.path.join(SRC, "tests/fixtures/core/three_regions.json")
LENGTHS = os.path.join(SRC, "traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv")
FIGURES = ["latency_cdf", "latency_bars", "load_std_over_time", "cost_breakdown", "plan_flows"]
T975 = {1: 12.7062, 2: 4.3027}
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail if not ok else ''}".rstrip())


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True, cwd=SRC)


def png_info(path):
    """(width, height) of a PNG, or None if the file is not one."""
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def inked(path):
    """Share of pixels that are not (near) white: a blank or nearly empty canvas fails."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    img = mpimg.imread(path)
    return float((img[..., :3].min(axis=2) < 0.9).mean())


def check_images(folder, names, formats=("png", "pdf"), tag="", min_ink=0.03):
    sizes = {}
    for n in names:
        for fmt in formats:
            p = os.path.join(folder, f"{n}.{fmt}")
            exists = os.path.exists(p)
            size = os.path.getsize(p) if exists else 0
            if fmt == "png":
                info = png_info(p) if exists else None
                ok = info is not None and size > 10_000 and info[0] >= 900 and info[1] >= 500
                ink = inked(p) if ok else 0.0
                check(f"{tag}{n}.png: a PNG of at least 900x500 pixels, > 10 kB, not blank",
                      ok and ink > min_ink, f"exists={exists} size={size} dims={info} ink={ink:.3f}")
                sizes[n] = info
            else:
                with open(p, "rb") as f:
                    head = f.read(5) if exists else b""
                check(f"{tag}{n}.pdf: a PDF, > 5 kB", head == b"%PDF-" and size > 5_000, f"size={size}")
    return sizes


def read_rows(path):
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    with (gzip.open(path, "rt", newline="") if path.endswith(".gz") else open(path, newline="")) as f:
        return list(csv.DictReader(f))


def close(a, b, rel=1e-6, abs_=1e-9):
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def mean_ci(v):
    m = sum(v) / len(v)
    if len(v) < 2:
        return m, 0.0
    s = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))
    return m, T975[len(v) - 1] * s / math.sqrt(len(v))


def routing(folder):
    """(origin, serve) -> placed requests, from requests.csv with the csv module."""
    c = Counter()
    for r in read_rows(os.path.join(folder, "requests.csv")):
        if r["server_id"] != "-1" and r["serve_region"]:
            c[(r["origin_region"], r["serve_region"])] += 1
    return c


def order_stat(sorted_values, q):
    """The ceil(q n)-th smallest value (numpy's inverted_cdf quantile)."""
    n = len(sorted_values)
    return sorted_values[max(0, math.ceil(q * n) - 1)]


def latencies(folder):
    """ttft_s, tpot_s (more than one output token) and e2e_s of completed requests, sorted."""
    out = {"ttft_s": [], "tpot_s": [], "e2e_s": []}
    for r in read_rows(os.path.join(folder, "requests.csv")):
        if r["status"] != "completed":
            continue
        for c in out:
            if c != "tpot_s" or int(r["output_tokens"]) > 1:
                out[c].append(float(r[c]))
    return {c: sorted(v) for c, v in out.items()}


def hist_quantile(folder, metric, q):
    """latency.csv's ceil(q n)-th smallest value of `metric` (at least the first) as the middle
    of its bucket, and n."""
    bs = [(float(r["lower_s"]), float(r["upper_s"]), int(r["count"]))
          for r in read_rows(os.path.join(folder, "latency.csv")) if r["metric"] == metric]
    n = sum(c for _, _, c in bs)
    rank, seen = max(1, math.ceil(q * n)), 0
    for lo, hi, c in bs:
        seen += c
        if seen >= rank:
            return (lo + hi) / 2, n
    raise AssertionError(f"{folder}: {metric}: rank {rank} beyond {n}")


def check_latency_only(cmp, figs, tmp):
    """Every requests.csv removed (output.requests_csv=false): the CDFs from latency.csv."""
    lat = os.path.join(tmp, "cmp_latency")
    shutil.copytree(cmp, lat)
    for d in os.listdir(lat):
        if os.path.exists(os.path.join(lat, d, "requests.csv")):
            os.remove(os.path.join(lat, d, "requests.csv"))
    out = os.path.join(tmp, "figs_latency")
    p = run(PY, FIG, "compare", lat, "--out", out, "--formats", "png")
    check("only latency.csv: figures.py exits 0, every figure but plan_flows, with a note naming requests.csv",
          p.returncode == 0 and sorted(os.path.basename(x) for x in p.stdout.split()) ==
          sorted(f"{n}.{e}" for n in FIGURES[:4] for e in ("png", "csv")) and "plan_flows" in p.stderr and
          "requests.csv" in p.stderr, p.stdout + p.stderr[-300:])
    if p.returncode != 0:
        return
    check_images(out, FIGURES[:4], ("png",), "latency.csv/")
    check("only latency.csv: latency_bars, load_std_over_time, cost_breakdown unchanged",
          all(open(os.path.join(figs, f"{n}.csv"), "rb").read() == open(os.path.join(out, f"{n}.csv"), "rb").read()
              for n in FIGURES[1:4]))
    exact = {(r["scheduler"], r["metric"], r["quantile"]): r for r in read_rows(os.path.join(figs, "latency_cdf.csv"))}
    got = read_rows(os.path.join(out, "latency_cdf.csv"))
    ok, worst = len(got) == len(exact) > 0, 0.0
    for r in got:
        x = [hist_quantile(os.path.join(lat, f"{r['scheduler']}__s{seed}"), r["metric"][:-2], float(r["quantile"]))
             for seed in (1, 2)]
        vals = [v for v, _ in x]
        ok &= close(float(r["median_s"]), sum(vals) / 2) and close(float(r["min_s"]), min(vals)) and \
            close(float(r["max_s"]), max(vals)) and int(r["requests"]) == sum(n for _, n in x) and r["seeds"] == "2"
        e = exact.get((r["scheduler"], r["metric"], r["quantile"]))
        ok &= e is not None and int(e["requests"]) == int(r["requests"])
        for c in ("median_s", "min_s", "max_s"):
            a, b = float(r[c]), float(e[c]) if e else math.nan
            ok &= abs(a - b) <= b / 1024 + 1e-6
            worst = max(worst, abs(a - b) / b)
    check(f"only latency.csv: latency_cdf's numbers are the buckets' middles per seed (median, min-max), within "
          f"1/1024 of requests.csv's order statistics (worst {worst:.1e})", ok and worst > 0)


def region_load_std(folder):
    """{slot: population std across regions of slots.csv load} and {slot: (start, end)}."""
    by, span = defaultdict(list), {}
    for r in read_rows(os.path.join(folder, "slots.csv")):
        by[int(r["slot"])].append(float(r["load"]))
        span[int(r["slot"])] = (float(r["start_s"]), float(r["end_s"]))
    std = {}
    for k, v in by.items():
        m = sum(v) / len(v)
        std[k] = math.sqrt(sum((x - m) ** 2 for x in v) / len(v))
    return std, span


def check_compare_data(cmp, figs):
    comp = read_rows(os.path.join(cmp, "compare.csv"))
    by = defaultdict(list)
    for r in comp:
        by[r["scheduler"]].append(r)

    bars = {(r["scheduler"], r["metric"]): r for r in read_rows(os.path.join(figs, "latency_bars.csv"))}
    ok = len(bars) == 12
    for s, rows in by.items():
        for lat in ("e2e", "ttft", "tpot"):
            for stat in ("mean", "p95"):
                m = f"latency_s.{lat}.{stat}"
                mu, ci = mean_ci([float(r[m]) for r in rows])
                b = bars.get((s, m))
                ok &= b is not None and int(b["runs"]) == 2 and close(float(b["mean"]), mu) and \
                    close(float(b["ci95_half_width"]), ci)
    check("latency_bars: e2e, TTFT, TPOT means and Student-t 95% CIs over the seeds match compare.csv", ok)

    cost = {r["scheduler"]: r for r in read_rows(os.path.join(figs, "cost_breakdown.csv"))}
    ok = set(cost) == set(by)
    parts_all = ("reserved", "on_demand", "spot", "energy", "carbon", "network", "migration", "switching")
    for s, rows in by.items():
        for part in parts_all + ("total",):
            mu = sum(float(r[f"cost_usd.{part}"]) for r in rows) / len(rows)
            ok &= s in cost and close(float(cost[s][f"{part}_usd"]), mu)
        parts = sum(float(cost[s][f"{p}_usd"]) for p in parts_all)
        ok &= close(parts, float(cost[s]["total_usd"]), rel=1e-4)
    check("cost_breakdown: component means match compare.csv and stack up to the total", ok)

    # Load spread over time: per slot, the mean and min-max over both seeds of the std across
    # regions of slots.csv load; its time average is the mean of the summaries' region_load_std
    # (slots.csv rounds load to 6 decimals).
    std = defaultdict(list)
    for r in read_rows(os.path.join(figs, "load_std_over_time.csv")):
        std[r["scheduler"]].append(r)
    ok = set(std) == set(by)
    for s in by:
        seeds = [region_load_std(os.path.join(cmp, f"{s}__s{seed}")) for seed in (1, 2)]
        rows = std[s]
        ok &= len(rows) == len(seeds[0][0])
        for r in rows:
            k = int(r["slot"])
            vals = [d[k] for d, _ in seeds if k in d]
            ok &= int(r["seeds"]) == len(vals) == 2 and abs(float(r["mean"]) - sum(vals) / 2) < 1e-8 and \
                abs(float(r["min"]) - min(vals)) < 1e-8 and abs(float(r["max"]) - max(vals)) < 1e-8
        for seed, (d, span) in zip((1, 2), seeds):    # the recomputation agrees with the simulator
            w = {k: b - a for k, (a, b) in span.items()}
            avg = sum(w[k] * d[k] for k in d) / sum(w.values())
            summ = json.load(open(os.path.join(cmp, f"{s}__s{seed}", "summary.json")))
            ok &= abs(avg - summ["load_balance"]["region_load_std"]) < 5e-6
    check("load_std_over_time: per slot mean and min-max over seeds 1-2 of the std across regions of "
          "slots.csv load (whose time average is each summary's region_load_std)", ok)

    # CDFs: per scheduler and metric, each seed's order statistics; the line is their median
    # (two seeds: the mean of the two), the band their min and max.
    q = defaultdict(dict)
    for r in read_rows(os.path.join(figs, "latency_cdf.csv")):
        q[(r["scheduler"], r["metric"])][r["quantile"]] = r
    ok = {s for s, _ in q} == set(by) and {m for _, m in q} == {"ttft_s", "tpot_s", "e2e_s"}
    for s in by:
        per_seed = [latencies(os.path.join(cmp, f"{s}__s{seed}")) for seed in (1, 2)]
        for m in ("ttft_s", "tpot_s", "e2e_s"):
            n = sum(len(v[m]) for v in per_seed)
            for qs, p in (("0", 0.0), ("0.5", 0.5), ("0.95", 0.95), ("0.999", 0.999), ("1", 1.0)):
                x = [order_stat(v[m], p) for v in per_seed]
                got = q[(s, m)].get(qs)
                ok &= got is not None and close(float(got["median_s"]), sum(x) / 2) and \
                    close(float(got["min_s"]), min(x)) and close(float(got["max_s"]), max(x)) and \
                    int(got["requests"]) == n and int(got["seeds"]) == 2
        summ = json.load(open(os.path.join(cmp, f"{s}__s1", "summary.json")))
        ok &= len(per_seed[0]["tpot_s"]) <= len(per_seed[0]["e2e_s"]) == summ["requests"]["completed"]
    check("latency_cdf: TTFT, TPOT, e2e per seed; median and min-max across seeds 1-2 = order statistics "
          "of requests.csv", ok)

    flows = Counter()
    for r in read_rows(os.path.join(figs, "plan_flows.csv")):
        flows[(r["origin_region"], r["serve_region"])] += int(r["requests"])
    ref, other = routing(os.path.join(cmp, "torta-no-rl__s1")), routing(os.path.join(cmp, "least-loaded__s1"))
    check("plan_flows: the reference is torta-no-rl (seed 1): its origin x serve counts, all placed requests",
          flows == ref and sum(ref.values()) > 1000, f"{sum(flows.values())} vs {sum(ref.values())}")
    check("the two schedulers route differently (so the reference check can tell them apart)", ref != other)
    return other


def check_sweep_data(sw, figs):
    """sweep_<metric>__by_<parameter>: per panel (other parameter), value and scheduler, the mean
    and CI over seeds of sweep.csv's column."""
    rows = read_rows(os.path.join(sw, "sweep.csv"))
    ok, seen = True, 0
    words = {"topology": "topology", "server.max_batch": "maximum batch size"}
    label = lambda c, v: f"{words[c]}: {os.path.splitext(os.path.basename(v))[0] if c == 'topology' else v}"  # noqa: E731
    for param, other in (("server.max_batch", "topology"), ("topology", "server.max_batch")):
        for metric in ("latency_s.e2e.mean", "cost_usd.total", "load_balance.region_load_std"):
            path = os.path.join(figs, f"sweep_{metric}__by_{param}.csv")
            got = read_rows(path) if os.path.exists(path) else []
            ok &= len(got) == 8
            for g in got:
                vals = [float(r[metric]) for r in rows if r["scheduler"] == g["scheduler"] and
                        r[param] == g[param] and label(other, r[other]) == g["panel"]]
                mu, ci = mean_ci(vals) if vals else (float("nan"), 0)
                ok &= len(vals) == 2 and int(g["runs"]) == 2 and close(float(g["mean"]), mu) and \
                    close(float(g["ci95_half_width"]), ci)
                seen += 1
    check("sweep figures: a metric against each swept parameter, mean and 95% CI over seeds of sweep.csv",
          ok and seen == 48, f"seen {seen}")


def load_figures_module():
    spec = importlib.util.spec_from_file_location("figures", FIG)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    with tempfile.TemporaryDirectory() as tmp:
        cmp = os.path.join(tmp, "cmp")
        p = run(SIM, "compare", "--topology", ABILENE, "--trace", TRACE, "--duration-s", "300",
                "--schedulers", "least-loaded,torta-no-rl", "--seeds", "1-2", "--jobs", "2", "--quiet", "--out", cmp)
        check("torta-sim compare exits 0", p.returncode == 0, p.stderr[-400:])
        curve = os.path.join(tmp, "curve.csv")
        p = run(SIM, "train", "--topology", R3, "--workload",
                f"diurnal:rate_per_s=1.5,duration_s=21600,lengths={LENGTHS}", "--set",
                'regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":1}]', "--slot-s", "600",
                "--macro", "torta", "--episodes", "6", "--seed", "3",
                "--set", "scheduler.macro_params.rl.horizon_steps=32", "--quiet",
                "--policy-out", os.path.join(tmp, "policy.json"), "--curve-out", curve)
        check("torta-sim train exits 0", p.returncode == 0, p.stderr[-400:])

        figs = os.path.join(tmp, "figs")
        p = run(PY, FIG, "compare", cmp, "--out", figs)
        check("figures.py compare exits 0", p.returncode == 0, p.stderr[-600:])
        sizes = check_images(figs, FIGURES)
        check("figures.py lists every file it wrote", sorted(os.path.basename(x) for x in p.stdout.split()) ==
              sorted(f"{n}.{e}" for n in FIGURES for e in ("png", "pdf", "csv")), p.stdout)
        other = check_compare_data(cmp, figs)

        # --scheduler picks the reference of plan_flows; --formats png leaves out the PDFs. The
        # figures that do not depend on --scheduler come out byte-identical (deterministic output).
        figs2 = os.path.join(tmp, "figs2")
        p = run(PY, FIG, "compare", cmp, "--out", figs2, "--scheduler", "least-loaded", "--formats", "png")
        flows = Counter()
        for r in read_rows(os.path.join(figs2, "plan_flows.csv")) if p.returncode == 0 else []:
            flows[(r["origin_region"], r["serve_region"])] += int(r["requests"])
        check("--scheduler least-loaded: plan_flows shows least-loaded", p.returncode == 0 and flows == other,
              p.stderr[-300:])
        check("--formats png: no PDF written", not any(f.endswith(".pdf") for f in os.listdir(figs2)))
        same = all(open(os.path.join(figs, f), "rb").read() == open(os.path.join(figs2, f), "rb").read()
                   for n in FIGURES[:4] for f in (f"{n}.png", f"{n}.csv"))
        check("same inputs, byte-identical PNG and CSV files", same)

        # The same compare with output.compress = "gzip": requests.csv.gz holds the same bytes
        # once decompressed, and the figures' numbers are the same.
        cmpgz = os.path.join(tmp, "cmpgz")
        p = run(SIM, "compare", "--topology", ABILENE, "--trace", TRACE, "--duration-s", "300",
                "--schedulers", "least-loaded,torta-no-rl", "--seeds", "1-2", "--jobs", "2", "--quiet",
                "--set", "output.compress=gzip", "--out", cmpgz)
        check("torta-sim compare --set output.compress=gzip exits 0", p.returncode == 0, p.stderr[-400:])
        same = True
        for d in ("least-loaded__s1", "least-loaded__s2", "torta-no-rl__s1", "torta-no-rl__s2"):
            gz = os.path.join(cmpgz, d, "requests.csv.gz")
            same &= os.path.exists(gz) and not os.path.exists(os.path.join(cmpgz, d, "requests.csv")) and \
                gzip.open(gz).read() == open(os.path.join(cmp, d, "requests.csv"), "rb").read()
        check("gzip: each point's requests.csv.gz decompresses to the plain run's requests.csv", same)
        # ... drawn as a single-column figure: 3.5 inches wide (525 pixels at 150 dpi).
        figsgz = os.path.join(tmp, "figsgz")
        p = run(PY, FIG, "compare", cmpgz, "--out", figsgz, "--formats", "png", "--single-column")
        check("figures.py reads requests.csv.gz: exits 0, the same plotted numbers",
              p.returncode == 0 and all(open(os.path.join(figs, f"{n}.csv"), "rb").read() ==
                                        open(os.path.join(figsgz, f"{n}.csv"), "rb").read() for n in FIGURES),
              p.stderr[-400:])
        dims = {n: png_info(os.path.join(figsgz, f"{n}.png")) for n in FIGURES} if p.returncode == 0 else {}
        check("--single-column: every figure 525 pixels wide",
              p.returncode == 0 and all(d is not None and d[0] == 525 and d[1] > 300 for d in dims.values()), dims)
        p = run(PY, FIG, "compare", cmp, "--out", os.path.join(tmp, "x"), "--width", "0.5")
        check("--width out of range: exit 2", p.returncode == 2 and "--width" in p.stderr, p.stderr)

        # A sweep over two topologies x two batch sizes, two seeds: one folder, every figure with
        # a panel per group; a metric against each swept parameter.
        spec = os.path.join(tmp, "spec.json")
        with open(spec, "w") as f:
            json.dump({"topologies": [ABILENE, {"name": "r3", "file": R3}],
                       "workloads": [{"name": "azure-2min", "trace": TRACE, "duration_s": 120}],
                       "schedulers": ["least-loaded/jsq", "torta-no-rl/jsq"], "seeds": "1-2",
                       "set": {"server.max_batch": [16, 64],
                               "regions.servers": [[{"gpu": "h100-80gb", "model": "llama2-70b", "tp": 4,
                                                     "count": 2}]]}}, f)
        sw = os.path.join(tmp, "sweep")
        p = run(SIM, "sweep", spec, "--out", sw, "--jobs", "2", "--quiet")
        check("torta-sim sweep exits 0", p.returncode == 0, p.stderr[-400:])
        figs3 = os.path.join(tmp, "figs3")
        metrics = "latency_s.e2e.mean,cost_usd.total,load_balance.region_load_std"
        p = run(PY, FIG, "compare", sw, "--out", figs3, "--formats", "png", "--metrics", metrics)
        check("figures.py on a sweep exits 0", p.returncode == 0, p.stderr[-600:])
        listing = sorted(os.listdir(figs3)) if os.path.isdir(figs3) else []
        check("a sweep's figures in one folder (no per-group subfolders)",
              listing and not any(os.path.isdir(os.path.join(figs3, x)) for x in listing), listing)
        s3 = check_images(figs3, FIGURES[:4] + [f"sweep_{m}__by_{k}" for m in metrics.split(",")
                                                 for k in ("topology", "server.max_batch")], ("png",), "sweep/", 0.015)
        check("the same width for compare and sweep figures (1650 pixels at the default 11 inches)",
              all(s3.get(n) and s3[n][0] == sizes[n][0] == 1650 for n in FIGURES[:4]), f"{s3} {sizes}")
        check_sweep_data(sw, figs3)
        bars = read_rows(os.path.join(figs3, "latency_bars.csv"))
        check("latency_bars of a sweep: every group x scheduler x metric",
              len(bars) == 4 * 2 * 6 and len({r["group"] for r in bars}) == 4, len(bars))
        r3flows = read_rows(os.path.join(figs3, "plan_flows__r3__server.max_batch=16.csv"))
        check("r3: plan_flows has only r3's regions", {r["origin_region"] for r in r3flows} <= {"us-east", "eu-west", "ap-east"} and
              len(r3flows) > 0, {r["origin_region"] for r in r3flows})

        # Titles in words: parameter keys and JSON values are translated.
        fm = load_figures_module()
        servers = '[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":2}]'
        words = [fm.value_words("regions.servers", servers), fm.param_words("scheduler.macro"),
                 fm.metric_words("latency_s.ttft.p95"), fm.param_words("scheduler.macro_params.ot.epsilon"),
                 fm.value_words("x", '{"a_s": 1, "b": [1, 2]}')]
        check("titles in words, no raw JSON",
              words == ["2 x h100-80gb (llama2-70b, TP4)", "macro scheduler", "p95 time to first token (s)",
                        "ot epsilon", "a (s) 1, b 1, 2"], words)

        out = os.path.join(tmp, "curves")
        p = run(PY, FIG, "curve", curve, curve, "--labels", "run a,run b", "--out", out)
        check("figures.py curve exits 0", p.returncode == 0, p.stderr[-600:])
        check_images(out, ["training_curve"])
        first = open(os.path.join(out, "training_curve.png"), "rb").read() if p.returncode == 0 else b""
        p = run(PY, FIG, "curve", curve, curve, "--labels", "run a,run b", "--out", out)
        check("curve: same input, byte-identical PNG and PDF",
              p.returncode == 0 and open(os.path.join(out, "training_curve.png"), "rb").read() == first)
        p = run(PY, FIG, "curve", curve, "--out", os.path.join(tmp, "c7"), "--formats", "png", "--width", "7",
                "--font-size", "8")
        dims = png_info(os.path.join(tmp, "c7", "training_curve.png")) if p.returncode == 0 else None
        check("--width 7: 1050 pixels wide", dims is not None and dims[0] == 1050, f"{dims} {p.stderr[-300:]}")

        p = run(PY, FIG, "compare", os.path.join(tmp, "nothing"))
        check("a missing folder: exit 2 naming it", p.returncode == 2 and "nothing" in p.stderr, p.stderr)
        p = run(PY, FIG, "compare", os.path.join(tmp, "curves"))
        check("a folder without manifest.csv: exit 2 naming manifest.csv",
              p.returncode == 2 and "manifest.csv" in p.stderr, p.stderr)
        bad = os.path.join(tmp, "bad.csv")
        with open(bad, "w") as f:
            f.write("episode,seed,steps\n0,1,3\n")
        p = run(PY, FIG, "curve", bad, "--out", out)
        check("a curve without a reward column: exit 2 naming file and column",
              p.returncode == 2 and "bad.csv" in p.stderr and "reward" in p.stderr, p.stderr)
        p = run(PY, FIG, "curve", curve, "--labels", "a,b", "--out", out)
        check("--labels count mismatch: exit 2", p.returncode == 2 and "--labels" in p.stderr, p.stderr)
        p = run(PY, FIG, "compare", cmp, "--scheduler", "nope", "--out", os.path.join(tmp, "x"))
        check("--scheduler not in the run: exit 2 listing the schedulers",
              p.returncode == 2 and "least-loaded" in p.stderr, p.stderr)

        check_latency_only(cmp, figs, tmp)
        # Without the second seed's requests.csv (output.requests_csv=false) its CDFs come from its
        # latency.csv; without that too (an older run), --cdf-seeds first still draws everything
        # and the default says why not.
        cmp2 = os.path.join(tmp, "cmp2")
        shutil.copytree(cmp, cmp2)
        seed2 = [os.path.join(cmp2, d) for d in os.listdir(cmp2)
                 if os.path.exists(os.path.join(cmp2, d, "summary.json")) and
                 json.load(open(os.path.join(cmp2, d, "summary.json")))["seed"] == 2]
        for d in seed2:
            os.remove(os.path.join(d, "requests.csv"))
        p = run(PY, FIG, "compare", cmp2, "--out", os.path.join(tmp, "f4"), "--formats", "png")
        check("requests.csv of a seed missing: its CDFs from its latency.csv, exit 0",
              len(seed2) == 2 and p.returncode == 0, p.stderr[-300:])
        for d in seed2:
            os.remove(os.path.join(d, "latency.csv"))
        p = run(PY, FIG, "compare", cmp2, "--out", os.path.join(tmp, "f4"), "--formats", "png")
        check("neither requests.csv nor latency.csv of a seed: exit 2 naming both and --cdf-seeds first",
              p.returncode == 2 and "requests.csv" in p.stderr and "latency.csv" in p.stderr and
              "--cdf-seeds first" in p.stderr, p.stderr[-300:])
        p = run(PY, FIG, "compare", cmp2, "--out", os.path.join(tmp, "f4"), "--formats", "png", "--cdf-seeds", "first")
        check("--cdf-seeds first needs only the first seed's requests.csv", p.returncode == 0, p.stderr[-300:])

    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
