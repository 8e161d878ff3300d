/*
 * Mail templates.  A template is a header block, a blank line and a
 * body, like the mail it makes; each header value and the body are
 * Mustache fragments for one flat roster row.
 *
 * template_parse() does all the work that can fail on the template
 * itself: it checks the encoding, splits and unfolds the headers, finds
 * tags with PCRE2 (the pattern is rebuilt from the current delimiters
 * after each set-delimiter tag) and turns each fragment into a flat list
 * of ops over one arena: TEXT (a slice), VALUE (a column), PARTICLE (a
 * Korean particle pair after a value) and SECTION (a column test and the
 * op to skip to).  Closing tags, comments and delimiter changes leave no
 * op.  Rendering walks that list and only appends to the caller's
 * buffer: no regex and no malloc per row.
 *
 * Particles: a paired form Korean software writes, like "(이)가", right
 * after a value tag becomes a PARTICLE op, which picks 이 or 가 from the
 * value's last syllable when the row is rendered (Unicode §3.12 gives
 * the final consonant).  A last digit is read the Sino-Korean way; a
 * Latin letter, another script or an empty value keeps the form as
 * written, since the reading is not clear.  The header
 * "X-Mailmerge-Particles: off" turns this off; the parser consumes it,
 * so it is never a header of the template.
 *
 * Choices: CRLF line ends become LF (message.c makes the wire form); a
 * line of blanks ends the header block like an empty one; a template
 * that ends inside its header block has an empty body; each fragment
 * starts with {{ }} as delimiters; the standalone-line rule applies in
 * the body only, since a header value is one line; tag names may hold
 * inner spaces, as Excel column names do.  Columns are counted in code
 * points, as an editor shows them.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <sys/stat.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <pcre2.h>

#include "buf.h"
#include "err.h"
#include "html.h"
#include "i18n.h"
#include "nitems.h"
#include "template.h"
#include "utf8.h"
#include "xalloc.h"

#define TEMPLATE_FILE_MAX	(1024 * 1024)	/* bytes in a template */
#define DELIM_MAX	16	/* bytes in one delimiter */
#define DEPTH_MAX	32	/* sections open at once */
#define FOLDS_MAX	64	/* lines in one folded header */
#define QUOTE_MAX	48	/* bytes of template text quoted in an error */
#define NAME_CP_MAX	64	/* code points compared for "did you mean" */
#define PATTERN_MAX	512	/* bytes in the tag pattern */
#define GROUPS		7	/* the pattern's capture groups, and group 0 */
#define PARTICLES_HEADER "X-Mailmerge-Particles"	/* the on/off switch */
#define HANGUL_FIRST	0xAC00	/* 가: Unicode §3.12 SBase */
#define HANGUL_LAST	0xD7A3	/* 힣 */
#define HANGUL_FINALS	28	/* TCount: no final, then 27 consonants */
#define FINAL_RIEUL	8	/* the final index of ㄹ */

enum op_kind {
	OP_TEXT,	/* append arena[off, off + len) */
	OP_VALUE,	/* append column col */
	OP_PARTICLE,	/* append pt's form for column col's last syllable */
	OP_SECTION	/* enter when (column col is non-empty) != flag */
};

/* A Korean particle pair, as templates write it. */
struct particle {
	const char	*written;	/* both forms, e.g. "(이)가" */
	const char	*cons;		/* after a final consonant: "이" */
	const char	*vowel;		/* after none: "가" */
	bool		 rieul_vowel;	/* a final ㄹ counts as none: (으)로 */
};

/*
 * The particle forms a template may write, and the other order for the
 * four pairs that are also written that way.  No entry is a prefix of another.
 */
static const struct particle particles[] = {
	{ "(은)는", "은", "는", false },
	{ "은(는)", "은", "는", false },
	{ "(이)가", "이", "가", false },
	{ "이(가)", "이", "가", false },
	{ "(을)를", "을", "를", false },
	{ "을(를)", "을", "를", false },
	{ "(과)와", "과", "와", false },
	{ "과(와)", "과", "와", false },
	{ "(으)로", "으로", "로", true },
	{ "(이)여", "이여", "여", false },
	{ "(아)야", "아", "야", false },
};

/* How a value ends, for choosing a particle. */
enum coda {
	CODA_UNKNOWN,	/* empty, Latin, other scripts: keep the written form */
	CODA_NONE,	/* no final consonant: 가 */
	CODA_RIEUL,	/* final ㄹ: 이, but 로 */
	CODA_OTHER	/* another final consonant: 이, 으로 */
};

/* Sino-Korean readings of a last digit: 영 일 이 삼 사 오 육 칠 팔 구. */
static const enum coda digit_coda[10] = {
	CODA_OTHER, CODA_RIEUL, CODA_NONE, CODA_OTHER, CODA_NONE,
	CODA_NONE, CODA_OTHER, CODA_RIEUL, CODA_RIEUL, CODA_NONE
};

struct op {
	enum op_kind	kind;
	bool		flag;	/* VALUE: escape in HTML; SECTION: inverted */
	size_t		off;	/* TEXT, PARTICLE: arena offset (as written) */
	size_t		len;	/* TEXT, PARTICLE: bytes */
	size_t		next;	/* SECTION: the op after its closing tag */
	size_t		tag;	/* VALUE, PARTICLE, SECTION: index in tags[] */
	size_t		col;	/* VALUE, PARTICLE, SECTION: column, by bind */
	const struct particle *pt;	/* PARTICLE: the pair */
};

/* A name used by a tag, in file order, for bind and its errors. */
struct tag {
	size_t		off, len;	/* the name, in the arena */
	size_t		line, col;	/* where the tag starts in the file */
	unsigned	use;		/* the TEMPLATE_USE_* bit it implies */
	size_t		column;		/* set by bind */
};

struct header {
	size_t		name;		/* arena offset, NUL-terminated */
	size_t		line;		/* in the file */
	size_t		first, end;	/* its ops */
};

struct template {
	char		*path;
	struct buf	 arena;		/* names and fragment text */
	struct op	*ops;
	size_t		 nops, opsize;
	struct tag	*tags;
	size_t		 ntags, tagsize;
	struct header	 hdr[TEMPLATE_HEADERS_MAX];
	size_t		 nhdr;
	size_t		 body_first, body_end;
	unsigned	*use;		/* per column, after bind */
	size_t		 ncols;
	bool		 bound;
	bool		 particles;	/* X-Mailmerge-Particles: on */
};

/* Where a run of fragment text starts in the file. */
struct seg {
	size_t	off;		/* in the fragment */
	size_t	line, col;
};

