/* TORTA's RL part: the state the policy sees, its action, the per-slot reward, and the PPO
 * learner used by `torta-sim train`. The action has two parts: on routing, log-multipliers on
 * each region's spare capacity before the OT solve, so every action is still a feasible plan (or,
 * for rl-only, the routing matrix itself); on capacity, log-multipliers on the demand each
 * region's capacity plan provisions for (torta_capacity.c), so the policy can buy ahead of the
 * forecast or below it. Action 0 reproduces the forecast + OT plan.
 *
 * OT supervision (our reconstruction): the one-slot OT plan corresponds to multipliers of 1
 * (action 0). Training starts by cloning that plan (behaviour cloning during the first episode,
 * which also fits the observation normaliser) and keeps an auxiliary term pulling the action
 * towards 0 (weight rl.ot_supervision), so the policy departs from OT only where it pays. */
#include <ctype.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sched/macro/torta_macro.h"
#include "base/datadir.h"
#include "torta/json.h"
#include "torta/policy_io.h"
#include "torta/rng.h"

#define TWO_PI 6.283185307179586
#define N_BASE_FEATURES 12 /* per region, besides the horizon forecasts */

static const char *const RL_KEYS[] = {"hidden", "horizon_steps", "epochs", "minibatch", "lr",
                                      "gamma", "lambda", "clip", "ent_coef", "ot_supervision",
                                      "action_clip", "init_log_std", "action",
                                      "episodes_per_update", NULL};
static const char *const REWARD_KEYS[] = {"alpha", "beta", "gamma", "eta", "slo", "churn",
                                          "latency_ref_s", "cost_ref_usd_per_server_h",
                                          "slo_ttft_s", "slo_e2e_s", NULL};

static int parse_reward(const cJSON *r, torta_reward_cfg *c, torta_err *e)
{
    const char *w = "scheduler.macro_params.reward";
    int rc = r ? torta_json_check_keys(r, w, REWARD_KEYS, e) : 0;
    if (!rc) rc = torta_json_num(r, "alpha", w, 0, 1e6, 0, 1.0, &c->alpha, e);
    if (!rc) rc = torta_json_num(r, "beta", w, 0, 1e6, 0, 1.0, &c->beta, e);
    if (!rc) rc = torta_json_num(r, "gamma", w, 0, 1e6, 0, 1.0, &c->gamma, e);
    if (!rc) rc = torta_json_num(r, "eta", w, 0, 1e6, 0, 0.1, &c->eta, e);
    if (!rc) rc = torta_json_num(r, "slo", w, 0, 1e6, 0, 1.0, &c->slo, e);
    if (!rc) rc = torta_json_num(r, "churn", w, 0, 1e6, 0, 0.1, &c->churn, e);
    if (!rc) rc = torta_json_num(r, "slo_ttft_s", w, 1e-6, 1e6, 0, 5.0, &c->slo_ttft_s, e);
    if (!rc) rc = torta_json_num(r, "slo_e2e_s", w, 1e-6, 1e6, 0, 60.0, &c->slo_e2e_s, e);
    if (!rc) rc = torta_json_num(r, "latency_ref_s", w, 1e-6, 1e6, 0, 10.0, &c->latency_ref_s, e);
    if (!rc)
        rc = torta_json_num(r, "cost_ref_usd_per_server_h", w, 1e-9, 1e6, 0, 25.0,
                            &c->cost_ref_usd_per_server_h, e);
    return rc;
}

