/* xsan-state.c
 * Conversation state: request/response matching, response times,
 * retransmissions and sessions; the per-frame records every analysis fills
 * on the first pass and shows in every pass; the "xsan" tap.
 * Paths, tokens and heartbeats live in xsan-names.c, xsan-tokens.c and
 * xsan-failover.c (see xsan-analysis.h for the shared shape).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "xsan-state.h"
#include "xsan-analysis.h"
#include "xsan-tap.h"

#include <epan/conversation.h>
#include <epan/proto_data.h>
#include <epan/tap.h>
#include <epan/to_str.h>

/* A frame record as stored for the whole file: what most messages show fits
 * in role, call and volume (see told_by_call); anything else keeps a full
 * copy in extra. */
typedef struct stored_frame {
    xsan_call_t         *call;
    const char          *volume;
    xsan_frame_t        *extra;     /* the whole record when it has more */
    struct stored_frame *next;      /* the frame's other messages */
    uint32_t             msg_index; /* message number within the frame */
    uint8_t              role;
    uint8_t              retrans_of_call;   /* retrans_of is call->req_frame */
} stored_frame_t;

/* Frame records by frame number (see frame_store), in file scope; NULL
 * between files. Cheaper than per-frame proto data: one pointer per frame,
 * no list to walk. */
static wmem_array_t *frame_table;

static xsan_bool pref_names = true;
static xsan_bool pref_tokens = true;

static int proto_xsan_state;
static int xsan_tap = -1;

static int hf_request_in;
static int hf_response_in;
static int hf_time;
static int hf_retransmission_of;
static int hf_session_volume;

static expert_field ei_unanswered;
static expert_field ei_retransmission;
static expert_field ei_retransmission_first_missing;
static expert_field ei_orphan;
static expert_field ei_repeated;
static expert_field ei_cap;

/* Servers (FSMs) by "address:port", reset with each file. */
static wmem_map_t *fsm_map;

static const char *
body_str(const xsan_msg_t *msg, uint16_t tag)
{
    const char *s = msg->body ? xsan_scope_str(msg->body->top, tag) : NULL;
    return s ? wmem_strdup(wmem_file_scope(), s) : NULL;
}

/* The expert items that say which caps were hit. */
static void
note_caps(packet_info *pinfo, proto_item *item, uint32_t caps)
{
    static const struct { uint32_t bit; const char *what; unsigned limit; } texts[] = {
        { XSAN_CAP_CALLS, "unanswered requests in this conversation", XSAN_MAX_OPEN_CALLS },
        { XSAN_CAP_NAMES, "names in this volume", XSAN_MAX_NAMES },
        { XSAN_CAP_TOKENS, "tokens of this FSM", XSAN_MAX_TOKENS },
        { XSAN_CAP_SESSIONS, "sessions of this FSM", XSAN_MAX_SESSIONS },
        { XSAN_CAP_HOSTS, "heartbeat hosts", XSAN_MAX_HOSTS },
        { XSAN_CAP_ELECTIONS, "failover events", XSAN_MAX_ELECTIONS },
    };
    for (unsigned i = 0; i < array_length(texts); i++)
        if (caps & texts[i].bit)
            expert_add_info_format(pinfo, item, &ei_cap,
                    "Analysis limit reached: %s (%u); no more are tracked", texts[i].what,
                    texts[i].limit);
}

/* ------------------------------------------------------------ matching */

/* Which way a message goes, the same bit for both ends of a conversation. */
static bool
direction(const packet_info *pinfo)
{
    int c = cmp_address(&pinfo->src, &pinfo->dst);
    return c < 0 || (c == 0 && pinfo->srcport < pinfo->destport);
}

/* A call is found by xid, opcode and the direction of its request. The
 * map's key is the xid itself (no key to fetch from memory when comparing:
 * at a million calls that is what the lookup costs); the few calls sharing
 * an xid are chained. */
static xsan_call_t *
call_find(const xsan_conv_t *cs, const xsan_msg_t *msg, bool req_dir)
{
    xsan_call_t *call = (xsan_call_t *)wmem_map_lookup(cs->calls, GUINT_TO_POINTER(msg->xid));
    while (call && (call->opcode != msg->opcode || call->req_dir != req_dir))
        call = call->same_xid;
    return call;
}

