/* Duplicate-key check over JSON text: one pass with a stack of open objects and arrays; each
 * object's keys are sorted when it closes, so the check is O(n log n). */
#include "core/json_dupkeys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct key {
    const char *s; /* the key's text, without quotes */
    int len, line;
} key;

typedef struct frame {
    int object;    /* 1: {...}, 0: [...] */
    int first_key; /* index into keys[] of this object's first key */
    int index;     /* arrays: the current element */
    key name;      /* how the parent reaches it: its key, or s == NULL and name.len = index */
} frame;

typedef struct scan {
    key *keys;
    int n_keys, cap_keys;
    frame *st;
    int depth, cap_st;
} scan;

static int cmp_key(const void *a, const void *b)
{
    const key *x = a, *y = b;
    int n = x->len < y->len ? x->len : y->len, c = memcmp(x->s, y->s, (size_t)n);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static void path_of(const scan *sc, const key *k, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (int d = 1; d < sc->depth && used < n; d++) { /* frame 0 is the root */
        const key *nm = &sc->st[d].name;
        if (nm->s)
            used += (size_t)snprintf(out + used, n - used, "%s%.*s", used ? "." : "", nm->len, nm->s);
        else
            used += (size_t)snprintf(out + used, n - used, "[%d]", nm->len);
    }
    if (used < n)
        snprintf(out + used, n - used, "%s%.*s", used ? "." : "", k->len, k->s);
}

/* Sorts the closing object's keys; a pair of equal neighbours is a duplicate. */
static int close_object(scan *sc, const char *origin, torta_err *e)
{
    frame *f = &sc->st[sc->depth - 1];
    int n = sc->n_keys - f->first_key;
    if (n < 2) { /* nothing to compare (and no key array yet for an empty object) */
        sc->n_keys = f->first_key;
        return 0;
    }
    key *k = sc->keys + f->first_key;
    qsort(k, (size_t)n, sizeof *k, cmp_key);
    for (int i = 1; i < n; i++)
        if (k[i].len == k[i - 1].len && memcmp(k[i].s, k[i - 1].s, (size_t)k[i].len) == 0) {
            char path[600];
            path_of(sc, &k[i], path, sizeof path);
            return torta_err_set(e, TORTA_EINPUT, "%s:%d: duplicate key \"%s\" (also at line %d); "
                                 "give each key once", origin, k[i].line, path, k[i - 1].line);
        }
    sc->n_keys = f->first_key;
    return 0;
}

static int push(scan *sc, int object, key name)
{
    if (sc->depth == sc->cap_st) {
        int cap = sc->cap_st ? 2 * sc->cap_st : 32;
        frame *st = realloc(sc->st, sizeof *st * (size_t)cap);
        if (!st)
            return -1;
        sc->st = st;
        sc->cap_st = cap;
    }
    sc->st[sc->depth++] = (frame){object, sc->n_keys, 0, name};
    return 0;
}

static int add_key(scan *sc, key k)
{
    if (sc->n_keys == sc->cap_keys) {
        int cap = sc->cap_keys ? 2 * sc->cap_keys : 64;
        key *keys = realloc(sc->keys, sizeof *keys * (size_t)cap);
        if (!keys)
            return -1;
        sc->keys = keys;
        sc->cap_keys = cap;
    }
    sc->keys[sc->n_keys++] = k;
    return 0;
}

int torta_json_check_dupkeys(const char *text, const char *origin, torta_err *e)
{
    scan sc = {0};
    int line = 1, rc = 0, want_key = 0;
    key last = {NULL, 0, 0};
    for (const char *p = text; *p && !rc; p++) {
        frame *top = sc.depth ? &sc.st[sc.depth - 1] : NULL;
        switch (*p) {
        case '\n': line++; break;
        case '"': {
            const char *s = ++p;
            while (*p && *p != '"')
                p += (*p == '\\' && p[1]) ? 2 : 1;
            key k = {s, (int)(p - s), line};
            if (top && top->object && want_key) {
                last = k;
                want_key = 0;
                if (add_key(&sc, k))
                    rc = -1;
            }
            if (!*p)
                p--;
            break;
        }
        case '{':
        case '[': {
            key name = top && top->object ? last : (key){NULL, top ? top->index : 0, 0};
            if (push(&sc, *p == '{', name))
                rc = -1;
            want_key = *p == '{';
            break;
        }
        case '}':
        case ']':
            if (top && top->object)
                rc = close_object(&sc, origin, e);
            if (sc.depth)
                sc.depth--;
            want_key = 0;
            break;
        case ',':
            if (top && top->object)
                want_key = 1;
            else if (top)
                top->index++;
            break;
        default: break;
        }
    }
    if (rc == -1)
        rc = torta_err_set(e, TORTA_ENOMEM, "out of memory checking %s", origin);
    free(sc.keys);
    free(sc.st);
    return rc;
}
