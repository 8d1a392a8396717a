# SPDX-License-Identifier: GPL-2.0-or-later
"""Decoder rules: cases that random traffic found (issue 16) and the rules
docs/protocol.md chose where the model is silent. Each frame that matters is
commented; cap.labels maps a case key to it (the frame where it ends).

  fragments-order   pieces joined by xid and opcode per direction (two
                    messages with one xid interleaved), UDP pieces out of
                    order, and gaps that never fill
  strings           invalid UTF-8 and embedded NULs: notes, not Malformed
  decoder-rules     what follows a malformed attribute, unknown tags with
                    the group bit, a UDP body_len past its datagram, bytes on
                    a TCP stream that do not start with the magic
"""
import struct

from . import cast
from .net import Capture
from .vectors import SESSION, counter, ok
from .wire import Op, Tag, attr, fragment, group, header, message, raw_attr

A, G = attr, group
SRV = 60868


class _Labelled:
    def __init__(self, seed, v6=False):
        self.cap = Capture(seed=seed)
        self.cap.labels = {}
        self.h = cast.hosts(v6)

    def tcp(self, conn, side, msgs, key=None, comment=None):
        frames = conn.send_msgs(side, msgs, coalesce=True, comment=comment)
        if key:
            self.cap.labels[key] = frames[-1]
        self.cap.advance(1, jitter_us=300)
        return frames

    def raw(self, conn, side, data, key=None, comment=None):
        frames = conn.send(side, data, comment)
        if key:
            self.cap.labels[key] = frames[-1]
        self.cap.advance(1, jitter_us=300)
        return frames

    def udp(self, msgs, key=None, comment=None, src="bay", dst="mdc", sport=52840):
        n = self.cap.udp_msgs(self.h[src], self.h[dst], sport, SRV, msgs, comment)
        if key:
            self.cap.labels[key] = n
        self.cap.advance(1, jitter_us=300)
        return n


# ---------------------------------------------------------------- fragments

FRAGS = {
    "same_xid_stats_0": "STATS piece 0 (xid 0x4242)",
    "same_xid_setattr_0": "SETATTR piece 0, same xid 0x4242",
    "same_xid_stats_last": "STATS last piece: STATS decoded here",
    "same_xid_setattr_1": "SETATTR piece 1",
    "same_xid_setattr_last": "SETATTR last piece: SETATTR decoded here",
    "same_xid_one_segment": "READDIR and STATS responses, xid 0x4343, all pieces interleaved in one segment",
    "udp_0": "FSM_QUERY response piece 0 of 3",
    "udp_2": "piece 2 (the last) before piece 1: no warning, the gap fills",
    "udp_1": "piece 1: the message is complete and decoded here",
    "udp_gap": "pieces 0 and 2 of a HEARTBEAT: piece 1 never comes",
    "tcp_no_last": "pieces 0 and 1 of a READDIR response; the last never comes",
    "retry_gap_first": "FSM_REGISTER pieces 0 and 2: piece 1 was lost",
    "retry_gap_done": "the request sent again with 'retry', all 3 pieces: decoded here",
}


def _stats_counters(n):
    return [counter(f"ops.{i:02d}.count", 1000 + i) for i in range(n)]


