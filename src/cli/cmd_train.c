/* `torta-sim train`: trains a layer's policy over simulation episodes and writes it as JSON, with
 * a learning curve. Episode k runs the given workload with seed + k (other origins, other
 * synthetic arrivals), all episodes sharing one learner per layer. --layer macro (the default)
 * trains the macro scheduler's PPO policy, --layer micro the `torta-rl` server allocator, --layer
 * both the two at once (--policy-out: macro, --micro-policy-out: micro). Same command, same
 * files. With scheduler.macro_params.rl.episodes_per_update = K >= 2 (macro layer), training
 * goes by iterations of K episodes that share one policy, run by --jobs worker processes
 * (train_pool.c) and combined in episode order: the same files for any --jobs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmds.h"
#include "cli/eta.h"
#include "cli/many.h"
#include "cli/opt_error.h"
#include "cli/run_args.h"
#include "metrics/outdir.h"
#include "cli/train_pool.h"
#include "sched/macro/torta_macro.h"
#include "sched/micro/torta_rl_micro.h"
#include "torta/config.h"
#include "torta/policy_io.h"

enum { O_POLICY_OUT = 1, O_EPISODES, O_CURVE_OUT, O_LAYER, O_MICRO_POLICY_OUT, O_JOBS, O_HELP };

static const char *const RL_MACROS[] = {"torta", "torta-no-forecast", "torta-no-smooth", "rl-only", NULL};

static double num(const cJSON *s, const char *a, const char *b, const char *c)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    if (c)
        v = cJSON_GetObjectItemCaseSensitive(v, c);
    return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

static int save_policy(torta_macro_learner *l, const char *macro, long episodes, uint64_t seed,
                       long per_update, const char *path, torta_err *e)
{
    torta_policy *p = torta_ppo_policy(l->ppo);
    int rc = torta_policy_set_fingerprint(p, l->fingerprint, e);
    if (!rc)
        rc = torta_policy_set_features(p, l->n_features, (const char *const *)l->feature_names, e);
    cJSON *extra = cJSON_CreateObject();
    if (!extra)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    cJSON_AddStringToObject(extra, "layer", "macro");
    cJSON_AddStringToObject(extra, "scheduler", macro);
    cJSON_AddNumberToObject(extra, "episodes", (double)episodes);
    cJSON_AddItemToObject(extra, "seed", torta_seed_json(seed));
    if (per_update > 1) /* (absent: one, as in files written before the option) */
        cJSON_AddNumberToObject(extra, "episodes_per_update", (double)per_update);
    if (!rc)
        rc = torta_policy_set_extra(p, extra, e);
    cJSON_Delete(extra);
    if (!rc)
        rc = torta_policy_save(p, path, e);
    return rc;
}

/* One episode's figures: its learning-curve row and progress line. */
typedef struct episode_row {
    double reward, e2e, p95, cost, sd, switches, micro_reward, agree;
    long steps, micro_steps;
} episode_row;

/* What every episode shares: the configuration and the layers' learners. */
typedef struct trainer {
    run_args *a;
    torta_macro_learner *l;
    torta_micro_learner *ml;
    uint64_t seed0;
    long episodes;
    int do_macro, do_micro;
    FILE *curve;
    double t0; /* wall clock at the start, for the progress lines */
} trainer;

/* Runs episode ep (seed seed0 + ep) with the learners; 0 or an exit status (error printed). */
static int run_episode(trainer *t, long ep, episode_row *row)
{
    cJSON_ReplaceItemInObjectCaseSensitive(t->a->config, "seed", torta_seed_json(t->seed0 + (uint64_t)ep));
    t->l->episode_reward = 0;
    t->l->episode_steps = 0;
    t->ml->episode_reward = 0;
    t->ml->episode_steps = 0;
    t->ml->episode_agree = 0;
    cJSON *s = NULL;
    torta_err e = {0};
    /* Episodes run the same inputs, so their warnings (context lengths, profile ranges) are the
     * first episode's again: printed once. */
    t->a->ro.warn = ep == 0 ? cli_print_warning : NULL;
    if (torta_run(&t->a->ro, &s, &e))
        return cli_fail(&e);
    memset(row, 0, sizeof *row);
    row->e2e = num(s, "latency_s", "e2e", "mean");
    row->p95 = num(s, "latency_s", "e2e", "p95");
    row->cost = num(s, "cost_usd", "total", NULL);
    row->sd = num(s, "load_balance", "region_load_std", NULL);
    row->switches = num(s, "switches", NULL, NULL);
    row->reward = t->l->episode_reward;
    row->steps = t->l->episode_steps;
    row->micro_reward = t->ml->episode_reward;
    row->micro_steps = t->ml->episode_steps;
    row->agree = t->ml->episode_steps > 0 ? (double)t->ml->episode_agree / t->ml->episode_steps : 0.0;
    cJSON_Delete(s);
    return 0;
}

