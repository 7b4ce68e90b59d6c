"""torta-sim compare on a small case (two schedulers, two seeds): compare.csv holds exactly the
summaries of the individual runs (each redone alone with torta-sim run), the printed table holds
their means, Student-t 95% half-widths and the reference's relative changes, the reference rule
(--reference, else first named "torta", else first listed) is stated, one seed prints n=1, and
bad scheduler names exit 2 with a clear message."""
import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
TOPO = os.path.join(SRC, "topologies/Abilene.gml")
TRACE = os.path.join(SRC, "traces/AzureLLMInferenceTrace_conv.csv")
COMMON = ["--topology", TOPO, "--trace", TRACE, "--duration-s", "300"]
T_975_1 = 12.706204736174698  # Student t quantile, 1 degree of freedom
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail if not ok else ''}")


def flatten(obj, prefix=""):
    out = {}
    for k, v in obj.items():
        key = f"{prefix}.{k}" if prefix else k
        out.update(flatten(v, key) if isinstance(v, dict) else {key: v})
    return out


def same_value(cell, v):
    if isinstance(v, bool):
        return cell == ("true" if v else "false")
    if isinstance(v, (int, float)):
        return float(cell) == float(v)
    if isinstance(v, list):
        return cell == ";".join(v)
    return cell == v


def table_row(stdout, metric):
    for line in stdout.split("\n"):
        if line.startswith(metric + " "):
            return line
    return ""


