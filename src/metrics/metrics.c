/* Collectors and writers for requests.csv, slots.csv, latency.csv and the run summary. */
#include "metrics/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/server_prefix.h"
#include "core/ledger.h"
#include "metrics/csv_out.h"
#include "metrics/csvfmt.h"
#include "metrics/histogram.h"
#include "torta/config.h"
#include "torta/json.h"

enum { H_TTFT, H_TPOT, H_E2E, H_NET, H_QUEUE, H_SWITCH, H_COUNT };
static const char *const hist_names[H_COUNT] = {"ttft_s", "tpot_s", "e2e_s", "network_s", "queue_s", "switch_s"};

/* Rows are formatted straight into their file's buffer (csv_out.h), which holds
 * TORTA_CSV_ROW_MAX bytes per row: a requests.csv row three quoted names (600 characters each
 * before quoting), 8 integers and 7 times; a slots.csv row one name and 30-odd numbers. */

/* Spread of one quantity across regions or servers, time-weighted over slots. */
typedef struct spread_acc {
    double mean, std, cv, jain, max;
} spread_acc;

struct torta_metrics {
    torta_csv_out req, slot; /* requests.csv and slots.csv (.gz); f NULL: not written */
    char **region_csv;          /* region names, CSV-quoted where needed */
    char **model_csv;
    int n_regions, n_models;
    torta_hist hist[H_COUNT];
    double *served_slot;        /* per region: requests completed in the current slot */
    double *scratch;            /* max(n_regions, n_servers) values */
    int64_t switches;
    /* Load (offered / saturation capacity) and occupancy, averaged over slots (weighted by slot
     * length); load across servers counts the servers active in the slot. */
    spread_acc region_load, server_load, region_occ, server_occ;
    double region_busy, weight;
    int64_t region_slots, overloaded_region_slots;
    int64_t slots;
    double slo_ttft_s, slo_e2e_s; /* a completed request meets the SLO when both hold */
    int64_t slo_met, completed;
};

static char *csv_quote(const char *s)
{
    int needs = strpbrk(s, ",\"\r\n") != NULL;
    size_t n = strlen(s);
    char *out = malloc(2 * n + 3);
    if (!out)
        return NULL;
    if (!needs) {
        memcpy(out, s, n + 1);
        return out;
    }
    char *p = out;
    *p++ = '"';
    for (const char *q = s; *q; q++) {
        if (*q == '"')
            *p++ = '"';
        *p++ = *q;
    }
    *p++ = '"';
    *p = '\0';
    return out;
}

void torta_metrics_set_slo(torta_metrics *m, double ttft_s, double e2e_s)
{
    m->slo_ttft_s = ttft_s;
    m->slo_e2e_s = e2e_s;
}

int torta_metrics_output_mode(const cJSON *config, int *requests_csv, int *gzip_level, torta_err *e)
{
    const cJSON *out = torta_config_at(config, "output");
    *requests_csv = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(out, "requests_csv"));
    *gzip_level = 0;
    const char *name = NULL;
    int rc = torta_json_str(out, "compress", "output", 0, "none", &name, e);
    if (rc)
        return rc;
    if (strcmp(name, "none") == 0)
        return 0;
    /* Level 1 (the default) is about 3 times faster than zlib's default 6 and 20% larger. */
    if (strncmp(name, "gzip", 4) == 0 &&
        (name[4] == '\0' || (name[4] == ':' && name[5] >= '1' && name[5] <= '9' && name[6] == '\0'))) {
        *gzip_level = name[4] == ':' ? name[5] - '0' : 1;
        return 0;
    }
    static const char *const names[] = {"none", "gzip", NULL};
    const char *s = torta_did_you_mean(name, names);
    return torta_err_set(e, TORTA_EINPUT, "output.compress: unknown value \"%s\"%s%s%s (none, gzip, or "
                         "gzip:1 to gzip:9 for a compression level)", name, s ? " (did you mean \"" : "",
                         s ? s : "", s ? "\"?)" : "");
}

