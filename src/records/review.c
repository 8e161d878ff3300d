/*
 * review: delivery reports read back for people, behind the "report"
 * verb.  A report is a journal whose last line per row is the row's
 * outcome, and a resume's report follows the first run's, so loading
 * takes each report's latest lines (report_latest()) and keeps, per
 * row, the one from the last report given.  The summary (counts by
 * status, by account, by reply code) is computed once after loading and
 * shared by the writers: review_text.c (terminal), review_json.c,
 * review_html.c and review_retry.c (the roster of rows to send again).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "i18n.h"
#include "provider.h"
#include "report.h"
#include "review.h"
#include "review_impl.h"
#include "roster.h"
#include "xalloc.h"

/*
 * What a reply code means and what to do.  Looked up by enhanced code
 * (RFC 3463; "x" stands for any number) first, then by basic code
 * (RFC 5321 §4.2), then by class.  Where the advice depends on the
 * provider (its daily quota, how it wants logins), hint names the
 * provider row's field that replaces the generic todo (rv_todo()).
 */
#define SAME	PROVIDER_HINT_NONE	/* one advice for every provider */
#define AUTH	PROVIDER_HINT_AUTH	/* the provider's auth_hint */
#define QUOTA	PROVIDER_HINT_QUOTA	/* the provider's quota_hint */

