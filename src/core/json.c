/* Typed cJSON accessors with path-naming errors. */
#include "torta/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/input_file.h"
#include "core/json_dupkeys.h"

int torta_json_parse(const char *text, const char *origin, cJSON **out, torta_err *e)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (!root) {
        int line = 1, col = 1;
        for (const char *p = text; end && p < end && *p; p++) {
            if (*p == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return torta_err_set(e, TORTA_EINPUT, "%s:%d:%d: JSON syntax error near '%.20s'", origin,
                             line, col, end ? end : "");
    }
    int rc = torta_json_check_dupkeys(text, origin, e);
    if (rc) {
        cJSON_Delete(root);
        return rc;
    }
    *out = root;
    return 0;
}

int torta_json_read_file(const char *path, cJSON **out, torta_err *e)
{
    int rc0 = torta_input_file_check(path, "", 0, e);
    if (rc0)
        return rc0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return torta_err_set(e, TORTA_EINPUT, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return torta_err_set(e, TORTA_ENOMEM, "out of memory reading %s", path);
    }
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(f);
                return torta_err_set(e, TORTA_ENOMEM, "out of memory reading %s", path);
            }
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return torta_err_set(e, TORTA_EIO, "%s: read error", path);
    }
    buf[n] = '\0';
    int rc = torta_json_parse(buf, path, out, e);
    free(buf);
    return rc;
}

int torta_json_num(const cJSON *obj, const char *key, const char *where, double lo, double hi,
                   int required, double def, double *out, torta_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        if (required)
            return torta_err_set(e, TORTA_EINPUT, "%s.%s: missing (a number is required)", where, key);
        *out = def;
        return 0;
    }
    if (!cJSON_IsNumber(v))
        return torta_err_set(e, TORTA_EINPUT, "%s.%s: expected a number", where, key);
    double x = v->valuedouble;
    if (!isfinite(x) || x < lo || x > hi)
        return torta_err_set(e, TORTA_EINPUT, "%s.%s: %g is outside [%g, %g]", where, key, x, lo, hi);
    *out = x;
    return 0;
}

int torta_json_int(const cJSON *obj, const char *key, const char *where, long lo, long hi,
                   int required, long def, long *out, torta_err *e)
{
    double x = 0;
    int rc = torta_json_num(obj, key, where, (double)lo, (double)hi, required, (double)def, &x, e);
    if (rc)
        return rc;
    if (x != floor(x))
        return torta_err_set(e, TORTA_EINPUT, "%s.%s: expected an integer, got %g", where, key, x);
    *out = (long)x;
    return 0;
}

int torta_json_str(const cJSON *obj, const char *key, const char *where, int required,
                   const char *def, const char **out, torta_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        if (required)
            return torta_err_set(e, TORTA_EINPUT, "%s.%s: missing (a string is required)", where, key);
        *out = def;
        return 0;
    }
    if (!cJSON_IsString(v))
        return torta_err_set(e, TORTA_EINPUT, "%s.%s: expected a string", where, key);
    *out = v->valuestring;
    return 0;
}

static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 1 << 20;
    int row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int prev = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cur = row[j];
            int sub = prev + (a[i - 1] != b[j - 1]);
            int del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
        }
    }
    return row[lb];
}

const char *torta_did_you_mean(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    int best_d = 1 << 20;
    for (size_t i = 0; candidates[i]; i++) {
        int d = edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    int limit = (int)strlen(word) / 3 + 1;
    return best_d <= limit ? best : NULL;
}

int torta_json_check_keys(const cJSON *obj, const char *where, const char *const *known,
                          torta_err *e)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        int found = 0;
        for (size_t i = 0; known[i] && !found; i++)
            found = strcmp(it->string, known[i]) == 0;
        if (!found) {
            const char *s = torta_did_you_mean(it->string, known);
            if (s)
                return torta_err_set(e, TORTA_EINPUT, "%s: unknown key \"%s\" (did you mean \"%s\"?)",
                                     where, it->string, s);
            return torta_err_set(e, TORTA_EINPUT, "%s: unknown key \"%s\"", where, it->string);
        }
    }
    return 0;
}
