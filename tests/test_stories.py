# SPDX-License-Identifier: GPL-2.0-or-later
"""The story captures (tools/xsangen/stories): each opens cleanly, decodes
without expert warnings except where its story says so, shows its comments,
and tells its story through the fields. Frames come from the generator's
labels (cap.labels), values from the story modules' own constants."""
from pathlib import Path

import pytest

import xsan_expect as X
from xsangen import scenarios
from xsangen.stories import (story1_join as S1, story2_write_clip as S2,
                             story3_collide as S3, story4_failover as S4)

STORIES = sorted(n for n in scenarios.discover() if n.startswith("story-"))
HOSTILE = "story-6-hostile.pcapng"
WARN = "_ws.expert.severity >= 0x00600000"   # PI_WARN (0x00600000) and PI_ERROR
# where a story itself says a warning belongs: frames (labels), or a display
# filter for the frames of the story's deliberate failures
WARN_ALLOWED = {
    S3.NAME: ("lock_conflict",),
    S4.NAME: ("gap_beat", "mdc_a_back", "retry", "vote_round1", "vote_rejected",
              "vote_round2", "activate", "not_active"),
}
WARN_ALLOWED_FILTER = {
    "story-7-busy.pcapng": "xsan.status == 0x1003 || xsan.status == 0x1004",
}


def packets(name):
    """The frames as written (finish() adds the ACKs still pending)."""
    return X.capture(name).finish()


def labels(name):
    return X.capture(name).labels


def rows(tshark, name, names, dfilter=None, two_pass=False):
    return tshark.fields(name, names, dfilter=dfilter, two_pass=two_pass)


def ints(values):
    return [X.to_int(v) for v in values]


def col(tshark, name, field, dfilter):
    """All values of one field over the frames matching dfilter, in order."""
    return [v for r in rows(tshark, name, [field], dfilter) for v in r[field]]


def registered(tshark, *fields):
    """The analysis fields are another part of the plugin: skip until there."""
    out = tshark.run("-G", "fields").stdout
    have = {line.split("\t")[2] for line in out.splitlines() if line.startswith("F\t")}
    missing = [f for f in fields if f not in have]
    if missing:
        pytest.skip(f"analysis fields not registered yet: {missing}")


# ------------------------------------------------------------- every story

def test_all_stories_present():
    assert {S1.NAME, S2.NAME, S3.NAME, S4.NAME} <= set(STORIES)