int torta_metrics_new(torta_sim *sim, const char *dir, int requests_csv, int gzip_level,
                      torta_metrics **out, torta_err *e)
{
    torta_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *out = m;
    for (int i = 0; i < H_COUNT; i++)
        if (torta_hist_init(&m->hist[i]))
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    m->served_slot = calloc((size_t)sim->n_regions, sizeof(double));
    m->scratch = calloc((size_t)(sim->n_regions > sim->n_servers ? sim->n_regions : sim->n_servers), sizeof(double));
    m->region_csv = calloc((size_t)sim->n_regions, sizeof(char *));
    m->model_csv = calloc((size_t)sim->n_models, sizeof(char *));
    if (!m->served_slot || !m->scratch || !m->region_csv || !m->model_csv)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    m->n_regions = sim->n_regions;
    m->n_models = sim->n_models;
    for (int r = 0; r < sim->n_regions; r++) {
        if (strlen(sim->region_pub[r].name) > 600) /* keeps a requests.csv row within its buffer */
            return torta_err_set(e, TORTA_EINPUT, "region name longer than 600 characters: %.40s...",
                                 sim->region_pub[r].name);
        if (!(m->region_csv[r] = csv_quote(sim->region_pub[r].name)))
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    }
    for (int k = 0; k < sim->n_models; k++) {
        if (strlen(sim->catalog->models[k].name) > 600)
            return torta_err_set(e, TORTA_EINPUT, "model name longer than 600 characters");
        if (!(m->model_csv[k] = csv_quote(sim->catalog->models[k].name)))
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    }
    if (dir && requests_csv) {
        static const char header[] = "request_id,arrival_s,origin_region,serve_region,server_id,model,"
                                     "input_tokens,output_tokens,network_s,queue_s,switch_s,ttft_s,tpot_s,"
                                     "e2e_s,migrated,live_migrated,retries,status,preemptions,cached_tokens\n";
        if (torta_csv_out_open(&m->req, dir, "requests.csv", gzip_level, header, e))
            return e->code;
    }
    if (dir) {
        char header[1024] = "slot,start_s,end_s,region,arrivals,served,occupancy,queued,running,switches,"
                            "offered_rps,capacity_rps,load,busy_fraction,starting,active,draining";
        for (int k = 0; k < torta_n_cost_components; k++)
            snprintf(header + strlen(header), sizeof header - strlen(header), ",%s",
                     torta_cost_components[k].column);
        strcat(header, ",total_usd,gpu_busy_view_usd,prefix_prompt_tokens,prefix_hit_tokens,prefix_hit_rate\n");
        if (torta_csv_out_open(&m->slot, dir, "slots.csv", gzip_level, header, e))
            return e->code;
    }
    return 0;
}

void torta_metrics_free(torta_metrics *m)
{
    if (!m)
        return;
    torta_csv_out_free(&m->req);
    torta_csv_out_free(&m->slot);
    for (int i = 0; i < H_COUNT; i++)
        torta_hist_free(&m->hist[i]);
    free(m->served_slot);
    free(m->scratch);
    for (int r = 0; m->region_csv && r < m->n_regions; r++)
        free(m->region_csv[r]);
    for (int k = 0; m->model_csv && k < m->n_models; k++)
        free(m->model_csv[k]);
    free(m->region_csv);
    free(m->model_csv);
    free(m);
}

