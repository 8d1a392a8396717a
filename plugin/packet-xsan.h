/* packet-xsan.h
 * What the dissector knows about one Xsan message, handed to the analysis
 * (xsan-state.c) and the statistics (xsan-stats.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef PACKET_XSAN_H
#define PACKET_XSAN_H

#include "xsan-attrs.h"

typedef struct xsan_msg {
    /* header */
    guint8   version;
    guint8   hdr_len;
    guint16  flags;
    guint16  opcode;
    guint16  frag_index;
    guint32  xid;
    guint32  session;
    guint32  body_len;
    /* where it came from */
    gboolean over_tcp;
    guint    index;             /* message number within the frame, from 0 */
    /* the decoded body; NULL when not decoded in this frame (a fragment
     * piece before the last one, another version) */
    const xsan_body_t *body;
    gboolean has_status;
    guint32  status;
    /* where analysis adds its generated fields */
    proto_tree *tree;
    proto_item *item;
    tvbuff_t   *tvb;
} xsan_msg_t;

#define XSAN_IS_RESPONSE(m) (((m)->flags & XSAN_FLAG_RESPONSE) != 0)
#define XSAN_IS_NOTIFY(m)   (((m)->flags & XSAN_FLAG_NOTIFY) != 0)

extern int proto_xsan;

#endif /* PACKET_XSAN_H */
