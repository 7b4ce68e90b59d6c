"""End-to-end CLI runs: outputs exist and agree, every request is accounted for exactly once,
the same seed gives byte-identical outputs (with or without requests.csv), another seed changes the origin assignment, and a
cross-region request pays exactly latency + bytes / bandwidth both ways."""
import csv
import filecmp
import json
import os
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
TOPO = os.path.join(SRC, "topologies/Abilene.gml")
TRACE = os.path.join(SRC, "traces/AzureLLMInferenceTrace_conv.csv")
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def run(out, *args):
    cmd = [SIM, "--topology", TOPO, "--trace", TRACE, "--quiet", "--out", out, *args]
    return subprocess.run(cmd, capture_output=True, text=True)


def rows(out):
    return list(csv.DictReader(open(os.path.join(out, "requests.csv"))))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        a, b, c = (os.path.join(tmp, x) for x in "abc")
        p = run(a, "--seed", "7", "--macro", "least-loaded", "--micro", "jsq")
        check("run exits 0", p.returncode == 0, p.stderr[-500:])
        files = sorted(os.listdir(a))
        check("output files", files == [".torta-sim-manifest", "config.json", "latency.csv", "requests.csv", "slots.csv", "summary.json"], files)
        s = json.load(open(os.path.join(a, "summary.json")))
        r = rows(a)
        n = sum(1 for _ in open(TRACE)) - 1
        ids = sorted(int(x["request_id"]) for x in r)
        check("every trace request exactly once", ids == list(range(n)), f"{len(ids)} rows, {n} in trace")
        req = s["requests"]
        check("summary counts", req["arrived"] == n and req["completed"] + req["rejected"] == n
              and req["in_flight"] == 0, req)
        done = [x for x in r if x["status"] == "completed"]
        check("completed rows match summary", len(done) == req["completed"])
        mean_e2e = sum(float(x["e2e_s"]) for x in done) / len(done)
        check("mean e2e from rows = summary", abs(mean_e2e - s["latency_s"]["e2e"]["mean"]) < 1e-5,
              f"{mean_e2e} vs {s['latency_s']['e2e']['mean']}")
        check("e2e >= ttft >= network in", all(float(x["e2e_s"]) >= float(x["ttft_s"]) > 0 for x in done))
        # SLO attainment: the share of completed requests within both thresholds, from the rows
        # (thresholds at the median so that neither alone decides it)
        tt = sorted(float(x["ttft_s"]) for x in done)[len(done) // 2]
        ee = sorted(float(x["e2e_s"]) for x in done)[len(done) // 2]
        slo_out = os.path.join(tmp, "slo")
        run(slo_out, "--seed", "7", "--macro", "least-loaded", "--micro", "jsq", "--set", f"slo.ttft_s={tt!r}",
            "--set", f"slo.e2e_s={ee!r}")
        met = sum(float(x["ttft_s"]) <= tt and float(x["e2e_s"]) <= ee for x in done) / len(done)
        got = json.load(open(os.path.join(slo_out, "summary.json")))["slo"]["attainment"]
        check("slo.attainment = share of rows within ttft_s and e2e_s", abs(got - met) < 2e-4 and 0.2 < met < 0.5,
              f"{got} vs {met} from requests.csv")
        cfg = json.load(open(os.path.join(a, "config.json")))
        check("config.json is the effective config", cfg["seed"] == 7 and cfg["scheduler"]["micro"] == "jsq")
        slots = list(csv.DictReader(open(os.path.join(a, "slots.csv"))))
        check("slots arrivals sum to requests", sum(float(x["arrivals"]) for x in slots) == n)
        check("slots served sum to completed", sum(float(x["served"]) for x in slots) == req["completed"])
        parts = [k + "_usd" for k in s["cost_usd"] if k != "total"]
        cost = sum(float(x[p]) for x in slots for p in parts)
        check("slot rows: components add up to total_usd",
              all(abs(sum(float(x[p]) for p in parts) - float(x["total_usd"])) < 1e-8 for x in slots))
        check("slot costs sum to total", abs(cost - s["cost_usd"]["total"]) < 1e-3 * max(1, cost),
              f"{cost} vs {s['cost_usd']['total']}")

        run(b, "--seed", "7", "--macro", "least-loaded", "--micro", "jsq")
        same = all(filecmp.cmp(os.path.join(a, f), os.path.join(b, f), shallow=False)
                   for f in ("requests.csv", "slots.csv", "summary.json", "latency.csv"))
        check("same seed: byte-identical outputs", same)
        d = os.path.join(tmp, "d")
        run(d, "--seed", "7", "--macro", "least-loaded", "--micro", "jsq", "--set", "output.requests_csv=false")
        check("output.requests_csv=false: no requests.csv, same summary, slots and latency.csv",
              sorted(os.listdir(d)) == [".torta-sim-manifest", "config.json", "latency.csv", "slots.csv", "summary.json"] and
              all(filecmp.cmp(os.path.join(a, f), os.path.join(d, f), shallow=False)
                  for f in ("slots.csv", "summary.json", "latency.csv")), sorted(os.listdir(d)))
        run(c, "--seed", "8", "--macro", "least-loaded", "--micro", "jsq")
        s8 = json.load(open(os.path.join(c, "summary.json")))
        o7 = {x["request_id"]: x["origin_region"] for x in r}
        o8 = {x["request_id"]: x["origin_region"] for x in rows(c)}
        moved = sum(o7[k] != o8[k] for k in o7)
        check("another seed changes origins", moved > n // 10, f"{moved} of {n} moved")
        check("another seed changes the fingerprint", s8["fingerprint"] != s["fingerprint"])

        # Output folders are created with their parents (a fresh clone has no results/).
        nested = os.path.join(tmp, "new", "deeper", "cmp")
        p = subprocess.run([SIM, "compare", "--topology", TOPO, "--trace", TRACE, "--duration-s", "60",
                            "--schedulers", "local", "--seeds", "1", "--out", nested], capture_output=True, text=True)
        check("compare creates missing parent folders", p.returncode == 0 and
              os.path.exists(os.path.join(nested, "compare.csv")), p.stderr[-200:])

        # Network: with all demand in A and round-robin regions, request 1 is served in B.
        two = os.path.join(SRC, "tests/fixtures/core/two_regions.json")
        trace = os.path.join(tmp, "t.csv")
        with open(trace, "w") as f:
            f.write("arrival_s,input_tokens,output_tokens\n0,1000,50\n100,1000,50\n")
        out = os.path.join(tmp, "net")
        p = subprocess.run([SIM, "--topology", two, "--trace", trace, "--quiet", "--out", out,
                            "--macro", "round-robin", "--set", 'workload.origin_weights={"A":1}'],
                           capture_output=True, text=True)
        check("two-region run", p.returncode == 0, p.stderr[-300:])
        rr = {x["request_id"]: x for x in rows(out)}
        local, remote = rr["0"], rr["1"]
        bw, lat, bpt = 1e6, 0.020, 4
        expect_net = (lat + 1000 * bpt * 8 / bw) + (lat + 50 * bpt * 8 / bw)
        check("remote request served in B", remote["serve_region"] == "B" and local["serve_region"] == "A")
        check("network = latency + bytes/bandwidth both ways",
              abs(float(remote["network_s"]) - expect_net) < 2e-6, f"{remote['network_s']} vs {expect_net:.6f}")
        service = float(local["e2e_s"])  # same server type, same lengths, no queueing, no network
        check("remote e2e = local e2e + network", abs(float(remote["e2e_s"]) - service - expect_net) < 3e-6)
        expect_ttft = float(local["ttft_s"]) + (lat + 1000 * bpt * 8 / bw) + (lat + bpt * 8 / bw)
        check("remote ttft = local ttft + prompt transfer + first token back",
              abs(float(remote["ttft_s"]) - expect_ttft) < 3e-6)
        s2 = json.load(open(os.path.join(out, "summary.json")))
        expect_usd = 0.05 * bpt * 1050 / 1e9
        check("egress cost", abs(s2["cost_usd"]["network"] - expect_usd) < 1e-12, s2["cost_usd"]["network"])

    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
