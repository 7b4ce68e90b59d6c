/* The scheduler list of compare and capacity-search (sched_list.h): each entry a scheduler name
 * (preset, macro, macro/micro) with its own configuration overrides and a label, so that one
 * invocation can compare e.g. torta with a new policy file against skylb, or one scheduler with
 * two settings. docs/sweeps.md, "Per-scheduler parameters". */
#include "cli/sched_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep.h"
#include "torta/json.h"

void cli_sched_list_free(cli_sched_list *l)
{
    for (int i = 0; l->s && i < l->n; i++) {
        free(l->s[i].label);
        free(l->s[i].name);
        for (int k = 0; k < l->s[i].n_sets; k++)
            free(l->s[i].sets[k]);
        free(l->s[i].sets);
    }
    free(l->s);
    l->s = NULL;
    l->n = 0;
}

static int oom(torta_err *e)
{
    return torta_err_set(e, TORTA_ENOMEM, "out of memory");
}

/* Refuses the keys a scheduler's own settings may not change. */
static int check_key(const char *opt, const char *label, const char *key, size_t len, torta_err *e)
{
    if (len == 0)
        return torta_err_set(e, TORTA_EINPUT, "--%s: scheduler \"%s\": empty key in its "
                             "parameters (expected key=value)", opt, label);
    if ((len == 15 && strncmp(key, "scheduler.macro", 15) == 0) || (len == 4 && strncmp(key, "seed", 4) == 0))
        return torta_err_set(e, TORTA_EINPUT, "--%s: scheduler \"%s\": %.*s cannot be a "
                             "per-scheduler parameter (the name gives the scheduler, --seeds the "
                             "seeds)", opt, label, (int)len, key);
    return 0;
}

static int add_entry(cli_sched_list *l, const char *name, size_t name_len, torta_err *e)
{
    cli_sched *s = realloc(l->s, sizeof *s * (size_t)(l->n + 1));
    if (!s)
        return oom(e);
    l->s = s;
    s = &l->s[l->n++];
    memset(s, 0, sizeof *s);
    if (!(s->name = strndup(name, name_len)))
        return oom(e);
    return 0;
}

static int add_set(cli_sched *s, const char *text, size_t len, torta_err *e)
{
    char **sets = realloc(s->sets, sizeof *sets * (size_t)(s->n_sets + 1));
    if (!sets)
        return oom(e);
    s->sets = sets;
    if (!(sets[s->n_sets] = strndup(text, len)))
        return oom(e);
    s->n_sets++;
    return 0;
}

