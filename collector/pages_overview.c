/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The overview (/), the national view, and a province (/province/<id>):
 * communes worst first and the map of its hamlets.
 */
#include "pages_int.h"

/* Keeps the TOP_N largest keys seen (ties: the first one stays first). */
struct top {
	size_t idx[TOP_N];
	double key[TOP_N];
	int n;
};

static void
top_add(struct top *t, size_t idx, double key)
{
	int i = t->n < TOP_N ? t->n++ : TOP_N;

	if (i == TOP_N && !(key > t->key[TOP_N - 1]))
		return;
	if (i == TOP_N)
		i = TOP_N - 1;
	while (i > 0 && key > t->key[i - 1]) {
		t->idx[i] = t->idx[i - 1];
		t->key[i] = t->key[i - 1];
		i--;
	}
	t->idx[i] = idx;
	t->key[i] = key;
}

static void
worst_loss(struct page *p)
{
	struct top t = { .n = 0 };

	for (size_t i = 0; i < p->inv->nhamlets; i++) {
		double l = p->cov->hamlets[i].loss_pct;
		if (isfinite(l) && l > 0)
			top_add(&t, i, l);
	}
	pg_pf(p, "<h2>%s <small>(%s ", pg_tr(p, T_WORST_LOSS), pg_tr(p, T_WINDOW));
	pg_duration(p, p->env->thr ? p->env->thr->window : 0);
	pg_put(p, ")</small></h2>\n");
	if (t.n == 0) {
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NONE_LOSS));
		return;
	}
	pg_pf(p, "<div class=\"scroll\"><table class=\"stack\"><thead><tr><th>%s</th><th>%s</th>"
	    "<th class=\"num\">%s</th><th class=\"num\">%s</th><th>%s</th></tr></thead><tbody>\n",
	    pg_tr(p, T_HAMLET), pg_tr(p, T_COMMUNE), pg_tr(p, T_LOSS), pg_tr(p, T_RTT), pg_tr(p, T_STATE));
	for (int k = 0; k < t.n; k++) {
		size_t i = t.idx[k];
		const struct hamlet_eval *e = &p->cov->hamlets[i];
		pg_pf(p, "<tr><td class=\"name\" data-label=\"%s\">", pg_tr(p, T_HAMLET));
		pg_link_hamlet(p, i);
		pg_pf(p, "</td><td data-label=\"%s\">", pg_tr(p, T_COMMUNE));
		pg_link_commune(p, (size_t)p->inv->hamlets[i].commune);
		pg_pf(p, "</td><td class=\"num\" data-label=\"%s\">", pg_tr(p, T_LOSS));
		pg_pct(p, e->loss_pct);
		pg_pf(p, "</td><td class=\"num\" data-label=\"%s\">", pg_tr(p, T_RTT));
		pg_num(p, e->rtt_ms, pg_ms_dec(e->rtt_ms), "ms");
		pg_pf(p, "</td><td data-label=\"%s\">", pg_tr(p, T_STATE));
		pg_badge(p, e->state);
		pg_put(p, "</td></tr>\n");
	}
	pg_put(p, "</tbody></table></div>\n");
}

