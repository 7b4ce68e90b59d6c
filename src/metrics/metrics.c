/* Collectors and writers for requests.csv, slots.csv and the run summary. */
#include "metrics/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/csvfmt.h"
#include "metrics/histogram.h"
#include "torta/config.h"

enum { H_TTFT, H_TPOT, H_E2E, H_NET, H_QUEUE, H_SWITCH, H_COUNT };
static const char *const hist_names[H_COUNT] = {"ttft_s", "tpot_s", "e2e_s", "network_s", "queue_s", "switch_s"};

/* Each CSV file has a buffer of CSV_BUF_BYTES. requests.csv rows are formatted straight into
 * theirs, written out when fewer than ROW_MAX_BYTES remain. A row holds three quoted names (600
 * characters each before quoting), 7 integers and 7 times. */
enum { CSV_BUF_BYTES = 1 << 20, ROW_MAX_BYTES = 8192 };

struct torta_metrics {
    FILE *req_csv, *slot_csv;
    char *req_buf, *slot_buf;
    size_t req_len; /* bytes of req_buf not yet written */
    char **region_csv;          /* region names, CSV-quoted where needed */
    char **model_csv;
    int n_regions, n_models;
    torta_hist hist[H_COUNT];
    /* Per region, accumulated over the current slot. */
    double *served_slot, *network_usd_slot, *migration_usd_slot;
    /* Totals. */
    double energy_usd, gpu_usd, network_usd, switching_usd, migration_usd;
    double egress_bytes;
    int64_t switches;
    /* Load balance, averaged over slots (weighted by slot length). */
    double lb_weight, region_std, server_std, region_cv, server_cv, region_jain, server_jain;
    double region_util_sum, server_util_sum; /* time-weighted mean utilisation */
    int64_t slots;
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

/* Opens dir/name with a buffer in *buf (stdio's, or the caller's when own_buffer). */
static FILE *open_csv(const char *dir, const char *name, char **buf, int own_buffer,
                      const char *header, torta_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        torta_err_set(e, TORTA_EIO, "%s: cannot write: %s", path, strerror(errno));
        return NULL;
    }
    *buf = malloc(CSV_BUF_BYTES);
    if (!*buf) {
        fclose(f);
        torta_err_set(e, TORTA_ENOMEM, "out of memory");
        return NULL;
    }
    if (!own_buffer)
        setvbuf(f, *buf, _IOFBF, CSV_BUF_BYTES);
    fputs(header, f);
    return f;
}

int torta_metrics_new(torta_sim *sim, const char *dir, int requests_csv, torta_metrics **out,
                      torta_err *e)
{
    torta_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    *out = m;
    for (int i = 0; i < H_COUNT; i++)
        if (torta_hist_init(&m->hist[i]))
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    m->served_slot = calloc((size_t)sim->n_regions, sizeof(double));
    m->network_usd_slot = calloc((size_t)sim->n_regions, sizeof(double));
    m->migration_usd_slot = calloc((size_t)sim->n_regions, sizeof(double));
    m->region_csv = calloc((size_t)sim->n_regions, sizeof(char *));
    m->model_csv = calloc((size_t)sim->n_models, sizeof(char *));
    if (!m->served_slot || !m->network_usd_slot || !m->migration_usd_slot || !m->region_csv ||
        !m->model_csv)
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
        m->req_csv = open_csv(dir, "requests.csv", &m->req_buf, 1,
                              "request_id,arrival_s,origin_region,serve_region,server_id,model,"
                              "input_tokens,output_tokens,network_s,queue_s,switch_s,ttft_s,tpot_s,"
                              "e2e_s,migrated,live_migrated,retries,status\n", e);
        if (!m->req_csv)
            return e->code;
    }
    if (dir) {
        m->slot_csv = open_csv(dir, "slots.csv", &m->slot_buf, 0,
                               "slot,start_s,end_s,region,arrivals,served,utilisation,queued,running,"
                               "switches,energy_usd,gpu_usd,switching_usd,network_usd,migration_usd\n", e);
        if (!m->slot_csv)
            return e->code;
    }
    return 0;
}

void torta_metrics_free(torta_metrics *m)
{
    if (!m)
        return;
    if (m->req_csv)
        fclose(m->req_csv);
    if (m->slot_csv)
        fclose(m->slot_csv);
    free(m->req_buf);
    free(m->slot_buf);
    for (int i = 0; i < H_COUNT; i++)
        torta_hist_free(&m->hist[i]);
    free(m->served_slot);
    free(m->network_usd_slot);
    free(m->migration_usd_slot);
    for (int r = 0; m->region_csv && r < m->n_regions; r++)
        free(m->region_csv[r]);
    for (int k = 0; m->model_csv && k < m->n_models; k++)
        free(m->model_csv[k]);
    free(m->region_csv);
    free(m->model_csv);
    free(m);
}

