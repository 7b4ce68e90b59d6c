#!/usr/bin/env -S /usr/bin/python3
"""Queries Vidur's trained execution-time predictor for one A100 server with Llama-2-70B at TP2
over a grid of prefill and decode iterations, writes the predictions as a profile data file, and
fits torta-sim's iteration-time form to them (the fit itself is scripts/fit_profiles.py, which
reads that file: "a100-80gb/llama2-70b/tp2/vidur" in configs/profiles.json).

Vidur (microsoft/vidur) is not part of this project. Get it and set it up as
tests/fixtures/vidur/README.md says, then, from the repository root:

  /usr/bin/python3 scripts/fit_vidur_profile.py --vidur-dir /work/vidur [--cache DIR]
  /usr/bin/python3 scripts/fit_profiles.py          # refits every source into profiles.json

The predictor is built exactly as scripts/vidur/run_vidur.sh builds it (same configuration, so
the same cached random forests: the cache key is a hash of the configuration and the profiling
data), and asked for the time of one iteration (ExecutionTime.total_time, seconds) of:

  prefill  B prompts of p tokens each, alone in the iteration (Vidur's vllm scheduler runs
           prefills without decodes): p in 16..4096, B p <= 4096 (vllm's max_tokens_in_batch);
  decode   B requests with c tokens of context each: B in 1..128 (the batch cap), c in
           64..4096, B c <= 53,248 (the KV capacity of the configuration).

Output: configs/profiles/vidur_a100_llama2-70b_tp2.csv with columns
  phase,batch,tokens,time_ms
(tokens: prompt length p for prefill, context per request c for decode). Deterministic: the
random forests are cached and the grid is fixed.
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
    sys.path[:0] = [os.path.join(HERE, "vidur", "stubs"), vidur_dir]
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


def iteration_ms(pred, phase, batch, tokens):
    from vidur.entities import Batch, Request
    reqs, num_tokens = [], []
    for _ in range(batch):
        if phase == "prefill":
            r = Request(arrived_at=0.0, num_prefill_tokens=tokens, num_decode_tokens=1)
            num_tokens.append(tokens)
        else:  # decoding with `tokens` of context (processed tokens)
            r = Request(arrived_at=0.0, num_prefill_tokens=tokens, num_decode_tokens=4096,
                        num_processed_tokens=tokens)
            r._is_prefill_complete = True
            num_tokens.append(1)
        reqs.append(r)
    return pred.get_execution_time(Batch(0, reqs, num_tokens), 0).total_time * 1e3


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vidur-dir", default=os.environ.get("VIDUR_DIR", "/work/vidur"))
    ap.add_argument("--cache", default=None, help="predictor cache (default VIDUR_DIR/cache)")
    ap.add_argument("--grid", default="one", choices=["one", "vidur"],
                    help="random-forest hyperparameters, as run_vidur.sh's VIDUR_RF_GRID")
    ap.add_argument("--out", default="configs/profiles/vidur_a100_llama2-70b_tp2.csv")
    ap.add_argument("--compare", action="store_true",
                    help="only print Vidur's predictions at the Splitwise table's a100 tp2 points "
                         "(prompt 512, 128 output tokens, batch 1..64) beside the table")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
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
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["phase", "batch", "tokens", "time_ms"])
        for ph, b, t, ms in rows:
            w.writerow([ph, b, t, "%.6g" % ms])
    print("wrote %s (%d points)" % (out, len(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
