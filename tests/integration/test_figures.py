"""scripts/figures.py on small real outputs: a `torta-sim compare` (Abilene, 5 minutes of the Azure
conversation trace, least-loaded and torta-no-rl, seeds 1-2), a two-topology `sweep` and a tiny
`torta-sim train` curve. Every figure exists as a well-formed, non-blank PNG and a PDF; the numbers
behind the figures (the CSV written next to each) agree with compare.csv, summary.json and
requests.csv recomputed here; the reference scheduler of plan_flows is torta-no-rl unless
--scheduler says otherwise; the same inputs give byte-identical files; bad input exits 2 naming
the file."""
import csv
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


def check_images(folder, names, formats=("png", "pdf"), tag=""):
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
                      ok and ink > 0.03, f"exists={exists} size={size} dims={info} ink={ink:.3f}")
                sizes[n] = info
            else:
                with open(p, "rb") as f:
                    head = f.read(5) if exists else b""
                check(f"{tag}{n}.pdf: a PDF, > 5 kB", head == b"%PDF-" and size > 5_000, f"size={size}")
    return sizes


def read_rows(path):
    with open(path, newline="") as f:
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


def check_compare_data(cmp, figs):
    comp = read_rows(os.path.join(cmp, "compare.csv"))
    by = defaultdict(list)
    for r in comp:
        by[r["scheduler"]].append(r)

    bars = {(r["scheduler"], r["metric"]): r for r in read_rows(os.path.join(figs, "latency_bars.csv"))}
    ok = len(bars) == 8
    for s, rows in by.items():
        for m in ("latency_s.e2e.mean", "latency_s.e2e.p95", "latency_s.ttft.mean", "latency_s.ttft.p95"):
            mu, ci = mean_ci([float(r[m]) for r in rows])
            b = bars.get((s, m))
            ok &= b is not None and int(b["runs"]) == 2 and close(float(b["mean"]), mu) and \
                close(float(b["ci95_half_width"]), ci)
    check("latency_bars: means and Student-t 95% CIs over the seeds match compare.csv", ok)

    cost = {r["scheduler"]: r for r in read_rows(os.path.join(figs, "cost_breakdown.csv"))}
    ok = set(cost) == set(by)
    for s, rows in by.items():
        for part in ("reserved", "on_demand", "spot", "energy", "carbon", "network", "migration", "switching") + ("total",):
            mu = sum(float(r[f"cost_usd.{part}"]) for r in rows) / len(rows)
            ok &= s in cost and close(float(cost[s][f"{part}_usd"]), mu)
        parts = sum(float(cost[s][f"{p}_usd"]) for p in ("reserved", "on_demand", "spot", "energy", "carbon", "network", "migration", "switching"))
        ok &= close(parts, float(cost[s]["total_usd"]), rel=1e-4)
    check("cost_breakdown: component means match compare.csv and stack up to the total", ok)

    # Load spread: the slot-length-weighted mean of the plotted per-slot std is the summary's
    # region_load_std (slots.csv rounds load to 6 decimals).
    std = defaultdict(list)
    for r in read_rows(os.path.join(figs, "load_std_over_time.csv")):
        std[r["scheduler"]].append(r)
    ok = set(std) == set(by)
    for s in by:
        rows = std[s]
        w = [float(r["end_s"]) - float(r["start_s"]) for r in rows]
        avg = sum(wi * float(r["region_load_std"]) for wi, r in zip(w, rows)) / sum(w)
        summ = json.load(open(os.path.join(cmp, f"{s}__s1", "summary.json")))
        ok &= all(r["seed"] == "1" for r in rows) and len(rows) == summ["slots"] and \
            abs(avg - summ["load_balance"]["region_load_std"]) < 5e-6
    check("load_std_over_time: seed 1, one value per slot, time average = summary region_load_std", ok)

    # CDF: pooled over both seeds; quantiles are order statistics of the completed requests.
    q = defaultdict(dict)
    for r in read_rows(os.path.join(figs, "latency_cdf.csv")):
        q[r["scheduler"]][r["quantile"]] = (float(r["e2e_s"]), int(r["requests"]), int(r["runs"]))
    ok = set(q) == set(by)
    for s in by:
        e2e = sorted(float(r["e2e_s"]) for seed in (1, 2)
                     for r in read_rows(os.path.join(cmp, f"{s}__s{seed}", "requests.csv"))
                     if r["status"] == "completed")
        n = len(e2e)
        for qs, p in (("0.5", 0.5), ("0.95", 0.95), ("1", 1.0), ("0", 0.0)):
            want = e2e[max(0, math.ceil(p * n) - 1)]
            got = q[s].get(qs)
            ok &= got is not None and close(got[0], want) and got[1] == n and got[2] == 2
    check("latency_cdf: pooled over seeds 1-2, quantiles = order statistics of requests.csv", ok)

    flows = Counter()
    for r in read_rows(os.path.join(figs, "plan_flows.csv")):
        flows[(r["origin_region"], r["serve_region"])] += int(r["requests"])
    ref, other = routing(os.path.join(cmp, "torta-no-rl__s1")), routing(os.path.join(cmp, "least-loaded__s1"))
    check("plan_flows: the reference is torta-no-rl (seed 1): its origin x serve counts, all placed requests",
          flows == ref and sum(ref.values()) > 1000, f"{sum(flows.values())} vs {sum(ref.values())}")
    check("the two schedulers route differently (so the reference check can tell them apart)", ref != other)
    return other


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

        # A sweep over two topologies: one subfolder of figures per topology, same figure sizes.
        spec = os.path.join(tmp, "spec.json")
        with open(spec, "w") as f:
            json.dump({"topologies": [ABILENE, {"name": "r3", "file": R3}],
                       "workloads": [{"name": "azure-2min", "trace": TRACE, "duration_s": 120}],
                       "schedulers": ["least-loaded/jsq", "torta-no-rl/jsq"], "seeds": "1"}, f)
        sw = os.path.join(tmp, "sweep")
        p = run(SIM, "sweep", spec, "--out", sw, "--jobs", "2", "--quiet")
        check("torta-sim sweep exits 0", p.returncode == 0, p.stderr[-400:])
        figs3 = os.path.join(tmp, "figs3")
        p = run(PY, FIG, "compare", sw, "--out", figs3, "--formats", "png")
        check("figures.py on a sweep exits 0", p.returncode == 0, p.stderr[-600:])
        check("one subfolder per topology", sorted(os.listdir(figs3)) == ["Abilene", "r3"] if p.returncode == 0
              else False, os.listdir(figs3) if os.path.isdir(figs3) else "")
        s3 = check_images(os.path.join(figs3, "r3"), FIGURES, ("png",), "r3/")
        check("fixed figure sizes (compare and sweep give the same pixel dimensions)",
              all(s3.get(n) == sizes.get(n) for n in ("latency_cdf", "latency_bars", "load_std_over_time")),
              f"{s3} {sizes}")
        r3flows = read_rows(os.path.join(figs3, "r3", "plan_flows.csv"))
        check("r3: plan_flows has only r3's regions", {r["origin_region"] for r in r3flows} <= {"us-east", "eu-west", "ap-east"} and
              len(r3flows) > 0, {r["origin_region"] for r in r3flows})

        out = os.path.join(tmp, "curves")
        p = run(PY, FIG, "curve", curve, curve, "--labels", "run a,run b", "--out", out)
        check("figures.py curve exits 0", p.returncode == 0, p.stderr[-600:])
        check_images(out, ["training_curve"])
        first = open(os.path.join(out, "training_curve.png"), "rb").read() if p.returncode == 0 else b""
        p = run(PY, FIG, "curve", curve, curve, "--labels", "run a,run b", "--out", out)
        check("curve: same input, byte-identical PNG and PDF",
              p.returncode == 0 and open(os.path.join(out, "training_curve.png"), "rb").read() == first)

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

        # Without the second seed's requests.csv (output.requests_csv=false, or pruned by
        # paper_experiment.py): --cdf-seeds first still draws everything; the default says why not.
        cmp2 = os.path.join(tmp, "cmp2")
        shutil.copytree(cmp, cmp2)
        pruned = 0
        for d in os.listdir(cmp2):
            summ = os.path.join(cmp2, d, "summary.json")
            if os.path.exists(summ) and json.load(open(summ))["seed"] == 2:
                os.remove(os.path.join(cmp2, d, "requests.csv"))
                pruned += 1
        p = run(PY, FIG, "compare", cmp2, "--out", os.path.join(tmp, "f4"), "--formats", "png")
        check("requests.csv of a seed missing: exit 2 naming it and --cdf-seeds first",
              pruned == 2 and p.returncode == 2 and "requests.csv" in p.stderr and "--cdf-seeds first" in p.stderr,
              p.stderr[-300:])
        p = run(PY, FIG, "compare", cmp2, "--out", os.path.join(tmp, "f4"), "--formats", "png", "--cdf-seeds", "first")
        check("--cdf-seeds first needs only the first seed's requests.csv", p.returncode == 0, p.stderr[-300:])

    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
