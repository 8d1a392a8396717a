/* xsan-stats.c
 * Listeners of the "xsan" tap (xsan-tap.h; queued by xsan-state.c, once per message):
 * the Service Response Time table (-z xsan,srt) and the statistics tree
 * (-z xsan,tree; Statistics > Xsan > Operations).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "xsan-stats.h"
#include "xsan-tap.h"
#include "xsan-wire.h"

#include <epan/srt_table.h>
#include <epan/stats_tree.h>
#include <epan/tap.h>

/* ------------------------------------------------------------ SRT */

static int n_opcodes;

/* SRT rows are the known opcodes, in xsan_opcode_vals order. */
static int
srt_row(uint16_t opcode)
{
    for (int i = 0; i < n_opcodes; i++)
        if (xsan_opcode_vals[i].value == opcode)
            return i;
    return -1;
}

static void
xsan_srt_init(struct register_srt *srt _U_, GArray *srt_array)
{
    /* Rows are not opcode values, so no per-row display filter. */
    srt_stat_table *table = init_srt_table("Xsan Operations", NULL, srt_array, n_opcodes,
                                           "Opcode", NULL, NULL);
    for (int i = 0; i < n_opcodes; i++)
        init_srt_table_row(table, i, xsan_opcode_vals[i].strptr);
}

/* One call per first response to a request seen: retransmissions, repeated
 * responses, unanswered requests and notifies add nothing. */
static tap_packet_status
xsan_srt_packet(void *pss, packet_info *pinfo, epan_dissect_t *edt _U_, const void *prv,
                tap_flags_t flags _U_)
{
    srt_data_t *data = (srt_data_t *)pss;
    const xsan_tap_info_t *t = (const xsan_tap_info_t *)prv;
    int row = srt_row(t->opcode);

    if (!t->is_first_response || !t->request_frame || row < 0)
        return TAP_PACKET_DONT_REDRAW;
    srt_stat_table *table = g_array_index(data->srt_array, srt_stat_table *, 0);
    add_srt_table_data(table, row, &t->request_time, pinfo);
    return TAP_PACKET_REDRAW;
}

/* ------------------------------------------------------------ stats tree */

static int st_ops = -1;
static int st_volume = -1;
static int st_client = -1;
static int st_errors = -1;
static int st_retrans = -1;
static int st_locks = -1;
static int st_bytes = -1;

static const char ST_OPS[] = "Operations by opcode and status";
static const char ST_VOLUME[] = "Operations by volume";
static const char ST_CLIENT[] = "Requests by client";
static const char ST_ERRORS[] = "Errors by status";
static const char ST_RETRANS[] = "Retransmitted requests";
static const char ST_LOCKS[] = "Lock conflicts by inode";
static const char ST_BYTES[] = "Metadata bytes by opcode";

static void
xsan_tree_init(stats_tree *st)
{
    st_ops = stats_tree_create_node(st, ST_OPS, 0, STAT_DT_INT, true);
    st_volume = stats_tree_create_node(st, ST_VOLUME, 0, STAT_DT_INT, true);
    st_client = stats_tree_create_node(st, ST_CLIENT, 0, STAT_DT_INT, true);
    st_errors = stats_tree_create_node(st, ST_ERRORS, 0, STAT_DT_INT, true);
    st_retrans = stats_tree_create_node(st, ST_RETRANS, 0, STAT_DT_INT, true);
    st_locks = stats_tree_create_node(st, ST_LOCKS, 0, STAT_DT_INT, true);
    st_bytes = stats_tree_create_node(st, ST_BYTES, 0, STAT_DT_INT, true);
}

/* parent > name > child, each ticked once. */
static void
tick2(stats_tree *st, int parent_id, const char *parent, const char *name, const char *child)
{
    tick_stat_node(st, parent, 0, true);
    int id = tick_stat_node(st, name, parent_id, true);
    tick_stat_node(st, child, id, false);
}

/* A request's first copy or a notify: an operation. */
static void
tree_request(stats_tree *st, const xsan_tap_info_t *t, const char *op)
{
    tick_stat_node(st, ST_OPS, 0, true);
    tick_stat_node(st, op, st_ops, true);
    if (t->volume)
        tick2(st, st_volume, ST_VOLUME, t->volume, op);
    if (t->client)
        tick2(st, st_client, ST_CLIENT, t->client, op);
}

/* An opcode's count is its requests and notifies; its children count the
 * first responses by status, so unanswered calls are the difference. */
static void
tree_response(stats_tree *st, packet_info *pinfo, const xsan_tap_info_t *t, const char *op)
{
    const char *status = val_to_str_const(t->status, xsan_status_vals, "Unknown status");
    if (!t->has_status)
        status = "No status";
    int id = increase_stat_node(st, op, st_ops, true, 0);
    tick_stat_node(st, status, id, false);
    if (t->has_status && t->status != XSAN_STATUS_OK)
        tick2(st, st_errors, ST_ERRORS, status, op);
    if (t->lock_conflict) {
        char *inode = wmem_strdup_printf(pinfo->pool, "inode %" PRIu64, t->inode);
        tick_stat_node(st, ST_LOCKS, 0, true);
        tick_stat_node(st, inode, st_locks, false);
    }
}

static tap_packet_status
xsan_tree_packet(stats_tree *st, packet_info *pinfo, epan_dissect_t *edt _U_, const void *p,
                 tap_flags_t flags _U_)
{
    const xsan_tap_info_t *t = (const xsan_tap_info_t *)p;
    const char *op = xsan_opcode_name(pinfo->pool, t->opcode);

    increase_stat_node(st, ST_BYTES, 0, true, (int)t->msg_len);
    increase_stat_node(st, op, st_bytes, false, (int)t->msg_len);
    if (t->is_retransmission) {
        tick_stat_node(st, ST_RETRANS, 0, true);
        tick_stat_node(st, op, st_retrans, false);
    } else if (t->is_first_response) {
        tree_response(st, pinfo, t, op);
    } else if (!t->is_response) {
        tree_request(st, t, op);
    }
    return TAP_PACKET_REDRAW;
}

void
xsan_stats_register(int proto)
{
    while (xsan_opcode_vals[n_opcodes].strptr)
        n_opcodes++;
    register_srt_table(proto, XSAN_TAP_NAME, 1, xsan_srt_packet, xsan_srt_init, NULL);
    stats_tree_register_plugin(XSAN_TAP_NAME, "xsan", "Xsan/Operations", 0, xsan_tree_packet,
                               xsan_tree_init, NULL);
}