static int parse_ppo(const cJSON *r, torta_ppo_cfg *c, double *ot_sup, double *clip, long *per_update,
                     torta_err *e)
{
    const char *w = "scheduler.macro_params.rl";
    int rc = r ? torta_json_check_keys(r, w, RL_KEYS, e) : 0;
    long hidden = 64, horizon = 1024, epochs = 10, mb = 64;
    if (!rc) rc = torta_json_int(r, "episodes_per_update", w, 1, 1 << 20, 0, 1, per_update, e);
    if (!rc) rc = torta_json_int(r, "hidden", w, 1, 4096, 0, hidden, &hidden, e);
    if (!rc) rc = torta_json_int(r, "horizon_steps", w, 8, 1 << 22, 0, horizon, &horizon, e);
    if (!rc) rc = torta_json_int(r, "epochs", w, 1, 1000, 0, epochs, &epochs, e);
    if (!rc) rc = torta_json_int(r, "minibatch", w, 1, 1 << 20, 0, mb, &mb, e);
    if (!rc) rc = torta_json_num(r, "lr", w, 1e-9, 1, 0, 3e-4, &c->lr_actor, e);
    if (!rc) rc = torta_json_num(r, "gamma", w, 0, 1, 0, 0.95, &c->gamma, e);
    if (!rc) rc = torta_json_num(r, "lambda", w, 0, 1, 0, 0.95, &c->lambda, e);
    if (!rc) rc = torta_json_num(r, "clip", w, 1e-3, 1, 0, 0.2, &c->clip, e);
    if (!rc) rc = torta_json_num(r, "ent_coef", w, 0, 10, 0, 0.0, &c->ent_coef, e);
    if (!rc) rc = torta_json_num(r, "ot_supervision", w, 0, 1e3, 0, 0.1, &c->bc_coef, e);
    if (!rc) rc = torta_json_num(r, "action_clip", w, 0.01, 10, 0, 2.0, clip, e);
    if (!rc) rc = torta_json_num(r, "init_log_std", w, -10, 2, 0, -1.0, &c->init_log_std, e);
    if (rc)
        return rc;
    c->lr_critic = c->lr_actor * 3;
    c->n_hidden = 2;
    c->hidden[0] = c->hidden[1] = (size_t)hidden;
    c->horizon = (size_t)horizon;
    c->epochs = (size_t)epochs;
    c->minibatch = (size_t)mb;
    *ot_sup = c->bc_coef;
    return 0;
}

/* Topology identity the policy is tied to: region names, order and latencies. */
static void fingerprint(const torta_sched_env *env, int horizon, char *out, size_t n)
{
    const torta_view *v = env->view;
    uint64_t h = TORTA_FNV_OFFSET;
    for (int g = 0; g < v->n_regions; g++) {
        h = torta_fnv1a(h, v->regions[g].name, strlen(v->regions[g].name) + 1);
        h = torta_fnv1a(h, &v->regions[g].n_servers, sizeof v->regions[g].n_servers);
    }
    h = torta_fnv1a(h, v->latency_s, sizeof(double) * (size_t)v->n_regions * v->n_regions);
    snprintf(out, n, "%s/R%d/H%d/slot%g/%016llx", env->topology_name ? env->topology_name : "?",
             v->n_regions, horizon, v->slot_s, (unsigned long long)h);
}

static const char *const BASE_NAMES[N_BASE_FEATURES] = {
    "last_demand", "backlog", "util",        "alive",     "hour_sin",   "hour_cos",
    "price",       "local_share", "load", "od_on", "od_starting", "planned_load"};

