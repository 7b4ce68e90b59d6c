#!/usr/bin/env -S /usr/bin/python3
"""Queries Vidur's trained execution-time predictor for one A100 server with Llama-2-70B at TP2
and writes what torta-sim's "vidur" profile source is made of ("a100-80gb/llama2-70b/tp2/vidur"
in configs/profiles.json, written by scripts/fit_profiles.py from these files).

Vidur (microsoft/vidur) is not part of this project. Get it and set it up as
tests/fixtures/vidur/README.md says, then, from the repository root:

  /usr/bin/python3 scripts/fit_vidur_profile.py --vidur-dir /work/vidur [--cache DIR]
  /usr/bin/python3 scripts/fit_profiles.py          # refits every source into profiles.json

The predictor is built exactly as scripts/vidur/run_vidur.sh builds it (same configuration, so
the same cached random forests: the cache key is a hash of the configuration and the profiling
data). Outputs (deterministic: the random forests are cached and the grids are fixed):

configs/profiles/vidur_a100_llama2-70b_tp2_grid.csv, part,batch,tokens,time_ms: what the
simulator's iteration times are looked up in (docs/profiles.md, "The Vidur profile"), Vidur's
predictor taken apart as it computes an iteration (ExecutionTime.total_time):
  decode             B in 1..128, c in 64..4096 step 64: B decodes whose mean context, rounded
                     down and then up to a multiple of 64 (Vidur's granularity), is c;
  prefill_linear     T in 8..4096 step 8: the operators that depend only on the iteration's
                     tokens (Vidur rounds them up to a multiple of 8);
  prefill_attention  s in 1..4096: attention of one prompt of s tokens (Vidur looks several up
                     at round(sqrt(sum of squared lengths)) and adds 10%).
The script checks the grid against Vidur's own times on 2,000 random iterations and stops if
they differ by more than 1e-6 ms.

configs/profiles/vidur_a100_llama2-70b_tp2.csv, phase,batch,tokens,time_ms: 243 iterations,
for the three-coefficient fit the schedulers' work estimates use:
  prefill  B prompts of p tokens each, alone in the iteration (Vidur's vllm scheduler runs
           prefills without decodes): p in 16..4096, B p <= 4096 (vllm's max_tokens_in_batch);
  decode   B requests with c tokens of context each: B in 1..128 (the batch cap), c in
           64..4096, B c <= 53,248 (the KV capacity of the configuration).
"""
import argparse
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KV_CAP_TOKENS = 53248
MAX_BATCH_TOKENS = 4096
BATCH_CAP = 128

PREFILL_LENGTHS = [16, 32, 64, 128, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096]
PREFILL_BATCHES = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256]
DECODE_BATCHES = [1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128]
DECODE_CONTEXTS = [64, 128, 256, 512, 768, 1024, 1280, 1536, 2048, 2560, 3072, 4096]


def vidur_argv(trace, out, cache, grid):
    """The flags of scripts/vidur/run_vidur.sh (keep the two in step)."""
    argv = ["vidur", "--seed", "42",
            "--replica_config_device", "a100",
            "--replica_config_network_device", "a100_pairwise_nvlink",
            "--replica_config_model_name", "meta-llama/Llama-2-70b-hf",
            "--replica_config_tensor_parallel_size", "2",
            "--replica_config_num_pipeline_stages", "1",
            "--cluster_config_num_replicas", "1",
            "--request_generator_config_type", "trace_replay",
            "--trace_request_generator_config_trace_file", trace,
            "--trace_request_generator_config_max_tokens", "4096",
            "--replica_scheduler_config_type", "vllm",
            "--vllm_scheduler_config_batch_size_cap", str(BATCH_CAP),
            "--execution_time_predictor_config_type", "random_forrest"]
    if grid != "vidur":
        argv += ["--random_forrest_execution_time_predictor_config_num_estimators", "250",
                 "--random_forrest_execution_time_predictor_config_max_depth", "32",
                 "--random_forrest_execution_time_predictor_config_min_samples_split", "2"]
    argv += ["--random_forrest_execution_time_predictor_config_k_fold_cv_splits", "2",
             "--metrics_config_output_dir", out,
             "--metrics_config_cache_dir", cache,
             "--no-metrics_config_store_plots",
             "--no-metrics_config_enable_chrome_trace",
             "--no-metrics_config_store_utilization_metrics"]
    return argv


