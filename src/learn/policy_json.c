/* Policy files: torta_policy <-> JSON (cJSON). Numbers are written as raw %.17g text, which
 * strtod reads back to the same double, so weights round-trip bit-exactly; keys are emitted in a
 * fixed order so the same policy always gives the same bytes. */
#include "torta/policy_io.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "torta/json.h"

#define MAX_LAYERS 64
#define MAX_WIDTH 1000000L

/* ---- writing ---- */

static cJSON *num_item(double x)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", x);
    return cJSON_CreateRaw(buf);
}

/* An array of n numbers, or NULL (e set) on a non-finite value or no memory. */
static cJSON *vec_json(const double *v, size_t n, const char *path, torta_err *e)
{
    cJSON *a = cJSON_CreateArray();
    if (!a) {
        torta_err_set(e, TORTA_ENOMEM, "policy: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) {
            cJSON_Delete(a);
            torta_err_set(e, TORTA_EINPUT, "policy: %s[%zu] is %g (training diverged?)", path,
                          i, v[i]);
            return NULL;
        }
        cJSON *it = num_item(v[i]);
        if (!it || !cJSON_AddItemToArray(a, it)) {
            cJSON_Delete(it);
            cJSON_Delete(a);
            torta_err_set(e, TORTA_ENOMEM, "policy: out of memory");
            return NULL;
        }
    }
    return a;
}

/* Adds item under key; on failure deletes it and returns -1. */
static int put(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return -1;
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return -1;
    }
    return 0;
}

static int put_array_item(cJSON *arr, cJSON *item)
{
    if (!item)
        return -1;
    if (!cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        return -1;
    }
    return 0;
}

static cJSON *mlp_json(const torta_mlp *m, const char *where, torta_err *e)
{
    char path[128];
    cJSON *o = cJSON_CreateObject(), *sizes = cJSON_CreateArray(), *layers = cJSON_CreateArray();
    /* Attach the arrays first (fixed key order) so one delete of o frees everything. */
    if (!o || put(o, "sizes", sizes)) {
        cJSON_Delete(layers);
        goto nomem;
    }
    if (put(o, "hidden_activation", cJSON_CreateString(torta_act_name(m->hidden)))) {
        cJSON_Delete(layers);
        goto nomem;
    }
    if (put(o, "layers", layers))
        goto nomem;
    for (size_t l = 0; l <= m->n_layers; l++)
        if (put_array_item(sizes, cJSON_CreateNumber((double)m->sizes[l])))
            goto nomem;
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t in = m->sizes[l], out = m->sizes[l + 1];
        cJSON *layer = cJSON_CreateObject(), *W = cJSON_CreateArray();
        if (put_array_item(layers, layer)) {
            cJSON_Delete(W);
            goto nomem;
        }
        if (put(layer, "W", W))
            goto nomem;
        for (size_t i = 0; i < out; i++) {
            snprintf(path, sizeof path, "%s.layers[%zu].W[%zu]", where, l, i);
            cJSON *row = vec_json(m->params + m->w_off[l] + i * in, in, path, e);
            if (!row)
                goto fail;
            if (put_array_item(W, row))
                goto nomem;
        }
        snprintf(path, sizeof path, "%s.layers[%zu].b", where, l);
        cJSON *b = vec_json(m->params + m->b_off[l], out, path, e);
        if (!b)
            goto fail;
        if (put(layer, "b", b))
            goto nomem;
    }
    return o;
nomem:
    torta_err_set(e, TORTA_ENOMEM, "policy: out of memory");
fail:
    cJSON_Delete(o);
    return NULL;
}

static cJSON *norm_json(const torta_norm *z, torta_err *e)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        goto nomem;
    if (put(o, "dim", cJSON_CreateNumber((double)z->dim)) || put(o, "count", num_item(z->count))
        || put(o, "clip", num_item(z->clip)))
        goto nomem;
    cJSON *mean = vec_json(z->mean, z->dim, "normalizer.mean", e);
    if (!mean)
        goto fail;
    if (put(o, "mean", mean))
        goto nomem;
    cJSON *m2 = vec_json(z->m2, z->dim, "normalizer.m2", e);
    if (!m2)
        goto fail;
    if (put(o, "m2", m2))
        goto nomem;
    return o;
nomem:
    torta_err_set(e, TORTA_ENOMEM, "policy: out of memory");
fail:
    cJSON_Delete(o);
    return NULL;
}

