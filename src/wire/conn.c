/*
 * One TCP connection, plain or TLS, for the SMTP client.  The socket is
 * non-blocking from the start and every wait is a poll(), plain or TLS
 * alike (GnuTLS reads the same fd through gnutls_transport_set_int and
 * reports GNUTLS_E_AGAIN).  Reads, the TLS handshake and connect are
 * bounded by a deadline, not an idle timer: a server dripping one octet
 * a second cannot stretch a 5 s timeout into minutes.  The reads of one
 * reply share the budget set by conn_set_timeout(), counted from the
 * first read; a handshake gets its own; connect gets one for all the
 * addresses of the name.  Writes wait at most io_ms for each step of
 * progress (RFC 5321 §4.5.3.2.5 bounds each TCP SEND of a data block).
 *
 * Input goes through one capped line reader over a fixed buffer.
 * Output is queued and goes out on conn_flush(), before any read, or
 * when CONN_OUT_HIGH bytes are queued: a pipelined command group or a
 * whole message then travels in a few TLS records, where msmtp's
 * per-line writes waited 40 ms each for a delayed ACK (FIELD-NOTES).
 * The queue is wiped after each flush because AUTH lines pass through.
 *
 * TLS: 1.2 or newer, SNI for names, the system trust store plus an
 * optional ca_file, gnutls_session_set_verify_cert() so the handshake
 * itself fails on a bad certificate, and then the verification status
 * checked again explicitly (msmtp 1.8.2 trusted a return code alone).
 * Each conn belongs to one thread; only conn_global_init() is shared.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "buf.h"
#include "clock.h"
#include "conn.h"
#include "err.h"
#include "xalloc.h"

#define CONN_IN_SIZE	(4 * CONN_LINE_MAX)	/* read buffer, octets */
#define CONN_OUT_HIGH	16384	/* queued octets that force a flush */
#define CONN_NAME_MAX	320	/* "host:port" for messages */
#define CONN_INFO_MAX	160	/* the session description */
#define CONN_REASON_MAX	160	/* strerror text */
#define CONN_PRIORITY	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define CONN_CA_HINT	"; if the server uses a private CA, set " \
			"ca_file = /path/ca.pem in the account's section"

struct conn {
	int		 fd;
	int		 io_ms;		/* budget of a reply or handshake */
	long long	 deadline;	/* reads end by then; 0: not armed */
	char		*host;		/* for SNI and the name check */
	char		*ca_file;	/* or NULL */
	char		 name[CONN_NAME_MAX];	/* "host:port" */
	gnutls_session_t tls;		/* NULL while plain */
	gnutls_certificate_credentials_t cred;
	bool		 cred_shared;	/* cred belongs to trusts */
	struct conn_trusts *trusts;	/* or NULL */
	bool		 verified;	/* handshake done, peer checked */
	char		 info[CONN_INFO_MAX];
	char		 in[CONN_IN_SIZE + 1];	/* +1: a line's NUL */
	size_t		 ipos;		/* first unread octet */
	size_t		 ilen;		/* octets held */
	struct buf	 out;		/* queued output */
};

static void
reason(int errnum, char *buf, size_t size)
{
	if (strerror_r(errnum, buf, size) != 0)
		snprintf(buf, size, "error %d", errnum);
}

/* Wait for events on fd: 1 ready, 0 timed out, -1 error (errno). */
static int
wait_fd(int fd, short events, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	long long deadline = (long long)clock_ms() + ms;
	int r;

	for (;;) {
		r = poll(&pfd, 1, ms);
		if (r >= 0)
			return r > 0;
		if (errno != EINTR)
			return -1;
		ms = (int)(deadline - (long long)clock_ms());
		if (ms < 0)
			ms = 0;
	}
}

/* Milliseconds left before the deadline (0 when past it). */
static int
left_ms(long long deadline)
{
	long long ms = deadline - (long long)clock_ms();

	return ms > 0 ? (int)ms : 0;
}

/* Arm the read deadline io_ms from now unless it is armed. */
static void
arm(struct conn *c)
{
	if (c->deadline == 0)
		c->deadline = (long long)clock_ms() + c->io_ms;
}

