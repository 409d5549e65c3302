/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Folding for search (DESIGN.md section 8): UTF-8 text to lowercase ASCII
 * where a Latin letter has an ASCII base, so that "suoi chai", "SUỐI CHẢI"
 * and "Suối Chải" typed with combining marks (NFD) all read "suoi chai".
 * Table-driven, no locale, no iconv.
 */
#ifndef COVMON_FOLD_H
#define COVMON_FOLD_H

#include <stddef.h>

/*
 * Folds the NUL-terminated UTF-8 string s into out (outlen bytes, NUL
 * always written when outlen > 0):
 * - ASCII letters to lower case, other ASCII as is;
 * - the precomposed letters of U+00C0-U+024F and U+1E00-U+1EFF (every
 *   Vietnamese letter among them) to their ASCII base letter in lower
 *   case, đ and Đ to d;
 * - combining marks U+0300-U+036F dropped;
 * - any other valid character kept as its bytes;
 * - each byte that does not start a valid, shortest-form UTF-8 sequence
 *   (a stray continuation byte, a sequence cut short, an overlong form, a
 *   surrogate, past U+10FFFF) as one '?'.
 * The result is never longer than s: strlen(s) + 1 bytes always suffice.
 * With less room it stops before the first character that does not fit
 * whole. Returns the length of out.
 */
size_t	fold(const char *s, char *out, size_t outlen);

#endif
