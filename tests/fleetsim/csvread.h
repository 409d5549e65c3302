/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small RFC 4180 reader for fleetsim: the whole file in memory, checked
 * for UTF-8, records split into NUL-terminated fields (quoted fields with
 * commas, line breaks and doubled quotes). Errors name file:line:column.
 * The collector has its own loader; this one only feeds the simulator.
 */
#ifndef FLEETSIM_CSVREAD_H
#define FLEETSIM_CSVREAD_H

#include <stddef.h>

#define CSVR_MAX_FIELDS 64

struct csvr {
	const char *path;
	char *buf;                      /* the file, owned */
	size_t len;
	size_t pos;
	size_t line;                    /* line at pos, from 1 */
	size_t line_start;              /* offset of that line's first byte */
	size_t rec_line;                /* line the last record began on */
	char *scratch;                  /* unescaped fields of one record, owned */
	char *fields[CSVR_MAX_FIELDS];  /* point into scratch */
	size_t nfields;
};

/* Reads path. Returns 0, or -1 with err set (unreadable, not UTF-8, NUL). */
int csvr_open(struct csvr *c, const char *path, char *err, size_t errlen);
/* Returns 1 with the next record in c->fields, 0 at the end of the file, or
 * -1 with err set. Blank lines are skipped. */
int csvr_next(struct csvr *c, char *err, size_t errlen);
void csvr_close(struct csvr *c);

#endif
