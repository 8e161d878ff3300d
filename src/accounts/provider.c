/*
 * The provider profiles: one row per provider, each number with its
 * source.  Everything provider-specific lives in these rows, so the
 * rest of the program asks a row (p->sender, p->from, ...) and never
 * compares a provider's name.  Pacing numbers that no provider
 * publishes are our own conservative choices and say so in source.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "nitems.h"
#include "provider.h"

#define MIN_MS	(60 * 1000)

static const struct provider table[] = {
	{
		.name = "gmail",
		.host = "smtp.gmail.com",
		.port = "587",
		.tls = PROVIDER_STARTTLS,
		.rate_n = 20,
		.rate_ms = MIN_MS,
		.max_per_session = 100,
		.daily_quota = 500,
		.max_rcpt = 100,
		.sender = PROVIDER_SENDER_ADDRESS,
		.from = PROVIDER_FROM_REWRITTEN,
		.needs_from_to = false,
		.imap_host = "imap.gmail.com",
		.domain = "gmail.com",
		.auth_hint = N_("Gmail needs an app password: turn on 2-Step "
		    "Verification, then create one at Google Account → "
		    "Security → App passwords; use it as the password"),
		.quota_hint = N_("Gmail: wait 24 h, then resume; send fewer "
		    "mails a day"),
		.source = "server, port (and imap.gmail.com:993): Google's \"Set up other mail "
		    "clients\" help; daily_quota 500 recipients/day for "
		    "personal accounts (2,000 for Workspace) and max_rcpt 100 "
		    "(POP/IMAP clients): Google's \"Gmail sending limits\" "
		    "help pages (support.google.com/mail/answer/22839, "
		    "support.google.com/a/answer/166852); rate 20/min and "
		    "100 per session: our conservative choice, not published",
	},
	{
		.name = "naver",
		.host = "smtp.naver.com",
		.port = "587",
		.tls = PROVIDER_STARTTLS,
		.rate_n = 10,
		.rate_ms = MIN_MS,
		.max_per_session = 50,
		.daily_quota = 0,
		.max_rcpt = 100,
		.sender = PROVIDER_SENDER_ADDRESS,
		.from = PROVIDER_FROM_REFUSED,
		.needs_from_to = true,
		.imap_host = "imap.naver.com",
		.domain = "naver.com",
		.auth_hint = N_("Naver: enable POP3/SMTP in Naver Mail → "
		    "Settings → POP3/IMAP, and with 2-step "
		    "verification create an application password"),
		.quota_hint = N_("Naver publishes no daily limit: wait until "
		    "tomorrow, then resume; send fewer mails a day"),
		.source = "server, port (and imap.naver.com:993), SMTP "
		    "switch: Naver Mail's POP3/IMAP "
		    "settings page; needs From/To and the account id as "
		    "envelope sender: the seed's 2022 trace (the full "
		    "address is accepted too, so it is our default; "
		    "envelope_sender = user restores the id); max_rcpt 100: "
		    "reported; daily quota: not published; rate 10/min and "
		    "50 per session: our conservative choice",
	},
	{
		.name = "custom",
		.host = NULL,
		.port = "587",
		.tls = PROVIDER_STARTTLS,
		.rate_n = 0,
		.rate_ms = 0,
		.max_per_session = 0,
		.daily_quota = 0,
		.max_rcpt = 100,
		.sender = PROVIDER_SENDER_ADDRESS,
		.from = PROVIDER_FROM_ANY,
		.needs_from_to = false,
		.domain = NULL,
		.auth_hint = N_("check user and password with the server's "
		    "administrator"),
		.quota_hint = NULL,
		.source = "port 587 with STARTTLS: RFC 6409 and RFC 3207; "
		    "max_rcpt 100: the minimum RFC 5321 4.5.3.1.8 requires "
		    "servers to take; no pacing unless configured",
	},
};

/* Stages as bits, for the rows below. */
#define AT(st)		(1u << (st))
#define AT_MAIL		AT(SMTP_STAGE_MAIL)
#define AT_RCPT		AT(SMTP_STAGE_RCPT)
#define AT_DATA		AT(SMTP_STAGE_DATA)
#define AT_EOM		AT(SMTP_STAGE_EOM)

