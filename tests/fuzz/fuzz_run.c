/* libFuzzer harness for configuration *values*: the input is a user configuration file merged
 * over the defaults when it starts with '{', else up to 16 --set lines ("path=value", one per
 * line) applied to the defaults (torta_config_build); a valid one drives a whole torta_run on a fixed
 * three-region topology and a 12-request native trace (no output files). This reaches the code
 * that reads numbers out of the configuration (run parameters, world, servers, schedulers,
 * faults), where a hostile value could overflow a cast or an allocation. A failed run must
 * return a negative code with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "torta/config.h"
#include "torta/run.h"
#include "fuzz_common.h"

static const char topo_json[] =
    "{\"name\": \"three-regions\",\n"
    " \"nodes\": [{\"name\": \"us-east\", \"lat_deg\": 39.0, \"lon_deg\": -77.5, \"tz_offset_h\": -5},\n"
    "           {\"name\": \"eu-west\", \"lat_deg\": 53.3, \"lon_deg\": -6.3, \"tz_offset_h\": 0},\n"
    "           {\"name\": \"ap-east\", \"lat_deg\": 22.3, \"lon_deg\": 114.2, \"tz_offset_h\": 8}],\n"
    " \"edges\": [{\"source\": \"us-east\", \"target\": \"eu-west\", \"latency_ms\": 35},\n"
    "           {\"source\": \"eu-west\", \"target\": \"ap-east\", \"latency_ms\": 95},\n"
    "           {\"source\": \"us-east\", \"target\": \"ap-east\", \"latency_ms\": 100}]}\n";

static const char trace_csv[] =
    "arrival_s,input_tokens,output_tokens,origin_region,model\n"
    "0,100,10,us-east,\n0.5,2000,300,eu-west,\n1,50,1,ap-east,\n2,4000,20,,\n"
    "30,800,80,us-east,\n31,800,80,us-east,\n60,100,500,eu-west,\n61,7000,5,ap-east,\n"
    "90,10,10,,\n120,300,30,us-east,\n150,300,30,eu-west,\n200,300,30,ap-east,\n";

/* Harness-only state: the scratch inputs, written once. */
static const char *topo_path, *trace_path;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    topo_path = fuzz_write(".topo.json", (const uint8_t *)topo_json, sizeof topo_json - 1);
    trace_path = fuzz_write(".trace.csv", (const uint8_t *)trace_csv, sizeof trace_csv - 1);
    return 0;
}

/* Values that stretch the 12 requests over months of simulated time (a repair that takes years,
 * a model load at a few bytes per second, service times of hours, millisecond slots) make the
 * run tick a slot at a time through all of it: correct (and warned about: slots.csv grows with
 * simulated time), but slow enough under the sanitizers to trip libFuzzer's timeout. The
 * harness skips them; the parsing and range checks they pass through have already run. */
static int stretches_time(const cJSON *cfg)
{
    static const struct {
        const char *path;
        double lo, hi;
    } limits[] = {{"faults.mttr_h", 0, 24},          {"server.load_gb_per_s", 0.1, 1e6},
                  {"server.service_mean_s", 0, 600}, {"slot_s", 1, 1e9},
                  {"capacity.boot_s", 0, 3600},      {"scheduler.rebalance_s", 0.01, 1e9}};
    for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
        const cJSON *v = torta_config_at(cfg, limits[i].path);
        if (cJSON_IsNumber(v) && (v->valuedouble < limits[i].lo || v->valuedouble > limits[i].hi))
            return 1;
    }
    return 0;
}

static void quiet(void *ud, const char *msg)
{
    (void)ud;
    (void)strlen(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *cfg = NULL;
    torta_err e = {0};
    int rc;
    if (size > 0 && data[0] == '{') {
        rc = torta_config_build(fuzz_write(".cfg.json", data, size), NULL, 0, &cfg, &e);
    } else {
        char *text = fuzz_cstr(data, size);
        const char *sets[16];
        int n = 0;
        for (char *line = text; line && n < 16;) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            if (*line)
                sets[n++] = line;
            line = nl ? nl + 1 : NULL;
        }
        rc = torta_config_build(NULL, sets, n, &cfg, &e);
        free(text);
    }
    if (rc) {
        if (rc >= 0 || !e.msg[0])
            abort();
        return 0;
    }
    if (stretches_time(cfg)) {
        cJSON_Delete(cfg);
        return 0;
    }
    torta_run_opts o;
    memset(&o, 0, sizeof o);
    o.config = cfg;
    o.topology_path = topo_path;
    o.trace_path = trace_path;
    o.warn = quiet;
    cJSON *summary = NULL;
    rc = torta_run(&o, &summary, &e);
    if (rc == 0) {
        if (!summary)
            abort();
        char *text = cJSON_PrintUnformatted(summary);
        free(text);
    } else if (rc >= 0 || summary || !e.msg[0]) {
        abort();
    }
    cJSON_Delete(summary);
    cJSON_Delete(cfg);
    return 0;
}
