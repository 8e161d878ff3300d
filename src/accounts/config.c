/*
 * The configuration file: INI with one section per sending account.
 *
 * Parsing is a line loop over a table of keys, one setter each; a
 * section's defaults (server, port, pacing, envelope sender) come from
 * its provider profile once the section ends, since "provider =" may
 * come after the keys it affects.  Every error names "path:line", the
 * key, and the valid choices.  Two keys set timeouts (tests use short
 * ones): "timeout" (a command's reply and the reply after ".") and
 * "connect_timeout", in seconds or with an "ms" suffix.
 *
 * Routing is by exact recipient domain: a route "naver.com" takes
 * x@naver.com but not x@mail.naver.com.  Providers' mail domains are
 * exact names, and an exact rule never sends a row through an account
 * the user did not name; "*" takes the rest.
 *
 * Passwords are fetched on demand by the secrets module.  Since the file
 * can name a command to run, a file others can write (group or world
 * writable, or owned by someone other than the caller or root) is
 * refused whatever it holds, as ssh and msmtp refuse theirs.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "i18n.h"
#include "message.h"
#include "nitems.h"
#include "provider.h"
#include "secrets.h"
#include "smtp.h"
#include "utf8.h"
#include "xalloc.h"

#define CONFIG_LINE_MAX		4096	/* bytes in one line */
#define CONFIG_ACCT_MAX		64	/* sections in one file */
#define CONFIG_ROUTE_MAX	256	/* domains in one route */
#define CONFIG_RATE_N_MAX	1000000	/* mails in one rate window */
#define CONFIG_SESSION_MAX	1000000	/* max_per_session */
#define CONFIG_TIMEOUT_MS_MAX	(3600 * 1000)	/* one hour */
#define LOCAL_CONF		"./mailmerge.conf"

enum key {
	K_PROVIDER, K_HOST, K_PORT, K_TLS, K_CA_FILE, K_USER, K_PASSWORD,
	K_PASSWORD_ENV, K_PASSWORD_COMMAND, K_FROM, K_ROUTE, K_RATE,
	K_MAX_PER_SESSION, K_AUTH, K_ENVELOPE_SENDER, K_HELO, K_TIMEOUT,
	K_CONNECT_TIMEOUT, K_IMAP_HOST, K_IMAP_PORT, K_IMAP_TLS, K_IMAP_FOLDER,
	K_IMAP_USER, K_N
};

struct parse {
	const char	*path;
	size_t		 line;		/* current line, 1-based */
	struct config	*c;
	struct account	*a;		/* current section, or NULL */
	size_t		 key_line[K_N];	/* where a key was set; 0: not */
	bool		 has_password;	/* a "password =" anywhere */
	bool		 in_relay;	/* in [relay]: p->a is its creds */
	struct err	*e;
};

struct key_def {
	const char	*name;
	int		(*set)(struct parse *, char *);
};

struct from_seen {
	size_t		 count;		/* mailboxes in from */
	char		*addr;		/* a copy of the first one's
					   addr-spec */
};

struct choice {
	const char	*name;
	int		 val;
};

static const struct choice tls_choice[] = {
	{ "starttls", PROVIDER_STARTTLS },
	{ "tls", PROVIDER_TLS },
	{ NULL, 0 }
};

static const struct choice auth_choice[] = {
	{ "auto", SMTP_AUTH_AUTO },
	{ "plain", SMTP_AUTH_PLAIN },
	{ "login", SMTP_AUTH_LOGIN },
	{ "xoauth2", SMTP_AUTH_XOAUTH2 },
	{ "none", SMTP_AUTH_NONE },
	{ NULL, 0 }
};

static const struct choice sender_choice[] = {
	{ "address", PROVIDER_SENDER_ADDRESS },
	{ "user", PROVIDER_SENDER_USER },
	{ NULL, 0 }
};

static const struct choice unit_choice[] = {
	{ "s", 1000 },
	{ "min", 60 * 1000 },
	{ "h", 60 * 60 * 1000 },
	{ "day", 24 * 60 * 60 * 1000 },
	{ NULL, 0 }
};

static int	fail(struct parse *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Set an E_CONFIG error at path:line (line 0: the path alone). */
static int
fail(struct parse *p, size_t line, const char *fmt, ...)
{
	char where[ERR_WHERE_MAX];
	va_list ap;

	if (line > 0)
		snprintf(where, sizeof(where), "%s:%zu", p->path, line);
	else
		snprintf(where, sizeof(where), "%s", p->path);
	va_start(ap, fmt);
	err_setv(p->e, E_CONFIG, where, fmt, ap);
	va_end(ap);
	return -1;
}

/* "a, b, c" from the names of a choice table, into out. */
static const char *
choice_list(const struct choice *t, char *out, size_t size)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; t[i].name != NULL && n < size; i++)
		n += snprintf(out + n, size - n, "%s%s", i ? ", " : "",
		    t[i].name);
	return out;
}

static int
choose(const struct choice *t, const char *v, int *val)
{
	size_t i;

	for (i = 0; t[i].name != NULL; i++) {
		if (strcasecmp(t[i].name, v) == 0) {
			*val = t[i].val;
			return 0;
		}
	}
	return -1;
}

