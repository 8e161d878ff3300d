#ifndef HTML_H
#define HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/*
 * Plain text from HTML, for the text/plain alternative of an HTML mail:
 * a careful, simple conversion, not a renderer.  Block elements become
 * line breaks (paragraphs, headings and lists a blank line), <br> a
 * line break, list items "- " (numbered in <ol>), links "text (url)",
 * images their alt text; entities are decoded; script, style, head
 * and comments are dropped; white space is collapsed outside <pre>.
 */

/*
 * The entity that stands for c in HTML text and attribute values
 * ("&amp;" for '&'; the five of HTML 5 §13.1.2.6), or NULL when c
 * stands for itself.
 */
const char *html_entity(unsigned char c);

/* The text of HTML s[0..n), appended to out.  -1 at out's cap. */
int	html_text(struct buf *out, const char *s, size_t n);

/*
 * The next <img> tag at or after *at in HTML s[0..n) whose src is a
 * relative file path (no scheme, not absolute, no query or fragment):
 * true with [*va, *vb) the value as written; *at moves past the tag.
 */
bool	html_img_next(const char *s, size_t n, size_t *at, size_t *va,
	    size_t *vb);

/*
 * A src value s[0..n) as the file path it names: entities and %XX
 * decoded, appended to out.  -1 at out's cap.
 */
int	html_url_path(struct buf *out, const char *s, size_t n);

#endif /* HTML_H */
