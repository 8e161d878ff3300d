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
 *
 * struct attach_set holds one row's files: attachments, then the HTML
 * part's inline images, each file's type and base64 kept while the file
 * stays the same (same size and modification time).  The validation
 * pass only checks and types them (attach_type()), reading a file only
 * when its name does not tell its type.
 */
#include <sys/stat.h>

#include <assert.h>
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
#include "codec.h"
#include "err.h"
#include "html.h"
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

/*
 * A row's files (struct attach_set).
 */

#define VALS_CAP	(64 * 1024 * 1024)	/* a row's values, marked */

/* A file's type and base64, kept while the file stays the same. */
struct attach_enc {
	struct attach_id id;		/* the file they were made from */
	bool		 valid;		/* type and b64 are id's */
	char		 type[ATTACH_TYPE_MAX];
	struct buf	 b64;		/* codec_base64_lines() of it */
};

void
attach_set_init(struct attach_set *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->vals, VALS_CAP);
	buf_init(&s->path, ATTACH_PATH_MAX);
	buf_init(&s->mpath, ATTACH_PATH_MAX);
	buf_init(&s->data, MESSAGE_MIXED_MAX);
}

void
attach_set_fini(struct attach_set *s)
{
	size_t k;

	for (k = 0; k < s->cap; k++)
		buf_fini(&s->enc[k].b64);
	free(s->enc);
	free(s->files);
	free(s->att);
	free(s->cid);
	free(s->mv);
	free(s->ml);
	buf_fini(&s->vals);
	buf_fini(&s->path);
	buf_fini(&s->mpath);
	buf_fini(&s->data);
	attach_free(s->magic);
}

void
attach_set_reset(struct attach_set *s)
{
	s->nfiles = 0;
	s->nimg = 0;
}

/* Room for n entries. */
static void
grow(struct attach_set *s, size_t n)
{
	if (n <= s->cap)
		return;
	s->files = xreallocarray(s->files, n, sizeof(*s->files));
	s->att = xreallocarray(s->att, n, sizeof(*s->att));
	s->enc = xreallocarray(s->enc, n, sizeof(*s->enc));
	s->cid = xreallocarray(s->cid, n, sizeof(*s->cid));
	for (; s->cap < n; s->cap++) {
		s->enc[s->cap].valid = false;
		buf_init(&s->enc[s->cap].b64, ATTACH_B64_MAX);
	}
}

int
attach_set_values(struct attach_set *s, const char *const *v,
    const size_t *len, size_t n, struct err *e)
{
	size_t k;

	if (n > s->mcap) {
		s->mv = xreallocarray(s->mv, n, sizeof(*s->mv));
		s->ml = xreallocarray(s->ml, n, sizeof(*s->ml));
		s->mcap = n;
	}
	buf_reset(&s->vals);
	for (k = 0; k < n; k++) {
		s->ml[k] = s->vals.len;
		if (attach_mark(&s->vals, v[k], len[k]) == -1) {
			err_set(e, E_INPUT, NULL, "the row is too large");
			return -1;
		}
	}
	/* Pointers only now: the buffer may have moved while growing. */
	for (k = 0; k < n; k++) {
		s->mv[k] = buf_str(&s->vals) + s->ml[k];
		s->ml[k] = (k + 1 < n ? s->ml[k + 1] : s->vals.len) - s->ml[k];
	}
	return 0;
}

/* The libmagic cookie, made at its first use. */
static struct attach *
magic(struct attach_set *s, struct err *e)
{
	if (s->magic == NULL && attach_new(&s->magic, e) == -1)
		return NULL;
	return s->magic;
}

/* Entry k's file read and encoded, unless its version is kept. */
static int
encode(struct attach_set *s, size_t k, struct err *e)
{
	struct attach_file *f = &s->files[k];
	struct attach_enc *c = &s->enc[k];

	if (attach_stat(f, e) == -1)
		return -1;
	if (c->valid && attach_same(f, &c->id))
		return 0;
	c->valid = false;
	buf_reset(&s->data);
	if (magic(s, e) == NULL ||
	    attach_read(s->magic, f, &s->data, c->type, e) == -1)
		return -1;
	buf_reset(&c->b64);
	if (codec_base64_lines(&c->b64, s->data.data ? s->data.data : "",
	    s->data.len) == -1) {
		err_set(e, E_INPUT, f->shown, "too large to encode");
		return -1;
	}
	c->id = f->id;
	c->valid = true;
	return 0;
}