static cJSON *meta_json(const torta_policy *p, torta_err *e)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        goto nomem;
    if (p->n_features) {
        cJSON *f = cJSON_CreateArray();
        if (put(o, "features", f))
            goto nomem;
        for (size_t i = 0; i < p->n_features; i++)
            if (put_array_item(f, cJSON_CreateString(p->feature_names[i])))
                goto nomem;
    }
    if (p->fingerprint && put(o, "fingerprint", cJSON_CreateString(p->fingerprint)))
        goto nomem;
    if (p->extra && put(o, "extra", cJSON_Duplicate(p->extra, 1)))
        goto nomem;
    return o;
nomem:
    cJSON_Delete(o);
    torta_err_set(e, TORTA_ENOMEM, "policy: out of memory");
    return NULL;
}

int torta_policy_to_json(const torta_policy *p, char **out, torta_err *e)
{
    *out = NULL;
    torta_err tmp = {0};
    cJSON *root = cJSON_CreateObject(), *it;
    if (!root)
        goto nomem;
    if (put(root, "format", cJSON_CreateString(TORTA_POLICY_FORMAT))
        || put(root, "version", cJSON_CreateNumber(TORTA_POLICY_VERSION))
        || put(root, "kind", cJSON_CreateString(torta_policy_kind_name(p->kind))))
        goto nomem;
    if (!(it = meta_json(p, &tmp)) || put(root, "meta", it))
        goto fail;
    if (!(it = norm_json(&p->norm, &tmp)) || put(root, "normalizer", it))
        goto fail;
    if (!(it = mlp_json(&p->net, "net", &tmp)) || put(root, "net", it))
        goto fail;
    if (p->kind == TORTA_POLICY_GAUSSIAN) {
        it = vec_json(p->log_std, torta_mlp_out_dim(&p->net), "log_std", &tmp);
        if (!it || put(root, "log_std", it))
            goto fail;
    }
    if (p->has_critic) {
        if (!(it = mlp_json(&p->critic, "critic", &tmp)) || put(root, "critic", it))
            goto fail;
    }
    *out = cJSON_Print(root);
    cJSON_Delete(root);
    if (!*out)
        return torta_err_set(e, TORTA_ENOMEM, "policy: out of memory");
    return 0;
nomem:
    torta_err_set(&tmp, TORTA_ENOMEM, "policy: out of memory");
fail:
    cJSON_Delete(root);
    if (!tmp.code)
        torta_err_set(&tmp, TORTA_ENOMEM, "policy: out of memory");
    return torta_err_set(e, tmp.code, "%s", tmp.msg);
}

int torta_policy_save(const torta_policy *p, const char *path, torta_err *e)
{
    char *text = NULL;
    int rc = torta_policy_to_json(p, &text, e);
    if (rc)
        return rc;
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) {
        free(text);
        return torta_err_set(e, TORTA_ENOMEM, "policy: out of memory");
    }
    snprintf(tmp, n, "%s.tmp-%ld", path, (long)getpid()); /* unique: concurrent trainings never mix */
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        rc = torta_err_set(e, TORTA_EIO, "%s: cannot write: %s", tmp, strerror(errno));
        goto done;
    }
    size_t len = strlen(text);
    int bad = fwrite(text, 1, len, f) != len || fputc('\n', f) == EOF;
    bad |= fclose(f) != 0;
    if (bad) {
        remove(tmp);
        rc = torta_err_set(e, TORTA_EIO, "%s: write error", tmp);
        goto done;
    }
    if (rename(tmp, path) != 0) {
        rc = torta_err_set(e, TORTA_EIO, "%s: cannot rename to %s: %s", tmp, path,
                           strerror(errno));
        remove(tmp);
    }
done:
    free(tmp);
    free(text);
    return rc;
}

/* ---- reading ---- */

static int missing(const char *origin, const char *path, const char *what, torta_err *e)
{
    return torta_err_set(e, TORTA_EINPUT, "%s: %s: missing (%s is required)", origin, path, what);
}

/* Exactly n finite numbers at path into out. */
static int read_vec(const cJSON *a, size_t n, double *out, const char *origin, const char *path,
                    torta_err *e)
{
    if (!a)
        return missing(origin, path, "an array of numbers", e);
    if (!cJSON_IsArray(a))
        return torta_err_set(e, TORTA_EINPUT, "%s: %s: expected an array of %zu numbers", origin,
                             path, n);
    size_t got = (size_t)cJSON_GetArraySize(a);
    if (got != n)
        return torta_err_set(e, TORTA_EINPUT, "%s: %s: expected %zu numbers, found %zu", origin,
                             path, n, got);
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
            return torta_err_set(e, TORTA_EINPUT, "%s: %s[%zu]: expected a finite number",
                                 origin, path, i);
        out[i++] = it->valuedouble;
    }
    return 0;
}

