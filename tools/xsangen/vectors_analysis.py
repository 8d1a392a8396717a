# SPDX-License-Identifier: GPL-2.0-or-later
"""Captures for the analysis (issue 4): request/response matching and SRT
(analysis-calls), sessions and paths (analysis-names), tokens and locks
(analysis-tokens), heartbeats and failover (analysis-failover).

Each builder records what the tests need on cap.expect: {label: frame}
(the frame completing the labelled message) and a few facts.
"""
from . import cast
from .cast import Xids
from .net import Capture
from .wire import PORT, Op, Status, Tag, attr, group, message

A = attr
MIB = 1 << 20


def ok(*attrs):
    return [A(Tag.STATUS, Status.OK), *attrs]


def err(status, text):
    return [A(Tag.STATUS, status), A(Tag.ERROR_TEXT, text)]


class Talk:
    """One TCP connection: requests, responses and notifies, each its own
    write; remembers the frame of each labelled message in cap.expect."""

    def __init__(self, cap, client, server, cport, sport=PORT, xid=0x200, session=0):
        self.cap, self.x, self.session = cap, Xids(xid), session
        self.conn = cap.tcp_conn(client, server, cport, sport)
        self.conn.open()

    def put(self, side, msg, label=None, think_ms=0.5):
        frame = self.conn.send_msgs(side, [msg])[-1]
        if label:
            self.cap.expect[label] = frame
        self.cap.advance(think_ms)
        return msg

    def req(self, op, attrs, label=None, xid=None, **kw):
        kw.setdefault("session", self.session)
        return self.put("c", message(op, self.x() if xid is None else xid, attrs, **kw), label)

    def rsp(self, req, attrs, label=None, **kw):
        kw.setdefault("session", self.session)
        return self.put("s", message(req.opcode, req.xid, attrs, response=True, **kw), label)

    def call(self, op, attrs, resp, label=None, **kw):
        q = self.req(op, attrs, label and label + ".req", **kw)
        self.rsp(q, resp, label and label + ".rsp", **{k: v for k, v in kw.items() if k == "session"})
        return q

    def notify(self, side, op, attrs, label=None):
        return self.put(side, message(op, self.x(), attrs, notify=True, session=self.session), label)

    def hello(self, host, lease, label=None):
        self.call(Op.HELLO, [A(Tag.HOSTNAME, host), A(Tag.CLIENT_VERSION, "Xsan 5.0")],
                  ok(A(Tag.CAPABILITIES, 0x3), A(Tag.LEASE_SECS, lease)), label, session=0)

    def mount(self, volume, session, root, label=None):
        q = self.req(Op.MOUNT, [A(Tag.VOLUME, volume), A(Tag.MOUNT_FLAGS, 0)],
                     label and label + ".req", session=0)
        self.rsp(q, ok(A(Tag.BLOCK_SIZE, 4096), A(Tag.ROOT_INODE, root)),
                 label and label + ".rsp", session=session)
        self.session = session

    def close(self):
        self.conn.close()


def new_capture(seed):
    cap = Capture(seed=seed)
    cap.expect = {}
    return cap, cast.hosts()


