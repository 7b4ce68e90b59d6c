/* The point list shared by sweep and compare: ids, axis values, overrides and inputs of each
 * run, and the description (point.json) that tells a resumed sweep whether old outputs match. */
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep.h"
#include "torta/config.h"

static char *dup_or_null(const char *s, int *bad)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *bad = 1;
    return d;
}

int torta_points_init(torta_points *pl, const char *const *params, int n_params,
                      const char *config_path, torta_err *e)
{
    memset(pl, 0, sizeof *pl);
    int bad = 0;
    pl->params = calloc((size_t)n_params + 1, sizeof *pl->params);
    if (!pl->params)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    for (int k = 0; k < n_params; k++)
        pl->params[k] = dup_or_null(params[k], &bad);
    pl->n_params = n_params;
    pl->config_path = dup_or_null(config_path, &bad);
    if (bad) {
        torta_points_free(pl);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    }
    return 0;
}

static void point_free(torta_point *p, int n_params)
{
    free(p->id);
    for (int k = 0; p->values && k < n_params; k++)
        free(p->values[k]);
    free(p->values);
    for (int k = 0; p->sets && k < p->n_sets; k++)
        free(p->sets[k]);
    free(p->sets);
    free(p->topology);
    free(p->trace);
    free(p->workload);
    cJSON_Delete(p->desc);
}

void torta_points_free(torta_points *pl)
{
    for (int i = 0; i < pl->n; i++)
        point_free(&pl->p[i], pl->n_params);
    free(pl->p);
    for (int k = 0; pl->params && k < pl->n_params; k++)
        free(pl->params[k]);
    free(pl->params);
    free(pl->config_path);
    memset(pl, 0, sizeof *pl);
}

void torta_id_sanitize(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; in && *in && k + 1 < n; in++) {
        char c = *in;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 strchr("._=+-", c) != NULL;
        out[k++] = ok ? c : c == '/' ? '+' : '_';
    }
    if (n)
        out[k] = '\0';
    if (k > 0 && out[0] == '.')
        out[0] = '_'; /* never a hidden folder, never ".." */
}

/* What a point's outputs depend on; equal descriptions = interchangeable outputs. */
static cJSON *describe(const torta_points *pl, const torta_point *p)
{
    cJSON *d = cJSON_CreateObject(), *sets;
    if (!d || !cJSON_AddStringToObject(d, "id", p->id) ||
        (pl->config_path && !cJSON_AddStringToObject(d, "config", pl->config_path)) ||
        !(sets = cJSON_AddArrayToObject(d, "sets"))) {
        cJSON_Delete(d);
        return NULL;
    }
    for (int k = 0; k < p->n_sets; k++)
        cJSON_AddItemToArray(sets, cJSON_CreateString(p->sets[k]));
    cJSON_AddStringToObject(d, "topology", p->topology);
    if (p->trace) {
        static const char *const fmts[] = {"auto", "azure", "mooncake", "native"};
        cJSON_AddStringToObject(d, "trace", p->trace);
        cJSON_AddStringToObject(d, "trace_format", fmts[p->trace_opts.format]);
        cJSON_AddNumberToObject(d, "rate_scale", p->trace_opts.rate_scale);
        cJSON_AddNumberToObject(d, "duration_s", p->trace_opts.duration_s);
    } else {
        cJSON_AddStringToObject(d, "workload", p->workload);
    }
    cJSON *vals = cJSON_AddObjectToObject(d, "parameters");
    for (int k = 0; vals && k < pl->n_params; k++)
        cJSON_AddStringToObject(vals, pl->params[k], p->values[k]);
    return d;
}

int torta_points_add(torta_points *pl, const char *id, const char *const *values,
                     const char *const *sets, int n_sets, const char *topology, const char *trace,
                     const char *workload, const torta_trace_opts *trace_opts, torta_err *e)
{
    for (int i = 0; i < pl->n; i++)
        if (strcmp(pl->p[i].id, id) == 0)
            return torta_err_set(e, TORTA_EINPUT, "two points have the same id \"%s\" (give the "
                                 "topologies or workloads distinct \"name\"s)", id);
    if (pl->n == pl->cap) {
        int cap = pl->cap ? 2 * pl->cap : 16;
        torta_point *q = realloc(pl->p, sizeof *q * (size_t)cap);
        if (!q)
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        pl->p = q;
        pl->cap = cap;
    }
    torta_point *p = &pl->p[pl->n];
    memset(p, 0, sizeof *p);
    int bad = 0;
    p->id = dup_or_null(id, &bad);
    p->values = calloc((size_t)pl->n_params + 1, sizeof *p->values);
    p->sets = calloc((size_t)n_sets + 1, sizeof *p->sets);
    bad |= !p->values || !p->sets;
    for (int k = 0; !bad && k < pl->n_params; k++)
        p->values[k] = dup_or_null(values[k] ? values[k] : "", &bad);
    for (int k = 0; !bad && k < n_sets; k++, p->n_sets++)
        p->sets[k] = dup_or_null(sets[k], &bad);
    p->topology = dup_or_null(topology, &bad);
    p->trace = dup_or_null(trace, &bad);
    p->workload = dup_or_null(workload, &bad);
    if (trace_opts)
        p->trace_opts = *trace_opts;
    if (p->trace_opts.rate_scale <= 0)
        p->trace_opts.rate_scale = 1.0;
    if (!bad && !(p->desc = describe(pl, p)))
        bad = 1;
    if (bad) {
        point_free(p, pl->n_params);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    }
    pl->n++;
    return 0;
}

int torta_points_validate(const torta_points *pl, torta_err *e)
{
    cJSON *base = NULL;
    if (torta_config_build(pl->config_path, NULL, 0, &base, e))
        return e->code;
    int rc = 0;
    for (int i = 0; !rc && i < pl->n; i++) {
        const torta_point *p = &pl->p[i];
        cJSON *cfg = cJSON_Duplicate(base, 1);
        if (!cfg)
            rc = torta_err_set(e, TORTA_ENOMEM, "out of memory");
        for (int k = 0; !rc && k < p->n_sets; k++)
            if (torta_config_set(cfg, p->sets[k], e))
                rc = torta_err_prefix(e, "point %s", p->id);
        cJSON_Delete(cfg);
    }
    cJSON_Delete(base);
    return rc;
}