static const struct explain explains[] = {
	{ "2.0.0", 0, 0, SAME, N_("accepted (not yet delivered)"),
	    N_("250 means accepted, not delivered: bounces come later by "
	    "mail") },
	{ "2.x.x", 0, 0, SAME, N_("accepted"),
	    N_("accepted, not yet delivered: bounces come later by mail") },
	{ "5.1.1", 0, 0, SAME, N_("no such mailbox"),
	    N_("check the address for typos; fix the row or drop it") },
	{ "5.1.2", 0, 0, SAME, N_("bad domain"),
	    N_("the part after @ does not exist or takes no mail: fix the "
	    "address") },
	{ "5.1.0", 0, 0, SAME, N_("bad address"),
	    N_("check the address for typos; fix the row or drop it") },
	{ "5.1.6", 0, 0, SAME, N_("the mailbox has moved"),
	    N_("ask the student for the new address") },
	{ "5.1.10", 0, 0, SAME, N_("no such mailbox (null MX)"),
	    N_("the domain takes no mail: ask for another address") },
	{ "5.2.0", 0, 0, SAME, N_("mailbox unavailable"),
	    N_("the mailbox exists but takes no mail now: ask for another "
	    "address") },
	{ "5.2.1", 0, 0, SAME, N_("mailbox disabled"),
	    N_("the account is closed or suspended: ask for another address") },
	{ "5.2.2", 0, 0, SAME, N_("mailbox full"),
	    N_("the recipient must make room; send again later or elsewhere") },
	{ "5.2.3", 0, 0, SAME, N_("message too big for the mailbox"),
	    N_("make the message smaller (attachments: send a link instead)") },
	{ "5.3.4", 0, 0, SAME, N_("message too big"),
	    N_("make the message smaller (attachments: send a link instead)") },
	{ "5.4.5", 0, 0, QUOTA, N_("daily sending quota reached"),
	    N_("the account's daily limit is used up: wait a day, then resume; "
	    "send fewer mails a day") },
	{ "5.5.2", 0, 0, SAME, N_("syntax error"),
	    N_("the server did not understand a command: report it with "
	    "--trace") },
	{ "5.7.0", 0, 0, SAME, N_("authentication or security required"),
	    N_("check the account's login and TLS settings") },
	{ "5.7.1", 0, 0, SAME, N_("refused by policy (spam or relay)"),
	    N_("check that From is the account's address; soften spammy "
	    "content") },
	{ "5.7.8", 0, 0, AUTH, N_("bad credentials"),
	    N_("use an app password, not the account's login password") },
	{ "5.7.9", 0, 0, AUTH, N_("login too weak: app password required"),
	    N_("turn on 2-step verification and create an app password") },
	{ "5.4.x", 0, 0, SAME, N_("could not be routed (domain, DNS, loop)"),
	    N_("check the part after @; the receiving side may be down") },
	{ "5.7.x", 0, 0, SAME, N_("refused by the receiving side's policy"),
	    N_("the bounce's text says why; the school's domain may refuse "
	    "outside mail: ask for another address") },
	{ "5.0.0", 0, 0, SAME, N_("permanent failure (no detail)"),
	    N_("read the bounce's text; check the address") },
	{ "4.2.2", 0, 0, SAME, N_("mailbox full (temporary)"),
	    N_("resume later") },
	{ "4.3.0", 0, 0, SAME, N_("temporary server error"),
	    N_("resume later") },
	{ "4.4.x", 0, 0, SAME, N_("network or routing trouble"),
	    N_("resume later; if it persists, check the network") },
	{ "4.7.0", 0, 0, SAME,
	    N_("try later: too many mails or login attempts"),
	    N_("wait an hour or more, then resume at a lower rate") },
	{ NULL, 421, 0, SAME, N_("service not available"),
	    N_("the server is busy or limiting you: resume later, more "
	    "slowly") },
	{ NULL, 450, 0, SAME,
	    N_("mailbox unavailable for now (busy, greylisting)"),
	    N_("resume later") },
	{ NULL, 451, 0, SAME, N_("local error at the server"),
	    N_("resume later") },
	{ NULL, 452, 0, SAME,
	    N_("server out of storage or too many recipients"),
	    N_("resume later") },
	{ NULL, 534, 0, AUTH, N_("authentication mechanism too weak"),
	    N_("use an app password, or ask the server's administrator") },
	{ NULL, 535, 0, AUTH, N_("authentication failed"),
	    N_("check the user name; use an app password") },
	{ NULL, 550, 0, SAME, N_("mailbox unavailable or refused by policy"),
	    N_("check the address; the server's text says why") },
	{ NULL, 552, 0, SAME, N_("message too big or mailbox full"),
	    N_("make the message smaller, or send again later") },
	{ NULL, 553, 0, SAME, N_("address not allowed"),
	    N_("check the recipient's and the From address") },
	{ NULL, 554, 0, SAME, N_("transaction failed (often spam or policy)"),
	    N_("the server's text says why; check sender and content") },
	{ NULL, 0, 2, SAME, N_("accepted"),
	    N_("accepted, not yet delivered: bounces come later by mail") },
	{ NULL, 0, 4, SAME, N_("temporary failure"),
	    N_("resume the batch later") },
	{ NULL, 0, 5, SAME, N_("permanent failure"),
	    N_("fix the cause before sending to this row again") },
};

static const struct explain unexplained = { NULL, 0, 0, SAME,
	N_("unknown reply code"), N_("read the server's text") };

struct load {
	struct review	*rv;
	size_t		 report;
	struct err	*e;
};

static bool
enh_match(const char *p, const char *s)
{
	while (*p != '\0') {
		if (*p == 'x') {
			if (*s < '0' || *s > '9')
				return false;
			while (*s >= '0' && *s <= '9')
				s++;
			p++;
		} else if (*p++ != *s++)
			return false;
	}
	return *s == '\0';
}

const struct explain *
rv_explain(int code, const char *enh)
{
	int class = code != 0 ? code / 100 : enh[0] - '0';
	size_t i;

	for (i = 0; i < nitems(explains); i++)
		if (explains[i].enh != NULL && enh_match(explains[i].enh, enh))
			return &explains[i];
	for (i = 0; i < nitems(explains); i++)
		if (explains[i].code != 0 && explains[i].code == code)
			return &explains[i];
	for (i = 0; i < nitems(explains); i++)
		if (explains[i].class != 0 && explains[i].class == class)
			return &explains[i];
	return &unexplained;
}

