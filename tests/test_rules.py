# SPDX-License-Identifier: GPL-2.0-or-later
"""Decoder rules (tools/xsangen/vectors_rules.py): pieces joined by xid and
opcode per direction, reordered UDP pieces, gaps flagged only when they never
fill, string notes outside the Malformed group, and the rules
docs/protocol.md ("Decoder rules where the model is silent") chose. Every
case is checked in one pass and with -2."""
import pytest

import xsan_expect as X
from xsangen.vectors_rules import CASES

NO_WARNING = "!(_ws.expert.severity >= 0x00600000)"
NOT_MALFORMED = "!_ws.malformed"

# (capture, case) -> clauses that hold in the labelled frame in every pass;
# ("count", field, n): the frame shows field n times.
CHECKS = {
    ("fragments-order.pcapng", "same_xid_stats_0"): [
        "xsan.opcode == 0x0602", "xsan.frag_index == 0", "!xsan.volume", NO_WARNING],
    ("fragments-order.pcapng", "same_xid_setattr_0"): [
        "xsan.opcode == 0x0203", "xsan.frag_index == 0", "!xsan.inode", NO_WARNING],
    ("fragments-order.pcapng", "same_xid_stats_last"): [
        'xsan.volume == "MediaVol/' + "x" * 40 + '"', "xsan.reassembled.length == 53", NO_WARNING],
    ("fragments-order.pcapng", "same_xid_setattr_1"): [
        "xsan.opcode == 0x0203", "xsan.frag_index == 1", "!xsan.inode", NO_WARNING],
    ("fragments-order.pcapng", "same_xid_setattr_last"): [
        "xsan.inode == 5014", "xsan.attr_mask == 0x11", "xsan.mode == 0100644",
        "xsan.reassembled.length == 40", NO_WARNING],
    ("fragments-order.pcapng", "same_xid_one_segment"): [
        ("count", "xsan.eof", 1), ("count", "xsan.counter", 1), ("count", "xsan.status", 2),
        ("count", "xsan.reassembled.length", 2), "!xsan.expert.frag_repeated",
        "!xsan.expert.frag_gap"],
    ("fragments-order.pcapng", "udp_0"): ["xsan.frag_index == 0", NO_WARNING],
    ("fragments-order.pcapng", "udp_2"): ["xsan.frag_index == 2", "xsan.flags.more == 0",
                                          "!xsan.port", NO_WARNING],
    ("fragments-order.pcapng", "udp_1"): ["xsan.frag_index == 1", "xsan.port == 60868",
                                          "xsan.fsm_state == 2", "xsan.reassembled.length == 32",
                                          "!xsan.expert.frag_gap"],
    # a gap that never fills: flagged from the second pass on (GAPS)
    ("fragments-order.pcapng", "udp_gap"): ["xsan.frag_index == 2", "!xsan.hb_seq"],
    ("fragments-order.pcapng", "tcp_no_last"): ["xsan.frag_index == 1", "!xsan.cookie"],
    ("fragments-order.pcapng", "retry_gap_first"): ["xsan.frag_index == 2", "!xsan.port",
                                                    "!xsan.expert.frag_repeated"],
    ("fragments-order.pcapng", "retry_gap_done"): ["xsan.flags.retry == 1", "xsan.port == 60870",
                                                   "xsan.reassembled.length == 28",
                                                   "!xsan.expert.frag_repeated"],
    ("strings.pcapng", "bad_utf8"): ["xsan.expert.invalid_utf8", 'xsan.name contains "clip"',
                                     "xsan.parent_inode == 2", NOT_MALFORMED],
    ("strings.pcapng", "nul_name"): [r'xsan.name == "clip\\0.mov"', "xsan.expert.embedded_nul",
                                     "!xsan.expert.invalid_utf8", NOT_MALFORMED,
                                     "!_ws.string.trailing_stray_characters"],
    ("strings.pcapng", "nul_backslash"): [r'xsan.name == "a\\0b\\\\c"', "xsan.expert.embedded_nul",
                                          NOT_MALFORMED, "!_ws.string.trailing_stray_characters"],
    ("strings.pcapng", "nul_udp"): [r'xsan.hostname == "mdc\\0a"', "xsan.hb_seq == 5",
                                    "xsan.expert.embedded_nul", NOT_MALFORMED,
                                    "!_ws.string.trailing_stray_characters"],
    ("decoder-rules.pcapng", "after_bad_length"): ["xsan.expert.attr_bad_length", "xsan.uid == 501"],
    ("decoder-rules.pcapng", "after_too_deep"): ["xsan.expert.group_too_deep", "xsan.status == 0",
                                                 "xsan.cookie == 0x72"],
    ("decoder-rules.pcapng", "after_past_group"): ["xsan.expert.attr_past_end", "xsan.inode == 3001",
                                                   "xsan.cookie == 0x73"],
    ("decoder-rules.pcapng", "unknown_group"): ["xsan.expert.unknown_tag", "xsan.attr.tag == 0x8999",
                                                "xsan.attr.value", "xsan.inode == 4242",
                                                'xsan.name == "member"', "xsan.uid == 502",
                                                NOT_MALFORMED],
    ("decoder-rules.pcapng", "unknown_group_bad"): ["xsan.expert.unknown_tag",
                                                    "xsan.expert.attr_past_end", "xsan.uid == 503"],
    ("decoder-rules.pcapng", "udp_body_past"): ["xsan.expert.truncated", "xsan.hb_seq == 9",
                                                "xsan.body_len == 40", ("count", "xsan.opcode", 1)],
    ("decoder-rules.pcapng", "junk_then_msg"): ["xsan.expert.not_a_message", "xsan.body",
                                                "xsan.xid == 0x76", ("count", "xsan.body", 1)],
    ("decoder-rules.pcapng", "junk_short"): ["xsan.expert.not_a_message", "xsan.body", "!xsan.opcode"],
    ("decoder-rules.pcapng", "after_junk_short"): ["xsan.xid == 0x77", "!xsan.body"],
    ("decoder-rules.pcapng", "msg_then_junk"): ["xsan.xid == 0x78", "xsan.expert.not_a_message"],
    ("decoder-rules.pcapng", "after_msg_then_junk"): ["xsan.xid == 0x79", "!xsan.body"],
    ("decoder-rules.pcapng", "junk_then_partial"): ["xsan.expert.not_a_message", "!xsan.opcode"],
    ("decoder-rules.pcapng", "partial_rest"): ['xsan.name == "after-junk.mov"', "xsan.xid == 0x7a",
                                              "!xsan.body"],
}
# messages that never complete: no verdict in one pass, frag_gap with -2
GAPS = {"udp_gap": "piece 1 never came", "tcp_no_last": "the last piece never came",
        "retry_gap_first": "piece 1 never came"}

