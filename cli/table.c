/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Aligned tables for the terminal. Widths count what the screen shows, not
 * bytes: "Suối Chải" is 9 columns in 12 bytes. */
#include "cli.h"
#include "strf.h"

#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

struct table {
	size_t ncols;
	const char *const *headers;
	const char *align;
	char **cells;            /* nrows * ncols, NULL: empty */
	unsigned char *colours;
	size_t nrows, cap;
	size_t col;              /* next cell of the last row */
};

static bool wide_ok;         /* wcwidth() knows UTF-8 */

void
text_init(void)
{
	/* LC_CTYPE only: LC_NUMERIC stays "C", so numbers keep their point. */
	if (setlocale(LC_CTYPE, "") == NULL ||
	    strcmp(nl_langinfo(CODESET), "UTF-8") != 0) {
		/* The API speaks UTF-8 whatever the user's locale; only the
		 * widths come from here. */
		if (setlocale(LC_CTYPE, "C.UTF-8") == NULL &&
		    setlocale(LC_CTYPE, "C.utf8") == NULL)
			return;
	}
	wide_ok = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
}

/* The next code point of s, or U+FFFD for a byte that starts none. */
static uint32_t
utf8_next(const unsigned char **s)
{
	const unsigned char *p = *s;
	uint32_t cp;
	int n;

	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0) {
		cp = p[0] & 0x1fu;
		n = 1;
	} else if ((p[0] & 0xf0) == 0xe0) {
		cp = p[0] & 0x0fu;
		n = 2;
	} else if ((p[0] & 0xf8) == 0xf0) {
		cp = p[0] & 0x07u;
		n = 3;
	} else {
		*s = p + 1;
		return 0xfffd;
	}
	for (int i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*s = p + i;
			return 0xfffd;
		}
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	*s = p + n + 1;
	return cp;
}

size_t
text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	while (*p) {
		uint32_t cp = utf8_next(&p);
		int cw = wide_ok ? wcwidth((wchar_t)cp) : -1;
		if (cw < 0)	/* no UTF-8 locale, or a control character */
			cw = (cp >= 0x300 && cp < 0x370) ? 0 : 1;
		w += (size_t)cw;
	}
	return w;
}

static const char *const ansi[] = {
	[TC_NONE] = "", [TC_GREEN] = "\033[32m", [TC_YELLOW] = "\033[33m",
	[TC_RED] = "\033[31m", [TC_DIM] = "\033[2m", [TC_BOLD] = "\033[1m",
};

void
colour_print(FILE *out, bool on, enum tcolour colour, const char *s)
{
	if (on && colour != TC_NONE)
		fprintf(out, "%s%s\033[0m", ansi[colour], s);
	else
		fputs(s, out);
}

struct table *
table_new(size_t ncols, const char *const *headers, const char *align)
{
	struct table *t = calloc(1, sizeof *t);

	if (t == NULL)
		return NULL;
	t->ncols = ncols;
	t->headers = headers;
	t->align = align;
	t->col = ncols;
	return t;
}

void
table_row(struct table *t)
{
	if (t == NULL)
		return;
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **cells = realloc(t->cells, cap * t->ncols * sizeof *cells);
		if (cells == NULL)
			goto oom;
		t->cells = cells;
		unsigned char *col = realloc(t->colours, cap * t->ncols);
		if (col == NULL)
			goto oom;
		t->colours = col;
		t->cap = cap;
	}
	memset(t->cells + t->nrows * t->ncols, 0, t->ncols * sizeof *t->cells);
	memset(t->colours + t->nrows * t->ncols, 0, t->ncols);
	t->nrows++;
	t->col = 0;
	return;
oom:
	fprintf(stderr, "covmon: out of memory\n");
	exit(EXIT_RUNTIME);
}

void
table_cell(struct table *t, enum tcolour colour, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (t == NULL || t->col >= t->ncols)
		return;
	va_start(ap, fmt);
	int n = vstrf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fprintf(stderr, "covmon: out of memory\n");
		exit(EXIT_RUNTIME);
	}
	size_t i = (t->nrows - 1) * t->ncols + t->col++;
	t->cells[i] = s;
	t->colours[i] = (unsigned char)colour;
}

static void
pad(FILE *out, size_t n)
{
	while (n-- > 0)
		fputc(' ', out);
}

static void
print_row(const struct table *t, FILE *out, bool colour, const size_t *w,
    const char *const *cells, const unsigned char *colours)
{
	for (size_t j = 0; j < t->ncols; j++) {
		const char *s = cells[j] ? cells[j] : "";
		size_t sw = text_width(s);
		bool last = j + 1 == t->ncols;
		bool right = t->align[j] == 'r';

		if (j > 0)
			fputs("  ", out);
		if (right)
			pad(out, w[j] - sw);
		colour_print(out, colour, colours ? (enum tcolour)colours[j] : TC_BOLD, s);
		if (!right && !last)
			pad(out, w[j] - sw);
	}
	fputc('\n', out);
}

void
table_print(struct table *t, FILE *out, bool colour)
{
	size_t *w;

	if (t == NULL)
		return;
	if ((w = calloc(t->ncols, sizeof *w)) == NULL) {
		table_free(t);
		return;
	}
	for (size_t j = 0; j < t->ncols; j++)
		w[j] = text_width(t->headers[j]);
	for (size_t i = 0; i < t->nrows * t->ncols; i++) {
		size_t sw = t->cells[i] ? text_width(t->cells[i]) : 0;
		if (sw > w[i % t->ncols])
			w[i % t->ncols] = sw;
	}
	print_row(t, out, colour, w, t->headers, NULL);
	for (size_t i = 0; i < t->nrows; i++)
		print_row(t, out, colour, w, (const char *const *)t->cells + i * t->ncols,
		    t->colours + i * t->ncols);
	free(w);
	table_free(t);
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->colours);
	free(t);
}