def build_predictor(vidur_dir, cache, grid, tmp):
    sys.path[:0] = [HERE, os.path.join(HERE, "vidur", "stubs"), vidur_dir]
    os.chdir(vidur_dir)  # Vidur's profiling paths are relative to its tree
    trace = os.path.join(tmp, "empty_trace.csv")
    with open(trace, "w") as f:
        f.write("arrived_at,num_prefill_tokens,num_decode_tokens\n0.0,16,1\n")
    sys.argv = vidur_argv(trace, os.path.join(tmp, "out"), cache, grid)
    from vidur.config import SimulationConfig
    from vidur.execution_time_predictor import ExecutionTimePredictorRegistry
    cfg = SimulationConfig.create_from_cli_args()
    return ExecutionTimePredictorRegistry.get(
        cfg.execution_time_predictor_config.get_type(),
        predictor_config=cfg.execution_time_predictor_config,
        replica_config=cfg.cluster_config.replica_config,
        replica_scheduler_config=cfg.cluster_config.replica_scheduler_config,
        metrics_config=cfg.metrics_config)


GRANULARITY = 64  # Vidur's kv_cache_prediction_granularity (decode context rounded up to it)
TOKEN_ROUND = 8   # Vidur rounds an iteration's tokens up to a multiple of 8 for the linear operators
MAX_TOKENS = 4096  # prediction_max_tokens_per_request, prediction_max_prefill_chunk_size


def execution_time(pred, prompts=(), contexts=()):
    """Vidur's ExecutionTime of one iteration: prefills of `prompts` tokens (fresh requests) and
    decodes of requests with `contexts` processed tokens."""
    from vidur.entities import Batch, Request
    reqs, num_tokens = [], []
    for p in prompts:
        reqs.append(Request(arrived_at=0.0, num_prefill_tokens=p, num_decode_tokens=1))
        num_tokens.append(p)
    for c in contexts:
        r = Request(arrived_at=0.0, num_prefill_tokens=c, num_decode_tokens=MAX_TOKENS,
                    num_processed_tokens=c)
        r._is_prefill_complete = True
        reqs.append(r)
        num_tokens.append(1)
    return pred.get_execution_time(Batch(0, reqs, num_tokens), 0)


def iteration_ms(pred, phase, batch, tokens):
    """One iteration of `batch` prompts of `tokens` tokens, or of `batch` decodes with `tokens`
    of context each (processed tokens), in ms."""
    if phase == "prefill":
        return execution_time(pred, prompts=[tokens] * batch).total_time * 1e3
    return execution_time(pred, contexts=[tokens] * batch).total_time * 1e3


def compare(pred, splitwise_csv):
    """Decode iteration and prefill times at the Splitwise sweep around prompt 512, 128 output
    tokens, a100-80gb, llama2-70b, tp2: the table's mean against Vidur's prediction (decode at
    the batch's mean context, 512 + 128 / 2 = 576 tokens)."""
    acc = {}
    with open(splitwise_csv, newline="") as f:
        for r in csv.DictReader(f):
            if (r["model"], r["hardware"], r["tensor_parallel"], r["prompt_size"], r["token_size"]) == \
                    ("llama2-70b", "a100-80gb", "2", "512", "128"):
                a = acc.setdefault(int(r["batch_size"]), [0.0, 0.0, 0])
                a[0] += float(r["prompt_time"])
                a[1] += float(r["token_time"])
                a[2] += 1
    print("| batch | Splitwise decode (ms) | Vidur decode (ms) | Splitwise prefill (ms) | Vidur prefill (ms) |")
    print("|--:|--:|--:|--:|--:|")
    for b in sorted(acc):
        pt, tt, n = acc[b]
        vd = iteration_ms(pred, "decode", b, 576)
        vp = iteration_ms(pred, "prefill", b, 512) if b * 512 <= 4096 else float("nan")
        print("| %d | %.1f | %.1f | %.0f | %.0f |" % (b, tt / n, vd, pt / n, vp))
    return 0


def grid_rows(pred):
    """The dense grid (docs/profiles.md, "The Vidur grid"), in ms:
    decode       B in 1..128, c in 64..4096 step 64: a decode iteration of B requests whose mean
                 context, rounded down and then up to a multiple of 64, is c;
    prefill_linear    T in 8..4096 step 8: the operators that depend only on the iteration's tokens
                 (rounded up to a multiple of 8);
    prefill_attention s in 1..4096: attention of prompts whose squared lengths sum to s^2 (Vidur's
                 round(sqrt(Q))), one prompt; several take attention_batch_overhead more."""
    rows = []
    for b in range(1, BATCH_CAP + 1):
        for c in range(GRANULARITY, MAX_TOKENS + 1, GRANULARITY):
            rows.append(("decode", b, c, execution_time(pred, contexts=[c] * b).total_time * 1e3))
    attn = {}
    for s in range(1, MAX_TOKENS + 1):
        et = execution_time(pred, prompts=[s])
        attn[s] = et.attention_prefill_execution_time * et.num_layers
        if s % TOKEN_ROUND == 0:
            rows.append(("prefill_linear", 1, s, et.total_time * 1e3 - attn[s]))
    rows += [("prefill_attention", 1, s, attn[s]) for s in range(1, MAX_TOKENS + 1)]
    return rows


