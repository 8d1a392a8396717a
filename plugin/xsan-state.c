/* xsan-state.c
 * Conversation state: request/response matching, response times,
 * retransmissions and sessions; the per-frame records every analysis fills
 * on the first pass and shows in every pass; the "xsan" tap.
 * Paths, tokens and heartbeats live in xsan-names.c, xsan-tokens.c and
 * xsan-failover.c (see xsan-analysis.h for the shared shape).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "xsan-analysis.h"

#include <epan/conversation.h>
#include <epan/proto_data.h>
#include <epan/tap.h>
#include <epan/to_str.h>

/* packet-xsan.c keeps fragment verdicts under key = message index; frame
 * records use their own key range. */
#define FRAME_KEY(index)  (0x40000000u | (index))

xsan_bool xsan_pref_names = TRUE;
xsan_bool xsan_pref_tokens = TRUE;

static int proto_xsan_state = -1;
static int xsan_tap = -1;

static int hf_request_in = -1;
static int hf_response_in = -1;
static int hf_time = -1;
static int hf_retransmission_of = -1;
static int hf_session_volume = -1;

static expert_field ei_unanswered = EI_INIT;
static expert_field ei_retransmission = EI_INIT;
static expert_field ei_orphan = EI_INIT;
static expert_field ei_repeated = EI_INIT;
static expert_field ei_cap = EI_INIT;

/* Servers (FSMs) by "address:port", reset with each file. */
static wmem_map_t *fsm_map;

gboolean
xsan_body_u64(const xsan_msg_t *msg, guint16 tag, guint64 *out)
{
    xsan_value_t v;
    if (!msg->body || !xsan_scope_get(msg->body->top, tag, &v))
        return FALSE;
    *out = v.u;
    return TRUE;
}

static const char *
body_str(const xsan_msg_t *msg, guint16 tag)
{
    const char *s = msg->body ? xsan_scope_str(msg->body->top, tag) : NULL;
    return s ? wmem_strdup(wmem_file_scope(), s) : NULL;
}

void
xsan_note_caps(packet_info *pinfo, proto_item *item, guint32 caps)
{
    static const struct { guint32 bit; const char *what; } texts[] = {
        { XSAN_CAP_CALLS, "unanswered requests in this conversation (" G_STRINGIFY(XSAN_MAX_OPEN_CALLS) ")" },
        { XSAN_CAP_NAMES, "names in this volume (" G_STRINGIFY(XSAN_MAX_NAMES) ")" },
        { XSAN_CAP_TOKENS, "tokens of this FSM (" G_STRINGIFY(XSAN_MAX_TOKENS) ")" },
        { XSAN_CAP_SESSIONS, "sessions of this FSM (" G_STRINGIFY(XSAN_MAX_SESSIONS) ")" },
        { XSAN_CAP_HOSTS, "heartbeat hosts (" G_STRINGIFY(XSAN_MAX_HOSTS) ")" },
        { XSAN_CAP_ELECTIONS, "failover events (" G_STRINGIFY(XSAN_MAX_ELECTIONS) ")" },
    };
    for (guint i = 0; i < array_length(texts); i++)
        if (caps & texts[i].bit)
            expert_add_info_format(pinfo, item, &ei_cap,
                    "Analysis limit reached: %s; no more are tracked", texts[i].what);
}

/* ------------------------------------------------------------ matching */

/* Which way a message goes, the same bit for both ends of a conversation. */
static gboolean
direction(const packet_info *pinfo)
{
    int c = cmp_address(&pinfo->src, &pinfo->dst);
    return c < 0 || (c == 0 && pinfo->srcport < pinfo->destport);
}

/* A call is found by xid, opcode and the direction of its request. */
static guint64
call_key(const xsan_msg_t *msg, gboolean req_dir)
{
    return ((guint64)msg->xid << 32) | ((guint64)msg->opcode << 1) | (req_dir ? 1 : 0);
}

static xsan_conv_t *
conv_state(packet_info *pinfo)
{
    conversation_t *conv = find_or_create_conversation(pinfo);
    xsan_conv_t *cs = (xsan_conv_t *)conversation_get_proto_data(conv, proto_xsan_state);
    if (!cs) {
        cs = wmem_new0(wmem_file_scope(), xsan_conv_t);
        cs->calls = wmem_map_new(wmem_file_scope(), wmem_int64_hash, g_int64_equal);
        conversation_add_proto_data(conv, proto_xsan_state, cs);
    }
    return cs;
}