int torta_metrics_request(torta_metrics *m, const torta_sim *sim, const torta_request *r,
                          double net_out_s, double ttft_net_s, torta_err *e)
{
    int done = r->status == TORTA_REQ_COMPLETED;
    double network = 0, queue = 0, ttft = 0, tpot = 0, e2e = 0;
    if (done) {
        network = r->net_in_s + net_out_s;
        /* Everything before admission that is neither transfer nor model loading, including
         * time lost on a server that failed: e2e = network + queue + switch + service. */
        queue = r->admit_s - r->arrival_s - r->net_in_s - r->switch_s;
        if (queue < 0) /* rounding of the same instant along two paths */
            queue = 0;
        ttft = r->first_token_s - r->arrival_s + ttft_net_s;
        tpot = r->output_tokens > 1 ? (r->finish_s - r->first_token_s) / (r->output_tokens - 1) : 0.0;
        e2e = r->finish_s - r->arrival_s + net_out_s;
        double v[H_COUNT] = {ttft, tpot, e2e, network, queue, r->switch_s};
        for (int i = 0; i < H_COUNT; i++)
            if (i != H_TPOT || r->output_tokens > 1)
                torta_hist_add(&m->hist[i], v[i]);
        m->served_slot[r->serve_region] += 1;
        m->completed++;
        m->slo_met += ttft <= m->slo_ttft_s && e2e <= m->slo_e2e_s;
    }
    if (!m->req.f)
        return 0;
    /* One row, formatted by hand: fprintf's %.6f cost more than simulating the request. */
    if (torta_csv_out_room(&m->req, e))
        return e->code;
    char *p = m->req.buf + m->req.len;
    p = torta_fmt_i64(p, (int64_t)r->id);
    *p++ = ',';
    p = torta_fmt_fixed6(p, r->arrival_s);
    *p++ = ',';
    p = torta_fmt_str(p, m->region_csv[r->origin]);
    *p++ = ',';
    p = torta_fmt_str(p, r->serve_region >= 0 ? m->region_csv[r->serve_region] : "");
    *p++ = ',';
    p = torta_fmt_i64(p, r->server >= 0 ? r->server : -1);
    *p++ = ',';
    p = torta_fmt_str(p, m->model_csv[r->model]);
    *p++ = ',';
    p = torta_fmt_i64(p, r->input_tokens);
    *p++ = ',';
    p = torta_fmt_i64(p, r->output_tokens);
    const double times[] = {network, queue, done ? r->switch_s : 0.0, ttft, tpot, e2e};
    for (size_t k = 0; k < sizeof times / sizeof *times; k++) {
        *p++ = ',';
        p = torta_fmt_fixed6(p, times[k]);
    }
    *p++ = ',';
    p = torta_fmt_i64(p, r->migrations);
    *p++ = ',';
    p = torta_fmt_i64(p, r->live_migrations);
    *p++ = ',';
    p = torta_fmt_i64(p, r->retries);
    *p++ = ',';
    p = torta_fmt_str(p, torta_req_status_name(r->status));
    *p++ = ','; /* after status: columns added later go last, so readers by position keep working */
    p = torta_fmt_i64(p, r->preemptions);
    *p++ = ',';
    p = torta_fmt_i64(p, r->cached_tokens);
    *p++ = '\n';
    m->req.len = (size_t)(p - m->req.buf);
    return 0;
}

/* Mean, std, CV, Jain's index and max of u[0..n), folded into acc with weight w. */
static void spread(const double *u, int n, double w, spread_acc *acc)
{
    double s = 0, s2 = 0, mx = 0;
    for (int i = 0; i < n; i++) {
        s += u[i];
        s2 += u[i] * u[i];
        mx = u[i] > mx ? u[i] : mx;
    }
    double mean = n > 0 ? s / n : 0.0;
    double var = n > 0 ? s2 / n - mean * mean : 0.0;
    double sd = var > 0 ? sqrt(var) : 0.0;
    acc->mean += mean * w;
    acc->std += sd * w;
    acc->cv += (mean > 0 ? sd / mean : 0.0) * w;
    acc->jain += (s2 > 0 ? s * s / (n * s2) : 1.0) * w;
    acc->max += mx * w;
}

