/*
 * mailmerge: the command line.  One subcommand per verb, each parsed
 * with getopt_long; the only place that prints usage, maps an error kind
 * to an exit code (one switch, sysexits.h) and calls exit().
 */
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "err.h"
#include "i18n.h"
#include "init.h"
#include "job.h"
#include "preview.h"
#include "relay.h"
#include "review.h"
#include "send.h"
#include "show.h"
#include "term.h"

#define VERSION		"0.1.0"
#define PREVIEW_DIR	"out/preview"

struct verb {
	const char	*name;
	int		(*run)(int argc, char **argv);
	const char	*summary;
	const char	*help;		/* VERB --help, mailmerge help VERB */
};

static int	run_init(int, char **);
static int	run_preview(int, char **);
static int	run_send(int, char **);
static int	run_check(int, char **);
static int	run_report(int, char **);
static int	run_relay(int, char **);

/* The verbs, in the order usage() lists them; the table is at the end. */
#define NVERBS	7
static const struct verb verbs[NVERBS];

static const char exit_codes[] = N_(
    "Exit status:\n"
    "  0   success\n"
    "  64  EX_USAGE     bad command line\n"
    "  65  EX_DATAERR   bad roster, template or report (nothing was "
    "written or sent),\n"
    "               or the roster changed on disk during a send\n"
    "  66  EX_NOINPUT   an input file is missing or unreadable\n"
    "  67  EX_NOUSER    send: some recipients were refused permanently\n"
    "               (a row failed, or partial: a 5xx for one Cc)\n"
    "  69  EX_UNAVAILABLE cannot connect, or no STARTTLS/TLS\n"
    "  73  EX_CANTCREAT cannot write the output (send: disk full)\n"
    "  75  EX_TEMPFAIL  send: some rows deferred, skipped, not attempted,\n"
    "                   unknown or partial, or interrupted; report: rows\n"
    "                   remain to be sent; the report is in use by another\n"
    "                   run; resume later\n"
    "  76  EX_PROTOCOL  the server broke the SMTP protocol\n"
    "  77  EX_NOPERM    authentication refused (check the app password)\n"
    "  78  EX_CONFIG    bad configuration\n");

/* The one mapping from an error kind to an exit status. */
static int
exit_code(enum err_kind kind)
{
	switch (kind) {
	case E_NONE:
		return EX_OK;
	case E_USAGE:
		return EX_USAGE;
	case E_NOINPUT:
		return EX_NOINPUT;
	case E_INPUT:
		return EX_DATAERR;
	case E_CONFIG:
		return EX_CONFIG;
	case E_NET:
	case E_TLS:
		return EX_UNAVAILABLE;
	case E_PROTO:
		return EX_PROTOCOL;
	case E_TEMP:
		return EX_TEMPFAIL;
	case E_PERM:
		return EX_NOUSER;
	case E_AUTH:
		return EX_NOPERM;
	case E_OS:
		return EX_CANTCREAT;
	case E_INTERNAL:
		break;
	}
	return EX_SOFTWARE;
}

/* Messages may quote roster fields: escaped for the terminal. */
void
print_err(const char *level, const struct err *e)
{
	fputs("mailmerge: ", stderr);
	if (e->where[0] != '\0') {
		term_puts(stderr, e->where, false);
		fputs(": ", stderr);
	}
	fprintf(stderr, "%s: ", level);
	term_puts(stderr, e->msg, false);
	fputc('\n', stderr);
}

static void
diag(void *arg, enum job_level level, const struct err *e)
{
	static const char *const name[] = { N_("error"), N_("warning"),
	    N_("note") };

	(void)arg;
	print_err(_(name[level]), e);
}

int
fail(const struct err *e)
{
	print_err(_("error"), e);
	return exit_code(e->kind);
}

/* One line: what is wrong, and where the help is. */
int
usage_error(const char *verb, const char *fmt, const char *arg)
{
	fprintf(stderr, "mailmerge: %s%s", verb ? verb : "", verb ? ": " : "");
	fprintf(stderr, _(fmt), arg);
	fprintf(stderr, _(" (see 'mailmerge %s%s')\n"),
	    verb ? "help " : "--help", verb ? verb : "");
	return EX_USAGE;
}

/*
 * getopt_long's '?' or ':' (opterr is 0, so getopt itself prints
 * nothing): name the option as the user wrote it.
 */
