/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Wire protocol v1 (DESIGN.md section 3): sample, ack and state messages.
 * Decoding is two passes: a strict scanner of our own (RFC 8259 grammar,
 * RFC 3629 UTF-8, nesting, key counts, 64-bit integer range), then json-c
 * to build the tree the fields are read from. Encoding is snprintf only.
 */
#include "sample.h"
#include "hex.h"

#include <json-c/json.h>

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * The sample nests two levels (the object and "m"); one more is allowed so
 * that a later protocol may add a small structured field we ignore.
 * json_tokener_new_ex(depth) allows depth - 1 levels.
 */
#define SCAN_MAX_DEPTH 3
#define KEY_MAX 40		/* longest key we need to recognise, and more */

static const char *const err_reason[SAMPLE_E__COUNT] = {
	[SAMPLE_OK] = "ok",
	[SAMPLE_E_EMPTY] = "empty",
	[SAMPLE_E_TOO_BIG] = "oversize",
	[SAMPLE_E_UTF8] = "bad_utf8",
	[SAMPLE_E_JSON] = "bad_json",
	[SAMPLE_E_DEPTH] = "too_deep",
	[SAMPLE_E_DUPKEY] = "duplicate_key",
	[SAMPLE_E_NOT_OBJECT] = "not_object",
	[SAMPLE_E_VERSION] = "bad_version",
	[SAMPLE_E_TYPE] = "bad_type",
	[SAMPLE_E_MISSING] = "missing_field",
	[SAMPLE_E_AGENT_ID] = "bad_id",
	[SAMPLE_E_SEQ] = "bad_seq",
	[SAMPLE_E_TS] = "bad_ts",
	[SAMPLE_E_INTERVAL] = "bad_interval",
	[SAMPLE_E_NONFINITE] = "non_finite",
	[SAMPLE_E_PREV] = "bad_prev",
	[SAMPLE_E_SID] = "bad_sid",
};

const char *
sample_err_reason(enum sample_err e)
{
	if ((unsigned)e >= SAMPLE_E__COUNT)
		return "unknown";
	return err_reason[e];
}

bool
sid_valid(const char *s)
{
	size_t i;

	for (i = 0; i < SID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[i] == '\0';
}

/* Copies a JSON string value into sid when it is a spool id; -1 if not. */
static int
get_sid(struct json_object *v, char sid[SID_LEN + 1])
{
	if (!json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) != SID_LEN || !sid_valid(json_object_get_string(v)))
		return -1;
	memcpy(sid, json_object_get_string(v), SID_LEN + 1);
	return 0;
}

void
sample_init(struct sample *s)
{
	memset(s, 0, sizeof(*s));
}

/* Top-level keys whose integer value the scanner range-checks. */
enum topkey { K_OTHER = -1, K_V, K_SEQ, K_PREV, K_TS, K_INTERVAL, K_BOOT_TS, K_M };
static const char *const topkey_name[] = {
	[K_V] = "v", [K_SEQ] = "seq", [K_PREV] = "prev", [K_TS] = "ts",
	[K_INTERVAL] = "interval", [K_BOOT_TS] = "boot_ts", [K_M] = "m",
};

static int
topkey_lookup(const char *key)
{
	for (size_t i = 0; i < sizeof(topkey_name) / sizeof(topkey_name[0]); i++)
		if (strcmp(topkey_name[i], key) == 0)
			return (int)i;
	return K_OTHER;
}

/* What the scanner learnt that json-c does not tell us. */
struct scan {
	const char *start, *p, *end;
	size_t nkeys;		/* keys of every object in the document */
	size_t top_keys;	/* keys of the top-level object */
	size_t m_keys;		/* keys of the "m" object */
	/*
	 * json-c saturates an integer literal past 64 bits to INT64_MIN or
	 * UINT64_MAX without a word; these remember where one was.
	 */
	uint32_t ovf_top;	/* bit per enum topkey */
	uint64_t ovf_m;		/* bit per metric */
	enum sample_err err;
	char *msg;
	size_t msglen;
};

enum role { R_NONE, R_TOP, R_M };	/* whose value is being scanned */

