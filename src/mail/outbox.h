#ifndef OUTBOX_H
#define OUTBOX_H

#include <stddef.h>
#include <time.h>

#include "err.h"

/*
 * Where preview puts its mail: one .eml file per row in a folder, named
 * so that ls lists them in roster order ("0007-kim@example.com.eml"),
 * or one mbox file (mboxrd quoting) that mutt and Thunderbird open.
 */

struct outbox;

/*
 * Make dir (and parents) and clear the .eml files an earlier preview
 * left there; with mbox != NULL, create that file instead of .eml
 * files.  width: digits of the row number.  E_OS naming the path.
 */
int	outbox_open(struct outbox **op, const char *dir, const char *mbox,
	    int width, struct err *e);

/*
 * Store one message (CRLF text) for row; rcpt names the .eml file,
 * from and date make the mbox "From " line.  E_OS.
 */
int	outbox_put(struct outbox *o, size_t row, const char *rcpt,
	    const char *from, time_t date, const char *text, size_t len,
	    struct err *e);

/* Flush and close; E_OS if anything could not be written. */
int	outbox_close(struct outbox *o, struct err *e);

/* mkdir -p; E_OS naming the part that failed. */
int	outbox_mkdirs(const char *dir, struct err *e);

#endif /* OUTBOX_H */
