/* xsan-attrs.c
 * One table row per attribute tag, and the walker that decodes a body or a
 * group with it. Registration builds the header fields from the same rows,
 * so adding a tag is one row here (and one line in the spec).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "xsan-attrs.h"

#include <epan/expert.h>
#include <epan/to_str.h>
#include <epan/strutil.h>
#include <epan/unit_strings.h>

typedef enum {
    XSAN_T_U8, XSAN_T_U16, XSAN_T_U32, XSAN_T_U64, XSAN_T_BOOL, XSAN_T_STRING,
    XSAN_T_BYTES16, XSAN_T_IPV4, XSAN_T_IPV6, XSAN_T_TIME, XSAN_T_GROUP
} xsan_type_t;

typedef struct xsan_attr_def {
    uint16_t     tag;
    xsan_type_t  type;
    const char  *name;      /* the spec's name, used in labels */
    const char  *label;     /* field name shown in the tree */
    const char  *abbrev;    /* display filter field */
    int          display;   /* BASE_* for integers */
    const void  *strings;   /* VALS() for enumerations */
    int * const *bits;      /* bit fields of a mask */
    const unit_name_string *units;  /* unit of an integer (BASE_UNIT_STRING) */
    const char  *blurb;     /* field description */
    int          hf;
    int          ett;       /* groups and masks */
} xsan_attr_def_t;

/* Bits of the three masks. */
static int hf_cap_dlc;
static int hf_cap_tokens_v2;
static int hf_cap_large_dirs;
static int hf_cap_ipv6;
static int hf_mount_read_only;
static int hf_mount_dlc_client;
static int hf_mount_force;
static int hf_mask_mode;
static int hf_mask_uid;
static int hf_mask_gid;
static int hf_mask_size;
static int hf_mask_mtime;
static int hf_mask_atime;

static int * const capabilities_bits[] = {
    &hf_cap_dlc, &hf_cap_tokens_v2, &hf_cap_large_dirs, &hf_cap_ipv6, NULL };
static int * const mount_flags_bits[] = {
    &hf_mount_read_only, &hf_mount_dlc_client, &hf_mount_force, NULL };
static int * const attr_mask_bits[] = {
    &hf_mask_mode, &hf_mask_uid, &hf_mask_gid, &hf_mask_size, &hf_mask_mtime, &hf_mask_atime, NULL };

#define U(type, tag, name, label, abbrev, display, strings, bits, units, blurb) \
    { tag, type, name, label, abbrev, display, strings, bits, units, blurb, 0, XSAN_ETT_INIT }
#define N(type, tag, name, label, abbrev, blurb) \
    U(type, tag, name, label, abbrev, BASE_NONE, NULL, NULL, NULL, blurb)
#define D(type, tag, name, label, abbrev, blurb) \
    U(type, tag, name, label, abbrev, BASE_DEC, NULL, NULL, NULL, blurb)
#define S(type, tag, name, label, abbrev, units, blurb) \
    U(type, tag, name, label, abbrev, BASE_DEC, NULL, NULL, units, blurb)
#define E(type, tag, name, label, abbrev, vals, blurb) \
    U(type, tag, name, label, abbrev, BASE_DEC, VALS(vals), NULL, NULL, blurb)
#define M(tag, name, label, abbrev, bits, blurb) \
    U(XSAN_T_U32, tag, name, label, abbrev, BASE_HEX, NULL, bits, NULL, blurb)

