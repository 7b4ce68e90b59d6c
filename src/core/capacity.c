/* The capacity decision and the server lifecycle. Each slot, the macro scheduler (its capacity
 * op) or the configured autoscaler states how many servers of each class every region should
 * have; the core enforces it: off servers start (boot + weight load, then they admit requests),
 * surplus servers drain (finish what they hold, admit nothing) and go off, spot servers are
 * preempted with notice. Billing follows the power state (ledger.c). */
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/server_prefix.h"
#include "core/sim.h"
#include "torta/config.h"
#include "torta/json.h"
#include "torta/rng.h"

struct torta_capacity {
    const torta_autoscaler_ops *autoscaler; /* NULL when the macro scheduler decides */
    void *autoscaler_self;
    int32_t *desired;           /* n_regions x TORTA_N_CLASSES */
    double min_billing_s, spot_rate_per_s, spot_notice_s;
    gsl_rng *rng_spot;
    int warm_start;             /* the first decision's servers are active at t = 0 */
    int decided;                /* a decision has been enforced */
    int64_t starts, stops, preemptions;
};

const char *torta_class_name(int cap_class)
{
    static const char *const names[] = {"reserved", "on_demand", "spot"};
    return cap_class >= 0 && cap_class < TORTA_N_CLASSES ? names[cap_class] : "?";
}

void torta_capacity_counts(const torta_capacity *c, int64_t *starts, int64_t *stops, int64_t *preemptions)
{
    *starts = c ? c->starts : 0;
    *stops = c ? c->stops : 0;
    *preemptions = c ? c->preemptions : 0;
}

void torta_capacity_account(torta_sim *sim, int s, double t)
{
    torta_server *sv = &sim->servers[s];
    int power = sim->server_pub[s].power;
    double dt = t - sv->power_since;
    if (power != TORTA_POWER_OFF)
        sv->on_slot_s += dt;
    if (power == TORTA_POWER_ACTIVE)
        sv->active_slot_s += dt;
    sv->power_since = t;
}

void torta_capacity_refresh_alive(torta_sim *sim, int s)
{
    torta_server_state *p = &sim->server_pub[s];
    torta_region_state *g = &sim->region_pub[p->region];
    int alive = p->power == TORTA_POWER_ACTIVE && sim->servers[s].down == 0;
    if (alive != p->alive) {
        g->n_alive += alive ? 1 : -1;
        g->capacity_rps += alive ? p->sat_rps : -p->sat_rps;
        p->alive = alive;
    }
    if (g->n_alive == 0)
        g->capacity_rps = 0; /* no drift from repeated additions */
}

static int32_t *class_count(torta_region_state *g, int power, int c)
{
    switch (power) {
    case TORTA_POWER_STARTING:
        return &g->starting[c];
    case TORTA_POWER_ACTIVE:
        return &g->active[c];
    case TORTA_POWER_DRAINING:
        return &g->draining[c];
    default:
        return NULL;
    }
}

/* Moves server s to power state `to`: accounts the time in the old one, keeps the region's
 * counts, opens or closes the billing session. */
static void set_power(torta_sim *sim, int s, int to)
{
    torta_server *sv = &sim->servers[s];
    torta_server_state *p = &sim->server_pub[s];
    torta_region_state *g = &sim->region_pub[p->region];
    torta_capacity_account(sim, s, sim->now);
    int32_t *old = class_count(g, p->power, p->cap_class), *nw = class_count(g, to, p->cap_class);
    if (old)
        (*old)--;
    if (nw)
        (*nw)++;
    if (p->power == TORTA_POWER_OFF && to != TORTA_POWER_OFF) {
        sv->session_start = sim->now;
        sv->session++;
    }
    if (to == TORTA_POWER_OFF && p->power != TORTA_POWER_OFF) {
        double billed = sim->now - sv->session_start;
        double minimum = sim->capacity->min_billing_s;
        if (p->cap_class != TORTA_CLASS_RESERVED && billed < minimum)
            sv->min_bill_slot_s += minimum - billed;
        sv->preempting = 0;
        torta_prefix_clear(sim, s); /* off: its GPU memory, prefix cache included, is gone */
    }
    p->power = to;
    torta_capacity_refresh_alive(sim, s);
}

static int push(torta_sim *sim, double t, int type, int s, torta_err *e)
{
    return torta_sim_push(sim, t, type, sim->servers[s].session, s, e);
}

/* A spot server's next preemption notice (exponential inter-arrival, its own stream). */
static int arm_spot(torta_sim *sim, int s, torta_err *e)
{
    torta_capacity *c = sim->capacity;
    if (sim->server_pub[s].cap_class != TORTA_CLASS_SPOT || c->spot_rate_per_s <= 0)
        return 0;
    return push(sim, sim->now + gsl_ran_exponential(c->rng_spot, 1.0 / c->spot_rate_per_s),
                EV_SPOT_NOTICE, s, e);
}

