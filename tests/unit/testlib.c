/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The unit tests' shared fixtures (testlib.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testlib.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *
tl_tmpdir(char *buf, size_t len, const char *name)
{
	assert_true((size_t)snprintf(buf, len, "/tmp/covmon-%s-XXXXXX", name) < len);
	assert_non_null(mkdtemp(buf));
	return buf;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int
tl_rmtree(const char *dir)
{
	if (dir == NULL || dir[0] == '\0')
		return 0;
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

void
tl_write_bytes(const char *path, const void *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

void
tl_write_file(const char *path, const char *text)
{
	tl_write_bytes(path, text, strlen(text));
}

void
tl_write_in(const char *dir, const char *name, const char *text)
{
	char path[1024];

	assert_true((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) < sizeof path);
	tl_write_file(path, text);
}

const char *
tl_query(void *qarg, const char *key)
{
	const char *const *kv = qarg;

	for (; kv && kv[0]; kv += 2)
		if (strcmp(kv[0], key) == 0)
			return kv[1];
	return NULL;
}

int
tl_cwd_setup(void **state)
{
	struct tl_cwd *f = calloc(1, sizeof *f);

	assert_non_null(f);
	assert_non_null(getcwd(f->cwd, sizeof f->cwd));
	tl_tmpdir(f->dir, sizeof f->dir, program_invocation_short_name);
	assert_int_equal(chdir(f->dir), 0);
	*state = f;
	return 0;
}

int
tl_cwd_teardown(void **state)
{
	struct tl_cwd *f = *state;
	int rc;

	assert_int_equal(chdir(f->cwd), 0);
	rc = tl_rmtree(f->dir);
	free(f);
	return rc;
}

long
tl_rss_bytes(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld %ld", &size, &res), 2);
	fclose(f);
	return res * sysconf(_SC_PAGESIZE);
}
