# SPDX-License-Identifier: GPL-2.0-or-later
"""Check a decode of random traffic (randtraffic) against what was written.

check(traffic, run) returns a list of problems (empty: the seed passes).
run(fields, dfilter, two_pass) must run tshark with the plugin under test on
the traffic's capture and return rows as tests/conftest.TShark.fields does
(one dict per frame: field -> list of values).

Properties, in one pass and with -2:
  * every message is decoded exactly once, in the frame that completes it:
    each frame shows exactly the headers of the messages and pieces that end
    in it, and the attributes of the messages it completes, with the values
    written (same tags, lengths and values, in order);
  * responses point at their requests (xsan.request_in), requests at their
    first response (xsan.response_in), retried copies at the first copy;
  * valid traffic: no warning, no error, no malformed mark at all;
  * corrupted traffic: each damage has its expert item in its frame, the
    attributes before it are decoded, and every undamaged message still
    decodes exactly as written.
"""
import calendar
import ipaddress
import re
import uuid
from collections import Counter

from . import wire
from .randtraffic import CORRUPTIONS, ERROR_NOT_RESPONSE, JUNK_EXPERT, expert_for
from .wire import Flag, Tag

HEADER = ["xsan.opcode", "xsan.xid", "xsan.session", "xsan.frag_index", "xsan.body_len",
          "xsan.flags.response", "xsan.flags.error", "xsan.flags.more", "xsan.flags.notify",
          "xsan.flags.retry"]
FLAGS = {"xsan.flags.response": Flag.RESPONSE, "xsan.flags.error": Flag.ERROR,
         "xsan.flags.more": Flag.MORE, "xsan.flags.notify": Flag.NOTIFY,
         "xsan.flags.retry": Flag.RETRY}
TAGS = [wire.field(t) for t in Tag if wire.TAG_TYPE[t] != "group"]
LINKS = ["xsan.request_in", "xsan.response_in", "xsan.retransmission_of"]
EXPERTS = sorted(set(CORRUPTIONS.values()) | {ERROR_NOT_RESPONSE, JUNK_EXPERT})
FIELDS = ["frame.number"] + HEADER + ["xsan.attr.tag", "xsan.attr.len"] + TAGS + LINKS + EXPERTS
BAD = "_ws.malformed || _ws.expert.severity >= 0x00600000"

_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
_CTIME = re.compile(r"(\w{3}) +(\d+), (\d{4}) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?")
_ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?")


def _int(s):
    s = s.strip()
    if s.lower().startswith("0x"):
        return int(s, 16)
    if len(s) > 1 and s.startswith("0") and s.isdigit():
        return int(s, 8)
    return int(s)


def _bool(s):
    return s.strip().lower() in ("1", "true", "set")


def _time(s):
    m = _CTIME.search(s)
    if m:
        mon, d, y, hh, mi, ss, frac = m.groups()
        y, mo, d = int(y), _MONTHS[mon], int(d)
    else:
        y, mo, d, hh, mi, ss, frac = _ISO.search(s).groups()
        y, mo, d = int(y), int(mo), int(d)
    return calendar.timegm((y, mo, d, int(hh), int(mi), int(ss))) * 10**9 + \
        int((frac or "0").ljust(9, "0")[:9])


def parse(f, s):
    """A tshark value in the form the generator wrote it."""
    if f in FLAGS:
        return _bool(s)
    if f in HEADER or f in ("xsan.attr.tag", "xsan.attr.len"):
        return _int(s)
    t = wire.TAG_TYPE[Tag[f.split(".", 1)[1].upper()]]
    if t in ("u8", "u16", "u32", "u64"):
        return _int(s)
    if t == "bool":
        return _bool(s)
    if t == "time":
        return _time(s)
    if t == "bytes16":
        return str(uuid.UUID(s))
    if t in ("ipv4", "ipv6"):
        return ipaddress.ip_address(s)
    return s


def norm(f, v):
    if f in ("xsan.client_id", "xsan.volume_uuid"):
        return str(uuid.UUID(str(v)))
    if f in ("xsan.ipv4", "xsan.ipv6"):
        return ipaddress.ip_address(v)
    if isinstance(v, bool) or f in FLAGS:
        return bool(v)
    return int(v) if isinstance(v, int) else v


def _walk(attrs):
    for a in attrs:
        yield a
        yield from _walk(a.children)


def expected(wires):
    """{field: [values]} for the wires of one frame, in order."""
    exp = {f: [] for f in HEADER + ["xsan.attr.tag", "xsan.attr.len"] + TAGS}
    for w in wires:
        m = w.msg
        for f, v in zip(HEADER, (m.opcode, m.xid, m.session, m.frag_index, m.body_len)):
            exp[f].append(v)
        for f, bit in FLAGS.items():
            exp[f].append(bool(m.flags & bit))
        if w.completes and w.whole.decoded:
            for a in _walk(w.whole.msg.attrs):
                exp["xsan.attr.tag"].append(a.tag)
                exp["xsan.attr.len"].append(len(a) - 4)
                if wire.tag_type(a.tag) not in ("group", "bytes") and not isinstance(a.value, bytes):
                    exp[wire.field(a.tag)].append(a.value)
    return exp


def _kept_values(whole):
    out = []
    for a in _walk(whole.kept):
        if a.tag is not None and wire.tag_type(a.tag) not in ("group", "bytes") \
                and not isinstance(a.value, bytes):
            out.append((wire.field(a.tag), norm(wire.field(a.tag), a.value)))
    return out