/* The curve row and progress line of a finished episode. */
static void report_episode(const trainer *t, long ep, const episode_row *r)
{
    if (t->curve) {
        fprintf(t->curve, "%ld,%llu,%.6f,%ld,%.6f,%.6f,%.6f,%.6f", ep,
                (unsigned long long)(t->seed0 + (uint64_t)ep), r->reward,
                r->steps, r->e2e, r->p95, r->cost, r->sd);
        if (t->do_micro)
            fprintf(t->curve, ",%.6f,%ld,%.6f,%.0f", r->micro_reward, r->micro_steps, r->agree,
                    r->switches);
        fputc('\n', t->curve);
    }
    if (t->a->quiet)
        return;
    double wall = cli_wall_s() - t->t0;
    char eta[64];
    cli_eta(eta, sizeof eta, wall, ep + 1, t->episodes);
    if (t->do_macro)
        fprintf(stderr, "[train] episode %ld/%ld  reward %.4f  e2e %.3f s  cost %.2f USD  load std %.4f"
                        "  (%.2f s/episode%s)\n", ep + 1, t->episodes, r->reward, r->e2e, r->cost, r->sd,
                wall / (ep + 1), eta);
    if (t->do_micro)
        fprintf(stderr, "[train] episode %ld/%ld  micro reward %.4f  agree %.3f  e2e %.3f s  "
                        "switches %.0f  (%.2f s/episode%s)\n", ep + 1, t->episodes, r->micro_reward,
                r->agree, r->e2e, r->switches, wall / (ep + 1), eta);
}

/* rl.episodes_per_update as the configuration gives it (1 when absent); the learner checks it. */
static long episodes_per_update(const cJSON *config)
{
    const cJSON *k = torta_config_at(config, "scheduler.macro_params.rl.episodes_per_update");
    return cJSON_IsNumber(k) && k->valuedouble >= 1 && k->valuedouble <= 1 << 20 ? (long)k->valuedouble : 1;
}

/* A batched episode, in a worker or in this process: its row, then its rollout. */
static int batched_episode(void *ctx, long ep, train_blob *out)
{
    trainer *t = ctx;
    episode_row row;
    double *rollout = NULL;
    size_t n = 0;
    torta_err e = {0};
    int rc = run_episode(t, ep, &row);
    if (!rc && torta_macro_learner_take(t->l, &rollout, &n, &e))
        rc = cli_fail(&e);
    if (!rc && (train_blob_add(out, &row, sizeof row) || train_blob_add(out, rollout, n * sizeof *rollout)))
        rc = 1, fprintf(stderr, "torta-sim: error: out of memory\n");
    free(rollout);
    return rc;
}

/* Iterations of K episodes with one policy, run by `jobs` workers, then combined in episode
 * order and one PPO update. The very first episode runs here, ahead of the first iteration's K
 * (whose update it joins): it creates the learner (and, for the OT-supervised variants, is the
 * behaviour-cloning episode, which adds no transitions). So 1 + I K episodes make I iterations
 * of K parallel episodes. An interrupted iteration is dropped whole. Returns 0 or an exit
 * status; *done counts the episodes trained on. */
static int train_batched(trainer *t, long K, int jobs, long *done)
{
    volatile int *stop = cli_stop_flag();
    train_blob *blobs = calloc((size_t)K + 1, sizeof *blobs);
    int rc = blobs ? 0 : 1;
    torta_err e = {0};
    for (long first = 0, n = 0; !rc && first < t->episodes && !*stop; first += n) {
        long here = 0;
        if (!t->l->ppo) {
            rc = batched_episode(t, first, &blobs[0]);
            here = 1;
        }
        n = t->episodes - first < K + here ? t->episodes - first : K + here;
        if (!rc)
            rc = train_pool_run(first + here, n - here, jobs, batched_episode, t, blobs + here, stop);
        for (long i = 0; !rc && i < n; i++) {
            episode_row row;
            if (blobs[i].len < sizeof row) {
                rc = 1, fprintf(stderr, "torta-sim: error: episode %ld reported nothing\n", first + i);
                break;
            }
            memcpy(&row, blobs[i].data, sizeof row);
            const char *rollout = blobs[i].data + sizeof row;
            size_t nd = (blobs[i].len - sizeof row) / sizeof(double);
            double *aligned = malloc(nd ? nd * sizeof *aligned : 1);
            if (!aligned) {
                rc = 1, fprintf(stderr, "torta-sim: error: out of memory\n");
                break;
            }
            memcpy(aligned, rollout, nd * sizeof *aligned);
            if (torta_macro_learner_give(t->l, aligned, nd, &e))
                rc = cli_fail(&e);
            free(aligned);
            if (!rc)
                report_episode(t, first + i, &row);
        }
        if (!rc && torta_macro_learner_update(t->l, &e))
            rc = cli_fail(&e);
        if (!rc)
            *done += n;
        for (long i = 0; i <= K; i++)
            train_blob_free(&blobs[i]);
    }
    free(blobs);
    return rc == 130 && *stop ? 0 : rc; /* interrupted: the caller saves what was trained */
}

