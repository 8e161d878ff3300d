/*
 * Unit tests of config and provider: the INI contract, defaults from
 * the profiles, every error with its line, the 0600 rule, the secret
 * sources and routing.  Files are written into a fresh temporary
 * directory, which is removed at the end.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "nitems.h"
#include "provider.h"
#include "tap.h"

static char dir[] = "/tmp/test_config.XXXXXX";
static char path[512];
static struct err e;

/* Write text to dir/name with mode; path names it. */
static void
put(const char *name, const char *text, mode_t mode)
{
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) == EOF) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	chmod(path, mode);
}

/* Load text from a 0600 file; the config, or NULL with e set. */
static struct config *
load(const char *text)
{
	struct config *c;

	put("t.conf", text, 0600);
	memset(&e, 0, sizeof(e));
	if (config_load(&c, path, &e) == -1)
		return NULL;
	return c;
}

/* Loading text fails as E_CONFIG at t.conf:line with msg containing sub. */
static void
fails(const char *text, size_t line, const char *sub, const char *name)
{
	struct config *c = load(text);
	char where[600];

	ok(c == NULL && e.kind == E_CONFIG, "%s: refused", name);
	snprintf(where, sizeof(where), "%s:%zu", path, line);
	is_str(e.where, where, "%s: at line %zu", name, line);
	like(e.msg, sub, "%s: says \"%s\"", name, sub);
	config_free(c);
}

static const char full[] =
    "; mailmerge configuration\n"
    "# another comment\n"
    "[gmail]                          ; a known name\n"
    "user = someone@gmail.com\n"
    "password_env = GMAIL_APP_PASSWORD\n"
    "from = 홍길동 <someone@gmail.com>\n"
    "route = *\n"
    "\n"
    "[naver]\n"
    "user = vo0v0000\n"
    "password_command = pass show naver-smtp\n"
    "route = naver.com, NAVER.net  hanmail.net\n"
    "[lab]                            ; any other name\n"
    "provider = custom\n"
    "host = 127.0.0.1\n"
    "port = 2525\n"
    "tls = tls\n"
    "ca_file = tests/certs/ca.pem     ; extra CA\n"
    "user = lab\n"
    "password = \"pa;ss # \\\"q\\\"\"  ; quoted\n"
    "from = \"Lab; Robot\" <robot@lab.example>\n"
    "route = lab.example\n"
    "rate = 5/s\n"
    "max_per_session = 7\n"
    "auth = login\n"
    "envelope_sender = user\n"
    "helo = client.example\n"
    "timeout = 1500ms\n"
    "connect_timeout = 2\n";

static void
test_full_naver(struct account *a)
{
	is_str(a->host, "smtp.naver.com", "naver: host default");
	is_str(a->user, "vo0v0000", "naver: user as written");
	is_str(a->user_addr, "vo0v0000@naver.com", "naver: user_addr");
	is_str(a->from_addr, "vo0v0000@naver.com", "naver: from_addr");
	is_str(a->envelope, "vo0v0000@naver.com", "naver: envelope default");
	is_int(a->rate_n, 10, "naver: 10/min");
	is_int(a->secret_src, SECRETS_COMMAND, "naver: command");
	is_str(a->secret_arg, "pass show naver-smtp", "naver: command text");
	is_int(a->nroute, 3, "naver: three routes");
	is_str(a->route[1], "naver.net", "naver: route lowercased");
	is_str(a->route[2], "hanmail.net", "naver: space-separated route");
}

