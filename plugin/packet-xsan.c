/* packet-xsan.c
 * Routines for the Xsan metadata protocol, as modelled by this project
 * (shared/spec/xsan-wire-v1.md): registration, recognition by port and
 * heuristic, framing (TCP PDUs, UDP datagrams, fragmented messages), the
 * header and the Info column. Attribute bodies are decoded by
 * xsan-attrs.c, the analysis lives in xsan-state.c.
 *
 * The real Xsan/StorNext wire layout was never published; this decodes the
 * project's own model and labels anything else on its ports as undecoded
 * Xsan metadata.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "packet-xsan.h"
#include "xsan-msg.h"
#include "xsan-state.h"
#include "xsan-stats.h"

#include <epan/conversation.h>
#include <epan/exceptions.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/proto_data.h>
#include <epan/reassemble.h>
#include <epan/show_exception.h>
#include <epan/dissectors/packet-tcp.h>

#define XSAN_DEFAULT_PORTS "60868"

static int proto_xsan;

static dissector_handle_t xsan_tcp_handle;
static dissector_handle_t xsan_udp_handle;

static int hf_magic;
static int hf_version;
static int hf_hdr_len;
static int hf_flags;
static int hf_flag_response;
static int hf_flag_error;
static int hf_flag_more;
static int hf_flag_notify;
static int hf_flag_retry;
static int hf_flag_reserved;
static int hf_opcode;
static int hf_family;
static int hf_frag_index;
static int hf_xid;
static int hf_session;
static int hf_body_len;
static int hf_hdr_extra;
static int hf_body;
static int hf_fragment_body;

static int hf_fragments;
static int hf_fragment;
static int hf_fragment_overlap;
static int hf_fragment_overlap_conflicts;
static int hf_fragment_multiple_tails;
static int hf_fragment_too_long_fragment;
static int hf_fragment_error;
static int hf_fragment_count;
static int hf_reassembled_in;
static int hf_reassembled_length;
static int hf_reassembled_data;

static int ett_xsan = XSAN_ETT_INIT;
static int ett_flags = XSAN_ETT_INIT;
static int ett_fragment = XSAN_ETT_INIT;
static int ett_fragments = XSAN_ETT_INIT;

static expert_field ei_not_a_message;
static expert_field ei_bad_version;
static expert_field ei_hdr_len_short;
static expert_field ei_body_too_long;
static expert_field ei_truncated;
static expert_field ei_reserved_flags;
static expert_field ei_response_and_notify;
static expert_field ei_error_not_response;
static expert_field ei_unknown_opcode;
static expert_field ei_no_status;
static expert_field ei_error_flag_mismatch;
static expert_field ei_error_status;
static expert_field ei_frag_too_many;
static expert_field ei_frag_too_big;
static expert_field ei_frag_repeated;
static expert_field ei_frag_gap;
static expert_field ei_decode_exception;

static int * const flag_bits[] = {
    &hf_flag_response, &hf_flag_error, &hf_flag_more, &hf_flag_notify, &hf_flag_retry,
    &hf_flag_reserved, NULL
};

static const fragment_items xsan_frag_items = {
    &ett_fragment, &ett_fragments,
    &hf_fragments, &hf_fragment, &hf_fragment_overlap, &hf_fragment_overlap_conflicts,
    &hf_fragment_multiple_tails, &hf_fragment_too_long_fragment, &hf_fragment_error,
    &hf_fragment_count, &hf_reassembled_in, &hf_reassembled_length, &hf_reassembled_data,
    "Xsan message fragments"
};

static reassembly_table xsan_reassembly_table;

static xsan_bool pref_desegment = true;
static xsan_bool pref_reassemble = true;

/* Per-frame proto data keys: the message counter lives in pinfo->pool,
 * fragment verdicts of the first pass in file scope (key: message index). */
#define KEY_MSG_COUNTER   0xFFFFFFFFu

/* What the first pass decided about a fragment piece; later passes reuse it
 * so that expert info is the same in every pass. */
typedef enum {
    FRAG_OK = 1, FRAG_TOO_MANY, FRAG_TOO_BIG, FRAG_REPEATED
} frag_verdict_t;

/* The pieces of one message share direction (addresses and ports), xid and
 * opcode: two messages with one xid and different opcodes are two messages.
 * The key of the messages whose pieces are held. */
typedef struct piece_key {
    address  src, dst;
    uint32_t src_port, dst_port;
    uint32_t xid;
    uint16_t opcode;
} piece_key_t;

static unsigned
piece_key_hash(const void *k)
{
    const piece_key_t *key = (const piece_key_t *)k;
    return key->xid ^ ((unsigned)key->opcode << 16) ^ key->src_port ^ (key->dst_port << 8);
}

static xsan_glib_bool
piece_key_equal(const void *a, const void *b)
{
    const piece_key_t *k1 = (const piece_key_t *)a, *k2 = (const piece_key_t *)b;
    return k1->xid == k2->xid && k1->opcode == k2->opcode &&
           k1->src_port == k2->src_port && k1->dst_port == k2->dst_port &&
           addresses_equal(&k1->src, &k2->src) && addresses_equal(&k1->dst, &k2->dst);
}

/* The key of this piece, pointing at pinfo's addresses. */
static void
piece_key_set(piece_key_t *key, const packet_info *pinfo, const xsan_msg_t *msg)
{
    copy_address_shallow(&key->src, &pinfo->src);
    copy_address_shallow(&key->dst, &pinfo->dst);
    key->src_port = pinfo->srcport;
    key->dst_port = pinfo->destport;
    key->xid = msg->xid;
    key->opcode = msg->opcode;
}

/* One fragmented message as the first pass saw it. Whether a gap never
 * fills is known only once the whole capture has been read: later passes
 * flag a message still incomplete here, on the frame of its latest piece. */
