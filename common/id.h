/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Identifiers (DESIGN.md section 2): agent, hamlet, commune and province ids
 * are 1-64 characters of [a-z0-9._-] starting with [a-z0-9]. Only ids that
 * pass id_valid() may ever reach a file path, a topic or a SQL key.
 */
#ifndef COVMON_ID_H
#define COVMON_ID_H

#include <stdbool.h>
#include <stddef.h>

#define ID_MAX 64

bool id_valid(const char *s);
/* Same, for a string of known length that may hold NUL bytes (a topic
 * level, a JSON string): a NUL inside makes it invalid. */
bool id_validn(const char *s, size_t len);

#endif