static int check_keys(const cJSON *o, const char *origin, const char *path,
                      const char *const *known, torta_err *e)
{
    char where[256];
    snprintf(where, sizeof where, "%s: %s", origin, path);
    return torta_json_check_keys(o, where, known, e);
}

static int expect_object(const cJSON *o, const char *origin, const char *path, torta_err *e)
{
    if (!o)
        return missing(origin, path, "an object", e);
    if (!cJSON_IsObject(o))
        return torta_err_set(e, TORTA_EINPUT, "%s: %s: expected an object", origin, path);
    return 0;
}

/* Layer sizes and activation of the network object at path. */
static int read_shape(const cJSON *o, const char *origin, const char *path, size_t *sizes,
                      size_t *n_sizes, torta_act *act, torta_err *e)
{
    static const char *const keys[] = {"sizes", "hidden_activation", "layers", NULL};
    char sub[128];
    int rc = expect_object(o, origin, path, e);
    if (rc || (rc = check_keys(o, origin, path, keys, e)))
        return rc;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "sizes");
    snprintf(sub, sizeof sub, "%s.sizes", path);
    if (!s)
        return missing(origin, sub, "an array of layer sizes", e);
    int n = cJSON_IsArray(s) ? cJSON_GetArraySize(s) : -1;
    if (n < 2 || n > MAX_LAYERS + 1)
        return torta_err_set(e, TORTA_EINPUT,
                             "%s: %s: expected an array of 2 to %d layer sizes", origin, sub,
                             MAX_LAYERS + 1);
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, s)
    {
        double v = cJSON_IsNumber(it) ? it->valuedouble : -1.0;
        if (!(v >= 1.0 && v <= (double)MAX_WIDTH && v == floor(v)))
            return torta_err_set(e, TORTA_EINPUT, "%s: %s[%zu]: expected an integer in [1, %ld]",
                                 origin, sub, i, MAX_WIDTH);
        sizes[i++] = (size_t)v;
    }
    *n_sizes = (size_t)n;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "hidden_activation");
    snprintf(sub, sizeof sub, "%s.hidden_activation", path);
    if (!a)
        return missing(origin, sub, "\"tanh\" or \"relu\"", e);
    if (!cJSON_IsString(a) || torta_act_parse(a->valuestring, act))
        return torta_err_set(e, TORTA_EINPUT, "%s: %s: expected \"tanh\" or \"relu\"", origin,
                             sub);
    return 0;
}

/* Weights of the network object at path into m (already shaped by read_shape's sizes). */
static int read_weights(const cJSON *o, const char *origin, const char *path, torta_mlp *m,
                        torta_err *e)
{
    static const char *const keys[] = {"W", "b", NULL};
    char sub[160];
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(o, "layers");
    snprintf(sub, sizeof sub, "%s.layers", path);
    if (!layers)
        return missing(origin, sub, "an array of layers", e);
    size_t got = cJSON_IsArray(layers) ? (size_t)cJSON_GetArraySize(layers) : 0;
    if (!cJSON_IsArray(layers) || got != m->n_layers)
        return torta_err_set(e, TORTA_EINPUT,
                             "%s: %s: expected an array of %zu layers (sizes has %zu entries), "
                             "found %zu",
                             origin, sub, m->n_layers, m->n_layers + 1, got);
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t in = m->sizes[l], out = m->sizes[l + 1];
        const cJSON *layer = cJSON_GetArrayItem(layers, (int)l);
        snprintf(sub, sizeof sub, "%s.layers[%zu]", path, l);
        int rc = expect_object(layer, origin, sub, e);
        if (rc || (rc = check_keys(layer, origin, sub, keys, e)))
            return rc;
        const cJSON *W = cJSON_GetObjectItemCaseSensitive(layer, "W");
        snprintf(sub, sizeof sub, "%s.layers[%zu].W", path, l);
        if (!W)
            return missing(origin, sub, "a weight matrix", e);
        size_t rows = cJSON_IsArray(W) ? (size_t)cJSON_GetArraySize(W) : 0;
        if (!cJSON_IsArray(W) || rows != out)
            return torta_err_set(e, TORTA_EINPUT,
                                 "%s: %s: expected %zu rows (outputs) of %zu numbers (inputs), "
                                 "found %zu rows",
                                 origin, sub, out, in, rows);
        for (size_t i = 0; i < out; i++) {
            snprintf(sub, sizeof sub, "%s.layers[%zu].W[%zu]", path, l, i);
            rc = read_vec(cJSON_GetArrayItem(W, (int)i), in, m->params + m->w_off[l] + i * in,
                          origin, sub, e);
            if (rc)
                return rc;
        }
        snprintf(sub, sizeof sub, "%s.layers[%zu].b", path, l);
        rc = read_vec(cJSON_GetObjectItemCaseSensitive(layer, "b"), out, m->params + m->b_off[l],
                      origin, sub, e);
        if (rc)
            return rc;
    }
    return 0;
}

