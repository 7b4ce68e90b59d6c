/* Context and profile limits: requests longer than their model's context (allowed with a
 * warning, rejected or truncated, per server.context_policy), and the share of requests served
 * outside the range their iteration-time profile was fitted on, reported once per run. */
#include <stdio.h>
#include <string.h>

#include "core/sim.h"
#include "torta/config.h"
#include "torta/json.h"

int torta_limits_parse(torta_sim *sim, const cJSON *cfg, torta_err *e)
{
    static const char *const names[] = {"allow", "reject", "truncate", NULL};
    const char *name;
    int rc = torta_json_str(torta_config_at(cfg, "server"), "context_policy", "server", 0, "allow", &name, e);
    if (rc)
        return rc;
    for (int i = 0; names[i]; i++)
        if (strcmp(name, names[i]) == 0) {
            sim->context_policy = i;
            return 0;
        }
    const char *s = torta_did_you_mean(name, names);
    return torta_err_set(e, TORTA_EINPUT, "server.context_policy: unknown policy \"%s\"%s%s%s (allow, "
                         "reject or truncate)", name, s ? " (did you mean \"" : "", s ? s : "", s ? "\"?)" : "");
}

int torta_limits_arrival(torta_sim *sim, torta_request *r)
{
    int64_t ctx = sim->catalog->models[r->model].context_tokens;
    if (ctx <= 0 || (int64_t)r->input_tokens + r->output_tokens <= ctx)
        return 0;
    sim->over_context++;
    if (sim->context_policy == TORTA_CONTEXT_REJECT)
        return 1;
    if (sim->context_policy == TORTA_CONTEXT_TRUNCATE) {
        /* Keep the output (a generation stops at the context's end) and the newest prompt
         * tokens; an output that alone fills the context leaves one prompt token. */
        if (r->output_tokens >= ctx)
            r->output_tokens = (int32_t)(ctx - 1);
        r->input_tokens = (int32_t)(ctx - r->output_tokens);
        sim->truncated++;
    }
    return 0;
}

void torta_limits_completed(torta_sim *sim, torta_request *r)
{
    if (sim->mode != TORTA_SERVICE_BATCHING || r->server < 0)
        return;
    const torta_perf *p = &sim->perf_sm[(size_t)r->server * sim->n_models + r->model];
    if (p->fit_max_prompt_tokens > 0 && r->input_tokens > p->fit_max_prompt_tokens)
        r->beyond_fit |= TORTA_BEYOND_FIT_PROMPT;
    if (p->fit_max_context_tokens > 0 && (int64_t)r->input_tokens + r->output_tokens > p->fit_max_context_tokens)
        r->beyond_fit |= TORTA_BEYOND_FIT_CONTEXT;
    for (int k = 0; k < 3; k++)
        sim->beyond_fit[k] += r->beyond_fit >> k & 1;
    sim->beyond_fit[3] += r->beyond_fit != 0;
}

void torta_limits_warn(const torta_sim *sim)
{
    if (!sim->warn || sim->arrived == 0)
        return;
    char msg[600];
    double n = (double)sim->arrived;
    if (sim->over_context > 0) {
        static const char *const what[] = {"served anyway (server.context_policy = allow)", "rejected",
                                           "truncated to fit"};
        snprintf(msg, sizeof msg, "%lld of %lld requests (%.3g%%) are longer (prompt + output) than "
                 "their model's context length (configs/models.json context_tokens): %s",
                 (long long)sim->over_context, (long long)sim->arrived, 100.0 * sim->over_context / n,
                 what[sim->context_policy]);
        sim->warn(sim->warn_ud, msg);
    }
    if (sim->beyond_fit[3] > 0 && sim->completed > 0) {
        double c = (double)sim->completed;
        snprintf(msg, sizeof msg, "%lld of %lld completed requests (%.3g%%) ran outside the range their "
                 "iteration-time profile was fitted on, so their times are extrapolated: prompt above "
                 "the fit's longest %.3g%%, prompt + output above its longest context %.3g%%, admitted "
                 "into a batch larger than its largest %.3g%% (docs/profiles.md)",
                 (long long)sim->beyond_fit[3], (long long)sim->completed, 100.0 * sim->beyond_fit[3] / c,
                 100.0 * sim->beyond_fit[0] / c, 100.0 * sim->beyond_fit[1] / c, 100.0 * sim->beyond_fit[2] / c);
        sim->warn(sim->warn_ud, msg);
    }
}
