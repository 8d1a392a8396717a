# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark inputs, built with tools/xsangen (encoder, framing, pcapng).

xsan_capture(path, messages)   ~`messages` Xsan messages: ~100 client
    sessions to FSMs (port 60868 and dynamic fsports, the latter found by
    the heuristic), MSS cutting, pipelined requests coalesced into one
    write, large READDIR/extent responses spanning segments, some
    fragmented READDIR responses, FSM token revokes, and UDP heartbeats
    and FSM queries to the NSS coordinator.
foreign_capture(path, packets) about `packets` frames of other TCP/UDP
    traffic (HTTP, TLS-like, DNS, syslog, unknown binary protocols on high
    ports, where every heuristic dissector gets a look).

Every session is its own net.Capture (so a frame only flushes the delayed
ACKs of its own connection, not of a hundred), run as a generator; the
sessions are merged by timestamp and streamed to disk, so memory stays
small at any size. Same arguments, same bytes.
"""
import heapq
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from xsangen import pcapng  # noqa: E402
from xsangen.cast import VOLUME, CLUSTER, ROOT_INODE, VOLUME_UUID  # noqa: E402
from xsangen.net import START_US, Capture, Host  # noqa: E402
from xsangen.wire import PORT, Op, Status, Tag, attr, fragment, group, message  # noqa: E402

A, G = attr, group
NSS_PORT = PORT
T_NS = START_US * 1000


def _host(i, role):
    """Distinct MAC/IPv4 per node: clients 10.40.x.y, MDCs 10.40.0.z."""
    if role == "mdc":
        return Host(f"mdc-{i}", f"00:1b:63:a0:01:{i:02x}", f"10.40.0.{10 + i}", 0x1000 + i)
    return Host(f"bay-{i}", f"00:1b:63:b3:{i >> 8:02x}:{i & 255:02x}",
                f"10.40.{1 + i // 200}.{10 + i % 200}", 0x2000 + i)


def _pump(cap):
    """Packets the capture made since the last call, oldest first. Keeps only
    the last one: TcpConn.flush_acks looks at it for the clock."""
    out = cap.packets[:-1]
    del cap.packets[:-1]
    cap.messages.clear()
    return out


# Each client's project folders under the volume's root, by how many clips
# each holds: READDIR answers list 8 to 200 entries.
DIR_SIZES = (8, 16, 32, 64, 200, 8, 16, 32)


class _Ops:
    """Request/response pairs of a client working on a volume. The client
    has a namespace of its own (folders of clips under the root) that its
    LOOKUPs, READDIRs, CREATEs, RENAMEs and REMOVEs agree with, as a real
    volume's would: a name means the same inode until it is renamed."""

    def __init__(self, rng, session, client_no):
        self.rng, self.session = rng, session
        self.xid = rng.getrandbits(24) << 4
        self.tokens = []
        self.name_no = 0
        base = 1000 + client_no * 5000
        self.next_inode = 10_000_000 + client_no * 1_000_000  # CREATE's new inodes
        self.dirs = [base + i for i in range(len(DIR_SIZES))]
        self.entries = {ROOT_INODE: {}}     # directory -> {name: inode}
        self.files = []                     # (directory, name) of every clip
        for i, d in enumerate(self.dirs):
            self.entries[ROOT_INODE][f"bay{client_no}_proj{i}"] = d
            self.entries[d] = {}
        ino = base + 100
        for d, n in zip(self.dirs, DIR_SIZES):
            for _ in range(n):
                self._add(d, self._name(), ino)
                ino += 1
        self.inodes = [ROOT_INODE] + self.dirs + [i for i in range(base + 100, ino)]

    def _add(self, d, name, ino):
        self.entries[d][name] = ino
        self.files.append((d, name))

    def _file(self):
        """A clip that exists: (directory, name, inode)."""
        while True:
            i = self.rng.randrange(len(self.files))
            d, name = self.files[i]
            if name in self.entries[d]:
                return d, name, self.entries[d][name]
            self.files[i] = self.files[-1]  # renamed or removed: drop it
            self.files.pop()

    def _x(self):
        self.xid = (self.xid + 1) & 0xFFFFFFFF
        return self.xid

    def _ino(self):
        return self.rng.choice(self.inodes)

    def _name(self):
        self.name_no += 1
        return f"shot_{self.name_no:05d}_take{self.rng.randint(1, 9)}.mov"

    def _time(self):
        return T_NS - self.rng.randint(0, 86400 * 30) * 1000000000 - self.rng.randint(0, 999999999)

    def _fileattrs(self, full=False):
        r = self.rng
        a = [A(Tag.FILE_TYPE, r.choice((1, 1, 1, 2))), A(Tag.MODE, r.choice((0o100644, 0o40775))),
             A(Tag.SIZE, r.randint(0, 1 << 36)), A(Tag.MTIME, self._time())]
        if full:
            a[2:2] = [A(Tag.UID, 501), A(Tag.GID, 20)]
            a += [A(Tag.NLINK, 1), A(Tag.ATIME, self._time()), A(Tag.CTIME, self._time())]
        return a

    def _extents(self, n):
        r = self.rng
        return [G(Tag.EXTENT, [A(Tag.STRIPE_GROUP, r.randint(1, 4)),
                               A(Tag.START_BLOCK, r.getrandbits(32)),
                               A(Tag.BLOCK_COUNT, r.randint(256, 65536)),
                               A(Tag.OFFSET, i * (1 << 28))]) for i in range(n)]

    def pair(self, op, req, resp, status=Status.OK, text=None):
        x = self._x()
        rq = message(op, x, req, session=self.session)
        body = [A(Tag.STATUS, status)] + ([A(Tag.ERROR_TEXT, text)] if text else []) + \
            (resp if status == Status.OK else [])
        return rq, message(op, x, body, response=True, session=self.session)

    def hello(self, host):
        return self.pair(Op.HELLO, [A(Tag.HOSTNAME, host.name + ".local"),
                                    A(Tag.CLIENT_ID, self.rng.randbytes(16)),
                                    A(Tag.CLIENT_VERSION, "Xsan 5.0 (StorNext 7.1.2)"),
                                    A(Tag.CAPABILITIES, 0x7)],
                         [A(Tag.CAPABILITIES, 0x3), A(Tag.LEASE_SECS, 30)])

    def mount(self):
        x = self._x()
        rq = message(Op.MOUNT, x, [A(Tag.VOLUME, VOLUME), A(Tag.MOUNT_FLAGS, 0x2)])
        return rq, message(Op.MOUNT, x, [A(Tag.STATUS, 0), A(Tag.VOLUME_UUID, VOLUME_UUID),
                                         A(Tag.BLOCK_SIZE, 4096), A(Tag.STRIPE_GROUPS, 4),
                                         A(Tag.ROOT_INODE, ROOT_INODE)],
                           response=True, session=self.session)

    def open_folders(self):
        """The LOOKUPs of a client's first path walk: its project folders."""
        return [self.pair(Op.LOOKUP, [A(Tag.PARENT_INODE, ROOT_INODE), A(Tag.NAME, name)],
                          [A(Tag.INODE, d), A(Tag.FILE_TYPE, 2), A(Tag.MODE, 0o40775)])
                for name, d in self.entries[ROOT_INODE].items()]

    def random_op(self):
        """One (request, response) of the usual mix; READDIR may return a
        list of response pieces (fragmented)."""
        r, p = self.rng, self.rng.random()
        if p < 0.25:
            return self.pair(Op.GETATTR, [A(Tag.INODE, self._ino())], self._fileattrs(True),
                             Status.STALE if r.random() < 0.005 else Status.OK)
        if p < 0.45:
            miss = r.random() < 0.06
            if miss:
                d, name, ino = r.choice(self.dirs), self._name(), 0
            else:
                d, name, ino = self._file()
            return self.pair(Op.LOOKUP, [A(Tag.PARENT_INODE, d), A(Tag.NAME, name)],
                             [A(Tag.INODE, ino)] + self._fileattrs(),
                             Status.NOENT if miss else Status.OK,
                             "no such file or directory" if miss else None)
        if p < 0.55:
            tid = r.getrandbits(48)
            conflict = r.random() < 0.02
            if not conflict:
                self.tokens.append(tid)
            return self.pair(Op.TOKEN_ACQUIRE, [A(Tag.INODE, self._ino()), A(Tag.TOKEN_CLASS, r.randint(1, 3)),
                                                A(Tag.TOKEN_MODE, r.randint(1, 2)), A(Tag.OFFSET, 0),
                                                A(Tag.LENGTH, 1 << 40)],
                             [A(Tag.TOKEN_ID, tid)],
                             Status.TOKEN_CONFLICT if conflict else Status.OK,
                             "token held by another client" if conflict else None)
        if p < 0.63 and self.tokens:
            return self.pair(Op.TOKEN_RELEASE, [A(Tag.TOKEN_ID, self.tokens.pop(0))], [])
        if p < 0.71:
            nospc = r.random() < 0.01
            return self.pair(Op.ALLOCATE, [A(Tag.INODE, self._ino()), A(Tag.OFFSET, r.getrandbits(36)),
                                           A(Tag.LENGTH, r.randint(1, 64) << 20), A(Tag.SG_HINT, r.randint(1, 4))],
                             self._extents(r.randint(1, 8)), Status.NOSPC if nospc else Status.OK,
                             "no space left on stripe group" if nospc else None)
        if p < 0.79:
            # a long clip: up to 120 extents, several MSS-sized segments
            return self.pair(Op.GET_EXTENTS, [A(Tag.INODE, self._ino()), A(Tag.OFFSET, 0),
                                              A(Tag.LENGTH, 1 << 40)],
                             self._extents(r.choice((1, 2, 4, 8, 16, 120))))
        if p < 0.84:
            return self.pair(Op.COMMIT_SIZE, [A(Tag.INODE, self._ino()), A(Tag.SIZE, r.getrandbits(36)),
                                              A(Tag.MTIME, self._time())], [])
        if p < 0.88:
            return self.pair(Op.SETATTR, [A(Tag.INODE, self._ino()), A(Tag.ATTR_MASK, 0x11),
                                          A(Tag.MODE, 0o100644), A(Tag.MTIME, self._time())], [])
        if p < 0.91:
            exist = r.random() < 0.05
            if exist:
                d, name, ino = self._file()
            else:
                d, name, ino = r.choice(self.dirs), self._name(), self.next_inode
                self.next_inode += 1
                self._add(d, name, ino)
            return self.pair(Op.CREATE, [A(Tag.PARENT_INODE, d), A(Tag.NAME, name),
                                         A(Tag.FILE_TYPE, 1), A(Tag.MODE, 0o100644)],
                             [A(Tag.INODE, ino)] + self._fileattrs(),
                             Status.EXIST if exist else Status.OK, "file exists" if exist else None)
        if p < 0.95:
            return self.readdir()
        if p < 0.96:
            d, name, ino = self._file()
            nd, nname = r.choice(self.dirs), self._name()
            del self.entries[d][name]
            self._add(nd, nname, ino)
            return self.pair(Op.RENAME, [A(Tag.PARENT_INODE, d), A(Tag.NAME, name),
                                         A(Tag.NEW_PARENT_INODE, nd), A(Tag.NEW_NAME, nname)], [])
        if p < 0.97:
            d, name, _ = self._file()
            del self.entries[d][name]
            return self.pair(Op.REMOVE, [A(Tag.PARENT_INODE, d), A(Tag.NAME, name)], [])
        if p < 0.985:
            op = Op.LOCK if r.random() < 0.5 else Op.UNLOCK
            extra = [A(Tag.LOCK_TYPE, 2)] if op == Op.LOCK else []
            return self.pair(op, [A(Tag.INODE, self._ino())] + extra +
                             [A(Tag.OFFSET, 0), A(Tag.LENGTH, 4096), A(Tag.OWNER, r.randint(100, 30000))], [],
                             Status.LOCK_CONFLICT if r.random() < 0.03 else Status.OK)
        if p < 0.995:
            return self.pair(Op.KEEPALIVE, [], [])
        return self.pair(Op.STATS, [A(Tag.VOLUME, VOLUME)],
                         [G(Tag.COUNTER, [A(Tag.NAME, n), A(Tag.VALUE, r.getrandbits(30))])
                          for n in ("ops", "lookups", "tokens", "allocs", "bytes_alloc")])

    def readdir(self):
        """A folder's first 200 entries (a real client pages with COOKIE)."""
        r = self.rng
        d = r.choice(self.dirs)
        listing = list(self.entries[d].items())[:200]
        n = len(listing)
        ents = [G(Tag.DIRENT, [A(Tag.INODE, ino), A(Tag.NAME, name), A(Tag.FILE_TYPE, 1)])
                for name, ino in listing]
        x = self._x()
        rq = message(Op.READDIR, x, [A(Tag.INODE, d), A(Tag.COOKIE, 0), A(Tag.COUNT, 200)],
                     session=self.session)
        body = [A(Tag.STATUS, 0)] + ents + [A(Tag.COOKIE, r.getrandbits(40)), A(Tag.EOF, True)]
        if n == 200 and r.random() < 0.5:  # a big listing sent as fragments
            return rq, fragment(Op.READDIR, x, body, 4096, response=True, session=self.session)
        return rq, message(Op.READDIR, x, body, response=True, session=self.session)


