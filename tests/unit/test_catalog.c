/* Unit tests of the GPU/model catalogue and iteration-time profiles: the shipped catalogue
 * loads, fitted profiles reproduce the Splitwise table and the Vidur profile Vidur's predictions
 * within the documented error, the roofline estimate stays within its documented band, and bad
 * catalogues give path-naming errors. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "torta/catalog.h"
#include "torta/json.h"
#include "run_suite.h"

const char *torta_embedded_config(const char *name);

/* Documented bounds (docs/profiles.md): per-triple MAPE of the fitted profiles against the
 * table, and of the roofline estimate against the fitted profiles. */
#define FIT_PREFILL_MAPE_MAX 17.0
#define FIT_DECODE_MAPE_MAX 5.0
#define ROOF_MAPE_MAX 25.0
#define ROOF_POINT_ERR_MAX 40.0

static cJSON *embedded(const char *name)
{
    torta_err e = {0};
    cJSON *j = NULL;
    const char *text = torta_embedded_config(name);
    ck_assert_msg(text != NULL, "%s not embedded", name);
    ck_assert_msg(torta_json_parse(text, name, &j, &e) == 0, "%s", e.msg);
    return j;
}

static torta_catalog *shipped(void)
{
    cJSON *g = embedded("gpus.json"), *m = embedded("models.json"), *p = embedded("profiles.json");
    torta_catalog *c = NULL;
    torta_err e = {0};
    int rc = torta_catalog_load(g, m, p, &c, &e);
    ck_assert_msg(rc == 0, "%s", e.msg);
    cJSON_Delete(g);
    cJSON_Delete(m);
    cJSON_Delete(p);
    return c;
}

/* One measured point of the Splitwise table, duplicates averaged. */
typedef struct point {
    char hw[32], model[32];
    int tp, p, b, t, n;
    double prompt_ms, token_ms;
} point;

static int load_points(point **out)
{
    const char *root = getenv("TORTA_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/configs/profiles/splitwise_perf_model.csv", root ? root : ".");
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char line[512];
    ck_assert(fgets(line, sizeof line, f) != NULL);
    ck_assert_msg(strncmp(line, "model,hardware,prompt_size,batch_size,token_size,", 49) == 0,
                  "unexpected header %s", line);
    int n = 0, cap = 512;
    point *pts = malloc((size_t)cap * sizeof *pts);
    ck_assert(pts != NULL);
    while (fgets(line, sizeof line, f)) {
        point q = {0};
        double peak, avg, e2e;
        int got = sscanf(line, "%31[^,],%31[^,],%d,%d,%d,%lf,%lf,%lf,%lf,%lf,%d", q.model, q.hw,
                         &q.p, &q.b, &q.t, &peak, &avg, &q.prompt_ms, &q.token_ms, &e2e, &q.tp);
        ck_assert_msg(got == 11, "bad CSV line %s", line);
        int k;
        for (k = 0; k < n; k++)
            if (!strcmp(pts[k].hw, q.hw) && !strcmp(pts[k].model, q.model) && pts[k].tp == q.tp &&
                pts[k].p == q.p && pts[k].b == q.b && pts[k].t == q.t)
                break;
        if (k == n) {
            if (n == cap) {
                cap *= 2;
                pts = realloc(pts, (size_t)cap * sizeof *pts);
                ck_assert(pts != NULL);
            }
            pts[n++] = q;
            pts[k].n = 1;
        } else {
            pts[k].prompt_ms += q.prompt_ms;
            pts[k].token_ms += q.token_ms;
            pts[k].n++;
        }
    }
    fclose(f);
    for (int k = 0; k < n; k++) {
        pts[k].prompt_ms /= pts[k].n;
        pts[k].token_ms /= pts[k].n;
    }
    *out = pts;
    return n;
}

static int same_triple(const point *a, const point *b)
{
    return !strcmp(a->hw, b->hw) && !strcmp(a->model, b->model) && a->tp == b->tp;
}

/* The fit's documented exclusion: a batch whose prefill is faster than half that batch did not
 * fit in memory (tp2, batch 64). */
static int capped(const point *pts, int n, int k)
{
    for (int j = 0; j < n; j++)
        if (same_triple(&pts[j], &pts[k]) && pts[j].p == pts[k].p && pts[j].t == pts[k].t &&
            2 * pts[j].b == pts[k].b && pts[k].prompt_ms < pts[j].prompt_ms)
            return 1;
    return 0;
}

static double prefill_s(const torta_perf *pf, const point *q)
{
    return torta_perf_iter_s(pf, (double)q->b * q->p, (double)q->b * q->p * q->p, 0, 0);
}

static double decode_s(const torta_perf *pf, const point *q)
{
    return torta_perf_iter_s(pf, 0, 0, q->b, q->b * (q->p + q->t / 2.0));
}