/* "a,b:k=v,k=v,c": a token that has '=' with no ':' before it continues the entry before. */
static int parse_inline(const char *opt, const char *arg, cli_sched_list *l, torta_err *e)
{
    const char *p = arg;
    const char *start = NULL; /* where the current entry's text begins (its default label) */
    size_t label_len = 0;     /* its length without label=... */
    int rc = 0, open = 0;     /* open: the current entry takes parameters */
    for (;;) {
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len), *colon = memchr(p, ':', len);
        cli_sched *cur = l->n ? &l->s[l->n - 1] : NULL;
        if (len == 0) {
            rc = torta_err_set(e, TORTA_EINPUT, "--%s %s: empty name in the list", opt, arg);
        } else if (eq && (!colon || colon > eq)) { /* key=value of the scheduler before */
            if (!open || !cur)
                rc = torta_err_set(e, TORTA_EINPUT, "--%s: \"%.*s\" is not a scheduler name "
                                   "(per-scheduler parameters follow the name and a colon, e.g. "
                                   "least-loaded/jsq:server.max_batch=32,scheduler.micro_params."
                                   "x=1)", opt, (int)len, p);
            else if (eq - p == 5 && strncmp(p, "label", 5) == 0) {
                free(cur->label);
                if (!(cur->label = strndup(eq + 1, len - 6)))
                    rc = oom(e);
                else if (!*cur->label)
                    rc = torta_err_set(e, TORTA_EINPUT, "--%s: scheduler \"%s\": empty label=",
                                       opt, cur->name);
            } else if (!(rc = check_key(opt, cur->name, p, (size_t)(eq - p), e))) {
                rc = add_set(cur, p, len, e);
                label_len = (size_t)(p + len - start);
            }
        } else { /* a new scheduler, perhaps with its first parameter after ':' */
            if (cur && !cur->label && !(cur->label = strndup(start, label_len)))
                rc = oom(e);
            start = p;
            open = colon != NULL;
            label_len = colon ? (size_t)(colon - p) : len;
            if (!rc)
                rc = add_entry(l, p, colon ? (size_t)(colon - p) : len, e);
            cur = rc ? NULL : &l->s[l->n - 1];
            if (!rc && colon) {
                const char *kv = colon + 1;
                size_t kl = len - (size_t)(kv - p);
                const char *keq = memchr(kv, '=', kl);
                if (!keq)
                    rc = torta_err_set(e, TORTA_EINPUT, "--%s: \"%.*s\": expected NAME:key=value "
                                       "after the colon", opt, (int)len, p);
                else if (keq - kv == 5 && strncmp(kv, "label", 5) == 0) {
                    if (!(cur->label = strndup(keq + 1, kl - 6)))
                        rc = oom(e);
                    else if (!*cur->label)
                        rc = torta_err_set(e, TORTA_EINPUT, "--%s: scheduler \"%s\": empty "
                                           "label=", opt, cur->name);
                } else if (!(rc = check_key(opt, cur->name, kv, (size_t)(keq - kv), e))) {
                    rc = add_set(cur, kv, kl, e);
                    label_len = len;
                }
            }
        }
        if (rc)
            return rc;
        if (!p[len])
            break;
        p += len + 1;
    }
    cli_sched *cur = &l->s[l->n - 1];
    if (!cur->label && !(cur->label = strndup(start, label_len)))
        return oom(e);
    return 0;
}

