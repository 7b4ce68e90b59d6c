"""Prefix cache (server.prefix_cache_*): a Mooncake-format fixture with overlapping hash_ids on
one server with a 4-block cache gives, per request, the cached tokens of an LRU written out here
(and worked out by hand in the comments); the hit rates of summary.json, slots.csv and
requests.csv agree; a hit shortens the prefill (TTFT) and a miss leaves it as without a cache;
requests prefilled in the same iteration do not hit each other; the shipped Mooncake trace
reports a hit rate (on one server with a cache larger than the trace, arrivals slowed down, it is
the sequential optimum computed here); with the cache off (the default) nothing hits and every
other output is as before; bad settings are refused naming the field."""
import csv
import json
import os
import subprocess
import sys
import tempfile
from collections import OrderedDict

SIM = os.environ["TORTA_SIM"]
SRC = os.environ.get("TORTA_SOURCE_DIR", ".")
TOPO = os.path.join(SRC, "tests/fixtures/core/one_region.json")
FIXTURE = os.path.join(SRC, "tests/fixtures/traces/mooncake_prefix.jsonl")
SHIPPED = os.path.join(SRC, "traces/mooncake_synthetic_trace.jsonl")
ONE_SERVER = 'regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":1}]'
BLOCK = 512
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail if not ok else ''}")


def run(out, trace, *sets, extra=(), topo=TOPO, servers=ONE_SERVER):
    cmd = [SIM, "--topology", topo, "--trace", trace, "--quiet", "--out", out, *extra]
    if servers:
        cmd += ["--set", servers]
    for s in sets:
        cmd += ["--set", s]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"torta-sim failed: {p.stderr}")
    rows = {int(r["request_id"]): r for r in csv.DictReader(open(os.path.join(out, "requests.csv")))}
    slots = list(csv.DictReader(open(os.path.join(out, "slots.csv"))))
    return json.load(open(os.path.join(out, "summary.json"))), rows, slots


class LRU:
    """The cache as docs/model.md states it: a prompt's cached prefix is the longest run of its
    leading blocks held; after its prefill the blocks it found are touched (last to first), then
    all its blocks (last to first), evicting the least recently used block when full."""

    def __init__(self, cap):
        self.cap, self.d, self.evicted = cap, OrderedDict(), 0  # most recent last

    def match(self, ids):
        h = 0
        while h < len(ids) and ids[h] in self.d:
            h += 1
        return h

    def insert(self, ids):
        for b in reversed(ids):
            if b in self.d:
                self.d.move_to_end(b)
        for b in reversed(ids):
            if self.cap == 0:
                return
            if b in self.d:
                self.d.move_to_end(b)
            else:
                if len(self.d) == self.cap:
                    self.d.popitem(last=False)
                    self.evicted += 1
                self.d[b] = True


def cached_tokens(h, prompt):
    return min(h * BLOCK, prompt - 1)  # the last prompt token always runs


def expected(trace, cap, together=()):
    """Cached tokens per request for requests prefilled one at a time, except the groups in
    `together` (prefilled in the same iteration: looked up before any of them inserts)."""
    reqs = [json.loads(l) for l in open(trace)]
    lru, out, blocks, hit_blocks = LRU(cap), [], 0, 0
    i = 0
    while i < len(reqs):
        group = next((g for g in together if g[0] == i), (i,))
        hs = [lru.match(reqs[k].get("hash_ids") or []) for k in group]
        for k, h in zip(group, hs):
            ids = reqs[k].get("hash_ids") or []
            out.append(cached_tokens(h, reqs[k]["input_length"]) if h else 0)
            blocks += len(ids)
            hit_blocks += h
        for k in group:
            lru.insert(reqs[k].get("hash_ids") or [])
        i = group[-1] + 1
    expected.evicted = lru.evicted
    return reqs, out, blocks, hit_blocks


