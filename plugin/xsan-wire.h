/* xsan-wire.h
 * Wire constants of the Xsan metadata model, version 1
 * (shared/spec/xsan-wire-v1.md): header layout, flags, opcodes, tags,
 * status codes and limits, and the value_strings that name them.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XSAN_WIRE_H
#define XSAN_WIRE_H

#include "xsan-compat.h"

/* Header, 24 bytes in version 1. */
#define XSAN_MAGIC          0x5853414Eu   /* "XSAN" */
#define XSAN_VERSION_1      1
#define XSAN_HDR_LEN        24
#define XSAN_OFF_MAGIC      0
#define XSAN_OFF_VERSION    4
#define XSAN_OFF_HDR_LEN    5
#define XSAN_OFF_FLAGS      6
#define XSAN_OFF_OPCODE     8
#define XSAN_OFF_FRAG_INDEX 10
#define XSAN_OFF_XID        12
#define XSAN_OFF_SESSION    16
#define XSAN_OFF_BODY_LEN   20

/* Limits. */
#define XSAN_MAX_BODY       1048576u      /* body_len and joined fragments */
#define XSAN_MAX_FRAGMENTS  64
#define XSAN_MAX_DEPTH      4             /* group nesting */
#define XSAN_ATTR_HDR_LEN   4

/* Flags. */
#define XSAN_FLAG_RESPONSE  0x0001
#define XSAN_FLAG_ERROR     0x0002
#define XSAN_FLAG_MORE      0x0004
#define XSAN_FLAG_NOTIFY    0x0008
#define XSAN_FLAG_RETRY     0x0010
#define XSAN_FLAG_RESERVED  0xFFE0

/* Opcodes: the high byte is the family. */
#define XSAN_OP_FAMILY(op)  ((op) >> 8)
enum {
    XSAN_OP_HELLO         = 0x0101,
    XSAN_OP_MOUNT         = 0x0102,
    XSAN_OP_UNMOUNT       = 0x0103,
    XSAN_OP_KEEPALIVE     = 0x0104,
    XSAN_OP_GOODBYE       = 0x0105,
    XSAN_OP_LOOKUP        = 0x0201,
    XSAN_OP_GETATTR       = 0x0202,
    XSAN_OP_SETATTR       = 0x0203,
    XSAN_OP_CREATE        = 0x0204,
    XSAN_OP_REMOVE        = 0x0205,
    XSAN_OP_RENAME        = 0x0206,
    XSAN_OP_READDIR       = 0x0207,
    XSAN_OP_ALLOCATE      = 0x0301,
    XSAN_OP_GET_EXTENTS   = 0x0302,
    XSAN_OP_TRUNCATE      = 0x0303,
    XSAN_OP_COMMIT_SIZE   = 0x0304,
    XSAN_OP_TOKEN_ACQUIRE = 0x0401,
    XSAN_OP_TOKEN_RELEASE = 0x0402,
    XSAN_OP_TOKEN_REVOKE  = 0x0403,
    XSAN_OP_LOCK          = 0x0404,
    XSAN_OP_UNLOCK        = 0x0405,
    XSAN_OP_HEARTBEAT     = 0x0501,
    XSAN_OP_FSM_QUERY     = 0x0502,
    XSAN_OP_FSM_REGISTER  = 0x0503,
    XSAN_OP_ELECTION_VOTE = 0x0504,
    XSAN_OP_ACTIVATE      = 0x0505,
    XSAN_OP_ADMIN         = 0x0601,
    XSAN_OP_STATS         = 0x0602
};

