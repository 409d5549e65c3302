/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An error message into a caller's buffer: err may be NULL or errlen 0
 * (nothing written), and a message longer than errlen is cut, which is
 * fine for messages (vsnprintf here keeps the compiler from warning of a
 * possible cut at every call).
 */
#ifndef COVMON_ERRF_H
#define COVMON_ERRF_H

#include <stddef.h>

void errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
