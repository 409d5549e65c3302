/* SPDX-License-Identifier: GPL-2.0-or-later */
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

/*
 * As root with a user to drop to: creates dir if missing and gives it and
 * the regular files in it (the spool) to that user, so the agent can still
 * compact its spool once it is no longer root. Symlinks are not followed.
 * Does nothing otherwise. Returns 0, or -1 with err set.
 */
int privdrop_own_dir(const char *user, const char *dir, char *err, size_t errlen);

#endif