/*
 * How to read a refusal.  The first matching row wins; no row: the
 * row's own outcome.  An account-level limit is known by its enhanced
 * code AND its stage: at RCPT a reply concerns that recipient only
 * (RFC 5321 §4.2.5: the transaction goes on), so "over quota" there is
 * the student's full mailbox, never the account's daily quota.
 */
struct reply_rule {
	const char	*provider;	/* a profile's name, or NULL: any */
	unsigned	 stages;	/* AT_* bits */
	const char	*enh;		/* enhanced code; 'x' matches a digit */
	const char	*text;		/* must occur in the text (any case), or NULL */
	enum provider_class class;
	const char	*source;
};

static const struct reply_rule rules[] = {
	{ NULL, AT_RCPT, "x.2.2", NULL, PROVIDER_REPLY_MAILBOX_FULL,
	    "RFC 3463 X.2.2 mailbox full; Gmail: \"452 4.2.2 The email "
	    "account that you tried to reach is over quota\"" },
	{ NULL, AT_RCPT, "x.5.3", NULL, PROVIDER_REPLY_TOO_MANY_RCPT,
	    "RFC 3463 X.5.3 too many recipients; RFC 5321 §4.5.3.1.10 "
	    "(452 at RCPT); Gmail: \"452 4.5.3 Your message has too many "
	    "recipients\"" },
	{ NULL, AT_MAIL | AT_DATA | AT_EOM, "5.4.5", NULL,
	    PROVIDER_REPLY_QUOTA,
	    "Gmail: \"550 5.4.5 Daily user sending quota exceeded\" "
	    "(support.google.com/a/answer/3726730); Workspace: \"550 5.4.5 "
	    "Daily SMTP relay limit exceeded\"" },
	{ NULL, AT_MAIL | AT_DATA | AT_EOM, "4.7.0", "sending limit",
	    PROVIDER_REPLY_QUOTA,
	    "Gmail's temporary form: \"4.7.0 ... daily sending limit\"; a "
	    "bare 4.7.0 is also a login or TLS throttle, hence the text" },
	{ NULL, AT_MAIL | AT_DATA | AT_EOM, "4.7.0", "quota",
	    PROVIDER_REPLY_QUOTA, "as above" },
};

/* Does s ("4.2.2") match the pattern p ("x.2.2")? */
static bool
enh_match(const char *p, const char *s)
{
	for (; *p != '\0' && *s != '\0'; p++, s++)
		if (*p != *s && !(*p == 'x' && isdigit((unsigned char)*s)))
			return false;
	return *p == '\0' && *s == '\0';
}

/* Does needle occur in hay, ignoring ASCII case? */
static bool
has_text(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

enum provider_class
provider_classify(const struct provider *p, enum smtp_stage st,
    const char *enh, const char *text)
{
	const struct reply_rule *r;
	size_t i;

	for (i = 0; i < nitems(rules); i++) {
		r = &rules[i];
		if (r->provider != NULL && (p == NULL ||
		    strcasecmp(r->provider, p->name) != 0))
			continue;
		if ((r->stages & AT(st)) == 0 || !enh_match(r->enh, enh))
			continue;
		if (r->text != NULL && !has_text(text, r->text))
			continue;
		return r->class;
	}
	return PROVIDER_REPLY_ROW;
}

const char *
provider_hint(const struct provider *p, enum provider_hint h)
{
	if (p == NULL)
		return NULL;
	switch (h) {
	case PROVIDER_HINT_AUTH:
		return p->auth_hint;
	case PROVIDER_HINT_QUOTA:
		return p->quota_hint;
	default:
		return NULL;
	}
}

const struct provider *
provider_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < nitems(table); i++)
		if (strcasecmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

const struct provider *
provider_table(size_t *n)
{
	*n = nitems(table);
	return table;
}