static xsan_fsm_t *
fsm_get(const address *addr, guint32 port)
{
    char *key = wmem_strdup_printf(wmem_file_scope(), "%s:%u",
                                   address_to_str(wmem_file_scope(), addr), port);
    xsan_fsm_t *fsm = (xsan_fsm_t *)wmem_map_lookup(fsm_map, key);
    if (!fsm) {
        fsm = wmem_new0(wmem_file_scope(), xsan_fsm_t);
        fsm->sessions = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
        fsm->tokens = wmem_map_new(wmem_file_scope(), wmem_int64_hash, g_int64_equal);
        wmem_map_insert(fsm_map, key, fsm);
    }
    return fsm;
}

/* The server side of a conversation is the side requests go to. */
static void
learn_server(xsan_ctx_t *c)
{
    if (c->conv->fsm || XSAN_IS_NOTIFY(c->msg) || !c->msg->over_tcp)
        return;
    if (XSAN_IS_RESPONSE(c->msg))
        c->conv->fsm = fsm_get(&c->pinfo->src, c->pinfo->srcport);
    else
        c->conv->fsm = fsm_get(&c->pinfo->dst, c->pinfo->destport);
}

/* What a call keeps of its request for the analysis of the response. */
static void
call_remember(xsan_call_t *call, const xsan_msg_t *msg)
{
    guint64 u;
    call->volume = body_str(msg, XSAN_TAG_VOLUME);
    call->name = body_str(msg, XSAN_TAG_NAME);
    call->new_name = body_str(msg, XSAN_TAG_NEW_NAME);
    call->has_inode = xsan_body_u64(msg, XSAN_TAG_INODE, &call->inode);
    call->has_parent = xsan_body_u64(msg, XSAN_TAG_PARENT_INODE, &call->parent);
    call->has_new_parent = xsan_body_u64(msg, XSAN_TAG_NEW_PARENT_INODE, &call->new_parent);
    call->tclass = xsan_body_u64(msg, XSAN_TAG_TOKEN_CLASS, &u) ? (guint8)u : 0;
    call->tmode = xsan_body_u64(msg, XSAN_TAG_TOKEN_MODE, &u) ? (guint8)u : 0;
    call->offset = xsan_body_u64(msg, XSAN_TAG_OFFSET, &u) ? u : 0;
    call->length = xsan_body_u64(msg, XSAN_TAG_LENGTH, &u) ? u : 0;
    call->lock_type = xsan_body_u64(msg, XSAN_TAG_LOCK_TYPE, &u) ? (guint8)u : 0;
    call->owner = xsan_body_u64(msg, XSAN_TAG_OWNER, &u) ? (guint32)u : 0;
    call->epoch = xsan_body_u64(msg, XSAN_TAG_EPOCH, &u) ? (guint32)u : 0;
}

static xsan_call_t *
call_new(xsan_ctx_t *c, guint64 key)
{
    xsan_conv_t *cs = c->conv;
    if (cs->n_open >= XSAN_MAX_OPEN_CALLS) {
        if (!cs->calls_full) {
            cs->calls_full = TRUE;
            c->fr->caps |= XSAN_CAP_CALLS;
        }
        return NULL;
    }
    xsan_call_t *call = wmem_new0(wmem_file_scope(), xsan_call_t);
    call->req_frame = c->pinfo->num;
    call->req_time = c->pinfo->abs_ts;
    call->client = address_to_str(wmem_file_scope(), &c->pinfo->src);
    call_remember(call, c->msg);
    guint64 *k = wmem_new(wmem_file_scope(), guint64);
    *k = key;
    wmem_map_insert(cs->calls, k, call);
    cs->n_open++;
    return call;
}

/* A request: the first copy opens a call; a copy before any response, or
 * one flagged retry, is a retransmission; otherwise the xid was reused. */
