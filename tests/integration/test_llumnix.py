"""Live migration (the `llumnix` micro baseline): running requests move between servers with
their KV cache; every move is counted, its bytes are those of the request's context, it is
charged, nothing is lost or served twice, and the run stays deterministic."""
import csv
import filecmp
import json
import os
import random
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
TOPO = os.path.join(SRC, "tests/fixtures/core/one_region.json")
KV_BYTES = 327680  # llama2-70b, per token
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def run(tmp, tag, trace, micro, *extra):
    out = os.path.join(tmp, tag)
    p = subprocess.run([SIM, "--topology", TOPO, "--trace", trace, "--micro", micro, "--quiet", "--out", out,
                        "--set", 'regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":2}]',
                        "--set", "server.kv_utilization=0.5", "--set", "scheduler.rebalance_s=0.5", *extra],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return (json.load(open(os.path.join(out, "summary.json"))),
            list(csv.DictReader(open(os.path.join(out, "requests.csv")))), out)


def main():
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "t.csv")
        with open(trace, "w") as f:  # alternating very short and very long outputs: imbalance
            f.write("arrival_s,input_tokens,output_tokens\n")
            t = 0.0
            for i in range(400):
                t += rng.expovariate(4.0)
                f.write(f"{t:.6f},{rng.randint(500, 3000)},{5 if i % 2 else rng.randint(400, 900)}\n")
        s, rows, out = run(tmp, "a", trace, "llumnix", "--set", 'scheduler.micro_params={"threshold": 0.05}')
        n_live = sum(int(r["live_migrated"]) for r in rows)
        check("running requests migrate", s["live_migrations"] > 5 and n_live == s["live_migrations"],
              f"{s['live_migrations']} moves")
        check("nothing lost or served twice", len(rows) == 400 and len({r["request_id"] for r in rows}) == 400
              and all(r["status"] == "completed" for r in rows))
        moved = [r for r in rows if int(r["live_migrated"]) > 0]
        lo = sum(int(r["input_tokens"]) * KV_BYTES for r in moved)
        hi = sum((int(r["input_tokens"]) + int(r["output_tokens"])) * KV_BYTES * int(r["live_migrated"]) for r in moved)
        check("moved bytes = context KV bytes", lo <= s["kv_bytes_moved"] <= hi, f"{lo} <= {s['kv_bytes_moved']} <= {hi}")
        check("each move charged", abs(s["cost_usd"]["migration"] - s["kv_bytes_moved"] / 1e9 * 0.01) < 1e-9)
        check("moved requests keep their first token", all(float(r["ttft_s"]) < float(r["e2e_s"]) for r in moved))
        s2, _, out2 = run(tmp, "b", trace, "llumnix", "--set", 'scheduler.micro_params={"threshold": 0.05}')
        check("deterministic", filecmp.cmp(os.path.join(out, "requests.csv"), os.path.join(out2, "requests.csv"),
                                           shallow=False) and s2["fingerprint"] == s["fingerprint"])
        s3, _, _ = run(tmp, "c", trace, "llumnix", "--set", 'scheduler.micro_params={"max_moves": 0}')
        check("no moves when disabled", s3["live_migrations"] == 0)
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
