/* GML (Internet Topology Zoo) and GraphML loading through igraph: error/warning capture,
 * attribute access tolerant of numbers stored as strings, and conversion into builder sites and
 * edges (coordinates from Latitude/Longitude, link speed from LinkSpeedRaw in bit/s). */
#include "net/topo_igraph.h"
#include "base/input_file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* igraph's handlers take no user pointer, so the active guard is found through this
 * thread-local; it is set only for the duration of a load. */
static _Thread_local topo_igraph_guard *tl_guard;

static void on_igraph_error(const char *reason, const char *file, int line, igraph_error_t err)
{
    (void)file;
    (void)line;
    if (tl_guard && !tl_guard->msg[0])
        snprintf(tl_guard->msg, sizeof tl_guard->msg, "%s", reason ? reason : igraph_strerror(err));
    IGRAPH_FINALLY_FREE();
}

static void on_igraph_warning(const char *reason, const char *file, int line)
{
    (void)file;
    (void)line;
    if (tl_guard && tl_guard->b)
        topo_warn(tl_guard->b, "%s: igraph: %s", tl_guard->b->path, reason);
}

void topo_igraph_guard_begin(topo_igraph_guard *g, topo_builder *b)
{
    memset(g, 0, sizeof *g);
    g->b = b;
    g->outer = tl_guard;
    tl_guard = g;
    g->old_err = igraph_set_error_handler(on_igraph_error);
    g->old_warn = igraph_set_warning_handler(on_igraph_warning);
}

void topo_igraph_guard_end(topo_igraph_guard *g)
{
    igraph_set_error_handler(g->old_err);
    igraph_set_warning_handler(g->old_warn);
    tl_guard = g->outer;
}

int topo_igraph_read(topo_builder *b, int graphml, igraph_t *g, torta_err *e)
{
    int rc0 = torta_input_file_check(b->path, "--topology", 0, e); /* igraph aborts on a folder */
    if (rc0)
        return rc0;
    FILE *f = fopen(b->path, "rb");
    if (!f)
        return torta_err_set(e, TORTA_EINPUT, "%s: cannot open: %s", b->path, strerror(errno));
    /* Process-global in igraph; setting the same table again is harmless. */
    igraph_set_attribute_table(&igraph_cattribute_table);
    topo_igraph_guard guard;
    topo_igraph_guard_begin(&guard, b);
    igraph_error_t rc = graphml ? igraph_read_graph_graphml(g, f, 0) : igraph_read_graph_gml(g, f);
    topo_igraph_guard_end(&guard);
    fclose(f);
    if (rc == IGRAPH_UNIMPLEMENTED && graphml)
        return torta_err_set(e, TORTA_EINPUT,
                             "%s: this igraph build has no GraphML support (needs libxml2); "
                             "convert the file to GML or the native JSON format (%s)",
                             b->path, guard.msg);
    if (rc == IGRAPH_ENOMEM)
        return torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", b->path);
    if (rc)
        return torta_err_set(e, TORTA_EINPUT, "%s: cannot parse as %s: %s", b->path,
                             graphml ? "GraphML" : "GML",
                             guard.msg[0] ? guard.msg : igraph_strerror(rc));
    return 0;
}

/* Attribute names and types of the graph, its vertices and its edges. */
typedef struct attr_list {
    igraph_strvector_t gn, vn, en;
    igraph_vector_int_t gt, vt, et;
    int n_init; /* how many of the six are initialised, for attr_list_free */
} attr_list;

static void attr_list_free(attr_list *a)
{
    igraph_strvector_t *sv[3] = {&a->gn, &a->vn, &a->en};
    igraph_vector_int_t *iv[3] = {&a->gt, &a->vt, &a->et};
    for (int k = 0; k < a->n_init; k++) {
        if (k < 3)
            igraph_strvector_destroy(sv[k]);
        else
            igraph_vector_int_destroy(iv[k - 3]);
    }
    a->n_init = 0;
}

