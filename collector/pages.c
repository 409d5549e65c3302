/*
 * The dashboard's HTML pages (DESIGN.md section 8), rendered from one
 * immutable snapshot: the overview, a province with its map, a commune, a
 * hamlet's site page and the alerts. Plain HTML and inline SVG, no
 * JavaScript, readable on a phone; English or Vietnamese from a small
 * message table; every inventory string goes out through esc().
 */
#include "pages.h"

#include "alert.h"
#include "metric.h"
#include "national.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TOP_N		10	/* rows of each worst-N list */
#define LIST_MAX	200	/* rows of the problem list on /alerts */
#define OVERVIEW_ALERTS	20	/* firing alerts on the overview; the rest on /alerts */
#define OVERVIEW_ROLLOUT 5	/* rollout alerts on the overview; the rest on /alerts */
#define FIRING_MAX	200	/* firing alerts on /alerts */
#define RESOLVED_MAX	50	/* recently resolved alerts on /alerts */
#define SITE_ALERTS	10	/* alerts on a site page */
#define SILENCES_MAX	100
#define CHAIN_MAX	64	/* hops of an uplink chain shown */
#define HISTORY_MAX	12	/* stretches of state history on a site page */
#define WEEK		(7 * 86400.0)
#define MAP_W		640.0	/* the map's viewBox width; its height follows */
#define MAP_PAD		14.0
/* Thresholds of the values the collector does not judge ([coverage] has
 * loss and RTT only): the same as covmon-agent --once (agent/report.c). */
#define MAX_JITTER_MS	50.0

/* --- messages --- */

enum msg {
	T_OVERVIEW, T_ALERTS, T_TITLE_OVERVIEW, T_PROVINCE, T_PROVINCES, T_COMMUNE,
	T_COMMUNES, T_HAMLET, T_HAMLETS, T_COVERED, T_TARGET, T_DEADLINE, T_STATE,
	T_TOTAL, T_OVERDUE, T_ALL, T_FIRING, T_WORST_LOSS, T_WORST_DOWN,
	T_BEHIND, T_SHORTFALL, T_LOSS, T_RTT, T_SIGNAL, T_CLIENTS, T_LAST_SEEN, T_NEVER,
	T_AGO, T_DOWNTIME, T_NONE_LOSS, T_NONE_DOWN, T_NO_DB, T_NONE_BEHIND, T_EVALUATED,
	T_BLIND, T_NO_EVAL, T_NO_INV, T_NOT_FOUND, T_BAD_ID, T_ID_RULE, T_MAP,
	T_NOT_PLACED, T_COVERAGE_MONTH, T_SINCE, T_CURRENT, T_MEASURE, T_VALUE,
	T_VERDICT, T_OK, T_WARN, T_BAD, T_NO_VALUES, T_VALUES_AT, T_GRAPHS, T_DAY,
	T_WEEK_G, T_NO_DATA, T_UPLINK, T_DIRECT, T_DOWNSTREAM, T_ROOT, T_HISTORY,
	T_RECENT_ALERTS, T_AGENT, T_NO_AGENT, T_TARGET_DATE, T_POPULATION, T_VILLAGE,
	T_PROBLEMS, T_SILENCES, T_NO_TARGET, T_DAYS, T_HOURS, T_MIN, T_SEC, T_WINDOW,
	T_BREACH_LOSS, T_BREACH_RTT, T_JITTER, T_SNR, T_LINK, T_POWER, T_BATTERY,
	T_TRAFFIC, T_RETRANS, T_UPTIME, T_UP, T_LINK_DOWN, T_MAINS, T_ON_BATTERY,
	T_THRESHOLDS, T_AND_MORE, T_NONE_PROBLEMS, T_LATENCY_G, T_THROUGHPUT_G,
	T_RADIO_G, T_CLIENTS_G, T_THIS_SITE, T_PROBLEMS_NOTE,
	T_NOW, T_REFRESH, T_OFF, T_COORDS, T_PLACED_NOTE, T_LAST_7_DAYS, T_CUT_OFF,
	T_STALE, T_OTHER_RANGES, T_NONE_FIRING, T_MORE_ALERTS, T_ALL_ALERTS, T_RESOLVED_WEEK,
	T_NONE_RESOLVED, T_NO_SITE_ALERTS, T_KIND, T_WHERE, T_SUMMARY, T_RESOLVED, T_SILENCED,
	T_ACKED, T_FLAPPING, T_FIRING_ONE, T_MATCH, T_UNTIL, T_REASON, T_NO_SILENCES,
	T_EVERYTHING, T_IN, T_MORE_ROWS, T_SINCE_COL, T_RESOLVED_COL,
	T_TITLE_NATIONAL, T_NATIONAL_NOTE, T_NO_SUMMARY, T_NATIONAL_ONLY, T_UPDATED,
	T_OUT_OF_DATE, T_SEVERITY, T_ROLLOUT, T_ROLLOUT_NOTE, T_NONE_ROLLOUT, T_ROLLOUT_MORE,
	T_ROLLOUT_ALL, T_ROLLOUT_BELOW, T_OVERDUE_SINCE,
	T_COUNT
};

