/* Private to src/net: the topology builder that the GML, GraphML and JSON readers fill, and the
 * final step (names, link attributes, parallel edges, components, path matrices) they share. */
#ifndef TORTA_NET_TOPO_INTERNAL_H
#define TORTA_NET_TOPO_INTERNAL_H

#include "torta/topology.h"

/* Plausibility bounds for input values; outside them is an input error naming the field. */
#define TOPO_MAX_LATENCY_MS 10000.0     /* one way; GEO satellite hops are ~280 ms */
#define TOPO_MIN_BANDWIDTH_GBPS 1e-6    /* 1 kbit/s */
#define TOPO_MAX_BANDWIDTH_GBPS 1e6     /* 1 Pbit/s */
#define TOPO_MAX_EGRESS_USD_PER_GB 100.0
#define TOPO_MAX_SITES 10000            /* three n x n double matrices: 2.4 GB at the cap */

typedef struct topo_raw_site {
    char *name;            /* as read; made unique by topo_build when allowed */
    char *ref;             /* where the file defines it, for messages: "[id 3]" or "(nodes[3])";
                            * messages say "node '<name>' <ref>" */
    double lat_deg, lon_deg;
    int has_coords;
    int transit;           /* Topology Zoo hyperedge node: a shared link, not a point of presence */
    double tz_offset_h;    /* NaN: derive */
    double electricity_usd_per_kwh, carbon_g_per_kwh, gpu_price_multiplier; /* NaN: absent */
} topo_raw_site;

typedef struct topo_raw_edge {
    int u, v;
    double latency_ms;      /* NaN: derive from coordinates */
    double bandwidth_gbps;  /* NaN: default */
    double egress_uv, egress_vu; /* USD/GB per direction; NaN: default */
    char where[192];        /* "edge 3 ('A' -- 'B')" or "edges[3]", for messages */
} topo_raw_edge;

typedef struct topo_builder {
    const char *path;
    const torta_topo_opts *opts;
    torta_warn_fn warn;
    void *warn_ud;
    int n_warnings;
    char *network_name;
    int uniquify_names;            /* GML/GraphML: repeated labels get "#k"; JSON: never repeated */
    int missing_latency_is_error;  /* JSON: latency_ms required when coordinates are missing */
    int n_sites, cap_sites;
    topo_raw_site *sites;
    int n_edges, cap_edges;
    topo_raw_edge *edges;
} topo_builder;

void topo_builder_init(topo_builder *b, const char *path, const torta_topo_opts *opts,
                       torta_warn_fn warn, void *warn_ud);
void topo_builder_free(topo_builder *b);
/* Copies name and ref. Coordinates and attributes start absent (NaN). Returns the index or <0. */
int topo_builder_add_site(topo_builder *b, const char *name, const char *ref, torta_err *e);
/* Attribute fields start NaN; the caller fills them. Returns the new edge or NULL (ENOMEM). */
topo_raw_edge *topo_builder_add_edge(topo_builder *b, int u, int v, torta_err *e);
void topo_warn(topo_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Renames repeated labels "Label#2", ... (file order) with one warning per label. */
int topo_make_names_unique(topo_builder *b, torta_err *e);

/* Validates and turns the builder into a topology (the builder keeps ownership of its data). */
int topo_build(topo_builder *b, torta_topology **out, torta_err *e);

/* Fills t->latency_s, bandwidth_bps, egress_usd_per_gb and pred from t->links (connected). */
int topo_paths_compute(torta_topology *t, torta_err *e);

/* Readers: fill the builder from a file (errors name b->path). */
int topo_read_gml(topo_builder *b, torta_err *e);
int topo_read_graphml(topo_builder *b, torta_err *e);
int topo_read_json(topo_builder *b, torta_err *e);

char *topo_strdup(const char *s);

#endif
