/* One run from start to finish: build the world and workload from the configuration, start the
 * schedulers, run the event loop, check the end-of-run invariants and write the outputs. */
#include "torta/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/server_prefix.h"
#include "core/faults.h"
#include "core/ledger.h"
#include "core/prepare.h"
#include "core/saturation.h"
#include "core/sim.h"
#include "core/world.h"
#include "metrics/metrics.h"
#include "metrics/outdir.h"
#include "torta/config.h"
#include "torta/json.h"
#include "torta/rng.h"

int torta_sim_loop(torta_sim *sim, int progress, torta_err *e);

#define DEMAND_HISTORY_SLOTS 64
/* Requests of the workload that measure each server type's saturation throughput. */
#define SATURATION_SAMPLE 2000

static int parse_run_params(torta_sim *sim, const cJSON *c, torta_err *e)
{
    double mean;
    long max_batch;
    const char *mode;
    const cJSON *srv = torta_config_at(c, "server");
    int rc = torta_config_seed(c, &sim->seed, e);
    if (!rc)
        rc = torta_json_num(c, "slot_s", "config", 1e-3, 1e9, 1, 0, &sim->slot_s, e);
    if (!rc)
        rc = torta_json_str(srv, "mode", "server", 1, NULL, &mode, e);
    if (!rc)
        rc = torta_json_int(srv, "max_batch", "server", 1, 1 << 20, 1, 0, &max_batch, e);
    if (!rc)
        rc = torta_json_num(srv, "service_mean_s", "server", 1e-9, 1e9, 1, 0, &mean, e);
    if (!rc)
        rc = torta_limits_parse(sim, c, e);
    if (!rc)
        rc = torta_json_num(torta_config_at(c, "network"), "bytes_per_token", "network", 0, 1e9, 1, 0,
                            &sim->bytes_per_token, e);
    double intra_gbps = 100;
    if (!rc)
        rc = torta_json_num(torta_config_at(c, "network"), "intra_region_gbps", "network", 1e-6, 1e6, 0,
                            100, &intra_gbps, e);
    sim->intra_bps = intra_gbps * 1e9;
    if (!rc)
        rc = torta_json_num(torta_config_at(c, "network"), "intra_region_usd_per_gb", "network", 0, 1e3,
                            0, 0.01, &sim->intra_usd_per_gb, e);
    if (!rc)
        rc = torta_json_num(torta_config_at(c, "scheduler"), "rebalance_s", "scheduler", 1e-3, 1e9, 0,
                            1.0, &sim->rebalance_s, e);
    if (rc)
        return rc;
    static const char *const modes[] = {"batching", "exponential", "deterministic", NULL};
    int m = -1;
    for (int i = 0; modes[i]; i++)
        if (strcmp(mode, modes[i]) == 0)
            m = i;
    if (m < 0) {
        const char *s = torta_did_you_mean(mode, modes);
        return torta_err_set(e, TORTA_EINPUT, "server.mode: unknown mode \"%s\"%s%s%s (batching, "
                             "exponential or deterministic)", mode, s ? " (did you mean \"" : "",
                             s ? s : "", s ? "\"?)" : "");
    }
    sim->mode = (torta_service_mode)m;
    sim->max_batch = (int)max_batch;
    sim->service_mean_s = mean;
    return 0;
}

/* Per-region origin weights: "uniform" or {region name: weight}; regions not named get 0. */
static int origin_weights(const torta_sim *sim, const cJSON *c, double *w, torta_err *e)
{
    const cJSON *ow = torta_config_at(c, "workload.origin_weights");
    if (cJSON_IsString(ow) && strcmp(ow->valuestring, "uniform") == 0) {
        for (int g = 0; g < sim->n_regions; g++)
            w[g] = 1.0;
        return 0;
    }
    if (!cJSON_IsObject(ow))
        return torta_err_set(e, TORTA_EINPUT, "workload.origin_weights: expected \"uniform\" or "
                             "{\"region\": weight, ...}");
    double total = 0;
    for (int g = 0; g < sim->n_regions; g++)
        w[g] = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, ow)
    {
        int g = -1;
        for (int k = 0; k < sim->n_regions && g < 0; k++)
            if (strcmp(sim->region_pub[k].name, it->string) == 0)
                g = k;
        if (g < 0)
            return torta_err_set(e, TORTA_EINPUT, "workload.origin_weights.%s: no such region", it->string);
        if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0) || !isfinite(it->valuedouble))
            return torta_err_set(e, TORTA_EINPUT, "workload.origin_weights.%s: expected a weight >= 0",
                                 it->string);
        w[g] = it->valuedouble;
        total += w[g];
    }
    if (total <= 0)
        return torta_err_set(e, TORTA_EINPUT, "workload.origin_weights: all weights are zero");
    return 0;
}

