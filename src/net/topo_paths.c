/* All-pairs path matrices of a loaded topology: igraph Dijkstra gives the shortest one-way
 * latency; a pass over the shortest-path subgraph then picks one path per pair deterministically
 * (fewest hops, then widest bottleneck, then lowest egress sum, then lowest predecessor index)
 * and accumulates its bottleneck bandwidth and directional egress price. */
#include "net/topo_internal.h"

#include <igraph/igraph.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Adjacency in compressed form: the links at site s are adj[start[s] .. start[s+1]). */
typedef struct csr {
    int *start, *nbr, *link;
} csr;

static int csr_build(const torta_topology *t, csr *g)
{
    int n = t->n_sites, m = t->n_links;
    g->start = calloc((size_t)n + 1, sizeof *g->start);
    g->nbr = malloc((2 * (size_t)m + 1) * sizeof *g->nbr);
    g->link = malloc((2 * (size_t)m + 1) * sizeof *g->link);
    int *fill = calloc((size_t)n + 1, sizeof *fill);
    if (!g->start || !g->nbr || !g->link || !fill) {
        free(fill);
        return TORTA_ENOMEM;
    }
    for (int i = 0; i < m; i++) {
        g->start[t->links[i].a + 1]++;
        g->start[t->links[i].b + 1]++;
    }
    for (int s = 0; s < n; s++)
        g->start[s + 1] += g->start[s];
    for (int i = 0; i < m; i++) { /* links are sorted by (a, b): neighbours come out ordered */
        int a = t->links[i].a, b = t->links[i].b;
        int pa = g->start[a] + fill[a]++, pb = g->start[b] + fill[b]++;
        g->nbr[pa] = b;
        g->link[pa] = i;
        g->nbr[pb] = a;
        g->link[pb] = i;
    }
    free(fill);
    return 0;
}

static void csr_free(csr *g)
{
    free(g->start);
    free(g->nbr);
    free(g->link);
}

/* Runs igraph_distances_dijkstra over all pairs; dist_ms is row-major n x n. */
static int dijkstra_all(const torta_topology *t, double *dist_ms, torta_err *e)
{
    int n = t->n_sites, m = t->n_links;
    igraph_vector_int_t edges;
    igraph_vector_t w;
    igraph_t g;
    igraph_matrix_t res;
    if (igraph_vector_int_init(&edges, 2 * (igraph_integer_t)m))
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", t->source_path);
    if (igraph_vector_init(&w, m)) {
        igraph_vector_int_destroy(&edges);
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", t->source_path);
    }
    for (int i = 0; i < m; i++) {
        VECTOR(edges)[2 * i] = t->links[i].a;
        VECTOR(edges)[2 * i + 1] = t->links[i].b;
        VECTOR(w)[i] = t->links[i].latency_s * 1000.0;
    }
    int rc = 0;
    if (igraph_create(&g, &edges, n, IGRAPH_UNDIRECTED)) {
        rc = torta_err_set(e, TORTA_EINTERNAL, "%s: igraph_create failed", t->source_path);
    } else {
        if (igraph_matrix_init(&res, n, n)) {
            rc = torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", t->source_path);
        } else {
            if (igraph_distances_dijkstra(&g, &res, igraph_vss_all(), igraph_vss_all(), &w,
                                          IGRAPH_ALL)) {
                rc = torta_err_set(e, TORTA_EINTERNAL, "%s: igraph Dijkstra failed",
                                   t->source_path);
            } else {
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                        dist_ms[(size_t)i * n + j] = MATRIX(res, i, j);
            }
            igraph_matrix_destroy(&res);
        }
        igraph_destroy(&g);
    }
    igraph_vector_destroy(&w);
    igraph_vector_int_destroy(&edges);
    return rc;
}

/* Is u -> v (over a link of weight w_ms) on a shortest path from the source? Paths of equal
 * latency summed in a different order may differ in the last bits, hence the tolerance. */
static int tight(double du, double w_ms, double dv)
{
    return fabs(du + w_ms - dv) <= 1e-9 * fmax(1.0, dv);
}

