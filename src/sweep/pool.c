/* Running points: each in a forked worker process (so a crash or a leak fails one point, never
 * the sweep), at most `jobs` at a time. A worker runs torta_run into OUT/<id> (written
 * atomically) and then point.json; its error message comes back through a pipe, its exit
 * status tells ok / input error / interrupted, and a signal death is reported as a crash. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "metrics/outdir.h"
#include "sweep/sweep.h"
#include "torta/config.h"
#include "torta/json.h"

enum { EXIT_INTERRUPTED = 130 };

static const char *const KEY_METRICS[TORTA_SWEEP_KEY_METRICS + 1] = {
    "requests.completed", "requests.rejected", "latency_s.ttft.mean", "latency_s.e2e.mean",
    "latency_s.e2e.p95", "cost_usd.total", "load_balance.region_load_std", NULL};

const char *const *torta_sweep_key_metrics(void)
{
    return KEY_METRICS;
}

const char *torta_point_status_name(int status)
{
    static const char *const names[] = {"pending", "ok", "cached", "failed", "interrupted"};
    return status >= 0 && status <= TORTA_PT_INTERRUPTED ? names[status] : "?";
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void point_dir(const char *out_dir, const torta_point *p, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", out_dir, p->id);
}

static int read_json(const char *dir, const char *name, cJSON **out)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (access(path, R_OK) != 0)
        return -1;
    return torta_json_read_file(path, out, NULL);
}

void torta_point_read_key(const torta_points *pl, int i, const char *out_dir, torta_point_result *r)
{
    char dir[4200];
    cJSON *s = NULL;
    point_dir(out_dir, &pl->p[i], dir, sizeof dir);
    read_json(dir, "summary.json", &s);
    for (int k = 0; k < TORTA_SWEEP_KEY_METRICS; k++) {
        const cJSON *v = s ? torta_config_at(s, KEY_METRICS[k]) : NULL;
        r->key[k] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    }
    cJSON_Delete(s);
}

/* Complete outputs of this very point: "complete": true, and point.json describes it. */
static int is_complete(const torta_points *pl, int i, const char *out_dir)
{
    char dir[4200];
    cJSON *s = NULL, *d = NULL;
    point_dir(out_dir, &pl->p[i], dir, sizeof dir);
    int ok = read_json(dir, "summary.json", &s) == 0 &&
             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "complete")) &&
             read_json(dir, "point.json", &d) == 0 && cJSON_Compare(d, pl->p[i].desc, 1);
    cJSON_Delete(s);
    cJSON_Delete(d);
    return ok;
}

/* Wall times of an earlier invocation: manifest.csv rows "point,status,wall_s,...". */
static void previous_wall(const torta_points *pl, const char *out_dir, torta_point_result *res)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.csv", out_dir);
    torta_csv t;
    if (torta_csv_read(path, &t, NULL) != 0)
        return;
    int cp = torta_csv_col(&t, "point"), cw = torta_csv_col(&t, "wall_s");
    for (int r = 0; cp >= 0 && cw >= 0 && r < t.n_rows; r++) {
        if (t.rows[r][cw][0] == '\0')
            continue;
        for (int i = 0; i < pl->n; i++) /* small sweeps; ids are unique */
            if (res[i].status == TORTA_PT_CACHED && strcmp(pl->p[i].id, t.rows[r][cp]) == 0)
                res[i].wall_s = strtod(t.rows[r][cw], NULL);
    }
    torta_csv_free(&t);
}

int torta_sweep_prepare(const torta_points *pl, const torta_sweep_opts *o, torta_point_result *res,
                        torta_err *e)
{
    int rc = torta_points_check_schedulers(pl, e); /* before anything is written */
    if (!rc)
        rc = torta_make_parents(o->out_dir, e);
    if (rc)
        return rc;
    if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST)
        return torta_err_set(e, TORTA_EINPUT, "--out %s: cannot create the folder: %s", o->out_dir,
                             strerror(errno));
    rc = torta_outdir_claim_shared(o->out_dir, e);
    if (rc)
        return rc;
    for (int i = 0; i < pl->n; i++) {
        memset(&res[i], 0, sizeof res[i]);
        res[i].wall_s = -1;
        res[i].status = !o->rerun_all && is_complete(pl, i, o->out_dir) ? TORTA_PT_CACHED : TORTA_PT_PENDING;
        torta_point_read_key(pl, i, o->out_dir, &res[i]);
    }
    previous_wall(pl, o->out_dir, res);
    return 0;
}

