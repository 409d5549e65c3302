/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SNMP probe (agent/probe_snmp.c) against a real snmpd that the test
 * starts on a free loopback port with a config of its own (vendor OIDs
 * served with `override`, a v3 user), and against a fake agent in the same
 * loop that answers badly. Skipped when snmpd or snmpget is missing
 * (Debian packages snmpd and snmp).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "loop.h"
#include "metric.h"
#include "probe_power.h"
#include "probe_snmp.h"
#include "sample.h"

#define COMMUNITY	"covmontest"
#define V3_USER		"covmonv3"
#define V3_AUTH		"authpass123"
#define V3_PRIV		"privpass123"

#define OID_SIGNAL	"1.3.6.1.4.1.41112.1.4.5.1.5.1"		/* integer -67 */
#define OID_NOISE	"1.3.6.1.4.1.41112.1.4.5.1.8.1"		/* octet_str "-95" */
#define OID_CCQ		"1.3.6.1.4.1.41112.1.4.5.1.7.1"		/* unsigned 87 */
#define OID_GARBAGE	"1.3.6.1.4.1.99999.1.1.0"		/* octet_str "n/a" */
#define OID_MISSING	"1.3.6.1.4.1.99999.1.9.0"		/* not served */
#define OID_POWER	"1.3.6.1.4.1.99999.2.1.0"		/* integer 1 */
#define OID_BATTERY	"1.3.6.1.4.1.99999.2.2.0"		/* unsigned 76 */
#define OID_VOLTS	"1.3.6.1.4.1.99999.2.3.0"		/* octet_str "12.6" */
/* As MikroTik's mtxrHlVoltage: Integer32 in tenths of a volt. */
#define OID_VOLTS_D1	"1.3.6.1.4.1.99999.2.4.0"		/* integer 245 */
/* A charge in tenths of a percent. */
#define OID_BATTERY_D1	"1.3.6.1.4.1.99999.2.5.0"		/* unsigned 765 */

struct fixture {
	char	dir[256];
	char	snmpd[256];	/* "" when not installed */
	char	why[512];	/* why the SNMP tests are skipped */
	int	port;
	pid_t	pid;
	int	failed;	/* snmpd did not start */
};

/* Extra seconds on the timing bounds under qemu-user (the cross tests set
 * COVMON_TEST_EMULATED): an emulated CPU, two at a time on a busy machine,
 * runs the same code several times slower. The bounds still catch a
 * blocking call (seconds) or a wait of net-snmp's own defaults (5 s). */
static double
emu_slack(void)
{
	return getenv("COVMON_TEST_EMULATED") ? 3.0 : 0.0;
}

static struct fixture fx;

/* ---- Helpers ---- */

static int
free_udp_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd, port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static int
find_tool(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char buf[1024], *save = NULL;

	snprintf(buf, sizeof buf, "%s:/usr/sbin:/sbin:/usr/bin", path ? path : "");
	for (char *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", d, name);
		if (access(out, X_OK) == 0)
			return 0;
	}
	out[0] = '\0';
	return -1;
}

/* snmpget's answer for one OID, value only; -1 when it failed. */
static int
snmpget(const char *args, const char *oid, char *out, size_t len)
{
	char cmd[512];
	FILE *f;
	int st;

	snprintf(cmd, sizeof cmd, "snmpget -On -Oqv -t 0.3 -r 0 %s 127.0.0.1:%d %s 2>/dev/null",
	    args, fx.port, oid);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(out, (int)len, f) == NULL)
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	st = pclose(f);
	return (WIFEXITED(st) && WEXITSTATUS(st) == 0 && out[0]) ? 0 : -1;
}

static int
snmpd_start(void)
{
	char conf[512], log[512], pdir[512], got[64];
	pid_t pid;

	snprintf(conf, sizeof conf, "%s/snmpd.conf", fx.dir);
	snprintf(log, sizeof log, "%s/snmpd.log", fx.dir);
	snprintf(pdir, sizeof pdir, "%s/persist", fx.dir);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setenv("SNMP_PERSISTENT_DIR", pdir, 1);
		setenv("MIBS", "", 1);
		/* -C: no config but ours; -f: foreground; -Lo: log to stdout. */
		execl(fx.snmpd, "snmpd", "-f", "-Lo", "-C", "-c", conf, (char *)NULL);
		_exit(127);
	}
	fx.pid = pid;
	for (int i = 0; i < 50; i++) {
		if (snmpget("-v2c -c " COMMUNITY, "1.3.6.1.2.1.1.3.0", got, sizeof got) == 0)
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			fx.pid = 0;
			return -1;
		}
		usleep(100000);
	}
	return -1;
}

