/* Unit tests of the macro baselines `skylb` and `nearest` on hand-built views (regions with given
 * backlogs, server queues, LB queues and latencies): skylb stays local while a replica of the
 * origin has room and its queue is empty, otherwise forwards to the prefix's region or the
 * nearest one with room whose queue is short enough, holds locally when none has room, honours
 * its parameters; nearest picks by latency among regions with spare capacity and falls back to
 * the least-loaded one; both skip regions without live servers and are deterministic. */
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
    torta_server_state srv[2 * NR];
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
    for (int k = 0; k < 2 * NR; k++) {
        w->srv[k].region = k / 2;
        w->srv[k].index_in_region = k % 2;
        w->srv[k].alive = 1;
    }
    w->v.n_regions = NR;
    w->v.n_servers = 2 * NR;
    w->v.regions = w->reg;
    w->v.servers = w->srv;
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

/* Region g's two servers wait on a and b requests (skylb: a replica has room while none waits). */
static void set_queued(world *w, int g, int a, int b)
{
    w->srv[2 * g].queued = a;
    w->srv[2 * g + 1].queued = b;
}

START_TEST(skylb_local_while_a_replica_has_room)
{
    world w;
    world_init(&w);
    sched s = open_ok("skylb", &w, NULL);
    set_queued(&w, 0, 3, 0); /* one replica of A has room; the others are idle: stay */
    ck_assert_int_eq(route(&s, &w, 0, 0), 0);
    ck_assert_int_eq(route(&s, &w, 1, 0), 1);
    /* Running requests do not count under the default "waiting" measure... */
    w.srv[1].running = 200;
    ck_assert_int_eq(route(&s, &w, 0, 0), 0);
    sched_close(&s);
    /* ...they do under "outstanding" (below 10 in flight). */
    s = open_ok("skylb", &w, "{\"pending\": \"outstanding\"}");
    ck_assert_int_eq(route(&s, &w, 0, 0), 0); /* 3 in flight on the first */
    w.srv[0].running = 7;
    ck_assert_int_eq(route(&s, &w, 0, 0), 2);
    w.srv[1].running = 9;
    w.srv[1].queued = 0;
    ck_assert_int_eq(route(&s, &w, 0, 0), 0);
    sched_close(&s);
}
END_TEST

START_TEST(skylb_forwards_to_nearest_with_room)
{
    world w;
    world_init(&w);
    sched s = open_ok("skylb", &w, NULL);
    set_queued(&w, 0, 1, 2); /* A full: C (5 ms) before B (10 ms) before D (20 ms) */
    ck_assert_int_eq(route(&s, &w, 0, 0), 2);
    set_queued(&w, 2, 1, 1);
    ck_assert_int_eq(route(&s, &w, 0, 0), 1);
    set_queued(&w, 1, 4, 1);
    ck_assert_int_eq(route(&s, &w, 0, 0), 3);
    /* Nobody has room: hold it in the origin's queue. */
    set_queued(&w, 3, 1, 1);
    ck_assert_int_eq(route(&s, &w, 0, 0), 0);
    /* A replica that is not alive has no room, however empty it is. */
    set_queued(&w, 2, 0, 1);
    w.srv[4].alive = 0;
    ck_assert_int_eq(route(&s, &w, 0, 0), 0);
    w.srv[4].alive = 1;
    ck_assert_int_eq(route(&s, &w, 0, 0), 2);
    /* A dead origin forwards too. */
    world_init(&w);
    w.srv[0].alive = w.srv[1].alive = 0;
    w.reg[0].n_alive = 0;
    ck_assert_int_eq(route(&s, &w, 0, 0), 2);
    sched_close(&s);
}
END_TEST