/* Mustache text to compile: an arena slice and its map to the file. */
struct frag {
	size_t		base, len;
	struct seg	seg[FOLDS_MAX];
	size_t		nseg;
	bool		body;	/* apply the standalone-line rule */
};

enum tok_kind {
	TOK_VALUE, TOK_RAW, TOK_SECTION, TOK_INVERTED, TOK_CLOSE,
	TOK_COMMENT, TOK_DELIM, TOK_PARTIAL
};

struct tok {
	enum tok_kind	kind;
	size_t		ts, te;		/* the whole tag */
	size_t		no, nl;		/* its name or content, trimmed */
};

struct open_sec {
	size_t	op;		/* its OP_SECTION */
	size_t	ts, te;		/* its tag, for messages */
};

/* Compiling one fragment. */
struct cc {
	struct template	*t;
	const struct frag *f;
	const char	*s;		/* the fragment's text */
	char		 open[DELIM_MAX + 1];
	char		 close[DELIM_MAX + 1];
	pcre2_code	*re;
	pcre2_match_data *md;
	struct open_sec	 stack[DEPTH_MAX];
	size_t		 depth;
	size_t		 at;		/* start of the text not yet emitted */
	size_t		 cur_seg, cur_off, cur_line, cur_col;	/* frag_pos */
	struct err	*e;
};

/* Parsing the file: the header block, then the body. */
struct ps {
	struct template	*t;
	const char	*src;		/* the text after any BOM */
	size_t		 n;
	size_t		 pos;		/* start of the current line */
	size_t		 line;		/* its number */
	struct frag	 f;		/* the header value being gathered */
	bool		 gathering;
	bool		 switching;	/* it is X-Mailmerge-Particles */
	bool		 switch_seen;
	struct err	*e;
};

/* A row being rendered. */
struct row {
	const char *const *vals;
	const size_t	*lens;
	enum template_escape esc;
	bool		 header;	/* refuse CR, LF, NUL in values */
	struct buf	*out;
};

static bool
blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Code points in s[0, n). */
static size_t
cp_count(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			k++;
	return k;
}

/* Move a line:col position past ch. */
static void
advance(char ch, size_t *line, size_t *col)
{
	if (ch == '\n') {
		(*line)++;
		*col = 1;
	} else if (((unsigned char)ch & 0xC0) != 0x80)
		(*col)++;
}

/* How much of s[0, n) to quote in a message: whole characters. */
static int
quote_len(const char *s, size_t n)
{
	return (int)(n > QUOTE_MAX ? utf8_cut(s, QUOTE_MAX) : n);
}

static int
vfail(struct err *e, const char *path, size_t line, size_t col,
    const char *fmt, va_list ap)
{
	err_setv(e, E_INPUT, NULL, fmt, ap);
	err_where(e, "%s:%zu:%zu", path, line, col);
	return -1;
}

/* E_INPUT at byte off of the file text. */
static int __attribute__((format(printf, 3, 4)))
fail_src(const struct ps *p, size_t off, const char *fmt, ...)
{
	size_t i, line = 1, col = 1;
	va_list ap;
	int rc;

	for (i = 0; i < off; i++)
		advance(p->src[i], &line, &col);
	va_start(ap, fmt);
	rc = vfail(p->e, p->t->path, line, col, fmt, ap);
	va_end(ap);
	return rc;
}

/* E_INPUT at line:col of the file. */
static int __attribute__((format(printf, 4, 5)))
fail_line(const struct ps *p, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(p->e, p->t->path, line, col, fmt, ap);
	va_end(ap);
	return rc;
}

/* Map offset off in the fragment to its line:col in the file. */
static void
frag_pos(struct cc *c, size_t off, size_t *line, size_t *col)
{
	const struct frag *f = c->f;
	size_t k = 0;

	while (k + 1 < f->nseg && f->seg[k + 1].off <= off)
		k++;
	if (k != c->cur_seg || c->cur_off > off) {
		c->cur_seg = k;
		c->cur_off = f->seg[k].off;
		c->cur_line = f->seg[k].line;
		c->cur_col = f->seg[k].col;
	}
	for (; c->cur_off < off; c->cur_off++)
		advance(c->s[c->cur_off], &c->cur_line, &c->cur_col);
	*line = c->cur_line;
	*col = c->cur_col;
}

/* E_INPUT at offset off of the fragment. */
static int __attribute__((format(printf, 3, 4)))
fail_at(struct cc *c, size_t off, const char *fmt, ...)
{
	size_t line, col;
	va_list ap;
	int rc;

	frag_pos(c, off, &line, &col);
	va_start(ap, fmt);
	rc = vfail(c->e, c->t->path, line, col, fmt, ap);
	va_end(ap);
	return rc;
}

