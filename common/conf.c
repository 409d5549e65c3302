/* SPDX-License-Identifier: GPL-2.0-or-later */
/* INI configuration over inih, with typed getters that name file:line. */
#include "conf.h"

#include <ini.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int
conf_add_section(struct conf *c, const char *section, unsigned line)
{
	for (size_t i = 0; i < c->nsections; i++)
		if (strcmp(c->sections[i], section) == 0)
			return 0;
	char **s = realloc(c->sections, (c->nsections + 1) * sizeof *s);
	if (s == NULL)
		return -1;
	c->sections = s;
	unsigned *l = realloc(c->section_line, (c->nsections + 1) * sizeof *l);
	if (l == NULL)
		return -1;
	c->section_line = l;
	if ((c->sections[c->nsections] = strdup(section)) == NULL)
		return -1;
	c->section_line[c->nsections++] = line;
	return 0;
}

/* Debian's inih is built without line numbers in the handler: the reader
 * counts lines, and the handler is called on the line just read. */
struct conf_reader {
	struct conf *c;
	FILE *f;           /* or */
	const char *text;
};

/* Notes a "[section]" line where it stands, for conf_section_line(): the
 * handler only sees a section with its first key. A name inih would not
 * take (no closing bracket) is not noted; inih reports the line. */
static void
conf_note_header(struct conf *c, const char *line)
{
	const char *p = line, *end;
	struct conf_header *h;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '[' || (end = strchr(p, ']')) == NULL)
		return;
	if ((h = realloc(c->headers, (c->nheaders + 1) * sizeof *h)) == NULL)
		return;
	c->headers = h;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if ((h[c->nheaders].name = strndup(p, (size_t)(end - p))) == NULL)
		return;
	h[c->nheaders++].line = c->cur_line;
}

/* A line longer than inih's buffer (num - 1 characters) must not go on as
 * a line of its own: its tail could be "[section]" or "key = value". It is
 * skipped to its end and handed to inih as a line inih refuses ("!"), so
 * the load fails naming it. */
static char *
conf_read_line(char *str, int num, void *stream)
{
	struct conf_reader *r = stream;
	char *res;
	bool cut = false;

	if (r->f != NULL) {
		res = fgets(str, num, r->f);
		int ch;
		if (res != NULL && strchr(res, '\n') == NULL &&
		    (ch = getc(r->f)) != EOF && ch != '\n') {
			while ((ch = getc(r->f)) != EOF && ch != '\n')
				;
			cut = true;
		}
	} else {
		if (*r->text == '\0')
			return NULL;
		const char *nl = strchr(r->text, '\n');
		size_t len = nl ? (size_t)(nl - r->text) + 1 : strlen(r->text);
		size_t skip = len;
		if (len > (size_t)num - 1) {
			if (nl != NULL && len - 1 == (size_t)num - 1)
				len--;          /* fits without its newline */
			else
				cut = true;
		}
		memcpy(str, r->text, cut ? 0 : len);
		str[cut ? 0 : len] = '\0';
		r->text += skip;
		res = str;
	}
	if (res != NULL) {
		r->c->cur_line++;
		if (!cut)
			conf_note_header(r->c, str);
		if (cut) {
			if (r->c->long_line == 0)
				r->c->long_line = r->c->cur_line;
			r->c->max_line = num - 1;
			snprintf(str, (size_t)num, "!\n");
		}
	}
	return res;
}

static int
conf_handler(void *user, const char *section, const char *key, const char *value)
{
	struct conf *c = user;
	int lineno = (int)c->cur_line;

	if (conf_add_section(c, section, (unsigned)lineno) == -1)
		return 0;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 32;
		struct conf_entry *v = realloc(c->v, ncap * sizeof *v);
		if (v == NULL)
			return 0;
		c->v = v;
		c->cap = ncap;
	}
	struct conf_entry *e = &c->v[c->n];
	memset(e, 0, sizeof *e);
	e->section = strdup(section);
	e->key = strdup(key);
	e->value = strdup(value);
	e->line = (unsigned)lineno;
	if (e->section == NULL || e->key == NULL || e->value == NULL) {
		free(e->section);
		free(e->key);
		free(e->value);
		return 0;
	}
	/* A key given twice in one section is an operator's mistake that
	 * would otherwise silently pick one of them. */
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].section, section) == 0 && strcmp(c->v[i].key, key) == 0) {
			free(e->section);
			free(e->key);
			free(e->value);
			if (c->dup_line == 0)
				c->dup_line = (unsigned)lineno;
			return 0;
		}
	}
	c->n++;
	return 1;
}

static int
conf_result(struct conf *c, int rc, char *err, size_t errlen)
{
	if (rc == 0)
		return 0;
	if (rc == -1)
		snprintf(err, errlen, "%s: %s", c->path, strerror(errno));
	else if (c->long_line == (unsigned)rc)
		snprintf(err, errlen, "%s:%d: line longer than %d characters", c->path, rc,
		    c->max_line);
	else if (c->dup_line == (unsigned)rc)
		snprintf(err, errlen, "%s:%d: key given twice in its section", c->path, rc);
	else
		snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)", c->path, rc);
	conf_free(c);
	return -1;
}