/*
 * Wait in the direction dir (POLLIN/POLLOUT), naming what for in e:
 * reading (and handshaking) until the deadline, writing at most io_ms.
 */
static int
wait_io(struct conn *c, short dir, bool reading, struct err *e)
{
	char why[CONN_REASON_MAX];
	int r;

	r = wait_fd(c->fd, dir, reading ? left_ms(c->deadline) : c->io_ms);
	if (r == 1)
		return 0;
	if (r == 0)
		err_set(e, E_NET, NULL, "%s: timed out after %d s %s", c->name,
		    (c->io_ms + 999) / 1000, reading ?
		    "waiting for the server" : "sending to the server");
	else {
		reason(errno, why, sizeof(why));
		err_set(e, E_NET, NULL, "%s: poll: %s", c->name, why);
	}
	return -1;
}

/* The direction GnuTLS was blocked in. */
static short
tls_dir(const struct conn *c)
{
	return gnutls_record_get_direction(c->tls) ? POLLOUT : POLLIN;
}

/* Wait for a non-blocking connect to finish: 0, or -1 with why. */
static int
connect_wait(int fd, long long deadline, int ms, char *why, size_t size)
{
	int r, soerr = 0;
	socklen_t sl = sizeof(soerr);

	r = wait_fd(fd, POLLOUT, left_ms(deadline));
	if (r == 0) {
		snprintf(why, size, "connect timed out after %d s",
		    (ms + 999) / 1000);
		return -1;
	}
	if (r == -1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
	    &sl) == -1) {
		reason(errno, why, size);
		return -1;
	}
	if (soerr != 0) {
		reason(soerr, why, size);
		return -1;
	}
	return 0;
}

/* Try one address; the connected fd, or -1 with why filled. */
static int
connect_one(const struct addrinfo *ai, long long deadline, int ms, char *why,
    size_t size)
{
	int fd, r, on = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1) {
		reason(errno, why, size);
		return -1;
	}
	r = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (r == -1 && errno == EINPROGRESS)
		r = connect_wait(fd, deadline, ms, why, size);
	else if (r == -1)
		reason(errno, why, size);
	if (r == -1) {
		close(fd);
		return -1;
	}
	/* Small command groups must not wait for delayed ACKs. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return fd;
}

static int
dial(struct conn *c, const struct conn_params *p, struct err *e)
{
	struct addrinfo hints, *res, *ai;
	char why[CONN_REASON_MAX] = "no address";
	char sys[CONN_REASON_MAX];
	int r, ms = p->connect_ms > 0 ? p->connect_ms : 30000;
	long long deadline;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(p->host, p->port, &hints, &res);
	if (r != 0) {
		if (r == EAI_SYSTEM)
			reason(errno, sys, sizeof(sys));
		err_set(e, E_NET, NULL, "%s: cannot resolve: %s", c->name,
		    r == EAI_SYSTEM ? sys : gai_strerror(r));
		return -1;
	}
	c->fd = -1;
	/* One budget for all the name's addresses, not one each. */
	deadline = (long long)clock_ms() + ms;
	for (ai = res; ai != NULL && c->fd == -1; ai = ai->ai_next)
		c->fd = connect_one(ai, deadline, ms, why, sizeof(why));
	freeaddrinfo(res);
	if (c->fd == -1) {
		err_set(e, E_NET, NULL, "%s: %s", c->name, why);
		return -1;
	}
	return 0;
}

int
conn_open(struct conn **cp, const struct conn_params *p, struct err *e)
{
	struct conn *c;

	*cp = NULL;
	c = xcalloc(1, sizeof(*c));
	c->fd = -1;
	c->io_ms = p->io_ms > 0 ? p->io_ms : CONN_IO_MS;
	c->host = xstrdup(p->host);
	c->ca_file = p->ca_file ? xstrdup(p->ca_file) : NULL;
	c->trusts = p->trusts;
	snprintf(c->name, sizeof(c->name), "%s:%s", p->host, p->port);
	buf_init(&c->out, CONN_OUT_HIGH);
	if (dial(c, p, e) == -1) {
		conn_close(c);
		return -1;
	}
	*cp = c;
	return 0;
}