static struct op *
op_new(struct template *t, enum op_kind kind)
{
	struct op *o;

	if (t->nops == t->opsize) {
		t->opsize = t->opsize ? t->opsize * 2 : 32;
		t->ops = xreallocarray(t->ops, t->opsize, sizeof(*t->ops));
	}
	o = &t->ops[t->nops++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	return o;
}

/* Record the name of tag k; returns its index in tags[]. */
static size_t
tag_new(struct cc *c, const struct tok *k, unsigned use)
{
	struct template *t = c->t;
	struct tag *g;

	if (t->ntags == t->tagsize) {
		t->tagsize = t->tagsize ? t->tagsize * 2 : 32;
		t->tags = xreallocarray(t->tags, t->tagsize, sizeof(*t->tags));
	}
	g = &t->tags[t->ntags];
	g->off = c->f->base + k->no;
	g->len = k->nl;
	g->use = use;
	g->column = 0;
	frag_pos(c, k->ts, &g->line, &g->col);
	return t->ntags++;
}

/* Escape delimiter d for a pattern into p; returns the length. */
static size_t
re_escape(char *p, const char *d)
{
	size_t n = 0;
	unsigned char ch;

	for (; *d != '\0'; d++) {
		ch = (unsigned char)*d;
		if (ch < 0x80 && !((ch >= '0' && ch <= '9') ||
		    (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')))
			p[n++] = '\\';
		p[n++] = *d;
	}
	p[n] = '\0';
	return n;
}

/*
 * The tag pattern for the current delimiters.  Groups: 1 triple
 * mustache, 2-3 comment (may span lines), 4 set-delimiter, 5-6 sigil
 * and name.  The alternatives are optional so that an opening
 * delimiter with no close still matches, as an unclosed tag.
 */
static int
re_build(struct cc *c)
{
	char o[2 * DELIM_MAX + 1], k[2 * DELIM_MAX + 1], pat[PATTERN_MAX];
	PCRE2_SIZE erroff;
	int errcode;

	re_escape(o, c->open);
	re_escape(k, c->close);
	snprintf(pat, sizeof(pat), "%s[ \\t]*(?:\\{([^\\n]*?)\\}%s"
	    "|(!)((?s:.*?))%s|=([^\\n]*?)=%s|([#^/&>]?)([^\\n]*?)%s)?",
	    o, k, k, k, k);
	pcre2_code_free(c->re);
	c->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF, &errcode, &erroff, NULL);
	if (c->re == NULL) {
		err_set(c->e, E_INTERNAL, c->t->path,
		    "cannot compile the tag pattern (PCRE2 error %d)", errcode);
		return -1;
	}
	/* JIT is a speed-up only; the interpreter gives the same answer. */
	(void)pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE);
	return 0;
}

static enum tok_kind
sigil_kind(char ch)
{
	switch (ch) {
	case '&':
		return TOK_RAW;
	case '#':
		return TOK_SECTION;
	case '^':
		return TOK_INVERTED;
	case '/':
		return TOK_CLOSE;
	case '>':
		return TOK_PARTIAL;
	default:
		return TOK_VALUE;
	}
}

/* Classify a match by its groups; false for an unclosed tag. */
static bool
tok_kind(struct tok *k, const PCRE2_SIZE *ov, int rc, const char *s)
{
	int g;

#define SET(n)	((n) < rc && ov[2 * (n)] != PCRE2_UNSET)
	if (SET(1)) {
		k->kind = TOK_RAW, g = 1;
	} else if (SET(2)) {
		k->kind = TOK_COMMENT, g = 3;
	} else if (SET(4)) {
		k->kind = TOK_DELIM, g = 4;
	} else if (SET(5)) {
		k->kind = ov[10] < ov[11] ? sigil_kind(s[ov[10]]) : TOK_VALUE;
		g = 6;
	} else
		return false;
#undef SET
	k->no = ov[2 * g];
	k->nl = ov[2 * g + 1] - k->no;
	while (k->nl > 0 && blank(s[k->no]))
		k->no++, k->nl--;
	while (k->nl > 0 && blank(s[k->no + k->nl - 1]))
		k->nl--;
	return true;
}

/* Whether s[0, n) contains d. */
static bool
contains(const char *s, size_t n, const char *d)
{
	size_t dn = strlen(d), i;

	for (i = 0; i + dn <= n; i++)
		if (memcmp(s + i, d, dn) == 0)
			return true;
	return false;
}

/* Refuse tags that cannot name a column. */
static int
tok_check(struct cc *c, const struct tok *k)
{
	const char *name = c->s + k->no, *tag = c->s + k->ts;
	int tl = quote_len(tag, k->te - k->ts);

	if (k->kind == TOK_COMMENT || k->kind == TOK_DELIM)
		return 0;
	if (k->kind == TOK_PARTIAL)
		return fail_at(c, k->ts, "partials like '%.*s' are not "
		    "supported; put that text into this template", tl, tag);
	if (k->nl == 0)
		return fail_at(c, k->ts, "empty tag '%.*s': expected a column "
		    "name between '%s' and '%s'", tl, tag, c->open, c->close);
	if (name[0] == '=')
		return fail_at(c, k->ts, "malformed set-delimiter tag '%.*s': "
		    "expected '%s=<open> <close>=%s'", tl, tag, c->open,
		    c->close);
	if (name[0] == '{')
		return fail_at(c, k->ts, "unclosed triple mustache '%.*s': "
		    "expected '}%s' after the name", tl, tag, c->close);
	if (contains(name, k->nl, c->open))
		return fail_at(c, k->ts, "'%s' inside the tag '%.*s': is a "
		    "'%s' missing before it?", c->open, tl, tag, c->close);
	return 0;
}

/* Find the next tag from c->at; 1 found, 0 none, -1 error. */
static int
tok_next(struct cc *c, struct tok *k)
{
	const PCRE2_SIZE *ov;
	const char *nl;
	int rc;

	rc = pcre2_match(c->re, (PCRE2_SPTR)c->s, c->f->len, c->at,
	    PCRE2_NO_UTF_CHECK, c->md, NULL);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		err_set(c->e, E_INTERNAL, c->t->path,
		    "matching tags failed (PCRE2 error %d)", rc);
		return -1;
	}
	ov = pcre2_get_ovector_pointer(c->md);
	k->ts = ov[0];
	k->te = ov[1];
	if (!tok_kind(k, ov, rc, c->s)) {
		nl = memchr(c->s + k->ts, '\n', c->f->len - k->ts);
		k->te = nl ? (size_t)(nl - c->s) : c->f->len;
		return fail_at(c, k->ts, "unclosed tag '%.*s': expected '%s' "
		    "on the same line", quote_len(c->s + k->ts,
		    k->te - k->ts), c->s + k->ts, c->close);
	}
	return tok_check(c, k) == -1 ? -1 : 1;
}

/*
 * The standalone-line rule (Mustache spec): a section, inverted,
 * closing, comment or set-delimiter tag alone on its line, but for
 * blanks, takes the whole line with it, its line end included.
 */
static void
standalone(const struct cc *c, const struct tok *k, size_t *end,
    size_t *next)
{
	const char *s = c->s;
	size_t i = k->ts, j = k->te;

	while (i > c->at && blank(s[i - 1]))
		i--;
	if (i > 0 && s[i - 1] != '\n')
		return;
	while (j < c->f->len && blank(s[j]))
		j++;
	if (j < c->f->len && s[j] != '\n')
		return;
	*end = i;
	*next = j < c->f->len ? j + 1 : j;
}

static void
emit_text(struct cc *c, size_t from, size_t to)
{
	struct op *o;

	if (to <= from)
		return;
	o = op_new(c->t, OP_TEXT);
	o->off = c->f->base + from;
	o->len = to - from;
}

/*
 * A particle pair written right after the value tag of tags[tag], with
 * nothing between them, becomes a PARTICLE op on the same column.
 */
static void
emit_particle(struct cc *c, size_t tag)
{
	const struct particle *pt;
	struct op *o;
	size_t i, n;

	for (i = 0; i < nitems(particles); i++) {
		pt = &particles[i];
		n = strlen(pt->written);
		if (c->at + n > c->f->len ||
		    memcmp(c->s + c->at, pt->written, n) != 0)
			continue;
		o = op_new(c->t, OP_PARTICLE);
		o->off = c->f->base + c->at;
		o->len = n;
		o->tag = tag;
		o->pt = pt;
		c->at += n;
		return;
	}
}

static int
emit_value(struct cc *c, const struct tok *k)
{
	size_t tag = tag_new(c, k, c->f->body ? TEMPLATE_USE_TEXT :
	    TEMPLATE_USE_HEADER);
	struct op *o = op_new(c->t, OP_VALUE);

	o->flag = k->kind == TOK_VALUE;
	o->tag = tag;
	emit_particle(c, tag);
	return 0;
}

static int
open_section(struct cc *c, const struct tok *k)
{
	struct open_sec *os;
	struct op *o;
	size_t tag;

	if (c->depth == DEPTH_MAX)
		return fail_at(c, k->ts, "sections nest more than %d deep; "
		    "flatten the template", DEPTH_MAX);
	tag = tag_new(c, k, TEMPLATE_USE_SECTION);
	o = op_new(c->t, OP_SECTION);
	o->flag = k->kind == TOK_INVERTED;
	o->tag = tag;
	os = &c->stack[c->depth++];
	os->op = c->t->nops - 1;
	os->ts = k->ts;
	os->te = k->te;
	return 0;
}

static int
close_section(struct cc *c, const struct tok *k)
{
	const char *tag = c->s + k->ts, *open, *name;
	const struct open_sec *os;
	const struct tag *g;

	if (c->depth == 0)
		return fail_at(c, k->ts, "'%.*s' closes no section: no "
		    "'%s#%.*s%s' is open before it", quote_len(tag, k->te -
		    k->ts), tag, c->open, quote_len(c->s + k->no, k->nl),
		    c->s + k->no, c->close);
	os = &c->stack[c->depth - 1];
	g = &c->t->tags[c->t->ops[os->op].tag];
	name = c->t->arena.data + g->off;
	if (g->len != k->nl || memcmp(name, c->s + k->no, k->nl) != 0) {
		open = c->s + os->ts;
		return fail_at(c, k->ts, "'%.*s' closes '%.*s' opened at "
		    "%zu:%zu; expected '%s/%.*s%s'", quote_len(tag, k->te -
		    k->ts), tag, quote_len(open, os->te - os->ts), open,
		    g->line, g->col, c->open, quote_len(name, g->len), name,
		    c->close);
	}
	c->t->ops[os->op].next = c->t->nops;
	c->depth--;
	return 0;
}

/* {{=<open> <close>=}}: two words without blanks or '='. */
static int
set_delims(struct cc *c, const struct tok *k)
{
	const char *s = c->s + k->no;
	size_t a = 0, b, n = k->nl;

	while (a < n && !blank(s[a]) && s[a] != '=')
		a++;
	b = a;
	while (b < n && blank(s[b]))
		b++;
	if (a == 0 || b == a || b == n || a > DELIM_MAX || n - b > DELIM_MAX ||
	    memchr(s + b, ' ', n - b) || memchr(s + b, '\t', n - b) ||
	    memchr(s + b, '=', n - b))
		return fail_at(c, k->ts, "malformed set-delimiter tag '%.*s': "
		    "expected two delimiters of at most %d bytes, without "
		    "blanks or '=', like '%s=<%% %%>=%s'", quote_len(c->s +
		    k->ts, k->te - k->ts), c->s + k->ts, DELIM_MAX, c->open,
		    c->close);
	memcpy(c->open, s, a);
	c->open[a] = '\0';
	memcpy(c->close, s + b, n - b);
	c->close[n - b] = '\0';
	return re_build(c);
}

static bool
standalone_kind(enum tok_kind kind)
{
	return kind == TOK_SECTION || kind == TOK_INVERTED ||
	    kind == TOK_CLOSE || kind == TOK_COMMENT || kind == TOK_DELIM;
}

static int
tok_take(struct cc *c, const struct tok *k)
{
	size_t end = k->ts, next = k->te;

	if (c->f->body && standalone_kind(k->kind))
		standalone(c, k, &end, &next);
	emit_text(c, c->at, end);
	c->at = next;
	switch (k->kind) {
	case TOK_VALUE:
	case TOK_RAW:
		return emit_value(c, k);
	case TOK_SECTION:
	case TOK_INVERTED:
		return open_section(c, k);
	case TOK_CLOSE:
		return close_section(c, k);
	case TOK_DELIM:
		return set_delims(c, k);
	case TOK_COMMENT:
	case TOK_PARTIAL:
		break;
	}
	return 0;
}

static int
frag_tags(struct cc *c)
{
	const struct open_sec *os;
	const struct tag *g;
	const char *name;
	struct tok k;
	int rc;

	for (;;) {
		rc = tok_next(c, &k);
		if (rc != 1)
			break;
		if (tok_take(c, &k) == -1)
			return -1;
	}
	if (rc == -1)
		return -1;
	emit_text(c, c->at, c->f->len);
	if (c->depth == 0)
		return 0;
	os = &c->stack[c->depth - 1];
	g = &c->t->tags[c->t->ops[os->op].tag];
	name = c->t->arena.data + g->off;
	return fail_at(c, os->ts, "'%.*s' is never closed: add '%s/%.*s%s' "
	    "after the text it wraps", quote_len(c->s + os->ts, os->te -
	    os->ts), c->s + os->ts, c->open, quote_len(name, g->len), name,
	    c->close);
}

/* Compile fragment f into ops appended to t->ops. */
static int
frag_compile(struct template *t, const struct frag *f, struct err *e)
{
	struct cc c;
	int rc;

	if (f->len == 0)
		return 0;
	memset(&c, 0, sizeof(c));
	c.t = t;
	c.f = f;
	c.s = t->arena.data + f->base;
	/*
	 * PCRE2's JIT reads the subject in whole words, past its end:
	 * define the arena's slack so memory checkers see no garbage.
	 */
	memset(t->arena.data + t->arena.len, 0, t->arena.size - t->arena.len);
	c.cur_off = SIZE_MAX;
	c.e = e;
	strcpy(c.open, "{{");
	strcpy(c.close, "}}");
	c.md = pcre2_match_data_create(GROUPS, NULL);
	if (c.md == NULL) {
		err_set(e, E_OS, t->path, "out of memory");
		return -1;
	}
	rc = re_build(&c);
	if (rc == 0)
		rc = frag_tags(&c);
	pcre2_code_free(c.re);
	pcre2_match_data_free(c.md);
	return rc;
}

/* Arena appends cannot pass the cap set from the text's size. */
static void
arena_add(struct template *t, const char *p, size_t n)
{
	int rc = buf_add(&t->arena, p, n);

	(void)rc;
	assert(rc == 0);
}

/*
 * Append the text of one header line, s[from, to) with its blanks
 * trimmed, to the value being gathered; a folded line joins the value
 * with one space (RFC 5322 §2.2.3 unfolding).
 */
static int
value_add(struct ps *p, size_t from, size_t to)
{
	struct frag *f = &p->f;
	struct seg *sg;
	size_t i;

	while (from < to && blank(p->src[from]))
		from++;
	while (to > from && blank(p->src[to - 1]))
		to--;
	for (i = from; i < to; i++)
		if ((unsigned char)p->src[i] < 0x20 && p->src[i] != '\t')
			return fail_src(p, i, "control character 0x%02X in a "
			    "header; remove it", (unsigned char)p->src[i]);
	if (f->nseg == FOLDS_MAX)
		return fail_src(p, p->pos, "a header folded over more than "
		    "%d lines; shorten it", FOLDS_MAX);
	if (f->len > 0 && from < to) {
		arena_add(p->t, " ", 1);
		f->len++;
	}
	sg = &f->seg[f->nseg++];
	sg->off = f->len;
	sg->line = p->line;
	sg->col = 1 + cp_count(p->src + p->pos, from - p->pos);
	arena_add(p->t, p->src + from, to - from);
	f->len += to - from;
	return 0;
}

static bool
name_char(char ch)
{
	return (unsigned char)ch > ' ' && (unsigned char)ch < 0x7F;
}

/*
 * Explain why the line at p->pos fails: n is the length of the name
 * before its colon, or 0 if the line has no colon.
 */
static int
not_header(const struct ps *p, size_t n)
{
	const char *s = p->src + p->pos;
	size_t i;

	for (i = 0; i < n && name_char(s[i]); i++)
		continue;
	if (i < n && blank(s[i]) && strspn(s + i, " \t") == n - i)
		return fail_src(p, p->pos + i, "blank before ':' in the header "
		    "name; write '%.*s:'", quote_len(s, i), s);
	if (i < n && (unsigned char)s[i] >= 0x80 && !memchr(s, ' ', n))
		return fail_src(p, p->pos + i, "header name '%.*s' is not "
		    "ASCII (RFC 5322 §3.6.8); use the field's English name, "
		    "like 'Subject'", quote_len(s, n), s);
	if (p->t->nhdr == 0 && !p->gathering)
		return fail_src(p, p->pos, "expected a header line like "
		    "'Subject: ...': a template starts with its headers "
		    "(From:, To:, Subject:), then a blank line, then the body");
	return fail_src(p, p->pos, "expected a header line ('Name: value') or "
	    "the blank line that ends the headers; put a blank line between "
	    "the headers and the body");
}

/*
 * The X-Mailmerge-Particles value gathered in p->f: "on" or "off", in
 * any case.  An error points at the value's first character.
 */
static int
switch_set(struct ps *p)
{
	const struct frag *f = &p->f;
	const char *v = p->t->arena.data + f->base;
	size_t k = 0;

	p->switching = false;
	/* A value folded onto a later line starts in the last empty seg. */
	while (k + 1 < f->nseg && f->seg[k + 1].off == 0)
		k++;
	if (f->len == 2 && strncasecmp(v, "on", 2) == 0)
		p->t->particles = true;
	else if (f->len == 3 && strncasecmp(v, "off", 3) == 0)
		p->t->particles = false;
	else
		return fail_line(p, f->seg[k].line, f->seg[k].col, "%s: "
		    "expected 'on' or 'off', not '%.*s'", PARTICLES_HEADER,
		    quote_len(v, f->len), v);
	return 0;
}

/* Compile the header gathered so far, if any. */
static int
hdr_flush(struct ps *p)
{
	struct header *h;

	if (!p->gathering)
		return 0;
	p->gathering = false;
	if (p->switching)
		return switch_set(p);
	h = &p->t->hdr[p->t->nhdr];
	h->first = p->t->nops;
	if (frag_compile(p->t, &p->f, p->e) == -1)
		return -1;
	h->end = p->t->nops;
	p->t->nhdr++;
	return 0;
}

/* Start gathering a header value into a fresh fragment. */
static void
gather(struct ps *p)
{
	memset(&p->f, 0, sizeof(p->f));
	p->f.base = p->t->arena.len;
	p->gathering = true;
}

/*
 * The X-Mailmerge-Particles line, its name n bytes long: gathered like
 * a header (it may fold), then consumed by switch_set(), never sent.
 */
static int
switch_start(struct ps *p, size_t n, size_t end)
{
	if (p->switch_seen)
		return fail_src(p, p->pos, "%s is given twice; keep one",
		    PARTICLES_HEADER);
	p->switch_seen = true;
	p->switching = true;
	gather(p);
	return value_add(p, p->pos + n + 1, end);
}

/* A "Name: value" line in [p->pos, end). */
static int
hdr_start(struct ps *p, size_t end)
{
	const char *s = p->src + p->pos, *colon;
	struct header *h;
	size_t i, n;

	colon = memchr(s, ':', end - p->pos);
	if (colon == NULL)
		return not_header(p, 0);
	n = (size_t)(colon - s);
	if (n == 0)
		return fail_src(p, p->pos, "empty header name before ':'; "
		    "write 'Name: value'");
	for (i = 0; i < n; i++)
		if (!name_char(s[i]))
			return not_header(p, n);
	if (contains(s, n, "{{"))
		return fail_src(p, p->pos, "header name '%.*s' holds a tag; "
		    "only header values can use tags", quote_len(s, n), s);
	if (hdr_flush(p) == -1)
		return -1;
	if (n == strlen(PARTICLES_HEADER) &&
	    strncasecmp(s, PARTICLES_HEADER, n) == 0)
		return switch_start(p, n, end);
	if (p->t->nhdr == TEMPLATE_HEADERS_MAX)
		return fail_src(p, p->pos, "more than %d headers",
		    TEMPLATE_HEADERS_MAX);
	h = &p->t->hdr[p->t->nhdr];
	h->name = p->t->arena.len;
	h->line = p->line;
	arena_add(p->t, s, n);
	arena_add(p->t, "", 1);
	gather(p);
	return value_add(p, p->pos + n + 1, end);
}

/* A line starting with a blank continues the header before it. */
static int
hdr_fold(struct ps *p, size_t end)
{
	if (!p->gathering)
		return fail_src(p, p->pos, "a line starting with a blank "
		    "continues a header, but no header comes before it; "
		    "remove the leading blanks");
	return value_add(p, p->pos, end);
}

/* The header block, up to and including the line that ends it. */
static int
headers_parse(struct ps *p)
{
	const char *nl;
	size_t end, next, i;
	bool last;
	int rc;

	while (p->pos < p->n) {
		nl = memchr(p->src + p->pos, '\n', p->n - p->pos);
		end = nl ? (size_t)(nl - p->src) : p->n;
		next = nl ? end + 1 : end;
		if (end > p->pos && p->src[end - 1] == '\r')
			end--;
		for (i = p->pos; i < end && blank(p->src[i]); i++)
			continue;
		last = i == end;
		rc = 0;
		if (!last && i > p->pos)
			rc = hdr_fold(p, end);
		else if (!last)
			rc = hdr_start(p, end);
		if (rc == -1)
			return -1;
		p->pos = next;
		p->line++;
		if (last)
			break;
	}
	return hdr_flush(p);
}

/* The rest of the file, with CRLF made LF. */
static int
body_parse(struct ps *p)
{
	struct frag *f = &p->f;
	const char *cr;
	size_t i = p->pos, run;

	memset(f, 0, sizeof(*f));
	f->base = p->t->arena.len;
	f->nseg = 1;
	f->seg[0].line = p->line;
	f->seg[0].col = 1;
	f->body = true;
	while (i < p->n) {
		cr = memchr(p->src + i, '\r', p->n - i);
		run = cr ? (size_t)(cr - p->src) - i : p->n - i;
		arena_add(p->t, p->src + i, run);
		i += run;
		if (i < p->n && (i + 1 == p->n || p->src[i + 1] != '\n'))
			arena_add(p->t, "\r", 1);
		if (i < p->n)
			i++;
	}
	f->len = p->t->arena.len - f->base;
	p->t->body_first = p->t->nops;
	if (frag_compile(p->t, f, p->e) == -1)
		return -1;
	p->t->body_end = p->t->nops;
	return 0;
}

/* Refuse what is not UTF-8 text, naming the first bad byte. */
static int
text_check(const struct ps *p)
{
	const unsigned char *s = (const unsigned char *)p->src;
	size_t i, len;

	for (i = 0; i < p->n; i += len) {
		if (s[i] == '\0')
			return fail_src(p, i, "NUL byte: the template must be "
			    "UTF-8 text; save it as UTF-8 (is it UTF-16?)");
		len = utf8_len(s + i, p->n - i);
		if (len == 0)
			return fail_src(p, i, "invalid UTF-8 (byte 0x%02X); "
			    "save the template as UTF-8, not EUC-KR/CP949",
			    s[i]);
	}
	return 0;
}

/* X-Mailmerge-Particles: off: each particle renders as written. */
static void
particles_off(struct template *t)
{
	size_t i;

	for (i = 0; i < t->nops; i++)
		if (t->ops[i].kind == OP_PARTICLE)
			t->ops[i].kind = OP_TEXT;
}

static int
parse(struct template *t, const char *text, size_t len, struct err *e)
{
	struct ps p;

	memset(&p, 0, sizeof(p));
	p.t = t;
	p.src = text;
	p.n = len;
	p.line = 1;
	p.e = e;
	if (len >= 2 && ((text[0] == '\xFF' && text[1] == '\xFE') ||
	    (text[0] == '\xFE' && text[1] == '\xFF')))
		return fail_src(&p, 0, "the template is UTF-16 text; save it "
		    "as UTF-8 (Notepad: Save As, Encoding: UTF-8)");
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		p.src += 3;
		p.n -= 3;
	}
	if (p.n == 0)
		return fail_src(&p, 0, "the template is empty; expected "
		    "headers, a blank line and the body");
	if (text_check(&p) == -1 || headers_parse(&p) == -1 ||
	    body_parse(&p) == -1)
		return -1;
	if (!t->particles)
		particles_off(t);
	return 0;
}