static void
test_full_lab(struct account *a)
{
	char want[600];

	is_str(a->prov->name, "custom", "lab: custom");
	is_str(a->host, "127.0.0.1", "lab: host");
	is_str(a->port, "2525", "lab: port");
	is_int(a->tls, PROVIDER_TLS, "lab: implicit TLS");
	snprintf(want, sizeof(want), "%s/tests/certs/ca.pem", dir);
	is_str(a->ca_file, want, "lab: ca_file, comment cut, from the "
	    "config's folder");
	is_str(a->secret_arg, "pa;ss # \"q\"", "lab: quoted password");
	is_int(a->secret_src, SECRETS_INLINE, "lab: inline");
	is_str(a->from, "\"Lab; Robot\" <robot@lab.example>",
	    "lab: quoted from kept");
	is_str(a->from_addr, "robot@lab.example", "lab: from_addr");
	is_str(a->envelope, "lab", "lab: envelope_sender = user");
	is_int(a->rate_n, 5, "lab: rate 5 ...");
	is_int(a->rate_ms, 1000, "lab: ... per second");
	is_int(a->max_per_session, 7, "lab: max_per_session");
	is_int(a->auth, SMTP_AUTH_LOGIN, "lab: auth login");
	is_str(a->helo, "client.example", "lab: helo");
	is_int(a->cmd_ms, 1500, "lab: timeout 1500ms (cmd)");
	is_int(a->data_ms, 1500, "lab: timeout 1500ms (data)");
	is_int(a->connect_ms, 2000, "lab: connect_timeout 2 s");
	ok(config_from_foreign(a) == false,
	    "lab: user not an address, so From cannot be foreign");
}

static void
test_full(void)
{
	struct config *c = load(full);
	struct account *a;

	if (!ok(c != NULL, "full example loads"))
		printf("# %s: %s\n", e.where, e.msg);
	if (c == NULL)
		return;
	is_int(c->nacct, 3, "three accounts");
	a = &c->acct[0];
	is_str(a->name, "gmail", "gmail: name");
	is_int(a->line, 3, "gmail: line of its section");
	is_str(a->prov->name, "gmail", "gmail: profile from the name");
	is_str(a->host, "smtp.gmail.com", "gmail: host default");
	is_str(a->port, "587", "gmail: port default");
	is_int(a->tls, PROVIDER_STARTTLS, "gmail: STARTTLS");
	is_int(a->rate_n, 20, "gmail: 20 mails ...");
	is_int(a->rate_ms, 60000, "gmail: ... a minute");
	is_int(a->max_per_session, 100, "gmail: 100 per session");
	is_str(a->from, "홍길동 <someone@gmail.com>", "gmail: Korean from");
	is_str(a->from_addr, "someone@gmail.com", "gmail: from_addr");
	is_str(a->envelope, "someone@gmail.com", "gmail: envelope");
	is_int(a->secret_src, SECRETS_ENV, "gmail: password_env");
	is_str(a->secret_arg, "GMAIL_APP_PASSWORD", "gmail: env name");
	is_int(a->nroute, 1, "gmail: one route");
	is_str(a->route[0], "*", "gmail: route *");
	is_int(a->auth, SMTP_AUTH_AUTO, "gmail: auth auto");
	is_int(a->cmd_ms, 300000, "gmail: 5 min command timeout");
	is_int(a->data_ms, 600000, "gmail: 10 min data timeout");
	ok(a->helo == NULL && a->ca_file == NULL, "gmail: no helo, ca_file");
	test_full_naver(&c->acct[1]);
	test_full_lab(&c->acct[2]);
	config_free(c);
}

static void
test_defaults(void)
{
	struct config *c;

	c = load("[naver]\nuser = vo0v0000\nenvelope_sender = user\n");
	ok(c != NULL, "a lone account needs no route");
	if (c == NULL)
		return;
	is_str(c->acct[0].route[0], "*", "lone account takes *");
	is_str(c->acct[0].envelope, "vo0v0000", "naver: bare id as sender");
	is_int(c->acct[0].secret_src, SECRETS_PROMPT, "no source: prompt");
	config_free(c);

	c = load("[work]\nprovider = gmail\nuser = me@corp.example\n"
	    "tls = tls\nfrom = Other <other@corp.example>\nrate = none\n");
	ok(c != NULL, "provider = gmail in a section of another name");
	if (c == NULL)
		return;
	is_str(c->acct[0].host, "smtp.gmail.com", "work: gmail host");
	is_str(c->acct[0].port, "465", "tls = tls without port: 465");
	is_int(c->acct[0].rate_n, 0, "rate = none: unlimited");
	ok(config_from_foreign(&c->acct[0]), "From not the account's");
	config_free(c);

	c = load("[k]\nprovider = naver\nuser = kl\n"
	    "from = \"Kim, Lee\" <kl@naver.com>\n");
	ok(c != NULL && strcmp(c->acct[0].from_addr, "kl@naver.com") == 0 &&
	    !config_from_foreign(&c->acct[0]), "quoted name with a comma");
	config_free(c);

	c = load("[smarthost]\nhost = relay.example\nauth = none\n"
	    "from = a@relay.example\n");
	ok(c != NULL && c->acct[0].user == NULL, "auth = none needs no user");
	if (c != NULL)
		is_str(c->acct[0].envelope, "a@relay.example",
		    "auth = none: envelope from from");
	if (c != NULL)
		is_int(c->acct[0].rate_n, 0, "custom: no pacing by default");
	config_free(c);
}

