/*
 * Attachments: the path rule, the checks the validation pass makes, and
 * reading a file with its MIME type: by extension for common documents,
 * else from libmagic; a text file's charset as the roster reader tells
 * it (UTF-8, else EUC-KR or CP949).
 *
 * The path rule works on the rendered path with each field's octets
 * marked (attach_mark()), so it knows exactly which octets the roster
 * gave.  Lexically: a field may not supply the path's leading '/', and
 * no '/'-separated component that holds an octet of a field may be
 * "..".  Then, on the file system: when a field is in the path, the
 * file's realpath(3) must lie under the realpath of the folder named by
 * the literal text before the first field ("feedback/{{id}}.pdf":
 * feedback/, "{{id}}.pdf": the template's folder), which stops links
 * that lead elsewhere.  The template's own text is trusted: it may
 * name "/srv/common/x.pdf" or "../shared/x.pdf".
 *
 * The file is opened by its resolved name with O_NOFOLLOW and
 * O_NONBLOCK (a FIFO must not hang the run), and it must be a regular
 * file: a folder, a FIFO or a device is refused in the validation pass,
 * as is a file that cannot be opened for reading.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <magic.h>

#include "attach.h"
#include "buf.h"
#include "err.h"
#include "i18n.h"
#include "utf8.h"
#include "xalloc.h"

#define QUOTE_MAX	120	/* octets of a path quoted in an error */
#define MAGIC_BYTES	(64 * 1024)	/* octets libmagic looks at */

struct attach {
	magic_t		 magic;
};

int
attach_mark(struct buf *out, const char *v, size_t n)
{
	if (n == 0)
		return 0;
	return buf_addf(out, "%c%zu%c", ATTACH_MARK, n, ATTACH_MARK_END) ==
	    -1 ? -1 : buf_add(out, v, n);
}

/* An error about f's path: "'feedback/x.pdf' does not exist". */
static int
fail(const struct attach_file *f, struct err *e, const char *why)
{
	err_set(e, E_INPUT, "Attachment", "'%.*s%s' %s", QUOTE_MAX, f->shown,
	    strlen(f->shown) > QUOTE_MAX ? "..." : "", _(why));
	return -1;
}

/*
 * Unmark s into f->shown, with from[i] set where octet i came from a
 * field; *first is the first such octet (or the length).  -1 if too
 * long, -2 if a mark is broken (a control character in the text).
 */
static int
unmark(struct attach_file *f, const char *s, size_t n, char *from,
    size_t *first)
{
	size_t i = 0, k = 0, len;
	bool field;

	*first = SIZE_MAX;
	while (i < n) {
		len = 1;
		field = s[i] == ATTACH_MARK;
		if (field) {
			for (len = 0, i++; i < n && s[i] >= '0' &&
			    s[i] <= '9' && len <= n; i++)
				len = len * 10 + (size_t)(s[i] - '0');
			if (i == n || s[i++] != ATTACH_MARK_END)
				return -2;
			if (*first == SIZE_MAX)
				*first = k;
		}
		if (len > n - i)
			return -2;
		if (k + len >= ATTACH_PATH_MAX)
			return -1;
		memcpy(f->shown + k, s + i, len);
		memset(from + k, field, len);
		i += len, k += len;
	}
	f->shown[k] = '\0';
	if (*first == SIZE_MAX)
		*first = k;
	return 0;
}

/* Why the octets from fields break the rule, or NULL. */
static const char *
rule_check(const char *p, const char *from, size_t n)
{
	size_t i, start;
	bool field;

	if (n > 0 && p[0] == '/' && from[0])
		return N_("starts with '/' from a roster field: only the "
		    "template's own text may name a file outside its folder");
	for (start = 0; start <= n; start = i + 1) {
		field = false;
		for (i = start; i < n && p[i] != '/'; i++)
			field |= from[i] != 0;
		if (field && i - start == 2 && p[start] == '.' &&
		    p[start + 1] == '.')
			return N_("has a '..' from a roster field: only the "
			    "template's own text may name a file outside its "
			    "folder");
	}
	return NULL;
}

/* Why the path is malformed, or NULL. */
static const char *
shape_check(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return N_("is empty: expected a file name");
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return N_("holds a control character");
	if (p[n - 1] == '/')
		return N_("names a folder: expected a file");
	return NULL;
}