typedef struct piece_msg {
    uint32_t       id;          /* its reassembly id: one per message, so that the
                                 * reassembled table's (frame, id) never collides */
    fragment_head *head;        /* the joined message, once complete */
    uint64_t       seen;        /* frag_index bits of the pieces held */
    int            last_index;  /* frag_index of the last piece; -1 until it comes */
    uint16_t       flags;       /* of its pieces, but 'more' */
    uint32_t       latest_frame;    /* frame and message number of the latest piece */
    unsigned       latest_msg;
    bool           dropped;     /* past a limit, flagged there: no gap verdict */
} piece_msg_t;

/* What the first pass recorded about one piece. */
typedef struct piece_info {
    frag_verdict_t verdict;
    piece_msg_t   *msg;         /* NULL when the piece was not added */
    bool           completes;   /* this piece joined the message */
} piece_info_t;

/* Messages with pieces held, by piece_key_t (first pass only). */
static wmem_map_t *open_messages;

/* The message number of this call within the frame. */
static unsigned
next_message_index(packet_info *pinfo)
{
    unsigned *counter = (unsigned *)p_get_proto_data(pinfo->pool, pinfo, proto_xsan, KEY_MSG_COUNTER);
    if (!counter) {
        counter = wmem_new0(pinfo->pool, unsigned);
        p_add_proto_data(pinfo->pool, pinfo, proto_xsan, KEY_MSG_COUNTER, counter);
    }
    return (*counter)++;
}

static bool
has_magic(tvbuff_t *tvb, int offset)
{
    return tvb_captured_length_remaining(tvb, offset) >= 4 &&
           tvb_get_ntohl(tvb, offset) == XSAN_MAGIC;
}

/* The heuristic's test, cheapest checks first (spec: "Recognising a message"). */
static bool
looks_like_header(tvbuff_t *tvb, int offset)
{
    return tvb_captured_length_remaining(tvb, offset) >= XSAN_HDR_LEN &&
           tvb_get_ntohl(tvb, offset + XSAN_OFF_MAGIC) == XSAN_MAGIC &&
           xsan_tvb_get_u8(tvb, offset + XSAN_OFF_VERSION) == XSAN_VERSION_1 &&
           xsan_tvb_get_u8(tvb, offset + XSAN_OFF_HDR_LEN) >= XSAN_HDR_LEN &&
           tvb_get_ntohl(tvb, offset + XSAN_OFF_BODY_LEN) <= XSAN_MAX_BODY;
}

/* Whether anyone reads the Info column of this frame: building the text
 * is most of the cost of a lean pass. */
static bool
info_wanted(packet_info *pinfo)
{
    return pinfo->cinfo && col_get_writable(pinfo->cinfo, COL_INFO);
}

static void
info_append(packet_info *pinfo, unsigned msg_index, const char *text)
{
    if (msg_index == 0) {
        col_clear(pinfo->cinfo, COL_INFO);
        col_add_str(pinfo->cinfo, COL_INFO, text);
    } else {
        col_append_sep_str(pinfo->cinfo, COL_INFO, "; ", text);
    }
}

/* Payload on an Xsan port that is not a message of the model. */
static int
dissect_undecoded(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset, unsigned msg_index)
{
    int len = tvb_reported_length_remaining(tvb, offset);
    proto_item *ti = proto_tree_add_item(tree, proto_xsan, tvb, offset, len, ENC_NA);
    proto_tree *xtree = proto_item_add_subtree(ti, ett_xsan);
    proto_item *body = proto_tree_add_item(xtree, hf_body, tvb, offset, len, ENC_NA);
    expert_add_info(pinfo, body, &ei_not_a_message);
    proto_item_append_text(ti, " (undecoded, %d bytes)", len);
    if (info_wanted(pinfo))
        info_append(pinfo, msg_index, wmem_strdup_printf(pinfo->pool,
                    "Xsan metadata, not a v1 message (%d bytes)", len));
    return len;
}

/* Up to this many attributes name a message in the Info column. */
#define INFO_MAX_ATTRS 5

/* Attributes worth a place in the Info column, in the order shown. */
static const struct { uint16_t tag; const char *key; } info_attrs[] = {
    { XSAN_TAG_VOLUME,           "volume" },
    { XSAN_TAG_HOSTNAME,         "host" },
    { XSAN_TAG_PARENT_INODE,     "parent" },
    { XSAN_TAG_NAME,             "name" },
    { XSAN_TAG_NEW_PARENT_INODE, "new_parent" },
    { XSAN_TAG_NEW_NAME,         "new_name" },
    { XSAN_TAG_INODE,            "inode" },
    { XSAN_TAG_TOKEN_ID,         "token" },
    { XSAN_TAG_TOKEN_CLASS,      "class" },
    { XSAN_TAG_TOKEN_MODE,       "mode" },
    { XSAN_TAG_LOCK_TYPE,        "lock" },
    { XSAN_TAG_OFFSET,           "offset" },
    { XSAN_TAG_LENGTH,           "length" },
    { XSAN_TAG_HB_SEQ,           "seq" },
    { XSAN_TAG_EPOCH,            "epoch" },
    { XSAN_TAG_IPV4,             "addr" },
    { XSAN_TAG_IPV6,             "addr" },
    { XSAN_TAG_PORT,             "port" },
    { XSAN_TAG_FSM_STATE,        "state" },
    { XSAN_TAG_ADMIN_COMMAND,    "cmd" },
};

/* Groups counted in the Info column. */
static const struct { uint16_t tag; const char *key; } info_groups[] = {
    { XSAN_TAG_DIRENT,  "entries" },
    { XSAN_TAG_EXTENT,  "extents" },
    { XSAN_TAG_COUNTER, "counters" },
};

static const char *
message_kind(uint16_t flags)
{
    if (flags & XSAN_FLAG_RESPONSE)
        return "Response";
    if (flags & XSAN_FLAG_NOTIFY)
        return "Notify";
    return "Request";
}

