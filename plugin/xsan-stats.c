/* xsan-stats.c
 * Tap, SRT and statistics tree (being written; see issue 4).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "xsan-stats.h"

void
xsan_stats_register(int proto _U_)
{
}
