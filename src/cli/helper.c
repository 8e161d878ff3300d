/*
 * The verbs that run in a helper program (see cli.h), as git runs
 * git-remote-http: `mailmerge bounces ARGS` becomes mailmerge-bounces
 * with the same arguments, in the same process (execv: the same pid,
 * standard streams, signals and exit status).  The helper is looked for
 * beside the running binary first (a build tree: build/, build-asan/),
 * then where make install puts it (find_helper()).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "exedir.h"
#include "nitems.h"
#include "xalloc.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR	"/usr/local/libexec/mailmerge"
#endif

#define BOUNCES_HELPER	"mailmerge-bounces"

/*
 * Where PROG may be, in order: beside this binary (a build tree), in
 * ../libexec/mailmerge from it (an installed tree, wherever it was
 * moved or DESTDIR put it), in LIBEXECDIR.  The first that exists, or
 * the last.
 */
static void
find_helper(const char *prog, char *path, size_t size)
{
	static const char *const beside[] = { "", "../libexec/mailmerge/" };
	char name[NAME_MAX + 32];
	size_t i;

	for (i = 0; i < nitems(beside); i++) {
		snprintf(name, sizeof(name), "%s%s", beside[i], prog);
		if (exedir_path(name, path, size) == 0 &&
		    access(path, F_OK) == 0)
			return;
	}
	snprintf(path, size, "%s/%s", LIBEXECDIR, prog);
}

/*
 * Exec PROG as "mailmerge VERB ARGS..."; returns only when it could
 * not, with e set.
 */
static void
exec_helper(const char *prog, int argc, char **argv, struct err *e)
{
	char path[PATH_MAX];
	char **args;
	int i;

	args = xreallocarray(NULL, (size_t)argc + 2, sizeof(*args));
	args[0] = "mailmerge";
	for (i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	args[argc + 1] = NULL;
	find_helper(prog, path, sizeof(path));
	execv(path, args);
	err_set(e, E_INTERNAL, path, "cannot run the helper program: %s "
	    "('mailmerge %s' runs in it: reinstall mailmerge)",
	    strerror(errno), argv[0]);
	free(args);
}

int
run_bounces(int argc, char **argv)
{
	struct err e;

	exec_helper(BOUNCES_HELPER, argc, argv, &e);
	return fail(&e);
}
