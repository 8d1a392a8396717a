# SPDX-License-Identifier: GPL-2.0-or-later
"""The post-production house where the stories happen, and the few verbs a
story needs to tell what its machines say to each other.

The house ("PostCluster") has:

- nss-1 (10.20.30.2), the name-server coordinator every fsmpm heartbeats to
  once a second (the host in every machine's fsnameservers file);
- two metadata controllers, mdc-a (10.20.30.10) and mdc-b (10.20.30.11);
  the FSM of MediaVol is active on mdc-a and stands by on mdc-b, the FSM of
  ProjectsVol is active on mdc-b;
- edit bays edit-bay-01..12 (10.20.30.41..52) and an admin Mac (10.20.30.5);
- a second site, Studio B, on IPv6 (fd00:20:31::/64) with its own MDC that
  serves ArchiveVol, and three edit bays.

All traffic of a story goes through one net.Capture (the clock, the frames)
and the wire/net modules: nothing here encodes bytes by itself.
"""
import calendar

from ..cast import Xids
from ..net import Host
from ..vectors import counter, dirent, err, extent, ok
from ..wire import PORT, Op, Tag, attr, fragment, group, message

# what stories import from here, besides the house itself
__all__ = ["A", "G", "counter", "dirent", "err", "extent", "ok", "Op", "Tag", "message",
           "Fsmpm", "Heartbeats", "Session", "addr_attr", "note", "service_ms", "site",
           "utc", "wall_ns", "CLUSTER", "FSMPM_PORT", "RTT_MS", "VOLUMES", "INODES",
           "CLIP_INODE0"]

A, G = attr, group
CLUSTER = "PostCluster"
FSMPM_PORT = PORT  # fsmpm and the coordinators talk UDP 60868 <-> 60868
RTT_MS = 0.18      # one switched 10 GbE LAN: ~0.1-0.2 ms round trips

# Volumes: name -> (uuid, block size, stripe groups, root inode)
VOLUMES = {
    "MediaVol": ("5c3e9a10-7d4b-4f2e-9b1a-2e6f0c8d4a71", 4096, 4, 2),
    "ProjectsVol": ("0b7f44c2-91d3-4c55-a7e0-3f21d8c96b12", 4096, 2, 2),
    "ArchiveVol": ("e1a0c3f5-2b6d-4e88-9c17-6d5a4f3e2b01", 16384, 3, 2),
}

# The project tree of MediaVol every story agrees on (inode numbers).
INODES = {
    "/": 2,
    "/Projects": 1001,
    "/Projects/Nightfall": 1010,
    "/Projects/Nightfall/Reel1": 1020,
    "/Projects/Nightfall/Reel2": 1021,
    "/Projects/Nightfall/Audio": 1022,
    "/Projects/Nightfall/Exports": 1023,
}
CLIP_INODE0 = 5001  # clip001.mov of Reel2; clip014.mov is new in story 2


def utc(y, mo, d, h=0, mi=0, s=0, us=0):
    """A wall-clock time (UTC) in microseconds: a capture's start."""
    return calendar.timegm((y, mo, d, h, mi, s)) * 1000000 + us


def wall_ns(cap):
    """The capture clock as nanoseconds: for MTIME and friends."""
    return cap.now * 1000


def site():
    """Fresh hosts of the house (each capture counts its own IPv4 IDs)."""
    h = {
        "nss": Host("nss-1", "00:1b:63:a0:00:02", "10.20.30.2", 0x1102),
        "mdc-a": Host("mdc-a", "00:1b:63:a0:00:10", "10.20.30.10", 0x2a10),
        "mdc-b": Host("mdc-b", "00:1b:63:a0:00:11", "10.20.30.11", 0x3b11),
        "admin": Host("admin-mac", "00:1b:63:ad:00:05", "10.20.30.5", 0x6e05),
        "nss-b": Host("nss-b", "00:1b:63:c0:00:02", "fd00:20:31::2"),
        "mdc-c": Host("mdc-c", "00:1b:63:c0:00:10", "fd00:20:31::10"),
    }
    for n in range(1, 13):
        h[f"bay{n:02d}"] = Host(f"edit-bay-{n:02d}", f"00:1b:63:b3:00:{0x40 + n:02x}",
                                f"10.20.30.{40 + n}", 0x4000 + 0x0313 * n)
    for n in range(1, 4):
        h[f"sb{n:02d}"] = Host(f"studiob-bay-{n:02d}", f"00:1b:63:c3:00:{0x40 + n:02x}",
                               f"fd00:20:31::{0x40 + n:x}")
    return h