static void
worst_downtime(struct page *p)
{
	struct pages_downtime rows[TOP_N];
	const struct pages_source *src = p->env->src;
	int n = -1;

	pg_pf(p, "<h2>%s <small>(%s)</small></h2>\n", pg_tr(p, T_WORST_DOWN), pg_tr(p, T_LAST_7_DAYS));
	if (src != NULL && src->worst_downtime != NULL)
		n = src->worst_downtime(src->arg, p->env->now - WEEK, p->env->now, rows, TOP_N);
	if (n < 0) {
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NO_DB));
		return;
	}
	/* The DB may name hamlets a reload removed: those are left out. */
	int shown = 0;
	for (int k = 0; k < n && k < TOP_N; k++) {
		const struct inv_hamlet *h = inventory_hamlet(p->inv, rows[k].hamlet);
		if (h == NULL || !(rows[k].seconds >= 1))
			continue;
		size_t i = (size_t)(h - p->inv->hamlets);
		if (shown++ == 0)
			pg_pf(p, "<div class=\"scroll\"><table class=\"stack\"><thead><tr><th>%s</th>"
			    "<th>%s</th><th class=\"num\">%s</th><th>%s</th></tr>"
			    "</thead><tbody>\n", pg_tr(p, T_HAMLET), pg_tr(p, T_COMMUNE), pg_tr(p, T_DOWNTIME),
			    pg_tr(p, T_STATE));
		pg_pf(p, "<tr><td class=\"name\" data-label=\"%s\">", pg_tr(p, T_HAMLET));
		pg_link_hamlet(p, i);
		pg_pf(p, "</td><td data-label=\"%s\">", pg_tr(p, T_COMMUNE));
		pg_link_commune(p, (size_t)h->commune);
		pg_pf(p, "</td><td class=\"num\" data-label=\"%s\">", pg_tr(p, T_DOWNTIME));
		pg_duration(p, rows[k].seconds);
		pg_pf(p, "</td><td data-label=\"%s\">", pg_tr(p, T_STATE));
		pg_badge(p, p->cov->hamlets[i].state);
		pg_put(p, "</td></tr>\n");
	}
	if (shown == 0)
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NONE_DOWN));
	else
		pg_put(p, "</tbody></table></div>\n");
}

static void
communes_behind(struct page *p)
{
	struct top t = { .n = 0 };

	for (size_t i = 0; i < p->inv->ncommunes; i++) {
		const struct rollup *ru = &p->cov->communes[i];
		double gap = ru->target_pct - ru->covered_pct;
		if (isfinite(gap) && gap > 0)
			top_add(&t, i, gap);
	}
	pg_pf(p, "<h2>%s</h2>\n", pg_tr(p, T_BEHIND));
	if (t.n == 0) {
		pg_pf(p, "<p class=\"muted\">%s</p>\n", pg_tr(p, T_NONE_BEHIND));
		return;
	}
	pg_pf(p, "<div class=\"scroll\"><table class=\"stack\"><thead><tr><th>%s</th>"
	    "<th class=\"hide-sm\">%s</th>", pg_tr(p, T_COMMUNE), pg_tr(p, T_PROVINCE));
	pg_target_headers(p);
	pg_pf(p, "<th class=\"num\">%s</th></tr></thead><tbody>\n", pg_tr(p, T_SHORTFALL));
	for (int k = 0; k < t.n; k++) {
		size_t i = t.idx[k];
		pg_pf(p, "<tr><td class=\"name\" data-label=\"%s\">", pg_tr(p, T_COMMUNE));
		pg_link_commune(p, i);
		pg_pf(p, "</td><td class=\"hide-sm\" data-label=\"%s\">", pg_tr(p, T_PROVINCE));
		pg_link_province(p, (size_t)p->inv->communes[i].province);
		pg_put(p, "</td>");
		pg_target_cells(p, &p->cov->communes[i]);
		pg_pf(p, "<td class=\"num\" data-label=\"%s\">", pg_tr(p, T_SHORTFALL));
		pg_pf(p, "%.1f&nbsp;%%", t.key[k]);
		pg_put(p, "</td></tr>\n");
	}
	pg_put(p, "</tbody></table></div>\n");
}