static void fail(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (msg == NULL || msglen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

static int scan_fail(struct scan *sc, enum sample_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error, with the byte offset appended. Returns -1. */
static int
scan_fail(struct scan *sc, enum sample_err e, const char *fmt, ...)
{
	va_list ap;
	int n;

	sc->err = e;
	if (sc->msg == NULL || sc->msglen == 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(sc->msg, sc->msglen, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sc->msglen)
		snprintf(sc->msg + n, sc->msglen - (size_t)n, " at byte %zu",
		    (size_t)(sc->p - sc->start));
	return -1;
}

/* Offset of the first byte that is not well-formed UTF-8 (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF), or len. */
static size_t
utf8_check(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t n;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			return i;
		if (len - i <= n)
			return i;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= n; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return i;
		i += n + 1;
	}
	return len;
}

static void
scan_ws(struct scan *sc)
{
	while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' ||
	    *sc->p == '\n' || *sc->p == '\r'))
		sc->p++;
}

/*
 * Scans a string at sc->p (the opening quote). When key is not NULL it gets
 * the decoded text if that is short printable ASCII, else "" (a key we do
 * not know, whatever it is). UTF-8 was checked over the whole buffer.
 */
static int
scan_string(struct scan *sc, char *key, size_t keylen)
{
	size_t k = 0;
	bool keyok = key != NULL, cut = false;

	sc->p++;
	for (;;) {
		unsigned char c;
		unsigned cp;

		if (sc->p >= sc->end)
			return scan_fail(sc, SAMPLE_E_JSON, "unterminated string");
		c = (unsigned char)*sc->p;
		if (c == '"')
			break;
		if (c < 0x20)
			return scan_fail(sc, SAMPLE_E_JSON,
			    "control character 0x%02x inside a string (JSON wants it escaped)", c);
		if (c != '\\') {
			cp = c;
			sc->p++;
		} else {
			if (sc->end - sc->p < 2)
				return scan_fail(sc, SAMPLE_E_JSON, "unterminated string");
			switch (sc->p[1]) {
			case '"': cp = '"'; break;
			case '\\': cp = '\\'; break;
			case '/': cp = '/'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				if (sc->end - sc->p < 6)
					return scan_fail(sc, SAMPLE_E_JSON, "short \\u escape");
				cp = 0;
				for (int i = 2; i < 6; i++) {
					int h = hex_digit(sc->p[i]);
					if (h < 0)
						return scan_fail(sc, SAMPLE_E_JSON,
						    "bad \\u escape (expected 4 hex digits)");
					cp = cp << 4 | (unsigned)h;
				}
				sc->p += 4;
				break;
			default:
				return scan_fail(sc, SAMPLE_E_JSON, "unknown escape in a string");
			}
			sc->p += 2;
		}
		/* json-c keys are C strings: "seq\u0000x" is its "seq". */
		if (cp == 0)
			cut = true;
		if (keyok && !cut) {
			if (cp < 0x21 || cp > 0x7e || k + 1 >= keylen)
				keyok = false;
			else
				key[k++] = (char)cp;
		}
	}
	sc->p++;
	if (key != NULL)
		key[keyok ? k : 0] = '\0';
	return 0;
}

/* Does the decimal integer digits[0..n) (no leading zeros) exceed max? */
static bool
digits_exceed(const char *digits, size_t n, const char *max)
{
	size_t mlen = strlen(max);

	if (n != mlen)
		return n > mlen;
	return memcmp(digits, max, n) > 0;
}

static int
scan_number(struct scan *sc, enum role role, int idx)
{
	const char *d;
	bool neg = false, integer = true;

	if (*sc->p == '-') {
		neg = true;
		sc->p++;
	}
	d = sc->p;
	if (sc->p >= sc->end || *sc->p < '0' || *sc->p > '9')
		return scan_fail(sc, SAMPLE_E_JSON, "bad number (expected a digit)");
	if (*sc->p == '0')
		sc->p++;
	else
		while (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9')
			sc->p++;
	if (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9')
		return scan_fail(sc, SAMPLE_E_JSON, "bad number (leading zero)");
	size_t ndig = (size_t)(sc->p - d);
	if (sc->p < sc->end && *sc->p == '.') {
		integer = false;
		sc->p++;
		if (sc->p >= sc->end || *sc->p < '0' || *sc->p > '9')
			return scan_fail(sc, SAMPLE_E_JSON,
			    "bad number (expected a digit after '.')");
		while (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9')
			sc->p++;
	}
	if (sc->p < sc->end && (*sc->p == 'e' || *sc->p == 'E')) {
		integer = false;
		sc->p++;
		if (sc->p < sc->end && (*sc->p == '+' || *sc->p == '-'))
			sc->p++;
		if (sc->p >= sc->end || *sc->p < '0' || *sc->p > '9')
			return scan_fail(sc, SAMPLE_E_JSON,
			    "bad number (expected a digit in the exponent)");
		while (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9')
			sc->p++;
	}
	if (integer && digits_exceed(d, ndig,
	    neg ? "9223372036854775808" : "18446744073709551615")) {
		if (role == R_TOP && idx != K_OTHER)
			sc->ovf_top |= (uint32_t)1 << idx;
		else if (role == R_M && idx >= 0)
			sc->ovf_m |= (uint64_t)1 << idx;
	}
	return 0;
}

/* A bare word: true, false, null, or one of the non-finite spellings that
 * lax encoders write (which json-c would even accept, strict or not).
 * The field is named pre and key (NULL: none), joined only for an error. */
static int
scan_word(struct scan *sc, const char *pre, const char *key)
{
	static const char *const nonfinite[] = { "nan", "inf", "infinity" };
	const char *w = sc->p;
	size_t n;

	if (*sc->p == '-')
		sc->p++;
	while (sc->p < sc->end && ((*sc->p >= 'a' && *sc->p <= 'z') ||
	    (*sc->p >= 'A' && *sc->p <= 'Z')))
		sc->p++;
	n = (size_t)(sc->p - w);
	if (*w != '-' && ((n == 4 && memcmp(w, "true", 4) == 0) ||
	    (n == 5 && memcmp(w, "false", 5) == 0) ||
	    (n == 4 && memcmp(w, "null", 4) == 0)))
		return 0;
	const char *a = *w == '-' ? w + 1 : w;
	size_t an = (size_t)(sc->p - a);
	for (size_t i = 0; i < sizeof(nonfinite) / sizeof(nonfinite[0]); i++) {
		if (an == strlen(nonfinite[i]) && strncasecmp(a, nonfinite[i], an) == 0) {
			sc->p = w;
			if (key != NULL)
				return scan_fail(sc, SAMPLE_E_NONFINITE,
				    "field '%s%s': expected a finite number, got %.*s",
				    pre, key, (int)n, w);
			return scan_fail(sc, SAMPLE_E_NONFINITE,
			    "expected a finite number, got %.*s", (int)n, w);
		}
	}
	sc->p = w;
	return scan_fail(sc, SAMPLE_E_JSON, "unexpected character '%c'", *w);
}

static int scan_value(struct scan *, int, enum role, int, const char *, const char *);

enum objkind { O_TOP, O_M, O_OTHER };

/* Past the opening bracket of an object or array: 0 when close follows
 * (it is empty, and scanned), 1 when a member does. */
static int
scan_open(struct scan *sc, char close)
{
	sc->p++;
	scan_ws(sc);
	if (sc->p < sc->end && *sc->p == close) {
		sc->p++;
		return 0;
	}
	return 1;
}

/* After a member of an object or array (what): 1 past a ',' (another
 * member follows), 0 past the closing bracket, -1 at anything else. */
static int
scan_next(struct scan *sc, char close, const char *what)
{
	scan_ws(sc);
	if (sc->p < sc->end && *sc->p == ',') {
		sc->p++;
		scan_ws(sc);
		return 1;
	}
	if (sc->p < sc->end && *sc->p == close) {
		sc->p++;
		return 0;
	}
	return scan_fail(sc, SAMPLE_E_JSON, "expected ',' or '%c' in %s", close, what);
}

/* One "key": value of an object of kind. */
static int
scan_member(struct scan *sc, int depth, enum objkind kind)
{
	char key[KEY_MAX];
	const char *pre = NULL;
	enum role role = R_NONE;
	int idx = -1;

	if (sc->p >= sc->end || *sc->p != '"')
		return scan_fail(sc, SAMPLE_E_JSON, "expected a key in quotes");
	if (scan_string(sc, key, sizeof(key)) == -1)
		return -1;
	sc->nkeys++;
	if (kind == O_TOP) {
		sc->top_keys++;
		role = R_TOP;
		idx = topkey_lookup(key);
		if (key[0] != '\0')
			pre = "";
	} else if (kind == O_M) {
		sc->m_keys++;
		role = R_M;
		idx = metric_lookup(key);
		if (key[0] != '\0')
			pre = "m.";
	}
	scan_ws(sc);
	if (sc->p >= sc->end || *sc->p != ':')
		return scan_fail(sc, SAMPLE_E_JSON, "expected ':' after a key");
	sc->p++;
	scan_ws(sc);
	return scan_value(sc, depth, role, idx, pre, pre != NULL ? key : NULL);
}

static int
scan_object(struct scan *sc, int depth, enum objkind kind)
{
	int rc;

	if (scan_open(sc, '}') == 0)
		return 0;
	do {
		if (scan_member(sc, depth, kind) == -1)
			return -1;
	} while ((rc = scan_next(sc, '}', "an object")) == 1);
	return rc;
}

static int
scan_array(struct scan *sc, int depth)
{
	int rc;

	if (scan_open(sc, ']') == 0)
		return 0;
	do {
		if (scan_value(sc, depth, R_NONE, -1, NULL, NULL) == -1)
			return -1;
	} while ((rc = scan_next(sc, ']', "an array")) == 1);
	return rc;
}

/* depth: levels of nesting around this value (0 for the document); pre
 * and key name it for errors (see scan_word). */
static int
scan_value(struct scan *sc, int depth, enum role role, int idx, const char *pre,
    const char *key)
{
	char c;

	if (sc->p >= sc->end)
		return scan_fail(sc, SAMPLE_E_JSON, "unexpected end of input");
	c = *sc->p;
	if (c == '{' || c == '[') {
		if (depth >= SCAN_MAX_DEPTH)
			return scan_fail(sc, SAMPLE_E_DEPTH,
			    "nesting deeper than %d levels", SCAN_MAX_DEPTH);
		if (c == '[')
			return scan_array(sc, depth + 1);
		if (depth == 0)
			return scan_object(sc, 1, O_TOP);
		if (role == R_TOP && idx == K_M)
			return scan_object(sc, depth + 1, O_M);
		return scan_object(sc, depth + 1, O_OTHER);
	}
	if (c == '"')
		return scan_string(sc, NULL, 0);
	if (c == '-' && sc->end - sc->p > 1 && sc->p[1] >= '0' && sc->p[1] <= '9')
		return scan_number(sc, role, idx);
	if (c >= '0' && c <= '9')
		return scan_number(sc, role, idx);
	if (c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return scan_word(sc, pre, key);
	return scan_fail(sc, SAMPLE_E_JSON, "unexpected character '%c'",
	    (unsigned char)c >= 0x20 && (unsigned char)c < 0x7f ? c : '?');
}

/* Keys of every object under o; json-c keeps one of duplicate keys, so the
 * tree holds fewer than the text exactly when a key was repeated. */
static size_t
tree_keys(struct json_object *o)
{
	size_t n = 0;

	/* The iterator API, not json_object_object_foreach: that macro is a GNU
	 * statement expression, which clang -Wpedantic refuses. */
	if (json_object_is_type(o, json_type_object)) {
		struct json_object_iterator it = json_object_iter_begin(o);
		struct json_object_iterator end = json_object_iter_end(o);
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			n += 1 + tree_keys(json_object_iter_peek_value(&it));
	} else if (json_object_is_type(o, json_type_array)) {
		size_t len = json_object_array_length(o);
		for (size_t i = 0; i < len; i++)
			n += tree_keys(json_object_array_get_idx(o, i));
	}
	return n;
}

/*
 * Checks buf[0..len) and parses it into an object. On success *root is a
 * tree the caller puts (json_object_put) and *sc says what the scan found.
 */
static enum sample_err
parse(const char *buf, size_t len, struct json_object **root, struct scan *sc,
    char *msg, size_t msglen)
{
	struct json_tokener *tok;
	struct json_object *o, *m;
	enum json_tokener_error jerr;
	size_t bad, value_end;

	*root = NULL;
	memset(sc, 0, sizeof(*sc));
	if (len > SAMPLE_MAX_BYTES) {
		fail(msg, msglen, "payload of %zu bytes: expected at most %d", len,
		    SAMPLE_MAX_BYTES);
		return SAMPLE_E_TOO_BIG;
	}
	if (len == 0 || buf == NULL) {
		fail(msg, msglen, "empty payload: expected a JSON object");
		return SAMPLE_E_EMPTY;
	}
	if ((bad = utf8_check((const unsigned char *)buf, len)) != len) {
		fail(msg, msglen, "invalid UTF-8 at byte %zu (0x%02x): expected UTF-8 text",
		    bad, (unsigned char)buf[bad]);
		return SAMPLE_E_UTF8;
	}

	sc->start = sc->p = buf;
	sc->end = buf + len;
	sc->msg = msg;
	sc->msglen = msglen;
	scan_ws(sc);
	if (sc->p == sc->end) {
		fail(msg, msglen, "payload is only whitespace: expected a JSON object");
		return SAMPLE_E_EMPTY;
	}
	const char *value_start = sc->p;
	if (scan_value(sc, 0, R_NONE, -1, NULL, NULL) == -1)
		return sc->err;
	value_end = (size_t)(sc->p - buf);
	scan_ws(sc);
	if (sc->p != sc->end) {
		scan_fail(sc, SAMPLE_E_JSON, "trailing data after the JSON value");
		return SAMPLE_E_JSON;
	}
	if (*value_start != '{') {
		fail(msg, msglen, "payload is a JSON %s: expected an object",
		    *value_start == '[' ? "array" : *value_start == '"' ? "string" :
		    "number or literal");
		return SAMPLE_E_NOT_OBJECT;
	}

	/*
	 * The text is strict JSON now; json-c builds the tree. Its own strict
	 * mode is kept as a second line, and it is handed exactly the value
	 * (an object ends at its '}', so it needs no NUL after it).
	 */
	if ((tok = json_tokener_new_ex(SCAN_MAX_DEPTH + 1)) == NULL) {
		fail(msg, msglen, "out of memory parsing the payload");
		return SAMPLE_E_JSON;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)value_end);
	jerr = json_tokener_get_error(tok);
	if (o == NULL || jerr != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != value_end) {
		fail(msg, msglen, "JSON rejected at byte %zu: %s",
		    json_tokener_get_parse_end(tok), o != NULL ? "trailing data" :
		    json_tokener_error_desc(jerr));
		json_object_put(o);
		json_tokener_free(tok);
		if (jerr == json_tokener_error_depth)
			return SAMPLE_E_DEPTH;
		if (jerr == json_tokener_error_parse_utf8_string)
			return SAMPLE_E_UTF8;
		return SAMPLE_E_JSON;
	}
	json_tokener_free(tok);

	if (tree_keys(o) != sc->nkeys) {
		if ((size_t)json_object_object_length(o) != sc->top_keys)
			fail(msg, msglen, "duplicate key at the top level: expected each key once");
		else if (json_object_object_get_ex(o, "m", &m) &&
		    json_object_is_type(m, json_type_object) &&
		    (size_t)json_object_object_length(m) != sc->m_keys)
			fail(msg, msglen, "field 'm': duplicate metric name, expected each once");
		else
			fail(msg, msglen, "duplicate key in a nested object: expected each key once");
		json_object_put(o);
		return SAMPLE_E_DUPKEY;
	}
	*root = o;
	return SAMPLE_OK;
}

/* A short description of what a field held, for the operator. */
static const char *
describe(struct json_object *o, char *buf, size_t len)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return json_object_get_boolean(o) ? "true" : "false";
	case json_type_int:
	case json_type_double:
		/* json-c keeps the text of a parsed number: "1.5", "1e309". */
		snprintf(buf, len, "%s", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN));
		return buf;
	case json_type_string:
		return "a string";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	}
	return "something else";
}

/*
 * A non-negative integer that fits uint64 (seq, prev). Returns 0, or -1
 * when o is not one; ovf: the scanner saw the literal overflow 64 bits.
 */
static int
get_u64(struct json_object *o, bool ovf, uint64_t *u)
{
	if (!json_object_is_type(o, json_type_int) || ovf ||
	    json_object_get_int64(o) < 0)
		return -1;
	*u = json_object_get_uint64(o);
	return 0;
}

/* An integer that fits int64. */
static int
get_i64(struct json_object *o, bool ovf, int64_t *i)
{
	if (!json_object_is_type(o, json_type_int) || ovf)
		return -1;
	/* json-c holds 2^63.. 2^64-1 as uint64 and clamps get_int64. */
	if (json_object_get_int64(o) >= 0 && json_object_get_uint64(o) > INT64_MAX)
		return -1;
	*i = json_object_get_int64(o);
	return 0;
}

static bool
is_version_1(struct json_object *top, uint32_t ovf_top)
{
	struct json_object *v;

	return json_object_object_get_ex(top, "v", &v) &&
	    json_object_is_type(v, json_type_int) && !(ovf_top & (1u << K_V)) &&
	    json_object_get_int64(v) == 1;
}

/* Copies an untrusted string for a log line: printable ASCII, bounded. */
static const char *
sanitize(const char *s, size_t n, char *buf, size_t len)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 4 < len; i++)
		buf[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (k < n && len > 4) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = '\0';
	return buf;
}

static enum sample_err
decode_fields(struct json_object *top, const struct scan *sc, struct sample *out,
    char *msg, size_t msglen)
{
	struct json_object *v, *m;
	char d[64];
	int64_t i;

	if (!json_object_object_get_ex(top, "v", &v)) {
		fail(msg, msglen, "field 'v': missing, expected 1");
		return SAMPLE_E_VERSION;
	}
	if (!is_version_1(top, sc->ovf_top)) {
		fail(msg, msglen, "field 'v': expected 1, got %s", describe(v, d, sizeof(d)));
		return SAMPLE_E_VERSION;
	}

	if (!json_object_object_get_ex(top, "agent", &v)) {
		fail(msg, msglen, "field 'agent': missing, expected an agent id");
		return SAMPLE_E_MISSING;
	}
	if (!json_object_is_type(v, json_type_string)) {
		fail(msg, msglen, "field 'agent': expected a string, got %s",
		    describe(v, d, sizeof(d)));
		return SAMPLE_E_TYPE;
	}
	const char *agent = json_object_get_string(v);
	size_t alen = (size_t)json_object_get_string_len(v);
	if (!id_validn(agent, alen)) {
		fail(msg, msglen, "field 'agent': expected 1-64 characters of [a-z0-9._-] "
		    "starting with [a-z0-9], got '%s'", sanitize(agent, alen, d, sizeof(d)));
		return SAMPLE_E_AGENT_ID;
	}
	memcpy(out->agent, agent, alen);
	out->agent[alen] = '\0';

	if (json_object_object_get_ex(top, "sid", &v) && get_sid(v, out->sid) == -1) {
		fail(msg, msglen, "field 'sid': expected 16 lowercase hex digits, got %s",
		    describe(v, d, sizeof(d)));
		return SAMPLE_E_SID;
	}

	if (!json_object_object_get_ex(top, "seq", &v)) {
		fail(msg, msglen, "field 'seq': missing, expected a non-negative integer");
		return SAMPLE_E_MISSING;
	}
	if (get_u64(v, sc->ovf_top & (1u << K_SEQ), &out->seq) == -1) {
		fail(msg, msglen, "field 'seq': expected an integer 0..2^64-1, got %s",
		    sc->ovf_top & (1u << K_SEQ) ? "a larger one" : describe(v, d, sizeof(d)));
		return SAMPLE_E_SEQ;
	}

	if (json_object_object_get_ex(top, "prev", &v)) {
		if (get_u64(v, sc->ovf_top & (1u << K_PREV), &out->prev) == -1) {
			fail(msg, msglen, "field 'prev': expected an integer 0..2^64-1, got %s",
			    sc->ovf_top & (1u << K_PREV) ? "a larger one" :
			    describe(v, d, sizeof(d)));
			return SAMPLE_E_PREV;
		}
		if (out->prev >= out->seq) {
			fail(msg, msglen, "field 'prev': expected less than seq %" PRIu64
			    ", got %" PRIu64, out->seq, out->prev);
			return SAMPLE_E_PREV;
		}
		out->has_prev = true;
	}

	if (!json_object_object_get_ex(top, "ts", &v)) {
		fail(msg, msglen, "field 'ts': missing, expected Unix seconds");
		return SAMPLE_E_MISSING;
	}
	if (get_i64(v, sc->ovf_top & (1u << K_TS), &i) == -1 || i <= 0) {
		fail(msg, msglen, "field 'ts': expected a positive integer (Unix seconds), got %s",
		    sc->ovf_top & (1u << K_TS) ? "a larger one" : describe(v, d, sizeof(d)));
		return SAMPLE_E_TS;
	}
	out->ts = i;

	if (!json_object_object_get_ex(top, "interval", &v)) {
		fail(msg, msglen, "field 'interval': missing, expected seconds 1..%d",
		    SAMPLE_MAX_INTERVAL);
		return SAMPLE_E_MISSING;
	}
	if (get_i64(v, sc->ovf_top & (1u << K_INTERVAL), &i) == -1 || i < 1 ||
	    i > SAMPLE_MAX_INTERVAL) {
		fail(msg, msglen, "field 'interval': expected an integer 1..%d, got %s",
		    SAMPLE_MAX_INTERVAL, sc->ovf_top & (1u << K_INTERVAL) ? "a larger one" :
		    describe(v, d, sizeof(d)));
		return SAMPLE_E_INTERVAL;
	}
	out->interval = (uint32_t)i;

	if (!json_object_object_get_ex(top, "m", &m)) {
		fail(msg, msglen, "field 'm': missing, expected an object of metrics");
		return SAMPLE_E_MISSING;
	}
	if (!json_object_is_type(m, json_type_object)) {
		fail(msg, msglen, "field 'm': expected an object, got %s",
		    describe(m, d, sizeof(d)));
		return SAMPLE_E_TYPE;
	}
	struct json_object_iterator it = json_object_iter_begin(m);
	struct json_object_iterator end = json_object_iter_end(m);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *name = json_object_iter_peek_name(&it);
		struct json_object *val = json_object_iter_peek_value(&it);
		int idx = metric_lookup(name);
		double x;

		/* A newer agent's metric: counted, and its value not judged. */
		if (idx < 0) {
			out->unknown_metrics++;
			continue;
		}
		if (json_object_is_type(val, json_type_int)) {
			if (sc->ovf_m & ((uint64_t)1 << idx)) {
				fail(msg, msglen, "field 'm.%s': integer past 64 bits, expected "
				    "a number json-c can hold (write it with an exponent)", name);
				return SAMPLE_E_TYPE;
			}
			if (json_object_get_int64(val) >= 0)
				x = (double)json_object_get_uint64(val);
			else
				x = (double)json_object_get_int64(val);
		} else if (json_object_is_type(val, json_type_double)) {
			x = json_object_get_double(val);
			if (!isfinite(x)) {
				fail(msg, msglen, "field 'm.%s': expected a finite number, got %s",
				    name, describe(val, d, sizeof(d)));
				return SAMPLE_E_NONFINITE;
			}
		} else {
			fail(msg, msglen, "field 'm.%s': expected a number, got %s", name,
			    describe(val, d, sizeof(d)));
			return SAMPLE_E_TYPE;
		}
		sample_set(out, idx, x);
	}
	return SAMPLE_OK;
}

