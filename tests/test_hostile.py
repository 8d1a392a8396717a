# SPDX-License-Identifier: GPL-2.0-or-later
"""The hostile captures (tools/xsangen/vectors_hostile.py): tshark survives
each of them (exit 0, one and two passes, full tree), and each hostile
message carries the expert info the spec asks for, with what decoded before
it kept. Frames come from the generator's labels. Time and memory bounds
are bench/hostile's business, not a test's."""
import subprocess

import pytest

import xsan_expect as X
from xsangen.vectors_hostile import CASES

# (capture, case) -> display-filter clauses that must hold in the labelled
# frame ("!clause" must not). ("count", field, n): the frame shows field n times.
CHECKS = {
    ("hostile-lengths.pcapng", "body_ffffffff"): ["xsan.expert.body_too_long", "xsan.body_len == 0xffffffff"],
    ("hostile-lengths.pcapng", "body_wrap"): ["xsan.expert.body_too_long", "xsan.body_len == 0xffffffe8"],
    ("hostile-lengths.pcapng", "body_over"): ["xsan.expert.body_too_long", "xsan.body_len == 0x100001"],
    ("hostile-lengths.pcapng", "hdr_zero"): ["xsan.expert.hdr_len_short", "xsan.hdr_len == 0"],
    # a believable header: TCP waits for the body (which never comes); no Xsan verdict
    ("hostile-lengths.pcapng", "hdr_255"): ["~tcp.len == 271", "~!xsan.expert.body_too_long", "~!xsan.expert.truncated"],
    ("hostile-lengths.pcapng", "attr_ffff"): ["xsan.expert.attr_past_end", "xsan.parent_inode == 2"],
    ("hostile-lengths.pcapng", "group_ffff"): ["xsan.expert.attr_past_end", "xsan.status == 0"],
    ("hostile-lengths.pcapng", "udp_ffffffff"): ["xsan.expert.body_too_long", "udp"],
    ("hostile-lengths.pcapng", "udp_wrap"): ["xsan.expert.body_too_long", "udp"],
    ("hostile-lengths.pcapng", "udp_short"): ["xsan.expert.truncated", "udp"],
    ("hostile-lengths.pcapng", "udp_attr_ffff"): ["xsan.expert.attr_past_end", "xsan.hb_seq == 7"],
    ("hostile-deep.pcapng", "depth_4"): ["!xsan.expert.group_too_deep", "xsan.stripe_group == 1",
                                         ("count", "xsan.extent", 4)],
    ("hostile-deep.pcapng", "depth_5"): ["xsan.expert.group_too_deep", "xsan.status == 0",
                                         ("count", "xsan.extent", 4)],
    ("hostile-deep.pcapng", "depth_200"): ["xsan.expert.group_too_deep", "xsan.status == 0",
                                           ("count", "xsan.dirent", 4)],
    ("hostile-deep.pcapng", "depth_200_udp"): ["xsan.expert.group_too_deep", ("count", "xsan.counter", 4)],
    ("hostile-tiny.pcapng", "u8_20000"): ["!xsan.expert.attr_past_end", "!xsan.expert.attr_bad_length",
                                          ("count", "xsan.file_type", 20000)],
    ("hostile-tiny.pcapng", "unknown_20000"): ["xsan.expert.unknown_tag", ("count", "xsan.attr.value", 20000)],
    ("hostile-tiny.pcapng", "dirents_10000"): [("count", "xsan.dirent", 10000),
                                               ("count", "xsan.file_type", 10000)],
    ("hostile-zero.pcapng", "names_65536"): ["!xsan.expert.attr_past_end", ("count", "xsan.attr.len", 65536)],
    # STATUS + 65,536 groups: one past the 65,536-attribute budget of a message
    ("hostile-zero.pcapng", "groups_65536"): ["!xsan.expert.attr_past_end", ("count", "xsan.dirent", 65535),
                                              "xsan.expert.too_many_attrs"],
    ("hostile-zero.pcapng", "zeros_256k"): ["xsan.expert.unknown_tag", ("count", "xsan.attr.tag", 65536)],
    ("hostile-zero.pcapng", "fixed_zero"): ["xsan.expert.attr_bad_length"],
    ("hostile-zero.pcapng", "empty_nested"): ["!xsan.expert.group_too_deep", ("count", "xsan.extent", 4000)],
    ("hostile-fragments.pcapng", "never_finishes"): ["xsan.frag_index == 62", "!xsan.reassembled_in",
                                                     "!xsan.expert.frag_too_many"],
    ("hostile-fragments.pcapng", "repeat_0"): ["xsan.expert.frag_repeated"],
    ("hostile-fragments.pcapng", "index_ffff"): ["xsan.expert.frag_too_many", "xsan.frag_index == 65535"],
    ("hostile-fragments.pcapng", "pieces_300"): ["xsan.expert.frag_too_many"],
    ("hostile-fragments.pcapng", "held_500"): ["xsan.flags.more == 1", "!xsan.expert.frag_too_many",
                                               "!xsan.expert.frag_repeated"],
    ("hostile-fragments.pcapng", "gap_last"): ["xsan.expert.frag_gap"],
    ("hostile-xid-flood.pcapng", "flood"): ["xsan.opcode == 0x0202"],
    ("hostile-xid-flood.pcapng", "flood_end"): ["xsan.xid == 0x00f1ffff"],
    ("hostile-strings.pcapng", "nul_middle"): ["xsan.expert.embedded_nul"],
    ("hostile-strings.pcapng", "nul_only"): ["xsan.expert.embedded_nul"],
    ("hostile-strings.pcapng", "nul_hostname_udp"): ["xsan.expert.embedded_nul", "xsan.hb_seq == 1"],
    ("hostile-strings.pcapng", "long_65535"): ["xsan.attr.len == 65535", "!xsan.expert.invalid_utf8",
                                               "!xsan.expert.attr_past_end"],
    ("hostile-strings.pcapng", "long_bad_65535"): ["xsan.attr.len == 65535", "xsan.expert.invalid_utf8"],
    ("hostile-strings.pcapng", "long_multibyte"): ["xsan.attr.len == 65534", "xsan.expert.invalid_utf8",
                                                   "xsan.status == 0"],
}
CHECKS.update({
    ("hostile-items.pcapng", "zeros_1mib"): ["xsan.opcode == 0x0202", "xsan.body_len == 1048576",
                                             "xsan.expert.unknown_tag", "xsan.expert.too_many_attrs",
                                             "!_ws.malformed"],
    ("hostile-items.pcapng", "names_1mib"): ["xsan.opcode == 0x0201", "xsan.body_len == 1048576",
                                             "xsan.expert.too_many_attrs", "!_ws.malformed"],
})
for _k in CASES["hostile-strings.pcapng"]:
    if _k.startswith("utf8_"):
        CHECKS[("hostile-strings.pcapng", _k)] = ["xsan.expert.invalid_utf8", "xsan.parent_inode == 2"]