static int attr_list_init(const igraph_t *g, attr_list *a)
{
    igraph_strvector_t *sv[3] = {&a->gn, &a->vn, &a->en};
    igraph_vector_int_t *iv[3] = {&a->gt, &a->vt, &a->et};
    a->n_init = 0;
    for (int k = 0; k < 6; k++) {
        if (k < 3 ? igraph_strvector_init(sv[k], 0) : igraph_vector_int_init(iv[k - 3], 0)) {
            attr_list_free(a);
            return TORTA_ENOMEM;
        }
        a->n_init++;
    }
    if (igraph_cattribute_list(g, &a->gn, &a->gt, &a->vn, &a->vt, &a->en, &a->et)) {
        attr_list_free(a);
        return TORTA_ENOMEM;
    }
    return 0;
}

/* Type of the attribute `name` in (names, types), or -1 when absent. */
static int attr_type(const igraph_strvector_t *names, const igraph_vector_int_t *types,
                     const char *name)
{
    for (igraph_integer_t i = 0; i < igraph_strvector_size(names); i++)
        if (strcmp(igraph_strvector_get(names, i), name) == 0)
            return (int)VECTOR(*types)[i];
    return -1;
}

/* The first of two spellings present, or NULL; *type gets its type. */
static const char *pick(const igraph_strvector_t *names, const igraph_vector_int_t *types,
                        const char *a, const char *b, int *type)
{
    if ((*type = attr_type(names, types, a)) >= 0)
        return a;
    if (b && (*type = attr_type(names, types, b)) >= 0)
        return b;
    return NULL;
}

/* 1: *out holds the value; 0: absent (no attribute, NaN, or empty string); -1: not a number
 * (text holds what was there). */
static int num_value(const igraph_t *g, int vertex, const char *name, int type,
                     igraph_integer_t i, double *out, char *text, size_t text_cap)
{
    if (!name)
        return 0;
    if (type == IGRAPH_ATTRIBUTE_NUMERIC) {
        double x = vertex ? VAN(g, name, i) : EAN(g, name, i);
        if (isnan(x))
            return 0;
        *out = x;
        return 1;
    }
    if (type == IGRAPH_ATTRIBUTE_STRING) {
        const char *s = vertex ? VAS(g, name, i) : EAS(g, name, i);
        while (*s == ' ')
            s++;
        if (!*s)
            return 0;
        char *end;
        errno = 0;
        double x = strtod(s, &end);
        while (*end == ' ')
            end++;
        if (*end || errno) {
            snprintf(text, text_cap, "'%s'", s);
            return -1;
        }
        *out = x;
        return 1;
    }
    snprintf(text, text_cap, "a non-numeric value");
    return -1;
}

char *topo_igraph_graph_name(const igraph_t *g, const char *const *names)
{
    topo_igraph_guard guard;
    topo_igraph_guard_begin(&guard, NULL);
    char *found = NULL;
    for (int k = 0; names[k] && !found; k++) {
        if (!igraph_cattribute_has_attr(g, IGRAPH_ATTRIBUTE_GRAPH, names[k]))
            continue;
        attr_list a;
        if (attr_list_init(g, &a))
            break;
        int type = attr_type(&a.gn, &a.gt, names[k]);
        attr_list_free(&a);
        const char *v = type == IGRAPH_ATTRIBUTE_STRING ? GAS(g, names[k]) : "";
        size_t n = strlen(v);
        while (n > 0 && v[n - 1] == ' ') /* "Cogent " in the Zoo file */
            n--;
        if (n > 0 && (found = malloc(n + 1))) {
            memcpy(found, v, n);
            found[n] = '\0';
        }
    }
    topo_igraph_guard_end(&guard);
    return found;
}

/* Vertex i's name: the first non-empty name attribute (numbers printed), else its index. */
static void vertex_name(const igraph_t *g, const attr_list *a, const char *const *name_attrs,
                        igraph_integer_t i, char *buf, size_t cap)
{
    for (int k = 0; name_attrs[k]; k++) {
        int type = attr_type(&a->vn, &a->vt, name_attrs[k]);
        if (type == IGRAPH_ATTRIBUTE_STRING && VAS(g, name_attrs[k], i)[0]) {
            snprintf(buf, cap, "%s", VAS(g, name_attrs[k], i));
            return;
        }
        if (type == IGRAPH_ATTRIBUTE_NUMERIC && !isnan(VAN(g, name_attrs[k], i))) {
            snprintf(buf, cap, "%.15g", VAN(g, name_attrs[k], i));
            return;
        }
    }
    snprintf(buf, cap, "%ld", (long)i);
}