static int
bad_option(const char *verb, int c, char **argv)
{
	const char *arg = argv[optind - 1];
	char name[64];

	if (strncmp(arg, "--", 2) == 0 || optopt == 0)
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="),
		    arg);
	else
		snprintf(name, sizeof(name), "-%c", optopt);
	if (c == ':')
		return usage_error(verb, N_("option '%s' needs a value"), name);
	if (strchr(arg, '=') != NULL && strncmp(arg, "--", 2) == 0 &&
	    optopt != 0)
		return usage_error(verb, N_("option '%s' takes no value"),
		    name);
	return usage_error(verb, N_("unknown option '%s'"), name);
}

static void
usage(FILE *f)
{
	size_t i;

	fputs(_("usage: mailmerge COMMAND [OPTIONS] ...\n"
	    "       mailmerge help [COMMAND] | --help | -V | --version\n\n"
	    "Send one personalised mail per roster row.\n\nCommands:\n"), f);
	for (i = 0; i < NVERBS; i++)
		fprintf(f, "  %-9s %s\n", verbs[i].name, _(verbs[i].summary));
	fprintf(f, _("\nRun 'mailmerge help COMMAND' (or 'mailmerge COMMAND "
	    "--help') for its options.\n\n%s"), _(exit_codes));
}

static const struct verb *
find_verb(const char *name)
{
	size_t i;

	for (i = 0; i < NVERBS; i++)
		if (strcmp(name, verbs[i].name) == 0)
			return &verbs[i];
	return NULL;
}

/* A verb's usage, its options, then the exit statuses. */
int
verb_help(const char *name)
{
	fputs(_(find_verb(name)->help), stdout);
	fputs(_(exit_codes), stdout);
	return EX_OK;
}

static const char init_help[] = N_(
    "usage: mailmerge init [DIR]\n\n"
    "Write a commented mailmerge.conf (mode 0600), a sample roster.csv and\n"
    "a template.txt into DIR (default: the current folder) to start from.\n"
    "A file that is already there is kept, never overwritten.\n\n"
    "  -h, --help          this help\n\n");

static int
run_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct init_result res;
	struct err e;
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h')
			return verb_help("init");
		return bad_option("init", c, argv);
	}
	if (argc - optind > 1)
		return usage_error("init", "%s", _("init takes at most one "
		    "argument: DIR"));
	if (init_write(argc > optind ? argv[optind] : ".", &res, &e) == -1)
		return fail(&e);
	for (i = 0; i < res.nfiles; i++)
		printf("%s %s\n", res.file[i].created ? _("wrote") :
		    _("kept "), res.file[i].path);
	if (res.kept > 0)
		printf(P_("%zu file was already there and was kept "
		    "unchanged\n", "%zu files were already there and were "
		    "kept unchanged\n", res.kept), res.kept);
	printf(_("next: edit %s (your accounts), then\n"
	    "  mailmerge preview -c %s %s %s\n  mailmerge check -c %s\n"),
	    res.file[0].path, res.file[0].path, res.file[1].path,
	    res.file[2].path, res.file[0].path);
	return EX_OK;
}

static const char preview_help[] = N_(
    "usage: mailmerge preview [-o DIR] [--mbox FILE] [-c CONFIG] [-n N]\n"
    "                         [--skip-invalid] [--encoding ENC]\n"
    "                         [--delimiter C] ROSTER.csv TEMPLATE\n\n"
    "Render the mail of every roster row without sending anything.\n\n"
    "  -o, --output DIR    where the .eml files and report.csv go\n"
    "                      (default: out/preview); earlier previews' "
    ".eml files\n"
    "                      there are replaced\n"
    "      --mbox FILE     write all messages into one mbox file instead "
    "of .eml\n"
    "                      files (the report still goes to DIR)\n"
    "  -c, --config FILE   take From from the account a row would go\n"
    "                      through, as send does (default: From must be in\n"
    "                      the template)\n"
    "  -n, --limit N       only the first N rows (default: all)\n"
    "      --skip-invalid  rows with errors are reported skipped, with the\n"
    "                      reason, and the others previewed (default: any\n"
    "                      error stops the run before anything is written)\n"
    "      --encoding ENC  the roster's encoding, e.g. CP949 (default: "
    "detect\n"
    "                      UTF-8, UTF-8 with BOM, UTF-16 with BOM, else "
    "CP949)\n"
    "      --delimiter C   field delimiter: ',' ';' 'tab' (default: "
    "detect from\n"
    "                      the header row)\n"
    "      --sheet NAME|N  the sheet of an .xlsx, .ods or .xls roster, by "
    "name or\n"
    "                      number (default: the first visible one)\n"
    "  -h, --help          this help\n\n");

