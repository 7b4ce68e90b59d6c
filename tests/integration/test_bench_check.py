"""torta-sim bench-check: the committed CI benchmark (bench/ci/sweep.json) passes against a
baseline made by --update, printing no table (changes only) but the one-line total; --all prints
every configuration x metric. Seeds are pooled: a baseline edited so that one seed's e2e mean
looks 10% better makes its configuration's mean a regression (exit 1), whose row holds the
relative change of the mean and the paired CI over the seeds (checked against the numbers
computed here, with "n.s." since the two seeds disagree); a per-metric tolerance above the
change passes it again, a change in the good direction is "better" without failing, and a
baseline missing a point fails. No output names the temporary folder, and an unknown option is
a one-line error. (The check against the committed bench/ci/baseline.csv is scripts/test.sh's.)"""
import csv
import io
import math
import os
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
SPEC = os.path.join(SRC, "bench/ci/sweep.json")
T_975_1 = 12.706204736174698  # Student t quantile, 1 degree of freedom
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail if not ok else ''}")


def bench(baseline, *args):
    return subprocess.run([SIM, "bench-check", "--spec", SPEC, "--baseline", baseline, "--quiet", *args],
                          capture_output=True, text=True, cwd=SRC)


def edit(src, dst, point, metric, factor, drop=None):
    rows = list(csv.reader(open(src, newline="")))
    col = rows[0].index(metric)
    out = [rows[0]]
    for r in rows[1:]:
        if r[0] == drop:
            continue
        if r[0] == point:
            r[col] = repr(float(r[col]) * factor)
        out.append(r)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(out)
    open(dst, "w").write(buf.getvalue())