static void
test_errors(void)
{
	fails("[gmail]\nuser = a@gmail.com\npasswd = x\n", 3,
	    "unknown key \"passwd\" in [gmail]; valid keys: provider host",
	    "unknown key");
	fails("user = x\n[gmail]\n", 1, "outside any section",
	    "key outside a section");
	fails("[gmail]\nuser = a\nrate = 5/week\n", 3,
	    "expected N/UNIT", "bad rate");
	fails("[gmail]\nuser = a\ntls = ssl\n", 3,
	    "bad tls \"ssl\": expected one of starttls, tls", "bad tls");
	fails("[gmail]\nuser = a\nauth = cram-md5\n", 3,
	    "expected one of auto, plain, login, xoauth2, none", "bad auth");
	fails("[gmail]\nuser = a\n\nuser = b\n", 4,
	    "duplicate key \"user\" in [gmail] (first on line 2)",
	    "duplicate key");
	fails("[gmail]\nuser = a\n[Gmail]\nuser = b\n", 3,
	    "duplicate section [Gmail] (first on line 1)",
	    "duplicate section");
	fails("[lab]\nprovider = custom\nuser = a@b.example\n", 1,
	    "[lab] needs host =", "custom without host");
	fails("[gmail]\nuser = a\n[naver]\nuser = b\nroute = naver.com\n", 1,
	    "[gmail] has no route", "two accounts, one without route");
	fails("[x]\nprovider = yahoo\n", 2,
	    "unknown provider \"yahoo\" in [x]: expected one of gmail, "
	    "naver, custom", "unknown provider");
}

static void
test_errors_values(void)
{
	fails("[gmail]\nuser = a\nport = 99999\n", 3, "bad port",
	    "bad port");
	fails("[gmail]\nuser = a\nfrom = \"x\n", 3,
	    "unterminated quoted value", "unterminated quote");
	fails("[gmail]\nuser = a\nfrom = Name <nope>\n", 3,
	    "bad from", "from without an address");
	fails("[gmail]\nuser = a\nfrom = a@b.example, c@d.example\n", 3,
	    "expected one address", "from with two addresses");
	fails("[gmail]\npassword_env = A\npassword_command = b\n", 3,
	    "more than one of password", "two password sources");
	fails("[gmail]\n", 1, "[gmail] needs user =", "missing user");
	fails("[gmail]\nuser = a\nhelo =\n", 3, "helo needs a value",
	    "empty value");
	fails("[gmail]\nuser = a\nroute = *\n[naver]\nuser = b\n"
	    "route = naver.com *\n", 4, "route * is in both [gmail] and "
	    "[naver]", "* in two accounts");
	fails("[lab]\nhost = h\nuser = test\n", 1,
	    "user is not an address; add from =", "custom user not address");
	fails("[gmail\n", 1, "closing ]", "unclosed section");
	fails("[gmail]\nuser = a\nmax_per_session = -1\n", 3,
	    "bad max_per_session", "bad max_per_session");
	fails("[gmail]\nuser = a\ntimeout = 0\n", 3, "bad timeout",
	    "zero timeout");
	fails("[gmail]\nuser = a\nhelo = \xff\n", 3, "not UTF-8",
	    "bad UTF-8");
	fails("[gmail]\nuser = a\njust text\n", 3, "expected key = value",
	    "line without =");
}

