/*
 * Unit tests of attach.c: the path rule (which octets a field gave,
 * '..' and a leading '/' from fields, the folder a field's file must
 * stay in), the file checks on a scratch folder (missing, a folder, a
 * FIFO, a link out, a link in, too large) and libmagic's types.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "buf.h"
#include "err.h"
#include "tap.h"
#include "template.h"

static struct attach_file f;
static struct err err;
static struct buf mk;

/*
 * Build a marked path from parts: a part starting with '$' is a field
 * value (the rest), any other is the template's text.
 */
static const char *
marked(const char *const *parts)
{
	buf_reset(&mk);
	for (; *parts != NULL; parts++) {
		if ((*parts)[0] == '$')
			attach_mark(&mk, *parts + 1, strlen(*parts + 1));
		else
			buf_adds(&mk, *parts);
	}
	return buf_str(&mk);
}

#define PATH(dir, ...)	path_of(dir, (const char *const[]){ __VA_ARGS__, NULL })

static int
path_of(const char *dir, const char *const *parts)
{
	const char *s = marked(parts);

	return attach_path(&f, dir, s, mk.len, &err);
}

static void
test_rule_ok(void)
{
	is_int(PATH("/t", "feedback/", "$20240001", ".pdf"), 0,
	    "field in the file name: ok");
	is_str(f.shown, "feedback/20240001.pdf", "shown as rendered");
	is_str(f.path, "/t/feedback/20240001.pdf", "found from the folder");
	is_str(f.confine, "/t/feedback/", "confined to the literal folder");
	is_str(f.name, "20240001.pdf", "name is the last component");

	is_int(PATH("/t", "/srv/common/syllabus.pdf"), 0,
	    "template's own absolute path: ok");
	is_str(f.path, "/srv/common/syllabus.pdf", "absolute kept");
	is_str(f.confine, "", "no field: not confined");

	is_int(PATH("/t", "../shared/x.pdf"), 0, "template's own '..': ok");
	is_str(f.path, "/t/../shared/x.pdf", "'..' of the template kept");

	is_int(PATH("/t", "../shared/", "$x", ".pdf"), 0,
	    "field under the template's '..' folder: ok");
	is_str(f.confine, "/t/../shared/", "confined to ../shared/");

	is_int(PATH("/t", "$sub/x.pdf"), 0, "field with an inner '/': ok");
	is_str(f.confine, "/t", "a leading field: the template's folder");

	is_int(PATH("", "$x.pdf"), 0, "template in the current folder");
	is_str(f.path, "x.pdf", "relative path kept");
	is_str(f.confine, ".", "confined to the current folder");

	is_int(PATH("/t", "$..x", ".pdf"), 0, "'..x' is a name, not '..'");
	is_int(PATH("/t", "a/", "$", ".pdf"), 0, "an empty field adds nothing");
	is_str(f.confine, "", "empty field: no field octets, not confined");
	is_int(PATH("/t", "/", "$x"), 0, "literal '/' then a field: ok");
	is_str(f.confine, "/", "confined to '/', as the template says");
	is_int(PATH("/t", "$보고서 ", "$김민준", ".hwp"), 0, "Korean fields");
	is_str(f.name, "보고서 김민준.hwp", "Korean name");
}

static void
rule_bad(const char *what, const char *why, int rc)
{
	is_int(rc, -1, "%s: refused", what);
	ok(err.kind == E_INPUT, "%s: E_INPUT", what);
	is_str(err.where, "Attachment", "%s: where", what);
	like(err.msg, why, "%s: why", what);
}