def main():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cmp")
        scheds = ["least-loaded/jsq", "latency-greedy/p2c"]
        p = subprocess.run([SIM, "compare", *COMMON, "--schedulers", ",".join(scheds), "--seeds", "1-2",
                            "--jobs", "2", "--out", out], capture_output=True, text=True)
        check("compare exits 0", p.returncode == 0, p.stderr[-800:])
        rows = list(csv.DictReader(open(os.path.join(out, "compare.csv"), newline="")))
        check("compare.csv: 4 rows, scheduler x seed",
              [(r["scheduler"], r["seed"]) for r in rows] ==
              [(s, k) for s in scheds for k in ("1", "2")], [(r["scheduler"], r["seed"]) for r in rows])
        header = open(os.path.join(out, "compare.csv")).readline().strip().split(",")
        check("compare.csv columns: scheduler, seed, then the summary", header[:4] == [
              "scheduler", "seed", "version", "complete"], header[:6])
        runs = {}
        for r in rows:
            macro, micro = r["scheduler"].split("/")
            alone = os.path.join(tmp, f"{macro}_{r['seed']}")
            q = subprocess.run([SIM, *COMMON, "--macro", macro, "--micro", micro, "--seed", r["seed"],
                                "--quiet", "--out", alone], capture_output=True, text=True)
            check(f"individual run {r['scheduler']} seed {r['seed']}", q.returncode == 0, q.stderr)
            s = flatten(json.load(open(os.path.join(alone, "summary.json"))))
            runs[(r["scheduler"], r["seed"])] = s
            bad = [(k, r["summary." + k if k == "seed" else k], v) for k, v in s.items()
                   if not same_value(r["summary." + k if k == "seed" else k], v)]
            check(f"compare.csv row = individual summary ({r['scheduler']}, seed {r['seed']})", not bad, bad[:3])
            check("every summary field is a column", len(header) == 2 + len(s), (len(header), len(s)))
        check("the two seeds differ (else the CI test is vacuous)",
              runs[(scheds[0], "1")]["latency_s.e2e.mean"] != runs[(scheds[0], "2")]["latency_s.e2e.mean"])

        out_txt = p.stdout
        check("table states the reference and why",
              'reference: least-loaded/jsq (the first listed; no scheduler is named "torta")' in out_txt, out_txt[:400])
        check("table states the interval", "mean +- 95% CI (Student t, n-1 dof)" in out_txt)
        for metric in ("latency_s.e2e.mean", "latency_s.ttft.p95", "cost_usd.total", "load_balance.region_load_std"):
            line = table_row(out_txt, metric)
            cells = re.findall(r"([-+0-9.e]+) \+- ([-+0-9.e]+)", line)
            means, halves = [], []
            for s in scheds:
                x = [runs[(s, k)][metric] for k in ("1", "2")]
                m = sum(x) / 2
                sd = math.sqrt(sum((v - m) ** 2 for v in x))  # n-1 = 1
                means.append(m)
                halves.append(T_975_1 * sd / math.sqrt(2))
            ok = len(cells) == 2 and all(
                abs(float(c[0]) - m) <= 1e-4 * abs(m) + 1e-12 and abs(float(c[1]) - h) <= 0.05 * h + 1e-12
                for c, m, h in zip(cells, means, halves))
            check(f"table {metric}: mean +- t*s/sqrt(n)", ok, (line, means, halves))
            rel = re.search(r"([-+][0-9.]+)%\s*$", line)
            want = 100 * (means[0] - means[1]) / abs(means[1])
            check(f"table {metric}: relative change of the reference",
                  rel is not None and abs(float(rel.group(1)) - want) < 0.006, (line, want))

        # resumed: a second compare reuses the complete points and prints the same table
        p2 = subprocess.run([SIM, "compare", *COMMON, "--schedulers", ",".join(scheds), "--seeds", "1-2",
                             "--out", out], capture_output=True, text=True)
        check("second compare reuses the points", p2.returncode == 0 and "4 cached" in p2.stderr, p2.stderr[-300:])
        check("same table", p2.stdout == p.stdout)
        # --reference, n = 1
        p3 = subprocess.run([SIM, "compare", *COMMON, "--schedulers", ",".join(scheds), "--seeds", "3",
                             "--reference", "latency-greedy/p2c", "--out", os.path.join(tmp, "one")],
                            capture_output=True, text=True)
        check("one seed: exit 0", p3.returncode == 0, p3.stderr[-500:])
        check("one seed: n=1 instead of an interval", "(n=1)" in table_row(p3.stdout, "latency_s.e2e.mean")
              and "+-" not in table_row(p3.stdout, "latency_s.e2e.mean"), p3.stdout)
        check("--reference is used and stated", "reference: latency-greedy/p2c (--reference)" in p3.stdout
              and "vs least-loaded/jsq" in p3.stdout, p3.stdout[:400])
        # a bare macro uses the configured micro (--micro)
        p4 = subprocess.run([SIM, "compare", *COMMON, "--schedulers", "least-loaded", "--micro", "jsq",
                             "--seeds", "1", "--out", os.path.join(tmp, "bare")], capture_output=True, text=True)
        s4 = json.load(open(os.path.join(tmp, "bare", "least-loaded__s1", "summary.json")))
        check("a bare macro name takes the configured micro", p4.returncode == 0 and
              s4["scheduler"] == {"macro": "least-loaded", "micro": "jsq"} and
              s4["fingerprint"] == runs[("least-loaded/jsq", "1")]["fingerprint"], s4.get("scheduler"))
        # bad names
        p5 = subprocess.run([SIM, "compare", *COMMON, "--schedulers", "least-loaded,latency-gredy",
                             "--out", os.path.join(tmp, "bad")], capture_output=True, text=True)
        check("unknown scheduler: exit 2 with did-you-mean", p5.returncode == 2 and
              'unknown macro scheduler "latency-gredy" (did you mean "latency-greedy"?)' in p5.stderr, p5.stderr)
        check("unknown scheduler: nothing run", not os.path.exists(os.path.join(tmp, "bad")))
        p6 = subprocess.run([SIM, "compare", *COMMON, "--schedulers", "local", "--macro", "local",
                             "--out", os.path.join(tmp, "bad")], capture_output=True, text=True)
        check("--macro is refused", p6.returncode == 2 and "--schedulers" in p6.stderr, p6.stderr)
        p7 = subprocess.run([SIM, "compare", *COMMON, "--schedulers", "local,local", "--out",
                             os.path.join(tmp, "bad")], capture_output=True, text=True)
        check("a scheduler listed twice is refused", p7.returncode == 2 and "listed twice" in p7.stderr, p7.stderr)
        # every point's schedulers start before anything runs: a policy that does not fit (here:
        # trained for the default 60 s slots, run with 600 s) stops the whole compare at once
        p8 = subprocess.run([SIM, "compare", *COMMON, "--schedulers", "least-loaded,torta", "--slot-s", "600",
                             "--out", os.path.join(tmp, "nofit")], capture_output=True, text=True)
        check("a policy that does not fit: exit 2 naming the point and the setting", p8.returncode == 2 and
              "point torta__s" in p8.stderr and "--slot-s 60" in p8.stderr, p8.stderr[-400:])
        check("... and nothing runs or is written", not os.path.exists(os.path.join(tmp, "nofit")))

    print(f"{sum(results)}/{len(results)} checks passed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
