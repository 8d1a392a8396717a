# SPDX-License-Identifier: GPL-2.0-or-later
"""Analysis (issue 4): request/response links, response times, SRT and the
statistics tree, sessions, paths, tokens and locks, heartbeats and failover.
Captures come from tools/xsangen/vectors_analysis.py; each labels the frames
that matter in cap.expect, so expectations follow the generator."""
import re
from collections import defaultdict

import pytest

import xsan_expect as X
from xsan_expect import Op

CALLS = "analysis-calls.pcapng"
NAMES = "analysis-names.pcapng"
TOKENS = "analysis-tokens.pcapng"
FAILOVER = "analysis-failover.pcapng"


def frames(name):
    return X.capture(name).expect


def ts_us(name, frame):
    return X.capture(name).packets[frame - 1].ts_us


def secs(us):
    return f"{us // 1000000}.{us % 1000000:06d}000"   # FT_RELATIVE_TIME as tshark prints it


def by_frame(tshark, name, fields, two_pass=True, extra=()):
    rows = tshark.fields(name, ["frame.number"] + fields, dfilter="xsan",
                    two_pass=two_pass, extra=extra)
    return {int(r["frame.number"][0]): r for r in rows}


def check(rows, want):
    """want: {frame: {field: [values]}}; fields not named must be empty."""
    problems = []
    for frame, fields in want.items():
        for f, values in fields.items():
            got = rows[frame].get(f, [])
            if got != [str(v) for v in values]:
                problems.append(f"frame {frame} {f}: expected {values}, got {got}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- calls

CALL_FIELDS = ["xsan.request_in", "xsan.response_in", "xsan.time", "xsan.retransmission_of",
               "_ws.expert.message"]


def call_expectations(two_pass):
    e = frames(CALLS)
    rsp_in = (lambda f: [f]) if two_pass else (lambda f: [])
    want = {}
    for label in ("hello", "mount", "lookup"):
        want[e[label + ".req"]] = {"xsan.response_in": rsp_in(e[label + ".rsp"]),
                                   "xsan.retransmission_of": []}
        want[e[label + ".rsp"]] = {"xsan.request_in": [e[label + ".req"]],
                                   "xsan.time": [secs(ts_us(CALLS, e[label + ".rsp"]) -
                                                      ts_us(CALLS, e[label + ".req"]))]}
    want[e["getattr.req"]] = {"xsan.response_in": rsp_in(e["getattr.rsp"])}
    want[e["getattr.retry"]] = {"xsan.retransmission_of": [e["getattr.req"]],
                                "xsan.response_in": rsp_in(e["getattr.rsp"])}
    # the time counts from the first copy, not the retry
    want[e["getattr.rsp"]] = {"xsan.request_in": [e["getattr.req"]],
                              "xsan.time": [secs(ts_us(CALLS, e["getattr.rsp"]) -
                                                 ts_us(CALLS, e["getattr.req"]))]}
    want[e["lookup2.dup"]] = {"xsan.retransmission_of": [e["lookup2.req"]]}
    want[e["lookup2.rsp"]] = {"xsan.request_in": [e["lookup2.req"]],
                              "xsan.time": [secs(ts_us(CALLS, e["lookup2.rsp"]) -
                                                 ts_us(CALLS, e["lookup2.req"]))]}
    want[e["truncate.rsp"]] = {"xsan.request_in": [e["truncate.req"]]}
    want[e["truncate.again"]] = {"xsan.request_in": [e["truncate.req"]], "xsan.time": []}
    want[e["keepalive.req"]] = {"xsan.response_in": []}
    want[e["orphan"]] = {"xsan.request_in": [], "xsan.time": []}
    want[e["goodbye"]] = {"xsan.request_in": [], "xsan.response_in": [], "xsan.time": []}
    return want


@pytest.mark.parametrize("two_pass", [False, True], ids=["one-pass", "two-pass"])
def test_call_links(tshark, two_pass):
    rows = by_frame(tshark, CALLS, CALL_FIELDS, two_pass)
    check(rows, call_expectations(two_pass))


def test_call_expert(tshark):
    e = frames(CALLS)
    two = by_frame(tshark, CALLS, CALL_FIELDS, True)
    one = by_frame(tshark, CALLS, CALL_FIELDS, False)

    def msgs(rows, label):
        return rows[e[label]]["_ws.expert.message"]

    assert msgs(two, "keepalive.req") == ["Request never answered in this capture"]
    assert msgs(one, "keepalive.req") == []   # unknowable in one pass
    assert msgs(two, "getattr.retry") == [f"Retransmission of the request in frame {e['getattr.req']}"]
    assert msgs(two, "lookup2.dup") == [f"Retransmission of the request in frame {e['lookup2.req']}"]
    assert msgs(two, "orphan") == ["Response to a request not in the capture"]
    assert msgs(two, "truncate.again") == [
        f"Another response to the request in frame {e['truncate.req']}, "
        f"first answered in frame {e['truncate.rsp']}"]
    for label in ("getattr.req", "lookup2.req", "goodbye", "hello.req", "truncate.rsp"):
        assert msgs(two, label) == [], label


def parse_srt(out):
    rows = {}
    for line in out.splitlines():
        m = re.match(r"\s*\d+\s+(\S+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$", line)
        if m:
            rows[m.group(1)] = (int(m.group(2)),) + tuple(float(v) for v in m.group(3, 4, 5, 6))
    return rows


def test_srt(tshark):
    e = frames(CALLS)
    calls = defaultdict(list)
    for op, label, req in (("HELLO", "hello", "hello.req"), ("MOUNT", "mount", "mount.req"),
                           ("LOOKUP", "lookup", "lookup.req"), ("LOOKUP", "lookup2", "lookup2.req"),
                           ("GETATTR", "getattr", "getattr.req"),
                           ("TRUNCATE", "truncate", "truncate.req")):
        calls[op].append(ts_us(CALLS, e[label + ".rsp"]) - ts_us(CALLS, e[req]))
    out = tshark.run("-q", "-z", "xsan,srt", capture=CALLS).stdout
    assert "Xsan SRT Statistics" in out
    got = parse_srt(out)
    assert sorted(got) == sorted(calls), out
    for op, times in calls.items():
        n, mn, mx, avg, tot = got[op]
        assert n == len(times), op
        assert (mn, mx, tot) == (min(times) / 1e6, max(times) / 1e6, sum(times) / 1e6), op
        assert avg == pytest.approx(sum(times) / len(times) / 1e6, abs=1.5e-6), op


def parse_tree(out):
    """{(name, child, ...): count} of a stats tree's text output."""
    counts, stack, started = {}, [], False
    for line in out.splitlines():
        if line.startswith("Topic / Item"):
            started = True
            continue
        if not started or not line.strip() or line.startswith("-") or line.startswith("="):
            continue
        m = re.match(r"( *)(.+?)\s{2,}(\d+)\s", line)
        if not m:
            continue
        depth = len(m.group(1))
        stack[depth:] = [m.group(2)]
        counts[tuple(stack)] = int(m.group(3))
    return counts


def test_stats_tree(tshark):
    out = tshark.run("-q", "-z", "xsan,tree", capture=CALLS).stdout
    got = parse_tree(out)
    ops = "Operations by opcode and status"
    want = {
        (ops,): 8,
        (ops, "HELLO"): 1, (ops, "HELLO", "OK"): 1,
        (ops, "MOUNT"): 1, (ops, "MOUNT", "OK"): 1,
        (ops, "LOOKUP"): 2, (ops, "LOOKUP", "OK"): 1, (ops, "LOOKUP", "NOENT"): 1,
        (ops, "GETATTR"): 1, (ops, "GETATTR", "OK"): 1,
        (ops, "TRUNCATE"): 1, (ops, "TRUNCATE", "OK"): 1,
        (ops, "KEEPALIVE"): 1,
        (ops, "GOODBYE"): 1,
        ("Operations by volume",): 6, ("Operations by volume", "MediaVol"): 6,
        ("Requests by client",): 7, ("Requests by client", "10.20.30.43"): 7,
        ("Errors by status",): 1, ("Errors by status", "NOENT"): 1,
        ("Errors by status", "NOENT", "LOOKUP"): 1,
        ("Retransmitted requests",): 2, ("Retransmitted requests", "LOOKUP"): 1,
        ("Retransmitted requests", "GETATTR"): 1,
        ("Lock conflicts by inode",): 0,
    }
    for op, n in (("LOOKUP", 2), ("GETATTR", 1), ("TRUNCATE", 1), ("KEEPALIVE", 1), ("GOODBYE", 1)):
        want[("Operations by volume", "MediaVol", op)] = n
    for op, n in (("HELLO", 1), ("MOUNT", 1), ("LOOKUP", 2), ("GETATTR", 1), ("TRUNCATE", 1),
                  ("KEEPALIVE", 1)):
        want[("Requests by client", "10.20.30.43", op)] = n
    nbytes = defaultdict(int)
    for _, m in X.capture(CALLS).messages:
        nbytes[Op(m.opcode).name] += len(m)
    want[("Metadata bytes by opcode",)] = sum(nbytes.values())
    for op, n in nbytes.items():
        want[("Metadata bytes by opcode", op)] = n
    assert got == want, out


def test_tree_lock_conflicts(tshark):
    got = parse_tree(tshark.run("-q", "-z", "xsan,tree", capture=TOKENS).stdout)
    assert got[("Lock conflicts by inode",)] == 1
    assert got[("Lock conflicts by inode", "inode 1042")] == 1
    assert got[("Errors by status", "LOCK_CONFLICT", "LOCK")] == 1


# ---------------------------------------------------------------- sessions and paths

NAME_FIELDS = ["xsan.session.volume", "xsan.path", "xsan.new_path"]


@pytest.mark.parametrize("two_pass", [False, True], ids=["one-pass", "two-pass"])
def test_sessions_and_paths(tshark, two_pass):
    e = frames(NAMES)
    rows = by_frame(tshark, NAMES, NAME_FIELDS, two_pass)
    want = {}

    def both(label, volume, path, new_path=None):
        for end in (".req", ".rsp"):
            want[e[label + end]] = {"xsan.session.volume": [volume] if volume else [],
                                    "xsan.path": [path] if path else [],
                                    "xsan.new_path": [new_path] if new_path else []}

    want[e["a.mount.req"]] = {"xsan.session.volume": []}     # no session yet
    want[e["a.mount.rsp"]] = {"xsan.session.volume": ["MediaVol"]}
    want[e["b.mount.rsp"]] = {"xsan.session.volume": ["ScratchVol"]}
    # same session id as a.mount, another FSM: its own volume
    want[e["c.mount.rsp"]] = {"xsan.session.volume": ["ArchiveVol"]}
    both("a.lookup", "MediaVol", "/Projects")
    both("b.lookup", "ScratchVol", "/Renders")
    both("c.lookup", "ArchiveVol", "/old")
    both("a.create", "MediaVol", "/Projects/clip001.mov")
    both("a.readdir", "MediaVol", "/Projects")
    both("a.getattr_audio", "MediaVol", "/Projects/Audio")            # learnt from READDIR
    both("a.lookup_mix", "MediaVol", "/Projects/Audio/mix.wav")
    both("a.rename", "MediaVol", "/Projects", "/Archive2024")
    both("a.rename_denied", "MediaVol", "/Archive2024/clip002.mov", "/Archive2024/Audio/clip002.mov")
    both("a.getattr_mix", "MediaVol", "/Archive2024/Audio/mix.wav")   # moved with its parent
    both("a.getattr_clip2", "MediaVol", "/Archive2024/clip002.mov")   # the failed RENAME changed nothing
    both("b.getattr", "ScratchVol", "/Renders")                       # inode 1001 of another volume
    both("a.getattr_root", "MediaVol", "/")
    both("a.getattr_unknown", "MediaVol", None)
    check(rows, want)


def test_path_filter_and_info(tshark):
    e = frames(NAMES)
    rows = tshark.fields(NAMES, ["frame.number", "_ws.col.Info"],
                    dfilter='xsan.path contains "clip"')
    got = sorted(int(r["frame.number"][0]) for r in rows)
    labels = ["a.create", "a.rename_denied", "a.getattr_clip2"]
    assert got == sorted(e[l + end] for l in labels for end in (".req", ".rsp"))
    info = {int(r["frame.number"][0]): r["_ws.col.Info"][0] for r in rows}
    assert info[e["a.create.req"]].endswith(" path=/Projects/clip001.mov")


def test_names_preference_off(tshark):
    rows = by_frame(tshark, NAMES, ["xsan.path"], extra=("-o", "xsan.analyze_names:FALSE"))
    assert len(rows) > 30 and not any(r["xsan.path"] for r in rows.values())


# ---------------------------------------------------------------- tokens and locks

TOKEN_FIELDS = ["xsan.token.granted_in", "xsan.token.revoked_in", "xsan.token.released_in",
                "xsan.token.held", "xsan.token.release_delay", "xsan.token.conflict_in",
                "_ws.expert.message"]


def test_token_life(tshark):
    e = frames(TOKENS)
    rows = by_frame(tshark, TOKENS, TOKEN_FIELDS)
    t = lambda a, b: secs(ts_us(TOKENS, e[b]) - ts_us(TOKENS, e[a]))  # noqa: E731
    check(rows, {
        e["a.grant.req"]: {"xsan.token.granted_in": [e["a.grant.rsp"]],
                           "xsan.token.revoked_in": [e["a.revoke"]],
                           "xsan.token.released_in": [e["a.release.req"]]},
        e["a.grant.rsp"]: {"xsan.token.granted_in": [], "xsan.token.conflict_in": [],
                           "xsan.token.revoked_in": [e["a.revoke"]]},
        e["a.revoke"]: {"xsan.token.granted_in": [e["a.grant.rsp"]], "xsan.token.revoked_in": [],
                        "xsan.token.released_in": [e["a.release.req"]],
                        "_ws.expert.message": []},
        e["a.release.req"]: {"xsan.token.granted_in": [e["a.grant.rsp"]],
                             "xsan.token.held": [t("a.grant.rsp", "a.release.req")],
                             "xsan.token.release_delay": [t("a.revoke", "a.release.req")],
                             "_ws.expert.message": []},
        e["b.grant.rsp"]: {"xsan.token.conflict_in": [e["a.grant.rsp"]]},
        e["b.touch.rsp"]: {"xsan.token.conflict_in": []},     # half-open ranges only touch
        e["b.attr.rsp"]: {"xsan.token.conflict_in": []},      # another class
        e["b.release_late.req"]: {"xsan.token.release_delay": [t("b.revoke", "b.release_late.req")]},
    })
    msgs = lambda label: rows[e[label]]["_ws.expert.message"]  # noqa: E731
    assert msgs("b.grant.rsp") == [
        "Coherency violation: EXCLUSIVE DATA token 0xb1 on inode 1042 overlaps token 0xa1 "
        f"another client holds (granted in frame {e['a.grant.rsp']})"]
    delay = (ts_us(TOKENS, e["b.release_late.req"]) - ts_us(TOKENS, e["b.revoke"])) / 1e6
    assert msgs("b.release_late.req") == [
        f"Token 0xb1 released {delay:.3f} s after its revoke (frame {e['b.revoke']}),"
        " past the holder's 5 s lease"]
    assert msgs("b.revoke_never") == ["Token 0xb2 revoked here is never released in this capture"]
    assert msgs("b.lock.rsp") == [
        "LOCK failed: LOCK_CONFLICT",
        "Byte-range lock conflict: READ lock on inode 1042 [4096, 8192) for owner 4343 refused"]


def test_tokens_preference_off(tshark):
    rows = by_frame(tshark, TOKENS, TOKEN_FIELDS[:-1], extra=("-o", "xsan.analyze_tokens:FALSE"))
    assert len(rows) > 20
    assert not any(r[f] for r in rows.values() for f in TOKEN_FIELDS[:-1])


# ---------------------------------------------------------------- failover

FO_FIELDS = ["xsan.hb.prev_in", "xsan.hb.missing", "xsan.failover.epoch",
             "xsan.failover.started_in", "xsan.failover.activated_in",
             "xsan.failover.duration", "xsan.failover.votes", "xsan.failover.rejections",
             "xsan.failover.alarm_in", "xsan.failover.rounds", "_ws.expert.message"]


def test_heartbeats_and_failover(tshark):
    e = frames(FAILOVER)
    rows = by_frame(tshark, FAILOVER, FO_FIELDS)
    gap, silence = e["bay.gap.req"], e["mdc2.silence.req"]
    silent_s = (ts_us(FAILOVER, silence) - ts_us(FAILOVER, e["mdc2.2.req"])) / 1e6
    step_s = (ts_us(FAILOVER, e["mdc2.2.req"]) - ts_us(FAILOVER, e["mdc2.1.req"])) / 1e6
    duration = secs(ts_us(FAILOVER, e["activate"]) - ts_us(FAILOVER, e["vote1.req"]))
    check(rows, {
        e["bay.0.req"]: {"xsan.hb.prev_in": [], "_ws.expert.message": []},
        e["bay.1.req"]: {"xsan.hb.prev_in": [e["bay.0.req"]], "xsan.hb.missing": [],
                         "_ws.expert.message": []},
        gap: {"xsan.hb.prev_in": [e["bay.2.req"]], "xsan.hb.missing": [2],
              "_ws.expert.message": [f"Heartbeat gap: 2 HB_SEQ numbers missing since frame {e['bay.2.req']}"]},
        silence: {"xsan.hb.prev_in": [e["mdc2.2.req"]], "xsan.hb.missing": [],
                  "_ws.expert.message": [f"Host silent for {silent_s:.3f} s, more than 3 of its "
                                         f"{step_s:.3f} s intervals (since frame {e['mdc2.2.req']})"]},
        e["vote1.req"]: {"xsan.failover.epoch": [9], "xsan.failover.started_in": [],
                         "xsan.failover.activated_in": [e["activate"]]},
        e["vote2.rsp"]: {"xsan.failover.epoch": [9], "xsan.failover.started_in": [e["vote1.req"]]},
        e["vote3.req"]: {"xsan.failover.epoch": [10], "xsan.failover.started_in": [e["vote1.req"]]},
        e["vote4.req"]: {"xsan.failover.started_in": [e["vote1.req"]]},
        e["activate"]: {"xsan.failover.epoch": [10], "xsan.failover.started_in": [e["vote1.req"]],
                        "xsan.failover.activated_in": [], "xsan.failover.duration": [duration],
                        "xsan.failover.votes": [4], "xsan.failover.rejections": [1],
                        "xsan.failover.rounds": [2], "xsan.failover.alarm_in": [silence]},
    })
    assert rows[e["activate"]]["_ws.expert.message"] == [
        f"Failover to epoch 10: 2 rounds, 4 votes (1 rejected) from frame {e['vote1.req']}, "
        f"{(ts_us(FAILOVER, e['activate']) - ts_us(FAILOVER, e['vote1.req'])) / 1e6:.3f} s"]


def test_same_in_both_passes(tshark):
    """Fields that never point forward are the same in one and two passes."""
    fields = ["xsan.path", "xsan.session.volume", "xsan.request_in", "xsan.time",
              "xsan.retransmission_of", "xsan.hb.missing", "xsan.failover.duration",
              "xsan.token.conflict_in", "xsan.token.held"]
    for name in (CALLS, NAMES, TOKENS, FAILOVER):
        assert by_frame(tshark, name, fields, False) == by_frame(tshark, name, fields, True), name
