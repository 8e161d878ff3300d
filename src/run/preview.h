#ifndef PREVIEW_H
#define PREVIEW_H

#include "err.h"
#include "job.h"

/*
 * The preview verb: validate every row, then write every message and
 * DIR/report.csv (status previewed).  E_NOINPUT, E_INPUT (all row
 * errors went to diag first), E_OS.
 */
int	preview_batch(const struct job_params *p, struct err *e);

#endif /* PREVIEW_H */