static void
match_request(xsan_ctx_t *c)
{
    guint64 key = call_key(c->msg, direction(c->pinfo));
    xsan_call_t *call = (xsan_call_t *)wmem_map_lookup(c->conv->calls, &key);
    gboolean retry = (c->msg->flags & XSAN_FLAG_RETRY) != 0;

    if (call && (!call->rsp_frame || retry)) {
        c->fr->role = XSAN_ROLE_RETRANSMISSION;
        c->fr->retrans_of = call->req_frame;
    } else {
        call = call_new(c, key);
        c->fr->role = call ? (retry ? XSAN_ROLE_RETRANSMISSION : XSAN_ROLE_REQUEST)
                           : XSAN_ROLE_UNTRACKED;
    }
    c->call = call;
}

static void
match_response(xsan_ctx_t *c)
{
    guint64 key = call_key(c->msg, !direction(c->pinfo));
    xsan_call_t *call = (xsan_call_t *)wmem_map_lookup(c->conv->calls, &key);

    if (!call) {
        c->fr->role = XSAN_ROLE_ORPHAN;
        return;
    }
    if (call->rsp_frame) {
        c->fr->role = XSAN_ROLE_REPEATED;
    } else {
        c->fr->role = XSAN_ROLE_RESPONSE;
        call->rsp_frame = c->pinfo->num;
        call->rsp_time = c->pinfo->abs_ts;
        c->conv->n_open--;
    }
    c->call = call;
}

static void
show_matching(packet_info *pinfo, const xsan_msg_t *msg, const xsan_frame_t *fr)
{
    proto_tree *tree = msg->tree;
    const xsan_call_t *call = fr->call;
    proto_item *pi;

    switch (fr->role) {
    case XSAN_ROLE_REQUEST:
    case XSAN_ROLE_RETRANSMISSION:
        if (call && call->rsp_frame) {
            pi = proto_tree_add_uint(tree, hf_response_in, msg->tvb, 0, 0, call->rsp_frame);
            proto_item_set_generated(pi);
        }
        if (fr->role == XSAN_ROLE_RETRANSMISSION) {
            if (fr->retrans_of) {
                pi = proto_tree_add_uint(tree, hf_retransmission_of, msg->tvb, 0, 0, fr->retrans_of);
                proto_item_set_generated(pi);
                expert_add_info_format(pinfo, pi, &ei_retransmission,
                        "Retransmission of the request in frame %u", fr->retrans_of);
            } else {
                expert_add_info_format(pinfo, msg->item, &ei_retransmission,
                        "Retransmitted request; its first copy is not in the capture");
            }
        } else if (call && !call->rsp_frame && PINFO_FD_VISITED(pinfo)) {
            /* Only a later pass knows that nothing came. */
            expert_add_info(pinfo, msg->item, &ei_unanswered);
        }
        break;
    case XSAN_ROLE_RESPONSE:
    case XSAN_ROLE_REPEATED:
        pi = proto_tree_add_uint(tree, hf_request_in, msg->tvb, 0, 0, call->req_frame);
        proto_item_set_generated(pi);
        if (fr->role == XSAN_ROLE_RESPONSE) {
            nstime_t delta;
            nstime_delta(&delta, &call->rsp_time, &call->req_time);
            pi = proto_tree_add_time(tree, hf_time, msg->tvb, 0, 0, &delta);
            proto_item_set_generated(pi);
        } else {
            expert_add_info_format(pinfo, pi, &ei_repeated,
                    "Another response to the request in frame %u, first answered in frame %u",
                    call->req_frame, call->rsp_frame);
        }
        break;
    case XSAN_ROLE_ORPHAN:
        expert_add_info(pinfo, msg->item, &ei_orphan);
        break;
    case XSAN_ROLE_UNTRACKED:
    case XSAN_ROLE_NOTIFY:
        break;
    }
}

/* ------------------------------------------------------------ sessions */