/* Receive at most n octets into p: the count, or -1 with e set. */
static ssize_t
recv_some(struct conn *c, char *p, size_t n, struct err *e)
{
	char why[CONN_REASON_MAX];
	ssize_t r;

	for (;;) {
		r = recv(c->fd, p, n, 0);
		if (r > 0)
			return r;
		if (r == 0) {
			err_set(e, E_NET, NULL, "%s: connection closed by "
			    "the server", c->name);
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			break;
		if (wait_io(c, POLLIN, true, e) == -1)
			return -1;
	}
	reason(errno, why, sizeof(why));
	err_set(e, E_NET, NULL, "%s: receive: %s", c->name, why);
	return -1;
}

static ssize_t
tls_recv_some(struct conn *c, char *p, size_t n, struct err *e)
{
	ssize_t r;

	for (;;) {
		r = gnutls_record_recv(c->tls, p, n);
		if (r > 0)
			return r;
		if (r == 0 || r == GNUTLS_E_PREMATURE_TERMINATION) {
			err_set(e, E_NET, NULL, "%s: connection closed by "
			    "the server", c->name);
			return -1;
		}
		if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED)
			break;
		/* Records GnuTLS already decrypted need no poll. */
		if (gnutls_record_check_pending(c->tls) == 0 &&
		    wait_io(c, tls_dir(c), true, e) == -1)
			return -1;
	}
	err_set(e, E_NET, NULL, "%s: TLS receive: %s", c->name,
	    gnutls_strerror((int)r));
	return -1;
}

/* Read more input after what is held, compacting first. */
static int
fill(struct conn *c, struct err *e)
{
	size_t room;
	ssize_t r;

	if (c->ipos > 0) {
		memmove(c->in, c->in + c->ipos, c->ilen - c->ipos);
		c->ilen -= c->ipos;
		c->ipos = 0;
	}
	room = CONN_IN_SIZE - c->ilen;
	if (c->tls != NULL)
		r = tls_recv_some(c, c->in + c->ilen, room, e);
	else
		r = recv_some(c, c->in + c->ilen, room, e);
	if (r == -1)
		return -1;
	c->ilen += (size_t)r;
	return 0;
}

int
conn_readline(struct conn *c, const char **line, size_t *len, struct err *e)
{
	char *start, *lf;
	size_t n;

	if (conn_flush(c, e) == -1)
		return -1;
	arm(c);
	for (;;) {
		start = c->in + c->ipos;
		lf = memchr(start, '\n', c->ilen - c->ipos);
		if (lf != NULL)
			break;
		if (c->ilen - c->ipos >= CONN_LINE_MAX)
			goto toolong;
		if (fill(c, e) == -1)
			return -1;
	}
	n = (size_t)(lf - start);
	if (n + 1 > CONN_LINE_MAX)
		goto toolong;
	if (memchr(start, '\0', n) != NULL) {
		err_set(e, E_PROTO, NULL, "%s: the server sent a NUL octet",
		    c->name);
		return -1;
	}
	c->ipos += n + 1;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	start[n] = '\0';
	*line = start;
	*len = n;
	return 0;
toolong:
	err_set(e, E_PROTO, NULL, "%s: the server sent a line longer than "
	    "%d octets", c->name, CONN_LINE_MAX);
	return -1;
}

/* Bytes received and not yet returned by conn_readline(). */
static size_t
pending(const struct conn *c)
{
	return c->ilen - c->ipos;
}

static int
send_plain(struct conn *c, const char *p, size_t n, struct err *e)
{
	char why[CONN_REASON_MAX];
	ssize_t r;

	while (n > 0) {
		r = send(c->fd, p, n, MSG_NOSIGNAL);
		if (r >= 0) {
			p += r;
			n -= (size_t)r;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (wait_io(c, POLLOUT, false, e) == -1)
				return -1;
		} else if (errno != EINTR) {
			reason(errno, why, sizeof(why));
			err_set(e, E_NET, NULL, "%s: send: %s", c->name, why);
			return -1;
		}
	}
	return 0;
}

