/*
 * HTML to plain text in one pass, with no tree: a tag only changes
 * what is owed before the next text (a space, one or two line breaks,
 * a list marker), so output never ends a line with blanks and never
 * has more than one blank line in a row.  Malformed markup is read
 * leniently, as browsers do: an unclosed tag ends the input, an
 * unknown entity stays as written.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "html.h"
#include "nitems.h"

#define NAME_MAX_	16	/* octets of a tag name we look at */
#define ATTR_MAX	1024	/* octets of an href or alt kept */
#define LIST_MAX	8	/* nested lists with their own marker */

enum act { A_NONE, A_LINE, A_PARA, A_BR, A_LI, A_LIST, A_HR, A_A,
	A_IMG, A_CELL, A_PRE, A_SKIP };

struct tagdef {
	const char	*name;
	enum act	 act;
};

static const struct tagdef tags[] = {
	{ "a", A_A }, { "address", A_LINE }, { "article", A_LINE },
	{ "blockquote", A_PARA }, { "br", A_BR }, { "caption", A_LINE },
	{ "center", A_LINE }, { "dd", A_LINE }, { "div", A_LINE },
	{ "dl", A_PARA }, { "dt", A_LINE }, { "figcaption", A_LINE },
	{ "figure", A_LINE }, { "footer", A_LINE }, { "form", A_LINE },
	{ "h1", A_PARA }, { "h2", A_PARA }, { "h3", A_PARA },
	{ "h4", A_PARA }, { "h5", A_PARA }, { "h6", A_PARA },
	{ "head", A_SKIP }, { "header", A_LINE }, { "hr", A_HR },
	{ "img", A_IMG }, { "li", A_LI }, { "main", A_LINE },
	{ "nav", A_LINE }, { "noscript", A_SKIP }, { "ol", A_LIST },
	{ "p", A_PARA }, { "pre", A_PRE }, { "script", A_SKIP },
	{ "section", A_LINE }, { "style", A_SKIP }, { "table", A_PARA },
	{ "td", A_CELL }, { "template", A_SKIP }, { "th", A_CELL },
	{ "title", A_SKIP }, { "tr", A_LINE }, { "ul", A_LIST },
};

struct entity {
	const char	*name;
	uint32_t	 cp;
};

static const struct entity entities[] = {
	{ "amp", '&' }, { "apos", '\'' }, { "bull", 0x2022 },
	{ "copy", 0xa9 }, { "gt", '>' }, { "hellip", 0x2026 },
	{ "laquo", 0xab }, { "ldquo", 0x201c }, { "lsquo", 0x2018 },
	{ "lt", '<' }, { "mdash", 0x2014 }, { "middot", 0xb7 },
	{ "nbsp", ' ' }, { "ndash", 0x2013 }, { "quot", '"' },
	{ "raquo", 0xbb }, { "rdquo", 0x201d }, { "reg", 0xae },
	{ "rsquo", 0x2019 }, { "times", 0xd7 }, { "trade", 0x2122 },
};

struct conv {
	struct buf	*out;
	int		 breaks;	/* line breaks owed: 0, 1 or 2 */
	bool		 space;		/* a space owed */
	bool		 started;	/* text written */
	int		 pre;		/* <pre> depth */
	size_t		 depth;		/* list depth */
	unsigned	 num[LIST_MAX];	/* 0: <ul>, else the next number */
	char		 marker[32];	/* list marker owed */
	char		 href[ATTR_MAX];	/* of the open <a> */
	size_t		 a_start;	/* out->len where its text began */
	bool		 in_a;
	int		 rc;
};

static void
put(struct conv *c, const char *s, size_t n)
{
	if (buf_add(c->out, s, n) == -1)
		c->rc = -1;
}

static void
owe_breaks(struct conv *c, int n)
{
	if (c->started && n > c->breaks)
		c->breaks = n;
}

/* What is owed before text: line breaks and a marker, or a space. */
static void
flush(struct conv *c)
{
	if (c->breaks > 0)
		put(c, "\n\n", (size_t)c->breaks);
	else if (c->space && c->started)
		put(c, " ", 1);
	if (c->marker[0] != '\0')
		put(c, c->marker, strlen(c->marker));
	c->breaks = 0;
	c->space = false;
	c->marker[0] = '\0';
	c->started = true;
}

