/* xsan-state.h
 * Conversation state and analysis: request/response matching, response
 * times, retransmissions, sessions, paths, tokens, heartbeats.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XSAN_STATE_H
#define XSAN_STATE_H

#include "packet-xsan.h"

#include <epan/prefs.h>

/* What the "xsan" tap carries, once per complete message in every pass.
 * Frame numbers are 0 when unknown; strings live at least as long as the
 * packet (pinfo->pool) or the file. Lua listeners see it as a userdata. */
typedef struct xsan_tap_info {
    uint16_t    opcode;
    uint16_t    flags;
    uint32_t    xid;
    uint32_t    session;
    uint32_t    msg_len;            /* header + body bytes */
    bool        is_response;
    bool        is_notify;
    bool        is_retransmission;  /* a request copy sent again */
    bool        is_first_response;  /* the response a response time is measured on */
    bool        has_status;
    uint32_t    status;
    uint32_t    request_frame;      /* frame completing the first copy of the request */
    uint32_t    response_frame;     /* frame completing the first response */
    nstime_t    request_time;       /* absolute time of request_frame */
    bool        has_response_time;
    nstime_t    response_time;      /* first response minus first request copy */
    const char *volume;             /* of the message's session, or NULL */
    const char *path;               /* path the message is about, or NULL */
    const char *client;             /* requester's address (the side that sent the request) */
    bool        lock_conflict;      /* LOCK answered LOCK_CONFLICT */
    uint64_t    inode;              /* of a lock conflict */
} xsan_tap_info_t;

/* Fields, expert info and the analysis preferences (on the xsan module). */
void xsan_state_register(int proto, module_t *prefs);

/* Analyse one complete message (called in every pass); adds generated
 * fields and expert info under msg->tree and queues the tap record. */
void xsan_state_message(packet_info *pinfo, xsan_msg_t *msg);

/* What the Info column gets after a message's own summary (" path=...",
 * say), appended to buf; nothing when there is nothing to add. */
void xsan_state_info_append(wmem_strbuf_t *buf, packet_info *pinfo, const xsan_msg_t *msg);

#endif /* XSAN_STATE_H */
