/* GPU and model catalogues and per-(GPU, model, TP) iteration-time profiles: parsing the
 * "gpus", "models" and "profiles" configuration sections, lookups, and the choice between a
 * fitted profile and the roofline estimate (roofline.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/datadir.h"
#include "torta/catalog.h"
#include "torta/json.h"

#define MAX_TP 64

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int count_items(const cJSON *obj)
{
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
        n++;
    return n;
}

static int need_object(const cJSON *v, const char *where, torta_err *e)
{
    if (!v)
        return torta_err_set(e, TORTA_EINPUT, "%s: missing section", where);
    if (!cJSON_IsObject(v))
        return torta_err_set(e, TORTA_EINPUT, "%s: expected an object", where);
    return 0;
}

static int parse_gpu(const cJSON *obj, torta_gpu *g, torta_err *e)
{
    static const char *const known[] = {"mem_gb",      "usd_per_hour", "idle_w", "busy_w",
                                        "peak_tflops", "mem_bw_gbps",  "reserved_usd_per_hour",
                                        "spot_usd_per_hour", "load_gb_per_s", NULL};
    char where[300];
    snprintf(where, sizeof where, "gpus.%s", obj->string);
    if (!cJSON_IsObject(obj))
        return torta_err_set(e, TORTA_EINPUT, "%s: expected an object", where);
    int rc = torta_json_check_keys(obj, where, known, e);
    if (!rc)
        rc = torta_json_num(obj, "mem_gb", where, 1e-3, 1e5, 1, 0, &g->mem_gb, e);
    if (!rc)
        rc = torta_json_num(obj, "usd_per_hour", where, 0, 1e4, 1, 0, &g->usd_per_hour, e);
    if (!rc) /* without their own prices, the other classes cost what on-demand does */
        rc = torta_json_num(obj, "reserved_usd_per_hour", where, 0, 1e4, 0, g->usd_per_hour,
                            &g->reserved_usd_per_hour, e);
    if (!rc)
        rc = torta_json_num(obj, "spot_usd_per_hour", where, 0, 1e4, 0, g->usd_per_hour,
                            &g->spot_usd_per_hour, e);
    if (!rc)
        rc = torta_json_num(obj, "load_gb_per_s", where, 0, 1e6, 0, 0, &g->load_gb_per_s, e);
    if (!rc)
        rc = torta_json_num(obj, "idle_w", where, 0, 1e5, 1, 0, &g->idle_w, e);
    if (!rc)
        rc = torta_json_num(obj, "busy_w", where, 0, 1e5, 1, 0, &g->busy_w, e);
    if (!rc)
        rc = torta_json_num(obj, "peak_tflops", where, 1e-3, 1e6, 1, 0, &g->peak_tflops, e);
    if (!rc)
        rc = torta_json_num(obj, "mem_bw_gbps", where, 1e-3, 1e7, 1, 0, &g->mem_bw_gbps, e);
    if (!rc && g->busy_w < g->idle_w)
        rc = torta_err_set(e, TORTA_EINPUT, "%s.busy_w: %g is below idle_w %g", where, g->busy_w,
                           g->idle_w);
    return rc;
}

