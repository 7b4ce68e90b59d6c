/* Benchmark of the micro layer's decision time: median CPU time of one `pick` of `affinity`
 * and `torta-rl` (a policy of the shipped shape, 13 -> 32 -> 32 -> 1 with relu, random weights) for a
 * region of 4, 16 and 64 servers in assorted states, per request and per candidate server
 * (target: at most 2 us per candidate). Prints figures; asserts nothing.
 * Run: build/bench_micro [picks per repetition, default 20000] */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sched/micro/features.h"
#include "torta/catalog.h"
#include "torta/config.h"
#include "torta/json.h"
#include "torta/policy_io.h"
#include "torta/rng.h"
#include "torta/sched.h"

#define REPS 11

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: robust to a busy machine */
    return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static torta_catalog *catalogue(void)
{
    const char *names[3] = {"gpus.json", "models.json", "profiles.json"};
    cJSON *j[3] = {0};
    torta_err e = {0};
    torta_catalog *c = NULL;
    for (int i = 0; i < 3; i++)
        if (torta_json_parse(torta_embedded_config(names[i]), names[i], &j[i], &e) != 0)
            goto out;
    torta_catalog_load(j[0], j[1], j[2], &c, &e);
out:
    for (int i = 0; i < 3; i++)
        cJSON_Delete(j[i]);
    if (!c)
        fprintf(stderr, "bench_micro: %s\n", e.msg);
    return c;
}

/* Random softmax-candidates policy of the shipped shape, saved to path. */
static int make_policy(const torta_view *v, const char *path)
{
    torta_policy p;
    torta_err e = {0};
    size_t sizes[4] = {MICRO_N_FEATURES, 32, 32, 1};
    if (torta_policy_init(&p, TORTA_POLICY_SOFTMAX, 4, sizes, TORTA_ACT_RELU, &e) != 0)
        return -1;
    gsl_rng *r = torta_rng_stream(1, "bench");
    char fp[96];
    micro_fingerprint(v, fp, sizeof fp);
    int rc = !r || torta_mlp_init_orthogonal(&p.net, r, sqrt(2.0), 1.0, &e) ||
             torta_policy_set_features(&p, MICRO_N_FEATURES, micro_feature_names, &e) ||
             torta_policy_set_fingerprint(&p, fp, &e) || torta_policy_save(&p, path, &e);
    if (r)
        gsl_rng_free(r);
    torta_policy_free(&p);
    return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
    long picks = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    if (picks < 1)
        picks = 20000;
    torta_catalog *cat = catalogue();
    if (!cat)
        return 1;
    int models[4] = {torta_catalog_model(cat, "llama2-70b"), torta_catalog_model(cat, "llama2-13b"),
                     torta_catalog_model(cat, "llama2-7b"), torta_catalog_model(cat, "mistral-7b")};
    int h100 = torta_catalog_gpu(cat, "h100-80gb"), a100 = torta_catalog_gpu(cat, "a100-80gb");
    char path[] = "/tmp/bench_micro_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    close(fd);
    printf("micro decision time (median of %d x %ld picks)\n", REPS, picks);
    printf("%-10s %8s %14s %18s\n", "micro", "servers", "us / request", "us / candidate");
    const int sizes[3] = {4, 16, 64};
    gsl_rng *r = torta_rng_stream(7, "bench-micro");
    for (int si = 0; si < 3 && r; si++) {
        int n = sizes[si];
        torta_server_state *srv = calloc((size_t)n, sizeof *srv);
        torta_region_state reg = {.name = "A", .first_server = 0, .n_servers = n, .n_alive = n};
        torta_request *req = calloc(1024, sizeof *req);
        if (!srv || !req)
            return 1;
        for (int s = 0; s < n; s++) {
            int m0 = models[gsl_rng_uniform_int(r, 4)], m1 = models[gsl_rng_uniform_int(r, 4)];
            srv[s] = (torta_server_state){.index_in_region = s, .gpu = s % 2 ? a100 : h100, .tp = 4,
                                          .resident_model = m0, .alive = 1, .speed = 1,
                                          .resident_mask = UINT64_C(1) << m0 | UINT64_C(1) << m1};
            srv[s].queued = (int)gsl_rng_uniform_int(r, 5);
            srv[s].running = (int)gsl_rng_uniform_int(r, 40);
            srv[s].outstanding_work_s = 60 * gsl_rng_uniform(r);
            srv[s].kv_cap_tokens = 300000;
            srv[s].kv_used_tokens = 300000 * gsl_rng_uniform(r);
            srv[s].last_switch_s = gsl_rng_uniform(r) < 0.5 ? -INFINITY : 900 * gsl_rng_uniform(r);
            srv[s].util_last_slot = gsl_rng_uniform(r);
        }
        for (int i = 0; i < 1024; i++)
            req[i] = (torta_request){.id = (uint64_t)i, .model = models[gsl_rng_uniform_int(r, 4)],
                                     .input_tokens = 100 + (int)gsl_rng_uniform_int(r, 2000),
                                     .output_tokens = 10 + (int)gsl_rng_uniform_int(r, 500)};
        double load_s[64];
        for (int k = 0; k < cat->n_models && k < 64; k++)
            load_s[k] = cat->models[k].weight_bytes / 5e9;
        torta_view v = {.now_s = 1000, .slot_s = 60, .n_regions = 1, .n_servers = n,
                        .regions = &reg, .servers = srv, .catalog = cat, .model_load_s = load_s};
        if (si == 0 && make_policy(&v, path) != 0) {
            fprintf(stderr, "bench_micro: cannot write a policy to %s\n", path);
            return 1;
        }
        const char *names[2] = {"affinity", "torta-rl"};
        for (int k = 0; k < 2; k++) {
            const torta_micro_ops *ops = torta_micro_find(names[k]);
            cJSON *params = cJSON_CreateObject();
            cJSON_AddStringToObject(params, "policy", path);
            torta_sched_env env = {.seed = 1, .view = &v, .params = params, .topology_name = "bench"};
            void *self = NULL;
            torta_err e = {0};
            if (!ops || ops->init(&self, &env, &e) != 0) {
                fprintf(stderr, "bench_micro: %s: %s\n", names[k], e.msg);
                return 1;
            }
            double t[REPS];
            long sink = 0;
            for (int rep = 0; rep < REPS; rep++) {
                double t0 = now_us();
                for (long i = 0; i < picks; i++)
                    sink += ops->pick(self, &req[i & 1023], 0, &v);
                t[rep] = (now_us() - t0) / picks;
            }
            qsort(t, REPS, sizeof *t, cmp_double);
            printf("%-10s %8d %14.3f %18.4f%s\n", names[k], n, t[REPS / 2], t[REPS / 2] / n,
                   sink < 0 ? " (deferred)" : "");
            ops->destroy(self);
            cJSON_Delete(params);
        }
        free(srv);
        free(req);
    }
    if (r)
        gsl_rng_free(r);
    remove(path);
    torta_catalog_free(cat);
    return 0;
}