int
template_parse(struct template **tp, const char *name, const char *text,
    size_t len, struct err *e)
{
	struct template *t;

	*tp = NULL;
	if (len > TEMPLATE_FILE_MAX) {
		err_set(e, E_INPUT, name, "the template is larger than %d "
		    "bytes; is it the right file?", TEMPLATE_FILE_MAX);
		return -1;
	}
	t = xcalloc(1, sizeof(*t));
	t->path = xstrdup(name);
	t->particles = true;
	/* Names with their NULs, values and body fit in twice the text. */
	buf_init(&t->arena, 2 * len + 2 * TEMPLATE_HEADERS_MAX + 16);
	if (parse(t, text, len, e) == -1) {
		template_free(t);
		return -1;
	}
	*tp = t;
	return 0;
}

/* Read path into b (capped at TEMPLATE_FILE_MAX). */
static int
slurp(struct buf *b, const char *path, struct err *e)
{
	char chunk[8192];
	struct stat st;
	FILE *fp;
	size_t n;
	int rc = 0, fd;

	/* O_NONBLOCK: a FIFO must be refused, not wait for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		err_set(e, E_NOINPUT, path, "cannot open the template: %s",
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, 0) == -1 || (fp = fdopen(fd, "rb")) == NULL) {
		close(fd);
		err_set(e, E_NOINPUT, path, "the template is not a regular "
		    "file (a folder, FIFO or device): give a text file");
		return -1;
	}
	do {
		n = fread(chunk, 1, sizeof(chunk), fp);
		if (buf_add(b, chunk, n) == -1) {
			err_set(e, E_INPUT, path, "the template is larger than "
			    "%d bytes; is it the right file?",
			    TEMPLATE_FILE_MAX);
			rc = -1;
		}
	} while (rc == 0 && n == sizeof(chunk));
	if (rc == 0 && ferror(fp)) {
		err_set(e, E_NOINPUT, path, "cannot read the template: %s",
		    strerror(errno));
		rc = -1;
	}
	fclose(fp);
	return rc;
}

int
template_load(struct template **tp, const char *path, struct err *e)
{
	struct buf b;
	int rc;

	*tp = NULL;
	buf_init(&b, TEMPLATE_FILE_MAX);
	rc = slurp(&b, path, e);
	if (rc == 0)
		rc = template_parse(tp, path, b.data, b.len, e);
	buf_fini(&b);
	return rc;
}

void
template_free(struct template *t)
{
	if (t == NULL)
		return;
	free(t->use);
	free(t->tags);
	free(t->ops);
	buf_fini(&t->arena);
	free(t->path);
	free(t);
}

const char *
template_path(const struct template *t)
{
	return t->path;
}

size_t
template_nheaders(const struct template *t)
{
	return t->nhdr;
}

const char *
template_header_name(const struct template *t, size_t i)
{
	return i < t->nhdr ? t->arena.data + t->hdr[i].name : NULL;
}

size_t
template_header_line(const struct template *t, size_t i)
{
	return i < t->nhdr ? t->hdr[i].line : 0;
}

static bool
ignorable(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '_' || ch == '-';
}

static char
ascii_lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Whether a and b match but for ASCII case, blanks, '_' and '-'. */
static bool
loose_eq(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < na && ignorable(a[i]))
			i++;
		while (j < nb && ignorable(b[j]))
			j++;
		if (i == na || j == nb)
			return i == na && j == nb;
		if (ascii_lower(a[i]) != ascii_lower(b[j]))
			return false;
		i++, j++;
	}
}

