/*
 * imap: read-only IMAP through libcurl (the only module that includes
 * it).  libcurl connects, verifies the certificate (system store, or
 * ca_file), does STARTTLS or implicit TLS and logs in; we stop it there
 * (CURLOPT_CONNECT_ONLY) and speak the rest of RFC 3501 ourselves over
 * its connection with curl_easy_send()/curl_easy_recv().  Why: libcurl's
 * own IMAP commands SELECT the folder (read-write) and FETCH with BODY[],
 * which sets \Seen (RFC 3501 §6.4.5); ours are EXAMINE and BODY.PEEK[],
 * so nothing in the mailbox changes, and we read the message literal by
 * its announced size, so a line of a hostile message that looks like a
 * tagged reply cannot end the response early.
 *
 * Commands: EXAMINE "folder", UID SEARCH SINCE d-Mon-yyyy, then per UID
 * UID FETCH n (RFC822.SIZE) and, if small enough, UID FETCH n
 * (BODY.PEEK[]).  Replies are read line by line with a cap; literals by
 * count, capped at size_max.  The password is handed to libcurl only.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "buf.h"
#include "imap.h"
#include "xalloc.h"

#define LINE_MAX_IMAP	(1024 * 1024)	/* one reply line */
#define CMD_MAX		512
#define TIMEOUT_MS	(60 * 1000)
#define RECV_CHUNK	65536

struct session {
	CURL		*c;
	curl_socket_t	 fd;
	long		 timeout_ms;
	char		*in;		/* received, not yet consumed */
	size_t		 len, off, size;
	unsigned	 tag;
	const char	*host;
};

/* The reply being read: what the untagged lines said. */
struct reply {
	unsigned long	*uids;		/* * SEARCH */
	size_t		 nuids;
	unsigned long long size;	/* RFC822.SIZE */
	bool		 has_size;
	char		*literal;	/* BODY[] */
	size_t		 literal_len;
	bool		 has_literal;
	size_t		 literal_max;
};

/* libcurl's verdict as one of our kinds. */
static enum err_kind
curl_kind(CURLcode rc)
{
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		return E_AUTH;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_USE_SSL_FAILED:
		return E_TLS;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return E_NET;
	default:
		return E_PROTO;
	}
}

static int
curl_fail(struct session *s, CURLcode rc, const char *detail, struct err *e)
{
	err_set(e, curl_kind(rc), s->host, "IMAP: %s%s%s", curl_easy_strerror(
	    rc), detail != NULL && detail[0] != '\0' ? ": " : "",
	    detail != NULL ? detail : "");
	return -1;
}

static int
wait_fd(struct session *s, short ev, struct err *e)
{
	struct pollfd pf = { s->fd, ev, 0 };
	int n = poll(&pf, 1, (int)s->timeout_ms);

	if (n <= 0) {
		err_set(e, E_NET, s->host, "IMAP: no answer in %ld s",
		    s->timeout_ms / 1000);
		return -1;
	}
	return 0;
}

static int
send_all(struct session *s, const char *p, size_t n, struct err *e)
{
	size_t sent;
	CURLcode rc;

	while (n > 0) {
		rc = curl_easy_send(s->c, p, n, &sent);
		if (rc == CURLE_AGAIN) {
			if (wait_fd(s, POLLOUT, e) == -1)
				return -1;
			continue;
		}
		if (rc != CURLE_OK)
			return curl_fail(s, rc, "sending", e);
		p += sent;
		n -= sent;
	}
	return 0;
}