static int read_norm(const cJSON *o, const char *origin, torta_norm *z, torta_err *e)
{
    static const char *const keys[] = {"dim", "count", "clip", "mean", "m2", NULL};
    char where[256];
    snprintf(where, sizeof where, "%s: normalizer", origin);
    int rc = expect_object(o, origin, "normalizer", e);
    if (rc || (rc = check_keys(o, origin, "normalizer", keys, e)))
        return rc;
    long dim;
    rc = torta_json_int(o, "dim", where, 1, MAX_WIDTH, 1, 0, &dim, e);
    if (rc)
        return rc;
    if ((size_t)dim != z->dim)
        return torta_err_set(e, TORTA_EINPUT,
                             "%s: normalizer.dim: %ld does not match the net's %zu inputs", origin,
                             dim, z->dim);
    if ((rc = torta_json_num(o, "count", where, 0.0, HUGE_VAL, 1, 0.0, &z->count, e))
        || (rc = torta_json_num(o, "clip", where, 1e-12, HUGE_VAL, 1, 0.0, &z->clip, e)))
        return rc;
    if ((rc = read_vec(cJSON_GetObjectItemCaseSensitive(o, "mean"), z->dim, z->mean, origin,
                       "normalizer.mean", e))
        || (rc = read_vec(cJSON_GetObjectItemCaseSensitive(o, "m2"), z->dim, z->m2, origin,
                          "normalizer.m2", e)))
        return rc;
    for (size_t i = 0; i < z->dim; i++)
        if (z->m2[i] < 0.0)
            return torta_err_set(e, TORTA_EINPUT, "%s: normalizer.m2[%zu]: negative (%g)",
                                 origin, i, z->m2[i]);
    return 0;
}

static int read_meta(const cJSON *o, const char *origin, torta_policy *p, torta_err *e)
{
    static const char *const keys[] = {"features", "fingerprint", "extra", NULL};
    if (!o)
        return 0;
    int rc = expect_object(o, origin, "meta", e);
    if (rc || (rc = check_keys(o, origin, "meta", keys, e)))
        return rc;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "features");
    if (f) {
        size_t in = torta_mlp_in_dim(&p->net);
        size_t n = cJSON_IsArray(f) ? (size_t)cJSON_GetArraySize(f) : 0;
        if (!cJSON_IsArray(f) || n != in)
            return torta_err_set(e, TORTA_EINPUT,
                                 "%s: meta.features: expected %zu names (the net's inputs), "
                                 "found %zu",
                                 origin, in, n);
        const char **names = calloc(n, sizeof *names);
        if (!names)
            return torta_err_set(e, TORTA_ENOMEM, "policy: out of memory");
        size_t i = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, f)
        {
            if (!cJSON_IsString(it)) {
                free(names);
                return torta_err_set(e, TORTA_EINPUT, "%s: meta.features[%zu]: expected a string",
                                     origin, i);
            }
            names[i++] = it->valuestring;
        }
        rc = torta_policy_set_features(p, n, names, e);
        free(names);
        if (rc)
            return rc;
    }
    const cJSON *fp = cJSON_GetObjectItemCaseSensitive(o, "fingerprint");
    if (fp) {
        if (!cJSON_IsString(fp))
            return torta_err_set(e, TORTA_EINPUT, "%s: meta.fingerprint: expected a string",
                                 origin);
        if ((rc = torta_policy_set_fingerprint(p, fp->valuestring, e)))
            return rc;
    }
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, "extra");
    if (x) {
        if (!cJSON_IsObject(x))
            return torta_err_set(e, TORTA_EINPUT, "%s: meta.extra: expected an object", origin);
        if ((rc = torta_policy_set_extra(p, x, e)))
            return rc;
    }
    return 0;
}