START_TEST(shipped_catalogue_loads)
{
    torta_catalog *c = shipped();
    ck_assert_int_ge(c->n_gpus, 5);
    ck_assert_int_ge(c->n_models, 6);
    ck_assert_int_eq(c->n_profiles, 13); /* 12 Splitwise triples and one Vidur profile */
    ck_assert_int_eq(c->n_sources, 3);  /* splitwise, roofline, vidur */
    int h = torta_catalog_gpu(c, "h100-80gb"), l = torta_catalog_model(c, "llama2-70b");
    ck_assert_int_ge(h, 0);
    ck_assert_int_ge(l, 0);
    ck_assert_int_eq(torta_catalog_gpu(c, "h100"), -1);
    ck_assert_double_eq(c->gpus[h].mem_gb, 80);
    ck_assert_double_eq(c->models[l].kv_bytes_per_token, 327680);
    ck_assert_double_eq(c->models[l].weight_bytes, 140e9);
    ck_assert_int_eq(c->models[l].default_tp, 4);
    for (int i = 0; i < c->n_gpus; i++)
        ck_assert(c->gpus[i].busy_w >= c->gpus[i].idle_w && c->gpus[i].usd_per_hour > 0);

    /* The C defaults mirror the shipped roofline constants (rerunning the fit script changes
     * both). */
    torta_roofline d = torta_roofline_default();
    ck_assert_double_eq(c->roofline.compute_eff, d.compute_eff);
    ck_assert_double_eq(c->roofline.mem_eff, d.mem_eff);
    ck_assert_double_eq(c->roofline.allreduce_gbps, d.allreduce_gbps);
    ck_assert_double_eq(c->roofline.prefill_overhead_s, d.prefill_overhead_s);
    ck_assert_double_eq(c->roofline.decode_overhead_s, d.decode_overhead_s);
    ck_assert_double_eq(c->roofline.layer_sync_s, d.layer_sync_s);

    /* KV capacity: 4 x 80 GB x 0.9 - 140 GB over 327,680 bytes per token. */
    double kv = torta_kv_capacity_tokens(&c->gpus[h], &c->models[l], 4, 0.9);
    ck_assert_double_eq_tol(kv, (4 * 80e9 * 0.9 - 140e9) / 327680.0, 1e-6);
    torta_catalog_free(c);
}
END_TEST

START_TEST(fitted_profiles_reproduce_table)
{
    torta_catalog *c = shipped();
    point *pts;
    int n = load_points(&pts);
    ck_assert_int_eq(n, 12 * 19);
    int triples = 0;
    for (int k = 0; k < n; k++) {
        int first = 1;
        for (int j = 0; j < k && first; j++)
            first = !same_triple(&pts[j], &pts[k]);
        if (!first)
            continue;
        triples++;
        torta_perf pf;
        torta_err e = {0};
        int g = torta_catalog_gpu(c, pts[k].hw), m = torta_catalog_model(c, pts[k].model);
        ck_assert_msg(g >= 0 && m >= 0, "%s/%s missing", pts[k].hw, pts[k].model);
        ck_assert_msg(torta_catalog_perf(c, g, m, pts[k].tp, &pf, &e) == 0, "%s", e.msg);
        ck_assert_msg(pf.fitted == 1, "%s/%s/tp%d not fitted", pts[k].hw, pts[k].model, pts[k].tp);
        double sp = 0, sd = 0;
        int used = 0;
        for (int j = k; j < n; j++) {
            if (!same_triple(&pts[j], &pts[k]) || capped(pts, n, j))
                continue;
            sp += fabs(prefill_s(&pf, &pts[j]) - pts[j].prompt_ms / 1e3) / (pts[j].prompt_ms / 1e3);
            sd += fabs(decode_s(&pf, &pts[j]) - pts[j].token_ms / 1e3) / (pts[j].token_ms / 1e3);
            used++;
        }
        double mp = 100 * sp / used, md = 100 * sd / used;
        ck_assert_msg(used >= 18, "%d points", used);
        ck_assert_msg(mp < FIT_PREFILL_MAPE_MAX, "%s/%s/tp%d prefill MAPE %.2f%%", pts[k].hw,
                      pts[k].model, pts[k].tp, mp);
        ck_assert_msg(md < FIT_DECODE_MAPE_MAX, "%s/%s/tp%d decode MAPE %.2f%%", pts[k].hw,
                      pts[k].model, pts[k].tp, md);
        /* The errors stated in profiles.json are the ones recomputed here. */
        ck_assert_msg(fabs(mp - pf.prefill_err_pct) < 0.01 && fabs(md - pf.decode_err_pct) < 0.01,
                      "%s/%s/tp%d: file says %.3f/%.3f, recomputed %.3f/%.3f", pts[k].hw,
                      pts[k].model, pts[k].tp, pf.prefill_err_pct, pf.decode_err_pct, mp, md);
        ck_assert(fabs(pf.fit_err_pct - fmax(mp, md)) < 0.01);
    }
    ck_assert_int_eq(triples, 12);
    free(pts);
    torta_catalog_free(c);
}
END_TEST

