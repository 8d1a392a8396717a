# SPDX-License-Identifier: GPL-2.0-or-later
"""Framing vectors: TCP segmentation and coalescing, the heuristic on
non-default ports, and Xsan-level fragmentation."""
from . import cast
from .cast import ROOT_INODE, Xids
from .net import Capture
from .vectors import SESSION, T0, add_udp, dirent, ok, play, session_ops
from .wire import Op, Tag, attr, fragment, message, parse_attrs

A = attr
HEURISTIC_TCP = 50123
HEURISTIC_UDP = 49500


def readdir_entries(n, first=2000):
    return [dirent(first + i, f"clip{i:03d}.mov", 1) for i in range(n)]


def getattr_resp(xid, inode):
    return message(Op.GETATTR, xid, ok(
        A(Tag.FILE_TYPE, 1), A(Tag.MODE, 0o100644), A(Tag.UID, 501), A(Tag.GID, 20),
        A(Tag.SIZE, 1048576 * inode), A(Tag.NLINK, 1), A(Tag.MTIME, T0 + inode),
        A(Tag.ATIME, T0 + 2 * inode), A(Tag.CTIME, T0 + 3 * inode)),
        response=True, session=SESSION)


def build_segmentation():
    cap = Capture(seed=21)
    h = cast.hosts()
    c = cap.tcp_conn(h["bay"], h["mdc"], 52633, 60868)
    c.open()
    x = Xids(0x700)
    # one large message: a ~6 KB READDIR response over several segments
    xid = x()
    c.send_msgs("c", [message(Op.READDIR, xid, [A(Tag.INODE, 1001), A(Tag.COOKIE, 0),
                                                A(Tag.COUNT, 256)], session=SESSION)])
    cap.advance(1.5)
    c.send_msgs("s", [message(Op.READDIR, xid, ok(*readdir_entries(170), A(Tag.COOKIE, 170),
                                                   A(Tag.EOF, True)),
                              response=True, session=SESSION)])
    cap.advance(5)
    # 30 pipelined GETATTRs in one segment; 30 responses in one write, so
    # segments hold several whole messages and messages cross boundaries
    xids = [x() for _ in range(30)]
    c.send_msgs("c", [message(Op.GETATTR, i, [A(Tag.INODE, 2000 + n)], session=SESSION)
                      for n, i in enumerate(xids)], coalesce=True)
    cap.advance(0.8)
    c.send_msgs("s", [getattr_resp(i, 2000 + n) for n, i in enumerate(xids)], coalesce=True)
    cap.advance(50)
    c.close()
    return cap


def heuristic_ops(x):
    keep = {Op.HELLO, Op.MOUNT, Op.LOOKUP, Op.CREATE, Op.READDIR, Op.STATS, Op.UNMOUNT}
    return [p for p in session_ops(x) if not isinstance(p[0], str) and p[0].opcode in keep]


def build_heuristic():
    cap = Capture(seed=31)
    h = cast.hosts()
    c = cap.tcp_conn(h["bay"], h["mdc"], 52744, HEURISTIC_TCP)
    c.open()
    play(cap, c, heuristic_ops(Xids(0x300)))
    c.close()
    cap.advance(20)
    add_udp(cap, cast.hosts(), port=HEURISTIC_UDP)
    return cap


def check_cut_inside_attr(pieces):
    """A piece boundary must fall inside an attribute, as the spec allows."""
    body = pieces[0].whole.body
    starts, off = set(), 0
    for a in parse_attrs(body):
        starts.add(off)
        off += 4 + a.length
    cuts, off = [], 0
    for p in pieces[:-1]:
        off += len(p.body)
        cuts.append(off)
    assert any(cut not in starts for cut in cuts), "no boundary inside an attribute"


def build_fragments():
    cap = Capture(seed=41)
    h = cast.hosts()
    c = cap.tcp_conn(h["bay"], h["mdc"], 52855, 60868)
    c.open()
    x = Xids(0xA00)
    xid = x()
    c.send_msgs("c", [message(Op.READDIR, xid, [A(Tag.INODE, 1001), A(Tag.COOKIE, 0),
                                                A(Tag.COUNT, 512)], session=SESSION)])
    cap.advance(2)
    pieces = fragment(Op.READDIR, xid, ok(*readdir_entries(60, 3000), A(Tag.COOKIE, 60),
                                          A(Tag.EOF, True)),
                      601, response=True, session=SESSION)
    check_cut_inside_attr(pieces)
    for i, p in enumerate(pieces):
        c.send_msgs("s", [p])
        cap.advance(0.3, jitter_us=200)
        if i == 1:  # an unrelated message between two pieces
            c.send_msgs("s", [message(Op.TOKEN_REVOKE, 91, [A(Tag.TOKEN_ID, 0x7F0000000101),
                                                            A(Tag.INODE, 1042),
                                                            A(Tag.REVOKE_REASON, 3)],
                                      notify=True, session=SESSION)])
            cap.advance(0.3)
    cap.advance(12)
    # a fragmented request: RENAME with long names, in three pieces
    xid = x()
    req = [A(Tag.PARENT_INODE, ROOT_INODE), A(Tag.NAME, "Projects/2024 Feature Film Reel 1"),
           A(Tag.NEW_PARENT_INODE, 1001), A(Tag.NEW_NAME, "Archive - 2024 Feature Film Reel 1")]
    rpieces = fragment(Op.RENAME, xid, req, 40, session=SESSION)
    check_cut_inside_attr(rpieces)
    for p in rpieces:
        c.send_msgs("c", [p])
        cap.advance(0.2)
    cap.advance(1)
    c.send_msgs("s", [message(Op.RENAME, xid, ok(), response=True, session=SESSION)])
    cap.advance(50)
    c.close()
    return cap


CAPTURES = {
    "segmentation.pcapng": build_segmentation,
    "heuristic.pcapng": build_heuristic,
    "fragments.pcapng": build_fragments,
}
