/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RFC 4180 CSV row iterator with UTF-8 validation and per-field positions
 * (see csv.h for what is accepted and how positions are counted). */
#include "csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_READ_CHUNK	65536
#define CSV_EOF		(-1)
#define CSV_IOERR	(-2)

struct csv {
	char			*name;
	FILE			*f;		/* NULL when reading a buffer */
	unsigned char		*buf;		/* read buffer of a file */
	const unsigned char	*p, *end;	/* bytes not yet consumed */
	bool			 eof;		/* nothing left past end */
	bool			 failed;	/* a syntax or read error was returned */
	bool			 started;	/* the BOM check is done */
	int			 ioerrno;
	size_t			 line, col;	/* position of *p */
	unsigned long long	 off;		/* byte offset of *p */

	char			*row;		/* this row's values, NUL-separated */
	size_t			 rowlen, rowcap;
	size_t			*foff;		/* offset of each value in row */
	struct csv_field	*fields;
	size_t			 nf;
};

static int
csv_fail(struct csv *c, size_t line, size_t col, char *err, size_t errlen,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int
csv_fail(struct csv *c, size_t line, size_t col, char *err, size_t errlen,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	c->failed = true;
	if (err == NULL || errlen == 0)
		return -1;
	n = snprintf(err, errlen, "%s:%zu:%zu: ", c->name, line, col);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
csv_new(struct csv **out, const char *name, char *err, size_t errlen)
{
	struct csv *c;

	*out = NULL;
	if ((c = calloc(1, sizeof *c)) == NULL ||
	    (c->name = strdup(name)) == NULL ||
	    (c->foff = calloc(CSV_FIELDS_MAX, sizeof *c->foff)) == NULL ||
	    (c->fields = calloc(CSV_FIELDS_MAX, sizeof *c->fields)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		csv_close(c);
		return -1;
	}
	c->line = 1;
	c->col = 1;
	*out = c;
	return 0;
}

int
csv_open(struct csv **out, const char *path, char *err, size_t errlen)
{
	struct csv *c;

	if (csv_new(&c, path, err, errlen) == -1)
		return -1;
	if ((c->buf = malloc(CSV_READ_CHUNK)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if ((c->f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	c->p = c->end = c->buf;
	*out = c;
	return 0;
fail:
	csv_close(c);
	return -1;
}

int
csv_open_mem(struct csv **out, const char *name, const void *buf, size_t len,
    char *err, size_t errlen)
{
	struct csv *c;

	if (csv_new(&c, name, err, errlen) == -1)
		return -1;
	c->p = buf;
	c->end = c->p + len;
	c->eof = true;
	*out = c;
	return 0;
}

void
csv_close(struct csv *c)
{
	if (c == NULL)
		return;
	if (c->f != NULL)
		fclose(c->f);
	free(c->buf);
	free(c->row);
	free(c->foff);
	free(c->fields);
	free(c->name);
	free(c);
}

const char *
csv_name(const struct csv *c)
{
	return c->name;
}

/* The next byte without consuming it, CSV_EOF, or CSV_IOERR. */
static int
csv_peek(struct csv *c)
{
	size_t n;

	if (c->p < c->end)
		return *c->p;
	if (c->eof)
		return CSV_EOF;
	n = fread(c->buf, 1, CSV_READ_CHUNK, c->f);
	if (n < CSV_READ_CHUNK) {
		if (ferror(c->f)) {
			c->ioerrno = errno;
			return CSV_IOERR;
		}
		c->eof = true;
	}
	c->p = c->buf;
	c->end = c->buf + n;
	return n > 0 ? *c->p : CSV_EOF;
}

/* Consume the byte csv_peek() returned. A continuation byte takes no
 * column: the character was counted at its lead byte. */
static void
csv_advance(struct csv *c)
{
	unsigned char b = *c->p++;

	c->off++;
	if (b == '\n') {
		c->line++;
		c->col = 1;
	} else if ((b & 0xc0) != 0x80)
		c->col++;
}

static int
csv_put(struct csv *c, unsigned char b)
{
	char *r;
	size_t ncap;

	if (c->rowlen == c->rowcap) {
		ncap = c->rowcap ? c->rowcap * 2 : 1024;
		if ((r = realloc(c->row, ncap)) == NULL)
			return -1;
		c->row = r;
		c->rowcap = ncap;
	}
	c->row[c->rowlen++] = (char)b;
	return 0;
}

/*
 * Copy one byte of a field, or a whole UTF-8 sequence when b leads one.
 * Validated here rather than in a pass of its own so that the first error
 * in the file, of whatever kind, is the one reported.
 */
static int
csv_take(struct csv *c, size_t fstart, char *err, size_t errlen)
{
	size_t line = c->line, col = c->col;
	unsigned long long off = c->off;
	int b = csv_peek(c), b1, need;
	unsigned char lo = 0x80, hi = 0xbf;

	if (b == 0)
		return csv_fail(c, line, col, err, errlen,
		    "NUL byte (byte offset %llu)", off);
	if (b < 0x80)
		need = 0;
	else if (b >= 0xc2 && b <= 0xdf)
		need = 1;
	else if (b >= 0xe0 && b <= 0xef) {
		need = 2;
		if (b == 0xe0)
			lo = 0xa0;	/* overlong */
		if (b == 0xed)
			hi = 0x9f;	/* UTF-16 surrogates */
	} else if (b >= 0xf0 && b <= 0xf4) {
		need = 3;
		if (b == 0xf0)
			lo = 0x90;	/* overlong */
		if (b == 0xf4)
			hi = 0x8f;	/* past U+10FFFF */
	} else
		goto bad;
	if (c->rowlen - fstart + (size_t)need + 1 > CSV_FIELD_MAX)
		return csv_fail(c, line, col, err, errlen,
		    "field longer than %d bytes", CSV_FIELD_MAX);
	csv_advance(c);
	if (csv_put(c, (unsigned char)b) == -1)
		goto nomem;
	for (int i = 0; i < need; i++) {
		b1 = csv_peek(c);
		if (b1 == CSV_IOERR)
			return csv_fail(c, c->line, c->col, err, errlen,
			    "read error: %s", strerror(c->ioerrno));
		if (b1 < lo || b1 > hi)
			goto bad;
		lo = 0x80;
		hi = 0xbf;
		csv_advance(c);
		if (csv_put(c, (unsigned char)b1) == -1)
			goto nomem;
	}
	return 0;
bad:
	return csv_fail(c, line, col, err, errlen,
	    "invalid UTF-8 (sequence starting with byte 0x%02X at byte offset "
	    "%llu): save the file as UTF-8",
	    (unsigned)b, off);
nomem:
	return csv_fail(c, line, col, err, errlen, "out of memory");
}

/* After a field: a line end (LF or CRLF) returns 1, a comma 0. */
static int
csv_field_end(struct csv *c, char *err, size_t errlen)
{
	int b = csv_peek(c);
	size_t line = c->line, col = c->col;

	if (b == ',') {
		csv_advance(c);
		return 0;
	}
	if (b == '\r') {
		csv_advance(c);
		if (csv_peek(c) != '\n')
			return csv_fail(c, line, col, err, errlen,
			    "carriage return not followed by a line feed");
		b = '\n';
	}
	if (b == '\n')
		csv_advance(c);
	return 1;
}

int
csv_next(struct csv *c, struct csv_row *row, char *err, size_t errlen)
{
	size_t line, col, start;
	int b, end;

	if (c->failed)
		return csv_fail(c, c->line, c->col, err, errlen,
		    "reading past an earlier error");
	if (!c->started) {
		c->started = true;
		/* A BOM is an encoding mark, not data; it is only ever at
		 * the very start, and csv_peek() just filled the buffer. */
		if (csv_peek(c) == 0xef && c->end - c->p >= 3 &&
		    c->p[1] == 0xbb && c->p[2] == 0xbf) {
			c->p += 3;
			c->off += 3;
		}
	}
	c->rowlen = 0;
	c->nf = 0;

	for (;;) {
		b = csv_peek(c);
		if (b == '\n') {
			csv_advance(c);
			continue;
		}
		if (b == '\r') {
			line = c->line;
			col = c->col;
			csv_advance(c);
			if (csv_peek(c) != '\n')
				return csv_fail(c, line, col, err, errlen,
				    "carriage return not followed by a line feed");
			continue;
		}
		break;
	}
	if (b == CSV_IOERR)
		goto ioerr;
	if (b == CSV_EOF)
		return 0;
	row->line = c->line;

	do {
		if (c->nf == CSV_FIELDS_MAX)
			return csv_fail(c, c->line, c->col, err, errlen,
			    "more than %d fields in a row", CSV_FIELDS_MAX);
		line = c->line;
		col = c->col;
		start = c->rowlen;
		c->fields[c->nf].line = line;
		c->fields[c->nf].col = col;
		c->foff[c->nf] = start;

		if (csv_peek(c) == '"') {
			csv_advance(c);
			for (;;) {
				b = csv_peek(c);
				if (b == CSV_IOERR)
					goto ioerr;
				if (b == CSV_EOF)
					return csv_fail(c, line, col, err, errlen,
					    "quoted field not closed: no closing quote "
					    "before the end of the file");
				if (b == '"') {
					csv_advance(c);
					if (csv_peek(c) != '"')
						break;
					/* A doubled quote stands for one. */
				}
				if (csv_take(c, start, err, errlen) == -1)
					return -1;
			}
			b = csv_peek(c);
			if (b != ',' && b != '\r' && b != '\n' && b != CSV_EOF) {
				if (b == CSV_IOERR)
					goto ioerr;
				return csv_fail(c, c->line, c->col, err, errlen,
				    "text after a closing quote (a quote inside a "
				    "quoted field is written twice: \"\")");
			}
		} else {
			for (;;) {
				b = csv_peek(c);
				if (b == ',' || b == '\r' || b == '\n' || b == CSV_EOF)
					break;
				if (b == CSV_IOERR)
					goto ioerr;
				if (b == '"')
					return csv_fail(c, c->line, c->col, err, errlen,
					    "quote inside an unquoted field (quote the "
					    "whole field and write the quote twice: "
					    "\"a \"\"b\"\"\")");
				if (csv_take(c, start, err, errlen) == -1)
					return -1;
			}
		}
		if (csv_put(c, '\0') == -1)
			return csv_fail(c, line, col, err, errlen, "out of memory");
		c->fields[c->nf].len = c->rowlen - start - 1;
		c->nf++;
		if ((end = csv_field_end(c, err, errlen)) == -1)
			return -1;
	} while (end == 0);

	/* The row buffer may have moved while it grew: point at it now. */
	for (size_t i = 0; i < c->nf; i++)
		c->fields[i].s = c->row + c->foff[i];
	row->f = c->fields;
	row->n = c->nf;
	return 1;
ioerr:
	c->failed = true;
	snprintf(err, errlen, "%s:%zu:%zu: read error: %s", c->name, c->line,
	    c->col, strerror(c->ioerrno));
	return -1;
}

/* Append "'a', 'b'" style lists to a message, bounded by the buffer. */
static void
csv_appendf(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
csv_appendf(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*used += (size_t)n;
	if (*used >= len)
		*used = len;
}

static void
csv_expected(char *buf, size_t len, size_t *used, const char *const *names,
    size_t n)
{
	csv_appendf(buf, len, used, "; expected the columns ");
	for (size_t i = 0; i < n; i++)
		csv_appendf(buf, len, used, "%s%s", i ? "," : "", names[i]);
}

int
csv_header(struct csv *c, const char *const *names, size_t n, char *err,
    size_t errlen)
{
	struct csv_row r;
	char msg[1024];
	size_t used = 0, nunknown = 0, nmissing = 0, i, j;
	const struct csv_field *first = NULL;
	int rc;

	if ((rc = csv_next(c, &r, err, errlen)) == -1)
		return -1;
	if (rc == 0) {
		used = 0;
		csv_appendf(msg, sizeof msg, &used, "empty file: no header row");
		csv_expected(msg, sizeof msg, &used, names, n);
		return csv_fail(c, 1, 1, err, errlen, "%s", msg);
	}

	for (i = 0; i < r.n; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(r.f[i].s, names[j]) == 0)
				break;
		if (j < n)
			continue;
		if (nunknown++ == 0) {
			first = &r.f[i];
			csv_appendf(msg, sizeof msg, &used, "unknown column");
		}
		csv_appendf(msg, sizeof msg, &used, "%s '%s' (field %zu)",
		    nunknown > 1 ? "," : "", r.f[i].s, i + 1);
	}
	for (j = 0; j < n; j++) {
		for (i = 0; i < r.n; i++)
			if (strcmp(r.f[i].s, names[j]) == 0)
				break;
		if (i < r.n)
			continue;
		if (nmissing++ == 0)
			csv_appendf(msg, sizeof msg, &used, "%smissing column",
			    nunknown ? "; " : "");
		csv_appendf(msg, sizeof msg, &used, "%s '%s'",
		    nmissing > 1 ? "," : "", names[j]);
	}
	if (nunknown || nmissing) {
		csv_expected(msg, sizeof msg, &used, names, n);
		return csv_fail(c, first ? first->line : r.line,
		    first ? first->col : 1, err, errlen, "%s", msg);
	}

	for (i = 0; i < r.n; i++)
		for (j = 0; j < i; j++)
			if (strcmp(r.f[i].s, r.f[j].s) == 0)
				return csv_fail(c, r.f[i].line, r.f[i].col, err,
				    errlen, "column '%s' appears twice (fields %zu "
				    "and %zu)", r.f[i].s, j + 1, i + 1);

	/* Same set, no repeats: r.n == n, and only the order can differ. */
	for (i = 0; i < r.n; i++) {
		if (strcmp(r.f[i].s, names[i]) == 0)
			continue;
		csv_appendf(msg, sizeof msg, &used, "column '%s' out of order: "
		    "field %zu must be '%s'", r.f[i].s, i + 1, names[i]);
		csv_expected(msg, sizeof msg, &used, names, n);
		return csv_fail(c, r.f[i].line, r.f[i].col, err, errlen, "%s",
		    msg);
	}
	return 0;
}