/* HELLO gives the connection's lease; MOUNT binds a session to a volume. */
static void
learn_session(xsan_ctx_t *c)
{
    const xsan_msg_t *msg = c->msg;
    xsan_fsm_t *fsm = c->conv->fsm;
    guint64 u;

    if (c->fr->role != XSAN_ROLE_RESPONSE || !msg->has_status || msg->status != XSAN_STATUS_OK)
        return;
    if (msg->opcode == XSAN_OP_HELLO && xsan_body_u64(msg, XSAN_TAG_LEASE_SECS, &u))
        c->conv->lease_secs = (guint32)u;
    if (msg->opcode != XSAN_OP_MOUNT || !fsm || !msg->session || !c->call->volume)
        return;
    xsan_volume_t *vol = xsan_volume_get(c->call->volume);
    if (xsan_body_u64(msg, XSAN_TAG_ROOT_INODE, &u))
        xsan_volume_set_root(vol, u);
    if (!wmem_map_contains(fsm->sessions, GUINT_TO_POINTER(msg->session)) &&
        wmem_map_size(fsm->sessions) >= XSAN_MAX_SESSIONS) {
        if (!fsm->sessions_full) {
            fsm->sessions_full = TRUE;
            c->fr->caps |= XSAN_CAP_SESSIONS;
        }
        return;
    }
    wmem_map_insert(fsm->sessions, GUINT_TO_POINTER(msg->session), vol);
}

static xsan_volume_t *
session_volume(const xsan_ctx_t *c)
{
    if (!c->msg->session || !c->conv->fsm)
        return NULL;
    return (xsan_volume_t *)wmem_map_lookup(c->conv->fsm->sessions, GUINT_TO_POINTER(c->msg->session));
}

/* ------------------------------------------------------------ the message */

static xsan_frame_t *
analyse_first_pass(packet_info *pinfo, const xsan_msg_t *msg)
{
    xsan_frame_t *fr = wmem_new0(wmem_file_scope(), xsan_frame_t);
    xsan_ctx_t c = { pinfo, msg, conv_state(pinfo), NULL, NULL, fr };

    learn_server(&c);
    if (XSAN_IS_NOTIFY(msg))
        fr->role = XSAN_ROLE_NOTIFY;
    else if (XSAN_IS_RESPONSE(msg))
        match_response(&c);
    else
        match_request(&c);
    fr->call = c.call;
    if (c.call)
        learn_session(&c);
    c.vol = session_volume(&c);
    fr->volume = c.vol ? xsan_volume_name(c.vol) : NULL;

    if (xsan_pref_names)
        xsan_names_analyse(&c);
    xsan_tokens_analyse(&c);    /* token tracking itself obeys its preference */
    xsan_failover_analyse(&c);
    return fr;
}

static void
queue_tap(packet_info *pinfo, const xsan_msg_t *msg, const xsan_frame_t *fr)
{
    xsan_tap_info_t *t = wmem_new0(pinfo->pool, xsan_tap_info_t);
    const xsan_call_t *call = fr->call;

    t->opcode = msg->opcode;
    t->flags = msg->flags;
    t->xid = msg->xid;
    t->session = msg->session;
    t->msg_len = msg->hdr_len + msg->body_len;
    t->is_response = XSAN_IS_RESPONSE(msg);
    t->is_notify = XSAN_IS_NOTIFY(msg);
    t->is_retransmission = fr->role == XSAN_ROLE_RETRANSMISSION;
    t->is_first_response = fr->role == XSAN_ROLE_RESPONSE;
    t->has_status = msg->has_status;
    t->status = msg->status;
    t->volume = fr->volume;
    t->path = fr->path;
    t->lock_conflict = fr->lock_conflict;
    t->inode = fr->lock_inode;
    if (call) {
        t->request_frame = call->req_frame;
        t->request_time = call->req_time;
        t->response_frame = call->rsp_frame;
        t->client = call->client;
        if (fr->role == XSAN_ROLE_RESPONSE) {
            t->has_response_time = TRUE;
            nstime_delta(&t->response_time, &call->rsp_time, &call->req_time);
        }
    } else if (!t->is_response && !t->is_notify) {
        t->client = address_to_str(pinfo->pool, &pinfo->src);
    }
    tap_queue_packet(xsan_tap, pinfo, t);
}