static void
test_mode(void)
{
	static const char text[] = "[gmail]\nuser = a\npassword = s3cret\n";
	struct config *c = NULL;
	char want[600];

	put("pw.conf", text, 0644);
	ok(config_load(&c, path, &e) == -1 && e.kind == E_CONFIG,
	    "0644 file with a password refused");
	snprintf(want, sizeof(want), "holds a password but is readable by "
	    "others (mode 0644); run chmod 600 %s", path);
	is_str(e.msg, want, "0644: says what to do");
	is_str(e.where, path, "0644: where is the path");
	ok(strstr(e.msg, "s3cret") == NULL, "0644: no password in msg");
	put("pw.conf", text, 0640);
	ok(config_load(&c, path, &e) == -1, "0640 refused too");
	put("pw.conf", text, 0600);
	ok(config_load(&c, path, &e) == 0, "0600 accepted");
	config_free(c);
	put("pw.conf", "[gmail]\nuser = a\npassword_env = X\n", 0644);
	ok(config_load(&c, path, &e) == 0, "0644 without password accepted");
	config_free(c);
	put("pw.conf", text, 0400);
	ok(config_load(&c, path, &e) == 0, "0400 accepted");
	config_free(c);
}

/*
 * 14.12: a config others could write is refused whatever it holds: it
 * names commands to run.  Owned by another user (not root): refused.
 */
static void
test_trust(void)
{
	static const char text[] = "[gmail]\nuser = a\npassword_env = X\n";
	struct config *c = NULL;
	char want[1024];

	put("trust.conf", text, 0664);
	ok(config_load(&c, path, &e) == -1 && e.kind == E_CONFIG,
	    "0664 without a password refused");
	snprintf(want, sizeof(want), "is writable by its group (mode 0664), "
	    "who could make it run any command as you; run chmod 600 %s",
	    path);
	is_str(e.msg, want, "0664: names the file, says chmod 600");
	put("trust.conf", text, 0646);
	ok(config_load(&c, path, &e) == -1 && strstr(e.msg, "everyone"),
	    "0646 refused: writable by everyone");
	put("trust.conf", text, 0600);
	if (getuid() == 0) {
		/* Only root can give a file away: test the owner rule then. */
		ok(chown(path, 65534, 65534) == 0 &&
		    config_load(&c, path, &e) == -1 &&
		    strstr(e.msg, "owned by another user (uid 65534)") &&
		    strstr(e.msg, "chmod 600"), "another user's file refused");
	} else {
		ok(config_load(&c, path, &e) == 0, "own 0600 file accepted");
		config_free(c);
	}
}

/* config_secret of the first account of text; rc, secret in out. */
static int
secret(const char *text, struct buf *out)
{
	struct config *c = load(text);
	int rc;

	buf_reset(out);
	if (c == NULL) {
		printf("# %s: %s\n", e.where, e.msg);
		return -2;
	}
	rc = config_secret(&c->acct[0], out, &e);
	config_free(c);
	return rc;
}

static void
test_no_tty(void)
{
	struct buf out;
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* A new session has no controlling terminal. */
		buf_init(&out, 256);
		setsid();
		_exit(secret("[gmail]\nuser = a\n", &out) == -1 &&
		    strstr(e.msg, "no password source for account [gmail]: "
		    "set password_env or password_command") != NULL ? 0 : 1);
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "no source, no terminal: says how to set one");
}

/*
 * 14.12, in a child (it changes the process): fetching a secret makes
 * the process undumpable with no core file, and password_command sees
 * a minimal environment: not another account's password variable.
 */