int cmd_train(int argc, char **argv)
{
    static const struct option extra[] = {
        {"policy-out", required_argument, 0, O_POLICY_OUT}, {"episodes", required_argument, 0, O_EPISODES},
        {"curve-out", required_argument, 0, O_CURVE_OUT},   {"layer", required_argument, 0, O_LAYER},
        {"micro-policy-out", required_argument, 0, O_MICRO_POLICY_OUT},
        {"jobs", required_argument, 0, O_JOBS},
        {"help", no_argument, 0, O_HELP},                   {0, 0, 0, 0}};
    struct option *opts = run_options_with(extra);
    run_args a;
    run_args_init(&a, argc);
    const char *policy_out = NULL, *curve_out = NULL, *layer = "macro", *micro_out = NULL;
    long episodes = 50;
    int jobs = 1;
    int c, status = (!opts || !a.sets) ? 1 : 0;
    cli_opt_begin();
    while (!status && (c = getopt_long(argc, argv, CLI_OPTSTRING, opts, NULL)) != -1) {
        int h = run_args_option(&a, c, optarg);
        if (h < 0) {
            status = 2;
        } else if (h == 0) {
            char *end;
            switch (c) {
            case O_POLICY_OUT: policy_out = optarg; break;
            case O_CURVE_OUT: curve_out = optarg; break;
            case O_LAYER: layer = optarg; break;
            case O_MICRO_POLICY_OUT: micro_out = optarg; break;
            case O_JOBS:
                if (cli_parse_count("jobs", optarg, 1, 4096, &jobs))
                    status = 2;
                break;
            case O_EPISODES:
                episodes = strtol(optarg, &end, 10);
                if (*optarg == '\0' || *end != '\0' || episodes < 1 || episodes > 10000000) {
                    fprintf(stderr, "torta-sim: error: --episodes %s: expected a whole number >= 1\n", optarg);
                    status = 2;
                }
                break;
            case O_HELP:
                printf("usage: torta-sim train --topology FILE (--trace FILE | --workload SPEC) "
                       "--policy-out FILE [--episodes N] [--curve-out CSV] [--layer macro|micro|both] "
                       "[--micro-policy-out FILE] [--jobs N] [run options]\n"
                       "--layer micro trains --micro torta-rl into --policy-out; --layer both also "
                       "needs --micro-policy-out\n"
                       "--jobs N runs the episodes of an iteration (--layer macro with "
                       "scheduler.macro_params.rl.episodes_per_update >= 2) in N worker processes; "
                       "the files do not depend on N\n"
                       "see torta-sim --help, docs/torta.md (macro) and docs/micro.md (micro)\n");
                status = -1;
                break;
            default: status = cli_bad_option("train", c, argv, opts); break;
            }
        }
    }
    if (!status && optind < argc) {
        fprintf(stderr, "torta-sim: error: unexpected argument '%s'\n", argv[optind]);
        status = 2;
    }
    if (!status && !policy_out) {
        fprintf(stderr, "torta-sim: error: train needs --policy-out FILE\n");
        status = 2;
    }
    int do_macro = strcmp(layer, "macro") == 0 || strcmp(layer, "both") == 0;
    int do_micro = strcmp(layer, "micro") == 0 || strcmp(layer, "both") == 0;
    if (!status && !do_macro && !do_micro) {
        fprintf(stderr, "torta-sim: error: --layer %s: expected macro, micro or both\n", layer);
        status = 2;
    }
    if (!status && do_macro && do_micro && !micro_out) {
        fprintf(stderr, "torta-sim: error: --layer both needs --micro-policy-out FILE (the micro "
                        "policy; --policy-out gets the macro one)\n");
        status = 2;
    }
    if (!status && micro_out && !(do_macro && do_micro)) {
        fprintf(stderr, "torta-sim: error: --micro-policy-out is for --layer both\n");
        status = 2;
    }
    if (!status && a.ro.out_dir) {
        fprintf(stderr, "torta-sim: error: train writes --policy-out and --curve-out, not --out\n");
        status = 2;
    }
    if (!status)
        status = run_args_finish(&a, "train");
    const char *macro = NULL;
    if (!status && do_micro &&
        strcmp(torta_config_at(a.config, "scheduler.micro")->valuestring, "torta-rl") != 0) {
        fprintf(stderr, "torta-sim: error: --micro %s has nothing to train (trainable: torta-rl)\n",
                torta_config_at(a.config, "scheduler.micro")->valuestring);
        status = 2;
    }
    if (!status) {
        macro = torta_config_at(a.config, "scheduler.macro")->valuestring;
        int ok = !do_macro;
        for (int i = 0; RL_MACROS[i]; i++)
            ok |= strcmp(macro, RL_MACROS[i]) == 0;
        if (!ok) {
            fprintf(stderr, "torta-sim: error: --macro %s has nothing to train (trainable: torta, "
                            "torta-no-forecast, torta-no-smooth, rl-only)\n", macro);
            status = 2;
        }
    }
    long K = status ? 1 : episodes_per_update(a.config);
    if (!status && K > 1 && do_micro) {
        fprintf(stderr, "torta-sim: error: scheduler.macro_params.rl.episodes_per_update is for "
                        "--layer macro (the micro learner updates within episodes)\n");
        status = 2;
    }
    if (!status && jobs > 1 && K < 2)
        fprintf(stderr, "torta-sim: note: --jobs %d runs nothing in parallel: each episode starts from "
                        "the policy the previous one updated; set "
                        "scheduler.macro_params.rl.episodes_per_update=K (K >= 2, --layer macro) for "
                        "iterations of K episodes with one policy (docs/torta.md)\n", jobs);
    uint64_t seed0 = 0;
    torta_err e = {0};
    /* Outputs checked now, not after hours of training. */
    if (!status && (torta_config_seed(a.config, &seed0, &e) ||
                    torta_outfile_check(policy_out, "--policy-out", a.ro.force, &e) ||
                    (micro_out && torta_outfile_check(micro_out, "--micro-policy-out", a.ro.force, &e)) ||
                    (curve_out && torta_outfile_check(curve_out, "--curve-out", a.ro.force, &e))))
        status = cli_fail(&e);
    if (status) {
        free(opts);
        run_args_free(&a);
        return status < 0 ? 0 : status;
    }

    torta_macro_learner l;
    memset(&l, 0, sizeof l);
    l.seed = seed0;
    torta_micro_learner ml;
    memset(&ml, 0, sizeof ml);
    ml.seed = seed0;
    if (do_macro)
        a.ro.macro_learner = &l;
    if (do_micro)
        a.ro.micro_learner = &ml;
    a.ro.progress = 0;
    volatile int *stop = cli_stop_flag();
    a.ro.stop_flag = stop;
    char curve_tmp[4200];
    FILE *curve = NULL;
    if (curve_out) {
        snprintf(curve_tmp, sizeof curve_tmp, "%s.tmp-%ld", curve_out, (long)getpid());
        if (!(curve = fopen(curve_tmp, "w")))
            status = 2, fprintf(stderr, "torta-sim: error: --curve-out %s: cannot write\n", curve_out);
        else
            fputs(do_micro ? "episode,seed,reward,steps,mean_e2e_s,p95_e2e_s,cost_usd,region_load_std,"
                             "micro_reward,micro_steps,micro_agree,switches\n"
                           : "episode,seed,reward,steps,mean_e2e_s,p95_e2e_s,cost_usd,region_load_std\n",
                  curve);
    }
    trainer t = {&a, &l, &ml, seed0, episodes, do_macro, do_micro, curve, cli_wall_s()};
    long done = 0;
    if (!status && K > 1) {
        status = train_batched(&t, K, jobs, &done);
    } else {
        for (long ep = 0; !status && ep < episodes && !*stop; ep++) {
            episode_row row;
            if ((status = run_episode(&t, ep, &row)) != 0)
                break;
            report_episode(&t, ep, &row);
            done++;
        }
    }
    if (!status && ((do_macro && !l.ppo) || (do_micro && !ml.ready))) {
        fprintf(stderr, "torta-sim: error: no episode ran; nothing to save\n");
        status = 1;
    }
    if (!status && do_macro && save_policy(&l, macro, done, seed0, K, policy_out, &e))
        status = cli_fail(&e);
    if (!status && do_micro &&
        torta_micro_learner_save(&ml, done, seed0, do_macro ? micro_out : policy_out, &e))
        status = cli_fail(&e);
    if (curve) {
        int bad = fclose(curve) != 0;
        if (!status && (bad || rename(curve_tmp, curve_out) != 0))
            status = 1, fprintf(stderr, "torta-sim: error: --curve-out %s: cannot write\n", curve_out);
        if (status)
            remove(curve_tmp);
    }
    if (!status && *stop) {
        fprintf(stderr, "torta-sim: interrupted after %ld episodes; policy saved\n", done);
        status = 130;
    }
    torta_macro_learner_free(&l);
    torta_micro_learner_free(&ml);
    free(opts);
    run_args_free(&a);
    return status;
}