/* [msg][lang]: English, Vietnamese. */
static const char *const msgs[T_COUNT][2] = {
	[T_OVERVIEW] = { "Overview", "Tổng quan" },
	[T_ALERTS] = { "Alerts", "Cảnh báo" },
	[T_TITLE_OVERVIEW] = { "Coverage overview", "Tổng quan phủ sóng" },
	[T_PROVINCE] = { "Province", "Tỉnh" },
	[T_PROVINCES] = { "Provinces", "Các tỉnh" },
	[T_COMMUNE] = { "Commune", "Xã" },
	[T_COMMUNES] = { "Communes", "Các xã" },
	[T_HAMLET] = { "Hamlet", "Thôn" },
	[T_HAMLETS] = { "Hamlets", "Các thôn" },
	[T_COVERED] = { "Covered", "Phủ sóng" },
	[T_TARGET] = { "Target", "Mục tiêu" },
	[T_DEADLINE] = { "Deadline", "Hạn" },
	[T_STATE] = { "State", "Trạng thái" },
	[T_TOTAL] = { "Total", "Tổng" },
	[T_OVERDUE] = { "Overdue", "Quá hạn" },
	[T_ALL] = { "All provinces", "Tất cả các tỉnh" },
	[T_FIRING] = { "Firing alerts", "Cảnh báo đang bật" },
	[T_WORST_LOSS] = { "Worst hamlets by packet loss", "Thôn mất gói nhiều nhất" },
	[T_WORST_DOWN] = { "Worst hamlets by downtime", "Thôn mất kết nối lâu nhất" },
	[T_BEHIND] = { "Communes furthest behind their target", "Xã còn xa mục tiêu nhất" },
	[T_SHORTFALL] = { "Short by", "Còn thiếu" },
	[T_LOSS] = { "Loss", "Mất gói" },
	[T_RTT] = { "RTT", "Độ trễ" },
	[T_SIGNAL] = { "Signal", "Tín hiệu" },
	[T_CLIENTS] = { "Clients", "Thiết bị" },
	[T_LAST_SEEN] = { "Last seen", "Liên lạc cuối" },
	[T_NEVER] = { "never", "chưa bao giờ" },
	[T_AGO] = { "ago", "trước" },
	[T_DOWNTIME] = { "Down", "Thời gian mất" },
	[T_NONE_LOSS] = { "No loss measured in the window.",
	    "Không ghi nhận mất gói trong cửa sổ đánh giá." },
	[T_NONE_DOWN] = { "No hamlet was down in the last 7 days.",
	    "Không thôn nào mất kết nối trong 7 ngày qua." },
	[T_NO_DB] = { "The state database (state.db) cannot be read now.",
	    "Hiện chưa đọc được cơ sở dữ liệu trạng thái (state.db)." },
	[T_NONE_BEHIND] = { "Every commune with a target meets it.",
	    "Mọi xã có mục tiêu đều đã đạt." },
	[T_EVALUATED] = { "Evaluated", "Đánh giá lúc" },
	[T_BLIND] = { "The collector lost its own input recently: no hamlet is marked down "
	    "until it has heard from the agents again.", "Bộ thu vừa mất nguồn dữ liệu: chưa "
	    "đánh dấu thôn nào mất kết nối cho đến khi nhận lại số liệu từ các trạm." },
	[T_NO_EVAL] = { "No evaluation yet: the collector has just started.",
	    "Chưa có kết quả đánh giá: bộ thu vừa khởi động." },
	[T_NO_INV] = { "No inventory is configured ([collector] inventory).",
	    "Chưa cấu hình danh mục thôn ([collector] inventory)." },
	[T_NOT_FOUND] = { "Not found", "Không tìm thấy" },
	[T_BAD_ID] = { "Bad id", "Mã không hợp lệ" },
	[T_ID_RULE] = { "An id is 1-64 characters of a-z, 0-9, '.', '_' and '-', starting "
	    "with a letter or digit.", "Mã gồm 1-64 ký tự a-z, 0-9, '.', '_' và '-', bắt đầu "
	    "bằng chữ hoặc số." },
	[T_MAP] = { "Map", "Bản đồ" },
	[T_NOT_PLACED] = { "without coordinates, not on the map", "chưa có tọa độ, không có "
	    "trên bản đồ" },
	[T_COVERAGE_MONTH] = { "Coverage, last month", "Phủ sóng trong tháng qua" },
	[T_SINCE] = { "since", "từ" },
	[T_CURRENT] = { "Current values", "Giá trị hiện tại" },
	[T_MEASURE] = { "Measure", "Chỉ số" },
	[T_VALUE] = { "Value", "Giá trị" },
	[T_VERDICT] = { "Verdict", "Đánh giá" },
	[T_OK] = { "ok", "tốt" },
	[T_WARN] = { "warn", "chú ý" },
	[T_BAD] = { "BAD", "XẤU" },
	[T_NO_VALUES] = { "No values received from this site yet.",
	    "Chưa nhận được số liệu nào từ trạm này." },
	[T_VALUES_AT] = { "last sample", "mẫu cuối lúc" },
	[T_GRAPHS] = { "Graphs", "Biểu đồ" },
	[T_DAY] = { "last day", "1 ngày qua" },
	[T_WEEK_G] = { "last week", "1 tuần qua" },
	[T_NO_DATA] = { "no data yet", "chưa có dữ liệu" },
	[T_UPLINK] = { "Uplink chain", "Tuyến truyền dẫn" },
	[T_DIRECT] = { "direct backhaul", "truyền dẫn trực tiếp" },
	[T_DOWNSTREAM] = { "Sites whose backhaul goes through this one",
	    "Các trạm có truyền dẫn đi qua trạm này" },
	[T_ROOT] = { "Cut off because this site is down:", "Bị cô lập vì trạm này mất kết nối:" },
	[T_HISTORY] = { "Recent states", "Trạng thái gần đây" },
	[T_RECENT_ALERTS] = { "Recent alerts", "Cảnh báo gần đây" },
	[T_AGENT] = { "Agent", "Thiết bị đo" },
	[T_NO_AGENT] = { "no agent installed", "chưa lắp thiết bị đo" },
	[T_TARGET_DATE] = { "To be covered by", "Hạn phủ sóng" },
	[T_POPULATION] = { "Population", "Dân số" },
	[T_VILLAGE] = { "Village", "Bản" },
	[T_PROBLEMS] = { "Hamlets with a problem now", "Các thôn đang có sự cố" },
	[T_SILENCES] = { "Silences", "Tạm tắt cảnh báo" },
	[T_NO_TARGET] = { "no target", "chưa có mục tiêu" },
	[T_DAYS] = { "d", "ngày" },
	[T_HOURS] = { "h", "giờ" },
	[T_MIN] = { "min", "phút" },
	[T_SEC] = { "s", "giây" },
	[T_WINDOW] = { "window", "cửa sổ" },
	[T_BREACH_LOSS] = { "loss over the threshold", "mất gói vượt ngưỡng" },
	[T_BREACH_RTT] = { "RTT over the threshold", "độ trễ vượt ngưỡng" },
	[T_JITTER] = { "Jitter", "Độ dao động trễ" },
	[T_SNR] = { "SNR", "SNR" },
	[T_LINK] = { "Interface", "Cổng mạng" },
	[T_POWER] = { "Power", "Nguồn điện" },
	[T_BATTERY] = { "Battery", "Pin" },
	[T_TRAFFIC] = { "Traffic in / out", "Lưu lượng vào / ra" },
	[T_RETRANS] = { "TCP retransmissions", "Gói TCP truyền lại" },
	[T_UPTIME] = { "Device uptime", "Thời gian chạy" },
	[T_UP] = { "up", "hoạt động" },
	[T_LINK_DOWN] = { "DOWN", "NGỪNG" },
	[T_MAINS] = { "mains", "điện lưới" },
	[T_ON_BATTERY] = { "ON BATTERY", "ĐANG CHẠY PIN" },
	[T_THRESHOLDS] = { "Thresholds", "Ngưỡng" },
	[T_AND_MORE] = { "more not shown", "thôn khác không hiển thị" },
	[T_NONE_PROBLEMS] = { "Every monitored hamlet is covered.",
	    "Mọi thôn được giám sát đều có sóng." },
	[T_LATENCY_G] = { "Latency and loss", "Độ trễ và mất gói" },
	[T_THROUGHPUT_G] = { "Throughput", "Lưu lượng" },
	[T_RADIO_G] = { "Radio", "Sóng vô tuyến" },
	[T_CLIENTS_G] = { "Clients", "Thiết bị kết nối" },
	[T_THIS_SITE] = { "this site", "trạm này" },
	[T_PROBLEMS_NOTE] = { "Down, cut off or degraded right now, alerted or not (an alert "
	    "waits for its 'for' time; a cut-off hamlet is listed in its uplink's alert):",
	    "Đang mất kết nối, bị cô lập hoặc suy giảm, dù đã có cảnh báo hay chưa (cảnh báo "
	    "chờ hết thời gian 'for'; thôn bị cô lập nằm trong cảnh báo của trạm truyền dẫn):" },
	[T_NOW] = { "now", "bây giờ" },
	[T_REFRESH] = { "auto-refresh", "tự làm mới" },
	[T_OFF] = { "off", "tắt" },
	[T_COORDS] = { "Coordinates", "Tọa độ" },
	[T_PLACED_NOTE] = { "Each dot is a hamlet, placed by latitude and longitude; lines "
	    "are uplinks.", "Mỗi chấm là một thôn, đặt theo vĩ độ và kinh độ; đường nối là "
	    "tuyến truyền dẫn." },
	[T_LAST_7_DAYS] = { "last 7 days", "7 ngày qua" },
	[T_CUT_OFF] = { "cut off by", "bị cô lập do" },
	[T_STALE] = { "The site is not reporting: these are its last values, from",
	    "Trạm không gửi số liệu: đây là giá trị cuối cùng, lúc" },
	[T_OTHER_RANGES] = { "Other ranges:", "Khoảng thời gian khác:" },
	[T_NONE_FIRING] = { "None firing.", "Không có cảnh báo nào đang bật." },
	[T_MORE_ALERTS] = { "more firing:", "cảnh báo khác đang bật:" },
	[T_ALL_ALERTS] = { "all alerts", "tất cả cảnh báo" },
	[T_RESOLVED_WEEK] = { "Resolved in the last 7 days", "Đã hết trong 7 ngày qua" },
	[T_NONE_RESOLVED] = { "No alert resolved in the last 7 days.",
	    "Không có cảnh báo nào kết thúc trong 7 ngày qua." },
	[T_NO_SITE_ALERTS] = { "No alert about this site.", "Chưa có cảnh báo nào về trạm này." },
	[T_KIND] = { "Kind", "Loại" },
	[T_WHERE] = { "Where", "Ở đâu" },
	[T_SUMMARY] = { "Summary", "Nội dung" },
	[T_RESOLVED] = { "resolved", "đã hết" },
	[T_SILENCED] = { "silenced", "tạm tắt" },
	[T_ACKED] = { "acknowledged", "đã xác nhận" },
	[T_FLAPPING] = { "flapping", "chập chờn" },
	[T_FIRING_ONE] = { "firing", "đang bật" },
	[T_MATCH] = { "Match", "Phạm vi" },
	[T_UNTIL] = { "Until", "Đến" },
	[T_REASON] = { "Reason", "Lý do" },
	[T_NO_SILENCES] = { "No silence in force.", "Không có lệnh tạm tắt nào đang hiệu lực." },
	[T_EVERYTHING] = { "everything", "tất cả" },
	[T_IN] = { "in", "còn" },
	[T_MORE_ROWS] = { "more not shown", "mục khác không hiển thị" },
	[T_SINCE_COL] = { "Since", "Từ lúc" },
	[T_RESOLVED_COL] = { "Resolved", "Kết thúc" },
	[T_TITLE_NATIONAL] = { "National coverage overview", "Tổng quan phủ sóng toàn quốc" },
	[T_NATIONAL_NOTE] = { "Each province as its own collector last summed it up.",
	    "Số liệu mỗi tỉnh theo bản tổng hợp mới nhất từ bộ thu của tỉnh đó." },
	[T_NO_SUMMARY] = { "No province summary received yet.",
	    "Chưa nhận được bản tổng hợp nào của các tỉnh." },
	[T_NATIONAL_ONLY] = { "This national view shows the provinces' summaries only: "
	    "communes, hamlets and alerts are on each province's own dashboard.",
	    "Trang toàn quốc chỉ hiển thị bản tổng hợp của các tỉnh: xã, thôn và cảnh báo "
	    "xem trên trang của từng tỉnh." },
	[T_UPDATED] = { "Updated", "Cập nhật" },
	[T_OUT_OF_DATE] = { "out of date", "chưa cập nhật" },
	[T_SEVERITY] = { "Severity", "Mức độ" },
	[T_ROLLOUT] = { "Rollout", "Triển khai" },
	[T_ROLLOUT_NOTE] = { "Hamlets past their target date and still not covered, communes "
	    "behind their target: the rollout's backlog. By default it pages no one; it goes "
	    "out in the daily digest.", "Các thôn đã quá hạn phủ sóng mà vẫn chưa có sóng, các "
	    "xã chưa đạt mục tiêu: phần việc triển khai còn tồn đọng. Mặc định không gửi cảnh "
	    "báo cho ai; được tổng hợp trong bản tin hằng ngày." },
	[T_NONE_ROLLOUT] = { "No hamlet overdue, no commune behind its target.",
	    "Không có thôn nào quá hạn, không có xã nào chưa đạt mục tiêu." },
	[T_ROLLOUT_MORE] = { "more in the rollout:", "mục triển khai khác:" },
	[T_ROLLOUT_ALL] = { "the whole list", "xem toàn bộ danh sách" },
	[T_ROLLOUT_BELOW] = { "Overdue hamlets and communes behind their target are listed "
	    "apart, under", "Thôn quá hạn và xã chưa đạt mục tiêu được liệt kê riêng, trong "
	    "mục" },
	[T_OVERDUE_SINCE] = { "overdue since", "quá hạn từ" },
};

/* The states as people read them, in both languages. */
static const char *const state_words[HS__COUNT][2] = {
	[HS_COVERED] = { "covered", "có sóng" },
	[HS_DEGRADED] = { "degraded", "suy giảm" },
	[HS_DOWN] = { "down", "mất kết nối" },
	[HS_UNREACHABLE] = { "unreachable", "bị cô lập" },
	[HS_UNMONITORED] = { "unmonitored", "chưa giám sát" },
};

/* The alert kinds as people read them. */
static const char *const kind_words[AK__COUNT][2] = {
	[AK_HAMLET_DOWN] = { "hamlet down", "thôn mất kết nối" },
	[AK_HAMLET_DEGRADED] = { "hamlet degraded", "thôn suy giảm" },
	[AK_HAMLET_OVERDUE] = { "hamlet overdue", "thôn quá hạn phủ sóng" },
	[AK_COMMUNE_RED] = { "commune behind target", "xã chậm so với mục tiêu" },
	[AK_AGENT_UNKNOWN] = { "unknown agent", "thiết bị đo lạ" },
	[AK_AGENT_CLOCK_SKEW] = { "agent clock skew", "đồng hồ thiết bị đo lệch" },
	[AK_AGENT_SPOOL_DROPPED] = { "agent dropped samples", "thiết bị đo bỏ mẫu" },
};

/* The severities (enum alert_severity) as people read them: a word beside
 * the colour, for colour-blind readers and a phone in the sun. */
static const char *const severity_words[3][2] = {
	[SEV_CRITICAL] = { "Critical", "Nghiêm trọng" },
	[SEV_WARNING] = { "Warning", "Cảnh báo" },
	[SEV_INFO] = { "Info", "Thông tin" },
};

/* Worst first, for sorting hamlets by state. */
static const int state_rank[HS__COUNT] = {
	[HS_DOWN] = 0, [HS_UNREACHABLE] = 1, [HS_DEGRADED] = 2, [HS_UNMONITORED] = 3,
	[HS_COVERED] = 4,
};

/* --- one rendering --- */

struct page {
	FILE *f;
	enum pages_lang lang;
	const struct snapshot *s;
	const struct inventory *inv;	/* NULL before the first evaluation */
	const struct coverage *cov;
	const struct pages_env *env;
	/* Appended to every link between pages, so that a chosen language and
	 * refresh stay chosen ("" or "?lang=vi&amp;refresh=60"). */
	char qs[96];
	/* For the language switch: the other query keys ("" or "&amp;refresh=60"). */
	char qs_refresh[32];
	int refresh;			/* seconds, 0 off */
	bool oom;			/* a page part could not allocate: answer -1 */
};

static const char *
tr(const struct page *p, enum msg m)
{
	return msgs[m][p->lang];
}

static void
put(struct page *p, const char *s)
{
	fputs(s, p->f);
}

static void pf(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
pf(struct page *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(p->f, fmt, ap);
	va_end(ap);
}

/* Text and attribute values: the five characters that mean something in
 * HTML are escaped, so a hamlet named <script> is shown as text. */
static void
esc(struct page *p, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", p->f); break;
		case '<': fputs("&lt;", p->f); break;
		case '>': fputs("&gt;", p->f); break;
		case '"': fputs("&quot;", p->f); break;
		case '\'': fputs("&#39;", p->f); break;
		default: fputc(*s, p->f); break;
		}
	}
}

