/* Unit tests of the topology module: great-circle distance, latency derived from coordinates,
 * shortest paths with bottleneck bandwidth and directional egress, parallel edges, missing
 * coordinates, components, GML/GraphML/JSON readers, malformed inputs with their exact
 * messages, and invariants of every shipped topology. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "torta/topology.h"
#include "run_suite.h"

/* One degree of longitude on the equator, and its one-way latency with the default options. */
#define DEG_KM (6371.0 * 3.14159265358979323846 / 180.0)
#define DEG_MS (DEG_KM * 5.0 * 1.5 / 1000.0)

typedef struct warnings {
    int n;
    char msg[16][1024];
} warnings;

static void collect(void *ud, const char *m)
{
    warnings *w = ud;
    if (w->n < 16)
        snprintf(w->msg[w->n], sizeof w->msg[0], "%s", m);
    w->n++;
}

static int any_warning(const warnings *w, const char *needle)
{
    for (int i = 0; i < w->n && i < 16; i++)
        if (strstr(w->msg[i], needle))
            return 1;
    return 0;
}

static void path_of(const char *rel, char *buf, size_t cap)
{
    const char *root = getenv("TORTA_SOURCE_DIR");
    snprintf(buf, cap, "%s/%s", root ? root : ".", rel);
}

static torta_topology *load_opts(const char *rel, const torta_topo_opts *o, warnings *w)
{
    char p[1024];
    path_of(rel, p, sizeof p);
    torta_topology *t = NULL;
    torta_err e = {0};
    int rc = torta_topology_load(p, o, collect, w, &t, &e);
    ck_assert_msg(rc == 0, "%s: %s", rel, e.msg);
    ck_assert_int_eq(t->n_warnings, w->n);
    return t;
}

static torta_topology *load(const char *rel, warnings *w)
{
    return load_opts(rel, NULL, w);
}

static int site(const torta_topology *t, const char *name)
{
    int i = torta_topology_find(t, name);
    ck_assert_msg(i >= 0, "site %s not found", name);
    return i;
}

#define AT(m, t, i, j) ((t)->m[(size_t)(i) * (t)->n_sites + (j)])

/* Check records every passed ck_assert through a pipe; the pair loops below would make
 * millions of such writes, so they only call into Check on failure. */
#define REQUIRE(cond, ...)                                                                     \
    do {                                                                                       \
        if (!(cond))                                                                           \
            ck_abort_msg(__VA_ARGS__);                                                         \
    } while (0)

START_TEST(great_circle)
{
    /* London - New York is about 5570 km. */
    double d = torta_great_circle_km(51.5074, -0.1278, 40.7128, -74.0060);
    ck_assert_msg(fabs(d - 5570.0) < 10.0, "London-New York %.1f km", d);
    ck_assert_double_eq_tol(torta_great_circle_km(0, 0, 0, 1), DEG_KM, 1e-9);
    ck_assert_double_eq_tol(torta_great_circle_km(0, 0, 0, 180), 6371.0 * 3.14159265358979323846,
                            1e-6);
    ck_assert_double_eq_tol(torta_great_circle_km(-33.9, 151.2, -33.9, 151.2), 0.0, 1e-12);
}
END_TEST