/* Sorted by tag without the group bit: lookups are a binary search. */
static xsan_attr_def_t attr_table[] = {
    E(XSAN_T_U32, XSAN_TAG_STATUS, "STATUS", "Status", "xsan.status", xsan_status_vals,
      "Result of a request; first attribute of every response"),
    N(XSAN_T_STRING, XSAN_TAG_ERROR_TEXT, "ERROR_TEXT", "Error text", "xsan.error_text",
      "Human-readable reason in error responses and GOODBYE"),
    N(XSAN_T_BYTES16, XSAN_TAG_CLIENT_ID, "CLIENT_ID", "Client ID", "xsan.client_id",
      "UUID of the client (HELLO)"),
    N(XSAN_T_STRING, XSAN_TAG_HOSTNAME, "HOSTNAME", "Hostname", "xsan.hostname",
      "Host name of the sender (HELLO, HEARTBEAT)"),
    N(XSAN_T_STRING, XSAN_TAG_CLIENT_VERSION, "CLIENT_VERSION", "Client version", "xsan.client_version",
      "Software version of the client (HELLO)"),
    M(XSAN_TAG_CAPABILITIES, "CAPABILITIES", "Capabilities", "xsan.capabilities", capabilities_bits,
      "Features the sender supports (HELLO)"),
    N(XSAN_T_STRING, XSAN_TAG_VOLUME, "VOLUME", "Volume", "xsan.volume",
      "Volume (file system) name"),
    N(XSAN_T_BYTES16, XSAN_TAG_VOLUME_UUID, "VOLUME_UUID", "Volume UUID", "xsan.volume_uuid",
      "UUID of the mounted volume (MOUNT response)"),
    M(XSAN_TAG_MOUNT_FLAGS, "MOUNT_FLAGS", "Mount flags", "xsan.mount_flags", mount_flags_bits,
      "How the client mounts the volume (MOUNT)"),
    D(XSAN_T_U32, XSAN_TAG_BLOCK_SIZE, "BLOCK_SIZE", "Block size", "xsan.block_size",
      "File system block size in bytes (MOUNT response)"),
    D(XSAN_T_U16, XSAN_TAG_STRIPE_GROUPS, "STRIPE_GROUPS", "Stripe groups", "xsan.stripe_groups",
      "Number of stripe groups of the volume (MOUNT response)"),
    D(XSAN_T_U64, XSAN_TAG_ROOT_INODE, "ROOT_INODE", "Root inode", "xsan.root_inode",
      "Inode of the volume's root directory (MOUNT response)"),
    S(XSAN_T_U32, XSAN_TAG_LEASE_SECS, "LEASE_SECS", "Lease", "xsan.lease_secs", &units_seconds,
      "Keepalive interval and token lease in seconds (HELLO response)"),
    D(XSAN_T_U64, XSAN_TAG_INODE, "INODE", "Inode", "xsan.inode",
      "Inode number the operation is about"),
    D(XSAN_T_U64, XSAN_TAG_PARENT_INODE, "PARENT_INODE", "Parent inode", "xsan.parent_inode",
      "Inode of the directory holding the name"),
    N(XSAN_T_STRING, XSAN_TAG_NAME, "NAME", "Name", "xsan.name",
      "File name, or a counter's name inside COUNTER"),
    D(XSAN_T_U64, XSAN_TAG_NEW_PARENT_INODE, "NEW_PARENT_INODE", "New parent inode", "xsan.new_parent_inode",
      "Directory the entry moves to (RENAME)"),
    N(XSAN_T_STRING, XSAN_TAG_NEW_NAME, "NEW_NAME", "New name", "xsan.new_name",
      "Name the entry gets (RENAME)"),
    E(XSAN_T_U8, XSAN_TAG_FILE_TYPE, "FILE_TYPE", "File type", "xsan.file_type", xsan_file_type_vals,
      "Kind of file system object"),
    U(XSAN_T_U32, XSAN_TAG_MODE, "MODE", "Mode", "xsan.mode", BASE_OCT, NULL, NULL, NULL,
      "Permission bits, in octal"),
    D(XSAN_T_U32, XSAN_TAG_UID, "UID", "UID", "xsan.uid", "Owner user id"),
    D(XSAN_T_U32, XSAN_TAG_GID, "GID", "GID", "xsan.gid", "Owner group id"),
    D(XSAN_T_U64, XSAN_TAG_SIZE, "SIZE", "Size", "xsan.size", "File size in bytes"),
    D(XSAN_T_U32, XSAN_TAG_NLINK, "NLINK", "Links", "xsan.nlink", "Number of hard links"),
    N(XSAN_T_TIME, XSAN_TAG_MTIME, "MTIME", "Modification time", "xsan.mtime",
      "Last modification of the data"),
    N(XSAN_T_TIME, XSAN_TAG_ATIME, "ATIME", "Access time", "xsan.atime", "Last access"),
    N(XSAN_T_TIME, XSAN_TAG_CTIME, "CTIME", "Change time", "xsan.ctime",
      "Last change of the attributes"),
    M(XSAN_TAG_ATTR_MASK, "ATTR_MASK", "Attribute mask", "xsan.attr_mask", attr_mask_bits,
      "Which attributes a SETATTR changes"),
    U(XSAN_T_U64, XSAN_TAG_COOKIE, "COOKIE", "Cookie", "xsan.cookie", BASE_HEX, NULL, NULL, NULL,
      "READDIR cursor: where the next listing continues"),
    D(XSAN_T_U32, XSAN_TAG_COUNT, "COUNT", "Count", "xsan.count",
      "Most directory entries wanted (READDIR)"),
    N(XSAN_T_BOOL, XSAN_TAG_EOF, "EOF", "End of directory", "xsan.eof",
      "The listing is complete (READDIR response)"),
    N(XSAN_T_GROUP, XSAN_TAG_DIRENT, "DIRENT", "Directory entry", "xsan.dirent",
      "One directory entry: INODE, NAME, FILE_TYPE (READDIR response)"),
    D(XSAN_T_U64, XSAN_TAG_OFFSET, "OFFSET", "Offset", "xsan.offset", "File byte offset"),
    D(XSAN_T_U64, XSAN_TAG_LENGTH, "LENGTH", "Length", "xsan.length", "Byte length"),
    D(XSAN_T_U16, XSAN_TAG_SG_HINT, "SG_HINT", "Stripe group hint", "xsan.sg_hint",
      "Preferred stripe group (ALLOCATE)"),
    N(XSAN_T_GROUP, XSAN_TAG_EXTENT, "EXTENT", "Extent", "xsan.extent",
      "Disk extent: STRIPE_GROUP, START_BLOCK, BLOCK_COUNT, OFFSET"),
    D(XSAN_T_U16, XSAN_TAG_STRIPE_GROUP, "STRIPE_GROUP", "Stripe group", "xsan.stripe_group",
      "Stripe group holding an extent"),
    D(XSAN_T_U64, XSAN_TAG_START_BLOCK, "START_BLOCK", "Start block", "xsan.start_block",
      "First block of an extent"),
    D(XSAN_T_U32, XSAN_TAG_BLOCK_COUNT, "BLOCK_COUNT", "Block count", "xsan.block_count",
      "Blocks in an extent"),
    U(XSAN_T_U64, XSAN_TAG_TOKEN_ID, "TOKEN_ID", "Token ID", "xsan.token_id", BASE_HEX, NULL, NULL, NULL,
      "Cache token handed out by the FSM"),
    E(XSAN_T_U8, XSAN_TAG_TOKEN_CLASS, "TOKEN_CLASS", "Token class", "xsan.token_class",
      xsan_token_class_vals, "What a token covers"),
    E(XSAN_T_U8, XSAN_TAG_TOKEN_MODE, "TOKEN_MODE", "Token mode", "xsan.token_mode",
      xsan_token_mode_vals, "Shared or exclusive token"),
    E(XSAN_T_U8, XSAN_TAG_REVOKE_REASON, "REVOKE_REASON", "Revoke reason", "xsan.revoke_reason",
      xsan_revoke_reason_vals, "Why the FSM revokes a token"),
    E(XSAN_T_U8, XSAN_TAG_LOCK_TYPE, "LOCK_TYPE", "Lock type", "xsan.lock_type",
      xsan_lock_type_vals, "Byte-range lock type"),
    D(XSAN_T_U32, XSAN_TAG_OWNER, "OWNER", "Owner", "xsan.owner",
      "Process id holding a byte-range lock"),
    N(XSAN_T_STRING, XSAN_TAG_CLUSTER, "CLUSTER", "Cluster", "xsan.cluster",
      "Name-service cluster"),
    N(XSAN_T_IPV4, XSAN_TAG_IPV4, "IPV4", "IPv4 address", "xsan.ipv4",
      "Address of a host or FSM"),
    N(XSAN_T_IPV6, XSAN_TAG_IPV6, "IPV6", "IPv6 address", "xsan.ipv6",
      "Address of a host or FSM"),
    D(XSAN_T_U16, XSAN_TAG_PORT, "PORT", "Port", "xsan.port", "FSM's TCP port"),
    D(XSAN_T_U8, XSAN_TAG_PRIORITY, "PRIORITY", "Priority", "xsan.priority",
      "Failover priority; lower wins"),
    E(XSAN_T_U8, XSAN_TAG_FSM_STATE, "FSM_STATE", "FSM state", "xsan.fsm_state",
      xsan_fsm_state_vals, "State of an FSM"),
    D(XSAN_T_U32, XSAN_TAG_EPOCH, "EPOCH", "Epoch", "xsan.epoch",
      "Coordinator view or election round"),
    D(XSAN_T_U32, XSAN_TAG_HB_SEQ, "HB_SEQ", "Heartbeat sequence", "xsan.hb_seq",
      "Rises by one per heartbeat interval"),
    S(XSAN_T_U32, XSAN_TAG_UPTIME, "UPTIME", "Uptime", "xsan.uptime", &units_seconds,
      "Time since start"),
    N(XSAN_T_STRING, XSAN_TAG_ADMIN_COMMAND, "ADMIN_COMMAND", "Admin command", "xsan.admin_command",
      "cvadmin-style command line (ADMIN)"),
    N(XSAN_T_STRING, XSAN_TAG_ADMIN_OUTPUT, "ADMIN_OUTPUT", "Admin output", "xsan.admin_output",
      "Output of an administrative command"),
    N(XSAN_T_GROUP, XSAN_TAG_COUNTER, "COUNTER", "Counter", "xsan.counter",
      "A statistics counter: NAME, VALUE (STATS response)"),
    D(XSAN_T_U64, XSAN_TAG_VALUE, "VALUE", "Value", "xsan.value", "Value of a counter"),
};
#define N_ROWS ((unsigned)array_length(attr_table))
#define TAG_KEY(tag) ((tag) & 0x7FFF)

