"""torta-sim bench-check: the committed CI benchmark (bench/ci/sweep.json) passes against a
baseline made by --update, a baseline edited to look 10% better makes that point's e2e mean a
regression (exit 1, Markdown row), a per-metric tolerance above the change passes it again, a
change in the good direction is reported as "better" without failing, and a baseline missing a
point fails. (The check against the committed bench/ci/baseline.csv is scripts/test.sh's.)"""
import csv
import io
import os
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
SPEC = os.path.join(SRC, "bench/ci/sweep.json")
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
        check("the CI grid has 16 points", len(points) == 16, len(points))
        p = bench(base)
        check("unchanged: exit 0", p.returncode == 0, p.stdout[-500:] + p.stderr[-500:])
        check("Markdown table header", "| point | metric | baseline | now | change | tolerance | verdict |"
              in p.stdout, p.stdout[:300])
        check("unchanged: 0 regressions", "160 values checked: 0 regression(s)" in p.stdout, p.stdout[-200:])
        check("temporary outputs removed", not any(n.startswith("torta-bench-") and
                                                   os.path.getmtime(os.path.join("/tmp", n)) > os.path.getmtime(base)
                                                   for n in os.listdir("/tmp")))

        target = points[3]
        worse = os.path.join(tmp, "worse.csv")
        edit(base, worse, target, "latency_s.e2e.mean", 1 / 1.1)  # now = baseline * 1.1
        p = bench(worse)
        check("10% slower e2e: exit 1", p.returncode == 1, p.stdout[-500:])
        row = [l for l in p.stdout.split("\n") if l.startswith(f"| {target} | latency_s.e2e.mean |")]
        check("the regression row", len(row) == 1 and "+10.00% | 2% | **REGRESSION** |" in row[0], row)
        check("exactly one regression", "1 regression(s)" in p.stdout, p.stdout[-200:])
        check("how to refresh the baseline is printed", "--update" in p.stderr, p.stderr[-300:])
        p = bench(worse, "--tolerance", "latency_s.e2e.mean=0.15")
        check("per-metric tolerance above the change: exit 0", p.returncode == 0, p.stdout[-300:])
        p = bench(worse, "--tolerance", "0.2")
        check("global tolerance above the change: exit 0", p.returncode == 0, p.stdout[-300:])

        better = os.path.join(tmp, "better.csv")
        edit(base, better, target, "cost_usd.total", 1.25)  # now = baseline * 0.8
        p = bench(better)
        row = [l for l in p.stdout.split("\n") if l.startswith(f"| {target} | cost_usd.total |")]
        check("20% cheaper: reported as better, exit 0", p.returncode == 0 and len(row) == 1 and
              "-20.00% | 2% | better |" in row[0], row)

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

    print(f"{sum(results)}/{len(results)} checks passed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