static const char *
state_word(const struct page *p, int st)
{
	return st >= 0 && st < HS__COUNT ? state_words[st][p->lang] : "?";
}

static const char *
state_class(int st)
{
	return st >= 0 && st < HS__COUNT ? hamlet_state_name[st] : "unmonitored";
}

static void
badge(struct page *p, int st)
{
	pf(p, "<span class=\"badge st-%s\">", state_class(st));
	esc(p, state_word(p, st));
	put(p, "</span>");
}

/* <a href="/KIND/ID?qs">NAME</a> */
static void
link(struct page *p, const char *kind, const char *id, const char *name)
{
	pf(p, "<a href=\"/%s/", kind);
	esc(p, id);
	pf(p, "%s\">", p->qs);
	esc(p, name);
	put(p, "</a>");
}

static void
link_hamlet(struct page *p, size_t i)
{
	link(p, "hamlet", p->inv->hamlets[i].id, p->inv->hamlets[i].name);
}

static void
link_commune(struct page *p, size_t i)
{
	link(p, "commune", p->inv->communes[i].id, p->inv->communes[i].name);
}

static void
link_province(struct page *p, size_t i)
{
	link(p, "province", p->inv->provinces[i].id, p->inv->provinces[i].name);
}

/* "3 d 4 h", "5 h 12 min", "4 min", "30 s" */
static void
duration(struct page *p, double secs)
{
	long s = isfinite(secs) && secs > 0 ? lround(secs) : 0;

	if (s >= 86400)
		pf(p, "%ld %s %ld %s", s / 86400, tr(p, T_DAYS), s % 86400 / 3600, tr(p, T_HOURS));
	else if (s >= 3600)
		pf(p, "%ld %s %ld %s", s / 3600, tr(p, T_HOURS), s % 3600 / 60, tr(p, T_MIN));
	else if (s >= 60)
		pf(p, "%ld %s", s / 60, tr(p, T_MIN));
	else
		pf(p, "%ld %s", s, tr(p, T_SEC));
}

/* Local time, "2025-11-22 14:03". */
static void
clock_time(struct page *p, double t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (localtime_r(&tt, &tm) == NULL || strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, sizeof buf, "%.0f", t);
	put(p, buf);
}

/* "5 min ago" with the date and time as a tooltip; "never" for 0. */
static void
ago(struct page *p, double t)
{
	if (!(t > 0)) {
		esc(p, tr(p, T_NEVER));
		return;
	}
	put(p, "<time title=\"");
	clock_time(p, t);
	put(p, "\">");
	duration(p, p->env->now - t);
	pf(p, " %s</time>", tr(p, T_AGO));
}

static void
pct(struct page *p, double v)
{
	if (isfinite(v))
		pf(p, "%.1f&nbsp;%%", v);
	else
		put(p, "—");
}

static void
date(struct page *p, int32_t days)
{
	char buf[16];

	if (days == INV_NO_DATE) {
		put(p, "—");
		return;
	}
	inventory_date_str(days, buf, sizeof buf);
	put(p, buf);
}

/* A value with `dec` decimals and a unit, or a dash. */
static void
num(struct page *p, double v, int dec, const char *unit)
{
	if (isfinite(v))
		pf(p, "%.*f%s%s", dec, v, unit[0] ? "&nbsp;" : "", unit);
	else
		put(p, "—");
}

static const char *
colour_class(int c)
{
	const char *n = colour_name((enum colour)c);
	return n ? n : "none";
}

/*
 * Covered % as a bar, coloured against the target, with the target as a
 * tick: an SVG, because inline style attributes would need 'unsafe-inline'
 * in the Content-Security-Policy.
 */
static void
bar(struct page *p, const struct rollup *ru)
{
	double v = isfinite(ru->covered_pct) ? ru->covered_pct : 0;

	pf(p, "<svg class=\"bar\" viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" "
	    "aria-hidden=\"true\"><rect class=\"bar-bg\" width=\"100\" height=\"10\"/>"
	    "<rect class=\"c-%s\" width=\"%.2f\" height=\"10\"/>", colour_class(ru->colour), v);
	if (isfinite(ru->target_pct))
		pf(p, "<rect class=\"bar-target\" x=\"%.2f\" width=\"1.2\" height=\"10\"/>",
		    fmin(fmax(ru->target_pct - 0.6, 0), 98.8));
	put(p, "</svg>");
}

/* --- page frame --- */

static void
head(struct page *p, const char *title, const char *path)
{
	pf(p, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
	    p->lang == PAGES_VI ? "vi" : "en");
	if (p->refresh > 0)
		pf(p, "<meta http-equiv=\"refresh\" content=\"%d\">\n", p->refresh);
	put(p, "<title>");
	esc(p, title);
	put(p, " — covmon</title>\n<link rel=\"stylesheet\" href=\"" PAGES_CSS_PATH "\">\n"
	    "</head><body>\n<header><a class=\"brand\" href=\"/");
	put(p, p->qs);
	pf(p, "\">covmon</a><nav><a href=\"/%s\">%s</a><a href=\"/alerts%s\">%s</a></nav>"
	    "<span class=\"lang\">", p->qs, tr(p, T_OVERVIEW), p->qs, tr(p, T_ALERTS));
	/* The language switch: the same page, the other language. */
	pf(p, "<a%s href=\"", p->lang == PAGES_EN ? " class=\"on\"" : "");
	esc(p, path);
	pf(p, "?lang=en%s\">EN</a> <a%s href=\"", p->qs_refresh,
	    p->lang == PAGES_VI ? " class=\"on\"" : "");
	esc(p, path);
	pf(p, "?lang=vi%s\">VI</a></span></header>\n<main>\n", p->qs_refresh);
}

static void
foot(struct page *p)
{
	put(p, "</main>\n<footer>covmon " COVMON_VERSION);
	if (p->cov != NULL) {
		pf(p, " · %s ", tr(p, T_EVALUATED));
		clock_time(p, p->cov->at);
	}
	if (p->env->thr != NULL)
		pf(p, " · %s: %s ≤ %g&nbsp;%%, %s ≤ %g&nbsp;ms", tr(p, T_THRESHOLDS),
		    tr(p, T_LOSS), p->env->thr->max_loss_pct, tr(p, T_RTT), p->env->thr->max_rtt_ms);
	pf(p, " · %s: ", tr(p, T_REFRESH));
	if (p->refresh > 0)
		pf(p, "%d %s", p->refresh, tr(p, T_SEC));
	else
		put(p, tr(p, T_OFF));
	put(p, "</footer>\n</body></html>\n");
}

/* A page that only says why it is not the page asked for. */
static void
notice_page(struct page *p, const char *path, const char *title, const char *text,
    const char *detail)
{
	head(p, title, path);
	put(p, "<h1>");
	esc(p, title);
	put(p, "</h1>\n<p class=\"card\">");
	esc(p, text);
	if (detail != NULL) {
		put(p, "<br><code>");
		esc(p, detail);
		put(p, "</code>");
	}
	pf(p, "</p>\n<p><a href=\"/%s\">%s</a></p>\n", p->qs, tr(p, T_OVERVIEW));
	foot(p);
}

/* The counts of a rollup as cells, covered first. */
static void
count_cells(struct page *p, const struct rollup *ru)
{
	for (int i = 0; i < HS__COUNT; i++) {
		if (ru->counts[i] == 0)
			put(p, "<td class=\"num zero hide-sm\">0</td>");
		else
			pf(p, "<td class=\"num hide-sm\">%u</td>", ru->counts[i]);
	}
	pf(p, "<td class=\"num\">%u</td>", ru->total);
}

static void
count_headers(struct page *p)
{
	for (int i = 0; i < HS__COUNT; i++) {
		pf(p, "<th class=\"num hide-sm\"><span class=\"dot st-%s\"></span>",
		    state_class(i));
		esc(p, state_word(p, i));
		put(p, "</th>");
	}
	pf(p, "<th class=\"num\">%s</th>", tr(p, T_TOTAL));
}

/* Covered %, bar, target and deadline cells of a scope. */
static void
target_cells(struct page *p, const struct rollup *ru)
{
	pf(p, "<td class=\"num c-%s\"><b>", colour_class(ru->colour));
	pct(p, ru->covered_pct);
	put(p, "</b></td><td class=\"barcell\">");
	bar(p, ru);
	put(p, "</td><td class=\"num\">");
	if (isfinite(ru->target_pct))
		pct(p, ru->target_pct);
	else
		esc(p, tr(p, T_NO_TARGET));
	put(p, "</td><td class=\"hide-sm\">");
	date(p, ru->deadline);
	put(p, "</td>");
}

static void
target_headers(struct page *p)
{
	pf(p, "<th class=\"num\">%s</th><th></th><th class=\"num\">%s</th>"
	    "<th class=\"hide-sm\">%s</th>", tr(p, T_COVERED), tr(p, T_TARGET), tr(p, T_DEADLINE));
}

/* The summary boxes at the top of a province or commune page. */
static void
summary(struct page *p, const struct rollup *ru)
{
	pf(p, "<div class=\"stats\"><div class=\"stat big c-%s\"><b>", colour_class(ru->colour));
	pct(p, ru->covered_pct);
	pf(p, "</b>%s", tr(p, T_COVERED));
	if (isfinite(ru->target_pct)) {
		pf(p, " · %s ", tr(p, T_TARGET));
		pct(p, ru->target_pct);
		if (ru->deadline != INV_NO_DATE) {
			pf(p, " %s ", tr(p, T_DEADLINE));
			date(p, ru->deadline);
		}
	}
	put(p, "</div>");
	for (int i = 0; i < HS__COUNT; i++) {
		pf(p, "<div class=\"stat\"><b>%u</b><span class=\"dot st-%s\"></span>",
		    ru->counts[i], state_class(i));
		esc(p, state_word(p, i));
		put(p, "</div>");
	}
	pf(p, "<div class=\"stat\"><b>%u</b>%s</div>", ru->overdue, tr(p, T_OVERDUE));
	put(p, "</div>\n");
}

static void
blind_note(struct page *p)
{
	if (p->cov->blind) {
		put(p, "<p class=\"card warn\">");
		esc(p, tr(p, T_BLIND));
		put(p, "</p>\n");
	}
}

/* An <img> of a graph, or "no data yet" when its file is not there. */
static bool
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool
site_file(const struct page *p, const struct inv_hamlet *h, const char *group)
{
	char path[1200];

	if (h->agent == NULL || p->env->data_dir == NULL)
		return false;
	if (snprintf(path, sizeof path, "%s/rrd/%s/%s/%s.rrd", p->env->data_dir,
	    p->inv->provinces[h->province].id, h->agent, group) >= (int)sizeof path)
		return false;
	return file_exists(path);
}

static bool
rollup_file(const struct page *p, size_t province, const char *commune)
{
	char path[1200];
	int n;

	if (p->env->data_dir == NULL)
		return false;
	if (commune != NULL)
		n = snprintf(path, sizeof path, "%s/rrd/%s/_commune_%s.rrd", p->env->data_dir,
		    p->inv->provinces[province].id, commune);
	else
		n = snprintf(path, sizeof path, "%s/rrd/%s/_province.rrd", p->env->data_dir,
		    p->inv->provinces[province].id);
	return n < (int)sizeof path && file_exists(path);
}