void
page_overview(struct page *p)
{
	pg_head(p, pg_tr(p, T_TITLE_OVERVIEW), "/");
	pg_pf(p, "<h1>%s</h1>\n", pg_tr(p, T_TITLE_OVERVIEW));
	pg_blind_note(p);
	pg_pf(p, "<div class=\"scroll\"><table class=\"scopes stack\"><thead><tr><th>%s</th>",
	    pg_tr(p, T_PROVINCE));
	pg_target_headers(p);
	pg_count_headers(p);
	pg_pf(p, "<th class=\"num hide-sm\">%s</th></tr></thead><tbody>\n", pg_tr(p, T_OVERDUE));
	for (size_t i = 0; i < p->inv->nprovinces; i++) {
		const struct rollup *ru = &p->cov->provinces[i];
		pg_pf(p, "<tr><td class=\"name\" data-label=\"%s\">", pg_tr(p, T_PROVINCE));
		pg_link_province(p, i);
		pg_put(p, "</td>");
		pg_target_cells(p, ru);
		pg_count_cells(p, ru);
		pg_pf(p, "<td class=\"num hide-sm\" data-label=\"%s\">%u</td></tr>\n",
		    pg_tr(p, T_OVERDUE), ru->overdue);
	}
	if (p->inv->nprovinces > 1) {
		const struct rollup *ru = &p->cov->all;
		pg_pf(p, "<tr class=\"all\"><td class=\"name\">%s</td><td class=\"num\" "
		    "data-label=\"%s\"><b>", pg_tr(p, T_ALL), pg_tr(p, T_COVERED));
		pg_pct(p, ru->covered_pct);
		pg_put(p, "</b></td><td class=\"empty\"></td><td class=\"empty\"></td>"
		    "<td class=\"hide-sm\"></td>");
		pg_count_cells(p, ru);
		pg_pf(p, "<td class=\"num hide-sm\" data-label=\"%s\">%u</td></tr>\n",
		    pg_tr(p, T_OVERDUE), ru->overdue);
	}
	pg_put(p, "</tbody></table></div>\n");
	pg_firing_alerts(p);
	communes_behind(p);
	worst_loss(p);
	worst_downtime(p);
	pg_foot(p);
}

/* --- the national view: the provinces' summaries --- */

void
page_national(struct page *p, const char *url, struct pages_out *out)
{
	const struct pages_national *nv = p->env->national;
	struct rollup all;

	if (strcmp(url, "/") != 0) {
		out->status = 404;
		pg_notice_page(p, url, pg_tr(p, T_NOT_FOUND), pg_tr(p, T_NATIONAL_ONLY), NULL);
		return;
	}
	pg_head(p, pg_tr(p, T_TITLE_NATIONAL), "/");
	pg_pf(p, "<h1>%s</h1>\n<p class=\"muted\">", pg_tr(p, T_TITLE_NATIONAL));
	pg_esc(p, pg_tr(p, T_NATIONAL_NOTE));
	pg_put(p, "</p>\n");
	if (nv->n == 0) {
		pg_put(p, "<p class=\"card warn\">");
		pg_esc(p, pg_tr(p, T_NO_SUMMARY));
		pg_put(p, "</p>\n");
		pg_foot(p);
		return;
	}
	pg_pf(p, "<div class=\"scroll\"><table class=\"scopes stack\"><thead><tr><th>%s</th>",
	    pg_tr(p, T_PROVINCE));
	pg_target_headers(p);
	pg_count_headers(p);
	pg_pf(p, "<th class=\"num hide-sm\">%s</th><th>%s</th></tr></thead><tbody>\n",
	    pg_tr(p, T_OVERDUE), pg_tr(p, T_UPDATED));
	for (size_t i = 0; i < nv->n; i++) {
		const struct national_summary *x = &nv->provinces[i];
		bool stale = national_age(x, p->env->now) > nv->stale_after;
		pg_pf(p, "<tr%s><td class=\"name\" data-label=\"%s\">", stale ? " class=\"stale\"" : "",
		    pg_tr(p, T_PROVINCE));
		pg_esc(p, x->name);
		pg_put(p, "</td>");
		pg_target_cells(p, &x->ru);
		pg_count_cells(p, &x->ru);
		pg_pf(p, "<td class=\"num hide-sm\" data-label=\"%s\">%u</td><td data-label=\"%s\">",
		    pg_tr(p, T_OVERDUE), x->ru.overdue, pg_tr(p, T_UPDATED));
		pg_ago(p, x->evaluated_at > 0 ? x->evaluated_at : x->received_at);
		if (stale) {
			pg_put(p, " <span class=\"badge m-stale\">");
			pg_esc(p, pg_tr(p, T_OUT_OF_DATE));
			pg_put(p, "</span>");
		}
		pg_put(p, "</td></tr>\n");
	}
	if (nv->n > 1) {
		national_total(nv->provinces, nv->n, &all);
		pg_pf(p, "<tr class=\"all\"><td class=\"name\">%s</td><td class=\"num\" "
		    "data-label=\"%s\"><b>", pg_tr(p, T_ALL), pg_tr(p, T_COVERED));
		pg_pct(p, all.covered_pct);
		pg_put(p, "</b></td><td class=\"empty\"></td><td class=\"empty\"></td>"
		    "<td class=\"hide-sm\"></td>");
		pg_count_cells(p, &all);
		pg_pf(p, "<td class=\"num hide-sm\" data-label=\"%s\">%u</td><td class=\"empty\">"
		    "</td></tr>\n", pg_tr(p, T_OVERDUE), all.overdue);
	}
	pg_put(p, "</tbody></table></div>\n");
	pg_foot(p);
}

