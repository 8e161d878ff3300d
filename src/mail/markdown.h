#ifndef MARKDOWN_H
#define MARKDOWN_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/*
 * Markdown to HTML with cmark, the CommonMark reference library.  Safe
 * mode (cmark's default): raw HTML becomes "<!-- raw HTML omitted -->"
 * and javascript:, vbscript:, file: and most data: links are dropped,
 * so neither a roster field nor the template can put markup or script
 * into the HTML part.
 */

/*
 * The HTML for CommonMark text s[0..n), appended to out.  E_INPUT at
 * out's cap.
 */
int	markdown_html(struct buf *out, const char *s, size_t n,
	    struct err *e);

#endif /* MARKDOWN_H */