/* A choice-valued key: set *val or fail listing the choices. */
static int
set_choice(struct parse *p, const char *key, const struct choice *t,
    const char *v, int *val)
{
	char list[128];

	if (choose(t, v, val) == 0)
		return 0;
	return fail(p, p->line, "bad %s \"%s\": expected one of %s", key, v,
	    choice_list(t, list, sizeof(list)));
}

/* Decimal digits only, 0..max. */
static int
parse_uint(const char *s, unsigned long max, unsigned *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* A host, helo or env name: printable, no space, no quotes or brackets. */
static bool
is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || strchr("<>\"'[]\\", *s) != NULL)
			return false;
	return true;
}

/* An addr-spec we can put into MAIL FROM: local@domain, no specials. */
static bool
is_addr(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t i;

	if (n == 0 || n > ADDR_MAX || at == NULL || at == s ||
	    at == s + n - 1 || memchr(at + 1, '@', s + n - at - 1) != NULL)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || strchr("<>\",;()[]\\",
		    s[i]) != NULL)
			return false;
	return true;
}

static int
set_provider(struct parse *p, char *v)
{
	const struct provider *t;
	char list[128];
	size_t i, n, len = 0;

	p->a->prov = provider_find(v);
	if (p->a->prov != NULL)
		return 0;
	t = provider_table(&n);
	list[0] = '\0';
	for (i = 0; i < n && len < sizeof(list); i++)
		len += snprintf(list + len, sizeof(list) - len, "%s%s",
		    i ? ", " : "", t[i].name);
	return fail(p, p->line, "unknown provider \"%s\" in [%s]: expected "
	    "one of %s", v, p->a->name, list);
}

static int
set_host(struct parse *p, char *v)
{
	if (!is_token(v))
		return fail(p, p->line, "bad host \"%s\": expected a host "
		    "name or address", v);
	p->a->host = xstrdup(v);
	return 0;
}

static int
set_port(struct parse *p, char *v)
{
	unsigned port;

	if (parse_uint(v, 65535, &port) == -1 || port == 0)
		return fail(p, p->line, "bad port \"%s\": expected a number "
		    "from 1 to 65535 (587 for STARTTLS, 465 for TLS)", v);
	p->a->port = xstrdup(v);
	return 0;
}

static int
set_tls(struct parse *p, char *v)
{
	int val;

	if (set_choice(p, "tls", tls_choice, v, &val) == -1)
		return -1;
	p->a->tls = (enum provider_tls)val;
	return 0;
}

/* A relative ca_file is found from the config file's folder. */
static int
set_ca_file(struct parse *p, char *v)
{
	const char *slash = strrchr(p->path, '/');
	size_t dir, n;

	if (v[0] == '/' || slash == NULL) {
		p->a->ca_file = xstrdup(v);
		return 0;
	}
	dir = (size_t)(slash - p->path) + 1;
	n = dir + strlen(v) + 1;
	p->a->ca_file = xmalloc(n);
	snprintf(p->a->ca_file, n, "%.*s%s", (int)dir, p->path, v);
	return 0;
}

static int
set_user(struct parse *p, char *v)
{
	if (strpbrk(v, " \t<>\"") != NULL)
		return fail(p, p->line, "bad user \"%s\": expected the "
		    "account's login id or address, without spaces or <>", v);
	p->a->user = xstrdup(v);
	return 0;
}

/* Each account has at most one password source. */
static int
set_secret(struct parse *p, enum secrets_src src, const char *v)
{
	if (p->a->secret_src != SECRETS_PROMPT)
		return fail(p, p->line, "[%s] has more than one of password, "
		    "password_env and password_command: keep one",
		    p->a->name);
	p->a->secret_src = src;
	p->a->secret_arg = xstrdup(v);
	return 0;
}

static int
set_password(struct parse *p, char *v)
{
	/* The password is held from now on: keep it out of core dumps. */
	secrets_protect();
	p->has_password = true;
	return set_secret(p, SECRETS_INLINE, v);
}

