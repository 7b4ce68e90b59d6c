/* Topology entry points: default options, loading by file extension, lookup, path walking,
 * freeing, and the great-circle distance used to derive link latency. */
#include "net/topo_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

void torta_topo_opts_default(torta_topo_opts *o)
{
    o->us_per_km = 5.0;
    o->stretch = 1.5;
    o->default_latency_ms = 5.0;
    o->default_bandwidth_gbps = 10.0;
    o->default_egress_usd_per_gb = 0.02;
    o->keep_largest_component = 0;
}

double torta_great_circle_km(double lat1, double lon1, double lat2, double lon2)
{
    const double rad = 3.14159265358979323846 / 180.0, earth_km = 6371.0;
    double p1 = lat1 * rad, p2 = lat2 * rad;
    double dp = (lat2 - lat1) * rad, dl = (lon2 - lon1) * rad;
    double a = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
    a = fmin(1.0, fmax(0.0, a));
    return 2.0 * earth_km * atan2(sqrt(a), sqrt(1.0 - a));
}

static int check_opts(const torta_topo_opts *o, torta_err *e)
{
    struct {
        const char *name;
        double x, lo, hi;
    } f[] = {
        {"us_per_km", o->us_per_km, 0.1, 100},
        {"stretch", o->stretch, 1.0, 10},
        {"default_latency_ms", o->default_latency_ms, 0, TOPO_MAX_LATENCY_MS},
        {"default_bandwidth_gbps", o->default_bandwidth_gbps, TOPO_MIN_BANDWIDTH_GBPS,
         TOPO_MAX_BANDWIDTH_GBPS},
        {"default_egress_usd_per_gb", o->default_egress_usd_per_gb, 0,
         TOPO_MAX_EGRESS_USD_PER_GB},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (!(f[i].x >= f[i].lo && f[i].x <= f[i].hi))
            return torta_err_set(e, TORTA_EINPUT, "topology option %s: %g is outside [%g, %g]",
                                 f[i].name, f[i].x, f[i].lo, f[i].hi);
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)s[n - k + i]) != tolower((unsigned char)suffix[i]))
            return 0;
    return 1;
}

/* "dir/Abilene.gml" -> "Abilene". */
static char *file_stem(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, base, n);
        s[n] = '\0';
    }
    return s;
}

int torta_topology_load(const char *path, const torta_topo_opts *opts, torta_warn_fn warn,
                        void *warn_ud, torta_topology **out, torta_err *e)
{
    *out = NULL;
    torta_topo_opts def;
    if (!opts) {
        torta_topo_opts_default(&def);
        opts = &def;
    }
    int rc = check_opts(opts, e);
    if (rc)
        return rc;
    int (*reader)(topo_builder *, torta_err *) = NULL;
    if (ends_with(path, ".gml"))
        reader = topo_read_gml;
    else if (ends_with(path, ".graphml") || ends_with(path, ".xml"))
        reader = topo_read_graphml;
    else if (ends_with(path, ".json"))
        reader = topo_read_json;
    else
        return torta_err_set(e, TORTA_EINPUT,
                             "%s: unknown topology format (expected .gml, .graphml, .xml or .json)",
                             path);
    topo_builder b;
    topo_builder_init(&b, path, opts, warn, warn_ud);
    rc = reader(&b, e);
    if (!rc && !b.network_name && !(b.network_name = file_stem(path)))
        rc = torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", path);
    if (!rc)
        rc = topo_build(&b, out, e);
    topo_builder_free(&b);
    return rc;
}

void torta_topology_free(torta_topology *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->n_sites; i++)
        free(t->sites[i].name);
    for (int i = 0; i < t->n_dropped; i++)
        free(t->dropped[i]);
    free(t->sites);
    free(t->dropped);
    free(t->links);
    free(t->latency_s);
    free(t->bandwidth_bps);
    free(t->egress_usd_per_gb);
    free(t->pred);
    free(t->source_path);
    free(t->network_name);
    free(t);
}

int torta_topology_find(const torta_topology *t, const char *name)
{
    for (int i = 0; i < t->n_sites; i++)
        if (strcmp(t->sites[i].name, name) == 0)
            return i;
    return -1;
}

int torta_topology_path(const torta_topology *t, int i, int j, int *out, int cap)
{
    if (i < 0 || j < 0 || i >= t->n_sites || j >= t->n_sites)
        return -1;
    const int *pred = t->pred + (size_t)i * t->n_sites;
    int len = 1;
    for (int v = j; v != i; v = pred[v])
        len++;
    int k = len;
    for (int v = j;; v = pred[v]) {
        if (--k < cap)
            out[k] = v;
        if (v == i)
            break;
    }
    return len;
}
