/* What the model-aware micro allocators (`affinity`, `torta-rl`) know about a candidate server
 * for one request (MODEL.md section 9): per-server, per-model service estimates and model load
 * times precomputed at init, the model each server will be serving when the request reaches the
 * head of its queue, the greedy score J with hysteresis, and the feature vector the learned
 * policy scores. Everything is sized at init: evaluating the candidates allocates nothing. */
#ifndef TORTA_MICRO_FEATURES_H
#define TORTA_MICRO_FEATURES_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "torta/err.h"
#include "torta/sched.h"

/* Greedy score parameters (scheduler.micro_params, all optional):
 *   J = wait + [model not resident] (load time + switch_penalty_s)
 *       + [model resident but not active] activate_penalty_s + service + beta_util x util,
 *   multiplied by theta when the server needs a model change and changed model less than hold_s
 *   ago (hysteresis: such a server wins only if it beats the others by a factor theta). */
typedef struct micro_params {
    double overlap;            /* share of the backlog a same-model request overlaps with: 0.8 */
    double switch_penalty_s;   /* cost charged to a model load for the requests behind it: 30 */
    double activate_penalty_s; /* changing the active model among resident ones (batch drain): 5 */
    double beta_util;          /* seconds per unit of last-slot utilisation: 1 */
    double theta;              /* hysteresis factor >= 1: 1.5 */
    double hold_s;             /* "switched recently": 60 */
} micro_params;

/* Parses the greedy keys of scheduler.micro_params; `extra` lists the caller's other keys
 * (NULL-terminated, may be NULL) so the key check accepts them. */
int micro_params_parse(const cJSON *params, const char *const *extra, micro_params *p,
                       torta_err *e);

#define MICRO_N_FEATURES 13
extern const char *const micro_feature_names[MICRO_N_FEATURES];

/* One candidate server for the request being placed. */
typedef struct micro_cand {
    int server;              /* global index */
    int match;               /* the request's model is the one the server will be serving */
    int resident;            /* the request's model is in memory (no load) */
    double wait_s, switch_s, service_s, score;
} micro_cand;

typedef struct micro_est {
    micro_params prm;
    const torta_view *v;
    int n_servers, n_models, max_region; /* max_region: most servers in one region */
    double *pre;             /* n_servers x n_models x 3: prefill p0, p1, p2 */
    double *tok_s;           /* n_servers x n_models: server-seconds per output token; 0 = cannot hold */
    double *load_s;          /* per model */
    int32_t *tail_model;     /* per server: model of the last request placed there (-1: none) */
    double *change_s;        /* per server: when a placement last changed its model (-inf) */
    micro_cand *cand;        /* max_region */
    double *feats;           /* max_region x MICRO_N_FEATURES */
    int n_cand;
} micro_est;

int micro_est_init(micro_est *m, const torta_view *v, const micro_params *p, torta_err *e);
void micro_est_free(micro_est *m);

/* Fills m->cand for the live servers of `region` (those that can hold the request's model, or
 * all of them when none can) with their score components and greedy score; returns the count
 * (0 when no server is alive). */
int micro_est_candidates(micro_est *m, const torta_request *r, int region);
/* Index (into m->cand) of the lowest greedy score, lowest server index on ties. */
int micro_est_best(const micro_est *m);
/* Fills m->feats (n_cand rows) from the last micro_est_candidates call. */
void micro_est_features(micro_est *m, const torta_request *r);
/* Records that r was placed on server s (tracks each server's queue-tail model). */
void micro_est_placed(micro_est *m, const torta_request *r, int s);

/* Identity of the feature layout and the model catalogue (names, weight and KV sizes), which
 * fix the meaning and scale of the features; not the topology, so one policy serves any region
 * size. */
void micro_fingerprint(const torta_view *v, char *out, size_t n);

#endif