static int
set_password_env(struct parse *p, char *v)
{
	const char *s;

	for (s = v; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return fail(p, p->line, "bad password_env \"%s\": "
			    "expected an environment variable name such as "
			    "GMAIL_APP_PASSWORD", v);
	return set_secret(p, SECRETS_ENV, v);
}

static int
set_password_command(struct parse *p, char *v)
{
	return set_secret(p, SECRETS_COMMAND, v);
}

/*
 * message_parse_addrs callback: count mailboxes, copy the first (addr
 * lives only as long as the call).
 */
static int
from_put(void *arg, const char *name, size_t nlen, const char *addr,
    size_t alen)
{
	struct from_seen *f = arg;

	(void)name;
	(void)nlen;
	if (f->count++ == 0)
		f->addr = xstrndup(addr, alen);
	return 0;
}

/*
 * from = "Name <addr>" or "addr", parsed as message will parse it in
 * the From header, so that what loads here also builds there.
 */
static int
set_from(struct parse *p, char *v)
{
	struct from_seen f = { 0, NULL };

	if (message_parse_addrs(v, strlen(v), from_put, &f, p->e) == -1) {
		free(f.addr);
		return fail(p, p->line, "bad from: %s", p->e->msg);
	}
	if (f.count != 1) {
		free(f.addr);
		return fail(p, p->line, "bad from \"%s\": expected one "
		    "address, as Name <user@example.org>", v);
	}
	p->a->from = xstrdup(v);
	p->a->from_addr = f.addr;
	return 0;
}

static int
add_route(struct parse *p, const char *d, size_t n)
{
	struct account *a = p->a;
	size_t i;

	if (a->nroute == CONFIG_ROUTE_MAX)
		return fail(p, p->line, "route lists more than %d domains",
		    CONFIG_ROUTE_MAX);
	if (!(n == 1 && d[0] == '*') && (memchr(d, '@', n) != NULL ||
	    memchr(d, '*', n) != NULL || memchr(d, '.', n) == NULL))
		return fail(p, p->line, "bad route entry \"%.*s\": expected "
		    "domains such as naver.com, or * for the rest", (int)n, d);
	a->route = xreallocarray(a->route, a->nroute + 1, sizeof(char *));
	a->route[a->nroute] = xstrndup(d, n);
	for (i = 0; i < n; i++)
		a->route[a->nroute][i] =
		    (char)tolower((unsigned char)a->route[a->nroute][i]);
	a->nroute++;
	return 0;
}

/* route = comma- or space-separated domains, or *. */
static int
set_route(struct parse *p, char *v)
{
	size_t n;

	while (*v != '\0') {
		v += strspn(v, ", \t");
		n = strcspn(v, ", \t");
		if (n > 0 && add_route(p, v, n) == -1)
			return -1;
		v += n;
	}
	if (p->a->nroute == 0)
		return fail(p, p->line, "route is empty: expected domains "
		    "such as naver.com, or *");
	return 0;
}

static int
set_rate(struct parse *p, char *v)
{
	if (strcasecmp(v, "none") == 0) {
		p->a->rate_n = 0;
		p->a->rate_ms = 0;
		return 0;
	}
	if (config_parse_rate(v, &p->a->rate_n, &p->a->rate_ms,
	    p->e) == -1)
		return fail(p, p->line, "%s; rate = none turns pacing off",
		    p->e->msg);
	return 0;
}

static int
set_max_per_session(struct parse *p, char *v)
{
	if (parse_uint(v, CONFIG_SESSION_MAX, &p->a->max_per_session) == -1)
		return fail(p, p->line, "bad max_per_session \"%s\": "
		    "expected a number of mails (0: no cap)", v);
	return 0;
}

static int
set_auth(struct parse *p, char *v)
{
	int val;

	if (set_choice(p, "auth", auth_choice, v, &val) == -1)
		return -1;
	p->a->auth = (enum smtp_auth)val;
	return 0;
}

static int
set_envelope_sender(struct parse *p, char *v)
{
	int val;

	if (set_choice(p, "envelope_sender", sender_choice, v, &val) == -1)
		return -1;
	p->a->sender = (enum provider_sender)val;
	return 0;
}

static int
set_helo(struct parse *p, char *v)
{
	if (!is_token(v))
		return fail(p, p->line, "bad helo \"%s\": expected a host "
		    "name", v);
	p->a->helo = xstrdup(v);
	return 0;
}

/* The IMAP server whose mailbox the bounces verb reads. */
static int
set_imap_host(struct parse *p, char *v)
{
	if (!is_token(v))
		return fail(p, p->line, "bad imap_host \"%s\": expected a "
		    "host name or address", v);
	p->a->imap_host = xstrdup(v);
	return 0;
}

static int
set_imap_port(struct parse *p, char *v)
{
	unsigned port;

	if (parse_uint(v, 65535, &port) == -1 || port == 0)
		return fail(p, p->line, "bad imap_port \"%s\": expected a "
		    "number from 1 to 65535 (993 for TLS, 143 for "
		    "STARTTLS)", v);
	p->a->imap_port = xstrdup(v);
	return 0;
}

static int
set_imap_tls(struct parse *p, char *v)
{
	int val;

	if (set_choice(p, "imap_tls", tls_choice, v, &val) == -1)
		return -1;
	p->a->imap_tls = (enum provider_tls)val;
	return 0;
}

static int
set_imap_folder(struct parse *p, char *v)
{
	if (strpbrk(v, "\"\\\r\n") != NULL || v[0] == '\0')
		return fail(p, p->line, "bad imap_folder \"%s\": expected a "
		    "folder name without quotes or backslashes", v);
	p->a->imap_folder = xstrdup(v);
	return 0;
}

static int
set_imap_user(struct parse *p, char *v)
{
	if (strpbrk(v, " \t<>\"") != NULL)
		return fail(p, p->line, "bad imap_user \"%s\": expected the "
		    "mailbox's login id, without spaces or <>", v);
	p->a->imap_user = xstrdup(v);
	return 0;
}

/* "30" seconds or "500ms", positive, at most an hour. */
static int
parse_timeout(struct parse *p, const char *key, char *v, int *ms)
{
	size_t n = strlen(v);
	unsigned val, scale = 1000;

	if (n > 2 && strcasecmp(v + n - 2, "ms") == 0) {
		v[n - 2] = '\0';
		scale = 1;
	}
	if (parse_uint(v, CONFIG_TIMEOUT_MS_MAX / scale, &val) == -1 ||
	    val == 0)
		return fail(p, p->line, "bad %s: expected seconds (e.g. 30) "
		    "or milliseconds (e.g. 500ms), at most an hour", key);
	*ms = (int)(val * scale);
	return 0;
}

static int
set_timeout(struct parse *p, char *v)
{
	if (parse_timeout(p, "timeout", v, &p->a->cmd_ms) == -1)
		return -1;
	p->a->data_ms = p->a->cmd_ms;
	return 0;
}

static int
set_connect_timeout(struct parse *p, char *v)
{
	return parse_timeout(p, "connect_timeout", v, &p->a->connect_ms);
}

static const struct key_def keys[K_N] = {
	[K_PROVIDER] = { "provider", set_provider },
	[K_HOST] = { "host", set_host },
	[K_PORT] = { "port", set_port },
	[K_TLS] = { "tls", set_tls },
	[K_CA_FILE] = { "ca_file", set_ca_file },
	[K_USER] = { "user", set_user },
	[K_PASSWORD] = { "password", set_password },
	[K_PASSWORD_ENV] = { "password_env", set_password_env },
	[K_PASSWORD_COMMAND] = { "password_command", set_password_command },
	[K_FROM] = { "from", set_from },
	[K_ROUTE] = { "route", set_route },
	[K_RATE] = { "rate", set_rate },
	[K_MAX_PER_SESSION] = { "max_per_session", set_max_per_session },
	[K_AUTH] = { "auth", set_auth },
	[K_ENVELOPE_SENDER] = { "envelope_sender", set_envelope_sender },
	[K_HELO] = { "helo", set_helo },
	[K_TIMEOUT] = { "timeout", set_timeout },
	[K_CONNECT_TIMEOUT] = { "connect_timeout", set_connect_timeout },
	[K_IMAP_HOST] = { "imap_host", set_imap_host },
	[K_IMAP_PORT] = { "imap_port", set_imap_port },
	[K_IMAP_TLS] = { "imap_tls", set_imap_tls },
	[K_IMAP_FOLDER] = { "imap_folder", set_imap_folder },
	[K_IMAP_USER] = { "imap_user", set_imap_user },
};

/* --- [relay]: what `mailmerge relay` serves, not an account ---------- */

/* max_size: even dot-stuffed, a message fits smtp.c's 128 MiB. */
#define RELAY_SIZE_MAX	((size_t)60 << 20)
#define RELAY_CLIENTS_MAX	1000
#define RELAY_NKEYS		(nitems(relay_keys) - 1)

static int
set_relay_listen(struct parse *p, char *v)
{
	if (strrchr(v, ':') == NULL)
		return fail(p, p->line, "bad listen \"%s\": expected "
		    "ADDR:PORT such as 127.0.0.1:2525 or [::1]:2525", v);
	p->c->relay.listen = xstrdup(v);
	return 0;
}

static int
set_relay_cert(struct parse *p, char *v)
{
	p->c->relay.cert = xstrdup(v);
	return 0;
}

static int
set_relay_key(struct parse *p, char *v)
{
	p->c->relay.key = xstrdup(v);
	return 0;
}

static int
set_relay_max_size(struct parse *p, char *v)
{
	unsigned n;

	if (parse_uint(v, RELAY_SIZE_MAX >> 10, &n) == -1 || n == 0)
		return fail(p, p->line, "bad max_size \"%s\": expected a "
		    "number of KiB from 1 to %zu", v, RELAY_SIZE_MAX >> 10);
	p->c->relay.max_size = (size_t)n << 10;
	return 0;
}

static int
set_relay_max_clients(struct parse *p, char *v)
{
	if (parse_uint(v, RELAY_CLIENTS_MAX, &p->c->relay.max_clients) ==
	    -1 || p->c->relay.max_clients == 0)
		return fail(p, p->line, "bad max_clients \"%s\": expected 1 "
		    "to %d", v, RELAY_CLIENTS_MAX);
	return 0;
}

static int
set_relay_timeout(struct parse *p, char *v)
{
	return parse_timeout(p, "timeout", v, &p->c->relay.timeout_ms);
}

static const struct key_def relay_keys[] = {
	{ "listen", set_relay_listen },
	{ "user", set_user },
	{ "password_env", set_password_env },
	{ "password_command", set_password_command },
	{ "cert", set_relay_cert },
	{ "key", set_relay_key },
	{ "max_size", set_relay_max_size },
	{ "max_clients", set_relay_max_clients },
	{ "timeout", set_relay_timeout },
	{ NULL, NULL }
};

/* "[relay]": later keys go to c->relay, p->a points at its creds. */
static int
start_relay(struct parse *p)
{
	struct config_relay *r = &p->c->relay;

	if (r->present)
		return fail(p, p->line, "duplicate section [relay] (first on "
		    "line %zu)", r->line);
	r->present = true;
	r->line = p->line;
	r->creds.name = xstrdup("relay");
	r->creds.line = p->line;
	p->a = &r->creds;
	p->in_relay = true;
	return 0;
}

static int
finish_relay(struct parse *p)
{
	struct config_relay *r = &p->c->relay;

	p->a = NULL;
	p->in_relay = false;
	memset(p->key_line, 0, sizeof(p->key_line));
	if ((r->cert == NULL) != (r->key == NULL))
		return fail(p, r->line, "[relay] needs both cert = and key = "
		    "(or neither)");
	if ((r->creds.user == NULL) !=
	    (r->creds.secret_src == SECRETS_PROMPT))
		return fail(p, r->line, "[relay] needs both user = and "
		    "password_env = (or password_command =), or neither");
	return 0;
}

static const struct key_def *
find_key(const struct parse *p, const char *k, size_t *idx)
{
	const struct key_def *t = p->in_relay ? relay_keys : keys;
	size_t i, n = p->in_relay ? RELAY_NKEYS : K_N;

	for (i = 0; i < n; i++)
		if (strcasecmp(t[i].name, k) == 0) {
			*idx = i;
			return &t[i];
		}
	return NULL;
}

static bool
is_set(const struct parse *p, enum key k)
{
	return p->key_line[k] != 0;
}

/* host, port, tls from the profile where the section left them out. */
static int
apply_server(struct parse *p, struct account *a)
{
	if (a->host == NULL && a->prov->host == NULL)
		return fail(p, a->line, "[%s] needs host = (the submission "
		    "server) for provider %s", a->name, a->prov->name);
	if (a->host == NULL)
		a->host = xstrdup(a->prov->host);
	if (!is_set(p, K_TLS))
		a->tls = a->prov->tls;
	if (a->port == NULL)
		a->port = xstrdup(a->tls == PROVIDER_TLS ? "465" :
		    a->prov->port);
	if (!is_set(p, K_RATE)) {
		a->rate_n = a->prov->rate_n;
		a->rate_ms = a->prov->rate_ms;
	}
	if (!is_set(p, K_MAX_PER_SESSION))
		a->max_per_session = a->prov->max_per_session;
	if (!is_set(p, K_ENVELOPE_SENDER))
		a->sender = a->prov->sender;
	return 0;
}

/* The IMAP mailbox: the profile's server, implicit TLS, INBOX, user. */
static void
apply_imap(struct parse *p, struct account *a)
{
	if (a->imap_host == NULL && a->prov->imap_host != NULL)
		a->imap_host = xstrdup(a->prov->imap_host);
	if (!is_set(p, K_IMAP_TLS))
		a->imap_tls = PROVIDER_TLS;
	if (a->imap_port == NULL)
		a->imap_port = xstrdup(a->imap_tls == PROVIDER_TLS ? "993" :
		    "143");
	if (a->imap_folder == NULL)
		a->imap_folder = xstrdup("INBOX");
	if (a->imap_user == NULL && a->user != NULL)
		a->imap_user = xstrdup(a->user);
}

/* user_addr: user, or user@domain for a profile with a mail domain. */
static void
apply_user_addr(struct account *a)
{
	size_t n;

	if (a->user == NULL)
		return;
	if (strchr(a->user, '@') != NULL) {
		if (is_addr(a->user, strlen(a->user)))
			a->user_addr = xstrdup(a->user);
		return;
	}
	if (a->prov->domain == NULL)
		return;
	n = strlen(a->user) + strlen(a->prov->domain) + 2;
	a->user_addr = xmalloc(n);
	snprintf(a->user_addr, n, "%s@%s", a->user, a->prov->domain);
}

/* user, from_addr and the envelope sender. */
static int
apply_identity(struct parse *p, struct account *a)
{
	if (a->user == NULL && a->auth != SMTP_AUTH_NONE)
		return fail(p, a->line, "[%s] needs user = (the login), or "
		    "auth = none for a server that takes mail without one",
		    a->name);
	apply_user_addr(a);
	if (a->from_addr == NULL && a->user_addr == NULL)
		return fail(p, a->line, "[%s]: user is not an address; add "
		    "from = Name <address>", a->name);
	if (a->from_addr == NULL)
		a->from_addr = xstrdup(a->user_addr);
	if (a->sender == PROVIDER_SENDER_ADDRESS) {
		a->envelope = xstrdup(a->from_addr);
		return 0;
	}
	if (a->user == NULL)
		return fail(p, a->line, "[%s]: envelope_sender = user needs "
		    "user =", a->name);
	a->envelope = xstrndup(a->user, strcspn(a->user, "@"));
	return 0;
}

/* End the current section: fill in defaults, check what is required. */
static int
finish_section(struct parse *p)
{
	struct account *a = p->a;

	if (p->in_relay)
		return finish_relay(p);
	if (a == NULL)
		return 0;
	if (a->prov == NULL)
		a->prov = provider_find(a->name);
	if (a->prov == NULL)
		a->prov = provider_find("custom");
	if (apply_server(p, a) == -1 || apply_identity(p, a) == -1)
		return -1;
	apply_imap(p, a);
	p->a = NULL;
	memset(p->key_line, 0, sizeof(p->key_line));
	return 0;
}

static bool
is_section_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_.", *s) == NULL)
			return false;
	return true;
}

