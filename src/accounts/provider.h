#ifndef PROVIDER_H
#define PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp.h"

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
	const char	*auth_hint;	/* what to do when AUTH is refused
					   (535, an app password required) */
	const char	*quota_hint;	/* what to do when the daily sending
					   quota is used up (5.4.5), or NULL */
	const char	*source;	/* where these numbers come from */
};

/*
 * What a refusal means, beyond its code: whose problem it is.  Decided
 * by the rows of a table (provider or any, stage, enhanced code, text),
 * never by searching the text in the send loop.
 */
enum provider_class {
	PROVIDER_REPLY_ROW = 0,		/* the row's outcome: 4xx deferred, 5xx failed */
	PROVIDER_REPLY_QUOTA,		/* the account's sending limit: stop it */
	PROVIDER_REPLY_MAILBOX_FULL,	/* the recipient's mailbox is full */
	PROVIDER_REPLY_TOO_MANY_RCPT	/* too many recipients in one message */
};

/*
 * The class of a refusal by provider p (NULL: any) at stage st with
 * enhanced code enh ("" when none) and text; PROVIDER_REPLY_ROW when no
 * row of the table matches.
 */
enum provider_class provider_classify(const struct provider *p,
	    enum smtp_stage st, const char *enh, const char *text);

/* Which of a provider's hints a reply calls for. */
enum provider_hint {
	PROVIDER_HINT_NONE = 0,
	PROVIDER_HINT_AUTH,		/* the login was refused: auth_hint */
	PROVIDER_HINT_QUOTA		/* the daily quota is used up: quota_hint */
};

/*
 * p's advice of kind h (an N_() string, to be translated by the
 * caller), or NULL when p is NULL or has none: then the caller's
 * generic advice holds.
 */
const char *provider_hint(const struct provider *p, enum provider_hint h);

/* The profile called name, or NULL. */
const struct provider *provider_find(const char *name);

/* All profiles, for --help and README. */
const struct provider *provider_table(size_t *n);

#endif /* PROVIDER_H */