void torta_metrics_migration(torta_metrics *m, int region, double usd, double bytes)
{
    m->migration_usd_slot[region] += usd;
    m->egress_bytes += bytes;
}

static int flush_requests(torta_metrics *m, torta_err *e)
{
    size_t n = m->req_len;
    m->req_len = 0;
    if (fwrite(m->req_buf, 1, n, m->req_csv) != n)
        return torta_err_set(e, TORTA_EIO, "requests.csv: write failed: %s", strerror(errno));
    return 0;
}

int torta_metrics_request(torta_metrics *m, const torta_sim *sim, const torta_request *r,
                          double net_out_s, double ttft_net_s, double network_usd, torta_err *e)
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
        m->network_usd_slot[r->serve_region] += network_usd;
        m->egress_bytes += r->serve_region != r->origin
                               ? sim->bytes_per_token * (r->input_tokens + r->output_tokens)
                               : 0;
    }
    if (!m->req_csv)
        return 0;
    /* One row, formatted by hand: fprintf's %.6f cost more than simulating the request. */
    if (CSV_BUF_BYTES - m->req_len < ROW_MAX_BYTES && flush_requests(m, e))
        return e->code;
    char *p = m->req_buf + m->req_len;
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
    *p++ = '\n';
    m->req_len = (size_t)(p - m->req_buf);
    return 0;
}

static void spread(const double *u, int n, double *mean, double *sd, double *cv, double *jain)
{
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        s += u[i];
        s2 += u[i] * u[i];
    }
    *mean = s / n;
    double var = s2 / n - (*mean) * (*mean);
    *sd = var > 0 ? sqrt(var) : 0.0;
    *cv = *mean > 0 ? *sd / *mean : 0.0;
    *jain = s2 > 0 ? s * s / (n * s2) : 1.0;
}

int torta_metrics_slot(torta_metrics *m, torta_sim *sim, double start, double end, torta_err *e)
{
    double len = end - start;
    if (len <= 0)
        return 0;
    int R = sim->n_regions, S = sim->n_servers;
    double *ureg = malloc(sizeof(double) * (size_t)R), *usrv = malloc(sizeof(double) * (size_t)S);
    if (!ureg || !usrv) {
        free(ureg);
        free(usrv);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    }
    for (int r = 0; r < R; r++) {
        torta_region_state *g = &sim->region_pub[r];
        double busy = 0, energy = 0, gpu = 0, sw_usd = 0;
        int64_t sw = 0;
        for (int s = g->first_server; s < g->first_server + g->n_servers; s++) {
            torta_server *sv = &sim->servers[s];
            torta_server_slot_flush(sim, s, end);
            double active = sv->busy_slot_s + sv->load_slot_s;
            double joules = sv->idle_w * len + (sv->busy_w - sv->idle_w) * (active < len ? active : len);
            energy += joules / 3.6e6 * g->electricity_usd_per_kwh;
            gpu += sv->busy_slot_s * sv->gpu_usd_per_s;
            sw_usd += sv->load_slot_s * sv->gpu_usd_per_s;
            sw += sv->switches_slot;
            usrv[s] = torta_server_take_utilisation(sim, s, start, end);
            busy += usrv[s];
            sim->server_pub[s].util_last_slot = usrv[s];
            sv->busy_slot_s = sv->load_slot_s = 0;
            sv->switches_slot = 0;
        }
        ureg[r] = g->n_servers ? busy / g->n_servers : 0.0;
        g->cost_usd_last_slot = energy + gpu + sw_usd + m->network_usd_slot[r] + m->migration_usd_slot[r];
        g->util_last_slot = ureg[r];
        m->energy_usd += energy;
        m->gpu_usd += gpu;
        m->switching_usd += sw_usd;
        m->network_usd += m->network_usd_slot[r];
        m->switches += sw;
        if (m->slot_csv &&
            fprintf(m->slot_csv, "%lld,%.3f,%.3f,%s,%.0f,%.0f,%.6f,%d,%d,%lld,%.6f,%.6f,%.6f,%.9f,%.9f\n",
                    (long long)sim->slot, start, end, m->region_csv[r], g->arrivals_slot,
                    m->served_slot[r], ureg[r], g->queued + g->deferred, g->running, (long long)sw,
                    energy, gpu, sw_usd, m->network_usd_slot[r], m->migration_usd_slot[r]) < 0) {
            free(ureg);
            free(usrv);
            return torta_err_set(e, TORTA_EIO, "slots.csv: write failed: %s", strerror(errno));
        }
        m->served_slot[r] = 0;
        m->network_usd_slot[r] = 0;
        m->migration_usd += m->migration_usd_slot[r];
        m->migration_usd_slot[r] = 0;
    }
    double mean, sd, cv, jain;
    spread(ureg, R, &mean, &sd, &cv, &jain);
    m->region_std += sd * len;
    m->region_cv += cv * len;
    m->region_jain += jain * len;
    m->region_util_sum += mean * len;
    spread(usrv, S, &mean, &sd, &cv, &jain);
    m->server_std += sd * len;
    m->server_cv += cv * len;
    m->server_jain += jain * len;
    m->server_util_sum += mean * len;
    m->lb_weight += len;
    m->slots++;
    free(ureg);
    free(usrv);
    return 0;
}

