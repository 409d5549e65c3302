/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the INI loader and its typed getters (common/conf.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	char err[512], items[8][256];
	long l;
	double d;
	bool b;
	const char *v;

	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (conf_load_string(&c, "fuzz.conf", text, err, sizeof err) == 0) {
		for (size_t i = 0; i < c.nsections; i++) {
			const char *sec = c.sections[i];
			(void)conf_long(&c, sec, "interval", 60, 1, 3600, &l, err, sizeof err);
			(void)conf_duration(&c, sec, "start_delay", 30, 0, 3600, &d, err, sizeof err);
			(void)conf_double(&c, sec, "spool_max_mb", 16, 0.01, 1e6, &d, err, sizeof err);
			(void)conf_bool(&c, sec, "promisc", true, &b, err, sizeof err);
			(void)conf_require(&c, sec, "id", &v, err, sizeof err);
			(void)conf_split_list(conf_str(&c, sec, "targets", ""), items, 8);
		}
		(void)conf_unused(&c, err, sizeof err);
		conf_free(&c);
	}
	free(text);
	return 0;
}