static void
test_rule_bad(void)
{
	rule_bad("field '../../etc/passwd'", "'..' from a roster field",
	    PATH("/t", "feedback/", "$../../etc/passwd", ".pdf"));
	like(err.msg, "'feedback/../../etc/passwd.pdf'", "the path is named");
	rule_bad("absolute field", "starts with '/' from a roster field",
	    PATH("/t", "$/etc/passwd"));
	like(err.msg, "'/etc/passwd'", "absolute: the path is named");
	rule_bad("field 'a/..'", "'..'", PATH("/t", "$a/..", "/x.pdf"));
	rule_bad("field completing '..'", "'..'", PATH("/t", "a/.", "$.",
	    "/x.pdf"));
	rule_bad("field '..' at the end", "'..'", PATH("/t", "a/", "$.."));
	rule_bad("empty path", "is empty", PATH("/t", ""));
	rule_bad("a folder", "names a folder", PATH("/t", "feedback/"));
	rule_bad("control character from a field", "control character",
	    PATH("/t", "$a\001b"));
	rule_bad("tab from a field", "control character",
	    PATH("/t", "$a\tb"));
}

static char tmp[64];

static void
put_file(const char *name, const void *data, size_t n)
{
	char p[256];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", tmp, name);
	fp = fopen(p, "wb");
	fwrite(data, 1, n, fp);
	fclose(fp);
}

static int
stat_of(const char *const *parts)
{
	const char *s = marked(parts);

	if (attach_path(&f, tmp, s, mk.len, &err) == -1)
		return -2;
	return attach_stat(&f, &err);
}

#define STAT(...)	stat_of((const char *const[]){ __VA_ARGS__, NULL })

static void
test_files(void)
{
	char p[256], q[256];
	int fd;

	snprintf(p, sizeof(p), "%s/fb", tmp);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/fb/dir.pdf", tmp);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/fb/fifo.pdf", tmp);
	mkfifo(p, 0644);
	snprintf(p, sizeof(p), "%s/fb/out.pdf", tmp);
	symlink("/etc/hostname", p);
	snprintf(p, sizeof(p), "%s/fb/dangling.pdf", tmp);
	symlink("nosuch", p);
	put_file("fb/1.pdf", "%PDF-1.4\n", 9);
	put_file("shared.txt", "shared\n", 7);
	snprintf(p, sizeof(p), "%s/fb/in.pdf", tmp);
	symlink("1.pdf", p);
	snprintf(p, sizeof(p), "%s/fb/up.txt", tmp);
	symlink("../shared.txt", p);

	is_int(STAT("fb/", "$1", ".pdf"), 0, "a file: ok");
	is_int(f.size, 9, "its size");
	is_int(STAT("fb/", "$in", ".pdf"), 0, "a link inside the folder: ok");
	rule_bad("missing file", "does not exist", STAT("fb/", "$2", ".pdf"));
	like(err.msg, "'fb/2.pdf'", "missing: the path is named");
	rule_bad("dangling link", "does not exist",
	    STAT("fb/", "$dangling", ".pdf"));
	rule_bad("a folder", "not a regular file", STAT("fb/", "$dir", ".pdf"));
	rule_bad("a FIFO (no hang)", "not a regular file",
	    STAT("fb/", "$fifo", ".pdf"));
	rule_bad("a link out of the folder", "leads out of its folder",
	    STAT("fb/", "$out", ".pdf"));
	rule_bad("a link to the template's folder", "leads out of its folder",
	    STAT("fb/", "$up", ".txt"));
	is_int(STAT("fb/up.txt"), 0, "the same link named by the template: ok");
	is_int(STAT("/etc/hostname"), 0, "an absolute file of the template: ok");

	snprintf(q, sizeof(q), "%s/fb/big.pdf", tmp);
	fd = open(q, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ok(fd != -1 && ftruncate(fd, ATTACH_FILE_MAX + 1) == 0, "sparse file");
	close(fd);
	rule_bad("over 25 MB", "over the limit of 25 MB",
	    STAT("fb/", "$big", ".pdf"));
	like(err.msg, "'fb/big.pdf'", "too large: the path is named");
	unlink(q);
}