def build_calls():
    """Answered, retried, duplicated, unanswered, orphan and repeated calls."""
    cap, h = new_capture(41)
    t = Talk(cap, h["bay"], h["mdc"], 52600)
    t.hello("edit-bay-03.local", 30, "hello")
    t.mount(cast.VOLUME, 0x5A1, cast.ROOT_INODE, "mount")
    t.call(Op.LOOKUP, [A(Tag.PARENT_INODE, 2), A(Tag.NAME, "Projects")],
           ok(A(Tag.INODE, 1001), A(Tag.FILE_TYPE, 2)), "lookup")
    # retried with the retry flag; the time counts from the first copy
    q = t.req(Op.GETATTR, [A(Tag.INODE, 1001)], "getattr.req")
    cap.advance(200)
    t.req(Op.GETATTR, [A(Tag.INODE, 1001)], "getattr.retry", xid=q.xid, retry=True)
    cap.advance(3)
    t.rsp(q, ok(A(Tag.FILE_TYPE, 2), A(Tag.SIZE, 4096)), "getattr.rsp")
    # a second copy without the flag before any response; an error answer
    q = t.req(Op.LOOKUP, [A(Tag.PARENT_INODE, 1001), A(Tag.NAME, "clip.mov")], "lookup2.req")
    cap.advance(50)
    t.req(Op.LOOKUP, [A(Tag.PARENT_INODE, 1001), A(Tag.NAME, "clip.mov")], "lookup2.dup", xid=q.xid)
    cap.advance(2)
    t.rsp(q, err(Status.NOENT, "no such file"), "lookup2.rsp")
    # answered twice
    q = t.req(Op.TRUNCATE, [A(Tag.INODE, 1001), A(Tag.SIZE, 0)], "truncate.req")
    cap.advance(1)
    t.rsp(q, ok(), "truncate.rsp")
    t.rsp(q, ok(), "truncate.again")
    # never answered
    t.req(Op.KEEPALIVE, [], "keepalive.req")
    cap.advance(20)
    # a response to nothing
    t.put("s", message(Op.GETATTR, 0xDEAD, ok(A(Tag.FILE_TYPE, 1)), response=True,
                       session=0x5A1), "orphan")
    t.notify("c", Op.GOODBYE, [A(Tag.ERROR_TEXT, "bye")], "goodbye")
    t.close()
    return cap


def dirent(inode, name, ftype):
    return group(Tag.DIRENT, [A(Tag.INODE, inode), A(Tag.NAME, name), A(Tag.FILE_TYPE, ftype)])


def build_names():
    """Two volumes on one FSM (same inode numbers), a session id reused by
    another FSM, paths from LOOKUP, CREATE, READDIR, a RENAME that moves a
    subtree and one that fails."""
    cap, h = new_capture(42)
    a = Talk(cap, h["bay"], h["mdc"], 52610)
    b = Talk(cap, h["bay2"], h["mdc"], 52611, xid=0x700)
    c = Talk(cap, h["bay2"], h["mdc2"], 52612, sport=60870, xid=0x900)
    a.hello("edit-bay-03.local", 30)
    a.mount("MediaVol", 0x5A1, 2, "a.mount")
    b.mount("ScratchVol", 0x5A2, 2, "b.mount")
    c.mount("ArchiveVol", 0x5A1, 5, "c.mount")
    a.call(Op.LOOKUP, [A(Tag.PARENT_INODE, 2), A(Tag.NAME, "Projects")],
           ok(A(Tag.INODE, 1001), A(Tag.FILE_TYPE, 2)), "a.lookup")
    b.call(Op.LOOKUP, [A(Tag.PARENT_INODE, 2), A(Tag.NAME, "Renders")],
           ok(A(Tag.INODE, 1001), A(Tag.FILE_TYPE, 2)), "b.lookup")
    c.call(Op.LOOKUP, [A(Tag.PARENT_INODE, 5), A(Tag.NAME, "old")],
           ok(A(Tag.INODE, 77), A(Tag.FILE_TYPE, 2)), "c.lookup")
    a.call(Op.CREATE, [A(Tag.PARENT_INODE, 1001), A(Tag.NAME, "clip001.mov"),
                       A(Tag.FILE_TYPE, 1), A(Tag.MODE, 0o100644)],
           ok(A(Tag.INODE, 1042), A(Tag.FILE_TYPE, 1)), "a.create")
    a.call(Op.READDIR, [A(Tag.INODE, 1001), A(Tag.COOKIE, 0), A(Tag.COUNT, 16)],
           ok(dirent(1042, "clip001.mov", 1), dirent(1043, "clip002.mov", 1),
              dirent(1044, "Audio", 2), A(Tag.EOF, True)), "a.readdir")
    a.call(Op.GETATTR, [A(Tag.INODE, 1044)], ok(A(Tag.FILE_TYPE, 2)), "a.getattr_audio")
    a.call(Op.LOOKUP, [A(Tag.PARENT_INODE, 1044), A(Tag.NAME, "mix.wav")],
           ok(A(Tag.INODE, 1050), A(Tag.FILE_TYPE, 1)), "a.lookup_mix")
    a.call(Op.RENAME, [A(Tag.PARENT_INODE, 2), A(Tag.NAME, "Projects"),
                       A(Tag.NEW_PARENT_INODE, 2), A(Tag.NEW_NAME, "Archive2024")], ok(), "a.rename")
    a.call(Op.RENAME, [A(Tag.PARENT_INODE, 1001), A(Tag.NAME, "clip002.mov"),
                       A(Tag.NEW_PARENT_INODE, 1044), A(Tag.NEW_NAME, "clip002.mov")],
           err(Status.ACCES, "permission denied"), "a.rename_denied")
    a.call(Op.GETATTR, [A(Tag.INODE, 1050)], ok(A(Tag.FILE_TYPE, 1)), "a.getattr_mix")
    a.call(Op.GETATTR, [A(Tag.INODE, 1043)], ok(A(Tag.FILE_TYPE, 1)), "a.getattr_clip2")
    b.call(Op.GETATTR, [A(Tag.INODE, 1001)], ok(A(Tag.FILE_TYPE, 2)), "b.getattr")
    a.call(Op.GETATTR, [A(Tag.INODE, 2)], ok(A(Tag.FILE_TYPE, 2)), "a.getattr_root")
    a.call(Op.GETATTR, [A(Tag.INODE, 4242)], err(Status.STALE, "stale"), "a.getattr_unknown")
    for t in (a, b, c):
        t.close()
    return cap


