"""Continuous batching against a plain per-iteration reference.

The simulator jumps over decode iterations in closed form and cuts a jump short when a request
arrives that can join the batch. This test replays the same workload through a naive reference
that steps one iteration at a time (same iteration-time formula, same FCFS + KV admission) and
requires every request's first-token and completion time to agree to 1e-6 s, for each batching
policy (mixed, vllm, sarathi), with the KV cache reserved at admission and, for mixed and vllm,
paged (blocks as tokens come, a watermark, preemption by recompute: reference_paged, which also
gives every request's number of preemptions).
"""
import csv
import itertools
import math
import json
import os
import random
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
GPU, MODEL, TP = "h100-80gb", "llama2-70b", 4


def _extend(ys, x):
    """ys[x - 1] (x 1-based), the last step extended beyond the table, never below 0."""
    if x <= len(ys):
        return ys[x - 1]
    return max(0.0, ys[-1] + (x - len(ys)) * (ys[-1] - ys[-2]))


def load_grid(perf):
    """A grid profile's file (docs/profiles.md, "The Vidur profile") as lists per part."""
    parts = {"decode": {}, "prefill_linear": [], "prefill_attention": []}
    with open(os.path.join(SRC, perf["grid_file"]), newline="") as f:
        for r in csv.DictReader(f):
            t = float(r["time_ms"]) / 1000.0
            if r["part"] == "decode":
                parts["decode"].setdefault(int(r["batch"]), []).append(t)
            else:
                parts[r["part"]].append(t)
    perf = dict(perf, grid=parts)
    return perf


