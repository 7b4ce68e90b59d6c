"""latency.csv, the latency histograms' buckets written beside summary.json (README, "latency.csv").
On the first 4,000 requests of the Azure conversation trace (every 7th cut to one output token)
on Abilene, with over-context requests rejected (so that completed and arrived differ): per metric, the bucket counts sum to the completed requests
(TPOT: those with more than one output token), never to the rejected ones; each bucket is at most
1/512 wide and the buckets come in increasing order; the CDF read from the buckets agrees with the
empirical CDF of the same run's requests.csv at p10..p99 (TTFT, TPOT, e2e, queue) within the
histogram's resolution, and the summary's p50/p95/p99 are the middles of those buckets; the file
is byte-identical across two runs with the same seed and differs with another seed; it is written
with output.requests_csv=false (the same bytes) and kept in each point folder of a sweep; and
scripts/paper_figures.py draws its CDF figure from a sweep without requests.csv, its numbers
being the buckets' quantiles."""
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
PY = "/usr/bin/python3"
ABILENE = os.path.join(SRC, "topologies/Abilene.gml")
TRACE = os.path.join(SRC, "traces/AzureLLMInferenceTrace_conv.csv")
BASE = ["--topology", ABILENE, "--quiet", "--set", "server.context_policy=reject"]
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail if not ok else ''}".rstrip())


def run(*args):
    return subprocess.run([SIM, *args], capture_output=True, text=True)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def short_trace(tmp):
    """The trace's first 4,000 requests, every 7th with one output token (TPOT leaves those out)."""
    path = os.path.join(tmp, "trace.csv")
    with open(TRACE, newline="") as f, open(path, "w", newline="") as g:
        r, w = csv.reader(f), csv.writer(g)
        w.writerow(next(r))
        for i, row in zip(range(4000), r):
            w.writerow(row[:2] + ["1" if i % 7 == 0 else row[2]])
    return path


def buckets(folder):
    """{metric: [(lower_s, upper_s, count)]} in file order, and the header."""
    with open(os.path.join(folder, "latency.csv"), newline="") as f:
        r = csv.reader(f)
        header = next(r)
        out = defaultdict(list)
        for m, lo, hi, n in r:
            out[m].append((float(lo), float(hi), int(n)))
    return out, header


def bucket_of_rank(bs, rank):
    """The bucket holding the rank-th smallest value (1-based)."""
    seen = 0
    for b in bs:
        seen += b[2]
        if seen >= rank:
            return b
    raise AssertionError("rank beyond the counts")


def order_stat(xs, q):
    """The ceil(q n)-th smallest value, as the summary and figures.py define a quantile."""
    return xs[max(0, math.ceil(q * len(xs)) - 1)]


def check_run(out):
    s = json.load(open(os.path.join(out, "summary.json")))
    hist, header = buckets(out)
    check("latency.csv header: metric, lower_s, upper_s, count", header == ["metric", "lower_s", "upper_s", "count"],
          header)
    check("its metrics: the summary's latency_s, in the summary's order",
          list(hist) == [m for m in s["latency_s"] if hist.get(m)] and {"ttft", "tpot", "e2e", "queue"} <= set(hist),
          list(hist))
    ok = True
    for bs in hist.values():
        ok &= all(b[2] > 0 for b in bs) and all(a[1] <= b[0] for a, b in zip(bs, bs[1:]))
        ok &= all(lo < hi and (lo == 0 or math.isinf(hi) or hi / lo <= 1 + 1 / 512) for lo, hi, _ in bs)
    check("non-empty buckets only, increasing, each at most 1/512 wide", ok)

    rows = list(csv.DictReader(open(os.path.join(out, "requests.csv"))))
    done = [r for r in rows if r["status"] == "completed"]
    req = s["requests"]
    check("the run rejects some requests (so completed and arrived differ)",
          req["rejected"] > 0 and len(done) == req["completed"] < req["arrived"], req)
    sums = {m: sum(b[2] for b in bs) for m, bs in hist.items()}
    multi = sum(int(r["output_tokens"]) > 1 for r in done)
    check("counts sum to the completed requests (TPOT: more than one output token); rejected ones are not in",
          all(sums[m] == req["completed"] for m in ("ttft", "e2e", "queue", "network")) and sums["tpot"] == multi
          and multi < req["completed"], f"{sums} completed {req['completed']} tpot {multi}")

    # The rank-th value of requests.csv lies in the bucket latency.csv gives for that rank (up to
    # requests.csv's rounding to 6 decimals), so the bucket's middle is within 1/1024 of it.
    worst, ok = 0.0, True
    for m in ("ttft", "tpot", "e2e", "queue"):
        xs = sorted(float(r[f"{m}_s"]) for r in done if m != "tpot" or int(r["output_tokens"]) > 1)
        for q in QUANTILES:
            x = order_stat(xs, q)
            lo, hi, _ = bucket_of_rank(hist[m], max(1, math.ceil(q * len(xs))))
            mid = (lo + hi) / 2
            ok &= lo - 1e-6 <= x <= hi + 1e-6 and abs(mid - x) <= x / 1024 + 1e-6
            if x > 1e-3:
                worst = max(worst, abs(mid - x) / x)
    check(f"p10..p99 of TTFT, TPOT, e2e, queue from the buckets = requests.csv's order statistics within 1/1024 "
          f"(worst {worst:.2e})", ok and worst > 0)
    ok = True
    for m in ("ttft", "tpot", "e2e", "queue", "network"):
        n = sum(b[2] for b in hist[m])
        for p in ("p50", "p95", "p99"):
            lo, hi, _ = bucket_of_rank(hist[m], max(1, math.ceil(float(p[1:]) / 100 * n)))
            mid = lo if math.isinf(hi) else (lo + hi) / 2
            got = s["latency_s"][m][p]
            ok &= got == min(mid, s["latency_s"][m]["max"]) or (lo == 0 and got < hi)
    check("the summary's p50, p95, p99 are the middles of latency.csv's buckets", ok)