/* slots.csv has one row per region and slot whatever the load, so a long horizon with a short
 * slot_s is refused up front, with its size, rather than filling the disk. */
#define MAX_SLOT_ROWS 1e8

static int check_slot_rows(const torta_sim *sim, torta_err *e)
{
    double horizon = torta_source_expected_duration_s(sim->source);
    double rows = horizon / sim->slot_s * sim->n_regions;
    if (horizon > 0 && rows > MAX_SLOT_ROWS)
        return torta_err_set(e, TORTA_EINPUT, "slot_s = %g s over %.6g s of workload and %d regions: "
                             "slots.csv would have about %.3g rows (about %.0f GB); at most %.0g: "
                             "raise --slot-s or shorten the workload", sim->slot_s, horizon,
                             sim->n_regions, rows, rows * 100 / 1e9, MAX_SLOT_ROWS);
    return 0;
}

static int setup_workload(torta_sim *sim, const torta_run_opts *o, torta_err *e)
{
    const cJSON *c = o->config;
    int R = sim->n_regions, rc;
    double *tz = malloc(sizeof(double) * (size_t)R), *w = malloc(sizeof(double) * (size_t)R);
    if (!tz || !w) {
        free(tz);
        free(w);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    }
    for (int g = 0; g < R; g++)
        tz[g] = sim->region_pub[g].tz_offset_h;
    if (o->trace_path)
        rc = torta_source_open_trace(o->trace_path, &o->trace, &sim->source, e);
    else
        rc = torta_source_open_synthetic(o->workload_spec, sim->seed, R, tz, &sim->source, e);
    if (!rc && torta_source_expected_count(sim->source) > 1e10)
        rc = torta_err_set(e, TORTA_EINPUT, "--workload %s: about %.3g requests (rate x duration); "
                           "more than 1e10 would run for days", o->workload_spec,
                           torta_source_expected_count(sim->source));
    if (!rc)
        rc = check_slot_rows(sim, e);
    if (!rc)
        rc = origin_weights(sim, c, w, e);
    double curve[24], start_hour = 0;
    const cJSON *cv = torta_config_at(c, "workload.diurnal_curve");
    if (!rc && (!cJSON_IsArray(cv) || cJSON_GetArraySize(cv) != 24))
        rc = torta_err_set(e, TORTA_EINPUT, "workload.diurnal_curve: expected 24 hourly values");
    for (int h = 0; h < 24 && !rc; h++) {
        const cJSON *v = cJSON_GetArrayItem(cv, h);
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || !isfinite(v->valuedouble))
            rc = torta_err_set(e, TORTA_EINPUT, "workload.diurnal_curve[%d]: expected a number >= 0", h);
        else
            curve[h] = v->valuedouble;
    }
    if (!rc)
        rc = torta_json_num(torta_config_at(c, "workload"), "start_hour_utc", "workload", 0, 24, 1, 0,
                            &start_hour, e);
    if (!rc)
        rc = torta_origin_new(R, w, tz, curve, start_hour, sim->seed, &sim->origin, e);
    free(tz);
    free(w);
    if (rc)
        return rc;

    sim->model_weight = calloc((size_t)sim->n_models, sizeof(double));
    sim->model_credit = calloc((size_t)sim->n_models, sizeof(double));
    if (!sim->model_weight || !sim->model_credit)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    const cJSON *mix = torta_config_at(c, "workload.model_mix"), *it;
    double total = 0;
    cJSON_ArrayForEach(it, mix)
    {
        int m = torta_catalog_model(sim->catalog, it->string);
        if (m < 0)
            return torta_err_set(e, TORTA_EINPUT, "workload.model_mix.%s: unknown model", it->string);
        if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0) || !isfinite(it->valuedouble))
            return torta_err_set(e, TORTA_EINPUT, "workload.model_mix.%s: expected a weight >= 0", it->string);
        sim->model_weight[m] = it->valuedouble;
        total += it->valuedouble;
    }
    if (total <= 0)
        return torta_err_set(e, TORTA_EINPUT, "workload.model_mix: no model has a positive weight");
    if (!isfinite(total))
        return torta_err_set(e, TORTA_EINPUT, "workload.model_mix: the weights' sum overflows; use "
                             "smaller numbers (only their ratios matter)");
    return 0;
}

