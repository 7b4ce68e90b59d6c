/* The scheduler registry: every policy torta-sim knows, by name. Add a line here for a new one. */
#include <string.h>

#include "torta/sched.h"

extern const torta_macro_ops torta_macro_local, torta_macro_round_robin, torta_macro_random,
    torta_macro_least_loaded, torta_macro_latency_greedy, torta_macro_torta,
    torta_macro_torta_no_forecast, torta_macro_torta_no_rl, torta_macro_torta_no_smooth,
    torta_macro_ot_reactive, torta_macro_exact_ot, torta_macro_rl_only;
extern const torta_micro_ops torta_micro_round_robin, torta_micro_random, torta_micro_least_loaded,
    torta_micro_jsq, torta_micro_p2c, torta_micro_central_fcfs;

static const torta_macro_ops *const macros[] = {
    &torta_macro_local,
    &torta_macro_round_robin,
    &torta_macro_random,
    &torta_macro_least_loaded,
    &torta_macro_latency_greedy,
    &torta_macro_torta,
    &torta_macro_torta_no_forecast,
    &torta_macro_torta_no_rl,
    &torta_macro_torta_no_smooth,
    &torta_macro_ot_reactive,
    &torta_macro_exact_ot,
    &torta_macro_rl_only,
    NULL,
};

static const torta_micro_ops *const micros[] = {
    &torta_micro_round_robin,
    &torta_micro_random,
    &torta_micro_least_loaded,
    &torta_micro_jsq,
    &torta_micro_p2c,
    &torta_micro_central_fcfs,
    NULL,
};

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