static void
test_hardening_child(void)
{
	struct rlimit rl;
	struct buf out;
	bool before;

	buf_init(&out, 256);
	before = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1;
	setenv("MM_OTHER_ACCOUNT_PW", "other-secret", 1);
	setenv("HOME", "/home/test", 1);
	setenv("GNUPGHOME", "/home/test/.gnupg", 1);
	setenv("LC_ALL", "C.UTF-8", 1);
	ok(secret("[gmail]\nuser = a\npassword_command = echo "
	    "\"n=$(env | grep -c MM_OTHER_ACCOUNT_PW) $HOME $GNUPGHOME "
	    "$LC_ALL\"\n", &out) == 0, "password_command ran");
	is_str(buf_str(&out), "n=0 /home/test /home/test/.gnupg C.UTF-8",
	    "password_command: no other account's variable; HOME, "
	    "GNUPGHOME, LC_* kept");
	ok(before && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0,
	    "dumpable before, not dumpable once a secret was fetched");
	ok(getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0 &&
	    rl.rlim_max == 0, "no core file once a secret was fetched");
	buf_fini(&out);
	fflush(stdout);
}

/* 14.12: holding an inline password (config loaded) is enough. */
static void
test_inline_child(void)
{
	struct config *c;
	bool before = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1;

	c = load("[gmail]\nuser = a\npassword = s3cret\n");
	ok(c != NULL && before && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0,
	    "config with password =: dumpable before, not after loading");
	config_free(c);
	fflush(stdout);
}

/* Run fn (n tests) in a child: it changes the process for good. */
static void
in_child(void (*fn)(void), int n)
{
	pid_t pid;
	int status, failed = tap_failed;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fn();
		_exit(tap_failed - failed);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		tap_failed += WEXITSTATUS(status);
	else
		ok(0, "child ran");
	tap_n += n;
}

static void
test_hardening(void)
{
	in_child(test_hardening_child, 4);
	in_child(test_inline_child, 1);
}

static void
test_secret(void)
{
	struct buf out;

	buf_init(&out, 64);
	setenv("MM_TEST_PW", "from-env", 1);
	is_int(secret("[gmail]\nuser = a\npassword_env = MM_TEST_PW\n", &out),
	    0, "password_env set");
	is_str(buf_str(&out), "from-env", "password_env: value");
	unsetenv("MM_TEST_PW");
	is_int(secret("[gmail]\nuser = a\npassword_env = MM_TEST_PW\n", &out),
	    -1, "password_env unset");
	is_str(e.msg, "environment variable MM_TEST_PW is not set (account "
	    "[gmail])", "password_env unset: message");
	setenv("MM_TEST_PW", "", 1);
	is_int(secret("[gmail]\nuser = a\npassword_env = MM_TEST_PW\n", &out),
	    -1, "password_env empty");
	is_int(secret("[gmail]\nuser = a\npassword_command = printf secret\n",
	    &out), 0, "password_command success");
	is_str(buf_str(&out), "secret", "password_command: output");
	is_int(secret("[gmail]\nuser = a\npassword_command = "
	    "printf 'one\\r\\ntwo\\n'\n", &out), 0, "multi-line command");
	is_str(buf_str(&out), "one", "first line only, no CR LF");
	is_int(secret("[gmail]\nuser = a\npassword_command = false\n", &out),
	    -1, "password_command failure");
	like(e.msg, "password_command for account [gmail] failed (exit "
	    "status 1)", "failure: exit status");
	is_int(secret("[gmail]\nuser = a\npassword_command = printf "
	    "topsecret; exit 3\n", &out), -1, "output, then failure");
	ok(strstr(e.msg, "topsecret") == NULL && out.len == 0,
	    "failed command's output not in msg, buffer wiped");
	is_int(secret("[gmail]\nuser = a\npassword_command = true\n", &out),
	    -1, "command printing nothing");
	is_int(secret("[gmail]\nuser = a\npassword_command = head -c 500 "
	    "/dev/zero | tr '\\0' x\n", &out), -1, "over the cap");
	like(e.msg, "longer than 64 bytes", "over the cap: message");
	is_int(secret("[gmail]\nuser = a\npassword = inline\n", &out), 0,
	    "inline password");
	is_str(buf_str(&out), "inline", "inline: value");
	buf_fini(&out);
}