/* Attribute tags; 0x8000 marks a group. */
#define XSAN_TAG_GROUP_BIT  0x8000
enum {
    XSAN_TAG_STATUS           = 0x0001,
    XSAN_TAG_ERROR_TEXT       = 0x0002,
    XSAN_TAG_CLIENT_ID        = 0x0010,
    XSAN_TAG_HOSTNAME         = 0x0011,
    XSAN_TAG_CLIENT_VERSION   = 0x0012,
    XSAN_TAG_CAPABILITIES     = 0x0013,
    XSAN_TAG_VOLUME           = 0x0020,
    XSAN_TAG_VOLUME_UUID      = 0x0021,
    XSAN_TAG_MOUNT_FLAGS      = 0x0022,
    XSAN_TAG_BLOCK_SIZE       = 0x0023,
    XSAN_TAG_STRIPE_GROUPS    = 0x0024,
    XSAN_TAG_ROOT_INODE       = 0x0025,
    XSAN_TAG_LEASE_SECS       = 0x0026,
    XSAN_TAG_INODE            = 0x0030,
    XSAN_TAG_PARENT_INODE     = 0x0031,
    XSAN_TAG_NAME             = 0x0032,
    XSAN_TAG_NEW_PARENT_INODE = 0x0033,
    XSAN_TAG_NEW_NAME         = 0x0034,
    XSAN_TAG_FILE_TYPE        = 0x0035,
    XSAN_TAG_MODE             = 0x0036,
    XSAN_TAG_UID              = 0x0037,
    XSAN_TAG_GID              = 0x0038,
    XSAN_TAG_SIZE             = 0x0039,
    XSAN_TAG_NLINK            = 0x003A,
    XSAN_TAG_MTIME            = 0x003B,
    XSAN_TAG_ATIME            = 0x003C,
    XSAN_TAG_CTIME            = 0x003D,
    XSAN_TAG_ATTR_MASK        = 0x003E,
    XSAN_TAG_COOKIE           = 0x003F,
    XSAN_TAG_COUNT            = 0x0040,
    XSAN_TAG_EOF              = 0x0041,
    XSAN_TAG_DIRENT           = 0x8042,
    XSAN_TAG_OFFSET           = 0x0050,
    XSAN_TAG_LENGTH           = 0x0051,
    XSAN_TAG_SG_HINT          = 0x0052,
    XSAN_TAG_EXTENT           = 0x8053,
    XSAN_TAG_STRIPE_GROUP     = 0x0054,
    XSAN_TAG_START_BLOCK      = 0x0055,
    XSAN_TAG_BLOCK_COUNT      = 0x0056,
    XSAN_TAG_TOKEN_ID         = 0x0060,
    XSAN_TAG_TOKEN_CLASS      = 0x0061,
    XSAN_TAG_TOKEN_MODE       = 0x0062,
    XSAN_TAG_REVOKE_REASON    = 0x0063,
    XSAN_TAG_LOCK_TYPE        = 0x0064,
    XSAN_TAG_OWNER            = 0x0065,
    XSAN_TAG_CLUSTER          = 0x0070,
    XSAN_TAG_IPV4             = 0x0072,
    XSAN_TAG_IPV6             = 0x0073,
    XSAN_TAG_PORT             = 0x0074,
    XSAN_TAG_PRIORITY         = 0x0075,
    XSAN_TAG_FSM_STATE        = 0x0076,
    XSAN_TAG_EPOCH            = 0x0077,
    XSAN_TAG_HB_SEQ           = 0x0078,
    XSAN_TAG_UPTIME           = 0x0079,
    XSAN_TAG_ADMIN_COMMAND    = 0x0080,
    XSAN_TAG_ADMIN_OUTPUT     = 0x0081,
    XSAN_TAG_COUNTER          = 0x8082,
    XSAN_TAG_VALUE            = 0x0083
};

/* Status codes. */
enum {
    XSAN_STATUS_OK             = 0,
    XSAN_STATUS_PERM           = 1,
    XSAN_STATUS_NOENT          = 2,
    XSAN_STATUS_IO             = 5,
    XSAN_STATUS_ACCES          = 13,
    XSAN_STATUS_EXIST          = 17,
    XSAN_STATUS_NOTDIR         = 20,
    XSAN_STATUS_ISDIR          = 21,
    XSAN_STATUS_INVAL          = 22,
    XSAN_STATUS_NOSPC          = 28,
    XSAN_STATUS_NAMETOOLONG    = 36,
    XSAN_STATUS_NOTEMPTY       = 39,
    XSAN_STATUS_STALE          = 116,
    XSAN_STATUS_BAD_SESSION    = 0x1001,
    XSAN_STATUS_NOT_MOUNTED    = 0x1002,
    XSAN_STATUS_TOKEN_CONFLICT = 0x1003,
    XSAN_STATUS_LOCK_CONFLICT  = 0x1004,
    XSAN_STATUS_NOT_ACTIVE     = 0x1005,
    XSAN_STATUS_VOTE_REJECTED  = 0x1006,
    XSAN_STATUS_BAD_VERSION    = 0x1007,
    XSAN_STATUS_QUOTA_EXCEEDED = 0x1008
};

/* Enumerated attribute values. */
enum { XSAN_TOKEN_CLASS_ATTR = 1, XSAN_TOKEN_CLASS_DATA = 2, XSAN_TOKEN_CLASS_DIRECTORY = 3 };
enum { XSAN_TOKEN_MODE_SHARED = 1, XSAN_TOKEN_MODE_EXCLUSIVE = 2 };

extern const value_string xsan_opcode_vals[];
extern const value_string xsan_status_vals[];
extern const value_string xsan_family_vals[];
extern const value_string xsan_file_type_vals[];
extern const value_string xsan_token_class_vals[];
extern const value_string xsan_token_mode_vals[];
extern const value_string xsan_revoke_reason_vals[];
extern const value_string xsan_lock_type_vals[];
extern const value_string xsan_fsm_state_vals[];

/* Name of an opcode for columns and statistics ("LOOKUP", or "0x0999"). */
const char *xsan_opcode_name(wmem_allocator_t *scope, uint16_t opcode);

#endif /* XSAN_WIRE_H */
