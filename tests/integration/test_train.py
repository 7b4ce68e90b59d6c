"""`torta-sim train`: a short training run writes a policy and a learning curve, the same command
twice gives byte-identical files, the policy drives `--macro torta`, and a policy used on another
topology or by another variant is refused with a clear error. Parallel training
(rl.episodes_per_update, --jobs) writes the same files for 1 and 3 worker processes."""
import csv
import filecmp
import json
import os
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
TOPO = os.path.join(SRC, "tests/fixtures/core/three_regions.json")
LENGTHS = os.path.join(SRC, "traces/sharegpt_8k_filtered_stats_llama2_tokenizer.csv")
WORKLOAD = f"diurnal:rate_per_s=1.5,duration_s=43200,lengths={LENGTHS}"
SERVERS = 'regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":1}]'
COMMON = ["--topology", TOPO, "--workload", WORKLOAD, "--set", SERVERS, "--slot-s", "600"]
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def train(tmp, tag, *extra):
    pol, curve = os.path.join(tmp, tag + ".json"), os.path.join(tmp, tag + ".csv")
    p = subprocess.run([SIM, "train", *COMMON, "--macro", "torta", "--episodes", "4", "--seed", "3",
                        "--set", "scheduler.macro_params.rl.horizon_steps=64", "--quiet",
                        "--policy-out", pol, "--curve-out", curve, *extra], capture_output=True, text=True)
    return p, pol, curve