int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	snprintf(c->path, sizeof c->path, "%s", path);
	errno = 0;
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return conf_result(c, -1, err, errlen);
	struct conf_reader r = { c, f, NULL };
	int rc = ini_parse_stream(conf_read_line, &r, conf_handler, c);
	fclose(f);
	return conf_result(c, rc, err, errlen);
}

int
conf_load_string(struct conf *c, const char *name, const char *text, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	snprintf(c->path, sizeof c->path, "%s", name);
	errno = 0;
	struct conf_reader r = { c, NULL, text };
	return conf_result(c, ini_parse_stream(conf_read_line, &r, conf_handler, c), err, errlen);
}

void
conf_free(struct conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].section);
		free(c->v[i].key);
		free(c->v[i].value);
	}
	for (size_t i = 0; i < c->nsections; i++)
		free(c->sections[i]);
	for (size_t i = 0; i < c->nheaders; i++)
		free(c->headers[i].name);
	free(c->headers);
	c->headers = NULL;
	c->nheaders = 0;
	free(c->v);
	free(c->sections);
	free(c->section_line);
	c->v = NULL;
	c->sections = NULL;
	c->section_line = NULL;
	c->n = c->cap = c->nsections = 0;
}

bool
conf_has_section(const struct conf *c, const char *section)
{
	for (size_t i = 0; i < c->nsections; i++)
		if (strcmp(c->sections[i], section) == 0)
			return true;
	return false;
}

const struct conf_entry *
conf_get(struct conf *c, const char *section, const char *key)
{
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].section, section) == 0 && strcmp(c->v[i].key, key) == 0) {
			c->v[i].used = true;
			return &c->v[i];
		}
	}
	return NULL;
}

/* The entry of a key given a value: NULL when the key is missing or
 * empty, which every reader takes as its default (or as missing). */
static const struct conf_entry *
conf_given(struct conf *c, const char *section, const char *key)
{
	const struct conf_entry *e = conf_get(c, section, key);

	return (e == NULL || e->value[0] == '\0') ? NULL : e;
}

const char *
conf_str(struct conf *c, const char *section, const char *key, const char *def)
{
	const struct conf_entry *e = conf_given(c, section, key);

	return e == NULL ? def : e->value;
}

static int
conf_bad(const struct conf *c, const struct conf_entry *e, char *err, size_t errlen,
    const char *why)
{
	snprintf(err, errlen, "%s:%u: [%s] %s = '%s': %s", c->path, e->line, e->section,
	    e->key, e->value, why);
	return -1;
}

/* v of entry e into *out when it is from min to max (a number of unit);
 * else -1 with err saying the range. */
static int
conf_range(const struct conf *c, const struct conf_entry *e, double v, double min,
    double max, const char *unit, double *out, char *err, size_t errlen)
{
	char why[128];

	if (v < min || v > max) {
		snprintf(why, sizeof why, "expected %g%s to %g%s", min, unit, max, unit);
		return conf_bad(c, e, err, errlen, why);
	}
	*out = v;
	return 0;
}

int
conf_long(struct conf *c, const char *section, const char *key, long def,
    long min, long max, long *out, char *err, size_t errlen)
{
	const struct conf_entry *e = conf_given(c, section, key);
	char why[96];

	if (e == NULL) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	long v = strtol(e->value, &end, 10);
	if (errno != 0 || end == e->value || *end != '\0')
		return conf_bad(c, e, err, errlen, "expected a whole number");
	if (v < min || v > max) {
		snprintf(why, sizeof why, "expected %ld to %ld", min, max);
		return conf_bad(c, e, err, errlen, why);
	}
	*out = v;
	return 0;
}

int
conf_double(struct conf *c, const char *section, const char *key, double def,
    double min, double max, double *out, char *err, size_t errlen)
{
	const struct conf_entry *e = conf_given(c, section, key);

	if (e == NULL) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	double v = strtod(e->value, &end);
	if (errno != 0 || end == e->value || *end != '\0' || !isfinite(v))
		return conf_bad(c, e, err, errlen, "expected a number");
	return conf_range(c, e, v, min, max, "", out, err, errlen);
}

int
parse_duration(const char *s, double *out)
{
	char *end;
	double mult = 1;

	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(v) || v < 0)
		return -1;
	switch (*end) {
	case '\0': break;
	case 's': mult = 1; end++; break;
	case 'm': mult = 60; end++; break;
	case 'h': mult = 3600; end++; break;
	case 'd': mult = 86400; end++; break;
	default: return -1;
	}
	if (*end != '\0')
		return -1;
	*out = v * mult;
	return 0;
}

