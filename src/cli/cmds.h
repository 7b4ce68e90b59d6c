/* The simulation subcommands (each in its own file) and what main.c shares with them. */
#ifndef TORTA_CLI_CMDS_H
#define TORTA_CLI_CMDS_H

/* argv[0] is the subcommand name; return the process exit status. */
int cmd_train(int argc, char **argv);
int cmd_sweep(int argc, char **argv);       /* cmd_sweep.c: a grid of runs from a spec file */
int cmd_compare(int argc, char **argv);     /* cmd_compare.c: schedulers x seeds, mean +- CI */
int cmd_bench_check(int argc, char **argv); /* cmd_bench.c: benchmark sweep vs a baseline */
int cmd_capacity(int argc, char **argv);    /* cmd_capacity.c: saturation throughput per server type */
int cmd_rerun(int argc, char **argv);       /* cmd_rerun.c: repeat a run from its output folder */
int cmd_bound(int argc, char **argv);       /* cmd_bound.c: the perfect-foresight cost bound (LP) */
int cmd_capacity_search(int argc, char **argv); /* cmd_capacity_search.c: max rate within an SLO */

/* Installs the SIGINT/SIGTERM handler; the flag is set when one arrives. */
volatile int *cli_stop_flag(void);

#endif
