/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The notifier thread: takes queued notifications from the state DB (its
 * own connection), delivers each through its notifier, and retries with
 * capped backoff. Ingest never waits on it; a restart loses nothing.
 */
#ifndef COVMON_NOTIFY_H
#define COVMON_NOTIFY_H

#include "alert.h"

#include <stddef.h>
#include <stdio.h>

struct collector_conf;
struct alert_conf_ref;
struct ingest;

/* One notification, as every notifier gets it. */
struct notify_msg {
	const char *json;         /* the payload of DESIGN.md section 7 */
	const char *kind, *state, *scope, *summary;
	const char *province;     /* for MQTT's topic */
	long long id;             /* queue row, for Message-ID */
};

/* Each returns 0 when delivered, or -1 with err set (it is retried). */
int notify_exec(const struct notifier_conf *n, const struct notify_msg *m, char *err,
    size_t errlen);
int notify_webhook(const struct notifier_conf *n, const struct notify_msg *m, char *err,
    size_t errlen);
int notify_email(const struct notifier_conf *n, const struct notify_msg *m, char *err,
    size_t errlen);
/* A webhook's body for its format (to free()); NULL out of memory. */
char *notify_webhook_body(const struct notifier_conf *n, const struct notify_msg *m);
/* The plain-text mail (headers and body) into buf; for the tests too. */
int notify_email_text(const struct notifier_conf *n, const struct notify_msg *m,
    double now, char *buf, size_t len);
/* Splits an exec command line into argv (simple quoting, no shell):
 * words split on blanks, '…' literal, "…" with \" and \\ escapes.
 * Returns argc, or -1 for unbalanced quotes or too many words. */
int notify_split(const char *cmd, char *buf, size_t buflen, char **argv, int max);

struct notifier;
struct state_reqs;
struct notifier *notifier_start(const struct collector_conf *cc, struct ingest *in,
    struct state_reqs *reqs, char *err, size_t errlen);
void notifier_stop(struct notifier *nt);
/* Any thread (SIGHUP): the notifiers to use from the next pass on (takes
 * the reference). A queued notification whose notifier left is dropped. */
void notifier_set_conf(struct notifier *nt, struct alert_conf_ref *r);
/* Prometheus lines: notifications sent, failed attempts, queued. */
void notifier_metrics(FILE *out);

#endif