/* --- a province: communes worst first, and the map --- */

static int
commune_cmp(const void *a, const void *b, void *arg)
{
	const struct coverage *cov = arg;
	const struct rollup *x = &cov->communes[*(const size_t *)a];
	const struct rollup *y = &cov->communes[*(const size_t *)b];
	/* red, yellow, green, no target; then the lowest covered %. */
	int rx = x->colour == COLOUR_NONE ? 9 : -x->colour;
	int ry = y->colour == COLOUR_NONE ? 9 : -y->colour;
	double px = isfinite(x->covered_pct) ? x->covered_pct : -1;
	double py = isfinite(y->covered_pct) ? y->covered_pct : -1;

	if (rx != ry)
		return rx < ry ? -1 : 1;
	if (px != py)
		return px < py ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* The map's projection: Web Mercator in world units (0..1 across and
 * down), so that a tile layer lines up with the dots. */
static double
merc_x(double lon)
{
	return (lon + 180) / 360;
}

static double
merc_y(double lat)
{
	double r = fmax(fmin(lat, 85.05), -85.05) * M_PI / 180;
	return (1 - asinh(tan(r)) / M_PI) / 2;
}

/* Where the map puts world point (u, v): centred on (u_mid, v_mid). */
struct map_frame {
	double scale, w, h, u_mid, v_mid;
};
#define FX(m, u)	((m)->w / 2 + ((u) - (m)->u_mid) * (m)->scale)
#define FY(m, v)	((m)->h / 2 + ((v) - (m)->v_mid) * (m)->scale)

/* A text put on the map, for keeping names apart (viewBox units). */
struct map_box {
	double x0, y0, x1, y1;
};

/* How wide a name is at `size`, roughly: 0.6 em a character. */
static double
text_width(const char *s, double size)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return (double)n * 0.6 * size;
}

/* Claims the box of a text at (x, y) (its baseline, anchored as said)
 * unless it overlaps a box already claimed or leaves the map. */
static bool
claim_box(struct map_box *boxes, size_t *n, size_t max, const struct map_frame *m, double x,
    double y, double width, double size, int anchor)
{
	struct map_box b;

	b.x0 = anchor < 0 ? x : anchor > 0 ? x - width : x - width / 2;
	b.x1 = b.x0 + width;
	b.y0 = y - size;
	b.y1 = y + size * 0.3;
	if (*n == max || b.x0 < 0 || b.x1 > m->w || b.y0 < 0 || b.y1 > m->h)
		return false;
	for (size_t k = 0; k < *n; k++)
		if (b.x0 < boxes[k].x1 && boxes[k].x0 < b.x1 && b.y0 < boxes[k].y1 &&
		    boxes[k].y0 < b.y1)
			return false;
	boxes[(*n)++] = b;
	return true;
}

/*
 * The tile layer ([http] map_tiles): the tiles of the zoom at which a tile
 * is 256 to 511 units wide on the map, from the template's server, under
 * everything else. The browser fetches them; without internet they are
 * simply missing and the map is the same as without.
 */
