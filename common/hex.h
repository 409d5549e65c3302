/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One hexadecimal digit's value: for JSON's \uXXXX (common/sample.c) and
 * MAC addresses (agent/pcap_analyze.c). */
#ifndef COVMON_HEX_H
#define COVMON_HEX_H

/* 0..15, or -1 when c is not a hex digit. */
static inline int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
