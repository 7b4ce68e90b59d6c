"""Paged KV cache (server.kv_policy = paged): blocks allocated as tokens come, an admission
watermark, and preemption by recompute of the most recently admitted running request.

(a) hand-computed scenarios on a 4-block cache, under vllm and mixed batching and both preemption
    rules (server.kv_preempt), against reserve;
(b) invariants of busy multi-region runs (plain, with live migration, with server failures): every
    request completes, blocks never exceed the capacity, requests.csv's preemptions add up to the
    summary's;
(c) with a KV cache that never runs short, paged and reserve give the same requests and
    fingerprint (only the KV share of occupancy differs: blocks held, not reservations);
(d) bad settings are refused with exit status 2 and the field named.
test_server_reference.py checks paged KV against a per-iteration reference on random workloads.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
ONE = os.path.join(SRC, "tests/fixtures/core/one_region.json")
ABILENE = os.path.join(SRC, "topologies/Abilene.gml")
AZURE = os.path.join(SRC, "traces/AzureLLMInferenceTrace_conv.csv")
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")


def run(out, *args, expect=0):
    p = subprocess.run([SIM, *args, "--quiet", "--out", out], capture_output=True, text=True)
    if p.returncode != expect:
        raise AssertionError(f"exit {p.returncode}, expected {expect}: {p.stderr}")
    return p


def load(out):
    rows = {int(r["request_id"]): r for r in csv.DictReader(open(os.path.join(out, "requests.csv")))}
    return json.load(open(os.path.join(out, "summary.json"))), rows


def hand_computed(tmp):
    """(a) Two requests of 4 prompt + 8 output tokens; A at 0 s, B at 0.05 s; one server whose
    cache holds 16 tokens = 4 blocks of 4 (kv_utilization chosen so that floor((320e9 u -
    140e9) / 327680) = 16), watermark 0; iteration times: a prefill 0.1 s, a decode step 0.01 s
    (hand-written profile, every other coefficient 0). A request's decode step that gives token
    g + 1 writes token g's KV: context 4 + g, ceil((4 + g) / 4) blocks.

    vllm (prefill-only iterations first), kv_preempt needed:
      0.00  A admitted (1 block), prefill to 0.10: A's token 1.
      0.10  B admitted (1 block; 1 <= 4 - 1 free), prefill to 0.20: B's token 1 (ttft 0.15).
      0.20  decode, contexts 5 and 5: both cross into a 2nd block, 2 free -> 4 held. 0.21: tokens 2.
      0.21, 0.22, 0.23: contexts 6, 7, 8: no crossing. 0.24: tokens 5.
      0.24  contexts 9: both need a 3rd block, none free: B (admitted last) is preempted, its 2
            blocks freed, A takes one (3 held). 0.25: A token 6. B keeps its 5 tokens.
      0.25  B's recompute prefill needs ceil(9 / 4) = 3 blocks, 1 free: it waits. A: context 10,
            11 (3 blocks): tokens 7 at 0.26, 8 at 0.27: A done (e2e 0.27, tpot 0.17 / 7).
      0.27  B readmitted (3 blocks), prefill of 9 tokens to 0.37: token 6; contexts 10, 11: tokens
            7, 8 at 0.38, 0.39: B done, e2e 0.39 - 0.05 = 0.34, tpot (0.39 - 0.20) / 7, 1 preemption.
    mixed (prefills with one decode step of the running requests), kv_preempt needed:
      0.10  A's decode step (context 5) takes its 2nd block first (2 held), then B is admitted
            (1 block, 1 <= 4 - 2): one iteration of 0.1 + 0.01 to 0.21: A token 2, B token 1
            (ttft 0.16).
      0.21  B context 5 crosses (4 held); 0.22, 0.23: no crossing; 0.24: A tokens 5, B 4.
      0.24  A context 9 needs a block, none free: B preempted (frees 2, generated 4), A takes one
            (3 held); B needs ceil(8 / 4) = 2 > 1 free: waits. A tokens 6, 7, 8 at 0.25-0.27.
      0.27  B readmitted (2 blocks), prefill of 8 tokens to 0.37: token 5; context 9 crosses (3
            blocks, fits); tokens 6, 7, 8 at 0.38, 0.39, 0.40: e2e 0.35, tpot (0.40 - 0.21) / 7.
    vllm, kv_preempt vllm (one free block before each running request's step; the default
    under vllm batching): as needed to 0.21, where all 4 blocks are held and nobody crosses:
      0.21  A finds no free block: B (the youngest) is preempted after 2 tokens (2 blocks freed).
            A token 3 at 0.22. B readmitted (ceil(6 / 4) = 2 blocks, 4 held), prefill to 0.32.
      0.32  full again: B preempted after 3 tokens; A token 4 at 0.33; B's prefill 0.33-0.43.
      0.43  the same: B preempted after 4; A token 5 at 0.44; B's prefill 0.44-0.54.
      0.54  A context 9 crosses with none free: B preempted after 5; A alone takes a block
            (3 held), tokens 6, 7, 8 at 0.55-0.57 (e2e 0.57); B needs 3 blocks, 1 free: waits.
      0.57  B readmitted, prefill of 9 tokens to 0.67: token 6; 7, 8 at 0.68, 0.69: e2e 0.64,
            tpot (0.69 - 0.20) / 7, 4 preemptions. (vLLM's watermark, 1% of the blocks, keeps
            a block free at admission in practice; here it is 0.)
    mixed, kv_preempt vllm: as needed to 0.22 (B's context 5 crossed at 0.21, taking the last
    block), then at 0.22, 0.33 and 0.44 A finds no free block, B is preempted (after 2, 3 and 4
    tokens) and readmitted in the same iteration when its blocks fit (0.22, 0.33: 2 blocks;
    0.11 s iterations); at 0.44 A crosses (3 held) and B waits for A (done at 0.47, tokens 6-8
    from 0.45). B: prefill of 8 tokens 0.47-0.57, tokens 6-8 to 0.60: e2e 0.55, tpot
    (0.60 - 0.21) / 7, 3 preemptions; A tpot 0.37 / 7.
    reserve: A reserves 12 tokens; B (12 more) waits for A: A 0.1 / 0.17, B admitted at 0.17, first
      token 0.27 (ttft 0.22), done 0.34 (e2e 0.29), no preemption.

    (a2) Where only the rule differs in whether anyone is preempted: A 4 prompt + 4 output at 0,
    B 7 + 2 at 0.05, same server. vllm batching: B admitted at 0.10 (2 blocks), prefilled to 0.20
    (ttft 0.15); 3 blocks held, 1 free. At 0.20 A's context 5 crosses, B's (8) does not:
      needed: A takes the free block (4 held); 0.21: A token 2, B token 2 (done, e2e 0.16); A
        tokens 3, 4 at 0.22, 0.23 (e2e 0.23, tpot 0.13 / 3). No preemption.
      vllm: A takes the free block, then B finds none: B is preempted after 1 token; 0.21: A
        token 2. B readmitted (ceil(8 / 4) = 2 blocks of the 2 free), prefill of 8 tokens to 0.31
        gives its token 2 (done, e2e 0.26, tpot 0.11); A tokens 3, 4 at 0.32, 0.33 (e2e 0.33).
    mixed: at 0.10 A's context 5 crosses (2 held) and B is admitted (4 held); 0.21: A token 2,
    B token 1 (ttft 0.16). At 0.21 nobody crosses and no block is free:
      needed: 0.22: A token 3, B token 2 (done, e2e 0.17); A token 4 at 0.23.
      vllm: A finds no free block: B is preempted after 1 token, readmitted in the same iteration
        (2 blocks); 0.32: A token 3, B token 2 (done, e2e 0.27); A token 4 at 0.33.

    (a3) A request alone keeps going with no block free: A 4 + 13 at 0 (B 4 + 2 at 10 s, alone
    too), vllm rule. From its step of context 14 on A holds all 4 blocks (its last context, 16,
    fits them); vLLM would preempt it there and never readmit it (it needs all 4 back). Here it
    finishes: tokens 2-13 from 0.10 to 0.22.
    """
    cfg = os.path.join(tmp, "tiny.json")
    with open(cfg, "w") as f:
        json.dump({"profiles": {"h100-80gb/llama2-70b/tp4": {"p0": 0.1, "p1": 0, "p2": 0, "d0": 0.01,
                                                             "d1": 0, "d2": 0}},
                   "regions": {"servers": [{"gpu": "h100-80gb", "model": "llama2-70b", "tp": 4, "count": 1}]},
                   "server": {"kv_utilization": 0.437516896, "kv_block_tokens": 4, "kv_watermark": 0}}, f)
    paged = ["server.kv_policy=paged"]
    cases = [  # name, requests, settings, (ttft, tpot, e2e, preemptions) of A and B
        ("vllm needed", "0,4,8\n0.05,4,8", ["server.batching=vllm", "server.kv_preempt=needed"],
         [(0.10, 0.17 / 7, 0.27, 0), (0.15, 0.19 / 7, 0.34, 1)]),
        ("mixed needed", "0,4,8\n0.05,4,8", paged, [(0.10, 0.17 / 7, 0.27, 0), (0.16, 0.19 / 7, 0.35, 1)]),
        ("vllm vllm", "0,4,8\n0.05,4,8", ["server.batching=vllm"],  # paged and vllm by default
         [(0.10, 0.47 / 7, 0.57, 0), (0.15, 0.49 / 7, 0.64, 4)]),
        ("mixed vllm", "0,4,8\n0.05,4,8", paged + ["server.kv_preempt=vllm"],
         [(0.10, 0.37 / 7, 0.47, 0), (0.16, 0.39 / 7, 0.55, 3)]),
        ("mixed vllm, set by the group", "0,4,8\n0.05,4,8",
         paged + ['regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"kv_preempt":"vllm"}]'],
         [(0.10, 0.37 / 7, 0.47, 0), (0.16, 0.39 / 7, 0.55, 3)]),
        ("reserve", "0,4,8\n0.05,4,8", ["server.kv_policy=reserve"], [(0.10, 0.01, 0.17, 0), (0.22, 0.01, 0.29, 0)]),
        ("a2 vllm needed", "0,4,4\n0.05,7,2", ["server.batching=vllm", "server.kv_preempt=needed"],
         [(0.10, 0.13 / 3, 0.23, 0), (0.15, 0.01, 0.16, 0)]),
        ("a2 vllm vllm", "0,4,4\n0.05,7,2", ["server.batching=vllm", "server.kv_preempt=vllm"],
         [(0.10, 0.23 / 3, 0.33, 0), (0.15, 0.11, 0.26, 1)]),
        ("a2 mixed needed", "0,4,4\n0.05,7,2", paged + ["server.kv_preempt=needed"],
         [(0.10, 0.13 / 3, 0.23, 0), (0.16, 0.01, 0.17, 0)]),
        ("a2 mixed vllm", "0,4,4\n0.05,7,2", paged + ["server.kv_preempt=vllm"],
         [(0.10, 0.23 / 3, 0.33, 0), (0.16, 0.11, 0.27, 1)]),
        ("a3 alone vllm", "0,4,13\n10,4,2", ["server.batching=vllm"], [(0.10, 0.01, 0.22, 0), (0.10, 0.01, 0.11, 0)]),
    ]
    for k, (name, reqs, sets, expected) in enumerate(cases):
        trace = os.path.join(tmp, f"two{k}.csv")
        with open(trace, "w") as f:
            f.write("arrival_s,input_tokens,output_tokens\n" + reqs + "\n")
        out = os.path.join(tmp, f"hand{k}")
        args = ["--topology", ONE, "--trace", trace, "--config", cfg]
        for s in sets:
            args += ["--set", s]
        run(out, *args)
        s, rows = load(out)
        got = [(float(rows[i]["ttft_s"]), float(rows[i]["tpot_s"]), float(rows[i]["e2e_s"]),
                int(rows[i]["preemptions"])) for i in (0, 1)]
        ok = all(abs(g[k] - w[k]) < 2e-6 for g, w in zip(got, expected) for k in range(3)) and \
            [g[3] for g in got] == [w[3] for w in expected]
        check(f"(a) hand-computed, {name}", ok, f"got {got}")
        n_pre = sum(w[3] for w in expected)
        n_req = sum(w[3] > 0 for w in expected)
        check(f"(a) summary, {name}", s["kv"]["preemptions"] == n_pre and s["kv"]["preempted_requests"] == n_req
              and abs(s["kv"]["preempted_share"] - n_req / 2) < 1e-12
              and s["kv"]["paged_servers"] == (0 if name == "reserve" else 1)
              and (name == "reserve" or s["kv"]["peak_block_use"] == 1.0), str(s["kv"]))


def invariants(tmp):
    """(b) Busy runs on a small cache (kv_utilization 0.46: about 22k tokens per server)."""
    base = ["--topology", ABILENE, "--trace", AZURE, "--rate-scale", "8", "--duration-s", "300",
            "--set", "server.kv_utilization=0.46"]  # a later --set wins
    variants = [("vllm", ["--set", "server.batching=vllm"]),
                ("mixed", ["--set", "server.kv_policy=paged"]),
                ("vllm+llumnix", ["--set", "server.batching=vllm", "--set", "scheduler.micro=llumnix"]),
                ("vllm+failures", ["--set", "server.batching=vllm", "--set", 'faults.mtbf_h={"h100-80gb": 0.5}',
                                   "--set", "faults.mttr_h=0.05"]),
                # Two resident models share the memory: the cache shrinks with the second one, and
                # a request whose last iteration would not fit waits for the batch to drain and
                # the other model's eviction (it once stalled the run).
                ("multimodel", ["--config", os.path.join(SRC, "configs/multimodel.json"), "--set",
                                "scheduler.micro=affinity", "--set", "server.kv_policy=paged",
                                "--set", "server.kv_utilization=0.5"])]
    for name, extra in variants:
        out = os.path.join(tmp, "inv-" + name)
        run(out, *base, *extra)
        s, rows = load(out)
        req, kv = s["requests"], s["kv"]
        per_request = sum(int(r["preemptions"]) for r in rows.values())
        preempted = sum(int(r["preemptions"]) > 0 for r in rows.values())
        check(f"(b) {name}: every request completes", req["completed"] == req["arrived"] == len(rows) and
              req["in_flight"] == 0 and req["rejected"] == 0 and
              all(r["status"] == "completed" for r in rows.values()), str(req))
        check(f"(b) {name}: preemptions happen and add up", kv["preemptions"] > 0 and
              kv["preemptions"] == per_request and kv["preempted_requests"] == preempted and
              abs(kv["preempted_share"] - preempted / req["arrived"]) < 1e-12,
              f"summary {kv}, requests.csv {per_request} in {preempted} requests")
        # The run also checks blocks <= capacity at every planned iteration (an invariant error
        # would exit 1); the peak is the fullest any server got.
        check(f"(b) {name}: blocks never above capacity", 0.99 < kv["peak_block_use"] <= 1.0 and
              kv["paged_servers"] == s["topology"]["servers"], str(kv))
    # Same seed, same bytes.
    out2 = os.path.join(tmp, "inv-vllm-again")
    run(out2, *base, "--set", "server.batching=vllm")
    same = open(os.path.join(tmp, "inv-vllm", "requests.csv"), "rb").read() == \
        open(os.path.join(out2, "requests.csv"), "rb").read()
    check("(b) deterministic: same seed, same requests.csv", same)


def big_cache(tmp):
    """(c) The default cache never runs short on the shipped default run: paged admits whenever
    reserve does (the watermark does not bind either), so every iteration is the same. The
    occupancy metric differs on purpose: its KV share counts the blocks held instead of the
    reserved prompt + output tokens."""
    for batching in ("mixed", "vllm"):
        got = {}
        for kv in ("reserve", "paged"):
            out = os.path.join(tmp, f"big-{batching}-{kv}")
            run(out, "--topology", ABILENE, "--trace", AZURE, "--seed", "7", "--set",
                f"server.batching={batching}", "--set", f"server.kv_policy={kv}")
            got[kv] = (load(out)[0], open(os.path.join(out, "requests.csv"), "rb").read())
        (sr, rr), (sp, rp) = got["reserve"], got["paged"]
        check(f"(c) {batching}: paged = reserve with a big cache", rr == rp and
              sr["fingerprint"] == sp["fingerprint"] and sp["kv"]["preemptions"] == 0 and
              sr["latency_s"] == sp["latency_s"] and sr["cost_usd"] == sp["cost_usd"],
              f"fingerprints {sr['fingerprint']} {sp['fingerprint']}")


def bad_config(tmp):
    """(d) Each refused with exit status 2 and a message naming the field."""
    trace = os.path.join(tmp, "two0.csv")
    cases = [
        (["server.kv_policy=paget"], "server.kv_policy", 'did you mean "paged"'),
        (["server.kv_block_tokens=0"], "server.kv_block_tokens", ""),
        (["server.kv_block_tokens=2048"], "server.kv_block_tokens", ""),
        (["server.kv_block_tokens=1.5"], "server.kv_block_tokens", ""),
        (["server.kv_watermark=1"], "server.kv_watermark", ""),
        (["server.kv_watermark=-0.1"], "server.kv_watermark", ""),
        (["server.kv_policy=paged", "server.batching=sarathi", "server.kv_preempt=vllm"], "server.kv_preempt",
         "preemption rule vllm is not supported with batching sarathi"),
        (['regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"kv_policy":"pages"}]'],
         "regions.servers[0].kv_policy", "paged"),
        (['regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"batching":"sarathi",'
          '"kv_policy":"paged","kv_preempt":"vllm"}]'], "regions.servers[0].kv_preempt", "sarathi"),
        (["server.kv_preempt=vlm"], "server.kv_preempt", 'did you mean "vllm"'),
        (['regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"kv_preempt":"neded"}]'],
         "regions.servers[0].kv_preempt", 'did you mean "needed"'),
    ]
    for k, (sets, field, words) in enumerate(cases):
        args = ["--topology", ONE, "--trace", trace]
        for s in sets:
            args += ["--set", s]
        p = run(os.path.join(tmp, f"bad{k}"), *args, expect=2)
        check(f"(d) refused: {' '.join(sets)}", field in p.stderr and words in p.stderr, p.stderr.strip())
    # sarathi keeps reserve under auto; a group may be paged beside a reserve one.
    servers = ('regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"kv_policy":"paged"},'
               '{"gpu":"a100-80gb","model":"llama2-70b","tp":4,"batching":"sarathi"}]')
    run(os.path.join(tmp, "groups"), "--topology", ONE, "--trace", trace, "--set", servers)
    s, _ = load(os.path.join(tmp, "groups"))
    check("(d) per-group kv_policy: one paged server of two", s["kv"]["paged_servers"] == 1, str(s["kv"]))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        hand_computed(tmp)
        invariants(tmp)
        big_cache(tmp)
        bad_config(tmp)
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
