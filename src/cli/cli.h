#ifndef CLI_H
#define CLI_H

#include "err.h"

/*
 * What the verbs outside main.c share with it.  `bounces` links libcurl
 * and GMime, which preview and send never call: it runs in a helper
 * program, mailmerge-bounces, so that mailmerge itself never maps them
 * (their pages added 4.3 MB to every run's peak memory).  The two
 * programs link the same objects but for run_bounces(): bounces_verb.c
 * in the helper, helper.c (which execs the helper) in mailmerge.
 */

/* `mailmerge bounces ...`: argv[0] is "bounces"; an exit status. */
int	run_bounces(int argc, char **argv);

/* Defined in main.c. */

/* "mailmerge: WHERE: LEVEL: MSG" on stderr, escaped for the terminal. */
void	print_err(const char *level, const struct err *e);

/* Print e as an error; the exit status for its kind. */
int	fail(const struct err *e);

/*
 * One line on stderr: fmt (translated) with arg, and where the help is;
 * EX_USAGE.
 */
int	usage_error(const char *verb, const char *fmt, const char *arg);

/* VERB's help and the exit statuses on stdout; EX_OK. */
int	verb_help(const char *name);

#endif /* CLI_H */