static void
put_cp(struct conv *c, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		u[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6), n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12), n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18), n = 4;
	}
	for (size_t i = 1; i < n; i++)
		u[i] = (char)(0x80 | ((cp >> (6 * (n - 1 - i))) & 0x3f));
	put(c, u, n);
}

/* The five characters HTML escapes (HTML 5 §13.1.2.6 and attributes). */
static const char *const escapes[256] = {
	['&'] = "&amp;",
	['<'] = "&lt;",
	['>'] = "&gt;",
	['"'] = "&quot;",
	['\''] = "&#39;",
};

const char *
html_entity(unsigned char c)
{
	return escapes[c];
}

/* The entity at s ('&'): its code point and length, or 0. */
static size_t
entity(const char *s, size_t n, uint32_t *cp)
{
	size_t i, k;
	int base = 10;

	for (i = 1; i < n && i < 12 && s[i] != ';'; i++)
		;
	if (i >= n || s[i] != ';' || i == 1)
		return 0;
	if (s[1] == '#') {
		k = 2;
		if (k < i && (s[k] == 'x' || s[k] == 'X'))
			base = 16, k++;
		for (*cp = 0; k < i; k++) {
			int d = s[k] >= '0' && s[k] <= '9' ? s[k] - '0' :
			    base == 16 && (s[k] | 0x20) >= 'a' &&
			    (s[k] | 0x20) <= 'f' ? (s[k] | 0x20) - 'a' + 10 :
			    -1;
			if (d < 0 || *cp > 0x10ffff)
				return 0;
			*cp = *cp * (uint32_t)base + (uint32_t)d;
		}
		return i + 1;
	}
	for (k = 0; k < nitems(entities); k++)
		if (strlen(entities[k].name) == i - 1 &&
		    strncmp(entities[k].name, s + 1, i - 1) == 0) {
			*cp = entities[k].cp;
			return i + 1;
		}
	return 0;
}

static bool
is_space(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	    ch == '\f';
}

/* Text up to the next '<': white space collapsed, entities decoded. */
static size_t
text(struct conv *c, const char *s, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n && s[i] != '<') {
		if (is_space((unsigned char)s[i]) && c->pre == 0) {
			c->space = true;
			i++;
			continue;
		}
		if (c->pre > 0 && s[i] == '\r') {
			i++;
			continue;
		}
		flush(c);
		k = s[i] == '&' ? entity(s + i, n - i, &cp) : 0;
		if (k > 0) {
			put_cp(c, cp == 0xa0 ? ' ' : cp);
			i += k;
		} else
			put(c, s + i++, 1);
	}
	return i;
}

/* Octets to the end of "<!--...-->", "<!...>" or "<?...>". */
static size_t
skip_decl(const char *s, size_t n)
{
	const char *end;
	size_t i;

	if (n >= 4 && memcmp(s, "<!--", 4) == 0) {
		for (i = 4; i + 3 <= n; i++)
			if (memcmp(s + i, "-->", 3) == 0)
				return i + 3;
		return n;
	}
	end = memchr(s, '>', n);
	return end != NULL ? (size_t)(end - s) + 1 : n;
}

/* Octets to the end of the element named name whose start tag ended. */
static size_t
skip_element(const char *s, size_t n, const char *name)
{
	size_t i, len = strlen(name);
	const char *gt;

	for (i = 0; i + 2 + len <= n; i++)
		if (s[i] == '<' && s[i + 1] == '/' &&
		    strncasecmp(s + i + 2, name, len) == 0) {
			gt = memchr(s + i, '>', n - i);
			return gt != NULL ? (size_t)(gt - s) + 1 : n;
		}
	return n;
}

