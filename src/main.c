/*
 * mailmerge: the command line.  One subcommand per verb, each parsed
 * with getopt_long; the only place that prints usage, maps an error kind
 * to an exit code (one switch, sysexits.h) and calls exit().
 */
#include <getopt.h>
#include <signal.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "batch.h"
#include "err.h"
#include "relay.h"
#include "review.h"

#define VERSION		"0.1.0"
#define PREVIEW_DIR	"out/preview"

struct verb {
	const char	*name;
	int		(*run)(int argc, char **argv);
	const char	*summary;
};

static int	run_preview(int, char **);
static int	run_send(int, char **);
static int	run_check(int, char **);
static int	run_report(int, char **);
static int	run_relay(int, char **);

static const struct verb verbs[] = {
	{ "preview", run_preview,
	    "render every mail into a folder (or mbox); send nothing" },
	{ "send", run_send,
	    "deliver every mail through the configured accounts" },
	{ "check", run_check,
	    "log in to every account (STARTTLS, AUTH) and send nothing" },
	{ "report", run_report,
	    "summarise delivery reports; write the rows not sent as a roster" },
	{ "relay", run_relay,
	    "a local SMTP server relaying through the accounts, paced" },
};

static const char exit_codes[] =
    "Exit status:\n"
    "  0   success\n"
    "  64  EX_USAGE     bad command line\n"
    "  65  EX_DATAERR   bad roster, template or report (nothing was "
    "written or sent)\n"
    "  66  EX_NOINPUT   an input file is missing or unreadable\n"
    "  67  EX_NOUSER    send: some recipients were refused permanently\n"
    "  69  EX_UNAVAILABLE cannot connect, or no STARTTLS/TLS\n"
    "  73  EX_CANTCREAT cannot write the output\n"
    "  75  EX_TEMPFAIL  send: some mails deferred or unknown; resume later\n"
    "  76  EX_PROTOCOL  the server broke the SMTP protocol\n"
    "  77  EX_NOPERM    authentication refused (check the app password)\n"
    "  78  EX_CONFIG    bad configuration\n";

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

static void
print_err(const char *level, const struct err *e)
{
	if (e->where[0] != '\0')
		fprintf(stderr, "mailmerge: %s: %s: %s\n", e->where, level,
		    e->msg);
	else
		fprintf(stderr, "mailmerge: %s: %s\n", level, e->msg);
}

static void
diag(void *arg, enum batch_level level, const struct err *e)
{
	static const char *const name[] = { "error", "warning", "note" };

	(void)arg;
	print_err(name[level], e);
}

static int
fail(const struct err *e)
{
	print_err("error", e);
	return exit_code(e->kind);
}

static int
usage_error(const char *verb, const char *fmt, const char *arg)
{
	fprintf(stderr, "mailmerge: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'mailmerge %s --help'.\n", verb ? verb : "");
	return EX_USAGE;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mailmerge COMMAND [OPTIONS] ...\n"
	    "       mailmerge --help | --version\n\n"
	    "Send one personalised mail per roster row.\n\nCommands:\n");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nRun 'mailmerge COMMAND --help' for its options.\n\n%s",
	    exit_codes);
}

static const char preview_help[] =
    "usage: mailmerge preview [-o DIR] [--mbox FILE] [-n N] [--encoding ENC]\n"
    "                         [--delimiter C] ROSTER.csv TEMPLATE\n\n"
    "Render the mail of every roster row without sending anything.\n\n"
    "  -o, --output DIR    where the .eml files and report.csv go\n"
    "                      (default: " PREVIEW_DIR "); earlier previews' "
    ".eml files\n"
    "                      there are replaced\n"
    "      --mbox FILE     write all messages into one mbox file instead "
    "of .eml\n"
    "                      files (the report still goes to DIR)\n"
    "  -n, --limit N       only the first N rows (default: all)\n"
    "      --encoding ENC  the roster's encoding, e.g. CP949 (default: "
    "detect\n"
    "                      UTF-8, UTF-8 with BOM, UTF-16 with BOM, else "
    "CP949)\n"
    "      --delimiter C   field delimiter: ',' ';' 'tab' (default: "
    "detect from\n"
    "                      the header row)\n"
    "  -h, --help          this help\n\n";

static int
parse_delimiter(const char *s, int *d)
{
	if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0 ||
	    strcmp(s, "\t") == 0) {
		*d = '\t';
		return 0;
	}
	if (strlen(s) != 1 || strchr("\r\n\"", s[0]) != NULL)
		return -1;
	*d = (unsigned char)s[0];
	return 0;
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
roster_option(const char *verb, int c, struct batch_params *p)
{
	switch (c) {
	case 'n':
		if (parse_count(optarg, &p->limit) == -1)
			return usage_error(verb, "-n takes a positive number "
			    "of rows, not '%s'", optarg);
		return 0;
	case 'E':
		p->encoding = optarg;
		return 0;
	case 'D':
		if (parse_delimiter(optarg, &p->delimiter) == -1)
			return usage_error(verb, "--delimiter takes one "
			    "character or 'tab', not '%s'", optarg);
		return 0;
	}
	return 1;
}

