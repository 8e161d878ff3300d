/*
 * The error record.  Formatting goes into fixed arrays so that error
 * paths never allocate; text that does not fit is cut back to a whole
 * UTF-8 character so that a cut message is still printable.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "i18n.h"
#include "utf8.h"

/* Cut a string vsnprintf() may have truncated back to a whole character. */
static void
trim(char *s, size_t size)
{
	size_t n = strlen(s);

	if (n + 1 == size)
		s[utf8_cut(s, n)] = '\0';
}

/*
 * The arguments may point into e itself (a message that quotes the
 * error before it), so the text is made aside first.
 */
void
err_setv(struct err *e, enum err_kind kind, const char *where,
    const char *fmt, va_list ap)
{
	char w[ERR_WHERE_MAX], m[ERR_MSG_MAX];

	if (e == NULL)
		return;
	snprintf(w, sizeof(w), "%s", where ? where : "");
	trim(w, sizeof(w));
	vsnprintf(m, sizeof(m), _(fmt), ap);
	trim(m, sizeof(m));
	e->kind = kind;
	memcpy(e->where, w, sizeof(w));
	memcpy(e->msg, m, sizeof(m));
}

void
err_set(struct err *e, enum err_kind kind, const char *where,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_setv(e, kind, where, fmt, ap);
	va_end(ap);
}

void
err_where(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(e->where, sizeof(e->where), fmt, ap);
	va_end(ap);
	trim(e->where, sizeof(e->where));
}

void
err_prefix(struct err *e, const char *fmt, ...)
{
	char old[ERR_MSG_MAX];
	va_list ap;
	int n;

	if (e == NULL)
		return;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), _(fmt), ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, "%s", old);
	trim(e->msg, sizeof(e->msg));
}

void
err_clear(struct err *e)
{
	if (e == NULL)
		return;
	e->kind = E_NONE;
	e->where[0] = '\0';
	e->msg[0] = '\0';
}
