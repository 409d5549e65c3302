/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the HTTP API router (collector/api.c): any path and
 * query string against a small inventory's evaluation. The first line of
 * the input is the path, the rest "key=value" lines of the query. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "api.h"
#include "coverage.h"
#include "snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char inventory_csv[] =
    "hamlet_id,hamlet_name,village,commune_id,commune_name,province_id,province_name,lat,lon,"
    "agent_id,uplink_hamlet_id,target_date,population\n"
    "bx-suoi-chai,Suối Chải,Thôn Suối Chải,bat-xat,Bát Xát,lao-cai,Lào Cai,22.57,103.85,"
    "lc-01,,2025-07-18,1263\n"
    "bx-phin-ho,\"<script>\"\"x\"\"</script>\",,bat-xat,Bát Xát,lao-cai,Lào Cai,22.52,103.93,"
    "lc-02,bx-suoi-chai,,\n"
    "mk-sang-chai,Sảng Chải,,muong-khuong,Mường Khương,lao-cai,Lào Cai,,,,,2027-09-15,\n";

static struct snapshot *snap;

static const struct agent_view *
no_view(const char *agent, void *arg)
{
	(void)agent;
	(void)arg;
	return NULL;
}

static void
init(void)
{
	struct inventory *inv;
	struct coverage_conf cf = { 900, 180, 5, 300, 10 };
	char path[64], err[1024];
	int fd = memfd_create("inventory", 0);

	if (fd == -1 || write(fd, inventory_csv, sizeof inventory_csv - 1) < 0)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if (inventory_load(&inv, path, NULL, err, sizeof err) == -1)
		abort();
	close(fd);
	snap = calloc(1, sizeof *snap);
	atomic_init(&snap->refs, 1);
	snap->inv = inv_ref_new(inv, "fuzz", 0);
	if (coverage_evaluate(&snap->cov, inv, &cf, no_view, NULL, 1.7e9, 0, NULL) == -1)
		abort();
	snap->views = calloc(inv->nhamlets, sizeof *snap->views);
}

struct query {
	char *text;
};

static const char *
query(void *arg, const char *key)
{
	struct query *q = arg;
	size_t klen = strlen(key);

	for (char *p = q->text; p && *p; ) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			static char v[256];
			size_t n = len - klen - 1 < sizeof v - 1 ? len - klen - 1 : sizeof v - 1;
			memcpy(v, p + klen + 1, n);
			v[n] = '\0';
			return v;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body;
	size_t len;
	unsigned status;

	if (snap == NULL)
		init();
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *nl = strchr(text, '\n');
	struct query q = { nl ? nl + 1 : NULL };
	if (nl)
		*nl = '\0';
	if (api_render(NULL, snap, text, query, &q, &body, &len, &status) == 0) {
		if (status < 200 || status > 599)
			abort();
		free(body);
	}
	free(text);
	return 0;
}
