# SPDX-License-Identifier: GPL-2.0-or-later
"""hostile-*.pcapng: input built to hurt a decoder (issue 6). Each file is one
kind of attack; every hostile frame is commented, and cap.labels maps a case
key to the frame that carries it (the frame where the message ends).

  hostile-lengths      length fields at and near 2^32, header lengths that
                       wrap, attribute lengths of 0xFFFF, on TCP and UDP
  hostile-deep         groups nested 5 and 200 deep
  hostile-tiny         20,000 one-byte attributes, 20,000 unknown tags
  hostile-zero         65,536 zero-length attributes, 65,536 empty groups,
                       a body of 256 KiB of zeros, zero-length fixed-size values
  hostile-fragments    pieces that never finish, a repeated index, 0xFFFF
                       as an index, 300 pieces of one message, 500 xids
                       each left after their first piece
  hostile-xid-flood    20,000 unanswered requests on one TCP connection
  hostile-strings      invalid UTF-8 of every kind, embedded NULs, names of
                       65,535 bytes
  hostile-items        1 MiB bodies (the limit) of the smallest attributes:
                       262,144 of them, over a million tree items
"""
import struct

from . import cast
from .net import Capture
from .vectors import SESSION, ok
from .wire import HDR_LEN, Op, Tag, attr, fragment, group, header, message, raw_attr

A, G = attr, group
SRV = 60868


def _raw(tag, length, data=b""):
    """An attribute whose length field says anything."""
    return raw_attr(struct.pack(">HH", tag & 0xFFFF, length & 0xFFFF) + data)


class _Hostile:
    """A capture, its hosts, one TCP connection to the FSM, and labels."""

    def __init__(self, seed, mss=1448):
        self.cap = Capture(seed=seed)
        self.cap.labels = {}
        self.h = cast.hosts()
        self.x = cast.Xids(0x0BAD0000 + seed * 0x10000)
        self.cport = 53000 + seed
        self.c = self.conn(mss)

    def conn(self, mss=1448):
        c = self.cap.tcp_conn(self.h["bay"], self.h["mdc"], self.cport, SRV, mss=mss)
        self.cport += 1
        c.open()
        return c

    def tcp(self, side, msgs, label=None, comment=None, conn=None):
        frames = (conn or self.c).send_msgs(side, msgs, coalesce=True, comment=comment)
        if label:
            self.cap.labels[label] = frames[-1]
        self.cap.advance(2, jitter_us=500)
        return frames

    def tcp_raw(self, side, data, label, comment, conn=None):
        frames = (conn or self.c).send(side, data, comment)
        self.cap.labels[label] = frames[-1]
        self.cap.advance(2, jitter_us=500)

    def udp(self, data, label, comment):
        self.cap.labels[label] = self.cap.udp(self.h["bay"], self.h["mdc"], 52840, SRV, data,
                                              comment=comment)
        self.cap.advance(2, jitter_us=500)

    def done(self):
        self.c.close()
        return self.cap


def keepalive(xid=0x600D):
    return message(Op.KEEPALIVE, xid, [], session=SESSION)


# ---------------------------------------------------------------- lengths

LENGTHS = {
    "body_ffffffff": "TCP: body_len 0xFFFFFFFF",
    "body_wrap": "TCP: body_len 0xFFFFFFE8 (header + body wraps to 0 in 32 bits)",
    "body_over": "TCP: body_len 0x00100001, one byte over 1 MiB",
    "hdr_zero": "TCP: hdr_len 0",
    "hdr_255": "TCP: hdr_len 255 and body_len 1 MiB; the 255 header bytes and 16 of the body present",
    "attr_ffff": "TCP: NAME with length 0xFFFF in a 12-byte body",
    "group_ffff": "TCP: DIRENT group with length 0xFFFF, 4 bytes of it present",
    "udp_ffffffff": "UDP: body_len 0xFFFFFFFF",
    "udp_wrap": "UDP: body_len 0xFFFFFFE8",
    "udp_short": "UDP: body_len 1000, 30 bytes in the datagram",
    "udp_attr_ffff": "UDP: HOSTNAME with length 0xFFFF",
}