# Follow-ups that are not hostile themselves: the connection goes on.
AFTER = {("hostile-lengths.pcapng", k + "_after"): ["xsan.opcode == 0x0104", "xsan.xid == 0x600d",
                                                    "!_ws.expert.severity >= 0x00800000"]
         for k in ("body_ffffffff", "body_wrap", "body_over")}
AFTER[("hostile-xid-flood.pcapng", "flood_reply")] = ["xsan.status == 0", "xsan.flags.response == 1"]
AFTER[("hostile-items.pcapng", "items_after")] = ["xsan.xid == 0x600e", "xsan.opcode == 0x0104"]


KNOWN = {}


def _params(keys):
    return [pytest.param(*k, marks=KNOWN.get(k, ()), id=f"{k[0][8:-7]}-{k[1]}") for k in keys]


def test_every_case_checked():
    assert set(CHECKS) == {(c, k) for c, keys in CASES.items() for k in keys}


@pytest.mark.parametrize("capture", [pytest.param(c, marks=KNOWN.get(c, ())) for c in sorted(CASES)])
@pytest.mark.parametrize("two_pass", [False, True], ids=["1pass", "2pass"])
def test_survives(tshark, capture, two_pass):
    """Full tree, every frame: exit 0, nothing on stderr (a dissector bug or
    an exception is logged there as an Epan WARNING)."""
    cmd = tshark.stage_.command(["-n", "-r", str(tshark.stage(capture)), "-V"]
                                + (["-2"] if two_pass else []))
    proc = subprocess.run(cmd, env=tshark.env, cwd=tshark.files, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, errors="replace", timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not proc.stderr.strip(), proc.stderr[-2000:]


def test_every_case_commented(tshark):
    for capture, keys in CASES.items():
        labels = X.capture(capture).labels
        # the comment is on the message's first segment, the label on its last
        comments = X.comment_frames(tshark, capture)
        for key, text in keys.items():
            assert comments.get("hostile: " + text, 1 << 30) <= labels[key], (capture, key)


def _holds(tshark, capture, frame, clause):
    if clause.startswith("~"):  # a clause on the frame, which need not show xsan
        dfilter = f"frame.number == {frame} && ({clause[1:]})"
    else:
        dfilter = f"frame.number == {frame} && xsan && ({clause})"
    return tshark.count(capture, dfilter, two_pass=True) == 1


def _check(tshark, capture, key, clauses):
    """All clauses in one tshark run (one per clause only to name a failure),
    all counts in another."""
    frame = X.capture(capture).labels[key]
    failed = []
    counts = [c for c in clauses if isinstance(c, tuple)]
    filters = [c for c in clauses if not isinstance(c, tuple)]
    if counts:
        fields = sorted({f for _, f, _ in counts})
        rows = tshark.fields(capture, fields, dfilter=f"frame.number == {frame}", two_pass=True)
        for _, field, n in counts:
            got = len(rows[0][field]) if rows else 0
            if got != n:
                failed.append(f"{field} shown {got} times, not {n}")
    if filters:
        on_frame = [c[1:] for c in filters if c.startswith("~")]
        on_xsan = [c for c in filters if not c.startswith("~")]
        dfilter = " && ".join([f"frame.number == {frame}"] + [f"({c})" for c in on_frame]
                              + ([f"xsan && ({c})" for c in on_xsan]))
        if tshark.count(capture, dfilter, two_pass=True) != 1:
            failed += [c for c in filters if not _holds(tshark, capture, frame, c)] or [dfilter]
    assert not failed, f"{capture} frame {frame} ({key}): these do not hold: {failed}"


@pytest.mark.parametrize("capture,key", _params(sorted(CHECKS)))
def test_case(tshark, capture, key):
    _check(tshark, capture, key, CHECKS[(capture, key)])


@pytest.mark.parametrize("capture,key", _params(sorted(AFTER)))
def test_goes_on_after(tshark, capture, key):
    _check(tshark, capture, key, AFTER[(capture, key)])


def test_flood_every_request_decoded(tshark):
    """All 20,001 requests of the flood are decoded, none lost or doubled."""
    rows = tshark.fields("hostile-xid-flood.pcapng", ["xsan.xid"],
                         dfilter="xsan.flags.response == 0", two_pass=True)
    xids = [x for r in rows for x in r["xsan.xid"]]
    assert len(xids) == 20001 and len(set(xids)) == 20001


@pytest.mark.parametrize("key", ["nul_middle", "nul_only", "nul_hostname_udp"])
def test_nul_is_not_invalid_utf8(tshark, key):
    _check(tshark, "hostile-strings.pcapng", key, ["!xsan.expert.invalid_utf8"])


def test_bad_length_status_is_not_a_status(tshark):
    """A response whose first STATUS has length 0 has no usable STATUS: no verdict on it."""
    _check(tshark, "hostile-zero.pcapng", "fixed_zero",
           ["!xsan.expert.error_flag_mismatch", "!xsan.expert.error_status"])


@pytest.mark.parametrize("capture,key,text", [
    ("hostile-zero.pcapng", "zeros_256k", "Unknown attribute tag 0x0000"),
    ("hostile-tiny.pcapng", "unknown_20000", "Unknown attribute tag"),
])
def test_repeated_problem_flagged_once_with_count(tshark, capture, key, text):
    """One problem on thousands of attributes: the first 16 are flagged, then
    one item gives the count (each expert item is a subtree of its own)."""
    frame = X.capture(capture).labels[key]
    rows = tshark.fields(capture, ["_ws.expert.message"], dfilter=f"frame.number == {frame}", two_pass=True)
    msgs = rows[0]["_ws.expert.message"] if rows else []
    assert sum(text in m for m in msgs) == 16, msgs[:20]
    more = [m for m in msgs if "more attributes of this message have this problem" in m]
    n_attrs = len(tshark.fields(capture, ["xsan.attr.tag"], dfilter=f"frame.number == {frame}",
                                two_pass=True)[0]["xsan.attr.tag"])
    assert len(more) == 1 and more[0].startswith(f"{n_attrs - 16} more"), more