def check_paper_figures(tmp):
    """A sweep with output.requests_csv=false: paper_figures.py's cdf figure from latency.csv."""
    spec = os.path.join(tmp, "spec.json")
    with open(spec, "w") as f:
        json.dump({"topologies": [ABILENE], "workloads": [{"name": "azure-5min", "trace": TRACE, "duration_s": 300}],
                   "schedulers": ["reactive", "skylb"], "seeds": "1",
                   "set": {"output.requests_csv": False}}, f)
    sw = os.path.join(tmp, "sweep")
    p = run("sweep", spec, "--out", sw, "--jobs", "2", "--quiet")
    check("sweep with output.requests_csv=false exits 0", p.returncode == 0, p.stderr[-400:])
    where = {r["scheduler"]: os.path.join(sw, r["point"]) for r in csv.DictReader(open(os.path.join(sw, "sweep.csv")))}
    points = list(where.values())
    check("each sweep point keeps latency.csv, and no requests.csv",
          len(points) == 2 and all(os.path.exists(os.path.join(d, "latency.csv")) and
                                   not os.path.exists(os.path.join(d, "requests.csv")) for d in points), points)
    figs = os.path.join(tmp, "pfigs")
    p = subprocess.run([PY, os.path.join(SRC, "scripts/paper_figures.py"), sw, "--seed", "1", "--out", figs],
                       capture_output=True, text=True)
    path = os.path.join(figs, "cdf-azure-5min.csv")
    check("paper_figures.py draws cdf-<w>.png from the sweep's points", p.returncode == 0 and
          os.path.exists(path[:-4] + ".png"), p.stderr[-400:])
    got = list(csv.DictReader(open(path))) if os.path.exists(path) else []
    ok = len(got) == 2 * 2 * 4
    for r in got:
        bs = buckets(where[r["scheduler"]])[0][r["metric"][:-2]]
        n = sum(b[2] for b in bs)
        lo, hi, _ = bucket_of_rank(bs, min(n, int(float(r["quantile"]) * n) + 1))
        ok &= float(r["value"]) == (lo + hi) / 2
    check("its plotted quantiles (TTFT, e2e; p50..p99) are the middles of latency.csv's buckets", ok and got,
          got[:2])


def main():
    with tempfile.TemporaryDirectory() as tmp:
        a, b, c, d = (os.path.join(tmp, x) for x in "abcd")
        BASE.extend(["--trace", short_trace(tmp)])
        p = run(*BASE, "--seed", "3", "--out", a)
        check("run exits 0", p.returncode == 0, p.stderr[-400:])
        check_run(a)
        run(*BASE, "--seed", "3", "--out", b)
        check("same seed: byte-identical latency.csv", read(os.path.join(a, "latency.csv")) ==
              read(os.path.join(b, "latency.csv")))
        run(*BASE, "--seed", "4", "--out", c)
        check("another seed: another latency.csv", read(os.path.join(a, "latency.csv")) !=
              read(os.path.join(c, "latency.csv")))
        run(*BASE, "--seed", "3", "--set", "output.requests_csv=false", "--out", d)
        check("output.requests_csv=false: latency.csv still written, the same bytes",
              not os.path.exists(os.path.join(d, "requests.csv")) and
              read(os.path.join(a, "latency.csv")) == read(os.path.join(d, "latency.csv")))
        check("the manifest lists latency.csv",
              "latency.csv" in read(os.path.join(a, ".torta-sim-manifest")).decode().splitlines())
        check_paper_figures(tmp)
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
