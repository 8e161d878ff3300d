/*
 * Unit tests of template.c: Mustache semantics after the spec's
 * interpolation, sections, inverted, comments and delimiters suites,
 * for one flat row of strings; the header block; every error's
 * line:col and message; and Korean particles after values.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "template.h"

#include "tap.h"

#define NCOLS	(sizeof(cols) / sizeof(cols[0]))

static const char *const cols[] = {
	"name", "x", "empty", "html", "이름", "비고", "점수", "nl",
	"boolean", "data", "string", "section", "email", "a", "b"
};
static const char *const vals[] = {
	"Jo", "X", "", "<b>&\"'", "홍길동", "지각 1회", "95", "a\nb",
	"yes", "I got interpolated.", "---", "on", "hong@example.com",
	"A", "B"
};
static size_t lens[NCOLS];

static struct err e;
static char got[4096];

/* Parse a whole template; NULL and e set on failure. */
static struct template *
tp(const char *text)
{
	struct template *t;

	err_clear(&e);
	if (template_parse(&t, "t.txt", text, strlen(text), &e) == -1)
		return NULL;
	return t;
}

/* Render body text (a template with no headers) for the fixed row. */
static const char *
rb(const char *text, enum template_escape esc)
{
	struct template *t;
	struct buf out;
	char full[2048];

	snprintf(full, sizeof(full), "\n%s", text);
	t = tp(full);
	if (t == NULL ||
	    template_bind(t, cols, NCOLS, &e) == -1) {
		snprintf(got, sizeof(got), "ERR %s: %s", e.where, e.msg);
		template_free(t);
		return got;
	}
	buf_init(&out, 4096);
	if (template_render_body(t, vals, lens, esc, &out, &e) == -1)
		snprintf(got, sizeof(got), "ERR %s: %s", e.where, e.msg);
	else
		snprintf(got, sizeof(got), "%s", buf_str(&out));
	buf_fini(&out);
	template_free(t);
	return got;
}

static const char *
body(const char *text)
{
	return rb(text, TEMPLATE_RAW);
}

/* Parse text that must fail; returns e.msg, e.where checked by caller. */
static const char *
bad(const char *text)
{
	struct template *t = tp(text);

	if (t != NULL) {
		template_free(t);
		err_set(&e, E_NONE, "(parsed)", "(no error)");
	}
	return e.msg;
}

/* Parse and bind text that must fail to bind. */
static const char *
badbind(const char *text, const char *const *c, size_t n)
{
	struct template *t = tp(text);

	if (t != NULL && template_bind(t, c, n, &e) == 0)
		err_set(&e, E_NONE, "(bound)", "(no error)");
	template_free(t);
	return e.msg;
}

static const char *
header(struct template *t, size_t i)
{
	struct buf out;

	buf_init(&out, 1024);
	if (template_render_header(t, i, vals, lens, &out, &e) == -1)
		snprintf(got, sizeof(got), "ERR %s: %s", e.where, e.msg);
	else
		snprintf(got, sizeof(got), "%s", buf_str(&out));
	buf_fini(&out);
	return got;
}

static void
test_interpolation(void)
{
	is_str(body("Hello from {Mustache}!\n"), "Hello from {Mustache}!\n",
	    "no tags");
	is_str(body("Hello, {{name}}!"), "Hello, Jo!", "basic");
	is_str(body("{{이름}}님"), "홍길동님", "Korean name");
	is_str(body("[{{empty}}]"), "[]", "empty value");
	is_str(body("| {{string}} |"), "| --- |", "surrounding blanks kept");
	is_str(body("  {{string}}\n"), "  ---\n", "a value is not standalone");
	is_str(body("|{{ string }}|"), "|---|", "padding in tag");
	is_str(body("|{{\t이름  }}|"), "|홍길동|", "tab padding, Korean");
	is_str(body("{{html}}"), "<b>&\"'", "RAW never escapes");
	is_str(rb("{{html}}", TEMPLATE_HTML), "&lt;b&gt;&amp;&quot;&#39;",
	    "HTML escapes {{x}}");
	is_str(rb("{{{html}}}", TEMPLATE_HTML), "<b>&\"'", "triple: raw");
	is_str(rb("{{&html}}", TEMPLATE_HTML), "<b>&\"'", "ampersand: raw");
	is_str(rb("|{{{ html }}}|{{& html }}|", TEMPLATE_HTML),
	    "|<b>&\"'|<b>&\"'|", "padding in triple and ampersand");
	is_str(rb("a{{x}}b&<", TEMPLATE_HTML), "aXb&<",
	    "template text is never escaped");
	is_str(body("{{nl}}"), "a\nb", "newline in a body value");
	is_str(body("{{name}}{{x}}{{name}}"), "JoXJo", "adjacent tags");
	is_str(body("{{x}}}"), "X}", "stray brace after a tag");
}

