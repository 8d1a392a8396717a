/* fuzz-xsan.c
 * libFuzzer harness for the Xsan dissector, in the manner of Wireshark's
 * fuzzshark: the plugin's sources are compiled into this program (with the
 * sanitizers), registered through their own plugin_register() before
 * epan_init(), and every input is dissected as real frames by libwireshark.
 *
 * Unlike fuzzshark, an input is a short capture of its own: frames of one
 * TCP connection (XSAN_FUZZ_TCP) or one UDP flow (XSAN_FUZZ_UDP), wrapped in
 * synthetic Ethernet/IPv4/TCP|UDP headers, dissected in one or two passes
 * like tshark [-2]. That reaches what a single payload cannot: TCP
 * desegmentation, fragment reassembly across frames, conversations, the
 * second pass. An epan session costs ~60 ms and ~10 MB that 4.0 never gives
 * back, so one session serves many inputs (like fuzzshark's), and each input
 * gets a client address of its own: no conversation, TCP stream or
 * reassembly is shared between inputs, and a crash reproduces from its file
 * alone. The session is renewed every XSAN_FUZZ_SESSION_INPUTS inputs.
 *
 * Input layout (see fuzz/seeds.py, which writes seeds in it):
 *   byte 0         options
 *     bit 0          port: 0 = 60868 (registered port), 1 = 50123/49500
 *                    (no port dissector: the heuristic decides)
 *     bit 1          second pass over all frames (tshark -2)
 *     bit 2          first pass builds a visible tree (tshark -V)
 *   then records   [flags:1][length:2, big-endian][payload:length]
 *     flags bit 0    direction: 0 client -> server, 1 server -> client
 *     flags bit 1    TCP: resend the previous segment's sequence number
 *                    (a retransmission or overlap)
 *   A record whose length runs past the end takes what is there; fewer
 *   than 3 bytes left become a last record from the client. At most 64
 *   frames per input.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wireshark.h>
#include <epan/epan.h>
#include <epan/epan_dissect.h>
#include <epan/prefs.h>
#include <epan/column.h>
#include <epan/column-info.h>
#include <epan/proto.h>
#include <epan/tvbuff.h>
#include <epan/timestamp.h>
#include <wiretap/wtap.h>
#include <wsutil/filesystem.h>
#include <wsutil/privileges.h>
#include <wsutil/wslog.h>

#if defined(__has_include)
#if __has_include(<sanitizer/lsan_interface.h>)
#include <sanitizer/lsan_interface.h>
#define XSAN_HAVE_LSAN 1
#endif
#endif

#if !defined(XSAN_FUZZ_TCP) && !defined(XSAN_FUZZ_UDP)
#error "define XSAN_FUZZ_TCP or XSAN_FUZZ_UDP"
#endif

/* From the plugin (plugin.c), compiled into this program. */
void plugin_register(void);

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

#define MAX_FRAMES    64
#define MAX_PAYLOAD   65000             /* fits an IPv4 total length */
#define HDRS_TCP      (14 + 20 + 20)
#define HDRS_UDP      (14 + 20 + 8)
#define PORT_XSAN     60868
#define PORT_HEUR_TCP 50123
#define PORT_HEUR_UDP 49500
#define PORT_CLIENT   52633
#define XSAN_FUZZ_SESSION_INPUTS 5000

static e_prefs *fuzz_prefs;
static column_info fuzz_cinfo;

typedef struct {
    guint8 *data;
    guint32 len;
    nstime_t ts;
    frame_data fd;
} fuzz_frame_t;

static fuzz_frame_t frames[MAX_FRAMES];
static guint n_frames;
static guint32 frame_base;      /* frames of earlier inputs in this session */
static guint32 input_no;        /* inputs in this session */
static epan_t *fuzz_epan;

static const nstime_t *
fuzz_get_frame_ts(struct packet_provider_data *prov _U_, guint32 num)
{
    static const nstime_t zero;
    if (num > frame_base && num <= frame_base + n_frames)
        return &frames[num - frame_base - 1].ts;
    return &zero;
}

static const struct packet_provider_funcs fuzz_funcs = {
    fuzz_get_frame_ts, NULL, NULL, NULL
};

static void
put16(guint8 *p, guint16 v)
{
    p[0] = (guint8)(v >> 8);
    p[1] = (guint8)v;
}

static void
put32(guint8 *p, guint32 v)
{
    p[0] = (guint8)(v >> 24);
    p[1] = (guint8)(v >> 16);
    p[2] = (guint8)(v >> 8);
    p[3] = (guint8)v;
}

/* Ethernet + IPv4 (+ TCP or UDP) around payload; checksums are left 0
 * (Wireshark does not verify them by default). */
