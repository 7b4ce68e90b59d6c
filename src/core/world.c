/* Builds the simulated world from the effective configuration: topology, the regions chosen
 * among its sites, their servers, the catalogue's profiles for every (server, model) pair. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/server_prefix.h"
#include "core/sim.h"
#include "core/world.h"
#include "torta/config.h"
#include "torta/json.h"

static int parse_topo_opts(const cJSON *c, torta_topo_opts *o, torta_err *e)
{
    torta_topo_opts_default(o);
    const cJSON *t = torta_config_at(c, "topology");
    int rc = torta_json_num(t, "us_per_km", "topology", 0, 1e6, 0, o->us_per_km, &o->us_per_km, e);
    if (!rc)
        rc = torta_json_num(t, "stretch", "topology", 1, 100, 0, o->stretch, &o->stretch, e);
    if (!rc)
        rc = torta_json_num(t, "default_latency_ms", "topology", 0, 1e6, 0, o->default_latency_ms,
                            &o->default_latency_ms, e);
    if (!rc)
        rc = torta_json_num(t, "default_bandwidth_gbps", "topology", 1e-6, 1e6, 0,
                            o->default_bandwidth_gbps, &o->default_bandwidth_gbps, e);
    if (!rc)
        rc = torta_json_num(t, "default_egress_usd_per_gb", "topology", 0, 1e3, 0,
                            o->default_egress_usd_per_gb, &o->default_egress_usd_per_gb, e);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(t, "keep_largest_component");
    o->keep_largest_component = cJSON_IsTrue(k);
    return rc;
}

/* Region sites: "all", or an array of site names. */
static int pick_sites(const cJSON *c, const torta_topology *topo, int **out, int *n, torta_err *e)
{
    const cJSON *sites = torta_config_at(c, "regions.sites");
    int *idx = malloc(sizeof *idx * (size_t)(topo->n_sites ? topo->n_sites : 1));
    if (!idx)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    int k = 0;
    if (cJSON_IsString(sites) && strcmp(sites->valuestring, "all") == 0) {
        for (int i = 0; i < topo->n_sites; i++)
            if (!topo->sites[i].transit)
                idx[k++] = i;
    } else if (cJSON_IsArray(sites)) {
        const cJSON *it;
        int j = 0;
        cJSON_ArrayForEach(it, sites)
        {
            int s = cJSON_IsString(it) ? torta_topology_find(topo, it->valuestring) : -2;
            if (s == -2 || s < 0 || k >= topo->n_sites) {
                free(idx);
                if (s == -2)
                    return torta_err_set(e, TORTA_EINPUT, "regions.sites[%d]: expected a site name", j);
                return torta_err_set(e, TORTA_EINPUT, "regions.sites[%d]: no site \"%s\" in %s", j,
                                     it->valuestring, topo->source_path);
            }
            for (int q = 0; q < k; q++)
                if (idx[q] == s) {
                    free(idx);
                    return torta_err_set(e, TORTA_EINPUT, "regions.sites[%d]: \"%s\" listed twice", j,
                                         it->valuestring);
                }
            idx[k++] = s;
            j++;
        }
    } else {
        free(idx);
        return torta_err_set(e, TORTA_EINPUT, "regions.sites: expected \"all\" or a list of site names");
    }
    if (k == 0) {
        free(idx);
        return torta_err_set(e, TORTA_EINPUT, "regions.sites: no regions selected");
    }
    *out = idx;
    *n = k;
    return 0;
}

typedef struct server_spec {
    int gpu, model, tp, cap_class;
    int batching; /* policy, or -1: server.batching */
    int kv_policy; /* torta_kv_policy, or -1: server.kv_policy */
    int kv_preempt; /* torta_kv_preempt, or -1: server.kv_preempt */
    int profile_source; /* catalogue profile source, or -1: server.profile_source */
    long count;
} server_spec;

static int parse_class(const cJSON *it, const char *where, int *out, torta_err *e)
{
    const char *name;
    int rc = torta_json_str(it, "class", where, 0, "reserved", &name, e);
    if (rc)
        return rc;
    for (int c = 0; c < TORTA_N_CLASSES; c++)
        if (strcmp(name, torta_class_name(c)) == 0) {
            *out = c;
            return 0;
        }
    return torta_err_set(e, TORTA_EINPUT, "%s.class: unknown capacity class \"%s\" (reserved, "
                         "on_demand or spot)", where, name);
}