/* Fixed size of each value type; 0 means any length. */
static const int type_size[] = {
    [XSAN_T_U8] = 1, [XSAN_T_U16] = 2, [XSAN_T_U32] = 4, [XSAN_T_U64] = 8, [XSAN_T_BOOL] = 1,
    [XSAN_T_STRING] = 0, [XSAN_T_BYTES16] = 16, [XSAN_T_IPV4] = 4, [XSAN_T_IPV6] = 16,
    [XSAN_T_TIME] = 8, [XSAN_T_GROUP] = 0,
};

static int hf_attr;
static int hf_attr_tag;
static int hf_attr_len;
static int hf_attr_value;
static int ett_attr = XSAN_ETT_INIT;

static expert_field ei_attr_truncated;
static expert_field ei_attr_bad_length;
static expert_field ei_group_too_deep;
static expert_field ei_unknown_tag;
static expert_field ei_invalid_utf8;
static expert_field ei_embedded_nul;
static expert_field ei_too_many_attrs;

/* Tag names for xsan.attr.tag, built from the table at registration. */
static value_string *tag_vals;

struct scope_entry {
    struct scope_entry *next;
    uint16_t            tag;
    xsan_value_t        value;
};

struct xsan_scope {
    uint8_t             seen[(N_ROWS + 7) / 8];   /* rows already recorded */
    struct scope_entry *entries;
};

/* Row + 1 by tag key (0: no row), built at registration: every attribute
 * is looked up, so one index beats a search. */
static uint8_t *row_by_key;
static unsigned n_keys;

static const xsan_attr_def_t *
lookup_row(uint16_t tag, unsigned *row_out)
{
    unsigned key = TAG_KEY(tag);
    unsigned idx = key < n_keys ? row_by_key[key] : 0;
    if (!idx || attr_table[idx - 1].tag != tag)
        return NULL;    /* unknown, or the group bit does not match */
    if (row_out)
        *row_out = idx - 1;
    return &attr_table[idx - 1];
}

bool
xsan_scope_get(const xsan_scope_t *scope, uint16_t tag, xsan_value_t *out)
{
    for (const struct scope_entry *e = scope ? scope->entries : NULL; e; e = e->next) {
        if (e->tag == tag) {
            if (out)
                *out = e->value;
            return true;
        }
    }
    return false;
}

const char *
xsan_scope_str(const xsan_scope_t *scope, uint16_t tag)
{
    xsan_value_t v;
    return xsan_scope_get(scope, tag, &v) ? v.s : NULL;
}

unsigned
xsan_body_count_groups(const xsan_body_t *body, uint16_t tag)
{
    unsigned n = 0;
    unsigned len = body && body->groups ? wmem_array_get_count(body->groups) : 0;
    for (unsigned i = 0; i < len; i++) {
        const xsan_group_t *g = (const xsan_group_t *)wmem_array_index(body->groups, i);
        if (g->tag == tag)
            n++;
    }
    return n;
}