/* The vidur source's grid reproduces Vidur's predictions at the 243 iterations of
 * configs/profiles/vidur_a100_llama2-70b_tp2.csv (phase,batch,tokens,time_ms; 6 significant
 * digits), and the errors stored with the profile are 0. The grid is read when the source is
 * selected; before that the profile has only its three-coefficient fit. */
START_TEST(vidur_profile_reproduces_predictions)
{
    torta_catalog *c = shipped();
    int a100 = torta_catalog_gpu(c, "a100-80gb"), l70 = torta_catalog_model(c, "llama2-70b");
    int vidur = torta_catalog_source(c, "vidur");
    torta_perf pf;
    torta_err e = {0};
    ck_assert_int_eq(torta_catalog_perf_source(c, a100, l70, 2, vidur, &pf, &e), 0);
    ck_assert(pf.grid == NULL);
    ck_assert_msg(torta_catalog_select_source(c, a100, l70, 2, vidur, "x", &e) == 0, "%s", e.msg);
    ck_assert_int_eq(torta_catalog_perf(c, a100, l70, 2, &pf, &e), 0);
    ck_assert(pf.grid != NULL);
    ck_assert(pf.prefill_err_pct < 1e-3 && pf.decode_err_pct < 1e-3);
    const char *root = getenv("TORTA_SOURCE_DIR");
    char path[1024], line[256], phase[16];
    snprintf(path, sizeof path, "%s/configs/profiles/vidur_a100_llama2-70b_tp2.csv", root ? root : ".");
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert(fgets(line, sizeof line, f) != NULL);
    ck_assert_str_eq(line, "phase,batch,tokens,time_ms\n");
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        int b, tok;
        double ms;
        ck_assert_msg(sscanf(line, "%15[^,],%d,%d,%lf", phase, &b, &tok, &ms) == 4, "bad line %s", line);
        int dec = !strcmp(phase, "decode");
        ck_assert_msg(dec || !strcmp(phase, "prefill"), "bad phase %s", phase);
        double P = (double)b * tok;
        double t = dec ? torta_perf_iter_s(&pf, 0, 0, b, P) : torta_perf_iter_s(&pf, P, P * tok, 0, 0);
        ck_assert_msg(fabs(t - ms / 1e3) <= 1e-5 * ms / 1e3, "%s: %.9g s", line, t);
        n++;
    }
    fclose(f);
    ck_assert_int_eq(n, 243);
    torta_catalog_free(c);
}
END_TEST

/* Writes text to a temporary grid file; returns its path (static buffer). */
static const char *grid_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/torta-grid-XXXXXX");
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

/* A 2 x 3 decode grid (granularity 64), 3 linear rows (round 8) and 4 attention rows, looked
 * up by hand: rounding, several prompts, the step's end, extension beyond the grid. */