static void
graph_img(struct page *p, const char *tmpl, const char *id, const char *range,
    const char *alt, bool have)
{
	if (!have) {
		pf(p, "<div class=\"nograph\">%s — %s</div>", alt, tr(p, T_NO_DATA));
		return;
	}
	pf(p, "<a href=\"/graph/%s/", tmpl);
	esc(p, id);
	pf(p, ".svg?range=%s\"><img src=\"/graph/%s/", range, tmpl);
	esc(p, id);
	pf(p, ".png?range=%s\" width=\"800\" height=\"300\" loading=\"lazy\" alt=\"", range);
	esc(p, alt);
	put(p, "\"></a>");
}

static void
coverage_graph(struct page *p, size_t province, const char *commune, const char *id)
{
	pf(p, "<h2>%s</h2>\n<div class=\"graphs one\">", tr(p, T_COVERAGE_MONTH));
	bool have = rollup_file(p, province, commune);
	graph_img(p, "coverage", id, "1m", tr(p, T_COVERAGE_MONTH), have);
	put(p, "</div>\n");
	if (have) {
		static const char *const ranges[] = { "6h", "1d", "1w", "1y" };
		pf(p, "<p class=\"ranges\">%s", tr(p, T_OTHER_RANGES));
		for (size_t k = 0; k < sizeof ranges / sizeof ranges[0]; k++) {
			put(p, "<a href=\"/graph/coverage/");
			esc(p, id);
			pf(p, ".png?range=%s\">%s</a>", ranges[k], ranges[k]);
		}
		put(p, "</p>\n");
	}
}

/* --- alerts from the state DB --- */

static const char *under(const char *url, const char *prefix);

static void
kind_word(struct page *p, const char *kind)
{
	int k = alert_kind_lookup(kind);

	/* A kind a newer collector wrote: its name as it is. */
	esc(p, k >= 0 && k < AK__COUNT ? kind_words[k][p->lang] : kind);
}

/* An alert's scope or a silence's match: a link with the inventory's name
 * when it names a hamlet, commune or province of it, else the raw text. */
static void
scope_link(struct page *p, const char *scope)
{
	const char *id;

	if (strcmp(scope, "*") == 0) {
		esc(p, tr(p, T_EVERYTHING));
		return;
	}
	if (p->inv != NULL) {
		const struct inv_hamlet *h;
		const struct inv_commune *c;
		const struct inv_province *v;
		if ((id = under(scope, "hamlet:")) != NULL &&
		    (h = inventory_hamlet(p->inv, id)) != NULL) {
			link_hamlet(p, (size_t)(h - p->inv->hamlets));
			return;
		}
		if ((id = under(scope, "commune:")) != NULL &&
		    (c = inventory_commune(p->inv, id)) != NULL) {
			link_commune(p, (size_t)(c - p->inv->communes));
			return;
		}
		if ((id = under(scope, "province:")) != NULL &&
		    (v = inventory_province(p->inv, id)) != NULL) {
			link_province(p, (size_t)(v - p->inv->provinces));
			return;
		}
	}
	put(p, "<code>");
	esc(p, scope);
	put(p, "</code>");
}

int
pages_kind_severity(const char *kind)
{
	int k = alert_kind_lookup(kind);

	return k >= 0 && k < AK__COUNT ? (int)alert_kind_severity((enum alert_kind)k) :
	    SEV_WARNING;
}

/*
 * When an overdue hamlet's rollout fell behind: its target date from the
 * inventory, "overdue since 2025-04-07 (221 d)". The alert's own `since`
 * may be when this collector first saw it, which says nothing about the
 * rollout. False when the inventory does not know the hamlet (no
 * evaluation yet, or a reload removed it).
 */
static bool
overdue_since(struct page *p, const struct pages_alert *a)
{
	const struct inv_hamlet *h;
	const char *id = under(a->scope, "hamlet:");
	char buf[16];

	if (p->inv == NULL || id == NULL || strcmp(a->kind, "hamlet_overdue") != 0 ||
	    (h = inventory_hamlet(p->inv, id)) == NULL || h->target_date == INV_NO_DATE)
		return false;
	inventory_date_str(h->target_date, buf, sizeof buf);
	pf(p, "%s %s", tr(p, T_OVERDUE_SINCE), buf);
	double days = floor(p->env->now / 86400) - h->target_date;
	if (days >= 1)
		pf(p, " <small>(%.0f %s)</small>", days, tr(p, T_DAYS));
	return true;
}

enum { AT_STATE = 1, AT_RESOLVED = 2 };	/* alert_table() columns */

/* Alerts as a table: [state,] severity, kind, where, summary with its
 * marks, since [, resolved]. Each row has its severity as a word and as a
 * class (the colour). */
static void
alert_table(struct page *p, const struct pages_alert *a, int n, int cols)
{
	put(p, "<div class=\"scroll\"><table class=\"alerts\"><thead><tr>");
	if (cols & AT_STATE)
		pf(p, "<th>%s</th>", tr(p, T_STATE));
	pf(p, "<th>%s</th><th class=\"hide-sm\">%s</th><th>%s</th><th>%s</th><th>%s</th>",
	    tr(p, T_SEVERITY), tr(p, T_KIND), tr(p, T_WHERE), tr(p, T_SUMMARY),
	    tr(p, T_SINCE_COL));
	if (cols & AT_RESOLVED)
		pf(p, "<th>%s</th>", tr(p, T_RESOLVED_COL));
	put(p, "</tr></thead><tbody>\n");
	for (int k = 0; k < n; k++) {
		bool firing = strcmp(a[k].state, "firing") == 0;
		int sev = pages_kind_severity(a[k].kind);
		pf(p, "<tr id=\"alert-%lld\" class=\"sev-%s\">", (long long)a[k].id,
		    alert_severity_name[sev]);
		if (cols & AT_STATE)
			pf(p, "<td><span class=\"badge %s\">%s</span></td>",
			    firing ? "st-down" : "st-covered",
			    tr(p, firing ? T_FIRING_ONE : T_RESOLVED));
		pf(p, "<td><span class=\"badge sev-%s\">%s</span></td><td class=\"hide-sm\">",
		    alert_severity_name[sev], severity_words[sev][p->lang]);
		kind_word(p, a[k].kind);
		put(p, "</td><td class=\"name\">");
		scope_link(p, a[k].scope);
		put(p, "</td><td class=\"summary\">");
		esc(p, a[k].summary);
		if (a[k].flapping)
			pf(p, " <span class=\"badge m-flapping\">%s</span>", tr(p, T_FLAPPING));
		if (a[k].silenced)
			pf(p, " <span class=\"badge m-silenced\">%s</span>", tr(p, T_SILENCED));
		if (a[k].acked)
			pf(p, " <span class=\"badge m-acked\">%s</span>", tr(p, T_ACKED));
		put(p, "</td><td>");
		if (!overdue_since(p, &a[k]))
			ago(p, a[k].since);
		put(p, "</td>");
		if (cols & AT_RESOLVED) {
			put(p, "<td>");
			if (a[k].resolved_at > 0)
				ago(p, a[k].resolved_at);
			put(p, "</td>");
		}
		put(p, "</tr>\n");
	}
	put(p, "</tbody></table></div>\n");
}

/*
 * Reads up to max alerts into a buffer of the caller's (*rows, freed by
 * it) and sets *total. Returns the count, or -1 when the state DB cannot
 * answer (the section says so) or memory ran out (the page fails).
 */
static int
read_alerts(struct page *p, enum pages_alerts_which which, const char *hamlet, double from,
    int max, struct pages_alert **rows, int *total)
{
	const struct pages_source *src = p->env->src;

	*rows = NULL;
	*total = 0;
	if (src == NULL || src->alerts == NULL)
		return -1;
	if ((*rows = calloc((size_t)max, sizeof **rows)) == NULL) {
		p->oom = true;
		return -1;
	}
	return src->alerts(src->arg, which, hamlet, from, p->env->now, *rows, max, total);
}

/*
 * The overview's firing alerts, most severe first: the first
 * OVERVIEW_ALERTS, then a link; then the rollout's backlog apart, its
 * count and the first OVERVIEW_ROLLOUT, with a link to the whole list on
 * /alerts (not said again when the state DB cannot be read).
 */
static void
firing_alerts(struct page *p)
{
	struct pages_alert *a;
	int total, n = read_alerts(p, PAGES_FIRING, NULL, 0, OVERVIEW_ALERTS, &a, &total);

	pf(p, "<h2>%s", tr(p, T_FIRING));
	if (n > 0)
		pf(p, " <small>(%d)</small>", total);
	put(p, "</h2>\n");
	if (n < 0)
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NO_DB));
	else if (n == 0)
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NONE_FIRING));
	else
		alert_table(p, a, n, 0);
	if (n >= 0 && total > n)
		pf(p, "<p>… %d %s <a href=\"/alerts%s\">%s</a></p>\n", total - n,
		    tr(p, T_MORE_ALERTS), p->qs, tr(p, T_ALL_ALERTS));
	free(a);

	n = read_alerts(p, PAGES_ROLLOUT, NULL, 0, OVERVIEW_ROLLOUT, &a, &total);
	if (n >= 0) {
		pf(p, "<h2 id=\"rollout\">%s", tr(p, T_ROLLOUT));
		if (n > 0)
			pf(p, " <small>(%d)</small>", total);
		pf(p, "</h2>\n<p class=\"muted small\">%s</p>\n", tr(p, T_ROLLOUT_NOTE));
		if (n == 0)
			pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NONE_ROLLOUT));
		else
			alert_table(p, a, n, 0);
		if (total > n)
			pf(p, "<p>… %d %s <a href=\"/alerts%s#rollout\">%s</a></p>\n", total - n,
			    tr(p, T_ROLLOUT_MORE), p->qs, tr(p, T_ROLLOUT_ALL));
	}
	free(a);
}

/* --- the overview --- */

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
	pf(p, "<h2>%s <small>(%s ", tr(p, T_WORST_LOSS), tr(p, T_WINDOW));
	duration(p, p->env->thr ? p->env->thr->window : 0);
	put(p, ")</small></h2>\n");
	if (t.n == 0) {
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NONE_LOSS));
		return;
	}
	pf(p, "<div class=\"scroll\"><table><thead><tr><th>%s</th><th class=\"hide-sm\">%s</th>"
	    "<th class=\"num\">%s</th><th class=\"num\">%s</th><th>%s</th></tr></thead><tbody>\n",
	    tr(p, T_HAMLET), tr(p, T_COMMUNE), tr(p, T_LOSS), tr(p, T_RTT), tr(p, T_STATE));
	for (int k = 0; k < t.n; k++) {
		size_t i = t.idx[k];
		const struct hamlet_eval *e = &p->cov->hamlets[i];
		put(p, "<tr><td class=\"name\">");
		link_hamlet(p, i);
		put(p, "</td><td class=\"hide-sm\">");
		link_commune(p, (size_t)p->inv->hamlets[i].commune);
		put(p, "</td><td class=\"num\">");
		pct(p, e->loss_pct);
		put(p, "</td><td class=\"num\">");
		num(p, e->rtt_ms, 0, "ms");
		put(p, "</td><td>");
		badge(p, e->state);
		put(p, "</td></tr>\n");
	}
	put(p, "</tbody></table></div>\n");
}