def main():
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "base.csv")
        keep = os.path.join(tmp, "out")
        p = bench(base, "--update", "--out", keep)
        check("--update exits 0", p.returncode == 0, p.stderr[-800:])
        check("--update writes the run's sweep.csv", os.path.exists(base) and
              open(base).read() == open(os.path.join(keep, "sweep.csv")).read())
        points = [r["point"] for r in csv.DictReader(open(base, newline=""))]
        check("the CI grid has 64 points", len(points) == 64, len(points))
        p = bench(base)
        check("unchanged: exit 0", p.returncode == 0, p.stdout[-500:] + p.stderr[-500:])
        check("unchanged: no table, only the total", "No value changed (--all prints every row)." in p.stdout
              and "| configuration |" not in p.stdout, p.stdout[:600])
        check("unchanged: 0 regressions, pooled over the seeds",
              "416 values (32 configurations x 13 metrics, each the mean over its seeds): 0 regressions, "
              "0 improvements, 0 other changes within tolerance." in p.stdout, p.stdout[-300:])
        check("no output names the temporary folder", "torta-bench-" not in p.stdout + p.stderr,
              p.stderr[-400:])
        check("temporary outputs removed", not any(n.startswith("torta-bench-") and
                                                   os.path.getmtime(os.path.join("/tmp", n)) > os.path.getmtime(base)
                                                   for n in os.listdir("/tmp")))
        p = bench(base, "--all")
        rows = [l for l in p.stdout.split("\n") if l.startswith("| ") and not l.startswith("| configuration")]
        check("--all: the Markdown header and 416 rows", p.returncode == 0 and
              "| configuration | metric | baseline | now | change | tolerance | verdict |" in p.stdout
              and len(rows) == 416, (len(rows), p.stdout[:400]))
        target_config = points[3].rsplit("__s", 1)[0]
        check("--all: a configuration is a point without its seed", any(r.startswith(f"| {target_config} | ") for r in rows),
              rows[:2])

        target = points[3]
        seeds = [q for q in points if q.rsplit("__s", 1)[0] == target_config]
        check("the configuration has two seeds", len(seeds) == 2, seeds)
        worse = os.path.join(tmp, "worse.csv")
        edit(base, worse, target, "latency_s.e2e.mean", 1 / 1.1)  # now = baseline * 1.1 on one seed
        p = bench(worse)
        check("10% slower e2e on one seed: exit 1", p.returncode == 1, p.stdout[-500:])
        table = [l for l in p.stdout.split("\n") if l.startswith("| ") and not l.startswith("| configuration")]
        check("changes only: the one changed value is the only row", len(table) == 1 and
              table[0].startswith(f"| {target_config} | latency_s.e2e.mean |"), table)
        vals = {r["point"]: float(r["latency_s.e2e.mean"]) for r in csv.DictReader(open(base, newline=""))}
        now = [vals[q] for q in seeds]
        before = [vals[q] / 1.1 if q == target else vals[q] for q in seeds]
        mb, mn = sum(before) / 2, sum(now) / 2
        d = [a - b for a, b in zip(now, before)]
        half = T_975_1 * abs(d[0] - d[1]) / math.sqrt(2) / math.sqrt(2)  # sd of two values = |d1 - d2| / sqrt(2)
        want = (f"{100 * (mn - mb) / mb:+.2f}% [{100 * (sum(d) / 2 - half) / mb:+.2f}, "
                f"{100 * (sum(d) / 2 + half) / mb:+.2f}] n.s. | 2% | **REGRESSION** |")
        check("the regression row: pooled change [paired CI] n.s.", len(table) == 1 and want in table[0],
              (table, want))
        check("the total counts one regression", "1 regression," in p.stdout, p.stdout[-200:])
        check("how to refresh the baseline is printed", "--update" in p.stderr, p.stderr[-300:])
        p = bench(worse, "--tolerance", "latency_s.e2e.mean=0.15")
        check("per-metric tolerance above the change: exit 0", p.returncode == 0, p.stdout[-300:])
        check("within tolerance: still shown as changed", "0 regressions, 0 improvements, 1 other change "
              "within tolerance." in p.stdout and "| ok |" in p.stdout, p.stdout[-400:])
        p = bench(worse, "--tolerance", "0.2")
        check("global tolerance above the change: exit 0", p.returncode == 0, p.stdout[-300:])

        better = os.path.join(tmp, "better.csv")
        edit(base, better, target, "cost_usd.total", 1.25)  # now = baseline * 0.8 on one seed
        p = bench(better)
        row = [l for l in p.stdout.split("\n") if l.startswith(f"| {target_config} | cost_usd.total |")]
        costs = {r["point"]: float(r["cost_usd.total"]) for r in csv.DictReader(open(base, newline=""))}
        cb = sum(costs[q] * (1.25 if q == target else 1) for q in seeds) / 2
        cn = sum(costs[q] for q in seeds) / 2
        check("cheaper: reported as better, exit 0", p.returncode == 0 and len(row) == 1 and
              f"{100 * (cn - cb) / cb:+.2f}% [" in row[0] and row[0].endswith("| 2% | better |"), row)

        short = os.path.join(tmp, "short.csv")
        edit(base, short, None, "cost_usd.total", 1, drop=points[0])
        p = bench(short)
        check("a point missing from the baseline fails", p.returncode == 1 and
              f"| {points[0]} | (all) |" in p.stdout and "not in the baseline" in p.stdout, p.stdout[-400:])
        p = bench(base, "--metrics", "latency_s.e2e.mean,latency_s.nope")
        check("an unknown metric: exit 2", p.returncode == 2 and "latency_s.nope" in p.stderr, p.stderr)
        p = bench(base, "--tolerance", "cost_usd.totl=0.1")
        check("a tolerance for an unchecked metric: exit 2", p.returncode == 2 and "cost_usd.totl" in p.stderr,
              p.stderr)
        p = bench(base, "--bogus")
        check("an unknown option: one line, exit 2", p.returncode == 2 and p.stderr ==
              "torta-sim bench-check: unknown option --bogus; see torta-sim bench-check --help\n", p.stderr)

    print(f"{sum(results)}/{len(results)} checks passed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
