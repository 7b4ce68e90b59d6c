"""TORTA against one-slot reactive OT on a day-long diurnal workload with shifted regional peaks
(three regions in UTC-5, UTC+0 and UTC+8), each with one reserved server and a pool of two
on-demand ones: TORTA plans capacity (forecasts + OT + PPO, trained briefly on seeds 1001+),
ot-reactive routes by one-slot OT under the reactive autoscaler. `torta` must beat `ot-reactive`
on mean e2e latency or on cost, averaged over three held-out seeds. Prints the margins it sees."""
import json
import os
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
TOPO = os.path.join(SRC, "tests/fixtures/core/three_regions.json")
WORKLOAD = ("diurnal:rate_per_s=3,duration_s=86400,lengths="
            + os.path.join(SRC, "traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv"))
COMMON = ["--topology", TOPO, "--workload", WORKLOAD, "--slot-s", "300", "--set", "capacity.autoscaler=reactive",
          "--set", 'regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":1},'
          '{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":2,"class":"on_demand"}]']


def main():
    with tempfile.TemporaryDirectory() as tmp:
        pol = os.path.join(tmp, "policy.json")
        subprocess.run([SIM, "train", *COMMON, "--macro", "torta", "--episodes", "4", "--seed", "1001",
                        "--set", "scheduler.macro_params.rl.horizon_steps=288", "--quiet", "--policy-out", pol],
                       check=True)
        means = {}
        for m in ("torta", "ot-reactive"):
            e2e, cost = [], []
            for seed in (1, 2, 3):
                out = os.path.join(tmp, f"{m}-{seed}")
                subprocess.run([SIM, *COMMON, "--macro", m, "--seed", str(seed), "--quiet", "--out", out,
                                "--set", "scheduler.macro_params.policy=" + json.dumps(pol)], check=True)
                s = json.load(open(os.path.join(out, "summary.json")))
                assert s["requests"]["completed"] == s["requests"]["arrived"]
                e2e.append(s["latency_s"]["e2e"]["mean"])
                cost.append(s["cost_usd"]["total"])
            means[m] = (sum(e2e) / 3, sum(cost) / 3)
    (te, tc), (re, rc) = means["torta"], means["ot-reactive"]
    print(f"mean e2e: torta {te:.4f} s, ot-reactive {re:.4f} s ({100 * (te - re) / re:+.2f}%)")
    print(f"cost:     torta {tc:.4f} USD, ot-reactive {rc:.4f} USD ({100 * (tc - rc) / rc:+.4f}%)")
    ok = te < re or tc < rc
    print(f"{int(ok)} passed, {int(not ok)} failed")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
