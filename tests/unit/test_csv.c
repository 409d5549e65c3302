/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CSV reader (common/csv.c): RFC 4180 quoting, line ends, BOM, UTF-8,
 * positions in characters, and every syntax error with its position. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"

/* Reads all of text; returns the rows as "a|b|c" lines joined by "\n" into
 * out (each field also checked for its length), and the return of the last
 * csv_next() call. */
static int
read_all(const char *text, size_t len, char *out, size_t outlen, char *err,
    size_t errlen)
{
	struct csv *c;
	struct csv_row r;
	size_t used = 0;
	int rc;

	out[0] = '\0';
	err[0] = '\0';
	assert_int_equal(csv_open_mem(&c, "t.csv", text, len, err, errlen), 0);
	while ((rc = csv_next(c, &r, err, errlen)) == 1) {
		for (size_t i = 0; i < r.n; i++) {
			assert_int_equal(strlen(r.f[i].s), r.f[i].len);
			used += (size_t)snprintf(out + used, outlen - used, "%s%s",
			    i ? "|" : (used ? "\n" : ""), r.f[i].s);
			assert_true(used < outlen);
		}
	}
	csv_close(c);
	return rc;
}

static void
expect_rows(const char *text, const char *rows)
{
	char out[4096], err[512];

	assert_int_equal(read_all(text, strlen(text), out, sizeof out, err,
	    sizeof err), 0);
	assert_string_equal(out, rows);
}

static void
expect_error_len(const char *text, size_t len, const char *msg)
{
	char out[4096], err[512];

	assert_int_equal(read_all(text, len, out, sizeof out, err, sizeof err), -1);
	assert_string_equal(err, msg);
}

static void
expect_error(const char *text, const char *msg)
{
	expect_error_len(text, strlen(text), msg);
}

static void
test_plain(void **state)
{
	(void)state;
	expect_rows("a,b,c\n1,2,3\n", "a|b|c\n1|2|3");
	expect_rows("a,b,c\r\n1,2,3\r\n", "a|b|c\n1|2|3");
	/* No line end on the last line. */
	expect_rows("a,b\n1,2", "a|b\n1|2");
	expect_rows("a,b\r\n1,2", "a|b\n1|2");
	expect_rows("", "");
	expect_rows("\n\n", "");
	/* Blank lines are skipped, not rows of one empty field. */
	expect_rows("a\n\n\r\nb\n\n", "a\nb");
}

static void
test_empty_fields(void **state)
{
	(void)state;
	expect_rows(",,\n", "||");
	expect_rows("a,,c\n", "a||c");
	expect_rows("a,b,\n", "a|b|");
	expect_rows("\"\",x\n", "|x");
	expect_rows("a,\"\"\n", "a|");
}

static void
test_quotes(void **state)
{
	(void)state;
	expect_rows("\"a,b\",c\n", "a,b|c");
	expect_rows("\"say \"\"hi\"\"\",x\n", "say \"hi\"|x");
	expect_rows("\"\"\"\"\n", "\"");
	expect_rows("\"line1\nline2\",x\n", "line1\nline2|x");
	expect_rows("\"line1\r\nline2\",x\r\n", "line1\r\nline2|x");
	expect_rows("\"a\"\n\"b\"", "a\nb");
}

static void
test_positions(void **state)
{
	struct csv *c;
	struct csv_row r;
	char err[256];
	/* BOM, a multi-line quoted field, and Vietnamese text: columns count
	 * characters, the BOM none. */
	const char *text = "\xef\xbb\xbfid,name\n"
	    "\"a\nb\",Suối Chải,x\r\n"
	    "Bát Xát,\"Lào Cai\",z\n";

	(void)state;
	assert_int_equal(csv_open_mem(&c, "t.csv", text, strlen(text), err,
	    sizeof err), 0);
	assert_int_equal(csv_next(c, &r, err, sizeof err), 1);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.f[0].s, "id");
	assert_int_equal(r.f[0].line, 1);
	assert_int_equal(r.f[0].col, 1);
	assert_int_equal(r.f[1].col, 4);

	assert_int_equal(csv_next(c, &r, err, sizeof err), 1);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.line, 2);
	assert_string_equal(r.f[0].s, "a\nb");
	assert_int_equal(r.f[1].line, 3);
	assert_int_equal(r.f[1].col, 4);
	assert_string_equal(r.f[1].s, "Suối Chải");
	assert_int_equal(r.f[2].line, 3);
	assert_int_equal(r.f[2].col, 14);

	assert_int_equal(csv_next(c, &r, err, sizeof err), 1);
	assert_int_equal(r.line, 4);
	assert_string_equal(r.f[1].s, "Lào Cai");
	assert_int_equal(r.f[1].col, 9);
	assert_int_equal(r.f[2].col, 19);
	assert_int_equal(csv_next(c, &r, err, sizeof err), 0);
	assert_int_equal(csv_next(c, &r, err, sizeof err), 0);
	csv_close(c);
}

