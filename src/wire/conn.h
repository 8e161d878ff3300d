#ifndef CONN_H
#define CONN_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/*
 * One TCP connection, plain or TLS, with deadlines on reads, connect and
 * the TLS handshake, a capped line reader and buffered writes.  Callers never know
 * whether TLS is on: conn_readline() and conn_write() are the same
 * either way.  The only module that includes gnutls.
 */

#define CONN_LINE_MAX	4096	/* octets in one line read, CRLF included */

struct conn;

/* The default io_ms: RFC 5321 §4.5.3.2.7's five minutes for a reply. */
#define CONN_IO_MS	(5 * 60 * 1000)

struct conn_params {
	const char	*host;		/* name or address; also TLS SNI/check */
	const char	*port;		/* service, e.g. "587" */
	int		 connect_ms;	/* connect deadline, all addresses */
	int		 io_ms;		/* read budget, handshake deadline,
					   write idle timeout */
	const char	*ca_file;	/* PEM trusted besides the system store, or NULL */
	struct conn_trusts *trusts;	/* CA stores shared with other
					   connections, or NULL: load one */
};

/*
 * The trusted CA stores of a run, shared by its connections: the system
 * store parsed (~3.5 MB) is loaded once for each distinct ca_file, by
 * the first connection that needs it, and kept until
 * conn_trusts_free(), after every connection using it closed.  Safe to
 * share between threads.
 */
struct conn_trusts;

struct conn_trusts *conn_trusts_new(void);
void	conn_trusts_free(struct conn_trusts *t);

/*
 * Connect (TCP_NODELAY set).  E_NET: cannot resolve or connect, with
 * the host:port and reason.  Only this opens sockets.
 */
int	conn_open(struct conn **cp, const struct conn_params *p,
	    struct err *e);

/*
 * TLS handshake over the open connection: TLS 1.2 or newer, SNI, the
 * certificate verified against the system store and ca_file, and its
 * name checked against p->host.  Refuses (E_PROTO) if unread plaintext
 * is buffered, which would be response injection (RFC 3207 §5).
 * E_TLS says which name failed and why, and suggests ca_file.
 */
int	conn_starttls(struct conn *c, struct err *e);

/* True once a handshake succeeded and the peer is verified. */
bool	conn_tls_verified(const struct conn *c);

/* "TLS1.3 / ECDHE-... " description for the trace, or "plain". */
const char *conn_tls_info(const struct conn *c);

/*
 * Read one line, without its CRLF (a lone LF ends a line too).
 * *line is valid until the next conn_readline() or conn_close().  Pending
 * output is flushed first.  E_NET: timeout, EOF, reset; E_PROTO: a line
 * longer than CONN_LINE_MAX or holding NUL.
 */
int	conn_readline(struct conn *c, const char **line, size_t *len,
	    struct err *e);

/*
 * Queue bytes; they go out on conn_flush(), on the next read, or when
 * the queue is large, in as few TLS records as possible.  E_NET.
 */
int	conn_write(struct conn *c, const void *p, size_t n, struct err *e);
int	conn_flush(struct conn *c, struct err *e);

/*
 * Set the timeout (ms): the reads that follow, until the next call,
 * share one deadline io_ms after the first of them starts waiting (a
 * whole reply, not each read); a write waits at most io_ms for progress;
 * conn_starttls() gets io_ms for the whole handshake.
 */
void	conn_set_timeout(struct conn *c, int io_ms);

/* Close (TLS close_notify best effort) and free; NULL is a no-op. */
void	conn_close(struct conn *c);

/* Once per process, before threads start: GnuTLS global init. */
int	conn_global_init(struct err *e);
void	conn_global_fini(void);

/* --- The server side, for the relay. --- */

struct conn_tls_server;

/* The relay's certificate and key (PEM).  E_CONFIG naming the files. */
int	conn_tls_server_load(struct conn_tls_server **tp, const char *cert,
	    const char *key, struct err *e);
void	conn_tls_server_free(struct conn_tls_server *t);

/*
 * Listen on a numeric address and port ("0": any free one); bound gets
 * "addr:port" or "[v6]:port" as bound.  E_USAGE (not an address), E_NET.
 */
int	conn_listen(int *fdp, const char *addr, const char *port, char *bound,
	    size_t size, struct err *e);

/*
 * Wait at most wait_ms for a client on lfd: 1 with *cp a new plain
 * connection, 0 if none came (or a signal interrupted), -1 (E_OS).
 */
int	conn_accept(int lfd, int wait_ms, struct conn **cp, struct err *e);

/* "client 127.0.0.1 port 4711" (or the server's "host:port"). */
const char *conn_name(const struct conn *c);

/*
 * TLS as the server, the handshake within ms.  E_PROTO when the client
 * sent anything behind STARTTLS (RFC 3207 §5); E_TLS.  Afterwards
 * conn_tls_verified() is true: the session is encrypted.
 */
int	conn_starttls_server(struct conn *c, const struct conn_tls_server *t,
	    int ms, struct err *e);

/*
 * Read up to and including the next LF, or CONN_LINE_MAX octets when
 * no LF comes first, all within ms: the line end is kept so the caller
 * can tell CRLF from a bare LF.  *p is valid until the next read.  0,
 * 1 when ms passed first (a partial line stays buffered for the next
 * call), -1 with E_NET (EOF, reset, TLS error).
 */
int	conn_readraw(struct conn *c, int ms, const char **p, size_t *len,
	    struct err *e);

#endif /* CONN_H */
