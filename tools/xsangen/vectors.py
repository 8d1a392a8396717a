# SPDX-License-Identifier: GPL-2.0-or-later
"""Decode-test vectors: every opcode, every tag, every status, both
transports (vectors-tcp, vectors-udp), and the same over IPv6 (ipv6).

Each message goes in its own TCP segment or datagram (except where a test
wants two in one), so tests can match frames to messages one to one.
"""
from . import cast
from .cast import CLUSTER, ROOT_INODE, VOLUME, VOLUME_UUID, Xids, ns
from .net import Capture
from .wire import PORT, Op, Status, Tag, attr, group, message

A, G = attr, group
SESSION = 0x5A17C0DE
T0 = ns(2024, 11, 22, 16, 42, 7, 123456789)


def ok(*attrs):
    return [A(Tag.STATUS, Status.OK), *attrs]


def err(status, text):
    return [A(Tag.STATUS, status), A(Tag.ERROR_TEXT, text)]


def dirent(inode, name, ftype):
    return G(Tag.DIRENT, [A(Tag.INODE, inode), A(Tag.NAME, name), A(Tag.FILE_TYPE, ftype)])


def extent(sg, start, count, offset):
    return G(Tag.EXTENT, [A(Tag.STRIPE_GROUP, sg), A(Tag.START_BLOCK, start),
                          A(Tag.BLOCK_COUNT, count), A(Tag.OFFSET, offset)])


def counter(name, value):
    return G(Tag.COUNTER, [A(Tag.NAME, name), A(Tag.VALUE, value)])


def attrs_of(ftype, mode, size, mtime):
    return [A(Tag.FILE_TYPE, ftype), A(Tag.MODE, mode), A(Tag.SIZE, size), A(Tag.MTIME, mtime)]


ADMIN_OUTPUT = ("Show stripe groups (File System \"MediaVol\")\n"
                "Stripe Group 0 [MetaFiles]  Status:Up,MetaData,Journal\n"
                "Stripe Group 1 [VideoFiles] Status:Up\n")