static void
scope_record(wmem_allocator_t *pool, xsan_scope_t *scope, unsigned row, const xsan_value_t *v)
{
    if (scope->seen[row / 8] & (1u << (row % 8)))
        return;     /* only the first occurrence is summarised */
    scope->seen[row / 8] |= (uint8_t)(1u << (row % 8));
    struct scope_entry *e = wmem_new(pool, struct scope_entry);
    e->tag = attr_table[row].tag;
    e->value = *v;
    e->next = scope->entries;
    scope->entries = e;
}

/* The value as the attribute's label (or, compact, the Info column) shows it. */
static const char *
format_value(wmem_allocator_t *pool, const xsan_attr_def_t *def, const xsan_value_t *v, bool compact)
{
    switch (def->type) {
    case XSAN_T_U8: case XSAN_T_U16: case XSAN_T_U32: case XSAN_T_U64:
        if (def->strings) {
            const char *name = val_to_str_const((uint32_t)v->u, (const value_string *)def->strings, "Unknown");
            return compact ? name : wmem_strdup_printf(pool, "%s (%" PRIu64 ")", name, v->u);
        }
        if (def->display == BASE_OCT)
            return wmem_strdup_printf(pool, "0%" PRIo64, v->u);
        if (def->display == BASE_HEX)
            return wmem_strdup_printf(pool, "0x%" PRIx64, v->u);
        return wmem_strdup_printf(pool, "%" PRIu64, v->u);
    case XSAN_T_BOOL:
        return v->u ? "true" : "false";
    case XSAN_T_STRING:
        return wmem_strdup_printf(pool, "\"%s\"", xsan_format_text(pool, v->s, strlen(v->s)));
    case XSAN_T_BYTES16: {
        e_guid_t guid;
        guid.data1 = xsan_pntoh32(v->b);
        guid.data2 = xsan_pntoh16(v->b + 4);
        guid.data3 = xsan_pntoh16(v->b + 6);
        memcpy(guid.data4, v->b + 8, 8);
        return guid_to_str(pool, &guid);
    }
    case XSAN_T_IPV4: case XSAN_T_IPV6: {
        address addr;
        set_address(&addr, def->type == XSAN_T_IPV4 ? AT_IPv4 : AT_IPv6, v->len, v->b);
        return address_to_str(pool, &addr);
    }
    case XSAN_T_TIME: {
        nstime_t t;
        t.secs = (time_t)(v->u / 1000000000u);
        t.nsecs = (int)(v->u % 1000000000u);
        return abs_time_to_str(pool, &t, ABSOLUTE_TIME_UTC, true);
    }
    case XSAN_T_GROUP:
        break;
    }
    return "";
}

void
xsan_strbuf_append_u64(wmem_strbuf_t *buf, uint64_t v, bool hex)
{
    /* Every Info column has numbers in it: printf costs ten times this. */
    static const char digits[] = "0123456789abcdef";
    char text[24];
    unsigned base = hex ? 16 : 10;
    int i = (int)sizeof text;
    text[--i] = '\0';
    do {
        text[--i] = digits[v % base];
        v /= base;
    } while (v);
    if (hex) {
        text[--i] = 'x';
        text[--i] = '0';
    }
    wmem_strbuf_append(buf, text + i);
}

void
xsan_attr_value_append(wmem_strbuf_t *buf, wmem_allocator_t *pool, uint16_t tag,
                       const xsan_value_t *v, bool compact)
{
    const xsan_attr_def_t *def = lookup_row(tag, NULL);
    if (!def)
        return;
    switch (def->type) {
    case XSAN_T_U8: case XSAN_T_U16: case XSAN_T_U32: case XSAN_T_U64:
        if (def->strings) {
            wmem_strbuf_append(buf, val_to_str_const((uint32_t)v->u, (const value_string *)def->strings,
                                                     "Unknown"));
            if (!compact)
                wmem_strbuf_append_printf(buf, " (%" PRIu64 ")", v->u);
        } else if (def->display == BASE_OCT) {
            wmem_strbuf_append_printf(buf, "0%" PRIo64, v->u);
        } else {
            xsan_strbuf_append_u64(buf, v->u, def->display == BASE_HEX);
        }
        return;
    case XSAN_T_STRING:
        wmem_strbuf_append_c(buf, '"');
        wmem_strbuf_append(buf, xsan_format_text(pool, v->s, strlen(v->s)));
        wmem_strbuf_append_c(buf, '"');
        return;
    default:
        wmem_strbuf_append(buf, format_value(pool, def, v, compact));
        return;
    }
}

/* The attribute's label, "NAME: value", as format_value would make the
 * value, in one formatting step for the common types. */
static void
set_value_label(wmem_allocator_t *pool, proto_item *item, const xsan_attr_def_t *def,
                const xsan_value_t *v)
{
    switch (def->type) {
    case XSAN_T_U8: case XSAN_T_U16: case XSAN_T_U32: case XSAN_T_U64:
        if (def->strings)
            proto_item_set_text(item, "%s: %s (%" PRIu64 ")", def->name,
                    val_to_str_const((uint32_t)v->u, (const value_string *)def->strings, "Unknown"), v->u);
        else if (def->display == BASE_OCT)
            proto_item_set_text(item, "%s: 0%" PRIo64, def->name, v->u);
        else if (def->display == BASE_HEX)
            proto_item_set_text(item, "%s: 0x%" PRIx64, def->name, v->u);
        else if (def->units)
            proto_item_set_text(item, "%s: %" PRIu64 "%s", def->name, v->u,
                                unit_name_string_get_value64(v->u, def->units));
        else
            proto_item_set_text(item, "%s: %" PRIu64, def->name, v->u);
        return;
    case XSAN_T_BOOL:
        proto_item_set_text(item, "%s: %s", def->name, v->u ? "true" : "false");
        return;
    case XSAN_T_STRING:
        proto_item_set_text(item, "%s: \"%s\"", def->name, xsan_format_text(pool, v->s, strlen(v->s)));
        return;
    default:
        proto_item_set_text(item, "%s: %s", def->name, format_value(pool, def, v, false));
        return;
    }
}

