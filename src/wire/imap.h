#ifndef IMAP_H
#define IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"

/*
 * Read-only IMAP (RFC 9051 / 3501) through libcurl: EXAMINE a folder,
 * UID SEARCH SINCE a date, fetch each message with BODY.PEEK[] so that
 * nothing is marked \Seen, moved or deleted.  TLS is verified (the
 * system's CAs, or ca_file); the password goes to libcurl alone, never
 * into a URL, a command line or a trace.
 */

struct imap_params {
	const char	*host;
	const char	*port;
	bool		 starttls;	/* imap:// + STARTTLS, else imaps:// */
	const char	*ca_file;	/* or NULL: the system's store */
	const char	*user;
	const char	*password;	/* borrowed; the caller wipes it */
	const char	*folder;	/* "INBOX" */
	time_t		 since;		/* SEARCH SINCE its day (UTC) */
	size_t		 size_max;	/* larger messages are not fetched */
	long		 timeout_ms;	/* per transfer; 0: 60 s */
};

/*
 * Called for every message found, in UID order: data[0..len) is the
 * whole message, or data is NULL when its size (given) passes
 * size_max.  Returning -1 stops with the error the callback set.
 */
typedef int imap_msg_fn(void *arg, unsigned long uid, const char *data,
    size_t len, size_t size);

/*
 * Log in, examine the folder, search and fetch.  E_NET: cannot
 * connect or lost; E_TLS: the certificate or TLS failed; E_AUTH: login
 * refused; E_PROTO: a reply we cannot read; E_INPUT: no such folder.
 */
int	imap_fetch(const struct imap_params *p, imap_msg_fn *fn, void *arg,
	    struct err *e);

#endif /* IMAP_H */
