/*
 * The SMTP client against tests/smtpd over loopback TLS: pipelining
 * across messages (smtp_send_next(), RFC 2920 §3.1) and CHUNKING (RFC
 * 3030).  Each case starts its own server ($SMTPD, default build/smtpd)
 * on an ephemeral port with a fault script, a store and a transcript
 * (server_fixture.c), and checks the outcomes, the stored bytes, the
 * server's transcript (with MARK_PIPELINED: which commands came with
 * earlier input) and the client's trace.  TAP; a missing tool fails,
 * nothing skips.
 */
#include <sys/wait.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "server_fixture.h"
#include "smtp.h"
#include "tap.h"

#define NMSG		5
#define IDLE_MS		5000	/* how long server_idle() waits */
#define IO_MS		10000
#define LINES_MAX	4096

/* The client's trace, in memory, and what before_eom saw in it. */
struct probe {
	FILE	*f;
	char	*text;
	size_t	 len;
	int	 calls;
	size_t	 mails[NMSG + 1];	/* "C: MAIL" lines at each call */
	size_t	 dots[NMSG + 1];	/* "C: ." lines at each call */
};

struct msg {
	struct smtp_message	 m;
	const char		*rcpt[2];
	char			 data[256];
};

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p;

	for (p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Split text (modified) into lines; returns how many. */
static size_t
split(char *text, char **lines)
{
	size_t n = 0;
	char *p = text, *nl;

	while (*p != '\0' && n < LINES_MAX) {
		nl = strchr(p, '\n');
		lines[n++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	return n;
}

/* Index of the nth (from 1) line starting with prefix, or -1. */
static long
find(char **lines, size_t n, const char *prefix, int nth)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strncmp(lines[i], prefix, strlen(prefix)) == 0 &&
		    --nth == 0)
			return (long)i;
	return -1;
}

/* Wait (up to 5 s) until the server has seen every client hang up. */
static void
server_idle(const struct fixture_server *sv)
{
	char *log;
	bool idle = false;
	int waited;

	for (waited = 0; !idle && waited < IDLE_MS; waited += 20) {
		log = fixture_slurp(sv->log);
		idle = log != NULL && count(log, " opened\n") ==
		    count(log, " closed\n");
		free(log);
		if (!idle)
			nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
}

/* SIGTERM; ok if the server exits 0 (sanitizer reports would not). */
static void
server_stop(struct fixture_server *sv, const char *name)
{
	int status;

	if (sv->pid <= 0)
		return;
	server_idle(sv);
	status = fixture_server_stop(sv);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: server exited 0", name);
}

static char *
stored(const struct fixture_server *sv, int seq)
{
	char path[FIXTURE_PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/%06d.eml", sv->store, seq);
	return fixture_slurp(path);
}

static int
stored_count(const struct fixture_server *sv)
{
	char *p;
	int n = 0;

	while ((p = stored(sv, n + 1)) != NULL) {
		free(p);
		n++;
	}
	return n;
}

static int
on_eom(void *arg)
{
	struct probe *pr = arg;

	fflush(pr->f);
	if (pr->calls <= NMSG) {
		pr->mails[pr->calls] = count(pr->text, "C: MAIL FROM");
		pr->dots[pr->calls] = count(pr->text, "\nC: .\n");
	}
	pr->calls++;
	return 0;
}

static void
msg_init(struct msg *ms, int k, const char *rcpt, struct probe *pr)
{
	memset(ms, 0, sizeof(*ms));
	snprintf(ms->data, sizeof(ms->data), "From: a@example.com\r\n"
	    "Subject: message %d\r\n\r\n.leading dot\r\n..two dots\r\n"
	    ".\r\nbody %d\r\n", k, k);
	ms->rcpt[0] = rcpt;
	ms->m.from = "a@example.com";
	ms->m.rcpt = ms->rcpt;
	ms->m.nrcpt = 1;
	ms->m.data = ms->data;
	ms->m.len = strlen(ms->data);
	ms->m.before_eom = on_eom;
	ms->m.arg = pr;
}

static void
msgs_init(struct msg *ms, int n, struct probe *pr)
{
	int k;

	for (k = 0; k < n; k++)
		msg_init(&ms[k], k + 1, "b@example.com", pr);
}

static struct smtp *
client_open(const struct fixture_server *sv, struct probe *pr)
{
	struct fixture_client c;
	struct smtp *s;
	struct err e;

	memset(pr, 0, sizeof(*pr));
	pr->f = open_memstream(&pr->text, &pr->len);
	fixture_client(&c, sv, IO_MS);
	c.p.trace = pr->f;
	if (smtp_open(&s, &c.p, NULL, &e) == -1) {
		printf("# smtp_open: %s\n", e.msg);
		return NULL;
	}
	return s;
}

/*
 * Start case name's server with script and open a session to it traced
 * into pr (*sp is NULL if that failed), with n messages ready in ms;
 * false if the server did not start.
 */
static bool
case_open(struct fixture_server *sv, const char *name, const char *script,
    struct probe *pr, struct smtp **sp, struct msg *ms, int n)
{
	*sp = NULL;
	if (!ok(fixture_server_start(sv, name, script) == 0,
	    "%s: server started", name))
		return false;
	*sp = client_open(sv, pr);
	msgs_init(ms, n, pr);
	return true;
}

static void
probe_fini(struct probe *pr)
{
	if (pr->f != NULL)
		fclose(pr->f);
	free(pr->text);
	memset(pr, 0, sizeof(*pr));
}

/* Send ms[0..n) chained: each call names the following message. */
static void
send_chain(struct smtp *s, struct msg *ms, int n, int *rc,
    struct smtp_outcome *o, struct err *e)
{
	int k;

	for (k = 0; k < n; k++)
		rc[k] = smtp_send_next(s, &ms[k].m,
		    k + 1 < n ? &ms[k + 1].m : NULL, &o[k], &e[k]);
}

static bool
content_is(const struct fixture_server *sv, int seq, const struct msg *ms)
{
	char *p = stored(sv, seq);
	bool same = p != NULL && strcmp(p, ms->data) == 0;

	free(p);
	return same;
}

/* The line before the kth "C: MAIL" of the transcript is "-- pipelined". */
static bool
mail_pipelined(char **lines, size_t n, int k)
{
	long i = find(lines, n, "C: MAIL FROM", k);

	return i > 0 && strcmp(lines[i - 1], "-- pipelined") == 0;
}

/* In the client's trace, the line after the kth "C: ." is a MAIL. */
static bool
mail_behind_dot(char **lines, size_t n, int k)
{
	long i = find(lines, n, "C: .", k);

	return i >= 0 && (size_t)i + 1 < n &&
	    strncmp(lines[i + 1], "C: MAIL FROM", 12) == 0;
}

static void
check_chain_transcript(const struct fixture_server *sv, struct probe *pr)
{
	static char *lines[LINES_MAX];
	char *log = fixture_slurp(sv->log);
	size_t n;
	int k;
	bool all = true;

	ok(log != NULL && count(log, "-- stored") == NMSG &&
	    count(log, "C: RSET") == 0 && count(log, "C: QUIT") == 1,
	    "chain: 5 stored, no RSET, one QUIT");
	n = log == NULL ? 0 : split(log, lines);
	ok(!mail_pipelined(lines, n, 1), "chain: message 1's MAIL opens a "
	    "group");
	for (k = 2; k <= NMSG; k++)
		all = all && mail_pipelined(lines, n, k);
	ok(all, "chain: MAIL of messages 2-5 came in the write of the "
	    "previous \".\" (server: -- pipelined)");
	n = split(pr->text, lines);
	for (all = true, k = 1; k < NMSG; k++)
		all = all && mail_behind_dot(lines, n, k);
	ok(all, "chain: client trace shows next's MAIL right after \".\", "
	    "before any reply");
	free(log);
}

/* (1) five messages, each call naming the next. */
static void
case_chain(void)
{
	struct msg ms[NMSG];
	struct smtp_outcome o[NMSG];
	struct err e[NMSG];
	struct fixture_server sv;
	struct probe pr;
	struct smtp *s;
	int rc[NMSG] = { 9, 9, 9, 9, 9 }, k;
	bool all = true, owes[NMSG];

	if (!case_open(&sv, "chain", "MARK_PIPELINED\n", &pr, &s, ms, NMSG))
		return;
	for (k = 0; k < NMSG && s != NULL; k++) {
		rc[k] = smtp_send_next(s, &ms[k].m,
		    k + 1 < NMSG ? &ms[k + 1].m : NULL, &o[k], &e[k]);
		owes[k] = smtp_owes(s);
		all = all && rc[k] == 0 && o[k].accepted &&
		    owes[k] == (k + 1 < NMSG);
	}
	ok(s != NULL && all, "chain: 5 accepted; an envelope owed after "
	    "calls 1-4, none after 5");
	for (k = 0; k < NMSG; k++)
		all = all && pr.mails[k] == (size_t)k + 1 &&
		    pr.dots[k] == (size_t)k;
	ok(pr.calls == NMSG && all, "chain: before_eom before each \".\" "
	    "and before next's envelope");
	smtp_close(s);
	server_stop(&sv, "chain");
	for (all = true, k = 0; k < NMSG; k++)
		all = all && content_is(&sv, k + 1, &ms[k]);
	ok(stored_count(&sv) == NMSG && all, "chain: 5 stored, bytes equal");
	check_chain_transcript(&sv, &pr);
	probe_fini(&pr);
}

/* (2) a refusal at end of data: no RSET, the next goes on. */
static void
case_eom_refused(void)
{
	struct msg ms[3];
	struct smtp_outcome o[3];
	struct err e[3];
	struct fixture_server sv;
	struct probe pr;
	struct smtp *s;
	int rc[3] = { 9, 9, 9 };
	char *log;

	if (!case_open(&sv, "eom",
	    "REPLY EOM#2 550 5.7.1 rejected\n", &pr, &s, ms, 3))
		return;
	if (s != NULL)
		send_chain(s, ms, 3, rc, o, e);
	smtp_close(s);
	server_stop(&sv, "eom");
	ok(s != NULL && rc[0] == 0 && o[0].accepted, "eom: 1 accepted");
	ok(s != NULL && rc[1] == 0 && !o[1].accepted && !o[1].unknown &&
	    o[1].stage == SMTP_STAGE_EOM && o[1].reply.code == 550,
	    "eom: 2 refused at EOM with 550");
	ok(s != NULL && rc[2] == 0 && o[2].accepted, "eom: 3 accepted");
	log = fixture_slurp(sv.log);
	ok(log != NULL && count(log, "C: RSET") == 0 &&
	    count(log, "C: QUIT") == 1, "eom: no RSET in the session");
	ok(stored_count(&sv) == 2 && content_is(&sv, 1, &ms[0]) &&
	    content_is(&sv, 2, &ms[2]), "eom: 1 and 3 stored");
	free(log);
	probe_fini(&pr);
}

/* (3) the owed envelope's only recipient refused: RSET, go on. */
static void
case_rcpt_refused(void)
{
	struct msg ms[4];
	struct smtp_outcome o[4];
	struct err e[4];
	struct fixture_server sv;
	struct probe pr;
	struct smtp *s;
	int rc[4] = { 9, 9, 9, 9 };
	char *log, *rset, *mail4;

	if (!case_open(&sv, "rcpt",
	    "REPLY RCPT#3 550 5.1.1 no such user\n", &pr, &s, ms, 4))
		return;
	if (s != NULL)
		send_chain(s, ms, 4, rc, o, e);
	smtp_close(s);
	server_stop(&sv, "rcpt");
	ok(s != NULL && rc[0] == 0 && o[0].accepted && rc[1] == 0 &&
	    o[1].accepted, "rcpt: 1 and 2 accepted");
	ok(s != NULL && rc[2] == 0 && !o[2].accepted &&
	    o[2].stage == SMTP_STAGE_RCPT && o[2].reply.code == 550 &&
	    o[2].nrcpt_bad == 1 && strstr(o[2].refused, "b@example.com: "
	    "550 5.1.1") != NULL, "rcpt: 3 refused at RCPT, recipient named");
	ok(s != NULL && rc[3] == 0 && o[3].accepted, "rcpt: 4 accepted");
	log = fixture_slurp(sv.log);
	rset = log == NULL ? NULL : strstr(log, "C: RSET");
	mail4 = rset == NULL ? NULL : strstr(rset, "C: MAIL FROM");
	ok(log != NULL && count(log, "C: RSET") == 1 &&
	    count(rset, "S: 554 5.5.1") == 0 && mail4 != NULL &&
	    count(log, "C: MAIL FROM") == 4 &&
	    count(mail4, "C: MAIL FROM") == 1,
	    "rcpt: one RSET, after 3's DATA reply, before 4's MAIL");
	ok(stored_count(&sv) == 3 && content_is(&sv, 3, &ms[3]),
	    "rcpt: 1, 2, 4 stored");
	free(log);
	probe_fini(&pr);
}

/* (4) the connection drops after 2 is stored: 2 unknown, 3 not sent. */
static void
case_drop(void)
{
	struct msg ms[3];
	struct smtp_outcome o[3];
	struct err e[3];
	struct fixture_server sv;
	struct probe pr;
	struct smtp *s;
	int rc[3] = { 9, 9, 9 };
	bool owes = false, owes_after = true;
	char *log;

	if (!case_open(&sv, "drop", "DROP_AFTER_STORE EOM#2\n", &pr, &s, ms, 3))
		return;
	if (s != NULL) {
		rc[0] = smtp_send_next(s, &ms[0].m, &ms[1].m, &o[0], &e[0]);
		rc[1] = smtp_send_next(s, &ms[1].m, &ms[2].m, &o[1], &e[1]);
		owes = smtp_owes(s);
		rc[2] = smtp_send_next(s, &ms[2].m, NULL, &o[2], &e[2]);
		owes_after = smtp_owes(s);
	}
	smtp_close(s);
	server_stop(&sv, "drop");
	ok(s != NULL && rc[0] == 0 && o[0].accepted, "drop: 1 accepted");
	ok(s != NULL && rc[1] == -1 && o[1].unknown && e[1].kind == E_NET &&
	    o[1].stage == SMTP_STAGE_EOM, "drop: 2 unknown (E_NET at EOM)");
	ok(owes && !owes_after, "drop: 3's envelope was owed, then settled");
	ok(s != NULL && rc[2] == -1 && !o[2].unknown && !o[2].accepted &&
	    e[2].kind == E_NET, "drop: 3 not delivered (-1, not unknown)");
	log = fixture_slurp(sv.log);
	ok(log != NULL && count(log, "-- drop after store at EOM") == 1 &&
	    count(log, "C: QUIT") == 0 && stored_count(&sv) == 2,
	    "drop: 1 and 2 stored, 3 not; no QUIT");
	free(log);
	probe_fini(&pr);
}

static void
check_chunk_transcript(const struct fixture_server *sv, const struct msg *ms)
{
	static char *lines[LINES_MAX];
	char *log = fixture_slurp(sv->log), want[64];
	size_t n;
	long i;
	int k;
	bool all = true;

	ok(log != NULL && count(log, "C: BDAT ") == 3 &&
	    count(log, "C: DATA") == 0, "chunking: 3 BDAT, no DATA");
	n = log == NULL ? 0 : split(log, lines);
	for (k = 1; k <= 3; k++) {
		i = find(lines, n, "C: BDAT ", k);
		snprintf(want, sizeof(want), "C: BDAT %zu LAST",
		    ms[k - 1].m.len);
		all = all && i > 0 && strcmp(lines[i], want) == 0 &&
		    strcmp(lines[i - 1], "-- pipelined") == 0 &&
		    !mail_pipelined(lines, n, k);
	}
	ok(all, "chunking: BDAT <len> LAST in the group after MAIL, RCPT");
	free(log);
}

/* Client trace: MAIL, RCPT, BDAT, content, with no reply between. */
static bool
one_group(struct probe *pr)
{
	static char *lines[LINES_MAX];
	size_t n = split(pr->text, lines);
	long i;
	int k;

	for (k = 1; k <= 3; k++) {
		i = find(lines, n, "C: MAIL FROM", k);
		if (i < 0 || (size_t)i + 3 >= n ||
		    strncmp(lines[i + 1], "C: RCPT TO:", 11) != 0 ||
		    strncmp(lines[i + 2], "C: BDAT ", 8) != 0 ||
		    strncmp(lines[i + 3], "C: <message:", 12) != 0)
			return false;
	}
	return true;
}

/* (5) CHUNKING: each message one group; content not dot-stuffed. */
static void
case_chunking(void)
{
	struct msg ms[3];
	struct smtp_outcome o[3];
	struct err e[3];
	struct fixture_server sv;
	struct probe pr;
	struct smtp *s;
	int rc[3] = { 9, 9, 9 }, k;
	bool all = true;

	if (!case_open(&sv, "chunk",
	    "CHUNKING\nMARK_PIPELINED\n", &pr, &s, ms, 3))
		return;
	ok(s != NULL && smtp_has(s, "CHUNKING"), "chunking: offered");
	if (s != NULL)
		send_chain(s, ms, 3, rc, o, e);
	for (k = 0; k < 3; k++)
		all = all && s != NULL && rc[k] == 0 && o[k].accepted &&
		    pr.mails[k] == (size_t)k;
	ok(all && s != NULL && !smtp_owes(s), "chunking: 3 accepted, "
	    "before_eom before each group, nothing owed");
	smtp_close(s);
	server_stop(&sv, "chunk");
	for (all = true, k = 0; k < 3; k++)
		all = all && content_is(&sv, k + 1, &ms[k]);
	ok(stored_count(&sv) == 3 && all, "chunking: stored bytes equal the "
	    "message (dot lines not doubled)");
	ok(one_group(&pr), "chunking: client sent MAIL, RCPT, BDAT and the "
	    "content before reading a reply");
	check_chunk_transcript(&sv, ms);
	probe_fini(&pr);
}

static void
check_chunk_faults(const struct fixture_server *sv, const struct msg *ms,
    const int *rc, const struct smtp_outcome *o, const struct err *e)
{
	char *log;

	ok(rc[0] == 0 && o[0].accepted && o[0].nrcpt_ok == 1 &&
	    o[0].nrcpt_bad == 1 && strstr(o[0].refused, "bad@example.com: "
	    "550") != NULL, "chunking faults: 1 accepted, one recipient "
	    "refused and named");
	ok(rc[1] == 0 && !o[1].accepted && o[1].stage == SMTP_STAGE_EOM &&
	    o[1].reply.code == 452, "chunking faults: 2 refused after BDAT "
	    "LAST with 452");
	ok(rc[2] == 0 && !o[2].accepted && o[2].stage == SMTP_STAGE_RCPT &&
	    o[2].reply.code == 550, "chunking faults: 3 (every recipient "
	    "refused) refused at RCPT");
	ok(rc[3] == -1 && o[3].unknown && e[3].kind == E_NET,
	    "chunking faults: 4 unknown when the reply to BDAT LAST is lost");
	log = fixture_slurp(sv->log);
	ok(log != NULL && count(log, "S: 554 5.5.1 No valid recipients") == 1
	    && count(log, "C: RSET") == 2 && stored_count(sv) == 2 &&
	    content_is(sv, 2, &ms[3]), "chunking faults: 554 to the "
	    "empty BDAT, 2 RSETs, 1 and 4 stored");
	free(log);
}

/* (5b) CHUNKING with refusals and a drop after the data is stored. */
static void
case_chunking_faults(void)
{
	struct msg ms[4];
	struct smtp_outcome o[4];
	struct err e[4];
	struct fixture_server sv;
	struct probe pr;
	struct smtp *s;
	const char *two[2] = { "b@example.com", "bad@example.com" };
	int rc[4] = { 9, 9, 9, 9 }, k;

	if (!case_open(&sv, "chunkf",
	    "CHUNKING\n"
	    "REPLY RCPT:bad@example.com 550 5.1.1 no such user\n"
	    "REPLY EOM#2 452 4.2.2 mailbox full\nDROP_AFTER_STORE EOM#3\n",
	    &pr, &s, ms, 4))
		return;
	ms[0].m.rcpt = two;
	ms[0].m.nrcpt = 2;
	ms[2].rcpt[0] = "bad@example.com";
	for (k = 0; k < 4 && s != NULL; k++)
		rc[k] = smtp_send(s, &ms[k].m, &o[k], &e[k]);
	smtp_close(s);
	server_stop(&sv, "chunkf");
	check_chunk_faults(&sv, ms, rc, o, e);
	probe_fini(&pr);
}


/* (6) 421 to an owed MAIL: -1 E_TEMP, not delivered. */
static void
case_421(void)
{
	struct msg ms[4];
	struct smtp_outcome o[4];
	struct err e[4];
	struct fixture_server sv;
	struct probe pr;
	struct smtp *s;
	int rc[4] = { 9, 9, 9, 9 };
	char *log;

	if (!case_open(&sv, "c421",
	    "REPLY MAIL#3 421 4.7.0 closing\n", &pr, &s, ms, 4))
		return;
	if (s != NULL)
		send_chain(s, ms, 3, rc, o, e);
	smtp_close(s);
	server_stop(&sv, "c421");
	ok(rc[0] == 0 && rc[1] == 0 && o[0].accepted && o[1].accepted,
	    "421: 1 and 2 accepted");
	ok(rc[2] == -1 && e[2].kind == E_TEMP && !o[2].unknown &&
	    o[2].stage == SMTP_STAGE_MAIL && o[2].reply.code == 421,
	    "421: 3 gets -1 E_TEMP at MAIL, not unknown");
	log = fixture_slurp(sv.log);
	ok(log != NULL && count(log, "C: QUIT") == 0 &&
	    count(log, "C: RSET") == 0 && stored_count(&sv) == 2,
	    "421: 2 stored, no RSET, no QUIT");
	free(log);
	probe_fini(&pr);
}

/* (7) misuse, an unsendable next, and closing with an envelope owed. */
static void
case_misuse(void)
{
	struct msg ms[3], bad;
	struct smtp_message shorter;
	struct smtp_outcome o;
	struct err e;
	struct fixture_server sv;
	struct probe pr;
	struct smtp *s;
	int rc0 = 9, rc1 = 9, rc2 = 9, rc3 = 9, rc4 = 9;
	bool owes0 = true, owes1 = false, owes2 = false, owes3 = false;
	enum err_kind k3 = E_NONE;
	char *log;

	if (!case_open(&sv, "misuse", "", &pr, &s, ms, 3))
		return;
	msg_init(&bad, 9, "x\r\nRSET@example.com", &pr);
	if (s != NULL) {
		rc0 = smtp_send_next(s, &ms[0].m, &bad.m, &o, &e);
		owes0 = smtp_owes(s);
		rc1 = smtp_send_next(s, &bad.m, &ms[1].m, &o, &e);
		rc2 = smtp_send_next(s, &ms[1].m, &ms[2].m, &o, &e);
		owes1 = smtp_owes(s);
		rc3 = smtp_send_next(s, &ms[0].m, NULL, &o, &e);
		k3 = e.kind;
		owes2 = smtp_owes(s);
		/* 3's own from and data, but not all of it: not 3 either. */
		shorter = ms[2].m;
		shorter.len--;
		rc4 = smtp_send(s, &shorter, &o, &e);
		owes3 = smtp_owes(s);
	}
	ok(rc0 == 0 && !owes0, "misuse: an invalid next is not sent");
	ok(rc1 == -1, "misuse: ... and refused on its own call");
	ok(rc2 == 0 && owes1, "misuse: 2 accepted, 3's envelope owed");
	ok(rc3 == -1 && k3 == E_INTERNAL && owes2,
	    "misuse: another message instead of 3: E_INTERNAL, still owed");
	ok(rc4 == -1 && e.kind == E_INTERNAL && owes3,
	    "misuse: 3's data with another length: E_INTERNAL, still owed");
	smtp_close(s);
	server_stop(&sv, "misuse");
	log = fixture_slurp(sv.log);
	/* The server may see EOF in DATA or, with replies unread, a reset. */
	ok(log != NULL && count(log, "C: QUIT") == 0 &&
	    count(log, "RSET") == 0 && stored_count(&sv) == 2,
	    "misuse: close while owed drops without QUIT; 3 not stored");
	free(log);
	probe_fini(&pr);
}

/* (8) no PIPELINING offered: next is ignored. */
static void
case_serial(void)
{
	struct msg ms[2];
	struct smtp_outcome o[2];
	struct err e[2];
	struct fixture_server sv;
	struct probe pr;
	struct smtp *s;
	int rc[2] = { 9, 9 };
	bool owes = true;

	if (!case_open(&sv, "serial",
	    "REPLY EHLO#2 250 localhost\\n"
	    "AUTH PLAIN LOGIN\n", &pr, &s, ms, 2))
		return;
	if (s != NULL) {
		rc[0] = smtp_send_next(s, &ms[0].m, &ms[1].m, &o[0], &e[0]);
		owes = smtp_owes(s);
		rc[1] = smtp_send_next(s, &ms[1].m, NULL, &o[1], &e[1]);
	}
	smtp_close(s);
	server_stop(&sv, "serial");
	ok(rc[0] == 0 && rc[1] == 0 && o[0].accepted && o[1].accepted &&
	    !owes && stored_count(&sv) == 2, "serial: next ignored, both "
	    "delivered");
	probe_fini(&pr);
}

int
main(void)
{
	if (fixture_setup("pipeline") == -1)
		return 1;
	case_chain();
	case_eom_refused();
	case_rcpt_refused();
	case_drop();
	case_chunking();
	case_chunking_faults();
	case_421();
	case_misuse();
	case_serial();
	fixture_teardown();
	return tap_done();
}