/* "LOOKUP Request xid=0x12 parent=2 name="clip001.mov"" */
static const char *
message_info(packet_info *pinfo, const xsan_msg_t *msg, const char *note)
{
    wmem_strbuf_t *buf = wmem_strbuf_new(pinfo->pool, "");
    wmem_strbuf_append(buf, xsan_opcode_name(pinfo->pool, msg->opcode));
    wmem_strbuf_append_c(buf, ' ');
    wmem_strbuf_append(buf, message_kind(msg->flags));
    wmem_strbuf_append(buf, " xid=");
    xsan_strbuf_append_u64(buf, msg->xid, true);
    if (msg->flags & XSAN_FLAG_RETRY)
        wmem_strbuf_append(buf, " [retry]");
    if (msg->has_status) {
        wmem_strbuf_append_c(buf, ' ');
        wmem_strbuf_append(buf, val_to_str_const(msg->status, xsan_status_vals, "STATUS?"));
    }
    if (msg->body) {
        unsigned shown = 0;
        for (unsigned i = 0; i < array_length(info_attrs) && shown < INFO_MAX_ATTRS; i++) {
            xsan_value_t v;
            if (!xsan_scope_get(msg->body->top, info_attrs[i].tag, &v))
                continue;
            wmem_strbuf_append_c(buf, ' ');
            wmem_strbuf_append(buf, info_attrs[i].key);
            wmem_strbuf_append_c(buf, '=');
            xsan_attr_value_append(buf, pinfo->pool, info_attrs[i].tag, &v, true);
            shown++;
        }
        for (unsigned i = 0; i < array_length(info_groups); i++) {
            unsigned n = xsan_body_count_groups(msg->body, info_groups[i].tag);
            if (n) {
                wmem_strbuf_append_c(buf, ' ');
                wmem_strbuf_append(buf, info_groups[i].key);
                wmem_strbuf_append_c(buf, '=');
                xsan_strbuf_append_u64(buf, n, false);
            }
        }
        xsan_state_info_append(buf, pinfo, msg);
    }
    if (note)
        wmem_strbuf_append_printf(buf, " [%s]", note);
    return wmem_strbuf_get_str(buf);
}

/* The flag checks the spec asks for: reserved bits and contradictions. */
static void
check_flags(packet_info *pinfo, proto_item *flags_item, uint16_t flags)
{
    if (flags & XSAN_FLAG_RESERVED)
        expert_add_info_format(pinfo, flags_item, &ei_reserved_flags,
                "Reserved flag bits set: 0x%04x", flags & XSAN_FLAG_RESERVED);
    if ((flags & XSAN_FLAG_RESPONSE) && (flags & XSAN_FLAG_NOTIFY))
        expert_add_info(pinfo, flags_item, &ei_response_and_notify);
    if ((flags & XSAN_FLAG_ERROR) && !(flags & XSAN_FLAG_RESPONSE))
        expert_add_info(pinfo, flags_item, &ei_error_not_response);
}

/* Bytes and pieces a reassembly in progress already holds; whether it
 * already has the piece with this index. */
static bool
fragments_held(fragment_head *head, uint32_t frag_index, unsigned *pieces, uint32_t *bytes)
{
    bool repeated = false;
    *pieces = 0;
    *bytes = 0;
    for (fragment_item *fi = head ? head->next : NULL; fi; fi = fi->next) {
        (*pieces)++;
        *bytes += fi->len;
        if (fi->offset == frag_index)
            repeated = true;
    }
    return repeated;
}

/* The open message of this piece's key, created on its first piece. */
static piece_msg_t *
open_message(packet_info *pinfo, const xsan_msg_t *msg, bool create)
{
    static uint32_t last_id;
    piece_key_t key;
    piece_key_set(&key, pinfo, msg);
    piece_msg_t *pm = (piece_msg_t *)wmem_map_lookup(open_messages, &key);
    if (!pm && create) {
        piece_key_t *kept = wmem_new(wmem_file_scope(), piece_key_t);
        *kept = key;
        copy_address_wmem(wmem_file_scope(), &kept->src, &pinfo->src);
        copy_address_wmem(wmem_file_scope(), &kept->dst, &pinfo->dst);
        pm = wmem_new0(wmem_file_scope(), piece_msg_t);
        pm->id = ++last_id;
        pm->last_index = -1;
        pm->flags = msg->flags & ~XSAN_FLAG_MORE;
        wmem_map_insert(open_messages, kept, pm);
    }
    return pm;
}

/* The message no longer takes pieces; drop_held: forget what it holds. */
static void
close_message(packet_info *pinfo, const xsan_msg_t *msg, piece_msg_t *pm, bool drop_held)
{
    piece_key_t key;
    piece_key_set(&key, pinfo, msg);
    wmem_map_remove(open_messages, &key);
    if (drop_held) {
        tvbuff_t *done = fragment_delete(&xsan_reassembly_table, pinfo, pm->id, NULL);
        if (done)
            tvb_free(done);
    }
}

/* First pass: add a piece within the spec's limits (64 pieces, 1 MiB
 * joined), dropping a reassembly that breaks them so nothing is held for it. */
static piece_info_t *
add_fragment(tvbuff_t *tvb, int body_off, int body_len, packet_info *pinfo, const xsan_msg_t *msg)
{
    bool more = (msg->flags & XSAN_FLAG_MORE) != 0;
    piece_info_t *info = wmem_new0(wmem_file_scope(), piece_info_t);
    piece_msg_t *pm = open_message(pinfo, msg, false);

    info->verdict = FRAG_OK;
    /* Every piece of a message carries the same flags but 'more': a piece
     * whose flags differ (a copy sent again with 'retry') begins another
     * message, and the one held is left incomplete. */
    if (pm && pm->flags != (msg->flags & ~XSAN_FLAG_MORE)) {
        close_message(pinfo, msg, pm, true);
        pm = NULL;
    }

    fragment_head *held = pm ? fragment_get(&xsan_reassembly_table, pinfo, pm->id, NULL) : NULL;
    unsigned pieces;
    uint32_t bytes;
    bool repeated = fragments_held(held, msg->frag_index, &pieces, &bytes);
    if (msg->frag_index >= XSAN_MAX_FRAGMENTS || bytes + (uint32_t)body_len > XSAN_MAX_BODY) {
        if (pm) {
            pm->dropped = true;
            close_message(pinfo, msg, pm, true);
        }
        info->msg = pm;
        info->verdict = msg->frag_index >= XSAN_MAX_FRAGMENTS ? FRAG_TOO_MANY : FRAG_TOO_BIG;
        return info;
    }
    if (!pm)
        pm = open_message(pinfo, msg, true);
    info->msg = pm;
    pm->latest_frame = pinfo->num;
    pm->latest_msg = msg->msg_index;
    if (repeated) {
        info->verdict = FRAG_REPEATED;
        return info;
    }
    pm->seen |= UINT64_C(1) << msg->frag_index;
    if (!more)
        pm->last_index = msg->frag_index;
    fragment_head *head = fragment_add_seq_check(&xsan_reassembly_table, tvb, body_off, pinfo,
                                                 pm->id, NULL, msg->frag_index, body_len, more);
    if (head) {
        pm->head = head;
        info->completes = true;
        close_message(pinfo, msg, pm, false);
    }
    return info;
}

