/*
 * bounces: the runner of the "bounces" verb.  It reads the delivery
 * report into a book (the latest line of each row, every Message-ID any
 * line named, and which bounces each row already has), then reads mail
 * from the sources one message at a time: IMAP mailboxes through imap.c,
 * or Maildir folders, mbox files and single messages.  Each message goes
 * through bounce.c; each failed recipient is matched to a row, by the
 * returned mail's Message-ID, else by the address when exactly one row
 * has it, and a row that was sent gets one journal line with status
 * bounced, appended and fsync'ed as send does.  A bounce the row
 * already has (same status and text) adds nothing, so a second run
 * writes nothing; --dry-run never opens the report for writing.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bounce.h"
#include "bounces.h"
#include "buf.h"
#include "config.h"
#include "i18n.h"
#include "imap.h"
#include "nitems.h"
#include "report.h"
#include "utf8.h"
#include "xalloc.h"

#define SECRET_MAX	1024
#define DEFAULT_REPORTS	"out/report-*.csv"
#define DIAG_MAX	120	/* octets of a reason shown in the table */

struct row {
	size_t		 row;		/* 0: no line for this index */
	enum report_status status;
	char		*recipients;
	char		*provider;
	char		*message_id;
	char		*account;
	char		*row_sha256;	/* carried into the bounced line */
	unsigned	 attempts;
	char		**seen;		/* "status\nreply" of its bounces */
	size_t		 nseen;
};

struct msgid {
	char		*id;
	size_t		 row;
};

struct book {
	struct row	*rows;		/* indexed by row number */
	size_t		 nrows;
	struct msgid	*ids;
	size_t		 nids;
	char		*meta[5];	/* roster, sums, template, sheet */
	time_t		 first_send;	/* 0: nothing sent yet */
};

/* What became of one recipient of a bounce. */
enum outcome {
	OUT_MARKED,	/* a bounced line appended (or would be) */
	OUT_ALREADY,	/* the row has this bounce already */
	OUT_DELAYED,	/* a delay warning: the row stays sent */
	OUT_UNMATCHED,	/* no row, or several */
	OUT_NOT_SENT,	/* the row was never accepted */
	OUT_STALE,	/* an earlier attempt; the row was sent again */
	OUT_AUTOREPLY	/* an automatic reply: nothing changes */
};

static const char *const outcome_text[] = {
	[OUT_MARKED] = N_("bounced"),
	[OUT_ALREADY] = N_("already bounced"),
	[OUT_DELAYED] = N_("delayed: still sent"),
	[OUT_UNMATCHED] = N_("no matching row"),
	[OUT_NOT_SENT] = N_("row was not sent"),
	[OUT_STALE] = N_("row sent again since"),
	[OUT_AUTOREPLY] = N_("auto-reply: no change"),
};

struct run {
	const struct bounces_params *p;
	struct bounces_result *res;
	struct book	 book;
	const char	*path;		/* the report */
	struct report	*rep;		/* opened at the first append */
	const char	*account;	/* IMAP account, or NULL for files */
	time_t		 since;		/* files: skip older; 0: all */
	size_t		 listed;	/* lines printed */
	struct err	*e;
};

/* ---- the report as a book ----------------------------------------- */

static void
row_clear(struct row *r)
{
	size_t i;

	free(r->recipients);
	free(r->provider);
	free(r->message_id);
	free(r->account);
	free(r->row_sha256);
	for (i = 0; i < r->nseen; i++)
		free(r->seen[i]);
	free(r->seen);
	memset(r, 0, sizeof(*r));
}

static char *
seen_key(const char *status, const char *reply)
{
	size_t n = strlen(status) + strlen(reply) + 2;
	char *k = xmalloc(n);

	snprintf(k, n, "%s\n%s", status, reply);
	return k;
}