int torta_metrics_close(torta_metrics *m, torta_err *e)
{
    int rc = m->req_csv ? flush_requests(m, e) : 0;
    FILE **files[2] = {&m->req_csv, &m->slot_csv};
    const char *names[2] = {"requests.csv", "slots.csv"};
    for (int i = 0; i < 2; i++) {
        if (*files[i] && fclose(*files[i]) != 0 && !rc)
            rc = torta_err_set(e, TORTA_EIO, "%s: write failed: %s", names[i], strerror(errno));
        *files[i] = NULL;
    }
    return rc;
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
    /* Time-average number of requests in the system over [0, end of run] (Little's law: equals
     * arrival rate x mean time in system for a run that drains). */
    cJSON_AddNumberToObject(c, "time_avg_in_system",
                            sim->now > 0 ? (sim->in_system_area +
                                            (double)sim->in_flight * (sim->now - sim->in_system_since)) / sim->now
                                         : 0.0);
    cJSON *lat = cJSON_AddObjectToObject(s, "latency_s");
    for (int i = 0; i < H_COUNT; i++) {
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)strlen(hist_names[i]) - 2, hist_names[i]);
        cJSON_AddItemToObject(lat, key, latency_json(&m->hist[i]));
    }
    double w = m->lb_weight > 0 ? m->lb_weight : 1;
    cJSON *lb = cJSON_AddObjectToObject(s, "load_balance");
    cJSON_AddNumberToObject(lb, "region_util_mean", m->region_util_sum / w);
    cJSON_AddNumberToObject(lb, "region_util_std", m->region_std / w);
    cJSON_AddNumberToObject(lb, "region_util_cv", m->region_cv / w);
    cJSON_AddNumberToObject(lb, "region_jain", m->region_jain / w);
    cJSON_AddNumberToObject(lb, "server_util_mean", m->server_util_sum / w);
    cJSON_AddNumberToObject(lb, "server_util_std", m->server_std / w);
    cJSON_AddNumberToObject(lb, "server_util_cv", m->server_cv / w);
    cJSON_AddNumberToObject(lb, "server_jain", m->server_jain / w);
    cJSON *cost = cJSON_AddObjectToObject(s, "cost_usd");
    cJSON_AddNumberToObject(cost, "energy", m->energy_usd);
    cJSON_AddNumberToObject(cost, "gpu_time", m->gpu_usd);
    cJSON_AddNumberToObject(cost, "network", m->network_usd);
    cJSON_AddNumberToObject(cost, "migration", m->migration_usd);
    cJSON_AddNumberToObject(cost, "switching", m->switching_usd);
    cJSON_AddNumberToObject(cost, "total", m->energy_usd + m->gpu_usd + m->network_usd +
                                               m->migration_usd + m->switching_usd);
    cJSON_AddNumberToObject(s, "egress_bytes", m->egress_bytes);
    cJSON_AddNumberToObject(s, "switches", (double)m->switches);
    cJSON_AddNumberToObject(s, "migrations", (double)sim->migrations);
    cJSON_AddNumberToObject(s, "server_failures", (double)sim->failures);
    cJSON_AddNumberToObject(s, "retries", (double)sim->retries);
    cJSON_AddNumberToObject(s, "live_migrations", (double)sim->live_migrations);
    cJSON_AddNumberToObject(s, "kv_bytes_moved", sim->kv_bytes_moved);
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
    fprintf(out, "load       region util mean %.3f std %.4f  server std %.4f  jain %.3f\n",
            num(s, "load_balance", "region_util_mean", NULL), num(s, "load_balance", "region_util_std", NULL),
            num(s, "load_balance", "server_util_std", NULL), num(s, "load_balance", "region_jain", NULL));
    fprintf(out, "cost (USD) energy %.2f  gpu %.2f  network %.4f  switching %.2f  migration %.2f  total %.2f\n",
            num(s, "cost_usd", "energy", NULL), num(s, "cost_usd", "gpu_time", NULL),
            num(s, "cost_usd", "network", NULL), num(s, "cost_usd", "switching", NULL),
            num(s, "cost_usd", "migration", NULL), num(s, "cost_usd", "total", NULL));
    fprintf(out, "switches %.0f  migrations %.0f  failures %.0f  retries %.0f  fingerprint %s\n",
            num(s, "switches", NULL, NULL), num(s, "migrations", NULL, NULL),
            num(s, "server_failures", NULL, NULL), num(s, "retries", NULL, NULL),
            cJSON_GetObjectItemCaseSensitive(s, "fingerprint")->valuestring);
}
