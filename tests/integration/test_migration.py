"""Macro migration of queued requests at slot boundaries: a burst piles up in region A while B is
idle; TORTA moves waiting requests to B at the next slot, counts and charges each move, and the
burst drains sooner than without migration."""
import csv
import json
import os
import random
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
TOPO = os.path.join(SRC, "tests/fixtures/core/two_regions.json")
SERVERS = 'regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":1}]'
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def run(tmp, tag, trace, *extra):
    out = os.path.join(tmp, tag)
    p = subprocess.run([SIM, "--topology", TOPO, "--trace", trace, "--macro", "torta-no-rl",
                        "--set", SERVERS, "--set", "server.max_batch=8", "--quiet", "--out", out, *extra],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return json.load(open(os.path.join(out, "summary.json"))), list(csv.DictReader(open(os.path.join(out, "requests.csv"))))


def main():
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "burst.csv")
        with open(trace, "w") as f:
            f.write("arrival_s,input_tokens,output_tokens,origin_region\n")
            for i in range(600):
                f.write(f"{i * 0.01:.4f},{rng.randint(200, 2000)},{rng.randint(50, 400)},A\n")
        s, rows = run(tmp, "on", trace)
        off, _ = run(tmp, "off", trace, "--set", "scheduler.macro_params.migration.enabled=false")
        moved = [r for r in rows if int(r["migrated"]) > 0]
        check("requests migrate", s["migrations"] > 50 and len(moved) == s["migrations"], f"{s['migrations']} moves")
        check("moved requests are served in B", all(r["serve_region"] == "B" for r in moved))
        check("no request lost", s["requests"]["completed"] == 600 == len(rows))
        egress = sum(0.05 * 4 * int(r["input_tokens"]) / 1e9 for r in moved)
        check("each move is charged", abs(s["cost_usd"]["migration"] - egress) < 1e-12,
              f"{s['cost_usd']['migration']:.3e} vs {egress:.3e}")
        check("migration without it: none", off["migrations"] == 0)
        gain = 1 - s["latency_s"]["e2e"]["mean"] / off["latency_s"]["e2e"]["mean"]
        check("the burst drains sooner", gain > 0.2, f"mean e2e {s['latency_s']['e2e']['mean']:.1f} s vs "
              f"{off['latency_s']['e2e']['mean']:.1f} s ({gain:.0%} lower)")
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