START_TEST(perf_grid_lookup)
{
    const char *path = grid_file("part,batch,tokens,time_ms\n"
                                 "decode,1,64,10\ndecode,1,128,11\ndecode,1,192,13\n"
                                 "decode,2,64,20\ndecode,2,128,22\ndecode,2,192,25\n"
                                 "prefill_linear,1,8,1\nprefill_linear,1,16,2\nprefill_linear,1,24,4\n"
                                 "prefill_attention,1,1,0.5\nprefill_attention,1,2,1\n"
                                 "prefill_attention,1,3,2\nprefill_attention,1,4,3\n");
    torta_perf_grid *g;
    torta_err e = {0};
    ck_assert_msg(torta_perf_grid_load(path, 64, 8, 0.1, &g, &e) == 0, "%s", e.msg);
    unlink(path);
    ck_assert_int_eq(g->max_b, 2);
    ck_assert_int_eq(g->n_ctx, 3);
    int64_t next;
    /* 2 requests, contexts 130 in all: mean 65 -> step 128 (22 ms) until the mean passes 128 */
    ck_assert_double_eq_tol(torta_perf_grid_decode_s(g, 2, 130, &next), 0.022, 1e-12);
    ck_assert_int_eq(next, 258);
    ck_assert_double_eq_tol(torta_perf_grid_decode_s(g, 2, 257, &next), 0.022, 1e-12); /* mean 128 */
    ck_assert_double_eq_tol(torta_perf_grid_decode_s(g, 2, 258, &next), 0.025, 1e-12); /* mean 129 */
    ck_assert_double_eq_tol(torta_perf_grid_decode_s(g, 1, 1, &next), 0.010, 1e-12);
    ck_assert_int_eq(next, 65);
    /* beyond: context step 4 of batch 1 = 13 + (13 - 11); batch 3 at step 1 = 20 + (20 - 10) */
    ck_assert_double_eq_tol(torta_perf_grid_decode_s(g, 1, 200, &next), 0.015, 1e-12);
    ck_assert_double_eq_tol(torta_perf_grid_decode_s(g, 3, 3, &next), 0.030, 1e-12);
    /* prefill: one prompt of 9 tokens -> linear at 16 (2) + attention at 9 (beyond: 3 + 5 x 1) */
    ck_assert_double_eq_tol(torta_perf_grid_prefill_s(g, 9, 81), 0.002 + 0.008, 1e-12);
    /* two prompts of 2: P 4 -> linear at 8 (1); round(sqrt(8)) = 3 -> 2 ms x 1.1 */
    ck_assert_double_eq_tol(torta_perf_grid_prefill_s(g, 4, 8), 0.001 + 0.0022, 1e-12);
    torta_perf pf = {.grid = g};
    ck_assert_double_eq_tol(torta_perf_iter_s(&pf, 4, 8, 2, 130), 0.0032 + 0.022, 1e-12);
    torta_perf_grid_free(g);

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"part,batch,tokens\n", ":1: expected the header part,batch,tokens,time_ms"},
        {"part,batch,tokens,time_ms\ndecode,1,64,10\ndecoding,1,128,11\n",
         ":3: part: \"decoding\" is not"},
        {"part,batch,tokens,time_ms\ndecode,1,64,10\ndecode,1,100,11\n", ":3: tokens: expected 128"},
        {"part,batch,tokens,time_ms\ndecode,1,64,10\ndecode,3,64,11\n", ":3: batch: decode rows"},
        {"part,batch,tokens,time_ms\ndecode,1,64,-1\n", ":2: time_ms: expected a number"},
        {"part,batch,tokens,time_ms\ndecode,1,64,10\ndecode,1,128\n", ":3: expected 4 fields"},
        {"part,batch,tokens,time_ms\ndecode,1,64,10\ndecode,1,128,11\ndecode,2,64,12\n",
         "batch 2 has 1 contexts, batch 1 has 2"},
        {"part,batch,tokens,time_ms\ndecode,1,64,10\ndecode,1,128,11\ndecode,2,64,12\n"
         "decode,2,128,12\nprefill_linear,1,8,1\n", "prefill_linear: 1 rows, at least 2 needed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        path = grid_file(bad[i].text);
        g = NULL;
        ck_assert_int_eq(torta_perf_grid_load(path, 64, 8, 0.1, &g, &e), TORTA_EINPUT);
        ck_assert_msg(strstr(e.msg, path) && strstr(e.msg, bad[i].want), "case %zu: %s", i, e.msg);
        ck_assert(g == NULL);
        unlink(path);
    }
    ck_assert_int_eq(torta_perf_grid_load("/nonexistent/grid.csv", 64, 8, 0.1, &g, &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "/nonexistent/grid.csv"), "%s", e.msg);
}
END_TEST

START_TEST(roofline_within_band_of_fits)
{
    torta_catalog *c = shipped();
    point *pts;
    int n = load_points(&pts);
    for (int i = 0; i < c->n_profiles; i++) {
        const struct torta_profile_entry *pe = &c->profiles[i];
        if (pe->source != TORTA_PROFILE_SOURCE_DEFAULT)
            continue; /* the roofline is calibrated against the Splitwise fits only */
        const char *hw = c->gpus[pe->gpu].name, *mn = c->models[pe->model].name;
        torta_perf rf;
        torta_err e = {0};
        ck_assert_msg(torta_catalog_roofline(c, pe->gpu, pe->model, pe->tp, &rf, &e) == 0, "%s",
                      e.msg);
        ck_assert_int_eq(rf.fitted, 0);
        ck_assert(isnan(rf.fit_err_pct));
        ck_assert(rf.p0 >= 0 && rf.p1 > 0 && rf.p2 > 0 && rf.d0 > 0 && rf.d1 > 0 && rf.d2 > 0);
        double sp = 0, sd = 0, worst = 0;
        int used = 0;
        for (int j = 0; j < n; j++) {
            if (strcmp(pts[j].hw, hw) || strcmp(pts[j].model, mn) || pts[j].tp != pe->tp ||
                capped(pts, n, j))
                continue;
            double ep = fabs(prefill_s(&rf, &pts[j]) / prefill_s(&pe->perf, &pts[j]) - 1);
            double ed = fabs(decode_s(&rf, &pts[j]) / decode_s(&pe->perf, &pts[j]) - 1);
            sp += ep;
            sd += ed;
            worst = fmax(worst, fmax(ep, ed));
            used++;
        }
        ck_assert_int_ge(used, 18);
        ck_assert_msg(100 * sp / used < ROOF_MAPE_MAX, "%s/%s/tp%d roofline prefill MAPE %.1f%%",
                      hw, mn, pe->tp, 100 * sp / used);
        ck_assert_msg(100 * sd / used < ROOF_MAPE_MAX, "%s/%s/tp%d roofline decode MAPE %.1f%%",
                      hw, mn, pe->tp, 100 * sd / used);
        ck_assert_msg(100 * worst < ROOF_POINT_ERR_MAX, "%s/%s/tp%d roofline worst point %.1f%%",
                      hw, mn, pe->tp, 100 * worst);
    }
    free(pts);

    /* A triple without a profile falls back to the roofline. */
    int g = torta_catalog_gpu(c, "l40s-48gb"), m = torta_catalog_model(c, "llama2-13b");
    torta_perf a, b;
    torta_err e = {0};
    ck_assert_int_eq(torta_catalog_perf(c, g, m, 1, &a, &e), 0);
    ck_assert_int_eq(torta_catalog_roofline(c, g, m, 1, &b, &e), 0);
    ck_assert_int_eq(a.fitted, 0);
    ck_assert(isnan(a.fit_err_pct) && isnan(a.prefill_err_pct));
    ck_assert_double_eq(a.d0, b.d0);
    ck_assert_double_eq(a.p1, b.p1);
    torta_catalog_free(c);
}
END_TEST

