/* Effective configuration: embedded defaults + user file + --set overrides, validated against
 * the defaults' shape. */
#include "torta/config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torta/json.h"

/* Objects whose keys are names chosen by the user (new keys allowed, values unconstrained). */
static const char *const open_maps[] = {"gpus", "models", "profiles", "regions.overrides",
                                        "scheduler.macro_params", "scheduler.micro_params",
                                        "workload.origin_weights", "workload.model_mix",
                                        "faults.mtbf_h", "capacity.scheduled", NULL};
/* Keys whose value may be a string or an object. */
static const char *const flexible[] = {"workload.origin_weights", "regions.sites", "seed", NULL};

static int in_list(const char *const *list, const char *path)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], path) == 0)
            return 1;
    return 0;
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsBool(v))
        return "true/false";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "null";
}

static int same_kind(const cJSON *a, const cJSON *b)
{
    if (cJSON_IsBool(a))
        return cJSON_IsBool(b);
    return (a->type & 0xFF) == (b->type & 0xFF);
}

/* Merges src into dst in place, checking src against dst's shape. `path` is dst's dotted path;
 * inside an open map (`open`) any key goes, and objects still merge key by key, so that
 * --set a.b.x=1 --set a.b.y=2 keeps both. */
static int merge(cJSON *dst, const cJSON *src, const char *path, int open, const char *origin,
                 torta_err *e)
{
    open = open || in_list(open_maps, path);
    const cJSON *it;
    cJSON_ArrayForEach(it, src)
    {
        char sub[512];
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", it->string);
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(dst, it->string);
        if (!cur && !open) {
            const char *names[256];
            size_t n = 0;
            const cJSON *k;
            cJSON_ArrayForEach(k, dst) if (n < 255) names[n++] = k->string;
            names[n] = NULL;
            const char *s = torta_did_you_mean(it->string, names);
            if (s)
                return torta_err_set(e, TORTA_EINPUT, "%s: unknown key \"%s\" (did you mean \"%s\"?)",
                                     origin, sub, s);
            return torta_err_set(e, TORTA_EINPUT, "%s: unknown key \"%s\"", origin, sub);
        }
        if (cur && !open && !in_list(flexible, sub) && !same_kind(cur, it))
            return torta_err_set(e, TORTA_EINPUT, "%s: \"%s\" must be %s, not %s", origin, sub,
                                 type_name(cur), type_name(it));
        if (cur && cJSON_IsObject(cur) && cJSON_IsObject(it)) {
            int rc = merge(cur, it, sub, open, origin, e);
            if (rc)
                return rc;
            continue;
        }
        cJSON *copy = cJSON_Duplicate(it, 1);
        if (!copy)
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        if (cur)
            cJSON_ReplaceItemInObjectCaseSensitive(dst, it->string, copy);
        else
            cJSON_AddItemToObject(dst, it->string, copy);
    }
    return 0;
}

static int load_embedded(const char *name, cJSON **out, torta_err *e)
{
    const char *text = torta_embedded_config(name);
    if (!text)
        return torta_err_set(e, TORTA_EINTERNAL, "configs/%s is not embedded in this build", name);
    char origin[128];
    snprintf(origin, sizeof origin, "embedded configs/%s", name);
    return torta_json_parse(text, origin, out, e);
}

const cJSON *torta_config_at(const cJSON *root, const char *path)
{
    char key[256];
    const cJSON *cur = root;
    while (cur && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        cur = cJSON_GetObjectItemCaseSensitive(cur, key);
        path += n + (path[n] == '.');
    }
    return cur;
}

#define SEED_NUMBER_LIMIT 9007199254740992.0 /* 2^53: from there on a JSON number loses digits */

int torta_parse_seed(const char *text, uint64_t *seed, torta_err *e)
{
    if (!*text || strspn(text, "0123456789") != strlen(text))
        return torta_err_set(e, TORTA_EINPUT, "\"%.60s\": expected a whole number in decimal digits "
                             "(0 to 18446744073709551615)", text);
    errno = 0;
    char *end;
    unsigned long long x = strtoull(text, &end, 10);
    if (errno == ERANGE)
        return torta_err_set(e, TORTA_EINPUT, "\"%.60s\": above the largest seed, "
                             "18446744073709551615", text);
    *seed = (uint64_t)x;
    return 0;
}

cJSON *torta_seed_json(uint64_t seed)
{
    if (seed < (uint64_t)SEED_NUMBER_LIMIT)
        return cJSON_CreateNumber((double)seed);
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)seed);
    return cJSON_CreateString(text);
}