/* Saturation throughput of every server for the run's length mix (the unit of load). */
static int measure_saturation(torta_sim *sim, const torta_run_opts *o, torta_err *e)
{
    double *tz = malloc(sizeof(double) * (size_t)sim->n_regions);
    if (!tz)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    for (int g = 0; g < sim->n_regions; g++)
        tz[g] = sim->region_pub[g].tz_offset_h;
    torta_req_in *sample = NULL;
    int n = 0;
    int rc = torta_saturation_sample(o, sim->seed, sim->n_regions, tz, SATURATION_SAMPLE, &sample, &n, e);
    if (!rc)
        rc = torta_saturation_fill(sim, sample, n, e);
    free(sample);
    free(tz);
    return rc;
}

static int find_scheduler_error(const char *kind, const char *name, torta_err *e)
{
    const char *names[128];
    size_t n = 0;
    if (strcmp(kind, "macro") == 0)
        for (const torta_macro_ops *const *p = torta_macro_all(); *p && n < 127; p++)
            names[n++] = (*p)->name;
    else
        for (const torta_micro_ops *const *p = torta_micro_all(); *p && n < 127; p++)
            names[n++] = (*p)->name;
    names[n] = NULL;
    const char *s = torta_did_you_mean(name, names);
    if (s)
        return torta_err_set(e, TORTA_EINPUT, "scheduler.%s: unknown %s scheduler \"%s\" (did you "
                             "mean \"%s\"? see --list-schedulers)", kind, kind, name, s);
    return torta_err_set(e, TORTA_EINPUT, "scheduler.%s: unknown %s scheduler \"%s\" (see "
                         "--list-schedulers)", kind, kind, name);
}

static int setup_schedulers(torta_sim *sim, const cJSON *c, const torta_run_opts *o, torta_err *e)
{
    const char *macro, *micro;
    const cJSON *sch = torta_config_at(c, "scheduler");
    int rc = torta_json_str(sch, "macro", "scheduler", 1, NULL, &macro, e);
    if (!rc)
        rc = torta_json_str(sch, "micro", "scheduler", 1, NULL, &micro, e);
    if (rc)
        return rc;
    if (!(sim->macro = torta_macro_find(macro)))
        return find_scheduler_error("macro", macro, e);
    if (!(sim->micro = torta_micro_find(micro)))
        return find_scheduler_error("micro", micro, e);
    torta_view *v = &sim->view;
    v->slot_s = sim->slot_s;
    v->n_regions = sim->n_regions;
    v->n_servers = sim->n_servers;
    v->regions = sim->region_pub;
    v->servers = sim->server_pub;
    v->latency_s = sim->lat_s;
    v->bandwidth_bps = sim->bw_bps;
    v->egress_usd_per_gb = sim->egress_usd_per_gb;
    v->catalog = sim->catalog;
    v->hist_len = DEMAND_HISTORY_SLOTS;
    v->bytes_per_token = sim->bytes_per_token;
    v->model_load_s = sim->load_s_m;
    const cJSON *sh = torta_config_at(c, "workload.start_hour_utc");
    v->start_hour_utc = cJSON_IsNumber(sh) ? sh->valuedouble : 0.0;
    sim->demand_hist = calloc((size_t)sim->n_regions * DEMAND_HISTORY_SLOTS, sizeof(double));
    if (!sim->demand_hist)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    v->demand_hist = sim->demand_hist;
    if (sim->macro->migrate)
        sim->moves = calloc((size_t)sim->n_regions * sim->n_regions, sizeof(double));
    if (sim->macro->migrate && !sim->moves)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    torta_sched_env env = {sim->seed, v, torta_config_at(c, "scheduler.macro_params"),
                           sim->topo->network_name, o->macro_learner};
    rc = sim->macro->init(&sim->macro_self, &env, e);
    if (rc)
        return torta_err_prefix(e, "macro scheduler %s", macro);
    env.params = torta_config_at(c, "scheduler.micro_params");
    env.learner = o->micro_learner;
    rc = sim->micro->init(&sim->micro_self, &env, e);
    if (rc)
        return torta_err_prefix(e, "micro scheduler %s", micro);
    return 0;
}