static void
new_account(struct parse *p, const char *name)
{
	struct config *c = p->c;
	struct account *a;

	c->acct = xreallocarray(c->acct, c->nacct + 1, sizeof(*c->acct));
	a = &c->acct[c->nacct++];
	memset(a, 0, sizeof(*a));
	a->name = xstrdup(name);
	a->line = p->line;
	a->auth = SMTP_AUTH_AUTO;
	a->connect_ms = SMTP_CONNECT_MS;
	a->cmd_ms = SMTP_CMD_MS;
	a->data_ms = SMTP_DATA_MS;
	p->a = a;
}

/* "[name]" with an optional comment after it. */
static int
parse_section(struct parse *p, char *s)
{
	char *end = strchr(s, ']'), *rest;
	size_t i;

	if (end == NULL)
		return fail(p, p->line, "expected [section] with a closing ]");
	rest = end + 1 + strspn(end + 1, " \t");
	if (*rest != '\0' && *rest != ';' && *rest != '#')
		return fail(p, p->line, "text after [section]");
	*end = '\0';
	s++;
	if (!is_section_name(s))
		return fail(p, p->line, "bad section name [%s]: expected "
		    "letters, digits, - _ or .", s);
	if (finish_section(p) == -1)
		return -1;
	if (strcasecmp(s, "relay") == 0)
		return start_relay(p);
	for (i = 0; i < p->c->nacct; i++)
		if (strcasecmp(p->c->acct[i].name, s) == 0)
			return fail(p, p->line, "duplicate section [%s] "
			    "(first on line %zu)", s, p->c->acct[i].line);
	if (p->c->nacct == CONFIG_ACCT_MAX)
		return fail(p, p->line, "more than %d accounts",
		    CONFIG_ACCT_MAX);
	new_account(p, s);
	return 0;
}

