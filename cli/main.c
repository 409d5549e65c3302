/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * covmon: the command line for technicians and provincial IT over the
 * collector's HTTP API (DESIGN.md section 9), and the check of inventory
 * files before they are installed.
 */
#include "cli.h"

#include "conf.h"

#include <curl/curl.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: covmon [--url URL] [--json] [-c FILE] COMMAND [ARGS]\n"
	    "\n"
	    "commands:\n"
	    "  status [--province P]            provinces against their targets, or one\n"
	    "                                   province's communes\n"
	    "  hamlets [--state S] [--overdue] [--province P] [--commune C]\n"
	    "                                   hamlets and their state; S is covered,\n"
	    "                                   degraded, down, unreachable, unmonitored\n"
	    "                                   or uncovered; P and C are ids or names\n"
	    "  site ID|NAME                     one hamlet (or agent): state, last seen,\n"
	    "                                   current values, uplink chain; a name is\n"
	    "                                   searched without regard to case or\n"
	    "                                   diacritics (suoi chai: Suối Chải), and one\n"
	    "                                   that matches several sites lists them\n"
	    "  digest [--province P] [--lang en|vi]\n"
	    "                                   the daily rollout digest as it would be\n"
	    "                                   sent now: new overdue hamlets, communes\n"
	    "                                   turned red or back, coverage vs target\n"
	    "  alerts [--all]                   firing alerts (all with --all)\n"
	    "  silence add --match M --until T --reason R\n"
	    "                                   mute alerts matching M (province:ID,\n"
	    "                                   commune:ID, hamlet:ID, agent:ID or *)\n"
	    "                                   until T (2h, a Unix time or an ISO\n"
	    "                                   date-time)\n"
	    "  silence list | silence rm ID     the active silences; end one\n"
	    "  ack ALERT_ID                     stop an alert's repeats\n"
	    "  inventory check FILE [--targets FILE]\n"
	    "                                   check inventory.csv (and targets.csv)\n"
	    "                                   as the collector would load them\n"
	    "\n"
	    "options:\n"
	    "      --url URL        the collector (default: $COVMON_URL, [cli] url in the\n"
	    "                       config, else " CLI_DEFAULT_URL ")\n"
	    "      --json           print the API's JSON as it comes\n"
	    "  -c, --config FILE    configuration (default " CLI_DEFAULT_CONF " if it exists)\n"
	    "      --check-config   check the configuration, print the effective values, exit\n"
	    "  -h, --help, -V, --version\n"
	    "\n"
	    "silence and ack need the collector's API token: $COVMON_TOKEN, or\n"
	    "[cli] token / token_file in the config\n"
	    "\n"
	    "exit: 0 done, 1 the collector could not be reached or said no,\n"
	    "      2 bad usage, bad configuration or a bad inventory file\n");
}

int
cli_common_option(struct cli *c, int ch, const char *arg)
{
	switch (ch) {
	case 'U':
		c->url_opt = arg;
		return 0;
	case 'J':
		c->json = true;
		return 0;
	default:
		return -1;
	}
}

/* Copies a base URL without its trailing slashes; http(s) only. */
static int
set_url(struct cli *c, const char *url, const char *from)
{
	size_t n = strlen(url);

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		fprintf(stderr, "covmon: %s: bad URL '%s': expected http://HOST:PORT or "
		    "https://HOST:PORT\n", from, url);
		return EXIT_USAGE;
	}
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n >= sizeof c->url) {
		fprintf(stderr, "covmon: %s: URL longer than %zu bytes\n", from, sizeof c->url - 1);
		return EXIT_USAGE;
	}
	memcpy(c->url, url, n);
	c->url[n] = '\0';
	c->url_from = from;
	return 0;
}