/* dir "/" s[0..n) into out, or s alone when absolute or dir is "". */
static int
join(char out[ATTACH_PATH_MAX], const char *dir, const char *s, size_t n)
{
	int k;

	if (s[0] == '/' || dir[0] == '\0')
		k = snprintf(out, ATTACH_PATH_MAX, "%.*s", (int)n, s);
	else
		k = snprintf(out, ATTACH_PATH_MAX, "%s/%.*s", dir, (int)n, s);
	return k < 0 || k >= ATTACH_PATH_MAX ? -1 : 0;
}

int
attach_path(struct attach_file *f, const char *dir, const char *s,
    size_t n, struct err *e)
{
	char from[ATTACH_PATH_MAX];
	const char *why, *slash;
	size_t first, len, cut;
	int rc;

	f->path[0] = f->confine[0] = '\0';
	f->name = f->shown;
	f->size = 0;
	rc = unmark(f, s, n, from, &first);
	if (rc < 0) {
		for (len = 0; len < n && len < QUOTE_MAX; len++)
			f->shown[len] = (unsigned char)s[len] < 0x20 ? '?' :
			    s[len];
		f->shown[len] = '\0';
		return fail(f, e, rc == -1 ? N_("is too long") :
		    N_("holds a control character"));
	}
	len = strlen(f->shown);
	why = shape_check(f->shown, len);
	if (why == NULL)
		why = rule_check(f->shown, from, len);
	if (why != NULL)
		return fail(f, e, why);
	slash = strrchr(f->shown, '/');
	f->name = slash != NULL ? slash + 1 : f->shown;
	if (join(f->path, dir, f->shown, len) == -1)
		return fail(f, e, "is too long");
	if (first == len)
		return 0;
	/* The literal folder before the first field, or the template's. */
	for (cut = first; cut > 0 && f->shown[cut - 1] != '/'; cut--)
		;
	if (cut == 0)
		snprintf(f->confine, sizeof(f->confine), "%s",
		    dir[0] != '\0' ? dir : ".");
	else if (join(f->confine, dir, f->shown, cut) == -1)
		return fail(f, e, "is too long");
	return 0;
}

/* errno after a failed realpath() or open(), as a reason. */
static int
fail_errno(const struct attach_file *f, struct err *e, int err)
{
	char why[160];

	if (err == ENOENT || err == ENOTDIR)
		return fail(f, e, "does not exist: check the file name and "
		    "that the file is in place");
	snprintf(why, sizeof(why), _("cannot be read: %s"), strerror(err));
	return fail(f, e, why);
}

/* Whether real lies inside folder dir (both resolved). */
static bool
inside(const char *real, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(real, dir, n) == 0 && real[n] == '/';
}

/* Resolve, confine, open and check f; the fd or -1. */
static int
open_checked(struct attach_file *f, struct stat *st, struct err *e)
{
	char real[ATTACH_PATH_MAX], dir[ATTACH_PATH_MAX], why[160];
	int fd;

	if (realpath(f->path, real) == NULL)
		return fail_errno(f, e, errno);
	if (f->confine[0] != '\0' && (realpath(f->confine, dir) == NULL ||
	    !inside(real, dir)))
		return fail(f, e, "leads out of its folder through a link: "
		    "a file named by a roster field must lie in the folder "
		    "the template names");
	fd = open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return fail_errno(f, e, errno);
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		close(fd);
		return fail(f, e, "is not a regular file (a folder, FIFO or "
		    "device): expected a file to attach");
	}
	if (st->st_size > ATTACH_FILE_MAX) {
		close(fd);
		snprintf(why, sizeof(why), _("is %.1f MB, over the limit of "
		    "%d MB for one attachment"), st->st_size / 1048576.0,
		    ATTACH_FILE_MAX >> 20);
		return fail(f, e, why);
	}
	return fd;
}

/* Size and identity of the file just opened. */
static void
note_id(struct attach_file *f, const struct stat *st)
{
	f->size = (size_t)st->st_size;
	f->id.dev = st->st_dev;
	f->id.ino = st->st_ino;
	f->id.mtime = st->st_mtim;
}

int
attach_stat(struct attach_file *f, struct err *e)
{
	struct stat st;
	int fd = open_checked(f, &st, e);

	if (fd == -1)
		return -1;
	close(fd);
	note_id(f, &st);
	return 0;
}

