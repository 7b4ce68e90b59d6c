/* The table of batching policies: names for configs and outputs (see batching.h). */
#include "cluster/batching.h"

#include <string.h>

#include "torta/json.h"

static const char *const names[TORTA_N_BATCHING + 1] = {"mixed", "vllm", "sarathi", NULL};

const char *torta_batching_name(int policy)
{
    return policy >= 0 && policy < TORTA_N_BATCHING ? names[policy] : "?";
}

int torta_batching_parse(const char *name, const char *where, int *policy, torta_err *e)
{
    for (int p = 0; p < TORTA_N_BATCHING; p++)
        if (strcmp(name, names[p]) == 0) {
            *policy = p;
            return 0;
        }
    const char *s = torta_did_you_mean(name, names);
    return torta_err_set(e, TORTA_EINPUT, "%s: unknown batching policy \"%s\"%s%s%s (mixed, vllm or "
                         "sarathi)", where, name, s ? " (did you mean \"" : "", s ? s : "", s ? "\"?)" : "");
}

static const char *const kv_names[TORTA_N_KV + 1] = {"reserve", "paged", "auto", NULL};

const char *torta_kv_policy_name(int kv_policy)
{
    return kv_policy >= 0 && kv_policy < TORTA_N_KV ? kv_names[kv_policy] : "?";
}

int torta_kv_policy_parse(const char *name, const char *where, int *kv_policy, torta_err *e)
{
    for (int p = 0; p < TORTA_N_KV; p++)
        if (strcmp(name, kv_names[p]) == 0) {
            *kv_policy = p;
            return 0;
        }
    const char *s = torta_did_you_mean(name, kv_names);
    return torta_err_set(e, TORTA_EINPUT, "%s: unknown KV policy \"%s\"%s%s%s (reserve, paged or auto)",
                         where, name, s ? " (did you mean \"" : "", s ? s : "", s ? "\"?)" : "");
}

int torta_kv_policy_resolve(int kv_policy, int batching)
{
    if (kv_policy != TORTA_KV_AUTO)
        return kv_policy;
    return batching == TORTA_BATCHING_VLLM ? TORTA_KV_PAGED : TORTA_KV_RESERVE;
}

static const char *const preempt_names[TORTA_N_KV_PREEMPT + 1] = {"needed", "vllm", "auto", NULL};

int torta_kv_preempt_parse(const char *name, const char *where, int *kv_preempt, torta_err *e)
{
    for (int p = 0; p < TORTA_N_KV_PREEMPT; p++)
        if (strcmp(name, preempt_names[p]) == 0) {
            *kv_preempt = p;
            return 0;
        }
    const char *s = torta_did_you_mean(name, preempt_names);
    return torta_err_set(e, TORTA_EINPUT, "%s: unknown KV preemption rule \"%s\"%s%s%s (needed, vllm or "
                         "auto)", where, name, s ? " (did you mean \"" : "", s ? s : "", s ? "\"?)" : "");
}

int torta_kv_preempt_resolve(int kv_preempt, int batching, int kv_policy, const char *where, int *out,
                             torta_err *e)
{
    if (kv_preempt == TORTA_KV_PREEMPT_AUTO)
        kv_preempt = batching == TORTA_BATCHING_VLLM ? TORTA_KV_PREEMPT_VLLM : TORTA_KV_PREEMPT_NEEDED;
    /* vLLM's rule walks the decoding requests in admission order; under sarathi the requests still
     * prefilling hold blocks too, and the rule says nothing of them. */
    if (kv_preempt == TORTA_KV_PREEMPT_VLLM && kv_policy == TORTA_KV_PAGED && batching == TORTA_BATCHING_SARATHI)
        return torta_err_set(e, TORTA_EINPUT, "%s: preemption rule vllm is not supported with batching "
                             "sarathi (use needed or auto)", where);
    *out = kv_preempt;
    return 0;
}
