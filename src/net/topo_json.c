/* Native JSON topology format:
 * {"name", "description", "nodes": [{"name", "lat_deg", "lon_deg", "tz_offset_h",
 *   "electricity_usd_per_kwh", "carbon_g_per_kwh", "gpu_price_multiplier"}],
 *  "edges": [{"source", "target", "latency_ms", "bandwidth_gbps", "egress_usd_per_gb",
 *   "reverse_egress_usd_per_gb"}]}
 * Unknown keys are errors (with a did-you-mean); errors name the JSON path. */
#include "net/topo_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torta/json.h"

static const char *const ROOT_KEYS[] = {"name", "description", "nodes", "edges", NULL};
static const char *const NODE_KEYS[] = {"name", "lat_deg", "lon_deg", "tz_offset_h",
                                        "electricity_usd_per_kwh", "carbon_g_per_kwh",
                                        "gpu_price_multiplier", NULL};
static const char *const EDGE_KEYS[] = {"source", "target", "latency_ms", "bandwidth_gbps",
                                        "egress_usd_per_gb", "reverse_egress_usd_per_gb", NULL};

static int read_node(topo_builder *b, const cJSON *n, int i, torta_err *e)
{
    char where[48], ref[56];
    snprintf(where, sizeof where, "nodes[%d]", i);
    snprintf(ref, sizeof ref, "(%s)", where);
    if (!cJSON_IsObject(n))
        return torta_err_set(e, TORTA_EINPUT, "%s: expected an object", where);
    const char *name;
    int rc = torta_json_check_keys(n, where, NODE_KEYS, e);
    if (!rc)
        rc = torta_json_str(n, "name", where, 1, NULL, &name, e);
    if (rc)
        return rc;
    if (!name[0])
        return torta_err_set(e, TORTA_EINPUT, "%s.name: empty", where);
    for (int j = 0; j < b->n_sites; j++)
        if (strcmp(b->sites[j].name, name) == 0)
            return torta_err_set(e, TORTA_EINPUT, "%s.name: duplicate site name '%s' (also "
                                 "nodes[%d])", where, name, j);
    int s = topo_builder_add_site(b, name, ref, e);
    if (s < 0)
        return s;
    topo_raw_site *st = &b->sites[s];
    int has_lat = cJSON_HasObjectItem(n, "lat_deg"), has_lon = cJSON_HasObjectItem(n, "lon_deg");
    if (has_lat != has_lon)
        return torta_err_set(e, TORTA_EINPUT, "%s: has %s but no %s", where,
                             has_lat ? "lat_deg" : "lon_deg", has_lat ? "lon_deg" : "lat_deg");
    rc = torta_json_num(n, "lat_deg", where, -90, 90, 0, NAN, &st->lat_deg, e);
    if (!rc)
        rc = torta_json_num(n, "lon_deg", where, -180, 180, 0, NAN, &st->lon_deg, e);
    if (!rc)
        rc = torta_json_num(n, "tz_offset_h", where, -12, 14, 0, NAN, &st->tz_offset_h, e);
    if (!rc)
        rc = torta_json_num(n, "electricity_usd_per_kwh", where, 0, 10, 0, NAN,
                            &st->electricity_usd_per_kwh, e);
    if (!rc)
        rc = torta_json_num(n, "carbon_g_per_kwh", where, 0, 2000, 0, NAN, &st->carbon_g_per_kwh,
                            e);
    if (!rc)
        rc = torta_json_num(n, "gpu_price_multiplier", where, 0.01, 100, 0, NAN,
                            &st->gpu_price_multiplier, e);
    st->has_coords = has_lat;
    return rc;
}