START_TEST(tri_exact_and_intermediate_beats_direct)
{
    warnings w = {0};
    torta_topology *t = load("tests/fixtures/topo/tri.gml", &w);
    ck_assert_str_eq(t->network_name, "Tri");
    ck_assert_int_eq(t->n_sites, 3);
    ck_assert_int_eq(t->n_links, 3);
    ck_assert_int_eq(w.n, 0);
    int a = site(t, "A"), b = site(t, "B"), c = site(t, "C");
    ck_assert_double_eq_tol(AT(latency_s, t, a, b), 1 * DEG_MS / 1000.0, 1e-15);
    ck_assert_double_eq_tol(AT(latency_s, t, b, c), 2 * DEG_MS / 1000.0, 1e-15);
    /* The direct A-C link has latency_ms 100; through B it is 3 degrees (2.50 ms). */
    ck_assert_double_eq_tol(AT(latency_s, t, a, c), 3 * DEG_MS / 1000.0, 1e-15);
    ck_assert_double_eq(AT(latency_s, t, c, a), AT(latency_s, t, a, c));
    ck_assert_int_eq(AT(pred, t, a, c), b);
    int p[3];
    ck_assert_int_eq(torta_topology_path(t, a, c, p, 3), 3);
    ck_assert_int_eq(p[0], a);
    ck_assert_int_eq(p[1], b);
    ck_assert_int_eq(p[2], c);
    /* Bottleneck: A-B 10 Gbit/s, B-C 2.5 Gbit/s (LinkSpeedRaw). */
    ck_assert_double_eq(AT(bandwidth_bps, t, a, b), 10e9);
    ck_assert_double_eq(AT(bandwidth_bps, t, a, c), 2.5e9);
    ck_assert_double_eq(AT(bandwidth_bps, t, c, a), 2.5e9);
    /* Egress: two hops at the default 0.02 USD/GB. */
    ck_assert_double_eq_tol(AT(egress_usd_per_gb, t, a, c), 0.04, 1e-15);
    for (int i = 0; i < 3; i++) {
        ck_assert_double_eq(AT(latency_s, t, i, i), 0.0);
        ck_assert(isinf(AT(bandwidth_bps, t, i, i)));
        ck_assert_double_eq(AT(egress_usd_per_gb, t, i, i), 0.0);
        ck_assert_int_eq(AT(pred, t, i, i), -1);
        ck_assert(t->sites[i].has_coords);
        ck_assert_double_eq(t->sites[i].tz_offset_h, 0.0);
        ck_assert(isnan(t->sites[i].carbon_g_per_kwh));
    }
    torta_topology_free(t);
}
END_TEST

START_TEST(latency_tie_prefers_fewest_hops)
{
    warnings w = {0};
    torta_topology *t = load("tests/fixtures/topo/tie.gml", &w);
    int a = site(t, "A"), c = site(t, "C");
    /* On the equator A-C equals A-B-C; the direct link wins although it is narrower. */
    ck_assert_double_eq_tol(AT(latency_s, t, a, c), 3 * DEG_MS / 1000.0, 1e-15);
    ck_assert_int_eq(AT(pred, t, a, c), a);
    ck_assert_int_eq(torta_topology_path(t, a, c, NULL, 0), 2);
    ck_assert_double_eq(AT(bandwidth_bps, t, a, c), 1e9);
    torta_topology_free(t);
}
END_TEST

START_TEST(latency_tie_prefers_widest_then_cheapest)
{
    warnings w = {0};
    torta_topology *t = load("tests/fixtures/topo/diamond.json", &w);
    int a = site(t, "a"), d = site(t, "d"), f = site(t, "f");
    ck_assert_double_eq_tol(AT(latency_s, t, a, d), 0.002, 1e-15);
    /* b is narrower; c and f are equally wide, f is cheaper (c has the lower index). */
    ck_assert_int_eq(AT(pred, t, a, d), f);
    ck_assert_double_eq(AT(bandwidth_bps, t, a, d), 40e9);
    ck_assert_double_eq_tol(AT(egress_usd_per_gb, t, a, d), 0.01 + 0.02, 1e-15);
    /* Without reverse_egress_usd_per_gb a link costs the same both ways. */
    ck_assert_int_eq(AT(pred, t, d, a), f);
    ck_assert_double_eq_tol(AT(egress_usd_per_gb, t, d, a), 0.02 + 0.01, 1e-15);
    torta_topology_free(t);
}
END_TEST

START_TEST(parallel_edges_merge)
{
    warnings w = {0};
    torta_topology *t = load("tests/fixtures/topo/parallel.gml", &w);
    ck_assert_int_eq(t->n_links, 1);
    ck_assert_int_eq(w.n, 1);
    ck_assert_msg(any_warning(&w, "merged 1 parallel edge(s)"), "%s", w.msg[0]);
    /* Latencies 3 and 2 ms -> 2 ms; 1 + 2 Gbit/s -> 3 Gbit/s. */
    ck_assert_double_eq_tol(t->links[0].latency_s, 0.002, 1e-15);
    ck_assert_double_eq(t->links[0].bandwidth_bps, 3e9);
    ck_assert_double_eq_tol(AT(latency_s, t, 0, 1), 0.002, 1e-15);
    ck_assert_double_eq(AT(bandwidth_bps, t, 1, 0), 3e9);
    torta_topology_free(t);
}
END_TEST