PASSES = pytest.mark.parametrize("two_pass", [False, True], ids=["1pass", "2pass"])


def test_every_case_checked():
    assert set(CHECKS) == {(c, k) for c, keys in CASES.items() for k in keys}


def test_every_case_commented(tshark):
    for capture, keys in CASES.items():
        labels = X.capture(capture).labels
        comments = X.comment_frames(tshark, capture)
        for key, text in keys.items():
            assert comments.get(text) == labels[key], (capture, key)


def _check(tshark, capture, key, clauses, two_pass):
    frame = X.capture(capture).labels[key]
    failed = []
    for clause in clauses:
        if isinstance(clause, tuple):
            _, field, n = clause
            rows = tshark.fields(capture, [field], dfilter=f"frame.number == {frame}",
                                 two_pass=two_pass)
            if len(rows[0][field]) != n:
                failed.append(f"{field} shown {len(rows[0][field])} times, not {n}")
    filters = [c for c in clauses if not isinstance(c, tuple)]
    dfilter = " && ".join([f"frame.number == {frame}", "xsan"] + [f"({c})" for c in filters])
    if tshark.count(capture, dfilter, two_pass=two_pass) != 1:
        failed += [c for c in filters
                   if tshark.count(capture, f"frame.number == {frame} && xsan && ({c})",
                                   two_pass=two_pass) != 1] or [dfilter]
    assert not failed, f"{capture} frame {frame} ({key}): these do not hold: {failed}"