const char *
rv_todo(const struct tally *t)
{
	const struct explain *x = rv_explain(t->code, t->a);
	const char *hint = provider_hint(provider_find(t->b), x->hint);

	return hint != NULL ? hint : x->todo;
}

/* ---- loading ---------------------------------------------------- */

/* Copy l into en, its strings packed into one allocation. */
static void
keep(struct entry *en, const struct report_line *l, size_t report)
{
	const char *src[] = { l->e.recipients, l->e.provider, l->e.enhanced,
	    l->e.reply, l->e.message_id, l->e.account, l->e.stage };
	const char **dst[] = { &en->x.recipients, &en->x.provider,
	    &en->x.enhanced, &en->x.reply, &en->x.message_id,
	    &en->x.account, &en->x.stage };
	size_t len = 0, i, k;
	char *p;

	en->x = l->e;
	en->name = NULL;	/* count_roster() fills it */
	for (i = 0; i < nitems(src); i++)
		len += strlen(src[i]) + 1;
	p = en->text = xmalloc(len);
	for (i = 0; i < nitems(src); i++) {
		k = strlen(src[i]) + 1;
		memcpy(p, src[i], k);
		*dst[i] = p;
		p += k;
	}
	en->report = report;
	en->line = l->line;
}

/* Every line of every report must be of the first line's roster. */
static int
same_roster(void *arg, const struct report_line *l)
{
	struct load *ld = arg;
	struct review *rv = ld->rv;

	if (rv->roster == NULL) {
		rv->roster = xstrdup(l->meta.roster);
		rv->roster_sum = xstrdup(l->meta.roster_sha256);
		rv->template = xstrdup(l->meta.template);
		rv->roster_sheet = xstrdup(l->meta.roster_sheet);
		rv->roster_from = ld->report;
		return 0;
	}
	if (strcmp(l->meta.roster_sha256, rv->roster_sum) == 0)
		return 0;
	err_set(ld->e, E_INPUT, NULL, "this line is from roster '%s' "
	    "(sha256 %.12s...), but %s is from roster '%s' (sha256 %.12s...): "
	    "only reports of the same roster can be merged", l->meta.roster,
	    l->meta.roster_sha256, rv->paths[rv->roster_from], rv->roster,
	    rv->roster_sum);
	err_where(ld->e, "%s:%zu", rv->paths[ld->report], l->line);
	return -1;
}

/* The latest line of a row in one report; the last report wins later. */
static int
add_line(void *arg, const struct report_line *l)
{
	struct load *ld = arg;
	struct review *rv = ld->rv;

	if (rv->nrows == rv->rows_size) {
		rv->rows_size = rv->rows_size ? rv->rows_size * 2 : 64;
		rv->rows = xreallocarray(rv->rows, rv->rows_size,
		    sizeof(*rv->rows));
	}
	keep(&rv->rows[rv->nrows++], l, ld->report);
	return 0;
}

static int
by_row(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return (x->x.row > y->x.row) - (x->x.row < y->x.row);
}

/* By row, then by report: the last of a row is the one that counts. */
static int
by_row_report(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = by_row(a, b);

	return c != 0 ? c : (x->report > y->report) - (x->report < y->report);
}

/* Sort the rows and keep one entry a row, from the last report. */
static void
merge_rows(struct review *rv)
{
	size_t i, n = 0;

	if (rv->nrows == 0)
		return;
	qsort(rv->rows, rv->nrows, sizeof(*rv->rows), by_row_report);
	for (i = 0; i < rv->nrows; i++) {
		if (i + 1 < rv->nrows && rv->rows[i + 1].x.row ==
		    rv->rows[i].x.row) {
			free(rv->rows[i].text);
			continue;
		}
		rv->rows[n++] = rv->rows[i];
	}
	rv->nrows = n;
}

static int
by_code(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;

	int c;

	if (x->code != y->code)
		return (x->code > y->code) - (x->code < y->code);
	c = strcmp(x->a, y->a);
	return c != 0 ? c : strcmp(x->b, y->b);
}