/* Cut trailing blanks. */
static void
rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/*
 * The end of a quoted value "..." (\" and \\ escape), or NULL if the
 * quote is not closed.
 */
static char *
quote_end(char *v)
{
	char *r = v + 1;

	while (*r != '\0' && *r != '"')
		r += *r == '\\' && (r[1] == '"' || r[1] == '\\') ? 2 : 1;
	return *r == '"' ? r : NULL;
}

static void
unquote(char *v)
{
	char *r = v + 1, *w = v;

	while (*r != '"') {
		if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
			r++;
		*w++ = *r++;
	}
	*w = '\0';
}

/*
 * The value in place.  A value wholly in quotes is unquoted; one that
 * only starts with a quote (from = "Kim, Lee" <a@b>) is kept as
 * written.  Otherwise ";" or "#" after a blank starts a comment.
 */
static int
parse_value(struct parse *p, char *v)
{
	char *q, *rest;

	if (*v == '"') {
		q = quote_end(v);
		if (q == NULL)
			return fail(p, p->line, "unterminated quoted value");
		rest = q + 1 + strspn(q + 1, " \t");
		if (*rest == '\0' || *rest == ';' || *rest == '#') {
			unquote(v);
			return 0;
		}
	}
	for (q = v; *q != '\0'; q++) {
		if ((*q == ';' || *q == '#') && (q == v || q[-1] == ' ' ||
		    q[-1] == '\t')) {
			*q = '\0';
			break;
		}
	}
	rtrim(v);
	return 0;
}

