# SPDX-License-Identifier: GPL-2.0-or-later
"""malformed.pcapng: one malformation per packet, each commented, covering
the spec's "What a decoder flags" list. cap.labels maps each case key to the
frame that carries it; CASES gives the keys and comments in order."""
from . import cast
from .net import Capture
from .vectors import SESSION, ok
from .vectors_framing import readdir_entries
from .wire import Op, Status, Tag, attr, fragment, group, message

A, G = attr, group

CASES = {  # key -> pcapng comment
    "version": "version 2: header decoded, body left undecoded",
    "hdr_long": "hdr_len 32: 8 extra header bytes, skipped (valid)",
    "attr_past_body": "attribute NAME runs past the end of the body",
    "attr_past_group": "attribute NAME runs past the end of its DIRENT group",
    "wrong_length": "INODE (u64) with a 3-byte value",
    "too_deep": "groups nested 5 deep",
    "unknown_tag": "unknown tag 0x0999, decoding goes on",
    "unknown_opcode": "unknown opcode 0x0799",
    "reserved_flags": "reserved flag bit 0x0100 set",
    "response_notify": "response and notify flags together",
    "error_no_response": "error flag without response flag",
    "error_but_ok": "error flag set but STATUS is OK",
    "status_no_error": "STATUS NOENT without the error flag",
    "no_status_first": "response whose first attribute is not STATUS",
    "bad_utf8": "NAME with invalid UTF-8",
    "frag_65": "65th piece of one fragmented message (limit 64)",
    "frag_repeat": "repeated frag_index 1",
    "frag_gap": "last piece arrives, piece 2 never does",
    "frag_big": "joined fragments over 1 MiB",
    "hdr_short": "hdr_len 16 (under 24) on TCP",
    "body_huge": "body_len 0x7fffffff (over 1 MiB) on TCP",
    "not_xsan_tcp": "not an Xsan message on TCP port 60868",
    "not_xsan_udp": "not an Xsan message on UDP port 60868",
}
# the normal messages that follow a bad header on the same connection
AFTER = {"hdr_short": "normal message after hdr_len 16",
         "body_huge": "normal message after body_len 0x7fffffff"}


def body_cases(x):
    """(key, side, message) of the cases whose framing is intact."""
    m = lambda op, attrs, **kw: message(op, x(), attrs, session=SESSION, **kw)  # noqa: E731
    ino = A(Tag.INODE, 1042)
    return [
        ("version", "c", m(Op.GETATTR, [ino], version=2)),
        ("hdr_long", "c", m(Op.GETATTR, [ino], hdr_len=32, extra_header=b"\xa5" * 8)),
        ("attr_past_body", "c", m(Op.LOOKUP, [A(Tag.PARENT_INODE, 1001),
                                              A(Tag.NAME, "clip", length=20)])),
        ("attr_past_group", "s", m(Op.READDIR, ok(G(Tag.DIRENT, [A(Tag.INODE, 3001),
                                                                A(Tag.NAME, "ab", length=10)]),
                                                  A(Tag.COOKIE, 1)), response=True)),
        ("wrong_length", "c", m(Op.GETATTR, [A(Tag.INODE, b"\x00\x04\x12"),
                                             A(Tag.UID, 501)])),
        ("too_deep", "s", m(Op.GET_EXTENTS, ok(
            G(Tag.EXTENT, [G(Tag.EXTENT, [G(Tag.EXTENT, [G(Tag.EXTENT, [
                G(Tag.EXTENT, [A(Tag.STRIPE_GROUP, 1)])])])])])), response=True)),
        ("unknown_tag", "c", m(Op.GETATTR, [A(0x0999, b"\xde\xad\xbe\xef"), ino])),
        ("unknown_opcode", "c", m(0x0799, [ino])),
        ("reserved_flags", "c", m(Op.KEEPALIVE, [], extra_flags=0x0100)),
        ("response_notify", "s", m(Op.TOKEN_REVOKE, ok(A(Tag.TOKEN_ID, 5)),
                                   response=True, notify=True)),
        ("error_no_response", "c", m(Op.GETATTR, [ino], error=True)),
        ("error_but_ok", "s", m(Op.GETATTR, ok(A(Tag.FILE_TYPE, 1)), response=True,
                                error=True)),
        ("status_no_error", "s", m(Op.LOOKUP, [A(Tag.STATUS, Status.NOENT)],
                                   response=True, error=False)),
        ("no_status_first", "s", m(Op.GETATTR, [A(Tag.FILE_TYPE, 1), A(Tag.STATUS, 0)],
                                   response=True)),
        ("bad_utf8", "c", m(Op.LOOKUP, [A(Tag.PARENT_INODE, 1001),
                                        A(Tag.NAME, b"clip\xff\xfe.mov")])),
    ]