/* g_utf8_validate() rejects any NUL; a NUL has its own note, so validate
 * the pieces between them. */
static bool
utf8_valid_with_nuls(const uint8_t *p, int len)
{
    while (len > 0) {
        const uint8_t *nul = (const uint8_t *)memchr(p, '\0', len);
        int piece = nul ? (int)(nul - p) : len;
        if (piece && !g_utf8_validate((const char *)p, piece, NULL))
            return false;
        p += piece + 1;
        len -= piece + 1;
    }
    return true;
}

/* The whole string with each NUL shown as \0 (and so each backslash as
 * \\, to tell the two apart): a NUL is a valid character, and the C string
 * of tvb_get_string_enc() would stop at the first one. */
static const char *
string_with_visible_nuls(wmem_allocator_t *pool, tvbuff_t *tvb, const uint8_t *raw, int offset, int len)
{
    wmem_strbuf_t *buf = wmem_strbuf_new(pool, "");
    int start = 0;
    for (int i = 0; i <= len; i++) {
        if (i < len && raw[i] != '\0' && raw[i] != '\\')
            continue;
        if (i > start)
            wmem_strbuf_append(buf, (const char *)tvb_get_string_enc(pool, tvb, offset + start,
                                                                      i - start, ENC_UTF_8));
        if (i < len)
            wmem_strbuf_append(buf, raw[i] ? "\\\\" : "\\0");
        start = i + 1;
    }
    return wmem_strbuf_get_str(buf);
}

/* Attributes decoded per message, nested ones included: enough for a
 * 16,000-entry READDIR, while a 1 MiB body of empty attributes (262,144)
 * would put ~1.3 million items in the tree, past Wireshark's limit, at
 * ~1 KB of tree each. */
#define XSAN_MAX_ATTRS 65536

/* A problem found on many attributes of one message is flagged on the first
 * few only, then once with the count: each expert item is a five-item
 * subtree, which made 70% of the tree of a body of 65,536 unknown tags. */
#define XSAN_NOTE_REPEAT 16

enum { NOTE_UNKNOWN_TAG, NOTE_BAD_LENGTH, NOTE_TOO_DEEP, NOTE_INVALID_UTF8, NOTE_EMBEDDED_NUL, N_NOTES };

typedef struct walker {
    tvbuff_t    *tvb;
    packet_info *pinfo;
    xsan_body_t *body;
    bool         labels;    /* the tree is shown: worth formatting labels */
    bool         stopped;   /* the attribute budget ran out */
    unsigned     notes[N_NOTES];    /* problems of each kind found so far */
} walker_t;

static expert_field *const note_ei[N_NOTES] = {
    &ei_unknown_tag, &ei_attr_bad_length, &ei_group_too_deep, &ei_invalid_utf8, &ei_embedded_nul,
};

/* expert_add_info_format(), unless this kind was flagged often enough. */
#define NOTE(w, kind, item, ...) \
    do { \
        if (++(w)->notes[kind] <= XSAN_NOTE_REPEAT) \
            expert_add_info_format((w)->pinfo, item, note_ei[kind], __VA_ARGS__); \
    } while (0)

static void walk(walker_t *w, proto_tree *tree, int offset, int end, int depth, xsan_scope_t *scope);

/* A fixed-size or string value: its field, its summary, its label. */
static void
decode_value(walker_t *w, proto_tree *tree, proto_item *attr_item, const xsan_attr_def_t *def,
             unsigned row, int offset, int len, xsan_scope_t *scope)
{
    tvbuff_t *tvb = w->tvb;
    wmem_allocator_t *pool = w->pinfo->pool;
    xsan_value_t v = { 0, NULL, NULL, offset, len };
    bool has_nul = false;

    switch (def->type) {
    case XSAN_T_U8:  case XSAN_T_BOOL: v.u = xsan_tvb_get_u8(tvb, offset); break;
    case XSAN_T_U16: v.u = tvb_get_ntohs(tvb, offset); break;
    case XSAN_T_U32: v.u = tvb_get_ntohl(tvb, offset); break;
    case XSAN_T_U64: case XSAN_T_TIME: v.u = tvb_get_ntoh64(tvb, offset); break;
    case XSAN_T_BYTES16: case XSAN_T_IPV4: case XSAN_T_IPV6:
        v.b = (const uint8_t *)tvb_memdup(pool, tvb, offset, len);
        break;
    case XSAN_T_STRING: {
        const uint8_t *raw = (const uint8_t *)tvb_memdup(pool, tvb, offset, len);
        has_nul = len > 0 && memchr(raw, '\0', len) != NULL;
        v.s = has_nul ? string_with_visible_nuls(pool, tvb, raw, offset, len)
                      : (const char *)tvb_get_string_enc(pool, tvb, offset, len, ENC_UTF_8);
        if (has_nul)
            NOTE(w, NOTE_EMBEDDED_NUL, attr_item, "String contains a NUL byte, shown as \\0");
        if (!utf8_valid_with_nuls(raw, len))
            NOTE(w, NOTE_INVALID_UTF8, attr_item,
                 "String is not valid UTF-8; shown with replacement characters");
        break;
    }
    case XSAN_T_GROUP:
        return;
    }

    /* A tree test kept on purpose, like walk()'s (see there); without a tree
     * walk() has made the bounds check these items would. */
    if (tree) {
        if (def->bits)
            proto_tree_add_bitmask(tree, tvb, offset, def->hf, def->ett, def->bits, ENC_BIG_ENDIAN);
        else if (def->type == XSAN_T_TIME)
            proto_tree_add_item(tree, def->hf, tvb, offset, len, ENC_TIME_NSECS | ENC_BIG_ENDIAN);
        else if (has_nul)
            proto_tree_add_string(tree, def->hf, tvb, offset, len, v.s);
        else if (def->type == XSAN_T_STRING)
            proto_tree_add_item(tree, def->hf, tvb, offset, len, ENC_UTF_8);
        else
            proto_tree_add_item(tree, def->hf, tvb, offset, len, ENC_BIG_ENDIAN);
    }

    scope_record(pool, scope, row, &v);
    if (w->labels)
        set_value_label(pool, attr_item, def, &v);
}