/* A profile source by name (server.profile_source or a group's), with the names known. */
static int parse_profile_source(const torta_catalog *cat, const char *name, const char *where,
                                int *out, torta_err *e)
{
    *out = torta_catalog_source(cat, name);
    if (*out >= 0)
        return 0;
    const char *names[TORTA_MAX_PROFILE_SOURCES + 1] = {NULL};
    char list[400] = "";
    size_t len = 0;
    for (int i = 0; i < cat->n_sources; i++) {
        names[i] = cat->source_names[i];
        int w = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", names[i]);
        len = w < 0 || (size_t)w >= sizeof list - len ? sizeof list - 1 : len + (size_t)w;
    }
    const char *s = torta_did_you_mean(name, names);
    return torta_err_set(e, TORTA_EINPUT, "%s: unknown profile source \"%s\"%s%s%s (known: %s)", where,
                         name, s ? " (did you mean \"" : "", s ? s : "", s ? "\"?)" : "", list);
}

static int parse_servers(const cJSON *list, const char *where, const torta_catalog *cat,
                         server_spec **out, int *n, long *total, torta_err *e)
{
    static const char *const keys[] = {"gpu", "model", "tp", "count", "class", "batching",
                                       "kv_policy", "kv_preempt", "profile_source", NULL};
    if (!cJSON_IsArray(list))
        return torta_err_set(e, TORTA_EINPUT, "%s: expected a list of {gpu, model, tp, count[, class, "
                             "batching, kv_policy, kv_preempt, profile_source]}", where);
    int k = cJSON_GetArraySize(list);
    server_spec *sp = calloc((size_t)(k ? k : 1), sizeof *sp);
    if (!sp)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *total = 0;
    const cJSON *it = list->child; /* walked in order: cJSON_GetArrayItem(i) is O(i) */
    for (int i = 0; i < k; i++, it = it->next) {
        char w[300];
        snprintf(w, sizeof w, "%.280s[%d]", where, i);
        const char *gpu = NULL, *model = NULL;
        long tp = 0, count = 0;
        int rc = cJSON_IsObject(it) ? 0 : torta_err_set(e, TORTA_EINPUT, "%s: expected an object", w);
        if (!rc)
            rc = torta_json_check_keys(it, w, keys, e);
        if (!rc)
            rc = torta_json_str(it, "gpu", w, 1, NULL, &gpu, e);
        if (!rc)
            rc = torta_json_str(it, "model", w, 1, NULL, &model, e);
        if (!rc)
            rc = torta_json_int(it, "tp", w, 1, 64, 0, 1, &tp, e);
        if (!rc)
            rc = torta_json_int(it, "count", w, 0, 100000, 0, 1, &count, e);
        if (!rc)
            rc = parse_class(it, w, &sp[i].cap_class, e);
        const char *batching = NULL;
        sp[i].batching = -1;
        if (!rc)
            rc = torta_json_str(it, "batching", w, 0, NULL, &batching, e);
        if (!rc && batching) {
            char bw[320];
            snprintf(bw, sizeof bw, "%s.batching", w);
            rc = torta_batching_parse(batching, bw, &sp[i].batching, e);
        }
        const char *kv = NULL;
        sp[i].kv_policy = -1;
        if (!rc)
            rc = torta_json_str(it, "kv_policy", w, 0, NULL, &kv, e);
        if (!rc && kv) {
            char kw[320];
            snprintf(kw, sizeof kw, "%s.kv_policy", w);
            rc = torta_kv_policy_parse(kv, kw, &sp[i].kv_policy, e);
        }
        const char *preempt = NULL;
        sp[i].kv_preempt = -1;
        if (!rc)
            rc = torta_json_str(it, "kv_preempt", w, 0, NULL, &preempt, e);
        if (!rc && preempt) {
            char kw[320];
            snprintf(kw, sizeof kw, "%s.kv_preempt", w);
            rc = torta_kv_preempt_parse(preempt, kw, &sp[i].kv_preempt, e);
        }
        const char *source = NULL;
        sp[i].profile_source = -1;
        if (!rc)
            rc = torta_json_str(it, "profile_source", w, 0, NULL, &source, e);
        if (!rc && source) {
            char pw[320] = "";
            snprintf(pw, sizeof pw, "%s.profile_source", w);
            rc = parse_profile_source(cat, source, pw, &sp[i].profile_source, e);
        }
        if (!rc && (sp[i].gpu = torta_catalog_gpu(cat, gpu)) < 0)
            rc = torta_err_set(e, TORTA_EINPUT, "%s.gpu: unknown GPU \"%s\"", w, gpu);
        if (!rc && (sp[i].model = torta_catalog_model(cat, model)) < 0)
            rc = torta_err_set(e, TORTA_EINPUT, "%s.model: unknown model \"%s\"", w, model);
        if (rc) {
            free(sp);
            return rc;
        }
        sp[i].tp = (int)tp;
        sp[i].count = count;
        *total += count;
    }
    *out = sp;
    *n = k;
    return 0;
}