static void
test_read(void)
{
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n',
	    0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0,
	    1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89 };
	struct attach *a;
	struct buf data;
	char type[ATTACH_TYPE_MAX];

	buf_init(&data, 1 << 20);
	is_int(attach_new(&a, &err), 0, "libmagic loads");
	put_file("fb/p.png", png, sizeof(png));
	put_file("fb/t.txt", "hello\n", 6);
	put_file("fb/e.bin", "", 0);
	STAT("fb/", "$1", ".pdf");
	is_int(attach_read(a, &f, &data, type, &err), 0, "read a PDF");
	is_str(type, "application/pdf", "PDF type");
	ok(data.len == 9 && memcmp(data.data, "%PDF-1.4\n", 9) == 0,
	    "PDF octets");
	STAT("fb/", "$p", ".png");
	is_int(attach_read(a, &f, &data, type, &err), 0, "read a PNG");
	is_str(type, "image/png", "PNG type");
	is_int(data.len, 9 + sizeof(png), "appended after the PDF");
	STAT("fb/", "$t", ".txt");
	attach_read(a, &f, &data, type, &err);
	is_str(type, "text/plain; charset=us-ascii", "text keeps its charset");
	STAT("fb/", "$e", ".bin");
	attach_read(a, &f, &data, type, &err);
	is_str(type, "application/octet-stream", "empty file: octet-stream");
	/* Issue 12.4: the extension first, libmagic after; charsets. */
	put_file("fb/r.hwp", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
	STAT("fb/", "$r", ".hwp");
	attach_read(a, &f, &data, type, &err);
	is_str(type, "application/x-hwp", "12.4: .hwp by its extension");
	put_file("fb/s.xlsx", "PK\003\004rest", 8);
	STAT("fb/", "$s", ".xlsx");
	attach_read(a, &f, &data, type, &err);
	like(type, "spreadsheetml.sheet", "12.4: .xlsx by its extension");
	put_file("fb/c.PDF", "hi\n", 3);
	STAT("fb/", "$c", ".PDF");
	attach_read(a, &f, &data, type, &err);
	is_str(type, "application/pdf", "12.4: extensions in any case");
	put_file("fb/k.txt", "\xc7\xd1\xb1\xdb\n", 5);	/* 한글, EUC-KR */
	STAT("fb/", "$k", ".txt");
	attach_read(a, &f, &data, type, &err);
	is_str(type, "text/plain; charset=euc-kr", "12.4: EUC-KR text");
	put_file("fb/u.csv", "\x8c\x63\n", 3);	/* 똠, CP949 only */
	STAT("fb/", "$u", ".csv");
	attach_read(a, &f, &data, type, &err);
	is_str(type, "text/csv; charset=cp949", "12.4: CP949 text");
	put_file("fb/h.md", "# 한글\n", 9);
	STAT("fb/", "$h", ".md");
	attach_read(a, &f, &data, type, &err);
	is_str(type, "text/markdown; charset=utf-8", "12.4: UTF-8 Markdown");
	buf_fini(&data);
	buf_init(&data, 4);
	STAT("fb/", "$1", ".pdf");
	is_int(attach_read(a, &f, &data, type, &err), -1, "data cap reached");
	like(err.msg, "limit", "cap: says so");
	buf_fini(&data);
	attach_free(a);
}

/*
 * struct attach_set: a row's files from "Attachment:" headers and the
 * images of its HTML, read once per version of a file, only checked
 * and typed in the validation pass.
 */
static const char set_tmpl[] = "From: a@example.com\n"
    "Attachment: fb/{{id}}.pdf\n"
    "Attachment: fb/p.png\n"
    "\n"
    "body <img src=\"fb/p.png\">\n";

static struct template *
set_template(void)
{
	static const char *const cols[] = { "id" };
	struct template *t;

	if (template_parse(&t, "set.txt", set_tmpl, sizeof(set_tmpl) - 1,
	    &err) == -1 || template_bind(t, cols, 1, &err) == -1)
		return NULL;
	return t;
}

