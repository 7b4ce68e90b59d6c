/* Sweep specs: a JSON file naming lists or ranges of topologies, workloads, schedulers, seeds
 * and configuration keys, expanded into the grid of points (format in docs/sweeps.md). Paths
 * are used as written (relative to the folder torta-sim runs in, as on the command line). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep.h"
#include "torta/config.h"
#include "torta/json.h"

#define MAX_VALUES 1000000
#define ID_MAX 150
#define SCHED_AXIS 2 /* axes: topology, workload, scheduler, set keys..., seed */

/* One value of one axis: its id fragment, its text for the CSV columns, and what it sets. */
typedef struct axis_value {
    char *label, *text;
    char *set;                /* "key=value", or NULL */
    const char *topology;     /* topology axis */
    const char *trace, *workload; /* workload axis */
    torta_trace_opts topts;
} axis_value;

typedef struct axis {
    char *name;
    axis_value *v;
    int n, cap;
} axis;

typedef struct spec_ctx {
    const char *file;
    axis *ax;
    int n_ax;
    torta_err *e;
} spec_ctx;

static int oom(torta_err *e)
{
    return torta_err_set(e, TORTA_ENOMEM, "out of memory");
}

static axis_value *push(axis *a, torta_err *e)
{
    if (a->n == a->cap) {
        int cap = a->cap ? 2 * a->cap : 8;
        axis_value *q = realloc(a->v, sizeof *q * (size_t)cap);
        if (!q)
            return oom(e), NULL;
        a->v = q;
        a->cap = cap;
    }
    axis_value *v = &a->v[a->n++];
    memset(v, 0, sizeof *v);
    return v;
}

static int set_strs(axis_value *v, const char *label, const char *text, torta_err *e)
{
    char id[ID_MAX + 1];
    torta_id_sanitize(label, id, sizeof id);
    v->label = strdup(id);
    v->text = strdup(text);
    return v->label && v->text ? 0 : oom(e);
}

/* The file name without folders and extension ("topologies/Abilene.gml" -> "Abilene"). */
static void stem(const char *path, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(out, n, "%s", b);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
}

/* A spec entry that may be one value or a list of them: calls fn on each. */
static int each(spec_ctx *c, const cJSON *node, const char *key,
                int (*fn)(spec_ctx *, const cJSON *, const char *, void *), void *ud)
{
    char where[600];
    if (!cJSON_IsArray(node)) {
        snprintf(where, sizeof where, "%.300s: %.280s", c->file, key);
        return fn(c, node, where, ud);
    }
    if (cJSON_GetArraySize(node) == 0)
        return torta_err_set(c->e, TORTA_EINPUT, "%s: %s: empty list", c->file, key);
    int i = 0, rc = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, node)
    {
        snprintf(where, sizeof where, "%.300s: %.280s[%d]", c->file, key, i++);
        if ((rc = fn(c, it, where, ud)))
            return rc;
    }
    return 0;
}

static int topology_value(spec_ctx *c, const cJSON *n, const char *where, void *ud)
{
    axis *a = ud;
    const char *file = NULL, *name = NULL;
    char label[256];
    int rc = 0;
    if (cJSON_IsString(n)) {
        file = n->valuestring;
    } else if (cJSON_IsObject(n)) {
        static const char *const keys[] = {"name", "file", NULL};
        rc = torta_json_check_keys(n, where, keys, c->e);
        if (!rc)
            rc = torta_json_str(n, "file", where, 1, NULL, &file, c->e);
        if (!rc)
            rc = torta_json_str(n, "name", where, 0, NULL, &name, c->e);
    } else {
        rc = torta_err_set(c->e, TORTA_EINPUT, "%s: expected a topology file or {\"name\", \"file\"}", where);
    }
    if (rc)
        return rc;
    stem(file, label, sizeof label);
    axis_value *v = push(a, c->e);
    if (!v || set_strs(v, name ? name : label, name ? name : file, c->e))
        return TORTA_ENOMEM;
    v->topology = file;
    return 0;
}

