/* xsan-failover.c
 * Name-service analysis: heartbeat gaps per host (missing HB_SEQ numbers,
 * or silence longer than three of the host's intervals), and failover
 * events: the ELECTION_VOTE rounds of one volume (one epoch each; a refused
 * round is followed by another) and the ACTIVATE that ends them, with the
 * heartbeat alarm that came before.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "xsan-analysis.h"

#include <epan/to_str.h>
#include <wsutil/str_util.h>

/* A host is silent when nothing came for more than this many intervals. */
#define SILENT_INTERVALS 3

static int hf_hb_prev_in;
static int hf_hb_since_prev;
static int hf_hb_missing;
static int hf_fo_epoch;
static int hf_fo_started_in;
static int hf_fo_activated_in;
static int hf_fo_duration;
static int hf_fo_votes;
static int hf_fo_rejections;
static int hf_fo_rounds;
static int hf_fo_alarm_in;

static expert_field ei_hb_gap;
static expert_field ei_hb_silence;
static expert_field ei_failover;

typedef struct hb_host {
    uint32_t seq;
    uint32_t frame;
    nstime_t at;
    bool has_interval;
    nstime_t interval;          /* time per HB_SEQ step, from the last two */
} hb_host_t;

typedef struct xsan_hb_view {
    uint32_t prev_in;
    nstime_t since_prev;
    uint32_t missing;           /* HB_SEQ numbers skipped */
    bool silent;
    nstime_t interval;
} xsan_hb_view_t;

typedef struct fo_event {
    uint32_t last_epoch;
    uint32_t started_in, activated_in, alarm_in;
    nstime_t started_at;
    uint32_t votes, rejections, rounds;
} fo_event_t;

typedef struct xsan_fo_view {
    fo_event_t *event;
    uint32_t    epoch;
    uint32_t    votes, rejections, rounds;  /* at an ACTIVATE: the event's totals then */
    bool        has_duration;
    nstime_t    duration;
} xsan_fo_view_t;

/* Reset with each file. */
static wmem_map_t *hosts;       /* host name or address -> hb_host_t */
static wmem_map_t *events;      /* volume -> its event, open until an ACTIVATE */
static unsigned n_events;
static bool hosts_full, events_full;
static uint32_t last_alarm_in;   /* latest heartbeat gap or silence */

static void
reset_globals(void)
{
    hosts_full = events_full = false;
    n_events = 0;
    last_alarm_in = 0;
}

static const char *
host_key(const xsan_ctx_t *c)
{
    const char *name = xsan_scope_str(c->msg->body->top, XSAN_TAG_HOSTNAME);
    return name ? name : address_to_str(c->pinfo->pool, &c->pinfo->src);
}

static void
heartbeat(xsan_ctx_t *c)
{
    uint64_t seq;
    const char *key;

    if (c->fr->role != XSAN_ROLE_REQUEST || !xsan_body_u64(c->msg, XSAN_TAG_HB_SEQ, &seq))
        return;
    key = host_key(c);
    hb_host_t *h = (hb_host_t *)wmem_map_lookup(hosts, key);
    if (!h) {
        if (wmem_map_size(hosts) >= XSAN_MAX_HOSTS) {
            if (!hosts_full) {
                hosts_full = true;
                c->fr->caps |= XSAN_CAP_HOSTS;
            }
            return;
        }
        h = wmem_new0(wmem_file_scope(), hb_host_t);
        wmem_map_insert(hosts, wmem_strdup(wmem_file_scope(), key), h);
    } else {
        xsan_hb_view_t *v = wmem_new0(wmem_file_scope(), xsan_hb_view_t);
        c->fr->hb = v;
        v->prev_in = h->frame;
        nstime_delta(&v->since_prev, &c->pinfo->abs_ts, &h->at);
        if (seq > h->seq + 1)
            v->missing = (uint32_t)(seq - h->seq - 1);
        if (h->has_interval) {
            v->interval = h->interval;
            v->silent = nstime_to_sec(&v->since_prev) > SILENT_INTERVALS * nstime_to_sec(&h->interval);
        }
        if (v->missing || v->silent)
            last_alarm_in = c->pinfo->num;
        /* The interval is the time per step; a restart (lower seq) forgets it. */
        h->has_interval = seq > h->seq;
        if (h->has_interval) {
            double step = nstime_to_sec(&v->since_prev) / (double)(seq - h->seq);
            h->interval.secs = (time_t)step;
            h->interval.nsecs = (int)((step - (double)h->interval.secs) * 1e9);
        }
    }
    h->seq = (uint32_t)seq;
    h->frame = c->pinfo->num;
    h->at = c->pinfo->abs_ts;
}

