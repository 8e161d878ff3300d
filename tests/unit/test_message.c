/*
 * Unit tests of message.c: exact output, RFC 2047 encoding checked by
 * a C decoder here and by Python's email package (check_message.py,
 * run through system(); a failing checker fails the test), recipient
 * parsing, every error case, body normalisation, transfer encodings,
 * Date and Message-ID.
 */
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "err.h"
#include "message.h"
#include "tap.h"

#define T_NOV26	1795677600	/* Thu, 26 Nov 2026 07:20:00 UTC */
#define HMAX	16

static struct message msg;
static struct err err;
static struct message_header hdrs[HMAX];
static size_t nhdr;
static struct message_params par;

static struct message chk;	/* par built, its contents counted */
static size_t disagree;		/* cases where it differs from the build */

/*
 * Whether the counted build is the built one but the parts' contents:
 * as long once what was counted is added, its headers the same.
 */
static bool
same_text(void)
{
	if (chk.text.len + chk.counted != msg.text.len)
		return false;
	return par.natt + par.nimg + (par.html != NULL) > 0 ||
	    (chk.text.len > 0 && memcmp(chk.text.data, msg.text.data,
	    chk.text.len) == 0);
}

/* Whether the counted build gave what the build did, as it must. */
static bool
check_agrees(int rc, int crc, const struct err *ce)
{
	size_t i;

	if (rc != crc)
		return false;
	if (rc == -1)
		return ce->kind == err.kind && strcmp(ce->where,
		    err.where) == 0 && strcmp(ce->msg, err.msg) == 0 &&
		    chk.nrcpt == 0;
	if (chk.nrcpt != msg.nrcpt || strcmp(chk.from, msg.from) != 0 ||
	    chk.utf8_addr != msg.utf8_addr || chk.eightbit != msg.eightbit ||
	    strcmp(chk.msgid, msg.msgid) != 0 ||
	    !same_text())
		return false;
	for (i = 0; i < msg.nrcpt; i++)
		if (strcmp(message_rcpt(&chk, i), message_rcpt(&msg, i)) != 0)
			return false;
	return true;
}

/* The files of a without their contents, as a validation pass has them. */
static void
unread(struct message_attachment *out, const struct message_attachment *a,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[i] = a[i];
		out[i].data = NULL;
		out[i].b64 = NULL;
		out[i].b64_len = 0;
	}
}

/*
 * message_build(&msg, &par, &err), after the build of the same params
 * with the contents counted (p->count_only); every test so checks that
 * the two agree.
 */
static int
build(void)
{
	struct message_attachment ua[HMAX], ui[HMAX];
	struct message_params up = par;
	struct err ce;
	int crc, rc;

	unread(ua, par.att, par.natt);
	unread(ui, par.img, par.nimg);
	up.att = ua;
	up.img = ui;
	up.count_only = true;
	crc = message_build(&chk, &up, &ce);
	rc = message_build(&msg, &par, &err);
	if (!check_agrees(rc, crc, &ce)) {
		printf("# the counted build disagrees: rc %d/%d, '%s: %s'\n",
		    crc, rc, ce.where, ce.msg);
		disagree++;
	}
	return rc;
}

/* Start a new set of params: t0 headers follow via hdr(). */
static void
reset(const char *body)
{
	nhdr = 0;
	memset(&par, 0, sizeof(par));
	par.hdr = hdrs;
	par.body = body;
	par.body_len = body != NULL ? strlen(body) : 0;
	par.date = T_NOV26;
	par.msgid_left = "20261126.abc";
	par.allow_8bit = true;
}

static void
hdr(const char *name, const char *value)
{
	hdrs[nhdr].name = name;
	hdrs[nhdr].value = value;
	hdrs[nhdr].len = strlen(value);
	nhdr++;
	par.nhdr = nhdr;
}

/* A basic message: From, To, Subject as given. */
static int
build3(const char *from, const char *to, const char *subject,
    const char *body)
{
	reset(body);
	if (from != NULL)
		hdr("From", from);
	if (to != NULL)
		hdr("To", to);
	if (subject != NULL)
		hdr("Subject", subject);
	return build();
}

/* The raw value of header name in text, unfolded; "" if absent. */
static const char *
raw_header(const char *text, const char *name, struct buf *out)
{
	size_t nlen = strlen(name);
	const char *p = text, *end = strstr(text, "\r\n\r\n");

	buf_reset(out);
	while (p != NULL && p < end) {
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			p += nlen + 1;
			while (p < end && !(p[0] == '\r' && p[2] != ' ' &&
			    p[2] != '\t'))
				p += p[0] == '\r' ? 2 : (buf_addc(out, *p), 1);
			return buf_str(out);
		}
		p = strstr(p, "\r\n");
		p = p != NULL ? p + 2 : NULL;
	}
	return buf_str(out);
}

static int
is_ew(const char *s, size_t n)
{
	return n >= 12 && strncmp(s, "=?UTF-8?B?", 10) == 0 &&
	    strncmp(s + n - 2, "?=", 2) == 0;
}

static int
utf8_valid(const char *s, size_t n)
{
	size_t i = 0, k, j;
	unsigned char c;

	while (i < n) {
		c = (unsigned char)s[i];
		k = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 :
		    c >= 0xc2 ? 2 : 0;
		if (k == 0 || i + k > n)
			return 0;
		for (j = 1; j < k; j++)
			if (((unsigned char)s[i + j] & 0xc0) != 0x80)
				return 0;
		i += k;
	}
	return 1;
}

/*
 * Decode unfolded unstructured text as RFC 2047 §6.2 says: white space
 * between two encoded-words goes.  Returns 0, or -1 if an encoded-word
 * is longer than 75, bad base64, or its text alone is not UTF-8.
 */