static int
unknown_key(struct parse *p, const char *k)
{
	char list[ERR_MSG_MAX / 2];
	size_t i, n = 0;

	const struct key_def *t = p->in_relay ? relay_keys : keys;
	size_t nk = p->in_relay ? RELAY_NKEYS : K_N;

	for (i = 0; i < nk && n < sizeof(list); i++)
		n += snprintf(list + n, sizeof(list) - n, "%s%s",
		    i ? " " : "", t[i].name);
	return fail(p, p->line, "unknown key \"%s\" in [%s]; valid keys: %s",
	    k, p->a->name, list);
}

/* "key = value" inside a section. */
static int
parse_pair(struct parse *p, char *s)
{
	const struct key_def *kd;
	char *eq = strchr(s, '='), *v;
	size_t k;

	if (eq == NULL)
		return fail(p, p->line, "expected key = value or [section]");
	*eq = '\0';
	rtrim(s);
	if (p->a == NULL)
		return fail(p, p->line, "key \"%s\" outside any section: put "
		    "it under an [account] section such as [gmail]", s);
	kd = find_key(p, s, &k);
	if (kd == NULL)
		return unknown_key(p, s);
	if (p->key_line[k] != 0)
		return fail(p, p->line, "duplicate key \"%s\" in [%s] (first "
		    "on line %zu)", kd->name, p->a->name, p->key_line[k]);
	v = eq + 1 + strspn(eq + 1, " \t");
	if (parse_value(p, v) == -1)
		return -1;
	if (*v == '\0')
		return fail(p, p->line, "%s needs a value", kd->name);
	p->key_line[k] = p->line;
	return kd->set(p, v);
}

/* Valid UTF-8 with no control characters but tab. */
static bool
is_text(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, len;

	for (i = 0; i < n; i += len) {
		len = utf8_len(u + i, n - i);
		if (len == 0 || (u[i] < ' ' && u[i] != '\t') || u[i] == 0x7f)
			return false;
	}
	return true;
}

static int
parse_line(struct parse *p, char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	if (n > CONFIG_LINE_MAX)
		return fail(p, p->line, "line longer than %d bytes",
		    CONFIG_LINE_MAX);
	if (!is_text(s, n))
		return fail(p, p->line, "not UTF-8 text, or a control "
		    "character: save the file as UTF-8");
	s += strspn(s, " \t");
	if (*s == '\0' || *s == ';' || *s == '#')
		return 0;
	if (*s == '[')
		return parse_section(p, s);
	return parse_pair(p, s);
}

