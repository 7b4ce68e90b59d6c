/* The cost ledger, owned by the core: at each slot's end it reads what every server did in the
 * slot (a usage record), bills it component by component, and keeps the bill per region and in
 * total. Metrics and the RL reward only read it. Adding a cost = one row of the component table
 * in ledger.c (a name, a slots.csv column, a function that charges one server for one slot). */
#ifndef TORTA_LEDGER_H
#define TORTA_LEDGER_H

#include "core/sim.h"

/* What one server did in one slot. */
typedef struct torta_server_usage {
    double on_s;        /* starting, active or draining: billed time */
    double active_s;    /* admitting requests: counts towards capacity */
    double busy_s;      /* serving a batch */
    double load_s;      /* loading a model (a switch) */
    double min_bill_s;  /* billing-minimum top-up of sessions that ended in the slot */
    double occupancy;   /* time-average batch occupancy (KV or batch fill) */
    int64_t placed;     /* requests placed on it (offered load) */
    int64_t switches;
} torta_server_usage;

typedef struct torta_cost_component {
    const char *name;   /* summary key: cost_usd.<name> */
    const char *column; /* slots.csv column */
    /* USD for server s over a slot of len_s seconds; NULL for costs charged as they happen
     * (network egress, migrations: torta_ledger_egress / torta_ledger_migration). */
    double (*charge)(const torta_sim *sim, int s, const torta_server_usage *u, double len_s);
} torta_cost_component;

extern const torta_cost_component torta_cost_components[];
extern const int torta_n_cost_components;

struct torta_ledger {
    int n_regions, n_servers, n_costs;
    double *pending_usd;  /* n_regions x n_costs: charged by events during the open slot */
    double *slot_usd;     /* n_regions x n_costs: the bill of the last closed slot */
    double *total_usd;    /* n_costs: the whole run so far */
    double *busy_view_slot_usd; /* per region: busy GPU-seconds at the on-demand price, a view */
    double busy_view_total_usd;
    double egress_bytes;
    double carbon_usd_per_g;
    torta_server_usage *usage; /* per server: the last closed slot */
};

int torta_ledger_new(const torta_sim *sim, double carbon_usd_per_tonne, torta_ledger **out, torta_err *e);
void torta_ledger_free(torta_ledger *l);
/* A completed request's response and prompt crossed regions (charged to its serving region). */
void torta_ledger_egress(torta_ledger *l, int region, double usd, double bytes);
/* A request moved between regions or servers before finishing (charged to `region`). */
void torta_ledger_migration(torta_ledger *l, int region, double usd, double bytes);
/* Closes [start, end): reads and resets every server's slot accumulators into l->usage, bills
 * them, sets each region's cost_usd_last_slot. */
int torta_ledger_close_slot(torta_ledger *l, torta_sim *sim, double start, double end, torta_err *e);
double torta_ledger_total(const torta_ledger *l);
double torta_ledger_slot_region_total(const torta_ledger *l, int region);

#endif
