/*
 * mailmerge check: open one session per account as send would (connect,
 * STARTTLS, verify, EHLO, AUTH), say what it found, and QUIT.  Nothing
 * is sent; it is the first thing to run with a new configuration.
 */
#include <string.h>

#include "buf.h"
#include "check.h"
#include "config.h"
#include "conn.h"
#include "i18n.h"
#include "smtp.h"

/* One account's session: a note when it works, else -1 and e. */
static int
check_one(const struct job_params *p, const struct account *a,
    struct err *e)
{
	struct smtp_params sp;
	struct smtp_reply last;
	struct smtp *smtp;
	struct buf secret;
	struct err note;
	int rc = -1;

	buf_init(&secret, SECRETS_MAX);
	if (a->auth != SMTP_AUTH_NONE && config_secret(a, &secret, e) == -1)
		goto out;
	config_smtp_params(a, buf_str(&secret), p->trace, &sp);
	if (smtp_open(&smtp, &sp, &last, e) == 0) {
		err_set(&note, E_NONE, NULL, "[%s] %s:%s: connected, TLS "
		    "verified, logged in as %s%s%s", a->name, a->host,
		    a->port, a->user ? a->user : _("(no AUTH)"),
		    smtp_has(smtp, "PIPELINING") ? ", PIPELINING" : "",
		    smtp_has(smtp, "8BITMIME") ? ", 8BITMIME" : "");
		if (p->diag)
			p->diag(p->diag_arg, JOB_NOTE, &note);
		smtp_close(smtp);
		rc = 0;
		goto out;
	}
	err_where(e, "[%s] %s:%s", a->name, a->host, a->port);
	if (e->kind == E_AUTH && a->prov->auth_hint != NULL) {
		size_t n = strlen(e->msg);

		snprintf(e->msg + n, sizeof(e->msg) - n, "; %s",
		    _(a->prov->auth_hint));
	}
out:
	buf_wipe(&secret);
	return rc;
}

int
check_accounts(const struct job_params *p, struct err *e)
{
	struct config *cfg;
	struct err one;
	size_t i;
	int rc = 0;

	if (conn_global_init(e) == -1 || config_load(&cfg, p->config, e) == -1) {
		/* As send says it: check is the first thing a teacher runs. */
		if (p->diag)
			p->diag(p->diag_arg, JOB_ERROR, e);
		return -1;
	}
	for (i = 0; i < cfg->nacct; i++) {
		if (check_one(p, &cfg->acct[i], &one) == 0)
			continue;
		if (p->diag)
			p->diag(p->diag_arg, JOB_ERROR, &one);
		if (rc == 0 || one.kind == E_AUTH)
			*e = one;
		rc = -1;
	}
	config_free(cfg);
	return rc;
}
