/* Unique site names: a repeated label becomes "Label#2", "Label#3", ... in file order (the
 * k-th occurrence gets "#k" unless that name is taken, then the next free k). Hash sets keep it
 * linear, so a file where every node has the same label stays fast. */
#include "net/topo_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Open-addressing map from a borrowed string to an int. */
typedef struct strmap {
    size_t cap; /* power of two */
    const char **key;
    int *val;
} strmap;

static int strmap_init(strmap *m, size_t n)
{
    m->cap = 16;
    while (m->cap < 2 * n + 16)
        m->cap *= 2;
    m->key = calloc(m->cap, sizeof *m->key);
    m->val = calloc(m->cap, sizeof *m->val);
    return m->key && m->val ? 0 : TORTA_ENOMEM;
}

static void strmap_free(strmap *m)
{
    free(m->key);
    free(m->val);
}

/* The slot holding s, or the empty slot where it would go. */
static size_t strmap_slot(const strmap *m, const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    size_t i = (size_t)h & (m->cap - 1);
    while (m->key[i] && strcmp(m->key[i], s) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static int strmap_has(const strmap *m, const char *s)
{
    return m->key[strmap_slot(m, s)] != NULL;
}

/* Pointer to s's value, inserting s (value 0) when absent. Capacity is sized up front. */
static int *strmap_at(strmap *m, const char *s)
{
    size_t i = strmap_slot(m, s);
    m->key[i] = m->key[i] ? m->key[i] : s;
    return &m->val[i];
}

static void warn_renames(topo_builder *b, char **final)
{
    /* One warning per repeated label, at its first rename. */
    for (int i = 0; i < b->n_sites; i++) {
        const char *label = b->sites[i].name;
        if (strcmp(final[i], label) == 0)
            continue;
        int first = 1, count = 0, last = i;
        for (int j = 0; j < b->n_sites; j++) {
            if (strcmp(final[j], label) == 0 || strcmp(b->sites[j].name, label) != 0)
                continue;
            first &= j >= i;
            count++;
            last = j;
            if (!first)
                break;
        }
        if (first && count == 1)
            topo_warn(b, "%s: label '%s' is used by 2 nodes; renamed the node %s to '%s'",
                      b->path, label, b->sites[i].ref, final[i]);
        else if (first)
            topo_warn(b, "%s: label '%s' is used by %d nodes; renamed the later ones to '%s' ... "
                      "'%s'", b->path, label, count + 1, final[i], final[last]);
    }
}

int topo_make_names_unique(topo_builder *b, torta_err *e)
{
    int n = b->n_sites, rc = 0, renamed = 0;
    char **final = calloc((size_t)n + 1, sizeof *final);
    strmap orig = {0}, used = {0}, seen = {0};
    if (!final || strmap_init(&orig, (size_t)n) || strmap_init(&used, (size_t)n) ||
        strmap_init(&seen, (size_t)n))
        rc = torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", b->path);
    for (int i = 0; i < n && rc == 0; i++)
        *strmap_at(&orig, b->sites[i].name) = 1;
    for (int i = 0; i < n && rc == 0; i++) {
        const char *label = b->sites[i].name;
        int *k = strmap_at(&seen, label);
        if (++*k == 1) {
            final[i] = b->sites[i].name; /* kept; generated names never equal a label */
        } else {
            size_t len = strlen(label) + 24;
            char *cand = malloc(len);
            while (cand) {
                snprintf(cand, len, "%s#%d", label, *k);
                if (!strmap_has(&orig, cand) && !strmap_has(&used, cand))
                    break;
                ++*k;
            }
            if (!cand) {
                rc = torta_err_set(e, TORTA_ENOMEM, "%s: out of memory", b->path);
                break;
            }
            final[i] = cand;
            renamed = 1;
        }
        *strmap_at(&used, final[i]) = 1;
    }
    if (rc == 0 && renamed)
        warn_renames(b, final);
    for (int i = 0; final && i < n; i++) {
        if (final[i] == b->sites[i].name || !final[i])
            continue;
        if (rc == 0) {
            free(b->sites[i].name);
            b->sites[i].name = final[i];
        } else {
            free(final[i]);
        }
    }
    strmap_free(&orig);
    strmap_free(&used);
    strmap_free(&seen);
    free(final);
    return rc;
}