def main():
    with tempfile.TemporaryDirectory() as tmp:
        p, pol, curve = train(tmp, "a")
        check("train exits 0", p.returncode == 0, p.stderr[-400:])
        rows = list(csv.DictReader(open(curve)))
        check("one curve row per episode", [int(r["episode"]) for r in rows] == [0, 1, 2, 3])
        check("episodes use seed + k", [int(r["seed"]) for r in rows] == [3, 4, 5, 6])
        policy = json.load(open(pol))
        check("policy records its topology", "three-regions/R3" in json.dumps(policy))
        p2, pol2, curve2 = train(tmp, "b")
        check("same command, byte-identical policy and curve",
              p2.returncode == 0 and filecmp.cmp(pol, pol2, shallow=False) and filecmp.cmp(curve, curve2, shallow=False))

        out = os.path.join(tmp, "eval")
        p = subprocess.run([SIM, *COMMON, "--macro", "torta", "--set", f"scheduler.macro_params.policy={json.dumps(pol)}",
                            "--quiet", "--out", out], capture_output=True, text=True)
        check("the policy drives --macro torta", p.returncode == 0, p.stderr[-300:])
        if p.returncode == 0:
            s = json.load(open(os.path.join(out, "summary.json")))
            check("evaluation run completes", s["requests"]["completed"] == s["requests"]["arrived"] > 1000,
                  s["requests"])

        p = subprocess.run([SIM, "--topology", os.path.join(SRC, "topologies/Abilene.gml"), "--workload", WORKLOAD,
                            "--macro", "torta", "--set", f"scheduler.macro_params.policy={json.dumps(pol)}", "--quiet"],
                           capture_output=True, text=True)
        check("a policy for another topology is refused", p.returncode == 2 and os.path.basename(pol) in p.stderr,
              p.stderr.strip()[:200])
        p = subprocess.run([SIM, *COMMON, "--macro", "rl-only", "--set",
                            f"scheduler.macro_params.policy={json.dumps(pol)}", "--quiet"], capture_output=True, text=True)
        check("a policy for another variant is refused", p.returncode == 2 and "actions" in p.stderr,
              p.stderr.strip()[:200])
        p = subprocess.run([SIM, *COMMON, "--macro", "torta", "--quiet"], capture_output=True, text=True,
                           env={**os.environ, "TORTA_POLICY_DIR": tmp})
        check("no policy: the error says how to train one", p.returncode == 2 and "torta-sim train" in p.stderr,
              p.stderr.strip()[:200])
        # Shipped policies: <topology>.<variant>.json (default settings) and <topology>.<variant>.<tag>.json
        # (other settings); the first that fits the run is used, else the default one's error.
        shop = os.path.join(tmp, "shop")
        os.makedirs(shop)
        with open(os.path.join(shop, "three-regions.torta.json"), "w") as f:
            json.dump({**policy, "meta": {**policy["meta"], "fingerprint": policy["meta"]["fingerprint"].replace(
                "slot600", "slot60")}}, f)
        env = {**os.environ, "TORTA_POLICY_DIR": shop}
        p = subprocess.run([SIM, *COMMON, "--macro", "torta", "--quiet"], capture_output=True, text=True, env=env)
        check("no shipped policy fits: the default one's error names the setting",
              p.returncode == 2 and "--slot-s 60" in p.stderr, p.stderr.strip()[:300])
        with open(os.path.join(shop, "three-regions.torta.slot600.json"), "w") as f:
            json.dump(policy, f)
        p = subprocess.run([SIM, *COMMON, "--macro", "torta", "--quiet", "--out", os.path.join(tmp, "shop-run")],
                           capture_output=True, text=True, env=env)
        check("a tagged shipped policy that fits is found", p.returncode == 0, p.stderr.strip()[:300])
        if p.returncode == 0:
            check("... and drives the run like the same file given by path",
                  json.load(open(os.path.join(tmp, "shop-run", "summary.json")))["fingerprint"]
                  == json.load(open(os.path.join(out, "summary.json")))["fingerprint"])
        # rl.action "shared": one multiplier for every region; the policy file says so itself.
        p, spol, _ = train(tmp, "shared", "--set", 'scheduler.macro_params.rl.action="shared"')
        sizes = json.load(open(spol))["net"]["sizes"] if p.returncode == 0 else None
        # one routing multiplier and one capacity multiplier, each shared by every region
        check("shared action: a policy with two outputs", sizes is not None and sizes[-1] == 2, sizes)
        p = subprocess.run([SIM, *COMMON, "--macro", "torta", "--set", f"scheduler.macro_params.policy={json.dumps(spol)}",
                            "--quiet", "--out", os.path.join(tmp, "eval-shared")], capture_output=True, text=True)
        check("a shared-action policy drives --macro torta", p.returncode == 0, p.stderr[-300:])
        for bad, says in (('scheduler.macro_params.rl.action="both"', 'unknown "both"'),):
            p = subprocess.run([SIM, "train", *COMMON, "--macro", "torta", "--set", bad, "--quiet",
                                "--policy-out", os.path.join(tmp, "x.json")], capture_output=True, text=True)
            check(f"{bad}: refused naming the value", p.returncode == 2 and says in p.stderr, p.stderr.strip()[:200])
        p = subprocess.run([SIM, "train", *COMMON, "--macro", "rl-only", "--set", 'scheduler.macro_params.rl.action="shared"',
                            "--quiet", "--policy-out", os.path.join(tmp, "x.json")], capture_output=True, text=True)
        check("rl-only with a shared action is refused", p.returncode == 2 and "rl-only" in p.stderr, p.stderr.strip()[:200])
        p = subprocess.run([SIM, "train", *COMMON, "--macro", "least-loaded", "--policy-out", os.path.join(tmp, "x.json")],
                           capture_output=True, text=True)
        check("nothing to train for a heuristic", p.returncode == 2 and "nothing to train" in p.stderr)

        # Parallel training: iterations of K episodes with one policy; the files do not depend
        # on the number of worker processes (3 workers, and K not dividing the episodes).
        per3 = ("--set", "scheduler.macro_params.rl.episodes_per_update=3", "--episodes", "7")
        for macro in ("torta", "rl-only"):
            runs = [train(tmp, f"par-{macro}-{j}", *per3, "--macro", macro, "--jobs", str(j)) for j in (1, 3)]
            (p1, pol1, c1), (p3, pol3, c3) = runs
            check(f"{macro}, episodes_per_update=3: --jobs 1 and --jobs 3 exit 0",
                  p1.returncode == 0 and p3.returncode == 0, (p1.stderr + p3.stderr)[-400:])
            check(f"{macro}, episodes_per_update=3: --jobs 1 and --jobs 3 write byte-identical files",
                  filecmp.cmp(pol1, pol3, shallow=False) and filecmp.cmp(c1, c3, shallow=False))
            extra = json.load(open(pol3))["meta"]["extra"] if p3.returncode == 0 else {}
            check(f"{macro}: the policy records episodes_per_update", extra.get("episodes_per_update") == 3, extra)
            rows = list(csv.DictReader(open(c3))) if p3.returncode == 0 else []
            check(f"{macro}: one curve row per episode, in order", [int(r["episode"]) for r in rows] == list(range(7)))
        # The default (one episode per update) is today's training: --jobs changes nothing, says so.
        p, pol2, curve2 = train(tmp, "jobs2", "--jobs", "2")
        check("default: --jobs 2 gives the same files as without it",
              p.returncode == 0 and filecmp.cmp(pol, pol2, shallow=False) and filecmp.cmp(curve, curve2, shallow=False))
        check("default: --jobs 2 notes that nothing runs in parallel", "episodes_per_update" in p.stderr, p.stderr[-300:])
        p = subprocess.run([SIM, "train", *COMMON, "--layer", "both", "--macro", "torta", "--micro", "torta-rl", "--set",
                            "scheduler.macro_params.rl.episodes_per_update=2", "--quiet", "--policy-out",
                            os.path.join(tmp, "x.json"), "--micro-policy-out", os.path.join(tmp, "y.json")],
                           capture_output=True, text=True)
        check("episodes_per_update with --layer both is refused", p.returncode == 2 and "--layer macro" in p.stderr,
              p.stderr.strip()[:200])
        for bad in ("0", "1.5"):
            p = subprocess.run([SIM, "train", *COMMON, "--macro", "torta", "--set",
                                f"scheduler.macro_params.rl.episodes_per_update={bad}", "--quiet", "--episodes", "2",
                                "--policy-out", os.path.join(tmp, "x.json")], capture_output=True, text=True)
            check(f"episodes_per_update={bad} is refused", p.returncode == 2 and "episodes_per_update" in p.stderr,
                  p.stderr.strip()[:200])

    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
