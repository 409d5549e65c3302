/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The exec notifier: runs `command` (split into words here, no shell; for
 * redirections and pipes write `sh -c '…'`) with the alert in its
 * environment (COVMON_ALERT_JSON, _KIND, _STATE, _SCOPE, _SUMMARY), stdin
 * from /dev/null, killed with its process group after `timeout`. Exit
 * status 0 is success; anything else is retried.
 */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_ARGS 64
#define OUT_MAX  400

int
notify_split(const char *cmd, char *buf, size_t buflen, char **argv, int max)
{
	size_t o = 0;
	int argc = 0;
	const char *p = cmd;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (argc == max - 1)
			return -1;
		argv[argc++] = buf + o;
		while (*p && *p != ' ' && *p != '\t') {
			char q = *p;
			if (q == '\'' || q == '"') {
				p++;
				while (*p && *p != q) {
					if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					if (o + 1 >= buflen)
						return -1;
					buf[o++] = *p++;
				}
				if (*p != q)
					return -1;
				p++;
			} else {
				if (o + 1 >= buflen)
					return -1;
				buf[o++] = *p++;
			}
		}
		if (o + 1 >= buflen)
			return -1;
		buf[o++] = '\0';
	}
	argv[argc] = NULL;
	return argc;
}

static char *
env_pair(const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s=%s", name, value ? value : "");
	return s;
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
notify_exec(const struct notifier_conf *n, const struct notify_msg *m, char *err,
    size_t errlen)
{
	static const char *const names[] = { "COVMON_ALERT_JSON", "COVMON_ALERT_KIND",
	    "COVMON_ALERT_STATE", "COVMON_ALERT_SCOPE", "COVMON_ALERT_SUMMARY" };
	const char *values[] = { m->json, m->kind, m->state, m->scope, m->summary };
	char buf[2048], *argv[MAX_ARGS], out[OUT_MAX + 1];
	char **envp = NULL;
	size_t nenv = 0, olen = 0;
	int pipefd[2] = { -1, -1 }, rc = -1, status;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	pid_t pid = -1;

	if (notify_split(n->command, buf, sizeof buf, argv, MAX_ARGS) <= 0) {
		snprintf(err, errlen, "command: unbalanced quotes, or empty");
		return -1;
	}
	while (environ[nenv])
		nenv++;
	if ((envp = calloc(nenv + 6, sizeof *envp)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t k = 0;
	for (size_t i = 0; i < nenv; i++)
		if (strncmp(environ[i], "COVMON_ALERT_", 13) != 0)
			envp[k++] = environ[i];
	size_t first = k;
	for (size_t i = 0; i < 5; i++)
		if ((envp[k++] = env_pair(names[i], values[i])) == NULL)
			goto out;
	if (pipe2(pipefd, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawnattr_init(&attr);
	/* Its own process group, so a timeout kills what it started too. */
	posix_spawnattr_setpgroup(&attr, 0);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
	int e = posix_spawnp(&pid, argv[0], &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(pipefd[1]);
	pipefd[1] = -1;
	if (e != 0) {
		snprintf(err, errlen, "%s: %s", argv[0], strerror(e));
		goto out;
	}
	double end = mono() + n->timeout;
	bool open_out = true, done = false;
	while (!done) {
		double left = end - mono();
		if (left <= 0) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(err, errlen, "%s: killed after %g s (timeout)", argv[0], n->timeout);
			goto out;
		}
		if (open_out) {
			struct pollfd p = { pipefd[0], POLLIN, 0 };
			int pr = poll(&p, 1, (int)(left > 0.1 ? 100 : left * 1000));
			if (pr > 0) {
				char tmp[512];
				ssize_t r = read(pipefd[0], tmp, sizeof tmp);
				if (r <= 0)
					open_out = false;
				else if (olen < OUT_MAX) {
					size_t c = (size_t)r < OUT_MAX - olen ? (size_t)r : OUT_MAX - olen;
					memcpy(out + olen, tmp, c);
					olen += c;
				}
			}
		} else {
			usleep(20 * 1000);
		}
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			done = true;
	}
	out[olen] = '\0';
	for (size_t i = 0; i < olen; i++)
		if (out[i] == '\n' || out[i] == '\r')
			out[i] = ' ';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		rc = 0;
	} else if (WIFEXITED(status)) {
		snprintf(err, errlen, "%s exited %d%s%.200s", argv[0], WEXITSTATUS(status),
		    olen ? ": " : "", out);
	} else {
		snprintf(err, errlen, "%s killed by signal %d", argv[0],
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
out:
	if (pipefd[0] != -1)
		close(pipefd[0]);
	if (pipefd[1] != -1)
		close(pipefd[1]);
	for (size_t i = first; i < k; i++)
		free(envp[i]);
	free(envp);
	return rc;
}