static int
send_tls(struct conn *c, const char *p, size_t n, struct err *e)
{
	ssize_t r;

	while (n > 0) {
		/* After E_AGAIN GnuTLS wants the same arguments again. */
		r = gnutls_record_send(c->tls, p, n);
		if (r >= 0) {
			p += r;
			n -= (size_t)r;
		} else if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			if (wait_io(c, tls_dir(c), false, e) == -1)
				return -1;
		} else {
			err_set(e, E_NET, NULL, "%s: TLS send: %s", c->name,
			    gnutls_strerror((int)r));
			return -1;
		}
	}
	return 0;
}

static int
send_all(struct conn *c, const char *p, size_t n, struct err *e)
{
	return c->tls ? send_tls(c, p, n, e) : send_plain(c, p, n, e);
}

int
conn_write(struct conn *c, const void *p, size_t n, struct err *e)
{
	const char *s = p;
	size_t direct;

	if (c->out.len + n <= CONN_OUT_HIGH) {
		buf_add(&c->out, s, n);
		return c->out.len == CONN_OUT_HIGH ? conn_flush(c, e) : 0;
	}
	if (conn_flush(c, e) == -1)
		return -1;
	/* Whole records go out now; the tail waits to join what follows. */
	direct = n - n % CONN_OUT_HIGH;
	if (send_all(c, s, direct, e) == -1)
		return -1;
	buf_add(&c->out, s + direct, n - direct);
	return 0;
}

int
conn_flush(struct conn *c, struct err *e)
{
	int r;

	if (c->out.len == 0)
		return 0;
	r = send_all(c, c->out.data, c->out.len, e);
	/* AUTH lines pass through here: leave no copy behind. */
	explicit_bzero(c->out.data, c->out.len);
	buf_reset(&c->out);
	return r;
}

void
conn_set_timeout(struct conn *c, int io_ms)
{
	c->io_ms = io_ms > 0 ? io_ms : CONN_IO_MS;
	c->deadline = 0;
}

static bool
is_ip(const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

/* A store of the system's CAs and ca_file's (or NULL), as c names. */
static int
trust_load(const struct conn *c, gnutls_certificate_credentials_t *credp,
    struct err *e)
{
	gnutls_certificate_credentials_t cred;
	int r, sys;

	r = gnutls_certificate_allocate_credentials(&cred);
	if (r < 0) {
		err_set(e, E_TLS, NULL, "%s: %s", c->name, gnutls_strerror(r));
		return -1;
	}
	sys = gnutls_certificate_set_x509_system_trust(cred);
	if (c->ca_file != NULL) {
		r = gnutls_certificate_set_x509_trust_file(cred, c->ca_file,
		    GNUTLS_X509_FMT_PEM);
		if (r <= 0) {
			err_set(e, E_TLS, NULL, "ca_file %s: no CA certificate "
			    "loaded: %s", c->ca_file, r < 0 ?
			    gnutls_strerror(r) : "no PEM certificate found");
			gnutls_certificate_free_credentials(cred);
			return -1;
		}
	} else if (sys <= 0) {
		err_set(e, E_TLS, NULL, "no trusted CA certificates: the "
		    "system store is empty or unreadable%s", CONN_CA_HINT);
		gnutls_certificate_free_credentials(cred);
		return -1;
	}
	*credp = cred;
	return 0;
}

struct trust {
	char		*ca_file;	/* or NULL: the system store alone */
	gnutls_certificate_credentials_t cred;
};

struct conn_trusts {
	pthread_mutex_t	 lock;
	struct trust	*v;
	size_t		 n;
};

struct conn_trusts *
conn_trusts_new(void)
{
	struct conn_trusts *t = xcalloc(1, sizeof(*t));

	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void
conn_trusts_free(struct conn_trusts *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		gnutls_certificate_free_credentials(t->v[i].cred);
		free(t->v[i].ca_file);
	}
	free(t->v);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static bool
same_file(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* c->cred from the run's stores, loading it there the first time. */
static int
trust_shared(struct conn *c, struct err *e)
{
	struct conn_trusts *t = c->trusts;
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->n && !same_file(t->v[i].ca_file, c->ca_file); i++)
		;
	if (i == t->n) {
		rc = trust_load(c, &c->cred, e);
		if (rc == 0) {
			t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
			t->v[t->n].ca_file = c->ca_file != NULL ?
			    xstrdup(c->ca_file) : NULL;
			t->v[t->n++].cred = c->cred;
		}
	} else
		c->cred = t->v[i].cred;
	c->cred_shared = rc == 0;
	pthread_mutex_unlock(&t->lock);
	return rc;
}

static int
load_trust(struct conn *c, struct err *e)
{
	if (c->trusts != NULL)
		return trust_shared(c, e);
	return trust_load(c, &c->cred, e);
}

static int
tls_setup(struct conn *c, struct err *e)
{
	int r;

	if (load_trust(c, e) == -1)
		return -1;
	r = gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL);
	if (r >= 0)
		r = gnutls_priority_set_direct(c->tls, CONN_PRIORITY, NULL);
	if (r >= 0)
		r = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE,
		    c->cred);
	/* RFC 6066 §3: SNI carries host names, never address literals. */
	if (r >= 0 && !is_ip(c->host))
		r = gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, c->host,
		    strlen(c->host));
	if (r < 0) {
		err_set(e, E_TLS, NULL, "%s: TLS setup: %s", c->name,
		    gnutls_strerror(r));
		return -1;
	}
	/* The handshake itself fails on a bad chain or a wrong name. */
	gnutls_session_set_verify_cert(c->tls, c->host, 0);
	gnutls_transport_set_int(c->tls, c->fd);
	/*
	 * No GnuTLS timeout: with one it waits inside its own reads and
	 * restarts the wait on each octet.  Our deadline bounds it.
	 */
	gnutls_handshake_set_timeout(c->tls, 0);
	return 0;
}