/* The first account listing domain d exactly, or NULL. */
static const struct account *
route_owner(const struct config *c, const char *d)
{
	size_t i, j;

	for (i = 0; i < c->nacct; i++)
		for (j = 0; j < c->acct[i].nroute; j++)
			if (strcasecmp(c->acct[i].route[j], d) == 0)
				return &c->acct[i];
	return NULL;
}

/* Every account has a route; no domain (or *) is in two of them. */
static int
check_routes(struct parse *p)
{
	struct config *c = p->c;
	const struct account *o;
	size_t i, j;

	if (c->nacct == 1 && c->acct[0].nroute == 0) {
		c->acct[0].route = xcalloc(1, sizeof(char *));
		c->acct[0].route[0] = xstrdup("*");
		c->acct[0].nroute = 1;
	}
	for (i = 0; i < c->nacct; i++) {
		if (c->acct[i].nroute == 0)
			return fail(p, c->acct[i].line, "[%s] has no route: "
			    "with several accounts each needs route = its "
			    "recipient domains (one may have route = *)",
			    c->acct[i].name);
		for (j = 0; j < c->acct[i].nroute; j++) {
			o = route_owner(c, c->acct[i].route[j]);
			if (o != &c->acct[i])
				return fail(p, c->acct[i].line, "route %s is "
				    "in both [%s] and [%s]: keep it in one",
				    c->acct[i].route[j], o->name,
				    c->acct[i].name);
		}
	}
	return 0;
}

/* After the last line: close the section, check the whole file. */
static int
finish_file(struct parse *p, mode_t mode)
{
	if (finish_section(p) == -1)
		return -1;
	if (p->c->nacct == 0)
		return fail(p, 0, "no accounts: add a section such as [gmail] "
		    "with user = and password_env =");
	if (check_routes(p) == -1)
		return -1;
	if (p->has_password && (mode & 077) != 0)
		return fail(p, 0, "holds a password but is readable by "
		    "others (mode %04o); run chmod 600 %s",
		    (unsigned)(mode & 07777), p->path);
	return 0;
}

static int
parse_file(struct parse *p, FILE *fp, mode_t mode)
{
	char *line = NULL;
	size_t size = 0;
	ssize_t n;
	int rc = 0;

	while (rc == 0 && (n = getline(&line, &size, fp)) != -1) {
		p->line++;
		rc = parse_line(p, line, (size_t)n);
	}
	if (rc == 0 && ferror(fp))
		rc = fail(p, 0, "read error: %s", strerror(errno));
	if (line != NULL)
		explicit_bzero(line, size);	/* may have held a password */
	free(line);
	if (rc == 0)
		rc = finish_file(p, mode);
	return rc;
}

/*
 * The file names commands to run (password_command) and servers to
 * trust: refuse it, whatever it holds, if anyone but the caller (or
 * root) owns it or can write it, as ssh and msmtp do.
 */
static int
trusted(struct parse *p, const struct stat *st)
{
	if (st->st_uid != getuid() && st->st_uid != 0)
		return fail(p, 0, "is owned by another user (uid %u), who "
		    "could make it run any command as you; use a file of "
		    "your own and run chmod 600 %s", (unsigned)st->st_uid,
		    p->path);
	if ((st->st_mode & 022) != 0)
		return fail(p, 0, "is writable by %s (mode %04o), who could "
		    "make it run any command as you; run chmod 600 %s",
		    st->st_mode & 002 ? "everyone" : "its group",
		    (unsigned)(st->st_mode & 07777), p->path);
	return 0;
}

static int
load_file(struct config **cp, const char *path, struct err *e)
{
	struct parse p;
	struct stat st;
	FILE *fp;
	int rc;

	*cp = NULL;
	fp = fopen(path, "re");
	if (fp == NULL) {
		err_set(e, E_NOINPUT, path, "cannot open configuration: %s%s",
		    strerror(errno), errno == ENOENT ? _("; 'mailmerge init' "
		    "writes a commented one to start from") : "");
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.path = path;
	p.e = e;
	p.c = xcalloc(1, sizeof(*p.c));
	p.c->path = xstrdup(path);
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode))
		rc = fail(&p, 0, "not a regular file");
	else if (trusted(&p, &st) == -1)
		rc = -1;
	else
		rc = parse_file(&p, fp, st.st_mode);
	fclose(fp);
	if (rc == -1)
		config_free(p.c);
	else
		*cp = p.c;
	return rc;
}

int
config_load(struct config **cp, const char *path, struct err *e)
{
	char xdg[PATH_MAX];
	const char *base = getenv("XDG_CONFIG_HOME"), *sub = "";

	if (path != NULL)
		return load_file(cp, path, e);
	*cp = NULL;
	if (access(LOCAL_CONF, F_OK) == 0)
		return load_file(cp, LOCAL_CONF, e);
	if (base == NULL || base[0] != '/') {
		base = getenv("HOME");
		sub = "/.config";
	}
	xdg[0] = '\0';
	if (base != NULL && base[0] != '\0')
		snprintf(xdg, sizeof(xdg), "%s%s/mailmerge/config", base, sub);
	if (xdg[0] != '\0' && access(xdg, F_OK) == 0)
		return load_file(cp, xdg, e);
	err_set(e, E_NOINPUT, NULL, "no configuration file: tried %s%s%s; "
	    "run 'mailmerge init' to write a commented one, or see README's "
	    "\"The config file\"",
	    LOCAL_CONF, xdg[0] != '\0' ? " and " : "", xdg);
	return -1;
}

