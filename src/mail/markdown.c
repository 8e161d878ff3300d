/*
 * The one module that includes cmark-gfm, GitHub's fork of the
 * CommonMark reference library: tables, strikethrough and autolinks
 * (its core extensions), and hard line breaks, so that a signature
 * block written on several lines stays on several lines in the HTML
 * part, as it does in the text part.  Safe mode is
 * cmark-gfm's default (CMARK_OPT_UNSAFE is never set): raw HTML
 * becomes "<!-- raw HTML omitted -->" and unsafe links are dropped.
 *
 * The extensions are registered once per process (pthread_once: sender
 * threads render Markdown side by side); each call makes its own
 * parser, and the HTML cmark-gfm allocates is copied into the caller's
 * buffer and freed at once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>

#include "buf.h"
#include "err.h"
#include "markdown.h"

#define MD_OPTIONS	(CMARK_OPT_DEFAULT | CMARK_OPT_HARDBREAKS)

static const char *const extensions[] = {
	"table", "strikethrough", "autolink",
};

static pthread_once_t registered = PTHREAD_ONCE_INIT;

static void
register_extensions(void)
{
	cmark_gfm_core_extensions_ensure_registered();
}

/* A parser with the extensions attached, or NULL. */
static cmark_parser *
parser_new(void)
{
	cmark_parser *p = cmark_parser_new(MD_OPTIONS);
	cmark_syntax_extension *x;
	size_t i;

	for (i = 0; p != NULL && i < sizeof(extensions) /
	    sizeof(extensions[0]); i++) {
		x = cmark_find_syntax_extension(extensions[i]);
		if (x == NULL || cmark_parser_attach_syntax_extension(p,
		    x) == 0) {
			cmark_parser_free(p);
			return NULL;
		}
	}
	return p;
}

int
markdown_html(struct buf *out, const char *s, size_t n, struct err *e)
{
	cmark_mem *mem = cmark_get_default_mem_allocator();
	cmark_parser *p;
	cmark_node *doc = NULL;
	char *html = NULL;
	int rc = -1;

	pthread_once(&registered, register_extensions);
	p = parser_new();
	if (p == NULL) {
		err_set(e, E_INTERNAL, "body", "cmark-gfm's extensions "
		    "cannot be loaded");
		return -1;
	}
	cmark_parser_feed(p, s, n);
	doc = cmark_parser_finish(p);
	if (doc != NULL)
		html = cmark_render_html(doc, MD_OPTIONS,
		    cmark_parser_get_syntax_extensions(p));
	if (html != NULL && buf_adds(out, html) == 0)
		rc = 0;
	else
		err_set(e, E_INPUT, "body", "the HTML made from the Markdown "
		    "text passes its limit of %zu bytes", out->cap);
	if (html != NULL)
		mem->free(html);
	if (doc != NULL)
		cmark_node_free(doc);
	cmark_parser_free(p);
	return rc;
}