/* Decode up to NAME_CP_MAX code points of s[0, n) into cp. */
static size_t
decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k = 0, len;

	for (; i < n && k < NAME_CP_MAX; i += len) {
		len = utf8_len(u + i, n - i);
		/* An octet that is not UTF-8 stands for itself. */
		cp[k++] = len > 0 ? utf8_decode(u + i, len) : u[i];
		if (len == 0)
			len = 1;
	}
	return k;
}

static size_t
min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/*
 * Edit distance over code points, an adjacent swap counting as one
 * edit (optimal string alignment), with three rolling rows.
 */
static size_t
distance(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t d[3][NAME_CP_MAX + 1], i, j, *r, *r1, *r2;

	for (j = 0; j <= nb; j++)
		d[0][j] = j;
	for (i = 1; i <= na; i++) {
		r = d[i % 3], r1 = d[(i + 2) % 3], r2 = d[(i + 1) % 3];
		r[0] = i;
		for (j = 1; j <= nb; j++) {
			r[j] = min3(r1[j] + 1, r[j - 1] + 1,
			    r1[j - 1] + (a[i - 1] != b[j - 1]));
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && r2[j - 2] + 1 < r[j])
				r[j] = r2[j - 2] + 1;
		}
	}
	return d[na % 3][nb];
}

