"""torta-sim compare on a small case (two schedulers, two seeds): compare.csv holds exactly the
summaries of the individual runs (each redone alone with torta-sim run), the printed table holds
their means, Student-t 95% half-widths and the reference's relative changes with the paired CI,
the reference rule (--reference, else first named "torta", else first listed) is stated, fewer
than 5 seeds are warned about, one seed prints n=1, and bad scheduler names exit 2 with a clear
message. With five seeds and one scheduler run twice with different parameters
(NAME:key=value, or a JSON file): different fingerprints, and compare_stats.csv's paired
differences, CIs, t and p-values equal the ones computed here by hand (t(0.975, 4) = 2.776445,
the closed-form tail of Student's t with 4 degrees of freedom); "n.s." marks exactly the changes
whose CI includes 0. Unknown options of the many-runs subcommands are one-line errors."""
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
T_975_4 = 2.7764451051977987  # 4 degrees of freedom
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


def t4_two_sided_p(t):
    """P(|T| >= t) for Student's t with 4 degrees of freedom (closed form of its tail)."""
    t = abs(t)
    return 2 * (0.5 - t / (2 * math.sqrt(4 + t * t)) * (1 + 2 / (4 + t * t)))


def change_cell(line):
    """The last 'vs' cell of a table row: (change, lo, hi, n.s.) in percent."""
    m = re.search(r"([-+][0-9.]+)% \[([-+][0-9.]+), ([-+][0-9.]+)\]( n\.s\.)?\s*$", line)
    return (float(m.group(1)), float(m.group(2)), float(m.group(3)), bool(m.group(4))) if m else None


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
            cell = change_cell(line)
            want = 100 * (means[0] - means[1]) / abs(means[1])
            d = [runs[(scheds[0], k)][metric] - runs[(scheds[1], k)][metric] for k in ("1", "2")]
            half = T_975_1 * abs(d[0] - d[1]) / 2  # t * (|d1 - d2| / sqrt(2)) / sqrt(2)
            lo, hi = 100 * (sum(d) / 2 - half) / abs(means[1]), 100 * (sum(d) / 2 + half) / abs(means[1])
            check(f"table {metric}: relative change of the reference [paired CI] and n.s. iff it holds 0",
                  cell is not None and abs(cell[0] - want) < 0.006 and abs(cell[1] - lo) < 0.006 and
                  abs(cell[2] - hi) < 0.006 and cell[3] == (lo <= 0 <= hi), (line, want, lo, hi))
        check("fewer than 5 seeds: a warning on stderr and in the table",
              "fewer than 5 seeds (2): intervals are wide" in p.stderr and
              "warning: fewer than 5 seeds (2): intervals are wide" in out_txt, (p.stderr[-300:], out_txt[:500]))

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


        # five seeds; one scheduler twice, with its own parameter: a paired t-test checked by hand
        five = os.path.join(tmp, "five")
        base, b4 = "least-loaded/jsq", "least-loaded/jsq:server.max_batch=4"
        p8 = subprocess.run([SIM, "compare", *COMMON, "--schedulers", f"{base},{b4}", "--seeds", "1-5",
                             "--jobs", "2", "--out", five], capture_output=True, text=True)
        check("five seeds, per-scheduler parameter: exit 0", p8.returncode == 0, p8.stderr[-500:])
        check("five seeds: no warning", "fewer than 5 seeds" not in p8.stderr + p8.stdout, p8.stderr[-300:])
        rows8 = list(csv.DictReader(open(os.path.join(five, "compare.csv"), newline="")))
        fp = {(r["scheduler"], r["seed"]): r["fingerprint"] for r in rows8}
        check("the labels are the scheduler column", sorted({r["scheduler"] for r in rows8}) == sorted([base, b4]),
              {r["scheduler"] for r in rows8})
        check("same scheduler, other parameter: other fingerprints",
              all(fp[(base, k)] != fp[(b4, k)] for k in "12345"), fp)
        cfg = json.load(open(os.path.join(five, "least-loaded+jsq_server.max_batch=4__s1", "config.json")))
        check("the parameter reached the runs of that scheduler only", cfg["server"]["max_batch"] == 4 and
              json.load(open(os.path.join(five, "least-loaded+jsq__s1", "config.json")))["server"]["max_batch"] != 4)
        stats = {(r["metric"], r["scheduler"]): r for r in
                 csv.DictReader(open(os.path.join(five, "compare_stats.csv"), newline=""))}
        n_sig = n_ns = 0
        for metric in ("latency_s.e2e.mean", "latency_s.ttft.mean", "latency_s.tpot.mean", "latency_s.queue.mean",
                       "load_balance.region_load_std", "cost_usd.total"):
            a = [float(r[metric]) for r in rows8 if r["scheduler"] == base]  # the reference: first listed
            b = [float(r[metric]) for r in rows8 if r["scheduler"] == b4]
            d = [x - y for x, y in zip(a, b)]
            md = sum(d) / 5
            sd = math.sqrt(sum((x - md) ** 2 for x in d) / 4)
            half = T_975_4 * sd / math.sqrt(5)
            t = md / (sd / math.sqrt(5))
            r = stats[(metric, b4)]
            close = lambda got, want: abs(float(got) - want) <= 1e-9 * max(1.0, abs(want))
            check(f"compare_stats.csv {metric}: paired mean, CI, t, p by hand",
                  r["n_pairs"] == "5" and close(r["diff_mean"], md) and close(r["diff_ci95_lo"], md - half) and
                  close(r["diff_ci95_hi"], md + half) and close(r["t"], t) and
                  abs(float(r["p_value"]) - t4_two_sided_p(t)) < 1e-9 and
                  close(r["rel_change"], md / abs(sum(b) / 5)), (r, md, half, t, t4_two_sided_p(t)))
            sig = not (md - half <= 0 <= md + half)
            check(f"compare_stats.csv {metric}: significant iff the CI excludes 0", r["significant"] ==
                  ("yes" if sig else "no") and (float(r["p_value"]) < 0.05) == sig, r)
            cell = change_cell(table_row(p8.stdout, metric))
            check(f"table {metric}: n.s. exactly when not significant", cell is not None and cell[3] == (not sig),
                  table_row(p8.stdout, metric))
            n_sig += sig
            n_ns += not sig
        check("the case holds both significant and n.s. differences", n_sig > 0 and n_ns > 0, (n_sig, n_ns))
        check("the reference's own row has no comparison", stats[("latency_s.e2e.mean", base)]["p_value"] == "")

        # the same two schedulers from a JSON file, with a label
        spec = os.path.join(tmp, "scheds.json")
        json.dump([base, {"name": base, "label": "batch4", "set": {"server.max_batch": 4}}], open(spec, "w"))
        p9 = subprocess.run([SIM, "compare", *COMMON, "--schedulers", spec, "--seeds", "1", "--out",
                             os.path.join(tmp, "file")], capture_output=True, text=True)
        rows9 = {r["scheduler"]: r for r in csv.DictReader(open(os.path.join(tmp, "file", "compare.csv"), newline=""))}
        check("--schedulers FILE.json: labels, the same runs as NAME:key=value", p9.returncode == 0 and
              rows9["batch4"]["fingerprint"] == fp[(b4, "1")] and rows9[base]["fingerprint"] == fp[(base, "1")],
              (p9.stderr[-300:], rows9.keys()))
        for bad_list, want in [("least-loaded:seed=3", "seed cannot be a per-scheduler parameter"),
                               ("server.max_batch=4,least-loaded", '"server.max_batch=4" is not a scheduler name'),
                               ("least-loaded:server.max_btch=4", "max_btch"),
                               ("least-loaded:label=x,least-loaded/jsq:label=x", '"x" is listed twice')]:
            q = subprocess.run([SIM, "compare", *COMMON, "--schedulers", bad_list, "--out", os.path.join(tmp, "bad")],
                               capture_output=True, text=True)
            check(f"bad per-scheduler list {bad_list!r}: exit 2 naming it", q.returncode == 2 and want in q.stderr
                  and not os.path.exists(os.path.join(tmp, "bad")), q.stderr)

        # one-line errors for unknown options
        for sub in ("train", "compare", "sweep", "bench-check", "capacity-search"):
            q = subprocess.run([SIM, sub, "--bogus-option"], capture_output=True, text=True)
            check(f"{sub} --bogus-option: one line, exit 2", q.returncode == 2 and q.stderr ==
                  f"torta-sim {sub}: unknown option --bogus-option; see torta-sim {sub} --help\n", q.stderr)
        q = subprocess.run([SIM, "compare", *COMMON, "--seeds"], capture_output=True, text=True)
        check("a missing value: one line", q.returncode == 2 and q.stderr ==
              "torta-sim compare: option --seeds needs a value; see torta-sim compare --help\n", q.stderr)
        q = subprocess.run([SIM, "compare", *COMMON, "--s", "1"], capture_output=True, text=True)
        check("an ambiguous abbreviation: one line naming the candidates", q.returncode == 2 and
              q.stderr.startswith("torta-sim compare: ambiguous option --s (") and q.stderr.count("\n") == 1, q.stderr)
    print(f"{sum(results)}/{len(results)} checks passed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
