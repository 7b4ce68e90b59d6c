/* The simulation subcommands (each in its own file) and what main.c shares with them. */
#ifndef TORTA_CLI_CMDS_H
#define TORTA_CLI_CMDS_H

/* argv[0] is the subcommand name; return the process exit status. */
int cmd_train(int argc, char **argv);

/* Installs the SIGINT/SIGTERM handler; the flag is set when one arrives. */
volatile int *cli_stop_flag(void);

#endif