static bool
row_seen(const struct row *r, const char *status, const char *reply)
{
	char *k = seen_key(status, reply);
	size_t i;
	bool found = false;

	for (i = 0; i < r->nseen && !found; i++)
		found = strcmp(r->seen[i], k) == 0;
	free(k);
	return found;
}

static void
row_see(struct row *r, const char *status, const char *reply)
{
	r->seen = xreallocarray(r->seen, r->nseen + 1, sizeof(*r->seen));
	r->seen[r->nseen++] = seen_key(status, reply);
}

static struct row *
book_row(struct book *b, size_t row)
{
	size_t n;

	if (row >= b->nrows) {
		n = b->nrows ? b->nrows : 64;
		while (n <= row)
			n *= 2;
		b->rows = xreallocarray(b->rows, n, sizeof(*b->rows));
		memset(b->rows + b->nrows, 0, (n - b->nrows) *
		    sizeof(*b->rows));
		b->nrows = n;
	}
	return &b->rows[row];
}

static void
book_id(struct book *b, const char *id, size_t row)
{
	if (id[0] == '\0')
		return;
	b->ids = xreallocarray(b->ids, b->nids + 1, sizeof(*b->ids));
	b->ids[b->nids].id = xstrdup(id);
	b->ids[b->nids++].row = row;
}

static void
keep_line(struct row *r, const struct report_line *l)
{
	char **seen = r->seen;
	size_t nseen = r->nseen;

	r->seen = NULL;
	r->nseen = 0;
	row_clear(r);
	r->seen = seen;
	r->nseen = nseen;
	r->row = l->e.row;
	r->status = l->e.status;
	r->recipients = xstrdup(l->e.recipients);
	r->provider = xstrdup(l->e.provider);
	r->message_id = xstrdup(l->e.message_id);
	r->account = xstrdup(l->e.account);
	r->row_sha256 = xstrdup(l->e.row_sha256 ? l->e.row_sha256 : "");
	r->attempts = l->e.attempts;
}

static int
book_line(void *arg, const struct report_line *l)
{
	struct book *b = arg;
	struct row *r = book_row(b, l->e.row);
	const char *m[5] = { l->meta.roster, l->meta.roster_sha256,
	    l->meta.template, l->meta.template_sha256,
	    l->meta.roster_sheet ? l->meta.roster_sheet : "" };
	size_t i;

	if (b->meta[0] == NULL)
		for (i = 0; i < nitems(m); i++)
			b->meta[i] = xstrdup(m[i]);
	if (l->e.status != REPORT_PREVIEWED && l->e.status != REPORT_BOUNCED &&
	    l->e.status != REPORT_SKIPPED && (b->first_send == 0 ||
	    l->e.time < b->first_send))
		b->first_send = l->e.time;
	if (l->e.status == REPORT_BOUNCED) {
		row_see(r, l->e.enhanced, l->e.reply);
		/* A bounced line keeps the sent line's Message-ID. */
		r->status = REPORT_BOUNCED;
		return 0;
	}
	keep_line(r, l);
	book_id(b, l->e.message_id, l->e.row);
	return 0;
}

static void
book_free(struct book *b)
{
	size_t i;

	for (i = 0; i < b->nrows; i++)
		row_clear(&b->rows[i]);
	for (i = 0; i < b->nids; i++)
		free(b->ids[i].id);
	for (i = 0; i < nitems(b->meta); i++)
		free(b->meta[i]);
	free(b->rows);
	free(b->ids);
}

/* ---- matching ------------------------------------------------------ */

static bool
has_recipient(const char *list, const char *addr)
{
	size_t n = strlen(addr), k;

	while (*list != '\0') {
		k = strcspn(list, ";");
		if (k == n && strncasecmp(list, addr, n) == 0)
			return true;
		list += k;
		if (*list == ';')
			list++;
	}
	return false;
}

