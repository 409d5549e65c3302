/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For the tests of what the collector serves (they link the collector's
 * library): a snapshot made by hand from a small inventory, states set by
 * the test, not by the evaluator. Include after <cmocka.h>.
 */
#ifndef COVMON_TESTLIB_SNAPSHOT_H
#define COVMON_TESTLIB_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

struct snapshot;

/*
 * The inventory inv_csv with targets tgt_csv (written in dir, loaded, and
 * removed; nh hamlets), loaded 10 minutes before now, and its coverage at
 * now: hamlet i in state st[i] since an hour, seen 30 + i s ago with
 * 1.5 % loss and 42.25 ms RTT (unmonitored: never seen, no values). The
 * inventory's first five hamlets play these parts: TL_COVERED's agent
 * reports (30 s ago, RTT 42.5 ms, loss 0 %, signal -67 dBm: the test may
 * add to its view), TL_LOSSY breaches the loss limit (12.5 %), TL_CUT is
 * unreachable behind TL_ROOT, TL_OVERDUE is overdue; the rollups counted
 * as the evaluator would. No other agent reports. Freed by
 * tl_snapshot_free().
 */
enum { TL_COVERED, TL_LOSSY, TL_ROOT, TL_CUT, TL_OVERDUE };
struct snapshot *tl_snapshot_by_hand(const char *dir, const char *inv_csv, const char *tgt_csv,
    const uint8_t *st, size_t nh, double now);
/* Frees a snapshot of tl_snapshot_by_hand(): its coverage is made of
 * separate blocks (coverage_evaluate() makes one), so freed here, not by
 * coverage_free(). */
void tl_snapshot_free(struct snapshot *s);

#endif