static void sim_free(torta_sim *sim)
{
    if (sim->macro && sim->macro_self && sim->macro->destroy)
        sim->macro->destroy(sim->macro_self);
    if (sim->micro && sim->micro_self && sim->micro->destroy)
        sim->micro->destroy(sim->micro_self);
    for (int s = 0; sim->servers && s < sim->n_servers; s++)
        torta_server_free(&sim->servers[s]);
    torta_metrics_free(sim->metrics);
    torta_ledger_free(sim->ledger);
    torta_capacity_free(sim->capacity);
    torta_eventq_free(&sim->q);
    torta_timers_free(&sim->timers);
    if (sim->source)
        torta_source_close(sim->source);
    if (sim->origin)
        torta_origin_free(sim->origin);
    if (sim->rng_service)
        gsl_rng_free(sim->rng_service);
    if (sim->rng_faults)
        gsl_rng_free(sim->rng_faults);
    free(sim->mtbf_s_g);
    torta_topology_free(sim->topo);
    torta_catalog_free(sim->catalog);
    free(sim->region_pub);
    free(sim->server_pub);
    free(sim->servers);
    free(sim->lat_s);
    free(sim->bw_bps);
    free(sim->egress_usd_per_gb);
    free(sim->perf_sm);
    free(sim->kv_cap_sm);
    free(sim->est_tok_s_sm);
    free(sim->load_s_m);
    free(sim->model_weight);
    free(sim->model_credit);
    torta_prefix_pool_free(sim);
    free(sim->req);
    free(sim->region_defer_head);
    free(sim->region_defer_tail);
    free(sim->demand_hist);
    free(sim->moves);
}

/* End-of-run bookkeeping: requests still in the system (an interrupted run) get rows too. */
static int flush_in_flight(torta_sim *sim, torta_err *e)
{
    for (int32_t i = 0; i < sim->req_cap; i++) {
        torta_request *r = &sim->req[i];
        if (r->status != TORTA_REQ_PENDING)
            continue;
        r->status = TORTA_REQ_IN_FLIGHT;
        int rc = torta_metrics_request(sim->metrics, sim, r, 0, 0, e);
        if (rc)
            return rc;
    }
    return 0;
}

/* Set-up honours a stop request too (SIGINT/SIGTERM): checked between phases and inside the
 * long ones, so a signal before the event loop ends the run within a second, writing nothing. */
static int stop_requested(const torta_sim *sim, torta_err *e)
{
    if (sim->stop_flag && *sim->stop_flag)
        return torta_err_set(e, TORTA_EINTERRUPTED, "interrupted during set-up; no results written");
    return 0;
}

/* The world of a run, its workload source and every server's saturation throughput. */
static int build_world(torta_sim *sim, const torta_run_opts *o, torta_err *e)
{
    int rc = (!o->trace_path == !o->workload_spec)
                 ? torta_err_set(e, TORTA_EINPUT, "give exactly one of --trace FILE or --workload SPEC")
                 : 0;
    if (!rc)
        rc = parse_run_params(sim, o->config, e);
    if (!rc)
        rc = torta_world_build(sim, o->config, o->topology_path, e);
    if (!rc)
        rc = stop_requested(sim, e);
    if (!rc)
        rc = setup_workload(sim, o, e);
    if (!rc)
        rc = measure_saturation(sim, o, e);
    return rc;
}

