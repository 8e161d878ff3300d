#ifndef ROUTE_H
#define ROUTE_H

#include <stddef.h>

#include "config.h"
#include "err.h"
#include "job.h"

/*
 * Which account a row goes through (config_route() by its first
 * recipient and the roster's "provider" column), and the From that
 * account gives a template without one: shared by preview -c and send.
 */

struct route {
	const struct config *cfg;	/* the accounts (borrowed), or NULL:
					   none, nothing is routed */
	const struct job *j;
	int		 provider_col;	/* the "provider" column, or -1 */
};

/* Route j's rows through cfg's accounts; both borrowed, j opened. */
void	route_init(struct route *rt, const struct config *cfg,
	    const struct job *j);

/*
 * The account of row rw, rendered into r by job_headers(): its index
 * in cfg->acct.  E_INPUT naming the row: no recipient, or no account
 * takes it.
 */
int	route_row(const struct route *rt, struct job_row *r,
	    const struct roster_row *rw, size_t *idx, struct err *e);

/* The From of mail through account a when the template has none. */
const char *route_from(const struct account *a);

/*
 * A job_checks.route for the validation pass (arg: a struct route):
 * route the row and put its account's From into o.  A row without a
 * recipient is left to the message check, which names the field.
 */
int	route_check(void *arg, struct job_row *r, const struct roster_row *rw,
	    struct job_build_opts *o, struct err *e);

#endif /* ROUTE_H */