/* The delimiters README lists, and nothing else. */
static const struct {
	const char	*name;
	int		 c;
} delimiters[] = {
	{ ",", ',' }, { ";", ';' }, { "tab", '\t' }, { "\t", '\t' },
};

static int
parse_delimiter(const char *s, int *d)
{
	size_t i;

	for (i = 0; i < sizeof(delimiters) / sizeof(delimiters[0]); i++)
		if (strcmp(s, delimiters[i].name) == 0) {
			*d = delimiters[i].c;
			return 0;
		}
	return -1;
}

static int
parse_count(const char *s, size_t *n)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v == 0)
		return -1;
	*n = (size_t)v;
	return 0;
}

/*
 * The roster options preview and send share: -n, --encoding,
 * --delimiter.  0 if c was one of them, 1 if not, else EX_USAGE.
 */
static int
roster_option(const char *verb, int c, struct job_params *p)
{
	switch (c) {
	case 'n':
		if (parse_count(optarg, &p->limit) == -1)
			return usage_error(verb, N_("-n takes a positive "
			    "number of rows, not '%s'"), optarg);
		return 0;
	case 'E':
		p->encoding = optarg;
		return 0;
	case 'H':
		p->sheet = optarg;
		return 0;
	case 'D':
		if (parse_delimiter(optarg, &p->delimiter) == -1)
			return usage_error(verb, N_("--delimiter takes ',' ';' "
			    "or 'tab', not '%s'"), optarg);
		return 0;
	}
	return 1;
}

/* ROSTER.csv TEMPLATE, the operands of preview and send. */
static int
batch_operands(const char *verb, int argc, char **argv,
    struct job_params *p)
{
	if (argc - optind != 2) {
		return usage_error(verb, "%s", _("takes two arguments: "
		    "ROSTER.csv TEMPLATE"));
	}
	p->roster = argv[optind];
	p->template = argv[optind + 1];
	return 0;
}

static int
run_preview(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "mbox", required_argument, NULL, 'M' },
		{ "config", required_argument, NULL, 'c' },
		{ "skip-invalid", no_argument, NULL, 'S' },
		{ "limit", required_argument, NULL, 'n' },
		{ "encoding", required_argument, NULL, 'E' },
		{ "delimiter", required_argument, NULL, 'D' },
		{ "sheet", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct job_params p = { .outdir = PREVIEW_DIR, .show = show_row,
	    .diag = diag };
	struct preview_result res;
	struct err e;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":o:n:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			p.outdir = optarg;
			break;
		case 'M':
			p.mbox = optarg;
			break;
		case 'c':
			p.config = optarg;
			break;
		case 'S':
			p.skip_invalid = true;
			break;
		case 'h':
			return verb_help("preview");
		default:
			rc = roster_option("preview", c, &p);
			if (rc != 0)
				return rc == 1 ? bad_option("preview", c,
				    argv) : rc;
		}
	}
	rc = batch_operands("preview", argc, argv, &p);
	if (rc != 0)
		return rc;
	if (preview_batch(&p, &res, &e) == -1)
		return fail(&e);
	show_preview(&p, &res);
	return EX_OK;
}

