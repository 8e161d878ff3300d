#ifndef INIT_H
#define INIT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/*
 * mailmerge init: the files a new user starts from (a commented config,
 * a sample roster, a template), written into a folder without ever
 * replacing a file that is there.
 */

#define INIT_FILES	3	/* mailmerge.conf, roster.csv, template.txt */

struct init_file {
	char		path[PATH_MAX];	/* as shown: "DIR/name" or "name" */
	bool		created;	/* false: it was there and is kept */
};

struct init_result {
	struct init_file file[INIT_FILES];	/* conf, roster, template */
	size_t		nfiles;
	size_t		kept;
};

/*
 * Create dir (one level) if missing, then each file with O_EXCL: the
 * config mode 0600, the others 0644.  A file already there is kept and
 * counted in res->kept.  E_OS naming the path that could not be made.
 */
int	init_write(const char *dir, struct init_result *res, struct err *e);

#endif /* INIT_H */
