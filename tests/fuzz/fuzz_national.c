/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the national view's summary decoder (network input
 * from every province collector). Beyond "no crash", what it accepts it
 * keeps as JSON that decodes again to the same figures, and the table
 * serves it as valid JSON.
 *
 * Built by the COVMON_FUZZ=ON build (linked with the collector's library),
 * run by ctest as fuzz/fuzz_national over tests/fuzz/corpus/national.
 */
#include <json-c/json.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "national.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same_num(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

static int
same(const struct rollup *a, const struct rollup *b)
{
	return memcmp(a->counts, b->counts, sizeof a->counts) == 0 && a->total == b->total &&
	    a->overdue == b->overdue && same_num(a->covered_pct, b->covered_pct) &&
	    same_num(a->target_pct, b->target_pct) && a->deadline == b->deadline &&
	    a->colour == b->colour;
}

#define NOW 1700000000.0

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct national *n;
	struct national_summary s, t;
	char msg[512], *body;
	size_t len;
	unsigned status;

	if (n == NULL) {
		log_init("fuzz_national", LOG_LVL_ERR, 0);
		if ((n = national_new(180, 300)) == NULL)
			abort();
	}
	/* A copy of exactly size bytes, so ASan sees any read past len. */
	char *buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);

	if (national_decode("lao-cai", buf, size, NOW, 300, &s, msg, sizeof msg) == NAT_OK) {
		if (national_decode("lao-cai", s.json, s.len, NOW, 300, &t, msg, sizeof msg) != NAT_OK ||
		    !same(&s.ru, &t.ru) || s.ncommunes != t.ncommunes ||
		    strcmp(s.name, t.name) != 0 || s.evaluated_at != t.evaluated_at)
			abort();
		national_summary_clear(&t);
		national_summary_clear(&s);
	}
	national_message(n, "covmon/v1/lao-cai/summary", "covmon/v1", buf, size, NOW);
	if (national_api(n, "/api/v1/provinces", NOW + 10, &body, &len, &status) == 0) {
		json_object *o = json_tokener_parse(body);
		if (o == NULL || status != 200)
			abort();
		json_object_put(o);
		free(body);
	}
	free(buf);
	return 0;
}
