/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SNMP probe: one net-snmp single session per device, driven by the agent's
 * poll loop (its socket watched, its retransmission timeout as a loop
 * timer). Opening the session blocks -- a host name is resolved, and an
 * SNMPv3 session's first request discovers the engine ID synchronously --
 * so the open and, for v3, that first request run on a helper thread that
 * hands the session back through a pipe; from then on every send is
 * asynchronous. The thread and the loop never use net-snmp at the same
 * time for one probe: the loop has no session until the thread is done.
 */
#include "probe_snmp.h"
#include "clock.h"
#include "log.h"
#include "metric.h"
#include "probe_power.h"
#include "snmp_calc.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>


/* Closed and opened again (v3: engine discovered again) after this many
 * intervals without any answer: a replaced or factory-reset device has a
 * new engine ID, and a host name may point elsewhere now. */
#define REOPEN_AFTER	3

#define MAX_VB		8
#define MAX_RQ		(2 + PROBE_SNMP_NVAL)

/* The varbinds of the IF request, in order. */
enum { IFV_UPTIME, IFV_OPER, IFV_IN, IFV_OUT, IFV_INERR, IFV_OUTERR, IFV_SPEED, IFV_N };
/* ... and of the ifXTable request (not sent to v1 devices: no Counter64). */
enum { HCV_UPTIME, HCV_IN, HCV_OUT, HCV_N };

enum rq_kind { RQ_IF, RQ_HC, RQ_VAL };

struct probe_snmp;

struct rq {
	struct probe_snmp *p;
	enum rq_kind	 kind;
	int		 val;		/* RQ_VAL: enum probe_snmp_val */
	int		 nvb;
	oid		 name[MAX_VB][MAX_OID_LEN];
	size_t		 namelen[MAX_VB];
	int		 reqid;		/* in flight this interval; 0: none */
	double		 sent_at;
};

/* One poll of the interface. `got` has bit IFV_x set for each value read. */
struct ifpoll {
	unsigned	 got;
	uint32_t	 uptime;
	long		 oper;
	uint64_t	 in32, out32, inerr, outerr;
	double		 speed;
	double		 t;		/* when the IF answer came (monotonic) */
	bool		 has64;
	uint64_t	 in64, out64;
	uint32_t	 uptime64;	/* sysUpTime of the ifHC answer */
	double		 t64;
};

struct probe_snmp {
	struct loop	*loop;
	struct probe_snmp_conf conf;
	char		 target[300];

	/* The helper thread that opens the session. `mx` protects th_*. */
	pthread_mutex_t	 mx;
	bool		 mx_ok;
	pthread_t	 th;
	bool		 th_running;
	bool		 th_done;
	void		*th_sess;
	char		 th_err[192];
	int		 wake[2];	/* the thread writes a byte when done */

	void		*sess;		/* open single session, or NULL */
	bool		 closing;	/* snmp_sess_close runs our callbacks */
	int		 fds[4];
	int		 nfds;
	uint64_t	 timer;		/* net-snmp's next retransmission or timeout */

	struct rq	 rq[MAX_RQ];
	int		 nrq;

	/* This interval. */
	bool		 in_interval;
	bool		 sent;
	double		 start, duration;
	uint64_t	 send_timer;
	unsigned	 asked, answered;
	unsigned	 problems;	/* answers with something unusable */
	double		 first_rtt;
	struct ifpoll	 cur, prev;
	bool		 has_val[PROBE_SNMP_NVAL];
	double		 val[PROBE_SNMP_NVAL];
	char		 error[192];

	int		 silent;	/* intervals in a row without an answer */
	bool		 warned_timeout;
	struct probe_snmp_stats st;
	struct log_limit lim;
};

static const int val_metric[PROBE_SNMP_NVAL] = {
	M_RADIO_SIGNAL_DBM, M_RADIO_NOISE_DBM, M_RADIO_SNR_DB, M_RADIO_CCQ_PCT,
	M_POWER_MAINS_UP, M_BATTERY_PCT, M_SUPPLY_VOLTS
};
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void
lib_init(void)
{
	/*
	 * Numeric OIDs only: no MIB files (slow to parse, and a broken one
	 * would change what an OID string means), and nothing read from
	 * snmp.conf or ~/.snmp, nor saved there: the agent's config is the
	 * only input. No SIGALRM either: the loop drives the timeouts.
	 */
	setenv("MIBS", "", 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_NO_TOKEN_WARNINGS, 1);
	init_snmp("covmon-agent");
}


static int
oid_parse(const char *s, oid *name, size_t *len)
{
	char buf[SNMP_OID_STR + 2];

	if (!snmp_oid_syntax_ok(s))
		return -1;
	/* Absolute, so that net-snmp does not try a MIB-2 relative name. */
	if (snprintf(buf, sizeof buf, "%s%s", *s == '.' ? "" : ".", s) >= (int)sizeof buf)
		return -1;
	*len = MAX_OID_LEN;
	if (snmp_parse_oid(buf, name, len) == NULL)
		return -1;
	return 0;
}

static void
rq_add_oid(struct rq *r, const oid *name, size_t len)
{
	memcpy(r->name[r->nvb], name, len * sizeof(oid));
	r->namelen[r->nvb] = len;
	r->nvb++;
}