/* The row by Message-ID, then by address (exactly one row). */
static struct row *
match(struct run *run, const struct bounce *b, const char *addr,
    bool *by_id)
{
	struct book *bk = &run->book;
	struct row *found = NULL, *r;
	const char *acct = run->account != NULL ? run->account :
	    run->p->account;	/* the mailbox read, or --account */
	size_t i, n = 0;

	*by_id = false;
	for (i = 0; b->orig_msgid[0] != '\0' && i < bk->nids; i++) {
		if (strcmp(bk->ids[i].id, b->orig_msgid) == 0) {
			*by_id = true;
			return &bk->rows[bk->ids[i].row];
		}
	}
	for (i = 0; i < bk->nrows; i++) {
		r = &bk->rows[i];
		if (r->row == 0 || !has_recipient(r->recipients, addr))
			continue;
		if (acct != NULL && strcmp(r->account, acct) != 0)
			continue;
		found = r;
		n++;
	}
	return n == 1 ? found : NULL;
}

/* ---- output -------------------------------------------------------- */

/* A JSON string; s is valid UTF-8 without controls (bounce.c). */
static void
json_str(FILE *f, const char *s)
{
	if (s == NULL || s[0] == '\0') {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

struct item {
	const char	*source;
	const struct bounce *b;
	const char	*addr;
	const char	*action;	/* "failed", "delayed" or NULL */
	const char	*status;
	const char	*diagnostic;
	const struct row *row;
	enum outcome	 out;
};

static void
list_json(struct run *run, const struct item *it)
{
	FILE *f = run->p->out;

	fputs(run->listed == 0 ? "[\n{" : ",\n{", f);
	fputs("\"source\": ", f);
	json_str(f, it->source);
	fputs(", \"kind\": ", f);
	json_str(f, it->b->kind == BOUNCE_AUTOREPLY ? "auto-reply" : "dsn");
	fputs(", \"recipient\": ", f);
	json_str(f, it->addr);
	fputs(", \"action\": ", f);
	json_str(f, it->action);
	fputs(", \"status\": ", f);
	json_str(f, it->status);
	fputs(", \"diagnostic\": ", f);
	json_str(f, it->diagnostic);
	fputs(", \"original_message_id\": ", f);
	json_str(f, it->b->orig_msgid);
	if (it->row != NULL)
		fprintf(f, ", \"row\": %zu}", it->row->row);
	else
		fputs(", \"row\": null}", f);
}

/*
 * s, then blanks up to cols terminal cells (Hangul and the other wide
 * scripts of a translated heading take two cells a character).
 */
static void
cell(FILE *f, const char *s, size_t cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), used = 0, k;
	uint32_t c;

	fputs(s, f);
	while (n > 0) {
		k = utf8_len(p, n);
		if (k == 0)
			k = 1;
		c = k > 1 ? utf8_decode(p, k) : *p;
		used += (c >= 0x1100 && c <= 0x115f) ||
		    (c >= 0x2e80 && c <= 0xa4cf) ||
		    (c >= 0xac00 && c <= 0xd7a3) ||
		    (c >= 0xf900 && c <= 0xfaff) ||
		    (c >= 0xff00 && c <= 0xff60) ? 2 : 1;
		p += k;
		n -= k;
	}
	for (; used < cols; used++)
		fputc(' ', f);
	fputs("  ", f);
}

static void
list_text(struct run *run, const struct item *it)
{
	static const size_t cols[] = { 5, 32, 8, 7, 22 };
	/* TRANSLATORS: headings of the bounces table (cells of 5, 32,
	   8, 7 and 22 columns; a Korean letter takes two). */
	static const char *const head[] = { N_("ROW"), N_("RECIPIENT"),
	    N_("ACTION"), N_("STATUS"), N_("RESULT") };
	FILE *f = run->p->out;
	char row[24] = "-";
	size_t i, n, cut;

	if (run->listed == 0) {
		for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
			cell(f, _(head[i]), cols[i]);
		fprintf(f, "%s\n", _("SOURCE"));
	}
	if (it->row != NULL)
		snprintf(row, sizeof(row), "%zu", it->row->row);
	fprintf(f, "%-5s  %-32s  %-8s  %-7s  ", row,
	    it->addr[0] != '\0' ? it->addr : "-", it->action != NULL ?
	    it->action : "-", it->status[0] != '\0' ? it->status : "-");
	cell(f, _(outcome_text[it->out]), cols[4]);
	fprintf(f, "%s\n", it->source);
	if (it->diagnostic != NULL && it->diagnostic[0] != '\0') {
		n = strlen(it->diagnostic);
		cut = n > DIAG_MAX ? utf8_cut(it->diagnostic, DIAG_MAX) : n;
		fprintf(f, "%7s%.*s%s\n", "", (int)cut, it->diagnostic,
		    cut < n ? "..." : "");
	}
}

static void
list(struct run *run, const struct item *it)
{
	if (run->p->json)
		list_json(run, it);
	else
		list_text(run, it);
	run->listed++;
}

static void
note(struct run *run, const char *where, const char *fmt, const char *arg)
{
	struct err n;

	err_set(&n, E_NONE, where, fmt, arg);
	if (run->p->note != NULL)
		run->p->note(run->p->arg, &n);
}

/* ---- the report update --------------------------------------------- */

static int
append(struct run *run, struct row *r, const struct bounce *b,
    const struct bounce_rcpt *rc)
{
	struct report_meta meta = { run->book.meta[0], run->book.meta[1],
	    run->book.meta[2], run->book.meta[3], run->book.meta[4] };
	struct report_entry x;

	if (run->p->dry_run)
		return 0;
	if (run->rep == NULL && report_open(&run->rep, run->path, &meta, true,
	    true, run->e) == -1)
		return -1;
	memset(&x, 0, sizeof(x));
	x.row = r->row;
	x.recipients = r->recipients;
	x.status = REPORT_BOUNCED;
	x.provider = r->provider;
	x.enhanced = rc->status;
	x.reply = rc->diagnostic;
	x.message_id = r->message_id;
	x.attempts = r->attempts;
	x.time = b->date != 0 ? b->date : time(NULL);
	x.account = r->account;
	x.stage = "BOUNCE";
	x.row_sha256 = r->row_sha256;
	return report_append(run->rep, &x, run->e);
}

/* What to do with one failed or delayed recipient of a matched row. */
static enum outcome
decide(const struct row *r, bool by_id, const struct bounce *b,
    const struct bounce_rcpt *rc)
{
	if (r == NULL)
		return OUT_UNMATCHED;
	if (rc->action == BOUNCE_DELAYED)
		return OUT_DELAYED;
	if (by_id && strcmp(r->message_id, b->orig_msgid) != 0)
		return OUT_STALE;
	if (row_seen(r, rc->status, rc->diagnostic))
		return OUT_ALREADY;
	if (r->status != REPORT_SENT && r->status != REPORT_UNKNOWN &&
	    r->status != REPORT_BOUNCED)
		return OUT_NOT_SENT;
	return OUT_MARKED;
}

static int
one_rcpt(struct run *run, const char *source, const struct bounce *b,
    const struct bounce_rcpt *rc)
{
	bool by_id;
	struct row *r = match(run, b, rc->addr, &by_id);
	struct item it = { source, b, rc->addr, rc->action == BOUNCE_DELAYED ?
	    "delayed" : "failed", rc->status, rc->diagnostic, r, OUT_MARKED };

	it.out = decide(r, by_id, b, rc);
	if (it.out == OUT_UNMATCHED)
		run->res->unmatched++;
	if (it.out == OUT_MARKED) {
		if (append(run, r, b, rc) == -1)
			return -1;
		row_see(r, rc->status, rc->diagnostic);
		r->status = REPORT_BOUNCED;
		run->res->marked++;
	}
	list(run, &it);
	return 0;
}

static void
autoreply(struct run *run, const char *source, const struct bounce *b)
{
	bool by_id;
	struct item it = { source, b, b->from, NULL, "", NULL,
	    match(run, b, b->from, &by_id), OUT_AUTOREPLY };

	run->res->autoreplies++;
	list(run, &it);
}

/* One message from any source: data[0..len). */
static int
message(struct run *run, const char *source, const char *data, size_t len)
{
	struct bounce *b;
	struct err pe;
	size_t i;
	int rc = 0;

	run->res->messages++;
	if (bounce_parse(&b, data, len, &pe) == -1) {
		run->res->skipped++;
		note(run, source, "%s", pe.msg);
		return 0;
	}
	/* IMAP searched by arrival already; files are filtered here. */
	if (run->account == NULL && run->since != 0 && b->date != 0 &&
	    b->date < run->since) {
		bounce_free(b);
		return 0;
	}
	if (b->kind == BOUNCE_AUTOREPLY)
		autoreply(run, source, b);
	else if (b->kind == BOUNCE_DSN) {
		run->res->bounces++;
		if (b->nrcpt == 0)
			note(run, source, "%s", _("a bounce without a failed "
			    "address that could be read: look at it yourself"));
		for (i = 0; i < b->nrcpt && rc == 0; i++)
			rc = one_rcpt(run, source, b, &b->rcpt[i]);
	}
	bounce_free(b);
	return rc;
}

/* ---- file sources -------------------------------------------------- */

static void
too_big(struct run *run, const char *source, unsigned long long size)
{
	char msg[256];

	snprintf(msg, sizeof(msg), _("skipped: %llu octets, more than the %u "
	    "a bounce may have"), size, BOUNCE_SIZE_MAX);
	run->res->messages++;
	run->res->skipped++;
	note(run, source, "%s", msg);
}

/* One message file, read whole unless it is too big. */
static int
eml_file(struct run *run, const char *path, FILE *fp, off_t size)
{
	char *data;
	size_t n;
	int rc;

	if ((unsigned long long)size > BOUNCE_SIZE_MAX) {
		too_big(run, path, (unsigned long long)size);
		return 0;
	}
	data = xmalloc((size_t)size + 1);
	n = fread(data, 1, (size_t)size, fp);
	rc = message(run, path, data, n);
	free(data);
	return rc;
}

struct mbox {
	struct buf	 msg;
	bool		 over;		/* this message passed the cap */
	unsigned long long size;
	size_t		 n;		/* messages so far */
};

static int
mbox_flush(struct run *run, const char *path, struct mbox *m)
{
	char source[4200];
	int rc = 0;

	if (m->n == 0)
		return 0;
	snprintf(source, sizeof(source), "%s#%zu", path, m->n);
	if (m->over)
		too_big(run, source, m->size);
	else
		rc = message(run, source, buf_str(&m->msg), m->msg.len);
	buf_reset(&m->msg);
	m->over = false;
	m->size = 0;
	return rc;
}

/* An mbox (mboxrd): "From " after a blank line starts a message. */
static int
mbox_file(struct run *run, const char *path, FILE *fp)
{
	struct mbox m = { { 0 }, false, 0, 0 };
	char *line = NULL, *p;
	size_t cap = 0;
	ssize_t k;
	bool blank = true;
	int rc = 0;

	buf_init(&m.msg, BOUNCE_SIZE_MAX);
	while (rc == 0 && (k = getline(&line, &cap, fp)) != -1) {
		if (blank && strncmp(line, "From ", 5) == 0) {
			rc = mbox_flush(run, path, &m);
			m.n++;
			blank = false;
			continue;
		}
		blank = line[0] == '\n' || (line[0] == '\r' && line[1] == '\n');
		p = line;
		if (line[0] == '>' && strncmp(line + strspn(line, ">"), "From ",
		    5) == 0)
			p++, k--;	/* mboxrd: one '>' less */
		m.size += (unsigned long long)k;
		if (!m.over && buf_add(&m.msg, p, (size_t)k) == -1)
			m.over = true;
	}
	if (rc == 0)
		rc = mbox_flush(run, path, &m);
	free(line);
	buf_fini(&m.msg);
	return rc;
}

static int
file_source(struct run *run, const char *path)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	char head[5];
	int rc;

	if (fp == NULL || fstat(fileno(fp), &st) == -1) {
		err_set(run->e, E_NOINPUT, path, "cannot read: %s",
		    strerror(errno));
		if (fp != NULL)
			fclose(fp);
		return -1;
	}
	if (fread(head, 1, 5, fp) == 5 && memcmp(head, "From ", 5) == 0) {
		rewind(fp);
		rc = mbox_file(run, path, fp);
	} else {
		rewind(fp);
		rc = eml_file(run, path, fp, st.st_size);
	}
	fclose(fp);
	return rc;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir, sorted, as paths. */
static char **
dir_files(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	char **v = NULL, path[4096];

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path) || stat(path, &st) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = xstrdup(path);
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), by_name);
	return v;
}