def token_acquire(t, label, inode, tclass, mode, offset, length, token):
    t.call(Op.TOKEN_ACQUIRE, [A(Tag.INODE, inode), A(Tag.TOKEN_CLASS, tclass),
                              A(Tag.TOKEN_MODE, mode), A(Tag.OFFSET, offset),
                              A(Tag.LENGTH, length)], ok(A(Tag.TOKEN_ID, token)), label)


def build_tokens():
    """Two clients: an overlapping EXCLUSIVE DATA grant (coherency violation),
    grants that touch or differ in class (none), revokes released in time,
    late and never, and a byte-range lock conflict."""
    cap, h = new_capture(43)
    a = Talk(cap, h["bay"], h["mdc"], 52620)
    b = Talk(cap, h["bay2"], h["mdc"], 52621, xid=0x700)
    a.hello("edit-bay-03.local", 5)
    b.hello("edit-bay-07.local", 5)
    a.mount("MediaVol", 0x5A1, 2)
    b.mount("MediaVol", 0x5A2, 2)
    token_acquire(a, "a.grant", 1042, 2, 2, 0, MIB, 0xA1)
    token_acquire(b, "b.grant", 1042, 2, 2, MIB // 2, MIB, 0xB1)      # overlaps a.grant
    token_acquire(b, "b.touch", 1042, 2, 2, MIB, 4096, 0xB2)          # starts where a.grant ends
    token_acquire(b, "b.attr", 1042, 1, 2, 0, MIB, 0xB3)              # another class
    a.notify("s", Op.TOKEN_REVOKE, [A(Tag.TOKEN_ID, 0xA1), A(Tag.INODE, 1042),
                                    A(Tag.REVOKE_REASON, 1)], "a.revoke")
    cap.advance(1000)
    a.call(Op.TOKEN_RELEASE, [A(Tag.TOKEN_ID, 0xA1)], ok(), "a.release")
    b.notify("s", Op.TOKEN_REVOKE, [A(Tag.TOKEN_ID, 0xB1), A(Tag.INODE, 1042),
                                    A(Tag.REVOKE_REASON, 1)], "b.revoke")
    b.notify("s", Op.TOKEN_REVOKE, [A(Tag.TOKEN_ID, 0xB2), A(Tag.INODE, 1042),
                                    A(Tag.REVOKE_REASON, 2)], "b.revoke_never")
    cap.advance(7000)
    b.call(Op.TOKEN_RELEASE, [A(Tag.TOKEN_ID, 0xB1)], ok(), "b.release_late")
    a.call(Op.LOCK, [A(Tag.INODE, 1042), A(Tag.LOCK_TYPE, 2), A(Tag.OFFSET, 0),
                     A(Tag.LENGTH, 65536), A(Tag.OWNER, 4242)], ok(), "a.lock")
    b.call(Op.LOCK, [A(Tag.INODE, 1042), A(Tag.LOCK_TYPE, 1), A(Tag.OFFSET, 4096),
                     A(Tag.LENGTH, 4096), A(Tag.OWNER, 4343)],
           err(Status.LOCK_CONFLICT, "range locked by owner 4242"), "b.lock")
    a.close()
    b.close()
    return cap


def build_failover():
    """Heartbeats with an HB_SEQ gap (edit-bay-03) and a silence (mdc-b),
    then a failover of MediaVol: two election rounds and the ACTIVATE."""
    cap, h = new_capture(44)
    x = Xids(0x6000)
    ports = {"bay": 52840, "bay2": 52841, "mdc": PORT, "mdc2": PORT}

    def pair(src, dst, op, req, resp, label=None):
        q = message(op, x(), req)
        f = cap.udp_msgs(h[src], h[dst], ports[src], ports[dst], [q])
        cap.advance(0.4)
        r = message(op, q.xid, resp, response=True)
        g = cap.udp_msgs(h[dst], h[src], ports[dst], ports[src], [r])
        if label:
            cap.expect[label + ".req"], cap.expect[label + ".rsp"] = f, g

    def beat(host, name, seq, label=None):
        pair(host, "mdc", Op.HEARTBEAT, [A(Tag.HOSTNAME, name), A(Tag.IPV4, str(h[host].ip)),
                                         A(Tag.CLUSTER, cast.CLUSTER), A(Tag.HB_SEQ, seq),
                                         A(Tag.UPTIME, seq)], ok(A(Tag.EPOCH, 8)), label)

    for i in range(3):
        beat("bay", "edit-bay-03.local", 100 + i, f"bay.{i}")
        cap.advance(10)
        beat("mdc2", "mdc-b.local", 500 + i, f"mdc2.{i}")
        cap.advance(990)
    beat("bay", "edit-bay-03.local", 105, "bay.gap")     # 103 and 104 never came
    cap.advance(4000)
    beat("mdc2", "mdc-b.local", 503, "mdc2.silence")     # 5 s after 502, no seq missing
    cap.advance(100)
    def vote(epoch):
        return [A(Tag.VOLUME, cast.VOLUME), A(Tag.EPOCH, epoch), A(Tag.IPV4, str(h["mdc2"].ip)),
                A(Tag.PRIORITY, 1)]

    # round 1 (epoch 9) is refused, round 2 (epoch 10) agrees
    pair("mdc", "mdc2", Op.ELECTION_VOTE, vote(9), ok(), "vote1")
    cap.advance(20)
    pair("mdc", "bay", Op.ELECTION_VOTE, vote(9), err(Status.VOTE_REJECTED, "vote rejected"), "vote2")
    cap.advance(500)
    pair("mdc", "bay", Op.ELECTION_VOTE, vote(10), ok(), "vote3")
    cap.advance(20)
    pair("mdc", "bay2", Op.ELECTION_VOTE, vote(10), ok(), "vote4")
    cap.advance(150)
    cap.expect["activate"] = cap.udp_msgs(
        h["mdc"], h["mdc2"], PORT, PORT,
        [message(Op.ACTIVATE, x(), [A(Tag.VOLUME, cast.VOLUME), A(Tag.EPOCH, 10)], notify=True)])
    return cap


CAPTURES = {
    "analysis-calls.pcapng": build_calls,
    "analysis-names.pcapng": build_names,
    "analysis-tokens.pcapng": build_tokens,
    "analysis-failover.pcapng": build_failover,
}
