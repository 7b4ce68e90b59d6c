/* One-line errors for bad options of the subcommands: an unknown option is named, with the way
 * to the help, instead of the whole usage burying it. */
#ifndef TORTA_CLI_OPT_ERROR_H
#define TORTA_CLI_OPT_ERROR_H

#include <getopt.h>

/* Call before getopt_long(argc, argv, CLI_OPTSTRING, ...): getopt then prints nothing itself
 * and reports a missing value as ':' (unknown and ambiguous options as '?'). */
#define CLI_OPTSTRING ":"
void cli_opt_begin(void);

/* After getopt_long returned '?' or ':' (c): prints one line, e.g.
 * "torta-sim compare: unknown option --x; see torta-sim compare --help", and returns 2. */
int cli_bad_option(const char *cmd, int c, char *const *argv, const struct option *opts);

#endif