static int activate(torta_sim *sim, int s, torta_err *e)
{
    set_power(sim, s, TORTA_POWER_ACTIVE);
    return sim->server_pub[s].alive ? torta_sim_capacity_added(sim, s, e) : 0;
}

static int start(torta_sim *sim, int s, torta_err *e)
{
    torta_capacity *c = sim->capacity;
    c->starts++;
    set_power(sim, s, TORTA_POWER_STARTING);
    int rc = arm_spot(sim, s, e);
    if (rc)
        return rc;
    if (c->warm_start && !c->decided)
        return activate(sim, s, e); /* capacity in place when the run begins */
    return push(sim, sim->now + sim->server_pub[s].start_lead_s, EV_POWER_READY, s, e);
}

void torta_capacity_check_drained(torta_sim *sim, int s)
{
    if (sim->server_pub[s].power == TORTA_POWER_DRAINING && torta_server_empty(sim, s)) {
        sim->capacity->stops++;
        set_power(sim, s, TORTA_POWER_OFF);
    }
}

static void drain(torta_sim *sim, int s)
{
    set_power(sim, s, TORTA_POWER_DRAINING);
    torta_capacity_check_drained(sim, s);
}

/* Servers of class c in region g in power state `power`, best candidate first: the lowest
 * index to start, and to stop the one with the least outstanding work (latest index on ties). */
static int pick(const torta_sim *sim, int g, int c, int power, int for_stop)
{
    const torta_region_state *reg = &sim->region_pub[g];
    int best = -1;
    for (int s = reg->first_server; s < reg->first_server + reg->n_servers; s++) {
        const torta_server_state *p = &sim->server_pub[s];
        if (p->cap_class != c || p->power != power || (power == TORTA_POWER_DRAINING && sim->servers[s].preempting))
            continue;
        if (!for_stop) {
            if (best < 0)
                best = s;
        } else if (best < 0 || p->outstanding_work_s <= sim->server_pub[best].outstanding_work_s) {
            best = s;
        }
    }
    return best;
}

/* Brings region g's class-c servers (starting + active) to `want`. */
static int enforce(torta_sim *sim, int g, int c, int want, torta_err *e)
{
    torta_region_state *reg = &sim->region_pub[g];
    int have = reg->starting[c] + reg->active[c], s, rc = 0;
    while (have < want && !rc) {
        if ((s = pick(sim, g, c, TORTA_POWER_DRAINING, 0)) >= 0)
            rc = activate(sim, s, e); /* cancel a drain: no cold start */
        else if ((s = pick(sim, g, c, TORTA_POWER_OFF, 0)) >= 0)
            rc = start(sim, s, e);
        else
            break;
        have++;
    }
    while (have > want) {
        if ((s = pick(sim, g, c, TORTA_POWER_STARTING, 1)) >= 0) {
            sim->capacity->stops++;
            set_power(sim, s, TORTA_POWER_OFF); /* cancelled before it served anything */
        } else if ((s = pick(sim, g, c, TORTA_POWER_ACTIVE, 1)) >= 0) {
            drain(sim, s);
        } else {
            break;
        }
        have--;
    }
    return rc;
}

int torta_capacity_slot(torta_sim *sim, torta_err *e)
{
    torta_capacity *c = sim->capacity;
    int R = sim->n_regions, rc;
    for (int g = 0; g < R; g++)
        for (int k = 0; k < TORTA_N_CLASSES; k++)
            c->desired[g * TORTA_N_CLASSES + k] = sim->region_pub[g].starting[k] + sim->region_pub[g].active[k];
    if (c->autoscaler) {
        rc = c->autoscaler->decide(c->autoscaler_self, &sim->view, c->desired, e);
        if (rc)
            return torta_err_prefix(e, "autoscaler %s, slot %lld", c->autoscaler->name, (long long)sim->slot);
    } else {
        rc = sim->macro->capacity(sim->macro_self, &sim->view, c->desired, e);
        if (rc)
            return torta_err_prefix(e, "macro scheduler %s (capacity), slot %lld", sim->macro->name,
                                    (long long)sim->slot);
    }
    for (int g = 0; g < R && !rc; g++)
        for (int k = TORTA_CLASS_ON_DEMAND; k < TORTA_N_CLASSES && !rc; k++) {
            int32_t want = c->desired[g * TORTA_N_CLASSES + k];
            int32_t pool = sim->region_pub[g].pool[k];
            rc = enforce(sim, g, k, want < 0 ? 0 : want > pool ? pool : want, e);
        }
    c->decided = 1;
    return rc;
}

