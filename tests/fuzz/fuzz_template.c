/*
 * libFuzzer harness for template.c: parse the input as a template, bind
 * it to a fixed column list and render every header and the body for
 * fixed rows.  Properties: a rendered header is one line (no CR, LF or
 * NUL, whatever the values hold: a value with a line break is refused,
 * never passed through); rendering is valid UTF-8 when the values are;
 * an error record is printable.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "template.h"

#include "fuzz.h"

#define NCOLS	(sizeof(cols) / sizeof(cols[0]))
#define OUT_CAP	(4 * 1024 * 1024)

static const char *const cols[] = {
	"이름", "email", "점수", "비고", "학번", "a", "b"
};
/* Plain values; values with line breaks; empty values (sections off). */
static const char *const plain[] = {
	"홍길동", "hong@example.com", "95", "지각 1회", "20240001", "A", "<b>&"
};
static const char *const broken[] = {
	"홍\n길동", "hong@example.com\r\nBcc: x@example.com", "9\r5",
	"line 1\nline 2", "\r", "A\n", "\n"
};
static const char *const empty[] = { "", "", "", "", "", "", "" };

static void
lens_of(const char *const *vals, size_t *lens)
{
	size_t i;

	for (i = 0; i < NCOLS; i++)
		lens[i] = strlen(vals[i]);
}

static void
render_headers(const struct template *t, const char *const *vals,
    bool clean)
{
	size_t lens[NCOLS], i;
	struct buf out;
	struct err e;
	int rc;

	lens_of(vals, lens);
	buf_init(&out, OUT_CAP);
	for (i = 0; i < template_nheaders(t); i++) {
		buf_reset(&out);
		err_clear(&e);
		CHECK(template_header_name(t, i) != NULL, "header %zu name", i);
		rc = template_render_header(t, i, vals, lens, &out, &e);
		if (rc == -1) {
			CHECK(!clean, "header %zu refused clean values: %s: %s",
			    i, e.where, e.msg);
			CHECK(e.kind == E_INPUT, "kind %d", e.kind);
			CHECK_ERR(&e);
			continue;
		}
		CHECK(rc == 0, "rc %d", rc);
		CHECK(memchr(out.data ? out.data : "", '\r', out.len) == NULL &&
		    memchr(out.data ? out.data : "", '\n', out.len) == NULL &&
		    memchr(out.data ? out.data : "", '\0', out.len) == NULL,
		    "header %zu (%s) rendered with CR, LF or NUL: \"%s\"", i,
		    template_header_name(t, i), buf_str(&out));
		CHECK(fuzz_utf8_valid(buf_str(&out), out.len),
		    "header %zu not UTF-8", i);
	}
	buf_fini(&out);
}

static void
render_body(const struct template *t, const char *const *vals,
    enum template_escape esc)
{
	size_t lens[NCOLS];
	struct buf out;
	struct err e;
	int rc;

	lens_of(vals, lens);
	buf_init(&out, OUT_CAP);
	err_clear(&e);
	rc = template_render_body(t, vals, lens, esc, &out, &e);
	if (rc == -1)
		CHECK_ERR(&e);
	else
		CHECK(fuzz_utf8_valid(buf_str(&out), out.len),
		    "body not UTF-8");
	buf_fini(&out);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct template *t;
	struct err e;
	size_t i;

	err_clear(&e);
	if (template_parse(&t, "fuzz.txt", (const char *)data, size,
	    &e) == -1) {
		CHECK(t == NULL, "failed parse left a template");
		CHECK(e.kind != E_NONE, "failed parse, no error kind");
		CHECK_ERR(&e);
		return 0;
	}
	CHECK(template_nheaders(t) <= TEMPLATE_HEADERS_MAX, "nheaders");
	err_clear(&e);
	if (template_bind(t, cols, NCOLS, &e) == -1) {
		CHECK_ERR(&e);
		template_free(t);
		return 0;
	}
	for (i = 0; i < NCOLS; i++)
		CHECK(template_use(t, i) < 8, "use %u", template_use(t, i));
	render_headers(t, plain, true);
	render_headers(t, empty, true);
	render_headers(t, broken, false);
	render_body(t, plain, TEMPLATE_RAW);
	render_body(t, plain, TEMPLATE_HTML);
	render_body(t, broken, TEMPLATE_RAW);
	render_body(t, empty, TEMPLATE_HTML);
	template_free(t);
	return 0;
}