static int from_json(const cJSON *root, const char *origin, torta_policy *p, torta_err *e)
{
    static const char *const keys[] = {"format",  "version", "kind",   "meta",
                                       "normalizer", "net",  "log_std", "critic", NULL};
    if (!cJSON_IsObject(root))
        return torta_err_set(e, TORTA_EINPUT, "%s: expected a JSON object (a policy file)",
                             origin);
    int rc = torta_json_check_keys(root, origin, keys, e);
    if (rc)
        return rc;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, TORTA_POLICY_FORMAT) != 0)
        return torta_err_set(e, TORTA_EINPUT, "%s: format: expected \"%s\" (not a policy file?)",
                             origin, TORTA_POLICY_FORMAT);
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (!cJSON_IsNumber(ver) || ver->valuedouble != TORTA_POLICY_VERSION)
        return torta_err_set(e, TORTA_EINPUT, "%s: version: expected %d", origin,
                             TORTA_POLICY_VERSION);
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
    torta_policy_kind k;
    if (cJSON_IsString(kind) && strcmp(kind->valuestring, "gaussian") == 0)
        k = TORTA_POLICY_GAUSSIAN;
    else if (cJSON_IsString(kind) && strcmp(kind->valuestring, "softmax-candidates") == 0)
        k = TORTA_POLICY_SOFTMAX;
    else
        return torta_err_set(e, TORTA_EINPUT,
                             "%s: kind: expected \"gaussian\" or \"softmax-candidates\"", origin);

    size_t sizes[MAX_LAYERS + 1], n_sizes;
    torta_act act;
    const cJSON *net = cJSON_GetObjectItemCaseSensitive(root, "net");
    if ((rc = read_shape(net, origin, "net", sizes, &n_sizes, &act, e)))
        return rc;
    if (k == TORTA_POLICY_SOFTMAX && sizes[n_sizes - 1] != 1)
        return torta_err_set(e, TORTA_EINPUT,
                             "%s: net.sizes[%zu]: a softmax-candidates net has 1 output, not %zu",
                             origin, n_sizes - 1, sizes[n_sizes - 1]);
    if ((rc = torta_policy_init(p, k, n_sizes, sizes, act, e)))
        return rc;
    if ((rc = read_weights(net, origin, "net", &p->net, e)))
        return rc;
    if ((rc = read_norm(cJSON_GetObjectItemCaseSensitive(root, "normalizer"), origin, &p->norm, e)))
        return rc;
    p->norm.frozen = 1;
    const cJSON *ls = cJSON_GetObjectItemCaseSensitive(root, "log_std");
    if (k == TORTA_POLICY_GAUSSIAN) {
        if ((rc = read_vec(ls, torta_mlp_out_dim(&p->net), p->log_std, origin, "log_std", e)))
            return rc;
    } else if (ls) {
        return torta_err_set(e, TORTA_EINPUT,
                             "%s: log_std: a softmax-candidates policy has no log_std", origin);
    }
    const cJSON *critic = cJSON_GetObjectItemCaseSensitive(root, "critic");
    if (critic) {
        if ((rc = read_shape(critic, origin, "critic", sizes, &n_sizes, &act, e)))
            return rc;
        if (sizes[0] != torta_mlp_in_dim(&p->net) || sizes[n_sizes - 1] != 1)
            return torta_err_set(e, TORTA_EINPUT,
                                 "%s: critic.sizes: expected %zu inputs (as the net) and 1 "
                                 "output, got %zu and %zu",
                                 origin, torta_mlp_in_dim(&p->net), sizes[0], sizes[n_sizes - 1]);
        if ((rc = torta_policy_add_critic(p, n_sizes, sizes, act, e))
            || (rc = read_weights(critic, origin, "critic", &p->critic, e)))
            return rc;
    }
    return read_meta(cJSON_GetObjectItemCaseSensitive(root, "meta"), origin, p, e);
}

int torta_policy_from_json(const cJSON *root, const char *origin, torta_policy *p, torta_err *e)
{
    memset(p, 0, sizeof *p);
    int rc = from_json(root, origin, p, e);
    if (rc)
        torta_policy_free(p);
    return rc;
}

int torta_policy_load(const char *path, torta_policy *p, torta_err *e)
{
    memset(p, 0, sizeof *p);
    cJSON *root = NULL;
    int rc = torta_json_read_file(path, &root, e);
    if (rc)
        return rc;
    rc = torta_policy_from_json(root, path, p, e);
    cJSON_Delete(root);
    return rc;
}