START_TEST(node_without_coordinates)
{
    warnings w = {0};
    torta_topo_opts o;
    torta_topo_opts_default(&o);
    o.default_latency_ms = 7.0;
    torta_topology *t = load_opts("tests/fixtures/topo/nocoords.gml", &o, &w);
    int a = site(t, "A"), b = site(t, "B"), x = site(t, "X");
    ck_assert_int_eq(w.n, 1);
    ck_assert_msg(strstr(w.msg[0], "'X' [id 7] (1 link)") &&
                      strstr(w.msg[0], "default latency 7 ms"),
                  "%s", w.msg[0]);
    ck_assert_double_eq_tol(AT(latency_s, t, b, x), 0.007, 1e-15);
    ck_assert_double_eq_tol(AT(latency_s, t, a, x), (DEG_MS + 7.0) / 1000.0, 1e-15);
    ck_assert(!t->sites[x].has_coords);
    ck_assert(isnan(t->sites[x].lat_deg));
    ck_assert_double_eq(t->sites[x].tz_offset_h, 0.0);
    torta_topology_free(t);
}
END_TEST

START_TEST(disconnected_is_an_error)
{
    char p[1024];
    path_of("tests/fixtures/topo/disconnected.gml", p, sizeof p);
    torta_topology *t = (torta_topology *)1;
    torta_err e = {0};
    ck_assert_int_eq(torta_topology_load(p, NULL, NULL, NULL, &t, &e), TORTA_EINPUT);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(e.msg, "disconnected: 3 components") &&
                      strstr(e.msg, "{C, D, E}; {A, B}; {F}") &&
                      strstr(e.msg, "keep_largest_component"),
                  "%s", e.msg);
}
END_TEST

START_TEST(keep_largest_component)
{
    warnings w = {0};
    torta_topo_opts o;
    torta_topo_opts_default(&o);
    o.keep_largest_component = 1;
    torta_topology *t = load_opts("tests/fixtures/topo/disconnected.gml", &o, &w);
    ck_assert_int_eq(t->n_sites, 3);
    ck_assert_str_eq(t->sites[0].name, "C");
    ck_assert_str_eq(t->sites[2].name, "E");
    ck_assert_int_eq(t->n_links, 2);
    ck_assert_int_eq(t->n_dropped, 3);
    ck_assert_str_eq(t->dropped[0], "A");
    ck_assert_str_eq(t->dropped[1], "B");
    ck_assert_str_eq(t->dropped[2], "F");
    ck_assert_msg(any_warning(&w, "kept the largest (3 of 6 sites), dropped 3: A, B, F"), "%s",
                  w.msg[0]);
    ck_assert_double_eq_tol(AT(latency_s, t, 0, 2), 0.002, 1e-15);
    torta_topology_free(t);
}
END_TEST

START_TEST(duplicate_labels_and_self_loops)
{
    warnings w = {0};
    torta_topology *t = load("tests/fixtures/topo/dup_labels.gml", &w);
    ck_assert_str_eq(t->sites[0].name, "X");
    ck_assert_str_eq(t->sites[1].name, "X#2");
    ck_assert_str_eq(t->sites[2].name, "Y");
    ck_assert_int_eq(t->n_links, 2);
    ck_assert_int_eq(w.n, 2);
    ck_assert_msg(any_warning(&w, "label 'X' is used by 2 nodes; renamed the node [id 1] to 'X#2'"),
                  "%s", w.msg[0]);
    ck_assert_msg(any_warning(&w, "edge 2 ('Y' [id 2] -- 'Y' [id 2]) is a self-loop; ignored"),
                  "%s", w.msg[1]);
    torta_topology_free(t);
}
END_TEST

START_TEST(many_repeated_labels)
{
    /* A chain of 599 nodes labelled "N" and one labelled "N#2": generated names skip "N#2". */
    char p[256];
    snprintf(p, sizeof p, "/tmp/torta_test_topology_%ld.gml", (long)getpid());
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "graph [\n");
    for (int i = 0; i < 600; i++)
        fprintf(f, "node [ id %d label \"%s\" ]\n", i, i < 599 ? "N" : "N#2");
    for (int i = 0; i + 1 < 600; i++)
        fprintf(f, "edge [ source %d target %d latency_ms 1 ]\n", i, i + 1);
    fprintf(f, "]\n");
    fclose(f);
    warnings w = {0};
    torta_topology *t = NULL;
    torta_err e = {0};
    int rc = torta_topology_load(p, NULL, collect, &w, &t, &e);
    remove(p);
    ck_assert_msg(rc == 0, "%s", e.msg);
    ck_assert_str_eq(t->sites[0].name, "N");
    ck_assert_str_eq(t->sites[1].name, "N#3");
    ck_assert_str_eq(t->sites[598].name, "N#600");
    ck_assert_str_eq(t->sites[599].name, "N#2");
    ck_assert_int_eq(w.n, 1);
    ck_assert_msg(strstr(w.msg[0], "label 'N' is used by 599 nodes; renamed the later ones to "
                                   "'N#3' ... 'N#600'"),
                  "%s", w.msg[0]);
    for (int i = 0; i < t->n_sites; i++)
        REQUIRE(torta_topology_find(t, t->sites[i].name) == i, "name %d not unique", i);
    ck_assert_double_eq_tol(AT(latency_s, t, 0, 599), 0.599, 1e-12);
    torta_topology_free(t);
}
END_TEST

