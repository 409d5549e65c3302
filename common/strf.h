/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A string printed into new memory, as vasprintf does. covmon does not call
 * vasprintf itself: glibc's has no frame pointers, so LeakSanitizer's fast
 * unwinder cannot tell a leak of ours made through it from librrd's known
 * ones (tests/lsan.supp suppresses by its frame; test_lint keeps it so).
 */
#ifndef COVMON_STRF_H
#define COVMON_STRF_H

#include <stdarg.h>

/* *out is the string, to free(); returns its length, or -1 (out of memory,
 * or a bad format) with *out NULL. */
int vstrf(char **out, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
int strf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