/* A row of the set: its id value, both Attachments, n image srcs. */
static int
set_row(struct attach_set *s, const struct attach_where *w,
    const struct template *t, const char *id, const char *const *src,
    size_t n)
{
	const char *v[] = { id }, *cid;
	size_t len[] = { strlen(id) }, i;

	attach_set_reset(s);
	if (attach_set_values(s, v, len, 1, &err) == -1 ||
	    attach_set_file(s, w, t, 1, &err) == -1 ||
	    attach_set_file(s, w, t, 2, &err) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (attach_set_image(s, w, src[i], strlen(src[i]), "m.1",
		    &cid, &err) == -1)
			return -1;
	attach_set_finish(s, w);
	return 0;
}

static void
test_set(void)
{
	static const char *const imgs[] = { "fb/p.png", "fb/%70.png",
	    "fb/t.txt" };
	struct attach_where w = { tmp, set_tmpl, sizeof(set_tmpl) - 1,
	    true };
	struct template *t = set_template();
	struct attach_set s;
	char big[200];

	ok(t != NULL, "set: template");
	attach_set_init(&s);
	is_int(set_row(&s, &w, t, "1", imgs, 3), 0, "set: a row builds");
	is_int(s.nfiles, 2, "set: two attachments");
	is_int(s.nimg, 2, "set: fb/p.png and fb/%%70.png are one image");
	is_str(s.att[0].name, "1.pdf", "set: names kept as the arrays grow");
	is_str(s.att[1].name, "p.png", "set: second attachment named");
	is_str(s.att[0].type, "application/pdf", "set: its type");
	is_int(s.att[0].b64_len, 14, "set: read and encoded");
	ok(s.att[0].b64 != NULL && memcmp(s.att[0].b64, "JVBERi0xLjQK\r\n",
	    14) == 0, "set: its base64");
	ok(s.att[1].cid == NULL && s.att[2].cid != NULL &&
	    strcmp(s.att[2].cid, "img1.m.1@mailmerge.invalid") == 0,
	    "set: an image has its Content-ID");
	is_str(s.att[3].type, "text/plain; charset=us-ascii",
	    "set: an image's type");
	/* The next row's file is another version: read again. */
	memset(big, 'x', sizeof(big));
	put_file("fb/1.pdf", big, sizeof(big));
	is_int(set_row(&s, &w, t, "1", imgs, 0), 0, "set: the next row");
	is_int(s.nimg, 0, "set: reset per row");
	is_int(s.att[0].len, sizeof(big), "set: the changed file's size");
	/* 200 octets: 3 lines of 57, and 29 in 40 characters and CRLF. */
	is_int(s.att[0].b64_len, 3 * 78 + 42,
	    "set: the changed file read again");
	/* The validation pass: checked and typed, not read. */
	w.read = false;
	is_int(set_row(&s, &w, t, "1", imgs, 1), 0, "set: validation row");
	ok(s.att[0].b64 == NULL && s.att[0].len == sizeof(big),
	    "set: validation: counted, not encoded");
	is_str(s.att[0].type, "application/pdf", "set: validation: typed");
	is_int(set_row(&s, &w, t, "../fb/1", imgs, 0), -1,
	    "set: a field's '..' refused");
	like(err.msg, "'..' from a roster field", "set: says why");
	is_int(set_row(&s, &w, t, "none", imgs, 0), -1,
	    "set: a missing file refused");
	attach_set_fini(&s);
	template_free(t);
}

int
main(void)
{
	char cmd[128];

	buf_init(&mk, 1 << 16);
	snprintf(tmp, sizeof(tmp), "/tmp/test_attach.XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return 1;
	test_rule_ok();
	test_rule_bad();
	test_files();
	test_read();
	test_set();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	ok(system(cmd) == 0, "scratch folder removed");
	buf_fini(&mk);
	return tap_done();
}
