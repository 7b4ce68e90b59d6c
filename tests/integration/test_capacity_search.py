"""torta-sim capacity-search on cases with a known answer: one region, one server with
exponential service of mean 1 s and Poisson arrivals is an M/M/1 queue, whose mean time in
system is W = 1 / (mu - lambda); the SLO "e2e_mean <= 2" holds up to lambda = 0.5 (mu = 1) and,
for a scheduler given service_mean_s = 0.5 by its own parameters, up to lambda = 1.5. The search
finds both within the statistical error; the rate found passes and the rate above it, within the
tolerance, fails (capacity_steps.csv); the stricter rule "every seed" never finds more than the
seed mean; the bounds report below_lo / at_hi; a second invocation reuses every run; bad SLO
strings and options are one-line errors (exit 2) before anything runs."""
import csv
import json
import os
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
TOPO = os.path.join(SRC, "tests/fixtures/core/one_region.json")
MM1 = ["--topology", TOPO,
       "--workload", "poisson:rate_per_s=1,duration_s=20000,input_tokens=100,output_tokens=10",
       "--set", "server.mode=exponential", "--set", "server.service_mean_s=1",
       "--set", 'regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":1}]',
       "--micro", "central-fcfs", "--set", "output.requests_csv=false", "--quiet", "--jobs", "2"]
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail if not ok else ''}")


