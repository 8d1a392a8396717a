/* xsan-tap.h
 * The record of the "xsan" tap: queued by the analysis (xsan-state.c) once
 * per complete message in every pass, read by the statistics (xsan-stats.c)
 * and by Lua listeners (as a userdata).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XSAN_TAP_H
#define XSAN_TAP_H

#include "xsan-compat.h"

#define XSAN_TAP_NAME "xsan"

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

#endif /* XSAN_TAP_H */
