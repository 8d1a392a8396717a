/* xsan-attrs.h
 * The attribute table of the Xsan v1 model and the walker that decodes a
 * message body (a sequence of TLV attributes, groups nested up to 4 deep).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XSAN_ATTRS_H
#define XSAN_ATTRS_H

#include "xsan-wire.h"

/* A value the walker decoded: integers, booleans and times (ns) in u,
 * strings (made valid UTF-8) in s, addresses and UUIDs as bytes in b. */
typedef struct xsan_value {
    uint64_t     u;
    const char  *s;
    const uint8_t *b;
    int          offset;    /* of the value in the body's tvb */
    int          len;
} xsan_value_t;

/* The first value of each known tag seen directly in one body or group. */
typedef struct xsan_scope xsan_scope_t;

/* A group seen directly in the body (DIRENT, EXTENT, COUNTER) and its scope. */
typedef struct xsan_group {
    uint16_t            tag;
    const xsan_scope_t *scope;
} xsan_group_t;

/* What the walker learnt about one body. */
typedef struct xsan_body {
    xsan_scope_t *top;          /* attributes directly in the body */
    wmem_array_t *groups;       /* of xsan_group_t, in wire order */
    unsigned      n_attrs;      /* every attribute, nested ones too */
    bool          starts_with_status;
    bool          malformed;    /* the walk stopped early */
} xsan_body_t;

void xsan_attrs_register(int proto);

/* Decode len bytes of attributes at offset into tree; never throws past the
 * body, keeps what decoded before a malformation, and returns the summary
 * (allocated in pinfo->pool). */
xsan_body_t *xsan_attrs_dissect(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                                int offset, int len);

bool xsan_scope_get(const xsan_scope_t *scope, uint16_t tag, xsan_value_t *out);
const char *xsan_scope_str(const xsan_scope_t *scope, uint16_t tag);

/* "123" or, hex, "0x7b": a number as the Info column shows it. */
void xsan_strbuf_append_u64(wmem_strbuf_t *buf, uint64_t v, bool hex);
/* Number of groups with this tag directly in the body. */
unsigned xsan_body_count_groups(const xsan_body_t *body, uint16_t tag);

/* A value as text, appended to buf (pool: scratch memory); compact gives
 * enumerations by name only (Info column). */
void xsan_attr_value_append(wmem_strbuf_t *buf, wmem_allocator_t *pool, uint16_t tag,
                            const xsan_value_t *v, bool compact);

#endif /* XSAN_ATTRS_H */