def session_ops(x, session=SESSION):
    """(request, response or None) pairs of a client's whole session; the
    FSM's own notifications are ("s", message) entries."""
    def rq(op, *attrs, **kw):
        return message(op, x.cur, list(attrs), session=kw.pop("session", session), **kw)

    def rs(op, attrs, **kw):
        return message(op, x.cur, attrs, response=True, session=kw.pop("session", session), **kw)

    out = []

    def pair(op, req, resp, sess=session):
        x.cur = x()
        out.append((rq(op, *req, session=sess), rs(op, resp, session=sess)))

    pair(Op.HELLO, [A(Tag.HOSTNAME, "edit-bay-03.local"),
                    A(Tag.CLIENT_ID, "a1b2c3d4-0e0f-4a5b-8c9d-112233445566"),
                    A(Tag.CLIENT_VERSION, "Xsan 5.0 (StorNext 7.1.2)"),
                    A(Tag.CAPABILITIES, 0x7)],
         ok(A(Tag.CAPABILITIES, 0x3), A(Tag.LEASE_SECS, 30)), 0)
    x.cur = x()
    out.append((rq(Op.MOUNT, A(Tag.VOLUME, VOLUME), A(Tag.MOUNT_FLAGS, 0x2), session=0),
                rs(Op.MOUNT, ok(A(Tag.VOLUME_UUID, VOLUME_UUID), A(Tag.BLOCK_SIZE, 4096),
                                A(Tag.STRIPE_GROUPS, 4), A(Tag.ROOT_INODE, ROOT_INODE)))))
    pair(Op.KEEPALIVE, [], ok())
    pair(Op.LOOKUP, [A(Tag.PARENT_INODE, ROOT_INODE), A(Tag.NAME, "Projects")],
         ok(A(Tag.INODE, 1001), *attrs_of(2, 0o40775, 4096, T0)))
    pair(Op.LOOKUP, [A(Tag.PARENT_INODE, 1001), A(Tag.NAME, "missing.mov")],
         err(Status.NOENT, "no such file or directory"))
    pair(Op.LOOKUP, [A(Tag.PARENT_INODE, 1040), A(Tag.NAME, "clip.mov")],
         err(Status.NOTDIR, "parent is not a directory"))
    pair(Op.GETATTR, [A(Tag.INODE, 1001)],
         ok(A(Tag.FILE_TYPE, 2), A(Tag.MODE, 0o40775), A(Tag.UID, 501), A(Tag.GID, 20),
            A(Tag.SIZE, 4096), A(Tag.NLINK, 7), A(Tag.MTIME, T0),
            A(Tag.ATIME, T0 + 3600 * 10**9), A(Tag.CTIME, T0 - 86400 * 10**9)))
    pair(Op.GETATTR, [A(Tag.INODE, 999)], err(Status.STALE, "stale inode"))
    pair(Op.CREATE, [A(Tag.PARENT_INODE, 1001), A(Tag.NAME, "clip001.mov"),
                     A(Tag.FILE_TYPE, 1), A(Tag.MODE, 0o100644)],
         ok(A(Tag.INODE, 1042), *attrs_of(1, 0o100644, 0, T0 + 5 * 10**9)))
    pair(Op.CREATE, [A(Tag.PARENT_INODE, 1001), A(Tag.NAME, "clip001.mov"),
                     A(Tag.FILE_TYPE, 1), A(Tag.MODE, 0o100644)],
         err(Status.EXIST, "file exists"))
    pair(Op.CREATE, [A(Tag.PARENT_INODE, 1001), A(Tag.NAME, "x" * 300),
                     A(Tag.FILE_TYPE, 1), A(Tag.MODE, 0o100644)],
         err(Status.NAMETOOLONG, "name longer than 255 bytes"))
    pair(Op.SETATTR, [A(Tag.INODE, 1042), A(Tag.ATTR_MASK, 0x3F), A(Tag.MODE, 0o100664),
                      A(Tag.UID, 501), A(Tag.GID, 20), A(Tag.SIZE, 1073741824),
                      A(Tag.MTIME, T0 + 60 * 10**9), A(Tag.ATIME, T0 + 61 * 10**9)], ok())
    pair(Op.SETATTR, [A(Tag.INODE, 2), A(Tag.ATTR_MASK, 0x2), A(Tag.UID, 0)],
         err(Status.ACCES, "permission denied"))
    pair(Op.READDIR, [A(Tag.INODE, 1001), A(Tag.COOKIE, 0), A(Tag.COUNT, 64)],
         ok(dirent(1042, "clip001.mov", 1), dirent(1043, "clip002.mov", 1),
            dirent(1044, "Audio", 2), dirent(1045, "grade.lut", 3),
            dirent(1046, "Résumé — scène 1.mov", 1),
            A(Tag.COOKIE, 5), A(Tag.EOF, True)))
    pair(Op.ALLOCATE, [A(Tag.INODE, 1042), A(Tag.OFFSET, 0), A(Tag.LENGTH, 268435456),
                       A(Tag.SG_HINT, 1)],
         ok(extent(1, 1048576, 32768, 0), extent(2, 2097152, 32768, 134217728)))
    pair(Op.ALLOCATE, [A(Tag.INODE, 1042), A(Tag.OFFSET, 268435456),
                       A(Tag.LENGTH, 17592186044416)],
         err(Status.NOSPC, "no space left on stripe group VideoFiles"))
    pair(Op.ALLOCATE, [A(Tag.INODE, 1043), A(Tag.OFFSET, 0), A(Tag.LENGTH, 1 << 34)],
         err(Status.QUOTA_EXCEEDED, "quota exceeded for uid 501"))
    pair(Op.GET_EXTENTS, [A(Tag.INODE, 1042), A(Tag.OFFSET, 0), A(Tag.LENGTH, 268435456)],
         ok(extent(1, 1048576, 32768, 0), extent(2, 2097152, 16384, 134217728),
            extent(3, 18446744073709, 16384, 201326592)))
    pair(Op.GET_EXTENTS, [A(Tag.INODE, 1044), A(Tag.OFFSET, 0), A(Tag.LENGTH, 4096)],
         err(Status.IO, "I/O error reading extent map"))
    pair(Op.TRUNCATE, [A(Tag.INODE, 1042), A(Tag.SIZE, 104857600)], ok())
    pair(Op.TRUNCATE, [A(Tag.INODE, 1044), A(Tag.SIZE, 0)], err(Status.ISDIR, "is a directory"))
    pair(Op.COMMIT_SIZE, [A(Tag.INODE, 1042), A(Tag.SIZE, 104857600),
                          A(Tag.MTIME, T0 + 90 * 10**9)], ok())
    pair(Op.COMMIT_SIZE, [A(Tag.INODE, 1042), A(Tag.SIZE, 2**64 - 1),
                          A(Tag.MTIME, T0)], err(Status.INVAL, "invalid argument"))
    pair(Op.TOKEN_ACQUIRE, [A(Tag.INODE, 1042), A(Tag.TOKEN_CLASS, 2), A(Tag.TOKEN_MODE, 2),
                            A(Tag.OFFSET, 0), A(Tag.LENGTH, 104857600)],
         ok(A(Tag.TOKEN_ID, 0x7F000000000A)))
    pair(Op.TOKEN_ACQUIRE, [A(Tag.INODE, 1043), A(Tag.TOKEN_CLASS, 1), A(Tag.TOKEN_MODE, 1),
                            A(Tag.OFFSET, 0), A(Tag.LENGTH, 4096)],
         err(Status.TOKEN_CONFLICT, "token held exclusively by another client"))
    out.append(("s", message(Op.TOKEN_REVOKE, 77, [A(Tag.TOKEN_ID, 0x7F000000000A),
                                                   A(Tag.INODE, 1042), A(Tag.REVOKE_REASON, 1)],
                             notify=True, session=session)))
    pair(Op.TOKEN_RELEASE, [A(Tag.TOKEN_ID, 0x7F000000000A)], ok())
    pair(Op.LOCK, [A(Tag.INODE, 1042), A(Tag.LOCK_TYPE, 2), A(Tag.OFFSET, 0),
                   A(Tag.LENGTH, 65536), A(Tag.OWNER, 4242)], ok())
    pair(Op.LOCK, [A(Tag.INODE, 1042), A(Tag.LOCK_TYPE, 1), A(Tag.OFFSET, 4096),
                   A(Tag.LENGTH, 4096), A(Tag.OWNER, 4343)],
         err(Status.LOCK_CONFLICT, "range locked by owner 4242"))
    pair(Op.UNLOCK, [A(Tag.INODE, 1042), A(Tag.OFFSET, 0), A(Tag.LENGTH, 65536),
                     A(Tag.OWNER, 4242)], ok())
    pair(Op.REMOVE, [A(Tag.PARENT_INODE, 1001), A(Tag.NAME, "render-tmp.mov")], ok())
    pair(Op.REMOVE, [A(Tag.PARENT_INODE, 1001), A(Tag.NAME, "Audio")],
         err(Status.NOTEMPTY, "directory not empty"))
    pair(Op.RENAME, [A(Tag.PARENT_INODE, 1001), A(Tag.NAME, "clip001.mov"),
                     A(Tag.NEW_PARENT_INODE, 1044), A(Tag.NEW_NAME, "clip001_final.mov")], ok())
    pair(Op.STATS, [A(Tag.VOLUME, VOLUME)],
         ok(counter("lookups", 18231), counter("allocations", 402),
            counter("tokens_granted", 9120), counter("bytes_allocated", 5497558138880)))
    pair(Op.UNMOUNT, [], ok())
    out.append(("c", message(Op.GOODBYE, x(), [A(Tag.ERROR_TEXT, "client shutting down")],
                             notify=True, session=session)))
    return out


