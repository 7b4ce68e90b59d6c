/* The topology builder the readers fill: growable site and edge lists plus warning routing. */
#include "net/topo_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *topo_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void topo_builder_init(topo_builder *b, const char *path, const torta_topo_opts *opts,
                       torta_warn_fn warn, void *warn_ud)
{
    memset(b, 0, sizeof *b);
    b->path = path;
    b->opts = opts;
    b->warn = warn;
    b->warn_ud = warn_ud;
}

void topo_builder_free(topo_builder *b)
{
    for (int i = 0; i < b->n_sites; i++) {
        free(b->sites[i].name);
        free(b->sites[i].ref);
    }
    free(b->sites);
    free(b->edges);
    free(b->network_name);
    memset(b, 0, sizeof *b);
}

int topo_builder_add_site(topo_builder *b, const char *name, const char *ref, torta_err *e)
{
    if (b->n_sites == b->cap_sites) {
        int cap = b->cap_sites ? 2 * b->cap_sites : 64;
        topo_raw_site *ns = realloc(b->sites, (size_t)cap * sizeof *ns);
        if (!ns)
            return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", b->path);
        b->sites = ns;
        b->cap_sites = cap;
    }
    topo_raw_site *s = &b->sites[b->n_sites];
    memset(s, 0, sizeof *s);
    s->name = topo_strdup(name);
    s->ref = topo_strdup(ref);
    if (!s->name || !s->ref) {
        free(s->name);
        free(s->ref);
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", b->path);
    }
    s->lat_deg = s->lon_deg = NAN;
    s->tz_offset_h = NAN;
    s->electricity_usd_per_kwh = s->carbon_g_per_kwh = s->gpu_price_multiplier = NAN;
    return b->n_sites++;
}

topo_raw_edge *topo_builder_add_edge(topo_builder *b, int u, int v, torta_err *e)
{
    if (b->n_edges == b->cap_edges) {
        int cap = b->cap_edges ? 2 * b->cap_edges : 64;
        topo_raw_edge *ne = realloc(b->edges, (size_t)cap * sizeof *ne);
        if (!ne) {
            torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", b->path);
            return NULL;
        }
        b->edges = ne;
        b->cap_edges = cap;
    }
    topo_raw_edge *ed = &b->edges[b->n_edges++];
    memset(ed, 0, sizeof *ed);
    ed->u = u;
    ed->v = v;
    ed->latency_ms = ed->bandwidth_gbps = ed->egress_uv = ed->egress_vu = NAN;
    return ed;
}

void topo_warn(topo_builder *b, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    b->n_warnings++;
    if (b->warn)
        b->warn(b->warn_ud, msg);
}