/* server.batching, server.chunk_tokens, server.max_prefill_tokens, server.prefill_count,
 * server.kv_policy and
 * server.kv_preempt (left unresolved: AUTO depends on each group's batching),
 * server.kv_block_tokens, server.kv_watermark. */
static int parse_batching(const cJSON *srv, torta_batching *b, torta_err *e)
{
    const char *name = NULL, *kv = NULL, *preempt = NULL, *count = NULL;
    long chunk = 0, max_prefill = 0, block = 0;
    double watermark = 0;
    int rc = torta_json_str(srv, "batching", "server", 0, "mixed", &name, e);
    if (!rc)
        rc = torta_batching_parse(name, "server.batching", &b->policy, e);
    if (!rc)
        rc = torta_json_int(srv, "chunk_tokens", "server", 1, 1 << 30, 0, 512, &chunk, e);
    if (!rc)
        rc = torta_json_int(srv, "max_prefill_tokens", "server", 0, 1 << 30, 0, 0, &max_prefill, e);
    if (!rc)
        rc = torta_json_str(srv, "prefill_count", "server", 0, "sum", &count, e);
    if (!rc && strcmp(count, "sum") && strcmp(count, "padded"))
        rc = torta_err_set(e, TORTA_EINPUT, "server.prefill_count: \"%s\" is not sum or padded", count);
    if (!rc)
        b->prefill_padded = strcmp(count, "padded") == 0;
    if (!rc)
        rc = torta_json_str(srv, "kv_policy", "server", 0, "auto", &kv, e);
    if (!rc)
        rc = torta_kv_policy_parse(kv, "server.kv_policy", &b->kv_policy, e);
    if (!rc)
        rc = torta_json_str(srv, "kv_preempt", "server", 0, "auto", &preempt, e);
    if (!rc)
        rc = torta_kv_preempt_parse(preempt, "server.kv_preempt", &b->kv_preempt, e);
    if (!rc)
        rc = torta_json_int(srv, "kv_block_tokens", "server", 1, 1024, 0, 16, &block, e);
    /* Below 1: an admission must leave that share of the blocks free (vLLM's 0.01). */
    if (!rc)
        rc = torta_json_num(srv, "kv_watermark", "server", 0, 0.99, 0, 0.01, &watermark, e);
    b->chunk_tokens = (int32_t)chunk;
    b->max_prefill_tokens = (int32_t)max_prefill;
    b->kv_block_tokens = (int32_t)block;
    b->kv_watermark = watermark;
    return rc;
}