static void
test_bom_only_at_start(void **state)
{
	(void)state;
	/* A BOM anywhere else is data (U+FEFF is valid UTF-8). */
	expect_rows("a,\xef\xbb\xbf" "b\n", "a|\xef\xbb\xbf" "b");
	expect_rows("\xef\xbb\xbf", "");
	expect_rows("\xef\xbb\xbf" "x", "x");
}

static void
test_syntax_errors(void **state)
{
	(void)state;
	expect_error("a,b\nx,y\"z\n",
	    "t.csv:2:4: quote inside an unquoted field (quote the whole field "
	    "and write the quote twice: \"a \"\"b\"\"\")");
	expect_error("a,b\nx,\"yz\n\n",
	    "t.csv:2:3: quoted field not closed: no closing quote before the "
	    "end of the file");
	expect_error("\"abc",
	    "t.csv:1:1: quoted field not closed: no closing quote before the "
	    "end of the file");
	expect_error("a,\"b\"c\n",
	    "t.csv:1:6: text after a closing quote (a quote inside a quoted "
	    "field is written twice: \"\")");
	expect_error("a,\"b\" \n",
	    "t.csv:1:6: text after a closing quote (a quote inside a quoted "
	    "field is written twice: \"\")");
	expect_error("a,b\rc\n",
	    "t.csv:1:4: carriage return not followed by a line feed");
	expect_error("a\n\r\n\rb\n",
	    "t.csv:3:1: carriage return not followed by a line feed");
	expect_error_len("a,b\x00,c\n", 7,
	    "t.csv:1:4: NUL byte (byte offset 3)");
}

static void
test_bad_utf8(void **state)
{
	(void)state;
	/* Columns count characters: "Suối" is 4 of them. */
	expect_error("Suối,\xff\n",
	    "t.csv:1:6: invalid UTF-8 (sequence starting with byte 0xFF at "
	    "byte offset 7): save the file as UTF-8");
	/* A lone continuation byte. */
	expect_error("ab\n\x80\n",
	    "t.csv:2:1: invalid UTF-8 (sequence starting with byte 0x80 at "
	    "byte offset 3): save the file as UTF-8");
	/* Overlong '/' (C0 AF), overlong 3-byte, surrogate, past U+10FFFF. */
	expect_error("x\xc0\xaf",
	    "t.csv:1:2: invalid UTF-8 (sequence starting with byte 0xC0 at "
	    "byte offset 1): save the file as UTF-8");
	expect_error("\xe0\x80\xaf",
	    "t.csv:1:1: invalid UTF-8 (sequence starting with byte 0xE0 at "
	    "byte offset 0): save the file as UTF-8");
	expect_error("\xed\xa0\x80",
	    "t.csv:1:1: invalid UTF-8 (sequence starting with byte 0xED at "
	    "byte offset 0): save the file as UTF-8");
	expect_error("\xf4\x90\x80\x80",
	    "t.csv:1:1: invalid UTF-8 (sequence starting with byte 0xF4 at "
	    "byte offset 0): save the file as UTF-8");
	/* Cut short by the end of the file, and by a comma. */
	expect_error("ab,\xe1\xba",
	    "t.csv:1:4: invalid UTF-8 (sequence starting with byte 0xE1 at "
	    "byte offset 3): save the file as UTF-8");
	expect_error("\xe1\xba,",
	    "t.csv:1:1: invalid UTF-8 (sequence starting with byte 0xE1 at "
	    "byte offset 0): save the file as UTF-8");
	/* Inside quotes too. */
	expect_error("\"a\xfe\"",
	    "t.csv:1:3: invalid UTF-8 (sequence starting with byte 0xFE at "
	    "byte offset 2): save the file as UTF-8");
	/* Valid 4-byte sequences pass. */
	expect_rows("\xf0\x9f\x93\xb6,\xf4\x8f\xbf\xbf\n",
	    "\xf0\x9f\x93\xb6|\xf4\x8f\xbf\xbf");
}

static void
test_bounds(void **state)
{
	char *big, out[256], err[256];
	size_t n = CSV_FIELD_MAX + 10, i;

	(void)state;
	assert_non_null(big = malloc(n + 1));
	memset(big, 'x', n);
	big[n] = '\0';
	expect_error_len(big, n, "t.csv:1:65537: field longer than 65536 bytes");
	/* Exactly the bound is fine. */
	{
		struct csv *c;
		struct csv_row r;

		assert_int_equal(csv_open_mem(&c, "t.csv", big, CSV_FIELD_MAX,
		    err, sizeof err), 0);
		assert_int_equal(csv_next(c, &r, err, sizeof err), 1);
		assert_int_equal(r.f[0].len, CSV_FIELD_MAX);
		csv_close(c);
	}
	for (i = 0; i < CSV_FIELDS_MAX + 1; i++)
		big[i] = ',';
	big[i] = '\0';
	expect_error_len(big, i, "t.csv:1:257: more than 256 fields in a row");
	big[CSV_FIELDS_MAX - 1] = '\0';
	assert_int_equal(read_all(big, CSV_FIELDS_MAX - 1, out, sizeof out, err,
	    sizeof err), 0);
	free(big);
}