enum sample_err
sample_decode(const char *buf, size_t len, struct sample *out, char *msg, size_t msglen)
{
	struct json_object *top;
	struct scan sc;
	enum sample_err e;

	sample_init(out);
	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	if ((e = parse(buf, len, &top, &sc, msg, msglen)) != SAMPLE_OK)
		return e;
	e = decode_fields(top, &sc, out, msg, msglen);
	json_object_put(top);
	if (e != SAMPLE_OK) {
		/* Half a sample must not be mistaken for one. */
		sample_init(out);
	}
	return e;
}

/* Appends to a fixed buffer; a truncation sticks until the end. */
struct out {
	char *buf;
	size_t len, n;
	bool bad;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (o->bad)
		return;
	va_start(ap, fmt);
	r = vsnprintf(o->buf + o->n, o->len - o->n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= o->len - o->n) {
		o->bad = true;
		return;
	}
	o->n += (size_t)r;
}

static int
out_end(struct out *o)
{
	if (o->bad || o->n > INT32_MAX)
		return -1;
	return (int)o->n;
}

/*
 * The shortest of %.15g, %.16g, %.17g that reads back as the same double;
 * integral values below 2^53 as plain integers ("14", not "14.0" or "1.4e+01").
 */
static void
put_double(struct out *o, double v)
{
	char tmp[40];

	if (v == trunc(v) && fabs(v) < 9007199254740992.0) {
		put(o, "%" PRId64, (int64_t)v);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (prec == 17 || strtod(tmp, NULL) == v)
			break;
	}
	put(o, "%s", tmp);
}

