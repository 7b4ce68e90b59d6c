/* libFuzzer harness for the topology loader (include/torta/topology.h). The first input byte
 * picks the file extension, which picks the reader: '0' .gml (igraph GML), '1' .json (native),
 * '2' .graphml (igraph GraphML); other bytes map onto these modulo 3. Odd bytes also set
 * keep_largest_component. A loaded topology is checked against the header's contract
 * (symmetric latency, zero diagonal, paths that end where they should), else abort(). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "torta/topology.h"
#include "fuzz_common.h"

static void on_warn(void *ud, const char *msg)
{
    (void)strlen(msg);
    ++*(int *)ud;
}

static void check(const torta_topology *t)
{
    int n = t->n_sites;
    if (n < 1 || !t->network_name)
        abort();
    for (int i = 0; i < n; i++) {
        if (torta_topology_find(t, t->sites[i].name) != i) /* names are unique */
            abort();
        for (int j = 0; j < n; j++) {
            size_t ij = (size_t)i * n + j, ji = (size_t)j * n + i;
            if (t->latency_s[ij] != t->latency_s[ji] || !(t->latency_s[ij] >= 0) ||
                (i == j && t->latency_s[ij] != 0))
                abort();
            int path[64];
            int len = torta_topology_path(t, i, j, path, 64);
            if (len < 1 || len > n || (len <= 64 && (path[0] != i || path[len - 1] != j)))
                abort();
        }
    }
    for (int k = 0; k < t->n_links; k++)
        if (t->links[k].a < 0 || t->links[k].a >= t->links[k].b || t->links[k].b >= n)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const ext[] = {".gml", ".json", ".graphml"};
    unsigned mode = (unsigned)(data[0] - '0') % 3u;
    torta_topo_opts o;
    torta_topo_opts_default(&o);
    o.keep_largest_component = data[0] & 1;
    const char *path = fuzz_write(ext[mode], data + 1, size - 1);
    torta_topology *t = NULL;
    torta_err e = {0};
    int warnings = 0;
    int rc = torta_topology_load(path, &o, on_warn, &warnings, &t, &e);
    if (rc == 0) {
        check(t);
        torta_topology_free(t);
    } else if (t != NULL || rc >= 0 || e.code != rc || !e.msg[0]) {
        abort();
    }
    return 0;
}