static int
files_in(struct run *run, const char *dir)
{
	size_t n, i;
	char **v = dir_files(dir, &n);
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = file_source(run, v[i]);
		free(v[i]);
	}
	free(v);
	return rc;
}

/* A Maildir (cur/ and new/), or a folder of message files. */
static int
dir_source(struct run *run, const char *dir)
{
	static const char *const sub[] = { "cur", "new" };
	char path[4096];
	struct stat st;
	size_t i;
	bool maildir = false;
	int rc = 0;

	for (i = 0; i < nitems(sub) && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			maildir = true;
			rc = files_in(run, path);
		}
	}
	return maildir ? rc : files_in(run, dir);
}

static int
source(struct run *run, const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		err_set(run->e, E_NOINPUT, path, "cannot read: %s",
		    strerror(errno));
		return -1;
	}
	return S_ISDIR(st.st_mode) ? dir_source(run, path) :
	    file_source(run, path);
}

/* ---- IMAP ---------------------------------------------------------- */

static int
imap_message(void *arg, unsigned long uid, const char *data, size_t len,
    size_t size)
{
	struct run *run = arg;
	char src[256];

	snprintf(src, sizeof(src), "imap:%s:%lu", run->account, uid);
	if (data == NULL) {
		too_big(run, src, size);
		return 0;
	}
	return message(run, src, data, len);
}

