/*
 * Unit tests of resume: what an earlier report says of each row (done,
 * unknown, to send, tries), the template and sheet it must come from,
 * the row checks after validation, and the never-overwrite check.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resume.h"
#include "tap.h"

#define FP1	"1111111111111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FP2	"2222222222222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static char path[] = "/tmp/test_resume.XXXXXX";
static const struct report_meta made = { "r.csv", "ab", "t.txt", "cd", "" };

/* The run to resume: rows 1-4 tried (3 twice), row 5 never. */
static void
write_report(void)
{
	static const struct { size_t row; enum report_status st; unsigned n; }
	    in[] = {
		{ 1, REPORT_SENT, 1 }, { 2, REPORT_UNKNOWN, 1 },
		{ 3, REPORT_DEFERRED, 1 }, { 4, REPORT_PARTIAL, 1 },
		{ 3, REPORT_DEFERRED, 2 },
	};
	struct report_entry x = { 0 };
	struct report *r;
	struct err e;
	int fd = mkstemp(path);

	ok(fd != -1 && report_open(&r, path, &made, false, false, &e) == 0,
	    "a report to resume");
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		x.row = in[i].row;
		x.status = in[i].st;
		x.attempts = in[i].n;
		x.row_sha256 = in[i].row == 1 ? FP1 : FP2;
		report_append(r, &x, &e);
	}
	ok(report_close(r, &e) == 0, "... written");
	close(fd);
}

static void
test_states(void)
{
	struct resume rs = { 0 };
	struct err e;
	size_t cut = 99, sent, unknown;

	ok(resume_load(&rs, path, &made, &cut, &e) == 0, "resume_load");
	is_int(cut, 0, "... nothing torn to cut");
	is_int(resume_row(&rs, 1), RESUME_SENT, "sent: never again");
	is_int(resume_row(&rs, 2), RESUME_UNKNOWN, "unknown: never again");
	is_int(resume_row(&rs, 3), RESUME_TODO, "deferred: to send");
	is_int(resume_row(&rs, 4), RESUME_SENT, "partial: never again");
	is_int(resume_row(&rs, 5), RESUME_TODO, "a row the report lacks");
	is_int(resume_row(&rs, 1000000), RESUME_TODO, "... far beyond it");
	is_int(rs.attempts[3], 2, "row 3's tries: its latest line's");
	is_int(rs.max_row, 4, "the report's highest row");
	ok(!rs.roster_changed, "the same roster");
	resume_count(&rs, 5, &sent, &unknown);
	is_int(sent, 2, "rows sent earlier");
	is_int(unknown, 1, "rows unknown earlier");
	ok(resume_check_rows(&rs, 5, 0, path, "r.csv", &e) == 0,
	    "every row the report has is in a 5-row roster");
	ok(resume_check_rows(&rs, 3, 0, path, "r.csv", &e) == -1 &&
	    e.kind == E_INPUT, "a 3-row roster lacks row 4: E_INPUT");
	like(e.msg, "row 4 is beyond the roster's 3 rows", "... says so");
	ok(resume_check_rows(&rs, 3, 3, path, "r.csv", &e) == 0,
	    "... fine with -n 3 on the same roster");
	resume_fit(&rs, 300);
	is_int(resume_row(&rs, 4), RESUME_SENT, "resume_fit keeps the states");
	is_int(resume_row(&rs, 300), RESUME_TODO, "... and adds rows to send");
	resume_fini(&rs);
}

static void
test_meta(void)
{
	struct report_meta other = made;
	struct resume rs = { 0 };
	struct err e;
	size_t cut;

	other.template_sha256 = "ef";
	ok(resume_load(&rs, path, &other, &cut, &e) == -1 &&
	    e.kind == E_INPUT, "another template: E_INPUT");
	like(e.msg, "the template changed", "... says so");
	is_str(e.where, path, "... naming the report");
	resume_fini(&rs);

	other = made;
	other.roster_sheet = "Sheet2";
	ok(resume_load(&rs, path, &other, &cut, &e) == -1 &&
	    e.kind == E_INPUT, "another sheet: E_INPUT");
	like(e.msg, "resume with --sheet ''", "... names the sheet to pass");
	resume_fini(&rs);

	other = made;
	other.roster_sha256 = "00";
	ok(resume_load(&rs, path, &other, &cut, &e) == 0 && rs.roster_changed,
	    "another roster loads, marked changed");
	ok(resume_check_rows(&rs, 3, 3, path, "r.csv", &e) == -1 &&
	    e.kind == E_USAGE, "... and -n hiding row 4 is refused");
	ok(resume_check_rows(&rs, 5, 0, path, "r.csv", &e) == 0,
	    "... rows appended, none compared different: accepted");
	rs.fp_changed = 2;
	ok(resume_check_rows(&rs, 5, 0, path, "r.csv", &e) == -1 &&
	    e.kind == E_INPUT, "... a row changed: E_INPUT");
	like(e.msg, "row 2 is not what it was", "... naming the row");
	resume_fini(&rs);
}

static void
test_fresh(void)
{
	char dir[] = "/tmp/test_resume.XXXXXX", empty[64];
	struct err e;
	FILE *f;

	ok(resume_check_fresh("/tmp/no/such/report.csv", &e) == 0,
	    "a missing report may be written");
	ok(mkdtemp(dir) != NULL, "a folder");
	ok(resume_check_fresh(dir, &e) == -1 && e.kind == E_USAGE,
	    "a folder: -1, E_USAGE");
	snprintf(empty, sizeof(empty), "%s/r.csv", dir);
	f = fopen(empty, "w");
	ok(f != NULL && fclose(f) == 0 && resume_check_fresh(empty, &e) == 0,
	    "an empty file may be written");
	ok(resume_check_fresh(path, &e) == -2 && e.kind == E_USAGE,
	    "a report with lines: -2 (say how to resume), E_USAGE");
	like(e.msg, "holds the outcome of 5 lines of an earlier run (1 sent)",
	    "... counting its lines and those sent");
	f = fopen(empty, "w");
	ok(f != NULL && fputs("not,a,report\n1,2,3\n", f) >= 0 &&
	    fclose(f) == 0 && resume_check_fresh(empty, &e) == -2,
	    "a file that is no report: -2, never overwritten");
	unlink(empty);
	rmdir(dir);
}

int
main(void)
{
	write_report();
	test_states();
	test_meta();
	test_fresh();
	unlink(path);
	return tap_done();
}