static void
worst_downtime(struct page *p)
{
	struct pages_downtime rows[TOP_N];
	const struct pages_source *src = p->env->src;
	int n = -1;

	pf(p, "<h2>%s <small>(%s)</small></h2>\n", tr(p, T_WORST_DOWN), tr(p, T_LAST_7_DAYS));
	if (src != NULL && src->worst_downtime != NULL)
		n = src->worst_downtime(src->arg, p->env->now - WEEK, p->env->now, rows, TOP_N);
	if (n < 0) {
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NO_DB));
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
			pf(p, "<div class=\"scroll\"><table><thead><tr><th>%s</th>"
			    "<th class=\"hide-sm\">%s</th><th class=\"num\">%s</th><th>%s</th></tr>"
			    "</thead><tbody>\n", tr(p, T_HAMLET), tr(p, T_COMMUNE), tr(p, T_DOWNTIME),
			    tr(p, T_STATE));
		put(p, "<tr><td class=\"name\">");
		link_hamlet(p, i);
		put(p, "</td><td class=\"hide-sm\">");
		link_commune(p, (size_t)h->commune);
		put(p, "</td><td class=\"num\">");
		duration(p, rows[k].seconds);
		put(p, "</td><td>");
		badge(p, p->cov->hamlets[i].state);
		put(p, "</td></tr>\n");
	}
	if (shown == 0)
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NONE_DOWN));
	else
		put(p, "</tbody></table></div>\n");
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
	pf(p, "<h2>%s</h2>\n", tr(p, T_BEHIND));
	if (t.n == 0) {
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NONE_BEHIND));
		return;
	}
	pf(p, "<div class=\"scroll\"><table><thead><tr><th>%s</th><th class=\"hide-sm\">%s</th>",
	    tr(p, T_COMMUNE), tr(p, T_PROVINCE));
	target_headers(p);
	pf(p, "<th class=\"num\">%s</th></tr></thead><tbody>\n", tr(p, T_SHORTFALL));
	for (int k = 0; k < t.n; k++) {
		size_t i = t.idx[k];
		put(p, "<tr><td class=\"name\">");
		link_commune(p, i);
		put(p, "</td><td class=\"hide-sm\">");
		link_province(p, (size_t)p->inv->communes[i].province);
		put(p, "</td>");
		target_cells(p, &p->cov->communes[i]);
		put(p, "<td class=\"num\">");
		pf(p, "%.1f&nbsp;%%", t.key[k]);
		put(p, "</td></tr>\n");
	}
	put(p, "</tbody></table></div>\n");
}

static void
page_overview(struct page *p)
{
	head(p, tr(p, T_TITLE_OVERVIEW), "/");
	pf(p, "<h1>%s</h1>\n", tr(p, T_TITLE_OVERVIEW));
	blind_note(p);
	pf(p, "<div class=\"scroll\"><table class=\"scopes\"><thead><tr><th>%s</th>",
	    tr(p, T_PROVINCE));
	target_headers(p);
	count_headers(p);
	pf(p, "<th class=\"num hide-sm\">%s</th></tr></thead><tbody>\n", tr(p, T_OVERDUE));
	for (size_t i = 0; i < p->inv->nprovinces; i++) {
		const struct rollup *ru = &p->cov->provinces[i];
		put(p, "<tr><td class=\"name\">");
		link_province(p, i);
		put(p, "</td>");
		target_cells(p, ru);
		count_cells(p, ru);
		pf(p, "<td class=\"num hide-sm\">%u</td></tr>\n", ru->overdue);
	}
	if (p->inv->nprovinces > 1) {
		const struct rollup *ru = &p->cov->all;
		pf(p, "<tr class=\"all\"><td class=\"name\">%s</td><td class=\"num\"><b>",
		    tr(p, T_ALL));
		pct(p, ru->covered_pct);
		put(p, "</b></td><td></td><td></td><td class=\"hide-sm\"></td>");
		count_cells(p, ru);
		pf(p, "<td class=\"num hide-sm\">%u</td></tr>\n", ru->overdue);
	}
	put(p, "</tbody></table></div>\n");
	firing_alerts(p);
	communes_behind(p);
	worst_loss(p);
	worst_downtime(p);
	foot(p);
}

/* --- the national view: the provinces' summaries --- */

