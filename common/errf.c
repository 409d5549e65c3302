/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An error message into a caller's buffer (errf.h). */
#include "errf.h"

#include <stdarg.h>
#include <stdio.h>

void
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
