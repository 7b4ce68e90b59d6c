/* Unit tests of the macro baselines `skylb` and `nearest` on hand-built views (regions with given
 * backlogs, live servers and latencies): skylb stays local under its threshold, pushes to the
 * least-loaded other region over it, keeps a prefix where it went within the margin, honours its
 * parameters; nearest picks by latency among regions with spare capacity and falls back to the
 * least-loaded one; both skip regions without live servers and are deterministic. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "torta/json.h"
#include "torta/sched.h"
#include "run_suite.h"

#define NR 4

/* Region g has drain time wait[g] per live server (outstanding work = wait x alive). */
typedef struct {
    torta_region_state reg[NR];
    double lat[NR * NR];
    torta_view v;
} world;

static void world_init(world *w)
{
    memset(w, 0, sizeof *w);
    static const char *names[NR] = {"A", "B", "C", "D"};
    /* One-way latency (s): A-B 10 ms, A-C 5 ms, A-D 20 ms, others 15 ms. */
    for (int i = 0; i < NR; i++)
        for (int j = 0; j < NR; j++)
            w->lat[i * NR + j] = i == j ? 0 : 0.015;
    w->lat[0 * NR + 1] = w->lat[1 * NR + 0] = 0.010;
    w->lat[0 * NR + 2] = w->lat[2 * NR + 0] = 0.005;
    w->lat[0 * NR + 3] = w->lat[3 * NR + 0] = 0.020;
    for (int g = 0; g < NR; g++) {
        w->reg[g].name = names[g];
        w->reg[g].n_servers = w->reg[g].n_alive = 2;
        w->reg[g].first_server = 2 * g;
    }
    w->v.n_regions = NR;
    w->v.regions = w->reg;
    w->v.latency_s = w->lat;
    w->v.slot_s = 60;
}

static void set_wait(world *w, double a, double b, double c, double d)
{
    double x[NR] = {a, b, c, d};
    for (int g = 0; g < NR; g++)
        w->reg[g].outstanding_work_s = x[g] * w->reg[g].n_alive;
}

typedef struct {
    const torta_macro_ops *ops;
    void *self;
    cJSON *params;
} sched;

/* Initialises scheduler `name` with params JSON (NULL: none); returns the init status. */
static int sched_open(sched *s, const char *name, const world *w, const char *params, torta_err *e)
{
    memset(s, 0, sizeof *s);
    s->ops = torta_macro_find(name);
    ck_assert_msg(s->ops != NULL, "%s not registered", name);
    if (params)
        ck_assert(torta_json_parse(params, "test", &s->params, e) == 0);
    torta_sched_env env = {.seed = 1, .view = &w->v, .params = s->params, .topology_name = "hand"};
    return s->ops->init(&s->self, &env, e);
}

static void sched_close(sched *s)
{
    if (s->ops->destroy && s->self)
        s->ops->destroy(s->self);
    cJSON_Delete(s->params);
}

static int route(sched *s, const world *w, int origin, uint64_t prefix)
{
    torta_request r;
    memset(&r, 0, sizeof r);
    r.origin = origin;
    r.serve_region = -1;
    r.prefix_hash = prefix;
    r.n_prefix_blocks = prefix ? 3 : 0;
    int g = s->ops->route(s->self, &r, &w->v);
    ck_assert_int_ge(g, 0);
    ck_assert_int_lt(g, NR);
    return g;
}

static sched open_ok(const char *name, const world *w, const char *params)
{
    sched s;
    torta_err e = {0};
    int rc = sched_open(&s, name, w, params, &e);
    ck_assert_msg(rc == 0, "%s", e.msg);
    return s;
}

START_TEST(skylb_local_under_threshold)
{
    world w;
    world_init(&w);
    sched s = open_ok("skylb", &w, NULL); /* threshold 30 s */
    set_wait(&w, 29.9, 0, 0, 0);
    ck_assert_int_eq(route(&s, &w, 0, 0), 0);
    set_wait(&w, 30, 0, 0, 0); /* "exceeds": equal stays */
    ck_assert_int_eq(route(&s, &w, 0, 0), 0);
    set_wait(&w, 30.1, 9, 3, 7);
    ck_assert_int_eq(route(&s, &w, 0, 0), 2);
    ck_assert_int_eq(route(&s, &w, 1, 0), 1); /* B is under the threshold */
    sched_close(&s);
}
END_TEST

START_TEST(skylb_pushes_to_least_loaded)
{
    world w;
    world_init(&w);
    sched s = open_ok("skylb", &w, "{\"threshold\": 10}");
    set_wait(&w, 50, 20, 40, 15);
    ck_assert_int_eq(route(&s, &w, 0, 0), 3);
    set_wait(&w, 50, 20, 40, 25);
    ck_assert_int_eq(route(&s, &w, 0, 0), 1);
    /* Ties go to the lowest index. */
    set_wait(&w, 50, 40, 20, 20);
    ck_assert_int_eq(route(&s, &w, 0, 0), 2);
    /* Everyone else at least as loaded: stay. */
    set_wait(&w, 50, 60, 50, 70);
    ck_assert_int_eq(route(&s, &w, 0, 0), 0);
    /* A region without live servers is never a target, however empty it looks. */
    set_wait(&w, 50, 20, 40, 0);
    w.reg[3].n_alive = 0;
    w.reg[3].outstanding_work_s = 0;
    ck_assert_int_eq(route(&s, &w, 0, 0), 1);
    /* A dead origin pushes to the least loaded live region. */
    w.reg[0].n_alive = 0;
    ck_assert_int_eq(route(&s, &w, 0, 0), 1);
    sched_close(&s);
}
END_TEST