static void
route_is(const struct config *c, const char *addr, const char *col,
    const char *want)
{
	size_t idx = 99;
	int rc = config_route(c, addr, col, &idx, &e);

	is_str(rc == 0 && idx < c->nacct ? c->acct[idx].name : e.msg, want,
	    "route %s%s%s", addr, col ? " provider=" : "", col ? col : "");
}

static void
test_route(void)
{
	struct config *c = load(full);

	if (c == NULL)
		return;
	route_is(c, "kim@naver.com", NULL, "naver");
	route_is(c, "kim@NAVER.COM", NULL, "naver");
	route_is(c, "kim@hanmail.net", "", "naver");
	route_is(c, "kim@mail.naver.com", NULL, "gmail");
	route_is(c, "lee@lab.example", NULL, "lab");
	route_is(c, "lee@example.org", NULL, "gmail");
	route_is(c, "lee@example.org", "naver", "naver");
	route_is(c, "lee@naver.com", "lab", "lab");
	route_is(c, "lee@naver.com", "custom", "lab");
	route_is(c, "lee@naver.com", "yahoo", "provider \"yahoo\" names no "
	    "single account; accounts: [gmail] [naver] [lab]");
	ok(e.kind == E_INPUT, "unknown provider column: E_INPUT");
	config_free(c);
	c = load("[naver]\nuser = a\nroute = naver.com\n"
	    "[n2]\nprovider = naver\nuser = b\nroute = naver.net\n");
	if (c == NULL)
		return;
	route_is(c, "x@example.org", NULL, "no account sends to domain "
	    "example.org: add it to some account's route, or route = * "
	    "to one");
	ok(e.kind == E_INPUT, "no route: E_INPUT");
	route_is(c, "x@naver.com", "naver", "naver");
	route_is(c, "nobody", NULL, "\"nobody\" is not an address: no "
	    "domain to route by");
	config_free(c);
}

static void
rate_is(const char *s, unsigned n, unsigned ms)
{
	unsigned gn = 0, gms = 0;

	ok(config_parse_rate(s, &gn, &gms, &e) == 0 && gn == n && gms == ms,
	    "rate %s = %u per %u ms", s, n, ms);
}

static void
test_rate(void)
{
	static const char *const bad[] = {
		"0/min", "5", "5/week", "x/min", "-1/s", "5/", "/s",
		"5 /s", "99999999999/s", ""
	};
	unsigned n, ms;
	size_t i;

	rate_is("5/s", 5, 1000);
	rate_is("20/min", 20, 60000);
	rate_is("100/h", 100, 3600000);
	rate_is("500/day", 500, 86400000);
	for (i = 0; i < nitems(bad); i++)
		ok(config_parse_rate(bad[i], &n, &ms, &e) == -1 &&
		    strstr(e.msg, "expected N/UNIT") != NULL,
		    "rate \"%s\" refused with the expected form", bad[i]);
}

static void
test_search(void)
{
	struct config *c = NULL;
	char cwd[512], sub[600];

	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(dir) == -1)
		return;
	snprintf(sub, sizeof(sub), "%s/xdg", dir);
	setenv("XDG_CONFIG_HOME", sub, 1);
	unlink("mailmerge.conf");
	ok(config_load(&c, NULL, &e) == -1 && e.kind == E_NOINPUT,
	    "no file: E_NOINPUT");
	like(e.msg, "tried ./mailmerge.conf and ", "lists the paths (1)");
	like(e.msg, "/xdg/mailmerge/config", "lists the paths (2)");
	like(e.msg, "README", "points to README");
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/xdg/mailmerge", dir);
	mkdir(sub, 0700);
	put("xdg/mailmerge/config", "[gmail]\nuser = x\n", 0600);
	ok(config_load(&c, NULL, &e) == 0 && strstr(c->path, "/xdg/") != NULL,
	    "$XDG_CONFIG_HOME/mailmerge/config found");
	config_free(c);
	put("mailmerge.conf", "[naver]\nuser = y\n", 0600);
	ok(config_load(&c, NULL, &e) == 0 &&
	    strcmp(c->path, "./mailmerge.conf") == 0,
	    "./mailmerge.conf comes first");
	config_free(c);
	if (chdir(cwd) == -1)
		printf("# cannot return to %s\n", cwd);
}

