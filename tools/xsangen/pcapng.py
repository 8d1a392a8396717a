# SPDX-License-Identifier: GPL-2.0-or-later
"""Deterministic pcapng writer.

One Section Header Block without options (no host, OS or application
strings), one Interface Description Block per link type (timestamps in
microseconds, the pcapng default), and Enhanced Packet Blocks with an
optional comment. The same packets always give the same bytes.
"""
import struct

LINKTYPE_ETHERNET = 1
SNAPLEN = 262144
_OPT_COMMENT = 1


def _pad(data):
    return data + b"\0" * (-len(data) % 4)


def _block(btype, body):
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def _options(opts):
    if not opts:
        return b""
    out = b"".join(struct.pack("<HH", code, len(v)) + _pad(v) for code, v in opts)
    return out + struct.pack("<HH", 0, 0)


def shb():
    # byte-order magic, version 1.0, section length unknown (-1)
    return _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def idb(linktype=LINKTYPE_ETHERNET, snaplen=SNAPLEN):
    return _block(0x00000001, struct.pack("<HHI", linktype, 0, snaplen))


def epb(iface, ts_us, data, comment=None):
    opts = [(_OPT_COMMENT, comment.encode("utf-8"))] if comment else []
    body = struct.pack("<IIIII", iface, ts_us >> 32, ts_us & 0xFFFFFFFF,
                       len(data), len(data)) + _pad(data) + _options(opts)
    return _block(0x00000006, body)


class Packet:
    """One captured frame: time in microseconds since the epoch."""

    def __init__(self, ts_us, data, comment=None, linktype=LINKTYPE_ETHERNET):
        self.ts_us, self.data, self.comment, self.linktype = ts_us, data, comment, linktype


def serialize(packets):
    """pcapng bytes for packets (in the order given)."""
    ifaces = {}
    blocks = [shb()]
    for p in packets:
        if p.linktype not in ifaces:
            ifaces[p.linktype] = len(ifaces)
            blocks.append(idb(p.linktype))
        blocks.append(epb(ifaces[p.linktype], p.ts_us, p.data, p.comment))
    return b"".join(blocks)


def write(path, packets):
    with open(path, "wb") as f:
        f.write(serialize(packets))