static void
map_tiles(struct page *p, const struct map_frame *m)
{
	const char *tmpl = p->env->map_tiles;
	char url[1024];
	int z = (int)floor(log2(m->scale / 256));

	z = z < 0 ? 0 : z > 19 ? 19 : z;
	double n = ldexp(1, z), ts = m->scale / n;
	long last = (long)n - 1;
	long tx0 = lround(floor((m->u_mid - m->w / 2 / m->scale) * n));
	long tx1 = lround(floor((m->u_mid + m->w / 2 / m->scale) * n));
	long ty0 = lround(floor((m->v_mid - m->h / 2 / m->scale) * n));
	long ty1 = lround(floor((m->v_mid + m->h / 2 / m->scale) * n));
	tx0 = tx0 < 0 ? 0 : tx0;
	ty0 = ty0 < 0 ? 0 : ty0;
	tx1 = tx1 > last ? last : tx1;
	ty1 = ty1 > last ? last : ty1;
	if (tx1 < tx0 || ty1 < ty0 || (tx1 - tx0 + 1) * (ty1 - ty0 + 1) > MAP_TILES_MAX)
		return;
	pg_put(p, "<g class=\"tiles\">");
	for (long ty = ty0; ty <= ty1; ty++) {
		for (long tx = tx0; tx <= tx1; tx++) {
			/* The template with {z}, {x} and {y} replaced (conf.c
			 * allows no other brace). */
			size_t o = 0;
			for (const char *t = tmpl; *t != '\0' && o + 24 < sizeof url; t++) {
				if (t[0] == '{' && t[1] != '\0' && t[2] == '}' &&
				    strchr("zxy", t[1]) != NULL) {
					long v = t[1] == 'z' ? z : t[1] == 'x' ? tx : ty;
					o += (size_t)snprintf(url + o, sizeof url - o, "%ld", v);
					t += 2;
				} else
					url[o++] = *t;
			}
			url[o] = '\0';
			pg_put(p, "<image class=\"tile\" href=\"");
			pg_esc(p, url);
			/* Half a unit more each way: no hairline between tiles. */
			pg_pf(p, "\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/>",
			    FX(m, tx / n), FY(m, ty / n), ts + 0.5, ts + 0.5);
		}
	}
	pg_put(p, "</g>\n");
}

/* Whether the tile layer is OpenStreetMap's, which asks for its credit. */
static bool
osm_tiles(const char *tmpl)
{
	const char *host = strstr(tmpl, "://");

	if (host == NULL)
		return false;
	host += 3;
	const char *osm = strstr(host, "openstreetmap.");
	return osm != NULL && osm < host + strcspn(host, "/");
}

/* One map being drawn: its frame, its dots' radius, and the texts placed. */
struct map {
	struct map_frame f;
	size_t pi;			/* the province */
	double r;			/* the dots' radius */
	struct map_box boxes[MAP_LABELS_MAX + 200];
	size_t nboxes;
	size_t labels[MAP_LABELS_MAX];	/* hamlets named, their boxes first */
	size_t nlabels;
};

#define MX(m, lon)	FX(&(m)->f, merc_x(lon))
#define MY(m, lat)	FY(&(m)->f, merc_y(lat))

static bool
on_map(const struct page *p, const struct map *m, size_t i)
{
	const struct inv_hamlet *h = &p->inv->hamlets[i];

	return (size_t)h->province == m->pi && h->placed;
}

static int
map_state(const struct page *p, size_t i)
{
	int st = p->cov->hamlets[i].state;

	return st < HS__COUNT ? st : HS_UNMONITORED;
}

