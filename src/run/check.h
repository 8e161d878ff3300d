#ifndef CHECK_H
#define CHECK_H

#include "err.h"
#include "job.h"

/*
 * The check verb: per account, connect, STARTTLS, verify, EHLO, AUTH,
 * QUIT; sends nothing.  Each account's result goes to p->diag (note or
 * error), and so does a configuration error (E_CONFIG, nothing tried).
 * -1 with e the first failure (an E_AUTH one before others).
 */
int	check_accounts(const struct job_params *p, struct err *e);

#endif /* CHECK_H */