int
cli_setup(struct cli *c, bool print)
{
	struct conf cf;
	char err[1024];
	const char *url = NULL, *env = getenv("COVMON_URL");
	bool have_conf = false;
	int rc = EXIT_USAGE;

	memset(&cf, 0, sizeof cf);
	c->timeout = 10;
	if (c->conf_given || access(c->conf_path, F_OK) == 0) {
		if (conf_load(&cf, c->conf_path, err, sizeof err) == -1) {
			fprintf(stderr, "covmon: %s\n", err);
			return EXIT_USAGE;
		}
		have_conf = true;
		url = conf_str(&cf, "cli", "url", NULL);
		if (url && *url == '\0')
			url = NULL;
		if (conf_duration(&cf, "cli", "timeout", 10, 0.1, 3600, &c->timeout,
		    err, sizeof err) == -1) {
			fprintf(stderr, "covmon: %s\n", err);
			goto done;
		}
		const char *tf = conf_str(&cf, "cli", "token_file", "");
		const char *tk = conf_str(&cf, "cli", "token", "");
		if (tk[0])
			snprintf(c->token, sizeof c->token, "%s", tk);
		else if (tf[0] && conf_read_secret(tf, c->token, sizeof c->token, err,
		    sizeof err) == -1) {
			fprintf(stderr, "covmon: %s: [cli] token_file %s\n", c->conf_path, err);
			goto done;
		}
		if (conf_unused(&cf, err, sizeof err) == -1) {
			fprintf(stderr, "covmon: %s\n", err);
			goto done;
		}
	}
	if (getenv("COVMON_TOKEN") && *getenv("COVMON_TOKEN"))
		snprintf(c->token, sizeof c->token, "%s", getenv("COVMON_TOKEN"));
	/* The command line over the environment over the file. */
	if (c->url_opt) {
		if (set_url(c, c->url_opt, "--url") != 0)
			goto done;
	} else if (env && *env) {
		if (set_url(c, env, "$COVMON_URL") != 0)
			goto done;
	} else if (url) {
		if (set_url(c, url, c->conf_path) != 0)
			goto done;
	} else if (set_url(c, CLI_DEFAULT_URL, "default") != 0)
		goto done;

	if (print) {
		if (have_conf)
			printf("; %s\n", c->conf_path);
		else
			printf("; no config file (%s does not exist): defaults\n", c->conf_path);
		printf("[cli]\nurl = %s", c->url);
		if (strcmp(c->url_from, c->conf_path) != 0)
			printf("   ; from %s", c->url_from);
		printf("\ntimeout = %g\ntoken = %s\n", c->timeout, c->token[0] ? "********" : "");
	}
	c->colour = isatty(STDOUT_FILENO) && !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
	rc = 0;
done:
	if (have_conf)
		conf_free(&cf);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	static const struct {
		const char *name;
		int (*fn)(struct cli *, int, char **);
	} cmds[] = {
		{ "status", cmd_status },
		{ "hamlets", cmd_hamlets },
		{ "site", cmd_site },
		{ "alerts", cmd_alerts },
		{ "silence", cmd_silence },
		{ "ack", cmd_ack },
		{ "inventory", cmd_inventory },
		{ "digest", cmd_digest },
	};
	struct cli c = { .conf_path = CLI_DEFAULT_CONF };
	bool check = false;
	int ch, rc;

	/* '+': stop at the command; its own options follow it. */
	while ((ch = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c.conf_path = optarg;
			c.conf_given = true;
			break;
		case 'C':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("covmon %s\n", COVMON_VERSION);
			return 0;
		default:
			if (cli_common_option(&c, ch, optarg) == 0)
				break;
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	text_init();
	if (check) {
		if (optind != argc) {
			usage(stderr);
			return EXIT_USAGE;
		}
		return cli_setup(&c, true);
	}
	if (optind == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (strcmp(name, cmds[i].name) != 0)
			continue;
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			fprintf(stderr, "covmon: cannot initialise libcurl\n");
			return EXIT_RUNTIME;
		}
		rc = cmds[i].fn(&c, argc - optind, argv + optind);
		fflush(stdout);
		curl_global_cleanup();
		return rc;
	}
	fprintf(stderr, "covmon: unknown command '%s'\n", name);
	usage(stderr);
	return EXIT_USAGE;
}