def check_grid(pred, rows, n=2000, seed=7):
    """The grid, looked up as the simulator does (fit_profiles.grid_prefill_s, grid_decode_s),
    against Vidur's own iteration times on n random iterations: the largest difference (ms)."""
    import random
    from fit_profiles import GRID_KEYS, grid_decode_s, grid_prefill_s
    assert GRID_KEYS == {"grid_context_granularity": GRANULARITY, "grid_token_round": TOKEN_ROUND,
                         "grid_attention_batch_overhead":
                             pred._config.attention_prefill_batching_overhead_fraction}
    rng = random.Random(seed)
    grid = {(ph, b, t): ms / 1000.0 for ph, b, t, ms in rows}
    worst = 0.0
    for _ in range(n):
        if rng.random() < 0.5:
            k = rng.randint(1, 8)
            prompts = [rng.randint(1, MAX_TOKENS // k) for _ in range(k)]
            got = grid_prefill_s(grid, sum(prompts), sum(x * x for x in prompts), k > 1)
            want = execution_time(pred, prompts=prompts)
        else:
            b = rng.randint(1, BATCH_CAP)
            contexts = [rng.randint(2, MAX_TOKENS) for _ in range(b)]
            got = grid_decode_s(grid, b, sum(contexts))
            want = execution_time(pred, contexts=contexts)
        worst = max(worst, abs(got - want.total_time) * 1e3)
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vidur-dir", default=os.environ.get("VIDUR_DIR", "/work/vidur"))
    ap.add_argument("--cache", default=None, help="predictor cache (default VIDUR_DIR/cache)")
    ap.add_argument("--grid", default="one", choices=["one", "vidur"],
                    help="random-forest hyperparameters, as run_vidur.sh's VIDUR_RF_GRID")
    ap.add_argument("--out", default="configs/profiles/vidur_a100_llama2-70b_tp2.csv")
    ap.add_argument("--grid-out", default="configs/profiles/vidur_a100_llama2-70b_tp2_grid.csv")
    ap.add_argument("--compare", action="store_true",
                    help="only print Vidur's predictions at the Splitwise table's a100 tp2 points "
                         "(prompt 512, 128 output tokens, batch 1..64) beside the table")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    grid_out = os.path.abspath(args.grid_out)
    splitwise = os.path.abspath("configs/profiles/splitwise_perf_model.csv")
    vidur_dir = os.path.abspath(args.vidur_dir)
    cache = os.path.abspath(args.cache or os.path.join(vidur_dir, "cache"))
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        pred = build_predictor(vidur_dir, cache, args.grid, tmp)
        if args.compare:
            return compare(pred, splitwise)
        rows = []
        for p in PREFILL_LENGTHS:
            for b in PREFILL_BATCHES:
                if b * p <= MAX_BATCH_TOKENS and b <= BATCH_CAP:
                    rows.append(("prefill", b, p, iteration_ms(pred, "prefill", b, p)))
        for b in DECODE_BATCHES:
            for c in DECODE_CONTEXTS:
                if b * c <= KV_CAP_TOKENS:
                    rows.append(("decode", b, c, iteration_ms(pred, "decode", b, c)))
        grid = grid_rows(pred)
        worst = check_grid(pred, grid)
        if worst > 1e-6:
            sys.exit("the grid differs from Vidur's predictor by %.3g ms" % worst)
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["phase", "batch", "tokens", "time_ms"])
        for ph, b, t, ms in rows:
            w.writerow([ph, b, t, "%.6g" % ms])
    print("wrote %s (%d points)" % (out, len(rows)))
    with open(grid_out, "w", newline="") as f:
        f.write("part,batch,tokens,time_ms\n")
        for part, b, t, ms in grid:
            f.write("%s,%d,%d,%.9g\n" % (part, b, t, ms))
    print("wrote %s (%d points; on 2,000 random iterations it gives Vidur's times within %.2g ms)"
          % (grid_out, len(grid), worst))
    return 0


if __name__ == "__main__":
    sys.exit(main())