/* ROSTER.csv TEMPLATE, the operands of preview and send. */
static int
batch_operands(const char *verb, int argc, char **argv,
    struct batch_params *p)
{
	if (argc - optind != 2) {
		fprintf(stderr, "mailmerge: %s takes two arguments: ROSTER.csv "
		    "TEMPLATE\nTry 'mailmerge %s --help'.\n", verb, verb);
		return EX_USAGE;
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
		{ "limit", required_argument, NULL, 'n' },
		{ "encoding", required_argument, NULL, 'E' },
		{ "delimiter", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct batch_params p = { .outdir = PREVIEW_DIR, .show = stdout,
	    .diag = diag };
	struct err e;
	int c, rc;

	while ((c = getopt_long(argc, argv, "o:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			p.outdir = optarg;
			break;
		case 'M':
			p.mbox = optarg;
			break;
		case 'h':
			fputs(preview_help, stdout);
			fputs(exit_codes, stdout);
			return EX_OK;
		default:
			rc = roster_option("preview", c, &p);
			if (rc != 0)
				return rc == 1 ? usage_error("preview", "%s",
				    "bad option") : rc;
		}
	}
	rc = batch_operands("preview", argc, argv, &p);
	if (rc != 0)
		return rc;
	if (batch_preview(&p, &e) == -1)
		return fail(&e);
	return EX_OK;
}

static const char send_help[] =
    "usage: mailmerge send [-c CONFIG] [-r REPORT] [--resume] [--rate N/UNIT]\n"
    "                      [-n N] [--trace] [--yes] [--encoding ENC]\n"
    "                      [--delimiter C] ROSTER.csv TEMPLATE\n\n"
    "Send one mail per roster row through the accounts of CONFIG.\n"
    "Every row and every password is checked before anything is sent.\n\n"
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
    "      --encoding ENC  the roster's encoding (default: detect)\n"
    "      --delimiter C   field delimiter: ',' ';' 'tab' (default: detect)\n"
    "  -h, --help          this help\n\n";

static const char check_help[] =
    "usage: mailmerge check [-c CONFIG] [--trace]\n\n"
    "For every account: connect, STARTTLS, verify the certificate, EHLO,\n"
    "AUTH, QUIT.  Sends nothing.\n\n"
    "  -c, --config FILE   accounts (default: ./mailmerge.conf, then\n"
    "                      $XDG_CONFIG_HOME/mailmerge/config)\n"
    "      --trace         print the SMTP dialogue on stderr\n"
    "  -h, --help          this help\n\n";

/* Ask on the terminal; -1 when there is none to ask. */
static int
confirm(void *arg, const char *question)
{
	char line[16];

	(void)arg;
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
		return -1;
	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

static void
progress(void *arg, const struct batch_progress *pr)
{
	unsigned long eta = (unsigned long)pr->eta_s;

	(void)arg;
	fprintf(stderr, "\r\033[K[%zu/%zu] sent %zu, failed %zu, unknown "
	    "%zu, %.1f/min, ETA %lu:%02lu", pr->done, pr->total, pr->sent,
	    pr->failed, pr->unknown, pr->per_min, eta / 60, eta % 60);
	if (pr->done == pr->total)
		fputc('\n', stderr);
	fflush(stderr);
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
		{ "encoding", required_argument, NULL, 'E' },
		{ "delimiter", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct batch_params p = { .show = stdout, .diag = diag,
	    .confirm = confirm };
	struct err e;
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:r:n:yh", opts, NULL)) != -1) {
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
		case 'h':
			fputs(send_help, stdout);
			fputs(exit_codes, stdout);
			return EX_OK;
		default:
			rc = roster_option("send", c, &p);
			if (rc != 0)
				return rc == 1 ? usage_error("send", "%s",
				    "bad option") : rc;
		}
	}
	rc = batch_operands("send", argc, argv, &p);
	if (rc != 0)
		return rc;
	if (p.resume && p.report == NULL)
		return usage_error("send", "%s", "--resume needs -r REPORT, "
		    "the report of the run to continue");
	p.roster = argv[optind];
	p.template = argv[optind + 1];
	if (isatty(STDERR_FILENO))
		p.progress = progress;
	if (batch_send(&p, &e) == -1)
		return fail(&e);
	return EX_OK;
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
	struct batch_params p = { .diag = diag };
	struct err e;
	int c;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			p.config = optarg;
			break;
		case 'v':
			p.trace = stderr;
			break;
		case 'h':
			fputs(check_help, stdout);
			fputs(exit_codes, stdout);
			return EX_OK;
		default:
			return usage_error("check", "%s", "bad option");
		}
	}
	if (argc != optind)
		return usage_error("check", "%s", "check takes no arguments");
	if (batch_check(&p, &e) == -1)
		return exit_code(e.kind);	/* each account was reported */
	return EX_OK;
}

static const char report_help[] =
    "usage: mailmerge report [--failed-csv FILE] [--json] [--html FILE]\n"
    "                        REPORT.csv [MORE.csv ...]\n\n"
    "Summarise delivery reports: counts by status, by account and by reply\n"
    "code (what each code means and what to do), then every row that was\n"
    "not delivered.  Several reports (a run and its resumes) merge in the\n"
    "order given, the latest line of each row winning; they must come from\n"
    "the same roster.  The reports are read fully into memory (the latest\n"
    "line of each row): fine for class-sized batches.  Sent means accepted\n"
    "by the server, not delivered: bounces come later by mail.\n\n"
    "      --failed-csv FILE  write the roster rows whose latest status is\n"
    "                         not sent (header included, UTF-8) to FILE, as\n"
    "                         the roster of a retry batch (default: none);\n"
    "                         the roster is found by the path in the report,\n"
    "                         so run this where the batch ran; refused if\n"
    "                         the roster changed since.  Rows no report\n"
    "                         mentions are included; so are rows left\n"
    "                         unknown, with a warning: check the Sent\n"
    "                         folder before sending them again\n"
    "      --json             print the summary as one JSON object instead\n"
    "                         of text (default: text)\n"
    "      --html FILE        also write the summary as one self-contained\n"
    "                         HTML page (default: none)\n"
    "  -h, --help             this help\n\n";

/* --failed-csv: write the retry roster, then say what is in it. */
static int
write_retry(const struct review *rv, const char *path, struct err *e)
{
	struct review_retry rt;

	if (review_write_retry(rv, path, &rt, e) == -1)
		return -1;
	fprintf(stderr, "mailmerge: %s: wrote %zu roster row%s to send "
	    "again\n", path, rt.rows, rt.rows == 1 ? "" : "s");
	if (rt.absent > 0)
		fprintf(stderr, "mailmerge: %s: warning: %zu row%s in it ha%s "
		    "no line in the reports (never tried)\n", path, rt.absent,
		    rt.absent == 1 ? "" : "s", rt.absent == 1 ? "s" : "ve");
	if (rt.unknown == 0)
		return 0;
	fprintf(stderr, "mailmerge: %s: warning: %zu row%s included ha%s "
	    "status unknown: they may already have the mail; check the Sent "
	    "folder before sending them again:\n", path, rt.unknown,
	    rt.unknown == 1 ? "" : "s", rt.unknown == 1 ? "s" : "ve");
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
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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
			fputs(report_help, stdout);
			fputs(exit_codes, stdout);
			return EX_OK;
		default:
			return usage_error("report", "%s", "bad option");
		}
	}
	if (argc == optind)
		return usage_error("report", "%s", "report takes one or more "
		    "arguments: REPORT.csv [MORE.csv ...]");
	if (review_load(&rv, argv + optind, (size_t)(argc - optind), &e) == -1)
		return fail(&e);
	rc = report_outputs(rv, json, html, failed, &e);
	review_free(rv);
	return rc == -1 ? fail(&e) : EX_OK;
}

