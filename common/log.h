/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging for every covmon binary: to stderr in the foreground, to syslog as
 * a daemon, with a rate limiter for messages that can repeat per sample.
 */
#ifndef COVMON_LOG_H
#define COVMON_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* ident: program name; level: messages above it are dropped. */
void log_init(const char *ident, enum log_level level, int use_syslog);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* log_warn appends ": strerror(errno)"; the x variants do not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log at error level and exit(1). Only during start-up. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Rate limit: at most `burst` messages per `window` seconds through one
 * limiter; the rest are counted and reported once the window rolls over
 * ("... and N similar messages suppressed"). Not thread-safe: one limiter
 * per thread or a lock around it.
 */
struct log_limit {
	double window;
	unsigned burst;
	double start;
	unsigned count;
	unsigned long suppressed;
};
#define LOG_LIMIT_INIT(burst_, window_) { (window_), (burst_), 0, 0, 0 }

void log_limited(struct log_limit *lim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
