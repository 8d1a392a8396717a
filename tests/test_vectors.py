# SPDX-License-Identifier: GPL-2.0-or-later
"""Every opcode, tag, status and flag decodes to the values the generator
wrote: vectors-tcp, vectors-udp and ipv6 (TCP and UDP over IPv6)."""
import pytest

import xsan_expect as X
from xsan_expect import Op, Tag, wire

VECTORS = ["vectors-tcp.pcapng", "vectors-udp.pcapng", "ipv6.pcapng"]
FIELDS = X.HEADER_FIELDS + ["xsan.attr.tag", "xsan.attr.len"] + X.TAG_FIELDS


@pytest.mark.parametrize("name", VECTORS)
def test_every_field_value(tshark, name):
    X.check_all_frames(tshark, name, FIELDS)


@pytest.mark.parametrize("name", VECTORS)
def test_message_count(tshark, name):
    """As many xsan messages as were sent (one xsan.opcode per message)."""
    rows = tshark.fields(name, ["xsan.opcode"], dfilter="xsan")
    assert sum(len(r["xsan.opcode"]) for r in rows) == len(X.capture(name).messages)


def _sent(names):
    return [m for n in names for _, m in X.capture(n).messages]


def test_every_opcode_request_and_response():
    """The vectors themselves: each non-notify opcode has a request and a response."""
    msgs = _sent(VECTORS[:2])
    for op in Op:
        kinds = {bool(m.flags & wire.Flag.RESPONSE) for m in msgs if m.opcode == op}
        want = {False} if op in wire.NOTIFY_OPS else {False, True}
        assert kinds == want, op.name


def test_every_tag_and_status_written():
    msgs = _sent(VECTORS)
    tags = {a.tag for m in msgs for a in X.walk(m.attrs)}
    assert tags == set(Tag)
    statuses = {a.value for m in msgs for a in X.walk(m.attrs) if a.tag == Tag.STATUS}
    assert statuses == set(wire.Status)


@pytest.mark.parametrize("op", list(Op), ids=lambda o: o.name)
def test_opcode_filter(tshark, op):
    """Each opcode can be filtered on and found in its transport's capture."""
    name = "vectors-udp.pcapng" if op in wire.UDP_OPS else "vectors-tcp.pcapng"
    want = sum(1 for _, m in X.capture(name).messages if m.opcode == op)
    rows = tshark.fields(name, ["xsan.opcode"], dfilter=f"xsan.opcode == 0x{op:04x}")
    assert sum(X.parse("xsan.opcode", v) == op for r in rows for v in r["xsan.opcode"]) == want


@pytest.mark.parametrize("status", list(wire.Status), ids=lambda s: s.name)
def test_status_filter(tshark, status):
    name = "vectors-udp.pcapng" if status in (wire.Status.NOT_ACTIVE,
                                              wire.Status.VOTE_REJECTED) else "vectors-tcp.pcapng"
    want = sum(1 for _, m in X.capture(name).messages for a in m.attrs
               if a.tag == Tag.STATUS and a.value == status)
    assert want, "generator wrote no such status"
    assert tshark.count(name, f"xsan.status == {int(status)}") == want


def test_error_responses_flagged(tshark):
    """Error flag set exactly on responses whose STATUS is not OK."""
    name = "vectors-tcp.pcapng"
    want = sum(1 for _, m in X.capture(name).messages if m.flags & wire.Flag.ERROR)
    assert tshark.count(name, "xsan.flags.error == 1") == want
    assert tshark.count(name, "xsan.flags.error == 1 && xsan.status == 0") == 0
    assert tshark.count(name, "xsan.flags.error == 1 && !xsan.error_text") == 0


def test_udp_two_messages_in_one_datagram(tshark):
    frames = {f: ms for f, ms in X.by_frame("vectors-udp.pcapng").items() if len(ms) == 2}
    assert frames
    rows = tshark.fields("vectors-udp.pcapng", ["frame.number", "xsan.opcode", "xsan.xid"],
                         dfilter="xsan")
    for row in rows:
        f = int(row["frame.number"][0])
        if f in frames:
            assert [X.to_int(v) for v in row["xsan.xid"]] == [m.xid for m in frames[f]]


def test_ipv6_transports(tshark):
    assert tshark.count("ipv6.pcapng", "xsan && ipv6 && tcp") > 0
    assert tshark.count("ipv6.pcapng", "xsan && ipv6 && udp") > 0
    assert tshark.count("ipv6.pcapng", "xsan && ip") == 0
    assert tshark.count("ipv6.pcapng", "xsan.ipv6") > 0