static const char relay_help[] =
    "usage: mailmerge relay [-c CONFIG] [-r REPORT] [--listen ADDR:PORT] "
    "[--once]\n                       [--trace]\n\n"
    "Serve SMTP to local programs and relay each message through the "
    "account\nthat routes its recipients (pacing, TLS, AUTH as send); the "
    "reply to the\nend of data is the provider's.  See README \"Relay\".\n\n"
    "  -c, --config FILE   the configuration ([relay] and the accounts)\n"
    "  -r, --report FILE   the journal (default: out/relay-YYYYmmdd.csv)\n"
    "      --listen A:P    default [relay] listen, else " RELAY_LISTEN_DEFAULT
    "\n                      ([::1]:2525 for IPv6); not loopback only with\n"
    "                      cert, key and credentials in [relay]\n"
    "      --once          serve one connection, then exit\n"
    "      --trace         both dialogues on stderr (AUTH redacted)\n"
    "  -h, --help          this help\n\n"
    "SIGINT or SIGTERM: stop accepting, finish the messages in flight, "
    "exit 0.\n\n";

static volatile sig_atomic_t relay_stop;

static void
on_stop(int sig)
{
	(void)sig;
	relay_stop = 1;
}

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
	struct relay_params p = { .diag = diag, .stop = &relay_stop };
	struct sigaction sa;
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
			fputs(relay_help, stdout);
			fputs(exit_codes, stdout);
			return EX_OK;
		default:
			return usage_error("relay", "%s", "bad option");
		}
	}
	if (argc != optind)
		return usage_error("relay", "%s", "relay takes no arguments");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: accept wakes up */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return relay_run(&p, &e) == -1 ? fail(&e) : EX_OK;
}

int
main(int argc, char **argv)
{
	size_t i;

	setlocale(LC_CTYPE, "");
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EX_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("mailmerge " VERSION "\n");
		return EX_OK;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].run(argc - 1, argv + 1);
	return usage_error(NULL, "unknown command '%s'", argv[1]);
}