static void
test_sections(void)
{
	is_str(body("\"{{#boolean}}yes{{/boolean}}\""), "\"yes\"", "truthy");
	is_str(body("\"{{#empty}}no{{/empty}}\""), "\"\"", "falsey");
	is_str(body("\"{{^empty}}none{{/empty}}\""), "\"none\"",
	    "inverted falsey");
	is_str(body("\"{{^boolean}}x{{/boolean}}\""), "\"\"",
	    "inverted truthy");
	is_str(body("{{#a}}A{{#b}}B{{/b}}{{^empty}}C{{/empty}}{{/a}}"),
	    "ABC", "nested");
	is_str(body("{{#empty}}A{{#x}}B{{/x}}C{{/empty}}Z"), "Z",
	    "outer false skips inner");
	is_str(body("{{^a}}A{{#x}}B{{/x}}C{{/a}}Z"), "Z",
	    "inverted outer skips inner");
	is_str(body("{{#비고}}비고: {{비고}}{{/비고}}"), "비고: 지각 1회",
	    "same name as section and value");
	is_str(body("{{# boolean }}={{/ boolean }}"), "=", "padding");
	is_str(body("{{#a}}1{{/a}}{{#a}}2{{/a}}"), "12", "repeated section");
	is_str(body("{{#a}}{{#a}}{{#a}}deep{{/a}}{{/a}}{{/a}}"), "deep",
	    "same name nested");
}

static void
test_standalone(void)
{
	is_str(body("| This Is\n{{#boolean}}\n|\n{{/boolean}}\n| A Line\n"),
	    "| This Is\n|\n| A Line\n", "standalone lines");
	is_str(body("| This Is\n  {{#boolean}}\n|\n  {{/boolean}}\n"
	    "| A Line\n"), "| This Is\n|\n| A Line\n", "indented standalone");
	is_str(body("| This Is\n{{^empty}}\n|\n{{/empty}}\n| A Line\n"),
	    "| This Is\n|\n| A Line\n", "inverted standalone");
	is_str(body("|\r\n{{#boolean}}\r\n{{/boolean}}\r\n|"), "|\n|",
	    "CRLF standalone (line ends become LF)");
	is_str(body("  {{#boolean}}\n#{{/boolean}}\n/"), "#\n/",
	    "standalone without previous line");
	is_str(body("#{{#boolean}}\n/\n  {{/boolean}}"), "#\n/\n",
	    "standalone without newline");
	is_str(body(" {{#boolean}}YES{{/boolean}}\n {{#boolean}}GOOD"
	    "{{/boolean}}\n"), " YES\n GOOD\n", "indented inline: kept");
	is_str(body("{{#비고}}\n비고: {{비고}}\n{{/비고}}\n"),
	    "비고: 지각 1회\n", "standalone at start and end of body");
	is_str(body("{{#empty}}\n비고: {{비고}}\n{{/empty}}\n"), "",
	    "false standalone section leaves nothing");
	is_str(body("a\n\t {{#boolean}} \t\nb\n{{/boolean}}"), "a\nb\n",
	    "blanks around a standalone tag");
	is_str(body("{{#boolean}}{{/boolean}}\n"), "\n",
	    "two tags on a line are not standalone");
	is_str(body("x {{#boolean}}\ny\n{{/boolean}}"), "x \ny\n",
	    "text before the tag: not standalone");
}

static void
test_comments(void)
{
	is_str(body("12345{{! Comment Block! }}67890"), "1234567890",
	    "inline comment");
	is_str(body("12345{{!\n  This is a\n  multi-line comment...\n}}"
	    "67890\n"),
	    "1234567890\n", "multi-line comment");
	is_str(body("Begin.\n{{! Comment Block! }}\nEnd.\n"),
	    "Begin.\nEnd.\n", "standalone comment");
	is_str(body("Begin.\n  {{! Indented Comment Block! }}\nEnd.\n"),
	    "Begin.\nEnd.\n", "indented standalone comment");
	is_str(body("|\r\n{{! Standalone Comment }}\r\n|"), "|\n|",
	    "CRLF standalone comment");
	is_str(body("  {{! I'm Still Standalone }}\n!"), "!",
	    "standalone comment without previous line");
	is_str(body("!\n  {{! I'm Still Standalone }}"), "!\n",
	    "standalone comment without newline");
	is_str(body("Begin.\n{{!\nSomething's going on here...\n}}\nEnd.\n"),
	    "Begin.\nEnd.\n", "multi-line standalone comment");
	is_str(body("  12 {{! 34 }}\n"), "  12 \n", "indented inline comment");
	is_str(body("12345 {{! Comment Block! }} 67890"), "12345  67890",
	    "surrounding blanks");
	is_str(body("{{! {{name}} }}x"), " }}x",
	    "a comment ends at the first closing delimiter");
}