/* "pieces 1, 3 and the last": what a message that never completed lacks. */
static const char *
missing_pieces(wmem_allocator_t *pool, const piece_msg_t *pm)
{
    wmem_strbuf_t *buf = wmem_strbuf_new(pool, "");
    int top = pm->last_index;
    unsigned n = 0;
    if (top < 0)
        while (top + 1 < XSAN_MAX_FRAGMENTS && (pm->seen >> (top + 1)))
            top++;
    for (int i = 0; i < top; i++) {
        if (pm->seen & (UINT64_C(1) << i))
            continue;
        wmem_strbuf_append_printf(buf, "%s%d", n++ ? ", " : "piece ", i);
    }
    if (pm->last_index < 0)
        wmem_strbuf_append(buf, n ? " and the last piece" : "the last piece");
    return wmem_strbuf_get_str(buf);
}

static void
flag_fragment(packet_info *pinfo, proto_item *item, const piece_info_t *info, const xsan_msg_t *msg)
{
    switch (info->verdict) {
    case FRAG_TOO_MANY:
        expert_add_info_format(pinfo, item, &ei_frag_too_many,
                "Fragment index %u is past the limit of %d pieces; the reassembly is dropped",
                msg->frag_index, XSAN_MAX_FRAGMENTS);
        break;
    case FRAG_TOO_BIG:
        expert_add_info_format(pinfo, item, &ei_frag_too_big,
                "Joined body would exceed %u bytes; the reassembly is dropped", XSAN_MAX_BODY);
        break;
    case FRAG_REPEATED:
        expert_add_info_format(pinfo, item, &ei_frag_repeated,
                "Fragment index %u was already received for %s xid 0x%x", msg->frag_index,
                xsan_opcode_name(pinfo->pool, msg->opcode), msg->xid);
        break;
    case FRAG_OK:
        break;
    }
    /* A gap is a gap only once nothing can fill it: from the second pass on,
     * on the latest piece of a message the capture never completed. */
    const piece_msg_t *pm = info->msg;
    if (PINFO_FD_VISITED(pinfo) && pm && !pm->head && !pm->dropped &&
        pm->latest_frame == pinfo->num && pm->latest_msg == msg->msg_index)
        expert_add_info_format(pinfo, item, &ei_frag_gap,
                "%s xid 0x%x never completed in this capture: %s never came",
                xsan_opcode_name(pinfo->pool, msg->opcode), msg->xid, missing_pieces(pinfo->pool, pm));
}

/* A piece of a fragmented message. Returns the joined body in the frame
 * of the piece that completes it, or NULL. */
static tvbuff_t *
reassemble_piece(tvbuff_t *tvb, int body_off, int body_len, packet_info *pinfo, proto_tree *xtree,
                 proto_item *frag_item, const xsan_msg_t *msg)
{
    uint32_t key = msg->msg_index;
    piece_info_t *info;

    if (!PINFO_FD_VISITED(pinfo)) {
        info = add_fragment(tvb, body_off, body_len, pinfo, msg);
        p_add_proto_data(wmem_file_scope(), pinfo, proto_xsan, key, info);
    } else {
        info = (piece_info_t *)p_get_proto_data(wmem_file_scope(), pinfo, proto_xsan, key);
        if (!info)
            return NULL;
    }
    flag_fragment(pinfo, frag_item, info, msg);
    fragment_head *head = info->msg ? info->msg->head : NULL;
    if (!head)
        return NULL;
    if (!info->completes) {
        /* An earlier piece, maybe in the very frame that completes it. */
        proto_item *in = proto_tree_add_uint(xtree, hf_reassembled_in, tvb, 0, 0, head->reassembled_in);
        proto_item_set_generated(in);
        return NULL;
    }
    return process_reassembled_data(tvb, body_off, pinfo, "Reassembled Xsan body", head,
                                    &xsan_frag_items, NULL, xtree);
}

/* Decode a body; a thrown exception (a capture cut short) is shown and
 * keeps what decoded before it. */
static const xsan_body_t *
decode_body(tvbuff_t *body_tvb, packet_info *pinfo, proto_tree *xtree)
{
    const xsan_body_t * volatile body = NULL;
    TRY {
        body = xsan_attrs_dissect(body_tvb, pinfo, xtree, 0, tvb_reported_length(body_tvb));
    }
    CATCH_NONFATAL_ERRORS {
        show_exception(body_tvb, pinfo, xtree, EXCEPT_CODE, GET_MESSAGE);
        expert_add_info(pinfo, proto_tree_get_parent(xtree), &ei_decode_exception);
    }
    CATCH(DissectorError) {
        /* e.g. the tree item limit: keep the analysis, the Info column and
         * the next message of the segment going */
        show_exception(body_tvb, pinfo, xtree, EXCEPT_CODE, GET_MESSAGE);
        expert_add_info(pinfo, proto_tree_get_parent(xtree), &ei_decode_exception);
    }
    ENDTRY;
    return body;
}

