#ifndef PROVIDER_H
#define PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

/*
 * What we know of each provider, as rows of a table: server, port,
 * pacing, caps and quirks.  Code asks the row, never the name: there is
 * no strcmp(name, "naver") anywhere else.  Each quirk has a line in
 * README's "Deviations".
 */

enum provider_tls {
	PROVIDER_STARTTLS = 0,	/* port 587, RFC 3207 */
	PROVIDER_TLS		/* implicit TLS, port 465, RFC 8314 */
};

enum provider_sender {
	PROVIDER_SENDER_ADDRESS = 0,	/* MAIL FROM is the account's address */
	PROVIDER_SENDER_USER		/* MAIL FROM is the bare user id */
};

enum provider_from {
	PROVIDER_FROM_ANY = 0,		/* From may differ from the account */
	PROVIDER_FROM_REWRITTEN,	/* the provider rewrites it: warn */
	PROVIDER_FROM_REFUSED		/* the provider refuses it: warn */
};

struct provider {
	const char	*name;		/* "gmail", "naver", "custom" */
	const char	*host;		/* NULL for custom: must be configured */
	const char	*port;
	enum provider_tls tls;
	unsigned	 rate_n;	/* default pace: rate_n mails ... */
	unsigned	 rate_ms;	/* ... per rate_ms milliseconds */
	unsigned	 max_per_session;	/* reconnect after this many; 0: no cap */
	unsigned	 daily_quota;	/* warn above this many a day; 0: unknown */
	unsigned	 max_rcpt;	/* recipients per message */
	enum provider_sender sender;
	enum provider_from from;
	bool		 needs_from_to;	/* refuses mail without From/To headers */
	const char	*imap_host;	/* bounces' mailbox (993, TLS), or NULL */
	const char	*domain;	/* address domain for a bare user id */
	const char	*auth_hint;	/* what to do when AUTH is refused */
	const char	*source;	/* where these numbers come from */
};

/* The profile called name, or NULL. */
const struct provider *provider_find(const char *name);

/* All profiles, for --help and README. */
const struct provider *provider_table(size_t *n);

#endif /* PROVIDER_H */