static int workload_value(spec_ctx *c, const cJSON *n, const char *where, void *ud)
{
    axis *a = ud;
    const char *name = NULL, *trace = NULL, *wl = NULL, *fmt = "auto";
    torta_trace_opts t = {TORTA_FMT_AUTO, 1.0, 0.0};
    int rc = 0;
    if (cJSON_IsString(n)) {
        wl = n->valuestring;
    } else if (cJSON_IsObject(n)) {
        static const char *const keys[] = {"name", "workload", "trace", "format", "rate_scale",
                                           "duration_s", NULL};
        rc = torta_json_check_keys(n, where, keys, c->e);
        if (!rc)
            rc = torta_json_str(n, "name", where, 0, NULL, &name, c->e);
        if (!rc)
            rc = torta_json_str(n, "workload", where, 0, NULL, &wl, c->e);
        if (!rc)
            rc = torta_json_str(n, "trace", where, 0, NULL, &trace, c->e);
        if (!rc && !trace == !wl)
            rc = torta_err_set(c->e, TORTA_EINPUT, "%s: give exactly one of \"trace\" or \"workload\"", where);
        if (!rc && wl && (cJSON_HasObjectItem(n, "format") || cJSON_HasObjectItem(n, "rate_scale") ||
                          cJSON_HasObjectItem(n, "duration_s")))
            rc = torta_err_set(c->e, TORTA_EINPUT, "%s: format, rate_scale and duration_s apply to "
                               "a \"trace\" only", where);
        if (!rc)
            rc = torta_json_str(n, "format", where, 0, "auto", &fmt, c->e);
        if (!rc)
            rc = torta_json_num(n, "rate_scale", where, 1e-9, 1e12, 0, 1.0, &t.rate_scale, c->e);
        if (!rc)
            rc = torta_json_num(n, "duration_s", where, 0, 1e12, 0, 0.0, &t.duration_s, c->e);
        static const char *const fmts[] = {"auto", "azure", "mooncake", "native", NULL};
        int f = -1;
        for (int i = 0; !rc && fmts[i]; i++)
            if (strcmp(fmt, fmts[i]) == 0)
                f = i;
        if (!rc && f < 0)
            rc = torta_err_set(c->e, TORTA_EINPUT, "%s: format: expected auto, azure, mooncake or "
                               "native, got \"%s\"", where, fmt);
        if (!rc)
            t.format = (torta_trace_fmt)f;
    } else {
        rc = torta_err_set(c->e, TORTA_EINPUT, "%s: expected a workload spec string or an object "
                           "with \"trace\" or \"workload\"", where);
    }
    if (rc)
        return rc;
    char label[256];
    if (name)
        snprintf(label, sizeof label, "%s", name);
    else if (trace)
        stem(trace, label, sizeof label);
    else
        snprintf(label, sizeof label, "%s", wl);
    axis_value *v = push(a, c->e);
    if (!v || set_strs(v, label, name ? name : trace ? trace : wl, c->e))
        return TORTA_ENOMEM;
    v->trace = trace;
    v->workload = wl;
    v->topts = t;
    return 0;
}

static int scheduler_value(spec_ctx *c, const cJSON *n, const char *where, void *ud)
{
    axis *a = ud;
    if (!cJSON_IsString(n))
        return torta_err_set(c->e, TORTA_EINPUT, "%s: expected a scheduler name", where);
    char *sets[TORTA_SCHED_MAX_SETS] = {NULL};
    int k = 0;
    if (torta_sched_sets(n->valuestring, sets, &k, c->e))
        return torta_err_prefix(c->e, "%s", where);
    axis_value *v = push(a, c->e);
    int rc = v ? set_strs(v, n->valuestring, n->valuestring, c->e) : TORTA_ENOMEM;
    /* axis values carry one set: join the overrides with a newline marker */
    size_t len = 1;
    for (int i = 0; i < k; i++)
        len += strlen(sets[i]) + 1;
    if (!rc && !(v->set = calloc(len, 1)))
        rc = oom(c->e);
    for (int i = 0; !rc && i < k; i++) {
        if (i)
            strcat(v->set, "\n");
        strcat(v->set, sets[i]);
    }
    for (int i = 0; i < k; i++)
        free(sets[i]);
    return rc;
}

/* A range {"from": a, "to": b, "step": s} (inclusive) into numbers. */
static int range_values(spec_ctx *c, const cJSON *n, const char *where, int whole,
                        int (*add)(spec_ctx *, double, const char *, void *), void *ud)
{
    static const char *const keys[] = {"from", "to", "step", NULL};
    double from, to, step;
    int rc = torta_json_check_keys(n, where, keys, c->e);
    if (!rc)
        rc = torta_json_num(n, "from", where, -1e300, 1e300, 1, 0, &from, c->e);
    if (!rc)
        rc = torta_json_num(n, "to", where, -1e300, 1e300, 1, 0, &to, c->e);
    if (!rc)
        rc = torta_json_num(n, "step", where, 1e-300, 1e300, 0, 1.0, &step, c->e);
    if (rc)
        return rc;
    if (to < from)
        return torta_err_set(c->e, TORTA_EINPUT, "%s: \"to\" (%g) is below \"from\" (%g)", where, to, from);
    double count = floor((to - from) / step * (1 + 1e-12) + 1e-9) + 1;
    if (count > MAX_VALUES)
        return torta_err_set(c->e, TORTA_EINPUT, "%s: %.0f values; at most %d", where, count, MAX_VALUES);
    for (long k = 0; k < (long)count; k++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.12g", from + (double)k * step); /* 0.1*3 -> 0.3 */
        double x = strtod(buf, NULL);
        if (whole && x != floor(x))
            return torta_err_set(c->e, TORTA_EINPUT, "%s: expected whole numbers, got %s", where, buf);
        if ((rc = add(c, x, where, ud)))
            return rc;
    }
    return 0;
}