/* The checks a response's STATUS is subject to. */
static void
check_status(packet_info *pinfo, proto_item *ti, xsan_msg_t *msg)
{
    xsan_value_t v;
    if (!XSAN_IS_RESPONSE(msg) || !msg->body)
        return;
    if (!msg->body->starts_with_status) {
        expert_add_info(pinfo, ti, &ei_no_status);
        return;
    }
    if (!xsan_scope_get(msg->body->top, XSAN_TAG_STATUS, &v)) {
        /* a STATUS of the wrong length starts the body but holds no value */
        expert_add_info(pinfo, ti, &ei_no_status);
        return;
    }
    msg->has_status = true;
    msg->status = (uint32_t)v.u;
    if ((msg->status != XSAN_STATUS_OK) != ((msg->flags & XSAN_FLAG_ERROR) != 0))
        expert_add_info_format(pinfo, ti, &ei_error_flag_mismatch,
                "Error flag is %s but STATUS is %s", (msg->flags & XSAN_FLAG_ERROR) ? "set" : "clear",
                val_to_str_const(msg->status, xsan_status_vals, "unknown"));
    if (msg->status != XSAN_STATUS_OK)
        expert_add_info_format(pinfo, ti, &ei_error_status, "%s %s: %s",
                xsan_opcode_name(pinfo->pool, msg->opcode), "failed",
                val_to_str_const(msg->status, xsan_status_vals, "unknown status"));
}

/* One message at the start of tvb; tvb holds what is available of it (the
 * TCP PDU, or the rest of a UDP datagram). Returns the bytes it took. */
static int
dissect_message(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, bool over_tcp)
{
    int avail = tvb_reported_length(tvb);
    xsan_msg_t msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_index = next_message_index(pinfo);
    msg.over_tcp = over_tcp;
    msg.tvb = tvb;

    col_set_str(pinfo->cinfo, COL_PROTOCOL, "Xsan");
    if (avail < XSAN_HDR_LEN || !has_magic(tvb, 0))
        return dissect_undecoded(tvb, pinfo, tree, 0, msg.msg_index);

    msg.version = xsan_tvb_get_u8(tvb, XSAN_OFF_VERSION);
    msg.hdr_len = xsan_tvb_get_u8(tvb, XSAN_OFF_HDR_LEN);
    msg.flags = tvb_get_ntohs(tvb, XSAN_OFF_FLAGS);
    msg.opcode = tvb_get_ntohs(tvb, XSAN_OFF_OPCODE);
    msg.frag_index = tvb_get_ntohs(tvb, XSAN_OFF_FRAG_INDEX);
    msg.xid = tvb_get_ntohl(tvb, XSAN_OFF_XID);
    msg.session = tvb_get_ntohl(tvb, XSAN_OFF_SESSION);
    msg.body_len = tvb_get_ntohl(tvb, XSAN_OFF_BODY_LEN);

    bool framing_ok = msg.hdr_len >= XSAN_HDR_LEN && msg.body_len <= XSAN_MAX_BODY;
    int msg_len = framing_ok ? msg.hdr_len + (int)msg.body_len : avail;
    int have = MIN(msg_len, avail);

    proto_item *ti = NULL, *ver_item = NULL, *hl_item = NULL, *flags_item = NULL;
    proto_item *op_item = NULL, *frag_item = NULL, *bl_item = NULL;
    proto_tree *xtree = NULL;
    if (tree) {
        ti = proto_tree_add_item(tree, proto_xsan, tvb, 0, have, ENC_NA);
        xtree = proto_item_add_subtree(ti, ett_xsan);
        proto_tree_add_item(xtree, hf_magic, tvb, XSAN_OFF_MAGIC, 4, ENC_ASCII);
        ver_item = proto_tree_add_item(xtree, hf_version, tvb, XSAN_OFF_VERSION, 1, ENC_BIG_ENDIAN);
        hl_item = proto_tree_add_item(xtree, hf_hdr_len, tvb, XSAN_OFF_HDR_LEN, 1, ENC_BIG_ENDIAN);
        flags_item = proto_tree_add_bitmask(xtree, tvb, XSAN_OFF_FLAGS, hf_flags, ett_flags,
                                            flag_bits, ENC_BIG_ENDIAN);
        op_item = proto_tree_add_item(xtree, hf_opcode, tvb, XSAN_OFF_OPCODE, 2, ENC_BIG_ENDIAN);
        proto_item *fam_item = proto_tree_add_uint(xtree, hf_family, tvb, XSAN_OFF_OPCODE, 1,
                                                   XSAN_OP_FAMILY(msg.opcode));
        proto_item_set_generated(fam_item);
        frag_item = proto_tree_add_item(xtree, hf_frag_index, tvb, XSAN_OFF_FRAG_INDEX, 2, ENC_BIG_ENDIAN);
        proto_tree_add_item(xtree, hf_xid, tvb, XSAN_OFF_XID, 4, ENC_BIG_ENDIAN);
        proto_tree_add_item(xtree, hf_session, tvb, XSAN_OFF_SESSION, 4, ENC_BIG_ENDIAN);
        bl_item = proto_tree_add_item(xtree, hf_body_len, tvb, XSAN_OFF_BODY_LEN, 4, ENC_BIG_ENDIAN);
        proto_item_append_text(ti, ", %s %s, xid 0x%x", xsan_opcode_name(pinfo->pool, msg.opcode),
                               message_kind(msg.flags), msg.xid);
    } else {
        /* Kept on purpose, measured: with no tree (tshark's summary, a first
         * pass) these calls only cost; dropping this test made the dissector
         * run 8% more instructions there (callgrind, bench/run's capture). The
         * same bounds check as the message's item, so both paths stop at the
         * same byte of a short capture. */
        tvb_ensure_bytes_exist(tvb, 0, have);
    }
    msg.item = ti;
    msg.tree = xtree;

    check_flags(pinfo, flags_item, msg.flags);
    if (!try_val_to_str(msg.opcode, xsan_opcode_vals))
        expert_add_info_format(pinfo, op_item, &ei_unknown_opcode, "Unknown opcode 0x%04x", msg.opcode);

    /* Broken framing: flag it here and never trust the rest. */
    if (!framing_ok) {
        if (msg.hdr_len < XSAN_HDR_LEN)
            expert_add_info_format(pinfo, hl_item, &ei_hdr_len_short,
                    "Header length %u is shorter than the %d-byte header", msg.hdr_len, XSAN_HDR_LEN);
        else
            expert_add_info_format(pinfo, bl_item, &ei_body_too_long,
                    "Body length %u exceeds the %u-byte limit", msg.body_len, XSAN_MAX_BODY);
        if (avail > XSAN_HDR_LEN)
            proto_tree_add_item(xtree, hf_body, tvb, XSAN_HDR_LEN, avail - XSAN_HDR_LEN, ENC_NA);
        if (info_wanted(pinfo))
            info_append(pinfo, msg.msg_index, message_info(pinfo, &msg, "malformed header"));
        return avail;
    }
    if (msg.hdr_len > XSAN_HDR_LEN)
        proto_tree_add_item(xtree, hf_hdr_extra, tvb, XSAN_HDR_LEN,
                            MIN((int)msg.hdr_len, avail) - XSAN_HDR_LEN, ENC_NA);
    if (msg_len > avail)
        expert_add_info_format(pinfo, ti, &ei_truncated,
                "Message of %d bytes, only %d present", msg_len, avail);

    int body_off = msg.hdr_len;
    int body_have = MAX(0, have - body_off);
    if (msg.version != XSAN_VERSION_1) {
        expert_add_info_format(pinfo, ver_item, &ei_bad_version,
                "Version %u is not decoded; the body is shown as bytes", msg.version);
        if (body_have)
            proto_tree_add_item(xtree, hf_body, tvb, body_off, body_have, ENC_NA);
        if (info_wanted(pinfo))
            info_append(pinfo, msg.msg_index, message_info(pinfo, &msg, "unknown version"));
        return have;
    }

    const char *note = NULL;
    tvbuff_t *body_tvb = NULL;
    bool piece = (msg.flags & XSAN_FLAG_MORE) || msg.frag_index > 0;
    if (piece && pref_reassemble && msg_len <= avail) {
        body_tvb = reassemble_piece(tvb, body_off, body_have, pinfo, xtree, frag_item, &msg);
        if (body_tvb) {
            note = wmem_strdup_printf(pinfo->pool, "reassembled, %u bytes", tvb_reported_length(body_tvb));
        } else {
            if (body_have)
                proto_tree_add_item(xtree, hf_fragment_body, tvb, body_off, body_have, ENC_NA);
            note = wmem_strdup_printf(pinfo->pool, "fragment %u%s", msg.frag_index,
                                      (msg.flags & XSAN_FLAG_MORE) ? ", more follow" : "");
        }
    } else if (piece) {
        if (body_have)
            proto_tree_add_item(xtree, hf_fragment_body, tvb, body_off, body_have, ENC_NA);
        note = wmem_strdup_printf(pinfo->pool, "fragment %u", msg.frag_index);
    } else {
        body_tvb = tvb_new_subset_length(tvb, body_off, body_have);
    }

    if (body_tvb) {
        msg.body = decode_body(body_tvb, pinfo, xtree);
        check_status(pinfo, ti, &msg);
        xsan_state_message(pinfo, &msg);
    }
    if (info_wanted(pinfo))
        info_append(pinfo, msg.msg_index, message_info(pinfo, &msg, note));
    return have;
}

