/*
 * mailmerge bounces: its command line and summary.  Linked only into
 * the helper program mailmerge-bounces (see cli.h), which `mailmerge
 * bounces` execs with the same arguments, so that libcurl and GMime
 * (reached through bounces.h) stay out of mailmerge itself.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <sysexits.h>

#include "bounces.h"
#include "cli.h"
#include "err.h"
#include "i18n.h"
#include "review.h"

static int	bounces_summary(const struct bounces_result *, bool, char *);

static void
note(void *arg, const struct err *e)
{
	(void)arg;
	print_err(_("note"), e);
}

int
run_bounces(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "report", required_argument, NULL, 'r' },
		{ "account", required_argument, NULL, 'A' },
		{ "since", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'J' },
		{ "dry-run", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct bounces_params p = { .out = stdout, .note = note };
	struct bounces_result res;
	char report[4096];
	struct err e;
	int c;

	while ((c = getopt_long(argc, argv, "c:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			p.config = optarg;
			break;
		case 'r':
			p.report = optarg;
			break;
		case 'A':
			p.account = optarg;
			break;
		case 'S':
			p.since = optarg;
			break;
		case 'J':
			p.json = true;
			break;
		case 'N':
			p.dry_run = true;
			break;
		case 'h':
			return verb_help("bounces");
		default:
			return usage_error("bounces", "%s", _("bad option"));
		}
	}
	p.sources = argv + optind;
	p.nsources = (size_t)(argc - optind);
	if (bounces_run(&p, &res, report, sizeof(report), &e) == -1)
		return fail(&e);
	return p.json ? EX_OK : bounces_summary(&res, p.dry_run, report);
}

/* After the table: what the run did, then the report's summary. */
static int
bounces_summary(const struct bounces_result *r, bool dry_run, char *report)
{
	char *paths[1] = { report };
	struct review *rv;
	struct err e;
	int rc;

	putchar('\n');
	printf(P_("%zu message read: ", "%zu messages read: ", r->messages),
	    r->messages);
	printf(P_("%zu bounce, ", "%zu bounces, ", r->bounces), r->bounces);
	printf(P_("%zu auto-reply, ", "%zu auto-replies, ", r->autoreplies),
	    r->autoreplies);
	printf(_("%zu skipped; "), r->skipped);
	printf(dry_run ? P_("%zu row would be marked bounced, ",
	    "%zu rows would be marked bounced, ", r->marked) :
	    P_("%zu row marked bounced, ", "%zu rows marked bounced, ",
	    r->marked), r->marked);
	printf(_("%zu unmatched.%s\n\n"), r->unmatched, dry_run ?
	    _(" (dry run: nothing written)") : "");
	if (review_load(&rv, paths, 1, &e) == -1)
		return fail(&e);
	rc = review_print_text(rv, stdout, &e);
	review_free(rv);
	return rc == -1 ? fail(&e) : EX_OK;
}