/* One region's row of slots.csv. */
static int write_slot_row(torta_metrics *m, const torta_sim *sim, int r, double start, double end,
                          double occ, double offered, double capacity, double load, double busy,
                          int64_t sw, torta_err *e)
{
    const torta_region_state *g = &sim->region_pub[r];
    const torta_ledger *l = sim->ledger;
    const double *usd = l->slot_usd + (size_t)r * l->n_costs;
    int starting = 0, active = 0, draining = 0;
    for (int c = 0; c < TORTA_N_CLASSES; c++) {
        starting += g->starting[c];
        active += g->active[c];
        draining += g->draining[c];
    }
    if (torta_csv_out_room(&m->slot, e))
        return e->code;
    char *p = m->slot.buf + m->slot.len;
    size_t room = TORTA_CSV_ROW_MAX;
    int n = snprintf(p, room, "%lld,%.3f,%.3f,%s,%.0f,%.0f,%.6f,%d,%d,%lld,%.6f,%.6f,%.6f,%.6f,%d,%d,%d",
                     (long long)sim->slot, start, end, m->region_csv[r], g->arrivals_slot,
                     m->served_slot[r], occ, g->queued + g->deferred, g->running, (long long)sw,
                     offered, capacity, load, busy, starting, active, draining);
    for (int k = 0; k < l->n_costs && n > 0 && (size_t)n < room; k++)
        n += snprintf(p + n, room - (size_t)n, ",%.9f", usd[k]);
    /* Prefix cache: prompt tokens prefilled on its servers in the slot, and those found cached. */
    double prompt = 0, hit = 0;
    for (int s = g->first_server; s < g->first_server + g->n_servers; s++) {
        torta_prefix_srv *pc = sim->servers[s].prefix;
        if (pc) {
            prompt += pc->slot_prompt_tokens;
            hit += pc->slot_hit_tokens;
        }
    }
    if (n > 0 && (size_t)n < room)
        n += snprintf(p + n, room - (size_t)n, ",%.9f,%.6f,%.0f,%.0f,%.6f\n",
                      torta_ledger_slot_region_total(l, r), l->busy_view_slot_usd[r], prompt, hit,
                      prompt > 0 ? hit / prompt : 0.0);
    if (n <= 0 || (size_t)n >= room)
        return torta_err_set(e, TORTA_EINTERNAL, "slots.csv: a row of region %s is longer than %d bytes",
                             g->name, TORTA_CSV_ROW_MAX);
    m->slot.len += (size_t)n;
    return 0;
}

int torta_metrics_slot(torta_metrics *m, torta_sim *sim, double start, double end, torta_err *e)
{
    double len = end - start;
    if (len <= 0)
        return 0;
    int R = sim->n_regions, S = sim->n_servers;
    const torta_server_usage *use = sim->ledger->usage;
    double *u = m->scratch;
    /* Occupancy: per server, and the mean over each region's servers. */
    for (int s = 0; s < S; s++) {
        u[s] = use[s].occupancy;
        sim->server_pub[s].util_last_slot = u[s];
    }
    spread(u, S, len, &m->server_occ);
    for (int r = 0; r < R; r++) {
        const torta_region_state *g = &sim->region_pub[r];
        double sum = 0;
        for (int s = g->first_server; s < g->first_server + g->n_servers; s++)
            sum += use[s].occupancy;
        u[r] = g->n_servers ? sum / g->n_servers : 0.0;
        sim->region_pub[r].util_last_slot = u[r];
    }
    spread(u, R, len, &m->region_occ);
    for (int r = 0; r < R; r++) {
        torta_region_state *g = &sim->region_pub[r];
        double placed = 0, cap_s = 0, busy = 0, on = 0;
        int64_t sw = 0;
        for (int s = g->first_server; s < g->first_server + g->n_servers; s++) {
            placed += (double)use[s].placed;
            cap_s += sim->server_pub[s].sat_rps * use[s].active_s;
            busy += use[s].busy_s;
            on += use[s].on_s;
            sw += use[s].switches;
        }
        double offered = placed / len, capacity = cap_s / len;
        /* A region with no active capacity in the slot was offered nothing (only active servers
         * take requests): its load is 0. */
        double load = capacity > 0 ? offered / capacity : 0.0, busy_frac = on > 0 ? busy / on : 0.0;
        g->offered_rps_last_slot = offered;
        g->load_last_slot = load;
        m->switches += sw;
        m->region_busy += busy_frac * len / R;
        m->region_slots++;
        m->overloaded_region_slots += load > 1.0;
        if (m->slot.f && write_slot_row(m, sim, r, start, end, sim->region_pub[r].util_last_slot,
                                          offered, capacity, load, busy_frac, sw, e))
            return e->code;
        m->served_slot[r] = 0;
        u[r] = load;
    }
    spread(u, R, len, &m->region_load);
    for (int s = 0; s < S; s++)
        if (sim->servers[s].prefix)
            sim->servers[s].prefix->slot_prompt_tokens = sim->servers[s].prefix->slot_hit_tokens = 0;
    int n_active = 0;
    for (int s = 0; s < S; s++)
        if (use[s].active_s > 0 && sim->server_pub[s].sat_rps > 0)
            u[n_active++] = (double)use[s].placed / (sim->server_pub[s].sat_rps * use[s].active_s);
    spread(u, n_active, len, &m->server_load);
    m->weight += len;
    m->slots++;
    return 0;
}