static int
by_account(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;
	int c = strcmp(x->a, y->a);

	return c != 0 ? c : strcmp(x->b, y->b);
}

static struct tally *
tally_find(struct tally **t, size_t *n, const char *a, const char *b,
    int code)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*t)[i].code == code && strcmp((*t)[i].a, a) == 0 &&
		    strcmp((*t)[i].b, b) == 0)
			return &(*t)[i];
	*t = xreallocarray(*t, *n + 1, sizeof(**t));
	memset(&(*t)[*n], 0, sizeof(**t));
	(*t)[*n].a = a;
	(*t)[*n].b = b;
	(*t)[*n].code = code;
	return &(*t)[(*n)++];
}

static void
tally_add(struct tally *t, enum report_status s)
{
	t->n[s]++;
	t->total++;
}

/* Counts by status, account and code; accounts only if any has one. */
static void
tally_all(struct review *rv)
{
	const struct report_entry *x;
	size_t i;

	for (i = 0; i < rv->nrows; i++) {
		x = &rv->rows[i].x;
		rv->count[x->status]++;
		if (x->status != REPORT_SENT && x->status != REPORT_PREVIEWED)
			rv->nbad++;
		tally_add(tally_find(&rv->acct, &rv->nacct, x->account,
		    x->provider, 0), x->status);
		if (x->smtp_code != 0 || x->enhanced[0] != '\0')
			tally_add(tally_find(&rv->codes, &rv->ncodes,
			    x->enhanced, rv_explain(x->smtp_code,
			    x->enhanced)->hint != PROVIDER_HINT_NONE ?
			    x->provider : "", x->smtp_code), x->status);
	}
	if (rv->nacct == 1 && rv->acct[0].a[0] == '\0' &&
	    rv->acct[0].b[0] == '\0')
		rv->nacct = 0;	/* a preview: no accounts at all */
	if (rv->nacct > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(rv->acct, rv->nacct, sizeof(*rv->acct), by_account);
	if (rv->ncodes > 0)
		qsort(rv->codes, rv->ncodes, sizeof(*rv->codes), by_code);
}

/*
 * Count the roster's data rows and those no report mentions (never
 * tried: an interrupted or -n-limited send).  Best effort: a roster
 * gone or changed leaves counted false, and the summary says so.
 */
static void
count_roster(struct review *rv)
{
	char found[PATH_MAX];
	struct roster_params rp = { .path = found };
	struct roster *rs = NULL;
	struct roster_row rw;
	struct entry *en;
	struct err e;
	size_t i, ncol;
	int n;

	for (i = 0; i < rv->nrows; i++)
		if (rv->rows[i].x.status != REPORT_PREVIEWED)
			rv->sent_any = true;
	if (rv->roster_sheet != NULL && rv->roster_sheet[0] != '\0')
		rp.sheet = rv->roster_sheet;
	if (rv->roster == NULL || rv->roster[0] == '\0' ||
	    rv_roster_find(rv, found, sizeof(found), &e) == -1 ||
	    roster_open(&rs, &rp, &e) == -1)
		return;
	ncol = roster_name_col(rs);
	while ((n = roster_next(rs, &rw, &e)) == 1) {
		rv->roster_rows++;
		/* rows is ours: the const of rv_find_row() is for writers */
		en = (struct entry *)rv_find_row(rv, rw.row);
		if (en == NULL)
			rv->untried++;
		else if (ncol != SIZE_MAX && rw.lens[ncol] > 0 &&
		    en->name == NULL)
			en->name = xstrdup(rw.fields[ncol]);
	}
	rv->counted = n == 0;
	roster_free(rs);
}

size_t
review_remaining(const struct review *rv)
{
	if (!rv->sent_any)
		return 0;	/* a preview: nothing is to be sent */
	return (rv->counted ? rv->untried : 0) + rv->count[REPORT_DEFERRED] +
	    rv->count[REPORT_SKIPPED];
}

/* The command that sends what remains into b; NULL if nothing does. */
const char *
rv_continue(const struct review *rv, struct buf *b)
{
	struct review_cmd c = { NULL, NULL, 0, rv->roster_sheet,
	    rv->paths[rv->npaths - 1], review_roster(rv),
	    rv->template ? rv->template : "" };

	if (review_remaining(rv) == 0)
		return NULL;
	review_resume_cmd(b, &c);
	return buf_str(b);
}

/* report_read() would blame "the roster": say which file is missing. */
static int
readable(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		err_set(e, E_NOINPUT, path, "cannot open the report: %s",
		    strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int
review_load(struct review **rvp, char *const *paths, size_t n,
    struct err *e)
{
	struct review *rv = xcalloc(1, sizeof(*rv));
	struct load ld = { rv, 0, e };
	size_t i;

	*rvp = NULL;
	rv->paths = xcalloc(n, sizeof(*rv->paths));
	for (i = 0; i < n; i++)
		rv->paths[i] = xstrdup(paths[i]);
	rv->npaths = n;
	for (ld.report = 0; ld.report < n; ld.report++) {
		if (readable(paths[ld.report], e) == -1 ||
		    report_latest(paths[ld.report], same_roster, add_line, &ld,
		    e) == -1) {
			review_free(rv);
			return -1;
		}
	}
	merge_rows(rv);
	tally_all(rv);
	count_roster(rv);
	/* The rest from the user's locale: gettext follows uselocale(). */
	rv->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8",
	    duplocale(LC_GLOBAL_LOCALE));
	*rvp = rv;
	return 0;
}

void
review_free(struct review *rv)
{
	size_t i;

	if (rv == NULL)
		return;
	for (i = 0; i < rv->npaths; i++)
		free(rv->paths[i]);
	for (i = 0; i < rv->nrows; i++) {
		free(rv->rows[i].text);
		free(rv->rows[i].name);
	}
	free(rv->paths);
	free(rv->rows);
	free(rv->acct);
	free(rv->codes);
	free(rv->roster);
	free(rv->roster_sum);
	free(rv->template);
	free(rv->roster_sheet);
	if (rv->utf8 != (locale_t)0)
		freelocale(rv->utf8);
	free(rv);
}

/* Is c safe unquoted in a shell word (bytes of UTF-8 are)? */
static bool
shell_plain(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("/._-+:,=@%", c) != NULL ||
	    (unsigned char)c >= 0x80;
}

/* Append an option (or none) and a shell word: as it is, or in '' quotes. */
static void
add_word(struct buf *b, const char *opt, const char *w)
{
	const char *p;
	bool plain = *w != '\0';

	if (opt != NULL)
		buf_addf(b, " %s", opt);
	for (p = w; *p != '\0'; p++)
		if (!shell_plain((unsigned char)*p))
			plain = false;
	buf_addc(b, ' ');
	if (plain) {
		buf_adds(b, w);
		return;
	}
	buf_addc(b, '\'');
	for (p = w; *p != '\0'; p++)
		if (*p == '\'')
			buf_adds(b, "'\\''");
		else
			buf_addc(b, *p);
	buf_addc(b, '\'');
}

void
review_resume_cmd(struct buf *b, const struct review_cmd *c)
{
	char d[2] = { (char)c->delimiter, '\0' };

	buf_adds(b, "mailmerge send");
	if (c->config != NULL)
		add_word(b, "-c", c->config);
	if (c->encoding != NULL)
		add_word(b, "--encoding", c->encoding);
	if (c->delimiter != 0)
		add_word(b, "--delimiter", c->delimiter == '\t' ? "tab" : d);
	if (c->sheet != NULL && c->sheet[0] != '\0')
		add_word(b, "--sheet", c->sheet);
	add_word(b, "--resume -r", c->report);
	add_word(b, NULL, c->roster);
	add_word(b, NULL, c->template);
}

const char *
review_roster(const struct review *rv)
{
	return rv->roster != NULL ? rv->roster : "";
}

int
rv_finish(FILE *f, const char *what, struct err *e)
{
	if (fflush(f) == EOF || ferror(f)) {
		err_set(e, E_OS, _(what), "cannot write: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
rv_code_text(const struct tally *t, char *out, size_t size)
{
	int n;

	if (t->code != 0)
		n = snprintf(out, size, "%d%s%s", t->code, t->a[0] ? " " : "",
		    t->a);
	else
		n = snprintf(out, size, "%s", t->a);
	/* a code whose advice depends on the provider: say whose */
	if (t->b[0] != '\0' && n >= 0 && (size_t)n < size)
		snprintf(out + n, size - (size_t)n, " (%s)", t->b);
}

void
rv_reply_text(const struct report_entry *x, char *out, size_t size)
{
	char code[16] = "";

	if (x->smtp_code != 0)
		snprintf(code, sizeof(code), "%d", x->smtp_code);
	snprintf(out, size, "%s%s%s%s%s", code,
	    code[0] && x->enhanced[0] ? " " : "", x->enhanced,
	    (code[0] || x->enhanced[0]) && x->reply[0] ? " " : "", x->reply);
}

/* 0: path has the reports' checksum; 1: it differs; -1: unreadable. */
static int
roster_sum_is(const struct review *rv, const char *path, int *err)
{
	char hex[CODEC_SHA256_HEX];
	int rc, fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		*err = errno;
		return -1;
	}
	rc = codec_sha256_fd(fd, hex, NULL, NULL);
	*err = errno;
	close(fd);
	if (rc == -1)
		return -1;
	return strcmp(hex, rv->roster_sum) == 0 ? 0 : 1;
}

/*
 * Candidate k for the roster: its path as the report has it (absolute
 * since reports record absolute paths; an older report's relative path
 * is from where the batch ran: the current folder), then for a relative
 * one each report's folder and the folder above it (out/report.csv).
 * False when there are no more.
 */
static bool
roster_candidate(const struct review *rv, size_t k, char *out, size_t size)
{
	const char *rp, *slash;
	size_t i = (k - 1) / 2;
	int dir;

	if (k == 0)
		return snprintf(out, size, "%s", rv->roster) < (int)size;
	if (rv->roster[0] == '/' || i >= rv->npaths)
		return false;
	rp = rv->paths[i];
	slash = strrchr(rp, '/');
	dir = slash == NULL ? 0 : (int)(slash - rp + 1);
	if (k % 2 == 1)
		snprintf(out, size, "%.*s%s", dir, rp, rv->roster);
	else
		snprintf(out, size, "%.*s%s../%s", dir, rp, dir ? "" : "./",
		    rv->roster);
	return true;
}

/* Find the roster the reports were made from, unchanged, into found. */
int
rv_roster_find(const struct review *rv, char *found, size_t size,
    struct err *e)
{
	int rc, err = 0, first_err = 0, first = -1;
	size_t k;

	for (k = 0; roster_candidate(rv, k, found, size); k++) {
		rc = roster_sum_is(rv, found, &err);
		if (rc == 0)
			return 0;
		if (k == 0) {
			first = rc;
			first_err = err;
		} else if (rc == 1 && first == -1)
			first = 1;
	}
	if (first == 1)
		err_set(e, E_INPUT, rv->roster, "the roster changed since the "
		    "report was written; refusing to write a retry roster "
		    "from it");
	else
		err_set(e, E_NOINPUT, rv->roster, "cannot open the roster the "
		    "report names (%s), nor find it beside the report: run "
		    "mailmerge report from the directory the batch ran in",
		    strerror(first_err));
	return -1;
}

const struct entry *
rv_find_row(const struct review *rv, size_t row)
{
	struct entry key;

	key.x.row = row;
	if (rv->nrows == 0)
		return NULL;
	return bsearch(&key, rv->rows, rv->nrows, sizeof(*rv->rows), by_row);
}

