/*
 * The retry roster: the roster's header and the rows the reports leave
 * undelivered, for report --failed-csv.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "i18n.h"
#include "report.h"
#include "review.h"
#include "review_impl.h"
#include "roster.h"

/* ---- the retry roster -------------------------------------------- */

/* Refuse to replace the roster or a report with the retry roster. */
static int
not_clobber(const struct review *rv, const char *roster, const char *path,
    struct err *e)
{
	struct stat out, in;
	size_t i;

	if (stat(path, &out) == -1)
		return 0;
	if (stat(roster, &in) == 0 && in.st_dev == out.st_dev &&
	    in.st_ino == out.st_ino) {
		err_set(e, E_USAGE, path, "this is the roster itself: write "
		    "the retry roster to another file");
		return -1;
	}
	for (i = 0; i < rv->npaths; i++) {
		if (stat(rv->paths[i], &in) == 0 && in.st_dev == out.st_dev &&
		    in.st_ino == out.st_ino) {
			err_set(e, E_USAGE, path, "this is one of the reports: "
			    "write the retry roster to another file");
			return -1;
		}
	}
	return 0;
}

static int
copy_rows(const struct review *rv, struct roster *rs, struct roster_out *out,
    struct review_retry *rt, struct err *e)
{
	struct roster_row rw;
	const struct entry *en;
	int n;

	for (;;) {
		n = roster_next(rs, &rw, e);
		if (n != 1)
			break;
		en = rv_find_row(rv, rw.row);
		if (en != NULL && en->x.status == REPORT_SENT)
			continue;
		if (roster_out_row(out, rw.fields, rw.nfields, e) == -1)
			return -1;
		rt->rows++;
		if (en == NULL)
			rt->absent++;
		else if (en->x.status == REPORT_UNKNOWN)
			rt->unknown++;
	}
	return n == 0 ? 0 : -1;
}

int
review_write_retry(const struct review *rv, const char *path,
    struct review_retry *rt, struct err *e)
{
	char found[PATH_MAX];
	struct roster_params rp = { .path = found };
	struct roster *rs = NULL;
	struct roster_out *out = NULL;
	char tmp[PATH_TMP_MAX];
	FILE *f;
	bool ok;

	memset(rt, 0, sizeof(*rt));
	if (rv->roster == NULL || rv->roster[0] == '\0') {
		err_set(e, E_INPUT, rv->paths[0], "the report names no roster");
		return -1;
	}
	/* The sheet the batch read; "" for CSV and older reports. */
	if (rv->roster_sheet != NULL && rv->roster_sheet[0] != '\0')
		rp.sheet = rv->roster_sheet;
	if (rv_roster_find(rv, found, sizeof(found), e) == -1 ||
	    not_clobber(rv, found, path, e) == -1 ||
	    roster_open(&rs, &rp, e) == -1)
		return -1;
	f = report_tmp_open(path, tmp, sizeof(tmp), e);
	if (f == NULL) {
		roster_free(rs);
		return -1;
	}
	/*
	 * In the roster's own encoding and delimiter, as re-detected; a
	 * spreadsheet's rows as CSV UTF-8 with a BOM, which is what Excel
	 * needs to open Korean text as UTF-8.
	 */
	ok = (roster_sheet(rs) == NULL || fputs(REPORT_BOM, f) != EOF) &&
	    roster_out_open(&out, f, roster_sheet(rs) ? "UTF-8" :
	    roster_encoding(rs), roster_sheet(rs) ? ',' :
	    roster_delimiter(rs), e) == 0 &&
	    roster_out_row(out, roster_cols(rs), roster_ncols(rs), e) == 0 &&
	    copy_rows(rv, rs, out, rt, e) == 0;
	roster_out_free(out);
	roster_free(rs);
	return report_tmp_close(f, tmp, path, ok, e);
}