static int
decode_text(const char *s, struct buf *out)
{
	size_t ws, w, n0;
	int prev_ew = 0;

	buf_reset(out);
	while (*s == ' ' || *s == '\t')
		s++;
	while (*s != '\0') {
		ws = strspn(s, " \t");
		w = strcspn(s + ws, " \t");
		if (!(prev_ew && w > 0 && is_ew(s + ws, w)))
			buf_add(out, s, ws);
		s += ws;
		if (w == 0)
			break;
		prev_ew = is_ew(s, w);
		if (prev_ew) {
			n0 = out->len;
			if (w > 75 ||
			    codec_unbase64(out, s + 10, w - 12) == -1 ||
			    !utf8_valid(out->data + n0, out->len - n0))
				return -1;
		} else
			buf_add(out, s, w);
		s += w;
	}
	return 0;
}

/* Longest header line, and whether all lines are CRLF-ended < 998. */
static size_t
check_lines(const char *text, int *good)
{
	const char *p = text, *eol, *end = strstr(text, "\r\n\r\n");
	size_t max = 0;

	*good = 1;
	while (*p != '\0') {
		eol = strstr(p, "\r\n");
		if (eol == NULL || memchr(p, '\n', eol - p) != NULL ||
		    memchr(p, '\r', eol - p) != NULL || eol - p >= 998) {
			*good = 0;
			return max;
		}
		if (p < end && (size_t)(eol - p) > max)
			max = eol - p;
		p = eol + 2;
	}
	return max;
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/*
 * Run check_message.py on msg.text with the JSON expectation built by
 * the caller in json (a complete object).  1 if it passed.
 */
static int
py_check(const char *json)
{
	char mpath[] = "/tmp/test_message.XXXXXX";
	char jpath[] = "/tmp/test_message.XXXXXX";
	char cmd[1024], dir[512];
	const char *py = getenv("PYTHON"), *slash;
	int fm, fj, rc;

	slash = strrchr(__FILE__, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - __FILE__) :
	    1, slash ? __FILE__ : ".");
	fm = mkstemp(mpath);
	fj = mkstemp(jpath);
	if (fm == -1 || fj == -1)
		return 0;
	rc = write(fm, msg.text.data, msg.text.len) == (ssize_t)msg.text.len &&
	    write(fj, json, strlen(json)) == (ssize_t)strlen(json);
	close(fm);
	close(fj);
	snprintf(cmd, sizeof(cmd), "%s %s/check_message.py %s %s",
	    py != NULL ? py : "/usr/bin/python3", dir, mpath, jpath);
	if (rc)
		rc = system(cmd);
	else
		rc = -1;
	unlink(mpath);
	unlink(jpath);
	return rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

/* JSON {"headers": {name: value}, "body": body} for py_check(). */
static int
py_check_header(const char *name, const char *value, const char *body)
{
	char *s;
	size_t n;
	FILE *f = open_memstream(&s, &n);
	int rc;

	fputs("{\"headers\": {", f);
	json_str(f, name);
	fputs(": ", f);
	json_str(f, value);
	fputs("}", f);
	if (body != NULL) {
		fputs(", \"body\": ", f);
		json_str(f, body);
	}
	fputs("}", f);
	fclose(f);
	rc = py_check(s);
	free(s);
	return rc;
}

static void
test_exact_ascii(void)
{
	const char *want =
	    "From: Kim Minsu <kim@example.com>\r\n"
	    "To: lee@example.org\r\n"
	    "Subject: Midterm results\r\n"
	    "X-Course: cs101\r\n"
	    "Date: Thu, 26 Nov 2026 16:20:00 +0900\r\n"
	    "Message-ID: <20261126.abc@example.com>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "\r\n"
	    "Hello Lee,\r\n"
	    "\r\n"
	    "Your score: 93.\r\n";

	reset("Hello Lee,\n\nYour score: 93.\n");
	hdr("from", "Kim Minsu <kim@example.com>");
	hdr("TO", "lee@example.org");
	hdr("subject", "Midterm results");
	hdr("X-Course", "cs101");
	is_int(build(), 0, "ascii: builds");
	is_str(buf_str(&msg.text), want, "ascii: exact text");
	is_str(msg.from, "kim@example.com", "ascii: from");
	is_str(msg.msgid, "<20261126.abc@example.com>", "ascii: msgid");
	is_int(msg.nrcpt, 1, "ascii: one rcpt");
	is_str(message_rcpt(&msg, 0), "lee@example.org", "ascii: rcpt 0");
	ok(message_rcpt(&msg, 1) == NULL, "ascii: no rcpt 1");
	ok(!msg.eightbit && !msg.utf8_addr, "ascii: no 8bit, no utf8 addr");
	ok(py_check("{\"addresses\": {\"From\": [[\"Kim Minsu\", "
	    "\"kim@example.com\"]]}, \"body\": \"Hello Lee,\\n\\nYour "
	    "score: 93.\\n\"}"), "ascii: python agrees");
}

/* Build with subject s; check folding, word sizes and decoding. */
static void
subject_roundtrip(const char *s, const char *label, int python)
{
	struct buf raw, dec;
	size_t max;
	int good;

	buf_init(&raw, 1 << 20);
	buf_init(&dec, 1 << 20);
	if (!ok(build3("a@example.com", "b@example.com", s, "x\n") == 0,
	    "%s: builds", label))
		printf("# %s\n", err.msg);
	max = check_lines(buf_str(&msg.text), &good);
	ok(good, "%s: CRLF lines < 998", label);
	ok(max <= 78, "%s: header lines <= 78 (%zu)", label, max);
	raw_header(buf_str(&msg.text), "Subject", &raw);
	ok(decode_text(buf_str(&raw), &dec) == 0, "%s: words <= 75 and "
	    "each decodes to whole characters", label);
	is_str(buf_str(&dec), s, "%s: decodes back", label);
	if (python)
		ok(py_check_header("Subject", s, NULL), "%s: python decodes "
		    "it back", label);
	buf_fini(&raw);
	buf_fini(&dec);
}

static void
test_subjects(void)
{
	char big[4096];
	size_t i;

	subject_roundtrip("[공지] 중간고사 안내 - 3월 15일", "korean", 1);
	big[0] = '\0';
	for (i = 0; i < 200; i++)
		strcat(big, i % 3 ? "가" : "힣");
	subject_roundtrip(big, "200 hangul", 1);
	big[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(big, i % 2 ? "김민수  " : "score ");
	subject_roundtrip(big, "mixed, double spaces", 1);
	subject_roundtrip("Hello   이승현 님,\t성적  안내", "spaces, tab", 1);
	subject_roundtrip("about =?UTF-8?B?QQ==?= words", "ascii =?", 1);
	subject_roundtrip("  leading and trailing  ", "edge spaces", 1);
	subject_roundtrip("Re: 😀 emoji 🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉",
	    "4-octet", 1);
	subject_roundtrip("plain ascii subject that is long enough to need "
	    "folding at some white space somewhere near here", "fold", 1);
	memset(big, 'x', 3000);
	big[3000] = '\0';
	subject_roundtrip(big, "3000-octet word", 1);
	memset(big, ' ', 2000);
	strcpy(big + 2000, "a b");
	memset(big + 1000, 'y', 10);
	subject_roundtrip(big, "long white space", 1);
	subject_roundtrip("é", "one char", 0);
	subject_roundtrip("bell\a char", "control", 1);
}

/* Each Korean subject length at each column: a sweep, C decoder only. */
static void
test_subject_sweep(void)
{
	char s[1024], label[64];
	size_t n, fails = 0;
	struct buf raw, dec;
	int good;

	buf_init(&raw, 1 << 20);
	buf_init(&dec, 1 << 20);
	s[0] = '\0';
	for (n = 0; n < 120; n++) {
		strcat(s, n % 7 == 3 ? " a" : n % 5 ? "한" : "é");
		snprintf(label, sizeof(label), "sweep %zu", n);
		if (build3("a@example.com", "b@example.com", s, "") != 0 ||
		    check_lines(buf_str(&msg.text), &good) > 78 || !good ||
		    decode_text(raw_header(buf_str(&msg.text), "Subject",
		    &raw), &dec) != 0 || strcmp(buf_str(&dec), s) != 0)
			fails++;
	}
	is_int(fails, 0, "sweep: 120 lengths fold, fit and decode back");
	buf_fini(&raw);
	buf_fini(&dec);
}

static void
test_display_names(void)
{
	build3("강사 <t@example.com>", "이승현 <x@gmail.com>", "hi", "x\n");
	like(buf_str(&msg.text), "\r\nTo: =?UTF-8?B?7J207Iq57ZiE?= "
	    "<x@gmail.com>\r\n", "name: korean name encoded alone");
	like(buf_str(&msg.text), "From: =?UTF-8?B?6rCV7IKs?= "
	    "<t@example.com>\r\n", "name: korean From");
	ok(py_check("{\"addresses\": {\"To\": [[\"이승현\", "
	    "\"x@gmail.com\"]], \"From\": [[\"강사\", \"t@example.com\"]]}}"),
	    "name: python parses name and address");
	build3("a@example.com", "\"Kim, Minsu\" <kim@example.com>, "
	    "Lee <lee@example.com>, Dr. Park <p@example.com>, "
	    "\"Say \\\"hi\\\"\" <q@example.com>", "hi", "x\n");
	like(buf_str(&msg.text), "To: \"Kim, Minsu\" <kim@example.com>, "
	    "Lee <lee@example.com>,\r\n \"Dr. Park\" <p@example.com>, "
	    "\"Say \\\"hi\\\"\" <q@example.com>\r\n",
	    "name: quoted names, fold after a comma");
	is_int(msg.nrcpt, 4, "name: four rcpts");
	is_str(message_rcpt(&msg, 3), "q@example.com", "name: rcpt 3");
	ok(py_check("{\"addresses\": {\"To\": [[\"Kim, Minsu\", "
	    "\"kim@example.com\"], [\"Lee\", \"lee@example.com\"], "
	    "[\"Dr. Park\", \"p@example.com\"], [\"Say \\\"hi\\\"\", "
	    "\"q@example.com\"]]}}"), "name: python agrees");
	build3("a@example.com", "=?UTF-8?B?QQ==?= <r@example.com>", "x", "");
	ok(py_check("{\"addresses\": {\"To\": [[\"=?UTF-8?B?QQ==?=\", "
	    "\"r@example.com\"]]}}"), "name: ascii =? name survives");
}

static void
test_recipients(void)
{
	reset("x\n");
	hdr("Cc", "B@example.com, c@example.com");
	hdr("From", "me@example.com");
	hdr("Bcc", "secret@example.net, A@EXAMPLE.COM");
	hdr("To", "a@example.com, \"Bee\" <b@example.com>");
	is_int(build(), 0, "rcpt: builds");
	is_int(msg.nrcpt, 4, "rcpt: four after dedupe");
	is_str(message_rcpt(&msg, 0), "a@example.com", "rcpt: To first");
	is_str(message_rcpt(&msg, 1), "b@example.com", "rcpt: To second");
	is_str(message_rcpt(&msg, 2), "c@example.com", "rcpt: then Cc");
	is_str(message_rcpt(&msg, 3), "secret@example.net", "rcpt: Bcc");
	ok(strstr(buf_str(&msg.text), "secret") == NULL, "rcpt: Bcc address "
	    "not in text");
	ok(strstr(buf_str(&msg.text), "Bcc") == NULL, "rcpt: no Bcc header");
	like(buf_str(&msg.text), "Cc: B@example.com, c@example.com\r\n"
	    "From: me@example.com\r\nTo: ", "rcpt: template order kept");
	ok(py_check("{\"absent\": [\"Bcc\"], \"addresses\": {\"Cc\": "
	    "[[\"\", \"B@example.com\"], [\"\", \"c@example.com\"]]}}"),
	    "rcpt: python agrees");
	reset("x\n");
	hdr("From", "me@example.com");
	hdr("Bcc", "only@example.com");
	hdr("Cc", "  ,  ");
	is_int(build(), 0, "rcpt: Bcc only builds");
	ok(strstr(buf_str(&msg.text), "Cc:") == NULL &&
	    strstr(buf_str(&msg.text), "\r\nTo: undisclosed-recipients:;\r\n")
	    != NULL, "rcpt: empty Cc left out, To is the empty group");
	is_str(message_rcpt(&msg, 0), "only@example.com", "rcpt: Bcc only");
}

static void
test_many_recipients(void)
{
	static char list[200 * 32];
	size_t i, max;
	int good;

	list[0] = '\0';
	for (i = 0; i < 100; i++)
		sprintf(list + strlen(list), "%s학생%zu <s%zu@example.com>",
		    i ? ", " : "", i, i);
	is_int(build3("a@example.com", list, "x", ""), 0, "100 rcpts: ok");
	is_int(msg.nrcpt, 100, "100 rcpts: counted");
	max = check_lines(buf_str(&msg.text), &good);
	ok(good && max <= 78, "100 rcpts: folded to <= 78 (%zu)", max);
	strcat(list, ", S5@EXAMPLE.com");
	is_int(build3("a@example.com", list, "x", ""), 0, "100 + dup: ok");
	strcat(list, ", s100@example.com");
	is_int(build3("a@example.com", list, "x", ""), -1, "101 rcpts: fail");
	is_int(err.kind, E_INPUT, "101 rcpts: E_INPUT");
	is_str(err.where, "To", "101 rcpts: where To");
	like(err.msg, "more than 100 recipients", "101 rcpts: says why");
	is_int(msg.text.len, 0, "101 rcpts: text reset on failure");
}

static void
bad_to(const char *to, const char *msgtext)
{
	is_int(build3("a@example.com", to, "x", ""), -1, "bad '%s' fails",
	    to);
	ok(err.kind == E_INPUT && strcmp(err.where, "To") == 0,
	    "bad '%s': E_INPUT at To", to);
	if (msgtext != NULL)
		is_str(err.msg, msgtext, "bad '%s': message", to);
}

static void
test_bad_addresses(void)
{
	bad_to("kim@", "'kim@' is not a valid address: expected name@domain");
	bad_to("@example.com", NULL);
	bad_to("kim", "'kim' is not a valid address: expected name@domain");
	bad_to("kim@localhost", "'kim@localhost' is not a valid address: "
	    "the domain needs a dot, as in name@example.com");
	bad_to("kim@@example.com", NULL);
	bad_to("kim@example..com", NULL);
	bad_to("kim@-example.com", NULL);
	bad_to("kim@exa_mple.com", NULL);
	bad_to("kim@example.com.", NULL);
	bad_to(".kim@example.com", NULL);
	bad_to("kim..lee@example.com", NULL);
	bad_to("kim lee@example.com", NULL);
	bad_to("Kim <kim@example.com", NULL);
	bad_to("Kim kim@example.com>", NULL);
	bad_to("<<kim@example.com>>", NULL);
	bad_to("Kim <kim@example.com> extra", NULL);
	bad_to("Kim <a@example.com> <b@example.com>", NULL);
	bad_to("Kim, Lee <lee@example.com>", "'Kim' is not a valid address: "
	    "expected name@domain");
	bad_to("Ki\"m <k@example.com>", NULL);
	bad_to("\"unterminated <k@example.com>", NULL);
	bad_to("<>", NULL);
	bad_to("kim@[1.2.3.4", NULL);
	bad_to("a@b.com, kim@", "'kim@' is not a valid address: expected "
	    "name@domain");
	bad_to("", "no recipient: To, Cc and Bcc hold no address");
	is_int(build3("a@example.com", "\"kim lee\"@example.com, "
	    "x@[192.0.2.1], o'neil+tag@sub.example.co.kr", "x", ""), 0,
	    "good: quoted local, literal, atext");
	is_int(msg.nrcpt, 3, "good: three");
	is_str(message_rcpt(&msg, 0), "\"kim lee\"@example.com",
	    "good: quoted local part kept");
	is_int(build3("a@example.com", "사용자@예시.한국", "x", ""), 0,
	    "utf8 address builds");
	ok(msg.utf8_addr, "utf8 address sets utf8_addr");
	like(buf_str(&msg.text), "To: 사용자@xn--vv4b11d.xn--3e0b707e\r\n",
	    "utf8 local part raw, the domain as IDNA A-labels");
}

static int
collect(void *arg, const char *name, size_t nlen, const char *addr,
    size_t alen)
{
	struct buf *b = arg;

	buf_addf(b, "[%.*s|%.*s]", (int)nlen, name, (int)alen, addr);
	return 0;
}

static void
test_parse_addrs(void)
{
	struct buf b;
	struct err e;
	const char *s = "\"Kim \\\"K\\\" Lee\" <k@example.com>,x@example.com,"
	    " <y@example.com> , 이 승현 <z@example.com>,";

	buf_init(&b, 4096);
	is_int(message_parse_addrs(s, strlen(s), collect, &b, &e), 0,
	    "parse: ok");
	is_str(buf_str(&b), "[Kim \"K\" Lee|k@example.com][|x@example.com]"
	    "[|y@example.com][이 승현|z@example.com]", "parse: mailboxes");
	buf_reset(&b);
	is_int(message_parse_addrs("a@example.com\r\nBcc: x@y.com", 27,
	    collect, &b, &e), -1, "parse: CRLF refused");
	like(e.msg, "line break", "parse: says line break");
	is_int(message_parse_addrs("a@exa\0mple.com", 14, collect, &b, &e),
	    -1, "parse: NUL refused");
	is_int(message_parse_addrs("a@example.com", 13, collect, &b, &e), 0,
	    "parse: no where needed");
	buf_fini(&b);
}

static void
test_from(void)
{
	is_int(build3(NULL, "b@example.com", "x", ""), -1, "no From: fails");
	is_int(err.kind, E_INPUT, "no From: E_INPUT");
	is_str(err.where, "From", "no From: where From");
	reset("");
	hdr("To", "b@example.com");
	par.from_default = "기본 <dflt@example.net>";
	is_int(build(), 0, "default From: builds");
	is_str(msg.from, "dflt@example.net", "default From: from");
	like(buf_str(&msg.text), "To: b@example.com\r\nFrom: "
	    "=?UTF-8?B?6riw67O4?= <dflt@example.net>\r\nDate: ",
	    "default From: added after the template's headers");
	is_str(msg.msgid, "<20261126.abc@example.net>", "default From: msgid");
	is_int(build3("a@example.com, b@example.com", "b@example.com", "x",
	    ""), -1, "two From: fails");
	is_str(err.where, "From", "two From: where From");
	is_int(build3("", "b@example.com", "x", ""), -1, "empty From: fails");
	is_int(build3("kim@", "b@example.com", "x", ""), -1, "bad From: fails");
	is_str(err.msg, "'kim@' is not a valid address: expected name@domain",
	    "bad From: message");
	is_str(err.where, "From", "bad From: where From");
	par.msgid_left = "bad id";
	reset("");
	hdr("From", "a@example.com");
	hdr("To", "b@example.com");
	par.msgid_left = "has space";
	is_int(build(), -1, "bad msgid_left fails");
	is_str(err.where, "Message-ID", "bad msgid_left: where");
}

static void
bad_header(const char *name, const char *value, const char *where,
    const char *why)
{
	reset("");
	hdr("From", "a@example.com");
	hdr("To", "b@example.com");
	hdr(name, value);
	is_int(build(), -1, "header %s fails", name);
	ok(err.kind == E_INPUT, "header %s: E_INPUT", name);
	is_str(err.where, where, "header %s: where", name);
	like(err.msg, why, "header %s: why", name);
}

static void
test_bad_headers(void)
{
	bad_header("Date", "Thu, 1 Jan 2026 00:00:00 +0000", "Date",
	    "generated");
	bad_header("message-id", "<x@y.com>", "Message-ID", "generated");
	bad_header("MIME-Version", "1.0", "MIME-Version", "generated");
	bad_header("Content-Type", "application/pdf", "Content-Type",
	    "not a body");
	bad_header("Content-Type", "text/html; charset=EUC-KR", "Content-Type",
	    "not a body");
	bad_header("Content-Disposition", "inline", "Content-Disposition",
	    "generated");
	bad_header("content-transfer-encoding", "8bit",
	    "content-transfer-encoding", "generated");
	bad_header("Subject", "a\r\nBcc: x@evil.com", "Subject", "line break");
	bad_header("Subject", "a\nb", "Subject", "line break");
	bad_header("X-Note", "a\rb", "X-Note", "line break");
	bad_header("Subject", "caf\xe9", "Subject", "UTF-8");
	bad_header("Subject", "\xed\xa0\x80", "Subject", "UTF-8");
	bad_header("Subject", "\xc0\xaf", "Subject", "UTF-8");
	bad_header("To", "c@example.com", "To", "twice");
	bad_header("Bad Name", "x", "Bad Name", "header name");
	bad_header("", "x", "", "header name");
	bad_header("References", "<a@b.c> 김", "References", "non-ASCII");
	reset("");
	hdr("From", "a@example.com");
	hdr("To", "b@example.com");
	hdrs[1].len = 15;
	hdrs[1].value = "b@example.com\0x";
	is_int(build(), -1, "NUL in value fails");
	like(err.msg, "NUL", "NUL in value: says NUL");
}

static const char *
body_of(const char *body, bool allow8)
{
	const char *p;

	reset(body);
	par.allow_8bit = allow8;
	hdr("From", "a@example.com");
	hdr("To", "b@example.com");
	if (build() != 0)
		return "(failed)";
	p = strstr(buf_str(&msg.text), "\r\n\r\n");
	return p != NULL ? p + 4 : "(no body)";
}

/* Longest line of text, without CRLF. */
static size_t
max_line(const char *s, size_t n)
{
	size_t i, start = 0, max = 0;

	for (i = 0; i + 1 < n; i++)
		if (s[i] == '\r' && s[i + 1] == '\n') {
			max = i - start > max ? i - start : max;
			start = i + 2;
		}
	return max;
}

static void
test_body(void)
{
	is_str(body_of("a\nb\r\nc\rd", 1), "a\r\nb\r\nc\r\nd\r\n",
	    "body: LF, CRLF, CR mixed, final CRLF added");
	is_str(body_of("a\r\r\n\n", 1), "a\r\n\r\n\r\n", "body: CR CRLF LF");
	is_str(body_of("x\r\n", 1), "x\r\n", "body: CRLF end not doubled");
	is_str(body_of("", 1), "", "body: empty stays empty");
	is_str(body_of("\n\n", 1), "\r\n\r\n", "body: blank lines");
	like(buf_str(&msg.text), "Transfer-Encoding: 7bit\r\n", "cte: 7bit");
	is_str(body_of("안녕하세요\n", 1), "7JWI64WV7ZWY7IS47JqUDQo=\r\n",
	    "body: Korean text as base64, shorter than quoted-printable");
	like(buf_str(&msg.text), "Transfer-Encoding: base64\r\n",
	    "cte: base64, never 8bit (12.8)");
	ok(!msg.eightbit, "cte: the message never needs 8BITMIME");
	is_str(body_of("Score = 9 점 \n.dot\nFrom me\n", 1),
	    "Score =3D 9 =EC=A0=90=20\r\n=2Edot\r\n=46rom me\r\n",
	    "body: mostly ASCII as quoted-printable (=, non-ASCII, trailing "
	    "space, leading '.' and 'From ')");
	like(buf_str(&msg.text), "Transfer-Encoding: quoted-printable\r\n",
	    "cte: quoted-printable when shorter");
	{
		char line[300];

		memset(line, 'a', 200);
		memcpy(line + 200, "é\n", 4);
		body_of(line, 1);
		ok(max_line(msg.text.data, msg.text.len) <= 76,
		    "quoted-printable lines within 76 characters");
		like(buf_str(&msg.text), "a=\r\na", "soft line breaks");
	}
	is_str(body_of("안녕하세요\nbye", 0), "7JWI64WV7ZWY7IS47JqUDQpieWUNCg=="
	    "\r\n", "body: base64 of the CRLF text");
	like(buf_str(&msg.text), "Transfer-Encoding: base64\r\n",
	    "cte: base64 without allow_8bit");
	ok(!msg.eightbit, "cte: base64 is not eightbit");
	ok(py_check("{\"body\": \"안녕하세요\\nbye\\n\"}"),
	    "body: python decodes base64");
	reset("a\0b\n");
	par.body_len = 4;
	hdr("From", "a@example.com");
	hdr("To", "b@example.com");
	is_int(build(), 0, "body: NUL builds");
	like(buf_str(&msg.text), "Transfer-Encoding: base64\r\n",
	    "cte: NUL needs base64");
}

static void
test_long_lines(void)
{
	static char body[5000];
	const char *b;
	int good;

	memset(body, 'a', 998);
	strcpy(body + 998, "\nshort\n");
	body_of(body, 1);
	like(buf_str(&msg.text), "Transfer-Encoding: 7bit\r\n",
	    "cte: a 998-octet line is 7bit");
	memset(body, 'a', 999);
	strcpy(body + 999, "\nshort\n");
	b = body_of(body, 1);
	like(buf_str(&msg.text), "Transfer-Encoding: base64\r\n",
	    "cte: a 999-octet line is base64");
	is_int(strcspn(b, "\r"), 76, "cte: base64 lines of 76");
	check_lines(buf_str(&msg.text), &good);
	ok(good, "cte: base64 lines < 998");
	ok(py_check_header("To", "b@example.com", body),
	    "cte: python decodes the long-line body");
}

static void
test_date(void)
{
	struct message m2;

	setenv("TZ", "KST-9", 1);
	tzset();
	setlocale(LC_ALL, "");
	message_init(&m2);
	reset("");
	hdr("From", "a@example.com");
	hdr("To", "b@example.com");
	is_int(message_build(&m2, &par, &err), 0, "date: builds");
	like(buf_str(&m2.text), "\r\nDate: Thu, 26 Nov 2026 16:20:00 +0900\r\n",
	    "date: Seoul time and zone");
	par.date = T_NOV26 + 86400 * 3 + 3600 * 20 + 7;
	message_build(&m2, &par, &err);
	like(buf_str(&m2.text), "\r\nDate: Mon, 30 Nov 2026 12:20:07 +0900\r\n",
	    "date: cache follows a new time");
	message_fini(&m2);
	setenv("TZ", "EST5", 1);
	tzset();
	message_init(&m2);
	par.date = T_NOV26;
	message_build(&m2, &par, &err);
	like(buf_str(&m2.text), "\r\nDate: Thu, 26 Nov 2026 02:20:00 -0500\r\n",
	    "date: negative zone");
	message_fini(&m2);
	setenv("TZ", "IST-5:30", 1);
	tzset();
	message_init(&m2);
	par.date = 0;
	message_build(&m2, &par, &err);
	like(buf_str(&m2.text), "\r\nDate: Thu, 01 Jan 1970 05:30:00 +0530\r\n",
	    "date: half-hour zone, 1970");
	message_fini(&m2);
}

/* Take out every CRLF. */
static void
unfold(struct buf *b)
{
	size_t i, k = 0;

	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\r' && b->data[i + 1] == '\n')
			i++;
		else
			b->data[k++] = b->data[i];
	}
	buf_truncate(b, k);
}

static void
test_encode_words(void)
{
	struct buf out, dec;
	size_t col, max;
	int good, fails = 0;
	const char *s = "가나다라마바사아자차카타파하 "
	    "가나다라마바사아자차카타파하";

	buf_init(&out, 4096);
	buf_init(&dec, 4096);
	for (col = 0; col < 60; col++) {
		buf_reset(&out);
		buf_addf(&out, "%*s", (int)col, "");
		message_encode_words(&out, s, strlen(s), col, true);
		buf_adds(&out, "\r\n");
		max = check_lines(buf_str(&out), &good);
		unfold(&out);
		decode_text(buf_str(&out), &dec);
		fails += !good || max > 78 || strcmp(buf_str(&dec), s) != 0;
	}
	is_int(fails, 0, "encode_words: phrase fits from columns 0..59");
	buf_reset(&out);
	message_encode_words(&out, "이승현", 9, 4, true);
	is_str(buf_str(&out), "=?UTF-8?B?7J207Iq57ZiE?=", "encode_words: one");
	buf_reset(&out);
	message_encode_words(&out, "이승현", 9, 60, true);
	is_str(buf_str(&out), "\r\n =?UTF-8?B?7J207Iq57ZiE?=",
	    "encode_words: a short name moves whole to a new line");
	buf_reset(&out);
	message_encode_words(&out, "plain text", 10, 9, false);
	is_str(buf_str(&out), "plain text", "encode_words: plain stays plain");
	buf_reset(&out);
	out.cap = 20;
	is_int(message_encode_words(&out, s, strlen(s), 0, true), -1,
	    "encode_words: -1 at the cap");
	buf_fini(&out);
	buf_fini(&dec);
}

static void
test_reuse(void)
{
	size_t i;
	int fails = 0;

	for (i = 0; i < 1000; i++) {
		build3(i % 2 ? "a@example.com" : "b@example.org",
		    i % 3 ? "c@example.com" : "d@example.com, e@example.com",
		    i % 2 ? "제목" : "subject", i % 2 ? "본문\n" : "body\n");
		fails += msg.nrcpt != (i % 3 ? 1u : 2u) ||
		    strcmp(msg.from, i % 2 ? "a@example.com" :
		    "b@example.org") != 0 || msg.eightbit;
	}
	is_int(fails, 0, "reuse: 1000 builds on one message stay consistent");
}

static void
test_header_names(void)
{
	reset("");
	hdr("reply-to", "\"Office\" <office@example.com>");
	hdr("from", "a@example.com");
	hdr("x-Custom-Thing", "값 value");
	hdr("to", "b@example.com");
	hdr("in-reply-to", "<1@example.com>   <2@example.com>");
	is_int(build(), 0, "names: builds");
	like(buf_str(&msg.text), "Reply-To: Office <office@example.com>\r\n"
	    "From: a@example.com\r\nx-Custom-Thing: =?UTF-8?B?6rCS?= value"
	    "\r\nTo: b@example.com\r\nIn-Reply-To: <1@example.com> "
	    "<2@example.com>\r\n", "names: canonical, custom as given");
	ok(py_check("{\"headers\": {\"x-custom-thing\": \"값 value\"}}"),
	    "names: python decodes custom header");
}

static bool
has_high(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/*
 * The body scanner's fast path (eight octets at a time) on random mixes
 * of ASCII, line ends and 2-, 3- and 4-octet characters: a body is 8bit
 * (quoted-printable or base64, never 7bit) exactly when it has octets
 * over 0x7f.  (The body is UTF-8 by construction: utf8.c's own tests
 * check its validator.)
 */
static void
test_body_scan(void)
{
	static const char *const piece[] = { "a", "word ", "plain8..", "\n",
	    "\r\n", "\r", "가", "하", "힣", "\xed\x9f\xbf", "\xe0\xa0\x80",
	    "é", "😀", "\xef\xbf\xbf", "\t", "\x7f" };
	char body[200];
	size_t i, k, n, fails = 0;
	unsigned seed = 1;

	for (i = 0; i < 20000; i++) {
		for (n = 0, k = 0; k < 40; k++) {
			seed = seed * 1103515245 + 12345;
			/* ASCII only in one body of 8. */
			const char *p = piece[(seed >> 16) % (i % 8 ? 16 : 6)];

			if (n + strlen(p) >= sizeof(body))
				break;
			memcpy(body + n, p, strlen(p));
			n += strlen(p);
		}
		body[n] = '\0';
		reset(body);
		hdr("From", "a@example.com");
		hdr("To", "b@example.com");
		fails += build() != 0 || msg.eightbit ||
		    (strstr(buf_str(&msg.text), "Encoding: 7bit") ==
		    NULL) != has_high(body);
	}
	is_int(fails, 0, "body scan: 20000 random bodies, 7bit exactly when "
	    "all ASCII");
}

/* A body that passes MESSAGE_MAX once its line ends are CRLF. */
static void
test_too_large(void)
{
	static const size_t huge = 33 << 20;
	char *body = malloc(huge);

	memset(body, '\n', huge);
	reset("");
	par.body = body;
	par.body_len = huge;
	hdr("From", "a@example.com");
	hdr("To", "b@example.com");
	is_int(build(), -1, "size: 33 MB of line ends pass 64 MB");
	like(err.msg, "larger than 64 MB", "size: says so");
	free(body);
	buf_fini(&chk.text);
	buf_fini(&msg.text);
}

static void
test_body_kind(void)
{
	static const struct {
		const char	*v;
		int		 rc;
		enum message_body kind;
	} cases[] = {
		{ "text/plain", 0, MESSAGE_TEXT },
		{ " Text/Markdown ", 0, MESSAGE_MARKDOWN },
		{ "text/markdown; charset=utf-8; variant=CommonMark", 0,
		    MESSAGE_MARKDOWN },
		{ "text/html; charset=\"UTF-8\"", 0, MESSAGE_HTML },
		{ "text/html;", 0, MESSAGE_HTML },
		{ "text/html; variant=CommonMark", -1, MESSAGE_HTML },
		{ "text/markdown; variant=GFM", -1, MESSAGE_MARKDOWN },
		{ "text/enriched", -1, MESSAGE_TEXT },
		{ "multipart/mixed; boundary=x", -1, MESSAGE_TEXT },
		{ "", -1, MESSAGE_TEXT },
	};
	enum message_body k;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(message_body_kind(cases[i].v, strlen(cases[i].v), &k,
		    &err), cases[i].rc, "body kind of '%s'", cases[i].v);
		if (cases[i].rc == 0)
			is_int(k, cases[i].kind, "'%s': kind", cases[i].v);
		else
			is_str(err.where, "Content-Type", "'%s': where",
			    cases[i].v);
	}
}

static void
test_filename(void)
{
	static const char longname[] = "2024학년도 2학기 컴퓨터네트워크 "
	    "기말고사 성적 및 피드백 보고서 (최종).txt";
	struct buf b;

	buf_init(&b, 4096);
	message_attachment_headers(&b, "application/pdf", "report.pdf", 10);
	is_str(buf_str(&b), "Content-Type: application/pdf;\r\n"
	    " name=\"report.pdf\"\r\nContent-Disposition: attachment;\r\n"
	    " filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n",
	    "ASCII name: quoted, no RFC 2231");
	buf_reset(&b);
	message_attachment_headers(&b, "application/pdf", "a \"b\\c\".pdf", 11);
	like(buf_str(&b), " filename=\"a \\\"b\\\\c\\\".pdf\"\r\n",
	    "quotes and backslashes escaped");
	buf_reset(&b);
	message_attachment_headers(&b, "application/pdf", "성적표.pdf", 13);
	is_str(buf_str(&b), "Content-Type: application/pdf;\r\n"
	    " name=\"=?UTF-8?B?7ISx7KCB7ZGcLnBkZg==?=\"\r\n"
	    "Content-Disposition: attachment;\r\n"
	    " filename*0*=UTF-8''%EC%84%B1%EC%A0%81%ED%91%9C.pdf\r\n"
	    "Content-Transfer-Encoding: base64\r\n",
	    "Korean name: RFC 2047 in name= only, RFC 2231 in filename");
	buf_reset(&b);
	message_attachment_headers(&b, "text/plain; charset=utf-8", longname,
	    strlen(longname));
	ok(max_line(b.data, b.len) < 78, "long Korean name: every line under "
	    "78 columns");
	like(buf_str(&b), "?=\r\n =?UTF-8?B?", "long name: several words");
	like(buf_str(&b), "filename*0*=UTF-8''2024%ED%95%99",
	    "RFC 2231: attr-chars kept, the rest percent-encoded");
	like(buf_str(&b), ";\r\n filename*1*=%", "RFC 2231 continuations");
	like(buf_str(&b), "%20%28%EC%B5%9C%EC%A2%85%29.txt\r\n",
	    "RFC 2231: space and parentheses (tspecials) encoded");
	buf_reset(&b);
	message_attachment_headers(&b, "application/vnd.openxmlformats-"
	    "officedocument.wordprocessingml.document", "보고서.docx", 14);
	ok(max_line(b.data, b.len) < 78, "a .docx type: every line under 78");
	like(buf_str(&b), "Content-Type:\r\n application/vnd.", "the long "
	    "type folded onto its own line");
	buf_reset(&b);
	message_attachment_headers(&b, "text/plain; charset=utf-8", longname,
	    strlen(longname));
	ok(strstr(b.data, "filename=") == NULL && strstr(b.data,
	    "filename*=") == NULL, "the name is written once in "
	    "Content-Disposition");
	ok(max_line(b.data, b.len) < 998, "every line under 998");
	buf_fini(&b);
}

static const char pdf[] = "%PDF-1.4\n\0\xff binary";

static void
rich_params(const char *body, const char *html, struct message_attachment *a,
    size_t natt)
{
	reset(body);
	hdr("From", "a@example.com");
	hdr("To", "b@example.com");
	hdr("Attachment", "never written");
	hdr("Content-Type", "text/markdown");
	par.html = html;
	par.html_len = html != NULL ? strlen(html) : 0;
	par.att = a;
	par.natt = natt;
}

static void
test_multipart(void)
{
	struct message_attachment a[2] = {
		{ "성적표.pdf", 13, "application/pdf", pdf, sizeof(pdf) - 1,
		    NULL, 0, NULL },
		{ "b.txt", 5, "text/plain; charset=us-ascii", "hi\n", 3, NULL,
		    0, NULL },
	};
	const char *t, *bm, *ba;
	char want[4096], bound[64];

	rich_params("# 제목\n", "<h1>제목</h1>\n", NULL, 0);
	is_int(build(), 0, "alternative builds");
	t = buf_str(&msg.text);
	ba = strstr(t, "boundary=\"");
	ok(ba != NULL && sscanf(ba, "boundary=\"%63[^\"]", bound) == 1,
	    "a boundary");
	snprintf(want, sizeof(want), "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n"
	    "\r\n--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nIyDsoJzrqqkNCg==\r\n"
	    "\r\n--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "PGgxPuygnOuqqTwvaDE+DQo=\r\n"
	    "\r\n--%s--\r\n", bound, bound, bound, bound);
	like(t, want, "alternative: exact structure");
	ok(strstr(t, "Attachment") == NULL && strstr(t, "markdown") == NULL,
	    "Attachment and the template's Content-Type are not written");
	ok(!msg.eightbit, "non-ASCII parts: the message needs no 8BITMIME");

	rich_params("본문\n", "<p>본문</p>", a, 2);
	is_int(build(), 0, "mixed builds");
	t = buf_str(&msg.text);
	bm = strstr(t, "multipart/mixed;\r\n boundary=\"");
	ok(bm != NULL && strstr(t, "multipart/alternative") > bm,
	    "mixed holds the alternative");
	like(t, "Content-Type: application/pdf;\r\n name=\"=?UTF-8?B?"
	    "7ISx7KCB7ZGcLnBkZg==?=\"\r\n", "attachment 1 named");
	like(t, "Content-Transfer-Encoding: base64\r\n\r\n"
	    "JVBERi0xLjQKAP8gYmluYXJ5\r\n\r\n--", "attachment 1 in base64");
	like(t, "name=\"b.txt\"", "attachment 2 named");
	like(t, "aGkK\r\n\r\n--", "attachment 2 in base64");
	ok(max_line(msg.text.data, msg.text.len) < 998, "lines under 998");

	/* A body holding the boundary makes another one be taken. */
	sscanf(strstr(t, "boundary=\"") + 10, "%63[^\"]", bound);
	snprintf(want, sizeof(want), "--%s\n", bound);
	rich_params(want, NULL, a, 1);
	is_int(build(), 0, "body holding the boundary builds");
	t = buf_str(&msg.text);
	ok(strstr(t, "boundary=\"") != NULL &&
	    strncmp(strstr(t, "boundary=\"") + 10, bound, strlen(bound)) != 0,
	    "another boundary is taken");

	rich_params("plain\n", NULL, a, 1);
	is_int(build(), 0, "text and an attachment");
	t = buf_str(&msg.text);
	ok(strstr(t, "multipart/alternative") == NULL &&
	    strstr(t, "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n\r\nplain\r\n") != NULL,
	    "text/plain part inside mixed");
	ok(!msg.eightbit, "7bit text and base64: no 8BITMIME");

	rich_params("x\n", NULL, a, 1);
	a[0].name_len = 0;
	is_int(build(), -1, "empty file name refused");
	is_str(err.where, "Attachment", "empty name: where");
	a[0].name = "\xff.pdf";
	a[0].name_len = 5;
	is_int(build(), -1, "non-UTF-8 file name refused");
	a[0].name = "성적표.pdf";
	a[0].name_len = 13;
}

static void
test_mixed_size(void)
{
	size_t big = 26 * 1000 * 1000;
	char *data = calloc(1, big);
	struct message_attachment a = { "big.bin", 7, "application/"
	    "octet-stream", NULL, big, NULL, 0, NULL };

	rich_params("x\n", NULL, &a, 1);
	par.count_only = true;
	is_int(message_build(&chk, &par, &err), -1,
	    "counted: 26 MB of file is over 35 MB encoded");
	like(err.msg, "over the limit of 35 MB", "counted: names the limit");
	is_str(err.where, "Attachment", "counted: where");
	par.count_only = false;
	a.data = data;
	is_int(build(), -1, "build: refused too");
	like(err.msg, "over the limit of 35 MB", "build: names the limit");
	a.len = 25 * 1000 * 1000;
	is_int(build(), 0, "25 MB of file: 34 MB encoded, built");
	ok(msg.text.len > 34000000 && msg.text.len < MESSAGE_MIXED_MAX,
	    "its size");
	free(data);
}

int
main(void)
{
	message_init(&msg);
	message_init(&chk);
	setenv("TZ", "KST-9", 1);
	tzset();
	test_exact_ascii();
	test_subjects();
	test_subject_sweep();
	test_display_names();
	test_recipients();
	test_many_recipients();
	test_bad_addresses();
	test_parse_addrs();
	test_from();
	test_bad_headers();
	test_body();
	test_long_lines();
	test_header_names();
	test_encode_words();
	test_reuse();
	test_date();
	test_body_scan();
	test_too_large();
	test_body_kind();
	test_filename();
	test_multipart();
	test_mixed_size();
	is_int(disagree, 0, "the counted build agreed with every build");
	message_fini(&chk);
	message_fini(&msg);
	return tap_done();
}