static void
page_national(struct page *p, const char *url, struct pages_out *out)
{
	const struct pages_national *nv = p->env->national;
	struct rollup all;

	if (strcmp(url, "/") != 0) {
		out->status = 404;
		notice_page(p, url, tr(p, T_NOT_FOUND), tr(p, T_NATIONAL_ONLY), NULL);
		return;
	}
	head(p, tr(p, T_TITLE_NATIONAL), "/");
	pf(p, "<h1>%s</h1>\n<p class=\"muted\">", tr(p, T_TITLE_NATIONAL));
	esc(p, tr(p, T_NATIONAL_NOTE));
	put(p, "</p>\n");
	if (nv->n == 0) {
		put(p, "<p class=\"card warn\">");
		esc(p, tr(p, T_NO_SUMMARY));
		put(p, "</p>\n");
		foot(p);
		return;
	}
	pf(p, "<div class=\"scroll\"><table class=\"scopes\"><thead><tr><th>%s</th>",
	    tr(p, T_PROVINCE));
	target_headers(p);
	count_headers(p);
	pf(p, "<th class=\"num hide-sm\">%s</th><th>%s</th></tr></thead><tbody>\n",
	    tr(p, T_OVERDUE), tr(p, T_UPDATED));
	for (size_t i = 0; i < nv->n; i++) {
		const struct national_summary *x = &nv->provinces[i];
		bool stale = national_age(x, p->env->now) > nv->stale_after;
		pf(p, "<tr%s><td class=\"name\">", stale ? " class=\"stale\"" : "");
		esc(p, x->name);
		put(p, "</td>");
		target_cells(p, &x->ru);
		count_cells(p, &x->ru);
		pf(p, "<td class=\"num hide-sm\">%u</td><td>", x->ru.overdue);
		ago(p, x->evaluated_at > 0 ? x->evaluated_at : x->received_at);
		if (stale) {
			put(p, " <span class=\"badge m-stale\">");
			esc(p, tr(p, T_OUT_OF_DATE));
			put(p, "</span>");
		}
		put(p, "</td></tr>\n");
	}
	if (nv->n > 1) {
		national_total(nv->provinces, nv->n, &all);
		pf(p, "<tr class=\"all\"><td class=\"name\">%s</td><td class=\"num\"><b>",
		    tr(p, T_ALL));
		pct(p, all.covered_pct);
		put(p, "</b></td><td></td><td></td><td class=\"hide-sm\"></td>");
		count_cells(p, &all);
		pf(p, "<td class=\"num hide-sm\">%u</td><td></td></tr>\n", all.overdue);
	}
	put(p, "</tbody></table></div>\n");
	foot(p);
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

/*
 * The hamlets of province pi by latitude and longitude: an equirectangular
 * projection (x = lon · cos(mid latitude), y = −lat) fitted to the
 * province's bounding box, each hamlet a circle coloured by state and a
 * link to its page, its uplink a line. SVG inside the page: no script, no
 * tiles, nothing fetched from elsewhere.
 */
static void
province_map(struct page *p, size_t pi)
{
	const struct inventory *inv = p->inv;
	double lat0 = INFINITY, lat1 = -INFINITY, lon0 = INFINITY, lon1 = -INFINITY;
	size_t placed = 0, unplaced = 0;
	uint32_t counts[HS__COUNT] = { 0 };

	for (size_t i = 0; i < inv->nhamlets; i++) {
		const struct inv_hamlet *h = &inv->hamlets[i];
		if ((size_t)h->province != pi)
			continue;
		counts[p->cov->hamlets[i].state < HS__COUNT ? p->cov->hamlets[i].state :
		    HS_UNMONITORED]++;
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
	pf(p, "<h2>%s</h2>\n", tr(p, T_MAP));
	if (placed > 0) {
		double k = cos((lat0 + lat1) / 2 * M_PI / 180);
		/* A single hamlet, or a row of them: give the box some size. */
		double w = fmax((lon1 - lon0) * k, 0.01), hgt = fmax(lat1 - lat0, 0.01);
		double scale = (MAP_W - 2 * MAP_PAD) / w;
		double H = hgt * scale + 2 * MAP_PAD;
		/* A tall, thin province would make a very tall map: fit the height. */
		if (H > 1.4 * MAP_W) {
			scale = (1.4 * MAP_W - 2 * MAP_PAD) / hgt;
			H = 1.4 * MAP_W;
		}
		double cx = (MAP_W - w * scale) / 2, cy = (H - hgt * scale) / 2;
		double r = placed > 400 ? 3.5 : placed > 100 ? 5 : 7;
#define MX(lon)	(cx + ((lon) - lon0) * k * scale)
#define MY(lat)	(cy + (lat1 - (lat)) * scale)
		pf(p, "<div class=\"mapbox\"><svg class=\"map\" viewBox=\"0 0 %.0f %.0f\" "
		    "role=\"img\" aria-label=\"%s\">\n", MAP_W, ceil(H), tr(p, T_MAP));
		/* Uplinks first, under the dots. */
		put(p, "<g class=\"uplinks\">");
		for (size_t i = 0; i < inv->nhamlets; i++) {
			const struct inv_hamlet *h = &inv->hamlets[i];
			if ((size_t)h->province != pi || !h->placed || h->uplink < 0)
				continue;
			const struct inv_hamlet *u = &inv->hamlets[h->uplink];
			if ((size_t)u->province != pi || !u->placed)
				continue;
			pf(p, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", MX(h->lon),
			    MY(h->lat), MX(u->lon), MY(u->lat));
		}
		put(p, "</g>\n");
		/* Worst states last, so that they are drawn on top. */
		for (int rank = HS__COUNT - 1; rank >= 0; rank--) {
			for (size_t i = 0; i < inv->nhamlets; i++) {
				const struct inv_hamlet *h = &inv->hamlets[i];
				int st = p->cov->hamlets[i].state < HS__COUNT ?
				    p->cov->hamlets[i].state : HS_UNMONITORED;
				if ((size_t)h->province != pi || !h->placed || state_rank[st] != rank)
					continue;
				put(p, "<a href=\"/hamlet/");
				esc(p, h->id);
				pf(p, "%s\"><circle class=\"st-%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%g\">"
				    "<title>", p->qs, state_class(st), MX(h->lon), MY(h->lat), r);
				esc(p, h->name);
				put(p, ", ");
				esc(p, inv->communes[h->commune].name);
				put(p, " — ");
				esc(p, state_word(p, st));
				put(p, "</title></circle></a>\n");
			}
		}
#undef MX
#undef MY
		put(p, "</svg></div>\n");
	}
	put(p, "<ul class=\"legend\">");
	for (int st = 0; st < HS__COUNT; st++) {
		pf(p, "<li><span class=\"dot st-%s\"></span>", state_class(st));
		esc(p, state_word(p, st));
		pf(p, " (%u)</li>", counts[st]);
	}
	put(p, "</ul>\n");
	pf(p, "<p class=\"muted small\">%s", tr(p, T_PLACED_NOTE));
	if (unplaced > 0)
		pf(p, " %zu %s.", unplaced, tr(p, T_NOT_PLACED));
	put(p, "</p>\n");
}

static int
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

	head(p, pr->name, path);
	pf(p, "<p class=\"crumbs\"><a href=\"/%s\">%s</a> ›</p>\n<h1>%s ", p->qs,
	    tr(p, T_OVERVIEW), tr(p, T_PROVINCE));
	esc(p, pr->name);
	put(p, "</h1>\n");
	blind_note(p);
	summary(p, &p->cov->provinces[pi]);
	pf(p, "<h2>%s</h2>\n<div class=\"scroll\"><table><thead><tr><th>%s</th>",
	    tr(p, T_COMMUNES), tr(p, T_COMMUNE));
	target_headers(p);
	count_headers(p);
	pf(p, "<th class=\"num hide-sm\">%s</th></tr></thead><tbody>\n", tr(p, T_OVERDUE));
	for (size_t k = 0; k < n; k++) {
		const struct rollup *ru = &p->cov->communes[idx[k]];
		put(p, "<tr><td class=\"name\">");
		link_commune(p, idx[k]);
		put(p, "</td>");
		target_cells(p, ru);
		count_cells(p, ru);
		pf(p, "<td class=\"num hide-sm\">%u</td></tr>\n", ru->overdue);
	}
	put(p, "</tbody></table></div>\n");
	free(idx);
	province_map(p, pi);
	coverage_graph(p, pi, NULL, pr->id);
	foot(p);
	return 0;
}

/* --- a commune: its hamlets --- */

static int
hamlet_cmp(const void *a, const void *b, void *arg)
{
	const struct coverage *cov = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int si = cov->hamlets[i].state < HS__COUNT ? state_rank[cov->hamlets[i].state] : 9;
	int sj = cov->hamlets[j].state < HS__COUNT ? state_rank[cov->hamlets[j].state] : 9;

	if (si != sj)
		return si < sj ? -1 : 1;
	return i < j ? -1 : i > j ? 1 : 0;
}

/* The last value of metric m of hamlet i, or NAN. */
static double
last_value(const struct page *p, size_t i, int m)
{
	const struct agent_view *v = p->s->views ? &p->s->views[i] : NULL;

	if (v == NULL || !(v->present & (UINT64_C(1) << m)))
		return NAN;
	return v->m[m];
}

static int
page_commune(struct page *p, const char *path, size_t ci)
{
	const struct inv_commune *c = &p->inv->communes[ci];
	size_t pi = (size_t)c->province, n = 0;
	size_t *idx = malloc((c->nhamlets ? c->nhamlets : 1) * sizeof *idx);

	if (idx == NULL)
		return -1;
	for (size_t i = 0; i < p->inv->nhamlets && n < c->nhamlets; i++)
		if ((size_t)p->inv->hamlets[i].commune == ci)
			idx[n++] = i;
	qsort_r(idx, n, sizeof *idx, hamlet_cmp, (void *)p->cov);

	head(p, c->name, path);
	pf(p, "<p class=\"crumbs\"><a href=\"/%s\">%s</a> › ", p->qs, tr(p, T_OVERVIEW));
	link_province(p, pi);
	pf(p, "</p>\n<h1>%s ", tr(p, T_COMMUNE));
	esc(p, c->name);
	put(p, "</h1>\n");
	blind_note(p);
	summary(p, &p->cov->communes[ci]);
	pf(p, "<h2>%s</h2>\n<div class=\"scroll\"><table><thead><tr><th>%s</th><th>%s</th>"
	    "<th>%s</th><th class=\"num\">%s</th><th class=\"num\">%s</th>"
	    "<th class=\"num hide-sm\">%s</th><th class=\"num hide-sm\">%s</th>"
	    "<th class=\"hide-sm\">%s</th></tr></thead><tbody>\n", tr(p, T_HAMLETS),
	    tr(p, T_HAMLET), tr(p, T_STATE), tr(p, T_LAST_SEEN), tr(p, T_LOSS), tr(p, T_RTT),
	    tr(p, T_SIGNAL), tr(p, T_CLIENTS), tr(p, T_TARGET_DATE));
	for (size_t k = 0; k < n; k++) {
		size_t i = idx[k];
		const struct inv_hamlet *h = &p->inv->hamlets[i];
		const struct hamlet_eval *e = &p->cov->hamlets[i];
		put(p, "<tr><td class=\"name\">");
		link_hamlet(p, i);
		if (h->agent == NULL)
			pf(p, " <small class=\"muted\">(%s)</small>", tr(p, T_NO_AGENT));
		put(p, "</td><td>");
		badge(p, e->state);
		if (e->state == HS_UNREACHABLE && e->root >= 0 &&
		    (size_t)e->root < p->inv->nhamlets) {
			pf(p, " <small>%s ", tr(p, T_CUT_OFF));
			link_hamlet(p, (size_t)e->root);
			put(p, "</small>");
		}
		put(p, "</td><td>");
		ago(p, e->last_seen);
		pf(p, "</td><td class=\"num%s\">", e->loss_breach ? " v-bad" : "");
		pct(p, e->loss_pct);
		pf(p, "</td><td class=\"num%s\">", e->rtt_breach ? " v-bad" : "");
		num(p, e->rtt_ms, 0, "ms");
		put(p, "</td><td class=\"num hide-sm\">");
		num(p, last_value(p, i, M_RADIO_SIGNAL_DBM), 0, "dBm");
		put(p, "</td><td class=\"num hide-sm\">");
		num(p, last_value(p, i, M_CLIENTS), 0, "");
		pf(p, "</td><td class=\"hide-sm%s\">", e->overdue ? " v-bad" : "");
		date(p, h->target_date);
		if (e->overdue)
			pf(p, " <small>(%s)</small>", tr(p, T_OVERDUE));
		put(p, "</td></tr>\n");
	}
	put(p, "</tbody></table></div>\n");
	free(idx);
	coverage_graph(p, pi, c->id, c->id);
	foot(p);
	return 0;
}

/* --- a hamlet: the site page --- */

enum verdict { V_NONE, V_OK, V_WARN, V_BAD };

/* The agent's rule (agent/report.c): bad above max, warn above 80 % of it. */
static enum verdict
judge_max(double v, double max)
{
	if (!isfinite(v))
		return V_NONE;
	if (v > max)
		return V_BAD;
	return v > 0.8 * max ? V_WARN : V_OK;
}

/* Higher is better: ok at or above good, warn at or above fair. */
static enum verdict
judge_min(double v, double good, double fair)
{
	if (!isfinite(v))
		return V_NONE;
	return v >= good ? V_OK : v >= fair ? V_WARN : V_BAD;
}

static void
value_row(struct page *p, enum msg name, const char *value, enum verdict v, const char *note)
{
	static const char *const cls[] = { "", "v-ok", "v-warn", "v-bad" };
	static const enum msg word[] = { T_COUNT, T_OK, T_WARN, T_BAD };

	pf(p, "<tr><th>%s</th><td class=\"num\">%s</td><td class=\"%s\">", tr(p, name), value,
	    cls[v]);
	if (v != V_NONE)
		put(p, tr(p, word[v]));
	if (note != NULL && note[0] != '\0')
		pf(p, " <small>%s</small>", note);
	put(p, "</td></tr>\n");
}

static void
bits(char *buf, size_t len, double bps)
{
	if (!isfinite(bps))
		snprintf(buf, len, "—");
	else if (bps >= 1e6)
		snprintf(buf, len, "%.1f&nbsp;Mbit/s", bps / 1e6);
	else
		snprintf(buf, len, "%.0f&nbsp;kbit/s", bps / 1e3);
}

static void
current_values(struct page *p, size_t i)
{
	const struct hamlet_eval *e = &p->cov->hamlets[i];
	const struct agent_view *v = p->s->views ? &p->s->views[i] : NULL;
	const struct coverage_conf *thr = p->env->thr;
	double max_loss = thr ? thr->max_loss_pct : 5, max_rtt = thr ? thr->max_rtt_ms : 300;
	char buf[128], note[160], a[48], b[48];
	double x;

	pf(p, "<h2>%s</h2>\n", tr(p, T_CURRENT));
	if ((v == NULL || v->present == 0) && !isfinite(e->loss_pct) && !isfinite(e->rtt_ms)) {
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NO_VALUES));
		return;
	}
	/* Values from before an outage still read "ok": say they are old. */
	double at = v != NULL && v->last_ts > 0 ? (double)v->last_ts : e->last_seen;
	bool stale = e->state == HS_DOWN || e->state == HS_UNREACHABLE ||
	    (thr != NULL && at > 0 && p->env->now - at > thr->offline_after);
	if (stale) {
		pf(p, "<p class=\"card warn\">%s ", tr(p, T_STALE));
		clock_time(p, at);
		put(p, " (");
		ago(p, at);
		put(p, ").</p>\n");
	}
	pf(p, "<div class=\"scroll\"><table class=\"values%s\"><thead><tr><th>%s</th>"
	    "<th class=\"num\">%s</th><th>%s</th></tr></thead><tbody>\n", stale ? " stale" : "",
	    tr(p, T_MEASURE), tr(p, T_VALUE), tr(p, T_VERDICT));
	/* Loss and RTT: the window's figures, judged as the collector does. */
	snprintf(buf, sizeof buf, isfinite(e->loss_pct) ? "%.1f&nbsp;%%" : "—", e->loss_pct);
	snprintf(note, sizeof note, "(%s, ≤ %g&nbsp;%%)", tr(p, T_WINDOW), max_loss);
	value_row(p, T_LOSS, buf, judge_max(e->loss_pct, max_loss), note);
	snprintf(buf, sizeof buf, isfinite(e->rtt_ms) ? "%.0f&nbsp;ms" : "—", e->rtt_ms);
	snprintf(note, sizeof note, "(%s, ≤ %g&nbsp;ms)", tr(p, T_WINDOW), max_rtt);
	value_row(p, T_RTT, buf, judge_max(e->rtt_ms, max_rtt), note);
	if (isfinite(x = last_value(p, i, M_ICMP_JITTER_MS))) {
		snprintf(buf, sizeof buf, "%.1f&nbsp;ms", x);
		snprintf(note, sizeof note, "(≤ %g&nbsp;ms)", MAX_JITTER_MS);
		value_row(p, T_JITTER, buf, judge_max(x, MAX_JITTER_MS), note);
	}
	if (isfinite(x = last_value(p, i, M_RADIO_SIGNAL_DBM))) {
		snprintf(buf, sizeof buf, "%.0f&nbsp;dBm", x);
		value_row(p, T_SIGNAL, buf, judge_min(x, -70, -80), "(≥ −70&nbsp;dBm)");
	}
	if (isfinite(x = last_value(p, i, M_RADIO_SNR_DB))) {
		snprintf(buf, sizeof buf, "%.0f&nbsp;dB", x);
		value_row(p, T_SNR, buf, judge_min(x, 20, 15), "(≥ 20&nbsp;dB)");
	}
	if (isfinite(x = last_value(p, i, M_IF_OPER_UP)))
		value_row(p, T_LINK, tr(p, x >= 1 ? T_UP : T_LINK_DOWN), x >= 1 ? V_OK : V_BAD, NULL);
	double rx = last_value(p, i, M_IF_RX_BPS), tx = last_value(p, i, M_IF_TX_BPS);
	if (!isfinite(rx) && !isfinite(tx)) {
		rx = last_value(p, i, M_PCAP_RX_BPS);
		tx = last_value(p, i, M_PCAP_TX_BPS);
	}
	if (isfinite(rx) || isfinite(tx)) {
		bits(a, sizeof a, rx);
		bits(b, sizeof b, tx);
		snprintf(buf, sizeof buf, "%s / %s", a, b);
		value_row(p, T_TRAFFIC, buf, V_NONE, NULL);
	}
	if (isfinite(x = last_value(p, i, M_CLIENTS))) {
		snprintf(buf, sizeof buf, "%.0f", x);
		value_row(p, T_CLIENTS, buf, V_NONE, NULL);
	}
	if (isfinite(x = last_value(p, i, M_TCP_RETRANS_PCT))) {
		snprintf(buf, sizeof buf, "%.1f&nbsp;%%", x);
		value_row(p, T_RETRANS, buf, judge_max(x, 5), "(≤ 5&nbsp;%)");
	}
	if (isfinite(x = last_value(p, i, M_POWER_MAINS_UP)))
		value_row(p, T_POWER, tr(p, x >= 1 ? T_MAINS : T_ON_BATTERY), x >= 1 ? V_OK : V_WARN,
		    NULL);
	if (isfinite(x = last_value(p, i, M_BATTERY_PCT))) {
		snprintf(buf, sizeof buf, "%.0f&nbsp;%%", x);
		double volts = last_value(p, i, M_SUPPLY_VOLTS);
		if (isfinite(volts))
			snprintf(note, sizeof note, "(%.1f&nbsp;V)", volts);
		else
			note[0] = '\0';
		value_row(p, T_BATTERY, buf, judge_min(x, 50, 20), note);
	}
	if (isfinite(x = last_value(p, i, M_UPTIME_S))) {
		long s = lround(x);
		snprintf(buf, sizeof buf, "%ld&nbsp;%s %ld&nbsp;%s", s / 86400, tr(p, T_DAYS),
		    s % 86400 / 3600, tr(p, T_HOURS));
		/* A restart within the hour: in the field, most often a power cut. */
		value_row(p, T_UPTIME, buf, x < 3600 ? V_WARN : V_NONE, NULL);
	}
	put(p, "</tbody></table></div>\n");
	if (v != NULL && v->last_ts > 0) {
		pf(p, "<p class=\"muted small\">%s ", tr(p, T_VALUES_AT));
		clock_time(p, (double)v->last_ts);
		put(p, " (");
		ago(p, (double)v->last_ts);
		put(p, ")</p>\n");
	}
}

