/* Private to src/net: reading GML/GraphML through igraph without letting it abort or print, and
 * turning the attributed igraph graph into builder sites and edges. */
#ifndef TORTA_NET_TOPO_IGRAPH_H
#define TORTA_NET_TOPO_IGRAPH_H

#include <igraph/igraph.h>

#include "net/topo_internal.h"

/* While a guard is active, igraph errors are recorded in msg (not fatal) and igraph warnings go
 * to b's warning callback (b may be NULL: dropped). Guards restore the previous handlers. */
typedef struct topo_igraph_guard {
    igraph_error_handler_t *old_err;
    igraph_warning_handler_t *old_warn;
    struct topo_igraph_guard *outer;
    topo_builder *b;
    char msg[512];
} topo_igraph_guard;

void topo_igraph_guard_begin(topo_igraph_guard *g, topo_builder *b);
void topo_igraph_guard_end(topo_igraph_guard *g);

/* Reads b->path as GML (graphml = 0) or GraphML into g (with C attributes). */
int topo_igraph_read(topo_builder *b, int graphml, igraph_t *g, torta_err *e);

/* The first of the NULL-terminated graph attributes `names` that is a non-empty string, copied;
 * NULL when none. */
char *topo_igraph_graph_name(const igraph_t *g, const char *const *names);

/* Adds every vertex as a site and every edge as an edge. Vertex name: the first non-empty of
 * the name_attrs; coordinates from Latitude/Longitude (either case); edge attributes
 * latency_ms, bandwidth_gbps (else LinkSpeedRaw in bit/s), egress_usd_per_gb. */
int topo_igraph_fill(topo_builder *b, const igraph_t *g, const char *const *name_attrs,
                     torta_err *e);

#endif
