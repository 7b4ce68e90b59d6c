/* The run record: config.json's "run" member, what `torta-sim rerun DIR` needs to repeat a run
 * from its output folder alone (inputs with their sha256, command line, commit). */
#ifndef TORTA_CLI_RUN_RECORD_H
#define TORTA_CLI_RUN_RECORD_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "cli/run_args.h"

/* The record of the run that `a` describes (after run_args_finish); argv: the command line as
 * typed. NULL on error (e filled). */
cJSON *run_record_build(const run_args *a, int argc, char **argv, torta_err *e);

/* Hashes the record's inputs again (paths relative to the current folder) and prints a warning
 * to `err` for each that changed or is missing. Returns how many did. */
int run_record_check_inputs(const cJSON *record, FILE *err);

#endif