static int add_seed(spec_ctx *c, double x, const char *where, void *ud)
{
    axis *a = ud;
    if (!(x >= 0) || x != floor(x) || x > 9007199254740992.0)
        return torta_err_set(c->e, TORTA_EINPUT, "%s: expected a whole number >= 0 as seed", where);
    char text[64], label[80], set[96];
    snprintf(text, sizeof text, "%.0f", x);
    snprintf(label, sizeof label, "s%.0f", x);
    snprintf(set, sizeof set, "seed=%.0f", x);
    axis_value *v = push(a, c->e);
    if (!v || set_strs(v, label, text, c->e) || !(v->set = strdup(set)))
        return oom(c->e);
    return 0;
}

static int seed_value(spec_ctx *c, const cJSON *n, const char *where, void *ud)
{
    if (cJSON_IsNumber(n))
        return add_seed(c, n->valuedouble, where, ud);
    if (cJSON_IsObject(n))
        return range_values(c, n, where, 1, add_seed, ud);
    if (cJSON_IsString(n)) {
        double *s = NULL;
        int k = 0, rc = torta_seeds_parse(n->valuestring, &s, &k, c->e);
        for (int i = 0; !rc && i < k; i++)
            rc = add_seed(c, s[i], where, ud);
        free(s);
        return rc ? torta_err_prefix(c->e, "%s", where) : 0;
    }
    return torta_err_set(c->e, TORTA_EINPUT, "%s: expected seeds: a number, \"1-5\", a list or "
                         "{\"from\", \"to\"}", where);
}

static int add_set_json(spec_ctx *c, const cJSON *val, const char *where, void *ud)
{
    axis *a = ud;
    char *json = cJSON_PrintUnformatted(val);
    if (!json)
        return oom(c->e);
    const char *text = cJSON_IsString(val) ? val->valuestring : json;
    size_t ln = strlen(a->name) + strlen(text) + 2, sn = strlen(a->name) + strlen(json) + 2;
    char *label = malloc(ln), *set = malloc(sn);
    axis_value *v = label && set ? push(a, c->e) : NULL;
    int rc = v ? 0 : oom(c->e);
    if (!rc) {
        snprintf(label, ln, "%s=%s", a->name, text);
        snprintf(set, sn, "%s=%s", a->name, json);
        rc = set_strs(v, label, text, c->e);
        v->set = set;
        set = NULL;
    }
    (void)where;
    free(json);
    free(label);
    free(set);
    return rc;
}

static int add_set_num(spec_ctx *c, double x, const char *where, void *ud)
{
    cJSON *n = cJSON_CreateNumber(x);
    int rc = n ? add_set_json(c, n, where, ud) : oom(c->e);
    cJSON_Delete(n);
    return rc;
}

static int set_value(spec_ctx *c, const cJSON *n, const char *where, void *ud)
{
    if (cJSON_IsObject(n) && cJSON_HasObjectItem(n, "from"))
        return range_values(c, n, where, 0, add_set_num, ud);
    return add_set_json(c, n, where, ud);
}

static axis *new_axis(spec_ctx *c, const char *name)
{
    axis *q = realloc(c->ax, sizeof *q * (size_t)(c->n_ax + 1));
    if (!q)
        return oom(c->e), NULL;
    c->ax = q;
    axis *a = &c->ax[c->n_ax++];
    memset(a, 0, sizeof *a);
    if (!(a->name = strdup(name)))
        return oom(c->e), NULL;
    return a;
}

static void free_axes(spec_ctx *c)
{
    for (int i = 0; i < c->n_ax; i++) {
        for (int k = 0; k < c->ax[i].n; k++) {
            free(c->ax[i].v[k].label);
            free(c->ax[i].v[k].text);
            free(c->ax[i].v[k].set);
        }
        free(c->ax[i].v);
        free(c->ax[i].name);
    }
    free(c->ax);
}