static void
test_delimiters(void)
{
	is_str(body("{{=<% %>=}}(<%string%>)"), "(---)", "pair behaviour");
	is_str(body("({{=[ ]=}}[string])"), "(---)", "special characters");
	is_str(body("{{=( )=}}(name)|(=$ $=)$name$|"), "Jo|Jo|",
	    "regex metacharacters as delimiters");
	is_str(body("{{=$ $=}}$name$ $=| |=$|name|"), "Jo Jo",
	    "dollar and bar delimiters");
	is_str(body("{{=\\E \\Q=}}\\Ename\\Q"), "Jo",
	    "backslash delimiters");
	is_str(body("{{=[[ ]]=}}[[name]] [[={{ }}=]]{{name}}"), "Jo Jo",
	    "two-character delimiters and back");
	is_str(body("{{=《 》=}}《이름》"), "홍길동", "Korean delimiters");
	is_str(body("|{{= @   @ =}}|"), "||", "pair with padding");
	is_str(body("{{=<% %>=}}{{name}}<%name%>"), "{{name}}Jo",
	    "old delimiters become text");
	is_str(rb("{{=<% %>=}}<%{html}%><%&html%><%html%>", TEMPLATE_HTML),
	    "<b>&\"'<b>&\"'&lt;b&gt;&amp;&quot;&#39;",
	    "triple and ampersand with custom delimiters");
	is_str(body("[\n{{#section}}\n  {{data}}\n  |data|\n{{/section}}\n\n"
	    "{{= | | =}}\n|#section|\n  {{data}}\n  |data|\n|/section|\n]\n"),
	    "[\n  I got interpolated.\n  |data|\n\n  {{data}}\n"
	    "  I got interpolated.\n]\n", "sections (spec)");
	is_str(body("[\n{{^empty}}\n  {{data}}\n  |data|\n{{/empty}}\n\n"
	    "{{= | | =}}\n|^empty|\n  {{data}}\n  |data|\n|/empty|\n]\n"),
	    "[\n  I got interpolated.\n  |data|\n\n  {{data}}\n"
	    "  I got interpolated.\n]\n", "inverted sections (spec)");
	is_str(body("Begin.\n{{=@ @=}}\nEnd.\n"), "Begin.\nEnd.\n",
	    "standalone set-delimiter");
	is_str(body("Begin.\n  {{=@ @=}}\nEnd.\n"), "Begin.\nEnd.\n",
	    "indented standalone set-delimiter");
	is_str(body("|\r\n{{= @ @ =}}\r\n|"), "|\n|", "CRLF standalone");
	is_str(body("  {{=@ @=}}\n="), "=", "without previous line");
	is_str(body("=\n  {{=@ @=}}"), "=\n", "without newline");
	is_str(body("{{=<% %>=}}\n<%#a%>\n<%={{ }}=%>\n{{a}}\n{{/a}}\n"),
	    "A\n", "change back inside a section");
}

static const char mail[] =
    "From: 홍길동 교수 <prof@naver.com>\n"
    "To: {{이름}} <{{email}}>\n"
    "Subject: [컴퓨터네트워크] {{이름}}님 과제 점수 안내\n"
    "\n"
    "{{이름}}님, 과제 점수는 {{점수}}점입니다.\n"
    "{{#비고}}비고: {{비고}}{{/비고}}\n";

static void
test_headers(void)
{
	struct template *t;
	struct buf out;

	t = tp(mail);
	ok(t != NULL, "example template parses");
	if (t == NULL)
		return;
	ok(template_bind(t, cols, NCOLS, &e) == 0, "binds");
	is_int(template_nheaders(t), 3, "three headers");
	is_str(template_header_name(t, 0), "From", "name 0");
	is_str(template_header_name(t, 2), "Subject", "name 2");
	ok(template_header_name(t, 3) == NULL, "name past the end is NULL");
	is_int(template_header_line(t, 1), 2, "line of To");
	is_int(template_header_line(t, 9), 0, "line past the end is 0");
	is_str(template_path(t), "t.txt", "path");
	is_str(header(t, 0), "홍길동 교수 <prof@naver.com>", "From value");
	is_str(header(t, 1), "홍길동 <hong@example.com>", "To value");
	is_str(header(t, 2), "[컴퓨터네트워크] 홍길동님 과제 점수 안내",
	    "Subject value");
	like(header(t, 3), "ERR", "header past the end fails");
	buf_init(&out, 1024);
	ok(template_render_body(t, vals, lens, TEMPLATE_RAW, &out, &e) == 0,
	    "body renders");
	is_str(buf_str(&out), "홍길동님, 과제 점수는 95점입니다.\n"
	    "비고: 지각 1회\n", "body text");
	buf_fini(&out);
	template_free(t);
}

/* One header of a template, rendered; "" and a failure on error. */
static const char *
h0(const char *text, size_t i)
{
	struct template *t = tp(text);

	if (t == NULL || template_bind(t, cols, NCOLS, &e) == -1) {
		template_free(t);
		snprintf(got, sizeof(got), "ERR %s: %s", e.where, e.msg);
		return got;
	}
	header(t, i);
	template_free(t);
	return got;
}

