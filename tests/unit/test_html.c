/*
 * Unit tests of html.c: blocks and <br> to line breaks, lists, links,
 * entities, script/style/head/comments dropped, white space, <pre>.
 */
#include <string.h>

#include "buf.h"
#include "html.h"
#include "tap.h"

static struct buf out;

static const char *
text(const char *s)
{
	buf_reset(&out);
	if (html_text(&out, s, strlen(s)) == -1)
		return "(error)";
	return buf_str(&out);
}

/* The local image paths of html, decoded, joined by '|'. */
static const char *
images(const char *html)
{
	static struct buf b;
	size_t at = 0, va, vb, n = strlen(html);

	buf_fini(&b);
	buf_init(&b, 4096);
	while (html_img_next(html, n, &at, &va, &vb)) {
		if (b.len > 0)
			buf_addc(&b, '|');
		html_url_path(&b, html + va, vb - va);
	}
	return buf_str(&b);
}

/* Issue 12.7: which <img> sources are local files. */
static void
test_images(void)
{
	is_str(images("<p><img src=\"logo.png\" alt=\"x\" /></p>"),
	    "logo.png", "12.7: cmark's img");
	is_str(images("<IMG ALT=a SRC='pics/a b.png'><img src=c.png>"),
	    "pics/a b.png|c.png", "12.7: any case, quotes or none");
	is_str(images("<img src=\"%EC%A7%81%EC%9D%B8.png\">"
	    "<img src=\"a&amp;b.png\">"), "직인.png|a&b.png",
	    "12.7: percent-escapes and entities decoded");
	is_str(images("<img src=\"https://x.com/a.png\"><img src=\"/etc/x\">"
	    "<img src=\"cid:a@b\"><img src=\"data:image/png;base64,AA\">"
	    "<img src=\"a.png?x=1\"><img src=\"#top\"><img data-src=\"d.png\">"
	    "<imgx src=\"e.png\">"), "", "12.7: URLs, absolute paths, "
	    "data-src and other tags are not local images");
}

int
main(void)
{
	buf_init(&out, 1 << 20);
	is_str(text("<p>안녕하세요,\n  <b>김민준</b>님.</p><p>둘째</p>"),
	    "안녕하세요, 김민준님.\n\n둘째\n", "paragraphs, inline tags");
	is_str(text("a<br>b<br/><br>c"), "a\nb\n\nc\n", "<br>");
	is_str(text("<h1>제목</h1>본문<div>한 줄</div><div>또</div>"),
	    "제목\n\n본문\n한 줄\n또\n", "heading and divs");
	is_str(text("<ul><li>하나</li><li>둘</li></ul>끝"),
	    "- 하나\n- 둘\n\n끝\n", "list items as '- '");
	is_str(text("<ol><li>a<li>b</ol>"), "1. a\n2. b\n", "numbered list");
	is_str(text("<p>a</p>\n<ul>\n<li>b</li>\n</ul>"), "a\n\n- b\n",
	    "a list after a paragraph: a blank line");
	is_str(text("<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>"),
	    "- a\n  - b\n- c\n", "nested list indented");
	is_str(text("<a href=\"https://example.com/x?a=1&amp;b=2\">성적표</a>"
	    " 보기"), "성적표 (https://example.com/x?a=1&b=2) 보기\n",
	    "link as text (url)");
	is_str(text("<a href='https://e.com'>https://e.com</a>"),
	    "https://e.com\n", "link whose text is its url");
	is_str(text("<a href=\"mailto:a@e.com\">a@e.com</a>"), "a@e.com\n",
	    "mailto link whose text is the address");
	is_str(text("<a href=\"#top\">위로</a>"), "위로\n", "fragment link");
	is_str(text("&lt;b&gt;&amp;&quot;&#39;&#x1F600;&nbsp;&copy;&bogus;"),
	    "<b>&\"'\xf0\x9f\x98\x80 \xc2\xa9&bogus;\n", "entities decoded");
	is_str(text("&#0;&#xD800;&#1114112;"), "\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd\n", "bad code points: U+FFFD, as HTML 5 says");
	is_str(text("<html><head><title>T</title><style>p{x:1}</style></head>"
	    "<body><script>var a = '<p>';</script><!-- note <p> -->"
	    "<p>본문</p></body></html>"), "본문\n",
	    "head, style, script, comments dropped");
	is_str(text("<!DOCTYPE html><P CLASS=x>Up</P>"), "Up\n",
	    "doctype, upper case");
	is_str(text("<pre>a  b\n  c</pre>d"), "a  b\n  c\n\nd\n",
	    "pre keeps white space");
	is_str(text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr>"
	    "</table>"), "a b\nc\n", "table cells");
	is_str(text("x<hr>y"), "x\n\n----\n\ny\n", "hr");
	is_str(text("<img src=a.png alt=\"로고\"> 끝"), "로고 끝\n", "img alt");
	is_str(text("a < b and c<3"), "a < b and c<3\n", "a lone '<'");
	is_str(text("<p>unclosed"), "unclosed\n", "unclosed tag");
	is_str(text("<p"), "", "tag cut off");
	is_str(text(""), "", "empty");
	test_images();
	buf_fini(&out);
	buf_init(&out, 4);
	is_int(html_text(&out, "<p>long text</p>", 16), -1, "cap: refused");
	buf_fini(&out);
	return tap_done();
}