/* The one place the account's password is fetched, used and wiped. */
static int
imap_account(struct run *run, const struct account *a)
{
	struct imap_params ip;
	struct buf pw;
	int rc;

	if (a->imap_host == NULL) {
		err_set(run->e, E_CONFIG, a->name, "no IMAP server to read "
		    "bounces from: set imap_host = (and imap_port, imap_tls) "
		    "in [%s], or give the mail as files (SOURCE)", a->name);
		return -1;
	}
	if (a->imap_user == NULL) {
		err_set(run->e, E_CONFIG, a->name, "[%s] needs imap_user = "
		    "or user = to log in to the IMAP server", a->name);
		return -1;
	}
	buf_init(&pw, SECRET_MAX);
	if (config_secret(a, &pw, run->e) == -1) {
		buf_wipe(&pw);
		return -1;
	}
	memset(&ip, 0, sizeof(ip));
	ip.host = a->imap_host;
	ip.port = a->imap_port;
	ip.starttls = a->imap_tls == PROVIDER_STARTTLS;
	ip.ca_file = a->ca_file;
	ip.user = a->imap_user;
	ip.password = buf_str(&pw);
	ip.folder = a->imap_folder;
	ip.since = run->since;
	ip.size_max = BOUNCE_SIZE_MAX;
	ip.timeout_ms = a->cmd_ms;
	run->account = a->name;
	rc = imap_fetch(&ip, imap_message, run, run->e);
	run->account = NULL;
	buf_wipe(&pw);
	return rc;
}