int
sample_encode(const struct sample *s, char *buf, size_t len)
{
	struct out o = { buf, len, 0, false };

	if (buf == NULL || len == 0)
		return -1;
	/* Never emit what sample_decode() would refuse. */
	if (!id_valid(s->agent) || (s->sid[0] != '\0' && !sid_valid(s->sid)) || s->ts <= 0 ||
	    s->interval < 1 || s->interval > SAMPLE_MAX_INTERVAL ||
	    (s->has_prev && s->prev >= s->seq))
		return -1;
	for (int i = 0; i < METRIC_COUNT; i++)
		if (sample_has(s, i) && !isfinite(s->m[i]))
			return -1;

	put(&o, "{\"v\":1,\"agent\":\"%s\"", s->agent);
	if (s->sid[0] != '\0')
		put(&o, ",\"sid\":\"%s\"", s->sid);
	put(&o, ",\"seq\":%" PRIu64, s->seq);
	if (s->has_prev)
		put(&o, ",\"prev\":%" PRIu64, s->prev);
	put(&o, ",\"ts\":%" PRId64 ",\"interval\":%" PRIu32 ",\"m\":{", s->ts, s->interval);
	const char *sep = "";
	for (int i = 0; i < METRIC_COUNT; i++) {
		if (!sample_has(s, i))
			continue;
		put(&o, "%s\"%s\":", sep, metric_table[i].name);
		put_double(&o, s->m[i]);
		sep = ",";
	}
	put(&o, "}}");
	return out_end(&o);
}

