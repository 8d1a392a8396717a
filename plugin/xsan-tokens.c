/* xsan-tokens.c
 * Token life (grant, revoke, release) per FSM, the coherency check between
 * clients' EXCLUSIVE tokens, the lease a revoked token must be released in,
 * and byte-range LOCK conflicts.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "xsan-analysis.h"

static int hf_granted_in;
static int hf_revoked_in;
static int hf_released_in;
static int hf_held;
static int hf_release_delay;
static int hf_conflict_in;

static expert_field ei_coherency;
static expert_field ei_late_release;
static expert_field ei_lock_conflict;

struct xsan_token {
    uint64_t     id;
    xsan_conv_t *holder;        /* a client is one TCP connection */
    uint64_t     inode, offset, length;
    uint8_t      tclass, tmode;
    uint32_t     granted_in, revoked_in, released_in;
    nstime_t     granted_at, revoked_at;
    struct xsan_token *same_inode;  /* next live token on its inode */
};

/* The live tokens of one inode, so a grant checks those only. */
typedef struct inode_tokens {
    uint64_t      inode;        /* its key in tokens_by_inode */
    xsan_token_t *first;
} inode_tokens_t;

/* What one message shows about a token. */
typedef struct xsan_token_view {
    xsan_token_t *token;
    uint32_t      conflict_in;      /* grant of the other client's overlapping token */
    uint64_t      conflict_id;
    bool          has_held, has_delay, late;
    nstime_t      held;             /* grant to release */
    nstime_t      release_delay;    /* revoke to release */
    uint32_t      lease_secs;
} xsan_token_view_t;

static xsan_token_view_t *
view_of(xsan_ctx_t *c, xsan_token_t *tok)
{
    xsan_token_view_t *v = wmem_new0(wmem_file_scope(), xsan_token_view_t);
    v->token = tok;
    c->fr->tok = v;
    return v;
}

/* Half-open ranges [offset, offset+length); an end past 2^64 saturates. */
static bool
overlaps(uint64_t a_off, uint64_t a_len, uint64_t b_off, uint64_t b_len)
{
    uint64_t a_end = a_off + a_len < a_off ? UINT64_MAX : a_off + a_len;
    uint64_t b_end = b_off + b_len < b_off ? UINT64_MAX : b_off + b_len;
    return a_len && b_len && a_off < b_end && b_off < a_end;
}

static void
live_add(xsan_fsm_t *fsm, xsan_token_t *tok)
{
    inode_tokens_t *it = (inode_tokens_t *)wmem_map_lookup(fsm->tokens_by_inode, &tok->inode);
    if (!it) {
        it = wmem_new0(wmem_file_scope(), inode_tokens_t);
        it->inode = tok->inode;
        wmem_map_insert(fsm->tokens_by_inode, &it->inode, it);
    }
    tok->same_inode = it->first;
    it->first = tok;
}

static void
live_remove(xsan_fsm_t *fsm, xsan_token_t *tok)
{
    inode_tokens_t *it = (inode_tokens_t *)wmem_map_lookup(fsm->tokens_by_inode, &tok->inode);
    if (!it)
        return;
    for (xsan_token_t **p = &it->first; *p; p = &(*p)->same_inode) {
        if (*p == tok) {
            *p = tok->same_inode;
            break;
        }
    }
    if (!it->first) {
        wmem_map_remove(fsm->tokens_by_inode, &it->inode);
        wmem_free(wmem_file_scope(), it);
    }
}

/* An EXCLUSIVE token of another client, same class and inode, overlapping
 * and not released: both held at once breaks coherency. The earliest grant
 * is the one named. */
static const xsan_token_t *
find_conflict(const xsan_fsm_t *fsm, const xsan_token_t *tok)
{
    const xsan_token_t *found = NULL;
    if (tok->tmode != XSAN_TOKEN_MODE_EXCLUSIVE)
        return NULL;
    inode_tokens_t *it = (inode_tokens_t *)wmem_map_lookup(fsm->tokens_by_inode, &tok->inode);
    for (const xsan_token_t *t = it ? it->first : NULL; t; t = t->same_inode) {
        if (t != tok && t->holder != tok->holder && !t->released_in &&
            t->tclass == tok->tclass && t->tmode == XSAN_TOKEN_MODE_EXCLUSIVE &&
            overlaps(t->offset, t->length, tok->offset, tok->length) &&
            (!found || t->granted_in < found->granted_in))
            found = t;
    }
    return found;
}