/* E_TLS naming the host and each reason in status. */
static void
cert_error(struct conn *c, unsigned status, struct err *e)
{
	gnutls_datum_t out = { NULL, 0 };
	char why[ERR_MSG_MAX] = "verification failed";
	const char *hint = "";
	size_t n;

	if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) >= 0) {
		snprintf(why, sizeof(why), "%s", (char *)out.data);
		gnutls_free(out.data);
	}
	n = strlen(why);
	while (n > 0 && why[n - 1] == ' ')
		why[--n] = '\0';
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		hint = CONN_CA_HINT;
	err_set(e, E_TLS, NULL, "certificate for %s not trusted: %s%s",
	    c->host, why, hint);
}

static int
handshake(struct conn *c, struct err *e)
{
	int r;

	do {
		r = gnutls_handshake(c->tls);
		if ((r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) &&
		    wait_io(c, tls_dir(c), true, e) == -1)
			return -1;
	} while (r < 0 && gnutls_error_is_fatal(r) == 0);
	if (r >= 0)
		return 0;
	if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
		cert_error(c, gnutls_session_get_verify_cert_status(c->tls), e);
	else if (r == GNUTLS_E_FATAL_ALERT_RECEIVED)
		err_set(e, E_TLS, NULL, "TLS handshake with %s failed: the "
		    "server sent alert \"%s\"", c->name,
		    gnutls_alert_get_name(gnutls_alert_get(c->tls)));
	else
		err_set(e, E_TLS, NULL, "TLS handshake with %s failed: %s",
		    c->name, gnutls_strerror(r));
	return -1;
}

/* Check the status again ourselves: never trust a return code alone. */
static int
check_peer(struct conn *c, struct err *e)
{
	unsigned status = 0;
	int r;

	if (gnutls_certificate_type_get(c->tls) != GNUTLS_CRT_X509) {
		err_set(e, E_TLS, NULL, "%s: the server did not present an "
		    "X.509 certificate", c->name);
		return -1;
	}
	r = gnutls_certificate_verify_peers3(c->tls, c->host, &status);
	if (r < 0) {
		err_set(e, E_TLS, NULL, "certificate for %s not verified: %s",
		    c->host, gnutls_strerror(r));
		return -1;
	}
	if (status != 0) {
		cert_error(c, status, e);
		return -1;
	}
	return 0;
}