static void
decode_group(walker_t *w, proto_tree *tree, proto_item *attr_item, const xsan_attr_def_t *def,
             int offset, int len, int depth)
{
    proto_tree *gtree = NULL;
    if (tree)       /* kept on purpose, see walk() */
        gtree = proto_item_add_subtree(proto_tree_add_item(tree, def->hf, w->tvb, offset, len, ENC_NA),
                                       def->ett);
    xsan_scope_t *inner = wmem_new0(w->pinfo->pool, xsan_scope_t);
    unsigned before = w->body->n_attrs;

    walk(w, gtree, offset, offset + len, depth, inner);
    if (depth == 1) {
        xsan_group_t g = { def->tag, inner };
        wmem_array_append_one(w->body->groups, g);
    }
    if (w->labels)
        proto_item_set_text(attr_item, "%s (%u attributes)", def->name, w->body->n_attrs - before);
}

/* The group bit says the value is a sequence of attributes, whatever the
 * tag: its members are decoded too, under the raw value, with the depth
 * limit of any group. They feed neither the Info column nor the analysis. */
static void
decode_unknown_group(walker_t *w, proto_tree *tree, proto_item *attr_item, uint16_t tag,
                     int offset, int len, int depth)
{
    if (depth > XSAN_MAX_DEPTH) {
        NOTE(w, NOTE_TOO_DEEP, attr_item, "Group 0x%04x nested %d deep; at most %d allowed",
             tag, depth, XSAN_MAX_DEPTH);
        w->body->malformed = true;
        return;
    }
    walk(w, tree, offset, offset + len, depth, wmem_new0(w->pinfo->pool, xsan_scope_t));
}

static void
walk(walker_t *w, proto_tree *tree, int offset, int end, int depth, xsan_scope_t *scope)
{
    tvbuff_t *tvb = w->tvb;

    /* Every pass consumes at least the 4-byte attribute header. */
    while (offset < end && !w->stopped) {
        int avail = end - offset;
        if (w->body->n_attrs >= XSAN_MAX_ATTRS) {
            proto_item *ti = proto_tree_add_item(tree, hf_attr_value, tvb, offset, avail, ENC_NA);
            expert_add_info_format(w->pinfo, ti, &ei_too_many_attrs,
                    "More than %d attributes in one message; the last %d bytes are not decoded",
                    XSAN_MAX_ATTRS, avail);
            w->stopped = true;      /* enclosing groups stop too, without another item */
            return;
        }
        if (avail < XSAN_ATTR_HDR_LEN) {
            proto_item *ti = proto_tree_add_item(tree, hf_attr_value, tvb, offset, avail, ENC_NA);
            expert_add_info_format(w->pinfo, ti, &ei_attr_truncated,
                    "%d trailing bytes are too short for an attribute header", avail);
            w->body->malformed = true;
            return;
        }

        uint16_t tag = tvb_get_ntohs(tvb, offset);
        int len = tvb_get_ntohs(tvb, offset + 2);
        int value_off = offset + XSAN_ATTR_HDR_LEN;
        int room = end - value_off;
        unsigned row = 0;
        const xsan_attr_def_t *def = lookup_row(tag, &row);

        proto_item *attr_item = NULL, *len_item = NULL;
        proto_tree *attr_tree = NULL;
        if (tree) {
            attr_item = proto_tree_add_item(tree, hf_attr, tvb, offset,
                    XSAN_ATTR_HDR_LEN + MIN(len, room), ENC_NA);
            attr_tree = proto_item_add_subtree(attr_item, ett_attr);
            proto_tree_add_item(attr_tree, hf_attr_tag, tvb, offset, 2, ENC_BIG_ENDIAN);
            len_item = proto_tree_add_item(attr_tree, hf_attr_len, tvb, offset + 2, 2, ENC_BIG_ENDIAN);
        } else {
            /* Kept on purpose, measured: with no tree (tshark's summary, a
             * first pass) the items cost more than the decoding; dropping
             * the walker's three tree tests made the dissector run 40% more
             * instructions there (callgrind, bench/run's capture). Their
             * bounds check stays, so a capture cut short stops the walk
             * where it would with a tree. */
            tvb_ensure_bytes_exist(tvb, offset, XSAN_ATTR_HDR_LEN + MIN(len, room));
        }
        w->body->n_attrs++;
        if (depth == 0 && w->body->n_attrs == 1)
            w->body->starts_with_status = (tag == XSAN_TAG_STATUS);
        /* A value that decodes labels the item itself: label it only when
         * it may not get there (bytes missing from the capture). */
        bool labelled_later = def && def->type != XSAN_T_GROUP && len <= room &&
                (!type_size[def->type] || len == type_size[def->type]) &&
                tvb_bytes_exist(tvb, value_off, len);
        if (w->labels && !labelled_later)
            proto_item_set_text(attr_item, "%s", def ? def->name : wmem_strdup_printf(w->pinfo->pool,
                        "Unknown attribute 0x%04x", tag));

        if (len > room) {
            proto_tree_add_item(attr_tree, hf_attr_value, tvb, value_off, room, ENC_NA);
            expert_add_info_format(w->pinfo, len_item, &ei_attr_truncated,
                    "%s length %d runs past the end of its %s (%d bytes left)",
                    def ? def->name : "Attribute", len, depth ? "group" : "body", room);
            w->body->malformed = true;
            return;
        }

        if (!def) {
            proto_tree_add_item(attr_tree, hf_attr_value, tvb, value_off, len, ENC_NA);
            NOTE(w, NOTE_UNKNOWN_TAG, attr_item,
                    "Unknown attribute tag 0x%04x (%d bytes), shown raw", tag, len);
            if (tag & XSAN_TAG_GROUP_BIT)
                decode_unknown_group(w, attr_tree, attr_item, tag, value_off, len, depth + 1);
        } else if (def->type == XSAN_T_GROUP) {
            if (depth + 1 > XSAN_MAX_DEPTH) {
                proto_tree_add_item(attr_tree, hf_attr_value, tvb, value_off, len, ENC_NA);
                NOTE(w, NOTE_TOO_DEEP, attr_item,
                        "%s group nested %d deep; at most %d allowed", def->name, depth + 1, XSAN_MAX_DEPTH);
                w->body->malformed = true;
            } else {
                decode_group(w, attr_tree, attr_item, def, value_off, len, depth + 1);
            }
        } else if (type_size[def->type] && len != type_size[def->type]) {
            proto_tree_add_item(attr_tree, hf_attr_value, tvb, value_off, len, ENC_NA);
            NOTE(w, NOTE_BAD_LENGTH, len_item,
                    "%s must be %d bytes long, not %d", def->name, type_size[def->type], len);
            w->body->malformed = true;
        } else {
            decode_value(w, attr_tree, attr_item, def, row, value_off, len, scope);
        }
        offset = value_off + len;
    }
}