static char **feature_names(int n, int H)
{
    size_t per = (size_t)H + N_BASE_FEATURES, k = 0;
    char **names = calloc((size_t)n * per + 1, sizeof *names);
    for (int g = 0; names && g < n; g++) {
        for (int h = 0; h < H; h++) {
            char buf[64];
            snprintf(buf, sizeof buf, "r%d.forecast_h%d", g, h + 1);
            names[k++] = strdup(buf);
        }
        for (int f = 0; f < N_BASE_FEATURES; f++) {
            char buf[64];
            snprintf(buf, sizeof buf, "r%d.%s", g, BASE_NAMES[f]);
            names[k++] = strdup(buf);
        }
    }
    for (size_t i = 0; names && i < k; i++)
        if (!names[i]) {
            for (size_t j = 0; j < k; j++)
                free(names[j]);
            free(names);
            return NULL;
        }
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* configs/policies/<topology>.<variant>.json among the shipped data (base/datadir.h), or in
 * $TORTA_POLICY_DIR; characters of the topology name other than letters, digits, '.', '_' and
 * '-' become '-'. */
static int default_policy_path(const char *topology, const char *variant, char *out, size_t n)
{
    const char *env = getenv("TORTA_POLICY_DIR");
    char stem[256], dir[4096];
    size_t k = 0;
    for (const char *c = topology; *c && k + 1 < sizeof stem; c++)
        stem[k++] = (isalnum((unsigned char)*c) || *c == '.' || *c == '_' || *c == '-') ? *c : '-';
    stem[k] = '\0';
    if (env)
        snprintf(dir, sizeof dir, "%.2000s", env);
    else
        torta_data_path("configs/policies", dir, sizeof dir); /* when missing, the caller names it */
    snprintf(out, n, "%.3000s/%s.%.64s.json", dir, stem, variant);
    return 0;
}

/* Loads the policy at `path` into t and checks that it fits this run. */
static int load_policy(torta_macro *t, const char *path, const char *const *names, size_t n_names,
                       torta_err *e)
{
    int rc = torta_policy_load(path, &t->policy, e);
    if (rc)
        return rc;
    size_t out = torta_mlp_out_dim(&t->policy.net), cap = t->act_dim - t->route_dim;
    /* A policy with one routing output is a "shared" one, whatever rl.action says. */
    int shared = t->shared_action || (!t->var.rl_only && t->n > 1 && out == 1 + cap / (size_t)t->n);
    size_t route = shared ? 1 : t->route_dim, need = route + (shared ? (cap > 0) : cap);
    rc = torta_policy_check(&t->policy, path, t->fingerprint, n_names, names, e);
    if (!rc && out != need)
        rc = torta_err_set(e, TORTA_EINPUT, "%s: policy has %zu actions, %s needs %zu (trained "
                           "for another variant?)", path, out, t->var.name, need);
    if (rc) {
        torta_policy_free(&t->policy);
        return rc;
    }
    t->shared_action = shared;
    t->route_dim = route;
    t->act_dim = need;
    t->have_policy = 1;
    return 0;
}

/* The shipped policies of a topology and variant: <stem>.<variant>.json, trained with the default
 * settings, and <stem>.<variant>.<tag>.json, trained for other settings (an experiment's servers
 * and slot length); the first that fits the run is used. When none does, the error is the
 * default one's, which names the setting that differs and the value it was trained with. */
static int load_shipped_policy(torta_macro *t, const torta_sched_env *env, const char *const *names,
                               size_t n_names, torta_err *e)
{
    const char *topo = env->topology_name ? env->topology_name : "?";
    char main_path[4096], pattern[4200];
    default_policy_path(topo, t->var.name, main_path, sizeof main_path);
    snprintf(pattern, sizeof pattern, "%.*s.*.json", (int)(strlen(main_path) - 5), main_path);
    glob_t g = {0};
    int found = glob(pattern, 0, NULL, &g) == 0 ? (int)g.gl_pathc : 0, rc = TORTA_EINPUT;
    torta_err first = {0};
    if (access(main_path, R_OK) == 0) {
        rc = load_policy(t, main_path, names, n_names, &first);
    } else if (!found) {
        globfree(&g);
        return torta_err_set(e, TORTA_EINPUT,
                             "%s needs a trained policy: none is shipped for topology \"%s\" "
                             "(looked for %s). Train one with `torta-sim train --topology ... "
                             "--policy-out FILE` and pass --set scheduler.macro_params.policy=FILE",
                             t->var.name, topo, main_path);
    }
    for (size_t k = 0; rc && k < (size_t)found; k++) {
        torta_err other = {0};
        rc = load_policy(t, g.gl_pathv[k], names, n_names, first.code ? &other : &first);
    }
    globfree(&g);
    if (rc) {
        *e = first;
        if (found)
            torta_err_prefix(e, "none of the %d shipped %s policies for %s fits this run; the first",
                             found + (access(main_path, R_OK) == 0), t->var.name, topo);
    }
    return rc;
}

/* rl.action: "per-region" (a log-multiplier per region) or "shared" (one for all regions: the
 * common mode, the one direction that helps on a network of identical regions; docs/torta.md). */
static int parse_action_kind(const cJSON *rl, int *shared, torta_err *e)
{
    const char *kind = "per-region";
    int rc = torta_json_str(rl, "action", "scheduler.macro_params.rl", 0, "per-region", &kind, e);
    if (rc)
        return rc;
    if (strcmp(kind, "per-region") != 0 && strcmp(kind, "shared") != 0)
        return torta_err_set(e, TORTA_EINPUT, "scheduler.macro_params.rl.action: unknown \"%s\" "
                             "(per-region or shared)", kind);
    *shared = strcmp(kind, "shared") == 0;
    return 0;
}

int torta_macro_rl_init(torta_macro *t, const torta_sched_env *env, const cJSON *params, torta_err *e)
{
    int n = t->n, H = t->horizon, rc;
    if ((rc = parse_action_kind(cJSON_GetObjectItemCaseSensitive(params, "rl"), &t->shared_action, e)))
        return rc;
    if (t->var.rl_only && t->shared_action)
        return torta_err_set(e, TORTA_EINPUT, "scheduler.macro_params.rl.action: \"shared\" is for "
                             "the multiplier variants, not rl-only");
    t->obs_dim = (size_t)n * (H + N_BASE_FEATURES);
    t->route_dim = t->var.rl_only ? (size_t)n * n : t->shared_action ? 1 : (size_t)n;
    t->act_dim = t->route_dim + (t->var.capacity ? (t->shared_action ? 1 : (size_t)n) : 0);
    t->obs = calloc(t->obs_dim, sizeof(double));
    t->action = calloc(t->act_dim, sizeof(double));
    t->mult = calloc((size_t)n, sizeof(double));
    if (!t->obs || !t->action || !t->mult)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    for (int j = 0; j < n; j++)
        t->mult[j] = 1.0;
    rc = parse_reward(cJSON_GetObjectItemCaseSensitive(params, "reward"), &t->rw, e);
    torta_ppo_cfg cfg;
    torta_ppo_cfg_default(&cfg, t->obs_dim, t->act_dim);
    double ot_sup;
    long per_update = 1;
    if (!rc)
        rc = parse_ppo(cJSON_GetObjectItemCaseSensitive(params, "rl"), &cfg, &ot_sup, &t->action_clip,
                       &per_update, e);
    if (rc)
        return rc;
    fingerprint(env, H, t->fingerprint, sizeof t->fingerprint);
    size_t n_names = t->obs_dim;

    if (env->learner) { /* training */
        torta_macro_learner *l = env->learner;
        t->learner = l;
        if (!l->ppo) {
            if (t->var.rl_only)
                cfg.bc_coef = 0; /* no OT plan to supervise towards */
            l->cfg = cfg;
            if ((rc = torta_ppo_create(&l->ppo, &cfg, l->seed, NULL, e)) != 0)
                return rc;
            l->bc_pending = !t->var.rl_only;
            l->episodes_per_update = per_update;
            l->fingerprint = strdup(t->fingerprint);
            l->feature_names = feature_names(n, H);
            l->n_features = n_names;
            if (!l->fingerprint || !l->feature_names)
                return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        } else if (strcmp(l->fingerprint, t->fingerprint) != 0) {
            return torta_err_set(e, TORTA_EINPUT, "training episodes must share one topology and "
                                 "slot length (%s vs %s)", l->fingerprint, t->fingerprint);
        }
        if (torta_macro_learner_batched(l)) { /* independent of the iteration's other episodes */
            torta_ppo_freeze(l->ppo, 1);
            return torta_ppo_reseed_act(l->ppo, env->seed, e);
        }
        return 0;
    }

    const char *path = NULL;
    if ((rc = torta_json_str(params, "policy", "scheduler.macro_params", 0, NULL, &path, e)) != 0)
        return rc;
    char **names = feature_names(n, H);
    if (!names)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    rc = path ? load_policy(t, path, (const char *const *)names, n_names, e)
              : load_shipped_policy(t, env, (const char *const *)names, n_names, e);
    free_names(names, n_names);
    if (!rc)
        rc = torta_mlp_ws_init(&t->ws, &t->policy.net, 1, e);
    return rc;
}

void torta_macro_learner_free(torta_macro_learner *l)
{
    if (!l)
        return;
    torta_ppo_destroy(l->ppo);
    free(l->bc_obs);
    free(l->raw_obs);
    free(l->fingerprint);
    free_names(l->feature_names, l->n_features);
    memset(l, 0, sizeof *l);
}

void torta_macro_rl_free(torta_macro *t)
{
    if (t->have_policy) {
        torta_mlp_ws_free(&t->ws);
        torta_policy_free(&t->policy);
    }
    free(t->obs);
    free(t->action);
    free(t->mult);
}

static void observe(torta_macro *t, const torta_view *v)
{
    int n = t->n, H = t->horizon;
    double pmax = 0;
    for (int j = 0; j < n; j++)
        pmax = fmax(pmax, v->regions[j].electricity_usd_per_kwh);
    double *o = t->obs;
    for (int j = 0; j < n; j++) {
        const torta_region_state *g = &v->regions[j];
        double cap = g->n_servers > 0 ? g->n_servers * v->slot_s : 1.0;
        for (int h = 0; h < H; h++)
            *o++ = t->fc_out[(size_t)j * H + h] / cap;
        *o++ = v->slot > 0 ? v->demand_hist[j] / cap : 0.0;
        *o++ = g->n_alive > 0 ? fmin(g->outstanding_work_s / (g->n_alive * v->slot_s), 10.0) : 10.0;
        *o++ = g->util_last_slot;
        *o++ = g->n_servers > 0 ? (double)g->n_alive / g->n_servers : 0.0;
        double hour = fmod(v->start_hour_utc + v->now_s / 3600.0 + g->tz_offset_h, 24.0);
        *o++ = sin(TWO_PI * hour / 24.0);
        *o++ = cos(TWO_PI * hour / 24.0);
        *o++ = pmax > 0 ? g->electricity_usd_per_kwh / pmax : 0.0;
        *o++ = t->plan.x[(size_t)j * n + j];
        int32_t pool = g->pool[TORTA_CLASS_ON_DEMAND];
        *o++ = fmin(g->load_last_slot, 10.0);
        *o++ = pool > 0 ? (double)(g->starting[TORTA_CLASS_ON_DEMAND] + g->active[TORTA_CLASS_ON_DEMAND]) / pool : 0.0;
        *o++ = pool > 0 ? (double)g->starting[TORTA_CLASS_ON_DEMAND] / pool : 0.0;
        *o++ = t->var.capacity ? fmin(t->cap.planned_load[j], 10.0) : 0.0; /* last slot's plan */
    }
}

/* Reward for the slot that just ended (docs/torta.md), from the ledger (each region's cost of
 * the slot, every component) and the requests completed in the slot. */
static double slot_reward(torta_macro *t, const torta_view *v)
{
    int n = t->n, servers = 0, pool = 0;
    double cost = 0, u = 0, u2 = 0;
    for (int j = 0; j < n; j++) {
        double load = fmin(v->regions[j].load_last_slot, 10.0);
        cost += v->regions[j].cost_usd_last_slot;
        servers += v->regions[j].n_servers;
        pool += v->regions[j].pool[TORTA_CLASS_ON_DEMAND];
        u += load;
        u2 += load * load;
    }
    double mean_u = u / n, sd = sqrt(fmax(0.0, u2 / n - mean_u * mean_u));
    double lat = t->lat_n > 0 ? t->lat_sum / (double)t->lat_n : 0.0;
    double missed = t->lat_n > 0 ? (double)t->slo_missed / (double)t->lat_n : 0.0;
    double cost_ref = servers * v->slot_s / 3600.0 * t->rw.cost_ref_usd_per_server_h;
    double churn = torta_plan_churn(n, t->x_prev, t->plan.x);
    double starts_stops = t->var.capacity && pool > 0 ? (double)t->cap.churn / pool : 0.0;
    t->lat_sum = 0;
    t->lat_n = t->slo_missed = 0;
    return -(t->rw.alpha * lat / t->rw.latency_ref_s + t->rw.beta * cost / cost_ref +
             t->rw.gamma * sd + t->rw.eta * churn + t->rw.slo * missed + t->rw.churn * starts_stops);
}

static double clipped_exp(const torta_macro *t, double a)
{
    return exp(fmax(-t->action_clip, fmin(t->action_clip, a)));
}

static void apply_action(torta_macro *t)
{
    int n = t->n;
    for (int j = 0; t->var.capacity && j < n; j++)
        t->cap.mult[j] = clipped_exp(t, t->action[t->route_dim + (t->shared_action ? 0 : (size_t)j)]);
    if (!t->var.rl_only) {
        for (int j = 0; j < n; j++)
            t->mult[j] = clipped_exp(t, t->action[t->shared_action ? 0 : j]);
        return;
    }
    for (int i = 0; i < n; i++) { /* softmax per origin row */
        const double *a = t->action + (size_t)i * n;
        double *x = t->x_new + (size_t)i * n, mx = a[0], s = 0;
        for (int j = 1; j < n; j++)
            mx = fmax(mx, a[j]);
        for (int j = 0; j < n; j++)
            s += (x[j] = exp(a[j] - mx));
        for (int j = 0; j < n; j++)
            x[j] /= s;
    }
}

/* Appends one observation to a growing array of them (n rows, room for cap). */
static int keep_obs(double **rows, size_t *n, size_t *cap, const double *obs, size_t dim)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 256;
        double *p = realloc(*rows, c * dim * sizeof(double));
        if (!p)
            return TORTA_ENOMEM;
        *rows = p;
        *cap = c;
    }
    memcpy(*rows + *n * dim, obs, dim * sizeof(double));
    (*n)++;
    return 0;
}