/* The column a mistyped name most likely meant, or SIZE_MAX. */
static size_t
closest(const char *name, size_t len, const char *const *cols,
    size_t ncols)
{
	uint32_t a[NAME_CP_MAX], b[NAME_CP_MAX];
	size_t na, nb, j, d, best = SIZE_MAX, bestd = SIZE_MAX, longer, lim;

	for (j = 0; j < ncols; j++)
		if (loose_eq(name, len, cols[j], strlen(cols[j])))
			return j;
	na = decode(name, len, a);
	for (j = 0; j < ncols; j++) {
		nb = decode(cols[j], strlen(cols[j]), b);
		d = distance(a, na, b, nb);
		longer = na > nb ? na : nb;
		/* Close: at most max(2, len/3) edits, and not all of it. */
		lim = longer / 3 > 2 ? longer / 3 : 2;
		if (lim >= longer)
			lim = longer - 1;
		if (d <= lim && d < bestd) {
			best = j;
			bestd = d;
		}
	}
	return best;
}

/* Append ", "-separated column names to msg, cut to fit its size. */
static void
list_cols(char *msg, size_t size, const char *const *cols, size_t ncols)
{
	static const char more[] = ", \xE2\x80\xA6";	/* ", ..." */
	size_t n = strlen(msg), j, k;

	for (j = 0; j < ncols; j++) {
		k = strlen(cols[j]) + (j > 0 ? 2 : 0);
		if (n + k + sizeof(more) > size) {
			if (n + sizeof(more) <= size)
				memcpy(msg + n, more, sizeof(more));
			return;
		}
		snprintf(msg + n, size - n, "%s%s", j > 0 ? ", " : "",
		    cols[j]);
		n += k;
	}
}

