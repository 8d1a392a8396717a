/* xsan-analysis.h
 * Shared by the analysis files: xsan-state.c (matching and sessions) is the
 * hub that calls xsan-names.c (paths), xsan-tokens.c (tokens and locks)
 * and xsan-failover.c (heartbeats and elections); xsan-analysis.c holds
 * the helpers all of them use and calls none of them. Calls go that way
 * only. Not used by the rest of the plugin.
 *
 * Every analysis works in two steps: on the first pass it reads the message,
 * updates file-scope state and writes what the message should show into the
 * message's frame record (xsan_frame_t); in every pass it shows that record.
 * So a frame shows the same thing in every pass, whatever came after it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef XSAN_ANALYSIS_H
#define XSAN_ANALYSIS_H

#include "xsan-msg.h"

#include <epan/expert.h>

/* Bounds on hostile input. */
#define XSAN_MAX_OPEN_CALLS   4096    /* unanswered requests per conversation */
#define XSAN_MAX_NAMES        65536   /* inode names per volume */
#define XSAN_MAX_TOKENS       4096    /* live tokens per FSM */
#define XSAN_MAX_SESSIONS     1024    /* sessions per FSM */
#define XSAN_MAX_HOSTS        1024    /* heartbeat senders */
#define XSAN_MAX_ELECTIONS    1024    /* failover events */
#define XSAN_MAX_PATH_DEPTH   256     /* components in one path */

typedef struct xsan_token xsan_token_t;
typedef struct xsan_volume xsan_volume_t;

/* One FSM: a server address and port. Session ids and token ids are its own. */
typedef struct xsan_fsm {
    wmem_map_t *sessions;       /* uint32_t session -> xsan_volume_t */
    wmem_map_t *tokens;         /* uint64_t token id -> xsan_token_t (live ones) */
    wmem_map_t *tokens_by_inode;    /* uint64_t inode -> its live tokens (xsan-tokens.c) */
    unsigned    n_tokens;
    bool        sessions_full, tokens_full;
} xsan_fsm_t;

/* One TCP connection or UDP address/port pair. */
typedef struct xsan_conv {
    wmem_map_t *calls;          /* xid -> its calls (xsan_call_t chain, newest first) */
    unsigned    n_open;         /* calls without a response */
    bool        calls_full;     /* the cap was hit and said so */
    xsan_fsm_t *fsm;            /* the server side, once a call showed it */
    uint32_t    lease_secs;     /* from this connection's HELLO response; 0 unknown */
    const char *client[2];      /* requester's address as text, by request direction */
    address     client_addr[2]; /* the address it was made from */
} xsan_conv_t;

/* What a request said that the analysis of its response needs. Only the
 * opcodes that use it get one (xsan_call_req_wanted), and it is freed once
 * nothing can read it any more (after the first response, mostly). */
typedef struct xsan_call_req {
    const char *volume;         /* MOUNT, ELECTION_VOTE */
    const char *name, *new_name;
    uint64_t    inode, parent, new_parent;
    uint64_t    offset, length;
    uint32_t    owner;
    uint32_t    epoch;          /* ELECTION_VOTE */
    uint8_t     tclass, tmode, lock_type;
    uint8_t     has_inode, has_parent, has_new_parent;
} xsan_call_req_t;

/* One request and its first response. Kept for the whole file (the frames
 * of both point to it), so it holds only what every pass shows. */
typedef struct xsan_call {
    struct xsan_call *same_xid; /* the conversation's other calls with this xid */
    uint16_t    opcode;         /* with the xid and direction, what finds the call */
    uint8_t     req_dir;
    uint32_t    req_frame;      /* frame completing the first copy */
    uint32_t    rsp_frame;      /* frame completing the first response; 0 none yet */
    nstime_t    req_time;
    nstime_t    rsp_time;
    const char *client;         /* requester's address (shared by the conversation) */
    const char *volume;         /* session volume at the request (frame records) */
    const char *path, *new_path;    /* what the analysis found at the request */
    xsan_call_req_t *req;       /* what the request said; NULL when not needed (any more) */
    xsan_token_t *token;        /* TOKEN_ACQUIRE: what it was granted */
} xsan_call_t;

