#ifndef ATTACH_H
#define ATTACH_H

#include <sys/types.h>

#include <stdbool.h>
#include <time.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "message.h"
#include "template.h"

/*
 * The files a template's "Attachment: PATH" lines name.  PATH is found
 * relative to the template's folder.  The template's own text may name
 * any file; the part of PATH that comes from roster fields may not make
 * it absolute, may not add a ".." component, and the file it reaches
 * (links resolved) must lie inside the folder the literal text before
 * the first field names.  See attach_path().
 */

#define ATTACH_FILE_MAX		(25 * 1024 * 1024)	/* octets in one file */
#define ATTACH_PATH_MAX		PATH_MAX	/* octets in a path, with NUL */
#define ATTACH_TYPE_MAX		128	/* octets in a MIME type, with NUL */
/* Octets of one file as base64 lines: 78 per 57 and a last line. */
#define ATTACH_B64_MAX		(ATTACH_FILE_MAX / 57 * 78 + 80)
#define ATTACH_CID_MAX		128	/* octets in an inline image's
						   Content-ID, with NUL */
#define ATTACH_MARK		'\001'	/* "\001<len>\002value": a field */
#define ATTACH_MARK_END		'\002'

/* One attachment of one row. */
struct attach_file {
	char	 shown[ATTACH_PATH_MAX];	/* the path as rendered */
	char	 path[ATTACH_PATH_MAX];		/* what is opened */
	char	 confine[ATTACH_PATH_MAX];	/* folder it must stay in,
						   "" when no field is in it */
	const char *name;		/* file name: the end of shown */
	size_t	 size;			/* octets, after attach_stat() */
	struct attach_id {		/* which file, which version */
		dev_t	 dev;
		ino_t	 ino;
		struct timespec mtime;
	} id;				/* after attach_stat()/attach_read() */
};

/* The same file, unchanged (same size and modification time)? */
bool	attach_same(const struct attach_file *f, const struct attach_id *id);

/* Per thread: the libmagic cookie. */
struct attach;

/*
 * Append field value v[0..n) to out marked as a field ("\001" decimal
 * length "\002" v), so that attach_path() can tell which octets of a
 * rendered path came from the roster; the value's own end is kept, so
 * Korean particles after it render as they would.  -1 at out's cap.
 */
int	attach_mark(struct buf *out, const char *v, size_t n);

/*
 * Parse marked path s[0..n) into f, relative to folder dir (the
 * template's).  E_INPUT, e->where "Attachment", quoting the path: empty,
 * control characters, too long, names a folder, a field makes it
 * absolute or adds a ".." component.
 */
int	attach_path(struct attach_file *f, const char *dir, const char *s,
	    size_t n, struct err *e);

/*
 * Check that f's file exists, is a readable regular file inside
 * f->confine (links resolved) and at most ATTACH_FILE_MAX octets; set
 * f->size.  E_INPUT naming the path, as attach_path().
 */
int	attach_stat(struct attach_file *f, struct err *e);

/* A libmagic cookie with the system's database.  E_OS. */
int	attach_new(struct attach **ap, struct err *e);
void	attach_free(struct attach *a);

/*
 * attach_stat(), then the file's contents appended to data and its MIME
 * type ("application/pdf", "text/plain; charset=utf-8") put in type.
 * E_INPUT as attach_stat(), or when data's cap is reached.
 */
int	attach_read(struct attach *a, struct attach_file *f, struct buf *data,
	    char type[ATTACH_TYPE_MAX], struct err *e);

/*
 * f's MIME type as attach_read() gives it, with attach_stat()'s checks,
 * reading the contents (appended to data) only when the type needs
 * them: no known file name extension, or text (its charset).  E_INPUT
 * as attach_read().
 */
int	attach_type(struct attach *a, struct attach_file *f, struct buf *data,
	    char type[ATTACH_TYPE_MAX], struct err *e);

/*
 * A row's files: its attachments, then the inline images of its HTML
 * part, with their paths, checks, types and, for a build, their
 * contents as base64 (kept while a file stays the same, so a syllabus
 * attached to every row is read once).  Per thread, reset per row.
 */
struct attach_set {
	struct attach_file *files;	/* nfiles attachments, then nimg
					   inline images */
	struct message_attachment *att;	/* the same for message_params,
					   after attach_set_finish() */
	size_t		 nfiles;
	size_t		 nimg;
	/* Private to attach.c. */
	size_t		 cap;		/* entries in files, att, enc, cid */
	struct attach_enc *enc;		/* each entry's type and base64 */
	char		(*cid)[ATTACH_CID_MAX];	/* images' Content-IDs */
	struct buf	 vals;		/* the row's values, marked */
	const char	**mv;		/* mv[k], ml[k]: value k in vals */
	size_t		*ml;
	size_t		 mcap;		/* values mv and ml hold */
	struct buf	 path;		/* one path, rendered or decoded */
	struct buf	 mpath;		/* the same, marked */
	struct buf	 data;		/* a file's contents, while encoding */
	struct attach	*magic;		/* libmagic, made at its first use */
};

/* Where a row's files are found, and how far they are taken. */
struct attach_where {
	const char	*dir;		/* the template's folder */
	const char	*text;		/* the template's text: an image path
					   it writes whole is trusted */
	size_t		 text_len;
	bool		 read;		/* a build: read and encode; else (the
					   validation pass) check and type */
};

void	attach_set_init(struct attach_set *s);
void	attach_set_fini(struct attach_set *s);

/* Empty s for a new row; the files read stay for the next rows. */
void	attach_set_reset(struct attach_set *s);

/*
 * The row's n field values (v[k], len[k]) marked as fields, for
 * attachment paths.  E_INPUT when they pass their cap.
 */
int	attach_set_values(struct attach_set *s, const char *const *v,
	    const size_t *len, size_t n, struct err *e);

/*
 * Add the file that template header hdr ("Attachment: PATH") names,
 * rendered from the values attach_set_values() marked: attach_path(),
 * then read and encoded (w->read) or checked and typed (attach_type()).
 * E_INPUT as those, E_OS (libmagic's database cannot be loaded).
 */
int	attach_set_file(struct attach_set *s, const struct attach_where *w,
	    const struct template *t, size_t hdr, struct err *e);

/*
 * The inline image an HTML src (src[0..n), URL-encoded) names: found
 * among the images added, or added, its Content-ID made from msgid
 * (unique per row).  A path the template writes itself follows the
 * template's rule, any other a field's (the rendered HTML no longer
 * tells which octets a field gave).  *cid: its Content-ID, valid
 * until the next call.  E_INPUT, E_OS as attach_set_file().
 */
int	attach_set_image(struct attach_set *s, const struct attach_where *w,
	    const char *src, size_t n, const char *msgid, const char **cid,
	    struct err *e);

/* Fill s->att, once the row's files and images are all added. */
void	attach_set_finish(struct attach_set *s, const struct attach_where *w);

#endif /* ATTACH_H */