int torta_saturation_table(const torta_run_opts *o, cJSON **table, torta_err *e)
{
    torta_sim sim;
    memset(&sim, 0, sizeof sim);
    sim.config = o->config;
    sim.req_free = -1;
    *table = NULL;
    int rc = build_world(&sim, o, e);
    cJSON *arr = rc ? NULL : cJSON_CreateArray();
    if (!rc && !arr)
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
    for (int s = 0; s < sim.n_servers && !rc; s++) {
        const torta_server_state *p = &sim.server_pub[s];
        const char *gpu = sim.catalog->gpus[p->gpu].name, *model = sim.catalog->models[p->resident_model].name;
        cJSON *row = NULL, *it;
        cJSON_ArrayForEach(it, arr)
        {
            if (strcmp(cJSON_GetObjectItem(it, "gpu")->valuestring, gpu) == 0 &&
                strcmp(cJSON_GetObjectItem(it, "model")->valuestring, model) == 0 &&
                cJSON_GetObjectItem(it, "tp")->valuedouble == p->tp)
                row = it;
        }
        if (row) {
            cJSON *n = cJSON_GetObjectItem(row, "servers");
            cJSON_SetNumberValue(n, n->valuedouble + 1);
            continue;
        }
        row = cJSON_CreateObject();
        if (!row)
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
        else {
            cJSON_AddItemToArray(arr, row);
            cJSON_AddStringToObject(row, "gpu", gpu);
            cJSON_AddStringToObject(row, "model", model);
            cJSON_AddNumberToObject(row, "tp", p->tp);
            cJSON_AddNumberToObject(row, "servers", 1);
            cJSON_AddNumberToObject(row, "saturation_rps", p->sat_rps);
            cJSON_AddBoolToObject(row, "fitted_profile", sim.perf_sm[(size_t)s * sim.n_models + p->resident_model].fitted);
        }
    }
    sim_free(&sim);
    if (rc)
        cJSON_Delete(arr);
    else
        *table = arr;
    return rc;
}

int torta_run_prepare(torta_sim *sim, const torta_run_opts *o, torta_err *e)
{
    memset(sim, 0, sizeof *sim);
    sim->config = o->config;
    sim->warn = o->warn;
    sim->warn_ud = o->warn_ud;
    sim->stop_flag = o->stop_flag;
    sim->req_free = -1;
    int rc = build_world(sim, o, e);
    return rc ? rc : stop_requested(sim, e);
}

int torta_run_prepare_schedulers(torta_sim *sim, const torta_run_opts *o, torta_err *e)
{
    return setup_schedulers(sim, o->config, o, e);
}

void torta_run_release(torta_sim *sim)
{
    sim_free(sim);
}

/* config.json: the effective configuration, plus the run record when the caller gave one. */
static int write_config(const char *dir, const torta_run_opts *o, torta_err *e)
{
    if (!o->record)
        return torta_write_json(dir, "config.json", o->config, e);
    cJSON *c = cJSON_Duplicate(o->config, 1), *r = cJSON_Duplicate(o->record, 1);
    if (!c || !r || !cJSON_AddItemToObject(c, "run", r)) {
        cJSON_Delete(c);
        cJSON_Delete(r);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    }
    int rc = torta_write_json(dir, "config.json", c, e);
    cJSON_Delete(c);
    return rc;
}


