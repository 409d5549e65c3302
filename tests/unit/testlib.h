/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the unit tests share: a temporary directory made and removed whole
 * (or worked in), and files written in one call. Every function fails the
 * running cmocka test (assert_*) when the system refuses, so a test never
 * goes on with a half-made fixture. Include after <cmocka.h>.
 */
#ifndef COVMON_TESTLIB_H
#define COVMON_TESTLIB_H

#include <limits.h>
#include <stddef.h>

/* Makes /tmp/covmon-NAME-XXXXXX into buf (len >= 64) and returns buf. */
char *tl_tmpdir(char *buf, size_t len, const char *name);
/* Removes dir and everything under it (symlinks not followed); quiet when
 * it is already gone. Returns 0, or -1 (for a teardown's return). */
int tl_rmtree(const char *dir);
/* Writes text (a C string) or len bytes to path, replacing it. */
void tl_write_file(const char *path, const char *text);
void tl_write_bytes(const char *path, const void *buf, size_t len);
/* The same under dir: dir/name. */
void tl_write_in(const char *dir, const char *name, const char *text);

/* This process's resident set (/proc/self/statm), in bytes; fails the
 * test when it cannot be read. */
long tl_rss_bytes(void);

/* A request's query string for the collector's renderers (their query
 * callback): qarg is NULL or NULL-terminated key, value pairs; returns the
 * value of key, or NULL. */
const char *tl_query(void *qarg, const char *key);

/* A test run inside a temporary directory of its own, so that the paths
 * in the messages it checks are the short names it gave. As cmocka's setup
 * and teardown: *state is a struct tl_cwd, dir is
 * /tmp/covmon-PROGRAM-XXXXXX and the working directory; the teardown goes
 * back to cwd and removes dir. */
struct tl_cwd {
	char	dir[256];
	char	cwd[PATH_MAX];
};
int tl_cwd_setup(void **state);
int tl_cwd_teardown(void **state);

/*
 * The sanitizer hooks of a test program that renders graphs through librrd
 * (written once at file scope, no ';' after it): librrd leaks a little per
 * graph, and fontconfig and pango keep caches until exit (tests/lsan.supp
 * says more, and why __vasprintf_internal names only librrd's). Built into
 * the program, so that its ASan build passes without LSAN_OPTIONS.
 */
#define TL_LIBRRD_GRAPH_LEAKS						\
const char *__lsan_default_suppressions(void);				\
const char *								\
__lsan_default_suppressions(void)					\
{									\
	return "leak:librrd.so\n"					\
	    "leak:__vasprintf_internal\n"				\
	    "leak:libfontconfig.so\n"					\
	    "leak:libpango-1.0.so\n"					\
	    "leak:libpangoft2-1.0.so\n"				\
	    "leak:libpangocairo-1.0.so\n"				\
	    "leak:libcairo.so\n"					\
	    "leak:libglib-2.0.so\n";					\
}

#endif
