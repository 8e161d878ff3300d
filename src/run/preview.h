#ifndef PREVIEW_H
#define PREVIEW_H

#include <stddef.h>

#include "err.h"
#include "job.h"

/* What a preview wrote. */
struct preview_result {
	size_t		rows;		/* rows previewed */
	size_t		recipients;	/* recipients in them */
	size_t		invalid;	/* rows --skip-invalid left out */
};

/*
 * The preview verb: validate every row, then write every message and
 * DIR/report.csv (status previewed), and say so in res.  E_NOINPUT,
 * E_INPUT (all row errors went to diag first), E_OS.
 */
int	preview_batch(const struct job_params *p, struct preview_result *res,
	    struct err *e);

#endif /* PREVIEW_H */