static unsigned long long fnv1a(const char *s)
{
    unsigned long long h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Walks the grid (odometer, last axis fastest) and adds one point per combination. */
static int expand(spec_ctx *c, torta_points *pl)
{
    int *idx = calloc((size_t)c->n_ax, sizeof *idx);
    const char **values = calloc((size_t)c->n_ax, sizeof *values);
    char **sets = calloc((size_t)c->n_ax * TORTA_SCHED_MAX_SETS + 1, sizeof *sets);
    size_t idcap = 64;
    for (int a = 0; a < c->n_ax; a++)
        for (int k = 0; k < c->ax[a].n; k++)
            idcap += strlen(c->ax[a].v[k].label) + 2;
    char *id = malloc(idcap), *setbuf = NULL;
    int rc = idx && values && sets && id ? 0 : oom(c->e);
    double total = 1;
    for (int a = 0; a < c->n_ax; a++)
        total *= c->ax[a].n;
    if (!rc && total > MAX_VALUES)
        rc = torta_err_set(c->e, TORTA_EINPUT, "%s: the grid has %.0f points; at most %d", c->file,
                           total, MAX_VALUES);
    while (!rc) {
        const char *topo = NULL, *trace = NULL, *wl = NULL;
        torta_trace_opts t = {TORTA_FMT_AUTO, 1.0, 0.0};
        int n_sets = 0;
        id[0] = '\0';
        free(setbuf);
        setbuf = NULL;
        size_t need = 1;
        for (int a = 0; a < c->n_ax; a++)
            need += c->ax[a].v[idx[a]].set ? strlen(c->ax[a].v[idx[a]].set) + 1 : 0;
        if (!(setbuf = malloc(need))) {
            rc = oom(c->e);
            break;
        }
        char *sp = setbuf;
        for (int a = 0; a < c->n_ax; a++) {
            const axis_value *v = &c->ax[a].v[idx[a]];
            values[a] = v->text;
            if (a)
                strcat(id, "__");
            strcat(id, v->label);
            if (v->topology)
                topo = v->topology;
            if (v->trace || v->workload) {
                trace = v->trace;
                wl = v->workload;
                t = v->topts;
            }
        }
        /* Overrides: set keys first, then the scheduler (a preset's micro wins over a swept
         * scheduler.micro), then the seed. */
        for (int o = 0; o < c->n_ax; o++) {
            int a = o < SCHED_AXIS ? o : o < c->n_ax - 2 ? o + 1 : o == c->n_ax - 2 ? SCHED_AXIS : o;
            const axis_value *v = &c->ax[a].v[idx[a]];
            if (v->set) { /* a scheduler value holds its overrides separated by '\n' */
                strcpy(sp, v->set);
                for (char *tok = sp, *nl; tok; tok = nl) {
                    nl = strchr(tok, '\n');
                    if (nl)
                        *nl++ = '\0';
                    sets[n_sets++] = tok;
                }
                sp += strlen(v->set) + 1;
            }
        }
        if (strlen(id) > ID_MAX) { /* keep folder names short: prefix + hash of the whole */
            unsigned long long h = fnv1a(id);
            snprintf(id + ID_MAX - 17, 18, "~%016llx", h);
        }
        rc = torta_points_add(pl, id, values, (const char *const *)sets, n_sets, topo, trace, wl, &t,
                              c->e);
        if (rc)
            break;
        int a = c->n_ax - 1;
        while (a >= 0 && ++idx[a] == c->ax[a].n)
            idx[a--] = 0;
        if (a < 0)
            break;
    }
    free(setbuf);
    free(idx);
    free(values);
    free(sets);
    free(id);
    return rc;
}

int torta_sweep_spec_load(const char *path, torta_points *pl, torta_err *e)
{
    static const char *const keys[] = {"topologies", "workloads", "schedulers", "seeds", "set",
                                       "config", "description", NULL};
    cJSON *spec = NULL;
    spec_ctx c = {path, NULL, 0, e};
    memset(pl, 0, sizeof *pl);
    int rc = torta_json_read_file(path, &spec, e);
    if (!rc && !cJSON_IsObject(spec))
        rc = torta_err_set(e, TORTA_EINPUT, "%s: a sweep spec is a JSON object (see docs/sweeps.md)", path);
    if (!rc)
        rc = torta_json_check_keys(spec, path, keys, e);
    const char *req[] = {"topologies", "workloads", "schedulers"};
    for (int i = 0; !rc && i < 3; i++)
        if (!cJSON_HasObjectItem(spec, req[i]))
            rc = torta_err_set(e, TORTA_EINPUT, "%s: missing \"%s\"", path, req[i]);
    const char *config = NULL;
    if (!rc)
        rc = torta_json_str(spec, "config", path, 0, NULL, &config, e);
    axis *a;
    if (!rc)
        rc = (a = new_axis(&c, "topology")) ? each(&c, cJSON_GetObjectItemCaseSensitive(spec, "topologies"),
                                                   "topologies", topology_value, a) : TORTA_ENOMEM;
    if (!rc)
        rc = (a = new_axis(&c, "workload")) ? each(&c, cJSON_GetObjectItemCaseSensitive(spec, "workloads"),
                                                   "workloads", workload_value, a) : TORTA_ENOMEM;
    if (!rc)
        rc = (a = new_axis(&c, "scheduler")) ? each(&c, cJSON_GetObjectItemCaseSensitive(spec, "schedulers"),
                                                    "schedulers", scheduler_value, a) : TORTA_ENOMEM;
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(spec, "set"), *it;
    if (!rc && set && !cJSON_IsObject(set))
        rc = torta_err_set(e, TORTA_EINPUT, "%s: set: expected {\"path.to.key\": value or [values], ...}", path);
    cJSON_ArrayForEach(it, set)
    {
        char key[300];
        snprintf(key, sizeof key, "set.%s", it->string);
        if (!rc && (strcmp(it->string, "seed") == 0 || strncmp(it->string, "scheduler.macro", 15) == 0))
            rc = torta_err_set(e, TORTA_EINPUT, "%s: %s: use \"%s\" instead", path, key,
                               strcmp(it->string, "seed") == 0 ? "seeds" : "schedulers");
        if (!rc)
            rc = (a = new_axis(&c, it->string)) ? each(&c, it, key, set_value, a) : TORTA_ENOMEM;
    }
    if (!rc && (a = new_axis(&c, "seed"))) {
        const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(spec, "seeds");
        if (seeds) {
            rc = each(&c, seeds, "seeds", seed_value, a);
        } else { /* the configured seed */
            cJSON *base = NULL;
            rc = torta_config_build(config, NULL, 0, &base, e);
            if (!rc)
                rc = add_seed(&c, cJSON_GetObjectItemCaseSensitive(base, "seed")->valuedouble, "seed", a);
            cJSON_Delete(base);
        }
    } else if (!rc) {
        rc = TORTA_ENOMEM;
    }
    if (!rc) {
        const char **names = calloc((size_t)c.n_ax, sizeof *names);
        for (int i = 0; names && i < c.n_ax; i++)
            names[i] = c.ax[i].name;
        rc = names ? torta_points_init(pl, names, c.n_ax, config, e) : oom(e);
        free(names);
    }
    if (!rc)
        rc = expand(&c, pl);
    if (!rc)
        rc = torta_points_validate(pl, e);
    if (rc)
        torta_points_free(pl);
    free_axes(&c);
    cJSON_Delete(spec);
    return rc;
}

int torta_seeds_parse(const char *text, double **seeds, int *n, torta_err *e)
{
    *seeds = NULL;
    *n = 0;
    int cap = 0;
    const char *p = text;
    /* Decimal digits only: strtod would also take "0x10", " 5" or "1e3". */
    int digits_only = strspn(text, "0123456789-,") == strlen(text);
    while (digits_only) {
        char *end;
        double lo = strtod(p, &end), hi;
        if (end == p || lo < 0 || lo != floor(lo))
            break;
        hi = lo;
        p = end;
        if (*p == '-') {
            hi = strtod(p + 1, &end);
            if (end == p + 1 || hi < lo || hi != floor(hi))
                break;
            p = end;
        }
        if (hi - lo >= MAX_VALUES || *n + (hi - lo) >= MAX_VALUES)
            break;
        for (double s = lo; s <= hi; s++) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 16;
                double *q = realloc(*seeds, sizeof *q * (size_t)cap);
                if (!q) {
                    free(*seeds);
                    *seeds = NULL;
                    return oom(e);
                }
                *seeds = q;
            }
            (*seeds)[(*n)++] = s;
        }
        if (*p == '\0')
            return 0;
        if (*p != ',')
            break;
        p++;
    }
    free(*seeds);
    *seeds = NULL;
    *n = 0;
    return torta_err_set(e, TORTA_EINPUT, "seeds \"%s\": expected whole numbers >= 0 like 1-5 or "
                         "1,2,7", text);
}
