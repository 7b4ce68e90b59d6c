"""Macro baselines `skylb` and `nearest` end to end on Abilene: five minutes of the Azure
conversation trace complete with every request accounted for exactly once; at the trace's rate
both keep traffic in its origin region, at 8x they push some of it elsewhere (nearest: to the
closest regions first); skylb runs on the Mooncake trace (prefix hashes) with both load metrics;
the same seed gives byte-identical outputs (skylb keeps state between requests)."""
import csv
import json
import os
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
TOPO = os.path.join(SRC, "topologies/Abilene.gml")
AZURE = os.path.join(SRC, "traces/AzureLLMInferenceTrace_conv.csv")
MOONCAKE = os.path.join(SRC, "traces/mooncake_synthetic_trace.jsonl")
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail if not ok else ''}")


def run(out, macro, *args, trace=AZURE):
    cmd = [SIM, "--topology", TOPO, "--trace", trace, "--duration-s", "300", "--quiet", "--out", out,
           "--macro", macro, *args]
    return subprocess.run(cmd, capture_output=True, text=True)


def accounted(name, out, p):
    """Exit 0, one row per arrived request, all completed."""
    if p.returncode != 0:
        check(f"{name}: exit 0", False, p.stderr[-800:])
        return []
    r = list(csv.DictReader(open(os.path.join(out, "requests.csv"))))
    s = json.load(open(os.path.join(out, "summary.json")))["requests"]
    ids = sorted(int(x["request_id"]) for x in r)
    check(f"{name}: every request exactly once and completed",
          s["arrived"] > 500 and ids == list(range(s["arrived"])) and s["completed"] == s["arrived"]
          and s["in_flight"] == 0 and all(x["status"] == "completed" for x in r), s)
    return r


def remote_share(r):
    return sum(x["origin_region"] != x["serve_region"] for x in r) / max(1, len(r))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        out = lambda name: os.path.join(tmp, name)
        for m in ("skylb", "nearest"):
            r = accounted(f"{m} x1", out(m), run(out(m), m))
            check(f"{m} x1: light load stays local", r and remote_share(r) == 0, remote_share(r))
            r8 = accounted(f"{m} x8", out(m + "8"), run(out(m + "8"), m, "--rate-scale", "8"))
            check(f"{m} x8: overload is pushed", r8 and 0.05 < remote_share(r8) < 1, remote_share(r8))
            if m == "nearest" and r8:
                # A region with spare capacity is chosen by latency: the network time of pushed
                # requests is below what least-loaded (no latency term) pays.
                ll = accounted("least-loaded x8", out("ll8"), run(out("ll8"), "least-loaded", "--rate-scale", "8"))
                net = lambda rows: sum(float(x["network_s"]) for x in rows if x["origin_region"] != x["serve_region"]) \
                    / max(1, sum(x["origin_region"] != x["serve_region"] for x in rows))
                check("nearest x8: pushed requests travel less than least-loaded's", net(r8) < net(ll),
                      (net(r8), net(ll)))
        # Determinism with the prefix table in play.
        a = run(out("mc1"), "skylb", "--rate-scale", "20", "--seed", "3", trace=MOONCAKE)
        r = accounted("skylb mooncake", out("mc1"), a)
        check("skylb mooncake x20: pushes some", r and remote_share(r) > 0, remote_share(r))
        b = run(out("mc2"), "skylb", "--rate-scale", "20", "--seed", "3", trace=MOONCAKE)
        same = b.returncode == 0 and all(
            open(os.path.join(out("mc1"), f)).read() == open(os.path.join(out("mc2"), f)).read()
            for f in ("requests.csv", "slots.csv", "summary.json"))
        check("skylb: same seed, byte-identical outputs", same)
        p = run(out("pend"), "skylb", "--rate-scale", "20", "--set",
                'scheduler.macro_params={"metric":"pending","threshold":0.5}', trace=MOONCAKE)
        accounted("skylb pending metric", out("pend"), p)
        p = run(out("bad"), "skylb", "--set", 'scheduler.macro_params={"metric":"queue"}')
        check("skylb bad metric: exit 2 naming the path", p.returncode == 2 and
              'scheduler.macro_params.metric: "queue": expected "wait_s" or "pending"' in p.stderr, p.stderr)
    print(f"{sum(results)}/{len(results)} checks passed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
