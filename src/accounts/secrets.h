#ifndef SECRETS_H
#define SECRETS_H

#include "buf.h"
#include "err.h"

/*
 * Where an account's password comes from, and fetching it: from the
 * environment, a command's first output line, the config file itself,
 * or a no-echo prompt.  Secrets never reach argv, a message, a trace or
 * a core dump.
 */

#define SECRETS_MAX	4096	/* octets in a password or token */

enum secrets_src {
	SECRETS_PROMPT = 0,	/* ask on the terminal (no echo) */
	SECRETS_INLINE,		/* password = ... (file must be 0600) */
	SECRETS_ENV,		/* password_env = NAME */
	SECRETS_COMMAND		/* password_command = shell command */
};

struct secrets_ref {
	enum secrets_src src;
	const char	*arg;		/* env name, command or password */
	const char	*account;	/* section name, for messages */
	const char	*user;		/* shown in the prompt */
};

/*
 * Fetch r's secret into out (cap it small; the caller wipes it with
 * explicit_bzero).  The command runs under /bin/sh -c with only the
 * variables of SECRETS_ENV_KEEP (README "Passwords").  Calls
 * secrets_protect() first.  E_CONFIG naming the account and source,
 * never the secret or the command's output; out is left as it was.
 */
int	secrets_fetch(const struct secrets_ref *r, struct buf *out,
	    struct err *e);

/*
 * Keep secrets out of core dumps from now on: no core file
 * (RLIMIT_CORE 0) and not dumpable (PR_SET_DUMPABLE 0, which also
 * bars ptrace by other processes of the user).  Idempotent.
 */
void	secrets_protect(void);

#endif /* SECRETS_H */