static guint8 *
build_frame(const guint8 *payload, guint32 plen, gboolean from_server, guint16 server_port,
            guint32 client, guint32 seq, guint32 ack, guint32 *out_len)
{
    static const guint8 mac_c[6] = { 0x00, 0x1b, 0x63, 0xb3, 0x00, 0x43 };
    static const guint8 mac_s[6] = { 0x00, 0x1b, 0x63, 0xa0, 0x00, 0x10 };
    /* 10.64.0.0/10: one client address per input of the session */
    const guint8 ip_c[4] = { 10, (guint8)(64 + ((client >> 16) & 63)), (guint8)(client >> 8), (guint8)client };
    static const guint8 ip_s[4] = { 10, 20, 30, 10 };
#ifdef XSAN_FUZZ_TCP
    const guint32 l4 = 20;
    const guint8 proto = 6;
#else
    const guint32 l4 = 8;
    const guint8 proto = 17;
#endif
    guint32 total = 14 + 20 + l4 + plen;
    guint8 *f = g_malloc0(total);
    guint8 *ip = f + 14, *th = ip + 20;
    guint16 sport = from_server ? server_port : PORT_CLIENT;
    guint16 dport = from_server ? PORT_CLIENT : server_port;

    memcpy(f, from_server ? mac_c : mac_s, 6);
    memcpy(f + 6, from_server ? mac_s : mac_c, 6);
    put16(f + 12, 0x0800);
    ip[0] = 0x45;
    put16(ip + 2, (guint16)(20 + l4 + plen));
    put16(ip + 6, 0x4000);          /* DF */
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, from_server ? ip_s : ip_c, 4);
    memcpy(ip + 16, from_server ? ip_c : ip_s, 4);
    put16(th, sport);
    put16(th + 2, dport);
#ifdef XSAN_FUZZ_TCP
    put32(th + 4, seq);
    put32(th + 8, ack);
    th[12] = 5 << 4;
    th[13] = 0x18;                  /* PSH, ACK */
    put16(th + 14, 65535);
#else
    (void)seq;
    (void)ack;
    put16(th + 4, (guint16)(8 + plen));
#endif
    memcpy(f + 14 + 20 + l4, payload, plen);
    *out_len = total;
    return f;
}

/* Every item's label, as tshark -V prints them. */
static void
fill_labels(proto_node *node, gpointer data _U_)
{
    field_info *fi = PNODE_FINFO(node);
    if (fi) {
        gchar label[ITEM_LABEL_LENGTH];
        if (fi->rep)
            (void)strlen(fi->rep->representation);
        else
            proto_item_fill_label(fi, label);
    }
    proto_tree_children_foreach(node, fill_labels, NULL);
}

