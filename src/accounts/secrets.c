/*
 * Account passwords: the four sources, and keeping what they yield out
 * of places it could leak to.
 *
 * password_command runs through /bin/sh -c (users write pipelines) with
 * a minimal environment, an allow-list of what password managers need
 * (pass, gpg-agent, secret-tool): other accounts' password_env
 * variables, and whatever else the caller's environment holds, never
 * reach it.  Only its first line is kept; the rest is read and dropped
 * so the command never dies of SIGPIPE.  The prompt is readpassphrase(3)
 * from libbsd, which restores the terminal on signals.  Before any
 * fetch the process stops being dumpable and gets no core file: a crash
 * while a password is held must not write it to disk, and no other
 * process of the user may ptrace it.  That lasts until exit, since
 * sessions hold their secret to the end.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/readpassphrase.h>

#include "buf.h"
#include "err.h"
#include "i18n.h"
#include "nitems.h"
#include "secrets.h"
#include "xalloc.h"

#define SECRETS_PROMPT_MAX	320	/* "Password for [x] user: " */
#define SECRETS_TTY_MAX		1024	/* octets typed at the prompt */

extern char **environ;

/*
 * The environment password_command keeps (README "Passwords"): the
 * basics, the locale, and what pass, gpg-agent's pinentry and
 * secret-tool (D-Bus) look for.  Names ending in '_' are prefixes.
 */
static const char *const env_keep[] = {
	"PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TZ",
	"LANG", "LANGUAGE", "LC_",
	"GNUPGHOME", "GPG_AGENT_INFO", "GPG_TTY", "PASSWORD_STORE_",
	"DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "DISPLAY",
	"WAYLAND_DISPLAY",
};

void
secrets_protect(void)
{
	const struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static int
too_long(const struct secrets_ref *r, const struct buf *out, struct err *e)
{
	err_set(e, E_CONFIG, NULL, "the password for account [%s] is longer "
	    "than %zu bytes", r->account, out->cap);
	return -1;
}

static int
fetch_inline(const struct secrets_ref *r, struct buf *out, struct err *e)
{
	if (buf_adds(out, r->arg) == -1)
		return too_long(r, out, e);
	return 0;
}

static int
fetch_env(const struct secrets_ref *r, struct buf *out, struct err *e)
{
	const char *v = getenv(r->arg);

	if (v == NULL || v[0] == '\0') {
		err_set(e, E_CONFIG, NULL, "environment variable %s is not "
		    "set (account [%s])", r->arg, r->account);
		return -1;
	}
	if (buf_adds(out, v) == -1)
		return too_long(r, out, e);
	return 0;
}

/* Whether the "NAME=value" entry kv is on the allow-list. */
static bool
env_kept(const char *kv)
{
	size_t i, n, len = strcspn(kv, "=");

	for (i = 0; i < nitems(env_keep); i++) {
		n = strlen(env_keep[i]);
		if (env_keep[i][n - 1] == '_' ? len > n &&
		    strncmp(kv, env_keep[i], n) == 0 :
		    len == n && strncmp(kv, env_keep[i], n) == 0)
			return true;
	}
	return false;
}

/* The kept part of environ, NULL-terminated; free the array only. */
static char **
env_minimal(void)
{
	size_t i, n = 0;
	char **env;

	for (i = 0; environ[i] != NULL; i++)
		continue;
	env = xreallocarray(NULL, i + 1, sizeof(*env));
	for (i = 0; environ[i] != NULL; i++)
		if (env_kept(environ[i]))
			env[n++] = environ[i];
	env[n] = NULL;
	return env;
}

/*
 * Keep the command's output up to the first newline, and read the rest
 * to its end so that the command never dies of SIGPIPE.
 */
static void
read_first_line(FILE *fp, struct buf *out, bool *toolong)
{
	char tmp[256];
	const char *nl;
	size_t n, keep;
	bool done = false;

	while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0) {
		if (done)
			continue;
		nl = memchr(tmp, '\n', n);
		keep = nl != NULL ? (size_t)(nl - tmp) : n;
		if (buf_add(out, tmp, keep) == -1)
			*toolong = true;
		done = nl != NULL || *toolong;
	}
	explicit_bzero(tmp, sizeof(tmp));
}

