/* Drops root for good once the privileged sockets are open. */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
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
