# SPDX-License-Identifier: GPL-2.0-or-later
"""TCP segmentation and coalescing, the heuristic on non-default ports, and
reassembly of fragmented messages."""
import re
from pathlib import Path

import pytest

import xsan_expect as X
from xsan_expect import Op, Tag, wire

FIELDS = X.HEADER_FIELDS + ["xsan.attr.tag", "xsan.attr.len"] + X.TAG_FIELDS
PLUGIN = Path(__file__).resolve().parent.parent / "plugin"


def _check_all_frames(tshark, name, extra=()):
    X.check_all_frames(tshark, name, FIELDS, extra)


def _count_messages(tshark, name, extra=()):
    rows = tshark.fields(name, ["xsan.opcode"], dfilter="xsan", extra=extra)
    return sum(len(r["xsan.opcode"]) for r in rows)


# ---------------------------------------------------------------- segmentation

def test_segmentation_values(tshark):
    _check_all_frames(tshark, "segmentation.pcapng")


def test_segmentation_message_count(tshark):
    name = "segmentation.pcapng"
    assert _count_messages(tshark, name) == len(X.capture(name).messages)


def test_large_message_in_last_segment(tshark):
    """The ~6 KB READDIR response is decoded whole in the frame of its last byte."""
    name = "segmentation.pcapng"
    big = [(f, m) for f, m in X.capture(name).messages if len(m) > 4000]
    assert big and len(big[0][1]) > 2 * 1448
    frame, msg = big[0]
    rows = tshark.fields(name, ["xsan.name", "xsan.eof"], dfilter=f"frame.number == {frame}")
    names = [a.value for a in X.walk(msg.attrs) if a.tag == Tag.NAME]
    assert rows and rows[0]["xsan.name"] == names


def test_coalesced_segments(tshark):
    """A segment with 30 whole requests shows 30 messages; the response write
    spreads 30 messages over segments, some crossing a segment boundary."""
    name = "segmentation.pcapng"
    per_frame = X.by_frame(name)
    many = [f for f, ms in per_frame.items() if len(ms) == 30]
    assert many, "generator: no segment with 30 messages"
    rows = {int(r["frame.number"][0]): r for r in
            tshark.fields(name, ["frame.number", "xsan.xid"], dfilter="xsan")}
    for f, ms in per_frame.items():
        assert [X.to_int(v) for v in rows[f]["xsan.xid"]] == [m.xid for m in ms], f


# ---------------------------------------------------------------- heuristic

def test_heuristic_ports_are_free(tshark):
    """50123/tcp and 49500/udp have no registered dissector in this tshark."""
    out = tshark.run("-G", "decodes").stdout
    taken = {tuple(l.split("\t")[:2]) for l in out.splitlines()}
    assert ("tcp.port", "50123") not in taken and ("udp.port", "49500") not in taken


def test_heuristic_values(tshark):
    _check_all_frames(tshark, "heuristic.pcapng")


def test_heuristic_message_count(tshark):
    name = "heuristic.pcapng"
    assert _count_messages(tshark, name) == len(X.capture(name).messages)
    assert tshark.count(name, "xsan && tcp.port == 50123") > 0
    assert tshark.count(name, "xsan && udp.port == 49500") > 0


def _heuristic_names():
    """Short names of xsan's heuristics, from heur_dissector_add() in plugin/."""
    names = []
    for src in PLUGIN.glob("*.c"):
        text = src.read_text(errors="replace")
        for call in re.findall(r"heur_dissector_add\s*\((.*?)\)\s*;", text, re.S):
            strings = re.findall(r'"([^"]*)"', call)
            if len(strings) >= 3:
                names.append(strings[2])
    return names


def test_heuristic_disabled(tshark):
    names = _heuristic_names()
    assert names, "no heur_dissector_add() found in plugin/*.c"
    extra = [a for n in names for a in ("--disable-heuristic", n)]
    assert tshark.count("heuristic.pcapng", "xsan", extra=extra) == 0
    # the default port still works with the heuristics off
    assert tshark.count("vectors-tcp.pcapng", "xsan", extra=extra) > 0


# ---------------------------------------------------------------- fragments

def _fragmented(name):
    """{xid: [(frame, piece), ...]} of fragmented messages, in send order."""
    out = {}
    for f, m in X.capture(name).messages:
        if getattr(m, "whole", None) is not None:
            out.setdefault((m.xid, m.opcode), []).append((f, m))
    return out


@pytest.mark.parametrize("op", [Op.READDIR, Op.RENAME], ids=lambda o: o.name)
def test_fragment_reassembly(tshark, op):
    name = "fragments.pcapng"
    (key, pieces), = [(k, v) for k, v in _fragmented(name).items() if k[1] == op]
    last_frame, last = pieces[-1]
    rows = {int(r["frame.number"][0]): r for r in tshark.fields(
        name, ["frame.number", "xsan.reassembled_in", "xsan.fragment",
               "xsan.reassembled.length", "xsan.frag_index", "xsan.flags.more"],
        two_pass=True)}  # earlier pieces learn reassembled_in in the second pass
    for f, p in pieces[:-1]:
        assert [int(v) for v in rows[f]["xsan.reassembled_in"]] == [last_frame], f
        assert X.to_int(rows[f]["xsan.frag_index"][0]) == p.frag_index
        assert X.to_bool(rows[f]["xsan.flags.more"][0]) is True
    r = rows[last_frame]
    assert [int(v) for v in r["xsan.fragment"]] == [f for f, _ in pieces]
    assert int(r["xsan.reassembled.length"][0]) == len(last.whole.body)


@pytest.mark.parametrize("op", [Op.READDIR, Op.RENAME], ids=lambda o: o.name)
def test_fragment_whole_body_decoded_in_last_frame(tshark, op):
    name = "fragments.pcapng"
    (key, pieces), = [(k, v) for k, v in _fragmented(name).items() if k[1] == op]
    last_frame, last = pieces[-1]
    whole = last.whole
    fields = [wire.field(t) for t in {a.tag for a in X.walk(whole.attrs)}
              if wire.TAG_TYPE[wire.Tag(t)] != "group"]
    rows = tshark.fields(name, fields, dfilter=f"frame.number == {last_frame}")
    exp = X.expected_fields([whole])
    for f in fields:
        got = [X.parse(f, v) for v in rows[0][f]]
        assert got == [X.norm_expected(f, v) for v in exp[f]], f


def test_message_between_pieces(tshark):
    """The unrelated TOKEN_REVOKE between two pieces decodes on its own."""
    name = "fragments.pcapng"
    (f, m), = [(f, m) for f, m in X.capture(name).messages if m.opcode == Op.TOKEN_REVOKE]
    rows = tshark.fields(name, ["xsan.opcode", "xsan.token_id", "xsan.revoke_reason"],
                         dfilter=f"frame.number == {f}")
    assert [X.to_int(v) for v in rows[0]["xsan.opcode"]] == [Op.TOKEN_REVOKE]
    assert [X.to_int(v) for v in rows[0]["xsan.token_id"]] == [m.attrs[0].value]


def test_fragments_no_expert_errors(tshark):
    assert tshark.count("fragments.pcapng", "_ws.expert.severity >= 6291456") == 0
    assert tshark.count("fragments.pcapng", "_ws.malformed") == 0
