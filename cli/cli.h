/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * covmon, the command line over the collector's HTTP API (DESIGN.md
 * section 9): what the commands share, the HTTP client and the tables.
 */
#ifndef COVMON_CLI_H
#define COVMON_CLI_H

#include <json-c/json.h>

#include "exitcode.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_DEFAULT_URL		"http://127.0.0.1:8080"
#define CLI_DEFAULT_CONF	"/etc/covmon/covmon.conf"


struct cli {
	/* From the command line. */
	const char *url_opt;     /* --url */
	const char *conf_path;   /* -c: always read; else the default if present */
	bool conf_given;
	bool json;               /* print the API's JSON as it came */
	/* Resolved by cli_setup(). */
	char url[512];           /* base, without a trailing '/' */
	const char *url_from;    /* "--url", "$COVMON_URL", the config file, "default" */
	double timeout;          /* seconds for a whole request */
	char token[256];         /* API token for write actions: $COVMON_TOKEN,
	                            [cli] token or token_file */
	bool colour;             /* ANSI colours on stdout */
};

/* Reads the config (if any) and settles the URL and the timeout. Returns 0,
 * or EXIT_USAGE after saying what is wrong. */
int cli_setup(struct cli *c, bool print);

/* Options every networked command takes after its name too. */
#define CLI_COMMON_OPTIONS \
	{ "url", required_argument, NULL, 'U' }, \
	{ "json", no_argument, NULL, 'J' }, \
	{ "help", no_argument, NULL, 'h' }
/* Handles one of them: 0 when it was one, -1 otherwise. */
int cli_common_option(struct cli *c, int ch, const char *arg);

/* --- fetch.c: GET over libcurl. --- */
struct reply {
	long status;             /* HTTP status */
	char *body;              /* NUL-terminated */
	size_t len;
	json_object *json;       /* the parsed body, NULL when not JSON */
	char url[1024];          /* the full URL, for messages */
};
/*
 * GETs c->url + path into r. Returns 0 whatever the HTTP status, or -1
 * after printing why the collector could not be reached (naming the URL).
 * Free with reply_free().
 */
int cli_get(const struct cli *c, const char *path, struct reply *r);
/* Any method, with a JSON body (or NULL) and the token when there is one. */
int cli_send(const struct cli *c, const char *method, const char *path, const char *body,
    struct reply *r);
/* Like cli_get(), but anything but a 200 with a JSON object is an error,
 * printed with the URL and the API's own message. */
int cli_get_ok(const struct cli *c, const char *path, struct reply *r);
void reply_free(struct reply *r);
/* Prints "covmon: URL: HTTP 404: the API's error" for a reply that is not
 * a 200 with a JSON object. */
void reply_complain(const struct reply *r);

/* --- table.c: aligned columns, by characters on screen. --- */
enum tcolour { TC_NONE, TC_GREEN, TC_YELLOW, TC_RED, TC_DIM, TC_BOLD };

struct table;
/* Columns named by headers; align is one 'l' or 'r' per column. */
struct table *table_new(size_t ncols, const char *const *headers, const char *align);
void table_row(struct table *t);
/* The next cell of the current row, printf-style. */
void table_cell(struct table *t, enum tcolour colour, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints and frees. */
void table_print(struct table *t, FILE *out, bool colour);
void table_free(struct table *t);

/* Columns a string takes on a terminal (UTF-8; combining marks take none). */
size_t text_width(const char *s);
/* Sets LC_CTYPE (only) so that widths come from the C library. */
void text_init(void);
/* s in colour when `on`. */
void colour_print(FILE *out, bool on, enum tcolour colour, const char *s);

/* --- commands.c --- */
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_hamlets(struct cli *c, int argc, char **argv);
int cmd_site(struct cli *c, int argc, char **argv);
int cmd_alerts(struct cli *c, int argc, char **argv);
int cmd_silence(struct cli *c, int argc, char **argv);
int cmd_ack(struct cli *c, int argc, char **argv);
int cmd_inventory(struct cli *c, int argc, char **argv);
int cmd_digest(struct cli *c, int argc, char **argv);

/* Helpers the commands share (commands.c). */
const char *jstring(json_object *o, const char *key);  /* NULL when absent or not a string */
bool jnumber(json_object *o, const char *key, double *out);
void ago(char *buf, size_t len, double t, double now);  /* "3 min ago", "never" */

#endif