def build_lengths():
    s = _Hostile(1)
    x = s.x
    for key, blen in (("body_ffffffff", 0xFFFFFFFF), ("body_wrap", 0xFFFFFFE8),
                      ("body_over", 0x00100001)):
        c = s.conn()
        s.tcp("c", [message(Op.GETATTR, x(), [A(Tag.INODE, 1042)], session=SESSION,
                            body_len=blen)], key, "hostile: " + LENGTHS[key], conn=c)
        s.tcp("c", [keepalive()], key + "_after", "the next message on the same connection",
              conn=c)
        c.close()
    c = s.conn()
    s.tcp("c", [message(Op.GETATTR, x(), [A(Tag.INODE, 1042)], session=SESSION, hdr_len=0)],
          "hdr_zero", "hostile: " + LENGTHS["hdr_zero"], conn=c)
    c.close()
    c = s.conn()
    s.tcp_raw("c", header(Op.GETATTR, x(), 0, 0x100000, session=SESSION, hdr_len=255)
              + bytes(16), "hdr_255", "hostile: " + LENGTHS["hdr_255"], conn=c)
    c.close()
    s.tcp("c", [message(Op.LOOKUP, x(), [A(Tag.PARENT_INODE, 2), _raw(Tag.NAME, 0xFFFF, b"abcd")],
                        session=SESSION)], "attr_ffff", "hostile: " + LENGTHS["attr_ffff"])
    s.tcp("s", [message(Op.READDIR, x(), ok(_raw(Tag.DIRENT, 0xFFFF, bytes(4))), response=True,
                        session=SESSION)], "group_ffff", "hostile: " + LENGTHS["group_ffff"])
    s.udp(header(Op.HEARTBEAT, x(), 0, 0xFFFFFFFF) + bytes(8), "udp_ffffffff",
          "hostile: " + LENGTHS["udp_ffffffff"])
    s.udp(header(Op.HEARTBEAT, x(), 0, 0xFFFFFFE8) + bytes(8), "udp_wrap",
          "hostile: " + LENGTHS["udp_wrap"])
    s.udp(header(Op.HEARTBEAT, x(), 0, 1000) + bytes(6), "udp_short",
          "hostile: " + LENGTHS["udp_short"])
    s.udp(bytes(message(Op.HEARTBEAT, x(), [A(Tag.HB_SEQ, 7), _raw(Tag.HOSTNAME, 0xFFFF, b"mdc")])),
          "udp_attr_ffff", "hostile: " + LENGTHS["udp_attr_ffff"])
    return s.done()


# ---------------------------------------------------------------- nesting

DEEP = {
    "depth_4": "EXTENT groups nested 4 deep (the limit; valid)",
    "depth_5": "EXTENT groups nested 5 deep",
    "depth_200": "DIRENT groups nested 200 deep",
    "depth_200_udp": "COUNTER groups nested 200 deep in a datagram",
}


def nest(tag, depth, inner):
    g = inner
    for _ in range(depth):
        g = [G(tag, g)]
    return g


def build_deep():
    s = _Hostile(2)
    x = s.x
    leaf = [A(Tag.STRIPE_GROUP, 1)]
    s.tcp("s", [message(Op.GET_EXTENTS, x(), ok(*nest(Tag.EXTENT, 4, leaf)), response=True,
                        session=SESSION)], "depth_4", "hostile: " + DEEP["depth_4"])
    s.tcp("s", [message(Op.GET_EXTENTS, x(), ok(*nest(Tag.EXTENT, 5, leaf)), response=True,
                        session=SESSION)], "depth_5", "hostile: " + DEEP["depth_5"])
    s.tcp("s", [message(Op.READDIR, x(), ok(*nest(Tag.DIRENT, 200, [A(Tag.INODE, 1)])),
                        response=True, session=SESSION)], "depth_200",
          "hostile: " + DEEP["depth_200"])
    s.udp(bytes(message(Op.HEARTBEAT, x(), nest(Tag.COUNTER, 200, [A(Tag.VALUE, 1)]))),
          "depth_200_udp", "hostile: " + DEEP["depth_200_udp"])
    return s.done()


# ---------------------------------------------------------------- many attributes

TINY = {
    "u8_20000": "GETATTR response with 20,000 FILE_TYPE attributes (one byte each)",
    "unknown_20000": "GETATTR request with 20,000 unknown one-byte tags",
    "dirents_10000": "READDIR response with 10,000 small DIRENT groups",
}


def build_tiny():
    s = _Hostile(3, mss=8960)
    x = s.x
    s.tcp("s", [message(Op.GETATTR, x(), ok(*[A(Tag.FILE_TYPE, 1 + i % 3) for i in range(20000)]),
                        response=True, session=SESSION)], "u8_20000", "hostile: " + TINY["u8_20000"])
    s.tcp("c", [message(Op.GETATTR, x(), [A(0x0900 + i % 256, bytes([i & 255])) for i in range(20000)],
                        session=SESSION)], "unknown_20000", "hostile: " + TINY["unknown_20000"])
    s.tcp("s", [message(Op.READDIR, x(), ok(*[G(Tag.DIRENT, [A(Tag.FILE_TYPE, 1)]) for _ in range(10000)]),
                        response=True, session=SESSION)], "dirents_10000",
          "hostile: " + TINY["dirents_10000"])
    return s.done()


