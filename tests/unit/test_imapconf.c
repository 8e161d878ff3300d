/*
 * Unit tests of the IMAP keys bounces reads (issue 9): the gmail and
 * naver profiles' IMAP servers, the defaults (implicit TLS on 993,
 * INBOX, the login user), STARTTLS on 143, and refusals with their line.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "tap.h"

static char dir[] = "/tmp/test_imapconf.XXXXXX";
static char path[512];
static struct err e;

static struct config *
load(const char *text)
{
	struct config *c;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/t.conf", dir);
	fp = fopen(path, "w");
	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) == EOF) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	chmod(path, 0600);
	memset(&e, 0, sizeof(e));
	return config_load(&c, path, &e) == -1 ? NULL : c;
}

static bool
eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int
main(void)
{
	struct config *c;
	const struct account *a;

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	c = load("[g]\nprovider = gmail\nuser = kim\npassword_env = X\n"
	    "route = *\n[n]\nprovider = naver\nuser = lee\n"
	    "password_env = X\nroute = naver.com\n");
	ok(c != NULL, "gmail and naver accounts load");
	if (c != NULL) {
		a = &c->acct[0];
		ok(eq(a->imap_host, "imap.gmail.com") && eq(a->imap_port,
		    "993") && a->imap_tls == PROVIDER_TLS,
		    "gmail: imap.gmail.com:993, implicit TLS");
		ok(eq(a->imap_folder, "INBOX") && eq(a->imap_user, "kim"),
		    "defaults: INBOX, the login user");
		a = &c->acct[1];
		ok(eq(a->imap_host, "imap.naver.com") && eq(a->imap_port,
		    "993"), "naver: imap.naver.com:993");
		config_free(c);
	}
	c = load("[lab]\nhost = 127.0.0.1\nuser = t@school.test\n"
	    "password_env = X\nimap_tls = starttls\n");
	ok(c != NULL && c->acct[0].imap_host == NULL && eq(c->acct[0].imap_port,
	    "143") && c->acct[0].imap_tls == PROVIDER_STARTTLS,
	    "custom: no IMAP server unless set; starttls means 143");
	config_free(c);
	c = load("[lab]\nhost = 127.0.0.1\nuser = t@school.test\n"
	    "password_env = X\nimap_host = mail.school.test\nimap_port = 1993\n"
	    "imap_folder = Bounces\nimap_user = teacher\n");
	ok(c != NULL && eq(c->acct[0].imap_host, "mail.school.test") &&
	    eq(c->acct[0].imap_port, "1993") && eq(c->acct[0].imap_folder,
	    "Bounces") && eq(c->acct[0].imap_user, "teacher"),
	    "imap_host, imap_port, imap_folder, imap_user as written");
	config_free(c);
	c = load("[lab]\nhost = h\nuser = t@s.test\npassword_env = X\n"
	    "imap_port = 0\n");
	ok(c == NULL && e.kind == E_CONFIG && strstr(e.where, ":5") != NULL &&
	    strstr(e.msg, "imap_port") != NULL, "imap_port 0 refused at its line");
	c = load("[lab]\nhost = h\nuser = t@s.test\npassword_env = X\n"
	    "imap_folder = a\"b\n");
	ok(c == NULL && e.kind == E_CONFIG && strstr(e.msg, "imap_folder") !=
	    NULL, "a folder with a quote refused");
	c = load("[lab]\nhost = h\nuser = t@s.test\npassword_env = X\n"
	    "imap_tls = ssl\n");
	ok(c == NULL && e.kind == E_CONFIG && strstr(e.msg, "starttls") != NULL,
	    "imap_tls takes tls or starttls");
	unlink(path);
	rmdir(dir);
	return tap_done();
}