typedef enum {
    XSAN_ROLE_REQUEST = 1,      /* first copy of a request */
    XSAN_ROLE_RETRANSMISSION,   /* another copy */
    XSAN_ROLE_UNTRACKED,        /* request not tracked: the cap was hit */
    XSAN_ROLE_RESPONSE,         /* first response */
    XSAN_ROLE_REPEATED,         /* another response to an answered request */
    XSAN_ROLE_ORPHAN,           /* response with no request */
    XSAN_ROLE_NOTIFY
} xsan_role_t;

/* Caps hit in a message, said once each. */
#define XSAN_CAP_CALLS      0x01
#define XSAN_CAP_NAMES      0x02
#define XSAN_CAP_TOKENS     0x04
#define XSAN_CAP_SESSIONS   0x08
#define XSAN_CAP_HOSTS      0x10
#define XSAN_CAP_ELECTIONS  0x20

struct xsan_token_view;
struct xsan_hb_view;
struct xsan_fo_view;

/* What one message shows, decided on the first pass. The analyses fill it
 * on the stack; xsan-state.c stores it compactly (most messages need only
 * role, call and volume) and rebuilds it in later passes. */
typedef struct xsan_frame {
    xsan_role_t  role;
    xsan_call_t *call;
    uint32_t     retrans_of;    /* frame of the first copy; 0 unknown */
    uint32_t     caps;          /* XSAN_CAP_* hit here */
    const char  *volume;        /* of the session */
    const char  *path, *new_path;
    bool         lock_conflict;
    uint64_t     lock_inode;
    struct xsan_token_view *tok;
    struct xsan_hb_view    *hb;
    struct xsan_fo_view    *fo;
} xsan_frame_t;

/* A message on its first pass. */
typedef struct xsan_ctx {
    packet_info       *pinfo;
    const xsan_msg_t  *msg;
    xsan_conv_t       *conv;
    xsan_call_t       *call;    /* matched call; NULL for notify and orphans */
    xsan_volume_t     *vol;     /* volume of the message's session, or NULL */
    xsan_frame_t      *fr;
} xsan_ctx_t;

/* Volume by name, created on first use (xsan-names.c). */
xsan_volume_t *xsan_volume_get(const char *name);
const char *xsan_volume_name(const xsan_volume_t *vol);
void xsan_volume_set_root(xsan_volume_t *vol, uint64_t root);

/* Helpers (xsan-analysis.c). */
void xsan_analysis_init(void);

/* The integer value of a tag directly in the message's body, or false. */
bool xsan_body_u64(const xsan_msg_t *msg, uint16_t tag, uint64_t *out);

/* Hash of a uint64_t key (both halves, seeded per run; cheaper than
 * wmem_int64_hash, which runs the byte-wise strong hash). */
unsigned xsan_u64_hash(const void *key);

/* Each analysis: register fields, first-pass analysis, every-pass display. */
void xsan_names_register(int proto);
void xsan_names_analyse(xsan_ctx_t *c);
void xsan_names_show(packet_info *pinfo, const xsan_msg_t *msg, const xsan_frame_t *fr);

void xsan_tokens_register(int proto);
/* Lock conflicts always; token life only when track_tokens. */
void xsan_tokens_analyse(xsan_ctx_t *c, bool track_tokens);
void xsan_tokens_show(packet_info *pinfo, const xsan_msg_t *msg, const xsan_frame_t *fr);

void xsan_failover_register(int proto);
void xsan_failover_analyse(xsan_ctx_t *c);
void xsan_failover_show(packet_info *pinfo, const xsan_msg_t *msg, const xsan_frame_t *fr);

#endif /* XSAN_ANALYSIS_H */
