# SPDX-License-Identifier: GPL-2.0-or-later
"""Expectations derived from the capture generator's own scenario data, and
the parsing of tshark -T fields values back into Python values to compare.

Tests build a capture in-process (xsangen.scenarios.build) to learn what
was sent in which frame; test_regen makes sure that equals captures/.
"""
import calendar
import ipaddress
import re
import sys
import uuid
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

from xsangen import scenarios, wire  # noqa: E402
from xsangen.wire import Flag, Op, Tag  # noqa: E402,F401

HEADER_FIELDS = ["xsan.opcode", "xsan.xid", "xsan.session", "xsan.frag_index",
                 "xsan.body_len", "xsan.flags.response", "xsan.flags.error",
                 "xsan.flags.more", "xsan.flags.notify", "xsan.flags.retry"]
TAG_FIELDS = [wire.field(t) for t in Tag if wire.TAG_TYPE[t] != "group"]
FLAG_FIELDS = {"xsan.flags.response": Flag.RESPONSE, "xsan.flags.error": Flag.ERROR,
               "xsan.flags.more": Flag.MORE, "xsan.flags.notify": Flag.NOTIFY,
               "xsan.flags.retry": Flag.RETRY}


@lru_cache(maxsize=None)
def capture(name):
    """The freshly built Capture of a captures/ file (packets, messages, labels)."""
    return scenarios.build(name)


def by_frame(name):
    """{frame number: [Message, ...]} for messages ending in that frame."""
    out = defaultdict(list)
    for frame, msg in capture(name).messages:
        out[frame].append(msg)
    return dict(out)


def walk(attrs):
    """Attributes depth-first, groups before their children (tree order)."""
    for a in attrs:
        yield a
        yield from walk(a.children)


def expected_fields(msgs):
    """{field: [python values]} the messages of one frame should show."""
    exp = defaultdict(list)
    for m in msgs:
        exp["xsan.opcode"].append(m.opcode)
        exp["xsan.xid"].append(m.xid)
        exp["xsan.session"].append(m.session)
        exp["xsan.frag_index"].append(m.frag_index)
        exp["xsan.body_len"].append(m.body_len)
        for f, bit in FLAG_FIELDS.items():
            exp[f].append(bool(m.flags & bit))
        for a in walk(m.attrs):
            exp["xsan.attr.tag"].append(a.tag)
            exp["xsan.attr.len"].append(len(a) - 4)
            if (wire.tag_type(a.tag) not in ("group", "bytes")
                    and not isinstance(a.value, (bytes, bytearray))):
                exp[wire.field(a.tag)].append(a.value)
    return exp


# ------------------------------------------------------------ tshark values

_MONTHS = {m: i for i, m in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
_CTIME = re.compile(r"(\w{3}) +(\d+), (\d{4}) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?")
_ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?")


def to_int(s):
    s = s.strip()
    if s.lower().startswith("0x"):
        return int(s, 16)
    if len(s) > 1 and s.startswith("0") and s.isdigit():
        return int(s, 8)  # BASE_OCT
    return int(s)


def to_bool(s):
    s = s.strip().lower()
    if s in ("1", "true", "set"):
        return True
    if s in ("0", "false", "not set"):
        return False
    raise ValueError(f"not a boolean: {s!r}")


def to_time_ns(s):
    """Absolute time as tshark prints it (TZ=UTC), to ns since the epoch."""
    m = _CTIME.search(s)
    if m:
        mon, day, year, hh, mi, ss, frac = m.groups()
        y, mo, d = int(year), _MONTHS[mon], int(day)
    else:
        m = _ISO.search(s)
        if not m:
            raise ValueError(f"not a time: {s!r}")
        y, mo, d, hh, mi, ss, frac = m.groups()
        y, mo, d = int(y), int(mo), int(d)
    secs = calendar.timegm((y, mo, d, int(hh), int(mi), int(ss)))
    return secs * 10**9 + int((frac or "0").ljust(9, "0")[:9])


def unescape(s):
    """Undo tshark's escaping of control characters in string fields."""
    return re.sub(r"\\([nrt\\])", lambda m: {"n": "\n", "r": "\r", "t": "\t",
                                            "\\": "\\"}[m.group(1)], s)


def parse(field, s):
    """A tshark field value as the Python value the generator used."""
    if field in FLAG_FIELDS:
        return to_bool(s)
    if field in ("xsan.opcode", "xsan.xid", "xsan.session", "xsan.frag_index",
                 "xsan.body_len", "xsan.attr.tag", "xsan.attr.len"):
        return to_int(s)
    tag = Tag[field.split(".", 1)[1].upper()]
    t = wire.TAG_TYPE[tag]
    if t in ("u8", "u16", "u32", "u64"):
        return to_int(s)
    if t == "bool":
        return to_bool(s)
    if t == "time":
        return to_time_ns(s)
    if t == "bytes16":
        return str(uuid.UUID(s))
    if t in ("ipv4", "ipv6"):
        return ipaddress.ip_address(s)
    return unescape(s)


def norm_expected(field, v):
    """The generator's value in the form parse() returns."""
    if field in ("xsan.client_id", "xsan.volume_uuid"):
        return str(uuid.UUID(str(v)))
    if field in ("xsan.ipv4", "xsan.ipv6"):
        return ipaddress.ip_address(v)
    if isinstance(v, bool) or field in FLAG_FIELDS:
        return bool(v)
    return int(v) if isinstance(v, int) else v


def compare_frame(row, msgs, fields):
    """List of mismatches (field, expected, got) for one frame."""
    exp = expected_fields(msgs)
    bad = []
    for f in fields:
        want = [norm_expected(f, v) for v in exp.get(f, [])]
        try:
            got = [parse(f, v) for v in row.get(f, [])]
        except ValueError as e:
            bad.append((f, want, f"unparsable: {e} in {row.get(f)}"))
            continue
        if got != want:
            bad.append((f, want, got))
    return bad


def check_all_frames(tshark, name, fields, extra=()):
    """Every field of every message in a capture is what the scenario encoded."""
    rows = tshark.fields(name, ["frame.number"] + fields, extra=extra)
    expected = by_frame(name)
    problems = []
    seen = {int(r["frame.number"][0]) for r in rows}
    assert set(expected) <= seen, "frames with messages missing from tshark output"
    for row in rows:
        frame = int(row["frame.number"][0])
        for f, want, got in compare_frame(row, expected.get(frame, []), fields):
            problems.append(f"frame {frame} {f}: expected {want}, got {got}")
    assert not problems, "\n".join(problems[:40])


def comment_frames(tshark, name):
    """Packet comment text -> the first frame that carries it."""
    rows = tshark.fields(name, ["frame.number", "frame.comment"], dfilter="frame.comment")
    frames = {}
    for r in rows:
        for c in r["frame.comment"]:
            frames.setdefault(c, int(r["frame.number"][0]))
    return frames