START_TEST(roofline_formula_by_hand)
{
    /* tp=1: no all-reduce, no sync. 1e12 params on a 1000 TFLOP/s GPU at efficiency 0.5 gives
     * 2e12 / 5e14 = 4 ms per token; 2e12 bytes at 2000 GB/s x 0.5 gives 2 s per decode. */
    torta_roofline r = {.compute_eff = 0.5, .mem_eff = 0.5, .allreduce_gbps = 100,
                        .prefill_overhead_s = 0.01, .decode_overhead_s = 0.02,
                        .layer_sync_s = 0.001};
    torta_gpu g = {.name = "x", .mem_gb = 4000, .peak_tflops = 1000, .mem_bw_gbps = 2000};
    torta_model m = {.name = "y", .weight_bytes = 2e12, .kv_bytes_per_token = 1e6,
                     .params = 1e12, .layers = 100, .hidden = 10000, .default_tp = 1};
    torta_perf p;
    torta_roofline_perf(&r, &g, &m, 1, &p);
    ck_assert_double_eq_tol(p.p0, 0.01, 1e-15);
    ck_assert_double_eq_tol(p.p1, 4e-3, 1e-15);
    ck_assert_double_eq_tol(p.p2, 2.0 * 100 * 10000 / 1e15 / 0.5, 1e-20);
    ck_assert_double_eq_tol(p.d0, 0.02 + 2.0, 1e-12);
    ck_assert_double_eq_tol(p.d1, 4e-3, 1e-15);
    ck_assert_double_eq_tol(p.d2, 1e6 / 2e12 / 0.5, 1e-18);
    /* tp=4: compute and memory terms divide by 4; all-reduce 8*L*h*(3/4) bytes at 100 GB/s per
     * token; 100 layers x 3/4 x 1 ms of sync. */
    torta_roofline_perf(&r, &g, &m, 4, &p);
    ck_assert_double_eq_tol(p.p1, 1e-3 + 8.0 * 100 * 10000 * 0.75 / 100e9, 1e-15);
    ck_assert_double_eq_tol(p.d0, 0.02 + 0.075 + 0.5, 1e-12);
    ck_assert_double_eq_tol(p.d2, 1e6 / 8e12 / 0.5, 1e-18);
}
END_TEST

START_TEST(iteration_time_form)
{
    torta_perf p = {.p0 = 1, .p1 = 2, .p2 = 3, .d0 = 10, .d1 = 20, .d2 = 30};
    ck_assert_double_eq(torta_perf_iter_s(&p, 0, 0, 0, 0), 0);
    ck_assert_double_eq(torta_perf_iter_s(&p, 5, 7, 0, 0), 1 + 10 + 21);
    ck_assert_double_eq(torta_perf_iter_s(&p, 0, 0, 2, 100), 10 + 40 + 3000);
    ck_assert_double_eq(torta_perf_iter_s(&p, 5, 7, 2, 100), 32 + 3050);
}
END_TEST

/* Loads a catalogue from JSON text and returns the error code; msg gets the message. */
static int load_text(const char *gpus, const char *models, const char *profiles, torta_err *e)
{
    cJSON *g = cJSON_Parse(gpus), *m = cJSON_Parse(models);
    cJSON *p = profiles ? cJSON_Parse(profiles) : NULL;
    ck_assert(g && m && (!profiles || p));
    torta_catalog *c = NULL;
    int rc = torta_catalog_load(g, m, p, &c, e);
    ck_assert(rc != 0 || c != NULL);
    torta_catalog_free(c);
    cJSON_Delete(g);
    cJSON_Delete(m);
    cJSON_Delete(p);
    return rc;
}