def build_fragments_order():
    s = _Labelled(61)
    h = s.h
    c = s.cap.tcp_conn(h["admin"], h["mdc"], 53601, SRV)
    c.open()
    # the case: two fragmented requests with one xid, interleaved
    stats = fragment(Op.STATS, 0x4242, [A(Tag.VOLUME, "MediaVol/" + "x" * 40)], 30,
                     session=SESSION)
    setattr_ = fragment(Op.SETATTR, 0x4242, [A(Tag.INODE, 5014), A(Tag.ATTR_MASK, 0x11),
                                              A(Tag.MODE, 0o100644), A(Tag.MTIME, 1732406400 * 10**9)],
                        15, session=SESSION)
    assert len(stats) == 2 and len(setattr_) == 3
    for key, piece in (("same_xid_stats_0", stats[0]), ("same_xid_setattr_0", setattr_[0]),
                       ("same_xid_stats_last", stats[1]), ("same_xid_setattr_1", setattr_[1]),
                       ("same_xid_setattr_last", setattr_[2])):
        s.tcp(c, "c", [piece], key, FRAGS[key])
    s.tcp(c, "s", [message(Op.STATS, 0x4242, ok(*_stats_counters(2)), response=True,
                           session=SESSION),
                   message(Op.SETATTR, 0x4242, ok(), response=True, session=SESSION)])
    # both complete in one frame: each is decoded once, with its own body
    rd = fragment(Op.READDIR, 0x4343, ok(A(Tag.COOKIE, 7), A(Tag.EOF, True)), 9,
                  response=True, session=SESSION)
    st = fragment(Op.STATS, 0x4343, ok(*_stats_counters(1)), 16, response=True, session=SESSION)
    mixed = [p for pair in zip(rd, st) for p in pair] + rd[len(st):] + st[len(rd):]
    s.tcp(c, "s", mixed, "same_xid_one_segment", FRAGS["same_xid_one_segment"])
    # a READDIR response whose last piece never comes
    p = fragment(Op.READDIR, 0x4444, ok(A(Tag.COOKIE, 9), A(Tag.EOF, True)), 10,
                 response=True, session=SESSION)
    s.tcp(c, "s", [p[0]])
    s.tcp(c, "s", [p[1]], "tcp_no_last", FRAGS["tcp_no_last"])
    c.close()
    s.cap.advance(10)

    # UDP: datagrams reordered on the way
    q = fragment(Op.FSM_QUERY, 0x5151, ok(A(Tag.IPV4, "10.20.30.10"), A(Tag.PORT, 60868),
                                           A(Tag.FSM_STATE, 2), A(Tag.PRIORITY, 0)), 12,
                 response=True)
    assert len(q) == 3
    for key, piece in (("udp_0", q[0]), ("udp_2", q[2]), ("udp_1", q[1])):
        s.udp([piece], key, FRAGS[key], src="mdc", dst="bay")
    hb = fragment(Op.HEARTBEAT, 0x5252, [A(Tag.HOSTNAME, "edit-bay-03.local"),
                                         A(Tag.HB_SEQ, 41), A(Tag.UPTIME, 86400)], 14)
    assert len(hb) == 3
    s.udp([hb[0]])
    s.udp([hb[2]], "udp_gap", FRAGS["udp_gap"])
    # a piece lost, the request sent again: the copy is another message
    attrs = [A(Tag.VOLUME, "MediaVol"), A(Tag.PORT, 60870), A(Tag.PRIORITY, 1), A(Tag.FSM_STATE, 1)]
    first = fragment(Op.FSM_REGISTER, 0x5353, attrs, 12)
    again = fragment(Op.FSM_REGISTER, 0x5353, attrs, 12, retry=True)
    assert len(first) == 3
    s.udp([first[0]], src="mdc2", sport=52841)
    s.udp([first[2]], "retry_gap_first", FRAGS["retry_gap_first"], src="mdc2", sport=52841)
    s.udp([again[0]], src="mdc2", sport=52841)
    s.udp([again[1]], src="mdc2", sport=52841)
    s.udp([again[2]], "retry_gap_done", FRAGS["retry_gap_done"], src="mdc2", sport=52841)
    return s.cap


# ---------------------------------------------------------------- strings

STRINGS = {
    "bad_utf8": "NAME with invalid UTF-8 (clip\\xff.mov)",
    "nul_name": "NAME with an embedded NUL (valid UTF-8): clip\\0.mov",
    "nul_backslash": "NAME with a NUL and a backslash: a\\0b\\c",
    "nul_udp": "HOSTNAME with an embedded NUL in a HEARTBEAT",
}


def build_strings():
    s = _Labelled(62)
    c = s.cap.tcp_conn(s.h["bay"], s.h["mdc"], 53602, SRV)
    c.open()
    for key, name, xid in (("bad_utf8", b"clip\xff.mov", 0x61), ("nul_name", b"clip\x00.mov", 0x62),
                           ("nul_backslash", b"a\x00b\\c", 0x63)):
        s.tcp(c, "c", [message(Op.LOOKUP, xid, [A(Tag.PARENT_INODE, 2), A(Tag.NAME, name)],
                               session=SESSION)], key, STRINGS[key])
    c.close()
    s.udp([message(Op.HEARTBEAT, 0x64, [A(Tag.HOSTNAME, b"mdc\x00a"), A(Tag.HB_SEQ, 5)])],
          "nul_udp", STRINGS["nul_udp"])
    return s.cap


# ---------------------------------------------------------------- silent cases