/* Whether the stream at offset could be the start of a message, judging by
 * the magic bytes that are there. */
static bool
could_start_message(tvbuff_t *tvb, int offset)
{
    static const uint8_t magic[4] = { 'X', 'S', 'A', 'N' };
    int n = MIN(4, tvb_captured_length_remaining(tvb, offset));
    return n > 0 && tvb_memeql(tvb, offset, magic, n) == 0;
}

static unsigned
get_xsan_pdu_len(packet_info *pinfo, tvbuff_t *tvb, int offset, void *data _U_)
{
    int remaining = tvb_captured_length_remaining(tvb, offset);

    /* Bytes that do not start with the magic: one undecoded piece up to
     * where a message could start, shown now and never held. */
    if (!could_start_message(tvb, offset)) {
        int end = offset + 1;
        while (end < offset + remaining && !could_start_message(tvb, end))
            end++;
        return end - offset;
    }
    /* The start of a header at the end of a segment: wait for the rest. */
    if (remaining < XSAN_HDR_LEN)
        return pref_desegment && pinfo->can_desegment ? 0 : (unsigned)remaining;

    uint8_t hdr_len = xsan_tvb_get_u8(tvb, offset + XSAN_OFF_HDR_LEN);
    uint32_t body_len = tvb_get_ntohl(tvb, offset + XSAN_OFF_BODY_LEN);

    /* Framing we must not trust: never wait for more data, take the rest
     * of the segment as one piece. */
    if (tvb_get_ntohl(tvb, offset) != XSAN_MAGIC || hdr_len < XSAN_HDR_LEN || body_len > XSAN_MAX_BODY)
        return remaining;
    return hdr_len + body_len;
}

static int
dissect_xsan_pdu(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    dissect_message(tvb, pinfo, tree, true);
    return tvb_captured_length(tvb);
}

static int
dissect_xsan_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    col_set_str(pinfo->cinfo, COL_PROTOCOL, "Xsan");
    /* A fixed length of 1: get_xsan_pdu_len() decides what to wait for. */
    tcp_dissect_pdus(tvb, pinfo, tree, pref_desegment, 1, get_xsan_pdu_len,
                     dissect_xsan_pdu, data);
    return tvb_captured_length(tvb);
}

static int
dissect_xsan_udp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    int len = tvb_reported_length(tvb);
    int offset = 0;

    /* Every message in the datagram; each pass takes at least one byte. */
    while (offset < len) {
        tvbuff_t *rest = tvb_new_subset_remaining(tvb, offset);
        int took = dissect_message(rest, pinfo, tree, false);
        if (took <= 0)
            break;
        offset += took;
    }
    return tvb_captured_length(tvb);
}