static int parse_model(const cJSON *obj, torta_model *m, torta_err *e)
{
    static const char *const known[] = {"params", "weight_bytes", "kv_bytes_per_token", "layers",
                                        "hidden", "default_tp",   "context_tokens", NULL};
    char where[300];
    snprintf(where, sizeof where, "models.%s", obj->string);
    if (!cJSON_IsObject(obj))
        return torta_err_set(e, TORTA_EINPUT, "%s: expected an object", where);
    long layers = 0, hidden = 0, tp = 0, ctx = 0;
    int rc = torta_json_check_keys(obj, where, known, e);
    if (!rc)
        rc = torta_json_num(obj, "params", where, 1, 1e15, 1, 0, &m->params, e);
    if (!rc)
        rc = torta_json_num(obj, "weight_bytes", where, 1, 1e16, 1, 0, &m->weight_bytes, e);
    if (!rc)
        rc = torta_json_num(obj, "kv_bytes_per_token", where, 1, 1e10, 1, 0,
                            &m->kv_bytes_per_token, e);
    if (!rc)
        rc = torta_json_int(obj, "layers", where, 1, 100000, 1, 0, &layers, e);
    if (!rc)
        rc = torta_json_int(obj, "hidden", where, 1, 10000000, 1, 0, &hidden, e);
    if (!rc)
        rc = torta_json_int(obj, "default_tp", where, 1, MAX_TP, 1, 0, &tp, e);
    if (!rc)
        rc = torta_json_int(obj, "context_tokens", where, 0, 1L << 30, 0, 0, &ctx, e);
    m->layers = (int)layers;
    m->hidden = (int)hidden;
    m->default_tp = (int)tp;
    m->context_tokens = (int32_t)ctx;
    return rc;
}

static int parse_roofline(const cJSON *obj, torta_roofline *r, torta_err *e)
{
    static const char *const known[] = {"compute_eff",
                                        "mem_eff",
                                        "allreduce_gbps",
                                        "prefill_overhead_s",
                                        "decode_overhead_s",
                                        "layer_sync_s",
                                        "max_prefill_mape_vs_fit_pct",
                                        "max_decode_mape_vs_fit_pct",
                                        NULL};
    const char *where = "profiles.roofline";
    if (!cJSON_IsObject(obj))
        return torta_err_set(e, TORTA_EINPUT, "%s: expected an object", where);
    torta_roofline d = torta_roofline_default();
    int rc = torta_json_check_keys(obj, where, known, e);
    if (!rc)
        rc = torta_json_num(obj, "compute_eff", where, 1e-3, 1, 0, d.compute_eff,
                            &r->compute_eff, e);
    if (!rc)
        rc = torta_json_num(obj, "mem_eff", where, 1e-3, 1, 0, d.mem_eff, &r->mem_eff, e);
    if (!rc)
        rc = torta_json_num(obj, "allreduce_gbps", where, 1e-3, 1e6, 0, d.allreduce_gbps,
                            &r->allreduce_gbps, e);
    if (!rc)
        rc = torta_json_num(obj, "prefill_overhead_s", where, 0, 10, 0, d.prefill_overhead_s,
                            &r->prefill_overhead_s, e);
    if (!rc)
        rc = torta_json_num(obj, "decode_overhead_s", where, 0, 10, 0, d.decode_overhead_s,
                            &r->decode_overhead_s, e);
    if (!rc)
        rc = torta_json_num(obj, "layer_sync_s", where, 0, 1, 0, d.layer_sync_s,
                            &r->layer_sync_s, e);
    if (!rc)
        rc = torta_json_num(obj, "max_prefill_mape_vs_fit_pct", where, 0, 1e6, 0,
                            d.max_prefill_mape_vs_fit_pct, &r->max_prefill_mape_vs_fit_pct, e);
    if (!rc)
        rc = torta_json_num(obj, "max_decode_mape_vs_fit_pct", where, 0, 1e6, 0,
                            d.max_decode_mape_vs_fit_pct, &r->max_decode_mape_vs_fit_pct, e);
    return rc;
}

/* Fills names[] (NULL-terminated) with the catalogue's GPU or model names for did-you-mean. */
static const char **name_list(const torta_catalog *c, int gpus)
{
    int n = gpus ? c->n_gpus : c->n_models;
    const char **names = malloc((size_t)(n + 1) * sizeof *names);
    if (!names)
        return NULL;
    for (int i = 0; i < n; i++)
        names[i] = gpus ? c->gpus[i].name : c->models[i].name;
    names[n] = NULL;
    return names;
}