/* Attribute want's value (entities decoded) from a tag into out. */
static void
attr(const char *s, size_t n, const char *want, char *out, size_t size)
{
	size_t i = 0, len = strlen(want), k = 0, e;
	char q;
	uint32_t cp;

	out[0] = '\0';
	while (i < n) {
		while (i < n && (is_space((unsigned char)s[i]) || s[i] == '/'))
			i++;
		size_t a = i;
		while (i < n && !is_space((unsigned char)s[i]) && s[i] != '=')
			i++;
		bool match = i - a == len && strncasecmp(s + a, want, len) == 0;
		if (i >= n || s[i] != '=')
			continue;
		q = ++i < n && (s[i] == '"' || s[i] == '\'') ? s[i++] : ' ';
		while (i < n && (q == ' ' ? !is_space((unsigned char)s[i]) :
		    s[i] != q)) {
			e = s[i] == '&' ? entity(s + i, n - i, &cp) : 0;
			if (match && k + 1 < size && (e == 0 || cp < 0x80))
				out[k++] = e > 0 ? (char)cp : s[i];
			i += e > 0 ? e : 1;
		}
		i++;
		if (match)
			break;
	}
	out[k] = '\0';
}

static enum act
act_of(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(tags); i++)
		if (strcmp(tags[i].name, name) == 0)
			return tags[i].act;
	return A_NONE;
}

static void
list_item(struct conv *c)
{
	size_t d = c->depth > 0 ? c->depth - 1 : 0;
	unsigned *num = c->depth > 0 && c->depth <= LIST_MAX ?
	    &c->num[c->depth - 1] : NULL;

	if (d > LIST_MAX)
		d = LIST_MAX;
	owe_breaks(c, 1);
	if (num != NULL && *num > 0)
		snprintf(c->marker, sizeof(c->marker), "%*s%u. ", (int)d * 2,
		    "", (*num)++);
	else
		snprintf(c->marker, sizeof(c->marker), "%*s- ", (int)d * 2, "");
}

/* After </a>: " (url)" unless the text already says it. */
static void
link_end(struct conv *c)
{
	const char *t = c->out->data != NULL ? c->out->data + c->a_start : "";
	size_t tl = c->out->len - c->a_start, hl = strlen(c->href);
	const char *h = c->href;

	c->in_a = false;
	if (hl == 0 || h[0] == '#')
		return;
	if (strncmp(h, "mailto:", 7) == 0)
		h += 7, hl -= 7;
	if (tl == hl && memcmp(t, h, hl) == 0)
		return;
	put(c, " (", 2);
	put(c, c->href, strlen(c->href));
	put(c, ")", 1);
}

static void
list_open(struct conv *c, const char *name, bool end)
{
	if (end) {
		c->depth -= c->depth > 0;
	} else {
		if (c->depth < LIST_MAX)
			c->num[c->depth] = name[0] == 'o' ? 1 : 0;
		c->depth++;
	}
	owe_breaks(c, c->depth > (end ? 0 : 1) ? 1 : 2);
}

/* One tag's effect; tag is the text between '<' and '>'. */
static void
tag(struct conv *c, const char *name, bool end, const char *t, size_t n)
{
	char alt[ATTR_MAX];

	switch (act_of(name)) {
	case A_LINE:
		owe_breaks(c, 1);
		break;
	case A_PARA:
		owe_breaks(c, 2);
		break;
	case A_BR:
		put(c, "\n", 1);
		c->started = true;
		c->breaks = 0, c->space = false;
		break;
	case A_LI:
		if (!end)
			list_item(c);
		break;
	case A_LIST:
		list_open(c, name, end);
		break;
	case A_HR:
		owe_breaks(c, 2);
		flush(c);
		put(c, "----", 4);
		owe_breaks(c, 2);
		break;
	case A_A:
		if (end && c->in_a)
			link_end(c);
		else if (!end) {
			attr(t, n, "href", c->href, sizeof(c->href));
			flush(c);
			c->a_start = c->out->len;
			c->in_a = true;
		}
		break;
	case A_IMG:
		attr(t, n, "alt", alt, sizeof(alt));
		if (alt[0] != '\0') {
			flush(c);
			put(c, alt, strlen(alt));
		}
		break;
	case A_CELL:
		c->space = true;
		break;
	case A_PRE:
		c->pre += end ? -(c->pre > 0) : 1;
		owe_breaks(c, 2);
		break;
	default:
		break;
	}
}

