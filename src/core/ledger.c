/* The cost ledger: a table of components, each charging one server for one slot, plus the
 * event-driven charges (egress, migrations). See ledger.h. */
#include "core/ledger.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double class_hours(const torta_sim *sim, int s, int cap_class, double billed_s)
{
    const torta_server_state *p = &sim->server_pub[s];
    return p->cap_class == cap_class ? billed_s * p->usd_per_hour / 3600.0 : 0.0;
}

/* Reserved: every second of the run, whatever the server does. */
static double charge_reserved(const torta_sim *sim, int s, const torta_server_usage *u, double len_s)
{
    return class_hours(sim, s, TORTA_CLASS_RESERVED, len_s);
}

/* On-demand and spot: per second while not off, with the billing minimum per session. */
static double charge_on_demand(const torta_sim *sim, int s, const torta_server_usage *u, double len_s)
{
    return class_hours(sim, s, TORTA_CLASS_ON_DEMAND, u->on_s + u->min_bill_s);
}

static double charge_spot(const torta_sim *sim, int s, const torta_server_usage *u, double len_s)
{
    return class_hours(sim, s, TORTA_CLASS_SPOT, u->on_s + u->min_bill_s);
}

static double energy_kwh(const torta_sim *sim, int s, const torta_server_usage *u)
{
    const torta_server *sv = &sim->servers[s];
    double working = u->busy_s + u->load_s;
    double joules = sv->idle_w * u->on_s + (sv->busy_w - sv->idle_w) * (working < u->on_s ? working : u->on_s);
    return joules / 3.6e6;
}

/* Idle power while on, busy power while serving or loading, at the region's electricity price. */
static double charge_energy(const torta_sim *sim, int s, const torta_server_usage *u, double len_s)
{
    return energy_kwh(sim, s, u) * sim->region_pub[sim->server_pub[s].region].electricity_usd_per_kwh;
}

/* A model load occupies the server: its time at the on-demand GPU price. */
static double charge_switching(const torta_sim *sim, int s, const torta_server_usage *u, double len_s)
{
    return u->load_s * sim->servers[s].gpu_usd_per_s;
}

static double charge_carbon(const torta_sim *sim, int s, const torta_server_usage *u, double len_s)
{
    const torta_region_state *g = &sim->region_pub[sim->server_pub[s].region];
    return energy_kwh(sim, s, u) * g->carbon_g_per_kwh * sim->ledger->carbon_usd_per_g;
}

/* The two components charged as they happen (their rows below have no charge function). */
enum { COST_NETWORK = 5, COST_MIGRATION = 6 };

const torta_cost_component torta_cost_components[] = {
    {"reserved", "reserved_usd", charge_reserved},
    {"on_demand", "on_demand_usd", charge_on_demand},
    {"spot", "spot_usd", charge_spot},
    {"energy", "energy_usd", charge_energy},
    {"switching", "switching_usd", charge_switching},
    {"network", "network_usd", NULL},     /* COST_NETWORK */
    {"migration", "migration_usd", NULL}, /* COST_MIGRATION */
    {"carbon", "carbon_usd", charge_carbon},
};
const int torta_n_cost_components = (int)(sizeof torta_cost_components / sizeof *torta_cost_components);

int torta_ledger_new(const torta_sim *sim, double carbon_usd_per_tonne, torta_ledger **out, torta_err *e)
{
    torta_ledger *l = calloc(1, sizeof *l);
    *out = l;
    if (!l)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    int R = sim->n_regions, K = torta_n_cost_components;
    l->n_regions = R;
    l->n_servers = sim->n_servers;
    l->n_costs = K;
    l->carbon_usd_per_g = carbon_usd_per_tonne / 1e6;
    l->pending_usd = calloc((size_t)R * K, sizeof(double));
    l->slot_usd = calloc((size_t)R * K, sizeof(double));
    l->total_usd = calloc((size_t)K, sizeof(double));
    l->busy_view_slot_usd = calloc((size_t)R, sizeof(double));
    l->usage = calloc((size_t)sim->n_servers, sizeof *l->usage);
    if (!l->pending_usd || !l->slot_usd || !l->total_usd || !l->busy_view_slot_usd || !l->usage)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    return 0;
}

void torta_ledger_free(torta_ledger *l)
{
    if (!l)
        return;
    free(l->pending_usd);
    free(l->slot_usd);
    free(l->total_usd);
    free(l->busy_view_slot_usd);
    free(l->usage);
    free(l);
}

void torta_ledger_egress(torta_ledger *l, int region, double usd, double bytes)
{
    l->pending_usd[(size_t)region * l->n_costs + COST_NETWORK] += usd;
    l->egress_bytes += bytes;
}

void torta_ledger_migration(torta_ledger *l, int region, double usd, double bytes)
{
    l->pending_usd[(size_t)region * l->n_costs + COST_MIGRATION] += usd;
    l->egress_bytes += bytes;
}

/* Reads and resets server s's slot accumulators. */
static void take_usage(torta_sim *sim, int s, double start, double end, torta_server_usage *u)
{
    torta_server *sv = &sim->servers[s];
    torta_server_slot_flush(sim, s, end);
    torta_capacity_account(sim, s, end);
    u->on_s = sv->on_slot_s;
    u->active_s = sv->active_slot_s;
    u->min_bill_s = sv->min_bill_slot_s;
    u->busy_s = sv->busy_slot_s;
    u->load_s = sv->load_slot_s;
    u->switches = sv->switches_slot;
    u->placed = sv->placed_slot;
    u->occupancy = torta_server_take_utilisation(sim, s, start, end);
    sv->on_slot_s = sv->active_slot_s = sv->min_bill_slot_s = 0;
    sv->busy_slot_s = sv->load_slot_s = 0;
    sv->switches_slot = sv->placed_slot = 0;
}

int torta_ledger_close_slot(torta_ledger *l, torta_sim *sim, double start, double end, torta_err *e)
{
    double len = end - start;
    if (len <= 0)
        return 0;
    int K = l->n_costs;
    memcpy(l->slot_usd, l->pending_usd, sizeof(double) * (size_t)l->n_regions * K);
    memset(l->pending_usd, 0, sizeof(double) * (size_t)l->n_regions * K);
    for (int r = 0; r < l->n_regions; r++) {
        torta_region_state *g = &sim->region_pub[r];
        double *row = l->slot_usd + (size_t)r * K;
        l->busy_view_slot_usd[r] = 0;
        for (int s = g->first_server; s < g->first_server + g->n_servers; s++) {
            torta_server_usage *u = &l->usage[s];
            take_usage(sim, s, start, end, u);
            for (int k = 0; k < K; k++)
                if (torta_cost_components[k].charge)
                    row[k] += torta_cost_components[k].charge(sim, s, u, len);
            l->busy_view_slot_usd[r] += u->busy_s * sim->servers[s].gpu_usd_per_s;
        }
        double total = 0;
        for (int k = 0; k < K; k++) {
            l->total_usd[k] += row[k];
            total += row[k];
        }
        l->busy_view_total_usd += l->busy_view_slot_usd[r];
        g->cost_usd_last_slot = total;
    }
    (void)e;
    return 0;
}

double torta_ledger_slot_region_total(const torta_ledger *l, int region)
{
    double t = 0;
    for (int k = 0; k < l->n_costs; k++)
        t += l->slot_usd[(size_t)region * l->n_costs + k];
    return t;
}

double torta_ledger_total(const torta_ledger *l)
{
    double t = 0;
    for (int k = 0; k < l->n_costs; k++)
        t += l->total_usd[k];
    return t;
}