def admin_ops(x):
    out = []
    for cmd, resp in (("show MediaVol", [A(Tag.STATUS, 0), A(Tag.ADMIN_OUTPUT, ADMIN_OUTPUT)]),
                      ("stop MediaVol", err(Status.PERM, "operation not permitted"))):
        xid = x()
        out.append((message(Op.ADMIN, xid, [A(Tag.ADMIN_COMMAND, cmd)]),
                    message(Op.ADMIN, xid, resp, response=True)))
    return out


def stale_client_ops(x):
    """A second client: old version, no session, then told goodbye."""
    out = []
    for op, req, resp, sess in (
            (Op.UNMOUNT, [], err(Status.NOT_MOUNTED, "not mounted"), 0),
            (Op.KEEPALIVE, [], err(Status.BAD_SESSION, "unknown session"), 0x1BADF00D),
            (Op.HELLO, [A(Tag.HOSTNAME, "edit-bay-07.local"),
                        A(Tag.CLIENT_ID, "0f0e0d0c-0b0a-4909-8807-060504030201"),
                        A(Tag.CLIENT_VERSION, "Xsan 2.2"), A(Tag.CAPABILITIES, 0x1)],
             err(Status.BAD_VERSION, "client version too old"), 0)):
        xid = x()
        out.append((message(op, xid, req, session=sess),
                    message(op, xid, resp, response=True, session=sess)))
    out.append(("s", message(Op.GOODBYE, 1, [A(Tag.ERROR_TEXT, "protocol version mismatch")],
                             notify=True)))
    return out