/* Fits Web Mercator to the bounding box of the placed hamlets. */
static void
map_fit(struct map *m, double lat0, double lat1, double lon0, double lon1, size_t placed)
{
	struct map_frame *f = &m->f;
	double u0 = merc_x(lon0), u1 = merc_x(lon1), v0 = merc_y(lat1), v1 = merc_y(lat0);
	/* A single hamlet, or a row of them: give the box some size (about
	 * a kilometre). */
	double w = fmax(u1 - u0, 0.01 / 360), hgt = fmax(v1 - v0, 0.01 / 360);

	f->w = MAP_W;
	f->scale = (MAP_W - 2 * MAP_PAD) / w;
	f->h = hgt * f->scale + 2 * MAP_PAD;
	/* A tall, thin province would make a very tall map: fit the height. */
	if (f->h > 1.4 * MAP_W) {
		f->scale = (1.4 * MAP_W - 2 * MAP_PAD) / hgt;
		f->h = 1.4 * MAP_W;
	}
	f->h = ceil(f->h);
	f->u_mid = (u0 + u1) / 2;
	f->v_mid = (v0 + v1) / 2;
	m->r = placed > 400 ? 3.5 : placed > 100 ? 5 : 7;
}

/* Each hamlet's uplink a line, under the dots. */
static void
map_uplinks(struct page *p, const struct map *m)
{
	const struct inventory *inv = p->inv;

	pg_put(p, "<g class=\"uplinks\">");
	for (size_t i = 0; i < inv->nhamlets; i++) {
		const struct inv_hamlet *h = &inv->hamlets[i];
		if (!on_map(p, m, i) || h->uplink < 0 || !on_map(p, m, (size_t)h->uplink))
			continue;
		const struct inv_hamlet *u = &inv->hamlets[h->uplink];
		pg_pf(p, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", MX(m, h->lon),
		    MY(m, h->lat), MX(m, u->lon), MY(m, u->lat));
	}
	pg_put(p, "</g>\n");
}

/* The worst hamlets (down, then unreachable) claim their names' places
 * first, at most MAP_LABELS_MAX, where they fit. */
static void
map_claim_labels(const struct page *p, struct map *m)
{
	const struct inventory *inv = p->inv;

	for (int rank = 0; rank < HS__COUNT && m->nlabels < MAP_LABELS_MAX; rank++) {
		for (size_t i = 0; i < inv->nhamlets && m->nlabels < MAP_LABELS_MAX; i++) {
			const struct inv_hamlet *h = &inv->hamlets[i];
			int st = map_state(p, i);
			if (!on_map(p, m, i) || (st != HS_DOWN && st != HS_UNREACHABLE) ||
			    pg_state_rank[st] != rank)
				continue;
			double x = MX(m, h->lon), y = MY(m, h->lat) + 4, tw = text_width(h->name, 12);
			int anchor = x + m->r + 3 + tw > m->f.w ? 1 : -1;
			x += anchor < 0 ? m->r + 3 : -(m->r + 3);
			if (claim_box(m->boxes, &m->nboxes, MAP_LABELS_MAX, &m->f, x, y, tw, 12,
			    anchor))
				m->labels[m->nlabels++] = i;
		}
	}
}

/* The communes' names under the centre of their placed hamlets (below
 * the lowest, clear of the dots; else above the highest), where they fit:
 * small and muted. One pass over the hamlets, then one over the communes. */