static void
dissect_all(epan_t *epan, gboolean tree, gboolean visible, gboolean columns)
{
    frame_data *prev_dis = NULL;
    const frame_data *ref = NULL;
    nstime_t elapsed = NSTIME_INIT_ZERO;
    guint32 cum_bytes = 0;

    for (guint i = 0; i < n_frames; i++) {
        fuzz_frame_t *fr = &frames[i];
        epan_dissect_t *edt = epan_dissect_new(epan, tree, visible);
        wtap_rec rec;

        wtap_rec_init(&rec);
        rec.rec_type = REC_TYPE_PACKET;
        rec.presence_flags = WTAP_HAS_TS | WTAP_HAS_CAP_LEN;
        rec.ts = fr->ts;
        rec.tsprec = WTAP_TSPREC_USEC;
        rec.rec_header.packet_header.caplen = fr->len;
        rec.rec_header.packet_header.len = fr->len;
        rec.rec_header.packet_header.pkt_encap = WTAP_ENCAP_ETHERNET;

        if (!fr->fd.visited)
            frame_data_init(&fr->fd, frame_base + i + 1, &rec, 0, cum_bytes);
        frame_data_set_before_dissect(&fr->fd, &elapsed, &ref, prev_dis);
        tvbuff_t *tvb = tvb_new_real_data(fr->data, fr->len, fr->len);
        epan_dissect_run(edt, WTAP_FILE_TYPE_SUBTYPE_UNKNOWN, &rec, tvb, &fr->fd,
                         columns ? &fuzz_cinfo : NULL);
        if (columns)
            epan_dissect_fill_in_columns(edt, FALSE, TRUE);
        if (tree && visible && edt->tree)
            fill_labels(edt->tree, NULL);
        frame_data_set_after_dissect(&fr->fd, &cum_bytes);
        fr->fd.visited = 1;
        prev_dis = &fr->fd;
        epan_dissect_free(edt);
        wtap_rec_cleanup(&rec);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
    if (size < 1)
        return 0;
    guint8 opts = buf[0];
    gboolean heur = (opts & 1) != 0;
    gboolean two_pass = (opts & 2) != 0;
    gboolean first_tree = (opts & 4) != 0;
#ifdef XSAN_FUZZ_TCP
    guint16 server_port = heur ? PORT_HEUR_TCP : PORT_XSAN;
#else
    guint16 server_port = heur ? PORT_HEUR_UDP : PORT_XSAN;
#endif
    guint32 next_seq[2] = { 0x10000000u, 0x20000000u };
    guint32 last_seq[2] = { 0x10000000u, 0x20000000u };
    size_t off = 1;

    n_frames = 0;
    while (off < size && n_frames < MAX_FRAMES) {
        guint8 rflags = 0;
        size_t plen;
        if (size - off < 3) {
            plen = size - off;
        } else {
            rflags = buf[off];
            plen = ((size_t)buf[off + 1] << 8) | buf[off + 2];
            off += 3;
            plen = MIN(plen, size - off);
        }
        plen = MIN(plen, MAX_PAYLOAD);
        int dir = rflags & 1;
        guint32 seq = (rflags & 2) ? last_seq[dir] : next_seq[dir];
        fuzz_frame_t *fr = &frames[n_frames];
        memset(fr, 0, sizeof *fr);
        fr->data = build_frame(buf + off, (guint32)plen, dir == 1, server_port, input_no, seq,
                               next_seq[!dir], &fr->len);
        fr->ts.secs = 1732406400 + n_frames / 1000;
        fr->ts.nsecs = (int)(n_frames % 1000) * 1000000;
        last_seq[dir] = seq;
        if (seq + plen > next_seq[dir] || !(rflags & 2))
            next_seq[dir] = seq + (guint32)plen;
        off += plen;
        n_frames++;
    }

    if (!fuzz_epan || input_no >= XSAN_FUZZ_SESSION_INPUTS) {
        /* What 4.0 loses in a session's end and start is not ours. */
#ifdef XSAN_HAVE_LSAN
        __lsan_disable();
#endif
        if (fuzz_epan)
            epan_free(fuzz_epan);
        fuzz_epan = epan_new(NULL, &fuzz_funcs);
#ifdef XSAN_HAVE_LSAN
        __lsan_enable();
#endif
        input_no = 0;
        frame_base = 0;
    }
    dissect_all(fuzz_epan, first_tree || !two_pass, first_tree || !two_pass, !two_pass);
    if (two_pass)
        dissect_all(fuzz_epan, TRUE, TRUE, TRUE);

    for (guint i = 0; i < n_frames; i++) {
        frame_data_destroy(&frames[i].fd);
        g_free(frames[i].data);
    }
    frame_base += n_frames;
    n_frames = 0;
    input_no++;
    return 0;
}

int
LLVMFuzzerInitialize(int *argc _U_, char ***argv)
{
    /* No profile of the user's, wmem straight on malloc (so ASan sees
     * overflows of pool allocations), glib without slices. */
    g_setenv("XDG_CACHE_HOME", "/nonexistent/xsan-fuzz", TRUE);
    g_setenv("XDG_CONFIG_HOME", "/nonexistent/xsan-fuzz", TRUE);
    g_setenv("XDG_DATA_HOME", "/nonexistent/xsan-fuzz", TRUE);
    g_setenv("WIRESHARK_DEBUG_WMEM_OVERRIDE", "simple", TRUE);
    g_setenv("G_SLICE", "always-malloc", TRUE);
    g_set_prgname("fuzz-xsan");

    ws_log_init("fuzz-xsan", NULL);
    ws_log_set_level(LOG_LEVEL_CRITICAL);
    init_process_policies();
    char *err = configuration_init((*argv)[0], NULL);
    if (err) {
        fprintf(stderr, "fuzz-xsan: configuration_init: %s\n", err);
        g_free(err);
    }
    timestamp_set_type(TS_RELATIVE);
    timestamp_set_precision(TS_PREC_AUTO);
    timestamp_set_seconds_type(TS_SECONDS_DEFAULT);

    wtap_init(FALSE);
    /* The plugin registers itself as when libwsutil's loader finds it;
     * no plugin is loaded from disk (an installed xsan.so would clash). */
    /* Registration allocates for the life of the process; what it loses
     * (once, not per packet) is not what this fuzzer hunts. See
     * fuzz/findings/README.md for the one it has. */
#ifdef XSAN_HAVE_LSAN
    __lsan_disable();
#endif
    plugin_register();
    gboolean ok = epan_init(NULL, NULL, FALSE);
#ifdef XSAN_HAVE_LSAN
    __lsan_enable();
#endif
    if (!ok) {
        fprintf(stderr, "fuzz-xsan: epan_init failed\n");
        abort();
    }
    fuzz_prefs = epan_load_settings();
    if (proto_get_id_by_filter_name("xsan") < 0) {
        fprintf(stderr, "fuzz-xsan: the xsan protocol is not registered\n");
        abort();
    }
    build_column_format_array(&fuzz_cinfo, fuzz_prefs->num_cols, TRUE);
    return 0;
}
