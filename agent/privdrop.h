/* Dropping root after the raw and capture sockets are open. */
#ifndef COVMON_PRIVDROP_H
#define COVMON_PRIVDROP_H

#include <stddef.h>

/*
 * Switches to `user` (setgroups, setgid, setuid, each checked) and sets
 * PR_SET_NO_NEW_PRIVS. Does nothing when not root or user is NULL/empty.
 * Returns 0, or -1 with err set.
 */
int privdrop(const char *user, char *err, size_t errlen);

#endif