static int
bind_fail(const struct template *t, const struct tag *g,
    const char *const *cols, size_t ncols, struct err *e)
{
	const char *name = t->arena.data + g->off;
	int nl = quote_len(name, g->len);
	size_t j = closest(name, g->len, cols, ncols);

	if (j != SIZE_MAX)
		err_set(e, E_INPUT, NULL, "no column '%.*s' in the roster "
		    "(did you mean '%s'?)", nl, name, cols[j]);
	else if (ncols == 0)
		err_set(e, E_INPUT, NULL, "no column '%.*s': the roster has "
		    "no columns", nl, name);
	else {
		err_set(e, E_INPUT, NULL, "no column '%.*s' in the roster; "
		    "its columns are: ", nl, name);
		list_cols(e->msg, sizeof(e->msg), cols, ncols);
	}
	err_where(e, "%s:%zu:%zu", t->path, g->line, g->col);
	return -1;
}

static size_t
find_col(const char *name, size_t len, const char *const *cols,
    size_t ncols)
{
	size_t j;

	for (j = 0; j < ncols; j++)
		if (strncmp(cols[j], name, len) == 0 && cols[j][len] == '\0')
			return j;
	return SIZE_MAX;
}

int
template_bind(struct template *t, const char *const *cols, size_t ncols,
    struct err *e)
{
	return template_bind_all(t, cols, ncols, NULL, NULL, e) == 0 ? 0 : -1;
}

size_t
template_bind_all(struct template *t, const char *const *cols, size_t ncols,
    void (*each)(void *arg, const struct err *e), void *arg, struct err *e)
{
	struct err one;
	struct tag *g;
	size_t i, bad = 0;

	free(t->use);
	t->use = xcalloc(ncols ? ncols : 1, sizeof(*t->use));
	t->ncols = ncols;
	t->bound = false;
	for (i = 0; i < t->ntags; i++) {
		g = &t->tags[i];
		g->column = find_col(t->arena.data + g->off, g->len, cols,
		    ncols);
		if (g->column == SIZE_MAX) {
			bind_fail(t, g, cols, ncols, bad == 0 ? e : &one);
			if (each != NULL)
				each(arg, bad == 0 ? e : &one);
			bad++;
			continue;
		}
		t->use[g->column] |= g->use;
	}
	if (bad > 0)
		return bad;
	for (i = 0; i < t->nops; i++)
		if (t->ops[i].kind != OP_TEXT)
			t->ops[i].col = t->tags[t->ops[i].tag].column;
	t->bound = true;
	return 0;
}

unsigned
template_use(const struct template *t, size_t col)
{
	return t->bound && col < t->ncols ? t->use[col] : 0;
}