static void
uplink_chain(struct page *p, size_t i)
{
	const struct inventory *inv = p->inv;
	int32_t j = (int32_t)i;
	int hops = 0;

	pf(p, "<h2>%s</h2>\n<ol class=\"chain\">", tr(p, T_UPLINK));
	/* This site, then each uplink to the one with direct backhaul. The
	 * loader refuses cycles; the bound is for a bug, not for input. */
	while (j >= 0 && (size_t)j < inv->nhamlets && hops++ < CHAIN_MAX) {
		put(p, "<li>");
		if ((size_t)j == i) {
			put(p, "<b>");
			esc(p, inv->hamlets[j].name);
			pf(p, "</b> <small>(%s)</small>", tr(p, T_THIS_SITE));
		} else {
			link_hamlet(p, (size_t)j);
		}
		put(p, " ");
		badge(p, p->cov->hamlets[j].state);
		if (inv->hamlets[j].uplink < 0)
			pf(p, " <small class=\"muted\">%s</small>", tr(p, T_DIRECT));
		put(p, "</li>");
		j = inv->hamlets[j].uplink;
	}
	put(p, "</ol>\n");
	/* And the sites that hang off this one: who loses service with it. */
	size_t n = 0;
	for (size_t k = 0; k < inv->nhamlets; k++) {
		if (inv->hamlets[k].uplink != (int32_t)i)
			continue;
		if (n++ == 0)
			pf(p, "<p>%s: ", tr(p, T_DOWNSTREAM));
		else
			put(p, ", ");
		link_hamlet(p, k);
		put(p, " ");
		badge(p, p->cov->hamlets[k].state);
	}
	if (n > 0)
		put(p, "</p>\n");
}

static void
site_graphs(struct page *p, size_t i)
{
	static const struct {
		const char *tmpl;
		enum msg name;
		const char *group, *group2;
	} g[] = {
		{ "latency", T_LATENCY_G, "icmp", NULL },
		{ "throughput", T_THROUGHPUT_G, "if", "traffic" },
		{ "radio", T_RADIO_G, "radio", NULL },
		{ "clients", T_CLIENTS_G, "traffic", NULL },
	};
	const struct inv_hamlet *h = &p->inv->hamlets[i];
	char alt[160];

	pf(p, "<h2>%s</h2>\n", tr(p, T_GRAPHS));
	if (h->agent == NULL) {
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NO_AGENT));
		return;
	}
	put(p, "<div class=\"graphs\">\n");
	for (size_t k = 0; k < sizeof g / sizeof g[0]; k++) {
		bool have = site_file(p, h, g[k].group) ||
		    (g[k].group2 != NULL && site_file(p, h, g[k].group2));
		/* Graphs the site has no probe for are left out, but latency:
		 * every agent pings, so its absence is news. */
		if (!have && k > 0)
			continue;
		for (int r = 0; r < 2; r++) {
			snprintf(alt, sizeof alt, "%s, %s", tr(p, g[k].name),
			    tr(p, r == 0 ? T_DAY : T_WEEK_G));
			put(p, "<figure>");
			graph_img(p, g[k].tmpl, h->id, r == 0 ? "1d" : "1w", alt, have);
			pf(p, "<figcaption>%s</figcaption></figure>\n", alt);
		}
	}
	put(p, "</div>\n");
}

static void
state_history(struct page *p, size_t i)
{
	struct pages_stretch rows[HISTORY_MAX];
	const struct pages_source *src = p->env->src;
	int n = -1;

	pf(p, "<h2>%s</h2>\n", tr(p, T_HISTORY));
	if (src != NULL && src->history != NULL)
		n = src->history(src->arg, p->inv->hamlets[i].id, rows, HISTORY_MAX);
	if (n < 0) {
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NO_DB));
		return;
	}
	put(p, "<ul class=\"history\">");
	for (int k = 0; k < n && k < HISTORY_MAX; k++) {
		int st = hamlet_state_lookup(rows[k].state);
		put(p, "<li>");
		clock_time(p, rows[k].since);
		put(p, " ");
		badge(p, st);
		put(p, " ");
		duration(p, (rows[k].until > 0 ? rows[k].until : p->env->now) - rows[k].since);
		if (rows[k].until <= 0)
			pf(p, " (%s)", tr(p, T_NOW));
		put(p, "</li>");
	}
	put(p, "</ul>\n");
}

/* The alerts that name this site (its own, or an uplink's that lists it
 * as cut off): firing first, then the newest. */
static void
site_alerts(struct page *p, size_t i)
{
	struct pages_alert *a;
	int total, n = read_alerts(p, PAGES_OF_HAMLET, p->inv->hamlets[i].id, 0, SITE_ALERTS,
	    &a, &total);

	pf(p, "<h2>%s</h2>\n", tr(p, T_RECENT_ALERTS));
	if (n < 0)
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NO_DB));
	else if (n == 0)
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NO_SITE_ALERTS));
	else
		alert_table(p, a, n, AT_STATE | AT_RESOLVED);
	if (n >= 0 && total > n)
		pf(p, "<p class=\"muted\">… %d %s (<a href=\"/alerts%s\">%s</a>)</p>\n", total - n,
		    tr(p, T_MORE_ROWS), p->qs, tr(p, T_ALL_ALERTS));
	free(a);
}

static int
page_hamlet(struct page *p, const char *path, size_t i)
{
	const struct inv_hamlet *h = &p->inv->hamlets[i];
	const struct hamlet_eval *e = &p->cov->hamlets[i];

	head(p, h->name, path);
	pf(p, "<p class=\"crumbs\"><a href=\"/%s\">%s</a> › ", p->qs, tr(p, T_OVERVIEW));
	link_province(p, (size_t)h->province);
	put(p, " › ");
	link_commune(p, (size_t)h->commune);
	put(p, "</p>\n<h1>");
	esc(p, h->name);
	put(p, "</h1>\n");
	blind_note(p);
	/* What the technician needs first: the state, since when, and why. */
	put(p, "<div class=\"card site\"><p class=\"state-line\">");
	pf(p, "<span class=\"badge big st-%s\">", state_class(e->state));
	esc(p, state_word(p, e->state));
	pf(p, "</span> %s ", tr(p, T_SINCE));
	clock_time(p, e->since);
	put(p, " (");
	duration(p, p->env->now - e->since);
	put(p, ")");
	if (e->overdue)
		pf(p, " <span class=\"badge st-down\">%s</span>", tr(p, T_OVERDUE));
	put(p, "</p>\n");
	if (e->loss_breach || e->rtt_breach) {
		put(p, "<p class=\"v-bad\">");
		if (e->loss_breach)
			put(p, tr(p, T_BREACH_LOSS));
		if (e->loss_breach && e->rtt_breach)
			put(p, "; ");
		if (e->rtt_breach)
			put(p, tr(p, T_BREACH_RTT));
		put(p, "</p>\n");
	}
	if (e->state == HS_UNREACHABLE && e->root >= 0 && (size_t)e->root < p->inv->nhamlets) {
		pf(p, "<p>%s ", tr(p, T_ROOT));
		link_hamlet(p, (size_t)e->root);
		put(p, "</p>\n");
	}
	pf(p, "<dl><dt>%s</dt><dd>", tr(p, T_LAST_SEEN));
	ago(p, e->last_seen);
	pf(p, "</dd><dt>%s</dt><dd>", tr(p, T_AGENT));
	if (h->agent != NULL) {
		put(p, "<code>");
		esc(p, h->agent);
		put(p, "</code>");
	} else {
		esc(p, tr(p, T_NO_AGENT));
	}
	if (h->village != NULL && h->village[0] != '\0') {
		pf(p, "</dd><dt>%s</dt><dd>", tr(p, T_VILLAGE));
		esc(p, h->village);
	}
	pf(p, "</dd><dt>%s</dt><dd>", tr(p, T_TARGET_DATE));
	date(p, h->target_date);
	if (h->population >= 0)
		pf(p, "</dd><dt>%s</dt><dd>%lld", tr(p, T_POPULATION), (long long)h->population);
	if (h->placed)
		pf(p, "</dd><dt>%s</dt><dd>%.5f, %.5f", tr(p, T_COORDS), h->lat, h->lon);
	put(p, "</dd></dl></div>\n");
	current_values(p, i);
	uplink_chain(p, i);
	site_graphs(p, i);
	state_history(p, i);
	site_alerts(p, i);
	foot(p);
	return 0;
}

/* --- alerts --- */

/* One list of /alerts: heading (with its anchor, or none), a note (or
 * none), table or why not, and how many left out. Returns how many there
 * are in all, -1 when the state DB cannot say. */
