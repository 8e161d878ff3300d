#ifndef EXEDIR_H
#define EXEDIR_H

#include <stddef.h>

/*
 * The running program's folder (/proc/self/exe), where a build tree
 * keeps what the program finds beside it: build/locale, and the helper
 * programs (build/mailmerge-bounces).
 */

/*
 * NAME in the running program's folder, written into out (size bytes):
 * 0, or -1 when there is no /proc or the path does not fit.  Whether
 * the file exists is the caller's question.
 */
int	exedir_path(const char *name, char *out, size_t size);

#endif /* EXEDIR_H */
