/* The scheduler registry: every policy torta-sim knows, by name. Add a line here for a new
 * built-in one. Plugins (src/sched/plugin.c) append theirs at run time through
 * torta_sched_register: the tables below are therefore the one piece of process-global mutable
 * state in torta-sim, written only while plugins load (before any run) and read afterwards. */
#include <string.h>

#include "torta/plugin.h"
#include "torta/sched.h"

extern const torta_macro_ops torta_macro_local, torta_macro_round_robin, torta_macro_random,
    torta_macro_least_loaded, torta_macro_latency_greedy, torta_macro_skylb, torta_macro_nearest,
    torta_macro_torta, torta_macro_torta_no_forecast, torta_macro_torta_no_rl,
    torta_macro_torta_no_smooth, torta_macro_ot_reactive, torta_macro_exact_ot, torta_macro_rl_only;
extern const torta_micro_ops torta_micro_round_robin, torta_micro_random, torta_micro_least_loaded,
    torta_micro_jsq, torta_micro_p2c, torta_micro_central_fcfs;
extern const torta_micro_ops torta_micro_affinity, torta_micro_torta_rl, torta_micro_llumnix,
    torta_micro_skylb_push, torta_micro_lect;

/* Room for this many plugin schedulers per layer. */
#define PLUGIN_CAP 64
#define NAME_MAX_CHARS 63

static const torta_macro_ops *macros[32 + PLUGIN_CAP + 1] = {
    &torta_macro_local,
    &torta_macro_round_robin,
    &torta_macro_random,
    &torta_macro_least_loaded,
    &torta_macro_latency_greedy,
    &torta_macro_skylb,
    &torta_macro_nearest,
    &torta_macro_torta,
    &torta_macro_torta_no_forecast,
    &torta_macro_torta_no_rl,
    &torta_macro_torta_no_smooth,
    &torta_macro_ot_reactive,
    &torta_macro_exact_ot,
    &torta_macro_rl_only,
    NULL,
};

static const torta_micro_ops *micros[32 + PLUGIN_CAP + 1] = {
    &torta_micro_round_robin,
    &torta_micro_random,
    &torta_micro_least_loaded,
    &torta_micro_jsq,
    &torta_micro_p2c,
    &torta_micro_central_fcfs,
    &torta_micro_affinity,
    &torta_micro_torta_rl,
    &torta_micro_llumnix,
    &torta_micro_skylb_push,
    &torta_micro_lect,
    NULL,
};

/* Number of built-ins, counted on the first registration (before it, nothing was added). */
static size_t n_builtin_macros, n_builtin_micros;

const torta_macro_ops *const *torta_macro_all(void)
{
    return macros;
}

const torta_micro_ops *const *torta_micro_all(void)
{
    return micros;
}

const torta_macro_ops *torta_macro_find(const char *name)
{
    for (size_t i = 0; macros[i]; i++)
        if (strcmp(macros[i]->name, name) == 0)
            return macros[i];
    return NULL;
}

const torta_micro_ops *torta_micro_find(const char *name)
{
    for (size_t i = 0; micros[i]; i++)
        if (strcmp(micros[i]->name, name) == 0)
            return micros[i];
    return NULL;
}

static size_t count_macros(const torta_macro_ops *const *l)
{
    size_t n = 0;
    while (l && l[n])
        n++;
    return n;
}

static size_t count_micros(const torta_micro_ops *const *l)
{
    size_t n = 0;
    while (l && l[n])
        n++;
    return n;
}

/* A scheduler name is typed on command lines and stored in config.json: keep it plain. */
static int check_name(const char *name, const char *kind, const char *origin, torta_err *e)
{
    if (!name || !*name)
        return torta_err_set(e, TORTA_EINPUT, "%s: a %s scheduler has no name", origin, kind);
    size_t n = strlen(name);
    int ok = n <= NAME_MAX_CHARS;
    for (size_t i = 0; ok && i < n; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
             c == '_' || c == '.';
    }
    if (!ok)
        return torta_err_set(e, TORTA_EINPUT, "%s: %s scheduler name \"%.80s\": expected 1-%d letters, "
                             "digits, '-', '_' or '.'", origin, kind, name, NAME_MAX_CHARS);
    return 0;
}