/* Where vertex i is defined, for messages: "[id 3]" (the file's own id when it has one). */
static void vertex_ref(const igraph_t *g, const attr_list *a, igraph_integer_t i, char *buf,
                       size_t cap)
{
    int type = attr_type(&a->vn, &a->vt, "id");
    if (type == IGRAPH_ATTRIBUTE_NUMERIC)
        snprintf(buf, cap, "[id %.15g]", VAN(g, "id", i));
    else if (type == IGRAPH_ATTRIBUTE_STRING)
        snprintf(buf, cap, "[id %.200s]", VAS(g, "id", i));
    else
        snprintf(buf, cap, "[#%ld]", (long)i);
}

static int bad_value(const topo_builder *b, const char *where, const char *field,
                     const char *text, torta_err *e)
{
    return torta_err_set(e, TORTA_EINPUT, "%s: %s: %s: %s is not a number", b->path, where,
                         field, text);
}

static int out_of_range(const topo_builder *b, const char *where, const char *field, double x,
                        double lo, double hi, torta_err *e)
{
    return torta_err_set(e, TORTA_EINPUT, "%s: %s: %s: %g is outside [%g, %g]", b->path, where,
                         field, x, lo, hi);
}

static int fill_sites(topo_builder *b, const igraph_t *g, const attr_list *a,
                      const char *const *name_attrs, torta_err *e)
{
    int lat_t, lon_t, hyper_t, n_transit = 0;
    const char *lat_n = pick(&a->vn, &a->vt, "Latitude", "latitude", &lat_t);
    const char *lon_n = pick(&a->vn, &a->vt, "Longitude", "longitude", &lon_t);
    const char *hyper_n = pick(&a->vn, &a->vt, "hyperedge", NULL, &hyper_t);
    char name[1024], id[216], ref[1280], text[96], first[1280] = "";
    for (igraph_integer_t i = 0; i < igraph_vcount(g); i++) {
        vertex_name(g, a, name_attrs, i, name, sizeof name);
        vertex_ref(g, a, i, id, sizeof id);
        snprintf(ref, sizeof ref, "node '%s' %s", name, id);
        int rc = topo_builder_add_site(b, name, id, e);
        if (rc < 0)
            return rc;
        topo_raw_site *s = &b->sites[rc];
        double lat = NAN, lon = NAN;
        int hl = num_value(g, 1, lat_n, lat_t, i, &lat, text, sizeof text);
        if (hl < 0)
            return bad_value(b, ref, lat_n, text, e);
        int ho = num_value(g, 1, lon_n, lon_t, i, &lon, text, sizeof text);
        if (ho < 0)
            return bad_value(b, ref, lon_n, text, e);
        if (hl != ho)
            return torta_err_set(e, TORTA_EINPUT, "%s: %s: has %s but no %s", b->path, ref,
                                 hl ? lat_n : lon_n, hl ? (lon_n ? lon_n : "Longitude")
                                                        : (lat_n ? lat_n : "Latitude"));
        if (hl) {
            if (!(lat >= -90.0 && lat <= 90.0))
                return out_of_range(b, ref, lat_n, lat, -90, 90, e);
            if (!(lon >= -180.0 && lon <= 180.0))
                return out_of_range(b, ref, lon_n, lon, -180, 180, e);
            s->lat_deg = lat;
            s->lon_deg = lon;
            s->has_coords = 1;
        }
        double hyper = 0;
        if (num_value(g, 1, hyper_n, hyper_t, i, &hyper, text, sizeof text) < 0)
            return bad_value(b, ref, hyper_n, text, e);
        if (hyper != 0) {
            s->transit = 1;
            if (!n_transit++)
                snprintf(first, sizeof first, "%s", ref);
        }
    }
    if (n_transit)
        topo_warn(b, "%s: %d hyperedge node(s) (shared links, not points of presence; first: %s) carry "
                  "traffic but host no servers under regions.sites \"all\"; list them in "
                  "regions.sites to give them servers", b->path, n_transit, first);
    return 0;
}