static int
alerts_section(struct page *p, enum msg title, const char *anchor, enum msg note,
    enum pages_alerts_which which, int max, int cols, enum msg none)
{
	struct pages_alert *a;
	int total, n = read_alerts(p, which, NULL, p->env->now - WEEK, max, &a, &total);

	put(p, "<h2");
	if (anchor != NULL)
		pf(p, " id=\"%s\"", anchor);
	pf(p, ">%s", tr(p, title));
	if (n > 0)
		pf(p, " <small>(%d)</small>", total);
	put(p, "</h2>\n");
	if (note != T_COUNT)
		pf(p, "<p class=\"muted small\">%s</p>\n", tr(p, note));
	if (n < 0)
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NO_DB));
	else if (n == 0)
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, none));
	else
		alert_table(p, a, n, cols);
	if (n >= 0 && total > n)
		pf(p, "<p class=\"muted\">… %d %s</p>\n", total - n, tr(p, T_MORE_ROWS));
	free(a);
	return n < 0 ? -1 : total;
}

static void
silence_list(struct page *p)
{
	const struct pages_source *src = p->env->src;
	struct pages_silence *v = NULL;
	int total = 0, n = -1;

	pf(p, "<h2>%s</h2>\n", tr(p, T_SILENCES));
	if (src != NULL && src->silences != NULL) {
		if ((v = calloc(SILENCES_MAX, sizeof *v)) == NULL)
			p->oom = true;
		else
			n = src->silences(src->arg, p->env->now, v, SILENCES_MAX, &total);
	}
	if (n < 0)
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NO_DB));
	else if (n == 0)
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NO_SILENCES));
	else {
		pf(p, "<div class=\"scroll\"><table class=\"silences\"><thead><tr><th>%s</th>"
		    "<th>%s</th><th>%s</th></tr></thead><tbody>\n", tr(p, T_MATCH), tr(p, T_UNTIL),
		    tr(p, T_REASON));
		for (int k = 0; k < n; k++) {
			put(p, "<tr><td class=\"name\">");
			scope_link(p, v[k].match);
			put(p, "</td><td>");
			clock_time(p, v[k].until);
			pf(p, " <small>(%s ", tr(p, T_IN));
			duration(p, v[k].until - p->env->now);
			put(p, ")</small></td><td class=\"summary\">");
			esc(p, v[k].reason);
			put(p, "</td></tr>\n");
		}
		put(p, "</tbody></table></div>\n");
	}
	if (n >= 0 && total > n)
		pf(p, "<p class=\"muted\">… %d %s</p>\n", total - n, tr(p, T_MORE_ROWS));
	free(v);
}

/* The rollout's backlog, last on /alerts (#rollout, linked from the
 * firing alerts and the overview). */
static void
rollout_section(struct page *p)
{
	alerts_section(p, T_ROLLOUT, "rollout", T_ROLLOUT_NOTE, PAGES_ROLLOUT, FIRING_MAX, 0,
	    T_NONE_ROLLOUT);
}

/* The alerts from the state DB, readable with or without an evaluation,
 * most severe first; then the hamlets in trouble now, from the snapshot;
 * then the rollout's backlog, apart from what on-call staff act on. */
static void
page_alerts(struct page *p)
{
	size_t n = 0, more = 0;

	head(p, tr(p, T_ALERTS), "/alerts");
	pf(p, "<h1>%s</h1>\n", tr(p, T_ALERTS));
	if (alerts_section(p, T_FIRING, NULL, T_COUNT, PAGES_FIRING, FIRING_MAX, 0,
	    T_NONE_FIRING) >= 0)
		pf(p, "<p class=\"small\">%s <a href=\"#rollout\">%s</a>.</p>\n",
		    tr(p, T_ROLLOUT_BELOW), tr(p, T_ROLLOUT));
	alerts_section(p, T_RESOLVED_WEEK, NULL, T_COUNT, PAGES_RESOLVED, RESOLVED_MAX,
	    AT_RESOLVED, T_NONE_RESOLVED);
	silence_list(p);
	if (p->inv == NULL) {
		rollout_section(p);
		foot(p);
		return;
	}
	pf(p, "<h2>%s</h2>\n<p>%s</p>\n", tr(p, T_PROBLEMS), tr(p, T_PROBLEMS_NOTE));
	for (size_t i = 0; i < p->inv->nhamlets; i++) {
		const struct hamlet_eval *e = &p->cov->hamlets[i];
		if (e->state != HS_DOWN && e->state != HS_UNREACHABLE && e->state != HS_DEGRADED)
			continue;
		if (n == LIST_MAX) {
			more++;
			continue;
		}
		if (n++ == 0)
			pf(p, "<div class=\"scroll\"><table><thead><tr><th>%s</th><th>%s</th>"
			    "<th class=\"hide-sm\">%s</th><th>%s</th></tr></thead><tbody>\n",
			    tr(p, T_HAMLET), tr(p, T_STATE), tr(p, T_COMMUNE), tr(p, T_SINCE));
		put(p, "<tr><td class=\"name\">");
		link_hamlet(p, i);
		put(p, "</td><td>");
		badge(p, e->state);
		if (e->state == HS_UNREACHABLE && e->root >= 0 &&
		    (size_t)e->root < p->inv->nhamlets) {
			pf(p, " <small>%s ", tr(p, T_CUT_OFF));
			link_hamlet(p, (size_t)e->root);
			put(p, "</small>");
		}
		put(p, "</td><td class=\"hide-sm\">");
		link_commune(p, (size_t)p->inv->hamlets[i].commune);
		put(p, "</td><td>");
		ago(p, e->since);
		put(p, "</td></tr>\n");
	}
	if (n == 0)
		pf(p, "<p class=\"muted\">%s</p>\n", tr(p, T_NONE_PROBLEMS));
	else
		put(p, "</tbody></table></div>\n");
	if (more > 0)
		pf(p, "<p class=\"muted\">… %zu %s</p>\n", more, tr(p, T_AND_MORE));
	rollout_section(p);
	foot(p);
}

/* --- entry points --- */

enum pages_lang
pages_lang(const char *q, const char *accept)
{
	if (q != NULL && strcmp(q, "vi") == 0)
		return PAGES_VI;
	if (q != NULL && strcmp(q, "en") == 0)
		return PAGES_EN;
	if (accept != NULL) {
		while (*accept == ' ')
			accept++;
		if ((accept[0] == 'v' || accept[0] == 'V') && (accept[1] == 'i' || accept[1] == 'I') &&
		    (accept[2] == '\0' || accept[2] == '-' || accept[2] == ',' || accept[2] == ';'))
			return PAGES_VI;
	}
	return PAGES_EN;
}

/* The id after `prefix` in url, or NULL when url is not under it. */
static const char *
under(const char *url, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(url, prefix, n) == 0 ? url + n : NULL;
}

bool
pages_is_page(const char *url)
{
	return strcmp(url, "/") == 0 || strcmp(url, "/alerts") == 0 ||
	    under(url, "/province/") || under(url, "/commune/") || under(url, "/hamlet/");
}

/* ?refresh=N: 0 (off) unless N is a number of seconds in 5..3600. */
static int
refresh_arg(const char *v)
{
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return 0;
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < 5 || n > 3600)
		return 0;
	return (int)n;
}

int
pages_render(const struct snapshot *s, const struct pages_env *env, const char *url,
    api_query_fn query, void *qarg, const char *accept_language, struct pages_out *out)
{
	struct page pg = { .env = env, .s = s };
	struct page *p = &pg;
	const char *qlang = query ? query(qarg, "lang") : NULL;
	const char *id = NULL, *kind = NULL;
	char *buf = NULL;
	size_t len = 0;
	int rc = 0;

	memset(out, 0, sizeof *out);
	out->type = "text/html; charset=utf-8";
	out->status = 200;
	pg.lang = pages_lang(qlang, accept_language);
	pg.refresh = refresh_arg(query ? query(qarg, "refresh") : NULL);
	if (pg.refresh > 0)
		snprintf(pg.qs_refresh, sizeof pg.qs_refresh, "&amp;refresh=%d", pg.refresh);
	if (qlang != NULL && (strcmp(qlang, "vi") == 0 || strcmp(qlang, "en") == 0))
		snprintf(pg.qs, sizeof pg.qs, "?lang=%s%s", qlang, pg.qs_refresh);
	else if (pg.refresh > 0)
		snprintf(pg.qs, sizeof pg.qs, "?refresh=%d", pg.refresh);
	if (s != NULL && s->inv != NULL && s->cov != NULL) {
		pg.inv = s->inv->inv;
		pg.cov = s->cov;
	}
	if ((pg.f = open_memstream(&buf, &len)) == NULL)
		return -1;

	if ((id = under(url, "/province/")) != NULL)
		kind = "province";
	else if ((id = under(url, "/commune/")) != NULL)
		kind = "commune";
	else if ((id = under(url, "/hamlet/")) != NULL)
		kind = "hamlet";

	if (!pages_is_page(url)) {
		out->status = 404;
		notice_page(p, "/", tr(p, T_NOT_FOUND), tr(p, T_NOT_FOUND), NULL);
	} else if (id != NULL && !id_valid(id)) {
		/* The id is never echoed: only that it is malformed, and the rule. */
		out->status = 400;
		notice_page(p, "/", tr(p, T_BAD_ID), tr(p, T_ID_RULE), NULL);
	} else if (env->national != NULL) {
		page_national(p, url, out);
	} else if (strcmp(url, "/alerts") == 0) {
		page_alerts(p);
	} else if (s == NULL || (s->inv != NULL && s->cov == NULL)) {
		out->status = 503;
		pg.refresh = pg.refresh ? pg.refresh : 5;
		notice_page(p, url, tr(p, T_NO_EVAL), tr(p, T_NO_EVAL), NULL);
	} else if (pg.inv == NULL) {
		out->status = 503;
		notice_page(p, url, tr(p, T_NO_INV), tr(p, T_NO_INV), NULL);
	} else if (kind == NULL) {
		page_overview(p);
	} else if (strcmp(kind, "province") == 0) {
		const struct inv_province *x = inventory_province(pg.inv, id);
		if (x == NULL) {
			out->status = 404;
			notice_page(p, url, tr(p, T_NOT_FOUND), tr(p, T_PROVINCE), id);
		} else
			rc = page_province(p, url, (size_t)(x - pg.inv->provinces));
	} else if (strcmp(kind, "commune") == 0) {
		const struct inv_commune *x = inventory_commune(pg.inv, id);
		if (x == NULL) {
			out->status = 404;
			notice_page(p, url, tr(p, T_NOT_FOUND), tr(p, T_COMMUNE), id);
		} else
			rc = page_commune(p, url, (size_t)(x - pg.inv->communes));
	} else {
		const struct inv_hamlet *x = inventory_hamlet(pg.inv, id);
		if (x == NULL) {
			out->status = 404;
			notice_page(p, url, tr(p, T_NOT_FOUND), tr(p, T_HAMLET), id);
		} else
			rc = page_hamlet(p, url, (size_t)(x - pg.inv->hamlets));
	}
	if (ferror(pg.f) || pg.oom)
		rc = -1;
	if (fclose(pg.f) != 0 || rc == -1) {
		free(buf);
		return -1;
	}
	out->body = buf;
	out->len = len;
	return 0;
}
