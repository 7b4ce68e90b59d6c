/* Shared option parsing for the simulation subcommands. */
#include "cli/run_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "torta/config.h"
#include "torta/plugin.h"

enum { O_TOPOLOGY = 1000, O_TRACE, O_WORKLOAD, O_CONFIG, O_SET, O_OUT, O_TRACE_FORMAT, O_RATE,
       O_DURATION, O_MACRO, O_MICRO, O_SEED, O_SLOT, O_PROGRESS, O_QUIET, O_FAULTS, O_PLUGIN,
       O_LIST_SCHEDULERS, O_FORCE };

static const struct option RUN_OPTIONS[] = {
    {"topology", required_argument, 0, O_TOPOLOGY}, {"trace", required_argument, 0, O_TRACE},
    {"workload", required_argument, 0, O_WORKLOAD}, {"config", required_argument, 0, O_CONFIG},
    {"set", required_argument, 0, O_SET},           {"out", required_argument, 0, O_OUT},
    {"trace-format", required_argument, 0, O_TRACE_FORMAT},
    {"rate-scale", required_argument, 0, O_RATE},   {"duration-s", required_argument, 0, O_DURATION},
    {"macro", required_argument, 0, O_MACRO},       {"micro", required_argument, 0, O_MICRO},
    {"seed", required_argument, 0, O_SEED},         {"slot-s", required_argument, 0, O_SLOT},
    {"progress", no_argument, 0, O_PROGRESS},       {"quiet", no_argument, 0, O_QUIET},
    {"faults", required_argument, 0, O_FAULTS},     {"plugin", required_argument, 0, O_PLUGIN},
    {"list-schedulers", no_argument, 0, O_LIST_SCHEDULERS}, {"force", no_argument, 0, O_FORCE},
    {0, 0, 0, 0}};

struct option *run_options_with(const struct option *extra)
{
    size_t n = 0, k = 0;
    while (RUN_OPTIONS[n].name)
        n++;
    while (extra[k].name)
        k++;
    struct option *o = calloc(n + k + 1, sizeof *o);
    if (o) {
        memcpy(o, RUN_OPTIONS, n * sizeof *o);
        memcpy(o + n, extra, k * sizeof *o);
    }
    return o;
}

void run_args_init(run_args *a, int argc)
{
    memset(a, 0, sizeof *a);
    a->ro.trace.format = TORTA_FMT_AUTO;
    a->ro.trace.rate_scale = 1.0;
    a->sets = calloc((size_t)argc + 8, sizeof *a->sets);
    a->owned = calloc((size_t)argc + 8, sizeof *a->owned);
    a->progress = isatty(STDERR_FILENO);
}

void run_args_free(run_args *a)
{
    for (int i = 0; i < a->n_owned; i++)
        free(a->owned[i]);
    free(a->owned);
    free(a->sets);
    cJSON_Delete(a->config);
    memset(a, 0, sizeof *a);
}

int run_args_add_set(run_args *a, const char *assignment)
{
    char *s = strdup(assignment);
    if (!s)
        return -1;
    a->owned[a->n_owned++] = s;
    a->sets[a->n_sets++] = s;
    return 0;
}

static int positive(const char *opt, const char *arg, double *out)
{
    char *end;
    double x = strtod(arg, &end);
    if (*arg == '\0' || *end != '\0' || !(x > 0) || x > 1e12) {
        fprintf(stderr, "torta-sim: error: --%s %s: expected a positive number\n", opt, arg);
        return -1;
    }
    *out = x;
    return 1;
}