def _session(no, quota, seed, start_us, server, dynamic):
    """Generator of the packets of one client session, in time order, and
    of how many messages it sent (the last item: an int)."""
    cap = Capture(seed=seed, start_us=start_us)
    rng = cap.rng
    client = _host(no, "client")
    sport = rng.randint(49152, 65535) if dynamic else PORT
    conn = cap.tcp_conn(client, server, rng.randint(32768, 60999), sport,
                        mss=rng.choice((1448, 1448, 1448, 1460, 8948, 536)))
    ops = _Ops(rng, 0x5A000000 + no, no)
    sent = 0

    def rtt():
        cap.advance(us=rng.randint(60, 400), jitter_us=rng.choice((0, 0, 0, 2000)))

    conn.open()
    for rq, rs in [ops.hello(client), ops.mount()] + ops.open_folders():
        conn.send_msgs("c", [rq])
        rtt()
        conn.send_msgs("s", [rs])
        sent += 2
    while sent < quota - 4:
        cap.advance(us=rng.randint(50, 2500))
        if rng.random() < 0.2:  # pipelined: several requests in one write, answers in one
            batch = [ops.random_op() for _ in range(rng.randint(2, 6))]
            conn.send_msgs("c", [q for q, _ in batch], coalesce=True)
            rtt()
            resp = []
            for _, s in batch:
                resp += s if isinstance(s, list) else [s]
            conn.send_msgs("s", resp, coalesce=True)
            sent += len(batch) + len(resp)
        else:
            rq, rs = ops.random_op()
            conn.send_msgs("c", [rq])
            rtt()
            conn.send_msgs("s", rs if isinstance(rs, list) else [rs])
            sent += 1 + (len(rs) if isinstance(rs, list) else 1)
        if ops.tokens and rng.random() < 0.01:  # FSM revokes a token: a NOTIFY
            cap.advance(us=rng.randint(50, 500))
            tid = ops.tokens.pop(0)
            conn.send_msgs("s", [message(Op.TOKEN_REVOKE, rng.getrandbits(32),
                                         [A(Tag.TOKEN_ID, tid), A(Tag.INODE, ops._ino()),
                                          A(Tag.REVOKE_REASON, 1)],
                                         notify=True, session=ops.session)])
            sent += 1
        yield from _pump(cap)
    rq, rs = ops.pair(Op.UNMOUNT, [], [])
    conn.send_msgs("c", [rq])
    rtt()
    conn.send_msgs("s", [rs])
    conn.close()
    cap.finish()
    yield from cap.packets
    yield sent + 2


