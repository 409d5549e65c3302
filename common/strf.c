/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A string printed into new memory (strf.h). */
#include "strf.h"

#include <stdio.h>
#include <stdlib.h>

int
vstrf(char **out, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	*out = NULL;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (*out = malloc((size_t)n + 1)) == NULL)
		return -1;
	(void)vsnprintf(*out, (size_t)n + 1, fmt, ap);
	return n;
}

int
strf(char **out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vstrf(out, fmt, ap);
	va_end(ap);
	return n;
}