int run_args_option(run_args *a, int c, const char *arg)
{
    char buf[4200];
    switch (c) {
    case O_TOPOLOGY: a->ro.topology_path = arg; return 1;
    case O_TRACE: a->ro.trace_path = arg; return 1;
    case O_WORKLOAD: a->ro.workload_spec = arg; return 1;
    case O_CONFIG: a->config_path = arg; return 1;
    case O_SET: a->sets[a->n_sets++] = (char *)arg; return 1;
    case O_OUT: a->ro.out_dir = arg; return 1;
    case O_FORCE: a->ro.force = 1; return 1;
    case O_PROGRESS: a->progress = 1; return 1;
    case O_QUIET: a->quiet = 1; return 1;
    case O_LIST_SCHEDULERS: a->list_schedulers = 1; return 1;
    case O_PLUGIN: { /* loaded now, so --macro/--micro/--config may name its schedulers */
        torta_err e = {0};
        if (torta_plugin_load(arg, &e)) {
            cli_fail(&e);
            return -1;
        }
        return 1;
    }
    case O_RATE: return positive("rate-scale", arg, &a->ro.trace.rate_scale);
    case O_DURATION: return positive("duration-s", arg, &a->ro.trace.duration_s);
    case O_TRACE_FORMAT:
        if (strcmp(arg, "azure") == 0)
            a->ro.trace.format = TORTA_FMT_AZURE;
        else if (strcmp(arg, "mooncake") == 0)
            a->ro.trace.format = TORTA_FMT_MOONCAKE;
        else if (strcmp(arg, "native") == 0)
            a->ro.trace.format = TORTA_FMT_NATIVE;
        else {
            fprintf(stderr, "torta-sim: error: --trace-format %s: expected azure, mooncake or native\n", arg);
            return -1;
        }
        return 1;
    case O_SEED: {
        uint64_t seed;
        torta_err e = {0};
        if (torta_parse_seed(arg, &seed, &e) != 0) {
            fprintf(stderr, "torta-sim: error: --seed %s\n", e.msg);
            return -1;
        }
        cJSON *v = torta_seed_json(seed);
        char *text = v ? cJSON_PrintUnformatted(v) : NULL;
        cJSON_Delete(v);
        if (!text)
            return -1;
        snprintf(buf, sizeof buf, "seed=%s", text);
        free(text);
        break;
    }
    case O_SLOT: {
        char *end;
        double x = strtod(arg, &end);
        if (*arg == '\0' || *end != '\0' || !(x > 0) || x > 1e9) {
            fprintf(stderr, "torta-sim: error: --slot-s %s: expected a number of seconds > 0\n", arg);
            return -1;
        }
        snprintf(buf, sizeof buf, "slot_s=%.17g", x);
        break;
    }
    case O_MACRO:
    case O_MICRO:
    case O_FAULTS: {
        cJSON *str = cJSON_CreateString(arg); /* JSON-quoted, whatever the string holds */
        char *q = str ? cJSON_PrintUnformatted(str) : NULL;
        cJSON_Delete(str);
        if (!q)
            return -1;
        snprintf(buf, sizeof buf, "%s=%s",
                 c == O_MACRO ? "scheduler.macro" : c == O_MICRO ? "scheduler.micro" : "faults.file", q);
        free(q);
        break;
    }
    default:
        return 0;
    }
    return run_args_add_set(a, buf) == 0 ? 1 : -1;
}

void cli_list_schedulers(FILE *f)
{
    fprintf(f, "macro schedulers (--macro):\n");
    for (const torta_macro_ops *const *p = torta_macro_all(); *p; p++)
        fprintf(f, "  %-18s %s\n", (*p)->name, (*p)->summary);
    fprintf(f, "micro schedulers (--micro):\n");
    for (const torta_micro_ops *const *p = torta_micro_all(); *p; p++)
        fprintf(f, "  %-18s %s\n", (*p)->name, (*p)->summary);
    fprintf(f, "autoscalers (--set capacity.autoscaler=NAME; for macro schedulers that decide no capacity):\n");
    for (const torta_autoscaler_ops *const *p = torta_autoscaler_all(); *p; p++)
        fprintf(f, "  %-18s %s\n", (*p)->name, (*p)->summary);
}

int run_args_finish(run_args *a, const char *cmd)
{
    if (a->list_schedulers) { /* after every --plugin has been loaded */
        cli_list_schedulers(stdout);
        return -1;
    }
    if (!a->ro.topology_path || (!a->ro.trace_path == !a->ro.workload_spec)) {
        fprintf(stderr, "torta-sim: error: %s needs --topology FILE and one of --trace FILE or "
                        "--workload SPEC (see --help)\n", cmd);
        return 2;
    }
    torta_err e = {0};
    if (torta_config_build(a->config_path, (const char *const *)a->sets, a->n_sets, &a->config, &e))
        return cli_fail(&e);
    a->ro.config = a->config;
    a->ro.progress = a->progress;
    a->ro.warn = cli_print_warning;
    return 0;
}

void cli_print_warning(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "torta-sim: warning: %s\n", msg);
}

int cli_fail(const torta_err *e)
{
    fprintf(stderr, "torta-sim: error: %s\n", e->msg);
    return torta_err_exit_status(e->code);
}