/* Entry k's file checked and typed (validation), or read and encoded. */
static int
take(struct attach_set *s, const struct attach_where *w, size_t k,
    struct err *e)
{
	if (w->read)
		return encode(s, k, e);
	s->enc[k].valid = false;
	buf_reset(&s->data);
	if (magic(s, e) == NULL)
		return -1;
	return attach_type(s->magic, &s->files[k], &s->data, s->enc[k].type,
	    e);
}

int
attach_set_file(struct attach_set *s, const struct attach_where *w,
    const struct template *t, size_t hdr, struct err *e)
{
	size_t k = s->nfiles;

	/* Attachments come before images: none is added yet. */
	assert(s->nimg == 0);
	grow(s, k + 1);
	buf_reset(&s->mpath);
	if (template_render_header(t, hdr, s->mv, s->ml, &s->mpath,
	    e) == -1 || attach_path(&s->files[k], w->dir,
	    buf_str(&s->mpath), s->mpath.len, e) == -1 ||
	    take(s, w, k, e) == -1)
		return -1;
	s->nfiles++;
	return 0;
}

/*
 * Whether s[0..n) is written in the template's own text as a whole
 * URL or path: between '(' '"' '\'' '=' or white space and ')' '"'
 * '\'' '>' or white space, so that "/a.png" inside "../x/a.png" does
 * not count.  Such a path is the template author's choice, whatever a
 * field makes of the rest.
 */
static bool
written(const struct attach_where *w, const char *s, size_t n)
{
	static const char before[] = "(\"'= \t\n", after[] = ")\"'> \t\r\n";
	const char *t = w->text, *p = t;
	size_t len = w->text_len;

	if (n == 0 || t == NULL)
		return false;
	while ((p = memchr(p, s[0], len - (size_t)(p - t))) != NULL &&
	    (size_t)(p - t) + n <= len) {
		if (memcmp(p, s, n) == 0 && p > t &&
		    strchr(before, p[-1]) != NULL && ((size_t)(p - t) + n ==
		    len || strchr(after, p[n]) != NULL))
			return true;
		p++;
	}
	return false;
}

/* A new image k, its decoded path in s->path, as written: src. */
static int
image_add(struct attach_set *s, const struct attach_where *w, size_t k,
    const char *src, size_t n, const char *msgid, struct err *e)
{
	const char *path = buf_str(&s->path);
	int rc;

	buf_reset(&s->mpath);
	if (written(w, path, s->path.len) || written(w, src, n))
		rc = buf_add(&s->mpath, path, s->path.len);
	else
		rc = attach_mark(&s->mpath, path, s->path.len);
	if (rc == -1) {
		err_set(e, E_INPUT, NULL, "an inline image's path is too "
		    "long");
		return -1;
	}
	if (attach_path(&s->files[k], w->dir, buf_str(&s->mpath),
	    s->mpath.len, e) == -1)
		return -1;
	snprintf(s->cid[k], ATTACH_CID_MAX, "img%zu.%s@mailmerge.invalid",
	    k - s->nfiles + 1, msgid);
	return take(s, w, k, e);
}

int
attach_set_image(struct attach_set *s, const struct attach_where *w,
    const char *src, size_t n, const char *msgid, const char **cid,
    struct err *e)
{
	size_t k;

	buf_reset(&s->path);
	if (html_url_path(&s->path, src, n) == -1) {
		err_set(e, E_INPUT, NULL, "an inline image's path is too "
		    "long");
		return -1;
	}
	for (k = s->nfiles; k < s->nfiles + s->nimg; k++)
		if (strcmp(s->files[k].shown, buf_str(&s->path)) == 0)
			break;
	if (k == s->nfiles + s->nimg) {
		grow(s, k + 1);
		if (image_add(s, w, k, src, n, msgid, e) == -1)
			return -1;
		s->nimg++;
	}
	*cid = s->cid[k];
	return 0;
}

void
attach_set_finish(struct attach_set *s, const struct attach_where *w)
{
	struct message_attachment *a;
	struct attach_file *f;
	const char *slash;
	size_t k;

	for (k = 0; k < s->nfiles + s->nimg; k++) {
		a = &s->att[k];
		f = &s->files[k];
		/* f->name points into f, which grow() may have moved. */
		slash = strrchr(f->shown, '/');
		f->name = slash != NULL ? slash + 1 : f->shown;
		memset(a, 0, sizeof(*a));
		a->name = f->name;
		a->name_len = strlen(a->name);
		a->type = s->enc[k].type;
		a->len = f->size;
		a->cid = k < s->nfiles ? NULL : s->cid[k];
		if (w->read) {
			a->b64 = buf_str(&s->enc[k].b64);
			a->b64_len = s->enc[k].b64.len;
		}
	}
}