int
conn_starttls(struct conn *c, struct err *e)
{
	char *desc;
	int r;

	/* RFC 3207 §5, CVE-2021-22947: nothing may precede the handshake. */
	if (pending(c) > 0) {
		err_set(e, E_PROTO, NULL, "%s: server sent data after its "
		    "STARTTLS reply: possible response injection "
		    "(CVE-2021-22947); aborting", c->name);
		return -1;
	}
	if (c->tls != NULL) {
		err_set(e, E_INTERNAL, NULL, "%s: TLS already on", c->name);
		return -1;
	}
	if (conn_flush(c, e) == -1)
		return -1;
	/* The whole handshake within io_ms, however the server drips it. */
	c->deadline = (long long)clock_ms() + c->io_ms;
	r = tls_setup(c, e) == -1 || handshake(c, e) == -1 ||
	    check_peer(c, e) == -1 ? -1 : 0;
	c->deadline = 0;
	if (r == -1) {
		/* Nothing may go on in the clear after a failed attempt. */
		shutdown(c->fd, SHUT_RDWR);
		return -1;
	}
	c->verified = true;
	desc = gnutls_session_get_desc(c->tls);
	snprintf(c->info, sizeof(c->info), "%s", desc ? desc : "TLS");
	gnutls_free(desc);
	return 0;
}

bool
conn_tls_verified(const struct conn *c)
{
	return c != NULL && c->tls != NULL && c->verified;
}

const char *
conn_tls_info(const struct conn *c)
{
	return conn_tls_verified(c) ? c->info : "plain";
}

void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->tls != NULL) {
		/* close_notify, best effort: the socket never blocks. */
		if (c->verified)
			gnutls_bye(c->tls, GNUTLS_SHUT_WR);
		gnutls_deinit(c->tls);
	}
	if (c->cred != NULL && !c->cred_shared)
		gnutls_certificate_free_credentials(c->cred);
	if (c->fd != -1)
		close(c->fd);
	if (c->out.data != NULL)
		explicit_bzero(c->out.data, c->out.size);
	buf_fini(&c->out);
	free(c->host);
	free(c->ca_file);
	free(c);
}

int
conn_global_init(struct err *e)
{
	int r;

	r = gnutls_global_init();
	if (r < 0) {
		err_set(e, E_TLS, NULL, "GnuTLS: %s", gnutls_strerror(r));
		return -1;
	}
	return 0;
}

void
conn_global_fini(void)
{
	gnutls_global_deinit();
}

/*
 * --- The server side, for the relay ------------------------------------
 * A listening socket, accepted connections wrapped in the same struct
 * conn (so the relay reads and writes through the one capped buffer),
 * STARTTLS as a server with a certificate and key, and a raw line reader
 * that keeps the line end: the relay must tell CRLF from a bare LF to
 * refuse SMTP smuggling, and give a whole command a deadline, not each
 * read its own timeout (a client sending one octet a second would
 * otherwise hold a thread for hours).
 */

struct conn_tls_server {
	gnutls_certificate_credentials_t cred;
};

int
conn_tls_server_load(struct conn_tls_server **tp, const char *cert,
    const char *key, struct err *e)
{
	struct conn_tls_server *t;
	int r;

	*tp = NULL;
	t = xcalloc(1, sizeof(*t));
	r = gnutls_certificate_allocate_credentials(&t->cred);
	if (r >= 0)
		r = gnutls_certificate_set_x509_key_file(t->cred, cert, key,
		    GNUTLS_X509_FMT_PEM);
	if (r < 0) {
		err_set(e, E_CONFIG, cert, "cannot load the relay's "
		    "certificate and key %s: %s", key, gnutls_strerror(r));
		conn_tls_server_free(t);
		return -1;
	}
	*tp = t;
	return 0;
}

void
conn_tls_server_free(struct conn_tls_server *t)
{
	if (t == NULL)
		return;
	if (t->cred != NULL)
		gnutls_certificate_free_credentials(t->cred);
	free(t);
}

int
conn_listen(int *fdp, const char *addr, const char *port, char *bound,
    size_t size, struct err *e)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char why[CONN_REASON_MAX], host[64], serv[16];
	int fd = -1, one = 1, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	r = getaddrinfo(addr, port, &hints, &ai);
	if (r != 0) {
		err_set(e, E_USAGE, NULL, "cannot listen on %s port %s: %s",
		    addr, port, gai_strerror(r));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 || (ai->ai_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ==
	    -1) || bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 64) == -1 || fcntl(fd, F_SETFL, O_NONBLOCK) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv,
	    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		reason(errno, why, sizeof(why));
		err_set(e, E_NET, NULL, "cannot listen on %s port %s: %s",
		    addr, port, why);
		if (fd != -1)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	snprintf(bound, size, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host,
	    serv);
	*fdp = fd;
	return 0;
}

