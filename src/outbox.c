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

struct outbox {
	char		*dir;
	int		 dirfd;
	FILE		*mbox;
	char		*mbox_path;
	int		 width;
	struct buf	 tmp;
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

/* One line of the message into the mbox, LF-ended, mboxrd-quoted. */
static void
mbox_line(FILE *f, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] == '>')
		i++;
	if (n - i >= 5 && memcmp(p + i, "From ", 5) == 0)
		putc('>', f);
	fwrite(p, 1, n, f);
	putc('\n', f);
}

static int
put_mbox(struct outbox *o, const char *from, time_t date, const char *text,
    size_t len, struct err *e)
{
	const char *p = text, *end = text + len, *nl;
	char when[32];
	struct tm tm;

	gmtime_r(&date, &tm);
	strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
	fprintf(o->mbox, "From %s %s\n", from[0] ? from : "MAILER-DAEMON",
	    when);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		mbox_line(o->mbox, p,
		    (size_t)(nl - p) - (nl > p && nl[-1] == '\r'));
		p = nl + 1;
	}
	putc('\n', o->mbox);
	if (ferror(o->mbox)) {
		err_set(e, E_OS, o->mbox_path, "cannot write: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
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
		bool bad = fflush(o->mbox) == EOF || ferror(o->mbox);

		if (fclose(o->mbox) == EOF || bad) {
			err_set(e, E_OS, o->mbox_path, "cannot write: %s",
			    strerror(errno));
			rc = -1;
		}
	}
	if (o->dirfd != -1)
		close(o->dirfd);
	buf_fini(&o->tmp);
	free(o->mbox_path);
	free(o->dir);
	free(o);
	return rc;
}