def prefill_s(perf, P, Q):
    """Prefill time: the three-coefficient form, or a grid profile's (several prompts: Q < P^2)."""
    if "grid" in perf:
        g = perf["grid"]
        t = _extend(g["prefill_linear"], max(1, -(-P // perf["grid_token_round"])))
        return t + _extend(g["prefill_attention"], round(math.sqrt(Q))) * (
            1 + perf["grid_attention_batch_overhead"] * (Q < P * P))
    return perf["p0"] + perf["p1"] * P + perf["p2"] * Q


def decode_s(perf, B, C):
    if "grid" in perf:
        g, gran = perf["grid"]["decode"], perf["grid_context_granularity"]
        k = max(1, -(-(C // B) // gran))
        top = max(g)
        if B <= top:
            return _extend(g[B], k)
        last, prev = _extend(g[top], k), _extend(g[top - 1], k)
        return max(0.0, last + (B - top) * (last - prev))
    return perf["d0"] + perf["d1"] * B + perf["d2"] * C


def reference(reqs, perf, kv_cap, max_batch, policy="mixed", chunk_tokens=512, max_prefill=0):
    """reqs: list of (arrival, inp, out) sorted by arrival. Returns {i: (first_token, finish)}.

    One iteration per loop turn. mixed: the admitted prompts' prefill plus one decode step of the
    running requests; vllm: an iteration that admits runs only the prefills, otherwise a decode
    step; sarathi: one decode step of the running requests plus prompt chunks filling
    chunk_tokens, prefilling requests first (a chunk of c tokens after k counts c (2k + c) in Q).
    """
    t, nxt, queue, running, prefilling, result, done = 0.0, 0, [], [], [], {}, 0
    used = 0
    while done < len(reqs):
        while nxt < len(reqs) and reqs[nxt][0] <= t:
            queue.append(nxt)
            nxt += 1
        P = Q = 0
        finished_prefill = []  # requests whose first token this iteration gives

        def fits(i, n_batch):
            return n_batch < max_batch and used + reqs[i][1] + reqs[i][2] <= kv_cap

        if policy == "sarathi":
            left = chunk_tokens - len(running)
            while prefilling and left > 0:
                i, k = prefilling[0]
                c = min(reqs[i][1] - k, left)
                P, Q, left = P + c, Q + c * (2 * k + c), left - c
                if k + c < reqs[i][1]:
                    prefilling[0] = (i, k + c)
                    break
                prefilling.pop(0)
                finished_prefill.append(i)
            while queue and left > 0 and fits(queue[0], len(running) + len(prefilling) + len(finished_prefill)):
                i = queue.pop(0)
                used += reqs[i][1] + reqs[i][2]
                c = min(reqs[i][1], left)
                P, Q, left = P + c, Q + c * c, left - c
                if c < reqs[i][1]:
                    prefilling.append((i, c))
                else:
                    finished_prefill.append(i)
        else:
            prompt = 0
            while queue and fits(queue[0], len(running) + len(finished_prefill)):
                i = queue[0]
                if max_prefill and prompt and prompt + reqs[i][1] > max_prefill:
                    break
                prompt += reqs[i][1]
                used += reqs[i][1] + reqs[i][2]
                P, Q = P + reqs[i][1], Q + reqs[i][1] ** 2
                finished_prefill.append(queue.pop(0))
        if not running and not P:
            t = reqs[nxt][0]  # idle until the next arrival
            continue
        decode = running and not (policy == "vllm" and P)
        dt = prefill_s(perf, P, Q) if P else 0.0
        if decode:
            B = len(running)
            C = sum(reqs[i][1] + g for i, g in running)
            dt += decode_s(perf, B, C)
        t += dt
        new_running = []
        for i, g in running:
            g += decode
            if g == reqs[i][2]:
                result[i] = (result[i][0], t)
                done += 1
                used -= reqs[i][1] + reqs[i][2]
            else:
                new_running.append((i, g))
        for i in finished_prefill:
            result[i] = (t, None)
            if reqs[i][2] == 1:
                result[i] = (t, t)
                done += 1
                used -= reqs[i][1] + reqs[i][2]
            else:
                new_running.append((i, 1))
        running = new_running
    return result


def reference_paged(reqs, perf, kv_cap, max_batch, policy="mixed", max_prefill=0, bt=16, watermark=0.01,
                    preempt="needed", chunk_tokens=512):
    """Paged KV, one iteration per loop turn. Returns {i: (first_token, finish, preemptions)}.

    A request holds ceil(tokens / bt) blocks: its prefill's at admission (prompt, plus the tokens
    it had generated when it was preempted), and one more when a decode step writes the KV of a
    token past its last block (the step that gives token g + 1 writes token g's: context p + g).
    Admission leaves floor(watermark x blocks) free unless the server holds nothing. Before a
    decode step (mixed: before admitting; vllm: when nobody is admitted) requests are preempted:
    their blocks are freed and they go back to the head of the queue (earliest admitted first).
    preempt="needed": while the requests that need a block need more than are free, the most
    recently admitted. preempt="vllm", Vidur's vllm scheduler (_get_next_batch): the running
    requests in admission order, each needing one free block before its step whether it takes
    one or not; while none is free, the most recent one not yet gone through is preempted, or the
    request itself when none is left, unless it is the only one running. sarathi (preempt
    "needed"): as mixed, with prompts in chunks (the reference's sarathi); an admitted prompt holds
    its blocks from admission, and the requests still prefilling are preempted before any running
    one, the most recently admitted first (losing their chunks).
    """
    n_blocks = kv_cap // bt
    wm = math.floor(watermark * n_blocks)
    blocks = lambda tokens: -(-tokens // bt)
    t, nxt, queue, running, result, done, used, seq = 0.0, 0, [], [], {}, 0, 0, 0
    prefilling = []                # sarathi: admitted, prompt partly prefilled ("k" tokens)
    gen = [0] * len(reqs)          # tokens generated so far
    recompute = [False] * len(reqs)
    preempted = [0] * len(reqs)
    first = {}

    def crosses(r):
        return blocks(reqs[r["i"]][1] + gen[r["i"]]) > r["held"]

    def restart(victim):
        nonlocal used
        (prefilling if victim in prefilling else running).remove(victim)
        used -= victim["held"]
        recompute[victim["i"]] = True
        preempted[victim["i"]] += 1
        queue.insert(0, victim["i"])  # each in front of the one preempted before it

    def decode_blocks_vllm():
        nonlocal used
        pending = list(running)  # admission order
        alone = len(running) == 1
        while pending:
            r = pending.pop(0)
            while n_blocks - used < 1 and not alone and r in running:
                restart(pending.pop() if pending else r)
            if r in running and crosses(r):
                r["held"] += 1
                used += 1

    def decode_blocks():
        nonlocal used
        if preempt == "vllm":
            return decode_blocks_vllm()
        need = [r for r in running if crosses(r)]
        while len(need) > n_blocks - used:
            victim = max(prefilling or running, key=lambda r: r["seq"])
            if victim in need:
                need.remove(victim)
            restart(victim)
        for r in need:
            r["held"] += 1
        used += len(need)

    while done < len(reqs):
        while nxt < len(reqs) and reqs[nxt][0] <= t:
            queue.append(nxt)
            nxt += 1
        if policy in ("mixed", "sarathi"):
            decode_blocks()
        new, P, Q, prompt = [], 0, 0, 0
        if policy == "sarathi":
            left = chunk_tokens - len(running)
            while prefilling and left > 0:
                r = prefilling[0]
                c = min(r["len"] - r["k"], left)
                P, Q, left = P + c, Q + c * (2 * r["k"] + c), left - c
                r["k"] += c
                if r["k"] < r["len"]:
                    break
                new.append(prefilling.pop(0))
        while queue and (policy != "sarathi" or left > 0):
            i = queue[0]
            length = reqs[i][1] + (gen[i] if recompute[i] else 0)
            need = blocks(length)
            n = len(running) + len(new) + len(prefilling)
            if n >= max_batch or (need > n_blocks if n == 0 else need + wm > n_blocks - used):
                break
            if max_prefill and prompt and prompt + length > max_prefill:
                break
            queue.pop(0)
            prompt += length
            used += need
            seq += 1
            recompute[i] = False
            r = {"i": i, "held": need, "seq": seq, "len": length, "k": length}
            if policy == "sarathi":
                r["k"] = c = min(length, left)
                left -= c
                P, Q = P + c, Q + c * c
                (new if c == length else prefilling).append(r)
                continue
            new.append(r)
            P, Q = P + length, Q + length * length
        decode = bool(running) and not (policy == "vllm" and new)
        if policy == "vllm" and decode:
            decode_blocks()
            decode = bool(running)
        if not decode and not P:
            t = reqs[nxt][0]  # idle until the next arrival
            continue
        dt = prefill_s(perf, P, Q) if P else 0.0
        if decode:
            B = len(running)
            C = sum(reqs[r["i"]][1] + gen[r["i"]] for r in running)
            dt += decode_s(perf, B, C)
        t += dt
        after = []
        for r in (running if decode else []) + new:
            i = r["i"]
            gen[i] += 1
            if gen[i] == 1:
                first[i] = t
            if gen[i] == reqs[i][2]:
                result[i] = (first[i], t, preempted[i])
                done += 1
                used -= r["held"]
            else:
                after.append(r)
        running = after + ([] if decode else running)
        running.sort(key=lambda r: r["seq"])
    return result


def run_case(tmp, name, reqs, extra_sets, gpu=GPU, tp=TP):
    trace = os.path.join(tmp, name + ".csv")
    with open(trace, "w") as f:
        f.write("arrival_s,input_tokens,output_tokens\n")
        for a, i, o in reqs:
            f.write(f"{a:.9f},{i},{o}\n")
    out = os.path.join(tmp, name)
    servers = json.dumps([{"gpu": gpu, "model": MODEL, "tp": tp, "count": 1}])
    cmd = [SIM, "--topology", os.path.join(SRC, "tests/fixtures/core/one_region.json"),
           "--trace", trace, "--quiet", "--out", out, "--set", "regions.servers=" + servers]
    for s in extra_sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True)
    rows = {int(r["request_id"]): r for r in csv.DictReader(open(os.path.join(out, "requests.csv")))}
    return rows


def main():
    profiles = json.load(open(os.path.join(SRC, "configs/profiles.json")))
    models = json.load(open(os.path.join(SRC, "configs/models.json")))
    gpus = json.load(open(os.path.join(SRC, "configs/gpus.json")))
    perf = profiles[f"{GPU}/{MODEL}/tp{TP}"]
    rng = random.Random(42)
    passed = failed = 0
    cases = [("light", 0.5, 0.9, 256), ("heavy", 12.0, 0.9, 256),
             ("kv-bound", 12.0, 0.49, 256), ("batch-bound", 12.0, 0.9, 8)]
    # Policies with their settings: sarathi with a budget that decodes alone can exhaust (64)
    # and mixed and vllm with a prefill-token cap per iteration.
    policies = [("mixed", {}), ("mixed", {"max_prefill": 4096}), ("vllm", {}), ("vllm", {"max_prefill": 4096}),
                ("sarathi", {"chunk_tokens": 512}), ("sarathi", {"chunk_tokens": 64})]
    with tempfile.TemporaryDirectory() as tmp:
        for name, rate, kv_util, max_batch in cases:
            t, reqs = 0.0, []
            for _ in range(300):
                t += rng.expovariate(rate)
                reqs.append((round(t, 6), rng.randint(1, 4000), rng.choice([1, 2, rng.randint(1, 600)])))
            mem = gpus[GPU]["mem_gb"] * 1e9 * TP * kv_util
            kv_cap = int((mem - models[MODEL]["weight_bytes"]) // models[MODEL]["kv_bytes_per_token"])
            for policy, opts in policies:
                ref = reference(reqs, perf, kv_cap, max_batch, policy, **opts)
                sets = [f"server.kv_utilization={kv_util}", f"server.max_batch={max_batch}",
                        f"server.batching={policy}", "server.kv_policy=reserve",
                        f"server.chunk_tokens={opts.get('chunk_tokens', 512)}",
                        f"server.max_prefill_tokens={opts.get('max_prefill', 0)}"]
                label = policy + "".join(f" {k}={v}" for k, v in opts.items())
                rows = run_case(tmp, f"{name}-{policy}-{len(opts) and list(opts.values())[0]}", reqs, sets)
                worst = 0.0
                for i, (a, _, _) in enumerate(reqs):
                    r = rows[i]
                    assert r["status"] == "completed", r
                    ttft, e2e = float(r["ttft_s"]), float(r["e2e_s"])
                    worst = max(worst, abs(ttft - (ref[i][0] - a)), abs(e2e - (ref[i][1] - a)))
                ok = worst < 2e-6  # requests.csv has microsecond resolution
                print(f"{name:12s} {label:26s} requests={len(reqs)} kv_cap={kv_cap} max_batch={max_batch} "
                      f"worst |sim - reference| = {worst:.2e} s  {'ok' if ok else 'FAIL'}")
                passed += ok
                failed += not ok
        # Paged KV: a tight cache (tens of blocks per request in flight) makes the heavy cases
        # preempt; the light one never waits for blocks. Block sizes: vLLM's 16, the extremes 1
        # and 64, and 24 (not a power of two: the block counter's other arithmetic). Without a
        # watermark, the blocks a vllm-rule preemption leaves can readmit its victim at once.
        # Each under both preemption rules, which must not give the same requests everywhere.
        by_rule = {}
        paged_cases = [("light", 0.5, 0.9, 256, 16, 0.01), ("kv-bound", 12.0, 0.49, 256, 16, 0.01),
                       ("kv-tight", 12.0, 0.465, 256, 16, 0.01), ("kv-tight-bt1", 12.0, 0.465, 256, 1, 0.01),
                       ("kv-tight-bt64", 12.0, 0.465, 32, 64, 0.01), ("kv-tight-bt24", 12.0, 0.465, 256, 24, 0.01),
                       ("kv-tight-wm0", 12.0, 0.465, 256, 16, 0.0)]
        for name, rate, kv_util, max_batch, bt, wm in paged_cases:
            t, reqs = 0.0, []
            for _ in range(300):  # long outputs: running requests keep asking for blocks
                t += rng.expovariate(rate)
                reqs.append((round(t, 6), rng.randint(1, 3000), rng.choice([1, rng.randint(50, 1000)])))
            mem = gpus[GPU]["mem_gb"] * 1e9 * TP * kv_util
            kv_cap = int((mem - models[MODEL]["weight_bytes"]) // models[MODEL]["kv_bytes_per_token"])
            runs = list(itertools.product([("mixed", {}), ("vllm", {}), ("vllm", {"max_prefill": 4096})],
                                          ("needed", "vllm")))
            # sarathi (needed rule only): a budget of 512, and 64, where decodes alone can spend it
            runs += [(("sarathi", {"chunk_tokens": 512}), "needed"), (("sarathi", {"chunk_tokens": 64}), "needed")]
            for (policy, opts), preempt in runs:
                ref = reference_paged(reqs, perf, kv_cap, max_batch, policy, bt=bt, watermark=wm, preempt=preempt,
                                      **opts)
                tag = "".join(f"-{k}{v}" for k, v in opts.items())
                by_rule.setdefault((name, policy, tag), {})[preempt] = ref
                sets = [f"server.kv_utilization={kv_util}", f"server.max_batch={max_batch}",
                        f"server.batching={policy}", "server.kv_policy=paged", f"server.kv_block_tokens={bt}",
                        f"server.max_prefill_tokens={opts.get('max_prefill', 0)}", f"server.kv_preempt={preempt}",
                        f"server.kv_watermark={wm}", f"server.chunk_tokens={opts.get('chunk_tokens', 512)}"]
                label = f"{policy} paged bt={bt} preempt={preempt}" + "".join(f" {k}={v}" for k, v in opts.items())
                out = f"paged-{name}-{policy}{tag}-{preempt}"
                rows = run_case(tmp, out, reqs, sets)
                summary = json.load(open(os.path.join(tmp, out, "summary.json")))
                worst, wrong_count = 0.0, 0
                for i, (a, _, _) in enumerate(reqs):
                    r = rows[i]
                    assert r["status"] == "completed", r
                    ttft, e2e = float(r["ttft_s"]), float(r["e2e_s"])
                    worst = max(worst, abs(ttft - (ref[i][0] - a)), abs(e2e - (ref[i][1] - a)))
                    wrong_count += int(r["preemptions"]) != ref[i][2]
                total = sum(v[2] for v in ref.values())
                ok = worst < 2e-6 and wrong_count == 0 and summary["kv"]["preemptions"] == total
                print(f"{name:12s} {label:44s} kv_cap={kv_cap} preemptions={total} "
                      f"(sim {summary['kv']['preemptions']}, {wrong_count} requests differ) "
                      f"worst |sim - reference| = {worst:.2e} s  {'ok' if ok else 'FAIL'}")
                passed += ok
                failed += not ok
        # A grid profile (source vidur: decode time a step function of the mean context per batch
        # size; docs/profiles.md): the jump must end at every step, across batch sizes inside and
        # beyond the grid's, reserved and paged.
        vperf = load_grid(profiles["a100-80gb/llama2-70b/tp2/vidur"])
        t, reqs = 0.0, []
        for _ in range(300):
            t += rng.expovariate(6.0)
            reqs.append((round(t, 6), rng.randint(1, 3000), rng.choice([1, rng.randint(50, 800)])))
        for kv_util, max_batch, paged in ((0.9, 160, False), (0.9, 7, False), (0.9, 160, True)):
            mem = gpus["a100-80gb"]["mem_gb"] * 1e9 * 2 * kv_util
            kv_cap = int((mem - models[MODEL]["weight_bytes"]) // models[MODEL]["kv_bytes_per_token"])
            sets = [f"server.kv_utilization={kv_util}", f"server.max_batch={max_batch}",
                    "server.batching=vllm", "server.max_prefill_tokens=4096",
                    "server.profile_source=vidur"]
            if paged:
                ref = reference_paged(reqs, vperf, kv_cap, max_batch, "vllm", bt=16, watermark=0.01,
                                      preempt="vllm", max_prefill=4096)
                sets += ["server.kv_policy=paged", "server.kv_block_tokens=16",
                         "server.kv_watermark=0.01", "server.kv_preempt=vllm"]
            else:
                ref = reference(reqs, vperf, kv_cap, max_batch, "vllm", max_prefill=4096)
                sets += ["server.kv_policy=reserve"]
            rows = run_case(tmp, f"vidur-{max_batch}-{paged}", reqs, sets, gpu="a100-80gb", tp=2)
            worst = 0.0
            for i, (a, _, _) in enumerate(reqs):
                r = rows[i]
                assert r["status"] == "completed", r
                worst = max(worst, abs(float(r["ttft_s"]) - (ref[i][0] - a)),
                            abs(float(r["e2e_s"]) - (ref[i][1] - a)))
            ok = worst < 2e-6
            print(f"vidur-grid   vllm max_prefill=4096 {'paged' if paged else 'reserve':8s} max_batch={max_batch} "
                  f"kv_cap={kv_cap} worst |sim - reference| = {worst:.2e} s  {'ok' if ok else 'FAIL'}")
            passed += ok
            failed += not ok
        both = [r for r in by_rule.values() if len(r) == 2]
        differ = sum(r["needed"] != r["vllm"] for r in both)
        ok = differ > 0
        print(f"the preemption rules differ in {differ} of {len(both)} paged settings  {'ok' if ok else 'FAIL'}")
        passed += ok
        failed += not ok
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