START_TEST(native_json_round_numbers)
{
    warnings w = {0};
    torta_topology *t = load("tests/fixtures/topo/round.json", &w);
    ck_assert_int_eq(w.n, 0);
    ck_assert_str_eq(t->network_name, "Round");
    int a = site(t, "a"), b = site(t, "b"), c = site(t, "c");
    ck_assert_double_eq_tol(AT(latency_s, t, a, b), 0.010, 1e-15);
    ck_assert_double_eq_tol(AT(latency_s, t, a, c), 0.030, 1e-15); /* via b, not the 50 ms link */
    ck_assert_double_eq(AT(bandwidth_bps, t, a, c), 40e9);
    ck_assert_double_eq(AT(bandwidth_bps, t, a, b), 100e9);
    /* Directional egress: a->b 0.01, b->a 0.05 (reverse), b->c and c->b 0.02. */
    ck_assert_double_eq_tol(AT(egress_usd_per_gb, t, a, c), 0.03, 1e-15);
    ck_assert_double_eq_tol(AT(egress_usd_per_gb, t, c, a), 0.07, 1e-15);
    ck_assert_double_eq_tol(AT(egress_usd_per_gb, t, b, a), 0.05, 1e-15);
    /* Time zones: round(-75 / 15) = -5; explicit 5.5; no coordinates -> 0. */
    ck_assert_double_eq(t->sites[a].tz_offset_h, -5.0);
    ck_assert_double_eq(t->sites[b].tz_offset_h, 5.5);
    ck_assert_double_eq(t->sites[c].tz_offset_h, 0.0);
    ck_assert_double_eq(t->sites[b].electricity_usd_per_kwh, 0.1);
    ck_assert_double_eq(t->sites[b].carbon_g_per_kwh, 300.0);
    ck_assert_double_eq(t->sites[b].gpu_price_multiplier, 1.25);
    ck_assert(isnan(t->sites[a].gpu_price_multiplier));
    torta_topology_free(t);
}
END_TEST

START_TEST(graphml_reader)
{
    warnings w = {0};
    torta_topology *t = load("tests/fixtures/topo/small.graphml", &w);
    ck_assert_int_eq(t->n_sites, 3);
    int lon = site(t, "lon"), ber = site(t, "ber");
    ck_assert(t->sites[lon].has_coords);
    ck_assert_double_eq(t->sites[lon].lat_deg, 51.5);
    ck_assert(!t->sites[ber].has_coords);
    ck_assert_double_eq_tol(AT(latency_s, t, lon, ber), 0.010, 1e-15);
    ck_assert_double_eq(AT(bandwidth_bps, t, lon, ber), 25e9);
    ck_assert_double_eq_tol(AT(egress_usd_per_gb, t, lon, ber), 0.07, 1e-15);
    ck_assert_int_eq(w.n, 0); /* explicit latencies: nothing needed the default */
    torta_topology_free(t);
}
END_TEST

static const struct bad_case {
    const char *file, *needle;
} BAD[] = {
    {"bad_syntax.gml", "bad_syntax.gml: cannot parse as GML: Parse error in GML file, line 5"},
    {"bad_syntax.json", "bad_syntax.json:4:"},
    {"neg_latency.json", "neg_latency.json: edges[1].latency_ms: -1 is outside [0, 10000]"},
    {"unknown_key.json", "edges[0]: unknown key \"latency\" (did you mean \"latency_ms\"?)"},
    {"unknown_node.json", "edges[0].target: unknown site \"Pariss\" (did you mean \"Paris\"?)"},
    {"missing_latency.json", "edges[0].latency_ms: missing, and site 'b' has no coordinates"},
    {"dup_name.json", "nodes[2].name: duplicate site name 'a' (also nodes[0])"},
    {"empty.json", "empty.json: the graph has no sites (empty graph)"},
    {"empty.gml", "empty.gml: the graph has no sites (empty graph)"},
    {"bad_speed.gml", "edge 0 ('A' [id 0] -- 'B' [id 1]): LinkSpeedRaw: -5 is outside"},
    {"bad_lat.gml", "node 'A' [id 0]: Latitude: 95 is outside [-90, 90]"},
    {"no_such_file.gml", "no_such_file.gml: cannot open"},
    {"round.txt", "round.txt: unknown topology format"},
};

