/*
 * mailmerge init.  The three files are data (a table of name, mode and
 * text) so README, the man page and a test can quote them.  Each is
 * created with O_CREAT | O_EXCL, so a file that exists, even one made
 * between a check and the write, is never touched; the config is
 * fchmod'ed to 0600 whatever the umask, as a file that may one day hold
 * a password must be.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "init.h"

struct init_text {
	const char	*name;
	mode_t		 mode;
	const char	*text;
};

static const char conf_text[] =
    "; mailmerge configuration: one [section] per sending account.\n"
    "; Keep it private: it is mode 0600.  Edit the accounts below, then\n"
    "; try them (logs in, sends nothing):  mailmerge check -c "
    "mailmerge.conf\n"
    "; Every key is explained in README (\"The config file\") and in\n"
    "; man mailmerge.  Lines starting with ; are comments.\n"
    "\n"
    "; A Gmail account.  Google refuses your normal password for SMTP:\n"
    "; turn on 2-Step Verification, then create an app password (Google\n"
    "; Account -> Security -> App passwords) and put its 16 letters in an\n"
    "; environment variable before sending:\n"
    ";     export GMAIL_APP_PASSWORD='abcd efgh ijkl mnop'\n"
    "[gmail]\n"
    "user = you@gmail.com\n"
    "password_env = GMAIL_APP_PASSWORD\n"
    "from = Your Name <you@gmail.com>\n"
    "; recipient domains this account sends to; * = every other domain\n"
    "route = *\n"
    "\n"
    "; A Naver account.  In Naver Mail: Settings -> POP3/IMAP -> enable\n"
    "; POP3/SMTP; with 2-step verification, create an application\n"
    "; password.  Here the password is printed by a command, e.g. a\n"
    "; password manager (pass, secret-tool, ...): its first line is used.\n"
    "; Naver refuses mail whose From is not the account's own address.\n"
    "[naver]\n"
    "user = yourid\n"
    "password_command = pass show naver-smtp\n"
    "route = naver.com\n"
    "\n"
    "; Any other server (a campus relay, a bulk-sending service):\n"
    "; [lab]\n"
    "; provider = custom\n"
    "; host = smtp.example.ac.kr\n"
    "; port = 587\n"
    "; user = you@example.ac.kr\n"
    "; password_env = LAB_SMTP_PASSWORD\n"
    "; ca_file = campus-ca.pem      ; relative to this file's folder\n"
    "; rate = 30/min\n";

static const char roster_text[] =
    "이름,학번,email,점수,비고\r\n"
    "김민준,20240001,minjun.kim@example.com,88,\r\n"
    "이서연,20240002,seoyeon.lee@example.org,92,발표 우수\r\n"
    "박지호,20240003,jiho.park@example.net,75,\r\n";

static const char template_text[] =
    "To: {{이름}} <{{email}}>\n"
    "Subject: [과목명] {{이름}}님 점수 안내\n"
    "\n"
    "{{이름}}님, 안녕하세요.\n"
    "\n"
    "{{이름}}({{학번}})님의 점수는 {{점수}}점입니다.\n"
    "{{#비고}}\n"
    "비고: {{비고}}\n"
    "{{/비고}}\n"
    "\n"
    "궁금한 점은 이 메일에 답장해 주세요.\n";

static const struct init_text files[INIT_FILES] = {
	{ "mailmerge.conf", 0600, conf_text },
	{ "roster.csv", 0644, roster_text },
	{ "template.txt", 0644, template_text },
};

/* Write text to a new file; 1 if it was there (kept), 0, or -1. */
static int
create_one(const char *path, mode_t mode, const char *text, struct err *e)
{
	size_t len = strlen(text), off = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    mode);
	if (fd == -1 && errno == EEXIST)
		return 1;
	if (fd == -1) {
		err_set(e, E_OS, path, "cannot create: %s", strerror(errno));
		return -1;
	}
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		off += (size_t)n;
	}
	if (off < len || fchmod(fd, mode) == -1 || fsync(fd) == -1) {
		err_set(e, E_OS, path, "cannot write: %s", strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) == -1) {
		err_set(e, E_OS, path, "cannot write: %s", strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

int
init_write(const char *dir, struct init_result *res, struct err *e)
{
	size_t i;
	int rc;

	memset(res, 0, sizeof(*res));
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		err_set(e, E_OS, dir, "cannot create the folder: %s",
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < INIT_FILES; i++) {
		struct init_file *f = &res->file[i];

		if ((size_t)snprintf(f->path, sizeof(f->path), "%s%s%s",
		    strcmp(dir, ".") == 0 ? "" : dir,
		    strcmp(dir, ".") == 0 || dir[strlen(dir) - 1] == '/' ?
		    "" : "/", files[i].name) >= sizeof(f->path)) {
			err_set(e, E_OS, dir, "folder name too long");
			return -1;
		}
		rc = create_one(f->path, files[i].mode, files[i].text, e);
		if (rc == -1)
			return -1;
		f->created = rc == 0;
		res->kept += rc;
		res->nfiles++;
	}
	return 0;
}