START_TEST(skylb_lb_queues)
{
    world w;
    world_init(&w);
    sched s = open_ok("skylb", &w, NULL);
    /* Requests wait in A's queue: a new one does not overtake them, it is forwarded. */
    w.reg[0].deferred = 3;
    ck_assert_int_eq(route(&s, &w, 0, 0), 2);
    /* An LB with a longer queue than the origin's takes nothing (C: 4 > 3), nor one over
     * max_lb_queue (B: 3 > 2 when max_lb_queue is 2). */
    w.reg[2].deferred = 4;
    ck_assert_int_eq(route(&s, &w, 0, 0), 1);
    sched_close(&s);
    s = open_ok("skylb", &w, "{\"max_lb_queue\": 2}");
    w.reg[1].deferred = 3;
    ck_assert_int_eq(route(&s, &w, 0, 0), 3);
    sched_close(&s);
}
END_TEST

START_TEST(skylb_prefix_locality)
{
    world w;
    world_init(&w);
    sched s = open_ok("skylb", &w, NULL);
    /* Prefix 7 is first served in D (A, B, C full at the time). */
    set_queued(&w, 0, 1, 1);
    set_queued(&w, 1, 1, 1);
    set_queued(&w, 2, 1, 1);
    ck_assert_int_eq(route(&s, &w, 0, 7), 3);
    /* C has room again and is nearer, but D holds the prefix and has room: D. */
    set_queued(&w, 2, 0, 0);
    ck_assert_int_eq(route(&s, &w, 0, 7), 3);
    ck_assert_int_eq(route(&s, &w, 0, 8), 2); /* another prefix: the nearest */
    /* D full: the nearest with room, and the prefix now lives in C. */
    set_queued(&w, 3, 1, 1);
    ck_assert_int_eq(route(&s, &w, 0, 7), 2);
    set_queued(&w, 3, 0, 0);
    ck_assert_int_eq(route(&s, &w, 0, 7), 2);
    /* The origin with room keeps its own requests, whatever the prefix. */
    set_queued(&w, 0, 0, 1);
    ck_assert_int_eq(route(&s, &w, 0, 8), 0);
    sched_close(&s);
    /* prefix_aware false: by latency only. */
    world_init(&w);
    s = open_ok("skylb", &w, "{\"prefix_aware\": false}");
    set_queued(&w, 0, 1, 1);
    set_queued(&w, 2, 1, 1);
    ck_assert_int_eq(route(&s, &w, 0, 7), 1);
    set_queued(&w, 2, 0, 0);
    ck_assert_int_eq(route(&s, &w, 0, 7), 2);
    sched_close(&s);
}
END_TEST

START_TEST(skylb_bad_params)
{
    world w;
    world_init(&w);
    sched s;
    torta_err e = {0};
    ck_assert_int_eq(sched_open(&s, "skylb", &w, "{\"pending\": \"queue\"}", &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "scheduler.macro_params.pending") != NULL, "%s", e.msg);
    sched_close(&s);
    ck_assert_int_eq(sched_open(&s, "skylb", &w, "{\"prefix_slots\": 1000}", &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "power of two") != NULL, "%s", e.msg);
    sched_close(&s);
    ck_assert_int_eq(sched_open(&s, "skylb", &w, "{\"threshold\": 3}", &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "threshold") != NULL, "%s", e.msg);
    sched_close(&s);
    ck_assert_int_eq(sched_open(&s, "skylb", &w, "{\"prefix_aware\": 1}", &e), TORTA_EINPUT);
    sched_close(&s);
    ck_assert_int_eq(sched_open(&s, "skylb", &w, "{\"max_pending\": 0}", &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "max_pending") != NULL, "%s", e.msg);
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
            for (int g = 0; g < NR; g++) {
                w.reg[g].outstanding_work_s = (double)((x >> (8 * g)) & 0xff) / 2.0;
                set_queued(&w, g, (int)(x >> (8 * g)) & 1, (int)(x >> (8 * g + 1)) & 1);
            }
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
    tcase_add_test(tc, skylb_local_while_a_replica_has_room);
    tcase_add_test(tc, skylb_forwards_to_nearest_with_room);
    tcase_add_test(tc, skylb_lb_queues);
    tcase_add_test(tc, skylb_prefix_locality);
    tcase_add_test(tc, skylb_bad_params);
    tcase_add_test(tc, nearest_by_latency_with_spare);
    tcase_add_test(tc, nearest_falls_back_to_least_loaded);
    tcase_add_test(tc, deterministic);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
