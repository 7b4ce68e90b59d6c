/* torta_policy: the saved unit of a learned scheduler (network, normaliser, log-std, critic,
 * metadata); allocation, metadata and the optimiser step. */
#include "torta/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *torta_policy_kind_name(torta_policy_kind k)
{
    switch (k) {
    case TORTA_POLICY_GAUSSIAN:
        return "gaussian";
    case TORTA_POLICY_SOFTMAX:
        return "softmax-candidates";
    }
    return NULL;
}

int torta_policy_init(torta_policy *p, torta_policy_kind kind, size_t n_sizes,
                      const size_t *sizes, torta_act hidden, torta_err *e)
{
    memset(p, 0, sizeof *p);
    if (!torta_policy_kind_name(kind))
        return torta_err_set(e, TORTA_EINPUT, "policy: unknown kind %d", (int)kind);
    p->kind = kind;
    int rc = torta_mlp_init(&p->net, n_sizes, sizes, hidden, e);
    if (rc)
        return rc;
    size_t out = torta_mlp_out_dim(&p->net);
    if (kind == TORTA_POLICY_SOFTMAX && out != 1) {
        torta_policy_free(p);
        return torta_err_set(e, TORTA_EINPUT,
                             "policy: a softmax-candidates net must have 1 output, not %zu", out);
    }
    rc = torta_norm_init(&p->norm, torta_mlp_in_dim(&p->net), e);
    if (rc) {
        torta_policy_free(p);
        return rc;
    }
    if (kind == TORTA_POLICY_GAUSSIAN) {
        p->log_std = calloc(out, sizeof *p->log_std);
        p->log_std_grad = calloc(out, sizeof *p->log_std_grad);
        if (!p->log_std || !p->log_std_grad) {
            torta_policy_free(p);
            return torta_err_set(e, TORTA_ENOMEM, "policy: out of memory");
        }
    }
    return 0;
}

static void free_features(torta_policy *p)
{
    for (size_t i = 0; i < p->n_features; i++)
        free(p->feature_names[i]);
    free(p->feature_names);
    p->feature_names = NULL;
    p->n_features = 0;
}

void torta_policy_free(torta_policy *p)
{
    if (!p)
        return;
    torta_mlp_free(&p->net);
    torta_mlp_free(&p->critic);
    torta_norm_free(&p->norm);
    free(p->log_std);
    free(p->log_std_grad);
    free_features(p);
    free(p->fingerprint);
    cJSON_Delete(p->extra);
    memset(p, 0, sizeof *p);
}

int torta_policy_add_critic(torta_policy *p, size_t n_sizes, const size_t *sizes,
                            torta_act hidden, torta_err *e)
{
    if (n_sizes < 2 || sizes[0] != torta_mlp_in_dim(&p->net) || sizes[n_sizes - 1] != 1)
        return torta_err_set(e, TORTA_EINPUT,
                             "policy: a critic must map the net's %zu inputs to 1 output",
                             torta_mlp_in_dim(&p->net));
    if (p->has_critic)
        torta_mlp_free(&p->critic);
    p->has_critic = 0;
    int rc = torta_mlp_init(&p->critic, n_sizes, sizes, hidden, e);
    if (rc)
        return rc;
    p->has_critic = 1;
    return 0;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

int torta_policy_set_features(torta_policy *p, size_t n, const char *const *names, torta_err *e)
{
    if (n != torta_mlp_in_dim(&p->net))
        return torta_err_set(e, TORTA_EINPUT, "policy: %zu feature names for %zu inputs", n,
                             torta_mlp_in_dim(&p->net));
    free_features(p);
    p->feature_names = calloc(n, sizeof *p->feature_names);
    if (!p->feature_names)
        return torta_err_set(e, TORTA_ENOMEM, "policy: out of memory");
    p->n_features = n;
    for (size_t i = 0; i < n; i++) {
        p->feature_names[i] = dup_str(names[i]);
        if (!p->feature_names[i]) {
            free_features(p);
            return torta_err_set(e, TORTA_ENOMEM, "policy: out of memory");
        }
    }
    return 0;
}

int torta_policy_set_fingerprint(torta_policy *p, const char *fingerprint, torta_err *e)
{
    char *d = NULL;
    if (fingerprint && !(d = dup_str(fingerprint)))
        return torta_err_set(e, TORTA_ENOMEM, "policy: out of memory");
    free(p->fingerprint);
    p->fingerprint = d;
    return 0;
}

int torta_policy_set_extra(torta_policy *p, const cJSON *extra, torta_err *e)
{
    cJSON *d = NULL;
    if (extra) {
        if (!cJSON_IsObject(extra))
            return torta_err_set(e, TORTA_EINPUT, "policy: metadata must be a JSON object");
        if (!(d = cJSON_Duplicate(extra, 1)))
            return torta_err_set(e, TORTA_ENOMEM, "policy: out of memory");
    }
    cJSON_Delete(p->extra);
    p->extra = d;
    return 0;
}

/* Field k (0-based) of a fingerprint "topology/R<n>/H<h>/slot<s>/<hash>", or "" when absent. */
static void fp_field(const char *fp, int k, char *out, size_t n)
{
    for (; k > 0 && fp; k--)
        if ((fp = strchr(fp, '/')))
            fp++;
    size_t len = fp ? strcspn(fp, "/") : 0;
    snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), fp ? fp : "");
}