/* Where a taken name comes from, for the clash message (NULL: the name is free). */
static const char *macro_clash(const char *name, size_t have, const torta_macro_ops *const *add, size_t i)
{
    for (size_t k = 0; k < have; k++)
        if (strcmp(macros[k]->name, name) == 0)
            return k < n_builtin_macros ? "a built-in scheduler" : "a scheduler of an earlier plugin";
    for (size_t j = 0; j < i; j++)
        if (strcmp(add[j]->name, name) == 0)
            return "another scheduler of the same plugin";
    return NULL;
}

static const char *micro_clash(const char *name, size_t have, const torta_micro_ops *const *add, size_t i)
{
    for (size_t k = 0; k < have; k++)
        if (strcmp(micros[k]->name, name) == 0)
            return k < n_builtin_micros ? "a built-in scheduler" : "a scheduler of an earlier plugin";
    for (size_t j = 0; j < i; j++)
        if (strcmp(add[j]->name, name) == 0)
            return "another scheduler of the same plugin";
    return NULL;
}

int torta_sched_register(const torta_macro_ops *const *add_macros, const torta_micro_ops *const *add_micros,
                         const char *origin, torta_err *e)
{
    size_t have_ma = count_macros(macros), have_mi = count_micros(micros);
    if (n_builtin_macros == 0 && n_builtin_micros == 0) {
        n_builtin_macros = have_ma;
        n_builtin_micros = have_mi;
    }
    size_t add_ma = count_macros(add_macros), add_mi = count_micros(add_micros);
    if (add_ma == 0 && add_mi == 0)
        return torta_err_set(e, TORTA_EINPUT, "%s: defines no scheduler (both lists are empty)", origin);
    if (have_ma + add_ma > n_builtin_macros + PLUGIN_CAP || have_mi + add_mi > n_builtin_micros + PLUGIN_CAP)
        return torta_err_set(e, TORTA_EINPUT, "%s: too many plugin schedulers (at most %d per layer)",
                             origin, PLUGIN_CAP);
    /* Check everything first, so a rejected plugin leaves the registry as it was. */
    for (size_t i = 0; i < add_ma; i++) {
        const torta_macro_ops *o = add_macros[i];
        int rc = check_name(o->name, "macro", origin, e);
        if (rc)
            return rc;
        if (!o->summary || !o->init || !o->route)
            return torta_err_set(e, TORTA_EINPUT, "macro scheduler \"%s\" of %s: summary, init and "
                                 "route are required", o->name, origin);
        const char *c = macro_clash(o->name, have_ma, add_macros, i);
        if (c)
            return torta_err_set(e, TORTA_EINPUT, "macro scheduler \"%s\" of %s: the name is taken by %s",
                                 o->name, origin, c);
    }
    for (size_t i = 0; i < add_mi; i++) {
        const torta_micro_ops *o = add_micros[i];
        int rc = check_name(o->name, "micro", origin, e);
        if (rc)
            return rc;
        if (!o->summary || !o->init || !o->pick)
            return torta_err_set(e, TORTA_EINPUT, "micro scheduler \"%s\" of %s: summary, init and "
                                 "pick are required", o->name, origin);
        const char *c = micro_clash(o->name, have_mi, add_micros, i);
        if (c)
            return torta_err_set(e, TORTA_EINPUT, "micro scheduler \"%s\" of %s: the name is taken by %s",
                                 o->name, origin, c);
    }
    for (size_t i = 0; i < add_ma; i++)
        macros[have_ma + i] = add_macros[i];
    macros[have_ma + add_ma] = NULL;
    for (size_t i = 0; i < add_mi; i++)
        micros[have_mi + i] = add_micros[i];
    micros[have_mi + add_mi] = NULL;
    return 0;
}