int torta_metrics_close(torta_metrics *m, torta_err *e)
{
    int rc = torta_csv_out_close(&m->req, e);
    return rc ? rc : torta_csv_out_close(&m->slot, e);
}

/* The metric's name in summary.json's latency_s: hist_names[i] without "_s". */
static void metric_name(int i, char *out, size_t n)
{
    snprintf(out, n, "%.*s", (int)strlen(hist_names[i]) - 2, hist_names[i]);
}

/* %.17g: the bounds are exact doubles, read back bit for bit. */
static int write_buckets(FILE *f, const char *name, const torta_hist *h)
{
    for (size_t b = 0; b < TORTA_HIST_BUCKETS + 2; b++) {
        if (!h->count[b])
            continue;
        double lo, hi;
        torta_hist_bounds(b, &lo, &hi);
        if (fprintf(f, "%s,%.17g,%.17g,%llu\n", name, lo, hi, (unsigned long long)h->count[b]) < 0)
            return -1;
    }
    return 0;
}

int torta_metrics_write_latency(const torta_metrics *m, const char *dir, torta_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/latency.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return torta_err_set(e, TORTA_EIO, "%s: cannot write: %s", path, strerror(errno));
    int ok = fputs("metric,lower_s,upper_s,count\n", f) >= 0;
    for (int i = 0; ok && i < H_COUNT; i++) {
        char name[32];
        metric_name(i, name, sizeof name);
        ok = write_buckets(f, name, &m->hist[i]) == 0;
    }
    if (fclose(f) != 0)
        ok = 0;
    return ok ? 0 : torta_err_set(e, TORTA_EIO, "%s: write failed: %s", path, strerror(errno));
}

static cJSON *latency_json(const torta_hist *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "mean", torta_hist_mean(h));
    cJSON_AddNumberToObject(o, "p50", torta_hist_quantile(h, 0.50));
    cJSON_AddNumberToObject(o, "p95", torta_hist_quantile(h, 0.95));
    cJSON_AddNumberToObject(o, "p99", torta_hist_quantile(h, 0.99));
    cJSON_AddNumberToObject(o, "max", h->n ? h->max : 0.0);
    return o;
}

static void add_spread(cJSON *o, const char *prefix, const spread_acc *a, double w, int with_max)
{
    static const char *const names[] = {"mean", "std", "cv", "jain", "max"};
    const double v[] = {a->mean, a->std, a->cv, a->jain, a->max};
    for (int i = 0; i < (with_max ? 5 : 4); i++) {
        char key[64];
        snprintf(key, sizeof key, "%s_%s", prefix, names[i]);
        cJSON_AddNumberToObject(o, key, v[i] / w);
    }
}

/* The prefix cache's totals: token and block hit rates, over the run and, when a server has a
 * cache, per region and server (a region's or server's rate is 0 when nothing was prefilled
 * there). */
static cJSON *prefix_json(const torta_sim *sim)
{
    cJSON *o = cJSON_CreateObject();
    double capacity = 0, prompt = 0, hit = 0, blocks = 0, hit_blocks = 0, requests_hit = 0, evicted = 0;
    for (int s = 0; s < sim->n_servers; s++) {
        const torta_prefix_srv *p = sim->servers[s].prefix;
        if (!p)
            continue;
        capacity += p->cache.cap;
        blocks += (double)p->prompt_blocks;
        hit_blocks += (double)p->hit_blocks;
        requests_hit += (double)p->requests_hit;
        evicted += (double)p->cache.evicted;
    }
    for (int r = 0; r < sim->n_regions; r++) {
        prompt += sim->region_pub[r].prefix_prompt_tokens;
        hit += sim->region_pub[r].prefix_hit_tokens;
    }
    cJSON_AddNumberToObject(o, "block_tokens", sim->view.prefix_block_tokens);
    cJSON_AddNumberToObject(o, "capacity_blocks", capacity);
    cJSON_AddNumberToObject(o, "prompt_tokens", prompt);
    cJSON_AddNumberToObject(o, "hit_tokens", hit);
    cJSON_AddNumberToObject(o, "hit_rate", prompt > 0 ? hit / prompt : 0.0);
    cJSON_AddNumberToObject(o, "prompt_blocks", blocks);
    cJSON_AddNumberToObject(o, "hit_blocks", hit_blocks);
    cJSON_AddNumberToObject(o, "block_hit_rate", blocks > 0 ? hit_blocks / blocks : 0.0);
    cJSON_AddNumberToObject(o, "requests_hit", requests_hit);
    cJSON_AddNumberToObject(o, "evicted_blocks", evicted);
    if (capacity == 0)
        return o; /* no cache: every rate is 0, no per-region and per-server lists */
    cJSON *reg = cJSON_AddArrayToObject(o, "region_hit_rate");
    for (int r = 0; r < sim->n_regions; r++)
        cJSON_AddItemToArray(reg, cJSON_CreateNumber(sim->region_pub[r].prefix_hit_rate));
    cJSON *srv = cJSON_AddArrayToObject(o, "server_hit_rate");
    for (int s = 0; s < sim->n_servers; s++)
        cJSON_AddItemToArray(srv, cJSON_CreateNumber(sim->server_pub[s].prefix_hit_rate));
    return o;
}