#define GPU_OK "{\"g1\": {\"mem_gb\": 80, \"usd_per_hour\": 2, \"idle_w\": 50, \"busy_w\": 400, " \
               "\"peak_tflops\": 300, \"mem_bw_gbps\": 2000}}"
#define MODEL_OK "{\"m1\": {\"params\": 7e9, \"weight_bytes\": 14e9, \"kv_bytes_per_token\": " \
                 "131072, \"layers\": 32, \"hidden\": 4096, \"default_tp\": 1}}"
#define PROF_OK "{\"g1/m1/tp1\": {\"p0\": 0.01, \"p1\": 1e-4, \"p2\": 0, \"d0\": 0.02, " \
                "\"d1\": 1e-4, \"d2\": 1e-7}}"

static void expect_err(const char *gpus, const char *models, const char *profiles,
                       const char *const *needles)
{
    torta_err e = {0};
    int rc = load_text(gpus, models, profiles, &e);
    ck_assert_int_eq(rc, TORTA_EINPUT);
    for (int i = 0; needles[i]; i++)
        ck_assert_msg(strstr(e.msg, needles[i]) != NULL, "'%s' not in: %s", needles[i], e.msg);
}

START_TEST(malformed_catalogues)
{
    torta_err e = {0};
    ck_assert_int_eq(load_text(GPU_OK, MODEL_OK, PROF_OK, &e), 0);
    ck_assert_int_eq(load_text(GPU_OK, MODEL_OK, NULL, &e), 0);

    expect_err("{\"g1\": {\"mem_gb\": -80, \"usd_per_hour\": 2, \"idle_w\": 50, \"busy_w\": 400, "
               "\"peak_tflops\": 300, \"mem_bw_gbps\": 2000}}",
               MODEL_OK, NULL, (const char *[]){"gpus.g1.mem_gb", "-80", "outside", NULL});
    expect_err(GPU_OK,
               "{\"m1\": {\"params\": 7e9, \"weight_bytes\": 14e9, \"layers\": 32, "
               "\"hidden\": 4096, \"default_tp\": 1}}",
               NULL, (const char *[]){"models.m1.kv_bytes_per_token", "missing", NULL});
    expect_err("{\"g1\": {\"mem_gbb\": 80, \"usd_per_hour\": 2, \"idle_w\": 50, \"busy_w\": 400, "
               "\"peak_tflops\": 300, \"mem_bw_gbps\": 2000}}",
               MODEL_OK, NULL,
               (const char *[]){"gpus.g1", "unknown key \"mem_gbb\"", "did you mean \"mem_gb\"",
                                NULL});
    expect_err("{\"g1\": {\"mem_gb\": 80, \"usd_per_hour\": 2, \"idle_w\": 500, \"busy_w\": 400, "
               "\"peak_tflops\": 300, \"mem_bw_gbps\": 2000}}",
               MODEL_OK, NULL, (const char *[]){"gpus.g1.busy_w", "below idle_w", NULL});
    expect_err(GPU_OK, MODEL_OK,
               "{\"g2/m1/tp1\": {\"p0\": 0.01, \"p1\": 1e-4, \"p2\": 0, \"d0\": 0.02, "
               "\"d1\": 1e-4, \"d2\": 1e-7}}",
               (const char *[]){"profiles.g2/m1/tp1", "unknown gpu \"g2\"",
                                "did you mean \"g1\"", NULL});
    expect_err(GPU_OK, MODEL_OK,
               "{\"g1/m2/tp1\": {\"p0\": 0.01, \"p1\": 1e-4, \"p2\": 0, \"d0\": 0.02, "
               "\"d1\": 1e-4, \"d2\": 1e-7}}",
               (const char *[]){"unknown model \"m2\"", "did you mean \"m1\"", NULL});
    expect_err(GPU_OK, MODEL_OK, "{\"g1/m1/4\": {}}",
               (const char *[]){"profiles.g1/m1/4", "<gpu>/<model>/tp<N>", NULL});
    expect_err(GPU_OK, MODEL_OK,
               "{\"g1/m1/tp1\": {\"p0\": 0.01, \"p1\": -1e-4, \"p2\": 0, \"d0\": 0.02, "
               "\"d1\": 1e-4, \"d2\": 1e-7}}",
               (const char *[]){"profiles.g1/m1/tp1.p1", "outside", NULL});
    expect_err(GPU_OK, MODEL_OK,
               "{\"g1/m1/tp1\": {\"p0\": 0.01, \"p1\": 1e-4, \"p2\": 0, \"d0\": 0.02, "
               "\"d1\": 1e-4}}",
               (const char *[]){"profiles.g1/m1/tp1.d2", "missing", NULL});
    expect_err(GPU_OK, MODEL_OK, "{\"roofline\": {\"compute_efff\": 0.5}}",
               (const char *[]){"profiles.roofline", "did you mean \"compute_eff\"", NULL});

    cJSON *g = cJSON_Parse(GPU_OK);
    torta_catalog *c = NULL;
    ck_assert_int_eq(torta_catalog_load(g, NULL, NULL, &c, &e), TORTA_EINPUT);
    ck_assert(strstr(e.msg, "models: missing section") != NULL);
    ck_assert(c == NULL);
    cJSON_Delete(g);
}
END_TEST

