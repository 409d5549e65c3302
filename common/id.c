/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Identifier validation: the one gate between network input and paths. */
#include "id.h"

#include <string.h>

static bool
id_char(unsigned char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	if (first)
		return false;
	return c == '.' || c == '_' || c == '-';
}

bool
id_validn(const char *s, size_t len)
{
	if (s == NULL || len == 0 || len > ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!id_char((unsigned char)s[i], i == 0))
			return false;
	return true;
}

bool
id_valid(const char *s)
{
	if (s == NULL)
		return false;
	return id_validn(s, strnlen(s, ID_MAX + 1));
}