cJSON *torta_metrics_summary(const torta_metrics *m, const torta_sim *sim, const char *workload,
                             int complete)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "version", TORTA_VERSION);
    cJSON_AddBoolToObject(s, "complete", complete);
    cJSON_AddItemToObject(s, "seed", torta_seed_json(sim->seed)); /* a string above 2^53 */
    char fp[32];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)sim->fingerprint);
    cJSON_AddStringToObject(s, "fingerprint", fp);
    cJSON *topo = cJSON_AddObjectToObject(s, "topology");
    cJSON_AddStringToObject(topo, "name", sim->topo->network_name);
    cJSON_AddStringToObject(topo, "file", sim->topo->source_path);
    cJSON_AddNumberToObject(topo, "sites", sim->topo->n_sites);
    cJSON_AddNumberToObject(topo, "regions", sim->n_regions);
    cJSON_AddNumberToObject(topo, "servers", sim->n_servers);
    cJSON *dropped = cJSON_AddArrayToObject(topo, "dropped_sites");
    for (int i = 0; i < sim->topo->n_dropped; i++)
        cJSON_AddItemToArray(dropped, cJSON_CreateString(sim->topo->dropped[i]));
    cJSON_AddStringToObject(s, "workload", workload);
    const char *first = NULL;
    long fixed = torta_source_warnings(sim->source, &first);
    cJSON_AddNumberToObject(s, "workload_warnings", (double)fixed);
    cJSON *sch = cJSON_AddObjectToObject(s, "scheduler");
    cJSON_AddStringToObject(sch, "macro", sim->macro->name);
    cJSON_AddStringToObject(sch, "micro", sim->micro->name);
    cJSON *c = cJSON_AddObjectToObject(s, "requests");
    cJSON_AddNumberToObject(c, "arrived", (double)sim->arrived);
    cJSON_AddNumberToObject(c, "completed", (double)sim->completed);
    cJSON_AddNumberToObject(c, "rejected", (double)sim->rejected);
    cJSON_AddNumberToObject(c, "in_flight", (double)sim->in_flight);
    cJSON_AddNumberToObject(c, "rejected_over_context", (double)sim->rejected_over_context);
    /* Longer than the model's context, whatever server.context_policy did with them. */
    cJSON_AddNumberToObject(c, "over_context", (double)sim->over_context);
    cJSON_AddNumberToObject(c, "truncated_to_context", (double)sim->truncated);
    cJSON *fit = cJSON_AddObjectToObject(c, "beyond_profile_fit");
    static const char *const fit_keys[] = {"prompt", "context", "batch", "any"};
    for (int k = 0; k < 4; k++)
        cJSON_AddNumberToObject(fit, fit_keys[k], (double)sim->beyond_fit[k]);
    /* Time-average number of requests in the system over [0, end of run] (Little's law: equals
     * arrival rate x mean time in system for a run that drains). */
    cJSON_AddNumberToObject(c, "time_avg_in_system",
                            sim->now > 0 ? (sim->in_system_area +
                                            (double)sim->in_flight * (sim->now - sim->in_system_since)) / sim->now
                                         : 0.0);
    cJSON *lat = cJSON_AddObjectToObject(s, "latency_s");
    for (int i = 0; i < H_COUNT; i++) {
        char key[32];
        metric_name(i, key, sizeof key);
        cJSON_AddItemToObject(lat, key, latency_json(&m->hist[i]));
    }
    cJSON *slo = cJSON_AddObjectToObject(s, "slo");
    cJSON_AddNumberToObject(slo, "ttft_s", m->slo_ttft_s);
    cJSON_AddNumberToObject(slo, "e2e_s", m->slo_e2e_s);
    cJSON_AddNumberToObject(slo, "attainment", m->completed ? (double)m->slo_met / (double)m->completed : 0.0);
    double w = m->weight > 0 ? m->weight : 1;
    cJSON *lb = cJSON_AddObjectToObject(s, "load_balance");
    add_spread(lb, "region_load", &m->region_load, w, 1);
    add_spread(lb, "server_load", &m->server_load, w, 0);
    cJSON_AddNumberToObject(lb, "region_busy_fraction", m->region_busy / w);
    cJSON_AddNumberToObject(lb, "overloaded_region_slot_share",
                            m->region_slots ? (double)m->overloaded_region_slots / m->region_slots : 0.0);
    cJSON *occ = cJSON_AddObjectToObject(s, "occupancy");
    add_spread(occ, "region", &m->region_occ, w, 0);
    add_spread(occ, "server", &m->server_occ, w, 0);
    const torta_ledger *l = sim->ledger;
    cJSON *cost = cJSON_AddObjectToObject(s, "cost_usd");
    for (int k = 0; k < l->n_costs; k++)
        cJSON_AddNumberToObject(cost, torta_cost_components[k].name, l->total_usd[k]);
    cJSON_AddNumberToObject(cost, "total", torta_ledger_total(l));
    /* What a pay-per-busy-second bill would charge for the GPUs: a view, not in the total. */
    cJSON_AddNumberToObject(s, "gpu_busy_view_usd", l->busy_view_total_usd);
    cJSON_AddNumberToObject(s, "egress_bytes", l->egress_bytes);
    int64_t starts, stops, preemptions;
    torta_capacity_counts(sim->capacity, &starts, &stops, &preemptions);
    cJSON *life = cJSON_AddObjectToObject(s, "capacity");
    cJSON_AddNumberToObject(life, "server_starts", (double)starts);
    cJSON_AddNumberToObject(life, "server_stops", (double)stops);
    cJSON_AddNumberToObject(life, "spot_preemptions", (double)preemptions);
    cJSON_AddItemToObject(s, "prefix_cache", prefix_json(sim));
    cJSON_AddNumberToObject(s, "switches", (double)m->switches);
    cJSON_AddNumberToObject(s, "migrations", (double)sim->migrations);
    cJSON_AddNumberToObject(s, "server_failures", (double)sim->failures);
    cJSON_AddNumberToObject(s, "retries", (double)sim->retries);
    cJSON_AddNumberToObject(s, "live_migrations", (double)sim->live_migrations);
    cJSON_AddNumberToObject(s, "kv_bytes_moved", sim->kv_bytes_moved);
    /* Paged KV cache (server.kv_policy): preemptions by recompute, the requests preempted at
     * least once and their share of the arrivals, and the fullest any paged server got. */
    cJSON *kv = cJSON_AddObjectToObject(s, "kv");
    cJSON_AddNumberToObject(kv, "preemptions", (double)sim->kv_preemptions);
    cJSON_AddNumberToObject(kv, "preempted_requests", (double)sim->kv_preempted_requests);
    cJSON_AddNumberToObject(kv, "preempted_share",
                            sim->arrived > 0 ? (double)sim->kv_preempted_requests / (double)sim->arrived : 0.0);
    double peak = 0;
    int paged = 0;
    for (int i = 0; i < sim->n_servers; i++) {
        const torta_kv_blocks *b = sim->servers[i].kv;
        if (b) {
            paged++;
            peak = fmax(peak, b->peak_use);
        }
    }
    cJSON_AddNumberToObject(kv, "paged_servers", paged);
    cJSON_AddNumberToObject(kv, "peak_block_use", peak);
    cJSON_AddNumberToObject(s, "slots", (double)m->slots);
    cJSON_AddNumberToObject(s, "sim_time_s", sim->now);
    cJSON_AddNumberToObject(s, "events", (double)sim->events);
    return s;
}