typedef struct warn_ctx {
    torta_warn_fn fn;
    void *ud;
    const char *id;
} warn_ctx;

static void warn_prefixed(void *ud, const char *msg)
{
    const warn_ctx *w = ud;
    char buf[1200];
    snprintf(buf, sizeof buf, "point %s: %s", w->id, msg);
    w->fn(w->ud, buf);
}

int torta_point_run(const torta_points *pl, int i, const char *out_dir, volatile int *stop_flag,
                    torta_warn_fn warn, void *warn_ud, torta_err *e)
{
    const torta_point *p = &pl->p[i];
    char dir[4200];
    point_dir(out_dir, p, dir, sizeof dir);
    cJSON *cfg = NULL, *sum = NULL;
    int rc = torta_config_build(pl->config_path, (const char *const *)p->sets, p->n_sets, &cfg, e);
    warn_ctx w = {warn, warn_ud, p->id};
    if (!rc) {
        torta_run_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.config = cfg;
        ro.topology_path = p->topology;
        ro.trace_path = p->trace;
        ro.workload_spec = p->workload;
        ro.trace = p->trace_opts;
        ro.out_dir = dir;
        ro.force = 1; /* an earlier, incomplete run of this point (only if torta-sim made it) */
        ro.extra_json_name = "point.json";
        ro.extra_json = p->desc;
        ro.stop_flag = stop_flag;
        ro.warn = warn ? warn_prefixed : NULL;
        ro.warn_ud = &w;
        rc = torta_run(&ro, &sum, e);
    }
    if (!rc && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sum, "complete")))
        rc = torta_err_set(e, TORTA_EINTERRUPTED, "interrupted");
    cJSON_Delete(cfg);
    cJSON_Delete(sum);
    return rc;
}

/* Leftovers of a worker killed mid-run: OUT/<id>.partial-<pid> of a dead pid (see
 * metrics/outdir.c, which removes only folders with torta-sim's marker). */
static void remove_partials(const char *out_dir, const char *id)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/%s", out_dir, id);
    torta_outdir_clean_stale(dir);
}

typedef struct worker {
    pid_t pid;
    int fd, idx;
    double t0;
} worker;

static int spawn(const torta_points *pl, int i, const torta_sweep_opts *o, worker *w, torta_err *e)
{
    int fds[2];
    remove_partials(o->out_dir, pl->p[i].id);
    if (pipe(fds) != 0)
        return torta_err_set(e, TORTA_EIO, "pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return torta_err_set(e, TORTA_EIO, "fork: %s", strerror(errno));
    }
    if (pid == 0) { /* the worker: run, report, leave without touching the parent's state */
        close(fds[0]);
        torta_err pe = {0};
        int rc = torta_point_run(pl, i, o->out_dir, o->stop_flag, o->warn, o->warn_ud, &pe);
        if (rc && o->stop_flag && *o->stop_flag) /* e.g. a read cut short by the signal */
            rc = TORTA_EINTERRUPTED;
        if (rc) {
            size_t len = strlen(pe.msg), off = 0;
            while (off < len) {
                ssize_t k = write(fds[1], pe.msg + off, len - off);
                if (k <= 0)
                    break;
                off += (size_t)k;
            }
        }
        fflush(stderr);
        _exit(rc == 0 ? 0 : rc == TORTA_EINTERRUPTED ? EXIT_INTERRUPTED : torta_err_exit_status(rc) + 2);
    }
    close(fds[1]);
    w->pid = pid;
    w->fd = fds[0];
    w->idx = i;
    w->t0 = now_s();
    return 0;
}

