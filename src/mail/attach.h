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

#endif /* ATTACH_H */