static double num(const cJSON *root, const char *a, const char *b, const char *c)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    if (c)
        v = cJSON_GetObjectItemCaseSensitive(v, c);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

void torta_metrics_print_table(const cJSON *s, FILE *out)
{
    const cJSON *sch = cJSON_GetObjectItemCaseSensitive(s, "scheduler");
    const cJSON *topo = cJSON_GetObjectItemCaseSensitive(s, "topology");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(s, "seed");
    char seed_text[32];
    if (cJSON_IsString(seed))
        snprintf(seed_text, sizeof seed_text, "%.31s", seed->valuestring);
    else
        snprintf(seed_text, sizeof seed_text, "%.0f", num(s, "seed", NULL, NULL));
    fprintf(out, "torta-sim %s  topology %s (%g regions, %g servers)  macro %s  micro %s  seed %s\n",
            cJSON_GetObjectItemCaseSensitive(s, "version")->valuestring,
            cJSON_GetObjectItemCaseSensitive(topo, "name")->valuestring, num(s, "topology", "regions", NULL),
            num(s, "topology", "servers", NULL),
            cJSON_GetObjectItemCaseSensitive(sch, "macro")->valuestring,
            cJSON_GetObjectItemCaseSensitive(sch, "micro")->valuestring, seed_text);
    fprintf(out, "requests   %.0f arrived  %.0f completed  %.0f rejected  %.0f in flight\n",
            num(s, "requests", "arrived", NULL), num(s, "requests", "completed", NULL),
            num(s, "requests", "rejected", NULL), num(s, "requests", "in_flight", NULL));
    fprintf(out, "latency (s)      mean       p50       p95       p99\n");
    static const char *const rows[] = {"ttft", "tpot", "e2e", "network", "queue"};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        fprintf(out, "  %-8s %9.4f %9.4f %9.4f %9.4f\n", rows[i], num(s, "latency_s", rows[i], "mean"),
                num(s, "latency_s", rows[i], "p50"), num(s, "latency_s", rows[i], "p95"),
                num(s, "latency_s", rows[i], "p99"));
    fprintf(out, "load       region mean %.3f max %.3f std %.4f jain %.3f  over capacity %.1f%% of "
            "region-slots  server std %.4f\n",
            num(s, "load_balance", "region_load_mean", NULL), num(s, "load_balance", "region_load_max", NULL),
            num(s, "load_balance", "region_load_std", NULL), num(s, "load_balance", "region_load_jain", NULL),
            100 * num(s, "load_balance", "overloaded_region_slot_share", NULL),
            num(s, "load_balance", "server_load_std", NULL));
    fprintf(out, "cost (USD) reserved %.2f  on-demand %.2f  spot %.2f  energy %.2f  carbon %.2f  network "
            "%.4f  switching %.2f  migration %.2f  total %.2f\n",
            num(s, "cost_usd", "reserved", NULL), num(s, "cost_usd", "on_demand", NULL),
            num(s, "cost_usd", "spot", NULL), num(s, "cost_usd", "energy", NULL),
            num(s, "cost_usd", "carbon", NULL), num(s, "cost_usd", "network", NULL),
            num(s, "cost_usd", "switching", NULL), num(s, "cost_usd", "migration", NULL),
            num(s, "cost_usd", "total", NULL));
    fprintf(out, "capacity   %.0f server starts  %.0f stops  %.0f spot preemptions\n",
            num(s, "capacity", "server_starts", NULL), num(s, "capacity", "server_stops", NULL),
            num(s, "capacity", "spot_preemptions", NULL));
    fprintf(out, "switches %.0f  migrations %.0f  failures %.0f  retries %.0f  fingerprint %s\n",
            num(s, "switches", NULL, NULL), num(s, "migrations", NULL, NULL),
            num(s, "server_failures", NULL, NULL), num(s, "retries", NULL, NULL),
            cJSON_GetObjectItemCaseSensitive(s, "fingerprint")->valuestring);
}