static int
too_big(const struct template *t, const struct buf *out, struct err *e)
{
	err_set(e, E_INPUT, t->path, "the rendered text passes its limit of "
	    "%zu bytes; shorten the template or the roster's fields",
	    out->cap);
	return -1;
}

/* Refuse a header value that would end the header line (RFC 5322 §2.2). */
static int
header_check(const struct template *t, const struct op *o, const char *v,
    size_t n, struct err *e)
{
	const struct tag *g = &t->tags[o->tag];
	size_t k;

	for (k = 0; k < n; k++)
		if (v[k] == '\r' || v[k] == '\n' || v[k] == '\0')
			break;
	if (k == n)
		return 0;
	if (v[k] == '\0')
		err_set(e, E_INPUT, NULL, "the value has a NUL byte, which "
		    "cannot go in a header; remove it from the roster");
	else
		err_set(e, E_INPUT, NULL, "the value has a line break, which "
		    "would add a header line; headers take one-line values");
	err_where(e, "%.*s", (int)g->len, t->arena.data + g->off);
	return -1;
}

static int
add_html(struct buf *out, const char *v, size_t n)
{
	const char *ent;
	size_t i, from = 0;

	for (i = 0; i < n; i++) {
		ent = html_entity((unsigned char)v[i]);
		if (ent == NULL)
			continue;
		if (buf_add(out, v + from, i - from) == -1 ||
		    buf_adds(out, ent) == -1)
			return -1;
		from = i + 1;
	}
	return buf_add(out, v + from, n - from);
}

static int
put_value(const struct template *t, const struct op *o,
    const struct row *r, struct err *e)
{
	const char *v = r->vals[o->col];
	size_t n = r->lens[o->col];
	int rc;

	if (n == 0)
		return 0;
	if (r->header && header_check(t, o, v, n, e) == -1)
		return -1;
	if (r->esc == TEMPLATE_HTML && o->flag)
		rc = add_html(r->out, v, n);
	else
		rc = buf_add(r->out, v, n);
	return rc == -1 ? too_big(t, r->out, e) : 0;
}

static bool
space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/*
 * How v[0, n) ends, trailing white space aside: a Hangul syllable by its
 * final consonant (Unicode §3.12: (cp - SBase) % TCount), an ASCII digit
 * by its Sino-Korean reading, anything else unknown.  A last 0 is read
 * 영, or 십, 백, 천, 만 in a round number: a final other than ㄹ in each.
 */
static enum coda
value_coda(const char *v, size_t n)
{
	const unsigned char *u = (const unsigned char *)v;
	uint32_t cp, fin;

	while (n > 0 && space(v[n - 1]))
		n--;
	if (n == 0)
		return CODA_UNKNOWN;
	if (u[n - 1] >= '0' && u[n - 1] <= '9')
		return digit_coda[u[n - 1] - '0'];
	/* Hangul syllables are three bytes in UTF-8 (RFC 3629 §3). */
	if (n < 3 || utf8_len(u + n - 3, 3) != 3)
		return CODA_UNKNOWN;
	cp = utf8_decode(u + n - 3, 3);
	if (cp < HANGUL_FIRST || cp > HANGUL_LAST)
		return CODA_UNKNOWN;
	fin = (cp - HANGUL_FIRST) % HANGUL_FINALS;
	if (fin == 0)
		return CODA_NONE;
	return fin == FINAL_RIEUL ? CODA_RIEUL : CODA_OTHER;
}

/* The form of particle op o that fits this row's value. */
static int
put_particle(const struct template *t, const struct op *o,
    const struct row *r, struct err *e)
{
	const struct particle *pt = o->pt;
	const char *form = NULL;
	int rc;

	switch (value_coda(r->vals[o->col], r->lens[o->col])) {
	case CODA_UNKNOWN:
		break;
	case CODA_NONE:
		form = pt->vowel;
		break;
	case CODA_RIEUL:
		form = pt->rieul_vowel ? pt->vowel : pt->cons;
		break;
	case CODA_OTHER:
		form = pt->cons;
		break;
	}
	if (form != NULL)
		rc = buf_adds(r->out, form);
	else
		rc = buf_add(r->out, t->arena.data + o->off, o->len);
	return rc == -1 ? too_big(t, r->out, e) : 0;
}

/* Walk ops [i, end): the only code that runs per row. */
static int
render(const struct template *t, size_t i, size_t end, const struct row *r,
    struct err *e)
{
	const struct op *o;
	int rc = 0;

	if (!t->bound) {
		err_set(e, E_INTERNAL, t->path, "template rendered before "
		    "template_bind()");
		return -1;
	}
	while (i < end) {
		o = &t->ops[i];
		switch (o->kind) {
		case OP_SECTION:
			i = (r->lens[o->col] > 0) != o->flag ? i + 1 : o->next;
			continue;
		case OP_TEXT:
			rc = buf_add(r->out, t->arena.data + o->off, o->len);
			if (rc == -1)
				rc = too_big(t, r->out, e);
			break;
		case OP_PARTICLE:
			rc = put_particle(t, o, r, e);
			break;
		case OP_VALUE:
			rc = put_value(t, o, r, e);
			break;
		}
		if (rc == -1)
			return -1;
		i++;
	}
	return 0;
}

size_t
template_header_cols(const struct template *t, size_t i, size_t *cols,
    size_t max)
{
	const struct op *o;
	size_t k, j, n = 0;

	if (!t->bound || i >= t->nhdr)
		return 0;
	for (k = t->hdr[i].first; k < t->hdr[i].end; k++) {
		o = &t->ops[k];
		if (o->kind != OP_VALUE)
			continue;
		for (j = 0; j < n && cols[j] != o->col; j++)
			continue;
		if (j == n && n < max)
			cols[n++] = o->col;
	}
	return n;
}

int
template_render_header(const struct template *t, size_t i,
    const char *const *vals, const size_t *lens, struct buf *out,
    struct err *e)
{
	struct row r = { vals, lens, TEMPLATE_RAW, true, out };

	if (i >= t->nhdr) {
		err_set(e, E_INTERNAL, t->path, "no header %zu", i);
		return -1;
	}
	return render(t, t->hdr[i].first, t->hdr[i].end, &r, e);
}

int
template_render_body(const struct template *t, const char *const *vals,
    const size_t *lens, enum template_escape esc, struct buf *out,
    struct err *e)
{
	struct row r = { vals, lens, esc, false, out };

	return render(t, t->body_first, t->body_end, &r, e);
}