int
conf_duration(struct conf *c, const char *section, const char *key, double def,
    double min, double max, double *out, char *err, size_t errlen)
{
	const struct conf_entry *e = conf_given(c, section, key);
	double v;

	if (e == NULL) {
		*out = def;
		return 0;
	}
	if (parse_duration(e->value, &v) == -1)
		return conf_bad(c, e, err, errlen,
		    "expected a duration: seconds, or a number with s, m, h or d");
	return conf_range(c, e, v, min, max, " s", out, err, errlen);
}

int
conf_bool(struct conf *c, const char *section, const char *key, bool def,
    bool *out, char *err, size_t errlen)
{
	const struct conf_entry *e = conf_given(c, section, key);

	if (e == NULL) {
		*out = def;
		return 0;
	}
	if (!strcmp(e->value, "yes") || !strcmp(e->value, "true") || !strcmp(e->value, "on") ||
	    !strcmp(e->value, "1"))
		*out = true;
	else if (!strcmp(e->value, "no") || !strcmp(e->value, "false") ||
	    !strcmp(e->value, "off") || !strcmp(e->value, "0"))
		*out = false;
	else
		return conf_bad(c, e, err, errlen, "expected yes or no");
	return 0;
}

int
conf_require(struct conf *c, const char *section, const char *key,
    const char **out, char *err, size_t errlen)
{
	const struct conf_entry *e = conf_given(c, section, key);

	if (e == NULL) {
		if (conf_has_section(c, section))
			snprintf(err, errlen, "%s: [%s]: missing key '%s'", c->path, section, key);
		else
			snprintf(err, errlen, "%s: missing section [%s] with key '%s'", c->path,
			    section, key);
		return -1;
	}
	*out = e->value;
	return 0;
}

int
conf_split_list(const char *value, char (*items)[256], int max)
{
	int n = 0;
	const char *p = value;

	while (*p) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		const char *start = p;
		while (*p && *p != ',' && !isspace((unsigned char)*p))
			p++;
		size_t len = (size_t)(p - start);
		if (n == max || len >= 256)
			return -1;
		memcpy(items[n], start, len);
		items[n][len] = '\0';
		n++;
	}
	return n;
}

int
conf_unused(const struct conf *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n; i++) {
		if (!c->v[i].used) {
			snprintf(err, errlen, "%s:%u: [%s] %s: unknown key", c->path, c->v[i].line,
			    c->v[i].section, c->v[i].key);
			return -1;
		}
	}
	return 0;
}

void
conf_print(const struct conf *c, FILE *out, const char *const *secret_keys)
{
	for (size_t s = 0; s < c->nsections; s++) {
		fprintf(out, "[%s]\n", c->sections[s]);
		for (size_t i = 0; i < c->n; i++) {
			const struct conf_entry *e = &c->v[i];
			bool secret = false;

			if (strcmp(e->section, c->sections[s]) != 0)
				continue;
			for (const char *const *k = secret_keys; k && *k; k++)
				if (strcmp(*k, e->key) == 0)
					secret = true;
			fprintf(out, "%s = %s\n", e->key, secret ? "********" : e->value);
		}
		fprintf(out, "\n");
	}
}

int
conf_read_secret(const char *path, char *buf, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0) {
		snprintf(err, errlen, "%s: %s", path, n == 0 ? "empty" : strerror(errno));
		buf[0] = '\0';
		return -1;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

int
conf_read_token(const char *path, size_t min_len, char *buf, size_t len, char *err,
    size_t errlen)
{
	struct stat st;
	size_t n;

	if (stat(path, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
		snprintf(err, errlen, "%s: readable or writable by others (mode %04o); a token "
		    "must be private: chmod 640 %s (the file's group may read it)", path, (unsigned)(st.st_mode & 07777),
		    path);
		return -1;
	}
	if (conf_read_secret(path, buf, len, err, errlen) == -1) {
		if (strstr(err, ": empty") == NULL)
			return -1;
		buf[0] = '\0';
	}
	while ((n = strlen(buf)) > 0 && isspace((unsigned char)buf[n - 1]))
		buf[n - 1] = '\0';
	n = strspn(buf, " \t");
	memmove(buf, buf + n, strlen(buf + n) + 1);
	if (strlen(buf) < min_len) {
		snprintf(err, errlen, "%s: the token has %zu characters, at least %zu are needed "
		    "(e.g. openssl rand -hex 24 > %s)", path, strlen(buf), min_len, path);
		explicit_bzero(buf, len);
		return -1;
	}
	return 0;
}

unsigned
conf_section_line(const struct conf *c, const char *section)
{
	for (size_t i = 0; i < c->nheaders; i++)
		if (strcmp(c->headers[i].name, section) == 0)
			return c->headers[i].line;
	return 0;
}

int
conf_copy_str(char *dst, size_t len, const char *src, const char *path, const char *what,
    char *err, size_t errlen)
{
	size_t n = strlen(src);

	if (n >= len) {
		snprintf(err, errlen, "%s: %s is too long (at most %zu bytes)", path, what, len - 1);
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}
