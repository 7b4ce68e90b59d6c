/* A hand-made view for macro-layer unit tests: three regions on a line (0 -- 1 -- 2), 10 ms per
 * hop, 10 Gbit/s links, 0.02 USD/GB egress, 60 s slots; servers per region as given. */
#ifndef TORTA_TEST_FAKE_WORLD_H
#define TORTA_TEST_FAKE_WORLD_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "torta/view.h"

enum { R = 3 };

typedef struct fake_world {
    torta_region_state regions[R];
    double lat[R * R], bw[R * R], egress[R * R];
    torta_view v;
} fake_world;

static inline void make_world(fake_world *w, const int servers[R])
{
    memset(w, 0, sizeof *w);
    static const char *names[R] = {"a", "b", "c"};
    for (int i = 0; i < R; i++) {
        w->regions[i].name = names[i];
        w->regions[i].n_servers = w->regions[i].n_alive = servers[i];
        w->regions[i].electricity_usd_per_kwh = 0.1;
        for (int j = 0; j < R; j++) {
            w->lat[i * R + j] = 0.010 * abs(i - j);
            w->bw[i * R + j] = i == j ? INFINITY : 1e10;
            w->egress[i * R + j] = i == j ? 0 : 0.02;
        }
    }
    w->v.n_regions = R;
    w->v.slot_s = 60;
    w->v.regions = w->regions;
    w->v.latency_s = w->lat;
    w->v.bandwidth_bps = w->bw;
    w->v.egress_usd_per_gb = w->egress;
}

#endif