def main():
    with tempfile.TemporaryDirectory() as tmp:
        # Requests 9 and 10 arrive during request 8's prefill and are prefilled together.
        reqs, want, blocks, hit_blocks = expected(FIXTURE, 4, together=[(9, 10)])
        evicted = expected.evicted
        # By hand (cache most recent first): r0 [1,2,3] miss -> (1 2 3); r1 [1,2,4] hits 1,2 =
        # 1024 -> (1 2 4 3); r2 [5,6] miss, evicts 3 then 4 -> (5 6 1 2); r3 [1,2,3] hits 1,2 =
        # 1024 -> (1 2 3 5), 6 evicted, not its own 1 and 2; r4 no ids; r5 [1,2,3] all held:
        # 1536 tokens capped at 1535; r6 six blocks > 4: miss, keeps its first four; r7 the same
        # prompt: 4 blocks = 2048; r8 miss; r9, r10 prefilled together: both miss although they
        # share 30, 31; r11 [30,31,32] all held: 1299 of 1300; r12 hash_ids []; r13 [1] evicted.
        by_hand = [0, 1024, 0, 1024, 0, 1535, 0, 2048, 0, 0, 0, 1299, 0, 0]
        check("the LRU written here agrees with the values worked out by hand", want == by_hand,
              f"{want} vs {by_hand}")
        s, rows, slots = run(os.path.join(tmp, "on"), FIXTURE, "server.prefix_cache_blocks=4")
        got = [int(rows[i]["cached_tokens"]) for i in range(len(reqs))]
        check("cached_tokens per request = the LRU's", got == want, f"{got} vs {want}")
        check("requests 9 and 10 were prefilled in the same iteration (same TTFT)",
              rows[9]["ttft_s"] == rows[10]["ttft_s"], f"{rows[9]['ttft_s']} {rows[10]['ttft_s']}")
        pc = s["prefix_cache"]
        prompt = sum(r["input_length"] for r in reqs)
        check("summary prompt and hit tokens", pc["prompt_tokens"] == prompt and pc["hit_tokens"] == sum(want),
              f"{pc['prompt_tokens']} {pc['hit_tokens']} vs {prompt} {sum(want)}")
        check("summary hit_rate = hit tokens / prompt tokens", abs(pc["hit_rate"] - sum(want) / prompt) < 1e-12,
              f"{pc['hit_rate']} vs {sum(want) / prompt}")
        check("summary blocks", pc["prompt_blocks"] == blocks and pc["hit_blocks"] == hit_blocks and
              abs(pc["block_hit_rate"] - hit_blocks / blocks) < 1e-12,
              f"{pc['prompt_blocks']} {pc['hit_blocks']} vs {blocks} {hit_blocks}")
        # r3 makes room for its block 3 by evicting 6, not its own blocks 1 and 2 (they were in
        # use): 2 (r2) + 1 (r3) + 6 (r6) + 6 (r7: its six blocks outgrow the cache, so it
        # evicts its own) + 4 (r8) + 2 (r9) + 1 (r10) + 1 (r13).
        check("evicted blocks", evicted == 23 and pc["evicted_blocks"] == evicted, f"{pc['evicted_blocks']} vs {evicted}")
        check("summary requests_hit and capacity", pc["requests_hit"] == sum(1 for w in want if w) and
              pc["capacity_blocks"] == 4 and pc["block_tokens"] == BLOCK, str(pc))
        check("per region and per server hit rates",
              len(pc["region_hit_rate"]) == 1 and abs(pc["region_hit_rate"][0] - pc["hit_rate"]) < 1e-12 and
              len(pc["server_hit_rate"]) == 1 and abs(pc["server_hit_rate"][0] - pc["hit_rate"]) < 1e-12, str(pc))
        sp = sum(float(r["prefix_prompt_tokens"]) for r in slots)
        sh = sum(float(r["prefix_hit_tokens"]) for r in slots)
        rate_ok = all(abs(float(r["prefix_hit_rate"]) -
                          (float(r["prefix_hit_tokens"]) / float(r["prefix_prompt_tokens"])
                           if float(r["prefix_prompt_tokens"]) else 0)) < 1e-6 for r in slots)
        check("slots.csv prefix columns add up to the summary", sp == prompt and sh == sum(want) and rate_ok,
              f"{sp} {sh}")

        # Without the cache: no hit, and a request that missed has the TTFT it has without one.
        s0, rows0, _ = run(os.path.join(tmp, "off"), FIXTURE)
        check("cache off (default): nothing hits", s0["prefix_cache"]["hit_tokens"] == 0 and
              s0["prefix_cache"]["hit_rate"] == 0 and all(r["cached_tokens"] == "0" for r in rows0.values()) and
              s0["prefix_cache"]["prompt_tokens"] == prompt and s0["prefix_cache"]["capacity_blocks"] == 0 and
              "server_hit_rate" not in s0["prefix_cache"])
        isolated = [i for i in range(9) if i not in (9, 10)]
        same = all(rows[i]["ttft_s"] == rows0[i]["ttft_s"] for i in isolated if want[i] == 0)
        faster = all(float(rows[i]["ttft_s"]) < float(rows0[i]["ttft_s"]) for i in range(len(reqs)) if want[i] > 0)
        check("a miss prefills as without a cache; a hit prefills faster", same and faster,
              str([(rows[i]["ttft_s"], rows0[i]["ttft_s"]) for i in range(len(reqs))]))
        check("r5 (all but one token cached) is faster than r3 (two of three blocks)",
              float(rows[5]["ttft_s"]) < float(rows[3]["ttft_s"]) < float(rows0[3]["ttft_s"]))

        # The other batching policies see the same hits for requests prefilled alone.
        for pol in ("vllm", "sarathi"):
            _, rp, _ = run(os.path.join(tmp, pol), FIXTURE, "server.prefix_cache_blocks=4", f"server.batching={pol}")
            got = [int(rp[i]["cached_tokens"]) for i in isolated]
            check(f"{pol}: same cached tokens", got == [want[i] for i in isolated], str(got))

        # A cache of one block and one of a share of the KV capacity.
        _, r1, _ = run(os.path.join(tmp, "one"), FIXTURE, "server.prefix_cache_blocks=1")
        _, want1, _, _ = expected(FIXTURE, 1, together=[(9, 10)])
        got1 = [int(r1[i]["cached_tokens"]) for i in range(len(reqs))]
        check("capacity 1: the LRU's hits", got1 == want1, f"{got1} vs {want1}")
        s2, _, _ = run(os.path.join(tmp, "share"), FIXTURE, "server.prefix_cache_kv_share=0.5")
        check("prefix_cache_kv_share: half the KV capacity in blocks, so nothing evicted here",
              s2["prefix_cache"]["capacity_blocks"] > 100 and s2["prefix_cache"]["evicted_blocks"] == 0 and
              s2["prefix_cache"]["hit_tokens"] > sum(want), str(s2["prefix_cache"]))

        # The shipped trace, on one server with room for all its blocks and arrivals 20x slower
        # (each prefill ends before the next arrives): exactly the sequential optimum.
        reqs_m, want_m, _, _ = expected(SHIPPED, 10 ** 6)
        sm, rm, _ = run(os.path.join(tmp, "shipped"), SHIPPED, "server.prefix_cache_blocks=100000",
                        extra=("--rate-scale", "0.05"))
        ideal = sum(want_m) / sum(r["input_length"] for r in reqs_m)
        check("shipped Mooncake trace: a hit rate, the sequential optimum here",
              sm["prefix_cache"]["hit_rate"] > 0.5 and abs(sm["prefix_cache"]["hit_rate"] - ideal) < 1e-12,
              f"{sm['prefix_cache']['hit_rate']} vs {ideal}")
        print(f"     shipped trace: hit rate {sm['prefix_cache']['hit_rate']:.4f} "
              f"(blocks {sm['prefix_cache']['block_hit_rate']:.4f})")
        check("shipped trace: cached_tokens per request = the LRU's",
              all(int(rm[i]["cached_tokens"]) == want_m[i] for i in range(len(reqs_m))))

        # A scheduler asks the servers' caches (torta_view_prefix_blocks): skylb-push with
        # prefix_match = cache sends r2 to server 1, which holds its first two blocks (r1 went
        # there while server 0 was busy with r0); without prefix awareness it goes to server 0.
        two = os.path.join(tmp, "two.jsonl")
        with open(two, "w") as f:
            f.write('{"timestamp": 0, "input_length": 1500, "output_length": 50, "hash_ids": [1, 2, 3]}\n')
            f.write('{"timestamp": 1, "input_length": 1000, "output_length": 4, "hash_ids": [5, 6]}\n')
            f.write('{"timestamp": 100000, "input_length": 1200, "output_length": 4, "hash_ids": [5, 6, 7]}\n')
        two_servers = 'regions.servers=[{"gpu":"h100-80gb","model":"llama2-70b","tp":4,"count":2}]'
        placed = {}
        for mode in ("cache", "none"):
            micro = ("scheduler.micro_params.prefix_match=cache" if mode == "cache"
                     else "scheduler.micro_params.prefix_aware=false")
            _, rt, _ = run(os.path.join(tmp, f"two-{mode}"), two, "server.prefix_cache_blocks=8", micro,
                           extra=("--macro", "local", "--micro", "skylb-push"), servers=two_servers)
            placed[mode] = [(rt[i]["server_id"], rt[i]["cached_tokens"]) for i in range(3)]
        check("prefix_match=cache: placed where the prefix is cached",
              placed["cache"] == [("0", "0"), ("1", "0"), ("1", "1024")] and
              placed["none"] == [("0", "0"), ("1", "0"), ("0", "0")], str(placed))
        # The shipped Mooncake configuration on Abilene with SkyLB.
        sa, _, _ = run(os.path.join(tmp, "abilene"), SHIPPED, "scheduler.micro_params.prefix_match=cache",
                       extra=("--config", os.path.join(SRC, "configs/mooncake.json"), "--macro", "skylb",
                              "--micro", "skylb-push", "--seed", "3"),
                       topo=os.path.join(SRC, "topologies/Abilene.gml"), servers=None)
        pa = sa["prefix_cache"]
        check("configs/mooncake.json on Abilene: half the KV capacity, a hit rate",
              pa["capacity_blocks"] == 22 * 441 and 0 < pa["hit_rate"] < 1 and len(pa["server_hit_rate"]) == 22,
              str({k: v for k, v in pa.items() if "server" not in k}))
        print(f"     Abilene, skylb, configs/mooncake.json: hit rate {pa['hit_rate']:.4f}")

        # Bad settings name the field.
        bad = [
            ("server.prefix_cache_blocks=-1", "server.prefix_cache_blocks"),
            ("server.prefix_cache_blocks=1.5", "server.prefix_cache_blocks: expected an integer"),
            ("server.prefix_cache_kv_share=2", "server.prefix_cache_kv_share"),
            ("server.prefix_block_tokens=0", "server.prefix_block_tokens"),
            ("server.prefix_cache_blokcs=4", "prefix_cache_blocks"),
        ]
        for k, (setting, msg) in enumerate(bad):
            p = subprocess.run([SIM, "--topology", TOPO, "--trace", FIXTURE, "--quiet", "--out",
                                os.path.join(tmp, f"bad{k}"), "--set", setting], capture_output=True, text=True)
            check(f"refused: {setting}", p.returncode == 2 and msg in p.stderr, p.stderr.strip())
        p = subprocess.run([SIM, "--topology", TOPO, "--trace", FIXTURE, "--quiet", "--out", os.path.join(tmp, "both"),
                            "--set", "server.prefix_cache_blocks=4", "--set", "server.prefix_cache_kv_share=0.5"],
                           capture_output=True, text=True)
        check("refused: blocks and share together", p.returncode == 2 and "server.prefix_cache_blocks" in p.stderr
              and "server.prefix_cache_kv_share" in p.stderr, p.stderr.strip())
        p = subprocess.run([SIM, "--topology", TOPO, "--trace", FIXTURE, "--quiet", "--out", os.path.join(tmp, "pm"),
                            "--micro", "skylb-push", "--set", "scheduler.micro_params.prefix_match=tree"],
                           capture_output=True, text=True)
        check("refused: skylb-push prefix_match=tree", p.returncode == 2 and
              'scheduler.micro_params.prefix_match: "tree"' in p.stderr, p.stderr.strip())
        badtrace = os.path.join(tmp, "bad.jsonl")
        with open(badtrace, "w") as f:
            f.write('{"timestamp": 0, "input_length": 10, "output_length": 2, "hash_ids": [1, 2]}\n')
            f.write('{"timestamp": 1, "input_length": 10, "output_length": 2, "hash_ids": [1, -2]}\n')
        p = subprocess.run([SIM, "--topology", TOPO, "--trace", badtrace, "--quiet", "--out", os.path.join(tmp, "bt")],
                           capture_output=True, text=True)
        check("refused: a negative block id past the first", p.returncode == 2 and
              "bad.jsonl:2: hash_ids[1]: not a block id" in p.stderr, p.stderr.strip())

    print(f"{sum(results)}/{len(results)} checks passed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
