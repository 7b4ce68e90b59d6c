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