static void
test_header_block(void)
{
	struct template *t;

	is_str(h0("Subject: a\n  b {{name}}\n\tc\n\nbody", 0), "a b Jo c",
	    "unfolding keeps one space");
	t = tp("Subject: a\n  b\nTo: x\n\n");
	is_int(t ? template_header_line(t, 1) : 0, 3, "line after a fold");
	template_free(t);
	is_str(h0("Subject:   hi  \n\n", 0), "hi", "value trimmed");
	is_str(h0("Cc:\n\nb", 0), "", "empty value");
	is_str(h0("X-A:b:c\n\n", 0), "b:c", "colon in value, none blank");
	is_str(h0("Subject: x\r\nTo: y\r\n\r\nbody\r\n", 1), "y", "CRLF");
	is_str(h0("\xEF\xBB\xBFSubject: bom\n\n", 0), "bom", "BOM skipped");
	is_str(h0("Subject: {{#비고}}[비고] {{/비고}}{{^empty}}점수{{/empty}}"
	    "\n\n", 0), "[비고] 점수", "sections in a header");
	is_str(h0("Subject: {{#empty}}{{nl}}{{/empty}}ok\n\n", 0), "ok",
	    "skipped value is not checked");
	is_str(h0("Subject: {{=<% %>=}}<%name%>\n\n", 0), "Jo",
	    "set-delimiter in a header");
	t = tp("Subject: x\n");
	ok(t != NULL && template_nheaders(t) == 1, "headers only: fine");
	template_free(t);
	is_str(body(""), "", "no headers, empty body (blank line only)");
	t = tp("Subject: x");
	ok(t != NULL, "headers without a final newline: fine");
	template_free(t);
	t = tp("Subject: x\n   \nbody {{name}}\n");
	ok(t != NULL && template_nheaders(t) == 1,
	    "a line of blanks ends the headers");
	template_free(t);
	is_str(body("{{name}}\nTo: x\n"), "Jo\nTo: x\n",
	    "after the blank line everything is body");
}

static void
test_header_errors(void)
{
	char many[4096];
	size_t i, n = 0;

	like(bad("Subject: x\nno colon here\n\nbody"),
	    "blank line that ends the headers", "line without colon");
	is_str(e.where, "t.txt:2:1", "  at its line");
	is_int(e.kind, E_INPUT, "  E_INPUT");
	like(bad("안녕하세요 {{이름}}님\n"), "a template starts with its "
	    "headers", "body without headers");
	is_str(e.where, "t.txt:1:1", "  at 1:1");
	like(bad("Subject: x\n: y\n\n"), "empty header name", "empty name");
	is_str(e.where, "t.txt:2:1", "  at 2:1");
	like(bad("Subject : x\n\n"), "write 'Subject:'", "blank before colon");
	is_str(e.where, "t.txt:1:8", "  at the blank");
	like(bad("제목: x\n\n"), "not ASCII", "Korean header name");
	is_str(e.where, "t.txt:1:1", "  at 1:1");
	like(bad("\xEF\xBB\xBF제목: x\n\n"), "not ASCII", "after a BOM");
	is_str(e.where, "t.txt:1:1", "  BOM not counted");
	like(bad("S: x\nX-{{name}}: y\n\n"), "holds a tag",
	    "tag in a header name");
	is_str(e.where, "t.txt:2:1", "  at 2:1");
	like(bad(" folded\n\nbody"), "no header comes before it",
	    "fold before any header");
	like(bad("Subject: a\x01z\n\n"), "control character 0x01",
	    "control character");
	is_str(e.where, "t.txt:1:11", "  at its column");
	like(bad(""), "empty", "empty template");
	like(bad("\xEF\xBB\xBF"), "empty", "BOM only");
	like(bad("\xFF\xFE" "S\0"), "UTF-16", "UTF-16");
	like(bad("Subject: x\n\n이름 \xC0\xAF"), "invalid UTF-8 (byte 0xC0)",
	    "invalid UTF-8");
	is_str(e.where, "t.txt:3:4", "  at line:col in code points");
	like(bad("S: x\n\n\xED\xA0\x80"), "invalid UTF-8", "surrogate");
	like(bad("S: x\n\n\xF0\x9F\x98"), "invalid UTF-8", "cut sequence");
	ok(template_parse(&(struct template *){ NULL }, "t.txt",
	    "S: x\n\na\0b", 9, &e) == -1, "NUL byte refused");
	like(e.msg, "NUL byte", "  says NUL");
	is_str(e.where, "t.txt:3:2", "  at 3:2");
	for (i = 0; i <= TEMPLATE_HEADERS_MAX; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n,
		    "X-%zu: v\n", i);
	like(bad(many), "more than 64 headers", "too many headers");
	is_str(e.where, "t.txt:65:1", "  at the 65th");
}

static void
test_tag_errors(void)
{
	like(bad("S: x\n\n안녕 {{#비고}}x\n"), "'{{#비고}}' is never closed: "
	    "add '{{/비고}}'", "unclosed section");
	is_str(e.where, "t.txt:3:4", "  at its opening tag");
	like(bad("S: x\n\n{{#a}}\n  가{{#비고}}\n{{/비고}}\n"),
	    "'{{#a}}' is never closed", "innermost unclosed");
	is_str(e.where, "t.txt:3:1", "  at 3:1");
	like(bad("S: x\n\n가나 {{/비고}}"), "'{{/비고}}' closes no section",
	    "close without open");
	is_str(e.where, "t.txt:3:4", "  at 3:4");
	is_str(bad("S: x\n\na\nb\n가나{{#이름}}x\n  {{/비고}}\n"),
	    "'{{/비고}}' closes '{{#이름}}' opened at 5:3; expected "
	    "'{{/이름}}'", "wrong close");
	is_str(e.where, "t.txt:6:3", "  at the close");
	is_str(bad("S: x\n\n가나다 {{이름\n}}"),
	    "unclosed tag '{{이름': expected '}}' on the same line",
	    "unclosed tag");
	is_str(e.where, "t.txt:3:5", "  at 3:5");
}