/* Says which setting a policy was trained for differs from this run, and the value to use. */
static int fingerprint_mismatch(const char *origin, const char *trained, const char *run, torta_err *e)
{
    static const char *const what[] = {
        "topology (network name)", "number of regions",
        "forecast horizon (scheduler.macro_params.forecast.horizon_slots = %s)",
        "slot length (run with --slot-s %s)",
        "regions' servers or latencies (region names, servers per region or path latencies)"};
    char a[128], b[128];
    /* Only the macro layer's "topology/R<n>/H<h>/slot<s>/<hash>" has these fields. */
    fp_field(trained, 3, a, sizeof a);
    fp_field(run, 3, b, sizeof b);
    int macro_shaped = strncmp(a, "slot", 4) == 0 && strncmp(b, "slot", 4) == 0;
    for (int k = 0; k < 5 && macro_shaped; k++) {
        fp_field(trained, k, a, sizeof a);
        fp_field(run, k, b, sizeof b);
        if (strcmp(a, b) == 0)
            continue;
        char hint[160];
        const char *value = k == 2 ? a + 1 : k == 3 ? a + 4 : "";
        snprintf(hint, sizeof hint, what[k], value);
        return torta_err_set(e, TORTA_EINPUT, "%s: the policy was trained with a different %s: '%s', this run "
                             "has '%s' (or train a policy for this configuration: configs/policies/COMMANDS.md)",
                             origin, hint, a, b);
    }
    return torta_err_set(e, TORTA_EINPUT, "%s: meta.fingerprint: policy was trained for '%s', this run "
                         "has '%s'", origin, trained, run);
}

int torta_policy_check(const torta_policy *p, const char *origin, const char *fingerprint,
                       size_t n_features, const char *const *names, torta_err *e)
{
    size_t in = torta_mlp_in_dim(&p->net);
    if (fingerprint && p->fingerprint && strcmp(fingerprint, p->fingerprint) != 0)
        return fingerprint_mismatch(origin, p->fingerprint, fingerprint, e);
    if (names) {
        if (n_features != in)
            return torta_err_set(e, TORTA_EINPUT,
                                 "%s: policy takes %zu features, the caller provides %zu (trained by an "
                                 "older torta-sim? see configs/policies/COMMANDS.md)", origin,
                                 in, n_features);
        if (p->n_features == in) {
            for (size_t i = 0; i < in; i++)
                if (strcmp(p->feature_names[i], names[i]) != 0)
                    return torta_err_set(e, TORTA_EINPUT,
                                         "%s: meta.features[%zu]: policy was trained with "
                                         "'%s', the caller provides '%s'",
                                         origin, i, p->feature_names[i], names[i]);
        }
    }
    return 0;
}

size_t torta_policy_groups(torta_policy *p, torta_param_group g[2])
{
    g[0] = (torta_param_group){p->net.params, p->net.grads, p->net.n_params};
    if (p->kind != TORTA_POLICY_GAUSSIAN)
        return 1;
    g[1] = (torta_param_group){p->log_std, p->log_std_grad, torta_mlp_out_dim(&p->net)};
    return 2;
}

int torta_policy_step(torta_policy *p, torta_adam *opt, double max_norm, double *norm,
                      torta_err *e)
{
    torta_param_group g[2];
    size_t k = torta_policy_groups(p, g);
    double nrm = torta_grad_clip(g, k, max_norm);
    if (norm)
        *norm = nrm;
    if (torta_adam_step(opt, g, k))
        return torta_err_set(e, TORTA_EINTERNAL,
                             "policy step: optimiser made for %zu parameters, policy has %zu",
                             opt->n, g[0].n + (k > 1 ? g[1].n : 0));
    torta_grad_zero(g, k);
    return 0;
}
