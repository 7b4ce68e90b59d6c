/* The `scheduled` autoscaler: on-demand and spot servers per region from a 24-hour table in the
 * region's local time (capacity.scheduled), e.g.
 *   "scheduled": {"default": {"on_demand": [24 counts]}, "Chicago": {"spot": [24 counts]}}
 * A region without an entry of its own uses "default"; a class without a table keeps 0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torta/sched.h"

typedef struct scheduled {
    int n_regions;
    int32_t *table; /* n_regions x classes x 24 */
} scheduled;

static int read_table(const cJSON *entry, const char *where, int32_t *out, torta_err *e)
{
    static const char *const classes[] = {"on_demand", "spot"};
    const cJSON *it;
    cJSON_ArrayForEach(it, entry)
    {
        int c = -1;
        for (int k = 0; k < 2; k++)
            if (strcmp(it->string, classes[k]) == 0)
                c = k + TORTA_CLASS_ON_DEMAND;
        if (c < 0)
            return torta_err_set(e, TORTA_EINPUT, "%s.%s: unknown class (on_demand or spot)", where,
                                 it->string);
        if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != 24)
            return torta_err_set(e, TORTA_EINPUT, "%s.%s: expected 24 hourly server counts", where,
                                 it->string);
        for (int h = 0; h < 24; h++) {
            const cJSON *v = cJSON_GetArrayItem(it, h);
            if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e6 ||
                v->valuedouble != floor(v->valuedouble))
                return torta_err_set(e, TORTA_EINPUT, "%s.%s[%d]: expected a whole number of servers "
                                     ">= 0", where, it->string, h);
            out[c * 24 + h] = (int32_t)v->valuedouble;
        }
    }
    return 0;
}

static int scheduled_init(void **self, const torta_sched_env *env, torta_err *e)
{
    const torta_view *v = env->view;
    scheduled *p = calloc(1, sizeof *p);
    if (!p || !(p->table = calloc((size_t)v->n_regions * TORTA_N_CLASSES * 24, sizeof(int32_t)))) {
        free(p);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    }
    *self = p;
    p->n_regions = v->n_regions;
    const cJSON *it;
    cJSON_ArrayForEach(it, env->params)
    {
        char where[300];
        snprintf(where, sizeof where, "capacity.scheduled.%.200s", it->string);
        int g = -1, is_default = strcmp(it->string, "default") == 0;
        for (int k = 0; k < v->n_regions && g < 0 && !is_default; k++)
            if (strcmp(v->regions[k].name, it->string) == 0)
                g = k;
        if (g < 0 && !is_default)
            return torta_err_set(e, TORTA_EINPUT, "%s: no such region", where);
        if (!cJSON_IsObject(it))
            return torta_err_set(e, TORTA_EINPUT, "%s: expected {\"on_demand\": [24], \"spot\": [24]}", where);
        for (int k = 0; k < v->n_regions; k++) {
            if (is_default ? cJSON_GetObjectItemCaseSensitive(env->params, v->regions[k].name) != NULL : k != g)
                continue;
            int rc = read_table(it, where, p->table + (size_t)k * TORTA_N_CLASSES * 24, e);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int scheduled_decide(void *self, const torta_view *v, int32_t *desired, torta_err *e)
{
    const scheduled *p = self;
    for (int g = 0; g < v->n_regions; g++) {
        double local_h = fmod(v->start_hour_utc + v->now_s / 3600.0 + v->regions[g].tz_offset_h, 24.0);
        int h = (int)floor(local_h < 0 ? local_h + 24.0 : local_h) % 24;
        for (int c = TORTA_CLASS_ON_DEMAND; c < TORTA_N_CLASSES; c++)
            desired[g * TORTA_N_CLASSES + c] = p->table[((size_t)g * TORTA_N_CLASSES + c) * 24 + h];
    }
    return 0;
}

static void scheduled_destroy(void *self)
{
    scheduled *p = self;
    if (p)
        free(p->table);
    free(p);
}

const torta_autoscaler_ops torta_autoscaler_scheduled = {
    "scheduled", "on-demand and spot servers per region from a 24-hour table (local time)",
    scheduled_init, scheduled_decide, scheduled_destroy};
