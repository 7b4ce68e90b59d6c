/* The bound's true demand: the whole workload read once, requests counted per slot and origin
 * region. Origins come from the same reader, seed and assigner as in a run, called in the same
 * (arrival) order, so every request has the origin it has in a run (sim.c, arrival()). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bound/bound.h"

static int origin_of(torta_sim *sim, const torta_req_in *in, torta_err *e)
{
    if (in->origin_name) {
        for (int g = 0; g < sim->n_regions; g++)
            if (strcmp(sim->region_pub[g].name, in->origin_name) == 0)
                return g;
        return torta_err_set(e, TORTA_EINPUT, "%s:%d: origin_region: no region \"%s\"",
                             torta_source_describe(sim->source), in->src_line, in->origin_name);
    }
    if (in->origin < 0)
        return torta_origin_assign(sim->origin, in->arrival_s);
    if (in->origin >= sim->n_regions)
        return torta_err_set(e, TORTA_EINTERNAL, "workload produced origin %d of %d regions", in->origin,
                             sim->n_regions);
    return in->origin;
}

/* Makes room for slot `t` (doubling), zero-filled. */
static int grow(torta_bound_demand *d, int64_t t, int64_t *cap, torta_err *e)
{
    if (t < *cap)
        return 0;
    if (t >= (int64_t)1 << 28)
        return torta_err_set(e, TORTA_EINPUT, "bound: more than 2^28 slots; use a coarser --bound-slot-s");
    int64_t n = *cap ? *cap : 64;
    while (n <= t)
        n *= 2;
    size_t R = (size_t)d->n_regions;
    double *a = realloc(d->req, sizeof(double) * (size_t)n * R);
    if (a)
        d->req = a;
    double *b = a ? realloc(d->tokens, sizeof(double) * (size_t)n * R) : NULL;
    if (b)
        d->tokens = b;
    if (!a || !b)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory for %lld slots", (long long)n);
    memset(d->req + (size_t)*cap * R, 0, sizeof(double) * (size_t)(n - *cap) * R);
    memset(d->tokens + (size_t)*cap * R, 0, sizeof(double) * (size_t)(n - *cap) * R);
    *cap = n;
    return 0;
}

int torta_bound_demand_read(torta_sim *sim, double slot_s, torta_bound_demand *d, torta_err *e)
{
    memset(d, 0, sizeof *d);
    d->n_regions = sim->n_regions;
    d->slot_s = slot_s;
    int64_t cap = 0, last = -1;
    torta_req_in in;
    int got, rc = 0;
    while (!rc && (got = torta_source_next(sim->source, &in, e)) > 0) {
        int g = origin_of(sim, &in, e);
        if (g < 0)
            return g;
        /* An arrival exactly on a boundary belongs to the slot that opens there (as in a run). */
        int64_t t = (int64_t)floor(in.arrival_s / slot_s);
        if (t < 0)
            return torta_err_set(e, TORTA_EINPUT, "%s:%d: arrival at %g s, before the start",
                                 torta_source_describe(sim->source), in.src_line, in.arrival_s);
        rc = grow(d, t, &cap, e);
        if (rc)
            return rc;
        size_t k = (size_t)t * d->n_regions + g;
        d->req[k] += 1;
        d->tokens[k] += (double)in.input_tokens + in.output_tokens;
        d->n_requests++;
        d->horizon_s = in.arrival_s;
        if (t > last)
            last = t;
    }
    if (got < 0)
        return got;
    if (d->n_requests == 0)
        return torta_err_set(e, TORTA_EINPUT, "%s: the workload has no requests",
                             torta_source_describe(sim->source));
    d->n_slots = (int)(last + 1);
    return 0;
}

void torta_bound_demand_free(torta_bound_demand *d)
{
    free(d->req);
    free(d->tokens);
    memset(d, 0, sizeof *d);
}