/* [ "name", {"name": ..., "label": ..., "set": {"key": value}} ] */
static int parse_file(const char *opt, const char *path, cli_sched_list *l, torta_err *e)
{
    cJSON *root = NULL;
    int rc = torta_json_read_file(path, &root, e);
    if (rc)
        return rc;
    if (!cJSON_IsArray(root) || cJSON_GetArraySize(root) == 0)
        rc = torta_err_set(e, TORTA_EINPUT, "--%s %s: expected a JSON list of schedulers: names "
                           "or {\"name\", \"label\", \"set\"}", opt, path);
    int i = 0;
    const cJSON *it, *items = rc ? NULL : root;
    cJSON_ArrayForEach(it, items)
    {
        const cJSON *name = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, "name") : it;
        const cJSON *label = cJSON_GetObjectItemCaseSensitive(it, "label");
        const cJSON *set = cJSON_GetObjectItemCaseSensitive(it, "set"), *k;
        const cJSON *keys = cJSON_IsObject(it) ? it : NULL;
        cJSON_ArrayForEach(k, keys)
        {
            if (!rc && strcmp(k->string, "name") && strcmp(k->string, "label") && strcmp(k->string, "set"))
                rc = torta_err_set(e, TORTA_EINPUT, "%s: [%d]: unknown key \"%s\" (expected name, "
                                   "label, set)", path, i, k->string);
        }
        if (!rc && (!cJSON_IsString(name) || !*name->valuestring))
            rc = torta_err_set(e, TORTA_EINPUT, "%s: [%d]%s: expected a scheduler name (a "
                               "non-empty string)", path, i, cJSON_IsObject(it) ? ".name" : "");
        else if (!rc && label && (!cJSON_IsString(label) || !*label->valuestring))
            rc = torta_err_set(e, TORTA_EINPUT, "%s: [%d].label: expected a non-empty string", path, i);
        else if (!rc && set && !cJSON_IsObject(set))
            rc = torta_err_set(e, TORTA_EINPUT, "%s: [%d].set: expected an object {\"key\": value}",
                               path, i);
        if (!rc)
            rc = add_entry(l, name->valuestring, strlen(name->valuestring), e);
        cli_sched *cur = rc ? NULL : &l->s[l->n - 1];
        char *deflabel = rc ? NULL : strdup(name->valuestring);
        if (!rc && !deflabel)
            rc = oom(e);
        const cJSON *kv, *sets = rc ? NULL : set;
        cJSON_ArrayForEach(kv, sets)
        {
            char *v = cJSON_IsString(kv) ? NULL : cJSON_PrintUnformatted(kv);
            cJSON *q = cJSON_IsString(kv) ? cJSON_CreateString(kv->valuestring) : NULL;
            char *qs = q ? cJSON_PrintUnformatted(q) : NULL;
            const char *val = v ? v : qs, *shown = v ? v : kv->valuestring;
            size_t n = val ? strlen(kv->string) + strlen(val) + 2 : 0;
            char *a = val ? malloc(n) : NULL, *dl = NULL;
            if (!a) {
                rc = oom(e);
            } else {
                snprintf(a, n, "%s=%s", kv->string, val);
                rc = check_key(opt, name->valuestring, kv->string, strlen(kv->string), e);
                if (!rc)
                    rc = add_set(cur, a, strlen(a), e);
                size_t dn = strlen(deflabel) + strlen(kv->string) + strlen(shown) + 3;
                if (!rc && (dl = malloc(dn))) {
                    snprintf(dl, dn, "%s%c%s=%s", deflabel, cur->n_sets == 1 ? ':' : ',', kv->string, shown);
                    free(deflabel);
                    deflabel = dl;
                } else if (!rc) {
                    rc = oom(e);
                }
            }
            free(a);
            free(v);
            free(qs);
            cJSON_Delete(q);
            if (rc)
                break;
        }
        if (!rc && !(cur->label = label ? strdup(label->valuestring) : deflabel))
            rc = oom(e);
        if (rc || label)
            free(deflabel);
        if (rc)
            break;
        i++;
    }
    cJSON_Delete(root);
    return rc;
}

int cli_sched_list_parse(const char *opt, const char *arg, cli_sched_list *l, torta_err *e)
{
    memset(l, 0, sizeof *l);
    size_t n = strlen(arg);
    int is_file = n > 5 && strcmp(arg + n - 5, ".json") == 0 && !strpbrk(arg, ":,");
    int rc = is_file ? parse_file(opt, arg, l, e) : parse_inline(opt, arg, l, e);
    for (int i = 0; !rc && i < l->n; i++) {
        char macro[128], micro[128];
        rc = torta_sched_resolve(l->s[i].name, macro, sizeof macro, micro, sizeof micro, e);
        for (int k = 0; !rc && k < i; k++)
            if (strcmp(l->s[k].label, l->s[i].label) == 0)
                rc = torta_err_set(e, TORTA_EINPUT, "--%s: \"%s\" is listed twice (give the "
                                   "entries distinct labels: NAME:label=X,...)", opt, l->s[i].label);
    }
    if (rc)
        cli_sched_list_free(l);
    return rc;
}

int cli_sched_sets(const cli_sched *s, char **sets, int *n, torta_err *e)
{
    int rc = torta_sched_sets(s->name, sets, n, e);
    for (int k = 0; !rc && k < s->n_sets; k++) {
        if (!(sets[*n] = strdup(s->sets[k])))
            return oom(e);
        (*n)++;
    }
    return rc;
}

void cli_sched_id(const char *label, char *out, size_t n)
{
    torta_id_sanitize(label, out, n);
    if (strlen(out) > 100 && n > 101) { /* keep folder names short: a prefix + hash of the whole */
        unsigned long long h = 1469598103934665603ull; /* FNV-1a */
        for (const unsigned char *p = (const unsigned char *)label; *p; p++)
            h = (h ^ *p) * 1099511628211ull;
        snprintf(out + 83, 18, "~%016llx", h);
    }
}
