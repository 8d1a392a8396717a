# SPDX-License-Identifier: GPL-2.0-or-later
"""Story 7: a busy afternoon, for statistics.

Friday, 15:00 UTC, 40 seconds on the metadata switch's monitor port during
the final week of Nightfall. Twelve clients work on three volumes:

- edit-bay-01..09 (IPv4) mount MediaVol (FSM on mdc-a) and ProjectsVol
  (FSM on mdc-b): one TCP session per FSM;
- Studio B's three bays work on ArchiveVol, served over IPv6 by mdc-c;
- every host's fsmpm heartbeats once a second (nss-1 on IPv4, nss-b on
  IPv6).

Each session does what editors' machines do all day: mostly GETATTR and
LOOKUP, some READDIR, token traffic around writes (TOKEN_ACQUIRE, ALLOCATE,
COMMIT_SIZE, TOKEN_RELEASE), a few CREATE/SETATTR/REMOVE/RENAME, byte-range
locks, a KEEPALIVE every 4 s. Service times are log-normal per opcode
(seeded), so `-z xsan,srt` shows a realistic spread, and some requests
fail the way they do in real life: LOOKUP of a name that is not there
(NOENT), CREATE of a name that is (EXIST), a token someone else holds
(TOKEN_CONFLICT), a lock someone else holds (LOCK_CONFLICT), a stale inode
(STALE), a user over quota (QUOTA_EXCEEDED).

Only the first frames and the first error of each kind carry comments; the
rest is there to be counted.
"""
import heapq
import random

from ..cast import Xids
from ..net import Capture
from ..wire import Op, Status, Tag, message
from .house import (VOLUMES, A, Fsmpm, Heartbeats, counter, dirent, extent,
                    ok, site, utc)

NAME = "story-7-busy.pcapng"
SEED = 7
DURATION_S = 40.0
RTT_US = 180

# opcode: (weight in the mix, median service time in ms, log-normal sigma)
MIX = {
    Op.GETATTR: (34, 0.18, 0.55),
    Op.LOOKUP: (24, 0.26, 0.60),
    Op.READDIR: (5, 1.10, 0.70),
    Op.GET_EXTENTS: (6, 0.40, 0.50),
    Op.TOKEN_ACQUIRE: (8, 0.32, 0.80),
    Op.ALLOCATE: (5, 2.40, 0.60),
    Op.COMMIT_SIZE: (3, 0.90, 0.40),
    Op.CREATE: (4, 1.80, 0.50),
    Op.SETATTR: (3, 0.60, 0.50),
    Op.REMOVE: (1, 1.50, 0.50),
    Op.RENAME: (1, 2.00, 0.50),
    Op.LOCK: (3, 0.20, 0.40),
    Op.STATS: (0.2, 0.50, 0.30),
}
SERVICE = {op: (m, s) for op, (_, m, s) in MIX.items()}
SERVICE.update({Op.TOKEN_RELEASE: (0.20, 0.40), Op.UNLOCK: (0.15, 0.40),
                Op.KEEPALIVE: (0.05, 0.30), Op.HELLO: (0.25, 0.3), Op.MOUNT: (2.1, 0.3),
                Op.UNMOUNT: (1.0, 0.3)})
# error rates of a few operations: (status, probability, text)
ERRORS = {
    Op.LOOKUP: (Status.NOENT, 0.08, "no such file or directory"),
    Op.CREATE: (Status.EXIST, 0.10, "file exists"),
    Op.TOKEN_ACQUIRE: (Status.TOKEN_CONFLICT, 0.05, "token held exclusively by another client"),
    Op.LOCK: (Status.LOCK_CONFLICT, 0.08, "range locked by another owner"),
    Op.GETATTR: (Status.STALE, 0.005, "stale inode"),
    Op.ALLOCATE: (Status.QUOTA_EXCEEDED, 0.02, "quota exceeded for uid 504"),
}