def note(cap, frame, text):
    """Put a comment on a frame already written (the SYN of a handshake, say)."""
    cap.packets[frame - 1].comment = text


def addr_attr(host):
    """IPV4 or IPV6 attribute of a host's address."""
    return A(Tag.IPV6 if host.v6 else Tag.IPV4, str(host.ip))


def service_ms(cap, median_ms, sigma=0.5):
    """An FSM service time: log-normal around median_ms (seeded)."""
    return cap.rng.lognormvariate(0, sigma) * median_ms


# ------------------------------------------------------------ name service

class Fsmpm:
    """A host's fsmpm: heartbeats and FSM queries to a coordinator on UDP."""

    def __init__(self, cap, host, nss, hb_seq, uptime, xid_start, cluster=CLUSTER):
        self.cap, self.host, self.nss = cap, host, nss
        self.hb_seq, self.uptime, self.cluster = hb_seq, uptime, cluster
        self.xids = Xids(xid_start)

    def exchange(self, op, req, resp, comment=None, reply=None, svc_ms=0.06):
        """Request from this fsmpm, the coordinator's answer after svc_ms."""
        xid = self.xids()
        q = message(op, xid, req)
        self.cap.udp_msgs(self.host, self.nss, FSMPM_PORT, FSMPM_PORT, [q], comment)
        self.cap.advance(RTT_MS / 2 + svc_ms, jitter_us=40)
        r = message(op, xid, resp, response=True)
        self.cap.udp_msgs(self.nss, self.host, FSMPM_PORT, FSMPM_PORT, [r], reply)
        return q, r

    def heartbeat(self, epoch, comment=None, reply=None, skip=0):
        """One beat; skip=n pretends n beats were counted but never sent."""
        self.hb_seq += skip
        self.uptime += skip
        out = self.exchange(Op.HEARTBEAT,
                            [A(Tag.HOSTNAME, self.host.name + ".local"),
                             addr_attr(self.host), A(Tag.CLUSTER, self.cluster),
                             A(Tag.HB_SEQ, self.hb_seq), A(Tag.UPTIME, self.uptime)],
                            ok(A(Tag.EPOCH, epoch)), comment, reply)
        self.hb_seq += 1
        self.uptime += 1
        return out

    def fsm_query(self, volume, fsm, port, state=2, priority=0, status=None,
                  comment=None, reply=None):
        """Where is the FSM of volume? The answer names host and TCP port."""
        resp = (ok(addr_attr(fsm), A(Tag.PORT, port), A(Tag.FSM_STATE, state),
                   A(Tag.PRIORITY, priority))
                if status is None else err(status, "no active FSM for " + volume))
        return self.exchange(Op.FSM_QUERY, [A(Tag.VOLUME, volume),
                                            A(Tag.CLUSTER, self.cluster)],
                             resp, comment, reply, svc_ms=0.09)


# ------------------------------------------------------- metadata session

