#ifndef TEMPLATE_H
#define TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

/*
 * A mail template: a header block, a blank line and a body, each header
 * value and the body being Mustache text (the tags that make sense for
 * one flat roster row).  Compiled once; each row renders from the
 * compiled form.  Rendered header values are single lines: a merged
 * value holding CR, LF or NUL is an error, so a field can never add a
 * header.
 *
 * A Korean particle pair written right after a value tag, like
 * {{이름}}(이)가, renders as the form that fits the value's last
 * syllable (김민준이, 이하나가); a last digit counts by its Sino-Korean
 * reading; Latin, other scripts and empty values keep the written form.
 * The header "X-Mailmerge-Particles: off" turns this off; the parser
 * consumes it, so template_nheaders() never counts it.
 */

#define TEMPLATE_HEADERS_MAX	64

/* How a column is used; template_use() returns an OR of these. */
enum template_use {
	TEMPLATE_USE_HEADER = 1,	/* as a value in a header */
	TEMPLATE_USE_TEXT = 2,		/* as a value in the body */
	TEMPLATE_USE_SECTION = 4	/* as a section/inverted test */
};

enum template_escape {
	TEMPLATE_RAW = 0,	/* values go in as they are (headers, text) */
	TEMPLATE_HTML		/* {{x}} is HTML-escaped, {{{x}}} / {{&x}} not */
};

struct template;

/*
 * Read and compile a template file.  E_NOINPUT: cannot read; E_INPUT:
 * malformed header block or tag, unbalanced section, an
 * X-Mailmerge-Particles value other than on/off; e->where is
 * "path:line:col".
 */
int	template_load(struct template **tp, const char *path, struct err *e);

/* Compile text already in memory; name is used in e->where. */
int	template_parse(struct template **tp, const char *name,
	    const char *text, size_t len, struct err *e);

void	template_free(struct template *t);

/* The path or name the template was loaded under; valid until free. */
const char *template_path(const struct template *t);

/*
 * Resolve every tag to a column index.  A tag naming no column is
 * E_INPUT at "path:line:col" with the closest column name suggested.
 */
int	template_bind(struct template *t, const char *const *cols,
	    size_t ncols, struct err *e);

/*
 * The same, going on past a tag naming no column: each such tag's
 * error goes to each(arg, e) (if not NULL), and e holds the first.
 * Returns how many tags failed (0: bound).
 */
size_t	template_bind_all(struct template *t, const char *const *cols,
	    size_t ncols, void (*each)(void *arg, const struct err *e),
	    void *arg, struct err *e);

/*
 * After bind: the columns whose values header i shows (value tags, not
 * section tests), at most max of them into cols; how many.
 */
size_t	template_header_cols(const struct template *t, size_t i,
	    size_t *cols, size_t max);

/* After bind: how column col is used (0 if not at all). */
unsigned template_use(const struct template *t, size_t col);

/* Header lines in template order; names as written. */
size_t	template_nheaders(const struct template *t);
const char *template_header_name(const struct template *t, size_t i);
size_t	template_header_line(const struct template *t, size_t i);

/*
 * Render header i / the body for one row (vals[k], lens[k] is column k)
 * by appending to out.  A header value with CR, LF or NUL from a field
 * is E_INPUT with e->where set to the column name; a too-large result
 * (out's cap) is E_INPUT too.
 */
int	template_render_header(const struct template *t, size_t i,
	    const char *const *vals, const size_t *lens, struct buf *out,
	    struct err *e);
int	template_render_body(const struct template *t,
	    const char *const *vals, const size_t *lens,
	    enum template_escape esc, struct buf *out, struct err *e);

#endif /* TEMPLATE_H */