# what each volume holds: projects, reels, clips (inode numbers per volume)
TREES = {
    "MediaVol": ("Projects", ["Nightfall", "Harbor Lights", "Kestrel"],
                 ["Reel1", "Reel2", "Reel3", "Audio", "VFX"]),
    "ProjectsVol": ("Edits", ["Nightfall", "Harbor Lights", "Kestrel"],
                    ["Timelines", "Autosave", "Exports"]),
    "ArchiveVol": ("Archive", ["2023", "2024"], ["Masters", "Deliverables"]),
}


class Tree:
    """A volume's namespace as (parent inode, name, inode, type) tuples."""

    def __init__(self, volume, rng):
        top, projects, subs = TREES[volume]
        self.dirs, self.files, ino = [], [], 1000
        self.root = VOLUMES[volume][3]
        ino += 1
        self.dirs.append((self.root, top, ino))
        top_ino = ino
        for p in projects:
            ino += 1
            pi = ino
            self.dirs.append((top_ino, p, pi))
            for s in subs:
                ino += 1
                self.dirs.append((pi, s, ino))
                ext = ".mov" if volume != "ProjectsVol" else ".prproj"
                for k in range(rng.randint(8, 40)):
                    self.files.append((ino, f"{s.lower()}_{k + 1:03d}{ext}", 20000 + len(
                        self.files), 1))
        self.next_ino = 90000