bool
attach_same(const struct attach_file *f, const struct attach_id *id)
{
	return f->id.dev == id->dev && f->id.ino == id->ino &&
	    f->id.mtime.tv_sec == id->mtime.tv_sec &&
	    f->id.mtime.tv_nsec == id->mtime.tv_nsec;
}

int
attach_new(struct attach **ap, struct err *e)
{
	struct attach *a = xcalloc(1, sizeof(*a));

	*ap = NULL;
	/*
	 * libmagic's encoding check reads the whole buffer and costs as
	 * much as all its other tests on a 100 KB PDF: it is off, and a
	 * text file's charset is found here (type_of()).
	 */
	a->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_ENCODING |
	    MAGIC_ERROR);
	if (a->magic == NULL || magic_load(a->magic, NULL) == -1) {
		err_set(e, E_OS, "libmagic", "cannot load the file type "
		    "database: %s", a->magic != NULL ?
		    magic_error(a->magic) : "out of memory");
		attach_free(a);
		return -1;
	}
	*ap = a;
	return 0;
}

void
attach_free(struct attach *a)
{
	if (a == NULL)
		return;
	if (a->magic != NULL)
		magic_close(a->magic);
	free(a);
}

/* The file's octets appended to data, at most ATTACH_FILE_MAX. */
static int
slurp(struct attach_file *f, int fd, size_t size, struct buf *data,
    struct err *e)
{
	size_t start = data->len, got = 0;
	ssize_t n = 1;
	char *p;

	/* One more octet than stat said, to see a file that grew. */
	p = buf_extend(data, size + 1);
	if (p == NULL)
		return fail(f, e, "makes the attachments of this message "
		    "pass their limit: attach fewer or smaller files");
	while (got <= size && n > 0) {
		n = read(fd, p + got, size + 1 - got);
		if (n > 0)
			got += (size_t)n;
	}
	if (n == -1) {
		buf_truncate(data, start);
		return fail_errno(f, e, errno);
	}
	buf_truncate(data, start + got);
	if (got > size)
		return fail(f, e, "changed while it was read: run again");
	f->size = got;
	return 0;
}

/*
 * Types by file name for the documents a class sends: libmagic cannot
 * tell a .hwp from any OLE file or an .xlsx from a zip, and has taken
 * a data file for an image.  libmagic is the fallback.
 */
static const struct {
	const char	*ext;		/* lower case, with the dot */
	const char	*type;
} ext_types[] = {
	{ ".pdf", "application/pdf" },
	{ ".hwp", "application/x-hwp" },
	{ ".hwpx", "application/hwp+zip" },
	{ ".doc", "application/msword" },
	{ ".docx", "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document" },
	{ ".xls", "application/vnd.ms-excel" },
	{ ".xlsx", "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet" },
	{ ".ppt", "application/vnd.ms-powerpoint" },
	{ ".pptx", "application/vnd.openxmlformats-officedocument."
	    "presentationml.presentation" },
	{ ".odt", "application/vnd.oasis.opendocument.text" },
	{ ".ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ ".odp", "application/vnd.oasis.opendocument.presentation" },
	{ ".rtf", "application/rtf" },
	{ ".zip", "application/zip" },
	{ ".7z", "application/x-7z-compressed" },
	{ ".gz", "application/gzip" },
	{ ".tar", "application/x-tar" },
	{ ".json", "application/json" },
	{ ".xml", "application/xml" },
	{ ".ipynb", "application/x-ipynb+json" },
	{ ".txt", "text/plain" },
	{ ".csv", "text/csv" },
	{ ".tsv", "text/tab-separated-values" },
	{ ".md", "text/markdown" },
	{ ".html", "text/html" },
	{ ".htm", "text/html" },
	{ ".c", "text/x-c" },
	{ ".h", "text/x-c" },
	{ ".py", "text/x-python" },
	{ ".java", "text/x-java" },
	{ ".jpg", "image/jpeg" },
	{ ".jpeg", "image/jpeg" },
	{ ".png", "image/png" },
	{ ".gif", "image/gif" },
	{ ".webp", "image/webp" },
	{ ".svg", "image/svg+xml" },
	{ ".bmp", "image/bmp" },
	{ ".mp3", "audio/mpeg" },
	{ ".mp4", "video/mp4" },
	{ ".dat", "application/octet-stream" },
	{ ".bin", "application/octet-stream" },
};

/*
 * libmagic's guesses from a few octets with no magic number: TGA has
 * none, so any data starting with small numbers is "image/x-tga".
 */
static const char *const magic_weak[] = {
	"image/x-tga", "application/x-empty",
};

/* The type the name's extension says, or NULL. */
static const char *
ext_type(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot != NULL && i < sizeof(ext_types) /
	    sizeof(ext_types[0]); i++)
		if (strcasecmp(dot, ext_types[i].ext) == 0)
			return ext_types[i].type;
	return NULL;
}

