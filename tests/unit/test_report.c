/*
 * Unit tests of report's pure parts: times as report_time() writes them
 * and as spreadsheets save them back, and the formula-cell rule read
 * back (OWASP CSV injection).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
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

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
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

int
main(void)
{
	setenv("TZ", "Asia/Seoul", 1);
	tzset();
	test_zoned();
	test_spreadsheet();
	test_bad();
	test_cells();
	return tap_done();
}