START_TEST(malformed_inputs)
{
    const struct bad_case *bc = &BAD[_i];
    char rel[256], p[1024];
    snprintf(rel, sizeof rel, "tests/fixtures/topo/%s", bc->file);
    path_of(rel, p, sizeof p);
    torta_topology *t = (torta_topology *)1;
    torta_err e = {0};
    int rc = torta_topology_load(p, NULL, NULL, NULL, &t, &e);
    ck_assert_int_eq(rc, TORTA_EINPUT);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(e.msg, bc->needle), "%s:\n  got      %s\n  expected %s", bc->file, e.msg,
                  bc->needle);
}
END_TEST

START_TEST(bad_options)
{
    char p[1024];
    path_of("tests/fixtures/topo/tri.gml", p, sizeof p);
    torta_topo_opts o;
    torta_topo_opts_default(&o);
    o.stretch = NAN;
    torta_topology *t = NULL;
    torta_err e = {0};
    ck_assert_int_eq(torta_topology_load(p, &o, NULL, NULL, &t, &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "stretch: nan is outside"), "%s", e.msg);
    torta_topo_opts_default(&o);
    o.default_bandwidth_gbps = -1;
    ck_assert_int_eq(torta_topology_load(p, &o, NULL, NULL, &t, &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "default_bandwidth_gbps: -1"), "%s", e.msg);
}
END_TEST

/* Every chosen path must realise its matrix entries: latency sums, bottleneck, egress sums;
 * latency is symmetric and no detour through a third site is shorter. */
static void check_invariants(const torta_topology *t)
{
    int n = t->n_sites;
    int *p = malloc((size_t)n * sizeof *p);
    int *link_of = malloc((size_t)n * n * sizeof *link_of);
    ck_assert(p && link_of);
    for (size_t k = 0; k < (size_t)n * n; k++)
        link_of[k] = -1;
    for (int m = 0; m < t->n_links; m++) {
        const torta_link *lk = &t->links[m];
        REQUIRE(lk->a < lk->b, "link %d not ordered", m);
        REQUIRE(link_of[(size_t)lk->a * n + lk->b] == -1, "link %d repeated", m);
        link_of[(size_t)lk->a * n + lk->b] = m;
    }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            double l = AT(latency_s, t, i, j);
            REQUIRE(isfinite(l) && l >= 0, "latency %d->%d = %g", i, j, l);
            REQUIRE(l == AT(latency_s, t, j, i), "latency %d<->%d not symmetric", i, j);
            int len = torta_topology_path(t, i, j, p, n);
            REQUIRE(len >= 1 && p[0] == i && p[len - 1] == j, "path %d->%d", i, j);
            double sum = 0, eg = 0, bw = INFINITY;
            for (int k = 0; k + 1 < len; k++) {
                int u = p[k], v = p[k + 1], lo = u < v ? u : v, hi = u < v ? v : u;
                int m = link_of[(size_t)lo * n + hi];
                REQUIRE(m >= 0, "path %d->%d uses a missing link %d-%d", i, j, u, v);
                const torta_link *lk = &t->links[m];
                sum += lk->latency_s;
                bw = fmin(bw, lk->bandwidth_bps);
                eg += u == lk->a ? lk->egress_ab_usd_per_gb : lk->egress_ba_usd_per_gb;
            }
            REQUIRE(fabs(sum - l) <= 1e-12, "path %d->%d sums to %.17g s, matrix %.17g", i, j,
                    sum, l);
            REQUIRE(bw == AT(bandwidth_bps, t, i, j), "bottleneck %d->%d", i, j);
            REQUIRE(fabs(eg - AT(egress_usd_per_gb, t, i, j)) <= 1e-12, "egress %d->%d", i, j);
            for (int k = 0; k < n; k++) /* shortest: no detour is shorter */
                REQUIRE(l <= AT(latency_s, t, i, k) + AT(latency_s, t, k, j) + 1e-12,
                        "%d->%d beaten via %d", i, j, k);
        }
    }
    free(p);
    free(link_of);
}

