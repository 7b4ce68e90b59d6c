/* torta-sim: command-line entry point. Subcommands: run (the default), train, compare, sweep,
 * bench-check, capacity, capacity-search, bound, rerun, ot; plus --help, --version and --list-schedulers. Only
 * this layer prints or exits. */
#include <gsl/gsl_errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/build_info.h"
#include "base/datadir.h"
#include "cli/cmd_ot.h"
#include "cli/cmds.h"
#include "cli/run_args.h"
#include "cli/run_record.h"
#include "metrics/metrics.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

volatile int *cli_stop_flag(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return (volatile int *)&stop_requested;
}

static void usage(FILE *f)
{
    fputs("usage: torta-sim [run] --topology FILE (--trace FILE | --workload SPEC) [options]\n"
          "       torta-sim train --topology FILE (--trace FILE | --workload SPEC) --policy-out FILE\n"
          "                       [--episodes N] [--curve-out CSV] [options]\n"
          "       torta-sim compare --topology FILE (--trace FILE | --workload SPEC) --schedulers A,B,...\n"
          "                         --out DIR [--seeds 1-5] [--jobs N] [options]   (compare --help)\n"
          "       torta-sim sweep SPEC.json --out DIR [--jobs N]                    (sweep --help)\n"
          "       torta-sim bench-check --spec SPEC.json --baseline FILE.csv [--tolerance X] (bench-check --help)\n"
          "       torta-sim capacity --topology FILE (--trace FILE | --workload SPEC) [--csv]  (capacity --help)\n"
          "       torta-sim capacity-search --topology FILE (--trace FILE | --workload SPEC) --schedulers A,B,...\n"
          "                         --slo ttft_p95=2,tpot_p95=0.2 --out DIR [--seeds 1-3]  (capacity-search --help)\n"
          "       torta-sim rerun DIR [--out NEW]     (repeat a run from its output folder)\n"
          "       torta-sim bound --topology FILE (--trace FILE | --workload SPEC) [--out DIR] (bound --help)\n"
          "       torta-sim ot --cost M.csv --source a.csv --target b.csv --reg E [--unbalanced RHO] [--exact]\n"
          "       torta-sim --list-schedulers | --help | --version\n"
          "\n"
          "Simulates LLM inference requests scheduled across the regions of a topology.\n"
          "\n"
          "options of run (and train):\n"
          "  --topology FILE     topology: Topology Zoo .gml, .graphml, or native .json\n"
          "  --trace FILE        request trace: Azure LLM 2023 CSV, Mooncake JSONL or native CSV\n"
          "  --trace-format F    azure | mooncake | native (default: detected from the header)\n"
          "  --rate-scale X      replay the trace X times faster (default 1)\n"
          "  --duration-s S      stop reading the trace after S seconds of (scaled) time\n"
          "  --workload SPEC     synthetic workload, e.g.\n"
          "                      poisson:rate_per_s=8,duration_s=3600,lengths=traces/AzureLLMInferenceTrace_conv.csv\n"
          "                      (kinds: poisson, gamma, diurnal; lengths=FILE or input_tokens=N,\n"
          "                      output_tokens=M; see docs/workloads.md)\n"
          "  --config FILE       JSON merged over the shipped defaults (configs/default.json)\n"
          "  --set PATH=VALUE    override one configuration value (repeatable), e.g.\n"
          "                      --set server.mode=exponential --set server.max_batch=64\n"
          "  --macro NAME        macro (region) scheduler      (= --set scheduler.macro=NAME)\n"
          "  --micro NAME        micro (server) scheduler      (= --set scheduler.micro=NAME)\n"
          "  --seed N            master random seed, decimal 0..2^64-1 (= --set seed=N)\n"
          "  --slot-s S          macro timeslot in seconds     (= --set slot_s=S)\n"
          "  --plugin FILE.so    load scheduler plugins (repeatable; then --list-schedulers lists theirs)\n"
          "  --faults FILE       server failures / region outages: CSV time_s,region,server,duration_s\n"
          "                      (empty server = whole region; random failures: faults.mtbf_h)\n"
          "  --out DIR           write requests.csv, slots.csv, latency.csv, summary.json, config.json to DIR\n"
          "                      (a new folder; see --force)\n"
          "  --force             replace an existing --out folder, only if an earlier torta-sim run\n"
          "                      made it (train: replace existing --policy-out/--curve-out files)\n"
          "  --progress          progress on stderr even when it is not a terminal\n"
          "  --quiet             no summary table on stdout\n"
          "\n"
          "options of train (see docs/torta.md):\n"
          "  --policy-out FILE   where to write the trained policy (JSON)\n"
          "  --episodes N        simulation episodes (default 50); episode k uses seed + k\n"
          "  --curve-out CSV     learning curve: episode, reward, mean e2e, cost, load std\n"
          "  --layer macro       the layer to train (macro: --macro torta, torta-no-forecast,\n"
          "                      torta-no-smooth or rl-only)\n"
          "\n"
          "Exit status: 0 success, 2 bad input, 1 other errors, 130 interrupted.\n",
          f);
}

