/*
 * The running program's folder.  Linux names the executable in
 * /proc/self/exe (valgrind answers for the program it runs, not for
 * itself), so a binary run from build/ or build-asan/ finds the files
 * built beside it before the installed ones.
 */
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "exedir.h"

int
exedir_path(const char *name, char *out, size_t size)
{
	char exe[PATH_MAX];
	const char *slash;
	size_t dir;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return -1;
	dir = (size_t)(slash - exe) + 1;
	if (dir + strlen(name) + 1 > size)
		return -1;
	memcpy(out, exe, dir);
	strcpy(out + dir, name);
	return 0;
}
