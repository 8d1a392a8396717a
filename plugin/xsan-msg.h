/* xsan-msg.h
 * One decoded Xsan message: what the dissector read from its header and
 * body, as the analysis (xsan-state.c and the files below it) and the
 * Info column see it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XSAN_MSG_H
#define XSAN_MSG_H

#include "xsan-attrs.h"

typedef struct xsan_msg {
    /* header */
    uint8_t  version;
    uint8_t  hdr_len;
    uint16_t flags;
    uint16_t opcode;
    uint16_t frag_index;
    uint32_t xid;
    uint32_t session;
    uint32_t body_len;
    /* where it came from */
    bool     over_tcp;
    unsigned msg_index;         /* message number within the frame, from 0 */
    /* the decoded body; NULL when not decoded in this frame (a fragment
     * piece before the last one, another version) */
    const xsan_body_t *body;
    bool     has_status;
    uint32_t status;
    /* where analysis adds its generated fields */
    proto_tree *tree;
    proto_item *item;
    tvbuff_t   *tvb;
} xsan_msg_t;

#define XSAN_IS_RESPONSE(m) (((m)->flags & XSAN_FLAG_RESPONSE) != 0)
#define XSAN_IS_NOTIFY(m)   (((m)->flags & XSAN_FLAG_NOTIFY) != 0)

#endif /* XSAN_MSG_H */