RULES = {
    "after_bad_length": "INODE of 3 bytes, then UID: UID is decoded",
    "after_too_deep": "EXTENT nested 5 deep, then COOKIE: COOKIE is decoded",
    "after_past_group": "NAME runs past its DIRENT, then COOKIE after the group: decoded",
    "unknown_group": "unknown tag 0x8999 (group bit): shown raw, members decoded as a group",
    "unknown_group_bad": "unknown group 0x8998 whose member runs past it",
    "udp_body_past": "UDP: body_len 40, the datagram holds 22 body bytes",
    "junk_then_msg": "TCP: 10 bytes without the magic, then a whole message, one segment",
    "junk_short": "TCP: 5 bytes without the magic, alone in a segment",
    "after_junk_short": "the message after the 5 bytes, in the next segment",
    "msg_then_junk": "TCP: a message, then 3 bytes without the magic",
    "after_msg_then_junk": "the message after the 3 bytes, in the next segment",
    "junk_then_partial": "TCP: 7 bytes without the magic, then the first 10 bytes of a message",
    "partial_rest": "the rest of that message",
}


def build_decoder_rules():
    s = _Labelled(63)
    c = s.cap.tcp_conn(s.h["bay"], s.h["mdc"], 53603, SRV)
    c.open()
    m = lambda op, xid, attrs, **kw: message(op, xid, attrs, session=SESSION, **kw)  # noqa: E731
    s.tcp(c, "c", [m(Op.GETATTR, 0x71, [A(Tag.INODE, b"\x00\x04\x12"), A(Tag.UID, 501)])],
          "after_bad_length", RULES["after_bad_length"])
    deep = [A(Tag.STRIPE_GROUP, 1)]
    for _ in range(5):
        deep = [G(Tag.EXTENT, deep)]
    s.tcp(c, "s", [m(Op.GET_EXTENTS, 0x72, ok(*deep, A(Tag.COOKIE, 0x72)), response=True)],
          "after_too_deep", RULES["after_too_deep"])
    inner = bytes(A(Tag.INODE, 3001)) + struct.pack(">HH", Tag.NAME, 9) + b"ab"
    bad_dirent = raw_attr(struct.pack(">HH", Tag.DIRENT, len(inner)) + inner)
    s.tcp(c, "s", [m(Op.READDIR, 0x73, ok(bad_dirent, A(Tag.COOKIE, 0x73)), response=True)],
          "after_past_group", RULES["after_past_group"])
    s.tcp(c, "c", [m(Op.GETATTR, 0x74, [A(0x8999, bytes(A(Tag.INODE, 4242) + A(Tag.NAME, "member"))),
                                        A(Tag.UID, 502)])],
          "unknown_group", RULES["unknown_group"])
    s.tcp(c, "c", [m(Op.GETATTR, 0x75, [A(0x8998, struct.pack(">HH", Tag.NAME, 50) + b"ab"),
                                        A(Tag.UID, 503)])],
          "unknown_group_bad", RULES["unknown_group_bad"])
    # bytes that do not start with the magic
    ka = lambda xid: m(Op.KEEPALIVE, xid, [])  # noqa: E731
    s.raw(c, "c", b"\x00junk\x01\x02\x03\x04\x05" + ka(0x76), "junk_then_msg", RULES["junk_then_msg"])
    s.raw(c, "c", b"\xffjunk", "junk_short", RULES["junk_short"])
    s.tcp(c, "c", [ka(0x77)], "after_junk_short", RULES["after_junk_short"])
    s.raw(c, "c", ka(0x78) + b"\x01\x02\x03", "msg_then_junk", RULES["msg_then_junk"])
    s.tcp(c, "c", [ka(0x79)], "after_msg_then_junk", RULES["after_msg_then_junk"])
    whole = bytes(m(Op.LOOKUP, 0x7A, [A(Tag.PARENT_INODE, 2), A(Tag.NAME, "after-junk.mov")]))
    s.raw(c, "c", b"\x00garbag" + whole[:10], "junk_then_partial", RULES["junk_then_partial"])
    s.raw(c, "c", whole[10:], "partial_rest", RULES["partial_rest"])
    c.close()
    body = bytes(A(Tag.HB_SEQ, 9)) + bytes(A(Tag.HOSTNAME, "edit-bay-0"))[:10]
    s.cap.labels["udp_body_past"] = s.cap.udp(s.h["bay"], s.h["mdc"], 52840, SRV,
                                              header(Op.HEARTBEAT, 0x7B, 0, 40) + body,
                                              comment=RULES["udp_body_past"])
    return s.cap


CASES = {
    "fragments-order.pcapng": FRAGS,
    "strings.pcapng": STRINGS,
    "decoder-rules.pcapng": RULES,
}

CAPTURES = {
    "fragments-order.pcapng": build_fragments_order,
    "strings.pcapng": build_strings,
    "decoder-rules.pcapng": build_decoder_rules,
}