/* The tag at s ('<'): its effect; octets used. */
static size_t
element(struct conv *c, const char *s, size_t n)
{
	char name[NAME_MAX_];
	size_t i = 1, k = 0, len;
	const char *gt;
	bool end;

	if (n > 1 && (s[1] == '!' || s[1] == '?'))
		return skip_decl(s, n);
	end = n > 1 && s[1] == '/';
	i += end;
	if (i >= n || !((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')) {
		flush(c);
		put(c, "<", 1);
		return 1;
	}
	for (; i < n && (((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') ||
	    (s[i] >= '0' && s[i] <= '9')); i++)
		if (k + 1 < sizeof(name))
			name[k++] = (char)(s[i] | 0x20);
	name[k] = '\0';
	gt = memchr(s + i, '>', n - i);
	len = gt != NULL ? (size_t)(gt - s) + 1 : n;
	if (!end && act_of(name) == A_SKIP)
		return len + skip_element(s + len, n - len, name);
	tag(c, name, end, s + i, len - i - (gt != NULL));
	return len;
}

int
html_text(struct buf *out, const char *s, size_t n)
{
	struct conv c;
	size_t i = 0;

	memset(&c, 0, sizeof(c));
	c.out = out;
	while (i < n && c.rc == 0) {
		if (s[i] == '<')
			i += element(&c, s + i, n - i);
		else
			i += text(&c, s + i, n - i);
	}
	if (c.started)
		put(&c, "\n", 1);
	return c.rc;
}

/*
 * Inline images: <img src="PATH"> with PATH a relative file path.
 */

/* [*va, *vb): the value of attribute want in tag s[0..n), or false. */
static bool
attr_span(const char *s, size_t n, const char *want, size_t *va,
    size_t *vb)
{
	size_t i = 0, a, len = strlen(want);
	bool match;
	char q;

	while (i < n) {
		while (i < n && (is_space((unsigned char)s[i]) || s[i] == '/'))
			i++;
		a = i;
		while (i < n && !is_space((unsigned char)s[i]) && s[i] != '=')
			i++;
		match = i - a == len && strncasecmp(s + a, want, len) == 0;
		if (i >= n || s[i] != '=')
			continue;
		q = ++i < n && (s[i] == '"' || s[i] == '\'') ? s[i++] : ' ';
		*va = i;
		while (i < n && (q == ' ' ? !is_space((unsigned char)s[i]) :
		    s[i] != q))
			i++;
		*vb = i++;
		if (match)
			return true;
	}
	return false;
}

/* A relative path: no scheme, not absolute, no query or fragment. */
static bool
is_local(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '/' || s[0] == '\\')
		return false;
	for (i = 0; i < n; i++)
		if (s[i] == ':' || s[i] == '?' || s[i] == '#')
			return false;
	return true;
}

bool
html_img_next(const char *s, size_t n, size_t *at, size_t *va, size_t *vb)
{
	size_t i, end;
	const char *gt;

	for (i = *at; i + 5 <= n; i++) {
		if (s[i] != '<' || strncasecmp(s + i + 1, "img", 3) != 0 ||
		    !(is_space((unsigned char)s[i + 4]) || s[i + 4] == '/'))
			continue;
		gt = memchr(s + i, '>', n - i);
		end = gt != NULL ? (size_t)(gt - s) : n;
		*at = end;
		if (attr_span(s + i + 4, end - i - 4, "src", va, vb)) {
			*va += i + 4, *vb += i + 4;
			if (is_local(s + *va, *vb - *va))
				return true;
		}
		i = end;
	}
	*at = n;
	return false;
}

static int
hexdigit(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' &&
	    (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
}

int
html_url_path(struct buf *out, const char *s, size_t n)
{
	struct conv c;
	size_t i, k;
	uint32_t cp;

	memset(&c, 0, sizeof(c));
	c.out = out;
	for (i = 0; i < n && c.rc == 0; i += k) {
		k = s[i] == '&' ? entity(s + i, n - i, &cp) : 0;
		if (k > 0)
			put_cp(&c, cp);
		else if (s[i] == '%' && i + 2 < n && hexdigit(s[i + 1]) >= 0 &&
		    hexdigit(s[i + 2]) >= 0) {
			c.rc = buf_addc(out, hexdigit(s[i + 1]) * 16 +
			    hexdigit(s[i + 2]));
			k = 3;
		} else {
			c.rc = buf_addc(out, s[i]);
			k = 1;
		}
	}
	return c.rc;
}