def _nss(n_hosts, until_us, seed, nss, hb_us=1000000):
    """Heartbeats (every host, every hb_us) and FSM queries to the NSS
    coordinator, over UDP; yields packets, then the message count."""
    cap = Capture(seed=seed, start_us=START_US)
    rng = cap.rng
    hosts = [_host(i, "client") for i in range(n_hosts)]
    seqs = [rng.randint(1, 50000) for _ in hosts]
    offs = sorted((rng.randint(0, hb_us), i) for i in range(n_hosts))
    sent, tick, xid = 0, 0, rng.getrandbits(20)
    while START_US + tick * hb_us < until_us:
        for off, i in offs:
            at = START_US + tick * hb_us + off
            if at >= until_us:
                break
            cap.now = max(cap.now, at)
            h, xid, seqs[i] = hosts[i], xid + 1, seqs[i] + 1
            q = message(Op.HEARTBEAT, xid, [A(Tag.HOSTNAME, h.name + ".local"), A(Tag.IPV4, str(h.ip)),
                                            A(Tag.CLUSTER, CLUSTER), A(Tag.HB_SEQ, seqs[i]),
                                            A(Tag.UPTIME, 3600 + tick)])
            cap.udp(h, nss, 60870, NSS_PORT, q)
            cap.advance(us=rng.randint(40, 300))
            cap.udp(nss, h, NSS_PORT, 60870, message(Op.HEARTBEAT, xid, [A(Tag.STATUS, 0),
                                                                           A(Tag.EPOCH, 7)], response=True))
            sent += 2
            if rng.random() < 0.05:
                xid += 1
                cap.udp(h, nss, 60871, NSS_PORT, message(Op.FSM_QUERY, xid, [A(Tag.VOLUME, VOLUME),
                                                                            A(Tag.CLUSTER, CLUSTER)]))
                cap.advance(us=rng.randint(40, 300))
                cap.udp(nss, h, NSS_PORT, 60871, message(
                    Op.FSM_QUERY, xid, [A(Tag.STATUS, 0), A(Tag.IPV4, "10.40.0.10"), A(Tag.PORT, PORT),
                                        A(Tag.FSM_STATE, 2), A(Tag.PRIORITY, 1)], response=True))
                sent += 2
            yield from _pump(cap)
        tick += 1
    yield from cap.packets
    yield sent