static xsan_bool
dissect_xsan_heur_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    if (!looks_like_header(tvb, 0))
        return false;
    /* The rest of this connection is Xsan too, whatever each segment holds. */
    conversation_t *conv = find_or_create_conversation(pinfo);
    conversation_set_dissector(conv, xsan_tcp_handle);
    dissect_xsan_tcp(tvb, pinfo, tree, data);
    return true;
}

static xsan_bool
dissect_xsan_heur_udp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    /* On UDP the whole first message must be in the datagram. */
    if (!looks_like_header(tvb, 0))
        return false;
    uint64_t msg_len = (uint64_t)xsan_tvb_get_u8(tvb, XSAN_OFF_HDR_LEN) +
                      tvb_get_ntohl(tvb, XSAN_OFF_BODY_LEN);
    if (msg_len > tvb_reported_length(tvb))
        return false;
    dissect_xsan_udp(tvb, pinfo, tree, data);
    return true;
}

void
proto_register_xsan(void)
{
    static hf_register_info hf[] = {
        { &hf_magic, { "Magic", "xsan.magic", FT_STRING, BASE_NONE, NULL, 0x0,
            "\"XSAN\" starts every message", HFILL } },
        { &hf_version, { "Version", "xsan.version", FT_UINT8, BASE_DEC, NULL, 0x0,
            "Version of the wire model; 1", HFILL } },
        { &hf_hdr_len, { "Header length", "xsan.hdr_len", FT_UINT8, BASE_DEC, NULL, 0x0,
            "Header length in bytes; 24 in version 1", HFILL } },
        { &hf_flags, { "Flags", "xsan.flags", FT_UINT16, BASE_HEX, NULL, 0x0,
            "Message flags: response, error, more, notify, retry", HFILL } },
        { &hf_flag_response, { "Response", "xsan.flags.response", FT_BOOLEAN, 16, NULL,
            XSAN_FLAG_RESPONSE, "This is a response", HFILL } },
        { &hf_flag_error, { "Error", "xsan.flags.error", FT_BOOLEAN, 16, NULL,
            XSAN_FLAG_ERROR, "Response whose STATUS is not OK", HFILL } },
        { &hf_flag_more, { "More", "xsan.flags.more", FT_BOOLEAN, 16, NULL,
            XSAN_FLAG_MORE, "Another piece of this fragmented message follows", HFILL } },
        { &hf_flag_notify, { "Notify", "xsan.flags.notify", FT_BOOLEAN, 16, NULL,
            XSAN_FLAG_NOTIFY, "One-way message; no response expected", HFILL } },
        { &hf_flag_retry, { "Retry", "xsan.flags.retry", FT_BOOLEAN, 16, NULL,
            XSAN_FLAG_RETRY, "The sender re-sends a request it had no answer to", HFILL } },
        { &hf_flag_reserved, { "Reserved", "xsan.flags.reserved", FT_UINT16, BASE_HEX, NULL,
            XSAN_FLAG_RESERVED, "Must be zero", HFILL } },
        { &hf_opcode, { "Opcode", "xsan.opcode", FT_UINT16, BASE_HEX, VALS(xsan_opcode_vals), 0x0,
            "Operation; the high byte is the family", HFILL } },
        { &hf_family, { "Family", "xsan.family", FT_UINT8, BASE_HEX, VALS(xsan_family_vals), 0x0,
            "Operation family (high byte of the opcode)", HFILL } },
        { &hf_frag_index, { "Fragment index", "xsan.frag_index", FT_UINT16, BASE_DEC, NULL, 0x0,
            "Index of this piece of a fragmented message", HFILL } },
        { &hf_xid, { "XID", "xsan.xid", FT_UINT32, BASE_HEX, NULL, 0x0,
            "Transaction id, echoed in the response", HFILL } },
        { &hf_session, { "Session", "xsan.session", FT_UINT32, BASE_HEX, NULL, 0x0,
            "Session id the FSM assigned at MOUNT; 0 before mount and on UDP", HFILL } },
        { &hf_body_len, { "Body length", "xsan.body_len", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Bytes of body after the header", HFILL } },
        { &hf_hdr_extra, { "Extra header bytes", "xsan.hdr_extra", FT_BYTES, BASE_NONE, NULL, 0x0,
            "Header bytes past the 24 of version 1, skipped", HFILL } },
        { &hf_body, { "Undecoded body", "xsan.body", FT_BYTES, BASE_NONE, NULL, 0x0,
            "A body that is not decoded, or payload that is not a message", HFILL } },
        { &hf_fragment_body, { "Fragment body", "xsan.fragment_body", FT_BYTES, BASE_NONE, NULL, 0x0,
            "This piece's share of a fragmented message's body", HFILL } },

        { &hf_fragments, { "Message fragments", "xsan.fragments", FT_NONE, BASE_NONE, NULL, 0x0,
            "The pieces a fragmented message was joined from", HFILL } },
        { &hf_fragment, { "Message fragment", "xsan.fragment", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "Frame carrying one piece of a fragmented message", HFILL } },
        { &hf_fragment_overlap, { "Message fragment overlap", "xsan.fragment.overlap",
            FT_BOOLEAN, BASE_NONE, NULL, 0x0, "A piece overlaps another", HFILL } },
        { &hf_fragment_overlap_conflicts, { "Message fragment overlapping with conflicting data",
            "xsan.fragment.overlap.conflicts", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "Overlapping pieces disagree", HFILL } },
        { &hf_fragment_multiple_tails, { "Message has multiple tail fragments",
            "xsan.fragment.multiple_tails", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "More than one piece claims to be the last", HFILL } },
        { &hf_fragment_too_long_fragment, { "Message fragment too long",
            "xsan.fragment.too_long_fragment", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "A piece runs past the joined length", HFILL } },
        { &hf_fragment_error, { "Message defragmentation error", "xsan.fragment.error",
            FT_FRAMENUM, BASE_NONE, NULL, 0x0, "Frame where reassembly failed", HFILL } },
        { &hf_fragment_count, { "Message fragment count", "xsan.fragment.count",
            FT_UINT32, BASE_DEC, NULL, 0x0, "Number of pieces", HFILL } },
        { &hf_reassembled_in, { "Reassembled in", "xsan.reassembled_in",
            FT_FRAMENUM, BASE_NONE, NULL, 0x0, "Frame where the whole message is decoded", HFILL } },
        { &hf_reassembled_length, { "Reassembled body length", "xsan.reassembled.length",
            FT_UINT32, BASE_DEC, NULL, 0x0, "Length of the joined body", HFILL } },
        { &hf_reassembled_data, { "Reassembled body", "xsan.reassembled.data",
            FT_BYTES, BASE_NONE, NULL, 0x0, "The joined body", HFILL } },
    };
    static int *ett[] = { &ett_xsan, &ett_flags, &ett_fragment, &ett_fragments };
    static ei_register_info ei[] = {
        { &ei_not_a_message, { "xsan.expert.not_a_message", PI_UNDECODED, PI_NOTE,
            "Payload on an Xsan port that is not a v1 message; shown undecoded", EXPFILL } },
        { &ei_bad_version, { "xsan.expert.bad_version", PI_UNDECODED, PI_NOTE,
            "Unknown version; body not decoded", EXPFILL } },
        { &ei_hdr_len_short, { "xsan.expert.hdr_len_short", PI_MALFORMED, PI_ERROR,
            "Header length under 24", EXPFILL } },
        { &ei_body_too_long, { "xsan.expert.body_too_long", PI_MALFORMED, PI_ERROR,
            "Body length over 1 MiB", EXPFILL } },
        { &ei_truncated, { "xsan.expert.truncated", PI_MALFORMED, PI_ERROR,
            "Message runs past the end of the data", EXPFILL } },
        { &ei_reserved_flags, { "xsan.expert.reserved_flags", PI_PROTOCOL, PI_WARN,
            "Reserved flag bits set", EXPFILL } },
        { &ei_response_and_notify, { "xsan.expert.response_and_notify", PI_PROTOCOL, PI_WARN,
            "A response cannot also be a notify", EXPFILL } },
        { &ei_error_not_response, { "xsan.expert.error_not_response", PI_PROTOCOL, PI_WARN,
            "The error flag is set on a message that is not a response", EXPFILL } },
        { &ei_unknown_opcode, { "xsan.expert.unknown_opcode", PI_UNDECODED, PI_NOTE,
            "Unknown opcode", EXPFILL } },
        { &ei_no_status, { "xsan.expert.no_status", PI_PROTOCOL, PI_WARN,
            "Response does not start with STATUS", EXPFILL } },
        { &ei_error_flag_mismatch, { "xsan.expert.error_flag_mismatch", PI_PROTOCOL, PI_WARN,
            "Error flag and STATUS disagree", EXPFILL } },
        { &ei_error_status, { "xsan.expert.error_status", PI_RESPONSE_CODE, PI_NOTE,
            "Error response", EXPFILL } },
        { &ei_frag_too_many, { "xsan.expert.frag_too_many", PI_REASSEMBLE, PI_ERROR,
            "Fragment index past the 64-piece limit", EXPFILL } },
        { &ei_frag_too_big, { "xsan.expert.frag_too_big", PI_REASSEMBLE, PI_ERROR,
            "Joined body over 1 MiB", EXPFILL } },
        { &ei_frag_repeated, { "xsan.expert.frag_repeated", PI_REASSEMBLE, PI_WARN,
            "Repeated fragment index", EXPFILL } },
        { &ei_frag_gap, { "xsan.expert.frag_gap", PI_REASSEMBLE, PI_WARN,
            "Fragmented message with missing pieces", EXPFILL } },
        { &ei_decode_exception, { "xsan.expert.decode_exception", PI_MALFORMED, PI_ERROR,
            "Decoding stopped early; the fields before it are kept", EXPFILL } },
    };

    proto_xsan = proto_register_protocol("Xsan metadata", "Xsan", "xsan");
    proto_register_field_array(proto_xsan, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(expert_register_protocol(proto_xsan), ei, array_length(ei));
    xsan_attrs_register(proto_xsan);

    module_t *module = prefs_register_protocol(proto_xsan, NULL);
    prefs_register_bool_preference(module, "desegment",
            "Reassemble Xsan messages spanning multiple TCP segments",
            "Whether the Xsan dissector should reassemble messages spanning multiple TCP segments."
            " To use this option, you must also enable \"Allow subdissectors to reassemble TCP"
            " streams\" in the TCP protocol settings.",
            &pref_desegment);
    prefs_register_bool_preference(module, "reassemble",
            "Reassemble fragmented Xsan messages",
            "Whether pieces of a fragmented message (the 'more' flag) are joined and the whole"
            " message decoded in the frame of its last piece.",
            &pref_reassemble);

    xsan_state_register(proto_xsan, module);
    xsan_stats_register(proto_xsan);

    reassembly_table_register(&xsan_reassembly_table, &addresses_ports_reassembly_table_functions);
    open_messages = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), piece_key_hash,
                                           piece_key_equal);

    xsan_tcp_handle = register_dissector("xsan.tcp", dissect_xsan_tcp, proto_xsan);
    xsan_udp_handle = register_dissector("xsan.udp", dissect_xsan_udp, proto_xsan);
}

void
proto_reg_handoff_xsan(void)
{
    dissector_add_uint_range_with_preference("tcp.port", XSAN_DEFAULT_PORTS, xsan_tcp_handle);
    dissector_add_uint_range_with_preference("udp.port", XSAN_DEFAULT_PORTS, xsan_udp_handle);
    heur_dissector_add("tcp", dissect_xsan_heur_tcp, "Xsan over TCP", "xsan_tcp", proto_xsan,
                       HEURISTIC_ENABLE);
    heur_dissector_add("udp", dissect_xsan_heur_udp, "Xsan over UDP", "xsan_udp", proto_xsan,
                       HEURISTIC_ENABLE);
}
