/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Search folding: UTF-8 in, lowercase ASCII-folded UTF-8 out. One table
 * per block of precomposed Latin letters gives each code point its ASCII
 * base letter ('.' where there is none: kept as is); the combining marks
 * of NFD input are dropped, so both forms of a name fold the same.
 */
#include "fold.h"

#include <stdint.h>
#include <string.h>

/*
 * The base letter of each code point from U+00C0, 32 a line; '.' keeps the
 * character. Made from Unicode's canonical decompositions (the first
 * character of the NFD form when it is an ASCII letter followed by
 * combining marks), plus the letters with a stroke that have none:
 * Đ đ (U+0110, U+0111, and the African Đ U+0189), Ø ø, Ħ ħ, Ł ł, and ı.
 */
static const char latin_ext[] =
	"aaaaaa.ceeeeiiii.nooooo.ouuuuy.."	/* U+00C0 */
	"aaaaaa.ceeeeiiii.nooooo.ouuuuy.y"	/* U+00E0 */
	"aaaaaaccccccccddddeeeeeeeeeegggg"	/* U+0100 */
	"gggghhhhiiiiiiiiii..jjkk.llllll."	/* U+0120 */
	".llnnnnnn...oooooo..rrrrrrssssss"	/* U+0140 */
	"sstttt..uuuuuuuuuuuuwwyyyzzzzzz."	/* U+0160 */
	".........d......................"	/* U+0180 */
	"oo.............uu..............."	/* U+01A0: Ơ ơ, Ư ư */
	".............aaiioouuuuuuuuuu.aa"	/* U+01C0 */
	"aa....ggkkoooo..j...gg..nnaa...."	/* U+01E0 */
	"aaaaeeeeiiiioooorrrruuuusstt..hh"	/* U+0200 */
	"......aaeeooooooooyy............"	/* U+0220 */
	"................";			/* U+0240 */
#define LATIN_EXT_FIRST	0x00c0

/* Latin Extended Additional: U+1EA0-U+1EF9 holds the Vietnamese letters
 * with two marks (ầ, ữ, ặ ...) and those with a dot below or hook above. */
static const char latin_add[] =
	"aabbbbbbccddddddddddeeeeeeeeeeff"	/* U+1E00 */
	"gghhhhhhhhhhiiiikkkkkkllllllllmm"	/* U+1E20 */
	"mmmmnnnnnnnnoooooooopppprrrrrrrr"	/* U+1E40 */
	"ssssssssssttttttttuuuuuuuuuuvvvv"	/* U+1E60 */
	"wwwwwwwwwwxxxxyyzzzzzzhtwy......"	/* U+1E80 */
	"aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeee"	/* U+1EA0 */
	"eeeeeeeeiiiioooooooooooooooooooo"	/* U+1EC0 */
	"oooouuuuuuuuuuuuuuyyyyyyyy......";	/* U+1EE0 */
#define LATIN_ADD_FIRST	0x1e00

/*
 * The code point that starts at s and its length in *len, or -1 with *len
 * 1 when s does not start a valid shortest-form sequence. Reads no byte
 * past a NUL: a NUL is never a continuation byte.
 */
static int32_t
decode(const unsigned char *s, size_t *len)
{
	unsigned char c = s[0];
	int32_t cp, min;
	size_t n;

	*len = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else
		return -1;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len = n;
	return cp;
}

/* The folded ASCII letter of cp, 0 when it is kept as is, -1 dropped. */
static int
fold_cp(int32_t cp)
{
	char c = '.';

	if (cp >= 0x0300 && cp <= 0x036f)
		return -1;
	if (cp >= LATIN_EXT_FIRST &&
	    (size_t)(cp - LATIN_EXT_FIRST) < sizeof latin_ext - 1)
		c = latin_ext[cp - LATIN_EXT_FIRST];
	else if (cp >= LATIN_ADD_FIRST &&
	    (size_t)(cp - LATIN_ADD_FIRST) < sizeof latin_add - 1)
		c = latin_add[cp - LATIN_ADD_FIRST];
	return c == '.' ? 0 : c;
}

size_t
fold(const char *s, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n;

	if (outlen == 0)
		return 0;
	while (*p != '\0') {
		int32_t cp = decode(p, &n);
		int f;

		if (cp < 0x80) {
			/* ASCII, or one byte of an invalid sequence. */
			if (o + 1 >= outlen)
				break;
			if (cp < 0)
				out[o++] = '?';
			else if (cp >= 'A' && cp <= 'Z')
				out[o++] = (char)(cp - 'A' + 'a');
			else
				out[o++] = (char)cp;
		} else if ((f = fold_cp(cp)) > 0) {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)f;
		} else if (f == 0) {
			if (o + n >= outlen)
				break;
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	out[o] = '\0';
	return o;
}