class Client:
    """One client's session with one FSM: it generates (time, message) pairs."""

    def __init__(self, story, host, fsm, cport, volume, session, xid0, seed):
        self.story, self.host, self.fsm, self.volume = story, host, fsm, volume
        self.rng = random.Random(seed)
        self.conn = story.cap.tcp_conn(host, fsm, cport, 60868)
        self.xids = Xids(xid0)
        self.session = session
        self.tree = story.trees[volume]
        self.tokens = []       # (token id, inode) held
        self.locks = []        # (inode, offset, owner)
        self.slot = (0, 1)     # (k, n): tokens and locks only on files with inode % n == k

    def service_us(self, op):
        median, sigma = SERVICE[op]
        return int(min(self.rng.lognormvariate(0, sigma) * median, 25.0) * 1000)

    def pick_file(self, own=False):
        """Any file; own=True: one of this client's own files (renders it writes), so
        that two clients never hold exclusive tokens or locks on the same file."""
        files = self.tree.files
        if own:
            k, n = self.slot
            files = [f for f in files if f[2] % n == k]
        return self.rng.choice(files)

    def op(self, t):
        """Choose the next operation: (opcode, request attrs, response attrs)."""
        r = self.rng
        if self.tokens and r.random() < 0.25:
            tid, ino = self.tokens.pop(0)
            return Op.TOKEN_RELEASE, [A(Tag.TOKEN_ID, tid)], ok()
        if self.locks and r.random() < 0.3:
            ino, off, owner = self.locks.pop(0)
            return Op.UNLOCK, [A(Tag.INODE, ino), A(Tag.OFFSET, off), A(Tag.LENGTH, 65536),
                               A(Tag.OWNER, owner)], ok()
        ops = list(MIX)
        op = r.choices(ops, [MIX[o][0] for o in ops])[0]
        parent, name, ino, _ = self.pick_file(own=op in (Op.TOKEN_ACQUIRE, Op.LOCK))
        mtime = t * 1000 - r.randint(1, 86400 * 30) * 10**9
        failure = ERRORS.get(op)
        if failure and r.random() < failure[1]:
            return op, self.request_attrs(op, parent, name, ino, t), \
                [A(Tag.STATUS, failure[0]), A(Tag.ERROR_TEXT, failure[2])]
        if op == Op.GETATTR:
            return op, [A(Tag.INODE, ino)], ok(
                A(Tag.FILE_TYPE, 1), A(Tag.MODE, 0o100664), A(Tag.UID, 500 + ino % 7),
                A(Tag.GID, 20), A(Tag.SIZE, (ino * 7919 % 4096) * 2**20), A(Tag.NLINK, 1),
                A(Tag.MTIME, mtime), A(Tag.ATIME, mtime), A(Tag.CTIME, mtime))
        if op == Op.LOOKUP:
            return op, [A(Tag.PARENT_INODE, parent), A(Tag.NAME, name)], ok(
                A(Tag.INODE, ino), A(Tag.FILE_TYPE, 1), A(Tag.MODE, 0o100664),
                A(Tag.SIZE, (ino * 7919 % 4096) * 2**20), A(Tag.MTIME, mtime))
        if op == Op.READDIR:
            entries = [f for f in self.tree.files if f[0] == parent][:64]
            return op, [A(Tag.INODE, parent), A(Tag.COOKIE, 0), A(Tag.COUNT, 64)], ok(
                *[dirent(i, n, ft) for _, n, i, ft in entries],
                A(Tag.COOKIE, len(entries)), A(Tag.EOF, True))
        if op == Op.GET_EXTENTS:
            return op, [A(Tag.INODE, ino), A(Tag.OFFSET, 0), A(Tag.LENGTH, 2**30)], ok(
                *[extent(1 + k % 3, 0x200000 + ino * 4096 + k * 65536, 65536, k * 256 * 2**20)
                  for k in range(r.randint(1, 4))])
        if op == Op.TOKEN_ACQUIRE:
            tid = 0x7F0000000000 | (self.story.next_token())
            self.tokens.append((tid, ino))
            return op, self.request_attrs(op, parent, name, ino, t), ok(A(Tag.TOKEN_ID, tid))
        if op == Op.ALLOCATE:
            n = r.randint(1, 4)
            return op, self.request_attrs(op, parent, name, ino, t), ok(
                *[extent(1 + (ino + k) % 3, self.story.alloc(65536), 65536,
                         k * 256 * 2**20) for k in range(n)])
        if op == Op.COMMIT_SIZE:
            return op, [A(Tag.INODE, ino), A(Tag.SIZE, r.randint(1, 4096) * 2**20),
                        A(Tag.MTIME, t * 1000)], ok()
        if op == Op.CREATE:
            new = self.tree.next_ino = self.tree.next_ino + 1
            fname = f"render_{new:06d}.mov"
            self.tree.files.append((parent, fname, new, 1))
            return op, [A(Tag.PARENT_INODE, parent), A(Tag.NAME, fname), A(Tag.FILE_TYPE, 1),
                        A(Tag.MODE, 0o100664)], ok(A(Tag.INODE, new), A(Tag.FILE_TYPE, 1),
                                                   A(Tag.MODE, 0o100664), A(Tag.SIZE, 0),
                                                   A(Tag.MTIME, t * 1000))
        if op == Op.SETATTR:
            return op, [A(Tag.INODE, ino), A(Tag.ATTR_MASK, 0x11), A(Tag.MODE, 0o100644),
                        A(Tag.MTIME, t * 1000)], ok()
        if op == Op.REMOVE:
            return op, [A(Tag.PARENT_INODE, parent), A(Tag.NAME, name)], ok()
        if op == Op.RENAME:
            return op, [A(Tag.PARENT_INODE, parent), A(Tag.NAME, name),
                        A(Tag.NEW_PARENT_INODE, parent), A(Tag.NEW_NAME, name + ".bak")], ok()
        if op == Op.LOCK:
            owner = 1000 + r.randint(0, 30000)
            self.locks.append((ino, 0, owner))
            return op, self.request_attrs(op, parent, name, ino, t, owner), ok()
        return Op.STATS, [A(Tag.VOLUME, self.volume)], ok(
            counter("lookups", 18231004 + int(t / 1e4) % 100000),
            counter("tokens_granted", 9120455 + self.story.tokens))

    def request_attrs(self, op, parent, name, ino, t, owner=4242):
        if op == Op.LOOKUP:  # only fails: the editor's backup copy that is not there
            return [A(Tag.PARENT_INODE, parent), A(Tag.NAME, name + "~")]
        if op == Op.CREATE:
            return [A(Tag.PARENT_INODE, parent), A(Tag.NAME, name), A(Tag.FILE_TYPE, 1),
                    A(Tag.MODE, 0o100664)]
        if op == Op.TOKEN_ACQUIRE:
            return [A(Tag.INODE, ino), A(Tag.TOKEN_CLASS, 2), A(Tag.TOKEN_MODE, 2),
                    A(Tag.OFFSET, 0), A(Tag.LENGTH, 2**63 - 1)]
        if op == Op.ALLOCATE:
            return [A(Tag.INODE, ino), A(Tag.OFFSET, 0), A(Tag.LENGTH, 2**30),
                    A(Tag.SG_HINT, 1 + ino % 3)]
        if op == Op.LOCK:
            return [A(Tag.INODE, ino), A(Tag.LOCK_TYPE, 2), A(Tag.OFFSET, 0),
                    A(Tag.LENGTH, 65536), A(Tag.OWNER, owner)]
        return [A(Tag.INODE, ino)]

    def script(self, start_us, end_us):
        """Events (time, order, side, message) of the whole session."""
        rng, t, out = self.rng, start_us, []
        x = self.xids

        def exchange(op, req, resp, session_req, session_resp):
            nonlocal t
            xid = x()
            q = message(op, xid, req, session=session_req)
            out.append((t, "c", q))
            t += RTT_US + self.service_us(op)
            out.append((t, "s", message(op, xid, resp, response=True, session=session_resp)))
            t += 30 + rng.randint(0, 120)

        exchange(Op.HELLO, [A(Tag.HOSTNAME, self.host.name + ".local"),
                            A(Tag.CLIENT_ID, f"{self.story.cap.rng.getrandbits(128):032x}"),
                            A(Tag.CLIENT_VERSION, "Xsan 5.0.1 (StorNext 7.0.2)"),
                            A(Tag.CAPABILITIES, 0xF if self.host.v6 else 0x7)],
                 ok(A(Tag.CAPABILITIES, 0xF if self.host.v6 else 0x7),
                    A(Tag.LEASE_SECS, 10)), 0, 0)
        uuid_, bsize, sgs, root = VOLUMES[self.volume]
        exchange(Op.MOUNT, [A(Tag.VOLUME, self.volume), A(Tag.MOUNT_FLAGS, 0x2)],
                 ok(A(Tag.VOLUME_UUID, uuid_), A(Tag.BLOCK_SIZE, bsize),
                    A(Tag.STRIPE_GROUPS, sgs), A(Tag.ROOT_INODE, root)), 0, self.session)
        # walk the tree once so names are known (LOOKUP of every directory on the way)
        for parent, name, ino in self.tree.dirs[:1 + rng.randint(0, 3)]:
            exchange(Op.LOOKUP, [A(Tag.PARENT_INODE, parent), A(Tag.NAME, name)],
                     ok(A(Tag.INODE, ino), A(Tag.FILE_TYPE, 2), A(Tag.MODE, 0o40775),
                        A(Tag.SIZE, 4096), A(Tag.MTIME, t * 1000)), self.session, self.session)
        next_keepalive = t + 4000000
        while t < end_us:
            if t >= next_keepalive:
                exchange(Op.KEEPALIVE, [], ok(), self.session, self.session)
                next_keepalive += 4000000
                continue
            op, req, resp = self.op(t)
            exchange(op, req, resp, self.session, self.session)
            t += int(rng.expovariate(1 / self.story.think_us))
        for tid, _ in self.tokens:
            exchange(Op.TOKEN_RELEASE, [A(Tag.TOKEN_ID, tid)], ok(), self.session,
                     self.session)
        exchange(Op.UNMOUNT, [], ok(), self.session, self.session)
        return out