void
xsan_state_message(packet_info *pinfo, xsan_msg_t *msg)
{
    xsan_frame_t *fr;

    if (!PINFO_FD_VISITED(pinfo)) {
        fr = analyse_first_pass(pinfo, msg);
        p_add_proto_data(wmem_file_scope(), pinfo, proto_xsan_state, FRAME_KEY(msg->index), fr);
    } else {
        fr = (xsan_frame_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_xsan_state,
                                              FRAME_KEY(msg->index));
        if (!fr)
            return;
    }

    show_matching(pinfo, msg, fr);
    if (fr->volume) {
        proto_item *pi = proto_tree_add_string(msg->tree, hf_session_volume, msg->tvb, 0, 0, fr->volume);
        proto_item_set_generated(pi);
    }
    xsan_names_show(pinfo, msg, fr);
    xsan_tokens_show(pinfo, msg, fr);
    xsan_failover_show(pinfo, msg, fr);
    if (fr->caps)
        xsan_note_caps(pinfo, msg->item, fr->caps);
    queue_tap(pinfo, msg, fr);
}

const char *
xsan_state_info(packet_info *pinfo, const xsan_msg_t *msg)
{
    const xsan_frame_t *fr = (const xsan_frame_t *)p_get_proto_data(wmem_file_scope(), pinfo,
            proto_xsan_state, FRAME_KEY(msg->index));
    if (!fr || !fr->path)
        return NULL;
    if (fr->new_path)
        return wmem_strdup_printf(pinfo->pool, "path=%s new_path=%s", fr->path, fr->new_path);
    return wmem_strdup_printf(pinfo->pool, "path=%s", fr->path);
}

void
xsan_state_register(int proto, module_t *prefs)
{
    static hf_register_info hf[] = {
        { &hf_request_in, { "Request in", "xsan.request_in", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
            "Frame completing the first copy of the request this response answers", HFILL } },
        { &hf_response_in, { "Response in", "xsan.response_in", FT_FRAMENUM, BASE_NONE,
            FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0,
            "Frame completing the first response to this request", HFILL } },
        { &hf_time, { "Response time", "xsan.time", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "First response minus first copy of the request (frames completing each)", HFILL } },
        { &hf_retransmission_of, { "Retransmission of", "xsan.retransmission_of", FT_FRAMENUM,
            BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_RETRANS_PREV), 0x0,
            "Frame of the first copy of this request (retry flag, or same xid and opcode"
            " in the same direction before any response)", HFILL } },
        { &hf_session_volume, { "Session volume", "xsan.session.volume", FT_STRING, BASE_NONE,
            NULL, 0x0,
            "Volume this message's session mounted (MOUNT request's VOLUME, bound to the"
            " session id of its response on this FSM)", HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_unanswered, { "xsan.expert.unanswered", PI_SEQUENCE, PI_WARN,
            "Request never answered in this capture", EXPFILL } },
        { &ei_retransmission, { "xsan.expert.retransmission", PI_SEQUENCE, PI_NOTE,
            "Retransmitted request", EXPFILL } },
        { &ei_orphan, { "xsan.expert.response_without_request", PI_SEQUENCE, PI_WARN,
            "Response to a request not in the capture", EXPFILL } },
        { &ei_repeated, { "xsan.expert.response_repeated", PI_SEQUENCE, PI_NOTE,
            "Another response to an answered request", EXPFILL } },
        { &ei_cap, { "xsan.expert.analysis_limit", PI_SEQUENCE, PI_NOTE,
            "Analysis limit reached; no more state is kept for it", EXPFILL } },
    };

    proto_xsan_state = proto;
    proto_register_field_array(proto, hf, array_length(hf));
    expert_register_field_array(expert_register_protocol(proto), ei, array_length(ei));
    xsan_names_register(proto);
    xsan_tokens_register(proto);
    xsan_failover_register(proto);

    prefs_register_bool_preference(prefs, "analyze_names",
            "Track file names (inode to path)",
            "Learn inode names from LOOKUP, CREATE, READDIR and RENAME and show each message's"
            " path (xsan.path). Costs memory per file name seen.",
            &xsan_pref_names);
    prefs_register_bool_preference(prefs, "analyze_tokens",
            "Track tokens and byte-range locks",
            "Follow each token from grant to revoke and release, and flag coherency violations,"
            " late releases and lock conflicts. Costs memory per live token.",
            &xsan_pref_tokens);

    fsm_map = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_str_hash, g_str_equal);
    xsan_tap = register_tap("xsan");
}