START_TEST(skylb_prefix_locality)
{
    world w;
    world_init(&w);
    /* threshold 10, margin 5 */
    sched s = open_ok("skylb", &w, "{\"threshold\": 10, \"prefix_margin\": 5}");
    const uint64_t h = 0x9e3779b97f4a7c15ULL, other = 12345;
    set_wait(&w, 50, 20, 12, 30);
    ck_assert_int_eq(route(&s, &w, 0, h), 2); /* first sight: least loaded, C remembers h */
    set_wait(&w, 50, 10, 14, 30);
    ck_assert_int_eq(route(&s, &w, 0, h), 2);     /* C within 10 + 5: locality wins */
    ck_assert_int_eq(route(&s, &w, 0, other), 1); /* another prefix: least loaded */
    set_wait(&w, 50, 10, 15.5, 30);
    ck_assert_int_eq(route(&s, &w, 0, h), 1); /* C beyond the margin: B, which now holds h too */
    set_wait(&w, 50, 13, 11, 30);
    ck_assert_int_eq(route(&s, &w, 0, h), 2); /* both hold h: the less loaded of them */
    set_wait(&w, 50, 20, 11, 10.5);
    ck_assert_int_eq(route(&s, &w, 0, h), 2); /* D least loaded, C holds h within the margin */
    /* Under the threshold the origin serves, whoever holds the prefix. */
    set_wait(&w, 5, 0, 0, 0);
    ck_assert_int_eq(route(&s, &w, 0, h), 0);
    /* Over it, the origin holding the prefix does not keep it. */
    set_wait(&w, 50, 30, 30, 20);
    ck_assert_int_eq(route(&s, &w, 0, h), 3);
    /* A request from another origin finds the prefix where origin A's went. */
    const uint64_t h2 = 77;
    set_wait(&w, 50, 20, 12, 30);
    ck_assert_int_eq(route(&s, &w, 0, h2), 2);
    set_wait(&w, 11, 50, 14, 10);
    ck_assert_int_eq(route(&s, &w, 1, h2), 2);
    sched_close(&s);

    /* prefix_aware false: plain least-loaded pushing. */
    s = open_ok("skylb", &w, "{\"threshold\": 10, \"prefix_margin\": 5, \"prefix_aware\": false}");
    set_wait(&w, 50, 20, 12, 30);
    ck_assert_int_eq(route(&s, &w, 0, h), 2);
    set_wait(&w, 50, 10, 14, 30);
    ck_assert_int_eq(route(&s, &w, 0, h), 1);
    sched_close(&s);

    /* A one-slot table: a newer prefix evicts the older. */
    s = open_ok("skylb", &w, "{\"threshold\": 10, \"prefix_margin\": 5, \"prefix_slots\": 1}");
    set_wait(&w, 50, 20, 12, 30);
    ck_assert_int_eq(route(&s, &w, 0, h), 2);
    ck_assert_int_eq(route(&s, &w, 0, other), 2);
    set_wait(&w, 50, 10, 14, 30);
    ck_assert_int_eq(route(&s, &w, 0, h), 1);
    sched_close(&s);
}
END_TEST

START_TEST(skylb_pending_metric)
{
    world w;
    world_init(&w);
    sched s = open_ok("skylb", &w, "{\"metric\": \"pending\"}"); /* threshold 1 per live server */
    set_wait(&w, 1000, 0, 0, 0); /* drain time is ignored */
    w.reg[0].queued = 1;
    w.reg[0].deferred = 1; /* 2 pending / 2 servers = 1: not above */
    ck_assert_int_eq(route(&s, &w, 0, 0), 0);
    w.reg[0].deferred = 2;
    w.reg[1].queued = 2;
    w.reg[2].deferred = 1;
    w.reg[3].queued = 3;
    ck_assert_int_eq(route(&s, &w, 0, 0), 2);
    sched_close(&s);
}
END_TEST

