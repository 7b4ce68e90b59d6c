/* Turns a filled builder into a torta_topology: time zones, link latency from
 * coordinates, merged parallel edges, the connected-component check, and the path matrices. */
#include "net/topo_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct work_link {
    int a, b, src;  /* a < b; src = edge index in the file, for a stable merge order */
    double latency_ms, bandwidth_gbps, egress_ab, egress_ba;
} work_link;

/* Appends to buf (bounded) like snprintf, tracking the used length. */
__attribute__((format(printf, 4, 5))) static void append(char *buf, size_t cap, size_t *len,
                                                         const char *fmt, ...)
{
    if (*len >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (w > 0)
        *len += (size_t)w;
}

static int cmp_link(const void *pa, const void *pb)
{
    const work_link *x = pa, *y = pb;
    if (x->a != y->a)
        return x->a < y->a ? -1 : 1;
    if (x->b != y->b)
        return x->b < y->b ? -1 : 1;
    return (x->src > y->src) - (x->src < y->src);
}

/* One warning naming every node whose links got the default latency (n_default[s] links). */
static void warn_default_latency(topo_builder *b, const int *n_default)
{
    enum { MAX_NAMED = 12 };
    char list[800];
    size_t len = 0;
    int n_nodes = 0;
    list[0] = '\0';
    for (int s = 0; s < b->n_sites; s++) {
        if (!n_default[s])
            continue;
        if (n_nodes++ < MAX_NAMED) {
            append(list, sizeof list, &len, "%s'%s'", n_nodes > 1 ? ", " : "", b->sites[s].name);
            if (b->sites[s].ref)
                append(list, sizeof list, &len, " %s", b->sites[s].ref);
            append(list, sizeof list, &len, " (%d link%s)", n_default[s], n_default[s] == 1 ? "" : "s");
        }
    }
    if (n_nodes > MAX_NAMED)
        append(list, sizeof list, &len, ", ... +%d more", n_nodes - MAX_NAMED);
    if (n_nodes)
        topo_warn(b, "%s: %d node(s) have no coordinates; their links use the default latency "
                  "%g ms: %s", b->path, n_nodes, b->opts->default_latency_ms, list);
}

/* Resolves each edge's attributes, drops self-loops, and merges parallel edges: the merged link
 * keeps the smallest latency and the lowest price per direction, and sums the bandwidths
 * (parallel circuits between two sites add capacity). */
static int resolve_links(topo_builder *b, work_link **out, int *n_out, torta_err *e)
{
    const torta_topo_opts *o = b->opts;
    work_link *lk = malloc(((size_t)b->n_edges + 1) * sizeof *lk);
    int *n_default = calloc((size_t)b->n_sites, sizeof *n_default);
    if (!lk || !n_default) {
        free(lk);
        free(n_default);
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", b->path);
    }
    int n = 0;
    for (int i = 0; i < b->n_edges; i++) {
        const topo_raw_edge *ed = &b->edges[i];
        const topo_raw_site *su = &b->sites[ed->u], *sv = &b->sites[ed->v];
        if (ed->u == ed->v) {
            topo_warn(b, "%s: %s is a self-loop; ignored", b->path, ed->where);
            continue;
        }
        work_link *w = &lk[n++];
        w->a = ed->u < ed->v ? ed->u : ed->v;
        w->b = ed->u < ed->v ? ed->v : ed->u;
        w->src = i;
        w->latency_ms = ed->latency_ms;
        if (isnan(w->latency_ms)) {
            if (su->has_coords && sv->has_coords) {
                double km = torta_great_circle_km(su->lat_deg, su->lon_deg, sv->lat_deg,
                                                  sv->lon_deg);
                w->latency_ms = km * o->us_per_km * o->stretch / 1000.0;
            } else if (b->missing_latency_is_error) {
                free(lk);
                free(n_default);
                return torta_err_set(e, TORTA_EINPUT,
                                     "%s: %s.latency_ms: missing, and site '%s' has no "
                                     "coordinates to derive it from",
                                     b->path, ed->where, su->has_coords ? sv->name : su->name);
            } else {
                w->latency_ms = o->default_latency_ms;
                if (!su->has_coords)
                    n_default[ed->u]++;
                if (!sv->has_coords)
                    n_default[ed->v]++;
            }
        }
        w->bandwidth_gbps = isnan(ed->bandwidth_gbps) ? o->default_bandwidth_gbps
                                                       : ed->bandwidth_gbps;
        double eg_uv = isnan(ed->egress_uv) ? o->default_egress_usd_per_gb : ed->egress_uv;
        double eg_vu = isnan(ed->egress_vu) ? eg_uv : ed->egress_vu;
        w->egress_ab = ed->u < ed->v ? eg_uv : eg_vu;
        w->egress_ba = ed->u < ed->v ? eg_vu : eg_uv;
    }
    warn_default_latency(b, n_default);
    free(n_default);

    qsort(lk, (size_t)n, sizeof *lk, cmp_link);
    int m = 0, n_merged = 0, first_a = -1, first_b = -1;
    for (int i = 0; i < n; i++) {
        if (m > 0 && lk[m - 1].a == lk[i].a && lk[m - 1].b == lk[i].b) {
            work_link *k = &lk[m - 1];
            k->latency_ms = fmin(k->latency_ms, lk[i].latency_ms);
            k->bandwidth_gbps += lk[i].bandwidth_gbps;
            k->egress_ab = fmin(k->egress_ab, lk[i].egress_ab);
            k->egress_ba = fmin(k->egress_ba, lk[i].egress_ba);
            if (n_merged++ == 0) {
                first_a = k->a;
                first_b = k->b;
            }
        } else {
            lk[m++] = lk[i];
        }
    }
    if (n_merged)
        topo_warn(b, "%s: merged %d parallel edge(s) into existing links (e.g. '%s' -- '%s'): "
                  "min latency, summed bandwidth",
                  b->path, n_merged, b->sites[first_a].name, b->sites[first_b].name);
    *out = lk;
    *n_out = m;
    return 0;
}

static int uf_find(int *parent, int x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/* comp[s] = component number, numbered largest first (ties: the one with the lowest site).
 * Returns the number of components, or <0 on ENOMEM. */
static int components(int n_sites, const work_link *lk, int n_links, int *comp, int **sizes_out)
{
    int *parent = malloc((size_t)n_sites * sizeof *parent);
    int *root_id = malloc((size_t)n_sites * sizeof *root_id);
    int *size = calloc((size_t)n_sites, sizeof *size);
    int *order = malloc((size_t)n_sites * sizeof *order);
    if (!parent || !root_id || !size || !order) {
        free(parent);
        free(root_id);
        free(size);
        free(order);
        return TORTA_ENOMEM;
    }
    for (int i = 0; i < n_sites; i++)
        parent[i] = i;
    for (int i = 0; i < n_links; i++) {
        int ra = uf_find(parent, lk[i].a), rb = uf_find(parent, lk[i].b);
        if (ra != rb)
            parent[ra > rb ? ra : rb] = ra < rb ? ra : rb;
    }
    /* Provisional numbering in order of first site, then a stable sort by size. */
    int nc = 0;
    for (int i = 0; i < n_sites; i++)
        root_id[i] = -1;
    for (int i = 0; i < n_sites; i++) {
        int r = uf_find(parent, i);
        if (root_id[r] < 0)
            root_id[r] = nc++;
        comp[i] = root_id[r];
        size[comp[i]]++;
    }
    for (int c = 0; c < nc; c++)
        order[c] = c;
    for (int i = 1; i < nc; i++) { /* insertion sort: stable, nc is small in practice */
        int x = order[i], j = i - 1;
        while (j >= 0 && size[order[j]] < size[x]) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = x;
    }
    for (int c = 0; c < nc; c++)
        root_id[order[c]] = c; /* reuse as rank */
    int *sizes = calloc((size_t)nc, sizeof *sizes);
    if (!sizes) {
        free(parent);
        free(root_id);
        free(size);
        free(order);
        return TORTA_ENOMEM;
    }
    for (int i = 0; i < n_sites; i++) {
        comp[i] = root_id[comp[i]];
        sizes[comp[i]]++;
    }
    free(parent);
    free(root_id);
    free(size);
    free(order);
    *sizes_out = sizes;
    return nc;
}

static int disconnected_error(const topo_builder *b, const int *comp, const int *sizes, int nc,
                              torta_err *e)
{
    enum { MAX_COMPS = 5, MAX_NAMES = 6 };
    char list[900];
    size_t len = 0;
    list[0] = '\0';
    for (int c = 0; c < nc && c < MAX_COMPS; c++) {
        append(list, sizeof list, &len, "%s", c ? "; {" : "{");
        int shown = 0;
        for (int s = 0; s < b->n_sites && shown < MAX_NAMES; s++)
            if (comp[s] == c)
                append(list, sizeof list, &len, "%s%s", shown++ ? ", " : "", b->sites[s].name);
        if (sizes[c] > shown)
            append(list, sizeof list, &len, ", ... +%d more", sizes[c] - shown);
        append(list, sizeof list, &len, "}");
    }
    if (nc > MAX_COMPS)
        append(list, sizeof list, &len, "; ... +%d more components", nc - MAX_COMPS);
    return torta_err_set(e, TORTA_EINPUT,
                         "%s: the graph is disconnected: %d components (sites per component): "
                         "%s; set keep_largest_component to keep only the largest",
                         b->path, nc, list);
}

static torta_topology *alloc_topology(void)
{
    torta_topology *t = calloc(1, sizeof *t);
    return t;
}

/* Copies the kept sites (comp == 0 when dropping) and remaps links into t. */
static int fill_topology(topo_builder *b, const int *keep, work_link *lk, int n_links,
                         torta_topology *t, torta_err *e)
{
    int *new_idx = malloc((size_t)b->n_sites * sizeof *new_idx);
    if (!new_idx)
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", b->path);
    int n = 0, nd = 0;
    for (int s = 0; s < b->n_sites; s++) {
        new_idx[s] = keep[s] ? n++ : -1;
        nd += !keep[s];
    }
    t->sites = calloc((size_t)n, sizeof *t->sites);
    t->links = calloc((size_t)n_links + 1, sizeof *t->links);
    t->dropped = nd ? calloc((size_t)nd, sizeof *t->dropped) : NULL;
    if (!t->sites || !t->links || (nd && !t->dropped)) {
        free(new_idx);
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", b->path);
    }
    for (int s = 0; s < b->n_sites; s++) {
        topo_raw_site *r = &b->sites[s];
        if (!keep[s]) {
            t->dropped[t->n_dropped] = r->name;
            r->name = NULL;
            t->n_dropped++;
            continue;
        }
        torta_site *d = &t->sites[t->n_sites++];
        d->name = r->name;
        r->name = NULL;
        d->has_coords = r->has_coords;
        d->transit = r->transit;
        d->lat_deg = r->has_coords ? r->lat_deg : NAN;
        d->lon_deg = r->has_coords ? r->lon_deg : NAN;
        if (!isnan(r->tz_offset_h))
            d->tz_offset_h = r->tz_offset_h;
        else if (r->has_coords)
            d->tz_offset_h = round(r->lon_deg / 15.0);
        else
            d->tz_offset_h = 0.0;
        d->electricity_usd_per_kwh = r->electricity_usd_per_kwh;
        d->carbon_g_per_kwh = r->carbon_g_per_kwh;
        d->gpu_price_multiplier = r->gpu_price_multiplier;
    }
    for (int i = 0; i < n_links; i++) {
        if (!keep[lk[i].a])
            continue;
        torta_link *l = &t->links[t->n_links++];
        l->a = new_idx[lk[i].a];
        l->b = new_idx[lk[i].b];
        l->latency_s = lk[i].latency_ms / 1000.0;
        l->bandwidth_bps = lk[i].bandwidth_gbps * 1e9;
        l->egress_ab_usd_per_gb = lk[i].egress_ab;
        l->egress_ba_usd_per_gb = lk[i].egress_ba;
    }
    free(new_idx);
    return 0;
}

int topo_build(topo_builder *b, torta_topology **out, torta_err *e)
{
    *out = NULL;
    if (b->n_sites == 0)
        return torta_err_set(e, TORTA_EINPUT, "%s: the graph has no sites (empty graph)", b->path);
    if (b->n_sites > TOPO_MAX_SITES)
        return torta_err_set(e, TORTA_EINPUT, "%s: %d sites; at most %d are supported (the path "
                             "matrices grow as the square)", b->path, b->n_sites, TOPO_MAX_SITES);
    int rc = b->uniquify_names ? topo_make_names_unique(b, e) : 0;
    if (rc)
        return rc;
    work_link *lk = NULL;
    int n_links = 0;
    rc = resolve_links(b, &lk, &n_links, e);
    if (rc)
        return rc;
    int *comp = malloc((size_t)b->n_sites * sizeof *comp);
    int *sizes = NULL;
    int nc = comp ? components(b->n_sites, lk, n_links, comp, &sizes) : TORTA_ENOMEM;
    if (nc < 0) {
        free(lk);
        free(comp);
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", b->path);
    }
    if (nc > 1 && !b->opts->keep_largest_component) {
        rc = disconnected_error(b, comp, sizes, nc, e);
        free(lk);
        free(comp);
        free(sizes);
        return rc;
    }
    if (nc > 1) {
        char names[600];
        size_t len = 0;
        int shown = 0;
        names[0] = '\0';
        for (int s = 0; s < b->n_sites; s++)
            if (comp[s] != 0 && shown < 10)
                append(names, sizeof names, &len, "%s%s", shown++ ? ", " : "", b->sites[s].name);
        if (b->n_sites - sizes[0] > shown)
            append(names, sizeof names, &len, ", ... +%d more", b->n_sites - sizes[0] - shown);
        topo_warn(b, "%s: the graph has %d components; kept the largest (%d of %d sites), "
                  "dropped %d: %s",
                  b->path, nc, sizes[0], b->n_sites, b->n_sites - sizes[0], names);
    }
    for (int s = 0; s < b->n_sites; s++)
        comp[s] = comp[s] == 0; /* comp becomes keep[] */
    free(sizes);
    torta_topology *t = alloc_topology();
    if (!t) {
        free(lk);
        free(comp);
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", b->path);
    }
    rc = fill_topology(b, comp, lk, n_links, t, e);
    free(lk);
    free(comp);
    if (rc == 0) {
        t->source_path = topo_strdup(b->path);
        t->network_name = b->network_name;
        b->network_name = NULL;
        if (!t->source_path || !t->network_name)
            rc = torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", b->path);
    }
    if (rc == 0)
        rc = topo_paths_compute(t, e);
    if (rc) {
        torta_topology_free(t);
        return rc;
    }
    t->n_warnings = b->n_warnings;
    *out = t;
    return 0;
}