/* The worker w ended with wait status st: its result. */
static void collect(const torta_points *pl, const torta_sweep_opts *o, worker *w, int st,
                    torta_point_result *r)
{
    char msg[sizeof r->error];
    size_t len = 0;
    ssize_t k;
    while (len + 1 < sizeof msg && (k = read(w->fd, msg + len, sizeof msg - 1 - len)) > 0)
        len += (size_t)k;
    msg[len] = '\0';
    close(w->fd);
    r->wall_s = now_s() - w->t0;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        r->status = TORTA_PT_OK;
        r->error[0] = '\0';
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_INTERRUPTED) {
        r->status = TORTA_PT_INTERRUPTED;
        snprintf(r->error, sizeof r->error, "interrupted");
    } else if (WIFEXITED(st)) {
        r->status = TORTA_PT_FAILED;
        snprintf(r->error, sizeof r->error, "%s", len ? msg : "the worker exited with an error");
    } else {
        r->status = TORTA_PT_FAILED;
        int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
        snprintf(r->error, sizeof r->error, "crashed: killed by signal %d (%s)", sig, strsignal(sig));
    }
    torta_point_read_key(pl, w->idx, o->out_dir, r);
}

void torta_point_run_isolated(const torta_points *pl, int i, const torta_sweep_opts *o,
                              torta_point_result *r)
{
    worker w;
    torta_err e = {0};
    memset(r, 0, sizeof *r);
    r->wall_s = -1;
    if (spawn(pl, i, o, &w, &e)) {
        r->status = TORTA_PT_FAILED;
        snprintf(r->error, sizeof r->error, "%s", e.msg);
        return;
    }
    int st = 0, killed = 0;
    while (waitpid(w.pid, &st, 0) < 0) {
        if (errno != EINTR) {
            st = 0x7f00; /* unknowable: report as a failed exit */
            break;
        }
        if (o->stop_flag && *o->stop_flag && !killed++)
            kill(w.pid, SIGTERM);
    }
    collect(pl, o, &w, st, r);
}

int torta_sweep_run_local(const torta_points *pl, const torta_sweep_opts *o,
                          torta_point_result *res, torta_err *e)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int jobs = o->jobs > 0 ? o->jobs : cores > 0 ? (int)cores : 1;
    int n_todo = 0, n_done = 0, running = 0, next = 0, rc = 0, stopping = 0;
    for (int i = 0; i < pl->n; i++)
        n_todo += res[i].status != TORTA_PT_CACHED;
    worker *w = calloc((size_t)jobs, sizeof *w);
    if (!w)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    for (int k = 0; k < jobs; k++)
        w[k].pid = -1;
    while (1) {
        if (!stopping && o->stop_flag && *o->stop_flag) { /* stop: launch nothing, interrupt the running */
            stopping = 1;
            for (int k = 0; k < jobs; k++)
                if (w[k].pid > 0)
                    kill(w[k].pid, SIGTERM);
        }
        while (!rc && !stopping && running < jobs && next < pl->n) {
            if (res[next].status == TORTA_PT_CACHED) {
                next++;
                continue;
            }
            int k = 0;
            while (w[k].pid > 0)
                k++;
            rc = spawn(pl, next, o, &w[k], e);
            if (!rc) {
                running++;
                next++;
            }
        }
        if (running == 0)
            break;
        int st;
        pid_t pid = waitpid(-1, &st, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            rc = torta_err_set(e, TORTA_EINTERNAL, "waitpid: %s", strerror(errno));
            break;
        }
        for (int k = 0; k < jobs; k++)
            if (w[k].pid == pid) {
                collect(pl, o, &w[k], st, &res[w[k].idx]);
                w[k].pid = -1;
                running--;
                n_done++;
                if (o->progress)
                    o->progress(o->progress_ud, pl, w[k].idx, &res[w[k].idx], n_done, n_todo);
            }
    }
    free(w);
    return rc;
}