START_TEST(skylb_bad_params)
{
    world w;
    world_init(&w);
    sched s;
    torta_err e = {0};
    ck_assert_int_eq(sched_open(&s, "skylb", &w, "{\"metric\": \"queue\"}", &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "scheduler.macro_params.metric: \"queue\": expected \"wait_s\" or "
                               "\"pending\"") != NULL, "%s", e.msg);
    sched_close(&s);
    ck_assert_int_eq(sched_open(&s, "skylb", &w, "{\"prefix_slots\": 1000}", &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "prefix_slots: 1000: expected a power of two") != NULL, "%s", e.msg);
    sched_close(&s);
    ck_assert_int_eq(sched_open(&s, "skylb", &w, "{\"treshold\": 3}", &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "treshold") && strstr(e.msg, "threshold"), "%s", e.msg);
    sched_close(&s);
    ck_assert_int_eq(sched_open(&s, "skylb", &w, "{\"prefix_aware\": 1}", &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "prefix_aware: expected true or false") != NULL, "%s", e.msg);
    sched_close(&s);
    ck_assert_int_eq(sched_open(&s, "skylb", &w, "{\"threshold\": -1}", &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "threshold") != NULL, "%s", e.msg);
    sched_close(&s);
}
END_TEST

START_TEST(nearest_by_latency_with_spare)
{
    world w;
    world_init(&w);
    sched s = open_ok("nearest", &w, "{\"spare_s\": 10}");
    /* Origin has spare capacity: it is nearest of all. */
    set_wait(&w, 9.9, 0, 0, 0);
    ck_assert_int_eq(route(&s, &w, 0, 0), 0);
    /* Origin full: C (5 ms) before B (10 ms) before D (20 ms), loads aside. */
    set_wait(&w, 10, 9, 8, 0);
    ck_assert_int_eq(route(&s, &w, 0, 0), 2);
    set_wait(&w, 10, 9, 10, 0);
    ck_assert_int_eq(route(&s, &w, 0, 0), 1);
    set_wait(&w, 10, 10, 10, 9.5);
    ck_assert_int_eq(route(&s, &w, 0, 0), 3);
    /* C without live servers is skipped. */
    set_wait(&w, 10, 9, 0, 0);
    w.reg[2].n_alive = 0;
    w.reg[2].outstanding_work_s = 0;
    ck_assert_int_eq(route(&s, &w, 0, 0), 1);
    /* From B: A, C and D are all 15 ms or less away; A (10 ms) first. */
    world_init(&w);
    set_wait(&w, 5, 20, 1, 1);
    ck_assert_int_eq(route(&s, &w, 1, 0), 0);
    /* Equal latency: the lowest index. */
    set_wait(&w, 20, 20, 1, 1);
    ck_assert_int_eq(route(&s, &w, 1, 0), 2);
    sched_close(&s);
}
END_TEST

START_TEST(nearest_falls_back_to_least_loaded)
{
    world w;
    world_init(&w);
    sched s = open_ok("nearest", &w, NULL); /* spare_s 30 */
    set_wait(&w, 40, 35, 50, 31);
    ck_assert_int_eq(route(&s, &w, 0, 0), 3);
    set_wait(&w, 40, 45, 50, 41);
    ck_assert_int_eq(route(&s, &w, 0, 0), 0); /* the origin is the least loaded */
    set_wait(&w, 40, 40, 50, 41);
    ck_assert_int_eq(route(&s, &w, 1, 0), 1); /* tie between A and origin B: B */
    ck_assert_int_eq(route(&s, &w, 2, 0), 0); /* tie between A and B: the lower index */
    sched_close(&s);
    torta_err e = {0};
    ck_assert_int_eq(sched_open(&s, "nearest", &w, "{\"spare\": 3}", &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "spare_s") != NULL, "%s", e.msg);
    sched_close(&s);
}
END_TEST

/* Same sequence of views and requests, two fresh instances: the same decisions. */
START_TEST(deterministic)
{
    const char *names[] = {"skylb", "nearest"};
    for (int k = 0; k < 2; k++) {
        world w;
        world_init(&w);
        sched a = open_ok(names[k], &w, "{}"), b = open_ok(names[k], &w, "{}");
        uint64_t x = 88172645463325252ULL;
        int moved = 0, seen[NR] = {0};
        for (int i = 0; i < 5000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            for (int g = 0; g < NR; g++)
                w.reg[g].outstanding_work_s = (double)((x >> (8 * g)) & 0xff) / 2.0;
            int o = (int)(x >> 40) % NR;
            uint64_t h = 1 + (x >> 50) % 16;
            int ga = route(&a, &w, o, h), gb = route(&b, &w, o, h);
            ck_assert_int_eq(ga, gb);
            moved += ga != o;
            seen[ga]++;
        }
        /* The sequence exercises both staying and moving, and every region serves. */
        ck_assert_int_gt(moved, 100);
        ck_assert_int_lt(moved, 4900);
        for (int g = 0; g < NR; g++)
            ck_assert_int_gt(seen[g], 0);
        sched_close(&a);
        sched_close(&b);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("baselines");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, skylb_local_under_threshold);
    tcase_add_test(tc, skylb_pushes_to_least_loaded);
    tcase_add_test(tc, skylb_prefix_locality);
    tcase_add_test(tc, skylb_pending_metric);
    tcase_add_test(tc, skylb_bad_params);
    tcase_add_test(tc, nearest_by_latency_with_spare);
    tcase_add_test(tc, nearest_falls_back_to_least_loaded);
    tcase_add_test(tc, deterministic);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
