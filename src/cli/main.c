/* torta-sim: command-line entry point. Subcommands: run (the default), ot; plus --help,
 * --version and --list-schedulers. Only this layer prints or exits. */
#include <getopt.h>
#include <gsl/gsl_errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_ot.h"
#include "metrics/metrics.h"
#include "torta/config.h"
#include "torta/json.h"
#include "torta/run.h"
#include "torta/sched.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f)
{
    fputs("usage: torta-sim [run] --topology FILE (--trace FILE | --workload SPEC) [options]\n"
          "       torta-sim ot --cost M.csv --source a.csv --target b.csv --reg E [--unbalanced RHO] [--exact]\n"
          "       torta-sim --list-schedulers | --help | --version\n"
          "\n"
          "Simulates LLM inference requests scheduled across the regions of a topology.\n"
          "\n"
          "run options:\n"
          "  --topology FILE     topology: Topology Zoo .gml, .graphml, or native .json\n"
          "  --trace FILE        request trace: Azure LLM 2023 CSV, Mooncake JSONL or native CSV\n"
          "  --trace-format F    azure | mooncake | native (default: detected from the header)\n"
          "  --rate-scale X      replay the trace X times faster (default 1)\n"
          "  --duration-s S      stop reading the trace after S seconds of (scaled) time\n"
          "  --workload SPEC     synthetic workload, e.g. poisson:rate_per_s=8,duration_s=3600\n"
          "                      (kinds: poisson, gamma, diurnal; see docs/workloads.md)\n"
          "  --config FILE       JSON merged over the shipped defaults (configs/default.json)\n"
          "  --set PATH=VALUE    override one configuration value (repeatable), e.g.\n"
          "                      --set server.mode=exponential --set server.max_batch=64\n"
          "  --macro NAME        macro (region) scheduler      (= --set scheduler.macro=NAME)\n"
          "  --micro NAME        micro (server) scheduler      (= --set scheduler.micro=NAME)\n"
          "  --seed N            master random seed            (= --set seed=N)\n"
          "  --slot-s S          macro timeslot in seconds     (= --set slot_s=S)\n"
          "  --faults FILE       server failures / region outages: CSV time_s,region,server,duration_s\n"
          "                      (empty server = whole region; random failures: faults.mtbf_h)\n"
          "  --out DIR           write requests.csv, slots.csv, summary.json, config.json to DIR\n"
          "  --progress          progress on stderr even when it is not a terminal\n"
          "  --quiet             no summary table on stdout\n"
          "\n"
          "Exit status: 0 success, 2 bad input, 1 other errors, 130 interrupted.\n",
          f);
}

static void list_schedulers(void)
{
    printf("macro schedulers (--macro):\n");
    for (const torta_macro_ops *const *p = torta_macro_all(); *p; p++)
        printf("  %-18s %s\n", (*p)->name, (*p)->summary);
    printf("micro schedulers (--micro):\n");
    for (const torta_micro_ops *const *p = torta_micro_all(); *p; p++)
        printf("  %-18s %s\n", (*p)->name, (*p)->summary);
}

static void print_warning(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "torta-sim: warning: %s\n", msg);
}

static int fail(const torta_err *e)
{
    fprintf(stderr, "torta-sim: error: %s\n", e->msg);
    return torta_err_exit_status(e->code);
}

