/*
 * Unit tests of markdown.c: cmark's exact HTML for a small document,
 * safe mode (raw HTML and javascript: links dropped), entities from
 * HTML-escaped fields shown as text, the output cap.
 */
#include <string.h>

#include "buf.h"
#include "err.h"
#include "markdown.h"
#include "tap.h"

static struct buf out;
static struct err err;

static const char *
md(const char *s)
{
	buf_reset(&out);
	if (markdown_html(&out, s, strlen(s), &err) == -1)
		return "(error)";
	return buf_str(&out);
}

int
main(void)
{
	buf_init(&out, 1 << 20);
	is_str(md("# 안내\n\n*강조*와 **굵게**\n\n- 하나\n"
	    "- [링크](https://example.com/a?b=1&c=2)\n"),
	    "<h1>안내</h1>\n<p><em>강조</em>와 <strong>굵게</strong></p>\n"
	    "<ul>\n<li>하나</li>\n<li><a href=\"https://example.com/a?b=1&amp;"
	    "c=2\">링크</a></li>\n</ul>\n", "headings, emphasis, list, link");
	is_str(md("a <b>x</b> <script>alert(1)</script>\n"),
	    "<p>a <!-- raw HTML omitted -->x<!-- raw HTML omitted --> "
	    "<!-- raw HTML omitted -->alert(1)<!-- raw HTML omitted --></p>\n",
	    "safe mode: raw HTML omitted");
	is_str(md("<div>block</div>\n"), "<!-- raw HTML omitted -->\n",
	    "safe mode: HTML block omitted");
	is_str(md("[x](javascript:alert(1))\n"), "<p><a href=\"\">x</a></p>\n",
	    "safe mode: javascript: link dropped");
	is_str(md("이름: &lt;b&gt;&amp;&quot;\n"),
	    "<p>이름: &lt;b&gt;&amp;&quot;</p>\n",
	    "an HTML-escaped field shows as text");
	is_str(md(""), "", "empty document");
	/* Issue 12.5: GitHub-flavoured Markdown with hard line breaks. */
	is_str(md("홍길동 교수\n컴퓨터공학과\n"),
	    "<p>홍길동 교수<br />\n컴퓨터공학과</p>\n",
	    "12.5: a line break in a paragraph stays one");
	like(md("| 이름 | 점수 |\n|---|---:|\n| 김민준 | 9 |\n"),
	    "<table>", "12.5: a GFM table is a table");
	like(md("| 이름 | 점수 |\n|---|---:|\n| 김민준 | 9 |\n"),
	    "<td align=\"right\">9</td>", "12.5: with its alignment");
	is_str(md("~~취소~~\n"), "<p><del>취소</del></p>\n",
	    "12.5: strikethrough");
	is_str(md("see https://example.com/x now\n"),
	    "<p>see <a href=\"https://example.com/x\">https://example.com/x"
	    "</a> now</p>\n", "12.5: a bare URL is a link");
	like(md("| a |\n|---|\n| <script>x</script> |\n"),
	    "raw HTML omitted", "12.5: safe mode inside tables too");
	buf_fini(&out);
	buf_init(&out, 8);
	is_int(markdown_html(&out, "# long heading", 14, &err), -1,
	    "over the cap: refused");
	ok(err.kind == E_INPUT, "cap: E_INPUT");
	buf_fini(&out);
	return tap_done();
}
