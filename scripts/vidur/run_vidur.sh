#!/bin/sh
# Runs Vidur (microsoft/vidur) on one A100 server with Llama-2-70B at TP2 and its vllm scheduler,
# on a trace-replay CSV (arrived_at,num_prefill_tokens,num_decode_tokens), for the torta-sim
# agreement fixture (tests/fixtures/vidur/README.md says how Vidur was obtained and set up).
#
#   scripts/vidur/run_vidur.sh TRACE.csv OUTDIR
#
# VIDUR_DIR: Vidur's work tree (default /work/vidur); VIDUR_CACHE: the trained predictor cache
# (default $VIDUR_DIR/cache). The local stubs for wandb, ddsketch and plotly_express come first
# on PYTHONPATH. The random forest is trained with one hyperparameter combination and 2-fold CV
# (see the README: Vidur's 27-combination, 10-fold grid did not fit the shared 2-core machine).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
trace=$(realpath "$1")
out=$(realpath -m "$2")
VIDUR_DIR=${VIDUR_DIR:-/work/vidur}
VIDUR_CACHE=${VIDUR_CACHE:-$VIDUR_DIR/cache}
# VIDUR_RF_GRID=vidur: Vidur's own 27-combination grid (2-fold CV) instead of the one combination.
if [ "${VIDUR_RF_GRID:-one}" = vidur ]; then
  rf_grid=""
else
  rf_grid="--random_forrest_execution_time_predictor_config_num_estimators 250
  --random_forrest_execution_time_predictor_config_max_depth 32
  --random_forrest_execution_time_predictor_config_min_samples_split 2"
fi
cd "$VIDUR_DIR"
PYTHONPATH="$here/stubs:$VIDUR_DIR" exec nice -n 10 /usr/bin/python3 -m vidur.main \
  --seed 42 \
  --replica_config_device a100 \
  --replica_config_network_device a100_pairwise_nvlink \
  --replica_config_model_name meta-llama/Llama-2-70b-hf \
  --replica_config_tensor_parallel_size 2 \
  --replica_config_num_pipeline_stages 1 \
  --cluster_config_num_replicas 1 \
  --request_generator_config_type trace_replay \
  --trace_request_generator_config_trace_file "$trace" \
  --trace_request_generator_config_max_tokens 4096 \
  --replica_scheduler_config_type vllm \
  --vllm_scheduler_config_batch_size_cap 128 \
  --execution_time_predictor_config_type random_forrest \
  $rf_grid \
  --random_forrest_execution_time_predictor_config_k_fold_cv_splits 2 \
  --metrics_config_output_dir "$out" \
  --metrics_config_cache_dir "$VIDUR_CACHE" \
  --no-metrics_config_store_plots \
  --no-metrics_config_enable_chrome_trace \
  --no-metrics_config_store_utilization_metrics
