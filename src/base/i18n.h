#ifndef I18N_H
#define I18N_H

#include <libintl.h>

/*
 * Messages a person reads, in the language the locale asks for
 * (gettext; catalogues in po/, compiled by make).  _() marks and
 * translates a string, N_() only marks one (a table entry translated
 * where it is printed), P_() picks the plural form.  SMTP replies,
 * column names and file names are never translated.  N_(s) is s
 * itself, unparenthesised, so that it may initialise a char array.
 */
#define I18N_DOMAIN	"mailmerge"

#define _(s)		gettext(s)
#define N_(s)		s
#define P_(one, many, n) ngettext((one), (many), (unsigned long)(n))

/*
 * Take the locale from the environment for messages and character
 * types (numbers and times stay "C": reports and replies are data),
 * and find the catalogues: $MAILMERGE_LOCALEDIR, else locale/ beside
 * the binary (a build tree), else the installed LOCALEDIR.
 */
void	i18n_init(void);

/* The language messages are shown in: "en", "ko" (for lang="..."). */
const char *i18n_language(void);

#endif /* I18N_H */