/* The open event of a volume; a vote after an ACTIVATE opens a new one. */
static fo_event_t *
event_get(xsan_ctx_t *c, const char *volume, bool create)
{
    fo_event_t *e = (fo_event_t *)wmem_map_lookup(events, volume);
    if (!create || (e && !e->activated_in))
        return e;
    if (n_events >= XSAN_MAX_ELECTIONS) {
        if (!events_full) {
            events_full = true;
            c->fr->caps |= XSAN_CAP_ELECTIONS;
        }
        return NULL;
    }
    n_events++;
    e = wmem_new0(wmem_file_scope(), fo_event_t);
    e->started_in = c->pinfo->num;
    e->started_at = c->pinfo->abs_ts;
    e->alarm_in = last_alarm_in;
    wmem_map_insert(events, wmem_strdup(wmem_file_scope(), volume), e);
    return e;
}

static xsan_fo_view_t *
fo_view(xsan_ctx_t *c, fo_event_t *e, uint32_t epoch)
{
    xsan_fo_view_t *v = wmem_new0(wmem_file_scope(), xsan_fo_view_t);
    v->event = e;
    v->epoch = epoch;
    c->fr->fo = v;
    return v;
}

/* Votes open (or join) the event of their volume; each epoch is a round. */
static void
vote(xsan_ctx_t *c)
{
    const xsan_call_req_t *call = c->call ? c->call->req : NULL;
    bool first_copy = c->fr->role == XSAN_ROLE_REQUEST;
    if (!call || !call->volume)
        return;
    fo_event_t *e = event_get(c, call->volume, first_copy);
    if (!e)
        return;
    if (first_copy) {
        e->votes++;
        if (e->rounds == 0 || e->last_epoch != call->epoch)
            e->rounds++;
        e->last_epoch = call->epoch;
    } else if (c->fr->role == XSAN_ROLE_RESPONSE && c->msg->has_status && c->msg->status != XSAN_STATUS_OK)
        e->rejections++;
    fo_view(c, e, call->epoch);
}

static void
activate(xsan_ctx_t *c)
{
    uint64_t epoch;
    const char *volume = xsan_scope_str(c->msg->body->top, XSAN_TAG_VOLUME);
    if (!volume || !xsan_body_u64(c->msg, XSAN_TAG_EPOCH, &epoch))
        return;
    fo_event_t *e = event_get(c, volume, false);
    xsan_fo_view_t *v = fo_view(c, e, (uint32_t)epoch);
    if (!e || e->activated_in)
        return;     /* an ACTIVATE with no vote seen, or a repeated one */
    e->activated_in = c->pinfo->num;
    v->votes = e->votes;
    v->rejections = e->rejections;
    v->rounds = e->rounds;
    v->has_duration = true;
    nstime_delta(&v->duration, &c->pinfo->abs_ts, &e->started_at);
}

void
xsan_failover_analyse(xsan_ctx_t *c)
{
    if (c->msg->over_tcp || !c->msg->body)
        return;
    switch (c->msg->opcode) {
    case XSAN_OP_HEARTBEAT:
        if (!XSAN_IS_RESPONSE(c->msg))
            heartbeat(c);
        break;
    case XSAN_OP_ELECTION_VOTE:
        vote(c);
        break;
    case XSAN_OP_ACTIVATE:
        if (XSAN_IS_NOTIFY(c->msg))
            activate(c);
        break;
    default:
        break;
    }
}

static void
add_uint(proto_tree *tree, int hf, const xsan_msg_t *msg, uint32_t value)
{
    proto_item *pi = proto_tree_add_uint(tree, hf, msg->tvb, 0, 0, value);
    proto_item_set_generated(pi);
}

static void
show_heartbeat(packet_info *pinfo, const xsan_msg_t *msg, const xsan_hb_view_t *v)
{
    proto_item *pi;
    add_uint(msg->tree, hf_hb_prev_in, msg, v->prev_in);
    pi = proto_tree_add_time(msg->tree, hf_hb_since_prev, msg->tvb, 0, 0, &v->since_prev);
    proto_item_set_generated(pi);
    if (v->missing) {
        add_uint(msg->tree, hf_hb_missing, msg, v->missing);
        expert_add_info_format(pinfo, msg->item, &ei_hb_gap,
                "Heartbeat gap: %u HB_SEQ number%s missing since frame %u", v->missing,
                plurality(v->missing, "", "s"), v->prev_in);
    }
    if (v->silent)
        expert_add_info_format(pinfo, msg->item, &ei_hb_silence,
                "Host silent for %.3f s, more than %d of its %.3f s intervals (since frame %u)",
                nstime_to_sec(&v->since_prev), SILENT_INTERVALS, nstime_to_sec(&v->interval), v->prev_in);
}

