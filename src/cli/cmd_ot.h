/* `torta-sim ot`: solve one optimal-transport problem given as CSV files and print the plan. */
#ifndef TORTA_CLI_CMD_OT_H
#define TORTA_CLI_CMD_OT_H

/* argv[0] is the subcommand name ("ot"), options follow: main() calls
 * torta_cmd_ot(argc - 1, argv + 1). Prints the plan to stdout, messages to stderr. Returns the
 * process exit status: 0 ok, 2 bad input or usage, 1 other failures (unreadable file, memory). */
int torta_cmd_ot(int argc, char **argv);

#endif
