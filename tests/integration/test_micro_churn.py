"""Model-switching churn: the model-aware micro allocators against least-loaded.

1. Alternating bursts of two models (llama2-70b / llama2-13b, 30 s each, 10 minutes) on one
   region of four servers holding one model each: `affinity` and `torta-rl` (the shipped default
   policy) must switch fewer times than `least-loaded` and reach a lower mean e2e.
2. The shipped multi-model configuration (configs/multimodel.json) on the Azure conversation
   trace over Abilene: the same two comparisons.
3. `torta-sim train --layer micro` is deterministic (same command, byte-identical policy; another
   seed, another policy) and its policy runs; `--layer both` writes both policies.
4. CLI errors of the micro layer's training and evaluation.
Margins are printed for the record."""
import json
import os
import random
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
ONE = os.path.join(SRC, "tests/fixtures/core/one_region.json")
TWO = os.path.join(SRC, "tests/fixtures/core/two_regions.json")
ABILENE = os.path.join(SRC, "topologies/Abilene.gml")
CONV = os.path.join(SRC, "traces/AzureLLMInferenceTrace_conv.csv")
MULTI = os.path.join(SRC, "configs/multimodel.json")
SERVERS = 'regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":4}]'
ENV = dict(os.environ, TORTA_POLICY_DIR=os.path.join(SRC, "configs/policies"))
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def sim(*args):
    return subprocess.run([SIM, *args], capture_output=True, text=True, env=ENV)


def bursts(path):
    rng = random.Random(5)
    t = 0.0
    with open(path, "w") as f:
        f.write("arrival_s,input_tokens,output_tokens,model\n")
        while True:
            t += rng.expovariate(3.0)
            if t >= 600:
                break
            model = ("llama2-70b", "llama2-13b")[int(t // 30) % 2]
            f.write(f"{t:.6f},{rng.randint(200, 1500)},{rng.randint(50, 400)},{model}\n")


def summary(out, *args):
    p = sim(*args, "--quiet", "--out", out)
    if p.returncode != 0:
        print(p.stderr[-800:])
        return None
    s = json.load(open(os.path.join(out, "summary.json")))
    return s["switches"], s["latency_s"]["e2e"]["mean"], s["requests"]["completed"]


def compare(tmp, label, args):
    res = {}
    for m in ("least-loaded", "affinity", "torta-rl"):
        res[m] = summary(os.path.join(tmp, f"{label}-{m}"), *args, "--micro", m)
        check(f"{label}: {m} runs", res[m] is not None)
        if res[m] is None:
            return
    sw0, e0, n0 = res["least-loaded"]
    for m in ("affinity", "torta-rl"):
        sw, e2e, n = res[m]
        check(f"{label}: {m} completes every request least-loaded does", n == n0, f"{n} vs {n0}")
        check(f"{label}: {m} switches less than least-loaded", sw < sw0, f"{sw} vs {sw0}")
        check(f"{label}: {m} lower mean e2e than least-loaded", e2e < e0,
              f"{e2e:.3f} s vs {e0:.3f} s ({100 * (1 - e2e / e0):.1f}% lower)")


def train(policy, *extra, layer="micro", topo=ONE, trace=None, episodes="4"):
    return sim("train", "--layer", layer, "--topology", topo, "--trace", trace, "--macro", "local",
               "--micro", "torta-rl", "--set", SERVERS, "--set", "server.max_resident_models=1",
               "--episodes", episodes, "--set", "scheduler.micro_params.rl.imitation_episodes=2",
               "--quiet", "--policy-out", policy, *extra)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "bursts.csv")
        bursts(trace)
        compare(tmp, "bursts", ["--topology", ONE, "--trace", trace, "--macro", "local",
                                "--set", SERVERS, "--set", "server.max_resident_models=1"])
        compare(tmp, "multimodel", ["--topology", ABILENE, "--trace", CONV, "--macro", "local",
                                    "--config", MULTI])

        a, b, c = (os.path.join(tmp, f"p{x}.json") for x in "abc")
        pa, pb = train(a, trace=trace), train(b, trace=trace)
        check("train --layer micro exits 0", pa.returncode == 0 and pb.returncode == 0,
              pa.stderr[-500:] + pb.stderr[-500:])
        same = os.path.exists(a) and os.path.exists(b) and open(a, "rb").read() == open(b, "rb").read()
        check("training is deterministic (byte-identical policy)", same)
        pc = train(c, "--seed", "2", trace=trace)
        check("another seed gives another policy", pc.returncode == 0 and
              open(a, "rb").read() != open(c, "rb").read())
        pol = json.load(open(a))
        check("policy metadata", pol["kind"] == "softmax-candidates" and
              pol["meta"]["extra"]["layer"] == "micro" and
              pol["meta"]["fingerprint"].startswith("micro/F13/"), pol["meta"])
        r = summary(os.path.join(tmp, "trained"), "--topology", ONE, "--trace", trace, "--macro",
                    "local", "--set", SERVERS, "--set", "server.max_resident_models=1", "--micro",
                    "torta-rl", "--set", f"scheduler.micro_params.policy={a}")
        check("the trained policy runs", r is not None, r)
        # One micro policy serves another topology (fingerprint: features + catalogue).
        r = summary(os.path.join(tmp, "other-topo"), "--topology", TWO, "--trace", trace, "--micro",
                    "torta-rl", "--set", f"scheduler.micro_params.policy={a}")
        check("the policy runs on another topology", r is not None, r)

        m, u = os.path.join(tmp, "macro.json"), os.path.join(tmp, "micro.json")
        p = sim("train", "--layer", "both", "--topology", TWO, "--trace", trace, "--macro", "torta",
                "--micro", "torta-rl", "--episodes", "2", "--quiet", "--policy-out", m,
                "--micro-policy-out", u, "--set", "scheduler.micro_params.rl.imitation_episodes=1")
        ok = p.returncode == 0 and os.path.exists(m) and os.path.exists(u)
        check("train --layer both writes both policies", ok, p.stderr[-500:])
        if ok:
            check("... a macro and a micro one", json.load(open(m))["kind"] == "gaussian" and
                  json.load(open(u))["kind"] == "softmax-candidates")

        errors = [
            (train(a, layer="sideways", trace=trace), "--layer sideways: expected macro, micro or both"),
            (sim("train", "--layer", "micro", "--topology", ONE, "--trace", trace, "--micro", "jsq",
                 "--policy-out", a), "--micro jsq has nothing to train"),
            (sim("train", "--layer", "both", "--topology", ONE, "--trace", trace, "--macro", "torta",
                 "--micro", "torta-rl", "--policy-out", a), "--layer both needs --micro-policy-out"),
            (sim("--topology", ONE, "--trace", trace, "--micro", "torta-rl", "--quiet", "--set",
                 "scheduler.micro_params.policy=/nonexistent/p.json"), "/nonexistent/p.json"),
            (sim("--topology", ONE, "--trace", trace, "--micro", "torta-rl", "--quiet", "--set",
                 f"scheduler.micro_params.policy={m}"), "softmax-candidates"),
            (sim("--topology", ONE, "--trace", trace, "--micro", "affinity", "--quiet", "--set",
                 "scheduler.micro_params.thetaa=2"), 'unknown key "thetaa" (did you mean "theta"?)'),
        ]
        for p, msg in errors:
            check(f"error: {msg}", p.returncode == 2 and msg in p.stderr, p.stderr.strip()[-300:])

    print(f"{sum(results)}/{len(results)} checks passed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