def _write_merged(path, gens):
    """Merge time-ordered packet generators into one pcapng, streamed.
    Each generator's last item is its message count; returns (frames, sum)."""
    counts = []

    def packets(g):
        for item in g:
            if isinstance(item, int):
                counts.append(item)
            else:
                yield item

    n = 0
    tmp = Path(str(path) + ".tmp")
    with open(tmp, "wb", buffering=1 << 20) as f:
        f.write(pcapng.shb() + pcapng.idb())
        for p in heapq.merge(*(packets(g) for g in gens), key=lambda p: p.ts_us):
            f.write(pcapng.epb(0, p.ts_us, p.data))
            n += 1
    tmp.replace(path)  # only a complete file carries the final name
    return n, sum(counts)


def xsan_capture(path, messages, sessions=100, seed=7):
    """Write the Xsan capture; returns (frames, messages)."""
    rng = random.Random(seed)
    sessions = max(1, min(sessions, messages // 40))
    # UDP: one heartbeat pair per host per second over the ~run time (about
    # 1.3 ms per TCP message pair per session), ~0.5% of the messages.
    per = messages // sessions
    span_us = int(per * 0.65 * 1000) + 2000000
    mdcs = [_host(i, "mdc") for i in range(4)]
    gens = [_session(i, per, seed * 1000 + i, START_US + rng.randint(0, 2000000),
                     mdcs[i % 4], dynamic=(i % 5 >= 3))  # 40%: FSMs on dynamic fsports
            for i in range(sessions)]
    gens.append(_nss(max(2, sessions // 4), START_US + span_us, seed * 1000 - 1, mdcs[0]))
    return _write_merged(path, gens)


# ---------------------------------------------------------------- foreign traffic

def _foreign_tcp(no, seed, start_us, kind, frames):
    cap = Capture(seed=seed, start_us=start_us)
    rng = cap.rng
    c, s = _host(no, "client"), _host(no % 7, "mdc")
    port = {"http": 80, "tls": 443, "app": rng.choice((7000, 9092, 11211, 27017, 33445, 50123))}[kind]
    conn = cap.tcp_conn(c, s, rng.randint(32768, 60999), port)
    conn.open()
    made = 0
    while made < frames:
        cap.advance(us=rng.randint(100, 5000))
        if kind == "http":
            q = (f"GET /assets/{rng.getrandbits(32):08x}.js HTTP/1.1\r\nHost: intranet\r\n"
                 "User-Agent: curl/7.88\r\nAccept: */*\r\n\r\n").encode()
            body = rng.randbytes(rng.choice((200, 1500, 6000)))
            a = (f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        elif kind == "tls":  # application-data records
            q = b"\x17\x03\x03" + (300).to_bytes(2, "big") + rng.randbytes(300)
            n = rng.choice((100, 1400, 4000))
            a = b"\x17\x03\x03" + n.to_bytes(2, "big") + rng.randbytes(n)
        else:  # some binary request/response protocol nobody registered
            q = rng.getrandbits(32).to_bytes(4, "big") + rng.randbytes(rng.randint(20, 200))
            a = rng.randbytes(rng.choice((40, 400, 3000)))
        conn.send("c", q)
        cap.advance(us=rng.randint(100, 900))
        conn.send("s", a)
        out = _pump(cap)
        made += len(out)
        yield from out
    conn.close()
    cap.finish()
    yield from cap.packets
    yield 0


def _foreign_udp(no, seed, start_us, kind, frames):
    cap = Capture(seed=seed, start_us=start_us)
    rng = cap.rng
    c, s = _host(no, "client"), _host(no % 7, "mdc")
    port = rng.randint(20000, 40000)
    made = 0
    while made < frames:
        cap.advance(us=rng.randint(200, 20000))
        if kind == "dns":
            qid = rng.getrandbits(16)
            name = b"".join(bytes([len(l)]) + l for l in (b"host%d" % rng.randint(1, 999), b"corp", b"lan")) + b"\0"
            cap.udp(c, s, port, 53, qid.to_bytes(2, "big") + b"\x01\x00\x00\x01\0\0\0\0\0\0" + name + b"\0\x01\0\x01")
            cap.advance(us=rng.randint(100, 800))
            cap.udp(s, c, 53, port, qid.to_bytes(2, "big") + b"\x81\x80\x00\x01\x00\x01\0\0\0\0" + name
                    + b"\0\x01\0\x01\xc0\x0c\0\x01\0\x01\0\0\x0e\x10\0\x04" + bytes(s.ip.packed))
        elif kind == "syslog":
            cap.udp(c, s, port, 514, f"<134>Nov 24 00:00:{rng.randint(0, 59):02d} bay app[{rng.randint(100, 999)}]: "
                                     f"job {rng.getrandbits(24)} done".encode())
        else:  # media/telemetry on unknown high ports: every UDP heuristic looks
            cap.udp(c, s, port, 40000 + no, rng.randbytes(rng.choice((60, 172, 1200))))
        out = _pump(cap)
        made += len(out)
        yield from out
    yield from cap.packets
    yield 0


def foreign_capture(path, packets, flows=100, seed=11):
    """Write the non-Xsan capture; returns (frames, 0)."""
    rng = random.Random(seed)
    kinds = ["app"] * 30 + ["http"] * 20 + ["tls"] * 15 + ["udp"] * 20 + ["dns"] * 10 + ["syslog"] * 5
    flows = max(1, min(flows, packets // 20))
    per = max(10, packets // flows)
    gens = []
    for i in range(flows):
        kind = kinds[i % len(kinds)]
        start = START_US + rng.randint(0, 2000000)
        g = _foreign_udp if kind in ("udp", "dns", "syslog") else _foreign_tcp
        gens.append(g(i, seed * 1000 + i, start, kind, per))
    return _write_merged(path, gens)


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="write the benchmark captures")
    ap.add_argument("kind", choices=("xsan", "foreign"))
    ap.add_argument("path")
    ap.add_argument("count", type=int, help="messages (xsan) or packets (foreign)")
    a = ap.parse_args()
    fn = xsan_capture if a.kind == "xsan" else foreign_capture
    print(*fn(a.path, a.count))