/* One optional numeric edge attribute in [lo, hi]; *out stays NaN when absent. */
static int edge_num(const topo_builder *b, const igraph_t *g, const attr_list *a,
                    const char *field, igraph_integer_t i, const char *where, double lo,
                    double hi, double *out, torta_err *e)
{
    char text[96];
    double x;
    int type = attr_type(&a->en, &a->et, field);
    int h = num_value(g, 0, type >= 0 ? field : NULL, type, i, &x, text, sizeof text);
    if (h < 0)
        return bad_value(b, where, field, text, e);
    if (h == 0)
        return 0;
    if (!(x >= lo && x <= hi))
        return out_of_range(b, where, field, x, lo, hi, e);
    *out = x;
    return 0;
}

static int fill_edges(topo_builder *b, const igraph_t *g, const attr_list *a, torta_err *e)
{
    for (igraph_integer_t i = 0; i < igraph_ecount(g); i++) {
        int u = (int)IGRAPH_FROM(g, i), v = (int)IGRAPH_TO(g, i);
        if (!igraph_is_directed(g) && u > v) { /* igraph stores undirected edges high-first */
            int x = u;
            u = v;
            v = x;
        }
        topo_raw_edge *ed = topo_builder_add_edge(b, u, v, e);
        if (!ed)
            return TORTA_ENOMEM;
        snprintf(ed->where, sizeof ed->where, "edge %ld ('%.50s' %.20s -- '%.50s' %.20s)",
                 (long)i, b->sites[u].name, b->sites[u].ref, b->sites[v].name, b->sites[v].ref);
        double raw_bps = NAN;
        int rc = edge_num(b, g, a, "latency_ms", i, ed->where, 0, TOPO_MAX_LATENCY_MS,
                          &ed->latency_ms, e);
        if (!rc)
            rc = edge_num(b, g, a, "bandwidth_gbps", i, ed->where, TOPO_MIN_BANDWIDTH_GBPS,
                          TOPO_MAX_BANDWIDTH_GBPS, &ed->bandwidth_gbps, e);
        if (!rc)
            rc = edge_num(b, g, a, "LinkSpeedRaw", i, ed->where, TOPO_MIN_BANDWIDTH_GBPS * 1e9,
                          TOPO_MAX_BANDWIDTH_GBPS * 1e9, &raw_bps, e);
        if (!rc)
            rc = edge_num(b, g, a, "egress_usd_per_gb", i, ed->where, 0,
                          TOPO_MAX_EGRESS_USD_PER_GB, &ed->egress_uv, e);
        if (rc)
            return rc;
        if (isnan(ed->bandwidth_gbps) && !isnan(raw_bps))
            ed->bandwidth_gbps = raw_bps / 1e9;
    }
    return 0;
}

int topo_igraph_fill(topo_builder *b, const igraph_t *g, const char *const *name_attrs,
                     torta_err *e)
{
    attr_list a;
    topo_igraph_guard guard;
    topo_igraph_guard_begin(&guard, b);
    int rc = attr_list_init(g, &a);
    if (rc)
        rc = torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", b->path);
    if (!rc)
        rc = fill_sites(b, g, &a, name_attrs, e);
    if (!rc)
        rc = fill_edges(b, g, &a, e);
    attr_list_free(&a);
    topo_igraph_guard_end(&guard);
    return rc;
}

/* GML (Topology Zoo) and GraphML differ only in the parser: nodes are named by label, else
 * name, else the file's id; repeated labels are renamed "Label#2", ... */
static int read_igraph_format(topo_builder *b, int graphml, torta_err *e)
{
    igraph_t g;
    int rc = topo_igraph_read(b, graphml, &g, e);
    if (rc)
        return rc;
    static const char *const graph_names[] = {"Network", "label", "name", NULL};
    static const char *const node_names[] = {"label", "name", "id", NULL};
    b->network_name = topo_igraph_graph_name(&g, graph_names);
    b->uniquify_names = 1;
    rc = topo_igraph_fill(b, &g, node_names, e);
    igraph_destroy(&g);
    return rc;
}

int topo_read_gml(topo_builder *b, torta_err *e)
{
    return read_igraph_format(b, 0, e);
}

int topo_read_graphml(topo_builder *b, torta_err *e)
{
    return read_igraph_format(b, 1, e);
}
