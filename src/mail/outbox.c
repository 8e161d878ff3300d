/*
 * Preview output.  .eml files keep the message's CRLF line ends, as
 * they would travel; an mbox file uses LF, as mbox readers expect, and
 * mboxrd quoting (any line matching ^>*From gets one more '>'), which
 * a reader undoes exactly.  Earlier previews' files are removed first
 * so a folder never mixes two batches.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "outbox.h"
#include "xalloc.h"

#define NAME_ADDR_MAX	100	/* bytes of the address in a file name */
#define MBOX_MSG_MAX	(128 * 1024 * 1024)	/* one message, quoted */
#define MBOX_FLUSH	(256 * 1024)	/* write the mbox in chunks this big */

struct outbox {
	char		*dir;
	int		 dirfd;
	FILE		*mbox;
	char		*mbox_path;
	int		 width;
	struct buf	 tmp;
	struct buf	 out;		/* mbox entries not yet written */
	time_t		 when_t;	/* the date last formatted... */
	bool		 when_ok;
	char		 when[32];	/* ...for the "From " line */
};

int
outbox_mkdirs(const char *dir, struct err *e)
{
	char path[4096];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(path)) {
		err_set(e, E_OS, dir, "bad folder name");
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0777) == -1 && errno != EEXIST) {
			err_set(e, E_OS, path, "cannot create folder: %s",
			    strerror(errno));
			return -1;
		}
		path[i] = dir[i];
	}
	return 0;
}

/* A file an earlier preview wrote: digits, '-', anything, ".eml". */
static bool
is_preview_file(const char *name)
{
	size_t n = strlen(name), i = 0;

	while (name[i] >= '0' && name[i] <= '9')
		i++;
	return i > 0 && name[i] == '-' && n > 4 &&
	    strcmp(name + n - 4, ".eml") == 0;
}

static int
clear_old(struct outbox *o, struct err *e)
{
	DIR *d = fdopendir(dup(o->dirfd));
	struct dirent *de;
	int rc = 0;

	if (d == NULL) {
		err_set(e, E_OS, o->dir, "cannot list: %s", strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_preview_file(de->d_name))
			continue;
		if (unlinkat(o->dirfd, de->d_name, 0) == -1) {
			err_set(e, E_OS, o->dir, "cannot remove %s: %s",
			    de->d_name, strerror(errno));
			rc = -1;
			break;
		}
	}
	closedir(d);
	return rc;
}

int
outbox_open(struct outbox **op, const char *dir, const char *mbox,
    int width, struct err *e)
{
	struct outbox *o = xcalloc(1, sizeof(*o));

	*op = NULL;
	o->dir = xstrdup(dir);
	o->width = width;
	o->dirfd = -1;
	buf_init(&o->tmp, 1024);
	buf_init(&o->out, MBOX_MSG_MAX + MBOX_FLUSH);
	if (outbox_mkdirs(dir, e) == -1)
		goto fail;
	o->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->dirfd == -1) {
		err_set(e, E_OS, dir, "cannot open: %s", strerror(errno));
		goto fail;
	}
	if (clear_old(o, e) == -1)
		goto fail;
	if (mbox != NULL) {
		o->mbox_path = xstrdup(mbox);
		if ((o->mbox = fopen(mbox, "w")) == NULL) {
			err_set(e, E_OS, mbox, "cannot create: %s",
			    strerror(errno));
			goto fail;
		}
	}
	*op = o;
	return 0;
fail:
	outbox_close(o, NULL);
	return -1;
}