static const char send_help[] = N_(
    "usage: mailmerge send [-c CONFIG] [-r REPORT] [--resume] [--rate N/UNIT]\n"
    "                      [-n N] [--trace] [--yes] [--test-to ADDRESS]\n"
    "                      [--skip-invalid] [--encoding ENC]\n"
    "                      [--delimiter C] ROSTER.csv TEMPLATE\n\n"
    "Send one mail per roster row through the accounts of CONFIG.\n"
    "Every row and every password is checked before anything is sent.\n"
    "Ctrl-C (or SIGTERM) stops after the message in flight and prints the\n"
    "command that continues (exit 75); a second one quits at once.  Off a\n"
    "terminal, each row's outcome is a line on stderr.\n\n"
    "  -c, --config FILE   accounts (default: ./mailmerge.conf, then\n"
    "                      $XDG_CONFIG_HOME/mailmerge/config)\n"
    "  -r, --report FILE   the delivery report (default:\n"
    "                      out/report-YYYYmmdd-HHMMSS.csv)\n"
    "      --resume        continue the run of -r REPORT: rows it has as sent\n"
    "                      or unknown are skipped, the rest are sent\n"
    "      --rate N/UNIT   at most N mails per UNIT (s, min, h, day) for every\n"
    "                      account (default: each account's rate)\n"
    "  -n, --limit N       only the first N rows (default: all)\n"
    "      --trace         print the SMTP dialogue on stderr (passwords and\n"
    "                      message bodies are never shown)\n"
    "  -y, --yes           send without asking (required off a terminal)\n"
    "      --test-to ADDRESS\n"
    "                      send row 1 (or the first N rows of -n N) only to\n"
    "                      ADDRESS, Subject prefixed [TEST]; no student gets\n"
    "                      anything, no report is written, nothing counts\n"
    "                      as sent\n"
    "      --skip-invalid  rows with errors are reported skipped, with the\n"
    "                      reason, and the others sent (default: any error\n"
    "                      stops the run before anything is sent)\n"
    "      --encoding ENC  the roster's encoding (default: detect)\n"
    "      --delimiter C   field delimiter: ',' ';' 'tab' (default: detect)\n"
    "      --sheet NAME|N  the sheet of a spreadsheet roster (default: the "
    "first\n"
    "                      visible one); a resume must use the same\n"
    "  -h, --help          this help\n\n");

static const char check_help[] = N_(
    "usage: mailmerge check [-c CONFIG] [--trace]\n\n"
    "For every account: connect, STARTTLS, verify the certificate, EHLO,\n"
    "AUTH, QUIT.  Sends nothing.\n\n"
    "  -c, --config FILE   accounts (default: ./mailmerge.conf, then\n"
    "                      $XDG_CONFIG_HOME/mailmerge/config)\n"
    "      --trace         print the SMTP dialogue on stderr\n"
    "  -h, --help          this help\n\n");

/* y, yes, 예, 네 (in any locale: a Korean answer on an English one too). */
static bool
is_yes(const char *line)
{
	static const char *const yes[] = { "y", "yes", "예", "네" };
	size_t i, n = strcspn(line, " \t\r\n");

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (n == strlen(yes[i]) && strncasecmp(line, yes[i], n) == 0)
			return true;
	return false;
}

/* Ask on the terminal; -1 when there is none to ask. */
static int
confirm(void *arg)
{
	char line[64];

	(void)arg;
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
		return -1;
	fprintf(stderr, _("%s [y/N] "), _("Send these mails now?"));
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	return is_yes(line + strspn(line, " \t"));
}

static void
progress(void *arg, const struct send_progress *pr)
{
	unsigned long eta = (unsigned long)pr->eta_s;

	(void)arg;
	fputs("\r\033[K", stderr);	/* the line so far, erased */
	fprintf(stderr, _("[%zu/%zu] sent %zu, failed %zu, unknown %zu"),
	    pr->done, pr->total, pr->sent, pr->failed, pr->unknown);
	if (pr->per_min > 0)	/* none until two mails give a gap */
		fprintf(stderr, _(", %.1f/min, ETA %lu:%02lu"), pr->per_min,
		    eta / 60, eta % 60);
	if (pr->done == pr->total)
		fputc('\n', stderr);
	fflush(stderr);
}

/* Off a terminal (cron, | tee): one line per row, as it happens. */
static void
outcome_line(void *arg, const struct send_outcome *o)
{
	char code[32] = "", *line = NULL;
	size_t len = 0;
	FILE *f;

	(void)arg;
	if (o->code != 0)
		snprintf(code, sizeof(code), " %d%s%s", o->code,
		    o->enhanced[0] ? " " : "", o->enhanced);
	/* One write per line: stderr is unbuffered. */
	f = open_memstream(&line, &len);
	if (f == NULL)
		return;
	fprintf(f, _("mailmerge: row %zu "), o->row);
	/* Recipients come from the roster: escaped for the terminal. */
	term_puts(f, o->recipients, false);
	fprintf(f, ": %s%s [%s]\n", o->status, code, o->account);
	if (fclose(f) == 0)
		fwrite(line, 1, len, stderr);
	free(line);
}

