/*
 * The one module that includes cmark.h.  cmark_markdown_to_html()
 * parses and renders in one call and returns a string from cmark's
 * default allocator, which is copied into the caller's buffer (reused
 * per row) and freed at once.  CMARK_OPT_DEFAULT is safe mode since
 * cmark 0.29; CMARK_OPT_UNSAFE is never set.
 */
#include <stdlib.h>
#include <string.h>

#include <cmark.h>

#include "buf.h"
#include "err.h"
#include "markdown.h"

int
markdown_html(struct buf *out, const char *s, size_t n, struct err *e)
{
	cmark_mem *mem = cmark_get_default_mem_allocator();
	char *html = cmark_markdown_to_html(s, n, CMARK_OPT_DEFAULT);
	int rc = 0;

	if (html == NULL || buf_adds(out, html) == -1) {
		err_set(e, E_INPUT, "body", "the HTML made from the Markdown "
		    "text passes its limit of %zu bytes", out->cap);
		rc = -1;
	}
	if (html != NULL)
		mem->free(html);
	return rc;
}