@PASSES
@pytest.mark.parametrize("capture,key", sorted(CHECKS), ids=lambda v: str(v).replace(".pcapng", ""))
def test_case(tshark, capture, key, two_pass):
    _check(tshark, capture, key, CHECKS[(capture, key)], two_pass)


@PASSES
@pytest.mark.parametrize("key", sorted(GAPS))
def test_gap_that_never_fills(tshark, key, two_pass):
    """One pass cannot know that a gap never fills, so it says nothing; from
    the second pass on the message's latest piece carries the warning."""
    capture = "fragments-order.pcapng"
    frame = X.capture(capture).labels[key]
    rows = tshark.fields(capture, ["frame.number", "_ws.expert.message"], dfilter="xsan.expert.frag_gap",
                         two_pass=two_pass)
    if not two_pass:
        assert rows == []
        return
    got = {int(r["frame.number"][0]): r["_ws.expert.message"] for r in rows}
    assert set(got) == {X.capture(capture).labels[k] for k in GAPS}
    assert any(GAPS[key] in m for m in got[frame]), got[frame]


def test_reordered_pieces_reassembled_in(tshark):
    """UDP pieces 0, 2, 1: both earlier frames point at the frame of piece 1."""
    capture = "fragments-order.pcapng"
    labels = X.capture(capture).labels
    rows = {int(r["frame.number"][0]): r for r in tshark.fields(
        capture, ["frame.number", "xsan.reassembled_in", "xsan.fragment"], two_pass=True)}
    done = labels["udp_1"]
    for key in ("udp_0", "udp_2"):
        assert [int(v) for v in rows[labels[key]]["xsan.reassembled_in"]] == [done], key
    assert sorted(int(v) for v in rows[done]["xsan.fragment"]) == \
        sorted(labels[k] for k in ("udp_0", "udp_1", "udp_2"))


def test_same_xid_pieces_in_their_own_message(tshark):
    """Each SETATTR/STATS piece points at the frame that completes its own opcode."""
    capture = "fragments-order.pcapng"
    labels = X.capture(capture).labels
    rows = {int(r["frame.number"][0]): r for r in tshark.fields(
        capture, ["frame.number", "xsan.reassembled_in"], two_pass=True)}
    for piece, done in (("same_xid_stats_0", "same_xid_stats_last"),
                        ("same_xid_setattr_0", "same_xid_setattr_last"),
                        ("same_xid_setattr_1", "same_xid_setattr_last")):
        assert [int(v) for v in rows[labels[piece]]["xsan.reassembled_in"]] == [labels[done]], piece


@pytest.mark.parametrize("capture", sorted(CASES))
def test_passes_agree_but_for_gaps(tshark, capture):
    """Expert items are the same in one pass and with -2, except the verdicts
    that need the whole capture: a gap that never fills, like a request
    never answered (the analysis' xsan.expert.unanswered)."""
    def items(two_pass):
        return [(r["frame.number"][0], sorted(m for m in r["_ws.expert.message"]
                                              if "never completed" not in m
                                              and "never answered" not in m))
                for r in tshark.fields(capture, ["frame.number", "_ws.expert.message"],
                                       two_pass=two_pass)]
    assert items(False) == items(True)


def test_nul_shown_whole(tshark):
    """-T fields and the Info column show the whole name, the NUL as \\0."""
    capture = "strings.pcapng"
    frame = X.capture(capture).labels["nul_name"]
    rows = tshark.fields(capture, ["xsan.name", "_ws.col.Info"], dfilter=f"frame.number == {frame}")
    assert rows[0]["xsan.name"] == ["clip\\0.mov"]
    assert 'name="clip\\0.mov"' in rows[0]["_ws.col.Info"][0]
