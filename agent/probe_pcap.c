/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pcap probe: opens the capture as root, then lives in the agent's
 * poll loop. Immediate mode and a non-blocking handle, because libpcap
 * otherwise waits for a buffer to fill and blocks on an idle link; reads
 * are batched (PCAP_DISPATCH_MAX) so a flood cannot hold the loop.
 */
#include "probe_pcap.h"
#include "clock.h"
#include "log.h"

#include <sys/socket.h>

#include <ifaddrs.h>
#include <inttypes.h>
#include <math.h>
#include <netpacket/packet.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

/* After a read error (interface gone down) the fd may stay readable with
 * nothing to read: wait this long before watching it again. */
#define RETRY_AFTER	1.0

struct probe_pcap {
	struct loop *loop;
	struct probe_pcap_conf conf;
	pcap_t *h;
	int fd;
	bool watching;          /* fd registered with the loop */
	uint64_t retry_timer;
	struct pcap_analyze *pa;
	bool started;
	double start;           /* monotonic, of this interval */
	bool have_drops;
	unsigned int drops;     /* ps_drop at the last finish (wraps) */
	struct log_limit lim;
};

bool
probe_pcap_built(void)
{
	return true;
}

/* The interface's hardware address, or -1 when it has none we can use. */
static int
iface_mac(const char *name, uint8_t mac[6])
{
	struct ifaddrs *ifa, *i;
	int rc = -1;

	if (getifaddrs(&ifa) == -1)
		return -1;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_PACKET ||
		    strcmp(i->ifa_name, name) != 0)
			continue;
		const struct sockaddr_ll *sll = (const struct sockaddr_ll *)i->ifa_addr;
		if (sll->sll_halen == 6) {
			memcpy(mac, sll->sll_addr, 6);
			rc = 0;
		}
		break;
	}
	freeifaddrs(ifa);
	return rc;
}

