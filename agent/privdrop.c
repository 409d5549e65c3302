/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Drops root for good once the privileged sockets are open. */
#include "privdrop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

int
privdrop(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	if (user == NULL || user[0] == '\0' || geteuid() != 0)
		goto nnp;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user '%s': %s", user,
		    errno ? strerror(errno) : "no such user");
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		snprintf(err, errlen, "dropping privileges to '%s': %s", user, strerror(errno));
		return -1;
	}
	/* Make sure it cannot be undone. */
	if (setuid(0) != -1) {
		snprintf(err, errlen, "dropping privileges to '%s': still able to become root", user);
		return -1;
	}
nnp:
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
privdrop_own_dir(const char *user, const char *dir, char *err, size_t errlen)
{
	struct passwd *pw;
	struct dirent *de;
	DIR *d;
	int fd;

	if (user == NULL || user[0] == '\0' || geteuid() != 0)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user '%s': no such user", user);
		return -1;
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (fchown(fd, pw->pw_uid, pw->pw_gid) == -1 || (d = fdopendir(fd)) == NULL) {
		snprintf(err, errlen, "chown %s: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fchownat(fd, de->d_name, pw->pw_uid, pw->pw_gid, AT_SYMLINK_NOFOLLOW) == -1 &&
		    errno != ENOENT) {
			snprintf(err, errlen, "chown %s/%s: %s", dir, de->d_name, strerror(errno));
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}