/* Prefill is monotone in GPU speed: for every (model, TP) fitted on several GPUs, one GPU's
 * prefill coefficients are all <= another's or all >=, so the faster GPU is faster at every
 * prompt length and batch (independent fits crossed past 58k-81k tokens). Checked by
 * evaluation as well, up to a 1M-token prompt. */
START_TEST(prefill_monotone_in_gpu_speed)
{
    torta_catalog *c = shipped();
    int pairs = 0;
    for (int i = 0; i < c->n_profiles; i++)
        for (int j = 0; j < c->n_profiles; j++) {
            const struct torta_profile_entry *a = &c->profiles[i], *b = &c->profiles[j];
            if (i == j || a->source != TORTA_PROFILE_SOURCE_DEFAULT || b->source != a->source ||
                a->model != b->model || a->tp != b->tp || a->perf.p1 > b->perf.p1)
                continue;
            pairs++;
            ck_assert_msg(a->perf.p0 <= b->perf.p0 && a->perf.p2 <= b->perf.p2,
                          "%s vs %s (%s tp%d): p0 %g/%g p1 %g/%g p2 %g/%g", c->gpus[a->gpu].name,
                          c->gpus[b->gpu].name, c->models[a->model].name, a->tp, a->perf.p0, b->perf.p0,
                          a->perf.p1, b->perf.p1, a->perf.p2, b->perf.p2);
            for (double p = 1; p <= 1048576; p *= 2)
                ck_assert(torta_perf_iter_s(&a->perf, p, p * p, 0, 0) <=
                          torta_perf_iter_s(&b->perf, p, p * p, 0, 0));
        }
    ck_assert_int_eq(pairs, 12); /* 4 (model, TP) x 3 ordered GPU pairs */
    torta_catalog_free(c);
}
END_TEST

/* Profile sources: names, lookups per source, selection per triple, and their errors. */
START_TEST(profile_sources)
{
    torta_catalog *c = shipped();
    int a100 = torta_catalog_gpu(c, "a100-80gb"), h100 = torta_catalog_gpu(c, "h100-80gb");
    int l70 = torta_catalog_model(c, "llama2-70b");
    int vidur = torta_catalog_source(c, "vidur");
    ck_assert_int_eq(torta_catalog_source(c, "splitwise"), TORTA_PROFILE_SOURCE_DEFAULT);
    ck_assert_int_eq(torta_catalog_source(c, "roofline"), TORTA_PROFILE_SOURCE_ROOFLINE);
    ck_assert_int_ge(vidur, 2);
    ck_assert_int_eq(torta_catalog_source(c, "vidurr"), -1);
    torta_perf dflt = {0}, vd = {0}, rf = {0}, got = {0};
    torta_err e = {0};
    ck_assert_int_eq(torta_catalog_perf(c, a100, l70, 2, &dflt, &e), 0);
    ck_assert_int_eq(torta_catalog_perf_source(c, a100, l70, 2, vidur, &vd, &e), 0);
    ck_assert_int_eq(vd.fitted, 1);
    ck_assert(vd.d1 < dflt.d1); /* Vidur's decode slope per request is the smaller one */
    ck_assert_int_eq(torta_catalog_perf_source(c, a100, l70, 2, TORTA_PROFILE_SOURCE_ROOFLINE, &rf, &e), 0);
    ck_assert_int_eq(rf.fitted, 0);
    /* A named source covers only its own triples and says which. */
    ck_assert_int_eq(torta_catalog_perf_source(c, h100, l70, 4, vidur, &got, &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "\"vidur\" has no profile for h100-80gb/llama2-70b/tp4") &&
                  strstr(e.msg, "a100-80gb/llama2-70b/tp2"), "%s", e.msg);
    ck_assert_int_eq(torta_catalog_select_source(c, h100, l70, 4, vidur, "regions.servers[0]", &e),
                     TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "regions.servers[0]: profile source \"vidur\" has no profile"), "%s", e.msg);
    /* Selection: the triple answers from its source; the other triples are unchanged. */
    ck_assert_int_eq(torta_catalog_select_source(c, a100, l70, 2, vidur, "x", &e), 0);
    ck_assert_int_eq(torta_catalog_select_source(c, a100, l70, 2, vidur, "x", &e), 0);
    ck_assert_int_eq(torta_catalog_perf(c, a100, l70, 2, &got, &e), 0);
    ck_assert_double_eq(got.d1, vd.d1);
    ck_assert_double_eq(got.p0, vd.p0);
    ck_assert_int_eq(torta_catalog_select_source(c, a100, l70, 2, TORTA_PROFILE_SOURCE_DEFAULT,
                                                 "regions.servers[1]", &e), TORTA_EINPUT);
    ck_assert_msg(strstr(e.msg, "regions.servers[1]") && strstr(e.msg, "uses \"vidur\""), "%s", e.msg);
    ck_assert_int_eq(torta_catalog_select_source(c, h100, l70, 4, TORTA_PROFILE_SOURCE_ROOFLINE, "x", &e), 0);
    ck_assert_int_eq(torta_catalog_perf(c, h100, l70, 4, &got, &e), 0);
    ck_assert_int_eq(got.fitted, 0);
    ck_assert_int_eq(torta_catalog_perf(c, h100, l70, 8, &got, &e), 0);
    ck_assert_int_eq(got.fitted, 1);
    torta_catalog_free(c);

    /* Keys of a named source; "roofline" and odd names are refused; one key per source. */
    ck_assert_int_eq(load_text(GPU_OK, MODEL_OK,
                               "{\"g1/m1/tp1\": {\"p0\": 0.01, \"p1\": 1e-4, \"p2\": 0, \"d0\": 0.02, "
                               "\"d1\": 1e-4, \"d2\": 1e-7}, \"g1/m1/tp1/mine\": {\"p0\": 0.02, \"p1\": "
                               "1e-4, \"p2\": 0, \"d0\": 0.02, \"d1\": 1e-4, \"d2\": 1e-7}}", &e), 0);
    expect_err(GPU_OK, MODEL_OK, "{\"g1/m1/tp1/roofline\": {}}",
               (const char *[]){"profiles.g1/m1/tp1/roofline", "is not a source", NULL});
    expect_err(GPU_OK, MODEL_OK, "{\"g1/m1/tp1/My Data\": {}}",
               (const char *[]){"<gpu>/<model>/tp<N>/<source>", NULL});
    expect_err(GPU_OK, MODEL_OK, "{\"g1/m1/tp1/\": {}}", (const char *[]){"source name", NULL});
    expect_err(GPU_OK, MODEL_OK,
               "{\"g1/m1/tp1/a\": {\"p0\": 0.01, \"p1\": 1e-4, \"p2\": 0, \"d0\": 0.02, \"d1\": 1e-4, "
               "\"d2\": 1e-7}, \"g1/m1/tp1/a \": {}}", (const char *[]){"source name", NULL});
}
END_TEST