int
ack_encode(uint64_t seq, const char *sid, char *buf, size_t len)
{
	struct out o = { buf, len, 0, false };

	if (buf == NULL || len == 0 || (sid[0] != '\0' && !sid_valid(sid)))
		return -1;
	put(&o, "{\"v\":1,\"seq\":%" PRIu64, seq);
	if (sid[0] != '\0')
		put(&o, ",\"sid\":\"%s\"", sid);
	put(&o, "}");
	return out_end(&o);
}

int
ack_decode(const char *buf, size_t len, uint64_t *seq, char sid[SID_LEN + 1])
{
	struct json_object *top, *v;
	struct scan sc;
	char id[SID_LEN + 1] = "";
	uint64_t u;
	int rc = -1;

	if (parse(buf, len, &top, &sc, NULL, 0) != SAMPLE_OK)
		return -1;
	if (is_version_1(top, sc.ovf_top) && json_object_object_get_ex(top, "seq", &v) &&
	    get_u64(v, sc.ovf_top & (1u << K_SEQ), &u) == 0 &&
	    (!json_object_object_get_ex(top, "sid", &v) || get_sid(v, id) == 0)) {
		*seq = u;
		memcpy(sid, id, sizeof id);
		rc = 0;
	}
	json_object_put(top);
	return rc;
}