/* "exit status 1" or "killed by signal 9" of a wait status. */
static void
describe_status(int status, char *s, size_t size)
{
	if (WIFEXITED(status))
		snprintf(s, size, _("exit status %d"), WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(s, size, _("killed by signal %d"), WTERMSIG(status));
	else
		snprintf(s, size, _("status %d"), status);
}

/* Start /bin/sh -c cmd, its stdout on *fd; the pid, or -1 (errno). */
static pid_t
spawn(const char *cmd, int *fd)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	char **env;
	pid_t pid;
	int p[2], r;

	if (pipe(p) == -1)
		return -1;
	/* Other threads' children must not hold the pipe open. */
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	env = env_minimal();
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	r = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		errno = r;
		return -1;
	}
	*fd = p[0];
	return pid;
}

/* Run the command and collect its first line: -1 with e set. */
static int
run_command(const struct secrets_ref *r, struct buf *out, bool *toolong,
    struct err *e)
{
	char how[64];
	FILE *fp;
	pid_t pid;
	int fd, status;

	pid = spawn(r->arg, &fd);
	if (pid == -1 || (fp = fdopen(fd, "r")) == NULL) {
		err_set(e, E_CONFIG, NULL, "cannot run password_command for "
		    "account [%s]: %s", r->account, strerror(errno));
		if (pid != -1) {
			close(fd);
			waitpid(pid, NULL, 0);
		}
		return -1;
	}
	read_first_line(fp, out, toolong);
	fclose(fp);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		describe_status(status, how, sizeof(how));
		err_set(e, E_CONFIG, NULL, "password_command for account [%s] "
		    "failed (%s)", r->account, status == -1 ?
		    strerror(errno) : how);
		return -1;
	}
	return 0;
}

static int
fetch_command(const struct secrets_ref *r, struct buf *out, struct err *e)
{
	size_t start = out->len;
	bool toolong = false;

	if (run_command(r, out, &toolong, e) == -1)
		return -1;
	if (toolong)
		return too_long(r, out, e);
	if (out->len > start && out->data[out->len - 1] == '\r')
		buf_truncate(out, out->len - 1);
	if (out->len == start) {
		err_set(e, E_CONFIG, NULL, "password_command for account [%s] "
		    "printed nothing", r->account);
		return -1;
	}
	return 0;
}

/* readpassphrase(3) on /dev/tty, echo off; it restores the terminal. */
static int
fetch_prompt(const struct secrets_ref *r, struct buf *out, struct err *e)
{
	char prompt[SECRETS_PROMPT_MAX], pw[SECRETS_TTY_MAX];
	size_t n;
	int rc = 0;

	snprintf(prompt, sizeof(prompt), _("Password for [%s] %s: "),
	    r->account, r->user != NULL ? r->user : "");
	if (readpassphrase(prompt, pw, sizeof(pw), RPP_REQUIRE_TTY) == NULL) {
		if (errno == EINTR)
			err_set(e, E_CONFIG, NULL, "the password prompt was "
			    "interrupted (account [%s])", r->account);
		else
			err_set(e, E_CONFIG, NULL, "no password source for "
			    "account [%s]: set password_env or "
			    "password_command", r->account);
		rc = -1;
	} else if ((n = strlen(pw)) == 0) {
		err_set(e, E_CONFIG, NULL, "no password entered (account "
		    "[%s])", r->account);
		rc = -1;
	} else if (n + 1 >= sizeof(pw) || buf_add(out, pw, n) == -1)
		rc = too_long(r, out, e);
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

static int (*const fetch[])(const struct secrets_ref *, struct buf *,
    struct err *) = {
	[SECRETS_PROMPT] = fetch_prompt,
	[SECRETS_INLINE] = fetch_inline,
	[SECRETS_ENV] = fetch_env,
	[SECRETS_COMMAND] = fetch_command,
};

int
secrets_fetch(const struct secrets_ref *r, struct buf *out, struct err *e)
{
	size_t start = out->len;

	secrets_protect();
	if (fetch[r->src](r, out, e) == 0)
		return 0;
	/* Undo whatever the failed fetch left after start. */
	if (out->data != NULL && out->len > start)
		explicit_bzero(out->data + start, out->len - start);
	buf_truncate(out, start);
	return -1;
}