int torta_macro_rl_act(torta_macro *t, const torta_view *v, torta_err *e)
{
    observe(t, v);
    torta_macro_learner *l = t->learner;
    int rc = 0, batched = l && torta_macro_learner_batched(l);
    if (!l) {
        torta_policy_mean(&t->policy, &t->ws, t->obs, t->action);
        apply_action(t);
        return 0;
    }
    if (t->acted) {
        double r = slot_reward(t, v);
        l->episode_reward += r;
        l->episode_steps++;
        if (!l->bc_pending && (rc = torta_ppo_reward(l->ppo, r, 0, e)) != 0)
            return rc;
        if (!l->bc_pending && !batched && torta_ppo_full(l->ppo) &&
            (rc = torta_ppo_update(l->ppo, t->obs, NULL, e)) != 0)
            return rc;
    }
    t->acted = 1;
    if (l->bc_pending) { /* warm start: follow the OT plan and remember what was seen */
        memset(t->action, 0, t->act_dim * sizeof(double));
        apply_action(t);
        if (keep_obs(&l->bc_obs, &l->bc_n, &l->bc_cap, t->obs, t->obs_dim))
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        return 0;
    }
    if (batched && (keep_obs(&l->raw_obs, &l->raw_n, &l->raw_cap, t->obs, t->obs_dim) ||
                    torta_ppo_reserve(l->ppo, torta_ppo_size(l->ppo) + 1, e)))
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    if ((rc = torta_ppo_act(l->ppo, t->obs, t->action, e)) != 0)
        return rc;
    if (l->cfg.bc_coef > 0) {
        double *zero = calloc(t->act_dim, sizeof(double));
        if (!zero)
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        rc = torta_ppo_set_target(l->ppo, zero, e);
        free(zero);
        if (rc)
            return rc;
    }
    apply_action(t);
    return 0;
}

void torta_macro_rl_finish(torta_macro *t, const torta_view *v)
{
    torta_macro_learner *l = t->learner;
    torta_err e = {0};
    double r = slot_reward(t, v);
    l->episode_reward += r;
    l->episode_steps++;
    t->acted = 0;
    if (l->bc_pending) {
        double *zero = calloc(l->bc_n * t->act_dim, sizeof(double));
        double mse;
        if (zero && l->bc_n > 0)
            torta_ppo_bc(l->ppo, l->bc_n, l->bc_obs, zero, 20, &mse, &e);
        free(zero);
        l->bc_pending = 0;
        l->bc_n = 0;
        return;
    }
    torta_ppo_reward(l->ppo, r, 1, &e);
    if (!torta_macro_learner_batched(l) && torta_ppo_full(l->ppo))
        torta_ppo_update(l->ppo, NULL, NULL, &e);
}
