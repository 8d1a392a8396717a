/* xsan-wire.c
 * Names of the Xsan v1 wire values.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "xsan-wire.h"

const value_string xsan_opcode_vals[] = {
    { XSAN_OP_HELLO,         "HELLO" },
    { XSAN_OP_MOUNT,         "MOUNT" },
    { XSAN_OP_UNMOUNT,       "UNMOUNT" },
    { XSAN_OP_KEEPALIVE,     "KEEPALIVE" },
    { XSAN_OP_GOODBYE,       "GOODBYE" },
    { XSAN_OP_LOOKUP,        "LOOKUP" },
    { XSAN_OP_GETATTR,       "GETATTR" },
    { XSAN_OP_SETATTR,       "SETATTR" },
    { XSAN_OP_CREATE,        "CREATE" },
    { XSAN_OP_REMOVE,        "REMOVE" },
    { XSAN_OP_RENAME,        "RENAME" },
    { XSAN_OP_READDIR,       "READDIR" },
    { XSAN_OP_ALLOCATE,      "ALLOCATE" },
    { XSAN_OP_GET_EXTENTS,   "GET_EXTENTS" },
    { XSAN_OP_TRUNCATE,      "TRUNCATE" },
    { XSAN_OP_COMMIT_SIZE,   "COMMIT_SIZE" },
    { XSAN_OP_TOKEN_ACQUIRE, "TOKEN_ACQUIRE" },
    { XSAN_OP_TOKEN_RELEASE, "TOKEN_RELEASE" },
    { XSAN_OP_TOKEN_REVOKE,  "TOKEN_REVOKE" },
    { XSAN_OP_LOCK,          "LOCK" },
    { XSAN_OP_UNLOCK,        "UNLOCK" },
    { XSAN_OP_HEARTBEAT,     "HEARTBEAT" },
    { XSAN_OP_FSM_QUERY,     "FSM_QUERY" },
    { XSAN_OP_FSM_REGISTER,  "FSM_REGISTER" },
    { XSAN_OP_ELECTION_VOTE, "ELECTION_VOTE" },
    { XSAN_OP_ACTIVATE,      "ACTIVATE" },
    { XSAN_OP_ADMIN,         "ADMIN" },
    { XSAN_OP_STATS,         "STATS" },
    { 0, NULL }
};

const value_string xsan_family_vals[] = {
    { 0x01, "Session" },
    { 0x02, "Namespace" },
    { 0x03, "Space" },
    { 0x04, "Tokens and locks" },
    { 0x05, "Name service" },
    { 0x06, "Administration" },
    { 0, NULL }
};

const value_string xsan_status_vals[] = {
    { XSAN_STATUS_OK,             "OK" },
    { XSAN_STATUS_PERM,           "PERM" },
    { XSAN_STATUS_NOENT,          "NOENT" },
    { XSAN_STATUS_IO,             "IO" },
    { XSAN_STATUS_ACCES,          "ACCES" },
    { XSAN_STATUS_EXIST,          "EXIST" },
    { XSAN_STATUS_NOTDIR,         "NOTDIR" },
    { XSAN_STATUS_ISDIR,          "ISDIR" },
    { XSAN_STATUS_INVAL,          "INVAL" },
    { XSAN_STATUS_NOSPC,          "NOSPC" },
    { XSAN_STATUS_NAMETOOLONG,    "NAMETOOLONG" },
    { XSAN_STATUS_NOTEMPTY,       "NOTEMPTY" },
    { XSAN_STATUS_STALE,          "STALE" },
    { XSAN_STATUS_BAD_SESSION,    "BAD_SESSION" },
    { XSAN_STATUS_NOT_MOUNTED,    "NOT_MOUNTED" },
    { XSAN_STATUS_TOKEN_CONFLICT, "TOKEN_CONFLICT" },
    { XSAN_STATUS_LOCK_CONFLICT,  "LOCK_CONFLICT" },
    { XSAN_STATUS_NOT_ACTIVE,     "NOT_ACTIVE" },
    { XSAN_STATUS_VOTE_REJECTED,  "VOTE_REJECTED" },
    { XSAN_STATUS_BAD_VERSION,    "BAD_VERSION" },
    { XSAN_STATUS_QUOTA_EXCEEDED, "QUOTA_EXCEEDED" },
    { 0, NULL }
};

const value_string xsan_file_type_vals[] = {
    { 1, "FILE" }, { 2, "DIRECTORY" }, { 3, "SYMLINK" }, { 0, NULL }
};
const value_string xsan_token_class_vals[] = {
    { XSAN_TOKEN_CLASS_ATTR, "ATTR" }, { XSAN_TOKEN_CLASS_DATA, "DATA" },
    { XSAN_TOKEN_CLASS_DIRECTORY, "DIRECTORY" }, { 0, NULL }
};
const value_string xsan_token_mode_vals[] = {
    { XSAN_TOKEN_MODE_SHARED, "SHARED" }, { XSAN_TOKEN_MODE_EXCLUSIVE, "EXCLUSIVE" }, { 0, NULL }
};
const value_string xsan_revoke_reason_vals[] = {
    { 1, "CONFLICT" }, { 2, "LEASE_EXPIRED" }, { 3, "ADMIN" }, { 0, NULL }
};
const value_string xsan_lock_type_vals[] = {
    { 1, "READ" }, { 2, "WRITE" }, { 0, NULL }
};
const value_string xsan_fsm_state_vals[] = {
    { 1, "STANDBY" }, { 2, "ACTIVE" }, { 3, "STOPPED" }, { 0, NULL }
};

const char *
xsan_opcode_name(wmem_allocator_t *scope, uint16_t opcode)
{
    const char *name = try_val_to_str(opcode, xsan_opcode_vals);
    return name ? name : wmem_strdup_printf(scope, "0x%04x", opcode);
}