/* A column of ifTable (2.2.1) or ifXTable (31.1.1.1) for the interface. */
static void
rq_add_if(struct rq *r, int xtable, unsigned col, long if_index)
{
	static const oid if_entry[] = { 1, 3, 6, 1, 2, 1, 2, 2, 1 };
	static const oid ifx_entry[] = { 1, 3, 6, 1, 2, 1, 31, 1, 1, 1 };
	const oid *base = xtable ? ifx_entry : if_entry;
	size_t n = xtable ? OID_LENGTH(ifx_entry) : OID_LENGTH(if_entry);
	oid name[MAX_OID_LEN];

	memcpy(name, base, n * sizeof(oid));
	name[n] = col;
	name[n + 1] = (oid)if_index;
	rq_add_oid(r, name, n + 2);
}

static void
set_error(struct probe_snmp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_error(struct probe_snmp *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->error, sizeof p->error, fmt, ap);
	va_end(ap);
}

/* ---- The helper thread that opens the session ---- */

static int
session_keys(const struct probe_snmp_conf *c, netsnmp_session *s, char *err, size_t errlen)
{
	static struct { oid *proto; size_t len; } auth[] = {
		[PROBE_SNMP_AUTH_MD5] = { usmHMACMD5AuthProtocol, OID_LENGTH(usmHMACMD5AuthProtocol) },
		[PROBE_SNMP_AUTH_SHA] = { usmHMACSHA1AuthProtocol, OID_LENGTH(usmHMACSHA1AuthProtocol) },
		[PROBE_SNMP_AUTH_SHA224] = { usmHMAC128SHA224AuthProtocol,
		    OID_LENGTH(usmHMAC128SHA224AuthProtocol) },
		[PROBE_SNMP_AUTH_SHA256] = { usmHMAC192SHA256AuthProtocol,
		    OID_LENGTH(usmHMAC192SHA256AuthProtocol) },
		[PROBE_SNMP_AUTH_SHA384] = { usmHMAC256SHA384AuthProtocol,
		    OID_LENGTH(usmHMAC256SHA384AuthProtocol) },
		[PROBE_SNMP_AUTH_SHA512] = { usmHMAC384SHA512AuthProtocol,
		    OID_LENGTH(usmHMAC384SHA512AuthProtocol) },
	};

	s->securityName = (char *)c->user;
	s->securityNameLen = strlen(c->user);
	s->securityLevel = c->level;
	if (c->level == PROBE_SNMP_NOAUTH)
		return 0;
	if (c->auth <= PROBE_SNMP_AUTH_NONE || c->auth > PROBE_SNMP_AUTH_SHA512) {
		snprintf(err, errlen, "no authentication protocol");
		return -1;
	}
	s->securityAuthProto = auth[c->auth].proto;
	s->securityAuthProtoLen = auth[c->auth].len;
	s->securityAuthKeyLen = USM_AUTH_KU_LEN;
	if (generate_Ku(s->securityAuthProto, (u_int)s->securityAuthProtoLen,
	    (const u_char *)c->auth_pass, strlen(c->auth_pass), s->securityAuthKey,
	    &s->securityAuthKeyLen) != SNMPERR_SUCCESS) {
		snprintf(err, errlen, "cannot derive the authentication key");
		return -1;
	}
	if (c->level != PROBE_SNMP_AUTHPRIV)
		return 0;
	s->securityPrivProto = usmAESPrivProtocol;
	s->securityPrivProtoLen = OID_LENGTH(usmAESPrivProtocol);
	s->securityPrivKeyLen = USM_PRIV_KU_LEN;
	/* The privacy key is derived with the authentication hash (RFC 3826). */
	if (generate_Ku(s->securityAuthProto, (u_int)s->securityAuthProtoLen,
	    (const u_char *)c->priv_pass, strlen(c->priv_pass), s->securityPrivKey,
	    &s->securityPrivKeyLen) != SNMPERR_SUCCESS) {
		snprintf(err, errlen, "cannot derive the privacy key");
		return -1;
	}
	return 0;
}

/*
 * net-snmp keeps one USM user entry per (engine, name) for the process and
 * reuses it when a session names that user again: the keys of the first
 * session would win over new passwords (a config reload, a fixed typo).
 * Dropped before each open, so the entry is made from this config.
 */
static void
usm_forget(const char *name)
{
	struct usmUser *u;

again:
	for (u = usm_get_userList(); u != NULL; u = u->next) {
		if (u->secName != NULL && strcmp(u->secName, name) == 0) {
			usm_remove_user(u);
			usm_free_user(u);
			goto again;	/* the list changed under us */
		}
	}
}

/*
 * net-snmp 5.9 discovers the engine ID (and the engine's boots and time)
 * on the first request of a v3 session, synchronously, whichever send call
 * makes it: inside snmp_sess_async_send it would stop the loop for up to
 * timeout x tries. So the first request goes out here, on this thread.
 */