# ---------------------------------------------------------------- zero lengths

ZERO = {
    "names_65536": "65,536 zero-length NAME attributes",
    "groups_65536": "65,536 empty DIRENT groups",
    "zeros_256k": "a body of 256 KiB of zero bytes (65,536 attributes of tag 0, length 0)",
    "fixed_zero": "INODE, STATUS and CLIENT_ID with length 0",
    "empty_nested": "empty groups nested 4 deep, 1,000 times",
}


def build_zero():
    s = _Hostile(4, mss=8960)
    x = s.x
    s.tcp("c", [message(Op.LOOKUP, x(), [A(Tag.NAME, "")] * 65536, session=SESSION)],
          "names_65536", "hostile: " + ZERO["names_65536"])
    s.tcp("s", [message(Op.READDIR, x(), ok(*[G(Tag.DIRENT, [])] * 65536), response=True,
                        session=SESSION)], "groups_65536", "hostile: " + ZERO["groups_65536"])
    s.tcp("c", [message(Op.GETATTR, x(), raw_body=bytes(262144), session=SESSION)],
          "zeros_256k", "hostile: " + ZERO["zeros_256k"])
    s.tcp("s", [message(Op.HELLO, x(), [A(Tag.STATUS, b""), A(Tag.INODE, b""),
                                        A(Tag.CLIENT_ID, b"")], response=True,
                        session=SESSION)], "fixed_zero", "hostile: " + ZERO["fixed_zero"])
    s.tcp("s", [message(Op.GET_EXTENTS, x(), ok(*(nest(Tag.EXTENT, 4, []) * 1000)),
                        response=True, session=SESSION)], "empty_nested",
          "hostile: " + ZERO["empty_nested"])
    return s.done()


# ---------------------------------------------------------------- fragments

FRAGS = {
    "never_finishes": "pieces 0-62 of one message, all with 'more'; no last piece ever",
    "repeat_0": "piece 0 of one xid sent 200 times",
    "index_ffff": "frag_index 0xFFFF with 'more'",
    "pieces_300": "300 pieces of one message (limit 64)",
    "held_500": "500 xids, each left after piece 0 (of 2)",
    "gap_last": "a last piece (index 5) whose pieces 0-4 never came",
}


def build_fragments():
    s = _Hostile(5, mss=8960)
    x = s.x
    resp = dict(response=True, session=SESSION)
    body = ok(*[A(Tag.NAME, f"entry{i:05d}") for i in range(400)])
    p = fragment(Op.READDIR, x(), body, 64, **resp)
    assert len(p) > 64
    s.tcp("s", p[:63], "never_finishes", "hostile: " + FRAGS["never_finishes"])
    p = fragment(Op.READDIR, x(), body, 100, **resp)
    s.tcp("s", [p[0]] * 200, "repeat_0", "hostile: " + FRAGS["repeat_0"])
    s.tcp("s", [message(Op.READDIR, x(), raw_body=b"\x00\x01\x00\x04\x00\x00", frag_index=0xFFFF,
                        more=True, **resp)], "index_ffff", "hostile: " + FRAGS["index_ffff"])
    p = fragment(Op.READDIR, x(), body, 16, **resp)
    assert len(p) >= 300
    s.tcp("s", p[:299] + [p[-1]], "pieces_300", "hostile: " + FRAGS["pieces_300"])
    held = []
    for _ in range(500):
        held.append(fragment(Op.READDIR, x(), ok(A(Tag.COOKIE, 1)), 8, **resp)[0])
    s.tcp("s", held, "held_500", "hostile: " + FRAGS["held_500"])
    p = fragment(Op.READDIR, x(), body, 200, **resp)
    s.tcp("s", [p[len(p) - 1]], "gap_last", "hostile: " + FRAGS["gap_last"])
    return s.done()


# ---------------------------------------------------------------- xid flood

FLOOD_N = 20000
FLOOD = {"flood": f"{FLOOD_N:,} unanswered GETATTR requests on one connection, 100 per write",
         "flood_end": "the one request that is answered, after the flood"}


def build_xid_flood():
    s = _Hostile(6)
    base = 0x00F10000
    for i in range(0, FLOOD_N, 100):
        s.c.send_msgs("c", [message(Op.GETATTR, base + j, [A(Tag.INODE, 5000 + j)], session=SESSION)
                            for j in range(i, i + 100)], coalesce=True,
                      comment="hostile: " + FLOOD["flood"] if i == 0 else None)
        s.cap.advance(0.05)
    s.cap.labels["flood"] = len(s.cap.packets)
    s.tcp("c", [message(Op.GETATTR, 0x00F1FFFF, [A(Tag.INODE, 42)], session=SESSION)], "flood_end",
          "hostile: " + FLOOD["flood_end"])
    s.tcp("s", [message(Op.GETATTR, 0x00F1FFFF, ok(A(Tag.FILE_TYPE, 1)), response=True,
                        session=SESSION)], "flood_reply", "the answer to it")
    return s.done()


