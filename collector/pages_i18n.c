/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pages' words in English and Vietnamese: the message table and the
 * names of states, alert kinds and severities.
 */
#include "pages_int.h"

/* [msg][lang]: English, Vietnamese. */
const char *const pg_msgs[T_COUNT][2] = {
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
	[T_SEARCH] = { "Search", "Tìm" },
	[T_SEARCH_HINT] = { "hamlet, commune, agent…", "thôn, xã, trạm…" },
	/* The pace to the target (common/target.h), one line on a province's
	 * and a commune's page: "behind: at this pace 97 % on 2026-03-02, 61
	 * days late". */
	[T_PACE_REACHED] = { "target reached", "đã đạt mục tiêu" },
	[T_PACE_ON_TRACK] = { "On track", "Đúng tiến độ" },
	[T_PACE_BEHIND] = { "Behind", "Chậm tiến độ" },
	[T_PACE_AT] = { "at this pace", "với tốc độ này đạt" },
	[T_PACE_LATE] = { "days late", "trễ" },
	[T_PACE_FLAT] = { "coverage has not risen in the last 30 days",
	    "tỉ lệ phủ sóng không tăng trong 30 ngày qua" },
	[T_PACE_PASSED] = { "the deadline has passed", "đã quá hạn" },
	[T_PACE_TITLE] = { "Pace", "Tiến độ" },
	/* A value older than the coverage window, never shown as current:
	 * "0.0 % as of 2025-11-22 14:03". */
	[T_AS_OF] = { "as of", "lúc" },
	/* The tile layer's attribution ([http] map_tiles on OpenStreetMap). */
	[T_OSM_ATTRIB] = { "© OpenStreetMap contributors",
	    "© Những người đóng góp OpenStreetMap" },
	[T_MAP_LABELS] = { "Named on the map: the hamlets down or unreachable (the first 12); "
	    "hover over or tap any dot for its name.", "Tên ghi trên bản đồ: các thôn mất kết "
	    "nối hoặc bị cô lập (tối đa 12); di chuột hoặc chạm vào chấm để xem tên thôn." },
};

/* The states as people read them, in both languages. */
const char *const pg_state_words[HS__COUNT][2] = {
	[HS_COVERED] = { "covered", "có sóng" },
	[HS_DEGRADED] = { "degraded", "suy giảm" },
	[HS_DOWN] = { "down", "mất kết nối" },
	[HS_UNREACHABLE] = { "unreachable", "bị cô lập" },
	[HS_UNMONITORED] = { "unmonitored", "chưa giám sát" },
};

/* The alert kinds as people read them. */
const char *const pg_kind_words[AK__COUNT][2] = {
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
const char *const pg_severity_words[3][2] = {
	[SEV_CRITICAL] = { "Critical", "Nghiêm trọng" },
	[SEV_WARNING] = { "Warning", "Cảnh báo" },
	[SEV_INFO] = { "Info", "Thông tin" },
};

/* Worst first, for sorting hamlets by state. */
const int pg_state_rank[HS__COUNT] = {
	[HS_DOWN] = 0, [HS_UNREACHABLE] = 1, [HS_DEGRADED] = 2, [HS_UNMONITORED] = 3,
	[HS_COVERED] = 4,
};
