/* xsan-state.h
 * Conversation state and analysis: request/response matching, response
 * times, retransmissions, sessions, paths, tokens, heartbeats.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XSAN_STATE_H
#define XSAN_STATE_H

#include "xsan-msg.h"

#include <epan/prefs.h>

/* Fields, expert info and the analysis preferences (on the xsan module). */
void xsan_state_register(int proto, module_t *module);

/* Analyse one complete message (called in every pass); adds generated
 * fields and expert info under msg->tree and queues the tap record. */
void xsan_state_message(packet_info *pinfo, xsan_msg_t *msg);

/* What the Info column gets after a message's own summary (" path=...",
 * say), appended to buf; nothing when there is nothing to add. */
void xsan_state_info_append(wmem_strbuf_t *buf, packet_info *pinfo, const xsan_msg_t *msg);

#endif /* XSAN_STATE_H */