static int
set_filter(pcap_t *h, const char *filter, const char *what, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (filter[0] == '\0')
		return 0;
	if (pcap_compile(h, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == -1) {
		snprintf(err, errlen, "%s: filter '%s': %s", what, filter, pcap_geterr(h));
		return -1;
	}
	if (pcap_setfilter(h, &prog) == -1) {
		snprintf(err, errlen, "%s: filter '%s': %s", what, filter, pcap_geterr(h));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

static struct pcap_analyze *
analyser_new(const struct probe_pcap_conf *conf, int linktype, const char *what,
    char *err, size_t errlen)
{
	struct pcap_analyze_conf ac;
	struct pcap_analyze *pa;
	char why[128];

	if (!pcap_analyze_linktype_ok(linktype)) {
		const char *name = pcap_datalink_val_to_name(linktype);
		snprintf(err, errlen, "%s: link type %s (%d) is not supported: Ethernet, "
		    "Linux cooked or raw IP expected", what, name ? name : "unknown",
		    linktype);
		return NULL;
	}
	memset(&ac, 0, sizeof ac);
	ac.linktype = linktype;
	ac.has_own_mac = conf->has_own_mac;
	memcpy(ac.own_mac, conf->own_mac, sizeof ac.own_mac);
	ac.max_flows = conf->max_flows;
	ac.max_clients = conf->max_clients;
	if ((pa = pcap_analyze_new(&ac, why, sizeof why)) == NULL)
		snprintf(err, errlen, "%s: %s", what, why);
	return pa;
}

static void
on_packet(u_char *user, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
	struct pcap_analyze *pa = (struct pcap_analyze *)(void *)user;

	pcap_analyze_packet(pa, (int64_t)hdr->ts.tv_sec * 1000000 + hdr->ts.tv_usec,
	    hdr->caplen, hdr->len, bytes);
}

static void on_readable(void *arg, int fd, short revents);

static void
retry_watch(void *arg)
{
	struct probe_pcap *p = arg;

	p->retry_timer = 0;
	if (loop_io_add(p->loop, p->fd, POLLIN, on_readable, p) == 0)
		p->watching = true;
	else if ((p->retry_timer = loop_timer_at(p->loop, clock_mono() + RETRY_AFTER,
	    retry_watch, p)) == 0)
		log_warnx("pcap %s: out of memory: capture stopped", p->conf.interface);
}

/* Returns the packets read, or -1 after a read error. */
static int
read_batch(struct probe_pcap *p)
{
	int n = pcap_dispatch(p->h, PCAP_DISPATCH_MAX, on_packet, (u_char *)(void *)p->pa);

	if (n == -1)
		log_limited(&p->lim, "pcap %s: read: %s", p->conf.interface,
		    pcap_geterr(p->h));
	return n < 0 ? -1 : n;
}

static void
on_readable(void *arg, int fd, short revents)
{
	struct probe_pcap *p = arg;

	if (read_batch(p) == -1 && p->watching) {
		/* Do not spin on an fd that stays ready: look again later. */
		loop_io_del(p->loop, p->fd);
		p->watching = false;
		p->retry_timer = loop_timer_at(p->loop, clock_mono() + RETRY_AFTER,
		    retry_watch, p);
		if (p->retry_timer == 0)
			log_warnx("pcap %s: out of memory: capture stopped",
			    p->conf.interface);
	}
}

struct probe_pcap *
probe_pcap_new(struct loop *l, const struct probe_pcap_conf *conf, char *err, size_t errlen)
{
	struct probe_pcap *p;
	char ebuf[PCAP_ERRBUF_SIZE] = "", what[PCAP_IFNAME_MAX + 32];
	int rc;

	if ((p = calloc(1, sizeof *p)) == NULL) {
		snprintf(err, errlen, "pcap: out of memory");
		return NULL;
	}
	p->loop = l;
	p->conf = *conf;
	p->fd = -1;
	p->lim = (struct log_limit)LOG_LIMIT_INIT(3, 60);
	snprintf(what, sizeof what, "pcap interface %s", conf->interface);

	if ((p->h = pcap_create(conf->interface, ebuf)) == NULL) {
		snprintf(err, errlen, "%s: %s", what, ebuf);
		goto fail;
	}
	if (pcap_set_snaplen(p->h, PCAP_SNAPLEN) != 0 ||
	    pcap_set_promisc(p->h, conf->promisc) != 0 ||
	    pcap_set_immediate_mode(p->h, 1) != 0 ||
	    pcap_set_timeout(p->h, 100) != 0 ||
	    pcap_set_buffer_size(p->h, (int)(conf->buffer_kb * 1024)) != 0) {
		snprintf(err, errlen, "%s: cannot set capture options", what);
		goto fail;
	}
	rc = pcap_activate(p->h);
	if (rc < 0) {
		/* Some codes come with no text (no such device, permission). */
		const char *msg = pcap_geterr(p->h);
		snprintf(err, errlen, "%s: %s%s%s", what, pcap_statustostr(rc),
		    msg[0] ? ": " : "", msg);
		goto fail;
	}
	if (rc > 0)
		log_warnx("%s: %s: %s", what, pcap_statustostr(rc), pcap_geterr(p->h));

	if (!p->conf.has_own_mac && pcap_datalink(p->h) == DLT_EN10MB) {
		if (iface_mac(conf->interface, p->conf.own_mac) == 0)
			p->conf.has_own_mac = true;
		else
			log_warnx("%s: no hardware address: set own_mac for tx/rx "
			    "and clients", what);
	}
	if (set_filter(p->h, conf->filter, what, err, errlen) == -1)
		goto fail;
	if ((p->pa = analyser_new(&p->conf, pcap_datalink(p->h), what, err, errlen)) == NULL)
		goto fail;
	if (pcap_setnonblock(p->h, 1, ebuf) == -1) {
		snprintf(err, errlen, "%s: non-blocking mode: %s", what, ebuf);
		goto fail;
	}
	if ((p->fd = pcap_get_selectable_fd(p->h)) == -1) {
		snprintf(err, errlen, "%s: no selectable file descriptor", what);
		goto fail;
	}
	if (loop_io_add(l, p->fd, POLLIN, on_readable, p) == -1) {
		snprintf(err, errlen, "%s: out of memory", what);
		goto fail;
	}
	p->watching = true;
	p->start = clock_mono();
	return p;
fail:
	probe_pcap_free(p);
	return NULL;
}

static void
read_drops(struct probe_pcap *p, struct sample *s)
{
	struct pcap_stat ps;

	if (pcap_stats(p->h, &ps) == -1) {
		log_limited(&p->lim, "pcap %s: stats: %s", p->conf.interface,
		    pcap_geterr(p->h));
		p->have_drops = false;
		return;
	}
	/* The counter is an unsigned int: the difference is right across a wrap. */
	if (p->have_drops && s != NULL)
		sample_set(s, M_PCAP_DROP, (double)(unsigned int)(ps.ps_drop - p->drops));
	p->drops = ps.ps_drop;
	p->have_drops = true;
}

void
probe_pcap_start(struct probe_pcap *p, double start, double duration)
{
	p->start = start;
	if (!p->started) {
		/* Before the first interval the loop may not have run for
		 * a while (start-up, privilege drop): what piled up then is
		 * not this interval's. */
		(void)read_batch(p);
		pcap_analyze_reset(p->pa);
		read_drops(p, NULL);
		p->started = true;
	}
}

void
probe_pcap_finish(struct probe_pcap *p, struct sample *s)
{
	double now = clock_mono(), elapsed = now - p->start;

	(void)read_batch(p);
	pcap_analyze_finish(p->pa, elapsed, s);
	read_drops(p, s);
	p->start = now;
}

void
probe_pcap_stats(const struct probe_pcap *p, struct pcap_analyze_stats *st)
{
	pcap_analyze_stats(p->pa, st);
}

bool
probe_pcap_own_mac(const struct probe_pcap *p, uint8_t mac[6])
{
	if (p->conf.has_own_mac)
		memcpy(mac, p->conf.own_mac, 6);
	return p->conf.has_own_mac;
}

void
probe_pcap_free(struct probe_pcap *p)
{
	if (p == NULL)
		return;
	if (p->watching)
		loop_io_del(p->loop, p->fd);
	if (p->retry_timer != 0)
		loop_timer_cancel(p->loop, p->retry_timer);
	if (p->h != NULL)
		pcap_close(p->h);
	pcap_analyze_free(p->pa);
	free(p);
}

/* The offline mode's packet callback: the analyser, and the latest time. */
struct file_run {
	struct pcap_analyze *pa;
	uint64_t n;
	int64_t last;
};

static void
on_file_packet(u_char *user, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
	struct file_run *r = (struct file_run *)(void *)user;
	int64_t ts = (int64_t)hdr->ts.tv_sec * 1000000 + hdr->ts.tv_usec;

	pcap_analyze_packet(r->pa, ts, hdr->caplen, hdr->len, bytes);
	if (r->n++ == 0 || ts > r->last)
		r->last = ts;
}

int
probe_pcap_run_file_stats(const struct probe_pcap_conf *conf, const char *path,
    struct sample *s, struct pcap_analyze_stats *st, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_analyze *pa = NULL;
	struct file_run r = { 0 };
	pcap_t *h;
	double span;
	int rc;

	h = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (h == NULL) {
		snprintf(err, errlen, "%s: %s", path, ebuf);
		return -1;
	}
	/* libpcap reads a file with two freads a packet, and glibc's stdio
	 * takes the stream's lock for each (two atomic operations): a sixth
	 * of the time on the bench's file. Only this thread uses the stream. */
	(void)__fsetlocking(pcap_file(h), FSETLOCKING_BYCALLER);
	if (set_filter(h, conf->filter, path, err, errlen) == -1)
		goto fail;
	if ((pa = analyser_new(conf, pcap_datalink(h), path, err, errlen)) == NULL)
		goto fail;
	/* The whole file in one call (a count of -1 reads to its end), where
	 * pcap_next_ex enters the reader once a packet. 0 is the end. */
	r.pa = pa;
	while ((rc = pcap_dispatch(h, -1, on_file_packet, (u_char *)(void *)&r)) > 0)
		;
	/* A cut-off or corrupt file: its values would be of an unknown part. */
	if (rc != 0) {
		snprintf(err, errlen, "%s: after packet %" PRIu64 ": %s", path, r.n,
		    pcap_geterr(h));
		goto fail;
	}
	span = pcap_analyze_span(pa);
	if (r.n > 0) {
		s->ts = (int64_t)ceil((double)r.last / 1e6);
		s->interval = span < 1 ? 1 : span > SAMPLE_MAX_INTERVAL ?
		    SAMPLE_MAX_INTERVAL : (uint32_t)ceil(span);
	}
	pcap_analyze_finish(pa, span, s);
	if (st != NULL)
		pcap_analyze_stats(pa, st);
	pcap_analyze_free(pa);
	pcap_close(h);
	return 0;
fail:
	pcap_analyze_free(pa);
	pcap_close(h);
	return -1;
}

int
probe_pcap_run_file(const struct probe_pcap_conf *conf, const char *path,
    struct sample *s, char *err, size_t errlen)
{
	return probe_pcap_run_file_stats(conf, path, s, NULL, err, errlen);
}
