#ifndef ERR_H
#define ERR_H

#include <stdarg.h>

/*
 * One error record for the whole program.  A function that can fail
 * returns 0 or -1 (or a documented negative) and fills a struct err.
 * Filling one never allocates.
 */

enum err_kind {
	E_NONE = 0,
	E_USAGE,	/* bad command line */
	E_NOINPUT,	/* an input file is missing or unreadable */
	E_INPUT,	/* bad roster, template or message data */
	E_CONFIG,	/* bad configuration */
	E_NET,		/* cannot connect, connection lost, timeout */
	E_TLS,		/* no TLS, handshake or verification failed */
	E_PROTO,	/* the peer broke the protocol */
	E_TEMP,		/* a 4xx reply */
	E_PERM,		/* a 5xx reply */
	E_AUTH,		/* authentication refused: never retried */
	E_OS,		/* a system call failed */
	E_INTERNAL	/* a bug */
};

#define ERR_WHERE_MAX	192
#define ERR_MSG_MAX	768	/* room for a translation */

struct err {
	enum err_kind	kind;
	char		where[ERR_WHERE_MAX];	/* file:line:field or line:col */
	char		msg[ERR_MSG_MAX];	/* what was expected, what to do */
};

/*
 * Fill e; where may be NULL.  fmt is translated (gettext) before it is
 * formatted.  Text cut to fit stays valid UTF-8.
 */
void	err_set(struct err *e, enum err_kind kind, const char *where,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* err_set() with the arguments in ap, for the callers' own wrappers. */
void	err_setv(struct err *e, enum err_kind kind, const char *where,
	    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* Replace e->where, formatted; e.g. after the caller learns the row. */
void	err_where(struct err *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Put fmt, translated and formatted, in front of e->msg ("row 7: " and
 * the old message); e->kind and e->where stay.  Text cut to fit stays
 * valid UTF-8.
 */
void	err_prefix(struct err *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

void	err_clear(struct err *e);

#endif /* ERR_H */