static void
grant(xsan_ctx_t *c, xsan_fsm_t *fsm)
{
    const xsan_call_req_t *call = c->call->req;
    uint64_t id;

    if (!call || !xsan_body_u64(c->msg, XSAN_TAG_TOKEN_ID, &id) || !call->has_inode)
        return;
    xsan_token_t *old = (xsan_token_t *)wmem_map_lookup(fsm->tokens, &id);
    if (!old && fsm->n_tokens >= XSAN_MAX_TOKENS) {
        if (!fsm->tokens_full) {
            fsm->tokens_full = true;
            c->fr->caps |= XSAN_CAP_TOKENS;
        }
        return;
    }
    xsan_token_t *tok = wmem_new0(wmem_file_scope(), xsan_token_t);
    tok->id = id;
    tok->holder = c->conv;
    tok->inode = call->inode;
    tok->tclass = call->tclass;
    tok->tmode = call->tmode;
    tok->offset = call->offset;
    tok->length = call->length;
    tok->granted_in = c->pinfo->num;
    tok->granted_at = c->pinfo->abs_ts;
    c->call->token = tok;

    xsan_token_view_t *v = view_of(c, tok);
    const xsan_token_t *other = find_conflict(fsm, tok);
    if (other) {
        v->conflict_in = other->granted_in;
        v->conflict_id = other->id;
    }
    /* A replaced token keeps its key in the map: the same id, still alive. */
    wmem_map_insert(fsm->tokens, &tok->id, tok);
    if (old)
        live_remove(fsm, old);
    else
        fsm->n_tokens++;
    live_add(fsm, tok);
}

static xsan_token_t *
named_token(const xsan_ctx_t *c, xsan_fsm_t *fsm)
{
    uint64_t id;
    if (!xsan_body_u64(c->msg, XSAN_TAG_TOKEN_ID, &id))
        return NULL;
    return (xsan_token_t *)wmem_map_lookup(fsm->tokens, &id);
}

static void
revoke(xsan_ctx_t *c, xsan_fsm_t *fsm)
{
    xsan_token_t *tok = named_token(c, fsm);
    if (!tok)
        return;
    if (!tok->revoked_in) {
        tok->revoked_in = c->pinfo->num;
        tok->revoked_at = c->pinfo->abs_ts;
    }
    view_of(c, tok);
}

/* The first copy of a release ends the token; it leaves the live map. */
static void
release(xsan_ctx_t *c, xsan_fsm_t *fsm)
{
    xsan_token_t *tok = named_token(c, fsm);
    if (!tok || tok->released_in)
        return;
    xsan_token_view_t *v = view_of(c, tok);
    tok->released_in = c->pinfo->num;
    v->has_held = true;
    nstime_delta(&v->held, &c->pinfo->abs_ts, &tok->granted_at);
    if (tok->revoked_in) {
        v->has_delay = true;
        nstime_delta(&v->release_delay, &c->pinfo->abs_ts, &tok->revoked_at);
        v->lease_secs = tok->holder->lease_secs;
        v->late = v->lease_secs && nstime_to_sec(&v->release_delay) > (double)v->lease_secs;
    }
    wmem_map_remove(fsm->tokens, &tok->id);
    live_remove(fsm, tok);
    fsm->n_tokens--;
}

static void
check_lock(xsan_ctx_t *c)
{
    if (c->msg->opcode == XSAN_OP_LOCK && c->call && XSAN_IS_RESPONSE(c->msg) &&
        c->fr->role == XSAN_ROLE_RESPONSE && c->msg->has_status &&
        c->msg->status == XSAN_STATUS_LOCK_CONFLICT) {
        c->fr->lock_conflict = true;
        c->fr->lock_inode = c->call->req ? c->call->req->inode : 0;
    }
}

void
xsan_tokens_analyse(xsan_ctx_t *c, bool track_tokens)
{
    const xsan_msg_t *msg = c->msg;
    xsan_fsm_t *fsm = c->conv->fsm;

    check_lock(c);
    if (!track_tokens || !fsm)
        return;
    switch (msg->opcode) {
    case XSAN_OP_TOKEN_ACQUIRE:
        if (c->fr->role == XSAN_ROLE_RESPONSE && msg->has_status && msg->status == XSAN_STATUS_OK)
            grant(c, fsm);
        break;
    case XSAN_OP_TOKEN_REVOKE:
        if (XSAN_IS_NOTIFY(msg))
            revoke(c, fsm);
        break;
    case XSAN_OP_TOKEN_RELEASE:
        if (!XSAN_IS_RESPONSE(msg))
            release(c, fsm);
        break;
    default:
        break;
    }
}

static void
add_frame(proto_tree *tree, int hf, const xsan_msg_t *msg, uint32_t frame)
{
    if (frame) {
        proto_item *pi = proto_tree_add_uint(tree, hf, msg->tvb, 0, 0, frame);
        proto_item_set_generated(pi);
    }
}

static void
add_time(proto_tree *tree, int hf, const xsan_msg_t *msg, const nstime_t *t)
{
    proto_item *pi = proto_tree_add_time(tree, hf, msg->tvb, 0, 0, t);
    proto_item_set_generated(pi);
}