int torta_run(const torta_run_opts *o, cJSON **summary, torta_err *e)
{
    torta_sim sim;
    memset(&sim, 0, sizeof sim);
    sim.config = o->config;
    sim.warn = o->warn;
    sim.warn_ud = o->warn_ud;
    sim.stop_flag = o->stop_flag;
    sim.req_free = -1;
    char *tmp = NULL;
    int rc = (!o->trace_path == !o->workload_spec)
                 ? torta_err_set(e, TORTA_EINPUT, "give exactly one of --trace FILE or --workload SPEC")
                 : 0;
    if (!rc && o->out_dir) /* first: a bad --out fails before any slow work */
        rc = torta_outdir_begin(o->out_dir, o->force, &tmp, e);
    if (!rc)
        rc = build_world(&sim, o, e);
    if (!rc)
        rc = stop_requested(&sim, e);
    torta_sim_set_hooks(&sim);
    if (!rc && !(sim.rng_service = torta_rng_stream(sim.seed, "service")))
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
    if (!rc) {
        sim.region_defer_head = malloc(sizeof(int32_t) * (size_t)sim.n_regions);
        sim.region_defer_tail = malloc(sizeof(int32_t) * (size_t)sim.n_regions);
        if (!sim.region_defer_head || !sim.region_defer_tail)
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
        for (int g = 0; !rc && g < sim.n_regions; g++)
            sim.region_defer_head[g] = sim.region_defer_tail[g] = -1;
    }
    if (!rc && (torta_eventq_init(&sim.q, 1024) || torta_timers_init(&sim.timers, sim.n_servers)))
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
    if (!rc)
        rc = setup_schedulers(&sim, o->config, o, e);
    if (!rc)
        rc = torta_capacity_setup(&sim, o->config, e);
    double carbon_price = 0;
    if (!rc)
        rc = torta_json_num(torta_config_at(o->config, "cost"), "carbon_usd_per_tonne", "cost", 0, 1e6, 1,
                            0, &carbon_price, e);
    if (!rc)
        rc = torta_ledger_new(&sim, carbon_price, &sim.ledger, e);
    if (!rc)
        rc = stop_requested(&sim, e);
    if (!rc)
        rc = torta_faults_setup(&sim, o->config, e);
    if (!rc)
        rc = stop_requested(&sim, e);
    int requests_csv = 1, gzip_level = 0;
    if (!rc)
        rc = torta_metrics_output_mode(o->config, &requests_csv, &gzip_level, e);
    if (!rc)
        rc = torta_metrics_new(&sim, tmp, requests_csv, gzip_level, &sim.metrics, e);
    double slo_ttft_s = 0, slo_e2e_s = 0;
    const cJSON *slo = torta_config_at(o->config, "slo");
    if (!rc)
        rc = torta_json_num(slo, "ttft_s", "slo", 1e-9, 1e9, 1, 0, &slo_ttft_s, e);
    if (!rc)
        rc = torta_json_num(slo, "e2e_s", "slo", 1e-9, 1e9, 1, 0, &slo_e2e_s, e);
    if (!rc)
        torta_metrics_set_slo(sim.metrics, slo_ttft_s, slo_e2e_s);
    if (!rc)
        rc = torta_sim_loop(&sim, o->progress, e);
    if (!rc && !sim.interrupted &&
        (sim.in_flight != 0 || sim.arrived != sim.completed + sim.rejected))
        rc = torta_err_set(e, TORTA_EINTERNAL,
                           "invariant conservation: %lld arrived, %lld completed, %lld rejected, "
                           "%lld in flight at the end", (long long)sim.arrived,
                           (long long)sim.completed, (long long)sim.rejected, (long long)sim.in_flight);
    if (!rc)
        rc = flush_in_flight(&sim, e);
    if (!rc)
        torta_limits_warn(&sim);
    const char *first_warning = NULL;
    long n_warnings = sim.source ? torta_source_warnings(sim.source, &first_warning) : 0;
    if (!rc && n_warnings > 0 && o->warn) {
        char msg[1200];
        snprintf(msg, sizeof msg, "%ld request(s) were adjusted while reading the workload (first: %s)",
                 n_warnings, first_warning ? first_warning : "?");
        o->warn(o->warn_ud, msg);
    }
    if (!rc)
        rc = torta_metrics_close(sim.metrics, e);
    cJSON *sum = NULL;
    if (!rc) {
        sum = torta_metrics_summary(sim.metrics, &sim, torta_source_describe(sim.source), !sim.interrupted);
        if (!sum)
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
    }
    if (!rc && tmp)
        rc = torta_write_json(tmp, "summary.json", sum, e);
    if (!rc && tmp)
        rc = torta_metrics_write_latency(sim.metrics, tmp, e);
    if (!rc && tmp)
        rc = write_config(tmp, o, e);
    if (!rc && tmp && o->extra_json_name)
        rc = torta_write_json(tmp, o->extra_json_name, o->extra_json, e);
    if (!rc && tmp) {
        rc = torta_outdir_commit(tmp, o->out_dir, o->force, e);
        if (rc) { /* commit kept the results elsewhere (or failed to): nothing to remove */
            free(tmp);
            tmp = NULL;
        }
    }
    if (rc) {
        torta_outdir_abort(tmp);
        cJSON_Delete(sum);
        sum = NULL;
    }
    free(tmp);
    sim_free(&sim);
    *summary = sum;
    return rc;
}
