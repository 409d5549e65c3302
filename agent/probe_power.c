/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Power at the site from Linux sysfs (probe_power.h): mains, battery and
 * voltage of a router that reports its own supply, with or without SNMP. */
#include "probe_power.h"
#include "snmp_calc.h"

#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first line of root/dev/file, without its newline. */
static int
sysfs_read(const char *root, const char *dev, const char *file, char *buf, size_t len)
{
	char path[768];
	FILE *f;
	int ok;

	if (snprintf(path, sizeof path, "%s/%s/%s", root, dev, file) >= (int)sizeof path)
		return -1;
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int
sysfs_number(const char *root, const char *dev, const char *file, double *out)
{
	char buf[64];

	if (sysfs_read(root, dev, file, buf, sizeof buf) == -1)
		return -1;
	return snmp_text_number(buf, strlen(buf), out);
}

int
probe_power_sysfs(const char *root, struct sample *s)
{
	struct dirent **ents = NULL;
	bool mains_seen = false, mains_up = false, have_bat = false;
	double bat = NAN, volts = NAN, other_volts = NAN, d;
	char type[32];
	int nents, n = 0;

	/* Sorted, so that "the first battery" is the same on every read. */
	if ((nents = scandir(root, &ents, NULL, alphasort)) == -1)
		return 0;
	for (int i = 0; i < nents; i++) {
		const char *dev = ents[i]->d_name;

		if (dev[0] == '.' || sysfs_read(root, dev, "type", type, sizeof type) == -1)
			continue;
		if (strcmp(type, "Mains") == 0) {
			if (sysfs_number(root, dev, "online", &d) == 0) {
				mains_seen = true;
				if (d != 0)
					mains_up = true;
			}
		} else if (strcmp(type, "Battery") == 0 && !have_bat) {
			have_bat = true;
			if (sysfs_number(root, dev, "capacity", &d) == 0 && d >= 0 && d <= 100)
				bat = d;
			if (sysfs_number(root, dev, "voltage_now", &d) == 0 && d >= 0)
				volts = d / 1e6;
		} else if (isnan(other_volts) &&
		    sysfs_number(root, dev, "voltage_now", &d) == 0 && d >= 0)
			other_volts = d / 1e6;
	}
	for (int i = 0; i < nents; i++)
		free(ents[i]);
	free(ents);

	if (mains_seen) {
		sample_set(s, M_POWER_MAINS_UP, mains_up);
		n++;
	}
	if (!isnan(bat)) {
		sample_set(s, M_BATTERY_PCT, bat);
		n++;
	}
	if (isnan(volts))
		volts = other_volts;
	if (!isnan(volts)) {
		sample_set(s, M_SUPPLY_VOLTS, volts);
		n++;
	}
	return n;
}