class Busy:
    """The whole afternoon: clients, their sessions, heartbeats, one clock."""

    def __init__(self):
        self.cap = Capture(seed=107, start_us=utc(2024, 11, 29, 15, 0, 0, 88811))
        self.rng = random.Random(SEED)
        self.trees = {v: Tree(v, self.rng) for v in TREES}
        self.think_us = 250000
        self.tokens = 0
        self.blocks = 0x04000000
        self.seen = set()

    def next_token(self):
        self.tokens += 1
        return 0x100000 + self.tokens

    def alloc(self, n):
        self.blocks += n
        return self.blocks - n

    def first_of_kind(self, m):
        """A comment on the first error of each kind, None otherwise."""
        if not m.flags & 0x2:
            return None
        status = Status(m.attrs[0].value)
        if status in self.seen:
            return None
        self.seen.add(status)
        return (f"the afternoon's first {status.name}: {Op(m.opcode).name} fails "
                f"({m.attrs[1].value}); filter xsan.status == 0x{int(status):x} for all")

    def build(self):
        cap, h = self.cap, site()
        t0, end = cap.now, cap.now + int(DURATION_S * 1e6)
        sessions = []
        for n in range(1, 10):
            bay = h[f"bay{n:02d}"]
            for k, (vol, fsm) in enumerate((("MediaVol", "mdc-a"), ("ProjectsVol", "mdc-b"))):
                sessions.append(Client(self, bay, h[fsm], 49200 + 37 * n + k, vol,
                                       0x3A410000 + 0x100 * n + k, (n << 16) + (k << 12) + 1,
                                       SEED * 1000 + n * 10 + k))
        for n in range(1, 4):
            sessions.append(Client(self, h[f"sb{n:02d}"], h["mdc-c"], 50100 + n, "ArchiveVol",
                                   0x6C000000 + n, (0x60 + n) << 16, SEED * 1000 + 500 + n))
        for vol in TREES:
            mine = [c for c in sessions if c.volume == vol]
            for k, c in enumerate(mine):
                c.slot = (k, len(mine))
        events = []
        for i, c in enumerate(sessions):
            start = t0 + 200000 + i * 97000 + self.rng.randint(0, 50000)
            stop = end - 900000 - self.rng.randint(0, 600000)
            events.append((start - 300, i, 0, "open", c))
            for j, (t, side, m) in enumerate(c.script(start, stop)):
                events.append((t, i, j + 1, side, m))
            events.append((events[-1][0] + 400, i, 10**9, "close", c))
        heapq.heapify(events)

        beats = Heartbeats(cap, epoch=41)
        hosts = ["mdc-a", "mdc-b"] + [f"bay{n:02d}" for n in range(1, 10)]
        for k, name in enumerate(hosts):
            beats.add(name, Fsmpm(cap, h[name], h["nss"], 4000 + 37 * k, 86400 + k,
                                  (0x10 + k) << 20), first_in_ms=13 + 83 * k)
        for k, name in enumerate(["mdc-c", "sb01", "sb02", "sb03"]):
            beats.add(name, Fsmpm(cap, h[name], h["nss-b"], 7000 + 41 * k, 91000 + k,
                                  (0x30 + k) << 20, cluster="StudioB"),
                      first_in_ms=47 + 91 * k)
        beats.comment_next("mdc-a", "40 s of a busy afternoon: 12 clients, 3 volumes, "
                           "heartbeats from 15 hosts. Try -z xsan,srt and -z xsan,tree")

        first = True
        while events:
            t, i, _, side, m = heapq.heappop(events)
            beats.idle((t - cap.now) / 1000 if t > cap.now else 0)
            c = sessions[i]
            if side == "open":
                frame = len(cap.packets) + 1
                c.conn.open(RTT_US / 1000)
                if first:
                    cap.packets[frame - 1].comment = (
                        "edit-bay-01 opens its session with the FSM of MediaVol; the "
                        "others follow within a second")
                    first = False
            elif side == "close":
                c.conn.close(RTT_US / 1000)
            else:
                c.conn.send_msgs(side, [m], comment=self.first_of_kind(m))
        beats.idle((end - cap.now) / 1000 if end > cap.now else 0)
        return cap


def build():
    return Busy().build()


CAPTURES = {NAME: build}
