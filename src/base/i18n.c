/*
 * gettext set-up.  The locale's LC_MESSAGES and LC_CTYPE come from the
 * environment; LC_NUMERIC and LC_TIME stay "C" so that numbers in
 * reports and dates in mail headers never follow the user's locale.
 *
 * LANGUAGE=ko alone (with LANG=C, as in a bare container or a cron job)
 * is honoured too: gettext ignores LANGUAGE under the "C" locale, so
 * then the messages locale is switched to ko_KR.UTF-8 if it exists.
 */
#include <langinfo.h>
#include <limits.h>
#include <stdbool.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exedir.h"
#include "i18n.h"
#include "nitems.h"

#ifndef LOCALEDIR
#define LOCALEDIR	"/usr/local/share/locale"
#endif

/* locale/ beside the running binary, if there is one: a build tree. */
static bool
beside_binary(char *out, size_t size)
{
	struct stat st;

	return exedir_path("locale", out, size) == 0 &&
	    stat(out, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool
is_korean(const char *v)
{
	return v != NULL && strncmp(v, "ko", 2) == 0;
}

/* The first of the variables gettext consults that is set. */
static const char *
messages_env(void)
{
	static const char *const vars[] = {
		"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"
	};
	const char *v;
	size_t i;

	for (i = 0; i < nitems(vars); i++) {
		v = getenv(vars[i]);
		if (v != NULL && *v != '\0')
			return v;
	}
	return NULL;
}

void
i18n_init(void)
{
	char dir[PATH_MAX];
	const char *env, *cur;

	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	setlocale(LC_TIME, "C");
	cur = setlocale(LC_MESSAGES, NULL);
	if (is_korean(messages_env()) && cur != NULL && !is_korean(cur)) {
		/* and UTF-8 characters, or libc's own messages are "???" */
		setlocale(LC_MESSAGES, "ko_KR.UTF-8");
		if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
			setlocale(LC_CTYPE, "C.UTF-8");
	}
	env = getenv("MAILMERGE_LOCALEDIR");
	if (env != NULL && *env != '\0')
		bindtextdomain(I18N_DOMAIN, env);
	else if (beside_binary(dir, sizeof(dir)))
		bindtextdomain(I18N_DOMAIN, dir);
	else
		bindtextdomain(I18N_DOMAIN, LOCALEDIR);
	bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
	textdomain(I18N_DOMAIN);
}

const char *
i18n_language(void)
{
	/* TRANSLATORS: this translation's language code, for lang="..." */
	return _("en");
}
