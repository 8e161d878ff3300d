/*
 * Unit tests of report's pure parts: times as report_time() writes them
 * and as spreadsheets save them back, and the formula-cell rule read
 * back (OWASP CSV injection), and the latest line of each row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nitems.h"
#include "report.h"
#include "tap.h"

/* 2026-11-26 16:20:00 in UTC. */
#define T_UTC	((time_t)1795710000)

static void
test_zoned(void)
{
	time_t t = 0;

	is_int(report_parse_time("2026-11-26T16:20:00Z", &t), 0, "ISO, Z");
	is_int((long long)t, (long long)T_UTC, "... the instant");
	is_int(report_parse_time("2026-11-27T01:20:00+09:00", &t), 0,
	    "ISO, +09:00");
	is_int((long long)t, (long long)T_UTC, "... the same instant");
	is_int(report_parse_time("2026-11-26 11:20:00-0500", &t), 0,
	    "space, -0500");
	is_int((long long)t, (long long)T_UTC, "... the same instant");
}

/* Local times: compared with mktime() of the same fields. */
static void
test_spreadsheet(void)
{
	static const char *const forms[] = {
		"2026-11-26 16:20", "2026/11/26 4:20:00 PM",
		"26.11.2026 16:20", "11/26/2026 16:20", "26/11/2026 16:20",
		"2026-11-26 오후 4:20:00", "2026-11-26 16:20:00.000",
		"2026-11-26 4:20 pm",
	};
	struct tm tm;
	time_t want, t;
	size_t i;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126, tm.tm_mon = 10, tm.tm_mday = 26;
	tm.tm_hour = 16, tm.tm_min = 20, tm.tm_isdst = -1;
	want = mktime(&tm);
	for (i = 0; i < nitems(forms); i++) {
		t = 0;
		is_int(report_parse_time(forms[i], &t), 0, "reads '%s'",
		    forms[i]);
		is_int((long long)t, (long long)want, "... as 16:20 local");
	}
	is_int(report_parse_time("2026-1-5", &t), 0, "a date alone, no zeros");
}

static void
test_bad(void)
{
	static const char *const bad[] = {
		"", "yesterday", "2026-13-01 10:00", "2026-11-26 25:00",
		"2026-11-26T16:20:00+09:00junk", "2026-11-26 13:00 PM",
		"99999999999-01-01", "2026-11", "2026-11-26T16",
	};
	size_t i;
	time_t t;

	for (i = 0; i < nitems(bad); i++)
		is_int(report_parse_time(bad[i], &t), -1, "refuses '%s'",
		    bad[i]);
}

static void
test_cells(void)
{
	is_str(report_cell_plain("'=cmd|' /C calc'!A0"), "=cmd|' /C calc'!A0",
	    "a neutralised formula reads back");
	is_str(report_cell_plain("'@SUM(1)"), "@SUM(1)", "... @");
	is_str(report_cell_plain("'-x@example.com"), "-x@example.com",
	    "... -");
	is_str(report_cell_plain("''quoted"), "'quoted", "... a leading '");
	is_str(report_cell_plain("'plain"), "'plain",
	    "a ' before anything else is the cell's own");
	is_str(report_cell_plain("="), "=", "a bare = stays");
	is_str(report_cell_plain(""), "", "empty stays empty");
}

/* Lines seen by report_latest(): "row:status " for each call. */
struct seen {
	char	every[256], latest[256];
};

static void
add_seen(char *to, const struct report_line *l)
{
	size_t n = strlen(to);

	snprintf(to + n, 256 - n, "%zu:%s ", l->e.row,
	    report_status_name(l->e.status));
}

static int
see_every(void *arg, const struct report_line *l)
{
	add_seen(((struct seen *)arg)->every, l);
	return 0;
}

static int
see_latest(void *arg, const struct report_line *l)
{
	add_seen(((struct seen *)arg)->latest, l);
	return 0;
}

/* The latest line of a row wins, once per row, in the order written. */
static void
test_latest(void)
{
	static const struct { size_t row; enum report_status st; } in[] = {
		{ 2, REPORT_UNKNOWN }, { 1, REPORT_DEFERRED }, { 2, REPORT_SENT },
		{ 3, REPORT_FAILED }, { 1, REPORT_SENT },
	};
	struct report_meta m = { "r.csv", "ab", "t.txt", "cd", "" };
	char path[] = "/tmp/test_report.XXXXXX";
	struct report_entry x = { 0 };
	struct seen s = { "", "" };
	struct report *r;
	struct err e;
	int fd = mkstemp(path);

	ok(fd != -1 && report_open(&r, path, &m, false, false, &e) == 0,
	    "a report to read back");
	for (size_t i = 0; i < nitems(in); i++) {
		x.row = in[i].row;
		x.status = in[i].st;
		x.time = T_UTC;
		report_append(r, &x, &e);
	}
	ok(report_close(r, &e) == 0, "... written");
	ok(report_latest(path, see_every, see_latest, &s, &e) == 0,
	    "report_latest reads it");
	is_str(s.every, "2:unknown 1:deferred 2:sent 3:failed 1:sent ",
	    "... every line first, in order");
	is_str(s.latest, "2:sent 3:failed 1:sent ",
	    "... then each row once, its latest line, as written");
	ok(report_compact(path, &e) == 0, "compaction");
	s.every[0] = s.latest[0] = '\0';
	ok(report_latest(path, see_every, see_latest, &s, &e) == 0 &&
	    strcmp(s.every, "2:sent 3:failed 1:sent ") == 0,
	    "... keeps those lines alone: %s", s.every);
	unlink(path);
	close(fd);
}