static int
imap_sources(struct run *run)
{
	struct config *c;
	size_t i, done = 0;
	int rc = 0;

	if (config_load(&c, run->p->config, run->e) == -1)
		return -1;
	for (i = 0; i < c->nacct && rc == 0; i++) {
		if (run->p->account != NULL && strcmp(run->p->account,
		    c->acct[i].name) != 0)
			continue;
		rc = imap_account(run, &c->acct[i]);
		done++;
	}
	if (rc == 0 && done == 0) {
		err_set(run->e, E_USAGE, c->path, "no account [%s] in the "
		    "configuration", run->p->account);
		rc = -1;
	}
	config_free(c);
	return rc;
}

/* ---- the run ------------------------------------------------------- */

/* --since: YYYY-MM-DD (local midnight) or a report time. */
static int
parse_since(const char *s, time_t *t, struct err *e)
{
	struct tm tm;
	int n = -1;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	    &n) != 3 || (s[n] != '\0' && s[n] != 'T') || tm.tm_mon < 1 ||
	    tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31) {
		err_set(e, E_USAGE, NULL, "--since takes an ISO date such as "
		    "2026-11-26, not '%s'", s);
		return -1;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	*t = mktime(&tm);
	return 0;
}

/* -r, or the newest out/report-*.csv (the names sort by time). */
static int
find_report(const char *given, char *out, size_t size, struct err *e)
{
	glob_t g;

	if (given != NULL) {
		snprintf(out, size, "%s", given);
		return 0;
	}
	if (glob(DEFAULT_REPORTS, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		err_set(e, E_USAGE, NULL, "no report found in out/: give the "
		    "send's report with -r REPORT.csv");
		return -1;
	}
	snprintf(out, size, "%s", g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	return 0;
}

static int
read_sources(struct run *run)
{
	const struct bounces_params *p = run->p;
	size_t i;
	int rc = 0;

	if (p->nsources == 0) {
		if (run->since == 0)
			run->since = run->book.first_send;
		if (run->since == 0) {
			note(run, run->path, "%s", _("the report has no "
			    "sent rows: there is nothing to look for"));
			return 0;
		}
		return imap_sources(run);
	}
	for (i = 0; i < p->nsources && rc == 0; i++)
		rc = source(run, p->sources[i]);
	return rc;
}

int
bounces_run(const struct bounces_params *p, struct bounces_result *res,
    char *report_out, size_t report_size, struct err *e)
{
	struct run run;
	struct report_lock *lock = NULL;
	struct err ignored;
	int rc = -1;

	memset(&run, 0, sizeof(run));
	memset(res, 0, sizeof(*res));
	run.p = p;
	run.res = res;
	run.e = e;
	if (find_report(p->report, report_out, report_size, e) == -1)
		return -1;
	run.path = report_out;
	if (p->since != NULL && parse_since(p->since, &run.since, e) == -1)
		return -1;
	/* The same lock as send's: one run at a time writes a report. */
	if (!p->dry_run && report_lock(&lock, run.path, e) == -1)
		return -1;
	/* Format 1: rewritten in today's columns before lines are added. */
	if (!p->dry_run && report_is_old(run.path) &&
	    report_compact(run.path, e) == -1)
		goto out;
	if (report_read(run.path, book_line, &run.book, e) == -1)
		goto out;
	rc = read_sources(&run);
	if (p->json)
		fputs(run.listed > 0 ? "\n]\n" : "[]\n", p->out);
	if (run.rep != NULL && report_close(run.rep, rc == 0 ? e : &ignored)
	    == -1)
		rc = -1;
out:
	book_free(&run.book);
	report_unlock(lock);
	return rc;
}
