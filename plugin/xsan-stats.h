/* xsan-stats.h
 * The xsan tap, Service Response Time table and statistics tree.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XSAN_STATS_H
#define XSAN_STATS_H

#include "xsan-compat.h"

void xsan_stats_register(int proto);

#endif /* XSAN_STATS_H */