/*
 * SIGINT, SIGTERM during send: the first asks the run to stop after the
 * message in flight (it QUITs, prints the summary and the command that
 * continues); SA_RESETHAND makes a second one end the process at once
 * (the report is a journal fsynced per line: --resume repairs it).
 */
static volatile sig_atomic_t stop_asked;
static const char *stop_msg;	/* translated before the handler runs */

static void
on_stop(int sig)
{
	ssize_t n;

	(void)sig;
	stop_asked = 1;
	n = write(STDERR_FILENO, stop_msg, strlen(stop_msg));
	(void)n;
}

static void
catch_stop(void)
{
	struct sigaction sa;

	stop_msg = _("\nmailmerge: stopping after the message in flight "
	    "(again to quit at once)\n");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sa.sa_flags = SA_RESETHAND;	/* no SA_RESTART: the y/N read ends */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Options that go together, or not; 0 or EX_USAGE. */
static int
send_options(struct job_params *p)
{
	if (p->resume && p->report == NULL)
		return usage_error("send", "%s", _("--resume needs -r "
		    "REPORT, the report of the run to continue"));
	if (p->test_to != NULL && (p->resume || p->report != NULL))
		return usage_error("send", "%s", _("--test-to writes no "
		    "report: it takes neither --resume nor -r"));
	if (p->test_to != NULL && p->limit == 0)
		p->limit = 1;	/* row 1 unless -n says more */
	return 0;
}

static int
run_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "report", required_argument, NULL, 'r' },
		{ "resume", no_argument, NULL, 'R' },
		{ "rate", required_argument, NULL, 'T' },
		{ "limit", required_argument, NULL, 'n' },
		{ "trace", no_argument, NULL, 'v' },
		{ "yes", no_argument, NULL, 'y' },
		{ "test-to", required_argument, NULL, 't' },
		{ "skip-invalid", no_argument, NULL, 'S' },
		{ "encoding", required_argument, NULL, 'E' },
		{ "delimiter", required_argument, NULL, 'D' },
		{ "sheet", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct job_params p = { .diag = diag, .show = show_row,
	    .plan = show_plan, .confirm = confirm, .summary = show_summary,
	    .stop = &stop_asked };
	struct err e;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":c:r:n:yh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			p.config = optarg;
			break;
		case 'r':
			p.report = optarg;
			break;
		case 'R':
			p.resume = true;
			break;
		case 'T':
			p.rate = optarg;
			break;
		case 'v':
			p.trace = stderr;
			break;
		case 'y':
			p.yes = true;
			break;
		case 't':
			p.test_to = optarg;
			break;
		case 'S':
			p.skip_invalid = true;
			break;
		case 'h':
			return verb_help("send");
		default:
			rc = roster_option("send", c, &p);
			if (rc != 0)
				return rc == 1 ? bad_option("send", c,
				    argv) : rc;
		}
	}
	rc = batch_operands("send", argc, argv, &p);
	if (rc != 0)
		return rc;
	rc = send_options(&p);
	if (rc != 0)
		return rc;
	p.roster = argv[optind];
	p.template = argv[optind + 1];
	if (isatty(STDERR_FILENO))
		p.progress = progress;
	else
		p.outcome = outcome_line;
	catch_stop();
	rc = send_batch(&p, &e);
	if (stop_asked && p.progress != NULL)
		fputc('\n', stderr);	/* end the progress line */
	return rc == -1 ? fail(&e) : EX_OK;
}

static int
run_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "trace", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct job_params p = { .diag = diag };
	struct err e;
	int c;

	while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			p.config = optarg;
			break;
		case 'v':
			p.trace = stderr;
			break;
		case 'h':
			return verb_help("check");
		default:
			return bad_option("check", c, argv);
		}
	}
	if (argc != optind)
		return usage_error("check", "%s",
		    _("check takes no arguments"));
	if (check_accounts(&p, &e) == -1)
		return exit_code(e.kind);	/* each account was reported */
	return EX_OK;
}