static int unknown_name(const torta_catalog *c, int gpus, const char *word, const char *where,
                        torta_err *e)
{
    const char **names = name_list(c, gpus);
    if (!names)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    const char *s = torta_did_you_mean(word, names);
    const char *kind = gpus ? "gpu" : "model";
    const char *sect = gpus ? "gpus" : "models";
    int rc;
    if (s)
        rc = torta_err_set(e, TORTA_EINPUT, "%s: unknown %s \"%s\" (did you mean \"%s\"?)", where,
                           kind, word, s);
    else
        rc = torta_err_set(e, TORTA_EINPUT, "%s: unknown %s \"%s\" (not in the %s section)",
                           where, kind, word, sect);
    free(names);
    return rc;
}

/* Index of source `name` (len bytes), added to the catalogue's list when new; -1 when full. */
static int source_index(torta_catalog *c, const char *name, size_t len)
{
    for (int i = 0; i < c->n_sources; i++)
        if (strlen(c->source_names[i]) == len && strncmp(c->source_names[i], name, len) == 0)
            return i;
    if (c->n_sources == TORTA_MAX_PROFILE_SOURCES)
        return -1;
    char *d = malloc(len + 1);
    if (!d)
        return -2;
    memcpy(d, name, len);
    d[len] = '\0';
    c->source_names[c->n_sources] = d;
    return c->n_sources++;
}

