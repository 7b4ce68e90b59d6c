/* The bound's outputs: bound.json (costs, what they include and leave out, the LP's size and
 * status, per region figures) and bound_slots.csv (per slot and region). Both deterministic:
 * the solve time goes to stderr from the CLI, never here. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bound/bound.h"
#include "metrics/outdir.h"

static void add_costs(cJSON *o, const double *c)
{
    double total = 0;
    for (int k = 0; k < TORTA_BOUND_N_COSTS; k++) {
        cJSON_AddNumberToObject(o, torta_bound_cost_names[k], c[k]);
        total += c[k];
    }
    cJSON_AddNumberToObject(o, "total", total);
}

/* What the bound charges and what it leaves out: each omission can only lower it. */
static void add_scope(cJSON *j)
{
    static const char *const in[][2] = {
        {"reserved", "every reserved server at its reserved price for horizon_s (the last arrival; "
                     "a run lasts at least that long)"},
        {"on_demand", "billed on-demand server-seconds: active in a slot, and on from start_lead_s "
                      "before (boot + weight load) at the on-demand price"},
        {"spot", "as on_demand, at the spot price"},
        {"network", "egress of requests served outside their origin: bytes_per_token x the mean "
                    "input + output tokens of their origin and slot x the path's egress price"},
        {"energy_idle", "idle power of every billed server at its region's electricity price"}};
    static const char *const out[][2] = {
        {"energy_busy", "power above idle while serving or loading"},
        {"switching", "model loads (one model per server here)"},
        {"migration", "moves of queued or running requests"},
        {"carbon", "carbon price of the energy"},
        {"min_billing", "the billing minimum per on-demand / spot session (only raises cost)"},
        {"draining", "servers billed while they finish what they hold"},
        {"spot_preemptions", "spot servers are never taken away"},
        {"faults", "server failures and region outages"},
        {"integrality", "server counts are continuous (fractional servers)"},
        {"backlog", "demand is served within its slot at most max_load x saturation capacity; a "
                    "policy that lets queues carry work into later slots is outside this bound"}};
    cJSON *a = cJSON_AddObjectToObject(j, "includes");
    for (size_t k = 0; a && k < sizeof in / sizeof *in; k++)
        cJSON_AddStringToObject(a, in[k][0], in[k][1]);
    cJSON *b = cJSON_AddObjectToObject(j, "excludes");
    for (size_t k = 0; b && k < sizeof out / sizeof *out; k++)
        cJSON_AddStringToObject(b, out[k][0], out[k][1]);
}

static double peak(const double *v, int T, int R, int j)
{
    double m = 0;
    for (int t = 0; t < T; t++)
        if (v[(size_t)t * R + j] > m)
            m = v[(size_t)t * R + j];
    return m;
}

cJSON *torta_bound_json(const torta_sim *sim, const torta_bound_demand *d, const torta_bound_opts *o,
                        const torta_bound_result *r)
{
    int R = r->n_regions, T = r->n_slots;
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return NULL;
    add_costs(cJSON_AddObjectToObject(j, "cost_usd"), r->cost_usd);
    add_scope(j);
    cJSON *lp = cJSON_AddObjectToObject(j, "lp");
    cJSON_AddNumberToObject(lp, "rows", r->rows);
    cJSON_AddNumberToObject(lp, "cols", r->cols);
    cJSON_AddStringToObject(lp, "status", r->status);
    cJSON_AddStringToObject(lp, "method", torta_bound_method_names[r->method]);
    cJSON_AddNumberToObject(j, "slot_s", d->slot_s);
    cJSON_AddNumberToObject(j, "n_slots", T);
    cJSON_AddNumberToObject(j, "horizon_s", d->horizon_s);
    cJSON_AddNumberToObject(j, "max_load", o->max_load);
    cJSON_AddNumberToObject(j, "requests", (double)d->n_requests);
    cJSON_AddStringToObject(j, "workload", torta_source_describe(sim->source));
    cJSON *regions = cJSON_AddArrayToObject(j, "regions");
    for (int g = 0; g < R && regions; g++) {
        cJSON *x = cJSON_CreateObject();
        if (!x)
            break;
        cJSON_AddItemToArray(regions, x);
        double dem = 0, served = 0, moved = 0;
        for (int t = 0; t < T; t++) {
            dem += d->req[(size_t)t * R + g];
            served += r->served[(size_t)t * R + g];
            moved += r->moved_in[(size_t)t * R + g];
        }
        const int32_t *pool = r->pool + (size_t)g * TORTA_N_CLASSES;
        cJSON_AddStringToObject(x, "name", sim->region_pub[g].name);
        cJSON_AddNumberToObject(x, "reserved_servers", pool[TORTA_CLASS_RESERVED]);
        cJSON_AddNumberToObject(x, "on_demand_pool", pool[TORTA_CLASS_ON_DEMAND]);
        cJSON_AddNumberToObject(x, "spot_pool", pool[TORTA_CLASS_SPOT]);
        cJSON_AddNumberToObject(x, "reserved_rps", r->reserved_rps[g]);
        cJSON_AddNumberToObject(x, "start_lead_s", r->lead_s[g]);
        cJSON_AddNumberToObject(x, "demand_requests", dem);
        cJSON_AddNumberToObject(x, "served_requests", served);
        cJSON_AddNumberToObject(x, "served_from_other_regions", moved);
        cJSON_AddNumberToObject(x, "peak_on_demand_servers", peak(r->active[0], T, R, g));
        cJSON_AddNumberToObject(x, "peak_spot_servers", peak(r->active[1], T, R, g));
        add_costs(cJSON_AddObjectToObject(x, "cost_usd"), r->region_cost_usd + (size_t)g * TORTA_BOUND_N_COSTS);
    }
    return j;
}

static int write_slots(const char *dir, const torta_bound_demand *d, const torta_sim *sim,
                       const torta_bound_result *r, torta_err *e)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/bound_slots.csv", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int ok = f && fputs("slot,start_s,region,demand_rps,served_rps,on_demand_servers,spot_servers,"
                        "capacity_rps,on_demand_billed,spot_billed\n", f) >= 0;
    int R = r->n_regions;
    double L = d->slot_s;
    for (int t = 0; ok && t < r->n_slots; t++)
        for (int g = 0; ok && g < R; g++) {
            size_t k = (size_t)t * R + g;
            ok = fprintf(f, "%d,%.6f,%s,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f\n", t, t * L,
                         sim->region_pub[g].name, d->req[k] / L, r->served[k] / L, r->active[0][k],
                         r->active[1][k], r->capacity_rps[k], r->billed[0][k], r->billed[1][k]) > 0;
        }
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return torta_err_set(e, TORTA_EIO, "%s: cannot write: %s", path, strerror(errno));
    }
    return 0;
}

int torta_bound_write(const char *dir, const torta_sim *sim, const torta_bound_demand *d,
                      const torta_bound_opts *o, const torta_bound_result *r, torta_err *e)
{
    cJSON *j = torta_bound_json(sim, d, o, r);
    if (!j)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    int rc = torta_write_json(dir, "bound.json", j, e);
    cJSON_Delete(j);
    return rc ? rc : write_slots(dir, d, sim, r, e);
}