static int cmd_run(int argc, char **argv)
{
    static const struct option extra[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    struct option *opts = run_options_with(extra);
    run_args a;
    run_args_init(&a, argc);
    int c, status = 0;
    if (!opts || !a.sets || !a.owned)
        status = 1;
    optind = 1;
    while (!status && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int h = run_args_option(&a, c, optarg);
        if (h < 0)
            status = 2;
        else if (h == 0 && c == 'h') {
            usage(stdout);
            status = -1;
        } else if (h == 0) { /* getopt has printed the one line that matters */
            fputs("torta-sim: see torta-sim --help\n", stderr);
            status = 2;
        }
    }
    if (!status && optind < argc) {
        fprintf(stderr, "torta-sim: error: unexpected argument '%s' (see --help)\n", argv[optind]);
        status = 2;
    }
    a.ro.stop_flag = cli_stop_flag(); /* before loading anything: set-up honours it too */
    if (!status)
        status = run_args_finish(&a, "run");
    cJSON *record = NULL;
    if (!status && a.ro.out_dir) { /* config.json's run record, for torta-sim rerun */
        torta_err e = {0};
        if (!(record = run_record_build(&a, argc, argv, &e)))
            status = cli_fail(&e);
        a.ro.record = record;
    }
    if (!status) {
        cJSON *summary = NULL;
        torta_err e = {0};
        if (torta_run(&a.ro, &summary, &e)) {
            status = cli_fail(&e);
        } else {
            if (!a.quiet)
                torta_metrics_print_table(summary, stdout);
            if (stop_requested) {
                fprintf(stderr, "torta-sim: interrupted; partial results written (\"complete\": false)\n");
                status = 130;
            }
        }
        cJSON_Delete(summary);
    }
    cJSON_Delete(record);
    free(opts);
    run_args_free(&a);
    return status < 0 ? 0 : status;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off(); /* library code checks return values; never abort */
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *a = argv[1];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(a, "--version") == 0) {
        char data[4096];
        int found = torta_data_path("configs/policies", data, sizeof data) == 0;
        printf("torta-sim %s\ncommit: %s\nbuild: %s\ndata: %s%s\n", TORTA_VERSION,
               torta_build_commit(), torta_build_options(), data, found ? "" : " (missing)");
        return 0;
    }
    if (strcmp(a, "--list-schedulers") == 0 && argc == 2) { /* with --plugin: the run path */
        cli_list_schedulers(stdout);
        return 0;
    }
    if (strcmp(a, "ot") == 0)
        return torta_cmd_ot(argc - 1, argv + 1);
    if (strcmp(a, "train") == 0)
        return cmd_train(argc - 1, argv + 1);
    if (strcmp(a, "compare") == 0)
        return cmd_compare(argc - 1, argv + 1);
    if (strcmp(a, "sweep") == 0)
        return cmd_sweep(argc - 1, argv + 1);
    if (strcmp(a, "bound") == 0)
        return cmd_bound(argc - 1, argv + 1);
    if (strcmp(a, "bench-check") == 0)
        return cmd_bench_check(argc - 1, argv + 1);
    if (strcmp(a, "capacity") == 0)
        return cmd_capacity(argc - 1, argv + 1);
    if (strcmp(a, "capacity-search") == 0)
        return cmd_capacity_search(argc - 1, argv + 1);
    if (strcmp(a, "rerun") == 0)
        return cmd_rerun(argc - 1, argv + 1);
    if (strcmp(a, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    return cmd_run(argc, argv);
}