static void
show_failover(packet_info *pinfo, const xsan_msg_t *msg, const xsan_fo_view_t *v)
{
    const fo_event_t *e = v->event;
    uint32_t me = pinfo->num;
    proto_item *pi;

    add_uint(msg->tree, hf_fo_epoch, msg, v->epoch);
    if (!e)
        return;
    if (e->started_in != me)
        add_uint(msg->tree, hf_fo_started_in, msg, e->started_in);
    if (e->activated_in && e->activated_in != me)
        add_uint(msg->tree, hf_fo_activated_in, msg, e->activated_in);
    if (!v->has_duration)
        return;
    pi = proto_tree_add_time(msg->tree, hf_fo_duration, msg->tvb, 0, 0, &v->duration);
    proto_item_set_generated(pi);
    add_uint(msg->tree, hf_fo_votes, msg, v->votes);
    add_uint(msg->tree, hf_fo_rejections, msg, v->rejections);
    add_uint(msg->tree, hf_fo_rounds, msg, v->rounds);
    if (e->alarm_in)
        add_uint(msg->tree, hf_fo_alarm_in, msg, e->alarm_in);
    expert_add_info_format(pinfo, msg->item, &ei_failover,
            "Failover to epoch %u: %u round%s, %u vote%s (%u rejected) from frame %u, %.3f s",
            v->epoch, v->rounds, plurality(v->rounds, "", "s"), v->votes,
            plurality(v->votes, "", "s"), v->rejections, e->started_in, nstime_to_sec(&v->duration));
}

void
xsan_failover_show(packet_info *pinfo, const xsan_msg_t *msg, const xsan_frame_t *fr)
{
    if (fr->hb)
        show_heartbeat(pinfo, msg, fr->hb);
    if (fr->fo)
        show_failover(pinfo, msg, fr->fo);
}

void
xsan_failover_register(int proto)
{
    static hf_register_info hf[] = {
        { &hf_hb_prev_in, { "Previous heartbeat in", "xsan.hb.prev_in", FT_FRAMENUM, BASE_NONE,
            NULL, 0x0, "Frame of this host's previous heartbeat (host: HOSTNAME, else address)", HFILL } },
        { &hf_hb_since_prev, { "Since previous heartbeat", "xsan.hb.since_prev", FT_RELATIVE_TIME,
            BASE_NONE, NULL, 0x0, "Time since this host's previous heartbeat", HFILL } },
        { &hf_hb_missing, { "Missing heartbeats", "xsan.hb.missing", FT_UINT32, BASE_DEC, NULL, 0x0,
            "HB_SEQ numbers skipped since this host's previous heartbeat", HFILL } },
        { &hf_fo_epoch, { "Failover epoch", "xsan.failover.epoch", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Election round (EPOCH) of this vote, or the epoch an ACTIVATE ends the failover with", HFILL } },
        { &hf_fo_started_in, { "Failover started in", "xsan.failover.started_in", FT_FRAMENUM,
            BASE_NONE, NULL, 0x0,
            "First ELECTION_VOTE of this failover event (votes of one volume until its ACTIVATE)", HFILL } },
        { &hf_fo_activated_in, { "Failover activated in", "xsan.failover.activated_in",
            FT_FRAMENUM, BASE_NONE, NULL, 0x0, "ACTIVATE that ended this election", HFILL } },
        { &hf_fo_duration, { "Failover duration", "xsan.failover.duration", FT_RELATIVE_TIME,
            BASE_NONE, NULL, 0x0, "From the first ELECTION_VOTE to this ACTIVATE", HFILL } },
        { &hf_fo_votes, { "Failover votes", "xsan.failover.votes", FT_UINT32, BASE_DEC, NULL, 0x0,
            "ELECTION_VOTE requests of this failover event, all rounds", HFILL } },
        { &hf_fo_rejections, { "Failover rejections", "xsan.failover.rejections", FT_UINT32,
            BASE_DEC, NULL, 0x0, "Votes refused (non-OK responses) before this ACTIVATE", HFILL } },
        { &hf_fo_rounds, { "Failover rounds", "xsan.failover.rounds", FT_UINT32, BASE_DEC, NULL,
            0x0, "Election rounds (distinct successive epochs of its votes) of this failover event", HFILL } },
        { &hf_fo_alarm_in, { "Failover preceded by heartbeat alarm in", "xsan.failover.alarm_in",
            FT_FRAMENUM, BASE_NONE, NULL, 0x0,
            "Latest heartbeat gap or silence before the first vote", HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_hb_gap, { "xsan.expert.heartbeat_gap", PI_SEQUENCE, PI_WARN,
            "Heartbeat sequence numbers missing", EXPFILL } },
        { &ei_hb_silence, { "xsan.expert.heartbeat_silence", PI_SEQUENCE, PI_WARN,
            "Host silent for more than three heartbeat intervals", EXPFILL } },
        { &ei_failover, { "xsan.expert.failover", PI_SEQUENCE, PI_NOTE,
            "Failover: election ended by ACTIVATE", EXPFILL } },
    };
    proto_register_field_array(proto, hf, array_length(hf));
    expert_register_field_array(expert_register_protocol(proto), ei, array_length(ei));
    hosts = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_str_hash, g_str_equal);
    events = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_str_hash, g_str_equal);
    register_init_routine(reset_globals);
}