/* The first line read back, its strings copied. */
struct back {
	struct report_line l;
	char	 s[14][256];
	int	 n;
};

static int
take_first(void *arg, const struct report_line *l)
{
	struct back *b = arg;
	const char *src[] = { l->e.recipients, l->e.provider, l->e.enhanced,
	    l->e.reply, l->e.message_id, l->e.account, l->e.stage,
	    l->e.row_sha256, l->meta.roster, l->meta.roster_sha256,
	    l->meta.template, l->meta.template_sha256, l->meta.roster_sheet,
	    l->status_text };

	if (b->n++ > 0)
		return 0;
	b->l = *l;
	for (size_t i = 0; i < nitems(src); i++)
		snprintf(b->s[i], sizeof(b->s[i]), "%s", src[i]);
	return 0;
}

/* Every column written from an entry and its meta reads back the same. */
static void
test_columns(void)
{
	struct report_meta m = { "=r.csv", "ab12", "t.txt", "cd34", "Sheet 1" };
	struct report_entry x = { 7, "a@x;b@y", REPORT_DEFERRED, "gmail", 451,
	    "4.2.1", "=cmd|' /C calc'!A0", "<id@x>", 3, T_UTC, "lab", "RCPT",
	    "ef56" };
	char path[] = "/tmp/test_report.XXXXXX";
	struct back b = { .n = 0 };
	struct report *r;
	struct err e;
	int fd = mkstemp(path);
	FILE *f;

	ok(fd != -1 && report_open(&r, path, &m, false, false, &e) == 0 &&
	    report_append(r, &x, &e) == 0 && report_close(r, &e) == 0,
	    "a line with every column set");
	ok(report_read(path, take_first, &b, &e) == 0 && b.n == 1,
	    "... reads back");
	is_int((int)b.l.e.row, 7, "row");
	is_int(b.l.e.status, REPORT_DEFERRED, "status");
	is_str(b.s[13], "deferred", "status text");
	is_int(b.l.e.smtp_code, 451, "smtp_code");
	is_int((int)b.l.e.attempts, 3, "attempts");
	ok(b.l.e.time == T_UTC, "time");
	is_int(b.l.format, 2, "format");
	is_str(b.s[0], "a@x;b@y", "recipients");
	is_str(b.s[1], "gmail", "provider");
	is_str(b.s[2], "4.2.1", "enhanced_code");
	is_str(b.s[3], "=cmd|' /C calc'!A0", "reply (a formula, guarded)");
	is_str(b.s[4], "<id@x>", "message_id");
	is_str(b.s[5], "lab", "account");
	is_str(b.s[6], "RCPT", "stage");
	is_str(b.s[7], "ef56", "row_sha256");
	is_str(b.s[8], "=r.csv", "roster");
	is_str(b.s[9], "ab12", "roster_sha256");
	is_str(b.s[10], "t.txt", "template");
	is_str(b.s[11], "cd34", "template_sha256");
	is_str(b.s[12], "Sheet 1", "roster_sheet");
	/* Format 1: 17 columns, no BOM, cells as they were. */
	f = fopen(path, "w");
	fputs("row,recipients,status,provider,smtp_code,enhanced_code,reply,"
	    "message_id,attempts,time,account,stage,roster,roster_sha256,"
	    "template,template_sha256,format\n"
	    "2,c@z,sent,naver,250,2.0.0,'=ok,<m>,1,2026-11-26T16:20:00+09:00,"
	    "n1,EOM,r.csv,ab,t.txt,cd,1\n", f);
	fclose(f);
	b.n = 0;
	ok(report_read(path, take_first, &b, &e) == 0 && b.n == 1,
	    "a format-1 report reads");
	is_int(b.l.format, 1, "... format 1");
	is_int((int)b.l.e.row, 2, "... its row");
	is_str(b.s[3], "'=ok", "... its cells as written (no guard then)");
	is_str(b.s[7], "", "... no row_sha256");
	is_str(b.s[12], "", "... no roster_sheet");
	unlink(path);
	close(fd);
}

int
main(void)
{
	setenv("TZ", "Asia/Seoul", 1);
	tzset();
	test_zoned();
	test_spreadsheet();
	test_bad();
	test_cells();
	test_latest();
	test_columns();
	return tap_done();
}
