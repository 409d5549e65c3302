/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * INI configuration shared by every covmon binary, read with inih. The
 * whole file is loaded first; each daemon then reads its keys with typed
 * getters that name file:line in their errors, and conf_unused() refuses
 * keys nobody read (a typo must not silently keep a default).
 */
#ifndef COVMON_CONF_H
#define COVMON_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct conf_entry {
	char *section;
	char *key;
	char *value;
	unsigned line;
	bool used;
};

struct conf_header {
	char *name;
	unsigned line;
};

struct conf {
	char path[512];
	struct conf_entry *v;
	size_t n, cap;
	char **sections;      /* distinct section names, in file order */
	unsigned *section_line;
	size_t nsections;
	unsigned cur_line;    /* while loading */
	unsigned dup_line;    /* first key given twice */
	unsigned long_line;   /* first line too long for inih's buffer */
	struct conf_header *headers;  /* each [section] line, as read */
	size_t nheaders;
	int max_line;
};

/* Returns 0, or -1 with err set ("FILE:LINE: reason"). */
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);
int conf_load_string(struct conf *c, const char *name, const char *text, char *err, size_t errlen);
void conf_free(struct conf *c);

bool conf_has_section(const struct conf *c, const char *section);
/* The line of the section's first [header], or 0 when it has none. */
unsigned conf_section_line(const struct conf *c, const char *section);
/* The entry, marked used, or NULL. */
const struct conf_entry *conf_get(struct conf *c, const char *section, const char *key);

/* Getters: a missing key (or an empty value) gives the default. Return 0,
 * or -1 with err "FILE:LINE: [section] key: reason". */
const char *conf_str(struct conf *c, const char *section, const char *key, const char *def);
int conf_long(struct conf *c, const char *section, const char *key, long def,
    long min, long max, long *out, char *err, size_t errlen);
int conf_double(struct conf *c, const char *section, const char *key, double def,
    double min, double max, double *out, char *err, size_t errlen);
/* Durations: "30", "30s", "5m", "4h", "2d" (fractions allowed: "1.5m"). */
int conf_duration(struct conf *c, const char *section, const char *key, double def,
    double min, double max, double *out, char *err, size_t errlen);
int conf_bool(struct conf *c, const char *section, const char *key, bool def,
    bool *out, char *err, size_t errlen);
/* A required key: -1 with "missing key" when absent or empty. */
int conf_require(struct conf *c, const char *section, const char *key,
    const char **out, char *err, size_t errlen);

/* Splits a comma- or space-separated list value into at most max items,
 * each stored (trimmed) into items[i] of itemlen bytes. Returns the count,
 * or -1 when an item is too long or there are too many. */
int conf_split_list(const char *value, char (*items)[256], int max);

/* The first key that no getter read: -1 with err "FILE:LINE: unknown key". */
int conf_unused(const struct conf *c, char *err, size_t errlen);

/* Prints every entry that was read, `[section]` then `key = value`, with
 * the values of keys named in `secret_keys` (NULL-terminated) masked. */
void conf_print(const struct conf *c, FILE *out, const char *const *secret_keys);

int parse_duration(const char *s, double *out);

/* A value that must fit its field: copied into dst (len bytes), or -1 with
 * err "PATH: WHAT is too long (at most N bytes)". */
int conf_copy_str(char *dst, size_t len, const char *src, const char *path, const char *what,
    char *err, size_t errlen);

/* The first line of a secret file (password_file, token_file) into buf,
 * without its line end. Returns 0, or -1 with err naming the file. The
 * secret itself never goes into err. */
int conf_read_secret(const char *path, char *buf, size_t len, char *err, size_t errlen);

/* A bearer token from a file, as conf_read_secret, refused (as ssh refuses
 * a private key) when others may read or write the file, and when the
 * token, blanks trimmed, is shorter than min_len: an empty or newline-only
 * file would otherwise disable what the token guards without a word. */
int conf_read_token(const char *path, size_t min_len, char *buf, size_t len, char *err,
    size_t errlen);

#endif
