#!/usr/bin/env -S /usr/bin/python3
"""Writes the request lists of the Vidur agreement fixture (tests/fixtures/vidur/README.md).

Each workload is N requests with Poisson arrivals at a given rate and lengths either fixed
(1000 in, 200 out) or drawn uniformly, with replacement, from the Azure LLM 2023 conversation
trace (traces/AzureLLMInferenceTrace_conv.csv). Lengths are clipped as Vidur's trace replay does
for its max_tokens of 4096 (Llama-2's context): output kept, prompt cut so that prompt + output
<= 4096, both at least 1. Arrival times are rounded to the microsecond.

  /usr/bin/python3 scripts/vidur/make_workloads.py OUTDIR

writes OUTDIR/<name>.vidur.csv (arrived_at,num_prefill_tokens,num_decode_tokens: Vidur's
trace_replay format) for every workload below. Deterministic (Python's random.Random(seed)).
"""
import csv
import os
import random
import sys

MAX_TOKENS = 4096
# name: (requests, rate per s, lengths, seed). Rates: about 50% and 80% of the saturation
# throughput `torta-sim capacity` measures for the configuration (README.md of the fixture):
# 1.584 requests/s with fixed lengths, 1.265 with the conversation trace's.
WORKLOADS = {
    "fixed_50": (3000, 0.79, "fixed", 1601),
    "fixed_80": (3000, 1.27, "fixed", 1602),
    "conv_50": (3000, 0.63, "conv", 1603),
    "conv_80": (3000, 1.01, "conv", 1604),
}


def conv_lengths(path):
    with open(path, newline="") as f:
        return [(int(r["ContextTokens"]), int(r["GeneratedTokens"])) for r in csv.DictReader(f)]


def make(n, rate, lengths, seed, conv):
    rng = random.Random(seed)
    t, out = 0.0, []
    for _ in range(n):
        t += rng.expovariate(rate)
        if lengths == "fixed":
            p, d = 1000, 200
        else:
            p, d = conv[rng.randrange(len(conv))]
        p, d = max(p, 1), max(d, 1)
        p = max(1, min(p, MAX_TOKENS - d))
        out.append((round(t, 6), p, d))
    return out


def main():
    outdir = sys.argv[1]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    conv = conv_lengths(os.path.join(root, "traces", "AzureLLMInferenceTrace_conv.csv"))
    os.makedirs(outdir, exist_ok=True)
    for name, (n, rate, lengths, seed) in WORKLOADS.items():
        reqs = make(n, rate, lengths, seed, conv)
        with open(os.path.join(outdir, name + ".vidur.csv"), "w") as f:
            f.write("arrived_at,num_prefill_tokens,num_decode_tokens\n")
            for a, p, d in reqs:
                f.write("%.6f,%d,%d\n" % (a, p, d))
        print("%s: %d requests over %.0f s" % (name, n, reqs[-1][0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