def check(traffic, run):
    problems = []
    frames = traffic.by_frame()
    damaged = {w.frame for w in traffic.wires if w.whole.corruption} | set(traffic.junk)
    for two_pass in (False, True):
        tag = "-2" if two_pass else "1 pass"
        rows = {int(r["frame.number"][0]): r for r in run(FIELDS, None, two_pass)}
        for n, row in rows.items():
            got = {}
            try:
                # one empty value prints as an empty column: the same as none
                got = {f: [parse(f, v) for v in row.get(f, [])] or
                       ([""] if wire.TAG_TYPE.get(Tag[f.split(".", 1)[1].upper()]) == "string" else [])
                       if f in TAGS else [parse(f, v) for v in row.get(f, [])]
                       for f in HEADER + TAGS + ["xsan.attr.tag", "xsan.attr.len"]}
            except (ValueError, KeyError, AttributeError) as e:
                problems.append(f"{tag} frame {n}: unparsable value ({e})")
                continue
            wires = frames.get(n, [])
            exp = {f: [norm(f, v) for v in vs] for f, vs in expected(wires).items()}
            for f in TAGS:
                if got[f] == [""] and exp[f] == []:
                    got[f] = []
            if n not in damaged:
                for f in exp:
                    if got[f] != exp[f]:
                        problems.append(f"{tag} frame {n} {f}: expected {exp[f][:12]}, got {got[f][:12]}")
            else:
                # headers of every message ending here; undamaged ones whole
                for f in HEADER:
                    if Counter(exp[f]) - Counter(got[f]):
                        problems.append(f"{tag} frame {n} {f}: {exp[f]} not all in {got[f]}")
                good = [w for w in wires if not w.whole.corruption]
                ok_exp = expected(good)
                for f in TAGS:
                    missing = Counter(norm(f, v) for v in ok_exp[f]) - Counter(got[f])
                    if missing:
                        problems.append(f"{tag} frame {n} {f}: undamaged values missing {list(missing)[:5]}")
            problems += _check_links(tag, n, row, wires)
        problems += _check_damage(traffic, rows, two_pass)
        if not traffic.corrupt:
            bad = run(["frame.number", "_ws.expert.message"], BAD, two_pass)
            for r in bad[:10]:
                problems.append(f"{tag} frame {r['frame.number'][0]}: warning or malformed in valid "
                                f"traffic: {r['_ws.expert.message']}")
        missing = set(frames) - set(rows)
        if missing:
            problems.append(f"{tag}: frames not in the output: {sorted(missing)[:10]}")
    return problems


def _check_links(tag, n, row, wires):
    out = []
    done = [w.whole for w in wires if w.completes and w.whole.decoded]
    want_req = [wh.request.frame for wh in done
                if wh.request and not wh.corruption and not wh.request.corruption and wh.request.frame
                and wh.msg.flags & Flag.RESPONSE]
    got_req = [int(v) for v in row.get("xsan.request_in", [])]
    if Counter(want_req) - Counter(got_req):
        out.append(f"{tag} frame {n} xsan.request_in: expected {want_req}, got {got_req}")
    if tag == "-2":   # a request learns its response in the second pass
        want = [wh.response.frame for wh in done if wh.response and not wh.corruption
                and not wh.response.corruption and wh.response.frame and not wh.retry_of]
        got = [int(v) for v in row.get("xsan.response_in", [])]
        if Counter(want) - Counter(got):
            out.append(f"{tag} frame {n} xsan.response_in: expected {want}, got {got}")
    want = [wh.retry_of.frame for wh in done if wh.retry_of and not wh.corruption
            and not wh.retry_of.corruption and wh.retry_of.frame]
    got = [int(v) for v in row.get("xsan.retransmission_of", [])]
    if Counter(want) - Counter(got):
        out.append(f"{tag} frame {n} xsan.retransmission_of: expected {want}, got {got}")
    return out


def _check_damage(traffic, rows, two_pass):
    tag = "-2" if two_pass else "1 pass"
    out = []
    for wh in traffic.wholes:
        if not wh.corruption:
            continue
        if wh.corruption == "frag_gap" and not two_pass:
            continue    # known only once the whole capture is read
        expert = expert_for(wh)
        row = rows.get(wh.flag_frame, {})
        if not row.get(expert):
            out.append(f"{tag} frame {wh.flag_frame}: {wh.corruption} of {wire.Op(wh.msg.opcode).name if wh.msg.opcode in wire.Op._value2member_map_ else hex(wh.msg.opcode)} xid {wh.msg.xid:#x} lacks {expert}")
        if wh.decoded and wh.frame:
            row = rows.get(wh.frame, {})
            for f, v in _kept_values(wh):
                try:
                    vals = [parse(f, x) for x in row.get(f, [])]
                except ValueError:
                    vals = []
                if v not in vals and not (v == "" and not vals):   # "" alone prints as nothing
                    out.append(f"{tag} frame {wh.frame}: {wh.corruption}: {f} = {v!r} not decoded")
    for n in traffic.junk:
        if not rows.get(n, {}).get(JUNK_EXPERT):
            out.append(f"{tag} frame {n}: bytes that are not a message lack {JUNK_EXPERT}")
    return out


def summary(traffic):
    """Numbers of one seed, for reports."""
    return {"frames": len(traffic.cap.packets), "messages": len(traffic.wholes),
            "wire": len(traffic.wires),
            "pieces": sum(1 for w in traffic.wires if w.whole.pieces > 1),
            "damaged": sum(1 for w in traffic.wholes if w.corruption) + len(traffic.junk)}


def unescape(value):
    """From 4.4 on, -T fields escapes backslashes, tabs and newlines."""
    if "\\" not in value:
        return value
    return re.sub(r"\\([\\tnr])", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(m.group(1), "\\"), value)