int torta_capacity_on_event(torta_sim *sim, int type, uint32_t session, int s, torta_err *e)
{
    torta_server *sv = &sim->servers[s];
    torta_server_state *p = &sim->server_pub[s];
    if (session != sv->session || p->power == TORTA_POWER_OFF)
        return 0; /* for a session that has ended */
    switch (type) {
    case EV_POWER_READY:
        return p->power == TORTA_POWER_STARTING ? activate(sim, s, e) : 0;
    case EV_SPOT_NOTICE:
        sim->capacity->preemptions++;
        if (p->power == TORTA_POWER_STARTING) {
            set_power(sim, s, TORTA_POWER_OFF);
            return 0;
        }
        sv->preempting = 1;
        if (p->power == TORTA_POWER_ACTIVE)
            set_power(sim, s, TORTA_POWER_DRAINING);
        return push(sim, sim->now + sim->capacity->spot_notice_s, EV_SPOT_STOP, s, e);
    default: { /* EV_SPOT_STOP: what it still holds starts over elsewhere */
        int rc = torta_sim_hand_back(sim, s, e);
        set_power(sim, s, TORTA_POWER_OFF);
        return rc;
    }
    }
}

static int parse(torta_capacity *c, const cJSON *cap, torta_err *e)
{
    double preempt_per_h = 0;
    int rc = torta_json_num(cap, "min_billing_s", "capacity", 0, 1e7, 1, 0, &c->min_billing_s, e);
    if (!rc)
        rc = torta_json_num(cap, "spot_preemptions_per_h", "capacity", 0, 3600, 1, 0, &preempt_per_h, e);
    if (!rc)
        rc = torta_json_num(cap, "spot_notice_s", "capacity", 0, 1e6, 1, 0, &c->spot_notice_s, e);
    c->spot_rate_per_s = preempt_per_h / 3600.0;
    c->warm_start = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cap, "warm_start"));
    return rc;
}

static int unknown_autoscaler(const char *name, torta_err *e)
{
    const char *names[64];
    size_t n = 0;
    for (const torta_autoscaler_ops *const *p = torta_autoscaler_all(); *p && n < 63; p++)
        names[n++] = (*p)->name;
    names[n] = NULL;
    const char *s = torta_did_you_mean(name, names);
    return torta_err_set(e, TORTA_EINPUT, "capacity.autoscaler: unknown autoscaler \"%s\"%s%s%s",
                         name, s ? " (did you mean \"" : "", s ? s : "", s ? "\"?)" : "");
}

int torta_capacity_setup(torta_sim *sim, const cJSON *cfg, torta_err *e)
{
    torta_capacity *c = calloc(1, sizeof *c);
    sim->capacity = c;
    if (!c || !(c->desired = calloc((size_t)sim->n_regions * TORTA_N_CLASSES, sizeof(int32_t))) ||
        !(c->rng_spot = torta_rng_stream(sim->seed, "spot")))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    const cJSON *cap = torta_config_at(cfg, "capacity");
    int rc = parse(c, cap, e);
    const char *name;
    if (!rc)
        rc = torta_json_str(cap, "autoscaler", "capacity", 1, NULL, &name, e);
    if (rc)
        return rc;
    if (!sim->macro->capacity) {
        if (!(c->autoscaler = torta_autoscaler_find(name)))
            return unknown_autoscaler(name, e);
        torta_sched_env env = {sim->seed, &sim->view, cJSON_GetObjectItemCaseSensitive(cap, name),
                               sim->topo->network_name, NULL};
        rc = c->autoscaler->init(&c->autoscaler_self, &env, e);
        if (rc)
            return torta_err_prefix(e, "autoscaler %s", name);
    }
    /* Reserved servers are on from the start; the first decision sets the others. */
    for (int s = 0; s < sim->n_servers; s++) {
        torta_server_state *p = &sim->server_pub[s];
        torta_region_state *g = &sim->region_pub[p->region];
        g->pool[p->cap_class]++;
        p->power = TORTA_POWER_OFF;
        p->alive = 0;
        sim->servers[s].power_since = 0;
        if (p->cap_class == TORTA_CLASS_RESERVED)
            set_power(sim, s, TORTA_POWER_ACTIVE);
    }
    return 0;
}

void torta_capacity_free(torta_capacity *c)
{
    if (!c)
        return;
    if (c->autoscaler && c->autoscaler_self && c->autoscaler->destroy)
        c->autoscaler->destroy(c->autoscaler_self);
    if (c->rng_spot)
        gsl_rng_free(c->rng_spot);
    free(c->desired);
    free(c);
}