/* After an error the reader does not resync on a guess. */
static void
test_sticky_error(void **state)
{
	struct csv *c;
	struct csv_row r;
	char err[256];
	const char *text = "a\"\nb\n";

	(void)state;
	assert_int_equal(csv_open_mem(&c, "t.csv", text, strlen(text), err,
	    sizeof err), 0);
	assert_int_equal(csv_next(c, &r, err, sizeof err), -1);
	assert_int_equal(csv_next(c, &r, err, sizeof err), -1);
	csv_close(c);
}

static int
header(const char *text, char *err, size_t errlen)
{
	static const char *const cols[] = { "scope", "id", "coverage_pct",
	    "deadline" };
	struct csv *c;
	int rc;

	assert_int_equal(csv_open_mem(&c, "t.csv", text, strlen(text), err,
	    errlen), 0);
	rc = csv_header(c, cols, 4, err, errlen);
	csv_close(c);
	return rc;
}

static void
test_header(void **state)
{
	char err[1024];

	(void)state;
	assert_int_equal(header("scope,id,coverage_pct,deadline\n", err,
	    sizeof err), 0);
	assert_int_equal(header("\xef\xbb\xbfscope,id,coverage_pct,deadline\r\n"
	    "province,x,1,2025-01-01\r\n", err, sizeof err), 0);

	assert_int_equal(header("", err, sizeof err), -1);
	assert_string_equal(err, "t.csv:1:1: empty file: no header row; "
	    "expected the columns scope,id,coverage_pct,deadline");
	assert_int_equal(header("scope,id,coverage,deadline,extra\n", err,
	    sizeof err), -1);
	assert_string_equal(err, "t.csv:1:10: unknown column 'coverage' "
	    "(field 3), 'extra' (field 5); missing column 'coverage_pct'; "
	    "expected the columns scope,id,coverage_pct,deadline");
	assert_int_equal(header("scope,id\n", err, sizeof err), -1);
	assert_string_equal(err, "t.csv:1:1: missing column 'coverage_pct', "
	    "'deadline'; expected the columns scope,id,coverage_pct,deadline");
	assert_int_equal(header("scope,id,coverage_pct,deadline,id\n", err,
	    sizeof err), -1);
	assert_string_equal(err, "t.csv:1:32: column 'id' appears twice "
	    "(fields 2 and 5)");
	assert_int_equal(header("scope,coverage_pct,id,deadline\n", err,
	    sizeof err), -1);
	assert_string_equal(err, "t.csv:1:7: column 'coverage_pct' out of "
	    "order: field 2 must be 'id'; expected the columns "
	    "scope,id,coverage_pct,deadline");
	/* Case and spaces count: the column is named as found. */
	assert_int_equal(header("scope, id,coverage_pct,deadline\n", err,
	    sizeof err), -1);
	assert_string_equal(err, "t.csv:1:7: unknown column ' id' (field 2); "
	    "missing column 'id'; expected the columns "
	    "scope,id,coverage_pct,deadline");
}

/* Files go through the same parser, read in chunks: a field across a
 * chunk boundary and a BOM at the start of a file. */
static void
test_file(void **state)
{
	char path[] = "/tmp/covmon-csv-XXXXXX", err[256];
	struct csv *c;
	struct csv_row r;
	FILE *fp;
	int fd, rows = 0;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs("\xef\xbb\xbfid,name\n", fp);
	for (int i = 0; i < 20000; i++)
		fprintf(fp, "h-%d,\"Suối \"\"Chải\"\", %d\"\r\n", i, i);
	assert_int_equal(fclose(fp), 0);

	assert_int_equal(csv_open(&c, path, err, sizeof err), 0);
	assert_string_equal(csv_name(c), path);
	assert_int_equal(csv_next(c, &r, err, sizeof err), 1);
	assert_string_equal(r.f[0].s, "id");
	while (csv_next(c, &r, err, sizeof err) == 1) {
		char want[64];

		snprintf(want, sizeof want, "Suối \"Chải\", %d", rows);
		assert_int_equal(r.n, 2);
		assert_string_equal(r.f[1].s, want);
		assert_int_equal(r.line, (size_t)rows + 2);
		rows++;
	}
	assert_int_equal(rows, 20000);
	csv_close(c);
	unlink(path);

	assert_int_equal(csv_open(&c, path, err, sizeof err), -1);
	assert_non_null(strstr(err, ": cannot open: No such file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_empty_fields),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_bom_only_at_start),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_sticky_error),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
