/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the RFC 4180 reader and the inventory loader behind it
 * (common/csv.c, common/inventory.c), fed through a memory file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "csv.h"
#include "inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv *c;
	struct csv_row row;
	char err[4096], path[64];

	if (csv_open_mem(&c, "fuzz.csv", data, size, err, sizeof err) == 0) {
		while (csv_next(c, &row, err, sizeof err) == 1)
			;
		csv_close(c);
	}
	/* The whole loader, on the same bytes as an inventory file. */
	int fd = memfd_create("inventory", 0);
	if (fd == -1)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		struct inventory *inv;
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		if (inventory_load(&inv, path, NULL, err, sizeof err) == 0)
			inventory_free(inv);
	}
	close(fd);
	return 0;
}