START_TEST(model_too_large_for_gpu)
{
    torta_catalog *c = shipped();
    int a10 = torta_catalog_gpu(c, "a10-24gb"), l70 = torta_catalog_model(c, "llama2-70b");
    int h = torta_catalog_gpu(c, "h100-80gb"), bloom = torta_catalog_model(c, "bloom-176b");
    torta_perf p;
    torta_err e = {0};
    ck_assert_int_eq(torta_catalog_perf(c, a10, l70, 1, &p, &e), TORTA_EINPUT);
    const char *needles[] = {"a10-24gb", "llama2-70b", "tp=1", "140.0 GB", "24.0 GB", NULL};
    for (int i = 0; needles[i]; i++)
        ck_assert_msg(strstr(e.msg, needles[i]) != NULL, "'%s' not in: %s", needles[i], e.msg);
    /* 140 GB over 8 A10s is 17.5 GB each: fits, estimated by the roofline. */
    ck_assert_int_eq(torta_catalog_perf(c, a10, l70, 8, &p, &e), 0);
    ck_assert_int_eq(p.fitted, 0);
    /* BLOOM-176B (352 GB) needs 88 GB per H100 at tp4: too large; tp8 is the fitted profile. */
    ck_assert_int_eq(torta_catalog_roofline(c, h, bloom, 4, &p, &e), TORTA_EINPUT);
    ck_assert(strstr(e.msg, "tp=4") != NULL);
    ck_assert_int_eq(torta_catalog_perf(c, h, bloom, 8, &p, &e), 0);
    ck_assert_int_eq(p.fitted, 1);
    ck_assert_int_eq(torta_catalog_perf(c, h, l70, 0, &p, &e), TORTA_EINPUT);
    ck_assert(strstr(e.msg, "tp=0 is outside") != NULL);
    torta_catalog_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("catalog");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, shipped_catalogue_loads);
    tcase_add_test(tc, fitted_profiles_reproduce_table);
    tcase_add_test(tc, vidur_profile_reproduces_predictions);
    tcase_add_test(tc, perf_grid_lookup);
    tcase_add_test(tc, roofline_within_band_of_fits);
    tcase_add_test(tc, roofline_formula_by_hand);
    tcase_add_test(tc, iteration_time_form);
    tcase_add_test(tc, malformed_catalogues);
    tcase_add_test(tc, model_too_large_for_gpu);
    tcase_add_test(tc, profile_sources);
    tcase_add_test(tc, prefill_monotone_in_gpu_speed);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