/* A JSON string body; -1 unless s[0..n) is UTF-8. */
static int
put_json_string(struct out *o, const char *s, size_t n)
{
	if (utf8_check((const unsigned char *)s, n) != n)
		return -1;
	put(o, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			put(o, "\\u%04x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
	return 0;
}

int
state_encode(const struct agent_state *st, char *buf, size_t len)
{
	struct out o = { buf, len, 0, false };

	if (buf == NULL || len == 0)
		return -1;
	put(&o, "{\"v\":1,\"state\":\"%s\",\"ts\":%" PRId64 ",\"version\":",
	    st->online ? "online" : "offline", st->ts);
	if (put_json_string(&o, st->version, strnlen(st->version, sizeof(st->version))) == -1)
		return -1;
	put(&o, ",\"boot_ts\":%" PRId64, st->boot_ts);
	if (st->sid[0] != '\0' && sid_valid(st->sid))
		put(&o, ",\"sid\":\"%s\"", st->sid);
	put(&o, "}");
	return out_end(&o);
}

/*
 * The state is retained and tells the collector whether a site is up, so
 * the decoder takes what it can: version and boot_ts may be missing, and a
 * version too long for the struct is cut at a character boundary.
 */
int
state_decode(const char *buf, size_t len, struct agent_state *st)
{
	struct json_object *top, *v;
	struct agent_state s;
	struct scan sc;
	int rc = -1;

	if (parse(buf, len, &top, &sc, NULL, 0) != SAMPLE_OK)
		return -1;
	memset(&s, 0, sizeof(s));
	if (!is_version_1(top, sc.ovf_top))
		goto done;
	if (!json_object_object_get_ex(top, "state", &v) ||
	    !json_object_is_type(v, json_type_string))
		goto done;
	if (strcmp(json_object_get_string(v), "online") == 0)
		s.online = true;
	else if (strcmp(json_object_get_string(v), "offline") != 0)
		goto done;
	if (!json_object_object_get_ex(top, "ts", &v) ||
	    get_i64(v, sc.ovf_top & (1u << K_TS), &s.ts) == -1)
		goto done;
	if (json_object_object_get_ex(top, "version", &v)) {
		if (!json_object_is_type(v, json_type_string))
			goto done;
		const char *ver = json_object_get_string(v);
		size_t n = strnlen(ver, (size_t)json_object_get_string_len(v));
		if (n > sizeof(s.version) - 1) {
			n = sizeof(s.version) - 1;
			while (n > 0 && ((unsigned char)ver[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(s.version, ver, n);
		s.version[n] = '\0';
	}
	if (json_object_object_get_ex(top, "boot_ts", &v) &&
	    get_i64(v, sc.ovf_top & (1u << K_BOOT_TS), &s.boot_ts) == -1)
		goto done;
	if (json_object_object_get_ex(top, "sid", &v))
		(void)get_sid(v, s.sid);
	*st = s;
	rc = 0;
done:
	json_object_put(top);
	return rc;
}