/* "0007-kim@example.com.eml": keep the address readable, never a path. */
static void
file_name(struct outbox *o, size_t row, const char *rcpt)
{
	size_t i;

	buf_reset(&o->tmp);
	buf_addf(&o->tmp, "%0*zu-", o->width, row);
	for (i = 0; rcpt[i] != '\0' && i < NAME_ADDR_MAX; i++) {
		unsigned char c = (unsigned char)rcpt[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("@.-_+", c) != NULL;

		buf_addc(&o->tmp, ok ? c : '_');
	}
	buf_adds(&o->tmp, ".eml");
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int
put_eml(struct outbox *o, size_t row, const char *rcpt, const char *text,
    size_t len, struct err *e)
{
	int fd;

	file_name(o, row, rcpt);
	fd = openat(o->dirfd, buf_str(&o->tmp),
	    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || write_all(fd, text, len) == -1 || close(fd) == -1) {
		err_set(e, E_OS, o->dir, "cannot write %s: %s",
		    buf_str(&o->tmp), strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return 0;
}

/* The "From " line's date, asctime() style, formatted once per time. */
static const char *
mbox_when(struct outbox *o, time_t date)
{
	struct tm tm;

	if (!o->when_ok || o->when_t != date) {
		gmtime_r(&date, &tm);
		strftime(o->when, sizeof(o->when), "%a %b %e %H:%M:%S %Y",
		    &tm);
		o->when_t = date;
		o->when_ok = true;
	}
	return o->when;
}

/*
 * The text as mbox lines at dst: LF-ended, and mboxrd-quoted (a line
 * matching ^>*From gets one more '>').  Returns the octets written,
 * at most n + n / 5 + 1: only a line of 5 octets or more is quoted, and
 * only an unterminated last line gains an octet.
 */
static size_t
mbox_lines(char *dst, const char *p, size_t n)
{
	const char *end = p + n, *nl;
	char *d = dst;
	size_t k, i;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		k = (size_t)(nl - p) - (nl > p && nl[-1] == '\r');
		for (i = 0; i < k && p[i] == '>'; i++)
			;
		if (k - i >= 5 && memcmp(p + i, "From ", 5) == 0)
			*d++ = '>';
		memcpy(d, p, k);
		d += k;
		*d++ = '\n';
		p = nl + 1;
	}
	return (size_t)(d - dst);
}

/* Write the entries gathered in o->out.  E_OS. */
static int
mbox_flush(struct outbox *o, struct err *e)
{
	struct buf *out = &o->out;

	if (out->len > 0 && fwrite(out->data, 1, out->len, o->mbox) !=
	    out->len) {
		err_set(e, E_OS, o->mbox_path, "cannot write: %s",
		    strerror(errno));
		return -1;
	}
	buf_reset(out);
	return 0;
}

/*
 * The message as an mbox entry appended to o->out, written once it
 * holds MBOX_FLUSH octets: a preview writes an entry per row, and
 * per-line or per-message stdio calls cost more than the copy.
 */
static int
put_mbox(struct outbox *o, const char *from, time_t date, const char *text,
    size_t len, struct err *e)
{
	struct buf *out = &o->out;
	const char *when = mbox_when(o, date);
	size_t flen, wlen = strlen(when);
	char *d;

	if (from[0] == '\0')
		from = "MAILER-DAEMON";
	flen = strlen(from);
	d = buf_extend(out, 5 + flen + 1 + wlen + 1 + len + len / 5 + 2);
	if (d == NULL) {
		err_set(e, E_OS, o->mbox_path, "a message is larger than "
		    "%d MB", MBOX_MSG_MAX >> 20);
		return -1;
	}
	memcpy(d, "From ", 5);
	memcpy(d + 5, from, flen);
	d[5 + flen] = ' ';
	memcpy(d + 6 + flen, when, wlen);
	d[6 + flen + wlen] = '\n';
	d += 7 + flen + wlen;
	d += mbox_lines(d, text, len);
	*d++ = '\n';
	buf_truncate(out, (size_t)(d - out->data));
	return out->len >= MBOX_FLUSH ? mbox_flush(o, e) : 0;
}

int
outbox_put(struct outbox *o, size_t row, const char *rcpt,
    const char *from, time_t date, const char *text, size_t len,
    struct err *e)
{
	if (o->mbox != NULL)
		return put_mbox(o, from, date, text, len, e);
	return put_eml(o, row, rcpt, text, len, e);
}

int
outbox_close(struct outbox *o, struct err *e)
{
	int rc = 0;

	if (o == NULL)
		return 0;
	if (o->mbox != NULL) {
		bool bad = mbox_flush(o, e) == -1 || fflush(o->mbox) == EOF ||
		    ferror(o->mbox);

		if (fclose(o->mbox) == EOF || bad) {
			err_set(e, E_OS, o->mbox_path, "cannot write: %s",
			    strerror(errno));
			rc = -1;
		}
	}
	if (o->dirfd != -1)
		close(o->dirfd);
	buf_fini(&o->tmp);
	buf_fini(&o->out);
	free(o->mbox_path);
	free(o->dir);
	free(o);
	return rc;
}
