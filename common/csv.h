/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 4180 CSV reader for the files operators edit by hand or export from a
 * spreadsheet (inventory.csv, targets.csv): a row iterator that validates
 * UTF-8 as it reads and gives every field its line and column, so that the
 * collector and the CLI can both say exactly where a file is wrong.
 *
 * Accepted: quoted fields with doubled quotes, commas and line breaks inside
 * quotes, CRLF or LF line ends, an optional UTF-8 BOM, a last line with or
 * without its line end. A line with nothing at all on it is skipped (editors
 * leave them at the end of files), not read as a row of one empty field.
 * Refused, with "NAME:LINE:COLUMN: reason": invalid UTF-8 (overlong forms,
 * surrogates, code points past U+10FFFF included), a NUL byte, a quote
 * inside an unquoted field, anything but a comma or a line end after a
 * closing quote, a quote left open at the end of the file, a CR not
 * followed by LF outside quotes, and fields or rows past the bounds below.
 *
 * Positions: LINE is 1-based and counts LF; COLUMN is 1-based and counts
 * characters (Unicode code points), not bytes, so that it matches what an
 * editor shows on a line of Vietnamese text. The BOM takes no column.
 */
#ifndef COVMON_CSV_H
#define COVMON_CSV_H

#include <stddef.h>

#define CSV_FIELD_MAX	65536	/* bytes in one field, after unquoting */
#define CSV_FIELDS_MAX	256	/* fields in one row */

struct csv;

struct csv_field {
	const char	*s;	/* unquoted, NUL-terminated, valid UTF-8, no NUL inside */
	size_t		 len;	/* bytes */
	size_t		 line;	/* where the field starts (its opening quote, if quoted) */
	size_t		 col;
};

struct csv_row {
	const struct csv_field	*f;	/* valid until the next csv_next() or csv_close() */
	size_t			 n;
	size_t			 line;	/* line of the first field */
};

/* Open a file, or a buffer (not copied: it must outlive the reader) that
 * errors call name. Return 0, or -1 with err. */
int	csv_open(struct csv **out, const char *path, char *err, size_t errlen);
int	csv_open_mem(struct csv **out, const char *name, const void *buf,
	    size_t len, char *err, size_t errlen);
void	csv_close(struct csv *c);

/* Read the next row: 1 with *row filled, 0 at the end of the file, -1 with
 * err "NAME:LINE:COLUMN: reason" (after which the reader only returns -1
 * again: the rest of a file is not trusted past a syntax error). */
int	csv_next(struct csv *c, struct csv_row *row, char *err, size_t errlen);

/* Read the first row and check that it is exactly names[0..n-1], in that
 * order. Unknown and missing columns are named together (a misspelt column
 * is usually both), then repeated ones, then the first out of place. Return
 * 0, or -1 with err. */
int	csv_header(struct csv *c, const char *const *names, size_t n, char *err,
	    size_t errlen);

/* The name given at open, for the caller's own messages. */
const char *csv_name(const struct csv *c);

#endif
