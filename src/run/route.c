/*
 * Routing: a rendered row to the account that sends it.  The rule
 * itself is config_route()'s; this file feeds it the row's first
 * recipient and "provider" cell and names the row in its errors.
 */
#include "route.h"

void
route_init(struct route *rt, const struct config *cfg, const struct job *j)
{
	rt->cfg = cfg;
	rt->j = j;
	rt->provider_col = cfg != NULL ? job_provider_col(j) : -1;
}

int
route_row(const struct route *rt, struct job_row *r,
    const struct roster_row *rw, size_t *idx, struct err *e)
{
	const char *first = job_first(r);

	if (first[0] == '\0') {
		err_set(e, E_INPUT, NULL, "row %zu has no recipient in To, Cc "
		    "or Bcc", rw->row);
		job_where(rt->j, rw, e);
		return -1;
	}
	if (config_route(rt->cfg, first, rt->provider_col < 0 ?
	    NULL : rw->fields[rt->provider_col], idx, e) == -1) {
		e->kind = E_INPUT;
		err_prefix(e, "row %zu: ", rw->row);
		job_where(rt->j, rw, e);
		return -1;
	}
	return 0;
}

const char *
route_from(const struct account *a)
{
	return a->from != NULL ? a->from : a->from_addr;
}

int
route_check(void *arg, struct job_row *r, const struct roster_row *rw,
    struct job_build_opts *o, struct err *e)
{
	const struct route *rt = arg;
	size_t idx;

	if (rt->cfg == NULL || job_first(r)[0] == '\0')
		return 0;	/* the message check names what is wrong */
	if (route_row(rt, r, rw, &idx, e) == -1)
		return -1;
	o->from_default = route_from(&rt->cfg->acct[idx]);
	return 0;
}