static double site_attr(double site_value, const cJSON *ovr, const cJSON *cfg, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ovr, key);
    if (cJSON_IsNumber(v))
        return v->valuedouble;
    if (!isnan(site_value))
        return site_value;
    v = torta_config_at(cfg, "regions");
    v = cJSON_GetObjectItemCaseSensitive(v, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

int torta_world_build(torta_sim *sim, const cJSON *cfg, const char *topology_path, torta_err *e)
{
    torta_topo_opts to;
    int rc = parse_topo_opts(cfg, &to, e);
    if (rc)
        return rc;
    rc = torta_topology_load(topology_path, &to, sim->warn, sim->warn_ud, &sim->topo, e);
    if (rc)
        return rc;
    rc = torta_catalog_load(torta_config_at(cfg, "gpus"), torta_config_at(cfg, "models"),
                            torta_config_at(cfg, "profiles"), &sim->catalog, e);
    if (rc)
        return rc;
    const torta_catalog *cat = sim->catalog;
    sim->n_models = cat->n_models;

    int *sites = NULL, nr = 0;
    rc = pick_sites(cfg, sim->topo, &sites, &nr, e);
    if (rc)
        return rc;
    const cJSON *overrides = torta_config_at(cfg, "regions.overrides");
    const cJSON *ov;
    cJSON_ArrayForEach(ov, overrides)
    {
        int s = torta_topology_find(sim->topo, ov->string), found = 0;
        for (int i = 0; i < nr && s >= 0; i++)
            found |= sites[i] == s;
        if (!found) {
            free(sites);
            return torta_err_set(e, TORTA_EINPUT, "regions.overrides.%s: no such region in %s",
                                 ov->string, sim->topo->source_path);
        }
    }

    /* Servers per region: the region's override list, else the default list (parsed once and
     * shared, so set-up stays linear in regions + groups). */
    server_spec **specs = calloc((size_t)nr, sizeof *specs), *default_spec = NULL;
    int *nspec = calloc((size_t)nr, sizeof *nspec), n_default = 0;
    long total = 0, default_total = 0;
    if (!specs || !nspec)
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
    if (!rc)
        rc = parse_servers(torta_config_at(cfg, "regions.servers"), "regions.servers", cat,
                           &default_spec, &n_default, &default_total, e);
    for (int r = 0; r < nr && !rc; r++) {
        const char *name = sim->topo->sites[sites[r]].name;
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(overrides, name);
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "servers");
        long n = default_total;
        if (list) {
            char where[300];
            snprintf(where, sizeof where, "regions.overrides.%.200s.servers", name);
            rc = parse_servers(list, where, cat, &specs[r], &nspec[r], &n, e);
        } else {
            nspec[r] = n_default;
        }
        total += n;
        if (total > 10000000)
            break; /* refused below, before anything is allocated per server */
    }
    if (!rc && total == 0)
        rc = torta_err_set(e, TORTA_EINPUT, "regions.servers: no servers in any region");
    if (!rc && total > 10000000)
        rc = torta_err_set(e, TORTA_EINPUT, "regions.servers: %ld servers is more than this build supports", total);

    sim->n_regions = nr;
    sim->n_servers = (int)total;
    if (!rc) {
        sim->region_pub = calloc((size_t)nr, sizeof *sim->region_pub);
        sim->server_pub = calloc((size_t)total, sizeof *sim->server_pub);
        sim->servers = calloc((size_t)total, sizeof *sim->servers);
        sim->lat_s = malloc(sizeof(double) * (size_t)nr * nr);
        sim->bw_bps = malloc(sizeof(double) * (size_t)nr * nr);
        sim->egress_usd_per_gb = malloc(sizeof(double) * (size_t)nr * nr);
        sim->perf_sm = calloc((size_t)total * cat->n_models, sizeof *sim->perf_sm);
        sim->kv_cap_sm = calloc((size_t)total * cat->n_models, sizeof(double));
        sim->est_tok_s_sm = calloc((size_t)total * cat->n_models, sizeof(double));
        sim->load_s_m = calloc((size_t)cat->n_models, sizeof(double));
        if (!sim->region_pub || !sim->server_pub || !sim->servers || !sim->lat_s || !sim->bw_bps ||
            !sim->egress_usd_per_gb || !sim->perf_sm || !sim->kv_cap_sm || !sim->est_tok_s_sm ||
            !sim->load_s_m)
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory for %ld servers", total);
    }
    double kv_util = 0.9, load_gbs = 5.0, boot_s = 0;
    long max_res = 1;
    if (!rc && cat->n_models > 64)
        rc = torta_err_set(e, TORTA_EINPUT, "models: %d models; at most 64 are supported", cat->n_models);
    if (!rc)
        rc = torta_json_int(torta_config_at(cfg, "server"), "max_resident_models", "server", 1, 64, 0, 1,
                            &max_res, e);
    sim->max_resident = (int)max_res;
    if (!rc)
        rc = torta_json_num(torta_config_at(cfg, "server"), "kv_utilization", "server", 0.01, 1, 0,
                            0.9, &kv_util, e);
    if (!rc)
        rc = torta_json_num(torta_config_at(cfg, "server"), "load_gb_per_s", "server", 1e-6, 1e6, 0,
                            5.0, &load_gbs, e);
    torta_batching batching = {.policy = TORTA_BATCHING_MIXED, .chunk_tokens = 512,
                               .kv_policy = TORTA_KV_AUTO, .kv_block_tokens = 16,
                               .kv_watermark = 0.01, .kv_preempt = TORTA_KV_PREEMPT_AUTO};
    if (!rc)
        rc = parse_batching(torta_config_at(cfg, "server"), &batching, e);
    const char *source_name = "splitwise";
    int profile_source = TORTA_PROFILE_SOURCE_DEFAULT;
    if (!rc)
        rc = torta_json_str(torta_config_at(cfg, "server"), "profile_source", "server", 0, "splitwise",
                            &source_name, e);
    if (!rc)
        rc = parse_profile_source(cat, source_name, "server.profile_source", &profile_source, e);
    if (!rc)
        rc = torta_json_num(torta_config_at(cfg, "capacity"), "boot_s", "capacity", 0, 1e6, 1, 0, &boot_s, e);
    for (int m = 0; m < cat->n_models && !rc; m++)
        sim->load_s_m[m] = cat->models[m].weight_bytes / (load_gbs * 1e9);

    int s = 0;
    for (int r = 0; r < nr && !rc; r++) {
        const torta_site *site = &sim->topo->sites[sites[r]];
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(overrides, site->name);
        torta_region_state *g = &sim->region_pub[r];
        g->name = site->name;
        g->site = sites[r];
        g->first_server = s;
        g->tz_offset_h = site->tz_offset_h;
        g->electricity_usd_per_kwh = site_attr(site->electricity_usd_per_kwh, o, cfg, "electricity_usd_per_kwh");
        g->carbon_g_per_kwh = site_attr(site->carbon_g_per_kwh, o, cfg, "carbon_g_per_kwh");
        g->gpu_price_multiplier = site_attr(site->gpu_price_multiplier, o, cfg, "gpu_price_multiplier");
        for (int q = 0; q < nr; q++) {
            size_t a = (size_t)sites[r] * sim->topo->n_sites + sites[q];
            sim->lat_s[(size_t)r * nr + q] = sim->topo->latency_s[a];
            sim->bw_bps[(size_t)r * nr + q] = sim->topo->bandwidth_bps[a];
            sim->egress_usd_per_gb[(size_t)r * nr + q] = sim->topo->egress_usd_per_gb[a];
        }
        for (int k = 0; k < nspec[r] && !rc; k++) {
            const server_spec *sp = specs[r] ? &specs[r][k] : &default_spec[k];
            int group_kv = TORTA_KV_RESERVE, group_preempt = TORTA_KV_PREEMPT_NEEDED;
            const torta_gpu *gpu = &cat->gpus[sp->gpu];
            if (sp->count > 0) { /* the group's server type takes its profile from this source */
                char where[300] = "";
                if (specs[r])
                    snprintf(where, sizeof where, "regions.overrides.%.200s.servers[%d]", site->name, k);
                else
                    snprintf(where, sizeof where, "regions.servers[%d]", k);
                rc = torta_catalog_select_source(sim->catalog, sp->gpu, sp->model, sp->tp,
                                                 sp->profile_source >= 0 ? sp->profile_source : profile_source,
                                                 where, e);
            }
            for (long c = 0; c < sp->count && !rc; c++, s++) {
                if ((s & 4095) == 0 && sim->stop_flag && *sim->stop_flag) {
                    rc = torta_err_set(e, TORTA_EINTERRUPTED, "interrupted during set-up");
                    break;
                }
                torta_server_state *p = &sim->server_pub[s];
                sim->servers[s].batching = batching;
                if (sp->batching >= 0)
                    sim->servers[s].batching.policy = sp->batching;
                if (c == 0) { /* the group's KV policies, the preemption rule named if refused */
                    char kw[300];
                    if (sp->kv_preempt >= 0 && specs[r])
                        snprintf(kw, sizeof kw, "regions.overrides.%.200s.servers[%d].kv_preempt", site->name, k);
                    else if (sp->kv_preempt >= 0)
                        snprintf(kw, sizeof kw, "regions.servers[%d].kv_preempt", k);
                    else
                        snprintf(kw, sizeof kw, "server.kv_preempt");
                    group_kv = torta_kv_policy_resolve(sp->kv_policy >= 0 ? sp->kv_policy : batching.kv_policy,
                                                       sim->servers[s].batching.policy);
                    rc = torta_kv_preempt_resolve(sp->kv_preempt >= 0 ? sp->kv_preempt : batching.kv_preempt,
                                                  sim->servers[s].batching.policy, group_kv, kw, &group_preempt, e);
                    if (rc)
                        break;
                }
                sim->servers[s].batching.kv_policy = group_kv;
                sim->servers[s].batching.kv_preempt = group_preempt;
                p->region = r;
                p->index_in_region = s - g->first_server;
                p->gpu = sp->gpu;
                p->tp = sp->tp;
                p->last_switch_s = -INFINITY;
                p->cap_class = sp->cap_class;
                const double class_usd[TORTA_N_CLASSES] = {gpu->reserved_usd_per_hour, gpu->usd_per_hour,
                                                           gpu->spot_usd_per_hour};
                p->usd_per_hour = class_usd[sp->cap_class] * sp->tp * g->gpu_price_multiplier;
                double gbs = gpu->load_gb_per_s > 0 ? gpu->load_gb_per_s : load_gbs;
                p->start_lead_s = boot_s + cat->models[sp->model].weight_bytes / (gbs * 1e9);
                sim->servers[s].gpu_usd_per_s = gpu->usd_per_hour * sp->tp * g->gpu_price_multiplier / 3600.0;
                sim->servers[s].idle_w = gpu->idle_w * sp->tp;
                sim->servers[s].busy_w = gpu->busy_w * sp->tp;
                double mem = gpu->mem_gb * 1e9 * sp->tp * kv_util;
                sim->servers[s].mem_budget_bytes = mem;
                sim->servers[s].last_used = calloc((size_t)cat->n_models, sizeof(double));
                if (!sim->servers[s].last_used) {
                    rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
                    break;
                }
                for (int m = 0; m < cat->n_models && !rc; m++) {
                    size_t sm = (size_t)s * cat->n_models + m;
                    const torta_model *mod = &cat->models[m];
                    double cap = (mem - mod->weight_bytes) / mod->kv_bytes_per_token;
                    if (cap < 1)
                        continue; /* this model does not fit on this server */
                    torta_err pe;
                    if (torta_catalog_perf(cat, sp->gpu, m, sp->tp, &sim->perf_sm[sm], &pe) != 0)
                        continue;
                    sim->kv_cap_sm[sm] = floor(cap);
                    /* Server-seconds per output token at a reference batch of 16 requests with
                     * 1,500 tokens of context each: the unit of outstanding_work_s. */
                    const torta_perf *pf = &sim->perf_sm[sm];
                    sim->est_tok_s_sm[sm] = (pf->d0 + pf->d1 * 16 + pf->d2 * 16 * 1500.0) / 16.0;
                }
                if (sim->kv_cap_sm[(size_t)s * cat->n_models + sp->model] <= 0)
                    rc = torta_err_set(e, TORTA_EINPUT,
                                       "regions: %s x%d cannot hold %s (%.0f GB of weights, %.0f GB usable)",
                                       gpu->name, sp->tp, cat->models[sp->model].name,
                                       cat->models[sp->model].weight_bytes / 1e9, mem / 1e9);
                else
                    rc = torta_server_init(sim, s, sp->model, e);
            }
        }
        g->n_servers = s - g->first_server; /* none admits requests before capacity.c starts it */
    }
    if (!rc)
        rc = torta_prefix_setup(sim, cfg, e);
    /* Relative speed: reference decode throughput of the resident model vs the fleet mean. */
    if (!rc) {
        double sum = 0;
        for (int i = 0; i < sim->n_servers; i++)
            sum += 1.0 / sim->est_tok_s_sm[(size_t)i * cat->n_models + sim->server_pub[i].resident_model];
        double mean = sum / sim->n_servers;
        for (int i = 0; i < sim->n_servers; i++)
            sim->server_pub[i].speed =
                1.0 / sim->est_tok_s_sm[(size_t)i * cat->n_models + sim->server_pub[i].resident_model] / mean;
    }
    for (int r = 0; r < nr && specs; r++)
        free(specs[r]);
    free(specs);
    free(default_spec);
    free(nspec);
    free(sites);
    return rc;
}