int
conn_accept(int lfd, int wait_ms, struct conn **cp, struct err *e)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char why[CONN_REASON_MAX], host[64] = "?", serv[16] = "?";
	struct conn *c;
	int fd, one = 1, r;

	*cp = NULL;
	r = wait_fd(lfd, POLLIN, wait_ms);
	if (r == 0 || (r == -1 && errno == EINTR))
		return 0;
	fd = r == 1 ? accept(lfd, (struct sockaddr *)&ss, &sl) : -1;
	if (fd != -1 && (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) == -1)) {
		close(fd);
		fd = -1;
	}
	if (fd == -1) {
		if (errno == EAGAIN || errno == EINTR ||
		    errno == ECONNABORTED)
			return 0;
		reason(errno, why, sizeof(why));
		err_set(e, E_OS, NULL, "accept: %s", why);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv,
	    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV);
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->io_ms = CONN_IO_MS;
	snprintf(c->name, sizeof(c->name), "client %s port %s", host, serv);
	buf_init(&c->out, CONN_OUT_HIGH);
	*cp = c;
	return 1;
}

const char *
conn_name(const struct conn *c)
{
	return c->name;
}

int
conn_starttls_server(struct conn *c, const struct conn_tls_server *t,
    int ms, struct err *e)
{
	int r;

	/* RFC 3207 §5 (CVE-2011-0411): plaintext sent behind STARTTLS. */
	if (pending(c) > 0) {
		err_set(e, E_PROTO, NULL, "%s sent data behind STARTTLS "
		    "(command injection, RFC 3207 §5)", c->name);
		return -1;
	}
	if (conn_flush(c, e) == -1)
		return -1;
	c->io_ms = ms;
	r = gnutls_init(&c->tls, GNUTLS_SERVER | GNUTLS_NO_SIGNAL);
	if (r >= 0)
		r = gnutls_priority_set_direct(c->tls, CONN_PRIORITY, NULL);
	if (r >= 0)
		r = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE,
		    t->cred);
	if (r < 0) {
		err_set(e, E_TLS, NULL, "%s: TLS setup: %s", c->name,
		    gnutls_strerror(r));
		return -1;
	}
	gnutls_certificate_server_set_request(c->tls, GNUTLS_CERT_IGNORE);
	gnutls_transport_set_int(c->tls, c->fd);
	gnutls_handshake_set_timeout(c->tls, (unsigned)ms);
	if (handshake(c, e) == -1) {
		shutdown(c->fd, SHUT_RDWR);
		return -1;
	}
	/* Server side: no client certificate to check; the session is up. */
	c->verified = true;
	return 0;
}

int
conn_readraw(struct conn *c, int ms, const char **p, size_t *len,
    struct err *e)
{
	long long deadline = (long long)clock_ms() + ms, left;
	char *start, *lf;
	size_t n;
	int r = 0, saved = c->io_ms;

	if (conn_flush(c, e) == -1)
		return -1;
	for (;;) {
		start = c->in + c->ipos;
		n = c->ilen - c->ipos;
		lf = memchr(start, '\n', n);
		if (lf != NULL || n >= CONN_LINE_MAX)
			break;
		left = deadline - (long long)clock_ms();
		if (left <= 0) {
			r = 1;
			break;
		}
		c->io_ms = (int)left;
		if (wait_fd(c->fd, POLLIN, (int)left) == 0 &&
		    (c->tls == NULL || gnutls_record_check_pending(c->tls) ==
		    0)) {
			r = 1;
			break;
		}
		if (fill(c, e) == -1) {
			r = -1;
			break;
		}
	}
	c->io_ms = saved;
	if (r != 0)
		return r;
	n = lf != NULL ? (size_t)(lf - start) + 1 : CONN_LINE_MAX;
	if (n > CONN_LINE_MAX)
		n = CONN_LINE_MAX;
	c->ipos += n;
	*p = start;
	*len = n;
	return 0;
}