int topo_paths_compute(torta_topology *t, torta_err *e)
{
    int n = t->n_sites;
    size_t nn = (size_t)n * (size_t)n;
    t->latency_s = malloc(nn * sizeof *t->latency_s);
    t->bandwidth_bps = malloc(nn * sizeof *t->bandwidth_bps);
    t->egress_usd_per_gb = malloc(nn * sizeof *t->egress_usd_per_gb);
    t->pred = malloc(nn * sizeof *t->pred);
    double *dist_ms = t->latency_s; /* milliseconds until converted at the end */
    int *hops = malloc((size_t)n * sizeof *hops), *queue = malloc((size_t)n * sizeof *queue);
    csr g = {0};
    if (!t->latency_s || !t->bandwidth_bps || !t->egress_usd_per_gb || !t->pred || !hops ||
        !queue || csr_build(t, &g)) {
        free(hops);
        free(queue);
        csr_free(&g);
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory for %d x %d path matrices",
                             t->source_path, n, n);
    }
    int rc = dijkstra_all(t, dist_ms, e);
    for (int s = 0; s < n && rc == 0; s++) {
        const double *d = dist_ms + (size_t)s * n;
        double *bw = t->bandwidth_bps + (size_t)s * n;
        double *eg = t->egress_usd_per_gb + (size_t)s * n;
        int *pred = t->pred + (size_t)s * n;
        for (int v = 0; v < n; v++) {
            hops[v] = -1;
            pred[v] = -1;
        }
        /* Breadth-first over the shortest-path subgraph: hop layers, so every predecessor with
         * one hop fewer is final before its successors (also with zero-latency links). */
        int head = 0, tail = 0;
        hops[s] = 0;
        queue[tail++] = s;
        bw[s] = INFINITY;
        eg[s] = 0.0;
        while (head < tail) {
            int u = queue[head++];
            for (int k = g.start[u]; k < g.start[u + 1]; k++) {
                int v = g.nbr[k];
                if (hops[v] < 0 && tight(d[u], t->links[g.link[k]].latency_s * 1000.0, d[v])) {
                    hops[v] = hops[u] + 1;
                    queue[tail++] = v;
                }
            }
        }
        if (tail != n) {
            rc = torta_err_set(e, TORTA_EINTERNAL, "%s: shortest-path subgraph misses sites",
                               t->source_path);
            break;
        }
        for (int qi = 1; qi < n; qi++) {
            int v = queue[qi];
            double best_bw = -1.0, best_eg = INFINITY;
            int best_u = -1;
            for (int k = g.start[v]; k < g.start[v + 1]; k++) {
                int u = g.nbr[k];
                const torta_link *l = &t->links[g.link[k]];
                if (hops[u] != hops[v] - 1 || !tight(d[u], l->latency_s * 1000.0, d[v]))
                    continue;
                double cb = fmin(bw[u], l->bandwidth_bps);
                double ce = eg[u] + (u == l->a ? l->egress_ab_usd_per_gb : l->egress_ba_usd_per_gb);
                if (cb > best_bw || (cb == best_bw && ce < best_eg) ||
                    (cb == best_bw && ce == best_eg && u < best_u)) {
                    best_bw = cb;
                    best_eg = ce;
                    best_u = u;
                }
            }
            bw[v] = best_bw;
            eg[v] = best_eg;
            pred[v] = best_u;
        }
    }
    /* Dijkstra from either end may round differently in the last bit; make it exactly
     * symmetric so i->j and j->i never disagree. */
    for (int i = 0; i < n && rc == 0; i++) {
        t->latency_s[(size_t)i * n + i] /= 1000.0;
        for (int j = i + 1; j < n; j++) {
            double *x = &t->latency_s[(size_t)i * n + j], *y = &t->latency_s[(size_t)j * n + i];
            *x = *y = fmin(*x, *y) / 1000.0;
        }
    }
    free(hops);
    free(queue);
    csr_free(&g);
    return rc;
}
