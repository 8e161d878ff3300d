#ifndef XALLOC_H
#define XALLOC_H

#include <stddef.h>

/*
 * Allocation that cannot fail: on exhaustion these print one line and
 * exit with EX_OSERR, as msmtp does.  The only module that exits.
 */
void	*xmalloc(size_t n);
void	*xcalloc(size_t nmemb, size_t size);
void	*xrealloc(void *p, size_t n);
void	*xreallocarray(void *p, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);

#endif /* XALLOC_H */