static void
map_commune_names(struct page *p, struct map *m)
{
	const struct inventory *inv = p->inv;
	size_t nb = sizeof m->boxes / sizeof m->boxes[0];
	double *sx = calloc(inv->ncommunes ? inv->ncommunes : 1, 3 * sizeof *sx);
	size_t *nh = calloc(inv->ncommunes ? inv->ncommunes : 1, sizeof *nh);

	if (sx == NULL || nh == NULL) {
		free(sx);
		free(nh);
		p->oom = true;
		return;
	}
	/* sx[3c]: sum of x, sx[3c + 1]: lowest y, sx[3c + 2]: highest y */
	for (size_t i = 0; i < inv->nhamlets; i++) {
		const struct inv_hamlet *h = &inv->hamlets[i];
		size_t c = (size_t)h->commune;
		double y = MY(m, h->lat);

		if (!on_map(p, m, i))
			continue;
		if (nh[c]++ == 0) {
			sx[3 * c + 1] = y;
			sx[3 * c + 2] = y;
		}
		sx[3 * c] += MX(m, h->lon);
		sx[3 * c + 1] = fmin(sx[3 * c + 1], y);
		sx[3 * c + 2] = fmax(sx[3 * c + 2], y);
	}
	pg_put(p, "<g class=\"communes\">");
	for (size_t c = 0; c < inv->ncommunes; c++) {
		const struct inv_commune *co = &inv->communes[c];
		if ((size_t)co->province != m->pi || nh[c] == 0)
			continue;
		double x = sx[3 * c] / (double)nh[c], y = sx[3 * c + 2] + m->r + 11;
		double tw = text_width(co->name, 11);
		if (!claim_box(m->boxes, &m->nboxes, nb, &m->f, x, y, tw, 11, 0) &&
		    !claim_box(m->boxes, &m->nboxes, nb, &m->f, x, y = sx[3 * c + 1] - m->r - 4,
		    tw, 11, 0))
			continue;
		pg_pf(p, "<text class=\"cname\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, y);
		pg_esc(p, co->name);
		pg_put(p, "</text>");
	}
	pg_put(p, "</g>\n");
	free(sx);
	free(nh);
}

/* Each hamlet a circle coloured by state, a link to its page, its name,
 * commune and state as a tooltip; the worst states last, on top. */
static void
map_dots(struct page *p, const struct map *m)
{
	const struct inventory *inv = p->inv;

	for (int rank = HS__COUNT - 1; rank >= 0; rank--) {
		for (size_t i = 0; i < inv->nhamlets; i++) {
			const struct inv_hamlet *h = &inv->hamlets[i];
			int st = map_state(p, i);
			if (!on_map(p, m, i) || pg_state_rank[st] != rank)
				continue;
			pg_put(p, "<a href=\"/hamlet/");
			pg_esc(p, h->id);
			pg_pf(p, "%s\"><circle class=\"st-%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%g\">"
			    "<title>", p->qs, pg_state_class(st), MX(m, h->lon), MY(m, h->lat), m->r);
			pg_esc(p, h->name);
			pg_put(p, ", ");
			pg_esc(p, inv->communes[h->commune].name);
			pg_put(p, " — ");
			pg_esc(p, pg_state_word(p, st));
			pg_put(p, "</title></circle></a>\n");
		}
	}
}

/*
 * The hamlets of province pi by latitude and longitude (Web Mercator
 * fitted to the province's bounding box): the tiles when [http] map_tiles
 * says so, the uplinks, the dots, the communes' names, then the worst
 * hamlets' names on top of everything. SVG inside the page, no script.
 */
static void
province_map(struct page *p, size_t pi)
{
	const struct inventory *inv = p->inv;
	double lat0 = INFINITY, lat1 = -INFINITY, lon0 = INFINITY, lon1 = -INFINITY;
	size_t placed = 0, unplaced = 0;
	uint32_t counts[HS__COUNT] = { 0 };
	bool tiles = p->env->map_tiles != NULL && p->env->map_tiles[0] != '\0';
	struct map *m = calloc(1, sizeof *m);

	if (m == NULL) {
		p->oom = true;
		return;
	}
	m->pi = pi;
	for (size_t i = 0; i < inv->nhamlets; i++) {
		const struct inv_hamlet *h = &inv->hamlets[i];
		if ((size_t)h->province != pi)
			continue;
		counts[map_state(p, i)]++;
		if (!h->placed || !isfinite(h->lat) || !isfinite(h->lon)) {
			unplaced++;
			continue;
		}
		placed++;
		lat0 = fmin(lat0, h->lat);
		lat1 = fmax(lat1, h->lat);
		lon0 = fmin(lon0, h->lon);
		lon1 = fmax(lon1, h->lon);
	}
	pg_pf(p, "<h2>%s</h2>\n", pg_tr(p, T_MAP));
	if (placed > 0) {
		map_fit(m, lat0, lat1, lon0, lon1, placed);
		pg_pf(p, "<div class=\"mapbox\"><svg class=\"map\" viewBox=\"0 0 %.0f %.0f\" "
		    "role=\"img\" aria-label=\"%s\">\n", m->f.w, m->f.h, pg_tr(p, T_MAP));
		if (tiles)
			map_tiles(p, &m->f);
		map_uplinks(p, m);
		map_claim_labels(p, m);
		map_dots(p, m);
		map_commune_names(p, m);
		for (size_t k = 0; k < m->nlabels; k++) {
			const struct inv_hamlet *h = &inv->hamlets[m->labels[k]];
			pg_pf(p, "<text class=\"lbl\" x=\"%.1f\" y=\"%.1f\">", m->boxes[k].x0,
			    MY(m, h->lat) + 4);
			pg_esc(p, h->name);
			pg_put(p, "</text>");
		}
		pg_put(p, "</svg></div>\n");
		if (tiles && osm_tiles(p->env->map_tiles))
			pg_pf(p, "<p class=\"attrib\"><a href=\"https://www.openstreetmap.org/copyright\">"
			    "%s</a></p>\n", pg_tr(p, T_OSM_ATTRIB));
	}
	pg_put(p, "<ul class=\"legend\">");
	for (int st = 0; st < HS__COUNT; st++) {
		pg_pf(p, "<li><span class=\"dot st-%s\"></span>", pg_state_class(st));
		pg_esc(p, pg_state_word(p, st));
		pg_pf(p, " (%u)</li>", counts[st]);
	}
	pg_put(p, "</ul>\n");
	pg_pf(p, "<p class=\"muted small\">%s", pg_tr(p, T_PLACED_NOTE));
	if (unplaced > 0)
		pg_pf(p, " %zu %s.", unplaced, pg_tr(p, T_NOT_PLACED));
	if (m->nlabels > 0)
		pg_pf(p, " %s", pg_tr(p, T_MAP_LABELS));
	pg_put(p, "</p>\n");
	free(m);
}

#undef MX
#undef MY

int
page_province(struct page *p, const char *path, size_t pi)
{
	const struct inv_province *pr = &p->inv->provinces[pi];
	size_t n = 0, *idx = malloc((pr->ncommunes ? pr->ncommunes : 1) * sizeof *idx);

	if (idx == NULL)
		return -1;
	for (size_t i = 0; i < p->inv->ncommunes && n < pr->ncommunes; i++)
		if ((size_t)p->inv->communes[i].province == pi)
			idx[n++] = i;
	qsort_r(idx, n, sizeof *idx, commune_cmp, (void *)p->cov);

	pg_head(p, pr->name, path);
	pg_pf(p, "<p class=\"crumbs\"><a href=\"/%s\">%s</a> ›</p>\n<h1>%s ", p->qs,
	    pg_tr(p, T_OVERVIEW), pg_tr(p, T_PROVINCE));
	pg_esc(p, pr->name);
	pg_put(p, "</h1>\n");
	pg_blind_note(p);
	pg_summary(p, &p->cov->provinces[pi]);
	pg_pf(p, "<h2>%s</h2>\n<div class=\"scroll\"><table class=\"stack\"><thead><tr><th>%s</th>",
	    pg_tr(p, T_COMMUNES), pg_tr(p, T_COMMUNE));
	pg_target_headers(p);
	pg_count_headers(p);
	pg_pf(p, "<th class=\"num hide-sm\">%s</th></tr></thead><tbody>\n", pg_tr(p, T_OVERDUE));
	for (size_t k = 0; k < n; k++) {
		const struct rollup *ru = &p->cov->communes[idx[k]];
		pg_pf(p, "<tr><td class=\"name\" data-label=\"%s\">", pg_tr(p, T_COMMUNE));
		pg_link_commune(p, idx[k]);
		pg_put(p, "</td>");
		pg_target_cells(p, ru);
		pg_count_cells(p, ru);
		pg_pf(p, "<td class=\"num hide-sm\" data-label=\"%s\">%u</td></tr>\n",
		    pg_tr(p, T_OVERDUE), ru->overdue);
	}
	pg_put(p, "</tbody></table></div>\n");
	free(idx);
	province_map(p, pi);
	pg_coverage_graph(p, pi, NULL, pr->id);
	pg_foot(p);
	return 0;
}
