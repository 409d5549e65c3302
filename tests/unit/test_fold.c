/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Search folding (common/fold.c): real Vietnamese names in NFC and NFD, in
 * upper case, every Vietnamese letter, other scripts kept, invalid UTF-8
 * made '?' without reading or writing past a buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fold.h"

static void
check(const char *in, const char *want)
{
	char out[512];
	size_t n = fold(in, out, sizeof out);

	if (strcmp(out, want) != 0)
		fail_msg("fold(\"%s\") = \"%s\", expected \"%s\"", in, out, want);
	assert_int_equal(n, strlen(want));
	assert_true(n <= strlen(in));
}

static void
test_names(void **state)
{
	static const struct { const char *in, *want; } tab[] = {
		{ "Suối Chải", "suoi chai" },
		{ "Đồng Văn", "dong van" },
		{ "Mường Khương", "muong khuong" },
		{ "Ý Tý", "y ty" },
		{ "Thái Nguyên", "thai nguyen" },
		{ "Bắc Kạn", "bac kan" },
		{ "Lào Cai", "lao cai" },
		{ "Bát Xát", "bat xat" },
		{ "Phìn Hồ", "phin ho" },
		{ "Ngải Thầu Thượng", "ngai thau thuong" },
		{ "Trịnh Tường", "trinh tuong" },
		{ "Lũng Cú", "lung cu" },
		{ "Séo Mý Tỷ", "seo my ty" },
		{ "Xóm Bãi Vầu", "xom bai vau" },
		{ "Phan Đình Phùng", "phan dinh phung" },
		{ "Nàn Vải \"Mới\"", "nan vai \"moi\"" },
		{ "Ơ Ư ơ ư", "o u o u" },
		/* Upper case. */
		{ "SUỐI CHẢI", "suoi chai" },
		{ "ĐỒNG VĂN", "dong van" },
		{ "MƯỜNG KHƯƠNG", "muong khuong" },
		{ "THÁI NGUYÊN", "thai nguyen" },
		/* NFD: the marks as combining characters after the letter. */
		{ "Suo\u0302\u0301i Cha\u0309i", "suoi chai" },
		{ "\u0110o\u0302\u0300ng Va\u0306n", "dong van" },
		{ "Mu\u031bo\u031b\u0300ng Khu\u031bo\u031bng", "muong khuong" },
		{ "Y\u0301 Ty\u0301", "y ty" },
		{ "Tha\u0301i Nguye\u0302n", "thai nguyen" },
		{ "Ba\u0306\u0301c Ka\u0323n", "bac kan" },
		{ "Nga\u0309i Tha\u0302\u0300u Thu\u031bo\u031b\u0323ng", "ngai thau thuong" },
		/* Already folded, ids, ASCII. */
		{ "suoi chai", "suoi chai" },
		{ "bx-suoi-chai", "bx-suoi-chai" },
		{ "LC-BATXAT-01", "lc-batxat-01" },
		{ "", "" },
		/* Other Latin letters with marks fold too; what has no ASCII base,
		 * and other scripts, is kept as is. */
		{ "Ñandú Çà Ü", "nandu ca u" },
		{ "Łódź Øresund", "lodz oresund" },
		{ "Straße Æ ×", "straße Æ ×" },
		{ "北京 Москва €", "北京 Москва €" },
		{ "a😀b", "a😀b" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		check(tab[i].in, tab[i].want);
}

/* Every Vietnamese vowel with each of the six tones, and đ, in NFC and NFD,
 * lower and upper case. */
static void
test_alphabet(void **state)
{
	static const char nfc[] =
	    "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợ"
	    "uùúủũụưừứửữựyỳýỷỹỵđ";
	static const char upper[] =
	    "AÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬEÈÉẺẼẸÊỀẾỂỄỆIÌÍỈĨỊOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ"
	    "UÙÚỦŨỤƯỪỨỬỮỰYỲÝỶỸỴĐ";
	static const char nfd[] =
	    "aa\u0300a\u0301a\u0309a\u0303a\u0323a\u0306a\u0306\u0300a\u0306\u0301"
	    "a\u0306\u0309a\u0306\u0303a\u0323\u0306a\u0302a\u0302\u0300a\u0302\u0301"
	    "a\u0302\u0309a\u0302\u0303a\u0323\u0302ee\u0300e\u0301e\u0309e\u0303"
	    "e\u0323e\u0302e\u0302\u0300e\u0302\u0301e\u0302\u0309e\u0302\u0303"
	    "e\u0323\u0302ii\u0300i\u0301i\u0309i\u0303i\u0323oo\u0300o\u0301o\u0309"
	    "o\u0303o\u0323o\u0302o\u0302\u0300o\u0302\u0301o\u0302\u0309o\u0302\u0303"
	    "o\u0323\u0302o\u031bo\u031b\u0300o\u031b\u0301o\u031b\u0309o\u031b\u0303"
	    "o\u031b\u0323uu\u0300u\u0301u\u0309u\u0303u\u0323u\u031bu\u031b\u0300"
	    "u\u031b\u0301u\u031b\u0309u\u031b\u0303u\u031b\u0323yy\u0300y\u0301"
	    "y\u0309y\u0303y\u0323\u0111";
	static const char want[] =
	    "aaaaaaaaaaaaaaaaaaeeeeeeeeeeeeiiiiiioooooooooooooooooo"
	    "uuuuuuuuuuuuyyyyyyd";

	(void)state;
	assert_int_equal(strlen(want), 73);
	check(nfc, want);
	check(upper, want);
	check(nfd, want);
}

/* Each byte of a bad sequence is one '?'; the text after it is read from
 * the next byte on. */
static void
test_invalid(void **state)
{
	static const struct { const char *in, *want; } tab[] = {
		{ "a\xff" "b", "a?b" },
		{ "\x80" "abc", "?abc" },		/* a stray continuation */
		{ "Su\xe1\xbb", "su??" },		/* cut short at the end */
		{ "\xc3(", "?(" },
		{ "\xc0\xaf", "??" },			/* overlong '/' */
		{ "\xe0\x80\xaf", "???" },
		{ "\xf0\x80\x80\xaf", "????" },
		{ "\xed\xa0\x80", "???" },		/* a surrogate */
		{ "\xf4\x90\x80\x80", "????" },		/* past U+10FFFF */
		{ "\xf8\x88\x80\x80\x80", "?????" },
		{ "Su\xf4i", "su?i" },			/* Latin-1, not UTF-8 */
		{ "\xe1\xbb\x91\xe1\xbb", "o??" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		check(tab[i].in, tab[i].want);
}

/* A short buffer: cut before the first character that does not fit, NUL
 * always written, nothing past outlen. */
static void
test_short(void **state)
{
	char out[16];

	(void)state;
	memset(out, 'X', sizeof out);
	assert_int_equal(fold("Suối Chải", out, 4), 3);
	assert_string_equal(out, "suo");
	assert_int_equal(out[4], 'X');
	memset(out, 'X', sizeof out);
	assert_int_equal(fold("a北", out, 3), 1);	/* 北 takes 3 bytes */
	assert_string_equal(out, "a");
	assert_int_equal(out[3], 'X');
	assert_int_equal(fold("a北", out, 5), 4);
	assert_string_equal(out, "a北");
	memset(out, 'X', sizeof out);
	assert_int_equal(fold("abc", out, 1), 0);
	assert_int_equal(out[0], '\0');
	assert_int_equal(out[1], 'X');
	assert_int_equal(fold("abc", out, 0), 0);
	assert_int_equal(out[1], 'X');
}

/* Random bytes: the result fits in strlen(in) + 1 bytes, is the same with
 * more room, and holds no byte of an invalid sequence. */
static void
test_random(void **state)
{
	unsigned seed = 19;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand_r(&seed) % 24);
		char in[32], *out = malloc(n + 1), big[128];
		for (size_t i = 0; i < n; i++) {
			int r = rand_r(&seed) % 4;
			/* Mostly UTF-8 lead and continuation bytes. */
			in[i] = (char)(r == 0 ? 'A' + rand_r(&seed) % 26 :
			    r == 1 ? 0x80 + rand_r(&seed) % 64 : 0xc0 + rand_r(&seed) % 64);
			if (in[i] == '\0')
				in[i] = 'x';
		}
		in[n] = '\0';
		assert_non_null(out);
		size_t m = fold(in, out, n + 1);
		assert_true(m <= n);
		assert_int_equal(strlen(out), m);
		assert_int_equal(fold(in, big, sizeof big), m);
		assert_string_equal(big, out);
		/* The output folds to itself: valid UTF-8, nothing left to fold
		 * (an upper-case letter the table does not know stays). */
		char again[128];
		fold(out, again, sizeof again);
		assert_string_equal(again, out);
		free(out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_alphabet),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
