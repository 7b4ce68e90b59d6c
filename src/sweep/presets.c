/* Scheduler names of compare and sweep: a preset (a named macro [+ micro] [+ autoscaler], below), a macro
 * scheduler name (paired with the configured scheduler.micro), or "macro/micro". A preset wins
 * over a macro of the same name: write "torta/jsq" for the torta macro with another micro.
 * To add a preset, add a line to the table (docs/sweeps.md lists them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep.h"
#include "torta/json.h"
#include "torta/sched.h"

static const torta_sched_preset PRESETS[] = {
    {"torta", "torta", "torta-rl", "TORTA: OT + PPO regions, RL server allocation", NULL},
    {"torta-greedy-micro", "torta", "affinity", "TORTA's macro layer with the greedy affinity micro", NULL},
    {"static", "least-loaded", NULL,
     "every configured server on all day (capacity.autoscaler static) with least-loaded routing", "static"},
    {"reactive", "least-loaded", NULL,
     "reactive autoscaling (capacity.reactive) with least-loaded routing (SkyServe-like)", "reactive"},
    {"skylb", "skylb", "skylb-push", "SkyLB: cross-region forwarding with selective pushing to replicas", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

const torta_sched_preset *torta_sched_presets(void)
{
    return PRESETS;
}

static int unknown(const char *kind, const char *name, const char *whole, torta_err *e)
{
    const char *names[160];
    size_t n = 0;
    if (strcmp(kind, "macro") == 0) {
        for (const torta_macro_ops *const *p = torta_macro_all(); *p && n < 120; p++)
            names[n++] = (*p)->name;
        for (size_t i = 0; PRESETS[i].name && n < 159; i++)
            names[n++] = PRESETS[i].name;
    } else {
        for (const torta_micro_ops *const *p = torta_micro_all(); *p && n < 159; p++)
            names[n++] = (*p)->name;
    }
    names[n] = NULL;
    const char *s = torta_did_you_mean(name, names);
    return torta_err_set(e, TORTA_EINPUT, "scheduler \"%s\": unknown %s scheduler \"%s\"%s%s%s "
                         "(see --list-schedulers)", whole, kind, name, s ? " (did you mean \"" : "",
                         s ? s : "", s ? "\"?)" : "");
}

static int copy(char *dst, size_t n, const char *src, size_t len, const char *whole, torta_err *e)
{
    if (len >= n)
        return torta_err_set(e, TORTA_EINPUT, "scheduler \"%s\": name too long", whole);
    memcpy(dst, src, len);
    dst[len] = '\0';
    return 0;
}

int torta_sched_resolve(const char *name, char *macro, size_t macro_n, char *micro, size_t micro_n,
                        torta_err *e)
{
    const char *slash = strchr(name, '/');
    int rc;
    if (*name == '\0')
        return torta_err_set(e, TORTA_EINPUT, "empty scheduler name");
    if (slash) {
        rc = copy(macro, macro_n, name, (size_t)(slash - name), name, e);
        if (!rc)
            rc = copy(micro, micro_n, slash + 1, strlen(slash + 1), name, e);
    } else {
        const torta_sched_preset *p = NULL;
        for (size_t i = 0; PRESETS[i].name && !p; i++)
            if (strcmp(PRESETS[i].name, name) == 0)
                p = &PRESETS[i];
        const char *pm = p && p->micro ? p->micro : ""; /* none: the configured micro */
        rc = copy(macro, macro_n, p ? p->macro : name, strlen(p ? p->macro : name), name, e);
        if (!rc)
            rc = copy(micro, micro_n, pm, strlen(pm), name, e);
        if (!rc && *pm && !torta_micro_find(pm))
            return torta_err_set(e, TORTA_EINPUT, "scheduler \"%s\": the preset needs micro "
                                 "scheduler \"%s\", which this build does not have (unknown "
                                 "scheduler; see --list-schedulers)", name, p->micro);
    }
    if (rc)
        return rc;
    if (!torta_macro_find(macro))
        return unknown("macro", macro, name, e);
    if ((slash || *micro) && !torta_micro_find(micro))
        return unknown("micro", micro, name, e);
    return 0;
}

static int add_set(const char *key, const char *value, char **sets, int *n, torta_err *e)
{
    cJSON *s = cJSON_CreateString(value);
    char *q = s ? cJSON_PrintUnformatted(s) : NULL;
    cJSON_Delete(s);
    size_t len = q ? strlen(key) + strlen(q) + 2 : 0;
    char *a = q ? malloc(len) : NULL;
    if (!a) {
        free(q);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    }
    snprintf(a, len, "%s=%s", key, q);
    free(q);
    sets[(*n)++] = a;
    return 0;
}

int torta_sched_sets(const char *name, char **sets, int *n, torta_err *e)
{
    char macro[128], micro[128];
    int rc = torta_sched_resolve(name, macro, sizeof macro, micro, sizeof micro, e);
    if (!rc)
        rc = add_set("scheduler.macro", macro, sets, n, e);
    if (!rc && *micro)
        rc = add_set("scheduler.micro", micro, sets, n, e);
    for (size_t i = 0; !rc && PRESETS[i].name; i++)
        if (PRESETS[i].autoscaler && strcmp(PRESETS[i].name, name) == 0)
            rc = add_set("capacity.autoscaler", PRESETS[i].autoscaler, sets, n, e);
    return rc;
}