xsan_body_t *
xsan_attrs_dissect(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset, int len)
{
    xsan_body_t *body = wmem_new0(pinfo->pool, xsan_body_t);
    walker_t w = { tvb, pinfo, body, tree != NULL && PTREE_DATA(tree)->visible, false, { 0 } };

    body->top = wmem_new0(pinfo->pool, xsan_scope_t);
    body->groups = wmem_array_new(pinfo->pool, sizeof(xsan_group_t));
    walk(&w, tree, offset, offset + len, 0, body->top);
    for (unsigned k = 0; k < N_NOTES; k++)
        if (w.notes[k] > XSAN_NOTE_REPEAT)
            expert_add_info_format(pinfo, tree ? proto_tree_get_parent(tree) : NULL, note_ei[k],
                    "%u more attributes of this message have this problem; only the first %d are flagged",
                    w.notes[k] - XSAN_NOTE_REPEAT, XSAN_NOTE_REPEAT);
    return body;
}

static enum ftenum
type_ftenum(xsan_type_t type)
{
    switch (type) {
    case XSAN_T_U8:      return FT_UINT8;
    case XSAN_T_U16:     return FT_UINT16;
    case XSAN_T_U32:     return FT_UINT32;
    case XSAN_T_U64:     return FT_UINT64;
    case XSAN_T_BOOL:    return FT_BOOLEAN;
    case XSAN_T_STRING:  return FT_STRING;
    case XSAN_T_BYTES16: return FT_GUID;
    case XSAN_T_IPV4:    return FT_IPv4;
    case XSAN_T_IPV6:    return FT_IPv6;
    case XSAN_T_TIME:    return FT_ABSOLUTE_TIME;
    case XSAN_T_GROUP:   return FT_NONE;
    }
    return FT_NONE;
}

