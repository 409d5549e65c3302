/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CRC-32 (IEEE 802.3, the polynomial of zlib and of gzip) over a buffer:
 * the check of the agent's spool records and of the collector's RRD undo
 * record. Thread-safe; the table is built once, on first use.
 */
#ifndef COVMON_CRC32_H
#define COVMON_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32_ieee(const void *buf, size_t len);

#endif