static xsan_conv_t *
conv_state(packet_info *pinfo)
{
    conversation_t *conv = find_or_create_conversation(pinfo);
    xsan_conv_t *cs = (xsan_conv_t *)conversation_get_proto_data(conv, proto_xsan_state);
    if (!cs) {
        cs = wmem_new0(wmem_file_scope(), xsan_conv_t);
        cs->calls = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
        conversation_add_proto_data(conv, proto_xsan_state, cs);
    }
    return cs;
}

static xsan_fsm_t *
fsm_get(const address *addr, uint32_t port)
{
    char *key = wmem_strdup_printf(wmem_file_scope(), "%s:%u",
                                   address_to_str(wmem_file_scope(), addr), port);
    xsan_fsm_t *fsm = (xsan_fsm_t *)wmem_map_lookup(fsm_map, key);
    if (!fsm) {
        fsm = wmem_new0(wmem_file_scope(), xsan_fsm_t);
        fsm->sessions = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
        fsm->tokens = wmem_map_new(wmem_file_scope(), xsan_u64_hash, g_int64_equal);
        fsm->tokens_by_inode = wmem_map_new(wmem_file_scope(), xsan_u64_hash, g_int64_equal);
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

/* Opcodes whose responses (or later copies) read what the request said:
 * names (LOOKUP, CREATE, READDIR, RENAME, REMOVE), sessions (MOUNT), tokens
 * (TOKEN_ACQUIRE), locks (LOCK), elections (ELECTION_VOTE). */
static bool
call_req_wanted(uint16_t opcode)
{
    switch (opcode) {
    case XSAN_OP_MOUNT:
    case XSAN_OP_LOOKUP:
    case XSAN_OP_CREATE:
    case XSAN_OP_READDIR:
    case XSAN_OP_RENAME:
    case XSAN_OP_REMOVE:
    case XSAN_OP_TOKEN_ACQUIRE:
    case XSAN_OP_LOCK:
    case XSAN_OP_ELECTION_VOTE:
        return true;
    default:
        return false;
    }
}

/* What a call keeps of its request for the analysis of the response. */
static xsan_call_req_t *
call_remember(const xsan_msg_t *msg)
{
    uint64_t u;
    if (!msg->body || !call_req_wanted(msg->opcode))
        return NULL;
    xsan_call_req_t *r = wmem_new(wmem_file_scope(), xsan_call_req_t);
    r->volume = body_str(msg, XSAN_TAG_VOLUME);
    r->name = body_str(msg, XSAN_TAG_NAME);
    r->new_name = body_str(msg, XSAN_TAG_NEW_NAME);
    r->has_inode = xsan_body_u64(msg, XSAN_TAG_INODE, &u);
    r->inode = r->has_inode ? u : 0;
    r->has_parent = xsan_body_u64(msg, XSAN_TAG_PARENT_INODE, &u);
    r->parent = r->has_parent ? u : 0;
    r->has_new_parent = xsan_body_u64(msg, XSAN_TAG_NEW_PARENT_INODE, &u);
    r->new_parent = r->has_new_parent ? u : 0;
    r->tclass = xsan_body_u64(msg, XSAN_TAG_TOKEN_CLASS, &u) ? (uint8_t)u : 0;
    r->tmode = xsan_body_u64(msg, XSAN_TAG_TOKEN_MODE, &u) ? (uint8_t)u : 0;
    r->offset = xsan_body_u64(msg, XSAN_TAG_OFFSET, &u) ? u : 0;
    r->length = xsan_body_u64(msg, XSAN_TAG_LENGTH, &u) ? u : 0;
    r->lock_type = xsan_body_u64(msg, XSAN_TAG_LOCK_TYPE, &u) ? (uint8_t)u : 0;
    r->owner = xsan_body_u64(msg, XSAN_TAG_OWNER, &u) ? (uint32_t)u : 0;
    r->epoch = xsan_body_u64(msg, XSAN_TAG_EPOCH, &u) ? (uint32_t)u : 0;
    return r;
}

static void
call_forget_req(xsan_call_t *call)
{
    xsan_call_req_t *r = call->req;
    if (!r)
        return;
    wmem_free(wmem_file_scope(), (void *)r->volume);
    wmem_free(wmem_file_scope(), (void *)r->name);
    wmem_free(wmem_file_scope(), (void *)r->new_name);
    wmem_free(wmem_file_scope(), r);
    call->req = NULL;
}

/* After the first response only elections (every later copy counts in its
 * event) and refused locks (the expert item shows the request) still read
 * what the request said. */
static void
call_release_req(xsan_call_t *call, const xsan_msg_t *msg, const xsan_frame_t *fr)
{
    if (!call->req || fr->role != XSAN_ROLE_RESPONSE)
        return;
    if (msg->opcode == XSAN_OP_ELECTION_VOTE || fr->lock_conflict)
        return;
    call_forget_req(call);
}

/* The requester's address of a call as text, made once per conversation
 * side (a conversation with wildcards may see other addresses: those get
 * their own string). */
static const char *
call_client(xsan_conv_t *cs, packet_info *pinfo, bool req_dir)
{
    unsigned side = req_dir ? 1 : 0;
    if (cs->client[side] && addresses_equal(&cs->client_addr[side], &pinfo->src))
        return cs->client[side];
    const char *text = address_to_str(wmem_file_scope(), &pinfo->src);
    if (!cs->client[side]) {
        copy_address_wmem(wmem_file_scope(), &cs->client_addr[side], &pinfo->src);
        cs->client[side] = text;
    }
    return text;
}

static xsan_call_t *
call_new(xsan_ctx_t *c, bool req_dir)
{
    xsan_conv_t *cs = c->conv;
    if (cs->n_open >= XSAN_MAX_OPEN_CALLS) {
        if (!cs->calls_full) {
            cs->calls_full = true;
            c->fr->caps |= XSAN_CAP_CALLS;
        }
        return NULL;
    }
    xsan_call_t *call = wmem_new0(wmem_file_scope(), xsan_call_t);
    call->opcode = c->msg->opcode;
    call->req_dir = req_dir ? 1 : 0;
    call->req_frame = c->pinfo->num;
    call->req_time = c->pinfo->abs_ts;
    call->client = call_client(cs, c->pinfo, req_dir);
    call->req = call_remember(c->msg);
    /* An xid used again (same opcode and direction) replaces the old call
     * in the chain; the old one stays alive for the frames that show it. */
    void *xid = GUINT_TO_POINTER(c->msg->xid);
    xsan_call_t *first = (xsan_call_t *)wmem_map_lookup(cs->calls, xid);
    for (xsan_call_t **p = &first; *p; p = &(*p)->same_xid) {
        if ((*p)->opcode == call->opcode && (*p)->req_dir == call->req_dir) {
            *p = (*p)->same_xid;
            break;
        }
    }
    call->same_xid = first;
    wmem_map_insert(cs->calls, xid, call);
    cs->n_open++;
    return call;
}

/* A request: the first copy opens a call; a copy before any response, or
 * one flagged retry, is a retransmission; otherwise the xid was reused. */
static void
match_request(xsan_ctx_t *c)
{
    bool dir = direction(c->pinfo);
    xsan_call_t *call = call_find(c->conv, c->msg, dir);
    bool retry = (c->msg->flags & XSAN_FLAG_RETRY) != 0;

    if (call && (!call->rsp_frame || retry)) {
        c->fr->role = XSAN_ROLE_RETRANSMISSION;
        c->fr->retrans_of = call->req_frame;
    } else {
        call = call_new(c, dir);
        c->fr->role = call ? (retry ? XSAN_ROLE_RETRANSMISSION : XSAN_ROLE_REQUEST)
                           : XSAN_ROLE_UNTRACKED;
    }
    c->call = call;
}

static void
match_response(xsan_ctx_t *c)
{
    xsan_call_t *call = call_find(c->conv, c->msg, !direction(c->pinfo));

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
                expert_add_info(pinfo, msg->item, &ei_retransmission_first_missing);
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
    uint64_t u;

    if (c->fr->role != XSAN_ROLE_RESPONSE || !msg->has_status || msg->status != XSAN_STATUS_OK)
        return;
    if (msg->opcode == XSAN_OP_HELLO && xsan_body_u64(msg, XSAN_TAG_LEASE_SECS, &u))
        c->conv->lease_secs = (uint32_t)u;
    if (msg->opcode != XSAN_OP_MOUNT || !fsm || !msg->session || !c->call->req ||
        !c->call->req->volume)
        return;
    xsan_volume_t *vol = xsan_volume_get(c->call->req->volume);
    if (xsan_body_u64(msg, XSAN_TAG_ROOT_INODE, &u))
        xsan_volume_set_root(vol, u);
    if (!wmem_map_contains(fsm->sessions, GUINT_TO_POINTER(msg->session)) &&
        wmem_map_size(fsm->sessions) >= XSAN_MAX_SESSIONS) {
        if (!fsm->sessions_full) {
            fsm->sessions_full = true;
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

static void
analyse_first_pass(packet_info *pinfo, const xsan_msg_t *msg, xsan_frame_t *fr)
{
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

    if (pref_names)
        xsan_names_analyse(&c);
    xsan_tokens_analyse(&c, pref_tokens);
    xsan_failover_analyse(&c);
    if (c.call)
        call_release_req(c.call, msg, fr);
}

/* ------------------------------------------------------------ frame records */

/* A frame table entry is a pointer with its low bits as a tag. Most frames
 * carry one message that is the first copy of a request or the first
 * response, on the call's volume: for those the entry is the call itself.
 * Anything else gets stored_frame_t records, chained per frame. */
#define ENTRY_RECORDS   0x0u    /* stored_frame_t chain */
#define ENTRY_REQUEST   0x1u    /* call; message 0 is its request */
#define ENTRY_RESPONSE  0x2u    /* call; message 0 is its first response */
#define ENTRY_TAG(e)    ((uintptr_t)(e) & 0x3u)
#define ENTRY_PTR(e)    ((void *)((uintptr_t)(e) & ~(uintptr_t)0x3u))

static void
frame_table_reset(void)
{
    frame_table = NULL;     /* its memory goes with the file scope */
}

static uintptr_t *
frame_slot(uint32_t num)
{
    if (!frame_table || num >= wmem_array_get_count(frame_table))
        return NULL;
    return (uintptr_t *)wmem_array_index(frame_table, num);
}

/* Whether a message's record says no more than its call does (or than no
 * call, for a message without one): no views, no caps, the paths the call
 * found at its request, and a retransmission, if it is one, of the call's
 * first copy. Such a record is rebuilt from the call. */
static bool
told_by_call(const xsan_frame_t *fr)
{
    const xsan_call_t *call = fr->call;
    return !fr->caps && !fr->lock_conflict && !fr->lock_inode && !fr->tok && !fr->hb && !fr->fo &&
           fr->path == (call ? call->path : NULL) && fr->new_path == (call ? call->new_path : NULL) &&
           (!fr->retrans_of || (call && fr->retrans_of == call->req_frame));
}

/* The record told_by_call() found needs nothing beyond the call: rebuild it. */
static void
frame_from_call(xsan_frame_t *fr, xsan_role_t role, xsan_call_t *call, const char *volume)
{
    memset(fr, 0, sizeof *fr);
    fr->role = role;
    fr->call = call;
    fr->volume = volume;
    if (call) {
        fr->path = call->path;
        fr->new_path = call->new_path;
    }
}

static stored_frame_t *
record_new(const xsan_frame_t *fr, unsigned msg_index)
{
    stored_frame_t *sf = wmem_new0(wmem_file_scope(), stored_frame_t);
    sf->call = fr->call;
    sf->volume = fr->volume;
    sf->msg_index = msg_index;
    sf->role = (uint8_t)fr->role;
    sf->retrans_of_call = fr->retrans_of != 0;
    if (!told_by_call(fr))
        sf->extra = (xsan_frame_t *)wmem_memdup(wmem_file_scope(), fr, sizeof *fr);
    return sf;
}

/* The record a tagged entry stands for. */
static void
entry_expand(uintptr_t e, xsan_frame_t *fr)
{
    xsan_call_t *call = (xsan_call_t *)ENTRY_PTR(e);
    frame_from_call(fr, ENTRY_TAG(e) == ENTRY_REQUEST ? XSAN_ROLE_REQUEST : XSAN_ROLE_RESPONSE,
                    call, call->volume);
}

static void
frame_store(packet_info *pinfo, unsigned msg_index, const xsan_frame_t *fr)
{
    static const uintptr_t none = 0;

    if (!frame_table)
        frame_table = wmem_array_sized_new(wmem_file_scope(), sizeof(uintptr_t), 4096);
    while (wmem_array_get_count(frame_table) <= pinfo->num)
        wmem_array_append_one(frame_table, none);
    uintptr_t *slot = (uintptr_t *)wmem_array_index(frame_table, pinfo->num);

    /* The compact form: message 0 alone, nothing but its call, its volume
     * and the paths its call found at the request. */
    if (!*slot && msg_index == 0 && fr->call && !fr->retrans_of && told_by_call(fr) &&
        ((uintptr_t)fr->call & 0x3u) == 0) {
        if (fr->role == XSAN_ROLE_REQUEST) {
            /* the call is new: its volume is this message's */
            fr->call->volume = fr->volume;
            *slot = (uintptr_t)fr->call | ENTRY_REQUEST;
            return;
        }
        if (fr->role == XSAN_ROLE_RESPONSE && fr->volume == fr->call->volume) {
            *slot = (uintptr_t)fr->call | ENTRY_RESPONSE;
            return;
        }
    }
    if (*slot && ENTRY_TAG(*slot) != ENTRY_RECORDS) {
        /* A second message in this frame: the first one becomes a record. */
        xsan_frame_t first;
        entry_expand(*slot, &first);
        *slot = (uintptr_t)record_new(&first, 0);
    }
    stored_frame_t *sf = record_new(fr, msg_index);
    /* A record for the same message again replaces the old one. */
    for (stored_frame_t **p = (stored_frame_t **)slot; *p; p = &(*p)->next) {
        if ((*p)->msg_index == msg_index) {
            sf->next = (*p)->next;
            *p = sf;
            return;
        }
    }
    sf->next = (stored_frame_t *)*slot;
    *slot = (uintptr_t)sf;
}

/* The record of a message as the first pass left it; false when none. */
static bool
frame_load(const packet_info *pinfo, unsigned msg_index, xsan_frame_t *fr)
{
    const uintptr_t *slot = frame_slot(pinfo->num);
    const stored_frame_t *sf;

    if (!slot || !*slot)
        return false;
    if (ENTRY_TAG(*slot) != ENTRY_RECORDS) {
        if (msg_index != 0)
            return false;
        entry_expand(*slot, fr);
        return true;
    }
    for (sf = (const stored_frame_t *)*slot; sf && sf->msg_index != msg_index; sf = sf->next)
        ;
    if (!sf)
        return false;
    if (sf->extra) {
        *fr = *sf->extra;
        return true;
    }
    frame_from_call(fr, (xsan_role_t)sf->role, sf->call, sf->volume);
    if (sf->retrans_of_call && sf->call)
        fr->retrans_of = sf->call->req_frame;
    return true;
}

static void
queue_tap(packet_info *pinfo, const xsan_msg_t *msg, const xsan_frame_t *fr)
{
    if (!have_tap_listener(xsan_tap))
        return;     /* tshark without -z, a first pass: nobody reads it */
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
            t->has_response_time = true;
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
    xsan_frame_t frame;
    const xsan_frame_t *fr = &frame;

    if (!PINFO_FD_VISITED(pinfo)) {
        memset(&frame, 0, sizeof frame);
        analyse_first_pass(pinfo, msg, &frame);
        frame_store(pinfo, msg->msg_index, &frame);
    } else if (!frame_load(pinfo, msg->msg_index, &frame)) {
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
        note_caps(pinfo, msg->item, fr->caps);
    queue_tap(pinfo, msg, fr);
}

void
xsan_state_info_append(wmem_strbuf_t *buf, packet_info *pinfo, const xsan_msg_t *msg)
{
    xsan_frame_t fr;
    if (!frame_load(pinfo, msg->msg_index, &fr) || !fr.path)
        return;
    wmem_strbuf_append(buf, " path=");
    wmem_strbuf_append(buf, fr.path);
    if (fr.new_path) {
        wmem_strbuf_append(buf, " new_path=");
        wmem_strbuf_append(buf, fr.new_path);
    }
}

void
xsan_state_register(int proto, module_t *module)
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
        { &ei_retransmission_first_missing, { "xsan.expert.retransmission_first_missing",
            PI_SEQUENCE, PI_NOTE, "Retransmitted request; its first copy is not in the capture",
            EXPFILL } },
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

    prefs_register_bool_preference(module, "analyze_names",
            "Track file names (inode to path)",
            "Learn inode names from LOOKUP, CREATE, READDIR and RENAME and show each message's"
            " path (xsan.path). Costs memory per file name seen.",
            &pref_names);
    prefs_register_bool_preference(module, "analyze_tokens",
            "Track tokens and byte-range locks",
            "Follow each token from grant to revoke and release, and flag coherency violations,"
            " late releases and lock conflicts. Costs memory per live token.",
            &pref_tokens);

    fsm_map = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_str_hash, g_str_equal);
    xsan_tap = register_tap(XSAN_TAP_NAME);
    register_cleanup_routine(frame_table_reset);
    xsan_analysis_init();
}