static int cmd_run(int argc, char **argv)
{
    enum { O_TRACE_FORMAT = 256, O_RATE, O_DURATION, O_MACRO, O_MICRO, O_SEED, O_SLOT, O_PROGRESS,
           O_QUIET, O_FAULTS };
    static const struct option opts[] = {
        {"topology", required_argument, 0, 't'},   {"trace", required_argument, 0, 'r'},
        {"workload", required_argument, 0, 'w'},   {"config", required_argument, 0, 'c'},
        {"set", required_argument, 0, 's'},        {"out", required_argument, 0, 'o'},
        {"trace-format", required_argument, 0, O_TRACE_FORMAT},
        {"rate-scale", required_argument, 0, O_RATE},
        {"duration-s", required_argument, 0, O_DURATION},
        {"macro", required_argument, 0, O_MACRO},  {"micro", required_argument, 0, O_MICRO},
        {"seed", required_argument, 0, O_SEED},    {"slot-s", required_argument, 0, O_SLOT},
        {"progress", no_argument, 0, O_PROGRESS},  {"quiet", no_argument, 0, O_QUIET},
        {"faults", required_argument, 0, O_FAULTS},
        {"help", no_argument, 0, 'h'},             {0, 0, 0, 0}};
    torta_run_opts ro = {0};
    ro.trace.format = TORTA_FMT_AUTO;
    ro.trace.rate_scale = 1.0;
    ro.trace.duration_s = 0;
    const char *config_path = NULL;
    char **sets = calloc((size_t)argc + 8, sizeof *sets);
    int n_sets = 0, quiet = 0, progress = isatty(STDERR_FILENO), c;
    char *owned[8];
    int n_owned = 0;
    torta_err e = {0};
    if (!sets)
        return 1;
    optind = 1;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end, buf[600];
        switch (c) {
        case 't': ro.topology_path = optarg; break;
        case 'r': ro.trace_path = optarg; break;
        case 'w': ro.workload_spec = optarg; break;
        case 'c': config_path = optarg; break;
        case 's': sets[n_sets++] = optarg; break;
        case 'o': ro.out_dir = optarg; break;
        case O_TRACE_FORMAT:
            if (strcmp(optarg, "azure") == 0)
                ro.trace.format = TORTA_FMT_AZURE;
            else if (strcmp(optarg, "mooncake") == 0)
                ro.trace.format = TORTA_FMT_MOONCAKE;
            else if (strcmp(optarg, "native") == 0)
                ro.trace.format = TORTA_FMT_NATIVE;
            else {
                fprintf(stderr, "torta-sim: error: --trace-format %s: expected azure, mooncake or native\n", optarg);
                return 2;
            }
            break;
        case O_RATE:
        case O_DURATION: {
            double x = strtod(optarg, &end);
            if (*optarg == '\0' || *end != '\0' || !(x > 0) || x > 1e12) {
                fprintf(stderr, "torta-sim: error: --%s %s: expected a positive number\n",
                        c == O_RATE ? "rate-scale" : "duration-s", optarg);
                return 2;
            }
            if (c == O_RATE)
                ro.trace.rate_scale = x;
            else
                ro.trace.duration_s = x;
            break;
        }
        case O_MACRO:
        case O_MICRO:
        case O_FAULTS:
        case O_SEED:
        case O_SLOT: {
            const char *key = c == O_MACRO ? "scheduler.macro" : c == O_MICRO ? "scheduler.micro"
                              : c == O_FAULTS ? "faults.file" : c == O_SEED ? "seed" : "slot_s";
            int quote = c == O_MACRO || c == O_MICRO || c == O_FAULTS;
            snprintf(buf, sizeof buf, quote ? "%s=\"%s\"" : "%s=%s", key, optarg);
            if (!quote) {
                double x = strtod(optarg, &end);
                if (*optarg == '\0' || *end != '\0' || x < 0) {
                    fprintf(stderr, "torta-sim: error: --%s %s: expected a number >= 0\n",
                            c == O_SEED ? "seed" : "slot-s", optarg);
                    return 2;
                }
            }
            if (n_owned < 8 && (owned[n_owned] = strdup(buf)) != NULL)
                sets[n_sets++] = owned[n_owned++];
            break;
        }
        case O_PROGRESS: progress = 1; break;
        case O_QUIET: quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "torta-sim: error: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    if (!ro.topology_path || (!ro.trace_path == !ro.workload_spec)) {
        fprintf(stderr, "torta-sim: error: run needs --topology FILE and one of --trace FILE or "
                        "--workload SPEC (see --help)\n");
        return 2;
    }
    cJSON *config = NULL;
    if (torta_config_build(config_path, (const char *const *)sets, n_sets, &config, &e))
        return fail(&e);
    ro.config = config;
    ro.progress = progress;
    ro.stop_flag = (volatile int *)&stop_requested;
    ro.warn = print_warning;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    cJSON *summary = NULL;
    int rc = torta_run(&ro, &summary, &e);
    cJSON_Delete(config);
    for (int i = 0; i < n_owned; i++)
        free(owned[i]);
    free(sets);
    if (rc)
        return fail(&e);
    if (!quiet)
        torta_metrics_print_table(summary, stdout);
    cJSON_Delete(summary);
    if (stop_requested) {
        fprintf(stderr, "torta-sim: interrupted; partial results written (\"complete\": false)\n");
        return 130;
    }
    return 0;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off(); /* library code checks return values; never abort */
    if (argc >= 2) {
        const char *a = argv[1];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            printf("torta-sim %s\n", TORTA_VERSION);
            return 0;
        }
        if (strcmp(a, "--list-schedulers") == 0) {
            list_schedulers();
            return 0;
        }
        if (strcmp(a, "ot") == 0)
            return torta_cmd_ot(argc - 1, argv + 1);
        if (strcmp(a, "run") == 0)
            return cmd_run(argc - 1, argv + 1);
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    return cmd_run(argc, argv);
}