static void
test_tag_errors2(void)
{
	char deep[1024];
	size_t i, n = 0;

	like(bad("S: x\n\n{{! never closed\n"), "unclosed tag",
	    "unclosed comment");
	like(bad("S: x\n\nab{{}}"), "empty tag '{{}}'", "empty tag");
	is_str(e.where, "t.txt:3:3", "  at 3:3");
	like(bad("S: x\n\n{{  }}"), "empty tag", "blank tag");
	like(bad("S: x\n\n{{#}}{{/}}"), "empty tag '{{#}}'", "empty section");
	like(bad("S: x\n\n{{=<%%>=}}"), "malformed set-delimiter",
	    "one delimiter");
	like(bad("S: x\n\n{{=<% %>}}"), "malformed set-delimiter",
	    "missing '='");
	like(bad("S: x\n\n{{=<% %> x=}}"), "malformed set-delimiter",
	    "three delimiters");
	like(bad("S: x\n\n{{=a=b c=}}"), "malformed set-delimiter",
	    "'=' in a delimiter");
	like(bad("S: x\n\n{{=<% %>=}}<%/x%>"), "no '<%#x%>' is open",
	    "messages use the current delimiters");
	like(bad("S: x\n\n{{> footer}}"), "partials like '{{> footer}}' "
	    "are not supported", "partial");
	like(bad("S: x\n\n{{{name}}"), "unclosed triple mustache",
	    "unclosed triple");
	like(bad("S: x\n\n{{a {{b}}"), "'{{' inside the tag", "nested open");
	like(bad("Subject: 과제 {{/x}}\n\n"), "closes no section",
	    "error in a header");
	is_str(e.where, "t.txt:1:13", "  at 1:13");
	like(bad("Subject: 가\n  나 {{#x}}\n\nb"), "never closed",
	    "error in a folded header");
	is_str(e.where, "t.txt:2:5", "  at its line in the file");
	like(bad("Subject: {{#x}}\n\n{{/x}}"), "never closed",
	    "tags cannot span header and body");
	is_str(e.where, "t.txt:1:10", "  at the header's tag");
	like(bad("S: x\n\n{{/x}}"), "closes no section",
	    "a body close never matches a header open");
	n = (size_t)snprintf(deep, sizeof(deep), "S: x\n\n");
	for (i = 0; i < 33; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{{#a}}");
	like(bad(deep), "more than 32 deep", "nesting limit");
}

static void
test_bind(void)
{
	static const char *const two[] = { "이름", "점수" };
	char many[2048];
	const char *c[40];
	size_t i;

	is_str(badbind("S: x\n\n{{이룸}}", cols, NCOLS),
	    "no column '이룸' in the roster (did you mean '이름'?)",
	    "did you mean, Korean");
	is_str(e.where, "t.txt:3:1", "  at the tag");
	is_int(e.kind, E_INPUT, "  E_INPUT");
	like(badbind("S: x\n\nab {{Email}}", cols, NCOLS),
	    "(did you mean 'email'?)", "case");
	is_str(e.where, "t.txt:3:4", "  at 3:4");
	like(badbind("S: x\n\n{{e-mail}}", cols, NCOLS),
	    "(did you mean 'email'?)", "hyphen");
	like(badbind("S: x\n\n{{emial}}", cols, NCOLS),
	    "(did you mean 'email'?)", "swapped letters");
	like(badbind("S: x\n\n{{#비교}}x{{/비교}}", cols, NCOLS),
	    "no column '비교' in the roster (did you mean '비고'?)",
	    "section name");
	is_str(badbind("S: x\n\n{{학번}}", two, 2), "no column '학번' in the "
	    "roster; its columns are: 이름, 점수", "nothing close: list");
	like(badbind("To: {{mail}}\n\n{{zzz}}", cols, NCOLS),
	    "no column 'mail'", "first unknown in file order");
	is_str(e.where, "t.txt:1:5", "  in the header");
	like(badbind("S: x\n\n{{x}}", NULL, 0), "has no columns", "no columns");
	for (i = 0; i < 40; i++) {
		snprintf(many + i * 40, 40,
		    "column number %zu with a long name", i);
		c[i] = many + i * 40;
	}
	like(badbind("S: x\n\n{{zzzzzzzzzzzz}}", c, 40), "\xE2\x80\xA6",
	    "long list cut with an ellipsis");
	ok(strlen(e.msg) < ERR_MSG_MAX, "  and fits");
	ok(strstr(e.msg, "column number 0 with a long name") != NULL,
	    "  starting with the first column");
}

static void
test_use(void)
{
	struct template *t;

	t = tp("To: {{email}}\nSubject: {{이름}}\n\n{{이름}} {{점수}} "
	    "{{#비고}}{{비고}}{{/비고}}{{^empty}}-{{/empty}}\n");
	ok(t != NULL && template_bind(t, cols, NCOLS, &e) == 0, "binds");
	if (t == NULL)
		return;
	is_int(template_use(t, 12), TEMPLATE_USE_HEADER, "header only");
	is_int(template_use(t, 4), TEMPLATE_USE_HEADER | TEMPLATE_USE_TEXT,
	    "header and text");
	is_int(template_use(t, 6), TEMPLATE_USE_TEXT, "text only");
	is_int(template_use(t, 5), TEMPLATE_USE_TEXT | TEMPLATE_USE_SECTION,
	    "section and text");
	is_int(template_use(t, 2), TEMPLATE_USE_SECTION, "inverted");
	is_int(template_use(t, 0), 0, "unused");
	is_int(template_use(t, 99), 0, "out of range");
	template_free(t);
}

static void
test_render_errors(void)
{
	static const char *const v[] = { "a\r", "b\0c" };
	static const size_t l[] = { 2, 3 };
	static const char *const c[] = { "cr", "nul" };
	struct template *t;
	struct buf out;

	like(h0("Subject: [{{nl}}]\n\n", 0), "ERR nl: the value has a line "
	    "break, which would add a header line; headers take one-line "
	    "values", "LF refused in a header, naming the column");
	is_int(e.kind, E_INPUT, "  E_INPUT");
	t = tp("A: {{cr}}\nB: {{nul}}\n\n{{nul}}");
	ok(t != NULL && template_bind(t, c, 2, &e) == 0, "binds");
	buf_init(&out, 64);
	ok(template_render_header(t, 0, v, l, &out, &e) == -1, "CR refused");
	is_str(e.where, "cr", "  naming the column");
	ok(template_render_header(t, 1, v, l, &out, &e) == -1, "NUL refused");
	is_str(e.where, "nul", "  naming the column");
	like(e.msg, "NUL", "  saying NUL");
	buf_reset(&out);
	ok(template_render_body(t, v, l, TEMPLATE_RAW, &out, &e) == 0 &&
	    out.len == 3, "NUL passes in the body");
	buf_fini(&out);
	buf_init(&out, 4);
	ok(template_render_body(t, v, l, TEMPLATE_RAW, &out, &e) == 0,
	    "fits the cap");
	ok(template_render_body(t, v, l, TEMPLATE_RAW, &out, &e) == -1,
	    "passing the cap fails");
	like(e.msg, "limit of 4 bytes", "  saying the limit");
	buf_fini(&out);
	template_free(t);
	t = tp("\nx");
	buf_init(&out, 64);
	ok(t != NULL && template_render_body(t, vals, lens, TEMPLATE_RAW,
	    &out, &e) == -1 && e.kind == E_INTERNAL, "render before bind");
	buf_fini(&out);
	template_free(t);
}

/*
 * Render a template for a one-column row, v = value: header i, or the
 * body when i is SIZE_MAX.
 */
static const char *
pv(const char *value, const char *text, size_t i, enum template_escape esc)
{
	static const char *const c[] = { "v" };
	const char *v[] = { value };
	size_t l[] = { strlen(value) };
	struct template *t = tp(text);
	struct buf out;
	int rc;

	if (t == NULL || template_bind(t, c, 1, &e) == -1) {
		template_free(t);
		snprintf(got, sizeof(got), "ERR %s: %s", e.where, e.msg);
		return got;
	}
	buf_init(&out, 1024);
	if (i == SIZE_MAX)
		rc = template_render_body(t, v, l, esc, &out, &e);
	else
		rc = template_render_header(t, i, v, l, &out, &e);
	if (rc == -1)
		snprintf(got, sizeof(got), "ERR %s: %s", e.where, e.msg);
	else
		snprintf(got, sizeof(got), "%s", buf_str(&out));
	buf_fini(&out);
	template_free(t);
	return got;
}

/* The body "{{v}}<particle>" for value v. */
static const char *
pb(const char *value, const char *particle)
{
	char text[256];

	snprintf(text, sizeof(text), "\n{{v}}%s", particle);
	return pv(value, text, SIZE_MAX, TEMPLATE_RAW);
}

static void
test_particles(void)
{
	static const struct {
		const char *written, *cons, *vowel, *rieul;
	} pair[] = {
		{ "(은)는", "민준은", "하나는", "하늘은" },
		{ "은(는)", "민준은", "하나는", "하늘은" },
		{ "(이)가", "민준이", "하나가", "하늘이" },
		{ "이(가)", "민준이", "하나가", "하늘이" },
		{ "(을)를", "민준을", "하나를", "하늘을" },
		{ "을(를)", "민준을", "하나를", "하늘을" },
		{ "(과)와", "민준과", "하나와", "하늘과" },
		{ "과(와)", "민준과", "하나와", "하늘과" },
		{ "(으)로", "민준으로", "하나로", "하늘로" },
		{ "(이)여", "민준이여", "하나여", "하늘이여" },
		{ "(아)야", "민준아", "하나야", "하늘아" },
	};
	size_t i;

	for (i = 0; i < sizeof(pair) / sizeof(pair[0]); i++) {
		is_str(pb("민준", pair[i].written), pair[i].cons,
		    "%s after a final consonant", pair[i].written);
		is_str(pb("하나", pair[i].written), pair[i].vowel,
		    "%s after none", pair[i].written);
		is_str(pb("하늘", pair[i].written), pair[i].rieul,
		    "%s after a final ㄹ", pair[i].written);
	}
	is_str(pb("김민준", "(이)가 왔다"), "김민준이 왔다", "text after it");
	is_str(pb("이하나", "(이)가 왔다"), "이하나가 왔다",
	    "the issue's example");
	is_str(pb("가", "(이)가"), "가가", "first syllable 가");
	is_str(pb("힣", "(이)가"), "힣이", "last syllable 힣");
	is_str(pb("하나  ", "(이)가"), "하나  가", "trailing blanks ignored");
	is_str(pb("민준\n", "(이)가"), "민준\n이", "trailing line end ignored");
}

static void
test_particle_digits(void)
{
	static const char *const ga[] = {
		"0이", "1이", "2가", "3이", "4가", "5가", "6이", "7이", "8이",
		"9가"
	};
	static const char *const ro[] = {
		"0으로", "1로", "2로", "3으로", "4로", "5로", "6으로", "7로",
		"8로", "9로"
	};
	char v[2] = "0";
	size_t i;

	for (i = 0; i < 10; i++) {
		v[0] = (char)('0' + i);
		is_str(pb(v, "(이)가"), ga[i], "%s(이)가", v);
		is_str(pb(v, "(으)로"), ro[i], "%s(으)로", v);
	}
	is_str(pb("10", "(으)로"), "10으로", "10 (십) takes 으로");
	is_str(pb("2024", "(은)는"), "2024는", "by the last digit");
	is_str(pb("3.5", "(을)를"), "3.5를", "a decimal");
	is_str(pb("95점", "(이)가"), "95점이", "a syllable after digits");
}

static void
test_particle_kept(void)
{
	is_str(pb("Kim", "(이)가"), "Kim(이)가", "Latin keeps the form");
	is_str(pb("Kim", "은(는)"), "Kim은(는)", "  in both orders");
	is_str(pb("하나 Lee", "(이)가"), "하나 Lee(이)가", "  at the end only");
	is_str(pb("", "(이)가"), "(이)가", "empty keeps the form");
	is_str(pb("   ", "(이)가"), "   (이)가", "blanks only keep it");
	is_str(pb("ㅋㅋ", "(이)가"), "ㅋㅋ(이)가", "jamo keeps it");
	is_str(pb("東京", "(이)가"), "東京(이)가", "Han keeps it");
	is_str(pb("민준.", "(이)가"), "민준.(이)가", "punctuation keeps it");
	is_str(pb("민준", " (이)가"), "민준 (이)가", "a space between: text");
	is_str(pb("민준", "(이)가(이)가"), "민준이(이)가", "one particle only");
	is_str(pb("민준", "(이)"), "민준(이)", "half a form is text");
	is_str(pv("민준", "\n민준(이)가", SIZE_MAX, TEMPLATE_RAW),
	    "민준(이)가", "not after a tag: text");
	is_str(pv("민준", "\n{{#v}}(이)가{{/v}}", SIZE_MAX, TEMPLATE_RAW),
	    "(이)가", "after a section tag: text");
	is_str(pv("민준", "\n{{! c }}(이)가", SIZE_MAX, TEMPLATE_RAW),
	    "(이)가", "after a comment: text");
}

static void
test_particle_tags(void)
{
	is_str(pv("민준", "\n{{{v}}}(이)가", SIZE_MAX, TEMPLATE_RAW),
	    "민준이", "after {{{v}}}");
	is_str(pv("하나", "\n{{&v}}(을)를", SIZE_MAX, TEMPLATE_RAW),
	    "하나를", "after {{&v}}");
	is_str(pv("하나", "\n{{ v }}(을)를", SIZE_MAX, TEMPLATE_RAW),
	    "하나를", "after {{ v }}");
	is_str(pv("하나", "\n{{=<% %>=}}<%v%>(과)와", SIZE_MAX,
	    TEMPLATE_RAW), "하나와", "after changed delimiters");
	is_str(pv("민준", "\n{{#v}}{{v}}(은)는 {{/v}}끝", SIZE_MAX,
	    TEMPLATE_RAW), "민준은 끝", "inside a section");
	is_str(pv("", "\n{{#v}}{{v}}(은)는 {{/v}}끝", SIZE_MAX,
	    TEMPLATE_RAW), "끝", "  skipped with it");
	is_str(pv("", "\n{{^v}}{{v}}(은)는{{/v}}", SIZE_MAX, TEMPLATE_RAW),
	    "(은)는", "inside an inverted section");
	is_str(pv("<b>하나", "\n{{v}}(이)가", SIZE_MAX, TEMPLATE_HTML),
	    "&lt;b&gt;하나가", "HTML: the value escaped, the particle not");
	is_str(pv("하나<", "\n{{v}}(이)가", SIZE_MAX, TEMPLATE_HTML),
	    "하나&lt;(이)가", "HTML: decided by the raw value");
	is_str(pv("민준", "\n{{v}}(으)로\n{{v}}은(는)\n", SIZE_MAX,
	    TEMPLATE_HTML), "민준으로\n민준은\n", "HTML: two lines");
	is_str(pv("민준", "Subject: {{v}}(은)는 합격\n\n", 0, TEMPLATE_RAW),
	    "민준은 합격", "in a header");
	is_str(pv("하나", "From: a\nSubject: [공지] {{v}}님(이)가 {{v}}이(가)"
	    "\n\n", 1, TEMPLATE_RAW), "[공지] 하나님(이)가 하나가",
	    "in a header, only right after the tag");
	is_str(pv("하늘", "Subject: {{v}}\n (으)로\n\n", 0, TEMPLATE_RAW),
	    "하늘 (으)로", "a fold puts a space between: text");
}

static void
test_particle_switch(void)
{
	struct template *t;

	t = tp("X-Mailmerge-Particles: off\nSubject: {{v}}(이)가\n\n"
	    "{{v}}(이)가");
	is_int(t ? template_nheaders(t) : 99, 1, "the switch is no header");
	is_str(t ? template_header_name(t, 0) : NULL, "Subject",
	    "  the next one is header 0");
	is_int(t ? template_header_line(t, 0) : 0, 2, "  on line 2");
	template_free(t);
	is_str(pv("민준", "X-Mailmerge-Particles: off\nSubject: {{v}}(이)가"
	    "\n\n", 0, TEMPLATE_RAW), "민준(이)가",
	    "off: the header as written");
	is_str(pv("민준", "Subject: {{v}}(이)가\nx-mailmerge-particles: OFF"
	    "\n\n{{v}}은(는) {{v}}(으)로", SIZE_MAX, TEMPLATE_RAW),
	    "민준은(는) 민준(으)로", "off after Subject: the whole template");
	is_str(pv("민준", "Subject: {{v}}(이)가\nX-Mailmerge-Particles: Off"
	    "\n\n", 0, TEMPLATE_RAW), "민준(이)가",
	    "  the header before it too");
	is_str(pv("민준", "X-MAILMERGE-PARTICLES: on\nS: {{v}}(이)가\n\n",
	    0, TEMPLATE_RAW), "민준이", "on, any case");
	is_str(pv("민준", "X-Mailmerge-Particles:\n  off  \nS: {{v}}(이)가"
	    "\n\n", 0, TEMPLATE_RAW), "민준(이)가", "a folded switch");
	is_str(pv("민준", "S: x\n\nX-Mailmerge-Particles: off\n{{v}}(이)가",
	    SIZE_MAX, TEMPLATE_RAW), "X-Mailmerge-Particles: off\n민준이",
	    "in the body it is text");
	like(bad("S: x\nX-Mailmerge-Particles: no\n\n"), "X-Mailmerge-"
	    "Particles: expected 'on' or 'off', not 'no'", "invalid value");
	is_str(e.where, "t.txt:2:24", "  at its line:col");
	is_int(e.kind, E_INPUT, "  E_INPUT");
	like(bad("X-Mailmerge-Particles:\n {{v}}\n\n"), "not '{{v}}'",
	    "a tag is no value");
	is_str(e.where, "t.txt:2:2", "  at the folded value");
	like(bad("X-Mailmerge-Particles:\n\n"), "not ''", "empty value");
	is_str(e.where, "t.txt:1:23", "  after the colon");
	like(bad("X-Mailmerge-Particles: on\nX-Mailmerge-Particles: off\n\n"),
	    "given twice", "given twice");
	is_str(e.where, "t.txt:2:1", "  at the second");
}

static void
test_particle_switch_max(void)
{
	char many[4096];
	struct template *t;
	size_t i, n = 0;

	for (i = 0; i < TEMPLATE_HEADERS_MAX; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n,
		    "X-%zu: v\n", i);
	snprintf(many + n, sizeof(many) - n, "X-Mailmerge-Particles: off\n\n");
	t = tp(many);
	is_int(t ? template_nheaders(t) : 0, TEMPLATE_HEADERS_MAX,
	    "the switch does not count against the header limit");
	template_free(t);
}

static void
test_load(void)
{
	char path[] = "/tmp/test_template.XXXXXX";
	struct template *t = NULL;
	FILE *fp;
	int fd;

	fd = mkstemp(path);
	fp = fd == -1 ? NULL : fdopen(fd, "w");
	ok(fp != NULL, "temp file");
	if (fp == NULL)
		return;
	fputs(mail, fp);
	fclose(fp);
	ok(template_load(&t, path, &e) == 0, "template_load");
	is_str(t ? template_path(t) : NULL, path, "  path kept");
	is_int(t ? template_nheaders(t) : 0, 3, "  three headers");
	template_free(t);
	fp = fopen(path, "w");
	fputs("S: x\n\n{{#a}}", fp);
	fclose(fp);
	ok(template_load(&t, path, &e) == -1 && t == NULL, "bad file fails");
	ok(strncmp(e.where, path, strlen(path)) == 0 &&
	    strcmp(e.where + strlen(path), ":3:1") == 0, "  where is path:3:1");
	unlink(path);
	ok(template_load(&t, path, &e) == -1, "missing file fails");
	is_int(e.kind, E_NOINPUT, "  E_NOINPUT");
	is_str(e.where, path, "  where is the path");
	like(e.msg, "No such file", "  with the reason");
	ok(template_load(&t, "/tmp", &e) == -1 && e.kind == E_NOINPUT,
	    "a directory fails");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < NCOLS; i++)
		lens[i] = strlen(vals[i]);
	test_interpolation();
	test_sections();
	test_standalone();
	test_comments();
	test_delimiters();
	test_headers();
	test_header_block();
	test_header_errors();
	test_tag_errors();
	test_tag_errors2();
	test_bind();
	test_use();
	test_render_errors();
	test_load();
	test_particles();
	test_particle_digits();
	test_particle_kept();
	test_particle_tags();
	test_particle_switch();
	test_particle_switch_max();
	return tap_done();
}