def send(cap, conn, side, msgs, label=None, comment=None):
    """One write; the comment goes on its last segment, where the last message ends."""
    nseg = max(1, -(-sum(map(len, msgs)) // conn.mss))
    frames = conn.send_msgs(side, msgs, coalesce=True, comment=[None] * (nseg - 1) + [comment])
    if label:
        cap.labels[label] = frames[-1]
    cap.advance(3, jitter_us=2000)


def fragment_cases(cap, c, x):
    resp = dict(response=True, session=SESSION)
    # 65 pieces: pieces 0..63 in one write, the 65th alone
    p = fragment(Op.READDIR, x(), ok(*readdir_entries(30), A(Tag.COOKIE, 30)), 17, **resp)
    assert len(p) == 65
    send(cap, c, "s", p[:64], comment="pieces 0-63 of a 65-piece message")
    send(cap, c, "s", [p[64]], "frag_65", "malformed: " + CASES["frag_65"])
    # repeated frag_index 1
    p = fragment(Op.READDIR, x(), ok(*readdir_entries(4)), 60, **resp)
    send(cap, c, "s", [p[0]])
    send(cap, c, "s", [p[1]])
    send(cap, c, "s", [p[1]], "frag_repeat", "malformed: " + CASES["frag_repeat"])
    send(cap, c, "s", p[2:])
    # a gap that never fills
    p = fragment(Op.READDIR, x(), ok(*readdir_entries(4)), 40, **resp)
    assert len(p) == 4
    for piece in (p[0], p[1]):
        send(cap, c, "s", [piece])
    send(cap, c, "s", [p[3]], "frag_gap", "malformed: " + CASES["frag_gap"])


def after_bad_header(cap, h, cport, key, bad):
    """bad in one segment, a normal KEEPALIVE in the next, on a fresh connection."""
    c = cap.tcp_conn(h["bay"], h["mdc"], cport, 60868)
    c.open()
    send(cap, c, "c", [bad], key, "malformed: " + CASES[key])
    send(cap, c, "c", [message(Op.KEEPALIVE, 0x600D, [], session=SESSION)],
         key + "_after", AFTER[key])
    c.close()
    cap.advance(10)


def play_malformed(cap, h, x, ports, comment, foreign_tcp, foreign_udp,
                   first_piece_comment=None, on_open=None):
    """Every case of CASES, one per packet, from host h["bay"] to h["mdc"].

    ports: client ports of the five TCP connections (body and fragment cases,
    hdr_short, body_huge, frag_big, not_xsan_tcp) and the UDP source port.
    comment(key, side) is each case's packet comment; foreign_tcp and
    foreign_udp are (payload, comment) of the bytes that are not Xsan at all.
    on_open(cap) runs once the first connection is open.
    """
    p_body, p_hdr, p_huge, p_big, p_tcp, p_udp = ports
    c = cap.tcp_conn(h["bay"], h["mdc"], p_body, 60868)
    c.open()
    if on_open:
        on_open(cap)
    for key, side, msg in body_cases(x):
        send(cap, c, side, [msg], key, comment(key, side))
    fragment_cases(cap, c, x)
    c.close()
    cap.advance(10)

    after_bad_header(cap, h, p_hdr, "hdr_short",
                     message(Op.GETATTR, x(), [A(Tag.INODE, 1042)], hdr_len=16))
    after_bad_header(cap, h, p_huge, "body_huge",
                     message(Op.GETATTR, x(), [A(Tag.INODE, 1042)], body_len=0x7FFFFFFF))

    # joined body over 1 MiB: a 1 MiB piece then a small one, on jumbo frames
    c = cap.tcp_conn(h["bay"], h["mdc"], p_big, 60868, mss=8960)
    c.open()
    p = fragment(Op.READDIR, x(), ok(*readdir_entries(29200)), 1048576,
                 response=True, session=SESSION)
    assert len(p) == 2 and len(p[0].body) == 1048576
    send(cap, c, "s", [p[0]], comment=first_piece_comment)
    send(cap, c, "s", [p[1]], "frag_big", comment("frag_big", "s"))
    c.close()
    cap.advance(10)

    c = cap.tcp_conn(h["bay"], h["mdc"], p_tcp, 60868)
    c.open()
    cap.labels["not_xsan_tcp"] = c.send("c", foreign_tcp[0], comment=foreign_tcp[1])[0]
    cap.advance(5)
    c.close()
    cap.advance(10)
    cap.labels["not_xsan_udp"] = cap.udp(h["bay"], h["mdc"], p_udp, 60868, foreign_udp[0],
                                         comment=foreign_udp[1])
    missing = set(CASES) - set(cap.labels)
    assert not missing, missing


def build_malformed():
    cap = Capture(seed=51)
    cap.labels = {}
    play_malformed(
        cap, cast.hosts(), cast.Xids(0xBAD00), (53071, 53182, 53293, 53304, 53415, 52840),
        lambda key, side: "malformed: " + CASES[key],
        (b"GET /status HTTP/1.1\r\nHost: mdc-a\r\n\r\n", "malformed: " + CASES["not_xsan_tcp"]),
        (b"\x01\x00\x00\x2a" + b"not xsan, just noise" * 2, "malformed: " + CASES["not_xsan_udp"]))
    return cap


CAPTURES = {"malformed.pcapng": build_malformed}