/*
 * Whether p[0..n) is Korean text in EUC-KR (KS X 1001: both octets
 * 0xA1-0xFE) or, with uhc, CP949 (Unified Hangul Code: lead 0x81-0xFE,
 * trail 0x41-0x5A, 0x61-0x7A, 0x81-0xFE), as roster.c tells them.
 */
static bool
korean(const unsigned char *p, size_t n, bool uhc)
{
	size_t i;
	unsigned char t;

	for (i = 0; i < n; i++) {
		if (p[i] < 0x80)
			continue;
		if (i + 1 == n || p[i] < (uhc ? 0x81 : 0xa1) || p[i] == 0xff)
			return false;
		t = p[++i];
		if (uhc ? !((t >= 0x41 && t <= 0x5a) || (t >= 0x61 &&
		    t <= 0x7a) || (t >= 0x81 && t <= 0xfe)) :
		    !(t >= 0xa1 && t <= 0xfe))
			return false;
	}
	return true;
}

/*
 * A text file's charset, detected as for rosters: "us-ascii",
 * "utf-8", "euc-kr", "cp949" (EUC-KR's superset, what Korean Windows
 * saves) or NULL (unknown).
 */
static const char *
charset(const char *p, size_t n)
{
	bool eight;

	if (utf8_valid(p, n, &eight) == n)
		return eight ? "utf-8" : "us-ascii";
	if (memchr(p, '\0', n) != NULL)
		return NULL;
	if (korean((const unsigned char *)p, n, false))
		return "euc-kr";
	return korean((const unsigned char *)p, n, true) ? "cp949" : NULL;
}

/* The type by name, else libmagic's, checked, with a charset for text. */
static void
type_of(struct attach *a, const char *name, const char *p, size_t n,
    char *type)
{
	const char *t = ext_type(name);
	const char *cs;
	size_t i, len;

	if (t == NULL)
		t = magic_buffer(a->magic, p, n < MAGIC_BYTES ? n :
		    MAGIC_BYTES);
	for (i = 0; t != NULL && i < sizeof(magic_weak) /
	    sizeof(magic_weak[0]); i++)
		if (strcmp(t, magic_weak[i]) == 0)
			t = NULL;
	if (t == NULL)
		t = "application/octet-stream";
	len = strlen(t);
	for (i = 0; i < len; i++)
		if ((unsigned char)t[i] <= ' ' || t[i] == ';' || t[i] == '"')
			break;
	if (i < len || len == 0 || len + 20 >= ATTACH_TYPE_MAX ||
	    memchr(t, '/', len) == NULL)
		t = "application/octet-stream", len = strlen(t);
	memcpy(type, t, len);
	type[len] = '\0';
	/* A mail reader shows text in the charset it is told (RFC 2046 §4.1.2). */
	cs = strncmp(t, "text/", 5) == 0 ? charset(p, n) : NULL;
	if (cs != NULL)
		snprintf(type + len, ATTACH_TYPE_MAX - len, "; charset=%s", cs);
}

int
attach_read(struct attach *a, struct attach_file *f, struct buf *data,
    char type[ATTACH_TYPE_MAX], struct err *e)
{
	struct stat st;
	size_t start = data->len;
	int fd = open_checked(f, &st, e), rc;

	if (fd == -1)
		return -1;
	note_id(f, &st);
	rc = slurp(f, fd, (size_t)st.st_size, data, e);
	close(fd);
	if (rc == -1)
		return -1;
	type_of(a, f->name, data->data + start, f->size, type);
	return 0;
}

int
attach_type(struct attach *a, struct attach_file *f, struct buf *data,
    char type[ATTACH_TYPE_MAX], struct err *e)
{
	const char *t = ext_type(f->name);

	/* A known type but text's is told without the contents. */
	if (t == NULL || strncmp(t, "text/", 5) == 0)
		return attach_read(a, f, data, type, e);
	if (attach_stat(f, e) == -1)
		return -1;
	type_of(a, f->name, "", 0, type);
	return 0;
}