static void
snmpd_stop(void)
{
	if (fx.pid <= 0)
		return;
	kill(fx.pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		if (waitpid(fx.pid, NULL, WNOHANG) == fx.pid) {
			fx.pid = 0;
			return;
		}
		usleep(50000);
	}
	kill(fx.pid, SIGKILL);
	waitpid(fx.pid, NULL, 0);
	fx.pid = 0;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
group_setup(void **state)
{
	char path[512], tool[256];
	FILE *f;

	snprintf(fx.dir, sizeof fx.dir, "/tmp/covmon-snmp-XXXXXX");
	if (mkdtemp(fx.dir) == NULL)
		return -1;
	if (find_tool("snmpd", fx.snmpd, sizeof fx.snmpd) == -1 ||
	    find_tool("snmpget", tool, sizeof tool) == -1) {
		snprintf(fx.why, sizeof fx.why,
		    "snmpd or snmpget not installed (apt-get install snmpd snmp)");
		fx.snmpd[0] = '\0';
		return 0;
	}
	snprintf(path, sizeof path, "%s/persist", fx.dir);
	mkdir(path, 0700);
	fx.port = free_udp_port();
	snprintf(path, sizeof path, "%s/snmpd.conf", fx.dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f,
	    "agentaddress udp:127.0.0.1:%d\n"
	    "rocommunity " COMMUNITY " 127.0.0.1\n"
	    "createUser " V3_USER " SHA \"" V3_AUTH "\" AES \"" V3_PRIV "\"\n"
	    "rouser " V3_USER " priv\n"
	    "dontLogTCPWrappersConnects yes\n"
	    "override " OID_SIGNAL " integer -67\n"
	    "override " OID_NOISE " octet_str \"-95\"\n"
	    "override " OID_CCQ " unsigned 87\n"
	    "override " OID_GARBAGE " octet_str \"n/a\"\n"
	    "override " OID_POWER " integer 1\n"
	    "override " OID_BATTERY " unsigned 76\n"
	    "override " OID_VOLTS " octet_str \"12.6\"\n"
	    "override " OID_VOLTS_D1 " integer 245\n"
	    "override " OID_BATTERY_D1 " unsigned 765\n", fx.port);
	fclose(f);
	if (snmpd_start() == -1) {
		snprintf(fx.why, sizeof fx.why, "snmpd did not start: see %s/snmpd.log", fx.dir);
		fx.snmpd[0] = '\0';
		fx.failed = 1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	snmpd_stop();
	/* Kept when snmpd would not start: its log says why. */
	if (!fx.failed && getenv("COVMON_KEEP") == NULL)
		nftw(fx.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

#define NEED_SNMPD() do {						\
	if (fx.snmpd[0] == '\0') {					\
		print_message("skipped: %s\n", fx.why);			\
		skip();							\
	}								\
} while (0)

static void
base_conf(struct probe_snmp_conf *c, int version)
{
	memset(c, 0, sizeof *c);
	snprintf(c->host, sizeof c->host, "127.0.0.1");
	c->port = (unsigned)fx.port;
	c->version = version;
	c->timeout = 0.3;
	c->retries = 1;
	if (version == 3) {
		snprintf(c->user, sizeof c->user, V3_USER);
		c->level = PROBE_SNMP_AUTHPRIV;
		c->auth = PROBE_SNMP_AUTH_SHA;
		c->priv = PROBE_SNMP_PRIV_AES;
		snprintf(c->auth_pass, sizeof c->auth_pass, V3_AUTH);
		snprintf(c->priv_pass, sizeof c->priv_pass, V3_PRIV);
	} else
		snprintf(c->community, sizeof c->community, COMMUNITY);
}

/* Runs one interval of `duration` seconds in the loop. *busy gets the time
 * from the first request in flight until none was (-1 when none was sent),
 * *gap the longest time the loop spent in one turn. */
static void
run_interval(struct loop *l, struct probe_snmp *p, double duration, struct sample *s,
    struct probe_snmp_result *r, double *busy, double *gap)
{
	double start = clock_mono(), end = start + duration, now, first = -1, last = -1;
	double maxgap = 0, prev = start;

	probe_snmp_start(p, start, duration);
	while ((now = clock_mono()) < end) {
		assert_int_equal(loop_run_once(l, fmin(end - now, 0.02)), 0);
		double t = clock_mono();
		if (t - prev > maxgap)
			maxgap = t - prev;
		prev = t;
		if (probe_snmp_pending(p) > 0) {
			if (first < 0)
				first = t;
			last = -1;
		} else if (first >= 0 && last < 0)
			last = t;
	}
	memset(s, 0, sizeof *s);
	probe_snmp_finish(p, s, r);
	if (busy != NULL)
		*busy = first < 0 ? -1 : (last < 0 ? end : last) - first;
	if (gap != NULL)
		*gap = maxgap;
}

static double
metric(const struct sample *s, int m)
{
	return sample_has(s, m) ? s->m[m] : NAN;
}

/* ---- Config ---- */

static void
test_conf_load(void **state)
{
	struct conf c;
	struct probe_snmp_conf o;
	char err[512];

	memset(&c, 0, sizeof c);
	assert_int_equal(conf_load_string(&c, "agent.conf",
	    "[probe.snmp]\nhost = 192.168.1.20\ncommunity = s3cret\nif_index = 2\n"
	    "signal_oid = 1.3.6.1.4.1.41112.1.4.5.1.5.1\nnoise_oid =\n", err, sizeof err), 0);
	assert_int_equal(probe_snmp_conf_load(&c, &o, err, sizeof err), 0);
	assert_int_equal(conf_unused(&c, err, sizeof err), 0);
	assert_string_equal(o.host, "192.168.1.20");
	assert_int_equal(o.port, 161);
	assert_int_equal(o.version, 2);
	assert_int_equal(o.if_index, 2);
	assert_true(o.timeout == 1.0);
	assert_int_equal(o.retries, 1);
	assert_string_equal(o.oid[PROBE_SNMP_SIGNAL], OID_SIGNAL);
	assert_string_equal(o.oid[PROBE_SNMP_NOISE], "");
	assert_string_equal(o.power_sysfs, POWER_SYSFS_ROOT);
	conf_free(&c);

	memset(&c, 0, sizeof c);
	assert_int_equal(conf_load_string(&c, "agent.conf",
	    "[probe.snmp]\nhost = radio.example\nport = 1161\nversion = 3\n"
	    "security_name = mon\nauth_protocol = SHA-256\nauth_password = a-long-pass\n"
	    "priv_protocol = AES\npriv_password = another-pass\nsecurity_level = authPriv\n"
	    "timeout_ms = 250\nretries = 0\nbattery_oid = .1.3.6.1.4.1.1.2.0\n",
	    err, sizeof err), 0);
	assert_int_equal(probe_snmp_conf_load(&c, &o, err, sizeof err), 0);
	assert_int_equal(conf_unused(&c, err, sizeof err), 0);
	assert_int_equal(o.version, 3);
	assert_string_equal(o.user, "mon");
	assert_int_equal(o.auth, PROBE_SNMP_AUTH_SHA256);
	assert_int_equal(o.priv, PROBE_SNMP_PRIV_AES);
	assert_int_equal(o.level, PROBE_SNMP_AUTHPRIV);
	assert_true(o.timeout == 0.25);
	assert_int_equal(o.retries, 0);
	conf_free(&c);

	/* Each bad config is refused, and no message repeats a secret. */
	static const char *const bad[] = {
		"[probe.snmp]\ncommunity = s3cret\n",
		"[probe.snmp]\nhost = h\n",
		"[probe.snmp]\nhost = h\ncommunity = s3cret\nversion = 2\nversion_x = 1\n",
		"[probe.snmp]\nhost = h\ncommunity = s3cret\nversion = 4\n",
		"[probe.snmp]\nhost = h\ncommunity = s3cret\nsignal_oid = ubntSignal.1\n",
		"[probe.snmp]\nhost = h\ncommunity = s3cret\nsignal_oid = 1..3\n",
		"[probe.snmp]\nhost = h\ncommunity = s3cret\nport = 70000\n",
		"[probe.snmp]\nhost = h\ncommunity = s3cret\nuser = u\n",
		"[probe.snmp]\nhost = h\nversion = 3\ncommunity = s3cret\nuser = u\n",
		"[probe.snmp]\nhost = h\nversion = 3\n",
		"[probe.snmp]\nhost = h\nversion = 3\nuser = u\nauth_password = s3cret\n",
		"[probe.snmp]\nhost = h\nversion = 3\nuser = u\nauth_password = s3cret-long\n"
		    "priv_password = s3cret\n",
		"[probe.snmp]\nhost = h\nversion = 3\nuser = u\nsecurity_level = authPriv\n"
		    "auth_password = s3cret-long\n",
		"[probe.snmp]\nhost = h\nversion = 3\nuser = u\nsecurity_name = v\n",
		"[probe.snmp]\nhost = h\nversion = 3\nuser = u\nauth_protocol = SHA-3\n"
		    "auth_password = s3cret-long\n",
		"[probe.snmp]\nhost = h\nversion = 3\nuser = u\npriv_protocol = DES\n"
		    "auth_password = s3cret-long\npriv_password = s3cret-long\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc;

		memset(&c, 0, sizeof c);
		assert_int_equal(conf_load_string(&c, "agent.conf", bad[i], err, sizeof err), 0);
		err[0] = '\0';
		rc = probe_snmp_conf_load(&c, &o, err, sizeof err);
		if (rc == 0)
			rc = conf_unused(&c, err, sizeof err);
		if (rc != -1)
			fail_msg("accepted:\n%s", bad[i]);
		assert_true(err[0] != '\0');
		if (strstr(err, "s3cret") != NULL)
			fail_msg("secret in '%s'", err);
		conf_free(&c);
	}
}

/* volts_scale and battery_scale: read, and refused with file:line and the
 * key when they are not a number the probe can use. */
static void
test_conf_scale(void **state)
{
	static const struct {
		const char *text;
		const char *msg;	/* in the error */
	} bad[] = {
		{ "volts_oid = " OID_VOLTS_D1 "\nvolts_scale = 0\n",
		    "agent.conf:4: [probe.snmp] volts_scale: '0': expected a decimal number above 0" },
		{ "volts_oid = " OID_VOLTS_D1 "\nvolts_scale = -0.1\n",
		    "agent.conf:4: [probe.snmp] volts_scale: '-0.1'" },
		{ "volts_oid = " OID_VOLTS_D1 "\nvolts_scale = 1e-1\n",
		    "agent.conf:4: [probe.snmp] volts_scale: '1e-1'" },
		{ "volts_oid = " OID_VOLTS_D1 "\nvolts_scale = 0.1 V\n",
		    "agent.conf:4: [probe.snmp] volts_scale: '0.1 V'" },
		{ "volts_oid = " OID_VOLTS_D1 "\nvolts_scale = 2000000\n",
		    "[probe.snmp] volts_scale: '2000000': expected a decimal number above 0 and "
		    "at most 1000000" },
		{ "volts_scale = 0.1\n",
		    "agent.conf:3: [probe.snmp] volts_scale: '0.1' without volts_oid" },
		{ "battery_oid = " OID_BATTERY_D1 "\nbattery_scale = tenths\n",
		    "agent.conf:4: [probe.snmp] battery_scale: 'tenths'" },
		{ "battery_scale = 0.1\n",
		    "agent.conf:3: [probe.snmp] battery_scale: '0.1' without battery_oid" },
		{ "power_oid = " OID_POWER "\npower_scale = 0.1\n", "power_scale" },
	};
	struct conf c;
	struct probe_snmp_conf o;
	char err[512], text[512];

	memset(&c, 0, sizeof c);
	assert_int_equal(conf_load_string(&c, "agent.conf",
	    "[probe.snmp]\nhost = 192.168.88.1\ncommunity = public\n"
	    "volts_oid = 1.3.6.1.4.1.14988.1.1.3.8.0\nvolts_scale = 0.1\n"
	    "battery_oid = " OID_BATTERY_D1 "\nbattery_scale = 0.1\n", err, sizeof err), 0);
	assert_int_equal(probe_snmp_conf_load(&c, &o, err, sizeof err), 0);
	assert_int_equal(conf_unused(&c, err, sizeof err), 0);
	assert_true(o.scale[PROBE_SNMP_VOLTS].num == 1 && o.scale[PROBE_SNMP_VOLTS].den == 10);
	assert_true(o.scale[PROBE_SNMP_BATTERY].num == 1 &&
	    o.scale[PROBE_SNMP_BATTERY].den == 10);
	/* Unscaled values: x 1. */
	assert_true(o.scale[PROBE_SNMP_SIGNAL].den == 0 && o.scale[PROBE_SNMP_POWER].den == 0);
	conf_free(&c);

	memset(&c, 0, sizeof c);
	assert_int_equal(conf_load_string(&c, "agent.conf",
	    "[probe.snmp]\nhost = 192.168.1.30\ncommunity = public\n"
	    "volts_oid = 1.3.6.1.4.1.33333.2.36.0\nvolts_scale = 0.0054931640625\n",
	    err, sizeof err), 0);
	assert_int_equal(probe_snmp_conf_load(&c, &o, err, sizeof err), 0);
	assert_true(snmp_scale_apply(&o.scale[PROBE_SNMP_VOLTS], 4800) == 26.3671875);
	assert_true(o.scale[PROBE_SNMP_BATTERY].den == 0);
	conf_free(&c);

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc;

		snprintf(text, sizeof text, "[probe.snmp]\nhost = h\n%scommunity = s3cret\n",
		    bad[i].text);
		memset(&c, 0, sizeof c);
		assert_int_equal(conf_load_string(&c, "agent.conf", text, err, sizeof err), 0);
		err[0] = '\0';
		rc = probe_snmp_conf_load(&c, &o, err, sizeof err);
		if (rc == 0)
			rc = conf_unused(&c, err, sizeof err);
		if (rc != -1)
			fail_msg("accepted:\n%s", text);
		print_message("refused: %s\n", err);
		if (strstr(err, bad[i].msg) == NULL)
			fail_msg("'%s' does not say '%s'", err, bad[i].msg);
		assert_null(strstr(err, "s3cret"));
		conf_free(&c);
	}
}

static void
test_new_refuses_bad_oid(void **state)
{
	struct probe_snmp_conf c;
	struct loop *l = loop_new();
	char err[256] = "";

	base_conf(&c, 2);
	snprintf(c.oid[PROBE_SNMP_SIGNAL], sizeof c.oid[0], "1.3.6.x");
	assert_null(probe_snmp_new(l, &c, err, sizeof err));
	assert_non_null(strstr(err, "signal_oid"));
	probe_snmp_free(NULL);
	loop_free(l);
}

/* ---- Power from sysfs ---- */

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;

	assert_true((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) < sizeof path);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
make_sysfs(char *root, size_t len)
{
	char d[512];

	snprintf(root, len, "%s/power_supply", fx.dir);
	mkdir(root, 0755);
	snprintf(d, sizeof d, "%s/AC", root);
	mkdir(d, 0755);
	write_file(d, "type", "Mains\n");
	write_file(d, "online", "1\n");
	snprintf(d, sizeof d, "%s/BAT0", root);
	mkdir(d, 0755);
	write_file(d, "type", "Battery\n");
	write_file(d, "capacity", "76\n");
	write_file(d, "voltage_now", "12600000\n");
	snprintf(d, sizeof d, "%s/hid-junk", root);
	mkdir(d, 0755);
	write_file(d, "type", "Battery\n");
	write_file(d, "capacity", "garbage\n");
}

static void
test_power_sysfs(void **state)
{
	struct sample s;
	char root[512], d[600];

	make_sysfs(root, sizeof root);
	memset(&s, 0, sizeof s);
	assert_int_equal(probe_power_sysfs(root, &s), 3);
	assert_true(metric(&s, M_POWER_MAINS_UP) == 1);
	assert_true(metric(&s, M_BATTERY_PCT) == 76);
	assert_true(fabs(metric(&s, M_SUPPLY_VOLTS) - 12.6) < 1e-9);

	/* Mains lost: 0, not missing. */
	snprintf(d, sizeof d, "%s/AC", root);
	write_file(d, "online", "0\n");
	memset(&s, 0, sizeof s);
	assert_int_equal(probe_power_sysfs(root, &s), 3);
	assert_true(metric(&s, M_POWER_MAINS_UP) == 0);
	write_file(d, "online", "1\n");

	/* No such directory: nothing, quietly. */
	memset(&s, 0, sizeof s);
	assert_int_equal(probe_power_sysfs("/nonexistent/power_supply", &s), 0);
	assert_int_equal(s.present, 0);
}

/* ---- Against snmpd ---- */

static void
test_v2c(void **state)
{
	struct probe_snmp_conf c;
	struct probe_snmp_result r;
	struct sample s1, s2;
	struct loop *l;
	struct probe_snmp *p;
	char err[256], got[64];
	double gap;

	NEED_SNMPD();
	base_conf(&c, 2);
	c.if_index = 1;		/* lo */
	snprintf(c.oid[PROBE_SNMP_SIGNAL], SNMP_OID_STR, OID_SIGNAL);
	snprintf(c.oid[PROBE_SNMP_NOISE], SNMP_OID_STR, OID_NOISE);
	snprintf(c.oid[PROBE_SNMP_SNR], SNMP_OID_STR, OID_GARBAGE);
	snprintf(c.oid[PROBE_SNMP_CCQ], SNMP_OID_STR, OID_CCQ);
	snprintf(c.oid[PROBE_SNMP_POWER], SNMP_OID_STR, OID_POWER);
	snprintf(c.oid[PROBE_SNMP_BATTERY], SNMP_OID_STR, OID_BATTERY);
	snprintf(c.oid[PROBE_SNMP_VOLTS], SNMP_OID_STR, "." OID_VOLTS);
	assert_non_null(l = loop_new());
	p = probe_snmp_new(l, &c, err, sizeof err);
	if (p == NULL)
		fail_msg("probe_snmp_new: %s", err);

	run_interval(l, p, 1.0, &s1, &r, NULL, &gap);
	assert_string_equal(r.state, "partial");	/* snr_oid answers "n/a" */
	assert_int_equal(snmpget("-v2c -c " COMMUNITY, OID_SIGNAL, got, sizeof got), 0);
	print_message("v2c: radio_signal_dbm %g, snmpget %s; noise %g; ccq %g; "
	    "power %g battery %g volts %g; if_oper_up %g; rtt %.2f ms; loop turn max %.1f ms\n",
	    metric(&s1, M_RADIO_SIGNAL_DBM), got, metric(&s1, M_RADIO_NOISE_DBM),
	    metric(&s1, M_RADIO_CCQ_PCT), metric(&s1, M_POWER_MAINS_UP),
	    metric(&s1, M_BATTERY_PCT), metric(&s1, M_SUPPLY_VOLTS), metric(&s1, M_IF_OPER_UP),
	    r.rtt_ms, gap * 1000);
	assert_true(metric(&s1, M_RADIO_SIGNAL_DBM) == atof(got));
	assert_true(metric(&s1, M_RADIO_SIGNAL_DBM) == -67);
	assert_true(metric(&s1, M_RADIO_NOISE_DBM) == -95);	/* from an OCTET STRING */
	assert_false(sample_has(&s1, M_RADIO_SNR_DB));		/* "n/a" */
	assert_true(r.stats.bad_value >= 1);
	assert_true(metric(&s1, M_RADIO_CCQ_PCT) == 87);
	assert_true(metric(&s1, M_POWER_MAINS_UP) == 1);
	assert_true(metric(&s1, M_BATTERY_PCT) == 76);
	assert_true(fabs(metric(&s1, M_SUPPLY_VOLTS) - 12.6) < 1e-9);
	assert_string_equal(r.power_source, "snmp");
	assert_true(metric(&s1, M_IF_OPER_UP) == 1);
	/* The first poll has no rates. */
	assert_false(sample_has(&s1, M_IF_RX_BPS));
	assert_false(sample_has(&s1, M_IF_TX_BPS));
	assert_false(sample_has(&s1, M_IF_ERRORS));
	assert_true(r.uptime_s > 0);

	run_interval(l, p, 1.0, &s2, &r, NULL, NULL);
	print_message("v2c second interval: if_rx_bps %g if_tx_bps %g if_errors %g "
	    "(%d-bit counters)\n", metric(&s2, M_IF_RX_BPS), metric(&s2, M_IF_TX_BPS),
	    metric(&s2, M_IF_ERRORS), r.counter_bits);
	assert_true(isfinite(metric(&s2, M_IF_RX_BPS)) && metric(&s2, M_IF_RX_BPS) >= 0);
	assert_true(isfinite(metric(&s2, M_IF_TX_BPS)) && metric(&s2, M_IF_TX_BPS) >= 0);
	assert_true(metric(&s2, M_IF_ERRORS) >= 0);
	assert_int_equal(r.counter_bits, 64);
	assert_true(metric(&s2, M_RADIO_SIGNAL_DBM) == -67);
	assert_int_equal(r.stats.timeouts, 0);
	assert_int_equal(r.stats.opens, 1);
	probe_snmp_free(p);
	loop_free(l);
}

/* Values in tenths, as MikroTik's mtxrHlVoltage: scaled into volts and
 * percent; a charge out of 0..100 without its scale is refused, and says
 * which key would fix it. */
static void
test_v2c_scaled(void **state)
{
	struct probe_snmp_conf c;
	struct probe_snmp_result r;
	struct sample s;
	struct loop *l;
	struct probe_snmp *p;
	char err[256];

	NEED_SNMPD();
	base_conf(&c, 2);
	snprintf(c.oid[PROBE_SNMP_VOLTS], SNMP_OID_STR, OID_VOLTS_D1);
	snprintf(c.oid[PROBE_SNMP_BATTERY], SNMP_OID_STR, OID_BATTERY_D1);
	assert_int_equal(snmp_scale_parse("0.1", &c.scale[PROBE_SNMP_VOLTS]), 0);
	assert_int_equal(snmp_scale_parse("0.1", &c.scale[PROBE_SNMP_BATTERY]), 0);
	c.power_sysfs[0] = '\0';
	assert_non_null(l = loop_new());
	assert_non_null(p = probe_snmp_new(l, &c, err, sizeof err));
	run_interval(l, p, 0.7, &s, &r, NULL, NULL);
	print_message("tenths x 0.1: supply_volts %.17g, battery_pct %.17g, state '%s'\n",
	    metric(&s, M_SUPPLY_VOLTS), metric(&s, M_BATTERY_PCT), r.state);
	assert_string_equal(r.state, "ok");
	assert_true(metric(&s, M_SUPPLY_VOLTS) == 24.5);
	assert_true(metric(&s, M_BATTERY_PCT) == 76.5);
	probe_snmp_free(p);

	/* The same charge without battery_scale: 765 is no percentage. */
	memset(&c.scale[PROBE_SNMP_BATTERY], 0, sizeof c.scale[0]);
	assert_non_null(p = probe_snmp_new(l, &c, err, sizeof err));
	run_interval(l, p, 0.7, &s, &r, NULL, NULL);
	print_message("no battery_scale: battery_pct %s, '%s'\n",
	    sample_has(&s, M_BATTERY_PCT) ? "SET" : "missing", r.error);
	assert_false(sample_has(&s, M_BATTERY_PCT));
	assert_true(metric(&s, M_SUPPLY_VOLTS) == 24.5);
	assert_string_equal(r.state, "partial");
	assert_non_null(strstr(r.error, "battery_oid: 765: not a percentage"));
	assert_non_null(strstr(r.error, "battery_scale"));
	probe_snmp_free(p);

	/* A scale that would make a percentage of it still checked after. */
	assert_int_equal(snmp_scale_parse("0.2", &c.scale[PROBE_SNMP_BATTERY]), 0);
	assert_non_null(p = probe_snmp_new(l, &c, err, sizeof err));
	run_interval(l, p, 0.7, &s, &r, NULL, NULL);
	assert_false(sample_has(&s, M_BATTERY_PCT));
	assert_non_null(strstr(r.error, "765 x battery_scale 0.2 = 153"));
	probe_snmp_free(p);

	/* A struct made by hand with a zero or negative scale is refused. */
	c.scale[PROBE_SNMP_VOLTS].num = -1;
	c.scale[PROBE_SNMP_VOLTS].den = 10;
	assert_null(probe_snmp_new(l, &c, err, sizeof err));
	assert_non_null(strstr(err, "volts_oid"));
	loop_free(l);
}

/* v1: no Counter64, so the 32-bit counters give the rates. */
static void
test_v1(void **state)
{
	struct probe_snmp_conf c;
	struct probe_snmp_result r;
	struct sample s;
	struct loop *l;
	struct probe_snmp *p;
	char err[256];

	NEED_SNMPD();
	base_conf(&c, 1);
	c.if_index = 1;
	snprintf(c.oid[PROBE_SNMP_SIGNAL], SNMP_OID_STR, OID_SIGNAL);
	snprintf(c.oid[PROBE_SNMP_SNR], SNMP_OID_STR, OID_MISSING);
	c.power_sysfs[0] = '\0';
	assert_non_null(l = loop_new());
	assert_non_null(p = probe_snmp_new(l, &c, err, sizeof err));
	run_interval(l, p, 0.7, &s, &r, NULL, NULL);
	run_interval(l, p, 0.7, &s, &r, NULL, NULL);
	assert_int_equal(r.counter_bits, 32);
	assert_true(metric(&s, M_IF_RX_BPS) >= 0);
	assert_true(metric(&s, M_RADIO_SIGNAL_DBM) == -67);
	/* v1 says noSuchName with an error-status: that value only is lost. */
	assert_false(sample_has(&s, M_RADIO_SNR_DB));
	assert_true(r.stats.err_status >= 1);
	print_message("v1: if_rx_bps %g (32-bit), err_status %lu for the missing OID\n",
	    metric(&s, M_IF_RX_BPS), r.stats.err_status);
	probe_snmp_free(p);
	loop_free(l);
}

static void
test_v3(void **state)
{
	struct probe_snmp_conf c;
	struct probe_snmp_result r;
	struct sample s1, s2;
	struct loop *l;
	struct probe_snmp *p;
	char err[256], got[64], root[200];
	double gap;

	NEED_SNMPD();
	base_conf(&c, 3);
	c.if_index = 1;
	snprintf(c.oid[PROBE_SNMP_SIGNAL], SNMP_OID_STR, OID_SIGNAL);
	snprintf(c.oid[PROBE_SNMP_SNR], SNMP_OID_STR, OID_MISSING);
	/* No power OID: power comes from (a test copy of) sysfs. */
	make_sysfs(root, sizeof root);
	snprintf(c.power_sysfs, sizeof c.power_sysfs, "%s", root);
	assert_non_null(l = loop_new());
	p = probe_snmp_new(l, &c, err, sizeof err);
	if (p == NULL)
		fail_msg("probe_snmp_new: %s", err);

	run_interval(l, p, 1.0, &s1, &r, NULL, &gap);
	assert_int_equal(snmpget("-v3 -l authPriv -u " V3_USER " -a SHA -A " V3_AUTH
	    " -x AES -X " V3_PRIV, OID_SIGNAL, got, sizeof got), 0);
	print_message("v3 authPriv SHA/AES: radio_signal_dbm %g, snmpget %s; if_oper_up %g; "
	    "power %g battery %g volts %g (%s); loop turn max %.1f ms\n",
	    metric(&s1, M_RADIO_SIGNAL_DBM), got, metric(&s1, M_IF_OPER_UP),
	    metric(&s1, M_POWER_MAINS_UP), metric(&s1, M_BATTERY_PCT),
	    metric(&s1, M_SUPPLY_VOLTS), r.power_source, gap * 1000);
	assert_true(metric(&s1, M_RADIO_SIGNAL_DBM) == atof(got));
	assert_true(metric(&s1, M_RADIO_SIGNAL_DBM) == -67);
	assert_true(metric(&s1, M_IF_OPER_UP) == 1);
	assert_false(sample_has(&s1, M_RADIO_SNR_DB));
	assert_true(r.stats.nosuch >= 1);
	assert_string_equal(r.power_source, "sysfs");
	assert_true(metric(&s1, M_POWER_MAINS_UP) == 1);
	assert_true(metric(&s1, M_BATTERY_PCT) == 76);
	assert_true(fabs(metric(&s1, M_SUPPLY_VOLTS) - 12.6) < 1e-9);
	assert_true(gap < 0.1 + emu_slack());

	run_interval(l, p, 1.0, &s2, &r, NULL, NULL);
	print_message("v3 second interval: if_rx_bps %g if_tx_bps %g\n",
	    metric(&s2, M_IF_RX_BPS), metric(&s2, M_IF_TX_BPS));
	assert_true(isfinite(metric(&s2, M_IF_RX_BPS)) && metric(&s2, M_IF_RX_BPS) >= 0);
	assert_int_equal(r.stats.sec_errors, 0);
	assert_int_equal(r.stats.timeouts, 0);
	probe_snmp_free(p);
	loop_free(l);
}

/* A wrong v3 password: engine discovery works (it is not authenticated),
 * the first request on the helper thread is refused; nothing measured, and
 * the technician reads why. Also: the keys of the earlier v3 test's session
 * (same user, same engine, right password) must not be reused. */
static void
test_v3_wrong_password(void **state)
{
	struct probe_snmp_conf c;
	struct probe_snmp_result r;
	struct sample s;
	struct loop *l;
	struct probe_snmp *p;
	char err[256];

	NEED_SNMPD();
	base_conf(&c, 3);
	snprintf(c.auth_pass, sizeof c.auth_pass, "not-the-password");
	snprintf(c.oid[PROBE_SNMP_SIGNAL], SNMP_OID_STR, OID_SIGNAL);
	c.power_sysfs[0] = '\0';
	assert_non_null(l = loop_new());
	assert_non_null(p = probe_snmp_new(l, &c, err, sizeof err));
	run_interval(l, p, 1.0, &s, &r, NULL, NULL);
	print_message("v3 wrong password: state '%s', error '%s', open_failed %lu\n",
	    r.state, r.error, r.stats.open_failed);
	assert_int_equal(s.present, 0);
	assert_string_equal(r.state, "open failed");
	assert_non_null(strstr(r.error, "Authentication failure"));
	assert_int_equal(r.stats.open_failed, 1);
	assert_null(strstr(r.error, "not-the-password"));
	probe_snmp_free(p);
	loop_free(l);
}

/* Nobody on the port: every metric missing, and the requests given up
 * within timeout x (retries + 1). */
static void
test_dead_host(void **state)
{
	struct probe_snmp_conf c;
	struct probe_snmp_result r;
	struct sample s;
	struct loop *l;
	struct probe_snmp *p;
	char err[256];
	double busy, gap, limit;

	NEED_SNMPD();	/* for the free-port logic only, but keeps the group uniform */
	base_conf(&c, 2);
	c.port = (unsigned)free_udp_port();
	c.if_index = 1;
	snprintf(c.oid[PROBE_SNMP_SIGNAL], SNMP_OID_STR, OID_SIGNAL);
	c.power_sysfs[0] = '\0';
	limit = c.timeout * (c.retries + 1);
	assert_non_null(l = loop_new());
	assert_non_null(p = probe_snmp_new(l, &c, err, sizeof err));
	run_interval(l, p, 1.2, &s, &r, &busy, &gap);
	print_message("dead host v2c: requests given up after %.3f s (timeout x tries = %.3f s), "
	    "loop turn max %.1f ms, timeouts %lu, state '%s'\n", busy, limit, gap * 1000,
	    r.stats.timeouts, r.state);
	assert_int_equal(s.present, 0);
	assert_true(busy > 0 && busy <= limit + 0.1 + emu_slack());
	assert_int_equal(r.stats.timeouts, 3);	/* IF, ifHC, signal */
	assert_string_equal(r.state, "no answer");
	assert_true(gap < 0.1 + emu_slack());
	probe_snmp_free(p);
	loop_free(l);
}

/* v3 to nobody: engine discovery fails on the helper thread within
 * timeout x tries, and the loop keeps turning meanwhile. */
static void
test_dead_host_v3(void **state)
{
	struct probe_snmp_conf c;
	struct probe_snmp_result r;
	struct sample s;
	struct loop *l;
	struct probe_snmp *p;
	char err[256];
	double t0, failed = -1, limit, gap = 0, g;

	NEED_SNMPD();
	base_conf(&c, 3);
	c.port = (unsigned)free_udp_port();
	snprintf(c.oid[PROBE_SNMP_SIGNAL], SNMP_OID_STR, OID_SIGNAL);
	c.power_sysfs[0] = '\0';
	limit = c.timeout * (c.retries + 1);
	assert_non_null(l = loop_new());
	t0 = clock_mono();
	assert_non_null(p = probe_snmp_new(l, &c, err, sizeof err));
	assert_true(clock_mono() - t0 < 0.05 + emu_slack());	/* new() did not wait */
	/* Short intervals, to see when the open gave up. */
	while (clock_mono() < t0 + 3) {
		run_interval(l, p, 0.05, &s, &r, NULL, &g);
		if (g > gap)
			gap = g;
		assert_int_equal(s.present, 0);
		if (strcmp(r.state, "open failed") == 0) {
			failed = clock_mono() - t0;
			break;
		}
		assert_string_equal(r.state, "opening");
	}
	print_message("dead host v3: '%s' after %.3f s (timeout x tries = %.3f s; seen at "
	    "50 ms intervals), loop turn max %.1f ms while discovery ran\n", r.error, failed,
	    limit, gap * 1000);
	/* Localising the keys (a megabyte of SHA each) comes on top of the
	 * timeouts: a router's CPU does it in tens of ms, qemu-user in up to a
	 * second. */
	assert_true(failed > 0 && failed <= limit + 0.1 + emu_slack());
	assert_int_equal(r.stats.open_failed, 1);
	assert_true(gap < 0.1 + emu_slack());
	/* No open under way (no interval started since): free() does not wait. */
	t0 = clock_mono();
	probe_snmp_free(p);
	assert_true(clock_mono() - t0 < 0.1 + emu_slack());
	loop_free(l);
}

/* ---- A fake agent that answers badly, in the same loop ---- */

enum fake_mode { FAKE_REQID, FAKE_ERRSTAT, FAKE_NULL, FAKE_WRONG_OID, FAKE_GARBAGE };

struct fake {
	int fd;
	enum fake_mode mode;
	int seen;
};

/* BER length at b[*pos]; short and long forms up to 2 bytes. */
static int
ber_len(const unsigned char *b, size_t n, size_t *pos, size_t *len)
{
	if (*pos >= n)
		return -1;
	if (b[*pos] < 0x80) {
		*len = b[(*pos)++];
		return 0;
	}
	int k = b[(*pos)++] & 0x7f;
	if (k < 1 || k > 2 || *pos + (size_t)k > n)
		return -1;
	*len = 0;
	while (k-- > 0)
		*len = *len << 8 | b[(*pos)++];
	return 0;
}

/* Expects tag at b[*pos]; leaves *pos at the content, *len its length. */
static int
ber_tag(const unsigned char *b, size_t n, size_t *pos, unsigned char tag, size_t *len)
{
	if (*pos >= n || b[*pos] != tag)
		return -1;
	(*pos)++;
	return ber_len(b, n, pos, len);
}

static void
fake_read(void *arg, int fd, short revents)
{
	struct fake *f = arg;
	unsigned char b[1500];
	struct sockaddr_storage from;
	socklen_t fl = sizeof from;
	size_t pos = 0, len, reqid_at, reqid_len, es_at, oid_end;
	ssize_t n = recvfrom(fd, b, sizeof b, 0, (struct sockaddr *)&from, &fl);

	if (n <= 0)
		return;
	f->seen++;
	/* Message { version, community, GetRequest { reqid, es, ei, vbs } } */
	if (ber_tag(b, (size_t)n, &pos, 0x30, &len) || ber_tag(b, (size_t)n, &pos, 0x02, &len))
		return;
	pos += len;
	if (ber_tag(b, (size_t)n, &pos, 0x04, &len))
		return;
	pos += len;
	if (pos >= (size_t)n || b[pos] != 0xa0)
		return;
	b[pos] = 0xa2;	/* GetResponse */
	if (ber_tag(b, (size_t)n, &pos, 0xa2, &len) || ber_tag(b, (size_t)n, &pos, 0x02, &len))
		return;
	reqid_at = pos;
	reqid_len = len;
	pos += len;
	es_at = pos;
	if (ber_tag(b, (size_t)n, &pos, 0x02, &len) || len != 1)
		return;
	pos += 1;
	if (ber_tag(b, (size_t)n, &pos, 0x02, &len) || len != 1)
		return;
	pos += 1;
	if (ber_tag(b, (size_t)n, &pos, 0x30, &len) || ber_tag(b, (size_t)n, &pos, 0x30, &len) ||
	    ber_tag(b, (size_t)n, &pos, 0x06, &len))
		return;
	oid_end = pos + len - 1;

	switch (f->mode) {
	case FAKE_REQID:
		b[reqid_at + reqid_len - 1] ^= 0x01;
		break;
	case FAKE_ERRSTAT:
		b[es_at + 2] = 5;	/* genErr */
		b[es_at + 5] = 1;	/* at the first varbind */
		break;
	case FAKE_NULL:
		break;		/* the request's NULL values, as they came */
	case FAKE_WRONG_OID:
		b[oid_end] ^= 0x01;
		break;
	case FAKE_GARBAGE:
		for (ssize_t i = 0; i < n; i++)
			b[i] = (unsigned char)(b[i] * 31 + 7);
		break;
	}
	(void)sendto(fd, b, (size_t)n, 0, (struct sockaddr *)&from, fl);
}

static void
test_hostile_answers(void **state)
{
	static const struct {
		enum fake_mode mode;
		const char *name;
	} modes[] = {
		{ FAKE_REQID, "other request id" },
		{ FAKE_ERRSTAT, "error-status genErr" },
		{ FAKE_NULL, "NULL values" },
		{ FAKE_WRONG_OID, "another OID" },
		{ FAKE_GARBAGE, "garbage bytes" },
	};
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof sin;
	struct fake f = { .fd = -1 };
	struct probe_snmp_conf c;
	struct probe_snmp_result r;
	struct sample s;
	struct loop *l;
	char err[256];

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((f.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) >= 0);
	assert_int_equal(bind(f.fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(f.fd, (struct sockaddr *)&sin, &sl), 0);
	assert_non_null(l = loop_new());
	assert_int_equal(loop_io_add(l, f.fd, POLLIN, fake_read, &f), 0);

	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		struct probe_snmp *p;
		double busy;

		base_conf(&c, 2);
		c.port = ntohs(sin.sin_port);
		c.timeout = 0.2;
		snprintf(c.oid[PROBE_SNMP_SIGNAL], SNMP_OID_STR, OID_SIGNAL);
		c.power_sysfs[0] = '\0';
		f.mode = modes[i].mode;
		f.seen = 0;
		assert_non_null(p = probe_snmp_new(l, &c, err, sizeof err));
		run_interval(l, p, 0.6, &s, &r, &busy, NULL);
		print_message("fake agent, %s: seen %d, metrics %s, answered %lu timeouts %lu "
		    "err_status %lu bad_type %lu wrong_oid %lu, done in %.3f s; '%s'\n",
		    modes[i].name, f.seen, s.present ? "SET" : "missing", r.stats.answered,
		    r.stats.timeouts, r.stats.err_status, r.stats.bad_type, r.stats.wrong_oid,
		    busy, r.error);
		assert_true(f.seen >= 1);
		assert_int_equal(s.present, 0);
		assert_true(busy > 0 && busy <= c.timeout * (c.retries + 1) + 0.1 + emu_slack());
		switch (modes[i].mode) {
		case FAKE_REQID:
		case FAKE_GARBAGE:
			/* net-snmp drops these itself: they end as timeouts. */
			assert_int_equal(r.stats.timeouts, 1);
			break;
		case FAKE_ERRSTAT:
			assert_int_equal(r.stats.err_status, 1);
			break;
		case FAKE_NULL:
			assert_int_equal(r.stats.bad_type, 1);
			break;
		case FAKE_WRONG_OID:
			assert_int_equal(r.stats.wrong_oid, 1);
			break;
		}
		probe_snmp_free(p);
	}
	loop_io_del(l, f.fd);
	close(f.fd);
	loop_free(l);
}

/* snmpd restarted between polls: its sysUpTime starts again, and the
 * interval after gives no rates (UNKNOWN, not a spike); the next one does. */
static void
test_device_restart(void **state)
{
	struct probe_snmp_conf c;
	struct probe_snmp_result r;
	struct sample s;
	struct loop *l;
	struct probe_snmp *p;
	char err[256];

	NEED_SNMPD();
	base_conf(&c, 2);
	c.if_index = 1;
	c.power_sysfs[0] = '\0';
	assert_non_null(l = loop_new());
	assert_non_null(p = probe_snmp_new(l, &c, err, sizeof err));
	run_interval(l, p, 0.5, &s, &r, NULL, NULL);
	run_interval(l, p, 0.5, &s, &r, NULL, NULL);
	assert_true(sample_has(&s, M_IF_RX_BPS));
	double before = r.uptime_s;

	snmpd_stop();
	assert_int_equal(snmpd_start(), 0);
	run_interval(l, p, 0.5, &s, &r, NULL, NULL);
	print_message("restart: sysUpTime %.2f s -> %.2f s, rates %s, restarts %lu, '%s'\n",
	    before, r.uptime_s, sample_has(&s, M_IF_RX_BPS) ? "SET" : "missing",
	    r.stats.restarts, r.error);
	assert_true(r.uptime_s < before);
	assert_false(sample_has(&s, M_IF_RX_BPS));
	assert_false(sample_has(&s, M_IF_ERRORS));
	assert_true(sample_has(&s, M_IF_OPER_UP));
	assert_int_equal(r.stats.restarts, 1);

	run_interval(l, p, 0.5, &s, &r, NULL, NULL);
	assert_true(sample_has(&s, M_IF_RX_BPS));
	probe_snmp_free(p);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_load),
		cmocka_unit_test(test_conf_scale),
		cmocka_unit_test(test_new_refuses_bad_oid),
		cmocka_unit_test(test_power_sysfs),
		cmocka_unit_test(test_v2c),
		cmocka_unit_test(test_v2c_scaled),
		cmocka_unit_test(test_v1),
		cmocka_unit_test(test_v3),
		cmocka_unit_test(test_v3_wrong_password),
		cmocka_unit_test(test_dead_host),
		cmocka_unit_test(test_dead_host_v3),
		cmocka_unit_test(test_hostile_answers),
		cmocka_unit_test(test_device_restart),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