static void
show_lock_conflict(packet_info *pinfo, const xsan_msg_t *msg, const xsan_frame_t *fr)
{
    static const xsan_call_req_t none;
    const xsan_call_req_t *call = fr->call->req ? fr->call->req : &none;
    uint64_t end = call->offset + call->length < call->offset ? UINT64_MAX : call->offset + call->length;
    expert_add_info_format(pinfo, msg->item, &ei_lock_conflict,
            "Byte-range lock conflict: %s lock on inode %" PRIu64 " [%" PRIu64 ", %" PRIu64
            ") for owner %u refused", val_to_str_const(call->lock_type, xsan_lock_type_vals, "?"),
            call->inode, call->offset, end, call->owner);
}

void
xsan_tokens_show(packet_info *pinfo, const xsan_msg_t *msg, const xsan_frame_t *fr)
{
    const xsan_token_view_t *v = fr->tok;
    const xsan_token_t *tok = v ? v->token : NULL;
    uint32_t me = pinfo->num;

    if (fr->lock_conflict)
        show_lock_conflict(pinfo, msg, fr);
    /* The request of a grant learns its token from the response. */
    if (!tok && fr->call && msg->opcode == XSAN_OP_TOKEN_ACQUIRE && !XSAN_IS_RESPONSE(msg))
        tok = fr->call->token;
    if (!tok)
        return;
    if (tok->granted_in != me)
        add_frame(msg->tree, hf_granted_in, msg, tok->granted_in);
    if (tok->revoked_in != me)
        add_frame(msg->tree, hf_revoked_in, msg, tok->revoked_in);
    if (tok->released_in != me)
        add_frame(msg->tree, hf_released_in, msg, tok->released_in);
    if (!v)
        return;
    if (v->has_held)
        add_time(msg->tree, hf_held, msg, &v->held);
    if (v->has_delay) {
        add_time(msg->tree, hf_release_delay, msg, &v->release_delay);
        if (v->late)
            expert_add_info_format(pinfo, msg->item, &ei_late_release,
                    "Token 0x%" PRIx64 " released %.3f s after its revoke (frame %u),"
                    " past the holder's %u s lease", tok->id, nstime_to_sec(&v->release_delay),
                    tok->revoked_in, v->lease_secs);
    }
    if (tok->revoked_in == me && !tok->released_in && PINFO_FD_VISITED(pinfo))
        expert_add_info_format(pinfo, msg->item, &ei_late_release,
                "Token 0x%" PRIx64 " revoked here is never released in this capture", tok->id);
    if (v->conflict_in) {
        proto_item *pi = proto_tree_add_uint(msg->tree, hf_conflict_in, msg->tvb, 0, 0, v->conflict_in);
        proto_item_set_generated(pi);
        expert_add_info_format(pinfo, pi, &ei_coherency,
                "Coherency violation: EXCLUSIVE %s token 0x%" PRIx64 " on inode %" PRIu64
                " overlaps token 0x%" PRIx64 " another client holds (granted in frame %u)",
                val_to_str_const(tok->tclass, xsan_token_class_vals, "?"), tok->id, tok->inode,
                v->conflict_id, v->conflict_in);
    }
}

void
xsan_tokens_register(int proto)
{
    static hf_register_info hf[] = {
        { &hf_granted_in, { "Token granted in", "xsan.token.granted_in", FT_FRAMENUM, BASE_NONE,
            NULL, 0x0, "Frame of the TOKEN_ACQUIRE response that granted this token", HFILL } },
        { &hf_revoked_in, { "Token revoked in", "xsan.token.revoked_in", FT_FRAMENUM, BASE_NONE,
            NULL, 0x0, "Frame of the first TOKEN_REVOKE of this token", HFILL } },
        { &hf_released_in, { "Token released in", "xsan.token.released_in", FT_FRAMENUM, BASE_NONE,
            NULL, 0x0, "Frame of the TOKEN_RELEASE request that gave this token back", HFILL } },
        { &hf_held, { "Token held for", "xsan.token.held", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "Time from the grant to this release", HFILL } },
        { &hf_release_delay, { "Released after revoke", "xsan.token.release_delay",
            FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
            "Time from the revoke to this release; must be within the holder's LEASE_SECS", HFILL } },
        { &hf_conflict_in, { "Conflicts with token granted in", "xsan.token.conflict_in",
            FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "Grant of another client's EXCLUSIVE token, same class and inode, overlapping range,"
            " still held when this one was granted", HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_coherency, { "xsan.expert.token_coherency", PI_SEQUENCE, PI_ERROR,
            "Two clients hold overlapping EXCLUSIVE tokens (coherency violation)", EXPFILL } },
        { &ei_late_release, { "xsan.expert.token_late_release", PI_SEQUENCE, PI_WARN,
            "Revoked token not released within the holder's lease", EXPFILL } },
        { &ei_lock_conflict, { "xsan.expert.lock_conflict", PI_SEQUENCE, PI_WARN,
            "Byte-range lock refused: conflicts with another lock", EXPFILL } },
    };
    proto_register_field_array(proto, hf, array_length(hf));
    expert_register_field_array(expert_register_protocol(proto), ei, array_length(ei));
}