@pytest.mark.parametrize("name", STORIES)
def test_opens_cleanly(tshark, name):
    proc = tshark.run("-n", capture=name, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "", proc.stderr
    assert len(proc.stdout.splitlines()) == len(packets(name))


@pytest.mark.parametrize("name", STORIES)
def test_comments_visible(tshark, name):
    want = {i + 1: p.comment for i, p in enumerate(packets(name)) if p.comment}
    got = {int(r["frame.number"][0]): r["frame.comment"]
           for r in rows(tshark, name, ["frame.number", "frame.comment"], "frame.comment")}
    assert want, "a story without comments"
    assert got == {f: [c] for f, c in want.items()}


@pytest.mark.parametrize("name", [n for n in STORIES if n != HOSTILE])
def test_every_message_decoded(tshark, name):
    """Frame, opcode and xid of every message the generator wrote, in order."""
    want = [(f, m.opcode, m.xid) for f, m in X.capture(name).messages]
    got = [(int(r["frame.number"][0]), op, xid)
           for r in rows(tshark, name, ["frame.number", "xsan.opcode", "xsan.xid"], "xsan")
           for op, xid in zip(ints(r["xsan.opcode"]), ints(r["xsan.xid"]))]
    assert got == want


@pytest.mark.parametrize("name", [n for n in STORIES if n != HOSTILE])
def test_no_warnings_but_the_storys(tshark, name):
    allowed = {labels(name)[k] for k in WARN_ALLOWED.get(name, ())}
    if name in WARN_ALLOWED_FILTER:
        allowed |= {int(r["frame.number"][0]) for r in
                    rows(tshark, name, ["frame.number"], WARN_ALLOWED_FILTER[name])}
    bad = [(r["frame.number"][0], r["_ws.expert.message"])
           for r in rows(tshark, name, ["frame.number", "_ws.expert.message"], WARN)
           if int(r["frame.number"][0]) not in allowed]
    assert not bad
    assert tshark.count(name, "_ws.malformed") == 0


# ------------------------------------------------------------ 1: joining

def test_join_name_service(tshark):
    name = S1.NAME
    seqs = ints(col(tshark, name, "xsan.hb_seq", "xsan.opcode == 0x0501"))
    assert len(seqs) >= 10 and seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    r = rows(tshark, name, ["frame.number", "xsan.ipv4", "xsan.port", "xsan.fsm_state"],
             "xsan.opcode == 0x0502 && xsan.flags.response == 1")
    assert [(x["xsan.ipv4"], x["xsan.port"], x["xsan.fsm_state"]) for x in r] == [
        (["10.20.30.10"], ["60868"], ["2"])]
    assert int(r[0]["frame.number"][0]) < labels(name)["hello"]


def test_join_session_order(tshark):
    name = S1.NAME
    ops = ints(col(tshark, name, "xsan.opcode", "tcp && xsan.flags.response == 0"))
    O = X.Op
    assert ops == [O.HELLO, O.MOUNT, O.LOOKUP, O.LOOKUP, O.LOOKUP, O.GETATTR, O.READDIR,
                   O.GETATTR, O.GETATTR, O.GETATTR, O.GETATTR,
                   O.KEEPALIVE, O.KEEPALIVE, O.KEEPALIVE, O.UNMOUNT]
    sess = ints(col(tshark, name, "xsan.session",
                    "xsan.opcode == 0x0102 && xsan.flags.response == 1"))
    assert sess == [S1.SESSION_ID]
    after = ints(col(tshark, name, "xsan.session",
                     f"tcp && xsan && frame.number > {labels(name)['mount'] + 1}"))
    assert after and set(after) == {S1.SESSION_ID}
    assert tshark.count(name, "xsan.opcode == 0x0104 && xsan.flags.response == 1 "
                        "&& xsan.status == 0") == 3


def test_join_readdir_reassembled(tshark):
    name, lab = S1.NAME, labels(S1.NAME)
    assert lab["readdir_pieces"] >= 3
    assert tshark.count(name, "xsan.opcode == 0x0207 && xsan.flags.more == 1") == \
        lab["readdir_pieces"] - 1
    r = rows(tshark, name, ["frame.number", "xsan.dirent", "xsan.name", "xsan.eof",
                            "xsan.reassembled.length", "xsan.fragment"],
             "xsan.opcode == 0x0207 && xsan.status == 0")
    assert len(r) == 1
    r = r[0]
    assert int(r["frame.number"][0]) == lab["readdir_last"]
    assert len(r["xsan.dirent"]) == lab["readdir_entries"]
    assert "clip013.mov" in r["xsan.name"] and "A012C080_241118_R2KQ.mxf" in r["xsan.name"]
    assert X.to_bool(r["xsan.eof"][0])
    assert len(r["xsan.fragment"]) == lab["readdir_pieces"]
    assert int(r["xsan.reassembled.length"][0]) > 4096


# ------------------------------------------------------------ 2: a clip is written

def test_write_clip_order(tshark):
    name = S2.NAME
    O = X.Op
    ops = ints(col(tshark, name, "xsan.opcode", "xsan.flags.response == 0"))
    assert ops == [O.HELLO, O.MOUNT, O.LOOKUP, O.LOOKUP, O.LOOKUP, O.LOOKUP, O.CREATE,
                   O.TOKEN_ACQUIRE, O.ALLOCATE, O.ALLOCATE, O.COMMIT_SIZE, O.SETATTR,
                   O.TOKEN_RELEASE]
    st = ints(col(tshark, name, "xsan.status", "xsan.flags.response == 1"))
    assert st == [0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]


def test_write_clip_token_and_extents(tshark):
    name = S2.NAME
    r = rows(tshark, name, ["xsan.token_class", "xsan.token_mode", "xsan.inode"],
             "xsan.opcode == 0x0401 && xsan.flags.response == 0")
    assert [(x["xsan.token_class"], x["xsan.token_mode"], x["xsan.inode"]) for x in r] == [
        (["2"], ["2"], [str(S2.CLIP)])]
    granted = ints(col(tshark, name, "xsan.token_id",
                       "xsan.opcode == 0x0401 && xsan.flags.response == 1"))
    released = ints(col(tshark, name, "xsan.token_id", "xsan.opcode == 0x0402"))
    assert granted == [S2.TOKEN] and released == [S2.TOKEN]
    sgs = ints(col(tshark, name, "xsan.stripe_group",
                   "xsan.opcode == 0x0301 && xsan.flags.response == 1"))
    assert sgs == [e[0] for e in S2.FIRST_EXTENTS + S2.MORE_EXTENTS]
    assert len(set(sgs)) >= 3
    assert tshark.count(name, "xsan.extent") == 2
    assert ints(col(tshark, name, "xsan.size", "xsan.opcode == 0x0304")) == [S2.FINAL_SIZE]
    assert ints(col(tshark, name, "xsan.attr_mask", "xsan.opcode == 0x0203")) == [0x11]


def test_write_clip_tcp_retransmission(tshark):
    name, lab = S2.NAME, labels(S2.NAME)
    assert tshark.count(name, "tcp.analysis.retransmission") == 1
    assert tshark.count(name, f"frame.number == {lab['commit_copy']} && "
                        "tcp.analysis.retransmission") == 1
    assert tshark.count(name, f"frame.number == {lab['commit_first']} && "
                        "xsan.opcode == 0x0304") == 1


# ------------------------------------------------------------ 3: a collision

def test_collide_one_revoke(tshark):
    name, lab = S3.NAME, labels(S3.NAME)
    r = rows(tshark, name, ["frame.number", "ip.dst", "xsan.token_id", "xsan.revoke_reason",
                            "xsan.flags.notify"], "xsan.opcode == 0x0403")
    assert len(r) == 1
    r = r[0]
    assert int(r["frame.number"][0]) == lab["revoke"]
    assert r["ip.dst"] == ["10.20.30.45"] and X.to_bool(r["xsan.flags.notify"][0])
    assert ints(r["xsan.token_id"]) == [S3.TOKEN_EDITOR] and r["xsan.revoke_reason"] == ["1"]
    # the holder releases, then the waiting request is granted
    assert lab["acquire_assist"] < lab["revoke"] < lab["release_editor"] < lab["grant_assist"]
    rel = rows(tshark, name, ["ip.src", "xsan.token_id"],
               f"frame.number == {lab['release_editor']} && xsan.opcode == 0x0402")
    assert rel[0]["ip.src"] == ["10.20.30.45"] and ints(rel[0]["xsan.token_id"]) == \
        [S3.TOKEN_EDITOR]
    g = rows(tshark, name, ["ip.dst", "xsan.token_id", "frame.time_epoch"],
             f"frame.number == {lab['grant_assist']}")
    assert g[0]["ip.dst"] == ["10.20.30.47"] and ints(g[0]["xsan.token_id"]) == \
        [S3.TOKEN_ASSIST]
    asked = rows(tshark, name, ["frame.time_epoch"], f"frame.number == {lab['acquire_assist']}")
    waited = float(g[0]["frame.time_epoch"][0]) - float(asked[0]["frame.time_epoch"][0])
    assert 0.004 < waited < 0.010


def test_collide_one_lock_conflict(tshark):
    name, lab = S3.NAME, labels(S3.NAME)
    r = rows(tshark, name, ["frame.number", "ip.dst", "xsan.error_text"],
             "xsan.status == 0x1004")
    assert len(r) == 1 and int(r[0]["frame.number"][0]) == lab["lock_conflict"]
    assert r[0]["ip.dst"] == ["10.20.30.47"] and "4242" in r[0]["xsan.error_text"][0]
    assert tshark.count(name, "xsan.flags.error == 1") == 1


def test_collide_analysis(tshark):
    """Once the analysis is there: the waiting TOKEN_ACQUIRE's response time is
    the revoke round trip, and the tokens are followed by id."""
    registered(tshark, "xsan.time", "xsan.response_in")
    name, lab = S3.NAME, labels(S3.NAME)
    r = rows(tshark, name, ["xsan.response_in"], f"frame.number == {lab['acquire_assist']}",
             two_pass=True)
    assert ints(r[0]["xsan.response_in"]) == [lab["grant_assist"]]
    t = rows(tshark, name, ["xsan.time"], f"frame.number == {lab['grant_assist']}")
    assert 0.004 < float(t[0]["xsan.time"][0]) < 0.010


# ------------------------------------------------------------ 4: failover

def _epoch_s(tshark, name, frame):
    return float(rows(tshark, name, ["frame.time_epoch"],
                      f"frame.number == {frame}")[0]["frame.time_epoch"][0])


def test_failover_heartbeats_falter(tshark):
    name, lab = S4.NAME, labels(S4.NAME)
    r = rows(tshark, name, ["frame.time_epoch", "xsan.hb_seq"],
             "xsan.opcode == 0x0501 && xsan.flags.response == 0 && ip.src == 10.20.30.10")
    seqs = [int(x["xsan.hb_seq"][0]) for x in r]
    times = [float(x["frame.time_epoch"][0]) for x in r]
    gaps = [b - a for a, b in zip(seqs, seqs[1:])]
    assert gaps[0] == 1 and gaps[1] == 3, seqs   # 88411 -> 88414
    vote = _epoch_s(tshark, name, lab["vote_round1"])
    before = [t for t in times if t < vote]
    assert vote - before[-1] > 3.0                 # silent for more than 3 intervals
    # the others keep beating, one a second
    for host in ("10.20.30.11", "10.20.30.45", "10.20.30.47"):
        s = ints(col(tshark, name, "xsan.hb_seq",
                     f"xsan.opcode == 0x0501 && xsan.flags.response == 0 && ip.src == {host}"))
        assert s == list(range(s[0], s[0] + len(s))) and len(s) >= 12


def test_failover_election(tshark):
    name, lab = S4.NAME, labels(S4.NAME)
    r = rows(tshark, name, ["xsan.epoch", "xsan.ipv4"],
             "xsan.opcode == 0x0504 && xsan.flags.response == 0")
    assert [x["xsan.epoch"][0] for x in r] == ["42"] * 3 + ["43"] * 3
    assert {x["xsan.ipv4"][0] for x in r} == {"10.20.30.11"}
    rej = rows(tshark, name, ["frame.number", "ip.src"], "xsan.status == 0x1006")
    assert [(int(x["frame.number"][0]), x["ip.src"][0]) for x in rej] == [
        (lab["vote_rejected"], "10.20.30.47")]
    act = rows(tshark, name, ["frame.number", "ip.dst", "xsan.epoch", "xsan.flags.notify"],
               "xsan.opcode == 0x0505")
    assert [(int(x["frame.number"][0]), x["ip.dst"][0], x["xsan.epoch"][0]) for x in act] == [
        (lab["activate"], "10.20.30.11", "43")]
    assert X.to_bool(act[0]["xsan.flags.notify"][0])
    epochs = ints(col(tshark, name, "xsan.epoch",
                      f"xsan.opcode == 0x0501 && frame.number > {lab['activate']}"))
    assert epochs and set(epochs) == {43}


def test_failover_client_moves(tshark):
    name, lab = S4.NAME, labels(S4.NAME)
    assert tshark.count(name, "xsan.flags.retry == 1 && xsan.opcode == 0x0202") == 1
    na = rows(tshark, name, ["frame.number", "ip.src", "xsan.xid"], "xsan.status == 0x1005")
    assert [(int(x["frame.number"][0]), x["ip.src"][0]) for x in na] == [
        (lab["not_active"], "10.20.30.10")]
    q = rows(tshark, name, ["frame.number", "xsan.ipv4", "xsan.port"],
             "xsan.opcode == 0x0502 && xsan.flags.response == 1")
    assert len(q) == 1 and q[0]["xsan.ipv4"] == ["10.20.30.11"] and \
        q[0]["xsan.port"] == [str(S4.STANDBY_PORT)]
    assert lab["not_active"] < int(q[0]["frame.number"][0]) < lab["remount"]
    m = rows(tshark, name, ["frame.number", "ip.dst", "tcp.dstport"],
             "xsan.opcode == 0x0102 && xsan.flags.response == 0")
    assert [(x["ip.dst"][0], x["tcp.dstport"][0]) for x in m] == [
        ("10.20.30.10", "60868"), ("10.20.30.11", str(S4.STANDBY_PORT))]
    assert int(m[1]["frame.number"][0]) == lab["remount"]
    sess = ints(col(tshark, name, "xsan.session",
                    "xsan.opcode == 0x0102 && xsan.flags.response == 1"))
    assert sess == [S4.OLD_SESSION, S4.NEW_SESSION]
    # the standby's port is no Xsan port: the heuristic found the messages
    data = f"tcp.port == {S4.STANDBY_PORT} && tcp.len > 0"
    assert tshark.count(name, data) == tshark.count(name, data + " && xsan.opcode") == 6
    ok = rows(tshark, name, ["ip.src", "xsan.status"], f"frame.number == {lab['getattr_ok']}")
    assert ok[0]["ip.src"] == ["10.20.30.11"] and ok[0]["xsan.status"] == ["0"]


def test_failover_analysis(tshark):
    """Once the analysis is there: the retry names its first copy."""
    registered(tshark, "xsan.retransmission_of")
    name, lab = S4.NAME, labels(S4.NAME)
    r = rows(tshark, name, ["xsan.retransmission_of"], f"frame.number == {lab['retry']}")
    assert ints(r[0]["xsan.retransmission_of"]) == [lab["getattr_unanswered"]]


# ------------------------------------------------------------ 5: administration

def test_admin_commands(tshark):
    from xsangen.stories import story5_admin as S5
    name, lab = S5.NAME, labels(S5.NAME)
    cmds = [X.unescape(v) for v in col(tshark, name, "xsan.admin_command", "xsan.opcode == 0x0601")]
    assert cmds == list(S5.OUTPUT) + ["stop MediaVol"]
    for cmd, frame in lab["admin"].items():
        out = rows(tshark, name, ["xsan.admin_output", "xsan.status"], f"frame.number == {frame}")
        assert out[0]["xsan.status"] == ["0"]
        assert X.unescape(out[0]["xsan.admin_output"][0]) == S5.OUTPUT[cmd]
        assert S5.OUTPUT[cmd].count("\n") >= 4
    perm = rows(tshark, name, ["xsan.status"], f"frame.number == {lab['perm']}")
    assert perm[0]["xsan.status"] == ["1"]
    assert set(ints(col(tshark, name, "xsan.session", "xsan"))) == {0}


def test_admin_stats_counters(tshark):
    from xsangen.stories import story5_admin as S5
    name, lab = S5.NAME, labels(S5.NAME)
    for vol, frame in lab["stats"].items():
        r = rows(tshark, name, ["xsan.counter", "xsan.name", "xsan.value"],
                 f"frame.number == {frame}")[0]
        assert len(r["xsan.counter"]) == len(S5.COUNTERS[vol])
        assert list(zip(r["xsan.name"], ints(r["xsan.value"]))) == S5.COUNTERS[vol]


# ------------------------------------------------------------ 6: hostile

def test_hostile_every_malformation_flagged(tshark):
    """Each case of the malformed vectors, replayed by another host, gives the
    same expert info in the frame its comment names."""
    from test_malformed import CHECKS, SECOND_PASS
    from xsangen.vectors_malformed import CASES
    name, lab = HOSTILE, labels(HOSTILE)
    comments = {i + 1: p.comment for i, p in enumerate(packets(name)) if p.comment}
    failed = []
    for key, text in CASES.items():
        frame = lab[key]
        assert text in comments[frame], key
        expert, clauses = CHECKS[key]
        for c in ["xsan"] + clauses + ([expert] if expert else []):
            if tshark.count(name, f"frame.number == {frame} && ({c})",
                            two_pass=key in SECOND_PASS) != 1:
                failed.append((key, c))
    assert not failed


def test_hostile_stream_goes_on(tshark):
    lab = labels(HOSTILE)
    for key in ("hdr_short", "body_huge"):
        assert tshark.count(HOSTILE, f"frame.number == {lab[key + '_after']} && "
                            "xsan.opcode == 0x0104 && !(_ws.expert.severity > 0x00100000)") == 1


# ------------------------------------------------------------ 7: busy

def _busy_pairs(tshark):
    """{(stream, xid): [request time, response time, opcode, status]} on TCP."""
    from xsangen.stories import story7_busy as S7
    pairs = {}
    for r in rows(tshark, S7.NAME, ["frame.time_epoch", "tcp.stream", "xsan.xid",
                                    "xsan.opcode", "xsan.flags.response", "xsan.status"],
                  "tcp && xsan"):
        st = iter(r["xsan.status"])
        for xid, op, resp in zip(r["xsan.xid"], r["xsan.opcode"], r["xsan.flags.response"]):
            p = pairs.setdefault((r["tcp.stream"][0], xid), [None, None, int(op, 16), None])
            if X.to_bool(resp):
                p[1], p[3] = float(r["frame.time_epoch"][0]), int(next(st))
            else:
                p[0] = float(r["frame.time_epoch"][0])
    return pairs


def test_busy_shape(tshark):
    from xsangen.stories import story7_busy as S7
    name = S7.NAME
    assert (Path(__file__).resolve().parent.parent / "captures" / name).stat().st_size < 3 * 2**20
    pairs = _busy_pairs(tshark)
    assert len(pairs) >= 3000
    assert all(p[0] is not None and p[1] is not None and p[1] > p[0] for p in pairs.values())
    vols = {X.unescape(v) for v in col(tshark, name, "xsan.volume",
                                        "xsan.opcode == 0x0102 && xsan.flags.response == 0")}
    assert vols == {"MediaVol", "ProjectsVol", "ArchiveVol"}
    clients = {r["ip.src"][0] if r["ip.src"] else r["ipv6.src"][0]
               for r in rows(tshark, name, ["ip.src", "ipv6.src"],
                             "xsan.opcode == 0x0101 && xsan.flags.response == 0")}
    assert len(clients) == 12 and sum(":" in c for c in clients) == 3
    statuses = {p[3] for p in pairs.values()}
    assert {0, 2, 17, 0x1003, 0x1004} <= statuses
    errors = sum(1 for p in pairs.values() if p[3])
    assert 0.01 < errors / len(pairs) < 0.10


def test_busy_response_time_spread(tshark):
    pairs = _busy_pairs(tshark)
    by_op = {}
    for req, resp, op, _ in pairs.values():
        by_op.setdefault(op, []).append(resp - req)
    g = sorted(by_op[X.Op.GETATTR])
    a = sorted(by_op[X.Op.ALLOCATE])
    med = lambda v: v[len(v) // 2]  # noqa: E731
    assert 0.0002 < med(g) < 0.001 and 0.0015 < med(a) < 0.005
    assert g[int(len(g) * 0.95)] > 2 * g[int(len(g) * 0.05)]   # a spread, not a constant
    assert max(max(v) for v in by_op.values()) < 0.030


def test_busy_srt_table(tshark):
    """Once the statistics are there: -z xsan,srt has a row per opcode."""
    z = tshark.run("-z", "help", check=False)
    if "xsan,srt" not in z.stdout + z.stderr:
        pytest.skip("-z xsan,srt not registered yet")
    from xsangen.stories import story7_busy as S7
    out = tshark.run("-q", "-z", "xsan,srt", capture=S7.NAME).stdout
    for op in ("GETATTR", "LOOKUP", "ALLOCATE", "TOKEN_ACQUIRE"):
        assert op in out