/* Receive more into s->in (keeping what is not consumed). */
static int
fill(struct session *s, struct err *e)
{
	size_t got;
	CURLcode rc;

	if (s->off > 0) {
		memmove(s->in, s->in + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	if (s->size - s->len < RECV_CHUNK) {
		s->size = s->size ? s->size * 2 : RECV_CHUNK * 2;
		s->in = xrealloc(s->in, s->size);
	}
	for (;;) {
		rc = curl_easy_recv(s->c, s->in + s->len, s->size - s->len,
		    &got);
		if (rc == CURLE_AGAIN) {
			if (wait_fd(s, POLLIN, e) == -1)
				return -1;
			continue;
		}
		if (rc != CURLE_OK)
			return curl_fail(s, rc, "receiving", e);
		if (got == 0) {
			err_set(e, E_NET, s->host, "IMAP: the server closed "
			    "the connection");
			return -1;
		}
		s->len += got;
		return 0;
	}
}

/* The next line without its CRLF; valid until the next read. */
static int
read_line(struct session *s, char **line, size_t *n, struct err *e)
{
	char *nl;

	for (;;) {
		nl = s->len > s->off ? memchr(s->in + s->off, '\n', s->len -
		    s->off) : NULL;
		if (nl != NULL)
			break;
		if (s->len - s->off > LINE_MAX_IMAP) {
			err_set(e, E_PROTO, s->host, "IMAP: a reply line longer "
			    "than %d octets", LINE_MAX_IMAP);
			return -1;
		}
		if (fill(s, e) == -1)
			return -1;
	}
	*line = s->in + s->off;
	*n = (size_t)(nl - *line);
	s->off += *n + 1;
	if (*n > 0 && (*line)[*n - 1] == '\r')
		(*n)--;
	(*line)[*n] = '\0';
	return 0;
}

/* n octets of a literal into out (NULL: read and drop them). */
static int
read_literal(struct session *s, size_t n, struct buf *out, struct err *e)
{
	size_t k;

	while (n > 0) {
		if (s->len == s->off && fill(s, e) == -1)
			return -1;
		k = s->len - s->off;
		if (k > n)
			k = n;
		if (out != NULL && buf_add(out, s->in + s->off, k) == -1) {
			err_set(e, E_PROTO, s->host, "IMAP: a literal larger "
			    "than announced");
			return -1;
		}
		s->off += k;
		n -= k;
	}
	return 0;
}

/* "{123}" at the end of a line: its size, or -1. */
static long long
literal_size(const char *line, size_t n)
{
	const char *open;
	char *end;
	long long v;

	if (n < 3 || line[n - 1] != '}')
		return -1;
	open = line + n - 2;
	while (open > line && *open != '{')
		open--;
	if (*open != '{')
		return -1;
	v = strtoll(open + 1, &end, 10);
	return (end == line + n - 1 && v >= 0) ? v : -1;
}

static void
untagged(struct reply *r, const char *line)
{
	const char *p;
	char *end;
	unsigned long v;

	if (strncasecmp(line, "* SEARCH", 8) == 0) {
		for (p = line + 8; *p == ' '; ) {
			v = strtoul(p + 1, &end, 10);
			if (end == p + 1)
				break;
			r->uids = xreallocarray(r->uids, r->nuids + 1,
			    sizeof(*r->uids));
			r->uids[r->nuids++] = v;
			p = end;
		}
	}
	p = strstr(line, "RFC822.SIZE ");
	if (p != NULL) {
		r->size = strtoull(p + 12, NULL, 10);
		r->has_size = true;
	}
}

/* A literal inside a reply: the message body, or something to skip. */
static int
literal(struct session *s, struct reply *r, const char *line,
    long long n, struct err *e)
{
	struct buf b;

	if (strstr(line, "BODY[]") == NULL || r->has_literal)
		return read_literal(s, (size_t)n, NULL, e);
	if ((unsigned long long)n > r->literal_max) {
		err_set(e, E_PROTO, s->host, "IMAP: a message of %lld octets "
		    "after announcing a smaller one", n);
		return -1;
	}
	buf_init(&b, (size_t)n);
	if (read_literal(s, (size_t)n, &b, e) == -1) {
		buf_fini(&b);
		return -1;
	}
	r->literal = b.data != NULL ? b.data : xstrdup("");
	r->literal_len = b.len;
	r->has_literal = true;
	return 0;
}

/*
 * Send one tagged command and read its reply to the tagged line.  No
 * or BAD is E_PROTO, or what_no says (E_INPUT for EXAMINE).
 */
static int
command(struct session *s, const char *cmd, struct reply *r,
    enum err_kind what_no, struct err *e)
{
	char buf[CMD_MAX], tag[16], *line;
	size_t n, tl;
	long long lit;
	int k;

	snprintf(tag, sizeof(tag), "M%u", ++s->tag);
	k = snprintf(buf, sizeof(buf), "%s %s\r\n", tag, cmd);
	if (k < 0 || (size_t)k >= sizeof(buf)) {
		err_set(e, E_INTERNAL, s->host, "IMAP command too long");
		return -1;
	}
	if (send_all(s, buf, (size_t)k, e) == -1)
		return -1;
	tl = strlen(tag);
	for (;;) {
		if (read_line(s, &line, &n, e) == -1)
			return -1;
		if (n > tl && strncmp(line, tag, tl) == 0 && line[tl] == ' ')
			break;
		if (strncasecmp(line, "* BYE", 5) == 0) {
			err_set(e, E_NET, s->host, "IMAP: the server said "
			    "goodbye: %.200s", line);
			return -1;
		}
		untagged(r, line);
		lit = literal_size(line, n);
		if (lit >= 0 && literal(s, r, line, lit, e) == -1)
			return -1;
	}
	if (strncasecmp(line + tl + 1, "OK", 2) == 0)
		return 0;
	err_set(e, what_no, s->host, "IMAP: %s refused: %.200s", cmd,
	    line + tl + 1);
	return -1;
}

static void
reply_fini(struct reply *r)
{
	free(r->uids);
	free(r->literal);
	memset(r, 0, sizeof(*r));
}

static int
connect_login(struct session *s, const struct imap_params *p,
    char *errbuf, struct err *e)
{
	const curl_version_info_data *vi;
	char url[600];
	CURLcode rc;

	snprintf(url, sizeof(url), "%s://%s:%s/", p->starttls ? "imap" :
	    "imaps", p->host, p->port);
	curl_easy_setopt(s->c, CURLOPT_URL, url);
	curl_easy_setopt(s->c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(s->c, CURLOPT_USERNAME, p->user);
	curl_easy_setopt(s->c, CURLOPT_PASSWORD, p->password);
	curl_easy_setopt(s->c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	curl_easy_setopt(s->c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(s->c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (p->ca_file != NULL) {
		/* As conn.c does for SMTP: ca_file besides the system's CAs,
		 * not instead of them (CAINFO alone would replace them). */
		vi = curl_version_info(CURLVERSION_NOW);
		curl_easy_setopt(s->c, CURLOPT_CAINFO, p->ca_file);
		if (vi->capath != NULL)
			curl_easy_setopt(s->c, CURLOPT_CAPATH, vi->capath);
	}
	curl_easy_setopt(s->c, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(s->c, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms);
	curl_easy_setopt(s->c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(s->c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(s->c);
	if (rc != CURLE_OK)
		return curl_fail(s, rc, errbuf, e);
	rc = curl_easy_getinfo(s->c, CURLINFO_ACTIVESOCKET, &s->fd);
	if (rc != CURLE_OK || s->fd == CURL_SOCKET_BAD)
		return curl_fail(s, rc, "no connection", e);
	return 0;
}

/* One message: its size, then (if not too big) its bytes. */
static int
fetch_one(struct session *s, const struct imap_params *p, unsigned long uid,
    imap_msg_fn *fn, void *arg, struct err *e)
{
	struct reply r;
	char cmd[64];
	int rc;

	memset(&r, 0, sizeof(r));
	snprintf(cmd, sizeof(cmd), "UID FETCH %lu (RFC822.SIZE)", uid);
	if (command(s, cmd, &r, E_PROTO, e) == -1)
		return -1;
	if (!r.has_size)
		return 0;	/* expunged meanwhile */
	if (r.size > p->size_max)
		return fn(arg, uid, NULL, 0, (size_t)r.size);
	r.literal_max = (size_t)r.size;
	/* BODY.PEEK: RFC 3501 §6.4.5, the \Seen flag is not set. */
	snprintf(cmd, sizeof(cmd), "UID FETCH %lu (BODY.PEEK[])", uid);
	rc = command(s, cmd, &r, E_PROTO, e);
	if (rc == 0 && r.has_literal)
		rc = fn(arg, uid, r.literal, r.literal_len, (size_t)r.size);
	reply_fini(&r);
	return rc;
}

static int
examine_fetch(struct session *s, const struct imap_params *p,
    imap_msg_fn *fn, void *arg, struct err *e)
{
	static const char mon[][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct reply r;
	struct tm tm;
	char cmd[CMD_MAX];
	size_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	snprintf(cmd, sizeof(cmd), "EXAMINE \"%s\"", p->folder);
	if (command(s, cmd, &r, E_INPUT, e) == -1)
		return -1;
	localtime_r(&p->since, &tm);
	snprintf(cmd, sizeof(cmd), "UID SEARCH SINCE %d-%s-%d", tm.tm_mday,
	    mon[tm.tm_mon], tm.tm_year + 1900);
	rc = command(s, cmd, &r, E_PROTO, e);
	for (i = 0; rc == 0 && i < r.nuids; i++)
		rc = fetch_one(s, p, r.uids[i], fn, arg, e);
	reply_fini(&r);
	if (rc == 0) {
		rc = command(s, "LOGOUT", &r, E_PROTO, e);
		reply_fini(&r);
		(void)rc;	/* the mail is read: a rude goodbye is fine */
		rc = 0;
	}
	return rc;
}

int
imap_fetch(const struct imap_params *p, imap_msg_fn *fn, void *arg,
    struct err *e)
{
	static bool started;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct session s;
	int rc;

	if (!started) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		started = true;
	}
	memset(&s, 0, sizeof(s));
	s.host = p->host;
	s.timeout_ms = p->timeout_ms > 0 ? p->timeout_ms : TIMEOUT_MS;
	s.c = curl_easy_init();
	if (s.c == NULL) {
		err_set(e, E_INTERNAL, p->host, "libcurl cannot start");
		return -1;
	}
	rc = connect_login(&s, p, errbuf, e);
	if (rc == 0)
		rc = examine_fetch(&s, p, fn, arg, e);
	curl_easy_cleanup(s.c);
	free(s.in);
	return rc;
}
