/* The scheduler list of compare and capacity-search: names with optional per-scheduler
 * configuration, from the command line ("a,b:key=value,key=value,c") or a JSON file. */
#ifndef TORTA_CLI_SCHED_LIST_H
#define TORTA_CLI_SCHED_LIST_H

#include <stddef.h>

#include "torta/err.h"

typedef struct cli_sched {
    char *label; /* unique: the "scheduler" column, the point folder's prefix, --reference */
    char *name;  /* a preset, a macro scheduler or macro/micro (torta_sched_resolve) */
    char **sets; /* "key=value" overrides of this scheduler only (applied after the others) */
    int n_sets;
} cli_sched;

typedef struct cli_sched_list {
    cli_sched *s;
    int n;
} cli_sched_list;

/* Parses --schedulers: a list "A,B:key=value,key=value,C" (a token with '=' and no ':' before
 * it continues the parameters of the scheduler before it; label=NAME names that scheduler), or,
 * when the argument ends in ".json" and has no ':' or ',', a JSON file: a list of names or
 * {"name": ..., "label": ..., "set": {"key": value, ...}}. The names are resolved (unknown ones
 * fail with a did-you-mean); errors are TORTA_EINPUT naming the bad part. */
int cli_sched_list_parse(const char *opt, const char *arg, cli_sched_list *l, torta_err *e);
void cli_sched_list_free(cli_sched_list *l);
/* Appends to sets[*n] (malloc'ed strings) the overrides that select scheduler s: its name's
 * (macro, micro, autoscaler), then its own. Room needed: TORTA_SCHED_MAX_SETS + s->n_sets. */
int cli_sched_sets(const cli_sched *s, char **sets, int *n, torta_err *e);
/* The label as a folder-name fragment ([A-Za-z0-9._=+-]; over 100 characters: a prefix and a
 * hash of the whole). */
void cli_sched_id(const char *label, char *out, size_t n);

#endif