int torta_config_seed(const cJSON *root, uint64_t *seed, torta_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "seed");
    if (cJSON_IsString(v)) {
        int rc = torta_parse_seed(v->valuestring, seed, e);
        return rc ? torta_err_prefix(e, "config.seed") : 0;
    }
    if (!cJSON_IsNumber(v))
        return torta_err_set(e, TORTA_EINPUT, "config.seed: expected a whole number");
    double x = v->valuedouble;
    if (!(x >= 0) || x != floor(x) || x >= SEED_NUMBER_LIMIT)
        return torta_err_set(e, TORTA_EINPUT, "config.seed: %.17g: expected a whole number from 0 "
                             "to 2^53 - 1 (larger seeds: give them as a string of digits, \"seed\": "
                             "\"18446744073709551615\")", x);
    *seed = (uint64_t)x;
    return 0;
}

int torta_config_set(cJSON *root, const char *assignment, torta_err *e)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return torta_err_set(e, TORTA_EINPUT, "--set %s: expected path.to.key=value", assignment);
    char path[512];
    size_t plen = (size_t)(eq - assignment);
    if (plen >= sizeof path)
        return torta_err_set(e, TORTA_EINPUT, "--set: path too long");
    memcpy(path, assignment, plen);
    path[plen] = '\0';
    const char *text = eq + 1;
    const char *end = NULL;
    cJSON *value = cJSON_ParseWithOpts(text, &end, 1); /* the whole value, or not JSON */
    /* Text that starts like a JSON number, list, object or string must be one, whole: "64abc"
     * or "30,45" is a typo, not the string it would otherwise become. */
    if (!value && strchr("-0123456789[{\"", text[0]) && text[0])
        return torta_err_set(e, TORTA_EINPUT, "--set %s: \"%s\" is not a valid value (a number, "
                             "list or object must be the whole value; quote a string: '\"...\"')",
                             assignment, text);
    if (!value)
        value = cJSON_CreateString(text);
    if (!value)
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    /* Build {"a": {"b": value}} and merge it, so --set obeys the same schema as files. */
    cJSON *patch = value;
    char *dot;
    while ((dot = strrchr(path, '.')) != NULL) {
        cJSON *obj = cJSON_CreateObject();
        if (!obj || !cJSON_AddItemToObject(obj, dot + 1, patch)) {
            cJSON_Delete(obj);
            cJSON_Delete(patch);
            return torta_err_set(e, TORTA_ENOMEM, "out of memory");
        }
        patch = obj;
        *dot = '\0';
    }
    cJSON *top = cJSON_CreateObject();
    if (!top || !cJSON_AddItemToObject(top, path, patch)) {
        cJSON_Delete(top);
        cJSON_Delete(patch);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory");
    }
    char origin[600];
    snprintf(origin, sizeof origin, "--set %.*s", (int)plen, assignment);
    int rc = merge(root, top, "", 0, origin, e);
    cJSON_Delete(top);
    return rc;
}

int torta_config_build(const char *user_path, const char *const *sets, int n_sets, cJSON **out,
                       torta_err *e)
{
    static const char *const sections[] = {"gpus", "models", "profiles"};
    cJSON *root = NULL;
    int rc = load_embedded("default.json", &root, e);
    if (rc)
        return rc;
    for (size_t i = 0; i < sizeof sections / sizeof *sections; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.json", sections[i]);
        cJSON *sec = NULL;
        rc = load_embedded(name, &sec, e);
        if (rc) {
            cJSON_Delete(root);
            return rc;
        }
        cJSON_AddItemToObject(root, sections[i], sec);
    }
    if (user_path) {
        cJSON *user = NULL;
        rc = torta_json_read_file(user_path, &user, e);
        if (!rc && !cJSON_IsObject(user))
            rc = torta_err_set(e, TORTA_EINPUT, "%s: the configuration must be a JSON object", user_path);
        /* A run's config.json may be given as --config: its "run" record is not configuration. */
        cJSON_DeleteItemFromObjectCaseSensitive(user, "run");
        if (!rc)
            rc = merge(root, user, "", 0, user_path, e);
        cJSON_Delete(user);
        if (rc) {
            cJSON_Delete(root);
            return rc;
        }
    }
    for (int i = 0; i < n_sets; i++) {
        rc = torta_config_set(root, sets[i], e);
        if (rc) {
            cJSON_Delete(root);
            return rc;
        }
    }
    *out = root;
    return 0;
}
