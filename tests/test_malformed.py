# SPDX-License-Identifier: GPL-2.0-or-later
"""Each malformation in malformed.pcapng gives its expert info, and the
fields decoded before it stay. Frames come from the generator's labels."""
import pytest

import xsan_expect as X
from xsangen.vectors_malformed import CASES

NAME = "malformed.pcapng"
# no expert item above "comment" severity (the pcapng comment is one)
NO_EXPERT = "!(_ws.expert.severity > 0x00100000)"

# case -> (expert abbreviation or None, display-filter clauses that must hold)
CHECKS = {
    "version": ("xsan.expert.bad_version",
                ["xsan.version == 2", "xsan.opcode == 0x0202", "xsan.body", "!xsan.inode"]),
    "hdr_long": (None, ["xsan.hdr_len == 32", "xsan.inode == 1042", "!_ws.malformed",
                        NO_EXPERT]),
    "attr_past_body": ("xsan.expert.attr_past_end", ["xsan.parent_inode == 1001"]),
    "attr_past_group": ("xsan.expert.attr_past_end", ["xsan.status == 0",
                                                      "xsan.inode == 3001", "xsan.dirent"]),
    "wrong_length": ("xsan.expert.attr_bad_length", ["xsan.attr.value", "xsan.opcode == 0x0202"]),
    "too_deep": ("xsan.expert.group_too_deep", ["xsan.status == 0", "xsan.extent"]),
    "unknown_tag": ("xsan.expert.unknown_tag", ["xsan.attr.tag == 0x0999", "xsan.attr.value",
                                                "xsan.inode == 1042"]),
    "unknown_opcode": ("xsan.expert.unknown_opcode", ["xsan.opcode == 0x0799",
                                                      "xsan.inode == 1042"]),
    "reserved_flags": ("xsan.expert.reserved_flags", ["xsan.flags.reserved != 0",
                                                      "xsan.opcode == 0x0104"]),
    "response_notify": ("xsan.expert.response_and_notify", ["xsan.flags.response == 1",
                                                         "xsan.flags.notify == 1",
                                                         "xsan.token_id == 5"]),
    "error_no_response": ("xsan.expert.error_not_response", ["xsan.flags.error == 1",
                                                           "xsan.flags.response == 0",
                                                           "xsan.inode == 1042"]),
    "error_but_ok": ("xsan.expert.error_flag_mismatch", ["xsan.status == 0",
                                                         "xsan.file_type == 1"]),
    "status_no_error": ("xsan.expert.error_flag_mismatch", ["xsan.status == 2",
                                                            "xsan.flags.error == 0"]),
    "no_status_first": ("xsan.expert.no_status", ["xsan.file_type == 1"]),
    "bad_utf8": ("xsan.expert.invalid_utf8", ["xsan.parent_inode == 1001",
                                              'xsan.name contains "clip"']),
    "frag_65": ("xsan.expert.frag_too_many", ["xsan.frag_index == 64"]),
    "frag_repeat": ("xsan.expert.frag_repeated", ["xsan.frag_index == 1"]),
    "frag_gap": ("xsan.expert.frag_gap", ["xsan.frag_index == 3", "xsan.flags.more == 0"]),
    "frag_big": ("xsan.expert.frag_too_big", ["xsan.frag_index == 1"]),
    "hdr_short": ("xsan.expert.hdr_len_short", ["xsan.hdr_len == 16", "xsan.magic"]),
    "body_huge": ("xsan.expert.body_too_long", ["xsan.body_len == 0x7fffffff"]),
    "not_xsan_tcp": (None, ["xsan", "xsan.body", "!xsan.opcode", "tcp.port == 60868"]),
    "not_xsan_udp": (None, ["xsan", "xsan.body", "!xsan.opcode", "udp.port == 60868"]),
}


def test_every_case_checked():
    assert set(CHECKS) == set(CASES)


def test_every_case_commented(tshark):
    labels = X.capture(NAME).labels
    rows = tshark.fields(NAME, ["frame.number", "frame.comment"], dfilter="frame.comment")
    comments = {int(r["frame.number"][0]): r["frame.comment"] for r in rows}
    for key, text in CASES.items():
        assert comments.get(labels[key]) == ["malformed: " + text], key


# known only once the whole capture is read: flagged from the second pass on
SECOND_PASS = {"frag_gap"}


@pytest.mark.parametrize("key", list(CASES))
def test_case(tshark, key):
    frame = X.capture(NAME).labels[key]
    expert, clauses = CHECKS[key]
    clauses = ["xsan"] + clauses + ([expert] if expert else [])
    two_pass = key in SECOND_PASS
    failed = [c for c in clauses
              if tshark.count(NAME, f"frame.number == {frame} && ({c})", two_pass=two_pass) != 1]
    assert not failed, f"frame {frame} ({CASES[key]}): these do not hold: {failed}"


@pytest.mark.parametrize("key", ["hdr_short", "body_huge"])
def test_stream_goes_on_after_bad_header(tshark, key):
    """The next segment of the same TCP stream is decoded normally."""
    frame = X.capture(NAME).labels[key + "_after"]
    assert tshark.count(NAME, f"frame.number == {frame} && xsan.opcode == 0x0104 "
                              f"&& xsan.xid == 0x600d && {NO_EXPERT}") == 1


def test_bad_utf8_replacement_characters(tshark):
    frame = X.capture(NAME).labels["bad_utf8"]
    rows = tshark.fields(NAME, ["xsan.name"], dfilter=f"frame.number == {frame}")
    assert "\ufffd" in rows[0]["xsan.name"][0]


def test_no_dissector_bug(tshark):
    """Malformed input never triggers a dissector bug or an exception of ours."""
    out = tshark.run("-V", capture=NAME).stdout
    assert "Dissector bug" not in out
    assert tshark.count(NAME, "xsan.expert.decode_exception") == 0


def test_gap_not_flagged_in_one_pass(tshark):
    """One pass cannot know that the missing piece never comes."""
    assert tshark.count(NAME, "xsan.expert.frag_gap") == 0