static int
v3_first_contact(void *sess, char *err, size_t errlen)
{
	static const oid sys_uptime[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
	netsnmp_pdu *pdu, *resp = NULL;
	int st, rc = -1;

	if ((pdu = snmp_pdu_create(SNMP_MSG_GET)) == NULL ||
	    snmp_add_null_var(pdu, sys_uptime, OID_LENGTH(sys_uptime)) == NULL) {
		snmp_free_pdu(pdu);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st = snmp_sess_synch_response(sess, pdu, &resp);
	if (st == STAT_SUCCESS && resp != NULL && resp->command == SNMP_MSG_RESPONSE)
		rc = 0;
	else if (st == STAT_TIMEOUT)
		snprintf(err, errlen, "no answer to SNMPv3 engine discovery");
	else if (st == STAT_SUCCESS && resp != NULL)
		snprintf(err, errlen, "%s", snmp_api_errstring(snmpv3_get_report_type(resp)));
	else {
		char *msg = NULL;
		int syserr, liberr;

		snmp_sess_error(sess, &syserr, &liberr, &msg);
		snprintf(err, errlen, "engine discovery or first request: %s",
		    msg != NULL ? msg : "failed");
		free(msg);
	}
	if (resp != NULL)
		snmp_free_pdu(resp);
	return rc;
}

static void *
open_thread(void *arg)
{
	struct probe_snmp *p = arg;
	const struct probe_snmp_conf *c = &p->conf;	/* read-only while we run */
	netsnmp_session s;
	char peer[300], err[192] = "";
	void *sess = NULL;

	snmp_sess_init(&s);
	if (snprintf(peer, sizeof peer, strchr(c->host, ':') ? "udp6:[%s]:%u" : "udp:%s:%u",
	    c->host, c->port) >= (int)sizeof peer) {
		snprintf(err, sizeof err, "host name too long");
		goto done;
	}
	s.peername = peer;
	s.timeout = (long)(c->timeout * 1e6);
	s.retries = c->retries;
	switch (c->version) {
	case 1:
		s.version = SNMP_VERSION_1;
		break;
	case 2:
		s.version = SNMP_VERSION_2c;
		break;
	default:
		s.version = SNMP_VERSION_3;
		break;
	}
	if (c->version != 3) {
		s.community = (u_char *)c->community;
		s.community_len = strlen(c->community);
	} else {
		if (session_keys(c, &s, err, sizeof err) == -1)
			goto done;
		usm_forget(c->user);
	}

	sess = snmp_sess_open(&s);
	if (sess == NULL) {
		char *msg = NULL;
		int liberr, syserr;

		snmp_error(&s, &liberr, &syserr, &msg);
		snprintf(err, sizeof err, "%s", msg ? msg : "cannot open the session");
		free(msg);
		goto done;
	}
	if (c->version == 3 && v3_first_contact(sess, err, sizeof err) == -1) {
		snmp_sess_close(sess);
		sess = NULL;
	}
done:
	explicit_bzero(s.securityAuthKey, sizeof s.securityAuthKey);
	explicit_bzero(s.securityPrivKey, sizeof s.securityPrivKey);
	pthread_mutex_lock(&p->mx);
	p->th_sess = sess;
	p->th_done = true;
	memcpy(p->th_err, err, sizeof p->th_err);
	pthread_mutex_unlock(&p->mx);
	/* A full pipe already holds a wake-up: nothing to add. */
	(void)!write(p->wake[1], "x", 1);
	return NULL;
}

static int
open_begin(struct probe_snmp *p)
{
	sigset_t all, old;
	int rc;

	pthread_mutex_lock(&p->mx);
	p->th_done = false;
	p->th_sess = NULL;
	pthread_mutex_unlock(&p->mx);
	/* Signals belong to the loop's thread, which turns them into flags. */
	sigfillset(&all);
	if ((rc = pthread_sigmask(SIG_SETMASK, &all, &old)) != 0) {
		set_error(p, "pthread_sigmask: %s", strerror(rc));
		return -1;
	}
	rc = pthread_create(&p->th, NULL, open_thread, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		set_error(p, "cannot start the session thread: %s", strerror(rc));
		log_warnx("snmp %s: %s", p->target, p->error);
		return -1;
	}
	p->th_running = true;
	return 0;
}

/* ---- The session in the loop ---- */

static void update_io(struct probe_snmp *p);
static void send_all(struct probe_snmp *p);

static void
on_readable(void *arg, int fd, short revents)
{
	struct probe_snmp *p = arg;
	netsnmp_large_fd_set fds;

	if (p->sess == NULL)
		return;
	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	NETSNMP_LARGE_FD_SET(fd, &fds);
	/* Parses, matches the request and runs on_response; -1 is a bad
	 * packet or a socket error, both already counted by net-snmp. */
	(void)snmp_sess_read2(p->sess, &fds);
	netsnmp_large_fd_set_cleanup(&fds);
	update_io(p);
}

static void
on_timer(void *arg)
{
	struct probe_snmp *p = arg;

	p->timer = 0;
	if (p->sess == NULL)
		return;
	/* Retransmits, or gives up on requests out of tries (on_response
	 * with NETSNMP_CALLBACK_OP_TIMED_OUT). */
	snmp_sess_timeout(p->sess);
	update_io(p);
}

static void
watch_fd(struct probe_snmp *p, int fd)
{
	for (int i = 0; i < p->nfds; i++)
		if (p->fds[i] == fd)
			return;
	if (p->nfds == (int)(sizeof p->fds / sizeof p->fds[0])) {
		log_limited(&p->lim, "snmp %s: too many sockets", p->target);
		return;
	}
	if (loop_io_add(p->loop, fd, POLLIN, on_readable, p) == -1) {
		log_limited(&p->lim, "snmp %s: cannot watch socket: out of memory", p->target);
		return;
	}
	p->fds[p->nfds++] = fd;
}

/* After anything that may change net-snmp's sockets or deadlines. */
static void
update_io(struct probe_snmp *p)
{
	netsnmp_large_fd_set fds;
	struct timeval tv = { 0, 0 };
	int numfds = 0, block = 1;

	if (p->timer != 0) {
		loop_timer_cancel(p->loop, p->timer);
		p->timer = 0;
	}
	if (p->sess == NULL)
		return;
	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	/* NOALARMS: net-snmp's own alarms are not used, and a registered one
	 * that nobody runs would make the timeout zero for ever. */
	(void)snmp_sess_select_info2_flags(p->sess, &numfds, &fds, &tv, &block,
	    NETSNMP_SELECT_NOALARMS);
	for (int fd = 0; fd < numfds; fd++)
		if (NETSNMP_LARGE_FD_ISSET(fd, &fds))
			watch_fd(p, fd);
	netsnmp_large_fd_set_cleanup(&fds);
	if (block)
		return;	/* nothing in flight */
	double at = clock_mono() + (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
	p->timer = loop_timer_at(p->loop, at, on_timer, p);
	if (p->timer == 0)
		log_limited(&p->lim, "snmp %s: cannot add a timer: out of memory", p->target);
}

static void
close_session(struct probe_snmp *p)
{
	if (p->sess == NULL)
		return;
	for (int i = 0; i < p->nfds; i++)
		loop_io_del(p->loop, p->fds[i]);
	p->nfds = 0;
	if (p->timer != 0) {
		loop_timer_cancel(p->loop, p->timer);
		p->timer = 0;
	}
	/* snmp_sess_close calls back for every request still in flight. */
	p->closing = true;
	snmp_sess_close(p->sess);
	p->closing = false;
	p->sess = NULL;
	for (int i = 0; i < p->nrq; i++)
		p->rq[i].reqid = 0;
}

static void
on_wake(void *arg, int fd, short revents)
{
	struct probe_snmp *p = arg;
	char buf[16];
	void *sess;
	bool done;
	int rc;

	while (read(fd, buf, sizeof buf) > 0)
		continue;
	pthread_mutex_lock(&p->mx);
	done = p->th_done;
	sess = p->th_sess;
	p->th_sess = NULL;
	p->th_done = false;
	pthread_mutex_unlock(&p->mx);
	if (!done || !p->th_running)
		return;
	/* The thread has said its last word: this join does not wait. */
	if ((rc = pthread_join(p->th, NULL)) != 0)
		log_warnx("snmp %s: pthread_join: %s", p->target, strerror(rc));
	p->th_running = false;
	if (sess == NULL) {
		p->st.open_failed++;
		set_error(p, "cannot open the session: %s", p->th_err);
		log_limited(&p->lim, "snmp %s: %s", p->target, p->error);
		return;
	}
	p->sess = sess;
	p->st.opens++;
	log_info("snmp %s: session open", p->target);
	if (p->in_interval && !p->sent && p->send_timer == 0)
		send_all(p);
}

/* ---- Answers ---- */

static const char *
val_reason(enum snmp_val v)
{
	switch (v) {
	case SNMP_VAL_NOSUCH: return "no such object";
	case SNMP_VAL_BADTYPE: return "not a number type";
	case SNMP_VAL_BADVALUE: return "not a number";
	default: return "ok";
	}
}

static void
count_val(struct probe_snmp *p, enum snmp_val v, const netsnmp_variable_list *vb)
{
	char name[160];

	p->problems++;
	switch (v) {
	case SNMP_VAL_NOSUCH: p->st.nosuch++; break;
	case SNMP_VAL_BADTYPE: p->st.bad_type++; break;
	default: p->st.bad_value++; break;
	}
	if (snprint_objid(name, sizeof name, vb->name, vb->name_length) < 0)
		snprintf(name, sizeof name, "?");
	set_error(p, "%s: %s (type 0x%02x)", name, val_reason(v), (unsigned)vb->type);
}

/* The value of a counter-like varbind of exactly `type`. */
static int
take_unsigned(struct probe_snmp *p, const netsnmp_variable_list *vb, unsigned type,
    uint64_t *out)
{
	enum snmp_val v;
	int bits;

	v = snmp_value_unsigned(vb->type, vb->val.string, vb->val_len, out, &bits);
	if (v == SNMP_VAL_OK && vb->type != type)
		v = SNMP_VAL_BADTYPE;
	if (v != SNMP_VAL_OK) {
		count_val(p, v, vb);
		return -1;
	}
	return 0;
}

static void
take_if(struct probe_snmp *p, int i, const netsnmp_variable_list *vb)
{
	struct ifpoll *c = &p->cur;
	uint64_t u;
	double d;
	enum snmp_val v;

	switch (i) {
	case IFV_UPTIME:
		if (take_unsigned(p, vb, SNMP_T_TIMETICKS, &u) == 0) {
			c->uptime = (uint32_t)u;
			c->got |= 1U << i;
		}
		break;
	case IFV_OPER:
		v = snmp_value_double(vb->type, vb->val.string, vb->val_len, &d);
		if (v == SNMP_VAL_OK && vb->type != SNMP_T_INTEGER)
			v = SNMP_VAL_BADTYPE;
		if (v == SNMP_VAL_OK && (d < 1 || d > 7))
			v = SNMP_VAL_BADVALUE;	/* RFC 2863: up(1) .. lowerLayerDown(7) */
		if (v != SNMP_VAL_OK) {
			count_val(p, v, vb);
			break;
		}
		c->oper = (long)d;
		c->got |= 1U << i;
		break;
	case IFV_SPEED:
		if (take_unsigned(p, vb, SNMP_T_GAUGE, &u) == 0) {
			c->speed = (double)u;
			c->got |= 1U << i;
		}
		break;
	default:
		if (take_unsigned(p, vb, SNMP_T_COUNTER, &u) == 0) {
			switch (i) {
			case IFV_IN: c->in32 = u; break;
			case IFV_OUT: c->out32 = u; break;
			case IFV_INERR: c->inerr = u; break;
			default: c->outerr = u; break;
			}
			c->got |= 1U << i;
		}
		break;
	}
}

static void
take_val(struct probe_snmp *p, int val, const netsnmp_variable_list *vb)
{
	enum snmp_val v;
	double raw, d;

	v = snmp_value_double(vb->type, vb->val.string, vb->val_len, &raw);
	if (v != SNMP_VAL_OK) {
		count_val(p, v, vb);
		return;
	}
	/* In the metric's unit (volts_scale, battery_scale) before any check. */
	d = snmp_scale_apply(&p->conf.scale[val], raw);
	if ((val == PROBE_SNMP_CCQ || val == PROBE_SNMP_BATTERY) && (d < 0 || d > 100)) {
		const struct snmp_scale *sc = &p->conf.scale[val];

		count_val(p, SNMP_VAL_BADVALUE, vb);
		if (sc->den != 0)
			set_error(p, "%s: %g x battery_scale %g = %g: not a percentage "
			    "(0 to 100)", probe_snmp_oid_key[val], raw, sc->num / sc->den, d);
		else
			set_error(p, "%s: %g: not a percentage (0 to 100)%s", probe_snmp_oid_key[val], raw,
			    val == PROBE_SNMP_BATTERY ? "; a device that counts in other units "
			    "needs battery_scale" : "");
		return;
	}
	if (val == PROBE_SNMP_POWER)
		d = d != 0;
	p->val[val] = d;
	p->has_val[val] = true;
}

static void
take_response(struct probe_snmp *p, struct rq *r, netsnmp_pdu *pdu)
{
	const netsnmp_variable_list *vb;
	uint64_t hc[HCV_N];
	unsigned hcgot = 0;
	int i;

	if (pdu->command == SNMP_MSG_REPORT) {
		/* v3: unknown user, wrong password, unsupported level... */
		p->st.sec_errors++;
		p->problems++;
		set_error(p, "the device refused the request: %s",
		    snmp_api_errstring(snmpv3_get_report_type(pdu)));
		return;
	}
	if (pdu->command != SNMP_MSG_RESPONSE) {
		p->st.wrong_oid++;
		p->problems++;
		set_error(p, "unexpected PDU type 0x%02x", (unsigned)pdu->command);
		return;
	}
	p->st.answered++;
	if (p->answered++ == 0)
		p->first_rtt = (clock_mono() - r->sent_at) * 1000;
	if (pdu->errstat != SNMP_ERR_NOERROR) {
		/* The whole request is void: which varbind is to blame is
		 * advisory, and v1 stops at the first bad one. */
		p->st.err_status++;
		p->problems++;
		set_error(p, "error-status %s (%ld) at varbind %ld",
		    snmp_errstring((int)pdu->errstat), pdu->errstat, pdu->errindex);
		return;
	}
	for (i = 0, vb = pdu->variables; vb != NULL; vb = vb->next_variable, i++) {
		if (i >= r->nvb || snmp_oid_compare(vb->name, vb->name_length, r->name[i],
		    r->namelen[i]) != 0) {
			p->st.wrong_oid++;
			p->problems++;
			set_error(p, "answer names another OID than asked (varbind %d)", i + 1);
			continue;
		}
		switch (r->kind) {
		case RQ_IF:
			take_if(p, i, vb);
			break;
		case RQ_HC:
			if (take_unsigned(p, vb, i == HCV_UPTIME ? SNMP_T_TIMETICKS :
			    SNMP_T_COUNTER64, &hc[i]) == 0)
				hcgot |= 1U << i;
			break;
		case RQ_VAL:
			take_val(p, r->val, vb);
			break;
		}
	}
	if (i < r->nvb) {
		p->st.wrong_oid++;
		p->problems++;
		set_error(p, "answer with %d of %d varbinds", i, r->nvb);
	}
	if (r->kind == RQ_IF)
		p->cur.t = clock_mono();
	if (r->kind == RQ_HC && hcgot == (1U << HCV_N) - 1) {
		p->cur.has64 = true;
		p->cur.in64 = hc[HCV_IN];
		p->cur.out64 = hc[HCV_OUT];
		p->cur.uptime64 = (uint32_t)hc[HCV_UPTIME];
		p->cur.t64 = clock_mono();
	}
}

static int
on_response(int op, netsnmp_session *session, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct rq *r = magic;
	struct probe_snmp *p = r->p;

	/* A retransmission: the request is still in flight. */
	if (p->closing || op == NETSNMP_CALLBACK_OP_RESEND)
		return 1;
	if (reqid == 0 || reqid != r->reqid) {
		/* Sent in an interval that has ended: its slot moved on. */
		p->st.stale++;
		return 1;
	}
	r->reqid = 0;
	switch (op) {
	case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
		take_response(p, r, pdu);
		break;
	case NETSNMP_CALLBACK_OP_TIMED_OUT:
		p->st.timeouts++;
		p->problems++;
		set_error(p, "no answer within %g s (%d tries)", p->conf.timeout,
		    p->conf.retries + 1);
		break;
	case NETSNMP_CALLBACK_OP_SEC_ERROR:
		p->st.sec_errors++;
		p->problems++;
		set_error(p, "security error: %s",
		    snmp_api_errstring(session != NULL ? session->s_snmp_errno : SNMPERR_GENERR));
		break;
	default:
		p->st.send_failed++;
		p->problems++;
		set_error(p, "request failed (net-snmp operation %d)", op);
		break;
	}
	return 1;
}

static void
send_all(struct probe_snmp *p)
{
	double now = clock_mono();

	p->sent = true;
	for (int i = 0; i < p->nrq; i++) {
		struct rq *r = &p->rq[i];
		netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
		int id;

		if (pdu == NULL) {
			p->st.send_failed++;
			set_error(p, "out of memory");
			continue;
		}
		for (int v = 0; v < r->nvb; v++) {
			if (snmp_add_null_var(pdu, r->name[v], r->namelen[v]) == NULL) {
				snmp_free_pdu(pdu);
				pdu = NULL;
				break;
			}
		}
		if (pdu == NULL) {
			p->st.send_failed++;
			set_error(p, "out of memory");
			continue;
		}
		/* The request that was still in flight, if any, is abandoned:
		 * its answer will be counted stale. */
		id = snmp_sess_async_send(p->sess, pdu, on_response, r);
		if (id == 0) {
			netsnmp_session *s = snmp_sess_session(p->sess);

			snmp_free_pdu(pdu);
			p->st.send_failed++;
			set_error(p, "send failed: %s",
			    snmp_api_errstring(s != NULL ? s->s_snmp_errno : SNMPERR_GENERR));
			continue;
		}
		r->reqid = id;
		r->sent_at = now;
		p->st.sent++;
		p->asked++;
	}
	update_io(p);
}

static void
on_send_timer(void *arg)
{
	struct probe_snmp *p = arg;

	p->send_timer = 0;
	if (p->sess != NULL && p->in_interval && !p->sent)
		send_all(p);
}

/* ---- Public ---- */

bool
probe_snmp_built(void)
{
	return true;
}

struct probe_snmp *
probe_snmp_new(struct loop *l, const struct probe_snmp_conf *conf, char *err, size_t errlen)
{
	struct probe_snmp *p;
	const char *v;
	int rc;

	if (conf->version != 1 && conf->version != 2 && conf->version != 3) {
		snprintf(err, errlen, "snmp: version %d: expected 1, 2 (2c) or 3", conf->version);
		return NULL;
	}
	if (conf->host[0] == '\0' || conf->port == 0 || conf->port > 65535) {
		snprintf(err, errlen, "snmp: host and a port 1 to 65535 are needed");
		return NULL;
	}
	if (!(conf->timeout > 0 && conf->timeout <= 60) || conf->retries < 0 ||
	    conf->retries > 10) {
		snprintf(err, errlen, "snmp: timeout must be 0 to 60 s and retries 0 to 10");
		return NULL;
	}
	if (conf->version == 3 && conf->user[0] == '\0') {
		snprintf(err, errlen, "snmp: version 3 needs a user");
		return NULL;
	}
	for (int i = 0; i < PROBE_SNMP_NVAL; i++) {
		const struct snmp_scale *sc = &conf->scale[i];

		if (sc->den != 0 && !(sc->num > 0 && sc->den > 0 &&
		    sc->num / sc->den <= SNMP_SCALE_MAX)) {
			snprintf(err, errlen, "snmp: the scale of %s must be above 0 and at "
			    "most %.0f", probe_snmp_oid_key[i], SNMP_SCALE_MAX);
			return NULL;
		}
	}
	if ((p = calloc(1, sizeof *p)) == NULL) {
		snprintf(err, errlen, "snmp: out of memory");
		return NULL;
	}
	p->loop = l;
	p->conf = *conf;
	p->wake[0] = p->wake[1] = -1;
	p->lim = (struct log_limit)LOG_LIMIT_INIT(5, 600);
	p->first_rtt = NAN;
	p->cur.speed = p->prev.speed = NAN;
	v = conf->version == 1 ? "v1" : conf->version == 2 ? "v2c" : "v3";
	snprintf(p->target, sizeof p->target, "%s:%u %s", conf->host, conf->port, v);

	pthread_once(&lib_once, lib_init);

	if (conf->if_index > 0) {
		static const oid sys_uptime[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
		struct rq *r = &p->rq[p->nrq++];

		r->kind = RQ_IF;
		rq_add_oid(r, sys_uptime, OID_LENGTH(sys_uptime));
		rq_add_if(r, 0, 8, conf->if_index);	/* ifOperStatus */
		rq_add_if(r, 0, 10, conf->if_index);	/* ifInOctets */
		rq_add_if(r, 0, 16, conf->if_index);	/* ifOutOctets */
		rq_add_if(r, 0, 14, conf->if_index);	/* ifInErrors */
		rq_add_if(r, 0, 20, conf->if_index);	/* ifOutErrors */
		rq_add_if(r, 0, 5, conf->if_index);	/* ifSpeed */
		/* Apart, so that a device without ifXTable (an error-status
		 * for the whole request under v1 rules) loses only these. */
		if (conf->version != 1) {
			r = &p->rq[p->nrq++];
			r->kind = RQ_HC;
			rq_add_oid(r, sys_uptime, OID_LENGTH(sys_uptime));
			rq_add_if(r, 1, 6, conf->if_index);	/* ifHCInOctets */
			rq_add_if(r, 1, 10, conf->if_index);	/* ifHCOutOctets */
		}
	}
	for (int i = 0; i < PROBE_SNMP_NVAL; i++) {
		struct rq *r;

		if (conf->oid[i][0] == '\0')
			continue;
		/* One request per value: an error-status voids one metric. */
		r = &p->rq[p->nrq++];
		r->kind = RQ_VAL;
		r->val = i;
		r->nvb = 1;
		if (oid_parse(conf->oid[i], r->name[0], &r->namelen[0]) == -1) {
			snprintf(err, errlen, "snmp: %s '%s': expected a numeric OID", probe_snmp_oid_key[i],
			    conf->oid[i]);
			goto fail;
		}
	}
	for (int i = 0; i < p->nrq; i++)
		p->rq[i].p = p;

	if ((rc = pthread_mutex_init(&p->mx, NULL)) != 0) {
		snprintf(err, errlen, "snmp: pthread_mutex_init: %s", strerror(rc));
		goto fail;
	}
	p->mx_ok = true;
	if (pipe2(p->wake, O_NONBLOCK | O_CLOEXEC) == -1) {
		snprintf(err, errlen, "snmp: pipe: %s", strerror(errno));
		goto fail;
	}
	if (loop_io_add(l, p->wake[0], POLLIN, on_wake, p) == -1) {
		snprintf(err, errlen, "snmp: out of memory");
		close(p->wake[0]);
		close(p->wake[1]);
		p->wake[0] = p->wake[1] = -1;
		goto fail;
	}
	if (open_begin(p) == -1) {
		snprintf(err, errlen, "snmp: %s", p->error);
		goto fail;
	}
	return p;
fail:
	probe_snmp_free(p);
	return NULL;
}

void
probe_snmp_start(struct probe_snmp *p, double start, double duration)
{
	if (p->send_timer != 0) {
		loop_timer_cancel(p->loop, p->send_timer);
		p->send_timer = 0;
	}
	p->in_interval = true;
	p->sent = false;
	p->start = start;
	p->duration = duration;
	if (!p->warned_timeout && p->conf.timeout * (p->conf.retries + 1) > duration) {
		p->warned_timeout = true;
		log_warnx("snmp %s: timeout_ms x (retries + 1) is longer than the interval: "
		    "late answers will be ignored", p->target);
	}
	if (p->sess == NULL && !p->th_running)
		(void)open_begin(p);	/* logged; tried again next interval */
	if (start > clock_mono()) {
		p->send_timer = loop_timer_at(p->loop, start, on_send_timer, p);
		if (p->send_timer != 0)
			return;
	}
	if (p->sess != NULL)
		send_all(p);
}

int
probe_snmp_pending(const struct probe_snmp *p)
{
	int n = 0;

	for (int i = 0; i < p->nrq; i++)
		if (p->rq[i].reqid != 0)
			n++;
	return n;
}

bool
probe_snmp_done(const struct probe_snmp *p)
{
	return p->in_interval && p->sent && probe_snmp_pending(p) == 0;
}

static void
if_metrics(struct probe_snmp *p, struct sample *s, int *n, int *bits)
{
	struct ifpoll *c = &p->cur, *o = &p->prev;
	uint64_t din, dout, e1, e2;
	double el, rx = 0, tx = 0;

	if (c->got & (1U << IFV_OPER)) {
		sample_set(s, M_IF_OPER_UP, c->oper == 1);
		(*n)++;
	}
	/* Without sysUpTime a restart cannot be told from traffic: no rates,
	 * and the previous poll stays the reference. */
	if (!(c->got & (1U << IFV_UPTIME)))
		return;
	if (!(o->got & (1U << IFV_UPTIME)))
		goto baseline;
	el = c->t - o->t;
	if (snmp_uptime_restarted(o->uptime, c->uptime, el)) {
		p->st.restarts++;
		set_error(p, "device restarted (sysUpTime %.0f s, was %.0f s): no rates this interval",
		    c->uptime / 100.0, o->uptime / 100.0);
		log_limited(&p->lim, "snmp %s: %s", p->target, p->error);
		goto baseline;
	}
	/* Rates over the device's time between the answers (snmp_calc.h). */
	double el64 = snmp_uptime_elapsed(o->uptime64, c->uptime64, c->t64 - o->t64);
	double el32 = snmp_uptime_elapsed(o->uptime, c->uptime, el);
	if (c->has64 && o->has64 &&
	    snmp_counter_delta(o->in64, c->in64, 64, &din) == 0 &&
	    snmp_counter_delta(o->out64, c->out64, 64, &dout) == 0 &&
	    snmp_rate(din, el64, 8, &rx) == 0 && snmp_rate(dout, el64, 8, &tx) == 0) {
		*bits = 64;
	} else if ((c->got & o->got & (3U << IFV_IN)) == (3U << IFV_IN) &&
	    snmp_counter_delta(o->in32, c->in32, 32, &din) == 0 &&
	    snmp_counter_delta(o->out32, c->out32, 32, &dout) == 0 &&
	    snmp_rate(din, el32, 8, &rx) == 0 && snmp_rate(dout, el32, 8, &tx) == 0) {
		if (snmp_counter32_ambiguous((c->got & (1U << IFV_SPEED)) ? c->speed : 0, el)) {
			set_error(p, "32-bit counters may have wrapped more than once in %.0f s "
			    "at %.0f bit/s: no rates (ifHCInOctets needs version 2c or 3)", el,
			    c->speed);
		} else
			*bits = 32;
	}
	if (*bits != 0) {
		sample_set(s, M_IF_RX_BPS, rx);
		sample_set(s, M_IF_TX_BPS, tx);
		*n += 2;
	}
	/* Errors "per interval" only when the previous poll was the previous
	 * interval; after missed polls the delta would span several. */
	if ((c->got & o->got & (3U << IFV_INERR)) == (3U << IFV_INERR) &&
	    el < 1.5 * p->duration &&
	    snmp_counter_delta(o->inerr, c->inerr, 32, &e1) == 0 &&
	    snmp_counter_delta(o->outerr, c->outerr, 32, &e2) == 0) {
		sample_set(s, M_IF_ERRORS, (double)(e1 + e2));
		(*n)++;
	}
baseline:
	*o = *c;
}

int
probe_snmp_finish(struct probe_snmp *p, struct sample *s, struct probe_snmp_result *res)
{
	bool snmp_power = false;
	const char *power = "none";
	int n = 0, bits = 0;

	p->in_interval = false;
	if (p->send_timer != 0) {
		loop_timer_cancel(p->loop, p->send_timer);
		p->send_timer = 0;
	}
	/* Answers still to come belong to an interval that is over. */
	for (int i = 0; i < p->nrq; i++)
		p->rq[i].reqid = 0;

	if (p->conf.if_index > 0)
		if_metrics(p, s, &n, &bits);
	for (int i = 0; i < PROBE_SNMP_NVAL; i++) {
		if (i >= PROBE_SNMP_POWER && p->conf.oid[i][0] != '\0')
			snmp_power = true;
		if (p->has_val[i]) {
			sample_set(s, val_metric[i], p->val[i]);
			n++;
			if (i >= PROBE_SNMP_POWER)
				power = "snmp";
		}
	}
	if (!snmp_power && p->conf.power_sysfs[0] != '\0') {
		int k = probe_power_sysfs(p->conf.power_sysfs, s);
		if (k > 0)
			power = "sysfs";
		n += k;
	}

	if (res != NULL) {
		memset(res, 0, sizeof *res);
		snprintf(res->target, sizeof res->target, "%s", p->target);
		if (p->sess == NULL)
			res->state = p->th_running ? "opening" : "open failed";
		else if (p->asked > 0 && p->answered == 0)
			res->state = "no answer";
		else if (p->answered < p->asked || p->problems > 0)
			res->state = "partial";
		else
			res->state = "ok";
		snprintf(res->error, sizeof res->error, "%s", p->error);
		res->counter_bits = bits;
		res->rtt_ms = p->first_rtt;
		res->uptime_s = (p->cur.got & (1U << IFV_UPTIME)) ? p->cur.uptime / 100.0 : NAN;
		res->asked = p->asked;
		res->answered = p->answered;
		res->power_source = power;
		res->stats = p->st;
	}

	if (p->asked > 0 && p->answered == 0) {
		if (++p->silent >= REOPEN_AFTER && p->sess != NULL) {
			log_limited(&p->lim, "snmp %s: no answer for %d intervals: opening the "
			    "session again", p->target, p->silent);
			close_session(p);
			p->silent = 0;
		}
	} else if (p->answered > 0)
		p->silent = 0;

	memset(&p->cur, 0, sizeof p->cur);
	p->cur.speed = NAN;
	memset(p->has_val, 0, sizeof p->has_val);
	p->asked = p->answered = p->problems = 0;
	p->first_rtt = NAN;
	p->error[0] = '\0';
	return n;
}

void
probe_snmp_free(struct probe_snmp *p)
{
	int rc;

	if (p == NULL)
		return;
	if (p->th_running) {
		/* At most the open timeout: the thread cannot be interrupted
		 * inside net-snmp, and it uses p. */
		if ((rc = pthread_join(p->th, NULL)) != 0)
			log_warnx("snmp %s: pthread_join: %s", p->target, strerror(rc));
		if (p->th_sess != NULL)
			snmp_sess_close(p->th_sess);
	}
	close_session(p);
	if (p->send_timer != 0)
		loop_timer_cancel(p->loop, p->send_timer);
	if (p->wake[0] != -1) {
		loop_io_del(p->loop, p->wake[0]);
		close(p->wake[0]);
		close(p->wake[1]);
	}
	if (p->mx_ok)
		pthread_mutex_destroy(&p->mx);
	explicit_bzero(&p->conf, sizeof p->conf);
	free(p);
}