def search(out, *args):
    return subprocess.run([SIM, "capacity-search", *MM1, *args, "--out", out], capture_output=True, text=True)


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def pooled(out, sched):
    return [r for r in rows(os.path.join(out, "capacity_search.csv"))
            if r["scheduler"] == sched and r["seed"] == "pooled"][0]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "mm1")
        scheds = "least-loaded,least-loaded:label=fast,server.service_mean_s=0.5"
        p = search(out, "--schedulers", scheds, "--seeds", "1-3", "--rule", "mean", "--slo", "e2e_mean=2",
                   "--lo", "0.1", "--hi", "3", "--tolerance", "0.02")
        check("M/M/1 search: exit 0", p.returncode == 0, p.stderr[-800:])
        slow, fast = pooled(out, "least-loaded"), pooled(out, "fast")
        for r, want in ((slow, 0.5), (fast, 1.5)):
            x = float(r["max_rate_scale"])
            check(f"{r['scheduler']}: found, lambda = {x} within 6% of the analytic {want}",
                  r["status"] == "found" and abs(x - want) <= 0.06 * want, r)
            check(f"{r['scheduler']}: rate_per_s = rate_per_s of the workload x scale",
                  abs(float(r["rate_per_s"]) - x) < 1e-9, r)
            check(f"{r['scheduler']}: the pooled row meets the SLO", r["meets_slo"] == "yes" and
                  float(r["e2e_mean"]) <= 2, r)
            fail = float(r["fails_at_rate_scale"])
            check(f"{r['scheduler']}: the failing rate is within the tolerance above",
                  x < fail <= x * 1.02 * (1 + 1e-9), (x, fail))
            steps = [s for s in rows(os.path.join(out, "capacity_steps.csv"))
                     if s["scheduler"] == r["scheduler"] and s["seed"] == "pooled"]
            at = {float(s["rate_scale"]): s for s in steps}
            check(f"{r['scheduler']}: steps.csv: the rate found passes, the one above fails",
                  at[x]["meets_slo"] == "yes" and at[fail]["meets_slo"] == "no" and
                  float(at[fail]["e2e_mean"]) > 2, (at.get(x), at.get(fail)))
            check(f"{r['scheduler']}: every pass is below every fail (a bracket)",
                  max(float(s["rate_scale"]) for s in steps if s["meets_slo"] == "yes") <
                  min(float(s["rate_scale"]) for s in steps if s["meets_slo"] == "no"))
        seed_rows = [r for r in rows(os.path.join(out, "capacity_search.csv")) if r["scheduler"] == "least-loaded"]
        check("a row per seed and a pooled one", [r["seed"] for r in seed_rows] == ["1", "2", "3", "pooled"],
              seed_rows)
        check("the pooled value is the seed mean", abs(sum(float(r["e2e_mean"]) for r in seed_rows[:3]) / 3 -
                                                      float(seed_rows[3]["e2e_mean"])) < 1e-9)
        check("the Markdown summary", "| scheduler | max rate scale | rate (req/s) | e2e_mean | steps | result |"
              in p.stdout and f"| fast | {fast['max_rate_scale']} |" in p.stdout, p.stdout)
        check("progress on stderr", "[capacity-search] least-loaded: step 1, rate scale" in p.stderr, p.stderr[:500])
        man = rows(os.path.join(out, "manifest.csv"))
        check("manifest.csv lists every run", len(man) == 3 * len(
            [s for s in rows(os.path.join(out, "capacity_steps.csv")) if s["seed"] == "pooled"]) and
              all(m["status"] == "ok" for m in man), len(man))
        folder = [m["point"] for m in man if m["scheduler"] == "fast"][0]
        cfg = json.load(open(os.path.join(out, folder, "config.json")))
        check("the scheduler's own parameter reached its runs", cfg["server"]["service_mean_s"] == 0.5, folder)
        # the figure: its numbers are capacity_steps.csv's pooled rows, per scheduler and metric
        fig = subprocess.run(["/usr/bin/python3", os.path.join(SRC, "scripts/figures.py"), "capsearch", out,
                              "--out", os.path.join(tmp, "fig"), "--formats", "png"], capture_output=True, text=True)
        plotted = rows(os.path.join(tmp, "fig", "capacity_search.csv")) if fig.returncode == 0 else []
        want = [(s["scheduler"], "e2e_mean", float(s["rate_scale"]), float(s["e2e_mean"]), s["meets_slo"])
                for s in rows(os.path.join(out, "capacity_steps.csv")) if s["seed"] == "pooled"]
        got = [(r["scheduler"], r["metric"], float(r["rate_scale"]), float(r["value"]), r["meets_slo"]) for r in plotted]
        check("figures.py capsearch plots the pooled steps", fig.returncode == 0 and os.path.exists(
            os.path.join(tmp, "fig", "capacity_search.png")) and sorted(got) == sorted(
            (a, b, c, float(f"{d:.9g}"), e) for a, b, c, d, e in want), (fig.stderr[-300:], got[:2], want[:2]))

        # resumed: the same search reuses every run and writes the same tables
        before = open(os.path.join(out, "capacity_search.csv")).read()
        p2 = search(out, "--schedulers", scheds, "--seeds", "1-3", "--rule", "mean", "--slo", "e2e_mean=2",
                    "--lo", "0.1", "--hi", "3", "--tolerance", "0.02")
        check("second invocation: every run cached, same table", p2.returncode == 0 and
              all(m["status"] == "cached" for m in rows(os.path.join(out, "manifest.csv"))) and
              open(os.path.join(out, "capacity_search.csv")).read() == before, p2.stderr[-300:])

        # the rule "every seed" is stricter: never a higher rate than the seed mean
        out2 = os.path.join(tmp, "all")
        p = search(out2, "--schedulers", "least-loaded", "--seeds", "1-3", "--slo", "e2e_mean=2",
                   "--lo", "0.1", "--hi", "3")
        strict = pooled(out2, "least-loaded")
        check("--rule all (default): found, at most the seed-mean answer", p.returncode == 0 and
              strict["status"] == "found" and float(strict["max_rate_scale"]) <= float(slow["max_rate_scale"]),
              (strict, slow["max_rate_scale"]))
        check("--rule all: every seed meets the SLO at the rate found", all(
            r["meets_slo"] == "yes" for r in rows(os.path.join(out2, "capacity_search.csv"))))

        # bounds
        p = search(os.path.join(tmp, "lo"), "--schedulers", "least-loaded", "--seeds", "1", "--slo", "e2e_mean=2",
                   "--lo", "0.7", "--hi", "0.9")
        r = pooled(os.path.join(tmp, "lo"), "least-loaded")
        check("fails at --lo: below_lo, no rate", p.returncode == 0 and r["status"] == "below_lo" and
              r["max_rate_scale"] == "" and "fails already at --lo 0.7" in p.stdout, (r, p.stdout[-300:]))
        p = search(os.path.join(tmp, "hi"), "--schedulers", "least-loaded", "--seeds", "1", "--slo", "e2e_mean=2",
                   "--lo", "0.1", "--hi", "0.3")
        r = pooled(os.path.join(tmp, "hi"), "least-loaded")
        check("passes at --hi: at_hi, the rate is --hi", p.returncode == 0 and r["status"] == "at_hi" and
              r["max_rate_scale"] == "0.3" and "raise it" in p.stdout, (r, p.stdout[-300:]))

        # bad input: one line, exit 2, nothing run
        bad = os.path.join(tmp, "bad")
        for args, want in [
            (["--slo", "e2e_mean"], '--slo e2e_mean: "e2e_mean" is not NAME=VALUE'),
            (["--slo", "ttft_p96=2"], 'unknown metric "ttft_p96" (did you mean "ttft_p95"?)'),
            (["--slo", "ttft_p95=abc"], '--slo ttft_p95=abc: ttft_p95: "abc" is not a number >= 0'),
            (["--slo", "ttft_p95=-1"], '"-1" is not a number >= 0'),
            (["--slo", "ttft_p95=2,,tpot_p95=1"], "empty item"),
            (["--slo", "ttft_p95=2,ttft_p95=3"], "ttft_p95 is given twice"),
            (["--slo", "e2e_mean=2", "--lo", "2", "--hi", "1"], "--lo 2 --hi 1: expected lo < hi"),
            (["--slo", "e2e_mean=2", "--rule", "most"], "--rule most: expected all"),
            (["--slo", "e2e_mean=2", "--tolerance", "0"], "--tolerance 0: expected a number >"),
            (["--slo", "e2e_mean=2", "--rate-scale", "2"], "--rate-scale applies to traces"),
            (["--slo", "e2e_mean=2", "--bogus"],
             "torta-sim capacity-search: unknown option --bogus; see torta-sim capacity-search --help"),
        ]:
            q = search(bad, "--schedulers", "least-loaded", *args)
            check(f"bad input {args}: exit 2, one line naming it", q.returncode == 2 and want in q.stderr and
                  q.stderr.count("\n") == 1 and not os.path.exists(bad), q.stderr)
        q = subprocess.run([SIM, "capacity-search", *MM1, "--schedulers", "least-loaded", "--out", bad,
                            "--slo", "e2e_mean=2", "--hi"], capture_output=True, text=True)
        check("an option without its value: one line", q.returncode == 2 and q.stderr ==
              "torta-sim capacity-search: option --hi needs a value; see torta-sim capacity-search --help\n",
              q.stderr)
        q = search(bad, "--schedulers", "least-loaded", "--seeds", "1", "--slo", "requests.nope=1",
                   "--lo", "0.1", "--hi", "0.3")
        check("an SLO field the summary lacks: exit 2 naming it", q.returncode == 2 and
              "requests.nope" in q.stderr, q.stderr[-300:])

    print(f"{sum(results)}/{len(results)} checks passed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
