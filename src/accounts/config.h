#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "err.h"
#include "provider.h"
#include "secrets.h"
#include "smtp.h"

/*
 * The configuration file: INI, one section per sending account.
 * Unknown keys and sections are errors with their line.  Passwords are
 * never read from argv; a file holding a password key must be 0600, and
 * a file others can write is refused whatever it holds.
 * Keys: provider host port tls ca_file user password password_env
 * password_command from route rate max_per_session auth envelope_sender
 * helo imap_host imap_port imap_tls imap_folder imap_user, and for
 * tests timeout (cmd and data) and connect_timeout, in
 * seconds or "Nms".  rate = none turns a profile's pacing off.
 */


struct account {
	char		*name;		/* section name */
	size_t		 line;		/* line of the [section] */
	const struct provider *prov;	/* profile: gmail, naver, custom */
	char		*host;
	char		*port;
	enum provider_tls tls;
	char		*ca_file;	/* or NULL */
	char		*user;		/* AUTH identity as written, or NULL */
	char		*user_addr;	/* user, or user@domain of the profile
					   (a bare id on gmail/naver); NULL if
					   user is not an address */
	char		*from;		/* "Name <addr>" as written, or NULL */
	char		*from_addr;	/* addr-spec of from, or user_addr */
	char		*envelope;	/* MAIL FROM: from_addr, or the bare
					   user id (envelope_sender = user) */
	char		**route;	/* recipient domains; "*" = the rest */
	size_t		 nroute;
	unsigned	 rate_n;	/* mails per rate_ms; 0: no pacing */
	unsigned	 rate_ms;
	unsigned	 max_per_session;
	enum smtp_auth	 auth;
	enum provider_sender sender;
	char		*helo;		/* or NULL */
	int		 connect_ms;	/* connect_timeout; default 30 s */
	int		 cmd_ms;	/* timeout; default 5 min */
	int		 data_ms;	/* timeout; default 10 min */
	char		*imap_host;	/* bounces' mailbox, or NULL */
	char		*imap_port;	/* 993 (tls), 143 (starttls) */
	enum provider_tls imap_tls;	/* default implicit TLS */
	char		*imap_folder;	/* default INBOX */
	char		*imap_user;	/* default user */
	enum secrets_src secret_src;
	char		*secret_arg;	/* the env name / command / password */
};

/*
 * The [relay] section, for `mailmerge relay` (not an account): keys
 * listen user password_env password_command cert key max_size
 * max_clients, and for tests timeout (a client's command deadline).
 */
struct config_relay {
	bool		 present;	/* the file has a [relay] section */
	size_t		 line;		/* its line */
	char		*listen;	/* "ADDR:PORT", or NULL */
	char		*cert;		/* PEM cert for STARTTLS, or NULL */
	char		*key;		/* its private key, or NULL */
	size_t		 max_size;	/* octets of a message; 0: default */
	unsigned	 max_clients;	/* 0: default */
	int		 timeout_ms;	/* 0: default */
	struct account	 creds;		/* name "relay", user, secret_src and
					   secret_arg: what clients must give
					   (config_secret() fetches it) */
};

struct config {
	char		*path;
	struct account	*acct;
	size_t		 nacct;
	struct config_relay relay;
};

/*
 * Load path, or when path is NULL the first of ./mailmerge.conf and
 * $XDG_CONFIG_HOME/mailmerge/config (~/.config/...).  E_NOINPUT: no
 * file; E_CONFIG: "path:line" and what is wrong.
 */
int	config_load(struct config **cp, const char *path, struct err *e);
void	config_free(struct config *c);

/*
 * True if a's From address is not the account's own (user_addr): the
 * caller warns when a->prov->from is REWRITTEN or REFUSED.
 */
bool	config_from_foreign(const struct account *a);

/*
 * The SMTP session parameters of account a, with its secret and the
 * -v trace (or NULL); the strings are borrowed from a and secret.
 */
void	config_smtp_params(const struct account *a, const char *secret,
	    FILE *trace, struct smtp_params *sp);

/* secrets_fetch() for account a's password source (see secrets.h). */
int	config_secret(const struct account *a, struct buf *out,
	    struct err *e);

/*
 * The account for a recipient: the one named by provider_col (a roster
 * "provider" column, NULL or "" if none: a section name, else the
 * provider of exactly one section), else the one whose route lists the
 * domain of addr (exactly, any case: naver.com does not take
 * mail.naver.com), else the one with route "*".  -1 (E_INPUT) if none.
 */
int	config_route(const struct config *c, const char *addr,
	    const char *provider_col, size_t *idx, struct err *e);

/*
 * "5/s", "20/min", "100/h", "500/day" → n mails per ms milliseconds; N
 * is a positive integer.  E_USAGE naming the expected form (the config
 * file reports it as E_CONFIG at its line).
 */
int	config_parse_rate(const char *s, unsigned *n, unsigned *ms,
	    struct err *e);

#endif /* CONFIG_H */
