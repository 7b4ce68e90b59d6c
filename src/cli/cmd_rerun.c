/* `torta-sim rerun DIR [--out NEW] [--quiet]`: repeats the run recorded in DIR/config.json (the
 * effective configuration plus its "run" record: inputs, command line, folder, commit), names
 * any input whose sha256 changed since, and compares the new fingerprint with DIR/summary.json.
 * Exit 0 when the fingerprints match, 1 when they differ, 2 on bad input. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/build_info.h"
#include "cli/cmds.h"
#include "cli/run_args.h"
#include "cli/run_record.h"
#include "metrics/metrics.h"
#include "torta/json.h"
#include "torta/plugin.h"

static const char USAGE[] =
    "usage: torta-sim rerun DIR [--out NEW] [--quiet]\n"
    "Repeats the run whose outputs are in DIR (from DIR/config.json: configuration, inputs,\n"
    "command line), warns about inputs whose sha256 changed, and checks that the fingerprint\n"
    "equals DIR/summary.json's. Exit 0 same fingerprint, 1 different, 2 bad input.\n";

/* DIR/name made absolute against the current folder (the rerun moves to the run's folder). */
static void absolute(const char *path, char *out, size_t n)
{
    char cwd[PATH_MAX];
    if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
        snprintf(out, n, "%s", path);
    else
        snprintf(out, n, "%s/%s", cwd, path);
}

static const char *fingerprint_of(const cJSON *summary)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(summary, "fingerprint"));
}

/* --plugin FILE options of the recorded command line, loaded again. */
static int load_plugins(const cJSON *cmd, torta_err *e)
{
    for (const cJSON *a = cmd ? cmd->child : NULL; a; a = a->next) {
        const char *s = cJSON_GetStringValue(a), *path = NULL;
        if (s && strcmp(s, "--plugin") == 0 && a->next)
            path = cJSON_GetStringValue(a->next);
        else if (s && strncmp(s, "--plugin=", 9) == 0)
            path = s + 9;
        if (path && torta_plugin_load(path, e))
            return e->code;
    }
    return 0;
}

int cmd_rerun(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL;
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(USAGE, stdout);
            return 0;
        }
        if (c == 'o')
            out = optarg;
        else if (c == 'q')
            quiet = 1;
        else {
            fprintf(stderr, "torta-sim: see torta-sim rerun --help\n");
            return 2;
        }
    }
    if (optind != argc - 1) {
        fputs(USAGE, stderr);
        return 2;
    }
    char dir[PATH_MAX + 64], out_abs[PATH_MAX + 64], path[2 * PATH_MAX];
    absolute(argv[optind], dir, sizeof dir);
    if (out)
        absolute(out, out_abs, sizeof out_abs);
    torta_err e = {0};
    cJSON *config = NULL, *old_summary = NULL, *summary = NULL;
    snprintf(path, sizeof path, "%s/config.json", dir);
    int status = torta_json_read_file(path, &config, &e) ? cli_fail(&e) : 0;
    cJSON *record = status ? NULL : cJSON_DetachItemFromObjectCaseSensitive(config, "run");
    const char *topo = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(record, "topology"));
    if (!status && !topo) {
        fprintf(stderr, "torta-sim: error: %s has no run record (\"run\"): written by a torta-sim "
                "older than rerun, or not by a run; rerun it with its command line\n", path);
        status = 2;
    }
    snprintf(path, sizeof path, "%s/summary.json", dir);
    if (!status && torta_json_read_file(path, &old_summary, &e))
        status = cli_fail(&e);
    const char *cwd = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(record, "cwd"));
    if (!status && cwd && chdir(cwd) != 0)
        fprintf(stderr, "torta-sim: warning: cannot enter the run's folder %s: relative input "
                "paths are taken from here\n", cwd);
    const char *commit = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(record, "commit"));
    if (!status && commit && strcmp(commit, torta_build_commit()) != 0)
        fprintf(stderr, "torta-sim: warning: the run was made by commit %s, this binary is %s\n",
                commit, torta_build_commit());
    int changed = status ? 0 : run_record_check_inputs(record, stderr);
    if (!status && load_plugins(cJSON_GetObjectItemCaseSensitive(record, "command_line"), &e))
        status = cli_fail(&e);
    if (!status) {
        const char *fmt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(record, "trace_format"));
        const cJSON *rs = cJSON_GetObjectItemCaseSensitive(record, "rate_scale");
        const cJSON *ds = cJSON_GetObjectItemCaseSensitive(record, "duration_s");
        torta_run_opts ro = {0};
        ro.config = config;
        ro.record = record; /* the new config.json keeps the original record: reruns chain */
        ro.topology_path = topo;
        ro.trace_path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(record, "trace"));
        ro.workload_spec = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(record, "workload"));
        ro.trace.format = !fmt ? TORTA_FMT_AUTO : strcmp(fmt, "azure") == 0 ? TORTA_FMT_AZURE
                        : strcmp(fmt, "mooncake") == 0 ? TORTA_FMT_MOONCAKE
                        : strcmp(fmt, "native") == 0 ? TORTA_FMT_NATIVE : TORTA_FMT_AUTO;
        ro.trace.rate_scale = cJSON_IsNumber(rs) ? rs->valuedouble : 1.0;
        ro.trace.duration_s = cJSON_IsNumber(ds) ? ds->valuedouble : 0.0;
        ro.out_dir = out ? out_abs : NULL;
        ro.stop_flag = cli_stop_flag();
        ro.warn = cli_print_warning;
        if (torta_run(&ro, &summary, &e))
            status = cli_fail(&e);
    }
    if (!status) {
        if (!quiet)
            torta_metrics_print_table(summary, stdout);
        const char *was = fingerprint_of(old_summary), *now = fingerprint_of(summary);
        if (was && now && strcmp(was, now) == 0) {
            fprintf(stderr, "torta-sim: rerun: same fingerprint as %s (%s)\n", dir, now);
        } else {
            fprintf(stderr, "torta-sim: rerun: fingerprint %s differs from %s's %s%s\n",
                    now ? now : "?", dir, was ? was : "?",
                    changed ? " (inputs changed: see the warnings above)" : "");
            status = 1;
        }
    }
    cJSON_Delete(summary);
    cJSON_Delete(old_summary);
    cJSON_Delete(record);
    cJSON_Delete(config);
    return status;
}