# ---------------------------------------------------------------- strings

BAD_UTF8 = {
    "utf8_ff": b"clip\xff.mov",
    "utf8_overlong": b"\xc0\xaf\xe0\x80\xaf",
    "utf8_surrogate": b"a\xed\xa0\x80b",
    "utf8_truncated": b"smile\xf0\x9f\x98",
    "utf8_above_max": b"\xf4\x90\x80\x80",
    "utf8_continuation": b"\x80\x80\x80",
}
STRINGS = {
    **{k: f"NAME with invalid UTF-8 {v!r}" for k, v in BAD_UTF8.items()},
    "nul_middle": "NAME with an embedded NUL (\"a\\0b\")",
    "nul_only": "NAME of 16 NUL bytes",
    "nul_hostname_udp": "HOSTNAME with an embedded NUL in a HEARTBEAT",
    "long_65535": "NAME of 65,535 bytes",
    "long_bad_65535": "NAME of 65,535 bytes of 0xFF",
    "long_multibyte": "ADMIN_OUTPUT of 65,534 bytes of 3-byte characters, the last one cut short",
}


def build_strings():
    s = _Hostile(7, mss=8960)
    x = s.x

    def lookup(key, name):
        s.tcp("c", [message(Op.LOOKUP, x(), [A(Tag.PARENT_INODE, 2), A(Tag.NAME, name)],
                            session=SESSION)], key, "hostile: " + STRINGS[key])

    for key, raw in BAD_UTF8.items():
        lookup(key, raw)
    lookup("nul_middle", b"a\x00b")
    lookup("nul_only", bytes(16))
    s.udp(bytes(message(Op.HEARTBEAT, x(), [A(Tag.HOSTNAME, b"mdc\x00evil"), A(Tag.HB_SEQ, 1)])),
          "nul_hostname_udp", "hostile: " + STRINGS["nul_hostname_udp"])
    lookup("long_65535", b"x" * 65535)
    lookup("long_bad_65535", b"\xff" * 65535)
    s.tcp("s", [message(Op.ADMIN, x(), ok(A(Tag.ADMIN_OUTPUT, (b"\xe2\x82\xac" * 21845)[:65534])),
                        response=True, session=SESSION)], "long_multibyte",
          "hostile: " + STRINGS["long_multibyte"])
    return s.done()


# ---------------------------------------------------------------- tree items

ITEMS = {
    "zeros_1mib": "GETATTR with a body of 1 MiB of zeros: 262,144 attributes of tag 0, length 0",
    "names_1mib": "LOOKUP with 262,144 zero-length NAME attributes (1 MiB, valid)",
}


def build_items():
    s = _Hostile(8, mss=8960)
    x = s.x
    s.tcp("c", [message(Op.GETATTR, x(), raw_body=bytes(1048576), session=SESSION)],
          "zeros_1mib", "hostile: " + ITEMS["zeros_1mib"])
    frames = s.c.send_msgs("c", [message(Op.LOOKUP, x(), [A(Tag.NAME, "")] * 262144, session=SESSION),
                                 keepalive(0x600E)], coalesce=True,
                           comment="hostile: " + ITEMS["names_1mib"])
    # items_after: the KEEPALIVE in the same segment, right after the 1 MiB LOOKUP
    s.cap.labels["names_1mib"] = s.cap.labels["items_after"] = frames[-1]
    return s.done()


CASES = {  # capture -> {case key: comment}
    "hostile-lengths.pcapng": LENGTHS,
    "hostile-deep.pcapng": DEEP,
    "hostile-tiny.pcapng": TINY,
    "hostile-zero.pcapng": ZERO,
    "hostile-fragments.pcapng": FRAGS,
    "hostile-xid-flood.pcapng": FLOOD,
    "hostile-strings.pcapng": STRINGS,
    "hostile-items.pcapng": ITEMS,
}

CAPTURES = {
    "hostile-lengths.pcapng": build_lengths,
    "hostile-deep.pcapng": build_deep,
    "hostile-tiny.pcapng": build_tiny,
    "hostile-zero.pcapng": build_zero,
    "hostile-fragments.pcapng": build_fragments,
    "hostile-xid-flood.pcapng": build_xid_flood,
    "hostile-strings.pcapng": build_strings,
    "hostile-items.pcapng": build_items,
}
assert HDR_LEN == 24
