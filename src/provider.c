/*
 * The provider profiles: one row per provider, each number with its
 * source.  Everything provider-specific lives in these rows, so the
 * rest of the program asks a row (p->sender, p->from, ...) and never
 * compares a provider's name.  Pacing numbers that no provider
 * publishes are our own conservative choices and say so in source.
 */
#include <stddef.h>
#include <strings.h>

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
		.auth_hint = "Gmail needs an app password: turn on 2-Step "
		    "Verification, then create one at Google Account → "
		    "Security → App passwords; use it as the password",
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
		.auth_hint = "Naver: enable POP3/SMTP in Naver Mail → "
		    "Settings → POP3/IMAP, and with 2-step "
		    "verification create an application password",
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
		.auth_hint = "check user and password with the server's "
		    "administrator",
		.source = "port 587 with STARTTLS: RFC 6409 and RFC 3207; "
		    "max_rcpt 100: the minimum RFC 5321 4.5.3.1.8 requires "
		    "servers to take; no pacing unless configured",
	},
};

const struct provider *
provider_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcasecmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

const struct provider *
provider_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}