class Session:
    """One client's metadata session: a TCP connection to an FSM and the
    request/response exchanges on it, timed like a LAN (tap near the
    client: a response shows up one round trip plus the FSM's service time
    after its request)."""

    def __init__(self, cap, client, fsm, cport, fport=PORT, xid_start=0x1000,
                 mss=1448, rtt_ms=RTT_MS):
        self.cap, self.client, self.fsm = cap, client, fsm
        self.conn = cap.tcp_conn(client, fsm, cport, fport, mss=mss)
        self.xids = Xids(xid_start)
        self.session = 0
        self.rtt_ms = rtt_ms
        self.root = 2

    def connect(self, comment=None):
        first = len(self.cap.packets) + 1
        self.conn.open(self.rtt_ms)
        if comment:
            note(self.cap, first, comment)

    def close(self, comment=None):
        first = len(self.cap.packets) + 1
        self.conn.close(self.rtt_ms)
        if comment:
            note(self.cap, first, comment)

    def request(self, op, attrs, comment=None, retry=False, xid=None, lost=None):
        """Send a request only (its answer comes later: reply()).
        lost=(rto_ms, comment): the segment is lost on its way and TCP sends
        it again after rto_ms; the tap (near the client) sees both copies."""
        q = message(op, self.xids() if xid is None else xid, attrs,
                    session=self.session, retry=retry)
        if lost:
            rto_ms, again = lost
            nseg = -(-len(q) // self.conn.mss)
            frames = self.conn.send("c", q, comment, retransmit=nseg - 1, rto_ms=rto_ms,
                                    lost=True, retransmit_comment=again)
            # Wireshark's TCP hands only the first copy to Xsan: record that one
            self.cap.messages.append((frames[-2], q))
            q.copy_frame = frames[-1]
        else:
            self.conn.send_msgs("c", [q], comment=comment)
        return q

    def reply(self, q, attrs, comment=None, session=None, pieces=None, piece_gap_ms=0.02):
        """The FSM's answer to request q; pieces=n cuts the body into
        fragments of n bytes (frag_index 0.., `more` on all but the last)."""
        sess = self.session if session is None else session
        if pieces:
            msgs = fragment(q.opcode, q.xid, attrs, pieces, response=True, session=sess)
        else:
            msgs = [message(q.opcode, q.xid, attrs, response=True, session=sess)]
        frames = []
        for i, m in enumerate(msgs):
            if i:
                self.cap.advance(piece_gap_ms)
            c = comment if i == 0 else (
                f"piece frag_index {i} of the same xid and opcode, `more` set"
                if i < len(msgs) - 1 else
                f"last piece, frag_index {i}, `more` clear: the message is whole and "
                "decoded here")
            frames += self.conn.send_msgs("s", [m], comment=c)
        return msgs

    def call(self, op, attrs, resp, svc_ms=0.4, comment=None, reply=None,
             think_ms=0.3, **kw):
        """Request, the FSM works svc_ms, its response; then the client
        thinks think_ms before its next move. Returns (request, response)."""
        q = self.request(op, attrs, comment)
        self.cap.advance(self.rtt_ms + svc_ms, jitter_us=30)
        r = self.reply(q, resp, reply, **kw)
        self.cap.advance(think_ms, jitter_us=100)
        return q, r[-1]

    def notify(self, op, attrs, xid, comment=None):
        """A one-way message from the FSM (TOKEN_REVOKE, GOODBYE)."""
        m = message(op, xid, attrs, notify=True, session=self.session)
        self.conn.send_msgs("s", [m], comment=comment)
        return m

    # the common opening of a session

    def hello(self, client_id, version="Xsan 5.0.1 (StorNext 7.0.2)", lease=30,
              comment=None, reply=None):
        return self.call(Op.HELLO, [A(Tag.HOSTNAME, self.client.name + ".local"),
                                    A(Tag.CLIENT_ID, client_id),
                                    A(Tag.CLIENT_VERSION, version),
                                    A(Tag.CAPABILITIES, 0x7)],
                         ok(A(Tag.CAPABILITIES, 0x7), A(Tag.LEASE_SECS, lease)),
                         svc_ms=0.25, comment=comment, reply=reply)

    def mount(self, volume, session_id, flags=0x2, comment=None, reply=None):
        uuid_, bsize, sgs, root = VOLUMES[volume]
        self.root = root
        q, r = self.call(Op.MOUNT, [A(Tag.VOLUME, volume), A(Tag.MOUNT_FLAGS, flags)],
                         ok(A(Tag.VOLUME_UUID, uuid_), A(Tag.BLOCK_SIZE, bsize),
                            A(Tag.STRIPE_GROUPS, sgs), A(Tag.ROOT_INODE, root)),
                         svc_ms=2.1, comment=comment, reply=reply, session=session_id)
        self.session = session_id
        return q, r

    def lookup(self, parent, name, inode, ftype=2, mode=0o40775, size=4096, mtime=0,
               comment=None, reply=None, svc_ms=0.3):
        return self.call(Op.LOOKUP, [A(Tag.PARENT_INODE, parent), A(Tag.NAME, name)],
                         ok(A(Tag.INODE, inode), A(Tag.FILE_TYPE, ftype), A(Tag.MODE, mode),
                            A(Tag.SIZE, size), A(Tag.MTIME, mtime)),
                         svc_ms=svc_ms, comment=comment, reply=reply)

    def walk(self, path, mtime, comment=None):
        """LOOKUP each component of a directory path from the root."""
        parent, sofar = self.root, ""
        for i, comp in enumerate(path.strip("/").split("/")):
            sofar += "/" + comp
            self.lookup(parent, comp, INODES[sofar], mtime=mtime,
                        comment=comment if i == 0 else None)
            parent = INODES[sofar]
        return parent

    def keepalive(self, comment=None, reply=None):
        return self.call(Op.KEEPALIVE, [], ok(), svc_ms=0.05, comment=comment, reply=reply)


class Heartbeats:
    """fsmpms beating once a second. Whenever a story lets time pass
    (idle) or before it acts (catch_up), the beats that fell due are
    emitted at their own time, so they interleave with everything else."""

    def __init__(self, cap, epoch, period_ms=1000.0):
        self.cap, self.epoch, self.period_us = cap, epoch, int(period_ms * 1000)
        self.members = {}     # name -> [Fsmpm, next due (us), beating?]
        self.comments = {}    # name -> comment for its next beat (request, reply)
        self.labels = {}      # name -> frames of its beats

    def add(self, name, fsmpm, first_in_ms=0.0):
        self.members[name] = [fsmpm, self.cap.now + int(first_in_ms * 1000), True]
        self.labels[name] = []

    def stop(self, name):
        """The host goes quiet (hung, powered off, cable pulled)."""
        self.members[name][2] = False

    def resume(self, name, skip=0):
        """It comes back; skip = beats it counted but never sent."""
        m = self.members[name]
        m[2], m[1] = True, max(m[1], self.cap.now)
        m[0].hb_seq += skip
        m[0].uptime += skip

    def comment_next(self, name, request, reply=None):
        self.comments[name] = (request, reply)

    def _next(self):
        due = [(m[1], name) for name, m in self.members.items() if m[2]]
        return min(due) if due else (None, None)

    def _beat(self, name):
        fsmpm, due, _ = self.members[name]
        saved = self.cap.now
        last = self.cap.packets[-1].ts_us + 1 if self.cap.packets else due
        self.cap.now = max(due, last)
        req, rep = self.comments.pop(name, (None, None))
        frame = len(self.cap.packets) + 1
        fsmpm.heartbeat(self.epoch, req, rep)
        self.labels[name].append(frame)
        self.members[name][1] = due + self.period_us + self.cap.rng.randint(-1500, 1500)
        self.cap.now = max(saved, self.cap.now)

    def catch_up(self):
        while True:
            due, name = self._next()
            if due is None or due > self.cap.now:
                return
            self._beat(name)

    def idle(self, ms):
        """Let ms pass; beats fall where they are due."""
        end = self.cap.now + int(ms * 1000)
        while True:
            due, name = self._next()
            if due is None or due > end:
                break
            self.cap.now = max(self.cap.now, due)
            self._beat(name)
        self.cap.now = max(self.cap.now, end)
