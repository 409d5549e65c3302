/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 4180 reader for fleetsim's inventory: fields are unescaped into one
 * scratch buffer as large as the file, so no record can overflow it.
 */
#include "csvread.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. Strict:
 * no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (n >= 2 && (p[1] & 0xc0) == 0x80) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0;
		if (c == 0xed && p[1] >= 0xa0)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)
			return 0;
		if (c == 0xf4 && p[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

static int
check_text(struct csvr *c, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)c->buf;
	size_t i = 0, line = 1, lstart = 0, k;

	while (i < c->len) {
		if (p[i] == '\0') {
			snprintf(err, errlen, "%s:%zu:%zu: NUL byte", c->path, line,
			    i - lstart + 1);
			return -1;
		}
		if ((k = utf8_seq(p + i, c->len - i)) == 0) {
			snprintf(err, errlen, "%s:%zu:%zu: not UTF-8 (byte 0x%02x)",
			    c->path, line, i - lstart + 1, p[i]);
			return -1;
		}
		if (p[i] == '\n') {
			line++;
			lstart = i + 1;
		}
		i += k;
	}
	return 0;
}

int
csvr_open(struct csvr *c, const char *path, char *err, size_t errlen)
{
	FILE *f;
	long sz;

	memset(c, 0, sizeof(*c));
	c->path = path;
	c->line = 1;
	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) == -1 || (sz = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1) {
		snprintf(err, errlen, "%s: cannot size: %s", path, strerror(errno));
		goto fail;
	}
	c->len = (size_t)sz;
	if ((c->buf = malloc(c->len + 1)) == NULL ||
	    (c->scratch = malloc(c->len + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (c->len > 0 && fread(c->buf, 1, c->len, f) != c->len) {
		snprintf(err, errlen, "%s: short read", path);
		goto fail;
	}
	c->buf[c->len] = '\0';
	fclose(f);
	f = NULL;
	if (check_text(c, err, errlen) == -1)
		goto fail;
	/* Spreadsheets often write a byte order mark; it is not part of the
	 * first column's name. */
	if (c->len >= 3 && memcmp(c->buf, "\xef\xbb\xbf", 3) == 0)
		c->pos = c->line_start = 3;
	return 0;
fail:
	if (f != NULL)
		fclose(f);
	csvr_close(c);
	return -1;
}

static int
fail_at(struct csvr *c, char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s:%zu:%zu: %s", c->path, c->line,
	    c->pos - c->line_start + 1, why);
	return -1;
}

static void
newline(struct csvr *c, size_t after)
{
	c->line++;
	c->line_start = after;
}

int
csvr_next(struct csvr *c, char *err, size_t errlen)
{
	const char *b = c->buf;
	size_t out = 0;

	/* Blank lines carry no record. */
	for (;;) {
		if (c->pos >= c->len)
			return 0;
		if (b[c->pos] == '\n') {
			c->pos++;
			newline(c, c->pos);
		} else if (b[c->pos] == '\r' && b[c->pos + 1] == '\n') {
			c->pos += 2;
			newline(c, c->pos);
		} else
			break;
	}
	c->rec_line = c->line;
	c->nfields = 0;
	for (;;) {
		if (c->nfields == CSVR_MAX_FIELDS)
			return fail_at(c, err, errlen, "too many fields");
		c->fields[c->nfields++] = c->scratch + out;
		if (c->pos < c->len && b[c->pos] == '"') {
			size_t qline = c->line;

			c->pos++;
			for (;;) {
				if (c->pos >= c->len) {
					char why[96];

					snprintf(why, sizeof(why), "quoted field opened "
					    "on line %zu is not closed", qline);
					return fail_at(c, err, errlen, why);
				}
				if (b[c->pos] == '"') {
					if (b[c->pos + 1] != '"')
						break;
					c->scratch[out++] = '"';
					c->pos += 2;
					continue;
				}
				if (b[c->pos] == '\n')
					newline(c, c->pos + 1);
				c->scratch[out++] = b[c->pos++];
			}
			c->pos++;	/* closing quote */
			if (c->pos < c->len && b[c->pos] != ',' && b[c->pos] != '\n' &&
			    !(b[c->pos] == '\r' && b[c->pos + 1] == '\n'))
				return fail_at(c, err, errlen,
				    "character after a closing quote (a quote inside "
				    "a quoted field is written \"\")");
		} else {
			while (c->pos < c->len && b[c->pos] != ',' && b[c->pos] != '\n') {
				if (b[c->pos] == '"')
					return fail_at(c, err, errlen, "quote in an "
					    "unquoted field (quote the whole field)");
				if (b[c->pos] == '\r') {
					if (b[c->pos + 1] == '\n')
						break;
					return fail_at(c, err, errlen, "carriage return "
					    "not followed by a line feed");
				}
				c->scratch[out++] = b[c->pos++];
			}
		}
		c->scratch[out++] = '\0';
		if (c->pos >= c->len)
			return 1;
		if (b[c->pos] == ',') {
			c->pos++;
			continue;
		}
		c->pos += b[c->pos] == '\r' ? 2 : 1;
		newline(c, c->pos);
		return 1;
	}
}

void
csvr_close(struct csvr *c)
{
	free(c->buf);
	free(c->scratch);
	c->buf = c->scratch = NULL;
}
