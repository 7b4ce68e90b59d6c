/* Network topology: sites joined by links, and the region-to-region path matrices the simulator
 * uses. Loaded once (GML from the Internet Topology Zoo, GraphML, or native JSON); immutable after.
 * Every site is a candidate region; which sites host GPU servers is decided by the cluster config. */
#ifndef TORTA_TOPOLOGY_H
#define TORTA_TOPOLOGY_H

#include "torta/err.h"

typedef struct torta_topo_opts {
    double us_per_km;                 /* one-way fibre delay per km of great-circle distance (5) */
    double stretch;                   /* path-stretch factor over great-circle distance (1.5) */
    double default_latency_ms;        /* for links with an endpoint lacking coordinates (5) */
    double default_bandwidth_gbps;    /* for links without a speed attribute (10) */
    double default_egress_usd_per_gb; /* for links without a price attribute (0.02) */
    int keep_largest_component;       /* 0: a disconnected graph is an error */
} torta_topo_opts;

void torta_topo_opts_default(torta_topo_opts *o);

typedef struct torta_site {
    char *name;          /* label (GML label / GraphML label, else name, else id / JSON name);
                          * unique after load: a repeated label becomes "Label#2", "Label#3" */
    double lat_deg, lon_deg;
    int has_coords;
    int transit;         /* Topology Zoo hyperedge node (a shared multi-point link, not a PoP):
                          * carries traffic, hosts no servers under regions.sites "all" */
    double tz_offset_h;  /* explicit in JSON, else round(lon/15), else 0 */
    /* Optional per-site attributes from native JSON (NaN when absent; config fills defaults). */
    double electricity_usd_per_kwh;
    double carbon_g_per_kwh;
    double gpu_price_multiplier;
} torta_site;

/* One undirected link after parallel edges were merged (min latency, summed bandwidth, min
 * price per direction). Egress prices are per direction: a -> b and b -> a. */
typedef struct torta_link {
    int a, b;                    /* site indices, a < b */
    double latency_s;            /* one way */
    double bandwidth_bps;
    double egress_ab_usd_per_gb, egress_ba_usd_per_gb;
} torta_link;

typedef struct torta_topology {
    char *source_path;
    char *network_name;          /* GML Network attribute, JSON "name", or file stem */
    int n_sites;
    torta_site *sites;
    int n_links;                 /* after merging parallel edges */
    torta_link *links;           /* n_links, sorted by (a, b) */
    /* All-pairs matrices over sites, row-major n_sites x n_sites, computed once at load:
     * shortest-path one-way latency (igraph Dijkstra on latency weights), the bottleneck
     * bandwidth along that path, and the summed egress price along that path. Diagonal: 0, +inf, 0. */
    double *latency_s;
    double *bandwidth_bps;
    double *egress_usd_per_gb;
    /* Among equal-latency paths the chosen one has the fewest hops, then the widest bottleneck,
     * then the lowest egress sum, then the lowest predecessor index (chosen site by site, so
     * deterministic; the egress tie-break is greedy along the hop layers).
     * pred[i * n_sites + j]: the site before j on the chosen path from i to j (-1 when i == j).
     * egress_usd_per_gb is directional (row = source); latency_s and bandwidth_bps are symmetric. */
    int *pred;
    /* Sites dropped because keep_largest_component was set (names, for summary.json). */
    int n_dropped;
    char **dropped;
    int n_warnings;              /* warnings are also reported through the callback below */
} torta_topology;

/* Called for each non-fatal warning (e.g. a node without coordinates). May be NULL. */
typedef void (*torta_warn_fn)(void *ud, const char *msg);

/* Loads by extension: .gml, .graphml/.xml, .json (case-insensitive). Errors name the file and
 * the offending node/edge/line. opts NULL means torta_topo_opts_default. Returns 0 or a
 * negative TORTA_E* code. GML/GraphML go through igraph, whose error handler and attribute
 * table are process-global: do not load GML/GraphML from two threads at once. */
int torta_topology_load(const char *path, const torta_topo_opts *opts, torta_warn_fn warn,
                        void *warn_ud, torta_topology **out, torta_err *e);
void torta_topology_free(torta_topology *t);

/* Index of the site with this name, or -1. */
int torta_topology_find(const torta_topology *t, const char *name);

/* The chosen path from site i to site j as site indices (i first, j last). Writes at most cap
 * entries to out (may be NULL when cap is 0) and returns the path's length in sites (1 when
 * i == j), or -1 for an out-of-range index. */
int torta_topology_path(const torta_topology *t, int i, int j, int *out, int cap);

/* Great-circle distance in km (haversine, mean Earth radius 6371 km). */
double torta_great_circle_km(double lat1, double lon1, double lat2, double lon2);

#endif