static const char report_help[] = N_(
    "usage: mailmerge report [--failed-csv FILE] [--json] [--html FILE]\n"
    "                        REPORT.csv [MORE.csv ...]\n\n"
    "Summarise delivery reports: counts by status, by account and by reply\n"
    "code (what each code means and what to do), then every row that was\n"
    "not delivered.  Several reports (a run and its resumes) merge in the\n"
    "order given, the latest line of each row winning; they must come from\n"
    "the same roster.  The reports are read fully into memory (the latest\n"
    "line of each row): fine for class-sized batches.  Sent means accepted\n"
    "by the server, not delivered: bounces come later by mail.  Roster\n"
    "rows no report mentions are counted as not tried; while rows remain\n"
    "to be sent the summary ends with the command that continues, and the\n"
    "exit status is 75.\n\n"
    "      --failed-csv FILE  write the roster rows whose latest status is\n"
    "                         not sent (header included, in the roster's\n"
    "                         own encoding and delimiter) to FILE, as the\n"
    "                         roster of a retry batch (default: none); the\n"
    "                         roster is found by the path in the report\n"
    "                         (an old relative one: from here, or beside\n"
    "                         the report); refused if the roster changed\n"
    "                         since.  Rows no report\n"
    "                         mentions are included; so are rows left\n"
    "                         unknown, with a warning: check the Sent\n"
    "                         folder before sending them again\n"
    "      --json             print the summary as one JSON object instead\n"
    "                         of text (default: text)\n"
    "      --html FILE        also write the summary as one self-contained\n"
    "                         HTML page (default: none)\n"
    "  -h, --help             this help\n\n");

/* --failed-csv: write the retry roster, then say what is in it. */
static int
write_retry(const struct review *rv, const char *path, struct err *e)
{
	struct review_retry rt;

	if (review_write_retry(rv, path, &rt, e) == -1)
		return -1;
	fprintf(stderr, P_("mailmerge: %s: wrote %zu roster row to send "
	    "again\n", "mailmerge: %s: wrote %zu roster rows to send again\n",
	    rt.rows), path, rt.rows);
	if (rt.absent > 0)
		fprintf(stderr, P_("mailmerge: %s: warning: %zu row in it has "
		    "no line in the reports (never tried)\n", "mailmerge: %s: "
		    "warning: %zu rows in it have no line in the reports "
		    "(never tried)\n", rt.absent), path, rt.absent);
	if (rt.unknown == 0)
		return 0;
	fprintf(stderr, P_("mailmerge: %s: warning: %zu row included has "
	    "status unknown: it may already have the mail; check the Sent "
	    "folder before sending it again:\n", "mailmerge: %s: warning: %zu "
	    "rows included have status unknown: they may already have the "
	    "mail; check the Sent folder before sending them again:\n",
	    rt.unknown), path, rt.unknown);
	return review_print_unknown(rv, stderr, e);
}

/* The summary on stdout, then the files asked for. */
static int
report_outputs(const struct review *rv, bool json, const char *html,
    const char *failed, struct err *e)
{
	int rc;

	rc = json ? review_print_json(rv, stdout, e) :
	    review_print_text(rv, stdout, e);
	if (rc == 0 && html != NULL)
		rc = review_write_html(rv, html, e);
	if (rc == 0 && failed != NULL)
		rc = write_retry(rv, failed, e);
	return rc;
}

static int
run_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "failed-csv", required_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'J' },
		{ "html", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *failed = NULL, *html = NULL;
	struct review *rv;
	struct err e;
	bool json = false;
	size_t left;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			failed = optarg;
			break;
		case 'J':
			json = true;
			break;
		case 'H':
			html = optarg;
			break;
		case 'h':
			return verb_help("report");
		default:
			return bad_option("report", c, argv);
		}
	}
	if (argc == optind)
		return usage_error("report", "%s", _("report takes one or "
		    "more arguments: REPORT.csv [MORE.csv ...]"));
	if (review_load(&rv, argv + optind, (size_t)(argc - optind), &e) == -1)
		return fail(&e);
	rc = report_outputs(rv, json, html, failed, &e);
	left = review_remaining(rv);
	review_free(rv);
	if (rc == -1)
		return fail(&e);
	return left > 0 ? EX_TEMPFAIL : EX_OK;	/* rows remain: resume */
}

static const char relay_help[] = N_(
    "usage: mailmerge relay [-c CONFIG] [-r REPORT] [--listen ADDR:PORT] "
    "[--once]\n                       [--trace]\n\n"
    "Serve SMTP to local programs and relay each message through the "
    "account\nthat routes its recipients (pacing, TLS, AUTH as send); the "
    "reply to the\nend of data is the provider's.  See README \"Relay\".\n\n"
    "  -c, --config FILE   the configuration ([relay] and the accounts)\n"
    "  -r, --report FILE   the journal (default: out/relay-YYYYmmdd.csv)\n"
    "      --listen A:P    default [relay] listen, else 127.0.0.1:2525\n"
    "                      ([::1]:2525 for IPv6); not loopback only with\n"
    "                      cert, key and credentials in [relay]\n"
    "      --once          serve one connection, then exit\n"
    "      --trace         both dialogues on stderr (AUTH redacted)\n"
    "  -h, --help          this help\n\n"
    "SIGINT or SIGTERM: stop accepting, finish the messages in flight, "
    "exit 0.\n\n");