/* Splits "<gpu>/<model>/tp<N>[/<source>]" and resolves it. */
static int parse_profile_key(torta_catalog *c, const char *key, const char *where, int *gpu,
                             int *model, int *tp, int *source, torta_err *e)
{
    const char *s1 = strchr(key, '/');
    const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
    char *end = NULL;
    long n = 0;
    if (s2 && strncmp(s2 + 1, "tp", 2) == 0 && s2[3] >= '0' && s2[3] <= '9')
        n = strtol(s2 + 3, &end, 10);
    const char *src = end && *end == '/' ? end + 1 : NULL;
    int src_ok = 1;
    if (src) {
        src_ok = *src != '\0';
        for (const char *q = src; *q && src_ok; q++)
            src_ok = (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_' || *q == '-' ||
                     *q == '.';
    }
    if (!s1 || !s2 || s1 == key || s2 == s1 + 1 || !end || (*end && !src) || !src_ok || n < 1 ||
        n > MAX_TP)
        return torta_err_set(e, TORTA_EINPUT,
                             "%s: key must be \"<gpu>/<model>/tp<N>\" or \"<gpu>/<model>/tp<N>/<source>\" "
                             "with N in [1, %d] and a source name of a-z, 0-9, '_', '-', '.'",
                             where, MAX_TP);
    *source = TORTA_PROFILE_SOURCE_DEFAULT;
    if (src && strcmp(src, "roofline") == 0)
        return torta_err_set(e, TORTA_EINPUT, "%s: \"roofline\" is not a source a profile can belong "
                             "to (it is the estimate)", where);
    if (src) {
        *source = source_index(c, src, strlen(src));
        if (*source == -2)
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        if (*source < 0)
            return torta_err_set(e, TORTA_EINPUT, "%s: more than %d profile sources", where,
                                 TORTA_MAX_PROFILE_SOURCES);
    }
    char gname[256], mname[256];
    size_t lg = (size_t)(s1 - key), lm = (size_t)(s2 - s1 - 1);
    if (lg >= sizeof gname || lm >= sizeof mname)
        return torta_err_set(e, TORTA_EINPUT, "%s: name too long", where);
    memcpy(gname, key, lg);
    gname[lg] = '\0';
    memcpy(mname, s1 + 1, lm);
    mname[lm] = '\0';
    *gpu = torta_catalog_gpu(c, gname);
    if (*gpu < 0)
        return unknown_name(c, 1, gname, where, e);
    *model = torta_catalog_model(c, mname);
    if (*model < 0)
        return unknown_name(c, 0, mname, where, e);
    *tp = (int)n;
    return 0;
}

/* The optional grid keys of a profile entry (catalog.h, torta_perf_grid): the file, read when
 * a run selects the profile (torta_catalog_select_source), and how it is looked up. */
static int parse_grid_keys(const cJSON *obj, const char *where, struct torta_profile_entry *pe,
                           torta_err *e)
{
    const char *file;
    int rc = torta_json_str(obj, "grid_file", where, 0, "", &file, e);
    if (rc || !*file)
        return rc;
    long gran, round_to;
    rc = torta_json_int(obj, "grid_context_granularity", where, 1, 1L << 20, 1, 0, &gran, e);
    if (!rc)
        rc = torta_json_int(obj, "grid_token_round", where, 1, 1L << 20, 1, 0, &round_to, e);
    if (!rc)
        rc = torta_json_num(obj, "grid_attention_batch_overhead", where, 0, 10, 1, 0,
                            &pe->grid_batch_overhead, e);
    if (rc)
        return rc;
    pe->grid_granularity = (int)gran;
    pe->grid_token_round = (int)round_to;
    if (!(pe->grid_file = dup_str(file)))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory loading the catalogue");
    return 0;
}

/* Reads the grid of a profile entry that has one, once. */
static int load_grid(struct torta_profile_entry *pe, torta_err *e)
{
    if (!pe->grid_file || pe->perf.grid)
        return 0;
    char path[4096];
    if (pe->grid_file[0] == '/')
        snprintf(path, sizeof path, "%s", pe->grid_file);
    else /* a shipped file (configs/profiles/...); a miss is reported by the open below */
        torta_data_path(pe->grid_file, path, sizeof path);
    torta_perf_grid *g;
    int rc = torta_perf_grid_load(path, pe->grid_granularity, pe->grid_token_round,
                                  pe->grid_batch_overhead, &g, e);
    if (!rc)
        pe->perf.grid = g;
    return rc;
}

static int parse_profile(torta_catalog *c, const cJSON *obj, struct torta_profile_entry *pe,
                         torta_err *e)
{
    static const char *const known[] = {
        "p0", "p1", "p2", "d0", "d1", "d2", "fit_err_pct", "prefill_mape_pct",
        "prefill_max_err_pct", "decode_mape_pct", "decode_max_err_pct", "rows", "points",
        "source", "max_prompt_tokens", "max_context_tokens", "max_batch", "grid_file",
        "grid_context_granularity", "grid_token_round", "grid_attention_batch_overhead", NULL};
    static const char *const coef[] = {"p0", "p1", "p2", "d0", "d1", "d2"};
    char where[300];
    snprintf(where, sizeof where, "profiles.%s", obj->string);
    int rc = parse_profile_key(c, obj->string, where, &pe->gpu, &pe->model, &pe->tp, &pe->source, e);
    if (rc)
        return rc;
    if (!cJSON_IsObject(obj))
        return torta_err_set(e, TORTA_EINPUT, "%s: expected an object", where);
    rc = torta_json_check_keys(obj, where, known, e);
    double v[6];
    /* Coefficients must be >= 0 so iteration times are positive and grow with the work. */
    for (int i = 0; i < 6 && !rc; i++)
        rc = torta_json_num(obj, coef[i], where, 0, 1e3, 1, 0, &v[i], e);
    if (rc)
        return rc;
    pe->perf.p0 = v[0];
    pe->perf.p1 = v[1];
    pe->perf.p2 = v[2];
    pe->perf.d0 = v[3];
    pe->perf.d1 = v[4];
    pe->perf.d2 = v[5];
    pe->perf.fitted = 1;
    rc = torta_json_num(obj, "fit_err_pct", where, 0, 1e6, 0, NAN, &pe->perf.fit_err_pct, e);
    if (!rc)
        rc = torta_json_num(obj, "prefill_mape_pct", where, 0, 1e6, 0, NAN,
                            &pe->perf.prefill_err_pct, e);
    if (!rc)
        rc = torta_json_num(obj, "decode_mape_pct", where, 0, 1e6, 0, NAN,
                            &pe->perf.decode_err_pct, e);
    /* The remaining keys are informational; checked for type only. */
    double x;
    if (!rc)
        rc = torta_json_num(obj, "prefill_max_err_pct", where, 0, 1e6, 0, 0, &x, e);
    if (!rc)
        rc = torta_json_num(obj, "decode_max_err_pct", where, 0, 1e6, 0, 0, &x, e);
    long n;
    if (!rc)
        rc = torta_json_int(obj, "rows", where, 0, 1000000000, 0, 0, &n, e);
    if (!rc)
        rc = torta_json_int(obj, "points", where, 0, 1000000000, 0, 0, &n, e);
    const char *src;
    if (!rc)
        rc = torta_json_str(obj, "source", where, 0, "", &src, e);
    /* The range of the fitted points (0: not given), for the beyond-the-fit warning. */
    long range[3] = {0, 0, 0};
    static const char *const range_keys[] = {"max_prompt_tokens", "max_context_tokens", "max_batch"};
    for (int i = 0; i < 3 && !rc; i++)
        rc = torta_json_int(obj, range_keys[i], where, 0, 1L << 30, 0, 0, &range[i], e);
    pe->perf.fit_max_prompt_tokens = (int32_t)range[0];
    pe->perf.fit_max_context_tokens = (int32_t)range[1];
    pe->perf.fit_max_batch = (int32_t)range[2];
    return rc ? rc : parse_grid_keys(obj, where, pe, e);
}

int torta_catalog_load(const cJSON *gpus, const cJSON *models, const cJSON *profiles,
                       torta_catalog **out, torta_err *e)
{
    *out = NULL;
    int rc = need_object(gpus, "gpus", e);
    if (!rc)
        rc = need_object(models, "models", e);
    if (!rc && profiles && !cJSON_IsObject(profiles))
        rc = torta_err_set(e, TORTA_EINPUT, "profiles: expected an object");
    if (rc)
        return rc;
    torta_catalog *c = calloc(1, sizeof *c);
    if (!c)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory loading the catalogue");
    c->roofline = torta_roofline_default();
    if (source_index(c, "splitwise", 9) != TORTA_PROFILE_SOURCE_DEFAULT ||
        source_index(c, "roofline", 8) != TORTA_PROFILE_SOURCE_ROOFLINE) {
        torta_catalog_free(c);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory loading the catalogue");
    }
    int ng = count_items(gpus), nm = count_items(models);
    int np = profiles ? count_items(profiles) : 0;
    c->gpus = calloc((size_t)ng + 1, sizeof *c->gpus);
    c->models = calloc((size_t)nm + 1, sizeof *c->models);
    c->profiles = calloc((size_t)np + 1, sizeof *c->profiles);
    if (!c->gpus || !c->models || !c->profiles) {
        torta_catalog_free(c);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory loading the catalogue");
    }

    const cJSON *it;
    cJSON_ArrayForEach(it, gpus)
    {
        if (torta_catalog_gpu(c, it->string) >= 0) {
            rc = torta_err_set(e, TORTA_EINPUT, "gpus.%s: defined twice", it->string);
            break;
        }
        torta_gpu *g = &c->gpus[c->n_gpus];
        if ((rc = parse_gpu(it, g, e)))
            break;
        if (!(g->name = dup_str(it->string))) {
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory loading the catalogue");
            break;
        }
        c->n_gpus++;
    }
    if (!rc) {
        cJSON_ArrayForEach(it, models)
        {
            if (torta_catalog_model(c, it->string) >= 0) {
                rc = torta_err_set(e, TORTA_EINPUT, "models.%s: defined twice", it->string);
                break;
            }
            torta_model *m = &c->models[c->n_models];
            if ((rc = parse_model(it, m, e)))
                break;
            if (!(m->name = dup_str(it->string))) {
                rc = torta_err_set(e, TORTA_ENOMEM, "out of memory loading the catalogue");
                break;
            }
            c->n_models++;
        }
    }
    if (!rc && profiles) {
        cJSON_ArrayForEach(it, profiles)
        {
            if (strcmp(it->string, "roofline") == 0) {
                if ((rc = parse_roofline(it, &c->roofline, e)))
                    break;
                continue;
            }
            struct torta_profile_entry *pe = &c->profiles[c->n_profiles];
            if ((rc = parse_profile(c, it, pe, e)))
                break;
            for (int i = 0; i < c->n_profiles && !rc; i++)
                if (c->profiles[i].gpu == pe->gpu && c->profiles[i].model == pe->model &&
                    c->profiles[i].tp == pe->tp && c->profiles[i].source == pe->source)
                    rc = torta_err_set(e, TORTA_EINPUT, "profiles.%s: same triple as an earlier key",
                                       it->string);
            if (rc)
                break;
            c->n_profiles++;
        }
    }
    if (rc) {
        torta_catalog_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void torta_catalog_free(torta_catalog *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n_gpus; i++)
        free(c->gpus[i].name);
    for (int i = 0; i < c->n_models; i++)
        free(c->models[i].name);
    for (int i = 0; i < c->n_sources; i++)
        free(c->source_names[i]);
    for (int i = 0; c->profiles && i < c->n_profiles + 1; i++) {
        torta_perf_grid_free((torta_perf_grid *)c->profiles[i].perf.grid);
        free(c->profiles[i].grid_file);
    }
    free(c->gpus);
    free(c->models);
    free(c->profiles);
    free(c->selected);
    free(c);
}

int torta_catalog_source(const torta_catalog *c, const char *name)
{
    for (int i = 0; i < c->n_sources; i++)
        if (strcmp(c->source_names[i], name) == 0)
            return i;
    return -1;
}

int torta_catalog_gpu(const torta_catalog *c, const char *name)
{
    for (int i = 0; i < c->n_gpus; i++)
        if (strcmp(c->gpus[i].name, name) == 0)
            return i;
    return -1;
}

int torta_catalog_model(const torta_catalog *c, const char *name)
{
    for (int i = 0; i < c->n_models; i++)
        if (strcmp(c->models[i].name, name) == 0)
            return i;
    return -1;
}

/* Shared checks of a perf lookup: valid indexes, tp range, weights fit in GPU memory. */
static int check_triple(const torta_catalog *c, int gpu, int model, int tp, torta_err *e)
{
    if (gpu < 0 || gpu >= c->n_gpus || model < 0 || model >= c->n_models)
        return torta_err_set(e, TORTA_EINTERNAL, "catalogue lookup with gpu index %d / model index %d",
                             gpu, model);
    const torta_gpu *g = &c->gpus[gpu];
    const torta_model *m = &c->models[model];
    if (tp < 1 || tp > MAX_TP)
        return torta_err_set(e, TORTA_EINPUT, "gpu %s, model %s: tp=%d is outside [1, %d]", g->name,
                             m->name, tp, MAX_TP);
    double need_gb = m->weight_bytes / tp / 1e9;
    if (need_gb >= g->mem_gb)
        return torta_err_set(e, TORTA_EINPUT,
                             "gpu %s cannot hold model %s at tp=%d: weights need %.1f GB per GPU "
                             "(%.1f GB / %d) but the GPU has %.1f GB; raise tp or pick a larger GPU",
                             g->name, m->name, tp, need_gb, m->weight_bytes / 1e9, tp, g->mem_gb);
    return 0;
}

int torta_catalog_roofline(const torta_catalog *c, int gpu, int model, int tp, torta_perf *out,
                           torta_err *e)
{
    int rc = check_triple(c, gpu, model, tp, e);
    if (rc)
        return rc;
    torta_roofline_perf(&c->roofline, &c->gpus[gpu], &c->models[model], tp, out);
    return 0;
}

int torta_catalog_perf_source(const torta_catalog *c, int gpu, int model, int tp, int source,
                              torta_perf *out, torta_err *e)
{
    int rc = check_triple(c, gpu, model, tp, e);
    if (rc)
        return rc;
    if (source < 0 || source >= c->n_sources)
        return torta_err_set(e, TORTA_EINTERNAL, "catalogue lookup with profile source %d", source);
    if (source != TORTA_PROFILE_SOURCE_ROOFLINE)
        for (int i = 0; i < c->n_profiles; i++) {
            const struct torta_profile_entry *pe = &c->profiles[i];
            if (pe->gpu == gpu && pe->model == model && pe->tp == tp && pe->source == source) {
                *out = pe->perf;
                return 0;
            }
        }
    if (source == TORTA_PROFILE_SOURCE_DEFAULT || source == TORTA_PROFILE_SOURCE_ROOFLINE) {
        torta_roofline_perf(&c->roofline, &c->gpus[gpu], &c->models[model], tp, out);
        return 0;
    }
    /* A named source covers only its own triples: say which. */
    char have[400] = "";
    size_t len = 0;
    for (int i = 0; i < c->n_profiles && len < sizeof have - 1; i++) {
        const struct torta_profile_entry *pe = &c->profiles[i];
        if (pe->source != source)
            continue;
        int w = snprintf(have + len, sizeof have - len, "%s%s/%s/tp%d", len ? ", " : "",
                         c->gpus[pe->gpu].name, c->models[pe->model].name, pe->tp);
        len = w < 0 ? len : len + (size_t)w;
    }
    if (len >= sizeof have)
        len = sizeof have - 1;
    have[len] = '\0';
    return torta_err_set(e, TORTA_EINPUT, "profile source \"%s\" has no profile for %s/%s/tp%d (it has "
                         "%s)", c->source_names[source], c->gpus[gpu].name, c->models[model].name, tp,
                         len ? have : "none");
}

int torta_catalog_select_source(torta_catalog *c, int gpu, int model, int tp, int source,
                                const char *where, torta_err *e)
{
    for (int i = 0; i < c->n_profiles; i++) {
        struct torta_profile_entry *pe = &c->profiles[i];
        if (pe->gpu == gpu && pe->model == model && pe->tp == tp && pe->source == source) {
            int rc = load_grid(pe, e);
            if (rc) {
                char msg[sizeof e->msg] = "";
                snprintf(msg, sizeof msg, "%s", e->msg);
                return torta_err_set(e, rc, "%s: %s", where, msg);
            }
        }
    }
    torta_perf probe = {0};
    /* The default source always answers (or the server set-up reports why it cannot). */
    int rc = source == TORTA_PROFILE_SOURCE_DEFAULT ? 0
                                                    : torta_catalog_perf_source(c, gpu, model, tp, source,
                                                                                &probe, e);
    if (rc) {
        char msg[sizeof e->msg] = "";
        snprintf(msg, sizeof msg, "%s", e->msg);
        return torta_err_set(e, rc, "%s: %s", where, msg);
    }
    for (int i = 0; i < c->n_selected; i++) {
        const struct torta_profile_selection *p = &c->selected[i];
        if (p->gpu != gpu || p->model != model || p->tp != tp)
            continue;
        if (p->source == source)
            return 0;
        return torta_err_set(e, TORTA_EINPUT, "%s: profile source \"%s\" for %s/%s/tp%d, but another "
                             "server group of that type uses \"%s\" (one source per GPU, model and TP)",
                             where, c->source_names[source], c->gpus[gpu].name, c->models[model].name,
                             tp, c->source_names[p->source]);
    }
    struct torta_profile_selection *s = realloc(c->selected, (size_t)(c->n_selected + 1) * sizeof *s);
    if (!s)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    c->selected = s;
    s[c->n_selected++] = (struct torta_profile_selection){gpu, model, tp, source};
    return 0;
}

int torta_catalog_perf(const torta_catalog *c, int gpu, int model, int tp, torta_perf *out,
                       torta_err *e)
{
    int source = TORTA_PROFILE_SOURCE_DEFAULT;
    for (int i = 0; i < c->n_selected; i++)
        if (c->selected[i].gpu == gpu && c->selected[i].model == model && c->selected[i].tp == tp)
            source = c->selected[i].source;
    return torta_catalog_perf_source(c, gpu, model, tp, source, out, e);
}
