/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: SNMP value conversion (agent/snmp_calc.c): whatever a
 * hostile device answers, by type and bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snmp_calc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	double d;
	uint64_t u, delta;

	if (size < 1)
		return 0;
	unsigned type = data[0];
	uint8_t *val = malloc(size - 1 ? size - 1 : 1);
	if (val == NULL)
		return 0;
	memcpy(val, data + 1, size - 1);
	(void)snmp_value_double(type, val, size - 1, &d);
	int bits;
	(void)snmp_value_unsigned(type, val, size - 1, &u, &bits);
	(void)snmp_text_number((const char *)val, size - 1, &d);
	if (size >= 17) {
		uint64_t a, b;
		memcpy(&a, data + 1, 8);
		memcpy(&b, data + 9, 8);
		(void)snmp_counter_delta(a, b, data[0] & 1 ? 64 : 32, &delta);
		(void)snmp_uptime_restarted((uint32_t)a, (uint32_t)b, (double)(data[0]));
	}
	free(val);
	return 0;
}