static const struct shipped_case {
    const char *file;
    int sites, links, warnings, transit;
    const char *a, *b;     /* two sites ... */
    double lat_lo_ms, lat_hi_ms; /* ... and the band their latency must fall in */
} SHIPPED[] = {
    {"topologies/Abilene.gml", 11, 14, 0, 0, "New York", "Sunnyvale", 20, 40},
    {"topologies/Geant2012.gml", 40, 61, 1, 0, "UK", "NL", 2, 8},
    /* Cogentco's 11 'None' nodes are hyperedges (shared links): transit only, one warning. */
    {"topologies/Cogentco.gml", 197, 243, 4, 11, "London", "New York", 35, 60},
    {"topologies/HurricaneElectric.gml", 24, 37, 0, 0, "London", "New York 1", 35, 60},
    {"topologies/cloud-regions.json", 16, 120, 0, 0, "aws:us-east-1", "aws:eu-central-1", 35, 60},
};

START_TEST(shipped_topologies_load)
{
    const struct shipped_case *sc = &SHIPPED[_i];
    warnings w = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    torta_topology *t = load(sc->file, &w);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    /* ~10 ms in a Debug build; the bound only catches complexity blow-ups (valgrind: ~0.8 s). */
    ck_assert_msg(ms < 2000.0, "%s took %.1f ms", sc->file, ms);
    ck_assert_int_eq(t->n_sites, sc->sites);
    ck_assert_int_eq(t->n_links, sc->links);
    ck_assert_int_eq(t->n_dropped, 0);
    ck_assert_msg(w.n == sc->warnings, "%s: %d warnings, first: %s", sc->file, w.n, w.msg[0]);
    int transit = 0;
    for (int i = 0; i < t->n_sites; i++)
        transit += t->sites[i].transit;
    ck_assert_int_eq(transit, sc->transit);
    double ms_ab = AT(latency_s, t, site(t, sc->a), site(t, sc->b)) * 1e3;
    ck_assert_msg(ms_ab >= sc->lat_lo_ms && ms_ab <= sc->lat_hi_ms, "%s: %s-%s %.2f ms", sc->file,
                  sc->a, sc->b, ms_ab);
    check_invariants(t);
    torta_topology_free(t);
}
END_TEST

START_TEST(deterministic_reload)
{
    warnings w1 = {0}, w2 = {0};
    torta_topology *x = load("topologies/Cogentco.gml", &w1);
    torta_topology *y = load("topologies/Cogentco.gml", &w2);
    size_t nn = (size_t)x->n_sites * x->n_sites;
    ck_assert_int_eq(memcmp(x->latency_s, y->latency_s, nn * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(x->bandwidth_bps, y->bandwidth_bps, nn * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(x->egress_usd_per_gb, y->egress_usd_per_gb, nn * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(x->pred, y->pred, nn * sizeof(int)), 0);
    for (int i = 0; i < x->n_sites; i++)
        ck_assert_str_eq(x->sites[i].name, y->sites[i].name);
    /* Renamed duplicates and coordinate-less hyperedge nodes of the Zoo file. */
    ck_assert_int_ge(torta_topology_find(x, "None#11"), 0);
    ck_assert_int_eq(torta_topology_find(x, "None#12"), -1);
    ck_assert_int_eq(torta_topology_path(x, -1, 0, NULL, 0), -1);
    torta_topology_free(x);
    torta_topology_free(y);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("topology");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, great_circle);
    tcase_add_test(tc, tri_exact_and_intermediate_beats_direct);
    tcase_add_test(tc, latency_tie_prefers_fewest_hops);
    tcase_add_test(tc, latency_tie_prefers_widest_then_cheapest);
    tcase_add_test(tc, parallel_edges_merge);
    tcase_add_test(tc, node_without_coordinates);
    tcase_add_test(tc, disconnected_is_an_error);
    tcase_add_test(tc, keep_largest_component);
    tcase_add_test(tc, duplicate_labels_and_self_loops);
    tcase_add_test(tc, many_repeated_labels);
    tcase_add_test(tc, native_json_round_numbers);
    tcase_add_test(tc, graphml_reader);
    tcase_add_loop_test(tc, malformed_inputs, 0, (int)(sizeof BAD / sizeof BAD[0]));
    tcase_add_test(tc, bad_options);
    tcase_add_loop_test(tc, shipped_topologies_load, 0, (int)(sizeof SHIPPED / sizeof SHIPPED[0]));
    tcase_add_test(tc, deterministic_reload);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
