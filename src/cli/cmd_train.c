/* `torta-sim train`: trains a layer's policy over simulation episodes and writes it as JSON, with
 * a learning curve. Episode k runs the given workload with seed + k (other origins, other
 * synthetic arrivals), all episodes sharing one learner per layer. --layer macro (the default)
 * trains the macro scheduler's PPO policy, --layer micro the `torta-rl` server allocator, --layer
 * both the two at once (--policy-out: macro, --micro-policy-out: micro). Same command, same
 * files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmds.h"
#include "cli/eta.h"
#include "cli/run_args.h"
#include "metrics/outdir.h"
#include "sched/macro/torta_macro.h"
#include "sched/micro/torta_rl_micro.h"
#include "torta/config.h"
#include "torta/policy_io.h"

enum { O_POLICY_OUT = 1, O_EPISODES, O_CURVE_OUT, O_LAYER, O_MICRO_POLICY_OUT, O_HELP };

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
                       const char *path, torta_err *e)
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
    if (!rc)
        rc = torta_policy_set_extra(p, extra, e);
    cJSON_Delete(extra);
    if (!rc)
        rc = torta_policy_save(p, path, e);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    static const struct option extra[] = {
        {"policy-out", required_argument, 0, O_POLICY_OUT}, {"episodes", required_argument, 0, O_EPISODES},
        {"curve-out", required_argument, 0, O_CURVE_OUT},   {"layer", required_argument, 0, O_LAYER},
        {"micro-policy-out", required_argument, 0, O_MICRO_POLICY_OUT},
        {"help", no_argument, 0, O_HELP},                   {0, 0, 0, 0}};
    struct option *opts = run_options_with(extra);
    run_args a;
    run_args_init(&a, argc);
    const char *policy_out = NULL, *curve_out = NULL, *layer = "macro", *micro_out = NULL;
    long episodes = 50;
    int c, status = (!opts || !a.sets) ? 1 : 0;
    optind = 1;
    while (!status && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
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
                       "[--micro-policy-out FILE] [run options]\n"
                       "--layer micro trains --micro torta-rl into --policy-out; --layer both also "
                       "needs --micro-policy-out\n"
                       "see torta-sim --help, docs/torta.md (macro) and docs/micro.md (micro)\n");
                status = -1;
                break;
            default: status = 2; break;
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
    long done = 0;
    double t0 = cli_wall_s();
    for (long ep = 0; !status && ep < episodes && !*stop; ep++) {
        cJSON_ReplaceItemInObjectCaseSensitive(a.config, "seed", torta_seed_json(seed0 + (uint64_t)ep));
        l.episode_reward = 0;
        l.episode_steps = 0;
        ml.episode_reward = 0;
        ml.episode_steps = 0;
        ml.episode_agree = 0;
        cJSON *s = NULL;
        if (torta_run(&a.ro, &s, &e)) {
            status = cli_fail(&e);
            break;
        }
        double e2e = num(s, "latency_s", "e2e", "mean"), p95 = num(s, "latency_s", "e2e", "p95");
        double cost = num(s, "cost_usd", "total", NULL), sd = num(s, "load_balance", "region_load_std", NULL);
        double switches = num(s, "switches", NULL, NULL);
        double agree = ml.episode_steps > 0 ? (double)ml.episode_agree / ml.episode_steps : 0.0;
        if (curve) {
            fprintf(curve, "%ld,%llu,%.6f,%d,%.6f,%.6f,%.6f,%.6f", ep,
                    (unsigned long long)(seed0 + (uint64_t)ep), l.episode_reward,
                    l.episode_steps, e2e, p95, cost, sd);
            if (do_micro)
                fprintf(curve, ",%.6f,%ld,%.6f,%.0f", ml.episode_reward, ml.episode_steps, agree, switches);
            fputc('\n', curve);
        }
        double wall = cli_wall_s() - t0;
        char eta[64];
        cli_eta(eta, sizeof eta, wall, ep + 1, episodes);
        if (!a.quiet && do_macro)
            fprintf(stderr, "[train] episode %ld/%ld  reward %.4f  e2e %.3f s  cost %.2f USD  load std %.4f"
                            "  (%.2f s/episode%s)\n", ep + 1, episodes, l.episode_reward, e2e, cost, sd,
                    wall / (ep + 1), eta);
        if (!a.quiet && do_micro)
            fprintf(stderr, "[train] episode %ld/%ld  micro reward %.4f  agree %.3f  e2e %.3f s  "
                            "switches %.0f  (%.2f s/episode%s)\n", ep + 1, episodes, ml.episode_reward,
                    agree, e2e, switches, wall / (ep + 1), eta);
        cJSON_Delete(s);
        done++;
    }
    if (!status && ((do_macro && !l.ppo) || (do_micro && !ml.ready))) {
        fprintf(stderr, "torta-sim: error: no episode ran; nothing to save\n");
        status = 1;
    }
    if (!status && do_macro && save_policy(&l, macro, done, seed0, policy_out, &e))
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