/* Index of the site named by edges[i].<key>, with a did-you-mean when unknown. */
static int endpoint(const topo_builder *b, const cJSON *ed, const char *key, const char *where,
                    const char *const *names, int *out, torta_err *e)
{
    const char *name;
    int rc = torta_json_str(ed, key, where, 1, NULL, &name, e);
    if (rc)
        return rc;
    for (int j = 0; j < b->n_sites; j++)
        if (strcmp(b->sites[j].name, name) == 0) {
            *out = j;
            return 0;
        }
    const char *hint = torta_did_you_mean(name, names);
    return torta_err_set(e, TORTA_EINPUT, "%s.%s: unknown site \"%s\"%s%s%s", where, key, name,
                         hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
}

static int read_edge(topo_builder *b, const cJSON *ed, int i, const char *const *names,
                     torta_err *e)
{
    char where[48];
    snprintf(where, sizeof where, "edges[%d]", i);
    if (!cJSON_IsObject(ed))
        return torta_err_set(e, TORTA_EINPUT, "%s: expected an object", where);
    int u, v;
    int rc = torta_json_check_keys(ed, where, EDGE_KEYS, e);
    if (!rc)
        rc = endpoint(b, ed, "source", where, names, &u, e);
    if (!rc)
        rc = endpoint(b, ed, "target", where, names, &v, e);
    if (rc)
        return rc;
    topo_raw_edge *r = topo_builder_add_edge(b, u, v, e);
    if (!r)
        return TORTA_ENOMEM;
    snprintf(r->where, sizeof r->where, "%s", where);
    rc = torta_json_num(ed, "latency_ms", where, 0, TOPO_MAX_LATENCY_MS, 0, NAN, &r->latency_ms,
                        e);
    if (!rc)
        rc = torta_json_num(ed, "bandwidth_gbps", where, TOPO_MIN_BANDWIDTH_GBPS,
                            TOPO_MAX_BANDWIDTH_GBPS, 0, NAN, &r->bandwidth_gbps, e);
    if (!rc)
        rc = torta_json_num(ed, "egress_usd_per_gb", where, 0, TOPO_MAX_EGRESS_USD_PER_GB, 0, NAN,
                            &r->egress_uv, e);
    if (!rc)
        rc = torta_json_num(ed, "reverse_egress_usd_per_gb", where, 0, TOPO_MAX_EGRESS_USD_PER_GB,
                            0, NAN, &r->egress_vu, e);
    return rc;
}

static int read_doc(topo_builder *b, const cJSON *root, torta_err *e)
{
    if (!cJSON_IsObject(root))
        return torta_err_set(e, TORTA_EINPUT, "top level: expected an object");
    const char *name;
    int rc = torta_json_check_keys(root, "top level", ROOT_KEYS, e);
    if (!rc)
        rc = torta_json_str(root, "name", "top level", 0, NULL, &name, e);
    if (rc)
        return rc;
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(root, "description");
    if (desc && !cJSON_IsString(desc))
        return torta_err_set(e, TORTA_EINPUT, "description: expected a string");
    if (name && !(b->network_name = topo_strdup(name)))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
    const cJSON *edges = cJSON_GetObjectItemCaseSensitive(root, "edges");
    if (!nodes)
        return torta_err_set(e, TORTA_EINPUT, "nodes: missing (an array of sites is required)");
    if (!cJSON_IsArray(nodes))
        return torta_err_set(e, TORTA_EINPUT, "nodes: expected an array");
    if (edges && !cJSON_IsArray(edges))
        return torta_err_set(e, TORTA_EINPUT, "edges: expected an array");
    int i = 0;
    for (const cJSON *n = nodes->child; n && !rc; n = n->next)
        rc = read_node(b, n, i++, e);
    if (rc || !edges)
        return rc;
    const char **names = malloc(((size_t)b->n_sites + 1) * sizeof *names);
    if (!names)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    for (int s = 0; s < b->n_sites; s++)
        names[s] = b->sites[s].name;
    names[b->n_sites] = NULL;
    i = 0;
    for (const cJSON *ed = edges->child; ed && !rc; ed = ed->next)
        rc = read_edge(b, ed, i++, names, e);
    free(names);
    return rc;
}

int topo_read_json(topo_builder *b, torta_err *e)
{
    cJSON *root = NULL;
    int rc = torta_json_read_file(b->path, &root, e);
    if (rc)
        return rc; /* already names the file (and line:column for syntax errors) */
    b->missing_latency_is_error = 1;
    rc = read_doc(b, root, e);
    cJSON_Delete(root);
    if (rc)
        torta_err_prefix(e, "%s", b->path);
    return rc;
}
