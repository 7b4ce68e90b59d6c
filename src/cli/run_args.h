/* Options shared by the subcommands that run simulations (run, train, compare, sweep): inputs,
 * configuration overrides and output, parsed into torta_run_opts + the effective config. */
#ifndef TORTA_CLI_RUN_ARGS_H
#define TORTA_CLI_RUN_ARGS_H

#include <getopt.h>
#include <stdio.h>

#include "torta/run.h"

typedef struct run_args {
    torta_run_opts ro;
    const char *config_path;
    char **sets;       /* --set values, and the ones --macro/--seed/... stand for */
    int n_sets;
    char **owned;      /* strings this struct allocated */
    int n_owned;
    int quiet, progress;
    int list_schedulers; /* --list-schedulers: print them (plugins included) instead of running */
    cJSON *config;     /* built by run_args_finish */
} run_args;

/* The shared options followed by a subcommand's own (`extra`, zero-terminated; codes below
 * 1000), as one malloc'ed getopt_long table. */
struct option *run_options_with(const struct option *extra);

void run_args_init(run_args *a, int argc);
/* Handles option c (from getopt_long on RUN_OPTIONS codes). Returns 1 if handled, 0 if not one
 * of the shared options, or -1 after printing an error (exit status 2). */
int run_args_option(run_args *a, int c, const char *arg);
/* Checks the inputs and builds the effective configuration. Prints the error and returns the
 * exit status on failure, 0 on success; with --list-schedulers, prints the schedulers (those of
 * --plugin included) and returns -1 (done, exit status 0). */
int run_args_finish(run_args *a, const char *cmd);
void run_args_free(run_args *a);
/* Appends a --set-style override ("key=value"); the string is copied. */
int run_args_add_set(run_args *a, const char *assignment);

/* Built-in and plugin schedulers with their summaries. */
void cli_list_schedulers(FILE *f);
void cli_print_warning(void *ud, const char *msg);
int cli_fail(const torta_err *e);

#endif