static void
free_account(struct account *a)
{
	size_t i;

	free(a->name);
	free(a->host);
	free(a->port);
	free(a->ca_file);
	free(a->user);
	free(a->user_addr);
	free(a->from);
	free(a->from_addr);
	free(a->envelope);
	for (i = 0; i < a->nroute; i++)
		free(a->route[i]);
	free(a->route);
	free(a->helo);
	free(a->imap_host);
	free(a->imap_port);
	free(a->imap_folder);
	free(a->imap_user);
	if (a->secret_arg != NULL)
		explicit_bzero(a->secret_arg, strlen(a->secret_arg));
	free(a->secret_arg);
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nacct; i++)
		free_account(&c->acct[i]);
	free(c->acct);
	free_account(&c->relay.creds);
	free(c->relay.listen);
	free(c->relay.cert);
	free(c->relay.key);
	free(c->path);
	free(c);
}

bool
config_from_foreign(const struct account *a)
{
	return a->user_addr != NULL &&
	    strcasecmp(a->user_addr, a->from_addr) != 0;
}

void
config_smtp_params(const struct account *a, const char *secret,
    FILE *trace, struct smtp_params *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->host = a->host;
	sp->port = a->port;
	sp->implicit_tls = a->tls == PROVIDER_TLS;
	sp->ca_file = a->ca_file;
	sp->helo = a->helo;
	sp->auth = a->auth;
	sp->user = a->user;
	sp->secret = secret;
	sp->connect_ms = a->connect_ms;
	sp->cmd_ms = a->cmd_ms;
	sp->data_ms = a->data_ms;
	sp->trace = trace;
	sp->trace_tag = a->name;
}

int
config_secret(const struct account *a, struct buf *out, struct err *e)
{
	const struct secrets_ref r = { a->secret_src, a->secret_arg, a->name,
	    a->user_addr != NULL ? a->user_addr : a->user };

	return secrets_fetch(&r, out, e);
}

int
config_parse_rate(const char *s, unsigned *n, unsigned *ms, struct err *e)
{
	char num[16];
	const char *slash = strchr(s, '/');
	size_t len = slash != NULL ? (size_t)(slash - s) : 0;
	unsigned val;
	int unit;

	if (slash == NULL || len == 0 || len >= sizeof(num))
		goto bad;
	memcpy(num, s, len);
	num[len] = '\0';
	if (parse_uint(num, CONFIG_RATE_N_MAX, &val) == -1 || val == 0 ||
	    choose(unit_choice, slash + 1, &unit) == -1)
		goto bad;
	*n = val;
	*ms = (unsigned)unit;
	return 0;
bad:
	err_set(e, E_USAGE, NULL, "bad rate \"%s\": expected N/UNIT with N "
	    "a positive whole number and UNIT one of s, min, h, day "
	    "(e.g. 20/min)", s);
	return -1;
}

/* The account named name, or the only one whose provider is name. */
static int
route_named(const struct config *c, const char *name, size_t *idx,
    struct err *e)
{
	char list[ERR_MSG_MAX / 2];
	size_t i, n = 0, found = c->nacct;

	for (i = 0; i < c->nacct; i++)
		if (strcasecmp(c->acct[i].name, name) == 0)
			found = i;
	for (i = 0; found == c->nacct && i < c->nacct; i++) {
		if (strcasecmp(c->acct[i].prov->name, name) == 0) {
			n++;
			*idx = i;
		}
	}
	if (found < c->nacct) {
		*idx = found;
		return 0;
	}
	if (n == 1)
		return 0;
	list[0] = '\0';
	for (i = 0, n = 0; i < c->nacct && n < sizeof(list); i++)
		n += snprintf(list + n, sizeof(list) - n, "%s[%s]",
		    i ? " " : "", c->acct[i].name);
	err_set(e, E_INPUT, NULL, "provider \"%s\" names no single account; "
	    "accounts: %s", name, list);
	return -1;
}

int
config_route(const struct config *c, const char *addr,
    const char *provider_col, size_t *idx, struct err *e)
{
	const struct account *a;
	const char *at;

	if (provider_col != NULL && provider_col[0] != '\0')
		return route_named(c, provider_col, idx, e);
	at = strrchr(addr, '@');
	if (at == NULL || at[1] == '\0') {
		err_set(e, E_INPUT, NULL, "\"%s\" is not an address: no "
		    "domain to route by", addr);
		return -1;
	}
	a = route_owner(c, at + 1);
	if (a == NULL)
		a = route_owner(c, "*");
	if (a == NULL) {
		err_set(e, E_INPUT, NULL, "no account sends to domain %s: "
		    "add it to some account's route, or route = * to one",
		    at + 1);
		return -1;
	}
	*idx = (size_t)(a - c->acct);
	return 0;
}