static int
run_relay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "report", required_argument, NULL, 'r' },
		{ "listen", required_argument, NULL, 'l' },
		{ "once", no_argument, NULL, 'o' },
		{ "trace", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct relay_params p = { .diag = diag, .stop = &stop_asked };
	struct err e;
	int c;

	while ((c = getopt_long(argc, argv, ":c:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			p.config = optarg;
			break;
		case 'r':
			p.report = optarg;
			break;
		case 'l':
			p.listen = optarg;
			break;
		case 'o':
			p.once = true;
			break;
		case 'v':
			p.trace = stderr;
			break;
		case 'h':
			return verb_help("relay");
		default:
			return bad_option("relay", c, argv);
		}
	}
	if (argc != optind)
		return usage_error("relay", "%s", _("relay takes no "
		    "arguments"));
	catch_stop();	/* no SA_RESTART: the accept loop sees the flag */
	return relay_run(&p, &e) == -1 ? fail(&e) : EX_OK;
}



/* mailmerge help [VERB] */
static int
run_help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return EX_OK;
	}
	if (argc > 2 || find_verb(argv[1]) == NULL)
		return usage_error(NULL, N_("help: no command '%s'"),
		    argv[1]);
	return verb_help(argv[1]);
}

static const char bounces_help[] = N_(
    "usage: mailmerge bounces [-c CONFIG] [-r REPORT] [--account NAME]\n"
    "                         [--since DATE] [--json] [--dry-run] "
    "[SOURCE ...]\n\n"
    "Find the bounces of a batch and mark their rows 'bounced' in the\n"
    "report.  Without SOURCE, read each account's IMAP mailbox read-only\n"
    "(EXAMINE, BODY.PEEK: nothing is marked, moved or deleted), the mail\n"
    "since the report's first send.  SOURCE: a Maildir folder, an mbox\n"
    "file or .eml files.  Running it again adds nothing twice.\n\n"
    "  -c, --config FILE   the accounts (default: ./mailmerge.conf, then\n"
    "                      ~/.config/mailmerge/config)\n"
    "  -r, --report FILE   the send's report (default: the newest\n"
    "                      out/report-*.csv)\n"
    "      --account NAME  only this account's mailbox\n"
    "      --since DATE    mail since this day (YYYY-MM-DD)\n"
    "      --json          one JSON object per recipient of each bounce\n"
    "      --dry-run       show what would change; write nothing\n"
    "  -h, --help          this help\n\n");

int
main(int argc, char **argv)
{
	const struct verb *v;

	i18n_init();
	opterr = 0;	/* bad_option() says it, in one line */
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EX_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("mailmerge " VERSION "\n");
		return EX_OK;
	}
	if (strcmp(argv[1], "help") == 0)
		return run_help(argc - 1, argv + 1);
	v = find_verb(argv[1]);
	if (v != NULL)
		return v->run(argc - 1, argv + 1);
	return usage_error(NULL, N_("unknown command '%s'"), argv[1]);
}

static const struct verb verbs[NVERBS] = {
	{ "init", run_init,
	    N_("write a commented config, a sample roster and a template"),
	    init_help },
	{ "preview", run_preview,
	    N_("render every mail into a folder (or mbox); send nothing"),
	    preview_help },
	{ "send", run_send,
	    N_("deliver every mail through the configured accounts"), send_help },
	{ "check", run_check,
	    N_("log in to every account (STARTTLS, AUTH) and send nothing"),
	    check_help },
	{ "report", run_report,
	    N_("summarise delivery reports; write the rows not sent as a roster"),
	    report_help },
	{ "bounces", run_bounces,
	    N_("read bounces (IMAP, Maildir, mbox) back into the report"),
	    bounces_help },
	{ "relay", run_relay,
	    N_("a local SMTP server relaying through the accounts, paced"),
	    relay_help },
};
