/* torta-sim capacity: the saturation throughput of each server type of a world, for a
 * workload's length mix, as the simulator's own server model measures it. It is the capacity
 * that load is measured against (load = offered requests/s / saturation requests/s). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cmds.h"
#include "cli/run_args.h"

static void capacity_usage(FILE *f)
{
    fputs("usage: torta-sim capacity --topology FILE (--trace FILE | --workload SPEC) [--csv] [options]\n"
          "\n"
          "Measures each server type's (GPU, model, TP) saturation throughput in requests/s for the\n"
          "workload's length mix (its first 2,000 requests, all queued at once on one server, rate\n"
          "between the 10th and 90th percentile of completions) and prints it with the number of\n"
          "such servers and their total. Takes the options of a run (--config, --set, ...).\n"
          "  --csv   one CSV row per server type instead of the table\n",
          f);
}

int cmd_capacity(int argc, char **argv)
{
    enum { OPT_CSV = 900, OPT_HELP };
    static const struct option extra[] = {{"csv", no_argument, 0, OPT_CSV},
                                          {"help", no_argument, 0, OPT_HELP}, {0, 0, 0, 0}};
    struct option *opts = run_options_with(extra);
    run_args a;
    run_args_init(&a, argc);
    int c, status = (!opts || !a.sets || !a.owned) ? 1 : 0, csv = 0;
    optind = 1;
    while (!status && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int h = run_args_option(&a, c, optarg);
        if (h < 0) {
            status = 2;
        } else if (h == 0 && c == OPT_CSV) {
            csv = 1;
        } else if (h == 0 && c == OPT_HELP) {
            capacity_usage(stdout);
            status = -1;
        } else if (h == 0) {
            fprintf(stderr, "torta-sim capacity: see torta-sim capacity --help\n");
            status = 2;
        }
    }
    if (!status && optind < argc) {
        fprintf(stderr, "torta-sim capacity: error: unexpected argument '%s'\n", argv[optind]);
        status = 2;
    }
    if (!status)
        status = run_args_finish(&a, "capacity");
    cJSON *table = NULL;
    torta_err e = {0};
    if (!status && torta_saturation_table(&a.ro, &table, &e))
        status = cli_fail(&e);
    if (!status) {
        const cJSON *row;
        double total = 0;
        if (csv)
            printf("gpu,model,tp,servers,saturation_rps,fitted_profile\n");
        else
            printf("%-16s %-14s %3s %8s %16s %18s\n", "gpu", "model", "tp", "servers", "saturation req/s",
                   "all servers req/s");
        cJSON_ArrayForEach(row, table)
        {
            const char *gpu = cJSON_GetObjectItem(row, "gpu")->valuestring;
            const char *model = cJSON_GetObjectItem(row, "model")->valuestring;
            double tp = cJSON_GetObjectItem(row, "tp")->valuedouble;
            double n = cJSON_GetObjectItem(row, "servers")->valuedouble;
            double rps = cJSON_GetObjectItem(row, "saturation_rps")->valuedouble;
            int fitted = cJSON_IsTrue(cJSON_GetObjectItem(row, "fitted_profile"));
            total += n * rps;
            if (csv)
                printf("%s,%s,%.0f,%.0f,%.6f,%s\n", gpu, model, tp, n, rps, fitted ? "true" : "false");
            else
                printf("%-16s %-14s %3.0f %8.0f %16.4f %18.3f%s\n", gpu, model, tp, n, rps, n * rps,
                       fitted ? "" : "  (roofline estimate)");
        }
        if (!csv)
            printf("all servers of the world: %.3f requests/s at saturation\n", total);
    }
    cJSON_Delete(table);
    free(opts);
    run_args_free(&a);
    return status < 0 ? 0 : status;
}