void
xsan_attrs_register(int proto)
{
    static hf_register_info hf_fixed[] = {
        { &hf_attr, { "Attribute", "xsan.attr", FT_NONE, BASE_NONE, NULL, 0x0,
            "One attribute (tag, length, value)", HFILL } },
        { &hf_attr_tag, { "Tag", "xsan.attr.tag", FT_UINT16, BASE_HEX, NULL, 0x0,
            "Attribute tag; 0x8000 marks a group", HFILL } },
        { &hf_attr_len, { "Length", "xsan.attr.len", FT_UINT16, BASE_DEC, NULL, 0x0,
            "Length of the attribute's value in bytes", HFILL } },
        { &hf_attr_value, { "Value", "xsan.attr.value", FT_BYTES, BASE_NONE, NULL, 0x0,
            "Raw value of an unknown tag, or of a value with the wrong length", HFILL } },
        { &hf_cap_dlc, { "DLC", "xsan.capabilities.dlc", FT_BOOLEAN, 32, NULL, 0x00000001,
            "Distributed LAN Client", HFILL } },
        { &hf_cap_tokens_v2, { "TOKENS_V2", "xsan.capabilities.tokens_v2", FT_BOOLEAN, 32, NULL, 0x00000002,
            "Second-generation cache tokens", HFILL } },
        { &hf_cap_large_dirs, { "LARGE_DIRS", "xsan.capabilities.large_dirs", FT_BOOLEAN, 32, NULL, 0x00000004,
            "Large directories", HFILL } },
        { &hf_cap_ipv6, { "IPV6", "xsan.capabilities.ipv6", FT_BOOLEAN, 32, NULL, 0x00000008,
            "IPv6 name service", HFILL } },
        { &hf_mount_read_only, { "READ_ONLY", "xsan.mount_flags.read_only", FT_BOOLEAN, 32, NULL, 0x00000001,
            "Mount read-only", HFILL } },
        { &hf_mount_dlc_client, { "DLC_CLIENT", "xsan.mount_flags.dlc_client", FT_BOOLEAN, 32, NULL, 0x00000002,
            "Mount as a Distributed LAN Client", HFILL } },
        { &hf_mount_force, { "FORCE", "xsan.mount_flags.force", FT_BOOLEAN, 32, NULL, 0x00000004,
            "Force the mount", HFILL } },
        { &hf_mask_mode, { "MODE", "xsan.attr_mask.mode", FT_BOOLEAN, 32, NULL, 0x00000001, "Set MODE", HFILL } },
        { &hf_mask_uid, { "UID", "xsan.attr_mask.uid", FT_BOOLEAN, 32, NULL, 0x00000002, "Set UID", HFILL } },
        { &hf_mask_gid, { "GID", "xsan.attr_mask.gid", FT_BOOLEAN, 32, NULL, 0x00000004, "Set GID", HFILL } },
        { &hf_mask_size, { "SIZE", "xsan.attr_mask.size", FT_BOOLEAN, 32, NULL, 0x00000008, "Set SIZE", HFILL } },
        { &hf_mask_mtime, { "MTIME", "xsan.attr_mask.mtime", FT_BOOLEAN, 32, NULL, 0x00000010, "Set MTIME", HFILL } },
        { &hf_mask_atime, { "ATIME", "xsan.attr_mask.atime", FT_BOOLEAN, 32, NULL, 0x00000020, "Set ATIME", HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_attr_truncated, { "xsan.expert.attr_past_end", PI_MALFORMED, PI_ERROR,
            "Attribute runs past the end of its body or group", EXPFILL } },
        { &ei_attr_bad_length, { "xsan.expert.attr_bad_length", PI_MALFORMED, PI_ERROR,
            "Fixed-size attribute with the wrong length", EXPFILL } },
        { &ei_group_too_deep, { "xsan.expert.group_too_deep", PI_MALFORMED, PI_ERROR,
            "Groups nested deeper than 4", EXPFILL } },
        { &ei_unknown_tag, { "xsan.expert.unknown_tag", PI_UNDECODED, PI_NOTE,
            "Unknown attribute tag", EXPFILL } },
        /* A note on the content, not a malformed message: _ws.malformed
         * must not match (the model frames the string correctly). */
        { &ei_invalid_utf8, { "xsan.expert.invalid_utf8", PI_PROTOCOL, PI_NOTE,
            "String is not valid UTF-8; shown with replacement characters", EXPFILL } },
        { &ei_embedded_nul, { "xsan.expert.embedded_nul", PI_PROTOCOL, PI_NOTE,
            "String contains a NUL byte, shown as \\0", EXPFILL } },
        { &ei_too_many_attrs, { "xsan.expert.too_many_attrs", PI_UNDECODED, PI_WARN,
            "More attributes than the decoder shows; the rest is not decoded", EXPFILL } },
    };
    static int *ett[] = { &ett_attr };

    /* One row per tag key, in order (so fields list in tag order). */
    for (unsigned i = 1; i < N_ROWS; i++)
        DISSECTOR_ASSERT(TAG_KEY(attr_table[i - 1].tag) < TAG_KEY(attr_table[i].tag));
    DISSECTOR_ASSERT(N_ROWS < UINT8_MAX);
    n_keys = TAG_KEY(attr_table[N_ROWS - 1].tag) + 1;
    row_by_key = g_new0(uint8_t, n_keys);
    for (unsigned i = 0; i < N_ROWS; i++)
        row_by_key[TAG_KEY(attr_table[i].tag)] = (uint8_t)(i + 1);

    hf_register_info *hf = g_new0(hf_register_info, N_ROWS);
    int **row_ett = g_new0(int *, N_ROWS);
    unsigned n_ett = 0;
    tag_vals = g_new0(value_string, N_ROWS + 1);
    for (unsigned i = 0; i < N_ROWS; i++) {
        xsan_attr_def_t *def = &attr_table[i];
        enum ftenum ft = type_ftenum(def->type);
        int display = def->display;
        if (ft == FT_ABSOLUTE_TIME)
            display = ABSOLUTE_TIME_UTC;
        else if (ft == FT_STRING || ft == FT_GUID || ft == FT_IPv4 || ft == FT_IPv6 ||
                 ft == FT_NONE || ft == FT_BOOLEAN)
            display = BASE_NONE;
        const void *strings = def->strings;
        if (def->units) {
            display |= BASE_UNIT_STRING;
            strings = UNS(def->units);
        }
        hf[i].p_id = &def->hf;
        hf[i].hfinfo = (header_field_info){ def->label, def->abbrev, ft, display, strings,
                                            0x0, def->blurb, HFILL };
        if (def->type == XSAN_T_GROUP || def->bits)
            row_ett[n_ett++] = &def->ett;
        tag_vals[i].value = def->tag;
        tag_vals[i].strptr = def->name;
    }
    hf_fixed[1].hfinfo.strings = VALS(tag_vals);

    proto_register_field_array(proto, hf_fixed, array_length(hf_fixed));
    proto_register_field_array(proto, hf, N_ROWS);
    proto_register_subtree_array(ett, array_length(ett));
    proto_register_subtree_array(row_ett, n_ett);
    g_free(row_ett);    /* only read: the ett numbers live in the table */
    expert_register_field_array(expert_register_protocol(proto), ei, array_length(ei));
}