def play(cap, conn, ops, think_us=400, gap_ms=10):
    """Send each (request, response) or (side, notify) as its own write."""
    for a, b in ops:
        if isinstance(a, str):
            conn.send_msgs(a, [b])
        else:
            conn.send_msgs("c", [a])
            cap.advance(us=think_us, jitter_us=think_us)
            conn.send_msgs("s", [b])
        cap.advance(gap_ms, jitter_us=gap_ms * 5000)


def build_tcp(port=PORT, seed=11, v6=False, ops=None):
    cap = Capture(seed=seed)
    h = cast.hosts(v6)
    c = cap.tcp_conn(h["bay"], h["mdc"], 52311, port)
    c.open()
    play(cap, c, ops(Xids(0x100)) if ops else session_ops(Xids(0x100)))
    c.close()
    if not v6 and ops is None:
        for client, cport, script in ((h["admin"], 52402, admin_ops(Xids(0x9000))),
                                      (h["bay2"], 52519, stale_client_ops(Xids(1)))):
            cap.advance(20)
            c = cap.tcp_conn(client, h["mdc"], cport, port)
            c.open()
            play(cap, c, script)
            c.close()
    return cap


def udp_ops(v6=False):
    """(src, dst, [messages]) datagrams of the name service."""
    ipattr = Tag.IPV6 if v6 else Tag.IPV4
    h = cast.hosts(v6)
    bay, mdc, mdc2 = (str(h[k].ip) for k in ("bay", "mdc", "mdc2"))
    x = Xids(0x5000)
    out = []

    def pair(src, dst, op, req, resp):
        xid = x()
        out.append((src, dst, [message(op, xid, req)]))
        out.append((dst, src, [message(op, xid, resp, response=True)]))

    for seq in (1017, 1018):
        pair("bay", "mdc", Op.HEARTBEAT,
             [A(Tag.HOSTNAME, "edit-bay-03.local"), A(ipattr, bay), A(Tag.CLUSTER, CLUSTER),
              A(Tag.HB_SEQ, seq), A(Tag.UPTIME, 86400 + seq - 1017)], ok(A(Tag.EPOCH, 7)))
    pair("bay", "mdc", Op.FSM_QUERY, [A(Tag.VOLUME, VOLUME), A(Tag.CLUSTER, CLUSTER)],
         ok(A(ipattr, mdc), A(Tag.PORT, PORT), A(Tag.FSM_STATE, 2), A(Tag.PRIORITY, 0)))
    pair("bay", "mdc2", Op.FSM_QUERY, [A(Tag.VOLUME, VOLUME), A(Tag.CLUSTER, CLUSTER)],
         err(Status.NOT_ACTIVE, "FSM is standby"))
    pair("mdc2", "mdc", Op.FSM_REGISTER, [A(Tag.VOLUME, VOLUME), A(Tag.PORT, 60870),
                                         A(Tag.PRIORITY, 1), A(Tag.FSM_STATE, 1)], ok())
    pair("mdc", "mdc2", Op.ELECTION_VOTE, [A(Tag.VOLUME, VOLUME), A(Tag.EPOCH, 8),
                                          A(ipattr, mdc2), A(Tag.PRIORITY, 1)], ok())
    pair("mdc", "bay", Op.ELECTION_VOTE, [A(Tag.VOLUME, VOLUME), A(Tag.EPOCH, 8),
                                         A(ipattr, mdc2), A(Tag.PRIORITY, 1)],
         err(Status.VOTE_REJECTED, "vote rejected: candidate priority"))
    out.append(("mdc", "mdc2", [message(Op.ACTIVATE, x(), [A(Tag.VOLUME, VOLUME),
                                                            A(Tag.EPOCH, 8)], notify=True)]))
    # one datagram, two messages: a heartbeat and a query from the same fsmpm
    hb = message(Op.HEARTBEAT, x(), [A(Tag.HOSTNAME, "edit-bay-03.local"), A(ipattr, bay),
                                     A(Tag.CLUSTER, CLUSTER), A(Tag.HB_SEQ, 1019),
                                     A(Tag.UPTIME, 86402)])
    q = message(Op.FSM_QUERY, x(), [A(Tag.VOLUME, VOLUME), A(Tag.CLUSTER, CLUSTER)])
    out.append(("bay", "mdc", [hb, q]))
    out.append(("mdc", "bay", [message(Op.HEARTBEAT, hb.xid, ok(A(Tag.EPOCH, 8)), response=True),
                               message(Op.FSM_QUERY, q.xid,
                                       ok(A(ipattr, mdc2), A(Tag.PORT, 60870),
                                          A(Tag.FSM_STATE, 2), A(Tag.PRIORITY, 1)),
                                       response=True)]))
    return out


def add_udp(cap, h, v6=False, port=PORT, gap_ms=15):
    sports = {"bay": 52840, "mdc": port, "mdc2": port}
    for src, dst, msgs in udp_ops(v6):
        cap.udp_msgs(h[src], h[dst], sports[src], sports[dst], msgs)
        cap.advance(gap_ms, jitter_us=2000)


def build_udp():
    cap = Capture(seed=12)
    add_udp(cap, cast.hosts())
    return cap


def ipv6_session(x):
    ops = session_ops(x)
    keep = {Op.HELLO, Op.MOUNT, Op.LOOKUP, Op.GETATTR, Op.READDIR, Op.UNMOUNT, Op.GOODBYE}
    return [p for p in ops if (p[1] if isinstance(p[0], str) else p[0]).opcode in keep]


def build_ipv6():
    cap = build_tcp(seed=13, v6=True, ops=ipv6_session)
    cap.advance(30)
    add_udp(cap, cast.hosts(True), v6=True)
    return cap


CAPTURES = {
    "vectors-tcp.pcapng": build_tcp,
    "vectors-udp.pcapng": build_udp,
    "ipv6.pcapng": build_ipv6,
}