static void
test_provider(void)
{
	const struct provider *t, *g = provider_find("gmail");
	const struct provider *n = provider_find("NAVER");
	size_t count;

	t = provider_table(&count);
	is_int(count, 3, "three profiles");
	ok(t != NULL && provider_find("yahoo") == NULL, "unknown: NULL");
	ok(g != NULL && n != NULL, "gmail and naver found");
	if (g == NULL || n == NULL)
		return;
	is_int(g->daily_quota, 500, "gmail: 500 a day");
	is_int(g->from, PROVIDER_FROM_REWRITTEN, "gmail: From rewritten");
	is_int(n->from, PROVIDER_FROM_REFUSED, "naver: From refused");
	ok(n->needs_from_to, "naver: needs From and To");
	is_int(n->sender, PROVIDER_SENDER_ADDRESS, "naver: full address");
	ok(provider_find("custom")->host == NULL, "custom: no host");
	for (count = 0; count < 3; count++)
		ok(t[count].source != NULL && t[count].auth_hint != NULL,
		    "%s: source and auth_hint", t[count].name);
}

/* [relay] is the relay's section, never an account (issue 15). */
static void
test_relay(void)
{
	struct config *c;
	struct buf b;

	c = load("[relay]\nlisten = [::1]:2525\nuser = teacher\n"
	    "password_env = MM_RELAY_PW\ncert = c.pem\nkey = k.pem\n"
	    "max_size = 1024\nmax_clients = 3\ntimeout = 2\n\n"
	    "[lab]\nprovider = custom\nhost = 127.0.0.1\nuser = demo\n"
	    "from = demo@example.com\npassword_env = X\n");
	ok(c != NULL && c->nacct == 1 && strcmp(c->acct[0].name, "lab") == 0,
	    "[relay] is not an account");
	if (c == NULL)
		return;
	ok(c->relay.present && c->relay.line == 1, "[relay] present, line 1");
	is_str(c->relay.listen, "[::1]:2525", "relay listen");
	is_str(c->relay.creds.user, "teacher", "relay user");
	is_str(c->relay.cert, "c.pem", "relay cert");
	is_int(c->relay.max_size, 1024 * 1024, "max_size in KiB");
	is_int(c->relay.max_clients, 3, "max_clients");
	is_int(c->relay.timeout_ms, 2000, "timeout");
	setenv("MM_RELAY_PW", "relay-pw", 1);
	buf_init(&b, 256);
	ok(config_secret(&c->relay.creds, &b, &e) == 0 &&
	    strcmp(buf_str(&b), "relay-pw") == 0, "the relay's password "
	    "through config_secret");
	buf_wipe(&b);
	config_free(c);
	fails("[relay]\nuser = t\n[a]\nhost = h\nuser = u\n", 1,
	    "needs both user", "relay user without a password");
	fails("[relay]\ncert = c.pem\n[a]\nhost = h\nuser = u\n", 1,
	    "both cert = and key =", "relay cert without key");
	fails("[relay]\nhost = h\n", 2, "unknown key \"host\" in [relay]",
	    "an account key in [relay]");
	fails("[relay]\nmax_size = 0\n", 2, "bad max_size", "max_size 0");
	fails("[relay]\n[relay]\n", 2, "duplicate section [relay]",
	    "two [relay] sections");
	fails("[relay]\nlisten = 2525\n", 2, "expected ADDR:PORT",
	    "listen without a port");
	c = load("[relay]\nlisten = 127.0.0.1:2525\n");
	ok(c == NULL && e.kind == E_CONFIG && strstr(e.msg, "no accounts"),
	    "a [relay] alone has no account");
	config_free(c);
}

int
main(void)
{
	char cmd[600];

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	/* First: loading a password = makes the process undumpable. */
	test_hardening();
	test_provider();
	test_full();
	test_defaults();
	test_errors();
	test_errors_values();
	test_mode();
	test_trust();
	test_secret();
	test_no_tty();
	test_route();
	test_rate();
	test_search();
	test_relay();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", dir);
	return tap_done();
}
